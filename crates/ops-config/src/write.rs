//! Atomic file replacement: the file is always the old content or the new,
//! never a mix, whatever moment the writer dies at.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;

/// What to keep of the file being replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Backup {
    /// Nothing.
    #[default]
    None,
    /// `FILE.~N~`, N one more than the highest there (as GNU `cp
    /// --backup=numbered`).
    Numbered,
    /// `FILE.YYYYMMDDTHHMMSSZ.bak`, from the writer's clock (UTC).
    Timestamped,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Written {
    /// The file written (the target of a symlink, when the path was one).
    pub path: PathBuf,
    /// The backup of the old content, when one was made.
    pub backup: Option<PathBuf>,
}

type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Replaces files atomically: the new content goes to a temporary file in
/// the same directory, which is flushed to disk (`fsync`), given the old
/// file's permissions (and owner, when allowed), renamed over the old
/// file, and the directory flushed too, so the rename itself survives a
/// power cut.
///
/// A writer killed at any point leaves the old file or the new one, never
/// a partial one; at worst a temporary `.FILE.tmp-*` file stays behind.
///
/// ```
/// use ops_config::{AtomicWriter, Backup};
///
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("app.yaml");
/// let writer = AtomicWriter::new().backup(Backup::Numbered);
/// writer.write(&path, b"replicas: 2\n")?;
/// let done = writer.write(&path, b"replicas: 3\n")?;
/// assert_eq!(std::fs::read_to_string(&path)?, "replicas: 3\n");
/// assert_eq!(std::fs::read_to_string(done.backup.unwrap())?, "replicas: 2\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct AtomicWriter {
    backup: Backup,
    clock: Clock,
}

impl std::fmt::Debug for AtomicWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicWriter")
            .field("backup", &self.backup)
            .finish_non_exhaustive()
    }
}

impl Default for AtomicWriter {
    fn default() -> AtomicWriter {
        AtomicWriter::new()
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl AtomicWriter {
    /// No backups; the system clock for timestamps.
    pub fn new() -> AtomicWriter {
        AtomicWriter {
            backup: Backup::None,
            clock: Arc::new(SystemTime::now),
        }
    }

    /// What to keep of the old file (default [`Backup::None`]).
    pub fn backup(mut self, backup: Backup) -> AtomicWriter {
        self.backup = backup;
        self
    }

    /// The clock for timestamped backups (default the system clock).
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> AtomicWriter {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces `path` with `bytes`.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<Written, Error> {
        self.write_checked(path, bytes, |_| Ok(()))
    }

    /// Replaces `path` with `bytes` if `check` accepts them; the file is
    /// not touched when it does not (validate-before-replace).
    pub fn write_checked(
        &self,
        path: &Path,
        bytes: &[u8],
        check: impl FnOnce(&[u8]) -> Result<(), Error>,
    ) -> Result<Written, Error> {
        check(bytes)?;
        let err = |source: io::Error| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        // Replace the file a symlink points to, not the link.
        let target = match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(err)?,
            _ => path.to_path_buf(),
        };
        let old = match fs::metadata(&target) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(err(e)),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "not a file path",
                ))
            })?;
        let (tmp, mut file) = create_temp(&dir, &name).map_err(err)?;
        let result = (|| {
            file.write_all(bytes)?;
            if let Some(m) = &old {
                file.set_permissions(fs::Permissions::from_mode(m.mode() & 0o7777))?;
                // Keeping the owner needs privileges; without them the new
                // file is the writer's, as with any editor.
                let _ = std::os::unix::fs::fchown(&file, Some(m.uid()), Some(m.gid()));
            }
            file.sync_all()?;
            drop(file);
            let backup = match (&old, self.backup) {
                (Some(_), Backup::Numbered) => Some(numbered(&target)?),
                (Some(_), Backup::Timestamped) => Some(stamped(&target, (self.clock)())?),
                _ => None,
            };
            if let Some(b) = &backup {
                // A hard link keeps the old content under the new name
                // without copying it; across file systems it cannot, so copy.
                if fs::hard_link(&target, b).is_err() {
                    fs::copy(&target, b)?;
                }
            }
            fs::rename(&tmp, &target)?;
            File::open(&dir)?.sync_all()?;
            Ok(backup)
        })();
        match result {
            Ok(backup) => Ok(Written {
                path: target,
                backup,
            }),
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                Err(err(e))
            }
        }
    }
}

fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
        // Mode 0666 less the umask, as a file the program created itself.
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn numbered(path: &Path) -> io::Result<PathBuf> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!("{name}.~");
    let mut highest = 0u64;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if let Some(n) = file.strip_prefix(&prefix).and_then(|r| r.strip_suffix('~'))
            && let Ok(n) = n.parse::<u64>()
        {
            highest = highest.max(n);
        }
    }
    Ok(with_suffix(path, &format!(".~{}~", highest + 1)))
}

fn stamped(path: &Path, now: SystemTime) -> io::Result<PathBuf> {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let stamp = utc_stamp(secs);
    let first = with_suffix(path, &format!(".{stamp}.bak"));
    if !first.exists() {
        return Ok(first);
    }
    // Two writes in one second: number them.
    (1u32..)
        .map(|i| with_suffix(path, &format!(".{stamp}-{i}.bak")))
        .find(|p| !p.exists())
        .ok_or_else(|| io::Error::other("no free backup name"))
}

/// `YYYYMMDDTHHMMSSZ` for seconds since the epoch (civil-from-days, after
/// Howard Hinnant's date algorithms).
fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn stamps_are_utc_dates() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        assert_eq!(utc_stamp(1_796_157_296), "20261201T203456Z");
    }

    #[test]
    fn permissions_are_kept_and_backups_made() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(1_796_157_296);
        let w = AtomicWriter::new()
            .backup(Backup::Timestamped)
            .clock(move || at);
        let done = w.write(&path, b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(fs::metadata(&path).unwrap().mode() & 0o777, 0o640);
        let backup = done.backup.unwrap();
        assert_eq!(backup.file_name().unwrap(), "c.yaml.20261201T203456Z.bak");
        assert_eq!(fs::read_to_string(&backup).unwrap(), "old\n");
        let again = w.write(&path, b"newer\n").unwrap();
        assert_eq!(
            again.backup.unwrap().file_name().unwrap(),
            "c.yaml.20261201T203456Z-1.bak"
        );
        // No temporary file is left behind.
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp-")), "{names:?}");
    }

    #[test]
    fn numbered_backups_count_up() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let w = AtomicWriter::new().backup(Backup::Numbered);
        assert_eq!(w.write(&path, b"1").unwrap().backup, None);
        for n in 1..=3 {
            let b = w
                .write(&path, format!("{}", n + 1).as_bytes())
                .unwrap()
                .backup
                .unwrap();
            assert_eq!(
                b.file_name().unwrap().to_string_lossy(),
                format!("c.json.~{n}~")
            );
            assert_eq!(fs::read_to_string(b).unwrap(), n.to_string());
        }
    }

    #[test]
    fn failed_checks_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.yaml");
        fs::write(&path, "old\n").unwrap();
        let w = AtomicWriter::new();
        let r = w.write_checked(&path, b"bad", |_| {
            Err(Error::layer(
                crate::Origin::whole(crate::Source::Inline("t".into())),
                "no",
            ))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old\n");
    }

    #[test]
    fn symlinks_are_followed() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        let link = dir.path().join("link.yaml");
        fs::write(&real, "a").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        AtomicWriter::new().write(&link, b"b").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "b");
    }

    #[test]
    fn unwritable_directories_are_errors_naming_the_file() {
        let err = AtomicWriter::new()
            .write(Path::new("/nonexistent/dir/c.yaml"), b"x")
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot write /nonexistent/dir/c.yaml");
    }
}
