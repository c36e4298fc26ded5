//! The manual beyond the flags: examples for every command (shown in `--help` and the man
//! page's EXAMPLES), EXIT STATUS, ENVIRONMENT, and the long version (`--version` names the
//! built-in packs). The one place help and man pages are generated from: [`command`] is the
//! clap command the binary parses with, [`man_page`] renders a page from it.

use clap::CommandFactory;

use super::args::Cli;
use vetter::probe::input::Kind;

/// An example: what it does, and the command line (shell words; `'…'` quotes a word).
pub struct Example {
    pub what: &'static str,
    pub line: &'static str,
}

const fn ex(what: &'static str, line: &'static str) -> Example {
    Example { what, line }
}

/// Examples by command path (`""` is `vetter` itself, `"rules list"` a nested command).
pub const EXAMPLES: &[(&str, &[Example])] = &[
    (
        "",
        &[
            ex("Assess the built-in sample vendor, offline", "vetter demo"),
            ex(
                "Start a vendor: a commented vendor.toml and the evidence request to send",
                "vetter init acme",
            ),
            ex(
                "Assess it once the evidence is in, writing an HTML report",
                "vetter assess acme/vendor.toml -o report.html",
            ),
        ],
    ),
    (
        "assess",
        &[
            ex(
                "Assess one vendor; the report goes to stdout",
                "vetter assess vendor.toml",
            ),
            ex(
                "Write HTML and JSON reports, and the facts to re-evaluate later",
                "vetter assess vendor.toml -o report.html -o report.json --save-facts facts.json",
            ),
            ex(
                "Only the summary on the terminal: grade, caps and the 3 next steps that would raise the result most",
                "vetter assess vendor.toml --summary --top 3",
            ),
            ex(
                "CI: every vendor in vendors/*/vendor.toml; exit 1 on a high or critical failure or a regression",
                "vetter assess vendors/ --fail-on high --baseline baseline.json --baseline-optional --update-baseline",
            ),
        ],
    ),
    (
        "eval",
        &[
            ex(
                "Re-evaluate saved facts under the current rules",
                "vetter eval facts.json",
            ),
            ex(
                "See what will have expired by the end of the year, as JSON",
                "vetter eval facts.json --as-of 2026-12-31 -f json -o report.json",
            ),
            ex(
                "List the high and critical findings that failed or are missing their evidence, without a pager",
                "vetter eval facts.json --severity high --status fail,missing --no-pager",
            ),
            ex(
                "Only the HIPAA and BAA packs; exit 1 under a score of 80",
                "vetter eval facts.json --framework hipaa,baa --fail-under 80",
            ),
        ],
    ),
    (
        "diff",
        &[
            ex("What changed between two runs", "vetter diff old.json new.json"),
            ex(
                "Allow the score to fall 5 points; count failures of new rules as regressions",
                "vetter diff baseline.json report.json --max-drop 5 --fail-on-new-rules",
            ),
        ],
    ),
    (
        "portfolio",
        &[
            ex(
                "Rank the vendors whose JSON reports are in reports/",
                "vetter portfolio reports/ -o portfolio.html",
            ),
            ex(
                "Two reports as Markdown; exit 1 when either has a critical failure",
                "vetter portfolio acme.json globex.json --fail-on critical -o portfolio.md",
            ),
        ],
    ),
    (
        "verify",
        &[
            ex(
                "Check that the files a report was made from are unchanged",
                "vetter verify report.json",
            ),
            ex(
                "The same for every report of a portfolio",
                "vetter verify portfolio.json",
            ),
        ],
    ),
    (
        "rules list",
        &[
            ex("Every rule", "vetter rules list"),
            ex(
                "The required HIPAA rules",
                "vetter rules list --framework hipaa --force required",
            ),
        ],
    ),
    (
        "rules explain",
        &[
            ex("Everything about one rule", "vetter rules explain hipaa-risk-analysis"),
            ex("How scores are computed", "vetter rules explain --scoring"),
        ],
    ),
    (
        "rules check",
        &[
            ex("Check your own packs", "vetter rules check my-rules/"),
            ex(
                "Also render their messages against a vendor's facts",
                "vetter rules check my-rules/ --facts facts.json",
            ),
        ],
    ),
    (
        "evidence show",
        &[
            ex("What vetter reads in a BAA", "vetter evidence show baa.pdf"),
            ex(
                "Read a document as a SOC 2 report, as JSON",
                "vetter evidence show soc2-report.pdf --kind soc2 -f json",
            ),
        ],
    ),
    (
        "facts",
        &[
            ex("The facts' JSON Schema", "vetter facts --schema -o facts.schema.json"),
            ex("The facts reference as Markdown", "vetter facts --schema --markdown"),
        ],
    ),
    (
        "report",
        &[
            ex(
                "The JSON Schema of a report",
                "vetter report --schema -o report.schema.json",
            ),
            ex("The JSON Schema of a portfolio", "vetter report --schema --portfolio"),
        ],
    ),
    (
        "completions",
        &[
            ex(
                "Bash completion for this shell",
                "vetter completions bash -o vetter.bash",
            ),
            ex(
                "Fish completion, installed",
                "vetter completions fish -o ~/.config/fish/completions/vetter.fish",
            ),
        ],
    ),
    (
        "demo",
        &[
            ex("The sample report on the terminal", "vetter demo"),
            ex("As HTML", "vetter demo -o demo.html"),
            ex(
                "Probe the sample API with a credential, and keep the facts",
                "VETTER_DEMO_TOKEN='Bearer demo-token-not-a-secret' vetter demo --save-facts demo-facts.json",
            ),
        ],
    ),
    (
        "init",
        &[
            ex("Write vendor.toml and EVIDENCE-REQUEST.md here", "vetter init"),
            ex(
                "For a practice in the EU, into a new directory",
                "vetter init vendors/acme --jurisdiction eu",
            ),
            ex(
                "A US practice that also serves people in the EU",
                "vetter init vendors/acme --jurisdiction us --eu-data-subjects",
            ),
        ],
    ),
];

