//! ⑥ Portfolio ranking: several vendors' reports → one ranked table (vendor, grade, score, worst
//! category, critical failures, next review due) for consultants with many clients' vendors.
//! Pure; renders Reports only.

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
use serde::Serialize;

use super::{RenderOptions, Report};
use crate::rules::Severity;

/// One vendor's line in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub rank: usize,
    pub vendor: String,
    pub grade: String,
    pub score: Option<f64>,
    /// The lowest-scoring category and its score.
    pub worst_category: Option<(String, f64)>,
    /// Critical findings that failed or could not be assessed (waived ones do not count).
    pub critical_failures: usize,
    pub next_review: Option<String>,
    /// The next review date is before the report's as-of date.
    pub review_overdue: bool,
}

/// Rank vendors best first: by grade (caps included), then score, then name; a vendor with no
/// applicable checks ranks last, since nothing about it was shown to be sound.
pub fn rank(reports: &[Report]) -> Vec<Row> {
    let mut rows: Vec<Row> = reports
        .iter()
        .map(|r| {
            let worst_category = r
                .score
                .categories
                .iter()
                .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(b.0)))
                .map(|(c, s)| (c.clone(), *s));
            let critical_failures = r
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Critical && f.status.is_failure())
                .count();
            let review_overdue = r.vendor.next_review.as_deref().is_some_and(|d| d < r.as_of.as_str());
            Row {
                rank: 0,
                vendor: r.vendor.name.clone(),
                grade: r.score.grade.as_str().to_string(),
                score: r.score.overall,
                worst_category,
                critical_failures,
                next_review: r.vendor.next_review.clone(),
                review_overdue,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        a.score
            .is_none()
            .cmp(&b.score.is_none())
            .then(a.grade.cmp(&b.grade))
            .then(b.score.unwrap_or(0.0).total_cmp(&a.score.unwrap_or(0.0)))
            .then(a.critical_failures.cmp(&b.critical_failures))
            .then(a.vendor.cmp(&b.vendor))
    });
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    rows
}

/// The ranked table, as the last part of a portfolio's table output.
pub fn render(reports: &[Report], opts: RenderOptions) -> String {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(opts.width.unwrap_or(160));
    t.force_no_tty();
    t.set_header(vec![
        "#",
        "Vendor",
        "Grade",
        "Score",
        "Worst category",
        "Critical failures",
        "Next review due",
    ]);
    for r in rank(reports) {
        t.add_row(vec![
            Cell::new(r.rank).set_alignment(CellAlignment::Right),
            Cell::new(&r.vendor),
            Cell::new(&r.grade).set_alignment(CellAlignment::Center),
            Cell::new(r.score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "n/a".into()))
                .set_alignment(CellAlignment::Right),
            Cell::new(
                r.worst_category
                    .as_ref()
                    .map(|(c, s)| format!("{c} ({s:.1})"))
                    .unwrap_or_else(|| "–".into()),
            ),
            Cell::new(r.critical_failures).set_alignment(CellAlignment::Right),
            Cell::new(match (&r.next_review, r.review_overdue) {
                (Some(d), true) => format!("{d} (overdue)"),
                (Some(d), false) => d.clone(),
                (None, _) => "not set".into(),
            }),
        ]);
    }
    format!("Portfolio: {} vendors, best first\n{t}\n", reports.len())
}
