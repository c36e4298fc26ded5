//! The HTML report: content for each fixture vendor, self-containment (nothing that could make a
//! request), escaping of hostile text, waivers flagged, `.html` output mapping.

use std::collections::BTreeSet;

use crate::reports::{FIXTURES, eval, facts, json_report};
use crate::support::*;

pub fn failed_rules(r: &serde_json::Value) -> BTreeSet<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| shown_failed(r, f))
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

/// A failed or errored finding a person reads on its own: errors on a resource that could not
/// be probed are folded into that resource's one "could not run" line.
pub fn shown_failed(r: &serde_json::Value, f: &serde_json::Value) -> bool {
    match f["status"].as_str() {
        Some("fail") => true,
        Some("error") => !r["unassessed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["resource"] == f["resource"]),
        _ => false,
    }
}

/// HTML escaping as minijinja does it (quotes and slashes too).
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

/// Nothing in the page may fetch anything: no scripts, links, frames, sources or CSS URLs.
pub fn assert_self_contained(html: &str, what: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in [
        "<script", "<link", "<iframe", "<object", "<embed", "<img", " src=", " href=", "url(", "@import", "http://",
        "https://",
    ] {
        assert!(!lower.contains(needle), "{what}: the page contains `{needle}`");
    }
    assert!(
        html.contains("content=\"default-src 'none';"),
        "{what}: the CSP that forbids requests is missing"
    );
}

#[test]
fn html_for_each_fixture() {
    for name in FIXTURES {
        let r = json_report(&facts(name), &[]);
        let (html, code) = eval(&facts(name), "html", &[]);
        assert_eq!(code, Some(0));
        assert!(html.starts_with("<!doctype html>"), "{name}");
        assert_self_contained(&html, name);
        let grade = r["score"]["grade"].as_str().unwrap();
        assert!(html.contains(&format!("data-grade=\"{grade}\"")), "{name}: grade");
        let vendor = r["vendor"]["name"].as_str().unwrap();
        assert!(
            html.contains(&format!("<h1 id=\"vendor-1\">{}</h1>", escape(vendor))),
            "{name}: vendor heading"
        );
        let failed = failed_rules(&r);
        for rule in &failed {
            assert!(
                html.contains(&format!("data-rule=\"{rule}\"")),
                "{name}: failed rule {rule}"
            );
        }
        // Worst first: the order of the failed blocks follows the report's (sorted) findings.
        let order: Vec<&str> = html
            .split("data-rule=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        let mut expected: Vec<&str> = Vec::new();
        for f in r["findings"].as_array().unwrap() {
            let id = f["rule"].as_str().unwrap();
            if shown_failed(&r, f) && !expected.contains(&id) {
                expected.push(id);
            }
        }
        assert_eq!(order, expected, "{name}: failed findings worst first");
        for i in r["inputs"].as_array().unwrap() {
            if let Some(h) = i["sha256"].as_str() {
                assert!(html.contains(h), "{name}: input hash {h}");
            }
        }
        // Rule descriptions from the report's `rules` list reach the page.
        for info in r["rules"].as_array().unwrap() {
            if failed.contains(info["id"].as_str().unwrap()) && !info["description"].as_str().unwrap().is_empty() {
                let d = info["description"].as_str().unwrap();
                assert!(html.contains(&escape(d)), "{name}: description of {}", info["id"]);
            }
        }
        // Each capping rule is said once, in the summary's words, naming every rule that caps.
        let notes = r["summary"]["caps"].as_array().unwrap();
        for c in r["score"]["caps"].as_array().unwrap() {
            assert!(
                notes.iter().any(|n| n["rule"] == c["rule"]),
                "{name}: {c} in the summary"
            );
        }
        for n in notes {
            let line = n["text"].as_str().unwrap();
            assert_eq!(html.matches(&escape(line)).count(), 1, "{name}: cap said once: {line}");
        }
        if r["summary"]["pass"].as_u64().unwrap() > 0 {
            assert!(html.contains("<summary>Passed ("), "{name}: passed checks collapsed");
        }
        // Accessibility basics: a language, one h1 per vendor, captions and scoped headers.
        assert!(html.contains("<html lang=\"en\">"));
        assert_eq!(html.matches("<h1 ").count(), 1);
        assert_eq!(html.matches("<table>").count(), html.matches("<caption>").count());
        assert!(!html.contains("<th>"), "{name}: every th has a scope");
        assert!(html.contains("@media print"));
        assert_eq!(html.matches("<details>").count(), html.matches("</details>").count());
    }
}

#[test]
fn html_flags_expired_waivers() {
    let f = facts("mixed");
    let (html, _) = eval(&f, "html", &[]);
    assert!(html.contains("<td class=\"state ok\">Current</td>"));
    assert!(html.contains("<summary>Waived (1)</summary>"));
    let (html, _) = eval(&f, "html", &["--as-of", "2027-07-15"]);
    assert!(html.contains("<td class=\"state bad\">Expired — no longer applied</td>"));
    assert!(html.contains("1 waiver has expired and no longer applies"));
}

/// `<script>` in a vendor name and in a finding message renders as text.
#[test]
fn html_escapes_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(facts("weak"))).unwrap()).unwrap();
    a["facts"]["vendor"]["name"] = "<script>alert(\"vendor\")</script>".into();
    a["facts"]["endpoints"][0]["error"] = "<script>alert('msg')</script> & <b>bold</b>".into();
    let path = dir.path().join("hostile.json");
    std::fs::write(&path, a.to_string()).unwrap();
    let (html, code) = eval(path.to_str().unwrap(), "html", &[]);
    assert_eq!(code, Some(0));
    assert_self_contained(&html, "hostile");
    assert!(
        html.contains("<h1 id=\"vendor-1\">&lt;script&gt;alert(&quot;vendor&quot;)&lt;&#x2f;script&gt;</h1>"),
        "vendor name escaped"
    );
    assert!(
        html.contains("could not run on https:&#x2f;&#x2f;api.acme-legacy.example:8443&#x2f;v1&#x2f;patients: &lt;script&gt;alert(&#x27;msg&#x27;)&lt;&#x2f;script&gt; &amp; &lt;b&gt;bold&lt;&#x2f;b&gt;"),
        "finding message escaped"
    );
    assert!(!html.contains("<b>bold"));
}

#[test]
fn html_extension_selects_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let o = run(&["eval", &facts("strong"), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.contains("data-grade="));
}
