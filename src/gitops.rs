//! The git side of a save: commit exactly one file, without touching anything else.
//!
//! lore never uses the shared index to build its commit: the new tree is HEAD's tree plus one
//! blob, so whatever the user had staged stays staged and out of lore's commit (the script's
//! `git add`/`git commit` swept it in). The branch ref moves with a compare-and-swap, so a
//! commit made meanwhile by another git client is never lost: lore re-reads HEAD and retries.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::{ErrorCode, FileMode, Oid, Repository, Signature};

use crate::error::{Error, Result};
use crate::fault;

/// How often a commit is retried when another git client moved the branch meanwhile.
const MAX_RETRIES: usize = 16;
/// How long a branch lock held by another git command is waited for.
const REF_LOCK_PATIENCE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Committed {
    pub commit: Oid,
    pub parent: Option<Oid>,
    /// The branch ref that moved, e.g. `refs/heads/main`.
    pub branch: String,
    /// HEAD already held these files (another client committed them): nothing was created,
    /// and `commit` is that client's commit.
    pub no_op: bool,
}

/// Opens the repository of a store's work tree (exactly there, no search upwards).
///
/// The first call also turns off two libgit2 checks that cost more than they protect here:
/// re-hashing every object read (git itself does not), and looking up every entry of a tree
/// being written (lore's trees are HEAD's tree plus blobs it has just written). At 1,000
/// learnings they were a fifth of a save's CPU time.
pub fn open(root: &Path) -> Result<Repository> {
    static TUNED: std::sync::Once = std::sync::Once::new();
    TUNED.call_once(|| {
        git2::opts::strict_hash_verification(false);
        git2::opts::strict_object_creation(false);
    });
    Ok(Repository::open_ext(
        root,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    )?)
}

/// Opens the repository at `root`, or creates one there (its first branch `main`).
pub fn open_or_init(root: &Path) -> Result<Repository> {
    match open(root) {
        Ok(r) => Ok(r),
        Err(_) => {
            let mut opts = git2::RepositoryInitOptions::new();
            opts.initial_head("main");
            Ok(Repository::init_opts(root, &opts)?)
        }
    }
}

/// The branch HEAD points at; an error for a detached HEAD.
pub fn head_branch(repo: &Repository) -> Result<String> {
    let head = repo.find_reference("HEAD")?;
    match head.symbolic_target()? {
        Some(t) => Ok(t.to_string()),
        None => Err(Error::DetachedHead {
            path: workdir(repo),
        }),
    }
}

fn workdir(repo: &Repository) -> PathBuf {
    repo.workdir().unwrap_or(repo.path()).to_path_buf()
}

/// The commit the branch points at, `None` for a repository without commits.
pub fn branch_tip(repo: &Repository, branch: &str) -> Result<Option<Oid>> {
    match repo.find_reference(branch) {
        Ok(r) => Ok(r.target()),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

static FALLBACK_IDENTITY: std::sync::OnceLock<(Option<String>, Option<String>)> =
    std::sync::OnceLock::new();

/// The identity for commits when git has none (the configuration's `[author]`).
pub fn set_fallback_identity(name: Option<String>, email: Option<String>) {
    let _ = FALLBACK_IDENTITY.set((name, email));
}

/// The identity from git config, else the configured `[author]`, else `user <user@host>`.
pub fn signature(repo: &Repository) -> Result<Signature<'static>> {
    match repo.signature() {
        Ok(s) => Ok(s.to_owned()),
        Err(_) if FALLBACK_IDENTITY.get().is_some_and(|(n, _)| n.is_some()) => {
            let (name, email) = FALLBACK_IDENTITY.get().expect("checked");
            let name = name.clone().unwrap_or_default();
            let email = email
                .clone()
                .unwrap_or_else(|| format!("{name}@{}", crate::lock::hostname()));
            Ok(Signature::now(&name, &email)?)
        }
        Err(_) => {
            let user = std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "lore".into());
            let host = crate::lock::hostname();
            Ok(Signature::now(&user, &format!("{user}@{host}"))?)
        }
    }
}

