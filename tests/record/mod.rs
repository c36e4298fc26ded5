//! Recorded fixtures: fixtures/facts/{strong,weak,mixed}.json are what the real probes produce
//! for the vendors under fixtures/recorded/, whose endpoints this module serves on loopback.
//!
//! `VETTER_RECORD_FIXTURES=1 cargo test record::` re-records them (writes fixtures/facts/).
//! Without it, the test records into a temporary directory and checks that every rule's status
//! on every resource equals the committed file's — the proof that the committed facts are what
//! the probes produce. Certificates and keys are made at record time, so fingerprints differ
//! between recordings; their dates are fixed relative to `as_of`, so statuses do not.

mod peers;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use peers::*;

use crate::support::*;

const AS_OF: &str = "2026-11-23";
/// Credentials the fixture APIs accept (made up; the manifests name the variables).
const NORTHWIND_TOKEN: &str = "Bearer nw-fixture-token-not-a-secret";
const CONTOSO_TOKEN: &str = "Bearer contoso-fixture-token-not-a-secret";

fn as_of() -> NaiveDate {
    NaiveDate::parse_from_str(AS_OF, "%Y-%m-%d").unwrap()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn handler(f: impl Fn(&Req) -> Vec<u8> + Send + Sync + 'static) -> Handler {
    Arc::new(f)
}

/// Plain HTTP that sends every request to the same path on the HTTPS port.
fn redirect_to_https() -> Handler {
    handler(|r| {
        let loc = format!("https://{}:8443{}", r.host, r.path);
        response("301 Moved Permanently", &[("Location", loc.as_str())], "")
    })
}

const TLS12_13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13, &rustls::version::TLS12];

/// X25519MLKEM768 (0x11ec): ring has no ML-KEM, so the front answers a TLS 1.3 ClientHello that
/// offers it with the HelloRetryRequest a PQ-enabled server sends; everything else reaches rustls.
fn pq_front(h: &Hello) -> Option<Vec<u8>> {
    if !h.supported_versions.contains(&0x0304) || !h.groups.contains(&0x11ec) {
        return None;
    }
    let suite = [0x1301u16, 0x1302, 0x1303].into_iter().find(|s| h.suites.contains(s))?;
    Some(server_hello(0x0303, suite, Some(0x11ec)))
}

/// Suites the legacy `openssl s_server` behind the Acme fronts serves.
const ACME_OPENSSL_SUITES: [u16; 3] = [0x002f, 0xc013, 0xc02f];
const ACME_CIPHERS: &str = "AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0";

/// RC4-SHA and 3DES for TLS 1.0–1.2 hellos that offer none of OpenSSL's suites (OpenSSL 3 cannot
/// serve either); SSL 3.0 too when `ssl3` is set. A ServerHello is followed by the server's
/// certificate, as an old server sends it.
fn acme_legacy(h: &Hello, ssl3: bool, cert_der: &[u8]) -> Option<Vec<u8>> {
    let hello = |v: u16, s: u16| {
        let mut r = server_hello(v, s, None);
        r.extend_from_slice(&certificate_flight(v, cert_der));
        r
    };
    if h.supported_versions.contains(&0x0304) {
        return None;
    }
    if h.version == 0x0300 {
        if !ssl3 {
            return None;
        }
        let pick = [0x0005u16, 0x000a, 0x002f].into_iter().find(|s| h.suites.contains(s));
        return Some(pick.map_or_else(|| alert(40), |s| hello(0x0300, s)));
    }
    if !(0x0301..=0x0303).contains(&h.version) || h.suites.iter().any(|s| ACME_OPENSSL_SUITES.contains(s)) {
        return None;
    }
    let pick = [0x0005u16, 0x000a].into_iter().find(|s| h.suites.contains(s))?;
    Some(hello(h.version, pick))
}

