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

/// One IANA supported group (TLS Supported Groups registry) and what it is worth.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    pub code: u16,
    pub name: &'static str,
    /// Below 112 bits of security (curves under 224 bits, NIST SP 800-131A Rev. 2) or a
    /// binary-field curve (deprecated by NIST SP 800-186).
    pub weak: bool,
    /// Negotiable in TLS 1.3 only (ML-KEM, the brainpool TLS 1.3 code points, and ffdhe, which
    /// TLS 1.2 negotiates through DHE suites rather than by name).
    pub tls13_only: bool,
}

const fn g(code: u16, name: &'static str, weak: bool, tls13_only: bool) -> Group {
    Group {
        code,
        name,
        weak,
        tls13_only,
    }
}

/// Every group offered, modern first. GOST curves (0x22–0x29) are left out like GOST suites:
/// they need GOST suites to be negotiated at all.
pub const GROUPS: &[Group] = &[
    g(0x11ec, "X25519MLKEM768", false, true),
    g(0x11eb, "SecP256r1MLKEM768", false, true),
    g(0x11ed, "SecP384r1MLKEM1024", false, true),
    g(0x0200, "MLKEM512", false, true),
    g(0x0201, "MLKEM768", false, true),
    g(0x0202, "MLKEM1024", false, true),
    g(0x6399, "X25519Kyber768Draft00", false, true),
    g(0x001d, "x25519", false, false),
    g(0x0017, "secp256r1", false, false),
    g(0x0018, "secp384r1", false, false),
    g(0x0019, "secp521r1", false, false),
    g(0x001e, "x448", false, false),
    g(0x0100, "ffdhe2048", false, true),
    g(0x0101, "ffdhe3072", false, true),
    g(0x0102, "ffdhe4096", false, true),
    g(0x0103, "ffdhe6144", false, true),
    g(0x0104, "ffdhe8192", false, true),
    g(0x001a, "brainpoolP256r1", false, false),
    g(0x001b, "brainpoolP384r1", false, false),
    g(0x001c, "brainpoolP512r1", false, false),
    g(0x001f, "brainpoolP256r1tls13", false, true),
    g(0x0020, "brainpoolP384r1tls13", false, true),
    g(0x0021, "brainpoolP512r1tls13", false, true),
    g(0x0016, "secp256k1", false, false),
    g(0x0015, "secp224r1", false, false),
    g(0x0014, "secp224k1", false, false),
    g(0x0013, "secp192r1", true, false),
    g(0x0012, "secp192k1", true, false),
    g(0x0011, "secp160r2", true, false),
    g(0x0010, "secp160r1", true, false),
    g(0x000f, "secp160k1", true, false),
    g(0x0001, "sect163k1", true, false),
    g(0x0002, "sect163r1", true, false),
    g(0x0003, "sect163r2", true, false),
    g(0x0004, "sect193r1", true, false),
    g(0x0005, "sect193r2", true, false),
    g(0x0006, "sect233k1", true, false),
    g(0x0007, "sect233r1", true, false),
    g(0x0008, "sect239k1", true, false),
    g(0x0009, "sect283k1", true, false),
    g(0x000a, "sect283r1", true, false),
    g(0x000b, "sect409k1", true, false),
    g(0x000c, "sect409r1", true, false),
    g(0x000d, "sect571k1", true, false),
    g(0x000e, "sect571r1", true, false),
];

/// Post-quantum hybrid (or pure ML-KEM) groups.
pub fn is_post_quantum(code: u16) -> bool {
    (0x11eb..=0x11ed).contains(&code) || (0x0200..=0x0202).contains(&code) || code == 0x6399
}

pub fn group(code: u16) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.code == code)
}

pub fn suite(code: u16) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.code == code)
}

pub fn suite_by_name(name: &str) -> Option<&'static Suite> {
    SUITES.iter().find(|s| s.name == name)
}

