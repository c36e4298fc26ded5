//! ② Collect (export probe): dates as people and exports write them — ISO, numeric with `/`,
//! `.` or `-` in either day order, and textual (`Jan 09 1940`, `22 November 1938`,
//! `June 14, 1984`, `06-Feb-1947`) — as whole values and inside free text. Input: text;
//! output: the dates found. No I/O.
//!
//! Day order: a numeric date whose first part is over 12 is day-first, whose second is, is
//! month-first; an ambiguous one (`10/7/2002`) is read in the order its column has shown
//! (see [`OrderVote`]), month-first until it has shown one.

use chrono::NaiveDate;

/// Which number of a numeric `a/b/yyyy` date is the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    MonthFirst,
    DayFirst,
}

/// A column's day order, decided by the first value that is unambiguous.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderVote {
    pub order: Option<Order>,
}

impl OrderVote {
    pub fn see(&mut self, v: &str) {
        if self.order.is_none() {
            self.order = order_hint(v.trim().as_bytes());
        }
    }
    pub fn get(&self) -> Order {
        self.order.unwrap_or(Order::MonthFirst)
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A month word (`Jan`, `JAN`, `January`, `Sept`), 1–12.
pub fn month(w: &[u8]) -> Option<u32> {
    if !(3..=9).contains(&w.len()) || !w.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    // Compared in place: this runs on most words of free text, so no lower-cased copy.
    if w.len() == 3 {
        return MONTHS
            .iter()
            .position(|m| m.as_bytes().eq_ignore_ascii_case(w))
            .map(|i| i as u32 + 1);
    }
    if w.eq_ignore_ascii_case(b"sept") {
        return Some(9);
    }
    MONTH_NAMES
        .iter()
        .position(|m| m.as_bytes().eq_ignore_ascii_case(w))
        .map(|i| i as u32 + 1)
}

fn num(b: &[u8], i: usize, min: usize, max: usize) -> Option<(u32, usize)> {
    let mut k = 0;
    let mut n = 0u32;
    while k < max && b.get(i + k).is_some_and(u8::is_ascii_digit) {
        n = n * 10 + u32::from(b[i + k] - b'0');
        k += 1;
    }
    (k >= min && !b.get(i + k).is_some_and(u8::is_ascii_digit)).then_some((n, i + k))
}

fn alpha_run(b: &[u8], i: usize) -> usize {
    let mut k = i;
    while b.get(k).is_some_and(u8::is_ascii_alphabetic) {
        k += 1;
    }
    k
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    if !(1850..=2200).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// The date read from `a/b/yyyy` in `order`, or in the other order when only that one is a
/// date (a day over 12 settles it).
fn two_ways(a: u32, b: u32, y: u32, order: Order) -> Option<NaiveDate> {
    let (first, second) = match order {
        Order::MonthFirst => ((a, b), (b, a)),
        Order::DayFirst => ((b, a), (a, b)),
    };
    ymd(y, first.0, first.1).or_else(|| ymd(y, second.0, second.1))
}

/// Whether a date ends at `e`: not glued to a letter or digit, nor joined by `.`, `-` or `/`
/// to more digits (`3.10.2019.5`).
fn ends(b: &[u8], e: usize) -> bool {
    match b.get(e) {
        None => true,
        Some(c) if c.is_ascii_alphanumeric() => false,
        Some(b'.' | b'-' | b'/') => !b.get(e + 1).is_some_and(u8::is_ascii_digit),
        _ => true,
    }
}

/// A date starting at `i`: its end and value. `i` is assumed to start a token.
pub fn date_at(b: &[u8], i: usize, order: Order) -> Option<(usize, NaiveDate)> {
    let c = *b.get(i)?;
    if c.is_ascii_digit() {
        let (n1, e1) = num(b, i, 1, 4)?;
        let s1 = *b.get(e1)?;
        if e1 - i == 4 {
            // yyyy-mm-dd, yyyy/mm/dd, yyyy.mm.dd
            if !matches!(s1, b'-' | b'/' | b'.') {
                return None;
            }
            let (m, e2) = num(b, e1 + 1, 1, 2)?;
            if b.get(e2) != Some(&s1) {
                return None;
            }
            let (d, e3) = num(b, e2 + 1, 1, 2)?;
            return ymd(n1, m, d).filter(|_| ends(b, e3) || b[e3] == b'T').map(|x| (e3, x));
        }
        if e1 - i > 2 {
            return None;
        }
        if matches!(s1, b'-' | b'/' | b'.') {
            let j = e1 + 1;
            if b.get(j).is_some_and(u8::is_ascii_digit) {
                // dd/mm/yyyy or mm/dd/yyyy (the same separator twice)
                let (n2, e2) = num(b, j, 1, 2)?;
                if b.get(e2) != Some(&s1) {
                    return None;
                }
                let (y, e3) = num(b, e2 + 1, 4, 4)?;
                return two_ways(n1, n2, y, order).filter(|_| ends(b, e3)).map(|x| (e3, x));
            }
            // dd-Mon-yyyy
            let e2 = alpha_run(b, j);
            let m = month(&b[j..e2])?;
            if b.get(e2) != Some(&s1) {
                return None;
            }
            let (y, e3) = num(b, e2 + 1, 4, 4)?;
            return ymd(y, m, n1).filter(|_| ends(b, e3)).map(|x| (e3, x));
        }
        // dd Month yyyy, 22nd November 1938
        let mut j = e1;
        let e = alpha_run(b, j);
        if e > j && matches!(&b[j..e], b"st" | b"nd" | b"rd" | b"th") {
            j = e;
        }
        if b.get(j) != Some(&b' ') {
            return None;
        }
        let e2 = alpha_run(b, j + 1);
        let m = month(&b[j + 1..e2])?;
        let mut k = e2;
        if b.get(k) == Some(&b'.') {
            k += 1;
        }
        if b.get(k) == Some(&b',') {
            k += 1;
        }
        if b.get(k) != Some(&b' ') {
            return None;
        }
        let (y, e3) = num(b, k + 1, 4, 4)?;
        return ymd(y, m, n1).filter(|_| ends(b, e3)).map(|x| (e3, x));
    }
    if c.is_ascii_alphabetic() {
        // Month dd yyyy, June 14, 1984, Sept. 3 2001
        let e = alpha_run(b, i);
        let m = month(&b[i..e])?;
        let mut k = e;
        if b.get(k) == Some(&b'.') {
            k += 1;
        }
        if b.get(k) != Some(&b' ') {
            return None;
        }
        let (d, e1) = num(b, k + 1, 1, 2)?;
        let mut k = e1;
        let s = alpha_run(b, k);
        if s > k && matches!(&b[k..s], b"st" | b"nd" | b"rd" | b"th") {
            k = s;
        }
        if b.get(k) == Some(&b',') {
            k += 1;
        }
        if b.get(k) != Some(&b' ') {
            return None;
        }
        let (y, e2) = num(b, k + 1, 4, 4)?;
        return ymd(y, m, d).filter(|_| ends(b, e2)).map(|x| (e2, x));
    }
    None
}

/// A whole value that is one date (a time may follow an ISO date).
pub fn parse_value(v: &str, order: Order) -> Option<NaiveDate> {
    let b = v.trim().as_bytes();
    let (e, d) = date_at(b, 0, order)?;
    (e == b.len() || matches!(b[e], b'T' | b' ') && b.get(e + 1).is_some_and(u8::is_ascii_digit)).then_some(d)
}

/// The one date reader for whole values, shared by the PHI date columns, retention and the
/// audit log's appointment dates: ISO dates and date-times, epoch seconds/milliseconds and
/// `YYYYMMDD` ([`crate::probe::export::retention::parse_date`]), then every layout of
/// [`date_at`] (textual, `.`/`-`/`/` in `order`, or in the other order when only that one is a
/// date).
pub fn parse_any(v: &str, order: Order) -> Option<NaiveDate> {
    crate::probe::export::retention::parse_date(v).or_else(|| parse_value(v, order))
}

/// A value that may stand in a date column without being a date nobody could read: a year
/// alone (Safe Harbor keeps it), a yes/no flag, or a zero placeholder (`0000-00-00`).
pub fn not_a_date_value(v: &str) -> bool {
    let t = v.trim();
    let b = t.as_bytes();
    (b.len() == 4 && b.iter().all(u8::is_ascii_digit))
        || ["y", "n", "yes", "no", "true", "false", "0", "1", "t", "f"]
            .iter()
            .any(|f| f.eq_ignore_ascii_case(t))
        || !b.is_empty()
            && b.iter()
                .all(|c| *c == b'0' || matches!(c, b'-' | b'/' | b'.' | b' ' | b':'))
}

/// A whole value that is a month and a year and nothing finer (`2024-03`, `03/2024`,
/// `March 2024`, `Mar-2024`): under Safe Harbor (164.514(b)(2)(i)(C)) every date element but the
/// year is an identifier, so a month-year in a date column counts as a date.
pub fn month_year(v: &str) -> bool {
    let b = v.trim().as_bytes();
    let year = |y: u32| (1850..=2200).contains(&y);
    let sep = |c: u8| matches!(c, b'-' | b'/' | b'.');
    if b.first().is_some_and(u8::is_ascii_digit) {
        let Some((n1, e1)) = num(b, 0, 1, 4) else {
            return false;
        };
        if !b.get(e1).copied().is_some_and(sep) {
            return false;
        }
        let Some((n2, e2)) = num(b, e1 + 1, 1, 4) else {
            return false;
        };
        if e2 != b.len() {
            return false;
        }
        return match (e1, e2 - e1 - 1) {
            (4, 1..=2) => year(n1) && (1..=12).contains(&n2),
            (1..=2, 4) => year(n2) && (1..=12).contains(&n1),
            _ => false,
        };
    }
    let e = alpha_run(b, 0);
    if month(&b[..e]).is_none() {
        return false;
    }
    let mut i = e;
    // "Mar. 2024", "March, 2024", "Mar-2024"
    if b.get(i) == Some(&b'.') {
        i += 1;
    }
    if b.get(i) == Some(&b',') {
        i += 1;
    }
    let gap = i;
    while b.get(i).is_some_and(|c| *c == b' ' || *c == b'-') {
        i += 1;
    }
    if i == gap && i == e {
        return false;
    }
    num(b, i, 4, 4).is_some_and(|(y, end)| end == b.len() && year(y))
}

/// Day order shown by a numeric date: a first number over 12 is a day, so is a second one.
pub fn order_hint(b: &[u8]) -> Option<Order> {
    let (n1, e1) = num(b, 0, 1, 2)?;
    if !matches!(b.get(e1), Some(b'/' | b'.' | b'-')) {
        return None;
    }
    let (n2, _) = num(b, e1 + 1, 1, 2)?;
    if n1 > 12 && n2 <= 12 {
        Some(Order::DayFirst)
    } else if n2 > 12 && n1 <= 12 {
        Some(Order::MonthFirst)
    } else {
        None
    }
}

/// Every date in free text: (start, end). A date glued to a word (`v1.2.2019`, `ID12/03/2020`)
/// or to a longer number is not one.
pub fn find_all(s: &str, mut f: impl FnMut(usize, usize)) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let starts = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || matches!(b[i - 1], b'.' | b'/' | b'-' | b':'));
        let candidate = starts
            && (c.is_ascii_digit()
                || matches!(
                    c.to_ascii_uppercase(),
                    b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D'
                ));
        if candidate && let Some((e, _)) = date_at(b, i, Order::MonthFirst) {
            f(i, e);
            i = e;
            continue;
        }
        // Skip the rest of this token.
        if c.is_ascii_alphanumeric() {
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_and_year_alone_are_a_date_element() {
        for v in [
            "2024-03",
            "2024/3",
            "03/2024",
            "3-2024",
            "March 2024",
            "Mar-2024",
            "Sept. 2019",
            "march, 2024",
        ] {
            assert!(month_year(v), "{v}");
        }
        // A year alone is allowed; a full date is a date, not a month-year; others are not dates.
        for v in [
            "2024",
            "2024-03-05",
            "13/2024",
            "2024-13",
            "12/31",
            "Mars 2024",
            "May",
            "1.5",
            "Mar2024",
            "2024-03x",
        ] {
            assert!(!month_year(v), "{v}");
        }
    }

    fn d(s: &str) -> Option<String> {
        parse_value(s, Order::MonthFirst).map(|d| d.to_string())
    }

    #[test]
    fn formats() {
        for (v, want) in [
            ("Jan 09 1940", "1940-01-09"),
            ("22 November 1938", "1938-11-22"),
            ("June 14, 1984", "1984-06-14"),
            ("02.05.1948", "1948-02-05"),
            ("08-21-1949", "1949-08-21"),
            ("06-Feb-1947", "1947-02-06"),
            ("10/7/2002", "2002-10-07"),
            ("25/05/2013", "2013-05-25"),
            ("1984-06-14", "1984-06-14"),
            ("Sept. 3, 2001", "2001-09-03"),
            ("3rd March 2001", "2001-03-03"),
            ("2024-03-05T10:00:00Z", "2024-03-05"),
        ] {
            assert_eq!(d(v).as_deref(), Some(want), "{v}");
        }
        assert_eq!(
            parse_value("02.05.1948", Order::DayFirst)
                .map(|d| d.to_string())
                .as_deref(),
            Some("1948-05-02")
        );
    }

    #[test]
    fn near_misses_are_not_dates() {
        for v in [
            "13/13/2002",
            "Jan 32 1940",
            "May be 2 1999",
            "1.2.3.4",
            "10/7/02",
            "2023-02-29",
            "12-34-5678",
            "Mayday 12 2001",
            "06-Feb-19471",
            "0001-01-01",
        ] {
            assert_eq!(d(v), None, "{v}");
        }
        let mut n = 0;
        find_all(
            "build v1.2.2019, ID12/03/2020, 123-45-6789, 3.10.2019.5 and may 5",
            |_, _| n += 1,
        );
        assert_eq!(n, 0);
        let mut got = Vec::new();
        let t = "Seen on Aug 15 2007 and 04.09.2013; next 2025-01-02.";
        find_all(t, |s, e| got.push(&t[s..e]));
        assert_eq!(got, ["Aug 15 2007", "04.09.2013", "2025-01-02"]);
    }

    #[test]
    fn order_is_decided_by_the_column() {
        let mut v = OrderVote::default();
        v.see("10/07/2002");
        assert_eq!(v.order, None);
        v.see("25/05/2013");
        assert_eq!(v.get(), Order::DayFirst);
        assert_eq!(order_hint(b"05/25/2013"), Some(Order::MonthFirst));
    }
}
