//! What Pagefind indexes of a page — its text, title, meta and filters — read from the rendered
//! HTML in one pass, so that Pagefind does not run its own HTML parser (lol_html with a dozen
//! selectors: a third of the indexing time at 1,000 case studies, half on the real atlas).
//!
//! The reader reproduces, for the HTML our templates and minify-html write, what Pagefind 1.6's
//! parser (`fossick/parser.rs`) reads: the same words, in the same order, with the same
//! separators (`.` after a block that ends with a word), the same heading weights, the same
//! `title` (first `<h1>`, else `<title>`), `image` and filters. That includes lol_html's ways:
//! an element whose end tag minify-html left out (`</p>`, `</li>`, `</dd>`…) stays open until
//! the end tag of an ancestor, and its sentence and heading rules then follow *that* end tag's
//! name. The only difference is that a page has no anchors (`sub_results`, which the theme does
//! not use): the index files are byte for byte those of Pagefind's parser, and the fragments
//! differ only by their `anchors` list (the tests compare both; so did a comparison of the
//! whole bundles of the real atlas, minified or not, and of a 1,000-case-study corpus).
//!
//! Whatever the reader is not sure to read the same way (MathML, CDATA, a tag inside an SVG
//! `<title>`, a `data-pagefind-*` attribute other than `body`, `filter` and `meta` with a
//! literal value, a named character reference other than the five of XML and `&nbsp;`, a
//! non-ASCII character that may or may not be a « word » character…) makes it decline: the
//! page then goes through Pagefind's own parser.

use std::borrow::Cow;
use std::collections::BTreeMap;

/// What Pagefind needs to index a page, as `add_custom_record` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(in crate::render) struct Record {
    /// The indexed text, with Pagefind's weight markers around headings.
    pub digest: String,
    pub meta: BTreeMap<String, String>,
    pub filters: BTreeMap<String, Vec<String>>,
}

/// The page holds something the reader does not read exactly as Pagefind would.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Decline;

type Read<T> = Result<T, Decline>;

/// A CSS selector of the exclusion list, in the two forms it uses: `.class` and
/// `tag[attribute="value"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::render) enum Selector {
    Class(String),
    TagAttribute {
        tag: String,
        name: String,
        value: String,
    },
}

impl Selector {
    pub(super) fn parse(selector: &str) -> Option<Selector> {
        let simple = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if let Some(class) = selector.strip_prefix('.') {
            return simple(class).then(|| Selector::Class(class.to_string()));
        }
        let (tag, rest) = selector.split_once('[')?;
        let (name, value) = rest.strip_suffix("\"]")?.split_once("=\"")?;
        (simple(tag) && simple(name) && !value.contains(['"', '\\'])).then(|| {
            Selector::TagAttribute {
                tag: tag.to_ascii_lowercase(),
                name: name.to_ascii_lowercase(),
                value: value.to_string(),
            }
        })
    }

    fn matches(&self, tag: &str, attributes: &[Attribute<'_>]) -> bool {
        match self {
            Selector::Class(class) => attribute(attributes, "class")
                .is_some_and(|v| v.split(is_html_space).any(|c| c == class)),
            Selector::TagAttribute {
                tag: t,
                name,
                value,
            } => t == tag && attribute(attributes, name) == Some(value.as_str()),
        }
    }
}

/// Pagefind's own exclusions (`REMOVE_SELECTORS`), by tag name.
const REMOVED: &[&str] = &[
    "head", "style", "script", "noscript", "label", "form", "svg", "footer", "nav", "iframe",
    "template",
];
/// Blocks that end a sentence (`SENTENCE_SELECTORS`).
const SENTENCE: &[&str] = &[
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "td", "div", "ul", "li", "article", "section",
];
/// Elements without content in HTML (lol_html's list).
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "hr", "img", "input", "keygen",
    "link", "meta", "param", "source", "track", "wbr",
];
/// Start tags that leave SVG or MathML content.
const FOREIGN_EXIT: &[&str] = &[
    "b",
    "big",
    "blockquote",
    "body",
    "br",
    "center",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "hr",
    "i",
    "img",
    "li",
    "listing",
    "menu",
    "meta",
    "nobr",
    "ol",
    "p",
    "pre",
    "ruby",
    "s",
    "small",
    "span",
    "strong",
    "strike",
    "sub",
    "sup",
    "table",
    "tt",
    "u",
    "ul",
    "var",
    "font",
    "math",
];
/// A marker Pagefind's indexer skips, standing for the anchor marker Pagefind's parser writes
/// before an element with an `id` (it separates words the same way; without `:` it makes no
/// anchor).
const ANCHOR: &str = " ___PAGEFIND_ANCHOR___ ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Indexing,
    Ignored,
    Body,
    ParentOfBody,
}

