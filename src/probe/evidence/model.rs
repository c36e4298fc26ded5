//! ② Collect (evidence): the document model. A [`Doc`]'s lines (from any reader: PDF, DOCX,
//! HTML, Markdown, text) become one structure: paragraphs with their numbering and heading path,
//! list items that carry the lead-in they complete ("Business Associate agrees to: … (c) Report
//! …"), known regions (introduction, recitals, definitions, disclaimers, drafting notes),
//! placeholders ("[Insert date]", "_____") taken out of the text that is read, and running
//! page headers and footers taken out of the flow but kept as metadata. The parties are learnt
//! from the preamble and definitions ([`Parties`]). Pure; no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex::Regex;

use super::phrasing::{Phrasing, any};
use super::text::{Doc, Line, Sentence, split_sentences};

/// Where a paragraph sits in the document, as far as reading duties is concerned: only the
/// body states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Region {
    Body,
    /// An introduction or instructions to the reader (a template's "Introduction").
    Introduction,
    /// "WHEREAS …" recitals and background.
    Recitals,
    /// A definitions section or a paragraph that defines a term.
    Definitions,
    /// "This is only sample language …", "not legal advice".
    Disclaimer,
    /// A drafting note left in the text ("[The parties may wish to add …]").
    Note,
    /// Items that name clauses rather than state them (a survival list: "The following
    /// provisions shall survive: - Indemnification").
    Names,
}

impl Region {
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Body => "body",
            Region::Introduction => "introduction",
            Region::Recitals => "recitals",
            Region::Definitions => "definitions",
            Region::Disclaimer => "disclaimer",
            Region::Note => "drafting note",
            Region::Names => "list of clause names",
        }
    }
}

/// How a paragraph is numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Number {
    /// "6.2.3.8", "1.", "Article 5", "Section 3", "§ 6.2": a section, with its depth.
    Section(String, usize),
    /// "(a)", "(iv)", "2)", "a.", a bullet: a list item, with its marker style.
    Item(String, Style),
}

/// A list marker's style: items of one style are siblings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Alpha,
    Roman,
    Digit,
    Bullet,
}

/// One paragraph (or heading, or table row).
#[derive(Debug, Clone)]
pub struct Para {
    /// The text as read: whitespace collapsed, the number kept.
    pub raw: String,
    /// The text that is read for facts: number, placeholders and drafting notes removed.
    pub text: String,
    pub loc: String,
    pub number: Option<Number>,
    pub heading: bool,
    /// Titles of the headings it sits under, outermost first.
    pub path: Vec<String>,
    pub region: Region,
    /// The lead-in a list item completes ("Business Associate agrees to:").
    pub lead_in: Option<String>,
    /// Placeholders and drafting notes taken out of `text`.
    pub placeholders: usize,
    pub table_row: bool,
}

/// Who is who: the names and defined terms that stand for the vendor and for the practice.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Parties {
    pub vendor: Vec<String>,
    pub practice: Vec<String>,
}

/// A document's structure.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub paras: Vec<Para>,
    /// Lines repeated on most pages (running headers and footers), once each, in order.
    pub running: Vec<String>,
    pub parties: Parties,
    /// The phrasing's patterns for a sentence that defines a term.
    pub definition: Vec<Regex>,
    /// Durations the contract defines ("“Response Period” means ten days"): term and duration.
    pub durations: Vec<(String, String)>,
    /// The lines in reading order without running headers and footers, whitespace collapsed and
    /// inline HTML removed (what the SOC 2 and pen-test readers read).
    pub doc: Doc,
}

/// One sentence as the clause reader reads it.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The sentence to match: a list item's lead-in before it, placeholders removed, and the
    /// parties' names replaced by their roles.
    pub text: String,
    /// The sentence as the document has it.
    pub quote: String,
    pub loc: String,
    pub region: Region,
    pub path: Vec<String>,
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("model regex"))
}

fn none_answer_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)^(?:n/?a|none|nil|not applicable|[-–—]+)\.?$")
}

fn tag_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]{0,400})?/?>")
}

fn link_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\[([^\[\]]{0,300})\](?:\([^()\s]{0,500}\)|\[[^\[\]]{0,40}\])")
}

fn bracket_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"\[[^\[\]]{0,2000}\]")
}

fn figure_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"^\s*\d{1,4}(?:\s+(?:business |calendar |working )?(?:days?|hours?|weeks?|months?|years?))?\s*$",
    )
}

/// A unit of time in or right after a bracketed figure.
fn figure_unit_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?i)^[\s*_\d]*(?:business |calendar |working )?(?:days?|hours?|weeks?|months?|years?)\b",
    )
}

fn blank_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"_{3,}|…{2,}|\.{5,}")
}

/// Inline HTML that Markdown carried (`<span class="…">`) and whitespace runs removed.
pub fn clean_line(t: &str) -> String {
    let t = if t.contains('<') {
        tag_re().replace_all(t, "").into_owned()
    } else {
        t.to_string()
    };
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lines that repeat on most pages of a paged document: running headers and footers.
fn running_lines(lines: &[Line]) -> BTreeSet<String> {
    let mut pages: BTreeSet<&str> = BTreeSet::new();
    let mut seen: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for l in lines {
        if !l.loc.starts_with("page ") {
            return BTreeSet::new();
        }
        pages.insert(&l.loc);
        let t = l.text.trim();
        // Punctuation alone ("(", "/") recurs on most pages without being a header.
        let letters = t.chars().filter(|c| c.is_alphanumeric()).count();
        if letters >= 3 && t.len() <= 80 && !t.chars().all(|c| c.is_ascii_digit()) {
            seen.entry(t).or_default().insert(&l.loc);
        }
    }
    if pages.len() < 4 {
        return BTreeSet::new();
    }
    seen.into_iter()
        .filter(|(_, ps)| ps.len() * 10 >= pages.len() * 6)
        .map(|(t, _)| t.to_string())
        .collect()
}

/// The numbering at the start of a paragraph, and where the text after it starts.
pub fn number(t: &str) -> Option<(Number, usize)> {
    static SEC: OnceLock<Regex> = OnceLock::new();
    static NAMED: OnceLock<Regex> = OnceLock::new();
    static PAREN: OnceLock<Regex> = OnceLock::new();
    static DOT: OnceLock<Regex> = OnceLock::new();
    static BULLET: OnceLock<Regex> = OnceLock::new();
    let sec = re(&SEC, r"^§?\s*(\d{1,3}(?:\.\d{1,3})+|\d{1,3})(\.|\))?(?:\s+|$)");
    let named = re(
        &NAMED,
        r"^(?i:article|section|clause|schedule|annex|appendix|exhibit)\s+([0-9]{1,3}(?:\.[0-9]{1,3})*|[IVXLC]{1,6}|[A-Z])\b[.:]?\s*",
    );
    let paren = re(&PAREN, r"^\(([a-z]{1,2}|[ivxlc]{1,6}|[A-Z]|\d{1,2})\)\s*");
    let dot = re(&DOT, r"^([a-z]|[ivx]{1,5}|[A-Z])[.)]\s+");
    let bullet = re(&BULLET, r"^(?:[-*•·▪◦]\s+|[—–]\s*)");
    if let Some(c) = named.captures(t) {
        let n = c[1].to_string();
        let depth = n.split('.').count();
        return Some((Number::Section(n, depth), c.get(0)?.end()));
    }
    if let Some(c) = sec.captures(t) {
        let n = c[1].to_string();
        // A bare number needs its "." or ")" ("5 days" is not a section); "2)" is an item.
        match (n.contains('.'), c.get(2).map(|m| m.as_str())) {
            (true, _) | (false, Some(".")) => {
                let n = n.trim_end_matches('.').to_string();
                let depth = n.split('.').count();
                return Some((Number::Section(n, depth), c.get(0)?.end()));
            }
            (false, Some(")")) => return Some((Number::Item(n, Style::Digit), c.get(0)?.end())),
            _ => {}
        }
    }
    if let Some(c) = paren.captures(t) {
        let m = c[1].to_string();
        let style = style_of(&m);
        return Some((Number::Item(m, style), c.get(0)?.end()));
    }
    if let Some(c) = dot.captures(t) {
        let m = c[1].to_string();
        let style = style_of(&m);
        return Some((Number::Item(m, style), c.get(0)?.end()));
    }
    bullet
        .find(t)
        .map(|m| (Number::Item(String::new(), Style::Bullet), m.end()))
}

fn style_of(m: &str) -> Style {
    if m.chars().all(|c| c.is_ascii_digit()) {
        Style::Digit
    } else if m.len() > 1 && m.chars().all(|c| "ivxlcIVXLC".contains(c)) || m == "i" || m == "v" || m == "x" {
        Style::Roman
    } else {
        Style::Alpha
    }
}

/// Words that keep their hyphen when a line break falls after it.
const COMPOUND: &[&str] = &[
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "non", "self", "third", "multi",
    "cross", "well", "sub", "co", "e", "pre", "post", "anti", "inter", "de", "re", "follow", "sign",
];

/// Words a heading does not end on: a line that ends on one is cut from a sentence.
const OPEN_ENDS: &[&str] = &[
    "of", "to", "the", "a", "an", "and", "or", "in", "within", "for", "by", "with", "any", "than", "that", "on", "at",
    "as", "its", "their", "such", "no", "not", "shall", "will", "must", "may",
];

fn heading_like(t: &str) -> bool {
    let last = t.rsplit(' ').next().unwrap_or("").to_ascii_lowercase();
    let words = t.split_whitespace().count();
    // A duty is a sentence, not a title.
    let modal = t
        .split_whitespace()
        .any(|w| matches!(w, "shall" | "will" | "must" | "agrees" | "may"));
    t.len() < 70
        && words <= 10
        && !modal
        && !t.ends_with(['.', ',', ';', ':', '-', '–'])
        && t.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && !OPEN_ENDS.contains(&last.as_str())
}

/// A numbered paragraph's run-in title ("Data at Rest: The Contractor …", "Survival. The …"):
/// a short Title Case phrase before its first ":" or ". "; empty when there is none.
fn run_in_title(t: &str) -> String {
    let cut = t.find([':', '.']).unwrap_or(t.len());
    let title = t[..cut].trim();
    let joiners = [
        "of", "and", "the", "to", "for", "at", "in", "on", "or", "&", "by", "with", "a", "an",
    ];
    let title_case = title.split_whitespace().all(|w| {
        w.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || c == '(')
            || joiners.contains(&w)
    });
    if cut < t.len() && !title.is_empty() && title.len() <= 60 && title.split_whitespace().count() <= 8 && title_case {
        title.to_string()
    } else {
        String::new()
    }
}

