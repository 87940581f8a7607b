use hashbrown::HashMap;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

use crate::{
    fossick::{FossickedData, FossickedWord, MetaFossickedWord},
    fragments::PageFragmentData,
    index::index_metadata::MetaFilter,
    utils::full_hash,
    SearchOptions,
};
use anyhow::{bail, Result};
use index_filter::{FilterIndex, PackedValue};
use index_metadata::{MetaChunk, MetaIndex, MetaPage};
use index_words::{PackedPage, PackedVariant, PackedWord, WordIndex};

use self::index_metadata::MetaSort;

mod index_filter;
mod index_metadata;
mod index_words;

pub struct PagefindIndexes {
    pub word_indexes: HashMap<String, Vec<u8>>,
    pub filter_indexes: HashMap<String, Vec<u8>>,
    pub meta_index: (String, Vec<u8>),
    pub fragments: Vec<(String, String)>,
    pub sorts: Vec<String>,
    pub language: String,
    pub word_count: usize,
    pub page_count: usize,
}

#[derive(Clone)]
struct IntermediaryPageData {
    full_hash: String,
    /// vaucluse-atlas patch: when fragments are grouped, the fragment as it is written in
    /// its group ([`grouped_fragment_json`]) rather than as it is hashed.
    encoded_data: String,
    word_count: usize,
    page_number: usize,
}

#[derive(Debug)]
enum SortType {
    String,
    Number,
}

/// Results from processing a single page in parallel.
/// Contains the page's words (vaucluse-atlas patch: packed, and a map of its meta fields'
/// words), filter entries, and encoded page data for one page.
struct PageProcessingResult {
    /// vaucluse-atlas patch: the page's words as packed, merged as they are
    /// ([`WordMap::merge_page`]), and a map of the words of its meta fields only.
    words: PackedWords,
    meta_words: HashMap<String, PackedWord>,
    page_number: usize,
    filter_entries: Vec<(String, String, usize)>, // (filter, value, page_number)
    encoded_page: IntermediaryPageData,
}

