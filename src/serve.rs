//! `vaucluse-atlas serve`: build the site, serve it from memory on localhost, watch the
//! sources, rebuild what a save touches, and reload the browser.
//!
//! - One port for everything: the site, the live-reload script (`__atlas/livereload.js`, an
//!   external same-origin script that the theme's Content-Security-Policy allows) and its
//!   Server-Sent Events (`__atlas/events`, plain HTTP that goes through proxies).
//! - A rebuild ([`crate::compile_cached`], see [`crate::incremental`]) gives the same bytes as
//!   `build`. The new site replaces the old one in one step, and only then is the browser
//!   told: a reload always gets the new page. Nothing is said when nothing changed.
//! - Fast path ([`fast`]): a save that changes only the Markdown body of case studies gets
//!   their pages rendered alone from the last good build and served within milliseconds; the
//!   browsers showing them reload (the event lists the files that changed). The full rebuild
//!   follows in the background on its own thread, and its result is announced only for what
//!   else changed (search index, feeds…). A save during a full rebuild takes the fast path too.
//! - A broken save keeps the last good site served; the browser shows the diagnostics (the
//!   same as the terminal) over the page until the next good save.
//! - Safe by default: 127.0.0.1, no path outside the site (see [`http::safe_path`]), no
//!   directory listing, media types by extension.

mod fast;
mod http;
mod watch;

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::watch as channel;

use crate::diagnostic::Diagnostic;
use crate::incremental::Cache;
use crate::{BuildOptions, Compiled};

/// What `serve` is asked to do.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub build: BuildOptions,
    /// Address to listen on: 127.0.0.1 unless told otherwise.
    pub bind: IpAddr,
    /// 0: any free port (printed).
    pub port: u16,
    /// Open the site in the browser once built.
    pub open: bool,
    /// Colours in the terminal's diagnostics.
    pub color: bool,
}

/// Why `serve` could not run.
#[derive(Debug)]
pub enum ServeError {
    /// Bad command line, port taken (exit code 2).
    Usage(String),
    /// The server or the watcher could not start (exit code 1).
    Io(String),
}

/// The site being served: every file of the last good build, by path relative to the
/// output folder.
pub struct Site {
    pub files: HashMap<String, Bytes>,
    /// Identifies the content: changes when (and only when) a file changes.
    pub build: Arc<str>,
    /// The sub-path of `base_url` (`/` or `/atlas/`): the site is served there.
    pub base_path: String,
}

/// What the browsers are told, as the latest state: each tab's event stream derives its next
/// event from it and from what that tab last heard.
#[derive(Clone)]
struct Status {
    build: Arc<str>,
    /// The build just before `build`.
    previous: Arc<str>,
    /// Files that changed from `previous` to `build` (None: too many to list).
    changed: Option<Arc<Vec<String>>>,
    /// When only stylesheets changed: their paths (as in `<link href>`, without query).
    stylesheets: Option<Arc<Vec<String>>>,
    /// The diagnostics of the last build, when it failed.
    diagnostics: Option<Arc<serde_json::Value>>,
    /// Changes whenever `diagnostics` does.
    diagnostics_seq: u64,
}

impl Status {
    fn diagnostics_json(&self) -> Option<&serde_json::Value> {
        self.diagnostics.as_deref()
    }
}

/// State shared by the builder thread and the HTTP handlers.
pub(crate) struct Shared {
    site: RwLock<Arc<Site>>,
    events: channel::Sender<Status>,
    /// Inject the live-reload script into HTML pages.
    live_reload: bool,
}

