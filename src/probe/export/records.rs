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
    /// Names the manifest gives (declared columns, the retention and erasure fields, the
    /// re-identification codes): a first row of them is a header.
    known: Vec<String>,
    rec: &'r Recognizers,
    pub limits: Limits,
    /// The first counted cap a record went over, and how many records did.
    pub over_cap: Option<(String, u64)>,
}

/// The counted caps of one export's scan (see docs/decisions-export.md); each is raised in
/// the `[[export]]` entry's `limits` table.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Fields per CSV record.
    pub csv_fields: usize,
    /// Bytes per CSV field.
    pub field_bytes: usize,
    /// Entries in an XLSX shared-string table.
    pub xlsx_shared_strings: u64,
    /// Cells read from an XLSX workbook.
    pub xlsx_cells: u64,
    /// Pages, objects and time of a PDF export's text.
    pub pdf: crate::probe::evidence::text::PdfLimits,
}

/// Defaults of [`Limits`].
pub const CSV_FIELDS: usize = 16_384;
pub const FIELD_BYTES: usize = 16 * 1024 * 1024;
pub const XLSX_SHARED_STRINGS: u64 = 4_000_000;
pub const XLSX_CELLS: u64 = 50_000_000;
/// Distinct columns (CSV headers, JSON paths) named in the facts; later ones share one
/// column, `(more columns)`, so a file of ever-new keys cannot grow the registry without end.
pub const MAX_COLUMNS: usize = 10_000;
/// The name of that shared column.
pub const MORE_COLUMNS: &str = "(more columns)";

impl Default for Limits {
    fn default() -> Self {
        Limits {
            csv_fields: CSV_FIELDS,
            field_bytes: FIELD_BYTES,
            xlsx_shared_strings: XLSX_SHARED_STRINGS,
            xlsx_cells: XLSX_CELLS,
            pdf: crate::probe::evidence::text::PdfLimits {
                raise: "limits.pdf_pages / limits.pdf_objects in the [[export]] entry",
                ..Default::default()
            },
        }
    }
}

