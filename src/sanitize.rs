//! Raw HTML in Markdown, made safe: nothing an editor writes may run code in a visitor's
//! browser or break the site's Content-Security-Policy.
//!
//! By default (`html_brut` absent or `nettoye` in `atlas.yaml`), a Markdown body that contains
//! raw HTML is cleaned as a whole by [`clean`] (ammonia, configured with an allow-list that
//! covers everything the generator itself writes: heading ids, table classes, footnotes, task
//! lists). The whole body, not each fragment: inline HTML arrives from pulldown-cmark in pieces,
//! `<span>` and `</span>` in separate events, and only a parser that sees both keeps them
//! together. A body without raw HTML is left byte for byte as pulldown-cmark wrote it. Links
//! and images written in Markdown are checked one by one ([`is_dangerous_url`]) in every mode.
//!
//! [`audit`] says what the cleaning removes, with its position in the Markdown, so that
//! `check` and `build` can warn the editor; it mirrors the allow-list of [`clean`] but is only
//! a report: what reaches the page is decided by [`clean`] alone.

use std::sync::OnceLock;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use crate::model::RawHtml;

/// Elements kept by [`clean`] (their content is kept for any other element, except those of
/// [`DROPPED_WITH_CONTENT`]). No `h1`: the page title is the page's only one.
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "bdi",
    "bdo",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "input",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    "var",
    "wbr",
];

/// Elements removed together with everything inside them.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "applet", "embed", "frame", "frameset", "iframe", "noembed", "noframes", "noscript", "object",
    "script", "select", "style", "template", "textarea", "title",
];

/// Attributes kept on every allowed element.
const GENERIC_ATTRIBUTES: &[&str] = &["class", "dir", "id", "lang", "title"];
/// Attribute prefixes kept on every allowed element.
const GENERIC_PREFIXES: &[&str] = &["aria-", "data-"];

/// Attributes kept on one element. `div`: the scroll container of tables
/// (`markdown::accessible_tables`); `input`: task lists, with `type="checkbox"` only.
const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href", "hreflang"]),
    ("blockquote", &["cite"]),
    ("col", &["span"]),
    ("colgroup", &["span"]),
    ("data", &["value"]),
    ("del", &["cite", "datetime"]),
    ("details", &["open"]),
    ("div", &["role", "tabindex"]),
    ("img", &["alt", "height", "src", "width"]),
    ("input", &["checked", "disabled"]),
    ("ins", &["cite", "datetime"]),
    ("li", &["value"]),
    ("ol", &["reversed", "start"]),
    ("q", &["cite"]),
    ("td", &["colspan", "headers", "rowspan"]),
    ("th", &["abbr", "colspan", "headers", "rowspan", "scope"]),
    ("time", &["datetime"]),
];

/// URL schemes kept in `href` and `src`; relative URLs are kept too.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// Schemes never published, in Markdown links and images as in raw HTML: they run code
/// (`javascript:`, `vbscript:`) or embed a document the site did not check (`data:`).
const DANGEROUS_SCHEMES: &[&str] = &["javascript", "vbscript", "data"];

fn cleaner() -> &'static ammonia::Builder<'static> {
    static CLEANER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut builder = ammonia::Builder::default();
        builder
            .tags(TAGS.iter().copied().collect())
            .clean_content_tags(DROPPED_WITH_CONTENT.iter().copied().collect())
            .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect())
            .generic_attribute_prefixes(GENERIC_PREFIXES.iter().copied().collect())
            .tag_attributes(
                TAG_ATTRIBUTES
                    .iter()
                    .map(|(tag, attributes)| (*tag, attributes.iter().copied().collect()))
                    .collect(),
            )
            .tag_attribute_values(
                [("input", [("type", ["checkbox"].into())].into())]
                    .into_iter()
                    .collect(),
            )
            .url_schemes(URL_SCHEMES.iter().copied().collect())
            .url_relative(ammonia::UrlRelative::PassThrough)
            // The generator's links keep their markup; `rel` is not needed on a static site.
            .link_rel(None)
            .strip_comments(true);
        builder
    })
}

