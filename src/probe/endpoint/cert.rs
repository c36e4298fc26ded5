//! ② Certificate facts: a full rustls handshake that records the chain and any stapled OCSP
//! response without rejecting anything, then validation apart from the handshake (webpki against
//! the platform roots plus `--ca-file`) and field parsing (x509-parser). An invalid certificate is
//! a finding, never a reason to stop. Network I/O in [`fetch_chain`]; the rest is pure.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{NaiveDate, TimeZone, Utc};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use x509_parser::prelude::*;

use super::wire::Target;
use crate::facts::CertFacts;

/// What a full handshake saw.
#[derive(Debug, Default, Clone)]
pub struct Captured {
    pub chain: Vec<Vec<u8>>,
    pub ocsp: Option<Vec<u8>>,
}

/// Records the chain and OCSP response; accepts everything (validation happens later, as facts).
#[derive(Debug)]
struct Recorder {
    seen: Arc<Mutex<Captured>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    /// The schemes offered in signature_algorithms when narrowed (certificate enumeration).
    schemes: Option<Vec<SignatureScheme>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut s) = self.seen.lock() {
            s.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.to_vec())
                .collect();
            s.ocsp = (!ocsp_response.is_empty()).then(|| ocsp_response.to_vec());
        }
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        let all = self.provider.signature_verification_algorithms.supported_schemes();
        match &self.schemes {
            Some(only) => all.into_iter().filter(|s| only.contains(s)).collect(),
            None => all,
        }
    }
}

/// A TLS 1.2/1.3 handshake with rustls that captures the chain; Err when it cannot complete
/// (legacy-only servers: the raw TLS ≤ 1.2 handshake supplies the chain then).
pub fn fetch_chain(t: &Target) -> Result<Captured, String> {
    handshake(t, None, false).map_err(|e| match e {
        Failure::Refused(s) | Failure::Stalled(s) => s,
    })
}

/// Why a handshake gave no chain: the server said no (it has no certificate for that offer),
/// or it did not answer in time (the enumeration is then cut short).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    Refused(String),
    Stalled(String),
}

/// One rustls handshake. `only13`: TLS 1.3 alone, with signature_algorithms narrowed to
/// `only13`'s schemes (rustls offers exactly what the verifier supports). `keep_partial`: a
/// chain the server presented counts even when the handshake fails after it (a certificate
/// whose CertificateVerify uses a scheme we did not offer was still presented).
fn handshake(t: &Target, only13: Option<&[SignatureScheme]>, keep_partial: bool) -> Result<Captured, Failure> {
    let refused = |e: String| Failure::Refused(e);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(Mutex::new(Captured::default()));
    let builder = match only13 {
        Some(_) => rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13]),
        None => rustls::ClientConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions(),
    };
    let config = builder
        .map_err(|e| refused(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Recorder {
            seen: seen.clone(),
            provider,
            schemes: only13.map(<[SignatureScheme]>::to_vec),
        }))
        .with_no_client_auth();
    let name = t.sni.clone().unwrap_or_else(|| t.addr.ip().to_string());
    let server_name = ServerName::try_from(name).map_err(|e| refused(e.to_string()))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server_name).map_err(|e| refused(e.to_string()))?;
    let now = Instant::now();
    let end = (now + t.timeout).min(t.deadline);
    if now >= end {
        return Err(Failure::Stalled("the host's time budget ran out".into()));
    }
    let stalled = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock | std::io::ErrorKind::ConnectionRefused
        )
    };
    let mut sock = TcpStream::connect_timeout(&t.addr, end - now).map_err(|e| match stalled(&e) {
        true => Failure::Stalled(format!("connect failed ({e})")),
        false => Failure::Refused(e.to_string()),
    })?;
    let captured = |seen: &Arc<Mutex<Captured>>| seen.lock().map(|c| c.clone()).unwrap_or_default();
    while conn.is_handshaking() {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::Stalled(no_answer(t)));
        }
        let _ = sock.set_read_timeout(Some(left));
        let _ = sock.set_write_timeout(Some(left));
        if let Err(e) = conn.complete_io(&mut sock) {
            let c = captured(&seen);
            if keep_partial && !c.chain.is_empty() {
                return Ok(c);
            }
            return Err(match stalled(&e) {
                true => Failure::Stalled(no_answer(t)),
                false => Failure::Refused(e.to_string()),
            });
        }
    }
    conn.send_close_notify();
    let _ = conn.write_tls(&mut sock);
    let _ = sock.flush();
    let _ = sock.read(&mut [0u8; 0]);
    let c = captured(&seen);
    if c.chain.is_empty() {
        return Err(Failure::Refused("no certificate received".into()));
    }
    Ok(c)
}

