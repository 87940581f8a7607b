//! Integration tests of the maps (`/carte/…`, the small maps of city and intercommunality
//! pages) and of `/observatoire/`, on the fixture site, on the fixture with hand-made
//! outlines (`tests/fixtures/contours`), and on the real atlas of the repository.
//!
//! Fixture: Avignon (43.94929 N, 4.80559 E, a point of the city) and Carpentras (44.05935 N,
//! 5.06147 E, its centroid in the department's data) have coordinates and complete cards;
//! Le Pontet has neither (its card is not complete). Avignon's card lists `site-web`; Le
//! Pontet gets `site-web` from the case study « marque-avignon ».

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;

const NOTICE: &str = "Carte schématique";

fn built_fixture() -> (tempfile::TempDir, PathBuf) {
    let site = fixture("mini");
    let output = run(&["build"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    (site, public)
}

/// The fixture with `tests/fixtures/contours/communes-mini.geojson` (or `geojson`) as its
/// outlines file, at `content/carte/communes.geojson`.
fn fixture_with_outlines(geojson: Option<&str>) -> tempfile::TempDir {
    let site = fixture("mini");
    let text = geojson
        .map(str::to_string)
        .unwrap_or_else(|| read(&repo().join("tests/fixtures/contours/communes-mini.geojson")));
    std::fs::create_dir_all(site.path().join("content/carte")).unwrap();
    std::fs::write(site.path().join("content/carte/communes.geojson"), text).unwrap();
    let config = site.path().join("atlas.yaml");
    let atlas = read(&config) + "carte:\n  contours: content/carte/communes.geojson\n";
    std::fs::write(&config, atlas).unwrap();
    site
}

/// The big map of a page: its `<svg class="carte-svg" …>…</svg>`, minified or not.
fn map_svg(html: &str) -> &str {
    let start = html
        .find("class=\"carte-svg\"")
        .or_else(|| html.find("class=carte-svg"))
        .map(|i| html[..i].rfind("<svg").unwrap())
        .expect("a map");
    let end = start + html[start..].find("</svg>").unwrap() + 6;
    &html[start..end]
}

/// The value of attribute `name` in the tag starting at `tag`, quoted or not (minified).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let mut rest = tag;
    while let Some(i) = rest.find(name) {
        let before = rest[..i].chars().last();
        rest = &rest[i + name.len()..];
        if !matches!(before, Some(' ') | Some('\n')) || !rest.starts_with('=') {
            continue;
        }
        let value = &rest[1..];
        return Some(match value.strip_prefix('"') {
            Some(quoted) => quoted[..quoted.find('"').unwrap()].to_string(),
            None => value
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap()
                .to_string(),
        });
    }
    None
}

/// Each commune link of a map (its `href`) and the centre of its point.
fn nodes(svg: &str) -> BTreeMap<String, (f64, f64)> {
    let mut out = BTreeMap::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<a ") {
        rest = &rest[i..];
        let end = rest.find("</a>").unwrap();
        let link = &rest[..end];
        let href = attribute(link, "href").unwrap();
        let circle = &link[link.find("<circle").expect("a point")..];
        let number = |name: &str| -> f64 {
            attribute(circle, name)
                .unwrap()
                .trim_end_matches('/')
                .parse()
                .unwrap()
        };
        let (x, y) = (number("cx"), number("cy"));
        out.insert(href, (x, y));
        rest = &rest[end..];
    }
    out
}

/// Paths of commune areas in the map (one per commune drawn with an area).
fn area_paths(svg: &str) -> usize {
    let start = svg.find("carte-communes").unwrap();
    let end = svg[start..].find("</g>").unwrap() + start;
    svg[start..end].matches("<path").count()
}

