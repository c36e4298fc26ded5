//! The servers the recordable fixture vendors' endpoints need, on fixed loopback addresses
//! (127.77.x.y, ports 8443/8080, as their manifests pin them): rustls HTTPS servers with
//! scripted HTTP answers (and an OCSP response made by `openssl ocsp`), `openssl s_server` for
//! legacy TLS, plain-HTTP servers, and a "front" that answers the ClientHellos Debian's OpenSSL
//! cannot (SSL 3.0, RC4, 3DES, X25519MLKEM768) with a scripted reply and hands every other
//! connection to the real server behind it. Certificates are made at record time with rcgen,
//! dated relative to the fixed `as_of` so the recorded facts do not depend on the day.

use crate::endpoint::openssl;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub use crate::endpoint::servers::{Hello, alert, parse_hello, server_hello};

/// Everything started for one vendor; dropping it stops the servers.
#[derive(Default)]
pub struct Peers {
    /// `openssl s_server` children: killed (with their process group) when dropped.
    children: Vec<crate::endpoint::servers::Owned>,
    stop: Arc<AtomicBool>,
    listeners: Vec<SocketAddr>,
}

impl Drop for Peers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for a in &self.listeners {
            let _ = TcpStream::connect_timeout(a, Duration::from_millis(200));
        }
        self.children.clear();
    }
}

/// Sets a certificate's validity (rcgen's `time` type is not named here).
fn set_dates(p: &mut CertificateParams, from: NaiveDate, to: NaiveDate) {
    p.not_before = date_time_ymd(from.year(), from.month() as u8, from.day() as u8);
    p.not_after = date_time_ymd(to.year(), to.month() as u8, to.day() as u8);
}

/// Key algorithm of a leaf.
#[derive(Clone, Copy)]
pub enum Key {
    Ecdsa,
    /// RSA 2048, made by `openssl genpkey` (ring cannot generate RSA keys).
    Rsa,
}

/// A certificate and key, as DER and as files (for `openssl s_server`).
pub struct Cert {
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
}

pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    pub pem: PathBuf,
    dir: PathBuf,
}

impl Ca {
    pub fn new(dir: &Path, as_of: NaiveDate) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name
            .push(DnType::CommonName, "vetter fixture CA (not a real CA)");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        set_dates(&mut p, as_of - chrono::Days::new(900), as_of + chrono::Days::new(3650));
        let issuer = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
        let pem = dir.join("fixture-ca.pem");
        std::fs::write(&pem, issuer.pem()).unwrap();
        std::fs::write(dir.join("fixture-ca.key"), issuer.key().serialize_pem()).unwrap();
        Ca {
            issuer,
            pem,
            dir: dir.to_path_buf(),
        }
    }

    /// A leaf for `names`, valid from/to the given dates; `signed` false makes it self-signed.
    pub fn leaf(&self, tag: &str, names: &[&str], from: NaiveDate, to: NaiveDate, key: Key, signed: bool) -> Cert {
        let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        set_dates(&mut p, from, to);
        let kp = match key {
            Key::Ecdsa => KeyPair::generate().unwrap(),
            Key::Rsa => {
                let o = Command::new("openssl")
                    .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
                    .output()
                    .expect("openssl runs");
                assert!(o.status.success(), "openssl genpkey failed");
                KeyPair::from_pkcs8_pem_and_sign_algo(&String::from_utf8_lossy(&o.stdout), &rcgen::PKCS_RSA_SHA256)
                    .unwrap()
            }
        };
        let cert = if signed {
            p.signed_by(&kp, &self.issuer).unwrap()
        } else {
            p.self_signed(&kp).unwrap()
        };
        let cert_pem = self.dir.join(format!("{tag}.pem"));
        let key_pem = self.dir.join(format!("{tag}.key"));
        std::fs::write(&cert_pem, cert.pem()).unwrap();
        std::fs::write(&key_pem, kp.serialize_pem()).unwrap();
        Cert {
            cert_der: cert.der().to_vec(),
            key_der: kp.serialize_der(),
            cert_pem,
            key_pem,
        }
    }

    /// A "good" OCSP response for `leaf`, signed by this CA with `openssl ocsp`.
    pub fn ocsp_response(&self, tag: &str, leaf: &Cert) -> Vec<u8> {
        let d = &self.dir;
        let serial = openssl(
            d,
            &["x509", "-in", leaf.cert_pem.to_str().unwrap(), "-noout", "-serial"],
        );
        let serial = serial.trim().trim_start_matches("serial=");
        let index = d.join(format!("{tag}-index.txt"));
        std::fs::write(&index, format!("V\t350101000000Z\t\t{serial}\tunknown\t/CN={tag}\n")).unwrap();
        let req = format!("{tag}-req.der");
        let resp = format!("{tag}-resp.der");
        let cert = leaf.cert_pem.to_str().unwrap();
        openssl(
            d,
            &[
                "ocsp",
                "-issuer",
                "fixture-ca.pem",
                "-cert",
                cert,
                "-no_nonce",
                "-reqout",
                &req,
            ],
        );
        openssl(
            d,
            &[
                "ocsp",
                "-index",
                index.to_str().unwrap(),
                "-rsigner",
                "fixture-ca.pem",
                "-rkey",
                "fixture-ca.key",
                "-CA",
                "fixture-ca.pem",
                "-reqin",
                &req,
                "-respout",
                &resp,
                "-ndays",
                "7",
            ],
        );
        std::fs::read(d.join(resp)).unwrap()
    }
}

