//! Integration tests of the editors' commands: `new cas`, `new ville` (skeletons that `check`
//! accepts once the required values are filled), `init` (a new atlas that builds) and `schema`
//! (the committed schemas are up to date, and the files reference them).

mod common;

use std::path::Path;

use common::*;

fn check(root: &Path) -> (Option<i32>, String) {
    let output = run(&["check"], root);
    (output.status.code(), stderr(&output))
}

fn fill(path: &Path, from: &str, to: &str) {
    let text = read(path);
    assert!(text.contains(from), "{from:?} not in {text}");
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn new_cas_writes_a_skeleton_that_check_accepts_once_filled() {
    let site = fixture("mini");
    let output = run(
        &[
            "new",
            "cas",
            "Le budget participatif : un exemple",
            "--villes",
            "avignon,carpentras",
        ],
        site.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .starts_with("Fichier écrit\u{a0}: content/cas/le-budget-participatif-un-exemple.md\n"),
        "{}",
        stderr(&output)
    );
    let path = site
        .path()
        .join("content/cas/le-budget-participatif-un-exemple.md");
    let text = read(&path);
    assert!(
        text.contains("\ntitre: \"Le budget participatif : un exemple\"\n"),
        "{text}"
    );
    assert!(text.contains("\nvilles: [avignon, carpentras]\n"), "{text}");
    assert!(text.contains("\n# Valeurs possibles : marque-touristique, evenementiel, participation-citoyenne.\nstrategies: []\n"), "{text}");

    // The skeleton asks for what is required, one thing at a time, in French.
    let (code, err) = check(site.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("erreur : content/cas/le-budget-participatif-un-exemple.md:2:1 : champ obligatoire «\u{202f}resume\u{202f}» manquant\n"),
        "{err}"
    );
    assert!(
        err.contains("Vérification terminée\u{a0}: 1 erreur, 0 avertissement."),
        "{err}"
    );

    fill(
        &path,
        "# resume: Ce qu'a fait la ville, et ce que d'autres peuvent en retenir.",
        "resume: Un budget participatif ouvert dès 16 ans.",
    );
    let (code, err) = check(site.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("erreur : content/cas/le-budget-participatif-un-exemple.md : l’étude de cas n’a aucune source\n"), "{err}");
    assert!(
        err.contains("Vérification terminée\u{a0}: 1 erreur, 0 avertissement."),
        "{err}"
    );

    let text = read(&path);
    let model_start = text.find("sources: []\n").unwrap();
    let model_end = text[model_start..].find("---\n").unwrap() + model_start;
    let model = &text[model_start..model_end];
    let filled = model
        .replace("sources: []\n", "sources:\n")
        .replace("#   ", "  ")
        .replace("#     ", "    ");
    fill(&path, model, &filled);
    let (code, err) = check(site.path());
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("Vérification terminée\u{a0}: 0 erreur, 0 avertissement."),
        "{err}"
    );

    // A draft until the editor says otherwise: the built site does not show it.
    let output = run(&["build"], site.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        !site
            .path()
            .join("public/cas/le-budget-participatif-un-exemple/index.html")
            .exists()
    );
}

#[test]
fn new_cas_refuses_unknown_cities_with_the_closest_slug() {
    let site = fixture("mini");
    let output = run(
        &["new", "cas", "Un titre", "--villes", "avigon,paris"],
        site.path(),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("erreur : --villes : ville inconnue «\u{202f}avigon\u{202f}» — vouliez-vous dire «\u{202f}avignon\u{202f}»\u{202f}?\n"),
        "{err}"
    );
    assert!(
        err.contains("erreur : --villes : ville inconnue «\u{202f}paris\u{202f}»\n"),
        "{err}"
    );
    assert!(err.ends_with("Aucun fichier n’a été écrit.\n"), "{err}");
    assert!(!site.path().join("content/cas/un-titre.md").exists());
}

#[test]
fn new_refuses_to_overwrite_a_file() {
    let site = fixture("mini");
    let output = run(
        &["new", "cas", "Noëls insolites", "--villes", "carpentras"],
        site.path(),
    );
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("erreur : content/cas/2024/noels-insolites.md : l’étude de cas «\u{202f}noels-insolites\u{202f}» existe déjà\u{a0}: le fichier n’a pas été modifié\n"),
        "{err}"
    );
    let before = read(&site.path().join("content/villes/avignon.yaml"));
    let output = run(&["new", "ville", "Avignon"], site.path());
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("erreur : content/villes/avignon.yaml : la fiche «\u{202f}avignon\u{202f}» existe déjà\u{a0}: le fichier n’a pas été modifié\n"),
        "{err}"
    );
    assert_eq!(
        read(&site.path().join("content/villes/avignon.yaml")),
        before
    );
}

