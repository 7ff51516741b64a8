//! sync's merge: the remote's learnings and the local ones in one commit, every collision (the
//! same name with different text, or one file edited on both sides) resolved by keeping both,
//! the remote's under a second name.

use std::path::Path;

use super::{Oid, Repo};
use crate::error::Result;

/// A path both sides wrote: the remote's version is kept at `kept`.
#[derive(Debug, Clone)]
pub struct Collision {
    pub path: String,
    pub kept: String,
    /// Edited on both sides (rather than made on both with the same name).
    pub edited_on_both: bool,
}

/// A merge commit (not yet on any branch) and what it had to keep twice.
#[derive(Debug, Clone)]
pub struct Merged {
    pub commit: Oid,
    pub collisions: Vec<Collision>,
}

/// A merge commit of `ours` and `theirs` with `message`, with every collision resolved by
/// keeping both.
pub fn keeping_both(
    repo: &Repo,
    ours: Oid,
    theirs: Oid,
    message: &str,
    how: &mut super::Making<'_>,
) -> Result<Merged> {
    let our_commit = repo.raw.find_commit(ours)?;
    let their_commit = repo.raw.find_commit(theirs)?;
    let mut collisions = Vec::new();
    let mut index = repo.raw.merge_commits(&our_commit, &their_commit, None)?;
    if index.has_conflicts() {
        let conflicts: Vec<git2::IndexConflict> =
            index.conflicts()?.collect::<std::result::Result<_, _>>()?;
        for c in conflicts {
            let path_of = |e: &Option<git2::IndexEntry>| {
                e.as_ref()
                    .map(|e| String::from_utf8_lossy(&e.path).into_owned())
            };
            let path = path_of(&c.our)
                .or(path_of(&c.their))
                .or(path_of(&c.ancestor))
                .unwrap_or_default();
            index.conflict_remove(Path::new(&path))?;
            match (c.our, c.their) {
                (Some(our), Some(their)) => {
                    let kept = second_name(&path, their.id);
                    index.add(&IndexEntryExt::at(&our, &path))?;
                    index.add(&IndexEntryExt::at(&their, &kept))?;
                    collisions.push(Collision {
                        edited_on_both: c.ancestor.is_some(),
                        path: path.clone(),
                        kept,
                    });
                }
                // Deleted on one side, changed on the other: keep the changed file.
                (Some(one), None) | (None, Some(one)) => {
                    index.add(&IndexEntryExt::at(&one, &path))?
                }
                (None, None) => {}
            }
        }
    }
    let tree = repo.raw.find_tree(index.write_tree_to(&repo.raw)?)?;
    let commit = super::commit::make(
        repo,
        &tree,
        &[&our_commit, &their_commit],
        message,
        true,
        how,
    )?
    .commit;
    Ok(Merged { commit, collisions })
}

/// `memory/failures/x.md` → `memory/failures/x-1a2b3c4d.md`: a name no one else has.
fn second_name(path: &str, id: Oid) -> String {
    let hex = id.to_string();
    match path.strip_suffix(".md") {
        Some(stem) => format!("{stem}-{}.md", &hex[..8]),
        None => format!("{path}-{}", &hex[..8]),
    }
}

struct IndexEntryExt;

impl IndexEntryExt {
    /// A copy of `e` at `path`, as a plain stage-0 entry.
    fn at(e: &git2::IndexEntry, path: &str) -> git2::IndexEntry {
        git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: e.mode,
            uid: 0,
            gid: 0,
            file_size: e.file_size,
            id: e.id,
            flags: path.len().min(0xfff) as u16,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        }
    }
}
