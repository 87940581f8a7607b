//! Incremental rebuilds, for `serve`: what one build keeps for the next.
//!
//! `serve` rebuilds the site after every save. Given a [`Cache`], [`crate::compile_cached`]
//! runs the very same pipeline as `build`, but
//! - **load**: a source file that the watcher did not report and whose length, modification
//!   time and inode are unchanged is neither re-read nor re-parsed ([`cached`]);
//! - **theme**: templates and static files are reloaded only when one of them changed
//!   ([`load_theme`]);
//! - **render**: resolve and analyse run again (pure and fast), every page context is computed
//!   again, and a page is rendered (Tera, then minify-html) only when its context, its
//!   template or a template it depends on, or the site-wide values changed since the previous
//!   build ([`PageCache`]). A page's bytes are a function of exactly these, so reusing them
//!   gives, byte for byte, the files of a full `build` — which the `serve` tests check.
//!
//! Hence the pages re-rendered for an edit are the ones whose content the edit changes: the
//! case study, its cities, strategies, channels and publics, the listings that show it, the
//! case studies related to it… and nothing else. A change to `atlas.yaml` drops every cache.
//!
//! A successful build also leaves a snapshot of what it computed (resolved site, analysis,
//! theme, the values given to every page): `serve` takes it (`Cache::take_snapshot`) to
//! render one case study's page alone when a save changes only its Markdown body (its fast
//! path, see `crate::serve`), before the full rebuild.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use tera::Value;

use crate::analyse::Analysis;
use crate::diagnostic::{Diagnostic, display_path};
use crate::render::Theme;
use crate::render::single::Snapshot;
use crate::resolve::Site;

/// Everything a build can hand over to the next one. Shared by reference with the pipeline,
/// hence the interior mutability; one build at a time uses it.
#[derive(Default)]
pub struct Cache {
    files: FileCache,
    theme: Mutex<Option<CachedTheme>>,
    pages: PageCache,
    /// What the last successful build computed, until `serve` takes it.
    snapshot: Mutex<Option<Snapshot>>,
}

/// What the last build did, for the terminal and the tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// Pages rendered by Tera (and minified) in this build.
    pub rendered: usize,
    /// Pages whose bytes were kept from the previous build.
    pub reused: usize,
    /// Source files read and parsed again.
    pub parsed: usize,
}

impl Cache {
    pub fn new() -> Self {
        Cache::default()
    }

    /// Forgets what the watcher reported as changed (`changed`: absolute paths, or relative
    /// to `root`). A change to the configuration, or to anything outside `content/`, forgets
    /// more: `atlas.yaml` everything, a template or static file the theme.
    pub fn invalidate(&self, root: &Path, changed: &[PathBuf]) {
        for path in changed {
            let relative = path.strip_prefix(root).unwrap_or(path);
            let first = relative
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().to_string())
                .unwrap_or_default();
            match first.as_str() {
                "content" => self.files.forget(path, root),
                crate::load::CONFIG_FILE => self.clear(),
                _ => {
                    // themes/, templates/, static/: the theme is loaded again. Pages stay
                    // cached: their keys include the fingerprint of their templates.
                    *lock(&self.theme) = None;
                }
            }
        }
    }

    /// Forgets everything: the next build is a full one.
    pub fn clear(&self) {
        lock(&self.files.entries).clear();
        *lock(&self.theme) = None;
        lock(&self.pages.entries).clear();
    }

    /// Starts a build: what this build does not use is dropped by [`Cache::finish`].
    pub fn begin(&self) {
        self.files.generation.fetch_add(1, Ordering::SeqCst);
        self.pages.generation.fetch_add(1, Ordering::SeqCst);
        self.files.parsed.store(0, Ordering::SeqCst);
        self.pages.rendered.store(0, Ordering::SeqCst);
        self.pages.reused.store(0, Ordering::SeqCst);
    }

    /// Ends a build. After a successful one, files and pages it did not use (deleted, renamed)
    /// are dropped; after a failed one everything is kept for the next attempt.
    pub fn finish(&self, success: bool) -> BuildStats {
        if success {
            let generation = self.files.generation.load(Ordering::SeqCst);
            lock(&self.files.entries).retain(|_, entry| entry.generation == generation);
            let generation = self.pages.generation.load(Ordering::SeqCst);
            lock(&self.pages.entries).retain(|_, entry| entry.generation == generation);
        }
        BuildStats {
            rendered: self.pages.rendered.load(Ordering::SeqCst),
            reused: self.pages.reused.load(Ordering::SeqCst),
            parsed: self.files.parsed.load(Ordering::SeqCst),
        }
    }

    /// The cache of rendered pages, for the render stage.
    pub fn pages(&self) -> &PageCache {
        &self.pages
    }

    /// Keeps what a successful build computed, for [`Cache::take_snapshot`]. Called by
    /// [`crate::compile_cached`] once every page is rendered.
    pub(crate) fn keep_build(&self, site: Site, analysis: Analysis, theme: Arc<Theme>) {
        let site_value = lock(&self.pages.site_value).take();
        *lock(&self.snapshot) = site_value.map(|site_value| Snapshot {
            site,
            analysis,
            theme,
            site_value,
        });
    }

    /// What the last successful build computed (once: the cache forgets it).
    pub(crate) fn take_snapshot(&self) -> Option<Snapshot> {
        lock(&self.snapshot).take()
    }

    /// The bytes the page cache holds for `output`, when they equal `bytes`: lets `serve` keep
    /// one copy of each page in memory instead of two.
    pub fn shared_bytes(&self, output: &str, bytes: &[u8]) -> Option<Arc<[u8]>> {
        let entries = lock(&self.pages.entries);
        let entry = entries.get(output)?;
        (*entry.bytes == *bytes).then(|| Arc::clone(&entry.bytes))
    }
}

