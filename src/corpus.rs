//! Synthetic corpora for benchmarks and load tests: an atlas of N case studies over the real
//! communes and referential, and the same pages as a Hugo site, so that both generators can
//! be measured on equivalent work (`bench/run`, `cargo run --example gen-corpus`).
//!
//! Everything is deterministic from a seed: the same (N, seed) writes the same bytes. The
//! prose is French-like (real words of the field, accents, apostrophes, punctuation that the
//! typography pass rewrites) and each case study has about 600 words with headings, lists,
//! links to city and strategy pages, a table and footnotes, as an editor would write.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// A deterministic pseudo-random generator (SplitMix64): tiny, fast, and good enough for
/// choosing words. Not for anything that needs unpredictability.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `count` distinct indexes of `0..n`, in increasing order.
    pub fn distinct(&mut self, n: usize, count: usize) -> Vec<usize> {
        let mut chosen: Vec<usize> = Vec::with_capacity(count);
        while chosen.len() < count.min(n) {
            let candidate = self.below(n);
            if !chosen.contains(&candidate) {
                chosen.push(candidate);
            }
        }
        chosen.sort_unstable();
        chosen
    }
}

const NOUNS: &[&str] = &[
    "territoire",
    "commune",
    "marque",
    "office de tourisme",
    "habitant",
    "visiteur",
    "entreprise",
    "événement",
    "festival",
    "marché",
    "patrimoine",
    "village",
    "centre-ville",
    "application",
    "site internet",
    "réseau social",
    "campagne",
    "label",
    "stratégie",
    "partenariat",
    "intercommunalité",
    "saison",
    "vignoble",
    "rivière",
    "sentier",
    "musée",
    "artisan",
    "commerçant",
    "association",
    "ambassadeur",
    "journaliste",
    "influenceur",
    "budget",
    "projet",
    "public",
    "récit",
    "image",
    "attractivité",
    "identité",
    "notoriété",
];

const VERBS: &[&str] = &[
    "valorise",
    "accompagne",
    "rassemble",
    "fait connaître",
    "développe",
    "renforce",
    "soutient",
    "anime",
    "met en avant",
    "fédère",
    "attire",
    "raconte",
    "mesure",
    "prolonge",
    "partage",
    "invite",
    "organise",
    "finance",
];

const ADJECTIVES: &[&str] = &[
    "local",
    "provençal",
    "durable",
    "numérique",
    "culturel",
    "touristique",
    "partagé",
    "régional",
    "commun",
    "original",
    "solidaire",
    "festif",
    "historique",
    "nouveau",
    "régulier",
    "ambitieux",
];

const CONNECTORS: &[&str] = &[
    "Depuis plusieurs années,",
    "En outre,",
    "Selon l’équipe municipale,",
    "Chaque printemps,",
    "À l’échelle du département,",
    "Dans le même esprit,",
    "Pour les habitants,",
    "Avec ses partenaires,",
    "Au fil des saisons,",
    "Concrètement,",
];

fn sentence(rng: &mut Rng, out: &mut String) {
    let connector = rng.pick(CONNECTORS);
    let words = 6 + rng.below(9);
    let _ = write!(
        out,
        "{connector} la {} {} le {} {}",
        rng.pick(NOUNS),
        rng.pick(VERBS),
        rng.pick(NOUNS),
        rng.pick(ADJECTIVES)
    );
    for _ in 0..words {
        let word = match rng.below(4) {
            0 => rng.pick(VERBS),
            1 => rng.pick(ADJECTIVES),
            _ => rng.pick(NOUNS),
        };
        out.push(' ');
        out.push_str(word);
    }
    out.push_str(match rng.below(8) {
        0 => " : un choix assumé.",
        1 => " ; le bilan est positif.",
        2 => " !",
        3 => " ?",
        4 => ", « pour tous ».",
        _ => ".",
    });
}

fn paragraph(rng: &mut Rng, sentences: usize, out: &mut String) {
    for i in 0..sentences {
        if i > 0 {
            out.push(' ');
        }
        sentence(rng, out);
    }
    out.push_str("\n\n");
}

/// One case study of the corpus: what both generators are given.
#[derive(Debug, Clone)]
pub struct CorpusCase {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub cities: Vec<usize>,
    pub strategies: Vec<usize>,
    pub date: String,
    /// Markdown, with links written as site paths (`/villes/<slug>/`).
    pub body: String,
}

