//! ② Collect (evidence): a document's bytes → lines of text, each with where it was found
//! (page for PDF, paragraph for DOCX, line for text, Markdown and HTML). No file I/O here: the
//! probe reads the bytes; this module only decodes them, with bounded memory.

use std::io::Read;
use std::sync::OnceLock;

use regex::Regex;

/// Largest text kept from one document; the rest is ignored (a contract or a SOC 2 report is
/// far smaller, so hitting this means a hostile or mislabelled file).
pub const MAX_TEXT: usize = 32 * 1024 * 1024;
/// Largest decompressed XML read from a DOCX (zip bombs stop here).
const MAX_DOCX_XML: u64 = 64 * 1024 * 1024;

/// The container a document came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
    Html,
    Text,
}

/// One line (or paragraph, or table row) of text with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub text: String,
    /// "page 3", "paragraph 12" or "line 40".
    pub loc: String,
    /// The heading level the source marks (Markdown `#`s, HTML `h1`..`h6`); 0 when unmarked.
    pub level: u8,
}

/// A document as lines.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    pub lines: Vec<Line>,
}

impl Doc {
    /// All text, lines joined by newlines.
    pub fn full_text(&self) -> String {
        let mut s = String::new();
        for l in &self.lines {
            s.push_str(&l.text);
            s.push('\n');
        }
        s
    }
}

/// Which format the bytes are, from magic numbers first and the file name second.
pub fn sniff(bytes: &[u8], path: &str) -> Format {
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Format::Pdf;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Format::Docx;
    }
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".pdf") {
        return Format::Pdf;
    }
    if lower.ends_with(".docx") {
        return Format::Docx;
    }
    let head_s = String::from_utf8_lossy(head).to_ascii_lowercase();
    if lower.ends_with(".html")
        || lower.ends_with(".htm")
        || head_s.trim_start().starts_with("<!doctype html")
        || head_s.trim_start().starts_with("<html")
    {
        return Format::Html;
    }
    Format::Text
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Decode a document. Errors are sentences for the `error` fact.
pub fn extract(bytes: &[u8], path: &str) -> Result<Doc, String> {
    extract_with(bytes, path, PdfLimits::default())
}

/// [`extract`] with a PDF's caps and time budget given.
pub fn extract_with(bytes: &[u8], path: &str, lim: PdfLimits) -> Result<Doc, String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("the file is empty".into());
    }
    let doc = match sniff(bytes, path) {
        Format::Pdf => pdf_with(bytes, lim)?,
        Format::Docx => docx(bytes)?,
        Format::Html => html(&utf8(bytes)?),
        Format::Text => text(&utf8(bytes)?),
    };
    let mut doc = doc;
    for l in &mut doc.lines {
        if l.text.contains(HYPHENS) {
            l.text = l.text.replace(HYPHENS, "-");
        }
    }
    let chars: usize = doc.lines.iter().map(|l| l.text.trim().len()).sum();
    if chars == 0 {
        return Err("the document has no text".into());
    }
    Ok(doc)
}

/// Hyphens other than ASCII's (hyphen, non-breaking hyphen, figure dash, minus): a date written
/// "2025‑07‑10" with non-breaking hyphens is still a date. En and em dashes stay: they separate.
const HYPHENS: [char; 4] = ['\u{2010}', '\u{2011}', '\u{2012}', '\u{2212}'];

/// Text files must be text: a file with NUL bytes or mostly invalid UTF-8 is refused.
fn utf8(bytes: &[u8]) -> Result<String, String> {
    let bytes = &bytes[..bytes.len().min(MAX_TEXT)];
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    if sample.contains(&0) {
        return Err("not a text, PDF or DOCX document (binary content)".into());
    }
    let s = String::from_utf8_lossy(bytes);
    let bad = s.chars().take(64 * 1024).filter(|c| *c == '\u{FFFD}').count();
    if bad * 20 > sample.len().max(1) {
        return Err("not a text, PDF or DOCX document (mostly invalid UTF-8)".into());
    }
    Ok(s.into_owned())
}

