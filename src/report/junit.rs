//! ⑥ JUnit XML renderer for CI test tabs: a testsuite per category, a testcase per finding;
//! failures carry the message, errored findings are `<error>` (never a silent pass), waived,
//! skipped and manual findings are `<skipped>` with the reason. Pure; renders the Report only.

use std::fmt::Write;

use super::Report;
use crate::engine::{Finding, Status};
use crate::rules::Category;

/// Escape for XML text and attribute values; drops characters XML 1.0 cannot carry.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn body(r: &Report, f: &Finding) -> String {
    let info = r.rule(&f.rule);
    let mut b = format!(
        "{}\nresource: {}\nseverity: {}\nforce: {}\n",
        r.title(f),
        f.resource,
        f.severity,
        f.force.as_str()
    );
    if f.message.is_some() || r.is_folded(f) {
        let _ = writeln!(b, "found: {}", r.message(f));
    }
    let _ = writeln!(b, "fix: {}", info.map_or("", |i| i.remediation.as_str()));
    let _ = writeln!(b, "references: {}", r.citations(f).join("; "));
    b
}

fn testcase(o: &mut String, r: &Report, f: &Finding, suite: &str) {
    let _ = write!(
        o,
        "    <testcase name=\"{} [{}]\" classname=\"{}\" time=\"0\"",
        xml(&f.rule),
        xml(&f.resource),
        xml(suite)
    );
    // What obliges the vendor, as a property a CI dashboard can filter on.
    let _ = write!(
        o,
        ">\n      <properties><property name=\"force\" value=\"{}\"/><property name=\"severity\" value=\"{}\"/></properties>",
        f.force.as_str(),
        f.severity
    );
    let msg = r.message(f);
    let msg = msg.as_ref();
    match f.status {
        Status::Pass => o.push_str("\n    </testcase>\n"),
        Status::Fail => {
            let _ = writeln!(
                o,
                "\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                xml(msg),
                f.severity,
                xml(&body(r, f))
            );
        }
        Status::Error => {
            // The message may say so already (an unprobed resource's cause, "could not be
            // judged: ..."): the prefix is not said twice.
            let said = if msg.starts_with("could not") {
                msg.to_string()
            } else {
                format!("could not assess: {msg}")
            };
            let _ = writeln!(
                o,
                "\n      <error message=\"{}\" type=\"{}\">{}</error>\n    </testcase>",
                xml(&said),
                f.severity,
                xml(&body(r, f))
            );
        }
        Status::Waived | Status::Skip | Status::Manual | Status::Missing => {
            let why = match (&f.waiver, f.status) {
                (Some(w), _) => format!(
                    "waived: {} (approved by {}, expires {})",
                    w.reason, w.approver, w.expires
                ),
                (None, Status::Manual) => "awaiting attestation".to_string(),
                (None, Status::Missing) => msg.to_string(),
                _ => "not applicable".to_string(),
            };
            let _ = writeln!(o, "\n      <skipped message=\"{}\"/>\n    </testcase>", xml(&why));
        }
    }
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

fn counts<'a>(fs: impl Iterator<Item = &'a Finding>) -> Counts {
    let mut c = Counts::default();
    for f in fs {
        c.tests += 1;
        match f.status {
            Status::Fail => c.failures += 1,
            Status::Error => c.errors += 1,
            Status::Waived | Status::Skip | Status::Manual | Status::Missing => c.skipped += 1,
            Status::Pass => {}
        }
    }
    c
}

fn suites(o: &mut String, r: &Report, prefix: &str) {
    for cat in Category::ALL {
        let fs: Vec<&Finding> = r.findings.iter().filter(|f| f.category == cat).collect();
        if fs.is_empty() {
            continue;
        }
        let c = counts(fs.iter().copied());
        let name = format!("{prefix}{}", cat.as_str());
        let _ = writeln!(
            o,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\" timestamp=\"{}\">",
            xml(&name),
            c.tests,
            c.failures,
            c.errors,
            c.skipped,
            xml(r.generated_at.trim_end_matches('Z'))
        );
        let _ = writeln!(
            o,
            "    <properties>\n      <property name=\"vendor\" value=\"{}\"/>\n      <property name=\"category_score\" value=\"{}\"/>",
            xml(&r.vendor.name),
            r.score
                .categories
                .get(cat.as_str())
                .map(|s| format!("{s:.1}"))
                .unwrap_or_else(|| "n/a".into())
        );
        // Expired waivers no longer apply: flag them in the suite of their rule's findings.
        for w in r.waivers.iter().filter(|w| w.expired) {
            if fs.iter().any(|f| crate::engine::rule_matches(&w.rule, &f.rule)) {
                let _ = writeln!(
                    o,
                    "      <property name=\"expired_waiver\" value=\"{} on {} expired {}: {}\"/>",
                    xml(&w.rule),
                    xml(w.resource.as_deref().unwrap_or("any")),
                    xml(&w.expires),
                    xml(&w.reason)
                );
            }
        }
        o.push_str("    </properties>\n");
        for f in fs {
            testcase(o, r, f, &format!("vetter.{}", cat.as_str()));
        }
        o.push_str("  </testsuite>\n");
    }
}

pub fn render(r: &Report) -> String {
    render_many(std::slice::from_ref(r))
}

/// Several reports: suites are named `vendor / category`.
pub fn render_many(reports: &[Report]) -> String {
    let c = counts(reports.iter().flat_map(|r| r.findings.iter()));
    let name = match reports {
        [one] => format!("vetter: {} (grade {})", one.vendor.name, one.score.grade),
        _ => format!("vetter: {} vendors", reports.len()),
    };
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">",
        xml(&name),
        c.tests,
        c.failures,
        c.errors,
        c.skipped
    );
    for r in reports {
        let prefix = if reports.len() > 1 {
            format!("{} / ", r.vendor.name)
        } else {
            String::new()
        };
        suites(&mut o, r, &prefix);
    }
    o.push_str("</testsuites>\n");
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup_and_drops_invalid_chars() {
        assert_eq!(super::xml("<a href=\"x\">&\u{1}"), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }
}
