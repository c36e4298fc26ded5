//! Terminal table: the summary (grade, caps, next steps by who acts, legend); a row per
//! category; then the findings `--status` and `--severity` choose (failed and errored by
//! default), worst first with what fixing each is worth, and what was left unlisted.

use comfy_table::{Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width, presets};

use super::summary::Actor;
use super::{RenderOptions, Report, View};
use crate::engine::Status;
use crate::rules::{Grade, Severity};

fn grade_color(g: Grade) -> Color {
    match g {
        Grade::A => Color::Green,
        Grade::B => Color::Cyan,
        Grade::C => Color::Yellow,
        Grade::D => Color::DarkYellow,
        Grade::F => Color::Red,
    }
}

fn sev_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Red,
        Severity::High => Color::DarkRed,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Blue,
        Severity::Info => Color::Grey,
    }
}

fn new_table(opts: RenderOptions) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(opts.width.unwrap_or(160));
    if !opts.color {
        t.force_no_tty();
    } else {
        t.enforce_styling();
    }
    t
}

fn score_text(s: Option<f64>) -> String {
    s.map(|v| format!("{v:.1}")).unwrap_or_else(|| "n/a".into())
}

/// Text wrapped at word boundaries to the terminal's width, by comfy-table's own wrapping (a
/// borderless one-column table), so prose and tables break lines the same way. Without a known
/// width (a pipe, no COLUMNS) each line stays whole, for grep and CI logs.
fn prose(text: &str, opts: RenderOptions) -> String {
    let Some(width) = opts.width else {
        return format!("{text}\n");
    };
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(width);
    t.force_no_tty();
    t.add_row(vec![Cell::new(text)]);
    if let Some(c) = t.column_mut(0) {
        c.set_padding((0, 0));
    }
    let mut out = t.trim_fmt();
    out.push('\n');
    out
}

/// The summary that opens the table: grade and figures, caps, next steps, the legend.
fn head(r: &Report, opts: RenderOptions, summary: &super::Summary) -> String {
    let paint = |c: Cell, color: Color| if opts.color { c.fg(color) } else { c };
    let mut out = String::new();
    let mut head = new_table(opts);
    head.set_header(vec!["Vendor", "As of", "Grade", "Score", "Coverage", "Without waivers"]);
    let grade = paint(
        Cell::new(r.score.grade_text()).add_attribute(Attribute::Bold),
        grade_color(r.score.grade),
    );
    head.add_row(vec![
        Cell::new(&r.vendor.name),
        Cell::new(&r.as_of),
        grade,
        Cell::new(score_text(r.score.overall)).set_alignment(CellAlignment::Right),
        Cell::new(
            r.score
                .coverage
                .map(|c| format!("{:.0}%", c * 100.0))
                .unwrap_or_else(|| "n/a".into()),
        )
        .set_alignment(CellAlignment::Right),
        Cell::new(format!(
            "{} {}",
            r.score.without_waivers.grade,
            score_text(r.score.without_waivers.overall)
        )),
    ]);
    out.push_str(&head.to_string());
    out.push('\n');
    // Which law did not apply is said once, above everything it leaves out.
    for l in &r.left_out {
        out.push_str(&prose(&l.reason, opts));
    }
    // A long list of caps says its strictest few; the findings table lists every failure.
    for c in summary.caps.iter().take(3) {
        out.push_str(&prose(&c.text, opts));
    }
    if summary.caps.len() > 3 {
        out.push_str(&prose(
            &format!(
                "{} more rules cap the grade (they are among the failed findings).",
                summary.caps.len() - 3
            ),
            opts,
        ));
    }
    if summary.next_steps.is_empty() {
        out.push_str("Next steps: none; every applicable check passed or was waived.\n");
    } else {
        out.push_str(&format!(
            "Next steps, the {} that would raise the result most:\n",
            summary.next_steps.len()
        ));
        for actor in Actor::ALL {
            let steps: Vec<(usize, &super::summary::Step)> = summary
                .next_steps
                .iter()
                .enumerate()
                .filter(|(_, s)| s.actor == actor)
                .collect();
            if steps.is_empty() {
                continue;
            }
            let mut t = new_table(opts);
            t.set_header(vec!["#", super::summary::actor_heading(actor), "Would give"]);
            for (i, s) in steps {
                t.add_row(vec![
                    Cell::new(i + 1).set_alignment(CellAlignment::Right),
                    Cell::new(&s.text),
                    Cell::new(s.gain(r)),
                ]);
            }
            out.push_str(&t.to_string());
            out.push('\n');
        }
        if let Some(more) = super::summary::more_steps(summary) {
            out.push_str(&prose(&more, opts));
        }
    }
    out.push_str(&prose(super::summary::LEGEND, opts));
    out
}

