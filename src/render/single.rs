//! One case study's page rendered alone, for the fast path of `serve` (see
//! `crate::serve`): after a save that changes only a case study's Markdown body, its page is
//! rendered again from what the previous full build computed (the resolved site, its analysis,
//! the theme and the values given to every page), without computing the rest of the site.
//!
//! The steps are those of [`super::render_site_cached`] for that page — Markdown, the page's
//! context, its search result type, then the full build's own `render_page` (Tera with the
//! same `site` value, minify-html with the same options) — so the bytes are those the full
//! build gives: the `serve` tests compare them with a
//! fresh `build`. Anything that the full build would refuse (a broken internal link, a template
//! error) makes this path give up: the full rebuild reports it.

use std::collections::HashSet;
use std::sync::Arc;

use tera::Value;

use super::{Cards, Ctx, Memo, StepClocks, Theme, render_page, search};
use crate::analyse::Analysis;
use crate::resolve::Site;

/// What a successful full build leaves for rendering one page alone.
pub(crate) struct Snapshot {
    pub(crate) site: Site,
    pub(crate) analysis: Analysis,
    pub(crate) theme: Arc<Theme>,
    /// The `site` value given to every template.
    pub(crate) site_value: Value,
}

impl Snapshot {
    /// The same snapshot in fresh memory: the build allocated its values among the transient
    /// ones of every page, and kept there, they would hold much of that memory while the next
    /// build runs (measured: 0.7 GB for 10,000 case studies, against 0.1 GB once copied).
    pub(crate) fn compact(self) -> Snapshot {
        Snapshot {
            site: self.site.clone(),
            analysis: self.analysis.clone(),
            theme: self.theme,
            // A Tera value's clone shares its maps: serialised again into new ones.
            site_value: Value::from_serializable(&self.site_value),
        }
    }

    /// The site paths an internal Markdown link may point to, as the full build checks them:
    /// every page (`outputs` are the build's files; a page's path is its output without
    /// `index.html`) and every static file of the theme.
    pub(crate) fn link_targets<'a>(
        &self,
        outputs: impl IntoIterator<Item = &'a str>,
    ) -> HashSet<String> {
        let mut known: HashSet<String> = self.theme.statics.keys().cloned().collect();
        for output in outputs {
            if output.ends_with(".html") && !self.theme.statics.contains_key(output) {
                known.insert(
                    output
                        .strip_suffix("index.html")
                        .unwrap_or(output)
                        .to_string(),
                );
            }
        }
        known
    }
}

/// The page of the case study `index` of the snapshot with `body` as its Markdown: its output
/// path and bytes. `None` when the full build would not give this page as it is: a link of
/// `body` to a page that `known` does not have, a template error.
pub(crate) fn case_page(
    snapshot: &Snapshot,
    index: usize,
    body: &str,
    known: &HashSet<String>,
) -> Option<(String, Vec<u8>)> {
    let site = &snapshot.site;
    let case = site.cases.get(index)?;
    let markdown = crate::markdown::render_with(
        body,
        &format!("cas/{}/", case.slug),
        &site.config.base_path,
        site.config.html_brut,
    );
    if markdown
        .internal_links
        .iter()
        .any(|link| !known.contains(&link.target))
    {
        return None;
    }
    let ctx = Ctx {
        site,
        ix: &snapshot.analysis.indexes,
        an: &snapshot.analysis,
        memo: Memo::new(site, &snapshot.analysis),
        cards: Cards::of(&snapshot.theme),
    };
    // The page as the full build makes it, its context given at once (the full build builds it
    // from the page's index and its Markdown, in `render_page`).
    let mut page = ctx.case_page(index, case);
    page.context = ctx.case_context(index, &markdown.html);
    page.case = None;
    if site.config.recherche {
        search::mark_indexable(std::slice::from_mut(&mut page));
    }
    let minify = super::minify_config();
    let bytes = render_page(
        &ctx,
        &mut page,
        &[],
        &snapshot.theme,
        &snapshot.site_value,
        None,
        site.config.minifier.then_some(&minify),
        &StepClocks::default(),
    )
    .ok()?;
    // A card that failed leaves the error to the full build, which reports it.
    if !ctx.cards.take_failures().is_empty() {
        return None;
    }
    Some((page.output, bytes))
}

