//! The journal of a write that changes more than one new file: every change it makes, on
//! disk before the change, so that `recover` can take the write back after its process died.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::write_new;
use crate::error::{Error, Result};
use crate::git::StagedUndo;
use crate::lock;
use crate::store::Store;

/// A file whose change can be taken back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum FileUndo {
    /// Created: removed on undo.
    Created(PathBuf),
    /// Replaced or deleted: its earlier version, kept at `copy`, goes back on undo.
    Kept { path: PathBuf, copy: PathBuf },
}

/// What a write has changed so far, on disk before each change, so that the change can be
/// taken back after the writer died (see [`recover`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Journal {
    pub(super) operation: String,
    /// The commit HEAD was at when the write began.
    #[serde(default)]
    pub(super) head: Option<String>,
    pub(super) files: Vec<FileUndo>,
    pub(super) staged: Option<StagedUndo>,
    /// How the write would land, once it is about to: the commit's changes (path, blob or
    /// `None` for a removal), or the commit the branch moves to.
    pub(super) landing: Option<Landed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) enum Landed {
    Commit(Vec<(String, Option<String>)>),
    Move(String),
}

pub(super) const JOURNAL_PREFIX: &str = "journal-";

pub(super) fn journal_path(store: &Store) -> PathBuf {
    store
        .git_dir()
        .join("lore")
        .join(format!("{JOURNAL_PREFIX}{}.json", lock::creator_tag()))
}

pub(super) fn save_journal(path: &Path, journal: &Journal) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(dir, e))?;
    }
    let tmp = path.with_file_name(format!("journal.tmp-{}", lock::creator_tag()));
    let bytes = serde_json::to_vec(journal).expect("a journal serialises");
    let _ = fs::remove_file(&tmp);
    write_new(&tmp, &bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io(path, e)
        })
}
