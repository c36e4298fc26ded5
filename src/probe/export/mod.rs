//! ② Collect: the export probe. Input: each `[[export]]` file (plus its erasure list and
//! integrity sidecars); output: `exports[]` facts. Does file I/O: each export is read once,
//! hashed in the same pass that detects its container and format and scans its records, with
//! memory bounded by the longest record (and an XLSX workbook by a 64 MiB cap), never by the
//! file size.
//!
//! Produces: `exports[].{path,sha256,bytes,error,format,container,encrypted,encryption,
//! integrity_proof,deidentified,records,parse_errors,columns,unexpected_columns,erasure,phi,
//! retention}`.

pub mod encryption;
pub mod phi;
pub mod records;
pub mod retention;

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use super::*;
use encryption::Sniff;
use input::stream::{self as reader, Counted, Format, LineCap, RatioGuard};
use records::Scan;

/// Subjects whose erasure was requested: plain identifiers and/or their SHA-256 (hex).
#[derive(Debug, Clone, Default)]
pub struct Erasure {
    plain: HashSet<String>,
    hashed: HashSet<String>,
    seen: HashSet<String>,
}

impl Erasure {
    /// One identifier per line; a 64-hex line is taken as the SHA-256 of an identifier.
    pub fn parse(text: &str) -> Self {
        let mut e = Erasure::default();
        for l in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit()) {
                e.hashed.insert(l.to_ascii_lowercase());
            } else {
                e.plain.insert(l.to_string());
            }
        }
        e
    }

    pub fn requested(&self) -> u64 {
        (self.plain.len() + self.hashed.len()) as u64
    }

    fn value(&mut self, v: &str) {
        let v = v.trim();
        if self.plain.contains(v) {
            self.seen.insert(v.to_string());
        }
        if !self.hashed.is_empty() {
            let h = hex::encode(Sha256::digest(v.as_bytes()));
            if self.hashed.contains(&h) {
                self.seen.insert(h);
            }
        }
    }

    pub fn still_present(&self) -> u64 {
        self.seen.len() as u64
    }
}

fn recognizers() -> &'static phi::Recognizers {
    static R: OnceLock<phi::Recognizers> = OnceLock::new();
    R.get_or_init(phi::Recognizers::new)
}

/// Scans every `[[export]]`.
pub struct ExportProbe;

impl Probe for ExportProbe {
    fn name(&self) -> &'static str {
        "export"
    }
    fn produces(&self) -> &'static [&'static str] {
        &[
            "exports[].sha256",
            "exports[].bytes",
            "exports[].error",
            "exports[].format",
            "exports[].container",
            "exports[].encrypted",
            "exports[].encryption",
            "exports[].integrity_proof",
            "exports[].records",
            "exports[].parse_errors",
            "exports[].columns",
            "exports[].unexpected_columns",
            "exports[].erasure",
            "exports[].phi",
            "exports[].retention",
        ]
    }
    fn tasks(&self, m: &Manifest) -> Vec<Task> {
        m.export
            .iter()
            .enumerate()
            .map(|(i, e)| Task {
                kind: ResourceKind::Export,
                index: i,
                label: e.path.clone(),
            })
            .collect()
    }
    fn run(&self, task: &Task, ctx: &ProbeContext) -> ProbeResult {
        let e = &ctx.manifest.export[task.index];
        let (facts, input) = scan_export_observed(
            ctx.manifest,
            e,
            ctx.settings.as_of,
            ctx.settings.timeout,
            ctx.file_progress(task, &e.path),
        );
        ProbeResult {
            output: Output::Export(facts),
            inputs: vec![input],
        }
    }
}

/// How long a FIFO export may go without data when no timeout is given (the CLI's
/// `--timeout` is used otherwise).
pub const FIFO_WAIT: std::time::Duration = input::DEFAULT_WAIT;

/// Scan one export file: the whole probe for one `[[export]]`, usable without a runner.
pub fn scan_export(m: &Manifest, e: &crate::manifest::Export, as_of: chrono::NaiveDate) -> (ExportFacts, Input) {
    scan_export_with(m, e, as_of, FIFO_WAIT)
}

