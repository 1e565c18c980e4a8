//! The volunteer hours report: the hours people gave, by activity and period,
//! across every process whose steps record hours (`kroonika hours`).
//!
//! Aggregates follow the rule of every report: a figure made from fewer than
//! five people is not shown (`<5`, and its hours left out). Each volunteer's
//! own totals are a reading about a person: only coordinators may ask, with a
//! purpose, and the reading is recorded in their access stream before the
//! answer leaves (like a reveal), naming whose totals were shown.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use kroonika_engine::Code;
use kroonika_engine::access::AccessEvent;
use kroonika_engine::actors;
use kroonika_engine::definition::ACTIVITIES;
use kroonika_projections::hours::{CaseHours, VolunteerHours};
use kroonika_projections::metrics::{ALL, Period, SUPPRESS_BELOW, shown};
use serde_json::{Value, json};

use crate::App;
use crate::command::Request;
use crate::error::{Error, Result, reject};

/// Who may read the aggregate hours.
pub const READERS: [&str; 5] = [
    "coordinator",
    "volunteer-expert",
    "regional-lead",
    actors::SERVICE_OWNER,
    actors::AUDITOR,
];
/// Who may read each volunteer's own totals.
pub const PER_PERSON: [&str; 1] = ["coordinator"];

/// What the hours report is asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoursQuery {
    /// Only hours given on or after this day.
    pub from: Option<NaiveDate>,
    /// … on or before this day.
    pub to: Option<NaiveDate>,
    pub period: Option<Period>,
    /// Each volunteer's own totals too, for this purpose (recorded).
    pub per_volunteer: Option<String>,
}

impl App {
    /// The volunteer hours report, as its JSON form.
    pub async fn volunteer_hours(&self, request: &Request, asked: &HoursQuery) -> Result<Value> {
        if let Some(purpose) = &asked.per_volunteer
            && purpose.trim().is_empty()
        {
            return Err(reject(
                Code::MissingInput,
                "each volunteer's hours are shown for a stated purpose: --purpose TEXT (it is recorded)",
            ));
        }
        let actor = if request.operator && request.actor.is_empty() {
            None
        } else {
            let judged = async {
                let (actor, _) = self.acting(&request.actor).await?;
                actor.require_any(&READERS, "read the volunteer hours report")?;
                if asked.per_volunteer.is_some() {
                    actor.require_any(&PER_PERSON, "see each volunteer's hours")?;
                }
                Ok::<_, Error>(actor)
            }
            .await;
            Some(self.recorded(request, None, judged).await?)
        };
        let mut catalog = self.catalog().await?;
        let (docs, today) = self.documents(&mut catalog, &VolunteerHours, None).await?;
        let mut cases = Vec::with_capacity(docs.len());
        for doc in docs {
            cases.push(CaseHours::from_doc(doc).map_err(Error::Invalid)?);
        }
        let report = build(&cases, asked, today);
        if let Some(purpose) = &asked.per_volunteer {
            let volunteers: Vec<String> = report["volunteers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v["volunteer"].as_str())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(str::to_owned)
                .collect();
            let record = AccessEvent::VolunteerHoursShown {
                volunteers,
                from: asked.from,
                to: asked.to,
                purpose: purpose.trim().to_owned(),
            };
            // Recorded before anything is shown: no record, no answer.
            let name = actor.as_ref().map_or("operator", |a| a.name.as_str());
            self.record_access(name, &record, None)
                .await
                .map_err(|err| err.context("recording who saw the hours"))?;
        }
        Ok(report)
    }
}

/// Sums per (period, activity): hours, entries and the people who gave them.
#[derive(Default)]
struct Sum {
    hours: f64,
    entries: u64,
    people: BTreeSet<String>,
}

fn build(cases: &[CaseHours], asked: &HoursQuery, today: NaiveDate) -> Value {
    let mut cells: BTreeMap<(String, String), Sum> = BTreeMap::new();
    let mut people: BTreeMap<(String, String), BTreeMap<String, f64>> = BTreeMap::new();
    let mut processes: BTreeSet<&str> = BTreeSet::new();
    for case in cases {
        for entry in &case.entries {
            if asked.from.is_some_and(|f| entry.on < f) || asked.to.is_some_and(|t| entry.on > t) {
                continue;
            }
            processes.insert(&case.process);
            let period = asked
                .period
                .map_or_else(|| ALL.to_owned(), |p| p.label(entry.on));
            for activity in [entry.activity.as_str(), ALL] {
                let sum = cells
                    .entry((period.clone(), activity.to_owned()))
                    .or_default();
                sum.hours += entry.hours;
                sum.entries += 1;
                sum.people.insert(entry.who.clone());
            }
            if asked.per_volunteer.is_some() {
                let mine = people
                    .entry((entry.who.clone(), period.clone()))
                    .or_default();
                *mine.entry(entry.activity.clone()).or_default() += entry.hours;
                *mine.entry(ALL.to_owned()).or_default() += entry.hours;
            }
        }
    }
    let order = |activity: &str| {
        ACTIVITIES
            .iter()
            .position(|a| *a == activity)
            .unwrap_or(ACTIVITIES.len())
    };
    let mut rows: Vec<(&(String, String), &Sum)> = cells.iter().collect();
    rows.sort_by_key(|((period, activity), _)| (period.clone(), order(activity)));
    let rows: Vec<Value> = rows
        .into_iter()
        .map(|((period, activity), sum)| {
            let n = sum.people.len() as u64;
            let enough = n >= SUPPRESS_BELOW;
            json!({
                "period": period,
                "activity": activity,
                "volunteers": shown(n),
                "entries": enough.then_some(sum.entries),
                "hours": enough.then(|| round(sum.hours)),
            })
        })
        .collect();
    let volunteers: Option<Vec<Value>> = asked.per_volunteer.as_ref().map(|_| {
        people
            .iter()
            .map(|((who, period), by)| {
                let hours: serde_json::Map<String, Value> = by
                    .iter()
                    .filter(|(a, _)| a.as_str() != ALL)
                    .map(|(a, h)| (a.clone(), json!(round(*h))))
                    .collect();
                json!({
                    "volunteer": who,
                    "period": period,
                    "hours": hours,
                    "total": round(by.get(ALL).copied().unwrap_or_default()),
                })
            })
            .collect()
    });
    json!({
        "report": "volunteer-hours",
        "from": asked.from,
        "to": asked.to,
        "period": asked.period.map(|p| format!("{p:?}").to_lowercase()),
        "day": today,
        "suppressed_below": SUPPRESS_BELOW,
        "activities": ACTIVITIES,
        "processes": processes,
        "rows": rows,
        "volunteers": volunteers,
    })
}

fn round(hours: f64) -> f64 {
    (hours * 100.0).round() / 100.0
}

/// An activity in words, in `lang` (et or en).
pub fn activity_label(activity: &str, lang: &str) -> &'static str {
    let (et, en) = match activity {
        "mediation" => ("Vahendus ja lepitus", "Mediation"),
        "preparation" => ("Ettevalmistus", "Preparation"),
        "crisis" => ("Kriisiabi", "Crisis support"),
        "outreach" => ("Teavitus ja ennetus", "Outreach"),
        "training" => ("Koolitus", "Training"),
        "supervision" => ("Supervisioon ja järelarutelu", "Supervision and debriefs"),
        "other" => ("Muu", "Other"),
        _ => ("Kokku", "All"),
    };
    if lang == "et" { et } else { en }
}

