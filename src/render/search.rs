//! Search: the `/recherche/` page, the pages marked for indexing, and the Pagefind bundle
//! (`pagefind/`), built in memory from the rendered (minified) HTML with Pagefind's Rust API.
//!
//! Only the main content of city, case-study, strategy, channel and public pages is indexed
//! (`data-pagefind-body` on `<main>`, set by `base.html` from `page.recherche`), with a `type`
//! filter and meta field so that results show what they are. Pagefind normalises diacritics,
//! so « evenementiel » finds « événementiel », and the French WASM stems words.
//!
//! Pagefind does not parse the pages: [`html_text`] reads each page's indexed text, title and
//! filters in one pass, all pages in parallel, exactly as Pagefind's HTML parser would (same
//! words, separators, heading weights, title and filters: the index files are the same bytes;
//! the fragments have no `anchors`, which the theme does not use), and Pagefind is given them
//! as custom records. A page the reader is not sure to read the same way goes to Pagefind's
//! parser. Pagefind's own work (stemming, index build, gzip) is most of the indexing time: it
//! runs through a patched Pagefind (`vendor/pagefind/PATCHES.md`) that stems on the render
//! threads, in parallel, and compresses in parallel.
//!
//! Pagefind is async: its API runs on a small current-thread tokio runtime, on a thread of its
//! own so that a caller already inside a tokio runtime (`serve`) does not make it panic.

use std::collections::BTreeMap;
#[cfg(test)]
use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::values::context::{IntoContext, Value, field, set};

use super::{Ctx, OutputFile, Page};
use crate::diagnostic::Diagnostic;

mod html_text;

/// Folder of the search bundle in the output.
pub const BUNDLE_DIR: &str = "pagefind";

/// The result type shown for an indexed page (« Ville »…), or `None` for a page that is not
/// indexed.
fn result_type(page: &Page) -> Option<&'static str> {
    match page.template {
        "ville.html" => Some("Ville"),
        "cas.html" => Some("Étude de cas"),
        "terme.html" => match page.url.split('/').next() {
            Some("strategies") => Some("Stratégie"),
            Some("canaux") => Some("Canal"),
            Some("publics") => Some("Public"),
            _ => None,
        },
        _ => None,
    }
}

/// Marks the pages to index with their result type and their position in the index; the
/// type goes into the context as `page.recherche` ([`set_result_type`]) when the page is
/// rendered. Returns the URLs of the marked pages, in index order.
pub(super) fn mark_indexable(pages: &mut [Page]) -> Vec<String> {
    let mut urls = Vec::new();
    for page in pages.iter_mut() {
        if let Some(kind) = result_type(page) {
            page.search = Some((kind, urls.len()));
            urls.push(page_url(&page.output));
        }
    }
    urls
}

/// `page.recherche` holds the result type, which `base.html` turns into
/// `data-pagefind-body` and the `type` filter and meta field.
pub(super) fn set_result_type(context: &mut Value, kind: &str) {
    if let Some(mut meta) = field(context, "page").cloned() {
        set(&mut meta, [("recherche", kind.into_context())]);
        set(context, [("page", meta)]);
    }
}

/// Parts of the indexed pages left out of the index: what a page says about *other* pages
/// (closest cities, related case studies, opportunities, the cities and strategies of case-study
/// cards), the maturity grid, source lists and citation marks. Without them, a query finds the
/// page about a thing before the pages that merely mention it, and excerpts are not cluttered
/// with « [source 1] ».
const EXCLUDED: &[&str] = &[
    ".citations",
    ".sources",
    ".carte__details",
    ".carte__date",
    "section[aria-labelledby=\"titre-maturite\"]",
    "section[aria-labelledby=\"titre-proches\"]",
    "section[aria-labelledby=\"titre-acteurs\"]",
    "section[aria-labelledby=\"titre-opportunites\"]",
    "section[aria-labelledby=\"titre-cas-lies\"]",
    "section[aria-labelledby=\"opportunites\"]",
];

/// Files of Pagefind's bundle that the theme does not use: Pagefind's own UIs (the theme has
/// its own, `static/recherche.js`), the highlighter, the playground, and the web worker:
/// `recherche.js` searches on the main thread (`noWorker`), which saves 43 kB on the first
/// query and costs a few milliseconds per query at the atlas's size.
fn unused(name: &str) -> bool {
    name == "pagefind-worker.js"
        || name.starts_with("pagefind-ui.")
        || name.starts_with("pagefind-modular-ui.")
        || name.starts_with("pagefind-component-ui.")
        || name.starts_with("pagefind-highlight.")
        || name.starts_with("playground/")
}

