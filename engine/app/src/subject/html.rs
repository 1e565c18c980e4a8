//! The subject access export as the person reads it: one self-contained HTML
//! page (inline CSS, no scripts, fonts or images from anywhere) in Estonian or
//! English, that prints on A4 as it shows on screen. Well-formed XML, like the
//! report's page, so tests can parse it.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::{AccessEntry, Shown, SubjectCase, SubjectExport};
use crate::reports::html::esc;

const STYLE: &str = r#"
:root { --ink: #1b2733; --muted: #5b6670; --line: #d5dbe0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0 0 .4rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .6rem; border-bottom: 2px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
p.note { color: var(--muted); margin: .2rem 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { width: 14rem; }
table.rows th { width: auto; }
.erased { font-weight: bold; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-before: page; }
  h2:first-of-type { break-before: avoid; }
  table { break-inside: auto; }
  tr { break-inside: avoid; }
}
"#;

/// The export's page.
pub fn render(export: &SubjectExport) -> String {
    let w = Words::of(&export.lang);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"/><title>{}</title><style>{STYLE}</style></head><body>\n",
        export.lang, w.title
    );
    let _ = write!(page, "<h1>{}</h1>\n<table>", w.title);
    row(&mut page, w.produced, &time(export.produced_at));
    row(&mut page, w.produced_by, &export.produced_by);
    row(&mut page, w.purpose, &export.purpose);
    row(&mut page, w.cases_found, &export.cases.len().to_string());
    page.push_str("</table>\n");
    let _ = writeln!(page, "<p class=\"note\">{}</p>", esc(w.intro));
    for case in &export.cases {
        render_case(&mut page, case, &w);
    }
    let _ = writeln!(page, "<h2>{}</h2>", w.who_has_seen);
    let _ = writeln!(page, "<p class=\"note\">{}</p>", esc(w.who_note));
    access_table(&mut page, &export.access, &w);
    page.push_str("</body></html>\n");
    page
}

fn render_case(page: &mut String, case: &SubjectCase, w: &Words) {
    let _ = write!(
        page,
        "<h2>{} {}</h2>\n<table>",
        esc(&case.process_title),
        esc(&case.reference)
    );
    row(page, w.you_are, &case.subject_title);
    row(page, w.state, &case.state_title);
    if let Some(at) = case.opened_at {
        row(page, w.opened, &time(at));
    }
    if let Some(at) = case.closed_at {
        row(page, w.closed, &time(at));
    }
    match (&case.erased, case.retention_until, &case.legal_hold) {
        (Some(_), _, _) => {}
        (None, _, Some(hold)) => row(page, w.legal_hold, hold),
        (None, Some(day), None) => row(page, w.retention, &day.format("%d.%m.%Y").to_string()),
        (None, None, None) if case.closed => row(page, w.retention, w.kept_no_period),
        (None, None, None) => row(page, w.retention, w.while_open),
    }
    page.push_str("</table>\n");
    if let Some(erasure) = &case.erased {
        let _ = writeln!(
            page,
            "<p class=\"erased\">{} {} ({}).</p>",
            esc(w.erased_on),
            time(erasure.at),
            esc(&erasure.reason)
        );
    }
    let _ = writeln!(page, "<h3>{}</h3>", w.your_data);
    fields(page, &case.personal_data, w);
    let _ = writeln!(page, "<h3>{}</h3>", w.facts);
    fields(page, &case.facts, w);
    if case.notes > 0 {
        let _ = writeln!(
            page,
            "<p class=\"note\">{}</p>",
            esc(&w.notes.replace("{n}", &case.notes.to_string()))
        );
    }
    if !case.corrections.is_empty() {
        let _ = write!(
            page,
            "<h3>{}</h3>\n<table class=\"rows\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            w.corrections, w.when, w.fields, w.reason, w.request
        );
        for c in &case.corrections {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(c.at),
                esc(&c.fields.join(", ")),
                esc(&c.reason),
                esc(c.request.as_deref().unwrap_or("—"))
            );
        }
        page.push_str("</table>\n");
    }
    let _ = write!(
        page,
        "<h3>{}</h3>\n<table class=\"rows\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        w.history, w.when, w.who, w.what
    );
    for entry in &case.history {
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            time(entry.at),
            esc(&who(&entry.by, w)),
            esc(&entry.what)
        );
    }
    page.push_str("</table>\n");
}

fn fields(page: &mut String, shown: &[Shown], w: &Words) {
    if shown.is_empty() {
        let _ = writeln!(page, "<p class=\"note\">{}</p>", esc(w.nothing));
        return;
    }
    page.push_str("<table>");
    for field in shown {
        row(page, &field.title, &field.text);
    }
    page.push_str("</table>\n");
}