#[test]
fn the_fixture_map_places_every_commune_where_it_is_as_a_link() {
    let (_site, public) = built_fixture();
    let html = read(&public.join("carte/index.html"));
    let svg = map_svg(&html);
    let nodes = nodes(svg);
    assert_eq!(
        nodes.keys().collect::<Vec<_>>(),
        ["/villes/avignon/", "/villes/carpentras/"],
        "every commune with coordinates is a link, and only those"
    );
    let (avignon, carpentras) = (nodes["/villes/avignon/"], nodes["/villes/carpentras/"]);
    assert!(avignon.0 < carpentras.0, "Avignon west of Carpentras");
    assert!(
        avignon.1 > carpentras.1,
        "Avignon south of Carpentras (SVG y down)"
    );
    // Accessibility: a group (it holds links) with a title; a tooltip per commune.
    assert!(svg.contains("role=\"group\""), "{svg}");
    assert!(svg.contains("<title id=\"carte-titre\">"));
    assert!(
        svg.contains("<title>Avignon\u{a0}: CA du Grand Avignon (COGA)</title>"),
        "{svg}"
    );
    assert!(!svg.contains("style="), "no inline style (CSP)");
    // Principal cities (complete cards) labelled.
    assert!(svg.contains(">Carpentras</text>"));
    assert!(svg.contains(">Avignon</text>"));
    // Schematic: one Voronoi cell per placed commune, and the notice.
    assert_eq!(area_paths(svg), 2);
    assert!(
        html.contains(&format!("{NOTICE}\u{a0}: cellules de Voronoï"))
            || html.contains(&format!("{NOTICE}\u{202f}: cellules de Voronoï")),
        "{html}"
    );
    // The text alternative right after: a table with every placed commune and its category.
    let after = &html[html.find("</figure>").unwrap()..];
    let table = &after[..after.find("</table>").unwrap()];
    assert!(table.contains("<caption>La carte en texte"));
    for (slug, epci) in [
        ("avignon", "CA du Grand Avignon (COGA)"),
        ("carpentras", "CA Ventoux-Comtat-Venaissin (CoVe)"),
    ] {
        let row = &table[table.find(&format!("href=\"/villes/{slug}/\"")).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains(&format!("<td>{epci}</td>")), "{row}");
    }
    // Le Pontet, without coordinates, is named as absent from the map.
    let absent = &after[after.find("</table>").unwrap()..];
    let absent = &absent[..absent.find("</section>").unwrap()];
    assert!(absent.contains("absentes de la carte"), "{absent}");
    assert!(hrefs(absent).contains(&"/villes/le-pontet/".to_string()));
    // Legend with the counts of placed communes.
    assert!(
        html.contains("CA du Grand Avignon (COGA) <span class=\"mention\">(1&nbsp;commune)</span>"),
        "{html}"
    );
}

#[test]
fn maps_by_maturity_and_by_strategy_exist_and_the_nav_links_them() {
    let (_site, public) = built_fixture();
    let maturity = read(&public.join("carte/maturite/index.html"));
    let svg = map_svg(&maturity);
    assert_eq!(nodes(svg).len(), 2);
    // Avignon: site-web with a dated audience → 4/4; Carpentras: no digital channel.
    assert!(
        svg.contains(
            "<title>Avignon\u{a0}: maturité numérique 4/4\u{a0}: pilotage par la donnée</title>"
        ),
        "{svg}"
    );
    assert!(
        svg.contains("<title>Carpentras\u{a0}: maturité numérique non renseigné</title>"),
        "{svg}"
    );
    assert!(
        svg.contains("url(#carte-hachures)"),
        "« non renseigné » is hatched"
    );
    let strategy = read(&public.join("carte/strategies/evenementiel/index.html"));
    let svg = map_svg(&strategy);
    assert!(
        svg.contains("<title>Carpentras\u{a0}: stratégie documentée</title>"),
        "{svg}"
    );
    assert!(svg.contains("<title>Avignon\u{a0}: fiche complète, stratégie non documentée</title>"));
    let strategy = read(&public.join("carte/strategies/marque-touristique/index.html"));
    assert!(map_svg(&strategy).contains("<title>Avignon\u{a0}: stratégie documentée</title>"));
    let home = read(&public.join("index.html"));
    let links = hrefs(&home);
    assert!(links.contains(&"/carte/".to_string()));
    assert!(links.contains(&"/observatoire/".to_string()));
    // Every map links the others.
    let menu = hrefs(&maturity);
    for page in [
        "/carte/",
        "/carte/strategies/marque-touristique/",
        "/carte/strategies/participation-citoyenne/",
    ] {
        assert!(menu.contains(&page.to_string()), "{page}");
    }
}

/// The small map of a page and its caption, if it has one.
fn small_map(html: &str) -> Option<(&str, &str)> {
    let start = html.find("<svg class=\"petite-carte\"")?;
    let svg = &html[start..start + html[start..].find("</svg>").unwrap()];
    let caption = &html[start..];
    let caption = &caption[..caption.find("</figure>").unwrap()];
    Some((svg, caption))
}

