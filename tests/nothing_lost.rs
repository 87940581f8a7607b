//! « Nothing lost »: a build killed at any moment (SIGKILL, in a seeded loop) leaves the
//! previous output or the new one, complete, never a mix and never nothing; a write error
//! (read-only folder, full disk) is reported in French and the previous output is kept byte
//! for byte; `serve` never writes into the site's folder.

#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::Server;
use common::*;

/// A small deterministic generator (SplitMix64): same delays on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The fixture site with `cases` more case studies and `statics` more static files, whose
/// text carries `variant`, so that two variants give two different outputs of the same shape.
fn site_with_cases(variant: &str, cases: usize, statics: usize) -> tempfile::TempDir {
    let site = fixture("mini");
    let dir = site.path().join("content/cas/generes");
    std::fs::create_dir_all(&dir).unwrap();
    let cities = ["avignon", "carpentras", "le-pontet"];
    let strategies = [
        "marque-touristique",
        "evenementiel",
        "participation-citoyenne",
    ];
    for i in 0..cases {
        let paragraph = format!(
            "La commune a mené en {} une action de marketing territorial, variante {variant} : \
             des rencontres, un site web, des réseaux sociaux et une attention particulière \
             aux habitants comme aux touristes. ",
            2000 + i % 25
        );
        let text = format!(
            "---\ntitre: Étude {variant} numéro {i}\nresume: Une pratique observée, variante {variant}.\n\
             villes: [{}]\nstrategies: [{}]\ncanaux: [site-web]\npublics: [habitants]\n\
             date: 20{:02}-{:02}-{:02}\nstatut: publie\nsources:\n  - titre: Source {i}\n    \
             url: https://exemple.test/{i}\n    consulte: 2026-11-27\n---\n## Contexte\n\n{}\n\n\
             ## Ce qui a été fait\n\n- un point\n- un autre point\n\n{}\n",
            cities[i % 3],
            strategies[i % 3],
            10 + i % 15,
            1 + i % 12,
            1 + i % 28,
            paragraph.repeat(4),
            paragraph.repeat(3),
        );
        std::fs::write(dir.join(format!("etude-{i:04}.md")), text).unwrap();
    }
    // Static files are copied as they are: they make the write stage longer, not the render.
    for i in 0..statics {
        let folder = site.path().join(format!("static/fichiers/{:02}", i % 50));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join(format!("f{i:05}.txt")),
            format!("{variant} {i}\n").repeat(400),
        )
        .unwrap();
    }
    site
}

