//! ② Collect (export probe): PHI recognizers. Input: fields (column known), queued and scanned
//! in ~1 MiB batches; output: counts per type, the columns they were in, and at most three
//! *masked* samples. No I/O.
//!
//! Strategy: every pattern-shaped type is one pattern of a single multi-pattern regex
//! (`regex_automata::meta::Regex`), run once per batch of fields; every match is
//! then checked by code (word boundaries, SSA ranges, NANP, Luhn, Luhn-80840, DEA check digit,
//! MBI alphabet, IPv4 octets). Types a pattern cannot decide (names, dates of birth, MRNs,
//! member ids, addresses, ZIPs, diagnoses) come from the column name. A raw value never
//! leaves this module: only [`mask`]ed shapes do.

use std::collections::BTreeSet;

use regex_automata::Input;
use regex_automata::meta::Regex;

use crate::facts::{PhiFacts, PhiType, PhiTypes};

/// Every type the scanner counts, in `PhiTypes` field order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Ssn,
    Phone,
    Email,
    DateOfBirth,
    Mrn,
    HealthPlanId,
    Npi,
    Dea,
    Mbi,
    IpAddress,
    StreetAddress,
    Zip,
    Name,
    CreditCard,
    Diagnosis,
    Url,
    AccountNumber,
    LicenseNumber,
    VehicleId,
    DeviceId,
    Biometric,
    Photo,
    UniqueId,
    Date,
    AgeOver89,
    ZipRestricted,
}

const KINDS: usize = 26;

/// Patterns of the combined automaton, in priority order (leftmost-first: at one start
/// position the earlier pattern wins, so the longest digit shapes come first).
const PATTERNS: &[(Kind, &str)] = &[
    (Kind::Url, r"(?i:https?://)[A-Za-z0-9._~:/?#@!$&()*+;=%\-]+"),
    (
        Kind::Email,
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}",
    ),
    (Kind::CreditCard, r"[3-6]\d{3}(?:[ \-]?\d{4}){2}[ \-]?\d{1,7}"),
    (Kind::Ssn, r"\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{3}\.\d{2}\.\d{4}"),
    (
        Kind::Phone,
        r"(?:\+?1[ .\-]?)?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}",
    ),
    (Kind::Mbi, r"[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}"),
    (Kind::Npi, r"[12]\d{9}"),
    (Kind::Dea, r"[A-Za-z][A-Za-z9]\d{7}"),
    (Kind::Mrn, r"(?:MRN|MR#|MR-)[ :#\-]*\d{5,12}"),
    (Kind::IpAddress, r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"),
    (
        Kind::StreetAddress,
        r"\d{1,6} (?:[A-Z][a-z]+ ){1,3}(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Ct|Court|Way|Pl|Place|Ter|Terrace|Pkwy|Hwy)(?:[ ,.;:#\-\t\r\n)\x22'/]|$)",
    ),
];

/// What a column's name says it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnClass {
    /// A type decided by the column (names, dates of birth, ...).
    Holds(Kind),
    /// System metadata (created_at, export_time, ...): dates here are not PHI.
    System,
    /// Free text or unknown: patterns only.
    Other,
}

