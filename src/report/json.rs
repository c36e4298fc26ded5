//! JSON output: the report model as pretty JSON (docs/report.schema.json describes it).

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}

pub fn render_portfolio(reports: &[Report]) -> String {
    let mut s = serde_json::to_string_pretty(&serde_json::json!({ "reports": reports })).expect("report serialises");
    s.push('\n');
    s
}
