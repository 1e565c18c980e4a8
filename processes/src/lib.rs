//! Process definitions as the service owner writes them.
//!
//! This crate will own the YAML format: file-shaped raw types, lowered into the
//! engine's validated model with every problem reported at once, each located in
//! the file. It is the only crate that knows the file format. Nothing is here yet:
//! the definition language is the next piece of work after the store.
