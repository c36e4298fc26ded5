//! ② Collect (export probe): what the first bytes of a file say it is — encrypted (age,
//! OpenPGP binary or armored, ZIP with AES or ZipCrypto entries), compressed (gzip, zstd, xz,
//! bzip2, ZIP) or plain — and, for unrecognised binary content, its entropy. Input: a prefix
//! of the file; output: a [`Sniff`]. No I/O.

/// What the file's leading bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    Age,
    OpenPgp,
    /// A ZIP archive; `aes`/`zipcrypto` when its first entry is encrypted.
    Zip {
        aes: bool,
        zipcrypto: bool,
    },
    Gzip,
    Zstd,
    Xz,
    Bzip2,
    /// Binary content with no known signature and near-random bytes.
    HighEntropy,
    /// Anything else (text, or binary we will try to read as text).
    Plain,
}

impl Sniff {
    /// `(encrypted, encryption)` facts. ZipCrypto is reported as not encrypted: its cipher is
    /// broken (known-plaintext attacks recover the keys in minutes).
    pub fn encryption(self) -> (Option<bool>, Option<&'static str>) {
        match self {
            Sniff::Age => (Some(true), Some("age")),
            Sniff::OpenPgp => (Some(true), Some("openpgp")),
            Sniff::Zip { aes: true, .. } => (Some(true), Some("zip-aes")),
            Sniff::Zip { zipcrypto: true, .. } => (Some(false), Some("zipcrypto")),
            Sniff::HighEntropy => (None, Some("unknown")),
            _ => (Some(false), None),
        }
    }
}

/// Classify a prefix of the file (a few KiB are enough).
pub fn sniff(head: &[u8]) -> Sniff {
    if head.starts_with(b"age-encryption.org/v1\n") || head.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----") {
        return Sniff::Age;
    }
    if head.starts_with(b"-----BEGIN PGP MESSAGE-----") {
        return Sniff::OpenPgp;
    }
    if head.starts_with(b"PK\x03\x04") {
        return zip_entry(head);
    }
    if head.starts_with(b"PK\x05\x06") {
        return Sniff::Zip {
            aes: false,
            zipcrypto: false,
        };
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Sniff::Gzip;
    }
    if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Sniff::Zstd;
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Sniff::Xz;
    }
    if head.starts_with(b"BZh") && head.get(3).is_some_and(|c| (b'1'..=b'9').contains(c)) {
        return Sniff::Bzip2;
    }
    if openpgp_binary(head) {
        return Sniff::OpenPgp;
    }
    // A PDF's compressed streams look random, but the file is a known plaintext format.
    if head.starts_with(b"%PDF-") {
        return Sniff::Plain;
    }
    if looks_binary(head) && entropy(head) > 7.2 {
        return Sniff::HighEntropy;
    }
    Sniff::Plain
}

/// The first local file header: general-purpose bit 0 = encrypted; method 99 = WinZip AES.
fn zip_entry(h: &[u8]) -> Sniff {
    let (Some(flags), Some(method)) = (h.get(6..8), h.get(8..10)) else {
        return Sniff::Zip {
            aes: false,
            zipcrypto: false,
        };
    };
    let encrypted = flags[0] & 1 == 1;
    let aes = u16::from_le_bytes([method[0], method[1]]) == 99;
    Sniff::Zip {
        aes: encrypted && aes,
        zipcrypto: encrypted && !aes,
    }
}

/// An OpenPGP message starts with a session-key packet (PKESK, tag 1; SKESK, tag 3) or an
/// encrypted-data packet (SED 9, SEIPD 18, AEAD 20), in the old or new packet format, followed
/// by a version byte that the packet type allows.
fn openpgp_binary(h: &[u8]) -> bool {
    let Some(&first) = h.first() else { return false };
    if first & 0x80 == 0 || h.len() < 4 {
        return false;
    }
    let (tag, body) = if first & 0x40 != 0 {
        // New format: length byte(s) follow.
        let tag = first & 0x3f;
        let l = h[1];
        let skip = match l {
            0..=191 => 2,
            192..=223 => 3,
            255 => 6,
            _ => 2, // partial body length
        };
        (tag, h.get(skip..))
    } else {
        let tag = (first >> 2) & 0x0f;
        let skip = match first & 3 {
            0 => 2,
            1 => 3,
            2 => 5,
            _ => 1,
        };
        (tag, h.get(skip..))
    };
    let Some(&version) = body.and_then(|b| b.first()) else {
        return false;
    };
    match tag {
        1 => version == 3 || version == 6,
        3 => (4..=6).contains(&version),
        18 => version == 1 || version == 2,
        20 => version == 1,
        _ => false,
    }
}

fn looks_binary(h: &[u8]) -> bool {
    if h.is_empty() {
        return false;
    }
    let ctrl = h
        .iter()
        .filter(|&&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
        .count();
    ctrl * 20 > h.len() || std::str::from_utf8(&h[..h.len().min(4096).saturating_sub(4)]).is_err() && ctrl > 0
}

/// Shannon entropy in bits per byte (8.0 = random).
pub fn entropy(h: &[u8]) -> f64 {
    if h.len() < 256 {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in h {
        counts[b as usize] += 1;
    }
    let n = h.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(n: usize) -> Vec<u8> {
        let mut x: u64 = 0x1234_5678_9abc_def1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn signatures() {
        assert_eq!(sniff(b"age-encryption.org/v1\n-> X25519 abc\n"), Sniff::Age);
        assert_eq!(sniff(b"-----BEGIN PGP MESSAGE-----\n\nhQEMA"), Sniff::OpenPgp);
        // New-format PKESK v3, old-format SKESK v4.
        assert_eq!(sniff(&[0xc1, 0x4c, 0x03, 0x11, 0x22, 0x33]), Sniff::OpenPgp);
        assert_eq!(sniff(&[0x8c, 0x0d, 0x04, 0x07, 0x03, 0x02]), Sniff::OpenPgp);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniff::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Sniff::Zstd);
        assert_eq!(sniff(b"a,b\n1,2\n"), Sniff::Plain);
        let mut aes = b"PK\x03\x04\x33\x00\x01\x00\x63\x00".to_vec();
        aes.extend([0; 20]);
        assert_eq!(
            sniff(&aes),
            Sniff::Zip {
                aes: true,
                zipcrypto: false
            }
        );
        aes[8] = 8;
        assert_eq!(sniff(&aes).encryption(), (Some(false), Some("zipcrypto")));
    }

    #[test]
    fn random_bytes_are_unknown_not_guessed() {
        let mut r = random(8192);
        r[0] = 0x11; // not a PGP packet header
        assert_eq!(sniff(&r), Sniff::HighEntropy);
        assert_eq!(sniff(&r).encryption(), (None, Some("unknown")));
    }
}
