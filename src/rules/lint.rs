//! The message lint: a rendered finding message is read by a practice manager, not by the
//! rule's author, so it may not show the machinery (`null`, `true`, CEL calls, fact paths),
//! raw numbers (fractions, long decimals, seconds, money without separators or currency), a
//! count whose noun disagrees with it, or a threshold without its unit. Pure: text in,
//! offences out. The word lists are data (the constants below), so a new offence is a new row.
//! `vetter rules check` runs it on every message a rule gives (see [`super::messages`]).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

/// What is wrong with a piece of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OffenceKind {
    /// `null`, `true`, `false`, `NaN` as words: a fact printed as the machine holds it.
    Literal,
    /// "probe result", a CEL call (`size(`, `.exists(`), a fact path (`tls.cert.days_left`),
    /// an index (`[0]`), a field name (`days_left`).
    Jargon,
    /// A decimal with more than two places (`0.8333`).
    Float,
    /// A share between 0 and 1 (`0.98`) where a percentage belongs.
    Fraction,
    /// A duration in raw seconds (`15552000 seconds`, `max-age 31536000`).
    Seconds,
    /// A count whose noun disagrees with it (`1 findings`, `2 finding`) or dodges it (`file(s)`).
    Plural,
    /// Money without thousands separators or without its currency (`5000000` beside
    /// "insurance").
    Money,
    /// A number the rule compares with, shown without its unit (`at most 60` for 60 days).
    Unit,
}

impl OffenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OffenceKind::Literal => "a raw true/false/null",
            OffenceKind::Jargon => "rule jargon",
            OffenceKind::Float => "an unformatted decimal",
            OffenceKind::Fraction => "a fraction where a percentage belongs",
            OffenceKind::Seconds => "a duration in seconds",
            OffenceKind::Plural => "a plural that does not match its count",
            OffenceKind::Money => "an unformatted amount of money",
            OffenceKind::Unit => "a number without its unit",
        }
    }

    /// How to write it instead.
    pub fn help(self) -> &'static str {
        match self {
            OffenceKind::Literal => {
                "say what the value means (`it.x == true ? 'enabled' : 'disabled'`, `x == null ? 'not stated' : ...`)"
            }
            OffenceKind::Jargon => "name the thing in plain words, not the fact path or the CEL that reads it",
            OffenceKind::Float => {
                "round it: `percent(x)` for shares, `int(x)` or `string(x)` of a rounded value otherwise"
            }
            OffenceKind::Fraction => "show shares as percentages: `percent(x)` gives `98 %`",
            OffenceKind::Seconds => "show durations in minutes, days or years: `duration_text(seconds)` or `days(n)`",
            OffenceKind::Plural => {
                "let the count choose the noun: `plural(n, 'finding')`, `plural(n, 'entry', 'entries')`, `days(n)`"
            }
            OffenceKind::Money => "format money with separators and currency: `money(amount)` gives `$1,000,000`",
            OffenceKind::Unit => {
                "put the unit after the number (`days`, `hours`, `%`...), or use `days(n)`, `percent(x)`"
            }
        }
    }
}

/// One offence: its kind and the piece of the message that shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Offence {
    pub kind: OffenceKind,
    pub text: String,
}

/// The unit of a number a rule compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Minutes,
    Hours,
    Days,
    Years,
    /// A share between 0 and 1, shown as a percentage.
    Share,
    Money,
}

