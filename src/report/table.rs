//! Terminal table: vendor, grade, score and coverage; a row per category; then failed and
//! errored findings worst first with what fixing each is worth.

use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table, presets};

use super::{RenderOptions, Report};
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

pub fn render(r: &Report, opts: RenderOptions) -> String {
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
        out.push_str(&l.reason);
        out.push('\n');
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
    let failed: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.status.is_failure() && !r.is_folded(f))
        .collect();
    if failed.is_empty() && r.unassessed.is_empty() {
        out.push_str("No failed or errored findings.\n");
    } else {
        let mut t = new_table(opts);
        t.set_header(vec![
            "Severity",
            "Force",
            "Status",
            "Rule",
            "Resource",
            "Message",
            "Reference",
            "Worth",
        ]);
        for f in failed {
            t.add_row(vec![
                paint(Cell::new(f.severity.as_str()), sev_color(f.severity)),
                Cell::new(f.force.as_str()),
                Cell::new(f.status.as_str()),
                Cell::new(&f.rule),
                Cell::new(&f.resource),
                Cell::new(r.message(f)),
                Cell::new(first_citation(r, f)),
                Cell::new(f.worth.map(|w| format!("→{w:.1}")).unwrap_or_default()).set_alignment(CellAlignment::Right),
            ]);
        }
        for u in &r.unassessed {
            t.add_row(vec![
                paint(Cell::new(u.severity.as_str()), sev_color(u.severity)),
                Cell::new(""),
                Cell::new(Status::Error.as_str()),
                Cell::new(super::checks(u.rules.len())),
                Cell::new(&u.resource),
                Cell::new(u.line()),
                Cell::new(""),
                Cell::new(""),
            ]);
        }
        // Rule ids are what users copy into `rules explain` and waivers: never wrap them.
        if let Some(col) = t.column_mut(3) {
            col.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
        out.push_str(&t.to_string());
        out.push('\n');
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
    let s = &r.summary;
    out.push_str(&format!(
        "{} findings: {} pass, {} fail, {} error, {} waived, {} manual, {} missing, {} skipped\n",
        s.total, s.pass, s.fail, s.error, s.waived, s.manual, s.missing, s.skip
    ));
    if !r.overrides.is_empty() {
        out.push_str(&format!(
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
        out.push_str(&format!(
            "warning: waiver for {} expired on {} (no longer applied)\n",
            w.rule, w.expires
        ));
    }
    for w in r.waivers.iter().filter(|w| w.expiring_soon) {
        out.push_str(&format!("note: waiver for {} expires on {}\n", w.rule, w.expires));
    }
    for (w, covers) in r.waivers.iter().filter_map(|w| Some((w, w.covers()?))) {
        out.push_str(&format!(
            "note: waiver for {} covers {covers} ({} finding(s) waived)\n",
            w.rule, w.applied_to
        ));
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
