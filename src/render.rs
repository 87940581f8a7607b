//! Stage 4, **render**: the resolved site and its indexes become HTML pages, through Tera
//! templates (the theme's, overridden file by file by the site's own `templates/`), Markdown
//! for case studies, and minify-html. Nothing is written here: the result is a list of files
//! in memory, in a stable order, so that the write stage can swap it in atomically and the
//! same input always gives the same bytes.

/// A page context's map written like `object!({"key": value, …})`, in Tera's values
/// ([`values::context`]); [`json_object!`] writes the same in `serde_json`'s, for open-data
/// files. Values are moved in where `json!` would serialise each one into a copy and drop
/// it: page contexts embed values already built (case-study cards, opportunities, map rows).
/// A value may be a nested `{…}` object or `[…]` array, `null`, or any expression: moved in
/// when it converts (`IntoContext`, or `From` for JSON), serialised as `json!` does otherwise
/// (a borrowed number, an enum): see [`values::context::ContextValue`].
macro_rules! object {
    ({ $($body:tt)* }) => { value_tree!(context; { $($body)* }) };
}

/// [`object!`] for open-data files, in `serde_json`'s values ([`values::json`]).
macro_rules! json_object {
    ({ $($body:tt)* }) => { value_tree!(json; { $($body)* }) };
}

/// The rules of [`object!`] and [`json_object!`], for the values of `render::values::$kind`.
macro_rules! value_tree {
    ($kind:ident; { $($body:tt)* }) => {{
        #[allow(unused_mut)]
        let mut map = $crate::render::values::$kind::map();
        value_tree!(@entries $kind map $($body)*);
        $crate::render::values::$kind::object(map)
    }};
    (@entries $kind:ident $map:ident) => {};
    (@entries $kind:ident $map:ident $key:literal : { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $crate::render::values::$kind::insert(&mut $map, $key, value_tree!($kind; { $($inner)* }));
        value_tree!(@entries $kind $map $($($rest)*)?);
    };
    (@entries $kind:ident $map:ident $key:literal : [ $($items:tt)* ] $(, $($rest:tt)*)?) => {
        #[allow(unused_mut)]
        let mut items: Vec<$crate::render::values::$kind::Value> = Vec::new();
        value_tree!(@items $kind items $($items)*);
        $crate::render::values::$kind::insert(&mut $map, $key, items.into());
        value_tree!(@entries $kind $map $($($rest)*)?);
    };
    (@entries $kind:ident $map:ident $key:literal : null $(, $($rest:tt)*)?) => {
        $crate::render::values::$kind::insert(&mut $map, $key, $crate::render::values::$kind::null());
        value_tree!(@entries $kind $map $($($rest)*)?);
    };
    (@entries $kind:ident $map:ident $key:literal : $value:expr $(, $($rest:tt)*)?) => {
        $crate::render::values::$kind::insert(&mut $map, $key, value_tree!(@value $kind $value));
        value_tree!(@entries $kind $map $($($rest)*)?);
    };
    (@value $kind:ident $value:expr) => {{
        #[allow(unused_imports)]
        use $crate::render::values::$kind::{ByMove as _, BySerde as _};
        $crate::render::values::$kind::ContextValue($value).context_value()
    }};
    (@items $kind:ident $items:ident) => {};
    (@items $kind:ident $items:ident { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $items.push(value_tree!($kind; { $($inner)* }));
        value_tree!(@items $kind $items $($($rest)*)?);
    };
    (@items $kind:ident $items:ident null $(, $($rest:tt)*)?) => {
        $items.push($crate::render::values::$kind::null());
        value_tree!(@items $kind $items $($($rest)*)?);
    };
    (@items $kind:ident $items:ident $item:expr $(, $($rest:tt)*)?) => {
        $items.push(value_tree!(@value $kind $item));
        value_tree!(@items $kind $items $($($rest)*)?);
    };
}

mod actors;
mod feeds;
mod graph;
mod map;
mod observatory;
mod opendata;
mod search;
pub(crate) mod values;
/// Indexed pages from which the search index is split in two (see `render/search.rs`).
pub use search::SPLIT_FROM as SEARCH_INDEX_SPLIT_FROM;
pub(crate) mod single;
#[doc(hidden)]
pub use single::CasePageBench;
mod synergies;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use values::context::{IntoContext, Value, field, set};

use crate::analyse::{Analysis, Indexes, Opportunity};
use crate::diagnostic::{Diagnostic, closest, did_you_mean, display_path, quoted};
use crate::markdown::{self, typography};
use crate::model::Lever;
use crate::resolve::{Case, City, NamedFact, Site, SourceRef, TermFact};

/// A file of the output: its path relative to the output folder and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The theme: templates (theme's, then the site's overrides) and static files.
pub struct Theme {
    tera: tera::Tera,
    /// Where each template came from, to name it in errors.
    template_files: BTreeMap<String, String>,
    /// Static files: output path (`static/…`) → bytes.
    statics: BTreeMap<String, Vec<u8>>,
    /// The cards this theme's components render once per item ([`Card`]).
    cards: Vec<Card>,
}

/// Templates every theme must provide.
pub const REQUIRED_TEMPLATES: &[&str] = &[
    "index.html",
    "villes.html",
    "ville.html",
    "cas_liste.html",
    "cas.html",
    "taxonomie.html",
    "terme.html",
    "intercommunalites.html",
    "intercommunalite.html",
    "synergies.html",
    "opportunites.html",
    "carte.html",
    "observatoire.html",
    "acteurs.html",
    "acteur.html",
    "recherche.html",
    "donnees.html",
    "404.html",
];

impl Theme {
    /// A page of `template`, as bytes: Tera writes only strings, so the page is UTF-8 without
    /// checking it again (`Tera::render` does, for its `String`).
    fn render(&self, template: &str, context: &tera::Context) -> tera::TeraResult<Vec<u8>> {
        let mut html = Vec::new();
        self.tera.render_to(template, context, &mut html)?;
        Ok(html)
    }

    /// Loads `themes/<name>/templates` and `static`, then the site's `templates/` and
    /// `static/`, a site file replacing the theme file of the same name.
    pub fn load(root: &Path, name: &str) -> Result<Theme, Vec<Diagnostic>> {
        let theme_dir = root.join("themes").join(name);
        if !theme_dir.is_dir() {
            let available: Vec<String> = std::fs::read_dir(root.join("themes"))
                .map(|entries| {
                    let mut names: Vec<String> = entries
                        .filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .map(|e| e.file_name().to_string_lossy().to_string())
                        .collect();
                    names.sort();
                    names
                })
                .unwrap_or_default();
            let mut diagnostic = Diagnostic::error(
                "theme",
                "atlas.yaml",
                format!(
                    "thème introuvable {}\u{a0}: le dossier themes/{name}/ n’existe pas",
                    quoted(name)
                ),
            )
            .expected("le nom d’un dossier de themes/");
            if let Some(candidate) = closest(name, available.iter().map(String::as_str)) {
                diagnostic = diagnostic.hint(did_you_mean(candidate));
            }
            return Err(vec![diagnostic]);
        }
        let mut sources: BTreeMap<String, (PathBuf, String)> = BTreeMap::new();
        let mut diagnostics = Vec::new();
        for dir in [theme_dir.join("templates"), root.join("templates")] {
            for (name, path) in list_files(&dir) {
                match crate::load::read_source(root, &path) {
                    Ok(file) => {
                        sources.insert(name, (path, file.text.to_string()));
                    }
                    Err(error) => diagnostics.push(error),
                }
            }
        }
        let mut tera = tera::Tera::new();
        let mut template_files = BTreeMap::new();
        for (name, (path, _)) in &sources {
            template_files.insert(name.clone(), display_path(root, path));
        }
        // All at once: components defined in one file (partials) are used by the others, and
        // Tera resolves them only when it knows every template.
        if let Err(error) = tera.add_raw_templates(
            sources
                .iter()
                .map(|(name, (_, text))| (name.as_str(), text.as_str())),
        ) {
            let message = tera_message(&error);
            let file = file_named_in(&template_files, &message)
                .unwrap_or_else(|| display_path(root, &theme_dir.join("templates")));
            diagnostics.push(Diagnostic::error(
                "gabarit",
                file,
                format!("gabarit invalide\u{a0}: {message}"),
            ));
        }
        for required in REQUIRED_TEMPLATES {
            if !sources.contains_key(*required) {
                diagnostics.push(Diagnostic::error(
                    "gabarit-manquant",
                    display_path(root, &theme_dir.join("templates").join(required)),
                    format!("gabarit manquant {}", quoted(required)),
                ));
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        let mut statics = BTreeMap::new();
        for dir in [theme_dir.join("static"), root.join("static")] {
            for (name, path) in list_files(&dir) {
                match std::fs::read(&path) {
                    Ok(bytes) => {
                        statics.insert(format!("static/{name}"), bytes);
                    }
                    Err(error) => diagnostics.push(Diagnostic::error(
                        "lecture",
                        display_path(root, &path),
                        format!("lecture impossible ({error})"),
                    )),
                }
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        let cards = Card::ALL
            .into_iter()
            .filter(|card| card.prepare(&mut tera))
            .collect();
        Ok(Theme {
            tera,
            template_files,
            statics,
            cards,
        })
    }
}

/// The file of the template that an error message of Tera points at, among the theme's: the
/// first `--> name:line:col`, else a `'name'`, else a `name:` anywhere.
fn file_named_in(template_files: &BTreeMap<String, String>, message: &str) -> Option<String> {
    let pointed = message.lines().find_map(|line| {
        let place = line.trim_start().strip_prefix("--> ")?;
        let name = place.rsplitn(3, ':').last()?;
        template_files.get(name)
    });
    pointed
        .or_else(|| {
            let named = |pattern: &dyn Fn(&str) -> String| {
                template_files
                    .iter()
                    .find(|(name, _)| message.contains(&pattern(name)))
                    .map(|(_, file)| file)
            };
            named(&|name| format!("'{name}'")).or_else(|| named(&|name| format!("{name}:")))
        })
        .cloned()
}

/// A card that many pages list, rendered once by the theme's component and handed to the
/// templates ready-made, as the item's `carte` ([`Ctx::with_card`]), as Hugo's
/// `partialCached` does. A case study's card is on each of its cities' and terms' pages and
/// beside every case study related to it; an opportunity is on its cities' pages, its
/// strategy's and the listings. The benchmark's 1,000 case studies show 22,500 cards of 4,900
/// items: rendered once, the build takes 15 % less CPU (547 → 462 ms without the search
/// index), for the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Card {
    /// `carte_cas(c)`: a case study's card.
    Case,
    /// `carte_opportunite(o)`: an opportunity's card, computed or editorial.
    Opportunity,
}

impl Card {
    const ALL: [Card; 2] = [Card::Case, Card::Opportunity];

    /// The theme's component that draws the card.
    fn component(self) -> &'static str {
        match self {
            Card::Case => "carte_cas",
            Card::Opportunity => "carte_opportunite",
        }
    }

    /// The component's argument that receives the item.
    fn argument(self) -> &'static str {
        match self {
            Card::Case => "c",
            Card::Opportunity => "o",
        }
    }

    /// The template that calls the component with the item alone. A theme's templates are
    /// named by their relative path, which never starts with `/`: no theme file can take or
    /// override this name. Its `.html` keeps Tera's autoescaping on, as in the theme's.
    fn template(self) -> &'static str {
        match self {
            Card::Case => "//carte_cas.html",
            Card::Opportunity => "//carte_opportunite.html",
        }
    }

    /// Whether `tera`'s theme draws this card with a component that the item alone can call
    /// (its other arguments have defaults, none is implicit: the card is then the same on
    /// every page), and if so adds the template that calls it. A theme without it renders its
    /// cards as it likes, with no `carte` given.
    fn prepare(self, tera: &mut tera::Tera) -> bool {
        let Some(component) = tera.get_component_definition(self.component()) else {
            return false;
        };
        let takes_the_item = component
            .args()
            .iter()
            .any(|arg| arg.name() == self.argument());
        let needs_nothing_else = component.args().iter().all(|arg| {
            !arg.is_implicit() && (arg.name() == self.argument() || arg.default().is_some())
        });
        takes_the_item
            && needs_nothing_else
            && tera
                .add_raw_template(
                    self.template(),
                    &format!(
                        "{{{{ <{component} {argument}={{{argument}}} /> }}}}",
                        component = self.component(),
                        argument = self.argument()
                    ),
                )
                .is_ok()
    }
}

thread_local! {
    /// Time this thread spent rendering cards ([`Card`]): a page's context asks for them, and
    /// `--timings` counts them with the templates rather than with the contexts.
    static CARD_TIME: std::cell::Cell<Duration> = const { std::cell::Cell::new(Duration::ZERO) };
}

/// The cards of a build: the theme that renders them, and what went wrong rendering them.
struct Cards<'a> {
    theme: Option<&'a Theme>,
    failures: std::sync::Mutex<Vec<Diagnostic>>,
}

impl<'a> Cards<'a> {
    fn of(theme: &'a Theme) -> Cards<'a> {
        Cards {
            theme: Some(theme),
            failures: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The errors of the cards that could not be rendered (at most [`MAX_CARD_FAILURES`]).
    fn take_failures(&self) -> Vec<Diagnostic> {
        std::mem::take(&mut *lock(&self.failures))
    }
}

/// A broken card component fails on every item: its first errors are enough to mend it.
const MAX_CARD_FAILURES: usize = 20;

/// Files below `dir`, as (`/`-separated relative name, path), sorted; hidden files skipped.
fn list_files(dir: &Path) -> Vec<(String, PathBuf)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut files: Vec<(String, PathBuf)> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (display_path(dir, e.path()), e.into_path()))
        .collect();
    files.sort();
    files
}

fn tera_message(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        message.push_str(" — ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

/// A page context built when the page is rendered, so that the contexts of thousands of
/// pages never live at once.
type LaterContext<'a> = Box<dyn FnOnce() -> Value + Send + 'a>;

/// A context built later, and about how many values it will hold ([`values::context::size`]): the pass
/// renders the biggest pages first, and a listing of hundreds of cards built later must not
/// be started last, by one thread while the others wait.
struct Later<'a> {
    size: usize,
    build: LaterContext<'a>,
}

/// [`Later`], for [`Page::later`].
fn later<'a>(size: usize, build: impl FnOnce() -> Value + Send + 'a) -> Option<Later<'a>> {
    Some(Later {
        size,
        build: Box::new(build),
    })
}

/// About how many values the parts of a context hold, to size the contexts built later: a
/// case study's card (its cities, strategies, publics), an opportunity's card without its
/// inspiring case studies, a link to a city, what a city page and a term page show besides
/// their lists. Measured on a generated atlas (test
/// `the_contexts_built_later_are_about_the_size_announced`).
const CASE_CARD_SIZE: usize = 30;
const OPPORTUNITY_CARD_SIZE: usize = 40;
const CITY_LINK_SIZE: usize = 8;
const CITY_PAGE_SIZE: usize = 150;
const TERM_PAGE_SIZE: usize = 40;

/// About how many values the cards of `opportunities` hold.
fn opportunity_cards_size<'o>(opportunities: impl Iterator<Item = &'o Opportunity>) -> usize {
    opportunities
        .map(|o| OPPORTUNITY_CARD_SIZE + o.inspirations.len() * CASE_CARD_SIZE)
        .sum()
}

