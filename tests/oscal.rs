//! OSCAL assessment-results: every fixture vendor's output (and a portfolio's) validates against
//! NIST's OSCAL 1.2.3 JSON schema; each input's SHA-256 is in the evidence links; every
//! internal `#uuid` link resolves.

use std::collections::BTreeSet;

use crate::reports::{FIXTURES, eval, facts, json_report};
use crate::support::*;

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/schemas/oscal_complete_schema-1.2.3.json")).unwrap(),
    )
    .unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the OSCAL schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: OSCAL schema errors:\n{}", errors.join("\n"));
}

fn uuids(v: &serde_json::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if k == "uuid" {
                    out.insert(x.as_str().unwrap().to_string());
                }
                uuids(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| uuids(x, out)),
        _ => {}
    }
}

fn links<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if (k == "href" || k == "observation-uuid") && x.is_string() {
                    out.push(x.as_str().unwrap());
                }
                links(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| links(x, out)),
        _ => {}
    }
}

#[test]
fn oscal_for_each_fixture_validates() {
    let v = validator();
    for name in FIXTURES {
        let r = json_report(&facts(name), &[]);
        let (out, code) = eval(&facts(name), "oscal", &[]);
        assert_eq!(code, Some(0));
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_valid(&v, &doc, name);
        let ar = &doc["assessment-results"];
        let result = &ar["results"][0];
        assert_eq!(
            result["findings"].as_array().unwrap().len(),
            r["findings"].as_array().unwrap().len(),
            "{name}: a finding per finding"
        );
        // Each input: a back-matter resource with its hash, and an observation linking to it.
        let resources = ar["back-matter"]["resources"].as_array().unwrap();
        for i in r["inputs"].as_array().unwrap() {
            let Some(h) = i["sha256"].as_str() else { continue };
            let res = resources
                .iter()
                .find(|x| x["rlinks"][0]["href"] == i["path"])
                .unwrap_or_else(|| panic!("{name}: no resource for {}", i["path"]));
            assert_eq!(res["rlinks"][0]["hashes"][0]["algorithm"], "SHA-256");
            assert_eq!(res["rlinks"][0]["hashes"][0]["value"], h);
            let href = format!("#{}", res["uuid"].as_str().unwrap());
            let linked = result["observations"].as_array().unwrap().iter().any(|o| {
                o["relevant-evidence"].as_array().is_some_and(|e| {
                    e.iter()
                        .any(|e| e["href"] == href.as_str() && e["description"].as_str().unwrap().contains(h))
                })
            });
            assert!(linked, "{name}: no evidence link carrying {h}");
        }
        // Internal links resolve.
        let mut ids = BTreeSet::new();
        uuids(&doc, &mut ids);
        let mut refs = Vec::new();
        links(ar, &mut refs);
        for l in refs {
            if let Some(u) = l.strip_prefix('#') {
                assert!(ids.contains(u), "{name}: dangling link {l}");
            } else if !l.contains('/') && !l.contains('.') {
                assert!(ids.contains(l), "{name}: dangling observation {l}");
            }
        }
        // Failed findings are not-satisfied; the grade is carried as a prop.
        let failed = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["target"]["status"]["state"] == "not-satisfied")
            .count() as u64;
        let s = &r["summary"];
        assert_eq!(
            failed,
            s["fail"].as_u64().unwrap()
                + s["error"].as_u64().unwrap()
                + s["manual"].as_u64().unwrap()
                + s["missing"].as_u64().unwrap()
        );
        let grade = r["score"]["grade"].as_str().unwrap();
        assert!(
            result["props"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "grade" && p["value"] == grade)
        );
    }
}

#[test]
fn oscal_portfolio_validates_and_the_schema_rejects_a_broken_document() {
    let v = validator();
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.toml");
    std::fs::write(&other, "[vendor]\nname = \"Second <Vendor>\"\n").unwrap();
    let m = root().join("fixtures/vendors/sample/vendor.toml");
    let o = run(&[
        "assess",
        "-q",
        m.to_str().unwrap(),
        other.to_str().unwrap(),
        "--format",
        "oscal",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let mut doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_valid(&v, &doc, "portfolio");
    assert_eq!(doc["assessment-results"]["results"].as_array().unwrap().len(), 2);
    // The validation is real: a finding without a target state fails it.
    doc["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] = "maybe".into();
    assert!(!v.is_valid(&doc), "the schema accepted an invalid state");
    for (pointer, bad) in [
        ("/assessment-results/uuid", "not-a-uuid"),
        ("/assessment-results/metadata/last-modified", "2026-11-23 10:00"),
        ("/assessment-results/results/0/findings/0/target/target-id", "has space"),
        ("/assessment-results/results/0/start", "yesterday"),
    ] {
        let mut d: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        *d.pointer_mut(pointer).unwrap() = bad.into();
        assert!(!v.is_valid(&d), "the schema accepted {bad:?} at {pointer}");
    }
}

#[test]
fn oscal_json_name_selects_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("weak.oscal.json");
    let plain = dir.path().join("weak.json");
    let o = run(&[
        "eval",
        &facts("weak"),
        "-o",
        out.to_str().unwrap(),
        "-o",
        plain.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(doc.get("assessment-results").is_some());
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plain).unwrap()).unwrap();
    assert!(
        doc.get("schema_version").is_some(),
        "plain .json stays the vetter report"
    );
}
