//! ② Collect (export probe): PHI recognizers. Input: fields (column known), queued and scanned
//! in ~1 MiB batches; output: counts per type, the columns they were in, and at most three
//! *masked* samples. No I/O.
//!
//! Strategy: every pattern-shaped type is one entry of [`PATTERNS`], searched leftmost-first
//! once per batch of fields by the hand-written matchers of [`shapes`], merged in
//! order so the matches are exactly those of one search of the whole alternation; every
//! match is then checked by code (word boundaries, SSA ranges, NANP, Luhn, Luhn-80840, DEA
//! check digit, MBI alphabet, IPv4 octets). Types a pattern
//! cannot decide (names, dates of birth, MRNs, member ids, addresses, ZIPs, diagnoses) come
//! from the column name. A raw value never leaves this module: only [`mask`]ed shapes do.

pub mod dates;
pub mod lists;
pub mod profile;
pub mod score;
pub mod shapes;
pub mod text;

use std::collections::BTreeSet;

use regex_automata::meta::Regex;

use crate::facts::{PhiFacts, PhiType, PhiTypes, UnparsedDates};

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
    City,
}

const KINDS: usize = 27;

impl Kind {
    /// The facts field this kind is reported under (`phi.types.<field>`).
    pub fn field(self) -> &'static str {
        use Kind::*;
        match self {
            Ssn => "ssn",
            Phone => "phone",
            Email => "email",
            DateOfBirth => "date_of_birth",
            Mrn => "mrn",
            HealthPlanId => "health_plan_id",
            Npi => "npi",
            Dea => "dea",
            Mbi => "mbi",
            IpAddress => "ip_address",
            StreetAddress => "street_address",
            Zip => "zip",
            Name => "name",
            CreditCard => "credit_card",
            Diagnosis => "diagnosis",
            Url => "url",
            AccountNumber => "account_number",
            LicenseNumber => "license_number",
            VehicleId => "vehicle_id",
            DeviceId => "device_id",
            Biometric => "biometric",
            Photo => "photo",
            UniqueId => "unique_id",
            Date => "date",
            AgeOver89 => "age_over_89",
            ZipRestricted => "zip_restricted",
            City => "city",
        }
    }
}

/// The pattern-shaped types, in priority order (leftmost-first: at one start position the
/// earlier pattern wins, so the longest digit shapes come first). They are not compiled:
/// they specify what the matchers of [`shapes`] find (a test checks the two agree),
/// and `bench/export-phi.sh` gives them to ripgrep.
pub static PATTERNS: std::sync::LazyLock<Vec<(Kind, String)>> = std::sync::LazyLock::new(|| {
    let suffixes = lists::suffix_words().join("|");
    vec![
        (Kind::Url, r"(?i:https?://)[A-Za-z0-9._~:/?#@!$&()*+;=%\-]+".into()),
        (
            Kind::Email,
            r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}".into(),
        ),
        (
            Kind::CreditCard,
            r"[1-6]\d{3}(?:[ \-]?\d{4}){2}(?:[ \-]?\d{1,7})?|3[47]\d{2}[ \-]\d{6}[ \-]\d{5}".into(),
        ),
        (
            Kind::Ssn,
            r"\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{3}\.\d{2}\.\d{4}".into(),
        ),
        (
            Kind::Phone,
            r"(?:\+?1[ .\-]?)?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}".into(),
        ),
        (
            Kind::Mbi,
            r"[1-9][A-Z][A-Z0-9]\d-?[A-Z][A-Z0-9]\d-?[A-Z]{2}\d{2}".into(),
        ),
        (Kind::Npi, r"[12]\d{9}".into()),
        (Kind::Dea, r"[A-Za-z][A-Za-z9]\d{7}".into()),
        (Kind::Mrn, r"(?:MRN|MR#|MR-)[ :#\-]*\d{5,12}".into()),
        (Kind::IpAddress, r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}".into()),
        (
            Kind::StreetAddress,
            format!(r"\d{{1,6}} (?:[A-Z][a-z]+ ){{1,3}}(?:{suffixes})(?:[ ,.;:#\-\t\r\n)\x22'/]|$)"),
        ),
    ]
});

/// Each kind's rank in [`PATTERNS`], by `Kind as usize` (lower wins a tie at one start).
static RANKS: std::sync::LazyLock<[usize; KINDS]> = std::sync::LazyLock::new(|| {
    let mut r = [usize::MAX; KINDS];
    for (i, p) in PATTERNS.iter().enumerate() {
        r[p.0 as usize] = i;
    }
    r
});

fn rank(k: Kind) -> usize {
    RANKS[k as usize]
}

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

/// Words that say a column holds a date or time.
const DATE_WORDS: &[&str] = &[
    "date",
    "dt",
    "dte",
    "datetime",
    "timestamp",
    "ts",
    "day",
    "on",
    "at",
    "year",
    "yr",
    "when",
    "start",
    "end",
    "begin",
    "from",
    "thru",
    "through",
];

/// Words that say a column holds something about a date event other than its date.
const NOT_DATE_HEADS: &[&str] = &[
    "id",
    "ids",
    "key",
    "number",
    "no",
    "num",
    "nbr",
    "code",
    "type",
    "status",
    "reason",
    "source",
    "location",
    "place",
    "country",
    "city",
    "state",
    "county",
    "provider",
    "physician",
    "doctor",
    "count",
    "flag",
    "ind",
    "indicator",
    "age",
    "weight",
    "order",
    "sex",
    "gender",
    "name",
    "duration",
    "length",
    "los",
    "days",
    "hours",
    "minutes",
    "notes",
    "note",
    "comment",
    "comments",
    "disposition",
    "diagnosis",
    "dx",
    "category",
    "class",
    "mode",
    "kind",
    "department",
    "dept",
    "unit",
    "ward",
    "room",
    "facility",
    "certificate",
    "plurality",
    "cause",
];

/// Things a system keys that are not people (`session_id`, `request_uuid`, `trace_id`).
const SYSTEM_SUBJECTS: [&str; 20] = [
    "session",
    "sess",
    "request",
    "req",
    "trace",
    "span",
    "correlation",
    "event",
    "message",
    "msg",
    "transaction",
    "txn",
    "job",
    "batch",
    "run",
    "upload",
    "webhook",
    "idempotency",
    "nonce",
    "log",
];

/// People a key may identify (Safe Harbor (R) applies to them).
const PERSON_SUBJECTS: [&str; 13] = [
    "patient",
    "member",
    "person",
    "subscriber",
    "beneficiary",
    "enrollee",
    "contact",
    "customer",
    "client",
    "user",
    "guarantor",
    "insured",
    "resident",
];

