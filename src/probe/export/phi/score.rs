//! Scoring the scanner against labelled cells (the faker and mimesis benches in `bench/` and
//! the committed sample in `fixtures/phi-labelled/`). Input: labels per cell and the scan's
//! trace of (record, column, kind); output: precision and recall per type and setting. Pure.

use std::collections::{BTreeMap, HashMap};

use super::Kind;

/// Where a cell sits: under an ordinary column name, a neutral one (`c01`), or in free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Setting {
    Named,
    Neutral,
    FreeText,
}

impl Setting {
    pub fn name(self) -> &'static str {
        match self {
            Setting::Named => "named",
            Setting::Neutral => "neutral",
            Setting::FreeText => "free_text",
        }
    }
}

/// One labelled cell: `n` identifiers of type `kind` (a facts field name such as `phone`,
/// or `city`, which vetter may not report) made the way `variant` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub row: u64,
    pub col: u32,
    pub kind: String,
    pub variant: String,
    pub n: u32,
}

impl Label {
    /// One line of `labels.jsonl` (`{"row":..,"col":..,"type":..,"variant":..,"n":..}`) or
    /// of the committed fixtures' `labels.tsv` (`row col type variant n`, tab-separated).
    pub fn parse(line: &str) -> Option<Label> {
        if !line.starts_with('{') {
            let f: Vec<&str> = line.split('\t').collect();
            let [row, col, kind, variant, n] = f[..] else {
                return None;
            };
            return Some(Label {
                row: row.parse().ok()?,
                col: col.parse().ok()?,
                kind: kind.to_string(),
                variant: variant.to_string(),
                n: n.parse().ok()?,
            });
        }
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        Some(Label {
            row: v["row"].as_u64()?,
            col: u32::try_from(v["col"].as_u64()?).ok()?,
            kind: v["type"].as_str()?.to_string(),
            variant: v["variant"].as_str().unwrap_or("").to_string(),
            n: u32::try_from(v["n"].as_u64().unwrap_or(1)).ok()?,
        })
    }
}

/// True positives, false positives and false negatives of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub fn_: u64,
}

impl Confusion {
    pub fn planted(&self) -> u64 {
        self.tp + self.fn_
    }
    /// 1.0 when nothing was reported.
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    /// 1.0 when nothing was planted.
    pub fn recall(&self) -> f64 {
        if self.planted() == 0 {
            1.0
        } else {
            self.tp as f64 / self.planted() as f64
        }
    }
}

/// Per setting and type; per setting, type and variant (recall only: false positives have
/// no variant).
#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub by_type: BTreeMap<(Setting, String), Confusion>,
    pub by_variant: BTreeMap<(Setting, String, String), Confusion>,
}

/// One cell's planted identifiers: type → (variant, count) in label order.
type Planted = BTreeMap<String, Vec<(String, u32)>>;

/// The type a found kind is scored as: a restricted ZIP is a ZIP; outside a named column a
/// date of birth cannot be told from any other date, so both are `date` there.
fn scored(kind: &str, setting: Setting) -> String {
    match kind {
        "zip_restricted" => "zip".into(),
        "date_of_birth" if setting != Setting::Named => "date".into(),
        k => k.into(),
    }
}

/// Score a trace against labels. `setting(col)` places each column (`None`: not scored, e.g.
/// the free-text column of a second file already scored with the first).
pub fn score(labels: &[Label], trace: &[(u64, u32, Kind)], setting: impl Fn(u32) -> Option<Setting>) -> Scores {
    // Per cell: planted (type -> [(variant, n)]) and found (type -> n).
    let mut planted: HashMap<(u64, u32), Planted> = HashMap::new();
    for l in labels {
        let Some(s) = setting(l.col) else { continue };
        planted
            .entry((l.row, l.col))
            .or_default()
            .entry(scored(&l.kind, s))
            .or_default()
            .push((l.variant.clone(), l.n));
    }
    let mut found: HashMap<(u64, u32), BTreeMap<String, u32>> = HashMap::new();
    for &(row, col, k) in trace {
        let Some(s) = setting(col) else { continue };
        *found
            .entry((row, col))
            .or_default()
            .entry(scored(k.field(), s))
            .or_insert(0) += 1;
    }
    let mut out = Scores::default();
    let empty = BTreeMap::new();
    let mut cells: Vec<&(u64, u32)> = planted.keys().chain(found.keys()).collect();
    cells.sort_unstable();
    cells.dedup();
    for cell in cells {
        let Some(s) = setting(cell.1) else { continue };
        let want = planted.get(cell).unwrap_or(&empty);
        let got = found.get(cell);
        let mut types: Vec<&String> = want.keys().collect();
        if let Some(g) = got {
            types.extend(g.keys());
        }
        types.sort_unstable();
        types.dedup();
        for t in types {
            let w: u32 = want.get(t).map_or(0, |v| v.iter().map(|x| x.1).sum());
            let mut g = got.and_then(|g| g.get(t)).copied().unwrap_or(0);
            let c = out.by_type.entry((s, t.clone())).or_default();
            c.tp += u64::from(w.min(g));
            c.fp += u64::from(g.saturating_sub(w));
            c.fn_ += u64::from(w.saturating_sub(g));
            // Found ones are credited to the variants in label order.
            for (variant, n) in want.get(t).into_iter().flatten() {
                let hit = g.min(*n);
                g -= hit;
                let v = out.by_variant.entry((s, t.clone(), variant.clone())).or_default();
                v.tp += u64::from(hit);
                v.fn_ += u64::from(n - hit);
            }
        }
    }
    out
}

