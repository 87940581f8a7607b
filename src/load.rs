//! Stage 1, **load**: walk the site folder, read every source file, parse YAML and front
//! matter into the types of [`crate::model`], and turn every problem into a [`Diagnostic`]
//! with its file, line and column.
//!
//! Loading never stops at the first problem: every file is read and parsed independently
//! (in parallel), so that `check` reports all broken files at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, closest, did_you_mean, display_path, quoted};
use crate::model::{
    ActorCard, CaseFrontMatter, CityCard, EpciEntry, OpportunityFrontMatter, SiteConfig,
    StrategyEntry, TermEntry,
};

/// Source files larger than this are refused: no real card or case study comes near, and a
/// runaway file (a pasted export, a binary) would otherwise slow every build.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// Lists and block quotes nested deeper than this are refused: no text needs more than a few
/// levels, and the search indexer's time grows with the square of the depth (100,000 levels
/// take seconds, a 2 MB file could hold a million).
pub const MAX_NESTING: usize = 100;

/// Elements that a Markdown text makes, one inside the other (lists, quotes, emphasis, links,
/// raw HTML elements), are refused beyond this depth: the HTML minifier is recursive and
/// overflows a 2 MB thread stack near 500 levels in a debug build.
pub const MAX_HTML_DEPTH: usize = 256;

/// YAML limits (serde-saphyr's budget) below its defaults, sized for content files of at most
/// [`MAX_FILE_BYTES`]: an alias bomb (« billion laughs ») stops at a few megabytes.
pub const MAX_YAML_SCALAR_BYTES: usize = 4 * MAX_FILE_BYTES as usize;
pub const MAX_YAML_ALIASES: usize = 10_000;
pub const MAX_YAML_DEPTH: usize = 64;

/// A file as read from disk: its path for messages and its text (BOM removed, CRLF folded).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// Path relative to the site root, `/`-separated, as printed in messages.
    pub display: String,
    pub text: Arc<str>,
}

/// A Markdown body: the end of its file's text, shared with it rather than copied. A case
/// study's text was held twice while it was loaded and resolved (the file's text for error
/// reports, and its body), three times in between.
#[derive(Clone)]
pub struct Body {
    text: Arc<str>,
    start: usize,
}

impl Body {
    /// The last `len` bytes of `text`, which start on a character boundary.
    pub fn tail(text: &Arc<str>, len: usize) -> Body {
        let start = text.len() - len.min(text.len());
        debug_assert!(text.is_char_boundary(start));
        Body {
            text: Arc::clone(text),
            start,
        }
    }

    pub fn as_str(&self) -> &str {
        self
    }
}

impl From<&str> for Body {
    /// A body that is not part of a file (tests, a body edited in `serve`).
    fn from(body: &str) -> Body {
        Body {
            text: Arc::from(body),
            start: 0,
        }
    }
}

impl std::ops::Deref for Body {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text[self.start..]
    }
}

/// Two bodies are equal when their text is, whatever the files they end.
impl PartialEq for Body {
    fn eq(&self, other: &Body) -> bool {
        **self == **other
    }
}

impl Eq for Body {}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

/// A parsed YAML file together with the file it came from.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    pub file: SourceFile,
    pub value: T,
}

/// A city card, named by its file stem.
#[derive(Debug, Clone)]
pub struct LoadedCity {
    pub slug: String,
    pub file: SourceFile,
    pub card: CityCard,
}

/// A case study: its front matter and its Markdown body.
#[derive(Debug, Clone)]
pub struct LoadedCase {
    pub slug: String,
    pub file: SourceFile,
    pub front: CaseFrontMatter,
    pub body: Body,
    /// 1-based line of the first body line in the file, to report Markdown problems.
    pub body_line: usize,
}

/// An editorial opportunity: its front matter and its Markdown body.
#[derive(Debug, Clone)]
pub struct LoadedOpportunity {
    pub slug: String,
    pub file: SourceFile,
    pub front: OpportunityFrontMatter,
    pub body: Body,
    pub body_line: usize,
}

/// Everything that could be read; what could not is in the diagnostics.
#[derive(Debug, Default)]
pub struct LoadedSite {
    pub root: PathBuf,
    pub config: Option<Parsed<SiteConfig>>,
    pub cities: Vec<LoadedCity>,
    pub cases: Vec<LoadedCase>,
    pub opportunities: Vec<LoadedOpportunity>,
    /// Actor cards (`content/acteurs/`), named by their file stem.
    pub actors: Vec<(String, Parsed<ActorCard>)>,
    pub strategies: Option<Parsed<Vec<StrategyEntry>>>,
    pub channels: Option<Parsed<Vec<TermEntry>>>,
    pub publics: Option<Parsed<Vec<TermEntry>>>,
    pub epcis: Option<Parsed<Vec<EpciEntry>>>,
}

pub const CONFIG_FILE: &str = "atlas.yaml";
pub const CITIES_DIR: &str = "content/villes";
pub const CASES_DIR: &str = "content/cas";
pub const REFERENTIAL_DIR: &str = "content/referentiel";
pub const OPPORTUNITIES_DIR: &str = "content/opportunites";
pub const ACTORS_DIR: &str = "content/acteurs";

/// The most case studies or city cards that one thread takes at a time in a parallel loop
/// over them (reading, Markdown, analysis): with rayon's own split into large parts, a
/// profile of 1,000 case studies showed one thread reading the last ones alone for ≈ 20 ms
/// while the other slept.
pub(crate) const PARALLEL_PIECE: usize = 8;

/// Reads the whole site under `root`. Returns what was parsed and every problem found.
pub fn load_site(root: &Path) -> (LoadedSite, Vec<Diagnostic>) {
    load_site_cached(root, None)
}