/// Placeholders and drafting notes out of a paragraph's text: Markdown links become their text,
/// then every `[…]` that is an instruction ("[Insert date]", "[The parties may …]",
/// "[Optional]": it starts with a capital) and every blank (`_____`) goes. A bracketed figure
/// with a unit of time ("within [15] days") is the template's proposed number and stays. Bracketed optional
/// wording that continues the sentence ("return [or, if agreed, destroy] all PHI") stays, without
/// its brackets. Returns the text and how many were removed.
fn strip_placeholders(t: &str) -> (String, usize) {
    let t = link_re().replace_all(t, "$1");
    let mut n = 0;
    let t = bracket_re().replace_all(&t, |c: &regex::Captures| {
        let inner = &c[0][1..c[0].len() - 1];
        if inner.trim_start().chars().next().is_some_and(char::is_lowercase) {
            return inner.to_string();
        }
        // A figure the template proposes ("within [15] days", "[30 days]") is the number.
        let after = &t[c.get(0).map_or(t.len(), |m| m.end())..];
        if figure_re().is_match(inner) && (figure_unit_re().is_match(inner) || figure_unit_re().is_match(after)) {
            return inner.trim().to_string();
        }
        n += 1;
        " ".to_string()
    });
    let t = blank_re().replace_all(&t, |_: &regex::Captures| {
        n += 1;
        " "
    });
    (t.split_whitespace().collect::<Vec<_>>().join(" "), n)
}

/// The region a heading opens, from the phrasing's `[phrase.structure]`.
fn heading_region(title: &str, p: &Phrasing) -> Option<Region> {
    let g = |k| p.group("structure", k);
    if any(g("definitions"), title) {
        Some(Region::Definitions)
    } else if any(g("introduction"), title) {
        Some(Region::Introduction)
    } else if any(g("recitals"), title) {
        Some(Region::Recitals)
    } else if any(g("back_matter"), title) {
        Some(Region::Note)
    } else {
        None
    }
}

/// Build the model of a document.
pub fn build(doc: &Doc, p: &Phrasing) -> Model {
    let running = running_lines(&doc.lines);
    let mut kept: Vec<String> = Vec::new();
    let mut lines = Vec::with_capacity(doc.lines.len());
    for l in &doc.lines {
        let t = clean_line(&l.text);
        if running.contains(l.text.trim()) {
            if !kept.contains(&t) {
                kept.push(t);
            }
            continue;
        }
        lines.push(Line {
            text: t,
            loc: l.loc.clone(),
            level: l.level,
        });
    }
    let clean = Doc { lines };
    let paras = paragraphs(&clean, p);
    let parties = parties(&paras, p);
    let durations = durations(&paras);
    Model {
        paras,
        running: kept,
        parties,
        definition: p.group("structure", "definition").to_vec(),
        durations,
        doc: clean,
    }
}

/// A paragraph as the first pass joins it: text, location, heading level (0: an unmarked
/// heading), table row, and whether its "N." is a list item.
type RawPara = (String, String, Option<u8>, bool, bool);

/// A title rather than a sentence: heading-like and every word capitalised ("DEFINITIONS",
/// "Term and Termination"), with no ":" inside ("Security Incidents: Within 24 hours").
fn is_title(t: &str) -> bool {
    let joiners = [
        "of", "and", "the", "to", "for", "in", "on", "or", "&", "by", "with", "a", "an",
    ];
    heading_like(t)
        && !t.contains(':')
        && t.split_whitespace()
            .all(|w| w.chars().next().is_some_and(|c| !c.is_lowercase()) || joiners.contains(&w))
}

/// A two-cell table row whose first cell is a short label ("| Purpose | Performance of the
/// Main Agreement |") reads as the labelled line it stands for ("Purpose: Performance …"): the
/// annexes of DPAs and SCCs are label/value tables. Any other row is kept as it is.
fn label_row(t: &str) -> String {
    let cells: Vec<&str> = t.trim().trim_matches('|').split('|').map(str::trim).collect();
    match cells.as_slice() {
        [label, value]
            if !label.is_empty()
                && !value.is_empty()
                && label.chars().count() <= 40
                && !label.contains(['.', ';'])
                && label.chars().next().is_some_and(char::is_alphabetic) =>
        {
            format!("{}: {value}", label.trim_end_matches(':'))
        }
        _ => t.to_string(),
    }
}