/// The case studies of a corpus of `count` over `cities` and `strategies` (slugs).
pub fn cases(count: usize, seed: u64, cities: &[String], strategies: &[String]) -> Vec<CorpusCase> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let city_count = 1 + rng.below(3);
            let strategy_count = 1 + rng.below(3);
            let city_list = rng.distinct(cities.len(), city_count);
            let strategy_list = rng.distinct(strategies.len(), strategy_count);
            let first_city = &cities[city_list[0]];
            let title = format!(
                "{} {} à {} (étude {})",
                capitalised(rng.pick::<&str>(NOUNS)),
                rng.pick(ADJECTIVES),
                first_city,
                i + 1
            );
            let mut summary = String::new();
            sentence(&mut rng, &mut summary);
            let date = format!(
                "20{:02}-{:02}-{:02}",
                10 + rng.below(16),
                1 + rng.below(12),
                1 + rng.below(28)
            );
            let mut body = String::with_capacity(5_000);
            body.push_str("## Contexte\n\n");
            paragraph(&mut rng, 3, &mut body);
            paragraph(&mut rng, 3, &mut body);
            body.push_str("## Ce qui a été fait\n\n");
            paragraph(&mut rng, 3, &mut body);
            for _ in 0..4 {
                body.push_str("- ");
                sentence(&mut rng, &mut body);
                body.push('\n');
            }
            body.push('\n');
            let _ = writeln!(
                body,
                "La ville de [{first_city}](/villes/{first_city}/) s’inscrit dans la stratégie [{}](/strategies/{}/)[^1].\n",
                strategies[strategy_list[0]], strategies[strategy_list[0]]
            );
            body.push_str("| Année | Visiteurs | Partenaires |\n|---|---:|---:|\n");
            for year in 0..3 {
                let _ = writeln!(
                    body,
                    "| {} | {} | {} |",
                    2021 + year,
                    1_000 + rng.below(90_000),
                    1 + rng.below(40)
                );
            }
            body.push_str("\n## Résultats\n\n");
            paragraph(&mut rng, 4, &mut body);
            paragraph(&mut rng, 3, &mut body);
            body.push_str("## Pour aller plus loin\n\n");
            for step in 1..=3 {
                let _ = write!(body, "{step}. ");
                sentence(&mut rng, &mut body);
                body.push('\n');
            }
            body.push('\n');
            paragraph(&mut rng, 3, &mut body);
            let _ = writeln!(
                body,
                "Voir aussi [les autres villes](/villes/)[^2].\n\n[^1]: Rapport d’activité {}, page {}.\n[^2]: Entretien avec l’équipe, {}.",
                2020 + rng.below(6),
                1 + rng.below(80),
                date
            );
            CorpusCase {
                slug: format!("etude-{:05}", i + 1),
                title,
                summary,
                cities: city_list,
                strategies: strategy_list,
                date,
                body,
            }
        })
        .collect()
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Slugs of the `*.yaml` files of a folder, sorted.
fn file_stems(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml")
            && let Some(stem) = path.file_stem()
        {
            out.push(stem.to_string_lossy().into_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Slugs of a referential list (`- slug: …` lines), in file order.
fn referential_slugs(file: &Path) -> io::Result<Vec<String>> {
    Ok(std::fs::read_to_string(file)?
        .lines()
        .filter_map(|l| l.strip_prefix("- slug: "))
        .map(|s| s.trim().to_string())
        .collect())
}

/// Copies the folder `from` into `to`, recursively (also used by unit tests).
pub(crate) fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry.path().strip_prefix(from).map_err(io::Error::other)?;
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The city and strategy slugs of the real atlas at `source` (the repository).
pub fn vocabulary(source: &Path) -> io::Result<(Vec<String>, Vec<String>)> {
    Ok((
        file_stems(&source.join("content/villes"))?,
        referential_slugs(&source.join("content/referentiel/strategies.yaml"))?,
    ))
}

/// Writes an atlas of `count` case studies into `out` (created): the theme, the referential and
/// the 151 city cards of the repository at `source`, its `atlas.yaml`, and generated case
/// studies in `content/cas/`.
pub fn write_atlas(source: &Path, out: &Path, count: usize, seed: u64) -> io::Result<()> {
    let (cities, strategies) = vocabulary(source)?;
    copy_dir(&source.join("themes/default"), &out.join("themes/default"))?;
    copy_dir(
        &source.join("content/referentiel"),
        &out.join("content/referentiel"),
    )?;
    copy_dir(&source.join("content/villes"), &out.join("content/villes"))?;
    std::fs::copy(source.join("atlas.yaml"), out.join("atlas.yaml"))?;
    let dir = out.join("content/cas");
    std::fs::create_dir_all(&dir)?;
    for case in cases(count, seed, &cities, &strategies) {
        let list = |indexes: &[usize], names: &[String]| {
            indexes
                .iter()
                .map(|&i| names[i].as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            "---\ntitre: {}\nresume: {}\nvilles: [{}]\nstrategies: [{}]\npublics: [habitants]\ndate: \"{}\"\nstatut: publie\nsources:\n  - titre: Rapport d’activité\n    url: https://exemple.test/{}\n    consulte: \"2026-11-27\"\n---\n\n{}",
            quoted(&case.title),
            quoted(&case.summary),
            list(&case.cities, &cities),
            list(&case.strategies, &strategies),
            case.date,
            case.slug,
            case.body
        );
        std::fs::write(dir.join(format!("{}.md", case.slug)), text)?;
    }
    Ok(())
}

/// Writes the Hugo equivalent of [`write_atlas`] into `out`: the same case studies as pages
/// of a `cas` section, two taxonomies (`villes`, `strategies`: one term page per city and per
/// strategy, with the city's name as its title), a related-pages list on each page (Hugo's
/// `Related` on both taxonomies), and minimal templates without minification.
pub fn write_hugo(source: &Path, out: &Path, count: usize, seed: u64) -> io::Result<()> {
    let (cities, strategies) = vocabulary(source)?;
    std::fs::create_dir_all(out.join("layouts/_default"))?;
    std::fs::write(out.join("hugo.toml"), HUGO_CONFIG)?;
    std::fs::write(out.join("layouts/_default/baseof.html"), HUGO_BASEOF)?;
    std::fs::write(out.join("layouts/_default/single.html"), HUGO_SINGLE)?;
    std::fs::write(out.join("layouts/_default/list.html"), HUGO_LIST)?;
    std::fs::write(out.join("layouts/index.html"), HUGO_HOME)?;
    for city in &cities {
        let dir = out.join("content/villes").join(city);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("_index.md"),
            format!(
                "---\ntitle: {}\n---\n\nLa commune de {city}.\n",
                quoted(city)
            ),
        )?;
    }
    let dir = out.join("content/cas");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("_index.md"), "---\ntitle: Études de cas\n---\n")?;
    for case in cases(count, seed, &cities, &strategies) {
        let list = |indexes: &[usize], names: &[String]| {
            indexes
                .iter()
                .map(|&i| quoted(&names[i]))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let text = format!(
            "---\ntitle: {}\nsummary: {}\nvilles: [{}]\nstrategies: [{}]\ndate: {}\n---\n\n{}",
            quoted(&case.title),
            quoted(&case.summary),
            list(&case.cities, &cities),
            list(&case.strategies, &strategies),
            case.date,
            case.body
        );
        std::fs::write(dir.join(format!("{}.md", case.slug)), text)?;
    }
    Ok(())
}

const HUGO_CONFIG: &str = r#"baseURL = "https://atlas.example/"
languageCode = "fr"
title = "Atlas (corpus de mesure)"
disableKinds = ["RSS"]
[taxonomies]
  ville = "villes"
  strategie = "strategies"
[related]
  threshold = 0
  includeNewer = true
  toLower = false
  [[related.indices]]
    name = "villes"
    weight = 100
  [[related.indices]]
    name = "strategies"
    weight = 80
[markup.goldmark.renderer]
  unsafe = false
"#;

const HUGO_BASEOF: &str = r#"<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>{{ .Title }} · {{ .Site.Title }}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a>
<nav><a href="{{ "/villes/" | relURL }}">Villes</a> <a href="{{ "/cas/" | relURL }}">Études de cas</a> <a href="{{ "/strategies/" | relURL }}">Stratégies</a></nav></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"#;

const HUGO_SINGLE: &str = r#"{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p>{{ .Params.summary }}</p>
<p>Villes : {{ range .GetTerms "villes" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<p>Stratégies : {{ range .GetTerms "strategies" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
{{ .Content }}
{{ with .Site.RegularPages.Related . | first 5 }}
<h2>Études de cas liées</h2>
<ul>{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
</article>
{{ end }}
"#;

const HUGO_LIST: &str = r#"{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ .Content }}
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.summary }}</li>{{ end }}</ul>
{{ end }}
"#;

const HUGO_HOME: &str = r#"{{ define "main" }}
<h1>{{ .Site.Title }}</h1>
<ul>{{ range first 10 .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> (Vec<String>, Vec<String>) {
        (
            (0..151).map(|i| format!("ville-{i}")).collect(),
            (0..28).map(|i| format!("strategie-{i}")).collect(),
        )
    }

    #[test]
    fn the_same_seed_gives_the_same_corpus_and_another_seed_another() {
        let (cities, strategies) = vocabulary();
        let a = cases(20, 7, &cities, &strategies);
        let b = cases(20, 7, &cities, &strategies);
        let c = cases(20, 8, &cities, &strategies);
        assert_eq!(
            a.iter().map(|c| &c.body).collect::<Vec<_>>(),
            b.iter().map(|c| &c.body).collect::<Vec<_>>()
        );
        assert_ne!(a[0].body, c[0].body);
    }

    #[test]
    fn case_studies_have_about_six_hundred_words_and_every_kind_of_block() {
        let (cities, strategies) = vocabulary();
        for case in cases(50, 1, &cities, &strategies) {
            let words = case.body.split_whitespace().count();
            assert!((450..=800).contains(&words), "{words} words");
            for block in ["## ", "\n- ", "\n1. ", "|---|", "[^1]:", "](/villes/"] {
                assert!(case.body.contains(block), "{block} missing");
            }
            assert!((1..=3).contains(&case.cities.len()));
            assert!((1..=3).contains(&case.strategies.len()));
        }
    }
}
