//! A vendor server turned against vetter's user (issue 14, H1–H3 and the redirect policy):
//! every case runs a real server on loopback and is bounded by the test's own timeout.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::servers::*;
use super::{good_leaf, settings};
use vetter::facts::EndpointFacts;
use vetter::manifest::{Auth, Endpoint, EnvAuth};
use vetter::probe::Settings;
use vetter::probe::endpoint::probe_endpoint;

/// Runs the probe on a thread; panics if it does not end within `limit` (a hang guard, far
/// above any honest run: behaviour is asserted on the facts, never on the time taken).
fn bounded(ep: Endpoint, s: Settings, limit: Duration) -> EndpointFacts {
    crate::support::within(limit.as_secs(), move || probe_endpoint(&ep, &s))
}

/// `https://localhost:{port}{path}` pinned to 127.0.0.1, with `Authorization` from `env`.
pub(super) fn ep(port: u16, path: &str, env: Option<&str>) -> Endpoint {
    Endpoint {
        url: format!("https://localhost:{port}{path}"),
        auth: env.map(|e| {
            Auth::Env(EnvAuth {
                header: "Authorization".into(),
                env: e.into(),
            })
        }),
        http_url: None,
        resolve: Some("127.0.0.1".into()),
    }
}

/// A plain-HTTP listener that records every request head it gets and answers 200.
fn recording_http() -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let port = raw_server(move |mut s| {
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut buf = vec![0u8; 8192];
        let n = s.read(&mut buf).unwrap_or(0);
        s2.lock().unwrap().push(String::from_utf8_lossy(&buf[..n]).to_string());
        let _ = s.write_all(&response("200 OK", &[("Content-Type", "text/plain")], "ok"));
    });
    (port, seen)
}

/// H2: https → 302 → http on another port of the same host must not carry the credential.
#[test]
fn no_credential_over_a_downgrading_redirect() {
    const TOKEN: &str = "Bearer h2-downgrade-token-7c1e";
    let (plain, seen) = recording_http();
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "h2");
    let port = https_server(&leaf, move |_| {
        Act::Respond(response(
            "302 Found",
            &[("Location", &format!("http://localhost:{plain}/next"))],
            "",
        ))
    });
    unsafe { std::env::set_var("VETTER_TEST_H2_TOKEN", TOKEN) };
    let f = bounded(
        ep(port, "/", Some("VETTER_TEST_H2_TOKEN")),
        settings(Some(&pki), 2000),
        Duration::from_secs(60),
    );
    let seen = seen.lock().unwrap();
    assert!(
        !seen.is_empty(),
        "the redirect was followed (without credentials): {f:?}"
    );
    for head in seen.iter() {
        assert!(
            !head.contains("h2-downgrade"),
            "credential sent over plain HTTP:\n{head}"
        );
        assert!(!head.to_ascii_lowercase().contains("authorization"), "{head}");
    }
}

/// Same host, same scheme, other port: another origin, so no credential either.
#[test]
fn no_credential_to_another_port() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "port");
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let g2 = got.clone();
    let other = https_server(&leaf, move |req| {
        g2.lock().unwrap().push(req.to_string());
        Act::Respond(response("200 OK", &[], "ok"))
    });
    let port = https_server(&leaf, move |_| {
        Act::Respond(response(
            "307 Temporary Redirect",
            &[("Location", &format!("https://localhost:{other}/x"))],
            "",
        ))
    });
    unsafe { std::env::set_var("VETTER_TEST_PORT_TOKEN", "Bearer other-port-token-55aa") };
    let f = bounded(
        ep(port, "/", Some("VETTER_TEST_PORT_TOKEN")),
        settings(Some(&pki), 2000),
        Duration::from_secs(60),
    );
    let got = got.lock().unwrap();
    assert!(!got.is_empty(), "redirect followed: {f:?}");
    assert!(got.iter().all(|r| !r.contains("other-port-token")), "{got:?}");
}

