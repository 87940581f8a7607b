//! Limits: a 10 MB Markdown file, 100,000 files, lists and quotes nested 10,000 deep, YAML
//! alias bombs, symbolic-link loops and links out of the site. Each is either handled or
//! refused with a French message naming the file and what was expected, within a wall-time
//! bound generous enough for a loaded 2-core machine and a peak memory (the child's maximum
//! resident set, from wait4) far below the machine's.
//!
//! The figures are printed (`cargo test --test limits -- --nocapture`). The two tests of
//! 100,000 files run in release only: `cargo test --release --test limits`.

#![cfg(unix)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::fixture;
use common::measure::{Measured, run_measured};

const MB: u64 = 1024;

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A valid case study front matter; `titre` names it.
fn front(titre: &str) -> String {
    format!(
        "---\ntitre: {titre}\nresume: Un cas limite.\nvilles: [avignon]\nstrategies: [evenementiel]\n\
         canaux: [site-web]\npublics: [habitants]\ndate: 2024-05-01\nstatut: publie\nsources:\n  \
         - titre: Source\n    url: https://exemple.test/\n    consulte: 2026-11-27\n---\n"
    )
}

fn report(name: &str, measured: &Measured) {
    eprintln!(
        "{name}: exit {:?} in {:.2} s, peak {} MB",
        measured.code,
        measured.wall.as_secs_f64(),
        measured.peak_kb / MB
    );
}

/// Runs `args` on `root`, checks the exit code, the time and the memory, returns stderr.
fn bounded(
    name: &str,
    args: &[&str],
    root: &Path,
    code: i32,
    seconds: u64,
    peak_mb: u64,
) -> String {
    let measured = run_measured(args, root, Duration::from_secs(seconds * 3));
    report(name, &measured);
    assert!(
        !measured.timed_out,
        "{name}: still running after {}s",
        seconds * 3
    );
    assert!(
        !measured.stderr.contains("panicked") && !measured.stderr.contains("overflow"),
        "{name}: {}",
        measured.stderr
    );
    assert_eq!(measured.code, Some(code), "{name}: {}", measured.stderr);
    assert!(
        measured.wall < Duration::from_secs(seconds),
        "{name}: {:?}",
        measured.wall
    );
    assert!(
        measured.peak_kb < peak_mb * MB,
        "{name}: peak {} MB",
        measured.peak_kb / MB
    );
    measured.stderr
}

#[test]
fn a_10_mb_markdown_file_is_refused_at_once_with_the_limit() {
    let site = fixture("mini");
    let body = "Un paragraphe de texte ordinaire, répété pour peser lourd.\n\n".repeat(180_000);
    assert!(body.len() > 10 * 1024 * 1024);
    write(
        site.path(),
        "content/cas/enorme.md",
        &(front("Énorme") + &body),
    );
    for command in ["check", "build"] {
        let err = bounded(
            &format!("10 MB Markdown, {command}"),
            &[command],
            site.path(),
            1,
            30,
            300,
        );
        assert!(
            err.contains("erreur : content/cas/enorme.md : fichier trop volumineux (10,"),
            "{err}"
        );
        assert!(
            err.contains("la limite est de 2,0\u{a0}Mo")
                && err.contains("un fichier de 2,0\u{a0}Mo au plus"),
            "{err}"
        );
    }
    assert!(!site.path().join("public").exists());
}

#[test]
fn a_markdown_file_just_under_the_size_limit_is_built() {
    let site = fixture("mini");
    let mut body = String::new();
    let mut section = 0;
    while body.len() < 1_900_000 {
        section += 1;
        body.push_str(&format!(
            "## Partie {section}\n\nLa ville a mené une action : « rencontrer » ses habitants ! \
             Voir [Avignon](/villes/avignon/) et *les* **chiffres**.\n\n- un point\n- un autre \
             point\n  - un détail\n\n| Année | Valeur |\n|---|---|\n| 2020 | {section} |\n\n> Une \
             citation.\n\n"
        ));
    }
    write(site.path(), "content/cas/long.md", &(front("Long") + &body));
    bounded(
        "1.9 MB Markdown, build",
        &["build"],
        site.path(),
        0,
        180,
        1500,
    );
    let page = std::fs::read_to_string(site.path().join("public/cas/long/index.html")).unwrap();
    assert!(page.contains(&format!("Partie {section}")));
}

