//! Where a command's output goes: `--format` and `--output` paired and checked before any work
//! (a wrong flag stops the run with exit 2 before anything is probed or written), then written
//! with each file named on stderr.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::ValueEnum;

use super::args::Global;
use super::{UsageError, write_stdout};
use vetter::report::Format;

/// Every report format, for the commands that write reports.
pub const REPORT_FORMATS: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::Markdown,
    Format::Sarif,
    Format::Junit,
    Format::Html,
    Format::Oscal,
];
/// Text for people, or JSON for programs.
pub const TEXT_OR_JSON: &[Format] = &[Format::Table, Format::Json];

/// What a command can write.
pub struct Writes {
    /// The command as typed, e.g. `rules list`.
    pub cmd: &'static str,
    /// The `--format`s it can write; empty: it writes one fixed kind and takes no `--format`.
    pub formats: &'static [Format],
    /// Whether it can write to `--output` files at all.
    pub files: bool,
}

/// One output: stdout or a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    Stdout,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Target {
    pub format: Format,
    pub dest: Dest,
}

pub fn name(f: Format) -> String {
    f.to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// The format a file name asks for: `Ok(None)` for no extension (the default format).
fn by_extension(p: &Path) -> std::result::Result<Option<Format>, String> {
    let file = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if file.ends_with(".oscal.json") {
        return Ok(Some(Format::Oscal));
    }
    let Some(ext) = p.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()) else {
        return Ok(None);
    };
    Ok(Some(match ext.as_str() {
        "txt" | "text" => Format::Table,
        "json" => Format::Json,
        "md" | "markdown" => Format::Markdown,
        "sarif" => Format::Sarif,
        "xml" => Format::Junit,
        "html" | "htm" => Format::Html,
        _ => return Err(ext),
    }))
}

/// The extensions that name each of `formats`, for help text.
fn extensions(formats: &[Format]) -> String {
    let ext = |f: &Format| match f {
        Format::Table => ".txt",
        Format::Json => ".json",
        Format::Markdown => ".md",
        Format::Sarif => ".sarif",
        Format::Junit => ".xml",
        Format::Html => ".html",
        Format::Oscal => ".oscal.json",
    };
    formats.iter().map(ext).collect::<Vec<_>>().join(", ")
}

fn refuse(w: &Writes, f: Format) -> anyhow::Error {
    let can: Vec<String> = w.formats.iter().map(|f| name(*f)).collect();
    anyhow!(UsageError(format!(
        "`vetter {}` cannot write --format {}; it writes {}",
        w.cmd,
        name(f),
        can.join(", ")
    )))
}

/// Pair the i-th `--format` with the i-th `--output` (`-` is stdout); a file without a
/// `--format` takes the format its extension names, and one whose extension names none is
/// refused rather than filled with a table.
pub fn plan(g: &Global, w: &Writes) -> Result<Vec<Target>> {
    if w.formats.is_empty() && !g.format.is_empty() {
        return Err(anyhow!(UsageError(format!(
            "`vetter {}` takes no --format: it writes one kind of output",
            w.cmd
        ))));
    }
    if !w.files && !g.output.is_empty() {
        return Err(anyhow!(UsageError(format!(
            "`vetter {}` takes no --output: it writes its files into the directory given",
            w.cmd
        ))));
    }
    if let Some(f) = g.format.iter().find(|f| !w.formats.contains(f)) {
        return Err(refuse(w, *f));
    }
    let default = w.formats.first().copied().unwrap_or(Format::Table);
    let n = g.format.len().max(g.output.len()).max(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let dest = match g.output.get(i) {
            None => Dest::Stdout,
            Some(p) if p.as_os_str() == "-" => Dest::Stdout,
            Some(p) => Dest::File(p.clone()),
        };
        let format = match (g.format.get(i), &dest) {
            (Some(f), _) => *f,
            (None, Dest::File(p)) if !w.formats.is_empty() => match by_extension(p) {
                Ok(Some(f)) if w.formats.contains(&f) => f,
                Ok(Some(f)) => return Err(refuse(w, f)),
                Ok(None) => default,
                Err(ext) => {
                    return Err(anyhow!(UsageError(format!(
                        "cannot tell the format of --output {} from `.{ext}`\n  help: name the file for its format ({}), \
                         or say which with --format, e.g. --format {} --output {}",
                        p.display(),
                        extensions(w.formats),
                        name(if w.formats.contains(&Format::Html) {
                            Format::Html
                        } else {
                            default
                        }),
                        p.display()
                    ))));
                }
            },
            (None, _) => default,
        };
        out.push(Target { format, dest });
    }
    Ok(out)
}

/// Write `text` to the target; a file is named on stderr ("wrote report.html") unless --quiet.
pub fn write(g: &Global, dest: &Dest, text: &str, what: &str) -> Result<()> {
    match dest {
        Dest::Stdout => write_stdout(text),
        Dest::File(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {what} to {}", p.display()))?;
            wrote(g, p);
            Ok(())
        }
    }
}

/// Name a written file on stderr unless --quiet.
pub fn wrote(g: &Global, p: &Path) {
    if !g.quiet {
        eprintln!("wrote {}", p.display());
    }
}

/// A command with one output: its single target (several `--output`s are refused).
pub fn single(g: &Global, w: &Writes) -> Result<Target> {
    let mut t = plan(g, w)?;
    if t.len() > 1 {
        return Err(anyhow!(UsageError(format!(
            "`vetter {}` writes one output: give at most one --format and one --output",
            w.cmd
        ))));
    }
    Ok(t.remove(0))
}
