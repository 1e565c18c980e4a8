//! The partner network: the prosecutors' offices, courts, police prefectures,
//! schools, local governments and NGOs that refer cases and take part in the
//! service's work. The service owner keeps the list and publishes it like a
//! definition (versions 1, 2, … of its full text, in the stream
//! `partners-list`); a definition's `partner` field takes the id of a listed
//! partner, so reports break referrals, outreach and crisis work down by
//! partner and by kind of partner.
//!
//! The engine knows a partner id's form (a field's type); that the id names a
//! listed partner of an allowed kind is judged against the list in force
//! when a command is decided ([`check`]), as the actor directory is.

use serde::{Deserialize, Serialize};

use crate::actors::{ADMIN, Actor, SERVICE_OWNER};
use crate::definition::Text;
use crate::rejection::{Code, Rejection};

/// The stream category of the partner list.
pub const CATEGORY: &str = "partners";
/// The one list's stream id (`partners-list`).
pub const STREAM_ID: &str = "list";
/// The event type of a publication.
pub const PUBLISHED: &str = "PartnersPublished";

/// A published version of the list: its text exactly as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnersPublished {
    pub version: u32,
    pub title: String,
    /// `sha256:` and the hex SHA-256 of the source.
    pub content_hash: String,
    pub source: String,
}

/// The validated list (from `kroonika_processes::check_partners`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartnerList {
    pub title: Text,
    /// The kinds of partner, in the file's order.
    pub kinds: Vec<Kind>,
    pub partners: Vec<Partner>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kind {
    pub id: String,
    pub title: Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partner {
    pub id: String,
    pub title: Text,
    /// One of the list's kinds.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// False: kept for the cases that name it, offered to no new one.
    pub active: bool,
}

impl PartnerList {
    pub fn partner(&self, id: &str) -> Option<&Partner> {
        self.partners.iter().find(|p| p.id == id)
    }

    pub fn kind_title<'a>(&'a self, kind: &'a str, lang: &str) -> &'a str {
        self.kinds
            .iter()
            .find(|k| k.id == kind)
            .map_or(kind, |k| k.title.get(lang))
    }

    /// The active partners of any of `kinds` (all kinds when empty).
    pub fn offered<'a>(&'a self, kinds: &'a [String]) -> impl Iterator<Item = &'a Partner> {
        self.partners
            .iter()
            .filter(move |p| p.active && (kinds.is_empty() || kinds.contains(&p.kind)))
    }
}

/// Judges a partner id a command gives for `field`, whose type allows
/// `kinds` (any when empty), against the list in force. An id the case
/// already holds stays valid when its partner is later retired.
pub fn check(
    list: Option<&PartnerList>,
    field: &str,
    kinds: &[String],
    id: &str,
) -> Result<(), Rejection> {
    let Some(list) = list else {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "'{field}' names a partner, and no partner list is published; the service owner publishes one (`kroonika def publish partners.yaml`)"
            ),
        ));
    };
    let Some(partner) = list.partner(id) else {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "'{field}': there is no partner '{id}' in the partner list; `kroonika partners` lists them"
            ),
        ));
    };
    if !partner.active {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!("'{field}': partner '{id}' is no longer active in the partner list"),
        ));
    }
    if !kinds.is_empty() && !kinds.contains(&partner.kind) {
        return Err(Rejection::new(
            Code::InvalidInput,
            format!(
                "'{field}' takes a partner of kind {}; '{id}' is a {}",
                kinds.join(" or "),
                partner.kind
            ),
        ));
    }
    Ok(())
}

/// Decides a publication of the list, given the versions so far: None when
/// the text is the latest version already.
pub fn decide(
    history: &[PartnersPublished],
    by: &Actor,
    title: &str,
    source: &str,
    content_hash: &str,
) -> Result<Option<PartnersPublished>, Rejection> {
    by.require_any(&[SERVICE_OWNER, ADMIN], "publish the partner list")?;
    if history
        .last()
        .is_some_and(|p| p.content_hash == content_hash)
    {
        return Ok(None);
    }
    let version = u32::try_from(history.len() + 1)
        .map_err(|_| Rejection::new(Code::Rule, "too many versions"))?;
    Ok(Some(PartnersPublished {
        version,
        title: title.to_owned(),
        content_hash: content_hash.to_owned(),
        source: source.to_owned(),
    }))
}