/// H3: a body trickled one byte at a time is cut at the exchange deadline, not read for days.
#[test]
fn slow_body_is_bounded_by_the_exchange_deadline() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "slow");
    let port = https_server(&leaf, |_| {
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n".to_vec();
        // Headers at once, then the body a byte every 100 ms: every read succeeds in time.
        Act::Trickle(head, Duration::from_millis(100))
    });
    let f = bounded(ep(port, "/", None), settings(Some(&pki), 1000), Duration::from_secs(60));
    let err = f.http.error.clone().or(f.error.clone()).unwrap_or_default();
    assert!(err.contains("deadline") || err.contains("timed out"), "{err}");
}

/// A redirect to the cloud metadata address (or a private network) from a loopback endpoint
/// is not followed, and says why.
#[test]
fn redirects_to_metadata_and_private_addresses_are_refused() {
    for target in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.1.2.3/admin",
        "http://[::ffff:169.254.169.254]/",
    ] {
        let pki = Pki::new();
        let leaf = good_leaf(&pki, "meta");
        let t = target.to_string();
        let port = https_server(&leaf, move |_| {
            Act::Respond(response("302 Found", &[("Location", &t)], ""))
        });
        let f = bounded(ep(port, "/", None), settings(Some(&pki), 1000), Duration::from_secs(60));
        assert_eq!(f.error, None, "{target}");
        let why = f.http.redirect_refused.clone().unwrap_or_default();
        assert!(
            why.contains("link-local") || why.contains("private"),
            "{target}: {why:?}"
        );
        assert_eq!(f.http.status, Some(302), "the redirect itself is the answer judged");
    }
}

/// With `resolve` pinned, a redirect to another name is not looked up.
#[test]
fn pinned_endpoint_does_not_resolve_other_names() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "pin");
    let port = https_server(&leaf, |_| {
        Act::Respond(response(
            "302 Found",
            &[("Location", "https://unpinned-name.vetter-test/")],
            "",
        ))
    });
    let f = bounded(ep(port, "/", None), settings(Some(&pki), 1000), Duration::from_secs(60));
    let why = f.http.redirect_refused.clone().unwrap_or_default();
    assert!(why.contains("does not pin"), "{f:?}");
}

/// Each request is cut to what the host's budget has left: a server answering every hop of
/// a redirect chain just inside the per-connection timeout cannot stretch the host's time
/// (with credentials the chain is walked twice, with and without them).
#[test]
fn host_budget_holds_across_http_requests() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "budget");
    let port = https_server(&leaf, |req| {
        std::thread::sleep(Duration::from_millis(800));
        let n: u32 = req
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.trim_start_matches("/hop").parse().ok())
            .unwrap_or(0);
        if n >= 8 {
            return Act::Respond(response("200 OK", &[], "ok"));
        }
        Act::Respond(response("302 Found", &[("Location", &format!("/hop{}", n + 1))], ""))
    });
    unsafe { std::env::set_var("VETTER_TEST_BUDGET_TOKEN", "Bearer budget-token-1f2e3d") };
    let f = bounded(
        ep(port, "/", Some("VETTER_TEST_BUDGET_TOKEN")),
        settings(Some(&pki), 1000),
        Duration::from_secs(60),
    );
    assert!(
        f.http.error.clone().unwrap_or_default().contains("budget"),
        "{:?}",
        f.http.error
    );
}

/// A banner with a non-ASCII character is kept (lossy), not dropped: it still names a version.
#[test]
fn non_ascii_banner_is_kept() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "utf");
    let port = https_server(&leaf, |_| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\nServer: Acme\xc2\xa9 Gateway/2.4.1\r\n\r\nok".to_vec();
        r.shrink_to_fit();
        Act::Respond(r)
    });
    let f = bounded(ep(port, "/", None), settings(Some(&pki), 1000), Duration::from_secs(60));
    assert_eq!(f.http.server_banner.as_deref(), Some("Acme© Gateway/2.4.1"), "{f:?}");
    assert_eq!(f.http.discloses_version, Some(true));
}