/// A rustls server configuration for `cert` speaking `versions`, optionally stapling `ocsp`.
pub fn tls_config(
    cert: &Cert,
    versions: &[&'static rustls::SupportedProtocolVersion],
    ocsp: Option<Vec<u8>>,
) -> Arc<rustls::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let b = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth();
    let chain = vec![CertificateDer::from(cert.cert_der.clone())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_der.clone()));
    let cfg = match ocsp {
        Some(o) => b.with_single_cert_with_ocsp(chain, key, o).unwrap(),
        None => b.with_single_cert(chain, key).unwrap(),
    };
    Arc::new(cfg)
}

/// An HTTP request head as the handler sees it.
pub struct Req {
    pub path: String,
    pub host: String,
    head: String,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

pub type Handler = Arc<dyn Fn(&Req) -> Vec<u8> + Send + Sync>;
/// A front's scripted answer to a ClientHello, or None to relay it to the real server.
pub type Script = Arc<dyn Fn(&Hello) -> Option<Vec<u8>> + Send + Sync>;

/// The Certificate and ServerHelloDone records a TLS ≤ 1.2 server sends after its ServerHello.
pub fn certificate_flight(version: u16, cert_der: &[u8]) -> Vec<u8> {
    let n = cert_der.len();
    let mut list = vec![(n >> 16) as u8, (n >> 8) as u8, n as u8];
    list.extend_from_slice(cert_der);
    let l = list.len();
    let mut body = vec![(l >> 16) as u8, (l >> 8) as u8, l as u8];
    body.extend_from_slice(&list);
    let mut hs = vec![
        11u8,
        (body.len() >> 16) as u8,
        (body.len() >> 8) as u8,
        body.len() as u8,
    ];
    hs.extend_from_slice(&body);
    hs.extend_from_slice(&[14, 0, 0, 0]);
    let mut rec = vec![22u8, 3, (version & 0xff).min(3) as u8];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

pub use crate::endpoint::servers::response;

fn read_req(s: &mut impl Read) -> Option<Req> {
    let mut r = BufReader::new(s.take(64 * 1024));
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        head.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut req = Req {
        path,
        host: String::new(),
        head,
    };
    req.host = req
        .header("host")
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("")
        .to_string();
    Some(req)
}

impl Peers {
    fn listen(&mut self, addr: &str, serve: impl Fn(TcpStream) + Send + Sync + 'static) {
        let l = bind(addr);
        self.listeners.push(l.local_addr().unwrap());
        let stop = self.stop.clone();
        let serve = Arc::new(serve);
        std::thread::spawn(move || {
            for s in l.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(s) = s else { continue };
                let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = s.set_write_timeout(Some(Duration::from_secs(5)));
                let serve = serve.clone();
                std::thread::spawn(move || serve(s));
            }
        });
    }

    /// A rustls HTTPS server on `addr` answering each request with `handler`.
    pub fn https(&mut self, addr: &str, cfg: Arc<rustls::ServerConfig>, handler: Handler) {
        self.listen(addr, move |sock| {
            let Ok(conn) = rustls::ServerConnection::new(cfg.clone()) else {
                return;
            };
            let mut tls = rustls::StreamOwned::new(conn, sock);
            let Some(req) = read_req(&mut tls) else { return };
            let _ = tls.write_all(&handler(&req));
            tls.conn.send_close_notify();
            let _ = tls.flush();
        });
    }

    /// A plain-HTTP server on `addr`.
    pub fn http(&mut self, addr: &str, handler: Handler) {
        self.listen(addr, move |mut sock| {
            let Some(req) = read_req(&mut sock) else { return };
            let _ = sock.write_all(&handler(&req));
            let _ = sock.flush();
            let _ = sock.shutdown(Shutdown::Both);
        });
    }

    /// `openssl s_server -WWW` on `addr` (files served from `www`), killed on drop.
    pub fn s_server(&mut self, addr: &str, cert: &Cert, www: &Path, args: &[&str]) {
        // Something else on the address (a server another run left behind) would answer in
        // place of this one and the recording would describe it instead.
        assert!(
            TcpStream::connect(addr).is_err(),
            "{addr} is already taken by another process: stop it and record again"
        );
        let mut cmd = Command::new("openssl");
        cmd.args(["s_server", "-accept", addr, "-WWW", "-quiet"])
            .arg("-cert")
            .arg(&cert.cert_pem)
            .arg("-key")
            .arg(&cert.key_pem)
            .args(args)
            .current_dir(www)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Owned: no `timeout` wrapper (killing the wrapper left openssl running, parent 1).
        let child =
            crate::endpoint::servers::Owned::spawn(&mut cmd).expect("openssl is installed (scripts/test installs it)");
        self.children.push(child);
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            let c = &mut self.children.last_mut().unwrap().child;
            if let Ok(Some(_)) = c.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = c.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("openssl s_server on {addr} {args:?} did not start: {err}");
            }
            assert!(Instant::now() < until, "openssl s_server on {addr} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A front on `addr`: `script` may answer a ClientHello itself (a recorded-style reply for
    /// what the real server cannot serve); every other connection is relayed to `backend`.
    pub fn front(&mut self, addr: &str, backend: &str, script: Script) {
        let backend: SocketAddr = backend.parse().unwrap();
        self.listen(addr, move |mut client| {
            let mut head = [0u8; 5];
            if client.read_exact(&mut head).is_err() {
                return;
            }
            let len = u16::from_be_bytes([head[3], head[4]]) as usize;
            let mut rec = vec![0u8; len];
            if client.read_exact(&mut rec).is_err() {
                return;
            }
            if head[0] == 22
                && rec.first() == Some(&1)
                && rec.len() > 4
                && let Some(reply) =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| script(&parse_hello(&rec[4..]))))
                        .ok()
                        .flatten()
            {
                let _ = client.write_all(&reply);
                let _ = client.flush();
                std::thread::sleep(Duration::from_millis(50));
                return;
            }
            let Ok(mut up) = TcpStream::connect_timeout(&backend, Duration::from_secs(2)) else {
                return;
            };
            let _ = up.write_all(&head);
            let _ = up.write_all(&rec);
            relay(client, up);
        });
    }
}

/// Copies bytes both ways until either side closes.
fn relay(a: TcpStream, b: TcpStream) {
    let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let (mut a, mut b) = (a, b);
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a2, &mut b2);
        let _ = b2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut b, &mut a);
    let _ = a.shutdown(Shutdown::Write);
    let _ = t.join();
}

fn bind(addr: &str) -> TcpListener {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpListener::bind(addr) {
            Ok(l) => return l,
            Err(e) if Instant::now() < until => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("cannot listen on {addr} (another recording running?): {e}"),
        }
    }
}