pub async fn build_indexes(
    mut pages: Vec<FossickedData>,
    language: String,
    options: &SearchOptions,
) -> Result<PagefindIndexes> {
    let mut meta = MetaIndex {
        version: options.version.into(),
        pages: Vec::new(),
        index_chunks: Vec::new(),
        filters: Vec::new(),
        sorts: Vec::new(),
        meta_fields: Vec::new(),
    };

    /*
        - Collect all sort keys
        - Sort `pages` by one of them and set `default_sort`
        - Do the main enumerate loop as an iter_mut and set page numbers
        - Later on, for each other sort key:
            - Sort the `pages` array and output the page numbers to `alternate_sorts`
    */

    // vaucluse-atlas patch: the index's entries in a [`WordMap`], a few bytes each.
    let mut word_map = WordMap::default();
    let mut filter_map: HashMap<String, HashMap<String, Vec<usize>>> = HashMap::new();
    let mut fragment_hashes: HashMap<String, IntermediaryPageData> = HashMap::new();
    let mut fragments: Vec<(usize, (String, IntermediaryPageData))> = Vec::new();

    for (page_number, page) in pages.iter_mut().enumerate() {
        page.fragment.page_number = page_number;
    }

    // vaucluse-atlas patch 17: room at once for every location the pages bring (their packed
    // words' locations, and at most two numbers per meta position: a field marker and the
    // position), instead of a buffer doubled a dozen times while the pages are merged — each
    // time copied, and the old one left to the allocator while the index peaks.
    let locations: usize = pages
        .iter()
        .map(|page| {
            page.packed_words.as_ref().map_or(0, PackedWords::locations)
                + 2 * page.meta_word_data.values().map(Vec::len).sum::<usize>()
        })
        .sum();
    word_map.locs.reserve_exact(locations);

    // Get all possible sort keys
    let mut sorts: Vec<_> = pages
        .iter()
        .flat_map(|page| page.sort.keys().cloned())
        .collect();
    sorts.sort_unstable();
    sorts.dedup();

    // Determine the best sorting parser that fits all available values for each given key
    let mut sort_types: BTreeMap<String, SortType> = BTreeMap::new();
    for sort in sorts.iter() {
        let mut sort_values = pages.iter().flat_map(|page| page.sort.get(sort));
        sort_types.insert(
            sort.clone(),
            if sort_values.all(|v| parse_int_sort(v).is_some() || parse_float_sort(v).is_some()) {
                SortType::Number
            } else {
                SortType::String
            },
        );
    }

    for (sort_key, sort_type) in sort_types {
        let mut page_values: Vec<_> = pages
            .iter()
            .flat_map(|page| {
                page.sort
                    .get(&sort_key)
                    .map(|v| (v, page.fragment.page_number))
            })
            .collect();
        options.logger.v_info(format!(
            "Prebuilding sort order for {sort_key}, processed as type: {sort_type:#?}"
        ));
        match sort_type {
            SortType::String => page_values.sort_by_key(|p| p.0),
            SortType::Number => page_values.sort_by(|p1, p2| {
                let p1 = parse_int_sort(p1.0)
                    .map(|i| i as f32)
                    .unwrap_or_else(|| parse_float_sort(p1.0).unwrap_or_default());
                let p2 = parse_int_sort(p2.0)
                    .map(|i| i as f32)
                    .unwrap_or_else(|| parse_float_sort(p2.0).unwrap_or_default());

                p1.total_cmp(&p2)
            }),
        }
        meta.sorts.push(MetaSort {
            sort: sort_key,
            pages: page_values.into_iter().map(|p| p.1).collect(),
        });
    }

    let mut meta_fields_set: BTreeSet<String> = BTreeSet::new();
    for page in pages.iter() {
        meta_fields_set.extend(page.fragment.data.meta.keys().cloned());
    }
    meta.meta_fields = meta_fields_set.into_iter().collect();

    // vaucluse-atlas patch: whether fragments are grouped, decided before the pages are
    // processed (with the number of pages, which is the number of fragments), so that each
    // page's fragment is encoded for its group at once.
    let grouped = options
        .max_fragments
        .filter(|&m| m > 0 && (m as usize) < pages.len());

    // Clone meta_fields for use in parallel processing
    let meta_fields_ref = meta.meta_fields.clone();
    let language_ref = language.clone();

    // Process pages in parallel - each page builds the word map of its meta fields
    // (vaucluse-atlas patch: its other words are merged as they were packed, `merge_page`)
    // vaucluse-atlas patch: pages are processed and merged a chunk at a time, so that the
    // results of all pages are never held at once next to the pages (the peak memory of a
    // large site); chunks are merged in page order, as before.
    let process = |mut page: FossickedData| -> PageProcessingResult {
        let mut local_word_map: HashMap<String, PackedWord> = HashMap::new();

        // Meta field IDs were assigned per-page,
        // but need to be remapped to the global meta_fields order.
        let page_field_order: Vec<&String> = page.fragment.data.meta.keys().collect();
        let field_id_map: Vec<u16> = page_field_order
            .iter()
            .map(|name| meta_fields_ref.iter().position(|f| f == *name).unwrap() as u16)
            .collect();

        // vaucluse-atlas patch: a page's words go into the index through [`PackedWords`],
        // packed when the page was fossicked (`RecordFossicker`) or now: one path for both.
        let packed = match page.packed_words.take() {
            Some(packed) => packed,
            None => PackedWords::pack(std::mem::take(&mut page.word_data)),
        };

        for (word, meta_positions) in page.meta_word_data {
            let mut normalized_meta_positions: Vec<MetaFossickedWord> = Vec::new();
            let mut variant_meta_positions: BTreeMap<String, Vec<MetaFossickedWord>> =
                BTreeMap::new();

            for mut meta_fossicked in meta_positions {
                meta_fossicked.field_id = field_id_map[meta_fossicked.field_id as usize];
                if let Some(original) = meta_fossicked.original_word.clone() {
                    variant_meta_positions
                        .entry(original)
                        .or_default()
                        .push(meta_fossicked);
                } else {
                    normalized_meta_positions.push(meta_fossicked);
                }
            }

            let packed_word = local_word_map
                .entry(word.clone())
                .or_insert_with(|| PackedWord {
                    word: word.clone(),
                    pages: Vec::new(),
                    additional_variants: Vec::new(),
                });

            if !normalized_meta_positions.is_empty() {
                let meta_locs = meta_positions_to_packed(normalized_meta_positions);

                if let Some(existing_page) = packed_word
                    .pages
                    .iter_mut()
                    .find(|p| p.page_number == page.fragment.page_number)
                {
                    existing_page.meta_locs = meta_locs;
                } else {
                    packed_word.pages.push(PackedPage {
                        page_number: page.fragment.page_number,
                        locs: vec![],
                        meta_locs,
                    });
                }
            }

            // Handle diacritic variants in meta
            for (variant_form, variant_pos) in variant_meta_positions {
                let meta_locs = meta_positions_to_packed(variant_pos);

                if let Some(existing_variant) = packed_word
                    .additional_variants
                    .iter_mut()
                    .find(|v| v.form == variant_form)
                {
                    if let Some(existing_page) = existing_variant
                        .pages
                        .iter_mut()
                        .find(|p| p.page_number == page.fragment.page_number)
                    {
                        existing_page.meta_locs = meta_locs;
                    } else {
                        existing_variant.pages.push(PackedPage {
                            page_number: page.fragment.page_number,
                            locs: vec![],
                            meta_locs,
                        });
                    }
                } else {
                    packed_word.additional_variants.push(PackedVariant {
                        form: variant_form,
                        pages: vec![PackedPage {
                            page_number: page.fragment.page_number,
                            locs: vec![],
                            meta_locs,
                        }],
                    });
                }
            }
        }

        // Collect filter entries for this page
        let filter_entries: Vec<(String, String, usize)> = page
            .fragment
            .data
            .filters
            .iter()
            .flat_map(|(filter, values)| {
                values
                    .iter()
                    .map(move |value| (filter.clone(), value.clone(), page.fragment.page_number))
            })
            .collect();

        // Compute encoded page data
        let encoded_data = serde_json::to_string(&page.fragment.data).unwrap();
        let full_hash = format!("{}_{}", language_ref, full_hash(encoded_data.as_bytes()));
        let encoded_data = match grouped {
            Some(_) => grouped_fragment_json(&page.fragment.data),
            None => encoded_data,
        };
        let encoded_page = IntermediaryPageData {
            full_hash,
            word_count: page.fragment.data.word_count,
            page_number: page.fragment.page_number,
            encoded_data,
        };

        PageProcessingResult {
            words: packed,
            meta_words: local_word_map,
            page_number: page.fragment.page_number,
            filter_entries,
            encoded_page,
        }
    };
    // vaucluse-atlas patch 16: the next chunk is processed on the pool while this one is merged
    // (the merge is sequential), instead of after it, while the other core waited; chunks of
    // 256 pages, so that the two chunks held at once are the 512 pages held before.
    const MERGE_CHUNK: usize = 256;
    let next_chunk = |pages: &mut Vec<FossickedData>| -> Vec<FossickedData> {
        let take = pages.len().min(MERGE_CHUNK);
        pages.drain(..take).collect()
    };
    let mut merge = |page_results: Vec<PageProcessingResult>| -> Result<()> {
        for result in page_results {
            word_map.merge_page(&result.words, result.meta_words, result.page_number)?;

            // Merge filter entries using or_default for cleaner code
            for (filter, value, page_number) in result.filter_entries {
                filter_map
                    .entry(filter)
                    .or_default()
                    .entry(value)
                    .or_default()
                    .push(page_number);
            }

            // Handle fragment hashing (must be sequential due to collision handling)
            let encoded_page = result.encoded_page;
            let mut short_hash = &encoded_page.full_hash[0..=(language.len() + 7)];

            // If we hit a collision, extend one until we stop colliding
            // TODO: There are some collision issues here.
            // If two builds match a collision in different orders the hashes will swap,
            // which could return incorrect data due to files being cached.
            while let Some(collision) = fragment_hashes.get(short_hash) {
                if collision.full_hash == encoded_page.full_hash {
                    // These pages are identical. Add both under the same hash.
                    fragments.push((
                        collision.word_count,
                        (collision.full_hash.clone(), collision.clone()),
                    ));
                } else {
                    let new_length = short_hash.len();
                    short_hash = &encoded_page.full_hash[0..=new_length];
                }
            }
            fragment_hashes.insert(short_hash.to_string(), encoded_page);
        }
        Ok(())
    };
    let mut processed: Vec<PageProcessingResult> =
        next_chunk(&mut pages).into_par_iter().map(&process).collect();
    while !processed.is_empty() {
        let chunk = next_chunk(&mut pages);
        let (merged, next) = rayon::join(
            || merge(processed),
            || chunk.into_par_iter().map(&process).collect::<Vec<_>>(),
        );
        merged?;
        processed = next;
    }

    // Sort pages within each word by page_number to maintain correct order after parallel processing
    for word in word_map.words.values_mut() {
        word.pages.sort_by_key(|p| p.page_number);
        for (_, pages) in &mut word.variants {
            pages.sort_by_key(|p| p.page_number);
        }
    }

    fragments.extend(
        fragment_hashes
            .into_iter()
            .map(|(hash, frag)| (frag.word_count, (hash, frag))),
    );
    fragments.sort_by_cached_key(|(_, (_, fragment))| fragment.page_number);

    let page_count = fragments.len();
    let mut final_fragments = Vec::new();

    if let Some(max_fragments) = grouped {
        let group_size = (fragments.len() as f32 / max_fragments as f32).ceil() as usize;
        options.logger.info(format!(
            "Bundling {} fragments into groups of {}, resulting in {} files",
            fragments.len(),
            group_size,
            fragments.chunks(group_size).len()
        ));
        let mut group_hashes: BTreeSet<String> = BTreeSet::new();
        for chunk in fragments.chunks(group_size) {
            // vaucluse-atlas patch: the group as `serde_json` wrote a map of the fragments
            // parsed into `Value`s, from fragments already encoded that way, instead of
            // parsing every fragment again.
            let mut group_map: BTreeMap<&str, &str> = BTreeMap::new();
            for (_, (hash, frag)) in chunk {
                group_map.insert(hash, &frag.encoded_data);
            }
            let group_json = group_json(&group_map);
            let prefix = format!("{language}_group_");
            let group_hash = format!("{prefix}{}", full_hash(group_json.as_bytes()));

            // If we hit a collision, extend one hash until we stop colliding
            let mut hash_length = 7;
            let mut short_group_hash = &group_hash[..prefix.len() + hash_length];
            while group_hashes.contains(short_group_hash) && hash_length < 40 {
                hash_length += 1;
                short_group_hash = &group_hash[..prefix.len() + hash_length];
            }
            group_hashes.insert(short_group_hash.to_string());

            final_fragments.push((short_group_hash.to_string(), group_json));

            for (word_count, (hash, _)) in chunk {
                meta.pages.push(MetaPage {
                    hash: hash.clone(),
                    word_count: *word_count as u32,
                    group_hash: short_group_hash.to_string(),
                });
            }
        }
    } else {
        for (word_count, (hash, frag)) in fragments {
            final_fragments.push((hash.clone(), frag.encoded_data));
            meta.pages.push(MetaPage {
                hash: hash.clone(),
                word_count: word_count as u32,
                group_hash: "".into(),
            });
        }
    }

    // Encode filter indexes in parallel
    // Accumulate into HashMap for O(1) inserts, then sort once before encoding
    // to produce a stable hash without paying BTreeMap's per-insert overhead.
    let mut filter_map_vec: Vec<_> = filter_map.into_iter().collect();
    filter_map_vec.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    let encoded_filters: Vec<(String, Vec<u8>, String)> = filter_map_vec
        .into_par_iter()
        .map(|(filter, values)| {
            let mut sorted_values: Vec<_> = values.into_iter().collect();
            sorted_values.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
            let mut filter_index: Vec<u8> = Vec::new();
            let _ = minicbor::encode::<FilterIndex, &mut Vec<u8>>(
                FilterIndex {
                    filter: filter.clone(),
                    values: sorted_values
                        .into_iter()
                        .map(|(value, pages)| PackedValue { value, pages })
                        .collect(),
                },
                filter_index.as_mut(),
            );
            let hash = format!("{}_{}", language, full_hash(&filter_index));
            (filter, filter_index, hash)
        })
        .collect();

    // Handle hash collisions sequentially (required for correctness)
    let mut filter_indexes = HashMap::new();
    for (filter, filter_index, hash) in encoded_filters {
        let mut short_hash = &hash[0..=(language.len() + 7)];

        // If we hit a collision, extend one hash until we stop colliding
        // TODO: DRY
        while filter_indexes.contains_key(short_hash) {
            let new_length = short_hash.len() + 1;
            short_hash = &hash[0..=new_length];

            if short_hash.len() == hash.len() {
                break;
            }
        }
        filter_indexes.insert(short_hash.to_string(), filter_index);
        meta.filters.push(MetaFilter {
            filter,
            hash: short_hash.to_string(),
        })
    }

    if TryInto::<u32>::try_into(meta.pages.len()).is_err() {
        options.logger.error(format!(
            "Language {} has too many documents to index, must be < {}",
            language,
            u32::MAX
        ));
        bail!(
            "Language {language} has too many documents to index, must be < {}",
            u32::MAX
        );
    }

    // TODO: Parameterize these chunk sizes via byte size rather than word count
    let word_count = word_map.words.len();
    let WordMap { words, locs } = word_map;
    let chunks = chunk_index(words, options.index_chunk_size);
    meta.index_chunks = chunk_meta(&chunks);

    // Encode word index chunks in parallel (delta encoding + CBOR serialization)
    let encoded_chunks: Vec<(usize, Vec<u8>, String)> = chunks
        .into_par_iter()
        .enumerate()
        .map(|(i, chunk)| {
            // Delta-encode page numbers within each word's page list
            // (vaucluse-atlas patch: the chunk's entries as Pagefind's types, one chunk at a
            // time.)
            let delta_chunk: Vec<PackedWord> = chunk
                .into_iter()
                .map(|(word, entries)| entries.packed(word, &locs))
                .map(|mut word| {
                    let mut last_page: usize = 0;
                    for page in &mut word.pages {
                        let delta = page.page_number - last_page;
                        last_page = page.page_number;
                        page.page_number = delta;
                    }
                    // Also handle additional_variants
                    for variant in &mut word.additional_variants {
                        let mut last_page: usize = 0;
                        for page in &mut variant.pages {
                            let delta = page.page_number - last_page;
                            last_page = page.page_number;
                            page.page_number = delta;
                        }
                    }
                    word
                })
                .collect();

            let mut word_index: Vec<u8> = Vec::new();
            let _ = minicbor::encode::<WordIndex, &mut Vec<u8>>(
                WordIndex { words: delta_chunk },
                word_index.as_mut(),
            );

            let hash = format!("{}_{}", language, full_hash(&word_index));
            (i, word_index, hash)
        })
        .collect();

    // Handle hash collisions sequentially (required for correctness)
    let mut word_indexes: HashMap<String, Vec<u8>> = HashMap::new();
    for (i, word_index, hash) in encoded_chunks {
        let mut short_hash = &hash[0..=(language.len() + 7)];

        // If we hit a collision, extend one hash until we stop colliding
        while word_indexes.contains_key(short_hash) {
            let new_length = short_hash.len() + 1;
            short_hash = &hash[0..=new_length];

            if short_hash.len() == hash.len() {
                break;
            }
        }
        word_indexes.insert(short_hash.to_string(), word_index);
        meta.index_chunks[i].hash = short_hash.into();
    }

    let mut meta_index: Vec<u8> = Vec::new();
    let _ = minicbor::encode::<MetaIndex, &mut Vec<u8>>(meta, meta_index.as_mut());

    let meta_hash = format!(
        "{}_{}",
        language,
        &full_hash(&meta_index)[0..=(language.len() + 7)]
    );

    Ok(PagefindIndexes {
        word_indexes,
        filter_indexes,
        sorts,
        meta_index: (meta_hash, meta_index),
        fragments: final_fragments,
        language,
        word_count,
        page_count,
    })
}

