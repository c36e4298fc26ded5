//! Report formats rendered for the fixture vendors: Markdown, SARIF (validated against the
//! official 2.1.0 schema), JUnit (parsed by a real consumer's parser), waivers in every format.

use std::collections::BTreeSet;

use crate::support::*;

pub const FIXTURES: [&str; 3] = ["strong", "weak", "mixed"];

pub fn facts(name: &str) -> String {
    format!("fixtures/facts/{name}.json")
}

/// `vetter eval FACTS --format FORMAT [extra…]`: stdout and exit code.
pub fn eval(facts: &str, format: &str, extra: &[&str]) -> (String, Option<i32>) {
    let mut args = vec!["eval", facts, "--format", format];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_no_panic(&o);
    (text(&o.stdout), o.status.code())
}

pub fn json_report(facts: &str, extra: &[&str]) -> serde_json::Value {
    let (out, code) = eval(facts, "json", extra);
    assert_eq!(code, Some(0), "{out}");
    serde_json::from_str(&out).unwrap()
}

/// Every failed or errored rule, as the machine formats (JUnit, SARIF) carry them.
fn failed_rules(r: &serde_json::Value) -> BTreeSet<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["status"].as_str(), Some("fail" | "error")))
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn count(r: &serde_json::Value, status: &str) -> usize {
    r["summary"][status].as_u64().unwrap() as usize
}

#[test]
fn markdown_for_each_fixture() {
    for name in FIXTURES {
        let r = json_report(&facts(name), &[]);
        let (md, code) = eval(&facts(name), "markdown", &[]);
        assert_eq!(code, Some(0));
        let grade = r["score"]["grade"].as_str().unwrap();
        assert!(md.contains(&format!("grade **{grade}")), "{name}: grade missing");
        if r["score"]["provisional"] == true {
            assert!(
                md.contains(&format!("grade **{grade} (provisional: ")),
                "{name}: provisional"
            );
        }
        assert!(md.contains("| Category | Score |"), "{name}: category table");
        assert!(md.len() < 65_536, "{name}: {} chars do not fit a PR comment", md.len());
        for rule in crate::html::failed_rules(&r) {
            assert!(md.contains(&format!("`{rule}`")), "{name}: failed rule {rule} missing");
        }
        for u in r["unassessed"].as_array().unwrap() {
            let n = u["rules"].as_array().unwrap().len();
            assert!(
                md.contains(&format!("{n} checks could not run on ")),
                "{name}: folded line"
            );
        }
        if count(&r, "fail") + count(&r, "error") == 0 {
            assert!(md.contains("None: every applicable check passed"));
        } else {
            assert!(md.contains("<details><summary>How to fix the failed findings</summary>"));
        }
        assert_eq!(md.matches("<details>").count(), md.matches("</details>").count());
    }
}

pub(crate) fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

pub(crate) fn assert_valid_sarif(v: &jsonschema::Validator, sarif: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(errors.is_empty(), "{what}: SARIF invalid:\n{}", errors.join("\n"));
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let v = sarif_validator();
    // The validator is not vacuous: a log without `runs` and a bad level are rejected.
    assert!(!v.is_valid(&serde_json::json!({"version": "2.1.0"})));
    for name in FIXTURES {
        let r = json_report(&facts(name), &[]);
        let (out, code) = eval(&facts(name), "sarif", &[]);
        assert_eq!(code, Some(0));
        let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_valid_sarif(&v, &sarif, name);
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(
            results.len(),
            count(&r, "fail") + count(&r, "error") + count(&r, "waived") + count(&r, "missing"),
            "{name}: one result per failed, errored, waived or missing finding"
        );
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|x| x["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids.len(),
            ids.iter().collect::<BTreeSet<_>>().len(),
            "unique descriptors"
        );
        for rule in rules {
            assert!(rule["help"]["text"].as_str().unwrap().contains("References:"));
            assert!(rule["properties"]["security-severity"].as_str().is_some());
        }
        for res in results {
            let i = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(ids[i], res["ruleId"].as_str().unwrap(), "ruleIndex points at its rule");
            let f = r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == res["partialFingerprints"]["vetterFinding/v1"])
                .expect("result matches a finding");
            match f["status"].as_str().unwrap() {
                "error" => assert_eq!(res["level"], "error", "errors are errors"),
                "missing" => {
                    assert_eq!(res["kind"], "open", "missing evidence is an open question");
                    assert_eq!(res["level"], "none");
                }
                "waived" => {
                    let s = &res["suppressions"][0];
                    assert_eq!(s["kind"], "external");
                    assert!(
                        s["justification"]
                            .as_str()
                            .unwrap()
                            .contains(f["waiver"]["reason"].as_str().unwrap())
                    );
                }
                _ => assert!(res.get("suppressions").is_none()),
            }
        }
        for rule in failed_rules(&r) {
            assert!(results.iter().any(|x| x["ruleId"] == rule.as_str()), "{name}: {rule}");
        }
    }
}

