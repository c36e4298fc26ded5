//! Parsers of vendor files, bounded (issue 14): an XLSX date serial out of range, a CSV of
//! ten million fields per record, an XLSX of fifty million empty shared strings, a PDF of
//! 100,000 pages, a PDF reference loop, a DOCX over its cap, and PHI arriving through names
//! (JSON keys, a headerless CSV, `/etc/shadow` named as an export). Every file is made here;
//! every run is bounded by the test's own timeout, the memory-hungry ones by `prlimit`.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use vetter::facts::ExportFacts;
use vetter::manifest;
use vetter::probe::evidence::{phrasing, read_document};
use vetter::probe::export;

use crate::support::{assert_no_panic, within};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

/// The manifest for one export, with extra lines for its entry.
fn write_manifest(dir: &Path, name: &str, extra: &str) -> std::path::PathBuf {
    let path = dir.join("vendor.toml");
    std::fs::write(
        &path,
        format!("[vendor]\nname = \"Bad\"\n\n[[export]]\npath = \"{name}\"\n{extra}"),
    )
    .unwrap();
    path
}

fn scan_file(dir: &Path, name: &str, extra: &str) -> ExportFacts {
    let m = manifest::load(&write_manifest(dir, name, extra)).unwrap();
    export::scan_export(&m, &m.export[0], as_of()).0
}

// ───────────────────────────── XLSX ─────────────────────────────

/// A minimal workbook: one sheet (its `<sheetData>` rows given), a style 1 that is a date
/// format (numFmt 14), and an optional shared-string part.
/// Writes a part's body.
type Part<'a> = &'a dyn Fn(&mut dyn Write);

fn xlsx(path: &Path, rows: &str, shared: Option<Part>) {
    use zip::write::SimpleFileOptions;
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts: Vec<(&str, String)> = vec![
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             </Types>"
                .to_string(),
        ),
        (
            "_rels/.rels",
            format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{rel}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                "<?xml version=\"1.0\"?><workbook xmlns=\"{ns}\" xmlns:r=\"{rel}\"><sheets>\
                 <sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
                 <Relationship Id=\"rId1\" Type=\"{rel}/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
                 <Relationship Id=\"rId2\" Type=\"{rel}/styles\" Target=\"styles.xml\"/>\
                 <Relationship Id=\"rId3\" Type=\"{rel}/sharedStrings\" Target=\"sharedStrings.xml\"/>\
                 </Relationships>"
            ),
        ),
        (
            "xl/styles.xml",
            format!(
                "<?xml version=\"1.0\"?><styleSheet xmlns=\"{ns}\"><cellXfs count=\"2\">\
                 <xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>"
            ),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!("<?xml version=\"1.0\"?><worksheet xmlns=\"{ns}\"><sheetData>{rows}</sheetData></worksheet>"),
        ),
    ];
    for (name, body) in parts {
        z.start_file(name, opts).unwrap();
        z.write_all(body.as_bytes()).unwrap();
    }
    if let Some(shared) = shared {
        z.start_file("xl/sharedStrings.xml", opts).unwrap();
        shared(&mut z);
    }
    z.finish().unwrap();
}

fn inline(cell: &str, text: &str) -> String {
    format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
}

/// A date-formatted cell holding `1e20`, `inf` or `99999999999999` used to panic inside
/// chrono (`TimeDelta::days out of bounds`) and lose the export's facts: now each such row is
/// a parse error and the rest is scanned.
#[test]
fn xlsx_date_serial_out_of_range_is_a_parse_error_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    let mut rows = format!(
        "<row r=\"1\">{}{}</row>",
        inline("A1", "visit_date"),
        inline("B1", "ssn")
    );
    for (i, v) in ["1e20", "inf", "99999999999999", "-1e20", "45000"].iter().enumerate() {
        let r = i + 2;
        rows.push_str(&format!(
            "<row r=\"{r}\"><c r=\"A{r}\" s=\"1\"><v>{v}</v></c>{}</row>",
            inline(&format!("B{r}"), "219-45-6789")
        ));
    }
    xlsx(&d.path().join("dates.xlsx"), &rows, None);
    let dir = d.path().to_path_buf();
    let f = within(30, move || scan_file(&dir, "dates.xlsx", ""));
    assert_eq!(f.format.as_deref(), Some("xlsx"));
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!((f.records, f.parse_errors), (Some(5), Some(4)), "{f:?}");
    assert_eq!(f.phi.unwrap().types.ssn.count, 5);
}

