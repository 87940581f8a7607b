//! Stage 5, **write**: put the rendered files on disk atomically, and fast.
//!
//! 1. **Recover** ([`recover`]): a build killed at any point (kill -9, a closed terminal, a
//!    crash) may have left folders beside the output, named after the output and the process
//!    that made them (`.public.tmp-<pid>-<n>`, `.public.old-<pid>-<n>`, `.public.del-<pid>-<n>`).
//!    Those of dead processes are removed; when the output itself is missing (a kill between
//!    the two renames of the fallback swap below), the old output is first renamed back.
//! 2. **Write** everything into a fresh staging folder `.public.tmp-<pid>-<n>` next to the
//!    output (same file system, so renames are atomic), in parallel and as the pages are
//!    rendered ([`Staging`]): every folder is created once, before its first file. No file is
//!    fsynced: the guarantee is against an interrupted process, not a power cut (which would
//!    need a sync of every file).
//! 3. **Swap**: on Linux, `renameat2(RENAME_EXCHANGE)` exchanges the staging folder and the
//!    output in one step, so the output path always names a complete site, the old one or the
//!    new one. Elsewhere, or on a file system without it, two renames (output → `.old`,
//!    staging → output), which step 1 repairs if interrupted in between.
//! 4. **Delete** the old site, in parallel. A `.old` folder is renamed `.del` before its
//!    deletion starts, so that a `.old` folder is always complete and safe to restore.
//!
//! A failed build therefore leaves the previous output exactly as it was, and files of an
//! older build never survive, since the new output is a new folder.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::render::OutputFile;

/// The three kinds of folders a build makes beside the output.
const STAGING: &str = "tmp";
const OLD: &str = "old";
const DELETING: &str = "del";
/// The previous site, kept for the next build: `.public.prev`.
const PREVIOUS: &str = "prev";

/// Folders of this process that are in use: never taken for leftovers of a dead process
/// that had the same pid.
static IN_USE: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `files` to `output`, replacing it whole. On error, `output` is untouched and the
/// temporary folder is removed. The error says, in French, which path could not be written
/// and why.
pub fn write_atomically(output: &Path, files: &[OutputFile]) -> io::Result<()> {
    let staging = Staging::create(output)?;
    files
        .par_iter()
        .try_for_each(|file| staging.write(&file.path, &file.bytes))?;
    staging.commit()
}

/// A staging folder that a build fills while it renders, then puts in place of the output
/// ([`Staging::commit`]). `build` streams each page here as soon as it is rendered, so that
/// the site never has to be held in memory whole. Dropped without a commit (an error, a
/// panic), the folder is deleted and the output is untouched.
///
/// The folder is, when there is one, the site the previous build replaced (kept beside the
/// output as `.public.prev`): a file whose bytes did not change is left as it is, neither
/// written nor deleted and made again — on a large site most files do not change between two
/// builds, and writing them is most of the cost of this stage. Files the build did not give
/// are deleted before the exchange, so the result is exactly the files of the build.
pub struct Staging {
    claimed: Claimed,
    output: PathBuf,
    parent: PathBuf,
    name: String,
    /// Folders already made below the staging folder (relative paths).
    folders: Mutex<HashSet<String>>,
    /// For a reused folder: every file of this build (relative paths), to delete the others.
    produced: Option<Mutex<HashSet<String>>>,
    committed: bool,
}

impl Staging {
    /// Repairs what interrupted builds left beside `output` ([`recover`]), then takes the
    /// previous site (`.public.prev`) as the staging folder, or makes a new, empty one.
    pub fn create(output: &Path) -> io::Result<Staging> {
        let (parent, name) = split(output);
        std::fs::create_dir_all(&parent).map_err(|e| failed("création du dossier", &parent, e))?;
        recover(output)?;
        let claimed = Claimed::new(&parent, &name, STAGING);
        let previous = previous_site(&parent, &name);
        let reused = std::fs::symlink_metadata(&previous).is_ok_and(|m| m.is_dir())
            && std::fs::rename(&previous, &claimed.path).is_ok();
        if !reused {
            std::fs::create_dir(&claimed.path)
                .map_err(|e| failed("création du dossier", &claimed.path, e))?;
        }
        Ok(Staging {
            claimed,
            output: output.to_path_buf(),
            parent,
            name,
            folders: Mutex::new(HashSet::new()),
            produced: reused.then(|| Mutex::new(HashSet::new())),
            committed: false,
        })
    }

