//! `vetter verify REPORT.json [--base DIR]`: re-hash every input the report names (paths
//! relative to the report's manifest, found from the report's place or re-rooted under DIR)
//! and say, vendor by vendor, which still match, changed or went missing. Reads files; writes
//! stdout. Exit 1 when any file changed or went missing.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, anyhow};
use sha2::{Digest, Sha256};

use vetter::probe::input::{self, Kind};

use super::args::Global;
use super::{Exit, UsageError};
use vetter::report::{Format, Input, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Match,
    Changed,
    Missing,
    /// There but not readable as the input it was (a pipe with no data, a device, over the cap).
    Unreadable,
    /// The report recorded no hash (the file was unreadable at assessment).
    NotHashed,
    /// A built-in pack that differs from this vetter's: informative, not a failure.
    BuiltinDiffers,
}

#[derive(serde::Serialize)]
struct Row {
    vendor: String,
    path: String,
    kind: String,
    state: State,
    expected: Option<String>,
    actual: Option<String>,
    /// The file hashed (where the recorded path was resolved to); null for a built-in pack.
    checked: Option<String>,
    /// Why an unreadable input could not be hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Re-hash through the input layer, as the assessment read it: capped by the input's kind, a
/// pipe waits at most `wait`, a device is refused (so a crafted report cannot hang `verify`).
fn hash_file(p: &Path, kind: &str, wait: Duration) -> std::io::Result<String> {
    input::hash(p, Kind::of_report_input(kind), wait).map(|(h, _)| h)
}

/// A path with `.` dropped and `name/..` folded, without touching the file system (a leading
/// `..` stays).
fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}

/// The manifest path a report records: as given to `assess` (absolute, or relative to the
/// directory `assess` ran in).
fn recorded_manifest(r: &Report) -> Option<PathBuf> {
    r.inputs
        .iter()
        .find(|i| i.kind == "manifest")
        .map(|i| PathBuf::from(&i.path))
        .or_else(|| r.manifest.as_ref().map(|m| PathBuf::from(&m.path)))
}

/// Where one report's files are looked for.
struct Located {
    /// The manifest as found (or, when found nowhere, where it was last looked for).
    manifest: Option<PathBuf>,
    found: bool,
    /// The directory standing for the one `assess` ran in (for rule packs given relative to
    /// it), when known.
    root: Option<PathBuf>,
}

/// `--base DIR`: the directory holding every manifest of the report (the manifest's own
/// directory for one vendor, their deepest common directory for a portfolio) is DIR now.
struct Base {
    dir: PathBuf,
    /// That directory as the report records it (normalized).
    prefix: PathBuf,
}

impl Base {
    fn new(dir: &Path, reports: &[Report]) -> Result<Base> {
        let shown = dir.display();
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(anyhow!(UsageError(format!(
                    "--base {shown} is not a directory\n  help: give the directory the report's manifest \
                     directory was copied to"
                ))));
            }
            Err(e) => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "does not exist".to_string()
                } else {
                    format!("cannot be read: {}", vetter::probe::input::hashing::describe(&e))
                };
                return Err(anyhow!(UsageError(format!(
                    "--base {shown} {why}\n  help: give the directory the report's manifest directory was \
                     copied to (for a portfolio, the one holding every vendor's directory)"
                ))));
            }
        }
        let dirs: Vec<PathBuf> = reports
            .iter()
            .filter_map(recorded_manifest)
            .map(|m| normalize(m.parent().unwrap_or(Path::new(""))))
            .collect();
        let Some(first) = dirs.first() else {
            return Err(anyhow!(UsageError(
                "--base: the report records no manifest, so there is nothing to re-root".into()
            )));
        };
        if dirs.iter().any(|d| d.is_absolute() != first.is_absolute()) {
            return Err(anyhow!(UsageError(
                "--base: the report's manifests were given some as absolute paths and some as relative \
                 ones, so no one directory holds them all\n  help: verify without --base from the \
                 directory the assessment ran in"
                    .into()
            )));
        }
        let mut prefix: Vec<Component> = first.components().collect();
        for d in &dirs[1..] {
            let n = prefix.iter().zip(d.components()).take_while(|(a, b)| **a == *b).count();
            prefix.truncate(n);
        }
        Ok(Base {
            dir: dir.to_path_buf(),
            prefix: prefix.iter().collect(),
        })
    }

    /// A path recorded relative to where `assess` ran, moved under DIR; `None` when it lies
    /// outside the manifests' directory (it was not part of the copied folder).
    fn reroot(&self, recorded: &Path) -> Option<PathBuf> {
        let rest = normalize(recorded).strip_prefix(&self.prefix).ok()?.to_path_buf();
        Some(if rest.as_os_str().is_empty() {
            self.dir.clone()
        } else {
            self.dir.join(rest)
        })
    }
}

