//! Test support (no I/O): a synthetic export generator with exact ground truth. Input: a seed
//! and a row count; output: CSV or NDJSON bytes and, per row, how many identifiers of each type
//! were planted. Near misses (invalid SSNs, fictional 555-01xx numbers, Luhn failures, order
//! numbers, lot numbers, versions, out-of-range IPs, ids without context) are planted in every
//! row and count for nothing. Shared by `tests/accuracy.rs` and `examples/phigen.rs`.

#![allow(dead_code)]

/// The types the generator plants, as named in `exports[].phi.types`.
pub const TYPES: [&str; 16] = [
    "ssn",
    "phone",
    "email",
    "date_of_birth",
    "mrn",
    "npi",
    "dea",
    "mbi",
    "ip_address",
    "street_address",
    "zip",
    "zip_restricted",
    "name",
    "credit_card",
    "url",
    "date",
];

fn t(name: &str) -> usize {
    TYPES.iter().position(|x| *x == name).expect("known type")
}

/// The columns, in order. `created_at` is system metadata (its dates are not PHI); `ref` holds
/// only near misses; `notes` is free text with identifiers planted among words.
pub const COLUMNS: [&str; 13] = [
    "patient_id",
    "first_name",
    "last_name",
    "dob",
    "ssn",
    "phone",
    "email",
    "zip",
    "npi",
    "last_visit",
    "created_at",
    "ref",
    "notes",
];

/// splitmix64: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn chance(&mut self, pct: u64) -> bool {
        self.range(1, 100) <= pct
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.next() as usize % xs.len()]
    }
}

const FIRST: [&str; 12] = [
    "Avery", "Jordan", "Maria", "Wei", "Olusegun", "Priya", "Liam", "Noor", "Sofia", "Mateo", "Hana", "Grace",
];
const LAST: [&str; 10] = [
    "Nguyen", "Okafor", "Garcia", "Smith", "Kowalski", "Haddad", "Ito", "Brown", "O'Neil", "Rossi",
];
const STREETS: [&str; 8] = [
    "Oak Street",
    "Maple Ave",
    "Evergreen Terrace",
    "Lake Shore Drive",
    "Elm Rd",
    "Sunset Blvd",
    "Mill Ln",
    "Cedar Ct",
];
/// HHS Safe Harbor 3-digit ZIP prefixes with 20,000 people or fewer (2000 census).
const RESTRICTED_ZIP3: [&str; 17] = [
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878", "879", "884", "890",
    "893",
];
const WORDS: [&str; 10] = [
    "follow", "up", "in", "two", "weeks", "reviewed", "labs", "stable", "refill", "declined",
];

fn ssn(r: &mut Rng) -> String {
    // Areas 001–665 and 667–899, group 01–99, serial 0001–9999, and never an SSA sample.
    loop {
        let area = if r.chance(80) {
            r.range(1, 665)
        } else {
            r.range(667, 899)
        };
        let s = format!("{:03}-{:02}-{:04}", area, r.range(1, 99), r.range(1, 9999));
        let d: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
        if !["078-05-1120", "123-45-6789", "219-09-9999"].contains(&s.as_str()) && d.iter().any(|&x| x != d[0]) {
            return s;
        }
    }
}

fn bad_ssn(r: &mut Rng) -> String {
    match r.range(0, 4) {
        0 => format!("{}-{:02}-{:04}", r.range(900, 999), r.range(1, 99), r.range(1, 9999)),
        1 => format!("666-{:02}-{:04}", r.range(1, 99), r.range(1, 9999)),
        2 => format!("{:03}-00-{:04}", r.range(1, 665), r.range(1, 9999)),
        3 => "078-05-1120".into(),
        _ => format!("000-{:02}-{:04}", r.range(1, 99), r.range(1, 9999)),
    }
}

/// A NANP number that is neither N11, nor 555-01xx, nor an area with a middle 9.
fn phone_digits(r: &mut Rng) -> (u64, u64, u64) {
    loop {
        let area = r.range(2, 9) * 100 + r.range(0, 8) * 10 + r.range(0, 9);
        let exch = r.range(200, 999);
        if exch % 100 == 11 || exch == 555 {
            continue;
        }
        return (area, exch, r.range(0, 9999));
    }
}

fn phone(r: &mut Rng) -> String {
    let (a, e, l) = phone_digits(r);
    match r.range(0, 3) {
        0 => format!("({a}) {e}-{l:04}"),
        1 => format!("{a}-{e}-{l:04}"),
        2 => format!("{a}.{e}.{l:04}"),
        _ => format!("+1 {a} {e} {l:04}"),
    }
}