/// Lines → paragraphs with numbering, heading path, region and lead-in.
fn paragraphs(doc: &Doc, p: &Phrasing) -> Vec<Para> {
    // First pass: join lines into raw paragraphs (text, loc, heading level or 0, table row,
    // a "1." that is a list item rather than a section).
    let mut raw: Vec<RawPara> = Vec::new();
    let mut cur = String::new();
    let mut loc = String::new();
    let mut cur_digit_item = false;
    // The last "N." list item of the list being read ("1." items under "shall:").
    let mut digit_run: Option<u32> = None;
    let lines = &doc.lines;
    let flush = |cur: &mut String, loc: &str, item: &mut bool, raw: &mut Vec<RawPara>| {
        if !cur.trim().is_empty() {
            raw.push((cur.trim().to_string(), loc.to_string(), None, false, *item));
        }
        cur.clear();
        *item = false;
    };
    for (i, l) in lines.iter().enumerate() {
        let t = l.text.trim();
        if t.is_empty() {
            flush(&mut cur, &loc, &mut cur_digit_item, &mut raw);
            continue;
        }
        if t.starts_with('|') {
            flush(&mut cur, &loc, &mut cur_digit_item, &mut raw);
            raw.push((label_row(t), l.loc.clone(), None, true, false));
            digit_run = None;
            continue;
        }
        if l.level > 0 {
            flush(&mut cur, &loc, &mut cur_digit_item, &mut raw);
            raw.push((t.to_string(), l.loc.clone(), Some(l.level), false, false));
            digit_run = None;
            continue;
        }
        // "… (paragraph 6.2.3." has not finished its sentence: a section number wrapped.
        let mut tail = cur.rsplit(' ');
        let last = tail.next().unwrap_or("");
        let before_last = tail.next().unwrap_or("").trim_start_matches('(').to_ascii_lowercase();
        let wrapped_number = [
            "paragraph",
            "paragraphs",
            "section",
            "sections",
            "subsection",
            "clause",
            "para.",
        ]
        .contains(&before_last.as_str())
            && last.ends_with('.')
            && last.contains(|c: char| c.is_ascii_digit())
            && last.trim_end_matches('.').contains('.')
            && last.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '(');
        let after_sentence = cur.is_empty() || (cur.ends_with(['.', ':', '!', '?', ';']) && !wrapped_number);
        // A heading: a short line after a finished sentence, not followed by the rest of its
        // own sentence (a lower-case continuation means a bold lead-in cut by the PDF).
        let next = lines[i + 1..].iter().map(|n| n.text.trim()).find(|n| !n.is_empty());
        let continues = next.is_some_and(|n| n.chars().next().is_some_and(char::is_lowercase));
        let numbered = number(t);
        let body = numbered.as_ref().map(|(_, e)| &t[*e..]).unwrap_or(t);
        // A bare "N." is a list item, not a section, when it follows an open lead-in ("shall:")
        // or continues a list of such items ("2." after "1.", Markdown's repeated "1.").
        let lead_open = if cur.is_empty() {
            raw.last().is_some_and(|r| !r.3 && r.0.ends_with(':'))
        } else {
            cur.ends_with(':')
        };
        let digit_item = match &numbered {
            Some((Number::Section(n, 1), _)) if t.as_bytes().get(n.len()) == Some(&b'.') => {
                let k: u32 = n.parse().unwrap_or(0);
                let successor = digit_run.is_some_and(|p| k == p + 1 || (k == 1 && p == 1));
                // "agree as follows:" / "1. DEFINITIONS" or "1. Definitions. Terms …": a title,
                // or a run-in title closed by a full stop, after a lead-in is a section.
                let titled =
                    !run_in_title(body).is_empty() && body.find([':', '.']).is_some_and(|i| body[i..].starts_with('.'));
                (successor || (lead_open && !is_title(body) && !titled)).then_some(k)
            }
            _ => None,
        };
        let numbered = match (digit_item, numbered) {
            (Some(_), Some((Number::Section(n, _), e))) => Some((Number::Item(n, Style::Digit), e)),
            (_, n) => n,
        };
        let is_item = matches!(numbered, Some((Number::Item(..), _)));
        let heading =
            after_sentence && !is_item && !continues && heading_like(t) && (body.is_empty() || heading_like(body));
        // A number at a line start after an unfinished sentence is a wrapped reference ("45 CFR"
        // / "164.524."), not a new paragraph; a bullet or an item after "and"/"or" is one.
        let numbered = numbered.filter(|(n, _)| {
            after_sentence
                || digit_item.is_some()
                || matches!(n, Number::Item(_, Style::Bullet))
                || (matches!(n, Number::Item(..)) && (cur.ends_with(" and") || cur.ends_with(" or")))
        });
        if !cur.is_empty() && (numbered.is_some() || heading) {
            flush(&mut cur, &loc, &mut cur_digit_item, &mut raw);
        }
        if heading {
            raw.push((t.to_string(), l.loc.clone(), Some(0), false, false));
            digit_run = None;
            continue;
        }
        if cur.is_empty() {
            loc = l.loc.clone();
            cur_digit_item = digit_item.is_some();
            if let Some(k) = digit_item {
                digit_run = Some(k);
            } else if numbered.is_none() {
                // A paragraph that is no list item ends the list.
                digit_run = None;
            }
        } else if cur.ends_with('-') && cur.len() > 2 && t.chars().next().is_some_and(char::is_lowercase) {
            // A hyphen at a line end splits a word ("secu-" "rity"), unless it joins a compound
            // ("forty-" "five", "third-" "party").
            let prefix = cur[..cur.len() - 1]
                .rsplit(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            if !COMPOUND.contains(&prefix.as_str()) {
                cur.pop();
            }
        } else {
            cur.push(' ');
        }
        cur.push_str(t);
        if cur.len() > 100_000 {
            flush(&mut cur, &loc, &mut cur_digit_item, &mut raw);
        }
    }
    flush(&mut cur, &loc, &mut cur_digit_item, &mut raw);

    // Second pass: structure.
    let mut out = Vec::with_capacity(raw.len());
    // Headings open: (depth, title, region it opens, an unmarked heading: a bold or short line).
    let mut stack: Vec<(usize, String, Option<Region>, bool)> = Vec::new();
    // Lead-ins open: (style of the items under it, the lead-in text).
    let mut leads: Vec<(Option<Style>, String)> = Vec::new();
    let mut last_alpha: Option<char> = None;
    for (t, loc, level, table_row, digit_item) in raw {
        let numbered = number(&t).map(|(n, e)| match n {
            Number::Section(n, _) if digit_item => (Number::Item(n, Style::Digit), e),
            n => (n, e),
        });
        let after = numbered.as_ref().map(|(_, e)| t[*e..].trim()).unwrap_or(&t).to_string();
        let heading = level.is_some();
        let mut number_kind = numbered.map(|n| n.0);
        // "(i)" after "(h)" is the ninth letter, not a roman one.
        if let Some(Number::Item(m, s @ Style::Roman)) = &mut number_kind
            && m.len() == 1
            && last_alpha.is_some_and(|c| (c as u8 + 1) as char == m.chars().next().unwrap_or(' '))
        {
            *s = Style::Alpha;
        }
        if let Some(Number::Item(m, Style::Alpha)) = &number_kind {
            last_alpha = m.chars().next();
        }
        // Depth of a section number or heading, for the heading path.
        // A heading the source marks keeps the source's level (Markdown "## 1. Definitions" and
        // "## Recitals" are siblings); numbers nest below marked headings.
        let depth = match (&number_kind, level) {
            (_, Some(l)) if l > 0 => Some(l as usize),
            (Some(Number::Section(_, d)), _) => Some(*d + 10),
            (_, Some(_)) => Some(stack.last().map(|s| s.0).unwrap_or(1)),
            _ => None,
        };
        if let Some(d) = depth {
            // A note after "END OF … AGREEMENT" runs to the next heading, whatever its level.
            while stack.last().is_some_and(|s| s.0 >= d || s.2 == Some(Region::Note)) {
                stack.pop();
            }
            // A top-level numbered section that is itself a title ("1. PROCESSING OF PERSONAL
            // DATA", a word processor's numbered headings) is a sibling of an unmarked heading
            // ("DEFINITIONS" in bold), not inside it: the definitions end there.
            if matches!(&number_kind, Some(Number::Section(_, 1))) && heading_like(&after) {
                while stack.last().is_some_and(|s| s.3) {
                    stack.pop();
                }
            }
            leads.clear();
        }
        let path: Vec<String> = stack.iter().filter(|s| !s.1.is_empty()).map(|s| s.1.clone()).collect();
        let mut region = stack.iter().rev().find_map(|s| s.2).unwrap_or(Region::Body);
        // A numbered clause titled "Instructions" is the Art. 28(3)(a) duty, not a template's
        // instructions to its reader: numbered headings never open an introduction.
        let numbered_intro = |r: &Option<Region>| *r == Some(Region::Introduction) && number_kind.is_some();
        if heading && let Some(d) = depth {
            let r = Some(heading_region(&after, p)).filter(|r| !numbered_intro(r)).flatten();
            stack.push((d, after.clone(), r, level == Some(0) && number_kind.is_none()));
            if let Some(r) = r {
                region = r;
            }
        } else if let (Some(Number::Section(..)), Some(d)) = (&number_kind, depth) {
            // A numbered paragraph is a section of its own: its run-in title ("6.2.4 Data at
            // Rest: …") heads its subsections.
            let title = run_in_title(&after);
            let r = Some(heading_region(&title, p)).filter(|r| !numbered_intro(r)).flatten();
            stack.push((d, title, r, false));
            if let Some(r) = r {
                region = r;
            }
        }
        let (text, placeholders) = strip_placeholders(&after);
        // Lead-ins: items take the innermost open lead-in of their style.
        let lead_in = match &number_kind {
            Some(Number::Item(_, style)) => {
                if let Some(i) = leads.iter().rposition(|l| l.0 == Some(*style)) {
                    leads.truncate(i + 1);
                } else if let Some(last) = leads.last_mut()
                    && last.0.is_none()
                {
                    last.0 = Some(*style);
                } else {
                    // An item of a new style under an item that did not end with ":" is not
                    // under a lead-in.
                }
                let l = leads.iter().rev().find(|l| l.0 == Some(*style)).map(|l| l.1.clone());
                if text.ends_with(':') {
                    let base = l.clone().map(|b| format!("{b} ")).unwrap_or_default();
                    leads.push((None, format!("{base}{}", text.trim_end_matches(':'))));
                }
                l
            }
            _ => {
                leads.clear();
                // A heading ending in ":" ("### MHA Shall NOT Use PHI For:") leads its items too.
                if text.ends_with(':') {
                    let mut s = Vec::new();
                    split_sentences(&text, "", &mut s);
                    if let Some(last) = s.last() {
                        leads.push((None, last.text.trim_end_matches(':').trim().to_string()));
                    }
                }
                None
            }
        };
        if region == Region::Body && !heading {
            let g = |k| p.group("structure", k);
            region = if any(g("recital"), &text) {
                Region::Recitals
            } else if any(g("disclaimer"), &text) {
                Region::Disclaimer
            } else if any(g("back_matter"), &text) {
                Region::Note
            } else if lead_in.as_deref().is_some_and(|l| any(g("names_list"), l)) {
                Region::Names
            } else if text.is_empty() && placeholders > 0 {
                Region::Note
            } else {
                Region::Body
            };
        }
        out.push(Para {
            raw: t,
            text,
            loc,
            number: number_kind,
            heading,
            path,
            region,
            lead_in,
            placeholders,
            table_row,
        });
    }
    out
}

