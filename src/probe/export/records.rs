//! ② Collect (export probe): the record readers — CSV (delimiter and header detection, quoted
//! fields, ragged rows), NDJSON (line by line) and JSON (a top-level array, or arrays under a
//! top-level object, read element by element) — feeding every field to a [`Scan`]. Input: a
//! decompressed `BufRead`; output: calls into the scan. I/O only through the reader given.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, Read};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::phi::{self, ColumnClass, PhiScanner, Recognizers};
use super::retention::Retention;

/// Whether `name` (a column or JSON path) is one of `fields`, by full name or last segment.
fn names_any(fields: &[String], name: &str) -> bool {
    let last = name.rsplit('.').next();
    fields.iter().any(|f| f == name || last == Some(f.as_str()))
}

/// One column (a CSV header or a JSON field path).
pub struct Column {
    pub name: String,
    pub class: ColumnClass,
    /// Whether this is the retention date field / the erasure id field (decided once, not per
    /// value).
    retention: bool,
    erasure: bool,
}

/// Everything tallied over one export's records.
pub struct Scan<'r> {
    pub phi: PhiScanner<'r>,
    pub cols: Vec<Column>,
    index: HashMap<String, usize>,
    pub records: u64,
    pub parse_errors: u64,
    retention_field: Option<String>,
    pub retention: Option<Retention>,
    erasure_field: Option<String>,
    pub erasure: Option<super::Erasure>,
    /// Set when the content was recognised but not read (an XLSX over its cap): no PHI facts.
    pub unscanned: bool,
    reid_codes: Vec<String>,
}

impl<'r> Scan<'r> {
    pub fn new(rec: &'r Recognizers) -> Self {
        Scan {
            phi: PhiScanner::new(rec),
            cols: Vec::new(),
            index: HashMap::new(),
            records: 0,
            parse_errors: 0,
            retention_field: None,
            retention: None,
            erasure_field: None,
            erasure: None,
            unscanned: false,
            reid_codes: Vec::new(),
        }
    }

    pub fn with_retention(mut self, field: &str, r: Retention) -> Self {
        self.retention_field = Some(field.to_string());
        self.retention = Some(r);
        for c in &mut self.cols {
            c.retention = Self::matches(&self.retention_field, &c.name);
        }
        self
    }

    pub fn with_erasure(mut self, field: &str, e: super::Erasure) -> Self {
        self.erasure_field = Some(field.to_string());
        self.erasure = Some(e);
        for c in &mut self.cols {
            c.erasure = Self::matches(&self.erasure_field, &c.name);
        }
        self
    }

    /// Columns declared as 164.514(c) re-identification codes: scanned for patterns only,
    /// never counted as unique identifiers by their name.
    pub fn with_reidentification_codes(mut self, cols: &[String]) -> Self {
        for c in &mut self.cols {
            if names_any(cols, &c.name) {
                c.class = ColumnClass::Other;
            }
        }
        self.reid_codes = cols.to_vec();
        self
    }

    /// The index of a column, registering it on first sight.
    pub fn col(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.cols.len();
        self.cols.push(Column {
            name: name.to_string(),
            class: if names_any(&self.reid_codes, name) {
                ColumnClass::Other
            } else {
                phi::classify(name)
            },
            retention: Self::matches(&self.retention_field, name),
            erasure: Self::matches(&self.erasure_field, name),
        });
        self.index.insert(name.to_string(), i);
        i
    }

    fn matches(field: &Option<String>, name: &str) -> bool {
        names_any(field.as_slice(), name)
    }

    /// One field of the current record.
    pub fn field(&mut self, col: usize, value: &str) {
        let c = &self.cols[col];
        if c.retention
            && let Some(r) = &mut self.retention
        {
            r.value(value);
        }
        if c.erasure
            && let Some(e) = &mut self.erasure
        {
            e.value(value);
        }
        if self.phi.push(col, c.class, value) {
            // A full batch goes to the scanning thread while reading goes on.
            let cols = &self.cols;
            self.phi.flush(|i| cols[i].name.as_str());
        }
    }

    /// Scan the queued fields and wait for the scan to finish (the readers call this at the
    /// end; calling it again is free).
    pub fn flush(&mut self) {
        let cols = &self.cols;
        self.phi.finish(|i| cols[i].name.as_str());
    }

    pub fn end_record(&mut self) {
        self.records += 1;
    }
}

// ───────────────────────────── CSV ─────────────────────────────

/// The delimiter that occurs most often (outside quotes) in the first line.
fn delimiter(head: &[u8]) -> u8 {
    let line = memchr::memchr(b'\n', head).map_or(head, |i| &head[..i]);
    let mut counts = [0usize; 4];
    let cands = [b',', b'\t', b';', b'|'];
    let mut quoted = false;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = cands.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], 4 - i)).unwrap_or(0);
    cands[best]
}

