//! The `metrics:` section: what the service owner wants reports to measure.
//!
//! Lowered after the states, because a metric names states, transitions, their
//! inputs, outcomes and fields; every such name is checked here, so a report
//! never meets a metric it cannot compute. Metrics never read personal fields:
//! aggregate output must not depend on who someone is.

use std::collections::BTreeMap;
use std::ops::Range;

use kroonika_engine::calendar::Duration;
use kroonika_engine::definition::{
    Cohort, Field, FieldType, InputSource, Maturity, Metric, MetricKind, Milestone, State, Text,
    Transition,
};
use serde_json::Value;

use super::cx::Cx;
use super::fields::unknown_field;
use super::states::{Known, named_state};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest::did_you_mean;
use crate::tree::{Kind, Node};

pub(crate) const METRIC_KEYS: [&str; 10] = [
    "title",
    "description",
    "count",
    "rate",
    "duration",
    "deadline",
    "score",
    "total",
    "cohort",
    "mature",
];
/// The keys that say what kind of metric it is; exactly one is given.
pub(crate) const KIND_KEYS: [&str; 6] = ["count", "rate", "duration", "deadline", "score", "total"];
pub(crate) const MILESTONE_KEYS: [&str; 5] = ["entered", "took", "with", "outcome", "field"];
pub(crate) const RATE_KEYS: [&str; 2] = ["of", "per"];
pub(crate) const DURATION_KEYS: [&str; 4] = ["from", "to", "days", "in"];
pub(crate) const SCORE_KEYS: [&str; 4] = ["input", "from", "threshold", "per"];
pub(crate) const TOTAL_KEYS: [&str; 2] = ["input", "from"];

/// What metrics are checked against: the process as lowered so far.
pub(crate) struct Scope<'a> {
    pub known: &'a Known<'a>,
    pub states: &'a [State],
    pub anywhere: &'a [Transition],
}

impl Scope<'_> {
    /// Every declared transition of this name (a name may recur in several states).
    fn transitions(&self, name: &str) -> Vec<&Transition> {
        self.states
            .iter()
            .flat_map(|s| s.transitions.iter())
            .chain(self.anywhere.iter())
            .filter(|t| t.name == name)
            .collect()
    }

    fn outcomes(&self) -> Vec<&str> {
        self.states
            .iter()
            .filter_map(|s| s.outcome.as_deref())
            .collect()
    }

    fn field(&self, name: &str) -> Option<&Field> {
        self.known.fields.iter().find(|f| f.name == name)
    }

    /// The type of input `name` of `transition`, if it has one.
    fn input_type<'t>(&'t self, transition: &'t Transition, name: &str) -> Option<&'t FieldType> {
        let input = transition.input.iter().find(|i| i.name == name)?;
        match &input.source {
            InputSource::Local { ty } => Some(ty),
            InputSource::CaseField => self.field(name).map(|f| &f.ty),
        }
    }
}

/// Lowers the `metrics:` map.
pub(crate) fn metrics(cx: &mut Cx, node: &Node, scope: &Scope<'_>) -> Vec<Metric> {
    let Some(map) = cx.named(node, "metrics") else {
        return Vec::new();
    };
    let mut out: Vec<Metric> = Vec::new();
    for (key, spec) in cx.declared(map, "metric", "") {
        if let Some(metric) = metric(cx, &key.name, &key.span, spec, scope) {
            out.push(metric);
        }
    }
    out
}

