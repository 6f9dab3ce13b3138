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
