//! The interface's words, in Estonian (the default) and English.
//!
//! Every string a page shows that is not data comes from [`MESSAGES`]: one
//! row a message, both languages side by side, so a missing translation is
//! a row with an empty column (a test refuses one). Templates read them as
//! `t.<key>`. Dates are written the Estonian way (`29.11.2026`) in both
//! languages, as the service's documents are.

use std::collections::BTreeMap;

use chrono::NaiveDate;

/// The languages of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Et,
    En,
}

/// The cookie that keeps the chosen language.
pub const COOKIE: &str = "kroonika_lang";

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Et => "et",
            Lang::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "et" => Some(Lang::Et),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of the page a template renders (its `lang`).
    pub fn of_page(state: &minijinja::State) -> Lang {
        state
            .lookup("lang")
            .and_then(|l| l.as_str().and_then(Lang::parse))
            .unwrap_or(Lang::Et)
    }

    /// The other language, offered by the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Et => Lang::En,
            Lang::En => Lang::Et,
        }
    }

    /// Every message in this language, by key.
    pub fn messages(self) -> BTreeMap<&'static str, &'static str> {
        MESSAGES
            .iter()
            .map(|(key, et, en)| {
                (
                    *key,
                    match self {
                        Lang::Et => *et,
                        Lang::En => *en,
                    },
                )
            })
            .collect()
    }
}

/// A time as the service reads it: on Tallinn's clock (summer time
/// included), `29.11.2026 16:05`. Pages say so in the column's heading.
pub fn time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Tallinn)
        .format("%d.%m.%Y %H:%M")
        .to_string()
}

/// A date as the service writes it: `29.11.2026`.
pub fn date(day: NaiveDate) -> String {
    day.format("%d.%m.%Y").to_string()
}