/// vaucluse-atlas patch: a word's positions on a page, split into those whose original form
/// is the normalised word and those of each original form (with diacritics), by form.
fn group_by_form(
    positions: Vec<FossickedWord>,
) -> (Vec<FossickedWord>, BTreeMap<String, Vec<FossickedWord>>) {
    let mut normalized_positions: Vec<FossickedWord> = Vec::new();
    let mut variant_positions: BTreeMap<String, Vec<FossickedWord>> = BTreeMap::new();
    for mut fossicked in positions {
        match fossicked.original_word.take() {
            // No diacritics - original matches normalized form
            None => normalized_positions.push(fossicked),
            // Original form differs (has diacritics) - stored instead in additional_variants
            Some(original) => variant_positions.entry(original).or_default().push(fossicked),
        }
    }
    (normalized_positions, variant_positions)
}

/// vaucluse-atlas patch: the words of one page as `build_indexes` turns them into index
/// entries — each word's locations encoded by `positions_to_packed_page`, split by original
/// form — in one buffer, made when the page is fossicked. A page then waits for the index in
/// a few bytes per word instead of a map of 32-byte positions with a string per accented
/// occurrence: on 10,000 case studies, most of the memory held until the index is built.
///
/// Patch 19: the buffer is bytes, each number a LEB128 varint (locations zigzagged, as weight
/// changes are negative): for each word, its text, its locations and its other original
/// forms, each with its text and locations. Four flat buffers of `u32` spans and `i32`
/// locations held ≈ 9.5 kB per case study of the benchmark, against ≈ 3.5 kB now; the pages
/// are what a build holds the longest.
#[derive(Debug, Clone, Default)]
pub struct PackedWords {
    bytes: Box<[u8]>,
    /// How many locations the buffer holds (patch 17 sizes the index's buffer with it).
    locations: usize,
}