/// Find a report's manifest. With `--base`, under DIR. Otherwise an absolute path is where it
/// is; a relative one was relative to where `assess` ran, which the report does not record, so
/// it is looked for relative to the report's directory and each directory above it (a report
/// is written in, or below, where `assess` ran: `-o out/r.json`, `-o acme/report.json`), then
/// to the current directory. The first place whose file has the recorded hash wins; failing
/// that the first that exists (the manifest then shows as changed).
fn locate(r: &Report, report: &Path, base: Option<&Base>, wait: Duration) -> Located {
    let Some(recorded) = recorded_manifest(r) else {
        return Located {
            manifest: None,
            found: false,
            root: None,
        };
    };
    if let Some(b) = base {
        let m = b.reroot(&recorded);
        return Located {
            found: m.as_deref().is_some_and(Path::exists),
            manifest: m,
            root: None,
        };
    }
    if recorded.is_absolute() {
        return Located {
            found: recorded.exists(),
            manifest: Some(recorded),
            root: None,
        };
    }
    let expected = r
        .inputs
        .iter()
        .find(|i| i.kind == "manifest")
        .and_then(|i| i.sha256.clone());
    let report_dir = std::path::absolute(report)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let mut anchors: Vec<PathBuf> = report_dir
        .iter()
        .flat_map(|d| d.ancestors().map(Path::to_path_buf))
        .collect();
    anchors.push(PathBuf::from("."));
    let existing: Vec<PathBuf> = anchors.into_iter().filter(|a| a.join(&recorded).is_file()).collect();
    let pick = existing
        .iter()
        .find(|a| expected.is_some() && hash_file(&a.join(&recorded), "manifest", wait).ok() == expected)
        .or(existing.first())
        .cloned();
    match pick {
        Some(a) => Located {
            manifest: Some(a.join(&recorded)),
            found: true,
            root: Some(a),
        },
        None => Located {
            manifest: Some(recorded),
            found: false,
            root: None,
        },
    }
}

fn check(r: &Report, i: &Input, at: &Located, base: Option<&Base>, wait: Duration) -> Row {
    let row = |state, actual, checked: Option<&Path>| Row {
        vendor: r.vendor.name.clone(),
        path: i.path.clone(),
        kind: i.kind.clone(),
        state,
        expected: i.sha256.clone(),
        actual,
        checked: checked.map(|p| p.display().to_string()),
        error: None,
    };
    if let Some(name) = i.path.strip_prefix("builtin:") {
        let actual = vetter::rules::BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| hex::encode(Sha256::digest(t.as_bytes())));
        let state = if actual.is_some() && actual == i.sha256 {
            State::Match
        } else {
            State::BuiltinDiffers
        };
        return row(state, actual, None);
    }
    let recorded = PathBuf::from(&i.path);
    let path = if i.kind == "manifest" {
        at.manifest.clone().unwrap_or(recorded)
    } else if i.kind == "rules" || i.kind == "phrasing" {
        // Given on the command line: relative to where `assess` ran.
        if recorded.is_absolute() {
            recorded
        } else if let Some(b) = base {
            b.reroot(&recorded).unwrap_or(recorded)
        } else if let Some(root) = &at.root {
            root.join(&recorded)
        } else {
            recorded
        }
    } else {
        // Written in the manifest: relative to it.
        match at.manifest.as_deref().and_then(Path::parent) {
            Some(d) => d.join(&recorded),
            None => recorded,
        }
    };
    let hashed = hash_file(&path, &i.kind, wait);
    let Some(expected) = &i.sha256 else {
        return row(State::NotHashed, hashed.ok(), Some(&path));
    };
    match hashed {
        Ok(h) if &h == expected => row(State::Match, Some(h), Some(&path)),
        Ok(h) => row(State::Changed, Some(h), Some(&path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => row(State::Missing, None, Some(&path)),
        Err(e) => Row {
            error: Some(vetter::probe::input::hashing::describe(&e)),
            ..row(State::Unreadable, None, Some(&path))
        },
    }
}

/// One vendor's inputs.
#[derive(serde::Serialize)]
struct Group {
    vendor: String,
    /// The manifest as the report records it.
    manifest: Option<String>,
    /// Where it was found (null when found nowhere).
    found_at: Option<String>,
    inputs: Vec<Row>,
    changed_or_missing: usize,
}

fn is_bad(r: &Row) -> bool {
    matches!(r.state, State::Changed | State::Missing | State::Unreadable)
}

fn state_word(s: State) -> &'static str {
    match s {
        State::Match => "ok      ",
        State::Changed => "CHANGED ",
        State::Missing => "MISSING ",
        State::NotHashed => "unhashed",
        State::BuiltinDiffers => "differs ",
        State::Unreadable => "UNREADABLE",
    }
}