/// Plain text and Markdown: one line per line, Markdown table pipes kept (they separate cells).
pub fn text(s: &str) -> Doc {
    let lines = s
        .lines()
        .enumerate()
        .map(|(i, l)| Line {
            text: strip_markdown(l),
            loc: format!("line {}", i + 1),
            level: markdown_level(l),
        })
        .collect();
    Doc { lines }
}

/// `## Title` is a level-2 heading (up to six `#`s followed by a space).
fn markdown_level(l: &str) -> u8 {
    let n = l.bytes().take_while(|b| *b == b'#').count();
    if (1..=6).contains(&n) && l.as_bytes().get(n) == Some(&b' ') {
        n as u8
    } else {
        0
    }
}

/// `[text](target)` and `![alt](src)`: the text stays, the target goes ("conducted by
/// [Amossys](https://…)" names Amossys).
fn link_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"!?\[([^\]\[]*)\]\((?:<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+\x22[^\x22]*\x22)?\)")
            .expect("link regex")
    })
}

/// `_emphasis_` and `*emphasis*` around words: the words stay ("_MJD Advisors_" signs a report);
/// a blank to fill in ("\_\_\_", "____") is not emphasis.
fn emphasis_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(^|[\s(\[\x22“])([_*])([^_*\s\\](?:[^_*\\]*[^_*\s\\])?)([_*])($|[\s.,;:!?)\]\x22”'’])")
            .expect("emphasis regex")
    })
}

fn strip_markdown(l: &str) -> String {
    let t = l.trim_start_matches(['#', '>', ' ']);
    // Markdown written by HTML tools keeps entities ("Data Subject&#39;s request").
    let decoded;
    let t = if t.contains('&') {
        decoded = decode_entities(t);
        decoded.as_str()
    } else {
        t
    };
    // Bold markers go; a blank to fill in ("_____") stays.
    let t = if t.contains("___") {
        t.replace("**", "")
    } else {
        t.replace("**", "").replace("__", "")
    };
    let t = if t.contains("](") {
        link_re().replace_all(&t, "$1").into_owned()
    } else {
        t
    };
    let t = if t.contains(['_', '*']) {
        // Two passes: a match takes the blank after it, so the next of two adjacent
        // emphasised words ("_Process_ _Controller Personal Data_") is only seen by the second.
        let mut t = t;
        for _ in 0..2 {
            t = emphasis_re()
                .replace_all(&t, |c: &regex::Captures| {
                    if c[2] == c[4] {
                        format!("{}{}{}", &c[1], &c[3], &c[5])
                    } else {
                        c[0].to_string()
                    }
                })
                .into_owned();
        }
        t
    } else {
        t
    };
    if t.trim_start().starts_with("|") && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
        return String::new(); // a table's separator row
    }
    t
}

/// HTML: tags stripped, block elements end a line, scripts and styles dropped; each output
/// line keeps the source line it started on.
pub fn html(s: &str) -> Doc {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_line = 1usize;
    let mut src_line = 1usize;
    let mut chars = s.char_indices().peekable();
    let mut skip_until: Option<&str> = None;
    // The heading level of the text being gathered (set by an open `h1`..`h6`).
    let mut level = 0u8;
    let flush = |cur: &mut String, lines: &mut Vec<Line>, at: usize, level: u8| {
        let t = decode_entities(cur.split_whitespace().collect::<Vec<_>>().join(" ").as_str());
        if !t.is_empty() {
            lines.push(Line {
                text: t,
                loc: format!("line {at}"),
                level,
            });
        }
        cur.clear();
    };
    while let Some((i, c)) = chars.next() {
        if c == '\n' {
            src_line += 1;
        }
        if c == '<' {
            let rest = &s[i..];
            // An unclosed `<` takes the rest of the text as its tag (one at the very end, an
            // empty tag: the fuzzer found the slice `s[i + 1..i]` this used to take).
            let end = rest.find('>').map(|e| i + e).unwrap_or(s.len());
            let tag = s[i + 1..end].trim().to_ascii_lowercase();
            src_line += s[i..(end + 1).min(s.len())].matches('\n').count();
            while chars.peek().is_some_and(|(j, _)| *j <= end) {
                chars.next();
            }
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if let Some(stop) = skip_until {
                if tag.starts_with('/') && name == stop {
                    skip_until = None;
                }
                continue;
            }
            match name.as_str() {
                "script" | "style" if !tag.starts_with('/') => {
                    skip_until = Some(if name == "script" { "script" } else { "style" })
                }
                "td" | "th" => cur.push_str(" | "),
                "p" | "div" | "br" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "section"
                | "ul" | "ol" | "title" | "blockquote" => {
                    flush(&mut cur, &mut lines, cur_line, level);
                    level = match name.as_bytes() {
                        [b'h', d @ b'1'..=b'6'] if !tag.starts_with('/') => d - b'0',
                        _ => 0,
                    };
                }
                _ => {}
            }
            continue;
        }
        if skip_until.is_some() {
            continue;
        }
        if cur.trim().is_empty() {
            cur_line = src_line;
        }
        cur.push(c);
        if cur.len() > MAX_TEXT {
            break;
        }
    }
    flush(&mut cur, &mut lines, cur_line, level);
    Doc { lines }
}

