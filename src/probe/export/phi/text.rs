//! ② Collect (export probe): recognizers that read words rather than one shape — person
//! names, dates, phones with a country code or a national trunk `0`, postcodes, ZIP codes and
//! cities in an address line, SSNs without dashes next to their label, medical record numbers
//! after theirs, IPv6. They run on
//! fields whose column does not say what they hold (free text, neutral headers). Input: one
//! field and the pattern matches already accepted in it (never counted twice); output:
//! (kind, start, end) per hit. No I/O.
//!
//! Precision comes from shape plus lists or context: a name is a capitalised given name
//! (US Census list) followed by a capitalised surname (Census list), or a title (`Dr.`) and a
//! surname, and not the start of a street (`Mark Twain Ave`); a ZIP code needs an address
//! line or its label before it; a city needs an address line or `lives in`-like context.

use super::Kind;
use super::dates;
use super::lists::Lists;

/// A word: its byte range.
#[derive(Debug, Clone, Copy)]
struct Tok {
    s: usize,
    e: usize,
}

/// Words after which a capitalised pair is a company (`Ann Taylor Inc`, `Time Warner Cable`).
const COMPANY: [&[u8]; 23] = [
    b"inc",
    b"corp",
    b"co",
    b"llc",
    b"ltd",
    b"plc",
    b"group",
    b"company",
    b"services",
    b"associates",
    b"partners",
    b"bank",
    b"foods",
    b"industries",
    b"cable",
    b"holdings",
    b"brands",
    b"stores",
    b"systems",
    b"solutions",
    b"technologies",
    b"international",
    b"motors",
];

/// Titles before a name.
const TITLES: [&[u8]; 8] = [b"dr", b"mr", b"mrs", b"ms", b"miss", b"mx", b"prof", b"rev"];

/// Words after which a capitalised phrase is a place.
const PLACE_CONTEXT: [(&[&[u8]], &[u8]); 2] = [
    (&[b"lives", b"living", b"resides", b"born", b"lived"], b"in"),
    (&[b"moved", b"relocated"], b"to"),
];

/// Words before a date that make it a thing's date, not a person's.
const THING_DATES: &[&[u8]] = &[
    b"lot",
    b"batch",
    b"build",
    b"release",
    b"released",
    b"version",
    b"expires",
    b"expiry",
    b"exp",
    b"expiration",
    b"opened",
    b"manufactured",
    b"mfg",
    b"shipped",
    b"invoice",
    b"order",
    b"effective",
    b"created",
    b"updated",
    b"modified",
    b"published",
    b"deployed",
];

/// Words before a plain 10-digit number that make it a phone.
const PHONE_LABELS: &[&[u8]] = &[
    b"phone", b"tel", b"call", b"called", b"cell", b"mobile", b"fax", b"ph", b"contact", b"text", b"sms",
];

/// Secondary units that start a street line without a house number (`Flat 66, Roy Lakes`).
const UNITS: [&[u8]; 7] = [b"flat", b"studio", b"apartment", b"apt", b"unit", b"suite", b"ste"];

/// US state and territory abbreviations (USPS).
const STATES: [&[u8]; 56] = [
    b"AL", b"AK", b"AZ", b"AR", b"CA", b"CO", b"CT", b"DE", b"DC", b"FL", b"GA", b"HI", b"ID", b"IL", b"IN", b"IA",
    b"KS", b"KY", b"LA", b"ME", b"MD", b"MA", b"MI", b"MN", b"MS", b"MO", b"MT", b"NE", b"NV", b"NH", b"NJ", b"NM",
    b"NY", b"NC", b"ND", b"OH", b"OK", b"OR", b"PA", b"RI", b"SC", b"SD", b"TN", b"TX", b"UT", b"VT", b"VA", b"WA",
    b"WV", b"WI", b"WY", b"PR", b"GU", b"VI", b"AS", b"MP",
];

/// US state, district and territory names (for telling a state column from a city column).
const STATE_NAMES: [&str; 56] = [
    "alabama",
    "alaska",
    "arizona",
    "arkansas",
    "california",
    "colorado",
    "connecticut",
    "delaware",
    "district of columbia",
    "florida",
    "georgia",
    "hawaii",
    "idaho",
    "illinois",
    "indiana",
    "iowa",
    "kansas",
    "kentucky",
    "louisiana",
    "maine",
    "maryland",
    "massachusetts",
    "michigan",
    "minnesota",
    "mississippi",
    "missouri",
    "montana",
    "nebraska",
    "nevada",
    "new hampshire",
    "new jersey",
    "new mexico",
    "new york",
    "north carolina",
    "north dakota",
    "ohio",
    "oklahoma",
    "oregon",
    "pennsylvania",
    "rhode island",
    "south carolina",
    "south dakota",
    "tennessee",
    "texas",
    "utah",
    "vermont",
    "virginia",
    "washington",
    "west virginia",
    "wisconsin",
    "wyoming",
    "puerto rico",
    "guam",
    "virgin islands",
    "american samoa",
    "northern mariana islands",
];

/// A whole value that is a US state: its USPS code or its name.
pub fn us_state(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 2 && STATES.contains(&b) || b.len() >= 4 && STATE_NAMES.iter().any(|n| n.eq_ignore_ascii_case(v))
}

