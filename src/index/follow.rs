//! The index follows HEAD: the rows are brought in line with commits lore did not make (a
//! `git pull`, an edit committed by hand), and a fresh clone's learnings are indexed.

use super::*;
use crate::report::{Flagged, FromTo};

/// What [`Index::follow_head`] or [`Index::apply_changes`] did: paths added, refreshed and
/// removed, and files indexed with problems.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Followed {
    pub added: Vec<String>,
    pub refreshed: Vec<String>,
    pub removed: Vec<String>,
    /// Learnings whose text moved from one path to another, keeping their rows: (from, to).
    pub moved: Vec<FromTo>,
    pub flagged: Vec<Flagged>,
}

/// How far the first indexing of a store has come: `done` of `total` committed learnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Indexing {
    pub done: usize,
    pub total: usize,
}

/// How many files apart [`Indexing`] reports come.
const PROGRESS_EVERY: usize = 256;

/// How long a first indexing runs before it is worth telling the user about it (the CLI on
/// stderr, the browser in its status line). Tests shorten it with
/// `LORE_TEST_PROGRESS_AFTER_MS` (only with the `fault-injection` feature).
pub fn progress_after() -> std::time::Duration {
    #[cfg(feature = "fault-injection")]
    if let Some(ms) = std::env::var("LORE_TEST_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return std::time::Duration::from_millis(ms);
    }
    std::time::Duration::from_millis(500)
}

impl Followed {
    pub fn changed(&self) -> bool {
        !(self.added.is_empty()
            && self.refreshed.is_empty()
            && self.removed.is_empty()
            && self.moved.is_empty())
    }
}

