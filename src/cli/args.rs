//! Command-line arguments (clap derive). Help text lives here once; the man page and
//! completions are generated from it, with the examples, exit status and environment of
//! `manual.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use vetter::report::Format;
use vetter::rules::Severity;

/// Evidence-based compliance audits of healthcare software vendors (HIPAA, BAA, GDPR, SOC 2).
#[derive(Debug, Parser)]
#[command(name = "vetter", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub global: Global,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Show no progress bars and do not name the files written.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print no colour (also when NO_COLOR is set, or stdout is not a terminal and neither
    /// FORCE_COLOR nor CLICOLOR_FORCE is set).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Assess as of this date (YYYY-MM-DD) instead of today: ages, expiry and waivers use it.
    #[arg(long, global = true, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Output format; repeat to write several (each pairs with the --output in the same position).
    /// A command refuses a format it cannot write.
    #[arg(long, short, global = true, value_enum)]
    pub format: Vec<Format>,
    /// Write the output to FILE instead of stdout (`-` is stdout); repeat alongside --format.
    /// Without --format the extension names the format (.txt .json .md .sarif .xml .html
    /// .oscal.json); any other extension is refused. Each file written is named on stderr.
    #[arg(long, short, global = true, value_name = "FILE")]
    pub output: Vec<PathBuf>,
    /// Probe tasks run at once.
    #[arg(long, global = true, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Per-connection timeout in seconds (also the longest wait for data from any input file that is a pipe).
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a date; use YYYY-MM-DD, e.g. 2026-11-23"))
}

/// Rule selection and thresholds shared by `assess` and `eval`.
#[derive(Debug, Args, Clone)]
pub struct EvalArgs {
    /// Rule packs to run (comma-separated pack ids); default: every pack with default = true.
    #[arg(long, value_delimiter = ',', value_name = "PACKS")]
    pub framework: Vec<String>,
    /// Add the packs in DIR (or one pack file) to the built-in ones; repeatable.
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<String>,
    /// Let a pack from --rules replace a built-in rule of the same id (listed in the report).
    #[arg(long)]
    pub allow_override: bool,
    /// Use only the packs given with --rules, not the built-in ones.
    #[arg(long)]
    pub no_builtin: bool,
    /// A TOML file of [[waiver]] tables, added to the manifest's waivers.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    #[command(flatten)]
    pub thresholds: ThresholdArgs,
    /// Compare with a baseline JSON report (or portfolio) and exit 1 on a regression
    /// (docs/baselines.md); the comparison is printed to stderr.
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: a baseline file that does not exist starts one instead of being an
    /// error (no comparison; this run's JSON report is written to it; a note on stderr).
    #[arg(long, requires = "baseline")]
    pub baseline_optional: bool,
    /// After the comparison, rewrite the --baseline file with this run's JSON report, unless
    /// the comparison found a regression (then the file is left as it was).
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// Write this run's JSON report (a portfolio for several vendors) to FILE, to serve as
    /// the baseline of later runs; written whatever the outcome.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    #[command(flatten)]
    pub regression: RegressionArgs,
    #[command(flatten)]
    pub view: ViewArgs,
}

/// What the terminal table shows: it filters what is printed, never what is scored. The
/// other formats are complete reports and are not filtered.
#[derive(Debug, Args, Clone, Default)]
pub struct ViewArgs {
    /// Print only the summary: grade, coverage, what caps the grade, the next steps by who
    /// acts, and the legend (terminal table only).
    #[arg(long)]
    pub summary: bool,
    /// How many next steps the summary lists (default 5).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub top: Option<u16>,
    /// List only findings of this severity or worse in the table (the score still counts all).
    #[arg(long, value_name = "LEVEL", value_enum)]
    pub severity: Option<SeverityArg>,
    /// The statuses the findings table lists, comma-separated: pass, fail, error, skip,
    /// waived, manual, missing (default fail,error).
    #[arg(long, value_delimiter = ',', value_name = "STATUSES", value_parser = clap::value_parser!(vetter::engine::Status))]
    pub status: Vec<vetter::engine::Status>,
    /// Never page the table; by default a table longer than the screen goes through $PAGER
    /// (`less -R` when unset) when stdout is a terminal.
    #[arg(long)]
    pub no_pager: bool,
}

impl ViewArgs {
    /// Whether a flag that shapes the table was given.
    pub fn shapes_table(&self) -> bool {
        self.summary || self.top.is_some() || self.severity.is_some() || !self.status.is_empty()
    }

