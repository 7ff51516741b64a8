//! `lore sync`: share a store through an ordinary git remote.
//!
//! Fetch (the system `git`, so credential helpers, SSH agents and proxies work as they do for
//! git), then integrate the remote's learnings with the local ones and index every file that
//! arrived, as one write under the store lock (see [`crate::write`]), then push. The network is
//! used outside the lock, so a slow remote never holds up other writers. Learnings are files
//! with unique names, so integration is a fast-forward or a merge without conflicts; where two
//! machines did collide (the same name with different text, or the same file edited on both
//! sides), both versions are kept — the remote's under a suffixed name — and reported. A push
//! rejected because another machine pushed first is retried after fetching again.

use std::path::Path;
use std::process::Command;

use serde::Serialize;

use crate::error::{Error, GitError, RemoteError, Result};
use crate::git::{self, Oid, Repo};
use crate::index::Index;
use crate::lock::{LockEvent, LockOptions};
use crate::report::{Flagged, FromTo};
use crate::store::Store;
use crate::write::{self, Tx};

/// How often a rejected push is retried (each time after fetching again).
const MAX_ATTEMPTS: u32 = 5;
/// How often an integration is made again because another git client moved the branch.
const MAX_MOVED: u64 = 50;

#[derive(Debug, Clone)]
pub enum Progress {
    Fetching,
    /// Waiting for the store lock, to integrate.
    Lock(LockEvent),
    Integrating,
    Pushing,
    Indexing,
    /// One of git's hooks runs (its name).
    Hook(String),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub remote: String,
    pub branch: String,
    /// `up-to-date`, `fast-forward`, `merge`, or `pushed-only`.
    pub integration: String,
    /// Learnings that arrived from the remote (paths).
    pub arrived: Vec<String>,
    /// Collisions kept under a second name: (the remote's path, where it was kept).
    pub kept_both: Vec<FromTo>,
    /// Files changed both here and there: the remote's version is kept beside ours.
    pub conflicts: Vec<String>,
    /// Learnings of this store that the integration moved to another path, keeping their ids
    /// (a collision the remote settled by suffixing ours): (from, to).
    pub moved: Vec<FromTo>,
    /// Entries under `memory/` that arrived as something other than a regular file (a
    /// symbolic link): checked out as git does, never indexed; one line each.
    pub not_learnings: Vec<String>,
    /// Arrived files indexed with problems: (path, problems).
    pub flagged: Vec<Flagged>,
    pub pushed: bool,
    pub attempts: u32,
    /// Said beside success: the integration is committed, but the index could not be updated
    /// (it catches up on the next read).
    pub warnings: Vec<String>,
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| Error::Remote(RemoteError::NoGit { source: e }))
}

/// git's own reason: its first `fatal:` or `error:` line (else its last line), sanitised.
fn last_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .find_map(|l| {
            l.strip_prefix("fatal:")
                .or_else(|| l.strip_prefix("error:"))
        })
        .or(lines.last().copied())
        .unwrap_or("git gave no reason")
        .trim()
        .trim_end_matches('.');
    crate::sanitize::display_line(line)
}