#[test]
fn city_and_intercommunality_pages_have_a_small_map() {
    let (_site, public) = built_fixture();
    let page = read(&public.join("villes/avignon/index.html"));
    let (svg, caption) = small_map(&page).unwrap();
    assert!(svg.contains("role=\"img\""), "no link inside: an image");
    assert!(
        svg.contains("<title id=\"petite-carte-titre\">Situation d’Avignon dans le département, parmi les communes de la CA du Grand Avignon (COGA)</title>"),
        "{svg}"
    );
    assert!(svg.contains("class=\"pc-ville\""));
    assert!(
        !svg.contains("class=\"pc-epci\""),
        "Le Pontet is not placed"
    );
    assert!(hrefs(caption).contains(&"/carte/".to_string()));
    assert!(hrefs(caption).contains(&"/intercommunalites/ca-du-grand-avignon-coga/".to_string()));
    assert!(caption.contains(NOTICE));
    // Le Pontet has no coordinates: no small map.
    assert!(small_map(&read(&public.join("villes/le-pontet/index.html"))).is_none());
    let page = read(&public.join("intercommunalites/ca-du-grand-avignon-coga/index.html"));
    let (svg, _) = small_map(&page).unwrap();
    assert!(svg.contains("Les communes de la CA du Grand Avignon (COGA) dans le département"));
    assert!(svg.contains("class=\"pc-epci\""), "Avignon");
}

#[test]
fn outlines_from_geojson_are_drawn_instead_of_the_schematic_map() {
    let site = fixture_with_outlines(None);
    let output = run(&["build"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let html = read(&site.path().join("public/carte/index.html"));
    let svg = map_svg(&html);
    assert_eq!(
        area_paths(svg),
        3,
        "one path per commune (rings and polygons inside)"
    );
    // Avignon's hole and Carpentras's two squares: several rings in one path.
    for city in ["avignon", "carpentras"] {
        let at = &svg[svg.find(&format!("/villes/{city}/")).unwrap()..];
        let d = attribute(&at[at.find("<path").unwrap()..], "d").unwrap();
        assert_eq!(d.matches('M').count(), 2, "{city}: {d}");
    }
    assert!(svg.contains("fill-rule=\"evenodd\""));
    assert!(
        !html.contains(NOTICE),
        "no schematic notice with real outlines"
    );
    assert!(
        html.contains("content/carte/communes.geojson"),
        "the outlines' source is named"
    );
    // Le Pontet, without coordinates, is placed at the centre of its outline: north-east of
    // Avignon's point.
    let nodes = nodes(svg);
    assert_eq!(nodes.len(), 3);
    let (avignon, pontet) = (nodes["/villes/avignon/"], nodes["/villes/le-pontet/"]);
    assert!(pontet.0 > avignon.0 && pontet.1 < avignon.1, "{nodes:?}");
    // The small maps use the outlines too, and show the intercommunality.
    let page = read(&site.path().join("public/villes/avignon/index.html"));
    let (svg, caption) = small_map(&page).unwrap();
    assert!(svg.contains("class=\"pc-ville\""));
    assert!(
        svg.contains("class=\"pc-epci\""),
        "Le Pontet, same intercommunality"
    );
    assert!(
        hrefs(caption).contains(&"/villes/le-pontet/".to_string()),
        "{caption}"
    );
    assert!(!caption.contains(NOTICE));
}

#[test]
fn a_commune_without_outline_is_a_warning_and_keeps_its_point() {
    let text = read(&repo().join("tests/fixtures/contours/communes-mini.geojson"));
    let mut geojson: serde_json::Value = serde_json::from_str(&text).unwrap();
    geojson["features"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["properties"]["code"] != "84031");
    let site = fixture_with_outlines(Some(&serde_json::to_string_pretty(&geojson).unwrap()));
    let output = run(&["build"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("avertissement : content/carte/communes.geojson : la commune Carpentras (84031) n’a pas de contour\u{a0}: elle sera marquée par un point"),
        "{err}"
    );
    let html = read(&site.path().join("public/carte/index.html"));
    let svg = map_svg(&html);
    assert_eq!(area_paths(svg), 2);
    assert!(
        nodes(svg).contains_key("/villes/carpentras/"),
        "still placed by its coordinates"
    );
}

#[test]
fn geojson_errors_name_the_file_and_the_line() {
    // Broken JSON: a missing comma on line 4.
    let site = fixture_with_outlines(Some(
        "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\", \"properties\": {\"code\": \"84007\"}, \"geometry\": null}\n  {\"type\": \"Feature\"}\n ]}\n",
    ));
    let output = run(&["check"], site.path());
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("erreur : content/carte/communes.geojson:4:3 : JSON invalide"),
        "{err}"
    );

    // An unknown INSEE code, on line 3; a geometry that is not a polygon, on line 4.
    let site = fixture_with_outlines(Some(
        "{\"type\": \"FeatureCollection\", \"features\": [\n  {\"type\": \"Feature\", \"properties\": {\"code\": \"84007\"}, \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[4.8, 43.9], [4.9, 43.9], [4.9, 44.0]]]}},\n  {\"type\": \"Feature\", \"properties\": {\"code\": \"84008\"}, \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[4.8, 43.9], [4.9, 43.9], [4.9, 44.0]]]}},\n  {\"type\": \"Feature\", \"properties\": {\"code\": \"84031\"}, \"geometry\": {\"type\": \"Point\", \"coordinates\": [5.0, 44.0]}}\n]}\n",
    ));
    let output = run(&["check"], site.path());
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("erreur : content/carte/communes.geojson:3:46 : code INSEE inconnu «\u{202f}84008\u{202f}»"),
        "{err}"
    );
    assert!(
        err.contains("vouliez-vous dire «\u{202f}84007\u{202f}»"),
        "{err}"
    );
    assert!(
        err.contains("content/carte/communes.geojson:4:3 : contour de «\u{202f}84031\u{202f}» (élément n°\u{a0}3)\u{a0}: géométrie «\u{202f}Point\u{202f}» non prise en charge"),
        "{err}"
    );

    // Coordinates in Lambert-93 instead of degrees.
    let site = fixture_with_outlines(Some(
        "{\"type\": \"FeatureCollection\", \"features\": [{\"type\": \"Feature\", \"properties\": {\"code\": \"84007\"}, \"geometry\": {\"type\": \"Polygon\", \"coordinates\": [[[845000, 6313000], [846000, 6313000], [846000, 6314000]]]}}]}\n",
    ));
    let err = stderr(&run(&["check"], site.path()));
    assert!(
        err.contains("le fichier est peut-être en Lambert-93"),
        "{err}"
    );

    // A missing file: the error points at `contours` in atlas.yaml.
    let site = fixture("mini");
    let config = site.path().join("atlas.yaml");
    let atlas = read(&config);
    let line = atlas.lines().count() + 2;
    std::fs::write(
        &config,
        atlas + "carte:\n  contours: contours/absent.geojson\n",
    )
    .unwrap();
    let output = run(&["check"], site.path());
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "erreur : atlas.yaml:{line}:13 : fichier de contours «\u{202f}contours/absent.geojson\u{202f}» illisible\u{a0}: fichier introuvable"
        )),
        "{err}"
    );
    // And a failed build leaves no output.
    let output = run(&["build"], site.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(!site.path().join("public").exists());
}