/// Split a column name or JSON path into lower-case words (`patientDOB` → `patient dob`).
fn words(name: &str) -> Vec<String> {
    let last = name.rsplit(['.', '/']).next().unwrap_or(name);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in last.chars() {
        if !ch.is_alphanumeric() && ch != '#' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Classify a column by its name (whole words, never substrings: "lic" is not in "duplicate").
pub fn classify(name: &str) -> ColumnClass {
    use ColumnClass::*;
    use Kind::*;
    let w = words(name);
    let has = |x: &str| w.iter().any(|y| y == x);
    let joined = w.join("_");
    let any = |xs: &[&str]| xs.iter().any(|x| has(x) || joined == *x);
    if any(&[
        "version", "ver", "build", "release", "revision", "checksum", "sha256", "hash", "etag",
    ]) {
        return System;
    }
    if any(&[
        "created",
        "updated",
        "modified",
        "exported",
        "export",
        "generated",
        "inserted",
        "etl",
        "ingested",
        "synced",
    ]) || joined.ends_with("_at") && !any(&["admitted", "discharged", "born", "died"])
    {
        return System;
    }
    if any(&[
        "ssn",
        "ss#",
        "ssnum",
        "socialsecurity",
        "social_security",
        "social_security_number",
    ]) {
        return Holds(Ssn);
    }
    if any(&["dob", "birthdate", "birthday", "bday", "birth", "born", "date_of_birth"]) {
        return Holds(DateOfBirth);
    }
    if any(&[
        "admit",
        "admitted",
        "admission",
        "discharge",
        "discharged",
        "visit",
        "death",
        "deceased",
        "died",
        "appointment",
        "encounter",
        "service",
        "dos",
    ]) {
        return Holds(Date);
    }
    if any(&[
        "mrn",
        "mr#",
        "chart",
        "medical_record",
        "medical_record_number",
        "patient_id",
        "patientid",
        "patient_number",
    ]) {
        return Holds(Mrn);
    }
    if any(&["mbi", "hicn", "medicare_id", "medicare_number"]) {
        return Holds(Mbi);
    }
    if any(&[
        "member",
        "subscriber",
        "policy",
        "insurance",
        "plan_id",
        "payer_id",
        "group_number",
        "memberid",
    ]) {
        return Holds(HealthPlanId);
    }
    if any(&["npi"]) {
        return Holds(Npi);
    }
    if any(&["dea"]) {
        return Holds(Dea);
    }
    if any(&["email", "e_mail", "mail"]) {
        return Holds(Email);
    }
    if any(&["phone", "tel", "telephone", "mobile", "cell", "fax", "contact_number"]) {
        return Holds(Phone);
    }
    if any(&["zip", "zipcode", "postal", "postcode", "zip_code", "postal_code"]) {
        return Holds(Zip);
    }
    if any(&[
        "address",
        "street",
        "addr",
        "address1",
        "address2",
        "address_line",
        "line1",
        "line2",
    ]) {
        return Holds(StreetAddress);
    }
    if any(&[
        "diagnosis",
        "dx",
        "icd",
        "icd10",
        "icd_10",
        "diagnoses",
        "condition_code",
    ]) {
        return Holds(Diagnosis);
    }
    if any(&["ip", "ip_address", "client_ip", "remote_addr", "ipaddr", "ipv4"]) {
        return Holds(IpAddress);
    }
    if any(&["account", "acct", "iban", "routing", "bank"]) {
        return Holds(AccountNumber);
    }
    if any(&["card", "cc", "pan", "creditcard", "credit_card"]) {
        return Holds(CreditCard);
    }
    if any(&["license", "licence", "dl", "lic", "drivers_license"]) {
        return Holds(LicenseNumber);
    }
    if any(&["vin", "vehicle", "plate", "license_plate"]) {
        return Holds(VehicleId);
    }
    if any(&["device", "serial", "udi", "imei", "device_id"]) {
        return Holds(DeviceId);
    }
    if any(&["fingerprint", "biometric", "voiceprint", "retina", "faceprint"]) {
        return Holds(Biometric);
    }
    if any(&["photo", "picture", "headshot", "selfie", "avatar", "image"]) {
        return Holds(Photo);
    }
    if any(&["age"]) {
        return Holds(AgeOver89);
    }
    if any(&[
        "name",
        "first",
        "last",
        "firstname",
        "lastname",
        "fullname",
        "surname",
        "given",
        "family",
        "middle",
        "guardian",
        "patient",
        "first_name",
        "last_name",
        "full_name",
    ]) && !any(&[
        "user", "username", "file", "filename", "provider", "practice", "clinic", "company", "org", "drug", "product",
        "plan", "host", "hostname", "column", "table",
    ]) {
        return Holds(Name);
    }
    if any(&["website", "homepage", "url"]) {
        return Holds(Url);
    }
    Other
}

/// Per-type tallies.
#[derive(Debug, Clone, Default)]
struct Tally {
    count: u64,
    columns: BTreeSet<String>,
    samples: Vec<String>,
}

/// The recognizer set, compiled once per process.
pub struct Recognizers {
    re: Regex,
    icd: Regex,
}

impl Recognizers {
    pub fn new() -> Self {
        // ASCII mode: `\d` and classes stay byte-sized, so the lazy DFA handles every pattern.
        let pats: Vec<String> = PATTERNS.iter().map(|p| format!("(?-u:{})", p.1)).collect();
        Recognizers {
            re: Regex::builder()
                .configure(Regex::config().hybrid_cache_capacity(cache_capacity()))
                .build_many(&pats)
                .expect("built-in PHI patterns compile"),
            icd: Regex::new(r"^[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$").expect("ICD pattern compiles"),
        }
    }
}

/// The lazy DFA's cache. At the default 2 MiB the combined automaton's states do not fit and
/// the cache is rebuilt over and over (two thirds of the scan time went to determinizing).
/// 32 MiB keeps peak RSS near 55 MB on mixed data (64 MiB: ~25% faster, ~90 MB);
/// `VETTER_PHI_CACHE_MB` overrides it.
fn cache_capacity() -> usize {
    std::env::var("VETTER_PHI_CACHE_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(32)
        << 20
}

impl Default for Recognizers {
    fn default() -> Self {
        Self::new()
    }
}

/// Scans fields and tallies what it finds.
pub struct PhiScanner<'r> {
    rec: &'r Recognizers,
    tallies: Vec<Tally>,
    /// Per column: (class, whether any PHI was found in it).
    pub col_phi: Vec<bool>,
    found: [bool; KINDS],
    /// Queued field values, each followed by a newline, and where each one lies.
    pending: String,
    spans: Vec<Span>,
}

/// One queued field: its byte range in the batch, its column and the column's class.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    col: usize,
    class: ColumnClass,
}

/// Bytes of queued fields after which a batch is scanned (bounded memory, large searches).
const BATCH: usize = 1 << 20;

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether the match is a whole token: not glued to letters or digits (or to a `-`/`.`
/// joined to a longer id such as `ORD-212-...` or a version string).
fn bounded(s: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).map(|i| s[i]);
    let after = s.get(end).copied();
    if before.is_some_and(is_word_byte) || after.is_some_and(is_word_byte) {
        return false;
    }
    // `X-123-45-6789` or `1.2.3.4.5`: a joiner with a word byte beyond it.
    if let Some(b) = before
        && (b == b'-' || b == b'.' || b == b'/')
        && start >= 2
        && is_word_byte(s[start - 2])
    {
        return false;
    }
    if let Some(a) = after
        && (a == b'-' || a == b'.')
        && s.get(end + 1).is_some_and(|c| c.is_ascii_digit())
    {
        return false;
    }
    true
}

fn digits(s: &str) -> Vec<u8> {
    s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect()
}

fn luhn_sum(d: &[u8]) -> u32 {
    d.iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let x = u32::from(x);
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum()
}

pub fn luhn(d: &[u8]) -> bool {
    !d.is_empty() && luhn_sum(d).is_multiple_of(10)
}

/// SSA rules: area not 000, 666 or 9xx; group not 00; serial not 0000; no one-digit repeats;
/// advertising/sample numbers excluded.
pub fn valid_ssn(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let area = u32::from(d[0]) * 100 + u32::from(d[1]) * 10 + u32::from(d[2]);
    let group = d[3] * 10 + d[4];
    let serial = d[5..].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    const SAMPLES: [[u8; 9]; 3] = [
        [0, 7, 8, 0, 5, 1, 1, 2, 0],
        [1, 2, 3, 4, 5, 6, 7, 8, 9],
        [2, 1, 9, 0, 9, 9, 9, 9, 9],
    ];
    !SAMPLES.iter().any(|s| s == d)
}

/// NANP: 10 digits (after an optional leading 1); area and exchange start 2–9; area's middle
/// digit is not 9; exchange is not N11; 555-01xx is reserved for fiction.
pub fn valid_nanp(d: &[u8]) -> bool {
    let d = match d.len() {
        11 if d[0] == 1 => &d[1..],
        10 => d,
        _ => return false,
    };
    if d[0] < 2 || d[1] == 9 || d[3] < 2 {
        return false;
    }
    if d[4] == 1 && d[5] == 1 {
        return false;
    }
    !(d[3..6] == [5, 5, 5] && d[6] == 0 && d[7] == 1)
}

/// NPI: Luhn over "80840" + the ten digits.
pub fn valid_npi(d: &[u8]) -> bool {
    if d.len() != 10 || !(d[0] == 1 || d[0] == 2) || d[1..].iter().all(|&x| x == d[1]) {
        return false;
    }
    let mut full = vec![8, 0, 8, 4, 0];
    full.extend_from_slice(d);
    luhn(&full)
}

/// DEA: (d1+d3+d5) + 2×(d2+d4+d6), last digit = d7; first letter a registrant type.
pub fn valid_dea(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || !b"ABCDEFGHJKLMPRSTUX".contains(&b[0].to_ascii_uppercase()) {
        return false;
    }
    let d = digits(&s[2..]);
    if d.len() != 7 {
        return false;
    }
    let sum = u32::from(d[0] + d[2] + d[4]) + 2 * u32::from(d[1] + d[3] + d[5]);
    sum % 10 == u32::from(d[6])
}

/// MBI: letters never S, L, O, I, B, Z.
pub fn valid_mbi(s: &str) -> bool {
    let c: Vec<u8> = s.bytes().filter(|b| *b != b'-').collect();
    c.len() == 11 && !c.iter().any(|b| b"SLOIBZ".contains(b))
}

pub fn valid_ipv4(s: &str) -> bool {
    s.split('.')
        .all(|o| o.len() <= 3 && o.parse::<u16>().is_ok_and(|v| v <= 255) && !(o.len() > 1 && o.starts_with('0')))
}

/// Card: 13–19 digits, Luhn, a known issuer prefix.
pub fn valid_card(d: &[u8]) -> bool {
    if !(13..=19).contains(&d.len()) || !luhn(d) || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let p2 = d[0] * 10 + d[1];
    let p4 = d[..4].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    d[0] == 4
        || (51..=55).contains(&p2)
        || (2221..=2720).contains(&p4)
        || p2 == 34
        || p2 == 37
        || p4 == 6011
        || p2 == 65
        || p2 == 35
}

/// HHS Safe Harbor: 3-digit ZIP prefixes with 20,000 people or fewer (2000 census).
const RESTRICTED_ZIP3: [&str; 17] = [
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890",
    "893",
];

/// A value that is already protected: masked, hashed, tokenised or a placeholder.
pub fn protected(v: &str) -> bool {
    let t = v.trim();
    if t.is_empty() {
        return true;
    }
    let stars = t
        .bytes()
        .filter(|&b| b == b'*' || b == b'#' || b == b'X' || b == b'x')
        .count();
    if t.contains('*') && stars * 2 >= t.len() {
        return true;
    }
    if (t.len() == 32 || t.len() == 40 || t.len() == 64 || t.len() == 128) && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return true;
    }
    let l = t.to_ascii_lowercase();
    matches!(
        l.as_str(),
        "null" | "none" | "n/a" | "na" | "-" | "redacted" | "[redacted]" | "unknown" | "<redacted>"
    ) || l.starts_with("tok_")
        || l.starts_with("enc:")
}

