//! Kernel knowledge that does not come from the log itself: release
//! numbers, GFP bit layouts per era, and the task-flag and lockdep rules
//! that decide whether an allocation can recurse into reclaim.
//!
//! Everything here is keyed by [`version::KernelVersion`] and cites the
//! kernel source it was read from.

pub mod frames;
pub mod gfp;
pub mod kb;
pub mod known;
pub mod locks;
pub mod reclaim;
pub mod taint;
pub mod task;
pub mod version;