/// Table rows of the chart `id` of `/observatoire/`: first cell text (link text or not),
/// then the other cells.
fn chart_table(html: &str, id: &str) -> Vec<Vec<String>> {
    let section = &html[html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| html.find(&format!("id={id}")).unwrap())..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("<svg"), "{id}: a chart");
    assert!(section.contains("<title"), "{id}: the chart has a title");
    assert!(
        section.find("</svg>").unwrap() < section.find("<table").unwrap(),
        "{id}: the table follows the chart"
    );
    assert!(
        section.contains("<caption>"),
        "{id}: the table has a caption"
    );
    // Minified pages may omit optional closing tags: read up to the end of the table.
    let body = &section[section.find("<tbody>").unwrap()..section.find("</table>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split(['<', '>'])
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, t)| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .collect()
}

#[test]
fn the_observatory_charts_match_the_content() {
    let (_site, public) = built_fixture();
    let html = read(&public.join("observatoire/index.html"));
    assert!(html.contains("Comment utilisent-elles les nouveaux outils numériques"));
    assert_eq!(html.matches("<svg class=\"graphique\"").count(), 5);
    assert_eq!(html.matches("role=\"img\"").count(), 5);
    // Channels, among the 2 complete cards: site-web is Avignon's (Le Pontet's comes from a
    // case study, but its card is not complete); appli, nobody's.
    let channels = chart_table(&html, "canaux");
    assert!(
        channels.contains(&vec![
            "Site officiel".into(),
            "1".into(),
            "50\u{202f}%".into()
        ]),
        "{channels:?}"
    );
    assert!(
        channels.contains(&vec![
            "Application mobile".into(),
            "0".into(),
            "0\u{202f}%".into()
        ]),
        "{channels:?}"
    );
    assert!(
        html.contains("50\u{202f}% (1/2)"),
        "the value is written on the bar"
    );
    assert!(
        html.contains("Part des 2 villes à fiche complète (%)"),
        "axis label"
    );
    // Strategies: marque-touristique is Avignon's and Le Pontet's (case study).
    let strategies = chart_table(&html, "strategies");
    assert!(
        strategies.contains(&vec![
            "Marque de destination".into(),
            "Levier image".into(),
            "2".into()
        ]),
        "{strategies:?}"
    );
    assert!(strategies.contains(&vec![
        "Stratégie événementielle".into(),
        "Levier valeur".into(),
        "1".into()
    ]));
    // Maturity: « non renseigné » is written as such.
    let maturity = chart_table(&html, "maturite-villes");
    let carpentras = maturity.iter().find(|r| r[0] == "Carpentras").unwrap();
    assert_eq!(carpentras[1], "non renseigné", "{maturity:?}");
    assert_eq!(carpentras[3], "1/3\u{a0}: initiée");
    let section = &html[html.find("id=\"maturite-villes\"").unwrap()..];
    assert!(section[..section.find("</svg>").unwrap()].contains(">non renseigné</text>"));
    // By intercommunality: COGA has Avignon (4/4) and Le Pontet (non renseigné).
    let epcis = chart_table(&html, "maturite-intercommunalites");
    // Le Pontet: site-web through a case study, so 1/4 « présence ».
    assert!(
        epcis.contains(&vec![
            "CA du Grand Avignon (COGA)".into(),
            "1".into(),
            "0".into(),
            "0".into(),
            "1".into(),
            "0".into(),
            "2".into()
        ]),
        "{epcis:?}"
    );
    let carpentras = epcis
        .iter()
        .find(|r| r[0].starts_with("CA Ventoux"))
        .unwrap();
    assert_eq!(carpentras[1..], ["0", "0", "0", "0", "1", "1"], "{epcis:?}");
    // Case studies by year (published only, not the draft): 2019 and 2025.
    let years = chart_table(&html, "cas-annees");
    assert_eq!(
        years,
        vec![
            vec!["2019".to_string(), "1".into()],
            vec!["2025".to_string(), "1".into()]
        ]
    );
}