impl Shared {
    fn site(&self) -> Arc<Site> {
        Arc::clone(
            &self
                .site
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// Warnings printed at most by one build (`check` gives them all).
const MAX_PRINTED_WARNINGS: usize = 20;

/// More changed files than this are announced as "everything changed".
const MAX_LISTED_CHANGES: usize = 500;

/// How long the sources must stay quiet, after the watcher's own delay
/// ([`watch::DEBOUNCE`]), before a full rebuild starts: the steps of an editor's save make one
/// rebuild. The fast path does not wait for it.
const SETTLE: Duration = Duration::from_millis(70);
/// A source written without end does not hold full rebuilds back longer than this.
const MAX_SETTLE: Duration = Duration::from_secs(1);

/// What the fast path and the full rebuilds share. Whatever is published (the site swapped,
/// the browsers told) is published under its lock, one publication at a time.
struct Live {
    /// Distinguishes this server's builds from those of an earlier run.
    run: String,
    builds: u64,
    diagnostics_seq: u64,
    /// The last full build failed: the browsers show its diagnostics.
    failing: bool,
    /// What the last good full build leaves for the fast path.
    base: Option<fast::Base>,
    /// The last batch of changes that the fast path did not take: until a full build includes
    /// it, the fast path would render from a stale site, so it waits.
    last_slow: u64,
    /// Pages published by the fast path, with their batch: a full build that started before
    /// that batch keeps them (the next full build, which the batch asked for, settles them).
    fast_pages: HashMap<String, u64>,
}

impl Live {
    fn next_build(&mut self) -> Arc<str> {
        self.builds += 1;
        Arc::from(format!("{}-{}", self.run, self.builds))
    }
}

/// The nice value of the threads of full rebuilds, after the first build.
#[cfg(target_os = "linux")]
const BACKGROUND_NICE: i32 = 10;

/// Lowers the priority of the calling thread: full rebuilds (this thread, rayon's, and the
/// threads they start) leave the processor to the fast path and the HTTP server, which answer
/// the editor, and to the editor itself. On a machine of two cores, a save during a full
/// rebuild of 10,000 case studies was served in up to 160 ms without it.
fn background_priority() {
    // SAFETY: setpriority only changes a nice value; on Linux the nice value is per thread,
    // and `who = 0` is the calling thread.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, BACKGROUND_NICE);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs the server until interrupted (Ctrl-C).
pub fn run(mut options: ServeOptions) -> Result<(), ServeError> {
    let root = options.build.root.canonicalize().map_err(|error| {
        ServeError::Usage(format!(
            "dossier du site introuvable {}\u{a0}: {error}",
            options.build.root.display()
        ))
    })?;
    options.build.root = root.clone();

    // The port first: a taken port is said at once, not after a long first build.
    let listener = bind(options.bind, options.port)?;
    let address = listener
        .local_addr()
        .map_err(|error| ServeError::Io(error.to_string()))?;

    let (events, _) = channel::channel(Status {
        build: Arc::from(""),
        previous: Arc::from(""),
        changed: None,
        stylesheets: None,
        diagnostics: None,
        diagnostics_seq: 0,
    });
    let shared = Arc::new(Shared {
        site: RwLock::new(Arc::new(Site {
            files: HashMap::new(),
            build: Arc::from(""),
            base_path: "/".to_string(),
        })),
        events,
        live_reload: true,
    });

    let live = Arc::new(Mutex::new(Live {
        run: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| format!("{:x}", d.as_millis()))
            .unwrap_or_default(),
        builds: 0,
        diagnostics_seq: 0,
        failing: false,
        base: None,
        last_slow: 0,
        fast_pages: HashMap::new(),
    }));
    let mut builder = Builder::new(
        options.build.clone(),
        Arc::clone(&shared),
        Arc::clone(&live),
        options.color,
    );
    builder.rebuild(&[], 0);

    // Watch before serving: a save made while the browser opens is not missed.
    let (batches, incoming) = mpsc::channel::<Vec<PathBuf>>();
    let mut watcher = watch::Watcher::start(&root, batches).map_err(ServeError::Io)?;
    // Full rebuilds on their own thread, so that the fast path serves saves made meanwhile.
    let (work, queue) = mpsc::channel::<(Vec<PathBuf>, u64)>();
    std::thread::Builder::new()
        .name("reconstruction".into())
        .spawn(move || {
            background_priority();
            rayon::broadcast(|_| background_priority());
            while let Ok((mut paths, mut seq)) = queue.recv() {
                // Everything that comes in until the sources are quiet makes one rebuild.
                let settling = Instant::now();
                while settling.elapsed() < MAX_SETTLE {
                    match queue.recv_timeout(SETTLE) {
                        Ok((more, more_seq)) => {
                            paths.extend(more);
                            seq = seq.max(more_seq);
                        }
                        Err(_) => break,
                    }
                }
                paths.sort();
                paths.dedup();
                builder.rebuild(&paths, seq);
            }
        })
        .map_err(|error| ServeError::Io(error.to_string()))?;
    let fast_path = FastPath {
        root: root.clone(),
        shared: Arc::clone(&shared),
        live,
    };
    std::thread::Builder::new()
        .name("surveillance".into())
        .spawn(move || {
            let mut seq = 0;
            while let Ok(mut paths) = incoming.recv() {
                while let Ok(more) = incoming.try_recv() {
                    paths.extend(more);
                }
                paths.sort();
                paths.dedup();
                watcher.refresh(&paths);
                seq += 1;
                fast_path.attempt(&paths, seq);
                if work.send((paths, seq)).is_err() {
                    return;
                }
            }
        })
        .map_err(|error| ServeError::Io(error.to_string()))?;

    let host = if address.ip().is_unspecified() {
        SocketAddr::new(IpAddr::from([127, 0, 0, 1]), address.port())
    } else {
        address
    };
    let url = format!("http://{host}{}", shared.site().base_path);
    println!("Atlas servi sur {url}");
    let _ = std::io::stdout().flush();
    if !options.bind.is_loopback() {
        eprintln!(
            "attention\u{a0}: le serveur écoute sur {}, il est joignable depuis le réseau.",
            options.bind
        );
    }
    eprintln!(
        "Surveillance de atlas.yaml, content/, themes/, templates/ et static/. Ctrl-C pour arrêter."
    );
    if options.open {
        open_browser(&url);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|error| ServeError::Io(error.to_string()))?;
    runtime.block_on(async move {
        listener
            .set_nonblocking(true)
            .map_err(|error| ServeError::Io(error.to_string()))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|error| ServeError::Io(error.to_string()))?;
        let router = axum::Router::new()
            .fallback(http::handle)
            .with_state(Arc::clone(&shared));
        tokio::select! {
            result = axum::serve(listener, router) => {
                result.map_err(|error| ServeError::Io(error.to_string()))
            }
            _ = tokio::signal::ctrl_c() => {
                eprintln!("Serveur arrêté.");
                Ok(())
            }
        }
    })
}

fn bind(ip: IpAddr, port: u16) -> Result<std::net::TcpListener, ServeError> {
    std::net::TcpListener::bind(SocketAddr::new(ip, port)).map_err(|error| {
        ServeError::Usage(match error.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "le port {port} est déjà utilisé\u{a0}: choisissez-en un autre avec --port, ou --port 0 pour un port libre"
            ),
            std::io::ErrorKind::PermissionDenied => format!(
                "le port {port} est réservé\u{a0}: choisissez-en un au-dessus de 1024 avec --port, ou --port 0 pour un port libre"
            ),
            std::io::ErrorKind::AddrNotAvailable => {
                format!("l’adresse {ip} n’est pas une adresse de cette machine (--bind)")
            }
            _ => format!("écoute sur {ip}:{port} impossible\u{a0}: {error}"),
        })
    })
}