/// (key, Estonian, English).
pub const MESSAGES: &[(&str, &str, &str)] = &[
    ("app", "Kroonika", "Kroonika"),
    ("skip", "Jäta menüü vahele", "Skip to content"),
    ("language", "English", "Eesti keeles"),
    ("language_name", "eesti keel", "English"),
    ("sign_in", "Logi sisse", "Sign in"),
    ("sign_out", "Logi välja", "Sign out"),
    ("name", "Kasutajanimi", "User name"),
    ("password", "Parool", "Password"),
    ("signed_in_as", "Sisse logitud:", "Signed in as"),
    (
        "bad_sign_in",
        "Vale kasutajanimi või parool.",
        "Wrong user name or password.",
    ),
    (
        "too_many",
        "Liiga palju katseid. Oota veidi ja proovi uuesti.",
        "Too many attempts. Wait a little and try again.",
    ),
    ("my_work", "Minu töö", "My work"),
    ("cases", "Juhtumid", "Cases"),
    (
        "nothing_waits",
        "Praegu ei oota sinult ükski juhtum tegevust.",
        "Nothing waits for you now.",
    ),
    ("case", "Juhtum", "Case"),
    ("process", "Protsess", "Process"),
    ("state", "Seis", "State"),
    ("deadline", "Tähtaeg", "Deadline"),
    ("needs", "Ootab", "Needs"),
    ("you_can", "Saad teha", "You can"),
    ("guidance", "Juhis", "Guidance"),
    ("overdue", "tähtaeg ületatud", "overdue"),
    ("due_soon", "tähtaeg lähedal", "due soon"),
    ("on_time", "tähtaeg", "due"),
    ("today", "täna", "today"),
    ("working_days_left", "tööpäeva jäänud", "working days left"),
    ("working_days_late", "tööpäeva üle", "working days late"),
    ("all", "Kõik", "All"),
    ("filter", "Filtreeri", "Filter"),
    ("find", "Otsi", "Find"),
    ("find_case", "Leia juhtum", "Find a case"),
    ("reference", "Viitenumber", "Reference"),
    ("open_by_reference", "Ava", "Open"),
    (
        "find_person",
        "Otsi inimese nime või telefoni järgi",
        "Find by a person's name or phone",
    ),
    ("person_name", "Nimi", "Name"),
    ("phone", "Telefon", "Phone"),
    ("purpose", "Eesmärk (salvestatakse)", "Purpose (recorded)"),
    (
        "purpose_help",
        "Miks sa otsid või vaatad isikuandmeid? See kirjutatakse juurdepääsulogisse.",
        "Why you search or look at personal data. It is written to the access log.",
    ),
    ("found", "Leitud juhtumid", "Cases found"),
    (
        "found_none",
        "Ühtegi juhtumit, mida sul on lubatud näha, ei leitud. Otsing salvestati.",
        "No case found that you may see. The search was recorded.",
    ),
    ("matched", "Kelle andmed", "Whose data"),
    ("closed", "suletud", "closed"),
    ("version", "versioon", "version"),
    ("data", "Andmed", "Data"),
    ("hidden", "peidetud", "hidden"),
    ("erased", "kustutatud", "erased"),
    ("show_personal", "Näita isikuandmeid", "Show personal data"),
    ("checklist", "Kontrollnimekiri", "Checklist"),
    ("done", "tehtud", "done"),
    ("not_done", "tegemata", "not done"),
    ("required", "kohustuslik", "required"),
    ("optional", "valikuline", "optional"),
    ("tick", "Märgi tehtuks", "Mark done"),
    ("untick", "Võta märge tagasi", "Undo"),
    ("reason", "Põhjus", "Reason"),
    ("steps", "Järgmised sammud", "Next steps"),
    ("not_now", "Praegu mitte", "Not now"),
    ("leads_to", "viib seisu", "leads to"),
    ("stays", "seis ei muutu", "the state stays"),
    ("take", "Tee", "Do it"),
    ("notes", "Märkmed", "Notes"),
    ("add_note", "Lisa märge", "Add a note"),
    ("note", "Märge", "Note"),
    (
        "note_hidden",
        "Märkme tekst on isikuandmed: vaata isikuandmeid eesmärgiga.",
        "A note's text is personal data: show personal data with a purpose.",
    ),
    ("no_notes", "Märkmeid pole.", "No notes."),
    (
        "notices_due",
        "Teated ja kohustused",
        "Notices and duties owed",
    ),
    ("due_by", "tähtaeg", "due by"),
    ("notice_or_duty", "Teade või kohustus", "Notice or duty"),
    ("notice_to_send", "tegemata", "owed"),
    ("notice_sent", "Märgi saadetuks", "Record as sent"),
    ("sent_on", "Saadetud", "Sent on"),
    (
        "notice_reference",
        "Viide (kirja number)",
        "Reference (letter number)",
    ),
    ("documents", "Dokumendid", "Documents"),
    ("document_language", "Keel", "Language"),
    ("document_to", "Kellele", "For"),
    ("produce_document", "Koosta", "Produce"),
    ("language_et", "eesti", "Estonian"),
    ("language_ru", "vene", "Russian"),
    ("language_en", "inglise", "English"),
    (
        "documents_help",
        "Dokument avaneb uues aknas prindiks; selle koostamine kantakse juhtumi ajalukku ja, kui selles on nimesid, isikuandmete lugemise logisse.",
        "The document opens in a new window to print; producing it is written in the case's history and, where it holds names, in the log of personal data read.",
    ),
    ("history", "Ajalugu", "History"),
    ("legal_hold", "Kohtulik säilitamine", "Legal hold"),
    ("outcome", "Tulemus", "Outcome"),
    ("open_case", "Ava uus juhtum", "Open a case"),
    ("open", "Ava", "Open"),
    ("yes", "jah", "yes"),
    ("no", "ei", "no"),
    ("choose", "Vali", "Choose"),
    ("person_role", "Roll", "Role"),
    ("person_contact", "Kontakt", "Contact"),
    ("person_minor", "alaealine", "minor"),
    ("person_represents", "Esindab", "Represents"),
    (
        "person_more",
        "Veel ridu (kuni 12 inimest korraga)",
        "More rows (up to 12 people at once)",
    ),
    ("refused", "Keelduti", "Refused"),
    ("error", "Viga", "Error"),
    ("not_found", "Lehte ei leitud.", "There is no such page."),
    ("back", "Tagasi", "Back"),
    ("personal", "isikuandmed", "personal data"),
    ("when", "Millal", "When"),
    ("who", "Kes", "Who"),
    ("what", "Mis", "What"),
    ("recorded", "salvestatud", "recorded"),
    (
        "revealed_note",
        "Isikuandmed on näha; lugemine salvestati juurdepääsulogisse.",
        "Personal data is shown; the reading was recorded in the access log.",
    ),
    (
        "session_note",
        "Seanss lõpeb, kui oled tund aega tegevuseta.",
        "The session ends after an hour without activity.",
    ),
    ("values_between", "vahemikus", "between"),
    ("tallinn_time", "Tallinna aeg", "Tallinn time"),
    ("now", "praegu", "now"),
    ("people", "Inimesed", "People"),
    ("roles", "Rollid", "Roles"),
    ("role", "Roll", "Role"),
    ("region", "Piirkond", "Region"),
    ("every_region", "kõik", "every"),
    ("given_by_process", "Protsessi antud", "Given by a process"),
    ("grant", "Anna roll", "Grant"),
    ("revoke", "Võta ära", "Revoke"),
    ("set", "Määra", "Set"),
    ("token", "Võti programmile", "Token for a program"),
    ("tokens", "Programmide võtmed", "Programs' tokens"),
    ("issue", "Väljasta", "Issue"),
    ("issued", "Väljastatud", "Issued"),
    ("register", "Lisa inimene", "Register a person"),
    (
        "done_said",
        "Tehtud (võtit näidatakse ainult praegu)",
        "Done (a token is shown this once only)",
    ),
    ("definitions", "Protsessid", "Processes"),
    ("published_by", "Avaldas", "Published by"),
    ("links", "Lingid", "Links"),
    ("edit", "Muuda", "Edit"),
    ("diagram", "Skeem", "Diagram"),
    ("report", "Aruanne", "Report"),
    (
        "editor",
        "Protsessi kirjeldus (YAML)",
        "Process definition (YAML)",
    ),
    ("yaml", "Kirjelduse tekst", "The definition's text"),
    ("check", "Kontrolli", "Check"),
    ("publish", "Avalda", "Publish"),
    ("published", "Avaldatud", "Published"),
    ("no_errors", "Vigu ei leitud.", "No errors found."),
    ("warnings", "hoiatust", "warnings"),
    (
        "errors_found",
        "viga; avaldada ei saa, enne kui need on parandatud.",
        "errors; it cannot be published until they are fixed.",
    ),
    ("line", "rida", "line"),
    ("column", "veerg", "column"),
    (
        "source_lines",
        "Tekst koos leitud vigadega",
        "The text with what was found",
    ),
    ("audit", "Audit", "Audit"),
    ("trail", "Auditi jälg", "Audit trail"),
    ("access_log", "Juurdepääsulogi", "Access log"),
    ("verify", "Kontrolli logi", "Verify the log"),
    (
        "verified",
        "Logi on terve: ahel klapib ja iga sündmus vastab oma reeglitele.",
        "The log is intact: the chain holds and every event conforms to its rules.",
    ),
    ("not_verified", "Logi ei ole terve", "The log is not intact"),
    ("events", "Sündmusi", "Events"),
    ("head", "Logi pea", "Head"),
    ("position", "positsioon", "position"),
    (
        "head_help",
        "Kirjuta logi pea räsi üles: hiljem näitab `audit verify --against`, et ajalugu selleni pole muudetud.",
        "Write the head's hash down: later, `audit verify --against` shows that history up to it has not been changed.",
    ),
    ("from", "Alates", "From"),
    ("to", "Kuni", "To"),
    ("rows_found", "rida", "rows"),
    ("newest_shown", "näidatakse uusimat", "the newest shown:"),
    ("format", "kuju", "format"),
    ("reports", "Aruanded", "Reports"),
    ("period", "Periood", "Period"),
    ("whole", "kogu aeg korraga", "all at once"),
    ("month", "kuu", "month"),
    ("quarter", "kvartal", "quarter"),
    ("year", "aasta", "year"),
    ("by", "Jaotus", "Broken down by"),
    ("no_breakdown", "ei jaota", "not broken down"),
    (
        "as_of",
        "Seisuga (nagu salvestatud selleks ajaks)",
        "As of (as recorded by then)",
    ),
    ("show", "Näita", "Show"),
    ("csv_download", "Laadi alla CSV", "Download CSV"),
    ("printable", "Prinditav aruanne", "Printable report"),
    (
        "suppressed_note",
        "Arvud 1 kuni 4 on näidatud kui <5, et ükski väike rühm ei osutaks inimesele; osakaal on näidatud, kui see on vähemalt 5 juhtumi kohta, muu väikese arvu pealt arvutatu kui –.",
        "Counts from 1 to 4 are shown as <5 so that no small group points at a person; a share is shown when what it is a share of counts at least 5 cases, other figures built on a small count as –.",
    ),
    ("all_cases", "Kõik juhtumid", "All cases"),
    ("cases_from", "Juhtumid alates", "Cases from"),
    ("the_start", "algusest", "the start"),
    ("until", "kuni", "to"),
    ("until_now", "praeguseni", "now"),
    ("recorded_by", "nagu salvestatud seisuga", "as recorded by"),
    ("judged_on", "seisuga", "as of"),
    ("opened_count", "avatud", "opened"),
    ("open_count", "pooleli", "open"),
    ("closed_count", "lõpetatud", "closed"),
    ("funnel", "Juhtumite teekond", "Funnel"),
    ("reached", "Jõudis", "Reached"),
    ("there_now", "Praegu seal", "There now"),
    (
        "outcomes",
        "Kuidas juhtumid lõppesid",
        "How closed cases ended",
    ),
    ("cases_count", "Juhtumeid", "Cases"),
    (
        "opened_per_month",
        "Avatud juhtumid kuude kaupa",
        "Cases opened per month",
    ),
    (
        "deadlines",
        "Tähtaegadest kinnipidamine",
        "Deadline compliance",
    ),
    ("deadline_in", "Tähtaeg seisus", "Deadline in state"),
    ("met", "Peeti kinni", "Met"),
    ("missed", "Ületati", "Missed"),
    ("pending", "Ootel", "Pending"),
    ("met_share", "Kinni peetud osakaal", "Met share"),
    ("metrics", "Mõõdikud", "Metrics"),
    ("metric", "Mõõdik", "Metric"),
    ("group", "Rühm", "Group"),
    ("value", "Väärtus", "Value"),
    ("basis", "Alus", "Basis"),
    ("median", "mediaan", "median"),
    ("days", "päeva", "days"),
    ("working_days", "tööpäeva", "working days"),
    ("p90", "90. protsentiil", "90th percentile"),
    ("mean", "keskmine", "mean"),
    ("answers", "vastust", "answers"),
    ("at_or_more", "vähemalt", "at or above"),
    ("responded", "vastas", "responded"),
    ("of_word", "/", "of"),
    ("cohort", "kohort", "cohort"),
    (
        "counts_closed",
        "arvestab lõpetatud juhtumeid",
        "counts closed cases",
    ),
    (
        "counts_older",
        "arvestab juhtumeid, mis on vähemalt nii vanad:",
        "counts cases at least this old:",
    ),
    (
        "no_report",
        "Aruannet ei saa näidata",
        "The report cannot be shown",
    ),
    ("pick_process", "Vali protsess", "Choose a process"),
    (
        "migration_plan",
        "Käimasolevate juhtumite üleviimine",
        "Moving running cases",
    ),
    (
        "migration_help",
        "Mis juhtuks iga käimasoleva juhtumiga, kui see viia selle protsessi viimasele versioonile (kroonika case migrate).",
        "What would happen to each running case if it were moved to this process's latest version (kroonika case migrate).",
    ),
    ("to_version", "Versioonile", "To version"),
    ("verdict", "Tulemus", "Verdict"),
    ("automatic", "saab viia ise", "automatic"),
    (
        "needs_mapping",
        "vajab seisude vastavust",
        "needs a state mapping",
    ),
    ("cannot", "ei saa viia", "cannot be moved"),
    (
        "nothing_to_move",
        "Vanematel versioonidel pole ühtegi käimasolevat juhtumit.",
        "No running case is on an older version.",
    ),
    ("detail", "Selgitus", "Detail"),
    ("any_open_state", "igas avatud seisus", "any open state"),
    ("place_hold", "Sea säilitamiskohustus", "Place a legal hold"),
    (
        "release_hold",
        "Lõpeta säilitamiskohustus",
        "Release the legal hold",
    ),
    (
        "hold_help",
        "Säilitamiskohustuse ajal ei kustutata juhtumi isikuandmeid, ei säilitustähtaja möödudes ega käsitsi.",
        "While a legal hold is in place, the case's personal data is not erased, by retention or by hand.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_both_languages_and_one_key() {
        let mut keys = std::collections::BTreeSet::new();
        for (key, et, en) in MESSAGES {
            assert!(keys.insert(*key), "'{key}' twice");
            assert!(!et.trim().is_empty() && !en.trim().is_empty(), "{key}");
        }
        assert_eq!(Lang::Et.messages().len(), MESSAGES.len());
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 11, 9).unwrap_or_default()),
            "09.11.2026"
        );
        let at = |text: &str| {
            text.parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap_or_default()
        };
        assert_eq!(
            time(at("2026-11-29T14:05:00Z")),
            "29.11.2026 16:05",
            "winter: +2"
        );
        assert_eq!(
            time(at("2026-07-01T14:05:00Z")),
            "01.07.2026 17:05",
            "summer: +3"
        );
    }
}