/// The examples of a command path and of every command under it (`rules` shows its
/// subcommands'), in table order.
pub fn examples_under(path: &str) -> Vec<&'static Example> {
    EXAMPLES
        .iter()
        .filter(|(p, _)| *p == path || (!path.is_empty() && p.starts_with(&format!("{path} "))))
        .flat_map(|(_, e)| e.iter())
        .collect()
}

/// A command line's arguments as the shell passes them: words split at blanks, `'…'` quoting,
/// leading `NAME=value` assignments (the environment) left out.
#[cfg(test)]
fn argv(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    let skip = words
        .iter()
        .take_while(|w| w.split_once('=').is_some_and(|(k, _)| is_env_name(k)))
        .count();
    words.split_off(skip)
}

#[cfg(test)]
fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The help text of a command's examples (`after_help`).
fn examples_help(path: &str) -> Option<String> {
    let list = examples_under(path);
    if list.is_empty() {
        return None;
    }
    let mut s = String::from("Examples:\n");
    for e in list {
        s.push_str(&format!("  # {}\n  {}\n", e.what, e.line));
    }
    Some(s.trim_end().to_string())
}

/// `vetter --version`: the version, then the built-in packs (`-V` prints the first line only).
pub fn long_version() -> String {
    let packs = vetter::rules::builtin_packs();
    let line = |kind: &str| {
        packs
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| format!("{} {}", p.id, p.version))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!("{}\npacks: {}", env!("CARGO_PKG_VERSION"), line("rules"));
    let phrasing = line("phrasing");
    if !phrasing.is_empty() {
        s.push_str(&format!("\nphrasing: {phrasing}"));
    }
    s
}

/// The clap command the binary parses with: the derive's, plus the examples and long version.
pub fn command() -> clap::Command {
    let long: &'static str = Box::leak(long_version().into_boxed_str());
    with_examples(Cli::command(), "").long_version(long)
}

fn with_examples(mut cmd: clap::Command, path: &str) -> clap::Command {
    if let Some(text) = examples_help(path) {
        cmd = cmd.after_help(text);
    }
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in names {
        let sub = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |c| with_examples(c, &sub));
    }
    cmd
}

/// An exit code and what it means (one paragraph a line).
pub struct Code {
    pub code: u8,
    pub meaning: Vec<String>,
}

/// What exit 1 means for each command (the commands not listed never exit 1).
fn exit_one(cmd: &str) -> Option<&'static str> {
    Some(match cmd {
        "assess" | "eval" | "demo" => {
            "A threshold failed: the overall score is under --fail-under, a finding at or above \
             --fail-on failed or could not be assessed, or the comparison with --baseline found a \
             regression. The reports were written; the reasons are on stderr."
        }
        "portfolio" => "A vendor failed a threshold (--fail-under or --fail-on); the reasons are on stderr.",
        "diff" => "The new report regressed against the old (see --max-drop and --fail-on-new-rules).",
        "verify" => "An input the report names changed or went missing.",
        "rules" => {
            "rules check: a message of the packs does not read plainly (listed on stderr); a \
             broken pack is 2."
        }
        _ => return None,
    })
}

