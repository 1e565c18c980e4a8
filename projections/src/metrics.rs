//! Computing a report from case facts: the funnel, deadline compliance, and
//! the metrics the service owner declared.
//!
//! Pure arithmetic over [`Facts`]; the CLI renders the result. Numbers here are
//! exact and unsuppressed; [`shown`] is the one rule that turns a count into
//! what aggregate output may print (a count from 1 to 4 is hidden, so that a
//! small region or month cannot point at a person). Every renderer goes through
//! it, so no format can leak what another hides.
//!
//! Conventions, also in `processes/README.md`: a case reaches a milestone at the
//! first time it does; dates are the UTC day of occurred-at; a calendar duration
//! is the difference in days, a working-day one the Estonian working days after
//! the start up to and including the end; the median of an even count is the
//! mean of the middle two; the 90th percentile is the nearest rank.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kroonika_engine::calendar::is_working_day;
use kroonika_engine::definition::{
    Cohort, FieldType, Maturity, Metric, MetricKind, Milestone, ProcessDefinition,
};
use serde_json::Value;

use crate::facts::{DeadlineStatus, Facts};

/// Counts below this (and above zero) are not shown in aggregate output.
pub const SUPPRESS_BELOW: u64 = 5;

/// A count as aggregate output may show it: None when it is from 1 to 4.
pub fn shown(count: u64) -> Option<u64> {
    (count == 0 || count >= SUPPRESS_BELOW).then_some(count)
}

/// How cells are grouped in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    pub fn label(self, day: NaiveDate) -> String {
        match self {
            Period::Month => format!("{}-{:02}", day.year(), day.month()),
            Period::Quarter => format!("{}-Q{}", day.year(), day.month0() / 3 + 1),
            Period::Year => day.year().to_string(),
        }
    }
}

/// What a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Cases whose cohort date is on or after this day.
    pub from: Option<NaiveDate>,
    /// … and on or before this day.
    pub to: Option<NaiveDate>,
    pub period: Option<Period>,
    /// A reportable enum, boolean or partner field to break every metric down by.
    pub by: Option<String>,
    /// Groups of the breakdown field's values (a partner's kind, by id): a
    /// value not named stays its own group.
    pub regroup: Option<BTreeMap<String, String>>,
    /// The report's day: deadlines past it are missed, maturity counts to it.
    pub today: NaiveDate,
}

/// The label of the cell that is not split (no period, or no breakdown).
pub const ALL: &str = "all";
/// The group of cases where the breakdown field is not set.
pub const NOT_SET: &str = "(not set)";

/// The fields a report may break down by: enums, booleans and partners, not
/// personal.
pub fn breakdown_fields(def: &ProcessDefinition) -> Vec<&str> {
    def.fields
        .iter()
        .filter(|f| {
            !f.holds_personal()
                && matches!(
                    f.ty,
                    FieldType::Enum { .. } | FieldType::Boolean | FieldType::Partner { .. }
                )
        })
        .map(|f| f.name.as_str())
        .collect()
}

/// The value of one metric in one cell, exact.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    Count {
        cases: u64,
    },
    Rate {
        of: u64,
        per: u64,
    },
    /// `days` sorted, one per case (minutes, for a duration in hours).
    Duration {
        days: Vec<i64>,
    },
    Deadline {
        met: u64,
        missed: u64,
        pending: u64,
    },
    Score {
        /// Every answer, in case order.
        answers: Vec<f64>,
        threshold: Option<f64>,
        /// Cases that reached `per`, and of those the ones with an answer.
        per: Option<(u64, u64)>,
    },
    Total {
        /// The sum of every value given.
        sum: f64,
        /// How many times the step gave a value, and in how many cases.
        steps: u64,
        cases: u64,
    },
}

/// One cell of a metric: a period and a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub period: String,
    pub group: String,
    pub measure: Measure,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricResult {
    pub metric: Metric,
    pub cells: Vec<Cell>,
}

/// Computes every declared metric of `def` over `facts` (cases of that process).
pub fn metrics(def: &ProcessDefinition, facts: &[Facts], query: &Query) -> Vec<MetricResult> {
    def.metrics
        .iter()
        .map(|metric| MetricResult {
            metric: metric.clone(),
            cells: metric_cells(metric, facts, query),
        })
        .collect()
}

