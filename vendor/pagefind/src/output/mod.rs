use std::path::PathBuf;
use std::time::Duration;

use crate::index::PagefindIndexes;
use crate::{SearchOptions, PAGEFIND_VERSION};
// vaucluse-atlas patch 12: `GzEncoder` only in the tests (see `gzip`). Upstream's comment on
// it: "TODO: Replace flate2 with async-compression since we require that crate for the input
// compression anyway."
use flate2::Compression;
use futures::future::join_all;
use rayon::prelude::*;
use std::collections::BTreeMap;
use include_dir::{include_dir, Dir};
use minifier::js::minify;
use tokio::fs::{create_dir_all, File};
use tokio::io::AsyncWriteExt;
use tokio::time::sleep;

mod entry;

const GENERIC_WEB_WASM: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/wasm/pagefind_web_bg.unknown.",
    env!("CARGO_PKG_VERSION"),
    ".wasm.gz"
));
const WEB_WASM_FILES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/vendor/wasm");

const WEB_JS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_web.",
    env!("CARGO_PKG_VERSION"),
    ".js"
));
const WEB_UI_JS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_ui.",
    env!("CARGO_PKG_VERSION"),
    ".js"
));
const WEB_UI_CSS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_ui.",
    env!("CARGO_PKG_VERSION"),
    ".css"
));
const WEB_MODULAR_UI_JS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_modular_ui.",
    env!("CARGO_PKG_VERSION"),
    ".js"
));
const WEB_MODULAR_UI_CSS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_modular_ui.",
    env!("CARGO_PKG_VERSION"),
    ".css"
));
const COMPONENT_UI_JS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_component_ui.",
    env!("CARGO_PKG_VERSION"),
    ".js"
));
const COMPONENT_UI_CSS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_component_ui.",
    env!("CARGO_PKG_VERSION"),
    ".css"
));
const SEARCH_JS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_public_search_api.",
    env!("CARGO_PKG_VERSION"),
    ".js"
));
const HIGHLIGHT_JS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_highlight.",
    env!("CARGO_PKG_VERSION"),
    ".js"
));
const WORKER_JS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/vendor/pagefind_worker.",
    env!("CARGO_PKG_VERSION"),
    ".js"
));

pub struct LanguageMeta {
    pub page_count: usize,
    pub language: String,
    pub hash: String,
    pub wasm: Option<String>,
}

pub async fn write_common_to_disk(
    language_indexes: Vec<LanguageMeta>,
    output_playground: bool,
    outdir: &PathBuf,
    options: &SearchOptions,
) {
    write_common(language_indexes, output_playground, outdir, options, false).await;
}

pub async fn write_common_to_memory(
    language_indexes: Vec<LanguageMeta>,
    output_playground: bool,
    outdir: &PathBuf,
    options: &SearchOptions,
) -> Vec<SyntheticFile> {
    write_common(language_indexes, output_playground, outdir, options, true)
        .await
        .unwrap()
}

/// vaucluse-atlas patch 13: Pagefind's JS (`pagefind.js`) and its worker's, minified once per
/// process, both at once, instead of one after the other in every build's last step, where
/// little else runs (≈ 5 ms of the real atlas's build); [`prepare_minified_js`] lets a caller
/// have it done earlier, while the pages are still being rendered. The same bytes.
fn minified_js() -> (&'static [u8], &'static [u8]) {
    static MINIFIED: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    let (js, worker_js) = MINIFIED.get_or_init(|| {
        let js_version = format!("const pagefind_version = \"{PAGEFIND_VERSION}\";");
        let pagefind_js = || {
            let mut js = vec![];
            minify(&format!("{js_version}\n{WEB_JS}\n{SEARCH_JS}"))
                .expect("Minifying Pagefind JS failed")
                .write(&mut js)
                .expect("Writing minified Pagefind JS failed");
            js
        };
        let worker_js = || {
            let mut worker_js = vec![];
            minify(&format!(
                "{js_version}\n{WEB_JS}\n{}",
                String::from_utf8_lossy(WORKER_JS)
            ))
            .expect("Minifying Pagefind Worker JS failed")
            .write(&mut worker_js)
            .expect("Writing minified Pagefind Worker JS failed");
            worker_js
        };
        // A thread of its own for the worker's JS, not rayon's pool: called while the pool
        // renders pages, a rayon job would wait for the end of the rendering.
        std::thread::scope(|scope| {
            let worker = scope.spawn(worker_js);
            let js = pagefind_js();
            (js, worker.join().expect("Minifying Pagefind Worker JS failed"))
        })
    });
    (js, worker_js)
}

/// vaucluse-atlas patch 13: minifies Pagefind's JS now (see [`minified_js`]).
pub fn prepare_minified_js() {
    minified_js();
}