/// A whole value shaped like a place name: one to four words, each capitalised, letters and
/// `.`, `-`, `'` only, some lower case (`Lake Nicole`, `St. Louis`, `Saint-Jérôme`; not `TX`,
/// `Engineer, petroleum` or `7162 Macias Point`).
pub fn place_shaped(v: &str) -> bool {
    (3..=40).contains(&v.len())
        && v.chars().any(char::is_lowercase)
        && v.split(' ').count() <= 4
        && v.split(' ').all(|w| {
            w.chars().next().is_some_and(char::is_uppercase)
                && w.chars().all(|c| c.is_alphabetic() || matches!(c, '.' | '-' | '\''))
        })
}

fn word_byte(b: u8) -> bool {
    // Letters (any UTF-8 letter's bytes: `Cédric` is one word) and apostrophes.
    b.is_ascii_alphabetic() || b == b'\'' || b >= 0x80
}

/// A capitalised word (`Smith`, `McDonald`, `O'Brien`) or, in a whole cell, an upper-case one.
fn capitalised(b: &[u8], t: Tok, upper_ok: bool) -> bool {
    let w = &b[t.s..t.e];
    w.len() >= 2
        && w[0].is_ascii_uppercase()
        && (w[1].is_ascii_lowercase()
            || w[1] == b'\''
            || upper_ok && w.iter().all(|c| c.is_ascii_uppercase() || *c == b'\''))
}

/// The words of a field (letters and apostrophes), at most `cap` of them.
fn words(b: &[u8], out: &mut Vec<Tok>) {
    out.clear();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_alphabetic() || b[i] >= 0x80 {
            let s = i;
            while i < b.len() && word_byte(b[i]) {
                i += 1;
            }
            // A word glued to digits (`A12`, `x481`) is not a name part.
            let glued = s > 0 && b[s - 1].is_ascii_digit() || b.get(i).is_some_and(u8::is_ascii_digit);
            if !glued {
                out.push(Tok { s, e: i });
            }
        } else {
            i += 1;
        }
    }
}

/// What lies between two words: a single space, or `. ` after an initial or a title.
fn adjacent(b: &[u8], a: Tok, c: Tok) -> bool {
    let gap = &b[a.e..c.s];
    gap == b" " || gap == b". " && (a.e - a.s == 1 || TITLES.iter().any(|t| lower_eq(&b[a.s..a.e], t)))
}

fn lower_eq(w: &[u8], x: &[u8]) -> bool {
    w.eq_ignore_ascii_case(x)
}

/// Scratch space reused across fields.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    toks: Vec<Tok>,
    cov: Vec<(usize, usize, Kind)>,
    starts: Vec<usize>,
    cities: Vec<(usize, usize, Kind)>,
}

/// Whether `[s, e)` overlaps an accepted match.
fn overlaps(covered: &[(usize, usize, Kind)], s: usize, e: usize) -> bool {
    covered.iter().any(|&(cs, ce, _)| s < ce && cs < e)
}

/// Scan one field. `whole` says the field is a cell of a column that may hold one value per
/// cell (neutral headers), where `Estrada, Matthew` and upper-case names are read too.
pub fn scan(
    lists: &Lists,
    v: &str,
    whole: bool,
    covered: &[(usize, usize, Kind)],
    scratch: &mut Scratch,
    mut hit: impl FnMut(Kind, usize, usize),
) {
    let b = v.as_bytes();
    let mut emit = |k: Kind, s: usize, e: usize, cov: &[(usize, usize, Kind)]| {
        if !overlaps(cov, s, e) {
            hit(k, s, e);
        }
    };
    // Dates.
    // Dates, unless the words before say they are a thing's (`lot … opened 2024-03-01`,
    // `expires 2027-01-31`, `build of 2025-05-02`).
    dates::find_all(v, |s, e| {
        if !label_before(b, s, THING_DATES, 4) {
            emit(Kind::Date, s, e, covered)
        }
    });
    // Streets written without a house number (`Flat 66, Roy Lakes`) first: their words are
    // not a person's, and a ZIP code may follow them. No allocation per field: the buffers
    // are the caller's.
    let Scratch {
        toks,
        cov,
        starts,
        cities,
    } = scratch;
    words(b, toks);
    cov.clear();
    cov.extend_from_slice(covered);
    unit_streets(lists, b, toks, cov, &mut emit);
    mrns(b, toks, cov, &mut emit);
    digits_led(b, whole, cov, &mut emit);
    // Places before names: `Lives in Moses Lake` is a city, not a person.
    cities.clear();
    places(b, cov, toks, starts, &mut |k, s, e, c: &[(usize, usize, Kind)]| {
        if !overlaps(c, s, e) {
            cities.push((s, e, k));
        }
    });
    for &(s, e, k) in cities.iter() {
        emit(k, s, e, cov);
    }
    cov.extend_from_slice(cities);
    names(lists, b, whole, cov, toks, &mut emit);
}

