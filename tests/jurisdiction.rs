//! Which law applies is chosen, not assumed (issue 10 item 3): `[practice]` decides whether the
//! GDPR and HIPAA packs run by default; named frameworks run as named; a user's pack left out
//! is said; `init` writes the choice.

use std::path::Path;

use crate::support::{assert_no_panic, text, vetter};

fn assess(dir: &Path, manifest: &str, extra: &[&str]) -> (serde_json::Value, String, String) {
    let p = dir.join("vendor.toml");
    std::fs::write(&p, manifest).unwrap();
    let o = vetter()
        .args(["assess", "--quiet", "--format", "json"])
        .arg(&p)
        .args(extra)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let table = vetter()
        .args(["assess", "--quiet", "--format", "table"])
        .arg(&p)
        .args(extra)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        serde_json::from_slice(&o.stdout).unwrap(),
        text(&table.stdout),
        text(&o.stderr),
    )
}

fn packs_run(r: &serde_json::Value) -> std::collections::BTreeSet<String> {
    // Findings name their rule; the report's `rules[]` holds each rule's pack once.
    r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ri| ri["pack"].as_str().unwrap().to_string())
        .collect()
}

const VENDOR: &str = "[vendor]\nname = \"Scheduling Co\"\n";

#[test]
fn a_us_only_practice_runs_no_gdpr_rule_and_says_so_once() {
    let d = tempfile::tempdir().unwrap();
    let (r, table, _) = assess(
        d.path(),
        &format!("{VENDOR}\n[practice]\njurisdiction = \"us\"\neu_data_subjects = false\n"),
        &[],
    );
    let packs = packs_run(&r);
    assert!(!packs.contains("gdpr"), "{packs:?}");
    assert!(packs.contains("hipaa") && packs.contains("baa"), "{packs:?}");
    let left = r["left_out"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0]["pack"], "gdpr");
    assert_eq!(table.matches("GDPR rules did not run").count(), 1, "{table}");
    assert!(table.contains("serves no one there"), "{table}");
}

#[test]
fn without_practice_gdpr_does_not_run_and_the_report_asks() {
    let d = tempfile::tempdir().unwrap();
    let (r, table, _) = assess(d.path(), VENDOR, &[]);
    assert!(!packs_run(&r).contains("gdpr"));
    assert!(packs_run(&r).contains("hipaa"), "HIPAA is not assumed away");
    assert_eq!(table.matches("GDPR rules did not run").count(), 1, "{table}");
    assert!(table.contains("set [practice] jurisdiction"), "{table}");
}

#[test]
fn gdpr_runs_where_it_applies_and_hipaa_only_for_a_us_practice() {
    let d = tempfile::tempdir().unwrap();
    let (r, _, _) = assess(
        d.path(),
        &format!("{VENDOR}\n[practice]\njurisdiction = \"us\"\neu_data_subjects = true\n"),
        &[],
    );
    let packs = packs_run(&r);
    assert!(packs.contains("gdpr") && packs.contains("hipaa"), "{packs:?}");
    assert_eq!(r["left_out"], serde_json::json!([]));

    let (r, table, _) = assess(d.path(), &format!("{VENDOR}\n[practice]\njurisdiction = \"eu\"\n"), &[]);
    let packs = packs_run(&r);
    assert!(packs.contains("gdpr"), "{packs:?}");
    assert!(!packs.contains("hipaa") && !packs.contains("baa"), "{packs:?}");
    assert!(table.contains("HIPAA rules did not run"), "{table}");
}

#[test]
fn named_frameworks_run_as_named_and_a_left_out_user_pack_stops_the_run() {
    let d = tempfile::tempdir().unwrap();
    let (r, _, _) = assess(
        d.path(),
        "[vendor]\nname = \"X\"\nframeworks = [\"gdpr\"]\n\n[practice]\njurisdiction = \"us\"\n",
        &[],
    );
    assert_eq!(packs_run(&r), ["gdpr".to_string()].into());

    let pack = d.path().join("mine.toml");
    std::fs::write(
        &pack,
        "[pack]\nid = \"mine\"\ntitle = \"t\"\nversion = \"1\"\n\n[[rule]]\nid = \"mine-r\"\ntitle = \"t\"\ncategory = \"audit\"\nseverity = \"low\"\nforce = \"practice\"\nrefs = [\"x\"]\nassert = \"true\"\ndescription = \"d\"\nremediation = \"r\"\n",
    )
    .unwrap();
    // A pack given with --rules that the named frameworks leave out would not run: the
    // pre-flight stops the run at `frameworks` (tests/preflight.rs has the exact message).
    let p = d.path().join("vendor.toml");
    std::fs::write(&p, "[vendor]\nname = \"X\"\nframeworks = [\"hipaa\"]\n").unwrap();
    let o = vetter()
        .args(["assess", "--quiet"])
        .arg(&p)
        .args(["--rules", pack.to_str().unwrap()])
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("vendor.toml:3:14: error: --rules adds pack `mine`"),
        "{err}"
    );
    let (r, _, _) = assess(
        d.path(),
        "[vendor]\nname = \"X\"\nframeworks = [\"hipaa\", \"mine\"]\n",
        &["--rules", pack.to_str().unwrap()],
    );
    assert!(packs_run(&r).contains("mine"));
}

#[test]
fn a_wrong_jurisdiction_is_a_usage_error_with_the_choices() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("vendor.toml");
    std::fs::write(&p, format!("{VENDOR}\n[practice]\njurisdiction = \"usa\"\n")).unwrap();
    let o = vetter().args(["assess", "--quiet"]).arg(&p).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("vendor.toml:5"), "{err}");
    assert!(err.contains("us") && err.contains("eu"), "{err}");
}

#[test]
fn init_writes_the_jurisdiction() {
    let d = tempfile::tempdir().unwrap();
    let o = vetter()
        .args(["init", "--jurisdiction", "us", "--eu-data-subjects"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let m = std::fs::read_to_string(d.path().join("vendor.toml")).unwrap();
    assert!(m.contains("[practice]\njurisdiction = \"us\""), "{m}");
    assert!(m.contains("eu_data_subjects = true"), "{m}");
    let req = std::fs::read_to_string(d.path().join("EVIDENCE-REQUEST.md")).unwrap();
    assert!(req.contains("gdpr-"), "the DPA is asked for when the GDPR applies");

    // Not interactive and not given: written commented out, and said.
    let d2 = tempfile::tempdir().unwrap();
    let o = vetter().arg("init").arg(d2.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("GDPR rules will not run"),
        "{}",
        text(&o.stderr)
    );
    let m = std::fs::read_to_string(d2.path().join("vendor.toml")).unwrap();
    assert!(m.contains("# [practice]"), "{m}");
    let req = std::fs::read_to_string(d2.path().join("EVIDENCE-REQUEST.md")).unwrap();
    assert!(!req.contains("gdpr-"), "{req}");
}
