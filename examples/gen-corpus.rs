//! Writes a synthetic corpus for the benchmark: `OUT/atlas` (an atlas of N case studies over
//! the real communes, referential and theme of this repository) and `OUT/hugo` (the same pages
//! as a Hugo site). Deterministic: the same N and seed write the same bytes.
//!
//! Usage: `cargo run --release --example gen-corpus -- N OUT [--seed S]`

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let mut seed = 2026_u64;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "--seed" {
            match iter.next().and_then(|s| s.parse().ok()) {
                Some(value) => seed = value,
                None => return usage("--seed attend un nombre entier"),
            }
        } else {
            positional.push(arg.clone());
        }
    }
    let [count, out] = positional.as_slice() else {
        return usage("deux arguments attendus\u{a0}: N et OUT");
    };
    let Ok(count) = count.parse::<usize>() else {
        return usage(&format!("N doit être un nombre entier, pas « {count} »"));
    };
    let out = PathBuf::from(out);
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if out.exists() {
        return usage(&format!(
            "{} existe déjà\u{a0}: choisissez un dossier neuf",
            out.display()
        ));
    }
    let result = vaucluse_atlas::corpus::write_atlas(&source, &out.join("atlas"), count, seed)
        .and_then(|()| vaucluse_atlas::corpus::write_hugo(&source, &out.join("hugo"), count, seed));
    match result {
        Ok(()) => {
            eprintln!(
                "Corpus de {count} études de cas (graine {seed}) écrit dans {}/atlas et {}/hugo",
                out.display(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("erreur\u{a0}: écriture du corpus impossible\u{a0}: {error}");
            ExitCode::from(1)
        }
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!(
        "erreur\u{a0}: {message}\nusage\u{a0}: cargo run --release --example gen-corpus -- N OUT [--seed S]"
    );
    ExitCode::from(2)
}
