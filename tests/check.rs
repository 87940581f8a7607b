//! Integration tests of `check` and of error reports: exact French wording, file, line and
//! column, exit codes, JSON output, and a corpus of broken files that must never panic.

mod common;

use common::*;

fn write(site: &tempfile::TempDir, path: &str, bytes: &[u8]) {
    let path = site.path().join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn replace_in(site: &tempfile::TempDir, path: &str, from: &str, to: &str) {
    let path = site.path().join(path);
    let text = read(&path);
    assert!(text.contains(from), "{from} not in {}", path.display());
    std::fs::write(path, text.replace(from, to)).unwrap();
}

fn check(site: &tempfile::TempDir) -> (Option<i32>, String) {
    let output = run(&["check"], site.path());
    (output.status.code(), stderr(&output))
}

#[test]
fn a_clean_site_checks_with_exit_code_zero() {
    let site = fixture("mini");
    let (code, err) = check(&site);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("Vérification terminée\u{a0}: 0 erreur, 0 avertissement."),
        "{err}"
    );
    assert!(!site.path().join("public").exists(), "check writes nothing");
}

#[test]
fn an_unknown_city_names_file_line_column_and_the_closest_slug() {
    let site = fixture("mini");
    replace_in(
        &site,
        "content/cas/marque-avignon.md",
        "villes: [avignon, le-pontet]",
        "villes: [avigon, le-pontet]",
    );
    let (code, err) = check(&site);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("erreur : content/cas/marque-avignon.md:4:10 : ville inconnue «\u{202f}avigon\u{202f}» — vouliez-vous dire «\u{202f}avignon\u{202f}»\u{202f}?"),
        "{err}"
    );
    assert!(
        err.contains("villes: [avigon, le-pontet]"),
        "the source line is shown: {err}"
    );
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let site = fixture("mini");
    replace_in(
        &site,
        "content/cas/marque-avignon.md",
        "strategies: [marque-touristique]",
        "strategies: [marque-touristiqe]",
    );
    replace_in(
        &site,
        "content/villes/carpentras.yaml",
        "strategie: evenementiel",
        "strategie: evenementiels",
    );
    replace_in(
        &site,
        "content/villes/avignon.yaml",
        "epci: ca-du-grand-avignon-coga",
        "epci: ca-grand-avignon",
    );
    replace_in(
        &site,
        "content/cas/2024/noels-insolites.md",
        "date: 2025-12-20",
        "date: 2025-13-40",
    );
    let (code, err) = check(&site);
    assert_eq!(code, Some(1));
    assert!(err.contains("content/cas/marque-avignon.md:5:14 : stratégie inconnue «\u{202f}marque-touristiqe\u{202f}» — vouliez-vous dire «\u{202f}marque-touristique\u{202f}»\u{202f}?"), "{err}");
    assert!(err.contains("content/villes/carpentras.yaml:8:16 : stratégie inconnue «\u{202f}evenementiels\u{202f}» — vouliez-vous dire «\u{202f}evenementiel\u{202f}»\u{202f}?"), "{err}");
    assert!(err.contains("content/villes/avignon.yaml:5:7 : intercommunalité inconnue «\u{202f}ca-grand-avignon\u{202f}»"), "{err}");
    assert!(
        err.contains(
            "content/cas/2024/noels-insolites.md:7:7 : date invalide «\u{202f}2025-13-40\u{202f}»"
        ),
        "{err}"
    );
    assert!(err.contains("4 erreurs"), "{err}");
}

#[test]
fn unknown_fields_and_wrong_types_say_what_was_expected() {
    let site = fixture("mini");
    replace_in(
        &site,
        "content/villes/carpentras.yaml",
        "population: 31619",
        "populaton: 31619",
    );
    replace_in(
        &site,
        "content/villes/avignon.yaml",
        "population: 92188",
        "population: beaucoup",
    );
    let (code, err) = check(&site);
    assert_eq!(code, Some(1));
    assert!(
        err.contains(
            "content/villes/carpentras.yaml:3:1 : champ inconnu «\u{202f}populaton\u{202f}»"
        ),
        "{err}"
    );
    assert!(
        err.contains("aide\u{202f}: vouliez-vous dire «\u{202f}population\u{202f}»\u{202f}?"),
        "{err}"
    );
    assert!(
        err.contains(
            "content/villes/avignon.yaml:3:13 : valeur incorrecte «\u{202f}beaucoup\u{202f}»"
        ),
        "{err}"
    );
    assert!(
        err.contains("attendu\u{202f}: un nombre entier positif"),
        "{err}"
    );
}

#[test]
fn a_missing_required_field_is_named() {
    let site = fixture("mini");
    replace_in(
        &site,
        "content/cas/2024/noels-insolites.md",
        "titre: Les Noëls Insolites\n",
        "",
    );
    let (code, err) = check(&site);
    assert_eq!(code, Some(1));
    assert!(err.contains("content/cas/2024/noels-insolites.md:2:1 : champ obligatoire «\u{202f}titre\u{202f}» manquant"), "{err}");
}

#[test]
fn duplicate_case_slugs_across_folders_are_refused() {
    let site = fixture("mini");
    let text = read(&site.path().join("content/cas/2024/noels-insolites.md"));
    write(
        &site,
        "content/cas/autre/noels-insolites.md",
        text.as_bytes(),
    );
    let (code, err) = check(&site);
    assert_eq!(code, Some(1));
    assert!(err.contains("l’étude de cas «\u{202f}noels-insolites\u{202f}» existe déjà dans content/cas/2024/noels-insolites.md"), "{err}");
}