/// An error from the HTTP client names the URL and the phase, not just "(SendRequest)".
#[test]
fn http_errors_name_the_url_and_phase() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "close");
    let port = https_server(&leaf, |_| Act::Respond(Vec::new()));
    let f = bounded(
        ep(port, "/v1/x", None),
        settings(Some(&pki), 1000),
        Duration::from_secs(20),
    );
    let err = f.http.error.clone().unwrap_or_default();
    assert!(
        err.contains(&format!("https://localhost:{port}/v1/x")) && err.contains("during"),
        "{err}"
    );
}

/// H1: a server that echoes the credential everywhere it can (banner, X-Powered-By, cookie
/// name, CORS, a redirect's query string) — with the `Bearer ` scheme and without — and an
/// endpoint URL carrying `?api_key=`: neither reaches any format, the saved facts or stderr.
#[test]
fn token_echoed_everywhere_reaches_no_output() {
    const RAW: &str = "tk_live_5b1f0c9e8d7a6b5c";
    const URL_KEY: &str = "urlkey-0a9b8c7d6e5f";
    for secret in [format!("Bearer {RAW}"), RAW.to_string()] {
        let pki = Pki::new();
        let leaf = good_leaf(&pki, "echo");
        let port = https_server(&leaf, |req| {
            let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
            if path.starts_with("/v1/patients") && req.contains(RAW) {
                return Act::Respond(response(
                    "302 Found",
                    &[("Location", &format!("/step2?access_token={RAW}&page=1"))],
                    "",
                ));
            }
            let server = format!("gw/1.0 ({RAW})");
            let cookie = format!("{RAW}=1; Secure; HttpOnly");
            let acao = format!("https://{RAW}.example");
            let www = format!("Bearer realm=\"{}\"", &RAW[3..]);
            Act::Respond(response(
                "200 OK",
                &[
                    ("Server", &server),
                    ("X-Powered-By", RAW),
                    ("Set-Cookie", &cookie),
                    ("Access-Control-Allow-Origin", &acao),
                    ("WWW-Authenticate", &www),
                    ("Content-Type", "application/json"),
                ],
                &format!(r#"{{"error":"bad token {RAW}"}}"#),
            ))
        });
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("vendor.toml");
        std::fs::write(
            &manifest,
            format!(
                "[vendor]\nname = \"Echo API\"\n\n[[endpoint]]\nurl = \"https://localhost:{port}/v1/patients?api_key={URL_KEY}\"\nresolve = \"127.0.0.1\"\nauth = {{ header = \"Authorization\", env = \"VETTER_TEST_ECHO_TOKEN\" }}\n"
            ),
        )
        .unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::copy(&pki.ca_pem, &ca).unwrap();
        let facts = dir.path().join("facts.json");
        let mut seen_banner = false;
        for format in ["json", "table", "markdown", "html", "sarif", "junit", "oscal"] {
            let mut cmd = crate::support::vetter();
            cmd.env("VETTER_TEST_ECHO_TOKEN", &secret)
                .args(["assess", "--timeout", "3", "--as-of", "2030-06-01", "--format", format])
                .arg(&manifest)
                .arg("--ca-file")
                .arg(&ca)
                .arg("--save-facts")
                .arg(&facts);
            let o = cmd.output().unwrap();
            crate::support::assert_no_panic(&o);
            let saved = std::fs::read_to_string(&facts).unwrap();
            for (what, out) in [
                ("stdout", crate::support::text(&o.stdout)),
                ("stderr", crate::support::text(&o.stderr)),
                ("saved facts", saved.clone()),
            ] {
                for needle in [RAW, &RAW[3..], &RAW[..12], URL_KEY] {
                    assert!(
                        !out.contains(needle),
                        "{format} {what}: `{needle}` leaked (secret {secret:?})"
                    );
                }
            }
            if format == "json" {
                let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                let http = &j["facts"]["endpoints"][0]["http"];
                assert!(
                    http["server_banner"].as_str().unwrap_or("").starts_with("gw/1.0"),
                    "{http}"
                );
                assert!(
                    http["final_url"]
                        .as_str()
                        .unwrap_or("")
                        .contains("/step2?access_token=[redacted]"),
                    "{http}"
                );
                seen_banner = true;
            }
        }
        assert!(seen_banner);
    }
}

/// A missing, empty or non-UTF-8 `auth.env` stops the run (exit 2) before anything is
/// probed: probing without the credential would report the login wall as the API.
#[test]
fn unset_auth_env_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("vendor.toml");
    std::fs::write(
        &manifest,
        "[vendor]\nname = \"X\"\n\n[[endpoint]]\nurl = \"https://localhost:1/\"\nresolve = \"127.0.0.1\"\nauth = { header = \"Authorization\", env = \"VETTER_TEST_UNSET_TOKEN\" }\n",
    )
    .unwrap();
    let cases: [(&str, Option<&std::ffi::OsStr>); 3] = [
        ("is not set", None),
        ("empty", Some(std::ffi::OsStr::new(" "))),
        ("UTF-8", Some(std::ffi::OsStr::from_bytes(b"Bearer \xff\xfe"))),
    ];
    for (want, value) in cases {
        let mut cmd = crate::support::vetter();
        cmd.env_remove("VETTER_TEST_UNSET_TOKEN");
        if let Some(v) = value {
            cmd.env("VETTER_TEST_UNSET_TOKEN", v);
        }
        let o = cmd.arg("assess").arg(&manifest).output().unwrap();
        let err = crate::support::text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{want}: {err}");
        assert!(err.contains("VETTER_TEST_UNSET_TOKEN") && err.contains(want), "{err}");
        assert!(
            err.contains("vendor.toml:7:42: error: auth env"),
            "names the env value: {err}"
        );
    }
}