/// Opens `url` in the default browser, except in CI.
fn open_browser(url: &str) {
    if std::env::var_os("CI").is_some() {
        return;
    }
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let spawned = std::process::Command::new(program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        eprintln!("navigateur introuvable\u{a0}: ouvrez {url}");
    }
}

/// Rebuilds the site and publishes it: owned by one thread, one build at a time.
struct Builder {
    options: BuildOptions,
    cache: Cache,
    shared: Arc<Shared>,
    live: Arc<Mutex<Live>>,
    color: bool,
    warnings: BTreeSet<String>,
}

/// A new site compared with the one served when it was prepared ([`Builder::prepare`]).
struct Prepared {
    files: HashMap<String, Bytes>,
    /// Files that differ from the served site's, added or removed.
    changed: BTreeSet<String>,
    base_path: String,
}

/// What a rebuild did, for tests and the closing summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct RebuildReport {
    pub ok: bool,
    pub elapsed: Duration,
    pub rendered: usize,
    pub pages: usize,
    pub changed_files: usize,
}

impl Builder {
    fn new(
        options: BuildOptions,
        shared: Arc<Shared>,
        live: Arc<Mutex<Live>>,
        color: bool,
    ) -> Builder {
        Builder {
            options,
            cache: Cache::new(),
            shared,
            live,
            color,
            warnings: BTreeSet::new(),
        }
    }

