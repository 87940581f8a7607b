//! Property tests (proptest): what must hold for any input, not only for the examples of the
//! other tests.
//!
//! - slugs: derived from any title, a file name is ASCII, a valid slug, idempotent, and `new`
//!   never gives two files the same slug in a folder; heading anchors are slugs, unique in a
//!   document and on its page;
//! - French typography never changes code, URLs or HTML attributes;
//! - the build is deterministic: the same site compiled twice gives the same bytes;
//! - the incremental rebuild of `serve` equals a full build after any sequence of edits.
//!
//! Case counts are small (the site properties compile whole sites); `PROPTEST_CASES` raises
//! them for a longer local run.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use vaucluse_atlas::load::{self, is_slug};
use vaucluse_atlas::{markdown, scaffold};

/// `cases` runs, unless `PROPTEST_CASES` says more; failures are not written to disk (a
/// failure found here becomes a named regression test beside the code).
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Slugs

/// Titles as editors write them: accents, apostrophes, guillemets, digits, punctuation, case.
fn title() -> impl Strategy<Value = String> {
    let words = select(vec![
        "Le",
        "la",
        "L'Isle-sur-la-Sorgue",
        "Noëls",
        "insolites",
        "Avignon",
        "budget",
        "participatif",
        "« marque »",
        "Été",
        "2024",
        "!",
        "?",
        ":",
        "—",
        "œuvre",
        "Ça",
        "MARQUE",
        "avignon",
        "  ",
        "-",
        "_",
        "Æ",
        "ß",
        "É",
        "Brouillon",
        "secret",
        "Marque",
        "d'Avignon",
        "/",
        ".",
        "ñ",
        "🎄",
        "東京",
        // Whole titles whose slug is taken in the fixture (`2024/noels-insolites.md`, a case
        // study in a sub-folder; `archives/sorgues.yaml`, a city card in one).
        "Noëls insolites",
        "Marque Avignon",
        "Sorgues",
        "Le Pontet",
    ]);
    prop::collection::vec(words, 0..6).prop_map(|w| w.join(" "))
}

proptest! {
    #![proptest_config(config(256))]

    /// The slug of any text (`slug::slugify`, used by `new cas`, `new ville`, `import` and the
    /// heading anchors) is ASCII, empty or a valid slug, and the slug of a slug is itself.
    #[test]
    fn slugs_are_ascii_idempotent_and_valid(text in prop_oneof![title(), "\\PC{0,30}"]) {
        let slug = slug::slugify(&text);
        prop_assert!(slug.is_ascii(), "{slug:?}");
        prop_assert!(slug.is_empty() || is_slug(&slug), "{slug:?}");
        prop_assert_eq!(slug::slugify(&slug), slug.clone());
        // Stable: the same text, the same slug.
        prop_assert_eq!(slug::slugify(&text), slug);
    }
}

/// A fixture site without its theme: enough for `new`, `load` and `resolve`.
fn content_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures/mini"), dir.path());
    dir
}

fn stems(dir: &Path, extensions: &[&str]) -> BTreeMap<String, Vec<PathBuf>> {
    let mut out: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        let path = entry.path();
        if entry.file_type().is_file()
            && path
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
        {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            out.entry(stem).or_default().push(path.to_path_buf());
        }
    }
    out
}

