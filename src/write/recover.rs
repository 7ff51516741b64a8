//! Taking back a write whose process died before it landed, from its journal
//! (`doctor --fix`): the files it changed come back, git's index too, and the write is absent.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::Since;
use super::files::put_copy_back;
use super::journal::{FileUndo, JOURNAL_PREFIX, Journal, Landed};
use super::tx::Tx;
use crate::error::{Error, Result};
use crate::git::{self, Oid};
use crate::lock;
use crate::store::Store;

/// A write whose process died before its journal was done with, found by that journal.
#[derive(Debug, Clone)]
pub struct Interrupted {
    pub journal: PathBuf,
    /// The operation it was (`import`, `sync`…).
    pub operation: String,
    /// The files it had changed or was about to change.
    pub files: Vec<PathBuf>,
    pub(super) data: Journal,
}

/// The journals of writes whose processes provably died before they were done.
pub fn interrupted(store: &Store) -> Vec<Interrupted> {
    let dir = store.git_dir().join("lore");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(JOURNAL_PREFIX)
            .and_then(|r| r.strip_suffix(".json"))
        else {
            continue;
        };
        let dead = crate::leftovers::Creator::at_start_of(rest)
            .is_some_and(|c| c.liveness() == lock::Liveness::Dead);
        let data = fs::read(e.path())
            .ok()
            .and_then(|b| serde_json::from_slice::<Journal>(&b).ok());
        let (true, Some(data)) = (dead, data) else {
            continue;
        };
        out.push(Interrupted {
            journal: e.path(),
            operation: data.operation.clone(),
            files: data
                .files
                .iter()
                .map(|f| match f {
                    FileUndo::Created(p) | FileUndo::Kept { path: p, .. } => p.clone(),
                })
                .collect(),
            data,
        });
    }
    out.sort_by(|a, b| a.journal.cmp(&b.journal));
    out
}

impl Interrupted {
    /// Whether the dead write had landed: HEAD at (or past) the commit it was moving the
    /// branch to, or holding every file it was committing as it was writing it.
    pub fn had_landed(&self, repo: &crate::git::Repo) -> Result<bool> {
        let j = &self.data;
        Ok(match &j.landing {
            Some(Landed::Move(commit)) => {
                let target = Oid::from_str(commit)?;
                git::head_commit(repo)?.is_some_and(|h| h == target || repo.descends(h, target))
            }
            Some(Landed::Commit(changes)) => {
                let tree = git::head_tree(repo)?;
                changes.iter().all(|(path, blob)| {
                    let in_head = tree
                        .as_ref()
                        .and_then(|t| t.blob_at(path))
                        .map(|id| id.to_string());
                    in_head == *blob
                })
            }
            None => false,
        })
    }

    /// The short-lived files this write kept to undo itself (copies, the index's backup):
    /// [`recover`] deals with them, nothing else should.
    pub fn keeps(&self, path: &Path) -> bool {
        self.data.files.iter().any(|f| match f {
            FileUndo::Kept { copy, .. } => copy == path,
            FileUndo::Created(_) => false,
        }) || self
            .data
            .staged
            .as_ref()
            .is_some_and(|s| s.backup_path() == Some(path))
    }
}

/// Where the verdict on a dead holder's write is kept for the writers whose queued records it
/// had claimed (see `crate::ops::queue`): `<git-dir>/lore/queue/verdict-<tag>.json`.
pub const VERDICT_PREFIX: &str = "verdict-";

/// Notes whether the dead write of `journal` had landed, if it was a holder's that had claimed
/// queued records (a batch file of its tag is in the queue): whoever takes it back, a writer or
/// `doctor --fix`, the batch's writers then judge by this and not by what HEAD holds at their
/// planned paths, where someone may since have saved the same bytes.
fn note_verdict(store: &Store, journal: &Path, landed: bool) {
    let Some(tag) = journal
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(JOURNAL_PREFIX)?.strip_suffix(".json"))
    else {
        return;
    };
    let dir = store.git_dir().join("lore").join("queue");
    let batch = format!("batch-{tag}-");
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    if !entries
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with(&batch))
    {
        return;
    }
    let dest = dir.join(format!("{VERDICT_PREFIX}{tag}.json"));
    let tmp = dir.join(format!(".tmp-{}-verdict", lock::creator_tag()));
    let written = fs::write(&tmp, if landed { "true" } else { "false" })
        .and_then(|()| fs::rename(&tmp, &dest));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

/// The verdict [`note_verdict`] kept on the write of the holder `tag`, if any.
pub fn verdict_of(queue_dir: &Path, tag: &str) -> Option<bool> {
    match fs::read(queue_dir.join(format!("{VERDICT_PREFIX}{tag}.json")))
        .ok()?
        .as_slice()
    {
        b"true" => Some(true),
        b"false" => Some(false),
        _ => None,
    }
}

/// Finishes what a dead writer could not, from its journal: if its write had landed, only what
/// it kept to undo itself goes; if not, every change it made is taken back, git's index
/// included (a file it created is removed only while it still holds what the writer wrote).
/// Runs inside another write, under the store lock. Says what it did.
pub fn recover(tx: &mut Tx<'_>, dead: &Interrupted) -> Result<String> {
    let repo = tx.repo();
    let root = tx.store().root();
    let j = &dead.data;
    let landed = dead.had_landed(repo)?;
    note_verdict(tx.store(), &dead.journal, landed);
    let written: std::collections::HashMap<&str, Option<&str>> = match &j.landing {
        Some(Landed::Commit(changes)) => changes
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_deref()))
            .collect(),
        _ => Default::default(),
    };
    let said = if landed {
        for f in &j.files {
            if let FileUndo::Kept { copy, .. } = f {
                let _ = fs::remove_file(copy);
            }
        }
        if let Some(s) = j.staged.clone() {
            s.keep();
        }
        format!(
            "an interrupted {} had landed; removed what it kept to undo itself",
            j.operation
        )
    } else {
        let started = j.head.as_deref().and_then(|h| Oid::from_str(h).ok());
        let since = Since::new(repo, started);
        for f in j.files.iter().rev() {
            match f {
                FileUndo::Created(p) if since.committed(root, p) => {}
                FileUndo::Kept { path, copy } if since.committed(root, path) => {
                    let _ = fs::remove_file(copy);
                }
                FileUndo::Created(p) => {
                    let Ok(bytes) = fs::read(p) else { continue };
                    // What the writer put there goes; anything else someone wrote since stays.
                    let rel = p.strip_prefix(root).unwrap_or(p).to_string_lossy();
                    let ours = match written.get(rel.as_ref()) {
                        Some(Some(blob)) => git::hash_blob(&bytes).to_string() == *blob,
                        // Not yet staged when the writer died: the file is as it wrote it,
                        // unless it was changed since, which only a user would do.
                        _ => true,
                    };
                    if ours {
                        fs::remove_file(p).map_err(|e| Error::io(p, e))?;
                    }
                }
                FileUndo::Kept { path, copy } => match put_copy_back(copy, path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(copy, e)),
                },
            }
        }
        // git's index after the files: where it changed since (another save spliced it), its
        // entries are rebuilt from the files as they now are, put back.
        if let Some(s) = j.staged.clone() {
            s.undo(repo, root)?;
        }
        format!(
            "took back an interrupted {} that had not landed ({} file(s))",
            j.operation,
            j.files.len()
        )
    };
    fs::remove_file(&dead.journal).map_err(|e| Error::io(&dead.journal, e))?;
    Ok(said)
}
