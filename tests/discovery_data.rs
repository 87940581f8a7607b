//! Integration tests of search, open data, feeds and SEO on the fixture site: the exports parse
//! (JSON, CSV, GeoJSON) and agree with the pages, the Atom feed and the sitemap are well-formed
//! and complete, `robots.txt` names the sitemap, the search page and bundle exist, and the
//! Pagefind index finds known pages for accented and unaccented queries (through Pagefind's own
//! JS, run by Node: `tests/search/pagefind-query.mjs`).
//!
//! Fixture: Avignon (coordinates 43.94929, 4.80559), Carpentras and Le Pontet (no coordinates);
//! case studies « Les Noëls Insolites » (2025-12-20, Carpentras, événementiel) and « La marque
//! "Avignon Tourisme" » (2019-01-28); one draft, left out.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const BASE: &str = "https://exemple.test/";

fn built(extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let site = fixture("mini");
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    let output = run(&args, site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    (site, public)
}

/// RFC 4180 rows: quoted fields, doubled quotes, CRLF line ends.
fn csv(text: &str) -> Vec<Vec<String>> {
    assert!(text.ends_with("\r\n"), "rows end with CRLF");
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => panic!("unquoted character {c:?} in {text}"),
        }
    }
    rows
}

/// A CSV file as (header, rows as maps).
fn csv_records(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let rows = csv(text);
    let header = &rows[0];
    rows[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.len(), header.len(), "{r:?}");
            header.iter().cloned().zip(r.iter().cloned()).collect()
        })
        .collect()
}