/// The hours report as CSV, one figure a row:
/// `section,period,activity,volunteer,measure,value` (ids, not words, so a
/// program reads it in any language); a suppressed count as `<5`, a figure
/// built on it empty.
pub fn csv(report: &Value) -> String {
    let mut text = String::from("section,period,activity,volunteer,measure,value\n");
    let mut put = |section: &str,
                   period: &str,
                   activity: &str,
                   who: &str,
                   measure: &str,
                   value: &Value,
                   is_count: bool| {
        super::csv::row(
            &mut text,
            [section, period, activity, who, measure],
            value,
            is_count,
        );
    };
    for row in report["rows"].as_array().into_iter().flatten() {
        let (period, activity) = (
            row["period"].as_str().unwrap_or(""),
            row["activity"].as_str().unwrap_or(""),
        );
        put(
            "activity",
            period,
            activity,
            "",
            "hours",
            &row["hours"],
            false,
        );
        put(
            "activity",
            period,
            activity,
            "",
            "volunteers",
            &row["volunteers"],
            true,
        );
        put(
            "activity",
            period,
            activity,
            "",
            "entries",
            &row["entries"],
            false,
        );
    }
    for row in report["volunteers"].as_array().into_iter().flatten() {
        let (period, who) = (
            row["period"].as_str().unwrap_or(""),
            row["volunteer"].as_str().unwrap_or(""),
        );
        for (activity, hours) in row["hours"].as_object().into_iter().flatten() {
            put("volunteer", period, activity, who, "hours", hours, false);
        }
        put("volunteer", period, ALL, who, "hours", &row["total"], false);
    }
    text
}