fn decode_entities(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&rsquo;", "’")
        .replace("&sect;", "§")
        .replace("&amp;", "&")
}

/// DOCX: the paragraphs of `word/document.xml`; a table row is one line with cells joined by
/// " | " so a tests-of-controls row keeps its control id and its result together.
pub fn docx(bytes: &[u8]) -> Result<Doc, String> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a readable DOCX (zip) file: {e}"))?;
    let mut entry = zip
        .by_name("word/document.xml")
        .map_err(|_| "not a Word document: the zip has no word/document.xml".to_string())?;
    if entry.encrypted() {
        return Err("the DOCX is password-protected".into());
    }
    let mut xml = Vec::new();
    (&mut entry)
        .take(MAX_DOCX_XML + 1)
        .read_to_end(&mut xml)
        .map_err(|e| format!("cannot decompress word/document.xml: {e}"))?;
    if xml.len() as u64 > MAX_DOCX_XML {
        // Cut there, the XML would only fail to parse: name the cap instead.
        return Err(format!(
            "word/document.xml decompresses to more than {} MiB, the cap on a DOCX's text (a \
             decompression bomb, or a document to split into parts)",
            MAX_DOCX_XML >> 20
        ));
    }
    docx_xml(&xml)
}

fn docx_xml(xml: &[u8]) -> Result<Doc, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut lines = Vec::new();
    let mut para = String::new();
    let mut row: Option<Vec<String>> = None;
    let mut in_text = false;
    let mut n = 0usize;
    let mut buf = Vec::new();
    loop {
        let ev = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("word/document.xml is not well-formed XML: {e}"))?;
        match ev {
            Event::Eof => break,
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tr" => row = Some(Vec::new()),
                "tab" => para.push('\t'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "tab" => para.push('\t'),
                "br" | "cr" => para.push(' '),
                _ => {}
            },
            Event::Text(t) if in_text => {
                para.push_str(t.as_ref());
            }
            Event::GeneralRef(r) if in_text => {
                let name: &str = r.as_ref();
                let ch = match name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                para.extend(ch);
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    n += 1;
                    let t = std::mem::take(&mut para);
                    match row.as_mut() {
                        Some(cells) => {
                            cells.push(t);
                        }
                        None => lines.push(Line {
                            text: t,
                            loc: format!("paragraph {n}"),
                            level: 0,
                        }),
                    }
                }
                "tr" => {
                    if let Some(cells) = row.take() {
                        let cells: Vec<String> = cells.into_iter().filter(|c| !c.trim().is_empty()).collect();
                        lines.push(Line {
                            text: format!("| {} |", cells.join(" | ")),
                            loc: format!("paragraph {n}"),
                            level: 0,
                        });
                    }
                }
                _ => {}
            },
            _ => {}
        }
        buf.clear();
        if lines.len() > 2_000_000 {
            break;
        }
    }
    Ok(Doc { lines })
}

/// The counted caps and the time budget of one PDF's decoding.
#[derive(Debug, Clone, Copy)]
pub struct PdfLimits {
    /// Pages read; a PDF with more is refused (the page tree is walked before any text).
    pub pages: usize,
    /// Objects (top-level and inside object streams); a PDF declaring more is refused before
    /// it is loaded.
    pub objects: usize,
    /// Time for loading and text extraction; checked between pages.
    pub time: std::time::Duration,
    /// How to raise the caps, for the error (the export and evidence entries differ).
    pub raise: &'static str,
}

