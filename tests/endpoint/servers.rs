//! Loopback peers for the endpoint tests: `openssl s_server` children, a scripted TLS responder,
//! a rustls HTTPS server with scripted behaviour, and hostile raw TCP servers. Certificates are
//! made at test time with rcgen.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, date_time_ymd};

/// A CA and files for one leaf certificate it (or nobody) signed.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca_pem: PathBuf,
    ca: CertifiedIssuer<'static, KeyPair>,
}

pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub cert_der: Vec<u8>,
    pub key_der: Vec<u8>,
}

pub enum Kind {
    /// Signed by the test CA.
    Signed,
    SelfSigned,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, "vetter test CA");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.not_before = date_time_ymd(2020, 1, 1);
        p.not_after = date_time_ymd(2040, 1, 1);
        let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
        let ca_pem = dir.path().join("ca.pem");
        std::fs::write(&ca_pem, ca.pem()).unwrap();
        Pki { dir, ca_pem, ca }
    }

    /// The CA's private key (PEM), for tools that sign as the CA (e.g. `openssl ocsp`).
    pub fn ca_key_pem(&self) -> String {
        self.ca.key().serialize_pem()
    }

    /// A leaf for `names`, valid between the two dates (y, m, d).
    pub fn leaf(&self, tag: &str, names: &[&str], from: (i32, u8, u8), to: (i32, u8, u8), kind: Kind) -> Leaf {
        self.leaf_keyed(tag, names, from, to, kind, KeyPair::generate().unwrap())
    }

    /// A leaf as [`Pki::leaf`] on a given key (RSA from [`rsa_key`], Ed25519, ...).
    pub fn leaf_keyed(
        &self,
        tag: &str,
        names: &[&str],
        from: (i32, u8, u8),
        to: (i32, u8, u8),
        kind: Kind,
        key: KeyPair,
    ) -> Leaf {
        let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
        p.distinguished_name.push(DnType::CommonName, names[0]);
        p.not_before = date_time_ymd(from.0, from.1, from.2);
        p.not_after = date_time_ymd(to.0, to.1, to.2);
        let cert = match kind {
            Kind::SelfSigned => p.self_signed(&key).unwrap(),
            Kind::Signed => p.signed_by(&key, &self.ca).unwrap(),
        };
        let cp = self.dir.path().join(format!("{tag}.pem"));
        let kp = self.dir.path().join(format!("{tag}.key"));
        std::fs::write(&cp, cert.pem()).unwrap();
        std::fs::write(&kp, key.serialize_pem()).unwrap();
        Leaf {
            cert: cp,
            key: kp,
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }
}

