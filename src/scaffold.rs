//! The editors' starting points: `new cas`, `new ville` (a skeleton with every field, each
//! explained by a French comment) and `init` (a new, buildable atlas for another territory,
//! with the referential, the default theme and the schemas embedded in the binary).

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, closest, display_path, quoted};
use crate::import::{CITY_SCHEMA_LINE, write_file};
use crate::load::{CASES_DIR, CITIES_DIR, CONFIG_FILE, REFERENTIAL_DIR, is_slug};
use crate::model::{EpciEntry, StrategyEntry, TermEntry};
use crate::yamledit::scalar;

include!(concat!(env!("OUT_DIR"), "/default_theme.rs"));

/// The referential of a new atlas: the one of the Vaucluse atlas, as it was when the binary
/// was built.
pub const DEFAULT_STRATEGIES: &str = include_str!("../content/referentiel/strategies.yaml");
pub const DEFAULT_CHANNELS: &str = include_str!("../content/referentiel/canaux.yaml");
pub const DEFAULT_PUBLICS: &str = include_str!("../content/referentiel/publics.yaml");
/// The content format, for editors: `docs/format.md`.
pub const FORMAT_GUIDE: &str = include_str!("../docs/format.md");

/// Today's date, `AAAA-MM-JJ` (UTC), for `consulte` and `date` in skeletons.
pub fn today() -> String {
    jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// The slugs a site's referential defines, to list them in the skeletons' comments. A file
/// that cannot be read gives no list: the skeleton is still written.
#[derive(Debug, Default, Clone)]
pub struct Slugs {
    pub cities: Vec<String>,
    pub strategies: Vec<String>,
    pub channels: Vec<String>,
    pub publics: Vec<String>,
    pub epcis: Vec<String>,
}

impl Slugs {
    pub fn read(root: &Path) -> Slugs {
        let referential = root.join(REFERENTIAL_DIR);
        let read = |name: &str| std::fs::read_to_string(referential.join(name)).unwrap_or_default();
        let strategies = serde_saphyr::from_str::<Vec<StrategyEntry>>(&read("strategies.yaml"))
            .unwrap_or_default();
        let channels =
            serde_saphyr::from_str::<Vec<TermEntry>>(&read("canaux.yaml")).unwrap_or_default();
        let publics =
            serde_saphyr::from_str::<Vec<TermEntry>>(&read("publics.yaml")).unwrap_or_default();
        let epcis = serde_saphyr::from_str::<Vec<EpciEntry>>(&read("intercommunalites.yaml"))
            .unwrap_or_default();
        let mut cities: Vec<String> = crate::import::card_paths(&root.join(CITIES_DIR))
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
            .collect();
        cities.sort();
        Slugs {
            cities,
            strategies: strategies.into_iter().map(|e| e.slug.value).collect(),
            channels: channels.into_iter().map(|e| e.slug.value).collect(),
            publics: publics.into_iter().map(|e| e.slug.value).collect(),
            epcis: epcis.into_iter().map(|e| e.slug.value).collect(),
        }
    }
}

/// `# Valeurs possibles : a, b, c…` wrapped at about 100 characters, or nothing.
fn possible_values(prefix: &str, slugs: &[String]) -> Vec<String> {
    if slugs.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    let mut line = format!("{prefix}# Valeurs possibles :");
    for (index, slug) in slugs.iter().enumerate() {
        let piece = if index + 1 < slugs.len() {
            format!(" {slug},")
        } else {
            format!(" {slug}.")
        };
        if line.chars().count() + piece.len() > 100 {
            lines.push(line);
            line = format!("{prefix}#  ");
        }
        line.push_str(&piece);
    }
    lines.push(line);
    lines
}

fn first_or<'a>(slugs: &'a [String], fallback: &'a str) -> &'a str {
    slugs.first().map_or(fallback, String::as_str)
}

/// The skeleton of a case study.
pub fn case_skeleton(titre: &str, villes: &[String], slugs: &Slugs, today: &str) -> String {
    let mut lines: Vec<String> = vec![
        "---".into(),
        "# Étude de cas : voir docs/format.md pour la description des champs.".into(),
        "# Les lignes qui commencent par « # » sont des commentaires : elles ne sont pas publiées.".into(),
        "# Remplissez les champs marqués « obligatoire », puis lancez « vaucluse-atlas check ».".into(),
        String::new(),
        "# Titre de l'étude, affiché en tête de page et dans les listes (obligatoire).".into(),
        format!("titre: {}", scalar(titre, false)),
        "# Résumé en une ou deux phrases, repris dans les listes (obligatoire) : retirez le « # » et écrivez-le.".into(),
        "# resume: Ce qu'a fait la ville, et ce que d'autres peuvent en retenir.".into(),
        "# Villes concernées : noms des fichiers de content/villes/, sans « .yaml » (obligatoire, au moins une).".into(),
        format!("villes: [{}]", villes.join(", ")),
        format!(
            "# Stratégies pratiquées : slugs de content/referentiel/strategies.yaml, par exemple [{}].",
            first_or(&slugs.strategies, "marque-touristique")
        ),
    ];
    lines.extend(possible_values("", &slugs.strategies));
    lines.push("strategies: []".into());
    lines.push(format!(
        "# Canaux utilisés : slugs de content/referentiel/canaux.yaml, par exemple [{}].",
        first_or(&slugs.channels, "site-web")
    ));
    lines.extend(possible_values("", &slugs.channels));
    lines.push("canaux: []".into());
    lines.push(format!(
        "# Publics visés : slugs de content/referentiel/publics.yaml, par exemple [{}].",
        first_or(&slugs.publics, "touristes")
    ));
    lines.extend(possible_values("", &slugs.publics));
    lines.push("publics: []".into());
    lines.extend([
        "# Date de l'étude, AAAA-MM-JJ, entre guillemets (obligatoire).".to_string(),
        format!("date: \"{today}\""),
        "# « brouillon » : l'étude n'est publiée qu'avec « build --drafts » ; écrivez « publie » quand elle est prête.".to_string(),
        "statut: brouillon".to_string(),
        "# Sources (obligatoire, au moins une) : remplacez « [] » par une entrée par document consulté, sur le".to_string(),
        "# modèle ci-dessous (retirez les « # ») : le média et le titre de l'article, son adresse, la date de consultation.".to_string(),
        "sources: []".to_string(),
        "#   - titre: \"Média — titre de l'article\"".to_string(),
        "#     url: https://www.exemple.fr/article".to_string(),
        format!("#     consulte: \"{today}\""),
        "---".to_string(),
        "## Contexte".to_string(),
        String::new(),
        "## Ce qui a été fait".to_string(),
        String::new(),
        "## Levier et publics".to_string(),
        String::new(),
        "## Résultats".to_string(),
        String::new(),
        "## Ce que d'autres villes peuvent en retenir".to_string(),
    ]);
    lines.join("\n") + "\n"
}

/// The skeleton of a city card: every field, the optional ones commented out.
pub fn city_skeleton(nom: &str, slugs: &Slugs, today: &str) -> String {
    let public = first_or(&slugs.publics, "touristes");
    let strategy = first_or(&slugs.strategies, "marque-touristique");
    let channel = first_or(&slugs.channels, "site-web");
    let epci = first_or(&slugs.epcis, "slug-de-l-intercommunalite");
    let mut lines: Vec<String> = vec![
        CITY_SCHEMA_LINE.into(),
        format!("# Fiche de la commune {nom} : voir docs/format.md pour la description des champs."),
        "# Les lignes qui commencent par « # » sont des commentaires. Pour remplir un champ commenté,".into(),
        "# retirez le « # » et l'espace qui le suit. Puis lancez « vaucluse-atlas check ».".into(),
        String::new(),
        "# --- Identité ---".into(),
        "# Nom officiel de la commune (obligatoire).".into(),
        format!("nom: {}", scalar(nom, false)),
        "# Code officiel géographique INSEE, 5 caractères entre guillemets (obligatoire) : retirez le « # » et".into(),
        "# remplacez CODE par le code de la commune, par exemple \"84007\" pour Avignon.".into(),
        "# insee: \"CODE\"".into(),
        "# Population municipale, sans espace, et son millésime (obligatoire si la population est donnée).".into(),
        "# population: 12345".into(),
        "# population_annee: 2026".into(),
        "# Intercommunalité : slug de content/referentiel/intercommunalites.yaml ; la commune doit être dans ses membres.".into(),
    ];
    lines.extend(possible_values("", &slugs.epcis));
    lines.extend([
        format!("# epci: {epci}"),
        "# Coordonnées du centre de la commune, en degrés décimaux (WGS 84).".to_string(),
        "# coordonnees: {lat: 43.9354, lon: 4.84094}".to_string(),
        "# Site officiel de la commune, adresse complète.".to_string(),
        "# site_web: https://www.exemple.fr/".to_string(),
        "# « a-completer » tant que le marketing de la ville n'est pas documenté, « complete » ensuite.".to_string(),
        "fiche: a-completer".to_string(),
        "# Ids des sources (liste « sources » en bas de fiche) des champs d'identité ci-dessus.".to_string(),
        "# sources_identite: [id-de-la-source]".to_string(),
        String::new(),
        "# --- Marketing : chaque fait cite au moins une source par son id (liste « sources » en bas) ---".to_string(),
        "# Marques, signatures et surnoms de la ville ; « depuis » : AAAA, AAAA-MM ou AAAA-MM-JJ, si la source le dit.".to_string(),
        "# marques:".to_string(),
        "#   - nom: Nom de la marque".to_string(),
        "#     type_marque: marque territoriale".to_string(),
        "#     depuis: \"2019\"".to_string(),
        "#     detail: Une phrase d'explication.".to_string(),
        "#     sources: [id-de-la-source]".to_string(),
        "# Publics visés : slugs de content/referentiel/publics.yaml, chacun une seule fois.".to_string(),
    ]);
    lines.extend(possible_values("", &slugs.publics));
    lines.extend([
        "# publics:".to_string(),
        format!("#   - public: {public}"),
        "#     detail: Comment la ville s'adresse à ce public.".to_string(),
        "#     sources: [id-de-la-source]".to_string(),
        "# Stratégies pratiquées : slugs de content/referentiel/strategies.yaml, chacune une seule fois.".to_string(),
    ]);
    lines.extend(possible_values("", &slugs.strategies));
    lines.extend([
        "# strategies:".to_string(),
        format!("#   - strategie: {strategy}"),
        "#     detail: Une phrase qui dit ce que fait la ville.".to_string(),
        "#     sources: [id-de-la-source]".to_string(),
        "# Canaux de communication : slugs de content/referentiel/canaux.yaml, seulement s'ils sont sourcés ;".to_string(),
        "# « audience » : chiffres datés, seulement s'ils sont sourcés.".to_string(),
    ]);
    lines.extend(possible_values("", &slugs.channels));
    lines.extend([
        "# canaux:".to_string(),
        format!("#   - canal: {channel}"),
        "#     url: https://www.exemple.fr/".to_string(),
        "#     detail: Ce que la ville en fait.".to_string(),
        "#     audience:".to_string(),
        "#       - valeur: 12500".to_string(),
        "#         unite: abonnés".to_string(),
        "#         date: \"2024\"".to_string(),
        "#     sources: [id-de-la-source]".to_string(),
        "# Labels et distinctions.".to_string(),
        "# labels:".to_string(),
        "#   - nom: Nom du label".to_string(),
        "#     depuis: \"2018\"".to_string(),
        "#     detail: Une phrase d'explication.".to_string(),
        "#     sources: [id-de-la-source]".to_string(),
        "# Événements.".to_string(),
        "# evenements:".to_string(),
        "#   - nom: Nom de l'événement".to_string(),
        "#     depuis: \"1947\"".to_string(),
        "#     detail: Une phrase d'explication.".to_string(),
        "#     sources: [id-de-la-source]".to_string(),
        String::new(),
        "# --- Sources : une entrée par document consulté, avec un id court, unique dans la fiche ---".to_string(),
        "# sources:".to_string(),
        "#   - id: id-de-la-source".to_string(),
        "#     titre: \"Média — titre de l'article\"".to_string(),
        "#     url: https://www.exemple.fr/article".to_string(),
        format!("#     consulte: \"{today}\""),
    ]);
    lines.join("\n") + "\n"
}

fn refuse_existing(root: &Path, path: &Path, what: &str) -> Diagnostic {
    Diagnostic::error(
        "fichier-existant",
        display_path(root, path),
        format!("{what} existe déjà\u{a0}: le fichier n’a pas été modifié"),
    )
    .hint("choisissez un autre nom, ou modifiez le fichier existant")
}

/// `new cas`: writes `content/cas/<slug>.md`. Returns its path.
pub fn new_case(
    root: &Path,
    titre: &str,
    villes: &[String],
    today: &str,
) -> Result<PathBuf, Vec<Diagnostic>> {
    let slug = slug::slugify(titre);
    if !is_slug(&slug) {
        return Err(vec![
            Diagnostic::error(
                "titre",
                "titre",
                format!("titre inutilisable {}", quoted(titre)),
            )
            .expected("un titre avec au moins une lettre ou un chiffre"),
        ]);
    }
    let slugs = Slugs::read(root);
    let mut errors = Vec::new();
    if villes.is_empty() {
        errors.push(
            Diagnostic::error("champ-vide", "--villes", "une étude de cas porte sur au moins une ville")
                .expected("--villes suivi des slugs des villes, séparés par des virgules (ex.\u{a0}: --villes avignon,carpentras)"),
        );
    }
    for ville in villes {
        if !slugs.cities.contains(ville) {
            let suggestion = closest(ville, slugs.cities.iter().map(String::as_str));
            let message = match suggestion {
                Some(s) => format!(
                    "ville inconnue {} — vouliez-vous dire {}\u{202f}?",
                    quoted(ville),
                    quoted(s)
                ),
                None => format!("ville inconnue {}", quoted(ville)),
            };
            errors.push(
                Diagnostic::error("reference-inconnue", "--villes", message)
                    .expected("le nom d’un fichier de content/villes/ (sans .yaml)"),
            );
        }
    }
    let path = root.join(CASES_DIR).join(format!("{slug}.md"));
    if let Some(existing) = find_file(&root.join(CASES_DIR), &slug, &["md"]) {
        errors.push(refuse_existing(
            root,
            &existing,
            &format!("l’étude de cas {}", quoted(&slug)),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    write_file(&path, &case_skeleton(titre, villes, &slugs, today))
        .map_err(|e| vec![Diagnostic::error("ecriture", display_path(root, &path), e)])?;
    Ok(path)
}

/// A file named `slug` with one of `extensions` anywhere under `dir`: `load` reads the
/// sub-folders of `content/cas/` and `content/villes/` too, and a slug is unique across them.
fn find_file(dir: &Path, slug: &str, extensions: &[&str]) -> Option<PathBuf> {
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| {
            e.path()
                .extension()
                .is_some_and(|x| extensions.iter().any(|wanted| x == *wanted))
                && e.path().file_stem().is_some_and(|s| s == slug)
        })
        .map(walkdir::DirEntry::into_path)
}

/// `new ville`: writes `content/villes/<slug>.yaml`. Returns its path.
#[allow(clippy::result_large_err)] // one diagnostic, returned once
pub fn new_city(root: &Path, nom: &str, today: &str) -> Result<PathBuf, Diagnostic> {
    let slug = slug::slugify(nom);
    if !is_slug(&slug) {
        return Err(
            Diagnostic::error("nom", "NOM", format!("nom inutilisable {}", quoted(nom)))
                .expected("le nom de la commune (ex.\u{a0}: L'Isle-sur-la-Sorgue)"),
        );
    }
    let dir = root.join(CITIES_DIR);
    let path = dir.join(format!("{slug}.yaml"));
    if let Some(existing) = find_file(&dir, &slug, &["yaml", "yml"]) {
        return Err(refuse_existing(
            root,
            &existing,
            &format!("la fiche {}", quoted(&slug)),
        ));
    }
    let slugs = Slugs::read(root);
    write_file(&path, &city_skeleton(nom, &slugs, today))
        .map_err(|e| Diagnostic::error("ecriture", display_path(root, &path), e))?;
    Ok(path)
}

// ---------------------------------------------------------------------------------------------
// init

const EXAMPLE_ATLAS: &str = r#"# yaml-language-server: $schema=schemas/atlas.schema.json
# Configuration du site : voir docs/format.md pour la description des champs.
# Titre du site, affiché dans l'en-tête et dans l'onglet du navigateur.
titre: Atlas du marketing territorial
# Une phrase, reprise sur la page d'accueil et dans la balise de description.
description: Un atlas sourcé des pratiques de marketing territorial des villes du territoire, de leurs outils numériques et des synergies possibles entre elles.
# Adresse publique du site, entre guillemets ; elle peut contenir un sous-chemin (https://example.org/atlas/).
base_url: "https://atlas.example.org/"
langue: fr
theme: default
minifier: true
# Qui publie l'atlas (pied de page, auteur du flux Atom).
# editeur: Groupe de travail marketing territorial
# HTML écrit dans le Markdown : nettoyé par défaut (ni script, ni style, ni attribut on…).
# « autorise » le publie tel quel : seulement si tous les rédacteurs sont de confiance.
# html_brut: autorise
introduction: |
  Cet atlas décrit, ville par ville, ce que font les communes du territoire pour se rendre attractives, et où elles peuvent agir ensemble.

  Chaque pratique relève de l'un des trois leviers d'une stratégie de marketing territorial : l'**image**, la **valeur** et la **mobilisation**. Chaque fait est accompagné de sa source.
"#;

const EXAMPLE_CITY: &str = r#"# yaml-language-server: $schema=../../schemas/ville.schema.json
# EXEMPLE : cette fiche fictive montre le format d'une fiche complète. Remplacez-la par les fiches
# de vos communes (« vaucluse-atlas import communes … » ou « vaucluse-atlas new ville NOM »),
# puis supprimez-la, avec l'étude de cas d'exemple qui la cite. Voir docs/format.md.
nom: Ville d'exemple
insee: "99999"
population: 12345
population_annee: 2026
coordonnees: {lat: 45.0, lon: 3.0}
site_web: https://www.example.org/
fiche: complete
sources_identite: [exemple-identite]
marques:
  - nom: Exemple, ville de caractère
    type_marque: marque territoriale
    depuis: "2020"
    detail: Une phrase qui explique la marque (exemple).
    sources: [exemple-article]
publics:
  - public: touristes
    detail: Comment la ville s'adresse à ce public (exemple).
    sources: [exemple-article]
strategies:
  - strategie: marque-territoriale
    detail: Une phrase qui dit ce que fait la ville (exemple).
    sources: [exemple-article]
  - strategie: evenementiel
    detail: Un festival d'été (exemple).
    sources: [exemple-article]
canaux:
  - canal: site-web
    url: https://www.example.org/
    detail: Site de la ville (exemple).
    sources: [exemple-identite]
sources:
  - id: exemple-identite
    titre: "Exemple : source des données d'identité"
    url: https://www.example.org/identite
    consulte: "2026-01-01"
  - id: exemple-article
    titre: "Exemple : article de presse"
    url: https://www.example.org/article
    consulte: "2026-01-01"
"#;

const EXAMPLE_CASE: &str = r#"---
# EXEMPLE : cette étude de cas fictive montre le format. Supprimez-la quand vous écrivez les vôtres
# (« vaucluse-atlas new cas "Titre" --villes slug-de-la-ville »). Voir docs/format.md.
titre: "Exemple : la marque d'une ville"
resume: Une étude de cas d'exemple, qui montre le format des études de l'atlas.
villes: [ville-d-exemple]
strategies: [marque-territoriale, evenementiel]
canaux: [site-web]
publics: [touristes]
date: "2026-01-01"
statut: publie
sources:
  - titre: "Exemple : article de presse"
    url: https://www.example.org/article
    consulte: "2026-01-01"
---
## Contexte

Ce texte d'exemple montre la structure d'une étude de cas : [la ville d'exemple](/villes/ville-d-exemple/) a lancé une marque.

## Ce qui a été fait

Chaque fait est suivi de sa source[^1].

## Levier et publics

Le levier principal est l'**image** : voir [la stratégie](/strategies/marque-territoriale/).

## Résultats

Les résultats chiffrés, s'ils sont publiés, avec leur source.

## Ce que d'autres villes peuvent en retenir

Ce que d'autres communes peuvent reprendre.

[^1]: Exemple : article de presse.
"#;

const EMPTY_EPCIS: &str = "# yaml-language-server: $schema=../../schemas/referentiel-intercommunalites.schema.json\n\
# Référentiel de l'atlas : voir docs/format.md pour la description des champs.\n\
#\n\
# Les intercommunalités du territoire : « vaucluse-atlas import communes » remplit ce fichier à partir\n\
# des données de @etalab/decoupage-administratif.\n\
[]\n";

fn with_schema_line(schema: &str, text: &str) -> String {
    format!("# yaml-language-server: $schema=../../schemas/{schema}\n{text}")
}

/// Every file of a new atlas, relative path and bytes.
pub fn init_files() -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (CONFIG_FILE.to_string(), EXAMPLE_ATLAS.into()),
        (
            ".gitignore".to_string(),
            b"/public/\n/.public.*/\n".to_vec(),
        ),
        ("docs/format.md".to_string(), FORMAT_GUIDE.into()),
        (
            format!("{CITIES_DIR}/ville-d-exemple.yaml"),
            EXAMPLE_CITY.into(),
        ),
        (
            format!("{CASES_DIR}/exemple-marque-d-une-ville.md"),
            EXAMPLE_CASE.into(),
        ),
        (
            format!("{REFERENTIAL_DIR}/strategies.yaml"),
            with_schema_line("referentiel-strategies.schema.json", DEFAULT_STRATEGIES).into(),
        ),
        (
            format!("{REFERENTIAL_DIR}/canaux.yaml"),
            with_schema_line("referentiel-termes.schema.json", DEFAULT_CHANNELS).into(),
        ),
        (
            format!("{REFERENTIAL_DIR}/publics.yaml"),
            with_schema_line("referentiel-termes.schema.json", DEFAULT_PUBLICS).into(),
        ),
        (
            format!("{REFERENTIAL_DIR}/intercommunalites.yaml"),
            EMPTY_EPCIS.into(),
        ),
    ];
    for (name, text) in crate::schema::schemas() {
        files.push((
            format!("{}/{name}", crate::schema::SCHEMAS_DIR),
            text.into_bytes(),
        ));
    }
    for (path, bytes) in DEFAULT_THEME {
        files.push((format!("themes/default/{path}"), bytes.to_vec()));
    }
    files
}

/// `init DIR`: creates a new atlas in `dir`, which must not exist or be empty. Returns the
/// number of files written.
#[allow(clippy::result_large_err)] // one diagnostic, returned once
pub fn init(dir: &Path) -> Result<usize, Diagnostic> {
    let display = dir.display().to_string();
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Diagnostic::error(
                "init",
                display,
                "ce chemin désigne un fichier, pas un dossier",
            ));
        }
        let mut entries = std::fs::read_dir(dir).map_err(|e| {
            Diagnostic::error("init", display.clone(), format!("lecture impossible ({e})"))
        })?;
        if entries.next().is_some() {
            return Err(Diagnostic::error(
                "init",
                display,
                "le dossier n’est pas vide\u{a0}: rien n’a été écrit",
            )
            .hint("choisissez un dossier nouveau ou vide"));
        }
    }
    let files = init_files();
    for (path, bytes) in &files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Diagnostic::error(
                    "ecriture",
                    parent.display().to_string(),
                    format!("création impossible ({e})"),
                )
            })?;
        }
        std::fs::write(&target, bytes).map_err(|e| {
            Diagnostic::error(
                "ecriture",
                target.display().to_string(),
                format!("écriture impossible ({e})"),
            )
        })?;
    }
    for empty in [CITIES_DIR, CASES_DIR] {
        std::fs::create_dir_all(dir.join(empty))
            .map_err(|e| Diagnostic::error("ecriture", display.clone(), e.to_string()))?;
    }
    Ok(files.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slugs() -> Slugs {
        Slugs {
            cities: vec!["avignon".into(), "carpentras".into()],
            strategies: vec!["marque-touristique".into(), "evenementiel".into()],
            channels: vec!["site-web".into()],
            publics: vec!["touristes".into(), "habitants".into()],
            epcis: vec!["ca-du-grand-avignon-coga".into()],
        }
    }

    #[test]
    fn the_case_skeleton_lists_the_possible_values_and_is_a_draft() {
        let text = case_skeleton(
            "Le budget : participatif",
            &["avignon".into()],
            &slugs(),
            "2026-11-27",
        );
        assert!(
            text.starts_with("---\n# Étude de cas : voir docs/format.md"),
            "{text}"
        );
        assert!(
            text.contains("\ntitre: \"Le budget : participatif\"\n"),
            "{text}"
        );
        assert!(text.contains("\nvilles: [avignon]\n"), "{text}");
        assert!(
            text.contains(
                "# Valeurs possibles : marque-touristique, evenementiel.\nstrategies: []\n"
            ),
            "{text}"
        );
        assert!(text.contains("\nstatut: brouillon\n"), "{text}");
        assert!(text.contains("\ndate: \"2026-11-27\"\n"), "{text}");
    }

    #[test]
    fn the_city_skeleton_starts_with_the_schema_line() {
        let text = city_skeleton("L'Isle-sur-la-Sorgue", &slugs(), "2026-11-27");
        assert!(text.starts_with(CITY_SCHEMA_LINE), "{text}");
        assert!(text.contains("\nnom: L'Isle-sur-la-Sorgue\n"), "{text}");
        assert!(text.contains("\n# insee: \"CODE\"\n"), "{text}");
        assert!(text.contains("\n#   - public: touristes\n"), "{text}");
        assert!(
            text.contains("\n# epci: ca-du-grand-avignon-coga\n"),
            "{text}"
        );
    }

    /// Found by `tests/properties.rs` (new_files_get_unique_valid_slugs): `new ville` looked
    /// for `content/villes/<slug>.yaml` only, but cards in sub-folders are cities too, and
    /// it wrote a second city with the slug of `archives/sorgues.yaml`.
    #[test]
    fn new_city_refuses_a_slug_taken_in_a_sub_folder() {
        let site = tempfile::tempdir().unwrap();
        let archives = site.path().join(CITIES_DIR).join("archives");
        std::fs::create_dir_all(&archives).unwrap();
        std::fs::write(archives.join("sorgues.yml"), "nom: Sorgues\n").unwrap();
        let error = new_city(site.path(), "Sorgues", "2026-11-27").unwrap_err();
        assert_eq!(error.code, "fichier-existant");
        assert_eq!(error.file, "content/villes/archives/sorgues.yml");
        assert!(!site.path().join(CITIES_DIR).join("sorgues.yaml").exists());
        assert!(new_city(site.path(), "Sorgues-bis", "2026-11-27").is_ok());
    }

    #[test]
    fn long_lists_of_values_are_wrapped() {
        let many: Vec<String> = (0..40).map(|i| format!("strategie-{i}")).collect();
        let lines = possible_values("", &many);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() <= 100 && l.starts_with('#')),
            "{lines:?}"
        );
        assert!(lines.last().unwrap().ends_with("strategie-39."));
    }

    #[test]
    fn init_embeds_the_theme_the_referential_and_the_schemas() {
        let files = init_files();
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        for name in [
            "atlas.yaml",
            "content/referentiel/strategies.yaml",
            "schemas/ville.schema.json",
            "docs/format.md",
        ] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("themes/default/templates/")),
            "{names:?}"
        );
    }
}
