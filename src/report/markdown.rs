//! ⑥ Markdown renderer: a report sized for a pull-request comment or a memo — grade, category
//! table, failed findings, waivers, then collapsible details. Pure; renders the Report only.

use std::fmt::Write;

use super::Report;
use crate::engine::{Basis, Finding, Status};
use crate::rules::Category;

/// GitHub rejects comments over 65,536 characters; stop adding details well before that.
const BUDGET: usize = 60_000;

/// Escape text for a Markdown table cell or paragraph: HTML is inert, Markdown syntax literal.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A code span: backslash escapes do not work inside one, so only backticks are replaced.
fn code(s: &str) -> String {
    format!("`{}`", s.replace(['`', '\n', '\r'], " "))
}

fn score_text(s: Option<f64>) -> String {
    s.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into())
}

fn icon(s: Status) -> &'static str {
    match s {
        Status::Pass => "✅ pass",
        Status::Fail => "❌ fail",
        Status::Error => "⛔ error",
        Status::Skip => "➖ skip",
        Status::Waived => "🏳️ waived",
        Status::Manual => "📝 manual",
        Status::Missing => "❔ missing",
    }
}

fn finding_text(r: &Report, f: &Finding) -> String {
    esc(&r.message(f))
}

/// The first reference of a finding's rule.
fn first_ref<'a>(r: &'a Report, f: &Finding) -> &'a str {
    r.rule(&f.rule).and_then(|i| i.refs.first()).map_or("", String::as_str)
}

