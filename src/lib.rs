//! vaucluse-atlas: a static site generator for the atlas of territorial-marketing practices
//! of the cities of Vaucluse, and of the synergies between them.
//!
//! Data flows one way through one module per stage:
//! [`load`] → [`resolve`] → [`analyse`] → [`render`] → [`write`].
//! Every problem is a [`diagnostic::Diagnostic`] carrying its file, line and column.

// Diagnostics are large values on the cold path (a broken file); boxing them everywhere would
// only add noise to every `?`.
#![allow(clippy::result_large_err)]

// mimalloc's C library, linked even where mimalloc is not the global allocator (the tests):
// the render stage calls its `mi_collect` (`render::give_back_freed_memory`).
extern crate mimalloc as _;

pub mod analyse;
pub mod corpus;
pub mod diagnostic;
pub mod geo;
pub mod import;
pub mod incremental;
pub mod load;
pub mod markdown;
pub mod model;
pub mod render;
pub mod resolve;
pub mod sanitize;
pub mod scaffold;
pub mod schema;
pub mod serve;
pub mod write;
pub mod yamledit;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diagnostic::Diagnostic;
use render::OutputFile;
pub use resolve::ResolveOptions;

/// What `build` and `check` are asked to do.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The site folder (holds `atlas.yaml`, `content/`, `themes/`).
    pub root: PathBuf,
    /// Where to write the site; `<root>/public` by default.
    pub output: Option<PathBuf>,
    pub resolve: ResolveOptions,
}

impl BuildOptions {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        BuildOptions {
            root: root.into(),
            output: None,
            resolve: ResolveOptions::default(),
        }
    }

    pub fn output_dir(&self) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| self.root.join("public"))
    }
}

/// The rendered site, in memory, and what was found on the way.
#[derive(Debug)]
pub struct Compiled {
    /// Every output file, sorted by path; empty after `build`, which writes them as they come.
    pub files: Vec<OutputFile>,
    /// HTML pages, and files in all.
    pub pages: usize,
    pub file_count: usize,
    /// Warnings only: a compiled site has no error.
    pub warnings: Vec<Diagnostic>,
    pub timings: Timings,
}

/// Time spent in each stage, for the build summary, `--timings` and the benchmark.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    pub load: Duration,
    pub resolve: Duration,
    pub analyse: Duration,
    /// The whole render stage; its steps are in `steps`.
    pub render: Duration,
    pub steps: render::RenderTimings,
    pub write: Duration,
}

impl Timings {
    pub fn total(&self) -> Duration {
        self.load + self.resolve + self.analyse + self.render + self.write
    }

    /// One line per stage and step, in French, for `build --timings`.
    pub fn table(&self) -> String {
        let total = self.total().as_secs_f64().max(1e-9);
        let s = &self.steps;
        let rows: [(&str, Duration); 13] = [
            ("lecture (load)", self.load),
            ("résolution (resolve)", self.resolve),
            ("analyse (analyse)", self.analyse),
            ("rendu (render)", self.render),
            ("  Markdown et typographie", s.markdown),
            ("  contextes des pages", s.pages),
            ("  gabarits Tera", s.templates),
            ("  minification (minify)", s.minify),
            ("  index de recherche", s.search),
            ("  écriture des pages", s.write),
            ("  flux, plan du site, tri", s.exports),
            ("écriture (write)", self.write),
            ("total", self.total()),
        ];
        let mut out = String::from("Durée des étapes\u{a0}:\n");
        for (name, duration) in rows {
            out.push_str(&format!(
                "  {name:<28} {:>9.1} ms {:>5.1} %\n",
                duration.as_secs_f64() * 1000.0,
                duration.as_secs_f64() / total * 100.0
            ));
        }
        out.push_str(
            "  (les étapes du rendu se recouvrent, sur tous les cœurs\u{a0}: chacune reçoit la part \
             du rendu proportionnelle à son temps de calcul)\n",
        );
        out
    }
}

/// Why a build failed.
#[derive(Debug)]
pub enum BuildError {
    /// Problems in the site's files (exit code 1). Sorted, errors and warnings.
    Content(Vec<Diagnostic>),
    /// A bad command line (exit code 2).
    Usage(String),
    /// The output could not be written (exit code 1).
    Io(String),
}

