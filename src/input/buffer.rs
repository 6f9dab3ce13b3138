//! Read buffers reused by the next reader on the same thread.
//!
//! A reader's buffer is zeroed when it is made. A directory of small files
//! (syzkaller's test data: 634 files of 5 KB on average) would zero a fresh
//! 256 KiB line buffer, and a 64 KiB one for the `REPORT:` cut, for each
//! file: more work than reading them. A [`ReadBuffer`] goes back to its
//! thread when dropped and the next one of the same size takes it. Its old
//! bytes are never read: a reader reads only what it filled.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Buffers kept per thread (readers open at once on one thread, nested).
const KEPT: usize = 4;

thread_local! {
    static SPARE: RefCell<Vec<Box<[u8]>>> = const { RefCell::new(Vec::new()) };
}

/// A byte buffer of fixed length, from the thread's spares when one of
/// that length is there.
#[derive(Debug, Default)]
pub struct ReadBuffer(Box<[u8]>);

impl ReadBuffer {
    /// A buffer of `len` bytes (zeroed when new, whatever a spare held
    /// otherwise).
    pub fn new(len: usize) -> Self {
        let spare = SPARE
            .try_with(|s| {
                let mut s = s.borrow_mut();
                let i = s.iter().position(|b| b.len() == len)?;
                Some(s.swap_remove(i))
            })
            .ok()
            .flatten();
        ReadBuffer(spare.unwrap_or_else(|| vec![0; len].into_boxed_slice()))
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.0);
        if buf.is_empty() {
            return;
        }
        let _ = SPARE.try_with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < KEPT {
                s.push(buf);
            }
        });
    }
}

impl Deref for ReadBuffer {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl DerefMut for ReadBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_buffer_is_taken_again_by_its_size() {
        let mut a = ReadBuffer::new(4096);
        a[0] = 7;
        let p = a.as_ptr();
        drop(a);
        let other = ReadBuffer::new(1024);
        assert_eq!(other.len(), 1024);
        let b = ReadBuffer::new(4096);
        assert_eq!((b.as_ptr(), b.len()), (p, 4096));
    }
}