/// The masked shape of a value: digits and letters become `*` except the last few
/// characters of long numbers; e-mails keep their first letter and TLD; names their initial.
pub fn mask(kind: Kind, v: &str) -> String {
    let v = v.trim();
    match kind {
        Kind::Email => {
            let first = v.chars().next().unwrap_or('*');
            let tld = v.rsplit('.').next().unwrap_or("");
            format!("{first}***@***.{tld}")
        }
        Kind::Name => format!("{}***", v.chars().next().unwrap_or('*')),
        Kind::Ssn | Kind::Phone | Kind::CreditCard | Kind::AccountNumber => keep_last(v, 4),
        Kind::DateOfBirth
        | Kind::Date
        | Kind::StreetAddress
        | Kind::AgeOver89
        | Kind::Biometric
        | Kind::Photo
        | Kind::Url => v
            .chars()
            .map(|c| if c.is_alphanumeric() { '*' } else { c })
            .take(24)
            .collect(),
        Kind::Diagnosis => v.chars().take(1).chain("**".chars()).collect(),
        Kind::Zip | Kind::ZipRestricted => "*****".into(),
        _ => keep_last(v, 2),
    }
}

fn keep_last(v: &str, n: usize) -> String {
    let total = v.chars().filter(|c| c.is_alphanumeric()).count();
    let keep_from = if total >= 8 { total - n } else { total };
    let mut seen = 0;
    v.chars()
        .take(40)
        .map(|c| {
            if c.is_alphanumeric() {
                seen += 1;
                if seen > keep_from { c } else { '*' }
            } else {
                c
            }
        })
        .collect()
}