proptest! {
    #![proptest_config(config(32))]

    /// `new cas` and `new ville`, in any order and with any titles: each file is named by the
    /// slug of its title, a valid slug; no two case studies (anywhere under `content/cas/`,
    /// sub-folders included) and no two city cards (`content/villes/`, sub-folders included)
    /// share a slug; an existing file is never touched; a refusal means the slug was taken or
    /// the title had no letter.
    #[test]
    fn new_files_get_unique_valid_slugs(
        titles in prop::collection::vec((any::<bool>(), title()), 1..10)
    ) {
        let site = content_site();
        let root = site.path();
        // A city card in a sub-folder: its slug is taken too.
        std::fs::create_dir_all(root.join("content/villes/archives")).unwrap();
        std::fs::copy(
            root.join("content/villes/le-pontet.yaml"),
            root.join("content/villes/archives/sorgues.yaml"),
        )
        .unwrap();
        let before = snapshot(&root.join("content"));
        for (is_case, title) in titles {
            let (dir, extensions) = if is_case {
                ("content/cas", &["md"][..])
            } else {
                ("content/villes", &["yaml", "yml"][..])
            };
            let taken = stems(&root.join(dir), extensions);
            let slug = slug::slugify(&title);
            let result = if is_case {
                scaffold::new_case(root, &title, &["avignon".to_string()], "2026-01-01")
                    .map_err(|e| e.len())
            } else {
                scaffold::new_city(root, &title, "2026-01-01").map_err(|_| 1)
            };
            match result {
                Ok(path) => {
                    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
                    prop_assert_eq!(&stem, &slug);
                    prop_assert!(is_slug(&stem) && stem.is_ascii());
                    prop_assert!(!taken.contains_key(&stem), "{} written over {:?}", stem, taken[&stem]);
                }
                Err(_) => prop_assert!(
                    !is_slug(&slug) || taken.contains_key(&slug),
                    "{title:?} refused, yet its slug {slug:?} is free"
                ),
            }
            for (stem, paths) in stems(&root.join(dir), extensions) {
                prop_assert_eq!(paths.len(), 1, "slug {} used by {:?}", stem, paths);
            }
        }
        let after = snapshot(&root.join("content"));
        for (path, bytes) in &before {
            prop_assert!(after.get(path) == Some(bytes), "{path} was modified");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Heading anchors

/// The values of every `id` attribute of a fragment of HTML (quoted or not: minify-html drops
/// the quotes it can).
fn ids(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(" id=") {
        rest = &rest[at + 4..];
        let value = match rest.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => {
                let end = rest[1..].find(q as char).map_or(rest.len(), |e| e + 1);
                &rest[1..end]
            }
            _ => {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == '>')
                    .unwrap_or(rest.len());
                &rest[..end]
            }
        };
        out.push(value.to_string());
    }
    out
}

fn duplicates(ids: &[String]) -> Vec<&String> {
    let mut seen = BTreeSet::new();
    ids.iter().filter(|id| !seen.insert(*id)).collect()
}

fn heading_text() -> impl Strategy<Value = String> {
    select(vec![
        "Contexte",
        "Contexte 2",
        "contexte-2",
        "Contexte",
        "Résultats",
        "Sources",
        "1",
        "2",
        "Section",
        "???",
        "Contenu",
        "Source 1",
        "Titre cas liés",
        "Ce que d'autres villes peuvent en retenir",
        "`code`",
        "Été 2024 !",
    ])
    .prop_map(str::to_string)
}

/// A Markdown document of headings (some with an explicit `{#id}` when `explicit`), paragraphs
/// that cite footnotes, and footnote definitions.
fn document(explicit: bool) -> impl Strategy<Value = String> {
    let label = select(vec!["1", "2", "sources", "contexte", "Contexte"]);
    let explicit_id = if explicit {
        prop::option::of(select(vec!["res", "contexte", "1", "sources", "section"])).boxed()
    } else {
        Just(None).boxed()
    };
    let block = prop_oneof![
        (1..4usize, heading_text(), explicit_id).prop_map(|(level, text, id)| {
            let id = id.map(|id| format!(" {{#{id}}}")).unwrap_or_default();
            format!("{} {text}{id}\n\n", "#".repeat(level))
        }),
        label
            .clone()
            .prop_map(|l| format!("Un fait sourcé[^{l}].\n\n")),
        label.prop_map(|l| format!("[^{l}]: Une source.\n\n")),
    ];
    prop::collection::vec(block, 1..12).prop_map(|blocks| blocks.concat())
}

proptest! {
    #![proptest_config(config(128))]

    /// Heading anchors computed from the heading's text are slugs, unique in the document
    /// (footnotes included), and the same at every rendering.
    #[test]
    fn heading_anchors_are_unique_slugs(doc in document(false)) {
        let rendered = markdown::render(&doc, "cas/x/", "/");
        let all = ids(&rendered.html);
        prop_assert!(duplicates(&all).is_empty(), "{:?} in\n{}", duplicates(&all), rendered.html);
        for heading in rendered.html.split("<h").skip(1) {
            if let Some(id) = heading.strip_prefix(|c: char| c.is_ascii_digit())
                .and_then(|h| h.strip_prefix(" id=\""))
                .and_then(|h| h.split('"').next())
            {
                prop_assert!(is_slug(id), "anchor {id:?} in\n{}", rendered.html);
            }
        }
        prop_assert_eq!(markdown::render(&doc, "cas/x/", "/").html, rendered.html);
    }

    /// With anchors written by the editor (`{#id}`), every id of the document is still unique.
    #[test]
    fn explicit_anchors_stay_unique(doc in document(true)) {
        let rendered = markdown::render(&doc, "cas/x/", "/");
        let all = ids(&rendered.html);
        prop_assert!(duplicates(&all).is_empty(), "{:?} in\n{}", duplicates(&all), rendered.html);
    }
}

// ---------------------------------------------------------------------------------------------
// French typography

/// URLs as they appear in running text: any character RFC 3986 allows, apostrophes,
/// colons, question and exclamation marks, semicolons included.
fn url() -> impl Strategy<Value = String> {
    let prefix = select(vec![
        "https://",
        "http://",
        "www.",
        "mailto:contact@",
        "https://www.",
    ]);
    (
        prefix,
        "[a-z]{1,8}\\.(fr|org|com)",
        "[a-zA-Z0-9/?#:;!$&'()*+,=@%._~-]{0,24}",
    )
        .prop_map(|(p, host, path)| format!("{p}{host}/{path}"))
}

/// Running French text with double punctuation, guillemets, apostrophes and percentages.
fn prose() -> impl Strategy<Value = String> {
    let word = select(vec![
        "Pourquoi",
        "?",
        "Parce",
        "que",
        ":",
        "voilà",
        ";",
        "enfin",
        "!",
        "«",
        "»",
        "l'office",
        "92",
        "%",
        "d'Avignon",
        "Quoi?",
        "«Melon»",
        "14:30",
        "(voir)",
        "—",
        "«\u{a0}x\u{a0}»",
        "aujourd'hui",
        "x\u{202f}:",
        "«\u{202f}y\u{202f}»",
    ]);
    prop::collection::vec(word, 0..10).prop_map(|w| w.join(" "))
}

/// A URL as written in Markdown, in running text or as a link's destination: no character
/// that Markdown would read as markup (emphasis, brackets, parentheses, `&`, `<`).
fn markdown_url() -> impl Strategy<Value = String> {
    let prefix = select(vec!["https://", "http://", "www.", "mailto:contact@"]);
    (
        prefix,
        "[a-z]{1,8}\\.(fr|org)",
        "[a-zA-Z0-9/?#:;!$'+,=@%.-]{0,24}",
    )
        .prop_map(|(p, host, path)| format!("{p}{host}/{path}"))
}

/// Text inside code: anything but backticks and line breaks, not starting or ending with a
/// space (Markdown strips one space on each side of a code span).
fn code_text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:;!?«»'%<>&\"=/.-][a-zA-Z0-9 :;!?«»'%<>&\"=/.-]{0,18}[a-zA-Z0-9:;!?«»'%<>&\"=/.-]"
}

