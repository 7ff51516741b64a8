//! `lore rm`: a learning taken out of the store as one write (see [`crate::write`]): its file
//! out of the work tree and out of HEAD in one commit, `<type>: <title> (removed)`, and its row
//! out of the index. The file stays in git's history; reverting the commit brings it back (as
//! a new id: ids are never reused).

use crate::error::Result;
use crate::index::{Index, Row};
use crate::lock::LockOptions;
use crate::store::Store;
use crate::write::{self, Progress};

/// What [`remove`] did.
#[derive(Debug, Clone)]
pub struct Removed {
    /// The row as it was.
    pub row: Row,
    pub commit: String,
    /// Said beside success (see [`write::Written::warnings`]).
    pub warnings: Vec<String>,
}

impl Removed {
    /// As `lore rm --json` prints it: the learning as it was, and the commit that removed it.
    pub fn json(&self) -> crate::json::Recorded<'_> {
        crate::json::Recorded {
            learning: crate::json::Learning::of(&self.row),
            commit: Some(&self.commit),
            warnings: &self.warnings,
        }
    }
}

/// Removes `row`'s learning. A file already gone from the work tree is still taken out of
/// HEAD; a row whose file was never committed loses its row and its file alone, in a commit
/// that changes nothing else.
pub fn remove(
    store: &Store,
    index: &mut Index,
    row: Row,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Removed> {
    super::only_learnings(&row, "rm")?;
    let written = write::write(store, index, opts, progress, |tx| {
        tx.delete(&row.filepath)?;
        tx.progress(Progress::Indexing);
        Index::remove_in(tx.rows()?, row.id)?;
        tx.commit(format!("{}: {} (removed)", row.kind, row.title));
        Ok(())
    })?;
    let commit = written
        .commit
        .map(|c| c.commit.to_string())
        .unwrap_or_default();
    log::info!("removed #{} {} commit {commit}", row.id, row.filepath);
    Ok(Removed {
        row,
        commit,
        warnings: written.warnings,
    })
}