/// Words that may stand between an MRN's label and the number (`medical record number: `,
/// `chart no. `, `patient ID #`).
const MRN_FILLERS: [&[u8]; 6] = [b"number", b"no", b"num", b"nbr", b"id", b"is"];

/// Medical record numbers by their label: `MRN 00123456`, `chart #A-778812`, `record # 556677`,
/// `medical record number: 1234567`, `patient ID 884213`. A label alone is not enough for the
/// ambiguous words: `record` needs `medical`/`health`/`patient` before it or `#`/`no`/`number`
/// after it (`record 3 of 12`, `record count` are not MRNs), `patient`/`pt` need `id`, `#`, `no`
/// or `number`, `MR` needs `#` (`Mr. Smith`). The number: up to three capital letters and a `-`,
/// then 5–12 digits (one `-` group may follow); never a dotted version or a grouped phone.
fn mrns(
    b: &[u8],
    toks: &[Tok],
    cov: &mut Vec<(usize, usize, Kind)>,
    emit: &mut impl FnMut(Kind, usize, usize, &[(usize, usize, Kind)]),
) {
    let w = |k: usize| &b[toks[k].s..toks[k].e];
    let is = |k: usize, x: &[&[u8]]| x.iter().any(|l| lower_eq(w(k), l));
    for k in 0..toks.len() {
        // Every label starts with one of these letters: most words are passed over at once.
        if !matches!(b[toks[k].s] | 0x20, b'm' | b'c' | b'r' | b'p') {
            continue;
        }
        let strong =
            is(k, &[b"mrn", b"mrns", b"medrec", b"chart"]) || is(k, &[b"mr"]) && b.get(toks[k].e) == Some(&b'#');
        let record = is(k, &[b"record", b"rec"]) && k > 0 && is(k - 1, &[b"medical", b"med", b"health", b"patient"]);
        let weak = is(k, &[b"record", b"rec", b"patient", b"pt"]);
        if !(strong || record || weak) {
            continue;
        }
        // Skip separators and filler words up to the number; a weak label needs a `#` or a
        // filler word on the way.
        let mut j = toks[k].e;
        let mut filled = false;
        let mut next = k + 1;
        loop {
            while j < b.len() && matches!(b[j], b' ' | b':' | b'#' | b'.' | b'=') {
                filled |= b[j] == b'#';
                j += 1;
            }
            if next < toks.len() && toks[next].s == j && is(next, &MRN_FILLERS) && j - toks[k].e <= 24 {
                // `is` bridges (`MRN is 00123456`) but does not make a weak label one.
                filled |= !is(next, &[b"is"]);
                j = toks[next].e;
                next += 1;
                continue;
            }
            break;
        }
        if !(strong || record || filled) || j >= b.len() {
            continue;
        }
        if let Some(e) = mrn_number(b, j) {
            emit(Kind::Mrn, j, e, cov);
            cov.push((j, e, Kind::Mrn));
        }
    }
}

/// A record number at `i`: `[A-Z]{0,3}-?\d{5,12}(-\d{1,6})?`, not glued to more of a token.
fn mrn_number(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len() && b[j].is_ascii_uppercase() && j - i < 3 {
        j += 1;
    }
    if j > i && b.get(j) == Some(&b'-') {
        j += 1;
    }
    let d0 = j;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    if !(5..=12).contains(&(j - d0)) {
        return None;
    }
    if b.get(j) == Some(&b'-') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        let g = j + 1;
        j = g;
        while j < b.len() && b[j].is_ascii_digit() && j - g < 6 {
            j += 1;
        }
    }
    let glued = b.get(j).is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b'-' | b'/') && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric)
    });
    (!glued && (i == 0 || !b[i - 1].is_ascii_alphanumeric())).then_some(j)
}

