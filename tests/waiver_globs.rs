//! Waivers and attestations at scale (issue 16): a waiver's rule may be a glob (`*`, `?`),
//! listed with the rules it matched; one attestation may answer several rules (a list or a
//! glob) with one evidence file. Every glob that matches nothing, or an attestation naming
//! a rule it cannot answer, is exit 2 at its file:line with the fix.

use std::path::{Path, PathBuf};

use crate::support::*;

const HEAD: &str = "[vendor]\nname = \"Bare Clinic Vendor\"\n";

fn manifest(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("vendor.toml");
    std::fs::write(&p, format!("{HEAD}{body}")).unwrap();
    p
}

fn assess_json(m: &Path, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let mut args = vec![
        "assess",
        "-q",
        m.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = serde_json::from_slice(&o.stdout).unwrap();
    (o, v)
}

fn finding<'a>(r: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding of {rule}"))
}

const WAIVER: &str =
    "reason = \"BAA with the vendor's counsel\"\napprover = \"M. Chen, privacy officer\"\nexpires = \"2027-03-31\"\n";

#[test]
fn a_glob_waiver_waives_every_rule_it_matches_and_the_report_lists_them() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path(), &format!("\n[[waiver]]\nrule = \"baa-suppl?ed*\"\n{WAIVER}"));
    let (_, r) = assess_json(&m, &[]);
    assert_eq!(r["schema_version"], "2.2");
    assert_eq!(finding(&r, "baa-supplied")["status"], "waived");
    let w = &r["waivers"][0];
    assert_eq!(w["rule"], "baa-suppl?ed*", "kept as written");
    assert_eq!(w["rules"], serde_json::json!(["baa-supplied"]));
    assert_eq!(w["applied_to"], 1);

    // An exact id lists itself.
    let m = manifest(dir.path(), &format!("\n[[waiver]]\nrule = \"baa-supplied\"\n{WAIVER}"));
    let (_, r) = assess_json(&m, &[]);
    assert_eq!(r["waivers"][0]["rules"], serde_json::json!(["baa-supplied"]));

    // A wide glob in a --waivers file: every baa rule, briefly in each human format.
    let m = manifest(dir.path(), "");
    let wf = dir.path().join("waivers.toml");
    std::fs::write(&wf, format!("[[waiver]]\nrule = \"baa-*\"\n{WAIVER}")).unwrap();
    let (_, r) = assess_json(&m, &["--waivers", wf.to_str().unwrap()]);
    let rules: Vec<&str> = r["waivers"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        rules.len() > 5 && rules.iter().all(|x| x.starts_with("baa-")),
        "{rules:?}"
    );
    assert!(rules.windows(2).all(|p| p[0] < p[1]), "sorted");
    let n = rules.len();
    let brief = format!("{n} rules: {} and {} more", rules[..5].join(", "), n - 5);
    let base = [
        "assess",
        "-q",
        m.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
        "--waivers",
        wf.to_str().unwrap(),
    ];
    let table = text(&run(&base).stdout);
    assert!(
        table.contains(&format!(
            "note: waiver for baa-* covers {brief} (1 finding(s) waived)\n"
        )),
        "{table}"
    );
    let md = text(&run(&[&base[..], &["--format", "markdown"]].concat()).stdout);
    assert!(md.contains(&format!("| `baa-*` ({brief}) | any |")), "{md}");
    let html = text(&run(&[&base[..], &["--format", "html"]].concat()).stdout);
    assert!(
        html.contains(&format!(
            "<th scope=\"row\" class=\"mono\">baa-*<br><small>{brief}</small></th>"
        )),
        "{html}"
    );
}