/// Builds the Pagefind bundle from the rendered pages whose output path is in `indexed`.
/// Result URLs are site paths (`/villes/avignon/`): Pagefind's JS prefixes them with the
/// folder that holds `pagefind/`, so the bundle works under any base path.
#[cfg(test)]
fn search_bundle(
    files: &[OutputFile],
    indexed: &BTreeSet<String>,
    language: &str,
) -> Result<Vec<OutputFile>, Diagnostic> {
    let pages = read_pages(files, indexed);
    let urls = pages.iter().map(|(url, _)| url.clone()).collect();
    let indexer = Indexer::start(urls, language.to_string(), Reuse::No);
    for (position, (_, source)) in pages.into_iter().enumerate() {
        indexer.sender().send(position, source);
    }
    indexer.finish()
}

/// The URL under which a page's file is indexed: `/villes/avignon/`.
pub(super) fn page_url(output: &str) -> String {
    format!("/{}", output.strip_suffix("index.html").unwrap_or(output))
}

/// Indexed pages from which the search index is split in [`INDEXES`] Pagefind indexes, built
/// at the same time on their own threads: Pagefind indexes the pages of one index one after
/// the other, which on a large atlas takes longer than everything else (15 s of one core for
/// 10,000 case studies). The browser merges them (`mergeIndex` of Pagefind's JS API, its
/// multisite search). By the number of pages, never the number of cores, so that the output
/// is the same on every machine.
pub const SPLIT_FROM: usize = 2_000;

/// How many indexes a large atlas gets.
const INDEXES: usize = 2;

/// The number of Pagefind indexes for `pages` indexed pages.
pub(super) fn index_count(pages: usize) -> usize {
    if pages >= SPLIT_FROM { INDEXES } else { 1 }
}

/// The folder of index `index` in the output: `pagefind/`, then `pagefind-2/`…
pub(super) fn bundle_dir(index: usize) -> String {
    if index == 0 {
        BUNDLE_DIR.to_string()
    } else {
        format!("{BUNDLE_DIR}-{}", index + 1)
    }
}

/// The search index, built on threads of its own while the site is still rendering: the
/// render loop hands over each indexed page as soon as its bytes are final. Page `p` goes to
/// index `p % n` ([`index_count`]). Pages arrive in any order and are indexed in page order
/// (Pagefind numbers them in that order: the bundle does not depend on scheduling).
///
/// Without reuse (`build`), each page is fossicked — split into words and stemmed, most of
/// Pagefind's work — by the render thread that sends it, in parallel (the patched Pagefind of
/// `vendor/pagefind`), and the index thread only adds the results, then builds the bundle
/// from pages it moves instead of cloning. With reuse (`serve`), the index thread gives
/// Pagefind only the pages that changed since the last build ([`PreviousIndex`]).
pub(super) struct Indexer {
    sender: Option<IndexSender>,
    /// One per thread, dropped when the pass is over: a thread whose pages come fossicked
    /// sleeps until then (its `recv` returns when the sender is gone), instead of being woken
    /// for each page only to store it — a futex wake on the sending thread and, with every core
    /// busy, a render thread preempted, for every page.
    pass_over: Vec<mpsc::Sender<()>>,
    threads: Vec<std::thread::JoinHandle<Result<(BundleFiles, Duration), String>>>,
}

/// Whether a build keeps its search index for the next build of the same process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reuse {
    /// `build`, `check`: one build per process.
    No,
    /// `serve`: the next build gives Pagefind only the pages that changed.
    Yes,
}

/// A page on its way to an index thread: its source, or already fossicked.
enum Prepared {
    Source(Source),
    Fossicked(Result<Box<pagefind::api::FossickedRecord>, String>),
}

/// The fossicker of each index, and the URLs of its pages in order.
type Fossickers = Vec<(pagefind::api::RecordFossicker, Vec<String>)>;

/// Where the render loop sends `(position, source)` of each indexed page.
#[derive(Clone)]
pub(super) struct IndexSender {
    channels: Vec<mpsc::Sender<(usize, Prepared)>>,
    /// Without reuse: the fossicker of each index, and the URLs of its pages.
    fossickers: Option<std::sync::Arc<Fossickers>>,
    language: String,
}

impl IndexSender {
    pub(super) fn send(&self, position: usize, source: Source) {
        let count = self.channels.len();
        let (index, local) = (position % count, position / count);
        let prepared = match &self.fossickers {
            Some(fossickers) => {
                let (fossicker, urls) = &fossickers[index];
                Prepared::Fossicked(fossick(fossicker, &urls[local], source, &self.language))
            }
            None => Prepared::Source(source),
        };
        // A closed channel: that index stopped on an error, which `finish` reports.
        self.channels[index].send((local, prepared)).ok();
    }
}

/// Pagefind's reading of one page, on the calling thread.
fn fossick(
    fossicker: &pagefind::api::RecordFossicker,
    url: &str,
    source: Source,
    language: &str,
) -> Result<Box<pagefind::api::FossickedRecord>, String> {
    match source {
        Source::Record(record) => fossicker.custom_record(
            url.to_string(),
            record.digest,
            language.to_string(),
            Some(record.meta),
            Some(record.filters),
            None,
        ),
        Source::Html(html) => fossicker.html_file(url.to_string(), html),
    }
    .map(Box::new)
    .map_err(|e| format!("{url}\u{a0}: {e}"))
}

