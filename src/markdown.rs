//! Markdown to HTML for case studies and the home page, with what the atlas needs on top of
//! pulldown-cmark: French typography in text (never in code or URLs), heading anchors, and
//! internal links that are checked against the site's pages and rewritten for `base_url`.

use std::collections::HashMap;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, TextMergeStream};

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

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Renders `source`, written for the page at `page_path` (site path such as `cas/x/`), with
/// links rewritten under `base_path` (`/` or `/atlas/`).
pub fn render(source: &str, page_path: &str, base_path: &str) -> RenderedMarkdown {
    let mut internal_links = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut heading: Option<(usize, Tag)> = None;
    let mut used_ids: HashMap<String, usize> = HashMap::new();
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
                Event::End(TagEnd::Link)
            }
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let dest_url = rewrite_link(&dest_url, page_path, base_path, &mut internal_links);
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::Text(text) if code_depth == 0 && autolink_depth == 0 => {
                Event::Text(CowStr::from(typography(&text)))
            }
            other => other,
        };
        match event {
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
                    let count = used_ids.entry(base.clone()).or_insert(0);
                    *count += 1;
                    let unique = if *count == 1 {
                        base
                    } else {
                        format!("{base}-{count}")
                    };
                    events[start] = Event::Start(Tag::Heading {
                        level: demote(l),
                        id: Some(CowStr::from(unique)),
                        classes,
                        attrs,
                    });
                }
                events.push(Event::End(TagEnd::Heading(demote(level))));
            }
            other => events.push(other),
        }
    }
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
    RenderedMarkdown {
        html,
        internal_links,
    }
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
    html.replace(" style=\"text-align: left\"", " class=\"a-gauche\"")
        .replace(" style=\"text-align: center\"", " class=\"a-centre\"")
        .replace(" style=\"text-align: right\"", " class=\"a-droite\"")
        .replace(
            "<table>",
            "<div class=\"table-defilement\" tabindex=\"0\" role=\"region\" aria-label=\"Tableau\"><table>",
        )
        .replace("</table>", "</table></div>")
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
pub fn typography(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut word_start = 0;
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            word_start = i + 1;
        }
        let in_url = || {
            let end = chars[i..]
                .iter()
                .position(|c| c.is_whitespace())
                .map_or(chars.len(), |p| i + p);
            let word: String = chars[word_start..end].iter().collect();
            word.contains("://") || word.starts_with("www.") || word.contains('@')
        };
        match c {
            ';' | ':' | '!' | '?' => {
                let previous = out.chars().last();
                if matches!(previous, Some(' ') | Some('\u{a0}')) {
                    out.pop();
                    out.push(NNBSP);
                } else if c != ':'
                    && previous
                        .is_some_and(|p| p.is_alphanumeric() || matches!(p, ')' | '»' | '"' | '’'))
                    && chars.get(i + 1).is_none_or(|n| {
                        n.is_whitespace() || matches!(n, '!' | '?' | ')' | '»' | '.' | ',')
                    })
                    && !in_url()
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn code_is_not_touched() {
        let out = render("Texte : `a : b` et\n\n```\nx : y ?\n```\n", "cas/x/", "/");
        assert!(
            out.html.contains("Texte\u{202f}: <code>a : b</code>"),
            "{}",
            out.html
        );
        assert!(out.html.contains("x : y ?"), "{}", out.html);
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
    fn links_above_the_root_are_reported() {
        let out = render("[x](../../../etc)", "cas/y/", "/");
        assert_eq!(out.internal_links[0].target, "../../../../etc");
    }
}