impl Limits {
    /// The defaults, raised where the manifest says, with a PDF's time from the run's timeout.
    pub fn new(m: Option<&crate::manifest::ExportLimits>, timeout: std::time::Duration) -> Self {
        let d = Limits::default();
        let size = |x: Option<u64>, d: usize| x.map_or(d, |x| usize::try_from(x).unwrap_or(usize::MAX));
        let m = m.copied().unwrap_or_default();
        Limits {
            csv_fields: size(m.csv_fields, d.csv_fields),
            field_bytes: size(m.field_bytes, d.field_bytes),
            xlsx_shared_strings: m.xlsx_shared_strings.unwrap_or(d.xlsx_shared_strings),
            xlsx_cells: m.xlsx_cells.unwrap_or(d.xlsx_cells),
            pdf: crate::probe::evidence::text::PdfLimits {
                pages: size(m.pdf_pages, d.pdf.pages),
                objects: size(m.pdf_objects, d.pdf.objects),
                time: timeout.saturating_mul(crate::probe::evidence::text::PDF_TIME_FACTOR),
                raise: d.pdf.raise,
            },
        }
    }
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
            known: Vec::new(),
            rec,
            limits: Limits::default(),
            over_cap: None,
        }
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Columns the manifest declares (a first row of them is a header).
    pub fn with_declared(mut self, cols: &[String]) -> Self {
        self.known.extend(cols.iter().cloned());
        self
    }

    /// A record went over a counted cap: the first message is kept, the records counted.
    pub fn over(&mut self, msg: impl FnOnce() -> String) {
        match &mut self.over_cap {
            Some((_, n)) => *n += 1,
            None => self.over_cap = Some((msg(), 1)),
        }
    }

    /// Every name the manifest gives for this export.
    fn known_names(&self) -> impl Iterator<Item = &String> {
        self.known
            .iter()
            .chain(&self.reid_codes)
            .chain(self.retention_field.iter())
            .chain(self.erasure_field.iter())
    }

    /// Whether `name` can be reported as a column name: it looks like a label, or the manifest
    /// gives it. A name that does not (a data row, a key that is an identifier) is never
    /// reported raw.
    pub fn reportable(&self, name: &str) -> bool {
        let n = name.trim();
        self.known_names().any(|k| k.eq_ignore_ascii_case(n)) || label_like(self.rec, n)
    }

    /// The assessment date, for what depends on it in the PHI scan (ages implied by birth years).
    pub fn with_as_of(mut self, as_of: chrono::NaiveDate) -> Self {
        self.phi = self.phi.with_as_of(as_of);
        self
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
        if self.cols.len() >= MAX_COLUMNS && name != MORE_COLUMNS {
            return self.col(MORE_COLUMNS);
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
        self.phi.set_row(self.records);
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

/// Whether a name looks like a column label: 1–64 characters, starting with a letter (or `_`,
/// `@`, `$`, `#`), of letters, digits, spaces and `_ - . / # ( ) % ? '`, without five digits
/// in a row, a date or anything a PHI pattern could start to match. A raw data value (a
/// name aside) fails this; a field of `/etc/shadow` does too.
pub fn label_like(rec: &Recognizers, name: &str) -> bool {
    let n = name.trim();
    let mut run = 0;
    (1..=64).contains(&n.chars().count())
        && n.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || "_@$#".contains(c))
        && n.chars().all(|c| {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            run < 5 && (c.is_alphanumeric() || " _-./#()%?'".contains(c))
        })
        && !n.contains('@')
        && super::phi::dates::parse_any(n, super::phi::dates::Order::MonthFirst).is_none()
        && rec.matches(n.as_bytes()).next().is_none()
}

/// The kind of a value, to tell a header cell from the data under it.
fn digits_in(v: &str) -> bool {
    v.bytes().any(|b| b.is_ascii_digit())
}

/// Whether the first row is a header, judged against the rows after it (`rest`, a few dozen
/// at most). Every cell must be a distinct [`label_like`] name; then each column votes: a name
/// the manifest gives (+3) or one the PHI classifier knows (+2), a name without digits over
/// values that all have some (+1), a length unlike that of a column of fixed-length codes
/// (+1, equal −1), and the name repeated as a value below (−2). A header needs a positive total: rows of
/// plain words ("Ann,Lee,Boston") are data, and their names are scanned, not reported.
fn is_header(scan: &Scan, first: &[String], rest: &[Vec<String>]) -> bool {
    let mut seen = std::collections::HashSet::new();
    if first.is_empty()
        || !first
            .iter()
            .all(|f| scan.reportable(f) && seen.insert(f.trim().to_lowercase()))
    {
        return false;
    }
    let mut score = 0i64;
    for (j, h) in first.iter().enumerate() {
        let h = h.trim();
        if scan.known_names().any(|k| k.eq_ignore_ascii_case(h)) {
            score += 3;
        } else if phi::classify(h) != ColumnClass::Other {
            score += 2;
        }
        let values: Vec<&str> = rest
            .iter()
            .filter_map(|r| r.get(j))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            continue;
        }
        if values.iter().any(|v| v.eq_ignore_ascii_case(h)) {
            score -= 2;
        }
        if !digits_in(h) && values.iter().all(|v| digits_in(v)) {
            score += 1;
        }
        // Fixed-length codes (SSNs, ZIPs, state codes) say more than words of equal length.
        let len = values[0].chars().count();
        let codes = values.iter().all(|v| digits_in(v) || v.chars().count() <= 3);
        if values.len() > 1 && codes && values.iter().all(|v| v.chars().count() == len) {
            score += if h.chars().count() == len { -1 } else { 1 };
        }
    }
    score > 0
}

/// The rows read ahead to decide the header, at most this many...
const LOOKAHEAD_ROWS: usize = 32;
/// ... and at most this many bytes of them.
const LOOKAHEAD_BYTES: usize = 1024 * 1024;

/// Read CSV/TSV records into the scan. An I/O error (truncated gzip, a line past the cap)
/// stops the read and is returned; malformed rows are counted in `parse_errors`.
pub fn read_csv<R: BufRead>(r: R, scan: &mut Scan) -> io::Result<()> {
    let r = read_csv_records(r, scan);
    scan.flush();
    r
}

