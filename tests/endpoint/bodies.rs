//! HTTP bodies as real servers send them (issue 13): close-delimited HTTP/1.0, chunked, cut
//! short; the server closes without a TLS close_notify, as many do. curl reads the first two;
//! vetter must too, and a body cut short is an error naming the cause while the TLS facts stay.

use std::sync::mpsc;
use std::time::Duration;

use super::servers::*;
use super::{good_leaf, settings};
use vetter::facts::EndpointFacts;
use vetter::manifest::Endpoint;
use vetter::probe::Settings;
use vetter::probe::endpoint::probe_endpoint;

/// Probes `localhost:port` on a thread; panics if it does not end within 30 s.
fn probe((port, s, pki): (u16, Settings, Pki)) -> EndpointFacts {
    let ep = Endpoint {
        url: format!("https://localhost:{port}/v1/patients"),
        auth: None,
        http_url: None,
        resolve: Some("127.0.0.1".into()),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(probe_endpoint(&ep, &s));
    });
    let f = rx.recv_timeout(Duration::from_secs(30)).expect("the probe ends");
    drop(pki);
    f
}

/// A server answering every request with `bytes`, then closing the TCP connection without a
/// close_notify (Drip with no gap sends the bytes and drops the connection).
fn server(bytes: &'static [u8]) -> (u16, Settings, Pki) {
    let pki = Pki::new();
    let leaf = good_leaf(&pki, "body");
    let port = https_server(&leaf, move |_| Act::Drip(bytes.to_vec(), Duration::ZERO));
    let s = settings(Some(&pki), 3000);
    (port, s, pki)
}

fn tls_kept(f: &EndpointFacts) {
    assert_eq!(f.tls.versions.tls1_3, Some(true), "{f:?}");
    assert!(
        f.tls.cert.subject.is_some() || f.tls.cert.not_after.is_some(),
        "{:?}",
        f.tls.cert
    );
}

#[test]
fn http10_close_delimited_body_reads_like_curl() {
    let srv = server(
        b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nServer: legacy\r\n\r\n{\"error\":\"unauthorized\"}",
    );
    let f = probe(srv);
    assert_eq!(f.error, None, "{f:?}");
    assert_eq!(f.http.status, Some(200));
    assert_eq!(f.http.server_banner.as_deref(), Some("legacy"));
    tls_kept(&f);
}

#[test]
fn chunked_body_reads_like_curl() {
    let srv = server(
        b"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
    );
    let f = probe(srv);
    assert_eq!(f.error, None, "{f:?}");
    assert_eq!(f.http.status, Some(401));
    assert_eq!(f.http.requires_auth, Some(true));
}

#[test]
fn body_cut_short_names_the_cause_and_keeps_tls_facts() {
    // Content-Length promises 1000 bytes; the connection closes after 312.
    static CUT: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let mut r = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nContent-Type: text/plain\r\n\r\n".to_vec();
        r.extend(std::iter::repeat_n(b'a', 312));
        r
    });
    let srv = server(CUT.as_slice());
    let f = probe(srv);
    let e = f.http.error.clone().or(f.error.clone()).unwrap_or_default();
    assert!(e.contains("connection closed after 312 bytes"), "{e}");
    assert!(!e.contains("other error"), "{e}");
    tls_kept(&f);
}

#[test]
fn chunked_body_cut_short_names_the_cause() {
    let srv = server(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789");
    let f = probe(srv);
    let e = f.http.error.clone().or(f.error.clone()).unwrap_or_default();
    assert!(e.contains("connection closed after 10 bytes"), "{e}");
    tls_kept(&f);
}
