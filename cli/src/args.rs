//! The command line's shape (clap derive). Parsing only: no I/O happens here.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Kroonika: an event-sourced case-workflow engine for public social services.
#[derive(Debug, Parser)]
#[command(name = "kroonika", version, after_help = crate::exit::SUMMARY)]
pub struct Cli {
    /// The store: sqlite://PATH (embedded, the default) or postgres://USER@HOST:PORT/DATABASE
    /// (shared by several machines; add ?options[search_path]=SCHEMA for a schema of its own).
    #[arg(
        long,
        global = true,
        env = "KROONIKA_DB",
        default_value = "sqlite://kroonika.db",
        value_name = "URL"
    )]
    pub db: String,

    /// Who is acting (a registered actor's name).
    #[arg(long, global = true, env = "KROONIKA_ACTOR", value_name = "NAME")]
    pub actor: Option<String>,

    /// Settings (db, actor) from this TOML file; by default ./kroonika.toml if
    /// there is one. Flags and environment variables win over it.
    #[arg(long, global = true, env = "KROONIKA_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// The master key file that opens personal data (64 hex digits). By default
    /// KROONIKA_MASTER_KEY, else for an SQLite store the file `kroonika init`
    /// made beside it (<store>.key).
    #[arg(
        long,
        global = true,
        env = "KROONIKA_MASTER_KEY_FILE",
        value_name = "FILE"
    )]
    pub master_key_file: Option<std::path::PathBuf>,

    /// The language of the words a definition gives (titles, guidance, labels)
    /// and of reports: et (Estonian) or en (English). By default the
    /// `lang` setting, else the locale (LC_ALL, LC_MESSAGES, LANG). Messages
    /// and diagnostics stay in English.
    #[arg(long, global = true, env = "KROONIKA_LANG", value_enum)]
    pub lang: Option<Lang>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Et,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Et => "et",
            Lang::En => "en",
        }
    }

    /// The language a locale names (`et_EE.UTF-8`, `en_GB`), if any: `C`,
    /// `POSIX` or none is no preference.
    pub fn of_locale(locale: &str) -> Option<Lang> {
        if locale.starts_with("et") {
            Some(Lang::Et)
        } else if locale.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// The locale's language, read once by the binary (`detect_locale`); the
/// tests, which call `run` in-process, have none, so their output never
/// depends on the machine.
static LOCALE: std::sync::OnceLock<Option<Lang>> = std::sync::OnceLock::new();

/// Called by the binary: the first of LC_ALL, LC_MESSAGES and LANG that is
/// set says the language when no flag, variable or setting does.
pub fn detect_locale() {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .unwrap_or_default();
    let _ = LOCALE.set(Lang::of_locale(&locale));
}

impl Cli {
    /// The language asked for: `--lang`, KROONIKA_LANG, the `lang` setting,
    /// else the locale's. None: no preference (ids, and a definition's
    /// English words, as the CLI always showed them).
    pub fn chosen_language(&self) -> Option<&'static str> {
        self.lang
            .or_else(|| LOCALE.get().copied().flatten())
            .map(Lang::code)
    }

    /// The language words are shown in: the one asked for, else English.
    pub fn language(&self) -> &'static str {
        self.chosen_language().unwrap_or("en")
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store if it is missing and bring its schema up to date (safe to repeat).
    #[command(after_help = "Example: kroonika init --admin anu")]
    Init(InitArgs),
    /// Print a shell completion script: kroonika completions bash > /etc/bash_completion.d/kroonika
    #[command(
        after_help = "Example: kroonika completions bash > ~/.local/share/bash-completion/completions/kroonika"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Fill a new store with years of believable casework, made by the real
    /// commands, then say what to try next.
    #[command(
        after_help = "Example: kroonika --db sqlite://kroonika-demo.db demo --years 2 --seed 7"
    )]
    Demo(DemoArgs),
    /// Serve the HTTP API for a team on this store: people sign in, programs
    /// use tokens; projections, deadlines and retention run in the background.
    /// Stops cleanly on Ctrl-C or SIGTERM.
    #[command(
        after_help = "Example: kroonika serve --listen 127.0.0.1:8080\n         kroonika serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem"
    )]
    Serve(ServeArgs),
    /// Show what the store is and how much it holds.
    #[command(after_help = "Example: kroonika --db postgres://kroonika@db.example/kroonika status")]
    Status(StatusArgs),
    /// Read the event log: all of it, one stream or one category, in order.
    #[command(after_help = "Example: kroonika log --category case --format json")]
    Log(LogArgs),
    /// Write the whole log as JSON Lines in global order (with hashes; personal
    /// data stays ciphertext), plus the wrapped subject keys: a verifiable copy.
    #[command(after_help = "Example: kroonika export --output kroonika-2026-11-25.jsonl")]
    Export {
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Load an export into a new, empty store, checking the hash chain line by
    /// line; a broken or reordered file is refused (exit 4) and nothing is kept.
    #[command(
        after_help = "Example: kroonika --db sqlite://restored.db import kroonika-2026-11-25.jsonl"
    )]
    Import {
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// A signed checkpoint (`audit checkpoint`) the export must extend:
        /// nothing is imported unless it does. Repeatable; needs --key.
        #[arg(long, value_name = "FILE", requires = "key")]
        checkpoint: Vec<std::path::PathBuf>,
        /// The auditor's verifier key (the .pub file `audit keygen` wrote).
        #[arg(long, value_name = "FILE", requires = "checkpoint")]
        key: Option<std::path::PathBuf>,
    },
    /// Process definitions: check, draw, publish, list, show.
    #[command(subcommand)]
    Def(DefCommand),
    /// Actors and their roles (administrators only).
    #[command(subcommand)]
    Actor(ActorCommand),
    /// Cases: my work, open, take steps, tick tasks, notes, show, history.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Deadlines: warn, mark overdue, or take a deadline's transition.
    #[command(subcommand)]
    Timers(TimersCommand),
    /// Projections (the case list, reports): status, rebuild, keep current.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// For auditors: who did what, when, under which definition version.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Bearer tokens for programs calling `kroonika serve` (administrators only).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Data subjects: erase a person's data (their key is destroyed).
    #[command(subcommand)]
    Subject(SubjectCommand),
    /// Retention: erase the personal data of cases closed longer ago than their
    /// definition keeps it.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// A process's report: its funnel (cases per state and outcome), deadline
    /// compliance, and the metrics its definition declares.
    ///
    /// Aggregate only: cells under 5 cases are suppressed and no personal data
    /// ever appears. Two times: --from/--to/--period place cases by when things
    /// happened (occurred-at: the opening date, or the metric's cohort date);
    /// --as-of answers from what had been recorded by then ("what did we know
    /// then").
    #[command(verbatim_doc_comment)]
    #[command(
        after_help = "Example: kroonika report mediation --from 2026-01-01 --period quarter --by track --format html --output report.html"
    )]
    Report(ReportArgs),
    /// The hours volunteers gave, by activity (mediation, crisis support,
    /// outreach, training, supervision, …) and period, across every process
    /// whose steps record hours.
    ///
    /// Aggregate by default: a figure from fewer than 5 people is not shown.
    /// --per-volunteer adds each volunteer's own totals: coordinators only,
    /// with --purpose, and recorded in the access log like a reveal.
    #[command(verbatim_doc_comment)]
    #[command(
        after_help = "Example: kroonika hours --from 2026-01-01 --period quarter\n         kroonika --actor mari hours --per-volunteer --purpose 'Annual volunteer recognition'"
    )]
    Hours(HoursArgs),
    /// The partner list in force (prosecutors' offices, courts, police,
    /// schools, local governments, NGOs): each partner's id, kind and name.
    /// The service owner publishes it like a definition (`def publish
    /// partners.yaml`); `partner` fields take these ids.
    #[command(after_help = "Example: kroonika --lang et partners")]
    Partners {
        /// table or json (one partner a line).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct HoursArgs {
    /// Only hours given on or after this date.
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// … on or before this date.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Split the hours into periods of the day they were given.
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,
    /// Each volunteer's own totals too (coordinators; needs --purpose; recorded).
    #[arg(long, requires = "purpose")]
    pub per_volunteer: bool,
    /// Why each volunteer's hours are read (recorded in the access log).
    #[arg(long, value_name = "TEXT", requires = "per_volunteer")]
    pub purpose: Option<String>,
    /// table (terminal), json (stable, for programs) or csv.
    #[arg(long, value_enum, default_value_t = HoursFormat::Table)]
    pub format: HoursFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HoursFormat {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The same seed makes the same demo.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Years of history up to today (1 to 10).
    #[arg(long, default_value_t = 2)]
    pub years: u32,
    /// A factor on the volumes (1: about 700 mediation cases and 150
    /// applications a year).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f64,
    /// Replace a store that already holds data: an SQLite file is removed, a
    /// PostgreSQL store's Kroonika tables are dropped (nothing else in its schema).
    #[arg(long)]
    pub force: bool,
    /// Then serve the web application on it, every demo person signing in
    /// with the demo password (printed; for the demo only).
    #[arg(long)]
    pub serve: bool,
    /// Where to serve with --serve.
    #[arg(long, default_value = "127.0.0.1:8080", requires = "serve")]
    pub listen: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The process id.
    pub process: String,
    /// Only cases whose opening (metrics: cohort) date is on or after this date:
    /// when it happened (occurred-at).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// … on or before this date.
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// Break every metric down by this enum or boolean field (track, region, …).
    #[arg(long, value_name = "FIELD")]
    pub by: Option<String>,
    /// Split metrics into periods of their cohort date.
    #[arg(long, value_enum)]
    pub period: Option<PeriodArg>,
    /// The report as it could have been made then: events recorded up to that
    /// time (recorded-at). Deadlines and maturity are judged on that day.
    #[arg(long, value_name = "TIME")]
    pub as_of: Option<String>,
    /// table (terminal), json (stable, for programs), csv (one figure a row),
    /// html (one self-contained file with charts; use with --output).
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Write to this file instead of the terminal.
    #[arg(long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    Month,
    Quarter,
    Year,
}

impl PeriodArg {
    pub fn period(self) -> kroonika_projections::metrics::Period {
        use kroonika_projections::metrics::Period;
        match self {
            PeriodArg::Month => Period::Month,
            PeriodArg::Quarter => Period::Quarter,
            PeriodArg::Year => Period::Year,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Json,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrailTimeArg {
    Recorded,
    Occurred,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Every recorded act, oldest first: when it was recorded and when it
    /// happened, who, which case, what, under which definition version, which command.
    #[command(
        after_help = "Example: kroonika audit trail --case LE-2026-0001 --format json\n         kroonika audit trail --by mari --from 2026-11-23 --to 2026-11-29 --summary\n         kroonika audit trail --time occurred --from 2026-11-01 --limit 50 --offset 50"
    )]
    Trail {
        /// Only this case (reference or id).
        #[arg(long, value_name = "CASE")]
        case: Option<String>,
        /// Only what this actor did.
        #[arg(long = "by", value_name = "NAME")]
        by: Option<String>,
        /// At or after (RFC 3339, or a date: its start, UTC), by --time.
        #[arg(long, value_name = "TIME")]
        from: Option<String>,
        /// At or before (RFC 3339, or a date: its end, UTC), by --time.
        #[arg(long, value_name = "TIME")]
        to: Option<String>,
        /// Which time --from and --to judge: when an act was recorded, or
        /// when it happened (occurred-at, earlier for a backdated step).
        #[arg(long, value_enum, default_value_t = TrailTimeArg::Recorded)]
        time: TrailTimeArg,
        /// Show at most this many acts (the total is said).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Skip this many acts first (the next page).
        #[arg(long, value_name = "N", default_value_t = 0)]
        offset: usize,
        /// Counts by actor and kind of act instead of the acts.
        #[arg(long, conflicts_with_all = ["limit", "offset"])]
        summary: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Recompute the hash chain over the whole log and report the first place
    /// where history was changed, removed, inserted or reordered (exit 4).
    #[command(
        after_help = "Example: kroonika audit verify --against 3f9a…(the hash `audit head` printed)"
    )]
    Verify {
        /// A head hash recorded earlier (`audit head`): prove today's log still
        /// begins with the log it ended.
        #[arg(long, value_name = "HASH")]
        against: Option<String>,
        /// A signed checkpoint (`audit checkpoint`): prove today's log still
        /// extends it, even against someone who could rewrite the database.
        /// Repeatable; needs --key.
        #[arg(long, value_name = "FILE", requires = "key")]
        checkpoint: Vec<std::path::PathBuf>,
        /// The auditor's verifier key (the .pub file `audit keygen` wrote).
        #[arg(long, value_name = "FILE", requires = "checkpoint")]
        key: Option<std::path::PathBuf>,
        /// Also fold every projection and wake-up again from the log and
        /// compare them with the stored ones (the case list, reports,
        /// deadlines), naming the first difference.
        #[arg(long)]
        derived: bool,
        #[arg(long, value_enum, default_value_t = DocFormat::Table)]
        format: DocFormat,
    },
    /// Make an auditor's signing key: FILE gets the secret key (readable by
    /// its owner only; keep it away from the store), FILE.pub its public half,
    /// which checks checkpoints.
    #[command(
        after_help = "Example: kroonika audit keygen auditor.sotsiaalkindlustusamet.ee/anu --out anu.key"
    )]
    Keygen {
        /// The key's name, written beside every signature (no spaces or '+').
        name: String,
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Verify the whole log and sign a checkpoint of its head with the
    /// auditor's key (a C2SP signed note); `audit verify --checkpoint` later
    /// proves the log still extends it. A log that does not verify is not signed.
    #[command(
        after_help = "Example: kroonika audit checkpoint --key anu.key --out 2026-12-06.checkpoint"
    )]
    Checkpoint {
        /// The auditor's signing key (`audit keygen`).
        #[arg(long, value_name = "FILE")]
        key: std::path::PathBuf,
        /// Write the signed checkpoint here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
    },
    /// The log's head: its last position and hash, to write down outside the
    /// system and check later with `audit verify --against`.
    #[command(after_help = "Example: kroonika audit head --format json")]
    Head {
        #[arg(long, value_enum, default_value_t = DocFormat::Table)]
        format: DocFormat,
    },
    /// Who read personal data in the clear (and why), and who was refused.
    #[command(after_help = "Example: kroonika audit access --case LE-2026-0001")]
    Access {
        /// Only this subject (id or CASE/NAME).
        #[arg(long, value_name = "SUBJECT")]
        subject: Option<String>,
        /// Only what this actor did (`--actor` names who is acting, as everywhere).
        #[arg(long = "by", value_name = "NAME")]
        by: Option<String>,
        /// Only this case (reference or id).
        #[arg(long, value_name = "CASE")]
        case: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubjectCommand {
    /// Everything the service holds about a person, for their request (GDPR
    /// art. 15): every case where they are a data subject (by subject id or
    /// CASE/NAME, or found by --name), their personal data opened, each case's
    /// other facts and course, corrections, retention and holds, erasures, and
    /// who has seen their data (each reading, search, export and refusal: when,
    /// who, in which role, why). Never another person's data. By
    /// administrators or the definitions' `privacy: export` roles; recorded in
    /// the access log with its purpose. The HTML form is for the person
    /// (printable, in --lang et or en; Estonian by default).
    #[command(verbatim_doc_comment)]
    #[command(
        after_help = "Example: kroonika --actor anu --lang et subject access --name 'Kadri Kask' --purpose 'her request of 2026-12-01 (SKA-2026/17)' --format html --output kadri-kask.html\n         kroonika --actor anu subject access LE-2026-0001/victim --purpose 'request SKA-2026/18'"
    )]
    Access {
        /// Subjects by id (`case show` prints it) or CASE/NAME (repeatable).
        #[arg(value_name = "SUBJECT")]
        subjects: Vec<String>,
        /// Find the person's cases by name (through the search index; an
        /// erased person's cases are found only by CASE/NAME). Two people
        /// can share a name: when in doubt, check the cases with `case find`
        /// and name the subjects as CASE/NAME instead.
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        /// Why (recorded in the access log).
        #[arg(long, value_name = "TEXT")]
        purpose: String,
        /// json (for programs) or html (for the person).
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write to this file (readable by its owner only) instead of the terminal.
        #[arg(long, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Erase a data subject: destroys their key, so their personal data reads as
    /// [erased] everywhere; reports still count the case and the hash chain
    /// still verifies. By administrators or the definition's `privacy: erase` roles.
    #[command(
        after_help = "Example: kroonika --actor anu subject forget LE-2026-0001/victim --reason 'request of the data subject, 2026-11-20'"
    )]
    Forget {
        /// The subject's id (`case show` prints it) or CASE/NAME.
        subject: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase the subjects of every case closed longer ago than its definition's
    /// `retention: after_closed`, unless it is under a legal hold.
    #[command(after_help = "Example: kroonika --actor anu retention run --now 2031-01-01")]
    Run {
        /// Judge as of this time instead of now (RFC 3339, or a date).
        #[arg(long, value_name = "TIME")]
        now: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// How far each projection has read, how far behind it is, and its last error.
    #[command(after_help = "Example: kroonika projections status --format json")]
    Status {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Rebuild from the first event (all, or one), then swap in atomically.
    #[command(after_help = "Example: kroonika projections rebuild case-facts")]
    Rebuild { name: Option<String> },
    /// Bring every projection up to date; with --follow, keep them so.
    #[command(after_help = "Example: kroonika projections run --follow")]
    Run {
        #[arg(long)]
        follow: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TimersCommand {
    /// Handle every deadline that is due (safe to run from several machines at once).
    #[command(after_help = "Example: kroonika timers run --now 2026-12-01")]
    Run {
        /// Act as if it were this time (RFC 3339, or a date: its noon UTC).
        #[arg(long, value_name = "TIME", conflicts_with = "follow")]
        now: Option<String>,
        /// Keep handling deadlines as they fall due (every minute) until
        /// interrupted (Ctrl-C or SIGTERM), which stops it between runs.
        #[arg(long)]
        follow: bool,
    },
    /// Set every case's wake-up to what its events give, when `audit verify
    /// --derived` found them differ (administrators).
    #[command(after_help = "Example: kroonika --actor anu timers repair")]
    Repair,
}

/// What every case-changing command takes besides its own arguments.
#[derive(Debug, Args)]
pub struct CommandArgs {
    /// A value: FIELD=VALUE (repeat; lists comma-separated or repeated).
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Values from a JSON or YAML file (a map of field to value).
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<std::path::PathBuf>,
    /// When it happened in the world (RFC 3339 or a date); not in the future.
    #[arg(long, value_name = "TIME")]
    pub occurred_at: Option<String>,
    /// The command's id; repeating a command with the same id does nothing more.
    #[arg(long, value_name = "UUID")]
    pub command_id: Option<uuid::Uuid>,
}

#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case of a published process; prints its reference and id.
    #[command(
        after_help = "Example: kroonika --actor mari case open mediation --input-file referral.yaml"
    )]
    Open {
        process: String,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// Take a transition.
    #[command(
        after_help = "Example: kroonika --actor mari case do LE-2026-0001 assign --set mediators=ants --expect-version 3"
    )]
    Do {
        /// A reference (SC-2026-0042) or case id.
        case: String,
        transition: String,
        /// Refuse (exit 3) unless the case is still at this version.
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// Complete a checklist task of the case's current state; with --undo,
    /// untick one ticked by mistake (while its state is current; recorded
    /// with the reason).
    #[command(
        after_help = "Example: kroonika --actor ants case task LE-2026-0001 victim-consent\n         kroonika --actor ants case task LE-2026-0001 victim-consent --undo --reason 'ticked the wrong case'"
    )]
    Task {
        case: String,
        task: String,
        /// Untick the task instead (needs --reason).
        #[arg(long, requires = "reason")]
        undo: bool,
        /// Why the task is unticked.
        #[arg(long, value_name = "TEXT", requires = "undo")]
        reason: Option<String>,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// Record that a notice the case owes was sent (to the referring
    /// prosecutor or court: the mediator appointed, the ending, a breach).
    /// `case show` lists the notices due; an unsent one goes overdue, also on
    /// a closed case.
    #[command(
        after_help = "Example: kroonika --actor mari case notice LE-2026-0001 ending --sent-on 2026-11-30 --reference 'SKA 7-1/123'"
    )]
    Notice {
        case: String,
        /// The notice's id in the definition (`case show` lists those due).
        notice: String,
        /// The day it was sent (default: today, or the day of --occurred-at).
        #[arg(long, value_name = "DATE")]
        sent_on: Option<chrono::NaiveDate>,
        /// The service's reference of the letter or document.
        #[arg(long, value_name = "REF")]
        reference: Option<String>,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// Produce a document from the case (the agreement, the report to the
    /// authority, an information sheet) as one printable HTML page, and record
    /// it in the case. Where it prints names, that is a reading of personal
    /// data, recorded in the access log.
    #[command(
        after_help = "Example: kroonika --actor mari case document LE-2026-0001 agreement --language ru --to victim --out kokkulepe.html\n         kroonika --actor mari case document LE-2026-0001 report --to referred_by > aruanne.html"
    )]
    Document {
        case: String,
        /// The document's id in the definition (`case show` lists those you may produce).
        document: String,
        /// The document's language: et, ru or en (default: et).
        #[arg(long, value_name = "LANG", default_value = "et")]
        language: String,
        /// Whom it is for: a subject of the case (victim) or a partner field (referred_by).
        #[arg(long, value_name = "WHOM")]
        to: Option<String>,
        /// Write the page to FILE (whole or not at all) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// Add a note to the case's journal: a call, a meeting, what was agreed.
    /// The text is personal data: sealed for the case's data subjects,
    /// shown with `case show --reveal --purpose …`, gone when a subject is erased.
    #[command(
        after_help = "Example: kroonika --actor ants case note LE-2026-0001 --text 'Called the victim; meeting on Thursday'\n         echo 'Offender asked to postpone' | kroonika --actor ants case note LE-2026-0001"
    )]
    Note {
        case: String,
        /// The note (without it, standard input is read to its end).
        #[arg(long, value_name = "TEXT")]
        text: Option<String>,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// Move a case to a newer version of its process definition.
    #[command(
        after_help = "Example: kroonika --actor mari case migrate LE-2026-0001 --to-version 2 --map preparation=getting-ready"
    )]
    Migrate {
        case: String,
        #[arg(long, value_name = "N")]
        to_version: u32,
        /// OLD_STATE=NEW_STATE for a state the new version does not have (repeat).
        #[arg(long = "map", value_name = "OLD=NEW")]
        map: Vec<String>,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// Correct case data outside any step, with the reason recorded.
    #[command(
        after_help = "Example: kroonika --actor mari case update LE-2026-0001 --set received_on=2026-11-23 --reason 'date on the order'"
    )]
    Update {
        case: String,
        /// Why the data is corrected (recorded with the correction).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The request it answers: a data subject's request for rectification
        /// (GDPR art. 16), by the service's reference (recorded; shown in
        /// their access export).
        #[arg(long, value_name = "REF")]
        request: Option<String>,
        #[command(flatten)]
        command: CommandArgs,
    },
    /// My work: the open cases you can act on now, or that escalate to you,
    /// overdue first, then due soon, then the rest; with what each needs and
    /// the state's guidance.
    #[command(after_help = "Example: kroonika --actor mari case mine")]
    Mine {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Find a person's cases by name or phone number (names are stored sealed:
    /// a keyed index finds them without keeping them). Shows references and
    /// states, never the name, of the cases whose personal data you may read;
    /// the search is recorded with its purpose. Case, accents and word order
    /// do not matter; a phone number may be written any way.
    #[command(
        after_help = "Example: kroonika --actor mari case find --name 'Kadri Kask' --purpose 'she called about her case'\n         kroonika --actor mari case find --phone '+372 5123 4567' --purpose 'missed call'"
    )]
    Find {
        /// A name (or another searchable text, such as an e-mail address).
        #[arg(long, value_name = "TEXT", required_unless_present = "phone")]
        name: Option<String>,
        /// A phone number.
        #[arg(long, value_name = "NUMBER")]
        phone: Option<String>,
        /// Why you look (recorded in the access log).
        #[arg(long, value_name = "TEXT")]
        purpose: String,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Build the search index of `case find` anew from the log (after an
    /// import, or when a definition made more fields searchable). Administrators.
    #[command(after_help = "Example: kroonika --actor admin case reindex")]
    Reindex,
    /// List cases, nearest deadline first (the case-list projection, caught up first).
    #[command(after_help = "Example: kroonika --actor mari case list --open --overdue")]
    List {
        #[arg(long, value_name = "PROCESS")]
        process: Option<String>,
        #[arg(long, value_name = "STATE")]
        state: Option<String>,
        /// Cases that name this actor in an actor-list field (facilitators, mediators).
        #[arg(long, value_name = "ACTOR")]
        assigned_to: Option<String>,
        /// Only cases whose deadline has passed.
        #[arg(long)]
        overdue: bool,
        #[arg(long, value_name = "OUTCOME")]
        outcome: Option<String>,
        #[arg(long, conflicts_with = "closed")]
        open: bool,
        #[arg(long)]
        closed: bool,
        /// The list as it was known at this time: events recorded up to then
        /// (RFC 3339, or a date: its end, UTC).
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show a case: state, data, checklist, deadline, and what you can do now.
    ///
    /// Personal data is masked unless --reveal and --purpose are given by an
    /// actor whose role the definition's `privacy: read` allows; every reveal,
    /// and every refused attempt, is recorded (`kroonika audit access`).
    #[command(
        after_help = "Example: kroonika --actor mari case show LE-2026-0001 --reveal --purpose 'calling the victim about the meeting'"
    )]
    Show {
        case: String,
        /// The case as it was recorded at this time (RFC 3339, or a date: its end).
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// Show personal data in the clear (needs --purpose; recorded).
        #[arg(long, requires = "purpose")]
        reveal: bool,
        /// Why personal data is read: recorded with the access.
        #[arg(long, value_name = "TEXT")]
        purpose: Option<String>,
        #[arg(long, value_enum, default_value_t = DocFormat::Table)]
        format: DocFormat,
    },
    /// Place a legal hold: no erasure, by retention or by hand, until released.
    #[command(
        after_help = "Example: kroonika --actor anu case hold LE-2026-0001 --reason 'court proceedings 1-26-1234'"
    )]
    Hold {
        case: String,
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Release a legal hold.
    #[command(
        after_help = "Example: kroonika --actor anu case release LE-2026-0001 --reason 'proceedings ended'"
    )]
    Release {
        case: String,
        #[arg(long, value_name = "TEXT", default_value = "")]
        reason: String,
    },
    /// Every event of a case.
    #[command(
        after_help = "Example: kroonika --actor aino case history LE-2026-0001 --format json"
    )]
    History {
        case: String,
        /// Show the notes' texts (needs --purpose; recorded like any reveal).
        #[arg(long, requires = "purpose")]
        reveal: bool,
        /// Why the notes are read: recorded with the access.
        #[arg(long, value_name = "TEXT", requires = "reveal")]
        purpose: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Register the first administrator (only while the store has no actors).
    #[arg(long, value_name = "NAME")]
    pub admin: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ActorCommand {
    /// Register an actor with roles.
    #[command(after_help = "Example: kroonika --actor anu actor add mari --role coordinator")]
    Add {
        name: String,
        /// A role to give (repeat for several). A role no published
        /// definition declares is refused unless --force.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
        /// Give roles no published definition declares (yet).
        #[arg(long)]
        force: bool,
    },
    /// Give an actor a role.
    #[command(after_help = "Example: kroonika --actor anu actor grant mari regional-lead")]
    Grant {
        name: String,
        role: String,
        /// Give a role no published definition declares (yet).
        #[arg(long)]
        force: bool,
    },
    /// Take a role from an actor.
    #[command(after_help = "Example: kroonika --actor anu actor revoke mari regional-lead")]
    Revoke { name: String, role: String },
    /// Deactivate an actor who has left or must stop: they can do nothing,
    /// their tokens are revoked and their sessions end; their history, roles
    /// and cases stay.
    #[command(
        after_help = "Example: kroonika --actor anu actor deactivate jaan --reason 'left the service 2026-11-30'"
    )]
    Deactivate {
        name: String,
        /// Why (recorded).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Reactivate a deactivated actor: their roles are in effect again (issue
    /// new tokens; the old ones stay revoked).
    #[command(after_help = "Example: kroonika --actor anu actor reactivate jaan")]
    Reactivate { name: String },
    /// Set the region an actor works in: a regional lead then sees the
    /// overdue cases of that region only (a process says which field holds a
    /// case's region). Without a region, every region.
    #[command(
        after_help = "Example: kroonika --actor anu actor region rein south\n         kroonika --actor anu actor region rein --clear"
    )]
    Region {
        name: String,
        /// The region (north, south, east, west, …).
        #[arg(required_unless_present = "clear", conflicts_with = "clear")]
        region: Option<String>,
        /// Work in every region again.
        #[arg(long)]
        clear: bool,
    },
    /// List actors: their roles, whether active, and when they last did
    /// anything recorded.
    #[command(after_help = "Example: kroonika --actor anu actor list --format json")]
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Set the password a person signs in to `kroonika serve` with. It is read
    /// from standard input (one line), or asked for twice on a terminal; never
    /// from the command line. The person's sessions end.
    #[command(
        after_help = "Example: kroonika --actor anu actor password mari\n         printf '%s\\n' \"$NEW\" | kroonika --actor anu actor password mari"
    )]
    Password { name: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Issue a token for an actor (a program acts as that actor). The token is
    /// printed once; only its hash is kept.
    #[command(
        after_help = "Example: kroonika --actor anu token issue intake --expires 90d --note 'prosecutor referrals'"
    )]
    Issue {
        /// The actor the program acts as.
        #[arg(value_name = "ACTOR")]
        name: String,
        /// Lifetime: 30m, 12h, 90d, 12w, or never.
        #[arg(long, value_name = "LIFETIME", default_value = "90d")]
        expires: String,
        /// What the token is for (shown in `token list`).
        #[arg(long, value_name = "TEXT", default_value = "")]
        note: String,
        #[arg(long, value_enum, default_value_t = DocFormat::Table)]
        format: DocFormat,
    },
    /// List tokens: whose, what for, when they expire, whether revoked.
    #[command(after_help = "Example: kroonika --actor anu token list")]
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Revoke a token: it stops working at once.
    #[command(after_help = "Example: kroonika --actor anu token revoke 0193a7c2-…")]
    Revoke { id: uuid::Uuid },
}

