//! Markdown to HTML for case studies and the home page, with what the atlas needs on top of
//! pulldown-cmark: French typography in text (never in code or URLs), heading anchors, and
//! internal links that are checked against the site's pages and rewritten for `base_url`.
//! Raw HTML is cleaned unless the site allows it, and links or images with a `javascript:`,
//! `vbscript:` or `data:` URL never become live (see [`crate::sanitize`]).

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

use crate::model::RawHtml;
use crate::sanitize;

/// Narrow no-break space (U+202F), the French « espace fine insécable ».
pub const NNBSP: char = '\u{202f}';

/// A link in the Markdown that points inside the site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalLink {
    /// As written by the editor.
    pub written: String,
    /// The site path it resolves to, from the site root, without base path: `villes/avignon/`.
    pub target: String,
    /// Byte offset in the Markdown source, to report the line.
    pub offset: usize,
}

/// The HTML of a Markdown document and the internal links it contains.
#[derive(Debug, Clone, Default)]
pub struct RenderedMarkdown {
    pub html: String,
    pub internal_links: Vec<InternalLink>,
}

pub(crate) fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `source`, written for the page at `page_path` (site path such as `cas/x/`), with
/// links rewritten under `base_path` (`/` or `/atlas/`), and raw HTML cleaned (the default of
/// `html_brut`).
pub fn render(source: &str, page_path: &str, base_path: &str) -> RenderedMarkdown {
    render_with(source, page_path, base_path, RawHtml::Sanitised)
}

/// [`render`], with raw HTML cleaned or kept as written according to `raw_html`.
pub fn render_with(
    source: &str,
    page_path: &str,
    base_path: &str,
    raw_html: RawHtml,
) -> RenderedMarkdown {
    let sanitised = raw_html == RawHtml::Sanitised;
    let mut has_raw_html = false;
    // Links and images whose URL is dangerous are left out, their text kept: one flag per
    // open link or image, to drop the matching end.
    let mut dropped_links: Vec<bool> = Vec::new();
    let mut dropped_images: Vec<bool> = Vec::new();
    let mut internal_links = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut heading: Option<(usize, Tag)> = None;
    // Headings get their ids once the whole document is read (see `unique_ids`): the
    // footnotes, whose ids are their labels, may come after them.
    let mut headings: Vec<usize> = Vec::new();
    let mut footnote_labels: HashSet<String> = HashSet::new();
    // Inside a second definition of a footnote label (dropped, as GitHub does: its references
    // go to the first one, and two elements would have the same id).
    let mut duplicate_footnote_depth = 0usize;
    let mut code_depth = 0usize;
    let mut autolink_depth = 0usize;

    let merged = TextMergeStream::new(Parser::new_ext(source, options()));
    for event in merged {
        let event = match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                code_depth += 1;
                Event::Start(Tag::CodeBlock(kind))
            }
            Event::End(TagEnd::CodeBlock) => {
                code_depth -= 1;
                Event::End(TagEnd::CodeBlock)
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if matches!(link_type, LinkType::Autolink | LinkType::Email) {
                    autolink_depth += 1;
                }
                let dangerous = sanitize::is_dangerous_url(&dest_url);
                dropped_links.push(dangerous);
                if dangerous {
                    continue;
                }
                let dest_url = rewrite_link(&dest_url, page_path, base_path, &mut internal_links);
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Link) => {
                autolink_depth = autolink_depth.saturating_sub(1);
                if dropped_links.pop().unwrap_or(false) {
                    continue;
                }
                Event::End(TagEnd::Link)
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dangerous = sanitize::is_dangerous_url(&dest_url);
                dropped_images.push(dangerous);
                if dangerous {
                    continue;
                }
                let dest_url = rewrite_link(&dest_url, page_path, base_path, &mut internal_links);
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Image) => {
                if dropped_images.pop().unwrap_or(false) {
                    continue;
                }
                Event::End(TagEnd::Image)
            }
            Event::Html(html) => {
                has_raw_html = true;
                Event::Html(html)
            }
            Event::InlineHtml(html) => {
                has_raw_html = true;
                Event::InlineHtml(html)
            }
            Event::Text(text) if code_depth == 0 && autolink_depth == 0 => {
                Event::Text(CowStr::from(typography(&text)))
            }
            other => other,
        };
        if duplicate_footnote_depth > 0 {
            match event {
                Event::Start(Tag::FootnoteDefinition(_)) => duplicate_footnote_depth += 1,
                Event::End(TagEnd::FootnoteDefinition) => duplicate_footnote_depth -= 1,
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::FootnoteDefinition(label))
                if !footnote_labels.insert(label.to_string()) =>
            {
                duplicate_footnote_depth = 1;
            }
            Event::Start(tag @ Tag::Heading { .. }) => {
                heading = Some((events.len(), tag));
                events.push(Event::Text(CowStr::Borrowed("")));
            }
            Event::End(TagEnd::Heading(level)) => {
                if let Some((
                    start,
                    Tag::Heading {
                        level: l,
                        id,
                        classes,
                        attrs,
                    },
                )) = heading.take()
                {
                    let text: String = events[start + 1..]
                        .iter()
                        .filter_map(|e| match e {
                            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                            _ => None,
                        })
                        .collect();
                    let base = match &id {
                        Some(id) => id.to_string(),
                        None => {
                            let slug = slug::slugify(&text);
                            if slug.is_empty() {
                                "section".to_string()
                            } else {
                                slug
                            }
                        }
                    };
                    // `{key=value}` on a heading is markup: only what raw HTML may carry.
                    let attrs = if sanitised {
                        attrs
                            .into_iter()
                            .filter(|(name, value)| {
                                sanitize::heading_attribute_allowed(
                                    name,
                                    value.as_deref().unwrap_or(""),
                                )
                            })
                            .collect()
                    } else {
                        attrs
                    };
                    events[start] = Event::Start(Tag::Heading {
                        level: demote(l),
                        id: Some(CowStr::from(base)),
                        classes,
                        attrs,
                    });
                    headings.push(start);
                }
                events.push(Event::End(TagEnd::Heading(demote(level))));
            }
            other => events.push(other),
        }
    }
    unique_ids(&mut events, &headings, footnote_labels);
    // Offsets: find each internal link's position in the source for error reports.
    let mut search_from = 0;
    for link in &mut internal_links {
        if let Some(found) = source[search_from..].find(&link.written) {
            link.offset = search_from + found;
            search_from = link.offset + link.written.len();
        }
    }
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    if html.contains("<table>") {
        html = accessible_tables(&html);
    }
    if sanitised && has_raw_html {
        html = sanitize::clean(&html);
    }
    RenderedMarkdown {
        html,
        internal_links,
    }
}

