//! Absence of evidence is not a failed control (issue 10, item 2): evidence the manifest does
//! not supply is `missing`, listed once under "Not supplied"; the BAA's own existence still
//! fails; a resource that cannot be probed is one line; a grade on little coverage is
//! provisional. Manifests and files are made in a tempdir; the endpoint is a refused loopback
//! port.

use std::path::Path;

use crate::support::*;

/// A manifest with only a [vendor] table and, when `baa`, a readable BAA.
fn manifest(dir: &Path, baa: bool, endpoint: Option<&str>) -> String {
    // The practice serves people in the EU too, so the DPA's existence is a GDPR duty here.
    let mut m = String::from(
        "[vendor]\nname = \"Thin Vendor\"\n\n[practice]\njurisdiction = \"us\"\neu_data_subjects = true\n",
    );
    if let Some(url) = endpoint {
        m.push_str(&format!("\n[[endpoint]]\nurl = \"{url}\"\n"));
    }
    if baa {
        std::fs::copy(root().join("fixtures/evidence/baa/complete.pdf"), dir.join("baa.pdf")).unwrap();
        m.push_str("\n[[evidence]]\npath = \"baa.pdf\"\nkind = \"baa\"\n");
    }
    let p = dir.join("vendor.toml");
    std::fs::write(&p, m).unwrap();
    p.to_string_lossy().into_owned()
}

fn assess(path: &str, format: &str) -> String {
    let o = vetter()
        .args(["assess", "--quiet", path, "--format", format])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .expect("vetter runs");
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    text(&o.stdout)
}

fn status<'a>(r: &'a serde_json::Value, rule: &str) -> Vec<&'a str> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| judged_by(f, rule))
        .map(|f| f["status"].as_str().unwrap())
        .collect()
}

#[test]
fn unsupplied_evidence_is_missing_listed_once_and_never_caps() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path(), true, None);
    let r: serde_json::Value = serde_json::from_str(&assess(&m, "json")).unwrap();
    for rule in [
        "hipaa-endpoint-https",
        "hipaa-tls-min-version",
        "hipaa-export-plaintext-phi",
        "assurance-pentest-recent",
        "assurance-pentest-no-open-critical",
        "assurance-soc2-opinion",
        // vendor-level rules that read only the absent reports
        "assurance-report-supplied",
        "hipaa-evaluation-current",
    ] {
        assert_eq!(status(&r, rule), ["missing"], "{rule}");
    }
    let kinds: Vec<&str> = r["not_supplied"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    for k in [
        "endpoints",
        "exports",
        "audit_logs",
        "evidence.pentest",
        "evidence.soc2",
    ] {
        assert_eq!(
            kinds.iter().filter(|x| **x == k).count(),
            1,
            "{k} listed once: {kinds:?}"
        );
    }
    let pentest = r["not_supplied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "evidence.pentest")
        .unwrap();
    assert!(
        pentest["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "assurance-pentest-recent")
    );
    // Caps come only from checks that ran and failed.
    for c in r["score"]["caps"].as_array().unwrap() {
        let rule = c["rule"].as_str().unwrap();
        assert!(
            status(&r, rule).contains(&"fail"),
            "cap from {rule}: {:?}",
            status(&r, rule)
        );
    }
    assert!(r["summary"]["missing"].as_u64().unwrap() > 50);
    for (format, heading) in [
        ("table", "Not supplied — ask the vendor for"),
        ("markdown", "### Not supplied — ask the vendor for"),
        ("html", ">Not supplied — ask the vendor for</h2>"),
    ] {
        let out = assess(&m, format);
        assert_eq!(out.matches(heading).count(), 1, "{format}: one Not supplied section");
        assert!(
            !out.contains("no evidence supplied"),
            "{format}: no per-rule absence failures"
        );
    }
}

#[test]
fn a_baa_less_manifest_fails_the_baa_existence_rules() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path(), false, None);
    let r: serde_json::Value = serde_json::from_str(&assess(&m, "json")).unwrap();
    assert_eq!(status(&r, "baa-supplied"), ["fail"]);
    assert_eq!(status(&r, "hipaa-baa-present"), ["fail"]);
    assert_eq!(status(&r, "gdpr-dpa-supplied"), ["fail"]);
    // The clauses of a BAA that is not there are not failed controls.
    assert_eq!(status(&r, "baa-permitted-uses"), ["missing"]);
    // ...and the BAA is on the list to ask for.
    let baa = r["not_supplied"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "evidence.baa")
        .expect("BAA listed");
    assert!(baa["rules"].as_array().unwrap().iter().any(|x| x == "baa-supplied"));
    // A critical failed existence rule caps the grade.
    assert!(
        r["score"]["caps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["rule"] == "baa-supplied")
    );
}

#[test]
fn an_attestation_covers_a_missing_baa() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path(), false, None);
    let mut text = std::fs::read_to_string(&m).unwrap();
    text.push_str(
        "\n[[attestation]]\nrule = \"baa-supplied\"\nattested_by = \"J. Rivera, practice manager\"\ndate = \"2026-01-05\"\n",
    );
    std::fs::write(&m, text).unwrap();
    let r: serde_json::Value = serde_json::from_str(&assess(&m, "json")).unwrap();
    assert_eq!(status(&r, "baa-supplied"), ["pass"]);
    assert_eq!(status(&r, "hipaa-baa-present"), ["fail"], "attested for one rule only");
}

