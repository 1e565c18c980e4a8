//! Finding a case when a person calls: by their name or phone number, although
//! both are stored only sealed.
//!
//! Fields a definition marks `searchable: true` get a keyed blind index (the
//! vault's [`kroonika_vault::IndexKey`]): when a command records such a value,
//! its tokens are made from the value in the clear, before it is sealed, and
//! written in the same transaction as the event; an erasure deletes the
//! subject's tokens with its key. A search folds the query the same way and
//! looks its token up, then shows only the cases whose personal data the
//! searcher may read, and records the search (never the name) in their
//! access log before answering.

use std::collections::BTreeMap;

use kroonika_engine::access::{AccessEvent, SearchMatch};
use kroonika_engine::case::{self, Case, CaseEvent, privacy};
use kroonika_engine::definition::{ProcessDefinition, RoleRef};
use kroonika_engine::{Code, Rejection, StreamName};
use kroonika_store::{IndexChange, Unchanged, Write};
use kroonika_vault::{IndexKey, Kind, subject_id};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::command::Request;
use crate::error::{Error, Result, reject};
use crate::{App, keys};

/// What a person is looked for by. At least one is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindQuery {
    /// A name, or any other searchable text such as an e-mail address: case,
    /// accents, punctuation and word order do not matter.
    pub name: Option<String>,
    /// A phone number, however written.
    pub phone: Option<String>,
}

/// One case a search found. Never the name: the searcher knows it, and the
/// screen may be seen by others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FoundCase {
    pub reference: String,
    pub case_id: Uuid,
    pub process: String,
    pub state: String,
    pub closed: bool,
    /// Whose data matched (`victim`, `offender`, …).
    pub subjects: Vec<String>,
}

/// What a rebuild of the search index did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reindexed {
    pub cases: u64,
    /// The tokens stored.
    pub entries: u64,
}

/// The search index changes for the searchable values `events` record on
/// case `case_id`, made from the values in the clear (before sealing). A
/// value set to nothing removes the field's tokens.
pub(crate) fn index_changes(
    index: Option<&IndexKey>,
    definition: &ProcessDefinition,
    case_id: Uuid,
    events: &[CaseEvent],
) -> Result<Vec<IndexChange>> {
    let stream = case::stream(case_id).to_string();
    let mut changes = Vec::new();
    for event in events {
        let data = match event {
            CaseEvent::CaseOpened { data, .. }
            | CaseEvent::TransitionTaken { data, .. }
            | CaseEvent::CaseDataCorrected { data, .. } => data,
            _ => continue,
        };
        for (name, value) in data {
            changes.extend(field_changes(
                index, definition, &stream, case_id, name, value,
            )?);
        }
    }
    Ok(changes)
}

/// Every index change of one case anew, from its data in the clear (values
/// still sealed, such as an erased subject's, get no tokens): what a rebuild
/// writes, and what a migration to a version with other searchable fields does.
pub(crate) fn case_changes(
    index: Option<&IndexKey>,
    definition: &ProcessDefinition,
    case_id: Uuid,
    opened: &BTreeMap<String, Value>,
) -> Result<Vec<IndexChange>> {
    let stream = case::stream(case_id).to_string();
    let mut changes = vec![IndexChange::ClearStream(stream.clone())];
    for (name, value) in opened {
        changes.extend(field_changes(
            index, definition, &stream, case_id, name, value,
        )?);
    }
    Ok(changes)
}

/// Where a listed person's name or contact is indexed: `parties.parties-2.name`.
fn person_entry(field: &str, id: &str, key: &str) -> String {
    format!("{field}.{id}.{key}")
}

/// Whose data an index entry (a field, or a listed person's entry) is.
pub(crate) fn subject_of(definition: &ProcessDefinition, entry: &str) -> Option<String> {
    match entry.split('.').collect::<Vec<_>>().as_slice() {
        [field] => definition.field(field)?.personal.clone(),
        [_, id, _] => Some((*id).to_owned()),
        _ => None,
    }
}