/// The pieces of a Markdown document whose text typography must never change.
#[derive(Debug, Clone)]
enum Piece {
    Prose(String),
    /// A bare URL in running text.
    Url(String),
    CodeSpan(String),
    CodeBlock(Vec<String>),
    /// `[texte](url "titre")`: the URL and the title are attributes.
    Link(String, String, String),
    /// Raw HTML with an attribute written in French.
    Html(String),
    /// `<https://…>`.
    Autolink(String),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        prose().prop_map(Piece::Prose),
        markdown_url().prop_map(Piece::Url),
        code_text().prop_map(Piece::CodeSpan),
        prop::collection::vec(code_text(), 1..4).prop_map(Piece::CodeBlock),
        (prose(), markdown_url(), prose()).prop_map(|(t, u, title)| Piece::Link(
            format!("lien {t}"),
            u,
            title.replace('"', "")
        )),
        prose().prop_map(|p| Piece::Html(format!("<abbr title=\"{p}\">x</abbr>"))),
        "[a-z]{1,8}\\.fr/[a-z0-9?:;!'=&/-]{0,12}"
            .prop_map(|u| Piece::Autolink(format!("https://{u}"))),
    ]
}

impl Piece {
    fn markdown(&self) -> String {
        match self {
            Piece::Prose(text) => format!("{text} "),
            Piece::Url(url) => format!(" {url} "),
            Piece::CodeSpan(code) => format!("`{code}` "),
            Piece::CodeBlock(lines) => format!("\n\n```\n{}\n```\n\n", lines.join("\n")),
            Piece::Link(text, url, title) => format!("[{text}]({url} \"{title}\") "),
            Piece::Html(html) => format!("{html} "),
            Piece::Autolink(url) => format!("<{url}> "),
        }
    }