impl Unit {
    /// The unit of a parameter, from its name (`*_days`, `*_usd`...) or failing that its
    /// description ("in seconds").
    pub fn of_param(name: &str, description: Option<&str>) -> Option<Unit> {
        const SUFFIXES: &[(&str, Unit)] = &[
            ("_seconds", Unit::Seconds),
            ("_minutes", Unit::Minutes),
            ("_hours", Unit::Hours),
            ("_days", Unit::Days),
            ("_years", Unit::Years),
            ("_share", Unit::Share),
            ("_usd", Unit::Money),
            ("_eur", Unit::Money),
        ];
        const PHRASES: &[(&str, Unit)] = &[
            ("in seconds", Unit::Seconds),
            ("in minutes", Unit::Minutes),
            ("in hours", Unit::Hours),
            ("in days", Unit::Days),
            ("in calendar days", Unit::Days),
            ("in years", Unit::Years),
            ("(0 to 1)", Unit::Share),
        ];
        SUFFIXES
            .iter()
            .find(|(s, _)| name.ends_with(s))
            .or_else(|| {
                let d = description?.to_ascii_lowercase();
                PHRASES.iter().find(|(p, _)| d.contains(p))
            })
            .map(|(_, u)| *u)
    }
}

/// A number a rule compares with (a parameter's value) and its unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    pub value: f64,
    pub unit: Unit,
}

/// What the lint knows besides the message.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Names that are fact or parameter fields (`days_left`, `tls`): a dotted chain of them
    /// or a snake_case one alone is a fact path, not prose.
    pub fields: BTreeSet<String>,
    /// The numbers the rule compares with; a message showing one must show its unit.
    pub thresholds: Vec<Threshold>,
}

impl Context {
    /// The field names of the facts schema (every level), plus the CEL variables.
    pub fn facts_fields() -> BTreeSet<String> {
        fn walk(s: &super::shape::Shape, out: &mut BTreeSet<String>, depth: usize) {
            use super::shape::Shape;
            if depth > 16 {
                return;
            }
            match s {
                Shape::Object(f) => {
                    for (k, v) in f {
                        out.insert(k.clone());
                        walk(v, out, depth + 1);
                    }
                }
                Shape::List(e) | Shape::Map(e) => walk(e, out, depth + 1),
                Shape::Scalar | Shape::Any => {}
            }
        }
        let mut out: BTreeSet<String> = CEL_VARIABLES.iter().map(|s| s.to_string()).collect();
        walk(&super::shape::Shape::facts(), &mut out, 0);
        out
    }
}

/// The variables a rule's CEL sees: a chain starting with one is a path whatever follows.
const CEL_VARIABLES: &[&str] = &["it", "params", "facts"];

/// Words a message must not print: how the machine holds a value, not what it means.
const LITERALS: &[&str] = &["null", "true", "false", "NaN"];

/// Phrases that belong to the rule's code or vetter's internals, not to a reader.
const JARGON: &[&str] = &[
    "probe result",
    "has(",
    ".exists(",
    ".exists_one(",
    ".all(",
    ".map(",
    ".filter(",
    "size(",
    "matches(",
    ".startsWith(",
    ".endsWith(",
    ".contains(",
    "string(",
    "int(",
    "double(",
    "days_between(",
    "{{",
    "}}",
    " == ",
    " != ",
    " && ",
    " || ",
];

/// Countable nouns, singular and plural, for the plural check.
const NOUNS: &[(&str, &str)] = &[
    ("second", "seconds"),
    ("minute", "minutes"),
    ("hour", "hours"),
    ("day", "days"),
    ("week", "weeks"),
    ("month", "months"),
    ("year", "years"),
    ("finding", "findings"),
    ("entry", "entries"),
    ("record", "records"),
    ("file", "files"),
    ("document", "documents"),
    ("event", "events"),
    ("row", "rows"),
    ("column", "columns"),
    ("line", "lines"),
    ("value", "values"),
    ("identifier", "identifiers"),
    ("cookie", "cookies"),
    ("suite", "suites"),
    ("endpoint", "endpoints"),
    ("export", "exports"),
    ("request", "requests"),
    ("account", "accounts"),
    ("view", "views"),
    ("access", "accesses"),
    ("character", "characters"),
    ("step", "steps"),
    ("report", "reports"),
    ("letter", "letters"),
    ("test", "tests"),
    ("certificate", "certificates"),
    ("clause", "clauses"),
    ("exception", "exceptions"),
    ("withdrawal", "withdrawals"),
    ("login", "logins"),
    ("session", "sessions"),
    ("organisation", "organisations"),
    ("organization", "organizations"),
    ("patient", "patients"),
    ("page", "pages"),
    ("header", "headers"),
    ("error", "errors"),
    ("attempt", "attempts"),
    ("user", "users"),
    ("sample", "samples"),
    ("name", "names"),
    ("address", "addresses"),
    ("number", "numbers"),
];