fn metric(
    cx: &mut Cx,
    id: &str,
    key_span: &Range<usize>,
    node: &Node,
    scope: &Scope<'_>,
) -> Option<Metric> {
    let what = format!("metric '{id}'");
    let map = cx.map(node, &what, &METRIC_KEYS)?;
    let title = map
        .get("title")
        .and_then(|n| cx.words(n, "'title'"))
        .unwrap_or_else(|| Text::from(id));
    let description = map
        .get("description")
        .and_then(|n| cx.words(n, "'description'"));
    let given: Vec<&str> = KIND_KEYS.into_iter().filter(|k| map.has(k)).collect();
    if given.len() != 1 {
        let message = if given.is_empty() {
            format!("{what} does not say what it measures")
        } else {
            format!(
                "{what} says several things to measure ({}); a metric measures one",
                given.join(", ")
            )
        };
        cx.push(
            Diagnostic::error(Code::InvalidMetric, key_span.clone(), message).with_help(
                "give exactly one of: count, rate, duration, deadline, score, total (split it into several metrics)",
            ),
        );
    }
    let kind = given.first().and_then(|k| {
        let node = map.get(k)?;
        let what = format!("the {k} of {what}");
        match *k {
            "count" => Some(MetricKind::Count {
                of: milestone(cx, node, &what, scope, false)?,
            }),
            "rate" => {
                let spec = cx.map(node, &what, &RATE_KEYS)?;
                let of = cx
                    .required(spec, "of", &what)
                    .and_then(|n| milestone(cx, n, &format!("'of' in {what}"), scope, false));
                let per = cx
                    .required(spec, "per", &what)
                    .and_then(|n| milestone(cx, n, &format!("'per' in {what}"), scope, false));
                Some(MetricKind::Rate { of: of?, per: per? })
            }
            "duration" => {
                let spec = cx.map(node, &what, &DURATION_KEYS)?;
                let from = cx
                    .required(spec, "from", &what)
                    .and_then(|n| milestone(cx, n, &format!("'from' in {what}"), scope, true));
                let to = cx
                    .required(spec, "to", &what)
                    .and_then(|n| milestone(cx, n, &format!("'to' in {what}"), scope, true));
                let working_days = match spec.get("days") {
                    None => Some(false),
                    Some(n) => match cx.text(n, "'days'")?.as_str() {
                        "calendar" => Some(false),
                        "working" => Some(true),
                        other => {
                            cx.push(
                                Diagnostic::error(
                                    Code::InvalidMetric,
                                    n.span.clone(),
                                    format!("'days: {other}' in {what} is neither calendar nor working"),
                                )
                                .with_help("write 'days: calendar' (the default) or 'days: working' (Estonian working days)"),
                            );
                            None
                        }
                    },
                };
                let hours = match spec.get("in") {
                    None => Some(false),
                    Some(n) => match cx.text(n, "'in'")?.as_str() {
                        "days" => Some(false),
                        "hours" if working_days == Some(true) => {
                            cx.push(
                                Diagnostic::error(
                                    Code::InvalidMetric,
                                    n.span.clone(),
                                    format!("{what} is in hours, which are not counted in working days"),
                                )
                                .with_help("leave out 'days: working', or measure in days"),
                            );
                            None
                        }
                        "hours" => Some(true),
                        other => {
                            cx.push(
                                Diagnostic::error(
                                    Code::InvalidMetric,
                                    n.span.clone(),
                                    format!("'in: {other}' in {what} is neither days nor hours"),
                                )
                                .with_help("write 'in: days' (the default) or 'in: hours' (a response within the day)"),
                            );
                            None
                        }
                    },
                };
                Some(MetricKind::Duration {
                    from: from?,
                    to: to?,
                    working_days: working_days?,
                    hours: hours?,
                })
            }
            "deadline" => {
                let state = cx.text(node, &what)?;
                if !named_state(cx, &state, &node.span, &format!("{what} names"), scope.known) {
                    return None;
                }
                let lowered = scope.states.iter().find(|s| s.name == state);
                if lowered.is_some_and(|s| s.deadline.is_none()) {
                    cx.push(
                        Diagnostic::error(
                            Code::InvalidMetric,
                            node.span.clone(),
                            format!("{what} measures the deadline of state '{state}', which has no deadline"),
                        )
                        .with_help("give the state a 'deadline', or measure a state that has one"),
                    );
                    return None;
                }
                Some(MetricKind::Deadline { state })
            }
            "total" => {
                let spec = cx.map(node, &what, &TOTAL_KEYS)?;
                let (from, input) = step_number(cx, spec, &what, scope)?;
                Some(MetricKind::Total { input, from })
            }
            _ => score(cx, node, &what, scope),
        }
    });
    let cohort = match map.get("cohort") {
        None => Some(Cohort::Opened),
        Some(n) => {
            let name = cx.text(n, "'cohort'")?;
            if name == "opened" {
                Some(Cohort::Opened)
            } else {
                date_field(cx, &name, &n.span, &format!("the cohort of {what}"), scope)
                    .map(|field| Cohort::Field { field })
            }
        }
    };
    let mature = match map.get("mature") {
        None => Some(None),
        Some(n) => {
            let text = cx.text(n, "'mature'")?;
            if text == "closed" {
                Some(Some(Maturity::Closed))
            } else {
                match Duration::parse(&text) {
                    Ok(after) => Some(Some(Maturity::After { after })),
                    Err(_) => {
                        cx.push(
                            Diagnostic::error(
                                Code::InvalidMetric,
                                n.span.clone(),
                                format!("'mature: {text}' in {what} is neither 'closed' nor a duration"),
                            )
                            .with_help("write 'mature: closed' (count closed cases only) or a time such as 'mature: 3 months' (count cases opened at least that long ago)"),
                        );
                        None
                    }
                }
            }
        }
    };
    Some(Metric {
        id: id.to_owned(),
        title,
        description,
        kind: kind?,
        cohort: cohort?,
        mature: mature?,
    })
}