    /// Rebuilds after `changed` (empty: the first build), which includes the batches of
    /// changes up to `seq`, publishes the new site, then tells the browsers.
    fn rebuild(&mut self, changed: &[PathBuf], seq: u64) -> RebuildReport {
        let first = seq == 0 && changed.is_empty();
        let started = Instant::now();
        self.cache.invalidate(&self.options.root, changed);
        self.cache.begin();
        let result = crate::compile_cached(&self.options, Some(&self.cache));
        let stats = self.cache.finish(result.is_ok());
        let snapshot = self.cache.take_snapshot();
        match result {
            Ok(compiled) => {
                let pages = compiled.pages;
                let compiled_in = started.elapsed();
                let timings = compiled.timings;
                self.print(&compiled.warnings, false);
                let prepared = self.prepare(compiled);
                let mut live = lock(&self.live);
                let (changed_files, status) = self.publish(&mut live, prepared, changed, seq);
                let elapsed = started.elapsed();
                if std::env::var_os("VAUCLUSE_ATLAS_TIMINGS").is_some() {
                    eprintln!(
                        "  lecture {} ms, résolution {} ms, analyse {} ms, rendu {} ms, publication {} ms, {} fichiers lus, {changed_files} fichiers modifiés",
                        timings.load.as_millis(),
                        timings.resolve.as_millis(),
                        timings.analyse.as_millis(),
                        timings.render.as_millis(),
                        (elapsed - compiled_in).as_millis(),
                        stats.parsed
                    );
                }
                let word = if stats.rendered > 1 { "pages" } else { "page" };
                if first {
                    eprintln!(
                        "Site construit en {} ms ({pages} pages)",
                        elapsed.as_millis()
                    );
                } else {
                    eprintln!(
                        "Reconstruit en {} ms ({} {word})",
                        elapsed.as_millis(),
                        stats.rendered
                    );
                }
                // Said once the new site is served and the terminal knows.
                self.shared.events.send_replace(status);
                drop(live);
                // The fast path renders from this build from now on (until then, from the
                // previous one, which is as right for the pages it takes).
                let base = snapshot.map(|snapshot| {
                    let site = self.shared.site();
                    fast::Base::new(
                        snapshot.compact(),
                        site.files.keys().map(String::as_str),
                        seq,
                    )
                });
                let old_base = std::mem::replace(&mut lock(&self.live).base, base);
                // Out of the lock: freeing a large site takes a while.
                drop(old_base);
                RebuildReport {
                    ok: true,
                    elapsed,
                    rendered: stats.rendered,
                    pages,
                    changed_files,
                }
            }
            Err(diagnostics) => {
                self.print(&diagnostics, true);
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                let served = !self.shared.site().build.is_empty();
                eprintln!(
                    "Échec de la reconstruction ({errors} erreur{})\u{a0}: {}",
                    if errors > 1 { "s" } else { "" },
                    if served {
                        "le dernier site valide reste servi, l’erreur est affichée dans le navigateur."
                    } else {
                        "le site sera servi dès que l’erreur sera corrigée."
                    }
                );
                let list: Vec<serde_json::Value> = diagnostics
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "severity": d.severity,
                            "location": d.location(),
                            "message": d.message,
                            "html": d.render_html(),
                            "text": d.render_human(false),
                        })
                    })
                    .collect();
                let mut live = lock(&self.live);
                live.diagnostics_seq += 1;
                live.failing = true;
                // No fast path until a full build succeeds again.
                let old_base = live.base.take();
                let seq = live.diagnostics_seq;
                self.shared.events.send_modify(|status| {
                    status.previous = Arc::clone(&status.build);
                    status.changed = Some(Arc::new(Vec::new()));
                    status.stylesheets = None;
                    status.diagnostics = Some(Arc::new(serde_json::Value::Array(list)));
                    status.diagnostics_seq = seq;
                });
                drop(live);
                drop(old_base);
                RebuildReport {
                    ok: false,
                    elapsed: started.elapsed(),
                    rendered: stats.rendered,
                    ..RebuildReport::default()
                }
            }
        }
    }

    /// Prints diagnostics: all of them on failure; on success only warnings not printed by
    /// the previous build (the same warnings at every save would drown the news), at most
    /// [`MAX_PRINTED_WARNINGS`] at once.
    fn print(&mut self, diagnostics: &[Diagnostic], failed: bool) {
        let mut seen = BTreeSet::new();
        let mut skipped = 0;
        let mut printed = 0;
        for d in diagnostics {
            let key = format!("{}\u{0}{}", d.location(), d.message);
            let new = !self.warnings.contains(&key);
            if !d.is_error() {
                seen.insert(key);
            }
            if failed || d.is_error() || new {
                if d.is_error() || printed < MAX_PRINTED_WARNINGS {
                    eprintln!("{}", d.render_human(self.color));
                    printed += usize::from(!d.is_error());
                } else {
                    skipped += 1;
                }
            }
        }
        if skipped > 0 {
            eprintln!(
                "… et {skipped} autres avertissements\u{a0}: «\u{202f}vaucluse-atlas check\u{202f}» les donne tous."
            );
        }
        self.warnings = seen;
    }

    /// The new site, compared with the one served now: the long part of publishing, done
    /// before taking the lock that the fast path also takes.
    fn prepare(&self, compiled: Compiled) -> Prepared {
        let old = self.shared.site();
        let mut files = HashMap::with_capacity(compiled.files.len());
        let mut changed = BTreeSet::new();
        for file in compiled.files {
            let bytes = match old.files.get(&file.path) {
                Some(old) if **old == *file.bytes => old.clone(),
                _ => {
                    changed.insert(file.path.clone());
                    match self.cache.shared_bytes(&file.path, &file.bytes) {
                        Some(shared) => Bytes::from_owner(shared),
                        None => Bytes::from(file.bytes),
                    }
                }
            };
            files.insert(file.path, bytes);
        }
        for path in old.files.keys() {
            if !files.contains_key(path) {
                changed.insert(path.clone());
            }
        }
        let base_path = self.base_path().unwrap_or_else(|| old.base_path.clone());
        Prepared {
            files,
            changed,
            base_path,
        }
    }

    /// Swaps the new site in and returns the status to announce. `seq`: the last batch of
    /// changes the build includes; pages that the fast path published for a later batch stay
    /// as they are until the build of that batch.
    fn publish(
        &self,
        live: &mut Live,
        prepared: Prepared,
        sources: &[PathBuf],
        seq: u64,
    ) -> (usize, Status) {
        if live.failing {
            // The overlay goes away.
            live.failing = false;
            live.diagnostics_seq += 1;
        }
        let Prepared {
            mut files,
            mut changed,
            base_path,
        } = prepared;
        // Only the fast path publishes besides this thread, and only pages that it lists in
        // `fast_pages` (until a build includes their batch): those are compared again with
        // what is served now.
        let old = self.shared.site();
        for (output, &fast_seq) in &live.fast_pages {
            let (Some(served), Some(built)) = (old.files.get(output), files.get(output)) else {
                continue;
            };
            let bytes = if fast_seq > seq {
                served.clone()
            } else {
                built.clone()
            };
            if bytes == *served {
                changed.remove(output);
            } else {
                changed.insert(output.clone());
            }
            files.insert(output.clone(), bytes);
        }
        live.fast_pages.retain(|_, &mut s| s > seq);
        let changed: Vec<String> = changed.into_iter().collect();
        let build: Arc<str> = if changed.is_empty() && base_path == old.base_path {
            Arc::clone(&old.build)
        } else {
            live.next_build()
        };
        // Only stylesheets changed in the sources, so pages differ only by the stylesheet's
        // version in its URL: the browser swaps the stylesheet instead of reloading.
        let css_only = !sources.is_empty()
            && sources
                .iter()
                .all(|p| is_static_stylesheet(&self.options.root, p))
            && changed
                .iter()
                .all(|f| f.ends_with(".css") || f.ends_with(".html"));
        let stylesheets = css_only.then(|| {
            Arc::new(
                changed
                    .iter()
                    .filter(|f| f.ends_with(".css"))
                    .map(|f| format!("{base_path}{f}"))
                    .collect::<Vec<_>>(),
            )
        });
        let count = changed.len();
        let site = Arc::new(Site {
            files,
            build: Arc::clone(&build),
            base_path,
        });
        // The new site is served from here on; the browsers are told after this.
        *self
            .shared
            .site
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = site;
        let status = Status {
            build,
            previous: Arc::clone(&old.build),
            changed: (count <= MAX_LISTED_CHANGES).then(|| Arc::new(changed)),
            stylesheets,
            diagnostics: None,
            diagnostics_seq: live.diagnostics_seq,
        };
        (count, status)
    }

    /// The path part of the site's address, from `--base-url` or `atlas.yaml`.
    fn base_path(&self) -> Option<String> {
        let base_url = match &self.options.resolve.base_url {
            Some(url) => url.clone(),
            None => {
                let root = &self.options.root;
                let file =
                    crate::load::read_source(root, &root.join(crate::load::CONFIG_FILE)).ok()?;
                crate::load::parse_yaml::<crate::model::SiteConfig>(&file, &file.text, 0)
                    .ok()?
                    .base_url
                    .value
            }
        };
        let mut path = url::Url::parse(&base_url).ok()?.path().to_string();
        if !path.ends_with('/') {
            path.push('/');
        }
        Some(path)
    }
}