/// EXIT STATUS of a page (`""`: the main page, with every command's meaning of 1).
pub fn exit_codes(cmd: &str) -> Vec<Code> {
    let mut out = vec![Code {
        code: 0,
        meaning: vec!["Success (also for --help and --version, and when the reader of stdout closed it early).".into()],
    }];
    let one: Vec<String> = if cmd.is_empty() {
        [
            ("assess, eval, demo", "assess"),
            ("portfolio", "portfolio"),
            ("diff", "diff"),
            ("verify", "verify"),
            ("", "rules"),
        ]
        .iter()
        .filter_map(|(label, c)| {
            exit_one(c).map(|m| {
                if label.is_empty() {
                    m.to_string()
                } else {
                    format!("{label}: {m}")
                }
            })
        })
        .collect()
    } else {
        exit_one(cmd).map(str::to_string).into_iter().collect()
    };
    if !one.is_empty() {
        out.push(Code { code: 1, meaning: one });
    }
    out.push(Code {
        code: 2,
        meaning: vec![
            "A usage or configuration error, or any other error: an unknown flag or bad value, a \
             file that cannot be read or is not what it should be (a manifest, facts file, report, \
             rule pack or waiver file, with the place and the fix), an input over its size cap, an \
             output that would overwrite an input. The error is on stderr."
                .into(),
        ],
    });
    out.push(Code {
        code: 101,
        meaning: vec!["vetter itself failed (a bug); please report it with the message on stderr.".into()],
    });
    out
}

/// An environment variable vetter reads, and the pages it appears on besides the main one.
pub struct EnvVar {
    pub name: String,
    pub meaning: String,
    pub commands: &'static [&'static str],
}

const REPORTS: &[&str] = &["assess", "eval", "demo", "portfolio"];
/// The commands that read files under the size caps.
const READERS: &[&str] = &["assess", "eval", "demo", "portfolio", "diff", "verify", "rules"];

/// ENVIRONMENT: every variable vetter reads (tests/docs.rs checks the source reads no other).
pub fn environment() -> Vec<EnvVar> {
    let var = |name: &str, commands: &'static [&'static str], meaning: &str| EnvVar {
        name: name.into(),
        meaning: meaning.into(),
        commands,
    };
    let mut out = vec![
        var(
            "NO_COLOR",
            REPORTS,
            "When set and not empty, no colour (as --no-color); it wins over FORCE_COLOR.",
        ),
        var(
            "FORCE_COLOR",
            REPORTS,
            "When set to anything but empty or 0, colour the table report on stdout even when it \
             is not a terminal (CI logs).",
        ),
        var("CLICOLOR_FORCE", REPORTS, "As FORCE_COLOR."),
        var(
            "COLUMNS",
            &["assess", "eval", "demo", "portfolio", "rules"],
            "The width of the table on stdout (report tables, rules list); otherwise the \
             terminal's (rules list: 140 when not a terminal).",
        ),
        var(
            "PAGER",
            REPORTS,
            "The pager a table longer than the screen goes through when stdout is a terminal \
             (default `less -R`; empty or `cat`: none). --no-pager never pages.",
        ),
        var(
            "LINES",
            REPORTS,
            "The screen's height for that decision; otherwise the terminal's.",
        ),
        var(
            "LESS",
            REPORTS,
            "Passed on to the pager; when unset, vetter sets it to R so the table's colours show.",
        ),
        var(
            "SOURCE_DATE_EPOCH",
            &["assess", "eval", "demo"],
            "Seconds since 1970: the report's generated_at instead of now, so a report can be \
             reproduced byte for byte.",
        ),
        var(
            "VETTER_DEMO_TOKEN",
            &["demo"],
            "When set, the demo probes its sample API with this credential (the value sent as \
             the Authorization header, e.g. 'Bearer demo-token-not-a-secret').",
        ),
        var(
            "the auth.env variable of an [[endpoint]]",
            &["assess"],
            "An [[endpoint]] with auth = { header = \"…\", env = \"NAME\" } sends the value of NAME \
             in that header. It must be set and not empty (else exit 2, before anything is probed), \
             and the value is redacted from the facts, the reports and stderr. auth = \"none\" \
             probes the endpoint without credentials on purpose.",
        ),
        var(
            "SSL_CERT_FILE, SSL_CERT_DIR",
            &["assess"],
            "Where the system's trusted CA certificates are read from (instead of the platform's \
             default), for validating endpoint certificates; --ca-file adds to them.",
        ),
    ];
    for k in Kind::ALL {
        out.push(EnvVar {
            name: k.env_var().into(),
            meaning: format!(
                "The size cap for {} (default {}): a byte count, optionally with K, M or G (binary units).",
                k.noun(),
                bytes(k.default_cap())
            ),
            commands: READERS,
        });
    }
    out
}

