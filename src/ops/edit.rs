//! The browser's `e`: commit a learning's file after the user edited it in an editor, as one
//! write (see [`crate::write`]).

use crate::error::{Error, Result};
use crate::git;
use crate::index::Index;
use crate::lock::LockOptions;
use crate::store::Store;
use crate::write::{self, Progress};

/// What [`commit_edit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edited {
    Unchanged,
    Committed {
        commit: String,
        /// Said beside success (see [`write::Written::warnings`]).
        warnings: Vec<String>,
    },
}

/// Commits the edited file of learning `id` under the store lock (`<type>: <title> (edited)`)
/// and refreshes its row (`updated_at`, search text). A file that vanished meanwhile, or is
/// not a regular file, is an error and nothing changes; the user's edit stays on disk whatever
/// happens.
pub fn commit_edit(
    store: &Store,
    index: &mut Index,
    id: i64,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Edited> {
    let row = index
        .get(id)?
        .ok_or_else(|| Error::NotFound(format!("#{id}")))?;
    let abs = crate::index::resolve_inside(store.root(), &row.filepath).ok_or_else(|| {
        Error::invalid("filepath", format!("{} is outside the store", row.filepath))
    })?;
    let written = write::write(store, index, opts, progress, |tx| {
        let meta = std::fs::symlink_metadata(&abs).map_err(|e| Error::io(&abs, e))?;
        if !meta.is_file() {
            return Err(Error::Symlink { path: abs.clone() });
        }
        let content = std::fs::read(&abs).map_err(|e| Error::io(&abs, e))?;
        let blob = git::hash_blob(&content);
        let in_head = git::head_tree(tx.repo())?.and_then(|t| t.blob_at(&row.filepath));
        if in_head == Some(blob) {
            return Ok(false);
        }
        tx.track(&row.filepath)?;
        Index::touch_in(tx.rows()?, id, &String::from_utf8_lossy(&content))?;
        tx.commit(format!("{}: {} (edited)", row.kind, row.title));
        Ok(true)
    })?;
    Ok(match (written.value, written.commit) {
        (true, Some(c)) => Edited::Committed {
            commit: c.commit.to_string(),
            warnings: written.warnings,
        },
        _ => Edited::Unchanged,
    })
}
