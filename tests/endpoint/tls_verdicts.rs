//! TLS verdicts that must hold on every server stack (issue 15): an interrupted enumeration is
//! unknown, never a shorter list; version detection within hello sizes every stack accepts;
//! the full group table; no test server outlives the run.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::servers::*;
use super::{good_leaf, probe, settings};

/// Three suites, TLS 1.2 only; the anonymous one (weak) comes last in the probe's offer order
/// (AES-128-GCM, then AES-256-GCM, then anonymous DH), all three in the first bundle.
const THREE_SUITES: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ADH-AES128-SHA:@SECLEVEL=0";
const WEAK: &str = "TLS_DH_anon_WITH_AES_128_CBC_SHA";

/// A proxy that stalls the first `n` removal-loop hellos sent right after the server's first
/// choice (AES-128-GCM taken out, AES-256-GCM still offered), before the weak suite is found.
fn stalling(upstream: u16, n: usize) -> (u16, Arc<AtomicUsize>) {
    let stalled = Arc::new(AtomicUsize::new(0));
    let count = stalled.clone();
    let port = stall_proxy(upstream, Duration::from_secs(12), move |h| {
        let mid_loop = h.supported_versions.is_empty() && h.suites.contains(&0xc02c) && !h.suites.contains(&0xc02b);
        mid_loop && count.fetch_add(1, Ordering::SeqCst) < n
    });
    (port, stalled)
}

/// Two stalled connections in a row (the first and its retry) cut suite enumeration short:
/// the suites and weak suites are unknown with the phase named, not a one-suite list without
/// the anonymous suite (which let `hipaa-tls-weak-ciphers` pass).
#[test]
fn interrupted_suite_enumeration_is_unknown_not_shorter() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "stall");
    let s = SServer::start(&leaf, &["-tls1_2", "-cipher", THREE_SUITES]);
    let (port, stalled) = stalling(s.port, 2);
    let f = probe(port, &settings(Some(&pki), 1500));
    assert!(stalled.load(Ordering::SeqCst) >= 2, "the proxy stalled the enumeration");
    assert_eq!(f.tls.versions.tls1_2, Some(true));
    assert_eq!(
        f.tls.ciphers, None,
        "an interrupted list is unknown: {:?}",
        f.tls.ciphers
    );
    assert_eq!(f.tls.weak_ciphers, None);
    let why = f.tls.incomplete.clone().unwrap_or_default();
    assert!(
        why.contains("suite enumeration over TLS 1.2") && why.contains("no answer within 1.5 s"),
        "{why:?}"
    );
    // Later phases still ran: groups, certificate and HTTP facts are there.
    assert!(
        f.tls.groups.as_ref().is_some_and(|g| !g.is_empty()),
        "{:?}",
        f.tls.groups
    );
    assert_eq!(f.tls.cert.chain_trusted, Some(true));
    assert_eq!(f.error, None);
}

/// One stalled connection is retried: the list is complete, the weak suite included.
#[test]
fn one_stalled_connection_is_retried() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "stall1");
    let s = SServer::start(&leaf, &["-tls1_2", "-cipher", THREE_SUITES]);
    let (port, stalled) = stalling(s.port, 1);
    let f = probe(port, &settings(Some(&pki), 1500));
    assert!(stalled.load(Ordering::SeqCst) >= 1);
    let mut got: Vec<String> = f.tls.ciphers.clone().unwrap().into_iter().map(|c| c.name).collect();
    got.sort();
    assert_eq!(
        got,
        [
            WEAK,
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
        ]
    );
    assert_eq!(f.tls.weak_ciphers, Some(vec![WEAK.to_string()]));
    assert_eq!(f.tls.incomplete, None);
}

/// The whole run: behind the stalling proxy, `hipaa-tls-weak-ciphers` is an error (unknown
/// facts), never a pass; the saved facts carry the reason.
#[test]
fn weak_cipher_rule_never_passes_on_an_interrupted_list() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "stallcli");
    let s = SServer::start(&leaf, &["-tls1_2", "-cipher", THREE_SUITES]);
    let (port, _) = stalling(s.port, 2);
    let json = super::assess_json(&pki, port);
    let ep = &json["facts"]["endpoints"][0];
    assert!(ep["tls"]["weak_ciphers"].is_null(), "{ep}");
    assert!(
        ep["tls"]["incomplete"]
            .as_str()
            .unwrap_or("")
            .contains("suite enumeration"),
        "{ep}"
    );
    let findings = json["findings"].as_array().unwrap();
    for rule in [
        "hipaa-tls-weak-ciphers",
        "hipaa-tls-forward-secrecy",
        "gdpr-tls-weak-ciphers",
    ] {
        if let Some(x) = findings.iter().find(|x| x["rule"] == rule) {
            assert_ne!(x["status"], "pass", "{rule} passed on an interrupted list: {x}");
        }
    }
    let weak = findings.iter().find(|x| x["rule"] == "hipaa-tls-weak-ciphers").unwrap();
    assert_eq!(weak["status"], "error", "{weak}");
}

/// wolfSSL answers a ClientHello of more than 150 suites with decode_error: version detection
/// must offer its suites in bundles, or TLS 1.2 reads as refused on a server that accepts it.
#[test]
fn wolfssl_versions_and_suites() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "wolf");
    let l = Lighttpd::start(&pki, &leaf, "mod_wolfssl", "");
    let f = probe(l.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None, "{:#?}", f.tls);
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2),
        (Some(false), Some(false), Some(false), Some(true)),
        "{v:?}"
    );
    assert_eq!(f.tls.min_version.as_deref(), Some("1.2"));
    let ciphers = f.tls.ciphers.clone().unwrap();
    assert!(
        ciphers
            .iter()
            .any(|c| c.version == "1.2" && c.name.starts_with("TLS_ECDHE_ECDSA_")),
        "{ciphers:?}"
    );
    assert_eq!(f.tls.incomplete, None);
    // wolfSSL answers a hello with none of its groups by a retry request naming none: a refusal.
    let groups = f.tls.groups.clone().unwrap();
    assert!(groups.contains(&"secp256r1".to_string()), "{groups:?}");
    assert!(f.http.status.is_some(), "HTTP facts through the same stack");
}