pub fn group_name(code: u16) -> String {
    group(code)
        .map(|g| g.name.to_string())
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
    GROUPS.iter().map(|g| g.code).collect()
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

/// Enumerates the key-exchange groups of `version`, leaving out `known` (groups already found
/// over TLS 1.3). Over TLS 1.3 the HelloRetryRequest names the group (no key share needed, so
/// post-quantum groups are seen without ML-KEM code); over TLS ≤ 1.2 the ECDHE suites'
/// ServerKeyExchange names the curve (see [`enumerate_curves12`]).
pub fn enumerate_groups(t: &Target, version: u16, known: &[u16]) -> Enumerated {
    if version != TLS13 {
        return enumerate_curves12(t, version, known);
    }
    let mut out = Enumerated::default();
    let suites = offer_list(TLS13);
    let left: Vec<u16> = GROUPS
        .iter()
        .filter(|g| !known.contains(&g.code))
        .map(|g| g.code)
        .collect();
    remove_until_refused(
        t,
        version,
        false,
        left,
        |left| ClientHello::new(version, suites.clone(), t.sni.as_deref(), left.to_vec()),
        |h| h.group,
        &mut out,
    );
    out
}

/// The TLS ≤ 1.2 curve loop. A server with an ECDSA certificate needs the certificate's curve
/// among the offered groups (RFC 8422) and refuses an offer without it, whatever else the offer
/// holds. So the curves still in question are offered alone first; when that is refused, again
/// with the curves already seen after them. A seen curve the server takes instead is dropped
/// from the next offer; when dropping it gets a refusal, that curve is one the certificate
/// needs and the server takes it over every curve left — in the client's order or its own, no
/// client that can use the certificate gets any of them: the loop ends, conclusively.
fn enumerate_curves12(t: &Target, version: u16, known: &[u16]) -> Enumerated {
    let mut out = Enumerated::default();
    let suites: Vec<u16> = SUITES
        .iter()
        .filter(|s| !s.tls13 && s.name.starts_with("TLS_ECDHE_"))
        .map(|s| s.code)
        .collect();
    let mut seen: Vec<u16> = known
        .iter()
        .copied()
        .filter(|c| group(*c).is_some_and(|g| !g.tls13_only))
        .collect();
    let mut left: Vec<u16> = GROUPS
        .iter()
        .filter(|g| !g.tls13_only && !seen.contains(&g.code))
        .map(|g| g.code)
        .collect();
    let offer = |left: &[u16], fallback: &[u16]| {
        let groups = left.iter().chain(fallback).copied().collect();
        exchange_twice(t, &ClientHello::new(version, suites.clone(), t.sni.as_deref(), groups))
    };
    let refused = |o: &Outcome| matches!(o, Outcome::Reply(Reply::Alert(..)) | Outcome::Closed(_));
    while !left.is_empty() {
        let mut fallback: Vec<u16> = Vec::new();
        let mut o = offer(&left, &fallback);
        if refused(&o) && !seen.is_empty() {
            fallback = seen.clone();
            o = offer(&left, &fallback);
        }
        let chosen = loop {
            match &o {
                Outcome::Reply(Reply::Hello(h)) if h.version == version => match h.group {
                    Some(c) if left.contains(&c) => break c,
                    Some(c) if fallback.contains(&c) => {
                        fallback.retain(|x| *x != c);
                        o = offer(&left, &fallback);
                        if refused(&o) {
                            return out; // c is the certificate's curve, preferred over all left
                        }
                    }
                    Some(c) => {
                        out.incomplete = Some(format!("the server chose 0x{c:04x}, which was not offered"));
                        return out;
                    }
                    None => {
                        out.incomplete = Some("the server's key exchange names no curve".into());
                        return out;
                    }
                },
                o if refused(o) => return out,
                other => {
                    out.incomplete = Some(interrupted(t, other));
                    return out;
                }
            }
        };
        out.accepted.push(chosen);
        left.retain(|x| *x != chosen);
        seen.push(chosen);
    }
    out
}

/// One exchange, tried once more when it times out or cannot connect.
fn exchange_twice(t: &Target, hello: &ClientHello) -> Outcome {
    match t.exchange(hello, true) {
        Outcome::Timeout | Outcome::ConnectFailed(_) => t.exchange(hello, true),
        o => o,
    }
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
    fn group_table() {
        let mut codes: Vec<u16> = GROUPS.iter().map(|g| g.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), GROUPS.len(), "no duplicates");
        let weak = |n: &str| GROUPS.iter().find(|g| g.name == n).unwrap().weak;
        assert!(weak("secp192r1") && weak("sect163k1") && weak("sect571r1"));
        assert!(!weak("secp224r1") && !weak("brainpoolP256r1") && !weak("ffdhe2048") && !weak("secp256k1"));
        assert!(group(0x001f).unwrap().tls13_only && !group(0x001a).unwrap().tls13_only);
    }

    #[test]
    fn post_quantum_groups() {
        assert!(is_post_quantum(0x11ec));
        assert!(!is_post_quantum(0x001d));
        assert_eq!(group_name(0x11ec), "X25519MLKEM768");
    }
}