    /// Writes one file (`path` relative to the site, `/`-separated), making its folders
    /// first. Safe to call from many threads at once.
    pub fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        check_relative(path)?;
        if let Some((folder, _)) = path.rsplit_once('/') {
            self.make_folders(folder)?;
        }
        let target = self.claimed.path.join(path);
        if let Some(produced) = &self.produced {
            lock(produced).insert(path.to_string());
            if lock(&self.folders).contains(path) {
                // A folder of this build: a file cannot take its place.
                return Err(failed(
                    "écriture de",
                    &target,
                    io::Error::from(io::ErrorKind::IsADirectory),
                ));
            }
            match std::fs::symlink_metadata(&target) {
                Ok(metadata) if metadata.is_file() => {
                    if metadata.len() == bytes.len() as u64
                        && std::fs::read(&target).is_ok_and(|existing| existing == bytes)
                    {
                        return Ok(());
                    }
                    // A new file rather than the old one rewritten: the old one may have other
                    // names (a deployment's hard-linked snapshot), which must not change.
                    let _ = std::fs::remove_file(&target);
                }
                // A folder of the previous site where this build has a file.
                Ok(metadata) if metadata.is_dir() => remove_tree(&target),
                // A link, or anything else: never written through.
                Ok(_) => {
                    let _ = std::fs::remove_file(&target);
                }
                Err(_) => {}
            }
        }
        std::fs::write(&target, bytes).map_err(|e| failed("écriture de", &target, e))
    }

    /// Makes `folder` and its parents once each. The lock is held while making them, so that
    /// no thread writes into a folder another thread is still making.
    fn make_folders(&self, folder: &str) -> io::Result<()> {
        let mut made = lock(&self.folders);
        if made.contains(folder) {
            return Ok(());
        }
        let mut end = 0;
        loop {
            let next = folder[end..].find('/').map(|i| end + i);
            let prefix = &folder[..next.unwrap_or(folder.len())];
            if !made.contains(prefix) {
                let path = self.claimed.path.join(prefix);
                match std::fs::create_dir(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
                        // A file of the previous site where this build has a folder is
                        // replaced; a file of this build is not.
                        let ours = self
                            .produced
                            .as_ref()
                            .is_none_or(|produced| lock(produced).contains(prefix));
                        if !is_dir && ours {
                            return Err(failed("création du dossier", &path, e));
                        }
                        if !is_dir {
                            std::fs::remove_file(&path)
                                .and_then(|()| std::fs::create_dir(&path))
                                .map_err(|_| failed("création du dossier", &path, e))?;
                        }
                    }
                    Err(e) => return Err(failed("création du dossier", &path, e)),
                }
                made.insert(prefix.to_string());
            }
            match next {
                Some(slash) => end = slash + 1,
                None => return Ok(()),
            }
        }
    }

    /// Deletes what the previous site had and this build did not give, puts the staging
    /// folder in place of the output in one step, then keeps the old output for the next
    /// build (`.public.prev`).
    pub fn commit(mut self) -> io::Result<()> {
        self.committed = true;
        let staging = self.claimed.path.clone();
        if let Some(produced) = self.produced.take() {
            let produced = produced.into_inner().unwrap_or_else(|e| e.into_inner());
            let folders = std::mem::take(&mut *lock(&self.folders));
            remove_stale(&staging, "", &produced, &folders);
        }
        let result = swap_in(&staging, &self.output, &self.parent, &self.name);
        // After a successful exchange the staging path holds the old site.
        if result.is_ok() && std::fs::symlink_metadata(&staging).is_ok() {
            let previous = previous_site(&self.parent, &self.name);
            if std::fs::symlink_metadata(&previous).is_err()
                && std::fs::rename(&staging, &previous).is_ok()
            {
                return result;
            }
        }
        remove_tree(&staging);
        result
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            remove_tree(&self.claimed.path);
        }
    }
}

