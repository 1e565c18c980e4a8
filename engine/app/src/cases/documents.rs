//! Producing a document from a case (the agreement, the report to the
//! authority, the information sheet): the definition's template rendered on
//! the case's data as one self-contained printable HTML page.
//!
//! The order matters. Whether the actor may produce it is judged first (the
//! engine's rule, a refusal recorded); then the personal data the template
//! reads, and only that, is read in the clear, the reading recorded before
//! anything is shown; then the page is rendered; then the case records the
//! production (a command like any other, so a retry with the same command id
//! records it once). A page that could not be recorded is not returned.

use std::collections::BTreeMap;

use kroonika_engine::case::{Case, documents, people};
use kroonika_engine::definition::{FieldType, ProcessDefinition};
use kroonika_engine::{Code, Rejection};
use serde::Serialize;
use serde_json::{Value, json};

use crate::App;
use crate::command::{CaseCommand, Outcome, Request};
use crate::error::{Result, reject};
use crate::labels::Labels;

/// At most this many bytes of page: a template may loop over a case's lists,
/// and a page this size is no longer a letter.
const DOCUMENT_MAX: usize = 4 * 1024 * 1024;

/// What is asked for: which document, in which language, for whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentAsk {
    pub document: String,
    pub language: String,
    /// A subject of the case (`victim`) or a partner field (`referred_by`).
    pub to: Option<String>,
}

/// A document produced and recorded.
#[derive(Debug, Clone, Serialize)]
pub struct Produced {
    pub reference: String,
    pub document: String,
    pub language: String,
    /// The whole page.
    pub html: String,
    /// A name to save it under: `LE-2026-0001-agreement-et.html`.
    pub file_name: String,
    /// The template's content hash, as the case records it.
    pub template: String,
    #[serde(skip)]
    pub outcome: Outcome,
}

/// A document the actor may produce on a case now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentOffer {
    pub id: String,
    pub title: String,
    /// The languages it is written in (`et`, `ru`, `en`).
    pub languages: Vec<String>,
    /// Whom it may be addressed to.
    pub to: Vec<Addressee>,
}

/// Someone a document may be addressed to: a subject of the case, or the
/// partner a field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Addressee {
    /// `victim`, `referred_by`.
    pub id: String,
    pub title: String,
}

impl App {
    /// The documents `request.actor` may produce on case `target` now, with
    /// titles in `lang`.
    pub async fn document_offers(
        &self,
        request: &Request,
        target: &str,
        lang: &str,
    ) -> Result<Vec<DocumentOffer>> {
        // Refused (and recorded) like any reading of a case one may not read.
        let now = self.opened_now(request, target).await?;
        let (case, definition, cx) = (&now.case, &now.definition, now.cx());
        let labels = Labels::of(definition, None, lang).with_people(definition, &case.data);
        Ok(documents::available(&cx, case)
            .into_iter()
            .map(|d| DocumentOffer {
                id: d.id.clone(),
                title: d.title.get(lang).to_owned(),
                languages: d.templates.keys().cloned().collect(),
                to: documents::addressees(definition, case, d)
                    .iter()
                    .filter(|t| !case.erased.contains(*t))
                    .map(|t| {
                        let title = labels
                            .subjects
                            .get(t)
                            .or_else(|| labels.fields.get(t))
                            .cloned()
                            .unwrap_or_else(|| t.clone());
                        Addressee {
                            id: t.clone(),
                            title,
                        }
                    })
                    .collect(),
            })
            .collect())
    }

    /// Produces `ask.document` of case `target` as `request.actor`: renders
    /// it and records it (see the module's documentation).
    pub async fn produce_document(
        &self,
        request: &Request,
        target: &str,
        ask: &DocumentAsk,
    ) -> Result<Produced> {
        // Judged on the directory as it is now (a role revoked a moment ago
        // no longer prints anyone's data).
        self.refresh().await?;
        let opened = self.opened_now(request, target).await?;
        let (case, definition, registry, id) = (
            &opened.case,
            &opened.definition,
            &opened.registry,
            opened.id,
        );
        let (actor, version, now) = (&opened.actor, opened.version, opened.now);
        let cx = opened.cx();
        let declared = match documents::may_produce(
            &cx,
            case,
            &ask.document,
            &ask.language,
            ask.to.as_deref(),
        ) {
            Ok(declared) => declared,
            Err(refused) => {
                if refused.is_denial() {
                    self.record_refusal(request, Some(&case.reference), &refused)
                        .await?;
                }
                return Err(refused.into());
            }
        };
        let source = &declared.templates[&ask.language];
        // Parsed once: what it reads decides what is opened, then it renders.
        let env = kroonika_processes::documents::environment();
        let parsed = env.template_from_str(source).map_err(unrenderable)?;
        let personal = kroonika_processes::documents::personal_fields(&parsed, definition);
        let mut data: BTreeMap<String, Value> = definition
            .fields
            .iter()
            .map(|f| {
                let value = match (&f.ty, case.data.get(&f.name)) {
                    // Who is listed, without names, unless the template
                    // reads them (then opened below).
                    (FieldType::People { .. }, Some(value)) => people::public(value),
                    (_, Some(value)) if f.personal.is_none() => value.clone(),
                    _ => Value::Null,
                };
                (f.name.clone(), value)
            })
            .collect();
        if !personal.is_empty() {
            let purpose = format!("document {} ({})", ask.document, ask.language);
            let opened = self
                .revealed_fields(request, &cx, case, id, &purpose, Some(&personal))
                .await?;
            for name in &personal {
                if let Some(value) = opened.get(name) {
                    data.insert(name.clone(), value.clone());
                }
            }
        }
        let partners = registry.partners()?;
        let labels = Labels::of(definition, Some(&case.state), &ask.language)
            .with_partners(definition, partners.as_deref(), &ask.language)
            .with_people(definition, &case.data);
        let page = Page {
            definition,
            version,
            case,
            labels: &labels,
            data,
            language: &ask.language,
            to: ask.to.as_deref(),
            produced_by: &actor.name,
            today: now.date_naive(),
        };
        let body = render(&parsed, page.context())?;
        let template = documents::template_hash(source);
        let html = page.frame(
            declared.title.get(&ask.language),
            &ask.document,
            &body,
            &template,
        );
        let outcome = self
            .execute(
                request,
                Some(&case.reference),
                CaseCommand::Document {
                    document: ask.document.clone(),
                    language: ask.language.clone(),
                    to: ask.to.clone(),
                },
            )
            .await?;
        Ok(Produced {
            file_name: format!("{}-{}-{}.html", case.reference, ask.document, ask.language),
            reference: case.reference.clone(),
            document: ask.document.clone(),
            language: ask.language.clone(),
            html,
            template,
            outcome,
        })
    }
}