/// [`scan_export`] with the longest wait for a FIFO's data (a FIFO no writer opens, or whose
/// writer stalls, ends with an error fact after it).
pub fn scan_export_with(
    m: &Manifest,
    e: &crate::manifest::Export,
    as_of: chrono::NaiveDate,
    fifo_wait: std::time::Duration,
) -> (ExportFacts, Input) {
    scan_export_observed(m, e, as_of, fifo_wait, None)
}

/// [`scan_export_with`], reporting bytes read to `progress`.
pub fn scan_export_observed(
    m: &Manifest,
    e: &crate::manifest::Export,
    as_of: chrono::NaiveDate,
    fifo_wait: std::time::Duration,
    progress: Option<super::ByteSink>,
) -> (ExportFacts, Input) {
    let path = m.resolve(&e.path);
    let mut facts = ExportFacts {
        path: e.path.clone(),
        deidentified: e.deidentified,
        portability: e.portability,
        retention: RetentionFacts {
            date_field: e.retention.as_ref().map(|r| r.date_field.clone()),
            max_age_days: e
                .retention
                .as_ref()
                .map(|r| i64::try_from(r.max_age_days).unwrap_or(i64::MAX)),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut input = Input {
        path: e.path.clone(),
        kind: "export".into(),
        sha256: None,
        bytes: None,
    };
    let mut erasure = None;
    if let Some(er) = &e.erasure {
        let text = input::read(&m.resolve(&er.file), input::Kind::SideFile, fifo_wait).and_then(|b| {
            String::from_utf8(b).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
        });
        match text {
            Ok(t) => erasure = Some(Erasure::parse(&t)),
            Err(err) => {
                facts.error = Some(format!(
                    "cannot read the erasure list {}: {}",
                    er.file,
                    input::hashing::describe(&err)
                ));
            }
        }
    }
    let mut hr = match input::open_hashing(&path, input::Kind::Export, fifo_wait) {
        Ok(h) => h,
        Err(err) => {
            facts.error = Some(format!("cannot read {}: {}", e.path, input::hashing::describe(&err)));
            return (facts, input);
        }
    };
    hr.set_progress(progress);
    // The size at the start: a file truncated or appended to while it is read is reported, not
    // silently scanned in part (only regular files have a size to compare).
    let size_at_open = std::fs::metadata(&path)
        .ok()
        .filter(|md| md.is_file())
        .map(|md| md.len());
    let mut scan = Scan::new(recognizers())
        .with_limits(records::Limits::new(e.limits.as_ref(), fifo_wait))
        .with_as_of(as_of);
    if let Some(cols) = &e.columns {
        scan = scan.with_declared(cols);
    }
    if let Some(codes) = &e.reidentification_codes {
        scan = scan.with_reidentification_codes(codes);
    }
    if let Some(r) = &e.retention {
        let max = i64::try_from(r.max_age_days).unwrap_or(i64::MAX);
        scan = scan.with_retention(&r.date_field, retention::Retention::new(as_of, max));
    }
    if let (Some(er), Some(list)) = (&e.erasure, erasure) {
        scan = scan.with_erasure(&er.column, list);
    }
    let outcome = scan_stream(&mut hr, &mut scan, &mut facts);
    scan.flush(); // the readers finish their own scans; this covers any early return
    if let Err(err) = outcome {
        facts.error = Some(format!("{}: {}", e.path, input::hashing::describe(&err)));
    }
    if let Some((msg, n)) = &scan.over_cap {
        // The records were still counted and scanned up to the cap: the facts stand, and the
        // error says what was cut.
        facts
            .error
            .get_or_insert_with(|| format!("{}: {n} record(s) over a cap; the first: {msg}", e.path));
    }
    match hr.finish() {
        Ok((h, n)) => {
            let size_now = std::fs::metadata(&path).ok().map(|md| md.len());
            if let Some(at_open) = size_at_open
                && (n != at_open || size_now != Some(n))
            {
                facts.error.get_or_insert_with(|| {
                    format!(
                        "{}: the file changed while being read ({at_open} bytes at open, {n} read, {} now): \
                         counts and hash cover a partial or mixed file",
                        e.path,
                        size_now.map_or("gone".to_string(), |x| format!("{x} bytes"))
                    )
                });
            }
            facts.sha256 = Some(h.clone());
            facts.bytes = Some(n);
            input.sha256 = Some(h);
            input.bytes = Some(n);
        }
        Err(err) => {
            facts
                .error
                .get_or_insert_with(|| format!("cannot read {}: {}", e.path, input::hashing::describe(&err)));
        }
    }
    facts.integrity_proof = Some(integrity_proof(&path, facts.sha256.as_deref()));
    fill(&mut facts, &scan, e);
    (facts, input)
}

/// Move the scan's tallies into the facts (only for what was actually scanned).
fn fill(facts: &mut ExportFacts, scan: &Scan, e: &crate::manifest::Export) {
    if facts.format.is_none() || !scanned(facts) || scan.unscanned {
        return;
    }
    facts.records = Some(scan.records);
    facts.parse_errors = Some(scan.parse_errors);
    let columns: Vec<String> = scan.cols.iter().map(|c| c.name.clone()).collect();
    let phi = scan.phi.facts();
    if let Some(declared) = &e.columns {
        let declared: HashSet<&str> = declared.iter().map(String::as_str).collect();
        facts.unexpected_columns = Some(
            scan.phi
                .phi_columns()
                .map(|i| scan.cols[i].name.clone())
                .filter(|c| !declared.contains(c.as_str()))
                .collect(),
        );
    }
    facts.columns = Some(columns);
    facts.phi = Some(phi);
    if let Some(r) = &scan.retention {
        facts.retention.oldest = r.oldest.map(|d| d.format("%Y-%m-%d").to_string());
        facts.retention.newest = r.newest.map(|d| d.format("%Y-%m-%d").to_string());
        facts.retention.past_retention = Some(r.past);
        facts.retention.unparsed = Some(r.unparsed);
    }
    if let Some(er) = &scan.erasure {
        facts.erasure.requested = Some(er.requested());
        facts.erasure.still_present = Some(er.still_present());
    }
    if facts.format.as_deref() == Some("pdf") {
        // Text, not records: only the PHI facts mean anything.
        facts.records = None;
        facts.parse_errors = None;
        facts.columns = None;
        facts.unexpected_columns = None;
        facts.retention.oldest = None;
        facts.retention.newest = None;
        facts.retention.past_retention = None;
        facts.retention.unparsed = None;
        facts.erasure.still_present = None;
    }
}

fn scanned(f: &ExportFacts) -> bool {
    matches!(
        f.format.as_deref(),
        Some("csv" | "json" | "ndjson" | "xlsx" | "empty" | "pdf")
    )
}

/// Detect container and encryption, then read the records. Returns an I/O error (truncated
/// gzip, a bomb, a vanished file) after recording what was learnt before it.
fn scan_stream<R: Read>(file: &mut R, scan: &mut Scan, facts: &mut ExportFacts) -> io::Result<()> {
    let compressed = Rc::new(Cell::new(0u64));
    let mut src = BufReader::with_capacity(
        256 * 1024,
        Counted {
            inner: file,
            n: compressed.clone(),
        },
    );
    let head = src.fill_buf()?;
    let head = head[..head.len().min(16 * 1024)].to_vec();
    let sniff = encryption::sniff(&head);
    let (encrypted, enc) = sniff.encryption();
    facts.encrypted = encrypted;
    facts.encryption = enc.map(str::to_string);
    match sniff {
        Sniff::Age | Sniff::OpenPgp | Sniff::HighEntropy => Ok(()),
        Sniff::Gzip => {
            facts.container = Some("gzip".into());
            let d = RatioGuard::new(flate2::read::MultiGzDecoder::new(src), compressed);
            records(BufReader::with_capacity(256 * 1024, d), scan, facts)
        }
        Sniff::Zstd => {
            facts.container = Some("zstd".into());
            let d = ruzstd::decoding::StreamingDecoder::new(src)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
            let d = RatioGuard::new(d, compressed);
            records(BufReader::with_capacity(256 * 1024, d), scan, facts)
        }
        Sniff::Xz | Sniff::Bzip2 => {
            facts.container = Some(if sniff == Sniff::Xz { "xz" } else { "bzip2" }.into());
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "this compression is recognised but not read (re-export as gzip, zstd or zip)",
            ))
        }
        Sniff::Zip { aes, zipcrypto } => {
            facts.container = Some("zip".into());
            if aes || zipcrypto {
                return Ok(()); // members cannot be read without the password
            }
            if ooxml_first_member(&head) {
                return workbook(src, compressed, scan, facts);
            }
            zip_members(src, compressed, scan, facts)
        }
        Sniff::Plain => records(src, scan, facts),
    }
}

