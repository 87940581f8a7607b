//! Build benchmark: the whole pipeline (load → resolve → analyse → render, without writing)
//! and the write stage, on synthetic atlases of 100, 1,000 and 10,000 case studies over the
//! 151 communes of Vaucluse, plus the real atlas of `content/`.
//!
//! Run with `cargo bench`. The synthetic site reuses the real referential and theme.

use std::path::{Path, PathBuf};

use vaucluse_atlas::BuildOptions;

fn main() {
    divan::main();
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Writes a site with `cases` case studies spread over the real atlas's cities and strategies.
fn synthetic_site(cases: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&repo().join("themes/default"), &root.join("themes/default"));
    copy_dir(
        &repo().join("content/referentiel"),
        &root.join("content/referentiel"),
    );
    copy_dir(&repo().join("content/villes"), &root.join("content/villes"));
    std::fs::copy(repo().join("atlas.yaml"), root.join("atlas.yaml")).unwrap();
    let slugs = |dir: &str| -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .path()
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .to_string()
            })
            .collect();
        out.sort();
        out
    };
    let cities = slugs("content/villes");
    let strategies: Vec<String> =
        std::fs::read_to_string(root.join("content/referentiel/strategies.yaml"))
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("- slug: "))
            .map(|s| s.trim().to_string())
            .collect();
    std::fs::create_dir_all(root.join("content/cas")).unwrap();
    for i in 0..cases {
        let city_a = &cities[i % cities.len()];
        let city_b = &cities[(i * 7 + 3) % cities.len()];
        let strategy_a = &strategies[i % strategies.len()];
        let strategy_b = &strategies[(i * 5 + 1) % strategies.len()];
        let villes = if city_a == city_b {
            city_a.clone()
        } else {
            format!("{city_a}, {city_b}")
        };
        let strats = if strategy_a == strategy_b {
            strategy_a.clone()
        } else {
            format!("{strategy_a}, {strategy_b}")
        };
        let text = format!(
            "---\ntitre: Étude de cas numéro {i}\nresume: Une pratique de marketing territorial observée à {city_a}.\nvilles: [{villes}]\nstrategies: [{strats}]\npublics: [habitants]\ndate: 20{:02}-{:02}-{:02}\nsources:\n  - titre: Source {i}\n    url: https://exemple.test/{i}\n    consulte: 2026-11-27\n---\n## Contexte\n\nLa ville de [{city_a}](/villes/{city_a}/) a mené une action : « une pratique » !\n\n## Ce qui a été fait\n\n| Année | Valeur |\n|---|---|\n| 2020 | {i} |\n\nUn fait sourcé[^1].\n\n[^1]: Source {i}.\n",
            10 + i % 15,
            1 + i % 12,
            1 + i % 28
        );
        std::fs::write(root.join(format!("content/cas/cas-{i:05}.md")), text).unwrap();
    }
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