/// Slugs of the pages `<section>/<slug>/index.html`.
fn page_slugs(public: &Path, section: &str) -> BTreeSet<String> {
    std::fs::read_dir(public.join(section))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().join("index.html").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn villes_csv_and_geojson_agree_with_the_city_pages() {
    let (_site, public) = built(&[]);
    let pages = page_slugs(&public, "villes");
    assert_eq!(pages.len(), 3);
    let text = read(&public.join("donnees/villes.csv"));
    assert!(text.starts_with(
        "\"slug\",\"nom\",\"insee\",\"population\",\"population_annee\",\"epci\",\"epci_nom\",\"lat\",\"lon\",\"site_web\",\"fiche\",\"strategies\",\"publics\",\"canaux\",\"nb_cas\",\"url\"\r\n"
    ));
    let rows = csv_records(&text);
    let slugs: BTreeSet<String> = rows.iter().map(|r| r["slug"].clone()).collect();
    assert_eq!(slugs, pages, "one row per city page");
    for row in &rows {
        assert_eq!(row["url"], format!("{BASE}villes/{}/", row["slug"]));
        let html = read(&public.join(format!("villes/{}/index.html", row["slug"])));
        assert!(
            html.contains(&format!("<h1>{}</h1>", row["nom"])),
            "{}",
            row["nom"]
        );
        assert!(html.contains(&row["insee"]));
    }
    let avignon = rows.iter().find(|r| r["slug"] == "avignon").unwrap();
    assert_eq!(avignon["insee"], "84007");
    assert_eq!(avignon["population"], "92188");
    assert_eq!(avignon["epci"], "ca-du-grand-avignon-coga");
    assert_eq!(
        (avignon["lat"].as_str(), avignon["lon"].as_str()),
        ("43.94929", "4.80559")
    );
    assert_eq!(
        avignon["strategies"],
        "marque-touristique participation-citoyenne"
    );
    assert_eq!(avignon["fiche"], "complete");
    let pontet = rows.iter().find(|r| r["slug"] == "le-pontet").unwrap();
    assert_eq!(pontet["fiche"], "a-completer");
    assert_eq!(pontet["lat"], "");

    let geojson = json(&public.join("donnees/villes.geojson"));
    assert_eq!(geojson["type"], "FeatureCollection");
    let features = geojson["features"].as_array().unwrap();
    let with_point: BTreeSet<&str> = rows
        .iter()
        .filter(|r| !r["lat"].is_empty())
        .map(|r| r["slug"].as_str())
        .collect();
    assert_eq!(
        features.len(),
        with_point.len(),
        "one feature per city with a point"
    );
    for feature in features {
        assert_eq!(feature["type"], "Feature");
        assert_eq!(feature["geometry"]["type"], "Point");
        let slug = feature["properties"]["slug"].as_str().unwrap();
        let row = rows.iter().find(|r| r["slug"] == slug).unwrap();
        let coordinates = feature["geometry"]["coordinates"].as_array().unwrap();
        let (lon, lat) = (
            coordinates[0].as_f64().unwrap(),
            coordinates[1].as_f64().unwrap(),
        );
        assert_eq!(lon, row["lon"].parse::<f64>().unwrap(), "[lon, lat] order");
        assert_eq!(lat, row["lat"].parse::<f64>().unwrap());
        // The city page shows the same point.
        let html = read(&public.join(format!("villes/{slug}/index.html")));
        let shown = format!(
            "{}° N, {}° E",
            row["lat"].replace('.', ","),
            row["lon"].replace('.', ",")
        );
        assert!(html.contains(&shown), "{slug}: {shown}");
        assert_eq!(feature["properties"]["nom"], row["nom"].as_str());
        assert_eq!(feature["properties"]["url"], row["url"].as_str());
    }
    assert_eq!(
        features[0]["geometry"]["coordinates"],
        serde_json::json!([4.80559, 43.94929])
    );
}

#[test]
fn cas_csv_has_one_row_per_case_study_page_newest_first() {
    let (_site, public) = built(&[]);
    let rows = csv_records(&read(&public.join("donnees/cas.csv")));
    let slugs: Vec<&str> = rows.iter().map(|r| r["slug"].as_str()).collect();
    assert_eq!(slugs, ["noels-insolites", "marque-avignon"]);
    assert_eq!(
        slugs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>(),
        page_slugs(&public, "cas"),
        "one row per case-study page, no draft"
    );
    let marque = &rows[1];
    assert_eq!(marque["titre"], "La marque « Avignon Tourisme »");
    assert_eq!(marque["date"], "2019-01-28");
    assert_eq!(marque["statut"], "publie");
    assert_eq!(marque["villes"], "avignon le-pontet");
    assert_eq!(marque["url"], format!("{BASE}cas/marque-avignon/"));
    let html = read(&public.join("cas/marque-avignon/index.html"));
    assert!(html.contains("La marque «"));
    // With --drafts, the draft has a page and a row.
    let (_site, public) = built(&["--drafts"]);
    let rows = csv_records(&read(&public.join("donnees/cas.csv")));
    let draft = rows
        .iter()
        .find(|r| r["slug"] == "brouillon-secret")
        .expect("draft row");
    assert_eq!(draft["statut"], "brouillon");
}

#[test]
fn atlas_json_holds_everything_with_its_documentation() {
    let (_site, public) = built(&[]);
    let atlas = json(&public.join("donnees/atlas.json"));
    assert_eq!(atlas["licence"]["nom"], "Licence Ouverte 2.0 (Etalab)");
    assert!(
        atlas["licence"]["identite"]
            .as_str()
            .unwrap()
            .contains("@etalab/decoupage-administratif (licence MIT)")
    );
    let documentation = atlas["documentation"].as_object().unwrap();
    for field in [
        "villes[].slug",
        "villes[].coordonnees",
        "cas[].statut",
        "strategies[]",
    ] {
        assert!(documentation.contains_key(field), "{field} documented");
    }
    let cities = atlas["villes"].as_array().unwrap();
    assert_eq!(
        cities
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_string())
            .collect::<BTreeSet<_>>(),
        page_slugs(&public, "villes")
    );
    let avignon = &cities[0];
    assert_eq!(avignon["slug"], "avignon");
    assert_eq!(
        avignon["coordonnees"],
        serde_json::json!({"lat": 43.94929, "lon": 4.80559})
    );
    assert_eq!(avignon["epci"], "ca-du-grand-avignon-coga");
    assert_eq!(avignon["strategies"][0]["slug"], "marque-touristique");
    assert_eq!(
        avignon["strategies"][0]["detail"],
        "Marque partagée avec le Grand Avignon."
    );
    assert_eq!(avignon["canaux"][0]["audience"][0]["valeur"], 302750.0);
    assert_eq!(avignon["marques"][0]["depuis"], "2019-01-28");
    assert_eq!(avignon["cas"], serde_json::json!(["marque-avignon"]));
    // Every fact's sources are indices into the city's sources.
    for city in cities {
        let count = city["sources"].as_array().unwrap().len() as u64;
        for key in [
            "strategies",
            "publics",
            "canaux",
            "marques",
            "labels",
            "evenements",
        ] {
            for fact in city[key].as_array().unwrap() {
                for index in fact["sources"].as_array().unwrap() {
                    assert!(index.as_u64().unwrap() < count, "{}: {fact}", city["slug"]);
                }
            }
        }
    }
    let cases = atlas["cas"].as_array().unwrap();
    assert_eq!(
        cases
            .iter()
            .map(|c| c["slug"].as_str().unwrap().to_string())
            .collect::<BTreeSet<_>>(),
        page_slugs(&public, "cas")
    );
    assert_eq!(
        cases[1]["villes"],
        serde_json::json!(["avignon", "le-pontet"])
    );
    assert_eq!(cases[1]["sources"][0]["url"], "https://www.francebleu.fr/");
    for (key, section) in [
        ("strategies", "strategies"),
        ("canaux", "canaux"),
        ("publics", "publics"),
        ("intercommunalites", "intercommunalites"),
    ] {
        let slugs: BTreeSet<String> = atlas[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["slug"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(slugs, page_slugs(&public, section), "{key}");
    }
    assert_eq!(atlas["synergies"], format!("{BASE}donnees/synergies.json"));
    assert_eq!(
        json(&public.join("donnees/synergies.json"))["paires"][0]["ville_a"],
        "avignon"
    );
}

#[test]
fn the_data_page_lists_every_file_with_its_licence_size_and_fields() {
    let (_site, public) = built(&[]);
    let html = read(&public.join("donnees/index.html"));
    assert!(html.contains("<h1>Données ouvertes</h1>"));
    assert!(html.contains("Licence Ouverte&nbsp;2.0") || html.contains("Licence Ouverte 2.0"));
    assert!(
        html.contains("@etalab/decoupage-administratif (licence MIT)"),
        "{html}"
    );
    assert!(html.contains("IGN Admin Express (Licence Ouverte)"));
    let links = hrefs(&html);
    for (file, columns) in [
        ("atlas.json", &["villes[].slug", "documentation"][..]),
        ("villes.csv", &["insee", "epci_nom", "nb_cas"][..]),
        ("cas.csv", &["resume", "statut", "nb_sources"][..]),
        ("villes.geojson", &["geometry", "properties.url"][..]),
        ("synergies.json", &["paires[].score"][..]),
        ("opportunites.csv", &["distance_km", "cas_inspirants"][..]),
    ] {
        assert!(
            links.iter().any(|l| l == &format!("/donnees/{file}")),
            "{file} linked"
        );
        let bytes = std::fs::metadata(public.join("donnees").join(file))
            .unwrap()
            .len();
        assert!(
            html.contains(&format!("data-taille=\"{bytes}\"")),
            "{file}: size {bytes} shown"
        );
        for column in columns {
            assert!(
                html.contains(&format!("<code>{column}</code>")),
                "{file}: {column}"
            );
        }
    }
    // Sizes the French way, e.g. « 1,3 ko ».
    assert!(html.contains("\u{a0}ko</span>"), "{html}");
    assert!(html.contains("Colonnes de villes.csv"));
    assert!(html.contains("Champs de atlas.json"));
    // « Données » is in the navigation of every page.
    let home = read(&public.join("index.html"));
    assert!(home.contains(">Données</a>"));
}

#[test]
fn the_atom_feed_is_valid_and_lists_case_studies_newest_first() {
    let (_site, public) = built(&[]);
    let text = read(&public.join("cas/atom.xml"));
    let document = roxmltree::Document::parse(&text).expect("well-formed XML");
    let atom = "http://www.w3.org/2005/Atom";
    let feed = document.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(atom));
    let child = |node: roxmltree::Node<'_, '_>, name: &str| -> Option<String> {
        node.children()
            .find(|c| c.has_tag_name((atom, name)))
            .map(|c| c.text().unwrap_or_default().to_string())
    };
    // RFC 4287: a feed has id, title, updated and an author (here on the feed and entries).
    assert_eq!(child(feed, "id").unwrap(), format!("{BASE}cas/atom.xml"));
    assert_eq!(
        child(feed, "title").unwrap(),
        "Atlas d’essai — études de cas"
    );
    assert_eq!(
        child(feed, "updated").unwrap(),
        "2025-12-20T00:00:00Z",
        "the newest case study, not the build time"
    );
    let self_link = feed
        .children()
        .find(|c| c.has_tag_name((atom, "link")) && c.attribute("rel") == Some("self"))
        .unwrap();
    assert_eq!(
        self_link.attribute("href"),
        Some(&*format!("{BASE}cas/atom.xml"))
    );
    let entries: Vec<roxmltree::Node<'_, '_>> = feed
        .children()
        .filter(|c| c.has_tag_name((atom, "entry")))
        .collect();
    assert_eq!(entries.len(), page_slugs(&public, "cas").len());
    let mut previous = String::from("9999");
    let mut ids = BTreeSet::new();
    for entry in &entries {
        let updated = child(*entry, "updated").unwrap();
        assert!(
            updated.parse::<jiff::Timestamp>().is_ok(),
            "RFC 3339: {updated}"
        );
        assert!(updated <= previous, "newest first");
        previous = updated;
        assert!(ids.insert(child(*entry, "id").unwrap()), "unique ids");
        assert!(!child(*entry, "title").unwrap().is_empty());
        assert!(!child(*entry, "summary").unwrap().is_empty());
        let author = entry
            .children()
            .find(|c| c.has_tag_name((atom, "author")))
            .unwrap();
        assert_eq!(child(author, "name").unwrap(), "Équipe de test");
        let link = entry
            .children()
            .find(|c| c.has_tag_name((atom, "link")))
            .unwrap();
        let href = link.attribute("href").unwrap();
        let path = href.strip_prefix(BASE).unwrap();
        assert!(public.join(path).join("index.html").is_file(), "{href}");
    }
    assert_eq!(child(entries[0], "title").unwrap(), "Les Noëls Insolites");
    assert_eq!(
        child(entries[1], "title").unwrap(),
        "La marque «\u{202f}Avignon Tourisme\u{202f}»"
    );
    assert_eq!(
        child(entries[1], "summary").unwrap(),
        "Une marque touristique partagée entre la ville et l’agglomération."
    );
    // Every page announces the feed.
    let html = read(&public.join("villes/avignon/index.html"));
    assert!(html.contains(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Études de cas — Atlas d’essai\" href=\"/cas/atom.xml\">"
    ));
}

#[test]
fn the_sitemap_lists_exactly_the_public_pages_and_robots_txt_names_it() {
    let (_site, public) = built(&[]);
    let text = read(&public.join("sitemap.xml"));
    let document = roxmltree::Document::parse(&text).expect("well-formed XML");
    let ns = "http://www.sitemaps.org/schemas/sitemap/0.9";
    assert!(document.root_element().has_tag_name((ns, "urlset")));
    let locs: BTreeSet<String> = document
        .descendants()
        .filter(|n| n.has_tag_name((ns, "loc")))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    let pages: BTreeSet<String> = snapshot(&public)
        .keys()
        .filter(|p| p.ends_with(".html") && p.as_str() != "404.html")
        .map(|p| format!("{BASE}{}", p.strip_suffix("index.html").unwrap()))
        .collect();
    assert_eq!(locs, pages);
    assert!(locs.contains(&format!("{BASE}recherche/")));
    assert!(locs.contains(&format!("{BASE}donnees/")));
    assert!(locs.contains(BASE));
    assert_eq!(
        read(&public.join("robots.txt")),
        format!("User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\n")
    );
    // Under a sub-path, the URLs carry it.
    let (_site, public) = built(&["--base-url", "https://example.org/atlas/"]);
    let text = read(&public.join("sitemap.xml"));
    assert!(text.contains("<loc>https://example.org/atlas/villes/avignon/</loc>"));
    assert!(
        read(&public.join("robots.txt")).contains("Sitemap: https://example.org/atlas/sitemap.xml")
    );
    assert!(
        read(&public.join("cas/atom.xml"))
            .contains("<id>https://example.org/atlas/cas/noels-insolites/</id>")
    );
}

#[test]
fn every_page_has_language_canonical_url_description_opengraph_and_favicon() {
    let (_site, public) = built(&[]);
    for (path, bytes) in snapshot(&public) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        assert!(html.contains("<html lang=\"fr\">"), "{path}");
        let url = format!("{BASE}{}", path.strip_suffix("index.html").unwrap_or(&path));
        assert!(
            html.contains(&format!("<link rel=\"canonical\" href=\"{url}\">")),
            "{path}: canonical {url}"
        );
        assert!(
            html.contains(&format!("<meta property=\"og:url\" content=\"{url}\">")),
            "{path}"
        );
        for meta in [
            "<meta name=\"description\" content=\"",
            "<meta property=\"og:title\" content=\"",
            "<meta property=\"og:description\" content=\"",
        ] {
            let start = html.find(meta).unwrap_or_else(|| panic!("{path}: {meta}")) + meta.len();
            assert!(!html[start..].starts_with('"'), "{path}: empty {meta}");
        }
        assert!(
            html.contains("<link rel=\"icon\" href=\"/static/favicon.svg\""),
            "{path}"
        );
    }
    assert!(public.join("static/favicon.svg").is_file());
}

