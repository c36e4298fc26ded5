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

/// The summary as a suite of no tests that opens the file: its properties carry the grade,
/// caps and next steps for a dashboard to read, its `<system-out>` the same in words for the
/// CI test tab (JUnit has no other place for what is about the run as a whole).
fn summary_suite(o: &mut String, r: &Report, prefix: &str) {
    let s = super::summary::summarize(r, super::summary::DEFAULT_TOP);
    let _ = writeln!(
        o,
        "  <testsuite name=\"{}summary\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\" time=\"0\" timestamp=\"{}\">",
        xml(prefix),
        xml(r.generated_at.trim_end_matches('Z'))
    );
    o.push_str("    <properties>\n");
    let mut prop = |name: String, value: String| {
        let _ = writeln!(o, "      <property name=\"{}\" value=\"{}\"/>", xml(&name), xml(&value));
    };
    prop("vendor".into(), r.vendor.name.clone());
    prop("grade".into(), r.score.grade_text());
    prop(
        "score".into(),
        r.score.overall.map_or_else(|| "n/a".into(), |v| format!("{v:.1}")),
    );
    prop(
        "coverage".into(),
        r.score.coverage.map_or_else(|| "n/a".into(), |c| format!("{c:.3}")),
    );
    for (i, c) in s.caps.iter().enumerate() {
        prop(format!("cap.{}", i + 1), c.text.clone());
    }
    for (i, step) in s.next_steps.iter().enumerate() {
        prop(format!("next_step.{}.{}", i + 1, step.actor), step.text.clone());
    }
    o.push_str("    </properties>\n");
    let mut text = format!("{}\n", super::summary::headline(r));
    for c in &s.caps {
        let _ = writeln!(text, "{}", c.text);
    }
    text.push_str("Next steps:\n");
    for actor in super::summary::Actor::ALL {
        for (i, step) in s.next_steps.iter().enumerate().filter(|(_, x)| x.actor == actor) {
            let gain = step.gain(r);
            let _ = writeln!(
                text,
                "{}. [{}] {}{}",
                i + 1,
                actor,
                step.text,
                if gain.is_empty() {
                    String::new()
                } else {
                    format!(" ({gain})")
                }
            );
        }
    }
    if let Some(more) = super::summary::more_steps(&s) {
        let _ = writeln!(text, "{more}");
    }
    let _ = writeln!(text, "{}", super::summary::LEGEND);
    let _ = writeln!(o, "    <system-out>{}</system-out>\n  </testsuite>", xml(&text));
}

fn suites(o: &mut String, r: &Report, prefix: &str) {
    summary_suite(o, r, prefix);
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