pub fn run(g: &Global, report: &Path, base: Option<&Path>) -> Result<Exit> {
    let t = super::output::single(
        g,
        &super::output::Writes {
            cmd: "verify",
            formats: super::output::TEXT_OR_JSON,
            files: true,
        },
    )?;
    let wait = Duration::from_secs(g.timeout);
    let reports = super::diff::load_reports(report, wait)?;
    let base = base.map(|d| Base::new(d, &reports)).transpose()?;
    let mut groups = Vec::new();
    for r in &reports {
        let at = locate(r, report, base.as_ref(), wait);
        let inputs: Vec<Row> = r.inputs.iter().map(|i| check(r, i, &at, base.as_ref(), wait)).collect();
        groups.push(Group {
            vendor: r.vendor.name.clone(),
            manifest: recorded_manifest(r).map(|p| p.display().to_string()),
            found_at: at.manifest.filter(|_| at.found).map(|p| p.display().to_string()),
            changed_or_missing: inputs.iter().filter(|r| is_bad(r)).count(),
            inputs,
        });
    }
    let bad: usize = groups.iter().map(|g| g.changed_or_missing).sum();
    let text = if t.format == Format::Json {
        // `inputs` (every row, each naming its vendor) is the shape before grouping, kept for
        // scripts that read it.
        let rows: Vec<&Row> = groups.iter().flat_map(|g| &g.inputs).collect();
        serde_json::to_string_pretty(&serde_json::json!({
            "vendors": groups,
            "inputs": rows,
            "changed_or_missing": bad,
        }))? + "\n"
    } else {
        render_text(&groups, bad)
    };
    super::output::write(g, &t.dest, &text, "the verification")?;
    Ok(if bad > 0 { Exit::Threshold } else { Exit::Ok })
}

/// Each vendor under its name and where its manifest was found, then the count.
fn render_text(groups: &[Group], bad: usize) -> String {
    let mut o = String::new();
    for g in groups {
        let at = match (&g.found_at, &g.manifest) {
            (Some(p), _) => format!("manifest {p}"),
            (None, Some(m)) => format!("manifest {m} not found"),
            (None, None) => "no manifest recorded".into(),
        };
        o.push_str(&format!("{} ({at})\n", g.vendor));
        for r in &g.inputs {
            o.push_str(&format!("  {} {:<12} {}", state_word(r.state), r.kind, r.path));
            if let Some(e) = &r.error {
                o.push_str(&format!(": {e}"));
            }
            o.push('\n');
        }
        if groups.len() > 1 {
            o.push_str(&format!(
                "  {} of {} inputs match; {} changed or missing\n",
                g.inputs.iter().filter(|r| r.state == State::Match).count(),
                g.inputs.len(),
                g.changed_or_missing
            ));
        }
    }
    let rows: Vec<&Row> = groups.iter().flat_map(|g| &g.inputs).collect();
    let n = rows.len();
    let affected: Vec<&str> = groups
        .iter()
        .filter(|g| g.changed_or_missing > 0)
        .map(|g| g.vendor.as_str())
        .collect();
    o.push_str(&format!(
        "{} of {n} inputs match; {bad} changed or missing{}{}\n",
        rows.iter().filter(|r| r.state == State::Match).count(),
        if groups.len() > 1 && !affected.is_empty() {
            format!(" ({})", super::listing(affected.iter().map(|s| s.to_string())))
        } else {
            String::new()
        },
        if rows.iter().any(|r| r.state == State::BuiltinDiffers) {
            " (built-in packs that differ come from another vetter version and do not count)"
        } else {
            ""
        }
    ));
    // Paths, kinds and vendor names come from the report file: escaped for the terminal.
    vetter::report::text::escape_controls(&o).into_owned()
}