/// `.public.prev`: the site the last build replaced, reused by the next one.
fn previous_site(parent: &Path, name: &str) -> PathBuf {
    parent.join(format!(".{name}.{PREVIOUS}"))
}

/// Deletes below `root/relative` every file not in `produced` and every folder not in
/// `folders` (relative paths).
fn remove_stale(
    root: &Path,
    relative: &str,
    produced: &HashSet<String>,
    folders: &HashSet<String>,
) {
    let Ok(entries) = std::fs::read_dir(root.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = if relative.is_empty() {
            name
        } else {
            format!("{relative}/{name}")
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && folders.contains(&path) {
            remove_stale(root, &path, produced, folders);
        } else if is_dir {
            remove_tree(&entry.path());
        } else if !produced.contains(&path) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Repairs what an interrupted build left beside `output`: puts the old output back when the
/// output is missing, and deletes the temporary folders of processes that are gone. Folders
/// of a build still running (another process) are left alone. Called by every build.
pub fn recover(output: &Path) -> io::Result<()> {
    let (parent, name) = split(output);
    let entries = match std::fs::read_dir(&parent) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(failed("lecture du dossier", &parent, error)),
    };
    let mut leftovers: Vec<(&'static str, PathBuf)> = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some((kind, pid)) = parse_sibling(&file_name, &name) else {
            continue;
        };
        let path = entry.path();
        if !owner_is_gone(pid, &path) {
            continue;
        }
        leftovers.push((kind, path));
    }
    leftovers.sort();
    let output_exists = std::fs::symlink_metadata(output).is_ok();
    if !output_exists && let Some(index) = leftovers.iter().rposition(|(kind, _)| *kind == OLD) {
        let (_, old) = leftovers.remove(index);
        std::fs::rename(&old, output).map_err(|e| failed("restauration de", output, e))?;
    }
    for (kind, path) in leftovers {
        if kind == OLD {
            // Renamed first, so that a `.old` folder is never a partial one.
            let doomed = unique_sibling(&parent, &name, DELETING);
            if std::fs::rename(&path, &doomed).is_ok() {
                remove_tree(&doomed);
                continue;
            }
        }
        remove_tree(&path);
    }
    Ok(())
}

/// The folder that holds `output` and the output's own name.
fn split(output: &Path) -> (PathBuf, String) {
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "public".to_string());
    (parent, name)
}

/// `.public.tmp-123-4` → (`tmp`, 123) when `name` is `public`.
fn parse_sibling(file_name: &std::ffi::OsStr, name: &str) -> Option<(&'static str, u32)> {
    let file_name = file_name.to_str()?;
    let rest = file_name
        .strip_prefix('.')?
        .strip_prefix(name)?
        .strip_prefix('.')?;
    let (kind, rest) = rest.split_once('-')?;
    let kind = [STAGING, OLD, DELETING].into_iter().find(|k| *k == kind)?;
    let (pid, counter) = rest.split_once('-')?;
    counter.parse::<u64>().ok()?;
    Some((kind, pid.parse().ok()?))
}

/// Whether the process that made `path` is gone, so that `path` is a leftover.
fn owner_is_gone(pid: u32, path: &Path) -> bool {
    if pid == std::process::id() {
        let in_use = IN_USE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        return !in_use.as_ref().is_some_and(|set| set.contains(path));
    }
    !process_is_alive(pid)
}

