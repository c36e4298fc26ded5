//! The run-wide limits of the endpoint probe on loopback: at most two connections per host
//! whatever `--concurrency` says, and 429/503 answers retried after `Retry-After` only while
//! that fits the host's budget.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::servers::{raw_server, response};
use super::settings;
use vetter::manifest::Endpoint;
use vetter::probe::endpoint::probe_endpoint;

/// Reads one request head; false when the client went away first.
fn read_request(s: &TcpStream) -> bool {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) if line == "\r\n" => return true,
            Ok(_) => {}
        }
    }
}

fn http_endpoint(port: u16, path: &str) -> Endpoint {
    Endpoint {
        url: format!("http://localhost:{port}{path}"),
        auth: None,
        http_url: None,
        resolve: Some("127.0.0.1".into()),
    }
}

#[test]
fn at_most_two_connections_per_host() {
    let live = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let (l, p, n) = (live.clone(), peak.clone(), served.clone());
    let port = raw_server(move |mut s| {
        if !read_request(&s) {
            return;
        }
        let now = l.fetch_add(1, Ordering::SeqCst) + 1;
        p.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(250));
        l.fetch_sub(1, Ordering::SeqCst);
        n.fetch_add(1, Ordering::SeqCst);
        let _ = s.write_all(&response("200 OK", &[("Content-Type", "text/plain")], "ok"));
    });
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from("[vendor]\nname = \"Many paths\"\n");
    for i in 0..6 {
        toml.push_str(&format!(
            "\n[[endpoint]]\nurl = \"http://localhost:{port}/p{i}\"\nresolve = \"127.0.0.1\"\n"
        ));
    }
    let path = dir.path().join("vendor.toml");
    std::fs::write(&path, toml).unwrap();
    let m = vetter::manifest::load(&path).unwrap();
    let mut s = settings(None, 3000);
    s.concurrency = 6;
    let c = vetter::probe::collect(&m, &vetter::probe::registry(), &s, &vetter::probe::Silent);
    for e in &c.facts.endpoints {
        assert_eq!((e.error.as_deref(), e.http.status), (None, Some(200)), "{}", e.url);
    }
    assert_eq!(served.load(Ordering::SeqCst), 6);
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 2, "{peak} connections to one host at once");
    assert_eq!(peak, 2, "the two permits are used in parallel");
}

/// A server that answers the first request `first` and later ones 200 with records.
fn flaky(first: &'static [u8]) -> (u16, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let n = seen.clone();
    let port = raw_server(move |mut s| {
        if !read_request(&s) {
            return;
        }
        let reply = if n.fetch_add(1, Ordering::SeqCst) == 0 {
            first.to_vec()
        } else {
            response(
                "200 OK",
                &[("Content-Type", "application/json")],
                r#"[{"id":1,"name":"x"}]"#,
            )
        };
        let _ = s.write_all(&reply);
    });
    (port, seen)
}

#[test]
fn retry_after_is_honoured_within_the_budget() {
    const BUSY: &[u8] =
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (port, seen) = flaky(BUSY);
    let started = Instant::now();
    let f = probe_endpoint(&http_endpoint(port, "/"), &settings(None, 2000));
    assert_eq!(f.error, None);
    assert_eq!(f.http.status, Some(200), "retried after the 503");
    assert_eq!(seen.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was waited out"
    );
}

#[test]
fn a_retry_after_beyond_the_budget_is_not_waited() {
    const SLOW: &[u8] =
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3600\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (port, seen) = flaky(SLOW);
    let started = Instant::now();
    let f = probe_endpoint(&http_endpoint(port, "/"), &settings(None, 1000));
    assert_eq!(f.http.status, Some(429), "the answer stands when the wait does not fit");
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn trusted_roots_are_read_once_per_run() {
    let run = vetter::probe::RunState::default();
    let a = run.roots(None).unwrap();
    let b = run.roots(None).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    // Another run loads its own: nothing is shared through the process.
    let other = vetter::probe::RunState::default().roots(None).unwrap();
    assert!(!Arc::ptr_eq(&a, &other));
}
