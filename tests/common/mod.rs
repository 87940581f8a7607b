//! Helpers shared by the integration tests: fixture sites in temporary folders and the binary.

#![allow(dead_code)]

#[cfg(unix)]
pub mod measure;
#[cfg(unix)]
pub mod server;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn copy_dir(from: &Path, to: &Path) {
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

/// A copy of `tests/fixtures/<name>` with the repository's default theme, in a temp folder.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("tests/fixtures").join(name), dir.path());
    let theme = std::env::var("ATLAS_TEST_THEME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("themes/default"));
    copy_dir(&theme, &dir.path().join("themes/default"));
    dir
}

pub fn bin() -> Command {
    Command::cargo_bin("vaucluse-atlas").unwrap()
}

pub fn run(args: &[&str], root: &Path) -> Output {
    let mut command = bin();
    command
        .args(args)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1");
    command.output().unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file of a folder with its bytes, for byte-for-byte comparisons.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path()
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The `href` values of a page.
pub fn hrefs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(index) = rest.find("href=") {
        rest = &rest[index + 5..];
        let (quote, body) = match rest.chars().next() {
            Some('"') => ('"', &rest[1..]),
            Some('\'') => ('\'', &rest[1..]),
            _ => (' ', rest),
        };
        let end = body
            .find(|c: char| c == quote || (quote == ' ' && (c == '>' || c.is_whitespace())))
            .unwrap_or(body.len());
        out.push(body[..end].to_string());
        rest = &body[end..];
    }
    out
}
