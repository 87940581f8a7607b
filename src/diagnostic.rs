//! One error type for every problem found in a site: a [`Diagnostic`] carries the file, the
//! line and column, what was expected and a hint, and renders itself for the terminal
//! (through miette), as JSON (`check --format json`) and as HTML (the `serve` overlay).
//!
//! Messages are in French: they are read by editors.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

/// How bad a problem is. Errors fail `build` and `check`; warnings are reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[serde(rename = "erreur")]
    Error,
    #[serde(rename = "avertissement")]
    Warning,
}

/// A problem in a source file, with everything an editor needs to fix it.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine-readable kind, e.g. `reference-inconnue`, `yaml`, `champ-inconnu`.
    pub code: &'static str,
    /// Path relative to the site root, with `/` separators.
    pub file: String,
    /// 1-based line; 0 when the problem concerns the whole file.
    pub line: usize,
    /// 1-based column, counted in characters; 0 when unknown.
    pub column: usize,
    /// What is wrong, in French.
    pub message: String,
    /// What was expected at that place, when it can be said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// How to fix it (e.g. the closest valid slug).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The text of the offending line, for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
    /// Length in characters of the offending value on that line (at least 1).
    #[serde(skip)]
    pub span_chars: usize,
    /// The whole source text, kept to draw the snippet in the terminal.
    #[serde(skip)]
    source: Option<Arc<str>>,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.into(),
            line: 0,
            column: 0,
            message: message.into(),
            expected: None,
            hint: None,
            source_line: None,
            span_chars: 1,
            source: None,
        }
    }

    pub fn warning(
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message)
        }
    }

    /// Places the diagnostic at a line and column of `source` (the file's text), and keeps the
    /// line for display. `span_chars` is the length of the value to underline.
    pub fn at(mut self, source: &Arc<str>, line: usize, column: usize, span_chars: usize) -> Self {
        self.line = line;
        self.column = column;
        self.span_chars = span_chars.max(1);
        if line > 0 {
            self.source_line = source
                .lines()
                .nth(line - 1)
                .map(|l| l.trim_end_matches('\r').to_string());
            self.source = Some(Arc::clone(source));
        }
        self
    }

    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:column`, the way compilers and editors expect it.
    pub fn location(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.file.clone(),
            (l, 0) => format!("{}:{l}", self.file),
            (l, c) => format!("{}:{l}:{c}", self.file),
        }
    }

    /// Byte offset and byte length of the underlined value in the source, for miette.
    fn byte_span(&self) -> Option<(usize, usize)> {
        let source = self.source.as_deref()?;
        let mut offset = 0;
        for (index, line) in source.split_inclusive('\n').enumerate() {
            if index + 1 == self.line {
                let column = self.column.max(1) - 1;
                let start: usize = line.chars().take(column).map(char::len_utf8).sum();
                let len: usize = line[start..]
                    .chars()
                    .take_while(|c| *c != '\n' && *c != '\r')
                    .take(self.span_chars)
                    .map(char::len_utf8)
                    .sum();
                return Some((offset + start, len));
            }
            offset += line.len();
        }
        None
    }

    /// The terminal report: a one-line summary that editors and tools can grep
    /// (`erreur : fichier:ligne:colonne : message`), then the source snippet drawn by miette.
    pub fn render_human(&self, color: bool) -> String {
        let mut out = format!(
            "{} : {} : {}\n",
            self.severity,
            self.location(),
            self.message
        );
        if self.byte_span().is_some() {
            let theme = if color {
                miette::GraphicalTheme::unicode()
            } else {
                miette::GraphicalTheme::unicode_nocolor()
            };
            let handler = miette::GraphicalReportHandler::new_themed(theme)
                .with_width(120)
                .with_wrap_lines(false)
                .with_context_lines(1);
            let mut snippet = String::new();
            if handler.render_report(&mut snippet, self).is_ok() {
                // miette repeats the message before the snippet; the summary above says it.
                let body: String = snippet
                    .lines()
                    .skip_while(|l| !l.contains('×') && !l.contains('⚠'))
                    .skip(1)
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| format!("{l}\n"))
                    .collect();
                out.push_str(&body);
                if let Some(hint) = &self.hint {
                    out.push_str(&format!("  aide\u{202f}: {hint}\n"));
                }
                return out;
            }
        }
        if let Some(expected) = &self.expected {
            out.push_str(&format!("  attendu\u{202f}: {expected}\n"));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("  aide\u{202f}: {hint}\n"));
        }
        out
    }

    /// The overlay shown in the browser by `serve`: escaped HTML, same content as the terminal.
    pub fn render_html(&self) -> String {
        let mut out = String::from("<div class=\"diagnostic\">");
        out.push_str(&format!(
            "<p class=\"diagnostic-message\"><strong>{}</strong> — <code>{}</code><br>{}</p>",
            escape(&self.severity.to_string()),
            escape(&self.location()),
            escape(&self.message)
        ));
        if let Some(line) = &self.source_line {
            let marker = format!(
                "{}{}",
                " ".repeat(self.column.saturating_sub(1)),
                "^".repeat(self.span_chars)
            );
            out.push_str(&format!(
                "<pre class=\"diagnostic-source\">{:>4} | {}\n     | {}</pre>",
                self.line,
                escape(line),
                marker
            ));
        }
        if let Some(expected) = &self.expected {
            out.push_str(&format!("<p>Attendu\u{202f}: {}</p>", escape(expected)));
        }
        if let Some(hint) = &self.hint {
            out.push_str(&format!("<p>Aide\u{202f}: {}</p>", escape(hint)));
        }
        out.push_str("</div>");
        out
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "erreur",
            Severity::Warning => "avertissement",
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source
            .as_ref()
            .map(|_| self as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let (offset, len) = self.byte_span()?;
        let label = self
            .expected
            .as_ref()
            .map(|e| format!("attendu\u{202f}: {e}"));
        Some(Box::new(std::iter::once(miette::LabeledSpan::new(
            label, offset, len,
        ))))
    }
}

/// miette draws the snippet from the file text, named after the file.
impl miette::SourceCode for Diagnostic {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let source = self
            .source
            .as_deref()
            .ok_or(miette::MietteError::OutOfBounds)?;
        let contents = source.read_span(span, context_lines_before, context_lines_after)?;
        // miette counts columns in bytes; editors (and our summary line) count characters.
        let offset = span.offset().min(source.len());
        let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let column = if context_lines_before == 0 && context_lines_after == 0 {
            source
                .get(line_start..offset)
                .map_or(contents.column(), |s| s.chars().count())
        } else {
            contents.column()
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.file.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

/// Sorts diagnostics by file, then position, so that output is stable across runs.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.file.as_str(), a.line, a.column, a.message.as_str()).cmp(&(
            b.file.as_str(),
            b.line,
            b.column,
            b.message.as_str(),
        ))
    });
}

/// Renders a list of diagnostics as the JSON document printed by `check --format json`.
pub fn to_json(diagnostics: &[Diagnostic]) -> String {
    #[derive(Serialize)]
    struct Report<'a> {
        erreurs: usize,
        avertissements: usize,
        diagnostics: &'a [Diagnostic],
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let report = Report {
        erreurs: errors,
        avertissements: diagnostics.len() - errors,
        diagnostics,
    };
    serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".to_string())
}

/// A path relative to the site root, with `/` separators, for messages.
pub fn display_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The closest candidate to `wanted` by edit distance, if it is close enough to be a typo.
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = strsim::jaro_winkler(wanted, candidate);
        if best.is_none_or(|(s, c)| score > s || (score == s && candidate < c)) {
            best = Some((score, candidate));
        }
    }
    best.filter(|(score, _)| *score >= 0.75).map(|(_, c)| c)
}

/// « vouliez-vous dire « x » ? », with French typography.
pub fn did_you_mean(candidate: &str) -> String {
    format!("vouliez-vous dire «\u{202f}{candidate}\u{202f}»\u{202f}?")
}

/// `« text »` with narrow no-break spaces.
pub fn quoted(text: &str) -> String {
    format!("«\u{202f}{text}\u{202f}»")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_a_typo_and_ignores_unrelated_words() {
        let slugs = ["avignon", "carpentras", "orange"];
        assert_eq!(closest("avigon", slugs), Some("avignon"));
        assert_eq!(closest("carpentra", slugs), Some("carpentras"));
        assert_eq!(closest("zzzz", slugs), None);
    }

    #[test]
    fn location_and_human_rendering_name_file_line_and_column() {
        let source: Arc<str> = Arc::from("titre: x\nvilles: [avigon]\n");
        let d = Diagnostic::error("reference-inconnue", "content/cas/x.md", "ville inconnue")
            .at(&source, 2, 10, 6)
            .expected("une ville")
            .hint(did_you_mean("avignon"));
        assert_eq!(d.location(), "content/cas/x.md:2:10");
        assert_eq!(d.byte_span(), Some((18, 6)));
        let text = d.render_human(false);
        assert!(
            text.starts_with("erreur : content/cas/x.md:2:10 : ville inconnue\n"),
            "{text}"
        );
        assert!(text.contains("villes: [avigon]"), "{text}");
        assert!(text.contains("avignon"), "{text}");
    }

    #[test]
    fn html_rendering_escapes_the_source() {
        let source: Arc<str> = Arc::from("a: <script>\n");
        let d = Diagnostic::error("yaml", "f.yaml", "x < y").at(&source, 1, 4, 8);
        let html = d.render_html();
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn json_counts_errors_and_warnings() {
        let d = [
            Diagnostic::error("a", "f", "m"),
            Diagnostic::warning("b", "f", "m"),
        ];
        let json: serde_json::Value = serde_json::from_str(&to_json(&d)).unwrap();
        assert_eq!(json["erreurs"], 1);
        assert_eq!(json["avertissements"], 1);
        assert_eq!(json["diagnostics"][0]["severity"], "erreur");
    }
}
