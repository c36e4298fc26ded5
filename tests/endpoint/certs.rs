//! Every certificate a server can present (issue 15): a server holding certificates of several
//! key types shows each to the client that asks for that type, and the certificate rules judge
//! every one. Real `openssl s_server` children with a second certificate (`-dcert`/`-dkey`).
//! Also (issue 13) an HTTP exchange that fails on a real server after a good handshake.

use super::servers::*;
use super::{assess_json, finding, good_leaf, probe, settings};

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

/// A valid ECDSA certificate (what a modern client is shown) and an RSA one that expired in
/// 2021, served to clients that ask for RSA.
fn ecdsa_and_expired_rsa(pki: &Pki) -> (Leaf, Leaf) {
    let ec = good_leaf(pki, "ec");
    let rsa = pki.leaf_keyed(
        "rsa",
        &["localhost"],
        (2020, 1, 1),
        (2021, 1, 1),
        Kind::Signed,
        rsa_key(),
    );
    (ec, rsa)
}

/// The defect of the issue: `hipaa-cert-unexpired` passed on the ECDSA certificate while RSA
/// clients were shown an expired one. It fails now, naming the RSA certificate.
#[test]
fn an_expired_rsa_certificate_beside_a_valid_ecdsa_one_fails() {
    let pki = Pki::new();
    let (ec, rsa) = ecdsa_and_expired_rsa(&pki);
    let s = SServer::start(&ec, &["-dcert", path(&rsa.cert), "-dkey", path(&rsa.key)]);
    let j = assess_json(&pki, s.port);
    let tls = &j["facts"]["endpoints"][0]["tls"];
    assert_eq!(
        tls["cert"]["key_type"], "ecdsa",
        "the default handshake's certificate: {tls}"
    );
    let certs = tls["certs"].as_array().unwrap_or_else(|| panic!("certs: {tls}"));
    let types: Vec<&str> = certs.iter().map(|c| c["key_type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ecdsa", "rsa"], "{tls}");
    assert_eq!(certs[1]["expired"], true);
    let f = finding(&j, "hipaa-cert-unexpired");
    assert_eq!(f["status"], "fail", "{f}");
    let msg = f["message"].as_str().unwrap_or("");
    let rsa_fp = certs[1]["sha256"].as_str().unwrap();
    assert!(
        msg.contains("RSA") && msg.contains("2021-01-01") && msg.contains(&rsa_fp[..16]) && !msg.contains("ECDSA"),
        "{msg}"
    );
    // The rules the RSA certificate does not fail still pass on both.
    assert_eq!(finding(&j, "hipaa-cert-trusted")["status"], "pass");
    assert_eq!(finding(&j, "hipaa-cert-key-strength")["status"], "pass");
}

