//! `vetter verify REPORT.json`: re-hash every input the report names (paths relative to the
//! report's manifest) and say which still match, changed or went missing. Reads files; writes
//! stdout. Exit 1 when any file changed or went missing.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;
use sha2::{Digest, Sha256};

use super::args::Global;
use super::{Exit, write_stdout};
use vetter::report::{Format, Input, Report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum State {
    Match,
    Changed,
    Missing,
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
}

fn hash_file(p: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(p)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
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

fn check(r: &Report, i: &Input, manifest: Option<&Path>, report_dir: &Path) -> Row {
    let row = |state, actual| Row {
        vendor: r.vendor.name.clone(),
        path: i.path.clone(),
        kind: i.kind.clone(),
        state,
        expected: i.sha256.clone(),
        actual,
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
    let Some(expected) = &i.sha256 else {
        return row(State::NotHashed, hash_file(&path).ok());
    };
    match hash_file(&path) {
        Ok(h) if &h == expected => row(State::Match, Some(h)),
        Ok(h) => row(State::Changed, Some(h)),
        Err(_) => row(State::Missing, None),
    }
}

pub fn run(g: &Global, report: &Path) -> Result<Exit> {
    let reports = super::diff::load_reports(report)?;
    let report_dir = report.parent().unwrap_or(Path::new("."));
    let mut rows = Vec::new();
    for r in &reports {
        let manifest = manifest_path(r, report_dir);
        for i in &r.inputs {
            rows.push(check(r, i, manifest.as_deref(), report_dir));
        }
    }
    let bad = rows
        .iter()
        .filter(|r| matches!(r.state, State::Changed | State::Missing))
        .count();
    let text = if g.format.first() == Some(&Format::Json) {
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
            };
            o.push_str(&format!("{state} {:<12} {}\n", r.kind, r.path));
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
    write_stdout(&text)?;
    Ok(if bad > 0 { Exit::Threshold } else { Exit::Ok })
}
