//! A city card (`content/villes/<slug>.yaml`), parsed by the function `load` uses: never a
//! panic, whatever the bytes; every error renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaucluse_atlas::load;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some(file) = common::source("content/villes/fuzz.yaml", data) else {
        return;
    };
    match load::parse_city(file) {
        Ok(city) => assert_eq!(city.slug, "fuzz"),
        Err(errors) => common::render_diagnostics(&errors),
    }
});
