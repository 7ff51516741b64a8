//! A commit of exactly some files on top of the branch HEAD points at, and branch moves, by
//! compare-and-swap under the branch's own lock file (as git does).

use std::path::Path;
use std::time::{Duration, Instant};

use git2::{FileMode, Signature};

use super::locks::OwnedLock;
use super::{Oid, Repo, branch_tip, head_branch, signature};
use crate::error::{Error, GitError, Result};
use crate::fault;

/// How often a commit is retried when another git client moved the branch meanwhile.
const MAX_RETRIES: usize = 16;
/// How long a branch lock held by another git command is waited for.
pub(super) const REF_LOCK_PATIENCE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct Committed {
    pub commit: Oid,
    pub parent: Option<Oid>,
    /// The branch ref that moved, e.g. `refs/heads/main`.
    pub branch: String,
    /// HEAD already held these files (another client committed them): nothing was created,
    /// and `commit` is that client's commit.
    pub no_op: bool,
    /// The commits this write made, oldest first, `commit` last: one, several for a
    /// [`commit_chain`], none for a no-op (for a branch moved to a commit made before, that
    /// commit).
    pub steps: Vec<Oid>,
}

/// How lore makes a commit: whether the hooks that may refuse it run (`--no-verify` turns them
/// off), and who hears of each hook as it starts (the browser's status line).
pub struct Making<'a> {
    pub verify: bool,
    pub on_hook: &'a mut dyn FnMut(&str),
}

/// A commit object [`make`] wrote.
pub(super) struct Made {
    pub commit: Oid,
    /// The message as the hooks left it.
    pub message: String,
    /// The identity and time it carries, which the reflog entry that moves a branch to it
    /// repeats (as git's does).
    pub sig: Signature<'static>,
}

