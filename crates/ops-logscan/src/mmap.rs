//! Memory-mapped reading of regular files: with `simd.rs`, the crate's
//! only `unsafe`.
//!
//! Reading a file with `read_at` copies every byte from the page cache into
//! a buffer; on a cached multi-GB log that copy was a sixth of the scan's
//! time (docs/ARCHITECTURE.md, "Reading"). A map hands the page-cache pages
//! to the analyzers as they are.

// Mapping a file, and releasing its pages, are `unsafe` in memmap2 (see
// `Mapped::map` and `Mapped::release`); this module is the one place that
// does either.
#![allow(unsafe_code)]

use std::fs::File;

#[cfg(unix)]
use memmap2::UncheckedAdvice;
use memmap2::{Mmap, MmapOptions};

/// A read-only map of a whole regular file.
#[derive(Debug)]
pub(crate) struct Mapped(Mmap);

impl Mapped {
    /// Maps the first `len` bytes of `file`, its length when it was opened.
    /// `None` when the file is empty or cannot be mapped (a file system
    /// without mmap support, an address space too small): the caller reads
    /// the file instead.
    pub(crate) fn map(file: &File, len: u64) -> Option<Mapped> {
        let len = usize::try_from(len).ok().filter(|&n| n > 0)?;
        // SAFETY: `Mmap::map` is unsafe because the mapped bytes belong to
        // the file, not to this process: another process may change them,
        // or truncate the file, while the map is alive. Changed bytes are
        // harmless here: the map is read-only, the analyzers accept any
        // bytes (no UTF-8, alignment or stability assumption is made across
        // reads, and each byte is read as a plain `u8`), so a concurrent
        // writer can only change the answer, as it would with `read_at`.
        // Truncation below `len` makes a later read of the lost pages raise
        // SIGBUS and end the process: the documented cost of
        // `MemoryMap::Auto`, which `MemoryMap::Never` avoids, and the same
        // trade ripgrep makes by default.
        let map = unsafe { MmapOptions::new().len(len).map(file) }.ok()?;
        // Each thread reads its parts front to back: ask for read-ahead.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Some(Mapped(map))
    }

    /// The file's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Drops this process's page-table entries for the whole pages of
    /// `start..end`, once a part has been scanned. Unmapping a cached 1 GiB
    /// file took 66 ms (strace, 2-core VM), on one thread after every other
    /// had finished; released part by part, that work is spread over the
    /// scanning threads. Where it is not supported, or fails, nothing
    /// happens: the pages go when the map does.
    pub(crate) fn release(&self, start: usize, end: usize) {
        const PAGE: usize = 4096;
        let from = start.div_ceil(PAGE) * PAGE;
        let to = end.min(self.0.len()) / PAGE * PAGE;
        if from >= to {
            return;
        }
        #[cfg(unix)]
        {
            // SAFETY: `MADV_DONTNEED` is unchecked in memmap2 because on a
            // private writable map it discards changes. This map is shared
            // and read-only: the call only removes page-table entries, and
            // a later read of these bytes (another thread finishing a line
            // that began in the part before) faults the same file bytes in
            // again from the page cache. Every `&[u8]` into the map keeps
            // reading the file's bytes, exactly as `map` describes; the
            // range lies within the map (`to <= len`).
            let _ = unsafe {
                self.0
                    .unchecked_advise_range(UncheckedAdvice::DontNeed, from, to - from)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn maps_a_file_and_declines_an_empty_one() {
        let mut f = tempfile::tempfile().expect("temp file");
        f.write_all(b"one\ntwo\n").expect("write");
        let m = Mapped::map(&f, 8).expect("map");
        assert_eq!(m.bytes(), b"one\ntwo\n");
        let m = Mapped::map(&f, 4).expect("map");
        assert_eq!(m.bytes(), b"one\n");
        assert!(Mapped::map(&f, 0).is_none());
    }

    #[test]
    fn released_pages_read_the_same_bytes() {
        let mut f = tempfile::tempfile().expect("temp file");
        let data: Vec<u8> = (0..5 * 4096u32).map(|i| (i % 251) as u8).collect();
        f.write_all(&data).expect("write");
        let m = Mapped::map(&f, data.len() as u64).expect("map");
        assert_eq!(m.bytes(), &data[..]);
        m.release(1, 4 * 4096 + 7);
        m.release(0, data.len());
        m.release(9, 9);
        assert_eq!(m.bytes(), &data[..]);
    }
}