fn score(cx: &mut Cx, node: &Node, what: &str, scope: &Scope<'_>) -> Option<MetricKind> {
    let spec = cx.map(node, what, &SCORE_KEYS)?;
    let threshold = spec.get("threshold").and_then(|n| match n.kind {
        Kind::Int(i) => Some(i as f64),
        Kind::Float(f) => Some(f),
        _ => {
            cx.error(
                Code::WrongType,
                n.span.clone(),
                format!(
                    "'threshold' in {what} should be a number, not {}",
                    n.kind.describe()
                ),
            );
            None
        }
    });
    let per = spec
        .get("per")
        .and_then(|n| milestone(cx, n, &format!("'per' in {what}"), scope, false));
    let (from, input) = step_number(cx, spec, what, scope)?;
    Some(MetricKind::Score {
        input,
        from,
        threshold,
        per,
    })
}

/// The `from: { took: … }` and `input: NAME` of a score or a total: a step and
/// one of its number inputs, not personal.
fn step_number(
    cx: &mut Cx,
    spec: super::cx::Map<'_>,
    what: &str,
    scope: &Scope<'_>,
) -> Option<(Milestone, String)> {
    let from_node = cx.required(spec, "from", what);
    let from = from_node.and_then(|n| milestone(cx, n, &format!("'from' in {what}"), scope, false));
    let input_node = cx.required(spec, "input", what);
    let input = input_node.and_then(|n| cx.text(n, "'input'"));
    let (from, input) = (from?, input?);
    let Milestone::Took { transition, .. } = &from else {
        let span = from_node.map_or(0..0, |n| n.span.clone());
        cx.push(
            Diagnostic::error(
                Code::InvalidMetric,
                span,
                format!("{what} reads its answers from a step, but 'from' is not a step"),
            )
            .with_help("write 'from: { took: TRANSITION }', the step whose input holds the number"),
        );
        return None;
    };
    let span = input_node.map_or(0..0, |n| n.span.clone());
    for t in scope.transitions(transition) {
        match scope.input_type(t, &input) {
            Some(FieldType::Integer { .. } | FieldType::Number { .. }) => {
                if scope.field(&input).is_some_and(|f| f.holds_personal())
                    && matches!(
                        t.input.iter().find(|i| i.name == input).map(|i| &i.source),
                        Some(InputSource::CaseField)
                    )
                {
                    personal(cx, &input, &span, what);
                    return None;
                }
            }
            Some(ty) => {
                cx.push(
                    Diagnostic::error(
                        Code::InvalidMetric,
                        span.clone(),
                        format!("{what} reads input '{input}' of '{transition}', which is of type {}, not a number", ty.name()),
                    )
                    .with_help("a score or a total reads an integer or number input (satisfaction 1 to 5, hours)"),
                );
                return None;
            }
            None => {
                let inputs: Vec<&str> = t.input.iter().map(|i| i.name.as_str()).collect();
                let mut d = Diagnostic::error(
                    Code::InvalidMetric,
                    span.clone(),
                    format!(
                        "{what} reads input '{input}', which step '{transition}' does not have"
                    ),
                );
                d = match did_you_mean(&input, inputs.iter().copied()) {
                    Some(help) => d.with_help(help),
                    None => d.with_help(format!("'{transition}' has: {}", list_or_none(&inputs))),
                };
                cx.push(d);
                return None;
            }
        }
    }
    Some((from, input))
}