/// Pages of one index from which Pagefind puts the fragments (what a result shows: title,
/// excerpt, URL) of [`FRAGMENTS_PER_FILE`] pages in one file instead of one file per page
/// (its `max_fragments` option; its JS loads the groups). A large atlas then writes, and a
/// host receives, thousands fewer files — on the benchmark's disk, creating a file costs
/// about as much as rendering a page — for a first page of results that loads a few groups
/// of ≈ 10 kB instead of a few fragments of ≈ 3 kB. Smaller atlases, the real one included,
/// keep one file per page.
pub const GROUP_FRAGMENTS_FROM: usize = 1_000;

/// How many fragments a file holds from [`GROUP_FRAGMENTS_FROM`] pages.
const FRAGMENTS_PER_FILE: usize = 4;

/// Pagefind's `max_fragments` for an index of `pages` pages.
fn max_fragments(pages: usize) -> Option<u32> {
    (pages >= GROUP_FRAGMENTS_FROM)
        .then(|| u32::try_from(pages.div_ceil(FRAGMENTS_PER_FILE)).unwrap_or(u32::MAX))
}

/// A new Pagefind index of `pages` pages in `language`, the same for every build.
fn new_index(language: &str, pages: usize) -> Result<pagefind::api::PagefindIndex, String> {
    let builder = pagefind::options::PagefindServiceConfig::builder()
        .force_language(language.to_string())
        .exclude_selectors(EXCLUDED.iter().map(|s| s.to_string()).collect());
    let options = match max_fragments(pages) {
        Some(files) => builder.max_fragments(files).build(),
        None => builder.build(),
    };
    pagefind::api::PagefindIndex::new(Some(options)).map_err(|e| e.to_string())
}

impl Indexer {
    /// Starts the indexing threads for the pages at `urls`, which [`Indexer::sender`] must
    /// then be given, each with its position in `urls`.
    pub(super) fn start(urls: Vec<String>, language: String, reuse: Reuse) -> Indexer {
        let count = index_count(urls.len());
        let mut channels = Vec::with_capacity(count);
        let mut fossickers = Vec::with_capacity(count);
        let mut threads = Vec::with_capacity(count);
        let mut pass_over = Vec::with_capacity(count);
        for (index, previous) in PREVIOUS.iter().enumerate().take(count) {
            let (sender, receiver) = mpsc::channel::<(usize, Prepared)>();
            channels.push(sender);
            let urls: Vec<String> = urls.iter().skip(index).step_by(count).cloned().collect();
            let fresh = match reuse {
                Reuse::No => {
                    let fresh = new_index(&language, urls.len());
                    if let Ok(fresh) = &fresh {
                        fossickers.push((fresh.fossicker(), urls.clone()));
                    }
                    Some(fresh)
                }
                Reuse::Yes => None,
            };
            let language = language.clone();
            let (pass_over_sender, pass_over_signal) = mpsc::channel::<()>();
            pass_over.push(pass_over_sender);
            threads.push(std::thread::spawn(move || {
                // One build at a time uses the previous index; a poisoned lock only loses the
                // reuse.
                let mut previous = previous
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let started = Instant::now();
                // Pagefind's JS, minified now while the first pages are rendered, not after
                // the last one (vendor/pagefind/PATCHES.md, patch 13).
                pagefind::prepare_minified_js();
                let mut waiting = Duration::ZERO;
                let files = match fresh {
                    Some(fresh) => {
                        // Nothing kept for a next build: nor this index, nor the last one.
                        *previous = None;
                        let fresh = fresh?;
                        // The pages come fossicked by the render threads: sleep until they
                        // are all sent, then store them.
                        let asleep = Instant::now();
                        pass_over_signal.recv().ok();
                        waiting += asleep.elapsed();
                        index_fossicked(fresh, urls.len(), in_order(receiver, &mut waiting))?
                    }
                    None => {
                        let pages = in_order(receiver, &mut waiting);
                        index_in_order(&mut previous, urls, &language, pages)?.0
                    }
                };
                Ok((files, started.elapsed().saturating_sub(waiting)))
            }));
        }
        // An index that could not be created fails its thread; the others still get pages.
        let fossickers = (fossickers.len() == count).then(|| std::sync::Arc::new(fossickers));
        Indexer {
            pass_over,
            sender: Some(IndexSender {
                channels,
                fossickers,
                language,
            }),
            threads,
        }
    }

    /// Where to send `(position, source)` of each indexed page.
    pub(super) fn sender(&self) -> IndexSender {
        self.sender.clone().expect("the sender lives until finish")
    }