/// Phones with a country code or trunk `0`, postcodes, SSNs by their label, IPv6, ZIP codes
/// with a label or after an address line.
fn digits_led(
    b: &[u8],
    whole: bool,
    covered: &[(usize, usize, Kind)],
    emit: &mut impl FnMut(Kind, usize, usize, &[(usize, usize, Kind)]),
) {
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i == 0 || !b[i - 1].is_ascii_alphanumeric() && !matches!(b[i - 1], b'.' | b'-' | b'/' | b'+');
        if !start {
            // No candidate starts inside a run of letters and digits: skip the run at once.
            i += 1;
            if c.is_ascii_alphanumeric() {
                while i < b.len() && b[i].is_ascii_alphanumeric() {
                    i += 1;
                }
            }
            continue;
        }
        if (c == b'+' || c == b'(' || c == b'0')
            && let Some(e) = intl_phone(b, i)
        {
            emit(Kind::Phone, i, e, covered);
            i = e;
            continue;
        }
        // A postcode has a digit in its first three characters (`K1A`, `SW1A`) unless an
        // address line precedes it (any postcode-like code then): most capitalised words
        // are dismissed without a look further.
        if c.is_ascii_uppercase()
            && (b[i + 1..(i + 3).min(b.len())].iter().any(u8::is_ascii_digit) || after_address(b, i, covered))
            && let Some(e) = postcode(b, i, whole && i == 0 || after_address(b, i, covered)).or_else(|| {
                // After an address line any postcode-like code is one.
                let mut e = i;
                while e < b.len() && (b[e].is_ascii_alphanumeric() || b[e] == b' ' && e - i <= 4) {
                    e += 1;
                }
                while e > i && b[e - 1] == b' ' {
                    e -= 1;
                }
                (after_address(b, i, covered) && postcode_like(&b[i..e])).then_some(e)
            })
        {
            emit(Kind::Zip, i, e, covered);
            i = e;
            continue;
        }
        if c.is_ascii_hexdigit() || c == b':' {
            let mut e = i;
            while e < b.len() && (b[e].is_ascii_hexdigit() || b[e] == b':' || b[e] == b'.') {
                e += 1;
            }
            let t = &b[i..e];
            let t = t.strip_suffix(b".").unwrap_or(t);
            if t.iter().filter(|&&x| x == b':').count() >= 2
                && !b.get(i + t.len()).is_some_and(u8::is_ascii_alphanumeric)
                && t.len() >= 6
                && std::str::from_utf8(t).is_ok_and(|s| s.parse::<std::net::Ipv6Addr>().is_ok())
            {
                emit(Kind::IpAddress, i, i + t.len(), covered);
                i = e;
                continue;
            }
        }
        if c.is_ascii_digit() {
            let mut e = i;
            while e < b.len() && b[e].is_ascii_digit() {
                e += 1;
            }
            let n = e - i;
            let free = !b.get(e).is_some_and(|x| {
                x.is_ascii_alphanumeric() || *x == b'.' && b.get(e + 1).is_some_and(u8::is_ascii_digit)
            });
            if n == 9 && free && label_before(b, i, &[b"ssn", b"social", b"ss#", b"ss"], 2) {
                let d: Vec<u8> = b[i..e].iter().map(|x| x - b'0').collect();
                if super::valid_ssn(&d) {
                    emit(Kind::Ssn, i, e, covered);
                }
            } else if n == 10 && free && phone_label_before(b, i) && {
                let d: Vec<u8> = b[i..e].iter().map(|x| x - b'0').collect();
                !super::fiction(&d)
            } {
                // Labelled: the layout is enough (numbers no NANP line has are still meant
                // as phones here).
                emit(Kind::Phone, i, ext_end(b, e), covered);
            } else if n == 5 && free {
                let mut end = e;
                if b.get(e) == Some(&b'-')
                    && b.get(e + 1..e + 5).is_some_and(|x| x.iter().all(u8::is_ascii_digit))
                    && !b.get(e + 5).is_some_and(u8::is_ascii_alphanumeric)
                {
                    end = e + 5;
                }
                if &b[i..i + 5] != b"00000"
                    && (label_before(b, i, &[b"zip", b"zipcode", b"postal", b"postcode"], 2)
                        || state_before(b, i)
                        || after_address(b, i, covered))
                {
                    let restricted = super::RESTRICTED_ZIP3.iter().any(|z| z.as_bytes() == &b[i..i + 3]);
                    emit(
                        if restricted { Kind::ZipRestricted } else { Kind::Zip },
                        i,
                        end,
                        covered,
                    );
                }
                i = end;
                continue;
            }
            i = e;
            continue;
        }
        i += 1;
    }
}

/// A label word among the `n` words before `i` (`SSN 219456789`, `zip: 73265`).
fn label_before(b: &[u8], i: usize, labels: &[&[u8]], n: usize) -> bool {
    let mut from = i.saturating_sub(12 * n);
    while from > 0 && b[from].is_ascii_alphanumeric() {
        from -= 1;
    }
    b[from..i]
        .split(|c| !c.is_ascii_alphanumeric() && *c != b'#')
        .filter(|w| !w.is_empty())
        .rev()
        .take(n)
        .any(|w| labels.iter().any(|l| lower_eq(w, l)))
}

/// A phone's label among the four words before `i` (`Called Jasmine Perez at …`).
pub fn phone_label_before(b: &[u8], i: usize) -> bool {
    label_before(b, i, PHONE_LABELS, 4)
}

/// `..., ST 12345`: a state abbreviation right before.
fn state_before(b: &[u8], i: usize) -> bool {
    i >= 3 && b[i - 1] == b' ' && {
        let s = &b[i - 3..i - 1];
        STATES.contains(&s) && (i == 3 || !b[i - 4].is_ascii_alphanumeric())
    }
}

/// After an accepted street address in the same field, within an address line's reach.
fn after_address(b: &[u8], i: usize, covered: &[(usize, usize, Kind)]) -> bool {
    covered
        .iter()
        .any(|&(_, e, k)| k == Kind::StreetAddress && e <= i && i - e <= 48 && !b[e..i].contains(&b'\n'))
}

