//! ② Cipher-suite and group enumeration by the removal loop: offer a list, note the server's
//! choice, remove it, repeat until refused (what sslyze and testssl.sh do). The suite table is
//! the IANA registry. Network I/O through [`Target::exchange`].

use super::hello::{ClientHello, Reply, ServerHello, TLS13};
use super::wire::{Outcome, Target};

/// One IANA cipher suite and what it is worth.
#[derive(Debug, Clone, Copy)]
pub struct Suite {
    pub code: u16,
    pub name: &'static str,
    /// Effective symmetric key bits (3DES: 112).
    pub bits: u32,
    pub aead: bool,
    pub fs: bool,
    /// NULL, EXPORT, RC4, DES/3DES, anonymous or < 128-bit.
    pub weak: bool,
    pub tls13: bool,
}

include!("suites_table.rs");

/// Offered per ClientHello at most, in enumeration and version detection alike: some stacks
/// refuse bigger hellos (wolfSSL answers decode_error above 150 suites; testssl.sh's limit).
pub const BUNDLE: usize = 128;

/// A named group: IANA code and name.
pub const GROUPS: &[(u16, &str)] = &[
    (0x11ec, "X25519MLKEM768"),
    (0x11eb, "SecP256r1MLKEM768"),
    (0x11ed, "SecP384r1MLKEM1024"),
    (0x001d, "x25519"),
    (0x0017, "secp256r1"),
    (0x0018, "secp384r1"),
    (0x0019, "secp521r1"),
    (0x001e, "x448"),
    (0x0100, "ffdhe2048"),
    (0x0101, "ffdhe3072"),
    (0x0102, "ffdhe4096"),
    (0x0103, "ffdhe6144"),
    (0x0104, "ffdhe8192"),
];

/// Post-quantum hybrid groups.
pub fn is_post_quantum(code: u16) -> bool {
    (0x11eb..=0x11ed).contains(&code) || (0x0200..=0x0202).contains(&code)
}

pub fn suite(code: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.code == code)
}

pub fn suite_by_name(name: &str) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.name == name)
}

pub fn group_name(code: u16) -> String {
    GROUPS
        .iter()
        .find(|g| g.0 == code)
        .map(|g| g.1.to_string())
        .unwrap_or_else(|| format!("0x{code:04x}"))
}

/// Every suite code offered for `version` (TLS 1.3 suites only to 1.3, and vice versa).
pub fn offer_list(version: u16) -> Vec<u16> {
    SUITES
        .iter()
        .filter(|s| s.tls13 == (version == TLS13))
        .map(|s| s.code)
        .collect()
}

/// All groups, in our preference order, for hellos that must not fail for lack of a curve.
pub fn all_groups() -> Vec<u16> {
    GROUPS.iter().map(|g| g.0).collect()
}

/// The result of a removal loop: what was accepted, and whether the loop was cut short.
#[derive(Debug, Default)]
pub struct Enumerated {
    pub accepted: Vec<u16>,
    /// Why the loop stopped before the server refused (no answer, the budget, an answer we
    /// cannot read): `accepted` may then miss entries and must not be reported as the list.
    pub incomplete: Option<String>,
}

/// Why an exchange that was neither a choice nor a refusal ended the loop.
fn interrupted(t: &Target, o: &Outcome) -> String {
    match o {
        Outcome::Timeout if std::time::Instant::now() >= t.deadline => "the host's time budget ran out".into(),
        Outcome::Timeout => format!("no answer within {:.1} s, twice", t.timeout.as_secs_f64()),
        Outcome::ConnectFailed(e) => format!("connect failed twice ({e})"),
        Outcome::Garbage(g) => g.clone(),
        Outcome::Reply(Reply::Hello(h)) => format!("the server answered with version 0x{:04x}", h.version),
        Outcome::Reply(Reply::Alert(..)) | Outcome::Closed(_) => "refused".into(),
    }
}

