//! Prints what the evidence reader sees in a document (a debugging aid for phrasing authors):
//! `cargo run --example evidence_text -- FILE` lists the extracted lines with their locations;
//! `… -- FILE --model` lists the document model instead: running headers and footers, parties,
//! and each paragraph with its location, region, heading path and lead-in.
use vetter::probe::evidence::{model, phrasing, text};

fn main() {
    let path = std::env::args().nth(1).expect("usage: evidence_text FILE [--model]");
    let show_model = std::env::args().any(|a| a == "--model");
    let bytes = std::fs::read(&path).expect("readable file");
    let doc = match text::extract(&bytes, &path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    if !show_model {
        for l in doc.lines {
            println!("{:>14} | {}", l.loc, l.text);
        }
        return;
    }
    let m = model::build(&doc, phrasing::builtin());
    println!("running: {:?}", m.running);
    println!("vendor: {:?}\npractice: {:?}", m.parties.vendor, m.parties.practice);
    for p in &m.paras {
        let lead = p.lead_in.as_deref().map(|l| format!(" «{l}»")).unwrap_or_default();
        let kind = if p.heading { "H" } else { " " };
        println!(
            "{:>14} {kind} {:<12} [{}]{lead} {}",
            p.loc,
            p.region.as_str(),
            p.path.join(" > "),
            p.raw
        );
    }
}
