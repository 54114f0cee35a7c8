//! Diagnostics: every problem a build finds, with the file, line and column
//! where it was found, collected so that a build reports all of them at once.
//!
//! Stages never stop at the first problem in the content: they return what
//! they made together with a list of [`Diagnostic`]s. Only the command line
//! decides, at the end, whether the build failed. One [`render`] function
//! prints them for `build`, `check` and (later) `serve`, so every path shows
//! the same text.

use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use serde::Serialize;

/// How bad a diagnostic is. Errors fail a build; warnings fail only `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// What kind of problem it is; the kebab-case name is part of the
/// `cairn check --json` contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Config,
    Contributors,
    FrontMatter,
    Encoding,
    Io,
    DuplicateUrl,
    UnsafePath,
    Template,
    BrokenLink,
    BrokenAnchor,
    AmbiguousLink,
    Content,
}

/// One problem, located in a file of the site.
///
/// `line` and `column` are 1-based and count in the file itself (not in a
/// front-matter block); the column counts characters, as editors do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    #[serde(skip)]
    pub severity: Severity,
    pub kind: Kind,
    /// Path relative to the site root, with `/`.
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub target: Option<String>,
    /// The text of the offending line, for the snippet under the message.
    #[serde(skip)]
    pub source_line: Option<String>,
    /// A hint on how to fix it.
    #[serde(skip)]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(kind: Kind, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            kind,
            file: file.into(),
            line: 1,
            column: 1,
            message: message.into(),
            target: None,
            source_line: None,
            help: None,
        }
    }

    pub fn warning(kind: Kind, file: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(kind, file, message)
        }
    }

    /// Places the diagnostic at a 1-based line and column, taking the text of
    /// that line from `text` (the whole file) for the snippet.
    pub fn at(mut self, text: &str, line: usize, column: usize) -> Self {
        self.line = line.max(1);
        self.column = column.max(1);
        self.source_line = text.lines().nth(self.line - 1).map(str::to_owned);
        self
    }

    /// Places the diagnostic at a byte offset of `text` (the whole file).
    pub fn at_offset(self, text: &str, offset: usize) -> Self {
        let (line, column) = line_col(text, offset);
        self.at(text, line, column)
    }

    /// Places the diagnostic at a byte offset of `text`, located through
    /// `index` (made from `text`).
    pub fn at_indexed(mut self, text: &str, index: &LineIndex, offset: usize) -> Self {
        let (line, column) = index.locate(text, offset);
        self.line = line;
        self.column = column;
        self.source_line = Some(index.line(text, line).to_owned());
        self
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Where each line of a text starts, to locate many offsets in one file
/// without rescanning it for each (a page with thousands of broken links).
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { starts }
    }

    /// The 1-based line and character column of byte `offset` in `text`
    /// (the text this index was made from).
    pub fn locate(&self, text: &str, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, text[start..offset].chars().count() + 1)
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let start = self
            .starts
            .get(line.wrapping_sub(1))
            .copied()
            .unwrap_or(text.len());
        let end = self.starts.get(line).map_or(text.len(), |&e| e - 1);
        text[start.min(end)..end].trim_end_matches('\r')
    }
}

/// The 1-based line and character column of a byte offset in `text`.
/// An offset past the end, or inside a character, is clamped.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Sorts diagnostics into the order they are reported: by file, line,
/// column, then message, errors and warnings interleaved by position.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.severity, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.severity, &b.message))
    });
}

/// Renders one diagnostic as rustc does: the message, `--> file:line:col`,
/// the source line and a caret under the column.
pub fn render(diagnostic: &Diagnostic, color: bool) -> String {
    let kind = serde_json::to_value(diagnostic.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let title = level.primary_title(diagnostic.message.as_str()).id(&kind);
    let mut out = match &diagnostic.source_line {
        Some(line_text) => {
            // The caret goes under the column'th character of the line.
            let start = line_text
                .char_indices()
                .nth(diagnostic.column - 1)
                .map_or(line_text.len(), |(i, _)| i);
            let end = line_text[start..]
                .chars()
                .next()
                .map_or(start, |c| start + c.len_utf8());
            let snippet = Snippet::source(line_text.as_str())
                .line_start(diagnostic.line)
                .path(diagnostic.file.as_str())
                .annotation(AnnotationKind::Primary.span(start..end));
            let mut group = title.element(snippet);
            if let Some(help) = &diagnostic.help {
                group = group.element(Level::HELP.message(help.as_str()));
            }
            renderer.render(&[group])
        }
        None if diagnostic.file.is_empty() => {
            // Not about a file of the site (a busy port): no location line.
            let mut group = annotate_snippets::Group::with_title(title);
            if let Some(help) = &diagnostic.help {
                group = group.element(Level::HELP.message(help.as_str()));
            }
            renderer.render(&[group])
        }
        None => {
            // Without the source line, the position may be unknown (a file
            // that could not be read): name the file alone then.
            let mut origin = annotate_snippets::Origin::path(diagnostic.file.as_str());
            if diagnostic.line > 1 || diagnostic.column > 1 {
                origin = origin.line(diagnostic.line).char_column(diagnostic.column);
            }
            let mut group = title.element(origin);
            if let Some(help) = &diagnostic.help {
                group = group.element(Level::HELP.message(help.as_str()));
            }
            renderer.render(&[group])
        }
    };
    out.push('\n');
    out
}

/// Renders many diagnostics, each followed by a blank line.
pub fn render_all(diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(out, "{}", render(d, color));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let text = "ab\ncdé f\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        // 'f' is after "cdé " (é is two bytes): byte 8, character column 5.
        assert_eq!(line_col(text, 8), (2, 5));
        assert_eq!(line_col(text, 1000), (3, 1));
    }

    #[test]
    fn line_index_agrees_with_line_col() {
        let text = "ab\ncdé f\n\nlast";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            assert_eq!(
                index.locate(text, offset),
                line_col(text, offset),
                "offset {offset}"
            );
        }
        assert_eq!(index.line(text, 2), "cdé f");
        assert_eq!(index.line(text, 4), "last");
    }

    #[test]
    fn renders_like_rustc() {
        let text = "---\ntitle: [oops\n---\n";
        let d = Diagnostic::error(Kind::FrontMatter, "content/a.md", "bad thing").at(text, 2, 8);
        let out = render(&d, false);
        assert!(out.contains("error[front-matter]: bad thing"), "{out}");
        assert!(out.contains("content/a.md:2:8"), "{out}");
        assert!(out.contains("2 | title: [oops"), "{out}");
        assert!(out.contains("|        ^"), "{out}");
    }
}