/// The subject of a key column (`session` in `patient_session_uuid`): the last system or person
/// word before a trailing `id`/`uuid`/`guid`/`key`/`identifier`.
fn key_subject(w: &[String]) -> Option<&str> {
    let (tail, rest) = w.split_last()?;
    if !["id", "ids", "uuid", "guid", "key", "identifier"].contains(&tail.as_str()) {
        return None;
    }
    rest.iter()
        .rev()
        .map(String::as_str)
        .find(|x| SYSTEM_SUBJECTS.contains(x) || PERSON_SUBJECTS.contains(x))
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
    // Reporting periods of aggregate data (`period_end`, `fiscal_quarter`): about the report,
    // not a person.
    if any(&["period", "fiscal", "reporting", "snapshot", "as_of", "quarter"]) && !any(&["birth", "dob", "death"]) {
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
    // A key of a system event (a session, request, trace or message UUID) identifies the event,
    // not a person: patterns only. Decided by the subject nearest the key word, so
    // `patient_session_uuid` is a session's and `session_patient_uuid` a patient's.
    if key_subject(&w).is_some_and(|s| SYSTEM_SUBJECTS.contains(&s)) {
        return Other;
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
    // Dates of a person's life and care. An event word makes a date column only when the name
    // says date (`admission_date`, `admitted_at`) or ends on the event (`admission`, `dos`):
    // `visit_id`, `admission_source`, `age_at_visit`, `place_of_birth` hold no dates, and a date
    // column's values that do not read as dates are reported (`phi.dates_unparsed`).
    let dated = |events: &[&str]| {
        any(events)
            && !any(NOT_DATE_HEADS)
            && (w.last().is_some_and(|l| events.contains(&l.as_str())) || any(DATE_WORDS))
    };
    if any(&["dob", "birthdate", "birthday", "bday", "date_of_birth"]) && !any(NOT_DATE_HEADS)
        || dated(&["birth", "born"])
    {
        return Holds(DateOfBirth);
    }
    if dated(&[
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
    // Safe Harbor (R): any other number or code unique to a person — CRM contact keys,
    // enterprise patient indexes, UUIDs. Only names that say so: a bare `id` is usually a row
    // number, and `subject`/`study` codes are often 164.514(c) re-identification codes (the
    // manifest's `reidentification_codes` exempts the ones that are).
    let key_tail = w
        .last()
        .is_some_and(|t| ["id", "key", "identifier"].contains(&t.as_str()));
    if any(&["uuid", "guid", "empi", "mpi", "customer_number", "client_number"])
        || key_tail
            && any(&[
                "contact",
                "customer",
                "client",
                "person",
                "crm",
                "external",
                "global",
                "enterprise",
                "unique",
            ])
        || key_tail && w.last().is_some_and(|t| t == "key") && has("patient")
    {
        return Holds(UniqueId);
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
    ]) && !any(&["name", "first", "last", "fname", "lname"])
    {
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
    if any(&[
        "zip",
        "zipcode",
        "postal",
        "postcode",
        "zip_code",
        "postal_code",
        "zip5",
        "zip9",
        "zip4",
        "zip3",
        "zip_3",
        "zip_prefix",
        "zipcode5",
        "plus4",
    ]) {
        return Holds(Zip);
    }
    // Geographic subdivisions smaller than a state (Safe Harbor (B)).
    if any(&["city", "town", "municipality", "county", "locality", "suburb"]) {
        return Holds(City);
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
    if (any(&[
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
        // People around the patient: their names are identifiers of relatives, employers
        // and household members (Safe Harbor (A)).
        "guarantor",
        "next_of_kin",
        "kin",
        "nok",
        "spouse",
        "caregiver",
        "emergency_contact",
        "contact_name",
        "contact_person",
        "lname",
        "fname",
        "mname",
        "insured",
        "policyholder",
        "beneficiary",
        "mother",
        "father",
        "parent",
        "relative",
        "responsible_party",
    ]) || joined == "contact"
        || joined == "emergency")
        && !any(&[
            "user", "username", "file", "filename", "provider", "practice", "clinic", "company", "org", "drug",
            "product", "plan", "host", "hostname", "column", "table",
        ])
    {
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
    /// Column indices (named in [`PhiScanner::facts`]).
    columns: BTreeSet<usize>,
    samples: Vec<String>,
}

/// The recognizer set, built once per process (cheap to clone: the automaton is shared).
#[derive(Clone)]
pub struct Recognizers {
    icd: Regex,
    lists: std::sync::Arc<lists::Lists>,
}

impl Recognizers {
    pub fn new() -> Self {
        Recognizers {
            icd: Regex::new(r"^[A-TV-Z]\d[0-9A-Z](?:\.?[0-9A-Z]{1,4})?$").expect("ICD pattern compiles"),
            lists: std::sync::Arc::new(lists::Lists::new()),
        }
    }

    /// Every pattern match in `h`, leftmost-first and non-overlapping, as one search of the
    /// alternation of all [`PATTERNS`] would give them: (start, end, kind).
    pub fn matches<'h>(&self, h: &'h [u8]) -> Matches<'h> {
        Matches {
            h,
            pos: 0,
            kept: [Kept {
                m: None,
                from: usize::MAX,
            }; SOURCES.len()],
        }
    }
}

/// The matchers of [`shapes`], each covering some entries of [`PATTERNS`].
type Source = fn(&[u8], usize) -> Option<(usize, usize, Kind)>;
const SOURCES: [Source; 4] = [
    shapes::next_url,
    shapes::next_email,
    shapes::next_mrn,
    shapes::next_digit_led,
];

/// One source's last answer and the position it was searched from.
#[derive(Debug, Clone, Copy)]
struct Kept {
    m: Option<(usize, usize, Kind)>,
    from: usize,
}

/// Iterator behind [`Recognizers::matches`]. Each source keeps its next match until the
/// search passes its start (a search from a later position would find the same one); the
/// earliest start wins, and at one start the higher-ranked pattern. That is exactly
/// leftmost-first search of the whole alternation.
pub struct Matches<'h> {
    h: &'h [u8],
    pos: usize,
    kept: [Kept; SOURCES.len()],
}

impl Iterator for Matches<'_> {
    type Item = (usize, usize, Kind);

    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.pos;
        if pos > self.h.len() {
            return None;
        }
        let mut best: Option<(usize, usize, Kind)> = None;
        for (k, source) in self.kept.iter_mut().zip(SOURCES) {
            // A kept answer still holds from `pos` if it was searched from at most `pos` and
            // starts at or after it (or there was none at all).
            if k.from > pos || k.m.is_some_and(|m| m.0 < pos) {
                k.m = source(self.h, pos);
                k.from = pos;
            }
            if let Some(m) = k.m
                && best.is_none_or(|b| (m.0, rank(m.2)) < (b.0, rank(b.2)))
            {
                best = Some(m);
            }
        }
        let Some(best) = best else {
            self.pos = self.h.len() + 1;
            return None;
        };
        self.pos = if best.1 > best.0 { best.1 } else { best.0 + 1 };
        Some(best)
    }
}

impl Default for Recognizers {
    fn default() -> Self {
        Self::new()
    }
}

/// Scans fields and tallies what it finds. Full batches are scanned on a worker thread while
/// the caller reads and parses the next one (at most three batches exist at a time); small
/// inputs, which never fill a batch, are scanned inline.
pub struct PhiScanner<'r> {
    rec: &'r Recognizers,
    /// The tallies; `None` while a worker thread holds them.
    state: Option<State>,
    worker: Option<Worker>,
    /// Column names by index, learnt as fields arrive (for the facts).
    names: Vec<String>,
    /// The batch being filled: field values, each followed by a newline, and their spans.
    batch: Batch,
    /// The record the next pushed fields belong to (for the trace).
    row: u64,
}

/// What the scan has found so far.
#[derive(Debug, Clone)]
struct State {
    tallies: Vec<Tally>,
    /// Per column: whether any PHI was found in it.
    col_phi: Vec<bool>,
    /// Types found in the current field (a pattern hit suppresses the column-decided count).
    found: [bool; KINDS],
    /// Reused for masking.
    scratch: String,
    /// The record of the field being scanned.
    cur_row: u64,
    /// Pattern matches accepted in the field being scanned (field offsets), so the word
    /// recognizers never count the same text twice.
    covered: Vec<(usize, usize, Kind)>,
    text: text::Scratch,
    word_hits: Vec<(Kind, usize, usize)>,
    /// Per column (by index): the value profile of a column whose name says nothing.
    profiles: Vec<profile::Profile>,
    /// Every hit as (record, column, kind), when asked for (the labelled benches score cells
    /// with it); positions only, never a value.
    trace: Option<Vec<(u64, u32, Kind)>>,
    /// The assessment's year, when known: a birth year implying an age over 89 is counted.
    as_of_year: Option<i32>,
    /// Per column (by index): values of a date column no date layout could read.
    dates_unparsed: Vec<u64>,
    /// Per column (by index): what its name says, for the place columns' neighbours.
    classes: Vec<ColumnClass>,
}

