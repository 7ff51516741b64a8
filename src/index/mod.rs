//! The SQLite index (`memory/index.db`, table `learnings`): derived from the markdown, shared
//! with other tools, and opened whatever its vintage.
//!
//! lore only *adds* to an existing index: the columns it needs (nullable), indexes, an FTS5
//! table and its own tables (`lore_meta`, `lock_events`). It never drops or rewrites other
//! tools' rows, tables or triggers, and installs no triggers of its own, so a tool that writes
//! `learnings` with an SQLite build lacking FTS5 keeps working. Rows inserted by such tools are
//! picked up into the search index by [`Index::catch_up`].

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::learning::{Learning, Severity};
use crate::store::Store;

pub mod db_error;
mod follow;
mod lock_log;
mod order;
pub mod rebuild;
mod rows;
mod schema;
mod search;
mod stats;
pub mod terms;

pub use db_error::DbError;

pub use follow::{Followed, Indexing, progress_after};
pub use lock_log::{LockEventRow, LockEventView, LockStats};
pub use order::{Anchor, Key, Lead, Sort};
use rows::{SearchText, fts_insert, set_meta};
use search::{CountKey, ExprKey, ROW_COLUMNS};
pub use search::{Filter, FilterText, RANKED_MATCHES, Row, fts_query};
pub use stats::{Count, LockContention, Stats, Waits};

/// Bumped when lore adds something to the schema.
const SCHEMA_VERSION: i64 = 5;

/// How long a statement waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Files larger than this are indexed by their first bytes only.
const MAX_INDEXED_BODY: u64 = 1 << 20;

/// When an indexed row's words reach the word list behind prefix search (see [`terms`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordList {
    /// With the row: a save, a sync, an import.
    Now,
    /// Once for the whole transaction, read back from the search index by
    /// [`terms::fill_from_index`] before it commits: for a rebuild of every row, where
    /// tokenizing each one a second time would cost more than the rest of the row.
    AtTheEnd,
}

pub struct Index {
    /// The last expanded query and what it was expanded for.
    last_expr: std::cell::RefCell<Option<(ExprKey, Option<String>)>>,
    /// The last search count and what it was computed for.
    last_count: std::cell::RefCell<Option<(CountKey, u64)>>,
    /// Bumped by this connection's own writes (which `data_version` does not reflect).
    writes: std::cell::Cell<u64>,
    conn: Connection,
    root: PathBuf,
    path: PathBuf,
}

/// The index's connection, as a write's body gets it (see [`crate::write::Tx::rows`]).
pub type Conn = Connection;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Sqlite(db_error::db_error(e))
    }
}

pub use crate::clock::now_timestamp;

pub use crate::git::history::Changed;