/// Waits (up to `patience`) for git's own lock files to go away; a git command that is running
/// holds them for milliseconds, a crashed one forever. Never deletes one it cannot prove was
/// left by a dead lore process.
pub fn wait_for_git_locks(repo: &Repository, branch: &str, patience: Duration) -> Result<()> {
    let git_dir = repo.path();
    let candidates = [
        git_dir.join("index.lock"),
        git_dir.join("HEAD.lock"),
        git_dir.join(format!("{branch}.lock")),
    ];
    let deadline = Instant::now() + patience;
    loop {
        // Lock files a dead lore process provably left (see OwnedLock).
        break_stale_git_lock(git_dir, "index");
        break_stale_git_lock(git_dir, branch);
        match candidates.iter().find(|p| p.exists()) {
            None => return Ok(()),
            Some(p) if Instant::now() >= deadline => {
                return Err(Error::GitLocked { path: p.clone() });
            }
            Some(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// One commit, on top of the branch HEAD points at, that puts the blobs `files` (already
/// written) at their paths and removes `removed`; the branch moves by compare-and-swap,
/// rebuilt on the new tip when another git client moved it meanwhile.
pub fn commit_blobs(
    repo: &Repository,
    blobs: &[(&str, Oid)],
    removed: &[&str],
    message: &str,
) -> Result<Committed> {
    let branch = head_branch(repo)?;
    let sig = signature(repo)?;
    let locked_until = Instant::now() + REF_LOCK_PATIENCE;
    let mut moved_retries = 0;
    loop {
        let parent = branch_tip(repo, &branch)?;
        let base = match parent {
            Some(oid) => repo.find_commit(oid)?.tree()?,
            None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
        };
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (rel, blob) in blobs {
            update.upsert(*rel, *blob, FileMode::Blob);
        }
        // A path already gone (another client committed its removal, staged first) stays gone.
        for rel in removed
            .iter()
            .filter(|r| base.get_path(Path::new(r)).is_ok())
        {
            update.remove(*rel);
        }
        let tree = repo.find_tree(update.create_updated(repo, &base)?)?;
        // Another client already committed exactly these files (they were staged first).
        if let Some(oid) = parent
            && tree.id() == base.id()
        {
            return Ok(Committed {
                commit: oid,
                parent: None,
                branch,
                no_op: true,
            });
        }
        let parents = match parent {
            Some(oid) => vec![repo.find_commit(oid)?],
            None => vec![],
        };
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let commit = repo.commit(None, &sig, &sig, message, &tree, &parent_refs)?;
        fault::point("after-objects")?;
        fault::point("before-ref")?;
        let log = format!("commit: {}", message.lines().next().unwrap_or(""));
        match move_branch(repo, &branch, commit, parent, &sig, &log) {
            Ok(_) => {
                return Ok(Committed {
                    commit,
                    parent,
                    branch,
                    no_op: false,
                });
            }
            // The branch moved under us (another git client committed): rebuild on the new tip.
            Err(Moved::Changed) => {
                moved_retries += 1;
                if moved_retries >= MAX_RETRIES {
                    return Err(Error::Git(format!(
                        "the branch kept moving while committing ({MAX_RETRIES} attempts); another program is committing in a tight loop"
                    )));
                }
                continue;
            }
            // Another git command is updating the branch: it takes milliseconds.
            Err(Moved::Locked) if Instant::now() < locked_until => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(Moved::Locked) => {
                return Err(Error::GitLocked {
                    path: repo.path().join(format!("{branch}.lock")),
                });
            }
            Err(Moved::Failed(e)) => return Err(e),
        }
    }
}

/// The git index entry for file `abs` at `rel` holding blob `id`, with the file's stat data
/// (so `git status` sees it clean without re-hashing it).
fn index_entry(rel: &str, id: Oid, abs: &Path) -> Result<gitindex::Entry> {
    let meta = std::fs::metadata(abs).map_err(|e| Error::io(abs, e))?;
    let oid: [u8; 20] = id
        .as_bytes()
        .try_into()
        .map_err(|_| Error::Git("lore supports SHA-1 repositories only".into()))?;
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
fn edit_index(repo: &Repository, changes: &[gitindex::Change]) -> Result<()> {
    edit_index_keeping(repo, changes, None).map(drop)
}

/// [`edit_index`], first hard-linking the index as it was to `backup` (when there was one):
/// putting it back is then a rename, which needs no free space. Returns the inode of the
/// index written, by which [`StagedUndo`] knows whether anyone has written it since.
fn edit_index_keeping(
    repo: &Repository,
    changes: &[gitindex::Change],
    backup: Option<&Path>,
) -> Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let git_dir = repo.path();
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
    let bad = |e: gitindex::IndexError| Error::Git(format!("{e} ({})", index_path.display()));
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
    let config = repo.config().ok();
    let policy = config
        .as_ref()
        .and_then(|c| c.get_bool("core.splitIndex").ok());
    // Set when this edit replaces the shared index: (the old one, the new one if any). The old
    // one is then garbage, once no reader can still be on its way to it.
    let mut superseded = None;
    let bytes = match applied.shared {
        None if policy.unwrap_or(applied.entries > SPLIT_AT) => {
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
    Ok(written)
}

/// What [`stage`] changed in git's index, kept so that it can be taken back (also by another
/// process, from a write's journal, once this one has died).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StagedUndo {
    /// The index as it was, hard-linked aside; `None` when there was none.
    backup: Option<PathBuf>,
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
    repo: &Repository,
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
    let backup = index_backup_path(repo.path());
    let had_index = repo.path().join("index").exists();
    let deadline = Instant::now() + patience;
    let written = loop {
        match edit_index_keeping(repo, &changes, Some(&backup)) {
            Ok(ino) => break ino,
            Err(Error::GitLocked { .. }) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    };
    Ok(StagedUndo {
        backup: had_index.then_some(backup),
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
    pub fn undo(self, repo: &Repository, root: &Path) -> Result<()> {
        use std::os::unix::fs::MetadataExt;
        let git_dir = repo.path();
        let index_path = git_dir.join("index");
        let deadline = Instant::now() + REF_LOCK_PATIENCE;
        let lock = loop {
            match OwnedLock::take(git_dir, "index") {
                Ok(l) => break l,
                Err(Error::GitLocked { .. }) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => return Err(e),
            }
        };
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
            let in_head = tree
                .as_ref()
                .and_then(|t| t.get_path(Path::new(rel)).ok())
                .map(|e| e.id());
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

/// Entries in a whole index past which lore splits it (~1.5 MB rewritten by every save).
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
    gitindex::entry_count(&header).map_err(|e| Error::Git(format!("{e} ({})", path.display())))
}

/// Splits a whole index: writes its shared part (under its hash, through a temporary file,
/// as git does) and returns the small index that links to it, and the shared index's hash.
fn write_split(git_dir: &Path, whole: &[u8]) -> Result<(Vec<u8>, [u8; 20])> {
    let gitindex::Split {
        shared,
        base,
        small,
    } = gitindex::split(whole).map_err(|e| Error::Git(e.to_string()))?;
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
pub fn staged_blobs(repo: &Repository) -> Result<std::collections::HashMap<String, Oid>> {
    let git_dir = repo.path();
    let index_path = git_dir.join("index");
    let bytes = match std::fs::read(&index_path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(Error::io(&index_path, e)),
    };
    let bad = |e: gitindex::IndexError| Error::Git(format!("{e} ({})", index_path.display()));
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

/// A git lock file (`<name>.lock`) taken the way git takes it, plus a record of who took it
/// (`.git/lore-lock-<name>`): if this process dies holding it, `lore` can *prove* the file is
/// its own and stale (same inode, holder gone) and remove it, instead of leaving every git
/// command blocked on it.
struct OwnedLock {
    file: std::fs::File,
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
    fn take(git_dir: &Path, name: &str) -> Result<OwnedLock> {
        use std::fs;
        use std::os::unix::fs::MetadataExt;
        let target = git_dir.join(name);
        let lock_path = git_dir.join(format!("{name}.lock"));
        let marker = marker_path(git_dir, name);
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
    fn commit(mut self, bytes: &[u8]) -> Result<()> {
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

/// Moves `branch` from `expected` to `new` under its lock, as git does (so git commands and
/// lore exclude each other), appending the reflog entries git would write.
fn move_branch(
    repo: &Repository,
    branch: &str,
    new: Oid,
    expected: Option<Oid>,
    sig: &Signature<'_>,
    message: &str,
) -> std::result::Result<(), Moved> {
    let git_dir = repo.path();
    let lock = match OwnedLock::take(git_dir, branch) {
        Ok(l) => l,
        Err(Error::GitLocked { .. }) => return Err(Moved::Locked),
        Err(e) => return Err(Moved::Failed(e)),
    };
    let current = match repo.refname_to_id(branch) {
        Ok(oid) => Some(oid),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(Moved::Failed(e.into())),
    };
    if current != expected {
        return Err(Moved::Changed);
    }
    if let Some(dir) = git_dir.join(branch).parent() {
        std::fs::create_dir_all(dir).map_err(|e| Moved::Failed(Error::io(dir, e)))?;
    }
    lock.commit(format!("{new}\n").as_bytes())
        .map_err(Moved::Failed)?;
    // Reflogs, as git writes them (failures here do not undo the commit).
    let old = expected
        .map(|o| o.to_string())
        .unwrap_or_else(|| "0".repeat(40));
    let when = sig.when();
    let offset = when.offset_minutes();
    let line = format!(
        "{old} {new} {} <{}> {} {}{:02}{:02}\t{}\n",
        sig.name().unwrap_or("lore"),
        sig.email().unwrap_or(""),
        when.seconds(),
        if offset < 0 { '-' } else { '+' },
        offset.abs() / 60,
        offset.abs() % 60,
        message.replace('\n', " ")
    );
    for log in [git_dir.join("logs").join(branch), git_dir.join("logs/HEAD")] {
        if let Some(dir) = log.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
        {
            let _ = std::io::Write::write_all(&mut f, line.as_bytes());
        }
    }
    Ok(())
}

enum Moved {
    /// Someone else moved the branch first.
    Changed,
    /// The branch's lock file is taken.
    Locked,
    Failed(Error),
}

/// Moves `branch` from `expected` to `new` (compare-and-swap under the branch's lock file).
/// `Ok(false)` when the branch had moved meanwhile.
pub fn move_branch_to(
    repo: &Repository,
    branch: &str,
    new: Oid,
    expected: Option<Oid>,
    message: &str,
) -> Result<bool> {
    let sig = signature(repo)?;
    let deadline = Instant::now() + REF_LOCK_PATIENCE;
    loop {
        match move_branch(repo, branch, new, expected, &sig, message) {
            Ok(()) => return Ok(true),
            Err(Moved::Changed) => return Ok(false),
            Err(Moved::Locked) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(Moved::Locked) => {
                return Err(Error::GitLocked {
                    path: repo.path().join(format!("{branch}.lock")),
                });
            }
            Err(Moved::Failed(e)) => return Err(e),
        }
    }
}

/// Whether `rel` exists in `tree` (the tree of the branch tip).
pub fn in_head(tree: Option<&git2::Tree>, rel: &str) -> bool {
    tree.is_some_and(|t| t.get_path(Path::new(rel)).is_ok())
}

/// The tree of the commit HEAD's branch points at, if any.
/// The commit HEAD's branch points at; `None` for a branch without commits (or a detached
/// HEAD, which lore never writes to).
pub fn head_commit(repo: &Repository) -> Result<Option<Oid>> {
    match head_branch(repo) {
        Ok(branch) => branch_tip(repo, &branch),
        Err(Error::DetachedHead { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

pub fn head_tree(repo: &Repository) -> Result<Option<git2::Tree<'_>>> {
    let branch = head_branch(repo)?;
    match branch_tip(repo, &branch)? {
        Some(oid) => Ok(Some(repo.find_commit(oid)?.tree()?)),
        None => Ok(None),
    }
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
