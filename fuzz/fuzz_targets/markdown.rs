//! The Markdown renderer and the French typography pass: never a panic, and typography is
//! idempotent (typeset text is left as it is).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vaucluse_atlas::{load, markdown};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let _ = markdown::render(source, "cas/fuzz/", "/");
    let _ = markdown::render(source, "", "/atlas/");
    let once = markdown::typography(source);
    assert_eq!(
        markdown::typography(&once),
        once,
        "typography is idempotent"
    );
    let spaced = load::french_spaces(source);
    assert_eq!(
        load::french_spaces(&spaced),
        spaced,
        "french_spaces is idempotent"
    );
});
