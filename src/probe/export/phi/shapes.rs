//! ② Collect (export probe): hand-written matchers for every pattern-shaped PHI type — the
//! digit-led shapes (credit card, SSN, phone, MBI, NPI, IPv4, street address), DEA numbers,
//! URLs, e-mail addresses and prefixed MRNs. Input: a batch of field bytes and a start offset;
//! output: each source's next match (start, end, kind). No I/O.
//!
//! Why by hand: in one lazy DFA the overlapping digit-run counters blow up the state space
//! (the union ran at 15–19 MB/s while each pattern alone ran at 157+ MB/s, see
//! docs/benchmarks.md), and separate regexes pay a search call per match. Every shape here is
//! deterministic once its first bytes are known (each optional part is told apart by one
//! byte), so a byte-class skip or a `memchr` for the shape's literal, then a few comparisons
//! per candidate, replaces the automaton. Each `next_*` returns exactly the leftmost-first
//! match of its entries of [`super::PATTERNS`]; `tests/accuracy.rs` compares the merged
//! result with one regex of the whole alternation on generated and random text.

use super::Kind;

/// Bytes at which a digit-led shape can start: digits, `(` and `+` (phone).
static START: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = b'0';
    while b <= b'9' {
        t[b as usize] = true;
        b += 1;
    }
    t[b'(' as usize] = true;
    t[b'+' as usize] = true;
    t
};

#[inline]
fn at(h: &[u8], i: usize) -> u8 {
    // 0 is never part of any shape, so reading past the end simply fails the match.
    h.get(i).copied().unwrap_or(0)
}

#[inline]
fn dig(h: &[u8], i: usize) -> bool {
    at(h, i).is_ascii_digit()
}

#[inline]
fn digs(h: &[u8], i: usize, n: usize) -> bool {
    h.get(i..i + n).is_some_and(|s| s.iter().all(u8::is_ascii_digit))
}

#[inline]
fn upper(h: &[u8], i: usize) -> bool {
    at(h, i).is_ascii_uppercase()
}

/// `[ .\-]`
#[inline]
fn sep(b: u8) -> bool {
    matches!(b, b' ' | b'.' | b'-')
}

/// Digits from `i`, at most `max`.
#[inline]
fn run(h: &[u8], i: usize, max: usize) -> usize {
    let mut k = 0;
    while k < max && dig(h, i + k) {
        k += 1;
    }
    k
}

/// `[1-6]\d{3}(?:[ \-]?\d{4}){2}(?:[ \-]?\d{1,7})?|3[47]\d{2}[ \-]\d{6}[ \-]\d{5}` (the second
/// is an American Express number as printed, 4-6-5).
fn card(h: &[u8], s: usize) -> Option<usize> {
    card_4s(h, s).or_else(|| amex(h, s))
}

/// `3[47]\d{2}[ \-]\d{6}[ \-]\d{5}`
fn amex(h: &[u8], s: usize) -> Option<usize> {
    let ok = at(h, s) == b'3'
        && matches!(at(h, s + 1), b'4' | b'7')
        && digs(h, s + 2, 2)
        && matches!(at(h, s + 4), b' ' | b'-')
        && digs(h, s + 5, 6)
        && matches!(at(h, s + 11), b' ' | b'-')
        && digs(h, s + 12, 5);
    ok.then_some(s + 17)
}

/// `[1-6]\d{3}(?:[ \-]?\d{4}){2}(?:[ \-]?\d{1,7})?`
fn card_4s(h: &[u8], s: usize) -> Option<usize> {
    if !(b'1'..=b'6').contains(&at(h, s)) || !digs(h, s + 1, 3) {
        return None;
    }
    let mut i = s + 4;
    // An optional separator is taken when present; without it a digit must follow, which a
    // separator is not, so no other path exists.
    for _ in 0..2 {
        if matches!(at(h, i), b' ' | b'-') {
            i += 1;
        }
        if !digs(h, i, 4) {
            return None;
        }
        i += 4;
    }
    // The optional tail: taken when a digit follows (after a separator or not).
    let j = if matches!(at(h, i), b' ' | b'-') { i + 1 } else { i };
    let k = run(h, j, 7);
    Some(if k > 0 { j + k } else { i })
}

