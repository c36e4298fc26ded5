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
pub fn closest(word: &str, candidates: &[String]) -> Option<String> {
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

/// The type a pack parameter takes, read from its declared default (a pack declares no type
/// of its own: `breach_notice_max_days = { default = 60, ... }` takes whole numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// A whole number (the default is an integer).
    Whole,
    /// Any finite number.
    Number,
    Bool,
    Text,
}

impl ParamType {
    pub fn of(default: &serde_json::Value) -> Option<ParamType> {
        use serde_json::Value;
        match default {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(ParamType::Whole),
            Value::Number(_) => Some(ParamType::Number),
            Value::Bool(_) => Some(ParamType::Bool),
            Value::String(_) => Some(ParamType::Text),
            _ => None,
        }
    }

    /// What a value of this type is, with the parameter's unit: "a whole number of days".
    pub fn describe(self, name: &str) -> String {
        let unit = param_unit(name);
        match (self, unit) {
            (ParamType::Whole, Some(u)) => format!("a whole number of {u}"),
            (ParamType::Whole, None) => "a whole number".to_string(),
            (ParamType::Number, Some(u)) => format!("a number of {u}"),
            (ParamType::Number, None) => "a number".to_string(),
            (ParamType::Bool, _) => "true or false".to_string(),
            (ParamType::Text, _) => "a quoted string".to_string(),
        }
    }

    /// Why `value` is not of this type (`None` when it is). Counts (whole numbers, numbers
    /// with a unit) may not be negative: no window or age is.
    pub fn mismatch(self, value: &serde_json::Value) -> Option<&'static str> {
        use serde_json::Value;
        let what = match value {
            Value::Bool(_) => "true/false",
            Value::String(_) => "a string",
            Value::Number(n) if n.is_i64() || n.is_u64() => "a whole number",
            Value::Number(_) => "a fractional number",
            _ => "not a single value",
        };
        let negative = value.as_f64().is_some_and(|f| f < 0.0);
        match (self, value) {
            (ParamType::Whole, Value::Number(n)) if n.is_i64() || n.is_u64() => negative.then_some("negative"),
            (ParamType::Number, Value::Number(_)) => negative.then_some("negative"),
            (ParamType::Bool, Value::Bool(_)) | (ParamType::Text, Value::String(_)) => None,
            _ => Some(what),
        }
    }
}

/// The unit of a parameter, by the packs' naming convention (`…_days`, `…_hours`,
/// `…_minutes`, `…_usd`): packs state units in names and descriptions, not as a key.
pub fn param_unit(name: &str) -> Option<&'static str> {
    [
        ("_days", "days"),
        ("_hours", "hours"),
        ("_minutes", "minutes"),
        ("_usd", "US dollars"),
    ]
    .iter()
    .find(|(suffix, _)| name.ends_with(suffix))
    .map(|(_, unit)| *unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn param_types_come_from_the_default_and_units_from_the_name() {
        assert_eq!(ParamType::of(&json!(60)), Some(ParamType::Whole));
        assert_eq!(ParamType::of(&json!(0.5)), Some(ParamType::Number));
        assert_eq!(ParamType::of(&json!(false)), Some(ParamType::Bool));
        assert_eq!(ParamType::of(&json!("1.2")), Some(ParamType::Text));
        assert_eq!(ParamType::Whole.mismatch(&json!(10)), None);
        assert_eq!(ParamType::Whole.mismatch(&json!("ten")), Some("a string"));
        assert_eq!(ParamType::Whole.mismatch(&json!(10.5)), Some("a fractional number"));
        assert_eq!(ParamType::Whole.mismatch(&json!(-1)), Some("negative"));
        assert_eq!(
            ParamType::Number.mismatch(&json!(3)),
            None,
            "a whole number is a number"
        );
        assert_eq!(ParamType::Bool.mismatch(&json!(1)), Some("a whole number"));
        assert_eq!(ParamType::Text.mismatch(&json!("1.3")), None);
        assert_eq!(
            ParamType::Whole.describe("breach_notice_max_days"),
            "a whole number of days"
        );
        assert_eq!(
            ParamType::Whole.describe("baa_min_insurance_usd"),
            "a whole number of US dollars"
        );
        assert_eq!(ParamType::Number.describe("audit_field_min_share"), "a number");
        assert_eq!(param_unit("session_timeout_minutes"), Some("minutes"));
    }
}
