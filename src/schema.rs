//! JSON Schemas of the files editors write, generated from the Rust types of [`crate::model`]
//! with schemars, so that an editor (VS Code with the YAML extension, any client of
//! yaml-language-server) completes and validates city cards and `atlas.yaml` as they type.
//!
//! The model's doc comments are in English, for developers; the descriptions that editors
//! read are French and live here, field by field, with the constraints `check` enforces that a
//! schema can say (patterns of slugs, dates, INSEE codes, ranges). A test fails when a field
//! has no French description, and another when the committed `schemas/` are out of date.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::model::{CaseFrontMatter, CityCard, EpciEntry, SiteConfig, StrategyEntry, TermEntry};

/// The folder of the schemas in a site, and the files written there.
pub const SCHEMAS_DIR: &str = "schemas";

/// One schema file: its name in `schemas/` and what it describes.
struct SchemaFile {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    generate: fn() -> Value,
    root: &'static str,
}

fn generate<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

const FILES: [SchemaFile; 6] = [
    SchemaFile {
        name: "atlas.schema.json",
        title: "Configuration de l'atlas (atlas.yaml)",
        description: "Configuration du site : titre, adresse publique, thème, poids des synergies. Voir docs/format.md.",
        generate: generate::<SiteConfig>,
        root: "SiteConfig",
    },
    SchemaFile {
        name: "ville.schema.json",
        title: "Fiche d'une ville (content/villes/<slug>.yaml)",
        description: "Identité de la commune, faits de marketing territorial et leurs sources. Le nom du fichier est le slug de la ville. Voir docs/format.md.",
        generate: generate::<CityCard>,
        root: "CityCard",
    },
    SchemaFile {
        name: "cas.schema.json",
        title: "En-tête d'une étude de cas (content/cas/<slug>.md)",
        description: "En-tête YAML, entre deux lignes « --- », d'une étude de cas ; le texte en Markdown suit. Voir docs/format.md.",
        generate: generate::<CaseFrontMatter>,
        root: "CaseFrontMatter",
    },
    SchemaFile {
        name: "referentiel-strategies.schema.json",
        title: "Référentiel des stratégies (content/referentiel/strategies.yaml)",
        description: "Liste des stratégies de marketing territorial, chacune rattachée à un levier. L'ordre du fichier est l'ordre d'affichage.",
        generate: generate::<Vec<StrategyEntry>>,
        root: "Vec<StrategyEntry>",
    },
    SchemaFile {
        name: "referentiel-termes.schema.json",
        title: "Référentiel des canaux ou des publics (content/referentiel/canaux.yaml, publics.yaml)",
        description: "Liste des canaux de communication, ou des publics visés. L'ordre du fichier est l'ordre d'affichage.",
        generate: generate::<Vec<TermEntry>>,
        root: "Vec<TermEntry>",
    },
    SchemaFile {
        name: "referentiel-intercommunalites.schema.json",
        title: "Référentiel des intercommunalités (content/referentiel/intercommunalites.yaml)",
        description: "Liste des intercommunalités (EPCI), avec leur code SIREN et les codes INSEE de toutes leurs communes membres.",
        generate: generate::<Vec<EpciEntry>>,
        root: "Vec<EpciEntry>",
    },
];

const SLUG: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";
const FULL_DATE: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
const PARTIAL_DATE: &str = "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$";
const URL: &str = "^https?://[^/?#\\s]+";
const INSEE: &str = "^([0-9]{5}|2[AB][0-9]{3})$";
const SIREN: &str = "^[0-9]{9}$";

