//! The binary's commands: the only place that writes to stdout, stderr or output files.

pub mod args;
mod demo;
mod diff;
mod facts_out;
mod guard;
mod init;
mod locate;
pub mod manual;
mod output;
mod pager;
mod portfolio;
mod progress;
mod rules_cmd;
mod verify;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use args::{Cli, Command, EvalArgs, Global};
use vetter::assessment::{self, Assessment, FACTS_FILE_VERSION};
use vetter::diag::ConfigError;
use vetter::engine::{Attestation, Status, Waiver};
use vetter::manifest::{self, Manifest};
use vetter::probe;
use vetter::probe::input::{self, Kind};
use vetter::report::{self, RenderOptions, Report};
use vetter::rules::{LoadOptions, RuleSet, Severity};

/// Exit codes (DESIGN): 0 thresholds met, 1 a threshold failed; errors (exit 2) travel as `Err`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    Threshold = 1,
}

/// A usage or configuration error: printed as is, exit 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn run(cli: Cli) -> Result<Exit> {
    let g = cli.global.clone();
    match cli.command {
        Command::Assess {
            manifests,
            save_facts,
            ca_file,
            eval,
        } => assess(&g, &manifests, save_facts.as_deref(), ca_file.as_deref(), &eval),
        Command::Eval { facts, eval } => eval_cmd(&g, &facts, &eval),
        Command::Diff { old, new, regression } => diff::run(&g, &old, &new, &regression),
        Command::Verify { report, base } => verify::run(&g, &report, base.as_deref()),
        Command::Portfolio {
            inputs,
            thresholds,
            view,
        } => portfolio::run(&g, &inputs, &thresholds, &view),
        Command::Rules { command } => rules_cmd::run(&g, command),
        Command::Evidence {
            command: args::EvidenceCommand::Show { file, kind },
        } => evidence_show(&g, &file, kind.as_deref()),
        Command::Facts { schema: _, markdown } => {
            let t = output::single(&g, &fixed("facts"))?;
            let text = if markdown {
                vetter::facts::markdown()
            } else {
                format!("{}\n", serde_json::to_string_pretty(&vetter::facts::schema())?)
            };
            output::write(&g, &t.dest, &text, "the facts schema")?;
            Ok(Exit::Ok)
        }
        Command::Report { schema: _, portfolio } => {
            let t = output::single(&g, &fixed("report"))?;
            let schema = if portfolio {
                report::portfolio_schema()
            } else {
                report::schema()
            };
            let text = format!("{}\n", serde_json::to_string_pretty(&schema)?);
            output::write(&g, &t.dest, &text, "the report schema")?;
            Ok(Exit::Ok)
        }
        Command::Init {
            dir,
            force,
            jurisdiction,
            eu_data_subjects,
        } => {
            output::plan(
                &g,
                &output::Writes {
                    cmd: "init",
                    formats: &[],
                    files: false,
                },
            )?;
            init::run(&dir, force, jurisdiction, eu_data_subjects)
        }
        Command::Demo { save_facts, eval } => demo::run(&g, save_facts.as_deref(), &eval),
        Command::Completions { shell } => {
            let t = output::single(&g, &fixed("completions"))?;
            let mut cmd = manual::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "vetter", &mut buf);
            output::write(&g, &t.dest, &String::from_utf8_lossy(&buf), "the completion script")?;
            Ok(Exit::Ok)
        }
        Command::Man { page } => {
            let t = output::single(&g, &fixed("man"))?;
            let text = manual::man_page(page.as_deref()).map_err(UsageError)?;
            output::write(&g, &t.dest, &text, "the man page")?;
            Ok(Exit::Ok)
        }
    }
}

/// A command that writes one fixed kind of text: no `--format`, `--output` allowed.
/// `vetter evidence show FILE [--kind K]`: the reader's view of one document.
fn evidence_show(g: &args::Global, file: &std::path::Path, kind: Option<&str>) -> Result<Exit> {
    use vetter::manifest::EvidenceKind;
    use vetter::probe::evidence;
    let t = output::single(
        g,
        &output::Writes {
            cmd: "evidence show",
            formats: output::TEXT_OR_JSON,
            files: true,
        },
    )?;
    let kind = match kind {
        None => None,
        Some(k) => Some(EvidenceKind::ALL.into_iter().find(|x| x.as_str() == k).ok_or_else(|| {
            UsageError(format!(
                "--kind {k}: not a document kind; use one of {}",
                EvidenceKind::ALL.map(|x| x.as_str()).join(", ")
            ))
        })?),
    };
    let meta = std::fs::metadata(file).map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    if meta.len() > evidence::MAX_FILE {
        return Err(UsageError(format!(
            "{} is {} bytes, over the {} bytes an evidence document may have (VETTER_MAX_EVIDENCE_BYTES raises it for assess)",
            file.display(),
            meta.len(),
            evidence::MAX_FILE
        ))
        .into());
    }
    let bytes = std::fs::read(file).map_err(|e| UsageError(format!("cannot read {}: {e}", file.display())))?;
    let as_of = g.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let name = file.to_string_lossy();
    let shown = evidence::show::show(&bytes, &name, kind, evidence::phrasing::builtin(), as_of);
    let text = if t.format == vetter::report::Format::Json {
        format!("{}\n", serde_json::to_string_pretty(&shown)?)
    } else {
        evidence::show::render_text(&shown)
    };
    output::write(g, &t.dest, &text, "the evidence view")?;
    Ok(Exit::Ok)
}