/// Width from which the findings table has a column of its own for the message (below it,
/// the message sits under the rule and resource, so it still gets most of the width).
const WIDE: u16 = 150;

pub fn render(r: &Report, opts: RenderOptions) -> String {
    let paint = |c: Cell, color: Color| if opts.color { c.fg(color) } else { c };
    let view = opts.view;
    let summary = super::summary::summarize(r, view.top);
    let mut out = head(r, opts, &summary);
    if view.summary_only {
        return out;
    }

    let weights = super::category_weights(r);
    let mut cats = new_table(opts);
    cats.set_header(vec![
        "Category", "Score", "Grade", "Pass", "Fail", "Error", "Manual", "Missing",
    ]);
    for cat in crate::rules::Category::ALL {
        let name = cat.as_str();
        let of = |st: Status| {
            r.findings
                .iter()
                .filter(|f| f.category == cat && f.status == st)
                .count()
        };
        if r.findings.iter().all(|f| f.category != cat) {
            continue;
        }
        let score = r.score.categories.get(name).copied();
        let g = crate::score::grade_for(score);
        let _ = weights.get(name);
        cats.add_row(vec![
            Cell::new(name),
            Cell::new(score_text(score)).set_alignment(CellAlignment::Right),
            if score.is_some() {
                paint(Cell::new(g.as_str()), grade_color(g))
            } else {
                Cell::new("-")
            },
            Cell::new(of(Status::Pass)).set_alignment(CellAlignment::Right),
            Cell::new(of(Status::Fail)).set_alignment(CellAlignment::Right),
            Cell::new(of(Status::Error)).set_alignment(CellAlignment::Right),
            Cell::new(of(Status::Manual)).set_alignment(CellAlignment::Right),
            Cell::new(of(Status::Missing)).set_alignment(CellAlignment::Right),
        ]);
    }
    out.push_str(&cats.to_string());
    out.push('\n');

    // A resource that could not be probed is one row, not one per check it stopped.
    let shown = |f: &crate::engine::Finding| view.statuses.contains(f.status) && f.severity >= view.min_severity;
    let listed: Vec<_> = r.findings.iter().filter(|f| shown(f) && !r.is_folded(f)).collect();
    let unassessed: Vec<_> = r
        .unassessed
        .iter()
        .filter(|u| view.statuses.contains(Status::Error) && u.severity >= view.min_severity)
        .collect();
    if listed.is_empty() && unassessed.is_empty() {
        if view.statuses == super::View::default().statuses && view.min_severity == Severity::Info {
            out.push_str("No failed or errored findings.\n");
        } else {
            out.push_str("No findings of the chosen statuses and severity.\n");
        }
    } else {
        let wide = opts.width.unwrap_or(160) >= WIDE;
        let mut t = new_table(opts);
        if wide {
            t.set_header(vec!["Severity", "Rule / resource", "Message", "Reference", "Worth"]);
        } else {
            t.set_header(vec!["Severity", "Finding", "Worth"]);
        }
        let worth = |w: Option<f64>| {
            Cell::new(w.map(|w| format!("→{w:.1}")).unwrap_or_default()).set_alignment(CellAlignment::Right)
        };
        for f in listed {
            let sev = paint(
                Cell::new(format!(
                    "{}\n{}\n{}",
                    f.severity.as_str(),
                    f.status.as_str(),
                    f.force.as_str()
                )),
                sev_color(f.severity),
            );
            let citation = first_citation(r, f);
            if wide {
                t.add_row(vec![
                    sev,
                    Cell::new(format!("{}\n{}", f.rule, f.resource)),
                    Cell::new(r.message(f)),
                    Cell::new(citation),
                    worth(f.worth),
                ]);
            } else {
                let mut cell = format!("{}\n{}\n{}", f.rule, f.resource, r.message(f));
                if !citation.is_empty() {
                    cell.push_str(&format!("\n({citation})"));
                }
                t.add_row(vec![sev, Cell::new(cell), worth(f.worth)]);
            }
        }
        for u in unassessed {
            let sev = paint(
                Cell::new(format!("{}\n{}", u.severity.as_str(), Status::Error.as_str())),
                sev_color(u.severity),
            );
            let what = format!("{}\n{}", super::checks(u.rules.len()), u.resource);
            if wide {
                t.add_row(vec![
                    sev,
                    Cell::new(what),
                    Cell::new(u.line()),
                    Cell::new(""),
                    Cell::new(""),
                ]);
            } else {
                t.add_row(vec![sev, Cell::new(format!("{what}\n{}", u.line())), Cell::new("")]);
            }
        }
        // Severity, status and force are single words and rule ids are what users copy into
        // `rules explain` and waivers: none of them wraps; the message takes the rest.
        if let Some(col) = t.column_mut(0) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
        if wide {
            if let Some(col) = t.column_mut(1) {
                col.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(48)));
            }
            if let Some(col) = t.column_mut(3) {
                col.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(24)));
            }
        }
        if let Some(col) = t.column_mut(if wide { 4 } else { 2 }) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    if let Some(note) = hidden(r, view) {
        out.push_str(&prose(&note, opts));
    }
    if !r.not_supplied.is_empty() {
        let mut t = new_table(opts);
        t.set_header(vec!["Not supplied — ask the vendor for", "Would let vetter run"]);
        for n in &r.not_supplied {
            t.add_row(vec![
                Cell::new(&n.ask),
                Cell::new(format!("{}: {}", super::checks(n.rules.len()), n.rules.join(", "))),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    let s = &summary;
    // The closing lines wrap like the rest, so nothing runs past the terminal's width.
    let mut notes: Vec<String> = Vec::new();
    notes.push(format!(
        "{} findings: {} pass, {} fail, {} error, {} waived, {} manual, {} missing, {} skipped\n",
        s.total, s.pass, s.fail, s.error, s.waived, s.manual, s.missing, s.skip
    ));
    if !r.overrides.is_empty() {
        notes.push(format!(
            "warning: {} built-in rule(s) overridden: {}\n",
            r.overrides.len(),
            r.overrides
                .iter()
                .map(|o| o.rule.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for w in r.waivers.iter().filter(|w| w.expired) {
        notes.push(format!(
            "warning: waiver for {} expired on {} (no longer applied)\n",
            w.rule, w.expires
        ));
    }
    for w in r.waivers.iter().filter(|w| w.expiring_soon) {
        notes.push(format!("note: waiver for {} expires on {}\n", w.rule, w.expires));
    }
    for (w, covers) in r.waivers.iter().filter_map(|w| Some((w, w.covers()?))) {
        notes.push(format!(
            "note: waiver for {} covers {covers} ({} finding(s) waived)\n",
            w.rule, w.applied_to
        ));
    }
    for n in notes {
        out.push_str(&prose(n.trim_end(), opts));
    }
    out
}

/// A finding's first citation; "+N" counts the citations of the other rules folded into it
/// (each citing another law or criterion).
fn first_citation(r: &Report, f: &crate::engine::Finding) -> String {
    let own = r.rule(&f.rule).map_or(&[][..], |i| &i.refs[..]);
    let first = own.first().map_or("", String::as_str);
    match r.citations(f).len().saturating_sub(own.len()) {
        0 => first.to_string(),
        n => format!("{first} +{n}"),
    }
}

/// What the findings table left out, by status and severity: "Not listed: 55 passed, 118 not
/// applicable; 12 below high". `None` when every finding is listed.
fn hidden(r: &Report, view: View) -> Option<String> {
    let mut by_status: Vec<String> = Vec::new();
    for st in Status::ALL {
        if view.statuses.contains(st) {
            continue;
        }
        let n = r.findings.iter().filter(|f| f.status == st).count();
        if n > 0 {
            let what = match st {
                Status::Pass => "passed",
                Status::Fail => "failed",
                Status::Error => "could not be assessed",
                Status::Skip => "not applicable",
                Status::Waived => "waived",
                Status::Manual => "awaiting attestation",
                Status::Missing => "without their evidence",
            };
            by_status.push(format!("{n} {what}"));
        }
    }
    let below = r
        .findings
        .iter()
        .filter(|f| view.statuses.contains(f.status) && f.severity < view.min_severity)
        .count();
    if by_status.is_empty() && below == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if !by_status.is_empty() {
        parts.push(format!("{} (list them with --status)", by_status.join(", ")));
    }
    if below > 0 {
        parts.push(format!("{below} below {} (--severity)", view.min_severity));
    }
    Some(format!(
        "Checks not shown: {}. The score counts every finding.",
        parts.join("; ")
    ))
}
