//! `vetter diff OLD NEW` and `--baseline`: load reports, compare (report::diff), print, and
//! turn regressions into exit 1. Reads the two JSON files; writes stdout/stderr.

use std::path::Path;

use anyhow::Result;

use super::args::{Global, RegressionArgs};
use super::{Exit, UsageError, output};
use vetter::report::diff::{self, Diff, DiffOptions};
use vetter::report::{Format, Portfolio, Report};

/// A report file: one report or a portfolio, read through the input layer (capped, so a huge
/// file cannot exhaust memory; a pipe waits at most `wait`).
pub fn load_reports(path: &Path, wait: std::time::Duration) -> Result<Vec<Report>> {
    let display = path.display();
    let bytes = vetter::probe::input::read(path, vetter::probe::input::Kind::Report, wait)
        .map_err(|e| UsageError(format!("{display}: cannot read report: {e}")))?;
    let mut value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| UsageError(format!("{display}:{}:{}: error: not JSON: {e}\n  help: give a JSON report written by `vetter assess MANIFEST --format json --output FILE`", e.line(), e.column())))?;
    let not_report = |e: serde_json::Error| {
        UsageError(format!(
            "{display}: error: not a vetter JSON report: {e}\n  help: write one with `vetter assess MANIFEST --format json --output FILE`"
        ))
    };
    let reports = if let Some(list) = value.get("reports") {
        for (i, r) in list.as_array().into_iter().flatten().enumerate() {
            check_schema_version(&display.to_string(), r, &format!("reports[{i}]."))?;
        }
        // The overview is derived from the reports: whoever reads them ranks again.
        if let Some(o) = value.as_object_mut() {
            o.remove("overview");
        }
        serde_json::from_value::<Portfolio>(value).map_err(not_report)?.reports
    } else {
        check_schema_version(&display.to_string(), &value, "")?;
        vec![serde_json::from_value::<Report>(value).map_err(not_report)?]
    };
    // A report written before schema 2.2 has no caps in words or next steps: summarised again
    // here, from its findings, as vetter summarises any report.
    let mut reports = reports;
    for r in &mut reports {
        r.summary = vetter::report::summary::summarize(r, vetter::report::summary::DEFAULT_TOP);
    }
    for (i, r) in reports.iter().enumerate() {
        vetter::report::validate(r).map_err(|e| {
            let at = if reports.len() > 1 { format!("reports[{i}].") } else { String::new() };
            UsageError(format!(
                "{display}: error: {at}{e}: not a report vetter wrote\n  help: compare reports written by `vetter assess --format json`"
            ))
        })?;
    }
    Ok(reports)
}

/// A report of a newer schema major version than this vetter writes may mean anything: refuse
/// it by name rather than read it as the shape this vetter knows (a newer minor version only
/// adds fields, which are ignored). Without a readable version the parser has its say.
fn check_schema_version(display: &str, report: &serde_json::Value, at: &str) -> Result<()> {
    let major = |s: &str| s.split('.').next().and_then(|m| m.trim().parse::<u64>().ok());
    let Some(version) = report.get("schema_version").and_then(|v| v.as_str()) else {
        return Ok(());
    };
    match (major(version), major(vetter::report::SCHEMA_VERSION)) {
        (Some(have), Some(known)) if have > known => Err(anyhow::anyhow!(UsageError(format!(
            "{display}: error: {at}schema_version is {version}, newer than the {known}.x this vetter ({}) reads\n  \
             help: use the vetter that wrote it (or a newer one), or write the report again with this one \
             (`vetter assess MANIFEST --format json`)",
            env!("CARGO_PKG_VERSION")
        )))),
        _ => Ok(()),
    }
}

fn options(r: &RegressionArgs) -> DiffOptions {
    DiffOptions {
        max_drop: r.max_drop,
        fail_on_new_rules: r.fail_on_new_rules,
    }
}

/// The comparison of a run with its baseline: one diff per vendor both have, and the vendors
/// only one side has (reported, never a regression: a portfolio that gains or loses a vendor
/// still compares the others).
#[derive(Debug, serde::Serialize)]
pub struct Comparison {
    pub diffs: Vec<Diff>,
    /// Vendors of the new run the baseline has no report for (not compared).
    pub new_vendors: Vec<String>,
    /// Vendors of the baseline the new run did not assess.
    pub removed_vendors: Vec<String>,
}

