//! A JSON Schema of the definition format, for editors (completion, hover, red
//! squiggles before `def check` runs). It is built from the same key lists the
//! checker uses, and a test holds the two together, so the schema cannot offer a
//! key the checker refuses or miss one it accepts.

use serde_json::{Value, json};

use crate::lower::fields::TYPES;

const KEBAB: &str = "^[a-z][a-z0-9]*(-[a-z0-9]+)*$";
const SNAKE: &str = "^[a-z][a-z0-9_]*$";
const DURATION: &str = "^\\s*[0-9]+\\s+(days?|working\\s+days?|weeks?|months?)\\s*$";

/// The schema, as a JSON value (draft 2020-12).
pub fn json_schema() -> Value {
    let text = json!({ "$ref": "#/$defs/text" });
    let field = json!({
        "type": "object",
        "description": "A typed piece of case data.",
        "required": ["type"],
        "additionalProperties": false,
        "properties": {
            "type": { "enum": TYPES, "description": "string, text, integer, number, boolean, date, datetime, enum, list, partner, people (several persons, each a data subject of their own: values are their roles) or party (one of a people field's persons)" },
            "people": { "type": "string", "pattern": SNAKE, "description": "For party (or a list of parties): the people field they are listed in." },
            "kinds": { "type": "array", "items": { "type": "string" }, "description": "For partner: the kinds of partner it takes (prosecutor, school, …); any when left out." },
            "title": { "$ref": "#/$defs/text", "description": "What a form labels it with." },
            "labels": { "type": "object", "additionalProperties": { "$ref": "#/$defs/text" }, "description": "For enum (and list of enum): what a form shows for each value." },
            "values": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "For enum (and list of enum): the allowed values." },
            "of": { "type": "string", "description": "For list: the element type, or 'actor' (with 'role')." },
            "role": { "type": "string", "description": "For a list of actors: the role each must hold." },
            "personal": { "type": "string", "description": "The data subject whose personal data this is." },
            "pattern": { "type": "string", "description": "For string: a regular expression the value must match." },
            "max-length": { "type": "integer", "minimum": 1, "maximum": 65536, "description": "For string and text (and lists of them): at most this many characters (default: 1024 for string, 65536 for text)." },
            "min": { "type": "number" },
            "max": { "type": "number" },
            "past": { "oneOf": [{ "type": "boolean" }, { "type": "string", "pattern": DURATION }], "description": "For date and datetime: when something happened; not later than it is recorded, and at most this long ago (true: 10 years)." },
            "searchable": { "type": "boolean", "description": "For a personal string or text: cases can be found by this value (kroonika case find); a keyed blind index is kept, never the value." }
        }
    });
    let mut input_spec = field.clone();
    input_spec["required"] = json!([]);
    input_spec["properties"]["required"] = json!({ "type": "boolean", "default": true });
    input_spec["description"] = json!(
        "A case field ({} or { required: false }) or an input of this step only (with a type)."
    );
    let input = json!({
        "description": "A list of case-field names, or a map of name to input.",
        "oneOf": [
            { "type": "array", "items": { "type": "string", "pattern": SNAKE } },
            { "type": "object", "propertyNames": { "pattern": SNAKE }, "additionalProperties": { "$ref": "#/$defs/input" } }
        ]
    });
    let roles = json!({
        "type": "array",
        "items": { "type": "string", "pattern": "^[a-z][a-z0-9-]*(@[a-z][a-z0-9_]*)?$" },
        "description": "ROLE, or ROLE@FIELD for an actor named in that actor-list field."
    });
    let transition = json!({
        "type": "object",
        "required": ["roles"],
        "additionalProperties": false,
        "properties": {
            "title": { "$ref": "#/$defs/text", "description": "What its button says." },
            "to": { "type": "string", "pattern": KEBAB, "description": "The next state; leave out to stay." },
            "roles": { "$ref": "#/$defs/roles" },
            "input": { "$ref": "#/$defs/inputs" },
            "guard": { "type": "string", "description": "A CEL condition over case, input, tasks, actor, now, state." },
            "message": { "$ref": "#/$defs/text", "description": "What the user is told when the guard is false." },
            "hours": {
                "type": "object", "required": ["hours", "activity"], "additionalProperties": false,
                "description": "The step records hours people gave, for the volunteer hours report.",
                "properties": {
                    "who": { "type": "string", "description": "'actor' (who takes the step, the default), 'input.NAME' or 'case.NAME' (a list of actors)." },
                    "hours": { "type": "string", "pattern": SNAKE, "description": "The number input holding the hours." },
                    "activity": { "type": "string", "description": "mediation, preparation, crisis, outreach, training, supervision, other, or 'input.NAME' (an enum input)." }
                }
            }
        }
    });
    let deadline = json!({
        "type": "object",
        "required": ["within"],
        "additionalProperties": false,
        "properties": {
            "within": { "type": "string", "pattern": DURATION, "description": "N days, N working days, N weeks or N months." },
            "from": { "type": "string", "pattern": SNAKE, "description": "A date or datetime field to count from." },
            "escalate": { "type": "string", "description": "The role the overdue case is shown to." },
            "fire": { "type": "string", "description": "The transition the system takes when the deadline passes." },
            "warn": { "type": "string", "pattern": DURATION, "description": "An earlier warning." },
            "when": { "type": "string", "description": "A CEL condition: the deadline applies only if it holds." }
        }
    });
    let notice = json!({
        "type": "object",
        "required": ["after", "within"],
        "additionalProperties": false,
        "description": "A notice owed to someone outside the service (the referring prosecutor or court) once one of the steps is taken; recorded as sent, chased when overdue, also after the case closed.",
        "properties": {
            "title": text,
            "after": { "type": "array", "items": { "type": "string", "pattern": KEBAB }, "minItems": 1, "description": "The steps whose taking makes it due." },
            "to": { "type": "string", "pattern": SNAKE, "description": "The partner field naming whom it goes to." },
            "within": { "type": "string", "pattern": DURATION, "description": "Due this long after the step." },
            "escalate": { "type": "string", "description": "The role an overdue notice is shown to." },
            "roles": { "$ref": "#/$defs/roles", "description": "Who records it sent (default: the correction roles)." },
            "when": { "type": "string", "description": "A CEL condition over the case: owed only if it holds." },
            "renew": { "type": "boolean", "description": "A recurring duty: each step in `after` sets a new due date, also while one is due; fulfilled by taking such a step, never recorded sent; ends when the case leaves the state." }
        }
    });
    let document = json!({
        "type": "object",
        "required": ["title", "templates"],
        "additionalProperties": false,
        "description": "A document produced from the case's data (an agreement, a report to the authority, an information sheet): a template in each language, rendered as a printable page; producing it is recorded in the case and, where it reads personal data, in the access log.",
        "properties": {
            "title": text,
            "in": { "type": "array", "items": { "type": "string", "pattern": KEBAB }, "description": "The states in which it may be produced (default: any, closed ones too)." },
            "roles": { "$ref": "#/$defs/roles", "description": "Who produces it (default: the correction roles)." },
            "to": { "type": "array", "items": { "type": "string", "pattern": SNAKE }, "description": "Whom it may be addressed to: subjects, people fields (any person listed), or partner fields." },
            "templates": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": false,
                "description": "A minijinja template in each language; it reads case.FIELD, labels.FIELD[value], titles.FIELD, partners.FIELD, reference, process, version, state, today, produced_by and to.",
                "properties": { "et": { "type": "string" }, "ru": { "type": "string" }, "en": { "type": "string" } }
            }
        }
    });
    let task = json!({
        "type": "object",
        "required": ["id", "title"],
        "additionalProperties": false,
        "properties": {
            "id": { "type": "string", "pattern": KEBAB },
            "title": text,
            "when": { "type": "string", "description": "A CEL condition: the task is required only if it holds." },
            "after": { "type": "array", "items": { "type": "string", "pattern": KEBAB }, "description": "Tasks of the same state that must be done first." }
        }
    });
    let state = json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "title": { "$ref": "#/$defs/text", "description": "What people call it (and its outcome)." },
            "guidance": text,
            "terminal": { "type": "boolean" },
            "outcome": { "type": "string", "pattern": KEBAB },
            "deadline": { "$ref": "#/$defs/deadline" },
            "tasks": { "type": "array", "items": { "$ref": "#/$defs/task" } },
            "transitions": { "$ref": "#/$defs/transitions" }
        }
    });
    let transitions = json!({
        "type": "object",
        "propertyNames": { "pattern": KEBAB },
        "additionalProperties": { "$ref": "#/$defs/transition" }
    });
    let names = json!({
        "oneOf": [
            { "type": "string", "pattern": KEBAB },
            { "type": "array", "items": { "type": "string", "pattern": KEBAB } }
        ]
    });
    let milestone = json!({
        "description": "A point a case reaches: opened, closed, { entered: STATE }, { took: TRANSITION, with: { INPUT: VALUE } }, { outcome: OUTCOME }, or (durations) { field: DATE_FIELD }.",
        "oneOf": [
            { "enum": ["opened", "closed"] },
            {
                "type": "object",
                "additionalProperties": false,
                "minProperties": 1,
                "properties": {
                    "entered": names,
                    "took": { "type": "string", "pattern": KEBAB },
                    "with": { "type": "object", "propertyNames": { "pattern": SNAKE } },
                    "outcome": names,
                    "field": { "type": "string", "pattern": SNAKE }
                }
            }
        ]
    });
    let metric = json!({
        "type": "object",
        "description": "A measure for reports: exactly one of count, rate, duration, deadline, score, total.",
        "additionalProperties": false,
        "properties": {
            "title": text,
            "description": text,
            "count": { "$ref": "#/$defs/milestone", "description": "Cases that reached a milestone." },
            "rate": {
                "type": "object", "required": ["of", "per"], "additionalProperties": false,
                "description": "Cases that reached 'of' among those that reached 'per'.",
                "properties": { "of": { "$ref": "#/$defs/milestone" }, "per": { "$ref": "#/$defs/milestone" } }
            },
            "duration": {
                "type": "object", "required": ["from", "to"], "additionalProperties": false,
                "description": "Days between two milestones: median, 90th percentile, mean.",
                "properties": {
                    "from": { "$ref": "#/$defs/milestone" },
                    "to": { "$ref": "#/$defs/milestone" },
                    "days": { "enum": ["calendar", "working"], "default": "calendar" },
                    "in": { "enum": ["days", "hours"], "default": "days" }
                }
            },
            "deadline": { "type": "string", "pattern": KEBAB, "description": "A state with a deadline: the share of its deadlines met." },
            "score": {
                "type": "object", "required": ["input", "from"], "additionalProperties": false,
                "description": "A numeric input of a step: mean, share at or above the threshold, response rate.",
                "properties": {
                    "input": { "type": "string", "pattern": SNAKE },
                    "from": { "$ref": "#/$defs/milestone" },
                    "threshold": { "type": "number" },
                    "per": { "$ref": "#/$defs/milestone" }
                }
            },
            "total": {
                "type": "object", "required": ["input", "from"], "additionalProperties": false,
                "description": "The sum of a numeric input over every time a step was taken (hours, people supported).",
                "properties": {
                    "input": { "type": "string", "pattern": SNAKE },
                    "from": { "$ref": "#/$defs/milestone" }
                }
            },
            "cohort": { "type": "string", "description": "'opened' (default) or a date field: which period a case counts in." },
            "mature": { "type": "string", "description": "'closed', or a duration such as '3 months': which cases count." }
        }
    });
    let region = json!({ "type": "string", "pattern": SNAKE, "description": "The field holding a case's region (an enum or a text): an overdue case escalates to that region's leads (`kroonika actor region NAME REGION`) and to those without a region." });
    let profile = json!({
        "type": "object",
        "description": "What a case records on the actors a list-of-actors field names (a volunteer's account), after every step that changes it: the case's state, the fields in `record` (never personal ones) and the roles granted while their condition holds. Other processes' guards read it as `people[NAME].NAME_OF_PROFILE.FIELD`.",
        "required": ["name", "of"],
        "additionalProperties": false,
        "properties": {
            "name": { "type": "string", "pattern": SNAKE },
            "of": { "type": "string", "pattern": SNAKE },
            "record": { "type": "array", "items": { "type": "string", "pattern": SNAKE } },
            "roles": { "type": "object", "propertyNames": { "pattern": KEBAB }, "additionalProperties": { "oneOf": [ { "const": true }, { "type": "string" } ] } }
        }
    });
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Kroonika process definition",
        "type": "object",
        "required": ["process", "title", "reference", "roles", "open", "initial", "states"],
        "additionalProperties": false,
        "properties": {
            "process": { "type": "string", "pattern": KEBAB },
            "title": text,
            "description": { "type": "string" },
            "reference": { "type": "string", "pattern": "^[A-Z][A-Z0-9]{0,7}$" },
            "roles": { "type": "array", "items": { "type": "string", "pattern": KEBAB }, "uniqueItems": true },
            "subjects": {
                "type": "object",
                "propertyNames": { "pattern": KEBAB },
                "additionalProperties": { "type": "object", "additionalProperties": false, "properties": { "title": text } }
            },
            "fields": { "type": "object", "propertyNames": { "pattern": SNAKE }, "additionalProperties": { "$ref": "#/$defs/field" } },
            "open": {
                "type": "object",
                "required": ["roles"],
                "additionalProperties": false,
                "properties": { "roles": { "$ref": "#/$defs/roles" }, "input": { "$ref": "#/$defs/inputs" } }
            },
            "initial": { "type": "string", "pattern": KEBAB },
            "corrections": {
                "type": "object",
                "description": "Who may correct case data with a reason (default: coordinator).",
                "required": ["roles"],
                "additionalProperties": false,
                "properties": { "roles": { "$ref": "#/$defs/roles" } }
            },
            "privacy": {
                "type": "object",
                "description": "Who may read personal data in the clear (default: the correction roles), who may erase it, and who may export a data subject's data (administrators always may both).",
                "additionalProperties": false,
                "properties": { "read": { "$ref": "#/$defs/roles" }, "erase": { "$ref": "#/$defs/roles" }, "export": { "$ref": "#/$defs/roles" } }
            },
            "retention": {
                "type": "object",
                "description": "How long personal data is kept after a case closes; `kroonika retention run` erases it then.",
                "required": ["after_closed"],
                "additionalProperties": false,
                "properties": { "after_closed": { "type": "string", "examples": ["5 years"] } }
            },
            "anywhere": { "$ref": "#/$defs/transitions" },
            "states": { "type": "object", "propertyNames": { "pattern": KEBAB }, "additionalProperties": { "$ref": "#/$defs/state" } },
            "metrics": { "type": "object", "propertyNames": { "pattern": KEBAB }, "additionalProperties": { "$ref": "#/$defs/metric" } },
            "notices": { "type": "object", "propertyNames": { "pattern": KEBAB }, "additionalProperties": { "$ref": "#/$defs/notice" } },
            "region": region,
            "profile": profile,
            "documents": { "type": "object", "propertyNames": { "pattern": KEBAB }, "additionalProperties": { "$ref": "#/$defs/document" } }
        },
        "$defs": {
            "text": {
                "description": "Words a person reads: one text, or the text in each language the interface speaks.",
                "oneOf": [
                    { "type": "string" },
                    { "type": "object", "minProperties": 1, "additionalProperties": false, "properties": { "et": { "type": "string" }, "ru": { "type": "string" }, "en": { "type": "string" } } }
                ]
            },
            "field": field,
            "input": input_spec,
            "inputs": input,
            "roles": roles,
            "transition": transition,
            "transitions": transitions,
            "deadline": deadline,
            "task": task,
            "notice": notice,
            "document": document,
            "state": state,
            "milestone": milestone,
            "metric": metric
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::TOP_KEYS;
    use crate::lower::fields::FIELD_KEYS;
    use crate::lower::hours::HOURS_KEYS;
    use crate::lower::metrics::{
        DURATION_KEYS, METRIC_KEYS, MILESTONE_KEYS, RATE_KEYS, SCORE_KEYS, TOTAL_KEYS,
    };
    use crate::lower::states::{DEADLINE_KEYS, STATE_KEYS, TASK_KEYS, TRANSITION_KEYS};

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut list: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        list.sort();
        list
    }

    #[test]
    fn schema_offers_exactly_the_keys_the_checker_accepts() {
        let schema = json_schema();
        let defs = &schema["$defs"];
        assert_eq!(keys(&schema), sorted(&TOP_KEYS));
        assert_eq!(keys(&defs["state"]), sorted(&STATE_KEYS));
        assert_eq!(keys(&defs["transition"]), sorted(&TRANSITION_KEYS));
        assert_eq!(keys(&defs["deadline"]), sorted(&DEADLINE_KEYS));
        assert_eq!(keys(&defs["task"]), sorted(&TASK_KEYS));
        assert_eq!(
            keys(&defs["notice"]),
            sorted(&crate::lower::notices::NOTICE_KEYS)
        );
        assert_eq!(
            keys(&defs["document"]),
            sorted(&crate::lower::documents::DOCUMENT_KEYS)
        );
        assert_eq!(
            keys(&schema["properties"]["profile"]),
            sorted(&crate::lower::profile::PROFILE_KEYS)
        );
        assert_eq!(keys(&defs["field"]), sorted(&FIELD_KEYS));
        assert_eq!(keys(&defs["metric"]), sorted(&METRIC_KEYS));
        assert_eq!(
            keys(&defs["milestone"]["oneOf"][1]),
            sorted(&MILESTONE_KEYS)
        );
        let metric = &defs["metric"]["properties"];
        assert_eq!(keys(&metric["rate"]), sorted(&RATE_KEYS));
        assert_eq!(keys(&metric["duration"]), sorted(&DURATION_KEYS));
        assert_eq!(keys(&metric["score"]), sorted(&SCORE_KEYS));
        assert_eq!(keys(&metric["total"]), sorted(&TOTAL_KEYS));
        assert_eq!(
            keys(&defs["transition"]["properties"]["hours"]),
            sorted(&HOURS_KEYS)
        );
        let mut input_keys = FIELD_KEYS.to_vec();
        input_keys.push("required");
        assert_eq!(keys(&defs["input"]), sorted(&input_keys));
    }

    #[test]
    fn durations_in_the_schema_match_the_parser() {
        let pattern = regex::Regex::new(DURATION).unwrap();
        for text in ["5 working days", "1 month", "10 days", "2 weeks", "1 day"] {
            assert!(pattern.is_match(text), "{text}");
            kroonika_engine::calendar::Duration::parse(text).unwrap();
        }
        assert!(!pattern.is_match("5 workdays"));
    }
}
