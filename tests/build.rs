//! Integration tests of `build`: pages, cross-links, Markdown, drafts, base URL, minification,
//! determinism and atomic output, on the fixture site `tests/fixtures/mini`.

mod common;

use common::*;

const NNBSP: char = '\u{202f}';

fn built(extra: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let site = fixture("mini");
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    let output = run(&args, site.path());
    assert!(
        output.status.success(),
        "build failed:\n{}",
        stderr(&output)
    );
    let public = site.path().join("public");
    (site, public)
}

#[test]
fn build_writes_every_page_as_a_folder_with_index_html() {
    let (_site, public) = built(&[]);
    for page in [
        "index.html",
        "404.html",
        "villes/index.html",
        "villes/avignon/index.html",
        "villes/carpentras/index.html",
        "villes/le-pontet/index.html",
        "cas/index.html",
        "cas/marque-avignon/index.html",
        "cas/noels-insolites/index.html",
        "strategies/index.html",
        "strategies/marque-touristique/index.html",
        "strategies/evenementiel/index.html",
        "canaux/index.html",
        "canaux/site-web/index.html",
        "publics/index.html",
        "publics/touristes/index.html",
        "intercommunalites/index.html",
        "intercommunalites/ca-du-grand-avignon-coga/index.html",
        "static/style.css",
    ] {
        assert!(public.join(page).is_file(), "missing {page}");
    }
}

#[test]
fn a_city_page_links_its_case_studies_terms_and_intercommunality() {
    let (_site, public) = built(&[]);
    let html = read(&public.join("villes/avignon/index.html"));
    let links = hrefs(&html);
    for expected in [
        "/cas/marque-avignon/",
        "/strategies/marque-touristique/",
        "/strategies/participation-citoyenne/",
        "/canaux/site-web/",
        "/publics/touristes/",
        "/intercommunalites/ca-du-grand-avignon-coga/",
        "https://www.avignon.fr/",
    ] {
        assert!(
            links.iter().any(|l| l == expected),
            "no link to {expected} in {links:?}"
        );
    }
    assert!(
        html.contains(&format!("92{NNBSP}188")),
        "population formatted the French way"
    );
    assert!(
        html.contains(&format!("302{NNBSP}750")),
        "audience figure shown"
    );
    assert!(html.contains("28 janvier 2019"), "brand date in French");
}

#[test]
fn a_case_study_links_its_cities_and_strategies_and_renders_markdown() {
    let (_site, public) = built(&[]);
    let html = read(&public.join("cas/marque-avignon/index.html"));
    let links = hrefs(&html);
    for expected in [
        "/villes/avignon/",
        "/villes/le-pontet/",
        "/strategies/marque-touristique/",
        "/villes/carpentras/",
        "../noels-insolites/",
    ] {
        assert!(
            links.iter().any(|l| l == expected),
            "no link to {expected} in {links:?}"
        );
    }
    assert!(html.contains("<table>"), "tables");
    assert!(html.contains("footnote"), "footnotes");
    assert!(html.contains("id=\"contexte\""), "heading anchors");
    assert!(
        html.contains(&format!("Pourquoi une marque{NNBSP}?")),
        "narrow space before ?"
    );
    assert!(
        html.contains(&format!("«{NNBSP}rayonner{NNBSP}»")),
        "narrow spaces inside guillemets"
    );
    assert!(html.contains("<code>a : b</code>"), "code left untouched");
    assert!(
        html.contains("https://www.francebleu.fr/"),
        "sources listed"
    );
}

#[test]
fn a_strategy_page_links_the_cities_that_use_it_and_its_case_studies() {
    let (_site, public) = built(&[]);
    let html = read(&public.join("strategies/marque-touristique/index.html"));
    let users =
        &html[html.find("id=\"titre-villes\"").unwrap()..html.find("id=\"titre-cas\"").unwrap()];
    let links = hrefs(users);
    assert!(links.iter().any(|l| l == "/villes/avignon/"));
    assert!(
        links.iter().any(|l| l == "/villes/le-pontet/"),
        "a city that uses it through a case study"
    );
    assert!(
        !links.iter().any(|l| l == "/villes/carpentras/"),
        "Carpentras does not use this strategy"
    );
    assert!(hrefs(&html).iter().any(|l| l == "/cas/marque-avignon/"));
    let links = hrefs(&read(
        &public.join("intercommunalites/ca-du-grand-avignon-coga/index.html"),
    ));
    assert!(links.iter().any(|l| l == "/villes/avignon/"));
    assert!(links.iter().any(|l| l == "/villes/le-pontet/"));
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let (_site, public) = built(&[]);
    assert!(!public.join("cas/brouillon-secret").exists());
    assert!(!read(&public.join("cas/index.html")).contains("brouillon-secret"));
    let (_site, public) = built(&["--drafts"]);
    assert!(public.join("cas/brouillon-secret/index.html").is_file());
}

