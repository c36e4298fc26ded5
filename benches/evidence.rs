//! Benchmark: PDF text extraction and SOC 2 / clause matching on a 300-page PDF written by
//! LibreOffice (a SOC 2 tests-of-controls table and contract text, generated on first run into
//! target/bench-evidence/, which needs `soffice` from libreoffice-writer-nogui).
//! `cargo bench --bench evidence`. Target: at least 100 pages per second.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use vetter::probe::evidence::{phrasing, read_document, text};

fn html() -> String {
    let mut s = String::from(
        "<html><head><meta charset=\"utf-8\"></head><body><h1>SOC 2 Type 2 Report</h1>\
         <h2>Independent Service Auditor's Report</h2><p>We have examined the description throughout the period \
         January 1, 2026 to June 30, 2026 relevant to security and availability.</p>\
         <p>In our opinion, in all material respects, the controls operated effectively.</p><p>Bench Assurance LLP</p>\
         <h2>Section 4: Tests of Controls</h2><table border=\"1\">",
    );
    for i in 0..5000 {
        let result = if i % 97 == 0 {
            "Exception noted. For 1 of 25 samples, the approval was missing."
        } else {
            "No exceptions noted."
        };
        s.push_str(&format!(
            "<tr><td>CC{}.{}</td><td>Control activity {i}: access is reviewed and approved by management.</td>\
             <td>Inspected a sample of 25 items for evidence of review.</td><td>{result}</td></tr>",
            i % 9 + 1,
            i % 8 + 1
        ));
    }
    s.push_str("</table>");
    for i in 0..400 {
        s.push_str(&format!(
            "<p>{i}. Business Associate shall notify Covered Entity of any Breach of Unsecured PHI within five (5) \
             business days after discovery, and shall otherwise comply with Subpart C of 45 C.F.R. Part 164.</p>"
        ));
    }
    s.push_str("</body></html>");
    s
}

fn pdf() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-evidence");
    let out = dir.join("bench.pdf");
    if out.exists() {
        return out;
    }
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("bench.html"), html()).unwrap();
    let ok = Command::new("soffice")
        .args([
            "--headless",
            "--infilter=HTML (StarWriter)",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
        ])
        .arg(&dir)
        .arg(dir.join("bench.html"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok && out.exists(),
        "needs soffice (apt-get install libreoffice-writer-nogui)"
    );
    out
}

fn main() {
    let path = pdf();
    let bytes = std::fs::read(&path).unwrap();
    let p = phrasing::builtin();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut best = f64::MAX;
    let mut pages = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let doc = text::extract(&bytes, "bench.pdf").unwrap();
        let _ = read_document(
            &bytes,
            "bench.pdf",
            Some(vetter::manifest::EvidenceKind::Soc2),
            p,
            as_of,
        );
        let _ = read_document(&bytes, "bench.pdf", Some(vetter::manifest::EvidenceKind::Baa), p, as_of);
        let secs = t.elapsed().as_secs_f64();
        // Extraction runs three times per iteration (once here, once per read): count it once
        // by timing it alone too.
        let t2 = Instant::now();
        let _ = text::extract(&bytes, "bench.pdf").unwrap();
        let extract = t2.elapsed().as_secs_f64();
        let total = secs - 2.0 * extract;
        best = best.min(total);
        pages = doc
            .lines
            .last()
            .and_then(|l| l.loc.strip_prefix("page ")?.parse().ok())
            .unwrap_or(0);
    }
    let rate = pages as f64 / best;
    println!(
        "evidence: {pages} pages, extraction + SOC 2 + BAA matching in {:.0} ms = {rate:.0} pages/s (target >= 300)",
        best * 1000.0
    );
    assert!(rate >= 300.0, "reading fell below 300 pages/s: {rate:.0}");

    // A 4 MB text document (one-sentence paragraphs and one duty at the end) is read in bounded
    // time: the document model and the clause reader are linear in its size.
    let para =
        "Business Associate shall maintain the confidentiality of all records and cooperate with reasonable requests.";
    let mut big = String::from("Business Associate Agreement\n\n");
    while big.len() < 4 * 1024 * 1024 {
        big.push_str(para);
        big.push_str("\n\n");
    }
    big.push_str(
        "Business Associate shall notify Covered Entity of any Breach of Unsecured PHI within 5 business days.\n",
    );
    let t = Instant::now();
    let out = read_document(big.as_bytes(), "big.txt", None, p, as_of);
    let secs = t.elapsed().as_secs_f64();
    let vetter::probe::EvidenceOut::Baa(f) = out else {
        panic!("the 4 MB text was not read as a BAA")
    };
    assert_eq!(f.clauses.breach_notification.days, Some(5));
    println!(
        "evidence: 4 MB text BAA read in {:.0} ms = {:.1} MB/s (bound: 30 s)",
        secs * 1000.0,
        4.0 / secs
    );
    assert!(secs < 30.0, "the 4 MB text took {secs:.1} s");
}
