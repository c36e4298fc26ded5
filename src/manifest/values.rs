//! Checks of single values (dates, times, days, URLs, zones, strftime layouts) and did-you-mean;
//! also used outside the manifest (e.g. `vetter init`).

use std::collections::BTreeSet;

use chrono::{NaiveDate, NaiveTime, Weekday};

/// `check_url`'s message for `user:password@` URLs (never echoed with the URL itself).
pub(crate) const CREDENTIALS_IN_URL: &str = "the URL carries credentials (user:password@)";

pub(crate) const DATE_HELP: &str = "use YYYY-MM-DD, e.g. 2027-03-31";

/// A strict `YYYY-MM-DD` calendar date.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(format!("`{s}` is not a date in YYYY-MM-DD form"));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("`{s}` is not a valid calendar date"))
}

/// A strict 24-hour `HH:MM` time.
pub fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    let b = s.as_bytes();
    let shape = b.len() == 5 && b[2] == b':' && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit());
    let bad = || format!("`{s}` is not a time of day in 24-hour HH:MM form");
    if !shape {
        return Err(bad());
    }
    let h = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
    let m = u32::from(b[3] - b'0') * 10 + u32::from(b[4] - b'0');
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(bad)
}

/// Days like `Mon-Fri`, `Mon,Wed,Fri` or `Mon-Thu,Sat` (three-letter or full English names, any
/// case; a range may wrap, `Fri-Mon`). Returned in week order, Monday first, without repeats.
pub fn parse_days(s: &str) -> Result<Vec<Weekday>, String> {
    fn day(t: &str) -> Option<Weekday> {
        let t = t.trim().to_ascii_lowercase();
        const NAMES: [(&str, &str, Weekday); 7] = [
            ("mon", "monday", Weekday::Mon),
            ("tue", "tuesday", Weekday::Tue),
            ("wed", "wednesday", Weekday::Wed),
            ("thu", "thursday", Weekday::Thu),
            ("fri", "friday", Weekday::Fri),
            ("sat", "saturday", Weekday::Sat),
            ("sun", "sunday", Weekday::Sun),
        ];
        NAMES.iter().find(|(a, b, _)| t == *a || t == *b).map(|(_, _, d)| *d)
    }
    let mut set = BTreeSet::new();
    if s.trim().is_empty() {
        return Err("`days` is empty".to_string());
    }
    for part in s.split(',') {
        let part = part.trim();
        let bad = || format!("`{part}` is not a day or a range of days");
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a).ok_or_else(bad)?, day(b).ok_or_else(bad)?);
                let mut d = a;
                loop {
                    set.insert(d.num_days_from_monday());
                    if d == b {
                        break;
                    }
                    d = d.succ();
                }
            }
            None => {
                set.insert(day(part).ok_or_else(bad)?.num_days_from_monday());
            }
        }
    }
    Ok(set
        .into_iter()
        .filter_map(|n| Weekday::try_from(n as u8).ok())
        .collect())
}

/// An absolute `http://` or `https://` URL with a host, no credentials and no whitespace.
pub fn check_url(s: &str) -> Result<(), String> {
    let after_scheme = s.split_once("://").map_or(s, |(_, rest)| rest);
    if after_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default()
        .contains('@')
    {
        return Err(CREDENTIALS_IN_URL.to_string());
    }
    let lower = s.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &s[8..]
    } else if lower.starts_with("http://") {
        &s[7..]
    } else {
        return Err("it is not an http:// or https:// URL".to_string());
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the URL contains whitespace or control characters".to_string());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, tail)) => {
                if h.parse::<std::net::Ipv6Addr>().is_err() {
                    return Err(format!("`[{h}]` is not an IPv6 address"));
                }
                (h, tail.strip_prefix(':'))
            }
            None => return Err("the URL has an unclosed `[` in its host".to_string()),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the URL has no host".to_string());
    }
    if !authority.starts_with('[')
        && !host
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(format!("`{host}` is not a valid host name"));
    }
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => {}
            _ => return Err(format!("`{p}` is not a port number (1-65535)")),
        }
    }
    Ok(())
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a typo.
pub(crate) fn closest(word: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A `timestamp_format` must be valid strftime and name at least a date.
pub(crate) fn check_strftime(f: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item> = StrftimeItems::new(f).collect();
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(format!("`{}` is not a valid strftime layout", f.escape_debug()));
    }
    let day = ["%d", "%e", "%j", "%D", "%F", "%x", "%s", "%c", "%+"];
    if !day.iter().any(|d| f.contains(d)) {
        return Err(format!("`{}` names no day (%d, %e, %F, ...)", f.escape_debug()));
    }
    Ok(())
}

/// The shape of an IANA zone name (`UTC`, `America/Chicago`, `Etc/GMT+5`). Whether the zone
/// exists is checked when the audit log is read, against the time-zone database.
pub(crate) fn valid_tz_name(tz: &str) -> bool {
    !tz.is_empty()
        && tz.len() <= 64
        && tz.starts_with(|c: char| c.is_ascii_alphabetic())
        && !tz.ends_with('/')
        && !tz.contains("//")
        && !tz.contains("..")
        && tz
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
}
