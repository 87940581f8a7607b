//! Watching the site's sources with notify, debounced: the saves of an editor (write to a
//! temporary file, rename it over the old one, touch a backup) come as one batch of paths.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::RecursiveMode;
use notify::event::EventKind;
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer_opt};

/// How long the watcher waits for a file to be quiet before reporting it: short, for the fast
/// path (an editor's save is a burst of system calls well within it); the full rebuild waits
/// longer (`SETTLE` in `serve.rs`).
pub const DEBOUNCE: Duration = Duration::from_millis(30);

/// How often the watcher looks for changes that have been quiet for [`DEBOUNCE`].
const TICK: Duration = Duration::from_millis(5);

/// The folders watched recursively, below the site root; `atlas.yaml` is watched through the
/// root (not recursively), which also sees these folders appear or disappear.
pub const FOLDERS: [&str; 4] = ["content", "themes", "templates", "static"];

pub struct Watcher {
    root: PathBuf,
    debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
    watched: Vec<PathBuf>,
}

impl Watcher {
    /// Starts watching `root`; batches of changed paths (absolute) are sent to `batches`.
    pub fn start(root: &Path, batches: mpsc::Sender<Vec<PathBuf>>) -> Result<Watcher, String> {
        let filter_root = root.to_path_buf();
        // Symbolic links are not followed: a chain of folders that link twice to the next one
        // would make the recursive watch walk 2^n paths (the build refuses such links).
        let config = notify::Config::default().with_follow_symlinks(false);
        let debouncer = new_debouncer_opt::<_, notify::RecommendedWatcher, RecommendedCache>(
            DEBOUNCE,
            Some(TICK),
            move |result: DebounceEventResult| match result {
                Ok(events) => {
                    let mut paths: Vec<PathBuf> = events
                        .iter()
                        .filter(|event| !matches!(event.kind, EventKind::Access(_)))
                        .flat_map(|event| event.paths.iter())
                        .filter(|path| relevant(&filter_root, path))
                        .cloned()
                        .collect();
                    paths.sort();
                    paths.dedup();
                    if !paths.is_empty() {
                        let _ = batches.send(paths);
                    }
                }
                Err(errors) => {
                    for error in errors {
                        eprintln!("surveillance des fichiers\u{a0}: {error}");
                    }
                }
            },
            RecommendedCache::new(),
            config,
        )
        .map_err(|error| format!("surveillance des fichiers impossible\u{a0}: {error}"))?;
        let mut watcher = Watcher {
            root: root.to_path_buf(),
            debouncer,
            watched: Vec::new(),
        };
        watcher
            .debouncer
            .watch(root, RecursiveMode::NonRecursive)
            .map_err(|error| {
                format!(
                    "surveillance de {} impossible\u{a0}: {error}",
                    root.display()
                )
            })?;
        watcher.refresh(&[]);
        Ok(watcher)
    }

    /// Watches the folders that exist and are not watched yet, and watches again a folder
    /// that a batch reports as created, renamed or deleted (its old watch is gone).
    pub fn refresh(&mut self, batch: &[PathBuf]) {
        for name in FOLDERS {
            let folder = self.root.join(name);
            let known = self.watched.contains(&folder);
            let touched = batch.contains(&folder);
            if known && touched {
                let _ = self.debouncer.unwatch(&folder);
                self.watched.retain(|w| *w != folder);
            }
            if folder.is_dir() && (!known || touched) {
                match self.debouncer.watch(&folder, RecursiveMode::Recursive) {
                    Ok(()) => self.watched.push(folder),
                    Err(error) => eprintln!(
                        "surveillance de {} impossible\u{a0}: {error}",
                        folder.display()
                    ),
                }
            }
        }
    }
}

/// Whether a change at `path` can change the site: `atlas.yaml` and what is inside the
/// watched folders, except editors' temporary and backup files.
pub fn relevant(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else {
        return false;
    };
    let mut components = relative.components();
    let Some(first) = components.next() else {
        return false;
    };
    let first = first.as_os_str().to_string_lossy();
    if first == crate::load::CONFIG_FILE {
        return components.next().is_none();
    }
    if !FOLDERS.contains(&first.as_ref()) {
        return false;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    !(name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || name == "4913"
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name.contains("___jb_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editors_temporary_files_are_not_changes() {
        let root = Path::new("/site");
        assert!(relevant(root, Path::new("/site/atlas.yaml")));
        assert!(relevant(root, Path::new("/site/content/cas/a.md")));
        assert!(relevant(root, Path::new("/site/content")));
        assert!(relevant(
            root,
            Path::new("/site/themes/default/static/style.css")
        ));
        assert!(!relevant(root, Path::new("/site/public/index.html")));
        assert!(!relevant(root, Path::new("/site/README.md")));
        assert!(!relevant(root, Path::new("/site/content/cas/.a.md.swp")));
        assert!(!relevant(root, Path::new("/site/content/cas/a.md~")));
        assert!(!relevant(root, Path::new("/site/content/cas/4913")));
        assert!(!relevant(root, Path::new("/site/content/cas/#a.md#")));
        assert!(!relevant(
            root,
            Path::new("/site/content/cas/a.md___jb_tmp___")
        ));
        assert!(!relevant(root, Path::new("/elsewhere/atlas.yaml")));
    }
}