    /// Waits for the indexes and returns the bundles' files, and the time Pagefind worked on
    /// every thread (not counting its waits for pages).
    pub(super) fn finish_timed(mut self) -> Result<(Vec<OutputFile>, Duration), Diagnostic> {
        drop(self.sender.take());
        self.pass_over.clear();
        let mut files = Vec::new();
        let mut busy = Duration::ZERO;
        let mut failure = None;
        for (index, thread) in self.threads.into_iter().enumerate() {
            let built = thread
                .join()
                .unwrap_or_else(|_| Err("l’indexation a échoué (panique)".to_string()));
            match built {
                Ok((bundle, time)) => {
                    files.extend(bundle_files(bundle, &bundle_dir(index)));
                    busy += time;
                }
                Err(error) => {
                    failure.get_or_insert(error);
                }
            }
        }
        if let Some(error) = failure {
            return Err(Diagnostic::error(
                "recherche",
                "atlas.yaml",
                format!("index de recherche impossible à construire\u{a0}: {error}"),
            ));
        }
        Ok((files, busy))
    }

    #[cfg(test)]
    fn finish(self) -> Result<Vec<OutputFile>, Diagnostic> {
        self.finish_timed().map(|(files, _)| files)
    }
}

fn in_order(receiver: mpsc::Receiver<(usize, Prepared)>, waiting: &mut Duration) -> InOrder<'_> {
    InOrder {
        receiver,
        pending: BTreeMap::new(),
        next: 0,
        waiting,
    }
}

/// The pages received by the indexing thread, in page order.
struct InOrder<'w> {
    receiver: mpsc::Receiver<(usize, Prepared)>,
    pending: BTreeMap<usize, Prepared>,
    next: usize,
    waiting: &'w mut Duration,
}

impl Iterator for InOrder<'_> {
    type Item = Prepared;

    fn next(&mut self) -> Option<Prepared> {
        loop {
            if let Some(source) = self.pending.remove(&self.next) {
                self.next += 1;
                return Some(source);
            }
            let started = Instant::now();
            let received = self.receiver.recv();
            *self.waiting += started.elapsed();
            let (position, source) = received.ok()?;
            self.pending.insert(position, source);
        }
    }
}

/// The bundle as output files in `dir`, without what the theme does not use.
fn bundle_files(bundle: BundleFiles, dir: &str) -> Vec<OutputFile> {
    let mut wasm_languages = 0;
    let mut out: Vec<OutputFile> = bundle
        .into_iter()
        .filter(|(name, _)| !unused(name))
        .inspect(|(name, _)| {
            if name.starts_with("wasm.") && name != "wasm.unknown.pagefind" {
                wasm_languages += 1;
            }
        })
        .map(|(name, bytes)| OutputFile {
            path: format!("{dir}/{name}"),
            bytes,
        })
        .collect();
    // The generic WASM serves only languages without stemming: not needed when the site's
    // language has its own.
    if wasm_languages > 0 {
        out.retain(|f| f.path != format!("{dir}/wasm.unknown.pagefind"));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// A page to index, as Pagefind is given it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum Source {
    /// Its text, title, meta and filters, read by [`html_text`].
    Record(html_text::Record),
    /// Its HTML, for Pagefind's own parser: what [`html_text`] declines to read.
    Html(String),
}

/// The URL and [`Source`] of each indexed page, in the order of `files`: read in parallel,
/// each page on its own (Pagefind would parse them one after the other).
#[cfg(test)]
fn read_pages(files: &[OutputFile], indexed: &BTreeSet<String>) -> Vec<(String, Source)> {
    use rayon::prelude::*;
    let excluded = exclusions();
    files
        .par_iter()
        .filter(|f| indexed.contains(&f.path))
        .map(|f| (page_url(&f.path), source(&f.bytes, excluded.as_deref())))
        .collect()
}

/// [`EXCLUDED`] for [`html_text`]; `None` if one of them is a selector it does not know.
pub(super) fn exclusions() -> Option<Vec<html_text::Selector>> {
    EXCLUDED
        .iter()
        .map(|s| html_text::Selector::parse(s))
        .collect()
}

/// What Pagefind is given for a page: the record read by [`html_text`], or the HTML.
pub(super) fn source(html: &[u8], excluded: Option<&[html_text::Selector]>) -> Source {
    match excluded.and_then(|excluded| html_text::read(html, excluded).ok()) {
        Some(record) => Source::Record(record),
        None => Source::Html(String::from_utf8_lossy(html).into_owned()),
    }
}

/// The index of the previous build of this process, for `serve`: when a rebuild indexes the
/// same pages (same URLs, same order, same language), only the pages whose indexed content
/// changed are given to Pagefind again — it replaces a page added again under the same URL,
/// in place — and the result is the one a fresh index gives (page numbers follow the order of
/// the pages). Any other change starts a new index.
struct PreviousIndex {
    language: String,
    urls: Vec<String>,
    hashes: Vec<u64>,
    index: pagefind::api::PagefindIndex,
}

/// One per index ([`INDEXES`] at most).
static PREVIOUS: [std::sync::Mutex<Option<PreviousIndex>>; INDEXES] =
    [const { std::sync::Mutex::new(None) }; INDEXES];

fn source_hash(source: &Source) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut hasher);
    hasher.finish()
}