/// mbedTLS: the same facts from another stack.
#[test]
fn mbedtls_versions_and_suites() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "mbed");
    let l = Lighttpd::start(&pki, &leaf, "mod_mbedtls", "");
    let f = probe(l.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2),
        (Some(false), Some(false), Some(false), Some(true)),
        "{v:?}"
    );
    assert!(f.tls.ciphers.clone().unwrap().iter().any(|c| c.version == "1.2"));
    assert_eq!(f.tls.incomplete, None);
}

/// A scripted stack with wolfSSL's hello-size limit and TLS 1.0 only: the old one-hello probe
/// saw decode_error and reported TLS 1.0 refused, so `hipaa-tls-legacy` could pass.
#[test]
fn hello_size_limit_scripted_legacy() {
    let port = raw_server(|mut s| {
        let Some(b) = read_client_hello(&mut s) else { return };
        let h = parse_hello(&b);
        let reply = if h.suites.len() > 150 {
            alert(50)
        } else if h.version == 0x0301 && h.supported_versions.is_empty() && h.suites.contains(&0xc013) {
            server_hello(0x0301, 0xc013, None)
        } else if h.version == 0x0301 {
            alert(40)
        } else {
            alert(70)
        };
        let _ = s.write_all(&reply);
    });
    let f = probe(port, &settings(None, 2000));
    assert_eq!(f.tls.versions.tls1_0, Some(true), "{:?}", f.tls.versions);
    assert_eq!(f.tls.min_version.as_deref(), Some("1.0"));
}

/// secp192r1 and brainpoolP256r1 exist only in TLS 1.2: a server with TLS 1.3 too is asked
/// for them over TLS 1.2 after the TLS 1.3 pass. The old probe never offered them.
#[test]
fn legacy_curves_are_offered_and_weak_ones_flagged() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "curves");
    let s = SServer::start(
        &leaf,
        &[
            "-groups",
            "X25519:P-256:prime192v1:brainpoolP256r1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ],
    );
    let f = probe(s.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    assert_eq!(f.tls.incomplete, None);
    let mut groups = f.tls.groups.clone().unwrap();
    groups.sort();
    assert_eq!(groups, ["brainpoolP256r1", "secp192r1", "secp256r1", "x25519"]);
    assert_eq!(f.tls.weak_groups, Some(vec!["secp192r1".to_string()]));
}

/// A TLS 1.2-only server whose ECDSA certificate's curve is also its first ECDHE curve: once
/// that curve is taken out of the offer the certificate is unusable, so the old removal loop
/// ended there and never saw secp192r1.
#[test]
fn tls12_curve_loop_keeps_the_certificate_curve() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "curves12");
    let s = SServer::start(
        &leaf,
        &[
            "-tls1_2",
            "-groups",
            "P-256:prime192v1",
            "-cipher",
            "DEFAULT:@SECLEVEL=0",
        ],
    );
    let f = probe(s.port, &settings(Some(&pki), 3000));
    assert_eq!(f.tls.incomplete, None);
    let mut groups = f.tls.groups.clone().unwrap();
    groups.sort();
    assert_eq!(groups, ["secp192r1", "secp256r1"]);
    assert_eq!(f.tls.weak_groups, Some(vec!["secp192r1".to_string()]));
}

/// No weak group: an empty list, and the rule passes only then.
#[test]
fn modern_groups_are_not_weak() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "modern");
    let s = SServer::start(&leaf, &["-groups", "X25519:P-256:P-384"]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    assert_eq!(f.tls.weak_groups, Some(vec![]));
    let mut groups = f.tls.groups.clone().unwrap();
    groups.sort();
    assert_eq!(groups, ["secp256r1", "secp384r1", "x25519"]);
}

/// A slow path that spends the host's whole budget in suite enumeration (every TLS 1.2 hello
/// after the first two answered half a timeout late, a server with dozens of suites): the
/// HTTP phase's error names where the time went, not "HTTP request timed out".
#[test]
fn budget_error_names_the_phase_that_spent_it() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "slowpath");
    let s = SServer::start(&leaf, &["-tls1_2", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]);
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    // Version detection's TLS 1.2 hello and the enumeration's first pass; every later TLS 1.2
    // hello (rustls's hellos carry supported_versions and are relayed at once) waits 0.5 s.
    let port = hello_proxy(s.port, move |h| {
        let tls12 = h.version == 0x0303 && h.supported_versions.is_empty();
        if tls12 && count.fetch_add(1, Ordering::SeqCst) >= 2 {
            Hold::Delay(Duration::from_millis(500))
        } else {
            Hold::Pass
        }
    });
    let f = probe(port, &settings(Some(&pki), 1000));
    assert_eq!(f.error, None, "the TLS facts stand");
    assert_eq!(f.tls.versions.tls1_2, Some(true));
    let why = f.tls.incomplete.clone().unwrap_or_default();
    assert!(
        why.contains("suite enumeration over TLS 1.2 stopped: the host's time budget ran out"),
        "{why:?}"
    );
    let err = f.http.error.clone().unwrap_or_default();
    assert!(
        err.starts_with("the host's 8 s budget (8 × the 1 s timeout) was spent: ")
            && err.contains("TLS suite enumeration took")
            && err.contains("; no time left for the HTTP request"),
        "{err:?}"
    );
}
