//! What commits hold and changed: the learnings (markdown under `memory/`) of a tree, the
//! files two commits differ in, and when commits added each learning.

use std::collections::HashMap;
use std::path::Path;

use super::{Oid, Repo, head_tree};
use crate::error::Result;

/// A markdown file that commits added, changed or removed: its blob before and after.
pub type Changed = PathChange;

/// The markdown files under `memory/` in HEAD: (path, blob id), in tree order. Contents are
/// read one at a time by whoever needs them: a million files would not fit in memory at once.
pub fn head_markdown_ids(repo: &Repo) -> Result<Vec<(String, Oid)>> {
    let mut out = Vec::new();
    walk_memory(repo, |path, name, mode, id| {
        if is_regular(mode) && !crate::learning::is_template_file(name) {
            out.push((path, id));
        }
    })?;
    Ok(out)
}

/// Paths under `memory/` in HEAD ending in `.md` that are symbolic links, not files.
pub fn head_markdown_links(repo: &Repo) -> Result<Vec<String>> {
    let mut out = Vec::new();
    walk_memory(repo, |path, _, mode, _| {
        if mode == 0o120000 {
            out.push(path);
        }
    })?;
    Ok(out)
}

/// Calls `each` with every entry named `*.md` under `memory/` in HEAD: its path, its name, its
/// mode and its object id.
fn walk_memory(repo: &Repo, mut each: impl FnMut(String, &str, i32, Oid)) -> Result<()> {
    let Some(tree) = head_tree(repo)? else {
        return Ok(());
    };
    let Ok(memory) = tree.0.get_path(Path::new("memory")) else {
        return Ok(());
    };
    let memory = repo.raw.find_tree(memory.id())?;
    memory.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let name = entry.name().unwrap_or("");
        if name.ends_with(".md") && entry.kind() != Some(git2::ObjectType::Tree) {
            each(
                format!("memory/{dir}{name}"),
                name,
                entry.filemode(),
                entry.id(),
            );
        }
        git2::TreeWalkResult::Ok
    })?;
    Ok(())
}

/// Whether a tree entry's mode is a regular file's (`100644`, `100755`): only those are
/// learnings; a symbolic link (`120000`) is not, whatever its name.
fn is_regular(mode: i32) -> bool {
    mode == 0o100644 || mode == 0o100755
}

/// The markdown files under `memory/` in HEAD: (path, content).
pub fn head_markdown(repo: &Repo) -> Result<Vec<(String, Vec<u8>)>> {
    head_markdown_ids(repo)?
        .into_iter()
        .map(|(path, id)| Ok((path, repo.blob(id)?)))
        .collect()
}

/// When the commits after `from` up to `to` added each markdown file (seconds since the
/// epoch, the commit's time): the time a learning that arrives through git (a sync, a pull)
/// was recorded, which its file gives only to the day. The newest 10,000 commits at most.
pub fn added_at(repo: &Repo, from: Option<Oid>, to: Oid) -> Result<HashMap<String, i64>> {
    let mut times = HashMap::new();
    let mut walk = repo.raw.revwalk()?;
    walk.push(to)?;
    if let Some(from) = from {
        walk.hide(from)?;
    }
    for oid in walk.take(10_000) {
        let commit = repo.raw.find_commit(oid?)?;
        let parent = commit.parent(0).ok().and_then(|p| p.tree().ok());
        let added = tree_changes(repo, parent.as_ref(), &commit.tree()?)?;
        // Newest first: an older commit that added the same path wins.
        for c in added {
            if c.new.is_some() {
                times.insert(c.path, commit.time().seconds());
            }
        }
    }
    Ok(times)
}

/// The markdown files under `memory/` that differ between two trees (a missing `from` is an
/// empty tree), with their blobs before and after.
fn tree_changes(
    repo: &Repo,
    from: Option<&git2::Tree<'_>>,
    to: &git2::Tree<'_>,
) -> Result<Vec<Changed>> {
    let mut opts = git2::DiffOptions::new();
    // A file that became a link (or back) is one change, not a removal and an addition.
    opts.pathspec("memory/").include_typechange(true);
    let diff = repo
        .raw
        .diff_tree_to_tree(from, Some(to), Some(&mut opts))?;
    let mut out = Vec::new();
    for delta in diff.deltas() {
        let Some(mut c) = path_change(&delta) else {
            continue;
        };
        // A symbolic link is no learning: as far as the index goes, it is absent.
        if c.old_link {
            c.old = None;
        }
        if c.new_link {
            c.new = None;
        }
        if (c.old.is_some() || c.new.is_some())
            && c.path.ends_with(".md")
            && !crate::learning::is_template_file(&c.path)
        {
            out.push(c);
        }
    }
    Ok(out)
}