/// A fresh 2048-bit RSA key (ring, under rcgen, signs with RSA keys but cannot make them).
pub fn rsa_key() -> KeyPair {
    openssl_key(&["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
}

/// A fresh Ed25519 key, made by openssl (OpenSSL 3.0 cannot read ring's PKCS#8 v2 Ed25519 keys).
pub fn ed25519_key() -> KeyPair {
    openssl_key(&["-algorithm", "ED25519"])
}

fn openssl_key(args: &[&str]) -> KeyPair {
    let o = Command::new("openssl")
        .arg("genpkey")
        .args(args)
        .output()
        .expect("openssl genpkey runs");
    assert!(
        o.status.success(),
        "openssl genpkey: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    KeyPair::from_pem(&String::from_utf8(o.stdout).unwrap()).unwrap()
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A server process a test started: in a process group of its own, killed (the whole group)
/// on drop — also when the test panics — and by the kernel when the thread that started it
/// ends (PR_SET_PDEATHSIG), so no server outlives the test that owns it, even if the test
/// binary is killed.
pub struct Owned {
    pub child: Child,
}

impl Owned {
    pub fn spawn(cmd: &mut Command) -> std::io::Result<Owned> {
        use std::os::unix::process::CommandExt;
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::setpgid(0, 0);
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        cmd.spawn().map(|child| Owned { child })
    }

    /// Stderr so far, after the process ended (for a start-up failure message).
    pub fn stderr(&mut self) -> String {
        let _ = self.child.kill();
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        let _ = self.child.wait();
        err
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child's process group.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `make(port)` on free loopback ports until one listens (another test may take a
/// port between the check and the bind).
pub fn start_on_free_port(what: &str, mut make: impl FnMut(u16) -> Command) -> (Owned, u16) {
    let mut last = String::new();
    for _ in 0..5 {
        let port = free_port();
        let mut cmd = make(port);
        cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut p =
            Owned::spawn(&mut cmd).unwrap_or_else(|e| panic!("{what} could not start (scripts/test installs it): {e}"));
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (p, port);
            }
            if let Ok(Some(_)) = p.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        last = p.stderr();
        if !last.contains("in use") {
            panic!("{what} did not start: {last}");
        }
    }
    panic!("no free port for {what}: {last}");
}

/// An `openssl s_server` child on a loopback port; killed on drop.
pub struct SServer {
    _proc: Owned,
    pub port: u16,
}

impl SServer {
    pub fn start(leaf: &Leaf, args: &[&str]) -> SServer {
        Self::start_mode(leaf, "-www", args)
    }

    /// As [`SServer::start`] in another answering mode: `-www` (a status page over HTTP),
    /// `-rev` (each line sent back reversed: TLS works, HTTP does not).
    pub fn start_mode(leaf: &Leaf, mode: &str, args: &[&str]) -> SServer {
        Self::start_in(leaf, mode, args, None)
    }

    /// As [`SServer::start_mode`], in directory `dir` (where `-WWW` and `-HTTP` find the files
    /// they serve; `-HTTP` sends each file as the whole response, headers included).
    pub fn start_in(leaf: &Leaf, mode: &str, args: &[&str], dir: Option<&std::path::Path>) -> SServer {
        let (p, port) = start_on_free_port("openssl s_server", |port| {
            let mut c = Command::new("openssl");
            if let Some(d) = dir {
                c.current_dir(d);
            }
            c.args(["s_server", "-accept", &format!("127.0.0.1:{port}"), mode, "-quiet"])
                .arg("-cert")
                .arg(&leaf.cert)
                .arg("-key")
                .arg(&leaf.key)
                .args(args);
            c
        });
        SServer { _proc: p, port }
    }
}

/// lighttpd with one TLS module (`mod_wolfssl`, `mod_mbedtls`, `mod_openssl`) on a loopback
/// port, with the test CA as its CA file (mod_wolfssl breaks the handshake of every client
/// that asks for OCSP stapling, as browsers and rustls do, when its own chain does not verify
/// against its CA store), `extra` appended to its configuration; killed on drop.
pub struct Lighttpd {
    _proc: Owned,
    _dir: tempfile::TempDir,
    pub port: u16,
}

impl Lighttpd {
    pub fn start(pki: &Pki, leaf: &Leaf, module: &str, extra: &str) -> Lighttpd {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "ok\n").unwrap();
        let d = dir.path().to_path_buf();
        let (p, port) = start_on_free_port(&format!("lighttpd {module}"), |port| {
            let conf = d.join("lighttpd.conf");
            std::fs::write(
                &conf,
                format!(
                    "server.document-root = \"{root}\"\nserver.bind = \"127.0.0.1\"\nserver.port = {port}\n\
                     server.modules += (\"{module}\")\nssl.engine = \"enable\"\n\
                     ssl.pemfile = \"{cert}\"\nssl.privkey = \"{key}\"\nssl.ca-file = \"{ca}\"\n{extra}\n",
                    root = d.display(),
                    cert = leaf.cert.display(),
                    ca = pki.ca_pem.display(),
                    key = leaf.key.display(),
                ),
            )
            .unwrap();
            let mut c = Command::new("lighttpd");
            c.arg("-D").arg("-f").arg(&conf);
            c
        });
        Lighttpd {
            _proc: p,
            _dir: dir,
            port,
        }
    }
}

/// A raw TCP server: each connection is handed to `handle` on its own thread.
pub fn raw_server(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let handle = Arc::new(handle);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let h = handle.clone();
            std::thread::spawn(move || h(s));
        }
    });
    port
}

/// Reads one TLS record (a ClientHello) and returns its handshake body.
pub fn read_client_hello(s: &mut TcpStream) -> Option<Vec<u8>> {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut head = [0u8; 5];
    s.read_exact(&mut head).ok()?;
    let len = u16::from_be_bytes([head[3], head[4]]) as usize;
    let mut rec = vec![0u8; len];
    s.read_exact(&mut rec).ok()?;
    Some(rec[4..].to_vec())
}

/// The fields of a ClientHello a scripted responder decides on.
#[derive(Debug, Default)]
pub struct Hello {
    pub version: u16,
    pub suites: Vec<u16>,
    pub groups: Vec<u16>,
    pub supported_versions: Vec<u16>,
    /// signature_algorithms.
    pub sig_algs: Vec<u16>,
}

pub fn parse_hello(b: &[u8]) -> Hello {
    let mut h = Hello {
        version: u16::from_be_bytes([b[0], b[1]]),
        ..Default::default()
    };
    let mut i = 2 + 32;
    i += 1 + b[i] as usize;
    let sl = u16::from_be_bytes([b[i], b[i + 1]]) as usize;
    h.suites = b[i + 2..i + 2 + sl]
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    i += 2 + sl;
    i += 1 + b[i] as usize;
    if i + 2 > b.len() {
        return h;
    }
    let end = i + 2 + u16::from_be_bytes([b[i], b[i + 1]]) as usize;
    i += 2;
    while i + 4 <= end {
        let kind = u16::from_be_bytes([b[i], b[i + 1]]);
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        let d = &b[i + 4..i + 4 + len];
        match kind {
            10 => h.groups = d[2..].chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect(),
            13 => h.sig_algs = d[2..].chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect(),
            43 => h.supported_versions = d[1..].chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect(),
            _ => {}
        }
        i += 4 + len;
    }
    h
}

/// A ServerHello record (TLS ≤ 1.2 shape, or a HelloRetryRequest when `hrr_group` is set).
pub fn server_hello(version: u16, suite: u16, hrr_group: Option<u16>) -> Vec<u8> {
    let mut body = Vec::new();
    let random: [u8; 32] = if hrr_group.is_some() {
        [
            0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2,
            0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
        ]
    } else {
        [0x42; 32]
    };
    body.extend_from_slice(&(if hrr_group.is_some() { 0x0303 } else { version }).to_be_bytes());
    body.extend_from_slice(&random);
    body.push(0);
    body.extend_from_slice(&suite.to_be_bytes());
    body.push(0);
    if let Some(g) = hrr_group {
        let mut ext = Vec::new();
        ext.extend_from_slice(&[0, 43, 0, 2, 3, 4]);
        ext.extend_from_slice(&[0, 51, 0, 2]);
        ext.extend_from_slice(&g.to_be_bytes());
        body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        body.extend_from_slice(&ext);
    }
    let mut hs = vec![2u8, 0, (body.len() >> 8) as u8, body.len() as u8];
    hs.extend_from_slice(&body);
    let mut rec = vec![22u8, 3, (version & 0xff).min(3) as u8];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

pub fn alert(desc: u8) -> Vec<u8> {
    vec![21, 3, 3, 0, 2, 2, desc]
}

/// What the scripted HTTPS server does with one request.
pub enum Act {
    Respond(Vec<u8>),
    /// Send these bytes one per `gap`.
    Drip(Vec<u8>, Duration),
    /// Send the head, then body bytes until the client goes away.
    Endless(Vec<u8>),
    /// Send the head at once, then one body byte per `gap` (every read succeeds in time).
    Trickle(Vec<u8>, Duration),
}

/// A rustls HTTPS server on loopback; `handler` gets the request head (text).
pub fn https_server(leaf: &Leaf, handler: impl Fn(&str) -> Act + Send + Sync + 'static) -> u16 {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_der.clone())),
        )
        .unwrap();
    let config = Arc::new(config);
    let handler = Arc::new(handler);
    raw_server(move |sock| {
        let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
            return;
        };
        let _ = sock.set_read_timeout(Some(Duration::from_secs(20)));
        let mut tls = rustls::StreamOwned::new(conn, sock);
        if serve(&mut tls, &*handler) {
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    })
}

/// An OpenSSL HTTPS server on loopback that speaks TLS 1.0 only (as a legacy appliance does),
/// with the scripted behaviour of [`https_server`].
pub fn tls10_https_server(leaf: &Leaf, handler: impl Fn(&str) -> Act + Send + Sync + 'static) -> u16 {
    use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod, SslVersion};
    let mut b = SslAcceptor::mozilla_intermediate(SslMethod::tls()).unwrap();
    b.set_security_level(0);
    b.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
    b.set_min_proto_version(Some(SslVersion::TLS1)).unwrap();
    b.set_max_proto_version(Some(SslVersion::TLS1)).unwrap();
    b.set_certificate_chain_file(&leaf.cert).unwrap();
    b.set_private_key_file(&leaf.key, SslFiletype::PEM).unwrap();
    let acceptor = Arc::new(b.build());
    let handler = Arc::new(handler);
    raw_server(move |sock| {
        let _ = sock.set_read_timeout(Some(Duration::from_secs(20)));
        let Ok(mut tls) = acceptor.accept(sock) else {
            return;
        };
        if serve(&mut tls, &*handler) {
            let _ = tls.shutdown();
        }
    })
}

