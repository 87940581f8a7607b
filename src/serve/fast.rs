//! The fast path of `serve`, as Hugo's « fast render mode »: when a save changes only the
//! Markdown body of existing case studies, their pages are rendered alone, from what the last
//! good full build computed ([`Base`]), and served at once; the full rebuild follows in the
//! background and brings the rest of the site (search index, feeds, open data) to what `build`
//! gives.
//!
//! The path is taken only when the result is certain to be the page of a full build: every
//! changed file is an existing case study (`content/cas/…/*.md`) of that build, it reads and
//! parses without error, its front matter is the same, field for field, as the one the build
//! used (every field feeds other pages: listings, cards, related case studies, analysis), and
//! its body's internal links point to pages of the site. Anything else — a new, renamed or
//! deleted file, a front-matter edit, an error, another kind of file — takes the full path.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::display_path;
use crate::load::{self, CASES_DIR, SourceFile};
use crate::model::{CaseFrontMatter, Source, SpannedStr};
use crate::render::single::{self, Snapshot};

/// More changed files than this in one batch (a checkout, a search and replace) take the full
/// path: it is as fast for them.
pub const MAX_FILES: usize = 8;

/// What the last good full build leaves for the fast path.
pub struct Base {
    snapshot: Snapshot,
    /// The site paths that Markdown links may point to.
    known: HashSet<String>,
    /// Case studies by source file (as `display_path` writes it): index in the snapshot.
    cases: HashMap<String, usize>,
    /// The last batch of changes that this build includes.
    pub seq: u64,
}

impl Base {
    /// `outputs`: the paths of the build's files.
    pub fn new<'a>(
        snapshot: Snapshot,
        outputs: impl IntoIterator<Item = &'a str>,
        seq: u64,
    ) -> Base {
        let known = snapshot.link_targets(outputs);
        let cases = snapshot
            .site
            .cases
            .iter()
            .enumerate()
            .map(|(index, case)| (case.file.clone(), index))
            .collect();
        Base {
            snapshot,
            known,
            cases,
            seq,
        }
    }
}

/// A page rendered by the fast path.
#[derive(Debug)]
pub struct FastPage {
    /// Output path (`cas/<slug>/index.html`).
    pub output: String,
    pub bytes: Vec<u8>,
}

/// The pages of the case studies in `changed` (absolute paths below `root`), when the fast path
/// can take the batch; `None` when the full path must.
pub fn render(root: &Path, base: &Base, changed: &[PathBuf]) -> Option<Vec<FastPage>> {
    if changed.is_empty() || changed.len() > MAX_FILES {
        return None;
    }
    let mut pages = Vec::with_capacity(changed.len());
    for path in changed {
        let display = display_path(root, path);
        if !path.starts_with(root) || !is_case_file(&display) {
            return None;
        }
        let &index = base.cases.get(&display)?;
        let case = &base.snapshot.site.cases[index];
        let new = load::read_source(root, path).ok()?;
        let old = SourceFile {
            path: path.clone(),
            display,
            text: std::sync::Arc::clone(&case.text),
        };
        let new = load::parse_case(new).ok()?;
        let old = load::parse_case(old).ok()?;
        if new.slug != case.slug || !same_front_matter(&new.front, &old.front) {
            return None;
        }
        let (output, bytes) = single::case_page(&base.snapshot, index, &new.body, &base.known)?;
        pages.push(FastPage { output, bytes });
    }
    Some(pages)
}

/// `content/cas/…/<name>.md`, as the loader lists case studies (hidden folders and files left
/// out, the extension in any case).
fn is_case_file(display: &str) -> bool {
    let Some(rest) = display.strip_prefix(CASES_DIR) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('/') else {
        return false;
    };
    let name = rest.rsplit('/').next().unwrap_or(rest);
    rest.split('/')
        .all(|part| !part.is_empty() && !part.starts_with('.'))
        && !name.ends_with('~')
        && name
            .rsplit_once('.')
            .is_some_and(|(_, extension)| extension.eq_ignore_ascii_case("md"))
}