/// One page to render: where it goes, which template, what it is given.
struct Page<'a> {
    /// Builds the context when the page is rendered; `context` then only holds what was
    /// added to it beforehand (the small maps), merged into it.
    later: Option<Later<'a>>,
    /// Result type and position in the search index, for an indexed page.
    search: Option<(&'static str, usize)>,
    /// A case study's page (its index in `site.cases`) has its context built only when it is
    /// rendered ([`Ctx::case_context`]): thousands of contexts never live at once.
    case: Option<usize>,
    /// Site path of the page (`villes/avignon/`), or the file name for `404.html`.
    url: String,
    output: String,
    template: &'static str,
    context: Value,
}

/// Renders every page of the site, handing each file to `sink` as soon as it is final, or
/// returns every problem found (broken internal links in Markdown, template errors). The
/// search index is left to build: [`Indexing::finish`], once the caller has freed what it
/// no longer needs (the pages are read for the index as they are rendered). With a
/// `cache` (`serve`), a page whose template and context did not change since the previous
/// build keeps its bytes instead of being rendered again (see [`crate::incremental`]); every
/// other step is the same, so the files are the same.
pub fn render_site_cached(
    site: &Site,
    analysis: &Analysis,
    theme: &Theme,
    cache: Option<&crate::incremental::Cache>,
    sink: &dyn Sink,
) -> Result<Indexing, Vec<Diagnostic>> {
    let mut timings = RenderTimings::default();
    let mut clock = Lap(Instant::now());
    let mut ctx = Ctx {
        site,
        ix: &analysis.indexes,
        an: analysis,
        memo: Memo::new(site, analysis),
        cards: Cards::of(theme),
    };
    let mut diagnostics = Vec::new();

    // Markdown first (in parallel): case-study bodies and the home introduction.
    let case_bodies: Vec<markdown::RenderedMarkdown> = site
        .cases
        .par_iter()
        .with_max_len(crate::load::PARALLEL_PIECE)
        .map(|case| {
            markdown::render_with(
                &case.body,
                &format!("cas/{}/", case.slug),
                &site.config.base_path,
                site.config.html_brut,
            )
        })
        .collect();
    let introduction =
        site.config.introduction.as_deref().map(|text| {
            markdown::render_with(text, "", &site.config.base_path, site.config.html_brut)
        });
    let opportunity_bodies: Vec<markdown::RenderedMarkdown> = site
        .opportunities
        .iter()
        .map(|o| {
            markdown::render_with(
                &o.body,
                "opportunites/",
                &site.config.base_path,
                site.config.html_brut,
            )
        })
        .collect();
    let opportunity_html: Vec<String> = opportunity_bodies.iter().map(|b| b.html.clone()).collect();
    clock.lap(&mut timings.markdown);

    // Page contexts are pure functions of the analysis: the groups are built in parallel,
    // then put back in a fixed order (the output must not depend on scheduling).
    let intro_html = introduction.as_ref().map(|m| m.html.as_str());
    let (((mut pages, tail), data_sizes), ((geometry, map_pages), observatory)) = rayon::join(
        || {
            rayon::join(
                || {
                    rayon::join(
                        || {
                            let mut pages = vec![ctx.home_page(intro_html), ctx.cities_page()];
                            pages.par_extend(site.cities.par_iter().enumerate().map(
                                |(index, city)| ctx.city_page(index, city, &opportunity_html),
                            ));
                            pages.push(ctx.cases_page());
                            pages.extend(
                                site.cases
                                    .iter()
                                    .enumerate()
                                    .map(|(index, case)| ctx.case_page(index, case)),
                            );
                            pages
                        },
                        || {
                            let (mut first, second) = rayon::join(
                                || {
                                    let mut pages = ctx.taxonomy_pages(&opportunity_html);
                                    pages.extend(ctx.synergy_pages());
                                    pages.extend(ctx.actor_pages());
                                    pages
                                },
                                || {
                                    let mut pages = ctx.opportunity_pages(&opportunity_html);
                                    pages.push(ctx.epcis_page());
                                    for index in 0..site.epcis.len() {
                                        pages.push(ctx.epci_page(index));
                                    }
                                    pages
                                },
                            );
                            first.extend(second);
                            first
                        },
                    )
                },
                // Open data (10 MB at 1,000 case studies) goes to the sink at once: only
                // the sizes, for `/donnees/`, are kept through the page pass.
                || {
                    let files = ctx.opendata_files();
                    let sizes: Vec<(String, usize)> = files
                        .iter()
                        .map(|file| (file.path.clone(), file.bytes.len()))
                        .collect();
                    for file in files {
                        sink.put(file);
                    }
                    sizes
                },
            )
        },
        || rayon::join(|| ctx.map_pages(), || ctx.observatory_page()),
    );
    pages.extend(tail);
    // The small maps of the city and intercommunality pages; the map pages come after.
    ctx.add_small_maps(&geometry, &mut pages);
    pages.extend(map_pages);
    pages.push(observatory);
    if site.config.recherche {
        pages.push(ctx.search_page());
    }
    pages.push(ctx.opendata_page(&data_sizes));
    pages.push(ctx.not_found_page());
    clock.lap(&mut timings.pages);

    // Internal links written in Markdown must point to a page or a static file.
    let known: BTreeSet<&str> = pages
        .iter()
        .map(|p| p.url.as_str())
        .chain(theme.statics.keys().map(String::as_str))
        .collect();
    for (case, body) in site.cases.iter().zip(&case_bodies) {
        for link in &body.internal_links {
            if !known.contains(link.target.as_str()) {
                let line = case.body_line
                    + case.body[..link.offset.min(case.body.len())]
                        .matches('\n')
                        .count();
                let line_start = case.body[..link.offset.min(case.body.len())]
                    .rfind('\n')
                    .map_or(0, |i| i + 1);
                let column = case.body[line_start..link.offset.min(case.body.len())]
                    .chars()
                    .count()
                    + 1;
                diagnostics.push(broken_link(
                    &case.file,
                    &case.text,
                    line,
                    column,
                    &link.written,
                    &link.target,
                    &known,
                ));
            }
        }
    }
    // From here a body is only its case study's HTML, handed over (and freed) when its page
    // is rendered: 10,000 bodies are not all held until the end of the build.
    let case_bodies: Vec<CaseBody> = case_bodies
        .into_iter()
        .map(|body| std::sync::Mutex::new(body.html))
        .collect();
    for (opportunity, body) in site.opportunities.iter().zip(&opportunity_bodies) {
        for link in &body.internal_links {
            if !known.contains(link.target.as_str()) {
                let offset = link.offset.min(opportunity.body.len());
                let line = opportunity.body_line + opportunity.body[..offset].matches('\n').count();
                let line_start = opportunity.body[..offset].rfind('\n').map_or(0, |i| i + 1);
                let column = opportunity.body[line_start..offset].chars().count() + 1;
                diagnostics.push(broken_link(
                    &opportunity.file,
                    &opportunity.text,
                    line,
                    column,
                    &link.written,
                    &link.target,
                    &known,
                ));
            }
        }
    }
    if let Some(intro) = &introduction {
        for link in &intro.internal_links {
            if !known.contains(link.target.as_str()) {
                diagnostics.push(broken_link(
                    "atlas.yaml",
                    &Arc::from(""),
                    0,
                    0,
                    &link.written,
                    &link.target,
                    &known,
                ));
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }

    let css_version = theme
        .statics
        .get("static/style.css")
        .map(|bytes| format!("{:08x}", fnv1a(bytes) as u32))
        .unwrap_or_default();
    let site_value = object!({
        "titre": typography(&site.config.titre),
        "description": typography(&site.config.description),
        "urls": {
            "accueil": ctx.url(""),
            "villes": ctx.url("villes/"),
            "cas": ctx.url("cas/"),
            "strategies": ctx.url("strategies/"),
            "canaux": ctx.url("canaux/"),
            "publics": ctx.url("publics/"),
            "intercommunalites": ctx.url("intercommunalites/"),
            "synergies": ctx.url("synergies/"),
            "opportunites": ctx.url("opportunites/"),
            "carte": ctx.url("carte/"),
            "observatoire": ctx.url("observatoire/"),
            "acteurs": ctx.url("acteurs/"),
            // Absent without a search page: the theme then shows no search form.
            "recherche": site.config.recherche.then(|| ctx.url("recherche/")),
            "donnees": ctx.url("donnees/"),
            "atom": ctx.url(feeds::ATOM_PATH),
        },
        "base_url": site.config.base_url.clone(),
        "base_path": site.config.base_path.clone(),
        "langue": site.config.langue.clone(),
        "editeur": site.config.editeur.clone(),
        "css": format!("{}static/style.css?v={css_version}", site.config.base_path),
        "favicon": format!("{}static/favicon.svg", site.config.base_path),
        "nav": [
            {"nom": "Villes", "url": ctx.url("villes/"), "section": "villes"},
            {"nom": "Études de cas", "url": ctx.url("cas/"), "section": "cas"},
            {"nom": "Stratégies", "url": ctx.url("strategies/"), "section": "strategies"},
            {"nom": "Canaux", "url": ctx.url("canaux/"), "section": "canaux"},
            {"nom": "Publics", "url": ctx.url("publics/"), "section": "publics"},
            {"nom": "Intercommunalités", "url": ctx.url("intercommunalites/"), "section": "intercommunalites"},
            {"nom": "Carte", "url": ctx.url("carte/"), "section": "carte"},
            {"nom": "Synergies", "url": ctx.url("synergies/"), "section": "synergies"},
            {"nom": "Observatoire", "url": ctx.url("observatoire/"), "section": "observatoire"},
            {"nom": "Opportunités", "url": ctx.url("opportunites/"), "section": "opportunites"},
            {"nom": "Acteurs", "url": ctx.url("acteurs/"), "section": "acteurs"},
            {"nom": "Données", "url": ctx.url("donnees/"), "section": "donnees"},
        ],
    });

    // Without search (`recherche: false`, `--no-search`), no page is marked for the index and
    // no index is built: no `pagefind/` in the output.
    let search_urls = if site.config.recherche {
        search::mark_indexable(&mut pages)
    } else {
        Vec::new()
    };
    // The search page is told which indexes to merge into the first one.
    let merged: Vec<String> = (1..search::index_count(search_urls.len()))
        .map(|index| ctx.url(&format!("{}/", search::bundle_dir(index))))
        .collect();
    if let Some(page) = pages.iter_mut().find(|p| p.template == "recherche.html") {
        set(
            &mut page.context,
            [("pagefind_fusion", merged.join(" ").into_context())],
        );
    }
    let minify_config = minify_config();
    // `serve` (incremental): what every page is given besides its own context.
    let site_key = cache.map(|c| c.pages().site_key(&site_value, site.config.minifier));
    // Tera values share their maps and lists: every page gets the site's for a reference count.
    let site_for_templates = site_value.clone();
    timings.pages += clock.take();

    // One parallel pass over the pages: context (case studies), template, minification, the
    // page's search record, its file. Pagefind indexes on a thread of its own meanwhile, and
    // each page's bytes go to `sink` (written to disk by `build`) as soon as they are final.
    // `serve` (a cache) keeps the index for its next build; `build` lets Pagefind's reading of
    // each page run on the render threads.
    let reuse = if cache.is_some() {
        search::Reuse::Yes
    } else {
        search::Reuse::No
    };
    let indexer = site
        .config
        .recherche
        .then(|| search::Indexer::start(search_urls, site.config.langue.clone(), reuse));
    let excluded = search::exclusions();
    let clocks = StepClocks::default();
    let failures_of_pages: std::sync::Mutex<Vec<Diagnostic>> = std::sync::Mutex::new(Vec::new());
    // The biggest pages first, by the size of their context or, for a context built in the
    // pass, the size it announces ([`Later`]): a listing of thousands of case studies started
    // last would be rendered by one thread while the others wait. (The order of rendering
    // changes no file.)
    // The sizes are counted in parallel: a listing's context is walked card by card.
    let sizes: Vec<usize> = pages
        .par_iter_mut()
        .map(|page| announced_size(page))
        .collect();
    let mut in_order: Vec<(usize, &mut Page)> = sizes.into_iter().zip(pages.iter_mut()).collect();
    in_order.sort_by_key(|(size, _)| std::cmp::Reverse(*size));
    in_order.into_par_iter().for_each_with(
        indexer.as_ref().map(search::Indexer::sender),
        |to_index, (_, page)| {
            if sink.failed() {
                return;
            }
            let rendered = render_page(
                &ctx,
                page,
                &case_bodies,
                theme,
                &site_for_templates,
                cache.zip(site_key),
                site.config.minifier.then_some(&minify_config),
                &clocks,
            );
            let bytes = match rendered {
                Ok(bytes) => bytes,
                Err(error) => {
                    lock(&failures_of_pages).push(error);
                    return;
                }
            };
            if let (Some((_, position)), Some(to_index)) = (page.search, to_index.as_ref()) {
                let started = Instant::now();
                let source = search::source(&bytes, excluded.as_deref());
                to_index.send(position, source);
                clocks.add(&clocks.search, started);
            }
            let started = Instant::now();
            sink.put(OutputFile {
                path: page.output.clone(),
                bytes,
            });
            clocks.add(&clocks.write, started);
        },
    );
    // A broken card comes first: the pages that showed it are otherwise fine.
    let mut failures = ctx.cards.take_failures();
    failures.append(
        &mut failures_of_pages
            .into_inner()
            .unwrap_or_else(|e| e.into_inner()),
    );
    if !failures.is_empty() || sink.failed() {
        // The index thread sees pages missing and stops.
        if let Some(indexer) = indexer {
            let _ = indexer.finish_timed();
        }
        diagnostics.append(&mut failures);
        diagnostics.truncate(20);
        return Err(diagnostics);
    }
    let pipeline = clock.take();

    // While Pagefind finishes: the theme's files, feeds and sitemap.
    for (path, bytes) in &theme.statics {
        sink.put(OutputFile {
            path: path.clone(),
            bytes: bytes.clone(),
        });
    }
    // Nothing is rendered any more: what was memoised for the pages (case-study cards,
    // opportunities, links) is freed, on another thread while the feeds are written, before
    // Pagefind builds its index, the peak of a large build. So can the model be, by the caller
    // ([`Indexing::finish`]).
    let urls: Vec<String> = pages.iter().map(|page| page.url.clone()).collect();
    drop(pages);
    let memo = std::mem::take(&mut ctx.memo);
    let (feeds, ()) = rayon::join(|| ctx.feed_files(&urls), move || drop(memo));
    for file in feeds {
        sink.put(file);
    }
    drop(ctx);
    clock.lap(&mut timings.exports);
    let busy = [
        clocks.get(&clocks.contexts),
        clocks.get(&clocks.templates),
        clocks.get(&clocks.minify),
        clocks.get(&clocks.search),
        clocks.get(&clocks.write),
    ];
    Ok(Indexing {
        indexer,
        timings,
        clock,
        pipeline,
        busy,
    })
}

/// The render stage once every page went to the sink: Pagefind has still to build its index.
/// The site, its analysis and the theme are no longer needed: a caller that does not keep
/// them frees them before [`Indexing::finish`], whose index is the peak of a build's memory.
pub struct Indexing {
    /// `None` without search (`recherche: false`, `--no-search`).
    indexer: Option<search::Indexer>,
    timings: RenderTimings,
    clock: Lap,
    /// Wall time of the page pass.
    pipeline: Duration,
    /// Time the pass spent on each step, on every thread: contexts, templates, minification,
    /// search records, handing pages to the sink.
    busy: [Duration; 5],
}

impl Indexing {
    /// Builds the search index and hands its files to `sink`.
    pub fn finish(self, sink: &dyn Sink) -> Result<Rendered, Vec<Diagnostic>> {
        let Self {
            indexer,
            mut timings,
            mut clock,
            pipeline,
            busy: mut threads,
        } = self;
        // Without an index to build, nothing is to be made room for: the process ends, or
        // `serve` renders again, soon.
        if indexer.is_some() {
            give_back_freed_memory();
        }
        timings.exports += clock.take();
        let (bundle, indexing) = match indexer {
            Some(indexer) => indexer.finish_timed().map_err(|e| vec![e])?,
            None => (Vec::new(), Duration::ZERO),
        };
        // One file per indexed page: written in parallel, like the pages.
        bundle.into_par_iter().for_each(|file| sink.put(file));
        let tail = clock.take();

        // The pass ran its steps together on every core: its wall time is shared among them
        // in proportion to the time each took on its threads (Pagefind's thread included).
        // The wait for Pagefind after it goes to the search index.
        threads[3] += indexing;
        let busy: f64 = threads
            .iter()
            .map(Duration::as_secs_f64)
            .sum::<f64>()
            .max(1e-9);
        let share = |d: Duration| pipeline.mul_f64(d.as_secs_f64() / busy);
        timings.pages += share(threads[0]);
        timings.templates = share(threads[1]);
        timings.minify = share(threads[2]);
        timings.search = share(threads[3]) + tail;
        timings.write = share(threads[4]);
        if sink.failed() {
            return Err(Vec::new());
        }
        Ok(Rendered { timings })
    }
}

/// Gives the memory the page pass freed back to the system now, on every thread, instead of
/// after mimalloc's purge delay (100 ms, `main.rs`): Pagefind then builds its index, the
/// peak of a build, without the pass's freed pages still resident beside it. At 1,000 case
/// studies the peak is ≈ 9 MB lower, in the same time.
fn give_back_freed_memory() {
    unsafe extern "C" {
        /// mimalloc's `mi_collect` (`mimalloc.h`): frees the calling thread's empty pages.
        fn mi_collect(force: bool);
    }
    // SAFETY: mi_collect takes a boolean and only frees memory mimalloc holds and no longer
    // uses: the calling thread's empty pages and, forced, the arenas' (mimalloc is linked
    // through the `mimalloc` crate even where it is not the global allocator).
    rayon::broadcast(|_| unsafe { mi_collect(true) });
    // SAFETY: as above, for this thread.
    unsafe { mi_collect(true) };
}

/// How many values a page's context holds, or will hold when it is built later.
fn announced_size(page: &Page) -> usize {
    values::context::size(&page.context) + page.later.as_ref().map_or(0, |later| later.size)
}

/// The options of minify-html for every page (the full build and `serve`'s single pages).
fn minify_config() -> minify_html::Cfg {
    minify_html::Cfg {
        minify_css: true,
        minify_js: true,
        keep_html_and_head_opening_tags: true,
        ..minify_html::Cfg::new()
    }
}

/// The context strings that reach a minified page as they are, past minify-html: the SVG
/// maps that `render::map` writes (one line, no comment, no space to collapse). They are a
/// fifth of minify-html's time on the real atlas — every commune's path parsed, its attributes
/// sorted and its `d` quoted three ways to keep the shortest — for 4 % fewer bytes, which
/// compression takes back. In the page, each is first a placeholder that minify-html leaves
/// as it is ([`verbatim_placeholder`]), then the string.
const VERBATIM: [[&str; 2]; 2] = [["carte", "svg"], ["petite_carte", "svg"]];

/// The element that stands in the page for the verbatim string `index` while the page is
/// minified: an `<svg>` like the map, so that minify-html treats the space around it the same.
fn verbatim_placeholder(index: usize) -> String {
    format!("<svg data-atlas-verbatim-{index}></svg>")
}

/// Replaces the [`VERBATIM`] strings of a page's context by placeholders; returns them in
/// placeholder order (Tera's strings: shared, not copied).
fn take_verbatim(context: &mut Value) -> Vec<Value> {
    let mut taken = Vec::new();
    for [object, key] in VERBATIM {
        let Some(mut inner) = field(context, object).cloned() else {
            continue;
        };
        let Some(text) = field(&inner, key).filter(|text| text.is_string()).cloned() else {
            continue;
        };
        set(
            &mut inner,
            [(key, verbatim_placeholder(taken.len()).into_context())],
        );
        set(context, [(object, inner)]);
        taken.push(text);
    }
    taken
}

/// minify-html on a page rendered with placeholders for `verbatim`, then each string in
/// place of its placeholder. A theme that did not print a placeholder exactly once as it is
/// (escaped it, printed it twice, through a filter) gets its page as before: the strings put
/// back into the HTML, escaped where the placeholder was, and the whole page minified.
fn minify_with_verbatim(html: Vec<u8>, verbatim: &[&str], config: &minify_html::Cfg) -> Vec<u8> {
    if verbatim.is_empty() {
        return minify_html::minify(&html, config);
    }
    let placeholders: Vec<String> = (0..verbatim.len()).map(verbatim_placeholder).collect();
    if placeholders
        .iter()
        .all(|p| memchr::memmem::find_iter(&html, p.as_bytes()).count() == 1)
    {
        let minified = minify_html::minify(&html, config);
        if let Some(spliced) = splice(&minified, &placeholders, verbatim) {
            return spliced;
        }
    }
    let escaped = |s: &str| {
        let mut out = Vec::with_capacity(s.len());
        let _ = tera::escape_html(s, &mut out);
        String::from_utf8(out).unwrap_or_default()
    };
    let mut html = String::from_utf8_lossy(&html).into_owned();
    for (placeholder, text) in placeholders.iter().zip(verbatim) {
        html = html.replace(placeholder.as_str(), text);
        html = html.replace(&escaped(placeholder), &escaped(text));
    }
    minify_html::minify(html.as_bytes(), config)
}

/// `minified` with each placeholder, found exactly once, replaced by its string; `None` if
/// one is missing or repeated.
fn splice(minified: &[u8], placeholders: &[String], verbatim: &[&str]) -> Option<Vec<u8>> {
    let mut found: Vec<(usize, usize)> = Vec::with_capacity(placeholders.len());
    for (index, placeholder) in placeholders.iter().enumerate() {
        let finder = memchr::memmem::Finder::new(placeholder.as_bytes());
        let mut hits = finder.find_iter(minified);
        let at = hits.next()?;
        if hits.next().is_some() {
            return None;
        }
        found.push((at, index));
    }
    found.sort_unstable();
    let extra: usize = verbatim.iter().map(|text| text.len()).sum();
    let mut out = Vec::with_capacity(minified.len() + extra);
    let mut from = 0;
    for (at, index) in found {
        out.extend_from_slice(&minified[from..at]);
        out.extend_from_slice(verbatim[index].as_bytes());
        from = at + placeholders[index].len();
    }
    out.extend_from_slice(&minified[from..]);
    Some(out)
}

/// A stopwatch for the steps of the render stage.
struct Lap(Instant);

impl Lap {
    /// The time since the last lap, restarting.
    fn take(&mut self) -> Duration {
        let elapsed = self.0.elapsed();
        self.0 = Instant::now();
        elapsed
    }

    fn lap(&mut self, slot: &mut Duration) {
        *slot = self.take();
    }
}

/// Where the rendered files go: kept in memory (`check`, `serve`, tests) or written as they
/// come (`build`, into its staging folder). Called from many threads at once.
pub trait Sink: Sync {
    /// Takes one file. A sink that fails keeps its error, and says so in [`Sink::failed`].
    fn put(&self, file: OutputFile);
    /// Whether a file could not be taken: the render stops.
    fn failed(&self) -> bool {
        false
    }
}

/// A [`Sink`] that keeps every file in memory.
#[derive(Default)]
pub struct Collect(std::sync::Mutex<Vec<OutputFile>>);

impl Collect {
    /// The files, sorted by path.
    pub fn into_files(self) -> Vec<OutputFile> {
        let mut files = self.0.into_inner().unwrap_or_else(|e| e.into_inner());
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }
}

impl Sink for Collect {
    fn put(&self, file: OutputFile) {
        lock(&self.0).push(file);
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Time spent in each step of the render pass, summed over the threads (nanoseconds).
#[derive(Default)]
struct StepClocks {
    contexts: AtomicU64,
    templates: AtomicU64,
    minify: AtomicU64,
    search: AtomicU64,
    write: AtomicU64,
}

impl StepClocks {
    fn add(&self, slot: &AtomicU64, started: Instant) {
        self.add_duration(slot, started.elapsed());
    }

    fn add_duration(&self, slot: &AtomicU64, duration: Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        slot.fetch_add(nanos, Ordering::Relaxed);
    }

    fn get(&self, slot: &AtomicU64) -> Duration {
        Duration::from_nanos(slot.load(Ordering::Relaxed))
    }
}

/// A case study's body in HTML, until its page takes it.
type CaseBody = std::sync::Mutex<String>;

/// One page's final bytes: its context (built now for a case study), its template, then
/// minify-html — or, in `serve`, the bytes of the previous build when the template and the
/// context did not change.
#[allow(clippy::too_many_arguments)]
fn render_page(
    ctx: &Ctx,
    page: &mut Page<'_>,
    case_bodies: &[CaseBody],
    theme: &Theme,
    site_for_templates: &tera::Value,
    cache: Option<(&crate::incremental::Cache, crate::incremental::SiteKey)>,
    minify: Option<&minify_html::Cfg>,
    clocks: &StepClocks,
) -> Result<Vec<u8>, Diagnostic> {
    let started = Instant::now();
    let cards_before = CARD_TIME.with(std::cell::Cell::get);
    // The context is not needed once the page is rendered: taken out of the page, so that
    // it is dropped as soon as the page is done.
    let mut page_context = match (page.case, page.later.take()) {
        (Some(index), _) => {
            let html = std::mem::take(&mut *lock(&case_bodies[index]));
            ctx.case_context(index, &html)
        }
        (None, Some(later)) => {
            let built = (later.build)();
            // What was added before rendering (the small maps) goes on top.
            match std::mem::replace(&mut page.context, Value::none()).into_map() {
                Some(added) if built.is_map() => {
                    let mut map = built.into_map().unwrap_or_default();
                    map.extend(added);
                    Value::from(map)
                }
                _ => built,
            }
        }
        (None, None) => std::mem::replace(&mut page.context, Value::none()),
    };
    if let Some((kind, _)) = page.search {
        search::set_result_type(&mut page_context, kind);
    }
    // The cards the context asked for were rendered by Tera: counted with the templates.
    let in_cards = CARD_TIME.with(std::cell::Cell::get) - cards_before;
    clocks.add_duration(&clocks.contexts, started.elapsed().saturating_sub(in_cards));
    clocks.add_duration(&clocks.templates, in_cards);
    // `serve` (incremental): same template, same context, same bytes as last time.
    let cached = cache.map(|(c, site_key)| {
        (
            c.pages(),
            c.pages().key(page.template, &page_context, site_key),
        )
    });
    if let Some(bytes) = cached
        .as_ref()
        .and_then(|(pages, key)| pages.get(&page.output, *key))
    {
        return Ok(bytes);
    }
    let started = Instant::now();
    // The SVG maps skip minify-html: out of the context now, back into the page after it.
    let verbatim = match minify {
        Some(_) => take_verbatim(&mut page_context),
        None => Vec::new(),
    };
    let mut context = tera::Context::new();
    context.insert_value("site", site_for_templates.clone());
    for (key, value) in page_context.into_map().unwrap_or_default() {
        let key: std::borrow::Cow<'static, str> = match key {
            tera::value::Key::Str(key) => key.into(),
            key => key.to_string().into(),
        };
        context.insert_value(key, value);
    }
    let html = theme.render(page.template, &context).map_err(|error| {
        Diagnostic::error(
            "gabarit",
            theme
                .template_files
                .get(page.template)
                .cloned()
                .unwrap_or_else(|| page.template.to_string()),
            format!(
                "rendu impossible de la page /{}\u{a0}: {}",
                page.url,
                tera_message(&error)
            ),
        )
    })?;
    drop(context);
    clocks.add(&clocks.templates, started);
    let started = Instant::now();
    let bytes = match minify {
        Some(config) => {
            let verbatim: Vec<&str> = verbatim.iter().filter_map(Value::as_str).collect();
            minify_with_verbatim(html, &verbatim, config)
        }
        None => html,
    };
    if let Some((pages, key)) = cached {
        pages.put(&page.output, key, &bytes);
    }
    clocks.add(&clocks.minify, started);
    Ok(bytes)
}

/// Where the render stage spent its time (the files went to the [`Sink`]).
#[derive(Debug)]
pub struct Rendered {
    pub timings: RenderTimings,
}

/// Wall time of each step of the render stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderTimings {
    /// Markdown to HTML, with typography (case studies, opportunities, introduction).
    pub markdown: Duration,
    /// Page contexts, maps, charts, open data, link checks.
    pub pages: Duration,
    /// Tera templates.
    pub templates: Duration,
    /// minify-html (zero when `minifier: false`).
    pub minify: Duration,
    /// The Pagefind index.
    pub search: Duration,
    /// Handing the pages to the sink (writing them, in `build`).
    pub write: Duration,
    /// Feeds, sitemap and the theme's files to the sink (open data goes to it while the
    /// contexts are built, in `pages`).
    pub exports: Duration,
}

fn broken_link(
    file: &str,
    text: &Arc<str>,
    line: usize,
    column: usize,
    written: &str,
    target: &str,
    known: &BTreeSet<&str>,
) -> Diagnostic {
    let suggestion = closest(target, known.iter().copied());
    let message = match suggestion {
        Some(s) => format!(
            "lien interne cassé {}\u{a0}: aucune page /{target} — vouliez-vous dire /{s}\u{202f}?",
            quoted(written)
        ),
        None => format!(
            "lien interne cassé {}\u{a0}: aucune page /{target}",
            quoted(written)
        ),
    };
    let mut diagnostic = Diagnostic::error("lien-casse", file, message)
        .expected("l’adresse d’une page de l’atlas, ex.\u{a0}: /villes/avignon/ ou ../autre-cas/");
    if line > 0 {
        diagnostic = diagnostic.at(text, line, column, written.chars().count());
    }
    diagnostic
}

/// 64-bit FNV-1a: a stable content hash for cache-busting asset URLs.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Numbers the French way: `92 188` with narrow no-break spaces.
pub fn format_number(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(digit);
    }
    out
}

/// A figure that may have decimals: `1,5` (decimal comma) or `142 316`.
pub fn format_decimal(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let sign = if value < 0.0 { "-" } else { "" };
        format!("{sign}{}", format_number(value.abs() as u64))
    } else {
        format!("{value}").replace('.', ",")
    }
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `2019-01-28` → `28 janvier 2019`; `2019-01` → `janvier 2019`; `2019` → `2019`.
pub fn format_date(text: &str) -> String {
    let parts: Vec<&str> = text.split('-').collect();
    let month = |m: &str| {
        m.parse::<usize>()
            .ok()
            .and_then(|m| MONTHS.get(m.wrapping_sub(1)))
            .copied()
    };
    match parts.as_slice() {
        [year, m, day] => match (month(m), day.parse::<u32>()) {
            (Some(name), Ok(1)) => format!("1er {name} {year}"),
            (Some(name), Ok(day)) => format!("{day} {name} {year}"),
            _ => text.to_string(),
        },
        [year, m] => month(m).map_or_else(|| text.to_string(), |name| format!("{name} {year}")),
        _ => text.to_string(),
    }
}

/// A taxonomy term for its pages: slug, name, definition, lever (strategies), sources.
type TermRow<'t> = (&'t str, &'t str, &'t str, Option<Lever>, &'t [SourceRef]);

/// Builds page contexts. Every URL given to templates is complete (base path included), so
/// templates never compute links.
struct Ctx<'a> {
    site: &'a Site,
    ix: &'a Indexes,
    an: &'a Analysis,
    /// Values that many pages repeat (a city's link, a case study's card, an opportunity),
    /// built once on first use and shared after (a Tera value's clone is a reference count):
    /// typography and URLs are not redone, nor the card copied, for every page that lists it.
    memo: Memo,
    /// The cards rendered once into the memoised values ([`Card`]).
    cards: Cards<'a>,
}