#[test]
fn the_search_page_and_box_work_without_javascript_and_the_bundle_exists() {
    let (_site, public) = built(&[]);
    let page = read(&public.join("recherche/index.html"));
    assert!(page.contains("<h1>Rechercher dans l’atlas</h1>"));
    assert!(page.contains("static/recherche.js"));
    assert!(page.contains("data-pagefind=\"/pagefind/pagefind.js\""));
    assert!(page.contains(
        "La recherche a besoin de JavaScript, qui est désactivé dans votre navigateur. Vous pouvez parcourir l’atlas par les listes ci-dessous"
    ));
    let browse = &page[page.find("id=\"titre-parcourir\"").unwrap()..];
    for link in [
        "/villes/",
        "/cas/",
        "/strategies/",
        "/canaux/",
        "/publics/",
        "/intercommunalites/",
        "/donnees/",
    ] {
        assert!(hrefs(browse).iter().any(|l| l == link), "browse {link}");
    }
    assert!(page.contains("<label for=\"recherche-requete\">Mots recherchés</label>"));
    // The form is shown by the script only; the search page's CSP lets Pagefind run its WASM.
    assert!(page.contains("data-pagefind=\"/pagefind/pagefind.js\" hidden>"));
    assert!(page.contains("script-src 'self' 'wasm-unsafe-eval';"));
    assert!(
        !page.contains("id=\"recherche-entete\""),
        "no second search box"
    );
    // Every other page: a plain GET form to /recherche/, and no WASM in its CSP.
    let city = read(&public.join("villes/avignon/index.html"));
    assert!(city.contains(
        "<form class=\"recherche-entete\" action=\"/recherche/\" method=\"get\" role=\"search\""
    ));
    assert!(city.contains("name=\"q\""));
    assert!(city.contains("<label for=\"recherche-entete\" class=\"visuellement-cache\">Rechercher dans l’atlas</label>"));
    assert!(city.contains("script-src 'self';"));
    assert!(!city.contains("wasm-unsafe-eval"));

    // Indexed pages carry their type; the others are not indexed.
    for (path, kind) in [
        ("villes/avignon/index.html", "Ville"),
        ("cas/marque-avignon/index.html", "Étude de cas"),
        ("strategies/evenementiel/index.html", "Stratégie"),
        ("canaux/site-web/index.html", "Canal"),
        ("publics/touristes/index.html", "Public"),
    ] {
        let html = read(&public.join(path));
        assert!(
            html.contains(&format!("data-pagefind-body data-pagefind-filter=\"type:{kind}\" data-pagefind-meta=\"type:{kind}\"")),
            "{path}"
        );
    }
    for path in [
        "index.html",
        "villes/index.html",
        "404.html",
        "recherche/index.html",
        "donnees/index.html",
        "intercommunalites/index.html",
    ] {
        assert!(
            !read(&public.join(path)).contains("data-pagefind-body"),
            "{path}"
        );
    }

    for file in ["pagefind.js", "pagefind-entry.json", "wasm.fr.pagefind"] {
        assert!(public.join("pagefind").join(file).is_file(), "{file}");
    }
    let entry = json(&public.join("pagefind/pagefind-entry.json"));
    assert_eq!(
        entry["languages"]["fr"]["page_count"], 12,
        "3 cities, 2 case studies, 7 terms"
    );
    let files: Vec<String> = snapshot(&public.join("pagefind")).into_keys().collect();
    assert!(files.iter().any(|f| f.ends_with(".pf_meta")));
    assert!(
        files
            .iter()
            .any(|f| f.starts_with("index/") && f.ends_with(".pf_index"))
    );
    // A small atlas keeps one fragment file per page: a result loads only its own.
    let fragments = files.iter().filter(|f| f.starts_with("fragment/")).count();
    assert_eq!(fragments, 12, "{files:?}");
    assert!(!files.iter().any(|f| f.contains("_group_")), "{files:?}");
    assert!(
        !files
            .iter()
            .any(|f| f.contains("pagefind-ui") || f.contains("worker")),
        "{files:?}"
    );
}

