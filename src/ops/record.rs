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
    let prepared = Prepared::new(learning);
    let written = write::write(store, index, opts, progress, |tx| {
        tx.single_new_file();
        let row = prepared.put(tx)?;
        tx.commit(prepared.message.clone());
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

/// Saves `learnings` into `store` in one write, each its own commit holding exactly its file
/// (what a holder of the lock that also commits other writers' queued records does; see
/// BENCHMARKS.md, round 6): one lock, one SQLite transaction, one change of git's index, one
/// move of the branch, to the last commit. All are saved or, on error, none.
pub fn record_each(
    store: &Store,
    index: &mut Index,
    learnings: &[Learning],
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<Recorded>> {
    let prepared: Vec<Prepared> = learnings.iter().map(Prepared::new).collect();
    let written = write::write(store, index, opts, progress, |tx| {
        let mut rows = Vec::with_capacity(prepared.len());
        for p in &prepared {
            rows.push(p.put(tx)?);
            tx.commit_so_far(p.message.clone());
        }
        Ok(rows)
    })?;
    let tip = written.commit.as_ref().map(|c| c.commit.to_string());
    let steps = written.commit.map(|c| c.steps).unwrap_or_default();
    // Where another client committed some of these files meanwhile (they were staged first),
    // which commit holds which is not known here; the branch's tip holds them all.
    let each = steps.len() == written.value.len();
    log::info!(
        "recorded {} learnings in {} commits",
        written.value.len(),
        steps.len()
    );
    Ok(written
        .value
        .into_iter()
        .enumerate()
        .map(|(i, row)| Recorded {
            row,
            commit: if each {
                steps[i].to_string()
            } else {
                tip.clone().unwrap_or_default()
            },
            waited: written.waited,
            warnings: written.warnings.clone(),
        })
        .collect())
}

/// A learning's file, row and commit message, made before the lock is taken.
struct Prepared<'l> {
    learning: &'l Learning,
    date: String,
    content: String,
    message: String,
    slug: String,
}

impl<'l> Prepared<'l> {
    fn new(learning: &'l Learning) -> Prepared<'l> {
        let today = crate::clock::now().date();
        Prepared {
            learning,
            date: today.strftime("%Y%m%d").to_string(),
            content: template::render(learning, &today.strftime("%Y-%m-%d").to_string()),
            message: format!(
                "{}: {}\n\nDomain: {} | Severity: {}",
                learning.kind,
                learning.title(),
                learning.domain(),
                learning.severity
            ),
            slug: slug::slug(learning.title()),
        }
    }

    /// Inside the write: the file under a free name, staged, and its row.
    fn put(&self, tx: &mut write::Tx<'_>) -> Result<Row> {
        let (rel_dir, _) = tx
            .store()
            .learning_dir(self.learning.kind, &self.date)
            .map_err(|e| e.at(Step::WriteFile))?;
        let head_tree = git::head_tree(tx.repo()).map_err(|e| e.at(Step::ChoosePath))?;
        let rel = tx
            .create_unique(
                &rel_dir,
                self.content.as_bytes(),
                MAX_SUFFIX,
                &|n| slug::candidate(&self.date, &self.slug, n),
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
        Index::insert(tx.rows()?, self.learning, &rel, &self.content)
            .map_err(|e| e.at(Step::InsertRow))
    }
}
