//! The one way vetter opens a file it reads: the manifest and everything it names (exports,
//! audit logs, documents, side files) and everything the command line names (facts, reports,
//! rule packs, waivers, baselines, the CA file). Input: a path, what kind of input it is and
//! how long a pipe may go without data; output: a reader that ends. Does I/O (read-only).
//!
//! Every kind has a size cap (raised with `VETTER_MAX_<KIND>_BYTES`); a FIFO is read under the
//! wait (`--timeout`) and the cap; devices, sockets and directories are refused before they are
//! opened. The design is in docs/decisions-input.md.

pub mod hashing;
mod source;
pub mod stream;

use std::fmt;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::time::Duration;

use hashing::HashingReader;
pub use source::Source;

/// How long a pipe may go without data when no `--timeout` is given (its default).
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// What a file is to vetter: decides its size cap and names it in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Manifest,
    Waivers,
    /// One rule or phrasing pack file (`--rules`).
    Rules,
    /// A facts file (`eval`).
    Facts,
    /// A JSON report or portfolio (`verify`, `diff`, `--baseline`).
    Report,
    CaFile,
    /// A data export: streamed, so the cap only makes sure the read ends.
    Export,
    /// An audit-log export: streamed like an export.
    AuditLog,
    /// A document (`[[evidence]]`): read whole.
    Evidence,
    /// Attestation evidence, erasure lists and appointment exports the manifest names.
    SideFile,
}

impl Kind {
    /// Every kind, in the order the man page lists their caps.
    pub const ALL: [Kind; 10] = [
        Kind::Manifest,
        Kind::Waivers,
        Kind::Rules,
        Kind::Facts,
        Kind::Report,
        Kind::CaFile,
        Kind::Export,
        Kind::AuditLog,
        Kind::Evidence,
        Kind::SideFile,
    ];

    /// The default cap: config files comfortably above the largest real one, documents and
    /// facts at what fits in memory, streamed exports large enough never to stop a real scan.
    pub const fn default_cap(self) -> u64 {
        match self {
            Kind::Manifest | Kind::Waivers | Kind::Rules => 16 * MIB,
            Kind::Facts | Kind::Report | Kind::Evidence | Kind::SideFile => 256 * MIB,
            Kind::CaFile => MIB,
            Kind::Export | Kind::AuditLog => 64 * GIB,
        }
    }

    /// The environment variable that raises (or lowers) the cap.
    pub const fn env_var(self) -> &'static str {
        match self {
            Kind::Manifest => "VETTER_MAX_MANIFEST_BYTES",
            Kind::Waivers => "VETTER_MAX_WAIVERS_BYTES",
            Kind::Rules => "VETTER_MAX_RULES_BYTES",
            Kind::Facts => "VETTER_MAX_FACTS_BYTES",
            Kind::Report => "VETTER_MAX_REPORT_BYTES",
            Kind::CaFile => "VETTER_MAX_CA_FILE_BYTES",
            Kind::Export => "VETTER_MAX_EXPORT_BYTES",
            Kind::AuditLog => "VETTER_MAX_AUDIT_LOG_BYTES",
            Kind::Evidence => "VETTER_MAX_EVIDENCE_BYTES",
            Kind::SideFile => "VETTER_MAX_SIDE_FILE_BYTES",
        }
    }

    /// The name in messages ("the cap for a manifest").
    pub const fn noun(self) -> &'static str {
        match self {
            Kind::Manifest => "a manifest",
            Kind::Waivers => "a waiver file",
            Kind::Rules => "a rule pack",
            Kind::Facts => "a facts file",
            Kind::Report => "a report",
            Kind::CaFile => "a CA file",
            Kind::Export => "an export",
            Kind::AuditLog => "an audit log",
            Kind::Evidence => "a document",
            Kind::SideFile => "a side file",
        }
    }

    /// The kind of a report input by its `kind` field (for `verify`).
    pub fn of_report_input(kind: &str) -> Kind {
        match kind {
            "manifest" => Kind::Manifest,
            "export" => Kind::Export,
            "audit_log" => Kind::AuditLog,
            "evidence" => Kind::Evidence,
            "rules" | "phrasing" => Kind::Rules,
            _ => Kind::SideFile,
        }
    }

    /// Streamed in constant memory (exports, audit logs): a pipe may take as long as it keeps
    /// giving data. Everything else is read whole, and a pipe gets `--timeout` for all of it.
    pub const fn streamed(self) -> bool {
        matches!(self, Kind::Export | Kind::AuditLog)
    }

    /// The cap in force: the environment variable when set, else the default.
    pub fn cap(self) -> io::Result<u64> {
        match std::env::var(self.env_var()) {
            Err(std::env::VarError::NotPresent) => Ok(self.default_cap()),
            Ok(v) => parse_bytes(&v).ok_or_else(|| Refused::BadCap { kind: self, value: v }.into()),
            Err(std::env::VarError::NotUnicode(v)) => Err(Refused::BadCap {
                kind: self,
                value: v.to_string_lossy().into_owned(),
            }
            .into()),
        }
    }
}

