//! ② Collect (evidence): dates, time windows and money amounts as lawyers and auditors write
//! them ("five (5) business days", "forty-eight (48) hours", "June 30, 2026", "$5,000,000").
//! Pure; no I/O.

use std::sync::OnceLock;

use chrono::NaiveDate;
use regex::Regex;

const MONTHS: &str = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";

fn date_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(&format!(
            r"(?i)\b(?:(?P<m1>{MONTHS})\.?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y1>\d{{4}})|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m2>{MONTHS})\.?,?\s+(?P<y2>\d{{4}})|(?P<y3>\d{{4}})-(?P<m3>\d{{2}})-(?P<d3>\d{{2}})|(?P<m4>\d{{1,2}})/(?P<d4>\d{{1,2}})/(?P<y4>\d{{4}}))\b"
        ))
        .expect("date regex")
    })
}

fn month_num(s: &str) -> Option<u32> {
    let s = s.to_ascii_lowercase();
    let names = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    names.iter().position(|n| s.starts_with(n)).map(|i| i as u32 + 1)
}

/// Every date in `s`, with its byte range.
pub fn dates(s: &str) -> Vec<(usize, usize, NaiveDate)> {
    date_re()
        .captures_iter(s)
        .filter_map(|c| {
            let m = c.get(0)?;
            let g = |n: &str| c.name(n).map(|x| x.as_str());
            let (y, mo, d) = if let Some(y) = g("y1") {
                (y, month_num(g("m1")?)?, g("d1")?)
            } else if let Some(y) = g("y2") {
                (y, month_num(g("m2")?)?, g("d2")?)
            } else if let Some(y) = g("y3") {
                (y, g("m3")?.parse().ok()?, g("d3")?)
            } else {
                (g("y4")?, g("m4")?.parse().ok()?, g("d4")?)
            };
            let date = NaiveDate::from_ymd_opt(y.parse().ok()?, mo, d.parse().ok()?)?;
            Some((m.start(), m.end(), date))
        })
        .collect()
}

/// ISO form.
pub fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

const SMALL: &[(&str, i64)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("thirteen", 13),
    ("fourteen", 14),
    ("fifteen", 15),
    ("sixteen", 16),
    ("seventeen", 17),
    ("eighteen", 18),
    ("nineteen", 19),
    ("twenty", 20),
    ("thirty", 30),
    ("forty", 40),
    ("fifty", 50),
    ("sixty", 60),
    ("seventy", 70),
    ("eighty", 80),
    ("ninety", 90),
];

fn word_number(w: &str) -> Option<i64> {
    let w = w.to_ascii_lowercase();
    let mut total = 0;
    for part in w.split(['-', ' ']) {
        total += SMALL.iter().find(|(n, _)| *n == part)?.1;
    }
    Some(total)
}

/// A time window as stated.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
    pub value: i64,
    /// calendar_days, business_days or hours.
    pub unit: &'static str,
    /// Worst case in calendar days.
    pub calendar_days_max: i64,
    /// The number was stated in hours.
    pub hours: bool,
    /// A minimum delay ("no less than 30 days", "at least 10 days"), not a deadline.
    pub minimum: bool,
    /// A figure cited for comparison ("a shorter window than the 60-day HIPAA maximum"), not
    /// the duty's own window.
    pub cited: bool,
}

/// Words right before a number that make it a floor: "no less than", "not fewer than", "at
/// least", "a minimum of", "not earlier than".
fn minimum_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)\b(?:(?:no|not)\s+(?:less|fewer|sooner|earlier)\s+than|at\s+least|(?:a\s+)?minimum\s+of)\s*$")
            .expect("minimum regex")
    })
}

/// Words around a number that make it a figure cited for comparison, not the duty's window:
/// before it, a comparative ("a shorter window than the general 60-day …"); after it, a
/// statutory ceiling ("60-day HIPAA maximum", "60-day statutory clock").
fn cited_before_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)\b(?:shorter|longer|stricter|tighter|faster|quicker|more stringent|more protective)\b[^.;]{0,40}\bthan\b[^.;]{0,40}$")
            .expect("cited regex")
    })
}

fn cited_after_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)^[^.;]{0,15}?\b(?:hipaa|statutory|legal|regulatory|law['’]s)\s+(?:\w+\s+)?(?:maximum|limit|deadline|clock|ceiling)\b")
            .expect("cited regex")
    })
}

fn window_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        let words = "(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)";
        Regex::new(&format!(
            r"(?i)\b(?:(?P<num>\d{{1,4}})(?:\s*\({words}\))?|(?P<word>{words})(?:\s*\((?P<paren>\d{{1,4}})\))?)[\s-]+(?:(?P<kind>business|working|calendar)[\s-]+)?(?P<unit>days?|hours?|weeks?|months?)\b"
        ))
        .expect("window regex")
    })
}