/// A portfolio's opening: the vendors ranked best first ([`super::portfolio::rank`]).
pub fn render_overview(reports: &[Report]) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## vetter portfolio: {} vendors, best first\n", reports.len());
    o.push_str("| # | Vendor | Grade | Score | Coverage | Worst category | Critical failures | Next review due | Not supplied |\n");
    o.push_str("|--:|---|:-:|--:|--:|---|--:|---|---|\n");
    for row in super::portfolio::rank(reports) {
        let missing = if row.not_supplied.is_empty() {
            "–".to_string()
        } else {
            row.not_supplied.iter().map(|k| esc(k)).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.rank,
            esc(&row.vendor),
            esc(&row.grade_text()),
            row.score_text(),
            row.coverage_text(),
            esc(&row.worst_text()),
            row.critical_failures,
            esc(&row.review_text()),
            missing
        );
    }
    o.push_str("\nEach vendor's report follows, in the order the vendors were given.\n");
    o
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let s = &r.score;
    let _ = writeln!(o, "## vetter: {} — grade **{}**\n", esc(&r.vendor.name), s.grade_text());
    let _ = writeln!(
        o,
        "Score **{}** (without waivers: {} {}) · coverage {} · as of {} · {} findings: {} pass, {} fail, {} error, {} waived, {} manual, {} missing\n",
        score_text(s.overall),
        s.without_waivers.grade,
        score_text(s.without_waivers.overall),
        s.coverage
            .map(|c| format!("{:.0}%", c * 100.0))
            .unwrap_or_else(|| "n/a".into()),
        esc(&r.as_of),
        r.summary.total,
        r.summary.pass,
        r.summary.fail,
        r.summary.error,
        r.summary.waived,
        r.summary.manual,
        r.summary.missing,
    );
    let summary = super::summary::summarize(r, super::summary::DEFAULT_TOP);
    for c in &summary.caps {
        let _ = writeln!(o, "> {}\n", esc(&c.text));
    }
    for l in &r.left_out {
        let _ = writeln!(o, "> {}\n", esc(&l.reason));
    }
    if !r.overrides.is_empty() {
        let ids: Vec<String> = r.overrides.iter().map(|o| code(&o.rule)).collect();
        let _ = writeln!(o, "> ⚠️ Built-in rules overridden by a user pack: {}\n", ids.join(", "));
    }
    next_steps(&mut o, r, &summary);

    o.push_str("| Category | Score | Grade | Pass | Fail | Error | Waived | Manual | Missing |\n");
    o.push_str("|---|---:|:---:|---:|---:|---:|---:|---:|---:|\n");
    for cat in Category::ALL {
        if r.findings.iter().all(|f| f.category != cat) {
            continue;
        }
        let n = |st: Status| {
            r.findings
                .iter()
                .filter(|f| f.category == cat && f.status == st)
                .count()
        };
        let score = s.categories.get(cat.as_str()).copied();
        let grade = if score.is_some() {
            crate::score::grade_for(score).as_str()
        } else {
            "–"
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cat.as_str(),
            score_text(score),
            grade,
            n(Status::Pass),
            n(Status::Fail),
            n(Status::Error),
            n(Status::Waived),
            n(Status::Manual),
            n(Status::Missing)
        );
    }
    o.push('\n');

    // A resource that could not be probed is one row, not one per check it stopped.
    let failed: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.status.is_failure() && !r.is_folded(f))
        .collect();
    // One row per rule (worst first, as findings are sorted) keeps a comment short when a
    // rule fails on many resources.
    let mut by_rule: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in &failed {
        match by_rule.iter_mut().find(|(id, _)| *id == f.rule) {
            Some((_, v)) => v.push(f),
            None => by_rule.push((&f.rule, vec![f])),
        }
    }
    if failed.is_empty() && r.unassessed.is_empty() {
        o.push_str("### Failed findings\n\nNone: every applicable check passed or was waived.\n\n");
    } else {
        let _ = writeln!(o, "### Failed findings ({} on {} rules)\n", failed.len(), by_rule.len());
        o.push_str("| Severity | Force | Status | Rule | Resources | What was found | Reference | Fixing it gives |\n");
        o.push_str("|---|---|---|---|---|---|---|---:|\n");
        for (id, fs) in &by_rule {
            let f = fs[0];
            let resources = if fs.len() == 1 {
                esc(&f.resource)
            } else {
                format!("{} and {} more", esc(&f.resource), fs.len() - 1)
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                f.severity,
                f.force.as_str(),
                icon(f.status),
                code(id),
                resources,
                finding_text(r, f),
                esc(first_ref(r, f)),
                f.worth.map(|w| format!("{w:.1}")).unwrap_or_default()
            );
        }
        for u in &r.unassessed {
            let _ = writeln!(
                o,
                "| {} |  | {} | {} | {} | {} |  |  |",
                u.severity,
                icon(Status::Error),
                esc(&format!("{} checks", u.rules.len())),
                esc(&u.resource),
                esc(&u.line())
            );
        }
        o.push('\n');
    }

    if !r.not_supplied.is_empty() {
        o.push_str("### Not supplied — ask the vendor for\n\n");
        for n in &r.not_supplied {
            let _ = writeln!(
                o,
                "- {} — would let vetter run {}: {}",
                esc(&n.ask),
                super::checks(n.rules.len()),
                n.rules.iter().map(|x| code(x)).collect::<Vec<_>>().join(", ")
            );
        }
        o.push('\n');
    }

    if !r.waivers.is_empty() {
        let _ = writeln!(o, "### Waivers ({})\n", r.waivers.len());
        o.push_str("| Rule | Resource | Reason | Approver | Expires | State | Findings waived |\n");
        o.push_str("|---|---|---|---|---|---|---:|\n");
        for w in &r.waivers {
            let state = if w.expired {
                "⚠️ **expired** (not applied)"
            } else if w.expiring_soon {
                "⏳ expires within 30 days"
            } else {
                "current"
            };
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                match w.covers() {
                    Some(c) => format!("{} ({})", code(&w.rule), esc(&c)),
                    None => code(&w.rule),
                },
                esc(w.resource.as_deref().unwrap_or("any")),
                esc(&w.reason),
                esc(&w.approver),
                esc(&w.expires),
                state,
                w.applied_to
            );
        }
        o.push('\n');
    }

    details(&mut o, r, &by_rule);
    o
}

/// "Next steps", grouped by who acts, and the legend: what a reader acts on, before the detail.
fn next_steps(o: &mut String, r: &Report, summary: &super::Summary) {
    o.push_str("### Next steps\n\n");
    if summary.next_steps.is_empty() {
        o.push_str("None: every applicable check passed or was waived.\n\n");
    }
    for actor in super::summary::Actor::ALL {
        let mut any = false;
        for (i, s) in summary.next_steps.iter().enumerate().filter(|(_, s)| s.actor == actor) {
            if !any {
                let _ = writeln!(o, "**{}**\n", super::summary::actor_heading(actor));
                any = true;
            }
            let gain = s.gain(r);
            let _ = writeln!(
                o,
                "- **{}** · {}{}",
                i + 1,
                esc(&s.text),
                if gain.is_empty() {
                    String::new()
                } else {
                    format!(" — _{}_", esc(&gain))
                }
            );
        }
        if any {
            o.push('\n');
        }
    }
    if let Some(more) = super::summary::more_steps(summary) {
        let _ = writeln!(o, "{}\n", esc(&more));
    }
    let _ = writeln!(o, "<sub>{}</sub>\n", esc(super::summary::LEGEND));
}

