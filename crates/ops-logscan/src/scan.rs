//! The scanning driver: reads inputs in blocks of whole lines, splits large
//! files among threads, and merges the parts' states in input order.

use std::fs::File;
use std::io::{self, Read};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use crate::source::{self, Input, Opened, Stream};
use crate::{Aggregate, Error};

/// A log analysis: parses lines and accumulates [`Aggregate`] state.
///
/// The driver hands [`scan_block`](Analyzer::scan_block) blocks of whole
/// lines; an analyzer splits them with [`for_each_line`](crate::for_each_line),
/// counts every line in [`Totals::lines`](crate::Totals::lines) (and
/// oversized ones in [`Totals::oversized`](crate::Totals::oversized)), and
/// must give the same state however the input is cut into blocks.
pub trait Analyzer: Sync {
    /// The state this analysis accumulates.
    type Stats: Aggregate;

    /// Scans `block`: whole lines, each ending in `\n` except perhaps the
    /// last line of the input. Lines longer than `max_line` bytes are
    /// counted as oversized, not parsed.
    fn scan_block(&self, block: &[u8], max_line: usize, stats: &mut Self::Stats);

    /// Counts a line too long to be held in the read buffer, whose bytes
    /// are skipped unseen. The default counts it as a line and as oversized,
    /// exactly as [`Line::Oversized`](crate::Line::Oversized) must be.
    fn oversized_line(&self, stats: &mut Self::Stats) {
        let totals = stats.totals_mut();
        totals.lines += 1;
        totals.oversized += 1;
    }
}

/// A count of bytes scanned so far, readable from another thread (for a
/// progress bar).
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Bytes read so far (after decompression).
    pub fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Scans inputs with an [`Analyzer`]; built by [`ScannerBuilder`].
///
/// The result never depends on the thread count, the chunk size or the
/// buffer size: only speed and memory do.
#[derive(Debug, Clone)]
pub struct Scanner {
    threads: usize,
    chunk_size: Option<u64>,
    buffer_size: usize,
    max_line: usize,
    memory_map: MemoryMap,
    progress: Progress,
}

/// Whether a [`Scanner`] memory-maps regular files.
///
/// A mapped file is handed to the analyzers straight from the page cache;
/// a read one is first copied into a buffer, which costs about a sixth of
/// the time of a fast analysis of a cached file. Gzip files and streams
/// are always read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MemoryMap {
    /// Map uncompressed regular files when the `mmap` feature is on and
    /// the map succeeds; read them otherwise. If another process truncates
    /// a file while it is mapped and scanned (as `logrotate`'s
    /// `copytruncate` does), reading the lost pages kills the process with
    /// SIGBUS, as it would kill ripgrep: use [`MemoryMap::Never`] on files
    /// that may shrink under the scan.
    #[default]
    Auto,
    /// Always read files with positional reads into buffers.
    Never,
}

/// Configures a [`Scanner`].
#[derive(Debug, Clone)]
pub struct ScannerBuilder {
    threads: Option<usize>,
    chunk_size: Option<u64>,
    buffer_size: usize,
    max_line: usize,
    memory_map: MemoryMap,
}

impl Default for ScannerBuilder {
    fn default() -> Self {
        ScannerBuilder {
            threads: None,
            chunk_size: None,
            buffer_size: 1 << 20,
            max_line: 1 << 20,
            memory_map: MemoryMap::Auto,
        }
    }
}

impl ScannerBuilder {
    /// The defaults: one thread per available core, 1 MiB read buffers,
    /// lines of up to 1 MiB.
    pub fn new() -> Self {
        Self::default()
    }

    /// Threads used to scan regular files (default: available cores).
    /// Several files, and parts of one large file, are scanned in parallel;
    /// a stream (stdin, a pipe, one gzip file) is read front to back, and
    /// when there are at least twice as many threads as work items, by a
    /// helper thread (decompressing) while another parses.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }

    /// Size of the parts a regular file is split into for parallel
    /// scanning. By default, a file is cut into about four parts per thread,
    /// none smaller than 16 MiB.
    pub fn chunk_size(mut self, bytes: u64) -> Self {
        self.chunk_size = Some(bytes);
        self
    }

    /// Bytes read at a time (default 1 MiB).
    pub fn buffer_size(mut self, bytes: usize) -> Self {
        self.buffer_size = bytes;
        self
    }

    /// The longest line parsed, in bytes, terminator excluded (default
    /// 1 MiB). Longer lines are counted as oversized and skipped, so memory
    /// stays bounded whatever the input.
    pub fn max_line(mut self, bytes: usize) -> Self {
        self.max_line = bytes;
        self
    }

    /// Whether regular files are memory-mapped (default
    /// [`MemoryMap::Auto`]).
    pub fn memory_map(mut self, choice: MemoryMap) -> Self {
        self.memory_map = choice;
        self
    }

    /// Checks the options.
    pub fn build(self) -> Result<Scanner, Error> {
        let invalid = |option, reason: &str| Error::InvalidOption {
            option,
            reason: reason.to_owned(),
        };
        let threads = match self.threads {
            Some(0) => return Err(invalid("threads", "must be at least 1")),
            Some(n) => n,
            None => default_threads(),
        };
        if self.chunk_size == Some(0) {
            return Err(invalid("chunk_size", "must be at least 1 byte"));
        }
        if self.buffer_size == 0 {
            return Err(invalid("buffer_size", "must be at least 1 byte"));
        }
        if self.max_line == 0 {
            return Err(invalid("max_line", "must be at least 1 byte"));
        }
        if self.max_line > 1 << 30 {
            return Err(invalid("max_line", "must be at most 1 GiB"));
        }
        Ok(Scanner {
            threads,
            chunk_size: self.chunk_size,
            buffer_size: self.buffer_size,
            max_line: self.max_line,
            memory_map: self.memory_map,
            progress: Progress::default(),
        })
    }
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Something that can be read at any offset: a file or bytes in memory.
trait ReadAt: Sync {
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize>;
}

impl ReadAt for File {
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_at(self, buf, pos)
        }
        #[cfg(windows)]
        {
            std::os::windows::fs::FileExt::seek_read(self, buf, pos)
        }
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<usize> {
        let start = usize::try_from(pos).unwrap_or(usize::MAX).min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// Reads until `buf` is full or the end of the file.
pub(crate) fn read_full_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match ReadAt::read_at(file, &mut buf[n..], pos + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The lines a part `[start, end)` of a positional source owns: those whose
/// first byte lies in the part. Reading ends after the `\n` that ends the
/// line holding byte `end - 1`.
struct Segment<'a, R: ?Sized> {
    src: &'a R,
    pos: u64,
    end: u64,
    done: bool,
}

impl<'a, R: ReadAt + ?Sized> Segment<'a, R> {
    fn new(src: &'a R, start: u64, end: u64) -> io::Result<Self> {
        let mut seg = Segment {
            src,
            pos: start,
            end,
            done: start >= end,
        };
        if start > 0 && !seg.done {
            // The line holding byte `start - 1` belongs to the part before.
            match seg.find_newline_from(start - 1)? {
                Some(nl) if nl + 1 < end => seg.pos = nl + 1,
                _ => seg.done = true,
            }
        }
        Ok(seg)
    }

    fn find_newline_from(&self, mut pos: u64) -> io::Result<Option<u64>> {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match self.src.read_at(&mut buf, pos) {
                Ok(0) => return Ok(None),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                return Ok(Some(pos + i as u64));
            }
            pos += n as u64;
        }
    }
}

impl<R: ReadAt + ?Sized> Read for Segment<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let mut n = self.src.read_at(buf, self.pos)?;
        if n == 0 {
            self.done = true;
            return Ok(0);
        }
        // Past `end - 1`, stop after the first newline.
        let from = (self.end - 1).saturating_sub(self.pos);
        if from < n as u64 {
            let from = from as usize;
            if let Some(i) = memchr::memchr(b'\n', &buf[from..n]) {
                n = from + i + 1;
                self.done = true;
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

/// The lines of `bytes` that the part `[start, end)` owns, as [`Segment`]
/// reads them: those whose first byte lies in the part.
fn owned_lines(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    let end = end.min(bytes.len());
    if start >= end {
        return &[];
    }
    // The line holding byte `start - 1` belongs to the part before.
    let first = match start {
        0 => 0,
        _ => match memchr::memchr(b'\n', &bytes[start - 1..]) {
            Some(i) if start + i < end => start + i,
            _ => return &[],
        },
    };
    // The line holding byte `end - 1` is ours, to its newline.
    let last = memchr::memchr(b'\n', &bytes[end - 1..]).map_or(bytes.len(), |i| end + i);
    &bytes[first..last]
}

/// A whole regular file in memory, when the `mmap` feature maps it.
#[cfg(feature = "mmap")]
type FileBytes = crate::mmap::Mapped;

/// Without the `mmap` feature, files are never in memory.
#[cfg(not(feature = "mmap"))]
#[derive(Debug)]
enum FileBytes {}

#[cfg(not(feature = "mmap"))]
impl FileBytes {
    fn map(_: &File, _: u64) -> Option<FileBytes> {
        None
    }

    fn release(&self, _: usize, _: usize) {
        match *self {}
    }
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        #[cfg(feature = "mmap")]
        {
            self.bytes()
        }
        #[cfg(not(feature = "mmap"))]
        match *self {}
    }
}

/// One unit of work: a part of a regular file (read, or in memory), or a
/// whole stream.
enum Work<'a, R: ?Sized> {
    Part {
        input: usize,
        src: &'a R,
        start: u64,
        end: u64,
    },
    /// The part `[start, end)` of bytes in memory: a mapped file, or the
    /// bytes of [`Scanner::scan_bytes`].
    Slice {
        input: usize,
        bytes: &'a [u8],
        start: usize,
        end: usize,
        /// The map `bytes` come from, when they do: a scanned part's pages
        /// are released from it.
        map: Option<&'a FileBytes>,
    },
    Stream {
        input: usize,
        stream: Mutex<Option<Stream>>,
    },
}

impl<R: ?Sized> Work<'_, R> {
    fn input(&self) -> usize {
        match self {
            Work::Part { input, .. } | Work::Slice { input, .. } | Work::Stream { input, .. } => {
                *input
            }
        }
    }
}