/// Pages read from one PDF by default (a SOC 2 report runs to a few hundred).
pub const PDF_PAGES: usize = 5000;
/// Objects in one PDF by default (a 5,000-page report holds well under 200,000).
pub const PDF_OBJECTS: usize = 1_000_000;
/// The PDF's time budget is this many times the run's `--timeout` (60 s at the default 10 s).
pub const PDF_TIME_FACTOR: u32 = 6;
/// Largest size one stream may decompress to while the PDF is loaded or a page decoded.
const PDF_STREAM: usize = 32 * 1024 * 1024;

impl Default for PdfLimits {
    fn default() -> Self {
        PdfLimits {
            pages: PDF_PAGES,
            objects: PDF_OBJECTS,
            time: std::time::Duration::from_secs(60),
            raise: "split the document",
        }
    }
}

impl PdfLimits {
    /// The defaults with the time budget derived from the run's `--timeout`.
    pub fn for_timeout(timeout: std::time::Duration) -> Self {
        PdfLimits {
            time: timeout.saturating_mul(PDF_TIME_FACTOR),
            ..Default::default()
        }
    }
}

/// The message for a reference loop (lopdf's own words name an object id, not the cause).
const PDF_LOOP: &str = "PDF object references form a loop: the page tree or a page's content cannot be followed (a damaged or hostile file)";

/// PDF with the default limits (see [`pdf_with`]).
pub fn pdf(bytes: &[u8]) -> Result<Doc, String> {
    pdf_with(bytes, PdfLimits::default())
}

/// Why a PDF's text was not read.
#[derive(Debug, Clone, PartialEq)]
pub enum PdfError {
    /// Over a cap or out of time: the message names the cap and how to raise it.
    Limit(String),
    /// A scan, password-protected, corrupt, or a reference loop.
    Unreadable(String),
}

impl PdfError {
    pub fn message(self) -> String {
        match self {
            PdfError::Limit(m) | PdfError::Unreadable(m) => m,
        }
    }
}

/// [`pdf_limited`] with the error as a sentence.
pub fn pdf_with(bytes: &[u8], lim: PdfLimits) -> Result<Doc, String> {
    pdf_limited(bytes, lim).map_err(PdfError::message)
}

/// PDF: text per page (lopdf), opened with the empty user password when encrypted. A scan
/// (pages but no text), a password-protected or a corrupt file is an error, and so is one over
/// a cap of `lim` or its time. Decoding runs on its own thread with a large stack (hostile
/// nesting cannot overflow the caller's); past the time the caller gets the error at once and
/// the thread stops at its next page.
pub fn pdf_limited(bytes: &[u8], lim: PdfLimits) -> Result<Doc, PdfError> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let over_time = || {
        PdfError::Limit(format!(
            "the PDF's text could not be extracted within {} s (the run's --timeout × {PDF_TIME_FACTOR}): \
             raise --timeout, or {}",
            lim.time.as_secs_f64(),
            lim.raise
        ))
    };
    let deadline = std::time::Instant::now().checked_add(lim.time);
    let owned = bytes.to_vec();
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let stop_worker = stop.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("pdf-text".into())
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let out_of_time =
                || stop_worker.load(Ordering::Relaxed) || deadline.is_some_and(|d| std::time::Instant::now() > d);
            let r = std::panic::catch_unwind(|| pdf_inner(&owned, &lim, &out_of_time));
            let _ = tx.send(r.unwrap_or_else(|_| {
                Err(Some(PdfError::Unreadable(
                    "not a readable PDF (the decoder failed on it)".into(),
                )))
            }));
        });
    if spawned.is_err() {
        let out_of_time = || deadline.is_some_and(|d| std::time::Instant::now() > d);
        return pdf_inner(bytes, &lim, &out_of_time).map_err(|e| e.unwrap_or_else(over_time));
    }
    match rx.recv_timeout(lim.time) {
        Ok(r) => r.map_err(|e| e.unwrap_or_else(over_time)),
        Err(_) => {
            stop.store(true, Ordering::Relaxed);
            Err(over_time())
        }
    }
}

