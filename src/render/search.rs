//! Search: the `/recherche/` page, the pages marked for indexing, and the Pagefind bundle
//! (`pagefind/`), built in memory from the rendered (minified) HTML with Pagefind's Rust API.
//!
//! Only the main content of city, case-study, strategy, channel and public pages is indexed
//! (`data-pagefind-body` on `<main>`, set by `base.html` from `page.recherche`), with a `type`
//! filter and meta field so that results show what they are. Pagefind normalises diacritics,
//! so « evenementiel » finds « événementiel », and the French WASM stems words.
//!
//! Pagefind is async: its API runs on a small current-thread tokio runtime, on a thread of its
//! own so that a caller already inside a tokio runtime (`serve`) does not make it panic.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{Ctx, OutputFile, Page};
use crate::diagnostic::Diagnostic;

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

/// Marks the pages to index: `page.recherche` holds the result type, which `base.html` turns
/// into `data-pagefind-body` and the `type` filter and meta field. Returns the output paths of
/// the marked pages.
pub(super) fn mark_indexable(pages: &mut [Page]) -> BTreeSet<String> {
    let mut indexed = BTreeSet::new();
    for page in pages.iter_mut() {
        if let Some(kind) = result_type(page) {
            if let Some(meta) = page.context.get_mut("page") {
                meta["recherche"] = json!(kind);
            }
            indexed.insert(page.output.clone());
        }
    }
    indexed
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
pub(super) fn search_bundle(
    files: &[OutputFile],
    indexed: &BTreeSet<String>,
    language: &str,
) -> Result<Vec<OutputFile>, Diagnostic> {
    let pages: Vec<(String, &[u8])> = files
        .iter()
        .filter(|f| indexed.contains(&f.path))
        .map(|f| {
            let url = format!("/{}", f.path.strip_suffix("index.html").unwrap_or(&f.path));
            (url, f.bytes.as_slice())
        })
        .collect();
    let built = std::thread::scope(|scope| {
        scope
            .spawn(|| index_pages(&pages, language))
            .join()
            .unwrap_or_else(|_| Err("l’indexation a échoué (panique)".to_string()))
    });
    let bundle = built.map_err(|error| {
        Diagnostic::error(
            "recherche",
            "atlas.yaml",
            format!("index de recherche impossible à construire\u{a0}: {error}"),
        )
    })?;
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
            path: format!("{BUNDLE_DIR}/{name}"),
            bytes,
        })
        .collect();
    // The generic WASM serves only languages without stemming: not needed when the site's
    // language has its own.
    if wasm_languages > 0 {
        out.retain(|f| f.path != format!("{BUNDLE_DIR}/wasm.unknown.pagefind"));
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The index of the previous build of this process, for `serve`: when a rebuild indexes the
/// same pages (same URLs, same order, same language), only the pages whose bytes changed are
/// parsed again — Pagefind replaces a page added again under the same URL, in place — and the
/// result is the one a fresh index gives (page numbers follow the order of the pages). Parsing
/// the pages is three quarters of the indexing time. Any other change starts a new index.
struct PreviousIndex {
    language: String,
    urls: Vec<String>,
    hashes: Vec<u64>,
    index: pagefind::api::PagefindIndex,
}

static PREVIOUS: std::sync::Mutex<Option<PreviousIndex>> = std::sync::Mutex::new(None);

fn page_hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// Runs Pagefind on `(url, html)` pages; returns the bundle's files as (relative name, bytes).
fn index_pages(
    pages: &[(String, &[u8])],
    language: &str,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    // One build at a time uses the previous index; a poisoned lock only loses the reuse.
    let mut previous = PREVIOUS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    index_pages_after(&mut previous, pages, language).map(|(files, _)| files)
}

/// The files of a Pagefind bundle: output path and bytes.
type BundleFiles = Vec<(String, Vec<u8>)>;

/// [`index_pages`] given the previous index; also returns how many pages were parsed.
fn index_pages_after(
    previous: &mut Option<PreviousIndex>,
    pages: &[(String, &[u8])],
    language: &str,
) -> Result<(BundleFiles, usize), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| e.to_string())?;
    let urls: Vec<String> = pages.iter().map(|(url, _)| url.clone()).collect();
    let hashes: Vec<u64> = pages.iter().map(|(_, html)| page_hash(html)).collect();
    let reusable = previous
        .take()
        .filter(|p| p.language == language && p.urls == urls);
    let result = runtime.block_on(async {
        let (mut index, old_hashes) = match reusable {
            Some(p) => (p.index, p.hashes),
            None => {
                let options = pagefind::options::PagefindServiceConfig::builder()
                    .force_language(language.to_string())
                    .exclude_selectors(EXCLUDED.iter().map(|s| s.to_string()).collect())
                    .build();
                let index =
                    pagefind::api::PagefindIndex::new(Some(options)).map_err(|e| e.to_string())?;
                (index, Vec::new())
            }
        };
        let mut parsed = 0;
        for (i, (url, html)) in pages.iter().enumerate() {
            if old_hashes.get(i) == Some(&hashes[i]) {
                continue;
            }
            parsed += 1;
            index
                .add_html_file(
                    None,
                    Some(url.clone()),
                    String::from_utf8_lossy(html).into_owned(),
                )
                .await
                .map_err(|e| format!("{url}\u{a0}: {e}"))?;
        }
        let files = index.get_files().await.map_err(|e| e.to_string())?;
        let files = files
            .into_iter()
            .map(|f| {
                let name = f
                    .filename
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                (name, f.contents)
            })
            .collect();
        Ok::<_, String>((files, index, parsed))
    });
    let (files, index, parsed) = result?;
    *previous = Some(PreviousIndex {
        language: language.to_string(),
        urls,
        hashes,
        index,
    });
    Ok((files, parsed))
}

impl Ctx<'_> {
    /// `/recherche/`: the search form (shown by `recherche.js`) and, for everyone, the lists
    /// to browse instead.
    pub(super) fn search_page(&self) -> Page {
        let site = self.site;
        let browse = |nom: &str, url: &str, nombre: usize, un: &str, plusieurs: &str| -> Value {
            json!({"nom": nom, "url": self.url(url), "nombre": nombre, "un": un, "plusieurs": plusieurs})
        };
        Page {
            url: "recherche/".into(),
            output: "recherche/index.html".into(),
            template: "recherche.html",
            context: json!({
                "page": self.page("recherche/", "Rechercher", "Rechercher une ville, une étude de cas, une stratégie, un canal ou un public dans l’atlas.", "recherche", json!([])),
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
            let p: Vec<(String, &[u8])> =
                p.iter().map(|(u, h)| (u.clone(), h.as_slice())).collect();
            index_pages_after(previous, &p, "fr").unwrap()
        };
        let mut previous = None;
        let (first, parsed) = run(&mut previous, &pages(&b));
        assert_eq!(parsed, 3);
        let (again, parsed) = run(&mut previous, &pages(&b));
        assert_eq!(parsed, 0, "nothing changed");
        assert_eq!(again, first);
        let (edited, parsed) = run(&mut previous, &pages(&b2));
        assert_eq!(parsed, 1, "only the edited page");
        let (fresh, _) = run(&mut None, &pages(&b2));
        assert_eq!(edited, fresh, "same bytes as a fresh index");
        assert_ne!(edited, first);
        // Another set of pages starts a new index.
        let fewer = vec![("/villes/avignon/".to_string(), a.clone())];
        let (_, parsed) = run(&mut previous, &fewer);
        assert_eq!(parsed, 1);
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
