//! ② ClientHello codec: builds a ClientHello for any version from SSL 3.0 to TLS 1.3 and reads
//! the server's first flight (ServerHello / HelloRetryRequest / Alert, and for TLS ≤ 1.2 the
//! plaintext Certificate, CertificateStatus and ServerKeyExchange). No crypto: acceptance is
//! decided from the ServerHello. Pure encode/decode here; the socket loop is in `wire.rs`.

/// Wire versions.
pub const SSL3: u16 = 0x0300;
pub const TLS10: u16 = 0x0301;
pub const TLS11: u16 = 0x0302;
pub const TLS12: u16 = 0x0303;
pub const TLS13: u16 = 0x0304;

const EXT_SNI: u16 = 0;
const EXT_STATUS_REQUEST: u16 = 5;
const EXT_GROUPS: u16 = 10;
const EXT_POINT_FORMATS: u16 = 11;
const EXT_SIG_ALGS: u16 = 13;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
const EXT_KEY_SHARE: u16 = 51;
const EXT_RENEGOTIATION_INFO: u16 = 0xff01;

/// The SHA-256 of "HelloRetryRequest": a ServerHello with this random is an HRR (RFC 8446 4.1.3).
const HRR_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11,
    0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Signature algorithms offered: every common one, so no server refuses for lack of one.
const SIG_ALGS: &[u16] = &[
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302,
    0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202,
];

/// What to put in one ClientHello.
#[derive(Debug, Clone)]
pub struct ClientHello {
    /// The `legacy_version` field (0x0303 for TLS 1.3, whose real version goes in supported_versions).
    pub version: u16,
    pub suites: Vec<u16>,
    pub sni: Option<String>,
    /// supported_groups; empty: the extension is left out.
    pub groups: Vec<u16>,
    /// supported_versions; empty: the extension is left out (TLS ≤ 1.2).
    pub supported_versions: Vec<u16>,
    /// Ask for a stapled OCSP response.
    pub status_request: bool,
    /// signature_algorithms (TLS 1.2+); empty: every common one. Certificate enumeration
    /// narrows it so the server must present the certificate of one key type.
    pub sig_algs: Vec<u16>,
}

impl ClientHello {
    /// A hello for `version` with the given suites; TLS 1.3 gets supported_versions and an
    /// empty key_share, so a willing server answers with a HelloRetryRequest naming its group.
    pub fn new(version: u16, suites: Vec<u16>, sni: Option<&str>, groups: Vec<u16>) -> Self {
        let tls13 = version == TLS13;
        ClientHello {
            version: if tls13 { TLS12 } else { version },
            suites,
            sni: sni.map(str::to_string),
            groups,
            supported_versions: if tls13 { vec![TLS13] } else { vec![] },
            status_request: false,
            sig_algs: Vec::new(),
        }
    }

    /// The whole TLS record carrying this hello. `random` is the client random.
    pub fn encode(&self, random: [u8; 32]) -> Vec<u8> {
        let mut body = Vec::with_capacity(512);
        put_u16(&mut body, self.version);
        body.extend_from_slice(&random);
        body.push(0); // empty session id
        put_u16(&mut body, (self.suites.len() * 2) as u16);
        for s in &self.suites {
            put_u16(&mut body, *s);
        }
        body.extend_from_slice(&[1, 0]); // compression: null only
        // SSL 3.0 servers may choke on extensions; everything later expects them.
        if self.version > SSL3 {
            let ext = self.extensions();
            put_u16(&mut body, ext.len() as u16);
            body.extend_from_slice(&ext);
        }
        let mut hs = vec![1u8]; // client_hello
        put_u24(&mut hs, body.len());
        hs.extend_from_slice(&body);
        // Record version: 0x0301 for TLS (what browsers send; some servers reject higher), 0x0300 for SSL 3.0.
        let mut rec = vec![22u8];
        put_u16(&mut rec, if self.version == SSL3 { SSL3 } else { TLS10 });
        put_u16(&mut rec, hs.len() as u16);
        rec.extend_from_slice(&hs);
        rec
    }

