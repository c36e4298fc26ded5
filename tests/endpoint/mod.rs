//! The endpoint probe against real peers on loopback: `openssl s_server` in several
//! configurations, scripted responders for what OpenSSL 3 can no longer serve (SSL 3.0, 3DES,
//! post-quantum groups), a rustls HTTPS server for HTTP facts, and hostile servers.

mod bodies;
mod certs;
mod gnutls;
mod legacy_http;
mod nginx;
mod runner;
mod security;
pub mod servers;
mod stack_servers;
mod tls_verdicts;

use std::io::Write;
use std::time::{Duration, Instant};

use servers::*;
use vetter::facts::EndpointFacts;
use vetter::manifest::{Auth, Endpoint, EnvAuth};
use vetter::probe::Settings;
use vetter::probe::endpoint::probe_endpoint;

fn settings(pki: Option<&Pki>, timeout_ms: u64) -> Settings {
    Settings {
        as_of: chrono::NaiveDate::from_ymd_opt(2030, 6, 1).unwrap(),
        timeout: Duration::from_millis(timeout_ms),
        concurrency: 4,
        ca_file: pki.map(|p| p.ca_pem.clone()),
        run: Default::default(),
    }
}

fn endpoint(port: u16) -> Endpoint {
    Endpoint {
        url: format!("https://localhost:{port}/"),
        auth: None,
        http_url: None,
        resolve: Some("127.0.0.1".into()),
    }
}

fn probe(port: u16, s: &Settings) -> EndpointFacts {
    probe_endpoint(&endpoint(port), s)
}

fn names(f: &EndpointFacts) -> Vec<String> {
    f.tls
        .ciphers
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.name)
        .collect()
}

/// `vetter assess --format json` of one endpoint `https://localhost:{port}/` pinned to
/// 127.0.0.1 and trusting `pki`'s CA, at a fixed date: the parsed report.
pub fn assess_json(pki: &Pki, port: u16) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("vendor.toml");
    std::fs::write(
        &manifest,
        format!("[vendor]\nname = \"Loopback\"\n\n[[endpoint]]\nurl = \"https://localhost:{port}/\"\nresolve = \"127.0.0.1\"\n"),
    )
    .unwrap();
    let o = crate::support::vetter()
        .args([
            "assess",
            "--timeout",
            "2",
            "--as-of",
            "2030-06-01",
            "--format",
            "json",
            "--ca-file",
        ])
        .arg(&pki.ca_pem)
        .arg(&manifest)
        .output()
        .unwrap();
    crate::support::assert_no_panic(&o);
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The finding of `rule` in a JSON report (the first, for a single-endpoint run).
fn finding<'a>(j: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("no finding of {rule}"))
}

/// Names sorted and without repeats, for comparing lists whose order the server decides.
fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn good_leaf(pki: &Pki, tag: &str) -> Leaf {
    pki.leaf(tag, &["localhost"], (2025, 1, 1), (2035, 1, 1), Kind::Signed)
}

#[test]
fn tls12_only_aes256gcm() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "a");
    let s = SServer::start(&leaf, &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2, v.tls1_3),
        (Some(false), Some(false), Some(false), Some(true), Some(false))
    );
    assert_eq!(f.tls.min_version.as_deref(), Some("1.2"));
    assert_eq!(names(&f), ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]);
    let c = &f.tls.ciphers.as_ref().unwrap()[0];
    assert_eq!(
        (c.version.as_str(), c.bits, c.aead, c.forward_secrecy),
        ("1.2", Some(256), Some(true), Some(true))
    );
    assert_eq!(f.tls.weak_ciphers, Some(vec![]));
    let groups = f.tls.groups.clone().unwrap();
    assert!(
        groups.contains(&"x25519".to_string()) && groups.contains(&"secp256r1".to_string()),
        "{groups:?}"
    );
    assert_eq!(f.tls.post_quantum, Some(false));
    assert_eq!(f.tls.ocsp_stapling, Some(false));
    let cert = &f.tls.cert;
    assert_eq!(cert.chain_trusted, Some(true), "signed by the --ca-file CA");
    assert_eq!(cert.hostname_matches, Some(true));
    assert_eq!((cert.expired, cert.self_signed), (Some(false), Some(false)));
    assert_eq!(cert.not_after.as_deref(), Some("2035-01-01"));
    assert_eq!(cert.days_to_expiry, Some(1675), "2030-06-01 to 2035-01-01");
    assert_eq!((cert.key_type.as_deref(), cert.key_bits), (Some("ecdsa"), Some(256)));
    assert_eq!(cert.signature_algorithm.as_deref(), Some("ecdsa-with-SHA256"));
    assert_eq!(cert.sans.as_deref(), Some(&["localhost".to_string()][..]));
    // s_server -www answers HTTP over TLS 1.2.
    assert_eq!(f.http.status, Some(200));
    assert_eq!(f.http.hsts.present, Some(false));

    // Without --ca-file the test CA is unknown: a finding, and the other facts are still there.
    let f = probe(s.port, &settings(None, 3000));
    assert_eq!(f.tls.cert.chain_trusted, Some(false));
    assert_eq!(f.tls.versions.tls1_2, Some(true));
    assert_eq!(f.error, None);
}

