//! « Never a panic, whatever the input »: mutate valid content files at random (bytes flipped,
//! inserted, deleted, lines duplicated or cut) and run the whole check on each variant, in
//! process. Every run must return diagnostics or a clean result, never panic. The generator
//! is seeded, so a failure is reproducible.

mod common;

use common::*;

/// A small deterministic generator (SplitMix64): no dependency, same sequence on every run.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Characters that matter to YAML, Markdown and our front matter.
const INTERESTING: &[&[u8]] = &[
    b":",
    b"-",
    b"---\n",
    b"\t",
    b"  ",
    b"\n",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"#",
    b"&a",
    b"*a",
    b"!!binary ",
    b"|",
    b">",
    b"%",
    b"@",
    b"`",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"~",
    b"null",
    b"1e999",
    b"-1",
    b"](/villes/",
    b"[^1]",
    b"<script>",
    b"\0",
];

fn mutate(bytes: &[u8], random: &mut Random) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for _ in 0..1 + random.below(4) {
        let at = random.below(out.len() + 1);
        match random.below(5) {
            0 if !out.is_empty() => {
                let end = (at + 1 + random.below(20)).min(out.len());
                out.drain(at.min(end)..end);
            }
            1 => {
                let piece = INTERESTING[random.below(INTERESTING.len())];
                out.splice(at..at, piece.iter().copied());
            }
            2 if !out.is_empty() => {
                let index = at.min(out.len() - 1);
                out[index] = (random.next() & 0xFF) as u8;
            }
            3 => {
                let start = at.min(out.len());
                let end = (start + random.below(60)).min(out.len());
                let copy = out[start..end].to_vec();
                out.splice(start..start, copy);
            }
            _ => out.truncate(at),
        }
    }
    out
}

#[test]
fn mutated_content_never_makes_check_panic() {
    let site = fixture("mini");
    let targets = [
        "content/villes/avignon.yaml",
        "content/cas/marque-avignon.md",
        "content/referentiel/strategies.yaml",
        "atlas.yaml",
        "content/opportunites/noel-en-reseau.md",
    ];
    let originals: Vec<Vec<u8>> = targets
        .iter()
        .map(|t| std::fs::read(site.path().join(t)).unwrap())
        .collect();
    let mut random = Random(0x5EED_2026);
    let options = vaucluse_atlas::BuildOptions::new(site.path());
    for round in 0..150 {
        let which = round % targets.len();
        let mutated = mutate(&originals[which], &mut random);
        std::fs::write(site.path().join(targets[which]), &mutated).unwrap();
        let result = std::panic::catch_unwind(|| vaucluse_atlas::check(&options));
        assert!(
            result.is_ok(),
            "check panicked on round {round}, file {}:\n{}",
            targets[which],
            String::from_utf8_lossy(&mutated)
        );
        std::fs::write(site.path().join(targets[which]), &originals[which]).unwrap();
    }
    // After restoring every file, the site is clean again.
    assert!(
        vaucluse_atlas::check(&options)
            .iter()
            .all(|d| !d.is_error())
    );
}