/// Locks a mutex, going on after a panic elsewhere (the data is a cache: at worst stale
/// entries are rebuilt).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---------------------------------------------------------------------------------------------
// Load stage

/// Parsed source files, by path, with the file's identity when it was read.
#[derive(Default)]
struct FileCache {
    entries: Mutex<HashMap<PathBuf, FileEntry>>,
    generation: AtomicU64,
    parsed: AtomicUsize,
}

struct FileEntry {
    stamp: Stamp,
    value: Arc<dyn Any + Send + Sync>,
    generation: u64,
}

/// What says that a file changed without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let metadata = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&metadata);
        #[cfg(not(unix))]
        let inode = 0;
        Some(Stamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            inode,
        })
    }
}

impl FileCache {
    fn forget(&self, path: &Path, root: &Path) {
        let mut entries = lock(&self.entries);
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            root.join(path)
        };
        // A folder (renamed, deleted) forgets everything below it.
        entries.retain(|cached, _| !cached.starts_with(&absolute) && !cached.starts_with(path));
    }
}

/// Loads the source file at `path` with `load`, or returns what it gave for the same file at
/// a previous build. Used by [`crate::load::load_site_cached`] for every content file.
pub fn cached<T: Clone + Send + Sync + 'static>(
    cache: Option<&Cache>,
    path: &Path,
    load: impl FnOnce() -> Result<T, Vec<Diagnostic>>,
) -> Result<T, Vec<Diagnostic>> {
    let Some(cache) = cache else {
        return load();
    };
    let files = &cache.files;
    let generation = files.generation.load(Ordering::SeqCst);
    // The stamp is taken before reading: if the file changes in between, the entry is stale
    // in the safe direction (the next build sees another stamp and reads it again).
    let stamp = Stamp::of(path);
    if let Some(stamp) = stamp {
        let mut entries = lock(&files.entries);
        if let Some(entry) = entries.get_mut(path)
            && entry.stamp == stamp
            && let Some(value) = entry.value.downcast_ref::<Result<T, Vec<Diagnostic>>>()
        {
            entry.generation = generation;
            return value.clone();
        }
    }
    let value = load();
    files.parsed.fetch_add(1, Ordering::Relaxed);
    if let Some(stamp) = stamp {
        lock(&files.entries).insert(
            path.to_path_buf(),
            FileEntry {
                stamp,
                value: Arc::new(value.clone()),
                generation,
            },
        );
    }
    value
}

// ---------------------------------------------------------------------------------------------
// Theme

struct CachedTheme {
    name: String,
    fingerprint: u64,
    theme: Arc<Theme>,
}

