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
        let (line, column, snippet) = match span {
            Some(span) => {
                let (l, c) = line_col(source, span.start);
                let text = source.lines().nth(l.saturating_sub(1)).map(str::to_string);
                (l, c, text)
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
            let snippet = esc(snippet);
            let gutter = self.line.to_string().len();
            write!(
                f,
                "\n{:gutter$} |\n{} | {}\n{:gutter$} | {:>col$}",
                "",
                self.line,
                snippet,
                "",
                "^",
                col = self.column.max(1)
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", esc(help))?;
        }
        Ok(())
    }
}

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
    fn display_has_place_and_caret() {
        let p = Problem::at("v.toml", "x = 1\ny = oops\n", Some(10..14), "bad value").help("quote it");
        let text = p.to_string();
        assert!(text.starts_with("v.toml:2:5: error: bad value"), "{text}");
        assert!(text.contains("help: quote it"));
    }
}
