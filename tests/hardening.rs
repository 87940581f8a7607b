//! Integration tests of hardening (nothing injected): raw HTML in Markdown is cleaned by
//! default and kept with `html_brut: autorise`; a script, an event handler or a `javascript:`
//! link written in any YAML value or Markdown body never becomes live in any output file; the
//! pages need no inline script or style; the Content-Security-Policy of the theme's `<meta>`
//! tag and of the deployment headers (`docs/deploy/`) stay the same.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

/// A value that tries every way in: an element, a double-quoted and a single-quoted attribute.
const PAYLOAD: &str = r#"X<script>alert(1)</script>"onmouseover="alert(1)'onmouseover='alert(2)"#;
/// A URL that `check` accepts (the parser percent-encodes the rest), carrying the same payload.
const PAYLOAD_URL: &str = r#"https://exemple.test/"onmouseover="alert(1)<script>alert(1)</script>"#;

/// A YAML single-quoted scalar.
fn yaml(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn write(site: &Path, path: &str, text: &str) {
    let path = site.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn replace_in(site: &Path, path: &str, from: &str, to: &str) {
    let path = site.join(path);
    let text = read(&path);
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn check_json(site: &Path) -> (Option<i32>, Vec<Value>) {
    let output = run(&["check", "--format", "json"], site);
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    (
        output.status.code(),
        json["diagnostics"].as_array().cloned().unwrap_or_default(),
    )
}

fn build(site: &Path) -> std::path::PathBuf {
    let output = run(&["build"], site);
    assert!(output.status.success(), "{}", stderr(&output));
    site.join("public")
}

// ---------------------------------------------------------------------------------------------
// A minimal HTML tag scanner: enough to see every start tag and its attributes in the
// generator's output (where a `<` in text is always written `&lt;`).

struct StartTag {
    name: String,
    attributes: Vec<(String, String)>,
    /// For `<script>`: what stands between it and `</script>`.
    content: String,
}

fn start_tags(html: &str) -> Vec<StartTag> {
    let bytes = html.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    while let Some(found) = html[i..].find('<') {
        i += found + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(html.len(), |e| i + e + 3);
            continue;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_end = html[i..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .map_or(html.len(), |e| i + e);
        let name = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        let mut attributes = Vec::new();
        loop {
            while bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'/')
            {
                i += 1;
            }
            match bytes.get(i) {
                None => break,
                Some(b'>') => {
                    i += 1;
                    break;
                }
                _ => {}
            }
            let start = i;
            while bytes
                .get(i)
                .is_some_and(|b| !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/'))
            {
                i += 1;
            }
            let attribute = html[start..i].to_ascii_lowercase();
            let mut value = String::new();
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                match bytes.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = html[i + 1..]
                            .find(q as char)
                            .map_or(html.len(), |e| i + 1 + e);
                        value = html[i + 1..end].to_string();
                        i = (end + 1).min(html.len());
                    }
                    _ => {
                        let end = html[i..]
                            .find(|c: char| c.is_ascii_whitespace() || c == '>')
                            .map_or(html.len(), |e| i + e);
                        value = html[i..end].to_string();
                        i = end;
                    }
                }
            }
            if i == start {
                i += 1;
            }
            attributes.push((attribute, value));
        }
        let mut content = String::new();
        if matches!(name.as_str(), "script" | "style") {
            let close = format!("</{name}");
            let end = html[i..].find(&close).map_or(html.len(), |e| i + e);
            content = html[i..end].to_string();
            i = end;
        }
        tags.push(StartTag {
            name,
            attributes,
            content,
        });
    }
    tags
}

/// Decodes the character references a browser would read in an attribute value, enough to
/// recognise a URL scheme.
fn decoded(value: &str) -> String {
    let mut out = value
        .replace("&colon;", ":")
        .replace("&#58;", ":")
        .replace("&#x3A;", ":")
        .replace("&#x3a;", ":");
    out.retain(|c| !matches!(c, '\t' | '\n' | '\r'));
    out.trim_start_matches(|c: char| c <= ' ')
        .to_ascii_lowercase()
}

/// Every problem of one HTML file: a live script, an event handler, an inline style, a
/// dangerous URL, an embedded document.
fn html_problems(file: &str, html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for tag in start_tags(html) {
        match tag.name.as_str() {
            "script" => {
                if !tag.attributes.iter().any(|(a, _)| a == "src") {
                    problems.push(format!("{file}: inline <script>{}", tag.content));
                }
                if !tag.content.trim().is_empty() {
                    problems.push(format!("{file}: <script> with content {}", tag.content));
                }
            }
            "style" | "iframe" | "object" | "embed" | "frame" | "frameset" => {
                problems.push(format!("{file}: <{}> element", tag.name))
            }
            _ => {}
        }
        for (attribute, value) in &tag.attributes {
            if attribute.starts_with("on") {
                problems.push(format!(
                    "{file}: event handler {attribute}=\"{value}\" on <{}>",
                    tag.name
                ));
            }
            if attribute == "style" {
                problems.push(format!("{file}: style attribute on <{}>", tag.name));
            }
            let url = decoded(value);
            if matches!(
                attribute.as_str(),
                "href" | "src" | "action" | "formaction" | "xlink:href" | "srcset" | "poster"
            ) && ["javascript:", "vbscript:", "data:"]
                .iter()
                .any(|s| url.starts_with(s))
            {
                problems.push(format!("{file}: {attribute}=\"{value}\" on <{}>", tag.name));
            }
            if !attribute
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'_' | b'.'))
            {
                problems.push(format!(
                    "{file}: strange attribute name {attribute:?} on <{}> (broken escaping?)",
                    tag.name
                ));
            }
        }
    }
    for raw in ["<script>alert", "href=\"javascript:", " onmouseover="] {
        if html.contains(raw) {
            problems.push(format!("{file}: contains {raw}"));
        }
    }
    problems
}