/// `\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{3}\.\d{2}\.\d{4}`
fn ssn(h: &[u8], s: usize) -> Option<usize> {
    let d = at(h, s + 3);
    (digs(h, s, 3) && sep(d) && digs(h, s + 4, 2) && at(h, s + 6) == d && digs(h, s + 7, 4)).then_some(s + 11)
}

/// The phone body after the optional country code:
/// `(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}`
fn phone_body(h: &[u8], i: usize) -> Option<usize> {
    let j = if at(h, i) == b'(' && digs(h, i + 1, 3) && at(h, i + 4) == b')' {
        // `\) ?` then a digit: the space is taken when present (a digit cannot be a space).
        i + 5 + usize::from(at(h, i + 5) == b' ')
    } else if digs(h, i, 3) && sep(at(h, i + 3)) {
        i + 4
    } else {
        return None;
    };
    (digs(h, j, 3) && sep(at(h, j + 3)) && digs(h, j + 4, 4)).then_some(j + 8)
}

/// `(?:\+?1[ .\-]?)?` then the body; the country code is preferred when it leads to a match.
fn phone(h: &[u8], s: usize) -> Option<usize> {
    let mut i = s;
    if at(h, i) == b'+' {
        i += 1;
    }
    if at(h, i) == b'1' {
        let j = i + 1 + usize::from(sep(at(h, i + 1)));
        if let Some(e) = phone_body(h, j) {
            return Some(e);
        }
    }
    if i != s {
        return None; // a `+` must be followed by the country code
    }
    phone_body(h, s)
}

/// `[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}`
fn mbi(h: &[u8], s: usize) -> Option<usize> {
    let upd = |i: usize| upper(h, i) || dig(h, i);
    if !(b'1'..=b'9').contains(&at(h, s)) || !upper(h, s + 1) || !upd(s + 2) || !dig(h, s + 3) {
        return None;
    }
    let mut i = s + 4;
    if at(h, i) == b'-' {
        i += 1;
    }
    if !upper(h, i) || !upd(i + 1) || !dig(h, i + 2) {
        return None;
    }
    i += 3;
    if at(h, i) == b'-' {
        i += 1;
    }
    (upper(h, i) && upper(h, i + 1) && digs(h, i + 2, 2)).then_some(i + 4)
}

/// `[12]\d{9}`
fn npi(h: &[u8], s: usize) -> Option<usize> {
    (matches!(at(h, s), b'1' | b'2') && digs(h, s + 1, 9)).then_some(s + 10)
}