#[derive(Debug)]
struct Node<'h> {
    /// Lower-case tag name; empty for the document.
    name: Cow<'h, str>,
    value: String,
    status: Status,
    /// `data-pagefind-filter` and `data-pagefind-meta`: (key, raw value).
    filters: Vec<(String, String)>,
    meta: Vec<(String, String)>,
}

impl<'h> Node<'h> {
    fn new(name: Cow<'h, str>, status: Status) -> Node<'h> {
        Node {
            name,
            value: String::new(),
            status,
            filters: Vec::new(),
            meta: Vec::new(),
        }
    }

    /// Whether what is written into this node can reach the index or the title: an ignored
    /// node's text is dropped, unless it is a title; it is cleared if a body ends inside it.
    fn keeps_text(&self) -> bool {
        self.status != Status::Ignored || self.name == "h1" || self.name == "title"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Namespace {
    Html,
    Svg,
    /// The HTML content of an SVG `<title>`, `<desc>` or `<foreignObject>`.
    SvgHtml,
}

struct Reader<'h, 's> {
    excluded: &'s [Selector],
    /// `stack[0]` is the document; `stack[1]` the `<html>` element once open.
    stack: Vec<Node<'h>>,
    /// The attributes of the current start tag (one buffer for the page).
    attributes: Vec<Attribute<'h>>,
    namespaces: Vec<Namespace>,
    html_seen: bool,
    meta: BTreeMap<String, String>,
    filters: BTreeMap<String, Vec<String>>,
}

/// Reads what Pagefind would index of `html`, whose exclusions are `excluded` (plus Pagefind's
/// own). `Err(Decline)`: let Pagefind parse this page.
pub(super) fn read(html: &[u8], excluded: &[Selector]) -> Read<Record> {
    let html = std::str::from_utf8(html).map_err(|_| Decline)?;
    if html.contains('\0') {
        return Err(Decline);
    }
    let mut reader = Reader {
        excluded,
        stack: vec![Node::new(Cow::Borrowed(""), Status::Indexing)],
        attributes: Vec::new(),
        namespaces: vec![Namespace::Html],
        html_seen: false,
        meta: BTreeMap::new(),
        filters: BTreeMap::new(),
    };
    reader.run(html)?;
    reader.finish()
}

fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// An attribute: lower-case name, raw value (lol_html does not decode values).
type Attribute<'h> = (Cow<'h, str>, &'h str);

fn attribute<'h>(attributes: &[Attribute<'h>], name: &str) -> Option<&'h str> {
    attributes.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
}

/// `name` in lower case, borrowed when it already is (as our pages write it).
fn lower(name: &str) -> Cow<'_, str> {
    if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    }
}