/// The theme `name` of the site at `root`: the one of the previous build when none of its
/// files changed, else loaded again (see [`Theme::load`]).
pub fn load_theme(
    cache: Option<&Cache>,
    root: &Path,
    name: &str,
) -> Result<Arc<Theme>, Vec<Diagnostic>> {
    let Some(cache) = cache else {
        return Theme::load(root, name).map(Arc::new);
    };
    // Read before the theme is loaded: if a template changes in between, its fingerprint is
    // the old one, so the next build (the watcher reports the change) renders again.
    let sources = ThemeSources::read(root, name);
    let fingerprint = sources.fingerprint();
    {
        let cached = lock(&cache.theme);
        if let Some(cached) = cached.as_ref()
            && cached.name == name
            && cached.fingerprint == fingerprint
        {
            return Ok(Arc::clone(&cached.theme));
        }
    }
    *lock(&cache.theme) = None;
    let theme = Arc::new(Theme::load(root, name)?);
    *cache
        .pages
        .templates
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = sources.template_fingerprints();
    *lock(&cache.theme) = Some(CachedTheme {
        name: name.to_string(),
        fingerprint,
        theme: Arc::clone(&theme),
    });
    Ok(theme)
}

/// The theme's files as the theme loader sees them: templates (the site's `templates/` over
/// the theme's) with a hash of their text, static files with their stamp.
struct ThemeSources {
    templates: BTreeMap<String, (u64, String)>,
    statics: BTreeMap<String, Option<Stamp>>,
}

impl ThemeSources {
    fn read(root: &Path, name: &str) -> ThemeSources {
        let theme_dir = root.join("themes").join(name);
        let mut templates = BTreeMap::new();
        for dir in [theme_dir.join("templates"), root.join("templates")] {
            for (name, path) in list_files(&dir) {
                let text = std::fs::read(&path)
                    .map(|b| String::from_utf8_lossy(&b).to_string())
                    .unwrap_or_default();
                templates.insert(name, (hash_bytes(text.as_bytes()), text));
            }
        }
        let mut statics = BTreeMap::new();
        for dir in [theme_dir.join("static"), root.join("static")] {
            for (name, path) in list_files(&dir) {
                statics.insert(name, Stamp::of(&path));
            }
        }
        ThemeSources { templates, statics }
    }

    fn fingerprint(&self) -> u64 {
        let mut hasher = std::hash::DefaultHasher::new();
        for (name, (hash, _)) in &self.templates {
            (name, hash).hash(&mut hasher);
        }
        for (name, stamp) in &self.statics {
            name.hash(&mut hasher);
            if let Some(s) = stamp {
                (s.len, s.modified, s.inode).hash(&mut hasher);
            }
        }
        hasher.finish()
    }

    /// For each template, a hash of its text and of the texts of every template it uses:
    /// those it names (`{% extends "base.html" %}`, includes, imports), transitively, and
    /// every file that defines components (Tera 2 components are global).
    fn template_fingerprints(&self) -> TemplateFingerprints {
        let names: Vec<&String> = self.templates.keys().collect();
        let with_components: Vec<&String> = self
            .templates
            .iter()
            .filter(|(_, (_, text))| text.contains("component "))
            .map(|(name, _)| name)
            .collect();
        let direct: HashMap<&String, Vec<&String>> = self
            .templates
            .iter()
            .map(|(name, (_, text))| {
                let named = names
                    .iter()
                    .copied()
                    .filter(|other| {
                        *other != name
                            && (text.contains(&format!("\"{other}\""))
                                || text.contains(&format!("'{other}'")))
                    })
                    .collect();
                (name, named)
            })
            .collect();
        let mut by_name = HashMap::new();
        for name in &names {
            let mut seen: BTreeSet<&String> = BTreeSet::new();
            let mut stack: Vec<&String> = vec![name];
            stack.extend(with_components.iter().copied());
            while let Some(next) = stack.pop() {
                if seen.insert(next) {
                    stack.extend(direct.get(next).into_iter().flatten().copied());
                }
            }
            let mut hasher = std::hash::DefaultHasher::new();
            for used in seen {
                (used, self.templates[used].0).hash(&mut hasher);
            }
            by_name.insert((*name).clone(), hasher.finish());
        }
        let mut hasher = std::hash::DefaultHasher::new();
        for (name, (hash, _)) in &self.templates {
            (name, hash).hash(&mut hasher);
        }
        TemplateFingerprints {
            by_name,
            all: hasher.finish(),
        }
    }
}

