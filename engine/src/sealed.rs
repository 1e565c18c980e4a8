//! How a sealed (encrypted) personal value looks inside an event.
//!
//! Personal fields are encrypted before their events are appended (the vault
//! crate does it, outside the engine, because it needs keys and randomness). The
//! engine only needs to recognise a sealed value: evolve keeps it as it is, and
//! replaying history for conformance passes it back to `decide` as
//! [`crate::case::RawValue::Sealed`], which accepts it unchecked: it was checked
//! in plaintext when it was first decided.
//!
//! The shape is `{"$sealed": "v1.<subject id>.<base64url(nonce ‖ ciphertext)>"}`:
//! an object no field type produces, so it can never be mistaken for data.

use serde_json::Value;

/// The one key of a sealed value's object.
pub const SEALED: &str = "$sealed";

/// Whether `value` is a sealed personal value.
pub fn is_sealed(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.get(SEALED).is_some_and(Value::is_string))
}

/// The sealed text of a sealed value.
pub fn sealed_text(value: &Value) -> Option<&str> {
    if is_sealed(value) {
        value.get(SEALED).and_then(Value::as_str)
    } else {
        None
    }
}

/// Whether `value` is sealed or holds sealed values (a list of people, whose
/// names and contacts are each sealed under their own key).
pub fn holds_sealed(value: &Value) -> bool {
    is_sealed(value)
        || value.as_array().is_some_and(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .any(|item| item.values().any(is_sealed))
        })
}