/// A constraint `check` enforces, said in the schema.
enum Rule {
    None,
    Pattern(&'static str),
    Url,
    ItemsPattern(&'static str),
    Range(f64, f64),
    Enum(&'static [&'static str]),
}

/// The French description of a type, shown when the whole object is hovered.
fn type_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "MapConfig" => {
            "Options des cartes (/carte/, cartes des pages de villes et d'intercommunalités)."
        }
        "SynergyConfig" => {
            "Poids et seuils du calcul des synergies ; un champ absent garde sa valeur par défaut."
        }
        "SynergyWeights" => {
            "Points que rapporte à deux villes chaque élément qu'elles ont en commun."
        }
        "RelatedWeights" => {
            "Points que rapporte à deux études de cas chaque élément qu'elles ont en commun."
        }
        "Source" => "Une source : d'où vient un fait (titre, adresse, date de consultation).",
        "CardStatus" => {
            "« complete » : fiche dont le marketing a été documenté ; « a-completer » : fiche d'identité qui reste à enrichir."
        }
        "Coordinates" => "Coordonnées en degrés décimaux WGS 84.",
        "BrandFact" => "Une marque, une signature ou un surnom de la ville.",
        "PublicFact" => "Un public visé par la ville.",
        "StrategyFact" => "Une stratégie pratiquée par la ville.",
        "ChannelFact" => {
            "Un canal de communication utilisé par la ville, documenté par une source."
        }
        "AudienceFigure" => "Un chiffre d'audience daté, seulement s'il est sourcé.",
        "LabelFact" => "Un label ou une distinction.",
        "EventFact" => "Un événement.",
        "RawHtml" => {
            "HTML brut écrit dans le Markdown : « nettoye » (par défaut) retire ce qui pourrait exécuter du code ou enfreindre la politique de sécurité du site (script, style, iframe, object, embed, form, attributs on… et style, adresses javascript:, vbscript: et data:) ; « autorise » le publie tel quel, pour un site dont tous les rédacteurs sont de confiance."
        }
        "CaseStatus" => {
            "« publie » : publiée ; « brouillon » : publiée seulement avec « build --drafts »."
        }
        "Lever" => {
            "Levier de la stratégie : « image » (réputation et marque), « valeur » (valeur perçue par les publics) ou « mobilisation » (celles et ceux qui portent le territoire)."
        }
        "StrategyEntry" => "Une stratégie du référentiel.",
        "TermEntry" => "Un canal ou un public du référentiel.",
        "EpciEntry" => "Une intercommunalité (EPCI).",
        "ChannelFamily" => {
            "Famille du canal, comptée par la grille de maturité : « site » (site officiel), « reseau-social » (Facebook, Instagram, YouTube…), « service-numerique » (application, plateforme de participation, données ouvertes), « imprime » (magazine, brochures) ou « hors-ligne » (affichage, radio, événements, salons)."
        }
        _ => return None,
    })
}