/// The markdown files under `memory/` that differ between commits `from` (none: an empty
/// tree) and `to`, with their blobs before and after. A `from` that cannot be found counts as
/// empty.
pub fn markdown_changes(repo: &Repo, from: Option<Oid>, to: Oid) -> Result<Vec<Changed>> {
    let from = from.and_then(|c| repo.raw.find_commit(c).and_then(|c| c.tree()).ok());
    let to = repo.raw.find_commit(to)?.tree()?;
    tree_changes(repo, from.as_ref(), &to)
}

/// One path two commits differ in: its blob before and after (`None`: absent).
#[derive(Debug, Clone)]
pub struct PathChange {
    pub path: String,
    pub old: Option<Oid>,
    pub new: Option<Oid>,
    /// The blob before (after) is a symbolic link's target, not a file's content.
    pub old_link: bool,
    pub new_link: bool,
}

/// Every path (not only learnings) that differs between commits `from` (none: empty) and `to`.
pub fn changes_between(repo: &Repo, from: Option<Oid>, to: Oid) -> Result<Vec<PathChange>> {
    let old = match from {
        Some(o) => Some(repo.raw.find_commit(o)?.tree()?),
        None => None,
    };
    let new = repo.raw.find_commit(to)?.tree()?;
    let mut opts = git2::DiffOptions::new();
    opts.include_typechange(true);
    let diff = repo
        .raw
        .diff_tree_to_tree(old.as_ref(), Some(&new), Some(&mut opts))?;
    Ok(diff.deltas().filter_map(|d| path_change(&d)).collect())
}

/// A delta of a diff without rename detection: one path, its blob before and after.
fn path_change(delta: &git2::DiffDelta<'_>) -> Option<PathChange> {
    let path = delta.new_file().path().or(delta.old_file().path())?;
    let id = |f: git2::DiffFile<'_>| (!f.id().is_zero()).then(|| f.id());
    let link = |f: git2::DiffFile<'_>| f.mode() == git2::FileMode::Link;
    Some(PathChange {
        path: path.to_string_lossy().into_owned(),
        old: id(delta.old_file()),
        new: id(delta.new_file()),
        old_link: link(delta.old_file()),
        new_link: link(delta.new_file()),
    })
}

/// Among the newest `limit` commits of HEAD's history, how many whose message starts with
/// `subject` changed `rel`, and the time of the newest (seconds since the epoch): a tool that
/// commits a file with every record shows in this.
pub fn commits_changing(
    repo: &Repo,
    rel: &str,
    subject: &str,
    limit: usize,
) -> Result<(usize, Option<i64>)> {
    let Some(head) = super::head_commit(repo)? else {
        return Ok((0, None));
    };
    let mut walk = repo.raw.revwalk()?;
    walk.push(head)?;
    let at = |tree: &git2::Tree<'_>| tree.get_path(Path::new(rel)).ok().map(|e| e.id());
    let (mut count, mut newest) = (0, None);
    for oid in walk.take(limit) {
        let commit = repo.raw.find_commit(oid?)?;
        if !commit.message_bytes().starts_with(subject.as_bytes()) {
            continue;
        }
        let now = at(&commit.tree()?);
        let before = match commit.parent(0) {
            Ok(p) => at(&p.tree()?),
            Err(_) => None,
        };
        if now != before {
            count += 1;
            newest = newest.or(Some(commit.time().seconds()));
        }
    }
    Ok((count, newest))
}

/// Paths in HEAD outside `memory/` whose file name is `name`.
pub fn head_files_named(repo: &Repo, name: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let Some(tree) = head_tree(repo)? else {
        return Ok(out);
    };
    tree.0.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let entry_name = entry.name().unwrap_or("");
        if dir.is_empty() && entry_name == "memory" {
            return git2::TreeWalkResult::Skip;
        }
        if entry.kind() == Some(git2::ObjectType::Blob) && entry_name == name {
            out.push(format!("{dir}{entry_name}"));
        }
        git2::TreeWalkResult::Ok
    })?;
    Ok(out)
}