/// The same pair over TLS 1.2 alone: the raw handshakes with ECDSA-only and RSA-only suites
/// find both.
#[test]
fn both_certificates_are_found_over_tls12() {
    let pki = Pki::new();
    let (ec, rsa) = ecdsa_and_expired_rsa(&pki);
    let s = SServer::start(&ec, &["-tls1_2", "-dcert", path(&rsa.cert), "-dkey", path(&rsa.key)]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    assert_eq!(f.tls.incomplete, None);
    let certs = f.tls.certs.clone().unwrap_or_default();
    let types: Vec<_> = certs.iter().map(|c| c.key_type.clone().unwrap_or_default()).collect();
    assert_eq!(types, ["ecdsa", "rsa"]);
    assert_eq!(certs[1].expired, Some(true));
    assert_eq!(certs[1].key_bits, Some(2048));
    assert_eq!(certs[0], f.tls.cert, "the primary certificate comes first");
}

/// ECDSA and Ed25519 over TLS 1.3 alone: the signature_algorithms pass for ed25519 finds the
/// second.
#[test]
fn an_ed25519_certificate_is_found_over_tls13() {
    let pki = Pki::new();
    let ec = good_leaf(&pki, "ec");
    let ed = pki.leaf_keyed(
        "ed",
        &["localhost"],
        (2025, 1, 1),
        (2035, 1, 1),
        Kind::Signed,
        ed25519_key(),
    );
    let s = SServer::start(&ec, &["-tls1_3", "-dcert", path(&ed.cert), "-dkey", path(&ed.key)]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    let types: Vec<_> = f
        .tls
        .certs
        .clone()
        .unwrap_or_default()
        .iter()
        .map(|c| c.key_type.clone().unwrap_or_default())
        .collect();
    assert_eq!(types, ["ecdsa", "ed25519"], "{:?}", f.tls.incomplete);
}

/// A server with one certificate yields exactly that one, over every version.
#[test]
fn a_single_certificate_server_yields_one() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "one");
    let s = SServer::start(&leaf, &[]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    assert_eq!(f.tls.incomplete, None);
    assert_eq!(f.tls.certs, Some(vec![f.tls.cert.clone()]));
    let fp = f.tls.cert.sha256.clone().unwrap_or_default();
    assert_eq!(fp.len(), 64, "{fp}");
}

/// An RSA-only server: the primary certificate is RSA and the only one.
#[test]
fn an_rsa_only_server_yields_its_rsa_certificate() {
    let pki = Pki::new();
    let rsa = pki.leaf_keyed(
        "rsa1",
        &["localhost"],
        (2025, 1, 1),
        (2035, 1, 1),
        Kind::Signed,
        rsa_key(),
    );
    let s = SServer::start(&rsa, &[]);
    let j = assess_json(&pki, s.port);
    let tls = &j["facts"]["endpoints"][0]["tls"];
    assert_eq!(tls["certs"].as_array().map(Vec::len), Some(1), "{tls}");
    assert_eq!(tls["cert"]["key_type"], "rsa");
    let f = finding(&j, "hipaa-cert-unexpired");
    assert_eq!(f["status"], "pass", "{f}");
}

/// Issue 13 on a real server: `openssl s_server -rev` completes TLS and answers an HTTP request
/// with its lines reversed. The TLS and certificate rules are judged on their facts; the rules
/// that read HTTP facts are errors naming the cause; the endpoint itself has no error.
#[test]
fn http_failure_on_a_real_server_keeps_tls_verdicts() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "rev");
    let s = SServer::start_mode(&leaf, "-rev", &[]);
    let j = assess_json(&pki, s.port);
    let ep = &j["facts"]["endpoints"][0];
    assert!(ep["error"].is_null(), "{ep}");
    let http_err = ep["http"]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("http.error: {ep}"));
    assert!(
        http_err.contains(&format!("https://localhost:{}/", s.port)),
        "{http_err}"
    );
    assert_eq!(finding(&j, "hipaa-tls-legacy")["status"], "pass");
    assert_eq!(finding(&j, "hipaa-cert-unexpired")["status"], "pass");
    assert_eq!(finding(&j, "hipaa-cert-trusted")["status"], "pass");
    let hsts = finding(&j, "hipaa-hsts");
    assert_eq!(hsts["status"], "error", "{hsts}");
    assert!(hsts["message"].as_str().unwrap_or("").contains(http_err), "{hsts}");
}

/// A certificate handshake that gets no answer, twice (the Ed25519 one over TLS 1.3, behind a
/// stalling proxy), ends the enumeration: `certs` is unknown, never a shorter list, and
/// `incomplete` names the phase; `cert` and the other phases' facts stand.
#[test]
fn an_interrupted_certificate_enumeration_is_unknown() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "stall");
    let s = SServer::start(&leaf, &[]);
    let stalled = Arc::new(AtomicUsize::new(0));
    let count = stalled.clone();
    let port = stall_proxy(s.port, std::time::Duration::from_secs(12), move |h| {
        let ed25519_only = h.sig_algs == [0x0807];
        ed25519_only && count.fetch_add(1, Ordering::SeqCst) < 2
    });
    let f = probe(port, &settings(Some(&pki), 1500));
    assert_eq!(
        stalled.load(Ordering::SeqCst),
        2,
        "the first try and its retry were stalled"
    );
    assert_eq!(f.error, None);
    assert_eq!(f.tls.certs, None, "an interrupted list is unknown");
    let why = f.tls.incomplete.clone().unwrap_or_default();
    assert!(
        why.contains("certificate enumeration stopped over TLS 1.3 (Ed25519 signatures)")
            && why.contains("no answer within 1.5 s, twice"),
        "{why:?}"
    );
    assert_eq!(f.tls.cert.chain_trusted, Some(true));
    assert!(f.tls.ciphers.is_some() && f.tls.groups.is_some());
}