/// A commit object of `tree` on `parents`, made as git makes one: its hooks judge it first
/// (`pre-commit` or `pre-merge-commit`, then `commit-msg`, which may rewrite the message),
/// unless `how` says not to, and it is signed where git's configuration asks for it.
pub(super) fn make(
    repo: &Repo,
    tree: &git2::Tree<'_>,
    parents: &[&git2::Commit<'_>],
    message: &str,
    merge: bool,
    how: &mut Making<'_>,
) -> Result<Made> {
    // A signing configuration lore cannot honour fails before any hook runs.
    let signer = super::sign::signer(repo)?;
    let message = if how.verify {
        super::hooks::before_commit(repo, tree, message, merge, how.on_hook)?
    } else {
        message.to_string()
    };
    let sig = signature(repo)?;
    let commit = match signer {
        None => repo.raw.commit(None, &sig, &sig, &message, tree, parents)?,
        Some(signer) => {
            let buffer = repo
                .raw
                .commit_create_buffer(&sig, &sig, &message, tree, parents)?;
            let text = std::str::from_utf8(&buffer).map_err(|_| Error::Signing {
                reason: "the commit to sign is not UTF-8".into(),
            })?;
            let signature = signer.sign(&buffer, repo.git_dir())?;
            repo.raw.commit_signed(text, &signature, None)?
        }
    };
    repo.on_disk(commit)?;
    Ok(Made {
        commit,
        message,
        sig,
    })
}

/// One commit's part of a [`commit_chain`]: the blobs (already written) it puts at their
/// paths, the paths it removes, and its message.
pub struct Step<'a> {
    pub puts: Vec<(&'a str, Oid)>,
    pub removed: Vec<&'a str>,
    pub message: &'a str,
}

/// One commit, on top of the branch HEAD points at, that puts the blobs `files` (already
/// written) at their paths and removes `removed`; the branch moves by compare-and-swap,
/// rebuilt on the new tip when another git client moved it meanwhile.
pub fn commit_blobs(
    repo: &Repo,
    blobs: &[(&str, Oid)],
    removed: &[&str],
    message: &str,
    how: &mut Making<'_>,
) -> Result<Committed> {
    let step = Step {
        puts: blobs.to_vec(),
        removed: removed.to_vec(),
        message,
    };
    commit_chain(repo, std::slice::from_ref(&step), how)
}

/// Commits on top of the branch HEAD points at, one a step, each on the one before, then
/// moves the branch once, from the tip they were made on to the last (compare-and-swap; all
/// made again on the new tip when another git client moved it meanwhile). Each reflog gets a
/// line a commit, as if they had been made one by one. A step whose files HEAD already holds
/// (another client committed them, staged first) makes no commit; when no step makes one,
/// the result is a no-op at HEAD.
pub fn commit_chain(repo: &Repo, steps: &[Step<'_>], how: &mut Making<'_>) -> Result<Committed> {
    let branch = head_branch(repo)?;
    let locked_until = Instant::now() + REF_LOCK_PATIENCE;
    let mut moved_retries = 0;
    loop {
        let parent = branch_tip(repo, &branch)?;
        let mut tip = parent.map(|oid| repo.raw.find_commit(oid)).transpose()?;
        let mut tree = match &tip {
            Some(commit) => commit.tree()?,
            None => repo.raw.find_tree(repo.raw.treebuilder(None)?.write()?)?,
        };
        let mut made = Vec::new();
        for step in steps {
            let mut update = git2::build::TreeUpdateBuilder::new();
            for (rel, blob) in &step.puts {
                update.upsert(*rel, *blob, FileMode::Blob);
            }
            // A path already gone (another client committed its removal, staged first) stays
            // gone.
            for rel in step
                .removed
                .iter()
                .filter(|r| tree.get_path(Path::new(r)).is_ok())
            {
                update.remove(*rel);
            }
            let next = repo
                .raw
                .find_tree(update.create_updated(&repo.raw, &tree)?)?;
            // Another client already committed exactly these files (they were staged first).
            if tip.is_some() && next.id() == tree.id() {
                continue;
            }
            let parents: Vec<&git2::Commit> = tip.iter().collect();
            trees_on_disk(repo, &next, step)?;
            let m = make(repo, &next, &parents, step.message, false, how)?;
            let id = m.commit;
            made.push((tip.as_ref().map(|c| c.id()), m));
            tip = Some(repo.raw.find_commit(id)?);
            tree = next;
        }
        let Some((_, last)) = made.last() else {
            // Only a tip can already hold a step's files; no steps at all is a caller's bug.
            let Some(tip) = parent else {
                return Err(Error::Bug);
            };
            return Ok(Committed {
                commit: tip,
                parent: None,
                branch,
                no_op: true,
                steps: Vec::new(),
            });
        };
        let commit = last.commit;
        fault::point("after-objects")?;
        fault::point("before-ref")?;
        let lines: Vec<Reflog<'_>> = made
            .iter()
            .map(|(old, m)| Reflog {
                old: *old,
                new: m.commit,
                sig: &m.sig,
                message: format!("commit: {}", m.message.lines().next().unwrap_or("")),
            })
            .collect();
        // Another git command updating the branch takes milliseconds: the same commits wait
        // for it (their hooks have run once). A branch moved meanwhile means new commits.
        loop {
            match move_branch(repo, &branch, commit, parent, &lines) {
                Ok(_) => {
                    return Ok(Committed {
                        commit,
                        parent,
                        branch,
                        no_op: false,
                        steps: made.iter().map(|(_, m)| m.commit).collect(),
                    });
                }
                Err(Moved::Changed) => break,
                Err(Moved::Locked) if Instant::now() < locked_until => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(Moved::Locked) => {
                    return Err(Error::GitLocked {
                        path: repo.dir_of(&branch).join(format!("{branch}.lock")),
                    });
                }
                Err(Moved::Failed(e)) => return Err(e),
            }
        }
        // The branch moved under us (another git client committed): rebuild on the new tip.
        moved_retries += 1;
        if moved_retries >= MAX_RETRIES {
            return Err(Error::Git(GitError::BranchKeptMoving {
                attempts: MAX_RETRIES,
            }));
        }
    }
}

/// Makes sure the trees a step's commit will name are in the object store: its root and, when
/// the disk is nearly full (where libgit2 has been seen to lose a write's error), every folder
/// on the way to each file it puts (see [`Repo::on_disk`]; reading them back costs about 2 % of
/// a save, so not on every save).
fn trees_on_disk(repo: &Repo, tree: &git2::Tree<'_>, step: &Step<'_>) -> Result<()> {
    repo.on_disk(tree.id())?;
    let objects = repo.common_dir().join("objects");
    let roomy = rustix::fs::statvfs(&objects).is_ok_and(|st| st.f_bavail * st.f_frsize > 64 << 20);
    if roomy {
        return Ok(());
    }
    for (rel, _) in &step.puts {
        let mut folder = Path::new(rel).parent();
        while let Some(f) = folder.filter(|f| !f.as_os_str().is_empty()) {
            if let Ok(entry) = tree.get_path(f) {
                repo.on_disk(entry.id())?;
            }
            folder = f.parent();
        }
    }
    Ok(())
}

/// One reflog line: the branch went from `old` to `new`.
struct Reflog<'a> {
    old: Option<Oid>,
    new: Oid,
    sig: &'a Signature<'a>,
    message: String,
}

/// Moves `branch` from `expected` to `new` under its lock, as git does (so git commands and
/// lore exclude each other), appending the reflog entries git would write.
fn move_branch(
    repo: &Repo,
    branch: &str,
    new: Oid,
    expected: Option<Oid>,
    lines: &[Reflog<'_>],
) -> std::result::Result<(), Moved> {
    let refs_dir = repo.dir_of(branch);
    let lock = match OwnedLock::take(refs_dir, branch) {
        Ok(l) => l,
        Err(Error::GitLocked { .. }) => return Err(Moved::Locked),
        Err(e) => return Err(Moved::Failed(e)),
    };
    let current = match repo.raw.refname_to_id(branch) {
        Ok(oid) => Some(oid),
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => return Err(Moved::Failed(e.into())),
    };
    if current != expected {
        return Err(Moved::Changed);
    }
    if let Some(dir) = refs_dir.join(branch).parent() {
        std::fs::create_dir_all(dir).map_err(|e| Moved::Failed(Error::io(dir, e)))?;
    }
    lock.commit(format!("{new}\n").as_bytes())
        .map_err(Moved::Failed)?;
    // Reflogs, as git writes them (failures here do not undo the commit).
    let text: String = lines.iter().map(Reflog::line).collect();
    for log in [
        refs_dir.join("logs").join(branch),
        repo.git_dir().join("logs/HEAD"),
    ] {
        if let Some(dir) = log.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
        {
            let _ = std::io::Write::write_all(&mut f, text.as_bytes());
        }
    }
    Ok(())
}

impl Reflog<'_> {
    /// The line as git writes it: old and new ids, who and when, the message.
    fn line(&self) -> String {
        let old = self
            .old
            .map(|o| o.to_string())
            .unwrap_or_else(|| "0".repeat(40));
        let when = self.sig.when();
        let offset = when.offset_minutes();
        format!(
            "{old} {} {} <{}> {} {}{:02}{:02}\t{}\n",
            self.new,
            self.sig.name().unwrap_or("lore"),
            self.sig.email().unwrap_or(""),
            when.seconds(),
            if offset < 0 { '-' } else { '+' },
            offset.abs() / 60,
            offset.abs() % 60,
            self.message.replace('\n', " ")
        )
    }
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
    repo: &Repo,
    branch: &str,
    new: Oid,
    expected: Option<Oid>,
    message: &str,
) -> Result<bool> {
    let sig = signature(repo)?;
    let deadline = Instant::now() + REF_LOCK_PATIENCE;
    loop {
        let line = Reflog {
            old: expected,
            new,
            sig: &sig,
            message: message.to_string(),
        };
        match move_branch(repo, branch, new, expected, std::slice::from_ref(&line)) {
            Ok(()) => return Ok(true),
            Err(Moved::Changed) => return Ok(false),
            Err(Moved::Locked) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(Moved::Locked) => {
                return Err(Error::GitLocked {
                    path: repo.dir_of(branch).join(format!("{branch}.lock")),
                });
            }
            Err(Moved::Failed(e)) => return Err(e),
        }
    }
}
