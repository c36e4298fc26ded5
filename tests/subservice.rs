//! A carved-out subservice organisation's SOC report (`[[evidence]] subservice = "NAME"`): it
//! covers that organisation only when the name matches, and it is never judged as the vendor's
//! own report (docs/decisions.md "Subservice reports").

use crate::support::*;

const VENDOR_SOC2: &str = "fixtures/recorded/strong/evidence/northwind-soc2-type2-2026.txt";
const HOST_SOC2: &str = "fixtures/recorded/strong/evidence/fabrikam-cloud-soc2-type2-2026.txt";

/// Assess the vendor's SOC 2 (which carves out Fabrikam Cloud) with the host's report declared
/// as the report of `org` (or as a plain SOC 2 when `None`): the JSON report.
fn assess(org: Option<&str>) -> serde_json::Value {
    assess_with(HOST_SOC2, org)
}

fn assess_with(host_report: &str, org: Option<&str>) -> serde_json::Value {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(VENDOR_SOC2), d.path().join("vendor-soc2.txt")).unwrap();
    std::fs::copy(root().join(host_report), d.path().join("host-soc2.txt")).unwrap();
    let host = match org {
        Some(o) => format!("[[evidence]]\npath = \"host-soc2.txt\"\nsubservice = \"{o}\"\n"),
        None => "[[evidence]]\npath = \"host-soc2.txt\"\nkind = \"soc2\"\n".to_string(),
    };
    std::fs::write(
        d.path().join("vendor.toml"),
        format!("[vendor]\nname = \"Northwind\"\n\n[practice]\njurisdiction = \"us\"\n\n[[evidence]]\npath = \"vendor-soc2.txt\"\nkind = \"soc2\"\n\n{host}"),
    )
    .unwrap();
    let o = vetter()
        .args(["assess", "--format", "json", "--as-of", "2026-12-01"])
        .arg(d.path().join("vendor.toml"))
        .output()
        .unwrap();
    assert_no_panic(&o);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)))
}

fn statuses(v: &serde_json::Value, rule: &str) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| judged_by(f, rule))
        .map(|f| {
            (
                f["resource"].as_str().unwrap_or("").to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_carved_out_host_is_covered_only_by_its_own_named_report() {
    let named = assess(Some("Fabrikam Cloud, Inc."));
    assert_eq!(
        statuses(&named, "hipaa-soc2-carve-out-reports"),
        [("vendor-soc2.txt".to_string(), "pass".to_string())]
    );
    // The host's report is not the vendor's: no vendor SOC 2 rule judges it.
    for rule in [
        "assurance-soc2-fresh",
        "assurance-soc2-opinion",
        "hipaa-soc2-carve-out-reports",
    ] {
        assert!(
            statuses(&named, rule).iter().all(|(res, _)| !res.contains("host-soc2")),
            "{rule} judged the host's report: {:?}",
            statuses(&named, rule)
        );
    }
    // The report's own system name counts too: the host's report under a wrong label still
    // covers the host it describes.
    assert_eq!(
        statuses(&assess(Some("Contoso Hosting")), "hipaa-soc2-carve-out-reports"),
        [("vendor-soc2.txt".to_string(), "pass".to_string())]
    );
    // Another organisation's current, unmodified report does not cover the carved-out host.
    let other = assess_with("fixtures/evidence/soc2/unmodified-bridge.txt", Some("Contoso Hosting"));
    let st = statuses(&other, "hipaa-soc2-carve-out-reports");
    assert_eq!(st, [("vendor-soc2.txt".to_string(), "fail".to_string())]);
    let msg = other["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| judged_by(f, "hipaa-soc2-carve-out-reports"))
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("Fabrikam Cloud"), "{msg}");
    // Listed as a plain SOC 2, the host's report is judged as a vendor report and covers nothing.
    let plain = assess(None);
    assert_eq!(
        statuses(&plain, "hipaa-soc2-carve-out-reports")
            .iter()
            .find(|(r, _)| r == "vendor-soc2.txt")
            .map(|(_, s)| s.as_str()),
        Some("fail")
    );
    assert!(
        statuses(&plain, "assurance-soc2-fresh")
            .iter()
            .any(|(r, _)| r.contains("host-soc2"))
    );
}