/// Makes the id of every heading (at `headings` in `events`) unique: not used by another
/// heading, a footnote (`footnotes`: their labels are their ids) or the page around the text
/// ([`reserved_by_the_page`]). The first heading keeps its id, the next ones get `-2`, `-3`…
fn unique_ids(events: &mut [Event], headings: &[usize], footnotes: HashSet<String>) {
    let mut taken = footnotes;
    let mut counts: HashMap<String, usize> = HashMap::new();
    for &start in headings {
        if let Event::Start(Tag::Heading { id: Some(id), .. }) = &mut events[start] {
            let mut base = id.to_string();
            if reserved_by_the_page(&base) {
                base = format!("section-{base}");
            }
            let count = counts.entry(base.clone()).or_insert(0);
            let unique = loop {
                *count += 1;
                let candidate = if *count == 1 {
                    base.clone()
                } else {
                    format!("{base}-{count}")
                };
                if taken.insert(candidate.clone()) {
                    break candidate;
                }
            };
            *id = CowStr::from(unique);
        }
    }
}

/// Ids the default theme gives to the elements around a Markdown text on its page: the main
/// region and the search box (`base.html`), section titles (`titre-…`), source notes
/// (`source-N`), opportunity cards (`opportunite-…`), their section and filters
/// (`opportunites`, `filtre-…`). A heading named like one of them gets the prefix `section-`.
fn reserved_by_the_page(id: &str) -> bool {
    matches!(id, "contenu" | "recherche-entete" | "opportunites")
        || ["titre-", "source-", "opportunite-", "filtre-"]
            .iter()
            .any(|prefix| id.starts_with(prefix))
}

