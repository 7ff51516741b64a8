//! Editing a learning, as one write (see [`crate::write`]): the browser's `e` and `lore edit`
//! commit the file after the user changed it in an editor; `lore edit --title …` changes
//! fields in the file itself.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::git;
use crate::index::{Index, Row};
use crate::learning::{Draft, Field};
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
    let (row, abs) = file_of(store, index, id)?;
    let written = write::write(store, index, opts, progress, |tx| {
        regular_file(&abs)?;
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

/// `lore edit ID --title … --summary …`: sets each of `changes` in learning `id`'s file where
/// the template puts it, leaving the rest of the file as it is, refreshes its row and commits
/// it, `<type>: <title> (edited)`, as one write. Each value is checked as `lore record` checks
/// it (cleaned, within its limit) before anything is written; the type cannot change (it is the
/// file's folder). A file missing from the work tree is an error, and nothing changes.
pub fn edit_fields(
    store: &Store,
    index: &mut Index,
    id: i64,
    changes: &[(Field, String)],
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Edited> {
    if changes
        .iter()
        .any(|(f, _)| f.spec().place == crate::learning::Place::Folder)
    {
        return Err(Error::invalid(
            "type",
            "a learning's type is its folder and cannot be edited; record it anew as the other type and `lore rm` this one",
        ));
    }
    // Checked alone: the unchanged fields stand in with values that pass, since a hand-written
    // file may lack a field the user did not ask to change.
    let mut draft = Draft::default()
        .with(Field::Title, "-")
        .with(Field::Domain, "-");
    for (field, value) in changes {
        draft.set(*field, value.clone());
    }
    let checked = draft.validate()?;
    let (row, abs) = file_of(store, index, id)?;
    super::only_learnings(&row, "edit")?;
    let written = write::write(store, index, opts, progress, |tx| {
        regular_file(&abs)?;
        let before = std::fs::read_to_string(&abs).map_err(|e| Error::io(&abs, e))?;
        let mut text = before.clone();
        for (field, _) in changes {
            text = crate::template::set_field(&text, *field, checked.get(*field));
        }
        if text == before {
            return Ok(None);
        }
        tx.replace(&row.filepath, text.as_bytes())?;
        tx.progress(Progress::Indexing);
        let parsed = crate::parse::parse(&text, &row.filepath);
        Index::refresh_parsed(tx.rows()?, id, &parsed, &text)?;
        tx.commit(format!("{}: {} (edited)", row.kind, parsed.title));
        Ok(Some(parsed.title))
    })?;
    Ok(match (written.value, written.commit) {
        (Some(_), Some(c)) => Edited::Committed {
            commit: c.commit.to_string(),
            warnings: written.warnings,
        },
        _ => Edited::Unchanged,
    })
}

/// Learning `id`'s row and its file's place in the work tree.
fn file_of(store: &Store, index: &Index, id: i64) -> Result<(Row, PathBuf)> {
    let row = index
        .get(id)?
        .ok_or_else(|| Error::NotFound(format!("#{id}")))?;
    let abs = crate::index::resolve_inside(store.root(), &row.filepath).ok_or_else(|| {
        Error::invalid("filepath", format!("{} is outside the store", row.filepath))
    })?;
    Ok((row, abs))
}

/// The file is there and is a regular file: an edit never writes through a symbolic link.
fn regular_file(abs: &Path) -> Result<()> {
    let meta = std::fs::symlink_metadata(abs).map_err(|e| Error::io(abs, e))?;
    if !meta.is_file() {
        return Err(Error::Symlink {
            path: abs.to_path_buf(),
        });
    }
    Ok(())
}
