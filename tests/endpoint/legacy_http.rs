//! HTTP facts from servers that speak only TLS 1.0/1.1 (issue 15): the HTTP request goes
//! through OpenSSL there, under the same redirect policy, deadlines and caps as the rustls
//! path. Real servers: `openssl s_server -tls1 -HTTP` and lighttpd + mod_openssl held to TLS 1.0.

use std::time::Duration;

use super::security::ep;
use super::servers::*;
use super::{good_leaf, settings};
use vetter::probe::endpoint::probe_endpoint;

/// OpenSSL's configuration commands that hold a lighttpd + mod_openssl server to TLS 1.0.
const TLS10_ONLY: &str = "ssl.openssl.ssl-conf-cmd = (\"MinProtocol\" => \"TLSv1\", \"MaxProtocol\" => \"TLSv1\", \"CipherString\" => \"DEFAULT:@SECLEVEL=0\")\n";

/// A TLS 1.0-only server's HSTS header, cookie and banner are seen (before, the HTTP client
/// spoke TLS 1.2+ only and every HTTP fact of such a server was unknown).
#[test]
fn tls10_only_server_hsts_is_seen() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "legacyhsts");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=31536000; includeSubDomains\r\n\
         Server: LegacyGateway/1.0\r\nSet-Cookie: SESSIONID=abc; Path=/\r\nContent-Type: text/plain\r\n\
         Content-Length: 3\r\nConnection: close\r\n\r\nok\n",
    )
    .unwrap();
    let s = SServer::start_in(
        &leaf,
        "-HTTP",
        &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"],
        Some(dir.path()),
    );
    let f = crate::support::within(60, move || {
        probe_endpoint(&ep(s.port, "/index.html", None), &settings(Some(&pki), 2000))
    });
    let v = &f.tls.versions;
    assert_eq!((v.tls1_0, v.tls1_2, v.tls1_3), (Some(true), Some(false), Some(false)));
    assert_eq!(f.error, None);
    assert_eq!(f.http.error, None);
    assert_eq!(f.http.status, Some(200));
    assert_eq!(
        (f.http.hsts.present, f.http.hsts.max_age, f.http.hsts.include_subdomains),
        (Some(true), Some(31536000), Some(true)),
        "{:?}",
        f.http
    );
    assert_eq!(f.http.server_banner.as_deref(), Some("LegacyGateway/1.0"));
    let cookies = f.http.cookies.clone().unwrap();
    assert_eq!(
        (cookies[0].name.as_str(), cookies[0].secure),
        ("SESSIONID", Some(false))
    );
}

/// The access log of a lighttpd server: each request line with its Authorization header.
fn logged(path: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// On the TLS 1.0 path the credential goes to the declared origin and nowhere else: a
/// redirect to another origin (another TLS 1.0 server, another port) is followed without it.
#[test]
fn tls10_redirect_to_another_origin_gets_no_credential() {
    const TOKEN: &str = "Bearer legacy-redirect-token-93bd";
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "legacyredir");
    let logs = tempfile::tempdir().unwrap();
    let log_of = |name: &str| logs.path().join(format!("{name}.log"));
    let accesslog = |name: &str| {
        format!(
            "server.modules += (\"mod_accesslog\")\naccesslog.filename = \"{}\"\n\
             accesslog.format = \"%r auth=%{{Authorization}}i\"\n{TLS10_ONLY}",
            log_of(name).display()
        )
    };
    let other = Lighttpd::start(&pki, &leaf, "mod_openssl", &accesslog("other"));
    let home = Lighttpd::start(
        &pki,
        &leaf,
        "mod_openssl",
        &format!(
            "{}server.modules += (\"mod_redirect\")\nurl.redirect = (\"^/go$\" => \"https://localhost:{}/index.html\")\n",
            accesslog("home"),
            other.port
        ),
    );
    unsafe { std::env::set_var("VETTER_TEST_LEGACY_TOKEN", TOKEN) };
    let port = home.port;
    let f = crate::support::within(60, move || {
        probe_endpoint(
            &ep(port, "/go", Some("VETTER_TEST_LEGACY_TOKEN")),
            &settings(Some(&pki), 2000),
        )
    });
    assert_eq!(f.tls.versions.tls1_2, Some(false), "TLS 1.0 only: {:?}", f.tls.versions);
    assert_eq!(f.tls.versions.tls1_0, Some(true));
    // lighttpd writes its access log as it answers; give it a moment after the last answer.
    let mut home_log = logged(&log_of("home"));
    let mut other_log = logged(&log_of("other"));
    for _ in 0..50 {
        if home_log.len() >= 2 && !other_log.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        home_log = logged(&log_of("home"));
        other_log = logged(&log_of("other"));
    }
    // The declared origin got the request with the credential (and the one without).
    assert!(
        home_log.iter().any(|l| l.starts_with("GET /go ") && l.ends_with(TOKEN)),
        "{home_log:?} {f:?}"
    );
    assert!(
        home_log
            .iter()
            .any(|l| l.starts_with("GET /go ") && l.ends_with("auth=-")),
        "{home_log:?}"
    );
    // The other origin was reached, never with it.
    assert!(
        other_log.iter().any(|l| l.starts_with("GET /index.html ")),
        "{other_log:?} {f:?}"
    );
    for l in &other_log {
        assert!(l.ends_with("auth=-"), "credential sent to another origin: {l}");
    }
    assert_eq!(f.http.status, Some(200), "{:?}", f.http);
    assert!(f.http.final_url.clone().unwrap_or_default().ends_with("/index.html"));
}

