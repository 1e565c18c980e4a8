//! A process definition as the engine uses it: validated, resolved, immutable.
//!
//! Nothing here is file-shaped. `kroonika-processes` reads a service owner's YAML,
//! reports every problem in it, and only then builds these types, so code that
//! holds a `ProcessDefinition` may rely on what it says: every state a transition
//! names exists, every role is declared, every guard compiled, every deadline's
//! duration parsed. The engine never re-checks a definition.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::calendar::Duration;

/// Words a person reads (a title, guidance, a rule's message): written once,
/// for every language, or in each language the interface speaks.
///
/// Plain text is stored as it always was, so definitions published before
/// titles could be translated read and hash as they did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    /// Language code (`et`, `en`) → the text in it; never empty.
    Languages(BTreeMap<String, String>),
}

/// The languages a definition may write its texts in: the interface's two,
/// and Russian, which documents printed for the service's clients speak.
pub const LANGUAGES: [&str; 3] = ["et", "ru", "en"];

impl Text {
    /// The text in `lang`; where it was not written in `lang`, in English
    /// (Russian: in Estonian, the official language whose legal terms a
    /// document cites), else in the first language it was.
    pub fn get(&self, lang: &str) -> &str {
        match self {
            Text::Plain(text) => text,
            Text::Languages(by) => by
                .get(lang)
                .or_else(|| by.get(if lang == "ru" { "et" } else { "en" }))
                .or_else(|| by.get("en"))
                .or_else(|| by.values().next())
                .map_or("", String::as_str),
        }
    }

    /// The text as the CLI and the API show it (English where written).
    pub fn as_str(&self) -> &str {
        self.get("en")
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::Plain(text.to_owned())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::Plain(text)
    }
}

/// A whole process: its data, its states and how cases move between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessDefinition {
    /// Lowercase letters, digits and '-': `school-conference`.
    pub id: String,
    pub title: Text,
    /// Case references look like `<reference>-<year>-<number>`: `SC-2026-0042`.
    pub reference: String,
    pub roles: Vec<String>,
    /// People whose personal data a case holds (victim, respondent, …).
    pub subjects: Vec<Subject>,
    pub fields: Vec<Field>,
    pub open: Open,
    /// Who may correct case data (`case update`); coordinators by default.
    pub corrections: Vec<RoleRef>,
    pub initial: String,
    /// Transitions offered in every non-terminal state.
    pub anywhere: Vec<Transition>,
    /// In the order the file gives them.
    pub states: Vec<State>,
    /// What the service owner wants reports to measure, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metric>,
    /// Who may read and erase personal data.
    #[serde(default)]
    pub privacy: Privacy,
    /// How long after closing a case its subjects' personal data is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Duration>,
    /// What the service owes someone outside it (the referring prosecutor or
    /// court) once a step is taken, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<Notice>,
    /// The field holding a case's region: an overdue case escalates to the
    /// leads of that region (and to those who work in every region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// What a case of this process records on the actor it is about (a
    /// volunteer's account): read by other processes' guards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// Documents produced from a case's data (the agreement, the report to
    /// the authority, the information sheet), in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// The compiled CEL of its guards and conditions (compiled once, on first
    /// use; not part of the definition's text or its equality).
    #[serde(skip)]
    pub programs: crate::case::guard::Programs,
}

/// What a case records on the actors one of its fields names, after every
/// step that changes it: the state the case is in, the values of some of its
/// fields and the roles it grants. An onboarding case keeps a volunteer's
/// profile (`people['kaja'].volunteer.state`), which an assignment's guard
/// reads; roles granted here are in effect while their condition holds, on
/// top of those an administrator granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The profile's name, as guards read it: `volunteer`.
    pub name: String,
    /// The actor-list field naming whose profile it is.
    pub of: String,
    /// Fields whose values are recorded (never personal ones), besides the
    /// case's state.
    pub record: Vec<String>,
    /// Roles granted while their condition (CEL over the case, `true` when
    /// absent) holds, in file order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<ProfileRole>,
}