/// `+1 (613) 555-0199`, `+18653215181`, `+44(0)1632 960 123`, `001-704-452-3080` (an
/// international prefix), `(0114) 496 0765`, `01632 960123` (a national trunk `0`): digits,
/// spaces, `-`, `.` and parentheses, 10–15 digits with a country code, 10–11 with a trunk `0`.
fn intl_phone(b: &[u8], i: usize) -> Option<usize> {
    let plus = b[i] == b'+';
    let mut j = i + usize::from(plus);
    let mut digits = 0;
    let mut first = None;
    let mut groups = 0;
    let mut last_digit_end = j;
    while j < b.len() {
        let c = b[j];
        if c.is_ascii_digit() {
            if first.is_none() {
                first = Some(j);
            }
            digits += 1;
            if j == 0 || !b[j - 1].is_ascii_digit() {
                groups += 1;
            }
            j += 1;
            last_digit_end = j;
        } else if c == b')'
            || matches!(c, b' ' | b'-' | b'.' | b'(') && b.get(j + 1).is_some_and(|x| x.is_ascii_digit() || *x == b'(')
        {
            // A separator between digit groups; a `)` may be followed by anything.
            j += 1;
        } else {
            break;
        }
        if digits > 15 {
            return None;
        }
    }
    let e = last_digit_end;
    if b.get(e).is_some_and(|x| x.is_ascii_alphanumeric()) && !ext_at(b, e) {
        return None;
    }
    let f = b[first?];
    let ok = if plus {
        (10..=15).contains(&digits) && f != b'0'
    } else if b[i..].starts_with(b"00") {
        (12..=15).contains(&digits) && groups >= 2
    } else {
        // A trunk `0` number: grouped, as people write them.
        f == b'0' && b.get(first? + 1).is_some_and(|x| *x != b'0') && (10..=11).contains(&digits) && groups >= 2
    };
    ok.then(|| ext_end(b, e))
}

/// An extension right after a phone: `x481`, ` ext. 12`, ` x 12`.
fn ext_at(b: &[u8], e: usize) -> bool {
    ext_end(b, e) > e
}

/// The end of a phone with its extension, if one follows at `e`.
pub fn ext_end(b: &[u8], e: usize) -> usize {
    let mut j = e;
    if b.get(j) == Some(&b' ') {
        j += 1;
    }
    let rest = &b[j.min(b.len())..];
    let skip = if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"ext") {
        3 + usize::from(rest.get(3) == Some(&b'.'))
    } else if rest.first().is_some_and(|c| *c == b'x' || *c == b'X') {
        1
    } else {
        return e;
    };
    let mut k = j + skip;
    if b.get(k) == Some(&b' ') {
        k += 1;
    }
    let s = k;
    while k < b.len() && b[k].is_ascii_digit() && k - s < 6 {
        k += 1;
    }
    if k > s && !b.get(k).is_some_and(u8::is_ascii_alphanumeric) {
        k
    } else {
        e
    }
}

/// A postcode as any country writes it, when the column or an address line says it is one:
/// 5–8 upper-case letters and digits, both present, with at most one space or `-` inside
/// (`DN2H 4VP`, `Q5E 6H0`, `1234 AB`).
pub fn postcode_like(b: &[u8]) -> bool {
    let n = b.len();
    let seps = b.iter().filter(|c| matches!(c, b' ' | b'-')).count();
    (5..=8).contains(&n)
        && seps <= 1
        && !matches!(b[0], b' ' | b'-')
        && !matches!(b[n - 1], b' ' | b'-')
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, b' ' | b'-'))
        && b.iter().filter(|c| c.is_ascii_digit()).count() >= 2
        && b.iter().filter(|c| c.is_ascii_uppercase()).count() >= 2
}

/// A UK (`SW1A 1AA`, `M1 1AE`) or Canadian (`K1A 0B1`, `N4X5T9`) postcode at `i`; without the
/// space only in a whole cell.
pub fn postcode(b: &[u8], i: usize, whole: bool) -> Option<usize> {
    let up = |k: usize| b.get(k).is_some_and(u8::is_ascii_uppercase);
    let dg = |k: usize| b.get(k).is_some_and(u8::is_ascii_digit);
    let end_ok = |k: usize| !b.get(k).is_some_and(u8::is_ascii_alphanumeric);
    // Canada: A9A 9A9 (no D, F, I, O, Q, U; no W or Z first).
    let ca_letter = |k: usize| up(k) && !b"DFIOQU".contains(&b[k]);
    if ca_letter(i) && !b"WZ".contains(&b[i]) && dg(i + 1) && ca_letter(i + 2) {
        let j = if b.get(i + 3) == Some(&b' ') { i + 4 } else { i + 3 };
        if (j == i + 4 || whole) && dg(j) && ca_letter(j + 1) && dg(j + 2) && end_ok(j + 3) {
            return Some(j + 3);
        }
    }
    // UK: outward code A9, A99, AA9, AA99, A9A, AA9A; inward 9AA.
    if !up(i) || b"QVX".contains(&b[i]) {
        return None;
    }
    let mut j = i + 1;
    if up(j) {
        j += 1;
    }
    if !dg(j) {
        return None;
    }
    j += 1;
    if dg(j) || up(j) {
        j += 1;
    }
    let k = if b.get(j) == Some(&b' ') { j + 1 } else { j };
    let inward = |k: usize| up(k) && !b"CIKMOV".contains(&b[k]);
    if (k == j + 1 || whole) && dg(k) && inward(k + 1) && inward(k + 2) && end_ok(k + 3) {
        return Some(k + 3);
    }
    None
}