/// Words that name no party (a generic or sentence word), never a name to replace or link.
const GENERIC: &[&str] = &[
    "The",
    "This",
    "Each",
    "Such",
    "It",
    "Party",
    "Parties",
    "Agreement",
    "DPA",
    "BAA",
    "Addendum",
    "Terms",
];

/// The parties from the preamble and definitions: `Acme, Inc. ("Provider")`, `"Vendor" means
/// Acme`, `DHA meets the definition of a covered entity`, `GitHub is the Processor`.
pub fn parties(paras: &[Para], p: &Phrasing) -> Parties {
    static PAREN: OnceLock<Regex> = OnceLock::new();
    static MEANS: OnceLock<Regex> = OnceLock::new();
    static IS: OnceLock<Regex> = OnceLock::new();
    static DATA: OnceLock<Regex> = OnceLock::new();
    let paren = re(
        &PAREN,
        r#"\(\s*(?:(?:hereinafter|collectively|individually)\s+)?(?:(?:referred to as|called)\s+)?(?:the\s+|a\s+)?[“"”']([^“"”'()]{2,40})[“"”']\s*\)"#,
    );
    // Without parentheses: `Acme GmbH, hereinafter referred to as "contractor"`.
    static HEREIN: OnceLock<Regex> = OnceLock::new();
    let herein = re(
        &HEREIN,
        r#",\s*hereinafter\s+(?:referred\s+to\s+as|called)\s+(?:the\s+)?[“"”']([^“"”'()]{2,40})[“"”']"#,
    );
    let means = re(
        &MEANS,
        r#"^(?:\(?[a-z0-9]{1,4}[.)]\s*)?(?:[A-Z][\w ]{0,40}\.\s+)?[“"”]([^“"”]{2,40})[“"”]\s+(?:means|shall mean|refers to|is)\s+(?:the\s+)?([A-Z][\w&.,’' -]{1,80}?)(?:[,;.(]|\s+and\s|\s+which\s|$)"#,
    );
    let is = re(
        &IS,
        r"(?:^|[.;,]\s+|\band\s+|\bthat\s+|\bextent\s+)(?:(?:If|When|Where|Unless|Whether|To the extent)\s+)?(?:[Tt]he\s+)?([A-Z][\w&’'-]*(?:\s+[A-Z][\w&’'-]*){0,4})\s+(?:meets the definition of(?:\s+(?:a|an|the))?|is (?:a|an|the|its)|is acting as(?:\s+(?:a|an|the))?|acts as(?:\s+(?:a|an|the))?|shall act as(?:\s+(?:a|an|the))?|serves as(?:\s+(?:a|an|the))?|will act as(?:\s+(?:a|an|the))?)\s+([A-Za-z][A-Za-z -]{2,40})",
    );
    // "Business Associate: MyHealthAlly, Inc. ("MHA")": the label is the role of the name and alias.
    static LABEL: OnceLock<Regex> = OnceLock::new();
    let label = re(
        &LABEL,
        r#"^([A-Z][\w ]{2,40}?)\s*:\s*([A-Z][^:()“"”]{1,80}?)\s*\(\s*(?:the\s+)?[“"”']([^“"”'()]{2,40})[“"”']\s*\)"#,
    );
    static ROLE_LINE: OnceLock<Regex> = OnceLock::new();
    let role_line = re(
        &ROLE_LINE,
        r"^(?:[-*•]\s*)?([A-Z][\w&’'-]*(?:\s+[A-Z][\w&’'-]*){0,3})\s*(?:\(([A-Z][^()]{1,60})\))?\s*:\s*(?:the\s+|a\s+|an\s+)?((?i:(?:data\s+)?(?:sub-?processor|processor|controller|business associate|covered entity)))\s*(?:[.(;,]|$)",
    );
    let vendor_role = p.group("parties", "vendor");
    let practice_role = p.group("parties", "practice");
    // "Customer Data" is data, not the customer.
    let data = re(
        &DATA,
        r"(?i)\b(?:data|information|content|materials?|records?|systems?|accounts?)$",
    );
    let side = |s: &str| {
        if data.is_match(s.trim()) {
            None
        } else if any(vendor_role, s) {
            Some(true)
        } else if any(practice_role, s) {
            Some(false)
        } else {
            None
        }
    };
    // Names linked to each other (a name and its alias), and the side of each known one.
    let mut links: Vec<(String, String)> = Vec::new();
    let mut sides: BTreeMap<String, bool> = BTreeMap::new();
    for para in paras.iter().take(400).filter(|p| !p.table_row) {
        let t = &para.text;
        // "between Acme Health, Inc. ("Acme Health, Inc.") and ("Business Associate")": of the
        // two parties a preamble names, the one whose alias is not a role is the other side.
        let mut between: Vec<(String, Option<String>)> = Vec::new();
        let preamble = t.to_ascii_lowercase().contains("between");
        if let Some(c) = label.captures(t)
            && let Some(s) = side(&c[1])
        {
            let name = c[2].trim().trim_end_matches(',').to_string();
            sides.entry(name.clone()).or_insert(s);
            sides.entry(c[3].trim().to_string()).or_insert(s);
            links.push((name, c[3].trim().to_string()));
        }
        // "Provider (Context Lattice): data processor.": the role after the colon is the side of
        // the label and of the name in brackets.
        if let Some(c) = role_line.captures(t)
            && let Some(s) = side(&c[3])
        {
            let label = c[1].trim().to_string();
            sides.entry(label.clone()).or_insert(s);
            if let Some(n) = c.get(2).map(|m| m.as_str().trim().to_string()) {
                sides.entry(n.clone()).or_insert(s);
                links.push((n, label));
            }
        }
        // A short labelled line is taken for a heading; only its label is read.
        if para.heading {
            continue;
        }
        for c in paren.captures_iter(t).chain(herein.captures_iter(t)) {
            let alias = c[1].trim().to_string();
            // "the Agreement" names no party: nothing links through it.
            if GENERIC.contains(&alias.as_str()) {
                continue;
            }
            let name = name_before(&t[..c.get(0).map_or(0, |m| m.start())]).filter(|n| !GENERIC.contains(&n.as_str()));
            if preamble && !["Party", "Parties"].iter().any(|g| alias.eq_ignore_ascii_case(g)) {
                between.push((alias.clone(), name.clone()));
            }
            let Some(name) = name else {
                continue;
            };
            if let Some(s) = side(&alias) {
                sides.entry(name.clone()).or_insert(s);
                sides.entry(alias.clone()).or_insert(s);
            }
            links.push((name, alias));
        }
        if let [(a, an), (b, bn)] = between.as_slice() {
            match (side(a), side(b)) {
                (Some(s), None) => {
                    sides.entry(b.clone()).or_insert(!s);
                    if let Some(n) = bn {
                        sides.entry(n.clone()).or_insert(!s);
                    }
                }
                (None, Some(s)) => {
                    sides.entry(a.clone()).or_insert(!s);
                    if let Some(n) = an {
                        sides.entry(n.clone()).or_insert(!s);
                    }
                }
                _ => {}
            }
        }
        if let Some(c) = means.captures(t) {
            let alias = c[1].trim().to_string();
            let name = c[2].trim().trim_end_matches([',', '.']).to_string();
            if let Some(s) = side(&alias) {
                sides.entry(name.clone()).or_insert(s);
            } else if let Some(s) = side(&name) {
                sides.entry(alias.clone()).or_insert(s);
            }
            links.push((name, alias));
        }
        // Each search resumes at the role just read, so a second statement the role's words ran
        // into ("… is the data controller and that Acme is its data processor") is read too.
        let mut at = 0;
        while let Some(c) = is.captures_at(t, at) {
            let name = c[1].trim().to_string();
            if let Some(s) = side(&c[2]) {
                sides.entry(name).or_insert(s);
            }
            at = c.get(2).map_or(t.len(), |m| m.start());
        }
    }
    // Sides travel along links (a few rounds settle any chain a contract writes).
    for _ in 0..3 {
        for (a, b) in &links {
            match (sides.get(a).copied(), sides.get(b).copied()) {
                (Some(s), None) => {
                    sides.insert(b.clone(), s);
                }
                (None, Some(s)) => {
                    sides.insert(a.clone(), s);
                }
                _ => {}
            }
        }
    }
    let mut out = Parties::default();
    for (name, s) in sides {
        // Nor is a company form alone ("the customer of acme GmbH": the brand is lower-case).
        let form = [
            "GmbH", "Inc.", "Inc", "LLC", "Ltd", "Ltd.", "AG", "SE", "B.V.", "S.A.", "Corp.",
        ];
        if name.len() < 2
            || GENERIC.contains(&name.as_str())
            || form.contains(&name.as_str())
            || name.split_whitespace().count() > 6
        {
            continue;
        }
        if s {
            out.vendor.push(name);
        } else {
            out.practice.push(name);
        }
    }
    out
}

