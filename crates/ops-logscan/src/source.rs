//! Opening inputs: files, standard input, gzip detection.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::Error;

/// One input of a scan: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Input {
    /// Standard input (`-` on a command line).
    Stdin,
    /// A file. Gzip files are recognised by their magic bytes, whatever
    /// their name.
    Path(PathBuf),
}

impl Input {
    /// `-` means standard input, anything else a path.
    pub fn from_arg(arg: impl AsRef<OsStr>) -> Input {
        let arg = arg.as_ref();
        if arg == "-" {
            Input::Stdin
        } else {
            Input::Path(PathBuf::from(arg))
        }
    }

    /// The name used in messages and line references (`-` for stdin).
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::Path(p) => p.display().to_string(),
        }
    }

    /// The bytes a scan of this input will read, when known without
    /// reading it: the size of an uncompressed regular file. `None` for
    /// stdin, pipes, gzip files and inputs that cannot be opened.
    pub fn size_hint(&self) -> Option<u64> {
        match self {
            Input::Stdin => None,
            Input::Path(p) => {
                let file = File::open(p).ok()?;
                let meta = file.metadata().ok()?;
                let mut magic = [0u8; 2];
                let n = crate::scan::read_full_at(&file, &mut magic, 0).ok()?;
                (meta.is_file() && !(n == 2 && magic == GZIP_MAGIC)).then_some(meta.len())
            }
        }
    }

    pub(crate) fn path(&self) -> &Path {
        match self {
            Input::Stdin => Path::new("-"),
            Input::Path(p) => p,
        }
    }
}

impl<P: Into<PathBuf>> From<P> for Input {
    fn from(p: P) -> Input {
        Input::Path(p.into())
    }
}

/// A byte stream being scanned from the start, line by line.
pub(crate) type Stream = Box<dyn Read + Send>;

/// An opened input, ready to be scanned.
pub(crate) enum Opened {
    /// An uncompressed regular file: read at offsets, so it can be split
    /// among threads.
    File { file: File, len: u64 },
    /// Anything read front to back: stdin, pipes, decompressed gzip.
    Stream(Stream),
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Opens an input, detecting gzip by its first two bytes.
pub(crate) fn open(input: &Input) -> Result<Opened, Error> {
    let open_err = |source| Error::Open {
        path: input.path().to_owned(),
        source,
    };
    match input {
        Input::Stdin => Ok(Opened::Stream(
            detect(Box::new(io::stdin())).map_err(open_err)?,
        )),
        Input::Path(path) => {
            let file = File::open(path).map_err(open_err)?;
            let meta = file.metadata().map_err(open_err)?;
            if meta.is_dir() {
                return Err(open_err(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a directory",
                )));
            }
            if !meta.is_file() {
                // FIFOs, character devices, /dev/stdin: no offsets to split at.
                return Ok(Opened::Stream(detect(Box::new(file)).map_err(open_err)?));
            }
            let mut magic = [0u8; 2];
            let n = crate::scan::read_full_at(&file, &mut magic, 0).map_err(open_err)?;
            if n == 2 && magic == GZIP_MAGIC {
                return Ok(Opened::Stream(gunzip(Box::new(file)).map_err(open_err)?));
            }
            Ok(Opened::File {
                file,
                len: meta.len(),
            })
        }
    }
}

/// Wraps a stream, peeking at its first bytes for the gzip magic.
pub(crate) fn detect(mut stream: Stream) -> io::Result<Stream> {
    let mut magic = [0u8; 2];
    let mut n = 0;
    while n < magic.len() {
        match stream.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let peeked = io::Cursor::new(magic[..n].to_vec());
    let whole: Stream = Box::new(peeked.chain(stream));
    if n == 2 && magic == GZIP_MAGIC {
        gunzip(whole)
    } else {
        Ok(whole)
    }
}

#[cfg(feature = "gzip")]
fn gunzip(stream: Stream) -> io::Result<Stream> {
    // Multi-member: `cat a.gz b.gz` and pigz output are valid gzip files.
    let buffered = io::BufReader::with_capacity(256 * 1024, stream);
    Ok(Box::new(flate2::bufread::MultiGzDecoder::new(buffered)))
}

#[cfg(not(feature = "gzip"))]
fn gunzip(_stream: Stream) -> io::Result<Stream> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "gzip input, but ops-logscan was built without its `gzip` feature",
    ))
}
