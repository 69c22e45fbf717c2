//! Filesystem usage: which mounts to report, and statvfs.

use std::fmt;
use std::io;
use std::path::Path;

/// Space and inodes of a mounted filesystem, as statvfs(3) reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FsUsage {
    /// Total size, in bytes.
    pub size_bytes: u64,
    /// Free space, in bytes (root's reserve included).
    pub free_bytes: u64,
    /// Space available to unprivileged users, in bytes.
    pub avail_bytes: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub files_free: u64,
}

/// Where filesystem usage comes from: [`Statvfs`] on a live system, a
/// table in tests, or a wrapper of your own (a timeout for network mounts,
/// say).
pub trait FsStat: fmt::Debug + Send + Sync {
    /// The usage of the filesystem mounted at `mountpoint`.
    fn usage(&self, mountpoint: &Path) -> io::Result<FsUsage>;
}

impl<T: FsStat + ?Sized> FsStat for std::sync::Arc<T> {
    fn usage(&self, mountpoint: &Path) -> io::Result<FsUsage> {
        (**self).usage(mountpoint)
    }
}

/// [`FsStat`] through the statvfs(2) system call (rustix's safe binding).
///
/// statvfs on a network filesystem whose server is gone can block for a
/// long time; exclude such mounts with a [`MountFilter`], or wrap this in
/// an [`FsStat`] that gives up after a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Statvfs;

impl FsStat for Statvfs {
    fn usage(&self, mountpoint: &Path) -> io::Result<FsUsage> {
        let st = rustix::fs::statvfs(mountpoint)?;
        // POSIX counts blocks in f_frsize units; saturate rather than wrap
        // on a filesystem that reports nonsense.
        let bytes = |blocks: u64| blocks.saturating_mul(st.f_frsize);
        Ok(FsUsage {
            size_bytes: bytes(st.f_blocks),
            free_bytes: bytes(st.f_bfree),
            avail_bytes: bytes(st.f_bavail),
            files: st.f_files,
            files_free: st.f_ffree,
        })
    }
}

/// Which mounts the filesystem metrics cover.
///
/// The default leaves out what node_exporter leaves out by default: the
/// mount points `/dev`, `/proc`, `/sys` and everything under them, and
/// everything under `/run/credentials/`, `/var/lib/docker/` and
/// `/var/lib/containers/storage/`; and the pseudo and read-only image
/// filesystem types (`proc`, `sysfs`, `cgroup2`, `overlay`, `squashfs`,
/// ...).
///
/// ```
/// use ops_metrics::MountFilter;
///
/// let filter = MountFilter::default().exclude_mountpoint("/mnt/backup");
/// assert!(filter.includes("/", "ext4"));
/// assert!(!filter.includes("/proc", "proc"));
/// assert!(!filter.includes("/mnt/backup/daily", "ext4"));
/// assert!(!filter.includes("/run/credentials/getty.service", "tmpfs"));
/// assert!(filter.includes("/run", "tmpfs"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MountFilter {
    mountpoints: Vec<String>,
    fstypes: Vec<String>,
}

const DEFAULT_MOUNTPOINTS: [&str; 6] = [
    "/dev",
    "/proc",
    "/sys",
    "/run/credentials/",
    "/var/lib/docker/",
    "/var/lib/containers/storage/",
];

const DEFAULT_FSTYPES: [&str; 25] = [
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "erofs",
    "fusectl",
    "hugetlbfs",
    "iso9660",
    "mqueue",
    "nsfs",
    "overlay",
    "proc",
    "procfs",
    "pstore",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "squashfs",
    "sysfs",
    "tracefs",
];

impl Default for MountFilter {
    fn default() -> MountFilter {
        MountFilter {
            mountpoints: DEFAULT_MOUNTPOINTS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            fstypes: DEFAULT_FSTYPES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

impl MountFilter {
    /// A filter that keeps every mount.
    pub fn all() -> MountFilter {
        MountFilter {
            mountpoints: Vec::new(),
            fstypes: Vec::new(),
        }
    }

    /// Also leaves out `path` and everything under it; with a trailing `/`,
    /// only what is under it.
    pub fn exclude_mountpoint(mut self, path: impl Into<String>) -> MountFilter {
        self.mountpoints.push(path.into());
        self
    }

    /// Also leaves out filesystems of type `fstype`.
    pub fn exclude_fstype(mut self, fstype: impl Into<String>) -> MountFilter {
        self.fstypes.push(fstype.into());
        self
    }

    /// Whether a mount at `mountpoint` of type `fstype` is reported.
    pub fn includes(&self, mountpoint: &str, fstype: &str) -> bool {
        if self.fstypes.iter().any(|t| t == fstype) {
            return false;
        }
        !self.mountpoints.iter().any(|p| {
            if p.ends_with('/') {
                mountpoint.len() > p.len() && mountpoint.starts_with(p.as_str())
            } else {
                mountpoint
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_exporter_defaults() {
        let f = MountFilter::default();
        for (mp, fstype, want) in [
            ("/", "ext4", true),
            ("/boot/efi", "vfat", true),
            ("/dev", "devtmpfs", false),
            ("/dev/shm", "tmpfs", false),
            ("/device", "ext4", true),
            ("/sys/fs/cgroup", "cgroup2", false),
            ("/run/credentials", "tmpfs", true),
            ("/run/credentials/x", "tmpfs", false),
            ("/var/lib/docker", "ext4", true),
            ("/var/lib/docker/overlay2/abc", "xfs", false),
            ("/snap/core/1", "squashfs", false),
            ("/sys/kernel/tracing", "tracefs", false),
            ("/home", "xfs", true),
        ] {
            assert_eq!(f.includes(mp, fstype), want, "{mp} {fstype}");
        }
        assert!(MountFilter::all().includes("/proc", "proc"));
    }

    #[test]
    fn statvfs_of_the_root() {
        let usage = Statvfs.usage(Path::new("/")).unwrap();
        assert!(usage.size_bytes > 0);
        assert!(usage.free_bytes <= usage.size_bytes);
        assert!(usage.avail_bytes <= usage.free_bytes);
        let err = Statvfs.usage(Path::new("/no/such/dir")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn fs_stat_is_object_safe() {
        fn _obj_safe(_: &dyn FsStat) {}
        let boxed: Box<dyn FsStat> = Box::new(Statvfs);
        _obj_safe(&*boxed);
    }
}