#[test]
fn an_unreachable_endpoint_is_one_error_line() {
    // A port nothing listens on: bind, note, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}/api");
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path(), true, Some(&url));
    let r: serde_json::Value = serde_json::from_str(&assess(&m, "json")).unwrap();
    let errored: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource"] == url.as_str())
        .filter(|f| f["status"] == "error")
        .collect();
    assert!(
        errored.len() > 10,
        "dependent rules are `error` in the JSON: {}",
        errored.len()
    );
    let un = r["unassessed"].as_array().unwrap();
    assert_eq!(un.len(), 1, "{un:?}");
    assert_eq!(un[0]["resource"], url.as_str());
    assert_eq!(un[0]["rules"].as_array().unwrap().len(), errored.len());
    // Errors never cap.
    assert!(
        r["score"]["caps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["resource"] != url.as_str())
    );
    let line = format!("{} checks could not run on {url}: ", errored.len());
    let md = assess(&m, "markdown");
    assert_eq!(md.matches(&line).count(), 1, "{md}");
    assert!(!md.contains("could not assess:"), "one line, not one per rule");
    // The table wraps its cells: one row names the endpoint as its resource (under the
    // "checks" count in the "Rule / resource" column).
    let table = assess(&m, "table");
    let rows = table
        .lines()
        .filter(|l| l.split('┆').nth(1).is_some_and(|c| c.trim() == url))
        .count();
    assert_eq!(rows, 1, "{table}");
    assert!(
        table.contains(&format!("{} checks could not run on", errored.len())),
        "{table}"
    );
    assert!(!table.contains("could not assess:"), "{table}");
}

#[test]
fn an_unreachable_endpoint_says_its_cause_once_in_the_json() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}/api");
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path(), true, Some(&url));
    let json = assess(&m, "json");
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["schema_version"], "2.2");
    let un = &r["unassessed"][0];
    let cause = un["cause"].as_str().unwrap();
    assert!(cause.contains("connection refused"), "{cause}");
    // The cause is said once, in `unassessed[]`, not copied into each dependent finding.
    assert_eq!(
        json.matches(cause).count(),
        1 + r["facts"].to_string().matches(cause).count()
    );
    let rules: Vec<&str> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    let mut sorted = rules.clone();
    sorted.sort();
    assert_eq!(rules, sorted, "rules[] is sorted by id");
    let dependent: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource"] == url.as_str())
        .collect();
    assert_eq!(dependent.len(), un["rules"].as_array().unwrap().len());
    for f in &dependent {
        // Still a finding of its own (id, rule, status, severity) for machines and baselines,
        // its rule's text held once in rules[].
        assert_eq!(f["status"], "error", "{f}");
        assert_eq!(f["id"].as_str().map(str::len), Some(16), "{f}");
        assert!(f["severity"].is_string() && f["category"].is_string(), "{f}");
        assert!(rules.contains(&f["rule"].as_str().unwrap()), "{f}");
        for absent in [
            "message",
            "evidence",
            "title",
            "remediation",
            "refs",
            "requirement",
            "pack",
        ] {
            assert!(f.get(absent).is_none(), "{absent} in {f}");
        }
    }
    // Every finding's rule text is in rules[], once.
    for f in r["findings"].as_array().unwrap() {
        assert!(f.get("title").is_none(), "{f}");
        assert!(rules.contains(&f["rule"].as_str().unwrap()), "{f}");
    }
    // The formats machines read keep one result per check, each naming the cause.
    let junit = assess(&m, "junit");
    let errors = junit
        .lines()
        .filter(|l| l.contains("<error message=") && l.contains(cause))
        .count();
    assert_eq!(errors, dependent.len(), "{junit}");
    let sarif: serde_json::Value = serde_json::from_str(&assess(&m, "sarif")).unwrap();
    let texts: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["properties"]["resource"] == url.as_str())
        .map(|x| x["message"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), dependent.len());
    assert!(texts.iter().all(|t| t.ends_with(cause)), "{texts:?}");
    // The report reads back: compared with itself, nothing changed.
    let p = dir.path().join("r.json");
    std::fs::write(&p, &json).unwrap();
    let o = vetter()
        .args(["diff", p.to_str().unwrap(), p.to_str().unwrap()])
        .output()
        .expect("vetter runs");
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn a_grade_on_little_coverage_is_provisional() {
    let dir = tempfile::tempdir().unwrap();
    let m = manifest(dir.path(), true, None);
    let r: serde_json::Value = serde_json::from_str(&assess(&m, "json")).unwrap();
    let cov = r["score"]["coverage"].as_f64().unwrap();
    assert!(cov < 0.70, "{cov}");
    assert_eq!(r["score"]["provisional"], true);
    let grade = r["score"]["grade"].as_str().unwrap();
    let want = format!(
        "{grade} (provisional: {:.0} % of checks could be assessed)",
        cov * 100.0
    );
    for format in ["table", "markdown", "html"] {
        let out = assess(&m, format);
        assert!(out.contains(&want), "{format}: {want}");
    }
}