/// [`load_site`] for `serve`: city cards and case studies unchanged since the previous build
/// are taken from `cache` instead of being read and parsed again (see [`crate::incremental`]).
pub fn load_site_cached(
    root: &Path,
    cache: Option<&crate::incremental::Cache>,
) -> (LoadedSite, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut site = LoadedSite {
        root: root.to_path_buf(),
        ..LoadedSite::default()
    };

    // The configuration and the referential (a few small files, one after the other) are read
    // while the city cards and case studies are, on the other threads; their messages come
    // first, as before.
    let (referential, content) = rayon::join(
        || {
            let mut diagnostics = Vec::new();
            let config: Option<Parsed<SiteConfig>> =
                load_yaml_file(root, &root.join(CONFIG_FILE), &mut diagnostics);
            if let Some(config) = &config
                && let Some(introduction) = &config.value.introduction
            {
                // The text starts on the line after `introduction: |` (or on it).
                let line = config
                    .file
                    .text
                    .lines()
                    .position(|l| l.starts_with("introduction:"))
                    .map_or(1, |index| index + 2);
                if let Err(error) = check_nesting(&config.file, introduction, line) {
                    diagnostics.push(error);
                }
            }
            let referential = root.join(REFERENTIAL_DIR);
            let strategies =
                load_yaml_file(root, &referential.join("strategies.yaml"), &mut diagnostics);
            let channels = load_yaml_file(root, &referential.join("canaux.yaml"), &mut diagnostics);
            let publics = load_yaml_file(root, &referential.join("publics.yaml"), &mut diagnostics);
            let epcis = load_yaml_file(
                root,
                &referential.join("intercommunalites.yaml"),
                &mut diagnostics,
            );
            (config, strategies, channels, publics, epcis, diagnostics)
        },
        || {
            let mut diagnostics = Vec::new();
            let city_paths = collect_files(
                root,
                &root.join(CITIES_DIR),
                &["yaml", "yml"],
                &mut diagnostics,
            );
            let case_paths = collect_files(root, &root.join(CASES_DIR), &["md"], &mut diagnostics);
            // Small pieces of work for each thread ([`PARALLEL_PIECE`]): no thread is left
            // alone with a large last part.
            let cities: Vec<Result<LoadedCity, Vec<Diagnostic>>> = city_paths
                .par_iter()
                .with_max_len(PARALLEL_PIECE)
                .map(|path| crate::incremental::cached(cache, path, || load_city(root, path)))
                .collect();
            let cases: Vec<Result<LoadedCase, Vec<Diagnostic>>> = case_paths
                .par_iter()
                .with_max_len(PARALLEL_PIECE)
                .map(|path| crate::incremental::cached(cache, path, || load_case(root, path)))
                .collect();
            (cities, cases, diagnostics)
        },
    );
    let (config, strategies, channels, publics, epcis, mut referential_diagnostics) = referential;
    site.config = config;
    site.strategies = strategies;
    site.channels = channels;
    site.publics = publics;
    site.epcis = epcis;
    diagnostics.append(&mut referential_diagnostics);
    let (cities, cases, mut content_diagnostics) = content;
    diagnostics.append(&mut content_diagnostics);
    for result in cities {
        match result {
            Ok(city) => site.cities.push(city),
            Err(mut errors) => diagnostics.append(&mut errors),
        }
    }
    for result in cases {
        match result {
            Ok(case) => site.cases.push(case),
            Err(mut errors) => diagnostics.append(&mut errors),
        }
    }

    // Editorial opportunities are optional: no folder, no opportunity.
    // Actors are optional too.
    if root.join(ACTORS_DIR).exists() {
        let paths = collect_files(
            root,
            &root.join(ACTORS_DIR),
            &["yaml", "yml"],
            &mut diagnostics,
        );
        for path in paths {
            let result = read_source(root, &path).and_then(|file| {
                let slug = file_slug(&file, &path)?;
                let value = parse_yaml::<ActorCard>(&file, &file.text, 0)?;
                Ok((slug, Parsed { file, value }))
            });
            match result {
                Ok(actor) => site.actors.push(actor),
                Err(error) => diagnostics.push(error),
            }
        }
    }
    if root.join(OPPORTUNITIES_DIR).exists() {
        let paths = collect_files(
            root,
            &root.join(OPPORTUNITIES_DIR),
            &["md"],
            &mut diagnostics,
        );
        let opportunities: Vec<Result<LoadedOpportunity, Vec<Diagnostic>>> = paths
            .par_iter()
            .map(|path| {
                let file = read_source(root, path).map_err(|e| vec![e])?;
                let slug = file_slug(&file, path).map_err(|e| vec![e])?;
                let (front_text, body, body_line) =
                    split_front_matter(&file).map_err(|e| vec![e])?;
                let front = parse_yaml::<OpportunityFrontMatter>(&file, front_text, 1)
                    .map_err(|e| vec![e])?;
                check_nesting(&file, body, body_line).map_err(|e| vec![e])?;
                Ok(LoadedOpportunity {
                    slug,
                    body: Body::tail(&file.text, body.len()),
                    body_line,
                    file,
                    front,
                })
            })
            .collect();
        for result in opportunities {
            match result {
                Ok(opportunity) => site.opportunities.push(opportunity),
                Err(mut errors) => diagnostics.append(&mut errors),
            }
        }
    }

    (site, diagnostics)
}

fn load_yaml_file<T: DeserializeOwned>(
    root: &Path,
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Parsed<T>> {
    if let Some(outside) = outside_root(root, path) {
        diagnostics.push(outside);
        return None;
    }
    let file = match read_source(root, path) {
        Ok(file) => file,
        Err(error) => {
            diagnostics.push(error);
            return None;
        }
    };
    match parse_yaml::<T>(&file, &file.text, 0) {
        Ok(value) => Some(Parsed { file, value }),
        Err(error) => {
            diagnostics.push(error);
            None
        }
    }
}

/// Lists the files with one of `extensions` below `dir`, sorted, reporting anything odd:
/// a directory named like a content file, an unreadable entry, a symlink loop.
fn collect_files(
    root: &Path,
    dir: &Path,
    extensions: &[&str],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if !dir.is_dir() {
        diagnostics.push(
            Diagnostic::error(
                "dossier-manquant",
                display_path(root, dir),
                "dossier introuvable",
            )
            .expected(format!(
                "un dossier {} (même vide)",
                quoted(&display_path(root, dir))
            )),
        );
        return files;
    }
    if let Some(outside) = outside_root(root, dir) {
        diagnostics.push(outside);
        return files;
    }
    let mut walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        // Editors' hidden files (.DS_Store, .swp, .git) are not content.
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    let mut folders = FoldersSeen::new(root, dir);
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                let message = if error.loop_ancestor().is_some() {
                    "boucle de liens symboliques : ce lien pointe vers un de ses dossiers parents"
                        .to_string()
                } else {
                    format!("lecture impossible ({})", io_reason(error.io_error()))
                };
                diagnostics.push(Diagnostic::error(
                    "lecture",
                    display_path(root, &path),
                    french_spaces(&message),
                ));
                continue;
            }
        };
        if let Some(problem) = symlink_or_folder_problem(root, &entry, &mut folders) {
            if entry.file_type().is_dir() {
                walker.skip_current_dir();
            }
            diagnostics.push(problem);
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if name.ends_with('~') {
            continue;
        }
        let extension = entry
            .path()
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let wanted = extensions.contains(&extension.as_str());
        if entry.file_type().is_dir() {
            if wanted && entry.depth() > 0 {
                diagnostics.push(
                    Diagnostic::error(
                        "pas-un-fichier",
                        display_path(root, entry.path()),
                        french_spaces("ce nom désigne un dossier, pas un fichier"),
                    )
                    .hint(french_spaces(
                        "renommez ce dossier ou remplacez-le par un fichier",
                    )),
                );
            }
            continue;
        }
        if wanted {
            files.push(entry.into_path());
        } else {
            diagnostics.push(
                Diagnostic::warning(
                    "fichier-ignore",
                    display_path(root, entry.path()),
                    french_spaces("fichier ignoré : extension inattendue"),
                )
                .expected(format!(
                    "un fichier {}",
                    extensions
                        .iter()
                        .map(|e| format!(".{e}"))
                        .collect::<Vec<_>>()
                        .join(" ou ")
                )),
            );
        }
    }
    files
}