#[test]
fn tls10_only_legacy_server() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "a");
    let s = SServer::start(&leaf, &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2, v.tls1_3),
        (Some(false), Some(true), Some(false), Some(false), Some(false))
    );
    assert_eq!(f.tls.min_version.as_deref(), Some("1.0"));
    let n = names(&f);
    assert!(n.contains(&"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA".to_string()), "{n:?}");
    assert!(
        f.tls
            .ciphers
            .as_ref()
            .unwrap()
            .iter()
            .all(|c| c.version == "1.0" && c.aead == Some(false))
    );
    // The certificate comes from the plaintext legacy handshake.
    assert_eq!(f.tls.cert.hostname_matches, Some(true));
    assert_eq!(f.tls.cert.chain_trusted, Some(true));
    assert_eq!(f.error, None, "a legacy-only server is findings, not an error");
    // Its HTTP facts come through the TLS 1.0 client (s_server -www answers a status page).
    assert_eq!((f.http.status, f.http.error.clone()), (Some(200), None), "{:?}", f.http);
    assert_eq!(f.http.hsts.present, Some(false));
}

#[test]
fn tls13_only() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "a");
    let s = SServer::start(&leaf, &["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384"]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2, v.tls1_3),
        (Some(false), Some(false), Some(false), Some(false), Some(true))
    );
    assert_eq!(f.tls.min_version.as_deref(), Some("1.3"));
    assert_eq!(names(&f), ["TLS_AES_256_GCM_SHA384"]);
    let groups = f.tls.groups.clone().unwrap();
    assert!(groups.contains(&"x25519".to_string()), "{groups:?}");
    assert!(
        groups.contains(&"ffdhe2048".to_string()),
        "OpenSSL 3 offers FFDHE in TLS 1.3: {groups:?}"
    );
    assert_eq!(f.tls.post_quantum, Some(false));
    assert_eq!(f.tls.cert.key_type.as_deref(), Some("ecdsa"));
    assert_eq!(f.http.status, Some(200));
}

#[test]
fn weak_and_non_forward_secret_suites() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "a");
    let s = SServer::start(
        &leaf,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-NULL-SHA:@SECLEVEL=0",
        ],
    );
    let f = probe(s.port, &settings(Some(&pki), 3000));
    let mut n = names(&f);
    n.sort();
    assert_eq!(
        n,
        ["TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_NULL_SHA"]
    );
    assert_eq!(
        f.tls.weak_ciphers,
        Some(vec!["TLS_ECDHE_ECDSA_WITH_NULL_SHA".to_string()])
    );
}

