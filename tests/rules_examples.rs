//! Rule force and worked examples (issue 10 items 1 and 7): every built-in example gives the
//! status it states; `rules check` proves a user's pack by its examples and names the line of a
//! wrong one; only rules the law backs may cap.

use crate::support::{text, vetter};

fn pack(rule: &str) -> String {
    format!(
        "[pack]\nid = \"ex\"\ntitle = \"t\"\nversion = \"1\"\n\n[[rule]]\nid = \"ex-https\"\ntitle = \"t\"\ncategory = \"encryption\"\nseverity = \"high\"\nrefs = [\"45 CFR 164.312(e)(1)\"]\neach = \"endpoints\"\nassert = \"it.url.startsWith('https://')\"\ndescription = \"d\"\nremediation = \"r\"\n{rule}\n"
    )
}

#[test]
fn every_builtin_example_gives_its_status() {
    let set = vetter::rules::RuleSet::load(&vetter::rules::LoadOptions {
        include_builtin: true,
        ..Default::default()
    })
    .expect("built-in packs load");
    let (ran, problems) = vetter::rules::examples::check(&set, |_| true);
    let listed: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{}:{}: {} ({})",
                p.file,
                p.line,
                p.message,
                p.help.clone().unwrap_or_default()
            )
        })
        .collect();
    assert!(
        listed.is_empty(),
        "{ran} examples, {} wrong:\n{}",
        listed.len(),
        listed.join("\n")
    );
}

#[test]
fn rules_check_runs_examples_and_names_a_wrong_ones_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        pack("force = \"addressable\"\n\n[[rule.example]]\nstatus = \"pass\"\nit.url = \"https://a.example\"\n\n[[rule.example]]\nstatus = \"fail\"\nit.url = \"http://a.example\"\n"),
    )
    .unwrap();
    let o = vetter().args(["rules", "check"]).arg(&good).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("2 example(s): no problems"),
        "{}",
        text(&o.stdout)
    );

    // A planted wrong expectation: plain HTTP said to pass.
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        pack("force = \"addressable\"\n\n[[rule.example]]\nstatus = \"pass\"\nnote = \"planted\"\nit.url = \"http://a.example\"\n"),
    )
    .unwrap();
    let o = vetter().args(["rules", "check"]).arg(&bad).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml:18"), "{err}");
    assert!(err.contains("expects `pass` but the rule gives `fail`"), "{err}");
}

#[test]
fn a_cap_on_a_rule_no_law_backs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cap.toml");
    std::fs::write(&p, pack("force = \"practice\"\ncap = \"C\"\n")).unwrap();
    let o = vetter().args(["rules", "check"]).arg(&p).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("only required and addressable rules may cap"), "{err}");

    std::fs::write(&p, pack("force = \"binding\"\n")).unwrap();
    let o = vetter().args(["rules", "check"]).arg(&p).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("unknown force `binding`"), "{err}");
}

#[test]
fn a_rule_without_force_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("noforce.toml");
    std::fs::write(&p, pack("")).unwrap();
    let o = vetter().args(["rules", "check"]).arg(&p).output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("noforce.toml:6:"), "{err}");
    assert!(err.contains("rule `ex-https` has no `force`"), "{err}");
    assert!(
        err.contains("required, addressable, negotiated, practice, proposed"),
        "{err}"
    );
}

#[test]
fn rules_list_filters_by_force() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("f.toml");
    std::fs::write(
        &p,
        pack("force = \"negotiated\"\n").replace("id = \"ex\"", "id = \"exf\""),
    )
    .unwrap();
    let o = vetter()
        .args(["rules", "list", "--format", "json", "--force", "negotiated", "--rules"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert!(rows.iter().any(|r| r["id"] == "ex-https"), "{rows:?}");
    assert!(rows.iter().all(|r| r["force"] == "negotiated"), "{rows:?}");

    let o = vetter().args(["rules", "list", "--force", "binding"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
}