/// Runs `tests/search/pagefind-query.mjs` on a built site.
fn pagefind_search(public: &Path, base_path: &str, queries: &str) -> Value {
    let output = std::process::Command::new("node")
        .arg(repo().join("tests/search/pagefind-query.mjs"))
        .arg(public)
        .arg(queries)
        .arg("8")
        .arg(base_path)
        .output()
        .expect("Node.js is needed to run Pagefind's search (apt-get install nodejs)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn urls(result: &Value) -> Vec<&str> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap())
        .collect()
}

#[test]
fn the_index_finds_known_pages_with_or_without_accents() {
    let (_site, public) = built(&[]);
    let results = pagefind_search(
        &public,
        "/",
        r#"[{"q": "evenementiel"}, {"q": "événementiel"}, {"q": "EVENEMENTIEL"}, {"q": "noel"}, {"q": "noëls"},
            {"q": "avignon", "type": "Ville"}, {"q": "touristes", "type": "Public"}, {"q": "xqzw"}]"#,
    );
    let unaccented = urls(&results[0]);
    assert_eq!(
        unaccented.first(),
        Some(&"/strategies/evenementiel/"),
        "{unaccented:?}"
    );
    assert!(unaccented.contains(&"/cas/noels-insolites/"));
    assert!(unaccented.contains(&"/villes/carpentras/"));
    assert_eq!(urls(&results[1]), unaccented, "accents are optional");
    assert_eq!(urls(&results[2]), unaccented, "case does not matter");
    assert_eq!(results[0]["results"][0]["type"], "Stratégie");
    assert_eq!(
        results[0]["results"][0]["title"],
        "Stratégie événementielle"
    );
    let excerpt = results[0]["results"][0]["excerpt"].as_str().unwrap();
    assert!(excerpt.contains("<mark>événementielle"), "{excerpt}");
    assert_eq!(urls(&results[3]).first(), Some(&"/cas/noels-insolites/"));
    assert_eq!(urls(&results[4]).first(), Some(&"/cas/noels-insolites/"));
    assert_eq!(results[3]["results"][0]["type"], "Étude de cas");
    let cities = urls(&results[5]);
    assert_eq!(cities.first(), Some(&"/villes/avignon/"));
    assert!(
        results[5]["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["type"] == "Ville"),
        "type filter"
    );
    assert_eq!(urls(&results[6]), ["/publics/touristes/"]);
    assert_eq!(results[7]["count"], 0);
    // Source lists are not indexed: « Découpage administratif » is only a source of Avignon.
    let sources = pagefind_search(&public, "/", r#"[{"q": "administratif"}]"#);
    assert!(
        !urls(&sources[0]).contains(&"/villes/avignon/"),
        "{sources}"
    );
}

#[test]
fn search_results_carry_the_sub_path_of_the_site() {
    let (_site, public) = built(&["--base-url", "https://example.org/atlas/"]);
    let page = read(&public.join("recherche/index.html"));
    assert!(page.contains("data-pagefind=\"/atlas/pagefind/pagefind.js\""));
    let results = pagefind_search(
        &public,
        "/atlas/",
        r#"[{"q": "carpentras", "type": "Ville"}]"#,
    );
    assert_eq!(urls(&results[0]), ["/atlas/villes/carpentras/"]);
}

/// From `SPLIT_FROM` indexed pages, the search index is split in two Pagefind indexes built at
/// the same time (`pagefind/`, `pagefind-2/`); the search page names the second one, which
/// the theme's JS merges: a query finds the pages of both, filters included.
#[test]
fn a_large_atlas_gets_two_search_indexes_that_the_search_page_merges() {
    let site = fixture("mini");
    let cases = site.path().join("content/cas/genere");
    std::fs::create_dir_all(&cases).unwrap();
    let count = vaucluse_atlas::render::SEARCH_INDEX_SPLIT_FROM;
    for i in 0..count {
        std::fs::write(
            cases.join(format!("etude-{i:04}.md")),
            format!(
                "---\ntitre: Étude numéro {i}\nresume: Une étude générée.\nvilles: [{}]\n\
                 strategies: [marque-touristique]\npublics: [touristes]\ndate: 2020-01-01\n\
                 statut: publie\nsources:\n  - titre: Source\n    url: https://exemple.test/{i}\n    \
                 consulte: 2026-11-27\n---\nLe mot-repère zephyrin{i} apparaît ici.\n",
                ["avignon", "carpentras", "le-pontet"][i % 3]
            ),
        )
        .unwrap();
    }
    let output = run(&["build"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    for dir in ["pagefind", "pagefind-2"] {
        assert!(
            public.join(dir).join("pagefind-entry.json").is_file(),
            "{dir}"
        );
    }
    assert!(!public.join("pagefind-3").exists());
    // From 1,000 pages an index, the fragments (each result's title, excerpt, URL) come four
    // to a file: a quarter of the files to write and to deploy.
    for dir in ["pagefind", "pagefind-2"] {
        let entry: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(public.join(dir).join("pagefind-entry.json")).unwrap(),
        )
        .unwrap();
        let pages = entry["languages"]["fr"]["page_count"].as_u64().unwrap() as usize;
        assert!(pages >= 1_000, "{dir}: {pages}");
        let names: Vec<String> = std::fs::read_dir(public.join(dir).join("fragment"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), pages.div_ceil(4), "{dir}");
        assert!(
            names.iter().all(|n| n.starts_with("fr_group_")),
            "{names:?}"
        );
    }
    let page = std::fs::read_to_string(public.join("recherche/index.html")).unwrap();
    assert!(
        page.contains(r#"data-pagefind-fusion="/pagefind-2/""#),
        "{page}"
    );
    // Two consecutive case studies go to different indexes (page p to index p % 2): both are
    // found, and the type filter applies to both.
    let results = pagefind_search(
        &public,
        "/",
        r#"[{"q": "zephyrin0"}, {"q": "zephyrin1"}, {"q": "étude", "type": "Étude de cas"}]"#,
    );
    // (The last word of a query is also a prefix: « zephyrin1 » finds « zephyrin10 »… after.)
    assert_eq!(urls(&results[0])[0], "/cas/etude-0000/");
    assert_eq!(urls(&results[1])[0], "/cas/etude-0001/");
    assert!(
        results[2]["count"].as_u64().unwrap() >= count as u64,
        "{}",
        results[2]
    );
}