impl PackedWords {
    pub fn pack(word_data: HashMap<String, Vec<FossickedWord>>) -> PackedWords {
        let mut bytes = Vec::new();
        let mut locations = 0;
        let mut put_locs = |bytes: &mut Vec<u8>, positions: Vec<FossickedWord>| {
            let locs = if positions.is_empty() {
                Vec::new()
            } else {
                positions_to_packed_page(positions, 0).locs
            };
            locations += locs.len();
            put_varint(bytes, locs.len() as u64);
            for loc in locs {
                put_loc(bytes, loc);
            }
        };
        for (word, positions) in word_data {
            let (normalized, variants) = group_by_form(positions);
            put_str(&mut bytes, &word);
            put_locs(&mut bytes, normalized);
            put_varint(&mut bytes, variants.len() as u64);
            for (form, positions) in variants {
                put_str(&mut bytes, &form);
                put_locs(&mut bytes, positions);
            }
        }
        PackedWords {
            bytes: bytes.into_boxed_slice(),
            locations,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// How many locations the words have, all forms together.
    pub fn locations(&self) -> usize {
        self.locations
    }

    fn reader(&self) -> PackedReader<'_> {
        PackedReader {
            bytes: &self.bytes,
        }
    }

    /// What `build_indexes` added to a page's word map for the `word_data` packed here,
    /// before [`WordMap::merge_page`] took the packed words as they are.
    #[cfg(test)]
    fn add_to(&self, local_word_map: &mut HashMap<String, PackedWord>, page_number: usize) {
        let page = |locs: Vec<i32>| PackedPage {
            page_number,
            locs,
            meta_locs: vec![],
        };
        let mut reader = self.reader();
        while let Some(word) = reader.word() {
            let mut locs = Vec::new();
            reader.locs(&mut locs);
            let packed_word = local_word_map
                .entry(word.to_string())
                .or_insert_with(|| PackedWord {
                    word: word.to_string(),
                    pages: Vec::new(),
                    additional_variants: Vec::new(),
                });
            if !locs.is_empty() {
                packed_word.pages.push(page(locs));
            }
            for _ in 0..reader.count() {
                let form = reader.str();
                let mut locs = Vec::new();
                reader.locs(&mut locs);
                if let Some(existing) = packed_word
                    .additional_variants
                    .iter_mut()
                    .find(|v| v.form == form)
                {
                    existing.pages.push(page(locs));
                } else {
                    packed_word.additional_variants.push(PackedVariant {
                        form: form.to_string(),
                        pages: vec![page(locs)],
                    });
                }
            }
        }
    }
}

fn put_varint(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push(value as u8 | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

/// Zigzagged: small negative numbers (weight changes) in few bytes too.
fn put_loc(bytes: &mut Vec<u8>, loc: i32) {
    put_varint(bytes, ((loc << 1) ^ (loc >> 31)) as u32 as u64);
}

fn put_str(bytes: &mut Vec<u8>, text: &str) {
    put_varint(bytes, text.len() as u64);
    bytes.extend_from_slice(text.as_bytes());
}

/// Reads a [`PackedWords`] buffer in the order it was written. The buffer is only ever
/// written by [`PackedWords::pack`], so it is well formed: a malformed one would be a bug of
/// this patch, and panics.
struct PackedReader<'a> {
    bytes: &'a [u8],
}

impl<'a> PackedReader<'a> {
    fn count(&mut self) -> usize {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = self.bytes[0];
            self.bytes = &self.bytes[1..];
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return value as usize;
            }
            shift += 7;
        }
    }

    fn str(&mut self) -> &'a str {
        let len = self.count();
        let (text, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        std::str::from_utf8(text).expect("packed from a str")
    }

    /// The next word, or `None` at the end.
    fn word(&mut self) -> Option<&'a str> {
        (!self.bytes.is_empty()).then(|| self.str())
    }

    /// The next list of locations, into `locs` (emptied first).
    fn locs(&mut self, locs: &mut Vec<i32>) {
        locs.clear();
        let count = self.count();
        locs.extend((0..count).map(|_| {
            let zigzag = self.count() as u32;
            ((zigzag >> 1) as i32) ^ -((zigzag & 1) as i32)
        }));
    }
}

/// Convert fossicked word positions to a packed page representation.
/// Sorts by weight (with common weight 25 first) then by position for delta encoding.
fn positions_to_packed_page(mut positions: Vec<FossickedWord>, page_number: usize) -> PackedPage {
    // A page weight of 1 is encoded as 25. Since most words should be this weight,
    // we want to sort them to be first in the locations array to reduce filesize
    // when we inline weight changes.
    // We then sort by position within each weight group,
    // which helps us delta encode the index.
    positions.sort_by_cached_key(|p| (if p.weight == 25 { 0 } else { p.weight }, p.position));

    let mut current_weight = 25;
    let mut weighted_positions = Vec::with_capacity(positions.len());
    let mut last_position = 0;

    // Calculate our output list of positions with weights.
    // This is a vec of page positions, with a change in weight for subsequent positions
    // denoted by a negative integer.
    for FossickedWord {
        position, weight, ..
    } in positions
    {
        if weight != current_weight {
            // Weight change: emit marker + absolute position, new delta base
            weighted_positions.push(-(weight as i32) - 1);
            weighted_positions.push(position as i32);
            last_position = position;
            current_weight = weight;
        } else {
            // emit delta from previous position
            weighted_positions.push((position - last_position) as i32);
            last_position = position;
        }
    }

    PackedPage {
        page_number,
        locs: weighted_positions,
        meta_locs: vec![],
    }
}