/// Person names: a title and a surname, or a given name and a surname (an initial between
/// allowed), never the words before a street suffix or after a house number.
fn names(
    lists: &Lists,
    b: &[u8],
    whole: bool,
    covered: &[(usize, usize, Kind)],
    t: &[Tok],
    emit: &mut impl FnMut(Kind, usize, usize, &[(usize, usize, Kind)]),
) {
    let cap = |k: usize| k < t.len() && capitalised(b, t[k], whole);
    let w = |k: usize| &b[t[k].s..t[k].e];
    let adj = |k: usize| k + 1 < t.len() && adjacent(b, t[k], t[k + 1]);
    // The surname ends the name unless a street suffix follows it.
    let street_after = |k: usize| k + 1 < t.len() && adj(k) && lists.suffixes.contains(w(k + 1)) && cap(k + 1);
    let number_before = |k: usize| {
        let s = t[k].s;
        s >= 2 && b[s - 1] == b' ' && b[s - 2].is_ascii_digit()
    };
    let mut k = 0;
    while k < t.len() {
        if !cap(k) {
            k += 1;
            continue;
        }
        let title = TITLES.iter().any(|x| lower_eq(w(k), x));
        let mut j = k + 1;
        // A given name (or title), an optional initial, then a surname.
        let lead = title || lists.given.contains(w(k));
        if lead && adj(k) {
            if j < t.len() && t[j].e - t[j].s == 1 && b[t[j].s].is_ascii_uppercase() && adj(j) {
                j += 1;
            }
            // After a title a first name may come before the surname (`Dr. Jane Doe`,
            // `Dr Gareth Harris`): the title is the evidence.
            if title && cap(j) && adj(j) && cap(j + 1) && lists.surnames.contains(w(j + 1)) {
                j += 1;
            }
            if cap(j)
                && lists.surnames.contains(w(j))
                && !(title && lists.given.contains(w(j)) && !lists.surnames.contains(w(j)))
            {
                // A second surname (`Mary Ann Smith`, `Smith-Jones` is one word).
                if adj(j) && cap(j + 1) && lists.surnames.contains(w(j + 1)) && !street_after(j + 1) {
                    j += 1;
                }
                let company = j + 1 < t.len() && COMPANY.iter().any(|c| lower_eq(w(j + 1), c)) && {
                    let gap = &b[t[j].e..t[j + 1].s];
                    gap == b" " || gap == b", "
                };
                if !street_after(j) && !number_before(k) && !company {
                    emit(Kind::Name, t[k].s, t[j].e, covered);
                    k = j + 1;
                    continue;
                }
            }
        }
        // `Estrada, Matthew` in a cell of its own.
        if whole
            && k == 0
            && t.len() == 2
            && &b[t[0].e..t[1].s] == b", "
            && cap(1)
            && lists.surnames.contains(w(0))
            && lists.given.contains(w(1))
        {
            emit(Kind::Name, t[0].s, t[1].e, covered);
            return;
        }
        k += 1;
    }
}

/// `Flat 66, Roy Lakes`, `Studio 48a, King Mills`: a unit, its number, a comma, then up to
/// three capitalised words ending in a USPS suffix.
fn unit_streets(
    lists: &Lists,
    b: &[u8],
    toks: &[Tok],
    cov: &mut Vec<(usize, usize, Kind)>,
    emit: &mut impl FnMut(Kind, usize, usize, &[(usize, usize, Kind)]),
) {
    for (k, t) in toks.iter().enumerate() {
        if !capitalised(b, *t, true) || !UNITS.iter().any(|u| lower_eq(&b[t.s..t.e], u)) {
            continue;
        }
        // ` 66, ` / ` 48a, `: the unit number.
        let mut j = t.e;
        if b.get(j) != Some(&b' ') {
            continue;
        }
        j += 1;
        let n0 = j;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == n0 || !b[n0].is_ascii_digit() || b.get(j..j + 2) != Some(b", ") {
            continue;
        }
        let first = j + 2;
        let Some(f) = toks[k + 1..].iter().position(|x| x.s == first).map(|p| p + k + 1) else {
            continue;
        };
        let mut last = f;
        while last < toks.len() && last - f < 3 {
            if !capitalised(b, toks[last], false) {
                break;
            }
            if last > f && lists.suffixes.contains(&b[toks[last].s..toks[last].e]) {
                let e = toks[last].e;
                emit(Kind::StreetAddress, t.s, e, cov);
                cov.push((t.s, e, Kind::StreetAddress));
                break;
            }
            if last + 1 < toks.len() && &b[toks[last].e..toks[last + 1].s] != b" " {
                break;
            }
            last += 1;
        }
    }
}