/// CSV fields one at a time (csv-core), each cut at a byte cap: memory is bounded by the cap,
/// not by the record (a record of ten million fields, or a quoted field spanning gigabytes of
/// lines, is never held).
struct CsvFields<R> {
    src: R,
    core: csv_core::Reader,
    /// The current field is `buf[..len]`; the buffer only grows (to the cap), so short fields
    /// cost no allocation or clearing.
    buf: Vec<u8>,
    len: usize,
    /// Where the bytes of a field past the cap go.
    sink: Vec<u8>,
    cap: usize,
    /// The current field went over the cap (its first `cap` bytes are kept).
    over: bool,
    eof: bool,
}

/// What [`CsvFields::next`] read.
enum CsvEvent {
    Field { record_end: bool },
    End,
}

impl<R: BufRead> CsvFields<R> {
    fn new(src: R, delim: u8, cap: usize) -> Self {
        CsvFields {
            src,
            core: csv_core::ReaderBuilder::new().delimiter(delim).build(),
            buf: vec![0; 256.min(cap)],
            len: 0,
            sink: vec![0; 8192],
            cap,
            over: false,
            eof: false,
        }
    }

    fn field(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    fn next(&mut self) -> io::Result<CsvEvent> {
        self.len = 0;
        self.over = false;
        loop {
            let input: &[u8] = if self.eof {
                &[]
            } else {
                let b = self.src.fill_buf()?;
                if b.is_empty() {
                    self.eof = true;
                }
                b
            };
            if self.len == self.buf.len() && self.buf.len() < self.cap {
                let grown = (self.buf.len().max(128) * 2).min(self.cap);
                self.buf.resize(grown, 0);
            }
            let (res, nin) = if self.len < self.buf.len() {
                let (res, nin, nout) = self.core.read_field(input, &mut self.buf[self.len..]);
                self.len += nout;
                (res, nin)
            } else {
                let (res, nin, nout) = self.core.read_field(input, &mut self.sink);
                self.over |= nout > 0;
                (res, nin)
            };
            if !self.eof {
                self.src.consume(nin);
            }
            match res {
                csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
                csv_core::ReadFieldResult::Field { record_end } => return Ok(CsvEvent::Field { record_end }),
                csv_core::ReadFieldResult::End => return Ok(CsvEvent::End),
            }
        }
    }
}

/// One record being fed to the scan.
#[derive(Default)]
struct Row {
    fields: usize,
    bad: bool,
    over_fields: bool,
}

/// A row kept while the header is decided.
struct Held {
    fields: Vec<(Vec<u8>, bool)>,
    over_fields: bool,
}

fn csv_field(scan: &mut Scan, header: &mut Vec<usize>, row: &mut Row, bytes: &[u8], over: bool) {
    let i = row.fields;
    row.fields += 1;
    if i >= scan.limits.csv_fields {
        row.over_fields = true;
        return;
    }
    let col = match header.get(i) {
        Some(&c) => c,
        None => {
            let c = scan.col(&format!("column_{}", i + 1));
            header.push(c);
            c
        }
    };
    if over {
        row.bad = true;
        let cap = scan.limits.field_bytes;
        scan.over(|| {
            format!(
                "a field longer than {cap} bytes, the cap on one CSV field (raise it with \
                 limits.field_bytes in the [[export]] entry): its first {cap} bytes were scanned, \
                 the record counted in parse_errors"
            )
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => scan.field(col, s),
        Err(_) => {
            row.bad = true;
            scan.field(col, &String::from_utf8_lossy(bytes));
        }
    }
}

fn csv_end(scan: &mut Scan, row: Row, width: usize) {
    if row.over_fields {
        let cap = scan.limits.csv_fields;
        let n = row.fields;
        scan.over(|| {
            format!(
                "a record of {n} fields, over the cap of {cap} fields per CSV record (raise it with \
                 limits.csv_fields in the [[export]] entry): fields past the cap were not scanned, \
                 the record counted in parse_errors"
            )
        });
    }
    if row.bad || row.over_fields || row.fields != width {
        scan.parse_errors += 1;
    }
    scan.end_record();
}

fn read_csv_records<R: BufRead>(mut r: R, scan: &mut Scan) -> io::Result<()> {
    if r.fill_buf()?.starts_with(b"\xef\xbb\xbf") {
        r.consume(3);
    }
    let head = r.fill_buf()?.to_vec();
    let delim = delimiter(&head);
    let mut rdr = CsvFields::new(r, delim, scan.limits.field_bytes);
    // Read ahead a few rows (bounded in count and bytes) to decide whether the first is a header.
    let mut held: Vec<Held> = Vec::new();
    let mut held_bytes = 0usize;
    let mut cur = Held {
        fields: Vec::new(),
        over_fields: false,
    };
    let mut ended = false;
    while held.len() < LOOKAHEAD_ROWS && held_bytes < LOOKAHEAD_BYTES {
        match rdr.next()? {
            CsvEvent::End => {
                ended = true;
                break;
            }
            CsvEvent::Field { record_end } => {
                if cur.fields.len() < scan.limits.csv_fields {
                    held_bytes += rdr.len + 16;
                    cur.fields.push((rdr.field().to_vec(), rdr.over));
                } else {
                    cur.over_fields = true;
                }
                if record_end {
                    let row = std::mem::replace(
                        &mut cur,
                        Held {
                            fields: Vec::new(),
                            over_fields: false,
                        },
                    );
                    if !(row.fields.len() == 1 && row.fields[0].0.is_empty()) {
                        held.push(row);
                    }
                }
            }
        }
    }
    if held.is_empty() && cur.fields.is_empty() {
        return Ok(());
    }
    let text = |h: &Held| -> Vec<String> {
        h.fields
            .iter()
            .map(|(f, _)| String::from_utf8_lossy(f).trim().to_string())
            .collect()
    };
    let first = held.first().map(text).unwrap_or_default();
    let rest: Vec<Vec<String>> = held.iter().skip(1).map(text).collect();
    let width = first.len();
    let mut header: Vec<usize> = Vec::new();
    let mut skip = 0;
    if held.first().is_some_and(|h| !h.over_fields) && is_header(scan, &first, &rest) {
        header = first.iter().map(|n| scan.col(n)).collect();
        skip = 1;
    } else {
        header.extend((1..=width.min(scan.limits.csv_fields)).map(|i| scan.col(&format!("column_{i}"))));
    }
    for h in held.iter().skip(skip) {
        let mut row = Row {
            over_fields: h.over_fields,
            ..Row::default()
        };
        for (f, over) in &h.fields {
            csv_field(scan, &mut header, &mut row, f, *over);
        }
        if h.over_fields {
            row.fields = row.fields.max(scan.limits.csv_fields + 1);
        }
        csv_end(scan, row, width);
    }
    drop(held);
    // A record cut by the read-ahead's bounds goes on where it stopped.
    let mut row = Row::default();
    for (f, over) in std::mem::take(&mut cur.fields) {
        csv_field(scan, &mut header, &mut row, &f, over);
    }
    row.over_fields = cur.over_fields;
    let mut started = row.fields > 0;
    if ended {
        if started {
            csv_end(scan, row, width);
        }
        return Ok(());
    }
    loop {
        match rdr.next()? {
            CsvEvent::End => {
                if started {
                    csv_end(scan, row, width);
                }
                return Ok(());
            }
            CsvEvent::Field { record_end } => {
                let blank = !started && record_end && rdr.len == 0;
                if !blank {
                    csv_field(scan, &mut header, &mut row, rdr.field(), rdr.over);
                    started = true;
                }
                if record_end && started {
                    csv_end(scan, std::mem::take(&mut row), width);
                    started = false;
                }
            }
        }
    }
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
                if json_key_reportable(scan, k) {
                    path.push_str(k);
                } else {
                    // A key that is data (an SSN, an e-mail address, a record id): every such
                    // key is one column `*`, and the key itself is scanned as a value there.
                    path.push('*');
                    let c = scan.col(path);
                    scan.field(c, k);
                }
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

/// A JSON key is reported as (part of) a column name when it looks like a label; one with a
/// space must also be a name the classifier or the manifest knows ("First Name", not "Ann
/// Lee": keys of data are seldom spelt with spaces, and names as keys often are).
fn json_key_reportable(scan: &Scan, k: &str) -> bool {
    scan.reportable(k)
        && (!k.contains(' ')
            || phi::classify(k) != ColumnClass::Other
            || scan.known_names().any(|n| n.eq_ignore_ascii_case(k.trim())))
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
    crate::probe::input::stream::json_lines(r, |v| match v {
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

/// Excel's serial day 0 in the 1900 date system.
fn excel_epoch() -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
}

/// A cell's text as the scan sees it: numbers without a trailing `.0`, dates as ISO dates.
/// `Err` for a date cell whose serial is no date (`1e20`, `inf`): a parse error, not a panic.
fn cell_text(v: &calamine::DataRef) -> Result<Option<String>, ()> {
    use calamine::DataRef::*;
    Ok(match v {
        Int(i) => Some(i.to_string()),
        Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Float(f) => Some(f.to_string()),
        String(s) | DateTimeIso(s) => Some(s.clone()),
        SharedString(s) => Some((*s).to_string()),
        DateTime(d) => {
            // Serial days from 1899-12-30; every step checked (chrono's unchecked constructors
            // panic out of range, and the serial is the vendor's).
            let days = d.as_f64().floor();
            let date = (days.is_finite() && days.abs() < 1e9)
                .then(|| chrono::TimeDelta::try_days(days as i64))
                .flatten()
                .and_then(|delta| excel_epoch()?.checked_add_signed(delta))
                .ok_or(())?;
            Some(date.format("%Y-%m-%d").to_string())
        }
        Bool(_) | DurationIso(_) | Error(_) | Empty => None,
    })
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
    use crate::probe::evidence::text::{PdfError, pdf_limited};
    let doc = match pdf_limited(&buf, scan.limits.pdf) {
        Ok(doc) => doc,
        Err(PdfError::Unreadable(_)) => {
            scan.unscanned = true;
            return Ok(());
        }
        Err(PdfError::Limit(m)) => {
            scan.unscanned = true;
            return Err(io::Error::new(io::ErrorKind::InvalidData, m));
        }
    };
    let col = scan.col("pdf text");
    for line in &doc.lines {
        scan.field(col, &line.text);
    }
    Ok(())
}

/// Every worksheet of an XLSX workbook (already in memory: calamine needs `Read + Seek`),
/// streamed cell by cell. Per sheet, the first non-empty row is a header when it looks like
/// one (as in CSV, judged with the rows after it); each later row is a record.
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

/// The entries of a shared-string table, counted as they stream through the XML parser and
/// stopped past `cap`: calamine keeps one `String` per entry (24 bytes even when empty), so a
/// small file of empty entries must be refused before calamine reads it.
fn shared_strings<R: BufRead>(r: R, cap: u64) -> io::Result<u64> {
    use quick_xml::events::Event;
    let mut x = quick_xml::Reader::from_reader(r);
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        let ev = x
            .read_event_into(&mut buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("xlsx: xl/sharedStrings.xml: {e}")))?;
        match ev {
            Event::Eof => return Ok(n),
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "si" => {
                n += 1;
                if n > cap {
                    return Ok(n);
                }
            }
            _ => {}
        }
        buf.clear();
    }
}

/// Columns of a worksheet (Excel's limit, XFD). A cell reference further right is malformed:
/// the cell is skipped as a parse error, so one cell cannot make the scan create millions of
/// columns.
pub const MAX_XLSX_COLUMNS: u32 = 16_384;

fn read_xlsx_records<RS: io::Read + io::Seek>(mut rs: RS, scan: &mut Scan) -> io::Result<()> {
    use calamine::Reader;
    let bad = |e: &dyn fmt::Display| io::Error::new(io::ErrorKind::InvalidData, format!("xlsx: {e}"));
    let cap = scan.limits.xlsx_shared_strings;
    {
        let mut z = zip::ZipArchive::new(&mut rs).map_err(|e| bad(&e))?;
        if let Ok(f) = z.by_name("xl/sharedStrings.xml") {
            if f.size() > MAX_SHARED_STRINGS {
                return Err(bad(&format!(
                    "shared strings of {} MiB exceed the {} MiB cap",
                    f.size() >> 20,
                    MAX_SHARED_STRINGS >> 20
                )));
            }
            let n = shared_strings(io::BufReader::new(f.take(MAX_SHARED_STRINGS)), cap)?;
            if n > cap {
                scan.unscanned = true;
                return Err(bad(&format!(
                    "more than {cap} shared strings, the cap on an XLSX shared-string table (raise it \
                     with limits.xlsx_shared_strings in the [[export]] entry, or export as CSV): not scanned"
                )));
            }
        }
    }
    rs.seek(io::SeekFrom::Start(0))?;
    let mut wb = calamine::Xlsx::new(rs).map_err(|e| bad(&e))?;
    let cell_cap = scan.limits.xlsx_cells;
    let mut cells_read = 0u64;
    for sheet in wb.sheet_names() {
        let mut cells = wb.worksheet_cells_reader(&sheet).map_err(|e| bad(&e))?;
        let mut sheet = XlsxSheet::default();
        let mut row: Vec<(u32, String)> = Vec::new();
        let mut row_bad = false;
        let mut cur = None;
        loop {
            let next = cells.next_cell().map_err(|e| bad(&e))?;
            let pos = next.as_ref().map(|c| c.get_position().0);
            if pos != cur && (!row.is_empty() || row_bad) {
                sheet.row(scan, std::mem::take(&mut row), std::mem::take(&mut row_bad));
            }
            let Some(c) = next else { break };
            cells_read += 1;
            if cells_read > cell_cap {
                sheet.finish(scan);
                return Err(bad(&format!(
                    "more than {cell_cap} cells, the cap on cells read from a workbook (raise it with \
                     limits.xlsx_cells in the [[export]] entry, or export as CSV): the rest was not scanned"
                )));
            }
            cur = pos;
            match cell_text(c.get_value()) {
                Ok(Some(t)) => row.push((c.get_position().1, t)),
                Ok(None) => {}
                Err(()) => row_bad = true,
            }
        }
        sheet.finish(scan);
    }
    Ok(())
}

/// One worksheet's rows: the first few are held until the header is decided.
#[derive(Default)]
struct XlsxSheet {
    header: Option<Vec<usize>>,
    held: Vec<(Vec<(u32, String)>, bool)>,
    held_bytes: usize,
}

impl XlsxSheet {
    fn row(&mut self, scan: &mut Scan, row: Vec<(u32, String)>, bad: bool) {
        if let Some(h) = &mut self.header {
            return xlsx_record(scan, h, row, bad);
        }
        self.held_bytes += row.iter().map(|(_, t)| t.len() + 16).sum::<usize>();
        self.held.push((row, bad));
        if self.held.len() >= LOOKAHEAD_ROWS || self.held_bytes >= LOOKAHEAD_BYTES {
            self.decide(scan);
        }
    }

    /// Decide the header from the held rows, then scan them.
    fn decide(&mut self, scan: &mut Scan) {
        let held = std::mem::take(&mut self.held);
        let Some((first, first_bad)) = held.first() else {
            return;
        };
        let names: Vec<String> = first.iter().map(|(_, t)| t.trim().to_string()).collect();
        let contiguous = first.iter().enumerate().all(|(i, (c, _))| *c as usize == i);
        let rest: Vec<Vec<String>> = held[1..]
            .iter()
            .map(|(r, _)| {
                let mut v = vec![String::new(); r.last().map_or(0, |(c, _)| *c as usize + 1).min(names.len())];
                for (c, t) in r {
                    if let Some(slot) = v.get_mut(*c as usize) {
                        *slot = t.trim().to_string();
                    }
                }
                v
            })
            .collect();
        let mut skip = 0;
        if contiguous && !first_bad && is_header(scan, &names, &rest) {
            self.header = Some(names.iter().map(|n| scan.col(n)).collect());
            skip = 1;
        } else {
            self.header = Some(Vec::new());
        }
        let h = self.header.as_mut().expect("set above");
        for (row, bad) in held.into_iter().skip(skip) {
            xlsx_record(scan, h, row, bad);
        }
    }

    fn finish(&mut self, scan: &mut Scan) {
        if self.header.is_none() {
            self.decide(scan);
        }
    }
}

fn xlsx_record(scan: &mut Scan, h: &mut Vec<usize>, row: Vec<(u32, String)>, bad: bool) {
    for (c, t) in row {
        if c >= MAX_XLSX_COLUMNS {
            scan.parse_errors += 1;
            continue;
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            continue; // past Excel's own 16,384 columns: a hostile sheet
        }
        while h.len() <= c {
            let n = h.len() + 1;
            h.push(scan.col(&format!("column_{n}")));
        }
        let col = h[c];
        scan.field(col, &t);
    }
    if bad {
        scan.parse_errors += 1;
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