fn chunk_index(
    word_map: HashMap<String, CompactWord>,
    chunk_size: usize,
) -> Vec<Vec<(String, CompactWord)>> {
    // Accumulate into HashMap for O(1) inserts, then sort once before encoding
    // to produce a stable hash without paying BTreeMap's per-insert overhead.
    // (vaucluse-atlas patch: the keys are unique, an unstable sort without a clone of each
    // word per comparison gives the same order.)
    let mut words = word_map.into_iter().collect::<Vec<(String, CompactWord)>>();
    words.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));

    let mut index_chunks = Vec::new();

    let mut index_chunk = Vec::new();
    let mut index_chunk_size = 0;
    for (word, entries) in words.into_iter() {
        index_chunk_size += entries
            .pages
            .iter()
            .chain(entries.variants.iter().flat_map(|(_, pages)| pages))
            .map(|p| p.locs_len as usize + p.meta_len as usize + 1)
            .sum::<usize>()
            + entries.variants.len();
        index_chunk.push((word, entries));
        if index_chunk_size >= chunk_size {
            index_chunks.push(std::mem::take(&mut index_chunk));
            index_chunk_size = 0;
        }
    }
    if !index_chunk.is_empty() {
        index_chunks.push(index_chunk);
    }

    index_chunks
}

fn chunk_meta(indexes: &[Vec<(String, CompactWord)>]) -> Vec<MetaChunk> {
    let mut named_chunks: Vec<MetaChunk> = Vec::new();

    for chunk in indexes.iter() {
        named_chunks.push(MetaChunk {
            from: chunk.first().map_or("".into(), |(w, _)| w.clone()),
            to: chunk.last().map_or("".into(), |(w, _)| w.clone()),
            hash: "".into(),
        });
    }
    if named_chunks.len() > 1 {
        for i in 0..named_chunks.len() - 1 {
            let chunks = &mut named_chunks[i..=i + 1];
            let prefixes = get_prefixes((&chunks[0].to, &chunks[1].from));
            // Only trim 'to' if it won't create an invalid range (to < from)
            if prefixes.0 >= chunks[0].from {
                chunks[0].to = prefixes.0;
            }
            // Always trim the next chunk's 'from'
            chunks[1].from = prefixes.1;
        }
    }

    named_chunks
}

/// vaucluse-atlas patch: a fragment as `serde_json` writes it once parsed into a `Value`
/// (Pagefind groups fragments that way): the keys of each object in order (`serde_json`
/// without `preserve_order` keeps objects in a `BTreeMap`), nothing else changed.
fn grouped_fragment_json(data: &PageFragmentData) -> String {
    #[derive(serde::Serialize)]
    struct Anchor<'a> {
        element: &'a str,
        id: &'a str,
        location: u32,
        text: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<&'a str>,
    }
    #[derive(serde::Serialize)]
    struct Fragment<'a> {
        anchors: Vec<Anchor<'a>>,
        content: &'a str,
        filters: &'a BTreeMap<String, Vec<String>>,
        meta: &'a BTreeMap<String, String>,
        url: &'a str,
        word_count: usize,
    }
    let fragment = Fragment {
        anchors: data
            .anchors
            .iter()
            .map(|a| Anchor {
                element: &a.element,
                id: &a.id,
                location: a.location,
                text: &a.text,
                title: a.title.as_deref(),
            })
            .collect(),
        content: &data.content,
        filters: &data.filters,
        meta: &data.meta,
        url: &data.url,
        word_count: data.word_count,
    };
    serde_json::to_string(&fragment).unwrap_or_default()
}

/// vaucluse-atlas patch: `serde_json::to_string` of a map of fragment hashes to the
/// fragments that [`grouped_fragment_json`] encoded.
fn group_json(fragments: &BTreeMap<&str, &str>) -> String {
    let mut json = String::with_capacity(
        2 + fragments
            .iter()
            .map(|(hash, fragment)| hash.len() + fragment.len() + 4)
            .sum::<usize>(),
    );
    json.push('{');
    for (position, (hash, fragment)) in fragments.iter().enumerate() {
        if position > 0 {
            json.push(',');
        }
        json.push_str(&serde_json::to_string(hash).unwrap_or_default());
        json.push(':');
        json.push_str(fragment);
    }
    json.push('}');
    json
}

/// vaucluse-atlas patch: the entries of the whole index until its chunks are encoded. As
/// Pagefind's types ([`PackedWord`]), each page of each word was a [`PackedPage`] of 56 bytes
/// with its own allocation of locations (and the word's text twice): on 10,000 case studies,
/// millions of them, the peak memory of the build. Here a page of a word is a
/// [`CompactPage`] of 24 bytes and its locations are in one buffer; each chunk becomes
/// Pagefind's types only to be encoded ([`CompactWord::packed`]), with the same bytes.
#[derive(Debug, Default)]
struct WordMap {
    words: HashMap<String, CompactWord>,
    /// The locations, then the meta locations, of every entry, one after the other.
    locs: Vec<i32>,
}

/// A word's pages, and the pages of each of its original forms (`additional_variants`).
#[derive(Debug, Default)]
struct CompactWord {
    pages: Vec<CompactPage>,
    variants: Vec<(String, Vec<CompactPage>)>,
}

/// A [`PackedPage`] whose `locs` then `meta_locs` are in [`WordMap::locs`] from `start`.
#[derive(Debug, Clone, Copy)]
struct CompactPage {
    start: usize,
    page_number: u32,
    locs_len: u32,
    meta_len: u32,
}

impl WordMap {
    /// Adds the entries of some pages, as `build_indexes` merged word maps: a word's pages
    /// and its forms' pages after those already there, a new form after the others.
    fn merge(&mut self, word_map: HashMap<String, PackedWord>) -> Result<()> {
        for (word, packed) in word_map {
            let entries = self.words.entry(word).or_default();
            for page in packed.pages {
                entries.pages.push(compact(&mut self.locs, page)?);
            }
            for variant in packed.additional_variants {
                let position = variant_position(&mut entries.variants, &variant.form);
                for page in variant.pages {
                    let page = compact(&mut self.locs, page)?;
                    entries.variants[position].1.push(page);
                }
            }
        }
        Ok(())
    }
}