/// Runs load → resolve → analyse → render: everything but writing. Returns the files, or
/// every diagnostic (errors and warnings) when there is at least one error.
pub fn compile(options: &BuildOptions) -> Result<Compiled, Vec<Diagnostic>> {
    compile_cached(options, None)
}

/// [`compile`] for `serve`: the same pipeline, which reuses from `cache` the parsed files, the
/// theme and the rendered pages that the change did not touch (see [`incremental`]).
pub fn compile_cached(
    options: &BuildOptions,
    cache: Option<&incremental::Cache>,
) -> Result<Compiled, Vec<Diagnostic>> {
    let files = render::Collect::default();
    let mut compiled = compile_into(options, cache, &files)?;
    compiled.files = files.into_files();
    compiled.file_count = compiled.files.len();
    compiled.pages = compiled
        .files
        .iter()
        .filter(|f| f.path.ends_with(".html"))
        .count();
    Ok(compiled)
}

/// The pipeline, handing every output file to `sink` as soon as it is final.
fn compile_into(
    options: &BuildOptions,
    cache: Option<&incremental::Cache>,
    sink: &dyn render::Sink,
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut timings = Timings::default();
    let started = Instant::now();
    let (loaded, mut diagnostics) = load::load_site_cached(&options.root, cache);
    timings.load = started.elapsed();

    let started = Instant::now();
    let (site, mut resolve_diagnostics) = resolve::resolve(&loaded, &options.resolve);
    // The site has its own copy of what it needs (bodies included): what was read goes now.
    drop(loaded);
    diagnostics.append(&mut resolve_diagnostics);
    timings.resolve = started.elapsed();

    let (site, theme) = match site {
        Some(site) if !diagnostics.iter().any(Diagnostic::is_error) => {
            // Reading and compiling the theme's templates is part of « lecture ».
            let started = Instant::now();
            let theme = incremental::load_theme(cache, &options.root, &site.config.theme);
            timings.load += started.elapsed();
            match theme {
                Ok(theme) => (site, theme),
                Err(mut errors) => {
                    diagnostics.append(&mut errors);
                    return Err(sorted(diagnostics));
                }
            }
        }
        _ => {
            if !diagnostics.iter().any(Diagnostic::is_error) {
                diagnostics.push(Diagnostic::error(
                    "interne",
                    "atlas.yaml",
                    "le site n’a pas pu être construit",
                ));
            }
            return Err(sorted(diagnostics));
        }
    };

    let started = Instant::now();
    let analysis = analyse::analyse(&site);
    timings.analyse = started.elapsed();

    let started = Instant::now();
    let indexing = match render::render_site_cached(&site, &analysis, &theme, cache, sink) {
        Ok(indexing) => indexing,
        Err(mut errors) => {
            diagnostics.append(&mut errors);
            return Err(sorted(diagnostics));
        }
    };
    let model = (site, analysis, theme);
    let model = match cache {
        // `serve` keeps the model for its next build, once this one succeeded.
        Some(_) => Some(model),
        // `build`, `check`: every page is rendered, so the model goes before Pagefind builds
        // its index, the peak of a build's memory. It is freed on a thread of its own, beside
        // the index's sequential steps (tens of milliseconds at 10,000 case studies).
        None => {
            drop_in_background(model);
            None
        }
    };
    match indexing.finish(sink) {
        Ok(rendered) => timings.steps = rendered.timings,
        Err(mut errors) => {
            diagnostics.append(&mut errors);
            return Err(sorted(diagnostics));
        }
    }
    timings.render = started.elapsed();
    if let (Some(cache), Some((site, analysis, theme))) = (cache, model) {
        // For `serve`, which renders a case study's page alone after a save of its body.
        cache.keep_build(site, analysis, theme);
    }
    Ok(Compiled {
        files: Vec::new(),
        pages: 0,
        file_count: 0,
        warnings: sorted(diagnostics),
        timings,
    })
}

/// Drops `value` on a new thread. A process that ends first does not wait for it.
fn drop_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || drop(value));
}

fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostic::sort(&mut diagnostics);
    diagnostics
}

/// Validates the whole site without writing anything. Returns every diagnostic.
pub fn check(options: &BuildOptions) -> Vec<Diagnostic> {
    match compile(options) {
        Ok(compiled) => compiled.warnings,
        Err(diagnostics) => diagnostics,
    }
}

