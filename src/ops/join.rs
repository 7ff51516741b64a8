//! A clone that checked nothing out joins the store its remote holds.
//!
//! `git clone` of a bare repository whose HEAD names a branch it does not have (one made with
//! `master` as its HEAD and given a store on `main`) leaves a clone on an unborn `master`, with
//! an empty work tree and the store only under `refs/remotes/origin/main`. Recording there would
//! start a second, unrelated history in the flat layout. Instead, the first open does what
//! `git switch main` would: the local branch of the remote's name, tracking it, checked out and
//! indexed, as one write (see [`crate::write`]).

use std::collections::BTreeSet;

use crate::error::Result;
use crate::git;
use crate::lock::LockOptions;
use crate::ops::sync::{self, Report};
use crate::store::Store;
use crate::write;

/// What [`join`] did: the remote and its branch, and how many learnings came with it.
#[derive(Debug, Clone)]
pub struct Joined {
    pub remote: String,
    pub branch: String,
    /// The local branch HEAD pointed at before (which had no commits).
    pub was: String,
    pub learnings: usize,
    /// Said beside success (see [`write::Written::warnings`]).
    pub warnings: Vec<String>,
}

/// Joins the store of the one remote-tracking branch that holds one, when HEAD's branch has
/// no commits; `None` (and nothing done) otherwise, or when several branches hold a store and
/// the choice is the user's.
pub fn join(store: &Store, opts: &LockOptions) -> Result<Option<Joined>> {
    if git::head_surely_born(store.git_dir(), store.common_dir()) {
        return Ok(None);
    }
    let repo = store.repo()?;
    let Ok(head) = git::head_branch(&repo) else {
        return Ok(None);
    };
    if git::branch_tip(&repo, &head)?.is_some() {
        return Ok(None);
    }
    if !write::interrupted(store).is_empty() {
        // An earlier join (or other write) died half done: `lore doctor --fix` takes it back
        // first, and the next look joins.
        return Ok(None);
    }
    let mut stores = Vec::new();
    for (remote, branch, tip) in repo.remote_branches()? {
        if repo.tree_of(tip)?.holds("memory") {
            stores.push((remote, branch, tip));
        }
    }
    let [(remote, branch, tip)] = stores.as_slice() else {
        return Ok(None);
    };
    let local = format!("refs/heads/{branch}");
    if local != head && git::branch_tip(&repo, &local)?.is_some() {
        // A local branch of that name with commits of its own: not ours to check out.
        return Ok(None);
    }
    repo.point_head_at(&local)?;
    let mut index = write::open_index(store, "sync")?;
    let mut report = Report::default();
    let written = write::write(store, &mut index, opts, &mut |_| {}, |tx| {
        sync::integrate(
            tx,
            &local,
            (remote, branch),
            Some(*tip),
            &mut report,
            &mut BTreeSet::new(),
        )
    });
    let written = match written {
        Ok(w) => w,
        Err(e) => {
            // Back as it was: HEAD on its unborn branch.
            let _ = repo.point_head_at(&head);
            return Err(e);
        }
    };
    sync::set_upstream(&repo, branch, remote, branch)?;
    Ok(Some(Joined {
        remote: remote.clone(),
        branch: branch.clone(),
        was: head.trim_start_matches("refs/heads/").to_string(),
        learnings: report.arrived.len(),
        warnings: written.warnings,
    }))
}
