//! Integration tests of the synergy pages on the fixture site: closest cities with their
//! reasons, related case studies, opportunities (pages per kind and per city, strategy pages),
//! `/synergies/`, and the exports. Expected values are worked out by hand in the comments.
//!
//! Fixture: Avignon (marque-touristique, participation-citoyenne; touristes; site-web; COGA),
//! Carpentras (evenementiel; habitants, touristes; CoVe), Le Pontet (COGA, no card facts, but
//! the case study « marque-avignon » gives it marque-touristique, site-web and touristes).

mod common;

use common::*;

const NNBSP: char = '\u{202f}';

fn built() -> (tempfile::TempDir, std::path::PathBuf) {
    let site = fixture("mini");
    let output = run(&["build"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    (site, public)
}

fn section<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("{from} not found"));
    let end = html[start..].find(to).map_or(html.len(), |i| start + i);
    &html[start..end]
}

#[test]
fn a_city_page_lists_its_closest_cities_with_the_reasons() {
    let (_site, public) = built();
    let html = read(&public.join("villes/avignon/index.html"));
    let closest = section(&html, "id=\"titre-proches\"", "</section>");
    // Le Pontet: 1 strategy ×3 + 1 public + 1 channel + same EPCI 2 + 1 case study ×4 = 11.
    // Carpentras: 1 public (touristes) = 1.
    let links = hrefs(closest);
    let pontet = links
        .iter()
        .position(|l| l == "/villes/le-pontet/")
        .expect("Le Pontet listed");
    let carpentras = links
        .iter()
        .position(|l| l == "/villes/carpentras/")
        .expect("Carpentras listed");
    assert!(pontet < carpentras, "strongest first");
    assert!(closest.contains("score 11"), "{closest}");
    assert!(closest.contains("1 stratégie commune&#8239;: <a href=\"/strategies/marque-touristique/\">marque de destination</a>"), "{closest}");
    assert!(closest.contains("1 étude de cas commune"));
    assert!(closest.contains("même intercommunalité"));
    assert!(closest.contains("1 public commun"));
}

#[test]
fn the_number_of_closest_cities_and_the_weights_come_from_atlas_yaml() {
    let site = fixture("mini");
    let config = site.path().join("atlas.yaml");
    let text = read(&config) + "synergies:\n  villes_proches: 1\n  poids:\n    strategies: 10\n";
    std::fs::write(&config, text).unwrap();
    assert!(run(&["build"], site.path()).status.success());
    let html = read(&site.path().join("public/villes/avignon/index.html"));
    let closest = section(&html, "id=\"titre-proches\"", "</section>");
    assert!(
        closest.contains("score 18"),
        "10 + 1 + 1 + 2 + 4: {closest}"
    );
    assert!(
        !hrefs(closest).iter().any(|l| l == "/villes/carpentras/"),
        "only one closest city"
    );
}

#[test]
fn a_case_study_lists_related_case_studies_with_the_reason() {
    let (_site, public) = built();
    let html = read(&public.join("cas/marque-avignon/index.html"));
    let related = section(&html, "id=\"titre-cas-lies\"", "</section>");
    assert!(hrefs(related).iter().any(|l| l == "/cas/noels-insolites/"));
    assert!(
        related.contains(&format!("1 public commun{NNBSP}: touristes")),
        "{related}"
    );
}