/// 10,000 levels of lists, ordered lists, quotes, and both mixed, on one line or on many:
/// refused at the line where the 101st level opens, quickly. 10,000 nested raw HTML elements
/// or 10,000 nested emphases: refused beyond 256 levels of elements.
#[test]
fn lists_and_quotes_nested_ten_thousand_deep_are_refused_with_their_line() {
    let cases: Vec<(&str, String)> = vec![
        ("liste", "- ".repeat(10_000) + "fond\n"),
        ("liste-numerotee", "1. ".repeat(10_000) + "fond\n"),
        ("citations", "> ".repeat(10_000) + "fond\n"),
        ("citations-serrees", ">".repeat(10_000) + " fond\n"),
        ("melange", "> - ".repeat(5_000) + "fond\n"),
        (
            "liste-indentee",
            (0..1_000)
                .map(|i| format!("{}- niveau {i}\n", "  ".repeat(i)))
                .collect(),
        ),
        (
            "html-div",
            "<div>".repeat(10_000) + "fond" + &"</div>".repeat(10_000) + "\n",
        ),
        (
            "html-citations",
            "<blockquote>".repeat(10_000) + "fond" + &"</blockquote>".repeat(10_000) + "\n",
        ),
        (
            "emphases",
            "*a _b ".repeat(5_000) + "fond" + &" b_ a*".repeat(5_000) + "\n",
        ),
    ];
    for (name, body) in cases {
        let site = fixture("mini");
        let path = format!("content/cas/{name}.md");
        let text = format!("{}Avant.\n\n{body}", front(name));
        write(site.path(), &path, &text);
        let err = bounded(
            &format!("nesting {name}, check"),
            &["check"],
            site.path(),
            1,
            60,
            500,
        );
        // The front matter has 14 lines, then « Avant. » and a blank line.
        let line = if name == "liste-indentee" {
            17 + 100
        } else {
            17
        };
        assert!(
            err.contains(&format!("erreur : {path}:{line}:")),
            "{name}: {err}"
        );
        if ["html-div", "html-citations", "emphases"].contains(&name) {
            assert!(
                err.contains("mise en forme imbriquée sur plus de 256 niveaux")
                    && err.contains("au plus 256 éléments les uns dans les autres"),
                "{name}: {err}"
            );
        } else {
            assert!(
                err.contains("listes ou citations imbriquées sur plus de 100 niveaux")
                    && err.contains("au plus 100 niveaux de listes et de citations"),
                "{name}: {err}"
            );
        }
    }
}

/// Up to the limits, deep structures are rendered: Markdown, the typography pass, the raw
/// HTML filter, Tera, the minifier and the search index never overflow the stack.
#[test]
fn deep_but_allowed_nesting_is_rendered_without_overflowing_the_stack() {
    let site = fixture("mini");
    let atlas = site.path().join("atlas.yaml");
    let config = std::fs::read_to_string(&atlas).unwrap();
    std::fs::write(&atlas, config.replace("minifier: false", "minifier: true")).unwrap();
    let body = format!(
        "{}fond de liste\n\n{}fond de citation\n\n{}\n\n{}fond de div{}\n\n{}fond d’emphase{}\n",
        "- ".repeat(100),
        "> ".repeat(100),
        (0..100)
            .map(|i| format!("{}- niveau {i} : texte !\n", "  ".repeat(i)))
            .collect::<String>(),
        "<div>".repeat(250),
        "</div>".repeat(250),
        "*a _b ".repeat(120),
        " b_ a*".repeat(120),
    );
    write(
        site.path(),
        "content/cas/profond.md",
        &(front("Profond") + &body),
    );
    bounded(
        "nesting at the limits, build",
        &["build"],
        site.path(),
        0,
        180,
        1500,
    );
    let page = std::fs::read_to_string(site.path().join("public/cas/profond/index.html")).unwrap();
    for text in [
        "fond de liste",
        "fond de citation",
        "niveau 99",
        "fond d’emphase",
    ] {
        assert!(page.contains(text), "{text}");
    }
}

/// The home page's introduction in atlas.yaml has the same limit.
#[test]
fn a_deep_introduction_in_atlas_yaml_is_refused() {
    let site = fixture("mini");
    let atlas = site.path().join("atlas.yaml");
    let config = std::fs::read_to_string(&atlas).unwrap();
    let (before, _) = config.split_once("introduction:").unwrap();
    std::fs::write(
        &atlas,
        format!(
            "{before}introduction: |\n  Bienvenue.\n\n  {}fond\n",
            "> ".repeat(2_000)
        ),
    )
    .unwrap();
    let err = bounded(
        "deep introduction, check",
        &["check"],
        site.path(),
        1,
        60,
        500,
    );
    assert!(err.contains("erreur : atlas.yaml:"), "{err}");
    assert!(err.contains("listes ou citations imbriquées"), "{err}");
}