#[test]
fn full_default_openssl_enumeration_matches_openssl_list() {
    // Every TLS 1.2 suite OpenSSL serves with an ECDSA key at SECLEVEL=0, as OpenSSL itself lists them.
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "a");
    let s = SServer::start(&leaf, &["-tls1_2", "-cipher", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    let got: std::collections::BTreeSet<String> = names(&f).into_iter().collect();
    let out = std::process::Command::new("openssl")
        .args([
            "ciphers",
            "-tls1_2",
            "-stdname",
            "-s",
            "ALL:COMPLEMENTOFALL:@SECLEVEL=0",
        ])
        .output()
        .unwrap();
    let listed: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|n| n.starts_with("TLS_") && !n.starts_with("TLS_AES") && !n.starts_with("TLS_CHACHA"))
        // Only suites an ECDSA certificate (or none) can serve, and no PSK/SRP (they need secrets).
        .filter(|n| (n.contains("ECDSA") || n.contains("anon")) && !n.contains("PSK") && !n.contains("SRP"))
        .collect();
    assert!(listed.len() > 10, "{listed:?}");
    let missing: Vec<_> = listed.difference(&got).collect();
    assert!(missing.is_empty(), "listed by openssl but not found: {missing:?}");
    assert!(got.contains("TLS_ECDH_anon_WITH_AES_128_CBC_SHA"));
    let weak = f.tls.weak_ciphers.clone().unwrap();
    assert!(
        weak.contains(&"TLS_ECDH_anon_WITH_AES_128_CBC_SHA".to_string()),
        "anonymous is weak"
    );
}

#[test]
fn certificate_defects() {
    let pki = Pki::new();
    let cases = [
        (
            "expired",
            pki.leaf("e", &["localhost"], (2020, 1, 1), (2021, 1, 1), Kind::Signed),
        ),
        (
            "self",
            pki.leaf("s", &["localhost"], (2025, 1, 1), (2035, 1, 1), Kind::SelfSigned),
        ),
        (
            "wrongname",
            pki.leaf("w", &["other.example"], (2025, 1, 1), (2035, 1, 1), Kind::Signed),
        ),
    ];
    for (what, leaf) in cases {
        let s = SServer::start(&leaf, &[]);
        let f = probe(s.port, &settings(Some(&pki), 3000));
        assert_eq!(f.error, None, "{what}: a bad certificate is a finding");
        assert_eq!(f.tls.versions.tls1_3, Some(true), "{what}");
        let c = &f.tls.cert;
        match what {
            "expired" => {
                assert_eq!(c.expired, Some(true));
                assert_eq!(c.days_to_expiry, Some(-3438));
                assert_eq!(c.chain_trusted, Some(true), "expiry is its own fact");
            }
            "self" => {
                assert_eq!((c.self_signed, c.chain_trusted), (Some(true), Some(false)));
                assert_eq!(c.hostname_matches, Some(true));
            }
            _ => {
                assert_eq!((c.hostname_matches, c.chain_trusted), (Some(false), Some(true)));
                assert_eq!(c.sans.as_deref(), Some(&["other.example".to_string()][..]));
            }
        }
        assert_eq!(f.http.status, Some(200), "{what}: HTTP facts still collected");
    }
}

#[test]
fn rsa_key_from_openssl_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (c, k) = (dir.path().join("c.pem"), dir.path().join("k.pem"));
    let st = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "3",
            "-subj",
            "/CN=localhost",
        ])
        .args(["-addext", "subjectAltName=DNS:localhost", "-keyout"])
        .arg(&k)
        .arg("-out")
        .arg(&c)
        .output()
        .unwrap();
    assert!(st.status.success());
    let leaf = Leaf {
        cert: c,
        key: k,
        cert_der: vec![],
        key_der: vec![],
    };
    let s = SServer::start(&leaf, &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA"]);
    let mut st = settings(None, 3000);
    st.as_of = chrono::Utc::now().date_naive();
    let f = probe(s.port, &st);
    assert_eq!(
        (f.tls.cert.key_type.as_deref(), f.tls.cert.key_bits),
        (Some("rsa"), Some(2048))
    );
    assert_eq!(
        f.tls.cert.signature_algorithm.as_deref(),
        Some("sha256WithRSAEncryption")
    );
    assert_eq!(f.tls.cert.self_signed, Some(true));
    assert_eq!(f.tls.cert.expired, Some(false));
    let plain_rsa = f
        .tls
        .ciphers
        .unwrap()
        .into_iter()
        .find(|c| c.name == "TLS_RSA_WITH_AES_128_CBC_SHA")
        .unwrap();
    assert_eq!(plain_rsa.forward_secrecy, Some(false));
}