/// The files of a Pagefind bundle: output path and bytes.
type BundleFiles = Vec<(String, Vec<u8>)>;

/// Runs Pagefind on `(url, source)` pages given the previous index; returns the bundle's
/// files as (relative name, bytes) and how many pages were given to Pagefind.
#[cfg(test)]
fn index_pages_after(
    previous: &mut Option<PreviousIndex>,
    pages: Vec<(String, Source)>,
    language: &str,
) -> Result<(BundleFiles, usize), String> {
    let urls = pages.iter().map(|(url, _)| url.clone()).collect();
    index_in_order(
        previous,
        urls,
        language,
        pages
            .into_iter()
            .map(|(_, source)| Prepared::Source(source)),
    )
}

/// Adds the `count` pages fossicked by the render threads to `index`, in page order, and
/// builds the bundle, moving the pages into it.
fn index_fossicked(
    mut index: pagefind::api::PagefindIndex,
    count: usize,
    pages: impl Iterator<Item = Prepared>,
) -> Result<BundleFiles, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut received = 0;
        for page in pages {
            let Prepared::Fossicked(record) = page else {
                return Err("page non lue pour l’index".to_string());
            };
            index.add_fossicked(*record?).await;
            received += 1;
        }
        if received != count {
            return Err("indexation interrompue".to_string());
        }
        let files = index.take_files().await.map_err(|e| e.to_string())?;
        Ok(files.into_iter().map(bundle_file).collect())
    })
}

/// A file of Pagefind's bundle as (name relative to the bundle, bytes).
fn bundle_file(file: pagefind::api::SyntheticFile) -> (String, Vec<u8>) {
    let name = file
        .filename
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    (name, file.contents)
}

/// Runs Pagefind on the pages at `urls`, whose sources `sources` yields in the same order;
/// returns the bundle's files and how many pages were given to Pagefind. The index is kept
/// in `previous` for the next build only when every page came.
fn index_in_order(
    previous: &mut Option<PreviousIndex>,
    urls: Vec<String>,
    language: &str,
    sources: impl Iterator<Item = Prepared>,
) -> Result<(BundleFiles, usize), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let mut hashes: Vec<u64> = Vec::with_capacity(urls.len());
    let reusable = previous
        .take()
        .filter(|p| p.language == language && p.urls == urls);
    let result = runtime.block_on(async {
        let (mut index, old_hashes) = match reusable {
            Some(p) => (p.index, p.hashes),
            None => (new_index(language, urls.len())?, Vec::new()),
        };
        let mut added = 0;
        for (i, source) in sources.enumerate() {
            let Some(url) = urls.get(i).cloned() else {
                return Err("page de trop pour l’index".to_string());
            };
            let Prepared::Source(source) = source else {
                return Err("page déjà lue pour un autre index".to_string());
            };
            hashes.push(source_hash(&source));
            if old_hashes.get(i) == Some(&hashes[i]) {
                continue;
            }
            added += 1;
            let result = match source {
                Source::Record(record) => {
                    index
                        .add_custom_record(
                            url.clone(),
                            record.digest,
                            language.to_string(),
                            Some(record.meta),
                            Some(record.filters),
                            None,
                        )
                        .await
                }
                Source::Html(html) => index.add_html_file(None, Some(url.clone()), html).await,
            };
            result.map_err(|e| format!("{url}\u{a0}: {e}"))?;
        }
        if hashes.len() != urls.len() {
            return Err("indexation interrompue".to_string());
        }
        let files = index.get_files().await.map_err(|e| e.to_string())?;
        let files = files.into_iter().map(bundle_file).collect();
        Ok::<_, String>((files, index, added))
    });
    let (files, index, added) = result?;
    *previous = Some(PreviousIndex {
        language: language.to_string(),
        urls,
        hashes,
        index,
    });
    Ok((files, added))
}