/// Builds `root` into `output`; returns the wall time and the time files were being written:
/// from the moment the staging folder appears (pages are written as they are rendered) to
/// the end.
fn build_into(root: &Path, output: &Path) -> (Duration, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaucluse-atlas"))
        .args(["build", "--output"])
        .arg(output)
        .arg("--root")
        .arg(root)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut staging_seen = None;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if staging_seen.is_none() && writing(output) {
            staging_seen = Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(status.success(), "build failed:\n{err}");
    let total = started.elapsed();
    let write = staging_seen.map_or(Duration::from_millis(200), |seen| total - seen);
    (total, write)
}

fn describe(snapshot: &BTreeMap<String, Vec<u8>>, a: &BTreeMap<String, Vec<u8>>) -> String {
    let missing = a.keys().filter(|k| !snapshot.contains_key(*k)).count();
    let extra = snapshot.keys().filter(|k| !a.contains_key(*k)).count();
    let differ = a
        .iter()
        .filter(|(k, v)| snapshot.get(*k).is_some_and(|w| w != *v))
        .count();
    format!("{missing} missing, {extra} extra, {differ} different files")
}

/// Whether a build's staging folder is beside `output`: the write stage has begun.
fn writing(output: &Path) -> bool {
    vaucluse_atlas::write::leftovers(output)
        .iter()
        .any(|n| n.to_string_lossy().contains(".tmp-"))
}

/// Kill `build` with SIGKILL at seeded random moments, 30 times, alternating two sites that
/// write into the same output: after every kill the output is exactly one of the two
/// complete builds, and the next build clears what the killed one left. One kill in three
/// comes at any moment of the build (0 to the typical build time); the others come once the
/// staging folder appears, within one and a half times the write stage, so that most of them
/// land while files are written, swapped or deleted.
#[test]
fn a_build_killed_at_any_moment_leaves_the_old_or_the_new_output_whole() {
    let a = site_with_cases("alpha", 40, 3000);
    let b = site_with_cases("beta", 40, 3000);
    let work = tempfile::tempdir().unwrap();
    let output = work.path().join("public");
    let (time_a, _) = build_into(a.path(), &work.path().join("ref-a"));
    let (time_b, write_b) = build_into(b.path(), &work.path().join("ref-b"));
    let expected_a = snapshot(&work.path().join("ref-a"));
    let expected_b = snapshot(&work.path().join("ref-b"));
    assert_ne!(expected_a, expected_b);
    assert!(expected_a.len() > 3000, "{} files", expected_a.len());
    let (_, write_a) = build_into(a.path(), &output);
    assert_eq!(snapshot(&output), expected_a);

    let typical = (time_a + time_b) / 2;
    let write = (write_a + write_b) / 2;
    let mut random = Random(0x5eed_0009);
    let (mut kept, mut replaced, mut with_leftovers, mut during_write) = (0, 0, 0, 0);
    let iterations = 30;
    for iteration in 0..iterations {
        let (root, target) = if iteration % 2 == 0 {
            (b.path(), "beta")
        } else {
            (a.path(), "alpha")
        };
        let before = snapshot(&output);
        let mut child = Command::new(env!("CARGO_BIN_EXE_vaucluse-atlas"))
            .args(["build", "--output"])
            .arg(&output)
            .arg("--root")
            .arg(root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let moment = if iteration % 3 == 0 {
            let delay = typical.mul_f64(random.unit());
            std::thread::sleep(delay);
            format!("{delay:?} after the start")
        } else {
            let delay = write.mul_f64(1.5 * random.unit());
            while !writing(&output) && started.elapsed() < typical * 5 {
                std::thread::sleep(Duration::from_millis(1));
            }
            during_write += 1;
            std::thread::sleep(delay);
            format!("{delay:?} after the write began")
        };
        // SIGKILL: no destructor, no cleanup.
        let _ = child.kill();
        let _ = child.wait();
        assert!(
            output.is_dir(),
            "iteration {iteration} ({moment}, building {target}): the output is missing"
        );
        let after = snapshot(&output);
        if after == before {
            kept += 1;
        } else {
            replaced += 1;
        }
        assert!(
            after == expected_a || after == expected_b,
            "iteration {iteration} ({moment}, building {target}): neither build, {} than alpha; {} than beta",
            describe(&after, &expected_a),
            describe(&after, &expected_b),
        );
        if !vaucluse_atlas::write::leftovers(&output).is_empty() {
            with_leftovers += 1;
        }
    }
    eprintln!(
        "{iterations} kills ({during_write} aimed at the write stage of {write:?}, the others over \
         0..{typical:?}): output kept {kept} times, replaced {replaced} times, leftovers beside it \
         after {with_leftovers} kills"
    );
    // A build that runs to its end clears every leftover.
    build_into(a.path(), &output);
    assert_eq!(snapshot(&output), expected_a);
    assert!(
        vaucluse_atlas::write::leftovers(&output).is_empty(),
        "{:?}",
        vaucluse_atlas::write::leftovers(&output)
    );
    let mut names: Vec<String> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    // The output, the site it replaced (kept for the next build to reuse), the references.
    assert_eq!(names, [".public.prev", "public", "ref-a", "ref-b"]);
}

fn is_root() -> bool {
    // SAFETY: geteuid has no precondition.
    unsafe { libc::geteuid() == 0 }
}

/// Makes a folder read-only for everyone, root included (`chattr +i` for root, who ignores
/// permissions), and undoes it on drop. `None` when the system refuses.
struct ReadOnly(PathBuf, bool);

impl ReadOnly {
    fn new(dir: &Path) -> Option<ReadOnly> {
        if is_root() {
            let done = Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            done.then(|| ReadOnly(dir.to_path_buf(), true))
        } else {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).ok()?;
            Some(ReadOnly(dir.to_path_buf(), false))
        }
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        if self.1 {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        } else {
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        }
    }
}

/// A small tmpfs mounted on a folder (root only), unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, bytes: u64) -> Option<Tmpfs> {
        if !is_root() {
            return None;
        }
        let done = Command::new("mount")
            .args(["-t", "tmpfs", "-o"])
            .arg(format!("size={bytes}"))
            .arg("tmpfs")
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        done.then(|| Tmpfs(dir.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn edit_title(site: &Path) {
    let path = site.join("content/cas/marque-avignon.md");
    let text = read(&path);
    std::fs::write(&path, text.replacen("La marque", "La nouvelle marque", 1)).unwrap();
}

/// The failed build exits 1, says in French what it could not write and that the previous
/// output was not modified.
fn assert_write_failure(site: &Path, output: &Path, expected_reason: &[&str]) {
    let before = snapshot(output);
    let result = run(&["build", "--output", output.to_str().unwrap()], site);
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "erreur\u{a0}: écriture de {} impossible\u{a0}: ",
            output.display()
        )),
        "{err}"
    );
    assert!(
        expected_reason.iter().any(|r| err.contains(r)),
        "none of {expected_reason:?} in {err}"
    );
    assert!(
        err.contains(&format!("{} n’a pas été modifié.", output.display())),
        "{err}"
    );
    assert!(snapshot(output) == before, "the previous output changed");
    assert!(vaucluse_atlas::write::leftovers(output).is_empty());
}

