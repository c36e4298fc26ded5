//! Reading a manifest or waiver file: text → TOML → the typed model, every problem with its place.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use super::check::Checker;
use super::model::{
    COMPUTED_ATTESTATION_KEY, Manifest, ManifestSource, Spans, TOML_DATETIME_KEY, WaiverFile, WaiverTables,
};
use super::values::{DATE_HELP, closest};
use crate::diag::{ConfigError, Problem};
use crate::probe::input::{DEFAULT_WAIT, Kind};

/// Read and validate a manifest. Every problem comes back at once, with file, line and column.
pub fn load(path: &Path) -> Result<Manifest, ConfigError> {
    load_with(path, DEFAULT_WAIT)
}

/// [`load`], waiting at most `wait` (`--timeout`) for data when the manifest is a pipe.
pub fn load_with(path: &Path, wait: Duration) -> Result<Manifest, ConfigError> {
    let file = path.display().to_string();
    let text = read_text(path, &file, Kind::Manifest, wait)?;
    let mut manifest = parse(&text, &file)?;
    manifest.source.dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(manifest)
}

/// Parse and validate manifest text; `file` names it in problems. `source.dir` is left empty
/// (paths resolve against the current directory) — [`load`] sets it.
pub fn parse(text: &str, file: &str) -> Result<Manifest, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let empty = || {
        Problem::file(file, "the manifest is empty")
            .help("run `vetter init DIR` to write a commented vendor.toml to start from")
    };
    if text.trim().is_empty() {
        return Err(empty().into());
    }
    let root = DeTable::parse(text).map_err(|e| toml_problem(file, text, &e))?;
    let root = root.get_ref();
    if root.is_empty() {
        return Err(empty().into());
    }
    if !root.contains_key("vendor") {
        return Err(Problem::file(file, "the manifest has no [vendor] table")
            .help("add a [vendor] table first, e.g.\n  [vendor]\n  name = \"Acme Practice CRM\"")
            .into());
    }
    let mut manifest: Manifest = toml::from_str(text).map_err(|e| toml_problem(file, text, &e))?;
    normalise_params(&mut manifest.params);

    let spans = Spans::of(root, 0);
    let mut ck = Checker::new(file, text, &spans, root);
    ck.manifest(&manifest);
    ck.finish()?;

    manifest.source = ManifestSource {
        file: file.to_string(),
        dir: PathBuf::new(),
        text: text.to_string(),
        table_lines: header_lines(text, root),
        spans,
    };
    Ok(manifest)
}

/// Read and validate a `--waivers FILE` (only `[[waiver]]` tables). An empty file has no waivers.
pub fn load_waivers(path: &Path) -> Result<WaiverFile, ConfigError> {
    load_waivers_with(path, DEFAULT_WAIT)
}

/// [`load_waivers`], waiting at most `wait` (`--timeout`) for data when the file is a pipe.
pub fn load_waivers_with(path: &Path, wait: Duration) -> Result<WaiverFile, ConfigError> {
    let file = path.display().to_string();
    let text = read_text(path, &file, Kind::Waivers, wait)?;
    parse_waivers(&text, &file)
}

/// [`load_waivers`] on text already read.
pub fn parse_waivers(text: &str, file: &str) -> Result<WaiverFile, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = DeTable::parse(text).map_err(|e| toml_problem(file, text, &e))?;
    let parsed: WaiverTables = toml::from_str(text).map_err(|e| toml_problem(file, text, &e))?;
    let spans = Spans::of(root.get_ref(), 0);
    let mut ck = Checker::new(file, text, &spans, root.get_ref());
    ck.waivers(&parsed.waiver);
    ck.finish()?;
    Ok(WaiverFile {
        waivers: parsed.waiver,
        file: file.to_string(),
        text: text.to_string(),
        spans,
    })
}

/// Header line of every top-level table and array-of-tables item, by kind.
pub(super) fn header_lines(text: &str, root: &DeTable) -> BTreeMap<String, Vec<usize>> {
    let index = crate::diag::LineIndex::new(text);
    let line = |offset: usize| index.line_col(offset).0;
    let mut out = BTreeMap::new();
    for (k, v) in root.iter() {
        let lines = match v.get_ref() {
            DeValue::Array(items) => items.iter().map(|it| line(it.span().start)).collect(),
            DeValue::Table(_) => vec![line(v.span().start)],
            _ => continue,
        };
        out.insert(k.get_ref().to_string(), lines);
    }
    out
}