/// Cleans an HTML fragment (a rendered Markdown body): only the elements and attributes of the
/// allow-list stay, with `http`, `https`, `mailto`, `tel` or relative URLs.
pub fn clean(html: &str) -> String {
    cleaner().clean(html).to_string()
}

/// True when a browser would read `url` with a scheme of [`DANGEROUS_SCHEMES`]. Browsers drop
/// tabs and line breaks anywhere in a URL, and control characters and spaces at its start.
pub fn is_dangerous_url(url: &str) -> bool {
    dangerous_scheme(url).is_some()
}

fn dangerous_scheme(url: &str) -> Option<&'static str> {
    let cleaned: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let trimmed = cleaned.trim_start_matches(|c: char| c <= ' ');
    let scheme = &trimmed[..trimmed.find(':')?];
    DANGEROUS_SCHEMES
        .iter()
        .copied()
        .find(|s| s.eq_ignore_ascii_case(scheme))
}

/// Why an attribute of raw HTML does not reach the page.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refused {
    /// An event handler (`onclick`…): JavaScript.
    Handler,
    /// `style`: the Content-Security-Policy forbids inline styles.
    Style,
    /// A URL with a scheme that is not allowed.
    Url(String),
    /// Not in the allow-list for this element.
    Unknown,
}

/// Whether [`clean`] keeps `name="value"` on `tag` (all lowercase), and why not.
fn attribute_refusal(tag: &str, name: &str, value: &str) -> Option<Refused> {
    if name.starts_with("on") {
        return Some(Refused::Handler);
    }
    if name == "style" {
        return Some(Refused::Style);
    }
    let listed = GENERIC_ATTRIBUTES.contains(&name)
        || GENERIC_PREFIXES.iter().any(|p| name.starts_with(p))
        || TAG_ATTRIBUTES
            .iter()
            .any(|(t, attributes)| *t == tag && attributes.contains(&name))
        || (tag == "input" && name == "type" && value.eq_ignore_ascii_case("checkbox"));
    if !listed {
        return Some(Refused::Unknown);
    }
    if matches!(name, "href" | "src") {
        return match url::Url::parse(value) {
            Ok(url) if URL_SCHEMES.contains(&url.scheme()) => None,
            Ok(url) => Some(Refused::Url(format!("{}:", url.scheme()))),
            Err(url::ParseError::RelativeUrlWithoutBase) => None,
            Err(_) => Some(Refused::Url(short(value))),
        };
    }
    None
}

/// Whether a `{key=value}` attribute written on a Markdown heading is kept, by default: the
/// same rule as for raw HTML.
pub(crate) fn heading_attribute_allowed(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && attribute_refusal("h2", &name.to_ascii_lowercase(), value).is_none()
}

/// Something the cleaning removes, at a byte offset of the Markdown source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Diagnostic code: `html-brut` (raw HTML) or `adresse-interdite` (Markdown link or image).
    pub code: &'static str,
    pub offset: usize,
    /// What is removed and why, in French, for the editor.
    pub message: String,
    /// Length, in characters, of the text to underline.
    pub span_chars: usize,
}

const SWITCH: &str = "(html_brut: autorise dans atlas.yaml pour l’autoriser)";

