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

#[derive(Debug, Clone)]
pub struct Committed {
    pub commit: Oid,
    pub parent: Option<Oid>,
    /// The branch ref that moved, e.g. `refs/heads/main`.
    pub branch: String,
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

/// The identity from git config, or `lore <user@host>` when none is set.
pub fn signature(repo: &Repository) -> Result<Signature<'static>> {
    match repo.signature() {
        Ok(s) => Ok(s.to_owned()),
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
/// holds them for milliseconds, a crashed one forever. Never deletes them.
pub fn wait_for_git_locks(repo: &Repository, branch: &str, patience: Duration) -> Result<()> {
    let git_dir = repo.path();
    let candidates = [
        git_dir.join("index.lock"),
        git_dir.join("HEAD.lock"),
        git_dir.join(format!("{branch}.lock")),
    ];
    let deadline = Instant::now() + patience;
    loop {
        match candidates.iter().find(|p| p.exists()) {
            None => return Ok(()),
            Some(p) if Instant::now() >= deadline => {
                return Err(Error::GitLocked { path: p.clone() });
            }
            Some(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Commits `content` at `rel` (a path relative to the work tree) on top of the branch HEAD
/// points at, creating the branch's first commit in an empty repository.
pub fn commit_file(
    repo: &Repository,
    rel: &str,
    content: &[u8],
    message: &str,
) -> Result<Committed> {
    commit_files(repo, &[(rel, content)], message)
}

/// [`commit_file`] for several files in one commit.
pub fn commit_files(
    repo: &Repository,
    files: &[(&str, &[u8])],
    message: &str,
) -> Result<Committed> {
    let branch = head_branch(repo)?;
    let sig = signature(repo)?;
    let blobs = files
        .iter()
        .map(|(rel, content)| Ok((*rel, repo.blob(content)?)))
        .collect::<Result<Vec<_>>>()?;
    for _ in 0..MAX_RETRIES {
        let parent = branch_tip(repo, &branch)?;
        let base = match parent {
            Some(oid) => repo.find_commit(oid)?.tree()?,
            None => repo.find_tree(repo.treebuilder(None)?.write()?)?,
        };
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (rel, blob) in &blobs {
            update.upsert(*rel, *blob, FileMode::Blob);
        }
        let tree = repo.find_tree(update.create_updated(repo, &base)?)?;
        let parents = match parent {
            Some(oid) => vec![repo.find_commit(oid)?],
            None => vec![],
        };
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let commit = repo.commit(None, &sig, &sig, message, &tree, &parent_refs)?;
        fault::point("after-objects")?;
        fault::point("before-ref")?;
        let log = format!("commit: {}", message.lines().next().unwrap_or(""));
        let moved = match parent {
            Some(old) => repo.reference_matching(&branch, commit, true, old, &log),
            None => repo.reference(&branch, commit, false, &log),
        };
        match moved {
            Ok(_) => {
                return Ok(Committed {
                    commit,
                    parent,
                    branch,
                });
            }
            // The branch moved under us (another git client committed): rebuild on the new tip.
            Err(e) if matches!(e.code(), ErrorCode::Modified | ErrorCode::Exists) => continue,
            Err(e) if e.code() == ErrorCode::Locked => {
                return Err(Error::GitLocked {
                    path: repo.path().join(format!("{branch}.lock")),
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Git(format!(
        "the branch kept moving while committing ({MAX_RETRIES} attempts); another program is committing in a tight loop"
    )))
}

/// Moves the branch back to where it was, if it still points at our commit.
pub fn undo_commit(repo: &Repository, c: &Committed) -> Result<()> {
    match c.parent {
        Some(parent) => {
            repo.reference_matching(
                &c.branch,
                parent,
                true,
                c.commit,
                "lore: roll back failed save",
            )?;
        }
        None => {
            let mut r = repo.find_reference(&c.branch)?;
            if r.target() == Some(c.commit) {
                r.delete()?;
            }
        }
    }
    Ok(())
}

/// Records `rel` in git's index as the blob `id` with the stat data of `abs`, leaving every
/// other entry alone, so `git status` is clean for the file lore just committed. (The blob is
/// already written; letting libgit2 re-read and re-hash the file would cost a second object
/// write.)
pub fn stage_path(repo: &Repository, rel: &str, id: Oid, abs: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(abs).map_err(|e| Error::io(abs, e))?;
    let time = |secs: i64, nanos: i64| git2::IndexTime::new(secs as i32, nanos as u32);
    let entry = git2::IndexEntry {
        ctime: time(meta.ctime(), meta.ctime_nsec()),
        mtime: time(meta.mtime(), meta.mtime_nsec()),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode: 0o100644,
        uid: meta.uid(),
        gid: meta.gid(),
        file_size: meta.size() as u32,
        id,
        flags: rel.len().min(0xfff) as u16,
        flags_extended: 0,
        path: rel.as_bytes().to_vec(),
    };
    let mut index = repo.index()?;
    index.read(false)?;
    index.add(&entry)?;
    index.write()?;
    Ok(())
}

/// Takes `rel` out of git's index again (undoing [`stage_path`] for a rolled-back save).
pub fn unstage_path(repo: &Repository, rel: &str) -> Result<()> {
    let mut index = repo.index()?;
    index.read(false)?;
    index.remove_path(Path::new(rel))?;
    index.write()?;
    Ok(())
}

/// Whether `rel` exists in `tree` (the tree of the branch tip).
pub fn in_head(tree: Option<&git2::Tree>, rel: &str) -> bool {
    tree.is_some_and(|t| t.get_path(Path::new(rel)).is_ok())
}

/// The tree of the commit HEAD's branch points at, if any.
pub fn head_tree(repo: &Repository) -> Result<Option<git2::Tree<'_>>> {
    let branch = head_branch(repo)?;
    match branch_tip(repo, &branch)? {
        Some(oid) => Ok(Some(repo.find_commit(oid)?.tree()?)),
        None => Ok(None),
    }
}