/// Scan a CSV document (header first) with the export reader and return its trace: every
/// hit as (record, column, kind).
pub fn trace_csv(rec: &super::Recognizers, csv: &[u8]) -> std::io::Result<Vec<(u64, u32, Kind)>> {
    let mut scan = crate::probe::export::records::Scan::new(rec);
    scan.phi = super::PhiScanner::new(rec).with_trace();
    crate::probe::export::records::read_csv(csv, &mut scan)?;
    scan.flush();
    Ok(scan.phi.trace().to_vec())
}

/// Score one labelled set: the named file (its free-text columns scored as free text) and
/// the same cells under neutral names (free-text columns left out).
pub fn score_set(rec: &super::Recognizers, labels: &[Label], named: &[u8], neutral: &[u8]) -> std::io::Result<Scores> {
    let free: std::collections::HashSet<u32> = labels
        .iter()
        .filter(|l| l.variant == "free_text")
        .map(|l| l.col)
        .collect();
    let mut s = score(labels, &trace_csv(rec, named)?, |c| {
        Some(if free.contains(&c) {
            Setting::FreeText
        } else {
            Setting::Named
        })
    });
    let n = score(labels, &trace_csv(rec, neutral)?, |c| {
        (!free.contains(&c)).then_some(Setting::Neutral)
    });
    s.by_type.extend(n.by_type);
    s.by_variant.extend(n.by_variant);
    Ok(s)
}

/// The scores as a tab-separated table (setting, type, planted, tp, fp, fn, precision, recall).
pub fn table(s: &Scores) -> String {
    let mut out = String::from("setting\ttype\tplanted\ttp\tfp\tfn\tprecision\trecall\n");
    for ((set, t), c) in &s.by_type {
        out.push_str(&format!(
            "{}\t{t}\t{}\t{}\t{}\t{}\t{:.3}\t{:.3}\n",
            set.name(),
            c.planted(),
            c.tp,
            c.fp,
            c.fn_,
            c.precision(),
            c.recall()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(row: u64, col: u32, kind: &str, n: u32) -> Label {
        Label {
            row,
            col,
            kind: kind.into(),
            variant: "v".into(),
            n,
        }
    }

    #[test]
    fn counts_per_cell() {
        let labels = [l(0, 0, "phone", 1), l(1, 0, "phone", 1), l(0, 1, "date", 2)];
        let trace = [
            (0, 0, Kind::Phone),
            (0, 1, Kind::Date),
            (2, 0, Kind::Phone),
            (0, 1, Kind::DateOfBirth),
        ];
        let s = score(&labels, &trace, |c| {
            Some(if c == 1 { Setting::FreeText } else { Setting::Named })
        });
        let phone = s.by_type[&(Setting::Named, "phone".to_string())];
        assert_eq!((phone.tp, phone.fp, phone.fn_), (1, 1, 1));
        // A date of birth found in free text is a date there.
        let date = s.by_type[&(Setting::FreeText, "date".to_string())];
        assert_eq!((date.tp, date.fp, date.fn_), (2, 0, 0));
        assert!(Label::parse(r#"{"row":3,"col":2,"type":"zip","variant":"en_US","n":1}"#).is_some());
        assert!(Label::parse("{}").is_none());
    }
}
