//! `vetter verify REPORT.json`: re-hash every input the report names (paths relative to the
//! report's manifest) and say which still match, changed or went missing. Reads files; writes
//! stdout. Exit 1 when any file changed or went missing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use sha2::{Digest, Sha256};

use vetter::probe::input::{self, Kind};

use super::Exit;
use super::args::Global;
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
    /// Why an unreadable input could not be hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Re-hash through the input layer, as the assessment read it: capped by the input's kind, a
/// pipe waits at most `wait`, a device is refused (so a crafted report cannot hang `verify`).
fn hash_file(p: &Path, kind: &str, wait: Duration) -> std::io::Result<String> {
    input::hash(p, Kind::of_report_input(kind), wait).map(|(h, _)| h)
}

/// The manifest path as written at assessment: relative to the working directory then, so
/// try that first, then beside the report.
fn manifest_path(r: &Report, report_dir: &Path) -> Option<PathBuf> {
    let m = r.inputs.iter().find(|i| i.kind == "manifest")?;
    let p = PathBuf::from(&m.path);
    if p.exists() || p.is_absolute() {
        return Some(p);
    }
    let beside = report_dir.join(p.file_name()?);
    Some(if beside.exists() { beside } else { p })
}

fn check(r: &Report, i: &Input, manifest: Option<&Path>, report_dir: &Path, wait: Duration) -> Row {
    let row = |state, actual| Row {
        vendor: r.vendor.name.clone(),
        path: i.path.clone(),
        kind: i.kind.clone(),
        state,
        expected: i.sha256.clone(),
        actual,
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
        return row(state, actual);
    }
    let path = if i.kind == "manifest" {
        manifest
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(&i.path))
    } else if i.kind == "rules" || i.kind == "phrasing" {
        PathBuf::from(&i.path)
    } else {
        let dir = manifest.and_then(Path::parent).unwrap_or(report_dir);
        dir.join(&i.path)
    };
    let hashed = hash_file(&path, &i.kind, wait);
    let Some(expected) = &i.sha256 else {
        return row(State::NotHashed, hashed.ok());
    };
    match hashed {
        Ok(h) if &h == expected => row(State::Match, Some(h)),
        Ok(h) => row(State::Changed, Some(h)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => row(State::Missing, None),
        Err(e) => Row {
            error: Some(vetter::probe::hashing::describe(&e)),
            ..row(State::Unreadable, None)
        },
    }
}

pub fn run(g: &Global, report: &Path) -> Result<Exit> {
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
    let report_dir = report.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for r in &reports {
        let manifest = manifest_path(r, report_dir);
        for i in &r.inputs {
            rows.push(check(r, i, manifest.as_deref(), report_dir, wait));
        }
    }
    let bad = rows
        .iter()
        .filter(|r| matches!(r.state, State::Changed | State::Missing | State::Unreadable))
        .count();
    let text = if t.format == Format::Json {
        serde_json::to_string_pretty(&serde_json::json!({ "inputs": rows, "changed_or_missing": bad }))? + "\n"
    } else {
        let mut o = String::new();
        for r in &rows {
            let state = match r.state {
                State::Match => "ok      ",
                State::Changed => "CHANGED ",
                State::Missing => "MISSING ",
                State::NotHashed => "unhashed",
                State::BuiltinDiffers => "differs ",
                State::Unreadable => "UNREADABLE",
            };
            o.push_str(&format!("{state} {:<12} {}", r.kind, r.path));
            if let Some(e) = &r.error {
                o.push_str(&format!(": {e}"));
            }
            o.push('\n');
        }
        let n = rows.len();
        o.push_str(&format!(
            "{} of {n} inputs match; {bad} changed or missing{}\n",
            rows.iter().filter(|r| r.state == State::Match).count(),
            if rows.iter().any(|r| r.state == State::BuiltinDiffers) {
                " (built-in packs that differ come from another vetter version and do not count)"
            } else {
                ""
            }
        ));
        // Paths, kinds and vendor names come from the report file: escaped for the terminal.
        vetter::report::text::escape_controls(&o).into_owned()
    };
    super::output::write(g, &t.dest, &text, "the verification")?;
    Ok(if bad > 0 { Exit::Threshold } else { Exit::Ok })
}
