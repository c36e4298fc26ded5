//! Issue 16, "a summary people act on": every format opens with the grade, the caps in words and
//! the next steps by who acts; the terminal flags filter what is shown, never the score; the
//! table is readable at 80 columns; the table pages only on a terminal; a five-vendor portfolio
//! opens on its ranked overview in Markdown and JSON (the HTML in tests/browser.rs).

use std::path::{Path, PathBuf};

use crate::reports::{eval, facts, json_report};
use crate::support::*;

/// Where `needle` starts in `hay` (a test failure naming it when absent).
fn at(hay: &str, needle: &str, what: &str) -> usize {
    hay.find(needle)
        .unwrap_or_else(|| panic!("{what}: `{needle}` not found in:\n{}", &hay[..hay.len().min(3000)]))
}

#[test]
fn every_format_opens_with_the_summary() {
    let r = json_report(&facts("mixed"), &[]);
    let steps = r["summary"]["next_steps"].as_array().expect("summary.next_steps");
    assert!(!steps.is_empty() && steps.len() <= 5, "{steps:?}");
    assert_eq!(r["schema_version"], "2.2");
    for s in steps {
        assert!(matches!(s["actor"].as_str(), Some("vendor" | "practice")), "{s}");
        assert!(!s["text"].as_str().unwrap().is_empty());
    }
    // The caps in words name every capping rule.
    for c in r["score"]["caps"].as_array().unwrap() {
        assert!(
            r["summary"]["caps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["rule"] == c["rule"]),
            "{c}"
        );
    }
    let first_step = steps[0]["text"].as_str().unwrap();

    // JSON: the summary comes before the findings (serde writes fields in order).
    let (json, _) = eval(&facts("mixed"), "json", &[]);
    assert!(at(&json, "\"summary\"", "json") < at(&json, "\"findings\"", "json"));

    // Table: the head, then the next steps and the legend, before the category table.
    let (table, _) = eval(&facts("mixed"), "table", &[]);
    let steps_at = at(&table, "Next steps", "table");
    assert!(steps_at < at(&table, "│ Category", "table"));
    assert!(
        at(&table, "Worth: the overall score had that finding passed", "table") < at(&table, "│ Category", "table")
    );
    assert!(table.contains("For the vendor") || table.contains("For the practice"));

    // Markdown: next steps by actor, and the legend, before the category table.
    let (md, _) = eval(&facts("mixed"), "markdown", &[]);
    assert!(at(&md, "### Next steps", "md") < at(&md, "| Category |", "md"));
    assert!(md.contains("<sub>Worth: "));

    // HTML: the next steps section follows the overall result, before the categories.
    let (html, _) = eval(&facts("mixed"), "html", &[]);
    assert!(at(&html, "id=\"steps-1\"", "html") < at(&html, "id=\"categories-1\"", "html"));
    assert!(at(&html, "id=\"overall-1\"", "html") < at(&html, "id=\"steps-1\"", "html"));
    assert!(html.contains("data-step=\"1\""));

    // SARIF: in the run's property bag.
    let (sarif, _) = eval(&facts("mixed"), "sarif", &[]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["summary"]["next_steps"][0]["text"],
        first_step
    );

    // JUnit: a suite of no tests opens the file, with the steps as properties.
    let (junit, _) = eval(&facts("mixed"), "junit", &[]);
    assert!(at(&junit, "<testsuite name=\"summary\" tests=\"0\"", "junit") < at(&junit, "<testcase", "junit"));
    assert!(junit.contains("name=\"next_step.1."));
}

#[test]
fn table_flags_filter_what_is_shown_never_the_score() {
    let f = facts("weak");
    let full = json_report(&f, &[]);
    // --summary: the head only.
    let (head, code) = eval(&f, "table", &["--summary"]);
    assert_eq!(code, Some(0));
    assert!(head.contains("Next steps") && head.contains("Worth: "), "{head}");
    assert!(!head.contains("│ Category"), "{head}");
    assert!(!head.contains("findings: "), "{head}");
    // --top 2: two steps, and how many more.
    let (top, _) = eval(&f, "table", &["--summary", "--top", "2", "--no-pager"]);
    let rows = top
        .lines()
        .filter(|l| l.starts_with("│ 1 ") || l.starts_with("│ 2 ") || l.starts_with("│ 3 "))
        .count();
    assert_eq!(rows, 2, "{top}");
    let open = full["summary"]["open_steps"].as_u64().unwrap();
    assert!(top.contains(&format!("{} more steps", open - 2)), "{top}");
    // --severity critical: only critical rows; the rest is said to be hidden.
    let (crit, _) = eval(&f, "table", &["--severity", "critical"]);
    let crit_rows = crit.lines().filter(|l| l.starts_with("│ critical ")).count();
    let crit_listed = full["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["severity"] == "critical" && x["status"] == "fail")
        .count();
    assert!(crit_rows >= crit_listed, "{crit_rows} < {crit_listed}");
    assert!(!crit.lines().any(|l| l.starts_with("│ high ")), "no high rows");
    assert!(crit.contains(" below critical (--severity)"), "{crit}");
    // --status pass: passed rows listed, failed ones said to be hidden.
    let (pass, _) = eval(&f, "table", &["--status", "pass"]);
    let n_fail = full["summary"]["fail"].as_u64().unwrap();
    assert!(pass.lines().any(|l| l.starts_with("│ pass ")), "{pass}");
    assert!(pass.contains(&format!("{n_fail} failed")), "{pass}");
    // The default view says what it leaves out.
    let (default, _) = eval(&f, "table", &[]);
    let n_pass = full["summary"]["pass"].as_u64().unwrap();
    assert!(
        default.contains(&format!("Checks not shown: {n_pass} passed")),
        "{default}"
    );
    // The score is the same whatever is shown: the JSON written beside a filtered table.
    let o = run(&[
        "eval", &f, "--format", "json", "--format", "table", "-o", "-", "-o", "-", "--top", "1", "--status", "pass",
    ]);
    let out = text(&o.stdout);
    let again: serde_json::Value = serde_json::Deserializer::from_str(&out)
        .into_iter::<serde_json::Value>()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(again["score"], full["score"]);
    assert_eq!(again["findings"], full["findings"]);
    // Without a table to shape, the flags are a usage error that names the fix.
    for flag in [
        &["--summary"][..],
        &["--top", "3"],
        &["--severity", "high"],
        &["--status", "fail"],
    ] {
        let mut args = vec!["eval", f.as_str(), "--format", "json"];
        args.extend_from_slice(flag);
        let o = run(&args);
        assert_no_panic(&o);
        assert_eq!(o.status.code(), Some(2), "{flag:?}");
        assert!(
            text(&o.stderr).contains("help: add --format table"),
            "{}",
            text(&o.stderr)
        );
    }
    let o = run(&["eval", &f, "--status", "failing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("unknown status `failing`"),
        "{}",
        text(&o.stderr)
    );
}

/// Display width of a line (the table's box characters count one column each).
fn width(line: &str) -> usize {
    line.chars().count()
}

#[test]
fn the_table_at_80_columns_wraps_at_word_boundaries() {
    let f = facts("weak");
    let r = json_report(&f, &[]);
    let o = vetter()
        .args(["eval", &f, "--no-pager"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let out = text(&o.stdout);
    for l in out.lines() {
        assert!(width(l) <= 80, "{} columns: {l}", width(l));
    }
    // Every word of every listed message is whole on some line: none was split mid-word.
    let cells: String = out
        .lines()
        .flat_map(|l| l.split(['│', '┆']))
        .map(|c| format!(" {} ", c.trim()))
        .collect();
    let mut checked = 0;
    for f in r["findings"].as_array().unwrap() {
        let Some(m) = f["message"].as_str() else { continue };
        if f["status"] != "fail" {
            continue;
        }
        for w in m.split_whitespace().filter(|w| w.chars().count() <= 50) {
            assert!(cells.contains(w), "`{w}` of `{m}` split across lines");
            checked += 1;
        }
    }
    assert!(checked > 500, "{checked} words checked");
}

/// A pager script that records what it is given.
fn recording_pager(dir: &Path) -> (PathBuf, PathBuf) {
    let log = dir.join("paged.txt");
    let script = dir.join("pager.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat > '{}'\n", log.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (script, log)
}

#[test]
fn the_table_pages_only_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (pager, log) = recording_pager(dir.path());
    // Not a terminal: never paged, whatever PAGER says.
    let o = vetter()
        .args(["eval", &facts("weak")])
        .env("PAGER", &pager)
        .env("LINES", "20")
        .output()
        .unwrap();
    assert!(text(&o.stdout).contains("Next steps"));
    assert!(!log.exists(), "paged a pipe");

    // A pseudo-terminal (util-linux `script`): paged, and --no-pager is not.
    let Ok(script) = which("script") else {
        eprintln!("SKIPPED: no `script` to make a pseudo-terminal");
        return;
    };
    let bin = assert_cmd::cargo::cargo_bin("vetter");
    let cmd = |extra: &str| {
        format!(
            "{} eval {} --no-color{extra}",
            bin.display(),
            root().join(facts("weak")).display()
        )
    };
    let o = std::process::Command::new(&script)
        .args(["-qec", &cmd(""), "/dev/null"])
        .env("PAGER", &pager)
        .env("LINES", "20")
        .env("COLUMNS", "100")
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let paged = std::fs::read_to_string(&log).expect("the pager was run");
    assert!(paged.contains("Next steps") && paged.contains("findings: "), "{paged}");
    std::fs::remove_file(&log).unwrap();
    let o = std::process::Command::new(&script)
        .args(["-qec", &cmd(" --no-pager"), "/dev/null"])
        .env("PAGER", &pager)
        .env("LINES", "20")
        .env("COLUMNS", "100")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(!log.exists(), "--no-pager paged");
    assert!(text(&o.stdout).contains("Next steps"));
    // A table that fits the screen is not paged either.
    let o = std::process::Command::new(&script)
        .args(["-qec", &cmd(" --summary"), "/dev/null"])
        .env("PAGER", &pager)
        .env("LINES", "500")
        .env("COLUMNS", "100")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(!log.exists(), "a short table paged");
}

fn which(name: &str) -> Result<PathBuf, ()> {
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .ok_or(())
}

/// A report of schema 2.1 (no caps in words, no next steps) is summarised again when read.
#[test]
fn an_older_report_is_summarised_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = json_report(&facts("mixed"), &[]);
    let expected = r["summary"].clone();
    r["schema_version"] = "2.1".into();
    for k in ["caps", "next_steps", "open_steps"] {
        r["summary"].as_object_mut().unwrap().remove(k);
    }
    let old = dir.path().join("old.json");
    std::fs::write(&old, serde_json::to_string(&r).unwrap()).unwrap();
    let o = run(&["portfolio", old.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // One report in, one report out.
    assert_eq!(p["summary"], expected);
}

/// The five fixture vendors as separately written JSON reports: three from facts files, two
/// assessed from the fixture manifests (their endpoints are reserved names, not probed, or a
/// local address that refuses).
pub fn five_vendor_reports(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in ["strong", "weak", "mixed"] {
        let p = dir.join(format!("{name}.json"));
        let o = run(&["eval", "-q", &facts(name), "-o", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        out.push(p);
    }
    for m in ["sample", "full"] {
        let p = dir.join(format!("{m}.json"));
        let o = vetter()
            .env("ACME_TOKEN", "Bearer not-a-secret")
            .args([
                "assess",
                "-q",
                &format!("fixtures/vendors/{m}/vendor.toml"),
                "--as-of",
                "2026-11-23",
                "-o",
                p.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_no_panic(&o);
        assert!(p.exists(), "{m}: {}", text(&o.stderr));
        out.push(p);
    }
    out
}

#[test]
fn a_five_vendor_portfolio_opens_on_its_ranking_in_markdown_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let files = five_vendor_reports(dir.path());
    let args = |format: &str| {
        let mut a: Vec<String> = vec!["portfolio".into()];
        a.extend(files.iter().map(|f| f.display().to_string()));
        a.extend(["--format".into(), format.into()]);
        a
    };
    let o = vetter().args(args("json")).output().unwrap();
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let json = text(&o.stdout);
    assert!(
        json.trim_start().starts_with("{\n  \"overview\""),
        "JSON opens on the overview"
    );
    assert_eq!(p["overview"].as_array().unwrap().len(), 5);
    for r in p["reports"].as_array().unwrap() {
        assert!(r["summary"]["next_steps"].is_array(), "each vendor has its summary");
    }
    let o = vetter().args(args("markdown")).output().unwrap();
    let md = text(&o.stdout);
    assert!(md.starts_with("## vetter portfolio: 5 vendors, best first"), "{md}");
    let first = at(&md, "## vetter: ", "md");
    assert_eq!(md[..first].lines().filter(|l| l.starts_with("| ")).count(), 6);
    assert_eq!(
        md.matches("### Next steps").count(),
        5,
        "each vendor's section opens with its summary"
    );
}