#[derive(Debug, Subcommand)]
pub enum DefCommand {
    /// Check definition files; report every problem with its place (exit 1 on any error).
    #[command(after_help = "Example: kroonika def check processes/*.yaml --format json")]
    Check(DefCheckArgs),
    /// Run scenario files: how a process must behave, step by step, checked
    /// through the engine on a throw-away store (exit 1 if any scenario fails).
    #[command(
        after_help = "Example: kroonika def test processes/*.test.yaml\n\nThe format is taught in processes/README.md (\"Testing a process\")."
    )]
    Test(DefTestArgs),
    /// Draw a definition as a diagram (Mermaid renders on GitHub and GitLab as is).
    #[command(
        after_help = "Example: kroonika def graph mediation --format dot | dot -Tsvg > mediation.svg"
    )]
    Graph(DefGraphArgs),
    /// Print a JSON Schema of the definition format, for editors.
    #[command(after_help = "Example: kroonika def schema > kroonika.schema.json")]
    Schema,
    /// Publish a checked definition as its process's next version (service-owner or admin).
    #[command(after_help = "Example: kroonika --actor tiina def publish processes/mediation.yaml")]
    Publish {
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// Publish the text of an older version again as the newest (a revert).
        #[arg(long)]
        force: bool,
    },
    /// List published processes and their latest versions.
    #[command(after_help = "Example: kroonika def list --format json")]
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Which open cases can move to a version: automatically, with a state
    /// mapping, or not at all (and why).
    #[command(after_help = "Example: kroonika def migrations mediation --to-version 2")]
    Migrations {
        name: String,
        #[arg(long, value_name = "N")]
        to_version: u32,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// What a draft would have done to the cases recorded: every case of its
    /// process, open and closed, decided again with the draft as if it had
    /// been in force: the same, diverges (the first step it would refuse, and
    /// why), or deadlines (warned or missed at other times). Writes nothing.
    #[command(
        name = "what-if",
        after_help = "Example: kroonika --actor tiina def what-if drafts/mediation.yaml --format csv"
    )]
    WhatIf {
        #[arg(value_name = "DRAFT")]
        file: std::path::PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show a published version's details and source.
    #[command(after_help = "Example: kroonika def show mediation --version 1")]
    Show {
        /// The process id.
        name: String,
        /// The version (default: the latest).
        #[arg(long, value_name = "N")]
        version: Option<u32>,
    },
}