fn no_answer(t: &Target) -> String {
    if Instant::now() >= t.deadline {
        "the host's time budget ran out".into()
    } else {
        format!("no answer within {:.1} s", t.timeout.as_secs_f64())
    }
}

/// The key types a server may hold a certificate for, each asked for by its own handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Ecdsa,
    Rsa,
    Ed25519,
}

impl KeyKind {
    const ALL: [KeyKind; 3] = [KeyKind::Ecdsa, KeyKind::Rsa, KeyKind::Ed25519];

    /// TLS 1.3: the CertificateVerify schemes only a key of this type can make.
    fn schemes13(self) -> &'static [SignatureScheme] {
        use SignatureScheme::*;
        match self {
            KeyKind::Ecdsa => &[ECDSA_NISTP256_SHA256, ECDSA_NISTP384_SHA384, ECDSA_NISTP521_SHA512],
            KeyKind::Rsa => &[RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512],
            KeyKind::Ed25519 => &[ED25519],
        }
    }

    /// TLS 1.2 signature_algorithms code points of this key type (RFC 5246 7.4.1.4.1, RFC 8422, RFC 8446 4.2.3).
    fn sig_algs12(self) -> Vec<u16> {
        match self {
            KeyKind::Ecdsa => vec![0x0403, 0x0503, 0x0603, 0x0203],
            KeyKind::Rsa => vec![0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201],
            KeyKind::Ed25519 => vec![0x0807],
        }
    }

    fn label(self) -> &'static str {
        match self {
            KeyKind::Ecdsa => "ECDSA",
            KeyKind::Rsa => "RSA",
            KeyKind::Ed25519 => "Ed25519",
        }
    }

    /// TLS ≤ 1.2: the suites authenticated by a certificate of this type (EdDSA uses the ECDSA
    /// suites, RFC 8422 5.1.1), at most one hello's worth.
    fn suites12(self, version: u16) -> Vec<u16> {
        let rsa = ["TLS_RSA_", "TLS_DHE_RSA_", "TLS_ECDHE_RSA_", "TLS_SRP_SHA_RSA_"];
        super::ciphers::offer_list(version)
            .into_iter()
            .filter(|c| {
                super::ciphers::suite(*c).is_some_and(|s| match self {
                    KeyKind::Ecdsa | KeyKind::Ed25519 => s.name.contains("_ECDSA_"),
                    KeyKind::Rsa => rsa.iter().any(|p| s.name.starts_with(p)),
                })
            })
            .take(super::ciphers::BUNDLE)
            .collect()
    }
}

/// Every distinct chain the server presented, the primary first.
#[derive(Debug, Default)]
pub struct Presented {
    pub chains: Vec<Vec<Vec<u8>>>,
    /// Why the enumeration stopped before every handshake was answered: `chains` may then miss
    /// certificates and must not be reported as all of them.
    pub incomplete: Option<String>,
}

/// The SHA-256 fingerprint of a DER certificate, lower-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(der))
}

