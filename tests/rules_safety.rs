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
        "[pack]\nid = \"{id}\"\ntitle = \"t\"\nversion = \"1\"\n\n[[rule]]\nid = \"{id}-r\"\ntitle = \"t\"\ncategory = \"audit\"\nseverity = \"low\"\nforce = \"practice\"\nrefs = [\"x\"]\ndescription = \"d\"\nremediation = \"r\"\n{body}\n"
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

/// Characters a terminal, a browser or an XML parser must never get raw from vendor text.
fn raw_controls(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c))
        .collect()
}

const HOSTILE: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2J\u{0}\u{9b}31m\u{85}\u{202e}";

/// The weak facts with hostile text in the vendor name, an endpoint URL and a certificate SAN.
fn hostile_facts(dir: &Path) -> PathBuf {
    let root = crate::support::root();
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("fixtures/facts/weak.json")).unwrap()).unwrap();
    v["facts"]["vendor"]["name"] = format!("Acme {HOSTILE}").into();
    let e = &mut v["facts"]["endpoints"][0];
    e["url"] = format!("https://{HOSTILE}.example/").into();
    if let Some(cert) = e.pointer_mut("/tls/certificate").filter(|c| c.is_object()) {
        cert["sans"] = serde_json::json!([format!("{HOSTILE}.example")]);
    }
    write(dir, "facts.json", &serde_json::to_string(&v).unwrap())
}

#[test]
fn vendor_text_reaches_no_format_raw() {
    let d = tempfile::tempdir().unwrap();
    let facts = hostile_facts(d.path());
    for format in ["table", "markdown", "html", "junit", "sarif", "oscal"] {
        let o = run_for(60, &["eval", facts.to_str().unwrap(), "--format", format]);
        let out = text(&o.stdout);
        assert!(out.contains("evil"), "{format}: the hostile text is not shown at all");
        let bad = raw_controls(&out);
        assert!(bad.is_empty(), "{format}: raw {bad:?}");
        assert!(raw_controls(&text(&o.stderr)).is_empty(), "{format} stderr");
    }
    // The JSON report is data: its syntax escapes C0 controls, and it keeps the text as found.
    let o = run_for(60, &["eval", facts.to_str().unwrap(), "--format", "json"]);
    assert!(text(&o.stdout).contains("\\u001b"));
}