/// `opened`, `closed`, `{ entered: S }`, `{ took: T, with: {..} }`,
/// `{ outcome: O }`, or (for durations) `{ field: F }`.
fn milestone(
    cx: &mut Cx,
    node: &Node,
    what: &str,
    scope: &Scope<'_>,
    dates: bool,
) -> Option<Milestone> {
    let help = if dates {
        "write opened, closed, { entered: STATE }, { took: TRANSITION }, { outcome: OUTCOME } or { field: DATE_FIELD }"
    } else {
        "write opened, closed, { entered: STATE }, { took: TRANSITION } or { outcome: OUTCOME }"
    };
    if let Kind::Str(text) = &node.kind {
        return match text.as_str() {
            "opened" => Some(Milestone::Opened),
            "closed" => Some(Milestone::Closed),
            other => {
                cx.push(
                    Diagnostic::error(
                        Code::InvalidMetric,
                        node.span.clone(),
                        format!("{what} is '{other}', which is not a point a case reaches"),
                    )
                    .with_help(help),
                );
                None
            }
        };
    }
    let map = cx.map(node, what, &MILESTONE_KEYS)?;
    let given: Vec<&str> = ["entered", "took", "outcome", "field"]
        .into_iter()
        .filter(|k| map.has(k))
        .collect();
    if given.len() != 1 {
        cx.push(
            Diagnostic::error(
                Code::InvalidMetric,
                node.span.clone(),
                format!("{what} should name one point a case reaches"),
            )
            .with_help(help),
        );
        return None;
    }
    if let Some(with) = map.get("with")
        && given[0] != "took"
    {
        cx.push(
            Diagnostic::error(
                Code::InvalidMetric,
                with.span.clone(),
                format!("'with' in {what} belongs to a step ('took')"),
            )
            .with_help(
                "input values narrow a step: { took: record-feedback, with: { party: victim } }",
            ),
        );
        return None;
    }
    let value = map.get(given[0])?;
    match given[0] {
        "entered" => {
            let mut states = Vec::new();
            for (name, span) in names(cx, value, &format!("'entered' in {what}"))? {
                if named_state(cx, &name, &span, &format!("{what} names"), scope.known) {
                    states.push(name);
                }
            }
            Some(Milestone::Entered { states })
        }
        "outcome" => {
            let known = scope.outcomes();
            let mut outcomes = Vec::new();
            for (name, span) in names(cx, value, &format!("'outcome' in {what}"))? {
                if known.contains(&name.as_str()) {
                    outcomes.push(name);
                    continue;
                }
                let mut d = Diagnostic::error(
                    Code::UnknownOutcome,
                    span,
                    format!("{what} names outcome '{name}', which no terminal state has"),
                );
                d = match did_you_mean(&name, known.iter().copied()) {
                    Some(help) => d.with_help(help),
                    None => d.with_help(format!("the outcomes are: {}", list_or_none(&known))),
                };
                cx.push(d);
            }
            Some(Milestone::Outcome { outcomes })
        }
        "field" if dates => {
            let name = cx.text(value, &format!("'field' in {what}"))?;
            date_field(cx, &name, &value.span, what, scope).map(|field| Milestone::Field { field })
        }
        "field" => {
            cx.push(
                Diagnostic::error(
                    Code::InvalidMetric,
                    value.span.clone(),
                    format!("{what} names a date field; only durations count from dates"),
                )
                .with_help(help),
            );
            None
        }
        _ => {
            let name = cx.text(value, &format!("'took' in {what}"))?;
            if !scope.known.transitions.contains(&name) {
                let mut d = Diagnostic::error(
                    Code::UnknownTransition,
                    value.span.clone(),
                    format!(
                        "{what} names step '{name}', which is not declared anywhere in the process"
                    ),
                );
                if let Some(help) =
                    did_you_mean(&name, scope.known.transitions.iter().map(String::as_str))
                {
                    d = d.with_help(help);
                }
                cx.push(d);
                return None;
            }
            let with = match map.get("with") {
                None => BTreeMap::new(),
                Some(n) => with_values(cx, n, &name, what, scope)?,
            };
            Some(Milestone::Took {
                transition: name,
                with,
            })
        }
    }
}