#[cfg(unix)]
fn process_is_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // Signal 0 checks that the process exists without touching it.
    // SAFETY: kill(2) with signal 0 has no effect on the target; it only reads the pid.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_is_alive(_pid: u32) -> bool {
    // Cannot tell: a leftover stays until a build on a system that can tell.
    true
}

/// A new folder name beside the output, reserved for this process until dropped.
struct Claimed {
    path: PathBuf,
}

impl Claimed {
    fn new(parent: &Path, name: &str, kind: &str) -> Claimed {
        let path = unique_sibling(parent, name, kind);
        IN_USE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get_or_insert_with(HashSet::new)
            .insert(path.clone());
        Claimed { path }
    }
}

impl Drop for Claimed {
    fn drop(&mut self) {
        if let Some(set) = IN_USE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_mut()
        {
            set.remove(&self.path);
        }
    }
}

/// A name next to the output that no other build uses: `.public.tmp-<pid>-<counter>`.
fn unique_sibling(parent: &Path, name: &str, kind: &str) -> PathBuf {
    let pid = std::process::id();
    loop {
        let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = parent.join(format!(".{name}.{kind}-{pid}-{counter}"));
        if std::fs::symlink_metadata(&candidate).is_err() {
            return candidate;
        }
    }
}

/// Refuses an output path that could land outside the staging folder.
fn check_relative(path: &str) -> io::Result<()> {
    let valid = !path.contains(['\0', '\\'])
        && path
            .split('/')
            .all(|segment| !matches!(segment, "" | "." | ".."))
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if valid {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("chemin de fichier invalide dans le site\u{a0}: «\u{a0}{path}\u{a0}»"),
        ))
    }
}

/// Puts the complete staging folder in place of the output.
fn swap_in(staging: &Path, output: &Path, parent: &Path, name: &str) -> io::Result<()> {
    match std::fs::symlink_metadata(output) {
        Ok(metadata) if metadata.is_dir() => {
            if exchange(staging, output)? {
                return Ok(());
            }
            // No atomic exchange here: two renames; `recover` repairs an interruption between.
            let old = Claimed::new(parent, name, OLD);
            std::fs::rename(output, &old.path).map_err(|e| failed("déplacement de", output, e))?;
            if let Err(error) = std::fs::rename(staging, output) {
                let _ = std::fs::rename(&old.path, output);
                return Err(failed("remplacement de", output, error));
            }
            let doomed = unique_sibling(parent, name, DELETING);
            match std::fs::rename(&old.path, &doomed) {
                Ok(()) => remove_tree(&doomed),
                Err(_) => remove_tree(&old.path),
            }
            Ok(())
        }
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} existe et n’est pas un dossier\u{a0}: déplacez ou supprimez ce fichier",
                output.display()
            ),
        )),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            std::fs::rename(staging, output).map_err(|e| failed("création de", output, e))
        }
        Err(error) => Err(failed("lecture de", output, error)),
    }
}

/// Exchanges two folders atomically. `Ok(false)` when the system or the file system cannot.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let to_c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "octet nul dans un chemin"))
    };
    let (a_c, b_c) = (to_c(a)?, to_c(b)?);
    // SAFETY: both pointers are valid NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a_c.as_ptr(),
            libc::AT_FDCWD,
            b_c.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        return Ok(true);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        // Old kernels (ENOSYS), file systems without exchange (EINVAL), seccomp filters (EPERM
        // on some container runtimes): the two-rename fallback.
        Some(libc::ENOSYS | libc::EINVAL | libc::EOPNOTSUPP | libc::EPERM) => Ok(false),
        _ => Err(failed("remplacement de", b, error)),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<bool> {
    Ok(false)
}

/// Deletes a folder and everything in it, sibling folders in parallel. Best effort: what is
/// left is a leftover that the next build's [`recover`] removes.
fn remove_tree(path: &Path) {
    let entries: Vec<(PathBuf, bool)> = match std::fs::read_dir(path) {
        Ok(entries) => entries
            .flatten()
            .map(|e| {
                let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                (e.path(), is_dir)
            })
            .collect(),
        Err(_) => {
            // Not a folder (or already gone).
            let _ = std::fs::remove_file(path);
            return;
        }
    };
    entries.par_iter().for_each(|(entry, is_dir)| {
        if *is_dir {
            remove_tree(entry);
        } else {
            let _ = std::fs::remove_file(entry);
        }
    });
    let _ = std::fs::remove_dir(path);
}