/// The page title is the page's only `<h1>`: a `# Titre` in Markdown becomes an `<h2>`.
fn demote(level: pulldown_cmark::HeadingLevel) -> pulldown_cmark::HeadingLevel {
    match level {
        pulldown_cmark::HeadingLevel::H1 => pulldown_cmark::HeadingLevel::H2,
        other => other,
    }
}

/// Tables: column alignment as classes, since the theme's Content-Security-Policy forbids
/// `style` attributes, and a focusable scroll container so that wide tables scroll alone on a
/// phone.
fn accessible_tables(html: &str) -> String {
    const REPLACEMENTS: [(&str, &str); 5] = [
        (" style=\"text-align: left\"", " class=\"a-gauche\""),
        (" style=\"text-align: center\"", " class=\"a-centre\""),
        (" style=\"text-align: right\"", " class=\"a-droite\""),
        (
            "<table>",
            "<div class=\"table-defilement\" tabindex=\"0\" role=\"region\" aria-label=\"Tableau\"><table>",
        ),
        ("</table>", "</table></div>"),
    ];
    // One pass over the page, not one per pattern (a case study with a table went through
    // five `replace` that each copied it): the next occurrence of each pattern is kept, and
    // the first of them replaced. No pattern can overlap another.
    let finders = REPLACEMENTS.map(|(pattern, _)| memchr::memmem::Finder::new(pattern));
    let bytes = html.as_bytes();
    let mut next: [Option<usize>; 5] = std::array::from_fn(|k| finders[k].find(bytes));
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut from = 0;
    while let Some((k, at)) = (0..REPLACEMENTS.len())
        .filter_map(|k| next[k].map(|at| (k, at)))
        .min_by_key(|&(_, at)| at)
    {
        let (pattern, replacement) = REPLACEMENTS[k];
        out.push_str(&html[from..at]);
        out.push_str(replacement);
        from = at + pattern.len();
        for (slot, finder) in next.iter_mut().zip(&finders) {
            if slot.is_some_and(|position| position < from) {
                *slot = finder.find(&bytes[from..]).map(|position| from + position);
            }
        }
    }
    out.push_str(&html[from..]);
    out
}

/// Resolves an internal link to a site path, records it, and returns the URL to write:
/// root-relative links get the base path; relative links stay relative (they keep working
/// under any sub-path); external links are untouched.
fn rewrite_link<'a>(
    dest: &CowStr<'a>,
    page_path: &str,
    base_path: &str,
    links: &mut Vec<InternalLink>,
) -> CowStr<'a> {
    let url = dest.as_ref();
    if url.is_empty() || url.starts_with('#') || url.starts_with("//") || has_scheme(url) {
        return dest.clone();
    }
    let (path, suffix) = match url.find(['#', '?']) {
        Some(index) => (&url[..index], &url[index..]),
        None => (url, ""),
    };
    let absolute = path.starts_with('/');
    let target = if absolute {
        normalize(path.trim_start_matches('/'))
    } else {
        normalize(&format!("{page_path}{path}"))
    };
    let target = match target {
        Some(target) => target,
        None => {
            // Climbs above the site root: keep it, and let the check report it.
            links.push(InternalLink {
                written: url.to_string(),
                target: format!("../{path}"),
                offset: 0,
            });
            return dest.clone();
        }
    };
    // A page link written without its trailing slash still means the page.
    let target = if !target.is_empty()
        && !target.ends_with('/')
        && !target.rsplit('/').next().unwrap_or("").contains('.')
    {
        format!("{target}/")
    } else {
        target
    };
    links.push(InternalLink {
        written: url.to_string(),
        target: target.clone(),
        offset: 0,
    });
    if absolute {
        CowStr::from(format!("{base_path}{target}{suffix}"))
    } else {
        dest.clone()
    }
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(index) => url[..index]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        None => false,
    }
}

/// Resolves `.` and `..` in a site path; `None` if it climbs above the root.
fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    let mut out = parts.join("/");
    if path.ends_with('/') && !out.is_empty() {
        out.push('/');
    }
    Some(out)
}

