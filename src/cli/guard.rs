//! No self-harm: before a run writes anything, check that no report (`--output`) or facts file
//! (`--save-facts`) would overwrite a file the run reads, and that no file is written twice.
//! Reads file metadata only.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};

use super::UsageError;
use vetter::manifest::Manifest;

/// A file the run reads, with what it is to the run ("the manifest", "an export").
pub struct RunInput {
    pub role: &'static str,
    pub path: PathBuf,
}

impl RunInput {
    pub fn new(role: &'static str, path: impl Into<PathBuf>) -> RunInput {
        RunInput {
            role,
            path: path.into(),
        }
    }
}

/// A file written by the run, with the flag that names it.
pub struct RunOutput<'a> {
    pub flag: &'static str,
    pub path: &'a Path,
}

/// How a path is compared: its canonical form (links and `..` resolved; for a file not yet
/// written, its directory's canonical form and its name) and, when it exists, device and inode
/// (a hard link has another name but is the same file).
#[derive(Debug, PartialEq, Eq)]
struct Identity {
    canonical: Option<PathBuf>,
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn of(p: &Path) -> Identity {
        let canonical = std::fs::canonicalize(p).ok().or_else(|| {
            let name = p.file_name()?;
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Some(std::fs::canonicalize(dir).ok()?.join(name))
        });
        let inode = std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
        Identity { canonical, inode }
    }

    fn same(&self, other: &Identity) -> bool {
        (self.inode.is_some() && self.inode == other.inode)
            || (self.canonical.is_some() && self.canonical == other.canonical)
    }
}

/// Every file a manifest names, resolved against its directory.
pub fn manifest_inputs(m: &Manifest, out: &mut Vec<RunInput>) {
    for e in &m.export {
        out.push(RunInput::new("an export", m.resolve(&e.path)));
        if let Some(er) = &e.erasure {
            out.push(RunInput::new("an erasure list", m.resolve(&er.file)));
        }
    }
    for l in &m.audit_log {
        out.push(RunInput::new("an audit log", m.resolve(&l.path)));
        if let Some(a) = &l.appointments {
            out.push(RunInput::new("an appointments file", m.resolve(&a.path)));
        }
    }
    for e in &m.evidence {
        out.push(RunInput::new("a document", m.resolve(&e.path)));
    }
    for a in &m.attestation {
        if let Some(e) = &a.evidence {
            out.push(RunInput::new("attestation evidence", m.resolve(e)));
        }
    }
}

/// Whether two paths name one file (by another name or link too).
pub fn same_file(a: &Path, b: &Path) -> bool {
    Identity::of(a).same(&Identity::of(b))
}

/// Refuse (exit 2) an output that is an input of the run, or a file named twice as output.
pub fn check(outputs: &[RunOutput], inputs: &[RunInput]) -> Result<()> {
    let inputs: Vec<(&RunInput, Identity)> = inputs.iter().map(|i| (i, Identity::of(&i.path))).collect();
    let mut seen: Vec<(&RunOutput, Identity)> = Vec::new();
    for o in outputs {
        let id = Identity::of(o.path);
        if let Some((i, _)) = inputs.iter().find(|(_, iid)| iid.same(&id)) {
            return Err(anyhow!(UsageError(format!(
                "{} {} would overwrite {} of this run ({})\n  help: write it to another file",
                o.flag,
                o.path.display(),
                i.role,
                i.path.display()
            ))));
        }
        if let Some((first, _)) = seen.iter().find(|(_, sid)| sid.same(&id)) {
            return Err(anyhow!(UsageError(format!(
                "{} {} names the same file as {} {}: each output is written once\n  help: give each --format its own --output file",
                o.flag,
                o.path.display(),
                first.flag,
                first.path.display()
            ))));
        }
        seen.push((o, id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_file_by_another_name_or_link() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.toml");
        std::fs::write(&a, "x").unwrap();
        let hard = d.path().join("hard.toml");
        std::fs::hard_link(&a, &hard).unwrap();
        let soft = d.path().join("soft.toml");
        std::os::unix::fs::symlink(&a, &soft).unwrap();
        let dotted = d.path().join("sub/../a.toml");
        std::fs::create_dir(d.path().join("sub")).unwrap();
        let inputs = [RunInput::new("the manifest", &a)];
        for p in [&a, &hard, &soft, &dotted] {
            let o = [RunOutput {
                flag: "--output",
                path: p,
            }];
            let e = check(&o, &inputs).unwrap_err().to_string();
            assert!(e.contains("would overwrite the manifest"), "{e}");
        }
        let new = d.path().join("new.json");
        let o = [
            RunOutput {
                flag: "--output",
                path: &new,
            },
            RunOutput {
                flag: "--output",
                path: &d.path().join("sub/../new.json"),
            },
        ];
        assert!(check(&o, &inputs).unwrap_err().to_string().contains("same file"));
        assert!(check(&o[..1], &inputs).is_ok());
    }
}