/// A role a profile grants, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRole {
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// Who may see personal data in the clear and who may erase it. Administrators
/// may always erase; nobody reads without giving a purpose, and every reading
/// is recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Privacy {
    /// Default: the roles that may correct case data.
    pub read: Vec<RoleRef>,
    /// Besides administrators; also who places and releases legal holds.
    pub erase: Vec<RoleRef>,
    /// Besides administrators: who may export everything a case holds about a
    /// data subject (a subject access request, GDPR art. 15).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub export: Vec<RoleRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub title: Text,
}

/// A typed piece of case data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// What a form labels it with; None: its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// The data subject whose personal data this is, if any. Guards cannot read
    /// personal fields, and they are stored encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal: Option<String>,
    /// For a date or datetime that says when something happened: not later
    /// than the command records, and not longer ago than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub past: Option<crate::calendar::Duration>,
    /// A personal field a case can be found by (`case find`): a keyed blind
    /// index of its value is kept beside the log, never the value itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub searchable: bool,
    /// What a form shows for each value of an enum (or a list of enums);
    /// a value without one shows as itself.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, Text>,
}

impl Field {
    /// Whether its values hold personal data: a personal field, or a list
    /// of people (whose names and contacts are). Such values are never
    /// counted in reports nor read by a guard in the clear.
    pub fn holds_personal(&self) -> bool {
        self.personal.is_some() || matches!(self.ty, FieldType::People { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum FieldType {
    String {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
        /// At most this many characters; None: [`STRING_MAX`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    Text {
        /// At most this many characters; None: [`TEXT_MAX`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<usize>,
    },
    Integer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<i64>,
    },
    Number {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
    },
    Boolean,
    Date,
    Datetime,
    Enum {
        values: Vec<String>,
    },
    /// A list of values of one type.
    List {
        of: Box<FieldType>,
    },
    /// A list of actors who must hold `role` (facilitators, mediators).
    Actors {
        role: String,
    },
    /// The id of a partner in the published partner list, of one of `kinds`
    /// (any kind when empty).
    Partner {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        kinds: Vec<String>,
    },
    /// People the case is about, listed (several victims, offenders or
    /// pupils, a minor's legal representative): each one a data subject of
    /// their own (`parties-2`), their name and contact sealed under their own
    /// key; their role (one of `roles`), whether they are a minor and whom
    /// they represent stay readable by guards. See [`crate::case::people`].
    People {
        roles: Vec<String>,
    },
    /// One of the people listed in the case's people field `people`, by
    /// their id (`parties-2`): who consented, who signed.
    Party {
        people: String,
    },
}

/// How many characters a string field holds unless its definition says
/// otherwise: a name, a phone number, a reference.
pub const STRING_MAX: usize = 1024;
/// How many characters a text field holds unless its definition says
/// otherwise: a summary, not a document (the log keeps it for good).
pub const TEXT_MAX: usize = 64 * 1024;
/// The most a definition may allow one value (`max-length`): a text's
/// default. (A command's values are also bounded in bytes, by the
/// application's `max_text`.)
pub const LENGTH_CEILING: usize = TEXT_MAX;

impl FieldType {
    /// How many characters a value of this type may hold, for the types
    /// that hold text (of a list: each element).
    pub fn max_length(&self) -> Option<usize> {
        match self {
            FieldType::String { max_length, .. } => Some(max_length.unwrap_or(STRING_MAX)),
            FieldType::Text { max_length } => Some(max_length.unwrap_or(TEXT_MAX)),
            FieldType::List { of } => of.max_length(),
            _ => None,
        }
    }

    /// The name a service owner writes for this type.
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::String { .. } => "string",
            FieldType::Text { .. } => "text",
            FieldType::Integer { .. } => "integer",
            FieldType::Number { .. } => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Enum { .. } => "enum",
            FieldType::List { .. } | FieldType::Actors { .. } => "list",
            FieldType::Partner { .. } => "partner",
            FieldType::People { .. } => "people",
            FieldType::Party { .. } => "party",
        }
    }

    /// The people field a party (or a list of parties) names, if it is one.
    pub fn party_of(&self) -> Option<&str> {
        match self {
            FieldType::Party { people } => Some(people),
            FieldType::List { of } => of.party_of(),
            _ => None,
        }
    }
}

/// Who may open a case and what they must give.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Open {
    pub roles: Vec<RoleRef>,
    pub input: Vec<Input>,
}