/// Asks for a certificate of each key type in turn — over TLS 1.3 by signature_algorithms
/// (`ecdsa_*`, `rsa_pss_*`, `ed25519`), over the newest accepted TLS ≤ 1.2 by the suites'
/// authentication and signature_algorithms — so a server holding, say, an ECDSA and an RSA
/// certificate must present each. Over TLS 1.3 an ECDSA certificate is asked for again with
/// the ECDSA schemes of the curves not yet shown (a server may hold one per curve). At most
/// eight handshakes (five over TLS 1.3, three below; one more than before for a server with
/// one ECDSA certificate); a stalled one is retried once, a second stall ends the enumeration
/// as incomplete.
pub fn enumerate(t: &Target, accepted: &[u16], primary: &[Vec<u8>]) -> Presented {
    use super::hello::{ClientHello, Reply, TLS12, TLS13};
    use super::wire::Outcome;
    let mut out = Presented {
        chains: vec![primary.to_vec()],
        incomplete: None,
    };
    let mut seen: Vec<String> = primary.first().map(|l| fingerprint(l)).into_iter().collect();
    let mut add = |chain: Vec<Vec<u8>>, out: &mut Presented| {
        if let Some(fp) = chain.first().map(|l| fingerprint(l))
            && !seen.contains(&fp)
        {
            seen.push(fp);
            out.chains.push(chain);
        }
    };
    if accepted.contains(&TLS13) {
        for kind in KeyKind::ALL {
            let mut r = handshake(t, Some(kind.schemes13()), true);
            if matches!(r, Err(Failure::Stalled(_))) {
                r = handshake(t, Some(kind.schemes13()), true);
            }
            match r {
                Ok(c) if kind == KeyKind::Ecdsa => {
                    // TLS 1.3 ECDSA schemes name the curve, and a server may hold an ECDSA
                    // certificate per curve (GnuTLS picks the P-384 one for a client offering
                    // only ecdsa_secp384r1_sha384): ask again without the curves already shown.
                    let mut curves: Vec<SignatureScheme> =
                        c.chain.first().and_then(|l| ecdsa_scheme(l)).into_iter().collect();
                    add(c.chain, &mut out);
                    while !curves.is_empty() {
                        let rest: Vec<SignatureScheme> = kind
                            .schemes13()
                            .iter()
                            .filter(|s| !curves.contains(s))
                            .copied()
                            .collect();
                        if rest.is_empty() {
                            break;
                        }
                        let mut r = handshake(t, Some(&rest), true);
                        if matches!(r, Err(Failure::Stalled(_))) {
                            r = handshake(t, Some(&rest), true);
                        }
                        match r {
                            Ok(c) => match c.chain.first().and_then(|l| ecdsa_scheme(l)) {
                                Some(s) if !curves.contains(&s) => {
                                    curves.push(s);
                                    add(c.chain, &mut out);
                                }
                                // The same curve again (a server with one ECDSA certificate
                                // that presents it anyway): there is no other.
                                _ => break,
                            },
                            Err(Failure::Refused(_)) => break,
                            Err(Failure::Stalled(why)) => {
                                out.incomplete =
                                    Some(format!("over TLS 1.3 (ECDSA signatures on other curves): {why}, twice"));
                                return out;
                            }
                        }
                    }
                }
                Ok(c) => add(c.chain, &mut out),
                Err(Failure::Refused(_)) => {}
                Err(Failure::Stalled(why)) => {
                    out.incomplete = Some(format!("over TLS 1.3 ({} signatures): {why}, twice", kind.label()));
                    return out;
                }
            }
        }
    }
    let Some(&ver) = accepted.iter().rev().find(|v| **v <= TLS12) else {
        return out;
    };
    for kind in KeyKind::ALL {
        // Before TLS 1.2 the suite alone picks the certificate, and there is no EdDSA.
        if ver < TLS12 && kind == KeyKind::Ed25519 {
            continue;
        }
        let suites = kind.suites12(ver);
        if suites.is_empty() {
            continue;
        }
        let mut h = ClientHello::new(ver, suites, t.sni.as_deref(), super::ciphers::all_groups());
        if ver == TLS12 {
            h.sig_algs = kind.sig_algs12();
        }
        let mut o = t.exchange(&h, true);
        if matches!(o, Outcome::Timeout | Outcome::ConnectFailed(_)) {
            o = t.exchange(&h, true);
        }
        match o {
            Outcome::Reply(Reply::Hello(sh)) if !sh.certificates.is_empty() => add(sh.certificates, &mut out),
            Outcome::Reply(_) | Outcome::Closed(_) => {}
            Outcome::Timeout => {
                let why = match Instant::now() >= t.deadline {
                    true => "the host's time budget ran out".to_string(),
                    false => format!("no answer within {:.1} s, twice", t.timeout.as_secs_f64()),
                };
                out.incomplete = Some(format!(
                    "over {} ({} suites): {why}",
                    super::tls_versions::name(ver),
                    kind.label()
                ));
                return out;
            }
            Outcome::ConnectFailed(e) | Outcome::Garbage(e) => {
                out.incomplete = Some(format!(
                    "over {} ({} suites): {e}",
                    super::tls_versions::name(ver),
                    kind.label()
                ));
                return out;
            }
        }
    }
    out
}