impl<'h> Reader<'h, '_> {
    fn namespace(&self) -> Namespace {
        *self.namespaces.last().unwrap_or(&Namespace::Html)
    }

    fn top(&mut self) -> &mut Node<'h> {
        self.stack
            .last_mut()
            .expect("the document node is never popped")
    }

    fn run(&mut self, html: &'h str) -> Read<()> {
        let bytes = html.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let Some(offset) = html[i..].find('<') else {
                self.text(&html[i..])?;
                break;
            };
            if offset > 0 {
                self.text(&html[i..i + offset])?;
            }
            i += offset;
            match bytes.get(i + 1) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let mut attributes = std::mem::take(&mut self.attributes);
                    let tag = start_tag(html, i, &mut attributes);
                    let raw_text = tag.and_then(|(name, self_closing, end)| {
                        i = end;
                        self.start(name, &attributes, self_closing)
                    });
                    self.attributes = attributes;
                    let raw_text = raw_text?;
                    if let Some(name) = raw_text {
                        // Script, style, title…: text up to the end tag of the same name.
                        let close = raw_text_end(html, i, name).ok_or(Decline)?;
                        self.text(&html[i..close])?;
                        i = close;
                    }
                }
                Some(b'/') => match bytes.get(i + 2) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        let (name, end) = end_tag(html, i)?;
                        i = end;
                        self.end(&name)?;
                    }
                    Some(b'>') => i += 3,
                    // `</` then something else: a bogus comment.
                    Some(_) => i = skip_past(html, i, ">")?,
                    None => return Err(Decline),
                },
                Some(b'!') => {
                    if html[i..].starts_with("<!--") {
                        if html[i..].starts_with("<!-->") || html[i..].starts_with("<!--->") {
                            return Err(Decline);
                        }
                        let end = skip_past(html, i + 4, "-->")?;
                        if html[i..end].contains("--!>") {
                            return Err(Decline);
                        }
                        i = end;
                    } else if html[i..].starts_with("<![") {
                        // CDATA in SVG is text; in HTML a bogus comment.
                        return Err(Decline);
                    } else {
                        // Doctype or bogus comment.
                        i = skip_past(html, i, ">")?;
                    }
                }
                Some(b'?') => i = skip_past(html, i, ">")?,
                _ => {
                    self.text("<")?;
                    i += 1;
                }
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Read<()> {
        if self.stack.len() == 1 {
            // Outside `<html>`: Pagefind reads nothing there.
            return if self.html_seen && !text.trim_matches(is_html_space).is_empty() {
                Err(Decline)
            } else {
                Ok(())
            };
        }
        let node = self.top();
        if node.keeps_text() {
            node.value.push_str(text);
        }
        Ok(())
    }

    /// A start tag; returns the tag name when its content is raw text.
    fn start(
        &mut self,
        tag_name: Cow<'h, str>,
        attributes: &[Attribute<'h>],
        self_closing: bool,
    ) -> Read<Option<&'static str>> {
        let name = tag_name.as_ref();
        if self.stack.len() == 1 && (name != "html" || self.html_seen) {
            // An element before or after `<html>`.
            return Err(Decline);
        }
        if name == "html" {
            self.html_seen = true;
        }
        // Namespaces, as lol_html follows them.
        let namespace = self.namespace();
        let mut raw_text = None;
        let mut enter = None;
        match namespace {
            Namespace::Html => match name {
                "svg" => {
                    if self_closing {
                        return Err(Decline);
                    }
                    enter = Some(Namespace::Svg);
                }
                "math" | "plaintext" => return Err(Decline),
                "textarea" => raw_text = Some("textarea"),
                "title" => raw_text = Some("title"),
                "script" => raw_text = Some("script"),
                "style" => raw_text = Some("style"),
                "iframe" => raw_text = Some("iframe"),
                "xmp" => raw_text = Some("xmp"),
                "noembed" => raw_text = Some("noembed"),
                "noframes" => raw_text = Some("noframes"),
                "noscript" => raw_text = Some("noscript"),
                _ => {}
            },
            Namespace::Svg => {
                if FOREIGN_EXIT.contains(&name) || name == "svg" {
                    return Err(Decline);
                }
                if matches!(name, "title" | "desc" | "foreignobject") {
                    if self_closing {
                        return Err(Decline);
                    }
                    enter = Some(Namespace::SvgHtml);
                }
            }
            Namespace::SvgHtml => return Err(Decline),
        }
        let foreign = namespace != Namespace::Html || name == "svg";
        let can_have_content = if foreign {
            !self_closing
        } else {
            !VOID.contains(&name)
        };

        // Pagefind's parser, for every element under `<html>`.
        let mut status = Status::Indexing;
        let mut filters = Vec::new();
        let mut meta = Vec::new();
        for (attribute, value) in attributes {
            match attribute.strip_prefix("data-pagefind-") {
                None => {}
                Some("body") => status = Status::Body,
                Some("filter") => filters.push(literal_pair(value)?),
                Some("meta") => meta.push(literal_pair(value)?),
                Some(_) => return Err(Decline),
            }
        }
        let id = attribute(attributes, "id").is_some();
        let parent = self.top();
        if id
            && parent.keeps_text()
            && !(parent.status == Status::ParentOfBody && status == Status::Indexing)
        {
            parent.value.push_str(ANCHOR);
        }
        if name == "br" && parent.keeps_text() {
            parent.value.push(' ');
        }
        let mut node = Node::new(tag_name.clone(), status);
        node.filters = filters;
        node.meta = meta;
        let excluded =
            REMOVED.contains(&name) || self.excluded.iter().any(|s| s.matches(name, attributes));
        if can_have_content {
            if excluded {
                node.status = Status::Ignored;
            }
            self.stack.push(node);
            if let Some(namespace) = enter {
                self.namespaces.push(namespace);
            }
        } else {
            self.filters_and_meta(&node)?;
            if name == "img"
                && !self.meta.contains_key("auto_image")
                && (self.meta.contains_key("auto_title") || self.meta.contains_key("title"))
                && let Some(src) = attribute(attributes, "src")
            {
                self.meta.insert("auto_image".into(), normalize(src)?);
                if let Some(alt) = attribute(attributes, "alt") {
                    self.meta.insert("auto_image_alt".into(), normalize(alt)?);
                }
            }
            if excluded {
                // Pagefind marks the node it is in, which is the parent's by then.
                self.top().status = Status::Ignored;
            }
        }
        Ok(raw_text.filter(|_| can_have_content))
    }

    fn filters_and_meta(&mut self, node: &Node<'_>) -> Read<()> {
        for (key, value) in &node.filters {
            self.filters
                .entry(key.clone())
                .or_default()
                .push(normalize(value)?);
        }
        for (key, value) in &node.meta {
            self.meta.insert(key.clone(), normalize(value)?);
        }
        Ok(())
    }

    /// An end tag: lol_html closes the last open element of that name and every element
    /// opened after it, innermost first, each with this end tag's name.
    fn end(&mut self, name: &str) -> Read<()> {
        let index = self.stack.iter().rposition(|n| n.name == name);
        match self.namespace() {
            Namespace::Html => {}
            Namespace::Svg => {
                let svg = self.stack.iter().rposition(|n| n.name == "svg");
                if name == "svg" {
                    self.namespaces.pop();
                } else if name == "p" || name == "br" || index.is_some_and(|i| Some(i) <= svg) {
                    // Leaves the SVG, or closes what holds it.
                    return Err(Decline);
                }
            }
            Namespace::SvgHtml => {
                if index != Some(self.stack.len() - 1) {
                    return Err(Decline);
                }
                self.namespaces.pop();
            }
        }
        let Some(index) = index.filter(|&i| i > 0) else {
            return Ok(());
        };
        while self.stack.len() > index {
            let node = self.stack.pop().expect("index > 0");
            self.close(node, name)?;
        }
        Ok(())
    }

    fn close(&mut self, node: Node<'h>, end: &str) -> Read<()> {
        self.filters_and_meta(&node)?;
        if node.name == "h1"
            && !self.meta.contains_key("auto_title")
            && !node.value.trim().is_empty()
        {
            self.meta
                .insert("auto_title".into(), normalize(&node.value)?);
        }
        if node.name == "title" && !self.meta.contains_key("auto_page_title") {
            self.meta
                .insert("auto_page_title".into(), normalize(&node.value)?);
        }
        if node.status == Status::Ignored {
            return Ok(());
        }
        let sentence = SENTENCE.contains(&end);
        // Pagefind adds a full stop after a block that ends with a « word » character.
        let full_stop = sentence
            && match node.value.chars().next_back() {
                Some(c) => sentence_char(c).ok_or(Decline)?,
                None => false,
            };
        let weight = match end {
            "h1" => Some("7"),
            "h2" => Some("6"),
            "h3" => Some("5"),
            "h4" => Some("4"),
            "h5" => Some("3"),
            "h6" => Some("2"),
            _ => None,
        };
        let parent = self.top();
        let body = matches!(node.status, Status::Body | Status::ParentOfBody);
        if parent.status == Status::ParentOfBody && !body {
            return Ok(());
        }
        if body {
            if parent.status != Status::ParentOfBody {
                parent.value.clear();
            }
            parent.status = Status::ParentOfBody;
        } else if !parent.keeps_text() {
            return Ok(());
        }
        let out = &mut parent.value;
        if let Some(weight) = weight {
            out.push_str(" ___PAGEFIND_AUTO_WEIGHT___");
            out.push_str(weight);
            out.push(' ');
        }
        if sentence {
            out.push(' ');
        }
        if out.is_empty() {
            *out = node.value;
        } else {
            out.push_str(&node.value);
        }
        if full_stop {
            out.push('.');
        }
        if sentence {
            out.push(' ');
        }
        if weight.is_some() {
            out.push_str(" ___END_PAGEFIND_WEIGHT___ ");
        }
        Ok(())
    }

    /// The end of the document: what is still open is folded into its parent, without the
    /// sentence and weight rules (Pagefind's `wrap`).
    fn finish(mut self) -> Read<Record> {
        while self.stack.len() > 1 {
            let node = self.stack.pop().expect("len > 1");
            let parent = self.top();
            if parent.status == Status::ParentOfBody {
                continue;
            }
            match node.status {
                Status::Indexing => parent.value.push_str(&node.value),
                Status::Body | Status::ParentOfBody => {
                    parent.value.clear();
                    parent.value.push_str(&node.value);
                    parent.status = Status::ParentOfBody;
                }
                Status::Ignored => {}
            }
        }
        let document = self.stack.pop().expect("the document node");
        if document.status != Status::ParentOfBody {
            // No `data-pagefind-body`: Pagefind would leave the page out.
            return Err(Decline);
        }
        let mut meta = self.meta;
        if let Some(image) = meta.remove("auto_image") {
            let alt = meta.remove("auto_image_alt").unwrap_or_default();
            if !meta.contains_key("image") {
                meta.insert("image".into(), image);
                meta.insert("image_alt".into(), alt);
            }
        }
        for automatic in ["auto_title", "auto_page_title"] {
            if let Some(title) = meta.remove(automatic) {
                meta.entry("title".into()).or_insert(title);
            }
        }
        Ok(Record {
            digest: normalize(&document.value)?,
            meta,
            filters: self.filters,
        })
    }
}

