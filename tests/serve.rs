//! `serve`: the binary runs on a free port over a temporary site; the tests edit files and
//! assert on the pages served and on the live-reload events.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::server::{Events, Server};
use common::{fixture, read};

/// What `serve` says on stderr about its builds (the server itself: `common::server`).
trait BuildLog {
    /// The number of pages of the first build (« Site construit en N ms (P pages) »).
    fn pages(&self) -> usize;
    /// The lines « Reconstruit en N ms (M pages) » printed so far: M for each.
    fn rebuilt_pages(&self) -> Vec<usize>;
}

impl BuildLog for Server {
    fn pages(&self) -> usize {
        let stderr = self.stderr();
        let line = stderr
            .lines()
            .find_map(|l| l.strip_prefix("Site construit en "))
            .unwrap();
        let inside = &line[line.find('(').unwrap() + 1..];
        inside.split(' ').next().unwrap().parse().unwrap()
    }

    fn rebuilt_pages(&self) -> Vec<usize> {
        self.stderr()
            .lines()
            .filter_map(|l| l.strip_prefix("Reconstruit en "))
            .map(|l| {
                let inside = &l[l.find('(').unwrap() + 1..];
                inside.split(' ').next().unwrap().parse().unwrap()
            })
            .collect()
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = read(path);
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn case(root: &Path) -> PathBuf {
    root.join("content/cas/marque-avignon.md")
}

#[test]
fn an_edit_is_served_before_the_reload_event_arrives() {
    let site = fixture("mini");
    let server = Server::start(site.path(), &[]);
    let page = server.get("/cas/marque-avignon/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Avignon Tourisme"));
    // Injected in serve only, as an external script the theme's CSP allows.
    assert!(
        page.text()
            .contains("<script src=\"/__atlas/livereload.js\" data-build=")
    );
    assert!(page.text().contains("script-src 'self'"));

    let events = Events::connect(&server);
    for round in 0..3 {
        let title = format!("Marque d’Avignon, version {round}");
        let text = read(&case(site.path()));
        let old = text.lines().nth(1).unwrap().to_string();
        edit(&case(site.path()), &old, &format!("titre: {title}"));
        let event = events.next();
        // On receipt, the new page is already served.
        let page = server.get("/cas/marque-avignon/").text();
        assert_eq!(event.name, "reload", "{event:?}");
        assert!(page.contains(&title), "round {round}: stale page");
        let files = event.data["files"].as_array().unwrap();
        assert!(files.iter().any(|f| f == "cas/marque-avignon/index.html"));
        assert!(!files.iter().any(|f| f == "static/style.css"));
    }
    // Only what shows the case study was rendered again, not the whole site.
    let total = server.pages();
    let deadline = Instant::now() + common::server::WAIT;
    while server.rebuilt_pages().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let rebuilds = server.rebuilt_pages();
    assert_eq!(rebuilds.len(), 3, "{}", server.stderr());
    assert!(
        rebuilds.iter().all(|&n| n > 0 && n < total / 2),
        "{rebuilds:?} of {total}"
    );
}

#[test]
fn an_editors_save_makes_one_rebuild() {
    let site = fixture("mini");
    let server = Server::start(site.path(), &[]);
    let events = Events::connect(&server);
    let dir = site.path().join("content/cas");
    let target = case(site.path());
    let text = read(&target).replace("La marque", "La nouvelle marque");
    // As vim does: a swap file, a probe file, a backup, then the new file renamed in place.
    std::fs::write(dir.join(".marque-avignon.md.swp"), "swap").unwrap();
    std::fs::write(dir.join("4913"), "").unwrap();
    std::fs::remove_file(dir.join("4913")).unwrap();
    std::fs::copy(&target, dir.join("marque-avignon.md~")).unwrap();
    std::fs::write(dir.join("marque-avignon.md.tmp"), &text).unwrap();
    std::fs::rename(dir.join("marque-avignon.md.tmp"), &target).unwrap();
    std::fs::remove_file(dir.join("marque-avignon.md~")).unwrap();
    std::fs::remove_file(dir.join(".marque-avignon.md.swp")).unwrap();
    let event = events.next();
    assert_eq!(event.name, "reload");
    assert!(
        server
            .get("/cas/marque-avignon/")
            .text()
            .contains("La nouvelle marque")
    );
    assert!(events.quiet(Duration::from_millis(800)).is_none());
    assert_eq!(server.rebuilt_pages().len(), 1, "{}", server.stderr());
    assert!(!server.stderr().contains("fichier ignoré"));
}

#[test]
fn a_broken_save_shows_the_diagnostic_and_keeps_the_last_good_site() {
    let site = fixture("mini");
    let server = Server::start(site.path(), &[]);
    let events = Events::connect(&server);
    let path = case(site.path());

    // An unknown city: the diagnostic of the terminal, with file, line, column and hint.
    edit(
        &path,
        "villes: [avignon, le-pontet]",
        "villes: [avigon, le-pontet]",
    );
    let event = events.next();
    assert_eq!(event.name, "erreurs", "{event:?}");
    let diagnostic = &event.data["diagnostics"][0];
    assert_eq!(diagnostic["location"], "content/cas/marque-avignon.md:4:10");
    let html = diagnostic["html"].as_str().unwrap();
    assert!(
        html.contains("content/cas/marque-avignon.md:4:10"),
        "{html}"
    );
    assert!(html.contains("villes: [avigon, le-pontet]"), "{html}");
    assert!(html.contains("avignon"), "{html}");
    assert!(
        server.wait_for_stderr("erreur : content/cas/marque-avignon.md:4:10 : ville inconnue"),
        "{}",
        server.stderr()
    );
    let page = server.get("/cas/marque-avignon/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("Avignon Tourisme"));

    // A YAML syntax error: same.
    edit(
        &path,
        "villes: [avigon, le-pontet]",
        "villes: [avignon, le-pontet",
    );
    let event = events.next();
    assert_eq!(event.name, "erreurs", "{event:?}");
    let location = event.data["diagnostics"][0]["location"].as_str().unwrap();
    assert!(
        location.starts_with("content/cas/marque-avignon.md:"),
        "{location}"
    );
    // A new browser tab is told at once.
    let late = Events::connect(&server);
    assert_eq!(
        late.hello["diagnostics"][0]["location"].as_str(),
        Some(location)
    );
    drop(late);
    assert_eq!(server.get("/cas/marque-avignon/").status, 200);

    // Fixed as it was: nothing to reload, the overlay goes.
    edit(
        &path,
        "villes: [avignon, le-pontet",
        "villes: [avignon, le-pontet]",
    );
    let event = events.next();
    assert_eq!(event.name, "ok", "{event:?}");
    // Fixed with a change: reload.
    edit(&path, "villes: [avignon, le-pontet]", "villes: [avigon]");
    assert_eq!(events.next().name, "erreurs");
    edit(&path, "villes: [avigon]", "villes: [avignon, le-pontet]\n");
    assert_eq!(events.next().name, "ok");
    edit(
        &path,
        "La marque « Avignon",
        "La marque « Avignon en Provence",
    );
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    assert!(event.data["diagnostics"].is_null());
}

#[test]
fn a_site_that_never_built_is_served_once_fixed() {
    let site = fixture("mini");
    let path = case(site.path());
    edit(
        &path,
        "strategies: [marque-touristique]",
        "strategies: [marque]",
    );
    let server = Server::start(site.path(), &[]);
    let page = server.get("/");
    assert_eq!(page.status, 503);
    assert!(page.text().contains("livereload.js"));
    let events = Events::connect(&server);
    edit(
        &path,
        "strategies: [marque]",
        "strategies: [marque-touristique]",
    );
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    assert_eq!(server.get("/cas/marque-avignon/").status, 200);
}

#[test]
fn deleted_and_renamed_case_studies_leave_no_stale_page() {
    let site = fixture("mini");
    let server = Server::start(site.path(), &[]);
    let events = Events::connect(&server);
    assert_eq!(server.get("/cas/noels-insolites/").status, 200);

    // The other case study links to this one: drop the link first (a body edit: its page at
    // once, then the full rebuild, which also changes the search index).
    server.after_rebuild(|| {
        edit(
            &case(site.path()),
            " et [l'autre cas](../noels-insolites/)",
            "",
        )
    });
    let event = events.next();
    assert_eq!(event.name, "reload");
    assert_eq!(
        event.data["files"],
        serde_json::json!(["cas/marque-avignon/index.html"])
    );
    while let Some(event) = events.quiet(Duration::from_millis(500)) {
        assert_eq!(event.name, "reload");
    }
    edit(
        &site.path().join("content/opportunites/noel-en-reseau.md"),
        "[Noëls Insolites](/cas/noels-insolites/)",
        "Noëls Insolites",
    );
    assert_eq!(events.next().name, "reload");
    std::fs::remove_file(site.path().join("content/cas/2024/noels-insolites.md")).unwrap();
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    let files = event.data["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f == "cas/noels-insolites/index.html"));
    let gone = server.get("/cas/noels-insolites/");
    assert_eq!(gone.status, 404);
    assert!(
        gone.text().contains("Page introuvable"),
        "the site's 404.html"
    );

    std::fs::rename(
        case(site.path()),
        site.path().join("content/cas/marque-du-grand-avignon.md"),
    )
    .unwrap();
    assert_eq!(events.next().name, "reload");
    assert_eq!(server.get("/cas/marque-du-grand-avignon/").status, 200);
    assert_eq!(server.get("/cas/marque-avignon/").status, 404);
    assert!(
        server
            .get("/villes/avignon/")
            .text()
            .contains("/cas/marque-du-grand-avignon/")
    );

    // A new file is picked up too.
    std::fs::write(
        site.path().join("content/cas/nouveau.md"),
        read(&site.path().join("content/cas/marque-du-grand-avignon.md"))
            .replace("La marque « Avignon Tourisme »", "Un nouveau cas"),
    )
    .unwrap();
    assert_eq!(events.next().name, "reload");
    assert!(
        server
            .get("/cas/nouveau/")
            .text()
            .contains("Un nouveau cas")
    );
}

#[test]
fn a_stylesheet_change_swaps_the_stylesheet_without_a_reload() {
    let site = fixture("mini");
    let server = Server::start(site.path(), &[]);
    let events = Events::connect(&server);
    let css = site.path().join("themes/default/static/style.css");
    std::fs::write(&css, format!("{}\n.essai {{ color: red }}\n", read(&css))).unwrap();
    let event = events.next();
    assert_eq!(event.name, "css", "{event:?}");
    assert_eq!(
        event.data["stylesheets"],
        serde_json::json!(["/static/style.css"])
    );
    let served = server.get("/static/style.css");
    assert!(served.text().contains(".essai { color: red }"));
    assert_eq!(served.header("content-type"), "text/css; charset=utf-8");
    assert!(!served.text().contains("livereload"));
    // A template is not a stylesheet: reload.
    let template = site.path().join("themes/default/templates/404.html");
    edit(&template, "Page introuvable", "Page disparue");
    let event = events.next();
    assert_eq!(event.name, "reload", "{event:?}");
    assert_eq!(event.data["files"], serde_json::json!(["404.html"]));
}

#[test]
fn requests_never_leave_the_site() {
    let site = fixture("mini");
    std::fs::write(site.path().join("secret.txt"), "SECRET").unwrap();
    let server = Server::start(site.path(), &[]);
    for path in [
        "/../secret.txt",
        "/../atlas.yaml",
        "/%2e%2e/atlas.yaml",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/static/..%2f..%2fsecret.txt",
        "/static/%2e%2e/%2e%2e/secret.txt",
        "/%5c..%5csecret.txt",
        "/..\\secret.txt",
        "//etc/passwd",
        "/etc/passwd",
        &format!("/{}/secret.txt", site.path().display()),
        "/secret.txt",
        "/atlas.yaml",
        "/content/cas/marque-avignon.md",
        "/static/style.css%00.html",
        "/%252e%252e/secret.txt",
    ] {
        let reply = server.get(path);
        assert!(
            reply.status == 400 || reply.status == 404,
            "{path}: {}",
            reply.status
        );
        let text = reply.text();
        assert!(!text.contains("SECRET") && !text.contains("root:") && !text.contains("base_url"));
    }
    // No directory listing, folders need their slash, media types by extension.
    assert_eq!(server.get("/static/").status, 404);
    let redirect = server.get("/villes/avignon?x=1");
    assert_eq!(redirect.status, 302);
    assert_eq!(redirect.header("location"), "/villes/avignon/?x=1");
    assert_eq!(
        server.get("/static/favicon.svg").header("content-type"),
        "image/svg+xml"
    );
    assert_eq!(
        server.get("/villes/").header("content-type"),
        "text/html; charset=utf-8"
    );
    let missing = server.get("/villes/nulle-part/");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("content-type"), "text/html; charset=utf-8");
    let head = server.request("HEAD", "/villes/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(server.request("POST", "/villes/").status, 405);
    assert_eq!(
        server.get("/__atlas/livereload.js").header("content-type"),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        server.get("/__atlas/overlay.css").header("content-type"),
        "text/css; charset=utf-8"
    );
}

#[test]
fn a_site_under_a_sub_path_is_served_there() {
    let site = fixture("mini");
    let server = Server::start(site.path(), &["--base-url", "https://example.org/atlas/"]);
    assert_eq!(server.base, "/atlas/");
    let root = server.get("/");
    assert_eq!(root.status, 302);
    assert_eq!(root.header("location"), "/atlas/");
    let home = server.get("/atlas/");
    assert_eq!(home.status, 200);
    assert!(
        home.text()
            .contains("<script src=\"/atlas/__atlas/livereload.js\"")
    );
    assert_eq!(server.get("/atlas/villes/avignon/").status, 200);
    assert_eq!(server.get("/villes/avignon/").status, 404);
    let events = Events::connect(&server);
    edit(&case(site.path()), "Avignon Tourisme", "Avignon Provence");
    assert_eq!(events.next().name, "reload");
}

#[test]
fn a_taken_port_is_refused_with_exit_code_2() {
    let site = fixture("mini");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = common::bin()
        .args(["serve", "--port", &port, "--root"])
        .arg(site.path())
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = common::stderr(&output);
    assert!(
        stderr.contains(&format!(
            "le port {port} est déjà utilisé\u{a0}: choisissez-en un autre avec --port, ou --port 0 pour un port libre"
        )),
        "{stderr}"
    );
}

/// After a sequence of edits of every kind, the served site is, file for file and byte for
/// byte, what a fresh `build` writes.
#[test]
fn after_a_sequence_of_edits_the_served_site_equals_a_fresh_build() {
    let site = fixture("mini");
    let root = site.path();
    edit(
        &root.join("atlas.yaml"),
        "minifier: false",
        "minifier: true",
    );
    let server = Server::start(root, &[]);
    let events = Events::connect(&server);
    let step = |what: &str, change: &dyn Fn()| {
        change();
        let event = events.next();
        assert!(
            ["reload", "css"].contains(&event.name.as_str()),
            "{what}: {event:?}"
        );
    };
    step("title", &|| {
        edit(&case(root), "Avignon Tourisme", "Avignon, marque")
    });
    step("strategies", &|| {
        edit(
            &case(root),
            "strategies: [marque-touristique]",
            "strategies: [marque-touristique, evenementiel]",
        )
    });
    step("cities", &|| {
        edit(
            &case(root),
            "villes: [avignon, le-pontet]",
            "villes: [avignon, carpentras]",
        )
    });
    step("new case", &|| {
        std::fs::write(
            root.join("content/cas/2024/nouveau.md"),
            read(&case(root)).replace("Avignon, marque", "Nouveau cas"),
        )
        .unwrap()
    });
    step("rename", &|| {
        std::fs::rename(
            root.join("content/cas/2024/nouveau.md"),
            root.join("content/cas/2024/renomme.md"),
        )
        .unwrap()
    });
    step("city card", &|| {
        edit(
            &root.join("content/villes/carpentras.yaml"),
            "nom: Carpentras",
            "nom: Carpentras-la-Belle",
        )
    });
    step("template", &|| {
        edit(
            &root.join("themes/default/templates/ville.html"),
            "<h1>{{ v.nom }}</h1>",
            "<h1>Ville : {{ v.nom }}</h1>",
        )
    });
    step("stylesheet", &|| {
        let path = root.join("themes/default/static/style.css");
        std::fs::write(&path, format!("{}\n.x {{ color: red }}\n", read(&path))).unwrap()
    });
    step("delete", &|| {
        std::fs::remove_file(root.join("content/cas/2024/renomme.md")).unwrap()
    });
    step("configuration", &|| {
        edit(
            &root.join("atlas.yaml"),
            "titre: Atlas d'essai",
            "titre: Atlas modifié",
        )
    });

    server.assert_equals_a_fresh_build(root);
}

/// Edit-to-reload latency, on the real atlas and on 10,000 case studies:
/// `VAUCLUSE_ATLAS_TIMINGS=1 cargo test --release --test serve latency -- --ignored --nocapture`
/// (the variable makes `serve` print where each rebuild's time goes).
#[test]
#[ignore]
fn latency() {
    for (name, site) in [
        ("atlas réel", real_atlas()),
        ("10 000 études de cas", synthetic_site(10_000)),
    ] {
        let started = Instant::now();
        let server = Server::start(site.path(), &[]);
        let startup = started.elapsed();
        let events = Events::connect(&server);
        let path = first_case(site.path());
        let mut times = Vec::new();
        for round in 0..5 {
            let text = read(&path);
            let edited = match text.find("\nresume: ") {
                Some(i) => format!(
                    "{}\nresume: Édition {round}. {}",
                    &text[..i],
                    &text[i + 9..]
                ),
                None => panic!("no resume in {}", path.display()),
            };
            let before = Instant::now();
            std::fs::write(&path, edited).unwrap();
            let event = events.next();
            times.push(before.elapsed());
            assert_eq!(event.name, "reload", "{event:?}");
            std::thread::sleep(Duration::from_millis(300));
        }
        let mut sorted = times.clone();
        sorted.sort();
        eprintln!(
            "{name}: démarrage {} ms; modification → rechargement : médiane {} ms, max {} ms ({:?}); pages rendues à nouveau : {:?}",
            startup.as_millis(),
            sorted[sorted.len() / 2].as_millis(),
            sorted.last().unwrap().as_millis(),
            times.iter().map(|t| t.as_millis()).collect::<Vec<_>>(),
            server.rebuilt_pages()
        );
        for line in server.stderr().lines().filter(|l| l.contains(" ms")) {
            eprintln!("  {line}");
        }
    }
}

fn first_case(root: &Path) -> PathBuf {
    let mut cases: Vec<PathBuf> = walkdir::WalkDir::new(root.join("content/cas"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    cases.sort();
    cases.into_iter().next().unwrap()
}

fn real_atlas() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let repo = common::repo();
    common::copy_dir(&repo.join("content"), &dir.path().join("content"));
    common::copy_dir(&repo.join("themes"), &dir.path().join("themes"));
    std::fs::copy(repo.join("atlas.yaml"), dir.path().join("atlas.yaml")).unwrap();
    dir
}

/// The benchmark corpus (`vaucluse_atlas::corpus`): `cases` case studies over the real cities.
fn synthetic_site(cases: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    vaucluse_atlas::corpus::write_atlas(&common::repo(), dir.path(), cases, 2026).unwrap();
    dir
}

/// The incremental pipeline alone, edit after edit: each cached build gives the files of a
/// build from scratch, and renders only what the edit touches.
#[test]
fn every_cached_build_equals_a_build_from_scratch() {
    use vaucluse_atlas::incremental::Cache;
    let site = fixture("mini");
    let root = site.path().canonicalize().unwrap();
    edit(
        &root.join("atlas.yaml"),
        "minifier: false",
        "minifier: true",
    );
    let options = vaucluse_atlas::BuildOptions::new(&root);
    let cache = Cache::new();
    let rebuild = |changed: &[&str]| {
        let changed: Vec<PathBuf> = changed.iter().map(|p| root.join(p)).collect();
        cache.invalidate(&root, &changed);
        cache.begin();
        let cached = vaucluse_atlas::compile_cached(&options, Some(&cache));
        let stats = cache.finish(cached.is_ok());
        let fresh = vaucluse_atlas::compile(&options);
        match (cached, fresh) {
            (Ok(cached), Ok(fresh)) => {
                assert_eq!(cached.files.len(), fresh.files.len());
                for (a, b) in cached.files.iter().zip(&fresh.files) {
                    assert_eq!(a.path, b.path);
                    assert!(a.bytes == b.bytes, "{} differs", a.path);
                }
                (stats, fresh.pages)
            }
            (Err(a), Err(b)) => {
                assert_eq!(format!("{a:?}"), format!("{b:?}"));
                (stats, 0)
            }
            (a, b) => panic!("{:?} / {:?}", a.err(), b.err()),
        }
    };
    let (first, pages) = rebuild(&[]);
    assert_eq!(first.rendered, pages);
    let (none, _) = rebuild(&[]);
    assert_eq!(none.rendered, 0, "nothing changed, nothing rendered");
    assert_eq!(none.parsed, 0);

    let case = "content/cas/marque-avignon.md";
    edit(&root.join(case), "Avignon Tourisme", "Avignon, la marque");
    let (title, _) = rebuild(&[case]);
    assert_eq!(title.parsed, 1);
    assert!(
        title.rendered > 0 && title.rendered < pages / 2,
        "{title:?} of {pages}"
    );
    // The body only shows on the case study's own page.
    edit(&root.join(case), "## Contexte", "## Le contexte");
    let (body, _) = rebuild(&[case]);
    assert!(body.rendered <= 3, "{body:?}");
    // Its tags: more pages (strategies, synergies), still not all.
    edit(
        &root.join(case),
        "strategies: [marque-touristique]",
        "strategies: [marque-touristique, participation-citoyenne]",
    );
    let (tags, _) = rebuild(&[case]);
    assert!(
        tags.rendered > body.rendered && tags.rendered < pages,
        "{tags:?}"
    );
    // Broken, then fixed.
    edit(&root.join(case), "villes: [avignon", "villes: [avigon");
    rebuild(&[case]);
    edit(&root.join(case), "villes: [avigon", "villes: [avignon");
    rebuild(&[case]);
    // A template: the pages that use it.
    let template = "themes/default/templates/intercommunalite.html";
    let text = read(&root.join(template));
    let (start, end) = (
        text.find("{% block contenu %}").unwrap(),
        "{% block contenu %}".len(),
    );
    std::fs::write(
        root.join(template),
        format!(
            "{}<p>Nouveau paragraphe</p>{}",
            &text[..start + end],
            &text[start + end..]
        ),
    )
    .unwrap();
    let (by_template, _) = rebuild(&[template]);
    assert!(
        by_template.rendered >= 1 && by_template.rendered < pages / 2,
        "{by_template:?}"
    );
    // A card's component, rendered once per card: the pages that list the card come out as a
    // build from scratch makes them.
    let components = "themes/default/templates/partials/composants.html";
    edit(
        &root.join(components),
        r#"<article class="carte carte-cas">"#,
        r#"<article class="carte carte-cas essai">"#,
    );
    let (by_card, _) = rebuild(&[components]);
    assert!(by_card.rendered >= 3, "{by_card:?}");
    // The shared layout: every page.
    let base = "themes/default/templates/base.html";
    edit(&root.join(base), "<body>", "<body class=\"essai\">");
    let (layout, _) = rebuild(&[base]);
    assert_eq!(layout.rendered, pages);
    // New, renamed, deleted.
    std::fs::write(
        root.join("content/cas/nouveau.md"),
        read(&root.join(case)).replace("Avignon, la marque", "Un nouveau cas"),
    )
    .unwrap();
    rebuild(&["content/cas/nouveau.md"]);
    std::fs::rename(
        root.join("content/cas/nouveau.md"),
        root.join("content/cas/renomme.md"),
    )
    .unwrap();
    rebuild(&["content/cas/nouveau.md", "content/cas/renomme.md"]);
    std::fs::remove_file(root.join("content/cas/renomme.md")).unwrap();
    rebuild(&["content/cas/renomme.md"]);
    // The configuration: everything again.
    edit(
        &root.join("atlas.yaml"),
        "minifier: true",
        "minifier: false",
    );
    let (config, _) = rebuild(&["atlas.yaml"]);
    assert_eq!(config.rendered, pages);
}

/// Where a rebuild's time goes, on the real atlas and on 10,000 case studies:
/// `cargo test --release --test serve profile -- --ignored --nocapture`.
#[test]
#[ignore]
fn profile() {
    use vaucluse_atlas::incremental::Cache;
    for (name, site) in [
        ("atlas réel", real_atlas()),
        ("10 000 études de cas", synthetic_site(10_000)),
    ] {
        let root = site.path().canonicalize().unwrap();
        let options = vaucluse_atlas::BuildOptions::new(&root);
        let cache = Cache::new();
        let path = first_case(&root);
        for round in 0..4 {
            // A summary (shown in listings), then the body (its own page only).
            if round == 1 || round == 2 {
                edit(&path, "resume: ", &format!("resume: Édition {round}. "));
            } else if round == 3 {
                std::fs::write(&path, format!("{}\nUn paragraphe de plus.\n", read(&path)))
                    .unwrap();
            }
            cache.invalidate(&root, std::slice::from_ref(&path));
            let started = Instant::now();
            cache.begin();
            let compiled = vaucluse_atlas::compile_cached(&options, Some(&cache)).unwrap();
            let stats = cache.finish(true);
            let t = compiled.timings;
            eprintln!(
                "{name}: {} ms (lecture {} ms, résolution {} ms, analyse {} ms, rendu {} ms), {} pages rendues sur {}, {} fichiers lus",
                started.elapsed().as_millis(),
                t.load.as_millis(),
                t.resolve.as_millis(),
                t.analyse.as_millis(),
                t.render.as_millis(),
                stats.rendered,
                compiled.pages,
                stats.parsed
            );
        }
    }
}