/// The message for a path that names a folder where a file was expected.
fn not_a_file(display: String) -> Diagnostic {
    Diagnostic::error(
        "pas-un-fichier",
        display,
        french_spaces("ce nom désigne un dossier, pas un fichier"),
    )
}

/// Reads a file as UTF-8 text, refusing what cannot be content: too large, not UTF-8,
/// empty. A UTF-8 byte-order mark is dropped and CRLF line ends are folded to LF, so that
/// files saved by any editor parse the same.
pub fn read_source(root: &Path, path: &Path) -> Result<SourceFile, Diagnostic> {
    let display = display_path(root, path);
    let unreadable = |display: String, error: &std::io::Error| {
        Diagnostic::error(
            "lecture",
            display,
            french_spaces(&format!("lecture impossible ({})", io_reason(Some(error)))),
        )
    };
    // Opened once, then its size asked of the open file: one path lookup per file, not two
    // (a stat by name, then the read's own open) — 10,000 case studies are 10,000 files.
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        // What a stat by name said before the file is opened still comes first: a folder
        // (which Windows cannot open as a file), a file too large to read.
        Err(error) => {
            return Err(match std::fs::metadata(path) {
                Ok(metadata) if metadata.is_dir() => not_a_file(display),
                Ok(metadata) if metadata.len() > MAX_FILE_BYTES => {
                    too_large(display, metadata.len())
                }
                _ => unreadable(display, &error),
            });
        }
    };
    let metadata = match file.metadata() {
        Ok(metadata) => metadata,
        Err(error) => return Err(unreadable(display, &error)),
    };
    if metadata.is_dir() {
        return Err(not_a_file(display));
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large(display, metadata.len()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize + 1);
    if let Err(error) = std::io::Read::read_to_end(&mut file, &mut bytes) {
        return Err(unreadable(display, &error));
    }
    decode_source(path, display, bytes)
}

/// The text of a source file from its bytes, as [`read_source`] gives it: UTF-8 checked, BOM
/// dropped, CRLF folded, empty files refused. `display` is the path printed in messages.
pub fn decode_source(
    path: &Path,
    display: String,
    bytes: Vec<u8>,
) -> Result<SourceFile, Diagnostic> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(display, bytes.len() as u64));
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let bytes = error.as_bytes();
            let valid = error.utf8_error().valid_up_to();
            let before = String::from_utf8_lossy(&bytes[..valid]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let mut diagnostic = Diagnostic::error(
                "encodage",
                display,
                format!(
                    "le fichier n’est pas en UTF-8{}: octet invalide 0x{:02X} ligne {line}, colonne {column}",
                    '\u{202f}',
                    bytes[valid]
                ),
            )
            .hint("réenregistrez le fichier en UTF-8 (dans votre éditeur : « Enregistrer avec l’encodage » → UTF-8)");
            diagnostic.line = line;
            diagnostic.column = column;
            return Err(diagnostic);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_string()
    };
    if text.trim().is_empty() {
        return Err(Diagnostic::error(
            "fichier-vide",
            display,
            french_spaces("le fichier est vide"),
        )
        .hint(french_spaces(
            "remplissez-le (voir docs/format.md) ou supprimez-le",
        )));
    }
    Ok(SourceFile {
        path: path.to_path_buf(),
        display,
        text: Arc::from(text),
    })
}

fn load_city(root: &Path, path: &Path) -> Result<LoadedCity, Vec<Diagnostic>> {
    let file = read_source(root, path).map_err(|e| vec![e])?;
    parse_city(file)
}

/// Parses a city card read by [`read_source`] (or [`decode_source`]); its slug is its file name.
pub fn parse_city(file: SourceFile) -> Result<LoadedCity, Vec<Diagnostic>> {
    let slug = file_slug(&file, &file.path).map_err(|e| vec![e])?;
    let card = parse_yaml::<CityCard>(&file, &file.text, 0).map_err(|e| vec![e])?;
    Ok(LoadedCity { slug, file, card })
}

fn load_case(root: &Path, path: &Path) -> Result<LoadedCase, Vec<Diagnostic>> {
    let file = read_source(root, path).map_err(|e| vec![e])?;
    parse_case(file)
}

/// Parses a case study read by [`read_source`] (or [`decode_source`]): front matter and body;
/// its slug is its file name.
pub fn parse_case(file: SourceFile) -> Result<LoadedCase, Vec<Diagnostic>> {
    let slug = file_slug(&file, &file.path).map_err(|e| vec![e])?;
    let (front_text, body, body_line) = split_front_matter(&file).map_err(|e| vec![e])?;
    let front = parse_yaml::<CaseFrontMatter>(&file, front_text, 1).map_err(|e| vec![e])?;
    check_nesting(&file, body, body_line).map_err(|e| vec![e])?;
    Ok(LoadedCase {
        slug,
        body: Body::tail(&file.text, body.len()),
        body_line,
        file,
        front,
    })
}