/// Reads one request head from `tls` and acts as `handler` says; true when the answer was
/// sent whole (the caller then closes the TLS session cleanly).
fn serve<S: Read + Write>(tls: &mut S, handler: &dyn Fn(&str) -> Act) -> bool {
    let mut head = Vec::new();
    {
        let mut r = BufReader::new(&mut *tls);
        loop {
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return false,
                Ok(_) => {}
            }
            head.extend_from_slice(line.as_bytes());
            if line == "\r\n" || head.len() > 64 * 1024 {
                break;
            }
        }
    }
    let req = String::from_utf8_lossy(&head).to_string();
    match handler(&req) {
        Act::Respond(b) => {
            let _ = tls.write_all(&b);
            let _ = tls.flush();
            return true;
        }
        Act::Drip(b, gap) => {
            for byte in b {
                if tls.write_all(&[byte]).and_then(|_| tls.flush()).is_err() {
                    return false;
                }
                std::thread::sleep(gap);
            }
        }
        Act::Trickle(h, gap) => {
            let _ = tls.write_all(&h).and_then(|_| tls.flush());
            let until = Instant::now() + Duration::from_secs(60);
            while Instant::now() < until && tls.write_all(b"{").and_then(|_| tls.flush()).is_ok() {
                std::thread::sleep(gap);
            }
        }
        Act::Endless(h) => {
            let _ = tls.write_all(&h);
            let chunk = vec![b'a'; 16 * 1024];
            let until = Instant::now() + Duration::from_secs(30);
            while Instant::now() < until && tls.write_all(&chunk).is_ok() {}
        }
    }
    false
}

