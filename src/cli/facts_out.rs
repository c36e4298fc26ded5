//! Where `--save-facts` writes: one file for one vendor, or a directory with one file per
//! vendor (named from the vendor name, made safe for a file system) for a portfolio. Decided
//! before anything is probed or written; reads file metadata only.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

use super::UsageError;

/// The longest file-name stem made from a vendor name (in bytes; ASCII only).
const MAX_STEM: usize = 80;

/// A vendor name as a file-name stem: lower-case ASCII letters and digits, `.`, `_` and `-`
/// kept; every other run of characters (spaces, `/`, accents, emoji) becomes one `-`; no
/// leading or trailing `-` or `.` (so never `.`, `..` or a hidden file); empty → `vendor`.
/// Lower case, so two names differing in case only collide here, not on a case-insensitive
/// file system.
pub fn stem(vendor: &str) -> String {
    let mut s = String::new();
    for c in vendor.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            s.push(c);
        } else if !s.ends_with('-') {
            s.push('-');
        }
    }
    let mut s: String = s.trim_matches(['-', '.']).to_string();
    if s.len() > MAX_STEM {
        s.truncate(MAX_STEM);
        s = s.trim_end_matches(['-', '.']).to_string();
    }
    if s.is_empty() { "vendor".into() } else { s }
}

/// One file name per vendor, in the order given: `<stem>.json`; a stem already taken gets
/// `-2`, `-3`, … (the first vendor keeps the plain name). `vendors` are (name, manifest)
/// pairs. Returns the names and one note per renamed vendor.
pub fn names(vendors: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
    let mut taken: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    for (i, (v, manifest)) in vendors.iter().enumerate() {
        let base = stem(v);
        let mut name = format!("{base}.json");
        let mut n = 2;
        while taken.contains(&name) {
            name = format!("{base}-{n}.json");
            n += 1;
        }
        if n > 2 {
            let (first, first_manifest) = vendors[..i]
                .iter()
                .find(|(o, _)| stem(o) == base)
                .copied()
                .unwrap_or_default();
            notes.push(format!(
                "note: --save-facts: `{first}` ({first_manifest}) and `{v}` ({manifest}) both make the \
                 file name {base}.json; the facts of {manifest} are in {name}"
            ));
        }
        taken.push(name);
    }
    (taken, notes)
}

/// Where each vendor's facts go, given `--save-facts PATH` and the vendors in order.
///
/// - One vendor: PATH is the file, as always — unless PATH is an existing directory, where the
///   file is `PATH/<stem>.json` as for a portfolio.
/// - Several: PATH is a directory, created (one level, like `mkdir`) when missing; an
///   existing file, or a missing path that names a file (`facts.json`), is refused.
///
/// Returns the files and whether PATH is to be created.
pub fn plan(path: &Path, vendors: &[(&str, &str)]) -> Result<(Vec<PathBuf>, bool, Vec<String>)> {
    let shown = path.display();
    if vendors.len() == 1 && !path.is_dir() {
        return Ok((vec![path.to_path_buf()], false, vec![]));
    }
    let create = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => false,
        Ok(_) => {
            return Err(anyhow!(UsageError(format!(
                "--save-facts {shown} is a file, but {} vendors are assessed: a portfolio writes one \
                 facts file per vendor into a directory\n  help: give a directory, e.g. --save-facts \
                 facts/ (created if missing), or assess one vendor to write one file",
                vendors.len()
            ))));
        }
        Err(_) => {
            if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
                return Err(anyhow!(UsageError(format!(
                    "--save-facts {shown} names a file, but {} vendors are assessed: a portfolio \
                     writes one facts file per vendor into a directory\n  help: give a directory, \
                     e.g. --save-facts {} (created if missing)",
                    vendors.len(),
                    path.with_extension("").display()
                ))));
            }
            let parent = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            if !parent.is_dir() {
                return Err(anyhow!(UsageError(format!(
                    "--save-facts {shown}: the directory {} to create it in does not exist\n  help: \
                     create it first, or give a path in an existing directory",
                    parent.display()
                ))));
            }
            true
        }
    };
    let (names, notes) = names(vendors);
    Ok((names.into_iter().map(|n| path.join(n)).collect(), create, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_safe_and_stable() {
        assert_eq!(stem("Sample Clinic Messaging"), "sample-clinic-messaging");
        assert_eq!(stem("Acme, Inc."), "acme-inc");
        assert_eq!(stem("../../etc/passwd"), "etc-passwd");
        assert_eq!(stem(".."), "vendor");
        assert_eq!(stem("Ärzte & Co / Zürich"), "rzte-co-z-rich");
        assert_eq!(stem("日本"), "vendor");
        assert_eq!(stem(&"x".repeat(500)).len(), MAX_STEM);
    }

    #[test]
    fn collisions_get_numbered_in_order() {
        let (n, notes) = names(&[
            ("Acme Inc", "a/vendor.toml"),
            ("ACME inc.", "b/vendor.toml"),
            ("Beta", "c/vendor.toml"),
            ("acme-inc", "d/vendor.toml"),
        ]);
        assert_eq!(n, ["acme-inc.json", "acme-inc-2.json", "beta.json", "acme-inc-3.json"]);
        assert_eq!(notes.len(), 2);
        assert!(notes[0].contains("`Acme Inc` (a/vendor.toml) and `ACME inc.` (b/vendor.toml)"));
        assert!(
            notes[0].contains("facts of b/vendor.toml are in acme-inc-2.json"),
            "{}",
            notes[0]
        );
    }
}