impl WordMap {
    /// vaucluse-atlas patch: adds one page's entries — its words as packed when it was
    /// fossicked, and the words of its meta fields — as [`WordMap::merge`] added the word map
    /// `build_indexes` made of them: a word's page holds its locations then its meta
    /// locations, a form of a word found in both has one page too, the forms of the meta
    /// fields come after the others. Without that map, a page's words are not copied into a
    /// string and a vector each (twice) before they are merged, one page after the other.
    fn merge_page(
        &mut self,
        words: &PackedWords,
        mut meta_words: HashMap<String, PackedWord>,
        page_number: usize,
    ) -> Result<()> {
        // A page's meta locations: the page of the meta map's entry (one page at most).
        let meta_locs = |pages: Vec<PackedPage>| {
            pages
                .into_iter()
                .next()
                .map(|page| page.meta_locs)
                .unwrap_or_default()
        };
        let mut reader = words.reader();
        let mut locs = Vec::new();
        while let Some(word) = reader.word() {
            let (meta, mut meta_variants) = match meta_words.remove(word) {
                Some(packed) => (meta_locs(packed.pages), packed.additional_variants),
                None => (Vec::new(), Vec::new()),
            };
            let entries = self.words.entry_ref(word).or_default();
            reader.locs(&mut locs);
            if !locs.is_empty() || !meta.is_empty() {
                let page = compact_parts(&mut self.locs, page_number, &locs, &meta)?;
                entries.pages.push(page);
            }
            for _ in 0..reader.count() {
                let form = reader.str();
                let meta = match meta_variants.iter().position(|v| v.form == form) {
                    Some(index) => meta_locs(meta_variants.remove(index).pages),
                    None => Vec::new(),
                };
                let position = variant_position(&mut entries.variants, form);
                reader.locs(&mut locs);
                let page = compact_parts(&mut self.locs, page_number, &locs, &meta)?;
                entries.variants[position].1.push(page);
            }
            for variant in meta_variants {
                let position = variant_position(&mut entries.variants, &variant.form);
                for page in variant.pages {
                    let page = compact(&mut self.locs, page)?;
                    entries.variants[position].1.push(page);
                }
            }
        }
        // The words found only in meta fields.
        self.merge(meta_words)
    }
}

/// Where the form `form` of a word is in `variants`, added at the end if new.
fn variant_position(variants: &mut Vec<(String, Vec<CompactPage>)>, form: &str) -> usize {
    match variants.iter().position(|(known, _)| known == form) {
        Some(position) => position,
        None => {
            variants.push((form.to_string(), Vec::new()));
            variants.len() - 1
        }
    }
}

/// A page of a word, its locations then its meta locations copied into `all`.
fn compact_parts(
    all: &mut Vec<i32>,
    page_number: usize,
    locs: &[i32],
    meta_locs: &[i32],
) -> Result<CompactPage> {
    let too_large = || anyhow::anyhow!("a page of the index is too large");
    let compact = CompactPage {
        start: all.len(),
        page_number: u32::try_from(page_number).map_err(|_| too_large())?,
        locs_len: u32::try_from(locs.len()).map_err(|_| too_large())?,
        meta_len: u32::try_from(meta_locs.len()).map_err(|_| too_large())?,
    };
    all.extend_from_slice(locs);
    all.extend_from_slice(meta_locs);
    Ok(compact)
}

/// `page` with its locations moved into `locs`.
fn compact(locs: &mut Vec<i32>, page: PackedPage) -> Result<CompactPage> {
    compact_parts(locs, page.page_number, &page.locs, &page.meta_locs)
}

impl CompactPage {
    fn packed(&self, locs: &[i32]) -> PackedPage {
        let middle = self.start + self.locs_len as usize;
        PackedPage {
            page_number: self.page_number as usize,
            locs: locs[self.start..middle].to_vec(),
            meta_locs: locs[middle..middle + self.meta_len as usize].to_vec(),
        }
    }
}

impl CompactWord {
    /// The word's entry as `build_indexes` encodes it.
    fn packed(self, word: String, locs: &[i32]) -> PackedWord {
        PackedWord {
            word,
            pages: self.pages.iter().map(|p| p.packed(locs)).collect(),
            additional_variants: self
                .variants
                .into_iter()
                .map(|(form, pages)| PackedVariant {
                    form,
                    pages: pages.iter().map(|p| p.packed(locs)).collect(),
                })
                .collect(),
        }
    }
}

fn get_prefixes((a, b): (&str, &str)) -> (String, String) {
    let common_prefix_length: usize = b
        .chars()
        .zip(a.chars())
        .take_while(|&(a, b)| a == b)
        .count();

    let a_prefix = a.chars().take(common_prefix_length + 1).collect::<String>();
    let b_prefix = b.chars().take(common_prefix_length + 1).collect::<String>();

    (a_prefix, b_prefix)
}

fn parse_int_sort(value: &str) -> Option<i32> {
    lexical_core::parse::<i32>(value.as_bytes()).ok()
}

fn parse_float_sort(value: &str) -> Option<f32> {
    lexical_core::parse::<f32>(value.as_bytes()).ok()
}

/// Encode meta positions with field ID markers.
/// Negative numbers switch field IDs, positive numbers are delta-encoded positions.
/// e.g., [-1, 0, 5, -4, 2] means: field 0 positions [0, 5], field 3 positions [2]
fn meta_positions_to_packed(mut positions: Vec<MetaFossickedWord>) -> Vec<i32> {
    if positions.is_empty() {
        return vec![];
    }

    positions.sort_by_key(|p| (p.field_id, p.position));

    let mut current_field: Option<u16> = None;
    let mut last_position: u32 = 0;
    let mut result = Vec::with_capacity(positions.len() + 8);

    for MetaFossickedWord {
        field_id, position, ..
    } in positions
    {
        if Some(field_id) != current_field {
            result.push(-((field_id as i32) + 1));
            current_field = Some(field_id);
            last_position = 0;
        }
        result.push((position - last_position) as i32);
        last_position = position;
    }

    result
}

#[cfg(test)]
mod tests {
    use super::*;

    trait Mock {
        fn word(&mut self, word: &str, page_number: usize, locs: Vec<i32>);
    }
    impl Mock for HashMap<String, PackedWord> {
        fn word(&mut self, word: &str, page_number: usize, locs: Vec<i32>) {
            let page = PackedPage {
                page_number,
                locs,
                meta_locs: vec![],
            };
            match self.get_mut(word) {
                Some(w) => w.pages.push(page),
                None => {
                    let _ = self.insert(
                        word.into(),
                        PackedWord {
                            word: word.into(),
                            pages: vec![page],
                            additional_variants: vec![],
                        },
                    );
                }
            }
        }
    }

    fn test_words() -> HashMap<String, PackedWord> {
        let mut words = HashMap::new();
        words.word("apple", 1, vec![20, 40, 60]);
        words.word("apple", 5, vec![3, 6, 9]);
        words.word("apricot", 5, vec![45, 3432, 6003]);
        words.word("banana", 5, vec![100, 500, 900, 566]);
        words.word("peach", 5, vec![383, 2, 678]);

        words
    }

    /// The same postings, but held as diacritic variants rather than on the word itself
    fn test_variant_words() -> HashMap<String, PackedWord> {
        let mut words = test_words();
        for word in words.values_mut() {
            word.additional_variants.push(PackedVariant {
                form: format!("{}\u{0301}", word.word),
                pages: std::mem::take(&mut word.pages),
            });
        }
        words
    }