fn fixed(cmd: &'static str) -> output::Writes {
    output::Writes {
        cmd,
        formats: &[],
        files: true,
    }
}

/// What `assess`, `eval` and `demo` write.
const REPORTS: output::Writes = output::Writes {
    cmd: "assess",
    formats: output::REPORT_FORMATS,
    files: true,
};

pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Colour on a terminal; off with --no-color or NO_COLOR; forced on a pipe by FORCE_COLOR or
/// CLICOLOR_FORCE (CI logs render ANSI colour but are not terminals). NO_COLOR wins.
fn use_color(g: &Global) -> bool {
    let set = |v: Option<std::ffi::OsString>| v.is_some_and(|v| !v.is_empty() && v != "0");
    let forced = set(std::env::var_os("FORCE_COLOR")) || set(std::env::var_os("CLICOLOR_FORCE"));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !g.no_color && !no_color && (forced || std::io::stdout().is_terminal())
}

/// The pack files a `--rules` argument stands for: a directory's `*.toml` files, or the file.
fn rule_files(arg: &str) -> Vec<PathBuf> {
    let p = Path::new(arg);
    if !p.is_dir() {
        return vec![p.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(p)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().and_then(|e| e.to_str()) == Some("toml") && f.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Refuse a `--rules` pack that is not a regular file within the rule-pack cap before the
/// pack loader reads it (it reads whole files; a pipe or device would never end). A missing
/// file is left to the loader, which says so with its own help.
pub(crate) fn check_rule_files(args: &[String]) -> Result<()> {
    for arg in args {
        for f in rule_files(arg) {
            match input::check_regular(&f, Kind::Rules) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(anyhow!(UsageError(format!(
                        "{}: cannot read rule pack: {e}",
                        f.display()
                    ))));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Load rules for an evaluation.
pub fn load_rules(eval: &EvalArgs) -> Result<RuleSet> {
    check_rule_files(&eval.rules)?;
    let opts = LoadOptions {
        include_builtin: !eval.no_builtin,
        extra: eval.rules.clone(),
        allow_override: eval.allow_override,
        metadata_only: false,
    };
    RuleSet::load(&opts).map_err(|e| anyhow!(e))
}

/// The `--waivers` file, every waiver naming a rule of `rules`; its problems are returned
/// (with the manifests' own) rather than stopping the run on the first.
fn load_waiver_file(g: &Global, eval: &EvalArgs, rules: &RuleSet) -> std::result::Result<Vec<Waiver>, ConfigError> {
    let Some(p) = &eval.waivers else {
        return Ok(vec![]);
    };
    let w = manifest::load_waivers_with(p, wait(g))?;
    let problems = manifest::check_rule_refs(rules, &w.file, &w.text, &manifest::waiver_file_refs(&w));
    if problems.is_empty() {
        Ok(w.waivers)
    } else {
        Err(ConfigError::new(problems))
    }
}

/// The filesystem and environment of this run, as the pre-flight asks about them.
struct RealWorld;

impl manifest::World for RealWorld {
    fn file(&self, path: &Path) -> manifest::FileState {
        use manifest::FileState;
        let why = |e: std::io::Error| match e.kind() {
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        };
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileState::Missing,
            Err(e) => FileState::Unreadable(why(e)),
            Ok(m) if m.is_dir() => FileState::Directory,
            // A pipe or device is not opened here (that could block): the input layer refuses
            // or reads it with its own limits when the probe does.
            Ok(m) if !m.is_file() => FileState::Readable,
            Ok(_) => match std::fs::File::open(path) {
                Ok(_) => FileState::Readable,
                Err(e) => FileState::Unreadable(why(e)),
            },
        }
    }

    fn env(&self, auth_env: &str) -> manifest::EnvState {
        use manifest::EnvState;
        match std::env::var(auth_env) {
            Ok(v) if !v.trim().is_empty() => EnvState::Set,
            Ok(_) => EnvState::Empty,
            Err(std::env::VarError::NotPresent) => EnvState::Unset,
            Err(std::env::VarError::NotUnicode(_)) => EnvState::NotUnicode,
        }
    }
}

/// `--framework` names packs that exist, and every pack `--rules` adds is among them (else it
/// would silently not run).
fn check_framework_flag(rules: &RuleSet, eval: &EvalArgs) -> Result<()> {
    if eval.framework.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = rules
        .packs
        .iter()
        .filter(|p| p.kind == "rules")
        .map(|p| p.id.clone())
        .collect();
    for f in &eval.framework {
        if !known.contains(f) {
            return Err(anyhow!(UsageError(format!(
                "--framework {f}: no such rule pack{}; known: {}",
                manifest::closest(f, &known)
                    .map(|b| format!(" (did you mean `{b}`?)"))
                    .unwrap_or_default(),
                known.join(", ")
            ))));
        }
    }
    if let Some(p) = rules
        .packs
        .iter()
        .find(|p| p.kind == "rules" && !p.source.builtin && !eval.framework.contains(&p.id))
    {
        return Err(anyhow!(UsageError(format!(
            "--rules adds pack `{}` ({}), but --framework does not name it, so it would not run\n  \
             help: add --framework {}, or leave that pack out of --rules",
            p.id, p.source.file, p.id
        ))));
    }
    Ok(())
}

/// How long a file that is a pipe may go without data: `--timeout`.
fn wait(g: &Global) -> Duration {
    Duration::from_secs(g.timeout)
}

/// The files every evaluation reads from its flags (rule packs, waivers, baseline).
fn eval_inputs(eval: &EvalArgs) -> Vec<guard::RunInput> {
    let mut out = Vec::new();
    for arg in &eval.rules {
        out.extend(
            rule_files(arg)
                .into_iter()
                .map(|f| guard::RunInput::new("a rule pack", f)),
        );
    }
    if let Some(w) = &eval.waivers {
        out.push(guard::RunInput::new("the waiver file", w));
    }
    if let Some(b) = &eval.baseline {
        out.push(guard::RunInput::new("the baseline", b));
    }
    out
}

/// Check the run's outputs (every `--output`, and `--save-facts`) against its inputs.
fn check_outputs(g: &Global, eval: &EvalArgs, save_facts: &[PathBuf], inputs: &[guard::RunInput]) -> Result<()> {
    let mut outputs: Vec<guard::RunOutput> = g
        .output
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .map(|p| guard::RunOutput {
            flag: "--output",
            path: p,
        })
        .collect();
    for p in save_facts {
        outputs.push(guard::RunOutput {
            flag: "--save-facts",
            path: p,
        });
    }
    if let Some(p) = &eval.write_baseline {
        if let Some(b) = &eval.baseline
            && guard::same_file(p, b)
        {
            return Err(anyhow!(UsageError(format!(
                "--write-baseline {} would overwrite the baseline this run compares with (--baseline {})\n  \
                 help: to rewrite the baseline after the comparison, use --update-baseline instead",
                p.display(),
                b.display()
            ))));
        }
        if p.is_dir() {
            return Err(anyhow!(UsageError(format!(
                "--write-baseline {} is a directory\n  help: give a file name, e.g. {}",
                p.display(),
                p.join("baseline.json").display()
            ))));
        }
        outputs.push(guard::RunOutput {
            flag: "--write-baseline",
            path: p,
        });
    }
    guard::check(&outputs, inputs)
}

fn now_rfc3339() -> String {
    // SOURCE_DATE_EPOCH makes reports byte-for-byte reproducible.
    let t = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now);
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The paths in directory `p` (unsorted), or a usage error naming it.
pub(crate) fn dir_entries(p: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(p).map_err(|e| UsageError(format!("{}: cannot list directory: {e}", p.display())))?;
    Ok(entries.flatten().map(|e| e.path()).collect())
}

/// A directory stands for every `*/vendor.toml` one level down (sorted, so runs are repeatable).
fn expand_manifests(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = dir_entries(p)?
            .into_iter()
            .map(|e| e.join("vendor.toml"))
            .filter(|m| m.is_file())
            .collect();
        if found.is_empty() {
            let hint = if p.join("vendor.toml").is_file() {
                format!("; to assess the one in it, pass {}", p.join("vendor.toml").display())
            } else {
                String::new()
            };
            return Err(anyhow!(UsageError(format!(
                "{}: no */vendor.toml one level down{hint}",
                p.display()
            ))));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

pub(crate) fn assess(
    g: &Global,
    paths: &[PathBuf],
    save_facts: Option<&Path>,
    ca_file: Option<&Path>,
    eval: &EvalArgs,
) -> Result<Exit> {
    let paths = &expand_manifests(paths)?;
    let old = load_baseline(g, eval)?;
    let rules = load_rules(eval)?;
    check_framework_flag(&rules, eval)?;
    // Pre-flight: read and check the waiver file and every manifest, and all that they refer
    // to, before anything is probed; every problem is listed at once (exit 2).
    let mut problems = Vec::new();
    let extra_waivers = load_waiver_file(g, eval, &rules).unwrap_or_else(|e| {
        problems.extend(e.problems);
        vec![]
    });
    let mut manifests = Vec::new();
    for p in paths {
        match manifest::load_with(p, wait(g)) {
            Ok(m) => manifests.push(m),
            Err(e) => problems.extend(e.problems),
        }
    }
    let run = manifest::Run {
        rules: &rules,
        frameworks: &eval.framework,
        as_of: g.as_of,
    };
    for m in &manifests {
        problems.extend(manifest::preflight(m, &run, &RealWorld));
    }
    if !problems.is_empty() {
        return Err(anyhow!(ConfigError::new(problems)));
    }
    for m in &manifests {
        let fw = if eval.framework.is_empty() {
            m.vendor.frameworks.clone().unwrap_or_default()
        } else {
            eval.framework.clone()
        };
        let practice = m.practice.as_ref().map(|p| p.facts()).unwrap_or_default();
        let sel = rules
            .select(&fw, &practice)
            .map_err(|e| UsageError(format!("{}: {e}", m.source.file)))?;
        // A pack the user added that will not run is said at once, not only in the report.
        for l in sel
            .left_out
            .iter()
            .filter(|l| rules.packs.iter().any(|p| p.id == l.pack && !p.source.builtin))
        {
            eprintln!("warning: {}: {}", m.source.file, l.reason);
        }
    }
    // One facts file per vendor: PATH itself for one, PATH/<vendor>.json for a portfolio.
    let (facts_files, create_facts_dir, facts_notes) = match save_facts {
        None => (vec![], false, vec![]),
        Some(p) => {
            let vendors: Vec<(&str, &str)> = manifests
                .iter()
                .map(|m| (m.vendor.name.as_str(), m.source.file.as_str()))
                .collect();
            facts_out::plan(p, &vendors)?
        }
    };
    // Nothing is probed or written before every output is known not to overwrite an input.
    let mut inputs = eval_inputs(eval);
    inputs.extend(paths.iter().map(|p| guard::RunInput::new("the manifest", p)));
    if let Some(p) = ca_file {
        inputs.push(guard::RunInput::new("the CA file", p));
    }
    for m in &manifests {
        guard::manifest_inputs(m, &mut inputs);
    }
    check_outputs(g, eval, &facts_files, &inputs)?;
    // Then what each output is to hold (an overwrite is the graver mistake, so named first).
    let targets = output::plan(g, &REPORTS)?;
    check_view(&eval.view, &targets)?;
    if let Some(dir) = save_facts.filter(|_| create_facts_dir) {
        std::fs::create_dir(dir).map_err(|e| {
            UsageError(format!(
                "--save-facts {}: cannot create the directory: {e}",
                dir.display()
            ))
        })?;
    }
    if !g.quiet {
        for n in &facts_notes {
            eprintln!("{}", report::text::escape_controls(n));
        }
    }
    let as_of = g.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let settings = probe::Settings {
        as_of,
        timeout: Duration::from_secs(g.timeout),
        concurrency: g.concurrency as usize,
        ca_file: ca_file.map(Path::to_path_buf),
        run: probe::RunState::default(),
    };
    if let Some(p) = ca_file {
        // The endpoint probe reads the file itself: refuse a pipe, a device or an oversized
        // file here first, so that read is of a small regular file.
        input::check_regular(p, Kind::CaFile)
            .map_err(|e| anyhow!(UsageError(format!("cannot read --ca-file {}: {e}", p.display()))))?;
        vetter::probe::endpoint::cert::load_roots(Some(p)).map_err(|e| anyhow!(UsageError(e)))?;
    }
    let probes = probe::registry_for(&rules);
    // Vendors run side by side, at most --concurrency at once; the probe budget is shared
    // between them so the total number of connections stays near --concurrency.
    let workers = (g.concurrency as usize).min(manifests.len()).max(1);
    let settings = probe::Settings {
        concurrency: (settings.concurrency / workers).max(1),
        ..settings
    };
    let show_progress = workers == 1 && !g.quiet && std::io::stderr().is_terminal();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Report>>>> =
        manifests.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(m) = manifests.get(i) else { break };
                    let r = assess_one(
                        g,
                        m,
                        &probes,
                        &settings,
                        &rules,
                        eval,
                        &extra_waivers,
                        facts_files.get(i).map(PathBuf::as_path),
                        as_of,
                        show_progress,
                    );
                    if let Ok(mut slot) = results[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    let mut reports = Vec::with_capacity(manifests.len());
    for slot in results {
        let r = slot
            .into_inner()
            .map_err(|_| anyhow!("a vendor's assessment thread failed"))?
            .ok_or_else(|| anyhow!("a vendor was not assessed"))?;
        reports.push(r?);
    }
    let cmp = compare_baseline(&old, &reports, eval);
    emit(g, &reports, &targets, &eval.view)?;
    let exit = finish_baseline(g, eval, &old, cmp, &reports)?;
    Ok(report_thresholds(&reports, &eval.thresholds).max(exit))
}

/// The run's secrets: every credential the manifest's endpoints send.
fn run_redactor(m: &Manifest) -> vetter::secrets::Redactor {
    let values: Vec<String> = m
        .endpoint
        .iter()
        .filter_map(|e| e.auth.as_ref().and_then(manifest::Auth::credential))
        .filter_map(|a| std::env::var(&a.env).ok())
        .collect();
    vetter::secrets::Redactor::new(values.iter().map(String::as_str)).forgetting_public(&m.source.text)
}

/// Probe, evaluate and report one vendor (run on a worker thread in a portfolio).
#[allow(clippy::too_many_arguments)]
fn assess_one(
    g: &Global,
    m: &Manifest,
    probes: &[Box<dyn probe::Probe>],
    settings: &probe::Settings,
    rules: &RuleSet,
    eval: &EvalArgs,
    extra_waivers: &[Waiver],
    save_facts: Option<&Path>,
    as_of: chrono::NaiveDate,
    show_progress: bool,
) -> Result<Report> {
    let observer = progress::Progress::new(
        show_progress,
        !g.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        &m.vendor.name,
    );
    let collected = probe::collect(m, probes, settings, &observer);
    let hashes: std::collections::BTreeMap<&str, Option<&String>> = collected
        .inputs
        .iter()
        .map(|i| (i.path.as_str(), i.sha256.as_ref()))
        .collect();
    let attestations = m
        .attestation
        .iter()
        .map(|a| Attestation {
            evidence_sha256: a
                .evidence
                .as_deref()
                .and_then(|e| hashes.get(e).copied().flatten().cloned()),
            ..a.clone()
        })
        .collect();
    // The one choke point for secrets: nothing reaches the facts file, a report or stderr
    // without passing through the run's redactor (docs/security.md).
    let redactor = run_redactor(m);
    let a = Assessment {
        facts_version: FACTS_FILE_VERSION.into(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        frameworks: m.vendor.frameworks.clone().unwrap_or_default(),
        params: m.params.clone(),
        waivers: m.waiver.clone(),
        attestations,
        inputs: with_phrasing_inputs(collected.inputs.clone(), m, rules),
        manifest: Some(locate::manifest_ref(m)),
        facts: collected.facts,
    };
    let a = redactor
        .redact_value(a)
        .map_err(|e| anyhow!("{}: {e}", m.source.file))?;
    if let Some(path) = save_facts {
        let text = serde_json::to_string_pretty(&a)? + "\n";
        std::fs::write(path, text).with_context(|| format!("cannot write facts to {}", path.display()))?;
        output::wrote(g, path);
    }
    let report = assessment::evaluate(rules, &a, &eval.framework, extra_waivers, now_rfc3339())
        .map_err(|e| UsageError(format!("{}: {e}", m.source.file)))?;
    Ok(report)
}

/// The phrasing packs that read the vendor's documents shape the evidence facts, so a report
/// must name and hash them like any other input (only when there are documents to read).
fn with_phrasing_inputs(mut inputs: Vec<report::Input>, m: &Manifest, rules: &RuleSet) -> Vec<report::Input> {
    if m.evidence.is_empty() {
        return inputs;
    }
    for (info, _) in &rules.phrasing {
        inputs.push(report::Input {
            path: info.source.file.clone(),
            kind: "phrasing".into(),
            sha256: Some(info.source.sha256.clone()),
            bytes: Some(info.source.bytes),
        });
    }
    inputs
}

fn eval_cmd(g: &Global, path: &Path, eval: &EvalArgs) -> Result<Exit> {
    let targets = output::plan(g, &output::Writes { cmd: "eval", ..REPORTS })?;
    check_view(&eval.view, &targets)?;
    let mut inputs = eval_inputs(eval);
    inputs.push(guard::RunInput::new("the facts file", path));
    check_outputs(g, eval, &[], &inputs)?;
    let old = load_baseline(g, eval)?;
    let rules = load_rules(eval)?;
    check_framework_flag(&rules, eval)?;
    let display = path.display().to_string();
    let bytes = input::read(path, Kind::Facts, wait(g))
        .map_err(|e| UsageError(format!("{display}: cannot read facts file: {e}")))?;
    // Pre-flight, every problem at once: the waiver file, and the facts file's own.
    let mut problems = Vec::new();
    let extra_waivers = load_waiver_file(g, eval, &rules).unwrap_or_else(|e| {
        problems.extend(e.problems);
        vec![]
    });
    problems.extend(check_facts_file(&display, &bytes, &rules, g.as_of));
    if !problems.is_empty() {
        return Err(anyhow!(ConfigError::new(problems)));
    }
    let mut a: Assessment = serde_json::from_slice(&bytes).map_err(|e| anyhow!(not_facts(&display, &e)))?;
    if let Some(d) = g.as_of {
        a.as_of = d.format("%Y-%m-%d").to_string();
    }
    let report = assessment::evaluate(&rules, &a, &eval.framework, &extra_waivers, now_rfc3339())
        .map_err(|e| UsageError(format!("{display}: {e}")))?;
    let cmp = compare_baseline(&old, std::slice::from_ref(&report), eval);
    emit(g, std::slice::from_ref(&report), &targets, &eval.view)?;
    let exit = finish_baseline(g, eval, &old, cmp, std::slice::from_ref(&report))?;
    Ok(report_thresholds(std::slice::from_ref(&report), &eval.thresholds).max(exit))
}

/// `FILE:LINE:COLUMN: error: not a vetter facts file: …`, as one problem (no source line is
/// quoted: a facts file may hold what an export revealed).
pub(crate) fn not_facts(display: &str, e: &serde_json::Error) -> ConfigError {
    ConfigError::one(vetter::diag::Problem {
        file: display.to_string(),
        line: e.line(),
        column: e.column(),
        message: format!("not a vetter facts file: {e}"),
        help: Some("write one with `vetter assess MANIFEST --save-facts FILE`".to_string()),
        snippet: None,
    })
}

/// Where `"key": ` is written in a JSON text vetter wrote, from `from` on: the place of a
/// problem in a facts file (JSON is read without spans; vetter writes each key once per object).
fn json_key(text: &str, key: &str, from: usize) -> Option<std::ops::Range<usize>> {
    let needle = format!("\"{key}\":");
    let at = text.get(from..)?.find(&needle)? + from;
    Some(at..at + needle.len())
}

/// Before a facts file is read as such: its version is one this vetter knows, every waiver in
/// it names a known rule (the manifest it came from may be older than the rules), and
/// `--as-of` is not before the facts were collected or an attestation in them was made.
fn check_facts_file(
    display: &str,
    bytes: &[u8],
    rules: &RuleSet,
    as_of: Option<chrono::NaiveDate>,
) -> Vec<vetter::diag::Problem> {
    use vetter::diag::Problem;
    #[derive(serde::Deserialize)]
    struct Head {
        facts_version: Option<serde_json::Value>,
        as_of: Option<String>,
        #[serde(default)]
        waivers: Vec<serde_json::Value>,
        #[serde(default)]
        attestations: Vec<serde_json::Value>,
    }
    // A file that is not even this shape gets the full parser's error, with its place.
    let Ok(head) = serde_json::from_slice::<Head>(bytes) else {
        return vec![];
    };
    let text = String::from_utf8_lossy(bytes);
    if let Some(v) = head.facts_version.as_ref().and_then(|v| v.as_str())
        && let Err(e) = assessment::check_facts_version(v)
    {
        return vec![
            Problem::at(display, &text, json_key(&text, "facts_version", 0), e)
                .help("write the facts again with this vetter: `vetter assess MANIFEST --save-facts FILE`"),
        ];
    }
    let mut out = Vec::new();
    if let Some(as_of) = as_of {
        let collected = head.as_of.as_deref().and_then(|d| manifest::parse_date(d).ok());
        if let Some(c) = collected.filter(|c| *c > as_of) {
            out.push(
                Problem::at(
                    display,
                    &text,
                    json_key(&text, "as_of", 0),
                    format!("--as-of {as_of} is before these facts were collected ({c})"),
                )
                .help(format!(
                    "evaluate as of {c} or later; to judge the vendor as it was on an earlier day, use facts collected then"
                )),
            );
        }
        let section = json_key(&text, "attestations", 0).map_or(0, |r| r.end);
        let mut from = section;
        for a in &head.attestations {
            let place = json_key(&text, "date", from);
            from = place.as_ref().map_or(from, |r| r.end);
            let date = a
                .get("date")
                .and_then(|d| d.as_str())
                .and_then(|d| manifest::parse_date(d).ok());
            if let Some(d) = date.filter(|d| *d > as_of) {
                out.push(
                    Problem::at(
                        display,
                        &text,
                        place,
                        format!("an attestation in these facts is dated {d}, after --as-of {as_of}: on that day it had not been made"),
                    )
                    .help(format!("evaluate as of {d} or later")),
                );
            }
        }
    }
    let section = json_key(&text, "waivers", 0).map_or(0, |r| r.end);
    let mut from = section;
    let mut refs = Vec::new();
    for w in &head.waivers {
        let Some(pattern) = w.get("rule").and_then(|r| r.as_str()) else {
            continue;
        };
        let span = json_key(&text, "rule", from);
        from = span.as_ref().map_or(from, |r| r.end);
        refs.push(manifest::RuleRef {
            kind: manifest::RefKind::Waiver,
            pattern,
            span,
        });
    }
    out.extend(manifest::check_rule_refs(rules, display, &text, &refs));
    out
}

/// The baseline a run compares with.
enum Baseline {
    /// No `--baseline`.
    None,
    /// `--baseline FILE --baseline-optional` and FILE does not exist: this run starts it.
    Start(PathBuf),
    /// The baseline's reports.
    Read(Vec<Report>),
}

/// `--baseline OLD.json`, read before anything is probed or written: a broken baseline is a
/// usage error (exit 2) that leaves no report behind. With `--baseline-optional` a file that
/// does not exist is no error (the run starts it), but an unreadable or broken one still is,
/// and so is a baseline to start in a directory that does not exist.
fn load_baseline(g: &Global, eval: &EvalArgs) -> Result<Baseline> {
    let Some(p) = eval.baseline.as_deref() else {
        return Ok(Baseline::None);
    };
    if eval.baseline_optional
        && let Err(e) = std::fs::metadata(p)
        && e.kind() == std::io::ErrorKind::NotFound
    {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(anyhow!(UsageError(format!(
                "--baseline {}: the file does not exist, and neither does the directory {} to start it in\n  \
                 help: create the directory, or give --baseline a path in an existing one",
                p.display(),
                dir.display()
            ))));
        }
        return Ok(Baseline::Start(p.to_path_buf()));
    }
    let reports = diff::load_reports(p, wait(g)).map_err(|e| {
        let missing =
            !eval.baseline_optional && std::fs::metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
        if missing {
            anyhow!(UsageError(format!(
                "{e}\n  help: to start a baseline when there is none yet, add --baseline-optional \
                 (or write one with --write-baseline {})",
                p.display()
            )))
        } else {
            e
        }
    })?;
    Ok(Baseline::Read(reports))
}

/// What the comparison decided about the baseline file, said on stderr after it.
struct Compared {
    /// The comparison text (and the reasons it fails), for stderr.
    text: String,
    exit: Exit,
    /// Regressions found (so `--update-baseline` leaves the file as it was).
    regressions: usize,
}

/// Compare with the baseline (before any report is written, so a failed comparison writes
/// nothing either); the text goes to stderr after the reports, since stdout carries them.
fn compare_baseline(old: &Baseline, reports: &[Report], eval: &EvalArgs) -> Option<Compared> {
    let Baseline::Read(old) = old else {
        return None;
    };
    let c = diff::compare(old, reports, &eval.regression);
    let mut text = diff::render(&c, None);
    for why in diff::reasons(&c.diffs) {
        text.push_str(&why);
        text.push('\n');
    }
    Some(Compared {
        text,
        exit: diff::exit_for(&c.diffs),
        regressions: c.diffs.iter().map(|d| d.regressions).sum(),
    })
}

/// Print the comparison on stderr, then write the baseline files the flags ask for:
/// `--write-baseline FILE` always; the `--baseline` file when it is started
/// (`--baseline-optional`) or, with `--update-baseline`, when the comparison found no
/// regression. Returns the comparison's exit code.
fn finish_baseline(
    g: &Global,
    eval: &EvalArgs,
    old: &Baseline,
    cmp: Option<Compared>,
    reports: &[Report],
) -> Result<Exit> {
    let mut err = std::io::stderr().lock();
    let exit = match &cmp {
        Some(c) => {
            let _ = err.write_all(c.text.as_bytes());
            c.exit
        }
        None => Exit::Ok,
    };
    let json = if reports.len() == 1 {
        report::json::render(&reports[0])
    } else {
        report::json::render_portfolio(reports)
    };
    if let Some(p) = &eval.write_baseline {
        write_atomic(p, &json).with_context(|| format!("cannot write --write-baseline {}", p.display()))?;
        output::wrote(g, p);
    }
    match (old, &cmp) {
        (Baseline::Start(p), _) => {
            write_atomic(p, &json).with_context(|| format!("cannot start the baseline {}", p.display()))?;
            let _ = writeln!(
                err,
                "note: baseline {} did not exist: started it from this run (nothing was compared)",
                report::text::escape_controls(&p.display().to_string())
            );
        }
        (Baseline::Read(_), Some(c)) if eval.update_baseline => {
            let p = eval.baseline.as_deref().unwrap_or(Path::new(""));
            let shown = report::text::escape_controls(&p.display().to_string()).into_owned();
            if c.regressions == 0 {
                write_atomic(p, &json).with_context(|| format!("cannot update the baseline {}", p.display()))?;
                if !g.quiet {
                    let _ = writeln!(err, "updated baseline {shown}");
                }
            } else {
                let _ = writeln!(
                    err,
                    "note: baseline {shown} not updated: the comparison found {} regression{}; \
                     to accept them, write a new baseline with --write-baseline",
                    c.regressions,
                    if c.regressions == 1 { "" } else { "s" }
                );
            }
        }
        _ => {}
    }
    Ok(exit)
}

/// Replace `path` with `text` at once (a temporary file in the same directory, renamed over
/// it): a run stopped half-way never leaves a truncated baseline for the next one to refuse.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".vetter-baseline").tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Why --fail-under and --fail-on fail, one line each ("score 62.5 is under --fail-under 70";
/// "3 findings at or above high: …"); empty when they hold.
pub fn threshold_reasons(r: &Report, eval: &args::ThresholdArgs) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(min) = eval.fail_under {
        match r.score.overall {
            Some(s) if s < min => out.push(format!("score {s} is under --fail-under {min}")),
            None => out.push(format!(
                "no overall score (nothing was scored), which is under --fail-under {min}"
            )),
            _ => {}
        }
    }
    if let Some(sev) = eval.fail_on {
        let sev: Severity = sev.into();
        let hits: Vec<&vetter::engine::Finding> = r
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Fail | Status::Error) && f.severity >= sev)
            .collect();
        if !hits.is_empty() {
            let n = hits.len();
            out.push(format!(
                "{n} finding{} at or above {sev}: {}",
                if n == 1 { "" } else { "s" },
                listing(hits.iter().map(|f| {
                    let how = if f.status == Status::Error {
                        ", could not assess"
                    } else {
                        ""
                    };
                    format!("{} ({}{how})", f.rule, f.severity)
                }))
            ));
        }
    }
    out
}

/// At most five items, then how many more.
pub(crate) fn listing(items: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = items.collect();
    let mut s = all.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if all.len() > 5 {
        s.push_str(&format!(" and {} more", all.len() - 5));
    }
    s
}

/// Print every threshold failure on stderr (also with --output and --quiet: it is the
/// outcome of the run, not progress) and return the exit code.
fn report_thresholds(reports: &[Report], eval: &args::ThresholdArgs) -> Exit {
    let mut exit = Exit::Ok;
    let mut err = std::io::stderr().lock();
    for r in reports {
        for why in threshold_reasons(r, eval) {
            exit = Exit::Threshold;
            let text = if reports.len() > 1 {
                format!("{}: {why}", r.vendor.name)
            } else {
                why
            };
            let _ = writeln!(err, "{}", vetter::report::text::escape_controls(&text));
        }
    }
    exit
}

/// The table flags (`--summary`, `--top`, `--severity`, `--status`) shape the terminal table
/// only: given for a run that writes no table, they are a usage error rather than ignored.
pub(crate) fn check_view(view: &args::ViewArgs, targets: &[output::Target]) -> Result<()> {
    if view.shapes_table() && !targets.iter().any(|t| t.format == report::Format::Table) {
        return Err(anyhow!(UsageError(
            "--summary, --top, --severity and --status choose what the terminal table shows, and this run \
             writes no table\n  help: add --format table (e.g. --format table --format json --output - --output \
             report.json), or leave them out: the other formats are complete reports"
                .into()
        )));
    }
    Ok(())
}

/// Write every requested format: the i-th --format pairs with the i-th --output. A table on a
/// terminal longer than the screen goes through the pager.
fn emit(g: &Global, reports: &[Report], targets: &[output::Target], view: &args::ViewArgs) -> Result<()> {
    check_view(view, targets)?;
    for t in targets {
        let to_stdout = t.dest == output::Dest::Stdout;
        let color = to_stdout && use_color(g);
        let width = if to_stdout { terminal_width() } else { None };
        let opts = RenderOptions {
            color,
            width,
            view: view.view(),
        };
        let text = if reports.len() == 1 {
            report::render(&reports[0], t.format, opts)
        } else {
            report::render_portfolio(reports, t.format, opts)
        };
        if to_stdout && t.format == report::Format::Table {
            pager::write(&text, view.no_pager)?;
        } else {
            output::write(g, &t.dest, &text, "the report")?;
        }
    }
    Ok(())
}

fn terminal_width() -> Option<u16> {
    // A width of 0 (a pseudo-terminal never sized) is no width: the table's default is used.
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            if std::io::stdout().is_terminal() {
                comfy_table::Table::new().width()
            } else {
                None
            }
        })
        .filter(|w| *w > 0)
}