    fn extensions(&self) -> Vec<u8> {
        let mut e = Vec::new();
        if let Some(host) = self.sni.as_deref().filter(|h| h.parse::<std::net::IpAddr>().is_err()) {
            let name = host.as_bytes();
            let mut d = Vec::new();
            put_u16(&mut d, (name.len() + 3) as u16);
            d.push(0);
            put_u16(&mut d, name.len() as u16);
            d.extend_from_slice(name);
            ext(&mut e, EXT_SNI, &d);
        }
        if self.status_request {
            ext(&mut e, EXT_STATUS_REQUEST, &[1, 0, 0, 0, 0]);
        }
        if !self.groups.is_empty() {
            let mut d = Vec::new();
            put_u16(&mut d, (self.groups.len() * 2) as u16);
            for g in &self.groups {
                put_u16(&mut d, *g);
            }
            ext(&mut e, EXT_GROUPS, &d);
            ext(&mut e, EXT_POINT_FORMATS, &[1, 0]);
        }
        if self.version >= TLS12 {
            let algs = if self.sig_algs.is_empty() {
                SIG_ALGS
            } else {
                &self.sig_algs[..]
            };
            let mut d = Vec::new();
            put_u16(&mut d, (algs.len() * 2) as u16);
            for s in algs {
                put_u16(&mut d, *s);
            }
            ext(&mut e, EXT_SIG_ALGS, &d);
        }
        if !self.supported_versions.is_empty() {
            let mut d = vec![(self.supported_versions.len() * 2) as u8];
            for v in &self.supported_versions {
                put_u16(&mut d, *v);
            }
            ext(&mut e, EXT_SUPPORTED_VERSIONS, &d);
            ext(&mut e, EXT_KEY_SHARE, &[0, 0]); // no shares: ask for a retry naming the group
        }
        ext(&mut e, EXT_RENEGOTIATION_INFO, &[0]);
        e
    }
}

fn put_u16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}
fn put_u24(v: &mut Vec<u8>, x: usize) {
    v.extend_from_slice(&[(x >> 16) as u8, (x >> 8) as u8, x as u8]);
}
fn ext(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    put_u16(out, kind);
    put_u16(out, data.len() as u16);
    out.extend_from_slice(data);
}

/// The parts of a ServerHello (or HelloRetryRequest) the probe needs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerHello {
    /// Negotiated version: supported_versions when present, else the legacy field.
    pub version: u16,
    pub cipher: u16,
    pub retry_request: bool,
    /// The group from key_share (TLS 1.3) or the ServerKeyExchange (ECDHE, TLS ≤ 1.2).
    pub group: Option<u16>,
    /// The server agreed to staple OCSP (status_request echoed).
    pub status_request: bool,
    /// DER certificates from a TLS ≤ 1.2 Certificate message, leaf first.
    pub certificates: Vec<Vec<u8>>,
    /// A CertificateStatus message was sent.
    pub ocsp_stapled: bool,
}

/// The server's answer to a ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Hello(ServerHello),
    /// A TLS alert: (level, description).
    Alert(u8, u8),
}

/// Incremental parser of the server's first flight: feed bytes, ask whether it is done.
#[derive(Debug, Default)]
pub struct FlightParser {
    buf: Vec<u8>,
    handshake: Vec<u8>,
    hello: Option<ServerHello>,
    /// Read past the ServerHello up to ServerHelloDone (certificate, status, key exchange).
    pub want_rest: bool,
    done: bool,
    alert: Option<(u8, u8)>,
}

/// The bytes are not TLS, or break its framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Garbage(pub String);

impl FlightParser {
    pub fn new(want_rest: bool) -> Self {
        FlightParser {
            want_rest,
            ..Default::default()
        }
    }

    /// Add bytes; returns Ok(Some(reply)) once the answer is complete.
    pub fn feed(&mut self, data: &[u8]) -> Result<Option<Reply>, Garbage> {
        self.buf.extend_from_slice(data);
        loop {
            if self.buf.len() < 5 {
                break;
            }
            let (ct, major, len) = (
                self.buf[0],
                self.buf[1],
                u16::from_be_bytes([self.buf[3], self.buf[4]]) as usize,
            );
            if !(20..=23).contains(&ct) || major != 3 || len > 18_432 {
                return Err(Garbage(describe_garbage(&self.buf)));
            }
            if self.buf.len() < 5 + len {
                break;
            }
            let rec: Vec<u8> = self.buf.drain(..5 + len).skip(5).collect();
            match ct {
                21 if self.hello.is_none() => {
                    if rec.len() < 2 {
                        return Err(Garbage("a truncated TLS alert".into()));
                    }
                    self.alert = Some((rec[0], rec[1]));
                    self.done = true;
                }
                21 => self.done = true, // an alert after the ServerHello ends the flight
                22 => {
                    self.handshake.extend_from_slice(&rec);
                    self.parse_handshake()?;
                }
                20 | 23 => self.done = true, // encrypted part of the flight: nothing more in the clear
                _ => {}
            }
            if self.done {
                break;
            }
        }
        if self.done
            && let Some((l, d)) = self.alert
        {
            return Ok(Some(Reply::Alert(l, d)));
        }
        if self.done || (!self.want_rest && self.hello.is_some()) {
            return Ok(self.hello.clone().map(Reply::Hello));
        }
        Ok(None)
    }