#[derive(Default)]
struct Memo {
    city_links: Vec<OnceLock<Value>>,
    strategy_links: Vec<OnceLock<Value>>,
    case_summaries: Vec<OnceLock<Value>>,
    opportunities: Vec<OnceLock<Value>>,
    editorial_opportunities: Vec<OnceLock<Value>>,
}

impl Memo {
    fn new(site: &Site, analysis: &Analysis) -> Memo {
        let cells = |n: usize| (0..n).map(|_| OnceLock::new()).collect();
        Memo {
            city_links: cells(site.cities.len()),
            strategy_links: cells(site.strategies.len()),
            case_summaries: cells(site.cases.len()),
            opportunities: cells(analysis.opportunities.len()),
            editorial_opportunities: cells(site.opportunities.len()),
        }
    }
}

impl Ctx<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.site.config.base_path, path)
    }

    fn page(
        &self,
        url: &str,
        titre: &str,
        description: &str,
        section: &str,
        fil: Vec<Value>,
    ) -> Value {
        object!({
            "url": self.url(url),
            "canonical": format!("{}{}", self.site.config.base_url, url),
            "titre": typography(titre),
            "description": typography(description),
            "section": section,
            "fil": fil,
        })
    }

    fn crumb(&self, nom: &str, url: &str) -> Value {
        object!({"nom": nom, "url": self.url(url)})
    }

    fn city_link(&self, index: usize) -> Value {
        self.memo.city_links[index]
            .get_or_init(|| {
                let city = &self.site.cities[index];
                object!({"nom": typography(&city.nom), "url": self.url(&format!("villes/{}/", city.slug)), "slug": city.slug.clone()})
            })
            .clone()
    }

    fn strategy_link(&self, index: usize) -> Value {
        self.memo.strategy_links[index]
            .get_or_init(|| {
                let s = &self.site.strategies[index];
                object!({"nom": typography(&s.nom), "url": self.url(&format!("strategies/{}/", s.slug)), "levier": s.levier.slug(), "levier_nom": s.levier.label()})
            })
            .clone()
    }

    fn channel_link(&self, index: usize) -> Value {
        let t = &self.site.channels[index];
        object!({"nom": typography(&t.nom), "url": self.url(&format!("canaux/{}/", t.slug))})
    }

    fn public_link(&self, index: usize) -> Value {
        let t = &self.site.publics[index];
        object!({"nom": typography(&t.nom), "url": self.url(&format!("publics/{}/", t.slug))})
    }

    fn epci_link(&self, index: usize) -> Value {
        let e = &self.site.epcis[index];
        object!({"nom": typography(&e.nom), "url": self.url(&format!("intercommunalites/{}/", e.slug))})
    }

    fn sources(&self, sources: &[SourceRef]) -> Value {
        Value::from(
            sources
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    object!({
                        "numero": i + 1,
                        "ancre": format!("source-{}", i + 1),
                        "titre": typography(&s.titre),
                        "url": s.url.clone(),
                        "consulte": format_date(&s.consulte),
                    })
                })
                .collect::<Vec<Value>>(),
        )
    }

    /// Citations of a fact: numbers pointing to the page's source list.
    fn citations(&self, sources: &[usize]) -> Value {
        Value::from(
            sources
                .iter()
                .map(|i| object!({"numero": i + 1, "ancre": format!("#source-{}", i + 1)}))
                .collect::<Vec<Value>>(),
        )
    }

    fn case_summary(&self, index: usize) -> Value {
        self.memo.case_summaries[index]
            .get_or_init(|| {
                let summary = self.build_case_summary(index);
                self.with_card(Card::Case, summary, || {
                    format!("de l’étude de cas /cas/{}/", self.site.cases[index].slug)
                })
            })
            .clone()
    }

    /// `value` with its `carte`: the theme's component `card.component()` rendered once for
    /// it ([`Card`]). Unchanged if the theme has no such component. A failure is kept for the
    /// end of the page pass, with an empty card meanwhile: `what` names the item in it.
    fn with_card(&self, card: Card, mut value: Value, what: impl FnOnce() -> String) -> Value {
        let Some(theme) = self.cards.theme.filter(|t| t.cards.contains(&card)) else {
            return value;
        };
        let started = Instant::now();
        let mut context = tera::Context::new();
        context.insert_value(card.argument(), value.clone());
        let html = match theme.tera.render(card.template(), &context) {
            Ok(html) => html,
            Err(error) => {
                let message = tera_message(&error);
                let mut failures = lock(&self.cards.failures);
                if failures.len() < MAX_CARD_FAILURES {
                    failures.push(Diagnostic::error(
                        "gabarit",
                        file_named_in(&theme.template_files, &message)
                            .unwrap_or_else(|| card.component().to_string()),
                        format!(
                            "rendu impossible de la carte {} (composant {})\u{a0}: {message}",
                            what(),
                            quoted(card.component())
                        ),
                    ));
                }
                String::new()
            }
        };
        drop(context);
        set(&mut value, [("carte", Value::from(html).mark_safe())]);
        CARD_TIME.with(|time| time.set(time.get() + started.elapsed()));
        value
    }

    fn build_case_summary(&self, index: usize) -> Value {
        let case = &self.site.cases[index];
        object!({
            "titre": typography(&case.titre),
            "url": self.url(&format!("cas/{}/", case.slug)),
            "resume": typography(&case.resume),
            "date": case.date.clone(),
            "date_fr": format_date(&case.date),
            "brouillon": case.draft,
            "villes": case.cities.iter().map(|&c| self.city_link(c)).collect::<Vec<_>>(),
            "strategies": case.strategies.iter().map(|&s| self.strategy_link(s)).collect::<Vec<_>>(),
        })
    }

    fn city_summary(&self, index: usize) -> Value {
        let city = &self.site.cities[index];
        object!({
            "nom": typography(&city.nom),
            "slug": city.slug.clone(),
            "url": self.url(&format!("villes/{}/", city.slug)),
            "insee": city.insee.clone(),
            "population": city.population,
            "population_fr": city.population.map(format_number),
            "epci": city.epci.map(|e| self.epci_link(e)),
            "complete": city.complete,
            "nb_strategies": self.ix.strategies_of_city[index].len(),
            "nb_cas": self.ix.cases_by_city[index].len(),
            "maturite": self.maturity(index),
        })
    }

    /// The maturity grid of a city: digital tools, then the three levers.
    fn maturity(&self, city: usize) -> Vec<Value> {
        let m = &self.an.maturity[city];
        let row = |dimension: &str,
                   slug: &str,
                   level: &Option<crate::analyse::MaturityLevel>,
                   max: u8| match level {
            Some(l) => object!({
                "dimension": dimension,
                "slug": slug,
                "renseigne": true,
                "niveau": l.level,
                "max": l.max,
                "libelle": l.label,
                "faits": l.evidence.iter().map(|e| typography(e)).collect::<Vec<_>>(),
            }),
            None => {
                object!({"dimension": dimension, "slug": slug, "renseigne": false, "niveau": null, "max": max, "libelle": "non renseigné", "faits": []})
            }
        };
        let mut rows = vec![row("Outils numériques", "numerique", &m.digital, 4)];
        for (i, lever) in Lever::ALL.iter().enumerate() {
            rows.push(row(
                &format!("Levier {}", lever.label().to_lowercase()),
                lever.slug(),
                &m.levers[i],
                3,
            ));
        }
        rows
    }

    fn by_name(&self, mut cities: Vec<usize>) -> Vec<usize> {
        cities.sort_by_cached_key(|&c| (crate::resolve::sort_key(&self.site.cities[c].nom), c));
        cities
    }

    fn home_page(&self, introduction: Option<&str>) -> Page<'_> {
        let site = self.site;
        let mut principal: Vec<usize> = (0..site.cities.len())
            .filter(|&c| site.cities[c].complete)
            .collect();
        principal.sort_by_key(|&c| (std::cmp::Reverse(site.cities[c].population.unwrap_or(0)), c));
        let levers: Vec<Value> = Lever::ALL
            .iter()
            .map(|&lever| {
                let strategies: Vec<Value> = (0..site.strategies.len())
                    .filter(|&s| site.strategies[s].levier == lever)
                    .map(|s| {
                        let mut link = self.strategy_link(s);
                        set(&mut link, [("nb_villes", (self.ix.cities_by_strategy[s].len()).into_context())]);
                        link
                    })
                    .collect();
                object!({"slug": lever.slug(), "nom": lever.label(), "definition": lever_definition(lever), "strategies": strategies})
            })
            .collect();
        Page {
            later: None,
            search: None,
            case: None,
            url: String::new(),
            output: "index.html".into(),
            template: "index.html",
            context: object!({
                "page": self.page("", &site.config.titre, &site.config.description, "accueil", Vec::new()),
                "introduction": introduction,
                "chiffres": {
                    "villes": site.cities.len(),
                    "villes_completes": principal.len(),
                    "cas": site.cases.len(),
                    "strategies": site.strategies.len(),
                    "intercommunalites": site.epcis.len(),
                },
                "villes_principales": principal.iter().map(|&c| self.city_summary(c)).collect::<Vec<_>>(),
                "cas_recents": (0..site.cases.len().min(6)).map(|c| self.case_summary(c)).collect::<Vec<_>>(),
                "leviers": levers,
            }),
        }
    }

    fn cities_page(&self) -> Page<'_> {
        let all = self.by_name((0..self.site.cities.len()).collect());
        let complete: Vec<Value> = all
            .iter()
            .filter(|&&c| self.site.cities[c].complete)
            .map(|&c| self.city_summary(c))
            .collect();
        let others: Vec<Value> = all
            .iter()
            .filter(|&&c| !self.site.cities[c].complete)
            .map(|&c| self.city_summary(c))
            .collect();
        Page {
            later: None,
            search: None,
            case: None,
            url: "villes/".into(),
            output: "villes/index.html".into(),
            template: "villes.html",
            context: object!({
                "page": self.page("villes/", "Villes", "Les communes de l’atlas et leurs pratiques de marketing territorial.", "villes", Vec::new()),
                "villes_completes": complete,
                "villes_a_completer": others,
                "total": all.len(),
            }),
        }
    }

    fn term_facts(&self, facts: &[TermFact], link: impl Fn(usize) -> Value) -> Vec<Value> {
        facts
            .iter()
            .map(|f| {
                let mut value = link(f.term);
                let audience: Vec<Value> = f
                    .audience
                    .iter()
                    .map(|a| {
                        object!({
                            "valeur": format_decimal(a.valeur),
                            "unite": a.unite.clone(),
                            "date": format_date(&a.date),
                        })
                    })
                    .collect();
                set(
                    &mut value,
                    [
                        ("detail", f.detail.as_deref().map(typography).into_context()),
                        ("lien", f.url.as_deref().into_context()),
                        ("audience", audience.into_context()),
                        ("sources", self.citations(&f.sources)),
                    ],
                );
                value
            })
            .collect()
    }

    fn named_facts(&self, facts: &[NamedFact]) -> Vec<Value> {
        facts
            .iter()
            .map(|f| {
                object!({
                    "nom": typography(&f.nom),
                    "type": f.kind.clone(),
                    "depuis": f.depuis.as_deref().map(format_date),
                    "detail": f.detail.as_deref().map(typography),
                    "sources": self.citations(&f.sources),
                })
            })
            .collect()
    }

    fn city_page<'s>(
        &'s self,
        index: usize,
        city: &City,
        opportunity_html: &'s [String],
    ) -> Page<'s> {
        let url = format!("villes/{}/", city.slug);
        Page {
            later: later(
                CITY_PAGE_SIZE
                    + self.ix.cases_by_city[index].len() * CASE_CARD_SIZE
                    + opportunity_cards_size(
                        (self.an.opportunities_by_city[index].iter())
                            .take(synergies::SECTION_LIMIT)
                            .map(|&o| &self.an.opportunities[o]),
                    ),
                move || self.city_context(index, opportunity_html),
            ),
            search: None,
            case: None,
            url: url.clone(),
            output: format!("{url}index.html"),
            template: "ville.html",
            context: Value::none(),
        }
    }

    /// The context of a city's page, built when the page is rendered.
    fn city_context(&self, index: usize, opportunity_html: &[String]) -> Value {
        let city = &self.site.cities[index];
        let url = format!("villes/{}/", city.slug);
        let (opportunities, opportunity_count) =
            self.city_opportunities(index, opportunity_html, synergies::SECTION_LIMIT);
        // The card's strategies, then those only a case study about the city documents, so
        // that the city page agrees with the strategy pages (which count both).
        let mut all_strategies: Vec<TermFact> = city.strategies.clone();
        for &strategy in &self.ix.strategies_of_city[index] {
            if city.strategies.iter().any(|f| f.term == strategy) {
                continue;
            }
            if let Some(&case) = self.ix.cases_by_city[index]
                .iter()
                .find(|&&c| self.site.cases[c].strategies.contains(&strategy))
            {
                all_strategies.push(TermFact {
                    term: strategy,
                    detail: Some(format!(
                        "D’après l’étude de cas «\u{202f}{}\u{202f}».",
                        self.site.cases[case].titre
                    )),
                    url: None,
                    audience: Vec::new(),
                    sources: Vec::new(),
                });
            }
        }
        let mut strategies_by_lever: Vec<Value> = Vec::new();
        for lever in Lever::ALL {
            let facts: Vec<TermFact> = all_strategies
                .iter()
                .filter(|f| self.site.strategies[f.term].levier == lever)
                .cloned()
                .collect();
            if !facts.is_empty() {
                strategies_by_lever.push(object!({
                    "slug": lever.slug(),
                    "nom": lever.label(),
                    "strategies": self.term_facts(&facts, |s| self.strategy_link(s)),
                }));
            }
        }
        let description = match (city.population, city.epci) {
            (Some(p), Some(e)) => format!(
                "{} ({} habitants, {}) : marketing territorial, stratégies, canaux et études de cas.",
                city.nom,
                format_number(p),
                self.site.epcis[e].nom
            ),
            _ => format!(
                "{} : marketing territorial, stratégies, canaux et études de cas.",
                city.nom
            ),
        };
        object!({
                "page": self.page(&url, &city.nom, &description, "villes", vec![self.crumb("Villes", "villes/")]),
                "ville": {
                    "nom": typography(&city.nom),
                    "slug": city.slug.clone(),
                    "insee": city.insee.clone(),
                    "population": city.population.map(format_number),
                    "population_annee": city.population_annee,
                    "epci": city.epci.map(|e| self.epci_link(e)),
                    "coordonnees": city.coordonnees.map(|c| object!({"lat": c.lat, "lon": c.lon})),
                    "site_web": city.site_web.clone(),
                    "complete": city.complete,
                    "sources_identite": self.citations(&city.identity_sources),
                    "marques": self.named_facts(&city.brands),
                    "publics": self.term_facts(&city.publics, |p| self.public_link(p)),
                    "leviers": strategies_by_lever,
                    "nb_strategies": self.ix.strategies_of_city[index].len(),
                    "canaux": self.term_facts(&city.channels, |c| self.channel_link(c)),
                    "labels": self.named_facts(&city.labels),
                    "evenements": self.named_facts(&city.events),
                    "sources": self.sources(&city.sources),
                },
                "cas": self.ix.cases_by_city[index].iter().map(|&c| self.case_summary(c)).collect::<Vec<_>>(),
                "maturite": self.maturity(index),
                "villes_proches": self.closest_cities(index),
                "acteurs": self.actors_of_city(index),
                "opportunites": opportunities,
                "nb_opportunites": opportunity_count,
                "url_opportunites": self.url(&format!("opportunites/villes/{}/", city.slug)),
        })
    }

    fn cases_page(&self) -> Page<'_> {
        Page {
            later: None,
            search: None,
            case: None,
            url: "cas/".into(),
            output: "cas/index.html".into(),
            template: "cas_liste.html",
            context: object!({
                "page": self.page("cas/", "Études de cas", "Les pratiques de marketing territorial documentées en Vaucluse, de la plus récente à la plus ancienne.", "cas", Vec::new()),
                "cas": (0..self.site.cases.len()).map(|c| self.case_summary(c)).collect::<Vec<_>>(),
            }),
        }
    }

    fn case_page(&self, index: usize, case: &Case) -> Page<'_> {
        let url = format!("cas/{}/", case.slug);
        Page {
            later: None,
            search: None,
            case: Some(index),
            url: url.clone(),
            output: format!("{url}index.html"),
            template: "cas.html",
            context: Value::none(),
        }
    }

    /// The context of a case study's page, built when the page is rendered.
    fn case_context(&self, index: usize, html: &str) -> Value {
        let case = &self.site.cases[index];
        let url = format!("cas/{}/", case.slug);
        object!({
            "page": self.page(&url, &case.titre, &case.resume, "cas", vec![self.crumb("Études de cas", "cas/")]),
            "cas": {
                "titre": typography(&case.titre),
                "resume": typography(&case.resume),
                "date": case.date.clone(),
                "date_fr": format_date(&case.date),
                "brouillon": case.draft,
                "villes": case.cities.iter().map(|&c| self.city_link(c)).collect::<Vec<_>>(),
                "strategies": case.strategies.iter().map(|&s| self.strategy_link(s)).collect::<Vec<_>>(),
                "canaux": case.channels.iter().map(|&c| self.channel_link(c)).collect::<Vec<_>>(),
                "publics": case.publics.iter().map(|&p| self.public_link(p)).collect::<Vec<_>>(),
                "contenu": html,
                "sources": self.sources(&case.sources),
            },
            "cas_lies": self.related_cases(index),
        })
    }

    /// Listing and term pages for strategies, channels and publics.
    fn taxonomy_pages<'s>(&'s self, opportunity_html: &'s [String]) -> Vec<Page<'s>> {
        let site = self.site;
        let mut pages = Vec::new();
        struct Taxonomy<'t> {
            slug: &'static str,
            nom: &'static str,
            singulier: &'static str,
            intro: &'static str,
            terms: Vec<TermRow<'t>>,
            cities: &'t [Vec<usize>],
            cases: &'t [Vec<usize>],
        }
        let taxonomies = [
            Taxonomy {
                slug: "strategies",
                nom: "Stratégies",
                singulier: "Stratégie",
                intro: "Les stratégies de marketing territorial observées, classées selon les trois leviers : l’image, la valeur perçue et la mobilisation.",
                terms: site
                    .strategies
                    .iter()
                    .map(|s| {
                        (
                            s.slug.as_str(),
                            s.nom.as_str(),
                            s.definition.as_str(),
                            Some(s.levier),
                            s.sources.as_slice(),
                        )
                    })
                    .collect(),
                cities: &self.ix.cities_by_strategy,
                cases: &self.ix.cases_by_strategy,
            },
            Taxonomy {
                slug: "canaux",
                nom: "Canaux",
                singulier: "Canal",
                intro: "Les outils et canaux de communication, numériques ou non, par lesquels les villes s’adressent à leurs publics.",
                terms: site
                    .channels
                    .iter()
                    .map(|s| {
                        (
                            s.slug.as_str(),
                            s.nom.as_str(),
                            s.definition.as_str(),
                            None,
                            s.sources.as_slice(),
                        )
                    })
                    .collect(),
                cities: &self.ix.cities_by_channel,
                cases: &self.ix.cases_by_channel,
            },
            Taxonomy {
                slug: "publics",
                nom: "Publics cibles",
                singulier: "Public cible",
                intro: "Les publics que les stratégies de marketing territorial cherchent à attirer, retenir ou mobiliser.",
                terms: site
                    .publics
                    .iter()
                    .map(|s| {
                        (
                            s.slug.as_str(),
                            s.nom.as_str(),
                            s.definition.as_str(),
                            None,
                            s.sources.as_slice(),
                        )
                    })
                    .collect(),
                cities: &self.ix.cities_by_public,
                cases: &self.ix.cases_by_public,
            },
        ];
        for taxonomy in &taxonomies {
            let summary = |i: usize| {
                let (slug, nom, definition, lever, _) = taxonomy.terms[i];
                object!({
                    "nom": typography(nom),
                    "url": self.url(&format!("{}/{slug}/", taxonomy.slug)),
                    "definition": typography(definition),
                    "levier": lever.map(Lever::slug),
                    "nb_villes": taxonomy.cities[i].len(),
                    "nb_cas": taxonomy.cases[i].len(),
                })
            };
            let groups: Vec<Value> = if taxonomy.slug == "strategies" {
                Lever::ALL
                    .iter()
                    .map(|&lever| {
                        object!({
                            "slug": lever.slug(),
                            "titre": format!("Levier {}", lever.label().to_lowercase()),
                            "definition": lever_definition(lever),
                            "termes": (0..taxonomy.terms.len()).filter(|&i| taxonomy.terms[i].3 == Some(lever)).map(summary).collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            } else {
                vec![
                    object!({"slug": "", "titre": null, "definition": null, "termes": (0..taxonomy.terms.len()).map(summary).collect::<Vec<_>>()}),
                ]
            };
            let list_url = format!("{}/", taxonomy.slug);
            let taxonomy_value = object!({"slug": taxonomy.slug, "nom": taxonomy.nom, "singulier": taxonomy.singulier, "url": self.url(&list_url)});
            pages.push(Page {
                later: None,
                search: None,
                case: None,
                url: list_url.clone(),
                output: format!("{list_url}index.html"),
                template: "taxonomie.html",
                context: object!({
                    "page": self.page(&list_url, taxonomy.nom, taxonomy.intro, taxonomy.slug, Vec::new()),
                    "taxonomie": taxonomy_value.clone(),
                    "introduction": typography(taxonomy.intro),
                    "groupes": groups,
                }),
            });
            let (taxonomy_slug, taxonomy_nom) = (taxonomy.slug, taxonomy.nom);
            let (cities_of_term, cases_of_term) = (taxonomy.cities, taxonomy.cases);
            for (i, &(slug, nom, definition, lever, sources)) in taxonomy.terms.iter().enumerate() {
                let url = format!("{taxonomy_slug}/{slug}/");
                let (page_url, list_url, taxonomy_value) =
                    (url.clone(), list_url.clone(), taxonomy_value.clone());
                // Built when the page is rendered.
                let context = move || {
                    let facts: Vec<Value> = self
                        .by_name(cities_of_term[i].clone())
                        .into_iter()
                        .map(|c| {
                            let city = &site.cities[c];
                            let fact = match taxonomy_slug {
                                "strategies" => city.strategies.iter().find(|f| f.term == i),
                                "canaux" => city.channels.iter().find(|f| f.term == i),
                                _ => city.publics.iter().find(|f| f.term == i),
                            };
                            let mut link = self.city_link(c);
                            set(
                                &mut link,
                                [(
                                    "detail",
                                    fact.and_then(|f| f.detail.as_deref())
                                        .map(typography)
                                        .into_context(),
                                )],
                            );
                            link
                        })
                        .collect();
                    let (opportunities, opportunity_count) = if taxonomy_slug == "strategies" {
                        self.strategy_opportunities(
                            i,
                            opportunity_html,
                            synergies::STRATEGY_SECTION_LIMIT,
                        )
                    } else {
                        (Vec::new(), 0)
                    };
                    object!({
                        "page": self.page(&page_url, nom, definition, taxonomy_slug, vec![self.crumb(taxonomy_nom, &list_url)]),
                        "taxonomie": taxonomy_value,
                        "terme": {
                            "nom": typography(nom),
                            "slug": slug,
                            "definition": typography(definition),
                            "levier": lever.map(|l| object!({"slug": l.slug(), "nom": l.label(), "url": self.url(&format!("strategies/#levier-{}", l.slug()))})),
                            "sources": self.sources(sources),
                        },
                        "villes": facts,
                        "cas": cases_of_term[i].iter().map(|&c| self.case_summary(c)).collect::<Vec<_>>(),
                        "opportunites": opportunities,
                        "nb_opportunites": opportunity_count,
                    })
                };
                let size = TERM_PAGE_SIZE
                    + cities_of_term[i].len() * CITY_LINK_SIZE
                    + cases_of_term[i].len() * CASE_CARD_SIZE
                    + if taxonomy_slug == "strategies" {
                        opportunity_cards_size(
                            (self.an.opportunities_by_strategy[i].iter())
                                .take(synergies::STRATEGY_SECTION_LIMIT)
                                .map(|&o| &self.an.opportunities[o]),
                        )
                    } else {
                        0
                    };
                pages.push(Page {
                    later: later(size, context),
                    search: None,
                    case: None,
                    url: url.clone(),
                    output: format!("{url}index.html"),
                    template: "terme.html",
                    context: Value::none(),
                });
            }
        }
        pages
    }

    fn epcis_page(&self) -> Page<'_> {
        let epcis: Vec<Value> = self
            .site
            .epcis
            .iter()
            .enumerate()
            .map(|(i, e)| {
                object!({
                    "nom": typography(&e.nom),
                    "url": self.url(&format!("intercommunalites/{}/", e.slug)),
                    "nature": e.nature.clone(),
                    "code": e.code.clone(),
                    "nb_membres": e.membres.len(),
                    "villes": self.by_name(self.ix.cities_by_epci[i].clone()).into_iter().map(|c| self.city_link(c)).collect::<Vec<_>>(),
                })
            })
            .collect();
        Page {
            later: None,
            search: None,
            case: None,
            url: "intercommunalites/".into(),
            output: "intercommunalites/index.html".into(),
            template: "intercommunalites.html",
            context: object!({
                "page": self.page("intercommunalites/", "Intercommunalités", "Les établissements publics de coopération intercommunale (EPCI) et leurs communes.", "intercommunalites", Vec::new()),
                "intercommunalites": epcis,
            }),
        }
    }

    fn epci_page(&self, index: usize) -> Page<'_> {
        let epci = &self.site.epcis[index];
        let url = format!("intercommunalites/{}/", epci.slug);
        let cities = self.by_name(self.ix.cities_by_epci[index].clone());
        Page {
            later: None,
            search: None,
            case: None,
            url: url.clone(),
            output: format!("{url}index.html"),
            template: "intercommunalite.html",
            context: object!({
                "page": self.page(&url, &epci.nom, &format!("{} : communes membres, stratégies et études de cas.", epci.nom), "intercommunalites", vec![self.crumb("Intercommunalités", "intercommunalites/")]),
                "epci": {
                    "nom": typography(&epci.nom),
                    "code": epci.code.clone(),
                    "nature": epci.nature.clone(),
                    "nb_membres": epci.membres.len(),
                    "sources": self.sources(&epci.sources),
                },
                "villes": cities.iter().map(|&c| self.city_summary(c)).collect::<Vec<_>>(),
                "cas": self.ix.cases_by_epci[index].iter().map(|&c| self.case_summary(c)).collect::<Vec<_>>(),
            }),
        }
    }

    fn not_found_page(&self) -> Page<'_> {
        Page {
            later: None,
            search: None,
            case: None,
            url: "404.html".into(),
            output: "404.html".into(),
            template: "404.html",
            context: object!({
                "page": self.page("404.html", "Page introuvable", "Cette page n’existe pas ou a été déplacée.", "", Vec::new()),
            }),
        }
    }
}