impl Ctx<'_> {
    /// `/recherche/`: the search form (shown by `recherche.js`) and, for everyone, the lists
    /// to browse instead.
    pub(super) fn search_page(&self) -> Page<'_> {
        let site = self.site;
        let browse = |nom: &str, url: &str, nombre: usize, un: &str, plusieurs: &str| -> Value {
            object!({"nom": nom, "url": self.url(url), "nombre": nombre, "un": un, "plusieurs": plusieurs})
        };
        Page {
            later: None,
            search: None,
            case: None,
            url: "recherche/".into(),
            output: "recherche/index.html".into(),
            template: "recherche.html",
            context: object!({
                "page": self.page("recherche/", "Rechercher", "Rechercher une ville, une étude de cas, une stratégie, un canal ou un public dans l’atlas.", "recherche", Vec::new()),
                "pagefind": self.url(&format!("{BUNDLE_DIR}/pagefind.js")),
                "types": ["Ville", "Étude de cas", "Stratégie", "Canal", "Public"],
                "parcourir": [
                    browse("Villes", "villes/", site.cities.len(), "commune", "communes"),
                    browse("Études de cas", "cas/", site.cases.len(), "étude de cas", "études de cas"),
                    browse("Stratégies", "strategies/", site.strategies.len(), "stratégie", "stratégies"),
                    browse("Canaux", "canaux/", site.channels.len(), "canal", "canaux"),
                    browse("Publics cibles", "publics/", site.publics.len(), "public", "publics"),
                    browse("Intercommunalités", "intercommunalites/", site.epcis.len(), "intercommunalité", "intercommunalités"),
                ],
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(title: &str, text: &str) -> Vec<u8> {
        format!(
            "<!DOCTYPE html><html lang=\"fr\"><head><title>{title}</title></head><body><header>Atlas</header><main data-pagefind-body data-pagefind-filter=\"type:Ville\" data-pagefind-meta=\"type:Ville\"><h1>{title}</h1><p>{text}</p><section class=\"sources\"><p>Source secrète</p></section></main></body></html>"
        )
        .into_bytes()
    }

    fn sources(pages: &[(String, Vec<u8>)]) -> Vec<(String, Source)> {
        let excluded = exclusions();
        pages
            .iter()
            .map(|(url, html)| (url.clone(), source(html, excluded.as_deref())))
            .collect()
    }

    #[test]
    fn reusing_the_previous_index_gives_the_bytes_of_a_fresh_one() {
        let a = page("Avignon", "Une stratégie événementielle.");
        let b = page("Carpentras", "Les Noëls insolites.");
        let b2 = page("Carpentras", "Les Noëls insolites et la fraise.");
        let c = page("Orange", "Les Chorégies.");
        let pages = |b: &[u8]| -> Vec<(String, Vec<u8>)> {
            vec![
                ("/villes/avignon/".to_string(), a.clone()),
                ("/villes/carpentras/".to_string(), b.to_vec()),
                ("/villes/orange/".to_string(), c.clone()),
            ]
        };
        let run = |previous: &mut Option<PreviousIndex>, p: &[(String, Vec<u8>)]| {
            index_pages_after(previous, sources(p), "fr").unwrap()
        };
        let mut previous = None;
        let (first, added) = run(&mut previous, &pages(&b));
        assert_eq!(added, 3);
        let (again, added) = run(&mut previous, &pages(&b));
        assert_eq!(added, 0, "nothing changed");
        assert_eq!(again, first);
        let (edited, added) = run(&mut previous, &pages(&b2));
        assert_eq!(added, 1, "only the edited page");
        let (fresh, _) = run(&mut None, &pages(&b2));
        assert_eq!(edited, fresh, "same bytes as a fresh index");
        assert_ne!(edited, first);
        // A change outside what is indexed gives Pagefind nothing to do.
        let mut b3 = b2.clone();
        b3.splice(0..0, b"<!-- commentaire -->".iter().copied());
        let (unchanged, added) = run(&mut previous, &pages(&b3));
        assert_eq!(added, 0);
        assert_eq!(unchanged, fresh);
        // Another set of pages starts a new index.
        let fewer = vec![("/villes/avignon/".to_string(), a.clone())];
        let (_, added) = run(&mut previous, &fewer);
        assert_eq!(added, 1);
    }

    /// Pages as our templates and minify-html write them, with what Pagefind's parser reads in
    /// its own way: end tags left out, excluded sections, headings, line breaks, character
    /// references, SVG, scripts, comments, an image after the title, a page without `<h1>`.
    fn tricky_pages() -> Vec<(String, Vec<u8>)> {
        let head = "<!doctype html><html lang=fr><head><meta charset=utf-8><title>Titre &amp; page — Atlas</title><link href=/s.css rel=stylesheet><script src=/a.js></script><body><a class=lien-evitement href=#contenu>Aller au contenu</a><header class=entete><p class=entete__titre><a href=/> <img alt src=/logo.svg> <span>Atlas</span> </a><form action=/recherche/><label for=q>Rechercher</label><input name=q></form><nav><ul><li><a href=/villes/>Villes</a><li><a href=/cas/>Cas</a></ul></nav></header>";
        let foot = "<footer class=pied><p>Pied de page<p>Licence</footer>";
        let pages = [
            // A city page: lists without end tags, a definition list, an excluded section.
            format!(
                "{head}<main class=\"conteneur principal\" data-pagefind-body data-pagefind-filter=type:Ville data-pagefind-meta=type:Ville tabindex=-1><h1>Avignon</h1><div class=page-ville><section class=fiche aria-labelledby=t1><h2>Fiche d’identité</h2><dl><div><dt>Code INSEE<dd>84007</div><div><dt>Population<dd>92&nbsp;188 habitants (2026)</div></dl><p class=fiche__sources>Sources : <sup class=citations><a href=#s1>[<span>source </span>1]</a></sup><figure><svg viewbox=\"0 0 10 10\" role=img><title>Situation d’Avignon</title><path d=M0z /><g><circle r=1 /></g></svg><figcaption>Carte schématique : pas les limites réelles</figcaption></figure></section><section aria-labelledby=titre-proches><h2>Villes proches</h2><ul><li>Le Pontet<li>Sorgues</ul></section><section aria-labelledby=t2><h2>Stratégies</h2><h3>Levier image</h3><ul><li><strong>Marque territoriale.</strong> La ville porte la marque « Avignon, terres de création »<li>Pass de 24<br>ou 48 heures</ul><p>R &amp; D &lt;b&gt; — 12 000 m²<p>Fin 😀<table><tr><th>Année<th>Visiteurs<tr><td>2021<td>36314</table></section><section class=sources><h2>Sources</h2><ol><li>Source secrète</ol></section></div></main>{foot}"
            ),
            // A case study: an image after the title, a script and a comment in the body.
            format!(
                "{head}<main data-pagefind-body data-pagefind-filter=\"type:Étude de cas\" data-pagefind-meta=\"type:Étude de cas\"><article class=etude><header><h1>Budget <em>participatif</em></h1><p class=chapo>Un chapô.</p></header><dl class=etude__meta><div><dt>Date<dd><time datetime=2019-01-01>1er janvier 2019</time></div></dl><div class=\"prose contenu\"><h2>Contexte</h2><p>Un texte<!-- un commentaire --> avec <img src=\"/i/photo.jpg\" alt=\"Une photo &amp; sa légende\"> une image.<script>var x = \"<p>non</p>\";</script><style>p {{ color: red }}</style><p>Fin de l’étude…<p>« Citation »</div><section aria-labelledby=titre-cas-lies><h2>Études liées</h2><p>Autre étude</section></article></main>{foot}"
            ),
            // A strategy page without `<h1>`: the title is the page's `<title>`.
            format!(
                "{head}<main data-pagefind-body data-pagefind-filter=type:Stratégie data-pagefind-meta=type:Stratégie><p>Texte\n\n  sur   plusieurs\r\nlignes<p>Deuxième paragraphe (fin)</main>\n<p>Après le contenu</p>{foot}"
            ),
        ];
        pages
            .into_iter()
            .enumerate()
            .map(|(i, html)| (format!("/p{i}/"), html.into_bytes()))
            .collect()
    }

    /// Builds the bundle of `pages` with Pagefind's own parser.
    fn html_bundle(pages: &[(String, Vec<u8>)]) -> BundleFiles {
        let html: Vec<(String, Source)> = pages
            .iter()
            .map(|(url, html)| {
                (
                    url.clone(),
                    Source::Html(String::from_utf8(html.clone()).unwrap()),
                )
            })
            .collect();
        index_pages_after(&mut None, html, "fr").unwrap().0
    }

    #[test]
    fn the_fast_reader_gives_the_bundle_of_pagefinds_parser() {
        let pages = tricky_pages();
        let read = sources(&pages);
        for (url, source) in &read {
            let Source::Record(record) = source else {
                let html = &pages.iter().find(|(u, _)| u == url).unwrap().1;
                panic!(
                    "{url} not read: {:?}",
                    html_text::read(html, &exclusions().unwrap()).err()
                );
            };
            assert!(
                !record.digest.contains("secrète"),
                "{url}: {}",
                record.digest
            );
        }
        let (fast, _) = index_pages_after(&mut None, read, "fr").unwrap();
        assert_eq!(
            fast,
            html_bundle(&pages),
            "same index, fragments, filters, meta"
        );
    }

    /// The bundle of `pages` built by an [`Indexer`] fed from several threads in shuffled
    /// order, as the render loop does.
    fn indexer_bundle(pages: &[(String, Source)], reuse: Reuse) -> Vec<OutputFile> {
        let urls = pages.iter().map(|(url, _)| url.clone()).collect();
        let indexer = Indexer::start(urls, "fr".to_string(), reuse);
        let sender = indexer.sender();
        let mut order: Vec<usize> = (0..pages.len()).collect();
        order.reverse();
        std::thread::scope(|scope| {
            for half in order.chunks(order.len().div_ceil(2)) {
                let sender = sender.clone();
                scope.spawn(move || {
                    for &position in half {
                        sender.send(position, pages[position].1.clone());
                    }
                });
            }
        });
        drop(sender);
        indexer.finish().unwrap()
    }

    #[test]
    fn large_indexes_put_four_fragments_in_a_file() {
        assert_eq!(max_fragments(1), None);
        assert_eq!(max_fragments(GROUP_FRAGMENTS_FROM - 1), None);
        assert_eq!(max_fragments(GROUP_FRAGMENTS_FROM), Some(250));
        assert_eq!(max_fragments(5_001), Some(1_251));
    }

    #[test]
    fn pages_fossicked_on_the_render_threads_give_the_bundle_of_pagefinds_own_reading() {
        // Records (the fast reader) and HTML (Pagefind's parser): `build` fossicks them on the
        // threads that send them, `serve` on the index thread; same bytes, and the same as
        // the bundle built page by page by Pagefind's API.
        let mut pages = sources(&tricky_pages());
        pages.push((
            "/cas/brut/".to_string(),
            Source::Html(String::from_utf8(page("Brut", "Une page lue par Pagefind.")).unwrap()),
        ));
        assert!(pages.iter().any(|(_, s)| matches!(s, Source::Record(_))));
        let built = indexer_bundle(&pages, Reuse::No);
        let served = indexer_bundle(&pages, Reuse::Yes);
        assert_eq!(built, served);
        let (reference, _) = index_pages_after(&mut None, pages.clone(), "fr").unwrap();
        assert_eq!(built, bundle_files(reference, BUNDLE_DIR));
        assert!(built.iter().any(|f| f.path.ends_with(".pf_fragment")));
    }

    #[test]
    fn with_anchors_only_the_fragments_differ() {
        // Elements with an `id` make anchors (sub-results, unused by the theme) in Pagefind's
        // parser; the words, their positions and weights do not change.
        let pages: Vec<(String, Vec<u8>)> = tricky_pages()
            .into_iter()
            .map(|(url, html)| {
                let html = String::from_utf8(html)
                    .unwrap()
                    .replace("<h2>", "<h2 id=titre>")
                    .replace("<em>", "<em id=x>")
                    .replace("<span>Atlas", "<span id=a>Atlas")
                    .replace("<li>Pass", "<li><span id=vide></span>Pass");
                (url, html.into_bytes())
            })
            .collect();
        let read = sources(&pages);
        assert!(read.iter().all(|(_, s)| matches!(s, Source::Record(_))));
        let (fast, _) = index_pages_after(&mut None, read, "fr").unwrap();
        let parsed = html_bundle(&pages);
        let kept = |files: &BundleFiles| -> BundleFiles {
            files
                .iter()
                .filter(|(name, _)| name.ends_with(".pf_index") || name.ends_with(".pf_filter"))
                .cloned()
                .collect()
        };
        assert!(!kept(&fast).is_empty());
        assert_eq!(kept(&fast), kept(&parsed));
        assert_ne!(fast, parsed, "the fragments have no anchors");
    }

    #[test]
    fn what_the_reader_declines_goes_to_pagefinds_parser() {
        let excluded = exclusions().expect("the exclusions are simple selectors");
        let with = |body: &str| {
            format!("<!doctype html><html><body><main data-pagefind-body>{body}</main>")
                .into_bytes()
        };
        for declined in [
            "<p>&eacute;t&eacute;</p>",
            "<math><mi>x</mi></math>",
            "<p data-pagefind-weight=2>x</p>",
            "<svg><title><b>x</b></title></svg>",
            "<p>1 𝟙</p>",
        ] {
            let html = with(declined);
            assert!(html_text::read(&html, &excluded).is_err(), "{declined}");
            assert!(matches!(source(&html, Some(&excluded)), Source::Html(_)));
        }
        assert!(html_text::read(&with("<p>été</p><p>¹²³ Ⅻ ①⑴ 𝟙"), &excluded).is_ok());
        // No `data-pagefind-body`: Pagefind would leave the page out.
        assert!(html_text::read(b"<!doctype html><html><body><p>x</p>", &excluded).is_err());
    }

    #[test]
    fn the_bundle_holds_the_search_files_and_not_the_unused_ones() {
        let files = vec![
            OutputFile {
                path: "villes/avignon/index.html".into(),
                bytes: page("Avignon", "Une stratégie événementielle."),
            },
            OutputFile {
                path: "index.html".into(),
                bytes: page("Accueil", "Bienvenue."),
            },
        ];
        let indexed: BTreeSet<String> = ["villes/avignon/index.html".to_string()].into();
        let bundle = search_bundle(&files, &indexed, "fr").unwrap();
        let names: Vec<&str> = bundle.iter().map(|f| f.path.as_str()).collect();
        for expected in [
            "pagefind/pagefind.js",
            "pagefind/pagefind-entry.json",
            "pagefind/wasm.fr.pagefind",
        ] {
            assert!(names.contains(&expected), "{expected} in {names:?}");
        }
        assert!(names.iter().any(|n| n.ends_with(".pf_meta")));
        for unused in [
            "pagefind-ui",
            "pagefind-worker",
            "pagefind-highlight",
            "playground",
            "wasm.unknown",
        ] {
            assert!(
                !names.iter().any(|n| n.contains(unused)),
                "{unused} in {names:?}"
            );
        }
        let entry = bundle
            .iter()
            .find(|f| f.path.ends_with("pagefind-entry.json"))
            .unwrap();
        assert!(
            String::from_utf8_lossy(&entry.bytes).contains("\"page_count\":1"),
            "only the marked page"
        );
    }
}