/// A first row is a header when every field is a non-empty label: letters present, no digits
/// only, no date, no `@`, no repeats.
fn is_header(fields: &[String]) -> bool {
    let mut seen = std::collections::HashSet::new();
    !fields.is_empty()
        && fields.iter().all(|f| {
            let f = f.trim();
            !f.is_empty()
                && f.len() <= 128
                && f.chars().any(char::is_alphabetic)
                && !f.contains('@')
                && super::retention::parse_date(f).is_none()
                && seen.insert(f.to_ascii_lowercase())
        })
}

/// Read CSV/TSV records into the scan. An I/O error (truncated gzip, a line past the cap)
/// stops the read and is returned; malformed rows are counted in `parse_errors`.
pub fn read_csv<R: BufRead>(r: R, scan: &mut Scan) -> io::Result<()> {
    let r = read_csv_records(r, scan);
    scan.flush();
    r
}

fn read_csv_records<R: BufRead>(mut r: R, scan: &mut Scan) -> io::Result<()> {
    let head = r.fill_buf()?.to_vec();
    let delim = delimiter(&head);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(r);
    let mut rec = csv::ByteRecord::new();
    let mut header: Vec<usize> = Vec::new();
    let mut first = true;
    let mut width = 0;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => match e.into_kind() {
                csv::ErrorKind::Io(io) => return Err(io),
                _ => {
                    scan.parse_errors += 1;
                    continue;
                }
            },
        }
        if first {
            first = false;
            let mut names: Vec<String> = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect();
            if let Some(n) = names.first_mut() {
                *n = n.trim_start_matches('\u{feff}').to_string();
            }
            width = names.len();
            if is_header(&names) {
                header = names.iter().map(|n| scan.col(n)).collect();
                continue;
            }
            header = (1..=width).map(|i| scan.col(&format!("column_{i}"))).collect();
        }
        if rec.len() == 1 && rec.get(0).is_some_and(<[u8]>::is_empty) {
            continue; // blank line
        }
        let mut bad = rec.len() != width;
        // One UTF-8 check per record, not per field (fields are then slices of it; a field
        // boundary inside a character, or invalid bytes, falls back to the per-field check).
        let whole = std::str::from_utf8(rec.as_slice()).ok();
        for (i, f) in rec.iter().enumerate() {
            let col = match header.get(i) {
                Some(&c) => c,
                None => {
                    let c = scan.col(&format!("column_{}", i + 1));
                    header.push(c);
                    c
                }
            };
            let text = whole
                .zip(rec.range(i))
                .and_then(|(w, r)| w.get(r))
                .map_or_else(|| std::str::from_utf8(f), Ok);
            match text {
                Ok(s) => scan.field(col, s),
                Err(_) => {
                    bad = true;
                    scan.field(col, &String::from_utf8_lossy(f));
                }
            }
        }
        if bad {
            scan.parse_errors += 1;
        }
        scan.end_record();
    }
    Ok(())
}

// ───────────────────────────── JSON ─────────────────────────────

/// Walk a JSON value, giving each scalar to the scan under its dotted path.
fn walk(scan: &mut Scan, path: &mut String, v: &Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(scan, path, x, depth + 1);
                path.truncate(len);
            }
        }
        Value::Array(a) => {
            for x in a {
                walk(scan, path, x, depth + 1);
            }
        }
        Value::String(s) => {
            let c = scan.col(if path.is_empty() { "value" } else { path });
            scan.field(c, s);
        }
        Value::Number(n) => {
            let c = scan.col(if path.is_empty() { "value" } else { path });
            scan.field(c, &n.to_string());
        }
        Value::Bool(_) | Value::Null => {}
    }
}

fn record(scan: &mut Scan, prefix: &str, v: &Value) {
    let mut path = prefix.to_string();
    walk(scan, &mut path, v, 0);
    scan.end_record();
}

/// NDJSON: one JSON value per line; a line that does not parse is a parse error.
pub fn read_ndjson<R: BufRead>(r: R, scan: &mut Scan) -> io::Result<()> {
    let r = read_ndjson_records(r, scan);
    scan.flush();
    r
}

fn read_ndjson_records<R: BufRead>(r: R, scan: &mut Scan) -> io::Result<()> {
    super::reader::json_lines(r, |v| match v {
        Ok(v) => record(scan, "", &v),
        Err(_) => scan.parse_errors += 1,
    })
}

/// Elements of an array, each a record.
struct Records<'a, 'r> {
    scan: &'a mut Scan<'r>,
    prefix: &'a str,
}

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            record(self.scan, self.prefix, &v);
        }
        Ok(())
    }
}

/// The top level: an array of records, or an object whose array members are record lists
/// (`{"patients": [...]}`) and whose other members are one metadata record.
struct Top<'a, 'r> {
    scan: &'a mut Scan<'r>,
}