/// `HTTPS://LOCALHOST:443` and `https://localhost/` are one endpoint.
#[test]
fn duplicate_urls_compare_as_urls() {
    let text = "[vendor]\nname = \"X\"\n\n[[endpoint]]\nurl = \"HTTPS://LocalHost:443\"\n\n[[endpoint]]\nurl = \"https://localhost/\"\n";
    let e = vetter::manifest::parse(text, "v.toml").expect_err("a duplicate");
    assert!(e.to_string().contains("listed twice"), "{e}");
}

/// Locating 10,000 endpoints in their manifest (SARIF lines, diagnostics) is linear: each
/// lookup used to parse the whole manifest again (10,000 endpoints took 200 s).
#[test]
fn ten_thousand_endpoints_are_located_in_linear_time() {
    let mut text = String::from("[vendor]\nname = \"Scale\"\n\n");
    for i in 0..10_000 {
        text.push_str(&format!("[[endpoint]]\nurl = \"https://127.0.0.1:1/p{i}\"\n\n"));
    }
    let lines = crate::support::within(60, move || {
        let m = vetter::manifest::parse(&text, "scale.toml").unwrap();
        (0..10_000)
            .map(|i| m.line_of("endpoint", i))
            .collect::<Vec<Option<usize>>>()
    });
    assert_eq!(lines[0], Some(4));
    assert_eq!(lines[9_999], Some(4 + 3 * 9_999));
}

/// An HTTP exchange that fails after TLS was probed keeps the TLS and certificate verdicts:
/// only the rules that read HTTP facts are errors.
#[test]
fn http_failure_keeps_tls_verdicts() {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "tlsonly");
    // TLS completes, then the connection closes with no HTTP answer.
    let port = https_server(&leaf, |_| Act::Respond(Vec::new()));
    let j = super::assess_json(&pki, port);
    let ep = &j["facts"]["endpoints"][0];
    assert!(ep["error"].is_null(), "{ep}");
    assert!(ep["http"]["error"].as_str().unwrap_or("").contains("during"), "{ep}");
    let status = |rule: &str| {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["status"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(status("hipaa-tls-legacy"), "pass");
    assert_eq!(status("hipaa-cert-unexpired"), "pass");
    assert_eq!(status("hipaa-hsts"), "error");
}