/// Lists what rendering `markdown` removes under `raw_html`: raw HTML elements and attributes
/// outside the allow-list (by default only), and links or images with a dangerous URL (in
/// every mode). Cheap on a body that has neither raw HTML nor anything that could hide a
/// dangerous scheme: it is not parsed.
pub fn audit(markdown: &str, raw_html: RawHtml) -> Vec<Finding> {
    let sanitised = raw_html == RawHtml::Sanitised;
    if !worth_parsing(markdown, sanitised) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    // The lines of an HTML block, joined, with where each starts in the source.
    let mut block: Option<(String, Vec<(usize, usize)>)> = None;
    let parser = Parser::new_ext(markdown, crate::markdown::options()).into_offset_iter();
    for (event, range) in parser {
        match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => {
                if let Some(scheme) = dangerous_scheme(&dest_url) {
                    findings.push(Finding {
                        code: "adresse-interdite",
                        offset: range.start,
                        message: format!(
                            "lien retiré\u{a0}: l’adresse «\u{202f}{}\u{202f}» n’est pas autorisée (les adresses {scheme}: ne sont jamais publiées)",
                            short(&dest_url)
                        ),
                        span_chars: markdown[range].chars().count(),
                    });
                }
            }
            Event::Start(Tag::Heading { attrs, .. }) if sanitised => {
                for (name, value) in attrs {
                    let name = name.to_ascii_lowercase();
                    if let Some(refused) =
                        attribute_refusal("h2", &name, value.as_deref().unwrap_or(""))
                    {
                        findings.push(Finding {
                            code: "html-brut",
                            offset: range.start,
                            message: attribute_message(&name, &refused),
                            span_chars: 1,
                        });
                    }
                }
            }
            Event::Start(Tag::HtmlBlock) if sanitised => block = Some((String::new(), Vec::new())),
            Event::Html(text) if sanitised => match &mut block {
                Some((joined, starts)) => {
                    starts.push((joined.len(), range.start));
                    joined.push_str(&text);
                }
                None => scan(&text, &[(0, range.start)], &mut findings),
            },
            Event::End(TagEnd::HtmlBlock) => {
                if let Some((joined, starts)) = block.take() {
                    scan(&joined, &starts, &mut findings);
                }
            }
            Event::InlineHtml(text) if sanitised => scan(&text, &[(0, range.start)], &mut findings),
            _ => {}
        }
    }
    findings.sort_by_key(|f| f.offset);
    findings
}

/// Whether a body can hold anything [`audit`] reports: raw HTML or heading attributes (`<`,
/// `{`), an entity that could hide a scheme (`&colon;`), or a dangerous scheme. One pass over
/// the bytes.
fn worth_parsing(markdown: &str, sanitised: bool) -> bool {
    let bytes = markdown.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'<' | b'{' => sanitised,
        b'&' => true,
        b':' => {
            let before = &bytes[..i];
            ends_with_ignore_case(before, b"script") || ends_with_ignore_case(before, b"data")
        }
        _ => false,
    })
}

fn ends_with_ignore_case(haystack: &[u8], suffix: &[u8]) -> bool {
    haystack.len() >= suffix.len()
        && haystack[haystack.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
}

fn attribute_message(name: &str, refused: &Refused) -> String {
    match refused {
        Refused::Handler => format!(
            "HTML brut retiré\u{a0}: l’attribut {name} (un script) n’est pas autorisé {SWITCH}"
        ),
        Refused::Style => "HTML brut retiré\u{a0}: l’attribut style n’est pas autorisé, la politique de sécurité du site interdit les styles en ligne (utilisez une classe de la feuille de style)".to_string(),
        Refused::Url(scheme) => format!(
            "HTML brut retiré\u{a0}: l’adresse «\u{202f}{scheme}\u{202f}» de l’attribut {name} n’est pas autorisée {SWITCH}"
        ),
        Refused::Unknown => {
            format!("HTML brut retiré\u{a0}: l’attribut {name} n’est pas autorisé {SWITCH}")
        }
    }
}

/// At most 40 characters of a value, for a message.
fn short(value: &str) -> String {
    let mut out: String = value.chars().take(40).collect();
    if value.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// Scans raw HTML for the elements and attributes [`clean`] removes. `starts` maps positions
/// in `html` to offsets in the Markdown source: `(position, offset)`, sorted.
fn scan(html: &str, starts: &[(usize, usize)], findings: &mut Vec<Finding>) {
    let source_offset = |position: usize| {
        let (from, offset) = starts
            .iter()
            .rev()
            .find(|(from, _)| *from <= position)
            .copied()
            .unwrap_or((0, 0));
        offset + (position - from)
    };
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(found) = html[i..].find('<') {
        let start = i + found;
        i = start + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(html.len(), |end| i + end + 3);
            continue;
        }
        if matches!(bytes.get(i), Some(b'!' | b'?' | b'/')) {
            i = html[i..].find('>').map_or(html.len(), |end| i + end + 1);
            continue;
        }
        let name_len = html[i..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':'))
            .count();
        if name_len == 0 || !bytes[i].is_ascii_alphabetic() {
            continue;
        }
        let tag = html[i..i + name_len].to_ascii_lowercase();
        i += name_len;
        let attributes_end = scan_attributes(html, &mut i);
        if !TAGS.contains(&tag.as_str()) {
            findings.push(Finding {
                code: "html-brut",
                offset: source_offset(start),
                message: format!("HTML brut retiré\u{a0}: <{tag}> n’est pas autorisé {SWITCH}"),
                span_chars: tag.chars().count() + 1,
            });
            // Its attributes go with it; the content of a script or a style is not HTML.
            if DROPPED_WITH_CONTENT.contains(&tag.as_str()) {
                let close = format!("</{tag}");
                i = find_ignore_case(html, i, &close).unwrap_or(html.len());
            }
            continue;
        }
        for (position, name, value) in attributes_end {
            if let Some(refused) = attribute_refusal(&tag, &name, &decode_entities(&value)) {
                findings.push(Finding {
                    code: "html-brut",
                    offset: source_offset(position),
                    message: attribute_message(&name, &refused),
                    span_chars: name.chars().count(),
                });
            }
        }
    }
}