impl Scanner {
    /// A scanner with the default options.
    pub fn new() -> Scanner {
        let b = ScannerBuilder::new();
        Scanner {
            threads: default_threads(),
            chunk_size: b.chunk_size,
            buffer_size: b.buffer_size,
            max_line: b.max_line,
            memory_map: b.memory_map,
            progress: Progress::default(),
        }
    }

    /// A handle on the count of bytes scanned so far, for progress reports.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// The longest line parsed, in bytes.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// Scans the inputs in order and returns the merged state.
    ///
    /// Every input is opened before scanning starts, so a missing file is
    /// reported before any work is done. Line references in the result name
    /// their input.
    pub fn scan<A: Analyzer>(&self, analyzer: &A, inputs: &[Input]) -> Result<A::Stats, Error> {
        let opened = inputs
            .iter()
            .map(source::open)
            .collect::<Result<Vec<_>, _>>()?;
        let mut files = Vec::new();
        let mut streams = Vec::new();
        for (i, o) in opened.into_iter().enumerate() {
            match o {
                Opened::File { file, len } => files.push((i, file, len)),
                Opened::Stream(s) => streams.push((i, s)),
            }
        }
        let maps = self.map_files(&files);
        let mut work: Vec<Work<'_, File>> = Vec::new();
        for ((i, file, len), map) in files.iter().zip(&maps) {
            match map {
                Some(bytes) => self.split_slice(*i, bytes, Some(bytes), &mut work),
                None => self.split(*i, file, *len, &mut work),
            }
        }
        for (i, s) in streams {
            work.push(Work::Stream {
                input: i,
                stream: Mutex::new(Some(s)),
            });
        }
        // A stable sort: parts of one file stay in order.
        work.sort_by_key(Work::input);
        let names: Vec<String> = inputs.iter().map(Input::name).collect();
        self.run(analyzer, work, &names)
    }