/// One metric, cell by cell (ordered by period, then group; with a breakdown,
/// each period also has its `all` cell).
pub fn metric_cells(metric: &Metric, facts: &[Facts], query: &Query) -> Vec<Cell> {
    let mut cells: BTreeMap<(String, String), Vec<&Facts>> = BTreeMap::new();
    for case in facts {
        let Some(cohort) = cohort_date(&metric.cohort, case) else {
            continue;
        };
        if query.from.is_some_and(|f| cohort < f) || query.to.is_some_and(|t| cohort > t) {
            continue;
        }
        let mature = match &metric.mature {
            None => true,
            Some(Maturity::Closed) => case.closed(),
            Some(Maturity::After { after }) => after.after(cohort) <= query.today,
        };
        if !mature {
            continue;
        }
        let period = query
            .period
            .map_or_else(|| ALL.to_owned(), |p| p.label(cohort));
        if let Some(by) = &query.by {
            cells
                .entry((period.clone(), group_of(case, by, query.regroup.as_ref())))
                .or_default()
                .push(case);
        }
        cells
            .entry((period, ALL.to_owned()))
            .or_default()
            .push(case);
    }
    cells
        .into_iter()
        .map(|((period, group), cases)| Cell {
            period,
            group,
            measure: measure(&metric.kind, &cases, query.today),
        })
        .collect()
}

fn group_of(case: &Facts, field: &str, regroup: Option<&BTreeMap<String, String>>) -> String {
    if let (Some(groups), Some(Value::String(value))) = (regroup, case.fields.get(field))
        && let Some(group) = groups.get(value)
    {
        return group.clone();
    }
    match case.fields.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(true)) => "yes".to_owned(),
        Some(Value::Bool(false)) => "no".to_owned(),
        Some(other) => other.to_string(),
        None => NOT_SET.to_owned(),
    }
}

fn measure(kind: &MetricKind, cases: &[&Facts], today: NaiveDate) -> Measure {
    match kind {
        MetricKind::Count { of } => Measure::Count {
            cases: cases.iter().filter(|c| reached(c, of).is_some()).count() as u64,
        },
        MetricKind::Rate { of, per } => {
            let base: Vec<&&Facts> = cases.iter().filter(|c| reached(c, per).is_some()).collect();
            Measure::Rate {
                per: base.len() as u64,
                of: base.iter().filter(|c| reached(c, of).is_some()).count() as u64,
            }
        }
        MetricKind::Duration {
            from,
            to,
            working_days,
            hours: false,
        } => {
            let mut days: Vec<i64> = cases
                .iter()
                .filter_map(|c| {
                    let (start, end) = (reached(c, from)?, reached(c, to)?);
                    (end >= start).then(|| days_between(start, end, *working_days))
                })
                .collect();
            days.sort_unstable();
            Measure::Duration { days }
        }
        MetricKind::Duration {
            from,
            to,
            hours: true,
            ..
        } => {
            let mut minutes: Vec<i64> = cases
                .iter()
                .filter_map(|c| {
                    let (start, end) = (reached_at(c, from)?, reached_at(c, to)?);
                    (end >= start).then(|| (end - start).num_minutes())
                })
                .collect();
            minutes.sort_unstable();
            Measure::Duration { days: minutes }
        }
        MetricKind::Total { input, from } => {
            let (mut sum, mut steps, mut counted) = (0.0, 0u64, 0u64);
            for case in cases {
                let values: Vec<f64> = case
                    .steps
                    .iter()
                    .filter(|s| step_matches(s, from))
                    .filter_map(|s| s.input.get(input).and_then(Value::as_f64))
                    .collect();
                if !values.is_empty() {
                    counted += 1;
                    steps += values.len() as u64;
                    sum += values.iter().sum::<f64>();
                }
            }
            Measure::Total {
                sum,
                steps,
                cases: counted,
            }
        }
        MetricKind::Deadline { state } => {
            let (met, missed, pending) = deadline_counts(cases, state, today);
            Measure::Deadline {
                met,
                missed,
                pending,
            }
        }
        MetricKind::Score {
            input,
            from,
            threshold,
            per,
        } => {
            let answers_of = |case: &Facts| -> Vec<f64> {
                case.steps
                    .iter()
                    .filter(|s| step_matches(s, from))
                    .filter_map(|s| s.input.get(input).and_then(Value::as_f64))
                    .collect()
            };
            let answers: Vec<f64> = cases.iter().flat_map(|c| answers_of(c)).collect();
            let per = per.as_ref().map(|per| {
                let base: Vec<&&Facts> =
                    cases.iter().filter(|c| reached(c, per).is_some()).collect();
                let answered = base.iter().filter(|c| !answers_of(c).is_empty()).count();
                (base.len() as u64, answered as u64)
            });
            Measure::Score {
                answers,
                threshold: *threshold,
                per,
            }
        }
    }
}