/// Queued fields and, once [`Batch::find`] ran, the pattern matches in them.
#[derive(Debug, Default)]
struct Batch {
    text: String,
    spans: Vec<Span>,
    matches: Vec<(usize, usize, Kind)>,
    /// Whether `matches` holds the batch's matches (else the scan searches as it goes).
    found: bool,
}

impl Batch {
    /// The pattern search over the whole batch. Run by the thread that filled the batch before
    /// handing it on: the scan thread, which also runs the word recognizers and the column
    /// profiles, is the slower stage of the two. A batch swollen by one huge field is left to
    /// the scan's streaming search, so the matches held never outgrow an ordinary batch's.
    fn find(&mut self, rec: &Recognizers) {
        self.matches.clear();
        self.found = self.text.len() <= 2 * BATCH;
        if self.found {
            self.matches.extend(rec.matches(self.text.as_bytes()));
        }
    }

    fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
        self.matches.clear();
        self.found = false;
    }
}

/// The scanning thread: batches go in through a one-slot channel (back-pressure bounds
/// memory), emptied buffers come back for reuse, the state comes back at the end.
struct Worker {
    tx: std::sync::mpsc::SyncSender<Batch>,
    recycled: std::sync::mpsc::Receiver<Batch>,
    handle: std::thread::JoinHandle<State>,
}

/// One queued field: its byte range in the batch, its column and the column's class.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    row: u64,
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

/// The digits of a short value, on the stack (validators take `&[u8]` of digit values).
struct Digits {
    d: [u8; 24],
    n: usize,
}

impl std::ops::Deref for Digits {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // More than 24 digits: the whole buffer, whose length fails every validator.
        &self.d[..self.n.min(24)]
    }
}