/// The slug of a city or case study is its file name without extension; it becomes the URL,
/// so it must already be a clean URL segment.
fn file_slug(file: &SourceFile, path: &Path) -> Result<String, Diagnostic> {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    if is_slug(&stem) {
        Ok(stem)
    } else {
        Err(Diagnostic::error(
            "nom-de-fichier",
            file.display.clone(),
            format!(
                "nom de fichier invalide {}{}: il sert d’adresse à la page",
                quoted(&stem),
                '\u{202f}'
            ),
        )
        .expected(
            "des minuscules sans accent, des chiffres et des tirets (ex. : l-isle-sur-la-sorgue)",
        )
        .hint(format!(
            "renommez le fichier en {}",
            quoted(&slug::slugify(&stem))
        )))
    }
}

/// A slug: lowercase ASCII letters and digits separated by single hyphens.
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Splits `---\nYAML\n---\nbody`. Returns the YAML, the body and the body's first line.
/// Public for the fuzz targets (`fuzz/`) only.
#[doc(hidden)]
pub fn split_front_matter(file: &SourceFile) -> Result<(&str, &str, usize), Diagnostic> {
    let text: &str = &file.text;
    // The opening line runs to the first line feed, whatever precedes it: `lines()` would also
    // take a `\r` before it as part of the line ending, and the YAML would start one byte early,
    // on an empty line (every line number one too far).
    let after_open = text.find('\n').map_or(text.len(), |end| end + 1);
    let first_line = text.lines().next().unwrap_or("");
    if text[..after_open].trim_end() != "---" {
        return Err(Diagnostic::error(
            "en-tete-manquant",
            file.display.clone(),
            french_spaces(
                "le fichier doit commencer par un en-tête YAML entre deux lignes « --- »",
            ),
        )
        .at(&file.text, 1, 1, first_line.chars().count())
        .expected(french_spaces("« --- » seul sur la première ligne"))
        .hint(french_spaces(
            "ajoutez une ligne « --- » avant « titre: … » et une autre après le dernier champ",
        )));
    }
    let mut offset = after_open;
    for (line_number, line) in (2..).zip(text[offset..].split_inclusive('\n')) {
        if line.trim_end() == "---" {
            let yaml = &text[after_open..offset];
            let body_start = offset + line.len();
            return Ok((yaml, &text[body_start.min(text.len())..], line_number + 1));
        }
        offset += line.len();
    }
    Err(Diagnostic::error(
        "en-tete-non-ferme",
        file.display.clone(),
        french_spaces("l’en-tête YAML ouvert ligne 1 n’est jamais fermé"),
    )
    .at(&file.text, 1, 1, 3)
    .expected(french_spaces(
        "une ligne « --- » après le dernier champ de l’en-tête",
    ))
    .hint(french_spaces(
        "ajoutez une ligne « --- » entre l’en-tête et le texte",
    )))
}

/// Parses `yaml` (a file or its front matter, which starts `line_offset` lines into the
/// file) and translates the parser's error into a French diagnostic.
pub fn parse_yaml<T: DeserializeOwned>(
    file: &SourceFile,
    yaml: &str,
    line_offset: usize,
) -> Result<T, Diagnostic> {
    if yaml.trim().is_empty() {
        return Err(Diagnostic::error(
            "yaml",
            file.display.clone(),
            french_spaces("l’en-tête YAML est vide"),
        )
        .at(&file.text, line_offset.max(1), 1, 3)
        .expected("les champs décrits dans docs/format.md"));
    }
    serde_saphyr::from_str_with_options::<T>(yaml, yaml_options())
        .map_err(|error| translate_yaml_error(file, &error, line_offset))
}