    /// vaucluse-atlas patch: a page merged from its packed words and the word map of its
    /// meta fields has the entries it had when its whole word map was merged: a word's page
    /// with its locations and meta locations, one page for a form in both, the meta fields'
    /// forms after the others unless an earlier page placed them, meta-only words.
    #[test]
    fn a_page_merged_from_its_packed_words_has_the_entries_of_its_word_map() {
        let at = |position: u32, original: Option<&str>| FossickedWord {
            position,
            weight: 25,
            original_word: original.map(str::to_string),
        };
        let mut word_data: HashMap<String, Vec<FossickedWord>> = HashMap::new();
        word_data.insert(
            "strategie".into(),
            vec![at(2, None), at(5, Some("stratégie"))],
        );
        word_data.insert("ete".into(), vec![at(4, Some("été"))]);
        let packed = PackedWords::pack(word_data);
        let page = |page_number: usize, locs: Vec<i32>, meta_locs: Vec<i32>| PackedPage {
            page_number,
            locs,
            meta_locs,
        };
        let variant = |form: &str, pages: Vec<PackedPage>| PackedVariant {
            form: form.into(),
            pages,
        };
        let word = |word: &str, pages: Vec<PackedPage>, variants: Vec<PackedVariant>| {
            (
                word.to_string(),
                PackedWord {
                    word: word.into(),
                    pages,
                    additional_variants: variants,
                },
            )
        };
        let meta: HashMap<String, PackedWord> = HashMap::from([
            word(
                "strategie",
                vec![page(3, vec![], vec![-1, 0])],
                vec![
                    variant("Stratégie", vec![page(3, vec![], vec![-1, 1])]),
                    variant("stratégie", vec![page(3, vec![], vec![-1, 2])]),
                ],
            ),
            word("titre", vec![page(3, vec![], vec![-1, 3])], vec![]),
        ]);
        let mut map = WordMap::default();
        // An earlier page placed the form « Stratégie » first.
        map.merge(HashMap::from([word(
            "strategie",
            vec![],
            vec![variant("Stratégie", vec![page(1, vec![9], vec![])])],
        )]))
        .unwrap();
        map.merge_page(&packed, meta, 3).unwrap();

        let WordMap { mut words, locs } = map;
        // Compared as the existing test does, by their `Debug` text (`PackedWord` has no `==`).
        let mut entry = |name: &str| {
            let packed = words.remove(name).unwrap().packed(name.into(), &locs);
            format!("{packed:?}")
        };
        let debug = |(_, packed): (String, PackedWord)| format!("{packed:?}");
        assert_eq!(
            entry("strategie"),
            debug(word(
                "strategie",
                vec![page(3, vec![2], vec![-1, 0])],
                vec![
                    variant(
                        "Stratégie",
                        vec![page(1, vec![9], vec![]), page(3, vec![], vec![-1, 1])]
                    ),
                    variant("stratégie", vec![page(3, vec![5], vec![-1, 2])]),
                ],
            ))
        );
        assert_eq!(
            entry("ete"),
            debug(word(
                "ete",
                vec![],
                vec![variant("été", vec![page(3, vec![4], vec![])])]
            ))
        );
        assert_eq!(
            entry("titre"),
            debug(word("titre", vec![page(3, vec![], vec![-1, 3])], vec![]))
        );
        assert!(words.is_empty());
    }

    /// vaucluse-atlas patch: a page's words packed when fossicked give the index entries
    /// that `build_indexes` makes from its `word_data`.
    #[test]
    fn packed_words_give_the_entries_of_the_word_data() {
        let at = |position: u32, weight: u8, original: Option<&str>| FossickedWord {
            position,
            weight,
            original_word: original.map(str::to_string),
        };
        let mut word_data: HashMap<String, Vec<FossickedWord>> = HashMap::new();
        word_data.insert(
            "strategie".into(),
            vec![
                at(9, 25, None),
                at(2, 25, None),
                at(5, 50, Some("stratégie")),
                at(30, 25, Some("stratégie")),
                at(12, 25, Some("Stratégie")),
            ],
        );
        word_data.insert("ete".into(), vec![at(4, 25, Some("été"))]);
        word_data.insert("avignon".into(), vec![at(0, 100, None), at(20, 25, None)]);
        let packed = PackedWords::pack(word_data);
        assert!(!packed.is_empty());
        let mut map: HashMap<String, PackedWord> = HashMap::new();
        packed.add_to(&mut map, 7);
        let page = |locs: Vec<i32>| PackedPage {
            page_number: 7,
            locs,
            meta_locs: vec![],
        };
        let mut words: Vec<_> = map.into_values().collect();
        words.sort_by(|a, b| a.word.cmp(&b.word));
        let expected = vec![
                PackedWord {
                    word: "avignon".into(),
                    // weight 25 first, then a weight change to 100 at position 0
                    pages: vec![page(vec![20, -101, 0])],
                    additional_variants: vec![],
                },
                PackedWord {
                    word: "ete".into(),
                    pages: vec![],
                    additional_variants: vec![PackedVariant {
                        form: "été".into(),
                        pages: vec![page(vec![4])],
                    }],
                },
                PackedWord {
                    word: "strategie".into(),
                    pages: vec![page(vec![2, 7])],
                    // forms in order, each with its own positions
                    additional_variants: vec![
                        PackedVariant {
                            form: "Stratégie".into(),
                            pages: vec![page(vec![12])],
                        },
                        PackedVariant {
                            form: "stratégie".into(),
                            pages: vec![page(vec![30, -51, 5])],
                        },
                    ],
                },
            ];
        // (The index's types have no PartialEq: compared through Debug.)
        assert_eq!(format!("{words:?}"), format!("{expected:?}"));
        assert!(PackedWords::pack(HashMap::new()).is_empty());
    }

    /// vaucluse-atlas patch 19: words and locations read back from the packed buffer as they
    /// were written, whatever their size: long words, locations of several bytes, negative
    /// ones (weight changes) and the extremes of `i32`.
    #[test]
    fn packed_words_read_back_what_was_packed() {
        let mut bytes = Vec::new();
        let long = "é".repeat(200);
        let locs = [0, 1, -1, 63, -64, 64, 127, 128, 16_384, -70_000, i32::MAX, i32::MIN];
        put_str(&mut bytes, &long);
        put_varint(&mut bytes, locs.len() as u64);
        for loc in locs {
            put_loc(&mut bytes, loc);
        }
        put_varint(&mut bytes, 300);
        let mut reader = PackedReader { bytes: &bytes };
        assert_eq!(reader.word(), Some(long.as_str()));
        let mut read = vec![42];
        reader.locs(&mut read);
        assert_eq!(read, locs);
        assert_eq!(reader.count(), 300);
        assert_eq!(reader.word(), None);
    }

    /// vaucluse-atlas patch: the words as [`WordMap`] holds them.
    fn compacted(words: HashMap<String, PackedWord>) -> HashMap<String, CompactWord> {
        let mut map = WordMap::default();
        map.merge(words).unwrap();
        map.words
    }