async fn write_common(
    language_indexes: Vec<LanguageMeta>,
    output_playground: bool,
    outdir: &PathBuf,
    options: &SearchOptions,
    synthetic: bool,
) -> Option<Vec<SyntheticFile>> {
    let (js, worker_js) = minified_js();

    let entry_meta = entry::PagefindEntryMeta {
        version: PAGEFIND_VERSION,
        languages: BTreeMap::from_iter(language_indexes.into_iter().map(|i| {
            (
                i.language,
                entry::PagefindEntryLanguage {
                    hash: i.hash,
                    wasm: i.wasm,
                    page_count: i.page_count,
                },
            )
        })),
        include_characters: options.include_characters.clone(),
    };
    let encoded_entry_meta = serde_json::to_string(&entry_meta).unwrap();

    let write_behavior = if synthetic {
        WriteBehavior::Synthetic
    } else {
        WriteBehavior::Disk
    };

    let mut files = vec![
        write(
            outdir.join("pagefind.js"),
            vec![js],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-highlight.js"),
            vec![HIGHLIGHT_JS],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-worker.js"),
            vec![worker_js],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-ui.js"),
            vec![WEB_UI_JS],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-ui.css"),
            vec![WEB_UI_CSS],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-modular-ui.js"),
            vec![WEB_MODULAR_UI_JS],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-modular-ui.css"),
            vec![WEB_MODULAR_UI_CSS],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-component-ui.js"),
            vec![COMPONENT_UI_JS],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-component-ui.css"),
            vec![COMPONENT_UI_CSS],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("wasm.unknown.pagefind"),
            vec![GENERIC_WEB_WASM],
            Compress::None,
            write_behavior,
        ),
        write(
            outdir.join("pagefind-entry.json"),
            vec![encoded_entry_meta.as_bytes()],
            Compress::None,
            write_behavior,
        ),
    ];

    if output_playground {
        files.extend([
            write(
                outdir.join("playground/index.html"),
                vec![crate::playground::PLAYGROUND_HTML.as_bytes()],
                Compress::None,
                write_behavior,
            ),
            write(
                outdir.join("playground/pagefind-playground.js"),
                vec![crate::playground::PLAYGROUND_JS.as_bytes()],
                Compress::None,
                write_behavior,
            ),
            write(
                outdir.join("playground/pagefind-playground.css"),
                vec![crate::playground::PLAYGROUND_CSS.as_bytes()],
                Compress::None,
                write_behavior,
            ),
        ]);
    }

    let output_files = join_all(files).await;

    if synthetic {
        Some(output_files.into_iter().flatten().collect())
    } else {
        None
    }
}

impl PagefindIndexes {
    fn lang_wasm_path(&self) -> Option<String> {
        let base_language = self.language.split('-').next().unwrap();
        let wasm_path = format!(
            "pagefind_web_bg.{}.{}.wasm.gz",
            base_language,
            env!("CARGO_PKG_VERSION")
        );

        if WEB_WASM_FILES.contains(&wasm_path) {
            Some(wasm_path)
        } else {
            None
        }
    }

    pub fn get_lang_meta(&self, options: &SearchOptions) -> LanguageMeta {
        let mut wasm_file = None;

        if self.language != "unknown" {
            if self.lang_wasm_path().is_some() {
                wasm_file = Some(self.language.to_string());
            } else {
                options.logger.v_warn(format!(
                    "Note: Pagefind doesn't support stemming for the language {}. \n\
                    Search will still work, but will not match across root words.",
                    self.language
                ));
            }
        }

        LanguageMeta {
            page_count: self.page_count,
            language: self.language.clone(),
            hash: self.meta_index.0.clone(),
            wasm: wasm_file,
        }
    }

    pub async fn write_files_to_disk(&self, options: &SearchOptions, outdir: &PathBuf) {
        self.write_files(options, outdir, false).await;
    }

    pub async fn write_files_to_memory(
        &self,
        options: &SearchOptions,
        outdir: &PathBuf,
    ) -> Vec<SyntheticFile> {
        self.write_files(options, outdir, true).await.unwrap()
    }

