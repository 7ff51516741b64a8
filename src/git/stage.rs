//! Staging in git's index: spliced in its bytes by the `gitindex` crate, under git's own
//! `index.lock`, split the way `git update-index --split-index` does past a size, and kept so
//! that a change can be taken back.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::commit::REF_LOCK_PATIENCE;
use super::locks::OwnedLock;
use super::{Oid, Repo, head_tree};
use crate::error::{Error, GitError, Result};

/// The git index entry for file `abs` at `rel` holding blob `id`, with the file's stat data
/// (so `git status` sees it clean without re-hashing it).
fn index_entry(rel: &str, id: Oid, abs: &Path) -> Result<gitindex::Entry> {
    let meta = std::fs::symlink_metadata(abs).map_err(|e| Error::io(abs, e))?;
    let oid: [u8; 20] = id
        .as_bytes()
        .try_into()
        .map_err(|_| Error::Git(GitError::NotSha1))?;
    Ok(gitindex::Entry::for_file(rel, oid, &meta))
}

/// Changes git's index the way git itself does: take `index.lock` first, *then* read the
/// index, change it, and rename the result over it. (libgit2's own read–modify–write reads
/// before it locks, so a `git add` landing in between would be silently undone, and the next
/// `git commit` would then delete that file from HEAD.) The edit itself is a splice of the
/// file's bytes ([`gitindex`]).
///
/// Past [`SPLIT_AT`] entries the index is split (see [`gitindex`]), so that a save rewrites a
/// small file however large the store grows; git's `core.splitIndex` decides instead when set
/// (true: always split; false: never, and a split index is made whole again).
fn edit_index(repo: &Repo, changes: &[gitindex::Change]) -> Result<()> {
    edit_index_keeping(repo, changes, None).map(drop)
}

/// Whether git's index is split (its small part links to a shared index).
pub fn index_is_split(repo: &Repo) -> bool {
    std::fs::read(repo.raw.path().join("index")).is_ok_and(|bytes| {
        match gitindex::apply(Some(&bytes), &[]) {
            Ok(a) => a.shared.is_some(),
            Err(e) => matches!(e, gitindex::IndexError::NeedsShared(_)),
        }
    })
}

/// What `lore doctor` says of a split index (information, not a problem).
pub const SPLIT_INFO: &str = "git's index is split (.git/sharedindex.*): git reads it, tools built on libgit2 (gitui, some shell prompts) cannot; `git config core.splitIndex false` keeps it whole from lore's next save";

/// What lore says the first time it splits a store's git index on its own (git's
/// `core.splitIndex` unset): the speed has a price that other tools pay.
pub const SPLIT_NOTICE: &str = "git's index here has passed 10,000 entries, so lore split it (.git/index and a .git/sharedindex.* file) to keep saves fast. git reads it; tools built on libgit2 (gitui, some shell prompts) cannot (libgit2/libgit2#6132). To keep it whole: `git config core.splitIndex false` (lore honours it from the next save)";