/// Largest workbook buffered for calamine (which needs `Read + Seek`).
pub const XLSX_CAP: u64 = 64 * 1024 * 1024;

/// Whether a ZIP's first local header names an Office Open XML part (an XLSX workbook writes
/// `[Content_Types].xml`, `_rels/` or `docProps/` first).
fn ooxml_first_member(head: &[u8]) -> bool {
    if head.len() < 30 || &head[..4] != b"PK\x03\x04" {
        return false;
    }
    let n = usize::from(u16::from_le_bytes([head[26], head[27]]));
    let name = head.get(30..30 + n).unwrap_or_default();
    name == b"[Content_Types].xml"
        || name.starts_with(b"_rels/")
        || name.starts_with(b"docProps/")
        || name.starts_with(b"xl/")
}

/// An XLSX workbook: buffered (the same bytes pass through the hashing reader) up to
/// [`XLSX_CAP`], then read with calamine; a bigger one is an error fact, and the rest of the
/// file is still read by the caller to finish the hash.
fn workbook<R: Read>(src: R, compressed: Rc<Cell<u64>>, scan: &mut Scan, facts: &mut ExportFacts) -> io::Result<()> {
    facts.format = Some("xlsx".into());
    let mut buf = Vec::new();
    src.take(XLSX_CAP + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > XLSX_CAP {
        scan.unscanned = true;
        return Err(io::Error::new(
            io::ErrorKind::OutOfMemory,
            format!(
                "an XLSX workbook over the {} MiB buffering cap: not scanned (export as CSV)",
                XLSX_CAP >> 20
            ),
        ));
    }
    // The shared-string table is the one part calamine holds whole; its declared size is
    // capped in read_xlsx, and the ratio guard is not needed for cell-by-cell sheet reading.
    let _ = compressed;
    records::read_xlsx(io::Cursor::new(buf), scan)
}

/// Every member of a ZIP archive, read from the stream in order (no seeking, so the file is
/// still read once). An XLSX workbook is recognised by its parts.
fn zip_members<R: Read>(
    mut src: R,
    compressed: Rc<Cell<u64>>,
    scan: &mut Scan,
    facts: &mut ExportFacts,
) -> io::Result<()> {
    let mut members = 0u32;
    loop {
        let entry = zip::read::read_zipfile_from_stream(&mut src)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zip: {e}")))?;
        let Some(f) = entry else { break };
        if f.is_dir() {
            continue;
        }
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        if name == "[Content_Types].xml" || name.starts_with("xl/") {
            facts.format = Some("xlsx".into());
            scan.unscanned = true;
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "an XLSX workbook: recognised, but this build does not scan spreadsheet cells",
            ));
        }
        if f.encrypted() {
            facts.encrypted = Some(false);
            facts.encryption = Some("zipcrypto".into());
            continue;
        }
        members += 1;
        if members > 10_000 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "more than 10,000 members in the archive",
            ));
        }
        let guarded = RatioGuard::new(f, compressed.clone());
        records(BufReader::with_capacity(256 * 1024, guarded), scan, facts)?;
    }
    Ok(())
}