/// Cities: the capitalised words after an address line's street (`7162 Macias Point, Lake
/// Nicole 73265`) or after `lives in`-like context, up to a comma, state, ZIP or the end.
fn places(
    b: &[u8],
    covered: &[(usize, usize, Kind)],
    toks: &[Tok],
    starts: &mut Vec<usize>,
    emit: &mut impl FnMut(Kind, usize, usize, &[(usize, usize, Kind)]),
) {
    starts.clear();
    for &(_, e, k) in covered {
        if k == Kind::StreetAddress {
            // The street match ends after its suffix's terminator: `, ` then the city.
            let mut j = e;
            // `Suite 727, `: a secondary unit and its number.
            let rest = &b[j.min(b.len())..];
            if let Some(u) = UNITS.iter().find(|u| {
                rest.len() > u.len() + 1
                    && rest[..u.len()].eq_ignore_ascii_case(u)
                    && (rest[u.len()] == b' ' || rest[u.len()..].starts_with(b". "))
            }) {
                let mut k = j + u.len() + 1 + usize::from(rest[u.len()] == b'.');
                while k < b.len() && b[k].is_ascii_alphanumeric() {
                    k += 1;
                }
                j = k;
            }
            let from = j;
            while j < b.len() && (b[j] == b' ' || b[j] == b',') {
                j += 1;
            }
            if b[from.min(b.len())..j].contains(&b',') || b.get(e.wrapping_sub(1)) == Some(&b',') {
                starts.push(j);
            }
        }
    }
    // `lives in X`, `moved to X`: by words, no lower-cased copy of the field.
    for k in 1..toks.len().saturating_sub(1) {
        let (p, t, n) = (toks[k - 1], toks[k], toks[k + 1]);
        let w = |x: Tok| &b[x.s..x.e];
        let gaps = &b[p.e..t.s] == b" " && &b[t.e..n.s] == b" ";
        if gaps
            && PLACE_CONTEXT
                .iter()
                .any(|(verb, prep)| lower_eq(w(t), prep) && verb.iter().any(|v| lower_eq(w(p), v)))
        {
            starts.push(n.s);
        }
    }
    for &s in starts.iter() {
        // Up to three capitalised words, adjacent by single spaces.
        let Some(first) = toks.iter().position(|t| t.s == s) else {
            continue;
        };
        let mut last = first;
        if !capitalised(b, toks[first], false) || STATES.contains(&&b[toks[first].s..toks[first].e]) {
            continue;
        }
        while last + 1 < toks.len()
            && last + 1 - first < 3
            && &b[toks[last].e..toks[last + 1].s] == b" "
            && capitalised(b, toks[last + 1], false)
        {
            last += 1;
        }
        emit(Kind::City, toks[first].s, toks[last].e, covered);
    }
    // `Lake Nicole, TX 73265`: an address line's last part, in a cell of its own or in text.
    // Up to three capitalised words before `, ST 12345` (not a street already found).
    let mut i = 0;
    while let Some(off) = memchr::memchr(b',', &b[i..]) {
        let c = i + off;
        i = c + 1;
        let zip = c + 5;
        let state_zip = b.get(c + 1) == Some(&b' ')
            && b.get(c + 4) == Some(&b' ')
            && STATES.contains(&&b[c + 2..(c + 4).min(b.len())])
            && b.get(zip..zip + 5).is_some_and(|d| d.iter().all(u8::is_ascii_digit))
            && !b.get(zip + 5).is_some_and(|x| x.is_ascii_alphanumeric());
        let Some(last) = toks.iter().position(|t| t.e == c) else {
            continue;
        };
        if !state_zip {
            continue;
        }
        let mut first = last;
        let usable = |k: usize| capitalised(b, toks[k], false) && !overlaps(covered, toks[k].s, toks[k].e);
        if !usable(last) {
            continue;
        }
        while first > 0 && last - first < 2 && &b[toks[first - 1].e..toks[first].s] == b" " && usable(first - 1) {
            first -= 1;
        }
        emit(Kind::City, toks[first].s, toks[last].e, covered);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(v: &str, whole: bool) -> Vec<(Kind, String)> {
        let lists = Lists::new();
        let mut out = Vec::new();
        scan(&lists, v, whole, &[], &mut Scratch::default(), |k, s, e| {
            out.push((k, v[s..e].to_string()))
        });
        out
    }

    fn kinds(v: &str, whole: bool) -> Vec<Kind> {
        found(v, whole).into_iter().map(|x| x.0).collect()
    }

    #[test]
    fn names_in_text() {
        assert_eq!(
            found(
                "Patient Matthew Estrada seen today; spoke with Dr. Jane Doe and Mrs. Kayla Richardson.",
                false
            ),
            [
                (Kind::Name, "Matthew Estrada".to_string()),
                (Kind::Name, "Dr. Jane Doe".to_string()),
                (Kind::Name, "Mrs. Kayla Richardson".to_string())
            ]
        );
        assert_eq!(kinds("Referred by Dr. Vasquez.", false), [Kind::Name]);
        assert_eq!(kinds("John Q. Smith called", false), [Kind::Name]);
        assert_eq!(kinds("Estrada, Matthew", true), [Kind::Name]);
        assert_eq!(kinds("MATTHEW ESTRADA", true), [Kind::Name]);
    }

    #[test]
    fn name_near_misses() {
        for v in [
            "Mark Twain Ave",         // a street
            "12 Grant Street",        // a house number and a street
            "Herself teacher allow.", // one capitalised word
            "Walker Group",           // a company: not a surname after
            "will smith the parts",   // lower case
            "MATTHEW ESTRADA",        // upper case in free text
            "Estrada, Matthew",       // last-first only in a cell of its own
            "Engineer, petroleum",
            "Port Cheryl. Short nature", // a sentence break is not a name
            "Flat 66, Roy Lakes",        // a street
        ] {
            assert!(
                !kinds(v, v == "Walker Group").contains(&Kind::Name),
                "{v}: {:?}",
                found(v, false)
            );
        }
    }

    #[test]
    fn phones_postcodes_and_more() {
        assert_eq!(kinds("call +18653215181 today", false), [Kind::Phone]);
        assert_eq!(kinds("tel +44(0)1632 960 123", false), [Kind::Phone]);
        assert_eq!(
            kinds("ring (0114) 496 0765 or 01632 960123", false),
            [Kind::Phone, Kind::Phone]
        );
        assert_eq!(kinds("+1-704-452-3080x391", false), [Kind::Phone]);
        assert_eq!(found("at SW1A 1AA and K1A 0B1", false).len(), 2);
        assert_eq!(kinds("N4X5T9", true), [Kind::Zip]);
        assert_eq!(kinds("SSN 219456789 on file", false), [Kind::Ssn]);
        assert_eq!(kinds("from 2001:db8::8a2e:370:7334 at", false), [Kind::IpAddress]);
        assert_eq!(kinds("Austin, TX 78701", false), [Kind::Zip, Kind::City]);
        assert_eq!(kinds("zip code 30301-1234", false), [Kind::Zip]);
        assert_eq!(kinds("Lives in Lake Nicole. Fine.", false), [Kind::City]);
        assert_eq!(kinds("called at 6243756529, no answer", false), [Kind::Phone]);
        assert_eq!(kinds("Studio 48a, King Mills", true), [Kind::StreetAddress]);
    }

    #[test]
    fn city_in_an_address_line() {
        assert_eq!(
            found("Lake Nicole, TX 73265", true),
            [
                (Kind::Zip, "73265".to_string()),
                (Kind::City, "Lake Nicole".to_string())
            ]
        );
        assert!(
            found("mailed to 12 Oak Street, North Angelaport, WA 98101-2201 today", false)
                .contains(&(Kind::City, "North Angelaport".to_string()))
        );
        // Near misses: no state and ZIP after the comma, lower case, a state name spelled out.
        for v in [
            "Lake Nicole, 73265",
            "Lake Nicole, TX",
            "lake nicole, TX 73265",
            "Smith, TX 7326",
            "Invoice, TX 73265X",
        ] {
            assert!(!kinds(v, true).contains(&Kind::City), "{v}: {:?}", found(v, true));
        }
        assert!(place_shaped("Lake Nicole") && place_shaped("St. Louis") && place_shaped("Saint-Jérôme"));
        for v in [
            "TX",
            "Engineer, petroleum",
            "7162 Macias Point",
            "lake nicole",
            "A B C D E",
        ] {
            assert!(!place_shaped(v), "{v}");
        }
        assert!(us_state("TX") && us_state("New York") && !us_state("York"));
    }

    #[test]
    fn mrn_by_its_label() {
        for (v, want) in [
            ("MRN 00123456 on file", "00123456"),
            ("see chart #A-778812 for details", "A-778812"),
            ("record # 556677 reviewed", "556677"),
            ("medical record number: 4417720", "4417720"),
            ("Medical Record No. 88123-04 updated", "88123-04"),
            ("mrn: 0099812", "0099812"),
            ("Patient ID 884213 admitted", "884213"),
            ("chart 1029384", "1029384"),
            ("MR# 7712345", "7712345"),
        ] {
            assert_eq!(found(v, false), [(Kind::Mrn, want.to_string())], "{v}");
        }
    }

    #[test]
    fn mrn_near_misses() {
        for v in [
            "order #556677 shipped", // no record label
            "invoice 1234567 paid",
            "version 12345 released",
            "record 3 of 12",               // too short, and no `#`
            "record count 556677",          // `record` without `#`, `no` or `number`
            "patient is 12345 steps ahead", // `is` does not make `patient` a label
            "Patient 556677 arrived",       // `patient` alone
            "chart v1.2.3",                 // a version
            "chart 312-201-0147",           // a grouped phone is not a record number
            "chart #1234",                  // four digits
            "chart 12345.6 mg",             // a decimal
            "Mr. Smith 1234567",            // a title, not MR#
            "MRN pending",
        ] {
            let got = found(v, false);
            assert!(!got.iter().any(|x| x.0 == Kind::Mrn), "{v}: {got:?}");
        }
    }

    #[test]
    fn digit_near_misses() {
        for v in [
            "order 219456789 shipped", // nine digits, no SSN label
            "qty 73265 units",         // five digits, no ZIP context
            "at 10:00:00 sharp",       // a time is not IPv6
            "+12",                     // too short for a phone
            "ref 0000000000",          // trunk 0 then 0
            "0123456789",              // ungrouped
            "part N4X5T9",             // a postcode without its space in text
            "lot AB12CDE",
            "v1.2.2019",
            "order 6243756529 shipped", // ten digits, no phone label
        ] {
            assert!(found(v, false).is_empty(), "{v}: {:?}", found(v, false));
        }
    }
}