/// [`edit_index`], first hard-linking the index as it was to `backup` (when there was one):
/// putting it back is then a rename, which needs no free space. Returns the inode of the
/// index written, by which [`StagedUndo`] knows whether anyone has written it since, and
/// whether this edit split a whole index on lore's own initiative (see [`SPLIT_NOTICE`]).
fn edit_index_keeping(
    repo: &Repo,
    changes: &[gitindex::Change],
    backup: Option<&Path>,
) -> Result<(u64, bool)> {
    use std::os::unix::fs::MetadataExt;
    let git_dir = repo.raw.path();
    let index_path = git_dir.join("index");
    let lock = OwnedLock::take(git_dir, "index")?;
    let current = match std::fs::read(&index_path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&index_path, e)),
    };
    if let Some(backup) = backup {
        let _ = std::fs::remove_file(backup);
        if current.is_some() {
            std::fs::hard_link(&index_path, backup).map_err(|e| Error::io(backup, e))?;
        }
    }
    let written = lock.file.metadata().map(|m| m.ino()).unwrap_or(0);
    let bad = |source| {
        Error::Git(GitError::IndexFile {
            path: index_path.to_path_buf(),
            source,
        })
    };
    let applied = match gitindex::apply(current.as_deref(), changes) {
        Err(gitindex::IndexError::NeedsShared(base)) => {
            let whole = gitindex::unsplit(
                current.as_deref().unwrap_or_default(),
                &read_shared(git_dir, &base)?,
            )
            .map_err(bad)?;
            gitindex::apply(Some(&whole), changes).map_err(bad)?
        }
        other => other.map_err(bad)?,
    };
    let config = repo.raw.config().ok();
    let policy = config
        .as_ref()
        .and_then(|c| c.get_bool("core.splitIndex").ok());
    // Set when this edit replaces the shared index: (the old one, the new one if any). The old
    // one is then garbage, once no reader can still be on its way to it.
    let mut superseded = None;
    let mut split_first = false;
    let bytes = match applied.shared {
        None if policy.unwrap_or(applied.entries > SPLIT_AT) => {
            split_first = policy.is_none();
            write_split(git_dir, &applied.bytes)?.0
        }
        None => applied.bytes,
        Some(base) => {
            let shared_entries = shared_entry_count(git_dir, &base)?;
            let percent = config
                .as_ref()
                .and_then(|c| c.get_i64("splitIndex.maxPercentChange").ok())
                .unwrap_or(20)
                .clamp(0, 100) as u64;
            let small = applied.entries as u64;
            if policy == Some(false) {
                superseded = Some((base, None));
                gitindex::unsplit(&applied.bytes, &read_shared(git_dir, &base)?).map_err(bad)?
            } else if small > FOLD_AT || small * 100 > percent * shared_entries as u64 {
                // Fold the small part into a new shared index, as git does past
                // `splitIndex.maxPercentChange` (lore also caps the small part's size).
                let whole = gitindex::unsplit(&applied.bytes, &read_shared(git_dir, &base)?)
                    .map_err(bad)?;
                let (small, new_base) = write_split(git_dir, &whole)?;
                superseded = Some((base, Some(new_base)));
                small
            } else {
                applied.bytes
            }
        }
    };
    if let Err(e) = lock.commit(&bytes) {
        if let Some(backup) = backup {
            let _ = std::fs::remove_file(backup);
        }
        return Err(e);
    }
    if let Some((previous, current)) = superseded {
        let expiry = config
            .as_ref()
            .and_then(|c| c.get_string("splitIndex.sharedIndexExpire").ok());
        let keep: Vec<[u8; 20]> = [Some(previous), current].into_iter().flatten().collect();
        expire_shared_indexes(git_dir, &keep, expiry.as_deref());
    }
    Ok((written, split_first))
}

/// What [`stage`] changed in git's index, kept so that it can be taken back (also by another
/// process, from a write's journal, once this one has died).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StagedUndo {
    /// The index as it was, hard-linked aside; `None` when there was none.
    backup: Option<PathBuf>,
    /// This staging split a whole index on lore's own initiative: say [`SPLIT_NOTICE`].
    #[serde(skip)]
    pub split_first: bool,
    /// The inode of the index lore wrote.
    written: u64,
    /// The paths staged.
    paths: Vec<String>,
}

/// Where [`stage`] keeps the index as it was: named with this process's tag, so that one left
/// by a kill is known for what it is.
fn index_backup_path(git_dir: &Path) -> PathBuf {
    git_dir.join(format!("index.lore-undo-{}", crate::lock::creator_tag()))
}

