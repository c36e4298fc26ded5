//! Text that came from elsewhere — a vendor's server or certificate, a document, a file name,
//! the manifest, a rule pack, a report read back — made safe to show. One helper per concern,
//! used by every renderer, the text of `verify` and `diff`, and the diagnostics on stderr.

use std::borrow::Cow;

/// Longest rule text (a finding's message, a rule's title, description or remediation) a
/// report carries, in characters. The built-in packs' longest is under 700.
pub const MAX_RULE_TEXT: usize = 4096;

/// Characters a terminal or a reader could be fooled by: C0 controls but tab and line feed,
/// DEL, C1 controls (ESC, BEL and CSI in their 8-bit forms), the bidirectional overrides and
/// isolates that reorder what is shown, and the two non-characters XML 1.0 forbids.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}')
}

/// `s` with every unsafe character written out as an escape: `\x1b` for an ASCII control,
/// `\u{9b}` for the rest. Borrowed when there is nothing to escape (the common case).
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// `s` cut to `max` characters, with a marker saying how much was left out.
pub fn cap(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some((at, _)) => {
            let rest = s[at..].chars().count();
            Cow::Owned(format!("{}… [{rest} more characters cut]", &s[..at]))
        }
    }
}

/// [`cap`] at [`MAX_RULE_TEXT`], in place.
pub fn cap_rule_text(s: &mut String) {
    if let Cow::Owned(c) = cap(s, MAX_RULE_TEXT) {
        *s = c;
    }
}

/// Every string in a JSON value escaped (keys too); whether anything changed.
fn escape_json(v: &mut serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => match escape_controls(s) {
            Cow::Owned(e) => {
                *s = e;
                true
            }
            Cow::Borrowed(_) => false,
        },
        serde_json::Value::Array(a) => a.iter_mut().fold(false, |ch, x| escape_json(x) | ch),
        serde_json::Value::Object(o) => {
            if o.keys().any(|k| k.chars().any(is_unsafe)) {
                let old = std::mem::take(o);
                for (k, mut x) in old {
                    escape_json(&mut x);
                    o.insert(escape_controls(&k).into_owned(), x);
                }
                true
            } else {
                o.values_mut().fold(false, |ch, x| escape_json(x) | ch)
            }
        }
        _ => false,
    }
}

/// A report with every string in it escaped, for the renderers that show text to a person
/// (all but JSON, whose own syntax escapes controls). Borrowed when nothing needs it.
pub fn safe_report(r: &super::Report) -> Cow<'_, super::Report> {
    let mut v = match serde_json::to_value(r) {
        Ok(v) => v,
        Err(_) => return Cow::Borrowed(r),
    };
    if !escape_json(&mut v) {
        return Cow::Borrowed(r);
    }
    match serde_json::from_value(v) {
        Ok(clean) => Cow::Owned(clean),
        Err(_) => Cow::Borrowed(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_written_out() {
        assert_eq!(escape_controls("a\u{1b}[31mb\u{7}\0"), "a\\x1b[31mb\\x07\\x00");
        assert_eq!(escape_controls("x\u{9b}y\u{85}\u{202e}"), "x\\u{9b}y\\u{85}\\u{202e}");
        assert_eq!(escape_controls("line\none\ttab é ✓"), "line\none\ttab é ✓");
        assert!(matches!(escape_controls("plain"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("\r"), "\\x0d");
    }

    #[test]
    fn cap_marks_the_cut() {
        assert_eq!(cap("abc", 3), "abc");
        assert_eq!(cap("abcdé", 3), "abc… [2 more characters cut]");
        let mut s = "x".repeat(MAX_RULE_TEXT + 10);
        cap_rule_text(&mut s);
        assert!(s.ends_with("… [10 more characters cut]"));
    }
}