/// SSL 3.0 with 3DES: OpenSSL 3 cannot serve it, so a scripted responder answers like an old server.
#[test]
fn ssl3_and_3des_scripted() {
    let port = raw_server(|mut s| {
        let Some(b) = read_client_hello(&mut s) else { return };
        let h = parse_hello(&b);
        let reply = if h.version == 0x0300 && h.supported_versions.is_empty() {
            if h.suites.contains(&0x000a) {
                server_hello(0x0300, 0x000a, None)
            } else {
                alert(40)
            }
        } else {
            alert(70)
        };
        let _ = s.write_all(&reply);
    });
    let f = probe(port, &settings(None, 2000));
    let v = &f.tls.versions;
    assert_eq!(
        (v.ssl3, v.tls1_0, v.tls1_1, v.tls1_2, v.tls1_3),
        (Some(true), Some(false), Some(false), Some(false), Some(false))
    );
    assert_eq!(f.tls.min_version.as_deref(), Some("ssl3"));
    assert_eq!(names(&f), ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]);
    assert_eq!(f.tls.ciphers.as_ref().unwrap()[0].version, "ssl3");
    assert_eq!(
        f.tls.weak_ciphers,
        Some(vec!["TLS_RSA_WITH_3DES_EDE_CBC_SHA".to_string()])
    );
}

/// X25519MLKEM768: a TLS 1.3 responder that names its group in a HelloRetryRequest, as a PQ-enabled server does.
#[test]
fn post_quantum_group_scripted() {
    let port = raw_server(|mut s| {
        let Some(b) = read_client_hello(&mut s) else { return };
        let h = parse_hello(&b);
        let reply = if h.supported_versions.contains(&0x0304) {
            let pick = [0x11ec, 0x001d].into_iter().find(|g| h.groups.contains(g));
            match pick {
                Some(g) if h.suites.contains(&0x1301) => server_hello(0x0303, 0x1301, Some(g)),
                _ => alert(40),
            }
        } else {
            alert(70)
        };
        let _ = s.write_all(&reply);
    });
    let f = probe(port, &settings(None, 2000));
    assert_eq!(f.tls.versions.tls1_3, Some(true));
    assert_eq!(f.tls.versions.tls1_2, Some(false));
    assert_eq!(names(&f), ["TLS_AES_128_GCM_SHA256"]);
    assert_eq!(
        f.tls.groups,
        Some(vec!["X25519MLKEM768".to_string(), "x25519".to_string()])
    );
    assert_eq!(f.tls.post_quantum, Some(true));
}

// ───────────────────────────── hostile servers ─────────────────────────────

fn assert_errors_fast(f: &EndpointFacts, started: Instant, limit: Duration, want: &str) {
    let e = f.http.error.clone().or(f.error.clone()).unwrap_or_default();
    assert!(e.contains(want), "error {e:?} should mention {want:?}");
    assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
}

#[test]
fn hostile_never_answers() {
    let port = raw_server(|s| {
        std::thread::sleep(Duration::from_secs(10));
        drop(s);
    });
    let t = Instant::now();
    let f = probe(port, &settings(None, 500));
    assert_errors_fast(&f, t, Duration::from_secs(3), "no TLS answer");
}