/// Upper bounds on a PDF's objects from its bytes, before lopdf loads (and allocates) them:
/// each `obj` keyword, plus the `/N` count of each object stream.
fn declared_objects(bytes: &[u8]) -> usize {
    let count = |pat: &[u8]| memchr::memmem::find_iter(bytes, pat).count();
    let top = count(b"obj").saturating_sub(count(b"endobj"));
    let mut inner = 0usize;
    for at in memchr::memmem::find_iter(bytes, b"/ObjStm") {
        // The stream's dictionary is around the type: look for `/N <digits>` near it.
        let from = at.saturating_sub(512);
        let to = (at + 512).min(bytes.len());
        let window = &bytes[from..to];
        if let Some(i) = memchr::memmem::find_iter(window, b"/N").find(|&i| {
            window
                .get(i + 2)
                .is_some_and(|b| b.is_ascii_whitespace() || b.is_ascii_digit())
        }) {
            let digits: String = window[i + 2..]
                .iter()
                .skip_while(|b| b.is_ascii_whitespace())
                .take_while(|b| b.is_ascii_digit())
                .map(|&b| b as char)
                .collect();
            inner = inner.saturating_add(digits.parse::<usize>().unwrap_or(usize::MAX));
        }
    }
    top.saturating_add(inner)
}

/// Follow a chain of references from `obj` with a memory of where it has been: `Err(())`
/// on a loop, `None` for a missing object.
fn resolve<'a>(
    doc: &'a lopdf::Document,
    mut obj: &'a lopdf::Object,
) -> Result<Option<(Option<lopdf::ObjectId>, &'a lopdf::Object)>, ()> {
    let mut seen = std::collections::HashSet::new();
    let mut id = None;
    while let lopdf::Object::Reference(r) = obj {
        if !seen.insert(*r) {
            return Err(());
        }
        id = Some(*r);
        match doc.objects.get(r) {
            Some(o) => obj = o,
            None => return Ok(None),
        }
    }
    Ok(Some((id, obj)))
}

/// Why the page tree could not be listed.
enum PageTree {
    Loop,
    TooMany,
}

/// The pages in order, walking the page tree with a memory of every node (a loop, or a
/// node reached twice, is an error rather than pages repeated up to lopdf's iteration limit),
/// stopping past `cap`. A kid that is not a dictionary stays as a page with no text.
fn page_ids(doc: &lopdf::Document, cap: usize) -> Result<Vec<lopdf::ObjectId>, PageTree> {
    use lopdf::Object;
    let Ok(root) = doc.catalog().and_then(|c| c.get(b"Pages")) else {
        return Ok(Vec::new());
    };
    let mut seen = std::collections::HashSet::new();
    let mut pages = Vec::new();
    // A stack of kids still to visit (reversed, so `pop` takes them in order).
    let mut stack: Vec<&Object> = vec![root];
    while let Some(node) = stack.pop() {
        // As lopdf numbers pages (its text extraction takes page numbers): a kid that is
        // missing or has no type is a page, one of another type is skipped.
        let Some((id, obj)) = resolve(doc, node).map_err(|()| PageTree::Loop)? else {
            if let Object::Reference(r) = node {
                pages.push(*r);
            }
            continue;
        };
        if let Some(id) = id
            && !seen.insert(id)
        {
            return Err(PageTree::Loop);
        }
        let dict = obj.as_dict().ok();
        match (dict.map(|d| d.get_type()), id) {
            (Some(Ok(b"Pages")), _) => match dict.and_then(|d| d.get(b"Kids").ok()).map(|k| resolve(doc, k)) {
                Some(Err(())) => return Err(PageTree::Loop),
                Some(Ok(Some((_, Object::Array(kids))))) => stack.extend(kids.iter().rev()),
                _ => {}
            },
            (Some(Ok(b"Page")) | Some(Err(_)) | None, Some(id)) => pages.push(id),
            _ => {}
        }
        if pages.len() > cap {
            return Err(PageTree::TooMany);
        }
    }
    Ok(pages)
}

