//! ② Collect (export probe): dates as exports write them, and the retention tally. Input: the
//! values of the manifest's `retention.date_field`; output: `retention.{oldest,newest,
//! past_retention}`. No I/O.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Parse a date the way exports write them: ISO 8601 date or date-time (with or without an
/// offset), US `MM/DD/YYYY`, `YYYY/MM/DD`, or Unix epoch seconds (10 digits) / milliseconds
/// (13 digits). An instant with an offset is taken at its own calendar date. Anything else
/// (including impossible dates such as 2023-02-29) is `None`.
pub fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim().trim_matches('"');
    if v.len() < 8 || v.len() > 40 {
        return None;
    }
    let b = v.as_bytes();
    if b.iter().all(u8::is_ascii_digit) {
        let n: i64 = v.parse().ok()?;
        let secs = match v.len() {
            10 => n,
            13 => n / 1000,
            8 => return NaiveDate::parse_from_str(v, "%Y%m%d").ok().filter(plausible),
            _ => return None,
        };
        return DateTime::from_timestamp(secs, 0).map(|d| d.date_naive());
    }
    if b[4] == b'-' {
        // The common ISO date without chrono's format parser (a third of a CSV scan's date work).
        if v.len() == 10 && b[7] == b'-' && [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|&i| b[i].is_ascii_digit()) {
            let n = |r: std::ops::Range<usize>| b[r].iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0'));
            return NaiveDate::from_ymd_opt(n(0..4) as i32, n(5..7), n(8..10));
        }
        if v.len() == 10 {
            return NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        }
        if let Ok(d) = DateTime::parse_from_rfc3339(v) {
            return Some(d.date_naive());
        }
        for f in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(d) = NaiveDateTime::parse_from_str(v, f) {
                return Some(d.date());
            }
        }
        for f in [
            "%Y-%m-%d %H:%M:%S%.f%:z",
            "%Y-%m-%d %H:%M:%S%.f%z",
            "%Y-%m-%dT%H:%M:%S%.f%z",
        ] {
            if let Ok(d) = DateTime::parse_from_str(v, f) {
                return Some(d.date_naive());
            }
        }
        return NaiveDate::parse_from_str(v.get(..10)?, "%Y-%m-%d")
            .ok()
            .filter(|_| b[10] == b'T' || b[10] == b' ');
    }
    if b[4] == b'/' {
        return NaiveDate::parse_from_str(v.get(..10)?, "%Y/%m/%d").ok();
    }
    if b.get(2) == Some(&b'/') || b.get(1) == Some(&b'/') {
        let date_part = v.split([' ', 'T']).next()?;
        return NaiveDate::parse_from_str(date_part, "%m/%d/%Y").ok();
    }
    None
}

fn plausible(d: &NaiveDate) -> bool {
    (1850..=2200).contains(&chrono::Datelike::year(d))
}

/// Running retention state over one export.
#[derive(Debug, Clone)]
pub struct Retention {
    as_of: NaiveDate,
    max_age_days: i64,
    pub oldest: Option<NaiveDate>,
    pub newest: Option<NaiveDate>,
    pub past: u64,
    pub unparsed: u64,
    /// Day order of `a/b/yyyy` values, from the column's first unambiguous one.
    order: super::phi::dates::OrderVote,
}

impl Retention {
    pub fn new(as_of: NaiveDate, max_age_days: i64) -> Self {
        Retention {
            as_of,
            max_age_days,
            oldest: None,
            newest: None,
            past: 0,
            unparsed: 0,
            order: super::phi::dates::OrderVote::default(),
        }
    }

    /// One record's date value. A record exactly `max_age_days` old is still within retention.
    pub fn value(&mut self, v: &str) {
        if v.trim().is_empty() {
            return;
        }
        // The PHI scanner's reader: textual and day-first dates too.
        self.order.see(v);
        let Some(d) = super::phi::dates::parse_any(v, self.order.get()) else {
            self.unparsed += 1;
            return;
        };
        self.oldest = Some(self.oldest.map_or(d, |o| o.min(d)));
        self.newest = Some(self.newest.map_or(d, |o| o.max(d)));
        if (self.as_of - d).num_days() > self.max_age_days {
            self.past += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn formats() {
        assert_eq!(parse_date("2024-02-29"), d("2024-02-29"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("02/29/2024"), d("2024-02-29"));
        assert_eq!(parse_date("2/9/2024"), d("2024-02-09"));
        assert_eq!(parse_date("2024-03-01T23:30:00-06:00"), d("2024-03-01"));
        assert_eq!(parse_date("2024-03-01 08:00:00"), d("2024-03-01"));
        assert_eq!(parse_date("1709251200"), d("2024-03-01"));
        assert_eq!(parse_date("1709251200000"), d("2024-03-01"));
        assert_eq!(parse_date("not a date"), None);
        assert_eq!(parse_date("12345"), None);
    }

    #[test]
    fn boundary_is_inclusive() {
        let as_of = d("2026-01-01").unwrap();
        let mut r = Retention::new(as_of, 10);
        r.value("2025-12-22"); // exactly 10 days: kept
        r.value("2025-12-21"); // 11 days: past
        r.value("garbage");
        r.value("");
        assert_eq!((r.past, r.unparsed), (1, 1));
        // The same reader as the PHI date columns: textual and day-first dates.
        r.value("December 21, 2025");
        r.value("21.12.2025");
        assert_eq!((r.past, r.unparsed), (3, 1));
        assert_eq!(r.oldest, d("2025-12-21"));
        assert_eq!(r.newest, d("2025-12-22"));
    }
}