impl<'de> DeserializeSeed<'de> for Top<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

/// A member of the top-level object: streamed if it is an array, else kept as a value.
struct Member<'a, 'r> {
    scan: &'a mut Scan<'r>,
    key: &'a str,
}

impl<'de> DeserializeSeed<'de> for Member<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! scalar_visits {
    () => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(Value::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(Value::from(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(Value::from(v)))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(Value::from(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(Value::from(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Some(Value::Null))
        }
    };
}

impl<'de> Visitor<'de> for Member<'_, '_> {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    scalar_visits!();
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Option<Value>, A::Error> {
        Records {
            scan: self.scan,
            prefix: self.key,
        }
        .visit_seq(seq)?;
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        use serde::Deserialize;
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

impl<'de> Visitor<'de> for Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON array or object")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Records {
            scan: self.scan,
            prefix: "",
        }
        .visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut meta = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if let Some(v) = map.next_value_seed(Member {
                scan: self.scan,
                key: "",
            })? {
                meta.insert(key, v);
            }
        }
        if !meta.is_empty() {
            record(self.scan, "", &Value::Object(meta));
        }
        Ok(())
    }
}

/// A JSON document (array or object), streamed element by element. A syntax error stops the
/// read and counts one parse error; an I/O error is returned.
pub fn read_json<R: BufRead>(r: R, scan: &mut Scan) -> io::Result<()> {
    let r = read_json_records(r, scan);
    scan.flush();
    r
}

fn read_json_records<R: BufRead>(r: R, scan: &mut Scan) -> io::Result<()> {
    let mut de = serde_json::Deserializer::from_reader(r);
    match (Top { scan }).deserialize(&mut de).and_then(|_| de.end()) {
        Ok(()) => Ok(()),
        Err(e) if e.is_io() => Err(io::Error::other(e.to_string())),
        Err(_) => {
            // serde_json's message quotes no input; still, keep only the position.
            scan.parse_errors += 1;
            Ok(())
        }
    }
}

// ───────────────────────────── XLSX ─────────────────────────────

/// Largest `xl/sharedStrings.xml` (uncompressed) accepted: calamine holds the shared-string
/// table in memory, so a bigger one is refused rather than loaded.
pub const MAX_SHARED_STRINGS: u64 = 256 * 1024 * 1024;

/// A cell's text as the scan sees it: numbers without a trailing `.0`, dates as ISO dates.
fn cell_text(v: &calamine::DataRef) -> Option<String> {
    use calamine::DataRef::*;
    match v {
        Int(i) => Some(i.to_string()),
        Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Float(f) => Some(f.to_string()),
        String(s) | DateTimeIso(s) => Some(s.clone()),
        SharedString(s) => Some((*s).to_string()),
        DateTime(d) => {
            // Serial days from 1899-12-30 (the 1900 date system).
            let days = d.as_f64().floor() as i64;
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
            epoch
                .checked_add_signed(chrono::Duration::days(days))
                .map(|x| x.format("%Y-%m-%d").to_string())
        }
        Bool(_) | DurationIso(_) | Error(_) | Empty => None,
    }
}

// ───────────────────────────── PDF ─────────────────────────────

/// Largest PDF export whose text is scanned (lopdf needs the whole file in memory).
pub const PDF_CAP: u64 = 64 * 1024 * 1024;

/// The text layer of a PDF export, each line scanned as free text (patterns and context words
/// only: a printout has no column names). A PDF has no records, so none are counted. A PDF over
/// [`PDF_CAP`], encrypted, or without a text layer (a scan) is left unscanned: its PHI facts
/// stay unknown rather than erroring every rule on the file.
pub fn read_pdf_text<R: Read>(r: R, scan: &mut Scan) -> io::Result<()> {
    let mut buf = Vec::new();
    r.take(PDF_CAP + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > PDF_CAP {
        scan.unscanned = true;
        return Ok(());
    }
    let Ok(doc) = crate::probe::evidence::text::pdf(&buf) else {
        scan.unscanned = true;
        return Ok(());
    };
    let col = scan.col("pdf text");
    for line in &doc.lines {
        scan.field(col, &line.text);
    }
    Ok(())
}

/// Every worksheet of an XLSX workbook (already in memory: calamine needs `Read + Seek`),
/// streamed cell by cell. Per sheet, the first non-empty row is a header when it looks like
/// one (as in CSV); each later row is a record.
pub fn read_xlsx<RS: io::Read + io::Seek>(rs: RS, scan: &mut Scan) -> io::Result<()> {
    // calamine is a third-party parser of hostile bytes: a panic inside it (its cell-reference
    // arithmetic overflows on a long column name in debug builds) becomes this export's error
    // fact instead of ending the run.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_xlsx_records(rs, &mut *scan)))
        .unwrap_or_else(|_| {
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "xlsx: the workbook is malformed (its reader failed)",
            ))
        });
    scan.flush();
    r
}