fn translate_yaml_error(
    file: &SourceFile,
    error: &serde_saphyr::Error,
    line_offset: usize,
) -> Diagnostic {
    use serde_saphyr::Error as E;
    // The error itself, out of its snippet and alias wrappers.
    let mut inner = error.without_snippet();
    while let E::AliasError { error, .. } | E::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let (line, column) = match inner {
        // The parser notices a missing field at the end of the mapping; the field belongs at
        // its start.
        E::SerdeMissingField { .. } => (line_offset + 1, 1),
        _ => error
            .location()
            .map(|l| (l.line() as usize + line_offset, l.column() as usize))
            .unwrap_or((0, 0)),
    };
    let token_len = token_length(&file.text, line, column);
    let (code, message, expected, hint): (&'static str, String, Option<String>, Option<String>) =
        match inner {
            E::SerdeUnknownField {
                field, expected, ..
            } => (
                "champ-inconnu",
                format!("champ inconnu {}", quoted(field)),
                Some(if expected.is_empty() {
                    "aucun champ à cet endroit".to_string()
                } else {
                    format!("un de ces champs{}: {}", '\u{202f}', expected.join(", "))
                }),
                closest(field, expected.iter().copied()).map(did_you_mean),
            ),
            E::SerdeMissingField { field, .. } => (
                "champ-manquant",
                format!("champ obligatoire {} manquant", quoted(field)),
                Some(format!("une ligne {}", quoted(&format!("{field}: …")))),
                Some("voir docs/format.md pour la liste des champs".to_string()),
            ),
            E::SerdeUnknownVariant {
                variant, expected, ..
            } => (
                "valeur-inconnue",
                format!("valeur inconnue {}", quoted(variant)),
                Some(format!(
                    "une de ces valeurs{}: {}",
                    '\u{202f}',
                    expected.join(", ")
                )),
                closest(variant, expected.iter().copied()).map(did_you_mean),
            ),
            E::SerdeInvalidType {
                unexpected,
                expected,
                ..
            } => (
                "type-incorrect",
                format!(
                    "type incorrect{}: {} trouvé",
                    '\u{202f}',
                    describe_serde_type(unexpected)
                ),
                Some(describe_serde_type(expected)),
                None,
            ),
            E::SerdeInvalidValue {
                unexpected,
                expected,
                ..
            } => (
                "valeur-incorrecte",
                format!(
                    "valeur incorrecte{}: {}",
                    '\u{202f}',
                    describe_serde_type(unexpected)
                ),
                Some(describe_serde_type(expected)),
                None,
            ),
            E::DuplicateMappingKey { key, .. } => (
                "cle-repetee",
                match key {
                    Some(key) => format!("le champ {} est écrit deux fois", quoted(key)),
                    None => "une clé est écrite deux fois".to_string(),
                },
                Some("chaque champ une seule fois".to_string()),
                Some("supprimez ou fusionnez l’une des deux lignes".to_string()),
            ),
            E::Eof { .. } => (
                "yaml",
                "fin de fichier inattendue".to_string(),
                Some(
                    "la suite du YAML (une valeur, un crochet ou un guillemet fermant ?)"
                        .to_string(),
                ),
                None,
            ),
            E::InvalidScalar { ty, .. } => (
                "type-incorrect",
                format!(
                    "valeur incorrecte {}",
                    quoted(&token_text(&file.text, line, column))
                ),
                Some(describe_serde_type(ty)),
                None,
            ),
            E::Unexpected { expected, .. } => (
                "type-incorrect",
                "type incorrect\u{a0}: ce n’est pas la structure attendue ici".to_string(),
                Some(describe_serde_type(expected)),
                None,
            ),
            E::NullIntoString { .. } => (
                "valeur-vide",
                "valeur vide".to_string(),
                Some("un texte après les deux-points".to_string()),
                Some(
                    "écrivez la valeur, ou supprimez la ligne si le champ est facultatif"
                        .to_string(),
                ),
            ),
            E::Budget { breach, .. } => (
                "yaml-trop-complexe",
                format!("YAML trop complexe : {}", describe_breach(breach)),
                Some(yaml_limits_expected()),
                Some(ALIAS_HINT.to_string()),
            ),
            E::AliasReplayLimitExceeded { .. }
            | E::AliasExpansionLimitExceeded { .. }
            | E::AliasReplayStackDepthExceeded { .. }
            | E::AliasReplayCounterOverflow { .. } => (
                "yaml-trop-complexe",
                "YAML trop complexe : les alias (*nom) se développent en trop de valeurs"
                    .to_string(),
                Some(yaml_limits_expected()),
                Some(ALIAS_HINT.to_string()),
            ),
            E::MultipleDocuments { .. } => (
                "yaml",
                french_spaces(
                    "plusieurs documents YAML dans un seul fichier (ligne « --- » en trop ?)",
                ),
                Some("un seul document".to_string()),
                None,
            ),
            other => {
                let raw = other.to_string();
                let raw = raw.lines().next().unwrap_or("").to_string();
                // The parser reports a tab where it stops, often the line before the tab: find it.
                let tab_line = file
                    .text
                    .lines()
                    .enumerate()
                    .skip(line.saturating_sub(2))
                    .take(3)
                    .find(|(_, l)| l.trim_start_matches(' ').starts_with('\t'))
                    .map(|(index, _)| index + 1);
                if let Some(tab_line) = tab_line {
                    let column = file
                        .text
                        .lines()
                        .nth(tab_line - 1)
                        .map_or(1, |l| l.find('\t').unwrap_or(0) + 1);
                    return Diagnostic::error(
                        "tabulation",
                        file.display.clone(),
                        french_spaces(&format!("tabulation dans l’indentation, ligne {tab_line}")),
                    )
                    .at(&file.text, tab_line, column, 1)
                    .expected("des espaces\u{a0}: YAML n’accepte pas les tabulations pour indenter")
                    .hint("remplacez la tabulation par deux espaces");
                }
                (
                    "yaml",
                    format!(
                        "syntaxe YAML invalide{}: {}",
                        '\u{202f}',
                        strip_location(&raw)
                    ),
                    Some("du YAML valide (indentation par espaces, « clé: valeur »)".to_string()),
                    None,
                )
            }
        };
    let mut diagnostic = Diagnostic::error(code, file.display.clone(), french_spaces(&message));
    if line > 0 {
        diagnostic = diagnostic.at(&file.text, line, column.max(1), token_len);
    }
    if let Some(expected) = expected {
        diagnostic = diagnostic.expected(french_spaces(&expected));
    }
    if let Some(hint) = hint {
        diagnostic = diagnostic.hint(hint);
    }
    diagnostic
}

/// Length in characters of the token starting at (line, column), to underline it.
fn token_length(text: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return 1;
    }
    text.lines()
        .nth(line - 1)
        .map(|l| {
            l.chars()
                .skip(column.saturating_sub(1))
                .take_while(|c| !matches!(c, ':' | ',' | ']' | '}' | '#') && !c.is_whitespace())
                .count()
        })
        .unwrap_or(1)
        .max(1)
}

/// The token starting at (line, column), for messages.
fn token_text(text: &str, line: usize, column: usize) -> String {
    let length = token_length(text, line, column);
    text.lines()
        .nth(line.saturating_sub(1))
        .map(|l| {
            l.chars()
                .skip(column.saturating_sub(1))
                .take(length)
                .collect::<String>()
        })
        .unwrap_or_default()
        .trim_matches('"')
        .to_string()
}

/// serde-saphyr appends "at line X column Y" to some messages; we print the position ourselves.
fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(index) => message[..index].to_string(),
        None => message.to_string(),
    }
}