#[test]
fn crafted_reports_reach_verify_and_diff_escaped() {
    let d = tempfile::tempdir().unwrap();
    let facts = hostile_facts(d.path());
    let report = d.path().join("r.json");
    let o = run_for(60, &["eval", facts.to_str().unwrap(), "-o", report.to_str().unwrap()]);
    assert!(report.exists(), "{}", text(&o.stderr));
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    v["inputs"][0]["path"] = format!("{HOSTILE}.csv").into();
    v["inputs"][0]["kind"] = format!("k{HOSTILE}").into();
    std::fs::write(&report, serde_json::to_vec(&v).unwrap()).unwrap();
    let o = run_for(60, &["verify", report.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert!(out.contains("evil"), "{out}");
    assert!(raw_controls(&out).is_empty(), "verify: {out:?}");
    let o = run_for(60, &["diff", report.to_str().unwrap(), report.to_str().unwrap()]);
    let out = text(&o.stdout) + &text(&o.stderr);
    assert!(out.contains("evil"), "{out}");
    assert!(raw_controls(&out).is_empty(), "diff: {out:?}");
}

#[test]
fn manifest_text_reaches_stderr_escaped() {
    let d = tempfile::tempdir().unwrap();
    // TOML refuses a raw control character in a comment; the error quotes the line.
    let m = write(
        d.path(),
        "vendor.toml",
        "[vendor]\nname = \"x\" # \u{1b}]0;pwned\u{7}\u{1b}[2J\n",
    );
    let o = run_for(60, &["assess", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("vendor.toml"), "{err}");
    assert!(raw_controls(&err).is_empty(), "{err:?}");
}

#[test]
fn rule_text_is_capped_in_every_format() {
    let d = tempfile::tempdir().unwrap();
    let rules = d.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    let big = "m".repeat(1_000_000);
    let body = pack("big", "assert = \"false\"")
        .replace("description = \"d\"", &format!("description = \"{big}\""))
        .replace(
            "remediation = \"r\"",
            &format!("remediation = \"{big}\"\nmessage = \"{big}\""),
        );
    write(&rules, "big.toml", &body);
    // The same pack with one-letter texts: the report's size without the rule's text (the JSON
    // carries the whole facts tree, which grows with the reader), so the test measures the cap.
    let small = d.path().join("small");
    std::fs::create_dir(&small).unwrap();
    write(&small, "big.toml", &pack("big", "assert = \"false\""));
    let facts = crate::support::root().join("fixtures/facts/weak.json");
    let eval = |dir: &Path, format: &str| {
        let o = run_for(
            60,
            &[
                "eval",
                facts.to_str().unwrap(),
                "--rules",
                dir.to_str().unwrap(),
                "--framework",
                "big",
                "--format",
                format,
            ],
        );
        (text(&o.stdout), text(&o.stderr))
    };
    for format in ["json", "table", "markdown", "html", "sarif", "junit", "oscal"] {
        let (out, err) = eval(&rules, format);
        let (base, _) = eval(&small, format);
        assert!(out.contains("more characters cut"), "{format}: {err}");
        let grown = out.len().saturating_sub(base.len());
        // Three 1 MB texts, each shown a few times: uncapped this would be megabytes.
        assert!(grown < 60_000, "{format}: {grown} bytes over the small pack's report");
    }
}

#[test]
fn twenty_thousand_rules_check_in_linear_time() {
    let d = tempfile::tempdir().unwrap();
    let mut s = String::from("[pack]\nid = \"many\"\ntitle = \"t\"\nversion = \"1\"\n");
    for i in 0..20_000 {
        s.push_str(&format!(
            "\n[[rule]]\nid = \"many-r{i}\"\ntitle = \"t\"\ncategory = \"audit\"\nseverity = \"low\"\nforce = \"practice\"\nrefs = [\"x\"]\ndescription = \"d\"\nremediation = \"r\"\nassert = \"endpoints.size() > 0\"\n"
        ));
    }
    let p = write(d.path(), "many.toml", &s);
    // Quadratic, this took minutes in a debug build; linear, seconds. The bound is generous.
    let o = run_for(40, &["rules", "check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("20000 rule(s)"));
}

#[test]
fn repeated_frameworks_are_one_error_with_a_count() {
    let d = tempfile::tempdir().unwrap();
    let list = vec!["\"hipaa\""; 3000].join(", ");
    let m = write(
        d.path(),
        "vendor.toml",
        &format!("[vendor]\nname = \"A\"\nframeworks = [{list}]\n"),
    );
    let o = run_for(60, &["assess", m.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert_eq!(err.matches("error:").count(), 1, "{}", &err[..err.len().min(2000)]);
    assert!(err.contains("`hipaa` 3000 times"), "{}", &err[..err.len().min(2000)]);
    assert!(err.len() < 10_000, "{} bytes of stderr", err.len());
}

#[test]
fn diff_refuses_scores_out_of_range() {
    let d = tempfile::tempdir().unwrap();
    let facts = crate::support::root().join("fixtures/facts/weak.json");
    let good = d.path().join("good.json");
    run_for(60, &["eval", facts.to_str().unwrap(), "-o", good.to_str().unwrap()]);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    v["score"]["overall"] = serde_json::json!(1e308);
    let bad = write(d.path(), "bad.json", &serde_json::to_string(&v).unwrap());
    let o = run_for(60, &["diff", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(err.contains("bad.json") && err.contains("score.overall"), "{err}");
    // A finding's worth is a score too.
    v["score"]["overall"] = serde_json::json!(50.0);
    v["findings"][0]["worth"] = serde_json::json!(-3.0);
    let bad = write(d.path(), "bad2.json", &serde_json::to_string(&v).unwrap());
    let o = run_for(60, &["diff", good.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("findings[0].worth"), "{}", text(&o.stderr));
}

#[test]
fn eval_refuses_unknown_waiver_rules_and_facts_versions() {
    let d = tempfile::tempdir().unwrap();
    let root = crate::support::root();
    let facts_text = std::fs::read_to_string(root.join("fixtures/facts/weak.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&facts_text).unwrap();

    // A waiver file naming no rule.
    let w = write(
        d.path(),
        "waivers.toml",
        "[[waiver]]\nrule = \"hipaa-no-such-rule\"\nreason = \"r\"\napprover = \"a\"\nexpires = \"2099-01-01\"\n",
    );
    let facts = root.join("fixtures/facts/weak.json");
    let o = run_for(60, &["eval", facts.to_str().unwrap(), "--waivers", w.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("waivers.toml:2:") && err.contains("hipaa-no-such-rule"),
        "{err}"
    );

    // A waiver inside the facts file naming no rule.
    v["waivers"] = serde_json::json!([{"rule": "hipaa-gone", "resource": null, "reason": "r", "approver": "a", "expires": "2099-01-01"}]);
    let f = write(d.path(), "w.json", &serde_json::to_string_pretty(&v).unwrap());
    let o = run_for(60, &["eval", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("w.json:") && err.contains("hipaa-gone"), "{err}");

    // A facts file from an unknown major version.
    v["waivers"] = serde_json::json!([]);
    v["facts_version"] = "999".into();
    let f = write(d.path(), "v.json", &serde_json::to_string_pretty(&v).unwrap());
    let o = run_for(60, &["eval", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("v.json:2:") && err.contains("`999`") && err.contains("1.x"),
        "{err}"
    );
}
