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
    let title: Vec<&str> = doc
        .lines
        .iter()
        .map(|l| l.text.trim())
        .filter(|t| !t.is_empty() && t.len() <= 160)
        .take(6)
        .collect();
    // A specific kind anywhere in the title lines beats "policy" on an earlier line (a
    // breadcrumb "Site Policy" above "Data Protection Agreement").
    for k in ORDER {
        if title
            .iter()
            .any(|t| p.group("detect", &format!("title_{k}")).iter().any(|r| r.is_match(t)))
        {
            return Some(k);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::evidence::phrasing::builtin;
    use crate::probe::evidence::text::text;

    #[test]
    fn a_dpa_with_the_2021_sccs_is_a_dpa() {
        let d = text(
            "Site policy\n\nData Protection Agreement\n\nThis Data Protection Agreement applies to the processing of Customer Personal Data.\n\nThe Standard Contractual Clauses (Commission Implementing Decision (EU) 2021/914) apply to transfers: Module Two (controller to processor).\n\nThe data importer shall process the personal data only on documented instructions from the data exporter. Policies and procedures are reviewed annually by the workforce responsible.\n",
        );
        assert_eq!(detect(&d, builtin()), Some("dpa"));
        // Without a title, the body's contract vocabulary outweighs a policy's.
        let d = text(
            "Annex\n\nThe data exporter and the data importer agree to the Standard Contractual Clauses (EU) 2021/914. The data importer shall notify the data exporter of a personal data breach. The data importer informs the supervisory authority. Policy and procedures are reviewed annually.\n",
        );
        assert_eq!(detect(&d, builtin()), Some("dpa"));
    }

    #[test]
    fn a_post_announcing_an_audit_is_an_audit_record() {
        // Batch 9 (t7): the title is in front matter, and the programs audited are
        // "source-controller" and "kustomize-controller", not GDPR controllers.
        let d = text(
            "---\nauthor: someone\ntitle: Second Acme Security Audit has concluded\n---\n\nThe source-controller, kustomize-controller and notification-controller were reviewed. The source-controller had one finding. The notification-controller had two.\n",
        );
        assert_eq!(detect(&d, builtin()), Some("pentest"));
        let d = text("The 2023 Acme Security Audit\n\nThe audit found one medium finding.\n");
        assert_eq!(detect(&d, builtin()), Some("pentest"));
        // Without a title the program names do not count as a controller's.
        let d = text(
            "Notes\n\nThe source-controller and the helm-controller, kustomize-controller and image-controller were fixed; two findings remain.\n",
        );
        assert_eq!(detect(&d, builtin()), Some("pentest"));
        // A policy about audits stays a policy.
        let d = text("Security Audit Policy\n\nThe workforce reviews logs.\n");
        assert_eq!(detect(&d, builtin()), Some("policy"));
    }
}