/// French typography for running text: a narrow no-break space before `; : ! ?` and inside
/// « », a typographic apostrophe between letters. Words that look like URLs are left alone.
///
/// The text is copied in runs between the characters a rule may act on (`; : ! ? % '`, and
/// the characters that start with byte C2: « » and the no-break space); each rule looks at
/// what was written before and at the text after.
pub fn typography(text: &str) -> String {
    // Most texts (names, titles, most Markdown text runs) hold none of the characters the rules
    // below act on: they come out as they are, without the walk.
    let bytes = text.as_bytes();
    let Some(first) = bytes.iter().position(|&b| is_typography_byte(b)) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() + 8);
    // Whether the word around a position looks like a URL (or an e-mail address): decided once
    // per word, so that a long word costs its length, not its length squared.
    let mut word = UrlWord::default();
    let mut copied = 0;
    let mut i = first;
    while i < bytes.len() {
        if !is_typography_byte(bytes[i]) {
            i += 1;
            continue;
        }
        out.push_str(&text[copied..i]);
        let c = text[i..].chars().next().expect("i is a character boundary");
        let after = i + c.len_utf8();
        let next = text[after..].chars().next();
        copied = after;
        match c {
            ';' | ':' | '!' | '?' => {
                let previous = out.chars().last();
                if matches!(previous, Some(' ') | Some('\u{a0}')) {
                    out.pop();
                    out.push(NNBSP);
                } else if c != ':'
                    && previous
                        .is_some_and(|p| p.is_alphanumeric() || matches!(p, ')' | '»' | '"' | '’'))
                    && next.is_none_or(|n| {
                        n.is_whitespace() || matches!(n, '!' | '?' | ')' | '»' | '.' | ',')
                    })
                    && !word.is_url(text, i)
                {
                    out.push(NNBSP);
                }
                out.push(c);
            }
            '%' if matches!(out.chars().last(), Some(' ') | Some('\u{a0}'))
                && out.chars().rev().nth(1).is_some_and(|d| d.is_ascii_digit()) =>
            {
                out.pop();
                out.push(NNBSP);
                out.push('%');
            }
            // Inside a URL, nothing changes.
            '«' | '»' | '\'' if word.is_url(text, i) => out.push(c),
            '«' => {
                out.push(c);
                if next.is_some_and(|n| !n.is_whitespace()) {
                    out.push(NNBSP);
                }
            }
            '»' => {
                match out.chars().last() {
                    Some(' ') | Some('\u{a0}') => {
                        out.pop();
                        out.push(NNBSP);
                    }
                    Some(p) if p != NNBSP => out.push(NNBSP),
                    _ => {}
                }
                out.push(c);
            }
            '\'' if text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_alphabetic)
                && next.is_some_and(char::is_alphabetic) =>
            {
                out.push('’')
            }
            _ => out.push(c),
        }
        // A space or a no-break space right after « becomes a narrow one, URL or not.
        if c == '«' && matches!(next, Some(' ') | Some('\u{a0}')) {
            out.push(NNBSP);
            copied += next.map_or(0, char::len_utf8);
        }
        i = copied;
    }
    out.push_str(&text[copied..]);
    out
}

/// The bytes [`typography`] stops at: the ASCII characters of its rules, and the first byte
/// of « » and of the no-break space.
fn is_typography_byte(b: u8) -> bool {
    matches!(b, b';' | b':' | b'!' | b'?' | b'%' | b'\'' | 0xC2)
}

/// The last word [`typography`] asked about: its byte range and whether it looks like a URL.
#[derive(Default)]
struct UrlWord {
    range: std::ops::Range<usize>,
    url: bool,
}