/// Starts the servers `name`'s manifest points at. `dir` holds certificates and served files.
fn start(name: &str, ca: &Ca, dir: &Path) -> Peers {
    let mut p = Peers::default();
    let a = as_of();
    match name {
        "strong" => {
            for (host, ip, app) in [
                ("api.northwind-health.example", "127.77.1.1", false),
                ("app.northwind-health.example", "127.77.1.2", true),
            ] {
                let cert = ca.leaf(host, &[host], day("2026-09-15"), day("2027-03-14"), Key::Ecdsa, true);
                let ocsp = ca.ocsp_response(host, &cert);
                let h = handler(move |r| {
                    let mut hs = vec![
                        (
                            "Strict-Transport-Security",
                            "max-age=63072000; includeSubDomains; preload",
                        ),
                        ("Cache-Control", if app { "no-store, private" } else { "no-store" }),
                        ("Content-Type", "application/json"),
                        ("Referrer-Policy", "no-referrer"),
                        ("X-Content-Type-Options", "nosniff"),
                    ];
                    if app {
                        hs.push(("Access-Control-Allow-Origin", "https://app.northwind-health.example"));
                        hs.push(("Access-Control-Allow-Credentials", "true"));
                        hs.push((
                            "Set-Cookie",
                            "__Host-nw_session=f1x7; Secure; HttpOnly; SameSite=Strict; Path=/",
                        ));
                        hs.push(("Set-Cookie", "nw_csrf=c5rf; Secure; SameSite=Strict; Path=/"));
                    }
                    if r.header("authorization") == Some(NORTHWIND_TOKEN) {
                        response("200 OK", &hs, r#"{"data":[{"id":"m-1","thread":"t-9","unread":true}]}"#)
                    } else if app && r.path.starts_with("/login") {
                        hs[2] = ("Content-Type", "text/html; charset=utf-8");
                        response("200 OK", &hs, "<html><body><form>Sign in</form></body></html>")
                    } else if app {
                        hs.push(("Location", "/login"));
                        response("302 Found", &hs, "")
                    } else {
                        hs.push(("WWW-Authenticate", "Bearer realm=\"northwind\""));
                        response("401 Unauthorized", &hs, r#"{"error":"unauthorized"}"#)
                    }
                });
                let backend = format!("{ip}:9443");
                p.https(&backend, tls_config(&cert, TLS12_13, Some(ocsp)), h);
                p.front(&format!("{ip}:8443"), &backend, Arc::new(pq_front));
                p.http(&format!("{ip}:8080"), redirect_to_https());
            }
        }
        "weak" => {
            // api: TLS 1.0–1.2 from OpenSSL at SECLEVEL=0 (RC4/3DES from the front), an expired
            // self-signed certificate, patient records to anyone, plain HTTP that never redirects.
            let www = dir.join("acme-www");
            std::fs::create_dir_all(www.join("v1")).unwrap();
            std::fs::write(
                www.join("v1/patients"),
                r#"[{"PatID":"AC10001","FName":"Avery","LName":"Quillfeather"},{"PatID":"AC10002","FName":"Jordan","LName":"Brackenridge"}]"#,
            )
            .unwrap();
            let api = ca.leaf(
                "acme-api",
                &["api.acme-legacy.example"],
                day("2023-08-31"),
                day("2025-08-31"),
                Key::Rsa,
                false,
            );
            // secp192r1 still accepted for ECDHE (a weak group).
            let legacy = [
                "-cipher",
                ACME_CIPHERS,
                "-groups",
                "X25519:P-256:prime192v1",
                "-min_protocol",
                "TLSv1",
                "-max_protocol",
                "TLSv1.2",
            ];
            p.s_server("127.77.2.1:9444", &api, &www, &legacy);
            let der = api.cert_der.clone();
            p.front(
                "127.77.2.1:8443",
                "127.77.2.1:9444",
                Arc::new(move |h| acme_legacy(h, false, &der)),
            );
            p.http(
                "127.77.2.1:8080",
                handler(|_| {
                    response(
                        "200 OK",
                        &[("Content-Type", "text/html"), ("Server", "Microsoft-IIS/8.5")],
                        "<html><body>Acme CRM</body></html>",
                    )
                }),
            );
            // portal: SSL 3.0 (scripted), TLS 1.0/1.1 only, a certificate for another name.
            let portal = ca.leaf(
                "acme-portal",
                &["legacy-crm.acme.local"],
                day("2016-02-01"),
                day("2026-02-01"),
                Key::Rsa,
                false,
            );
            let old = [
                "-cipher",
                "AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
                "-min_protocol",
                "TLSv1",
                "-max_protocol",
                "TLSv1.1",
            ];
            p.s_server("127.77.2.2:9444", &portal, &www, &old);
            let der = portal.cert_der.clone();
            p.front(
                "127.77.2.2:8443",
                "127.77.2.2:9444",
                Arc::new(move |h| acme_legacy(h, true, &der)),
            );
            // fax: plain HTTP with a versioned banner, a CORS wildcard with credentials, a session
            // cookie without flags, inbound fax records to anyone.
            p.http(
                "127.77.2.3:8080",
                handler(|_| {
                    response(
                        "200 OK",
                        &[
                            ("Content-Type", "text/csv"),
                            ("Server", "Apache/2.2.15 (CentOS)"),
                            ("Access-Control-Allow-Origin", "*"),
                            ("Access-Control-Allow-Credentials", "true"),
                            ("Set-Cookie", "FAXSESSID=9f1c; Path=/; Max-Age=2592000"),
                        ],
                        "fax_id,patient_id,received\nF-1,AC10001,2026-11-20T10:00:00\nF-2,AC10002,2026-11-21T11:00:00\n",
                    )
                }),
            );
            // files: nothing listens on 127.77.2.4 (connection refused).
        }
        "mixed" => {
            let api_cert = ca.leaf(
                "contoso-api",
                &["api.contoso-scheduling.example"],
                day("2025-12-05"),
                a + chrono::Days::new(12),
                Key::Rsa,
                true,
            );
            let ocsp = ca.ocsp_response("contoso-api", &api_cert);
            p.https(
                "127.77.3.1:8443",
                tls_config(&api_cert, &[&rustls::version::TLS13], Some(ocsp)),
                handler(|r| {
                    let mut hs = vec![
                        ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                        ("Cache-Control", "no-store, private"),
                        ("Content-Type", "application/json"),
                        ("Server", "envoy"),
                    ];
                    if r.header("authorization") == Some(CONTOSO_TOKEN) {
                        response("200 OK", &hs, r#"[{"appointment_id":"A-1","slot":"2026-11-24T09:00"}]"#)
                    } else {
                        hs.push(("WWW-Authenticate", "Bearer"));
                        response("401 Unauthorized", &hs, r#"{"error":"unauthorized"}"#)
                    }
                }),
            );
            p.http("127.77.3.1:8080", redirect_to_https());
            let book = ca.leaf(
                "contoso-book",
                &["book.contoso-scheduling.example"],
                day("2026-05-01"),
                day("2027-04-30"),
                Key::Rsa,
                true,
            );
            // The widget is embedded on clinics' own sites, so its CORS layer echoes whatever
            // Origin asks, with credentials: any site can read a signed-in patient's bookings.
            p.https(
                "127.77.3.2:8443",
                tls_config(&book, TLS12_13, None),
                handler(|r| {
                    let origin = r.header("origin").unwrap_or("https://www.contoso-scheduling.example");
                    response(
                        "200 OK",
                        &[
                            ("Strict-Transport-Security", "max-age=86400"),
                            ("Cache-Control", "public, max-age=300"),
                            ("Content-Type", "text/html; charset=utf-8"),
                            ("Server", "nginx/1.24.0"),
                            ("Access-Control-Allow-Origin", origin),
                            ("Access-Control-Allow-Credentials", "true"),
                            ("Vary", "Origin"),
                            (
                                "Set-Cookie",
                                "contoso_sid=w1dg; Secure; SameSite=Lax; Max-Age=86400; Path=/",
                            ),
                            ("Set-Cookie", "contoso_csrf=t0k; Secure; SameSite=Lax; Path=/"),
                        ],
                        "<html><body>Book an appointment</body></html>",
                    )
                }),
            );
            p.http("127.77.3.2:8080", redirect_to_https());
        }
        other => panic!("no such fixture vendor {other}"),
    }
    p
}

/// Runs the real `vetter assess` on fixtures/recorded/NAME with its servers up; returns the
/// report and writes the facts to `facts`.
fn record(name: &str, facts: &Path) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new(dir.path(), as_of());
    let _peers = start(name, &ca, dir.path());
    let manifest = format!("fixtures/recorded/{name}/vendor.toml");
    let o = vetter()
        .env("NORTHWIND_API_TOKEN", NORTHWIND_TOKEN)
        .env("CONTOSO_API_TOKEN", CONTOSO_TOKEN)
        .args([
            "assess",
            &manifest,
            "--as-of",
            AS_OF,
            "--timeout",
            "5",
            "--quiet",
            "--format",
            "json",
        ])
        .arg("--ca-file")
        .arg(&ca.pem)
        .arg("--save-facts")
        .arg(facts)
        .output()
        .unwrap();
    assert_no_panic(&o);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{name}: {}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{name}: {e}: {}", text(&o.stderr)))
}

/// (rule, resource) → status.
fn statuses(report: &serde_json::Value) -> BTreeMap<(String, String), String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["resource"].as_str().unwrap().to_string(),
                ),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Serialises recordings across worktrees and test binaries: the addresses are fixed.
fn lock() -> std::fs::File {
    let f = std::fs::File::create(std::env::temp_dir().join("vetter-record-fixtures.lock")).unwrap();
    f.lock().unwrap();
    f
}

#[test]
fn committed_facts_are_what_the_probes_record() {
    let _lock = lock();
    let write = std::env::var("VETTER_RECORD_FIXTURES").is_ok_and(|v| v == "1");
    let out = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for name in ["strong", "weak", "mixed"] {
        let fresh = out.path().join(format!("{name}.json"));
        let report = record(name, &fresh);
        let committed = format!("fixtures/facts/{name}.json");
        if write {
            std::fs::copy(&fresh, root().join(&committed)).unwrap();
            continue;
        }
        let o = run(&["eval", &committed, "--format", "json"]);
        assert_eq!(o.status.code(), Some(0), "{committed}: {}", text(&o.stderr));
        let old = statuses(&serde_json::from_slice(&o.stdout).unwrap());
        let diff = |report: &serde_json::Value| {
            let new = statuses(report);
            let mut out = Vec::new();
            for k in old.keys().chain(new.keys()).collect::<std::collections::BTreeSet<_>>() {
                let (a, b) = (old.get(k), new.get(k));
                if a != b {
                    out.push(format!(
                        "{name}: {} on {}: committed {a:?}, recorded now {b:?}",
                        k.0, k.1
                    ));
                }
            }
            out
        };
        let first = diff(&report);
        if first.is_empty() {
            continue;
        }
        // A machine loaded by other builds can time a handshake out once; a real change in
        // what the probes record shows again in a second recording.
        eprintln!(
            "{name}: differences in the first recording, recording again:\n{}",
            first.join("\n")
        );
        let again = diff(&record(name, &fresh));
        problems.extend(again.into_iter().filter(|p| first.contains(p)));
    }
    assert!(
        problems.is_empty(),
        "the committed facts differ from a fresh recording (re-record with \
         VETTER_RECORD_FIXTURES=1 cargo test record:: if the change is intended):\n{}",
        problems.join("\n")
    );
}