/// Durations defined as terms: `“Response Period” means ten days`, `"Notice Period" shall mean
/// forty-eight (48) hours`.
fn durations(paras: &[Para]) -> Vec<(String, String)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = re(
        &R,
        r#"(?i)[“"]([^“"”]{2,40})[”"]\s+(?:means|shall mean|is)\s+((?:[a-z0-9-]+\s+){0,2}(?:\(\d{1,4}\)\s+)?(?:business\s+|calendar\s+|working\s+)?(?:days?|hours?))\b"#,
    );
    let mut out: Vec<(String, String)> = Vec::new();
    for p in paras.iter().filter(|p| !p.heading) {
        for c in re.captures_iter(&p.text) {
            let term = c[1].trim().to_string();
            if !out.iter().any(|(t, _)| *t == term) {
                out.push((term, c[2].to_string()));
            }
        }
    }
    out
}

/// The capitalised name that ends right before a parenthesis: "… by and between Acme Health,
/// Inc. (" → "Acme Health, Inc.".
fn name_before(s: &str) -> Option<String> {
    let words: Vec<&str> = s.split_whitespace().collect();
    let mut take = 0;
    for w in words.iter().rev() {
        // A parenthesis or a quote mark ends the name ("… (“Covered Entity”) and Acme").
        if w.contains(['(', ')', '"', '“', '”']) || w.ends_with(':') {
            break;
        }
        let bare = w.trim_matches(',');
        let capital = bare
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
        let joiner = ["&", "of", "de", "and"].contains(&bare) && take > 0;
        if !(capital || joiner) || take >= 8 {
            break;
        }
        take += 1;
    }
    let mut name: Vec<&str> = words[words.len() - take..].to_vec();
    // Leading joiners and sentence words ("This Agreement is between Acme") are not the name.
    while name
        .first()
        .is_some_and(|w| ["&", "of", "de", "and", "This", "The", "By", "Between"].contains(w))
    {
        name.remove(0);
    }
    let n = name.join(" ").trim_end_matches(',').to_string();
    (!n.is_empty()).then_some(n)
}

impl Model {
    /// The sentences the clause reader reads: body paragraphs only (and headings, which name a
    /// topic), each list item's first sentence after its lead-in, the parties' names replaced
    /// by `vendor` and `practice` (the role words the phrasing knows).
    pub fn units(&self, vendor: &str, practice: &str) -> Vec<Unit> {
        let names = name_re(&self.parties);
        let definition = self.definition.clone();
        // A window given by a defined term reads as the duration it stands for.
        let durations: Vec<(Regex, &str)> = self
            .durations
            .iter()
            .filter_map(|(t, d)| {
                Regex::new(&format!(r"\b(?:the\s+)?{}\b", regex::escape(t)))
                    .ok()
                    .map(|r| (r, d.as_str()))
            })
            .collect();
        let mut out = Vec::new();
        // An item that ends in ", or" / "and" is half a sentence the next item completes.
        let mut carry: Option<String> = None;
        for (i, para) in self.paras.iter().enumerate() {
            if para.text.is_empty() {
                continue;
            }
            let is_item = matches!(para.number, Some(Number::Item(..)));
            let joined = match carry.take() {
                Some(c) if is_item && !para.heading => format!("{c} {}", para.text),
                _ => para.text.clone(),
            };
            // "…; and" closes a duty of its own: the next item is another.
            let open = [" or", " and"].iter().any(|e| joined.ends_with(e))
                && !["; or", "; and"].iter().any(|e| joined.ends_with(e));
            if is_item
                && !para.heading
                && open
                && self.paras.get(i + 1).is_some_and(|n| {
                    n.number.as_ref().map(std::mem::discriminant) == para.number.as_ref().map(std::mem::discriminant)
                        && n.lead_in == para.lead_in
                        && !n.text.is_empty()
                })
            {
                carry = Some(joined);
                continue;
            }
            let mut sents: Vec<Sentence> = Vec::new();
            if para.heading || para.table_row {
                // A heading whose only content is "NA" or "None" reads as a field so answered
                // ("Special categories of data (if applicable)" / "NA").
                let answer = self.paras[i + 1..]
                    .iter()
                    .find(|n| !n.text.is_empty())
                    .filter(|n| para.heading && none_answer_re().is_match(n.text.trim()));
                sents.push(Sentence {
                    text: match answer {
                        Some(n) => format!("{}: {}", para.text.trim_end_matches(':'), n.text.trim()),
                        None => para.text.clone(),
                    },
                    loc: para.loc.clone(),
                });
            } else {
                split_sentences(&joined, &para.loc, &mut sents);
            }
            for (i, s) in sents.into_iter().enumerate() {
                let mut text = match (&para.lead_in, i) {
                    (Some(l), 0) => format!("{l} {}", s.text),
                    _ => s.text.clone(),
                };
                for (re, d) in &durations {
                    if re.is_match(&text) {
                        text = re.replace_all(&text, *d).into_owned();
                    }
                }
                if let Some((re, sides)) = &names {
                    text = re
                        .replace_all(&text, |c: &regex::Captures| {
                            // "Customer Data" is data the practice owns, not the practice.
                            if c.name("data").is_some() {
                                c[0].to_string()
                            } else if sides.get(&c["name"]).copied().unwrap_or(false) {
                                vendor.to_string()
                            } else {
                                practice.to_string()
                            }
                        })
                        .into_owned();
                }
                // A sentence that defines a term is a definition wherever it stands.
                let region = if para.region == Region::Body && definition.iter().any(|r| r.is_match(&s.text)) {
                    Region::Definitions
                } else {
                    para.region
                };
                out.push(Unit {
                    text,
                    quote: s.text,
                    loc: s.loc,
                    region,
                    path: para.path.clone(),
                });
            }
        }
        out
    }
}

