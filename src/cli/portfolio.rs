//! `vetter portfolio REPORT.json… | DIR`: the ranked portfolio deliverables assembled from JSON
//! reports written elsewhere (one CI job per vendor, the reports gathered as artifacts). Reads
//! the reports; writes stdout or the `--output` files.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

use super::args::{Global, ThresholdArgs, ViewArgs};
use super::{Exit, REPORTS, UsageError, diff, emit, guard, output, report_thresholds, wait};
use vetter::report::Report;

/// What `portfolio` writes: every report format.
const WRITES: output::Writes = output::Writes {
    cmd: "portfolio",
    ..REPORTS
};

/// The files the arguments stand for: a file as given; a directory, its `*.json` files (sorted),
/// but for `*.oscal.json`.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if std::fs::symlink_metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
            return Err(anyhow!(UsageError(format!(
                "{}: error: no such file or directory\n  \
                 help: give JSON reports written by `vetter assess MANIFEST --format json --output FILE`, \
                 or a directory of them",
                p.display()
            ))));
        }
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = super::dir_entries(p)?
            .into_iter()
            .filter(|f| f.extension().is_some_and(|x| x == "json") && !f.is_dir())
            // vetter's own OSCAL output (`-o acme.oscal.json`), written beside the JSON report
            // by the same job, is not a report it reads back: left out by name.
            .filter(|f| {
                !f.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with(".oscal.json"))
            })
            .collect();
        if found.is_empty() {
            return Err(anyhow!(UsageError(format!(
                "{}: error: no *.json reports in this directory\n  \
                 help: put the reports written by `vetter assess MANIFEST --format json --output FILE` \
                 in it, or name the report files",
                p.display()
            ))));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

pub fn run(g: &Global, inputs: &[PathBuf], thresholds: &ThresholdArgs, view: &ViewArgs) -> Result<Exit> {
    let files = expand(inputs)?;
    // Nothing is written over a report this run reads.
    let outputs: Vec<guard::RunOutput> = g
        .output
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .map(|p| guard::RunOutput {
            flag: "--output",
            path: p,
        })
        .collect();
    let run_inputs: Vec<guard::RunInput> = files.iter().map(|f| guard::RunInput::new("a report", f)).collect();
    guard::check(&outputs, &run_inputs)?;
    let targets = output::plan(g, &WRITES)?;
    super::check_view(view, &targets)?;
    let reports = read_all(&files, wait(g))?;
    if reports.is_empty() {
        return Err(anyhow!(UsageError(format!(
            "error: {} holds no reports\n  help: give the reports written by `vetter assess --format json`",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    emit(g, &reports, &targets, view)?;
    Ok(report_thresholds(&reports, thresholds))
}

/// Every report of every file, in order; a vendor may appear once.
fn read_all(files: &[PathBuf], wait: std::time::Duration) -> Result<Vec<Report>> {
    let mut reports: Vec<Report> = Vec::new();
    let mut from: Vec<&Path> = Vec::new();
    for f in files {
        for r in diff::load_reports(f, wait)? {
            if let Some(i) = reports.iter().position(|o| o.vendor.name == r.vendor.name) {
                let first = from[i];
                let place = if guard::same_file(first, f) {
                    format!("{} holds it twice, or was given twice", f.display())
                } else {
                    format!("{} and {} both hold it", first.display(), f.display())
                };
                return Err(anyhow!(UsageError(format!(
                    "{}: error: vendor `{}` appears twice in the portfolio: {place}\n  \
                     help: give each vendor's report once (keep the newer report and remove or \
                     leave out the other; a portfolio file given alongside its own reports repeats them)",
                    f.display(),
                    vetter::report::text::escape_controls(&r.vendor.name)
                ))));
            }
            reports.push(r);
            from.push(f);
        }
    }
    Ok(reports)
}
