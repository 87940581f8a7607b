//! Embeds the default theme (`themes/default/**`) in the binary, so that `vaucluse-atlas init`
//! creates a buildable atlas from any folder. Cargo reruns this script, and rebuilds the crate,
//! whenever a file of the theme changes.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        // Hidden files and editors' backups are not part of the theme.
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        if path.is_dir() {
            collect(&path, files);
        } else if path.is_file() {
            files.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let theme = manifest.join("themes/default");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=themes/default");
    let mut files = Vec::new();
    collect(&theme, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The files of `themes/default`, relative path and bytes, embedded at compile time.\npub static DEFAULT_THEME: &[(&str, &[u8])] = &[\n",
    );
    for file in &files {
        let relative: Vec<String> = file
            .strip_prefix(&theme)
            .expect("under the theme")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        out.push_str(&format!(
            "    ({:?}, include_bytes!({:?})),\n",
            relative.join("/"),
            file.display().to_string()
        ));
    }
    out.push_str("];\n");
    let target = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("default_theme.rs");
    std::fs::write(target, out).expect("write default_theme.rs");
}
