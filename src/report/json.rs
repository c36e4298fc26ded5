//! JSON output: the report model as pretty JSON (docs/report.schema.json describes it).

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}

/// A portfolio: `{"overview": [...], "reports": [...]}`, the overview ranked best first
/// (docs/portfolio.schema.json).
pub fn render_portfolio(reports: &[Report]) -> String {
    #[derive(serde::Serialize)]
    struct Out<'a> {
        overview: Vec<super::portfolio::Row>,
        reports: &'a [Report],
    }
    let out = Out {
        overview: super::portfolio::rank(reports),
        reports,
    };
    let mut s = serde_json::to_string_pretty(&out).expect("report serialises");
    s.push('\n');
    s
}
