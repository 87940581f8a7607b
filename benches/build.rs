//! Build benchmark: the whole pipeline (load → resolve → analyse → render, without writing)
//! and the write stage, on synthetic atlases of 100, 1,000 and 10,000 case studies over the
//! 151 communes of Vaucluse, plus the real atlas of `content/`.
//!
//! Run with `cargo bench --bench build`. The synthetic site is `vaucluse_atlas::corpus`'s (the
//! corpus of `bench/run`): the real referential, cities and theme, generated case studies.

use std::path::PathBuf;

use vaucluse_atlas::BuildOptions;

/// The seed of `gen-corpus` and `bench/run`.
const SEED: u64 = 2026;

fn main() {
    divan::main();
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// An atlas of `cases` generated case studies (about 600 words each) over the real cities,
/// referential and theme: the corpus of `bench/run` and `gen-corpus`.
fn synthetic_site(cases: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    vaucluse_atlas::corpus::write_atlas(&repo(), dir.path(), cases, SEED).unwrap();
    dir
}

#[divan::bench(args = [100, 1_000, 10_000], sample_count = 3, sample_size = 1)]
fn compile_synthetic(bencher: divan::Bencher, cases: usize) {
    let site = synthetic_site(cases);
    let options = BuildOptions::new(site.path());
    bencher.bench(|| {
        let compiled = vaucluse_atlas::compile(&options).expect("synthetic site builds");
        divan::black_box(compiled.files.len())
    });
}

#[divan::bench(args = [1_000, 10_000, 20_000], sample_count = 5, sample_size = 1)]
fn analyse_synthetic(bencher: divan::Bencher, cases: usize) {
    let site = synthetic_site(cases);
    let (loaded, _) = vaucluse_atlas::load::load_site(site.path());
    let (resolved, diagnostics) = vaucluse_atlas::resolve::resolve(&loaded, &Default::default());
    let resolved = resolved.unwrap_or_else(|| panic!("{diagnostics:?}"));
    bencher.bench(|| divan::black_box(vaucluse_atlas::analyse::analyse(&resolved)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn build_real_atlas(bencher: divan::Bencher) {
    let out = tempfile::tempdir().unwrap();
    let mut options = BuildOptions::new(repo());
    options.output = Some(out.path().join("public"));
    bencher.bench(|| {
        divan::black_box(
            vaucluse_atlas::build(&options)
                .expect("the real atlas builds")
                .pages,
        )
    });
}