/// A full HTTP/1.1 response with `Connection: close`.
pub fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
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

/// What [`hello_proxy`] does with one connection, decided on its ClientHello.
pub enum Hold {
    /// Relay it.
    Pass,
    /// Hold it this long without forwarding anything, then drop it (a stalling load
    /// balancer, or a packet filter that drops).
    Stall(Duration),
    /// Wait this long, then relay it (a slow path: every answer comes that much later).
    Delay(Duration),
}

/// A TCP proxy in front of `upstream` that reads each connection's first record and, when
/// `stall` says so for that ClientHello, holds the connection for `hold` without forwarding
/// anything; every other connection is relayed both ways.
pub fn stall_proxy(upstream: u16, hold: Duration, stall: impl Fn(&Hello) -> bool + Send + Sync + 'static) -> u16 {
    hello_proxy(upstream, move |h| if stall(h) { Hold::Stall(hold) } else { Hold::Pass })
}

/// A TCP proxy in front of `upstream` that reads each connection's first record and treats
/// the connection as `decide` says for that ClientHello (connections that open with anything
/// else are relayed).
pub fn hello_proxy(upstream: u16, decide: impl Fn(&Hello) -> Hold + Send + Sync + 'static) -> u16 {
    raw_server(move |mut client| {
        let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
        let mut head = [0u8; 5];
        if client.read_exact(&mut head).is_err() {
            return; // a bare connect (the probe's reachability check)
        }
        let mut rec = vec![0u8; u16::from_be_bytes([head[3], head[4]]) as usize];
        if client.read_exact(&mut rec).is_err() {
            return;
        }
        if head[0] == 22 && rec.len() > 4 && rec[0] == 1 {
            match decide(&parse_hello(&rec[4..])) {
                Hold::Pass => {}
                Hold::Stall(d) => {
                    std::thread::sleep(d);
                    return;
                }
                Hold::Delay(d) => std::thread::sleep(d),
            }
        }
        let Ok(mut up) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        if up.write_all(&head).and_then(|_| up.write_all(&rec)).is_err() {
            return;
        }
        let _ = client.set_read_timeout(None);
        let (Ok(mut c2), Ok(mut u2)) = (client.try_clone(), up.try_clone()) else {
            return;
        };
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut u2, &mut c2);
            let _ = c2.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut client, &mut up);
        let _ = up.shutdown(std::net::Shutdown::Write);
    })
}