/// The removal loop itself: offer `left`, take the server's choice (read by `chosen`) out of
/// it, repeat until the server refuses. A connection that times out or fails is tried once
/// more (a single stalled connection should not cost the result); a second failure, a choice
/// we did not offer, or another version stops the loop and marks the result incomplete.
fn remove_until_refused(
    t: &Target,
    version: u16,
    raw: bool,
    mut left: Vec<u16>,
    hello_for: impl Fn(&[u16]) -> ClientHello,
    chosen: impl Fn(&ServerHello) -> Option<u16>,
    out: &mut Enumerated,
) {
    while !left.is_empty() {
        let hello = hello_for(&left);
        let mut o = t.exchange(&hello, raw);
        if matches!(o, Outcome::Timeout | Outcome::ConnectFailed(_)) {
            o = t.exchange(&hello, raw);
        }
        match o {
            // A retry request naming no group: the server has none of those offered (wolfSSL
            // answers so instead of an alert) — a refusal.
            Outcome::Reply(Reply::Hello(h)) if h.retry_request && chosen(&h).is_none() => return,
            Outcome::Reply(Reply::Hello(h)) if h.version == version => match chosen(&h).filter(|c| left.contains(c)) {
                Some(c) => {
                    out.accepted.push(c);
                    left.retain(|x| *x != c);
                }
                None => {
                    out.incomplete = Some(match chosen(&h) {
                        Some(c) => format!("the server chose 0x{c:04x}, which was not offered"),
                        None => "the server's answer names no choice".into(),
                    });
                    return;
                }
            },
            Outcome::Reply(Reply::Alert(..)) | Outcome::Closed(_) => return,
            other => {
                out.incomplete = Some(interrupted(t, &other));
                return;
            }
        }
    }
}

/// Enumerates the suites `version` accepts.
pub fn enumerate_suites(t: &Target, version: u16) -> Enumerated {
    let mut out = Enumerated::default();
    for bundle in offer_list(version).chunks(BUNDLE) {
        if out.incomplete.is_some() {
            break; // the list is unknown already: no more connections spent on it
        }
        remove_until_refused(
            t,
            version,
            false,
            bundle.to_vec(),
            |left| ClientHello::new(version, left.to_vec(), t.sni.as_deref(), all_groups()),
            |h| Some(h.cipher),
            &mut out,
        );
    }
    out
}

/// Enumerates the key-exchange groups: over TLS 1.3 (HelloRetryRequest names the group, no
/// key share needed, so post-quantum groups are seen without ML-KEM code) when `version` is
/// 1.3, else over ECDHE suites of TLS 1.2 (the ServerKeyExchange names the curve).
pub fn enumerate_groups(t: &Target, version: u16) -> Enumerated {
    let mut out = Enumerated::default();
    let suites: Vec<u16> = if version == TLS13 {
        offer_list(TLS13)
    } else {
        SUITES
            .iter()
            .filter(|s| !s.tls13 && s.name.starts_with("TLS_ECDHE_"))
            .map(|s| s.code)
            .collect()
    };
    let mut left = all_groups();
    if version != TLS13 {
        // ffdhe groups are negotiated through DHE suites in TLS 1.2, not named in the hello's answer.
        left.retain(|g| !(0x0100..=0x0104).contains(g) && !is_post_quantum(*g));
    }
    remove_until_refused(
        t,
        version,
        version != TLS13,
        left,
        |left| ClientHello::new(version, suites.clone(), t.sni.as_deref(), left.to_vec()),
        |h| h.group,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_the_registry_without_duplicates() {
        let mut codes: Vec<u16> = SUITES.iter().map(|s| s.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), SUITES.len());
        assert!(SUITES.len() > 200, "the full registry, not only modern suites");
        assert_eq!(offer_list(TLS13).len(), 5);
        let rc4 = suite(0x0005).unwrap();
        assert_eq!(rc4.name, "TLS_RSA_WITH_RC4_128_SHA");
        assert!(rc4.weak && !rc4.fs && !rc4.aead);
        let gcm = suite(0xc030).unwrap();
        assert!(!gcm.weak && gcm.fs && gcm.aead && gcm.bits == 256);
        assert!(suite(0x000a).unwrap().weak, "3DES is weak");
        assert!(suite(0x0034).unwrap().weak, "anonymous DH is weak");
        assert!(SUITES.iter().any(|s| s.name.contains("CAMELLIA")) && SUITES.iter().any(|s| s.name.contains("ARIA")));
    }

    #[test]
    fn post_quantum_groups() {
        assert!(is_post_quantum(0x11ec));
        assert!(!is_post_quantum(0x001d));
        assert_eq!(group_name(0x11ec), "X25519MLKEM768");
    }
}