/// Every problem of an XML file (Atom feed, sitemap, SVG): well-formed, no script element, no
/// event handler, no dangerous link.
fn xml_problems(file: &str, text: &str) -> Vec<String> {
    let document = match roxmltree::Document::parse(text) {
        Ok(document) => document,
        Err(error) => return vec![format!("{file}: not well-formed XML: {error}")],
    };
    let mut problems = Vec::new();
    for node in document.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        if matches!(name, "script" | "foreignObject" | "iframe") {
            problems.push(format!("{file}: <{name}> element"));
        }
        for attribute in node.attributes() {
            if attribute.name().starts_with("on") {
                problems.push(format!(
                    "{file}: event handler {} on <{name}>",
                    attribute.name()
                ));
            }
            if attribute.name() == "href" && decoded(attribute.value()).starts_with("javascript:") {
                problems.push(format!("{file}: javascript: link on <{name}>"));
            }
        }
    }
    problems
}

/// RFC 4180 rows (fields quoted or not, doubled quotes inside quotes): `None` when the file
/// does not parse.
fn csv_rows(text: &str) -> Option<Vec<Vec<String>>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    // Inside quotes; after the closing quote of a field.
    let (mut quoted, mut closed, mut started) = (false, false, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => (quoted, closed) = (false, true),
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if !started => (quoted, started) = (true, true),
            ',' => {
                row.push(std::mem::take(&mut field));
                (closed, started) = (false, false);
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                (closed, started) = (false, false);
            }
            '"' => return None,
            _ if closed => return None,
            c => {
                field.push(c);
                started = true;
            }
        }
    }
    (!quoted && !started && row.is_empty()).then_some(rows)
}

/// Scans every file of a built site (but the Pagefind bundle, binary) and returns what is
/// live that should not be, plus how many HTML files hold the escaped payload.
fn scan_site(public: &Path) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut escaped = 0;
    for (file, bytes) in snapshot(public) {
        if file.starts_with("pagefind/") || file.starts_with("pagefind\\") {
            continue;
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let extension = file.rsplit('.').next().unwrap_or("");
        match extension {
            "html" => {
                problems.extend(html_problems(&file, &text));
                if text.contains("&lt;script&gt;alert(1)") {
                    escaped += 1;
                }
            }
            "xml" | "svg" => problems.extend(xml_problems(&file, &text)),
            "json" | "geojson" => {
                if let Err(error) = serde_json::from_str::<Value>(&text) {
                    problems.push(format!("{file}: not valid JSON: {error}"));
                }
            }
            "csv" => match csv_rows(&text) {
                Some(rows) => {
                    if rows.iter().any(|r| r.len() != rows[0].len()) {
                        problems.push(format!("{file}: rows of different lengths"));
                    }
                }
                None => problems.push(format!("{file}: not RFC 4180")),
            },
            _ => {}
        }
    }
    (problems, escaped)
}