/// The fast path's side of the server: tries each batch of changes before the full rebuild.
struct FastPath {
    root: PathBuf,
    shared: Arc<Shared>,
    live: Arc<Mutex<Live>>,
}

impl FastPath {
    /// Renders and publishes the pages of batch `seq` if the fast path can take it (see
    /// [`fast`]); returns whether it did. The full rebuild follows either way.
    fn attempt(&self, changed: &[PathBuf], seq: u64) -> bool {
        let started = Instant::now();
        let mut live = lock(&self.live);
        let pages = match &live.base {
            Some(base) if !live.failing && live.last_slow <= base.seq => {
                fast::render(&self.root, base, changed)
            }
            _ => None,
        };
        let Some(pages) = pages else {
            live.last_slow = seq;
            return false;
        };
        let old = self.shared.site();
        let mut files = None;
        let mut updated = Vec::new();
        for page in pages {
            live.fast_pages.insert(page.output.clone(), seq);
            if old
                .files
                .get(&page.output)
                .is_some_and(|bytes| **bytes == *page.bytes)
            {
                continue;
            }
            files
                .get_or_insert_with(|| old.files.clone())
                .insert(page.output.clone(), Bytes::from(page.bytes));
            updated.push(page.output);
        }
        let shown = if updated.is_empty() {
            "aucune page modifiée".to_string()
        } else {
            updated
                .iter()
                .map(|output| {
                    format!(
                        "{}{}",
                        old.base_path,
                        output.strip_suffix("index.html").unwrap_or(output)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let status = files.map(|files| {
            let build = live.next_build();
            *self
                .shared
                .site
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(Site {
                files,
                build: Arc::clone(&build),
                base_path: old.base_path.clone(),
            });
            Status {
                build,
                previous: Arc::clone(&old.build),
                changed: Some(Arc::new(updated)),
                stylesheets: None,
                diagnostics: None,
                diagnostics_seq: live.diagnostics_seq,
            }
        });
        eprintln!(
            "Rendu rapide en {} ms\u{a0}: {shown} (le reste du site suit)",
            started.elapsed().as_millis()
        );
        // Said once the page is served and the terminal knows.
        if let Some(status) = status {
            self.shared.events.send_replace(status);
        }
        drop(live);
        true
    }
}

/// A stylesheet among the static files (`static/` or `themes/<name>/static/`).
fn is_static_stylesheet(root: &Path, path: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    let in_static = matches!(parts.first().map(String::as_str), Some("static"))
        || (parts.len() > 3 && parts[0] == "themes" && parts[2] == "static");
    in_static
        && relative
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("css"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stylesheets_are_told_apart_from_templates() {
        let root = Path::new("/site");
        assert!(is_static_stylesheet(
            root,
            Path::new("/site/themes/default/static/style.css")
        ));
        assert!(is_static_stylesheet(
            root,
            Path::new("/site/static/a/b.css")
        ));
        assert!(!is_static_stylesheet(
            root,
            Path::new("/site/themes/default/templates/a.css")
        ));
        assert!(!is_static_stylesheet(
            root,
            Path::new("/site/static/app.js")
        ));
    }
}