fn access_table(page: &mut String, access: &[AccessEntry], w: &Words) {
    let _ = write!(
        page,
        "<table class=\"rows\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        w.when, w.who, w.role, w.case, w.what, w.purpose
    );
    for entry in access {
        let what = match entry.what.as_str() {
            "revealed" => w.revealed,
            "searched" => w.searched,
            "exported" => w.exported,
            "refused" => w.refused,
            other => other,
        };
        let _ = write!(
            page,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            time(entry.at),
            esc(&who(&entry.actor, w)),
            esc(&entry.roles.join(", ")),
            esc(&entry.case),
            esc(what),
            esc(&entry.purpose)
        );
    }
    page.push_str("</table>\n");
}

fn who(actor: &str, w: &Words) -> String {
    if actor == kroonika_engine::actors::SYSTEM {
        w.system.to_owned()
    } else {
        actor.to_owned()
    }
}

fn row(page: &mut String, title: &str, value: &str) {
    let _ = write!(
        page,
        "<tr><th>{}</th><td>{}</td></tr>",
        esc(title),
        esc(value)
    );
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%d.%m.%Y %H:%M UTC").to_string()
}

/// `yes` or `no` in the language.
pub(crate) fn yes_no(yes: bool, lang: &str) -> &'static str {
    match (yes, lang == "et") {
        (true, true) => "jah",
        (false, true) => "ei",
        (true, false) => "yes",
        (false, false) => "no",
    }
}

/// The page's words.
struct Words {
    title: &'static str,
    produced: &'static str,
    produced_by: &'static str,
    purpose: &'static str,
    cases_found: &'static str,
    intro: &'static str,
    you_are: &'static str,
    state: &'static str,
    opened: &'static str,
    closed: &'static str,
    legal_hold: &'static str,
    retention: &'static str,
    kept_no_period: &'static str,
    while_open: &'static str,
    erased_on: &'static str,
    your_data: &'static str,
    facts: &'static str,
    notes: &'static str,
    nothing: &'static str,
    corrections: &'static str,
    when: &'static str,
    fields: &'static str,
    reason: &'static str,
    request: &'static str,
    history: &'static str,
    who: &'static str,
    what: &'static str,
    role: &'static str,
    case: &'static str,
    who_has_seen: &'static str,
    who_note: &'static str,
    revealed: &'static str,
    searched: &'static str,
    exported: &'static str,
    refused: &'static str,
    system: &'static str,
}

