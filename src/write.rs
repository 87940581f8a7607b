//! Stage 5, **write**: put the rendered files on disk atomically.
//!
//! Everything is written into a fresh temporary folder next to the output (same file system,
//! so renames are atomic), and only when every file is written does it replace the output.
//! A failed build therefore leaves the previous output exactly as it was, and files of an
//! older build never survive, since the new output is a new folder.

use std::io;
use std::path::{Path, PathBuf};

use crate::render::OutputFile;

/// Writes `files` to `output`, replacing it whole. On error, `output` is untouched and the
/// temporary folder is removed.
pub fn write_atomically(output: &Path, files: &[OutputFile]) -> io::Result<()> {
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)?;
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "public".to_string());
    let staging = unique_sibling(&parent, &format!(".{name}.tmp"));
    let result =
        write_all(&staging, files).and_then(|()| swap_in(&staging, output, &parent, &name));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn write_all(staging: &Path, files: &[OutputFile]) -> io::Result<()> {
    std::fs::create_dir(staging)?;
    for file in files {
        let path = staging.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(&path, &file.bytes)?;
    }
    Ok(())
}

/// Moves the old output aside, moves the new one in, then deletes the old one. If the second
/// rename fails, the old output is put back.
fn swap_in(staging: &Path, output: &Path, parent: &Path, name: &str) -> io::Result<()> {
    match std::fs::symlink_metadata(output) {
        Ok(metadata) if metadata.is_dir() => {
            let old = unique_sibling(parent, &format!(".{name}.old"));
            std::fs::rename(output, &old)?;
            if let Err(error) = std::fs::rename(staging, output) {
                let _ = std::fs::rename(&old, output);
                return Err(error);
            }
            let _ = std::fs::remove_dir_all(&old);
            Ok(())
        }
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} existe et n’est pas un dossier", output.display()),
        )),
        Err(error) if error.kind() == io::ErrorKind::NotFound => std::fs::rename(staging, output),
        Err(error) => Err(error),
    }
}

/// A name next to the output that no other build uses (pid + counter).
fn unique_sibling(parent: &Path, prefix: &str) -> PathBuf {
    let pid = std::process::id();
    for counter in 0.. {
        let candidate = parent.join(format!("{prefix}-{pid}-{counter}"));
        if !candidate.exists() {
            return candidate;
        }
    }
    unreachable!("an unused name always exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> OutputFile {
        OutputFile {
            path: path.to_string(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn replaces_the_output_and_drops_stale_files() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        write_atomically(&output, &[file("a/index.html", "1"), file("old.html", "x")]).unwrap();
        write_atomically(&output, &[file("a/index.html", "2")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(output.join("a/index.html")).unwrap(),
            "2"
        );
        assert!(!output.join("old.html").exists());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("public")]);
    }

    #[test]
    fn a_failed_write_leaves_the_output_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        write_atomically(&output, &[file("index.html", "good")]).unwrap();
        // A file and a folder with the same path cannot both be written.
        let error = write_atomically(&output, &[file("x", "1"), file("x/y", "2")]);
        assert!(error.is_err());
        assert_eq!(
            std::fs::read_to_string(output.join("index.html")).unwrap(),
            "good"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