/// Serde describes types in English (`a sequence`, `u64`, `string "x"`): say it in French.
fn describe_serde_type(text: &str) -> String {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("string ") {
        return format!("le texte « {} »", rest.trim_matches('"'));
    }
    if let Some(rest) = text.strip_prefix("integer ") {
        return format!("le nombre {rest}");
    }
    if let Some(rest) = text.strip_prefix("floating point ") {
        return format!("le nombre {rest}");
    }
    if let Some(rest) = text.strip_prefix("boolean ") {
        return format!("le booléen {rest}");
    }
    if let Some(rest) = text.strip_prefix("struct ") {
        return format!("un objet {rest} (des lignes « champ: valeur »)");
    }
    match text {
        "a sequence" | "sequence" => "une liste (« - élément » ou [a, b])".to_string(),
        "a map" | "map" | "mapping start" | "mapping" => {
            "un objet (des lignes « champ: valeur »)".to_string()
        }
        "sequence start" => "une liste (« - élément » ou [a, b])".to_string(),
        "a string" | "string" => "un texte".to_string(),
        "a boolean" | "bool" => "true ou false".to_string(),
        "unit value" | "null" => "une valeur vide".to_string(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "a nonnegative integer" => {
            "un nombre entier positif".to_string()
        }
        "i8" | "i16" | "i32" | "i64" | "isize" | "an integer" => "un nombre entier".to_string(),
        "f32" | "f64" | "a float" => "un nombre".to_string(),
        other => other.to_string(),
    }
}

/// Puts a narrow no-break space before `: ; ! ?` and inside « », as French typography wants,
/// in messages written with ordinary spaces.
pub fn french_spaces(text: &str) -> String {
    text.replace(" :", "\u{202f}:")
        .replace(" ;", "\u{202f};")
        .replace(" !", "\u{202f}!")
        .replace(" ?", "\u{202f}?")
        .replace("« ", "«\u{202f}")
        .replace(" »", "\u{202f}»")
}

fn io_reason(error: Option<&std::io::Error>) -> String {
    match error.map(std::io::Error::kind) {
        Some(std::io::ErrorKind::NotFound) => "fichier introuvable".to_string(),
        Some(std::io::ErrorKind::PermissionDenied) => "permission refusée".to_string(),
        _ => match error.and_then(std::io::Error::raw_os_error) {
            // ELOOP: a symbolic link that points to itself.
            Some(40) => "boucle de liens symboliques".to_string(),
            _ => error.map_or_else(|| "erreur inconnue".to_string(), |e| e.to_string()),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Limits: file size, nesting depth, YAML budget, files outside the site.

/// A size in the units editors read: « 10,5 Mo », « 900 ko ».
fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MB {
        format!("{:.1}\u{a0}Mo", bytes as f64 / MB).replace('.', ",")
    } else {
        format!("{}\u{a0}ko", bytes.div_ceil(1024))
    }
}

fn too_large(display: String, bytes: u64) -> Diagnostic {
    Diagnostic::error(
        "fichier-trop-gros",
        display,
        french_spaces(&format!(
            "fichier trop volumineux ({}, {} octets) : la limite est de {}",
            human_size(bytes),
            crate::render::format_number(bytes),
            human_size(MAX_FILE_BYTES)
        )),
    )
    .expected(format!(
        "un fichier de {} au plus",
        human_size(MAX_FILE_BYTES)
    ))
    .hint("découpez le contenu en plusieurs fichiers")
}

/// Refuses Markdown whose lists and block quotes nest deeper than [`MAX_NESTING`], or whose
/// elements (raw HTML included) nest deeper than [`MAX_HTML_DEPTH`], with the line where the
/// limit is crossed. `first_line` is the file line of the text's first line.
pub fn check_nesting(
    file: &SourceFile,
    markdown: &str,
    first_line: usize,
) -> Result<(), Diagnostic> {
    // Each level of a list or a quote takes at least one character before the text of the
    // line that opens it (`>`, `- `, indentation), and each inline level at least one of
    // `< * _ ~ [`: a text with short line prefixes and few of those cannot nest deep, and the
    // full parse below runs only for the rare text that might.
    let longest_prefix = markdown
        .lines()
        .map(|line| {
            line.chars()
                .take_while(|c| {
                    matches!(
                        c,
                        ' ' | '\t' | '>' | '-' | '*' | '+' | '.' | ')' | '0'..='9'
                    )
                })
                .map(|c| if c == '\t' { 4 } else { 1 })
                .sum::<usize>()
        })
        .max()
        .unwrap_or(0);
    let inline = markdown
        .bytes()
        .filter(|b| matches!(b, b'<' | b'*' | b'_' | b'~' | b'['))
        .count();
    if longest_prefix <= MAX_NESTING && 2 * longest_prefix + inline + 4 <= MAX_HTML_DEPTH {
        return Ok(());
    }
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_HEADING_ATTRIBUTES;
    let (mut containers, mut depth) = (0usize, 0usize);
    let too_deep = |offset: usize, containers_only: bool| {
        let line = first_line + markdown[..offset].matches('\n').count();
        let column = markdown[..offset]
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.chars().count())
            + 1;
        let (message, expected, hint) = if containers_only {
            (
                format!("listes ou citations imbriquées sur plus de {MAX_NESTING} niveaux"),
                format!(
                    "au plus {MAX_NESTING} niveaux de listes et de citations (« - », « 1. », « > ») les uns dans les autres"
                ),
                "aplatissez la liste ou découpez la citation",
            )
        } else {
            (
                format!("mise en forme imbriquée sur plus de {MAX_HTML_DEPTH} niveaux"),
                format!(
                    "au plus {MAX_HTML_DEPTH} éléments les uns dans les autres (listes, citations, emphases, liens, balises HTML)"
                ),
                "simplifiez la mise en forme de ce passage",
            )
        };
        Diagnostic::error(
            "imbrication-trop-profonde",
            file.display.clone(),
            french_spaces(&message),
        )
        .at(&file.text, line, column, 1)
        .expected(french_spaces(&expected))
        .hint(hint)
    };
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        match event {
            Event::Start(tag) => {
                if matches!(tag, Tag::List(_) | Tag::BlockQuote(_)) {
                    containers += 1;
                    if containers > MAX_NESTING {
                        return Err(too_deep(range.start, true));
                    }
                }
                depth += 1;
            }
            Event::End(tag) => {
                if matches!(tag, TagEnd::List(_) | TagEnd::BlockQuote(_)) {
                    containers = containers.saturating_sub(1);
                }
                depth = depth.saturating_sub(1);
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                if let Some(at) = html_depth(&html, &mut depth, MAX_HTML_DEPTH) {
                    return Err(too_deep(range.start + at, false));
                }
            }
            _ => {}
        }
        if depth > MAX_HTML_DEPTH {
            return Err(too_deep(range.start, false));
        }
    }
    Ok(())
}

/// Follows the opening and closing tags of raw HTML, updating `depth`; returns the offset of
/// the tag that takes it beyond `limit`.
fn html_depth(html: &str, depth: &mut usize, limit: usize) -> Option<usize> {
    const VOID: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr",
    ];
    let bytes = html.as_bytes();
    let mut index = 0;
    while let Some(found) = html[index..].find('<') {
        let start = index + found;
        index = start + 1;
        match bytes.get(index) {
            Some(b'/') => *depth = depth.saturating_sub(1),
            Some(c) if c.is_ascii_alphabetic() => {
                let name_end = html[index..]
                    .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                    .map_or(html.len(), |n| index + n);
                let name = html[index..name_end].to_ascii_lowercase();
                let tag_end = html[name_end..]
                    .find('>')
                    .map_or(html.len(), |n| name_end + n);
                let self_closing = html[..tag_end].ends_with('/');
                if !self_closing && !VOID.contains(&name.as_str()) {
                    *depth += 1;
                    if *depth > limit {
                        return Some(start);
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// serde-saphyr's options with the budget of [`MAX_YAML_SCALAR_BYTES`], [`MAX_YAML_ALIASES`]
/// and [`MAX_YAML_DEPTH`].
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_total_scalar_bytes = MAX_YAML_SCALAR_BYTES;
    budget.max_aliases = MAX_YAML_ALIASES;
    budget.max_depth = MAX_YAML_DEPTH;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

const ALIAS_HINT: &str =
    "écrivez les valeurs telles quelles, sans ancres (&nom) ni alias (*nom) en cascade";

fn yaml_limits_expected() -> String {
    french_spaces(&format!(
        "un fichier de contenu ordinaire : au plus {} alias, {MAX_YAML_DEPTH} niveaux d’imbrication et {} de texte une fois les alias développés",
        crate::render::format_number(MAX_YAML_ALIASES as u64),
        human_size(MAX_YAML_SCALAR_BYTES as u64)
    ))
}

/// Which YAML limit was crossed, in French.
fn describe_breach(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Aliases { .. } => format!(
            "plus de {} alias (*nom)",
            crate::render::format_number(MAX_YAML_ALIASES as u64)
        ),
        B::AliasAnchorRatio { aliases, anchors } => {
            format!("{aliases} alias (*nom) pour {anchors} ancres (&nom)")
        }
        B::Depth { .. } => format!("plus de {MAX_YAML_DEPTH} niveaux d’imbrication"),
        B::ScalarBytes { .. } => format!(
            "plus de {} de texte une fois les alias développés",
            human_size(MAX_YAML_SCALAR_BYTES as u64)
        ),
        B::Events { .. } | B::Nodes { .. } => "trop de valeurs dans un seul fichier".to_string(),
        B::Documents { .. } => "trop de documents (lignes « --- »)".to_string(),
        B::Anchors { .. } | B::RecordedAnchorEvents { .. } | B::RecordedAnchorBytes { .. } => {
            "trop d’ancres (&nom) ou de valeurs retenues pour les alias".to_string()
        }
        B::MergeKeys { .. } => "trop de clés de fusion (<<)".to_string(),
        _ => "une limite de sécurité du lecteur YAML est dépassée".to_string(),
    }
}

/// An error when `path`, once its symbolic links are followed, is not inside the site's root:
/// a link to `/etc/passwd` or to another site must not be published. `None` when inside, or
/// when `path` cannot be resolved (reading it reports why).
fn outside_root(root: &Path, path: &Path) -> Option<Diagnostic> {
    let real = path.canonicalize().ok()?;
    let real_root = root.canonicalize().ok()?;
    if real.starts_with(&real_root) {
        return None;
    }
    Some(
        Diagnostic::error(
            "hors-du-site",
            display_path(root, path),
            french_spaces(&format!(
                "lien symbolique vers {} : ce chemin est hors du dossier du site",
                quoted(&real.display().to_string())
            )),
        )
        .expected(french_spaces(&format!(
            "un fichier ou un dossier dans {}",
            quoted(&real_root.display().to_string())
        )))
        .hint("copiez le fichier dans le site, ou supprimez le lien"),
    )
}

/// What the walk of one content folder has seen: its real path and the folders already
/// walked, by device and inode, so that no folder is read twice through symbolic links (a
/// chain of folders that each link twice to the next one would list 2^n paths).
struct FoldersSeen {
    /// The site root and the walked folder, links resolved.
    real_root: Option<PathBuf>,
    real_dir: Option<PathBuf>,
    #[cfg(unix)]
    seen: std::collections::HashMap<(u64, u64), PathBuf>,
}

impl FoldersSeen {
    fn new(root: &Path, dir: &Path) -> FoldersSeen {
        FoldersSeen {
            real_root: root.canonicalize().ok(),
            real_dir: dir.canonicalize().ok(),
            #[cfg(unix)]
            seen: std::collections::HashMap::new(),
        }
    }
}

/// What is wrong with a walked entry, if anything: a link out of the site, a link to a folder
/// that the walk reads at its own place, a folder already read through another link.
fn symlink_or_folder_problem(
    root: &Path,
    entry: &walkdir::DirEntry,
    folders: &mut FoldersSeen,
) -> Option<Diagnostic> {
    let is_dir = entry.file_type().is_dir();
    if entry.path_is_symlink() {
        if let Some(outside) = outside_root(root, entry.path()) {
            return Some(outside);
        }
        if is_dir
            && entry.depth() > 0
            && let (Some(real_dir), Ok(target)) = (&folders.real_dir, entry.path().canonicalize())
            && target.starts_with(real_dir)
        {
            let shown = folders.real_root.as_deref().map_or_else(
                || target.display().to_string(),
                |r| display_path(r, &target),
            );
            return Some(
                Diagnostic::error(
                    "dossier-en-double",
                    display_path(root, entry.path()),
                    french_spaces(&format!(
                        "lien symbolique vers {}, un dossier déjà lu à sa place : ses fichiers seraient lus deux fois",
                        quoted(&shown)
                    )),
                )
                .hint("supprimez ce lien symbolique"),
            );
        }
    }
    #[cfg(unix)]
    if is_dir {
        use std::os::unix::fs::MetadataExt;
        if let Ok(metadata) = entry.metadata() {
            let key = (metadata.dev(), metadata.ino());
            if let Some(first) = folders.seen.get(&key) {
                return Some(
                    Diagnostic::error(
                        "dossier-en-double",
                        display_path(root, entry.path()),
                        french_spaces(&format!(
                            "ce dossier est déjà lu sous {} : un lien symbolique le ferait lire deux fois",
                            quoted(&display_path(root, first))
                        )),
                    )
                    .hint("supprimez le lien symbolique en double"),
                );
            }
            folders.seen.insert(key, entry.path().to_path_buf());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> SourceFile {
        SourceFile {
            path: PathBuf::from("content/cas/x.md"),
            display: "content/cas/x.md".to_string(),
            text: Arc::from(text),
        }
    }

    #[test]
    fn slugs_are_lowercase_ascii_kebab_case() {
        assert!(is_slug("l-isle-sur-la-sorgue"));
        assert!(is_slug("a1"));
        assert!(!is_slug("Avignon"));
        assert!(!is_slug("isle--sorgue"));
        assert!(!is_slug("-a"));
        assert!(!is_slug("é"));
        assert!(!is_slug(""));
    }

    #[test]
    fn front_matter_is_split_with_the_body_line() {
        let file = source("---\ntitre: a\n---\n# Corps\n");
        let (yaml, body, line) = split_front_matter(&file).unwrap();
        assert_eq!(yaml, "titre: a\n");
        assert_eq!(body, "# Corps\n");
        assert_eq!(line, 4);
    }

    /// A case study's body is the end of its file's text, shared and not copied.
    #[test]
    fn a_body_is_the_end_of_its_files_text_shared() {
        let case = parse_case(source(
            "---\ntitre: Un cas\nresume: R\nvilles: [apt]\ndate: 2024-01-02\nsources:\n  \
             - url: https://example.org/\n    titre: S\n    consulte: 2024-02-03\n---\n# Corps\n\nTexte é.\n",
        ))
        .unwrap();
        assert_eq!(&*case.body, "# Corps\n\nTexte é.\n");
        assert_eq!(
            case.body.as_str(),
            &case.file.text[case.file.text.len() - 19..]
        );
        assert!(Arc::ptr_eq(&case.body.text, &case.file.text));
        assert_eq!(format!("{:?}", case.body), "\"# Corps\\n\\nTexte é.\\n\"");
        let alone = Body::from("# Seul\n");
        assert_eq!(&*alone, "# Seul\n");
        assert_eq!(&*Body::tail(&Arc::from("abc"), 9), "abc");
        assert_eq!(
            Body::tail(&Arc::from("---\na: 1\n---\nx"), 1),
            Body::from("x")
        );
    }

    /// Found by the `front_matter` fuzz target: an opening line `---  \r\r\n` (CRLF folded to
    /// `---  \r\n`) made the YAML start on the line feed, one line too early.
    #[test]
    fn front_matter_after_an_opening_line_ending_in_cr_starts_on_the_next_line() {
        let file = decode_source(
            Path::new("content/cas/x.md"),
            "content/cas/x.md".to_string(),
            b"---  \r\r\ntitre: a\r\n---\r\n\r\n# Corps\r\n".to_vec(),
        )
        .unwrap();
        let (yaml, body, line) = split_front_matter(&file).unwrap();
        assert_eq!(yaml, "titre: a\n");
        assert_eq!(body, "\n# Corps\n");
        assert_eq!(line, 4);
        // A YAML error is reported on its own line.
        let file = source("---\r\ntitre: [a\n---\n");
        let (yaml, _, _) = split_front_matter(&file).unwrap();
        assert_eq!(yaml, "titre: [a\n");
    }

    #[test]
    fn unclosed_front_matter_is_reported_at_line_one() {
        let file = source("---\ntitre: a\n# Corps\n");
        let error = split_front_matter(&file).unwrap_err();
        assert_eq!(error.code, "en-tete-non-ferme");
        assert_eq!(error.line, 1);
    }

    #[test]
    fn missing_front_matter_is_reported() {
        let file = source("titre: a\n");
        let error = split_front_matter(&file).unwrap_err();
        assert_eq!(error.code, "en-tete-manquant");
    }

    #[test]
    fn yaml_errors_in_front_matter_point_at_the_file_line() {
        let file = source("---\ntitre: a\nresum: b\n---\n");
        let (yaml, _, _) = split_front_matter(&file).unwrap();
        let error = parse_yaml::<CaseFrontMatter>(&file, yaml, 1).unwrap_err();
        assert_eq!(error.code, "champ-inconnu");
        assert_eq!(error.line, 3);
        assert_eq!(error.column, 1);
        assert_eq!(error.message, "champ inconnu «\u{202f}resum\u{202f}»");
        assert_eq!(
            error.hint.as_deref(),
            Some("vouliez-vous dire «\u{202f}resume\u{202f}»\u{202f}?")
        );
    }

    #[test]
    fn french_spaces_uses_narrow_no_break_spaces() {
        assert_eq!(
            french_spaces("a : « b » ?"),
            "a\u{202f}: «\u{202f}b\u{202f}»\u{202f}?"
        );
    }

    #[test]
    fn nesting_is_limited_at_the_line_where_it_crosses_the_limit() {
        let ok = format!("{}fond\n\n{}fond\n", "- ".repeat(100), "> ".repeat(100));
        assert!(check_nesting(&source(&ok), &ok, 5).is_ok());
        let deep = format!("Avant.\n\n{}fond\n", "> ".repeat(101));
        let error = check_nesting(&source(&deep), &deep, 5).unwrap_err();
        assert_eq!(error.code, "imbrication-trop-profonde");
        assert_eq!(error.line, 7);
        let html = format!("{}x{}", "<span>".repeat(300), "</span>".repeat(300));
        let error = check_nesting(&source(&html), &html, 1).unwrap_err();
        assert!(error.message.contains("256"), "{}", error.message);
        // Void and self-closing elements, comments and closed elements do not nest.
        let flat = "<br><img src=x><hr/><!-- c --><p>a</p>".repeat(200);
        assert!(check_nesting(&source(&flat), &flat, 1).is_ok());
        // A long thematic break or many links in prose are not nesting.
        let prose = format!("{}\n\n{}", "-".repeat(300), "[a](/b) *c* ".repeat(300));
        assert!(check_nesting(&source(&prose), &prose, 1).is_ok());
    }

    #[test]
    fn sizes_and_counts_are_written_the_french_way() {
        assert_eq!(human_size(10 * 1024 * 1024 + 1), "10,0\u{a0}Mo");
        assert_eq!(human_size(1000), "1\u{a0}ko");
    }

    #[test]
    fn an_alias_bomb_is_refused_in_french() {
        let text = format!(
            "titre: &s \"{}\"\nvilles: [{}]\n",
            "x".repeat(100_000),
            vec!["*s"; 200].join(", ")
        );
        let error = parse_yaml::<CaseFrontMatter>(&source(&text), &text, 0).unwrap_err();
        assert_eq!(error.code, "yaml-trop-complexe");
        assert!(
            error.message.starts_with("YAML trop complexe"),
            "{}",
            error.message
        );
    }
}