/// Brings git's index in line with `paths` (each staged as `Some(blob)`, with the stat data of
/// its file under `root`, or removed: `None`), under git's `index.lock`, waiting up to
/// `patience` for another git command that holds it. The index as it was is kept, so that
/// [`StagedUndo::undo`] can put it back even on a full disk.
pub fn stage(
    repo: &Repo,
    root: &Path,
    paths: &[(String, Option<Oid>)],
    patience: Duration,
) -> Result<StagedUndo> {
    let changes = paths
        .iter()
        .map(|(rel, id)| match id {
            Some(id) => Ok(gitindex::Change::Upsert(index_entry(
                rel,
                *id,
                &root.join(rel),
            )?)),
            None => Ok(gitindex::Change::Remove(rel.as_bytes().to_vec())),
        })
        .collect::<Result<Vec<_>>>()?;
    let backup = index_backup_path(repo.raw.path());
    let had_index = repo.raw.path().join("index").exists();
    let deadline = Instant::now() + patience;
    let (written, split_first) = loop {
        match edit_index_keeping(repo, &changes, Some(&backup)) {
            Ok(done) => break done,
            Err(Error::GitLocked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    };
    Ok(StagedUndo {
        backup: had_index.then_some(backup),
        split_first,
        written,
        paths: paths.iter().map(|(p, _)| p.clone()).collect(),
    })
}

impl StagedUndo {
    /// Where the index as it was is kept, if there was one.
    pub fn backup_path(&self) -> Option<&Path> {
        self.backup.as_deref()
    }

    /// The change is kept: the old index is no longer needed.
    pub fn keep(self) {
        if let Some(b) = &self.backup {
            let _ = std::fs::remove_file(b);
        }
    }

    /// Puts git's index back as it was. If nobody has written it since, the old file goes
    /// back in place (a rename: no free space needed); if someone has, only the staged paths
    /// go back to what HEAD holds, leaving the other writer's entries alone.
    pub fn undo(self, repo: &Repo, root: &Path) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let git_dir = repo.raw.path();
        let index_path = git_dir.join("index");
        let deadline = Instant::now() + REF_LOCK_PATIENCE;
        let lock = loop {
            match OwnedLock::take(git_dir, "index") {
                Ok(l) => break l,
                // A dead lore process's lock (the write this undoes may be its) goes at once;
                // anyone else's is waited for.
                Err(Error::GitLocked { .. }) if super::break_stale_git_lock(git_dir, "index") => {}
                Err(Error::GitLocked { .. }) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e),
            }
        };
        // For tests: a process killed here leaves git's index lock behind, provably its own.
        let _ = crate::fault::point("undo-index-locked");
        let untouched =
            std::fs::symlink_metadata(&index_path).is_ok_and(|m| m.ino() == self.written);
        if untouched {
            let put_back = match &self.backup {
                Some(b) => std::fs::rename(b, &index_path),
                None => std::fs::remove_file(&index_path),
            };
            drop(lock);
            return put_back.map_err(|e| Error::io(&index_path, e));
        }
        drop(lock);
        let tree = head_tree(repo)?;
        let mut changes = Vec::new();
        for rel in &self.paths {
            let in_head = tree.as_ref().and_then(|t| t.blob_at(rel));
            let abs = root.join(rel);
            changes.push(match in_head {
                Some(id) if abs.is_file() => gitindex::Change::Upsert(index_entry(rel, id, &abs)?),
                _ => gitindex::Change::Remove(rel.as_bytes().to_vec()),
            });
        }
        edit_index(repo, &changes)?;
        self.keep();
        Ok(())
    }
}