#[test]
fn one_attestation_answers_a_list_and_a_glob_with_one_evidence_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("binder.md"), "# Compliance binder 2026\n").unwrap();
    let m = manifest(
        dir.path(),
        "\n[[attestation]]\nrule = [\"hipaa-risk-analysis\", \"hipaa-breach-*\", \"baa-supplied\"]\n\
         evidence = \"binder.md\"\nattested_by = \"J. Rivera, practice manager\"\ndate = \"2026-10-01\"\n",
    );
    let (_, r) = assess_json(&m, &[]);
    let breach: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("hipaa-breach-"))
        .collect();
    assert!(breach.len() >= 3, "{breach:?}");
    let sha = |f: &serde_json::Value| f["evidence"][1]["value"].clone();
    let first = finding(&r, "hipaa-risk-analysis");
    for f in breach.iter().copied().chain([first, finding(&r, "baa-supplied")]) {
        assert_eq!(
            (&f["status"], &f["basis"]),
            (&"pass".into(), &"attestation".into()),
            "{f}"
        );
        assert_eq!(f["evidence"][0]["value"], "binder.md");
        assert_eq!(sha(f), sha(first), "one evidence file, hashed once");
    }
    assert_eq!(
        r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "attestation")
            .count(),
        1
    );
    // Rules outside the list stay manual.
    assert_eq!(finding(&r, "hipaa-security-training")["status"], "manual");

    // The facts file keeps the list, and `eval` reads it back to the same findings.
    let facts = dir.path().join("facts.json");
    let o = run(&[
        "assess",
        "-q",
        m.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
        "--save-facts",
        facts.to_str().unwrap(),
        "-o",
        dir.path().join("r.json").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&facts).unwrap()).unwrap();
    assert_eq!(
        saved["attestations"][0]["rule"],
        serde_json::json!(["hipaa-risk-analysis", "hipaa-breach-*", "baa-supplied"])
    );
    let o = run(&["eval", facts.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(finding(&e, "hipaa-breach-records")["status"], "pass");
}

/// Assess `body` and return stderr, which must be an exit-2 error with nothing on stdout.
fn refused(dir: &Path, body: &str, extra: &[&str]) -> String {
    let m = manifest(dir, body);
    let mut args = vec!["assess", "-q", m.to_str().unwrap(), "--as-of", "2026-11-23"];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    text(&o.stderr)
}

#[test]
fn a_glob_that_matches_nothing_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let err = refused(
        dir.path(),
        &format!("\n[[waiver]]\nrule = \"gdpr-dap-*\"\n{WAIVER}"),
        &[],
    );
    let m = dir.path().join("vendor.toml").display().to_string();
    assert_eq!(
        err,
        format!(
            "{m}:5:8: error: waiver glob `gdpr-dap-*` matches no rule\n  |\n5 | rule = \"gdpr-dap-*\"\n  |        ^\n  \
             help: a glob matches whole rule ids, `*` standing for any characters and `?` for one; \
             fix the glob (or remove the entry), and run `vetter rules list` for the rule ids\n"
        )
    );

    // In a --waivers file: that file's line.
    let wf = dir.path().join("w.toml");
    std::fs::write(
        &wf,
        format!("# accepted risks\n\n[[waiver]]\nrule = \"nope-?\"\n{WAIVER}"),
    )
    .unwrap();
    let err = refused(dir.path(), "", &["--waivers", wf.to_str().unwrap()]);
    assert!(
        err.starts_with(&format!(
            "{}:4:8: error: waiver glob `nope-?` matches no rule",
            wf.display()
        )),
        "{err}"
    );

    // In the waivers saved in a facts file (its manifest may be older than the rules).
    let mut facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("fixtures/facts/weak.json")).unwrap()).unwrap();
    facts["waivers"] = serde_json::json!([{
        "rule": "zzz-*", "resource": null, "reason": "r", "approver": "a", "expires": "2027-01-01"
    }]);
    let f = dir.path().join("facts.json");
    std::fs::write(&f, serde_json::to_string_pretty(&facts).unwrap()).unwrap();
    let o = run(&["eval", f.to_str().unwrap()]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.starts_with(&format!("{}:", f.display())) && err.contains("error: waiver glob `zzz-*` matches no rule"),
        "{err}"
    );

    // Characters other than * and ? are no glob at all.
    let err = refused(
        dir.path(),
        &format!("\n[[waiver]]\nrule = \"gdpr-[ab]*\"\n{WAIVER}"),
        &[],
    );
    assert!(
        err.contains(":5:8: error: `gdpr-[ab]*` is not a rule id or glob"),
        "{err}"
    );
    assert!(
        err.contains("a glob adds * (any characters) and ? (one character)"),
        "{err}"
    );
}

#[test]
fn an_attestation_may_not_name_rules_vetter_checks_itself() {
    let dir = tempfile::tempdir().unwrap();
    let att = "attested_by = \"J. Rivera\"\ndate = \"2026-10-01\"\n";
    let err = refused(
        dir.path(),
        &format!("\n[[attestation]]\nrule = [\"hipaa-risk-analysis\", \"hipaa-tls-*\"]\n{att}"),
        &[],
    );
    let m = dir.path().join("vendor.toml").display().to_string();
    assert!(
        err.starts_with(&format!(
            "{m}:5:32: error: attestation glob `hipaa-tls-*` matches 7 rules an attestation cannot answer: \
             hipaa-tls-forward-secrecy, hipaa-tls-legacy, hipaa-tls-min-version, hipaa-tls-modern-offered, \
             hipaa-tls-ssl3 and 2 more\n"
        )),
        "{err}"
    );
    assert!(err.contains("help: an attestation answers manual rules and the rules that ask for a document (the BAA, the DPA), not checks vetter runs itself; narrow the glob or list the rules"), "{err}");

    // An exact id of such a rule, too (it used to be accepted and did nothing).
    let err = refused(
        dir.path(),
        &format!("\n[[attestation]]\nrule = \"hipaa-tls-min-version\"\n{att}"),
        &[],
    );
    assert!(
        err.starts_with(&format!(
            "{m}:5:8: error: attestation names `hipaa-tls-min-version`, a rule vetter checks itself, which an attestation cannot answer\n"
        )),
        "{err}"
    );
    assert!(
        err.contains("remove this entry and supply what the rule checks"),
        "{err}"
    );

    // An empty list answers nothing: an error, not a silent no-op.
    let err = refused(dir.path(), &format!("\n[[attestation]]\nrule = []\n{att}"), &[]);
    assert!(
        err.contains(":5:8: error: [[attestation]] rule is an empty list"),
        "{err}"
    );
    // Every problem at once, each at its own entry.
    let err = refused(
        dir.path(),
        &format!("\n[[attestation]]\nrule = [\"hipaa-zzz-*\", \"hipaa-nope\"]\n{att}"),
        &[],
    );
    assert!(
        err.contains(":5:9: error: attestation glob `hipaa-zzz-*` matches no rule")
            && err.contains(":5:24: error: attestation names unknown rule `hipaa-nope`")
            && err.ends_with("2 problems found\n"),
        "{err}"
    );
}