/// Columns of a worksheet (Excel's limit, XFD). A cell reference further right is malformed:
/// the cell is skipped as a parse error, so one cell cannot make the scan create millions of
/// columns.
pub const MAX_XLSX_COLUMNS: u32 = 16_384;

fn read_xlsx_records<RS: io::Read + io::Seek>(mut rs: RS, scan: &mut Scan) -> io::Result<()> {
    use calamine::Reader;
    let bad = |e: &dyn fmt::Display| io::Error::new(io::ErrorKind::InvalidData, format!("xlsx: {e}"));
    {
        let mut z = zip::ZipArchive::new(&mut rs).map_err(|e| bad(&e))?;
        if let Ok(f) = z.by_name("xl/sharedStrings.xml")
            && f.size() > MAX_SHARED_STRINGS
        {
            return Err(bad(&format!(
                "shared strings of {} MiB exceed the {} MiB cap",
                f.size() >> 20,
                MAX_SHARED_STRINGS >> 20
            )));
        }
    }
    rs.seek(io::SeekFrom::Start(0))?;
    let mut wb = calamine::Xlsx::new(rs).map_err(|e| bad(&e))?;
    for sheet in wb.sheet_names() {
        let mut cells = wb.worksheet_cells_reader(&sheet).map_err(|e| bad(&e))?;
        let mut header: Option<Vec<usize>> = None;
        let mut row: Vec<(u32, String)> = Vec::new();
        let mut cur = None;
        loop {
            let next = cells.next_cell().map_err(|e| bad(&e))?;
            let pos = next.as_ref().map(|c| c.get_position().0);
            if pos != cur && !row.is_empty() {
                xlsx_row(scan, &mut header, std::mem::take(&mut row));
            }
            let Some(c) = next else { break };
            cur = pos;
            if let Some(t) = cell_text(c.get_value()) {
                row.push((c.get_position().1, t));
            }
        }
    }
    Ok(())
}

fn xlsx_row(scan: &mut Scan, header: &mut Option<Vec<usize>>, row: Vec<(u32, String)>) {
    if header.is_none() {
        let names: Vec<String> = row.iter().map(|(_, t)| t.trim().to_string()).collect();
        let contiguous = row.iter().enumerate().all(|(i, (c, _))| *c as usize == i);
        if contiguous && is_header(&names) {
            *header = Some(names.iter().map(|n| scan.col(n)).collect());
            return;
        }
        *header = Some(Vec::new());
    }
    let h = header.as_mut().expect("set above");
    for (c, t) in row {
        if c >= MAX_XLSX_COLUMNS {
            scan.parse_errors += 1;
            continue;
        }
        let c = c as usize;
        while h.len() <= c {
            let n = h.len() + 1;
            h.push(scan.col(&format!("column_{n}")));
        }
        let col = h[c];
        scan.field(col, &t);
    }
    scan.end_record();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_header_delimiter_ragged() {
        let rec = Recognizers::new();
        let mut s = Scan::new(&rec);
        let data = b"id;ssn;notes\n1;219-45-6789;\"a;b\nc\"\n2;x\n3;y;z;extra\n";
        read_csv(&data[..], &mut s).unwrap();
        assert_eq!(s.records, 3);
        assert_eq!(s.parse_errors, 2);
        assert_eq!(s.phi.facts().types.ssn.count, 1);
        assert_eq!(s.cols[1].name, "ssn");
    }

    #[test]
    fn csv_without_header() {
        let rec = Recognizers::new();
        let mut s = Scan::new(&rec);
        read_csv(&b"1,219-45-6789\n2,312-201-0147\n"[..], &mut s).unwrap();
        assert_eq!(s.records, 2);
        assert_eq!(s.cols[0].name, "column_1");
    }

    #[test]
    fn json_array_and_nested() {
        let rec = Recognizers::new();
        let mut s = Scan::new(&rec);
        read_json(
            &br#"{"export":"x","patients":[{"name":{"first":"Ann"},"ssn":"219-45-6789"},{"ssn":"bad"}]}"#[..],
            &mut s,
        )
        .unwrap();
        assert_eq!(s.records, 3);
        assert_eq!(s.phi.facts().types.ssn.count, 1);
        assert_eq!(s.phi.facts().types.name.count, 1);
        let mut s = Scan::new(&rec);
        read_json(&b"[{\"a\":1},{\"a\":"[..], &mut s).unwrap();
        assert_eq!((s.records, s.parse_errors), (1, 1));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let mut s = Scan::new(&rec);
        read_json(deep.as_bytes(), &mut s).unwrap();
        assert_eq!(s.parse_errors, 1);
    }
}
