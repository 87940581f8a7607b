//! Shared by the fuzz targets: what every diagnostic must survive, and the fake files.

// Each target uses part of it.
#![allow(dead_code)]

use std::path::Path;

use vaucluse_atlas::diagnostic::{self, Diagnostic};
use vaucluse_atlas::load::{self, SourceFile};

/// Renders diagnostics the three ways the tool prints them (terminal, JSON, browser overlay):
/// a position or span computed from hostile input must never make a report panic.
pub fn render_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        let _ = d.render_human(false);
        let _ = d.render_html();
        let _ = d.location();
    }
    let _ = diagnostic::to_json(diagnostics);
}

/// The bytes as a source file named `display` (site-relative), decoded the way `load` decodes a
/// file read from disk (UTF-8 checked, BOM dropped, CRLF folded, empty refused).
pub fn source(display: &str, data: &[u8]) -> Option<SourceFile> {
    match load::decode_source(Path::new(display), display.to_string(), data.to_vec()) {
        Ok(file) => Some(file),
        Err(error) => {
            render_diagnostics(&[error]);
            None
        }
    }
}