/// Detect the record format of a decompressed stream and read it.
fn records<R: BufRead>(mut r: R, scan: &mut Scan, facts: &mut ExportFacts) -> io::Result<()> {
    let head = r.fill_buf()?;
    let format = reader::detect(&head[..head.len().min(64 * 1024)]);
    if facts.format.is_none() || facts.format.as_deref() == Some("empty") {
        facts.format = match format {
            Format::Empty => Some("empty".into()),
            f => f.name().map(str::to_string),
        };
    }
    match format {
        Format::Csv => records::read_csv(BufReader::new(LineCap::new(r, reader::MAX_LINE)), scan),
        Format::Ndjson => records::read_ndjson(BufReader::new(LineCap::new(r, reader::MAX_LINE)), scan),
        Format::Json => records::read_json(r, scan),
        Format::Empty => Ok(()),
        // A PDF's text layer is scanned for PHI (a printout of patients is still PHI); an XML
        // export is recognised and hashed only. Neither has records; the portability rules
        // judge the format, and facts that cannot be known stay null rather than erroring
        // every rule on the file.
        Format::Pdf => records::read_pdf_text(r, scan),
        Format::Xml => Ok(()),
        Format::Binary => {
            let (enc, how) = if encryption::entropy(r.fill_buf()?) > 7.2 {
                (None, Some("unknown".to_string()))
            } else {
                (facts.encrypted, facts.encryption.clone())
            };
            facts.encrypted = enc;
            facts.encryption = how;
            Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "binary content in no format this build reads",
            ))
        }
    }
}