/// Words a count may be followed by that are neither nouns nor adjectives of one.
const LINKS: &[&str] = &[
    "of", "and", "or", "to", "in", "per", "out", "from", "than", "at", "on", "for", "by", "with", "is", "are", "was",
    "were", "ago", "after", "before", "more", "less", "each",
];

/// Words that make a number a duration or a share: what a threshold's unit looks like.
const UNIT_WORDS: &[&str] = &[
    "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months",
    "year", "years", "%", "percent", "calendar", "business",
];

/// Words that make a nearby number an amount of money.
const MONEY_WORDS: &[&str] = &[
    "insurance",
    "coverage",
    "liability",
    "premium",
    "usd",
    "dollar",
    "dollars",
    "eur",
    "euro",
    "euros",
];

/// What may follow an amount to name its currency.
const CURRENCY_AFTER: &[&str] = &["usd", "us dollars", "dollars", "eur", "euros", "gbp"];

/// Words before a number that make it the rule's limit.
const COMPARISONS: &[&str] = &[
    "at most",
    "at least",
    "maximum",
    "minimum",
    "threshold",
    "more than",
    "fewer than",
    "less than",
    "up to",
    "within",
    "longer than",
    "shorter than",
];

/// Words before a number that make it a section of a law or standard, not a quantity.
const CITATION_WORDS: &[&str] = &["cfr", "§", "section", "sections", "part", "art", "article", "rfc", "sp"];

/// Words before `0.x` that make it a version, not a share.
const VERSION_WORDS: &[&str] = &["tls", "ssl", "version", "http", "v"];

static NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[$€£]?\d+(?:,\d{3})*(?:\.\d+)*").expect("number pattern"));
static PATH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+))+").expect("path pattern"));
static SNAKE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+").expect("snake pattern"));
static INDEX: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\w\]]\[\d+\]").expect("index pattern"));
static DODGE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[A-Za-z]\((?:s|es)\)").expect("plural pattern"));

/// Every offence in `msg`, in order of kind, then text; each piece once.
pub fn lint(msg: &str, ctx: &Context) -> Vec<Offence> {
    let mut out = BTreeSet::new();
    let mut add = |kind, text: &str| {
        out.insert(Offence {
            kind,
            text: text.to_string(),
        });
    };
    for w in words(msg) {
        if LITERALS.contains(&w.text) {
            add(OffenceKind::Literal, w.text);
        }
    }
    for j in JARGON {
        if msg.contains(j) {
            add(OffenceKind::Jargon, j.trim());
        }
    }
    for m in PATH.find_iter(msg) {
        let (before, after) = (prev_char(msg, m.start()), msg[m.end()..].chars().next());
        // Part of a host name, file name or address, not a path on its own.
        if matches!(before, Some('/' | '-' | '@' | '.')) || matches!(after, Some('-' | '/' | '@')) {
            continue;
        }
        let parts: Vec<&str> = m.as_str().split('.').collect();
        // A chain that starts at a fact field and goes on to another one (or to a snake_case
        // name) is a path; `report.pdf` or `api.example` is not.
        let field = |p: &&str| ctx.fields.contains(*p) || p.contains('_') || p.chars().all(|c| c.is_ascii_digit());
        if CEL_VARIABLES.contains(&parts[0]) || (ctx.fields.contains(parts[0]) && parts[1..].iter().any(field)) {
            add(OffenceKind::Jargon, m.as_str());
        }
    }
    for m in SNAKE.find_iter(msg) {
        let word_edge = |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
        if word_edge(prev_char(msg, m.start()))
            && word_edge(msg[m.end()..].chars().next())
            && ctx.fields.contains(m.as_str())
        {
            add(OffenceKind::Jargon, m.as_str());
        }
    }
    for m in INDEX.find_iter(msg) {
        let t = m.as_str();
        add(OffenceKind::Jargon, &t[t.find('[').unwrap_or(0)..]);
    }
    for m in DODGE.find_iter(msg) {
        let start = msg[..m.start()]
            .rfind(|c: char| !c.is_alphanumeric())
            .map_or(0, |i| i + 1);
        add(OffenceKind::Plural, &msg[start..m.end()]);
    }
    for n in numbers(msg) {
        number_offences(msg, &n, ctx, &mut add);
    }
    out.into_iter().collect()
}