#[test]
fn every_link_honours_a_base_url_with_a_sub_path() {
    let (_site, public) = built(&["--base-url", "https://example.org/atlas/"]);
    for (path, bytes) in snapshot(&public) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        for link in hrefs(&html) {
            let internal = link.starts_with('/') && !link.starts_with("//");
            assert!(
                !internal || link.starts_with("/atlas/"),
                "{path}: {link} escapes the sub-path"
            );
        }
    }
    let html = read(&public.join("villes/avignon/index.html"));
    assert!(
        html.contains("https://example.org/atlas/villes/avignon/"),
        "canonical URL"
    );
    assert!(
        html.contains("/atlas/static/style.css"),
        "stylesheet under the sub-path"
    );
}

#[test]
fn the_same_input_gives_byte_identical_output() {
    let site = fixture("mini");
    for out in ["a", "b"] {
        let output = run(
            &["build", "--output", site.path().join(out).to_str().unwrap()],
            site.path(),
        );
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let a = snapshot(&site.path().join("a"));
    assert!(!a.is_empty());
    assert_eq!(a, snapshot(&site.path().join("b")));
}

#[test]
fn the_output_is_minified_unless_turned_off() {
    let site = fixture("mini");
    let plain = run(
        &[
            "build",
            "--output",
            site.path().join("plain").to_str().unwrap(),
        ],
        site.path(),
    );
    assert!(plain.status.success());
    let config = read(&site.path().join("atlas.yaml")).replace("minifier: false", "minifier: true");
    std::fs::write(site.path().join("atlas.yaml"), config).unwrap();
    let small = run(
        &[
            "build",
            "--output",
            site.path().join("small").to_str().unwrap(),
        ],
        site.path(),
    );
    assert!(small.status.success());
    let plain = read(&site.path().join("plain/villes/avignon/index.html"));
    let small = read(&site.path().join("small/villes/avignon/index.html"));
    assert!(
        small.len() < plain.len() * 9 / 10,
        "minified {} vs {}",
        small.len(),
        plain.len()
    );
    assert!(!small.contains(">\n<"));
}

#[test]
fn a_failed_build_leaves_the_previous_output_byte_identical() {
    let site = fixture("mini");
    let public = site.path().join("public");
    assert!(run(&["build"], site.path()).status.success());
    let before = snapshot(&public);
    let case = site.path().join("content/cas/marque-avignon.md");
    std::fs::write(
        &case,
        read(&case).replace(
            "villes: [avignon, le-pontet]",
            "villes: [avigon, le-pontet]",
        ),
    )
    .unwrap();
    let failed = run(&["build"], site.path());
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stderr(&failed).contains("n’a pas été modifié"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(before, snapshot(&public));
    let leftovers: Vec<String> = std::fs::read_dir(site.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary folders left: {leftovers:?}"
    );
}

#[test]
fn stale_files_of_an_older_build_do_not_survive() {
    let site = fixture("mini");
    let public = site.path().join("public");
    assert!(run(&["build"], site.path()).status.success());
    std::fs::write(public.join("ancien.html"), "x").unwrap();
    std::fs::remove_file(site.path().join("content/cas/2024/noels-insolites.md")).unwrap();
    std::fs::remove_file(site.path().join("content/opportunites/noel-en-reseau.md")).unwrap();
    let case = site.path().join("content/cas/marque-avignon.md");
    std::fs::write(
        &case,
        read(&case).replace(" et [l'autre cas](../noels-insolites/)", ""),
    )
    .unwrap();
    assert!(run(&["build"], site.path()).status.success());
    assert!(!public.join("ancien.html").exists());
    assert!(!public.join("cas/noels-insolites").exists());
}

#[test]
fn site_templates_override_the_theme_file_by_file_and_static_files_are_copied() {
    let site = fixture("mini");
    std::fs::create_dir_all(site.path().join("templates")).unwrap();
    std::fs::write(
        site.path().join("templates/404.html"),
        "<!doctype html><html lang=\"fr\"><title>x</title><p>Perdu {{ page.titre }}</p></html>",
    )
    .unwrap();
    std::fs::create_dir_all(site.path().join("static")).unwrap();
    std::fs::write(site.path().join("static/logo.txt"), "logo").unwrap();
    assert!(run(&["build"], site.path()).status.success());
    let public = site.path().join("public");
    assert!(read(&public.join("404.html")).contains("Perdu Page introuvable"));
    assert!(
        read(&public.join("villes/index.html")).contains("Villes"),
        "other templates still from the theme"
    );
    assert_eq!(read(&public.join("static/logo.txt")), "logo");
    assert!(public.join("static/style.css").is_file());
}

/// A site's `templates/partials/composants.html` replacing the theme's.
fn override_components(site: &std::path::Path, edit: impl Fn(String) -> String) {
    let theme = read(&repo().join("themes/default/templates/partials/composants.html"));
    std::fs::create_dir_all(site.join("templates/partials")).unwrap();
    std::fs::write(site.join("templates/partials/composants.html"), edit(theme)).unwrap();
}

/// The case-study and opportunity cards are rendered once, by the theme's components, and
/// given ready-made (`c.carte`, `o.carte`) to every page that lists them: a component the site
/// overrides draws every card of every page, and only those.
#[test]
fn a_card_component_overridden_by_the_site_draws_every_card_of_every_page() {
    let site = fixture("mini");
    override_components(site.path(), |text| {
        text.replace(
            r#"<article class="carte carte-cas">"#,
            r#"<article class="carte carte-cas" data-essai="cas">"#,
        )
        .replace(
            r#"<li class="carte opportunite "#,
            r#"<li data-essai="opportunite" class="carte opportunite "#,
        )
    });
    let output = run(&["build"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let public = site.path().join("public");
    let mut case_cards = 0;
    let mut opportunity_cards = 0;
    for (path, bytes) in snapshot(&public) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        assert_eq!(
            html.matches(r#"<article class="carte carte-cas""#).count(),
            html.matches(r#"data-essai="cas""#).count(),
            "{path}: a case-study card not drawn by the site's component"
        );
        assert_eq!(
            html.matches(r#"class="carte opportunite "#).count(),
            html.matches(r#"data-essai="opportunite""#).count(),
            "{path}: an opportunity card not drawn by the site's component"
        );
        case_cards += html.matches(r#"data-essai="cas""#).count();
        opportunity_cards += html.matches(r#"data-essai="opportunite""#).count();
    }
    let city = read(&public.join("villes/carpentras/index.html"));
    assert!(city.contains(r#"data-essai="cas""#), "{city}");
    assert!(case_cards >= 5, "{case_cards} case-study cards");
    assert!(
        opportunity_cards >= 3,
        "{opportunity_cards} opportunity cards"
    );
}

/// A card component that fails is reported once per card, not once per page that lists it,
/// with its file; the build fails and leaves the previous output as it was.
#[test]
fn a_card_component_that_fails_names_its_file_and_the_card() {
    let site = fixture("mini");
    let public = site.path().join("public");
    assert!(run(&["build"], site.path()).status.success());
    let before = snapshot(&public);
    override_components(site.path(), |text| {
        text.replace(
            r#"<p class="carte__resume">{{ c.resume }}</p>"#,
            r#"<p class="carte__resume">{{ c.resume_inexistant }}</p>"#,
        )
    });
    let failed = run(&["build"], site.path());
    assert_eq!(failed.status.code(), Some(1));
    let message = stderr(&failed);
    assert!(
        message.contains(
            "erreur : templates/partials/composants.html : rendu impossible de la carte de l’étude de cas /cas/"
        ),
        "{message}"
    );
    assert!(
        message.contains("(composant «\u{202f}carte_cas\u{202f}»)"),
        "{message}"
    );
    assert!(message.contains("resume_inexistant"), "{message}");
    // Once per published case study, however many pages list it…
    assert_eq!(
        message.matches("rendu impossible de la carte").count(),
        2,
        "{message}"
    );
    // …and the pages that show the ready-made card do not fail with it: only the listing,
    // which calls the component itself (with `niveau=2`).
    assert!(
        !message.contains("rendu impossible de la page /villes/"),
        "{message}"
    );
    assert!(
        message.contains("rendu impossible de la page /cas/\u{a0}:"),
        "{message}"
    );
    assert!(message.contains("n’a pas été modifié"), "{message}");
    assert_eq!(before, snapshot(&public));
}

#[test]
fn autoescaping_stays_on_in_templates() {
    let site = fixture("mini");
    let city = site.path().join("content/villes/carpentras.yaml");
    std::fs::write(
        &city,
        read(&city).replace("Les Noëls Insolites.", "\"<script>alert(1)</script>\""),
    )
    .unwrap();
    assert!(run(&["build"], site.path()).status.success());
    let html = read(&site.path().join("public/villes/carpentras/index.html"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;"));
}

#[test]
fn the_output_folder_may_not_hold_the_sources() {
    let site = fixture("mini");
    for bad in [".", "content/sortie"] {
        let output = run(
            &["build", "--output", site.path().join(bad).to_str().unwrap()],
            site.path(),
        );
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", stderr(&output));
    }
    assert!(site.path().join("content/villes/avignon.yaml").is_file());
}