/// « Billion laughs » and other alias bombs: refused within bounded time and memory.
#[test]
fn yaml_alias_bombs_are_refused_within_bounded_time_and_memory() {
    let mut lol = String::from(
        "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..30 {
        let refs = vec![format!("*a{}", i - 1); 10].join(",");
        lol.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let case = std::fs::read_to_string(
        common::repo().join("tests/fixtures/mini/content/cas/marque-avignon.md"),
    )
    .unwrap();
    // A 1 MB text anchored once and repeated by 2,000 aliases: 2 GB once expanded.
    let big = "x".repeat(1024 * 1024);
    let scalar_bomb = case
        .replacen(
            "resume: Une marque touristique partagée entre la ville et l'agglomération.",
            &format!("resume: &s \"{big}\""),
            1,
        )
        .replacen(
            "villes: [avignon, le-pontet]",
            &format!("villes: [{}]", vec!["*s"; 2000].join(", ")),
            1,
        );
    assert!(scalar_bomb.len() < 2 * 1024 * 1024);
    let city = std::fs::read_to_string(
        common::repo().join("tests/fixtures/mini/content/villes/carpentras.yaml"),
    )
    .unwrap();
    // Nested sequences under a known field.
    let nested = case.replacen(
        "villes: [avignon, le-pontet]",
        &format!("{}villes: [*a29]", lol.replace("a0:", "x0:")),
        1,
    );
    let bombs: Vec<(&str, String, &str)> = vec![
        (
            "content/villes/carpentras.yaml",
            format!("{lol}{city}"),
            "champ inconnu",
        ),
        (
            "content/cas/marque-avignon.md",
            scalar_bomb,
            "YAML trop complexe",
        ),
        (
            "content/cas/marque-avignon.md",
            nested,
            "content/cas/marque-avignon.md",
        ),
        ("atlas.yaml", format!("{lol}titre: x\n"), "atlas.yaml"),
    ];
    for (index, (path, text, expected)) in bombs.into_iter().enumerate() {
        let site = fixture("mini");
        write(site.path(), path, &text);
        let err = bounded(
            &format!("YAML bomb {index} in {path}, check"),
            &["check"],
            site.path(),
            1,
            30,
            400,
        );
        assert!(err.contains(expected), "{path}: {err}");
        assert!(err.contains(&format!("erreur : {path}")), "{err}");
        assert!(!err.contains("budget breached"), "{err}");
    }
}

/// Links that loop, links that point to each other, a link to itself, and a chain of folders
/// that link twice to the next one (2^20 paths): all reported, quickly.
#[test]
fn symbolic_link_loops_and_chains_are_reported_quickly() {
    use std::os::unix::fs::symlink;
    let site = fixture("mini");
    let cas = site.path().join("content/cas");
    symlink(".", cas.join("boucle")).unwrap();
    symlink("lui-meme.md", cas.join("lui-meme.md")).unwrap();
    symlink("ping.md", cas.join("pong.md")).unwrap();
    symlink("pong.md", cas.join("ping.md")).unwrap();
    let chain = cas.join("chaine");
    for level in 0..20 {
        let dir = chain.join(format!("n{level}"));
        std::fs::create_dir_all(&dir).unwrap();
        for link in ["g", "d"] {
            symlink(format!("../n{}", level + 1), dir.join(link)).unwrap();
        }
    }
    std::fs::create_dir_all(chain.join("n20")).unwrap();
    let err = bounded("symlink loops, check", &["check"], site.path(), 1, 60, 500);
    for expected in [
        "erreur : content/cas/boucle : boucle de liens symboliques",
        "erreur : content/cas/lui-meme.md : lecture impossible (boucle de liens symboliques)",
        "erreur : content/cas/ping.md : lecture impossible (boucle de liens symboliques)",
        "erreur : content/cas/chaine/n0/d : lien symbolique vers «\u{202f}content/cas/chaine/n1\u{202f}», un dossier déjà lu à sa place",
    ] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

/// A case study, a folder and the referential linked to files outside the site: refused,
/// naming the link and the real path, and nothing of them is published.
#[test]
fn links_out_of_the_site_are_refused_and_nothing_is_published() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let secret = front("SECRET publié par erreur") + "Texte SECRET.\n";
    write(outside.path(), "secret.md", &secret);
    write(outside.path(), "dossier/autre.md", &secret);
    let site = fixture("mini");
    let root = site.path();
    symlink(
        outside.path().join("secret.md"),
        root.join("content/cas/evade.md"),
    )
    .unwrap();
    symlink(
        outside.path().join("dossier"),
        root.join("content/cas/dehors"),
    )
    .unwrap();
    // An absolute link and a relative one that climbs out.
    let publics = root.join("content/referentiel/publics.yaml");
    let text = std::fs::read_to_string(&publics).unwrap();
    write(outside.path(), "publics.yaml", &text);
    std::fs::remove_file(&publics).unwrap();
    let climb = format!(
        "{}/publics.yaml",
        std::iter::repeat_n("..", root.join("content/referentiel").components().count())
            .collect::<Vec<_>>()
            .join("/")
            + &outside.path().display().to_string()
    );
    symlink(&climb, &publics).unwrap();
    assert!(publics.exists(), "{climb}");
    let err = bounded("links out of the site, build", &["build"], root, 1, 60, 500);
    for (path, target) in [
        ("content/cas/evade.md", "secret.md"),
        ("content/cas/dehors", "dossier"),
        ("content/referentiel/publics.yaml", "publics.yaml"),
    ] {
        let real = outside.path().canonicalize().unwrap().join(target);
        assert!(
            err.contains(&format!(
                "erreur : {path} : lien symbolique vers «\u{202f}{}\u{202f}»\u{202f}: ce chemin est hors du dossier du site",
                real.display()
            )),
            "{path}: {err}"
        );
    }
    assert!(!root.join("public").exists());
    // A link inside the site is fine.
    std::fs::remove_file(root.join("content/cas/evade.md")).unwrap();
    std::fs::remove_file(root.join("content/cas/dehors")).unwrap();
    std::fs::remove_file(&publics).unwrap();
    std::fs::write(&publics, &text).unwrap();
    std::fs::rename(
        root.join("content/cas/marque-avignon.md"),
        root.join("marque-avignon.md"),
    )
    .unwrap();
    symlink(
        "../../marque-avignon.md",
        root.join("content/cas/marque-avignon.md"),
    )
    .unwrap();
    bounded(
        "a link inside the site, build",
        &["build"],
        root,
        0,
        120,
        1000,
    );
    assert!(root.join("public/cas/marque-avignon/index.html").is_file());
}

/// `count` small files in `static/`, built twice (the second build replaces the first
/// output): all copied, within bounded time and memory.
fn static_files_are_copied(count: usize, seconds: u64) {
    let site = fixture("mini");
    for index in 0..count {
        let dir = site
            .path()
            .join(format!("static/fichiers/{:03}", index / 1000));
        if index % 1000 == 0 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        std::fs::write(dir.join(format!("{index:06}.txt")), format!("{index}\n")).unwrap();
    }
    bounded(
        &format!("{count} static files, build"),
        &["build"],
        site.path(),
        0,
        seconds,
        1500,
    );
    let copied = walkdir::WalkDir::new(site.path().join("public/static/fichiers"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(copied, count);
    bounded(
        &format!("{count} static files, second build"),
        &["build"],
        site.path(),
        0,
        seconds,
        1500,
    );
    assert!(vaucluse_atlas::write::leftovers(&site.path().join("public")).is_empty());
}

#[test]
fn ten_thousand_static_files_are_copied() {
    static_files_are_copied(10_000, 120);
}

/// Creating, building and deleting 100,000 files takes minutes on a loaded machine in a debug
/// build: release only (`cargo test --release --test limits`).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release only: cargo test --release --test limits"
)]
fn a_hundred_thousand_static_files_release_only() {
    static_files_are_copied(100_000, 120);
}

/// 100,000 case studies (drafts: loaded, parsed and checked, not rendered). Parsing 100,000
/// files takes about a minute in a debug build: this one runs in release only
/// (`cargo test --release --test limits`).
#[test]
#[cfg_attr(
    debug_assertions,
    ignore = "release only: cargo test --release --test limits"
)]
fn a_hundred_thousand_case_studies_release_only() {
    let site = fixture("mini");
    for folder in 0..100 {
        let dir = site
            .path()
            .join(format!("content/cas/brouillons/{folder:03}"));
        std::fs::create_dir_all(&dir).unwrap();
        for file in 0..1000 {
            std::fs::write(
                dir.join(format!("b-{folder:03}-{file:04}.md")),
                format!(
                    "---\ntitre: Brouillon {folder} {file}\nresume: Un brouillon.\nvilles: [avignon]\n\
                     strategies: [evenementiel]\ndate: 2024-01-01\nstatut: brouillon\nsources:\n  \
                     - titre: S\n    url: https://exemple.test/\n    consulte: 2026-11-27\n---\nTexte {file}.\n"
                ),
            )
            .unwrap();
        }
    }
    bounded(
        "100,000 case studies, build",
        &["build"],
        site.path(),
        0,
        60,
        1500,
    );
}