#[test]
fn sarif_points_at_the_manifest_line() {
    let o = run(&[
        "assess",
        "--quiet",
        "fixtures/vendors/sample/vendor.toml",
        "--as-of",
        "2026-11-23",
        "--format",
        "sarif",
    ]);
    assert_no_panic(&o);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_valid_sarif(&sarif_validator(), &sarif, "sample");
    let manifest = std::fs::read_to_string(root().join("fixtures/vendors/sample/vendor.toml")).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let mut located = 0;
    for res in results {
        let loc = &res["locations"][0];
        assert_eq!(
            loc["physicalLocation"]["artifactLocation"]["uri"],
            "fixtures/vendors/sample/vendor.toml"
        );
        let line = loc["physicalLocation"]["region"]["startLine"].as_u64().unwrap() as usize;
        let resource = loc["logicalLocations"][0]["name"].as_str().unwrap();
        let text = manifest.lines().nth(line - 1).unwrap();
        if resource == "vendor" || resource.contains('.') && !resource.contains('/') {
            assert_eq!(text.trim(), "[vendor]", "{resource}");
        } else {
            // The line opens the [[table]] that declares the resource; the resource is in it.
            assert!(text.trim().starts_with("[["), "{resource}: line {line} is `{text}`");
            let table: String = manifest.lines().skip(line - 1).take(6).collect::<Vec<_>>().join("\n");
            assert!(table.contains(resource), "{resource} not declared at line {line}");
            located += 1;
        }
    }
    assert!(located > 0, "some results point at a resource's own table");
}

#[test]
fn junit_parses_with_a_real_parser() {
    for name in FIXTURES {
        let r = json_report(&facts(name), &[]);
        let (out, code) = eval(&facts(name), "junit", &[]);
        assert_eq!(code, Some(0));
        let suites = junit_parser::from_reader(std::io::Cursor::new(out.as_bytes()))
            .unwrap_or_else(|e| panic!("{name}: JUnit does not parse: {e}"));
        let categories: BTreeSet<&str> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["category"].as_str().unwrap())
            .collect();
        // The summary opens the file as a suite of no tests; then a suite per category.
        assert_eq!(suites.suites[0].name, "summary", "{name}: the summary first");
        assert_eq!(suites.suites[0].tests, 0);
        assert!(
            suites.suites[0]
                .system_out
                .as_deref()
                .is_some_and(|o| o.contains("Next steps:")),
            "{name}: the summary's words"
        );
        assert_eq!(
            suites.suites.len(),
            categories.len() + 1,
            "{name}: a suite per category"
        );
        let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
        let mut failing = BTreeSet::new();
        for s in &suites.suites[1..] {
            assert!(categories.contains(s.name.as_str()));
            for c in &s.cases {
                tests += 1;
                match &c.status {
                    junit_parser::TestStatus::Failure(f) => {
                        failures += 1;
                        assert!(!f.message.is_empty(), "failures carry the message");
                        failing.insert(c.original_name.split(' ').next().unwrap().to_string());
                    }
                    junit_parser::TestStatus::Error(_) => {
                        errors += 1;
                        failing.insert(c.original_name.split(' ').next().unwrap().to_string());
                    }
                    junit_parser::TestStatus::Skipped(_) => skipped += 1,
                    junit_parser::TestStatus::Success => {}
                }
            }
        }
        assert_eq!(tests, count(&r, "total"), "{name}");
        assert_eq!(failures, count(&r, "fail"), "{name}");
        assert_eq!(
            errors,
            count(&r, "error"),
            "{name}: errors are <error>, never a silent pass"
        );
        assert_eq!(
            skipped,
            count(&r, "skip") + count(&r, "waived") + count(&r, "manual") + count(&r, "missing")
        );
        assert_eq!(failing, failed_rules(&r), "{name}");
        assert_eq!(suites.failures as usize, failures);
        assert_eq!(suites.errors as usize, errors);
    }
}

