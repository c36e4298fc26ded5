//! Score vetter's PHI scanner on labelled data (`bench/phi_labelled.py` writes it):
//!   cargo run --release --example phiscore -- DIR
//! DIR holds named.csv, neutral.csv (the same cells under c01, c02, ...) and labels.jsonl.
//! Prints precision and recall per setting and type, then every variant whose recall is
//! under 0.95 (what was missed, by how it was made). Benchmark only.

use std::collections::HashSet;

use vetter::probe::export::phi::score::{self, Label, Setting};
use vetter::probe::export::phi::{PhiScanner, Recognizers};
use vetter::probe::export::records::{Scan, read_csv};

fn trace(rec: &Recognizers, path: &str) -> Vec<(u64, u32, vetter::probe::export::phi::Kind)> {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut scan = Scan::new(rec);
    scan.phi = PhiScanner::new(rec).with_trace();
    read_csv(text.as_slice(), &mut scan).unwrap_or_else(|e| panic!("{path}: {e}"));
    scan.flush();
    scan.phi.trace().to_vec()
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: phiscore DIR");
    let labels: Vec<Label> = std::fs::read_to_string(format!("{dir}/labels.jsonl"))
        .expect("labels.jsonl")
        .lines()
        .map(|l| Label::parse(l).expect("a label line"))
        .collect();
    let free: HashSet<u32> = labels
        .iter()
        .filter(|l| l.variant == "free_text")
        .map(|l| l.col)
        .collect();
    let rec = Recognizers::new();
    let t0 = std::time::Instant::now();
    let named = trace(&rec, &format!("{dir}/named.csv"));
    let neutral = trace(&rec, &format!("{dir}/neutral.csv"));
    let secs = t0.elapsed().as_secs_f64();
    let mut s = score::score(&labels, &named, |c| {
        Some(if free.contains(&c) {
            Setting::FreeText
        } else {
            Setting::Named
        })
    });
    let n = score::score(&labels, &neutral, |c| (!free.contains(&c)).then_some(Setting::Neutral));
    s.by_type.extend(n.by_type);
    s.by_variant.extend(n.by_variant);
    print!("{}", score::table(&s));
    println!("\nvariants under 0.95 recall:");
    for ((set, t, v), c) in &s.by_variant {
        if c.recall() < 0.95 {
            println!("{}\t{t}\t{v}\t{}/{}\t{:.3}", set.name(), c.tp, c.planted(), c.recall());
        }
    }
    println!("\nscan of both files: {secs:.2} s");
}