/// Who may take a step: any holder of a role, or a holder of the role who is
/// also named in an actor-list field of the case (`facilitator@facilitators`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RoleRef {
    Role { role: String },
    Assigned { role: String, field: String },
}

impl std::fmt::Display for RoleRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoleRef::Role { role } => f.write_str(role),
            RoleRef::Assigned { role, field } => write!(f, "{role}@{field}"),
        }
    }
}

/// One value a command carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub name: String,
    pub required: bool,
    pub source: InputSource,
    /// A step's own input's label and its values' labels (a case field's
    /// are the field's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, Text>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum InputSource {
    /// Stored into the case field of the same name, with that field's type.
    CaseField,
    /// Recorded in the event only, readable by the guard as `input.NAME`.
    Local {
        #[serde(rename = "type")]
        ty: FieldType,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub name: String,
    /// What people call it (also the title of its outcome); None: its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance: Option<Text>,
    pub terminal: bool,
    /// For terminal states: the code reports group outcomes by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Deadline>,
    pub tasks: Vec<Task>,
    pub transitions: Vec<Transition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub name: String,
    /// What its button says; None: its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// None: the case stays in its state (logging a contact, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub roles: Vec<RoleRef>,
    pub input: Vec<Input>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Guard>,
    /// The step records hours people gave (a crisis shift, an outreach event):
    /// whose, how many and for what, for the volunteer hours report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<HoursSpec>,
}

/// Where a step's hours, the people who gave them and the activity are read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursSpec {
    /// Whose hours: each of them gave the whole amount.
    pub who: Who,
    /// The number input that holds the hours.
    pub hours: String,
    pub activity: ActivityOf,
}

/// The people a step's hours belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum Who {
    /// Whoever takes the step.
    Actor,
    /// The actors named in this input of the step (a list of actors).
    Input(String),
    /// The actors named in this case field (a list of actors).
    Field(String),
}

/// What kind of work a step's hours were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "name")]
pub enum ActivityOf {
    /// Always this activity (one of [`ACTIVITIES`]).
    Fixed(String),
    /// The value of this enum input, whose values are all in [`ACTIVITIES`].
    Input(String),
}

/// The activities hours are reported under, across every process.
pub const ACTIVITIES: [&str; 7] = [
    "mediation",
    "preparation",
    "crisis",
    "outreach",
    "training",
    "supervision",
    "other",
];

/// A CEL condition and what the user is told when it is false.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    pub expression: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Text>,
}

/// A checklist item; `when` (CEL) makes it required only if it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// Tasks of the same state that must be done first (a party is informed
    /// before consenting); one whose `when` does not hold does not block.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deadline {
    pub within: Duration,
    /// Counted from this date or datetime field instead of entering the state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Marks the case overdue for this role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<String>,
    /// The transition the system takes when the deadline passes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fire: Option<String>,
    /// An earlier warning, counted from the same start as `within`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn: Option<Duration>,
    /// A CEL condition over the case: the deadline applies only when it holds
    /// (the law's conciliation deadlines do not bind the other strand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

impl Input {
    /// The input's type: its case field's, or its own.
    pub fn field_type<'a>(&'a self, def: &'a ProcessDefinition) -> Option<&'a FieldType> {
        match &self.source {
            InputSource::CaseField => def.field(&self.name).map(|f| &f.ty),
            InputSource::Local { ty } => Some(ty),
        }
    }