/// Collapsible sections, added while the comment stays under GitHub's size limit.
fn details(o: &mut String, r: &Report, failed: &[(&str, Vec<&Finding>)]) {
    if !failed.is_empty() {
        let mut d = String::from("<details><summary>How to fix the failed findings</summary>\n\n");
        let mut left_out = 0;
        for (_, fs) in failed {
            let f = fs[0];
            let mut e = String::new();
            let info = r.rule(&f.rule);
            let _ = writeln!(e, "#### {} — {}\n", code(&f.rule), esc(r.title(f)));
            for g in fs {
                let _ = writeln!(
                    e,
                    "- {} on {}: {}",
                    icon(g.status),
                    esc(&g.resource),
                    finding_text(r, g)
                );
            }
            if let Some(info) = info.filter(|i| !i.description.is_empty()) {
                let _ = writeln!(e, "- Why it matters: {}", esc(&info.description));
            }
            let _ = writeln!(e, "- Fix: {}", esc(info.map_or("", |i| i.remediation.as_str())));
            let _ = writeln!(
                e,
                "- References: {}\n",
                r.citations(f).iter().map(|x| esc(x)).collect::<Vec<_>>().join("; ")
            );
            // Leave room for the shorter sections after this one.
            if o.len() + d.len() + e.len() + 12_000 > BUDGET {
                left_out += 1;
            } else {
                d.push_str(&e);
            }
        }
        if left_out > 0 {
            let _ = writeln!(d, "_{left_out} more failed rules: see the JSON or HTML report._\n");
        }
        d.push_str("</details>\n\n");
        push_within(o, d);
    }
    let waived: Vec<&Finding> = r.findings.iter().filter(|f| f.status == Status::Waived).collect();
    let passed: Vec<&Finding> = r.findings.iter().filter(|f| f.status == Status::Pass).collect();
    let manual: Vec<&Finding> = r.findings.iter().filter(|f| f.status == Status::Manual).collect();
    for (title, list) in [
        ("Waived", &waived),
        ("Awaiting attestation", &manual),
        ("Passed", &passed),
    ] {
        if list.is_empty() {
            continue;
        }
        let mut d = format!("<details><summary>{title} ({})</summary>\n\n", list.len());
        for f in list.iter() {
            let why = match (&f.waiver, f.status) {
                (Some(w), _) => format!(
                    " — waived: {} ({}, until {})",
                    esc(&w.reason),
                    esc(&w.approver),
                    esc(&w.expires)
                ),
                (None, Status::Pass) if f.basis == Basis::Attestation => " — attested".to_string(),
                _ => String::new(),
            };
            let _ = writeln!(d, "- {} on {}{}", code(&f.rule), esc(&f.resource), why);
        }
        d.push_str("\n</details>\n\n");
        push_within(o, d);
    }
    let mut d = format!("<details><summary>Inputs ({})</summary>\n\n", r.inputs.len());
    d.push_str("| File | Kind | SHA-256 |\n|---|---|---|\n");
    for i in &r.inputs {
        let _ = writeln!(
            d,
            "| {} | {} | {} |",
            esc(&i.path),
            esc(&i.kind),
            i.sha256
                .as_deref()
                .map(|h| format!("`{h}`"))
                .unwrap_or_else(|| "unreadable".into())
        );
    }
    d.push_str("\n</details>\n");
    push_within(o, d);
}

fn push_within(o: &mut String, section: String) {
    if o.len() + section.len() <= BUDGET {
        o.push_str(&section);
    } else if !o.contains(OMITTED) {
        o.push_str(OMITTED);
    }
}

const OMITTED: &str = "_(more details omitted to fit a comment; see the JSON or HTML report)_\n\n";

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_html_and_table_syntax() {
        assert_eq!(esc("<script>a|b</script>"), "&lt;script&gt;a\\|b&lt;/script&gt;");
        assert_eq!(esc("line\nbreak"), "line break");
    }
}