/// `\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}` (greedy groups; fewer digits would leave a digit
/// where the dot must be, so there is one path).
fn ipv4(h: &[u8], s: usize) -> Option<usize> {
    let mut i = s;
    for g in 0..4 {
        let k = run(h, i, 3);
        if k == 0 {
            return None;
        }
        i += k;
        if g < 3 {
            if at(h, i) != b'.' {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}

/// The USPS street suffixes (`data/usps-suffixes.txt`), looked up by whole word.
static SUFFIXES: std::sync::LazyLock<super::lists::WordSet> = std::sync::LazyLock::new(super::lists::suffix_set);

/// The byte that ends a street suffix: `[ ,.;:#\-\t\r\n)"'/]`.
fn street_end(b: u8) -> bool {
    matches!(
        b,
        b' ' | b',' | b'.' | b';' | b':' | b'#' | b'-' | b'\t' | b'\r' | b'\n' | b')' | b'"' | b'\'' | b'/'
    )
}

/// `\d{1,6} (?:[A-Z][a-z]+ ){1,3}(?:St|Street|…|Hwy)(?:[ ,.;:#\-\t\r\n)"'/]|$)`: as many words
/// as possible (up to three), then fewer, as the greedy repetition backtracks.
fn street(h: &[u8], s: usize) -> Option<usize> {
    let k = run(h, s, 6);
    if k == 0 || at(h, s + k) != b' ' {
        return None;
    }
    let mut word_at = [0usize; 4];
    word_at[0] = s + k + 1;
    let mut n = 0;
    while n < 3 {
        let p = word_at[n];
        if !upper(h, p) {
            break;
        }
        let mut q = p + 1;
        while at(h, q).is_ascii_lowercase() {
            q += 1;
        }
        if q == p + 1 || at(h, q) != b' ' {
            break;
        }
        n += 1;
        word_at[n] = q + 1;
    }
    for w in (1..=n).rev() {
        // A Title-case word (as the pattern spells the suffixes) that the list holds.
        let p = word_at[w];
        if !upper(h, p) {
            continue;
        }
        let mut e = p + 1;
        while at(h, e).is_ascii_lowercase() {
            e += 1;
        }
        if at(h, e).is_ascii_alphabetic() || !SUFFIXES.contains(&h[p..e]) {
            continue;
        }
        if e == h.len() {
            return Some(e);
        }
        if street_end(h[e]) {
            return Some(e + 1);
        }
    }
    None
}

/// `[A-Za-z][A-Za-z9]\d{7}` (DEA), letter-led but found from its digits: see [`next_digit_led`].
fn dea(h: &[u8], s: usize) -> Option<usize> {
    let b1 = at(h, s + 1);
    (at(h, s).is_ascii_alphabetic() && (b1.is_ascii_alphabetic() || b1 == b'9') && digs(h, s + 2, 7)).then_some(s + 9)
}

/// The first digit-led shape matching at `s`, in priority order, given the length `k` of the
/// digit run from `s` and the byte after that run.
#[inline]
fn match_at(h: &[u8], s: usize, k: usize, after: u8) -> Option<(usize, Kind)> {
    let b = h[s];
    if k == 0 {
        return phone(h, s).map(|e| (e, Kind::Phone)); // `(` or `+`
    }
    // Cheap dispatch on the digit run's length and the byte after it: most positions inside
    // dates, ids and timestamps fail here without trying every shape.
    if k >= 4 {
        // Only a card, a `1`-prefixed phone, an NPI or a street number can start so.
        if (b'1'..=b'6').contains(&b)
            && let Some(e) = card(h, s)
        {
            return Some((e, Kind::CreditCard));
        }
        if b == b'1'
            && k == 4
            && let Some(e) = phone(h, s)
        {
            return Some((e, Kind::Phone));
        }
        if k >= 10
            && let Some(e) = npi(h, s)
        {
            return Some((e, Kind::Npi));
        }
        return if k <= 6 && after == b' ' {
            street(h, s).map(|e| (e, Kind::StreetAddress))
        } else {
            None
        };
    }
    if k == 3
        && sep(after)
        && let Some(e) = ssn(h, s)
    {
        return Some((e, Kind::Ssn));
    }
    if ((k == 3 && sep(after)) || (b == b'1' && k == 1 && (sep(after) || after == b'(')))
        && let Some(e) = phone(h, s)
    {
        return Some((e, Kind::Phone));
    }
    if k == 1
        && after.is_ascii_uppercase()
        && let Some(e) = mbi(h, s)
    {
        return Some((e, Kind::Mbi));
    }
    if after == b'.'
        && let Some(e) = ipv4(h, s)
    {
        return Some((e, Kind::IpAddress));
    }
    if after == b' ' {
        return street(h, s).map(|e| (e, Kind::StreetAddress));
    }
    None
}

/// The leftmost digit-led match (DEA included) starting at or after `pos`: the entries of
/// `PATTERNS` for credit card, SSN, phone, MBI, NPI, DEA, IPv4 and street address.
///
/// A DEA number starts with a letter, but it is found from its seven digits: at a digit `q`,
/// a DEA can start at `q - 2` (two letters before) or `q - 1` (a letter, then this digit is
/// the `9` of `[A-Za-z9]`), and no DEA found at a later digit can start before `q` (its first
/// byte is a letter, `q` is not) — so checking those two first keeps leftmost order.
pub fn next_digit_led(h: &[u8], pos: usize) -> Option<(usize, usize, Kind)> {
    let mut s = pos;
    // End of the digit run containing `s` (valid while `s < run_end`).
    let mut run_end = 0;
    while s < h.len() {
        let b = h[s];
        if !START[b as usize] {
            s += 1;
            continue;
        }
        let mut k = 0;
        if b.is_ascii_digit() {
            if s >= run_end {
                run_end = s + 1;
                while run_end < h.len() && h[run_end].is_ascii_digit() {
                    run_end += 1;
                }
                // A DEA's digits start a run (after two letters) or follow its `9`.
                if s >= pos + 2
                    && let Some(e) = dea(h, s - 2)
                {
                    return Some((s - 2, e, Kind::Dea));
                }
            }
            if b == b'9'
                && s > pos
                && let Some(e) = dea(h, s - 1)
            {
                return Some((s - 1, e, Kind::Dea));
            }
            k = run_end - s;
        }
        if let Some((e, kind)) = match_at(h, s, k, at(h, run_end.max(s))) {
            return Some((s, e, kind));
        }
        s += 1;
    }
    None
}

/// `[A-Za-z0-9._%+\-]`: an e-mail's local part.
fn local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// `[A-Za-z0-9\-]`: a domain label.
fn label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// The domain after an `@`, from `i`: `[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}`.
/// Labels are greedy and a shorter one would leave a label byte where a dot must be, so the
/// only choice is how many `.label` repetitions to keep: the most after which a TLD follows.
fn domain(h: &[u8], i: usize) -> Option<usize> {
    let mut p = i;
    while p < h.len() && label_byte(h[p]) {
        p += 1;
    }
    if p == i {
        return None;
    }
    // Ends of the first label and of each `.label` repetition (few: kept on the stack).
    let mut ends = [0usize; 16];
    let mut n = 0;
    let mut extra = Vec::new();
    loop {
        if n < ends.len() {
            ends[n] = p;
        } else {
            extra.push(p);
        }
        n += 1;
        if !(at(h, p) == b'.' && label_byte(at(h, p + 1))) {
            break;
        }
        p += 1;
        while p < h.len() && label_byte(h[p]) {
            p += 1;
        }
    }
    let tld = |e: usize| {
        if at(h, e) != b'.' {
            return None;
        }
        let mut t = 0;
        while t < 24 && at(h, e + 1 + t).is_ascii_alphabetic() {
            t += 1;
        }
        (t >= 2).then_some(e + 1 + t)
    };
    extra
        .iter()
        .rev()
        .chain(ends[..n.min(ends.len())].iter().rev())
        .find_map(|&e| tld(e))
}

/// The leftmost e-mail address starting at or after `pos`: the first `@` whose local part
/// (from `pos` at the earliest) is not empty and whose domain matches. An address that starts
/// earlier would need an earlier `@` (a local part holds none), which was tried first.
pub fn next_email(h: &[u8], pos: usize) -> Option<(usize, usize, Kind)> {
    let mut from = pos;
    while let Some(off) = memchr::memchr(b'@', h.get(from..)?) {
        let a = from + off;
        let mut l = a;
        while l > pos && local_byte(h[l - 1]) {
            l -= 1;
        }
        if l < a
            && let Some(e) = domain(h, a + 1)
        {
            return Some((l, e, Kind::Email));
        }
        from = a + 1;
    }
    None
}

/// `[A-Za-z0-9._~:/?#@!$&()*+;=%\-]`: a URL's body.
fn url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._~:/?#@!$&()*+;=%-".contains(&b)
}

/// The leftmost URL, `(?i:https?://)[A-Za-z0-9._~:/?#@!$&()*+;=%\-]+`, starting at or after
/// `pos`, found from its `://`.
pub fn next_url(h: &[u8], pos: usize) -> Option<(usize, usize, Kind)> {
    let finder = memchr::memmem::Finder::new(b"://");
    let mut from = pos + 4;
    while let Some(off) = finder.find(h.get(from..)?) {
        let c = from + off;
        // `http://` or `https://`: the byte before `://` tells which.
        let s = if h[c - 1].eq_ignore_ascii_case(&b's') {
            c.checked_sub(5)
        } else {
            Some(c - 4)
        };
        if let Some(s) = s
            && s >= pos
            && h[s..s + 4].eq_ignore_ascii_case(b"http")
            && url_byte(at(h, c + 3))
        {
            let mut e = c + 4;
            while e < h.len() && url_byte(h[e]) {
                e += 1;
            }
            return Some((s, e, Kind::Url));
        }
        from = c + 1;
    }
    None
}

/// The leftmost prefixed MRN, `(?:MRN|MR#|MR-)[ :#\-]*\d{5,12}`, starting at or after `pos`.
pub fn next_mrn(h: &[u8], pos: usize) -> Option<(usize, usize, Kind)> {
    let finder = memchr::memmem::Finder::new(b"MR");
    let mut from = pos;
    while let Some(off) = finder.find(h.get(from..)?) {
        let s = from + off;
        if matches!(at(h, s + 2), b'N' | b'#' | b'-') {
            let mut i = s + 3;
            while matches!(at(h, i), b' ' | b':' | b'#' | b'-') {
                i += 1;
            }
            let k = run(h, i, 12);
            if k >= 5 {
                return Some((s, i + k, Kind::Mrn));
            }
        }
        from = s + 1;
    }
    None
}