#[derive(Debug, Args)]
pub struct DefCheckArgs {
    /// The YAML files to check.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
}

#[derive(Debug, Args)]
pub struct DefTestArgs {
    /// The scenario files to run (`*.test.yaml`, each naming its definition).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<std::path::PathBuf>,
    /// Also list what the scenarios exercised of each definition: every
    /// state, transition, task, guard outcome and deadline outcome, and which
    /// of them no scenario reached.
    #[arg(long)]
    pub coverage: bool,
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
}

#[derive(Debug, Args)]
pub struct DefGraphArgs {
    /// A definition file, or the id of a published process.
    #[arg(value_name = "NAME-OR-FILE")]
    pub target: String,
    /// For a published process: the version (default: the latest).
    #[arg(long, value_name = "N")]
    pub version: Option<u32>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Each problem with an excerpt of the file.
    Human,
    /// One JSON document, for editors and CI.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    /// A drawing to open in a browser (no Graphviz needed).
    Svg,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(long, value_enum, default_value_t = DocFormat::Table)]
    pub format: DocFormat,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen (port 0: any free port, printed when ready).
    #[arg(long, env = "KROONIKA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM); without it, plain HTTP,
    /// for loopback or behind a TLS-terminating proxy only.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Largest request body, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 2 * 1024 * 1024)]
    pub max_body: usize,
    /// Longest text one value of a command may hold (an input field, a
    /// reason, a purpose), in bytes: the log keeps every value for good. A
    /// ceiling over the definitions' own limits (`max-length`, in characters).
    #[arg(long, value_name = "BYTES", default_value_t = kroonika_app::MAX_TEXT)]
    pub max_text: usize,
    /// Longest a request may take, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
    /// Sign-in attempts allowed per client address per minute.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub sign_ins_per_minute: u32,
    /// Log lines as text (for people) or JSON (for a log collector); never
    /// personal data either way. Levels: KROONIKA_LOG (e.g. `info`, `debug`).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Also serve the event store protocol (KurrentDB's gRPC) for programs,
    /// here (`--grpc` alone: 127.0.0.1:2113), with the same TLS as HTTP.
    #[arg(
        long,
        env = "KROONIKA_GRPC",
        value_name = "ADDR",
        num_args = 0..=1,
        default_missing_value = "127.0.0.1:2113"
    )]
    pub grpc: Option<std::net::SocketAddr>,
    /// Let an actor append to streams of these categories over gRPC
    /// (`ACTOR=CATEGORY[,CATEGORY…]`; repeat for more actors). Kroonika's
    /// own categories are never granted.
    #[arg(
        long = "grpc-grant",
        env = "KROONIKA_GRPC_GRANTS",
        value_name = "ACTOR=CATEGORIES",
        value_delimiter = ';',
        requires = "grpc"
    )]
    pub grpc_grants: Vec<String>,
    /// Sign a checkpoint of the verified log (`audit checkpoint`) on a
    /// schedule with this key, into --checkpoint-dir: a record someone with
    /// the database but not this key cannot rewrite.
    #[arg(
        long,
        env = "KROONIKA_CHECKPOINT_KEY",
        value_name = "FILE",
        requires = "checkpoint_dir"
    )]
    pub checkpoint_key: Option<std::path::PathBuf>,
    /// Where the signed checkpoints go (checkpoint-<position>.note).
    #[arg(
        long,
        env = "KROONIKA_CHECKPOINT_DIR",
        value_name = "DIR",
        requires = "checkpoint_key"
    )]
    pub checkpoint_dir: Option<std::path::PathBuf>,
    /// Minutes between checkpoints (one is signed only when the log moved).
    #[arg(long, value_name = "MINUTES", default_value_t = 60)]
    pub checkpoint_every: u64,
}