#[test]
fn opportunities_are_listed_and_filterable_without_javascript() {
    let (_site, public) = built();
    let all = read(&public.join("opportunites/index.html"));
    // Transfer: Carpentras (touristes, like Avignon) has no destination brand.
    assert!(
        all.contains("Carpentras pourrait s’inspirer de “La marque «"),
        "{all}"
    );
    // Gap: Carpentras names touristes, its only strategy (événementiel) addresses habitants.
    assert!(all.contains("Carpentras vise les «"), "{all}");
    // Editorial.
    assert!(all.contains("Un Noël en réseau entre Avignon et Carpentras"));
    assert_eq!(all.matches("data-opportunite ").count(), 3, "{all}");
    let transfers = read(&public.join("opportunites/transfert/index.html"));
    assert_eq!(transfers.matches("data-opportunite ").count(), 1);
    // Its inspiring case study is about two cities: one link to read, with both.
    let to_read = section(&transfers, "À lire", "</dd>");
    assert_eq!(hrefs(to_read), ["/cas/marque-avignon/"], "{to_read}");
    assert!(to_read.ends_with("(Avignon, Le Pontet)"), "{to_read}");
    let carpentras = read(&public.join("opportunites/villes/carpentras/index.html"));
    assert_eq!(carpentras.matches("data-opportunite ").count(), 3);
    let avignon = read(&public.join("opportunites/villes/avignon/index.html"));
    assert_eq!(avignon.matches("data-opportunite ").count(), 1);
    assert!(
        public
            .join("opportunites/public-non-couvert/index.html")
            .is_file()
    );
    assert!(public.join("opportunites/editoriale/index.html").is_file());
    assert!(
        all.contains("static/opportunites.js"),
        "client-side filter script"
    );
    let strategy = read(&public.join("strategies/marque-touristique/index.html"));
    let could = section(&strategy, "id=\"opportunites\"", "</section>");
    assert!(
        hrefs(could).iter().any(|l| l == "/villes/carpentras/"),
        "{could}"
    );
}

#[test]
fn the_synergies_page_has_the_matrix_the_pairs_and_the_graph() {
    let (_site, public) = built();
    for page in ["synergies/index.html", "synergies/score/index.html"] {
        let html = read(&public.join(page));
        assert!(html.contains("<table class=\"tableau matrice\""), "{page}");
        assert!(html.contains("<svg class=\"graphe\""), "{page}");
    }
    let html = read(&public.join("synergies/index.html"));
    let graph = section(&html, "<svg class=\"graphe\"", "</svg>");
    let nodes = hrefs(graph);
    assert!(nodes.contains(&"/villes/avignon/".to_string()));
    assert!(nodes.contains(&"/villes/le-pontet/".to_string()));
    assert!(
        !nodes.contains(&"/villes/carpentras/".to_string()),
        "no shared strategy: not in the graph"
    );
    let pairs = section(&html, "id=\"paires\"", "</section>");
    assert!(pairs.contains("score 11"));
    let text = section(&html, "class=\"graphe-texte\"", "</ul>");
    assert!(
        hrefs(text).contains(&"/villes/le-pontet/".to_string()),
        "text alternative of the graph"
    );
}

#[test]
fn synergies_and_opportunities_are_exported() {
    let (_site, public) = built();
    let json: serde_json::Value =
        serde_json::from_str(&read(&public.join("donnees/synergies.json"))).unwrap();
    let pairs: Vec<(String, String, f64)> = json["paires"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ville_a"].as_str().unwrap().to_string(),
                p["ville_b"].as_str().unwrap().to_string(),
                p["score"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("avignon".into(), "le-pontet".into(), 11.0),
            ("avignon".into(), "carpentras".into(), 1.0),
            ("carpentras".into(), "le-pontet".into(), 1.0),
        ]
    );
    assert_eq!(
        json["paires"][0]["raisons"]["strategies"],
        serde_json::json!(["marque-touristique"])
    );
    assert_eq!(
        json["paires"][0]["raisons"]["intercommunalite"],
        "ca-du-grand-avignon-coga"
    );
    let csv = read(&public.join("donnees/opportunites.csv"));
    let rows: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        rows[0],
        "type,villes,strategie,public,intercommunalite,distance_km,cas_inspirants,titre"
    );
    let kinds: Vec<&str> = rows[1..]
        .iter()
        .map(|r| r.split(',').next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["\"transfert\"", "\"public-non-couvert\"", "\"editoriale\""]
    );
    // A computed opportunity: its inspiring case study once, though it is about two cities
    // (Avignon and Le Pontet), and its title as its card says it (narrow no-break spaces as
    // spaces).
    assert_eq!(
        rows[1],
        "\"transfert\",\"carpentras\",\"marque-touristique\",\"\",\"\",\"\",\"marque-avignon\",\
         \"Carpentras pourrait s’inspirer de “La marque « Avignon Tourisme »” (Avignon)\""
    );
}