/// An I/O error with the path and, in French, what went wrong.
fn failed(action: &str, path: &Path, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!(
            "{action} {} impossible\u{a0}: {}",
            path.display(),
            reason(&error)
        ),
    )
}

/// Why an I/O operation failed, in French.
pub fn reason(error: &io::Error) -> String {
    use io::ErrorKind as K;
    let text = match error.kind() {
        K::StorageFull => "plus de place sur le disque",
        K::QuotaExceeded => "quota de disque dépassé",
        K::ReadOnlyFilesystem => "système de fichiers en lecture seule",
        K::PermissionDenied => "permission refusée",
        K::NotFound => "introuvable",
        K::NotADirectory => "un élément du chemin est un fichier, pas un dossier",
        K::IsADirectory => "un dossier porte déjà ce nom",
        K::AlreadyExists => "existe déjà",
        K::DirectoryNotEmpty => "le dossier n’est pas vide",
        K::InvalidFilename => "nom de fichier trop long ou invalide",
        K::FileTooLarge => "fichier trop volumineux pour ce système de fichiers",
        K::CrossesDevices => "le dossier temporaire et la sortie sont sur deux disques",
        _ => match error.raw_os_error() {
            #[cfg(unix)]
            Some(libc::EPERM) => "opération non permise",
            #[cfg(unix)]
            Some(libc::EMFILE | libc::ENFILE) => "trop de fichiers ouverts",
            #[cfg(unix)]
            Some(libc::EIO) => "erreur d’entrée-sortie du disque",
            _ => return error.to_string(),
        },
    };
    text.to_string()
}