#[test]
fn broken_internal_links_in_markdown_are_reported_with_their_line() {
    let site = fixture("mini");
    replace_in(
        &site,
        "content/cas/marque-avignon.md",
        "[Carpentras](/villes/carpentras/)",
        "[Carpentras](/villes/carpentra/)",
    );
    let (code, err) = check(&site);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("content/cas/marque-avignon.md:17:80 : lien interne cassé «\u{202f}/villes/carpentra/\u{202f}»\u{a0}: aucune page /villes/carpentra/ — vouliez-vous dire /villes/carpentras/\u{202f}?"),
        "{err}"
    );
}

#[test]
fn json_output_lists_every_diagnostic_with_its_position() {
    let site = fixture("mini");
    replace_in(
        &site,
        "content/cas/marque-avignon.md",
        "villes: [avignon, le-pontet]",
        "villes: [avigon, le-pontet]",
    );
    let output = run(&["check", "--format", "json"], site.path());
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["erreurs"], 1);
    let d = &json["diagnostics"][0];
    assert_eq!(d["file"], "content/cas/marque-avignon.md");
    assert_eq!(d["line"], 4);
    assert_eq!(d["column"], 10);
    assert_eq!(d["code"], "reference-inconnue");
    assert_eq!(d["source_line"], "villes: [avigon, le-pontet]");
}

#[test]
fn usage_errors_exit_with_code_two() {
    let output = bin().args(["build", "--pas-une-option"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = bin().args(["check", "--format", "xml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// Each broken file gives exit code 1, a message naming the file, and no panic.
#[test]
fn a_corpus_of_broken_files_is_reported_without_panicking() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "content/villes/malforme.yaml",
            b"nom: [Avignon\ninsee: \"84007\"\n".to_vec(),
            "content/villes/malforme.yaml",
        ),
        (
            "content/cas/sans-fermeture.md",
            b"---\ntitre: x\nresume: y\n\nTexte.\n".to_vec(),
            "l’en-tête YAML ouvert ligne 1 n’est jamais fermé",
        ),
        (
            "content/cas/sans-entete.md",
            b"# Titre\n\nTexte.\n".to_vec(),
            "doit commencer par un en-tête YAML",
        ),
        (
            "content/villes/tabulation.yaml",
            b"nom: X\ninsee: \"84001\"\ncoordonnees:\n\tlat: 1\n".to_vec(),
            "tabulation dans l’indentation, ligne 4",
        ),
        (
            "content/villes/latin1.yaml",
            b"nom: Cavaillon\ninsee: \"84035\"\nepci: \"Lub\xe9ron\"\n".to_vec(),
            "le fichier n’est pas en UTF-8\u{202f}: octet invalide 0xE9 ligne 3, colonne 11",
        ),
        (
            "content/villes/vide.yaml",
            Vec::new(),
            "le fichier est vide",
        ),
        (
            "content/cas/vide.md",
            b"---\n---\n".to_vec(),
            "l’en-tête YAML est vide",
        ),
        (
            "content/villes/enorme.yaml",
            vec![b'#'; 10 * 1024 * 1024],
            "fichier trop volumineux",
        ),
        (
            "content/villes/cle-double.yaml",
            b"nom: A\nnom: B\ninsee: \"84001\"\n".to_vec(),
            "le champ «\u{202f}nom\u{202f}» est écrit deux fois",
        ),
        (
            "content/villes/Majuscules.yaml",
            b"nom: A\ninsee: \"84001\"\n".to_vec(),
            "nom de fichier invalide «\u{202f}Majuscules\u{202f}»",
        ),
        (
            "content/villes/liste.yaml",
            b"- nom: A\n".to_vec(),
            "type incorrect",
        ),
    ];
    for (path, bytes, expected) in cases {
        let site = fixture("mini");
        write(&site, path, &bytes);
        let (code, err) = check(&site);
        assert_eq!(code, Some(1), "{path}: {err}");
        assert!(err.contains(path), "{path} not named: {err}");
        assert!(
            err.contains(expected),
            "{path}: expected «{expected}» in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{path}: {err}");
    }
}

#[test]
fn a_directory_named_like_a_file_and_a_symlink_loop_are_reported() {
    let site = fixture("mini");
    std::fs::create_dir_all(site.path().join("content/villes/dossier.yaml")).unwrap();
    std::os::unix::fs::symlink(".", site.path().join("content/cas/boucle")).unwrap();
    let (code, err) = check(&site);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("content/villes/dossier.yaml : ce nom désigne un dossier, pas un fichier"),
        "{err}"
    );
    assert!(
        err.contains("content/cas/boucle : boucle de liens symboliques"),
        "{err}"
    );
}

#[test]
fn bom_and_crlf_files_are_accepted() {
    let site = fixture("mini");
    let text = read(&site.path().join("content/villes/carpentras.yaml")).replace('\n', "\r\n");
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice(text.as_bytes());
    write(&site, "content/villes/carpentras.yaml", &bytes);
    let case = read(&site.path().join("content/cas/2024/noels-insolites.md")).replace('\n', "\r\n");
    write(
        &site,
        "content/cas/2024/noels-insolites.md",
        case.as_bytes(),
    );
    let (code, err) = check(&site);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn build_fails_on_the_same_errors_as_check() {
    let site = fixture("mini");
    replace_in(
        &site,
        "content/villes/carpentras.yaml",
        "strategie: evenementiel",
        "strategie: evenementiels",
    );
    let output = run(&["build"], site.path());
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("stratégie inconnue «\u{202f}evenementiels\u{202f}»"));
    assert!(!site.path().join("public").exists());
}