/// The tokens of one field's value, if the field is searchable: of a
/// personal field's value under its subject; of a list of people, of each
/// person's name and contact given in the clear, under that person (those
/// still sealed are left as they are indexed).
fn field_changes(
    index: Option<&IndexKey>,
    definition: &ProcessDefinition,
    stream: &str,
    case_id: Uuid,
    name: &str,
    value: &Value,
) -> Result<Vec<IndexChange>> {
    let Some(field) = definition.field(name).filter(|f| f.searchable) else {
        return Ok(Vec::new());
    };
    let people = matches!(
        field.ty,
        kroonika_engine::definition::FieldType::People { .. }
    );
    if field.personal.is_none() && !people {
        return Ok(Vec::new());
    }
    let Some(index) = index else {
        return Err(Error::Invalid(
            "the search index key was not at hand to index a searchable field".to_owned(),
        ));
    };
    let tokens = |value: Option<&Value>| match value {
        Some(Value::String(text)) => index
            .tokens(text)
            .into_iter()
            .map(|(kind, token)| (kind.as_str().to_owned(), token.to_vec()))
            .collect(),
        _ => Vec::new(),
    };
    let change = |entry: String, subject: &str, value: Option<&Value>| IndexChange::Field {
        stream: stream.to_owned(),
        field: entry,
        subject: subject_id(case_id, subject),
        tokens: tokens(value),
    };
    if let Some(subject) = field.personal.as_deref() {
        return Ok(vec![change(name.to_owned(), subject, Some(value))]);
    }
    let mut changes = Vec::new();
    for item in kroonika_engine::case::people::items(value) {
        let Some(id) = item.get("id").and_then(Value::as_str) else {
            continue;
        };
        for key in kroonika_engine::case::people::PERSONAL {
            let Some(Value::String(text)) = item.get(key) else {
                continue;
            };
            if text == kroonika_vault::ERASED || text == "[unreadable]" {
                continue;
            }
            changes.push(change(person_entry(name, id, key), id, item.get(key)));
        }
    }
    Ok(changes)
}

impl App {
    /// The cases where a person's searchable data matches `query`, among
    /// those whose personal data the actor may read; open cases first. The
    /// search is recorded (by what, why, which cases it showed) before the
    /// answer is returned, and a refusal is recorded too.
    pub async fn find_cases(
        &self,
        request: &Request,
        query: &FindQuery,
        purpose: &str,
    ) -> Result<Vec<FoundCase>> {
        let done = self.search(request, query, purpose).await;
        self.recorded(request, None, done).await
    }

    async fn search(
        &self,
        request: &Request,
        query: &FindQuery,
        purpose: &str,
    ) -> Result<Vec<FoundCase>> {
        self.text_within("purpose", purpose)?;
        let mut by = Vec::new();
        let mut wanted = Vec::new();
        for (flag, kind, text) in [
            ("name", Kind::Text, &query.name),
            ("phone", Kind::Phone, &query.phone),
        ] {
            let Some(text) = text else { continue };
            self.text_within(flag, text)?;
            let folded = match kind {
                Kind::Text => kroonika_vault::normal_text(text),
                Kind::Phone => kroonika_vault::normal_phone(text),
            };
            if folded.is_none() {
                let why = match kind {
                    Kind::Text => "it has no letters or digits",
                    Kind::Phone => {
                        "it is not a phone number (5 to 15 digits, spaces and dashes allowed)"
                    }
                };
                return Err(reject(
                    Code::InvalidInput,
                    format!("--{flag} '{text}' cannot be searched for: {why}"),
                ));
            }
            by.push(flag.to_owned());
            wanted.push((kind, text.clone()));
        }
        if wanted.is_empty() {
            return Err(reject(
                Code::MissingInput,
                "say whom to look for: --name TEXT or --phone NUMBER",
            ));
        }
        if purpose.trim().is_empty() {
            return Err(reject(
                Code::MissingInput,
                "a search for a person needs a purpose: --purpose TEXT (it is recorded)",
            ));
        }
        // Judged on the directory as it is now.
        let registry = self.refresh().await?;
        let actor = registry.acting(&request.actor)?;
        let readable: Vec<String> = registry
            .latest_versions()
            .filter_map(|published| published.definition().ok())
            .filter(|def| may_read_some(&actor, def))
            .map(|def| def.id.clone())
            .collect();
        if readable.is_empty() {
            return Err(Error::Rejected(Rejection::denied(format!(
                "actor '{}' may read personal data in no process, so may not search for a person",
                actor.name
            ))));
        }
        let master = self.master()?;
        let index = match self.inner.index.get() {
            Some(key) => Some(key.clone()),
            None => keys::stored_index_key(&self.inner.store, master).await?,
        };
        let mut tokens = Vec::new();
        if let Some(index) = &index {
            for (kind, text) in &wanted {
                if let Some(token) = index.query(*kind, text) {
                    tokens.push(token.to_vec());
                }
            }
        }
        // Every query term must match the same case (name and phone: the
        // same person's case).
        let hits = self.inner.store.search_index(&tokens).await?;
        let mut by_stream: BTreeMap<String, (Vec<Kind>, Vec<String>)> = BTreeMap::new();
        for hit in hits {
            let kind = Kind::parse(&hit.kind).unwrap_or(Kind::Text);
            let entry = by_stream.entry(hit.stream).or_default();
            if !entry.0.contains(&kind) {
                entry.0.push(kind);
            }
            entry.1.push(hit.field);
        }
        let mut found = Vec::new();
        for (stream, (kinds, fields)) in by_stream {
            if kinds.len() < wanted.len() {
                continue;
            }
            let Some(id) = StreamName::new(stream).ok().as_ref().and_then(case::id_of) else {
                continue;
            };
            let history = self.history_of(id, &id.to_string()).await?;
            let case = Case::fold(&history)?;
            let case_registry = self.registry_for(&case.process, case.version).await?;
            let (definition, version) =
                case_registry.definition(&case.process, Some(case.version))?;
            let now = self.now();
            let cx = case::Context {
                definition: &definition,
                version,
                actor: &actor,
                actors: case_registry.actors(),
                now,
                occurred_at: now,
            };
            if privacy::may_reveal(&cx, &case, purpose).is_err() {
                continue;
            }
            let mut subjects: Vec<String> = Vec::new();
            for field in &fields {
                if let Some(subject) = subject_of(&definition, field)
                    && !subjects.contains(&subject)
                {
                    subjects.push(subject);
                }
            }
            found.push(FoundCase {
                reference: case.reference,
                case_id: id,
                process: case.process,
                state: case.state,
                closed: case.closed,
                subjects,
            });
        }
        found.sort_by(|a, b| {
            (a.closed, &a.process, &a.reference).cmp(&(b.closed, &b.process, &b.reference))
        });
        let record = AccessEvent::CasesSearched {
            by,
            purpose: purpose.trim().to_owned(),
            matches: found
                .iter()
                .map(|f| SearchMatch {
                    case_id: f.case_id,
                    reference: f.reference.clone(),
                    subjects: f.subjects.clone(),
                })
                .collect(),
        };
        // Recorded before anything is shown: no record, no answer.
        self.record_access(&actor.name, &record, Some(App::unchanged(&registry)))
            .await
            .map_err(|err| err.context("recording the search"))?;
        Ok(found)
    }