/// Whether two front matters say the same thing: every field, positions aside. The fields are
/// named one by one (a new field does not compile until it is compared here).
fn same_front_matter(a: &CaseFrontMatter, b: &CaseFrontMatter) -> bool {
    let CaseFrontMatter {
        titre,
        resume,
        villes,
        strategies,
        canaux,
        publics,
        date,
        statut,
        sources,
    } = a;
    *titre == b.titre
        && *resume == b.resume
        && same_list(villes, &b.villes)
        && same_list(strategies, &b.strategies)
        && same_list(canaux, &b.canaux)
        && same_list(publics, &b.publics)
        && date.value == b.date.value
        && *statut == b.statut
        && sources.len() == b.sources.len()
        && sources
            .iter()
            .zip(&b.sources)
            .all(|(a, b)| same_source(a, b))
}

fn same_list(a: &[SpannedStr], b: &[SpannedStr]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.value == b.value)
}

fn same_source(a: &Source, b: &Source) -> bool {
    let Source {
        id,
        titre,
        url,
        consulte,
    } = a;
    id.as_ref().map(|i| &i.value) == b.id.as_ref().map(|i| &i.value)
        && *titre == b.titre
        && url.value == b.url.value
        && consulte.value == b.consulte.value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_case_study_files_qualify() {
        assert!(is_case_file("content/cas/a.md"));
        assert!(is_case_file("content/cas/2024/a.MD"));
        assert!(!is_case_file("content/cas"));
        assert!(!is_case_file("content/cas/"));
        assert!(!is_case_file("content/cas/a.yaml"));
        assert!(!is_case_file("content/cas/.brouillons/a.md"));
        assert!(!is_case_file("content/cas/.a.md"));
        assert!(!is_case_file("content/casx/a.md"));
        assert!(!is_case_file("content/villes/avignon.yaml"));
        assert!(!is_case_file("content/opportunites/a.md"));
        assert!(!is_case_file("atlas.yaml"));
    }

    fn front(text: &str) -> CaseFrontMatter {
        let file = SourceFile {
            path: PathBuf::from("/site/content/cas/a.md"),
            display: "content/cas/a.md".into(),
            text: std::sync::Arc::from(text),
        };
        load::parse_case(file).unwrap().front
    }

    const CASE: &str = "---\ntitre: T\nresume: R\nvilles: [avignon]\nstrategies: [s]\ndate: 2024-01-02\nsources:\n  - titre: S\n    url: https://example.org/\n    consulte: 2024-01-03\n---\nCorps.\n";

    #[test]
    fn front_matters_compare_by_value_not_position() {
        let a = front(CASE);
        // A comment and other spacing move every position, not a value.
        let moved = CASE
            .replace("---\ntitre", "---\n# note\ntitre")
            .replace("villes: [avignon]", "villes:\n  - avignon");
        assert!(same_front_matter(&a, &front(&moved)));
        for (from, to) in [
            ("titre: T", "titre: T2"),
            ("resume: R", "resume: R2"),
            ("villes: [avignon]", "villes: [avignon, carpentras]"),
            ("strategies: [s]", "strategies: [s, t]"),
            ("date: 2024-01-02", "date: 2024-01-03"),
            ("sources:", "statut: brouillon\nsources:"),
            ("titre: S", "titre: S2"),
            ("https://example.org/", "https://example.org/b"),
            ("consulte: 2024-01-03", "consulte: 2024-01-04"),
            ("  - titre: S", "  - id: x\n    titre: S"),
        ] {
            assert!(
                !same_front_matter(&a, &front(&CASE.replace(from, to))),
                "{from} → {to}"
            );
        }
        let with_channel = CASE.replace("date:", "canaux: [c]\ndate:");
        assert!(!same_front_matter(&a, &front(&with_channel)));
        let with_public = CASE.replace("date:", "publics: [p]\ndate:");
        assert!(!same_front_matter(&a, &front(&with_public)));
    }
}