fn bytes(n: u64) -> String {
    for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {unit}", n / size);
        }
    }
    format!("{n} bytes")
}

/// Roff text: backslashes, hyphens and apostrophes escaped, no line taken for a request.
fn roff(s: &str) -> String {
    let t = s.replace('\\', "\\e").replace('-', "\\-").replace('\'', "\\*(Aq");
    if t.starts_with('.') { format!("\\&{t}") } else { t }
}

/// The sections clap_mangen does not write: EXAMPLES, EXIT STATUS, ENVIRONMENT.
fn extra_sections(cmd: &str) -> String {
    let mut s = String::new();
    let examples = examples_under(cmd);
    if !examples.is_empty() {
        s.push_str(".SH EXAMPLES\n");
        for e in examples {
            s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(e.line), roff(e.what)));
        }
    }
    s.push_str(".SH \"EXIT STATUS\"\n");
    for c in exit_codes(cmd) {
        let lines: Vec<String> = c.meaning.iter().map(|m| roff(m)).collect();
        s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", c.code, lines.join("\n.br\n")));
    }
    let vars: Vec<EnvVar> = environment()
        .into_iter()
        .filter(|v| cmd.is_empty() || v.commands.contains(&cmd))
        .collect();
    if !vars.is_empty() {
        s.push_str(".SH ENVIRONMENT\n");
        for v in vars {
            s.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", roff(&v.name), roff(&v.meaning)));
        }
    }
    s
}

/// The man page of `vetter` (`None`) or one of its commands, in roff.
pub fn man_page(page: Option<&str>) -> Result<String, String> {
    let root = Cli::command();
    let (cmd, path) = match page {
        None => (root, ""),
        Some(name) => {
            let sub = root
                .find_subcommand(name)
                .cloned()
                .ok_or_else(|| format!("no subcommand `{name}`"))?;
            let full: &'static str = Box::leak(format!("vetter-{name}").into_boxed_str());
            (sub.name(full), name)
        }
    };
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf).map_err(|e| e.to_string())?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    let extra = extra_sections(path);
    match text.find("\n.SH VERSION\n") {
        Some(at) => text.insert_str(at + 1, &extra),
        None => text.push_str(&extra),
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Every example parses with the real parser: a renamed flag or command breaks this test.
    #[test]
    fn every_example_parses() {
        for (path, list) in EXAMPLES {
            for e in *list {
                let args = argv(e.line);
                assert_eq!(args.first().map(String::as_str), Some("vetter"), "{}", e.line);
                assert!(
                    args.len() > 1 && args[1..].join(" ").starts_with(path),
                    "example of `{path}` runs another command: {}",
                    e.line
                );
                if let Err(err) = Cli::try_parse_from(&args) {
                    panic!("example `{}` does not parse:\n{err}", e.line);
                }
            }
        }
    }

    /// Every command has examples, and every example path is a command.
    #[test]
    fn every_command_has_examples() {
        fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let p = if path.is_empty() {
                    sub.get_name().to_string()
                } else {
                    format!("{path} {}", sub.get_name())
                };
                if sub.has_subcommands() {
                    walk(sub, &p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut leaves = vec![String::new()];
        walk(&Cli::command(), "", &mut leaves);
        for leaf in &leaves {
            let n = EXAMPLES.iter().find(|(p, _)| p == leaf).map_or(0, |(_, e)| e.len());
            assert!(n >= 1, "`vetter {leaf}` has no examples");
        }
        for (p, _) in EXAMPLES {
            assert!(leaves.iter().any(|l| l == p), "examples for `{p}`, which is no command");
        }
    }

    #[test]
    fn help_shows_the_examples() {
        let mut cmd = command();
        let help = cmd
            .find_subcommand_mut("assess")
            .expect("assess")
            .render_long_help()
            .to_string();
        assert!(help.contains("Examples:\n"), "{help}");
        for e in examples_under("assess") {
            assert!(help.contains(e.line), "{help}");
        }
    }

    #[test]
    fn argv_splits_like_a_shell() {
        assert_eq!(
            argv("A_B='x y' vetter demo --save-facts 'f 1.json'"),
            ["vetter", "demo", "--save-facts", "f 1.json"]
        );
    }
}