    /// What a form labels it with: its own title, its field's, or None.
    pub fn title<'a>(&'a self, def: &'a ProcessDefinition) -> Option<&'a Text> {
        match &self.source {
            InputSource::CaseField => def.field(&self.name)?.title.as_ref(),
            InputSource::Local { .. } => self.title.as_ref(),
        }
    }

    /// What a form shows for each of its values.
    pub fn labels<'a>(&'a self, def: &'a ProcessDefinition) -> &'a BTreeMap<String, Text> {
        match (&self.source, def.field(&self.name)) {
            (InputSource::CaseField, Some(field)) => &field.labels,
            _ => &self.labels,
        }
    }

    /// The data subject whose personal data the input is, if any.
    pub fn personal<'a>(&'a self, def: &'a ProcessDefinition) -> Option<&'a str> {
        match &self.source {
            InputSource::CaseField => def.field(&self.name)?.personal.as_deref(),
            InputSource::Local { .. } => None,
        }
    }
}

/// A notice the service owes someone outside it (the prosecutor or court that
/// referred the case: the mediator appointed, every ending, a breach) once one
/// of the steps `after` is taken: due within a time, recorded as sent by a
/// person, and chased by the timers even after the case has closed (the
/// authority decides what becomes of the criminal case only once it knows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Lowercase letters, digits and '-': `ending`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    /// The steps (transitions, here or anywhere) whose taking makes it due.
    pub after: Vec<String>,
    /// The partner field naming whom it goes to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Due this long after the step, counted from the step's day.
    pub within: Duration,
    /// The role an overdue notice is shown to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate: Option<String>,
    /// Who records it sent (default: the roles that correct case data).
    pub roles: Vec<RoleRef>,
    /// A CEL condition over the case after the step: owed only when it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    /// A recurring duty the service owes (a volunteer's supervision every 3
    /// months): each `after` step sets a new due date, also while one is
    /// due; it is fulfilled by taking such a step, never recorded sent, and
    /// ends when the case leaves the state the step led to.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub renew: bool,
}

/// The languages a document's template may be written in: the interface's,
/// and Russian, which many of the service's clients read.
pub const DOCUMENT_LANGUAGES: [&str; 3] = ["et", "ru", "en"];

/// A document produced from a case's data: a template in each language it is
/// written in (minijinja, HTML escaped), rendered as a self-contained
/// printable page. Producing one is recorded in the case (which template, in
/// which language, for whom) and, where the template reads personal data, in
/// the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Lowercase letters, digits and '-': `agreement`.
    pub id: String,
    pub title: Text,
    /// The states in which it may be produced; empty: any, closed ones too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<String>,
    /// Who may produce it.
    pub roles: Vec<RoleRef>,
    /// Whom it may be addressed to: subjects of the case (`victim`) or
    /// partner fields (`referred_by`); empty: nobody in particular.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// Language code → the template's text.
    pub templates: BTreeMap<String, String>,
}