/// Every time window in `s`. Business days count weekends in the worst case (notice on a
/// Friday evening): n business days span n + 2·⌈n/5⌉ calendar days. Holidays are not added
/// (no calendar is assumed; the rules add their own margin). Months count 31 days.
pub fn windows(s: &str) -> Vec<Window> {
    window_re()
        .captures_iter(s)
        .filter_map(|c| {
            let value = match (c.name("num"), c.name("paren"), c.name("word")) {
                (Some(n), _, _) => n.as_str().parse().ok()?,
                (_, Some(p), _) => p.as_str().parse().ok()?,
                (_, _, Some(w)) => word_number(w.as_str())?,
                _ => return None,
            };
            if value <= 0 {
                return None;
            }
            let unit = c.name("unit")?.as_str().to_ascii_lowercase();
            let business = c
                .name("kind")
                .is_some_and(|k| matches!(k.as_str().to_ascii_lowercase().as_str(), "business" | "working"));
            let (unit_s, max, hours) = if unit.starts_with("hour") {
                ("hours", (value + 23) / 24, true)
            } else if unit.starts_with("week") {
                ("calendar_days", value * 7, false)
            } else if unit.starts_with("month") {
                ("calendar_days", value * 31, false)
            } else if business {
                ("business_days", value + 2 * ((value + 4) / 5), false)
            } else {
                ("calendar_days", value, false)
            };
            let start = c.get(0)?.start();
            let mut from = start.saturating_sub(40);
            while !s.is_char_boundary(from) {
                from -= 1;
            }
            let minimum = minimum_re().is_match(&s[from..start]);
            let end = c.get(0)?.end();
            let mut to = (end + 40).min(s.len());
            while !s.is_char_boundary(to) {
                to -= 1;
            }
            let mut from_far = start.saturating_sub(120);
            while !s.is_char_boundary(from_far) {
                from_far -= 1;
            }
            let cited = cited_before_re().is_match(&s[from_far..start]) || cited_after_re().is_match(&s[end..to]);
            Some(Window {
                minimum,
                cited,
                start,
                end,
                value: if unit.starts_with("week") {
                    value * 7
                } else if unit.starts_with("month") {
                    value * 31
                } else {
                    value
                },
                unit: unit_s,
                calendar_days_max: max,
                hours,
            })
        })
        .collect()
}

/// The largest US-dollar amount in `s` ("$5,000,000", "$5 million", "USD 2,000,000").
pub fn max_amount(s: &str) -> Option<f64> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(r"(?i)(?:\$|usd\s?|us\$)\s?(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(?P<mult>million|billion|m\b|k\b|thousand))?")
            .expect("amount regex")
    });
    re.captures_iter(s)
        .filter_map(|c| {
            let n: f64 = c.name("n")?.as_str().replace(',', "").parse().ok()?;
            let mult = match c.name("mult").map(|m| m.as_str().to_ascii_lowercase()) {
                Some(m) if m.starts_with("b") => 1e9,
                Some(m) if m.starts_with('m') => 1e6,
                Some(m) if m.starts_with('k') || m.starts_with('t') => 1e3,
                _ => 1.0,
            };
            Some(n * mult)
        })
        .fold(None, |acc: Option<f64>, x| Some(acc.map_or(x, |a| a.max(x))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_as_lawyers_write_them() {
        let w = windows("no later than five (5) business days after discovery");
        assert_eq!((w[0].value, w[0].unit, w[0].calendar_days_max), (5, "business_days", 7));
        let w = windows("within forty-eight (48) hours");
        assert_eq!(
            (w[0].value, w[0].unit, w[0].calendar_days_max, w[0].hours),
            (48, "hours", 2, true)
        );
        // The figure first and the word in brackets ("60 (sixty) days").
        let w = windows("no later than 60 (sixty) days upon fulfilment");
        assert_eq!((w.len(), w[0].value, w[0].unit), (1, 60, "calendar_days"));
        let w = windows("within 60 calendar days");
        assert_eq!((w[0].value, w[0].unit), (60, "calendar_days"));
        let w = windows("within ten (10) business days");
        assert_eq!(w[0].calendar_days_max, 14);
        assert_eq!(windows("thirty-one days")[0].value, 31);
        assert!(windows("Section 5 days").len() == 1); // a number then days is a window
    }

    #[test]
    fn a_floor_is_not_a_deadline() {
        let w = windows("Business Associate shall give no less than thirty (30) days' notice.");
        assert_eq!((w[0].value, w[0].minimum), (30, true));
        let w = windows("notice at least 10 business days before; a report within 5 days");
        assert_eq!((w[0].minimum, w[1].minimum), (true, false));
        let w = windows("no later than 60 calendar days after discovery");
        assert!(!w[0].minimum);
    }

    #[test]
    fn dates_in_many_forms() {
        let d = dates("for the period January 1, 2026 to 30 June 2026 (2026-07-15, 08/01/2026)");
        let got: Vec<String> = d.iter().map(|x| iso(x.2)).collect();
        assert_eq!(got, ["2026-01-01", "2026-06-30", "2026-07-15", "2026-08-01"]);
    }

    #[test]
    fn amounts() {
        assert_eq!(
            max_amount("limits of not less than $5,000,000 per claim and $1 million"),
            Some(5e6)
        );
        assert_eq!(max_amount("Two Million Dollars (USD 2,000,000)"), Some(2e6));
    }

    #[test]
    fn a_figure_cited_for_comparison_is_not_the_window() {
        let w = windows(
            "in no case later than 10 business days after discovery — a shorter window than the general 60-day HIPAA maximum, so that Covered Entity retains time within its own 60-day statutory clock",
        );
        let cited: Vec<(i64, bool)> = w.iter().map(|w| (w.value, w.cited)).collect();
        assert_eq!(cited, [(10, false), (60, true), (60, true)]);
        let w = windows("Business Associate shall notify Covered Entity within 60 days of discovery.");
        assert!(!w[0].cited);
        let w = windows("no later than the earlier of 30 days after discovery or the date required by law");
        assert!(!w[0].cited);
    }
}