#[test]
fn hostile_drips_bytes() {
    let port = raw_server(|mut s| {
        let _ = read_client_hello(&mut s);
        // A plausible record header, then one byte every 200 ms.
        for b in [22u8, 3, 3, 0x10, 0].into_iter().chain(std::iter::repeat_n(0u8, 100)) {
            if s.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let t = Instant::now();
    let f = probe(port, &settings(None, 500));
    assert_errors_fast(&f, t, Duration::from_secs(3), "no TLS answer");
}

#[test]
fn hostile_garbage_instead_of_tls() {
    let port = raw_server(|mut s| {
        let _ = read_client_hello(&mut s);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    let f = probe(port, &settings(None, 500));
    assert_errors_fast(&f, Instant::now(), Duration::from_secs(3), "plain HTTP, not TLS");
    let port = raw_server(|mut s| {
        let _ = s.write_all(&[0xffu8; 4096]);
    });
    let f = probe(port, &settings(None, 500));
    assert!(f.error.unwrap().contains("not TLS"));
}

#[test]
fn nothing_listening() {
    let f = probe(free_port(), &settings(None, 500));
    assert!(f.error.unwrap().contains("cannot connect"));
}

fn https_hostile(act: fn(&str) -> Act) -> (EndpointFacts, Duration) {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "h");
    let port = https_server(&leaf, act);
    let t = Instant::now();
    let f = probe(port, &settings(Some(&pki), 1000));
    (f, t.elapsed())
}

#[test]
fn hostile_http_redirect_loop() {
    let (f, took) = https_hostile(|_| Act::Respond(response("302 Found", &[("Location", "/again")], "")));
    assert!(
        f.http.error.clone().unwrap().contains("redirect loop"),
        "{:?}",
        f.http.error
    );
    assert_eq!(f.tls.versions.tls1_3, Some(true), "TLS facts kept");
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[test]
fn hostile_http_huge_headers() {
    let (f, took) = https_hostile(|_| {
        let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..20_000 {
            r.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(60)).as_bytes());
        }
        r.extend_from_slice(b"\r\n");
        Act::Respond(r)
    });
    assert!(f.http.error.is_some(), "huge headers are an error");
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[test]
fn hostile_http_endless_body() {
    let (f, took) = https_hostile(|_| {
        Act::Endless(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec(),
        )
    });
    // The body is cut at 1 MiB (never kept): judged on what was read, or an error; never a hang.
    assert!(took < Duration::from_secs(8), "{took:?}");
    assert!(f.http.error.is_some() || f.http.unauthenticated_looks_like_data == Some(false));
}

#[test]
fn hostile_http_drips_headers() {
    let (f, took) = https_hostile(|_| Act::Drip(response("200 OK", &[], "hello"), Duration::from_millis(300)));
    assert!(
        f.http
            .error
            .clone()
            .or(f.error.clone())
            .unwrap_or_default()
            .contains("timed out"),
        "{:?}",
        f.http.error
    );
    assert!(took < Duration::from_secs(8), "{took:?}");
}

// ───────────────────────────── HTTP facts ─────────────────────────────

#[test]
fn http_facts_from_a_scripted_api() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "api");
    let port = https_server(&leaf, |req| {
        let authed = req.contains("Bearer good-token");
        let origin = req
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("origin"))
                    .map(|(_, v)| v)
            })
            .unwrap_or("")
            .trim()
            .to_string();
        let hdrs = [
            ("Strict-Transport-Security", "max-age=15552000; includeSubDomains"),
            ("Server", "nginx/1.22.1"),
            ("Access-Control-Allow-Origin", origin.as_str()),
            ("Access-Control-Allow-Credentials", "true"),
            ("Set-Cookie", "sessionid=s3cr3t; Secure; Path=/; Max-Age=86400"),
            ("Set-Cookie", "csrftoken=x; Secure; SameSite=Strict"),
            ("Content-Type", "application/json"),
        ];
        if authed {
            Act::Respond(response("200 OK", &hdrs, r#"[{"id":1,"name":"A"}]"#))
        } else {
            Act::Respond(response("401 Unauthorized", &hdrs, r#"{"error":"unauthorized"}"#))
        }
    });
    // A plain-http listener that redirects to https on the same host.
    let http_port = raw_server(|mut s| {
        let mut buf = [0u8; 1024];
        let _ = std::io::Read::read(&mut s, &mut buf);
        let _ = s.write_all(&response(
            "301 Moved Permanently",
            &[("Location", "https://localhost/")],
            "",
        ));
    });
    // SAFETY of the test: the variable is unique to this test.
    unsafe { std::env::set_var("VETTER_TEST_API_TOKEN_1", "Bearer good-token") };
    let ep = Endpoint {
        url: format!("https://localhost:{port}/v1/patients"),
        auth: Some(Auth::Env(EnvAuth {
            header: "Authorization".into(),
            env: "VETTER_TEST_API_TOKEN_1".into(),
        })),
        http_url: Some(format!("http://127.0.0.1:{http_port}/v1/patients")),
        resolve: Some("127.0.0.1".into()),
    };
    let f = probe_endpoint(&ep, &settings(Some(&pki), 3000));
    assert_eq!(f.error, None);
    let h = &f.http;
    assert_eq!(h.status, Some(200));
    assert_eq!(h.unauthenticated_status, Some(401));
    assert_eq!(h.unauthenticated_looks_like_data, Some(false));
    assert_eq!(h.requires_auth, Some(true));
    assert_eq!(h.https_redirect, Some(true));
    assert_eq!(
        (
            h.hsts.present,
            h.hsts.max_age,
            h.hsts.include_subdomains,
            h.hsts.preload
        ),
        (Some(true), Some(15552000), Some(true), Some(false))
    );
    assert_eq!(
        h.cors.allow_origin.as_deref(),
        Some(vetter::probe::endpoint::http::FOREIGN_ORIGIN)
    );
    assert_eq!(h.cors.allow_credentials, Some(true));
    assert_eq!(h.server_banner.as_deref(), Some("nginx/1.22.1"));
    assert_eq!(h.discloses_version, Some(true));
    let cookies = h.cookies.clone().unwrap();
    assert_eq!(cookies.len(), 2);
    assert_eq!(
        (
            cookies[0].name.as_str(),
            cookies[0].session,
            cookies[0].http_only,
            cookies[0].max_age
        ),
        ("sessionid", Some(true), Some(false), Some(86400))
    );
    assert_eq!(
        (
            cookies[1].name.as_str(),
            cookies[1].session,
            cookies[1].same_site.as_deref()
        ),
        ("csrftoken", Some(false), Some("Strict"))
    );
    let headers = h.headers.clone().unwrap();
    assert!(!headers.contains_key("set-cookie"), "cookie values are never kept");
    assert_eq!(headers.get("server").map(String::as_str), Some("nginx/1.22.1"));
    let json = serde_json::to_string(&f).unwrap();
    assert!(!json.contains("s3cr3t") && !json.contains("good-token"));
}

/// A loopback API serving fake PHI to anyone, called with a known token: neither the token nor
/// any PHI value may reach any output format, the saved facts, or stderr.
#[test]
fn no_token_or_phi_in_any_output() {
    const TOKEN: &str = "tok-9f8e7d6c5b4a-SECRET";
    const PHI: [&str; 3] = ["Zebediah Quuxworth", "078-05-1120", "1957-03-14"];
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "phi");
    let port = https_server(&leaf, |req| {
        // Echo the credential back in a header too: a careless server must not make us leak it.
        let echoed = if req.contains(TOKEN) { TOKEN } else { "none" };
        let body = format!(
            r#"{{"patients":[{{"name":"{}","ssn":"{}","dob":"{}"}}]}}"#,
            PHI[0], PHI[1], PHI[2]
        );
        Act::Respond(response(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("X-Debug-Auth", echoed),
                ("Set-Cookie", &format!("auth={TOKEN}; Secure")),
            ],
            &body,
        ))
    });
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("vendor.toml");
    std::fs::write(
        &manifest,
        format!(
            "[vendor]\nname = \"Leaky API\"\n\n[[endpoint]]\nurl = \"https://localhost:{port}/v1/patients\"\nresolve = \"127.0.0.1\"\nauth = {{ header = \"Authorization\", env = \"VETTER_TEST_LEAK_TOKEN\" }}\n"
        ),
    )
    .unwrap();
    let facts = dir.path().join("facts.json");
    let mut outputs = Vec::new();
    for format in ["json", "table"] {
        let mut cmd = crate::support::vetter();
        cmd.env("VETTER_TEST_LEAK_TOKEN", TOKEN)
            .args(["assess", "--timeout", "3", "--as-of", "2030-06-01", "--format", format])
            .arg(&manifest)
            .arg("--save-facts")
            .arg(&facts);
        let o = cmd.output().unwrap();
        crate::support::assert_no_panic(&o);
        outputs.push(crate::support::text(&o.stdout));
        outputs.push(crate::support::text(&o.stderr));
        outputs.push(std::fs::read_to_string(&facts).unwrap());
    }
    let json: serde_json::Value = serde_json::from_str(&outputs[0]).unwrap();
    let ep = &json["facts"]["endpoints"][0];
    assert_eq!(ep["http"]["unauthenticated_looks_like_data"], true, "{ep}");
    assert_eq!(ep["http"]["requires_auth"], false);
    let f = json["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|x| x["rule"] == "hipaa-api-unauth-no-data" && x["status"] == "fail")
    );
    assert!(outputs[3].contains("hipaa-api-unauth"), "the table shows the finding");
    for out in &outputs {
        assert!(!out.contains(TOKEN), "token leaked");
        for p in PHI {
            assert!(!out.contains(p), "PHI {p} leaked");
        }
    }
}

/// Runs `openssl` with `args` in `dir`, panicking with its stderr on failure.
pub fn openssl(dir: &std::path::Path, args: &[&str]) -> String {
    let o = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[test]
fn ocsp_stapled_by_openssl_status_file() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "ocsp");
    let d = pki.dir.path();
    std::fs::write(d.join("ca.key"), pki.ca_key_pem()).unwrap();
    // A "good" OCSP response for the leaf, signed by the test CA, made now with openssl ocsp.
    let serial = openssl(d, &["x509", "-in", leaf.cert.to_str().unwrap(), "-noout", "-serial"]);
    let serial = serial.trim().trim_start_matches("serial=");
    std::fs::write(
        d.join("index.txt"),
        format!("V\t350101000000Z\t\t{serial}\tunknown\t/CN=localhost\n"),
    )
    .unwrap();
    let cert = leaf.cert.to_str().unwrap();
    openssl(
        d,
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            cert,
            "-no_nonce",
            "-reqout",
            "req.der",
        ],
    );
    openssl(
        d,
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            "ca.pem",
            "-rkey",
            "ca.key",
            "-CA",
            "ca.pem",
            "-reqin",
            "req.der",
            "-respout",
            "resp.der",
            "-ndays",
            "7",
        ],
    );
    let resp = d.join("resp.der");
    assert!(std::fs::metadata(&resp).unwrap().len() > 0);
    for version in ["-tls1_3", "-tls1_2"] {
        let s = SServer::start(&leaf, &[version, "-status_file", resp.to_str().unwrap()]);
        let f = probe(s.port, &settings(Some(&pki), 3000));
        assert_eq!(f.error, None, "{version}");
        assert_eq!(
            f.tls.ocsp_stapling,
            Some(true),
            "{version}: the stapled response is seen"
        );
    }
}

