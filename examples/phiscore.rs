//! Score vetter's PHI scanner on labelled data (`bench/phi_labelled.py` writes it):
//!   cargo run --release --example phiscore -- DIR
//! DIR holds named.csv, neutral.csv (the same cells under c01, c02, ...) and labels.jsonl.
//! Prints precision and recall per setting and type, then every variant whose recall is
//! under 0.95 (what was missed, by how it was made). Benchmark only.

use std::collections::HashSet;

use vetter::probe::export::phi::Recognizers;
use vetter::probe::export::phi::score::{self, Label};

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
    let read = |f: &str| std::fs::read(format!("{dir}/{f}")).unwrap_or_else(|e| panic!("{dir}/{f}: {e}"));
    let (named_csv, neutral_csv) = (read("named.csv"), read("neutral.csv"));
    let t0 = std::time::Instant::now();
    let s = score::score_set(&rec, &labels, &named_csv, &neutral_csv).expect("scan");
    let secs = t0.elapsed().as_secs_f64();
    print!("{}", score::table(&s));
    println!("\nvariants under 0.95 recall:");
    for ((set, t, v), c) in &s.by_variant {
        if c.recall() < 0.95 {
            println!("{}\t{t}\t{v}\t{}/{}\t{:.3}", set.name(), c.tp, c.planted(), c.recall());
        }
    }
    if let Ok(want) = std::env::var("PHISCORE_SHOW") {
        let named = score::trace_csv(&rec, &named_csv).expect("scan");
        let neutral = score::trace_csv(&rec, &neutral_csv).expect("scan");
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
        for &(r, c, _) in trace.iter().filter(|t| norm(t.2.field()) == want) {
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