/// The names of the leftovers beside `output`, for tests and diagnostics.
pub fn leftovers(output: &Path) -> Vec<OsString> {
    let (parent, name) = split(output);
    let mut found: Vec<OsString> = std::fs::read_dir(parent)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name())
                .filter(|n| parse_sibling(n, &name).is_some())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
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

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        names
    }

    /// A pid that no process has.
    const DEAD: u32 = 4_194_304 + 12_345;

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
        // The site it replaced is kept for the next build.
        assert_eq!(names(dir.path()), vec![".public.prev", "public"]);
    }

    /// Modification time and inode of a file.
    fn identity(path: &Path) -> (std::time::SystemTime, u64) {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path).unwrap();
        (metadata.modified().unwrap(), metadata.ino())
    }

    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(dir).unwrap();
                files.push((
                    relative.to_string_lossy().into_owned(),
                    std::fs::read(entry.path()).unwrap(),
                ));
            }
        }
        files
    }

    #[test]
    fn the_previous_site_is_reused_and_unchanged_files_are_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        let first = [
            file("same/index.html", "pareil"),
            file("changed/index.html", "avant"),
            file("gone/index.html", "disparu"),
            file("gone-too.css", "x"),
        ];
        let second = [
            file("same/index.html", "pareil"),
            file("changed/index.html", "après"),
            file("new/deep/index.html", "nouveau"),
        ];
        write_atomically(&output, &first).unwrap();
        write_atomically(&output, &second).unwrap();
        // The third build takes `.public.prev` (the first site) as its staging folder.
        let kept = identity(&dir.path().join(".public.prev/same/index.html"));
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_atomically(&output, &second).unwrap();
        assert_eq!(identity(&output.join("same/index.html")), kept);
        let fresh = tempfile::tempdir().unwrap();
        write_atomically(&fresh.path().join("public"), &second).unwrap();
        assert_eq!(tree(&output), tree(&fresh.path().join("public")));
        assert!(!output.join("gone").exists());
        assert_eq!(names(dir.path()), vec![".public.prev", "public"]);
    }

    #[test]
    fn a_reused_site_never_writes_through_links_or_into_other_names_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        let outside = dir.path().join("ailleurs.txt");
        std::fs::write(&outside, "intact").unwrap();
        let files = [
            file("a.html", "1"),
            file("b.html", "1"),
            file("c/index.html", "1"),
        ];
        write_atomically(&output, &files).unwrap();
        write_atomically(&output, &files).unwrap();
        let previous = dir.path().join(".public.prev");
        // A deployment's hard-linked snapshot of a file, a link out of the site, a folder
        // where a file goes and a file where a folder goes.
        let snapshot = dir.path().join("instantane.html");
        std::fs::hard_link(previous.join("a.html"), &snapshot).unwrap();
        std::fs::remove_file(previous.join("b.html")).unwrap();
        std::os::unix::fs::symlink(&outside, previous.join("b.html")).unwrap();
        std::fs::remove_dir_all(previous.join("c")).unwrap();
        std::fs::write(previous.join("c"), "fichier").unwrap();
        let changed = [
            file("a.html", "2"),
            file("b.html", "2"),
            file("c/index.html", "2"),
        ];
        write_atomically(&output, &changed).unwrap();
        assert_eq!(std::fs::read_to_string(&snapshot).unwrap(), "1");
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "intact");
        assert_eq!(
            tree(&output),
            [("a.html", "2"), ("b.html", "2"), ("c/index.html", "2")]
                .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        );
        assert!(
            !std::fs::symlink_metadata(output.join("b.html"))
                .unwrap()
                .is_symlink()
        );
    }

    #[test]
    fn a_reused_site_still_refuses_a_file_and_a_folder_of_the_same_build_at_one_path() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        write_atomically(&output, &[file("index.html", "1")]).unwrap();
        write_atomically(&output, &[file("index.html", "2")]).unwrap();
        for files in [
            [file("x", "1"), file("x/y", "2")],
            [file("x/y", "2"), file("x", "1")],
        ] {
            let staging = Staging::create(&output).unwrap();
            assert!(staging.produced.is_some(), "the previous site is reused");
            let result = files
                .iter()
                .try_for_each(|f| staging.write(&f.path, &f.bytes));
            assert!(result.is_err(), "{files:?}");
            drop(staging);
            // Dropped uncommitted: the reused folder is deleted, the output untouched.
            assert_eq!(
                std::fs::read_to_string(output.join("index.html")).unwrap(),
                "2"
            );
            write_atomically(&output, &[file("index.html", "2")]).unwrap();
            write_atomically(&output, &[file("index.html", "2")]).unwrap();
        }
    }

    #[test]
    fn a_failed_write_leaves_the_output_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        write_atomically(&output, &[file("index.html", "good")]).unwrap();
        // A file and a folder with the same path cannot both be written.
        let error = write_atomically(&output, &[file("x", "1"), file("x/y", "2")]).unwrap_err();
        assert!(error.to_string().contains("impossible\u{a0}: "), "{error}");
        assert_eq!(
            std::fs::read_to_string(output.join("index.html")).unwrap(),
            "good"
        );
        assert_eq!(names(dir.path()), vec!["public"]);
    }

    #[test]
    fn many_files_in_deep_folders_are_all_written() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("site/public");
        let files: Vec<OutputFile> = (0..2000)
            .map(|i| {
                file(
                    &format!("n{}/m{}/p{i}/index.html", i % 7, i % 13),
                    &i.to_string(),
                )
            })
            .chain([file("index.html", "racine")])
            .collect();
        write_atomically(&output, &files).unwrap();
        for f in &files {
            assert_eq!(std::fs::read(output.join(&f.path)).unwrap(), f.bytes);
        }
        write_atomically(&output, &files[..10]).unwrap();
        assert!(!output.join(&files[100].path).exists());
    }

    #[test]
    fn paths_that_would_leave_the_output_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        for bad in ["../evade.html", "/etc/x", "a//b", "a/./b", "", "a/"] {
            let error = write_atomically(&output, &[file(bad, "x")]).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
        assert!(!dir.path().join("evade.html").exists());
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    }

    #[test]
    fn a_missing_output_is_restored_from_the_old_one_of_a_killed_build() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        // Killed between the two renames: the old site aside, the new one complete but not
        // in place, an older deletion half done.
        let old = dir.path().join(format!(".public.old-{DEAD}-3"));
        std::fs::create_dir_all(old.join("villes")).unwrap();
        std::fs::write(old.join("villes/index.html"), "ancien").unwrap();
        let staging = dir.path().join(format!(".public.tmp-{DEAD}-2"));
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("index.html"), "nouveau").unwrap();
        std::fs::create_dir_all(dir.path().join(format!(".public.del-{DEAD}-1/a"))).unwrap();
        // Unrelated folders stay.
        std::fs::create_dir_all(dir.path().join(".public.tmp-x")).unwrap();
        std::fs::create_dir_all(dir.path().join("public-2")).unwrap();
        recover(&output).unwrap();
        assert_eq!(
            std::fs::read_to_string(output.join("villes/index.html")).unwrap(),
            "ancien"
        );
        assert_eq!(
            names(dir.path()),
            vec![".public.tmp-x", "public", "public-2"]
        );
        assert!(leftovers(&output).is_empty());
    }

    #[test]
    fn leftovers_of_dead_builds_are_removed_and_those_of_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        write_atomically(&output, &[file("index.html", "site")]).unwrap();
        let dead = dir.path().join(format!(".public.tmp-{DEAD}-0"));
        std::fs::create_dir_all(dead.join("a/b")).unwrap();
        std::fs::write(dead.join("a/b/c.html"), "x").unwrap();
        let dead_old = dir.path().join(format!(".public.old-{DEAD}-1"));
        std::fs::create_dir_all(&dead_old).unwrap();
        // pid 1 is always alive: another build in progress.
        let live = dir.path().join(".public.tmp-1-0");
        std::fs::create_dir_all(&live).unwrap();
        // Our own pid, not in use by this process: a dead process that had our pid.
        let ours = dir
            .path()
            .join(format!(".public.tmp-{}-999999", std::process::id()));
        std::fs::create_dir_all(&ours).unwrap();
        write_atomically(&output, &[file("index.html", "nouveau")]).unwrap();
        assert_eq!(
            names(dir.path()),
            vec![".public.prev", ".public.tmp-1-0", "public"]
        );
        assert_eq!(
            std::fs::read_to_string(output.join("index.html")).unwrap(),
            "nouveau"
        );
    }

    #[test]
    fn an_output_that_is_a_file_is_refused_in_french() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        std::fs::write(&output, "pas un dossier").unwrap();
        let error = write_atomically(&output, &[file("index.html", "x")]).unwrap_err();
        assert!(
            error.to_string().contains("n’est pas un dossier"),
            "{error}"
        );
        assert_eq!(std::fs::read_to_string(&output).unwrap(), "pas un dossier");
        assert_eq!(names(dir.path()), vec!["public"]);
    }

    #[test]
    fn sibling_names_are_parsed_strictly() {
        let parse = |s: &str| parse_sibling(std::ffi::OsStr::new(s), "public");
        assert_eq!(parse(".public.tmp-12-3"), Some((STAGING, 12)));
        assert_eq!(parse(".public.old-12-3"), Some((OLD, 12)));
        assert_eq!(parse(".public.del-12-3"), Some((DELETING, 12)));
        assert_eq!(parse(".public.tmp-12"), None);
        assert_eq!(parse(".public.tmp-x-3"), None);
        assert_eq!(parse(".publicx.tmp-12-3"), None);
        assert_eq!(parse(".autre.tmp-12-3"), None);
        assert_eq!(parse("public"), None);
    }
}