/// A number in a message, with where it is.
struct Num<'a> {
    /// As written, without a currency sign.
    text: &'a str,
    start: usize,
    end: usize,
    /// Where the number starts with its currency sign.
    outer: usize,
    currency_before: bool,
}

fn numbers(msg: &str) -> Vec<Num<'_>> {
    let mut out = Vec::new();
    for m in NUMBER.find_iter(msg) {
        let mut text = m.as_str();
        let currency_before = text.starts_with(['$', '€', '£']);
        let mut start = m.start();
        if currency_before {
            let c = text.chars().next().map_or(1, char::len_utf8);
            text = &text[c..];
            start += c;
        }
        let before = prev_char(msg, m.start());
        let after = msg[m.end()..].chars().next();
        let after2 = msg[m.end()..].chars().nth(1);
        // Part of a name (CC6.1, secp192r1, 3DES), a date or a time, or a path: not a quantity.
        if before.is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | ':' | '#' | '='))
            && !(before == Some('=') && msg[..m.start()].ends_with("max-age="))
            || after.is_some_and(|c| c.is_alphanumeric() || c == '_')
            || (matches!(after, Some('-' | ':' | '/')) && after2.is_some_and(|c| c.is_ascii_digit()))
        {
            continue;
        }
        out.push(Num {
            text,
            start,
            end: m.end(),
            outer: m.start(),
            currency_before,
        });
    }
    out
}