/// The French description of a field, and the rule that goes with it.
fn field_doc(owner: &str, field: &str) -> Option<(&'static str, Rule)> {
    use Rule::*;
    let sources_ids = "Ids des sources de la fiche (liste « sources » en bas de fiche) qui appuient ce fait ; au moins une.";
    let detail = "Une phrase d'explication.";
    let depuis =
        "Date ou année, si la source la donne : AAAA, AAAA-MM ou AAAA-MM-JJ, entre guillemets.";
    let sources_list = "Sources : une entrée { titre, url, consulte } par document consulté.";
    Some(match (owner, field) {
        ("SiteConfig", "titre") => (
            "Titre du site, affiché dans l'en-tête et dans l'onglet du navigateur.",
            None,
        ),
        ("SiteConfig", "description") => (
            "Une phrase, reprise sur la page d'accueil et dans la balise de description.",
            None,
        ),
        ("SiteConfig", "base_url") => (
            "Adresse publique du site, entre guillemets : http ou https, sans « ? » ni « # » ; peut contenir un sous-chemin (https://example.org/atlas/). L'option --base-url la remplace.",
            Url,
        ),
        ("SiteConfig", "langue") => (
            "Langue du contenu ; seule la valeur « fr » est acceptée.",
            Enum(&["fr"]),
        ),
        ("SiteConfig", "theme") => ("Nom du dossier du thème dans themes/.", Pattern(SLUG)),
        ("SiteConfig", "minifier") => ("Compacte le HTML produit.", None),
        ("SiteConfig", "recherche") => (
            "Construit l'index de recherche et la page Rechercher (par défaut : oui) ; avec false, aucune page n'affiche de formulaire de recherche. L'option --no-search la désactive pour une construction.",
            None,
        ),
        ("SiteConfig", "editeur") => (
            "Qui publie l'atlas (pied de page, auteur du flux Atom).",
            None,
        ),
        ("SiteConfig", "introduction") => (
            "Texte de la page d'accueil, en Markdown ; ses liens internes sont vérifiés.",
            None,
        ),
        ("SiteConfig", "html_brut") => (
            "HTML brut écrit dans le Markdown : « nettoye » (par défaut) retire scripts, styles, cadres, formulaires, attributs on… et style et adresses dangereuses, avec un avertissement ; « autorise » le publie tel quel (site de confiance seulement).",
            None,
        ),
        ("SiteConfig", "carte") => (
            "Options des cartes ; sans elles, la carte est schématique (cellules autour des centres des communes).",
            None,
        ),
        ("MapConfig", "contours") => (
            "Fichier GeoJSON des contours des communes, chemin relatif à la racine du site (ex. content/carte/communes.geojson) : une FeatureCollection de Polygon ou MultiPolygon en degrés WGS 84, dont la propriété « code » est le code INSEE de la commune.",
            None,
        ),
        ("SiteConfig", "synergies") => (
            "Poids et seuils du calcul des synergies ; un champ absent garde sa valeur par défaut.",
            None,
        ),
        ("SynergyConfig", "poids") => (
            "Points que rapporte à deux villes chaque élément qu'elles ont en commun.",
            None,
        ),
        ("SynergyConfig", "poids_cas_lies") => (
            "Points que rapporte à deux études de cas chaque élément qu'elles ont en commun.",
            None,
        ),
        ("SynergyConfig", "villes_proches") => (
            "Nombre de villes proches affichées sur la page d'une ville.",
            None,
        ),
        ("SynergyConfig", "cas_lies") => (
            "Nombre d'études liées affichées sur la page d'une étude de cas.",
            None,
        ),
        ("SynergyConfig", "paires") => (
            "Nombre de paires de villes de la liste « paires les plus fortes » de /synergies/.",
            None,
        ),
        ("SynergyConfig", "distance_voisinage_km") => (
            "Deux villes plus proches que cette distance (en km, entre leurs coordonnées) sont voisines, pour proposer des mutualisations par-delà les intercommunalités.",
            None,
        ),
        ("SynergyWeights", "strategies") => {
            ("Points par stratégie que deux villes ont en commun.", None)
        }
        ("SynergyWeights", "publics") => ("Points par public visé en commun.", None),
        ("SynergyWeights", "canaux") => ("Points par canal en commun.", None),
        ("SynergyWeights", "intercommunalite") => (
            "Points si les deux villes appartiennent à la même intercommunalité.",
            None,
        ),
        ("SynergyWeights", "cas") => (
            "Points par étude de cas qui porte sur les deux villes.",
            None,
        ),
        ("RelatedWeights", "villes") => ("Points par ville commune à deux études de cas.", None),
        ("RelatedWeights", "strategies") => {
            ("Points par stratégie commune à deux études de cas.", None)
        }
        ("RelatedWeights", "publics") => ("Points par public commun à deux études de cas.", None),
        ("Source", "id") => (
            "Identifiant court, unique dans le fichier, que les faits citent dans leur liste « sources » ; obligatoire dans les fiches de villes.",
            Pattern(SLUG),
        ),
        ("Source", "titre") => (
            "Titre du document ou de la page, précédé du nom du média ou de l'éditeur.",
            None,
        ),
        ("Source", "url") => ("Adresse du document (http ou https).", Url),
        ("Source", "consulte") => (
            "Date de consultation de la source, AAAA-MM-JJ, entre guillemets.",
            Pattern(FULL_DATE),
        ),
        ("CityCard", "nom") => ("Nom officiel de la commune.", None),
        ("CityCard", "insee") => (
            "Code officiel géographique de la commune : 5 caractères entre guillemets (\"84007\"), ou 2A/2B suivis de trois chiffres pour la Corse.",
            Pattern(INSEE),
        ),
        ("CityCard", "population") => ("Population municipale, sans espace.", None),
        ("CityCard", "population_annee") => (
            "Millésime de la population : année à quatre chiffres, obligatoire si la population est donnée.",
            Range(1800.0, 2100.0),
        ),
        ("CityCard", "epci") => (
            "Slug d'une intercommunalité de content/referentiel/intercommunalites.yaml ; la commune doit figurer dans ses membres.",
            Pattern(SLUG),
        ),
        ("CityCard", "coordonnees") => (
            "Coordonnées du centre de la commune, en degrés décimaux WGS 84 : {lat, lon}.",
            None,
        ),
        ("CityCard", "site_web") => ("Site officiel de la commune (http ou https).", Url),
        ("CityCard", "fiche") => (
            "« complete » pour une fiche dont le marketing a été documenté ; « a-completer » (par défaut) pour une fiche d'identité qui reste à enrichir.",
            None,
        ),
        ("CityCard", "sources_identite") => (
            "Ids des sources (liste « sources ») des champs d'identité : population, coordonnées, site…",
            ItemsPattern(SLUG),
        ),
        ("CityCard", "marques") => ("Marques, signatures et surnoms de la ville.", None),
        ("CityCard", "publics") => ("Publics visés par la ville, chacun une seule fois.", None),
        ("CityCard", "strategies") => (
            "Stratégies pratiquées par la ville, chacune une seule fois.",
            None,
        ),
        ("CityCard", "canaux") => (
            "Canaux de communication utilisés, seulement s'ils sont documentés par une source.",
            None,
        ),
        ("CityCard", "labels") => ("Labels et distinctions.", None),
        ("CityCard", "evenements") => ("Événements.", None),
        ("CityCard", "sources") => (
            "Sources de la fiche, chacune avec un id que les faits citent.",
            None,
        ),
        ("Coordinates", "lat") => (
            "Latitude en degrés décimaux, entre -90 et 90 (ex. : 43.9354).",
            Range(-90.0, 90.0),
        ),
        ("Coordinates", "lon") => (
            "Longitude en degrés décimaux, entre -180 et 180 (ex. : 4.84094).",
            Range(-180.0, 180.0),
        ),
        ("BrandFact", "nom") => ("La marque telle qu'elle s'écrit.", None),
        ("BrandFact", "type_marque") => (
            "Texte libre : « marque territoriale », « marque touristique », « slogan », « surnom »…",
            None,
        ),
        ("BrandFact" | "LabelFact" | "EventFact", "depuis") => (depuis, Pattern(PARTIAL_DATE)),
        ("BrandFact" | "PublicFact" | "LabelFact" | "EventFact", "detail") => (detail, None),
        (
            "BrandFact" | "PublicFact" | "StrategyFact" | "ChannelFact" | "LabelFact" | "EventFact",
            "sources",
        ) => (sources_ids, ItemsPattern(SLUG)),
        ("PublicFact", "public") => (
            "Un slug de content/referentiel/publics.yaml.",
            Pattern(SLUG),
        ),
        ("StrategyFact", "strategie") => (
            "Un slug de content/referentiel/strategies.yaml.",
            Pattern(SLUG),
        ),
        ("StrategyFact", "detail") => ("Une phrase qui dit ce que fait la ville.", None),
        ("ChannelFact", "canal") => ("Un slug de content/referentiel/canaux.yaml.", Pattern(SLUG)),
        ("ChannelFact", "url") => ("Adresse du site, du compte ou de l'application.", Url),
        ("ChannelFact", "detail") => ("Ce que la ville fait de ce canal.", None),
        ("ChannelFact", "audience") => (
            "Chiffres d'audience datés, seulement s'ils sont sourcés.",
            None,
        ),
        ("AudienceFigure", "valeur") => ("La valeur, sans espace (12500).", None),
        ("AudienceFigure", "unite") => (
            "Ce qui est compté : « abonnés », « visiteurs par an », « téléchargements »…",
            None,
        ),
        ("AudienceFigure", "date") => (
            "Date du chiffre : AAAA, AAAA-MM ou AAAA-MM-JJ, entre guillemets.",
            Pattern(PARTIAL_DATE),
        ),
        ("LabelFact", "nom") => ("Nom du label ou de la distinction.", None),
        ("EventFact", "nom") => ("Nom de l'événement.", None),
        ("CaseFrontMatter", "titre") => (
            "Titre de l'étude, affiché en tête de page et dans les listes.",
            None,
        ),
        ("CaseFrontMatter", "resume") => (
            "Résumé en une ou deux phrases, repris dans les listes.",
            None,
        ),
        ("CaseFrontMatter", "villes") => (
            "Villes concernées : noms des fichiers de content/villes/ sans « .yaml » ; au moins une.",
            ItemsPattern(SLUG),
        ),
        ("CaseFrontMatter", "strategies") => (
            "Stratégies pratiquées : slugs de content/referentiel/strategies.yaml.",
            ItemsPattern(SLUG),
        ),
        ("CaseFrontMatter", "canaux") => (
            "Canaux utilisés : slugs de content/referentiel/canaux.yaml.",
            ItemsPattern(SLUG),
        ),
        ("CaseFrontMatter", "publics") => (
            "Publics visés : slugs de content/referentiel/publics.yaml.",
            ItemsPattern(SLUG),
        ),
        ("CaseFrontMatter", "date") => (
            "Date de l'étude, AAAA-MM-JJ, entre guillemets.",
            Pattern(FULL_DATE),
        ),
        ("CaseFrontMatter", "statut") => (
            "« publie » (par défaut) ou « brouillon », publié seulement avec « build --drafts ».",
            None,
        ),
        ("CaseFrontMatter", "sources") => (
            "Sources de l'étude, au moins une : { titre, url, consulte }, affichées en fin de page.",
            None,
        ),
        ("StrategyEntry" | "TermEntry", "slug") => (
            "Identifiant, utilisé par les fiches et les études (minuscules, chiffres et tirets).",
            Pattern(SLUG),
        ),
        ("StrategyEntry" | "TermEntry", "nom") => ("Nom affiché.", None),
        ("StrategyEntry" | "TermEntry", "definition") => ("Une phrase de définition.", None),
        ("TermEntry", "famille") => (
            "Canaux seulement : famille du canal, comptée par la grille de maturité.",
            None,
        ),
        ("StrategyEntry", "levier") => (
            "Levier auquel la stratégie se rattache : image, valeur ou mobilisation.",
            None,
        ),
        ("StrategyEntry", "publics") => (
            "Publics visés par la stratégie : slugs de content/referentiel/publics.yaml.",
            ItemsPattern(SLUG),
        ),
        ("StrategyEntry" | "TermEntry" | "EpciEntry", "sources") => (sources_list, None),
        ("EpciEntry", "slug") => (
            "Slug du nom de l'intercommunalité (ca-du-grand-avignon-coga).",
            Pattern(SLUG),
        ),
        ("EpciEntry", "code") => (
            "Numéro SIREN de l'EPCI : 9 chiffres entre guillemets.",
            Pattern(SIREN),
        ),
        ("EpciEntry", "nom") => ("Nom officiel.", None),
        ("EpciEntry", "nature") => (
            "CA (communauté d'agglomération), CC (communauté de communes), CU (communauté urbaine), METRO (métropole)…",
            None,
        ),
        ("EpciEntry", "membres") => (
            "Codes INSEE de toutes les communes membres, entre guillemets, y compris hors du département.",
            ItemsPattern(INSEE),
        ),
        _ => return Option::None,
    })
}