    /// The view these flags ask for.
    pub fn view(&self) -> vetter::report::View {
        let mut v = vetter::report::View {
            summary_only: self.summary,
            ..Default::default()
        };
        if let Some(n) = self.top {
            v.top = n as usize;
        }
        if let Some(s) = self.severity {
            v.min_severity = s.into();
        }
        if !self.status.is_empty() {
            v.statuses = vetter::report::Statuses::of(&self.status);
        }
        v
    }
}

/// The thresholds a set of reports is held to (`assess`, `eval`, `demo`, `portfolio`); in a
/// portfolio each vendor is held to them and the worst decides the exit code.
#[derive(Debug, Args, Clone, Default)]
pub struct ThresholdArgs {
    /// Exit 1 when the overall score is below SCORE (0-100).
    #[arg(long, value_name = "SCORE", value_parser = parse_score)]
    pub fail_under: Option<f64>,
    /// Exit 1 when a finding of this severity or worse fails or errors (waived ones never count).
    #[arg(long, value_name = "SEVERITY", value_enum)]
    pub fail_on: Option<SeverityArg>,
}

/// What counts as a regression against a baseline.
#[derive(Debug, Args, Clone)]
pub struct RegressionArgs {
    /// Score points the overall score may fall (over the rules both reports ran) before that
    /// is a regression.
    #[arg(long, value_name = "POINTS", default_value_t = 0.0, value_parser = parse_score)]
    pub max_drop: f64,
    /// Count failures of rules the baseline did not run as regressions.
    #[arg(long)]
    pub fail_on_new_rules: bool,
}

fn parse_score(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=100.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a score from 0 to 100")),
    }
}