pub fn sync(
    store: &Store,
    remote: &str,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    if remote.starts_with('-') || remote.is_empty() {
        return Err(Error::invalid(
            "remote",
            format!(
                "`{}` is not a remote name",
                crate::sanitize::display_line(remote)
            ),
        ));
    }
    // A name git does not know, and no URL or path: say so before git's own wording.
    let named = !remote.contains(['/', ':', '\\']);
    if named && !store.repo()?.has_remote(remote) {
        return Err(Error::Remote(RemoteError::Unknown {
            remote: crate::sanitize::display_line(remote),
            root: store.root().to_path_buf(),
        }));
    }
    let repo = store.repo()?;
    let branch_ref = git::head_branch(&repo)?;
    let branch = branch_ref
        .strip_prefix("refs/heads/")
        .unwrap_or(&branch_ref)
        .to_string();
    let root = store.root();
    // The remote's branch: this branch's upstream on that remote where one is set (git's
    // `branch.<name>.merge`), else the branch of the same name.
    let mut their_branch = upstream(&repo, &branch, remote).unwrap_or_else(|| branch.clone());
    let mut report = Report {
        remote: remote.to_string(),
        branch: their_branch.clone(),
        ..Report::default()
    };
    let mut index = write::open_index(store, "sync")?;
    for attempt in 1..=MAX_ATTEMPTS {
        report.attempts = attempt;
        progress(Progress::Fetching);
        let mut theirs = fetch(root, &repo, remote, &their_branch)?;
        if theirs.is_none() && attempt == 1 {
            // No such branch there. An empty remote gets ours; a remote that holds the store
            // under another branch name (a bare repository made with `master` for a store on
            // `main`, or an empty clone of it) is joined, never given an unrelated branch.
            if let Some(other) = store_branch_elsewhere(root, &repo, remote, &branch)? {
                their_branch = other;
                theirs = fetch(root, &repo, remote, &their_branch)?;
                set_upstream(&repo, &branch, remote, &their_branch)?;
                report.branch = their_branch.clone();
                log::info!("{remote} holds the store on `{their_branch}`: syncing with it");
            }
        }
        progress(Progress::Integrating);
        // Another git client committing while this integrates makes the branch move under it
        // (all of it is then undone): integrate again, on top of that commit.
        let mut moved = 0;
        let mut touched = std::collections::BTreeSet::new();
        let written = loop {
            let as_before = report.clone();
            let written = write::write(
                store,
                &mut index,
                opts,
                &mut |p| match p {
                    write::Progress::Lock(e) => progress(Progress::Lock(e)),
                    write::Progress::Indexing => progress(Progress::Indexing),
                    write::Progress::Hook(h) => progress(Progress::Hook(h)),
                    _ => {}
                },
                |tx| {
                    integrate(
                        tx,
                        &branch_ref,
                        (remote, &their_branch),
                        theirs,
                        &mut report,
                        &mut touched,
                    )
                },
            );
            match written {
                Err(e) if e.branch_moved() && moved < MAX_MOVED => {
                    moved += 1;
                    report = as_before;
                    std::thread::sleep(std::time::Duration::from_millis(2 * moved));
                }
                other => break other?,
            }
        };
        let kind = written.value;
        report.integration = kind.to_string();
        report.warnings.extend(written.warnings);
        log::info!("sync attempt {attempt}: {kind}");
        progress(Progress::Pushing);
        let tip = git::branch_tip(&repo, &branch_ref)?;
        if tip.is_none() || tip == theirs {
            report.pushed = false;
            break;
        }
        let out = git(
            root,
            &[
                "push",
                "--quiet",
                remote,
                &format!("HEAD:refs/heads/{their_branch}"),
            ],
        )?;
        if out.status.success() {
            report.pushed = true;
            break;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        // Another machine pushed first (`[rejected]`); a remote that refused the objects
        // (`[remote rejected]`: its disk, a hook) is no race and is not retried.
        let raced = [
            "[rejected]",
            "fetch first",
            "non-fast-forward",
            // Another push to the same branch at the same moment.
            "cannot lock ref",
            "failed to update ref",
            "incorrect old value",
        ]
        .iter()
        .any(|w| err.contains(w));
        if !raced || attempt == MAX_ATTEMPTS {
            return Err(Error::Remote(RemoteError::Push {
                remote: remote.to_string(),
                reason: last_line(&out.stderr),
            }));
        }
    }
    Ok(report)
}

/// Fetches `branch` from `remote`: its tip, or `None` if the remote has no such branch.
fn fetch(root: &Path, repo: &Repo, remote: &str, branch: &str) -> Result<Option<Oid>> {
    let out = git(root, &["fetch", "--quiet", "--no-tags", remote, branch])?;
    if out.status.success() {
        return Ok(Some(fetch_head(repo)?));
    }
    if String::from_utf8_lossy(&out.stderr).contains("couldn't find remote ref") {
        return Ok(None);
    }
    Err(Error::Remote(RemoteError::Fetch {
        remote: remote.to_string(),
        reason: last_line(&out.stderr),
    }))
}

/// The branch of `remote` that `branch` tracks, when git's configuration names one.
fn upstream(repo: &Repo, branch: &str, remote: &str) -> Option<String> {
    let tracked_remote = repo.config_string(&format!("branch.{branch}.remote"))?;
    let merge = repo.config_string(&format!("branch.{branch}.merge"))?;
    (tracked_remote == remote)
        .then(|| merge.strip_prefix("refs/heads/").map(str::to_string))
        .flatten()
}

/// Records that `branch` syncs with `remote`'s `their_branch`, as `git branch -u` would, so
/// later syncs (and plain git) use it.
pub(super) fn set_upstream(
    repo: &Repo,
    branch: &str,
    remote: &str,
    their_branch: &str,
) -> Result<()> {
    repo.set_config(&format!("branch.{branch}.remote"), remote)?;
    repo.set_config(
        &format!("branch.{branch}.merge"),
        &format!("refs/heads/{their_branch}"),
    )
}

/// The remote's branch that holds the store when it has none named `branch`: `None` for an
/// empty remote. An error when the remote has branches but none (or more than one) is a store,
/// since pushing would then start an unrelated history beside them.
fn store_branch_elsewhere(
    root: &Path,
    repo: &Repo,
    remote: &str,
    branch: &str,
) -> Result<Option<String>> {
    let out = git(root, &["ls-remote", "--heads", remote])?;
    if !out.status.success() {
        return Err(Error::Remote(RemoteError::ListBranches {
            remote: remote.to_string(),
            reason: last_line(&out.stderr),
        }));
    }
    let heads: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter_map(|r| r.strip_prefix("refs/heads/"))
        .map(str::to_string)
        .collect();
    if heads.is_empty() {
        return Ok(None);
    }
    let mut stores = Vec::new();
    for head in &heads {
        if let Some(tip) = fetch(root, repo, remote, head)?
            && repo.tree_of(tip)?.holds("memory")
        {
            stores.push(head.clone());
        }
    }
    let shown = |names: &[String]| {
        names
            .iter()
            .map(|n| format!("`{}`", crate::sanitize::display_line(n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match stores.as_slice() {
        [one] => Ok(Some(one.clone())),
        [] => Err(Error::Remote(RemoteError::NoStoreBranch {
            remote: remote.to_string(),
            branch: branch.to_string(),
            heads: shown(&heads),
        })),
        many => Err(Error::Remote(RemoteError::SeveralStoreBranches {
            remote: remote.to_string(),
            branch: branch.to_string(),
            stores: shown(many),
        })),
    }
}

fn fetch_head(repo: &Repo) -> Result<Oid> {
    let text = std::fs::read_to_string(repo.git_dir().join("FETCH_HEAD"))
        .map_err(|e| Error::io(repo.git_dir().join("FETCH_HEAD"), e))?;
    let hex = text.split_whitespace().next().unwrap_or("");
    Oid::from_str(hex).map_err(|_| {
        Error::Git(GitError::BadFetchHead {
            text: crate::sanitize::display_line(hex),
        })
    })
}

use crate::index::Changed;

/// What the work tree holds at a path sync is about to change.
enum Here {
    Absent,
    File(Vec<u8>),
    /// A symbolic link, with its target (what git stores as its blob).
    Link(Vec<u8>),
    /// A folder, a device…: never replaced.
    Other,
}

impl Here {
    fn at(abs: &Path) -> Here {
        use std::os::unix::ffi::OsStringExt;
        match std::fs::symlink_metadata(abs) {
            Err(_) => Here::Absent,
            Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(abs) {
                Ok(t) => Here::Link(t.into_os_string().into_vec()),
                Err(_) => Here::Other,
            },
            Ok(m) if m.is_file() => match std::fs::read(abs) {
                Ok(b) => Here::File(b),
                Err(_) => Here::Other,
            },
            Ok(_) => Here::Other,
        }
    }

    /// The blob git would make of it at `rel`, where HEAD had `committed`: a file after git's
    /// end-of-line conversion (a CRLF checkout is no change of the user's).
    fn blob(&self, repo: &Repo, rel: &str, committed: Option<Oid>) -> Result<Option<Oid>> {
        Ok(match self {
            Here::File(b) if git::filters::has_crlf(b) => {
                let before = committed.map(|c| repo.blob(c)).transpose()?;
                Some(git::hash_blob(&git::filters::cleaned(
                    repo,
                    rel,
                    b,
                    before.as_deref(),
                )))
            }
            Here::File(b) | Here::Link(b) => Some(git::hash_blob(b)),
            _ => None,
        })
    }

    fn is_link(&self) -> bool {
        matches!(self, Here::Link(_))
    }
}

/// Integrates `theirs` into the branch, inside a write: the work tree and git's index are
/// brought to the new tree, the learnings that arrived indexed, and the branch moved to the
/// fast-forward or merge commit (all or nothing). Returns what happened.
pub(super) fn integrate(
    tx: &mut Tx<'_>,
    branch_ref: &str,
    (remote, their_branch): (&str, &str),
    theirs: Option<Oid>,
    report: &mut Report,
    touched: &mut std::collections::BTreeSet<String>,
) -> Result<&'static str> {
    let repo = tx.repo();
    let Some(theirs) = theirs else {
        return Ok("pushed-only");
    };
    let ours = git::branch_tip(repo, branch_ref)?;
    let (kind, new) = match ours {
        Some(o) if o == theirs || repo.descends(o, theirs) => {
            return Ok("up-to-date");
        }
        Some(o) if repo.descends(theirs, o) => ("fast-forward", theirs),
        None => ("fast-forward", theirs),
        Some(o) => {
            let message = format!("lore sync: merge {remote}/{their_branch}");
            let verify = tx.verify();
            let merged = git::merge::keeping_both(
                repo,
                o,
                theirs,
                &message,
                &mut git::Making {
                    verify,
                    on_hook: &mut |h| tx.progress(write::Progress::Hook(h.to_string())),
                },
            )?;
            for c in merged.collisions {
                if c.edited_on_both {
                    report.conflicts.push(format!(
                        "{}: edited here and on `{remote}`; theirs kept as {}",
                        c.path, c.kept
                    ));
                } else {
                    report.kept_both.push(FromTo::new(c.path, c.kept));
                }
            }
            ("merge", merged.commit)
        }
    };
    let root = tx.store().root();
    let mut changed: Vec<Changed> = Vec::new();
    let changes = git::history::changes_between(repo, ours, new)?;
    // A path an earlier attempt wrote and took back may since have been committed by another
    // git client (it was staged): the work tree gets HEAD's version of it back.
    let head = git::head_tree(repo)?;
    for rel in touched.iter() {
        if changes.iter().any(|c| c.path == *rel) {
            continue;
        }
        if let Some(blob) = head.as_ref().and_then(|t| t.blob_at(rel)) {
            let on_disk = std::fs::read(root.join(rel)).ok();
            if on_disk.as_deref().map(git::hash_blob) != Some(blob) {
                tx.replace(rel, &repo.blob(blob)?)?;
            }
        }
    }
    for change in changes {
        let (rel, old_id, new_id) = (change.path.clone(), change.old, change.new);
        touched.insert(rel.clone());
        if crate::index::resolve_inside(root, &rel).is_none() {
            continue;
        }
        let abs = root.join(&rel);
        // Never clobber a file the user changed and did not commit; a symbolic link is looked
        // at as itself (its target, as git hashes it), never followed.
        let here = Here::at(&abs);
        let here_blob = here.blob(repo, &rel, old_id)?;
        let untouched = match (&here, old_id) {
            (Here::Absent, _) => true,
            (Here::Other, _) => false,
            (_, Some(old)) => here_blob == Some(old) && here.is_link() == change.old_link,
            // A file git did not have here, already as it arrives: nothing of the user's to
            // keep (a join or sync that was interrupted after writing it, say).
            (_, None) => here_blob == new_id && here.is_link() == change.new_link,
        };
        if !untouched {
            report.conflicts.push(format!("{rel}: changed here and not committed; the work tree keeps your version, HEAD has the merged one"));
            continue;
        }
        if change.new_link || here.is_link() {
            // Checked out as git does, the link itself: lore never writes through one.
            if !matches!(here, Here::Absent) {
                tx.clear(&rel)?;
            }
            match new_id {
                Some(id) if change.new_link => {
                    tx.link(&rel, &repo.blob(id)?, id)?;
                    if crate::store::is_learning_path(&rel) {
                        report.not_learnings.push(format!(
                            "{rel}: a symbolic link from `{remote}`, checked out as git does; only regular files are learnings, so it is not indexed"
                        ));
                    }
                }
                Some(id) => tx.replace(&rel, &repo.blob(id)?)?,
                None => tx.untrack(&rel),
            }
        } else {
            match new_id {
                Some(id) => tx.replace(&rel, &repo.blob(id)?)?,
                None if !matches!(here, Here::Absent) => tx.delete(&rel)?,
                None => tx.untrack(&rel),
            }
        }
        // For the index a link is absent: never a learning.
        changed.push(Changed {
            path: rel,
            old: old_id.filter(|_| !change.old_link),
            new: new_id.filter(|_| !change.new_link),
            old_link: false,
            new_link: false,
        });
    }
    tx.progress(write::Progress::Indexing);
    let times = git::history::added_at(repo, ours, new)?;
    let mut done = crate::index::Followed::default();
    let conn = tx.rows()?;
    Index::apply_changes(conn, repo, &changed, &times, &mut done)?;
    Index::mark_indexed(conn)?;
    report.arrived.extend(done.added);
    report.moved.extend(done.moved);
    report.flagged.extend(done.flagged);
    tx.move_to_commit(new, ours, format!("lore sync: {kind} {remote}"));
    Ok(kind)
}