/// Deletes shared indexes that no index links to any more. lore folds far more often than git
/// (every 1,000 saves, not at 20 % of the store), so leaving them to git's two-week expiry
/// would pile up a copy of the whole index per 1,000 saves. Kept: the one the index now links
/// to, the one it linked to until now (a reader may have read the old index a moment ago), and
/// any younger than `splitIndex.sharedIndexExpire` (git's setting: `now`, `never`, or `N.units.ago`;
/// ten minutes when unset or not understood).
fn expire_shared_indexes(git_dir: &Path, keep: &[[u8; 20]], expiry: Option<&str>) {
    let max_age = match expiry.map(str::trim) {
        Some("never") => return,
        Some("now") => Duration::ZERO,
        Some(spec) => approx_age(spec).unwrap_or(Duration::from_secs(600)),
        None => Duration::from_secs(600),
    };
    let keep: Vec<PathBuf> = keep.iter().map(|b| shared_path(git_dir, b)).collect();
    let Ok(entries) = std::fs::read_dir(git_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_shared = name
            .strip_prefix("sharedindex.")
            .is_some_and(|h| h.len() == 40 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= max_age);
        if is_shared && old && !keep.contains(&e.path()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// `N.unit.ago` (seconds, minutes, hours, days, weeks) as a duration.
fn approx_age(spec: &str) -> Option<Duration> {
    let mut parts = spec.split('.');
    let n: u64 = parts.next()?.parse().ok()?;
    let unit = parts.next()?.trim_end_matches('s');
    let secs = match unit {
        "second" => 1,
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        "week" => 604_800,
        _ => return None,
    };
    (parts.next() == Some("ago")).then(|| Duration::from_secs(n * secs))
}

/// Entries in a whole index past which lore splits it (a whole index that size is rewritten
/// by every save; BENCHMARKS.md, "Measurements behind the code").
const SPLIT_AT: u32 = 10_000;
/// Entries in a split index's small part past which it is folded into a new shared index.
const FOLD_AT: u64 = 1_000;

/// Where the shared part of a split index lives: `sharedindex.<hash>` beside the index.
fn shared_path(git_dir: &Path, base: &[u8; 20]) -> PathBuf {
    let hex: String = base.iter().map(|b| format!("{b:02x}")).collect();
    git_dir.join(format!("sharedindex.{hex}"))
}

/// The shared part of a split index.
fn read_shared(git_dir: &Path, base: &[u8; 20]) -> Result<Vec<u8>> {
    let path = shared_path(git_dir, base);
    std::fs::read(&path).map_err(|e| Error::io(&path, e))
}

/// The entry count of a shared index, from its header alone.
fn shared_entry_count(git_dir: &Path, base: &[u8; 20]) -> Result<u32> {
    use std::io::Read;
    let path = shared_path(git_dir, base);
    let mut header = [0u8; 12];
    std::fs::File::open(&path)
        .and_then(|mut f| f.read_exact(&mut header))
        .map_err(|e| Error::io(&path, e))?;
    gitindex::entry_count(&header)
        .map_err(|source| Error::Git(GitError::IndexFile { path, source }))
}

/// Splits a whole index: writes its shared part (under its hash, through a temporary file,
/// as git does) and returns the small index that links to it, and the shared index's hash.
fn write_split(git_dir: &Path, whole: &[u8]) -> Result<(Vec<u8>, [u8; 20])> {
    let gitindex::Split {
        shared,
        base,
        small,
    } = gitindex::split(whole).map_err(|source| {
        Error::Git(GitError::IndexFile {
            path: git_dir.join("index"),
            source,
        })
    })?;
    let path = shared_path(git_dir, &base);
    if !path.exists() {
        let tmp = git_dir.join(format!("sharedindex.lore-{}", crate::lock::creator_tag()));
        if let Err(e) = std::fs::write(&tmp, &shared).and_then(|()| std::fs::rename(&tmp, &path)) {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io(&path, e));
        }
    }
    Ok((small, base))
}

/// The paths (stage 0) in git's index, whole or split, each with the blob staged.
pub fn staged_blobs(repo: &Repo) -> Result<std::collections::HashMap<String, Oid>> {
    let git_dir = repo.raw.path();
    let index_path = git_dir.join("index");
    let bytes = match std::fs::read(&index_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(Error::io(&index_path, e)),
    };
    let bad = |source| {
        Error::Git(GitError::IndexFile {
            path: index_path.to_path_buf(),
            source,
        })
    };
    let whole = match gitindex::apply(Some(&bytes), &[]).map_err(bad)?.shared {
        Some(base) => gitindex::unsplit(&bytes, &read_shared(git_dir, &base)?).map_err(bad)?,
        None => bytes,
    };
    gitindex::staged(&whole)
        .map_err(bad)?
        .into_iter()
        .map(|(p, id)| {
            Ok((
                String::from_utf8_lossy(&p).into_owned(),
                Oid::from_bytes(&id)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::approx_age;
    use std::time::Duration;

    #[test]
    fn git_style_ages() {
        assert_eq!(
            approx_age("2.weeks.ago"),
            Some(Duration::from_secs(1_209_600))
        );
        assert_eq!(approx_age("1.day.ago"), Some(Duration::from_secs(86_400)));
        assert_eq!(
            approx_age("30.minutes.ago"),
            Some(Duration::from_secs(1_800))
        );
        assert_eq!(approx_age("yesterday"), None);
        assert_eq!(approx_age("2.fortnights.ago"), None);
    }
}