/// `data-pagefind-filter="key:value"`: only a literal value of one key is read here.
fn literal_pair(value: &str) -> Read<(String, String)> {
    let (key, literal) = value.split_once(':').ok_or(Decline)?;
    if key.contains([',', '[', ']']) {
        return Err(Decline);
    }
    let key = key.trim();
    if key.is_empty() {
        return Err(Decline);
    }
    Ok((key.to_string(), literal.to_string()))
}

/// The start tag at `html[start..]` (`<` then a letter), as the HTML tokenizer reads it: its
/// lower-case name, whether it is self-closing, where it ends (just after `>`); its attributes
/// (first of each name) in `attributes`.
fn start_tag<'h>(
    html: &'h str,
    start: usize,
    attributes: &mut Vec<Attribute<'h>>,
) -> Read<(Cow<'h, str>, bool, usize)> {
    const SPACE: &[u8] = b" \t\n\r\x0c";
    let bytes = html.as_bytes();
    let skip_spaces = |mut i: usize| {
        while i < bytes.len() && SPACE.contains(&bytes[i]) {
            i += 1;
        }
        i
    };
    attributes.clear();
    let mut i = start + 1;
    let name_end = i + bytes[i..]
        .iter()
        .position(|&b| SPACE.contains(&b) || b == b'/' || b == b'>')
        .ok_or(Decline)?;
    let name = lower(&html[i..name_end]);
    i = name_end;
    let mut self_closing = false;
    loop {
        i = skip_spaces(i);
        match bytes.get(i) {
            None => return Err(Decline),
            Some(b'>') => {
                i += 1;
                break;
            }
            Some(b'/') => {
                i += 1;
                if bytes.get(i) == Some(&b'>') {
                    self_closing = true;
                    i += 1;
                    break;
                }
                continue;
            }
            Some(_) => {}
        }
        // An attribute name (its first character may be `=`).
        let name_start = i;
        i += 1;
        while i < bytes.len() && !(SPACE.contains(&bytes[i]) || b"/>=".contains(&bytes[i])) {
            i += 1;
        }
        let attribute_name = lower(&html[name_start..i]);
        if attribute_name.contains(['"', '\'', '<']) {
            return Err(Decline);
        }
        i = skip_spaces(i);
        let mut value = "";
        if bytes.get(i) == Some(&b'=') {
            i = skip_spaces(i + 1);
            match bytes.get(i) {
                None => return Err(Decline),
                Some(&quote @ (b'"' | b'\'')) => {
                    let close = i
                        + 1
                        + bytes[i + 1..]
                            .iter()
                            .position(|&b| b == quote)
                            .ok_or(Decline)?;
                    value = &html[i + 1..close];
                    i = close + 1;
                }
                Some(b'>') => {}
                Some(_) => {
                    let value_start = i;
                    while i < bytes.len() && !(SPACE.contains(&bytes[i]) || bytes[i] == b'>') {
                        i += 1;
                    }
                    value = &html[value_start..i];
                    if value.contains(['"', '\'', '<', '=', '`']) {
                        return Err(Decline);
                    }
                }
            }
        }
        if !attributes.iter().any(|(n, _)| *n == attribute_name) {
            attributes.push((attribute_name, value));
        }
    }
    Ok((name, self_closing, i))
}

