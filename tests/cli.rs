//! The command line: exit codes, formats and outputs, facts round trip, portability.

use crate::support::*;

const SAMPLE: &str = "fixtures/vendors/sample/vendor.toml";

#[test]
fn help_and_version() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("assess"));
    let o = run(&["--version"]);
    assert!(text(&o.stdout).starts_with("vetter "));
}

#[test]
fn rules_list_and_explain() {
    let o = run(&["rules", "list", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(rows.len() > 100);
    let ids: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), rows.len(), "rule ids are unique");
    let first = rows[0]["id"].as_str().unwrap().to_string();
    let o = run(&["rules", "explain", &first]);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    assert!(
        out.contains(&first) && out.contains("How to fix it") && out.contains("References"),
        "{out}"
    );
    let o = run(&["rules", "explain", "--scoring"]);
    assert!(text(&o.stdout).contains("critical 10, high 5, medium 3, low 1, info 0"));
    let o = run(&["rules", "list"]);
    assert!(text(&o.stdout).contains("rules"));
}

#[test]
fn builtin_packs_check_clean() {
    let o = run(&["rules", "check", "rules"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn assess_sample_and_thresholds() {
    let o = run(&["assess", "--quiet", SAMPLE, "--as-of", "2026-11-23"]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("Sample Clinic Messaging") && out.contains("Grade"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when NO_COLOR is set / not a terminal"
    );
    let o = run(&["assess", "--quiet", SAMPLE, "--fail-under", "90"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["assess", "--quiet", SAMPLE, "--fail-on", "critical"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["assess", "--quiet", SAMPLE, "--fail-under", "0"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn no_progress_on_a_non_terminal_stderr() {
    let o = run(&["assess", SAMPLE]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "stderr is not a terminal, so no progress: {}",
        text(&o.stderr)
    );
}

#[test]
fn format_output_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("r.json");
    let b = dir.path().join("r.txt");
    let o = run(&[
        "assess",
        "-q",
        SAMPLE,
        "--format",
        "json",
        "--output",
        a.to_str().unwrap(),
        "--format",
        "table",
        "--output",
        b.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&a).unwrap()).unwrap();
    assert_eq!(r["vendor"]["name"], "Sample Clinic Messaging");
    assert!(std::fs::read_to_string(&b).unwrap().contains("Grade"));
}

#[test]
fn saved_facts_re_evaluate_to_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("facts.json");
    let o = run(&[
        "assess",
        "-q",
        SAMPLE,
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
        "--save-facts",
        facts.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    for key in ["as_of", "params", "waivers", "attestations", "inputs", "facts"] {
        assert!(saved.get(key).is_some(), "facts file lacks {key}");
    }
    let o2 = run(&["eval", facts.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2.stderr));
    assert_eq!(
        text(&o.stdout),
        text(&o2.stdout),
        "eval of saved facts differs from assess"
    );
    // --as-of overrides the saved date
    let o3 = run(&[
        "eval",
        facts.to_str().unwrap(),
        "--format",
        "json",
        "--as-of",
        "2027-06-01",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o3.stdout).unwrap();
    assert_eq!(r["as_of"], "2027-06-01");
}

#[test]
fn reports_survive_moving_the_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    copy_dir(&root().join("fixtures/vendors/sample"), &a);
    let report = |m: &std::path::Path| -> serde_json::Value {
        let o = vetter()
            .current_dir(m.parent().unwrap())
            .args([
                "assess",
                "-q",
                "vendor.toml",
                "--as-of",
                "2026-11-23",
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let before = report(&a.join("vendor.toml"));
    let b = dir.path().join("moved/elsewhere");
    std::fs::create_dir_all(b.parent().unwrap()).unwrap();
    std::fs::rename(&a, &b).unwrap();
    let after = report(&b.join("vendor.toml"));
    assert_eq!(before["inputs"], after["inputs"]);
    let ids = |r: &serde_json::Value| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&before), ids(&after));
    for i in before["inputs"].as_array().unwrap() {
        let p = i["path"].as_str().unwrap();
        assert!(!p.starts_with('/'), "input path made absolute: {p}");
    }
}

#[test]
fn portfolio_report() {
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "[vendor]\nname = \"Second Vendor\"\n").unwrap();
    let o = run(&["assess", "-q", SAMPLE, other.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["reports"].as_array().unwrap().len(), 2);
    let o = run(&["assess", "-q", SAMPLE, other.to_str().unwrap(), "--fail-under", "50"]);
    assert_eq!(o.status.code(), Some(1), "worst vendor decides");
}

#[test]
fn init_writes_a_manifest_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("new");
    let o = run(&["init", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let req = std::fs::read_to_string(d.join("EVIDENCE-REQUEST.md")).unwrap();
    assert!(req.contains("SOC 2") && req.contains("attestation"));
    let o = run(&["init", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "refuses to overwrite");
    // It loads, but as written it is the template, not a vendor: the pre-flight stops it
    // (tests/preflight.rs) until its placeholders are replaced.
    let m = d.join("vendor.toml");
    vetter::manifest::load(&m).unwrap_or_else(|e| panic!("{e}"));
    let filled = std::fs::read_to_string(&m)
        .unwrap()
        .replace("Example Practice CRM", "Real Practice CRM")
        .replace("security@vendor.example", "security@real.example")
        .replace(
            "https://api.vendor.example/v1/patients",
            "https://api.real.example/v1/patients",
        );
    std::fs::write(&m, filled).unwrap();
    let o = run(&["assess", "-q", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn user_packs_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let first = {
        let o = run(&["rules", "list", "--format", "json", "--framework", "hipaa"]);
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
        rows.iter().find(|r| r["manual"] == false).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let pack = format!(
        "[pack]\nid = \"hipaa\"\ntitle = \"x\"\nversion = \"1\"\n[[rule]]\nid = \"{first}\"\ntitle = \"t\"\ncategory = \"audit\"\nseverity = \"low\"\nforce = \"practice\"\nrefs = [\"x\"]\nassert = \"true\"\ndescription = \"d\"\nremediation = \"r\"\n"
    );
    let p = dir.path().join("custom");
    std::fs::create_dir_all(&p).unwrap();
    // a second pack may not reuse the id `hipaa`
    std::fs::write(
        p.join("mine.toml"),
        pack.replace("id = \"hipaa\"", "id = \"mine\"")
            .replace(&format!("id = \"{first}\""), &format!("id = \"mine-{first}\"")),
    )
    .unwrap();
    let o = run(&[
        "assess",
        "-q",
        SAMPLE,
        "--rules",
        p.to_str().unwrap(),
        "--framework",
        "mine",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["findings"].as_array().unwrap().len(), 1);

    std::fs::write(p.join("mine.toml"), pack.replace("id = \"hipaa\"", "id = \"mine\"")).unwrap();
    let o = run(&["assess", "-q", SAMPLE, "--rules", p.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "replacing a built-in rule needs --allow-override"
    );
    assert!(text(&o.stderr).contains("--allow-override"));
    let o = run(&[
        "assess",
        "-q",
        SAMPLE,
        "--rules",
        p.to_str().unwrap(),
        "--allow-override",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["overrides"][0]["rule"], first.as_str());
}

/// CI logs are not terminals but render colour: FORCE_COLOR / CLICOLOR_FORCE turn it on,
/// NO_COLOR and --no-color still win.
#[test]
fn colour_can_be_forced_for_ci_logs() {
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut c = crate::support::vetter();
        c.env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c
            .args(["eval", "fixtures/facts/weak.json"])
            .args(extra)
            .output()
            .unwrap();
        crate::support::text(&o.stdout).contains("\u{1b}[")
    };
    assert!(!run(&[], &[]), "a pipe gets no colour by default");
    assert!(run(&[("FORCE_COLOR", "1")], &[]));
    assert!(run(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!run(&[("FORCE_COLOR", "0")], &[]));
    assert!(!run(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")], &[]));
    assert!(!run(&[("FORCE_COLOR", "1")], &["--no-color"]));
    // The conventions' edges: "0" and empty force nothing; an empty NO_COLOR is not set.
    assert!(!run(&[("CLICOLOR_FORCE", "0")], &[]));
    assert!(!run(&[("FORCE_COLOR", ""), ("CLICOLOR_FORCE", "")], &[]));
    assert!(run(&[("FORCE_COLOR", "1"), ("NO_COLOR", "")], &[]));
}

/// The CI recipes set FORCE_COLOR for the logs: the portfolio gathered from JSON reports is
/// coloured like `eval`'s table, and a report written to a file never carries colour.
#[test]
fn forced_colour_reaches_the_portfolio_and_never_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("weak.json");
    let table = dir.path().join("weak.txt");
    let o = crate::support::run(&["eval", "fixtures/facts/weak.json", "-o", json.to_str().unwrap()]);
    assert!(json.is_file(), "{}", crate::support::text(&o.stderr));
    let coloured = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = crate::support::vetter();
        c.env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("CLICOLOR_FORCE");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.args(args).output().unwrap();
        crate::support::text(&o.stdout).contains("\u{1b}[")
    };
    let p = dir.path().to_str().unwrap();
    assert!(!coloured(&[], &["portfolio", p]));
    assert!(coloured(&[("FORCE_COLOR", "1")], &["portfolio", p]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &["portfolio", p]));
    assert!(!coloured(
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        &["portfolio", p]
    ));
    let to_file = [
        "eval",
        "fixtures/facts/weak.json",
        "--format",
        "table",
        "-o",
        table.to_str().unwrap(),
    ];
    coloured(&[("FORCE_COLOR", "1")], &to_file);
    let written = std::fs::read_to_string(&table).unwrap();
    assert!(
        written.contains("Grade") || written.contains("grade"),
        "the table was written: {written}"
    );
    assert!(!written.contains('\u{1b}'), "a file report is never coloured");
}