/// The deadlines of `state` in `cases`: (met, missed, pending).
fn deadline_counts(cases: &[&Facts], state: &str, today: NaiveDate) -> (u64, u64, u64) {
    let (mut met, mut missed, mut pending) = (0, 0, 0);
    for deadline in cases
        .iter()
        .flat_map(|c| &c.deadlines)
        .filter(|d| d.state == state)
    {
        match deadline.status(today) {
            DeadlineStatus::Met => met += 1,
            DeadlineStatus::Missed => missed += 1,
            DeadlineStatus::Pending => pending += 1,
        }
    }
    (met, missed, pending)
}

/// The day a case reached a milestone (first time), if it has.
pub fn reached(case: &Facts, milestone: &Milestone) -> Option<NaiveDate> {
    match milestone {
        Milestone::Opened => Some(case.opened_at.date_naive()),
        Milestone::Closed => case.closed_at.map(|at| at.date_naive()),
        Milestone::Entered { states } => states
            .iter()
            .filter_map(|s| case.entered.get(s))
            .min()
            .map(|at| at.date_naive()),
        Milestone::Took { .. } => case
            .steps
            .iter()
            .find(|s| step_matches(s, milestone))
            .map(|s| s.at.date_naive()),
        Milestone::Outcome { outcomes } => case
            .outcome
            .as_ref()
            .filter(|o| outcomes.contains(o))
            .and(case.closed_at)
            .map(|at| at.date_naive()),
        Milestone::Field { field } => date_value(case.fields.get(field)?),
    }
}

/// The moment a case reached a milestone (first time), if it has; a date
/// field's day counts from its midnight (UTC).
pub fn reached_at(case: &Facts, milestone: &Milestone) -> Option<DateTime<Utc>> {
    match milestone {
        Milestone::Opened => Some(case.opened_at),
        Milestone::Closed => case.closed_at,
        Milestone::Entered { states } => states
            .iter()
            .filter_map(|s| case.entered.get(s))
            .min()
            .copied(),
        Milestone::Took { .. } => case
            .steps
            .iter()
            .find(|s| step_matches(s, milestone))
            .map(|s| s.at),
        Milestone::Outcome { outcomes } => case
            .outcome
            .as_ref()
            .filter(|o| outcomes.contains(o))
            .and(case.closed_at),
        Milestone::Field { field } => {
            let text = case.fields.get(field)?.as_str()?;
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.to_utc())
                .or_else(|| {
                    text.parse::<NaiveDate>()
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|t| t.and_utc())
                })
        }
    }
}

fn step_matches(step: &crate::facts::Step, milestone: &Milestone) -> bool {
    match milestone {
        Milestone::Took { transition, with } => {
            step.transition == *transition && with.iter().all(|(k, v)| step.input.get(k) == Some(v))
        }
        _ => false,
    }
}

fn cohort_date(cohort: &Cohort, case: &Facts) -> Option<NaiveDate> {
    match cohort {
        Cohort::Opened => Some(case.opened_at.date_naive()),
        Cohort::Field { field } => date_value(case.fields.get(field)?),
    }
}

/// A date or datetime field's day.
fn date_value(value: &Value) -> Option<NaiveDate> {
    let text = value.as_str()?;
    text.parse::<NaiveDate>().ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.to_utc().date_naive())
    })
}

/// Days from `start` to `end`: calendar days, or the working days after `start`
/// up to and including `end`.
pub fn days_between(start: NaiveDate, end: NaiveDate, working: bool) -> i64 {
    if !working {
        return (end - start).num_days();
    }
    start
        .iter_days()
        .skip(1)
        .take_while(|d| *d <= end)
        .filter(|d| is_working_day(*d))
        .count() as i64
}

/// Median, 90th percentile (nearest rank) and mean of sorted values.
pub fn summary(sorted: &[i64]) -> Option<(f64, f64, f64)> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let median = if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    };
    let rank = (n * 9).div_ceil(10).max(1);
    let p90 = sorted[rank - 1] as f64;
    let mean = sorted.iter().sum::<i64>() as f64 / n as f64;
    Some((median, p90, mean))
}

