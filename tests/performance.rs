//! The performance tools a user sees: `build --timings`, `build --no-minify`, `--no-search`
//! (and `recherche: false`), and the
//! benchmark corpus (`vaucluse_atlas::corpus`, `cargo run --example gen-corpus`), which must
//! build as a real atlas and as a Hugo site of the same pages.

mod common;

use common::*;

#[test]
fn timings_prints_every_stage_and_step_in_french() {
    let site = fixture("mini");
    let output = run(&["build", "--timings"], site.path());
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stderr(&output);
    for label in [
        "Durée des étapes\u{a0}:",
        "lecture (load)",
        "résolution (resolve)",
        "analyse (analyse)",
        "rendu (render)",
        "Markdown et typographie",
        "contextes des pages",
        "gabarits Tera",
        "minification (minify)",
        "index de recherche",
        "écriture des pages",
        "flux, plan du site, tri",
        "les étapes du rendu se recouvrent",
        "écriture (write)",
        "total",
    ] {
        assert!(text.contains(label), "« {label} » missing from:\n{text}");
    }
    // Every row has a duration in milliseconds and a share.
    let rows = text.lines().filter(|l| l.trim_end().ends_with('%')).count();
    assert_eq!(rows, 13, "{text}");
    // Without the flag, only the one-line summary.
    let quiet = run(&["build"], site.path());
    assert!(!stderr(&quiet).contains("Durée des étapes"));
}

#[test]
fn no_minify_overrides_atlas_yaml() {
    let site = fixture("mini");
    let config = site.path().join("atlas.yaml");
    let text = read(&config).replace("minifier: false", "minifier: true");
    std::fs::write(&config, text).unwrap();
    let minified = run(&["build"], site.path());
    assert!(minified.status.success(), "{}", stderr(&minified));
    let page = read(&site.path().join("public/cas/marque-avignon/index.html"));
    assert!(
        !page.contains("\n  <"),
        "minified pages have no indentation"
    );
    let plain = run(&["build", "--no-minify"], site.path());
    assert!(plain.status.success(), "{}", stderr(&plain));
    let page = read(&site.path().join("public/cas/marque-avignon/index.html"));
    assert!(page.contains("<!DOCTYPE html>") || page.contains("<!doctype html>"));
    assert!(
        page.contains("\n"),
        "--no-minify keeps the template's line breaks"
    );
    assert!(
        page.contains("</body>"),
        "--no-minify keeps optional closing tags"
    );
}

/// What a build without search leaves out, and what it keeps.
fn assert_without_search(public: &std::path::Path) {
    assert!(!public.join("pagefind").exists(), "no search bundle");
    assert!(!public.join("recherche").exists(), "no search page");
    for page in [
        "index.html",
        "villes/avignon/index.html",
        "cas/marque-avignon/index.html",
    ] {
        let html = read(&public.join(page));
        assert!(
            !html.contains("recherche-entete"),
            "no search form in {page}"
        );
        assert!(!html.contains("data-pagefind"), "no index marks in {page}");
        assert!(
            !html.contains("/recherche/"),
            "no link to the search page in {page}"
        );
    }
    assert!(!read(&public.join("sitemap.xml")).contains("/recherche/"));
    // Everything else is there.
    assert!(public.join("villes/avignon/index.html").exists());
    assert!(public.join("donnees/atlas.json").exists());
}

#[test]
fn no_search_overrides_atlas_yaml_and_leaves_no_index_behind() {
    let site = fixture("mini");
    let public = site.path().join("public");
    let with_search = run(&["build"], site.path());
    assert!(with_search.status.success(), "{}", stderr(&with_search));
    assert!(public.join("pagefind/pagefind.js").exists());
    assert!(public.join("recherche/index.html").exists());
    let city = read(&public.join("villes/avignon/index.html"));
    assert!(city.contains("class=\"recherche-entete\" action=\"/recherche/\""));
    assert!(city.contains("data-pagefind-body"));
    // « Site construit dans … : N pages, … »
    let pages = |output: &std::process::Output| -> usize {
        let text = stderr(output);
        let before = text.split(" pages, ").next().unwrap_or_default();
        let number = before.rsplit(' ').next().unwrap_or_default();
        number
            .parse()
            .unwrap_or_else(|_| panic!("no page count in {text}"))
    };

    // Into the same output: the previous index and search page are gone.
    let without = run(&["build", "--no-search"], site.path());
    assert!(without.status.success(), "{}", stderr(&without));
    assert_without_search(&public);
    assert_eq!(
        pages(&without) + 1,
        pages(&with_search),
        "one page less: /recherche/"
    );
}

