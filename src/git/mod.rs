//! git, and the only module that names `git2`: the repository, its branch and HEAD, blobs and
//! trees, identity, configuration; and below, a commit of exactly some files ([`commit`]),
//! staging in git's index ([`stage`]), git's lock files ([`locks`]), what commits changed
//! ([`history`]), sync's merge ([`merge`]), packing ([`housekeeping`]) and git's end-of-line
//! conversion ([`filters`]).
//!
//! lore never uses the shared index to build its commit: the new tree is HEAD's tree plus the
//! write's blobs, so whatever the user had staged stays staged and out of lore's commit (the
//! script's `git add`/`git commit` swept it in). The branch moves with a compare-and-swap, so a
//! commit made meanwhile by another git client is never lost: lore re-reads HEAD and retries.

mod commit;
pub mod filters;
pub mod history;
pub mod hooks;
pub mod housekeeping;
mod locks;
pub mod merge;
pub mod sign;
mod stage;

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Repository, Signature};

use crate::error::{Error, GitError, Result};

pub use commit::{
    Committed, Making, Step as CommitStep, commit_blobs, commit_chain, move_branch_to,
};
pub use locks::{break_stale_git_lock, stale_git_lock, wait_for_git_locks};
pub use stage::{SPLIT_INFO, SPLIT_NOTICE, StagedUndo, index_is_split, stage, staged_blobs};

/// A git object id.
pub type Oid = git2::Oid;

/// A store's repository.
pub struct Repo {
    raw: Repository,
}

/// A commit's tree: which blob is at a path.
pub struct Tree<'r>(git2::Tree<'r>);

impl Tree<'_> {
    /// The blob at `rel` (a path relative to the work tree), if the tree holds one there.
    pub fn blob_at(&self, rel: &str) -> Option<Oid> {
        self.0.get_path(Path::new(rel)).ok().map(|e| e.id())
    }

    /// Whether the tree holds anything at `rel`.
    pub fn holds(&self, rel: &str) -> bool {
        self.0.get_path(Path::new(rel)).is_ok()
    }

    pub fn id(&self) -> Oid {
        self.0.id()
    }
}

/// git's id of a blob holding `bytes` (nothing is written).
pub fn hash_blob(bytes: &[u8]) -> Oid {
    Oid::hash_object(git2::ObjectType::Blob, bytes).expect("hashing bytes cannot fail")
}

impl Repo {
    /// The git directory (`.git`, or the worktree's).
    pub fn git_dir(&self) -> &Path {
        self.raw.path()
    }

    /// The git dir every worktree of the repository shares (`git rev-parse --git-common-dir`):
    /// the branches, objects and configuration; the same as [`Repo::git_dir`] but in a linked
    /// worktree, whose own git dir holds only its HEAD, index and the like.
    pub fn common_dir(&self) -> &Path {
        self.raw.commondir()
    }

    /// Where the file of ref `name` (and its `.lock`) lives: a branch (`refs/…`) in the common
    /// dir, HEAD and git's index in this worktree's git dir.
    pub fn dir_of(&self, name: &str) -> &Path {
        if name.starts_with("refs/") {
            self.common_dir()
        } else {
            self.git_dir()
        }
    }

    pub fn workdir(&self) -> Option<&Path> {
        self.raw.workdir()
    }

    /// The content of blob `id`.
    pub fn blob(&self, id: Oid) -> Result<Vec<u8>> {
        Ok(self.raw.find_blob(id)?.content().to_vec())
    }

    /// Writes `bytes` as a blob (if git does not have it already); its id.
    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid> {
        let id = self.raw.blob(bytes)?;
        self.on_disk(id)?;
        Ok(id)
    }

    /// Makes sure object `id`, which libgit2 says it wrote, is in the object store. On a full
    /// disk libgit2 can lose its write's error and return the id of an object it never wrote
    /// (seen with a loose commit on a tmpfs with 8 pages free); a branch or git's index must
    /// never be made to name one.
    pub(crate) fn on_disk(&self, id: Oid) -> Result<()> {
        if self.raw.odb()?.exists(id) {
            return Ok(());
        }
        let objects = self.common_dir().join("objects");
        let free = rustix::fs::statvfs(&objects)
            .ok()
            .map(|st| st.f_bavail * st.f_frsize);
        let why = match free {
            Some(free) if free < 1 << 20 => std::io::Error::from_raw_os_error(28),
            Some(free) => std::io::Error::other(format!(
                "git reported object {id} written, but it is not there ({} KiB free); check the file system (`git fsck`), then save again",
                free >> 10
            )),
            None => std::io::Error::other(format!(
                "git reported object {id} written, but it is not there; check the file system (`git fsck`), then save again"
            )),
        };
        Err(Error::io(objects, why))
    }

