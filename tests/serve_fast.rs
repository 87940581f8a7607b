//! The fast path of `serve`: a save that changes only a case study's Markdown body gets its
//! page rendered alone and served at once, then the full rebuild follows in the background.
//! These tests check which path a save takes (the build log), what is served at each step,
//! and that the site settles, byte for byte, to what a fresh `build` writes.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::server::{Events, Server};
use common::{fixture, read};

const PAGE: &str = "cas/marque-avignon/index.html";

fn case(root: &Path) -> PathBuf {
    root.join("content/cas/marque-avignon.md")
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = read(path);
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The lines « Rendu rapide en N ms : <pages> (le reste du site suit) » printed so far.
fn fast_renders(server: &Server) -> Vec<String> {
    server
        .stderr()
        .lines()
        .filter(|l| l.starts_with("Rendu rapide en "))
        .map(str::to_string)
        .collect()
}

/// The fast renders printed so far, once there are at least `count` (stderr comes through a
/// pipe read on another thread: it may lag behind the events).
fn wait_for_fast_renders(server: &Server, count: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + common::server::WAIT;
    loop {
        let renders = fast_renders(server);
        if renders.len() >= count || std::time::Instant::now() > deadline {
            return renders;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until no event came for a while (the background rebuild is done and announced), and
/// returns the events that came meanwhile.
fn settle(events: &Events) -> Vec<common::server::Event> {
    let mut seen = Vec::new();
    while let Some(event) = events.quiet(Duration::from_millis(600)) {
        seen.push(event);
    }
    seen
}

/// Adds a paragraph to the case study's body and waits for the fast path's reload event:
/// this page alone, announced alone.
fn add_to_the_body(
    server: &Server,
    events: &Events,
    root: &Path,
    paragraph: &str,
) -> common::server::Event {
    server.after_rebuild(|| {
        edit(
            &case(root),
            "Du code : `a : b`.",
            &format!("Du code : `a : b`.\n\n{paragraph}"),
        )
    });
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    assert_eq!(event.data["files"], serde_json::json!([PAGE]));
    event
}

#[test]
fn a_body_edit_is_served_at_once_and_equals_a_fresh_build_once_settled() {
    let site = fixture("mini");
    let root = site.path();
    // Minified, as published sites are: the fast path minifies as the full build does.
    edit(
        &root.join("atlas.yaml"),
        "minifier: false",
        "minifier: true",
    );
    let server = Server::start(root, &[]);
    let events = Events::connect(&server);
    let before = server.get("/cas/marque-avignon/");
    assert!(!before.text().contains("Une phrase ajoutée"));

    let event = add_to_the_body(
        &server,
        &events,
        root,
        "Une phrase ajoutée, avec un [lien](/villes/carpentras/).",
    );
    assert!(event.data["diagnostics"].is_null());
    let renders = wait_for_fast_renders(&server, 1);
    assert_eq!(renders.len(), 1, "{}", server.stderr());
    let line = &renders[0];
    let ms = line
        .strip_prefix("Rendu rapide en ")
        .and_then(|l| l.split(' ').next())
        .unwrap();
    assert!(ms.parse::<u64>().is_ok(), "{line}");
    assert!(
        line.ends_with(" ms\u{a0}: /cas/marque-avignon/ (le reste du site suit)"),
        "{line:?}"
    );
    let page = server.get("/cas/marque-avignon/").text();
    assert!(
        page.contains("Une phrase ajoutée, avec un <a href=/villes/carpentras/>lien</a>."),
        "{page}"
    );
    // The full rebuild that follows does not announce the page again: only what else changed
    // (the search index).
    for event in settle(&events) {
        assert_eq!(event.name, "reload", "{event:?}");
        let files = event.data["files"].as_array().unwrap();
        assert!(!files.iter().any(|f| f == PAGE), "{event:?}");
        assert!(
            files
                .iter()
                .all(|f| f.as_str().unwrap().starts_with("pagefind/")),
            "{event:?}"
        );
    }
    assert_eq!(server.rebuilds(), 2, "{}", server.stderr());
    assert_eq!(fast_renders(&server).len(), 1);
    server.assert_equals_a_fresh_build(root);
}

#[test]
fn successive_body_edits_all_take_the_fast_path_and_the_site_settles() {
    let site = fixture("mini");
    let root = site.path();
    let server = Server::start(root, &[]);
    let events = Events::connect(&server);
    let other = root.join("content/cas/2024/noels-insolites.md");
    // Saves in quick succession, some while the full rebuild of the previous one runs: each
    // shows its page at once.
    for round in 0..4 {
        let path = if round % 2 == 0 {
            case(root)
        } else {
            other.clone()
        };
        let text = read(&path);
        std::fs::write(&path, format!("{text}\nParagraphe numéro {round}.\n")).unwrap();
        let output = if round % 2 == 0 {
            PAGE
        } else {
            "cas/noels-insolites/index.html"
        };
        // Events of the previous save's full rebuild may come first: they tell what else
        // changed, never this page.
        let event = loop {
            let event = events.next();
            assert_eq!(event.name, "reload", "round {round}: {event:?}");
            let files = event.data["files"].as_array().unwrap();
            if files.iter().any(|f| f == output) {
                break event;
            }
            assert!(
                files
                    .iter()
                    .all(|f| f.as_str().unwrap().starts_with("pagefind/")),
                "round {round}: {event:?}"
            );
        };
        assert_eq!(
            event.data["files"],
            serde_json::json!([output]),
            "round {round}"
        );
        let url = format!("/{}", output.trim_end_matches("index.html"));
        let page = server.get(&url).text();
        assert!(
            page.contains(&format!("Paragraphe numéro {round}.")),
            "round {round}: {page}"
        );
    }
    let renders = wait_for_fast_renders(&server, 4);
    assert_eq!(renders.len(), 4, "{}", server.stderr());
    // The background rebuilds catch up.
    let deadline = std::time::Instant::now() + common::server::WAIT;
    while !server
        .stderr()
        .lines()
        .last()
        .unwrap_or("")
        .starts_with("Reconstruit en ")
        || events.quiet(Duration::from_millis(600)).is_some()
    {
        assert!(std::time::Instant::now() < deadline, "{}", server.stderr());
        std::thread::sleep(Duration::from_millis(50));
    }
    server.assert_equals_a_fresh_build(root);
}

#[test]
fn a_front_matter_edit_takes_the_full_path_and_updates_the_listings() {
    let site = fixture("mini");
    let root = site.path();
    let server = Server::start(root, &[]);
    let events = Events::connect(&server);
    assert!(
        !server
            .get("/strategies/evenementiel/")
            .text()
            .contains("/cas/marque-avignon/")
    );

    // A relation and the body at once: the relation decides.
    server.after_rebuild(|| {
        let text = read(&case(root))
            .replacen(
                "strategies: [marque-touristique]",
                "strategies: [marque-touristique, evenementiel]",
                1,
            )
            .replacen("Du code", "Encore du code", 1);
        std::fs::write(case(root), text).unwrap();
    });
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    let files = event.data["files"].as_array().unwrap();
    for changed in [PAGE, "strategies/evenementiel/index.html", "cas/index.html"] {
        assert!(files.iter().any(|f| f == changed), "{changed}: {event:?}");
    }
    assert!(fast_renders(&server).is_empty(), "{}", server.stderr());
    assert!(
        server
            .get("/strategies/evenementiel/")
            .text()
            .contains("href=\"/cas/marque-avignon/\"")
    );
    assert!(
        server
            .get("/cas/marque-avignon/")
            .text()
            .contains("Encore du code")
    );

    // The title shows in listings: the full path too, even with the same body.
    server.after_rebuild(|| {
        edit(
            &case(root),
            "titre: La marque « Avignon Tourisme »",
            "titre: La marque « Avignon Provence »",
        )
    });
    assert_eq!(events.next().name, "reload");
    assert!(fast_renders(&server).is_empty(), "{}", server.stderr());
    assert!(server.get("/cas/").text().contains("Avignon Provence"));

    // A new case study is not an edit of an existing one.
    server.after_rebuild(|| {
        std::fs::write(
            root.join("content/cas/nouveau.md"),
            read(&case(root)).replace("Avignon Provence", "Un nouveau cas"),
        )
        .unwrap()
    });
    assert_eq!(events.next().name, "reload");
    assert!(fast_renders(&server).is_empty(), "{}", server.stderr());
    assert!(server.get("/cas/").text().contains("Un nouveau cas"));
    settle(&events);
    server.assert_equals_a_fresh_build(root);
}

#[test]
fn a_broken_body_edit_shows_the_overlay_and_keeps_the_last_good_page() {
    let site = fixture("mini");
    let root = site.path();
    let server = Server::start(root, &[]);
    let events = Events::connect(&server);

    // A link to a page that does not exist: the full build refuses it, so the fast path does
    // not serve it.
    server.after_rebuild(|| {
        edit(
            &case(root),
            "Du code : `a : b`.",
            "Du code : `a : b`.\n\nVoir [Le Pontet](/villes/pontet/).",
        )
    });
    let event = events.next();
    assert_eq!(event.name, "erreurs", "{event:?}");
    let diagnostic = &event.data["diagnostics"][0];
    assert_eq!(
        diagnostic["location"],
        "content/cas/marque-avignon.md:29:18"
    );
    assert!(
        diagnostic["message"]
            .as_str()
            .unwrap()
            .contains("lien interne cassé"),
        "{diagnostic}"
    );
    assert!(fast_renders(&server).is_empty(), "{}", server.stderr());
    let page = server.get("/cas/marque-avignon/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Du code"));
    assert!(!page.text().contains("/villes/pontet/"));

    // Markdown nested too deep: refused by the loader, same.
    server.after_rebuild(|| {
        edit(
            &case(root),
            "Voir [Le Pontet](/villes/pontet/).",
            &format!("{}x", ">".repeat(300)),
        )
    });
    let event = events.next();
    assert_eq!(event.name, "erreurs", "{event:?}");
    assert!(fast_renders(&server).is_empty(), "{}", server.stderr());
    assert!(
        !server
            .get("/cas/marque-avignon/")
            .text()
            .contains("&gt;&gt;")
    );

    // Fixed: the full path (the last build failed), which takes the overlay away.
    server.after_rebuild(|| {
        edit(
            &case(root),
            &format!("{}x", ">".repeat(300)),
            "Voir [Le Pontet](/villes/le-pontet/).",
        )
    });
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    assert!(event.data["diagnostics"].is_null());
    assert!(fast_renders(&server).is_empty(), "{}", server.stderr());
    assert!(
        server
            .get("/cas/marque-avignon/")
            .text()
            .contains("Voir <a href=\"/villes/le-pontet/\">Le Pontet</a>.")
    );
    // Good again: the next body edit takes the fast path.
    server.after_rebuild(|| edit(&case(root), "Voir [Le Pontet]", "Voir aussi [Le Pontet]"));
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    assert_eq!(event.data["files"], serde_json::json!([PAGE]));
    assert_eq!(
        wait_for_fast_renders(&server, 1).len(),
        1,
        "{}",
        server.stderr()
    );
    settle(&events);
    server.assert_equals_a_fresh_build(root);
}

/// `serve --no-search`: no search page, no index, no search form, and the page that the fast
/// path renders alone after a save has no index marks either: the full rebuild that follows
/// finds it as it would have written it, and does not announce it again.
#[test]
fn without_search_the_fast_path_renders_the_page_the_full_build_writes() {
    let site = fixture("mini");
    let root = site.path();
    let server = Server::start(root, &["--no-search"]);
    let events = Events::connect(&server);
    assert_eq!(server.get("/recherche/").status, 404);
    assert_eq!(server.get("/pagefind/pagefind.js").status, 404);
    let before = server.get("/cas/marque-avignon/").text();
    assert!(!before.contains("recherche-entete"), "no search form");
    assert!(!before.contains("data-pagefind"), "no index marks");

    add_to_the_body(&server, &events, root, "Une phrase sans recherche.");
    assert_eq!(
        wait_for_fast_renders(&server, 1).len(),
        1,
        "{}",
        server.stderr()
    );
    for event in settle(&events) {
        let files = event.data["files"].as_array().unwrap();
        assert!(!files.iter().any(|f| f == PAGE), "{event:?}");
    }
    let page = server.get("/cas/marque-avignon/").text();
    assert!(page.contains("Une phrase sans recherche."), "{page}");
    assert!(!page.contains("data-pagefind"), "{page}");
}