/// `33554432`, `32M`, `32MiB`, `2G`: a byte count with an optional binary unit.
fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().ok()?;
    let mult = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => KIB,
        "M" | "MB" | "MIB" => MIB,
        "G" | "GB" | "GIB" => GIB,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// A size in the unit it is written in ("16 MiB", "1500 bytes").
fn human(n: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{} {name}", n / unit);
        }
    }
    format!("{n} bytes")
}

/// A size as an environment value ("64M", "4G").
fn short(n: u64) -> String {
    for (unit, name) in [(GIB, "G"), (MIB, "M"), (KIB, "K")] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{}{name}", n / unit);
        }
    }
    n.to_string()
}

/// Why the input layer would not (or could not finish to) read a file. Carried inside an
/// `io::Error`, so the callers' existing "cannot read PATH: …" messages name the file.
#[derive(Debug)]
pub enum Refused {
    TooLarge {
        kind: Kind,
        cap: u64,
    },
    NotAFile(&'static str),
    /// A pipe where only a regular file will do ([`check_regular`]).
    Pipe,
    Directory,
    Stalled {
        wait: Duration,
    },
    /// A pipe read whole that was still giving data when `--timeout` ran out.
    Unfinished {
        wait: Duration,
    },
    BadCap {
        kind: Kind,
        value: String,
    },
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::TooLarge { kind, cap } => write!(
                f,
                "larger than the {} cap for {}; if it is the right file, raise the cap with {}=<bytes> (e.g. {}={})",
                human(*cap),
                kind.noun(),
                kind.env_var(),
                kind.env_var(),
                short(cap.saturating_mul(4)),
            ),
            Refused::NotAFile(what) => write!(
                f,
                "is a {what}, not a regular file or a pipe: refused (a device or socket may never end)"
            ),
            Refused::Pipe => f.write_str("is a FIFO (pipe); this input is read only from a regular file"),
            Refused::Directory => f.write_str("is a directory, not a file"),
            Refused::Stalled { wait } => write!(
                f,
                "a FIFO that gave no data for {} s (no writer opened it, or the writer stalled): \
                 read stopped; pass a larger --timeout to wait longer",
                wait.as_secs_f64()
            ),
            Refused::Unfinished { wait } => write!(
                f,
                "a FIFO that did not finish within {} s (a writer too slow for a file read whole): \
                 read stopped; pass a larger --timeout to wait longer",
                wait.as_secs_f64()
            ),
            Refused::BadCap { kind, value } => write!(
                f,
                "{}={value:?} is not a byte count; set a number of bytes, optionally with K, M or G (e.g. 64M)",
                kind.env_var()
            ),
        }
    }
}

impl std::error::Error for Refused {}

impl From<Refused> for io::Error {
    fn from(r: Refused) -> io::Error {
        let kind = match r {
            Refused::TooLarge { .. } => io::ErrorKind::FileTooLarge,
            Refused::NotAFile(_) | Refused::Pipe | Refused::BadCap { .. } => io::ErrorKind::InvalidInput,
            Refused::Directory => io::ErrorKind::IsADirectory,
            Refused::Stalled { .. } | Refused::Unfinished { .. } => io::ErrorKind::TimedOut,
        };
        io::Error::new(kind, r)
    }
}

/// A file opened by the input layer: reads end with an error past the kind's cap.
pub struct Reader {
    src: Source,
    kind: Kind,
    cap: u64,
    read: u64,
}

impl Reader {
    fn too_large(&self) -> io::Error {
        Refused::TooLarge {
            kind: self.kind,
            cap: self.cap,
        }
        .into()
    }
}