impl Words {
    fn of(lang: &str) -> Words {
        if lang == "et" {
            Words {
                title: "Teie andmed ohvriabis",
                produced: "Koostatud",
                produced_by: "Koostaja",
                purpose: "Eesmärk",
                cases_found: "Juhtumeid",
                intro: "Siin on kõik, mida Sotsiaalkindlustusameti ohvriabi teie kohta juhtumites hoiab: teie isikuandmed, juhtumi üldandmed ja käik, parandused, säilitamise tähtaeg, ning kes on teie andmeid vaadanud ja miks. Teiste inimeste andmeid see väljavõte ei sisalda.",
                you_are: "Teie roll juhtumis",
                state: "Seis",
                opened: "Avatud",
                closed: "Lõpetatud",
                legal_hold: "Säilitamiskohustus",
                retention: "Isikuandmed kustutatakse",
                kept_no_period: "säilitustähtaega pole määratud",
                while_open: "pärast juhtumi lõppu säilitustähtaja möödudes",
                erased_on: "Teie isikuandmed selles juhtumis kustutati",
                your_data: "Teie isikuandmed",
                facts: "Juhtumi üldandmed",
                notes: "Juhtumi päevikus on {n} märget; nende tekst võib puudutada ka teisi inimesi ja seda väljavõttes ei ole. Soovi korral vaatab teenistus need koos teiega läbi.",
                nothing: "Andmeid pole.",
                corrections: "Parandused",
                when: "Millal",
                fields: "Andmed",
                reason: "Põhjus",
                request: "Taotlus",
                history: "Juhtumi käik",
                who: "Kes",
                what: "Mida",
                role: "Roll",
                case: "Juhtum",
                who_has_seen: "Kes on teie andmeid vaadanud",
                who_note: "Iga kord, kui keegi teie isikuandmeid avas, teid otsis, nendest väljavõtte tegi või kellelgi selleks õigust polnud, on kirjas: millal, kes, mis rollis ja millisel eesmärgil.",
                revealed: "vaatas isikuandmeid",
                searched: "otsis nime järgi",
                exported: "tegi väljavõtte",
                refused: "keelduti (õigus puudus)",
                system: "süsteem (automaatne)",
            }
        } else {
            Words {
                title: "Your data at victim support",
                produced: "Produced",
                produced_by: "Produced by",
                purpose: "Purpose",
                cases_found: "Cases",
                intro: "This is everything the Social Insurance Board's victim support holds about you in its cases: your personal data, the cases' general facts and course, corrections, when your data will be erased, and who has seen your data and why. It contains no one else's data.",
                you_are: "Your part in the case",
                state: "State",
                opened: "Opened",
                closed: "Closed",
                legal_hold: "Legal hold",
                retention: "Personal data erased on",
                kept_no_period: "no retention period set",
                while_open: "once the retention period after the case closes has passed",
                erased_on: "Your personal data in this case was erased on",
                your_data: "Your personal data",
                facts: "The case's general facts",
                notes: "The case's journal holds {n} note(s); their text may concern other people too and is not in this export. On request the service reviews them with you.",
                nothing: "None.",
                corrections: "Corrections",
                when: "When",
                fields: "Data",
                reason: "Reason",
                request: "Request",
                history: "The case's course",
                who: "Who",
                what: "What",
                role: "Role",
                case: "Case",
                who_has_seen: "Who has seen your data",
                who_note: "Every time someone opened your personal data, looked you up, exported it, or was refused for want of a right, it was recorded: when, who, in which role and for what purpose.",
                revealed: "viewed personal data",
                searched: "searched by name",
                exported: "made an export",
                refused: "refused (no right)",
                system: "the system (automatic)",
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;
    use uuid::Uuid;

    use super::super::{Correction, Erasure, HistoryEntry};
    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    /// One case, as the export gathers it: a correction answering a
    /// request, a reading, a refusal and the system's own act.
    fn export(lang: &str, erased: bool) -> SubjectExport {
        let shown = |field: &str, title: &str, text: &str| Shown {
            field: field.to_owned(),
            title: title.to_owned(),
            value: json!(text),
            text: text.to_owned(),
        };
        let entry = |actor: &str, roles: &[&str], what: &str, purpose: &str| AccessEntry {
            at: at(20, 10),
            actor: actor.to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            system: actor == "system",
            what: what.to_owned(),
            case: "LE-2026-0001".to_owned(),
            purpose: purpose.to_owned(),
        };
        let name = if erased { "[erased]" } else { "Kadri <Kask>" };
        SubjectExport {
            produced_at: at(29, 12),
            produced_by: "mari".to_owned(),
            purpose: "request SKA-2026/17".to_owned(),
            lang: lang.to_owned(),
            found_by: vec!["name".to_owned()],
            cases: vec![SubjectCase {
                reference: "LE-2026-0001".to_owned(),
                case_id: Uuid::from_u128(1),
                process: "mediation".to_owned(),
                process_title: "Lepitus".to_owned(),
                subject: "victim".to_owned(),
                subject_title: "Kannatanu".to_owned(),
                subject_id: Uuid::from_u128(2),
                state: "closed".to_owned(),
                state_title: "Lõpetatud".to_owned(),
                closed: true,
                outcome: Some("fulfilled".to_owned()),
                opened_at: Some(at(2, 9)),
                closed_at: Some(at(27, 15)),
                personal_data: vec![shown("victim_name", "Kannatanu nimi", name)],
                facts: vec![shown("track", "Menetluse liik", "Lepitusmenetlus")],
                history: vec![HistoryEntry {
                    at: at(2, 9),
                    recorded_at: at(2, 9),
                    by: "mari".to_owned(),
                    what: "avas juhtumi LE-2026-0001: Suunatud".to_owned(),
                }],
                corrections: vec![Correction {
                    at: at(21, 9),
                    by: "mari".to_owned(),
                    fields: vec!["Kannatanu kontakt".to_owned()],
                    personal: true,
                    reason: "new number".to_owned(),
                    request: Some("SKA-2026/16".to_owned()),
                }],
                notes: 2,
                erased: erased.then(|| Erasure {
                    at: at(28, 8),
                    by: "anu".to_owned(),
                    reason: "the person's request".to_owned(),
                }),
                retention_until: Some(chrono::NaiveDate::from_ymd_opt(2031, 11, 27).unwrap()),
                legal_hold: None,
            }],
            access: vec![
                entry("ants", &["mediator"], "revealed", "calling the victim"),
                entry(
                    "jaan",
                    &["mediator"],
                    "refused",
                    "case show --reveal: no right",
                ),
                entry("system", &[], "exported", "retention"),
            ],
        }
    }

    #[test]
    fn the_persons_page_in_estonian_and_english() {
        insta::assert_snapshot!("subject_export_et", render(&export("et", false)));
        insta::assert_snapshot!("subject_export_en", render(&export("en", true)));
    }
}
