//! The front-matter splitter of case studies and opportunities (`load::split_front_matter`):
//! never a panic, and when it succeeds the YAML and the body are the file's own text, in order,
//! and the body's line number is right.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaucluse_atlas::load;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Some(file) = common::source("content/cas/fuzz.md", data) else {
        return;
    };
    let text: &str = &file.text;
    match load::split_front_matter(&file) {
        Ok((yaml, body, body_line)) => {
            let base = text.as_ptr() as usize;
            let yaml_start = yaml.as_ptr() as usize - base;
            let body_start = body.as_ptr() as usize - base;
            assert!(yaml_start + yaml.len() <= text.len());
            assert!(yaml_start + yaml.len() <= body_start || body.is_empty());
            assert_eq!(
                body_start + body.len(),
                text.len(),
                "the body runs to the end"
            );
            assert_eq!(
                text[..yaml_start].trim_end(),
                "---",
                "the YAML follows the opening line"
            );
            assert_eq!(
                text.as_bytes()[yaml_start - 1],
                b'\n',
                "the YAML starts a line"
            );
            if !body.is_empty() {
                assert_eq!(text[..body_start].matches('\n').count() + 1, body_line);
            }
        }
        Err(error) => common::render_diagnostics(&[error]),
    }
});