/// One pattern for every party name (longest first), and each name's side (true: vendor).
fn name_re(parties: &Parties) -> Option<(Regex, BTreeMap<String, bool>)> {
    let mut sides = BTreeMap::new();
    for n in &parties.vendor {
        sides.insert(n.clone(), true);
    }
    for n in &parties.practice {
        sides.entry(n.clone()).or_insert(false);
    }
    if sides.is_empty() {
        return None;
    }
    let mut names: Vec<&String> = sides.keys().collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    // A word boundary only where the name has a word character: "Acme Health, Inc." ends on
    // a full stop, after which `\b` never holds before a blank.
    let alt = names
        .iter()
        .map(|n| {
            let edge = |c: Option<char>| {
                if c.is_some_and(char::is_alphanumeric) {
                    r"\b"
                } else {
                    ""
                }
            };
            format!(
                "{}{}{}",
                edge(n.chars().next()),
                regex::escape(n),
                edge(n.chars().last())
            )
        })
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(
        r"(?P<name>{alt})(?P<data>\s+(?:[Pp]ersonal\s+)?(?:Data|Information|Content|Materials?|Records?)\b)?"
    ))
    .ok()
    .map(|r| (r, sides))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::evidence::phrasing::builtin;
    use crate::probe::evidence::text::text;

    fn model(t: &str) -> Model {
        build(&text(t), builtin())
    }

    /// The region of the first paragraph holding `s`.
    fn region_of(m: &Model, s: &str) -> Region {
        m.paras.iter().find(|p| p.raw.contains(s)).unwrap().region
    }

    #[test]
    fn numbering_forms() {
        let n = |t: &str| number(t).map(|x| x.0);
        assert_eq!(n("6.2.3.8.1 General"), Some(Number::Section("6.2.3.8.1".into(), 5)));
        assert_eq!(n("1. Definitions"), Some(Number::Section("1".into(), 1)));
        assert_eq!(n("Article 5 Security"), Some(Number::Section("5".into(), 1)));
        assert_eq!(n("§ 6.2 Term"), Some(Number::Section("6.2".into(), 2)));
        assert_eq!(n("(a) Report"), Some(Number::Item("a".into(), Style::Alpha)));
        assert_eq!(n("(iv) Report"), Some(Number::Item("iv".into(), Style::Roman)));
        assert_eq!(n("2) Report"), Some(Number::Item("2".into(), Style::Digit)));
        assert_eq!(n("- Report"), Some(Number::Item(String::new(), Style::Bullet)));
        assert_eq!(n("5 days after"), None);
        assert_eq!(n("Business Associate shall"), None);
    }

    #[test]
    fn list_items_inherit_their_lead_in() {
        let m = model(
            "### Obligations of Business Associate\n\nBusiness Associate agrees to:\n\n(a) Not use or disclose PHI;\n\n(b) Use appropriate safeguards;\n\n(c) Report to covered entity any security incident of which it becomes aware;\n\n(h) To the extent the business associate carries out an obligation, comply;\n\n(i) Make its books available to the Secretary.\n\nOther text.\n\n(a) An item with no lead-in.\n",
        );
        let items: Vec<&Para> = m
            .paras
            .iter()
            .filter(|p| matches!(p.number, Some(Number::Item(..))))
            .collect();
        assert_eq!(items.len(), 6);
        for it in &items[..5] {
            assert_eq!(it.lead_in.as_deref(), Some("Business Associate agrees to"), "{it:?}");
            assert_eq!(it.path, ["Obligations of Business Associate"]);
        }
        assert_eq!(items[4].number, Some(Number::Item("i".into(), Style::Alpha)));
        assert_eq!(items[5].lead_in, None);
        let u = m.units("Business Associate", "Covered Entity");
        assert!(u.iter().any(|u| {
            u.text
                .starts_with("Business Associate agrees to Report to covered entity")
                && u.quote.starts_with("Report to covered entity")
        }));
    }

    #[test]
    fn nested_lead_ins() {
        let m = model(
            "Vendor shall:\n\n(a) notify Customer of:\n\n(i) any breach; and\n\n(ii) any incident;\n\n(b) keep records.\n",
        );
        let p: Vec<_> = m.paras.iter().map(|p| p.lead_in.clone().unwrap_or_default()).collect();
        assert_eq!(
            p,
            [
                "",
                "Vendor shall",
                "Vendor shall notify Customer of",
                "Vendor shall notify Customer of",
                "Vendor shall"
            ]
        );
    }

    #[test]
    fn headings_and_sections_make_a_path() {
        let m = model(
            "6.2.3 PHI Requirements\n6.2.3.8. HIPAA Business Associate Provisions\n6.2.3.8.1 The Contractor shall comply.\n6.2.3.9. Breach Response\nThe Contractor shall report.\n",
        );
        let last = m.paras.last().unwrap();
        assert_eq!(last.path, ["PHI Requirements", "Breach Response"]);
        let first = m.paras.iter().find(|p| p.raw.starts_with("6.2.3.8.1")).unwrap();
        assert_eq!(first.path, ["PHI Requirements", "HIPAA Business Associate Provisions"]);
        assert_eq!(first.text, "The Contractor shall comply.");
    }

    #[test]
    fn a_short_line_after_a_lead_in_is_not_a_heading() {
        // A PDF's line break after a bold run-in title: the short line continues the sentence.
        let d = Doc {
            lines: [
                "Breach Notification.",
                "Provider will notify Customer of a Breach",
                "within five (5) business days.",
            ]
            .iter()
            .map(|t| Line {
                text: t.to_string(),
                loc: "page 1".into(),
                level: 0,
            })
            .collect(),
        };
        let m = build(&d, builtin());
        assert!(
            m.paras
                .iter()
                .any(|p| p.text.contains("Breach within five (5) business days")),
            "{:?}",
            m.paras
        );
    }

    #[test]
    fn a_citation_ends_a_sentence_and_the_next_section_starts() {
        let m = model(
            "1. Definitions\n\"Breach\" shall have the meaning given in 45 C.F.R. § 164.402.\n2. Permitted Uses\nBusiness Associate may use PHI.\n",
        );
        assert!(
            m.paras.iter().any(|p| p.raw == "2. Permitted Uses" && p.heading),
            "{:?}",
            m.paras
        );
        let last = m.paras.last().unwrap();
        assert_eq!(
            (last.region, last.path.clone()),
            (Region::Body, vec!["Permitted Uses".to_string()])
        );
    }

    #[test]
    fn a_wrapped_reference_is_not_a_section_and_a_wrapped_duty_not_a_heading() {
        let d = Doc {
            lines: [
                "The Contractor shall make available PHI as necessary under the corresponding 45 CFR",
                "164.524. If the Contractor intends to deny the request, it shall forward it. Noncompliance with these provisions (paragraph",
                "6.2.3.",
                "8) may subject the Contractor to termination.",
                "The Contractor shall report the breach within one hour of discovery to the US Computer",
                "Emergency Readiness Team (US CERT), and, within 24 hours of discovery, to the Office.",
            ]
            .iter()
            .map(|t| Line {
                text: t.to_string(),
                loc: "page 1".into(),
                level: 0,
            })
            .collect(),
        };
        let m = build(&d, builtin());
        assert_eq!(m.paras.len(), 1, "{:?}", m.paras);
        assert!(m.paras[0].text.contains("45 CFR 164.524. If"));
        assert!(m.paras[0].text.contains("(paragraph 6.2.3. 8) may subject"));
        assert!(m.paras[0].text.contains("US Computer Emergency Readiness Team"));
    }

    #[test]
    fn marked_and_numbered_headings_are_siblings() {
        let m = model(
            "## RECITALS\n\nWHEREAS the parties agree;\n\n## 1. DEFINITIONS\n\n**1.1** \"Breach\" means a breach.\n\n## 2. USES\n\n**2.1 General Use**\n\nBusiness Associate may use PHI.\n",
        );
        let last = m.paras.last().unwrap();
        assert_eq!(
            (last.region, last.path.clone()),
            (Region::Body, vec!["USES".to_string(), "General Use".to_string()])
        );
    }

    #[test]
    fn a_numbered_title_ends_an_unmarked_definitions_heading() {
        // A word processor's export: a bold "DEFINITIONS" line, then numbered section titles.
        let m = model(
            "**DEFINITIONS**\n\n“**Breach**” shall mean a breach of security.\n\n1. **PROCESSING OF PERSONAL DATA**\n\n   1. The Processor shall hold in strict confidence any Personal Data.\n\n2. **SUB-PROCESSING**\n\n   1. The Processor shall notify the Controller.\n",
        );
        let region = |s: &str| region_of(&m, s);
        assert_eq!(region("shall mean"), Region::Definitions);
        assert_eq!(region("strict confidence"), Region::Body);
        assert_eq!(region("shall notify"), Region::Body);
        // Numbered definitions under the same heading stay definitions.
        let m = model(
            "**DEFINITIONS**\n\n1. “Breach” shall mean a breach of security.\n\n2. “PHI” shall mean health data.\n",
        );
        assert!(
            m.paras
                .iter()
                .filter(|p| p.raw.contains("shall mean"))
                .all(|p| p.region == Region::Definitions)
        );
    }

    #[test]
    fn a_preamble_gives_the_other_party_its_side() {
        // The practice is defined by its own name, the vendor by its role; a name ending on a
        // full stop is still replaced by its role.
        let m = model(
            "This Addendum is entered into by and between Acme Home Health Services, Inc. (\"Acme Home Health Services, Inc.\") and (\"Business Associate\") (each \"Party\").\n\nBusiness Associate shall report to Acme Home Health Services, Inc. any breach.\n",
        );
        assert_eq!(m.parties.practice, vec!["Acme Home Health Services, Inc.".to_string()]);
        let u = m.units("Business Associate", "Covered Entity");
        assert!(
            u.iter().any(|u| u.text.contains("report to Covered Entity any breach")),
            "{u:?}"
        );
    }

    #[test]
    fn regions_are_known() {
        let m = model(
            "## Introduction\n\nThis is only sample language and is not required for compliance with State law.\n\n## Definitions\n\n(a) “Breach” shall have the meaning given in 45 CFR 164.402.\n\n## Obligations\n\nWHEREAS the parties wish to comply;\n\nThis is only sample language.\n\n[The parties may wish to add a stricter timeframe for breach notice.]\n\nVendor shall notify Customer.\n",
        );
        let region = |s: &str| region_of(&m, s);
        assert_eq!(region("State law"), Region::Introduction);
        assert_eq!(region("164.402"), Region::Definitions);
        assert_eq!(region("WHEREAS"), Region::Recitals);
        assert_eq!(region("only sample language."), Region::Disclaimer);
        assert_eq!(region("stricter timeframe"), Region::Note);
        assert_eq!(region("Vendor shall notify"), Region::Body);
    }

    #[test]
    fn notes_after_the_end_of_the_agreement_state_no_terms() {
        // b24: the template's notes after "END OF … AGREEMENT" were read as terms.
        let m = model(
            "## 9. Term\n\nBusiness Associate shall notify Covered Entity.\n\n**END OF BUSINESS ASSOCIATE AGREEMENT**\n\n---\n\n## Notes for Customization\n\n1. **Audit Rights**: Consider adding Covered Entity's right to audit Business Associate's HIPAA compliance.\n",
        );
        let region = |s: &str| region_of(&m, s);
        assert_eq!(region("shall notify"), Region::Body);
        assert_ne!(region("Consider adding"), Region::Body);
    }

    #[test]
    fn a_label_value_table_row_reads_like_a_labelled_line() {
        // d21: "| Purpose | Performance of the Main Agreement |" was one unit with a pipe in it.
        let m = model(
            "| Item | Description |\n| --- | --- |\n| Purpose | Performance of the Main Agreement |\n| Control | Result | Status |\n",
        );
        let u = m.units("Processor", "Controller");
        assert!(
            u.iter().any(|u| u.text == "Purpose: Performance of the Main Agreement"),
            "{u:?}"
        );
        // A row of three cells stays a row.
        assert!(u.iter().any(|u| u.text.contains("Control | Result")), "{u:?}");
    }

    #[test]
    fn parties_from_a_role_line_naming_the_role_after_the_colon() {
        // d23: "Provider (Context Lattice): data processor." taught nothing, so "Provider will:"
        // was nobody's duty.
        let m = model(
            "Roles:\n\n- Customer: data controller (or processor acting on behalf of a controller).\n- Provider (Context Lattice): data processor.\n\nProvider will:\n\n- implement reasonable security measures,\n",
        );
        assert!(
            m.parties.vendor.iter().any(|v| v == "Context Lattice"),
            "{:?}",
            m.parties
        );
        assert!(m.parties.vendor.iter().any(|v| v == "Provider"), "{:?}", m.parties);
        let u = m.units("Processor", "Controller");
        assert!(u.iter().any(|u| u.text.starts_with("Processor will")), "{u:?}");
    }

    #[test]
    fn placeholders_and_inline_html_are_taken_out() {
        let m = model(
            "The Term shall be effective as of [Insert effective date] and signed by _____ .\n\nSee the <span class=\"keyterms_link\">Processor</span> terms at [our site](https://example.com).\n",
        );
        assert_eq!(m.paras[0].text, "The Term shall be effective as of and signed by .");
        let u = m.units("Business Associate", "Covered Entity");
        assert!(!u.iter().any(|u| u.text.contains("Insert")));
        assert_eq!(m.paras[0].placeholders, 2);
        assert_eq!(m.paras[1].text, "See the Processor terms at our site.");
        let m = model(
            "Business Associate shall return to covered entity [or, if agreed to by covered entity, destroy] all PHI.\n",
        );
        assert_eq!(
            m.paras[0].text,
            "Business Associate shall return to covered entity or, if agreed to by covered entity, destroy all PHI."
        );
    }

    #[test]
    fn running_headers_and_footers_leave_the_flow() {
        let mut lines = Vec::new();
        for p in 1..=5 {
            for t in [
                "Cure53, Berlin · 01/05/22",
                &format!("Body text of page {p}."),
                "Dr.-Ing. Mario Heiderich",
            ] {
                lines.push(Line {
                    text: t.to_string(),
                    loc: format!("page {p}"),
                    level: 0,
                });
            }
        }
        let m = build(&Doc { lines }, builtin());
        assert_eq!(m.running, ["Cure53, Berlin · 01/05/22", "Dr.-Ing. Mario Heiderich"]);
        assert_eq!(m.doc.lines.len(), 5);
    }

    #[test]
    fn parties_are_learnt_from_preamble_and_definitions() {
        let m = model(
            "This Agreement is entered into by Acme Health, Inc. (“Customer”) and Zeta Cloud LLC (\"Provider\").\n\nGitHub, Inc. (\"GitHub\") provides the services. GitHub is the Processor.\n\nThe Contractor meets the definition of Business Associate, and DHA meets the definition of a covered entity.\n",
        );
        let v = &m.parties.vendor;
        let c = &m.parties.practice;
        for n in ["Provider", "Zeta Cloud LLC", "GitHub", "GitHub, Inc.", "Contractor"] {
            assert!(v.contains(&n.to_string()), "{n} in {v:?}");
        }
        for n in ["Customer", "Acme Health, Inc.", "DHA"] {
            assert!(c.contains(&n.to_string()), "{n} in {c:?}");
        }
        let u = m.units("Business Associate", "Covered Entity");
        assert!(
            u.iter().any(|u| u.text == "Business Associate is the Processor."),
            "{u:?}"
        );
    }

    #[test]
    fn a_bracketed_figure_is_kept_and_an_instruction_goes() {
        // A template's proposed figure ("within [15] days") is the contract's number; an
        // instruction ("[NUMBER]", "[Insert date]") and a footnote mark ("[1]") are not.
        let (t, _) = strip_placeholders("within [15] days of a written request");
        assert_eq!(t, "within 15 days of a written request");
        let (t, _) = strip_placeholders("no later than **[10] business days** after discovery");
        assert_eq!(t, "no later than **10 business days** after discovery");
        let (t, _) = strip_placeholders("within [30 days] of termination");
        assert_eq!(t, "within 30 days of termination");
        let (t, n) = strip_placeholders("within [NUMBER] days, effective [Insert date].[1]");
        assert_eq!((t.as_str(), n), ("within days, effective .", 3));
    }

    #[test]
    fn parties_named_without_parentheses_or_as_its_processor() {
        let m = model(
            "Between the customer of fortrabbit GmbH, hereinafter referred to as \"client\", and fortrabbit GmbH, hereinafter referred to as \"contractor\".\n",
        );
        assert!(m.parties.practice.contains(&"client".to_string()), "{:?}", m.parties);
        assert!(m.parties.vendor.contains(&"contractor".to_string()), "{:?}", m.parties);
        // A company form alone is no name.
        assert!(
            !m.parties.vendor.iter().chain(&m.parties.practice).any(|n| n == "GmbH"),
            "{:?}",
            m.parties
        );
        let m = model(
            "The parties agree that the Customer is the data controller and that Plausible Analytics is its data processor.\n",
        );
        assert!(
            m.parties.vendor.contains(&"Plausible Analytics".to_string()),
            "{:?}",
            m.parties
        );
        assert!(m.parties.practice.contains(&"Customer".to_string()), "{:?}", m.parties);
    }

    fn leads(m: &Model) -> Vec<(String, String)> {
        m.paras
            .iter()
            .map(|p| (p.lead_in.clone().unwrap_or_default(), p.text.clone()))
            .collect()
    }

    #[test]
    fn numbered_items_under_a_lead_in_carry_it() {
        // "1." items under "…shall:" (Markdown's repeated "1." too); an item without a full
        // stop does not swallow the next one, and a short item is no heading.
        let m = model(
            "### 3.5 Breach Notification\nIn the event of a breach of unsecured PHI, Business Associate shall:\n1. Notify Covered Entity immediately upon discovery, but no later than 24 hours\n2. Provide all available information including:\n   - Description of what happened\n   - Types of PHI involved\n3. Cooperate with Covered Entity's breach investigation\n\nDenther shall report to Customer:\n\n1. any Use of PHI that is not permitted;\n1. any Security Incident of which it becomes aware\n\nCovered Entity shall:\n1. Security Incidents: Within 24 hours of discovery\n2. Audit Business Associate with 30 days' notice\n",
        );
        let l = leads(&m);
        let lead = "In the event of a breach of unsecured PHI, Business Associate shall";
        assert!(
            l.contains(&(
                lead.into(),
                "Notify Covered Entity immediately upon discovery, but no later than 24 hours".into()
            )),
            "{l:#?}"
        );
        assert!(
            l.contains(&(lead.into(), "Provide all available information including:".into())),
            "{l:#?}"
        );
        assert!(
            l.contains(&(
                format!("{lead} Provide all available information including"),
                "Types of PHI involved".into()
            )),
            "{l:#?}"
        );
        assert!(
            l.contains(&(
                lead.into(),
                "Cooperate with Covered Entity's breach investigation".into()
            )),
            "{l:#?}"
        );
        assert!(
            l.contains(&(
                "Denther shall report to Customer".into(),
                "any Security Incident of which it becomes aware".into()
            )),
            "{l:#?}"
        );
        assert!(
            l.contains(&(
                "Covered Entity shall".into(),
                "Security Incidents: Within 24 hours of discovery".into()
            )),
            "{l:#?}"
        );
        assert!(
            l.contains(&(
                "Covered Entity shall".into(),
                "Audit Business Associate with 30 days' notice".into()
            )),
            "{l:#?}"
        );
        let items = m
            .paras
            .iter()
            .filter(|p| p.number == Some(Number::Item("1".into(), Style::Digit)))
            .count();
        assert_eq!(items, 4);
        assert_eq!(m.paras.last().unwrap().path, ["Breach Notification"]);
    }

    #[test]
    fn a_numbered_section_after_a_sentence_stays_a_section() {
        let m = model(
            "NOW, THEREFORE, the parties agree as follows:\n\n1. DEFINITIONS\n\n1.1 Terms used have their HIPAA meaning.\n\nThe parties agree to the terms below.\n\n1. Obligations. Business Associate shall comply.\n2. Term. This Agreement ends with the services.\n",
        );
        let secs = m
            .paras
            .iter()
            .filter(|p| matches!(p.number, Some(Number::Section(_, 1))))
            .count();
        assert_eq!(secs, 3, "{:#?}", m.paras);
        assert!(m.paras.iter().all(|p| p.lead_in.is_none()), "{:#?}", m.paras);
        assert_eq!(m.paras[2].path, ["DEFINITIONS"]);
    }

    #[test]
    fn numbered_sections_with_run_in_titles_after_agree_as_follows_stay_sections() {
        // A preamble's "agree as follows:" before "1. Definitions. …": sections, and the
        // definitions region opens.
        let m = model(
            "NOW, THEREFORE, the parties agree as follows:\n\n1. Definitions. Terms used have their HIPAA meaning.\n\n2. Obligations. Business Associate shall comply.\n",
        );
        let secs = m
            .paras
            .iter()
            .filter(|p| matches!(p.number, Some(Number::Section(_, 1))))
            .count();
        assert_eq!(secs, 2, "{:#?}", m.paras);
        assert_eq!(m.paras[1].region, Region::Definitions, "{:#?}", m.paras);
    }

    #[test]
    fn a_heading_ending_in_a_colon_leads_its_items() {
        let m = model(
            "### 3.2 Business Associate Shall NOT Use PHI For:\n\n- Marketing purposes\n\n### 3.3 Other\n\n- An item\n",
        );
        let l = leads(&m);
        assert!(
            l.contains(&(
                "Business Associate Shall NOT Use PHI For".into(),
                "Marketing purposes".into()
            )),
            "{l:#?}"
        );
        assert!(l.contains(&(String::new(), "An item".into())), "{l:#?}");
    }

    #[test]
    fn a_sentence_across_two_items_is_read_whole() {
        let m = model(
            "Upon termination:\n- PHI shall be returned to Covered Entity, or\n- PHI shall be securely destroyed where feasible\n",
        );
        let u = m.units("Business Associate", "Covered Entity");
        assert!(
            u.iter().any(|u| u.text
                == "Upon termination PHI shall be returned to Covered Entity, or PHI shall be securely destroyed where feasible"),
            "{u:#?}"
        );
        // Items closed by "; and" are duties of their own, each with its lead-in.
        let m = model("Vendor shall notify Customer of:\n\n(i) any breach; and\n\n(ii) any incident;\n");
        let u = m.units("Business Associate", "Covered Entity");
        assert!(
            u.iter()
                .any(|u| u.text == "Vendor shall notify Customer of any incident;"),
            "{u:#?}"
        );
    }

    #[test]
    fn parties_from_a_labelled_line_a_condition_and_never_through_a_generic_name() {
        // b19: the role is the label before the colon, the alias in parentheses.
        let m = model("**Business Associate:** MyHealthAlly, Inc. (\"MHA\")\n\n**Covered Entity:** Ridge Clinic\n");
        assert!(m.parties.vendor.contains(&"MHA".to_string()), "{:?}", m.parties);
        assert!(
            m.parties.vendor.contains(&"MyHealthAlly, Inc.".to_string()),
            "{:?}",
            m.parties
        );
        // b18: "is acting as", and a condition's "If" is not part of the name.
        let m = model(
            "To the extent Denther is acting as a Business Associate, it shall comply.\n\nIf Customer is a Covered Entity, this BAA applies.\n",
        );
        assert!(m.parties.vendor.contains(&"Denther".to_string()), "{:?}", m.parties);
        assert!(m.parties.practice.contains(&"Customer".to_string()), "{:?}", m.parties);
        assert!(
            !m.parties.practice.iter().any(|n| n.starts_with("If ")),
            "{:?}",
            m.parties
        );
        // d19: "the Agreement" is no party, and no side passes through it.
        let m = model(
            "This Data Processing Addendum (\"DPA\") supplements the codacli.com Terms of Service (the \"Agreement\") between Coda CLI, Inc. (\"Processor\") and the customer identified in the Agreement (\"Controller\").\n",
        );
        let all: Vec<&String> = m.parties.vendor.iter().chain(&m.parties.practice).collect();
        assert!(
            !all.iter().any(|n| n.contains("Terms of Service") || n.contains("DPA")),
            "{:?}",
            m.parties
        );
        assert!(
            m.parties.vendor.contains(&"Coda CLI, Inc.".to_string()),
            "{:?}",
            m.parties
        );
    }
}