    /// What must appear, byte for byte, in the rendered HTML: the piece as pulldown-cmark
    /// renders it alone, without the typography pass (for prose: nothing).
    fn protected(&self) -> Option<String> {
        let plain = plain_html(&self.markdown());
        let between = |open: &str, close: &str| {
            let start = plain.find(open).expect(open);
            let end = plain[start..].find(close).expect(close) + start + close.len();
            plain[start..end].to_string()
        };
        match self {
            Piece::Prose(_) => None,
            Piece::Url(url) => Some(url.clone()),
            Piece::CodeSpan(_) => Some(between("<code>", "</code>")),
            Piece::CodeBlock(_) => Some(between("<pre><code>", "</code></pre>")),
            // The opening tag: the URL and the title.
            Piece::Link(..) => Some(between("<a ", ">")),
            Piece::Html(html) => Some(html.clone()),
            Piece::Autolink(_) => Some(between("<a ", "</a>")),
        }
    }
}

/// pulldown-cmark's own rendering, without the typography pass.
fn plain_html(source: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(source));
    html
}

proptest! {
    #![proptest_config(config(256))]

    /// `typography` leaves every word that is a URL as it is, and typeset text as it is.
    #[test]
    fn typography_never_touches_urls(
        words in prop::collection::vec(prop_oneof![prose(), url()], 0..8)
    ) {
        let text = words.join(" ");
        let out = markdown::typography(&text);
        for word in text.split_whitespace() {
            if word.contains("://") || word.starts_with("www.") || word.contains('@') {
                prop_assert!(
                    out.split_whitespace().any(|w| w == word),
                    "{word:?} changed: {out:?}"
                );
            }
        }
        prop_assert_eq!(markdown::typography(&out), out.clone(), "not idempotent");
    }

    /// `french_spaces` (messages) only turns spaces into narrow no-break spaces: no word
    /// changes (URLs, paths, code), and typeset text stays as it is.
    #[test]
    fn french_spaces_only_changes_spaces(text in prop_oneof![prose(), "\\PC{0,40}"]) {
        let out = load::french_spaces(&text);
        prop_assert!(out.split_whitespace().eq(text.split_whitespace()), "{text:?} → {out:?}");
        prop_assert_eq!(load::french_spaces(&out), out);
    }

    /// In a rendered document, the text of code spans and code blocks, link URLs and titles,
    /// raw HTML attributes, autolinks and bare URLs are exactly what pulldown-cmark gives
    /// without the typography pass.
    #[test]
    fn render_never_touches_code_urls_or_attributes(
        pieces in prop::collection::vec(piece(), 1..8)
    ) {
        let source: String = pieces.iter().map(Piece::markdown).collect();
        let html = markdown::render_with(
            &source,
            "cas/x/",
            "/",
            vaucluse_atlas::model::RawHtml::Allowed,
        )
        .html;
        for piece in &pieces {
            if let Some(expected) = piece.protected() {
                prop_assert!(
                    html.contains(&expected),
                    "{expected:?} missing from\n{html}\nsource: {source:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Whole sites: determinism and incremental rebuilds

/// Markdown bodies as editors write them: headings (some named like the page's own sections),
/// typography, links to other pages, tables, footnotes, code.
fn body() -> impl Strategy<Value = String> {
    let piece = select(vec![
        "## Contexte\n\n",
        "## Contenu\n\n",
        "## Source 1\n\n",
        "## Sources\n\n",
        "Pourquoi ? Parce que : « oui » !\n\n",
        "Voir [Avignon](/villes/avignon/) et [les stratégies](/strategies/).\n\n",
        "Du code : `a : b`.\n\n",
        "| Année | Valeur |\n|---|---|\n| 2020 | 12 % |\n\n",
        "Un fait sourcé[^1].\n\n[^1]: Une source.\n\n",
        "- un\n- deux\n\n",
        "Texte d'essai, l'été 2024.\n\n",
    ]);
    prop::collection::vec(piece, 0..5).prop_map(|p| p.concat())
}

fn sentence() -> impl Strategy<Value = String> {
    prop::collection::vec(
        select(vec![
            "Une",
            "marque",
            "« partagée »",
            "entre",
            "la",
            "ville",
            "et",
            "l'agglomération",
            ":",
            "Été",
            "2024",
            "!",
            "événement",
            "Noël",
            "Zèbre",
            "abeille",
            "?",
        ]),
        1..8,
    )
    .prop_map(|w| w.join(" "))
}

/// A YAML double-quoted scalar.
fn quoted_yaml(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

const CITIES: [&str; 3] = ["avignon", "carpentras", "le-pontet"];
const STRATEGIES: [&str; 3] = [
    "marque-touristique",
    "evenementiel",
    "participation-citoyenne",
];
/// Where new case studies go: at the top level and in a sub-folder.
const NEW_CASES: [&str; 3] = [
    "content/cas/nouveau-a.md",
    "content/cas/nouveau-b.md",
    "content/cas/2025/nouveau-c.md",
];

/// An edit an editor could save while `serve` runs. Indexes are taken modulo what exists.
#[derive(Debug, Clone)]
enum Edit {
    CaseBody(usize, String),
    CaseSummary(usize, String),
    CaseStrategies(usize, Vec<usize>),
    CityName(usize, String),
    CityPopulation(usize, u32),
    CityDetail(usize, String),
    AddCase {
        at: usize,
        villes: Vec<usize>,
        strategies: Vec<usize>,
        titre: String,
        body: String,
        draft: bool,
    },
    DeleteCase(usize),
    /// An unknown city in a case study: the build fails until [`Edit::FixCases`].
    BreakCase(usize),
    FixCases,
}

fn edit() -> impl Strategy<Value = Edit> {
    let indexes = || prop::collection::vec(0..3usize, 1..3);
    prop_oneof![
        (any::<usize>(), body()).prop_map(|(i, b)| Edit::CaseBody(i, b)),
        (any::<usize>(), sentence()).prop_map(|(i, s)| Edit::CaseSummary(i, s)),
        (any::<usize>(), indexes()).prop_map(|(i, s)| Edit::CaseStrategies(i, s)),
        (0..3usize, sentence()).prop_map(|(i, s)| Edit::CityName(i, s)),
        (0..3usize, 1..200_000u32).prop_map(|(i, n)| Edit::CityPopulation(i, n)),
        (0..3usize, sentence()).prop_map(|(i, s)| Edit::CityDetail(i, s)),
        (
            0..3usize,
            indexes(),
            indexes(),
            sentence(),
            body(),
            any::<bool>()
        )
            .prop_map(
                |(at, villes, strategies, titre, body, draft)| Edit::AddCase {
                    at,
                    villes,
                    strategies,
                    titre,
                    body,
                    draft
                }
            ),
        any::<usize>().prop_map(Edit::DeleteCase),
        any::<usize>().prop_map(Edit::BreakCase),
        Just(Edit::FixCases),
    ]
}

/// The case studies of the site, sorted (site-relative paths).
fn case_files(root: &Path) -> Vec<String> {
    let mut files: Vec<String> = walkdir::WalkDir::new(root.join("content/cas"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    files.sort();
    files
}

fn slugs_list(indexes: &[usize], names: &[&str]) -> String {
    let mut list: Vec<&str> = indexes.iter().map(|&i| names[i % names.len()]).collect();
    list.sort();
    list.dedup();
    format!("[{}]", list.join(", "))
}

/// Replaces the first line that starts with `prefix` (after indentation) with `prefix` and
/// `value`; adds it after the first line when there is none and `add` is set.
fn set_line(text: &str, prefix: &str, value: &str, add: bool) -> String {
    let mut done = false;
    let mut lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let indent = &line[..line.len() - line.trim_start().len()];
            if !done && line.trim_start().starts_with(prefix) {
                done = true;
                format!("{indent}{prefix}{value}")
            } else {
                line.to_string()
            }
        })
        .collect();
    if !done && add {
        lines.insert(1, format!("{prefix}{value}"));
    }
    lines.join("\n")
}

/// Applies `edit` to the site at `root`; returns the files it changed (site-relative).
fn apply(root: &Path, edit: &Edit) -> Vec<String> {
    let cases = case_files(root);
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let case = |i: usize| cases[i % cases.len()].clone();
    match edit {
        Edit::CaseBody(i, body) if !cases.is_empty() => {
            let path = case(*i);
            let text = read(&path);
            // The front matter ends at the second `---` line.
            let end = text[4..].find("\n---\n").map(|e| e + 4 + 5).unwrap();
            write(&path, &format!("{}{body}", &text[..end]));
            vec![path]
        }
        Edit::CaseSummary(i, summary) if !cases.is_empty() => {
            let path = case(*i);
            write(
                &path,
                &set_line(&read(&path), "resume: ", &quoted_yaml(summary), true),
            );
            vec![path]
        }
        Edit::CaseStrategies(i, strategies) if !cases.is_empty() => {
            let path = case(*i);
            let list = slugs_list(strategies, &STRATEGIES);
            write(&path, &set_line(&read(&path), "strategies: ", &list, true));
            vec![path]
        }
        Edit::CityName(i, name) => {
            let path = format!("content/villes/{}.yaml", CITIES[i % 3]);
            write(
                &path,
                &set_line(&read(&path), "nom: ", &quoted_yaml(name), false),
            );
            vec![path]
        }
        Edit::CityPopulation(i, n) => {
            let path = format!("content/villes/{}.yaml", CITIES[i % 3]);
            write(
                &path,
                &set_line(&read(&path), "population: ", &n.to_string(), false),
            );
            vec![path]
        }
        Edit::CityDetail(i, detail) => {
            let path = format!("content/villes/{}.yaml", CITIES[i % 3]);
            write(
                &path,
                &set_line(&read(&path), "detail: ", &quoted_yaml(detail), false),
            );
            vec![path]
        }
        Edit::AddCase {
            at,
            villes,
            strategies,
            titre,
            body,
            draft,
        } => {
            let path = NEW_CASES[at % NEW_CASES.len()];
            let statut = if *draft { "brouillon" } else { "publie" };
            write(
                path,
                &format!(
                    "---\ntitre: {}\nresume: Un nouveau cas.\nvilles: {}\nstrategies: {}\npublics: [habitants]\ndate: 2024-05-01\nstatut: {statut}\nsources:\n  - titre: Une source\n    url: https://exemple.test/source\n    consulte: 2026-11-27\n---\n{body}",
                    quoted_yaml(titre),
                    slugs_list(villes, &CITIES),
                    slugs_list(strategies, &STRATEGIES),
                ),
            );
            vec![path.to_string()]
        }
        // The opportunity of the fixture links to noels-insolites: deleting it would make
        // every later build fail, which the edits that break a file already cover.
        Edit::DeleteCase(i) => {
            let deletable: Vec<&String> = cases
                .iter()
                .filter(|c| !c.contains("noels-insolites"))
                .collect();
            if deletable.is_empty() {
                return vec![];
            }
            let path = deletable[i % deletable.len()].clone();
            std::fs::remove_file(root.join(&path)).unwrap();
            vec![path]
        }
        Edit::BreakCase(i) if !cases.is_empty() => {
            let path = case(*i);
            write(
                &path,
                &read(&path).replacen("villes: [", "villes: [inconnue, ", 1),
            );
            vec![path]
        }
        Edit::FixCases => {
            let broken: Vec<String> = cases
                .into_iter()
                .filter(|path| read(path).contains("inconnue, "))
                .collect();
            for path in &broken {
                write(path, &read(path).replace("inconnue, ", ""));
            }
            broken
        }
        _ => vec![],
    }
}

/// A copy of the fixture site with the default theme; `minify` sets `minifier`.
fn site(minify: bool) -> (tempfile::TempDir, PathBuf) {
    let dir = fixture("mini");
    let root = dir.path().canonicalize().unwrap();
    let config = read(&root.join("atlas.yaml"));
    std::fs::write(
        root.join("atlas.yaml"),
        config.replace("minifier: false", &format!("minifier: {minify}")),
    )
    .unwrap();
    (dir, root)
}

fn options(root: &Path, drafts: bool, subpath: bool) -> vaucluse_atlas::BuildOptions {
    let mut options = vaucluse_atlas::BuildOptions::new(root);
    options.resolve.drafts = drafts;
    if subpath {
        options.resolve.base_url = Some("https://exemple.test/atlas/".to_string());
    }
    options
}

type Outcome = Result<Vec<(String, Vec<u8>)>, String>;

fn outcome(
    result: Result<vaucluse_atlas::Compiled, Vec<vaucluse_atlas::diagnostic::Diagnostic>>,
) -> Outcome {
    match result {
        Ok(compiled) => Ok(compiled
            .files
            .into_iter()
            .map(|f| (f.path, f.bytes.to_vec()))
            .collect()),
        Err(diagnostics) => Err(format!("{diagnostics:?}")),
    }
}

/// The first difference between two outcomes, for the failure message.
fn difference(a: &Outcome, b: &Outcome) -> Option<String> {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            let paths_a: Vec<&String> = a.iter().map(|(p, _)| p).collect();
            let paths_b: Vec<&String> = b.iter().map(|(p, _)| p).collect();
            if paths_a != paths_b {
                return Some(format!("files differ: {paths_a:?}\n/ {paths_b:?}"));
            }
            a.iter()
                .zip(b)
                .find(|((_, x), (_, y))| x != y)
                .map(|((path, x), (_, y))| {
                    format!(
                        "{path} differs:\n{}\n/\n{}",
                        String::from_utf8_lossy(x),
                        String::from_utf8_lossy(y)
                    )
                })
        }
        (Err(a), Err(b)) if a == b => None,
        (a, b) => Some(format!(
            "{:?}\n/ {:?}",
            a.as_ref().map(|f| f.len()),
            b.as_ref().map(|f| f.len())
        )),
    }
}

/// Every `id` of every page of a compiled site is unique on its page.
fn page_ids_are_unique(outcome: &Outcome) -> Result<(), String> {
    for (path, bytes) in outcome.as_ref().map_or(&[][..], |f| &f[..]) {
        if path.ends_with(".html") {
            let html = String::from_utf8_lossy(bytes);
            let all = ids(&html);
            let twice = duplicates(&all);
            if !twice.is_empty() {
                return Err(format!("{path}: id {twice:?} used twice"));
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(12))]

    /// The same site, compiled twice, gives the same files, byte for byte, whatever its
    /// content and options; and no page has the same `id` twice.
    #[test]
    fn the_build_is_deterministic(
        edits in prop::collection::vec(edit(), 0..6),
        minify in any::<bool>(),
        drafts in any::<bool>(),
        subpath in any::<bool>(),
    ) {
        let (_dir, root) = site(minify);
        for edit in &edits {
            apply(&root, edit);
        }
        let options = options(&root, drafts, subpath);
        let first = outcome(vaucluse_atlas::compile(&options));
        let second = outcome(vaucluse_atlas::compile(&options));
        if let Some(difference) = difference(&first, &second) {
            return Err(TestCaseError::fail(difference));
        }
        page_ids_are_unique(&first).map_err(TestCaseError::fail)?;
    }

    /// After any sequence of edits, each rebuild through the `serve` cache gives the files (or
    /// the errors) of a build from scratch.
    #[test]
    fn incremental_rebuilds_equal_full_builds(
        edits in prop::collection::vec(edit(), 1..6),
        minify in any::<bool>(),
    ) {
        use vaucluse_atlas::incremental::Cache;
        let (_dir, root) = site(minify);
        let options = options(&root, false, false);
        let cache = Cache::new();
        let rebuild = |changed: &[String]| {
            let changed: Vec<PathBuf> = changed.iter().map(|p| root.join(p)).collect();
            cache.invalidate(&root, &changed);
            cache.begin();
            let result = vaucluse_atlas::compile_cached(&options, Some(&cache));
            cache.finish(result.is_ok());
            outcome(result)
        };
        prop_assert!(rebuild(&[]).is_ok(), "the fixture site builds");
        for (step, edit) in edits.iter().enumerate() {
            let changed = apply(&root, edit);
            let cached = rebuild(&changed);
            let fresh = outcome(vaucluse_atlas::compile(&options));
            if let Some(difference) = difference(&cached, &fresh) {
                return Err(TestCaseError::fail(format!("after edit {step} ({edit:?}): {difference}")));
            }
        }
    }
}
