//! `lore adopt`: one commit that stops tracking an old store's index in git.

use crate::error::Result;
use crate::git;
use crate::lock::LockOptions;
use crate::store::{GITIGNORE, INDEX_DB, Store};
use crate::write::{self, Progress};

/// Whether HEAD tracks the index file (what old `record-failure.sh` stores do).
pub fn tracks_index(store: &Store) -> Result<Vec<String>> {
    let repo = store.repo()?;
    let Some(tree) = git::head_tree(&repo)? else {
        return Ok(Vec::new());
    };
    Ok([
        INDEX_DB.to_string(),
        format!("{INDEX_DB}-wal"),
        format!("{INDEX_DB}-shm"),
    ]
    .into_iter()
    .filter(|p| tree.holds(p))
    .collect())
}

/// What [`adopt`] did: its commit, if it made one, and what it must say beside success.
#[derive(Debug, Clone, Default)]
pub struct Adopted {
    pub commit: Option<String>,
    pub warnings: Vec<String>,
}

/// One commit that stops tracking the index (the file stays on disk) and ignores it; no
/// commit when there was nothing to adopt.
pub fn adopt(
    store: &Store,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Adopted> {
    if tracks_index(store)?.is_empty() {
        return Ok(Adopted::default());
    }
    let mut index = write::open_index(store, "adopt")?;
    let written = write::write(store, &mut index, opts, progress, |tx| {
        // Looked at again under the lock: another process may have adopted meanwhile.
        let tracked = tracks_index(tx.store())?;
        if tracked.is_empty() {
            return Ok(());
        }
        let gitignore = tx.store().root().join(".gitignore");
        let mut text = std::fs::read_to_string(&gitignore).unwrap_or_default();
        if !text.lines().any(|l| l.trim() == INDEX_DB) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(GITIGNORE);
        }
        tx.replace(".gitignore", text.as_bytes())?;
        for p in &tracked {
            tx.untrack(p);
        }
        tx.commit(
            "lore adopt: stop tracking memory/index.db\n\nThe index is rebuilt from the markdown; many writers changing one binary file in git is what lost records.",
        );
        Ok(())
    })?;
    Ok(Adopted {
        commit: written.commit.map(|c| c.commit.to_string()),
        warnings: written.warnings,
    })
}