/// Files below `dir` as the theme loader lists them: `/`-separated relative names, hidden
/// files skipped, links followed.
fn list_files(dir: &Path) -> Vec<(String, PathBuf)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (display_path(dir, e.path()), e.into_path()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Render stage

#[derive(Default)]
struct TemplateFingerprints {
    by_name: HashMap<String, u64>,
    /// Every template at once, for a name that is not known.
    all: u64,
}

/// Rendered pages by output path, with the key of what they were rendered from.
#[derive(Default)]
pub struct PageCache {
    templates: RwLock<TemplateFingerprints>,
    /// The `site` value of the current build, for its snapshot.
    site_value: Mutex<Option<Value>>,
    entries: Mutex<HashMap<String, PageEntry>>,
    generation: AtomicU64,
    rendered: AtomicUsize,
    reused: AtomicUsize,
}

struct PageEntry {
    key: PageKey,
    bytes: Arc<[u8]>,
    generation: u64,
}

/// What a page's bytes depend on: its template (and the templates it uses), its context and
/// the values given to every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageKey {
    template: u64,
    context: u64,
    site: u64,
}

/// The key of the values shared by every page of a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteKey(u64);

impl PageCache {
    /// `site` is the `site` value given to every template; `minify` whether pages are minified.
    /// The value is also kept for the build's snapshot (see `Cache::take_snapshot`).
    pub fn site_key(&self, site: &Value, minify: bool) -> SiteKey {
        *lock(&self.site_value) = Some(site.clone());
        let mut hasher = FastHasher::default();
        minify.hash(&mut hasher);
        hash_value(site, &mut hasher);
        SiteKey(hasher.finish())
    }

    pub fn key(&self, template: &str, context: &Value, site: SiteKey) -> PageKey {
        let template = {
            let fingerprints = self
                .templates
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let own = fingerprints.by_name.get(template).copied();
            let mut hasher = std::hash::DefaultHasher::new();
            (template, own.unwrap_or(fingerprints.all)).hash(&mut hasher);
            hasher.finish()
        };
        let mut hasher = FastHasher::default();
        hash_value(context, &mut hasher);
        PageKey {
            template,
            context: hasher.finish(),
            site: site.0,
        }
    }

    /// The bytes of the page at `output` if it was rendered from the same `key`.
    pub fn get(&self, output: &str, key: PageKey) -> Option<Vec<u8>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let mut entries = lock(&self.entries);
        let entry = entries.get_mut(output).filter(|e| e.key == key)?;
        entry.generation = generation;
        self.reused.fetch_add(1, Ordering::Relaxed);
        Some(entry.bytes.to_vec())
    }

    /// Keeps the bytes of a page just rendered.
    pub fn put(&self, output: &str, key: PageKey, bytes: &[u8]) {
        self.rendered.fetch_add(1, Ordering::Relaxed);
        lock(&self.entries).insert(
            output.to_string(),
            PageEntry {
                key,
                bytes: Arc::from(bytes),
                generation: self.generation.load(Ordering::SeqCst),
            },
        );
    }
}

/// Hashes a context value by walking it: page contexts of a large atlas weigh hundreds of
/// megabytes in all, and serializing them only to hash them would cost seconds. A map's
/// entries are hashed each on their own and summed: its order of iteration depends on how it
/// was built, the page it gives does not.
fn hash_value(value: &Value, hasher: &mut FastHasher) {
    use tera::value::ValueKind;
    match value.kind() {
        ValueKind::Undefined => hasher.write_u8(0),
        ValueKind::None => hasher.write_u8(1),
        ValueKind::Bool => hasher.write_u8(2 + u8::from(value.is_truthy())),
        ValueKind::U64 | ValueKind::I64 | ValueKind::U128 | ValueKind::I128 | ValueKind::F64 => {
            hasher.write_u8(4);
            match value.as_number() {
                Some(tera::Number::Integer(i)) => {
                    hasher.write_u8(0);
                    hasher.write(&i.to_le_bytes());
                }
                Some(tera::Number::Float(f)) => {
                    hasher.write_u8(1);
                    hasher.write_u64(f.to_bits());
                }
                // `Number` is non-exhaustive too.
                _ => hasher.write_u8(2),
            }
        }
        ValueKind::String => {
            let text = value.as_str().unwrap_or_default();
            hasher.write_u8(5 + u8::from(value.is_safe()));
            hasher.write_u64(text.len() as u64);
            hasher.write(text.as_bytes());
        }
        ValueKind::Array => {
            let items = value.as_array().unwrap_or_default();
            hasher.write_u8(7);
            hasher.write_u64(items.len() as u64);
            for item in items {
                hash_value(item, hasher);
            }
        }
        ValueKind::Map => {
            hasher.write_u8(8);
            let mut entries: u64 = 0;
            let mut length: u64 = 0;
            for (key, item) in value.as_map().into_iter().flatten() {
                let mut entry = FastHasher::default();
                let text;
                let key = match key.as_str() {
                    Some(key) => key,
                    None => {
                        text = key.to_string();
                        &text
                    }
                };
                entry.write_u64(key.len() as u64);
                entry.write(key.as_bytes());
                hash_value(item, &mut entry);
                entries = entries.wrapping_add(entry.finish());
                length += 1;
            }
            hasher.write_u64(length);
            hasher.write_u64(entries);
        }
        ValueKind::Bytes => {
            let bytes = value.as_bytes().unwrap_or_default();
            hasher.write_u8(9);
            hasher.write_u64(bytes.len() as u64);
            hasher.write(bytes);
        }
        // `ValueKind` is non-exhaustive: a kind Tera adds later is told apart by its name.
        _ => {
            hasher.write_u8(10);
            hasher.write(value.name().as_bytes());
            hasher.write(value.to_string().as_bytes());
        }
    }
}