/// The mixed vendor's waiver is current on its as_of and expired a year later: every format
/// shows it, and the expired one is flagged.
#[test]
fn waivers_in_every_format() {
    let f = facts("mixed");
    let r = json_report(&f, &[]);
    let reason = r["waivers"][0]["reason"].as_str().unwrap().to_string();
    let rule = r["waivers"][0]["rule"].as_str().unwrap().to_string();
    assert_eq!(count(&r, "waived"), 1);
    let (md, _) = eval(&f, "markdown", &[]);
    assert!(
        md.contains("### Waivers (1)") && md.contains("| current |"),
        "markdown waivers"
    );
    let (sarif, _) = eval(&f, "sarif", &[]);
    assert!(sarif.contains("\"suppressions\"") && sarif.contains(&reason));
    let (junit, _) = eval(&f, "junit", &[]);
    assert!(junit.contains("<skipped message=\"waived: "), "junit waived");

    let later = ["--as-of", "2027-07-15"];
    let r = json_report(&f, &later);
    assert_eq!(r["waivers"][0]["expired"], true);
    assert_eq!(count(&r, "waived"), 0, "an expired waiver no longer applies");
    let (md, _) = eval(&f, "markdown", &later);
    assert!(
        md.contains("**expired** (not applied)"),
        "markdown flags the expired waiver"
    );
    let (sarif, _) = eval(&f, "sarif", &later);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["runs"][0]["properties"]["waivers"][0]["expired"], true);
    assert!(sarif.to_string().matches("\"suppressions\"").count() == 0);
    let (junit, _) = eval(&f, "junit", &later);
    assert!(
        junit.contains(&format!("name=\"expired_waiver\" value=\"{rule} on ")),
        "junit flags it"
    );
    let (table, _) = eval(&f, "table", &later);
    assert!(table.contains(&format!("waiver for {rule} expired")));
}

/// Hostile text (markup in a vendor name) stays inert in Markdown and well-formed in JUnit.
#[test]
fn hostile_vendor_name_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(facts("weak"))).unwrap()).unwrap();
    a["facts"]["vendor"]["name"] = "<script>alert(1)</script> & \"Co\" | ]]> \u{1}".into();
    let p = dir.path().join("hostile.json");
    std::fs::write(&p, serde_json::to_string(&a).unwrap()).unwrap();
    let p = p.to_str().unwrap();
    let (md, _) = eval(p, "markdown", &[]);
    assert!(!md.contains("<script>") && md.contains("&lt;script&gt;"));
    let (junit, _) = eval(p, "junit", &[]);
    assert!(!junit.contains("<script>"));
    junit_parser::from_reader(std::io::Cursor::new(junit.as_bytes())).expect("still well-formed");
    let (sarif, _) = eval(p, "sarif", &[]);
    assert_valid_sarif(&sarif_validator(), &serde_json::from_str(&sarif).unwrap(), "hostile");
}