/// One case study's page rendered alone, for the micro-benchmark of one template render
/// (`cargo bench --bench hot -- one_case_page`): the full build's steps for one page —
/// Markdown, context, Tera, minify-html — through the function `serve` uses after a save.
#[doc(hidden)]
pub struct CasePageBench {
    snapshot: Snapshot,
    known: HashSet<String>,
}

impl CasePageBench {
    /// Builds the site at `root` in memory, as `serve` does, and keeps what rendering one
    /// page needs; `None` if the site does not build.
    pub fn new(root: &std::path::Path) -> Option<CasePageBench> {
        let cache = crate::incremental::Cache::new();
        cache.begin();
        let compiled = crate::compile_cached(&crate::BuildOptions::new(root), Some(&cache)).ok()?;
        cache.finish(true);
        let snapshot = cache.take_snapshot()?.compact();
        let known = snapshot.link_targets(compiled.files.iter().map(|f| f.path.as_str()));
        Some(CasePageBench { snapshot, known })
    }

    /// The page of case study `index` with its own body: its output path and bytes.
    pub fn render(&self, index: usize) -> Option<(String, Vec<u8>)> {
        let body = &self.snapshot.site.cases.get(index)?.body;
        case_page(&self.snapshot, index, body, &self.known)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::incremental::Cache;

    fn copy_dir(from: &Path, to: &Path) {
        crate::corpus::copy_dir(from, to).unwrap();
    }

    /// Every case study's page, rendered alone from the snapshot with its own body, is the
    /// page of the full build, byte for byte: minified or not, under a sub-path, drafts too.
    #[test]
    fn a_case_page_rendered_alone_is_the_page_of_the_full_build() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo.join("tests/fixtures/mini"), dir.path());
        copy_dir(
            &repo.join("themes/default"),
            &dir.path().join("themes/default"),
        );
        for (minify, base_url) in [
            (false, None),
            (true, None),
            (true, Some("https://example.org/atlas/")),
        ] {
            let config = dir.path().join("atlas.yaml");
            let text = std::fs::read_to_string(&config).unwrap();
            let text = text
                .replace("minifier: false", "minifier: MINIFY")
                .replace("minifier: true", "minifier: MINIFY")
                .replace("MINIFY", if minify { "true" } else { "false" });
            std::fs::write(&config, text).unwrap();
            let mut options = crate::BuildOptions::new(dir.path());
            options.resolve.drafts = true;
            options.resolve.base_url = base_url.map(str::to_string);
            let cache = Cache::new();
            cache.begin();
            let compiled = crate::compile_cached(&options, Some(&cache)).unwrap();
            cache.finish(true);
            let snapshot = cache.take_snapshot().unwrap().compact();
            let known = snapshot.link_targets(compiled.files.iter().map(|f| f.path.as_str()));
            assert!(known.contains("villes/avignon/") && known.contains("static/style.css"));
            assert!(known.contains("") && known.contains("404.html"));
            assert!(!known.contains("cas/atom.xml"));
            assert!(snapshot.site.cases.len() >= 3, "drafts included");
            for (index, case) in snapshot.site.cases.iter().enumerate() {
                let (output, bytes) = case_page(&snapshot, index, &case.body, &known).unwrap();
                let built = compiled.files.iter().find(|f| f.path == output).unwrap();
                assert!(
                    built.bytes == bytes,
                    "{output} (minify: {minify}, {base_url:?})"
                );
            }
            // What the full build would refuse is not rendered.
            assert!(case_page(&snapshot, 0, "[x](/villes/nulle-part/)", &known).is_none());
            assert!(case_page(&snapshot, 0, "[x](/villes/carpentras/)", &known).is_some());
        }
        // The benchmark's entry point (default options) renders the page of the full build.
        let bench = CasePageBench::new(dir.path()).unwrap();
        let compiled = crate::compile(&crate::BuildOptions::new(dir.path())).unwrap();
        let (output, bytes) = bench.render(0).unwrap();
        let published = compiled.files.iter().find(|f| f.path == output).unwrap();
        assert!(published.bytes == bytes, "{output}");
        assert!(bench.render(usize::MAX).is_none());
    }
}
