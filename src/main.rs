//! Command line of vaucluse-atlas: parses arguments and calls the library.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use vaucluse_atlas::diagnostic::{self, Diagnostic};
use vaucluse_atlas::{BuildError, BuildOptions, ResolveOptions};

#[derive(Parser)]
#[command(name = "vaucluse-atlas", version, about = "Génère l’atlas du marketing territorial des villes de Vaucluse")]
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
    },
    /// Vérifie tous les fichiers et tous les liens internes sans rien écrire
    Check {
        #[command(flatten)]
        site: SiteArgs,
        /// Format du rapport
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
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
            resolve: ResolveOptions { base_url: self.base_url, drafts: self.drafts },
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
    format!("{}, {}", plural(errors, "erreur"), plural(warnings, "avertissement"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build { site, output } => {
            let options = site.options(output);
            let output_dir = options.output_dir();
            match vaucluse_atlas::build(&options) {
                Ok(compiled) => {
                    print_diagnostics(&compiled.warnings);
                    let t = compiled.timings;
                    let total = t.load + t.resolve + t.analyse + t.render + t.write;
                    eprintln!(
                        "Site construit dans {}\u{a0}: {} pages, {} fichiers en {} ms (lecture {} ms, résolution {} ms, analyse {} ms, rendu {} ms, écriture {} ms)",
                        output_dir.display(),
                        compiled.pages,
                        compiled.files.len(),
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
                    eprintln!("Échec de la construction ({})\u{a0}: {} n’a pas été modifié.", summary(&diagnostics), output_dir.display());
                    ExitCode::from(1)
                }
                Err(BuildError::Io(message)) => {
                    eprintln!("erreur\u{a0}: {message}\n{} n’a pas été modifié.", output_dir.display());
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
            if diagnostics.iter().any(Diagnostic::is_error) { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
    }
}
