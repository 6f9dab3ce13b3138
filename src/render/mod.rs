//! Renderers: the only code that writes reports out. Every string that
//! came from the input passes through [`escape`] (terminal text) or the
//! JSON writer's escaping before it is printed.

pub mod cycle;
pub mod escape;
pub mod json;
pub mod layout;
pub mod markdown;
pub mod text;