impl ServeArgs {
    /// `serve`'s own defaults, listening on `listen` (for `demo --serve`).
    pub fn for_demo(listen: std::net::SocketAddr) -> ServeArgs {
        #[derive(Parser)]
        struct Serve {
            #[command(flatten)]
            args: ServeArgs,
        }
        let listen = listen.to_string();
        match Serve::try_parse_from(["serve", "--listen", listen.as_str()]) {
            Ok(serve) => serve.args,
            // The flags are this file's own: they always parse.
            Err(err) => err.exit(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this stream (e.g. mediation-0193a7c2-…); --from is then a revision.
    #[arg(long, conflicts_with = "category")]
    pub stream: Option<String>,
    /// Only streams of this category (the part of the name before the first '-').
    #[arg(long)]
    pub category: Option<String>,
    /// Start at this position (or, with --stream, this revision), inclusive.
    #[arg(long, value_name = "N")]
    pub from: Option<u64>,
    /// At most this many events.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub limit: usize,
    /// Newest first.
    #[arg(long, conflicts_with = "follow")]
    pub backwards: bool,
    /// Keep printing new events as they are committed (stop with Ctrl-C).
    #[arg(long, conflicts_with = "stream")]
    pub follow: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Output formats for tabular output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people, fitting 80 columns.
    Table,
    /// JSON: one object per line.
    Json,
    /// Comma-separated values with a header row (RFC 4180), for spreadsheets.
    Csv,
}

/// Output formats for one document (a case, the store's status, a verification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// Labels and values for people.
    Table,
    /// One JSON document.
    Json,
}
