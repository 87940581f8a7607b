//! A case study (`content/cas/<slug>.md`), parsed by the function `load` uses (front matter,
//! YAML), then its body rendered as the case study page renders it: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaucluse_atlas::{load, markdown};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some(file) = common::source("content/cas/fuzz.md", data) else {
        return;
    };
    match load::parse_case(file) {
        Ok(case) => {
            assert_eq!(case.slug, "fuzz");
            let _ = markdown::render(&case.body, "cas/fuzz/", "/atlas/");
        }
        Err(errors) => common::render_diagnostics(&errors),
    }
});