impl Read for Reader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read > self.cap {
            return Err(self.too_large());
        }
        // At most one byte past the cap is asked for: enough to tell "exactly the cap" (then
        // end of file) from "over it".
        let room = usize::try_from(self.cap - self.read)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let end = buf.len().min(room);
        let n = self.src.read(&mut buf[..end])?;
        self.read += n as u64;
        if self.read > self.cap {
            return Err(self.too_large());
        }
        Ok(n)
    }
}

/// Open `path` as `kind`: a regular file, or a FIFO whose reads wait at most `wait` for data
/// (and, unless the kind is streamed, whose whole read ends by `wait`).
/// A file known to be over the cap is refused before anything is read.
pub fn open(path: &Path, kind: Kind, wait: Duration) -> io::Result<Reader> {
    let cap = kind.cap()?;
    let src = source::open(path, wait, !kind.streamed())?;
    if let Source::File(f) = &src
        && f.metadata()?.len() > cap
    {
        return Err(Refused::TooLarge { kind, cap }.into());
    }
    Ok(Reader {
        src,
        kind,
        cap,
        read: 0,
    })
}

/// [`open`] for a scan that hashes as it reads (exports, audit logs, side files).
pub fn open_hashing(path: &Path, kind: Kind, wait: Duration) -> io::Result<HashingReader<BufReader<Reader>>> {
    let r = open(path, kind, wait)?;
    Ok(HashingReader::new(BufReader::with_capacity(256 * 1024, r)))
}

/// Read a whole file of `kind` (at most its cap) into memory.
pub fn read(path: &Path, kind: Kind, wait: Duration) -> io::Result<Vec<u8>> {
    let mut r = open(path, kind, wait)?;
    let hint = match &r.src {
        Source::File(f) => f.metadata().map(|m| m.len().min(r.cap)).unwrap_or(0),
        Source::Fifo(_) => 0,
    };
    let mut buf = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    r.read_to_end(&mut buf)?;
    Ok(buf)
}

/// SHA-256 (hex) and length of a whole file of `kind`.
pub fn hash(path: &Path, kind: Kind, wait: Duration) -> io::Result<(String, u64)> {
    open_hashing(path, kind, wait)?.finish()
}

/// Check, without reading, that `path` is a regular file within the cap of `kind`: for files
/// that code outside this layer reads itself (which would block on a FIFO), so they are refused
/// here with a clear message first.
pub fn check_regular(path: &Path, kind: Kind) -> io::Result<()> {
    let cap = kind.cap()?;
    let meta = std::fs::metadata(path)?;
    if let Some(r) = source::refused_type(meta.file_type()) {
        return Err(r.into());
    }
    if !meta.is_file() {
        return Err(Refused::Pipe.into());
    }
    if meta.len() > cap {
        return Err(Refused::TooLarge { kind, cap }.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_with_units() {
        assert_eq!(parse_bytes("1500"), Some(1500));
        assert_eq!(parse_bytes("32M"), Some(32 * MIB));
        assert_eq!(parse_bytes("2 GiB"), Some(2 * GIB));
        assert_eq!(parse_bytes("1kb"), Some(KIB));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(parse_bytes("99999999999999999999G"), None);
        assert_eq!(human(16 * MIB), "16 MiB");
        assert_eq!(human(1500), "1500 bytes");
    }

    #[test]
    fn exactly_the_cap_reads_and_one_more_byte_does_not() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        let r = |cap: u64| {
            let mut rd = Reader {
                src: source::open(&p, DEFAULT_WAIT, true).unwrap(),
                kind: Kind::Facts,
                cap,
                read: 0,
            };
            let mut v = Vec::new();
            rd.read_to_end(&mut v).map(|_| v.len())
        };
        assert_eq!(r(100).unwrap(), 100);
        let e = r(99).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains("VETTER_MAX_FACTS_BYTES"), "{e}");
    }

    #[test]
    fn devices_and_directories_are_refused_unread() {
        let e = read(Path::new("/dev/zero"), Kind::Manifest, DEFAULT_WAIT).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let e = read(d.path(), Kind::Manifest, DEFAULT_WAIT).unwrap_err();
        assert_eq!(e.to_string(), "is a directory, not a file");
        assert!(check_regular(Path::new("/dev/null"), Kind::CaFile).is_err());
    }
}
