//! ② Collect (evidence): which kind of document this is, from its content, when the manifest
//! gives no `kind`. The title (first lines) decides when it names a kind; otherwise the body's
//! phrasing is counted and the kind with most hits wins, so a BAA that cites a SOC 2 report is
//! still a BAA. Pure; no I/O.

use super::phrasing::Phrasing;
use super::text::Doc;

/// Title precedence: specific kinds before the generic "policy".
const ORDER: &[&str] = &["soc2", "hitrust", "pentest", "baa", "dpa", "policy"];

/// The detected kind (`soc2`, `baa`, `dpa`, `pentest`, `hitrust`, `policy`), or `None`.
pub fn detect(doc: &Doc, p: &Phrasing) -> Option<&'static str> {
    for l in doc.lines.iter().filter(|l| !l.text.trim().is_empty()).take(6) {
        let t = l.text.trim();
        if t.len() > 160 {
            continue;
        }
        for k in ORDER {
            if p.group("detect", &format!("title_{k}")).iter().any(|r| r.is_match(t)) {
                return Some(k);
            }
        }
    }
    let mut best: Option<(&'static str, usize)> = None;
    for k in ORDER {
        let pats = p.group("detect", &format!("body_{k}"));
        let n: usize = doc
            .lines
            .iter()
            .take(2000)
            .map(|l| pats.iter().map(|r| r.find_iter(&l.text).count().min(3)).sum::<usize>())
            .sum();
        if n > 0 && best.is_none_or(|b| n > b.1) {
            best = Some((k, n));
        }
    }
    best.map(|b| b.0)
}
