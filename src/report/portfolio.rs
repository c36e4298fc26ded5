//! ⑥ Portfolio ranking: several vendors' reports → one ranked overview (vendor, grade, score,
//! coverage, worst category, critical failures, next review due, documents not supplied) for
//! consultants with many clients' vendors. [`rank`] is the one ranking: the terminal's table,
//! the HTML and Markdown overviews and the JSON `overview` all render its rows. Pure; renders
//! Reports only.

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
use serde::{Deserialize, Serialize};

use super::{RenderOptions, Report};
use crate::rules::Severity;

/// One vendor's line in the ranking (the portfolio JSON's `overview` entries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Row {
    /// 1 for the best vendor.
    pub rank: usize,
    pub vendor: String,
    /// Index of the vendor's report in the portfolio's `reports` (0-based).
    pub report: usize,
    pub grade: String,
    /// The grade stands on less than 70 % coverage (`score.provisional`).
    pub provisional: bool,
    pub score: Option<f64>,
    /// Share (0–1) of the checks' weight that could be verified (`score.coverage`).
    pub coverage: Option<f64>,
    /// The lowest-scoring category and its score.
    pub worst_category: Option<WorstCategory>,
    /// Critical findings that failed or could not be assessed (waived ones do not count).
    pub critical_failures: usize,
    /// `[vendor] next_review`, when the manifest sets it.
    pub next_review: Option<String>,
    /// The next review date is before the report's as-of date.
    pub review_overdue: bool,
    /// Evidence kinds not supplied (`not_supplied[].kind`): what to ask the vendor for.
    pub not_supplied: Vec<String>,
}

/// A category and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorstCategory {
    pub category: String,
    pub score: f64,
}

impl Row {
    /// "C", or "C (provisional)".
    pub fn grade_text(&self) -> String {
        if self.provisional {
            format!("{} (provisional)", self.grade)
        } else {
            self.grade.clone()
        }
    }

    /// "42 %", or "n/a".
    pub fn coverage_text(&self) -> String {
        self.coverage
            .map(|c| format!("{:.0} %", c * 100.0))
            .unwrap_or_else(|| "n/a".into())
    }

    /// "12.5", or "n/a".
    pub fn score_text(&self) -> String {
        self.score.map(|s| format!("{s:.1}")).unwrap_or_else(|| "n/a".into())
    }

    /// "security (40.0)", or "–".
    pub fn worst_text(&self) -> String {
        self.worst_category
            .as_ref()
            .map(|w| format!("{} ({:.1})", w.category, w.score))
            .unwrap_or_else(|| "–".into())
    }

    /// "2027-01-01", "2025-01-01 (overdue)", or "not set".
    pub fn review_text(&self) -> String {
        match (&self.next_review, self.review_overdue) {
            (Some(d), true) => format!("{d} (overdue)"),
            (Some(d), false) => d.clone(),
            (None, _) => "not set".into(),
        }
    }
}

/// Rank vendors best first: by grade (caps included), then score, then name; a vendor with no
/// applicable checks ranks last, since nothing about it was shown to be sound.
pub fn rank(reports: &[Report]) -> Vec<Row> {
    let mut rows: Vec<Row> = reports
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let worst_category = r
                .score
                .categories
                .iter()
                .min_by(|a, b| a.1.total_cmp(b.1).then(a.0.cmp(b.0)))
                .map(|(c, s)| WorstCategory {
                    category: c.clone(),
                    score: *s,
                });
            let critical_failures = r
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Critical && f.status.is_failure())
                .count();
            let review_overdue = r.vendor.next_review.as_deref().is_some_and(|d| d < r.as_of.as_str());
            Row {
                rank: 0,
                vendor: r.vendor.name.clone(),
                report: i,
                grade: r.score.grade.as_str().to_string(),
                provisional: r.score.provisional,
                score: r.score.overall,
                coverage: r.score.coverage,
                worst_category,
                critical_failures,
                next_review: r.vendor.next_review.clone(),
                review_overdue,
                not_supplied: r.not_supplied.iter().map(|n| n.kind.clone()).collect(),
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
            Cell::new(r.score_text()).set_alignment(CellAlignment::Right),
            Cell::new(r.worst_text()),
            Cell::new(r.critical_failures).set_alignment(CellAlignment::Right),
            Cell::new(r.review_text()),
        ]);
    }
    format!("Portfolio: {} vendors, best first\n{t}\n", reports.len())
}
