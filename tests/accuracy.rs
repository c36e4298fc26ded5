//! PHI accuracy against the generator's ground truth (tests/phigen.rs): precision and recall
//! of at least 0.99 per generated type, in CSV and NDJSON, and batch scanning equal to
//! row-by-row scanning.

use vetter::probe::export::{phi::Recognizers, records};

use crate::phigen::{self, Confusion, Rng, TYPES};

fn evaluate(ndjson: bool) {
    let rec = Recognizers::new();
    let mut rng = Rng::new(7);
    let mut conf = [Confusion::default(); TYPES.len()];
    let mut whole = if ndjson { String::new() } else { phigen::csv_header() };
    let mut found_total = [0u64; TYPES.len()];
    for i in 0..1500 {
        let row = phigen::row(&mut rng, i);
        let line = if ndjson {
            phigen::ndjson_line(&row)
        } else {
            phigen::csv_line(&row)
        };
        let doc = if ndjson {
            line.clone()
        } else {
            phigen::csv_header() + &line
        };
        let found = phigen::scan_counts(&rec, doc.as_bytes(), ndjson);
        for t in 0..TYPES.len() {
            conf[t].add(row.truth[t], found[t]);
            found_total[t] += found[t];
        }
        whole.push_str(&line);
    }
    for (t, c) in conf.iter().enumerate() {
        assert!(c.tp + c.fn_ >= 20, "{}: too few planted ({c:?})", TYPES[t]);
        assert!(
            c.precision() >= 0.99 && c.recall() >= 0.99,
            "{} ({}): precision {:.4} recall {:.4} {c:?}",
            TYPES[t],
            if ndjson { "ndjson" } else { "csv" },
            c.precision(),
            c.recall()
        );
    }
    // One scan of the whole file (batched regex passes) finds exactly what row-by-row scans do.
    assert_eq!(phigen::scan_counts(&rec, whole.as_bytes(), ndjson), found_total);
}

#[test]
fn generated_csv_precision_and_recall_per_type() {
    evaluate(false);
}

#[test]
fn generated_ndjson_precision_and_recall_per_type() {
    evaluate(true);
}

#[test]
fn batches_split_anywhere_give_the_same_counts() {
    // More than one 1 MiB batch: counts over the whole must equal the sum over pieces.
    let rec = Recognizers::new();
    let mut rng = Rng::new(11);
    let mut whole = phigen::csv_header();
    let mut truth = [0u64; TYPES.len()];
    while whole.len() < 3 << 20 {
        let row = phigen::row(&mut rng, 0);
        for (sum, n) in truth.iter_mut().zip(row.truth) {
            *sum += u64::from(n);
        }
        whole.push_str(&phigen::csv_line(&row));
    }
    let mut s = records::Scan::new(&rec);
    records::read_csv(whole.as_bytes(), &mut s).unwrap();
    let v = serde_json::to_value(s.phi.facts().types).unwrap();
    for (t, name) in TYPES.iter().enumerate() {
        let got = v[*name]["count"].as_u64().unwrap();
        // Row-level accuracy is asserted above; here the whole-file count stays within 1%.
        assert!(
            got.abs_diff(truth[t]) * 100 <= truth[t].max(1),
            "{name}: {got} vs {}",
            truth[t]
        );
    }
}