impl UrlWord {
    /// Whether the word around byte `i` of `text` (the characters between two whitespaces)
    /// holds « :// », starts with « www. » or holds « @ ».
    fn is_url(&mut self, text: &str, i: usize) -> bool {
        if !self.range.contains(&i) {
            let start = text[..i]
                .char_indices()
                .rev()
                .find(|(_, c)| c.is_whitespace())
                .map_or(0, |(j, c)| j + c.len_utf8());
            let end = text[i..]
                .char_indices()
                .find(|(_, c)| c.is_whitespace())
                .map_or(text.len(), |(j, _)| i + j);
            let word = &text[start..end];
            self.range = start..end;
            self.url = word.contains("://") || word.starts_with("www.") || word.contains('@');
        }
        self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk over every character (a `Vec<char>`) that `typography` replaced, kept as the
    /// reference its property test compares it with.
    fn typography_reference(text: &str) -> String {
        // Most texts (names, titles, most Markdown text runs) hold none of the characters the rules
        // below act on: they come out as they are, without the walk.
        if !text
            .bytes()
            .any(|b| matches!(b, b';' | b':' | b'!' | b'?' | b'%' | b'\'' | 0xC2))
        {
            return text.to_string();
        }
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len() + 8);
        // Whether the word starting at `start` looks like a URL (or an e-mail address): decided
        // once per word, so that a long word costs its length, not its length squared.
        let url_at = |start: usize| {
            let end = chars[start..]
                .iter()
                .position(|c| c.is_whitespace())
                .map_or(chars.len(), |p| start + p);
            let word = &chars[start..end];
            word.windows(3).any(|w| w == [':', '/', '/'])
                || word.starts_with(&['w', 'w', 'w', '.'])
                || word.contains(&'@')
        };
        let mut in_url = url_at(0);
        for (i, &c) in chars.iter().enumerate() {
            if c.is_whitespace() {
                in_url = url_at(i + 1);
            }
            match c {
                ';' | ':' | '!' | '?' => {
                    let previous = out.chars().last();
                    if matches!(previous, Some(' ') | Some('\u{a0}')) {
                        out.pop();
                        out.push(NNBSP);
                    } else if c != ':'
                        && previous.is_some_and(|p| {
                            p.is_alphanumeric() || matches!(p, ')' | '»' | '"' | '’')
                        })
                        && chars.get(i + 1).is_none_or(|n| {
                            n.is_whitespace() || matches!(n, '!' | '?' | ')' | '»' | '.' | ',')
                        })
                        && !in_url
                    {
                        out.push(NNBSP);
                    }
                    out.push(c);
                }
                '%' if matches!(out.chars().last(), Some(' ') | Some('\u{a0}'))
                    && out.chars().rev().nth(1).is_some_and(|d| d.is_ascii_digit()) =>
                {
                    out.pop();
                    out.push(NNBSP);
                    out.push('%');
                }
                // Inside a URL, nothing changes.
                '«' | '»' | '\'' if in_url => out.push(c),
                '«' => {
                    out.push(c);
                    if chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
                        out.push(NNBSP);
                    }
                }
                ' ' | '\u{a0}' if i > 0 && chars[i - 1] == '«' => out.push(NNBSP),
                '»' => {
                    match out.chars().last() {
                        Some(' ') | Some('\u{a0}') => {
                            out.pop();
                            out.push(NNBSP);
                        }
                        Some(p) if p != NNBSP => out.push(NNBSP),
                        _ => {}
                    }
                    out.push(c);
                }
                '\'' if i > 0
                    && chars[i - 1].is_alphabetic()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphabetic()) =>
                {
                    out.push('’')
                }
                _ => out.push(c),
            }
        }
        out
    }

    #[test]
    fn typography_writes_what_the_walk_over_every_character_wrote() {
        use proptest::prelude::*;
        const PIECES: &[&str] = &[
            "a", "é", "Z", "1", " ", "\u{a0}", "\u{202f}", "\n", ";", ":", "!", "?", "%", "'", "«",
            "»", ")", "\"", "’", ".", ",", "/", "://", "www.", "@", "°", "²", "x",
        ];
        let text = proptest::collection::vec(proptest::sample::select(PIECES), 0..24)
            .prop_map(|p| p.concat());
        proptest!(ProptestConfig::with_cases(20_000), |(text in text)| {
            prop_assert_eq!(typography(&text), typography_reference(&text));
        });
    }

    #[test]
    fn typography_puts_narrow_spaces_before_double_punctuation() {
        assert_eq!(
            typography("Pourquoi ? Parce que : voilà ; enfin !"),
            "Pourquoi\u{202f}? Parce que\u{202f}: voilà\u{202f}; enfin\u{202f}!"
        );
        assert_eq!(typography("Quoi?"), "Quoi\u{202f}?");
        assert_eq!(typography("« Melon »"), "«\u{202f}Melon\u{202f}»");
        assert_eq!(typography("«Melon»"), "«\u{202f}Melon\u{202f}»");
        assert_eq!(typography("l'office"), "l’office");
    }

    #[test]
    fn typography_leaves_urls_and_times_alone() {
        assert_eq!(
            typography("voir https://ex.org/a?b=1 ici"),
            "voir https://ex.org/a?b=1 ici"
        );
        assert_eq!(typography("à 14:30"), "à 14:30");
    }

    #[test]
    fn typography_acts_on_each_of_its_characters_and_leaves_other_texts_as_they_are() {
        for plain in [
            "",
            "Avignon",
            "L’Isle-sur-la-Sorgue, 19 000 habitants — ville d’eau",
            "x.y@z",
        ] {
            assert_eq!(typography(plain), plain);
        }
        // Each character that a rule acts on, alone in a text that is otherwise plain.
        assert_eq!(typography("Vraiment?"), "Vraiment\u{202f}?");
        assert_eq!(typography("Vraiment!"), "Vraiment\u{202f}!");
        assert_eq!(typography("Voici ;"), "Voici\u{202f};");
        assert_eq!(typography("Voici :"), "Voici\u{202f}:");
        assert_eq!(typography("hausse de 12 %"), "hausse de 12\u{202f}%");
        assert_eq!(typography("aujourd'hui"), "aujourd’hui");
        assert_eq!(typography("«\u{a0}Melon"), "«\u{202f}Melon");
        assert_eq!(typography("Melon\u{a0}»"), "Melon\u{202f}»");
        // A word that holds « www. », « :// » or « @ » is left alone.
        assert_eq!(typography("www.x.fr/l'a?"), "www.x.fr/l'a?");
        assert_eq!(typography("ecrire@x.fr?"), "ecrire@x.fr?");
    }

    #[test]
    fn code_is_not_touched() {
        let out = render("Texte : `a : b` et\n\n```\nx : y ?\n```\n", "cas/x/", "/");
        assert!(
            out.html.contains("Texte\u{202f}: <code>a : b</code>"),
            "{}",
            out.html
        );
        assert!(out.html.contains("x : y ?"), "{}", out.html);
    }

    /// The one-pass replacement gives what the five `replace` in a row gave.
    #[test]
    fn tables_are_rewritten_in_one_pass_as_by_five_replacements() {
        let chained = |html: &str| {
            html.replace(" style=\"text-align: left\"", " class=\"a-gauche\"")
                .replace(" style=\"text-align: center\"", " class=\"a-centre\"")
                .replace(" style=\"text-align: right\"", " class=\"a-droite\"")
                .replace(
                    "<table>",
                    "<div class=\"table-defilement\" tabindex=\"0\" role=\"region\" aria-label=\"Tableau\"><table>",
                )
                .replace("</table>", "</table></div>")
        };
        for html in [
            "",
            "<p>sans tableau</p>",
            "<table><thead><tr><th style=\"text-align: left\">a</th><th style=\"text-align: right\">b</th><th style=\"text-align: center\">c</th></tr></thead></table>",
            "<table></table><table><tr><td style=\"text-align: center\">é</td></tr></table>\n<p>« fin »</p>",
            "<p>&lt;table&gt; écrit</p><table>",
        ] {
            assert_eq!(accessible_tables(html), chained(html), "{html}");
        }
    }

    #[test]
    fn extensions_are_enabled() {
        let out = render(
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n~~barré~~\n\n- [x] fait\n\nNote[^1].\n\n[^1]: Source.\n",
            "cas/x/",
            "/",
        );
        assert!(out.html.contains("<table>"));
        assert!(out.html.contains("<del>barré</del>"));
        assert!(out.html.contains("type=\"checkbox\""));
        assert!(out.html.contains("footnote-definition"));
    }

    #[test]
    fn tables_use_classes_not_styles_and_scroll_alone() {
        let out = render("| a | b |\n|:--|--:|\n| 1 | 2 |\n", "cas/x/", "/");
        assert!(!out.html.contains("style="), "{}", out.html);
        assert!(
            out.html.contains("<th class=\"a-gauche\">a</th>"),
            "{}",
            out.html
        );
        assert!(
            out.html.contains("<td class=\"a-droite\">2</td>"),
            "{}",
            out.html
        );
        assert!(
            out.html
                .starts_with("<div class=\"table-defilement\" tabindex=\"0\" role=\"region\"")
        );
        assert!(out.html.trim_end().ends_with("</table></div>"));
    }

    #[test]
    fn a_level_one_heading_becomes_level_two() {
        let out = render("# Titre\n\n## Section\n", "cas/x/", "/");
        assert!(
            out.html.contains("<h2 id=\"titre\">Titre</h2>"),
            "{}",
            out.html
        );
        assert!(!out.html.contains("<h1"));
    }

    #[test]
    fn percent_gets_a_narrow_space() {
        assert_eq!(typography("92 % des villes"), "92\u{202f}% des villes");
        assert_eq!(typography("taux 5%"), "taux 5%");
    }

    #[test]
    fn headings_get_unique_anchors() {
        let out = render(
            "## Contexte\n\n## Contexte\n\n## Résultats {#res}\n",
            "cas/x/",
            "/",
        );
        assert!(out.html.contains("<h2 id=\"contexte\">"), "{}", out.html);
        assert!(out.html.contains("<h2 id=\"contexte-2\">"));
        assert!(out.html.contains("<h2 id=\"res\">"));
    }

    /// The anchors of a document, in order.
    fn anchors(html: &str) -> Vec<&str> {
        html.split(" id=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or(""))
            .collect()
    }

    /// Found by `tests/properties.rs` (heading_anchors_are_unique_slugs): a heading whose
    /// slug is the numbered anchor of another one (« Contexte 2 », then « Contexte » twice)
    /// gave two headings the id `contexte-2`.
    #[test]
    fn a_heading_named_like_a_numbered_anchor_keeps_anchors_unique() {
        let out = render("# Contexte 2\n\n# Contexte\n\n# Contexte\n", "cas/x/", "/");
        assert_eq!(
            anchors(&out.html),
            ["contexte-2", "contexte", "contexte-3"],
            "{}",
            out.html
        );
    }

    /// Found by `tests/properties.rs` (explicit_anchors_stay_unique): a footnote's id is its
    /// label, and a heading (before or after it) could take the same one.
    #[test]
    fn headings_never_take_the_id_of_a_footnote() {
        let out = render(
            "# Sources\n\nUn fait[^sources].\n\n[^sources]: Une source.\n\n# Sources\n",
            "cas/x/",
            "/",
        );
        assert_eq!(
            anchors(&out.html),
            ["sources-2", "sources", "sources-3"],
            "{}",
            out.html
        );
    }

    /// Found by `tests/properties.rs` (explicit_anchors_stay_unique): a footnote label defined
    /// twice gave two elements the same id. The second definition is dropped, as on GitHub.
    #[test]
    fn a_second_definition_of_a_footnote_is_dropped() {
        let out = render(
            "Un fait[^1].\n\n[^1]: La source.\n\n[^1]: Une autre.\n",
            "cas/x/",
            "/",
        );
        assert_eq!(anchors(&out.html), ["1"], "{}", out.html);
        assert!(out.html.contains("La source."));
        assert!(!out.html.contains("Une autre."), "{}", out.html);
    }

    /// Found by `tests/properties.rs` (the_build_is_deterministic, which checks that no page
    /// has the same id twice): a heading « Contenu » took the id of the page's main region,
    /// the target of the « Aller au contenu » link.
    #[test]
    fn headings_never_take_an_id_of_the_page() {
        let out = render(
            "## Contenu\n\n## Source 1\n\n## Titre cas liés\n\n## Contenu\n\n## Opportunités\n",
            "cas/x/",
            "/",
        );
        assert_eq!(
            anchors(&out.html),
            [
                "section-contenu",
                "section-source-1",
                "section-titre-cas-lies",
                "section-contenu-2",
                "section-opportunites"
            ],
            "{}",
            out.html
        );
    }

    /// Found by `tests/properties.rs` (typography_never_touches_urls): an apostrophe between
    /// two letters of a URL became a typographic one, and the URL a different one.
    #[test]
    fn typography_leaves_apostrophes_and_guillemets_in_urls_alone() {
        assert_eq!(
            typography("voir https://ex.org/l'office et l'office"),
            "voir https://ex.org/l'office et l’office"
        );
        assert_eq!(typography("www.ex.fr/«a»"), "www.ex.fr/«a»");
        let out = render("Voir https://a.fr/a'b.\n", "cas/x/", "/");
        assert!(out.html.contains("https://a.fr/a'b."), "{}", out.html);
    }

    /// A long word with many punctuation marks: whether it is a URL is decided once, not at
    /// every mark (it was quadratic: minutes for a few hundred kilobytes).
    #[test]
    fn typography_is_linear_in_long_words() {
        let word = "x!)".repeat(100_000);
        let started = std::time::Instant::now();
        let out = typography(&word);
        assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
        assert_eq!(out.chars().filter(|&c| c == NNBSP).count(), 100_000);
    }

    #[test]
    fn internal_links_are_resolved_and_rewritten_under_the_base_path() {
        let out = render(
            "[A](/villes/avignon/) [B](../carpentras) [C](https://ex.org/) [D](/villes/orange/#x)",
            "cas/y/",
            "/atlas/",
        );
        assert!(
            out.html.contains("href=\"/atlas/villes/avignon/\""),
            "{}",
            out.html
        );
        assert!(out.html.contains("href=\"../carpentras\""));
        assert!(out.html.contains("href=\"/atlas/villes/orange/#x\""));
        let targets: Vec<&str> = out
            .internal_links
            .iter()
            .map(|l| l.target.as_str())
            .collect();
        assert_eq!(
            targets,
            ["villes/avignon/", "cas/carpentras/", "villes/orange/"]
        );
        assert_eq!(out.internal_links[1].offset, 26);
    }

    #[test]
    fn dangerous_links_and_images_never_become_live() {
        for raw_html in [RawHtml::Sanitised, RawHtml::Allowed] {
            let out = render_with(
                "[x](javascript:alert(1)) [y](JavaScript&colon;alert(2) \"t\") <vbscript:msgbox> ![i](data:image/png;base64,AA) [ok](/villes/a/)\n\n[r]: javascript:alert(3)\n\n[ref][r]",
                "cas/x/",
                "/",
                raw_html,
            );
            assert_eq!(out.html.matches("href=").count(), 1, "{}", out.html);
            assert!(!out.html.contains("<img"), "{}", out.html);
            assert!(
                out.html
                    .contains("<p>x y vbscript:msgbox i <a href=\"/villes/a/\">ok</a></p>"),
                "{}",
                out.html
            );
            assert!(out.html.contains("<p>ref</p>"), "{}", out.html);
        }
    }

    #[test]
    fn raw_html_is_cleaned_by_default_and_kept_when_allowed() {
        let source = "<div class=\"encart\" onclick=\"alert(1)\">Encart</div>\n\nTexte <span style=\"color:red\">rouge</span><script>alert(1)</script>.\n";
        let cleaned = render(source, "cas/x/", "/").html;
        assert!(
            cleaned.contains("<div class=\"encart\">Encart</div>"),
            "{cleaned}"
        );
        assert!(cleaned.contains("Texte <span>rouge</span>."), "{cleaned}");
        assert!(!cleaned.contains("alert"), "{cleaned}");
        let kept = render_with(source, "cas/x/", "/", RawHtml::Allowed).html;
        assert!(kept.contains("onclick=\"alert(1)\""), "{kept}");
        assert!(kept.contains("<script>alert(1)</script>"), "{kept}");
    }

    #[test]
    fn heading_attributes_follow_the_raw_html_rule() {
        let source = "## Titre {#t onmouseover=alert(1) style=x data-note=1 lang=oc}\n";
        let cleaned = render(source, "cas/x/", "/").html;
        assert_eq!(
            cleaned,
            "<h2 id=\"t\" data-note=\"1\" lang=\"oc\">Titre</h2>\n"
        );
        let kept = render_with(source, "cas/x/", "/", RawHtml::Allowed).html;
        assert!(kept.contains("onmouseover=\"alert(1)\""), "{kept}");
    }

    #[test]
    fn links_above_the_root_are_reported() {
        let out = render("[x](../../../etc)", "cas/y/", "/");
        assert_eq!(out.internal_links[0].target, "../../../../etc");
    }
}