/// A 366 KB workbook of fifty million empty shared strings took 1.14 GB in calamine: the
/// entries are now counted through the XML parser first and the table refused past the cap,
/// with an error naming it; the run stays under a 1 GiB address-space limit.
#[test]
fn xlsx_of_fifty_million_empty_shared_strings_is_refused_by_count() {
    let d = tempfile::tempdir().unwrap();
    let shared = |w: &mut dyn Write| {
        w.write_all(
            b"<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
        )
        .unwrap();
        let chunk = b"<si/>".repeat(1_000_000);
        for _ in 0..50 {
            w.write_all(&chunk).unwrap();
        }
        w.write_all(b"</sst>").unwrap();
    };
    let rows = format!("<row r=\"1\">{}</row>", inline("A1", "id"));
    xlsx(&d.path().join("strings.xlsx"), &rows, Some(&shared));
    assert!(std::fs::metadata(d.path().join("strings.xlsx")).unwrap().len() < 2 << 20);
    let manifest = write_manifest(d.path(), "strings.xlsx", "");
    let facts = d.path().join("facts.json");
    let o = prlimited("1G", &manifest, &facts);
    let f = export_facts(&facts, &o);
    let err = f["error"].as_str().unwrap_or_default();
    assert!(
        err.contains("shared strings") && err.contains("limits.xlsx_shared_strings"),
        "{err}"
    );
    assert!(f["phi"].is_null(), "not scanned: {f}");
    // A small table passes at the default cap, and is scanned.
    let small = |w: &mut dyn Write| w.write_all(b"<sst><si><t>219-45-6789</t></si></sst>").unwrap();
    let rows = format!(
        "<row r=\"1\">{}</row><row r=\"2\"><c r=\"A2\" t=\"s\"><v>0</v></c></row>",
        inline("A1", "ssn")
    );
    xlsx(&d.path().join("small.xlsx"), &rows, Some(&small));
    let dir = d.path().to_path_buf();
    let f = within(30, move || scan_file(&dir, "small.xlsx", ""));
    assert!(f.error.is_none(), "{:?}", f.error);
    assert_eq!(f.phi.unwrap().types.ssn.count, 1);
}

/// `vetter assess` on `manifest` under an address-space limit, saving the facts.
fn prlimited(limit: &str, manifest: &Path, facts: &Path) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("vetter");
    let mut c = assert_cmd::Command::new("prlimit");
    c.arg(format!("--as={}", limit_bytes(limit)))
        .arg("--")
        .arg(bin)
        .args(["assess", "--quiet", "--timeout", "5", "--save-facts"])
        .arg(facts)
        .arg(manifest)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(120));
    let o = c.output().expect("prlimit runs");
    assert_no_panic(&o);
    o
}

fn limit_bytes(l: &str) -> u64 {
    let (n, unit) = l.split_at(l.len() - 1);
    n.parse::<u64>().unwrap() << if unit == "G" { 30 } else { 20 }
}