fn number_offences(msg: &str, n: &Num, ctx: &Context, add: &mut impl FnMut(OffenceKind, &str)) {
    let dots = n.text.matches('.').count();
    if dots > 1 {
        return; // a version or an address
    }
    let after = &msg[n.end..];
    // The words that go with the number: up to the end of its phrase.
    let phrase = &after[..after
        .find([',', ';', ':', '(', ')', '[', ']', '.'])
        .unwrap_or(after.len())];
    let next: Vec<&str> = words(phrase).into_iter().take(3).map(|w| w.text).collect();
    let next_lower: Vec<String> = next.iter().map(|w| w.to_lowercase()).collect();
    // The word right before the number (spaces only between): `TLS 1.0`, `Type 2`, `CFR 164.404`.
    let before_word = {
        let head = msg[..n.outer].trim_end_matches(' ');
        let at = head
            .rfind(|c: char| !(c.is_alphanumeric() || c == '§'))
            .map_or(0, |i| i + 1);
        head[at..].to_string()
    };
    let before_lower = before_word.to_lowercase();
    if CITATION_WORDS.contains(&before_lower.as_str()) || after.starts_with('(') {
        return; // a section of a law or a standard
    }
    // A number right after a capitalised word is part of a name (`SOC 2`, `Type 1`, `Article 28`).
    let named = before_word.chars().next().is_some_and(char::is_uppercase);
    let percent_after = after.trim_start().starts_with('%');
    let unit_after = percent_after || next_lower.first().is_some_and(|w| UNIT_WORDS.contains(&w.as_str()));
    if dots == 1 {
        let (int, frac) = n.text.split_once('.').unwrap_or((n.text, ""));
        if frac.len() > 2 {
            add(OffenceKind::Float, n.text);
        } else if int == "0" && !VERSION_WORDS.contains(&before_lower.as_str()) {
            add(OffenceKind::Fraction, n.text);
        }
        for t in &ctx.thresholds {
            if t.unit == Unit::Share && n.text.parse::<f64>().is_ok_and(|v| (v - t.value).abs() < 1e-9) {
                add(OffenceKind::Fraction, n.text);
            }
        }
        return;
    }
    let has_separators = n.text.contains(',');
    let Ok(value) = n.text.replace(',', "").parse::<i64>() else {
        return;
    };
    // Money: an amount near a money word must carry separators and a currency.
    // Byte offsets are the message's: lower-casing may change lengths, so slice first.
    let window = |from: usize, to: usize| {
        let a = floor_boundary(msg, from);
        let b = floor_boundary(msg, to.min(msg.len()));
        msg[a..b].to_lowercase()
    };
    let near = window(n.start.saturating_sub(60), n.end + 30);
    let money_context = n.currency_before || MONEY_WORDS.iter().any(|w| contains_word(&near, w));
    let after_lower = after.to_lowercase();
    let currency_after = CURRENCY_AFTER.iter().any(|c| after_lower.trim_start().starts_with(c));
    let money_threshold = ctx
        .thresholds
        .iter()
        .any(|t| t.unit == Unit::Money && t.value == value as f64);
    let year_like = (1900..=2100).contains(&value) && !n.currency_before;
    if (money_context || money_threshold)
        && value >= 1000
        && !year_like
        && (!has_separators || !(n.currency_before || currency_after))
    {
        add(OffenceKind::Money, n.text);
    }
    // Seconds: a raw count of seconds long enough to be said in larger units.
    let seconds_after = next_lower
        .first()
        .is_some_and(|w| matches!(w.as_str(), "s" | "sec" | "secs" | "second" | "seconds"));
    let after_max_age = window(n.start.saturating_sub(12), n.start).contains("max-age");
    if (seconds_after && value >= 120) || (after_max_age && !unit_after && value >= 3600) {
        add(OffenceKind::Seconds, n.text);
    }
    let mut raw_seconds = false;
    for t in &ctx.thresholds {
        if t.value != value as f64 {
            continue;
        }
        match t.unit {
            Unit::Seconds if value >= 120 => {
                raw_seconds = true;
                add(OffenceKind::Seconds, n.text)
            }
            Unit::Seconds | Unit::Minutes | Unit::Hours | Unit::Days | Unit::Years if !unit_after => {
                add(OffenceKind::Unit, n.text)
            }
            _ => {}
        }
    }
    // A number after "at most", "minimum"... is the rule's limit: it needs a unit or a noun.
    let has_duration_threshold = ctx.thresholds.iter().any(|t| !matches!(t.unit, Unit::Money));
    if has_duration_threshold && !has_separators && !n.currency_before && !raw_seconds {
        let before = window(n.start.saturating_sub(16), n.start).trim_end().to_string();
        let compared = COMPARISONS.iter().any(|c| before.ends_with(c));
        let noun_within_two = next_lower.iter().take(2).any(|w| is_noun(w));
        if compared && !unit_after && !noun_within_two {
            add(OffenceKind::Unit, n.text);
        }
    }
    // Plural: the noun after a count (after at most one adjective) agrees with it.
    if named {
        return;
    }
    let mut i = 0;
    if next_lower
        .first()
        .is_some_and(|w| !is_noun(w) && !LINKS.contains(&w.as_str()))
        && !percent_after
    {
        i = 1;
    }
    if let Some(w) = next_lower.get(i) {
        let compound = next_lower.get(i + 1).is_some_and(|x| is_noun(x));
        let (one, many) = (singular(w), plural_form(w));
        // `1 findings` and `2 finding` disagree; `355 record views` is a compound noun.
        let disagree = (value == 1 && many && !(i == 0 && compound)) || (value != 1 && one && !compound);
        if disagree {
            add(OffenceKind::Plural, &format!("{} {}", n.text, next[..=i].join(" ")));
        }
    }
}