/// `created_at` for a learning that arrived through git: the time of the commit that added
/// it when that falls on the day its file gives (or the file gives none), else that day.
fn arrival_time(parsed: &crate::parse::Parsed, committed: Option<i64>) -> String {
    let Some(at) = committed.and_then(|s| jiff::Timestamp::from_second(s).ok()) else {
        return parsed.created_at();
    };
    let day = at
        .to_zoned_datetime(crate::clock::local_tz().clone())
        .date()
        .strftime("%Y-%m-%d")
        .to_string();
    match &parsed.date {
        Some(d) if *d != day => parsed.created_at(),
        _ => at.strftime("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

impl Index {
    /// Gives a row to every markdown file in HEAD that has none yet (a fresh clone, a store
    /// another tool indexed in part), telling `progress` how far it is; returns their paths.
    /// Runs inside `tx`.
    fn index_missing(
        tx: &Connection,
        repo: &crate::git::Repo,
        progress: &mut dyn FnMut(Indexing),
    ) -> Result<Vec<String>> {
        let files = crate::git::history::head_markdown_ids(repo)?;
        let have: std::collections::HashSet<String> = {
            let mut stmt = tx.prepare("SELECT filepath FROM learnings")?;
            stmt.query_map([], |r| r.get::<_, Option<String>>(0))?
                .filter_map(|r| r.ok().flatten())
                .collect()
        };
        let missing: Vec<_> = files
            .into_iter()
            .filter(|(path, _)| !have.contains(path))
            .collect();
        let total = missing.len();
        let mut added = Vec::with_capacity(total);
        // Rows of files without a Date line, dated below by the commit that added the file.
        let mut undated = Vec::new();
        for (n, (path, id)) in missing.into_iter().enumerate() {
            if n % PROGRESS_EVERY == 0 {
                progress(Indexing { done: n, total });
            }
            // One file at a time: a large store's files would not fit in memory together.
            let blob = repo.blob(id)?;
            let text = String::from_utf8_lossy(&blob);
            let parsed = crate::parse::parse(&text, &path);
            let created = parsed.created_at();
            let id = Index::insert_parsed(
                tx,
                None,
                &path,
                &parsed,
                &created,
                &text,
                WordList::AtTheEnd,
            )?;
            if parsed.date.is_none() {
                undated.push((id, path.clone()));
            }
            added.push(path);
        }
        Index::date_by_commit(tx, repo, &undated)?;
        if total > 0 {
            crate::index::terms::fill_from_index(tx)?;
            progress(Indexing { done: total, total });
        }
        Ok(added)
    }

    /// Dates the rows of files that give no Date line (`undated`: id, path) by the commit that
    /// added the file, rather than by the day they happened to be indexed: one walk of the
    /// history, only when there is such a file.
    pub(super) fn date_by_commit(
        tx: &Connection,
        repo: &crate::git::Repo,
        undated: &[(i64, String)],
    ) -> Result<()> {
        let Some(head) = crate::git::head_commit(repo)?.filter(|_| !undated.is_empty()) else {
            return Ok(());
        };
        let times = crate::git::history::added_at(repo, None, head)?;
        for (id, path) in undated {
            if let Some(&at) = times.get(path) {
                let when = arrival_time(&crate::parse::Parsed::default(), Some(at));
                tx.execute(
                    "UPDATE learnings SET created_at = ?1, updated_at = ?1 WHERE id = ?2",
                    rusqlite::params![when, id],
                )?;
            }
        }
        Ok(())
    }

    /// The commit whose markdown the rows were last brought in line with (see
    /// [`Index::follow_head`]); `None` for an index from before lore kept it.
    fn followed(conn: &Connection) -> Option<crate::git::Oid> {
        conn.query_row("SELECT value FROM lore_meta WHERE key = 'head'", [], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .and_then(|v| crate::git::Oid::from_str(&v).ok())
    }

    /// Records that the rows match the markdown of commit `head`.
    pub fn set_followed(tx: &Connection, head: crate::git::Oid) -> Result<()> {
        set_meta(tx, "head", &head.to_string())
    }

    /// After lore itself moved the branch from `parent` to `commit` and indexed what it
    /// changed: the rows now follow `commit`, if they followed `parent`. (If they did not, a
    /// commit of someone else's came first, and [`Index::follow_head`] takes in both.)
    pub fn advance_followed(
        tx: &Connection,
        parent: Option<crate::git::Oid>,
        commit: crate::git::Oid,
    ) -> Result<()> {
        if parent.is_some() && Index::followed(tx) == parent {
            Index::set_followed(tx, commit)?;
        }
        Ok(())
    }

    /// Brings the rows in line with commits lore did not make: a `git pull`, a learning edited
    /// or deleted and committed by hand, another tool's commit. The markdown files that
    /// changed between the commit the rows last followed and HEAD are indexed again, added
    /// ones get a row and removed ones lose theirs (their text stays in git's history). Cheap
    /// when nothing moved: HEAD against one stored id. Returns what changed.
    pub fn follow_head(&mut self, store: &Store) -> Result<Followed> {
        self.follow_head_with(store, &mut |_| {})
    }

    /// [`Index::follow_head`], telling `progress` how far it is when it has every committed
    /// learning to index (the first open of a store whose index does not follow HEAD yet).
    pub fn follow_head_with(
        &mut self,
        store: &Store,
        progress: &mut dyn FnMut(Indexing),
    ) -> Result<Followed> {
        let repo = store.repo()?;
        let Some(head) = crate::git::head_commit(&repo)? else {
            return Ok(Followed::default());
        };
        if Index::followed(&self.conn) == Some(head) {
            return Ok(Followed::default());
        }
        self.writes.set(self.writes.get() + 1);
        // Under the write lock, and HEAD read again: a save holds it from before its commit
        // to after its row, so no save is half done while this looks.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Rows other tools inserted get their search text first, so that marking everything
        // indexed below is true.
        Self::catch_up_in(&tx, &self.root)?;
        let mut followed = Followed::default();
        let Some(head) = crate::git::head_commit(&repo)? else {
            return Ok(followed);
        };
        match Index::followed(&tx) {
            Some(old) if old == head => return Ok(followed),
            // HEAD is behind what the rows follow (history reset): leave the rows; doctor
            // reports those whose files are gone.
            Some(old) if repo.descends(old, head) => {}
            Some(old) => {
                let changed = crate::git::history::markdown_changes(&repo, Some(old), head)?;
                let times = crate::git::history::added_at(&repo, Some(old), head)?;
                Index::apply_changes(&tx, &repo, &changed, &times, &mut followed)?;
            }
            // Never followed: a fresh clone, an index made by the script or another tool, or
            // by an older lore. Every committed learning without a row gets one, so that the
            // whole store is listed and searchable from the first look.
            None => {
                followed.added = Index::index_missing(&tx, &repo, progress)?;
                // Where the index is tracked in git (the script's stores), its journal files
                // would show as untracked, and a `git add -A` would commit them.
                if let Err(e) = store.keep_index_journal_out_of_git() {
                    log::warn!("could not keep the index's journal files out of git: {e}");
                }
            }
        }
        Index::set_followed(&tx, head)?;
        Index::mark_indexed(&tx)?;
        tx.commit()?;
        if followed.changed() {
            log::info!(
                "followed HEAD: {} added, {} refreshed, {} removed",
                followed.added.len(),
                followed.refreshed.len(),
                followed.removed.len()
            );
        }
        Ok(followed)
    }

    /// Indexes the markdown files that commits added or changed, and drops the rows of those
    /// they removed. A learning whose exact text left one path and arrived at another (a sync
    /// that kept both of two same-named learnings, a `git mv`) keeps its row and so its id:
    /// ids are printed, and must go on naming the same learning. Such moves are remembered
    /// (see [`Index::moved_from`]) and reported in `out.moved`.
    pub fn apply_changes(
        tx: &Connection,
        repo: &crate::git::Repo,
        changed: &[Changed],
        added_at: &std::collections::HashMap<String, i64>,
        out: &mut Followed,
    ) -> Result<()> {
        let learnings: Vec<&Changed> = changed
            .iter()
            .filter(|c| c.path.starts_with("memory/") && c.path.ends_with(".md"))
            .collect();
        let row_at = |path: &str| -> Result<Option<i64>> {
            Ok(tx
                .query_row(
                    "SELECT id FROM learnings WHERE filepath = ? ORDER BY id LIMIT 1",
                    [path],
                    |r| r.get(0),
                )
                .optional()?)
        };
        // Text that left a path which has a row: where it may have gone.
        let mut left: std::collections::HashMap<crate::git::Oid, Vec<(&str, i64)>> =
            std::collections::HashMap::new();
        for c in &learnings {
            if let Some(old) = c.old
                && c.new != c.old
                && let Some(id) = row_at(&c.path)?
            {
                left.entry(old).or_default().push((&c.path, id));
            }
        }
        let mut moved_to: Vec<(&str, i64)> = Vec::new();
        for c in &learnings {
            let Some(new) = c.new else { continue };
            if c.old == Some(new) {
                continue;
            }
            let Some((from, id)) = left.get_mut(&new).and_then(|v| v.pop()) else {
                continue;
            };
            tx.execute(
                "UPDATE learnings SET filepath = ?1 WHERE id = ?2",
                rusqlite::params![c.path, id],
            )?;
            tx.execute(
                "INSERT INTO lore_moves (old_path, id, at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(old_path) DO UPDATE SET id = excluded.id, at = excluded.at",
                rusqlite::params![from, id, now_timestamp()],
            )?;
            out.moved.push(FromTo::new(from, c.path.clone()));
            moved_to.push((&c.path, id));
        }
        // A row still at a path a learning moved to is one whose text is gone (had it moved
        // too, its row would have gone with it).
        for &(path, id) in &moved_to {
            tx.execute(
                "DELETE FROM lore_fts WHERE rowid IN (SELECT id FROM learnings WHERE filepath = ?1 AND id != ?2)",
                rusqlite::params![path, id],
            )?;
            tx.execute(
                "DELETE FROM learnings WHERE filepath = ?1 AND id != ?2",
                rusqlite::params![path, id],
            )?;
        }
        for c in learnings {
            if moved_to.iter().any(|&(p, _)| p == c.path) {
                continue;
            }
            let path = &c.path;
            let existing = row_at(path)?;
            let Some(blob) = c.new else {
                if existing.is_some() {
                    tx.execute(
                        "DELETE FROM lore_fts WHERE rowid IN (SELECT id FROM learnings WHERE filepath = ?1)",
                        [path],
                    )?;
                    tx.execute("DELETE FROM learnings WHERE filepath = ?1", [path])?;
                    out.removed.push(path.clone());
                }
                continue;
            };
            let text = String::from_utf8_lossy(&repo.blob(blob)?).into_owned();
            let parsed = crate::parse::parse(&text, path);
            if !parsed.problems.is_empty() {
                out.flagged.push(Flagged {
                    path: path.clone(),
                    problems: parsed.problems.clone(),
                });
            }
            match existing {
                Some(row) => {
                    Index::refresh_parsed(tx, row, &parsed, &text)?;
                    out.refreshed.push(path.clone());
                }
                None => {
                    let created = arrival_time(&parsed, added_at.get(path).copied());
                    Index::insert_parsed(tx, None, path, &parsed, &created, &text, WordList::Now)?;
                    out.added.push(path.clone());
                }
            }
        }
        Ok(())
    }
}
