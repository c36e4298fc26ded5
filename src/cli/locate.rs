//! Where the manifest declares each resource (binary side: reads the manifest text already
//! loaded). Feeds the report's `manifest.lines`, which SARIF uses to point at a line.

use std::collections::BTreeMap;

use vetter::manifest::Manifest;
use vetter::report::ManifestRef;

/// Resource name (as findings name it) → line of the `[[table]]` that declares it.
pub fn manifest_ref(m: &Manifest) -> ManifestRef {
    let mut lines = BTreeMap::new();
    if let Some(l) = m.line_of("vendor", 0) {
        lines.insert("vendor".to_string(), l);
    }
    let tables: [(&str, Vec<&str>); 4] = [
        ("endpoint", m.endpoint.iter().map(|e| e.url.as_str()).collect()),
        ("export", m.export.iter().map(|e| e.path.as_str()).collect()),
        ("audit_log", m.audit_log.iter().map(|e| e.path.as_str()).collect()),
        ("evidence", m.evidence.iter().map(|e| e.path.as_str()).collect()),
    ];
    for (kind, names) in tables {
        for (i, name) in names.into_iter().enumerate() {
            if let Some(l) = m.line_of(kind, i) {
                // The first declaration wins when a resource is listed twice.
                lines.entry(name.to_string()).or_insert(l);
            }
        }
    }
    ManifestRef {
        path: m.source.file.clone(),
        lines,
    }
}
