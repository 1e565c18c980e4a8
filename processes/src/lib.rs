//! Process definitions as the service owner writes them.
//!
//! A definition is YAML (the format is documented for authors in this crate's
//! `README.md`). Checking it is two stages, as ripgrep does with its flags:
//! [`tree`] reads the text into a loose tree of spanned nodes, which only fails on
//! broken YAML; `lower` turns the tree into the engine's validated
//! `ProcessDefinition`, reporting every problem at once as a [`Diagnostic`] with a
//! stable code, a place in the file and, where it can, a suggestion. [`check`] is
//! the whole of it. This crate is the only one that knows the file format.

mod analysis;
pub mod diagnostic;
pub mod documents;
pub mod graph;
mod guard;
mod lower;
pub mod partners;
pub mod schema;
pub mod suggest;
pub mod tree;

pub use diagnostic::{Code, Diagnostic, Severity};
pub use kroonika_engine::definition::ProcessDefinition;
pub use partners::{CheckedPartners, check_partners, is_partner_list};

/// The largest definition file accepted, in bytes. Real ones are a few kilobytes;
/// the limit keeps a stray binary file from taking the checker's time.
pub const MAX_SOURCE_LEN: usize = 1024 * 1024;

/// The result of checking one definition file.
#[derive(Debug)]
pub struct Checked {
    /// Present when there are no errors (warnings allowed).
    pub definition: Option<ProcessDefinition>,
    /// Every problem found, errors and warnings, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.first_error().is_some()
    }

    /// The first error in file order, if any.
    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
    }
}

/// Checks a definition's text. Never panics, whatever the text.
pub fn check(source: &str) -> Checked {
    if source.len() > MAX_SOURCE_LEN {
        let diagnostic = Diagnostic::error(
            Code::YamlSyntax,
            0..0,
            format!(
                "the file is {} bytes; a definition may be at most {MAX_SOURCE_LEN}",
                source.len()
            ),
        );
        return Checked {
            definition: None,
            diagnostics: vec![diagnostic],
        };
    }
    let root = match tree::parse(source) {
        Ok(root) => root,
        Err(err) => {
            let diagnostic =
                Diagnostic::error(Code::YamlSyntax, err.span, err.message).with_help(err.help);
            return Checked {
                definition: None,
                diagnostics: vec![diagnostic],
            };
        }
    };
    let (definition, mut diagnostics) = lower::lower(&root, source);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Checked {
        definition,
        diagnostics,
    }
}

/// The content hash a published version records: `sha256:` and the hex digest
/// of the exact source text.
pub fn content_hash(source: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(source.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