fn find_ignore_case(haystack: &str, from: usize, needle: &str) -> Option<usize> {
    haystack.as_bytes()[from..]
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        .map(|p| from + p)
}

/// Reads the attributes of a start tag from `*i` to its `>` (left after it). Returns each
/// attribute's position, lowercase name and raw value.
fn scan_attributes(html: &str, i: &mut usize) -> Vec<(usize, String, String)> {
    let bytes = html.as_bytes();
    let mut attributes = Vec::new();
    loop {
        while bytes
            .get(*i)
            .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
        {
            *i += 1;
        }
        match bytes.get(*i) {
            None => return attributes,
            Some(b'>') => {
                *i += 1;
                return attributes;
            }
            _ => {}
        }
        let start = *i;
        while bytes
            .get(*i)
            .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
        {
            *i += 1;
        }
        if *i == start {
            // A stray `=`: skip it.
            *i += 1;
            continue;
        }
        let name = html[start..*i].to_ascii_lowercase();
        while bytes.get(*i).is_some_and(u8::is_ascii_whitespace) {
            *i += 1;
        }
        let mut value = String::new();
        if bytes.get(*i) == Some(&b'=') {
            *i += 1;
            while bytes.get(*i).is_some_and(u8::is_ascii_whitespace) {
                *i += 1;
            }
            match bytes.get(*i) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let from = *i + 1;
                    let end = html[from..]
                        .find(quote as char)
                        .map_or(html.len(), |e| from + e);
                    value = html[from..end].to_string();
                    *i = (end + 1).min(html.len());
                }
                _ => {
                    let from = *i;
                    while bytes
                        .get(*i)
                        .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'>')
                    {
                        *i += 1;
                    }
                    value = html[from..*i].to_string();
                }
            }
        }
        attributes.push((start, name, value));
    }
}