impl ProcessDefinition {
    pub fn document(&self, id: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == id)
    }

    pub fn notice(&self, id: &str) -> Option<&Notice> {
        self.notices.iter().find(|n| n.id == id)
    }

    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|s| s.name == name)
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// What people call a state in `lang`: its title, else its name.
    pub fn state_title<'a>(&'a self, name: &'a str, lang: &str) -> &'a str {
        self.state(name)
            .and_then(|s| s.title.as_ref())
            .map_or(name, |t| t.get(lang))
    }

    /// What a form labels a field with in `lang`: its title, else its name.
    pub fn field_title<'a>(&'a self, name: &'a str, lang: &str) -> &'a str {
        self.field(name)
            .and_then(|f| f.title.as_ref())
            .map_or(name, |t| t.get(lang))
    }

    /// What people call an outcome in `lang`: the title of the first terminal
    /// state that ends with it, else its code.
    pub fn outcome_title<'a>(&'a self, code: &'a str, lang: &str) -> &'a str {
        self.states
            .iter()
            .filter(|s| s.outcome.as_deref() == Some(code))
            .find_map(|s| s.title.as_ref())
            .map_or(code, |t| t.get(lang))
    }

    /// The transition `name` as offered in `state` (or, where it is not, as
    /// declared anywhere in the definition).
    pub fn step(&self, state: Option<&str>, name: &str) -> Option<&Transition> {
        let offered = state
            .and_then(|s| self.state(s))
            .and_then(|s| self.transitions_in(s).find(|t| t.name == name));
        offered.or_else(|| {
            self.states
                .iter()
                .flat_map(|s| s.transitions.iter())
                .chain(&self.anywhere)
                .find(|t| t.name == name)
        })
    }

    /// What a step's button says in `lang`: its title, else its name.
    pub fn step_title<'a>(&'a self, state: Option<&str>, name: &'a str, lang: &str) -> &'a str {
        self.step(state, name)
            .and_then(|t| t.title.as_ref())
            .map_or(name, |t| t.get(lang))
    }

    /// The transitions offered in `state`: its own, then the `anywhere` ones
    /// (not in terminal states, and not where the state has its own of that name).
    pub fn transitions_in<'a>(&'a self, state: &'a State) -> impl Iterator<Item = &'a Transition> {
        let anywhere = self.anywhere.iter().filter(move |t| {
            !state.terminal && !state.transitions.iter().any(|own| own.name == t.name)
        });
        state.transitions.iter().chain(anywhere)
    }
}

/// A measure the service owner declares; reports compute it from the event log
/// (`kroonika-projections::metrics`). Every metric is over cases of one process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Kebab-case, unique in the process: `agreement-per-launched`.
    pub id: String,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    pub kind: MetricKind,
    /// Which period a case counts in: the day it was opened, or a date field.
    pub cohort: Cohort,
    /// Which cases count at all; None: every case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mature: Option<Maturity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum MetricKind {
    /// Cases that reached a milestone.
    Count { of: Milestone },
    /// Cases that reached `of` among those that reached `per`; always shown with
    /// both counts.
    Rate { of: Milestone, per: Milestone },
    /// Days from one milestone to another, over cases that reached both:
    /// median, 90th percentile and mean.
    Duration {
        from: Milestone,
        to: Milestone,
        working_days: bool,
        /// Measured in hours rather than days (a crisis call-out's response).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        hours: bool,
    },
    /// The share of a state's deadlines met (left the state by the due date).
    Deadline { state: String },
    /// A numeric input of a step (satisfaction 1–5): mean, the share of answers
    /// at or above `threshold`, and the response rate over cases that reached `per`.
    Score {
        input: String,
        from: Milestone,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        per: Option<Milestone>,
    },
    /// The sum of a numeric input over every time a step was taken (volunteer
    /// hours, people supported), with the number of cases it comes from.
    Total { input: String, from: Milestone },
}

/// A point a case may reach, at the first time it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Milestone {
    Opened,
    Closed,
    /// Entered any of these states.
    Entered {
        states: Vec<String>,
    },
    /// Took this transition, with these input values if any are given.
    Took {
        transition: String,
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        with: std::collections::BTreeMap<String, serde_json::Value>,
    },
    /// Closed with any of these outcomes.
    Outcome {
        outcomes: Vec<String>,
    },
    /// The date in a date or datetime field (durations only).
    Field {
        field: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Cohort {
    Opened,
    Field { field: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Maturity {
    /// Only closed cases: a rate over open cases would count as failures the
    /// cases still on their way.
    Closed,
    /// Only cases whose cohort date is at least this long before the report's
    /// end: old enough to have reached the milestone if they ever will.
    After { after: Duration },
}