#[test]
fn the_scanners_see_what_they_must_refuse() {
    let bad = [
        "<p title=\"x\" onmouseover=\"alert(1)\">a</p>",
        "<p title=\"x\"onmouseover=\"alert(1)\">a</p>",
        "<script>alert(1)</script>",
        "<script src=\"a.js\">alert(1)</script>",
        "<a href=\" Java\tScript&colon;alert(1)\">a</a>",
        "<img src=\"data:image/png;base64,AA\" alt=\"\">",
        "<p style=\"color:red\">a</p>",
        "<style>p{}</style>",
        "<iframe src=\"https://ex.org/\"></iframe>",
    ];
    for html in bad {
        assert!(!html_problems("t.html", html).is_empty(), "{html}");
    }
    let good = "<!DOCTYPE html><p title=\"&lt;script&gt;alert(1)&lt;/script&gt;&quot;onmouseover=&quot;\">&lt;script&gt; \"onmouseover=\"</p><script src=\"a.js\" defer></script>";
    assert_eq!(html_problems("t.html", good), Vec::<String>::new());
    assert!(
        !xml_problems(
            "t.svg",
            "<svg xmlns=\"http://www.w3.org/2000/svg\"><a href=\"javascript:x\"/></svg>"
        )
        .is_empty()
    );
    assert!(!xml_problems("t.svg", "<svg onload=\"x\"/>").is_empty());
    assert!(!xml_problems("t.xml", "<a>&</a>").is_empty());
    assert_eq!(
        csv_rows("a,\"b\"\"c\"\r\n\"d\",e\r\n"),
        Some(vec![
            vec!["a".into(), "b\"c".into()],
            vec!["d".into(), "e".into()]
        ])
    );
    assert_eq!(csv_rows("\"a\"b\r\n"), None);
    assert_eq!(csv_rows("a\"b\r\n"), None);
}

// ---------------------------------------------------------------------------------------------
// 1. Raw HTML in Markdown.

const RAW_BODY: &str = "## Contexte

Texte <span class=\"note\" onclick=\"alert(1)\" style=\"color:red\">rouge</span> et <abbr title=\"Établissement public\">EPCI</abbr>.

<script>alert(1)</script>

<iframe src=\"https://exemple.test/\"></iframe>

Voir [ce lien](javascript:alert(1)) et [Carpentras](/villes/carpentras/).

## Résultats {onmouseover=alert(1)}
";

fn site_with_raw_html() -> tempfile::TempDir {
    let site = fixture("mini");
    let path = site.path().join("content/cas/marque-avignon.md");
    let text = read(&path);
    let front_end = text[3..].find("\n---\n").unwrap() + 3 + 5;
    std::fs::write(&path, format!("{}{RAW_BODY}", &text[..front_end])).unwrap();
    site
}