/// `with: { party: victim }`: values of enum, boolean or integer inputs that
/// every transition of that name has.
fn with_values(
    cx: &mut Cx,
    node: &Node,
    transition: &str,
    what: &str,
    scope: &Scope<'_>,
) -> Option<BTreeMap<String, Value>> {
    let map = cx.named(node, &format!("'with' in {what}"))?;
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (key, value) in map.entries {
        for t in scope.transitions(transition) {
            let Some(ty) = scope.input_type(t, &key.name) else {
                let inputs: Vec<&str> = t.input.iter().map(|i| i.name.as_str()).collect();
                let mut d = Diagnostic::error(
                    Code::InvalidMetric,
                    key.span.clone(),
                    format!("step '{transition}' has no input '{}'", key.name),
                );
                d = match did_you_mean(&key.name, inputs.iter().copied()) {
                    Some(help) => d.with_help(help),
                    None => d.with_help(format!("'{transition}' has: {}", list_or_none(&inputs))),
                };
                cx.push(d);
                ok = false;
                break;
            };
            if scope.field(&key.name).is_some_and(|f| f.holds_personal())
                && matches!(
                    t.input
                        .iter()
                        .find(|i| i.name == key.name)
                        .map(|i| &i.source),
                    Some(InputSource::CaseField)
                )
            {
                personal(cx, &key.name, &key.span, what);
                ok = false;
                break;
            }
            let fits = match (ty, &value.kind) {
                (FieldType::Enum { values }, Kind::Str(s)) => values.contains(s),
                (FieldType::Boolean, Kind::Bool(_)) => true,
                (FieldType::Integer { .. }, Kind::Int(_)) => true,
                _ => false,
            };
            if !fits {
                let allowed = match ty {
                    FieldType::Enum { values } => format!("one of: {}", values.join(", ")),
                    FieldType::Boolean => "true or false".to_owned(),
                    FieldType::Integer { .. } => "a whole number".to_owned(),
                    other => format!("not matched on: it is of type {}", other.name()),
                };
                cx.push(
                    Diagnostic::error(
                        Code::InvalidMetric,
                        value.span.clone(),
                        format!(
                            "input '{}' of step '{transition}' cannot be {}",
                            key.name,
                            value.kind.describe_value()
                        ),
                    )
                    .with_help(format!("the value should be {allowed}")),
                );
                ok = false;
                break;
            }
        }
        out.insert(key.name.clone(), value.kind.to_json());
    }
    ok.then_some(out)
}

/// A name, or a list of names.
fn names(cx: &mut Cx, node: &Node, what: &str) -> Option<Vec<(String, Range<usize>)>> {
    match &node.kind {
        Kind::Seq(items) => Some(
            items
                .iter()
                .filter_map(|i| cx.text(i, what).map(|t| (t, i.span.clone())))
                .collect(),
        ),
        _ => cx.text(node, what).map(|t| vec![(t, node.span.clone())]),
    }
}

/// A non-personal date or datetime field.
fn date_field(
    cx: &mut Cx,
    name: &str,
    span: &Range<usize>,
    what: &str,
    scope: &Scope<'_>,
) -> Option<String> {
    match scope.field(name) {
        None => {
            unknown_field(cx, name, span, what, scope.known.fields);
            None
        }
        Some(Field {
            personal: Some(_), ..
        }) => {
            personal(cx, name, span, what);
            None
        }
        Some(Field {
            ty: FieldType::Date | FieldType::Datetime,
            ..
        }) => Some(name.to_owned()),
        Some(field) => {
            cx.push(
                Diagnostic::error(
                    Code::InvalidMetric,
                    span.clone(),
                    format!(
                        "{what} names field '{name}', which is of type {}, not a date or datetime",
                        field.ty.name()
                    ),
                )
                .with_help(
                    "cohorts and durations count from dates: name a date field, or 'opened'",
                ),
            );
            None
        }
    }
}

fn personal(cx: &mut Cx, name: &str, span: &Range<usize>, what: &str) {
    cx.push(
        Diagnostic::error(
            Code::InvalidMetric,
            span.clone(),
            format!("{what} reads '{name}', which is personal data"),
        )
        .with_help("reports are aggregate and never depend on personal fields; measure a field that is not personal"),
    );
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() {
        "no inputs".to_owned()
    } else {
        names.join(", ")
    }
}