fn export_facts(facts: &Path, o: &std::process::Output) -> serde_json::Value {
    let text = std::fs::read_to_string(facts).unwrap_or_else(|_| {
        panic!(
            "no facts written (exit {:?}): {}",
            o.status.code(),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let f = v
        .pointer("/exports/0")
        .or_else(|| v.pointer("/facts/exports/0"))
        .cloned();
    f.unwrap_or_else(|| panic!("no exports in {text:.2000}"))
}

// ───────────────────────────── CSV ─────────────────────────────

/// Two rows of ten million fields each (40 MB) passed 2.4 GB and kept growing: fields are now
/// read one at a time and a record over the fields cap is a parse error with an error fact
/// naming the cap and how to raise it; the run stays under a 1 GiB address-space limit.
#[test]
fn csv_of_ten_million_fields_per_record_is_capped() {
    let d = tempfile::tempdir().unwrap();
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(d.path().join("wide.csv")).unwrap());
        for _ in 0..2 {
            w.write_all(&b"a,".repeat(10_000_000)).unwrap();
            w.write_all(b"219-45-6789\n").unwrap();
        }
    }
    let manifest = write_manifest(d.path(), "wide.csv", "");
    let facts = d.path().join("facts.json");
    let o = prlimited("1G", &manifest, &facts);
    let f = export_facts(&facts, &o);
    let err = f["error"].as_str().unwrap_or_default();
    assert!(
        err.contains("16384 fields") && err.contains("limits.csv_fields"),
        "{err}"
    );
    assert_eq!(
        (f["records"].as_u64(), f["parse_errors"].as_u64()),
        (Some(2), Some(2)),
        "{f}"
    );
}

/// A field over the byte cap (a quoted field spanning many lines, which no line cap sees) is
/// cut at the cap, its record a parse error, the cap named; a raised cap in the manifest
/// lets the same file through.
#[test]
fn csv_field_over_the_byte_cap_is_named_and_can_be_raised() {
    let d = tempfile::tempdir().unwrap();
    let mut data = b"id,notes\n1,\"".to_vec();
    data.extend(b"line of notes\n".repeat(100_000)); // 1.4 MB in one field
    data.extend(b"\"\n2,219-45-6789\n");
    std::fs::write(d.path().join("long.csv"), &data).unwrap();
    let dir = d.path().to_path_buf();
    let f = within(30, move || {
        let capped = scan_file(&dir, "long.csv", "limits = { field_bytes = 1048576 }\n");
        let raised = scan_file(&dir, "long.csv", "limits = { field_bytes = 4194304 }\n");
        (capped, raised)
    });
    let (capped, raised) = f;
    let err = capped.error.as_deref().unwrap_or_default();
    assert!(
        err.contains("1048576 bytes") && err.contains("limits.field_bytes"),
        "{err}"
    );
    assert_eq!((capped.records, capped.parse_errors), (Some(2), Some(1)));
    assert!(raised.error.is_none(), "{:?}", raised.error);
    assert_eq!((raised.records, raised.parse_errors), (Some(2), Some(0)));
    assert_eq!(raised.phi.unwrap().types.ssn.count, 1);
}

// ───────────────────────────── PDF and DOCX ─────────────────────────────

/// A PDF from object bodies (object `i + 1` is `objs[i]`; object 1 the catalog), with a
/// correct cross-reference table.
fn pdf(objs: &[String]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objs.len());
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A PDF of `pages` empty pages (one page-tree node).
fn many_pages(pages: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 3)).collect();
    let mut objs = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!("<< /Type /Pages /Kids [{}] /Count {pages} >>", kids.join(" ")),
    ];
    objs.extend((0..pages).map(|_| "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>".to_string()));
    pdf(&objs)
}

fn evidence_error(bytes: Vec<u8>, name: &'static str) -> String {
    let out = within(30, move || {
        read_document(&bytes, name, None, phrasing::builtin(), as_of())
    });
    format!("{out:?}")
}

/// A 100,000-page PDF cost a fixed 60 s whatever `--timeout` said: the page tree is now
/// walked once and a PDF over the page cap refused at once, naming the cap.
#[test]
fn pdf_of_a_hundred_thousand_pages_is_refused_by_the_page_cap() {
    let bytes = many_pages(100_000);
    let out = evidence_error(bytes.clone(), "huge.pdf");
    assert!(out.contains("more than 5000 pages"), "{out:.500}");
    // As an export: an error fact naming the cap and how to raise it.
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("huge.pdf"), &bytes).unwrap();
    let dir = d.path().to_path_buf();
    let f = within(30, move || scan_file(&dir, "huge.pdf", ""));
    let err = f.error.as_deref().unwrap_or_default();
    assert!(err.contains("5000 pages") && err.contains("limits.pdf_pages"), "{err}");
    assert!(f.phi.is_none());
}

/// A page-tree kid that is a reference to a reference to itself was reported as a scan
/// without text ("a scan?"); so was a page whose `/Contents` references loop. Both are now
/// named as a reference loop.
#[test]
fn pdf_reference_loop_is_named() {
    let kid_loop = pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "4 0 R".into(),
        "3 0 R".into(),
    ]);
    let contents_loop = pdf(&[
        "<< /Type /Catalog /Pages 2 0 R >>".into(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>".into(),
        "5 0 R".into(),
        "4 0 R".into(),
    ]);
    for (bytes, name) in [(kid_loop, "kids.pdf"), (contents_loop, "contents.pdf")] {
        let out = evidence_error(bytes, name);
        assert!(out.contains("PDF object references form a loop"), "{name}: {out:.500}");
        assert!(!out.contains("a scan?"), "{name}: {out:.500}");
    }
}