fn luhn_check(digits: &[u32]) -> u32 {
    // The check digit that makes digits + it pass Luhn.
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 0 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

fn npi(r: &mut Rng) -> String {
    loop {
        let mut d: Vec<u32> = vec![r.range(1, 2) as u32];
        d.extend((0..8).map(|_| r.range(0, 9) as u32));
        let mut full = vec![8, 0, 8, 4, 0];
        full.extend(&d);
        d.push(luhn_check(&full));
        if d[1..].iter().any(|&x| x != d[1]) {
            return d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
        }
    }
}

fn card(r: &mut Rng, valid: bool) -> String {
    let mut d: Vec<u32> = vec![4];
    d.extend((0..14).map(|_| r.range(0, 9) as u32));
    let c = luhn_check(&d);
    d.push(if valid { c } else { (c + 1 + r.range(0, 8) as u32) % 10 });
    let s: String = d.iter().map(|x| char::from(b'0' + *x as u8)).collect();
    let sep = *r.pick(&[" ", "-", ""]);
    if sep.is_empty() {
        return s;
    }
    [&s[0..4], &s[4..8], &s[8..12], &s[12..16]].join(sep)
}

fn dea(r: &mut Rng) -> String {
    let first = *r.pick(b"ABFGMPR");
    let second = b'A' + r.range(0, 25) as u8;
    let d: Vec<u32> = (0..6).map(|_| r.range(0, 9) as u32).collect();
    let check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10;
    format!(
        "{}{}{}{}",
        char::from(first),
        char::from(second),
        d.iter().map(|x| char::from(b'0' + *x as u8)).collect::<String>(),
        check
    )
}

fn mbi(r: &mut Rng, valid: bool) -> String {
    const L: &[u8] = b"ACDEFGHJKMNPQRTUVWXY";
    let letter = |r: &mut Rng| char::from(*r.pick(L));
    let d = |r: &mut Rng| char::from(b'0' + r.range(0, 9) as u8);
    let first = char::from(b'0' + r.range(1, 9) as u8);
    let (a, b, c) = (letter(r), letter(r), d(r));
    let (e, f, g) = (letter(r), d(r), d(r));
    let (h, i) = (letter(r), letter(r));
    let (j, k) = (d(r), d(r));
    let i = if valid { i } else { 'S' };
    format!("{first}{a}{b}{c}-{e}{f}{g}-{h}{i}{j}{k}")
}

fn ip(r: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        r.range(1, 223),
        r.range(0, 255),
        r.range(0, 255),
        r.range(1, 254)
    )
}

fn date(r: &mut Rng, y0: u64, y1: u64) -> String {
    format!("{}-{:02}-{:02}", r.range(y0, y1), r.range(1, 12), r.range(1, 28))
}

/// One generated row: its field values (in [`COLUMNS`] order) and planted counts per type.
pub struct Row {
    pub fields: Vec<String>,
    pub truth: [u32; TYPES.len()],
}