#[test]
fn raw_html_is_cleaned_by_default_and_each_removal_is_a_warning_with_its_line() {
    let site = site_with_raw_html();
    let (code, diagnostics) = check_json(site.path());
    assert_eq!(code, Some(0), "warnings only: {diagnostics:#?}");
    let found: Vec<(String, u64, u64, String)> = diagnostics
        .iter()
        .filter(|d| d["file"] == "content/cas/marque-avignon.md")
        .map(|d| {
            assert_eq!(d["severity"], "avertissement", "{d:#?}");
            (
                d["code"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                d["column"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // The front matter ends on line 14: the body starts on line 15.
    let expected = [
        (
            "html-brut",
            17,
            26,
            "l’attribut onclick (un script) n’est pas autorisé",
        ),
        ("html-brut", 17, 45, "l’attribut style n’est pas autorisé"),
        (
            "html-brut",
            19,
            1,
            "HTML brut retiré\u{a0}: <script> n’est pas autorisé (html_brut: autorise dans atlas.yaml pour l’autoriser)",
        ),
        ("html-brut", 21, 1, "<iframe> n’est pas autorisé"),
        (
            "adresse-interdite",
            23,
            6,
            "lien retiré\u{a0}: l’adresse «\u{202f}javascript:alert(1)\u{202f}» n’est pas autorisée",
        ),
        ("html-brut", 25, 1, "l’attribut onmouseover (un script)"),
    ];
    assert_eq!(found.len(), expected.len(), "{found:#?}");
    for ((code, line, column, message), (e_code, e_line, e_column, e_message)) in
        found.iter().zip(expected)
    {
        assert_eq!(
            (code.as_str(), *line, *column),
            (e_code, e_line, e_column),
            "{message}"
        );
        assert!(message.contains(e_message), "{message}");
    }

    let public = build(site.path());
    let page = read(&public.join("cas/marque-avignon/index.html"));
    assert!(
        page.contains("Texte <span class=\"note\">rouge</span> et <abbr title=\"Établissement public\">EPCI</abbr>."),
        "{page}"
    );
    assert!(page.contains("Voir ce lien et <a href=\"/villes/carpentras/\">Carpentras</a>."));
    assert!(
        page.contains("<h2 id=\"resultats\">Résultats</h2>"),
        "{page}"
    );
    assert!(!page.contains("alert"), "{page}");
    assert!(!page.contains("<iframe"), "{page}");
    let (problems, _) = scan_site(&public);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn html_brut_autorise_keeps_raw_html_as_written_but_never_a_javascript_link() {
    let site = site_with_raw_html();
    replace_in(
        site.path(),
        "atlas.yaml",
        "theme: default\n",
        "theme: default\nhtml_brut: autorise\n",
    );
    let (code, diagnostics) = check_json(site.path());
    assert_eq!(code, Some(0), "{diagnostics:#?}");
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["adresse-interdite"], "{diagnostics:#?}");

    let public = build(site.path());
    let page = read(&public.join("cas/marque-avignon/index.html"));
    for kept in [
        "<span class=\"note\" onclick=\"alert(1)\" style=\"color:red\">rouge</span>",
        "<script>alert(1)</script>",
        "<iframe src=\"https://exemple.test/\"></iframe>",
        "<h2 id=\"resultats\" onmouseover=\"alert(1)\">",
    ] {
        assert!(page.contains(kept), "{kept} not in {page}");
    }
    assert!(page.contains("Voir ce lien et"), "{page}");
    assert!(!page.contains("javascript:"), "{page}");
}

#[test]
fn an_unknown_html_brut_value_is_an_error() {
    let site = fixture("mini");
    replace_in(
        site.path(),
        "atlas.yaml",
        "theme: default\n",
        "theme: default\nhtml_brut: oui\n",
    );
    let (code, diagnostics) = check_json(site.path());
    assert_eq!(code, Some(1), "{diagnostics:#?}");
    assert!(
        diagnostics
            .iter()
            .any(|d| d["file"] == "atlas.yaml" && d["severity"] == "erreur"),
        "{diagnostics:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Every YAML value that reaches a page is escaped.

/// The fixture with the payload in every text field of a city card, a case study (front
/// matter and body), an actor, an opportunity, the taxonomies and `atlas.yaml`, and a payload
/// URL in every URL field.
fn poisoned_site() -> tempfile::TempDir {
    let site = fixture("mini");
    let root = site.path();
    let p = yaml(PAYLOAD);
    let u = yaml(PAYLOAD_URL);
    write(
        root,
        "content/villes/avignon.yaml",
        &format!(
            "nom: {p}
insee: \"84007\"
population: 92188
population_annee: 2026
epci: ca-du-grand-avignon-coga
coordonnees: {{lat: 43.94929, lon: 4.80559}}
site_web: {u}
fiche: complete
sources_identite: [cog]
marques:
  - nom: {p}
    type_marque: {p}
    depuis: \"2019-01-28\"
    detail: {p}
    sources: [fb]
publics:
  - public: touristes
    detail: {p}
    sources: [fb]
strategies:
  - strategie: marque-touristique
    detail: {p}
    sources: [fb]
  - strategie: participation-citoyenne
    detail: {p}
    sources: [fb]
canaux:
  - canal: site-web
    url: {u}
    detail: {p}
    audience:
      - valeur: 302750
        unite: {p}
        date: \"2023\"
    sources: [fb]
labels:
  - nom: {p}
    depuis: \"2018\"
    detail: {p}
    sources: [fb]
evenements:
  - nom: {p}
    depuis: \"2019-07-06\"
    detail: {p}
    sources: [fb]
sources:
  - id: cog
    titre: {p}
    url: {u}
    consulte: \"2026-11-27\"
  - id: fb
    titre: {p}
    url: {u}
    consulte: \"2026-11-27\"
"
        ),
    );
    let body = format!(
        "## {PAYLOAD}\n\nTexte {PAYLOAD} et <img src=x onerror=alert(1)> [lien](javascript:alert(1)) <a href=\"javascript:alert(1)\">a</a>.\n\n## Suite {{onmouseover=alert(1)}}\n\n[{PAYLOAD}](/villes/avignon/ \"{}\")\n",
        PAYLOAD.replace('"', "&quot;")
    );
    write(
        root,
        "content/cas/marque-avignon.md",
        &format!(
            "---
titre: {p}
resume: {p}
villes: [avignon, le-pontet]
strategies: [marque-touristique]
canaux: [site-web]
publics: [touristes]
date: \"2019-01-28\"
statut: publie
sources:
  - titre: {p}
    url: {u}
    consulte: \"2026-11-27\"
---
{body}"
        ),
    );
    write(
        root,
        "content/opportunites/noel-en-reseau.md",
        &format!(
            "---\ntitre: {p}\nvilles: [avignon, carpentras]\nstrategies: [evenementiel]\nsources:\n  - titre: {p}\n    url: {u}\n    consulte: \"2026-11-27\"\n---\n{body}"
        ),
    );
    write(
        root,
        "content/acteurs/office-grand-avignon.yaml",
        &format!(
            "nom: {p}
type_acteur: office-tourisme
description: {p}
site_web: {u}
intercommunalites: [ca-du-grand-avignon-coga]
strategies:
  - strategie: marque-touristique
    detail: {p}
    sources: [fb]
sources:
  - id: fb
    titre: {p}
    url: {u}
    consulte: \"2026-11-27\"
"
        ),
    );
    for (file, from) in [
        (
            "content/referentiel/strategies.yaml",
            "nom: Marque de destination",
        ),
        (
            "content/referentiel/strategies.yaml",
            "definition: Une marque dédiée au tourisme.",
        ),
        ("content/referentiel/canaux.yaml", "nom: Site officiel"),
        (
            "content/referentiel/canaux.yaml",
            "definition: Le site internet de la collectivité.",
        ),
        ("content/referentiel/publics.yaml", "nom: Touristes"),
        (
            "content/referentiel/publics.yaml",
            "definition: Les visiteurs qui séjournent.",
        ),
        (
            "content/referentiel/intercommunalites.yaml",
            "nom: CA du Grand Avignon (COGA)",
        ),
        (
            "content/referentiel/intercommunalites.yaml",
            "nature: CA\n  membres: [\"84007\"",
        ),
    ] {
        let key = &from[..from.find(':').unwrap()];
        let rest = from.find('\n').map_or("", |i| &from[i..]);
        replace_in(root, file, from, &format!("{key}: {p}{rest}"));
    }
    let config = read(&root.join("atlas.yaml"));
    let introduction = config.find("introduction:").unwrap();
    std::fs::write(
        root.join("atlas.yaml"),
        format!(
            "{}introduction: |\n  Bienvenue {PAYLOAD} [x](javascript:alert(1)) <script>alert(1)</script>\n",
            &config[..introduction]
        )
        .replace("titre: Atlas d'essai", &format!("titre: {p}"))
        .replace(
            "description: \"Un petit atlas pour les tests : trois villes, deux études de cas.\"",
            &format!("description: {p}"),
        )
        .replace("editeur: Équipe de test", &format!("editeur: {p}")),
    )
    .unwrap();
    site
}

#[test]
fn no_value_written_in_yaml_or_markdown_is_live_in_any_output_file() {
    let site = poisoned_site();
    let public = build(site.path());
    let (problems, escaped) = scan_site(&public);
    assert!(problems.is_empty(), "{problems:#?}");
    // The payload did reach the pages, escaped: the test would prove nothing otherwise.
    assert!(escaped > 20, "the payload reached only {escaped} pages");
    for page in [
        "index.html",
        "villes/avignon/index.html",
        "cas/marque-avignon/index.html",
        "acteurs/office-grand-avignon/index.html",
        "opportunites/index.html",
        "strategies/marque-touristique/index.html",
        "carte/index.html",
        "observatoire/index.html",
        "synergies/index.html",
    ] {
        let html = read(&public.join(page));
        assert!(
            html.contains("&lt;script&gt;alert(1)"),
            "{page}: no escaped payload"
        );
    }
    // The exports keep the value as written: data, not markup.
    let atlas: Value = serde_json::from_str(&read(&public.join("donnees/atlas.json"))).unwrap();
    assert!(atlas.to_string().contains("<script>alert(1)</script>"));
    let villes = read(&public.join("donnees/villes.csv"));
    assert!(villes.contains("<script>alert(1)</script>\"\"onmouseover=\"\"alert(1)"));
}

#[test]
fn a_javascript_url_in_a_yaml_url_field_is_refused_by_check() {
    let site = fixture("mini");
    let root = site.path();
    replace_in(
        root,
        "content/villes/avignon.yaml",
        "site_web: https://www.avignon.fr/",
        "site_web: javascript:alert(1)",
    );
    replace_in(
        root,
        "content/villes/avignon.yaml",
        "    url: https://www.avignon.fr/",
        "    url: \"javascript:alert(1)//https://www.avignon.fr/\"",
    );
    replace_in(
        root,
        "content/villes/avignon.yaml",
        "url: https://github.com/etalab/decoupage-administratif",
        "url: data:text/html,<script>alert(1)</script>",
    );
    replace_in(
        root,
        "content/cas/marque-avignon.md",
        "url: https://www.francebleu.fr/",
        "url: \" javascript:alert(1)\"",
    );
    let (code, diagnostics) = check_json(root);
    assert_eq!(code, Some(1));
    let refused: Vec<(&str, u64)> = diagnostics
        .iter()
        .filter(|d| d["code"] == "url")
        .map(|d| (d["file"].as_str().unwrap(), d["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        refused,
        [
            ("content/cas/marque-avignon.md", 12),
            ("content/villes/avignon.yaml", 7),
            ("content/villes/avignon.yaml", 27),
            ("content/villes/avignon.yaml", 36),
        ],
        "{diagnostics:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Content-Security-Policy: the theme needs no inline script or style; the policies of the
// <meta> tag and of the deployment headers are the same.

#[test]
fn the_theme_has_no_inline_script_style_or_handler() {
    let (mut templates, mut sources) = (0, 0);
    for entry in walkdir::WalkDir::new(repo().join("themes/default/templates")) {
        let entry = entry.unwrap();
        if !entry.file_type().is_file() {
            continue;
        }
        templates += 1;
        let text = without_tera(&read(entry.path()));
        let file = entry.path().display().to_string();
        let problems = html_problems(&file, &text);
        assert!(problems.is_empty(), "{problems:#?}");
    }
    for entry in walkdir::WalkDir::new(repo().join("src")) {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = path.to_string_lossy();
        // Rust that writes page markup: the render stage and the Markdown.
        if !(name.contains("render") || name.ends_with("markdown.rs"))
            || !entry.file_type().is_file()
        {
            continue;
        }
        sources += 1;
        let text = read(path);
        // Tests may spell what must never be written; the code before them may not.
        let code = &text[..text.find("#[cfg(test)]").unwrap_or(text.len())];
        for forbidden in [
            "style=\\\"",
            "style='",
            "<style",
            "<script>",
            " onclick",
            " onload",
        ] {
            // markdown.rs turns pulldown-cmark's alignment styles into classes: it names them.
            let allowed = name.ends_with("markdown.rs") && forbidden == "style=\\\"";
            assert!(
                allowed || !code.contains(forbidden),
                "{name} writes {forbidden}"
            );
        }
    }
    assert!(
        templates >= 15 && sources >= 8,
        "{templates} templates, {sources} Rust files"
    );
}

/// A template with its Tera tags taken out: `{{ … }}` becomes `v`, `{% … %}` and `{# … #}`
/// nothing, so that what is left is the markup the template writes.
fn without_tera(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(['{']) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let close = match rest.as_bytes().get(1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                out.push('{');
                rest = &rest[1..];
                continue;
            }
        };
        if close == "}}" {
            out.push('v');
        }
        rest = rest[2..].find(close).map_or("", |e| &rest[2 + e + 2..]);
    }
    out.push_str(rest);
    out
}

/// A policy as directive → sources, sources sorted.
fn policy(text: &str) -> BTreeMap<String, Vec<String>> {
    text.split(';')
        .filter_map(|directive| {
            let mut words = directive.split_whitespace();
            let name = words.next()?.to_ascii_lowercase();
            let mut sources: Vec<String> = words.map(str::to_string).collect();
            sources.sort();
            Some((name, sources))
        })
        .collect()
}

/// Directives a `<meta>` policy cannot carry.
const HEADER_ONLY: &[&str] = &["frame-ancestors", "report-uri", "report-to", "sandbox"];

fn without_header_only(mut policy: BTreeMap<String, Vec<String>>) -> BTreeMap<String, Vec<String>> {
    policy.retain(|name, _| !HEADER_ONLY.contains(&name.as_str()));
    policy
}

/// The `<meta>` policies of base.html: (every page, the search page).
fn meta_policies() -> (String, String) {
    let base = read(&repo().join("themes/default/templates/base.html"));
    let marker = "http-equiv=\"Content-Security-Policy\" content=\"";
    let start = base.find(marker).expect("a CSP <meta> tag in base.html") + marker.len();
    let end = start + base[start..].find("\">").unwrap();
    let raw = &base[start..end];
    let open = raw.find("{% if").expect("the search page's exception");
    let open_end = open + raw[open..].find("%}").unwrap() + 2;
    let close = raw.find("{% endif %}").unwrap();
    let exception = &raw[open_end..close];
    let after = &raw[close + "{% endif %}".len()..];
    (
        format!("{}{after}", &raw[..open]),
        format!("{}{exception}{after}", &raw[..open]),
    )
}

#[test]
fn the_meta_nginx_and_headers_file_policies_are_the_same() {
    let (page, search) = meta_policies();
    assert!(policy(&page)["script-src"] == ["'self'"], "{page}");
    assert!(
        policy(&search)["script-src"] == ["'self'", "'wasm-unsafe-eval'"],
        "{search}"
    );
    assert_eq!(policy(&page)["default-src"], ["'self'"]);

    // nginx: the policy names $atlas_script_src, set for every page, then for /recherche/.
    let nginx = read(&repo().join("docs/deploy/nginx-headers.conf"));
    let sets: Vec<&str> = nginx
        .lines()
        .filter_map(|l| l.trim().strip_prefix("set $atlas_script_src \""))
        .map(|v| v.trim_end_matches("\";"))
        .collect();
    assert_eq!(sets.len(), 2, "{nginx}");
    let header = |text: &str, name: &str| -> String {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&format!("add_header {name} ")))
            .unwrap_or_else(|| panic!("no {name} in nginx-headers.conf"));
        let value = &line[line.find('"').unwrap() + 1..];
        value[..value.rfind('"').unwrap()].to_string()
    };
    let nginx_csp = header(&nginx, "Content-Security-Policy");
    for (set, meta) in [(sets[0], &page), (sets[1], &search)] {
        let header_policy = policy(&nginx_csp.replace("$atlas_script_src", set));
        assert_eq!(header_policy["frame-ancestors"], ["'none'"]);
        assert_eq!(
            without_header_only(header_policy),
            policy(meta),
            "{nginx_csp}"
        );
    }
    assert_eq!(header(&nginx, "X-Content-Type-Options"), "nosniff");
    assert_eq!(
        header(&nginx, "Referrer-Policy"),
        "strict-origin-when-cross-origin"
    );

    // _headers: one rule for every path, with the search page's policy (each page's <meta>
    // keeps it stricter), and the same other headers as nginx.
    let headers = read(&repo().join("docs/deploy/_headers"));
    let values: BTreeMap<&str, &str> = headers
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim_start().starts_with('#'))
        .filter_map(|l| l.trim().split_once(": "))
        .collect();
    let rules: Vec<&str> = headers.lines().filter(|l| l.starts_with('/')).collect();
    assert_eq!(rules, ["/*"], "{headers}");
    let file_policy = policy(values["Content-Security-Policy"]);
    assert_eq!(file_policy["frame-ancestors"], ["'none'"]);
    assert_eq!(without_header_only(file_policy), policy(&search));
    for name in [
        "X-Content-Type-Options",
        "Referrer-Policy",
        "X-Frame-Options",
        "Permissions-Policy",
    ] {
        assert_eq!(values[name], header(&nginx, name), "{name}");
    }
}