/// The end tag at `html[start..]` (`</` then a letter): its lower-case name and where it ends.
fn end_tag(html: &str, start: usize) -> Read<(String, usize)> {
    let bytes = html.as_bytes();
    let name_start = start + 2;
    let name_end = name_start
        + bytes[name_start..]
            .iter()
            .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'))
            .ok_or(Decline)?;
    if bytes[name_end] != b'>' {
        // Attributes or a slash in an end tag: legal, but not what our pages hold.
        return Err(Decline);
    }
    Ok((
        html[name_start..name_end].to_ascii_lowercase(),
        name_end + 1,
    ))
}

/// Where the end tag of a raw-text element starts (`</name` then a space, `/` or `>`).
fn raw_text_end(html: &str, from: usize, name: &str) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut i = from;
    let end = loop {
        let offset = html[i..].find("</")?;
        let at = i + offset;
        let name_end = at + 2 + name.len();
        if bytes.len() > name_end
            && bytes[at + 2..name_end].eq_ignore_ascii_case(name.as_bytes())
            && matches!(
                bytes[name_end],
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>'
            )
        {
            break at;
        }
        i = at + 2;
    };
    // Script data has escape states (`<!--` … `-->`): not worth reading here.
    (name != "script" || !html[from..end].contains("<!--")).then_some(end)
}