/// A legacy certificate made by `openssl` (a 1024-bit RSA key signed with SHA-1 by the test CA, whose key is ECDSA)
/// served by `openssl s_server`: the probe reads its key size and signature hash, and the two
/// practice rules fail on it while they pass on the rcgen ECDSA P-256 / SHA-256 leaf.
#[test]
fn short_rsa_key_and_sha1_signature_fail_their_rules() {
    let pki = Pki::new();
    let d = pki.dir.path();
    std::fs::write(d.join("ca.key"), pki.ca_key_pem()).unwrap();
    let ca = pki.ca_pem.to_str().unwrap();
    openssl(
        d,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-keyout",
            "old.key",
            "-out",
            "old.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(d.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "old.csr",
            "-CA",
            ca,
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-sha1",
            "-days",
            "7300",
            "-extfile",
            "san.ext",
            "-out",
            "old.pem",
        ],
    );
    let old = Leaf {
        cert: d.join("old.pem"),
        key: d.join("old.key"),
        cert_der: vec![],
        key_der: vec![],
    };
    let s = SServer::start(&old, &["-tls1_2", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    let f = probe(s.port, &settings(Some(&pki), 3000));
    let cert = &f.tls.cert;
    assert_eq!((cert.key_type.as_deref(), cert.key_bits), (Some("rsa"), Some(1024)));
    // The test CA has an ECDSA key: SHA-1 with ECDSA.
    assert_eq!(cert.signature_algorithm.as_deref(), Some("ecdsa-with-SHA1"));
    let status = |v: &serde_json::Value, rule: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| crate::support::judged_by(f, rule))
            .map(|f| f["status"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let v = assess_json(&pki, s.port);
    assert_eq!(status(&v, "hipaa-cert-key-strength"), "fail", "{v}");
    assert_eq!(status(&v, "hipaa-cert-signature-hash"), "fail");
    drop(s);
    let good = good_leaf(&pki, "good");
    let s = SServer::start(&good, &["-tls1_2"]);
    let v = assess_json(&pki, s.port);
    assert_eq!(status(&v, "hipaa-cert-key-strength"), "pass");
    assert_eq!(status(&v, "hipaa-cert-signature-hash"), "pass");
}