    /// vaucluse-atlas patch: merged into a [`WordMap`], then taken out of it, the entries of
    /// several pages are those `build_indexes` merged as Pagefind's types (a word's pages,
    /// and each form's, in the order merged; a new form after the others).
    #[test]
    fn the_compact_word_map_gives_back_the_entries_merged_into_it() {
        let page = |page_number: usize, locs: Vec<i32>, meta_locs: Vec<i32>| PackedPage {
            page_number,
            locs,
            meta_locs,
        };
        let variant = |form: &str, pages: Vec<PackedPage>| PackedVariant {
            form: form.into(),
            pages,
        };
        let word = |word: &str, pages, additional_variants| PackedWord {
            word: word.into(),
            pages,
            additional_variants,
        };
        let first: HashMap<String, PackedWord> = [
            word("ete", vec![], vec![variant("été", vec![page(1, vec![4], vec![])])]),
            word(
                "avignon",
                vec![page(1, vec![20, -101, 0], vec![-1, 0])],
                vec![],
            ),
        ]
        .into_iter()
        .map(|w| (w.word.clone(), w))
        .collect();
        let second: HashMap<String, PackedWord> = [
            word(
                "ete",
                vec![page(2, vec![3, 9], vec![])],
                vec![
                    variant("Été", vec![page(2, vec![], vec![-2, 4])]),
                    variant("été", vec![page(2, vec![7], vec![])]),
                ],
            ),
            word("avignon", vec![page(2, vec![1], vec![])], vec![]),
        ]
        .into_iter()
        .map(|w| (w.word.clone(), w))
        .collect();
        let mut map = WordMap::default();
        map.merge(first).unwrap();
        map.merge(second).unwrap();
        let WordMap { words, locs } = map;
        let mut words: Vec<PackedWord> = words
            .into_iter()
            .map(|(word, entries)| entries.packed(word, &locs))
            .collect();
        words.sort_by(|a, b| a.word.cmp(&b.word));
        let expected = vec![
            word(
                "avignon",
                vec![
                    page(1, vec![20, -101, 0], vec![-1, 0]),
                    page(2, vec![1], vec![]),
                ],
                vec![],
            ),
            word(
                "ete",
                vec![page(2, vec![3, 9], vec![])],
                vec![
                    variant(
                        "été",
                        vec![page(1, vec![4], vec![]), page(2, vec![7], vec![])],
                    ),
                    variant("Été", vec![page(2, vec![], vec![-2, 4])]),
                ],
            ),
        ];
        // (The index's types have no PartialEq: compared through Debug.)
        assert_eq!(format!("{words:?}"), format!("{expected:?}"));
    }

    /// vaucluse-atlas patch: a group of fragments written from [`grouped_fragment_json`] is
    /// the group Pagefind wrote by parsing each fragment into a `Value`.
    #[test]
    fn grouped_fragments_are_written_as_pagefind_wrote_them_through_values() {
        use crate::fragments::PageAnchorData;
        let anchor = |element: &str, id: &str, text: &str, title: Option<&str>, location| {
            PageAnchorData {
                element: element.into(),
                id: id.into(),
                text: text.into(),
                title: title.map(str::to_string),
                location,
            }
        };
        let first = PageFragmentData {
            url: "/cas/l’isle-sur-la-sorgue/?q=\"a\"&b".into(),
            content: "Été « marque » : l’attractivité\n\ttab \u{1} \u{2028} 🌻 </script>".into(),
            word_count: 42,
            filters: BTreeMap::from([
                ("ville".into(), vec!["Apt".into(), "Avignon".into()]),
                ("Stratégie".into(), vec![]),
            ]),
            meta: BTreeMap::from([
                ("title".into(), "Titre \"cité\"".into()),
                ("image".into(), "/img/a.svg".into()),
                ("Z".into(), String::new()),
            ]),
            anchors: vec![
                anchor("h2", "contexte", "Contexte", None, 3),
                anchor("h3", "é", "Résultats", Some("Les résultats"), 4_000_000),
            ],
        };
        let second = PageFragmentData {
            url: "/".into(),
            content: String::new(),
            word_count: 0,
            filters: BTreeMap::new(),
            meta: BTreeMap::new(),
            anchors: vec![],
        };
        let mut values = BTreeMap::new();
        let mut encoded = Vec::new();
        for (hash, data) in [("fr_b12", &first), ("fr_a9", &second)] {
            let json = serde_json::to_string(data).unwrap();
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(grouped_fragment_json(data), serde_json::to_string(&value).unwrap());
            values.insert(hash.to_string(), value);
            encoded.push((hash, grouped_fragment_json(data)));
        }
        let group: BTreeMap<&str, &str> = encoded.iter().map(|(h, j)| (*h, j.as_str())).collect();
        assert_eq!(group_json(&group), serde_json::to_string(&values).unwrap());
        assert_eq!(group_json(&BTreeMap::new()), "{}");
    }

    #[test]
    fn build_index_chunks() {
        let chunks = chunk_index(compacted(test_words()), 8);

        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0][0].0, "apple");
        assert_eq!(chunks[1][0].0, "apricot");
        assert_eq!(chunks[1][1].0, "banana");
        assert_eq!(chunks[2][0].0, "peach");
    }

    #[test]
    fn build_index_chunks_from_variant_words() {
        let chunks = chunk_index(compacted(test_variant_words()), 8);

        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0][0].0, "apple");
        assert_eq!(chunks[1][0].0, "apricot");
        assert_eq!(chunks[1][1].0, "banana");
        assert_eq!(chunks[2][0].0, "peach");
    }

    #[test]
    fn build_chunk_meta() {
        let chunks = chunk_index(compacted(test_words()), 8);
        let meta = chunk_meta(&chunks);
        assert_eq!(meta.len(), 3);
        assert_eq!(
            meta[0],
            MetaChunk {
                from: "apple".into(),
                to: "apple".into(), // Not trimmed to "app" since that would make to < from
                hash: "".into(),
            }
        );
        assert_eq!(
            meta[1],
            MetaChunk {
                from: "apr".into(),
                to: "b".into(),
                hash: "".into(),
            }
        );
        assert_eq!(
            meta[2],
            MetaChunk {
                from: "p".into(),
                to: "peach".into(),
                hash: "".into(),
            }
        );
    }

    #[test]
    fn common_prefix() {
        assert_eq!(
            get_prefixes(("apple", "apricot")),
            ("app".into(), "apr".into())
        );
        assert_eq!(
            get_prefixes(("cataraman", "yacht")),
            ("c".into(), "y".into())
        );
        assert_eq!(
            get_prefixes(("cath", "cathartic")),
            ("cath".into(), "catha".into())
        );
        // This should be an invalid state, but just in case:
        assert_eq!(
            get_prefixes(("catha", "cath")),
            ("catha".into(), "cath".into())
        );
    }
}