/// A DOCX whose document.xml is over the 64 MiB cap was called "not well-formed XML" (the
/// XML cut at the cap): the cap is now named.
#[test]
fn docx_over_the_cap_names_the_cap() {
    use zip::write::SimpleFileOptions;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("word/document.xml", opts).unwrap();
        z.write_all(b"<w:document xmlns:w=\"x\"><w:body><w:p><w:r><w:t>Business Associate Agreement</w:t></w:r></w:p>")
            .unwrap();
        let pad = vec![b' '; 1 << 20];
        for _ in 0..65 {
            z.write_all(&pad).unwrap();
        }
        z.write_all(b"</w:body></w:document>").unwrap();
        z.finish().unwrap();
    }
    let out = evidence_error(buf.into_inner(), "big.docx");
    assert!(out.contains("64 MiB") && out.contains("cap"), "{out:.500}");
    assert!(!out.contains("not well-formed"), "{out:.500}");
}

// ───────────────────────────── No PHI through names ─────────────────────────────

fn facts_text(f: &ExportFacts) -> String {
    serde_json::to_string(f).unwrap()
}

/// NDJSON keys that are SSNs or e-mail addresses reached the report as column names (and
/// through `unexpected_columns`): keys are now scanned like values and masked.
#[test]
fn json_keys_holding_identifiers_are_scanned_and_masked() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("keys.ndjson"),
        "{\"219-45-6789\": {\"dx\": \"E11.9\"}, \"visit\": \"2024-01-02\"}\n\
         {\"jane.doe@example.com\": 1, \"visit\": \"2024-01-03\"}\n\
         {\"patients\": {\"321-45-6789\": {\"first_name\": \"Ann\"}}}\n",
    )
    .unwrap();
    let dir = d.path().to_path_buf();
    let f = within(30, move || scan_file(&dir, "keys.ndjson", "columns = [\"visit\"]\n"));
    let text = facts_text(&f);
    for raw in ["219-45-6789", "321-45-6789", "jane.doe", "example.com"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }
    let phi = f.phi.unwrap();
    assert_eq!(phi.types.ssn.count, 2, "the keys are scanned");
    assert_eq!(phi.types.email.count, 1);
    assert_eq!(
        phi.types.name.count, 1,
        "a label-like key under a masked one keeps its meaning"
    );
    assert!(f.columns.unwrap().iter().any(|c| c == "patients.*.first_name"));
}

/// A headerless CSV whose first row is names was read as a header: the names became column
/// names in the report. The first row is now judged against the rows below it.
#[test]
fn headerless_csv_first_row_is_data() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("roster.csv"),
        "Margaret,Okafor,Springfield\nDesmond,Lindqvist,Riverton\nPriya,Castellano,Lakeside\n",
    )
    .unwrap();
    std::fs::write(
        d.path().join("headed.csv"),
        "first_name,last_name,ssn\nMargaret,Okafor,219-45-6789\nDesmond,Lindqvist,321-45-6789\n",
    )
    .unwrap();
    let dir = d.path().to_path_buf();
    let (roster, headed) = within(30, move || {
        (
            scan_file(&dir, "roster.csv", "columns = [\"id\"]\n"),
            scan_file(&dir, "headed.csv", ""),
        )
    });
    let text = facts_text(&roster);
    for raw in ["Margaret", "Okafor", "Springfield"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }
    assert_eq!(roster.records, Some(3), "the first row is a record");
    assert_eq!(roster.columns.as_deref().unwrap()[0], "column_1");
    // A real header is still one.
    assert_eq!(headed.records, Some(2));
    assert_eq!(headed.columns.as_deref().unwrap(), ["first_name", "last_name", "ssn"]);
    assert_eq!(headed.phi.unwrap().types.name.count, 4);
}

/// `/etc/shadow` named as an export put its first line into the report as a column name: no
/// raw line reaches the facts unless it looks like a header.
#[test]
fn a_system_file_named_as_an_export_leaks_no_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("shadow"),
        "root:$6$Zq8uNs1x$e3XkR9vQwL0pB7hGm2TtYcA.fD4sJ6nUoPiV1lKzHxW5yE8rMb:19700:0:99999:7:::\n\
         daemon:*:19700:0:99999:7:::\n\
         jdoe:$6$aB3dE5fG$hI7jK9lM1nO3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xY9z:19701:0:99999:7:::\n",
    )
    .unwrap();
    let dir = d.path().to_path_buf();
    let f = within(30, move || scan_file(&dir, "shadow", "columns = [\"id\"]\n"));
    let text = facts_text(&f);
    for raw in ["root", "$6$", "daemon", "jdoe"] {
        assert!(!text.contains(raw), "{raw} in {text}");
    }
}
