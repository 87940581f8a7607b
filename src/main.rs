//! Command line of vaucluse-atlas: parses arguments and calls the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use vaucluse_atlas::diagnostic::{self, Diagnostic};
use vaucluse_atlas::{BuildError, BuildOptions, ResolveOptions};

/// mimalloc: a build is allocation-bound (strings, maps, page contexts) on every thread, where
/// glibc's malloc spent ≈15 % of the time in its own bookkeeping and locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "vaucluse-atlas",
    version,
    about = "Génère l’atlas du marketing territorial des villes de Vaucluse"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Construit le site dans public/ (de façon atomique : en cas d’erreur, l’ancien site reste)
    Build {
        #[command(flatten)]
        site: SiteArgs,
        /// Dossier de sortie (par défaut : <racine>/public)
        #[arg(long, value_name = "DOSSIER")]
        output: Option<PathBuf>,
        /// Affiche la durée de chaque étape (lecture, résolution, analyse, rendu, minification, écriture)
        #[arg(long)]
        timings: bool,
    },
    /// Construit le site, le sert en local et le reconstruit à chaque enregistrement
    Serve {
        #[command(flatten)]
        site: SiteArgs,
        /// Port d’écoute (0 : un port libre, affiché au démarrage)
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// Adresse d’écoute (par défaut, seule cette machine peut se connecter)
        #[arg(long, value_name = "ADRESSE", default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Ouvre le site dans le navigateur
        #[arg(long)]
        open: bool,
    },
    /// Vérifie tous les fichiers et tous les liens internes sans rien écrire
    Check {
        #[command(flatten)]
        site: SiteArgs,
        /// Format du rapport
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Importe des données officielles dans les fiches (identité des communes)
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Écrit le squelette commenté d’une étude de cas ou d’une fiche de ville
    New {
        #[command(subcommand)]
        what: NewCommand,
    },
    /// Crée un nouvel atlas, prêt à construire, dans un dossier vide ou nouveau
    Init {
        /// Dossier du nouvel atlas
        #[arg(value_name = "DOSSIER")]
        dir: PathBuf,
    },
    /// Écrit les schémas JSON des fiches, des études de cas et d’atlas.yaml
    Schema {
        /// Dossier du site (celui qui contient atlas.yaml)
        #[arg(long, value_name = "DOSSIER", default_value = ".")]
        root: PathBuf,
        /// Dossier des schémas (par défaut : <racine>/schemas)
        #[arg(long, value_name = "DOSSIER")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Écrit ou met à jour l’identité des communes d’un département et ses intercommunalités
    Communes {
        /// Code du département (ex. : 84)
        #[arg(long, value_name = "CODE")]
        departement: String,
        /// Millésime des populations (ex. : 2026)
        #[arg(long, value_name = "ANNÉE")]
        annee_population: i64,
        /// Version de @etalab/decoupage-administratif dont viennent les fichiers JSON (ex. : 6.0.0)
        #[arg(long, value_name = "VERSION")]
        version_decoupage: String,
        /// communes.json de @etalab/decoupage-administratif
        #[arg(value_name = "COMMUNES_JSON")]
        communes: PathBuf,
        /// epci.json de @etalab/decoupage-administratif
        #[arg(value_name = "EPCI_JSON")]
        epci: PathBuf,
        /// Centroïdes des communes, CSV insee,nom,lat,lon
        #[arg(long, value_name = "CSV")]
        centroides: Option<PathBuf>,
        /// Mairies, CSV insee,nom,lat,lon,adresse_mairie,site_web (pour le site web)
        #[arg(long, value_name = "CSV")]
        mairies: Option<PathBuf>,
        /// Date de consultation des données, AAAA-MM-JJ (par défaut : aujourd’hui)
        #[arg(long, value_name = "DATE")]
        consulte: Option<String>,
        /// Dossier du site (celui qui contient atlas.yaml)
        #[arg(long, value_name = "DOSSIER", default_value = ".")]
        root: PathBuf,
    },
}

#[derive(Subcommand)]
enum NewCommand {
    /// Écrit content/cas/<titre-en-slug>.md
    Cas {
        /// Titre de l’étude de cas
        titre: String,
        /// Villes concernées, séparées par des virgules (ex. : avignon,carpentras)
        #[arg(long, value_name = "SLUGS", value_delimiter = ',', required = true)]
        villes: Vec<String>,
        /// Dossier du site (celui qui contient atlas.yaml)
        #[arg(long, value_name = "DOSSIER", default_value = ".")]
        root: PathBuf,
    },
    /// Écrit content/villes/<nom-en-slug>.yaml
    Ville {
        /// Nom officiel de la commune (ex. : L'Isle-sur-la-Sorgue)
        nom: String,
        /// Dossier du site (celui qui contient atlas.yaml)
        #[arg(long, value_name = "DOSSIER", default_value = ".")]
        root: PathBuf,
    },
}

#[derive(clap::Args)]
struct SiteArgs {
    /// Dossier du site (celui qui contient atlas.yaml)
    #[arg(long, value_name = "DOSSIER", default_value = ".")]
    root: PathBuf,
    /// Adresse publique du site, remplace base_url d’atlas.yaml (ex. : https://example.org/atlas/)
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Inclut les études de cas en brouillon (statut: brouillon)
    #[arg(long)]
    drafts: bool,
    /// Ne minifie pas les pages, quoi que dise atlas.yaml (minifier)
    #[arg(long)]
    no_minify: bool,
    /// Ne construit ni l’index de recherche ni la page Rechercher, quoi que dise atlas.yaml (recherche)
    #[arg(long)]
    no_search: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

impl SiteArgs {
    fn options(self, output: Option<PathBuf>) -> BuildOptions {
        BuildOptions {
            root: self.root,
            output,
            resolve: ResolveOptions {
                base_url: self.base_url,
                drafts: self.drafts,
                no_minify: self.no_minify,
                no_search: self.no_search,
            },
        }
    }
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let color = color();
    for d in diagnostics {
        eprintln!("{}", d.render_human(color));
    }
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n > 1 { "s" } else { "" });
    format!(
        "{}, {}",
        plural(errors, "erreur"),
        plural(warnings, "avertissement")
    )
}

/// mimalloc asks for transparent huge pages on its arena: each page the build touches there
/// is then 2 MB, cleared by the kernel at first use. Without them a build of 1,000 case
/// studies peaks at ≈ 280 MB instead of ≈ 340 MB in the same wall time. Memory is what large
/// sites run short of. (The processes it starts inherit the setting: the browser of
/// `serve --open`.)
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integer arguments and changes only how
    // the kernel backs this process's memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// mimalloc's option `purge_delay` (`mi_option_purge_delay` of its `mimalloc.h`, version 3;
/// `libmimalloc-sys` names the options around it, not this one).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// How long mimalloc keeps memory that was freed before it gives it back to the system, in
/// milliseconds. Its version 3 waits a second (its version 2 waited 10 ms): a build frees
/// the contexts and HTML of thousands of pages while the search index is being built, and
/// that memory stayed resident through the peak of the build. At 100 ms, a build of 10,000
/// case studies peaks ≈ 90 MB lower, for ≈ 0.3 s more of system time (more pages given
/// back, then faulted in again), within the noise of its wall time.
const PURGE_DELAY_MS: std::ffi::c_long = 100;

unsafe extern "C" {
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// [`PURGE_DELAY_MS`], unless `MIMALLOC_PURGE_DELAY` is set (mimalloc reads it itself).
fn shorter_purge_delay() {
    // SAFETY: getenv reads the environment with a C string; mi_option_set stores an
    // integer in mimalloc's table of options, which it reads at each purge. No other thread
    // runs yet (before `main` on Linux, at its start elsewhere).
    unsafe {
        if libc::getenv(c"MIMALLOC_PURGE_DELAY".as_ptr()).is_null() {
            mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
    }
}

/// The allocator's settings, before the first allocation (on Linux).
extern "C" fn tune_memory() {
    no_transparent_huge_pages();
    shorter_purge_delay();
}

/// Called by the C runtime before `main`, so before the first allocation: Rust's runtime
/// allocates before `main`, and that first allocation sets up mimalloc's arena — as huge
/// pages, ≈ 9 ms of the kernel clearing 2 MB pages on one thread at every start, when
/// `main` disabled them.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE_MEMORY_BEFORE_MAIN: extern "C" fn() = tune_memory;

fn main() -> ExitCode {
    // Elsewhere than on Linux, no constructor runs before `main`: the purge delay still
    // applies from here on.
    #[cfg(not(target_os = "linux"))]
    tune_memory();
    let cli = Cli::parse();
    // Rendering and minifying recurse on the depth of a page's HTML: bigger stacks than
    // rayon's 2 MB default leave a wide margin above the nesting limits that `load` enforces.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(16 * 1024 * 1024)
        .build_global();
    match cli.command {
        Command::Build {
            site,
            output,
            timings,
        } => {
            let options = site.options(output);
            let output_dir = options.output_dir();
            match vaucluse_atlas::build(&options) {
                Ok(compiled) => {
                    print_diagnostics(&compiled.warnings);
                    let t = compiled.timings;
                    let total = t.total();
                    if timings {
                        eprint!("{}", t.table());
                    }
                    eprintln!(
                        "Site construit dans {}\u{a0}: {} pages, {} fichiers en {} ms (lecture {} ms, résolution {} ms, analyse {} ms, rendu {} ms, écriture {} ms)",
                        output_dir.display(),
                        compiled.pages,
                        compiled.file_count,
                        total.as_millis(),
                        t.load.as_millis(),
                        t.resolve.as_millis(),
                        t.analyse.as_millis(),
                        t.render.as_millis(),
                        t.write.as_millis(),
                    );
                    ExitCode::SUCCESS
                }
                Err(BuildError::Content(diagnostics)) => {
                    print_diagnostics(&diagnostics);
                    eprintln!(
                        "Échec de la construction ({})\u{a0}: {} n’a pas été modifié.",
                        summary(&diagnostics),
                        output_dir.display()
                    );
                    ExitCode::from(1)
                }
                Err(BuildError::Io(message)) => {
                    eprintln!(
                        "erreur\u{a0}: {message}\n{} n’a pas été modifié.",
                        output_dir.display()
                    );
                    ExitCode::from(1)
                }
                Err(BuildError::Usage(message)) => {
                    eprintln!("erreur\u{a0}: {message}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Check { site, format } => {
            let diagnostics = vaucluse_atlas::check(&site.options(None));
            match format {
                Format::Json => println!("{}", diagnostic::to_json(&diagnostics)),
                Format::Human => {
                    print_diagnostics(&diagnostics);
                    eprintln!("Vérification terminée\u{a0}: {}.", summary(&diagnostics));
                }
            }
            if diagnostics.iter().any(Diagnostic::is_error) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Import { what } => editors::import(what),
        Command::New { what } => editors::new(what),
        Command::Init { dir } => editors::init(&dir),
        Command::Schema { root, output } => {
            editors::schema(output.unwrap_or_else(|| root.join("schemas")))
        }
        Command::Serve {
            site,
            port,
            bind,
            open,
        } => serve(site, port, bind, open),
    }
}

/// `serve`: runs until Ctrl-C; exit code 2 for a port taken or a bad address.
fn serve(site: SiteArgs, port: u16, bind: std::net::IpAddr, open: bool) -> ExitCode {
    use vaucluse_atlas::serve::{ServeError, ServeOptions, run};
    let options = ServeOptions {
        build: site.options(None),
        bind,
        port,
        open,
        color: color(),
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(ServeError::Usage(message)) => {
            eprintln!("erreur\u{a0}: {message}");
            ExitCode::from(2)
        }
        Err(ServeError::Io(message)) => {
            eprintln!("erreur\u{a0}: {message}");
            ExitCode::from(1)
        }
    }
}

/// The editors' commands: import, new, init, schema.
mod editors {
    use super::*;
    use vaucluse_atlas::{import, scaffold, schema};

    fn failed(diagnostics: &[Diagnostic], what: &str) -> ExitCode {
        print_diagnostics(diagnostics);
        eprintln!("{what}");
        ExitCode::from(1)
    }

    pub fn import(what: ImportCommand) -> ExitCode {
        let ImportCommand::Communes {
            departement,
            annee_population,
            version_decoupage,
            communes,
            epci,
            centroides,
            mairies,
            consulte,
            root,
        } = what;
        let options = import::ImportOptions {
            root,
            departement,
            annee_population,
            version_decoupage,
            communes,
            epci,
            centroides,
            mairies,
            consulte: consulte.unwrap_or_else(scaffold::today),
        };
        match import::import_communes(&options) {
            Ok(report) => {
                print_diagnostics(&report.warnings);
                eprintln!("{}", report.summary());
                ExitCode::SUCCESS
            }
            Err(diagnostics) => failed(
                &diagnostics,
                &format!(
                    "Import annulé ({})\u{a0}: aucun fichier n’a été modifié.",
                    summary(&diagnostics)
                ),
            ),
        }
    }

    pub fn new(what: NewCommand) -> ExitCode {
        let today = scaffold::today();
        let (result, root) = match what {
            NewCommand::Cas {
                titre,
                villes,
                root,
            } => (scaffold::new_case(&root, &titre, &villes, &today), root),
            NewCommand::Ville { nom, root } => (
                scaffold::new_city(&root, &nom, &today).map_err(|d| vec![d]),
                root,
            ),
        };
        match result {
            Ok(path) => {
                eprintln!(
                    "Fichier écrit\u{a0}: {}\nRemplissez-le (chaque champ est expliqué en commentaire), puis lancez «\u{202f}vaucluse-atlas check\u{202f}».",
                    diagnostic::display_path(&root, &path)
                );
                ExitCode::SUCCESS
            }
            Err(diagnostics) => failed(&diagnostics, "Aucun fichier n’a été écrit."),
        }
    }

    pub fn init(dir: &std::path::Path) -> ExitCode {
        match scaffold::init(dir) {
            Ok(count) => {
                eprintln!(
                    "Nouvel atlas créé dans {}\u{a0}: {count} fichiers.\nÉtapes suivantes\u{a0}: modifiez atlas.yaml, importez vos communes («\u{202f}vaucluse-atlas import communes\u{202f}»), puis «\u{202f}vaucluse-atlas build --root {}\u{202f}».",
                    dir.display(),
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(diagnostic) => failed(&[diagnostic], "Aucun fichier n’a été écrit."),
        }
    }

    pub fn schema(output: PathBuf) -> ExitCode {
        match schema::write_schemas(&output) {
            Ok(files) => {
                eprintln!("{} schémas écrits dans {}.", files.len(), output.display());
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!(
                    "erreur\u{a0}: écriture de {} impossible ({error})",
                    output.display()
                );
                ExitCode::from(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option set before `main` is mimalloc's `purge_delay`: its neighbours in mimalloc's
    /// table keep their defaults (`eager_commit_delay` 1, `use_numa_nodes` 0, `os_tag` 100),
    /// so the table is the one whose 16th option is the purge delay.
    #[test]
    #[cfg(target_os = "linux")]
    fn mimallocs_purge_delay_is_set_before_main() {
        // SAFETY: mi_option_get reads an integer of mimalloc's table of options.
        let option = |option| unsafe { mi_option_get(option) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(option(MI_OPTION_PURGE_DELAY), PURGE_DELAY_MS);
        }
        assert_eq!(option(MI_OPTION_PURGE_DELAY - 1), 1);
        assert_eq!(option(MI_OPTION_PURGE_DELAY + 1), 0);
        assert_eq!(option(MI_OPTION_PURGE_DELAY + 3), 100);
    }
}
