//! Publishing process definitions: versions 1, 2, … of each process, each the
//! full source text with its content hash and publisher.
//!
//! A process's versions live in the stream `definition-<process id>`; the
//! version is the event's revision + 1. The definition is checked before this
//! is called (only a valid definition reaches `decide`); the rules here are who
//! may publish and that publishing the same text again makes no new version.

use serde::{Deserialize, Serialize};

use crate::actors::{ADMIN, Actor, SERVICE_OWNER};
use crate::rejection::{Code, Rejection};

/// The stream category of definitions.
pub const CATEGORY: &str = "definition";
/// The event type of a publication.
pub const PUBLISHED: &str = "DefinitionPublished";

/// A published version: the source exactly as written, so that a case decided by
/// version N can be replayed against version N's very text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefinitionPublished {
    pub process: String,
    pub version: u32,
    pub title: String,
    /// `sha256:` and the hex SHA-256 of the source.
    pub content_hash: String,
    pub source: String,
}

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publication {
    /// A new version to append.
    New(DefinitionPublished),
    /// The same text is already the latest version: nothing to append.
    Unchanged { version: u32 },
}

/// Decides a publication, given the versions published so far (oldest first).
pub fn decide(
    history: &[DefinitionPublished],
    by: &Actor,
    process: &str,
    title: &str,
    source: &str,
    content_hash: &str,
    revert: bool,
) -> Result<Publication, Rejection> {
    by.require_any(&[SERVICE_OWNER, ADMIN], "publish definitions")?;
    if let Some(latest) = history.last()
        && latest.content_hash == content_hash
    {
        return Ok(Publication::Unchanged {
            version: latest.version,
        });
    }
    // The text of an older version again: taking back every later change
    // is done on purpose, not by publishing yesterday's file by mistake.
    if let Some(older) = history.iter().find(|p| p.content_hash == content_hash)
        && !revert
    {
        let latest = history.last().map_or(0, |p| p.version);
        return Err(Rejection::new(
            Code::AlreadyExists,
            format!(
                "this text is version {} of '{process}'; publishing it again would replace version {latest} with it as version {}; say so with --force (a revert), or publish the file you meant",
                older.version,
                latest + 1
            ),
        ));
    }
    let version = u32::try_from(history.len() + 1)
        .map_err(|_| Rejection::new(Code::Rule, "too many versions"))?;
    Ok(Publication::New(DefinitionPublished {
        process: process.to_owned(),
        version,
        title: title.to_owned(),
        content_hash: content_hash.to_owned(),
        source: source.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Actor {
        Actor {
            name: "tiina".into(),
            roles: [SERVICE_OWNER.to_owned()].into(),
            ..Actor::default()
        }
    }

    #[test]
    fn versions_count_up_and_identical_text_is_not_a_version() {
        let v1 = match decide(
            &[],
            &owner(),
            "mediation",
            "Mediation",
            "a",
            "sha256:aa",
            false,
        )
        .unwrap()
        {
            Publication::New(event) => event,
            other => panic!("{other:?}"),
        };
        assert_eq!(v1.version, 1);
        let history = [v1];
        assert_eq!(
            decide(
                &history,
                &owner(),
                "mediation",
                "Mediation",
                "a",
                "sha256:aa",
                false
            ),
            Ok(Publication::Unchanged { version: 1 })
        );
        let Ok(Publication::New(v2)) = decide(
            &history,
            &owner(),
            "mediation",
            "Mediation",
            "b",
            "sha256:bb",
            false,
        ) else {
            panic!()
        };
        assert_eq!(v2.version, 2);
        // Version 1's text again, on top of version 2: only when meant.
        let both = [history[0].clone(), v2.clone()];
        let refused = decide(
            &both,
            &owner(),
            "mediation",
            "Mediation",
            "a",
            "sha256:aa",
            false,
        );
        assert_eq!(
            refused.map_err(|r| (r.code(), r.reason().to_owned())),
            Err((
                Code::AlreadyExists,
                "this text is version 1 of 'mediation'; publishing it again would replace version 2 with it as version 3; say so with --force (a revert), or publish the file you meant".to_owned()
            ))
        );
        let Ok(Publication::New(v3)) = decide(
            &both,
            &owner(),
            "mediation",
            "Mediation",
            "a",
            "sha256:aa",
            true,
        ) else {
            panic!()
        };
        assert_eq!(v3.version, 3);
        let coordinator = Actor {
            name: "mari".into(),
            roles: ["coordinator".to_owned()].into(),
            ..Actor::default()
        };
        assert_eq!(
            decide(
                &history,
                &coordinator,
                "mediation",
                "Mediation",
                "b",
                "sha256:bb",
                false
            ),
            Err(Rejection::denied(
                "actor 'mari' lacks role 'service-owner' or 'admin' needed to publish definitions (has: coordinator)"
            ))
        );
        insta::assert_json_snapshot!(v2, @r#"
        {
          "process": "mediation",
          "version": 2,
          "title": "Mediation",
          "content_hash": "sha256:bb",
          "source": "b"
        }
        "#);
    }
}