    /// The tree of commit `id`.
    pub fn tree_of(&self, id: Oid) -> Result<Tree<'_>> {
        Ok(Tree(self.raw.find_commit(id)?.tree()?))
    }

    /// The commit that put `blob` at `rel`, looked for along first parents from `from`, at
    /// most `limit` commits back: how a writer whose record another process committed finds
    /// the commit that holds it.
    pub fn commit_adding(&self, from: Oid, rel: &str, blob: Oid, limit: usize) -> Option<Oid> {
        let mut commit = self.raw.find_commit(from).ok()?;
        for _ in 0..limit {
            let here = commit.tree().ok()?.get_path(Path::new(rel)).ok()?.id();
            if here != blob {
                return None;
            }
            let Ok(parent) = commit.parent(0) else {
                return Some(commit.id());
            };
            let before = parent
                .tree()
                .ok()
                .and_then(|t| t.get_path(Path::new(rel)).ok().map(|e| e.id()));
            if before != Some(blob) {
                return Some(commit.id());
            }
            commit = parent;
        }
        None
    }

    /// Whether commit `a` has `b` in its history (a commit is not its own descendant).
    pub fn descends(&self, a: Oid, b: Oid) -> bool {
        self.raw.graph_descendant_of(a, b).unwrap_or(false)
    }

    /// Whether git ignores `rel` (a path relative to the work tree).
    pub fn ignores(&self, rel: &str) -> Result<bool> {
        Ok(self.raw.status_should_ignore(Path::new(rel))?)
    }

    /// Whether git's index lists `rel`.
    pub fn stages(&self, rel: &str) -> Result<bool> {
        Ok(staged_blobs(self)?.contains_key(rel))
    }

    /// Whether the repository knows a remote of that name.
    pub fn has_remote(&self, name: &str) -> bool {
        self.raw.find_remote(name).is_ok()
    }

    pub fn config_string(&self, key: &str) -> Option<String> {
        self.raw.config().ok()?.get_string(key).ok()
    }

    pub fn config_i64(&self, key: &str) -> Option<i64> {
        self.raw.config().ok()?.get_i64(key).ok()
    }

    pub fn config_bool(&self, key: &str) -> Option<bool> {
        self.raw.config().ok()?.get_bool(key).ok()
    }

    pub fn set_config(&self, key: &str, value: &str) -> Result<()> {
        Ok(self.raw.config()?.set_str(key, value)?)
    }

    /// The remote-tracking branches a fetch or clone left: (remote, branch, tip), without
    /// the `<remote>/HEAD` aliases.
    pub fn remote_branches(&self) -> Result<Vec<(String, String, Oid)>> {
        let mut out = Vec::new();
        for r in self.raw.references_glob("refs/remotes/*")? {
            let r = r?;
            let (Ok(name), Some(tip)) = (r.name(), r.target()) else {
                continue;
            };
            let Some((remote, branch)) = name["refs/remotes/".len()..].split_once('/') else {
                continue;
            };
            if branch != "HEAD" {
                out.push((remote.to_string(), branch.to_string(), tip));
            }
        }
        Ok(out)
    }

    /// Points HEAD at `branch` (`refs/heads/…`) without touching the work tree or the index;
    /// for a HEAD whose branch has no commits, where nothing is checked out to change.
    pub fn point_head_at(&self, branch: &str) -> Result<()> {
        Ok(self.raw.set_head(branch)?)
    }
}

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::Git(GitError::Lib {
            message: e.message().to_string(),
            source: Box::new(e),
        })
    }
}