/// Decodes the character references that can hide a URL scheme (`&#106;`, `&#x6A;`,
/// `&colon;`, `&Tab;`, `&NewLine;`), for the report only.
fn decode_entities(value: &str) -> String {
    if !value.contains('&') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .map_or(rest.len(), |e| e + 1);
        let reference = &rest[1..end];
        let decoded = match reference {
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            _ => reference.strip_prefix('#').and_then(|number| {
                match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => number.parse().ok(),
                }
                .and_then(char::from_u32)
            }),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end..];
                rest = rest.strip_prefix(';').unwrap_or(rest);
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(markdown: &str, raw_html: RawHtml) -> Vec<String> {
        audit(markdown, raw_html)
            .into_iter()
            .map(|f| f.message)
            .collect()
    }

    #[test]
    fn dangerous_urls_are_recognised_as_a_browser_reads_them() {
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " \u{1}java\tscript:alert(1)",
            "jav\nascript:x",
            "vbscript:msgbox",
            "data:text/html;base64,PHNjcmlwdD4=",
            "DATA:image/png;base64,AAAA",
        ] {
            assert!(is_dangerous_url(url), "{url:?}");
        }
        for url in [
            "https://ex.org/javascript:x",
            "/villes/avignon/",
            "../data/",
            "javascript-guide/",
            "mailto:a@ex.org",
            "#javascript:",
            "",
        ] {
            assert!(!is_dangerous_url(url), "{url:?}");
        }
    }

    #[test]
    fn scripts_styles_and_embedded_documents_are_removed_with_their_content() {
        let out = clean(
            "<p>a</p><script>alert(1)</script><style>p{}</style><iframe src=\"https://ex.org\">x</iframe>\
             <object data=\"x.swf\">o</object><embed src=\"x.swf\"><noscript>n</noscript><p>b</p>",
        );
        assert_eq!(out, "<p>a</p><p>b</p>");
        let form = clean("<form action=\"https://ex.org\"><p>texte</p></form>");
        assert_eq!(form, "<p>texte</p>");
    }

    #[test]
    fn handlers_styles_and_dangerous_urls_are_removed() {
        let out = clean(
            "<p onclick=\"alert(1)\" style=\"color:red\" class=\"note\">a</p>\
             <a href=\"javascript:alert(1)\">b</a><a href=\"java&#x09;script:alert(1)\">c</a>\
             <img src=\"data:image/png;base64,AAAA\" alt=\"d\"><a href=\"VBScript:x\">e</a>\
             <svg onload=\"alert(1)\"><circle r=\"1\"/></svg>",
        );
        assert!(!out.contains("onclick") && !out.contains("onload"), "{out}");
        assert!(!out.contains("style"), "{out}");
        assert!(!out.to_lowercase().contains("script:"), "{out}");
        assert!(!out.contains("data:"), "{out}");
        assert!(out.contains("<p class=\"note\">a</p>"), "{out}");
        assert!(out.contains("<a>b</a>"), "{out}");
        assert!(!out.contains("<svg"), "{out}");
    }

    #[test]
    fn safe_raw_html_and_relative_links_are_kept() {
        let html = "<p><span class=\"x\" lang=\"oc\">Lo</span> <abbr title=\"Établissement public\">EPCI</abbr> \
                    <a href=\"/villes/avignon/\">A</a> <a href=\"https://ex.org/\">B</a> <a href=\"mailto:a@ex.org\">C</a></p>\
                    <details><summary>Plus</summary><p>d</p></details>";
        assert_eq!(clean(html), html);
    }

    #[test]
    fn the_generators_own_markup_survives_cleaning() {
        let rendered = crate::markdown::render_with(
            "## Titre {#t .c}\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] fait\n\nNote[^1] <span>x</span>.\n\n[^1]: Source.\n\n```rust\nlet a = 1 < 2;\n```\n\n[lien](/villes/avignon/ \"titre\") ![image](/static/a.png)\n",
            "cas/x/",
            "/atlas/",
            RawHtml::Sanitised,
        );
        let plain = crate::markdown::render_with(
            "## Titre {#t .c}\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] fait\n\nNote[^1] x.\n\n[^1]: Source.\n\n```rust\nlet a = 1 < 2;\n```\n\n[lien](/villes/avignon/ \"titre\") ![image](/static/a.png)\n",
            "cas/x/",
            "/atlas/",
            RawHtml::Sanitised,
        );
        let html = rendered.html;
        for expected in [
            "<h2 id=\"t\" class=\"c\">Titre</h2>",
            "<div class=\"table-defilement\" tabindex=\"0\" role=\"region\" aria-label=\"Tableau\"><table>",
            "<th class=\"a-gauche\">a</th>",
            "<td class=\"a-droite\">2</td>",
            "type=\"checkbox\"",
            "checked=\"\"",
            "<sup class=\"footnote-reference\"><a href=\"#1\">1</a></sup>",
            "<span>x</span>",
            "<div class=\"footnote-definition\" id=\"1\">",
            "<code class=\"language-rust\">let a = 1 &lt; 2;",
            "<a href=\"/atlas/villes/avignon/\" title=\"titre\">lien</a>",
            "<img src=\"/atlas/static/a.png\" alt=\"image\">",
        ] {
            assert!(html.contains(expected), "{expected}\n{html}");
        }
        // Without raw HTML, the body is pulldown-cmark's, untouched.
        assert!(
            plain
                .html
                .contains("<input disabled=\"\" type=\"checkbox\" checked=\"\"/>")
        );
    }

    #[test]
    fn the_audit_reports_each_removal_at_its_place() {
        let markdown = "Intro\n\n<div onclick=\"x()\">\n<script>if (a<b) alert(1)</script>\n</div>\n\nTexte <span style=\"color:red\">rouge</span> [x](javascript:alert(1)).\n\n<!-- <script> -->\n";
        let findings = audit(markdown, RawHtml::Sanitised);
        let found: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (&markdown[f.offset..], f.message.as_str()))
            .map(|(at, m)| (&at[..at.find([' ', '>', '=']).unwrap_or(at.len())], m))
            .collect();
        assert_eq!(found.len(), 4, "{found:#?}");
        assert_eq!(found[0].0, "onclick");
        assert!(found[0].1.contains("l’attribut onclick (un script)"));
        assert_eq!(found[1].0, "<script");
        assert_eq!(
            found[1].1,
            "HTML brut retiré\u{a0}: <script> n’est pas autorisé (html_brut: autorise dans atlas.yaml pour l’autoriser)"
        );
        assert_eq!(found[2].0, "style");
        assert!(found[3].0.starts_with("[x](javascript:alert(1))"));
        assert!(
            found[3]
                .1
                .starts_with("lien retiré\u{a0}: l’adresse «\u{202f}javascript:alert(1)\u{202f}»")
        );
    }

    #[test]
    fn the_audit_sees_hidden_schemes_and_heading_attributes() {
        let found = messages(
            "## T {onmouseover=alert(1) data-x=1}\n\n<a href=\"&#106;avascript:alert(1)\">a</a> <a href=\"/ok/\">b</a>\n\n[y](javascript&colon;alert(1))\n",
            RawHtml::Sanitised,
        );
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found[0].contains("onmouseover"));
        assert!(found[1].contains("«\u{202f}javascript:\u{202f}» de l’attribut href"));
        assert!(found[2].starts_with("lien retiré"));
    }

    #[test]
    fn with_raw_html_allowed_only_dangerous_links_are_reported() {
        let markdown =
            "<script>alert(1)</script>\n\n[x](javascript:alert(1)) ![i](data:image/png,AA)\n";
        let found = messages(markdown, RawHtml::Allowed);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|m| m.starts_with("lien retiré")));
    }

    #[test]
    fn plain_bodies_are_not_parsed_and_have_nothing_to_report() {
        assert!(!worth_parsing(
            "Un texte : [Avignon](/villes/avignon/) et l’open data.",
            true
        ));
        assert!(worth_parsing("[x](JavaScript:a)", false));
        assert!(worth_parsing("![i](DATA:image/png,AA)", false));
        assert!(worth_parsing("[x](javascript&colon;a)", false));
        assert!(!worth_parsing("<b>gras</b> {#id}", false));
        assert!(worth_parsing("<b>gras</b>", true));
        assert!(
            audit(
                "Un texte avec <https://ex.org/> et {accolades}.",
                RawHtml::Sanitised
            )
            .is_empty()
        );
    }

    #[test]
    fn entities_are_decoded_for_the_report() {
        assert_eq!(
            decode_entities("&#106;ava&#x73;cript&colon;x&amp;"),
            "javascript:x&amp;"
        );
        assert_eq!(decode_entities("a & b &#xZZ;"), "a & b &#xZZ;");
        assert_eq!(decode_entities("&#1114112;&"), "&#1114112;&");
    }

    #[test]
    fn the_scanner_never_panics_on_broken_html() {
        for html in [
            "<",
            "<a",
            "<a href",
            "<a href=",
            "<a href=\"",
            "<a =x>",
            "<!--",
            "<script>",
            "</",
            "<é>",
            "<a b='c",
            "<a\u{e9}=1>",
            "<<>>",
            "<div\n",
        ] {
            let mut findings = Vec::new();
            scan(html, &[(0, 0)], &mut findings);
            let _ = clean(html);
            let _ = audit(html, RawHtml::Sanitised);
        }
    }
}
