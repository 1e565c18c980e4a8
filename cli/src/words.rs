//! The CLI's own words in Estonian, where a language is asked for (`--lang
//! et`). Keyed by the English text, which is what is shown otherwise, so a
//! missing row shows English rather than nothing. Messages and diagnostics
//! stay in English.

const ESTONIAN: &[(&str, &str)] = &[
    ("case", "juhtum"),
    ("process", "protsess"),
    ("version", "versioon"),
    ("state", "seis"),
    ("since", "alates"),
    ("guidance", "juhis"),
    ("outcome", "tulemus"),
    ("deadline", "tähtaeg"),
    ("notice due", "teade saata"),
    ("legal hold", "säilitamiskohustus"),
    ("data", "andmed"),
    ("data subjects", "andmesubjektid"),
    ("tasks", "ülesanded"),
    ("notes", "märkmed"),
    ("done", "tehtud"),
    ("required", "vajalik"),
    ("not required", "pole vajalik"),
    ("you can now", "saad nüüd"),
    ("not now", "praegu mitte"),
    ("inputs", "sisend"),
    ("(stays)", "(jääb samasse seisu)"),
    ("due today", "tähtaeg täna"),
    ("due", "tähtaeg ees"),
    ("warned", "hoiatatud"),
    ("overdue", "tähtaeg ületatud"),
    ("working days left", "tööpäeva jäänud"),
    ("working days late", "tööpäeva üle"),
    ("escalates to", "teavitatakse"),
    ("yes", "jah"),
    ("minor", "alaealine"),
    ("represents", "esindab"),
    ("no", "ei"),
    ("title", "pealkiri"),
    ("content hash", "sisu räsi"),
    ("published", "avaldatud"),
    ("by", "kes"),
    ("states", "seisud"),
    ("terminal", "lõppseis"),
    ("source", "lähtetekst"),
    ("steps", "sammud"),
    ("within", "jooksul"),
    ("cases", "juhtumid"),
    ("opened", "avatud"),
    ("open", "pooleli"),
    ("of which overdue", "neist tähtaja ületanud"),
    ("closed", "lõpetatud"),
    ("reached", "jõudis"),
    ("in it now", "praegu seal"),
    ("deadline in", "tähtaeg seisus"),
    ("met", "peetud"),
    ("missed", "ületatud"),
    ("pending", "ootel"),
    ("met share", "peetud osakaal"),
    ("metric", "näitaja"),
    ("period", "periood"),
    ("value", "väärtus"),
    ("basis", "alus"),
    ("no cases", "juhtumeid pole"),
];

/// `english` in `lang` (Estonian where it is known; else as it is).
pub(crate) fn word(lang: Option<&str>, english: &'static str) -> &'static str {
    if lang != Some("et") {
        return english;
    }
    ESTONIAN
        .iter()
        .find(|(en, _)| *en == english)
        .map_or(english, |(_, et)| et)
}

/// A duration's text (`5 working days`) in `lang`.
pub(crate) fn duration(lang: Option<&str>, d: &kroonika_engine::calendar::Duration) -> String {
    use kroonika_engine::calendar::DurationUnit;
    if lang != Some("et") {
        return d.to_string();
    }
    let n = d.amount;
    let unit = match (d.unit, n == 1) {
        (DurationUnit::Days, true) => "päev",
        (DurationUnit::Days, false) => "päeva",
        (DurationUnit::WorkingDays, true) => "tööpäev",
        (DurationUnit::WorkingDays, false) => "tööpäeva",
        (DurationUnit::Weeks, true) => "nädal",
        (DurationUnit::Weeks, false) => "nädalat",
        (DurationUnit::Months, true) => "kuu",
        (DurationUnit::Months, false) => "kuud",
        (DurationUnit::Years, true) => "aasta",
        (DurationUnit::Years, false) => "aastat",
    };
    format!("{n} {unit}")
}