/// Generate one row. Every identifier is planted (or left out) deliberately, and counted.
pub fn row(r: &mut Rng, i: u64) -> Row {
    let mut truth = [0u32; TYPES.len()];
    let plant = |name: &str, v: String, truth: &mut [u32; TYPES.len()]| {
        truth[t(name)] += 1;
        v
    };
    let mut f = Vec::with_capacity(COLUMNS.len());
    // patient_id: an MRN column; some rows blank.
    f.push(if r.chance(90) {
        plant("mrn", format!("MRN-{:07}", r.range(0, 9_999_999)), &mut truth)
    } else {
        String::new()
    });
    f.push(plant("name", r.pick(&FIRST).to_string(), &mut truth));
    // A redacted surname is protected, not PHI.
    f.push(if r.chance(85) {
        plant("name", r.pick(&LAST).to_string(), &mut truth)
    } else {
        "[REDACTED]".into()
    });
    f.push(plant("date_of_birth", date(r, 1930, 2015), &mut truth));
    f.push(match r.range(0, 9) {
        0 => "***-**-".to_string() + &format!("{:04}", r.range(1, 9999)),
        1 => String::new(),
        _ => plant("ssn", ssn(r), &mut truth),
    });
    f.push(plant("phone", phone(r), &mut truth));
    f.push(plant(
        "email",
        format!(
            "{}.{}{}@mail.example.org",
            r.pick(&FIRST),
            r.pick(&["x", "y", "z"]),
            i % 997
        )
        .to_lowercase(),
        &mut truth,
    ));
    // Safe Harbor restricted 3-digit prefixes are their own type.
    f.push(if r.chance(10) {
        let z3 = *r.pick(&["036", "059", "102", "692", "893"]);
        plant("zip_restricted", format!("{z3}{:02}", r.range(0, 99)), &mut truth)
    } else {
        let z = loop {
            let z = format!("{:05}", r.range(10_000, 99_999));
            if !RESTRICTED_ZIP3.contains(&&z[..3]) {
                break z;
            }
        };
        plant("zip", z, &mut truth)
    });
    f.push(plant("npi", npi(r), &mut truth));
    f.push(plant("date", date(r, 2015, 2025), &mut truth));
    f.push(format!("{}T{:02}:14:03Z", date(r, 2024, 2025), r.range(0, 23)));
    // ref: near misses only.
    let mut near = Vec::new();
    for _ in 0..3 {
        near.push(match r.range(0, 10) {
            0 => bad_ssn(r),
            1 => format!("({}) 555-01{:02}", phone_digits(r).0, r.range(0, 99)),
            2 => format!(
                "ORD-{}-{}-{:04}",
                r.range(200, 999),
                r.range(200, 999),
                r.range(0, 9999)
            ),
            3 => format!("LT{}", r.range(1_000_000, 9_999_999)),
            4 => format!("id {}", npi(r)),
            5 => card(r, false),
            6 => format!(
                "v{}.{}.{}.{}",
                r.range(1, 9),
                r.range(0, 20),
                r.range(0, 99),
                r.range(0, 9)
            ),
            7 => format!(
                "{}.{}.{}.{}",
                r.range(256, 999),
                r.range(0, 255),
                r.range(0, 255),
                r.range(0, 255)
            ),
            8 => format!("admin{}@localhost", r.range(0, 99)),
            9 => mbi(r, false),
            _ => format!(
                "build {}.{}.{}.{}",
                r.range(1, 9),
                r.range(0, 9),
                r.range(0, 9),
                r.range(0, 99)
            ),
        });
    }
    f.push(near.join("; "));
    // notes: free text with zero to three identifiers among words.
    let mut notes: Vec<String> = (0..r.range(2, 5)).map(|_| r.pick(&WORDS).to_string()).collect();
    for _ in 0..r.range(0, 3) {
        let piece = match r.range(0, 9) {
            0 => format!("ssn {}", plant("ssn", ssn(r), &mut truth)),
            1 => format!("call {}", plant("phone", phone(r), &mut truth)),
            2 => format!(
                "email {}",
                plant(
                    "email",
                    format!("pt{}@clinic.example.com", r.range(0, 9999)),
                    &mut truth
                )
            ),
            3 => format!("card {}", plant("credit_card", card(r, true), &mut truth)),
            4 => format!("from {}", plant("ip_address", ip(r), &mut truth)),
            5 => format!(
                "portal {}",
                plant(
                    "url",
                    format!("https://portal.example.org/p/{}", r.range(0, 99_999)),
                    &mut truth
                )
            ),
            6 => format!("medicare {}", plant("mbi", mbi(r, true), &mut truth)),
            7 => format!(
                "prescriber NPI {} DEA {}",
                plant("npi", npi(r), &mut truth),
                plant("dea", dea(r), &mut truth)
            ),
            8 => format!(
                "lives at {},",
                plant(
                    "street_address",
                    format!("{} {}", r.range(1, 9999), r.pick(&STREETS)),
                    &mut truth
                )
            ),
            // A date in a note is a date of care (Safe Harbor (C)).
            _ => format!("seen {}", plant("date", date(r, 2020, 2025), &mut truth)),
        };
        notes.push(piece);
        notes.push(r.pick(&WORDS).to_string());
    }
    f.push(notes.join(" "));
    Row { fields: f, truth }
}

fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The CSV header line.
pub fn csv_header() -> String {
    COLUMNS.join(",") + "\n"
}

/// One row as a CSV line.
pub fn csv_line(row: &Row) -> String {
    row.fields.iter().map(|v| csv_field(v)).collect::<Vec<_>>().join(",") + "\n"
}

/// One row as an NDJSON line (blank fields omitted, as JSON exports usually do).
pub fn ndjson_line(row: &Row) -> String {
    let mut m = serde_json::Map::new();
    for (k, v) in COLUMNS.iter().zip(&row.fields) {
        if !v.is_empty() {
            m.insert(k.to_string(), serde_json::Value::String(v.clone()));
        }
    }
    serde_json::Value::Object(m).to_string() + "\n"
}

/// Per-type confusion counts from per-row counts: a row's found count above its truth is
/// false positives, below it false negatives (one row holds at most a few of each type, so
/// this is exact unless a row both misses one planted value and wrongly finds another).
#[derive(Debug, Default, Clone, Copy)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
}

impl Confusion {
    pub fn add(&mut self, truth: u32, found: u64) {
        let truth = u64::from(truth);
        self.tp += truth.min(found);
        self.fp += found.saturating_sub(truth);
        self.fn_ += truth.saturating_sub(found);
    }
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

/// Scan one row's text (a one-record CSV or NDJSON document) with vetter's own readers and
/// return the count per generated type.
pub fn scan_counts(rec: &vetter::probe::export::phi::Recognizers, doc: &[u8], ndjson: bool) -> [u64; TYPES.len()] {
    use vetter::probe::export::records;
    let mut s = records::Scan::new(rec);
    if ndjson {
        records::read_ndjson(doc, &mut s).expect("in-memory read");
    } else {
        records::read_csv(doc, &mut s).expect("in-memory read");
    }
    let v = serde_json::to_value(s.phi.facts().types).expect("facts serialise");
    let mut out = [0u64; TYPES.len()];
    for (i, name) in TYPES.iter().enumerate() {
        out[i] = v[*name]["count"].as_u64().unwrap_or(0);
    }
    out
}