/// The TLS 1.3 scheme an ECDSA leaf signs with (its curve's), or None for other keys.
fn ecdsa_scheme(leaf: &[u8]) -> Option<SignatureScheme> {
    use x509_parser::public_key::PublicKey;
    let (_, c) = X509Certificate::from_der(leaf).ok()?;
    match c.public_key().parsed() {
        Ok(PublicKey::EC(p)) => match p.key_size() {
            256 => Some(SignatureScheme::ECDSA_NISTP256_SHA256),
            384 => Some(SignatureScheme::ECDSA_NISTP384_SHA384),
            521 => Some(SignatureScheme::ECDSA_NISTP521_SHA512),
            _ => None,
        },
        _ => None,
    }
}

/// Trust anchors: the platform's roots plus the PEM certificates in `ca_file`.
pub fn load_roots(ca_file: Option<&std::path::Path>) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut roots: Vec<CertificateDer<'static>> = rustls_native_certs::load_native_certs().certs;
    if let Some(p) = ca_file {
        let pem = crate::probe::input::read(p, crate::probe::input::Kind::CaFile, crate::probe::input::DEFAULT_WAIT)
            .map_err(|e| format!("cannot read --ca-file {}: {e}", p.display()))?;
        let before = roots.len();
        for item in x509_parser::pem::Pem::iter_from_buffer(&pem) {
            let item = item.map_err(|e| format!("--ca-file {}: not PEM: {e}", p.display()))?;
            if item.label == "CERTIFICATE" {
                roots.push(CertificateDer::from(item.contents));
            }
        }
        if roots.len() == before {
            return Err(format!("--ca-file {}: no CERTIFICATE in it", p.display()));
        }
    }
    Ok(roots)
}