/// A severity on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Self {
        match s {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Info => Severity::Info,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Assess vendors: probe what each manifest names, evaluate the rule packs, score, report.
    Assess {
        /// One or more vendor.toml manifests, or directories holding one vendor per subdirectory
        /// (DIR/*/vendor.toml). Several vendors are assessed in parallel (at most --concurrency
        /// at once) and give a portfolio report ending in a ranked table.
        #[arg(required = true, value_name = "MANIFEST")]
        manifests: Vec<PathBuf>,
        /// Also write the collected facts (with as_of, params, waivers, attestations, inputs):
        /// one vendor's to FILE; with several vendors, one file per vendor into DIR (created if
        /// missing; its parent must exist), named from the vendor name (lower case, letters,
        /// digits, `.`, `_`, `-`; a name taken twice gets `-2`, `-3`, …). An existing directory
        /// takes one vendor's file the same way.
        #[arg(long, value_name = "FILE|DIR")]
        save_facts: Option<PathBuf>,
        /// Also trust the CA certificates in FILE (PEM) when validating endpoint certificates.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Re-evaluate a saved facts file under the current rules (no access to the vendor).
    Eval {
        /// A facts file written by `assess --save-facts`.
        #[arg(value_name = "FACTS.json")]
        facts: PathBuf,
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Compare two JSON reports: new failures, fixed findings, score change; exit 1 on a regression.
    Diff {
        /// The baseline report (or portfolio) JSON.
        #[arg(value_name = "OLD.json")]
        old: PathBuf,
        /// The new report (or portfolio) JSON.
        #[arg(value_name = "NEW.json")]
        new: PathBuf,
        #[command(flatten)]
        regression: RegressionArgs,
    },
    /// Assemble a ranked portfolio from JSON reports written elsewhere (e.g. one CI job per
    /// vendor): the same deliverables `assess` writes for several vendors.
    Portfolio {
        /// JSON reports (or portfolios, which contribute their reports) written by
        /// `vetter assess --format json`, or directories: every *.json in one must be such a
        /// report. Each vendor may appear once; reports keep the order given (a directory's
        /// files sorted by name).
        #[arg(required = true, value_name = "REPORT.json|DIR")]
        inputs: Vec<PathBuf>,
        #[command(flatten)]
        thresholds: ThresholdArgs,
        #[command(flatten)]
        view: ViewArgs,
    },
    /// Re-hash the inputs a JSON report names, vendor by vendor; exit 1 when any changed or went missing.
    ///
    /// Works from any directory: a manifest recorded as a relative path is looked for from the
    /// report's directory and each one above it, then from the current one (where the file
    /// with the recorded hash is found first wins); the files the manifest names are then
    /// relative to it. Use --base when the files were moved apart from the report.
    Verify {
        /// A JSON report (or portfolio) written by `assess --format json`.
        #[arg(value_name = "REPORT.json")]
        report: PathBuf,
        /// The assessed files were moved or archived: DIR is now the directory that held the
        /// manifest (for a portfolio, the deepest directory holding every vendor's manifest,
        /// e.g. the DIR given to `assess`); every path is resolved under it.
        #[arg(long, value_name = "DIR")]
        base: Option<PathBuf>,
    },
    /// List, explain and check rule packs.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Show what the evidence reader sees in a document.
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Print the facts' JSON Schema (the names rules may read).
    Facts {
        /// Print the JSON Schema of the facts tree.
        #[arg(long, required = true)]
        schema: bool,
        /// Print the facts reference as Markdown instead (docs/facts.md).
        #[arg(long)]
        markdown: bool,
    },
    /// Print the JSON Schema of a report (docs/report.schema.json) or, with --portfolio, of a
    /// portfolio (docs/portfolio.schema.json): what `--format json` writes.
    Report {
        /// Print the JSON Schema of the JSON report.
        #[arg(long, required = true)]
        schema: bool,
        /// The schema of a portfolio (several vendors) instead.
        #[arg(long)]
        portfolio: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) generated from this help text.
    #[command(hide = true)]
    Man {
        /// A subcommand's page (e.g. `assess`) instead of the main one.
        page: Option<String>,
    },
    /// Assess a built-in sample vendor end to end, offline: its files are embedded and its
    /// endpoints are served on 127.0.0.1 with a certificate made at start (trusted for this run
    /// only). Set VETTER_DEMO_TOKEN="Bearer demo-token-not-a-secret" to probe its API with credentials.
    Demo {
        /// Also write the collected facts to FILE.
        #[arg(long, value_name = "FILE")]
        save_facts: Option<PathBuf>,
        #[command(flatten)]
        eval: EvalArgs,
    },
    /// Write a commented vendor.toml and EVIDENCE-REQUEST.md (what to ask the vendor for).
    Init {
        /// Directory to write into (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite existing files.
        #[arg(long)]
        force: bool,
        /// Where the practice is established: us, eu (an EU/EEA member state), uk, other.
        /// Asked when omitted and the terminal is interactive.
        #[arg(long, value_name = "WHERE", value_parser = clap::value_parser!(vetter::facts::Jurisdiction))]
        jurisdiction: Option<vetter::facts::Jurisdiction>,
        /// The practice offers care to, or monitors, people in the EU/EEA or UK (GDPR Art. 3(2)).
        #[arg(long)]
        eu_data_subjects: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// The document's outline (headings and their regions: introduction, definitions,
    /// recitals, disclaimers, drafting notes), the parties learnt, running headers and footers,
    /// and every fact read with the sentence and place it came from. Reads PDF, DOCX, HTML,
    /// Markdown and text.
    Show {
        /// The document.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Read it as this kind (soc2, baa, dpa, pentest, hitrust, policy) instead of detecting it.
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List every rule: id, severity, category, title, first reference.
    List {
        /// Add packs from DIR.
        #[arg(long, value_name = "DIR")]
        rules: Vec<String>,
        /// Only rules of these packs (comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "PACKS")]
        framework: Vec<String>,
        /// Only rules of this force: required, addressable, negotiated, practice, proposed
        /// (comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "FORCE", value_parser = clap::value_parser!(vetter::rules::Force))]
        force: Vec<vetter::rules::Force>,
    },
    /// Everything about one rule, or how scoring works (--scoring).
    Explain {
        /// The rule id.
        #[arg(required_unless_present = "scoring")]
        id: Option<String>,
        /// Explain the scoring instead.
        #[arg(long)]
        scoring: bool,
        /// Add packs from DIR.
        #[arg(long, value_name = "DIR")]
        rules: Vec<String>,
    },
    /// Check packs in DIR (or one file): every problem at once, with file:line:column.
    Check {
        /// Directory of *.toml packs, or one pack file.
        #[arg(value_name = "DIR")]
        dir: String,
        /// Check the packs alone, without the built-in ones (duplicate ids then go unnoticed).
        #[arg(long)]
        standalone: bool,
        /// Also render every rule's messages against this facts file (`--save-facts` output),
        /// besides the recorded vendors built into vetter. Repeatable.
        #[arg(long, value_name = "FILE")]
        facts: Vec<std::path::PathBuf>,
    },
}
