//! Hostile rule packs, reports, facts and manifests: bounded evaluation, bounded text, escaped
//! control characters, linear checks, validated numbers. Every input is made here, in a
//! tempdir; every run is bounded by the command's own timeout.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use crate::support::{assert_no_panic, text, vetter};

/// A pack of one rule, with `body` (TOML lines) after the required keys.
fn pack(id: &str, body: &str) -> String {
    format!(
        "[pack]\nid = \"{id}\"\ntitle = \"t\"\nversion = \"1\"\n\n[[rule]]\nid = \"{id}-r\"\ntitle = \"t\"\ncategory = \"audit\"\nseverity = \"low\"\nrefs = [\"x\"]\ndescription = \"d\"\nremediation = \"r\"\n{body}\n"
    )
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

fn run_for(secs: u64, args: &[&str]) -> Output {
    let o = vetter()
        .args(args)
        .timeout(Duration::from_secs(secs))
        .output()
        .expect("vetter runs");
    assert!(o.status.code().is_some(), "killed (timeout?): {}", text(&o.stderr));
    assert_no_panic(&o);
    o
}

/// The weak facts fixture with its endpoint list repeated to `n` entries.
fn facts_with_endpoints(dir: &Path, n: usize) -> PathBuf {
    let root = crate::support::root();
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("fixtures/facts/weak.json")).unwrap()).unwrap();
    let first = v["facts"]["endpoints"][0].clone();
    v["facts"]["endpoints"] = serde_json::Value::Array(
        (0..n)
            .map(|i| {
                let mut e = first.clone();
                e["url"] = format!("https://h{i}.example").into();
                e
            })
            .collect(),
    );
    write(dir, "facts.json", &serde_json::to_string(&v).unwrap())
}

#[test]
fn nested_comprehensions_over_facts_stop_at_the_budget() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    write(
        &rules,
        "cube.toml",
        &pack(
            "cube",
            "assert = \"endpoints.all(a, endpoints.all(b, endpoints.all(c, a.url != b.url || b.url != c.url || true)))\"",
        ),
    );
    let facts = facts_with_endpoints(d.path(), 1000);
    // `rules check` accepts it: the lists' lengths are not known before the facts are.
    let o = run_for(60, &["rules", "check", rules.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run_for(
        60,
        &[
            "eval",
            facts.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--framework",
            "cube",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "cube-r")
        .expect("a finding for the rule");
    assert_eq!(f["status"], "error", "{f}");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("cube-r") && msg.contains("budget"), "{msg}");
}

#[test]
fn rules_check_refuses_deep_nesting_and_undeclared_functions() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "deep.toml",
        &pack(
            "deep",
            "assert = \"endpoints.all(a, endpoints.all(b, endpoints.all(c, endpoints.all(e, true))))\"",
        ),
    );
    let o = run_for(60, &["rules", "check", d.path().join("deep.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("deep.toml:") && err.contains("nested 4 deep"), "{err}");

    write(
        d.path(),
        "fn.toml",
        &pack("fnc", "assert = \"frobnicate(endpoints) > 0\""),
    );
    let o = run_for(60, &["rules", "check", d.path().join("fn.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("fn.toml:") && err.contains("unknown function `frobnicate`"),
        "{err}"
    );
}

#[test]
fn doubling_phrasing_fragments_are_capped() {
    let d = tempfile::tempdir().unwrap();
    // f00 = "{f01}{f01}", f01 = "{f02}{f02}", ...: 30 doublings, a pack of under a kilobyte.
    let mut frags = String::new();
    for i in 0..30 {
        frags.push_str(&format!("f{i:02} = \"{{f{:02}}}{{f{:02}}}\"\n", i + 1, i + 1));
    }
    frags.push_str("f30 = \"ab\"\n");
    let body = format!(
        "[pack]\nid = \"dbl\"\ntitle = \"t\"\nversion = \"1\"\nkind = \"phrasing\"\n\n[phrase.fragments]\n{frags}\n[phrase.detect]\ntitle_baa = [\"{{f00}}\"]\n"
    );
    assert!(body.len() < 1024, "{}", body.len());
    let p = write(d.path(), "dbl.toml", &body);
    let o = run_for(60, &["rules", "check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("dbl.toml") && err.contains("phrase.fragments.f"), "{err}");
    assert!(err.contains("65536 bytes"), "{err}");
}
