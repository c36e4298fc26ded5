//! ② Collect (export probe): the word lists behind the name and address recognizers — US
//! Census given names and surnames, USPS street suffixes (`data/`, provenance in
//! docs/phi-wordlists.md). Input: a token; output: whether a list holds it. No I/O.
//!
//! Lookups hash a whole token (ASCII case folded) into a set of 64-bit hashes: one hash per
//! token, never a scan per byte, and ~45,000 names in ~1 MiB.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// The set already holds hashes: pass them through.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashSet64 = HashSet<u64, BuildHasherDefault<Identity>>;

/// FNV-1a over the ASCII-lower-cased bytes, then a final mix (the identity hasher needs
/// well-spread high bits).
pub fn fold_hash(token: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // Apostrophes are not part of the listed spelling (`O'Brien` is OBRIEN).
    for &b in token.iter().filter(|&&b| b != b'\'') {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// One list: the hashes of its words.
#[derive(Clone, Default)]
pub struct WordSet(HashSet64);

impl WordSet {
    fn from_lines(text: &str) -> Self {
        let mut s = HashSet64::default();
        for w in text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
        {
            s.insert(fold_hash(w.as_bytes()));
        }
        WordSet(s)
    }

    pub fn contains(&self, token: &[u8]) -> bool {
        self.0.contains(&fold_hash(token))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// All lists, built once per process.
#[derive(Clone)]
pub struct Lists {
    pub given: WordSet,
    pub surnames: WordSet,
    /// USPS suffix names and abbreviations (Title case in addresses: `Knoll`, `Knl`).
    pub suffixes: WordSet,
}

impl Lists {
    pub fn new() -> Self {
        Lists {
            given: WordSet::from_lines(include_str!("data/given.txt")),
            surnames: WordSet::from_lines(include_str!("data/surnames.txt")),
            suffixes: WordSet::from_lines(include_str!("data/usps-suffixes.txt")),
        }
    }
}

impl Default for Lists {
    fn default() -> Self {
        Self::new()
    }
}

/// The USPS suffixes and abbreviations as a set.
pub fn suffix_set() -> WordSet {
    WordSet::from_lines(include_str!("data/usps-suffixes.txt"))
}

/// The USPS suffixes as Title-case words (`Alley`, `Aly`, ...), for the street pattern's
/// specification in [`super::PATTERNS`].
pub fn suffix_words() -> Vec<String> {
    let mut out: Vec<String> = include_str!("data/usps-suffixes.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
        .map(|w| {
            let mut t = w[..1].to_string();
            t.push_str(&w[1..].to_ascii_lowercase());
            t
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_load_and_fold_case() {
        let l = Lists::new();
        assert!(
            l.given.len() > 5000 && l.surnames.len() > 39_000,
            "{} {}",
            l.given.len(),
            l.surnames.len()
        );
        assert!(l.given.contains(b"Mary") && l.given.contains(b"MARY"));
        assert!(l.surnames.contains(b"Garcia"));
        assert!(!l.surnames.contains(b"Xqzvw"));
        assert!(l.suffixes.contains(b"Knoll") && l.suffixes.contains(b"Knl") && l.suffixes.contains(b"St"));
        assert!(!l.suffixes.contains(b"Suite"));
        assert!(suffix_words().contains(&"Pkwy".to_string()));
    }
}