/// Whether a page's `/Contents` references loop (lopdf gives up on them silently, and the
/// page would pass for a scan).
fn contents_loop(doc: &lopdf::Document, page: lopdf::ObjectId) -> bool {
    let Ok(dict) = doc.get_dictionary(page) else {
        return false;
    };
    let Ok(contents) = dict.get(b"Contents") else {
        return false;
    };
    match resolve(doc, contents) {
        Err(()) => true,
        Ok(Some((_, lopdf::Object::Array(parts)))) => parts.iter().any(|p| resolve(doc, p).is_err()),
        Ok(_) => false,
    }
}

/// The decoding proper; `Err(None)` means the time ran out (the caller words it).
fn pdf_inner(bytes: &[u8], lim: &PdfLimits, out_of_time: &dyn Fn() -> bool) -> Result<Doc, Option<PdfError>> {
    let objects = declared_objects(bytes);
    if objects > lim.objects {
        return Err(Some(PdfError::Limit(format!(
            "the PDF declares about {objects} objects, over the cap of {} (raise it: {})",
            lim.objects, lim.raise
        ))));
    }
    let mut opts = lopdf::LoadOptions::with_password("");
    opts.max_decompressed_size = Some(PDF_STREAM);
    let doc = match lopdf::Document::load_mem_with_options(bytes, opts) {
        Ok(d) => d,
        Err(e) => {
            if matches!(e, lopdf::Error::ReferenceCycle(_) | lopdf::Error::ReferenceLimit) {
                return Err(Some(PdfError::Unreadable(PDF_LOOP.into())));
            }
            let msg = e.to_string();
            let plain = lopdf::Document::load_mem(bytes);
            if plain.as_ref().is_ok_and(|d| d.is_encrypted()) || msg.to_ascii_lowercase().contains("password") {
                return Err(Some(PdfError::Unreadable(
                    "the PDF is password-protected (it does not open with an empty password)".into(),
                )));
            }
            return Err(Some(PdfError::Unreadable(format!("not a readable PDF: {msg}"))));
        }
    };
    if doc.is_encrypted() {
        return Err(Some(PdfError::Unreadable(
            "the PDF is password-protected (it does not open with an empty password)".into(),
        )));
    }
    if doc.objects.len() > lim.objects {
        return Err(Some(PdfError::Limit(format!(
            "the PDF holds {} objects, over the cap of {} (raise it: {})",
            doc.objects.len(),
            lim.objects,
            lim.raise
        ))));
    }
    let pages = match page_ids(&doc, lim.pages) {
        Ok(p) => p,
        Err(PageTree::Loop) => return Err(Some(PdfError::Unreadable(PDF_LOOP.into()))),
        Err(PageTree::TooMany) => {
            return Err(Some(PdfError::Limit(format!(
                "the PDF has more than {} pages, the cap on pages read from one PDF (raise it: {})",
                lim.pages, lim.raise
            ))));
        }
    };
    if pages.is_empty() {
        return Err(Some(PdfError::Unreadable("the PDF has no pages".into())));
    }
    let mut lines = Vec::new();
    let mut total = 0usize;
    let mut failed = 0usize;
    let mut looped = false;
    for (i, id) in pages.iter().enumerate() {
        if out_of_time() {
            return Err(None);
        }
        if contents_loop(&doc, *id) {
            looped = true;
            continue;
        }
        let p = i as u32 + 1;
        match doc.extract_text_with_limit(&[p], PDF_STREAM) {
            Ok(t) => {
                for l in t.lines() {
                    let l = l.trim_end();
                    // Headings come out twice from some writers' PDFs (text plus outline).
                    // (Short lines may be repeated table cells: those are kept.)
                    if l.len() >= 12 && lines.last().is_some_and(|p: &Line| p.text == l) {
                        continue;
                    }
                    total += l.len();
                    lines.push(Line {
                        text: l.to_string(),
                        loc: format!("page {p}"),
                        level: 0,
                    });
                }
            }
            Err(lopdf::Error::ReferenceCycle(_) | lopdf::Error::ReferenceLimit) => looped = true,
            Err(_) => failed += 1,
        }
        if total > MAX_TEXT {
            break;
        }
    }
    let chars: usize = lines.iter().map(|l| l.text.trim().len()).sum();
    if chars < 20 {
        return Err(Some(PdfError::Unreadable(if looped {
            PDF_LOOP.into()
        } else if failed == pages.len() {
            "the PDF's pages could not be decoded (corrupt content streams)".into()
        } else {
            format!(
                "the PDF has no text layer ({} page(s), a scan?): run it through OCR or ask the vendor for a text PDF",
                pages.len()
            )
        })));
    }
    Ok(Doc { lines })
}