/// Opens the repository of a store's work tree (exactly there, no search upwards).
///
/// The first call also turns off two libgit2 checks that cost more than they protect here:
/// re-hashing every object read (git itself does not), and looking up every entry of a tree
/// being written (lore's trees are HEAD's tree plus blobs it has just written). At 1,000
/// learnings they were a fifth of a save's CPU time.
pub fn open(root: &Path) -> Result<Repo> {
    static TUNED: std::sync::Once = std::sync::Once::new();
    TUNED.call_once(|| {
        git2::opts::strict_hash_verification(false);
        git2::opts::strict_object_creation(false);
    });
    match Repository::open_ext(
        root,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    ) {
        Ok(raw) => Ok(Repo { raw }),
        Err(_) if object_format(root).is_some_and(|f| f != "sha1") => {
            Err(Error::Git(GitError::Sha256 {
                path: root.to_path_buf(),
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// The `extensions.objectFormat` of the repository whose work tree (or git dir) is `root`, read
/// from its config file: libgit2 refuses to open a SHA-256 repository without saying which it is.
fn object_format(root: &Path) -> Option<String> {
    let config = [root.join(".git/config"), root.join("config")]
        .into_iter()
        .find_map(|p| std::fs::read_to_string(p).ok())?;
    config.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("objectformat")
            .then(|| value.trim().to_ascii_lowercase())
    })
}

/// Opens the repository at `root`, or creates one there (its first branch `main`).
pub fn open_or_init(root: &Path) -> Result<Repo> {
    match open(root) {
        Ok(r) => Ok(r),
        Err(e @ Error::Git(GitError::Sha256 { .. })) => Err(e),
        Err(_) => {
            let mut opts = git2::RepositoryInitOptions::new();
            opts.initial_head("main");
            Ok(Repo {
                raw: Repository::init_opts(root, &opts)?,
            })
        }
    }
}

/// A path from git's configuration with `~/` expanded to the home folder, as git expands it
/// (`core.hooksPath`, `user.signingkey`).
pub(crate) fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// Whether HEAD surely names a branch with commits, told from two small files (HEAD and the
/// branch's loose ref) without opening the repository: the check every command makes before
/// looking further (`false` means "look properly": a packed ref, a detached HEAD…).
pub fn head_surely_born(git_dir: &Path, common_dir: &Path) -> bool {
    std::fs::read_to_string(git_dir.join("HEAD")).is_ok_and(|head| {
        head.strip_prefix("ref: ")
            .map(str::trim)
            .is_some_and(|r| r.starts_with("refs/heads/") && common_dir.join(r).is_file())
    })
}

/// The branch HEAD points at; an error for a detached HEAD.
pub fn head_branch(repo: &Repo) -> Result<String> {
    let head = repo.raw.find_reference("HEAD")?;
    match head.symbolic_target()? {
        Some(t) => Ok(t.to_string()),
        None => Err(Error::DetachedHead {
            path: workdir(repo),
            branch: branch_to_return_to(repo),
        }),
    }
}

/// For a detached HEAD: the local branch at its commit, else the only local branch.
fn branch_to_return_to(repo: &Repo) -> Option<String> {
    let head = repo.raw.head().ok()?.target();
    let mut names = Vec::new();
    for b in repo.raw.branches(Some(git2::BranchType::Local)).ok()? {
        let (b, _) = b.ok()?;
        let name = b.name().ok()??.to_string();
        if b.get().target() == head {
            return Some(name);
        }
        names.push(name);
    }
    (names.len() == 1).then(|| names.remove(0))
}

fn workdir(repo: &Repo) -> PathBuf {
    repo.raw.workdir().unwrap_or(repo.raw.path()).to_path_buf()
}

/// The commit the branch points at, `None` for a repository without commits.
pub fn branch_tip(repo: &Repo, branch: &str) -> Result<Option<Oid>> {
    match repo.raw.find_reference(branch) {
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
pub fn signature(repo: &Repo) -> Result<Signature<'static>> {
    match repo.raw.signature() {
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

/// Whether `rel` exists in `tree` (the tree of the branch tip).
pub fn in_head(tree: Option<&Tree<'_>>, rel: &str) -> bool {
    tree.is_some_and(|t| t.holds(rel))
}

/// The commit HEAD's branch points at; `None` for a branch without commits (or a detached
/// HEAD, which lore never writes to).
pub fn head_commit(repo: &Repo) -> Result<Option<Oid>> {
    match head_branch(repo) {
        Ok(branch) => branch_tip(repo, &branch),
        Err(Error::DetachedHead { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The tree of the commit HEAD's branch points at, if any.
pub fn head_tree(repo: &Repo) -> Result<Option<Tree<'_>>> {
    let branch = head_branch(repo)?;
    match branch_tip(repo, &branch)? {
        Some(oid) => Ok(Some(repo.tree_of(oid)?)),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// libgit2's error is said by its message alone, and kept whole as the source.
    #[test]
    fn a_git2_error_keeps_its_source() {
        let e: Error = git2::Error::from_str("object not found").into();
        assert_eq!(e.to_string(), "git: object not found");
        let lib = std::error::Error::source(&e).expect("the git error");
        let raw = std::error::Error::source(lib).expect("libgit2's own error");
        assert!(raw.downcast_ref::<git2::Error>().is_some());
    }
}