fn apply_rule(property: &mut Map<String, Value>, rule: Rule) {
    match rule {
        Rule::None => {}
        Rule::Pattern(pattern) => {
            property.insert("pattern".into(), json!(pattern));
        }
        Rule::Url => {
            property.insert("pattern".into(), json!(URL));
            property.insert("format".into(), json!("uri"));
        }
        Rule::ItemsPattern(pattern) => {
            if let Some(Value::Object(items)) = property.get_mut("items") {
                items.insert("pattern".into(), json!(pattern));
            }
        }
        Rule::Range(min, max) => {
            property.insert("minimum".into(), json!(min));
            property.insert("maximum".into(), json!(max));
        }
        Rule::Enum(values) => {
            property.insert("enum".into(), json!(values));
        }
    }
}

/// A `$ref` with sibling keywords is read as a bare `$ref` in draft 7: wrap it in `allOf`.
fn wrap_ref(property: &mut Map<String, Value>) {
    if property.len() > 1
        && let Some(reference) = property.remove("$ref")
    {
        property.insert("allOf".into(), json!([{ "$ref": reference }]));
    }
}

/// An enum whose variants have doc comments is generated as `oneOf` constants, each with its
/// English description: make it a plain `enum`, described in French as a whole.
fn collapse_documented_enum(map: &mut Map<String, Value>) {
    let Some(Value::Array(variants)) = map.get("oneOf") else {
        return;
    };
    let mut values = Vec::new();
    for variant in variants {
        match (variant.get("const"), variant.get("enum")) {
            (Some(value), _) => values.push(value.clone()),
            (None, Some(Value::Array(list))) => values.extend(list.iter().cloned()),
            _ => return,
        }
    }
    map.remove("oneOf");
    map.insert("type".into(), json!("string"));
    map.insert("enum".into(), Value::Array(values));
}

