//! ② The demo vendor's servers on 127.0.0.1: two rustls HTTPS servers (one per host name, each
//! with its own protocol versions) and one plain-HTTP server for the `http://` redirect check.
//! Input: the leaf certificates; output: the ports. Network I/O on loopback only; every
//! connection is bounded (timeouts, a request-head cap, a cap on live connections).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::{API_HOST, Leaf, PORTAL_HOST};

/// The credential the API accepts (sent only when `VETTER_DEMO_TOKEN` holds it).
pub const DEMO_TOKEN: &str = "demo-token-not-a-secret";
/// Longest request head read before the connection is dropped.
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once; more are closed at once.
const MAX_LIVE: usize = 64;
/// How long one connection may stay idle.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Which face a server shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posture {
    /// TLS 1.2 + 1.3, HSTS, no-store, credentials required.
    Api,
    /// TLS 1.2 only, weak HTTP answers, data without credentials.
    Portal,
    /// Plain HTTP: the API's path redirects to https, the portal's does not.
    Plain,
}

/// The running servers; dropping them stops their accept loops.
pub struct Servers {
    pub api_port: u16,
    pub portal_port: u16,
    pub http_port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake each accept loop so it sees the flag.
        for p in [self.api_port, self.portal_port, self.http_port] {
            let _ = TcpStream::connect_timeout(&([127, 0, 0, 1], p).into(), Duration::from_millis(200));
        }
    }
}

/// Starts the three servers on ephemeral loopback ports.
pub fn start(api: Leaf, portal: Leaf) -> Result<Servers, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stop = Arc::new(AtomicBool::new(false));
    let live = Arc::new(AtomicUsize::new(0));
    let api_cfg = tls_config(&api, &[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let portal_cfg = tls_config(&portal, &[&rustls::version::TLS12])?;
    let api_port = listen(Posture::Api, Some(api_cfg), None, stop.clone(), live.clone())?;
    let portal_port = listen(Posture::Portal, Some(portal_cfg), None, stop.clone(), live.clone())?;
    let http_port = listen(Posture::Plain, None, Some(api_port), stop.clone(), live)?;
    Ok(Servers {
        api_port,
        portal_port,
        http_port,
        stop,
    })
}

fn tls_config(
    leaf: &Leaf,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| format!("demo server TLS config: {e}"))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_der.clone())),
        )
        .map_err(|e| format!("demo server certificate: {e}"))?;
    Ok(Arc::new(cfg))
}