#[test]
fn recherche_false_in_atlas_yaml_builds_no_search_and_a_link_to_it_is_broken() {
    let site = fixture("mini");
    let config = site.path().join("atlas.yaml");
    let text = read(&config).replace("minifier: false", "minifier: false\nrecherche: false");
    std::fs::write(&config, &text).unwrap();
    let built = run(&["build"], site.path());
    assert!(built.status.success(), "{}", stderr(&built));
    assert_without_search(&site.path().join("public"));

    // The search page does not exist: a link to it is a broken link, as to any missing page.
    let linked = text.replace("Bienvenue !", "Bienvenue ! [Chercher](/recherche/).");
    std::fs::write(&config, linked).unwrap();
    let refused = run(&["check"], site.path());
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("lien interne cassé")
            && stderr(&refused).contains("aucune page /recherche/"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn the_benchmark_corpus_builds_as_an_atlas_and_as_a_hugo_site_of_the_same_pages() {
    let dir = tempfile::tempdir().unwrap();
    let atlas = dir.path().join("atlas");
    let hugo = dir.path().join("hugo");
    vaucluse_atlas::corpus::write_atlas(&repo(), &atlas, 40, 7).unwrap();
    vaucluse_atlas::corpus::write_hugo(&repo(), &hugo, 40, 7).unwrap();

    let compiled = vaucluse_atlas::compile(&vaucluse_atlas::BuildOptions::new(&atlas))
        .unwrap_or_else(|d| panic!("the corpus must build: {d:?}"));
    let case_pages = compiled
        .files
        .iter()
        .filter(|f| f.path.starts_with("cas/etude-") && f.path.ends_with("/index.html"))
        .count();
    assert_eq!(case_pages, 40);

    // The Hugo site has the same case studies, with the same bodies, and its taxonomies.
    let hugo_pages: Vec<_> = std::fs::read_dir(hugo.join("content/cas"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("etude-"))
        .collect();
    assert_eq!(hugo_pages.len(), 40);
    let atlas_case = read(&atlas.join("content/cas/etude-00007.md"));
    let hugo_case = read(&hugo.join("content/cas/etude-00007.md"));
    let body = |text: &str| text.splitn(3, "---\n").nth(2).unwrap().trim().to_string();
    assert_eq!(body(&atlas_case), body(&hugo_case));
    let config = read(&hugo.join("hugo.toml"));
    assert!(config.contains("ville = \"villes\"") && config.contains("strategie = \"strategies\""));
    assert!(hugo.join("content/villes/avignon/_index.md").exists());
    assert!(read(&hugo.join("layouts/_default/single.html")).contains("Related"));

    // Deterministic: the same seed writes the same bytes.
    let again = dir.path().join("again");
    vaucluse_atlas::corpus::write_atlas(&repo(), &again, 40, 7).unwrap();
    assert_eq!(
        snapshot(&atlas.join("content/cas")),
        snapshot(&again.join("content/cas"))
    );
}

/// The generator runs without transparent huge pages (`main.rs`): mimalloc asks for them, and
/// with them every page of memory touched is 2 MB (a build of 1,000 case studies peaked at
/// ≈ 340 MB instead of ≈ 280 MB). Read from the running `serve` process.
#[cfg(target_os = "linux")]
#[test]
fn the_process_runs_without_transparent_huge_pages() {
    let site = fixture("mini");
    let server = common::server::Server::start(site.path(), &[]);
    let status = read(std::path::Path::new(&format!(
        "/proc/{}/status",
        server.pid()
    )));
    let line = status
        .lines()
        .find(|l| l.starts_with("THP_enabled:"))
        .unwrap_or_else(|| panic!("no THP_enabled in /proc/PID/status:\n{status}"));
    assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
}