fn digits(s: &str) -> Digits {
    let mut out = Digits { d: [0; 24], n: 0 };
    for b in s.bytes().filter(u8::is_ascii_digit) {
        if out.n < 24 {
            out.d[out.n] = b - b'0';
        }
        out.n += 1;
    }
    if out.n > 24 {
        out.n = 24;
    }
    out
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

/// 555-0100 to 555-0199: reserved for fiction, never a line (the last 10 digits).
pub fn fiction(d: &[u8]) -> bool {
    d.len() >= 10 && {
        let d = &d[d.len() - 10..];
        d[3..6] == [5, 5, 5] && d[6] == 0 && d[7] == 1
    }
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

/// A whole value that is four dot-separated numbers of at most three digits.
fn valid_quad(v: &str) -> bool {
    v.split('.').count() == 4
        && v.split('.')
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

pub fn valid_ipv4(s: &str) -> bool {
    s.split('.')
        .all(|o| o.len() <= 3 && o.parse::<u16>().is_ok_and(|v| v <= 255) && !(o.len() > 1 && o.starts_with('0')))
}

/// Card: 13–19 digits, Luhn, a known issuer prefix.
pub fn valid_card(d: &[u8]) -> bool {
    let n = d.len();
    if !(12..=19).contains(&n) || !luhn(d) || d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let p2 = u32::from(d[0] * 10 + d[1]);
    let p3 = d[..3].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    let p4 = d[..4].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    let long = (16..=19).contains(&n);
    // Issuer ranges (IIN) with their lengths: Visa, Mastercard (51–55, 2221–2720), Amex,
    // Discover, JCB (35; 2131 and 1800 at 15), Diners (300–305, 3095, 36, 38, 39),
    // Maestro (50, 56–69, 12–19 digits), UnionPay (62).
    (d[0] == 4 && matches!(n, 13 | 16 | 19))
        || ((51..=55).contains(&p2) || (2221..=2720).contains(&p4)) && n == 16
        || (p2 == 34 || p2 == 37) && n == 15
        || (p4 == 6011 || (644..=649).contains(&p3) || p2 == 65) && long
        || p2 == 35 && long
        || (p4 == 2131 || p4 == 1800) && n == 15
        || ((300..=305).contains(&p3) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39) && (14..=19).contains(&n)
        || (p2 == 50 || (56..=69).contains(&p2)) && (12..=19).contains(&n)
}

/// EAN-13: weights 1 and 3 from the left, the last digit checks.
pub fn valid_ean13(d: &[u8]) -> bool {
    d.len() == 13
        && d.iter()
            .enumerate()
            .map(|(i, &x)| u32::from(x) * if i % 2 == 0 { 1 } else { 3 })
            .sum::<u32>()
            .is_multiple_of(10)
}

/// A phone column's value: NANP (an extension, `+1`/`1`/`001` prefix allowed), or an
/// international number with its country code (`+44 …`, `0044 …`), or a national one with a
/// trunk `0` (`01632 960123`).
fn phone_value(v: &str, column: bool) -> bool {
    let v = v.trim();
    let b = v.as_bytes();
    let mut end = b.len();
    if let Some(p) = b.iter().position(u8::is_ascii_alphabetic) {
        // Only an extension may hold letters.
        let q = if p > 0 && b[p - 1] == b' ' { p - 1 } else { p };
        if text::ext_end(b, q) != b.len() {
            return false;
        }
        end = q;
    }
    let main = &v[..end];
    let d = digits(main);
    if column
        && main.bytes().all(|c| c.is_ascii_digit() || b" ()+-.".contains(&c))
        && (d.len() == 10 || d.len() == 11 && d[0] == 1 || d.len() == 13 && main.starts_with("001"))
    {
        // A phone column's NANP-shaped number, even one no NANP line has (but not one
        // reserved for fiction).
        return !fiction(&d);
    }
    if main.starts_with("001") && d.len() == 13 {
        return valid_nanp(&d[3..]);
    }
    if valid_nanp(&d) {
        return true;
    }
    if main.starts_with('+') || main.starts_with("00") {
        let n = if main.starts_with("00") {
            d.len().saturating_sub(2)
        } else {
            d.len()
        };
        return (8..=15).contains(&n);
    }
    (main.starts_with('0') || main.starts_with("(0")) && (10..=11).contains(&d.len())
}

/// HHS Safe Harbor: 3-digit ZIP prefixes with 20,000 people or fewer (2000 census).
const RESTRICTED_ZIP3: [&str; 17] = [
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890",
    "893",
];

/// Values that stand in for a missing or removed one.
const PLACEHOLDERS: [&str; 9] = [
    "null",
    "none",
    "n/a",
    "na",
    "-",
    "redacted",
    "[redacted]",
    "unknown",
    "<redacted>",
];

/// A value that is already protected: masked, hashed, tokenised or a placeholder.
pub fn protected(v: &str) -> bool {
    let t = v.trim();
    if t.is_empty() {
        return true;
    }
    // Cheapest tests first: this runs on every value of a column-decided type.
    if t.contains('*') {
        let stars = t
            .bytes()
            .filter(|&b| b == b'*' || b == b'#' || b == b'X' || b == b'x')
            .count();
        if stars * 2 >= t.len() {
            return true;
        }
    }
    if matches!(t.len(), 32 | 40 | 64 | 128) && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return true;
    }
    let prefix = |p: &str| t.get(..p.len()).is_some_and(|x| x.eq_ignore_ascii_case(p));
    (t.len() <= 10 && PLACEHOLDERS.iter().any(|w| w.eq_ignore_ascii_case(t))) || prefix("tok_") || prefix("enc:")
}

/// The masked shape of a value: digits and letters become `*` except the last few
/// characters of long numbers; e-mails keep their first letter and TLD; names their initial.
pub fn mask(kind: Kind, v: &str) -> String {
    let mut out = String::new();
    mask_into(kind, v, &mut out);
    out
}

/// [`mask`] into a reused buffer (most hits repeat a sample already kept: no allocation).
fn mask_into(kind: Kind, v: &str, out: &mut String) {
    use std::fmt::Write;
    let v = v.trim();
    out.clear();
    match kind {
        Kind::Email => {
            let first = v.chars().next().unwrap_or('*');
            let tld = v.rsplit('.').next().unwrap_or("");
            let _ = write!(out, "{first}***@***.{tld}");
        }
        Kind::Name => {
            out.push(v.chars().next().unwrap_or('*'));
            out.push_str("***");
        }
        Kind::Ssn | Kind::Phone | Kind::CreditCard | Kind::AccountNumber => keep_last(v, 4, out),
        Kind::DateOfBirth
        | Kind::Date
        | Kind::StreetAddress
        | Kind::AgeOver89
        | Kind::Biometric
        | Kind::Photo
        | Kind::Url => out.extend(v.chars().map(|c| if c.is_alphanumeric() { '*' } else { c }).take(24)),
        Kind::Diagnosis => out.extend(v.chars().take(1).chain("**".chars())),
        Kind::Zip | Kind::ZipRestricted | Kind::City => out.push_str("*****"),
        _ => keep_last(v, 2, out),
    }
}

fn keep_last(v: &str, n: usize, out: &mut String) {
    let total = v.chars().filter(|c| c.is_alphanumeric()).count();
    let keep_from = if total >= 8 { total - n } else { total };
    let mut seen = 0;
    out.extend(v.chars().take(40).map(|c| {
        if c.is_alphanumeric() {
            seen += 1;
            if seen > keep_from { c } else { '*' }
        } else {
            c
        }
    }));
}

/// Words before a hit that make a weak checksum type credible.
fn context_before(s: &str, start: usize, words: &[&str]) -> bool {
    let from = start.saturating_sub(40);
    let mut from = from;
    while !s.is_char_boundary(from) {
        from += 1;
    }
    s[from..start]
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '#')
        .any(|w| words.iter().any(|x| x.eq_ignore_ascii_case(w)))
}

impl State {
    fn new() -> Self {
        State {
            tallies: vec![Tally::default(); KINDS],
            col_phi: Vec::new(),
            found: [false; KINDS],
            scratch: String::new(),
            cur_row: 0,
            covered: Vec::new(),
            text: text::Scratch::default(),
            word_hits: Vec::new(),
            as_of_year: None,
            dates_unparsed: Vec::new(),
            classes: Vec::new(),
            profiles: Vec::new(),
            trace: None,
        }
    }

    fn hit(&mut self, kind: Kind, col: usize, value: &str) {
        if self.tallies[kind as usize].samples.len() < 3 {
            let mut m = std::mem::take(&mut self.scratch);
            mask_into(kind, value, &mut m);
            self.hit_masked(kind, col, &m);
            self.scratch = m;
        } else {
            self.hit_masked(kind, col, "");
        }
    }

    /// [`hit`](Self::hit) with the value already masked.
    fn hit_masked(&mut self, kind: Kind, col: usize, masked: &str) {
        let t = &mut self.tallies[kind as usize];
        t.count += 1;
        t.columns.insert(col);
        if t.samples.len() < 3 && !masked.is_empty() && !t.samples.iter().any(|x| x == masked) {
            t.samples.push(masked.to_string());
        }
        if self.col_phi.len() <= col {
            self.col_phi.resize(col + 1, false);
        }
        self.col_phi[col] = true;
        self.found[kind as usize] = true;
        if let Some(t) = &mut self.trace {
            t.push((self.cur_row, u32::try_from(col).unwrap_or(u32::MAX), kind));
        }
    }

    /// Scan a batch: one leftmost-first search over it, each match mapped back to its field
    /// (matches come in order, so a cursor suffices) and validated against the field alone —
    /// the same hits, in the same order, as scanning field by field.
    fn scan(&mut self, rec: &Recognizers, batch: &Batch) {
        if batch.found {
            self.scan_with(rec, batch, batch.matches.iter().copied());
        } else {
            self.scan_with(rec, batch, rec.matches(batch.text.as_bytes()));
        }
    }

    fn scan_with(&mut self, rec: &Recognizers, batch: &Batch, found: impl Iterator<Item = (usize, usize, Kind)>) {
        let buf = batch.text.as_str();
        let mut found = found.peekable();
        for sp in &batch.spans {
            self.found = [false; KINDS];
            self.covered.clear();
            self.cur_row = sp.row;
            let value = &buf[sp.start..sp.end];
            let bytes = value.as_bytes();
            let col = sp.col;
            let col_kind = match sp.class {
                ColumnClass::Holds(k) => Some(k),
                _ => None,
            };
            if self.classes.len() <= col {
                self.classes.resize(col + 1, ColumnClass::Other);
            }
            self.classes[col] = sp.class;
            while let Some((ms, me, kind)) = found.next_if(|m| m.0 < sp.end) {
                let (s, e) = (ms - sp.start, me.min(sp.end) - sp.start);
                let text = &value[s..e];
                let ok = match kind {
                    Kind::Url | Kind::Email | Kind::StreetAddress => {
                        s == 0 || !is_word_byte(bytes[s - 1]) || kind == Kind::Url
                    }
                    Kind::Ssn => bounded(bytes, s, e) && valid_ssn(&digits(text)),
                    // An extension may follow (`x481`, ` ext. 12`), a `+1-`/`001-` prefix
                    // precede (the word recognizers read the latter whole).
                    Kind::Phone => {
                        bounded(bytes, s, text::ext_end(bytes, e))
                            && (valid_nanp(&digits(text))
                                || text::phone_label_before(bytes, s) && !fiction(&digits(text)))
                    }
                    // A 13-digit EAN barcode passes Luhn one time in ten: not a card unless
                    // the column says so.
                    Kind::CreditCard => {
                        let d = digits(text);
                        bounded(bytes, s, e)
                            && valid_card(&d)
                            && (col_kind == Some(Kind::CreditCard) || !valid_ean13(&d))
                    }
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
                // An MRN column's prefixed ids are counted once, below.
                if ok && !(kind == Kind::Mrn && col_kind == Some(Kind::Mrn)) {
                    if kind == Kind::IpAddress && sp.class == ColumnClass::Other {
                        // A column of version numbers is told apart from its values.
                        self.ip_in_unnamed(col, text);
                    } else {
                        self.hit(kind, col, text);
                    }
                    self.covered.push((s, e, kind));
                }
            }
            if sp.class == ColumnClass::Other {
                self.words(rec, value, col);
                self.profile(value, col);
            }
            if let Some(k) = col_kind {
                self.column_value(rec, k, col, value);
            }
        }
    }

    /// Profile a value of a column whose name says nothing; once the column is decided, count
    /// its values of that type (see [`profile`]).
    fn profile(&mut self, value: &str, col: usize) {
        let v = value.trim();
        if v.len() > 32 || protected(v) {
            return;
        }
        if self.profiles.len() <= col {
            self.profiles.resize_with(col + 1, profile::Profile::default);
        }
        let d = digits(v);
        let all_digits = v.bytes().all(|b| b.is_ascii_digit());
        let zip5 = (v.len() == 5 && all_digits || v.len() == 10 && v.as_bytes()[5] == b'-' && d.len() == 9)
            && d[..5] != [0; 5]
            || text::postcode_like(v.as_bytes());
        let phone_shaped =
            !all_digits && phone_value(v, true) || all_digits && (d.len() == 10 || d.len() == 11 && d[0] == 1);
        let place = !zip5 && !phone_shaped && text::place_shaped(v);
        // Only short capitalised values can be a state (no scan of the names otherwise).
        let state = v.len() <= 24 && v.as_bytes()[0].is_ascii_uppercase() && text::us_state(v);
        let shape = profile::Shape {
            street: self.found[Kind::StreetAddress as usize],
            place,
            state,
            zip: zip5 || self.found[Kind::Zip as usize],
            phone: phone_shaped && !valid_npi(&d) || self.found[Kind::Phone as usize],
            number: all_digits.then(|| v.parse().ok()).flatten(),
            quad: valid_quad(v).then(|| {
                let parts: Vec<u32> = v.split('.').filter_map(|p| p.parse().ok()).collect();
                parts.iter().all(|&p| p < 32) && parts[0] != 10 && parts[0] != 127
            }),
        };
        // This value's own candidate (not already counted by a pattern or the word pass).
        let own = if zip5 && !self.found[Kind::Zip as usize] && !self.found[Kind::ZipRestricted as usize] {
            Some(if RESTRICTED_ZIP3.iter().any(|z| z.as_bytes() == &v.as_bytes()[..3]) {
                Kind::ZipRestricted
            } else {
                Kind::Zip
            })
        } else if phone_shaped && !self.found[Kind::Phone as usize] {
            Some(Kind::Phone)
        } else if place && !state && !self.found[Kind::City as usize] {
            Some(Kind::City)
        } else {
            None
        };
        let p = &mut self.profiles[col];
        match p.decision {
            profile::Decision::Holds(k) => {
                if let Some(o) = own
                    && (o == k || k == Kind::Zip && o == Kind::ZipRestricted)
                {
                    self.hit(o, col, v);
                }
            }
            profile::Decision::Nothing | profile::Decision::Versions => {}
            profile::Decision::Undecided => {
                if let Some(o) = own {
                    p.pending.push((self.cur_row, o, mask(o, v)));
                }
                match p.see(shape) {
                    Some(profile::Decision::Place) => self.place_column(col, false),
                    Some(d) => self.decided(col, d),
                    None => {}
                }
            }
            profile::Decision::Place => {
                if own == Some(Kind::City) {
                    p.pending.push((self.cur_row, Kind::City, mask(Kind::City, v)));
                }
                p.waited += 1;
                self.place_column(col, false);
            }
        }
    }

    /// A column of place-shaped values is a city column when a street column is at most two to
    /// its left and a ZIP or state column at most two to its right (`street, city, state, zip`;
    /// an often empty `address2` may sit between). Decided as soon as the neighbours are known
    /// (they reach their sample in the same record), else after [`profile::SAMPLE`] more values
    /// or at the end; until then the column's candidates are held, masked.
    fn place_column(&mut self, col: usize, end: bool) {
        let class = |c: usize| self.classes.get(c).copied().unwrap_or(ColumnClass::Other);
        let prof = |c: usize| self.profiles.get(c);
        let street = |c: usize| {
            class(c) == ColumnClass::Holds(Kind::StreetAddress) || prof(c).is_some_and(|p| p.street_column())
        };
        let zip_or_state = |c: usize| {
            class(c) == ColumnClass::Holds(Kind::Zip)
                || prof(c).is_some_and(|p| p.decision == profile::Decision::Holds(Kind::Zip) || p.state_column())
        };
        let known = |c: usize| end || class(c) != ColumnClass::Other || prof(c).is_some_and(|p| p.known());
        let left = col.saturating_sub(2)..col;
        let right = col + 1..col + 3;
        let verdict = if left.clone().any(street) && right.clone().any(zip_or_state) {
            Some(true)
        } else if left.clone().all(known) && !left.clone().any(street)
            || right.clone().all(known) && !right.clone().any(zip_or_state)
        {
            Some(false)
        } else {
            (self.profiles[col].waited > profile::SAMPLE).then_some(false)
        };
        match verdict {
            Some(true) => {
                self.profiles[col].decision = profile::Decision::Holds(Kind::City);
                self.decided(col, profile::Decision::Holds(Kind::City));
            }
            Some(false) => {
                self.profiles[col].decision = profile::Decision::Nothing;
                self.profiles[col].pending.clear();
            }
            None => {}
        }
    }

    /// An IPv4 match in a column whose name says nothing: counted unless the column turns
    /// out to hold version numbers (held until its profile is decided).
    fn ip_in_unnamed(&mut self, col: usize, text: &str) {
        if self.profiles.len() <= col {
            self.profiles.resize_with(col + 1, profile::Profile::default);
        }
        self.found[Kind::IpAddress as usize] = true;
        match self.profiles[col].decision {
            profile::Decision::Versions => {}
            profile::Decision::Undecided => {
                let m = mask(Kind::IpAddress, text);
                self.profiles[col].pending.push((self.cur_row, Kind::IpAddress, m));
            }
            _ => self.hit(Kind::IpAddress, col, text),
        }
    }

    /// Count a column's held candidates of the type it was decided to hold.
    fn decided(&mut self, col: usize, d: profile::Decision) {
        let pending = std::mem::take(&mut self.profiles[col].pending);
        let row = self.cur_row;
        for (r, o, masked) in pending {
            let counts = match d {
                profile::Decision::Holds(k) => o == k || k == Kind::Zip && o == Kind::ZipRestricted,
                _ => false,
            } || o == Kind::IpAddress && d != profile::Decision::Versions;
            if counts {
                self.cur_row = r;
                self.hit_masked(o, col, &masked);
            }
        }
        self.cur_row = row;
    }

    /// At the end: decide the columns too short to reach the sample size, then the place
    /// columns, whose neighbours are then all decided.
    fn settle(&mut self) {
        for col in 0..self.profiles.len() {
            match self.profiles[col].settle() {
                Some(profile::Decision::Place) | None => {}
                Some(d) => self.decided(col, d),
            }
        }
        for col in 0..self.profiles.len() {
            if self.profiles[col].decision == profile::Decision::Place {
                self.place_column(col, true);
            }
        }
    }

    /// The word recognizers ([`text`]) on a field whose column does not say what it holds.
    fn words(&mut self, rec: &Recognizers, value: &str, col: usize) {
        let mut scratch = std::mem::take(&mut self.text);
        let covered = std::mem::take(&mut self.covered);
        let mut hits = std::mem::take(&mut self.word_hits);
        hits.clear();
        // A short value alone in its cell may be a whole name (`Estrada, Matthew`).
        let whole = value.len() <= 64;
        text::scan(&rec.lists, value, whole, &covered, &mut scratch, |k, s, e| {
            hits.push((k, s, e))
        });
        for &(k, s, e) in &hits {
            self.hit(k, col, &value[s..e]);
        }
        self.word_hits = hits;
        self.text = scratch;
        self.covered = covered;
    }

    /// Types decided by the column: count the value unless a pattern already found that type
    /// in it or it is already protected.
    fn column_value(&mut self, rec: &Recognizers, k: Kind, col: usize, value: &str) {
        if self.found[k as usize] || protected(value) {
            return;
        }
        let v = value.trim();
        let ok = match k {
            Kind::Ssn => {
                let d = digits(v);
                v.len() <= 11 && valid_ssn(&d)
            }
            Kind::Phone => v.len() <= 32 && phone_value(v, true),
            Kind::Npi => valid_npi(&digits(v)) && v.len() == 10,
            Kind::Dea => valid_dea(v),
            Kind::Mbi => valid_mbi(v) && v.len() <= 13,
            Kind::Email => v.contains('@'),
            Kind::IpAddress => valid_ipv4(v) || (v.contains(':') && v.parse::<std::net::Ipv6Addr>().is_ok()),
            Kind::Zip => {
                let d = digits(v);
                if text::postcode(v.as_bytes(), 0, true) == Some(v.len()) || text::postcode_like(v.as_bytes()) {
                    true
                } else if d.len() == 3 && v.len() == 3 {
                    // A three-digit ZIP is what Safe Harbor keeps (164.514(b)(2)(i)(B)), unless
                    // its area holds 20,000 people or fewer: then it must read 000.
                    if v != "000" && RESTRICTED_ZIP3.contains(&v) {
                        self.hit(Kind::ZipRestricted, col, v);
                    }
                    return;
                } else if (d.len() == 5 || d.len() == 9) && v.len() <= 10 {
                    if v.get(..3).is_some_and(|z3| RESTRICTED_ZIP3.contains(&z3)) {
                        self.hit(Kind::ZipRestricted, col, v);
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
                .any(|c| rec.icd.is_match(c)),
            Kind::DateOfBirth if self.as_of_year.is_some() && v.len() == 4 && v.bytes().all(|c| c.is_ascii_digit()) => {
                // A birth year alone is allowed, unless it makes the person older than 89
                // (164.514(b)(2)(i)(C): such ages, and the years that imply them, aggregate to 90+).
                let age = self.as_of_year.zip(v.parse::<i32>().ok()).map(|(now, y)| now - y);
                if age.is_some_and(|a| a > 89 && a < 150) {
                    self.hit(Kind::AgeOver89, col, v);
                }
                return;
            }
            Kind::DateOfBirth | Kind::Date => {
                let ok = dates::parse_any(v, dates::Order::MonthFirst).is_some() || dates::month_year(v);
                // Not silently dropped: a value the column says is a date but no layout reads
                // may be one written in a way vetter does not know.
                if !ok && !dates::not_a_date_value(v) {
                    if self.dates_unparsed.len() <= col {
                        self.dates_unparsed.resize(col + 1, 0);
                    }
                    self.dates_unparsed[col] += 1;
                }
                ok
            }
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
            Kind::Biometric | Kind::Photo => v.len() >= 8,
            // A key: short codes ("C-1042") count, free text and booleans do not.
            Kind::UniqueId => {
                (3..=64).contains(&v.len())
                    && v.chars().any(|c| c.is_ascii_digit())
                    && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_:.{}".contains(c))
            }
            Kind::City => {
                v.len() >= 2
                    && v.len() <= 64
                    && v.chars().next().is_some_and(char::is_alphabetic)
                    && v.chars().all(|c| c.is_alphabetic() || " .'-,".contains(c))
            }
            Kind::ZipRestricted => false,
        };
        if ok {
            self.hit(k, col, v);
        }
    }
}

impl<'r> PhiScanner<'r> {
    pub fn new(rec: &'r Recognizers) -> Self {
        PhiScanner {
            rec,
            state: Some(State::new()),
            worker: None,
            names: Vec::new(),
            batch: Batch::default(),
            row: 0,
        }
    }

    /// The assessment date: birth years are judged against its year.
    pub fn with_as_of(mut self, as_of: chrono::NaiveDate) -> Self {
        if let Some(st) = &mut self.state {
            st.as_of_year = Some(chrono::Datelike::year(&as_of));
        }
        self
    }

    /// Record every hit's (record, column, kind) from now on: see [`trace`](Self::trace).
    pub fn with_trace(mut self) -> Self {
        if let Some(st) = &mut self.state {
            st.trace = Some(Vec::new());
        }
        self
    }

    /// The record the fields pushed next belong to (0-based; the readers set it).
    pub fn set_row(&mut self, row: u64) {
        self.row = row;
    }

    /// Every hit so far as (record, column, kind), if tracing was asked for; complete after
    /// [`finish`](Self::finish).
    pub fn trace(&self) -> &[(u64, u32, Kind)] {
        self.state().trace.as_deref().unwrap_or_default()
    }

    /// Scan one field on its own (tests and one-off callers): [`push`](Self::push) + finish.
    pub fn field(&mut self, col: usize, col_name: &str, class: ColumnClass, value: &str) {
        self.push(col, class, value);
        self.finish(|_| col_name);
    }

    /// Queue one field. Fields are scanned in batches (one search per ~1 MiB rather than one
    /// call per field, the per-call cost dominating on short fields); returns true when the
    /// batch is full and should be handed on with [`flush`](Self::flush).
    pub fn push(&mut self, col: usize, class: ColumnClass, value: &str) -> bool {
        // System metadata columns hold timestamps and ids of the system itself: never scanned.
        if value.is_empty() || class == ColumnClass::System {
            return false;
        }
        let b = &mut self.batch;
        let start = b.text.len();
        b.text.push_str(value);
        b.spans.push(Span {
            start,
            end: b.text.len(),
            row: self.row,
            col,
            class,
        });
        // No pattern crosses a newline except the street-address terminator, whose match end
        // is clamped back to the field's end: so no match spans two fields.
        b.text.push('\n');
        b.text.len() >= BATCH
    }

    /// Learn the names of the columns of queued fields (indices only grow).
    fn learn_names<'n>(&mut self, col_name: &impl Fn(usize) -> &'n str) {
        for sp in &self.batch.spans {
            while self.names.len() <= sp.col {
                let i = self.names.len();
                self.names.push(col_name(i).to_string());
            }
        }
    }

    /// Hand the queued fields to the worker thread (started on the first full batch).
    pub fn flush<'n>(&mut self, col_name: impl Fn(usize) -> &'n str) {
        if self.batch.spans.is_empty() {
            return;
        }
        self.learn_names(&col_name);
        if self.worker.is_none() {
            self.worker = self.spawn();
        }
        let Some(w) = &self.worker else {
            // No thread could be started: scan here.
            let mut batch = std::mem::take(&mut self.batch);
            batch.find(self.rec);
            self.state.get_or_insert_with(State::new).scan(self.rec, &batch);
            self.batch = batch;
            self.batch.clear();
            return;
        };
        let next = w.recycled.try_recv().unwrap_or_else(|_| Batch {
            text: String::with_capacity(BATCH + 4096),
            ..Batch::default()
        });
        let mut full = std::mem::replace(&mut self.batch, next);
        full.find(self.rec);
        if let Err(std::sync::mpsc::SendError(full)) = w.tx.send(full) {
            // The worker is gone (it panicked): collect what it has, which re-raises the panic.
            self.batch = full;
            self.join();
        }
    }

    fn spawn(&mut self) -> Option<Worker> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(1);
        let (back_tx, recycled) = std::sync::mpsc::channel::<Batch>();
        let rec = self.rec.clone();
        let mut state = self.state.take().unwrap_or_else(State::new);
        let keep = state.clone();
        let handle = std::thread::Builder::new().name("phi-scan".into()).spawn(move || {
            for mut b in rx {
                state.scan(&rec, &b);
                b.clear();
                // A batch that held a huge field is not kept at that size.
                b.text.shrink_to(BATCH + 4096);
                b.matches.shrink_to(1 << 16);
                let _ = back_tx.send(b);
            }
            state
        });
        match handle {
            Ok(handle) => Some(Worker { tx, recycled, handle }),
            Err(_) => {
                self.state = Some(keep);
                None
            }
        }
    }

    /// Wait for the worker to finish every batch sent and take the tallies back.
    fn join(&mut self) {
        if let Some(w) = self.worker.take() {
            drop(w.tx);
            match w.handle.join() {
                Ok(state) => self.state = Some(state),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    }

    /// Scan everything queued and wait for the worker: the tallies are then complete (the
    /// readers call this at the end of each stream; calling it again is free).
    pub fn finish<'n>(&mut self, col_name: impl Fn(usize) -> &'n str) {
        if !self.batch.spans.is_empty() {
            self.learn_names(&col_name);
            if self.worker.is_some() {
                self.flush(&col_name);
            } else {
                let mut batch = std::mem::take(&mut self.batch);
                batch.find(self.rec);
                self.state.get_or_insert_with(State::new).scan(self.rec, &batch);
            }
        }
        self.join();
        if let Some(st) = &mut self.state {
            st.settle();
        }
    }

    fn state(&self) -> &State {
        self.state
            .as_ref()
            .expect("the PHI scan is finished before its results are read")
    }

    /// Columns (by index) in which any PHI was found.
    pub fn phi_columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.state()
            .col_phi
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i)
    }

    pub fn count(&self, kind: Kind) -> u64 {
        self.state().tallies[kind as usize].count
    }

    /// The facts: counts, columns and masked samples.
    pub fn facts(&self) -> PhiFacts {
        let st = self.state();
        let t = |k: Kind| {
            let x = &st.tallies[k as usize];
            let columns: BTreeSet<&str> = x
                .columns
                .iter()
                .map(|&i| self.names.get(i).map_or("", String::as_str))
                .collect();
            PhiType {
                count: x.count,
                columns: columns.into_iter().map(str::to_string).collect(),
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
            city: t(City),
        };
        // Provider identifiers (NPI, DEA) are reported but are not patient PHI; diagnosis
        // codes are health information, not identifiers: neither counts toward the total.
        let total = st
            .tallies
            .iter()
            .enumerate()
            .filter(|(i, _)| ![Npi as usize, Dea as usize, Diagnosis as usize].contains(i))
            .map(|(_, x)| x.count)
            .sum();
        let dates_unparsed = st
            .dates_unparsed
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &count)| UnparsedDates {
                column: self.names.get(i).cloned().unwrap_or_default(),
                count,
            })
            .collect();
        PhiFacts {
            total,
            types,
            dates_unparsed,
        }
    }
}