/// Builds the site into the output folder, atomically.
pub fn build(options: &BuildOptions) -> Result<Compiled, BuildError> {
    let output = options.output_dir();
    check_output_location(&options.root, &output).map_err(BuildError::Usage)?;
    // A previous build killed mid-swap: put the old output back first (see `write`).
    let _ = write::recover(&output);
    let failed = |error: std::io::Error| {
        BuildError::Io(format!(
            "écriture de {} impossible\u{a0}: {error}",
            output.display()
        ))
    };
    // Pages are written to the staging folder as they are rendered: the site is never held
    // in memory whole.
    let sink = StagingSink::new(&output);
    let compiled = compile_into(options, None, &sink);
    let (staging, stats) = sink.finish().map_err(failed)?;
    let mut compiled = compiled.map_err(BuildError::Content)?;
    let started = Instant::now();
    staging.commit().map_err(failed)?;
    compiled.timings.write = started.elapsed();
    compiled.file_count = stats.0;
    compiled.pages = stats.1;
    Ok(compiled)
}

/// The [`render::Sink`] of `build`: writes each file into a staging folder beside the output,
/// made at the first file (a site with errors found before rendering makes none).
struct StagingSink<'o> {
    output: &'o Path,
    staging: std::sync::OnceLock<Result<write::Staging, String>>,
    /// The first error; later files are not written.
    error: std::sync::Mutex<Option<std::io::Error>>,
    files: std::sync::atomic::AtomicUsize,
    pages: std::sync::atomic::AtomicUsize,
}

impl<'o> StagingSink<'o> {
    fn new(output: &'o Path) -> Self {
        StagingSink {
            output,
            staging: std::sync::OnceLock::new(),
            error: std::sync::Mutex::new(None),
            files: Default::default(),
            pages: Default::default(),
        }
    }

    fn staging(&self) -> std::io::Result<&write::Staging> {
        self.staging
            .get_or_init(|| write::Staging::create(self.output).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|message| std::io::Error::other(message.clone()))
    }

    fn fail(&self, error: std::io::Error) {
        let mut first = self.error.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert(error);
    }

    /// The staging folder and (files, HTML pages) written, or the first error.
    fn finish(self) -> std::io::Result<(write::Staging, (usize, usize))> {
        if let Some(error) = self.error.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(error);
        }
        let counts = (self.files.into_inner(), self.pages.into_inner());
        match self.staging.into_inner() {
            Some(Ok(staging)) => Ok((staging, counts)),
            Some(Err(message)) => Err(std::io::Error::other(message)),
            None => Ok((write::Staging::create(self.output)?, counts)),
        }
    }
}

impl render::Sink for StagingSink<'_> {
    fn put(&self, file: OutputFile) {
        use std::sync::atomic::Ordering::Relaxed;
        if self.failed() {
            return;
        }
        match self
            .staging()
            .and_then(|staging| staging.write(&file.path, &file.bytes))
        {
            Ok(()) => {
                self.files.fetch_add(1, Relaxed);
                if file.path.ends_with(".html") {
                    self.pages.fetch_add(1, Relaxed);
                }
            }
            Err(error) => self.fail(error),
        }
    }

    fn failed(&self) -> bool {
        self.error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }
}

/// The output folder is replaced whole by each build: refuse any place where that would
/// destroy sources (the site root itself, one of its parents, or a source folder).
pub fn check_output_location(root: &Path, output: &Path) -> Result<(), String> {
    let absolute = |p: &Path| -> PathBuf {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        // Canonicalise what exists, so that `..` and links are compared for real.
        let mut existing = p.clone();
        let mut rest = Vec::new();
        while !existing.exists() {
            match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut resolved = existing.canonicalize().unwrap_or(existing);
        for name in rest.into_iter().rev() {
            resolved.push(name);
        }
        resolved
    };
    let root = absolute(root);
    let output = absolute(output);
    if root.starts_with(&output) {
        return Err(format!(
            "le dossier de sortie {} contient le site lui-même\u{a0}: il serait effacé par la construction",
            output.display()
        ));
    }
    for source in [
        "content",
        "themes",
        "templates",
        "static",
        "docs",
        "src",
        ".git",
    ] {
        if output.starts_with(root.join(source)) {
            return Err(format!(
                "le dossier de sortie {} est dans {source}/\u{a0}: choisissez un dossier à part, par exemple public/",
                output.display()
            ));
        }
    }
    Ok(())
}