/// Words before a hit that make a weak checksum type credible.
fn context_before(s: &str, start: usize, words: &[&str]) -> bool {
    let from = start.saturating_sub(40);
    let mut from = from;
    while !s.is_char_boundary(from) {
        from += 1;
    }
    let window = s[from..start].to_ascii_lowercase();
    window
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '#')
        .any(|w| words.contains(&w))
}

impl<'r> PhiScanner<'r> {
    pub fn new(rec: &'r Recognizers) -> Self {
        PhiScanner {
            rec,
            tallies: vec![Tally::default(); KINDS],
            col_phi: Vec::new(),
            found: [false; KINDS],
            pending: String::new(),
            spans: Vec::new(),
        }
    }

    fn hit(&mut self, kind: Kind, col: usize, col_name: &str, value: &str) {
        let t = &mut self.tallies[kind as usize];
        t.count += 1;
        if !t.columns.contains(col_name) {
            t.columns.insert(col_name.to_string());
        }
        if t.samples.len() < 3 {
            let m = mask(kind, value);
            if !t.samples.contains(&m) {
                t.samples.push(m);
            }
        }
        if self.col_phi.len() <= col {
            self.col_phi.resize(col + 1, false);
        }
        self.col_phi[col] = true;
        self.found[kind as usize] = true;
    }