/// The funnel of a process: how many cases reached each state and how they ended.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Funnel {
    pub opened: u64,
    pub open: u64,
    pub closed: u64,
    /// Open cases past a deadline in their current state.
    pub overdue: u64,
    /// Each state in definition order: cases that ever entered it, cases in it now.
    pub states: Vec<(String, u64, u64)>,
    /// Each outcome in definition order: closed cases with it.
    pub outcomes: Vec<(String, u64)>,
    /// Cases opened per month, every month from the first to the last.
    pub trend: Vec<(String, u64)>,
    /// Deadline compliance of every state with a deadline: (state, met, missed, pending).
    pub deadlines: Vec<(String, u64, u64, u64)>,
    /// Every notice (and recurring duty) the definition declares: (notice,
    /// met, missed, pending), each time it was made due counted once.
    pub notices: Vec<(String, u64, u64, u64)>,
}

/// The funnel of the cases opened in the query's range.
pub fn funnel(def: &ProcessDefinition, facts: &[Facts], query: &Query) -> Funnel {
    let cases: Vec<&Facts> = facts
        .iter()
        .filter(|c| {
            let day = c.opened_at.date_naive();
            query.from.is_none_or(|f| day >= f) && query.to.is_none_or(|t| day <= t)
        })
        .collect();
    let mut funnel = Funnel {
        opened: cases.len() as u64,
        ..Funnel::default()
    };
    let mut names: Vec<String> = def.states.iter().map(|s| s.name.clone()).collect();
    for case in &cases {
        for state in case.entered.keys().chain(std::iter::once(&case.state)) {
            if !names.contains(state) {
                names.push(state.clone());
            }
        }
        if case.closed() {
            funnel.closed += 1;
        } else {
            funnel.open += 1;
            let overdue = case.deadlines.iter().any(|d| {
                d.state == case.state
                    && d.left_on.is_none()
                    && d.status(query.today) == DeadlineStatus::Missed
            });
            funnel.overdue += u64::from(overdue);
        }
    }
    for name in names {
        let reached = cases
            .iter()
            .filter(|c| c.entered.contains_key(&name))
            .count() as u64;
        let now = cases
            .iter()
            .filter(|c| !c.closed() && c.state == name)
            .count() as u64;
        let terminal = def.state(&name).is_some_and(|s| s.terminal);
        if terminal {
            continue;
        }
        funnel.states.push((name, reached, now));
    }
    let mut outcomes: Vec<String> = def
        .states
        .iter()
        .filter_map(|s| s.outcome.clone())
        .collect();
    for case in &cases {
        if let Some(outcome) = &case.outcome
            && !outcomes.contains(outcome)
        {
            outcomes.push(outcome.clone());
        }
    }
    for outcome in outcomes {
        let n = cases
            .iter()
            .filter(|c| c.closed() && c.outcome.as_ref() == Some(&outcome))
            .count() as u64;
        funnel.outcomes.push((outcome, n));
    }
    if let (Some(first), Some(last)) = (
        cases.iter().map(|c| c.opened_at.date_naive()).min(),
        cases.iter().map(|c| c.opened_at.date_naive()).max(),
    ) {
        let mut month = first.with_day(1).unwrap_or(first);
        while month <= last {
            let label = Period::Month.label(month);
            let n = cases
                .iter()
                .filter(|c| Period::Month.label(c.opened_at.date_naive()) == label)
                .count() as u64;
            funnel.trend.push((label, n));
            month = month
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(NaiveDate::MAX);
        }
    }
    for state in def.states.iter().filter(|s| s.deadline.is_some()) {
        let (met, missed, pending) = deadline_counts(&cases, &state.name, query.today);
        funnel
            .deadlines
            .push((state.name.clone(), met, missed, pending));
    }
    for notice in &def.notices {
        let (mut met, mut missed, mut pending) = (0, 0, 0);
        for fact in cases
            .iter()
            .flat_map(|c| &c.notices)
            .filter(|n| n.notice == notice.id)
        {
            match fact.status(query.today) {
                DeadlineStatus::Met => met += 1,
                DeadlineStatus::Missed => missed += 1,
                DeadlineStatus::Pending => pending += 1,
            }
        }
        funnel
            .notices
            .push((notice.id.clone(), met, missed, pending));
    }
    funnel
}
