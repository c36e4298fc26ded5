//! Benchmark tool (not run by CI): writes a synthetic export with ground truth, or scores
//! vetter's PHI recognizers against it.
//!   cargo run --release --example phigen -- write SIZE_MB out.csv truth.jsonl
//!   cargo run --release --example phigen -- eval out.csv truth.jsonl
//!   cargo run --release --example phigen -- patterns
//! `write` plants identifiers and near misses (tests/phigen.rs) and writes one JSON line of
//! counts per row; `eval` scans each row with vetter's CSV reader and prints precision, recall
//! and throughput per type; `patterns` prints the alternation of every pattern vetter searches
//! (for ripgrep in bench/export-phi.sh).

#[path = "../tests/phigen.rs"]
mod phigen;

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::time::Instant;

use phigen::{Confusion, Rng, TYPES};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("write") if args.len() == 4 => write(args[1].parse().expect("SIZE_MB"), &args[2], &args[3]),
        Some("eval") if args.len() == 3 => eval(&args[1], &args[2]),
        Some("patterns") => {
            let alt: Vec<String> = vetter::probe::export::phi::PATTERNS
                .iter()
                .map(|(_, p)| format!("(?:{p})"))
                .collect();
            println!("{}", alt.join("|"));
        }
        _ => {
            eprintln!(
                "usage: phigen write SIZE_MB out.csv truth.jsonl | phigen eval out.csv truth.jsonl | phigen patterns"
            );
            std::process::exit(2);
        }
    }
}

fn write(mb: u64, csv: &str, truth: &str) {
    let mut out = BufWriter::new(std::fs::File::create(csv).expect("create csv"));
    let mut tr = BufWriter::new(std::fs::File::create(truth).expect("create truth"));
    let mut rng = Rng::new(1);
    let mut n = phigen::csv_header().len() as u64;
    out.write_all(phigen::csv_header().as_bytes()).unwrap();
    let mut i = 0;
    while n < mb * 1_000_000 {
        let row = phigen::row(&mut rng, i);
        let line = phigen::csv_line(&row);
        out.write_all(line.as_bytes()).unwrap();
        let m: serde_json::Map<String, serde_json::Value> = TYPES
            .iter()
            .zip(row.truth)
            .filter(|(_, c)| *c > 0)
            .map(|(t, c)| (t.to_string(), c.into()))
            .collect();
        writeln!(tr, "{}", serde_json::Value::Object(m)).unwrap();
        n += line.len() as u64;
        i += 1;
    }
    eprintln!("{i} rows, {n} bytes");
}

fn eval(csv: &str, truth: &str) {
    let rec = vetter::probe::export::phi::Recognizers::new();
    let text = std::fs::read_to_string(csv).expect("read csv");
    let truths = BufReader::new(std::fs::File::open(truth).expect("open truth"));
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
    let header = phigen::csv_header();
    let mut conf = [Confusion::default(); TYPES.len()];
    let t0 = Instant::now();
    let mut rec_buf = csv::StringRecord::new();
    let mut lines = truths.lines();
    let mut scan_secs = 0.0;
    while rdr.read_record(&mut rec_buf).expect("csv") {
        let tv: serde_json::Value = serde_json::from_str(&lines.next().expect("truth line").unwrap()).unwrap();
        let fields: Vec<String> = rec_buf.iter().map(String::from).collect();
        let row = phigen::Row {
            fields,
            truth: [0; TYPES.len()],
        };
        let doc = header.clone() + &phigen::csv_line(&row);
        let s = Instant::now();
        let found = phigen::scan_counts(&rec, doc.as_bytes(), false);
        scan_secs += s.elapsed().as_secs_f64();
        for (t, name) in TYPES.iter().enumerate() {
            conf[t].add(tv[*name].as_u64().unwrap_or(0) as u32, found[t]);
        }
    }
    println!("type\tplanted\ttp\tfp\tfn\tprecision\trecall");
    for (t, c) in conf.iter().enumerate() {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{:.4}\t{:.4}",
            TYPES[t],
            c.tp + c.fn_,
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall()
        );
    }
    let whole = Instant::now();
    let mut s = vetter::probe::export::records::Scan::new(&rec);
    vetter::probe::export::records::read_csv(text.as_bytes(), &mut s).unwrap();
    let w = whole.elapsed().as_secs_f64();
    println!(
        "row-by-row: {:.1} s total ({:.1} s scanning); whole file in one scan: {:.2} s = {:.0} MB/s",
        t0.elapsed().as_secs_f64(),
        scan_secs,
        w,
        text.len() as f64 / 1e6 / w
    );
}
