//! Say why it failed (issue 13): every exit 1 names its reason on stderr, also with --output.

use std::path::Path;

use crate::support::*;

fn sample() -> String {
    root().join("fixtures/vendors/sample/vendor.toml").display().to_string()
}

fn run_in(dir: &Path, args: &[&str]) -> std::process::Output {
    let o = vetter()
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_no_panic(&o);
    o
}

/// A threshold failure says why on stderr, also when the report goes to a file.
#[test]
fn threshold_failures_say_why() {
    let d = tempfile::tempdir().unwrap();
    let o = run_in(
        d.path(),
        &[
            "assess",
            "-q",
            &sample(),
            "--as-of",
            "2026-11-23",
            "--fail-under",
            "99.5",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let r = run_in(
        d.path(),
        &["assess", "-q", &sample(), "--as-of", "2026-11-23", "--format", "json"],
    );
    let score = serde_json::from_slice::<serde_json::Value>(&r.stdout).unwrap()["score"]["overall"].clone();
    assert_eq!(err, format!("score {score} is under --fail-under 99.5\n"));

    let o = run_in(
        d.path(),
        &[
            "assess",
            &sample(),
            "--as-of",
            "2026-11-23",
            "--fail-on",
            "high",
            "-o",
            "r.json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "wrote r.json");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(d.path().join("r.json")).unwrap()).unwrap();
    let n = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            matches!(f["status"].as_str(), Some("fail" | "error"))
                && matches!(f["severity"].as_str(), Some("high" | "critical"))
        })
        .count();
    assert!(n > 0);
    assert!(
        lines[1].starts_with(&format!("{n} findings at or above high: ")),
        "{err}"
    );

    // Against a baseline: a report whose failures it did not have regresses.
    let base = d.path().join("base.json");
    let mut b = r.clone();
    for f in b["findings"].as_array_mut().unwrap() {
        if f["status"] == "fail" {
            f["status"] = "pass".into();
        }
    }
    std::fs::write(&base, serde_json::to_string(&b).unwrap()).unwrap();
    let o = run_in(d.path(), &["diff", base.to_str().unwrap(), "r.json"]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains(" regressions against baseline: "), "{err}");
}