/// Replaces every description by its French one and adds the rules; returns the fields that
/// have no French description (`Type.field`).
fn localize(schema: &mut Value, root: &str, missing: &mut Vec<String>) {
    fn object(schema: &mut Value, name: &str, missing: &mut Vec<String>) {
        let Value::Object(map) = schema else { return };
        map.remove("description");
        collapse_documented_enum(map);
        if let Some(doc) = type_doc(name) {
            map.insert("description".into(), json!(doc));
        }
        if let Some(Value::Object(properties)) = map.get_mut("properties") {
            for (field, property) in properties.iter_mut() {
                let Value::Object(property) = property else {
                    continue;
                };
                property.remove("description");
                match field_doc(name, field) {
                    Some((description, rule)) => {
                        property.insert("description".into(), json!(description));
                        apply_rule(property, rule);
                        wrap_ref(property);
                    }
                    None => missing.push(format!("{name}.{field}")),
                }
            }
        }
    }
    object(schema, root, missing);
    for key in ["definitions", "$defs"] {
        if let Some(Value::Object(definitions)) = schema.get_mut(key) {
            for (name, definition) in definitions.iter_mut() {
                object(definition, name, missing);
            }
        }
    }
}

/// Every schema file, `(name, JSON text)`, as `schema` writes them.
pub fn schemas() -> Vec<(&'static str, String)> {
    FILES
        .iter()
        .map(|file| {
            let mut schema = (file.generate)();
            localize(&mut schema, file.root, &mut Vec::new());
            if let Value::Object(map) = &mut schema {
                map.insert("title".into(), json!(file.title));
                map.insert("description".into(), json!(file.description));
            }
            let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
            text.push('\n');
            (file.name, text)
        })
        .collect()
}