fn is_noun(w: &str) -> bool {
    singular(w) || plural_form(w)
}

fn singular(w: &str) -> bool {
    NOUNS.iter().any(|(one, _)| *one == w)
}

fn plural_form(w: &str) -> bool {
    NOUNS.iter().any(|(_, many)| *many == w)
}

fn contains_word(hay: &str, w: &str) -> bool {
    words(hay).iter().any(|x| x.text == w)
}

fn prev_char(s: &str, at: usize) -> Option<char> {
    s[..at].chars().next_back()
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

struct Word<'a> {
    text: &'a str,
}

/// The words of `s`: runs of letters, digits, `_`, `-`, `'`, and `%` on its own.
fn words(s: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let part = c.is_alphanumeric() || matches!(c, '_' | '-' | '\'');
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(st)) => {
                out.push(Word { text: &s[st..i] });
                start = None;
            }
            _ => {}
        }
        if c == '%' {
            out.push(Word { text: &s[i..i + 1] });
        }
    }
    if let Some(st) = start {
        out.push(Word { text: &s[st..] });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            fields: Context::facts_fields(),
            thresholds: Vec::new(),
        }
    }

    fn kinds(msg: &str, ctx: &Context) -> Vec<OffenceKind> {
        lint(msg, ctx).into_iter().map(|o| o.kind).collect()
    }

    /// `bad` gives exactly one offence of `kind`, `good` none.
    fn pair(kind: OffenceKind, bad: &str, good: &str, ctx: &Context) {
        let mut got = kinds(bad, ctx);
        got.dedup();
        assert_eq!(got, vec![kind], "{bad}: {:?}", lint(bad, ctx));
        assert_eq!(lint(good, ctx), vec![], "{good}");
    }

    #[test]
    fn bare_literals() {
        let c = ctx();
        pair(
            OffenceKind::Literal,
            "OCSP stapling: false",
            "the certificate status is not stapled",
            &c,
        );
        pair(OffenceKind::Literal, "tester: null", "tester not named", &c);
        // Inside a name they are no literal.
        assert_eq!(lint("cookie null_route is set; nullable", &c), vec![]);
        // Text from the facts can be anything: no panic on any character next to a number.
        for odd in ["é[0]", "€5000000 insurance", "£", "0.", "1,", "$", "max-age=€"] {
            let _ = lint(odd, &c);
        }
    }

    #[test]
    fn jargon() {
        let c = ctx();
        pair(
            OffenceKind::Jargon,
            "could not be judged: vetter did not observe tls.cert.days_left",
            "could not be judged: vetter did not observe the TLS certificate's remaining days",
            &c,
        );
        pair(OffenceKind::Jargon, "see it.http.x", "see the HTTP answer", &c);
        pair(
            OffenceKind::Jargon,
            "the probe result was empty",
            "nothing came back",
            &c,
        );
        pair(
            OffenceKind::Jargon,
            "size(it.exports) exports",
            "2 exports were supplied",
            &c,
        );
        pair(
            OffenceKind::Jargon,
            "cookies[0] lacks Secure",
            "the first cookie lacks Secure",
            &c,
        );
        pair(
            OffenceKind::Jargon,
            "days_to_expiry is below 30 days",
            "the certificate expires in 12 days",
            &c,
        );
        // Host names, file names and cookie names are not paths.
        assert_eq!(
            lint(
                "https://api.acme-legacy.example:8443/v1 and evidence/acme-soc2.md set contoso_sid",
                &c
            ),
            vec![]
        );
    }

    #[test]
    fn unformatted_decimals_and_fractions() {
        let c = ctx();
        pair(
            OffenceKind::Float,
            "share of entries 83.3333 %",
            "share of entries 83.3 %",
            &c,
        );
        pair(
            OffenceKind::Fraction,
            "share of entries with a user 0.98",
            "share of entries with a user 98 %",
            &c,
        );
        // Versions and codes are not fractions.
        assert_eq!(
            lint("TLS 1.0 accepted; exceptions on CC6.1; Apache/2.2.15; TLS 0.9", &c),
            vec![]
        );
    }

    #[test]
    fn durations_in_seconds() {
        let c = ctx();
        pair(
            OffenceKind::Seconds,
            "session lasts 43200 seconds",
            "session lasts 720 minutes",
            &c,
        );
        pair(
            OffenceKind::Seconds,
            "Strict-Transport-Security max-age=31536000",
            "Strict-Transport-Security max-age is 1 year",
            &c,
        );
        let hsts = Context {
            thresholds: vec![Threshold {
                value: 15_552_000.0,
                unit: Unit::Seconds,
            }],
            ..ctx()
        };
        pair(
            OffenceKind::Seconds,
            "header missing (minimum 15552000)",
            "header missing (minimum 180 days)",
            &hsts,
        );
    }

    #[test]
    fn plurals() {
        let c = ctx();
        pair(OffenceKind::Plural, "1 findings still open", "1 finding still open", &c);
        pair(OffenceKind::Plural, "2 finding still open", "2 findings still open", &c);
        pair(OffenceKind::Plural, "max-age is 1 days", "max-age is 1 day", &c);
        pair(
            OffenceKind::Plural,
            "0 critical and 1 high findings open",
            "open: 0 critical, 1 high",
            &c,
        );
        pair(
            OffenceKind::Plural,
            "3 record(s) past retention",
            "3 records past retention",
            &c,
        );
        // A compound noun, a link word, a percentage.
        assert_eq!(lint("355 record views; 1 of 64 lines; a user 98 %", &c), vec![]);
    }

    #[test]
    fn money() {
        let c = ctx();
        pair(
            OffenceKind::Money,
            "cyber insurance limit 5000000 US dollars",
            "cyber insurance limit $5,000,000",
            &c,
        );
        pair(
            OffenceKind::Money,
            "insurance of at least 1,000,000",
            "insurance of at least 1,000,000 US dollars",
            &c,
        );
        // A year beside a money word is a year.
        assert_eq!(lint("insurance clause dated 2024", &c), vec![]);
    }

    #[test]
    fn units_of_thresholds() {
        let c = Context {
            thresholds: vec![Threshold {
                value: 60.0,
                unit: Unit::Days,
            }],
            ..ctx()
        };
        pair(
            OffenceKind::Unit,
            "the BAA allows 90; the law allows at most 60",
            "the BAA allows 90 calendar days; the law allows at most 60 calendar days",
            &c,
        );
        pair(
            OffenceKind::Unit,
            "window within 45 of discovery",
            "window within 45 days of discovery",
            &c,
        );
        let share = Context {
            thresholds: vec![Threshold {
                value: 0.99,
                unit: Unit::Share,
            }],
            ..ctx()
        };
        pair(
            OffenceKind::Fraction,
            "a user 98 % (minimum 0.99)",
            "a user 98 % (minimum 99 %)",
            &share,
        );
    }

    #[test]
    fn units_come_from_parameter_names_and_descriptions() {
        assert_eq!(Unit::of_param("breach_notice_max_days", None), Some(Unit::Days));
        assert_eq!(Unit::of_param("baa_min_insurance_usd", None), Some(Unit::Money));
        assert_eq!(
            Unit::of_param("hsts_min_max_age", Some("Minimum max-age in seconds")),
            Some(Unit::Seconds)
        );
        assert_eq!(
            Unit::of_param("audit_field_min_share", Some("Share of entries (0 to 1)")),
            Some(Unit::Share)
        );
        assert_eq!(Unit::of_param("min_tls", Some("Lowest TLS version")), None);
    }
}