    /// Scans a reader from start to end on the calling thread. Gzip data
    /// is detected and decompressed.
    pub fn scan_reader<A: Analyzer, R: Read + Send + 'static>(
        &self,
        analyzer: &A,
        reader: R,
    ) -> Result<A::Stats, Error> {
        let read_err = |source| Error::Read {
            path: "<reader>".into(),
            source,
        };
        let stream = source::detect(Box::new(reader)).map_err(read_err)?;
        let mut stats = A::Stats::default();
        self.scan_stream(analyzer, stream, &mut stats)
            .map_err(read_err)?;
        Ok(stats)
    }

    /// Scans bytes in memory exactly as a regular file with the same
    /// content: split among threads by the chunk size.
    pub fn scan_bytes<A: Analyzer>(&self, analyzer: &A, bytes: &[u8]) -> A::Stats {
        let mut work: Vec<Work<'_, [u8]>> = Vec::new();
        self.split_slice(0, bytes, None, &mut work);
        // Reading memory cannot fail.
        self.run(analyzer, work, &[]).unwrap_or_default()
    }

    /// The maps of `files`, in order, where [`MemoryMap`] asks for them
    /// and mapping works; `None` for the files to read.
    fn map_files(&self, files: &[(usize, File, u64)]) -> Vec<Option<FileBytes>> {
        files
            .iter()
            .map(|(_, file, len)| match self.memory_map {
                MemoryMap::Never => None,
                MemoryMap::Auto => FileBytes::map(file, *len),
            })
            .collect()
    }

    /// The parts `[start, end)` a source of `len` bytes is split into.
    fn parts(&self, len: u64) -> impl Iterator<Item = (u64, u64)> {
        const MIN_DEFAULT_CHUNK: u64 = 16 << 20;
        let chunk = self
            .chunk_size
            .unwrap_or_else(|| (len / (self.threads as u64 * 4)).max(MIN_DEFAULT_CHUNK))
            .max(1);
        let mut start = Some(0u64);
        std::iter::from_fn(move || {
            let s = start?;
            let end = s.saturating_add(chunk).min(len);
            start = (end < len).then_some(end);
            Some((s, end))
        })
    }

    fn split<'a, R: ReadAt + ?Sized>(
        &self,
        input: usize,
        src: &'a R,
        len: u64,
        work: &mut Vec<Work<'a, R>>,
    ) {
        work.extend(self.parts(len).map(|(start, end)| Work::Part {
            input,
            src,
            start,
            end,
        }));
    }

    fn split_slice<'a, R: ?Sized>(
        &self,
        input: usize,
        bytes: &'a [u8],
        map: Option<&'a FileBytes>,
        work: &mut Vec<Work<'a, R>>,
    ) {
        // Offsets within a slice fit in `usize`.
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        work.extend(
            self.parts(bytes.len() as u64)
                .map(|(start, end)| Work::Slice {
                    input,
                    bytes,
                    start: to_usize(start),
                    end: to_usize(end),
                    map,
                }),
        );
    }

    /// Runs the work items on up to `threads` threads and merges their
    /// states in item order, naming each input in its line references.
    fn run<A: Analyzer, R: ReadAt + ?Sized>(
        &self,
        analyzer: &A,
        work: Vec<Work<'_, R>>,
        names: &[String],
    ) -> Result<A::Stats, Error> {
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        // With a core to spare for each, a stream (gzip above all) is read
        // on a helper thread while its work item's thread parses.
        let pipeline = self.threads >= 2 * work.len();
        let worker = || {
            let mut done = Vec::new();
            loop {
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = work.get(i) else { break };
                let result = self.run_one(analyzer, item, names, pipeline);
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                done.push((i, result));
            }
            done
        };
        let threads = self.threads.min(work.len()).max(1);
        let mut results: Vec<(usize, Result<A::Stats, Error>)> = if threads == 1 {
            worker()
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads).map(|_| s.spawn(worker)).collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                    .collect()
            })
        };
        results.sort_by_key(|(i, _)| *i);

        let mut total = A::Stats::default();
        let mut current: Option<(usize, A::Stats)> = None;
        for (i, result) in results {
            let stats = result?;
            let input = work[i].input();
            match &mut current {
                Some((cur, acc)) if *cur == input => acc.merge(stats),
                _ => {
                    if let Some((cur, mut acc)) = current.take() {
                        if let Some(name) = names.get(cur) {
                            acc.attribute(name);
                        }
                        total.merge(acc);
                    }
                    current = Some((input, stats));
                }
            }
        }
        if let Some((cur, mut acc)) = current {
            if let Some(name) = names.get(cur) {
                acc.attribute(name);
            }
            total.merge(acc);
        }
        Ok(total)
    }

    fn run_one<A: Analyzer, R: ReadAt + ?Sized>(
        &self,
        analyzer: &A,
        item: &Work<'_, R>,
        names: &[String],
        pipeline: bool,
    ) -> Result<A::Stats, Error> {
        let read_err = |input: usize, source| Error::Read {
            path: names.get(input).map_or("<bytes>", String::as_str).into(),
            source,
        };
        let mut stats = A::Stats::default();
        match item {
            Work::Part {
                input,
                src,
                start,
                end,
            } => {
                let seg = Segment::new(*src, *start, *end).map_err(|e| read_err(*input, e))?;
                self.scan_stream(analyzer, seg, &mut stats)
                    .map_err(|e| read_err(*input, e))?;
            }
            Work::Slice {
                bytes,
                start,
                end,
                map,
                ..
            } => {
                self.scan_slice(analyzer, owned_lines(bytes, *start, *end), &mut stats);
                if let Some(m) = map {
                    m.release(*start, *end);
                }
            }
            Work::Stream { input, stream } => {
                let taken = stream.lock().ok().and_then(|mut s| s.take());
                if let Some(s) = taken {
                    if pipeline {
                        self.scan_stream_pipelined(analyzer, s, &mut stats)
                    } else {
                        self.scan_stream(analyzer, s, &mut stats)
                    }
                    .map_err(|e| read_err(*input, e))?;
                }
            }
        }
        Ok(stats)
    }

    /// Scans whole lines in memory in blocks of about the buffer size, so
    /// that progress is reported as for a read file.
    fn scan_slice<A: Analyzer>(&self, analyzer: &A, bytes: &[u8], stats: &mut A::Stats) {
        let mut pos = 0;
        while pos < bytes.len() {
            let want = pos.saturating_add(self.buffer_size).min(bytes.len());
            let cut = if want == bytes.len() {
                want
            } else {
                match memchr::memrchr(b'\n', &bytes[pos..want]) {
                    Some(i) => pos + i + 1,
                    // A line longer than the buffer: the block is that line,
                    // which the analyzer counts as oversized without
                    // copying it anywhere.
                    None => {
                        memchr::memchr(b'\n', &bytes[want..]).map_or(bytes.len(), |i| want + i + 1)
                    }
                }
            };
            let block = &bytes[pos..cut];
            self.progress.add(block.len());
            stats.totals_mut().bytes += block.len() as u64;
            analyzer.scan_block(block, self.max_line, stats);
            pos = cut;
        }
    }

    /// Reads `r` to its end in blocks of whole lines.
    fn scan_stream<A: Analyzer>(
        &self,
        analyzer: &A,
        r: impl Read,
        stats: &mut A::Stats,
    ) -> io::Result<()> {
        let max_line = self.max_line;
        self.cut_blocks(r, |event| {
            match event {
                Event::Read(n) => stats.totals_mut().bytes += n as u64,
                Event::Block(block) => analyzer.scan_block(block, max_line, stats),
                Event::Oversized => analyzer.oversized_line(stats),
            }
            true
        })
    }

    /// Reads `r` to its end on a helper thread, which cuts it into blocks
    /// of whole lines and hands them over a bounded channel to the calling
    /// thread, which parses them: a gzip stream is then decompressed on one
    /// core and parsed on another. The blocks are those
    /// [`scan_stream`](Self::scan_stream) would see, so is the result;
    /// memory stays bounded by the channel's few blocks in flight.
    fn scan_stream_pipelined<A: Analyzer>(
        &self,
        analyzer: &A,
        r: impl Read + Send,
        stats: &mut A::Stats,
    ) -> io::Result<()> {
        /// Blocks sent but not yet parsed, besides the one being parsed.
        const IN_FLIGHT: usize = 2;
        enum Msg {
            Block(Vec<u8>),
            Oversized,
        }
        // Each message carries the bytes read since the previous one.
        let (tx, rx) = mpsc::sync_channel::<(u64, io::Result<Option<Msg>>)>(IN_FLIGHT);
        // Parsed blocks' buffers go back to the reader.
        let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
        let max_line = self.max_line;
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let mut read: u64 = 0;
                let result = self.cut_blocks(r, |event| {
                    let msg = match event {
                        Event::Read(n) => {
                            read += n as u64;
                            return true;
                        }
                        Event::Block(block) => {
                            let mut buf = back_rx.try_recv().unwrap_or_default();
                            buf.clear();
                            buf.extend_from_slice(block);
                            Msg::Block(buf)
                        }
                        Event::Oversized => Msg::Oversized,
                    };
                    // A closed channel: the parser stopped; so do we.
                    tx.send((std::mem::take(&mut read), Ok(Some(msg)))).is_ok()
                });
                let _ = tx.send((read, result.map(|()| None)));
            });
            for (read, msg) in rx {
                stats.totals_mut().bytes += read;
                match msg? {
                    Some(Msg::Block(buf)) => {
                        analyzer.scan_block(&buf, max_line, stats);
                        let _ = back_tx.send(buf);
                    }
                    Some(Msg::Oversized) => analyzer.oversized_line(stats),
                    None => break,
                }
            }
            Ok(())
        })
    }

    /// Reads `r` to its end and tells `sink` what it finds, in order: bytes
    /// read, blocks of whole lines, lines too long for the buffer. Stops
    /// early when `sink` returns `false`.
    fn cut_blocks(
        &self,
        mut r: impl Read,
        mut sink: impl FnMut(Event<'_>) -> bool,
    ) -> io::Result<()> {
        let max_line = self.max_line;
        // Room for a partial line of up to `max_line + 1` bytes (a trailing
        // `\r` is not part of the line) plus a full read.
        let mut buf = vec![0u8; self.buffer_size + max_line + 1];
        let mut filled = 0;
        // Inside an oversized line that was already counted: skip to its end.
        let mut skipping = false;
        loop {
            // At most `buffer_size` at a time, not the whole free space
            // (up to `buffer_size + max_line`): the block just read should
            // still be in cache when it is parsed.
            let want = (filled + self.buffer_size).min(buf.len());
            let n = match r.read(&mut buf[filled..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.progress.add(n);
            if !sink(Event::Read(n)) {
                return Ok(());
            }
            let end = filled + n;
            let mut start = 0;
            if skipping {
                match memchr::memchr(b'\n', &buf[..end]) {
                    Some(i) => {
                        start = i + 1;
                        skipping = false;
                    }
                    None => {
                        filled = 0;
                        continue;
                    }
                }
            }
            let tail = match memchr::memrchr(b'\n', &buf[start..end]) {
                Some(i) => {
                    let cut = start + i + 1;
                    if !sink(Event::Block(&buf[start..cut])) {
                        return Ok(());
                    }
                    cut
                }
                None => start,
            };
            buf.copy_within(tail..end, 0);
            filled = end - tail;
            if filled > max_line + 1 {
                // No newline within reach: an oversized line. Count it now and
                // drop its bytes, so memory stays bounded.
                if !sink(Event::Oversized) {
                    return Ok(());
                }
                filled = 0;
                skipping = true;
            }
        }
        if !skipping && filled > 0 {
            sink(Event::Block(&buf[..filled]));
        }
        Ok(())
    }
}

/// What [`Scanner::cut_blocks`] finds in a stream.
enum Event<'a> {
    /// This many bytes were read.
    Read(usize),
    /// Whole lines, each ending in `\n` except perhaps the input's last.
    Block(&'a [u8]),
    /// A line too long for the buffer, skipped.
    Oversized,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Line, Totals, for_each_line};
    use proptest::prelude::*;

    /// Keeps every line, in order: the strictest possible check that the
    /// driver hands over each line exactly once, whole, in input order.
    struct Collect;

    #[derive(Debug, Default, PartialEq)]
    struct Lines {
        totals: Totals,
        lines: Vec<Option<Vec<u8>>>,
    }

    impl Aggregate for Lines {
        fn totals(&self) -> &Totals {
            &self.totals
        }
        fn totals_mut(&mut self) -> &mut Totals {
            &mut self.totals
        }
        fn merge(&mut self, later: Self) {
            self.totals.add(&later.totals);
            self.lines.extend(later.lines);
        }
        fn attribute(&mut self, _: &str) {}
    }

    impl Analyzer for Collect {
        type Stats = Lines;
        fn scan_block(&self, block: &[u8], max_line: usize, stats: &mut Lines) {
            for_each_line(block, max_line, |l| {
                stats.totals.lines += 1;
                match l {
                    Line::Text(t) => stats.lines.push(Some(t.to_vec())),
                    Line::Oversized => {
                        stats.totals.oversized += 1;
                        stats.lines.push(None);
                    }
                }
            });
        }
        fn oversized_line(&self, stats: &mut Lines) {
            stats.totals.lines += 1;
            stats.totals.oversized += 1;
            stats.lines.push(None);
        }
    }

    /// What a scan must find, computed the obvious way.
    fn expected(input: &[u8], max_line: usize) -> Vec<Option<Vec<u8>>> {
        let mut parts: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        if input.ends_with(b"\n") || input.is_empty() {
            parts.pop();
        }
        parts
            .into_iter()
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .map(|l| (l.len() <= max_line).then(|| l.to_vec()))
            .collect()
    }

    fn scanner(threads: usize, chunk: u64, buffer: usize, max_line: usize) -> Scanner {
        ScannerBuilder::new()
            .threads(threads)
            .chunk_size(chunk)
            .buffer_size(buffer)
            .max_line(max_line)
            .build()
            .expect("valid options")
    }

    proptest! {
        #[test]
        fn any_split_gives_every_line_once_in_order(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), Just(0u8), Just(0xff)], 0..300),
            threads in 1usize..4,
            chunk in 1u64..64,
            buffer in 1usize..40,
            max_line in 1usize..20,
        ) {
            let sc = scanner(threads, chunk, buffer, max_line);
            // In memory (as a mapped file is scanned).
            let s = sc.scan_bytes(&Collect, &input);
            let want = expected(&input, max_line);
            // Read at offsets into buffers (as a file that is not mapped).
            let mut work: Vec<Work<'_, [u8]>> = Vec::new();
            sc.split(0, &input[..], input.len() as u64, &mut work);
            let read = sc.run(&Collect, work, &[]).expect("in memory");
            prop_assert_eq!(&read, &s);
            // A stream read on a helper thread finds the same.
            let mut piped = Lines::default();
            sc.scan_stream_pipelined(&Collect, &input[..], &mut piped).expect("in memory");
            prop_assert_eq!(&piped.lines, &want);
            prop_assert_eq!(piped.totals.bytes, input.len() as u64);
            prop_assert_eq!(s.totals.lines as usize, want.len());
            prop_assert_eq!(s.totals.bytes, input.len() as u64);
            prop_assert_eq!(s.totals.oversized as usize, want.iter().filter(|l| l.is_none()).count());
            prop_assert_eq!(s.lines, want);
        }
    }

    #[test]
    fn bad_options_are_errors() {
        assert!(ScannerBuilder::new().threads(0).build().is_err());
        assert!(ScannerBuilder::new().chunk_size(0).build().is_err());
        assert!(ScannerBuilder::new().max_line(0).build().is_err());
        let e = ScannerBuilder::new().buffer_size(0).build().err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("invalid option buffer_size: must be at least 1 byte")
        );
    }

    #[test]
    fn files_and_streams_read_alike() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = b"one\r\ntwo\nthree";
        let path = dir.path().join("x.log");
        std::fs::write(&path, text).expect("write");
        let s = scanner(2, 3, 4, 100);
        let from_file = s.scan(&Collect, &[Input::from(&path)]).expect("scan");
        let from_reader = s
            .scan_reader(&Collect, io::Cursor::new(text.to_vec()))
            .expect("scan");
        assert_eq!(from_file, from_reader);
        assert_eq!(from_file.lines.len(), 3);
        assert_eq!(s.progress().bytes(), 2 * text.len() as u64);
        let mut unmapped = s.clone();
        unmapped.memory_map = MemoryMap::Never;
        let read = unmapped
            .scan(&Collect, &[Input::from(&path), Input::from(&path)])
            .expect("scan");
        let mapped = s
            .scan(&Collect, &[Input::from(&path), Input::from(&path)])
            .expect("scan");
        assert_eq!(read, mapped);
        assert_eq!(read.lines.len(), 6);
        assert_eq!(read.totals.bytes, 2 * text.len() as u64);
    }

    #[test]
    fn pipelined_streams_pass_on_read_errors() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk on fire"));
                }
                self.0 -= 1;
                let line = b"a line\n";
                let n = line.len().min(buf.len());
                buf[..n].copy_from_slice(&line[..n]);
                Ok(n)
            }
        }
        let mut stats = Lines::default();
        let e = scanner(2, 10, 8, 100).scan_stream_pipelined(&Collect, Failing(3), &mut stats);
        assert_eq!(
            e.err().map(|e| e.to_string()).as_deref(),
            Some("disk on fire")
        );
        assert_eq!(stats.lines.len(), 3);
    }

    #[cfg(feature = "gzip")]
    #[test]
    fn gzip_streams_are_pipelined_alike() {
        use std::io::Write;
        let dir = tempfile::tempdir().expect("tempdir");
        let text: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let path = dir.path().join("x.log.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).expect("compress");
        std::fs::write(&path, gz.finish().expect("compress")).expect("write");
        let inputs = [Input::from(&path)];
        let one = scanner(1, 1 << 20, 4096, 100)
            .scan(&Collect, &inputs)
            .expect("scan");
        let two = scanner(2, 1 << 20, 4096, 100)
            .scan(&Collect, &inputs)
            .expect("scan");
        assert_eq!(one, two);
        assert_eq!(two.lines.len(), 20_000);
        assert_eq!(two.totals.bytes, text.len() as u64);
    }

    #[test]
    fn missing_file_is_named() {
        let e = Scanner::new()
            .scan(&Collect, &[Input::from("/nonexistent/access.log")])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("cannot open /nonexistent/access.log: "),
            "{e}"
        );
    }
}