/// The real atlas, built once into a temporary folder.
fn real_atlas() -> &'static Path {
    static BUILT: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let out = tempfile::tempdir().unwrap();
            let output = run(
                &["build", "--output", out.path().to_str().unwrap()],
                &repo(),
            );
            assert!(output.status.success(), "{}", stderr(&output));
            out
        })
        .path()
}

#[test]
fn the_real_atlas_map_is_schematic_complete_and_reasonably_small() {
    let public = real_atlas();
    let html = read(&public.join("carte/index.html"));
    let svg = map_svg(&html);
    let nodes = nodes(svg);
    let with_coordinates: Vec<String> = std::fs::read_dir(repo().join("content/villes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| read(p).lines().any(|l| l.starts_with("coordonnees:")))
        .map(|p| format!("/villes/{}/", p.file_stem().unwrap().to_string_lossy()))
        .collect();
    assert!(with_coordinates.len() >= 151, "{}", with_coordinates.len());
    for city in &with_coordinates {
        assert!(nodes.contains_key(city), "{city} is a link of the map");
    }
    let (avignon, carpentras, cavaillon) = (
        nodes["/villes/avignon/"],
        nodes["/villes/carpentras/"],
        nodes["/villes/cavaillon/"],
    );
    assert!(avignon.0 < carpentras.0, "Avignon west of Carpentras");
    assert!(avignon.1 < cavaillon.1, "Avignon north of Cavaillon");
    assert!(html.contains(NOTICE), "no outlines file: schematic");
    assert!(
        svg.len() < 60_000,
        "the department's map stays small: {} bytes",
        svg.len()
    );
}

#[test]
fn the_real_observatory_counts_the_websites_of_complete_cards() {
    let public = real_atlas();
    let html = read(&public.join("observatoire/index.html"));
    // Expected, from the model directly: complete cards using « site-web » in their card or
    // through a case study about them.
    let (loaded, _) = vaucluse_atlas::load::load_site(&repo());
    let (site, _) = vaucluse_atlas::resolve::resolve(&loaded, &Default::default());
    let site = site.expect("the real atlas resolves");
    let web = site
        .channels
        .iter()
        .position(|c| c.slug == "site-web")
        .unwrap();
    let complete: Vec<usize> = (0..site.cities.len())
        .filter(|&c| site.cities[c].complete)
        .collect();
    let on_web = complete
        .iter()
        .filter(|&&c| {
            site.cities[c].channels.iter().any(|f| f.term == web)
                || site
                    .cases
                    .iter()
                    .any(|k| k.cities.contains(&c) && k.channels.contains(&web))
        })
        .count();
    let rows = chart_table(&html, "canaux");
    let row = rows.iter().find(|r| r[0] == "Site officiel").unwrap();
    assert_eq!(row[1], on_web.to_string(), "{row:?}");
    assert!(html.contains(&format!(
        "Part des {} villes à fiche complète",
        complete.len()
    )));
}