    async fn write_files(
        &self,
        options: &SearchOptions,
        outdir: &PathBuf,
        synthetic: bool,
    ) -> Option<Vec<SyntheticFile>> {
        let immutable_write_behaviour = if synthetic {
            WriteBehavior::Synthetic
        } else {
            WriteBehavior::Immutable
        };

        let mut files = vec![write(
            outdir.join(format!("pagefind.{}.pf_meta", &self.meta_index.0)),
            vec![&self.meta_index.1],
            Compress::GZ,
            immutable_write_behaviour,
        )];

        if self.language != "unknown" {
            if let Some(wasm_path) = self.lang_wasm_path() {
                files.push(write(
                    outdir.join(format!("wasm.{}.pagefind", self.language)),
                    vec![WEB_WASM_FILES
                        .get_file(wasm_path)
                        .expect("WASM should exist")
                        .contents()],
                    Compress::None,
                    if synthetic {
                        WriteBehavior::Synthetic
                    } else {
                        WriteBehavior::Disk
                    },
                ));
            } else {
                options.logger.v_warn(format!(
                    "Note: Pagefind doesn't support stemming for the language {}. \n\
                    Search will still work, but will not match across root words.",
                    self.language
                ));
            }
        }

        // vaucluse-atlas patch: in memory, the fragments and index chunks are compressed in
        // parallel (one level-9 gzip per page: most of `get_files`), in the same order.
        if synthetic {
            let mut output_files: Vec<SyntheticFile> =
                join_all(files).await.into_iter().flatten().collect();
            let jobs: Vec<(PathBuf, &[u8])> = self
                .fragments
                .iter()
                .map(|(hash, fragment)| {
                    (
                        outdir.join(format!("fragment/{}.pf_fragment", hash)),
                        fragment.as_bytes(),
                    )
                })
                .chain(self.word_indexes.iter().map(|(hash, index)| {
                    (
                        outdir.join(format!("index/{}.pf_index", hash)),
                        index.as_slice(),
                    )
                }))
                .chain(self.filter_indexes.iter().map(|(hash, index)| {
                    (
                        outdir.join(format!("filter/{}.pf_filter", hash)),
                        index.as_slice(),
                    )
                }))
                .collect();
            output_files.par_extend(jobs.into_par_iter().map(|(filename, content)| {
                SyntheticFile {
                    filename,
                    contents: gzip(vec![content]),
                }
            }));
            return Some(output_files);
        }

        files.extend(self.fragments.iter().map(|(hash, fragment)| {
            write(
                outdir.join(format!("fragment/{}.pf_fragment", hash)),
                vec![fragment.as_bytes()],
                Compress::GZ,
                immutable_write_behaviour,
            )
        }));

        files.extend(self.word_indexes.iter().map(|(hash, index)| {
            write(
                outdir.join(format!("index/{}.pf_index", hash)),
                vec![index],
                Compress::GZ,
                immutable_write_behaviour,
            )
        }));

        files.extend(self.filter_indexes.iter().map(|(hash, index)| {
            write(
                outdir.join(format!("filter/{}.pf_filter", hash)),
                vec![index],
                Compress::GZ,
                immutable_write_behaviour,
            )
        }));

        let output_files = join_all(files).await;
        if synthetic {
            Some(output_files.into_iter().flatten().collect())
        } else {
            None
        }
    }
}

#[derive(Copy, Clone)]
enum Compress {
    GZ,
    None,
}

#[derive(Copy, Clone)]
enum WriteBehavior {
    Synthetic,
    Immutable,
    Disk,
}

#[derive(Clone)]
pub struct SyntheticFile {
    pub filename: PathBuf,
    pub contents: Vec<u8>,
}

/// Pagefind's compressed files: each chunk after the `pagefind_dcd` marker.
/// vaucluse-atlas patch: gzip level 6 instead of 9 (`Compression::best()`): on an atlas's
/// fragments and index chunks, 0.5 % more bytes for 2.5 times less compression time.
/// vaucluse-atlas patch 18: level 5 ([`GZIP_LEVEL`]) instead of 6: on the 10,000 case-study
/// benchmark atlas, 0.4 % more bytes for 18 % less compression time.
/// vaucluse-atlas patch 12: the deflate state is kept per thread and reset between files
/// (`GZIP_STATE`), instead of a new `GzEncoder` per file: a new state allocates and zeroes its
/// window and hash tables (a few hundred kilobytes) for every fragment of a few kilobytes. The
/// rest is what `GzEncoder` does — its header and trailer, and its calls to the compressor, each
/// with at most 32 KiB of room for output (the compressed bytes depend on it) — so the bytes are
/// the same (`the_reused_deflate_state_gzips_as_gz_encoder_does`).
fn gzip(content_chunks: Vec<&[u8]>) -> Vec<u8> {
    GZIP_STATE.with(|state| {
        let mut state = state.borrow_mut();
        let (deflate, room) = state.get_or_insert_with(|| {
            (
                flate2::Compress::new(Compression::new(GZIP_LEVEL), false),
                Vec::with_capacity(GZIP_ROOM),
            )
        });
        deflate.reset();
        room.clear();
        let size: usize = content_chunks.iter().map(|c| c.len() + 12).sum();
        let mut out = Vec::with_capacity(size / 2 + 64);
        // `GzBuilder`'s header: no file name, no time, no extra flags at levels 2 to 8, OS
        // unknown.
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
        let mut crc = flate2::Crc::new();
        for chunk in content_chunks {
            for mut part in [&b"pagefind_dcd"[..], chunk] {
                crc.update(part);
                // `write_all` on `GzEncoder`: each call hands the compressor what is left and
                // an emptied 32 KiB buffer, until it has taken everything.
                while !part.is_empty() {
                    out.append(room);
                    let before = deflate.total_in();
                    deflate
                        .compress_vec(part, room, flate2::FlushCompress::None)
                        .expect("deflate into memory cannot fail");
                    part = &part[(deflate.total_in() - before) as usize..];
                }
            }
        }
        // `finish`: `Finish` with an emptied buffer until the end of the stream.
        loop {
            out.append(room);
            let status = deflate
                .compress_vec(&[], room, flate2::FlushCompress::Finish)
                .expect("deflate into memory cannot fail");
            if status == flate2::Status::StreamEnd {
                out.append(room);
                break;
            }
        }
        out.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&crc.amount().to_le_bytes());
        out
    })
}