/// The certificate facts for a chain (leaf first) presented for `host`, judged on `as_of`.
pub fn facts(chain: &[Vec<u8>], host: &str, roots: &[CertificateDer<'static>], as_of: NaiveDate) -> CertFacts {
    let Some(leaf_der) = chain.first() else {
        return CertFacts::default();
    };
    let Ok((_, leaf)) = X509Certificate::from_der(leaf_der) else {
        return CertFacts::default();
    };
    let nb = leaf.validity().not_before.timestamp();
    let na = leaf.validity().not_after.timestamp();
    let date = |ts: i64| Utc.timestamp_opt(ts, 0).single().map(|d| d.date_naive());
    let as_of_ts = as_of
        .and_hms_opt(12, 0, 0)
        .map(|d| d.and_utc().timestamp())
        .unwrap_or(0);
    let sans: Vec<String> = leaf
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|ext| {
            ext.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some(d.to_string()),
                    GeneralName::IPAddress(b) => ip_string(b),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let (key_type, key_bits) = key_info(&leaf);
    let self_signed = is_self_signed(&leaf);
    // The chain is validated at a moment inside the leaf's validity (expiry is judged by date
    // below); a leaf whose not-after precedes its not-before has no such moment, and is
    // validated at the run date, where it fails (a hostile server's certificate: `clamp`
    // would panic on it — fuzz finding `cert/inverted-validity`).
    let at = if nb <= na { as_of_ts.clamp(nb, na) } else { as_of_ts };
    let (trusted, hostname) = validate(chain, host, roots, at);
    CertFacts {
        sha256: Some(fingerprint(leaf_der)),
        subject: Some(leaf.subject().to_string()),
        issuer: Some(leaf.issuer().to_string()),
        sans: Some(sans),
        not_before: date(nb).map(|d| d.to_string()),
        not_after: date(na).map(|d| d.to_string()),
        days_to_expiry: date(na).map(|d| (d - as_of).num_days()),
        // By date: `--as-of` is a day, so a certificate is judged valid through its last day.
        expired: match (date(nb), date(na)) {
            (Some(b), Some(a)) => Some(as_of < b || as_of > a),
            _ => None,
        },
        self_signed: Some(self_signed),
        chain_trusted: Some(trusted),
        hostname_matches: Some(hostname),
        key_type,
        key_bits,
        signature_algorithm: Some(sig_name(&leaf)),
    }
}

/// Chain to a root (judged inside the leaf's validity, so expiry stays its own fact) and name match.
fn validate(chain: &[Vec<u8>], host: &str, roots: &[CertificateDer<'static>], at: i64) -> (bool, bool) {
    let leaf = CertificateDer::from(chain[0].as_slice());
    let Ok(ee) = webpki::EndEntityCert::try_from(&leaf) else {
        return (false, false);
    };
    let anchors: Vec<_> = roots
        .iter()
        .filter_map(|r| webpki::anchor_from_trusted_cert(r).ok())
        .collect();
    let inter: Vec<CertificateDer> = chain[1..].iter().map(|c| CertificateDer::from(c.as_slice())).collect();
    let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(at.max(0) as u64));
    let trusted = ee
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &anchors,
            &inter,
            time,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .is_ok();
    let hostname = ServerName::try_from(host.to_string())
        .map(|n| ee.verify_is_valid_for_subject_name(&n).is_ok())
        .unwrap_or(false);
    (trusted, hostname)
}

/// Issuer equals subject and the authority key id (when present) is the certificate's own key id.
fn is_self_signed(c: &X509Certificate) -> bool {
    if c.subject() != c.issuer() {
        return false;
    }
    let mut aki = None;
    let mut ski = None;
    for e in c.extensions() {
        match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => aki = a.key_identifier.as_ref().map(|k| k.0.to_vec()),
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0.to_vec()),
            _ => {}
        }
    }
    aki.is_none() || aki == ski
}

fn ip_string(b: &[u8]) -> Option<String> {
    match b.len() {
        4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?).to_string()),
        16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?).to_string()),
        _ => None,
    }
}

fn key_info(c: &X509Certificate) -> (Option<String>, Option<u32>) {
    use x509_parser::public_key::PublicKey;
    let spki = c.public_key();
    let oid = spki.algorithm.algorithm.to_id_string();
    match (oid.as_str(), spki.parsed()) {
        (_, Ok(PublicKey::RSA(k))) => (Some("rsa".into()), Some(k.key_size() as u32)),
        (_, Ok(PublicKey::EC(p))) => (Some("ecdsa".into()), Some(p.key_size() as u32)),
        ("1.3.101.112", _) => (Some("ed25519".into()), Some(256)),
        ("1.3.101.113", _) => (Some("ed448".into()), Some(456)),
        (_, Ok(PublicKey::DSA(_))) => (Some("dsa".into()), None),
        _ => (Some(oid), None),
    }
}

fn sig_name(c: &X509Certificate) -> String {
    let oid = c.signature_algorithm.algorithm.to_id_string();
    match oid.as_str() {
        "1.2.840.113549.1.1.2" => "md2WithRSAEncryption",
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.14" => "sha224WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.113549.1.1.10" => "rsassaPss",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "ed25519",
        "1.3.101.113" => "ed448",
        _ => return oid,
    }
    .to_string()
}