fn read_text(path: &Path, file: &str, kind: Kind, wait: Duration) -> Result<String, ConfigError> {
    let what = match kind {
        Kind::Waivers => "waiver file",
        _ => "manifest",
    };
    let meta = std::fs::metadata(path).map_err(|e| io_problem(file, what, &e))?;
    if meta.is_dir() {
        let mut p = Problem::file(file, format!("the {what} path is a directory, not a file"));
        let inner = path.join("vendor.toml");
        if what == "manifest" {
            p = p.help(if inner.is_file() {
                format!("pass the manifest inside it: {}", inner.display())
            } else {
                "pass a vendor.toml file; `vetter init DIR` writes one".to_string()
            });
        }
        return Err(p.into());
    }
    // Through the input layer: capped, a pipe waits at most `wait`, a device is refused.
    let bytes = crate::probe::input::read(path, kind, wait).map_err(|e| io_problem(file, what, &e))?;
    match String::from_utf8(bytes) {
        Ok(text) => {
            if text.trim_start_matches('\u{feff}').trim().is_empty() && what == "manifest" {
                return Err(Problem::file(file, "the manifest is empty")
                    .help("run `vetter init DIR` to write a commented vendor.toml to start from")
                    .into());
            }
            Ok(text)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            // The valid prefix decodes, so positions within it are exact.
            let prefix = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
            let bad = bytes.get(valid).copied().unwrap_or_default();
            Err(Problem::at(
                file,
                prefix,
                Some(valid..valid),
                format!("the {what} is not valid UTF-8 (byte 0x{bad:02x} at offset {valid})"),
            )
            .help("save the file as UTF-8")
            .into())
        }
    }
}

fn io_problem(file: &str, what: &str, e: &std::io::Error) -> Problem {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => Problem::file(file, format!("cannot read the {what}: no such file"))
            .help("check the path; `vetter init DIR` writes a starter vendor.toml"),
        ErrorKind::PermissionDenied => Problem::file(file, format!("cannot read the {what}: permission denied"))
            .help("make the file readable by this user"),
        _ => Problem::file(file, format!("cannot read the {what}: {e}")),
    }
}

/// A `toml` syntax or deserialisation error, with a fix hint where we can give one.
fn toml_problem(file: &str, text: &str, err: &toml::de::Error) -> ConfigError {
    let mut p = Problem::from_toml(file, text, err);
    if p.snippet.as_deref().is_some_and(looks_secret) {
        // Never echo what may be a secret: no source line, no quoted value.
        p.snippet = None;
        p.message = redact_quoted(&p.message);
    }
    let msg = p.message.clone();
    let help = if msg.starts_with("unknown field") {
        let names = backticked(&msg);
        let unknown = names.first().cloned().unwrap_or_default();
        let valid: Vec<String> = names
            .into_iter()
            .skip(1)
            .filter(|k| k != COMPUTED_ATTESTATION_KEY)
            .collect();
        let mut h = format!("valid keys here: {}", valid.join(", "));
        if let Some(best) = closest(&unknown, &valid) {
            h = format!("did you mean `{best}`? {h}");
        }
        Some(h)
    } else if msg.starts_with("unknown variant") {
        let names = backticked(&msg);
        Some(format!("use one of: {}", names[1.min(names.len())..].join(", ")))
    } else if let Some(field) = msg.strip_prefix("missing field ") {
        let field = field.trim_matches('`');
        Some(match field {
            "expires" => "every waiver must expire: add expires = \"YYYY-MM-DD\"".to_string(),
            "date" => format!("add date = \"YYYY-MM-DD\" ({DATE_HELP})"),
            _ => format!("add the required key `{field}`"),
        })
    } else if msg.contains("duplicate key") {
        Some("each key may appear only once in a table".to_string())
    } else if msg.contains("expected a date") {
        Some(DATE_HELP.to_string())
    } else if msg.contains("expected u64") {
        Some("use a whole number of at least 0, without quotes".to_string())
    } else {
        None
    };
    if let Some(h) = help {
        p = p.help(h);
    }
    ConfigError::one(p)
}

/// Whether a source line may carry a secret (a token pasted into the manifest).
pub(super) fn looks_secret(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    [
        "auth",
        "token",
        "secret",
        "password",
        "passwd",
        "bearer",
        "api_key",
        "apikey",
        "credential",
        "@",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// `invalid type: string "Bearer abc", expected ...` → `invalid type: string, expected ...`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(start) = rest.find(" \"") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find('"') {
            Some(end) => rest = &rest[start + 2 + end + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn backticked(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

/// TOML datetimes arrive in a JSON value as `{"$__toml_private_datetime": "..."}`; make them
/// strings. Non-scalars are reported by the checker.
fn normalise_params(params: &mut BTreeMap<String, serde_json::Value>) {
    for value in params.values_mut() {
        let replacement = match value {
            serde_json::Value::Object(map) if map.len() == 1 => map
                .get(TOML_DATETIME_KEY)
                .and_then(|v| v.as_str())
                .map(|s| serde_json::Value::String(s.to_string())),
            _ => None,
        };
        if let Some(r) = replacement {
            *value = r;
        }
    }
}