#[test]
fn new_ville_writes_a_skeleton_that_check_accepts_once_the_insee_code_is_filled() {
    let site = fixture("mini");
    let output = run(&["new", "ville", "L'Isle-sur-la-Sorgue"], site.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let path = site.path().join("content/villes/l-isle-sur-la-sorgue.yaml");
    let text = read(&path);
    assert!(
        text.starts_with("# yaml-language-server: $schema=../../schemas/ville.schema.json\n"),
        "{text}"
    );
    assert!(text.contains("\nnom: L'Isle-sur-la-Sorgue\n"), "{text}");
    for field in [
        "population",
        "population_annee",
        "epci",
        "coordonnees",
        "site_web",
        "sources_identite",
        "marques",
        "publics",
        "strategies",
        "canaux",
        "labels",
        "evenements",
        "sources",
    ] {
        assert!(
            text.contains(&format!("\n# {field}:")),
            "{field} is there, commented out: {text}"
        );
    }
    let (code, err) = check(site.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("erreur : content/villes/l-isle-sur-la-sorgue.yaml:1:1 : champ obligatoire «\u{202f}insee\u{202f}» manquant\n"), "{err}");
    assert!(
        err.contains("Vérification terminée\u{a0}: 1 erreur, 0 avertissement."),
        "{err}"
    );

    // Uncommented as is, the placeholder is refused; with a real code, the card is valid.
    fill(&path, "# insee: \"CODE\"", "insee: \"CODE\"");
    let (code, err) = check(site.path());
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("code INSEE invalide «\u{202f}CODE\u{202f}»"),
        "{err}"
    );
    fill(&path, "insee: \"CODE\"", "insee: \"84054\"");
    let (code, err) = check(site.path());
    assert_eq!(code, Some(0), "{err}");

    // Every commented field, uncommented as written, is a valid card too (sources included).
    let text = read(&path);
    let uncommented: String = text
        .lines()
        .map(|line| {
            let field = line.strip_prefix("# ").unwrap_or(line);
            let key = field.split(':').next().unwrap_or_default();
            let is_key = !key.is_empty()
                && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && (field.contains(": ") || field.ends_with(':'));
            let is_field = field.starts_with("  ") || is_key;
            if line.starts_with("# ") && is_field && !field.starts_with("epci") {
                format!("{field}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    std::fs::write(&path, &uncommented).unwrap();
    let (code, err) = check(site.path());
    assert_eq!(code, Some(0), "{err}\n{uncommented}");
}

#[test]
fn init_creates_a_new_atlas_that_builds_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("atlas");
    let output = bin().arg("init").arg(&site).output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.starts_with(&format!(
            "Nouvel atlas créé dans {}\u{a0}: ",
            site.display()
        )),
        "{err}"
    );
    for file in [
        "atlas.yaml",
        "content/referentiel/strategies.yaml",
        "content/referentiel/canaux.yaml",
        "content/referentiel/publics.yaml",
        "content/referentiel/intercommunalites.yaml",
        "content/villes/ville-d-exemple.yaml",
        "content/cas/exemple-marque-d-une-ville.md",
        "schemas/ville.schema.json",
        "themes/default/templates/base.html",
        "docs/format.md",
    ] {
        assert!(site.join(file).is_file(), "{file}");
    }
    assert!(
        read(&site.join("atlas.yaml"))
            .starts_with("# yaml-language-server: $schema=schemas/atlas.schema.json\n")
    );
    assert!(read(&site.join("content/villes/ville-d-exemple.yaml")).contains("# EXEMPLE : "));
    assert!(read(&site.join("content/referentiel/intercommunalites.yaml")).ends_with("\n[]\n"));
    let (code, err) = check(&site);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("Vérification terminée\u{a0}: 0 erreur, 0 avertissement."),
        "{err}"
    );
    let output = run(&["build"], &site);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(site.join("public/index.html").is_file());
    assert!(
        site.join("public/villes/ville-d-exemple/index.html")
            .is_file()
    );
    assert!(
        site.join("public/cas/exemple-marque-d-une-ville/index.html")
            .is_file()
    );
}

#[test]
fn init_refuses_a_folder_that_is_not_empty() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "à garder").unwrap();
    let output = bin().arg("init").arg(dir.path()).output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "erreur : {} : le dossier n’est pas vide\u{a0}: rien n’a été écrit\n",
            dir.path().display()
        )),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn the_committed_schemas_are_up_to_date() {
    let committed = repo().join("schemas");
    for (name, text) in vaucluse_atlas::schema::schemas() {
        let path = committed.join(name);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == text,
            "schemas/{name} is out of date: run `cargo run -- schema` and commit the result"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .args(["schema", "--output"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        snapshot(dir.path()),
        snapshot(&committed),
        "the command writes the committed files"
    );
}

#[test]
fn cards_and_atlas_yaml_reference_the_schemas() {
    let atlas = read(&repo().join("atlas.yaml"));
    assert!(atlas.starts_with("# yaml-language-server: $schema=schemas/atlas.schema.json\n"));
    for entry in std::fs::read_dir(repo().join("content/villes")).unwrap() {
        let path = entry.unwrap().path();
        let text = read(&path);
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../schemas/ville.schema.json\n"),
            "{}: run the import (README, « Editors' workflow ») to add the schema line",
            path.display()
        );
    }
    assert!(
        repo()
            .join("content/villes/../../schemas/ville.schema.json")
            .is_file()
    );
}