/// The fields that have no French description (a test keeps this empty).
pub fn missing_descriptions() -> Vec<String> {
    let mut missing = Vec::new();
    for file in &FILES {
        localize(&mut (file.generate)(), file.root, &mut missing);
    }
    missing.sort();
    missing.dedup();
    missing
}

/// Writes every schema into `dir`; returns the files written.
pub fn write_schemas(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, text) in schemas() {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_a_french_description() {
        assert_eq!(missing_descriptions(), Vec::<String>::new());
    }

    #[test]
    fn the_city_schema_says_what_check_says() {
        let schemas = schemas();
        let (_, text) = schemas
            .iter()
            .find(|(name, _)| *name == "ville.schema.json")
            .unwrap();
        let schema: Value = serde_json::from_str(text).unwrap();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(
            schema["additionalProperties"], false,
            "unknown fields are refused"
        );
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(required, ["nom", "insee"]);
        assert_eq!(schema["properties"]["insee"]["pattern"], INSEE);
        assert_eq!(
            schema["properties"]["nom"]["description"],
            "Nom officiel de la commune."
        );
        assert!(
            !text.contains("INSEE code of the commune"),
            "no English doc comment is left"
        );
        let fiche = &schema["definitions"]["CardStatus"];
        assert_eq!(fiche["enum"], json!(["complete", "a-completer"]));
        for (name, text) in &schemas {
            for english in [
                "Per shared",
                "The official website",
                "Slugs of the",
                "Site title",
            ] {
                assert!(!text.contains(english), "{name}: {english}");
            }
        }
    }
}