/// A fast 64-bit hash (folded 128-bit multiplications, as in wyhash): SipHash is made to
/// resist chosen inputs, which a page cache does not need, and is several times slower.
#[derive(Default)]
struct FastHasher {
    state: u64,
}

const SEED_A: u64 = 0x243f_6a88_85a3_08d3;
const SEED_B: u64 = 0x1319_8a2e_0370_7344;

fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a).wrapping_mul(u128::from(b));
    (product as u64) ^ ((product >> 64) as u64)
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(16);
        for chunk in &mut chunks {
            let a = u64::from_le_bytes(chunk[..8].try_into().unwrap_or_default());
            let b = u64::from_le_bytes(chunk[8..].try_into().unwrap_or_default());
            self.state = fold(a ^ self.state ^ SEED_A, b ^ SEED_B);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut padded = [0u8; 16];
            padded[..rest.len()].copy_from_slice(rest);
            let a = u64::from_le_bytes(padded[..8].try_into().unwrap_or_default());
            let b = u64::from_le_bytes(padded[8..].try_into().unwrap_or_default());
            self.state = fold(a ^ self.state ^ SEED_A, b ^ SEED_B ^ rest.len() as u64);
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.state = fold(self.state ^ SEED_A, u64::from(value) ^ SEED_B);
    }

    fn write_u64(&mut self, value: u64) {
        self.state = fold(self.state ^ SEED_A, value ^ SEED_B);
    }

    fn finish(&self) -> u64 {
        fold(self.state ^ SEED_B, SEED_A)
    }
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(templates: &[(&str, &str)]) -> ThemeSources {
        ThemeSources {
            templates: templates
                .iter()
                .map(|(n, t)| (n.to_string(), (hash_bytes(t.as_bytes()), t.to_string())))
                .collect(),
            statics: BTreeMap::new(),
        }
    }

    #[test]
    fn a_template_fingerprint_covers_what_it_extends_and_the_components() {
        let base = [
            ("base.html", "<html>{% block c %}{% endblock c %}"),
            ("a.html", "{% extends \"base.html\" %}a"),
            ("b.html", "{% extends \"base.html\" %}b"),
            (
                "partials/c.html",
                "{% component x() %}x{% endcomponent x %}",
            ),
        ];
        let before = sources(&base).template_fingerprints();
        let mut changed = base;
        changed[1].1 = "{% extends \"base.html\" %}A";
        let after = sources(&changed).template_fingerprints();
        assert_ne!(before.by_name["a.html"], after.by_name["a.html"]);
        assert_eq!(before.by_name["b.html"], after.by_name["b.html"]);
        let mut changed = base;
        changed[0].1 = "<html lang=fr>{% block c %}{% endblock c %}";
        let after = sources(&changed).template_fingerprints();
        assert_ne!(before.by_name["a.html"], after.by_name["a.html"]);
        assert_ne!(before.by_name["b.html"], after.by_name["b.html"]);
        let mut changed = base;
        changed[3].1 = "{% component x() %}y{% endcomponent x %}";
        let after = sources(&changed).template_fingerprints();
        assert_ne!(before.by_name["b.html"], after.by_name["b.html"]);
    }

    #[test]
    fn values_hash_by_content_and_structure() {
        let hash = |v: &Value| {
            let mut hasher = FastHasher::default();
            hash_value(v, &mut hasher);
            hasher.finish()
        };
        let value = |json: serde_json::Value| Value::from_serializable(&json);
        let a = value(serde_json::json!({"a": ["x", 1, 1.5, null, true], "b": {"c": "d"}}));
        assert_eq!(hash(&a), hash(&a.clone()));
        // The same entries put in another order: the same hash.
        let mut forward = tera::Map::default();
        let mut backward = tera::Map::default();
        for i in 0..100u64 {
            forward.insert(tera::value::Key::from(format!("k{i}")), Value::from(i));
            backward.insert(
                tera::value::Key::from(format!("k{}", 99 - i)),
                Value::from(99 - i),
            );
        }
        assert_eq!(hash(&Value::from(forward)), hash(&Value::from(backward)));
        // An escaped string and a safe one give different pages.
        assert_ne!(hash(&Value::from("<b>")), hash(&Value::safe_string("<b>")));
        for other in [
            serde_json::json!({"a": ["x", 1, 1.5, null, false], "b": {"c": "d"}}),
            serde_json::json!({"a": ["x", 1, 1.5, null, true], "b": {"c": "e"}}),
            serde_json::json!({"a": ["x", 2, 1.5, null, true], "b": {"c": "d"}}),
            serde_json::json!({"a": ["x1", 1.5, null, true], "b": {"c": "d"}}),
            serde_json::json!({"a": [["x", 1], 1.5, null, true], "b": {"c": "d"}}),
            serde_json::json!({"a": ["x", 1, 1.5, null, true], "b": {"cd": ""}}),
        ] {
            assert_ne!(hash(&a), hash(&value(other.clone())), "{other}");
        }
        let long = |c: char| Value::from(std::iter::repeat_n(c, 1000).collect::<String>());
        assert_ne!(hash(&long('a')), hash(&long('b')));
    }

    #[test]
    fn a_page_is_reused_only_with_the_same_key() {
        let cache = Cache::new();
        let pages = cache.pages();
        cache.begin();
        let site = pages.site_key(
            &Value::from_serializable(&serde_json::json!({"titre": "A"})),
            true,
        );
        let key = pages.key(
            "a.html",
            &Value::from_serializable(&serde_json::json!({"x": 1})),
            site,
        );
        assert_eq!(pages.get("a/index.html", key), None);
        pages.put("a/index.html", key, b"page");
        assert_eq!(
            cache.finish(true),
            BuildStats {
                rendered: 1,
                reused: 0,
                parsed: 0
            }
        );
        cache.begin();
        assert_eq!(pages.get("a/index.html", key), Some(b"page".to_vec()));
        let other = pages.key(
            "a.html",
            &Value::from_serializable(&serde_json::json!({"x": 2})),
            site,
        );
        assert_eq!(pages.get("a/index.html", other), None);
        let other_site = pages.site_key(
            &Value::from_serializable(&serde_json::json!({"titre": "B"})),
            true,
        );
        let other = pages.key(
            "a.html",
            &Value::from_serializable(&serde_json::json!({"x": 1})),
            other_site,
        );
        assert_eq!(pages.get("a/index.html", other), None);
        assert_eq!(cache.finish(true).reused, 1);
        // A page no build asked for is dropped.
        cache.begin();
        cache.finish(true);
        cache.begin();
        assert_eq!(pages.get("a/index.html", key), None);
    }

    #[test]
    fn a_file_is_parsed_again_only_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("content/a.md");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "1").unwrap();
        let cache = Cache::new();
        let read = |cache: &Cache| {
            cached(Some(cache), &path, || {
                Ok::<String, Vec<Diagnostic>>(std::fs::read_to_string(&path).unwrap())
            })
            .unwrap()
        };
        cache.begin();
        assert_eq!(read(&cache), "1");
        assert_eq!(cache.finish(true).parsed, 1);
        cache.begin();
        assert_eq!(read(&cache), "1");
        assert_eq!(cache.finish(true).parsed, 0);
        // Same length, maybe the same modification time: the watcher's report is enough.
        std::fs::write(&path, "2").unwrap();
        cache.invalidate(dir.path(), std::slice::from_ref(&path));
        cache.begin();
        assert_eq!(read(&cache), "2");
        assert_eq!(cache.finish(true).parsed, 1);
    }
}