impl Drop for PhiScanner<'_> {
    fn drop(&mut self) {
        // Never leave the thread behind (its result is simply dropped).
        if let Some(w) = self.worker.take() {
            drop(w.tx);
            let _ = w.handle.join();
        }
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

    /// The matches found ahead by the reading thread and the scan's own streaming search (left
    /// to it for a batch swollen by a huge field) give the same tallies.
    #[test]
    fn matches_found_ahead_or_streamed_count_the_same() {
        let units = [
            "SSN 219-45-6789, call 704-452-3080 or mail a.b@example.org from 203.0.113.9",
            "seen by Dr. Jane Smith at 12 Oak Street, Austin, TX 78701; https://x.example/p?q=1",
            "MRN-0012345 card 4111 1111 1111 1111, v6.9.19.0, ref 2024-03-05",
        ];
        let r = Recognizers::new();
        let mut p = PhiScanner::new(&r);
        for i in 0..300 {
            p.set_row(i);
            p.push(i as usize % 2, ColumnClass::Other, units[i as usize % 3]);
        }
        let mut batch = std::mem::take(&mut p.batch);
        batch.find(&r);
        assert!(batch.found && batch.matches.len() > 500, "{}", batch.matches.len());
        let mut ahead = State::new();
        ahead.scan(&r, &batch);
        batch.found = false;
        batch.matches.clear();
        let mut streamed = State::new();
        streamed.scan(&r, &batch);
        let counts = |s: &State| s.tallies.iter().map(|t| t.count).collect::<Vec<_>>();
        assert_eq!(counts(&ahead), counts(&streamed));
        for k in [
            Kind::Ssn,
            Kind::Phone,
            Kind::Email,
            Kind::Url,
            Kind::CreditCard,
            Kind::Mrn,
        ] {
            assert_eq!(ahead.tallies[k as usize].count, 100, "{k:?}");
        }
        // A swollen batch is not searched ahead: the matches held stay an ordinary batch's.
        let mut huge = Batch {
            text: "x".repeat(2 * BATCH + 1),
            ..Batch::default()
        };
        huge.find(&r);
        assert!(!huge.found && huge.matches.is_empty());
    }

    fn scan_as_of(col: &str, v: &str, year: i32) -> PhiFacts {
        let r = Recognizers::new();
        let mut s = PhiScanner::new(&r).with_as_of(chrono::NaiveDate::from_ymd_opt(year, 6, 1).unwrap());
        s.field(0, col, classify(col), v);
        s.facts()
    }

    #[test]
    fn safe_harbor_zip3_year_and_month_values() {
        // (B): a three-digit ZIP is kept unless its prefix is restricted; then only 000 passes.
        assert_eq!(scan("zip3", "036").types.zip_restricted.count, 1);
        assert_eq!(scan("patient_zip", "036").types.zip_restricted.count, 1);
        for v in ["000", "100", "941"] {
            let f = scan("zip3", v);
            assert_eq!(f.total, 0, "{v}");
        }
        // (C): a birth year is allowed unless it implies an age over 89 on the assessment date.
        assert_eq!(scan_as_of("birth_year", "1930", 2026).types.age_over_89.count, 1);
        assert_eq!(scan_as_of("birth_year", "1950", 2026).total, 0);
        assert_eq!(scan("birth_year", "1930").total, 0, "without a date no age is implied");
        // Month and year is finer than the year.
        assert_eq!(scan("visit_date", "2024-03").types.date.count, 1);
        assert_eq!(scan("admission", "March 2024").types.date.count, 1);
        assert_eq!(scan("visit_year", "2024").total, 0);
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
        assert_eq!(classify("crmContactId"), ColumnClass::Holds(Kind::UniqueId));
        assert_eq!(classify("patient_key"), ColumnClass::Holds(Kind::UniqueId));
        assert_eq!(classify("uuid"), ColumnClass::Holds(Kind::UniqueId));
        // A bare id is a row number, a study code is often a 164.514(c) code.
        assert_eq!(classify("id"), ColumnClass::Other);
        assert_eq!(classify("study_code"), ColumnClass::Other);
        assert_eq!(classify("contact_number"), ColumnClass::Holds(Kind::Phone));
        assert_eq!(classify("patient_id"), ColumnClass::Holds(Kind::Mrn));
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
    fn issue_12_cards_phones_columns() {
        // Diners 14, JCB 16, Maestro 12, Mastercard 2-series, Amex as printed.
        for ok in [
            "30569309025904",
            "3530111333300000",
            "675964982648",
            "2223000048400011",
            "378282246310005",
        ] {
            assert!(valid_card(&digits(ok)), "{ok}");
        }
        // Near misses: Luhn fails, an issuer range at the wrong length, an EAN-13 barcode.
        for bad in ["30569309025905", "5105105105105100000", "4006381333931"] {
            let d = digits(bad);
            assert!(!valid_card(&d) || valid_ean13(&d), "{bad}");
        }
        assert!(valid_ean13(&digits("4006381333931")));
        let f = scan("notes", "barcode 4006381333931 and card 3782 822463 10005");
        assert_eq!(f.types.credit_card.count, 1, "{f:?}");
        for ok in [
            "352.253.0931x856",
            "+1-704-452-3080x391",
            "001-704-452-3080",
            "(0114) 496 0765",
            "+44(0)1632 960 123",
            "598-820-1128",
        ] {
            assert!(phone_value(ok, true), "{ok}");
        }
        for bad in ["555-555-0123", "12345", "call me", "352.253.0931 fax"] {
            assert!(!phone_value(bad, true), "{bad}");
        }
        assert_eq!(
            scan("phone", "598-820-1128").types.phone.count,
            1,
            "a phone column's number"
        );
        assert_eq!(
            scan("notes", "ref 598-820-1128").types.phone.count,
            0,
            "no NANP line, no label"
        );
        assert_eq!(scan("notes", "phone 598-820-1128").types.phone.count, 1, "labelled");
        for (col, want) in [
            ("member_name", ColumnClass::Holds(Kind::Name)),
            ("subscriber_name", ColumnClass::Holds(Kind::Name)),
            ("emergency_contact", ColumnClass::Holds(Kind::Name)),
            ("NOK", ColumnClass::Holds(Kind::Name)),
            ("LNAME", ColumnClass::Holds(Kind::Name)),
            ("guarantor", ColumnClass::Holds(Kind::Name)),
            ("home_city", ColumnClass::Holds(Kind::City)),
            ("zip5", ColumnClass::Holds(Kind::Zip)),
            ("period_end", ColumnClass::System),
            ("member_id", ColumnClass::Holds(Kind::HealthPlanId)),
            ("contact_method", ColumnClass::Other),
            ("ethnicity", ColumnClass::Other),
        ] {
            assert_eq!(classify(col), want, "{col}");
        }
    }

    #[test]
    fn mrn_in_free_text_by_its_label() {
        let f = scan(
            "notes",
            "Reviewed chart #A-778812; medical record number: 4417720 and MRN 00123456.",
        );
        assert_eq!(f.types.mrn.count, 3, "{f:?}");
        assert_eq!(f.types.mrn.columns, vec!["notes"]);
        assert!(
            f.types
                .mrn
                .samples
                .iter()
                .all(|s| !s.contains("7788") && !s.contains("4417")),
            "{f:?}"
        );
        // Order and invoice numbers, versions and phones next to no record label.
        let f = scan(
            "notes",
            "order #556677, invoice 1234567, version 12345, record count 556677, call 312-201-0147",
        );
        assert_eq!(f.types.mrn.count, 0, "{f:?}");
    }

    #[test]
    fn a_session_uuid_is_not_a_persons_identifier() {
        for col in [
            "session_id",
            "request_id",
            "trace_id",
            "correlation_id",
            "event_id",
            "message_id",
            "session_uuid",
            "requestGuid",
            "trace_uuid",
            "event_guid",
            "patient_session_uuid",
        ] {
            assert_eq!(classify(col), ColumnClass::Other, "{col}");
        }
        for (col, want) in [
            ("patient_id", Kind::Mrn),
            ("member_uuid", Kind::UniqueId),
            ("person_guid", Kind::UniqueId),
            ("session_patient_uuid", Kind::UniqueId),
            ("uuid", Kind::UniqueId),
        ] {
            assert_eq!(classify(col), ColumnClass::Holds(want), "{col}");
        }
        let u = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
        assert_eq!(scan("session_uuid", u).total, 0);
        assert_eq!(scan("request_guid", u).total, 0);
        assert_eq!(scan("member_uuid", u).types.unique_id.count, 1);
        assert_eq!(scan("person_guid", u).types.unique_id.count, 1);
        // Patterns still apply: an SSN in a request column is an SSN.
        assert_eq!(scan("request_id", "SSN 219-45-6789").types.ssn.count, 1);
    }

    #[test]
    fn date_columns_and_their_unread_values() {
        for (col, want) in [
            ("admission_date", ColumnClass::Holds(Kind::Date)),
            ("admission", ColumnClass::Holds(Kind::Date)),
            ("admitted_at", ColumnClass::Holds(Kind::Date)),
            ("appointment_start", ColumnClass::Holds(Kind::Date)),
            ("dos", ColumnClass::Holds(Kind::Date)),
            ("birth_date", ColumnClass::Holds(Kind::DateOfBirth)),
            ("patientDOB", ColumnClass::Holds(Kind::DateOfBirth)),
            ("birth_year", ColumnClass::Holds(Kind::DateOfBirth)),
            // About a date event, not its date.
            ("visit_id", ColumnClass::Other),
            ("encounter_number", ColumnClass::Other),
            ("admission_source", ColumnClass::Other),
            ("discharge_disposition", ColumnClass::Other),
            ("place_of_birth", ColumnClass::Other),
            ("birth_weight", ColumnClass::Other),
            ("age_at_visit", ColumnClass::Holds(Kind::AgeOver89)),
        ] {
            assert_eq!(classify(col), want, "{col}");
        }
        let r = Recognizers::new();
        let mut s = PhiScanner::new(&r);
        let class = classify("dob");
        for v in [
            "1980-04-12",
            "June 14, 1984",
            "14.06.1984",
            "29221",
            "the first of May",
            "1975",
            "N",
            "0000-00-00",
            "unknown",
            "***",
        ] {
            s.push(0, class, v);
        }
        s.push(1, classify("visit_id"), "V-88812");
        s.finish(|i| ["dob", "visit_id"][i]);
        let f = s.facts();
        assert_eq!(f.types.date_of_birth.count, 3);
        assert_eq!(
            f.dates_unparsed,
            vec![UnparsedDates {
                column: "dob".into(),
                count: 2
            }]
        );
        let json = serde_json::to_string(&f).unwrap();
        assert!(!json.contains("29221") && !json.contains("first of May"), "{json}");
    }

    /// Rows of neutral columns: `cols[i](row)` is column i's value.
    fn scan_neutral(rows: usize, cols: &[&dyn Fn(usize) -> String]) -> PhiFacts {
        let r = Recognizers::new();
        let mut s = PhiScanner::new(&r);
        let names: Vec<String> = (1..=cols.len()).map(|i| format!("c{i:02}")).collect();
        for row in 0..rows {
            s.set_row(row as u64);
            for (i, f) in cols.iter().enumerate() {
                s.push(i, ColumnClass::Other, &f(row));
            }
        }
        s.finish(|i| names[i].as_str());
        s.facts()
    }

    #[test]
    fn cities_under_neutral_headers_by_their_neighbours() {
        let towns = [
            "Lake Nicole",
            "Port Cheryl",
            "Tinafurt",
            "North Angelaport",
            "East Williamfort",
            "Saint-Jérôme",
        ];
        let streets = ["Macias", "Oak", "Hill", "Grant", "Rivera"];
        let street = |i: usize| format!("{} {} Street", 100 + i * 7, streets[i % 5]);
        let city = |i: usize| towns[i % 6].to_string();
        let zip = |i: usize| format!("{:05}", (i * i * 7919 + i * 13) % 89_999 + 10_000);
        let state = |i: usize| ["Texas", "Ohio", "New York"][i % 3].to_string();
        let job = |i: usize| ["Tax Inspector", "Nurse", "Field Engineer"][i % 3].to_string();
        let person = |i: usize| ["Adam Brooks", "Kayla Perez", "Robert Hinton"][i % 3].to_string();
        // street, city, ZIP: every city counted, in its column.
        let f = scan_neutral(150, &[&street, &city, &zip]);
        assert_eq!(
            (f.types.city.count, f.types.city.columns.clone()),
            (150, vec!["c02".to_string()])
        );
        // street, (empty address2), city, state, ZIP; the spelt-out state is not a city.
        let empty = |_: usize| String::new();
        let f = scan_neutral(150, &[&street, &empty, &city, &state, &zip]);
        assert_eq!(
            (f.types.city.count, f.types.city.columns.clone()),
            (150, vec!["c03".to_string()])
        );
        // A short file is decided at the end.
        assert_eq!(scan_neutral(30, &[&street, &city, &zip]).types.city.count, 30);
        // Near misses: the same place-shaped values without a street to the left or a ZIP or
        // state to the right (names, job titles).
        let sets: [[&dyn Fn(usize) -> String; 3]; 3] =
            [[&person, &city, &zip], [&street, &city, &job], [&street, &job, &person]];
        for cols in &sets {
            let f = scan_neutral(150, cols);
            assert_eq!(f.types.city.count, 0, "{:?}", f.types.city);
        }
        // Fewer than 20 values say nothing.
        assert_eq!(scan_neutral(10, &[&street, &city, &zip]).types.city.count, 0);
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