fn lever_definition(lever: Lever) -> &'static str {
    match lever {
        Lever::Image => {
            "Agir sur la réputation du territoire\u{202f}: marques, signatures, labels, classements."
        }
        Lever::Valeur => {
            "Augmenter la valeur perçue par les publics visés\u{202f}: événements, services, applications, offres."
        }
        Lever::Mobilisation => {
            "Mobiliser celles et ceux qui portent le territoire\u{202f}: ambassadeurs, prescripteurs, habitants."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generated atlas of `cases` case studies (in the folder returned), loaded, resolved
    /// and analysed.
    fn generated_site(cases: usize) -> (tempfile::TempDir, Site, Analysis) {
        let dir = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::corpus::write_atlas(source, dir.path(), cases, 2026).unwrap();
        let (loaded, diagnostics) = crate::load::load_site(dir.path());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let (site, diagnostics) =
            crate::resolve::resolve(&loaded, &crate::resolve::ResolveOptions::default());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let analysis = crate::analyse::analyse(site.as_ref().unwrap());
        (dir, site.unwrap(), analysis)
    }

    /// The render stage ends with the search index still to build, and builds it once the
    /// site, its analysis and the theme are gone (`build` frees them first: the index is the
    /// peak of its memory): every page was handed to the sink before, the index's files after.
    #[test]
    fn the_search_index_is_built_after_the_model_is_freed() {
        let (dir, site, analysis) = generated_site(20);
        let theme = crate::incremental::load_theme(None, dir.path(), &site.config.theme).unwrap();
        let sink = Collect::default();
        let indexing = render_site_cached(&site, &analysis, &theme, None, &sink).unwrap();
        drop((site, analysis, theme));
        let pages = lock(&sink.0).len();
        assert!(
            lock(&sink.0).iter().any(|f| f.path == "cas/index.html")
                && !lock(&sink.0)
                    .iter()
                    .any(|f| f.path.starts_with("pagefind/")),
            "the pages, and no index yet"
        );
        indexing.finish(&sink).unwrap();
        let files = sink.into_files();
        assert!(files.len() > pages);
        assert!(
            files[..]
                .iter()
                .any(|f| f.path == "pagefind/pagefind-entry.json")
        );
    }

    /// An error is laid at the door of the template Tera points at, not of one whose name
    /// only ends another's (`cas.html` in `//carte_cas.html`).
    #[test]
    fn a_template_error_names_the_file_tera_points_at() {
        let files: BTreeMap<String, String> = ["cas.html", "partials/composants.html"]
            .into_iter()
            .map(|name| (name.to_string(), format!("themes/default/templates/{name}")))
            .collect();
        let message = "error: Field `x` is not defined\n  --> partials/composants.html:55:33\n\
                       note: called from //carte_cas.html:1:4";
        assert_eq!(
            file_named_in(&files, message).as_deref(),
            Some("themes/default/templates/partials/composants.html")
        );
        assert_eq!(
            file_named_in(&files, "Template 'cas.html' not found").as_deref(),
            Some("themes/default/templates/cas.html")
        );
        assert_eq!(file_named_in(&files, "autre chose"), None);
    }

    /// A card is rendered once only where the item alone can call the theme's component: its
    /// other arguments have defaults and none is implicit. Otherwise the theme gets no `carte`.
    #[test]
    fn a_card_is_prepared_only_for_a_component_the_item_alone_can_call() {
        let prepared = |definition: &str| {
            let mut tera = tera::Tera::new();
            tera.add_raw_template("partials/composants.html", definition)
                .unwrap();
            let prepared = Card::Case.prepare(&mut tera);
            let mut context = tera::Context::new();
            context.insert("c", "<b>");
            let rendered = tera.render(Card::Case.template(), &context);
            assert_eq!(rendered.is_ok(), prepared, "{rendered:?}");
            prepared
        };
        let component = |args: &str| {
            format!("{{% component carte_cas({args}) %}}x{{% endcomponent carte_cas %}}")
        };
        assert!(prepared(&component("c, niveau=3")));
        // What the card shows is escaped, as in the theme's templates.
        let mut tera = tera::Tera::new();
        tera.add_raw_template(
            "partials/composants.html",
            "{% component carte_cas(c) %}{{ c }}{% endcomponent carte_cas %}",
        )
        .unwrap();
        assert!(Card::Case.prepare(&mut tera));
        let mut context = tera::Context::new();
        context.insert("c", "<b>");
        assert_eq!(
            tera.render(Card::Case.template(), &context).unwrap(),
            "&lt;b&gt;"
        );
        assert!(prepared(&component("c")));
        assert!(
            !prepared(&component("c, niveau")),
            "an argument without default"
        );
        assert!(
            !prepared(&component("cas, niveau=3")),
            "the item under another name"
        );
        assert!(!prepared(&component("c, @lang")), "an implicit argument");
        assert!(!prepared(
            "{% component autre(c) %}x{% endcomponent autre %}"
        ));
    }

    /// A case study's card and an opportunity's are rendered once, however many pages list
    /// them: every later use shares the same bytes.
    #[test]
    fn a_card_is_rendered_once_and_shared_by_the_pages_that_list_it() {
        let (dir, site, analysis) = generated_site(30);
        let theme = Theme::load(dir.path(), "default").unwrap();
        assert_eq!(theme.cards, Card::ALL);
        let ctx = Ctx {
            site: &site,
            ix: &analysis.indexes,
            an: &analysis,
            memo: Memo::new(&site, &analysis),
            cards: Cards::of(&theme),
        };
        let card = |value: &Value| {
            field(value, "carte")
                .and_then(Value::as_str)
                .unwrap()
                .as_ptr()
        };
        let first = ctx.case_summary(3);
        let html = field(&first, "carte").and_then(Value::as_str).unwrap();
        assert!(
            html.starts_with(r#"<article class="carte carte-cas">"#),
            "{html}"
        );
        let url = field(&first, "url").and_then(Value::as_str).unwrap();
        assert!(html.contains(&format!(r#"<a href="{url}">"#)), "{html}");
        assert_eq!(card(&first), card(&ctx.case_summary(3)));
        let opportunity = |o: usize| ctx.opportunity(o, &analysis.opportunities[o]);
        let first = opportunity(0);
        let html = field(&first, "carte").and_then(Value::as_str).unwrap();
        assert!(html.contains(r#"id="opportunite-1""#), "{html}");
        assert_eq!(card(&opportunity(0)), card(&opportunity(0)));
        assert!(ctx.cards.take_failures().is_empty());
    }

    /// The pages whose context is built later announce about its size, so that they take
    /// their place among the biggest pages (the pass renders those first): on a generated
    /// atlas of 300 case studies, every announced size is within a factor of three of the
    /// built context's, for city, term and opportunity pages alike.
    #[test]
    fn the_contexts_built_later_are_about_the_size_announced() {
        let (_dir, site, analysis) = generated_site(300);
        let ctx = Ctx {
            site: &site,
            ix: &analysis.indexes,
            an: &analysis,
            memo: Memo::new(&site, &analysis),
            cards: Cards {
                theme: None,
                failures: std::sync::Mutex::new(Vec::new()),
            },
        };
        let html: Vec<String> = site.opportunities.iter().map(|_| String::new()).collect();
        let mut pages: Vec<Page> = (site.cities.iter().enumerate())
            .map(|(index, city)| ctx.city_page(index, city, &html))
            .collect();
        pages.extend(ctx.taxonomy_pages(&html));
        pages.extend(ctx.opportunity_pages(&html));
        let mut templates = BTreeSet::new();
        for page in pages {
            let Some(later) = page.later else { continue };
            let announced = later.size;
            let built = values::context::size(&(later.build)());
            assert!(
                built <= 3 * announced && announced <= 3 * built,
                "/{}: {announced} values announced, {built} built",
                page.url
            );
            templates.insert(page.template);
        }
        assert_eq!(
            templates,
            BTreeSet::from(["opportunites.html", "terme.html", "ville.html"])
        );
    }

    #[test]
    fn object_gives_the_value_of_json_and_moves_what_it_can() {
        use serde_json::json;
        let lever = Lever::Image;
        let name = String::from("L’Isle-sur-la-Sorgue");
        let borrowed = &name;
        let nothing: Option<&str> = None;
        let far = f64::NAN;
        // The same text through the three macros.
        macro_rules! three {
            ($($body:tt)*) => {
                (json!($($body)*), object!($($body)*), json_object!($($body)*))
            };
        }
        let (expected, built, built_json) = three!({
            "page": {"titre": "Villes", "fil": [], "section": "villes"},
            "nom": borrowed,
            "levier": lever,
            "nombre": 3,
            "ecart": -3,
            "part": 0.25,
            "loin": far,
            "absent": null,
            "rien": nothing,
            "liste": [{"a": 1}, "b", 2, null],
            "cartes": vec![json!({"titre": "Une étude"})],
        });
        assert_eq!(built, Value::from_serializable(&expected));
        assert_eq!(built_json, expected);
        assert!(field(&built, "loin").is_some_and(Value::is_none));
        // A card already built goes in shared, not copied: its map is the same map.
        let card = object!({"titre": "Une étude", "villes": ["apt", "gordes"]});
        let page = object!({"cas": [card.clone(), card.clone()], "premier": card.clone()});
        let shared = |value: &Value| value.as_map().map(|map| map as *const tera::Map);
        assert_eq!(shared(field(&page, "premier").unwrap()), shared(&card));
        let listed = field(&page, "cas").and_then(Value::as_array).unwrap();
        assert_eq!(shared(&listed[1]), shared(&card));
    }

    /// The two fast paths of the vendored minify-html (vendor/minify-html/PATCHES.md) keep its
    /// output: a plain attribute value unquoted, any other quoted, and the text with a shorter
    /// entity encoded.
    #[test]
    fn patched_minify_html_quotes_and_encodes_as_before() {
        let html = "<!doctype html><html lang=\"fr\"><head><title>t</title></head><body>\
                    <p class=\"note\" title=\"deux mots\" data-lien=\"a=b\" data-q='x\"y'>« ≫\u{20d2} » ≫</p>\
                    </body></html>";
        let minified =
            String::from_utf8(minify_html::minify(html.as_bytes(), &minify_config())).unwrap();
        assert_eq!(
            minified,
            "<!doctype html><html lang=fr><head><title>t</title><body>\
             <p data-lien=\"a=b\" data-q='x\"y' title=\"deux mots\" class=note>« &nGt; » ≫"
        );
    }

    /// minify-html's entity trie as vendor/minify-html-common/PATCHES.md has it: each node's
    /// children up to its last defined one (before, every array ran to byte 255: 11 MB of
    /// pointers relocated at every start of the program), and the entities still found.
    #[test]
    fn the_entity_trie_of_minify_html_stops_at_each_nodes_last_child() {
        use minify_html_common::r#gen::entities::{ENTITY, EntityType};
        use minify_html_common::pattern::{TrieNode, TrieNodeMatch};
        fn walk(node: &TrieNode<EntityType>, nodes: &mut usize, slots: &mut usize) {
            *nodes += 1;
            *slots += node.children.len();
            assert!(
                node.children.last().is_none_or(Option::is_some),
                "a children array ends with None"
            );
            for child in node.children.iter().flatten() {
                walk(child, nodes, slots);
            }
        }
        let (mut nodes, mut slots) = (0, 0);
        walk(ENTITY, &mut nodes, &mut slots);
        assert!(slots < 4 * nodes, "{slots} slots for {nodes} nodes");
        match ENTITY.longest_matching_prefix(b"&nGt;x") {
            TrieNodeMatch::Found {
                len,
                value: EntityType::Named(bytes),
            } => {
                assert_eq!((len, bytes), (5, "≫\u{20d2}".as_bytes()));
            }
            _ => panic!("&nGt; not found"),
        }
        assert!(matches!(
            ENTITY.longest_matching_prefix(b"&#x41;"),
            TrieNodeMatch::Found {
                len: 4,
                value: EntityType::Hex
            }
        ));
        assert!(matches!(
            ENTITY.longest_matching_prefix(b"&zz"),
            TrieNodeMatch::NotFound { reached: 2 }
        ));
    }

    /// The maps of a minified page reach it as they were written, the rest of the page
    /// minified as before; a template that does not print the map as it is gets the page it
    /// got before the maps skipped minify-html.
    #[test]
    fn map_svgs_skip_minify_html_and_pages_stay_as_before_otherwise() {
        let svg = "<svg class=\"carte-svg\" viewBox=\"0 0 10 10\"><path d=\"M0 0L1 1Z\"/></svg>";
        let small = "<svg class=\"petite-carte\"><circle r=\"2\"/></svg>";
        let mut context =
            object!({"carte": {"svg": svg, "titre": "Carte"}, "petite_carte": {"svg": small}});
        let taken = take_verbatim(&mut context);
        assert_eq!(taken, [Value::from(svg), Value::from(small)]);
        let taken: Vec<&str> = taken.iter().filter_map(Value::as_str).collect();
        assert_eq!(
            context,
            object!({"carte": {"svg": "<svg data-atlas-verbatim-0></svg>", "titre": "Carte"},
                   "petite_carte": {"svg": "<svg data-atlas-verbatim-1></svg>"}})
        );
        let page = |first: &str, second: &str| {
            format!(
                "<!doctype html><html lang=\"fr\"><head><title>t</title></head><body>\
                 <figure class=\"carte\">\n  {first}\n  <figcaption>Légende</figcaption></figure>\
                 <p>Voir   aussi\u{a0}: {second}</p></body></html>"
            )
        };
        let minified = |html: &str| {
            String::from_utf8(minify_html::minify(html.as_bytes(), &minify_config())).unwrap()
        };
        let spliced = minify_with_verbatim(
            page(&verbatim_placeholder(0), &verbatim_placeholder(1)).into_bytes(),
            &taken,
            &minify_config(),
        );
        assert_eq!(
            String::from_utf8(spliced.clone()).unwrap(),
            format!(
                "<!doctype html><html lang=fr><head><title>t</title><body>\
                 <figure class=carte>{svg}<figcaption>Légende</figcaption></figure>\
                 <p>Voir aussi\u{a0}: {small}"
            )
        );
        // Everything outside the maps as minify-html made it with the maps inside.
        let before = minified(&page(svg, small))
            .replace(
                "<svg viewbox=\"0 0 10 10\" class=carte-svg><path d=\"M0 0L1 1Z\"/></svg>",
                svg,
            )
            .replace("<svg class=petite-carte><circle r=2 /></svg>", small);
        assert_eq!(String::from_utf8(spliced).unwrap(), before);

        // A template that escapes the map, or prints it twice: the page as before.
        let escaped = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let odd = page(
            &escaped(&verbatim_placeholder(0)),
            &format!("{0}{0}", verbatim_placeholder(1)),
        );
        assert_eq!(
            String::from_utf8(minify_with_verbatim(
                odd.into_bytes(),
                &taken,
                &minify_config()
            ))
            .unwrap(),
            minified(&page(&escaped(svg), &format!("{small}{small}")))
        );
        // A page that prints no map is minified whole.
        let none = page("", "");
        assert_eq!(
            String::from_utf8(minify_with_verbatim(
                none.clone().into_bytes(),
                &taken,
                &minify_config()
            ))
            .unwrap(),
            minified(&none)
        );
    }

    #[test]
    fn context_values_move_into_tera_as_serde_would_convert_them() {
        let value = serde_json::json!({
            "rien": null,
            "vrai": true,
            "population": 92188,
            "ecart": -12,
            "part": 0.375,
            "titre": "R&D <b> « Avignon »",
            "liste": [1, "deux", [3.5, {"x": null}], {}],
            "carte": {"zoom": 2, "villes": [{"nom": "Orange", "insee": "84087"}]},
            "grand": u64::MAX,
        });
        let moved = values::context::from_json(value.clone());
        assert_eq!(moved, tera::Value::from_serializable(&value));
        // Rendered the same, escaping included.
        let mut tera = tera::Tera::default();
        tera.add_raw_template(
            "t",
            "{{ titre }} {{ population }} {{ ecart }} {{ part }} {{ grand }} {{ liste | length }} {{ carte.villes[0].nom }} {% if rien %}x{% endif %}",
        )
        .unwrap();
        let render = |value: tera::Value| {
            let mut context = tera::Context::new();
            for (key, item) in value.into_map().unwrap() {
                context.insert_value(key.to_string(), item);
            }
            tera.render("t", &context).unwrap()
        };
        assert_eq!(
            render(moved),
            render(tera::Value::from_serializable(&value))
        );
    }

    #[test]
    fn numbers_use_narrow_no_break_spaces() {
        assert_eq!(format_number(92188), "92\u{202f}188");
        assert_eq!(format_number(1661), "1\u{202f}661");
        assert_eq!(format_number(999), "999");
        assert_eq!(format_number(1_500_000), "1\u{202f}500\u{202f}000");
        assert_eq!(format_decimal(1.5), "1,5");
        assert_eq!(format_decimal(142316.0), "142\u{202f}316");
    }

    #[test]
    fn dates_are_written_in_french() {
        assert_eq!(format_date("2019-01-28"), "28 janvier 2019");
        assert_eq!(format_date("2024-06-01"), "1er juin 2024");
        assert_eq!(format_date("2021-10"), "octobre 2021");
        assert_eq!(format_date("2018"), "2018");
    }
}