/// Sentences for clause matching: lines are joined within a paragraph (a blank line, a
/// heading-like short line or a table row ends one) and split after `.`, `!` or `?` followed by a
/// capital, except after one-letter or common legal abbreviations.
#[derive(Debug, Clone)]
pub struct Sentence {
    pub text: String,
    pub loc: String,
}

pub fn sentences(doc: &Doc) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut para = String::new();
    let mut loc = String::new();
    let flush = |para: &mut String, loc: &str, out: &mut Vec<Sentence>| {
        split_sentences(para, loc, out);
        para.clear();
    };
    for l in &doc.lines {
        let t = l.text.trim();
        if t.is_empty() || t.starts_with('|') {
            flush(&mut para, &loc, &mut out);
            if t.starts_with('|') {
                out.push(Sentence {
                    text: t.to_string(),
                    loc: l.loc.clone(),
                });
            }
            continue;
        }
        // A numbered clause ("2.3 ", "(b) ", "ARTICLE 2") starts a paragraph of its own, and so
        // does a heading (a short line without end punctuation after a finished sentence).
        let after_sentence = para.is_empty() || para.ends_with(['.', ':', '!', '?']);
        let heading = after_sentence && heading_like(t);
        if !para.is_empty() && (numbered(t) || heading) {
            flush(&mut para, &loc, &mut out);
        }
        if heading {
            out.push(Sentence {
                text: t.to_string(),
                loc: l.loc.clone(),
            });
            continue;
        }
        if para.is_empty() {
            loc = l.loc.clone();
        } else {
            para.push(' ');
        }
        // A hyphen at a PDF line end splits a word.
        if para.ends_with("- ") && para.len() > 2 {
            para.truncate(para.len() - 1);
        }
        para.push_str(t);
        if para.len() > 100_000 {
            flush(&mut para, &loc, &mut out);
        }
    }
    flush(&mut para, &loc, &mut out);
    out
}

fn heading_like(t: &str) -> bool {
    t.len() < 70
        && !t.ends_with(['.', ',', ';', ':', '-', '–'])
        && t.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
}

fn numbered(t: &str) -> bool {
    let b = t.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit() || **c == b'.').count();
    let dotted = b[..digits].contains(&b'.');
    (digits > 0 && b[0].is_ascii_digit() && ((dotted && b.get(digits) == Some(&b' ')) || b.get(digits) == Some(&b')')))
        || (b.first() == Some(&b'(') && b.get(2) == Some(&b')'))
        || t.starts_with("ARTICLE ")
        || t.starts_with("Section ")
        || t.starts_with("SECTION ")
}

const ABBREV: &[&str] = &[
    "sec", "no", "inc", "corp", "ltd", "co", "e.g", "i.e", "cf", "art", "para", "st", "mr", "ms", "dr", "vs", "etc",
    "c.f.r", "u.s", "u.s.c", "seq", "pp", "p", "v", "§", "part", "section",
];