/// A sidecar proves integrity: `<file>.sha256` (verified against the hash just computed),
/// `<file>.sig`, `.asc` or `.minisig`, or a `SHA256SUMS` next to it that lists the hash.
fn integrity_proof(path: &Path, sha: Option<&str>) -> bool {
    let s = path.as_os_str().to_string_lossy();
    for ext in [".sig", ".asc", ".minisig", ".p7s"] {
        if Path::new(&format!("{s}{ext}")).is_file() {
            return true;
        }
    }
    let Some(sha) = sha else { return false };
    let mut candidates = vec![format!("{s}.sha256")];
    if let Some(dir) = path.parent() {
        candidates.push(dir.join("SHA256SUMS").to_string_lossy().into_owned());
    }
    candidates.iter().any(|c| {
        // Only a small regular file: a pipe or device named like a checksum file is not one.
        std::fs::metadata(c).is_ok_and(|md| md.is_file() && md.len() < 1 << 20)
            && input::read(Path::new(c), input::Kind::SideFile, input::DEFAULT_WAIT)
                .is_ok_and(|t| String::from_utf8(t).is_ok_and(|t| t.to_ascii_lowercase().contains(sha)))
    })
}

/// The reading half of [`scan_export`] on bytes already in memory: container, encryption,
/// format and records, without the file's hash, size check or sidecars. The fuzz targets
/// (`fuzz/`) drive the whole export reader through this; the probe itself reads files.
pub fn scan_bytes(bytes: &[u8], e: &crate::manifest::Export, as_of: chrono::NaiveDate) -> ExportFacts {
    let mut facts = ExportFacts {
        path: e.path.clone(),
        ..Default::default()
    };
    let mut scan = Scan::new(recognizers()).with_as_of(as_of);
    if let Some(r) = &e.retention {
        let max = i64::try_from(r.max_age_days).unwrap_or(i64::MAX);
        scan = scan.with_retention(&r.date_field, retention::Retention::new(as_of, max));
    }
    let mut src = bytes;
    if let Err(err) = scan_stream(&mut src, &mut scan, &mut facts) {
        facts.error = Some(format!("{}: {}", e.path, input::hashing::describe(&err)));
    }
    scan.flush();
    fill(&mut facts, &scan, e);
    facts
}