    /// Builds the search index anew from the log: every searchable value of
    /// every case, opened with its subject's key (erased subjects have none).
    /// For a store imported from an export (the index is not exported), or
    /// after a definition made more fields searchable. Administrators only.
    pub async fn reindex(&self, request: &Request) -> Result<Reindexed> {
        self.may_administer(request, "rebuild the search index")
            .await?;
        let master = self.master()?;
        let Some(index) = self.index_key().await? else {
            return Err(reject(
                Code::MasterKeyNeeded,
                self.inner.missing_key.clone(),
            ));
        };
        // Built from the log as it was at one position: a case written to
        // meanwhile would get its old tokens back, so the build is refused
        // and made again (it is idempotent: each case is cleared first).
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.reindex_once(master, index).await {
                Err(Error::Store(err)) if err.is_conflict() && attempts < 5 => continue,
                done => return done,
            }
        }
    }

    async fn reindex_once(
        &self,
        master: &kroonika_vault::MasterKey,
        index: &IndexKey,
    ) -> Result<Reindexed> {
        let read_at = self.inner.store.head_position().await?;
        let unchanged = Unchanged {
            categories: vec![case::CATEGORY.to_owned()],
            position: read_at,
        };
        let registry = self.refresh().await?;
        let mut done = Reindexed {
            cases: 0,
            entries: 0,
        };
        let mut write = Write {
            unchanged: Some(unchanged.clone()),
            ..Write::default()
        };
        for (id, case) in self.all_cases().await? {
            let Ok((definition, _)) = registry.definition(&case.process, Some(case.version)) else {
                continue;
            };
            let mut opened = case.data.clone();
            if definition.fields.iter().any(|f| f.searchable) {
                let ring = keys::existing(&self.inner.store, master, id).await?;
                keys::open_data(&ring, id, &mut opened);
            }
            for change in case_changes(Some(index), &definition, id, &opened)? {
                if let IndexChange::Field { tokens, .. } = &change {
                    done.entries += tokens.len() as u64;
                }
                write.index.push(change);
            }
            done.cases += 1;
            if write.index.len() >= 1_000 {
                let full = std::mem::replace(
                    &mut write,
                    Write {
                        unchanged: Some(unchanged.clone()),
                        ..Write::default()
                    },
                );
                self.inner.store.write(&full).await?;
            }
        }
        if !write.index.is_empty() {
            self.inner.store.write(&write).await?;
        }
        Ok(done)
    }
}

/// Whether `actor` holds a role that may read personal data in some case of
/// `definition` (on a case it may still need to be named).
fn may_read_some(actor: &kroonika_engine::actors::Actor, definition: &ProcessDefinition) -> bool {
    actor.name == kroonika_engine::actors::SYSTEM
        || definition.privacy.read.iter().any(|role| match role {
            RoleRef::Role { role } | RoleRef::Assigned { role, .. } => actor.has_role(role),
        })
}
