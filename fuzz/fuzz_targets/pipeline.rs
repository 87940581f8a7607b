//! The whole load → resolve → analyse pipeline on a real folder: the fixture site
//! `tests/fixtures/mini`, copied once into a temporary folder, plus a case study
//! (`content/cas/fuzz.md`) and/or a city card (`content/villes/fuzz.yaml`) made of the input.
//!
//! Input: one mode byte, then the file(s). Mode % 3: 0 a case study, 1 a city card, 2 both,
//! split at the first 0xFF byte (never valid UTF-8, so it costs the fuzzer nothing). Mode & 4:
//! drafts are published (`--drafts`).
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vaucluse_atlas::diagnostic::Diagnostic;
use vaucluse_atlas::{ResolveOptions, analyse, load, resolve};

#[path = "common.rs"]
mod common;

const CASE: &str = "content/cas/fuzz.md";
const CITY: &str = "content/villes/fuzz.yaml";

/// The base site, copied once per process. Folders left by earlier runs whose process is gone
/// are removed.
fn site() -> &'static Path {
    static SITE: OnceLock<PathBuf> = OnceLock::new();
    SITE.get_or_init(|| {
        let temp = std::env::temp_dir();
        if let Ok(entries) = std::fs::read_dir(&temp) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if let Some(pid) = name.strip_prefix("vaucluse-atlas-fuzz-")
                    && !Path::new("/proc").join(pid).exists()
                {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let root = temp.join(format!("vaucluse-atlas-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/mini");
        copy_dir(&fixture, &root);
        root
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("temporary folder");
    for entry in std::fs::read_dir(from).expect("tests/fixtures/mini") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn place(root: &Path, relative: &str, bytes: Option<&[u8]>) {
    let path = root.join(relative);
    match bytes {
        Some(bytes) => std::fs::write(&path, bytes).expect("write the input"),
        None => {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (case, city) = match mode % 3 {
        0 => (Some(rest), None),
        1 => (None, Some(rest)),
        _ => match rest.iter().position(|&b| b == 0xFF) {
            Some(at) => (Some(&rest[..at]), Some(&rest[at + 1..])),
            None => (Some(rest), None),
        },
    };
    let root = site();
    place(root, CASE, case);
    place(root, CITY, city);

    let (loaded, mut diagnostics) = load::load_site(root);
    let options = ResolveOptions {
        drafts: mode & 4 != 0,
        ..ResolveOptions::default()
    };
    let (site, mut more) = resolve::resolve(&loaded, &options);
    diagnostics.append(&mut more);
    if let Some(site) = site
        && !diagnostics.iter().any(Diagnostic::is_error)
    {
        let _ = analyse::analyse(&site);
    }
    common::render_diagnostics(&diagnostics);
});