/// Renders a template the checker accepted; one that fails now is the
/// definition's mistake, said as such.
fn render(template: &minijinja::Template<'_, '_>, context: Value) -> Result<String> {
    let out = template
        .render(minijinja::Value::from(minijinja::value::Serde(context)))
        .map_err(unrenderable)?;
    if out.len() > DOCUMENT_MAX {
        return Err(Rejection::new(
            Code::InvalidDefinition,
            format!(
                "the document came to {} bytes; at most {} are produced",
                out.len(),
                DOCUMENT_MAX
            ),
        )
        .into());
    }
    Ok(out)
}

fn unrenderable(err: minijinja::Error) -> crate::Error {
    reject(
        Code::InvalidDefinition,
        format!("the document's template could not be rendered: {err}"),
    )
}

/// Everything a document is rendered from.
struct Page<'a> {
    definition: &'a ProcessDefinition,
    version: u32,
    case: &'a Case,
    labels: &'a Labels,
    /// Every field's value, personal ones in the clear where the template
    /// reads them (null otherwise).
    data: BTreeMap<String, Value>,
    language: &'a str,
    to: Option<&'a str>,
    produced_by: &'a str,
    today: chrono::NaiveDate,
}

impl Page<'_> {
    /// The names of `kroonika_processes::documents::CONTEXT`, filled.
    fn context(&self) -> Value {
        let lang = self.language;
        let partners: BTreeMap<&str, Value> = self
            .definition
            .fields
            .iter()
            .filter(|f| matches!(f.ty, FieldType::Partner { .. }))
            .map(|f| {
                let name = self.data[&f.name]
                    .as_str()
                    .map(|id| self.labels.value(&f.name, id).to_owned());
                (f.name.as_str(), json!(name))
            })
            .collect();
        let to = self.to.map(|to| {
            let title = match self.definition.subjects.iter().find(|s| s.name == to) {
                Some(subject) => subject.title.get(lang).to_owned(),
                None if self.labels.subjects.contains_key(to) => self.labels.subjects[to].clone(),
                None => partners
                    .get(to)
                    .and_then(Value::as_str)
                    .unwrap_or(to)
                    .to_owned(),
            };
            json!({ "id": to, "title": title })
        });
        json!({
            "case": self.data,
            "labels": self.labels.values,
            "titles": self.labels.fields,
            "partners": partners,
            "reference": self.case.reference,
            "process": self.definition.title.get(lang),
            "version": self.version,
            "state": self.labels.state(&self.case.state),
            "today": self.today.to_string(),
            "produced_by": self.produced_by,
            "to": to,
        })
    }

    /// The whole page: the body between a heading that names the case and a
    /// footer that says what produced it, styled for the screen and paper.
    /// Its own policy lets it load and run nothing, also when opened from a
    /// file: a template is a service owner's text, not a program.
    fn frame(&self, title: &str, document: &str, body: &str, template: &str) -> String {
        let (produced, by_words) = match self.language {
            "et" => ("Koostatud", "koostaja"),
            "ru" => ("Составлено", "составитель"),
            _ => ("Produced", "by"),
        };
        let esc = |text: &str| minijinja::HtmlEscape(text).to_string();
        let short = template.get(..19).unwrap_or(template);
        format!(
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n<title>{title} · {reference}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header><p class=\"case\">{process} · {reference}</p><h1>{title}</h1></header>\n<main>\n{body}\n</main>\n<footer><p>{produced} {day}, {by_words} {by} · {id}@{version} · {document_id} · {short}</p></footer>\n</body>\n</html>\n",
            lang = esc(self.language),
            title = esc(title),
            reference = esc(&self.case.reference),
            process = esc(self.definition.title.get(self.language)),
            day = self.today.format("%d.%m.%Y"),
            by = esc(self.produced_by),
            id = esc(&self.definition.id),
            version = self.version,
            document_id = esc(document),
            short = esc(short),
        )
    }
}

/// Print-friendly and self-contained: no fonts, scripts or images to fetch.
const STYLE: &str = "body{font-family:Georgia,'Times New Roman',serif;max-width:42em;margin:2em auto;padding:0 1em;line-height:1.45;color:#111}\
header .case{font-size:.9em;color:#444;margin:0}h1{font-size:1.5em;margin:.2em 0 1em}h2{font-size:1.15em;margin-top:1.5em}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em .5em;text-align:left;vertical-align:top}\
.signatures{display:flex;gap:3em;margin-top:3em}.signatures div{flex:1;border-top:1px solid #111;padding-top:.3em}\
footer{margin-top:3em;font-size:.8em;color:#555;border-top:1px solid #ccc}\
@media print{body{margin:0;max-width:none}footer{position:fixed;bottom:0}}";
