//! ② Protocol versions by real handshakes: one ClientHello per version (SSL 3.0 to TLS 1.3),
//! each answer accepted, refused (alert or close as evidence) or inconclusive. Network I/O
//! through [`Target::exchange`].

use super::hello::{ClientHello, Reply, SSL3, TLS10, TLS11, TLS12, TLS13, alert_name};
use super::wire::{Outcome, Target};
use super::{VERSIONS, ciphers};
use crate::facts::TlsVersions;

/// One version's verdict and its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub version: u16,
    /// true accepted, false refused, None inconclusive.
    pub accepted: Option<bool>,
    pub evidence: String,
}

/// All five verdicts.
#[derive(Debug, Clone)]
pub struct Versions(pub Vec<Verdict>);

/// The facts' label of a wire version.
pub fn label(v: u16) -> &'static str {
    match v {
        SSL3 => "ssl3",
        TLS10 => "1.0",
        TLS11 => "1.1",
        TLS12 => "1.2",
        TLS13 => "1.3",
        _ => "unknown",
    }
}

/// The version's name for messages ("TLS 1.2", "SSL 3.0").
pub fn name(v: u16) -> &'static str {
    match v {
        SSL3 => "SSL 3.0",
        TLS10 => "TLS 1.0",
        TLS11 => "TLS 1.1",
        TLS12 => "TLS 1.2",
        TLS13 => "TLS 1.3",
        _ => "an unknown version",
    }
}

impl Versions {
    fn get(&self, v: u16) -> Option<bool> {
        self.0.iter().find(|x| x.version == v).and_then(|x| x.accepted)
    }
    pub fn facts(&self) -> TlsVersions {
        TlsVersions {
            ssl3: self.get(SSL3),
            tls1_0: self.get(TLS10),
            tls1_1: self.get(TLS11),
            tls1_2: self.get(TLS12),
            tls1_3: self.get(TLS13),
        }
    }
    /// Accepted versions, oldest first.
    pub fn accepted(&self) -> Vec<u16> {
        VERSIONS
            .iter()
            .copied()
            .filter(|v| self.get(*v) == Some(true))
            .collect()
    }
    pub fn min_version(&self) -> Option<String> {
        self.accepted().first().map(|v| label(*v).to_string())
    }
}

/// Probes every version, newest first. Err when the endpoint is not TLS or never answers.
///
/// A version's suites are offered in hellos of at most [`ciphers::BUNDLE`] suites (one hello of
/// all 234 is refused by wolfSSL with decode_error, which would read as "version refused"): the
/// version is accepted when any hello is, refused when every hello is refused — or at once when
/// the refusal names the version itself (protocol_version, a ServerHello at another version) —
/// and inconclusive otherwise.
pub fn detect(t: &Target) -> Result<Versions, String> {
    let mut out = Vec::new();
    let mut answered = false;
    for &v in VERSIONS.iter().rev() {
        let mut verdict: Option<Verdict> = None;
        for bundle in ciphers::offer_list(v).chunks(ciphers::BUNDLE) {
            let hello = ClientHello::new(v, bundle.to_vec(), t.sni.as_deref(), ciphers::all_groups());
            let o = t.exchange(&hello, false);
            match o {
                Outcome::Garbage(g) => return Err(format!("not TLS: {g}")),
                Outcome::Timeout if !answered => {
                    return Err(format!(
                        "no TLS answer within {:.1} s (the server accepted the connection but never replied)",
                        t.timeout.as_secs_f64()
                    ));
                }
                Outcome::Reply(_) | Outcome::Closed(_) => answered = true,
                _ => {}
            }
            let this = classify(v, &o);
            let version_refused = matches!(&o, Outcome::Reply(Reply::Alert(_, 70)))
                || matches!(&o, Outcome::Reply(Reply::Hello(h)) if h.version != v);
            let done = this.accepted == Some(true) || version_refused;
            // An inconclusive hello outweighs a refused one: the version is then unknown.
            if verdict.as_ref().is_none_or(|p| p.accepted == Some(false)) || done {
                verdict = Some(this);
            }
            if done {
                break;
            }
        }
        if let Some(verdict) = verdict {
            out.push(verdict);
        }
    }
    out.reverse();
    Ok(Versions(out))
}

/// The verdict for `version` from one exchange.
pub fn classify(version: u16, o: &Outcome) -> Verdict {
    let (accepted, evidence) = match o {
        Outcome::Reply(Reply::Hello(h)) if h.version == version => (
            Some(true),
            format!("ServerHello {} with suite 0x{:04x}", label(h.version), h.cipher),
        ),
        Outcome::Reply(Reply::Hello(h)) => (Some(false), format!("server chose {} instead", label(h.version))),
        Outcome::Reply(Reply::Alert(_, d)) => (Some(false), format!("alert {d} ({})", alert_name(*d))),
        Outcome::Closed(why) => (Some(false), why.clone()),
        Outcome::Timeout => (None, "timed out".into()),
        Outcome::ConnectFailed(e) => (None, format!("connect failed: {e}")),
        Outcome::Garbage(g) => (None, g.clone()),
    };
    Verdict {
        version,
        accepted,
        evidence,
    }
}