fn listen(
    posture: Posture,
    tls: Option<Arc<rustls::ServerConfig>>,
    api_port: Option<u16>,
    stop: Arc<AtomicBool>,
    live: Arc<AtomicUsize>,
) -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("demo server cannot listen on 127.0.0.1: {e}"))?;
    let port = l.local_addr().map_err(|e| e.to_string())?.port();
    std::thread::spawn(move || {
        for s in l.incoming() {
            if stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(s) = s else { continue };
            if live.fetch_add(1, Ordering::SeqCst) >= MAX_LIVE {
                live.fetch_sub(1, Ordering::SeqCst);
                continue;
            }
            let tls = tls.clone();
            let live = live.clone();
            std::thread::spawn(move || {
                serve(posture, tls, api_port, s);
                live.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Ok(port)
}

fn serve(posture: Posture, tls: Option<Arc<rustls::ServerConfig>>, api_port: Option<u16>, sock: TcpStream) {
    let _ = sock.set_read_timeout(Some(IO_TIMEOUT));
    let _ = sock.set_write_timeout(Some(IO_TIMEOUT));
    match tls {
        Some(cfg) => {
            // Raw ClientHellos from the version and suite probes end here with an alert.
            let Ok(conn) = rustls::ServerConnection::new(cfg) else {
                return;
            };
            let mut stream = rustls::StreamOwned::new(conn, sock);
            let Some(head) = read_head(&mut stream) else { return };
            let reply = answer(posture, &head, None);
            let _ = stream.write_all(&reply);
            stream.conn.send_close_notify();
            let _ = stream.flush();
        }
        None => {
            let mut sock = sock;
            let Some(head) = read_head(&mut sock) else { return };
            let reply = answer(posture, &head, api_port);
            let _ = sock.write_all(&reply);
            let _ = sock.flush();
            let _ = sock.shutdown(Shutdown::Both);
        }
    }
}

/// The request head up to the blank line, or None when it is cut off or too long.
fn read_head(s: &mut impl Read) -> Option<String> {
    let mut r = BufReader::new(s.take(MAX_HEAD as u64));
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            return Some(head);
        }
    }
}

/// The value of a request header (case-insensitive name).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The response for one request. `api_port` is the HTTPS port a plain-HTTP redirect points at.
pub fn answer(posture: Posture, head: &str, api_port: Option<u16>) -> Vec<u8> {
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let host = header(head, "host").unwrap_or("").split(':').next().unwrap_or("");
    match posture {
        Posture::Api => {
            let common = [
                ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                ("Cache-Control", "no-store"),
                ("Server", "sample-api"),
                ("Content-Type", "application/json"),
            ];
            let authorised = header(head, "authorization") == Some(&format!("Bearer {DEMO_TOKEN}"));
            if path.starts_with("/v1/patients") && authorised {
                response("200 OK", &common, PATIENTS_JSON)
            } else if path.starts_with("/v1/") {
                let mut h = common.to_vec();
                h.push(("WWW-Authenticate", "Bearer realm=\"sample-api\""));
                response(
                    "401 Unauthorized",
                    &h,
                    r#"{"error":"unauthorized","message":"a bearer token is required"}"#,
                )
            } else {
                response("404 Not Found", &common, r#"{"error":"not found"}"#)
            }
        }
        Posture::Portal => {
            let h = [
                ("Server", "nginx/1.18.0"),
                ("X-Powered-By", "PHP/7.4.3"),
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Set-Cookie", "PORTALSESSID=demo; Path=/"),
                ("Content-Type", "application/json"),
            ];
            if path.starts_with("/v1/appointments") {
                response("200 OK", &h, APPOINTMENTS_JSON)
            } else {
                response("404 Not Found", &h, r#"{"error":"not found"}"#)
            }
        }
        Posture::Plain => {
            if host.eq_ignore_ascii_case(API_HOST)
                && let Some(p) = api_port
            {
                let loc = format!("https://{API_HOST}:{p}{path}");
                response("301 Moved Permanently", &[("Location", loc.as_str())], "")
            } else if host.eq_ignore_ascii_case(PORTAL_HOST) {
                response(
                    "200 OK",
                    &[("Content-Type", "text/html")],
                    "<html><body>Sample portal</body></html>",
                )
            } else {
                response("404 Not Found", &[], "")
            }
        }
    }
}

fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r.into_bytes()
}

/// Synthetic records (the sample vendor's made-up patients); never real PHI.
const PATIENTS_JSON: &str = r#"{"data":[{"patient_id":"P-1001","first_name":"Avery","last_name":"Testpatient"},{"patient_id":"P-1002","first_name":"Jordan","last_name":"Samplename"}]}"#;
const APPOINTMENTS_JSON: &str = r#"[{"appointment_id":"A-501","patient_id":"P-1001","starts_at":"2026-03-02T09:30:00-06:00"},{"appointment_id":"A-502","patient_id":"P-1002","starts_at":"2026-03-02T10:00:00-06:00"}]"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn req(path: &str, host: &str, extra: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n")
    }

    #[test]
    fn api_refuses_without_the_token_and_answers_with_it() {
        let no = String::from_utf8(answer(Posture::Api, &req("/v1/patients", API_HOST, ""), None)).unwrap();
        assert!(no.starts_with("HTTP/1.1 401"));
        let auth = format!("Authorization: Bearer {DEMO_TOKEN}\r\n");
        let yes = String::from_utf8(answer(Posture::Api, &req("/v1/patients", API_HOST, &auth), None)).unwrap();
        assert!(yes.starts_with("HTTP/1.1 200") && yes.contains("P-1001"));
    }

    #[test]
    fn plain_http_redirects_only_the_api() {
        let a = String::from_utf8(answer(Posture::Plain, &req("/v1/patients", API_HOST, ""), Some(4443))).unwrap();
        assert!(a.contains(&format!("Location: https://{API_HOST}:4443/v1/patients")));
        let p = String::from_utf8(answer(Posture::Plain, &req("/x", PORTAL_HOST, ""), Some(4443))).unwrap();
        assert!(p.starts_with("HTTP/1.1 200"));
    }
}