/// Probes a scripted TLS 1.0-only OpenSSL server (bounded by a hang guard, far above any
/// honest run; behaviour is asserted on the facts).
fn legacy_probe(act: fn(&str) -> Act, timeout_ms: u64) -> vetter::facts::EndpointFacts {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "legacyscript");
    let port = tls10_https_server(&leaf, act);
    crate::support::within(60, move || {
        probe_endpoint(&ep(port, "/", None), &settings(Some(&pki), timeout_ms))
    })
}

/// The TLS 1.0 path reads bodies as the normal one: chunked bodies decoded and judged, a body
/// cut short named with what its framing promised, a trickled body cut at the exchange
/// deadline, an endless one capped, oversized headers an error.
#[test]
fn tls10_bodies_framing_deadline_and_caps() {
    let f = legacy_probe(
        |_| {
            Act::Respond(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
                  e\r\n[{\"id\":1,\"mrn\"\r\n9;ext=1\r\n:\"A-12\"}]\r\n0\r\nX-Trailer: 1\r\n\r\n"
                    .to_vec(),
            )
        },
        2000,
    );
    assert_eq!(f.tls.versions.tls1_0, Some(true));
    assert_eq!((f.http.status, f.http.error.clone()), (Some(200), None));
    assert_eq!(
        f.http.unauthenticated_looks_like_data,
        Some(true),
        "chunks joined: {:?}",
        f.http
    );

    let f = legacy_probe(
        |_| {
            let mut r = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n".to_vec();
            r.extend_from_slice(&[b'x'; 312]);
            Act::Respond(r)
        },
        2000,
    );
    let err = f.http.error.clone().unwrap_or_default();
    assert!(
        err.contains("connection closed after 312 bytes of the 1000 its Content-Length promised"),
        "{err:?}"
    );

    let f = legacy_probe(
        |_| {
            let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n".to_vec();
            Act::Trickle(head, Duration::from_millis(100))
        },
        1000,
    );
    let err = f.http.error.clone().unwrap_or_default();
    assert!(err.contains("within the exchange deadline"), "{err:?}");

    let f = legacy_probe(
        |_| Act::Endless(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec()),
        2000,
    );
    assert_eq!(
        (
            f.http.status,
            f.http.unauthenticated_looks_like_data,
            f.http.error.clone()
        ),
        (Some(200), Some(false), None),
        "read up to the cap, judged, dropped"
    );

    let f = legacy_probe(
        |_| {
            let mut r = b"HTTP/1.1 200 OK\r\n".to_vec();
            for i in 0..20_000 {
                r.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(60)).as_bytes());
            }
            r.extend_from_slice(b"\r\n");
            Act::Respond(r)
        },
        2000,
    );
    let err = f.http.error.clone().unwrap_or_default();
    assert!(
        err.contains("response head exceeds 64 KiB") && err.contains("https://localhost:"),
        "{err:?}"
    );
}