/// The gzip level of Pagefind's compressed files.
const GZIP_LEVEL: u32 = 5;

/// The room `GzEncoder` gives the compressor for its output on each call.
const GZIP_ROOM: usize = 32 * 1024;

thread_local! {
    static GZIP_STATE: std::cell::RefCell<Option<(flate2::Compress, Vec<u8>)>> =
        const { std::cell::RefCell::new(None) };
}

async fn write(
    filename: PathBuf,
    content_chunks: Vec<&[u8]>,
    compression: Compress,
    write_behavior: WriteBehavior,
) -> Option<SyntheticFile> {
    let mut file = None;

    match write_behavior {
        WriteBehavior::Synthetic => {}
        // For "immutable" (hashed) files, don't re-write them as the contents _should_ be unchanged.
        WriteBehavior::Immutable if filename.exists() => return None,
        WriteBehavior::Immutable | WriteBehavior::Disk => {
            if let Some(parent) = filename.parent() {
                create_dir_all(parent).await.unwrap();
            }

            let mut output_file = File::create(&filename).await;
            while output_file.is_err() {
                sleep(Duration::from_millis(100)).await;
                output_file = File::create(&filename).await;
            }
            file = output_file.ok();
        }
    };

    match compression {
        Compress::GZ => {
            let contents = gzip(content_chunks);
            {
                if let Some(mut file) = file {
                    file.write_all(&contents).await.unwrap();
                    // `write_all` resolving only means the bytes are in tokio's
                    // buffer; the blocking-pool write to disk may still be in
                    // flight. Flush before the file drops, or a service-mode
                    // consumer can receive the WriteFiles acknowledgement and
                    // close the process while a file is half written, shipping
                    // a truncated asset.
                    file.flush().await.unwrap();
                } else {
                    return Some(SyntheticFile { filename, contents });
                }
            }
            None
        }
        Compress::None => {
            if let Some(mut file) = file {
                for chunk in content_chunks {
                    file.write_all(chunk).await.unwrap();
                }
                file.flush().await.unwrap();
                None
            } else {
                return Some(SyntheticFile {
                    filename,
                    contents: content_chunks.into_iter().flatten().cloned().collect(),
                });
            }
        }
    }
}

#[cfg(test)]
mod gzip_tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz_encoder(content_chunks: &[&[u8]]) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::new(GZIP_LEVEL));
        for chunk in content_chunks {
            gz.write_all(b"pagefind_dcd").unwrap();
            gz.write_all(chunk).unwrap();
        }
        gz.finish().unwrap()
    }

    #[test]
    fn the_reused_deflate_state_gzips_as_gz_encoder_does() {
        // Text that compresses, text that does not (a simple generator's bytes), and sizes
        // around the 32 KiB window and the output buffer's growth.
        let mut noise = Vec::new();
        let mut x: u32 = 2026;
        for _ in 0..300_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            noise.push((x >> 16) as u8);
        }
        let prose = "Avignon, cité des papes : une marque territoriale « Avignon, terres de création ». "
            .repeat(2_000);
        let cases: Vec<Vec<&[u8]>> = vec![
            vec![],
            vec![b""],
            vec![b"{}"],
            vec![prose.as_bytes()],
            vec![&noise[..1_000], prose.as_bytes(), &noise[..40_000]],
            vec![&noise[..]],
            vec![&noise[..32_768], &noise[..65_536]],
        ];
        // The same thread twice over: the second time, every file reuses a state.
        for _ in 0..2 {
            for chunks in &cases {
                assert_eq!(gzip(chunks.clone()), gz_encoder(chunks));
            }
        }
    }
}
