//! The line vocabulary: what one line of a report means on its own, below
//! both the segmenter (which asks it where a report or trace ends) and the
//! parser (which builds the model from it). Nothing here knows about
//! reports as a whole, so `segment` and `parse` both import it and neither
//! imports the other's internals.
//!
//! * [`frame`]: stack-frame lines in every shape, without allocating;
//! * [`lock`]: lock lines, chain entries, held-lock headers and entries;
//! * [`body`]: the fixed wording of report bodies and the frames stacks
//!   bottom out in;
//! * [`trim`]: `str::trim` with an ASCII fast path, for every line.

pub mod body;
pub mod dept;
pub mod frame;
pub mod lock;
pub mod trim;
