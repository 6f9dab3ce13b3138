//! Renderers: the only code that writes reports out. Every string that
//! came from the input passes through [`crate::escape`] (terminal text) or
//! the JSON writer's escaping before it is printed.

pub mod json;
pub mod known;
pub mod layered;
pub mod layout;
pub mod markdown;
pub mod svg;
pub mod text;

/// The escaping of untrusted text now lives in [`crate::escape`], below
/// every stage that prints; this name is kept for code written against it.
pub use crate::escape;

/// The title a person reads first, and whether syzkaller's own title must
/// be shown beside it: the headline when the report names a function that
/// syzkaller's title lacks; else the title, cut before syzkaller's
/// placeholder ` in corrupted` (which names no function and is not a
/// statement about the log's integrity).
pub fn shown_title(r: &crate::model::Report) -> (&str, bool) {
    match (&r.headline, r.title.strip_suffix(" in corrupted")) {
        (Some(h), _) => (h, true),
        (None, Some(stem)) => (stem, true),
        (None, None) => (&r.title, false),
    }
}
