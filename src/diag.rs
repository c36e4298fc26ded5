//! Diagnostics for user-written configuration (manifests, rule packs, waiver files).
//!
//! Problems keep byte spans; line and column are computed only when a problem is
//! built from source text. Loaders collect every problem they can before failing,
//! so a user fixes a file in one pass (exit code 2 in the binary).

use std::fmt;
use std::ops::Range;

/// One problem in one user file, with where it is and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file as the user named it (never made absolute).
    pub file: String,
    /// 1-based line; 0 when the problem has no position (e.g. unreadable file).
    pub line: usize,
    /// 1-based column in characters; 0 when unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// What to do about it, when we can say.
    pub help: Option<String>,
    /// The offending source line, for a caret display.
    #[serde(skip)]
    pub snippet: Option<String>,
}

impl Problem {
    /// A problem at a byte span of `source`.
    pub fn at(file: &str, source: &str, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        Self::at_indexed(file, &LineIndex::new(source), span, message)
    }

    /// [`Problem::at`] with the file's line index: for a loader that may report thousands of
    /// problems in one file, each found without rescanning the file from its top.
    pub fn at_indexed(file: &str, lines: &LineIndex, span: Option<Range<usize>>, message: impl Into<String>) -> Self {
        let (line, column, snippet) = match span {
            Some(span) => {
                let (l, c) = lines.line_col(span.start);
                (l, c, Some(lines.line_text(l).to_string()))
            }
            None => (0, 0, None),
        };
        Problem {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            help: None,
            snippet,
        }
    }

    /// A problem about a whole file (no position).
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Problem::at(file, "", None, message)
    }

    /// Attach a fix hint.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Build from a `toml` parse/deserialize error.
    pub fn from_toml(file: &str, source: &str, err: &toml::de::Error) -> Self {
        Problem::at(file, source, err.span(), err.message().trim().to_string())
    }
}

/// 1-based (line, column) of a byte offset; columns count characters.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// Where each line of a text starts, for (line, column) of many offsets in one file without
/// rescanning it from the top each time (a pack of 20,000 rules asks 20,000 times).
pub struct LineIndex<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { source, starts }
    }

    /// The same as [`line_col`], in O(log lines + line length).
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(self.source, offset.min(self.source.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.source[start..offset].chars().count() + 1)
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self.starts.get(line).map(|&e| e - 1).unwrap_or(self.source.len());
        self.source[start..end]
            .strip_suffix('\r')
            .unwrap_or(&self.source[start..end])
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // File names, messages (which quote the file) and source lines are the user's text:
        // shown with control characters escaped so they cannot drive the terminal.
        use crate::report::text::escape_controls as esc;
        let (file, message) = (esc(&self.file), esc(&self.message));
        if self.line > 0 {
            write!(f, "{file}:{}:{}: error: {message}", self.line, self.column)?;
        } else {
            write!(f, "{file}: error: {message}")?;
        }
        if let Some(snippet) = &self.snippet {
            let (snippet, col) = window(snippet, self.column.max(1));
            let snippet = esc(&snippet);
            let gutter = self.line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {:>col$}",
                "", self.line, snippet, "", "^",
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", esc(help))?;
        }
        Ok(())
    }
}

/// At most [`SNIPPET_CHARS`] of a source line around 1-based `column`, and the column within
/// that: a line of thousands of entries is quoted in part, not whole.
fn window(line: &str, column: usize) -> (String, usize) {
    let n = line.chars().count();
    if n <= SNIPPET_CHARS {
        return (line.to_string(), column);
    }
    let start = column.saturating_sub(SNIPPET_CHARS / 3 + 1).min(n - SNIPPET_CHARS);
    let mut out: String = line.chars().skip(start).take(SNIPPET_CHARS).collect();
    let mut col = column - start;
    if start > 0 {
        out.insert(0, '…');
        col += 1;
    }
    if start + SNIPPET_CHARS < n {
        out.push('…');
    }
    (out, col)
}

/// Characters of a source line a diagnostic quotes.
const SNIPPET_CHARS: usize = 160;

/// Every problem found in one or more user files: the binary prints them all and exits 2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl ConfigError {
    pub fn new(problems: Vec<Problem>) -> Self {
        ConfigError { problems }
    }
    pub fn one(problem: Problem) -> Self {
        ConfigError {
            problems: vec![problem],
        }
    }
}

impl From<Problem> for ConfigError {
    fn from(p: Problem) -> Self {
        ConfigError::one(p)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        if self.problems.len() > 1 {
            write!(f, "\n{} problems found", self.problems.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let s = "a = 1\nbé = 2\n";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 6), (2, 1));
        assert_eq!(line_col(s, 9), (2, 3));
        assert_eq!(line_col(s, 999), (3, 1));
    }

    #[test]
    fn line_index_agrees_with_line_col() {
        let s = "a = 1\nbé = 2\n\nlast";
        let idx = LineIndex::new(s);
        for off in 0..=s.len() + 3 {
            assert_eq!(idx.line_col(off), line_col(s, off), "offset {off}");
            let p = Problem::at_indexed("f", &idx, Some(off..off), "m");
            assert_eq!(p, Problem::at("f", s, Some(off..off), "m"), "offset {off}");
        }
    }

    #[test]
    fn long_lines_are_quoted_around_the_caret() {
        let line = format!("k = [{}\"x\"]", "\"a\", ".repeat(2000));
        let col = line.len() - 3;
        let p = Problem::at("f", &line, Some(col..col + 1), "m");
        let text = p.to_string();
        assert!(text.len() < 600, "{}", text.len());
        let lines: Vec<&str> = text.lines().collect();
        let caret = lines[3].find('^').unwrap();
        assert_eq!(lines[2].chars().nth(caret), Some('x'), "{text}");
    }

    #[test]
    fn display_has_place_and_caret() {
        let p = Problem::at("v.toml", "x = 1\ny = oops\n", Some(10..14), "bad value").help("quote it");
        let text = p.to_string();
        assert!(text.starts_with("v.toml:2:5: error: bad value"), "{text}");
        assert!(text.contains("help: quote it"));
    }
}