    /// Scan one field on its own (tests and one-off callers): [`push`](Self::push) + flush.
    pub fn field(&mut self, col: usize, col_name: &str, class: ColumnClass, value: &str) {
        self.push(col, class, value);
        self.flush(|_| col_name);
    }

    /// Queue one field. Fields are scanned in batches by [`flush`](Self::flush) (one regex pass
    /// per ~1 MiB rather than one call per field, the per-call cost dominating on short fields);
    /// returns true when the batch is full and should be flushed.
    pub fn push(&mut self, col: usize, class: ColumnClass, value: &str) -> bool {
        // System metadata columns hold timestamps and ids of the system itself: never scanned.
        if value.is_empty() || class == ColumnClass::System {
            return false;
        }
        let start = self.pending.len();
        self.pending.push_str(value);
        self.spans.push(Span {
            start,
            end: self.pending.len(),
            col,
            class,
        });
        // No pattern crosses a newline except the street-address terminator, whose match end
        // is clamped back to the field's end: so no match spans two fields.
        self.pending.push('\n');
        self.pending.len() >= BATCH
    }

    /// Scan every queued field: one multi-pattern search over the batch, each match mapped
    /// back to its field (matches come in order, so a cursor suffices) and validated against
    /// the field alone — the same hits, in the same order, as scanning field by field.
    pub fn flush<'n>(&mut self, col_name: impl Fn(usize) -> &'n str) {
        if self.spans.is_empty() {
            return;
        }
        let buf = std::mem::take(&mut self.pending);
        let spans = std::mem::take(&mut self.spans);
        let rec = self.rec;
        let mut input = Input::new(buf.as_bytes());
        let mut next = rec.re.search(&input);
        for sp in &spans {
            self.found = [false; KINDS];
            let value = &buf[sp.start..sp.end];
            let bytes = value.as_bytes();
            let name = col_name(sp.col);
            let col = sp.col;
            let col_kind = match sp.class {
                ColumnClass::Holds(k) => Some(k),
                _ => None,
            };
            while let Some(m) = next.filter(|m| m.start() < sp.end) {
                let (ms, me) = (m.start(), m.end());
                input.set_start(if me > ms { me } else { ms + 1 });
                next = rec.re.search(&input);
                let (s, e) = (ms - sp.start, me.min(sp.end) - sp.start);
                let kind = PATTERNS[m.pattern().as_usize()].0;
                let text = &value[s..e];
                let ok = match kind {
                    Kind::Url | Kind::Email | Kind::StreetAddress => {
                        s == 0 || !is_word_byte(bytes[s - 1]) || kind == Kind::Url
                    }
                    Kind::Ssn => bounded(bytes, s, e) && valid_ssn(&digits(text)),
                    Kind::Phone => bounded(bytes, s, e) && valid_nanp(&digits(text)),
                    Kind::CreditCard => bounded(bytes, s, e) && valid_card(&digits(text)),
                    Kind::Mbi => bounded(bytes, s, e) && valid_mbi(text),
                    // A check digit admits 1 in 10 random strings: also require context.
                    Kind::Npi => {
                        bounded(bytes, s, e)
                            && valid_npi(&digits(text))
                            && (col_kind == Some(Kind::Npi)
                                || context_before(value, s, &["npi", "provider", "prescriber", "physician", "npi#"]))
                    }
                    Kind::Dea => {
                        bounded(bytes, s, e)
                            && valid_dea(text)
                            && (col_kind == Some(Kind::Dea)
                                || context_before(value, s, &["dea", "registration", "dea#"]))
                    }
                    Kind::Mrn => s == 0 || !is_word_byte(bytes[s - 1]),
                    Kind::IpAddress => {
                        bounded(bytes, s, e)
                            && valid_ipv4(text)
                            && !context_before(value, s, &["version", "ver", "v", "build", "release"])
                    }
                    _ => false,
                };
                if ok {
                    // An MRN column's prefixed ids are counted once, below.
                    if !(kind == Kind::Mrn && col_kind == Some(Kind::Mrn)) {
                        self.hit(kind, col, name, text);
                    }
                }
            }
            if let Some(k) = col_kind {
                self.column_value(k, col, name, value);
            }
        }
        // Keep the allocations for the next batch.
        self.pending = buf;
        self.pending.clear();
        self.spans = spans;
        self.spans.clear();
    }

    /// Types decided by the column: count the value unless a pattern already found that type
    /// in it or it is already protected.
    fn column_value(&mut self, k: Kind, col: usize, col_name: &str, value: &str) {
        if self.found[k as usize] || protected(value) {
            return;
        }
        let v = value.trim();
        let ok = match k {
            Kind::Ssn => {
                let d = digits(v);
                v.len() <= 11 && valid_ssn(&d)
            }
            Kind::Phone => {
                let d = digits(v);
                v.len() <= 20 && valid_nanp(&d)
            }
            Kind::Npi => valid_npi(&digits(v)) && v.len() == 10,
            Kind::Dea => valid_dea(v),
            Kind::Mbi => valid_mbi(v) && v.len() <= 13,
            Kind::Email => v.contains('@'),
            Kind::IpAddress => valid_ipv4(v) || (v.contains(':') && v.parse::<std::net::Ipv6Addr>().is_ok()),
            Kind::Zip => {
                let d = digits(v);
                if (d.len() == 5 || d.len() == 9) && v.len() <= 10 {
                    let z3 = &v[..3];
                    if RESTRICTED_ZIP3.contains(&z3) {
                        self.hit(Kind::ZipRestricted, col, col_name, v);
                        return;
                    }
                    true
                } else {
                    false
                }
            }
            Kind::Diagnosis => v
                .split([',', ';', '|', ' '])
                .filter(|c| !c.is_empty())
                .any(|c| self.rec.icd.is_match(c)),
            Kind::DateOfBirth | Kind::Date => super::retention::parse_date(v).is_some(),
            Kind::AgeOver89 => v.parse::<f64>().is_ok_and(|a| a > 89.0 && a < 150.0),
            Kind::Name => {
                v.chars().any(char::is_alphabetic) && v.chars().all(|c| c.is_alphabetic() || " .'-,".contains(c))
            }
            Kind::CreditCard => valid_card(&digits(v)),
            Kind::StreetAddress => v.chars().any(|c| c.is_ascii_digit()) && v.chars().any(char::is_alphabetic),
            Kind::Url => v.contains("://") || v.starts_with("www."),
            Kind::Mrn
            | Kind::HealthPlanId
            | Kind::AccountNumber
            | Kind::LicenseNumber
            | Kind::VehicleId
            | Kind::DeviceId => v.len() >= 4 && v.len() <= 40 && v.chars().any(|c| c.is_ascii_digit()),
            Kind::Biometric | Kind::Photo | Kind::UniqueId => v.len() >= 8,
            Kind::ZipRestricted => false,
        };
        if ok {
            self.hit(k, col, col_name, v);
        }
    }

    /// Columns (by index) in which any PHI was found.
    pub fn phi_columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.col_phi.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i)
    }

    pub fn count(&self, kind: Kind) -> u64 {
        self.tallies[kind as usize].count
    }

    /// The facts: counts, columns and masked samples.
    pub fn facts(&self) -> PhiFacts {
        let t = |k: Kind| {
            let x = &self.tallies[k as usize];
            PhiType {
                count: x.count,
                columns: x.columns.iter().cloned().collect(),
                samples: x.samples.clone(),
            }
        };
        use Kind::*;
        let types = PhiTypes {
            ssn: t(Ssn),
            phone: t(Phone),
            email: t(Email),
            date_of_birth: t(DateOfBirth),
            mrn: t(Mrn),
            health_plan_id: t(HealthPlanId),
            npi: t(Npi),
            dea: t(Dea),
            mbi: t(Mbi),
            ip_address: t(IpAddress),
            street_address: t(StreetAddress),
            zip: t(Zip),
            name: t(Name),
            credit_card: t(CreditCard),
            diagnosis: t(Diagnosis),
            url: t(Url),
            account_number: t(AccountNumber),
            license_number: t(LicenseNumber),
            vehicle_id: t(VehicleId),
            device_id: t(DeviceId),
            biometric: t(Biometric),
            photo: t(Photo),
            unique_id: t(UniqueId),
            date: t(Date),
            age_over_89: t(AgeOver89),
            zip_restricted: t(ZipRestricted),
        };
        // Provider identifiers (NPI, DEA) are reported but are not patient PHI; diagnosis
        // codes are health information, not identifiers: neither counts toward the total.
        let total = self
            .tallies
            .iter()
            .enumerate()
            .filter(|(i, _)| ![Npi as usize, Dea as usize, Diagnosis as usize].contains(i))
            .map(|(_, x)| x.count)
            .sum();
        PhiFacts { total, types }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(col: &str, v: &str) -> PhiFacts {
        let r = Recognizers::new();
        let mut s = PhiScanner::new(&r);
        s.field(0, col, classify(col), v);
        s.facts()
    }

    #[test]
    fn validators() {
        assert!(valid_ssn(&digits("219-45-6789")));
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "912-34-5678",
            "123-00-4567",
            "123-45-0000",
            "078-05-1120",
            "111-11-1111",
        ] {
            assert!(!valid_ssn(&digits(bad)), "{bad}");
        }
        assert!(valid_npi(&digits("1234567893")));
        assert!(!valid_npi(&digits("1234567890")));
        assert!(valid_dea("AB1234563"));
        assert!(!valid_dea("AB1234564"));
        assert!(!valid_nanp(&digits("(312) 555-0147")));
        assert!(valid_nanp(&digits("(312) 201-0147")));
        assert!(!valid_nanp(&digits("112-201-0147")));
        assert!(!valid_nanp(&digits("312-911-0147")));
        assert!(valid_card(&digits("4111 1111 1111 1111")));
        assert!(!valid_card(&digits("4111 1111 1111 1112")));
        assert!(valid_mbi("1EG4-TE5-MK73"));
        assert!(!valid_mbi("1EG4-TE5-MB73"));
        assert!(valid_ipv4("10.20.30.40"));
        assert!(!valid_ipv4("300.1.1.1"));
    }

    #[test]
    fn column_words_not_substrings() {
        assert_eq!(classify("duplicate_count"), ColumnClass::Other);
        assert_eq!(classify("patientDOB"), ColumnClass::Holds(Kind::DateOfBirth));
        assert_eq!(classify("created_at"), ColumnClass::System);
        assert_eq!(classify("last_name"), ColumnClass::Holds(Kind::Name));
        assert_eq!(classify("username"), ColumnClass::Other);
        assert_eq!(classify("patient.address.zip"), ColumnClass::Holds(Kind::Zip));
    }

    #[test]
    fn free_text_and_near_misses() {
        let f = scan(
            "notes",
            "Pt SSN 219-45-6789, call 312-201-0147 or j.doe@mail.example.org",
        );
        assert_eq!((f.types.ssn.count, f.types.phone.count, f.types.email.count), (1, 1, 1));
        assert_eq!(f.types.ssn.samples, vec!["***-**-6789"]);
        let f = scan(
            "notes",
            "order ORD-123-456-7890 lot LT4839201 ref MRN1234567 ssn 912-34-5678 on 2024-03-05 id 1234567890 v4.2.10.1",
        );
        assert_eq!(
            f.types.ssn.count + f.types.phone.count + f.types.dea.count + f.types.npi.count,
            0,
            "{f:?}"
        );
        assert_eq!(f.types.ip_address.count, 0);
        let f = scan("notes", "prescriber NPI 1234567893, DEA AB1234563");
        assert_eq!((f.types.npi.count, f.types.dea.count), (1, 1));
    }

    #[test]
    fn masks_hide_values() {
        assert_eq!(mask(Kind::Email, "jane.doe@example.com"), "j***@***.com");
        assert_eq!(mask(Kind::Ssn, "219-45-6789"), "***-**-6789");
        assert_eq!(mask(Kind::Name, "Avery"), "A***");
        assert_eq!(mask(Kind::DateOfBirth, "1980-04-12"), "****-**-**");
    }

    #[test]
    fn protected_values_do_not_count() {
        assert_eq!(scan("ssn", "***-**-6789").total, 0);
        assert_eq!(scan("ssn", &"a".repeat(64)).total, 0);
        assert_eq!(scan("first_name", "[REDACTED]").total, 0);
        assert_eq!(scan("ssn", "219456789").types.ssn.count, 1);
    }
}
