//! `vetter demo`: the embedded sample vendor assessed end to end, its endpoints served on
//! loopback, run from a directory that is not the checkout.

use crate::support::*;

fn finding<'a>(r: &'a serde_json::Value, rule: &str, host: &str) -> &'a str {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| judged_by(f, rule) && f["resource"].as_str().unwrap_or("").contains(host))
        .unwrap_or_else(|| panic!("no {rule} finding for {host}"))["status"]
        .as_str()
        .unwrap()
}

#[test]
fn demo_assesses_the_sample_vendor_with_real_endpoint_findings() {
    let cwd = tempfile::tempdir().unwrap();
    let o = vetter()
        .current_dir(cwd.path())
        .env_remove("VETTER_DEMO_TOKEN")
        .args(["demo", "--format", "json", "--timeout", "5", "--as-of", "2026-11-23"])
        .output()
        .unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let eps = r["facts"]["endpoints"].as_array().unwrap();
    assert_eq!(eps.len(), 2);
    for e in eps {
        assert_eq!(e["error"], serde_json::Value::Null, "{e}");
        assert_eq!(e["tls"]["cert"]["chain_trusted"], true, "the demo CA is trusted: {e}");
    }
    let (api, portal) = ("api.sample-vendor", "portal.sample-vendor");
    let facts = |h: &str| eps.iter().find(|e| e["url"].as_str().unwrap().contains(h)).unwrap();
    // Real handshakes: the API speaks 1.2 + 1.3, the portal 1.2 only; nothing legacy.
    assert_eq!(facts(api)["tls"]["versions"]["tls1_3"], true);
    assert_eq!(facts(portal)["tls"]["versions"]["tls1_3"], false);
    assert_eq!(facts(portal)["tls"]["versions"]["tls1_0"], false);
    assert_eq!(facts(portal)["tls"]["cert"]["days_to_expiry"], 20);
    // Encryption in transit.
    assert_eq!(finding(&r, "hipaa-tls-legacy", api), "pass");
    assert_eq!(finding(&r, "hipaa-tls-legacy", portal), "pass");
    assert_eq!(finding(&r, "hipaa-tls13-offered", api), "pass");
    assert_eq!(finding(&r, "hipaa-tls13-offered", portal), "fail");
    assert_eq!(finding(&r, "hipaa-cert-trusted", api), "pass");
    assert_eq!(finding(&r, "hipaa-cert-expiry-soon", portal), "fail");
    assert_eq!(finding(&r, "hipaa-hsts", api), "pass");
    assert_eq!(finding(&r, "hipaa-hsts", portal), "fail");
    assert_eq!(finding(&r, "hipaa-https-redirect", api), "pass");
    assert_eq!(finding(&r, "hipaa-https-redirect", portal), "fail");
    // Access.
    assert_eq!(finding(&r, "hipaa-api-requires-auth", api), "pass");
    assert_eq!(finding(&r, "hipaa-api-requires-auth", portal), "fail");
    assert_eq!(finding(&r, "hipaa-cors-credentials", api), "pass");
    // The portal sends `*` with credentials: broken configuration (browsers refuse it), not
    // an exposure — its own low-severity rule, not the exposure rule (issue 10 item 5).
    assert_eq!(finding(&r, "hipaa-cors-credentials", portal), "pass");
    assert_eq!(finding(&r, "hipaa-cors-wildcard-credentials", portal), "fail");
    // The rest of the sample (files, documents) is assessed too.
    assert!(r["facts"]["exports"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(
        r["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["path"].as_str().unwrap().ends_with("vendor.toml"))
    );
}

#[test]
fn demo_table_and_output_file() {
    let cwd = tempfile::tempdir().unwrap();
    let o = vetter()
        .current_dir(cwd.path())
        .args([
            "demo",
            "-q",
            "--timeout",
            "5",
            "--format",
            "markdown",
            "--output",
            "r.md",
        ])
        .output()
        .unwrap();
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", text(&o.stderr));
    let md = std::fs::read_to_string(cwd.path().join("r.md")).unwrap();
    assert!(md.contains("Sample Clinic Messaging") && md.contains("portal.sample-vendor.example"));
}