impl Index {
    /// Opens (creating if needed) the store's index and brings its schema up to date.
    pub fn open(store: &Store) -> Result<Index> {
        store.ensure_dir("failures")?;
        let fresh = !store.index_path().exists();
        let index = Index::open_at(store.index_path(), store.root())?;
        // A fresh `git clone` of a store is a store: the first look that follows HEAD
        // ([`Index::follow_head`]) indexes what it holds.
        if fresh && let Err(e) = store.keep_index_out_of_git() {
            log::warn!("could not keep the index out of git: {e}");
        }
        Ok(index)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds to the search index every row another tool inserted since the last catch-up.
    /// Cheap when there is nothing new (one indexed lookup). Runs inside `tx`.
    fn catch_up_in(tx: &Connection, root: &Path) -> Result<()> {
        let last: i64 = tx
            .query_row(
                "SELECT value FROM lore_meta WHERE key = 'fts_last_id'",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut stmt = tx.prepare(&format!(
            "SELECT {ROW_COLUMNS} FROM learnings l WHERE l.id > ? ORDER BY l.id"
        ))?;
        let rows: Vec<Row> = stmt
            .query_map([last], Row::from_sql)?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let mut max = last;
        for row in &rows {
            let body = read_body(root, &row.filepath).unwrap_or_default();
            fts_insert(tx, row.id, &SearchText::of_row(row, &body), WordList::Now)?;
            max = max.max(row.id);
        }
        if max != last {
            set_meta(tx, "fts_last_id", &max.to_string())?;
        }
        Ok(())
    }

    /// Brings the search index up to date with rows written by other tools.
    pub fn catch_up(&mut self) -> Result<()> {
        self.writes.set(self.writes.get() + 1);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::catch_up_in(&tx, &self.root)?;
        tx.commit()?;
        Ok(())
    }

    /// Starts the write transaction of a change made through [`crate::write`] (`BEGIN
    /// IMMEDIATE`: the write lock is taken now, so the change cannot fail half-way on a busy
    /// database), with rows other tools inserted taken into the search index first. Ended by
    /// [`Index::commit_write`] or [`Index::rollback_write`]; meanwhile [`Index::connection`]
    /// is inside it.
    pub fn begin_write(&mut self) -> Result<()> {
        self.writes.set(self.writes.get() + 1);
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        if let Err(e) = Self::catch_up_in(&self.conn, &self.root) {
            self.rollback_write();
            return Err(e);
        }
        Ok(())
    }

    pub fn commit_write(&mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        Ok(())
    }

    /// Takes back the write transaction (SQLite may have done so already, after a failed
    /// COMMIT).
    pub fn rollback_write(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// The connection, for a rebuild's bulk work.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The store root the `filepath` column is relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Why the index at `path` cannot be used, in words that point the right way: a damaged file
/// is rebuilt with `lore reindex`; a full disk (which SQLite may call a "disk I/O error" when
/// it cannot grow its shared-memory file) is no fault of the index's.
pub(crate) fn unusable(path: &Path, source: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    let full = || {
        let dir = path.parent().unwrap_or(Path::new("."));
        rustix::fs::statvfs(dir).is_ok_and(|st| st.f_bavail * st.f_frsize < 64 << 10)
    };
    match source.sqlite_error_code() {
        Some(ErrorCode::DiskFull) => Error::io(path, std::io::Error::from_raw_os_error(28)),
        Some(ErrorCode::SystemIoFailure | ErrorCode::CannotOpen) if full() => {
            Error::io(path, std::io::Error::from_raw_os_error(28))
        }
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) | None => Error::BadIndex {
            path: path.to_path_buf(),
            source: db_error::db_error(source),
        },
        Some(_) => Error::io(path, std::io::Error::other(source.to_string())),
    }
}

/// `e` said plainly when it is SQLite failing for want of space in `dir` (it may call that a
/// "disk I/O error"): "No space left on device".
pub fn explain_full(e: Error, dir: &Path) -> Error {
    use rusqlite::ErrorCode;
    let io = match &e {
        Error::Sqlite(s) => db_error::code(s),
        _ => None,
    };
    let free = rustix::fs::statvfs(dir)
        .ok()
        .map(|st| st.f_bavail * st.f_frsize);
    match (io, free) {
        (Some(ErrorCode::DiskFull), _) => Error::io(dir, std::io::Error::from_raw_os_error(28)),
        (Some(ErrorCode::SystemIoFailure), Some(free)) if free < 64 << 10 => {
            Error::io(dir, std::io::Error::from_raw_os_error(28))
        }
        // Not provably a full disk, but the likeliest cause: say what is known.
        (Some(ErrorCode::SystemIoFailure), Some(free)) if free < 16 << 20 => Error::io(
            dir,
            std::io::Error::other(format!(
                "{e}; the file system has only {} KiB free",
                free >> 10
            )),
        ),
        _ => e,
    }
}

/// Refuses an index whose file, or a journal file SQLite keeps beside it, is a symbolic link:
/// SQLite would create or write them at the link's target, outside the store.
pub fn refuse_links(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::Symlink { path: p });
        }
    }
    Ok(())
}

/// `filepath` resolved inside the store, or `None` when it would lead outside it (the column is
/// written by other tools and by pulled remotes: never trusted).
pub fn resolve_inside(root: &Path, filepath: &str) -> Option<PathBuf> {
    let rel = Path::new(filepath);
    if rel
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return None;
    }
    Some(root.join(rel))
}

/// The markdown of a row's file (at most 1 MiB, invalid UTF-8 replaced), if it can be read.
pub fn read_body(root: &Path, filepath: &str) -> Option<String> {
    use std::io::Read;
    let path = resolve_inside(root, filepath)?;
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut buf = Vec::new();
    std::fs::File::open(&path)
        .ok()?
        .take(MAX_INDEXED_BODY)
        .read_to_end(&mut buf)
        .ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}
