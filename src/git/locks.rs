//! git's lock files, taken the way git takes them, with a record that proves a lock left by a
//! dead lore process stale.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::Repo;
use crate::error::{Error, Result};

/// Waits (up to `patience`) for git's own lock files to go away; a git command that is running
/// holds them for milliseconds, a crashed one forever. Never deletes one it cannot prove was
/// left by a dead lore process.
pub fn wait_for_git_locks(repo: &Repo, branch: &str, patience: Duration) -> Result<()> {
    let git_dir = repo.raw.path();
    let candidates = [
        git_dir.join("index.lock"),
        git_dir.join("HEAD.lock"),
        repo.dir_of(branch).join(format!("{branch}.lock")),
    ];
    let deadline = Instant::now() + patience;
    loop {
        // Lock files a dead lore process provably left (see OwnedLock).
        break_stale_git_lock(git_dir, "index");
        break_stale_git_lock(repo.dir_of(branch), branch);
        match candidates.iter().find(|p| p.exists()) {
            None => return Ok(()),
            Some(p) if Instant::now() >= deadline => {
                return Err(Error::GitLocked { path: p.clone() });
            }
            Some(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// A git lock file (`<name>.lock`) taken the way git takes it, plus a record of who took it
/// (`.git/lore-lock-<name>`): if this process dies holding it, `lore` can *prove* the file is
/// its own and stale (same inode, holder gone) and remove it, instead of leaving every git
/// command blocked on it.
pub(super) struct OwnedLock {
    pub(super) file: std::fs::File,
    lock_path: PathBuf,
    target: PathBuf,
    marker: PathBuf,
    done: bool,
}

/// What an [`OwnedLock`] records about itself.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct LockMarker {
    holder: crate::lock::Holder,
    inode: u64,
}

/// Empties a lock's record once the lock is gone. The file itself stays, so the next save
/// rewrites it in place instead of allocating an inode (which costs ext4 more than the write);
/// an empty record proves nothing, so it can never make a lock look stale.
fn clear_marker(marker: &Path) {
    if let Ok(f) = std::fs::OpenOptions::new().write(true).open(marker) {
        let _ = f.set_len(0);
    }
}

fn marker_path(git_dir: &Path, name: &str) -> PathBuf {
    git_dir.join(format!("lore-lock-{}", name.replace('/', "%")))
}

impl OwnedLock {
    /// Takes `<git_dir>/<name>.lock`; [`Error::GitLocked`] when someone holds it.
    pub(super) fn take(git_dir: &Path, name: &str) -> Result<OwnedLock> {
        use std::fs;
        use std::os::unix::fs::MetadataExt;
        let target = git_dir.join(name);
        let lock_path = git_dir.join(format!("{name}.lock"));
        let marker = marker_path(git_dir, name);
        // Held: the record is its holder's, and must not be written over (a lore process that
        // died holding the lock could then never be proven gone).
        if fs::symlink_metadata(&lock_path).is_ok() {
            return Err(Error::GitLocked { path: lock_path });
        }
        // Made under a private name, its owner recorded, and only then linked in as the lock
        // (a link fails if the name exists): the lock never exists without its record.
        let pre = git_dir.join(format!("lore-prelock-{}", crate::lock::creator_tag()));
        let _ = fs::remove_file(&pre);
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&pre)
            .map_err(|e| Error::io(&pre, e))?;
        if let Err(e) = crate::fault::point("git-prelock") {
            let _ = fs::remove_file(&pre);
            return Err(e);
        }
        let inode = file.metadata().map(|m| m.ino()).unwrap_or(0);
        let record = LockMarker {
            holder: crate::lock::Holder::current("git"),
            inode,
        };
        {
            use std::os::unix::fs::OpenOptionsExt;
            let _ = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&marker)
                .and_then(|mut f| {
                    std::io::Write::write_all(
                        &mut f,
                        &serde_json::to_vec(&record).unwrap_or_default(),
                    )
                });
        }
        let linked = fs::hard_link(&pre, &lock_path);
        let _ = fs::remove_file(&pre);
        match linked {
            Ok(()) => Ok(OwnedLock {
                file,
                lock_path,
                target,
                marker,
                done: false,
            }),
            Err(e) => {
                clear_marker(&marker);
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Err(Error::GitLocked { path: lock_path })
                } else {
                    Err(Error::io(&lock_path, e))
                }
            }
        }
    }

    /// Writes `bytes` into the lock file and renames it over the target: git's commit.
    pub(super) fn commit(mut self, bytes: &[u8]) -> Result<()> {
        std::io::Write::write_all(&mut self.file, bytes)
            .map_err(|e| Error::io(&self.lock_path, e))?;
        std::fs::rename(&self.lock_path, &self.target).map_err(|e| Error::io(&self.target, e))?;
        self.done = true;
        clear_marker(&self.marker);
        Ok(())
    }
}

impl Drop for OwnedLock {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.lock_path);
            clear_marker(&self.marker);
        }
    }
}

/// Whether `<git_dir>/<name>.lock` was provably left by a lore process that died holding it.
pub fn stale_git_lock(git_dir: &Path, name: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(text) = std::fs::read(marker_path(git_dir, name)) else {
        return false;
    };
    let Ok(marker) = serde_json::from_slice::<LockMarker>(&text) else {
        return false;
    };
    let Ok(meta) = std::fs::symlink_metadata(git_dir.join(format!("{name}.lock"))) else {
        return false;
    };
    meta.ino() == marker.inode && marker.holder.liveness() == crate::lock::Liveness::Dead
}

/// Removes `<git_dir>/<name>.lock` if [`stale_git_lock`] proves it stale; true if removed.
pub fn break_stale_git_lock(git_dir: &Path, name: &str) -> bool {
    if !stale_git_lock(git_dir, name) {
        return false;
    }
    let removed = std::fs::remove_file(git_dir.join(format!("{name}.lock"))).is_ok();
    clear_marker(&marker_path(git_dir, name));
    removed
}