/// Pair each new report with the baseline of the same vendor (by name; a single pair as is).
pub fn compare(old: &[Report], new: &[Report], r: &RegressionArgs) -> Comparison {
    let mut out = Comparison {
        diffs: Vec::new(),
        new_vendors: Vec::new(),
        removed_vendors: Vec::new(),
    };
    if old.len() == 1 && new.len() == 1 {
        out.diffs.push(diff::diff(&old[0], &new[0], options(r)));
        return out;
    }
    for n in new {
        match old.iter().find(|o| o.vendor.name == n.vendor.name) {
            Some(o) => out.diffs.push(diff::diff(o, n, options(r))),
            None => out.new_vendors.push(n.vendor.name.clone()),
        }
    }
    for o in old {
        if !new.iter().any(|n| n.vendor.name == o.vendor.name) && !out.removed_vendors.contains(&o.vendor.name) {
            out.removed_vendors.push(o.vendor.name.clone());
        }
    }
    out
}

pub fn exit_for(diffs: &[Diff]) -> Exit {
    if diffs.iter().any(|d| d.regressions > 0) {
        Exit::Threshold
    } else {
        Exit::Ok
    }
}

/// Why the comparison fails, one line per vendor with regressions ("2 regressions against
/// baseline: …").
pub fn reasons(diffs: &[Diff]) -> Vec<String> {
    let several = diffs.len() > 1;
    diffs
        .iter()
        .filter(|d| d.regressions > 0)
        .map(|d| {
            let mut items: Vec<String> = Vec::new();
            if d.score_drop_regression {
                items.push(format!(
                    "score {} → {}",
                    d.common_score_before.map_or("none".into(), |s| s.to_string()),
                    d.common_score_after.map_or("none".into(), |s| s.to_string())
                ));
            }
            items.extend(d.expired_waivers.iter().map(|w| format!("{} (waiver expired)", w.rule)));
            items.extend(d.changes.iter().filter(|c| c.regression).map(|c| {
                let to = c.after.map_or("gone", |s| s.as_str());
                format!("{} ({to})", c.rule)
            }));
            let n = d.regressions;
            let who = if several {
                format!("{}: ", d.vendor)
            } else {
                String::new()
            };
            vetter::report::text::escape_controls(&format!(
                "{who}{n} regression{} against baseline: {}",
                if n == 1 { "" } else { "s" },
                super::listing(items.into_iter())
            ))
            .into_owned()
        })
        .collect()
}

pub fn render(c: &Comparison, format: Option<Format>) -> String {
    match format {
        Some(Format::Json) => serde_json::to_string_pretty(c).expect("diff serialises") + "\n",
        _ => {
            let mut text = c.diffs.iter().map(diff::render_text).collect::<Vec<_>>().join("\n");
            let vendors = |head: &str, names: &[String]| {
                names
                    .iter()
                    .map(|n| format!("{head}: {}\n", vetter::report::text::escape_controls(n)))
                    .collect::<String>()
            };
            let more = vendors("new vendor, not in the baseline (not compared)", &c.new_vendors)
                + &vendors(
                    "removed vendor, in the baseline but not in this run",
                    &c.removed_vendors,
                );
            if !more.is_empty() {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&more);
            }
            text
        }
    }
}

pub fn run(g: &Global, old: &Path, new: &Path, r: &RegressionArgs) -> Result<Exit> {
    let t = output::single(
        g,
        &output::Writes {
            cmd: "diff",
            formats: output::TEXT_OR_JSON,
            files: true,
        },
    )?;
    let wait = std::time::Duration::from_secs(g.timeout);
    let (old, new) = (load_reports(old, wait)?, load_reports(new, wait)?);
    let c = compare(&old, &new, r);
    output::write(g, &t.dest, &render(&c, Some(t.format)), "the comparison")?;
    for why in reasons(&c.diffs) {
        eprintln!("{why}");
    }
    Ok(exit_for(&c.diffs))
}