#[test]
fn a_read_only_folder_fails_the_build_in_french_and_keeps_the_old_output() {
    let site = fixture("mini");
    let work = tempfile::tempdir().unwrap();
    let parent = work.path().join("sortie");
    std::fs::create_dir(&parent).unwrap();
    let output = parent.join("public");
    build_into(site.path(), &output);
    edit_title(site.path());
    let Some(_read_only) = ReadOnly::new(&parent) else {
        eprintln!("skipped: cannot make a folder read-only here (chattr or chmod refused)");
        return;
    };
    assert_write_failure(
        site.path(),
        &output,
        &["permission refusée", "opération non permise"],
    );
    // The message names the folder it could not create.
    let result = run(
        &["build", "--output", output.to_str().unwrap()],
        site.path(),
    );
    assert!(
        stderr(&result).contains(&format!(
            "création du dossier {}/.public.tmp-",
            parent.display()
        )),
        "{}",
        stderr(&result)
    );
}

#[test]
fn a_full_disk_fails_the_build_in_french_and_keeps_the_old_output() {
    let site = fixture("mini");
    let work = tempfile::tempdir().unwrap();
    // Room for one site and a half: the second build cannot finish its staging folder.
    let reference = work.path().join("reference");
    build_into(site.path(), &reference);
    let pages: u64 = snapshot(&reference)
        .values()
        .map(|bytes| (bytes.len() as u64).div_ceil(4096).max(1) * 4096)
        .sum();
    let disk = work.path().join("disque");
    std::fs::create_dir(&disk).unwrap();
    let Some(_tmpfs) = Tmpfs::mount(&disk, pages * 3 / 2) else {
        eprintln!("skipped: cannot mount a tmpfs here (not root, or no permission)");
        return;
    };
    let output = disk.join("public");
    build_into(site.path(), &output);
    edit_title(site.path());
    assert_write_failure(site.path(), &output, &["plus de place sur le disque"]);
}

#[test]
fn a_file_in_place_of_the_output_folder_is_reported_in_french() {
    let site = fixture("mini");
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("fichier");
    std::fs::write(&file, "je suis un fichier").unwrap();
    // A file where a parent folder of the output should be.
    let output = file.join("public");
    let result = run(
        &["build", "--output", output.to_str().unwrap()],
        site.path(),
    );
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "création du dossier {} impossible\u{a0}: ",
            file.display()
        )),
        "{err}"
    );
    assert!(
        err.contains("un élément du chemin est un fichier, pas un dossier")
            || err.contains("existe déjà"),
        "{err}"
    );
    // The output itself is a file.
    let result = run(&["build", "--output", file.to_str().unwrap()], site.path());
    let err = stderr(&result);
    assert_eq!(result.status.code(), Some(1), "{err}");
    assert!(err.contains("existe et n’est pas un dossier"), "{err}");
    assert_eq!(read(&file), "je suis un fichier");
}

/// Every file below `root` with its bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    snapshot(root)
}

#[test]
fn serve_never_writes_into_the_site_folder() {
    let site = fixture("mini");
    let root = site.path();
    let before = tree(root);
    let folders_before: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .collect();
    let server = Server::start(root, &[]);
    let mut expected = before.clone();
    let mut write = |path: &str, text: String| {
        server.after_rebuild(|| std::fs::write(root.join(path), &text).unwrap());
        expected.insert(path.to_string(), text.into_bytes());
    };
    // An edit, a new case study, a broken card and its fix, a stylesheet.
    let case = "content/cas/marque-avignon.md";
    let edited = read(&root.join(case)).replacen("La marque", "La marque modifiée", 1);
    write(case, edited.clone());
    write(
        "content/cas/nouveau.md",
        edited.replacen("La marque modifiée", "Un nouveau cas", 1),
    );
    let city = "content/villes/carpentras.yaml";
    let good = read(&root.join(city));
    write(city, format!("{good}\nchamp_inconnu: 1\n"));
    write(city, good);
    std::fs::create_dir_all(root.join("static")).unwrap();
    write("static/style.css", "body { color: black; }\n".to_string());
    // And a deletion.
    server.after_rebuild(|| std::fs::remove_file(root.join("content/cas/nouveau.md")).unwrap());
    expected.remove("content/cas/nouveau.md");
    assert_eq!(server.get("/").status, 200);
    drop(server);

    let after = tree(root);
    let changed: Vec<&String> = after
        .keys()
        .chain(expected.keys())
        .filter(|k| after.get(*k) != expected.get(*k))
        .collect();
    assert!(changed.is_empty(), "serve changed or created {changed:?}");
    // No new folder either (no public/, no cache, no temporary folder).
    let folders_after: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(|e| e.into_path())
        .filter(|p| !folders_before.contains(p))
        .collect();
    assert_eq!(folders_after, vec![root.join("static")]);
}