    /// The answer so far, when the connection ended early (e.g. closed after the ServerHello).
    pub fn partial(&self) -> Option<Reply> {
        self.hello.clone().map(Reply::Hello)
    }

    fn parse_handshake(&mut self) -> Result<(), Garbage> {
        while self.handshake.len() >= 4 {
            let len =
                ((self.handshake[1] as usize) << 16) | ((self.handshake[2] as usize) << 8) | self.handshake[3] as usize;
            if len > 1 << 20 {
                return Err(Garbage("a handshake message over 1 MiB".into()));
            }
            if self.handshake.len() < 4 + len {
                return Ok(());
            }
            let kind = self.handshake[0];
            let body: Vec<u8> = self.handshake.drain(..4 + len).skip(4).collect();
            match kind {
                2 => {
                    let h = parse_server_hello(&body).ok_or_else(|| Garbage("a malformed ServerHello".into()))?;
                    // TLS 1.3 and retries: everything after is encrypted or a new round.
                    if h.version >= TLS13 || h.retry_request {
                        self.done = true;
                    }
                    self.hello = Some(h);
                }
                11 => {
                    if let Some(h) = self.hello.as_mut() {
                        h.certificates = parse_certificates(&body).unwrap_or_default();
                    }
                }
                22 => {
                    if let Some(h) = self.hello.as_mut() {
                        h.ocsp_stapled = true;
                    }
                }
                12 => {
                    // ECDHE ServerKeyExchange: curve_type 3 (named_curve), then the group.
                    if let Some(h) = self.hello.as_mut()
                        && body.len() >= 3
                        && body[0] == 3
                    {
                        h.group = Some(u16::from_be_bytes([body[1], body[2]]));
                    }
                }
                14 => self.done = true,
                _ => {}
            }
            if self.done {
                return Ok(());
            }
        }
        Ok(())
    }
}

fn describe_garbage(buf: &[u8]) -> String {
    if buf.starts_with(b"HTTP/") {
        "the server answered in plain HTTP, not TLS".into()
    } else if buf.starts_with(b"SSH-") {
        "the server speaks SSH, not TLS".into()
    } else {
        format!(
            "the server's answer is not TLS (first bytes {})",
            hex::encode(&buf[..buf.len().min(8)])
        )
    }
}

/// Reads a u16-length-prefixed cursor.
struct Cur<'a>(&'a [u8]);
impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| ((b[0] as usize) << 16) | ((b[1] as usize) << 8) | b[2] as usize)
    }
}

/// Parses a ServerHello body (after the 4-byte handshake header).
pub fn parse_server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut c = Cur(body);
    let legacy = c.u16()?;
    let random = c.take(32)?;
    let sid_len = c.u8()? as usize;
    c.take(sid_len)?;
    let cipher = c.u16()?;
    c.u8()?; // compression
    let mut h = ServerHello {
        version: legacy,
        cipher,
        retry_request: random == HRR_RANDOM,
        ..Default::default()
    };
    if let Some(ext_len) = c.u16() {
        let mut e = Cur(c.take(ext_len as usize)?);
        while let Some(kind) = e.u16() {
            let len = e.u16()? as usize;
            let data = e.take(len)?;
            match kind {
                EXT_SUPPORTED_VERSIONS if data.len() >= 2 => h.version = u16::from_be_bytes([data[0], data[1]]),
                // ServerHello: group + share; HRR: the group alone.
                EXT_KEY_SHARE if data.len() >= 2 => h.group = Some(u16::from_be_bytes([data[0], data[1]])),
                EXT_STATUS_REQUEST => h.status_request = true,
                _ => {}
            }
        }
    }
    Some(h)
}

fn parse_certificates(body: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut c = Cur(body);
    let total = c.u24()?;
    let mut list = Cur(c.take(total)?);
    let mut out = Vec::new();
    while let Some(len) = list.u24() {
        out.push(list.take(len)?.to_vec());
    }
    Some(out)
}

/// The alert description's name, for evidence.
pub fn alert_name(desc: u8) -> &'static str {
    match desc {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        47 => "illegal_parameter",
        50 => "decode_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        86 => "inappropriate_fallback",
        109 => "missing_extension",
        110 => "unsupported_extension",
        112 => "unrecognized_name",
        _ => "other",
    }
}

#[cfg(test)]
mod tests;
