//! Micro-benchmarks of the hot functions (issue 8): the front-matter split, Markdown with the
//! French typography pass on a generated 600-word case study, one case study's page rendered
//! alone (`one_case_page`: Markdown, context, Tera, minify-html), the theme and the whole
//! pipeline on a small site, and the synergy analysis of 10,000 case studies.
//!
//! Run with `cargo bench --bench hot` (one function: `cargo bench --bench hot -- markdown`).
//! The corpus is the one of `bench/run` (`vaucluse_atlas::corpus`, same seed).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vaucluse_atlas::load::{self, SourceFile};
use vaucluse_atlas::model::RawHtml;
use vaucluse_atlas::{BuildOptions, corpus, markdown};

/// The seed of `gen-corpus` and `bench/run`.
const SEED: u64 = 2026;

fn main() {
    divan::main();
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A site of `cases` generated case studies over the real cities, referential and theme.
fn corpus_site(cases: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    corpus::write_atlas(repo(), dir.path(), cases, SEED).expect("corpus written");
    dir
}

/// The first case study of the corpus: its Markdown body (about 600 words) and its slug.
fn case_body() -> (String, String) {
    let (cities, strategies) = corpus::vocabulary(repo()).expect("real referential");
    let case = corpus::cases(1, SEED, &cities, &strategies)
        .pop()
        .expect("one case");
    (case.body, case.slug)
}

/// The first case-study file of a written corpus, as `load` reads it.
fn case_file(root: &Path) -> SourceFile {
    let path: PathBuf = root.join("content/cas/etude-00001.md");
    let text = std::fs::read_to_string(&path).expect("case file");
    SourceFile {
        path,
        display: "content/cas/etude-00001.md".to_string(),
        text: Arc::from(text),
    }
}

#[divan::bench]
fn front_matter_split(bencher: divan::Bencher) {
    let site = corpus_site(1);
    let file = case_file(site.path());
    bencher
        .counter(divan::counter::BytesCount::new(file.text.len()))
        .bench(|| {
            load::split_front_matter(divan::black_box(&file))
                .map(|(yaml, body, line)| (yaml.len(), body.len(), line))
                .ok()
        });
}

/// The whole file as `load` parses it: split, then the YAML front matter (serde-saphyr).
#[divan::bench]
fn parse_case_file(bencher: divan::Bencher) {
    let site = corpus_site(1);
    let file = case_file(site.path());
    bencher
        .counter(divan::counter::BytesCount::new(file.text.len()))
        .with_inputs(|| file.clone())
        .bench_values(|file| load::parse_case(file).is_ok());
}

/// Markdown, French typography, heading anchors, link rewriting, and the HTML cleaner (the
/// default, `html_brut: nettoye`).
#[divan::bench]
fn markdown_render(bencher: divan::Bencher) {
    let (body, slug) = case_body();
    let page = format!("cas/{slug}/");
    bencher
        .counter(divan::counter::BytesCount::new(body.len()))
        .bench(|| {
            markdown::render(divan::black_box(&body), &page, "/")
                .html
                .len()
        });
}

/// The same with raw HTML kept as written (`html_brut: autorise`): the cleaner's share is the
/// difference with `markdown_render`.
#[divan::bench]
fn markdown_render_raw_html(bencher: divan::Bencher) {
    let (body, slug) = case_body();
    let page = format!("cas/{slug}/");
    bencher
        .counter(divan::counter::BytesCount::new(body.len()))
        .bench(|| {
            markdown::render_with(divan::black_box(&body), &page, "/", RawHtml::Allowed)
                .html
                .len()
        });
}

/// The typography pass alone, on the whole body as one text.
#[divan::bench]
fn typography(bencher: divan::Bencher) {
    let (body, _) = case_body();
    bencher
        .counter(divan::counter::BytesCount::new(body.len()))
        .bench(|| markdown::typography(divan::black_box(&body)).len());
}

/// One template render: a case study's page alone, as `serve` renders it after a save and as
/// the full build renders each page (Markdown of its ~600 words, its context, Tera, minify-html),
/// in a site of 100 generated case studies over the real cities and theme.
#[divan::bench(sample_count = 50)]
fn one_case_page(bencher: divan::Bencher) {
    let site = corpus_site(100);
    let page = vaucluse_atlas::render::CasePageBench::new(site.path()).expect("the corpus builds");
    let bytes = page.render(0).expect("the page renders").1.len();
    bencher
        .counter(divan::counter::BytesCount::new(bytes))
        .bench(|| {
            page.render(divan::black_box(0))
                .map(|(_, bytes)| bytes.len())
        });
}

/// Reading and compiling the real atlas's theme (every Tera template, static files).
#[divan::bench(sample_count = 20)]
fn theme_load(bencher: divan::Bencher) {
    bencher.bench(|| {
        vaucluse_atlas::render::Theme::load(repo(), "default")
            .map(|_| ())
            .map_err(|e| e.len())
    });
}

/// No public API renders one page: the whole pipeline without writing (load, resolve,
/// analyse, render of every page, search index) on 10 case studies over the 151 communes
/// stands for it. Divide by the pages it reports to get a per-page upper bound.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn compile_10_cases(bencher: divan::Bencher) {
    let site = corpus_site(10);
    let options = BuildOptions::new(site.path());
    bencher.bench(|| {
        let compiled = vaucluse_atlas::compile(&options).expect("the corpus builds");
        divan::black_box(compiled.pages)
    });
}

/// The synergy analysis (inverted indexes, links, related case studies, opportunities) of
/// 10,000 case studies, loaded and resolved once outside the measure.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn analyse_10k(bencher: divan::Bencher) {
    let site = corpus_site(10_000);
    let (loaded, _) = load::load_site(site.path());
    let (resolved, diagnostics) = vaucluse_atlas::resolve::resolve(&loaded, &Default::default());
    let resolved = resolved.unwrap_or_else(|| panic!("{diagnostics:?}"));
    bencher.bench(|| divan::black_box(vaucluse_atlas::analyse::analyse(&resolved)));
}