pub(crate) fn split_sentences(para: &str, loc: &str, out: &mut Vec<Sentence>) {
    let bytes = para.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b'.' | b'!' | b'?') && i + 2 < bytes.len() && bytes[i + 1] == b' ' {
            let next = para[i + 2..].chars().next().unwrap_or(' ');
            let word: String = para[start..i]
                .rsplit(|ch: char| ch.is_whitespace() || ch == '(')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            // A section number wrapped at its dots ("paragraph 6.2.3. 8)") does not end a sentence.
            let wrapped_number =
                next.is_ascii_digit() && word.contains('.') && word.chars().all(|ch| ch.is_ascii_digit() || ch == '.');
            // "EU-U.S. Data Privacy Framework", "U.K. GDPR": the part after a hyphen or slash
            // counts, and any dotted run of single letters is an initialism, not an end.
            let last = word.rsplit(['-', '/', '–']).next().unwrap_or("");
            let initialism = last.len() >= 3
                && last
                    .split('.')
                    .all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic));
            let abbrev = c == b'.'
                && ((word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
                    || ABBREV.contains(&word.as_str())
                    || ABBREV.contains(&last)
                    || initialism
                    || wrapped_number);
            if (next.is_uppercase() || next.is_ascii_digit() || next == '(' || next == '"' || next == '“') && !abbrev
            {
                push_sentence(&para[start..=i], loc, out);
                start = i + 2;
            }
        }
        i += 1;
    }
    push_sentence(&para[start..], loc, out);
}

fn push_sentence(s: &str, loc: &str, out: &mut Vec<Sentence>) {
    let t = s.trim();
    if !t.is_empty() {
        out.push(Sentence {
            text: t.to_string(),
            loc: loc.to_string(),
        });
    }
}

/// A quote of at most one short sentence: the first 200 characters, cut at a word.
pub fn short_quote(s: &str) -> String {
    const MAX: usize = 200;
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= MAX {
        return s;
    }
    let cut: String = s.chars().take(MAX).collect();
    let cut = cut.rsplit_once(' ').map(|(a, _)| a.to_string()).unwrap_or(cut);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_legal_abbreviations() {
        let d = text(
            "Business Associate shall comply with 45 C.F.R. § 164.504(e). It shall notify\nCovered Entity within five (5) days. See Sec. 4.\n",
        );
        let s = sentences(&d);
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(s[1].text.contains("five (5) days"));
        let s = sentences(&text(
            "Noncompliance with these provisions (paragraph 6.2.3. 8) may subject the Contractor to termination.\n",
        ));
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].loc, "line 1");
        let s = sentences(&text(
            "We rely on the EU-U.S. Data Privacy Framework and the U.K. Extension to it. Transfers are logged.\n",
        ));
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].text.ends_with("Extension to it."), "{s:?}");
    }

    #[test]
    fn html_strips_tags_and_keeps_lines() {
        let d = html("<html><style>p{}</style>\n<body><p>One &amp; two</p>\n<p>Three</p></body></html>");
        assert_eq!(d.lines[0].text, "One & two");
        assert_eq!(d.lines[1].text, "Three");
        assert_eq!(d.lines[1].loc, "line 3");
    }

    #[test]
    fn markdown_links_and_emphasis_keep_their_words() {
        let d = text(
            "This code was audited by [Amossys](https://www.amossys.fr/) an external company.\n_MJD Advisors_\nSee [the report](<pdfs/a b.pdf>) and *this*.\nnot _Process_ _Controller Personal Data_ other than on the _Controller Company_'s instructions\nName: \\_\\_\\_\\_ and ____ stay; snake_case_name too.\n",
        );
        assert_eq!(d.lines[0].text, "This code was audited by Amossys an external company.");
        assert_eq!(d.lines[1].text, "MJD Advisors");
        assert_eq!(d.lines[2].text, "See the report and this.");
        assert_eq!(
            d.lines[3].text,
            "not Process Controller Personal Data other than on the Controller Company's instructions"
        );
        assert_eq!(
            d.lines[4].text,
            "Name: \\_\\_\\_\\_ and ____ stay; snake_case_name too."
        );
    }

    #[test]
    fn non_breaking_hyphens_are_hyphens() {
        let d = extract(
            "Effective: 2025\u{2011}07\u{2011}10 \u{2013} final\n".as_bytes(),
            "dpa.md",
        )
        .unwrap();
        assert_eq!(d.lines[0].text, "Effective: 2025-07-10 \u{2013} final");
    }

    #[test]
    fn garbage_is_refused() {
        assert!(extract(&[0u8, 1, 2, 3, 255, 254], "x.bin").is_err());
        assert!(extract(b"   \n", "x.txt").is_err());
        assert!(extract(b"%PDF-1.7\n garbage", "x.pdf").is_err());
        assert!(extract(b"PK\x03\x04garbage", "x.docx").is_err());
    }
}