fn write_report(dir: &std::path::Path, name: &str, facts: &str, extra: &[&str]) -> String {
    let p = dir.join(name);
    let mut args = vec!["eval", facts, "--format", "json", "--output", p.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    p.to_str().unwrap().to_string()
}

/// A facts file with one planted change: `edit` rewrites the mixed vendor's facts.
fn planted(dir: &std::path::Path, name: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
    let mut a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(facts("mixed"))).unwrap()).unwrap();
    edit(&mut a);
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string(&a).unwrap()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn diff_and_baseline_exit_on_regressions_only() {
    let dir = tempfile::tempdir().unwrap();
    let base = write_report(dir.path(), "base.json", &facts("mixed"), &[]);
    // Same input: no regression, exit 0, from both `diff` and `--baseline`.
    let o = run(&["diff", &base, &base]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("0 regression(s)"));
    let o = run(&["eval", &facts("mixed"), "--baseline", &base, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("stdout stays the report");

    // Planted regression: an endpoint now accepts TLS 1.0 (pass→fail on a known resource).
    let bad = planted(dir.path(), "tls10.json", |a| {
        a["facts"]["endpoints"][0]["tls"]["versions"]["tls1_0"] = true.into();
    });
    let o = run(&[
        "eval",
        &bad,
        "--baseline",
        &base,
        "--format",
        "json",
        "--max-drop",
        "100",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("pass→fail"), "{}", text(&o.stderr));
    let new = write_report(dir.path(), "new.json", &bad, &[]);
    let o = run(&["diff", &base, &new, "--format", "json", "--max-drop", "100"]);
    assert_eq!(o.status.code(), Some(1));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let regs: Vec<&serde_json::Value> = d["diffs"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["regression"] == true)
        .collect();
    assert!(!regs.is_empty() && regs.iter().all(|c| c["transition"] == "pass_to_fail"));
    // Reversed, the same change is a fix: exit 0.
    let o = run(&["diff", &new, &base]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("fixed"));

    // An errored resource that passed before is a regression (pass→error).
    let err = planted(dir.path(), "err.json", |a| {
        a["facts"]["endpoints"][0]["error"] = "connection refused".into();
    });
    let o = run(&["eval", &err, "--baseline", &base, "--max-drop", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("pass→error"));

    // An expired waiver is a regression even when the score may drop.
    let later = write_report(dir.path(), "later.json", &facts("mixed"), &["--as-of", "2027-07-15"]);
    let o = run(&["diff", &base, &later, "--max-drop", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("REGRESSION expired waiver"));
    // A waiver already expired in the baseline is not a new regression: compared with itself,
    // a report whose waiver expired before it was written has none (mixed has one that expired
    // 2026-06-01; here both reports are as of 2027-07-15).
    let later2 = write_report(dir.path(), "later2.json", &facts("mixed"), &["--as-of", "2027-07-15"]);
    let o = run(&["diff", &later, &later2]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(!text(&o.stdout).contains("expired waiver"), "{}", text(&o.stdout));
}

#[test]
fn a_schema_1_report_still_serves_as_a_baseline() {
    // Before 2.0 every finding copied its rule's text and an unprobed resource's cause; a
    // baseline written then must still compare (the copies are ignored, ids match).
    let dir = tempfile::tempdir().unwrap();
    let base = write_report(dir.path(), "base.json", &facts("weak"), &[]);
    let mut old: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    assert!(
        !old["unassessed"].as_array().unwrap().is_empty(),
        "weak has a refused endpoint"
    );
    let rules: std::collections::BTreeMap<String, serde_json::Value> = old["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r.clone()))
        .collect();
    old["schema_version"] = "1.1".into();
    for f in old["findings"].as_array_mut().unwrap() {
        let r = &rules[f["rule"].as_str().unwrap()];
        for k in ["pack", "title", "remediation", "refs", "requirement"] {
            f[k] = r[k].clone();
        }
        for k in ["message", "worth", "waiver"] {
            if f.get(k).is_none() {
                f[k] = serde_json::Value::Null;
            }
        }
        if f.get("evidence").is_none() {
            f["evidence"] = serde_json::json!([]);
        }
    }
    let old_path = dir.path().join("old.json");
    std::fs::write(&old_path, serde_json::to_string_pretty(&old).unwrap()).unwrap();
    let o = run(&["diff", old_path.to_str().unwrap(), &base, "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(d["diffs"][0]["regressions"], 0, "{d}");
}

#[test]
fn diff_score_drop_and_new_rules() {
    let dir = tempfile::tempdir().unwrap();
    // The baseline ran without the hipaa-nprm-2025 pack; now it runs: its failures are new rules.
    let base = write_report(
        dir.path(),
        "base.json",
        &facts("mixed"),
        &["--framework", "hipaa,baa,gdpr,assurance,deid"],
    );
    let new = write_report(dir.path(), "new.json", &facts("mixed"), &[]);
    let o = run(&["diff", &base, &new]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "new rules alone are not a regression: {}",
        text(&o.stdout)
    );
    assert!(text(&o.stdout).contains("New rules (not counted"));
    let o = run(&["diff", &base, &new, "--fail-on-new-rules"]);
    assert_eq!(o.status.code(), Some(1));
    // A small drop within --max-drop passes; beyond it fails. The planted change only
    // flips one check, so the drop is below 5 points.
    let worse = planted(dir.path(), "worse.json", |a| {
        a["facts"]["endpoints"][0]["http"]["hsts"]["present"] = false.into();
    });
    let worse = write_report(dir.path(), "worse-report.json", &worse, &[]);
    let d = |max: &str| {
        let o = run(&["diff", &new, &worse, "--max-drop", max, "--format", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["diffs"][0]["score_drop_regression"].as_bool().unwrap()
    };
    assert!(d("0"), "any drop counts by default");
    assert!(!d("5"), "a drop within --max-drop does not");
}

#[test]
fn diff_rejects_broken_reports() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.json");
    std::fs::write(&p, "{\"schema_version\": 1").unwrap();
    let o = run(&["diff", p.to_str().unwrap(), p.to_str().unwrap()]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("broken.json"), "{}", text(&o.stderr));
    let o = run(&["diff", &facts("mixed"), &facts("mixed")]);
    assert_eq!(o.status.code(), Some(2), "a facts file is not a report");
    assert!(text(&o.stderr).contains("not a vetter JSON report"));
}

#[test]
fn verify_rehashes_inputs() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("fixtures/vendors/sample"), &dir.path().join("sample"));
    let mut cmd = vetter();
    cmd.current_dir(dir.path()).args([
        "assess",
        "--quiet",
        "sample/vendor.toml",
        "--as-of",
        "2026-11-23",
        "--format",
        "json",
        "--output",
        "r.json",
    ]);
    let o = cmd.output().unwrap();
    assert_no_panic(&o);
    let verify = |args: &[&str]| {
        let mut c = vetter();
        c.current_dir(dir.path()).arg("verify").args(args);
        c.output().unwrap()
    };
    let o = verify(&["r.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("0 changed or missing"));
    // Moved with its manifest: still verifies from elsewhere (paths relative to the manifest).
    std::fs::write(dir.path().join("sample/exports/audit.jsonl"), "tampered\n").unwrap();
    std::fs::remove_file(dir.path().join("sample/evidence/baa.md")).unwrap();
    let o = verify(&["r.json", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let state = |p: &str| {
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == p)
            .map(|r| r["state"].as_str().unwrap().to_string())
    };
    assert_eq!(state("exports/audit.jsonl").as_deref(), Some("changed"));
    assert_eq!(state("evidence/baa.md").as_deref(), Some("missing"));
    assert_eq!(state("evidence/dpa.md").as_deref(), Some("match"));
    assert_eq!(v["changed_or_missing"], 2);
}