fn skip_past(html: &str, from: usize, end: &str) -> Read<usize> {
    html[from..]
        .find(end)
        .map(|offset| from + offset + end.len())
        .ok_or(Decline)
}

/// Pagefind's `normalize_content`: character references decoded (html-escape's
/// `decode_html_entities`: `&name;` and numeric references with their `;`), then the
/// whitespace at both ends trimmed, line breaks made spaces and runs of whitespace one space.
pub(super) fn normalize(text: &str) -> Read<String> {
    let decoded = decode_entities(text)?;
    let trimmed = decoded.trim();
    let mut out = String::with_capacity(trimmed.len());
    let mut rest = trimmed;
    while let Some(start) = rest.find(char::is_whitespace) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let run_end = run.find(|c: char| !c.is_whitespace()).unwrap_or(run.len());
        let run = &run[..run_end];
        // `(\n|\r\n)+` → one space, then `\s{2,}` → one space.
        let mut collapsed = 0;
        let mut single = None;
        let mut chars = run.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let newline = c == '\n' || (c == '\r' && run[at + 1..].starts_with('\n'));
            if newline {
                // The whole run of line breaks.
                let mut j = at;
                loop {
                    if run[j..].starts_with('\n') {
                        j += 1;
                    } else if run[j..].starts_with("\r\n") {
                        j += 2;
                    } else {
                        break;
                    }
                }
                while chars.peek().is_some_and(|&(k, _)| k < j) {
                    chars.next();
                }
                single = Some(' ');
            } else {
                single = Some(c);
            }
            collapsed += 1;
        }
        match (collapsed, single) {
            (1, Some(c)) => out.push(c),
            _ => out.push(' '),
        }
        rest = &rest[start + run_end..];
    }
    out.push_str(rest);
    Ok(out)
}

