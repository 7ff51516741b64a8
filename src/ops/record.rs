//! `lore record`: one learning saved as one write (see [`crate::write`]).
//!
//! ```text
//! lock → choose a free name and write the file (temp + link, 0600) → insert the row
//!      → stage the file → commit exactly that file → commit SQLite → unlock
//! ```

use std::time::Duration;

use crate::error::{Error, Result, Step};
use crate::git;
use crate::index::{Index, Row};
use crate::json;
use crate::learning::Learning;
use crate::lock::LockOptions;
use crate::slug;
use crate::store::Store;
use crate::template;
use crate::write;

pub use crate::write::Progress;

/// How many `-N` suffixes are tried before giving up on a name.
const MAX_SUFFIX: u32 = 10_000;

#[derive(Debug, Clone)]
pub struct Recorded {
    /// The learning's row, as it was inserted.
    pub row: Row,
    pub commit: String,
    pub waited: Duration,
    /// Said beside success: the commit landed, but the index could not be updated (it catches
    /// up on the next read).
    pub warnings: Vec<String>,
}

impl Recorded {
    pub fn id(&self) -> i64 {
        self.row.id
    }

    pub fn path(&self) -> &str {
        &self.row.filepath
    }

    /// As `record --json` and the MCP `record` tool print it.
    pub fn json(&self) -> json::Recorded<'_> {
        json::Recorded {
            learning: json::Learning::of(&self.row),
            commit: Some(&self.commit),
            warnings: &self.warnings,
        }
    }
}

/// Saves `learning` into `store`. On error nothing of it remains and the lock is free.
pub fn record(
    store: &Store,
    index: &mut Index,
    learning: &Learning,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Recorded> {
    let today = crate::clock::now().date();
    let date = today.strftime("%Y%m%d").to_string();
    let content = template::render(learning, &today.strftime("%Y-%m-%d").to_string());
    let message = format!(
        "{}: {}\n\nDomain: {} | Severity: {}",
        learning.kind,
        learning.title(),
        learning.domain(),
        learning.severity
    );
    let slug = slug::slug(learning.title());
    let written = write::write(store, index, opts, progress, |tx| {
        tx.single_new_file();
        let (rel_dir, _) = tx
            .store()
            .learning_dir(learning.kind, &date)
            .map_err(|e| e.at(Step::WriteFile))?;
        let head_tree = git::head_tree(tx.repo()).map_err(|e| e.at(Step::ChoosePath))?;
        let rel = tx
            .create_unique(
                &rel_dir,
                content.as_bytes(),
                MAX_SUFFIX,
                &|n| slug::candidate(&date, &slug, n),
                &|tx, rel| {
                    Ok(git::in_head(head_tree.as_ref(), rel) || tx.index().path_in_use(rel)?)
                },
            )?
            .ok_or_else(|| {
                Error::invalid(
                    "title",
                    format!("{MAX_SUFFIX} learnings already use this title today"),
                )
                .at(Step::ChoosePath)
            })?;
        tx.progress(Progress::Indexing);
        let row = Index::insert(tx.rows()?, learning, &rel, &content)
            .map_err(|e| e.at(Step::InsertRow))?;
        tx.commit(message);
        Ok(row)
    })?;
    let row = written.value;
    let commit = written
        .commit
        .map(|c| c.commit.to_string())
        .unwrap_or_default();
    log::info!("recorded #{} {} commit {commit}", row.id, row.filepath);
    Ok(Recorded {
        row,
        commit,
        waited: written.waited,
        warnings: written.warnings,
    })
}
