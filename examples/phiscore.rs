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
    if let Ok(want) = std::env::var("PHISCORE_SHOW") {
        show(&dir, &labels, &named, &neutral, &free, &want);
    }
    println!("\nscan of both files: {secs:.2} s");
}

/// `PHISCORE_SHOW=TYPE`: up to 15 missed and 15 falsely reported cells of TYPE per setting,
/// with their (generated) values, for working on the recognizers.
fn show(
    dir: &str,
    labels: &[Label],
    named: &[(u64, u32, vetter::probe::export::phi::Kind)],
    neutral: &[(u64, u32, vetter::probe::export::phi::Kind)],
    free: &HashSet<u32>,
    want: &str,
) {
    use std::collections::HashMap;
    let text = std::fs::read_to_string(format!("{dir}/named.csv")).expect("named.csv");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("csv"))
        .collect();
    let norm = |k: &str| match k {
        "date_of_birth" => "date".to_string(),
        "zip_restricted" => "zip".to_string(),
        k => k.to_string(),
    };
    for (name, trace) in [("named", named), ("neutral", neutral)] {
        let mut planted: HashMap<(u64, u32), u32> = HashMap::new();
        for l in labels.iter().filter(|l| norm(&l.kind) == want) {
            *planted.entry((l.row, l.col)).or_default() += l.n;
        }
        let mut got: HashMap<(u64, u32), u32> = HashMap::new();
        for &(r, c, k) in trace.iter().filter(|t| norm(t.2.field()) == want) {
            *got.entry((r, c)).or_default() += 1;
        }
        let (mut missed, mut extra) = (0, 0);
        let mut cells: Vec<_> = planted.keys().chain(got.keys()).copied().collect();
        cells.sort_unstable();
        cells.dedup();
        for cell in cells {
            if name == "neutral" && free.contains(&cell.1) {
                continue;
            }
            let (p, g) = (
                planted.get(&cell).copied().unwrap_or(0),
                got.get(&cell).copied().unwrap_or(0),
            );
            let v = rows
                .get(cell.0 as usize)
                .and_then(|r| r.get(cell.1 as usize))
                .unwrap_or("");
            if p > g && missed < 15 {
                missed += 1;
                println!("{name} MISSED {p}-{g} col {}: {v}", cell.1);
            } else if g > p && extra < 15 {
                extra += 1;
                println!("{name} FALSE {g}-{p} col {}: {v}", cell.1);
            }
        }
    }
}