fn decode_entities(text: &str) -> Read<std::borrow::Cow<'_, str>> {
    let Some(first) = text.find('&') else {
        return Ok(std::borrow::Cow::Borrowed(text));
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..first]);
    let mut i = first;
    while i < text.len() {
        let Some(offset) = text[i..].find('&') else {
            out.push_str(&text[i..]);
            break;
        };
        out.push_str(&text[i..i + offset]);
        let amp = i + offset;
        // html-escape reads up to the next `;`, giving up at another `&`.
        let after = &text[amp + 1..];
        let Some(stop) = after.find([';', '&']) else {
            out.push_str(&text[amp..]);
            break;
        };
        if after.as_bytes()[stop] == b'&' {
            out.push_str(&text[amp..amp + 1 + stop]);
            i = amp + 1 + stop;
            continue;
        }
        let name = &after[..stop];
        let end = amp + 1 + stop + 1;
        match reference(name)? {
            Some(decoded) => out.push(decoded),
            None => out.push_str(&text[amp..end]),
        }
        i = end;
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// The character `&name;` stands for; `None` if it is no reference; `Err` for a named
/// reference not decoded here.
fn reference(name: &str) -> Read<Option<char>> {
    let number = |digits: &str, radix: u32| -> Option<char> {
        let first = digits.bytes().next()?;
        let valid = if radix == 16 {
            first.is_ascii_hexdigit()
        } else {
            first.is_ascii_digit()
        };
        if !valid {
            return None;
        }
        let c = char::from_u32(u32::from_str_radix(digits, radix).ok()?)?;
        match c {
            '\t' | '\n' | '\x0c' | '\r' => Some(c),
            '\0'..='\x1f' => None,
            _ => Some(c),
        }
    };
    if let Some(number_part) = name.strip_prefix('#') {
        return Ok(match number_part.strip_prefix(['x', 'X']) {
            Some(hex) => number(hex, 16),
            None => number(number_part, 10),
        });
    }
    Ok(match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        // Could be one of HTML's named references: Pagefind's parser knows them all.
        _ if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            return Err(Decline);
        }
        _ => None,
    })
}

/// Whether `c` matches Pagefind's `[\w'"\)\$\*]` (Unicode `\w`: alphabetic, marks, decimal
/// digits, connector punctuation, joiners); `None` when not known here.
fn sentence_char(c: char) -> Option<bool> {
    if c.is_ascii() {
        return Some(c.is_ascii_alphanumeric() || "_'\")$*".contains(c));
    }
    if c.is_alphabetic() {
        return Some(true);
    }
    let code = c as u32;
    let word = matches!(code,
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF | 0x302A..=0x302F
        | 0x200C | 0x200D | 0x203F | 0x2040 | 0x2054 | 0xFE33 | 0xFE34 | 0xFE4D..=0xFE4F | 0xFF3F
        | 0xFF10..=0xFF19);
    if word {
        return Some(true);
    }
    // Punctuation, spaces, symbols, superscripts, fractions, arrows, emoji…: never `\w`.
    let not_word = matches!(code,
        0x00A0..=0x00BF | 0x00D7 | 0x00F7 | 0x2000..=0x20CF | 0x2100..=0x2BFF
        | 0x3000..=0x3029 | 0x3030..=0x303F | 0xFE10..=0xFE1F | 0xFE30..=0xFE6F
        | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0x1F000..=0x1FAFF);
    not_word.then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pagefind() {
        let n = |s: &str| normalize(s).unwrap();
        assert_eq!(
            n("  a  b\n\nc \u{a0}d\u{a0}e\tf\r\ng\rh  "),
            "a b c d\u{a0}e\tf g\rh"
        );
        assert_eq!(n("x\r\r\ny"), "x y");
        assert_eq!(
            n("R &amp; D &lt;b&gt; &#233;t&#xE9; &nbsp; &#0; &x-y; a & b;"),
            "R & D <b> été &#0; &x-y; a & b;"
        );
        assert_eq!(n("&&amp;"), "&&");
        assert!(normalize("&eacute;").is_err());
    }

    #[test]
    fn the_exclusions_parse() {
        assert_eq!(
            Selector::parse(".sources"),
            Some(Selector::Class("sources".into()))
        );
        assert_eq!(
            Selector::parse("section[aria-labelledby=\"titre-proches\"]"),
            Some(Selector::TagAttribute {
                tag: "section".into(),
                name: "aria-labelledby".into(),
                value: "titre-proches".into()
            })
        );
        assert_eq!(Selector::parse("div > p"), None);
    }
}
