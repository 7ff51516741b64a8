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
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::learning::{Learning, Severity};
use crate::store::Store;

/// Bumped when lore adds something to the schema.
const SCHEMA_VERSION: i64 = 4;

/// How long a statement waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Files larger than this are indexed by their first bytes only.
const MAX_INDEXED_BODY: u64 = 1 << 20;

/// The schema lore creates in a new store: vintage B (the installer's), so other tools' CHECKs
/// hold, with `updated_at` defaulting like `created_at`.
const CREATE_LEARNINGS: &str = "
CREATE TABLE IF NOT EXISTS learnings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL CHECK(type IN ('failure','success','heuristic','experiment','observation')),
    filepath TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT,
    tags TEXT,
    domain TEXT,
    severity INTEGER DEFAULT 3 CHECK(severity >= 1 AND severity <= 5),
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_learnings_type ON learnings(type);
CREATE INDEX IF NOT EXISTS idx_learnings_domain ON learnings(domain);
CREATE INDEX IF NOT EXISTS idx_learnings_tags ON learnings(tags);
";

const LORE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS lore_meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS lock_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    operation TEXT NOT NULL,
    waited_ms INTEGER NOT NULL,
    held_ms INTEGER,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lore_lock_events_at ON lock_events(at);
CREATE INDEX IF NOT EXISTS lore_learnings_filepath ON learnings(filepath);
DROP INDEX IF EXISTS lore_learnings_newest;
CREATE INDEX IF NOT EXISTS lore_learnings_order ON learnings(ifnull(created_at, '') DESC, id DESC);
CREATE VIRTUAL TABLE IF NOT EXISTS lore_fts USING fts5(
    title, summary, tags, domain, body,
    content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);
CREATE VIRTUAL TABLE IF NOT EXISTS lore_fts_vocab USING fts5vocab(lore_fts, 'row');
";

/// When an indexed row's words reach the word list behind prefix search (see [`crate::terms`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordList {
    /// With the row: a save, a sync, an import.
    Now,
    /// Once for the whole transaction, read back from the search index by
    /// [`crate::terms::fill_from_index`] before it commits: for a rebuild of every row, where
    /// tokenizing each one a second time would cost more than the rest of the row.
    AtTheEnd,
}

/// One row of `learnings`, as `lore list --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub summary: Option<String>,
    pub tags: Option<String>,
    pub domain: Option<String>,
    /// An integer 1–5; `None` where an old row holds something else.
    pub severity: Option<u8>,
    pub filepath: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

const ROW_COLUMNS: &str = "l.id, l.type, l.title, l.summary, l.tags, l.domain, l.severity, l.filepath, l.created_at, l.updated_at";

fn text(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Text(s) => Some(s),
        Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
    }
}

impl Row {
    fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        let severity = match r.get::<_, Value>(6)? {
            Value::Integer(n) => Severity::new(n).map(Severity::get),
            Value::Real(f) => Severity::new(f as i64).map(Severity::get),
            Value::Text(s) => Severity::parse_lenient(&s).map(Severity::get),
            _ => None,
        };
        Ok(Row {
            id: r.get(0)?,
            kind: text(r.get(1)?).unwrap_or_default(),
            title: text(r.get(2)?).unwrap_or_default(),
            summary: text(r.get(3)?),
            tags: text(r.get(4)?),
            domain: text(r.get(5)?),
            severity,
            filepath: text(r.get(7)?).unwrap_or_default(),
            created_at: text(r.get(8)?),
            updated_at: text(r.get(9)?),
        })
    }

    pub fn key(&self) -> Key {
        Key {
            created: self.created_at.clone().unwrap_or_default(),
            id: self.id,
        }
    }

    /// `YYYY-MM-DD` of `created_at`, or blank.
    pub fn date(&self) -> &str {
        self.created_at
            .as_deref()
            .map(|s| s.get(..10).unwrap_or(s))
            .unwrap_or("")
    }
}

/// "Newest first": the order of `lore list` and the browser, served by the index
/// `lore_learnings_order` (the expression must match it exactly). Old rows without a
/// `created_at` sort last.
const NEWEST_FIRST: &str = "ifnull(l.created_at, '') DESC, l.id DESC";

/// A row's position in [`NEWEST_FIRST`] order, for paging without OFFSET (which would scan
/// every skipped row: far too slow at a million learnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub created: String,
    pub id: i64,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// The newest rows.
    First,
    /// The oldest rows.
    Last,
    /// Rows older than this key.
    After(Key),
    /// Rows newer than this key.
    Before(Key),
}

/// Which rows `list` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<String>,
    pub domain: Option<String>,
    pub severity: Option<u8>,
    /// `YYYY-MM-DD`: rows created on or after that day (UTC).
    pub since: Option<String>,
}

impl Filter {
    fn sql(&self) -> (String, Vec<Value>) {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        if let Some(k) = &self.kind {
            clauses.push("l.type = ?");
            args.push(Value::Text(k.clone()));
        }
        if let Some(d) = &self.domain {
            clauses.push("l.domain = ? COLLATE NOCASE");
            args.push(Value::Text(d.clone()));
        }
        if let Some(s) = self.severity {
            clauses.push("l.severity = ?");
            args.push(Value::Integer(s.into()));
        }
        if let Some(s) = &self.since {
            clauses.push("l.created_at >= ?");
            args.push(Value::Text(s.clone()));
        }
        let sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" AND {}", clauses.join(" AND "))
        };
        (sql, args)
    }
}

/// One lock acquisition (or failure to acquire), for `lock_events`.
#[derive(Debug, Clone)]
pub struct LockEventRow<'a> {
    pub operation: &'a str,
    pub waited: Duration,
    pub held: Option<Duration>,
    pub outcome: &'a str,
}

/// Searches with at most this many matches are ranked; broader ones list newest first.
pub const RANKED_MATCHES: u64 = 1_000;

/// One row of `lock_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockEventView {
    pub at: String,
    pub pid: i64,
    pub host: String,
    pub operation: String,
    pub waited_ms: i64,
    pub held_ms: Option<i64>,
    pub outcome: String,
}

impl LockEventView {
    /// From `SELECT at, pid, host, operation, waited_ms, held_ms, outcome`.
    fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<LockEventView> {
        Ok(LockEventView {
            at: r.get(0)?,
            pid: r.get(1)?,
            host: r.get(2)?,
            operation: r.get(3)?,
            waited_ms: r.get(4)?,
            held_ms: r.get(5)?,
            outcome: r.get(6)?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LockStats {
    /// Newest first, at most 200.
    pub recent: Vec<LockEventView>,
    /// `(YYYY-MM-DD, count)`, newest day first.
    pub timeouts_per_day: Vec<(String, u64)>,
    pub longest_holds: Vec<LockEventView>,
}

/// (FTS query, filter, `PRAGMA data_version`, own write count).
type CountKey = (String, Filter, i64, u64);
/// (what the user typed, `PRAGMA data_version`, own write count).
type ExprKey = (String, i64, u64);

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

/// `YYYY-MM-DD HH:MM:SS` in UTC, the format of SQLite's `CURRENT_TIMESTAMP`.
pub fn now_timestamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

pub use crate::git::history::Changed;

/// What [`Index::follow_head`] or [`Index::apply_changes`] did: paths added, refreshed and
/// removed, and files indexed with problems.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Followed {
    pub added: Vec<String>,
    pub refreshed: Vec<String>,
    pub removed: Vec<String>,
    pub flagged: Vec<(String, Vec<String>)>,
}

impl Followed {
    pub fn changed(&self) -> bool {
        !(self.added.is_empty() && self.refreshed.is_empty() && self.removed.is_empty())
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
    /// Opens (creating if needed) the store's index and brings its schema up to date.
    pub fn open(store: &Store) -> Result<Index> {
        store.ensure_dir("failures")?;
        let fresh = !store.index_path().exists();
        let mut index = Index::open_at(store.index_path(), store.root())?;
        if fresh {
            if let Err(e) = store.keep_index_out_of_git() {
                log::warn!("could not keep the index out of git: {e}");
            }
            // A fresh `git clone` of a store is a store: index what it holds.
            index.import_head(store)?;
        }
        Ok(index)
    }

    /// Indexes every markdown file in HEAD that has no row yet; returns their paths.
    pub fn import_head(&mut self, store: &Store) -> Result<Vec<String>> {
        let repo = store.repo()?;
        let files = crate::git::history::head_markdown_ids(&repo)?;
        let have: std::collections::HashSet<String> = {
            let mut stmt = self.conn.prepare("SELECT filepath FROM learnings")?;
            stmt.query_map([], |r| r.get::<_, Option<String>>(0))?
                .filter_map(|r| r.ok().flatten())
                .collect()
        };
        self.writes.set(self.writes.get() + 1);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::catch_up_in(&tx, &self.root)?;
        let mut added = Vec::new();
        for (path, id) in files {
            if have.contains(&path) {
                continue;
            }
            // One file at a time: a large store's files would not fit in memory together.
            let blob = repo.blob(id)?;
            let text = String::from_utf8_lossy(&blob);
            let parsed = crate::parse::parse(&text, &path);
            let created = parsed.created_at();
            Index::insert_parsed(
                &tx,
                None,
                &path,
                &parsed,
                &created,
                &text,
                WordList::AtTheEnd,
            )?;
            added.push(path);
        }
        crate::terms::fill_from_index(&tx)?;
        Index::mark_indexed(&tx)?;
        if let Some(head) = crate::git::head_commit(&repo)? {
            Index::set_followed(&tx, head)?;
        }
        tx.commit()?;
        Ok(added)
    }

    /// Inserts a row for each of `files` (path, blob) that has none yet, inside the caller's
    /// transaction; returns their paths.
    pub fn import_missing(
        conn: &Connection,
        repo: &crate::git::Repo,
        files: &[(String, crate::git::Oid)],
    ) -> Result<Vec<String>> {
        let mut added = Vec::new();
        for (path, id) in files {
            let has: bool = conn.query_row(
                "SELECT count(*) > 0 FROM learnings WHERE filepath = ?",
                [path],
                |r| r.get(0),
            )?;
            if has || added.contains(path) {
                continue;
            }
            let blob = repo.blob(*id)?;
            let text = String::from_utf8_lossy(&blob);
            let parsed = crate::parse::parse(&text, path);
            let created = parsed.created_at();
            Index::insert_parsed(conn, None, path, &parsed, &created, &text, WordList::Now)?;
            added.push(path.clone());
        }
        Index::mark_indexed(conn)?;
        Ok(added)
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
            // An index from before lore kept the commit: it starts following from here.
            None => {}
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

    /// Indexes the markdown files that commits added or changed (`Some(blob)`), and drops the
    /// rows of those they removed (`None`).
    pub fn apply_changes(
        tx: &Connection,
        repo: &crate::git::Repo,
        changed: &[Changed],
        added_at: &std::collections::HashMap<String, i64>,
        out: &mut Followed,
    ) -> Result<()> {
        for (path, blob) in changed {
            if !path.starts_with("memory/") || !path.ends_with(".md") {
                continue;
            }
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM learnings WHERE filepath = ? ORDER BY id LIMIT 1",
                    [path],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(blob) = blob else {
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
            let text = String::from_utf8_lossy(&repo.blob(*blob)?).into_owned();
            let parsed = crate::parse::parse(&text, path);
            if !parsed.problems.is_empty() {
                out.flagged.push((path.clone(), parsed.problems.clone()));
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

    /// Opens (creating if needed) the index file at `path` for the store at `root`.
    pub fn open_at(path: PathBuf, root: &Path) -> Result<Index> {
        refuse_links(&path)?;
        let bad = |source| unusable(&path, source);
        // The index holds titles and summaries: private, like the markdown (SQLite would make
        // it 0644, and gives its -wal and -shm files the database file's mode).
        if !path.exists() {
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path);
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(bad)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(bad)?;
        // WAL lets readers (`lore list`, the TUI) run while a save writes. `synchronous=NORMAL`
        // in WAL mode survives any application crash; a power cut may lose the last
        // transactions, which `lore reindex` rebuilds from the markdown (the source of truth).
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(bad)?;
        conn.pragma_update(None, "synchronous", "normal")
            .map_err(bad)?;
        // A short-lived `lore record` would otherwise checkpoint and delete the WAL on every
        // exit (two fsyncs, and a file re-created next time). Instead the WAL is kept, and
        // checkpointed every 256 pages (1 MB): the first connection of each process reads the
        // whole WAL to rebuild its index, so a larger one slows every start (+0.9 ms p50 at
        // 1,000 pages), while a smaller one checkpoints more often, and each checkpoint's two
        // fsyncs cost a save 5-7 ms on a journaled ext4 (at 64 pages, 4 saves in 10 paid it:
        // p90 22 ms; at 256, p90 12 ms).
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(bad)?;
        conn.pragma_update(None, "wal_autocheckpoint", 256)
            .map_err(bad)?;
        conn.pragma_update(None, "journal_size_limit", 2 << 20)
            .map_err(bad)?;
        let mut index = Index {
            last_count: Default::default(),
            last_expr: Default::default(),
            writes: Default::default(),
            conn,
            root: root.to_path_buf(),
            path,
        };
        index.migrate()?;
        Ok(index)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn schema_version(&self) -> Option<i64> {
        self.conn
            .query_row(
                "SELECT value FROM lore_meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, String>(0),
            )
            .ok()
            .and_then(|v| v.parse().ok())
    }

    fn migrate(&mut self) -> Result<()> {
        if self.schema_version() == Some(SCHEMA_VERSION) {
            return Ok(());
        }
        let path = self.path.clone();
        let bad = |source| unusable(&path, source);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(bad)?;
        let has_table = |name: &str| -> rusqlite::Result<bool> {
            tx.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                [name],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
        };
        let has_learnings = has_table("learnings").map_err(bad)?;
        // An existing table belongs to the tools that made it: add to it, never re-create it or
        // give it indexes under names those tools may use.
        if !has_learnings {
            tx.execute_batch(CREATE_LEARNINGS).map_err(bad)?;
        }
        let has_updated_at: bool = tx
            .query_row(
                "SELECT count(*) FROM pragma_table_info('learnings') WHERE name = 'updated_at'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(bad)?
            > 0;
        if !has_updated_at {
            tx.execute_batch("ALTER TABLE learnings ADD COLUMN updated_at DATETIME")
                .map_err(bad)?;
        }
        let had_terms = has_table("lore_terms").map_err(bad)?;
        tx.execute_batch(LORE_SCHEMA).map_err(bad)?;
        tx.execute_batch(crate::terms::SCHEMA).map_err(bad)?;
        if !had_terms {
            // An index from before the word list: list the words it already holds (once).
            crate::terms::fill_from_index(&tx)?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO lore_meta (key, value) VALUES ('schema_version', ?)",
            [SCHEMA_VERSION.to_string()],
        )
        .map_err(bad)?;
        tx.commit().map_err(bad)?;
        Ok(())
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
            fts_insert(
                tx,
                row.id,
                &row.title,
                row.summary.as_deref(),
                row.tags.as_deref(),
                row.domain.as_deref(),
                &body,
                WordList::Now,
            )?;
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

    /// Marks row `id` as updated now and re-indexes its markdown `body` for search, inside
    /// the caller's transaction.
    pub fn touch_in(conn: &Connection, id: i64, body: &str) -> Result<()> {
        let row = conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM learnings l WHERE l.id = ?"),
                [id],
                Row::from_sql,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("#{id}")))?;
        conn.execute(
            "UPDATE learnings SET updated_at = ? WHERE id = ?",
            params![now_timestamp(), id],
        )?;
        conn.execute("DELETE FROM lore_fts WHERE rowid = ?", [id])?;
        fts_insert(
            conn,
            id,
            &row.title,
            row.summary.as_deref(),
            row.tags.as_deref(),
            row.domain.as_deref(),
            body,
            WordList::Now,
        )
    }

    /// Puts row `id` (already in `learnings`) into the search index, with markdown `body`.
    pub(crate) fn index_row_text(
        tx: &Connection,
        id: i64,
        body: &str,
        words: WordList,
    ) -> Result<()> {
        let (title, summary, tags, domain): (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        ) = tx.query_row(
            "SELECT ifnull(title, ''), summary, tags, domain FROM learnings WHERE id = ?",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        fts_insert(
            tx,
            id,
            &title,
            summary.as_deref(),
            tags.as_deref(),
            domain.as_deref(),
            body,
            words,
        )
    }

    /// Inserts the row for a learning saved at `filepath` with markdown `body`.
    pub fn insert(tx: &Connection, l: &Learning, filepath: &str, body: &str) -> Result<i64> {
        let now = now_timestamp();
        let tags = l.tags_joined();
        tx.execute(
            "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![l.kind.as_str(), filepath, l.title, l.summary_line(), tags, l.domain, l.severity.get(), now],
        )?;
        let id = tx.last_insert_rowid();
        fts_insert(
            tx,
            id,
            &l.title,
            Some(l.summary_line()),
            Some(&tags),
            Some(&l.domain),
            body,
            WordList::Now,
        )?;
        set_meta(tx, "fts_last_id", &id.to_string())?;
        Ok(id)
    }

    /// Inserts a row for a markdown file read back from git (reindex, doctor), keeping `id`
    /// when given so references like `#42` survive a rebuild.
    pub fn insert_parsed(
        tx: &Connection,
        id: Option<i64>,
        filepath: &str,
        p: &crate::parse::Parsed,
        created_at: &str,
        body: &str,
        words: WordList,
    ) -> Result<i64> {
        let c = Columns::of(p);
        tx.execute(
            "INSERT INTO learnings (id, type, filepath, title, summary, tags, domain, severity, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![id, c.kind, filepath, p.title, c.summary, c.tags, p.domain, c.severity, created_at],
        )?;
        let id = tx.last_insert_rowid();
        c.index_text(tx, id, p, body, words)?;
        Ok(id)
    }

    /// Rewrites row `id` from its file in HEAD (a rebuild): lore's columns from the file, its
    /// dates where the row has none, other tools' columns as they are; and its search text.
    pub fn rewrite_parsed(
        tx: &Connection,
        id: i64,
        p: &crate::parse::Parsed,
        body: &str,
        words: WordList,
    ) -> Result<()> {
        let c = Columns::of(p);
        tx.execute(
            "UPDATE learnings SET type = ?2, title = ?3, summary = ?4, tags = ?5, domain = ?6,
                 severity = ?7, created_at = ifnull(created_at, ?8),
                 updated_at = ifnull(updated_at, ifnull(created_at, ?8))
             WHERE id = ?1",
            params![
                id,
                c.kind,
                p.title,
                c.summary,
                c.tags,
                p.domain,
                c.severity,
                p.created_at()
            ],
        )?;
        c.index_text(tx, id, p, body, words)
    }

    /// Refreshes row `id` from its file's new text (a sync brought a changed version).
    pub fn refresh_parsed(
        tx: &Connection,
        id: i64,
        p: &crate::parse::Parsed,
        body: &str,
    ) -> Result<()> {
        let c = Columns::of(p);
        tx.execute(
            "UPDATE learnings SET title = ?2, summary = ?3, tags = ?4, domain = ?5, severity = ?6, updated_at = ?7 WHERE id = ?1",
            params![id, p.title, c.summary, c.tags, p.domain, c.severity, now_timestamp()],
        )?;
        tx.execute("DELETE FROM lore_fts WHERE rowid = ?", [id])?;
        c.index_text(tx, id, p, body, WordList::Now)
    }

    /// Marks the search index as complete up to the highest row id.
    pub fn mark_indexed(tx: &Connection) -> Result<()> {
        let max: i64 =
            tx.query_row("SELECT ifnull(max(id), 0) FROM learnings", [], |r| r.get(0))?;
        set_meta(tx, "fts_last_id", &max.to_string())
    }

    /// The connection, for a rebuild's bulk work.
    pub fn connection_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Whether any row already points at `filepath` (a new file must never share a row's path).
    pub fn path_in_use(&self, filepath: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM learnings WHERE filepath = ? LIMIT 1",
                [filepath],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn log_lock_event(&self, e: &LockEventRow<'_>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO lock_events (at, pid, host, operation, waited_ms, held_ms, outcome)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![
                now_timestamp(),
                std::process::id(),
                crate::lock::hostname(),
                e.operation,
                e.waited.as_millis() as i64,
                e.held.map(|h| h.as_millis() as i64),
                e.outcome
            ],
        )?;
        Ok(())
    }

    /// Rows matching `filter`, newest first.
    pub fn list(&self, filter: &Filter, limit: usize, offset: usize) -> Result<Vec<Row>> {
        let (clause, mut args) = filter.sql();
        args.push(Value::Integer(limit.min(i64::MAX as usize) as i64));
        args.push(Value::Integer(offset as i64));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM learnings l WHERE 1{clause}
             ORDER BY {NEWEST_FIRST} LIMIT ? OFFSET ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), Row::from_sql)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` rows matching `filter` next to `anchor`, always returned newest first.
    pub fn page(&self, filter: &Filter, anchor: &Anchor, limit: usize) -> Result<Vec<Row>> {
        let (clause, mut args) = filter.sql();
        let (seek, order, reverse) = match anchor {
            Anchor::First => ("", NEWEST_FIRST, false),
            Anchor::Last => ("", "ifnull(l.created_at, '') ASC, l.id ASC", true),
            Anchor::After(_) => (
                " AND (ifnull(l.created_at, ''), l.id) < (?, ?)",
                NEWEST_FIRST,
                false,
            ),
            Anchor::Before(_) => (
                " AND (ifnull(l.created_at, ''), l.id) > (?, ?)",
                "ifnull(l.created_at, '') ASC, l.id ASC",
                true,
            ),
        };
        if let Anchor::After(k) | Anchor::Before(k) = anchor {
            args.push(Value::Text(k.created.clone()));
            args.push(Value::Integer(k.id));
        }
        args.push(Value::Integer(limit as i64));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM learnings l WHERE 1{clause}{seek} ORDER BY {order} LIMIT ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows: Vec<Row> = stmt
            .query_map(rusqlite::params_from_iter(args), Row::from_sql)?
            .collect::<rusqlite::Result<_>>()?;
        if reverse {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Search results `offset..offset + limit`. Up to [`RANKED_MATCHES`] matches are ranked
    /// (bm25, best first); a broader query lists its matches newest first instead, because
    /// ranking scores every match and would make each keystroke wait on the whole store.
    pub fn search_page(
        &mut self,
        query: &str,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Row>> {
        let Some(fts) = self.match_expr(query)? else {
            return Ok(Vec::new());
        };
        let ranked = self.search_count(query, filter)? <= RANKED_MATCHES;
        let (clause, mut args) = filter.sql();
        let mut all = vec![Value::Text(fts)];
        all.append(&mut args);
        all.push(Value::Integer(limit as i64));
        all.push(Value::Integer(offset as i64));
        let order = if ranked { "f.rank" } else { "f.rowid DESC" };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM lore_fts f JOIN learnings l ON l.id = f.rowid
             WHERE lore_fts MATCH ?{clause} ORDER BY {order} LIMIT ? OFFSET ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(all), Row::from_sql)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many rows match `query` and `filter`, counted up to [`RANKED_MATCHES`] + 1 (more
    /// than that reads as "over 1,000": an exact figure would cost a scan of every match).
    /// A blank query counts every row.
    pub fn search_count(&self, query: &str, filter: &Filter) -> Result<u64> {
        // No word to look for (`*`, `'`, only punctuation): nothing matches, as the page says.
        let Some(fts) = self.match_expr(query)? else {
            return Ok(0);
        };
        // The browser asks for the page and the count of the same query at once; the answer
        // holds until anything (this connection or another) writes.
        let key = (fts, filter.clone(), self.data_version()?, self.writes.get());
        if let Some((k, n)) = &*self.last_count.borrow()
            && *k == key
        {
            return Ok(*n);
        }
        let fts = key.0.clone();
        let (clause, mut args) = filter.sql();
        let mut all = vec![Value::Text(fts)];
        all.append(&mut args);
        all.push(Value::Integer(RANKED_MATCHES as i64 + 1));
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM lore_fts f JOIN learnings l ON l.id = f.rowid
             WHERE lore_fts MATCH ?{clause} LIMIT ?)"
        );
        let n = self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(all), |r| {
                r.get::<_, i64>(0)
            })? as u64;
        *self.last_count.borrow_mut() = Some((key, n));
        Ok(n)
    }

    /// The FTS5 expression for what the user typed (see [`fts_query`]), with each word of four
    /// characters or more expanded to the indexed words it is a prefix of, when there are few.
    /// A trailing one-letter word is ignored until the next letter is typed.
    ///
    /// FTS5 answers a prefix with no prefix index of its length by merging the posting lists
    /// of every matching word up front (100 ms at a million learnings); an OR of a few words is
    /// merged lazily, so a capped count or a first page stops early (a few ms).
    fn match_expr(&self, input: &str) -> Result<Option<String>> {
        // The browser asks for a page and a count of the same query: expand it once.
        let key = (input.to_string(), self.data_version()?, self.writes.get());
        if let Some((k, expr)) = &*self.last_expr.borrow()
            && *k == key
        {
            return Ok(expr.clone());
        }
        let expr = self.expand(input)?;
        *self.last_expr.borrow_mut() = Some((key, expr.clone()));
        Ok(expr)
    }

    /// `PRAGMA data_version`: changes when another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    fn expand(&self, input: &str) -> Result<Option<String>> {
        const MAX_EXPANSION: usize = 32;
        let mut parts = Vec::new();
        let mut all: Vec<&str> = words(input).collect();
        // A last word of one letter is still being typed: matching it as a whole word would
        // empty the list for a keystroke, and as a prefix it would match most of the index.
        if all.len() > 1 && all.last().is_some_and(|w| w.chars().count() == 1) {
            all.pop();
        }
        for word in all {
            let lower = word.to_lowercase();
            if lower.chars().count() < 4 || !lower.is_ascii() {
                parts.push(term(word));
                continue;
            }
            let Some(upper) = prefix_end(&lower) else {
                parts.push(term(word));
                continue;
            };
            let found = crate::terms::in_range(&self.conn, &lower, &upper, MAX_EXPANSION + 1)?;
            parts.push(match found.len() {
                // No indexed word starts so: an exact term that cannot match, answered at once.
                0 => format!("\"{}\"", lower.replace('"', "")),
                n if n <= MAX_EXPANSION => {
                    let alts: Vec<String> = found
                        .iter()
                        .map(|t| format!("\"{}\"", t.replace('"', "")))
                        .collect();
                    format!("({})", alts.join(" OR "))
                }
                _ => term(word),
            });
        }
        Ok((!parts.is_empty()).then(|| parts.join(" AND ")))
    }

    /// What the lock inspector charts, from `lock_events`.
    pub fn lock_stats(&self) -> Result<LockStats> {
        let recent = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT at, pid, host, operation, waited_ms, held_ms, outcome FROM lock_events
                 ORDER BY id DESC LIMIT 200",
            )?;
            stmt.query_map([], LockEventView::from_sql)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let timeouts_per_day = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT substr(at, 1, 10) AS day, count(*) FROM lock_events
                 WHERE outcome = 'timeout' GROUP BY day ORDER BY day DESC LIMIT 14",
            )?;
            stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let longest_holds = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT at, pid, host, operation, waited_ms, held_ms, outcome FROM lock_events
                 WHERE held_ms IS NOT NULL ORDER BY held_ms DESC LIMIT 5",
            )?;
            stmt.query_map([], LockEventView::from_sql)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        Ok(LockStats {
            recent,
            timeouts_per_day,
            longest_holds,
        })
    }

    pub fn count(&self, filter: &Filter) -> Result<u64> {
        let (clause, args) = filter.sql();
        let sql = format!("SELECT count(*) FROM learnings l WHERE 1{clause}");
        Ok(self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(args), |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    pub fn get(&self, id: i64) -> Result<Option<Row>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM learnings l WHERE l.id = ?"),
                [id],
                Row::from_sql,
            )
            .optional()?)
    }

    pub fn get_by_path(&self, filepath: &str) -> Result<Option<Row>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM learnings l WHERE l.filepath = ? ORDER BY l.id DESC LIMIT 1"),
                [filepath],
                Row::from_sql,
            )
            .optional()?)
    }

    /// Full-text search over title, summary, tags, domain and the markdown body; best first
    /// (newest first when over [`RANKED_MATCHES`] rows match).
    /// Every word of `query` must match, each as a prefix (`lock cont` finds "lock contention").
    pub fn search(&mut self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<Row>> {
        self.catch_up()?;
        self.search_page(query, filter, 0, limit)
    }

    /// The domains present, most used first.
    pub fn domains(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT domain, count(*) FROM learnings WHERE domain IS NOT NULL AND domain != ''
             GROUP BY domain ORDER BY count(*) DESC, domain",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The store root the `filepath` column is relative to.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// The column values a markdown file read back from git gives its row.
struct Columns {
    kind: &'static str,
    summary: Option<String>,
    tags: String,
    severity: u8,
}

impl Columns {
    fn of(p: &crate::parse::Parsed) -> Columns {
        Columns {
            kind: p.kind.unwrap_or(crate::learning::Kind::Failure).as_str(),
            summary: p.summary_line(),
            tags: p.tags.join(","),
            severity: p
                .severity
                .unwrap_or(crate::learning::Severity::DEFAULT)
                .get(),
        }
    }

    /// Puts row `id`'s text into the search index.
    fn index_text(
        &self,
        tx: &Connection,
        id: i64,
        p: &crate::parse::Parsed,
        body: &str,
        words: WordList,
    ) -> Result<()> {
        fts_insert(
            tx,
            id,
            &p.title,
            self.summary.as_deref(),
            Some(&self.tags),
            p.domain.as_deref(),
            body,
            words,
        )
    }
}

fn set_meta(tx: &Connection, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO lore_meta (key, value) VALUES (?, ?)",
        [key, value],
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn fts_insert(
    tx: &Connection,
    id: i64,
    title: &str,
    summary: Option<&str>,
    tags: Option<&str>,
    domain: Option<&str>,
    body: &str,
    words: WordList,
) -> Result<()> {
    tx.execute(
        "INSERT INTO lore_fts (rowid, title, summary, tags, domain, body) VALUES (?, ?, ?, ?, ?, ?)",
        params![id, title, summary, tags, domain, body],
    )?;
    if words == WordList::AtTheEnd {
        return Ok(());
    }
    let texts = [
        title,
        summary.unwrap_or(""),
        tags.unwrap_or(""),
        domain.unwrap_or(""),
        body,
    ];
    crate::terms::add(tx, &texts)
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
            source,
        },
        Some(_) => Error::io(path, std::io::Error::other(source.to_string())),
    }
}

/// `e` said plainly when it is SQLite failing for want of space in `dir` (it may call that a
/// "disk I/O error"): "No space left on device".
pub fn explain_full(e: Error, dir: &Path) -> Error {
    use rusqlite::ErrorCode;
    let io = match &e {
        Error::Sqlite(s) => s.sqlite_error_code(),
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

/// Turns what a user typed into an FTS5 query: every word must match as a prefix; FTS5 syntax
/// characters in the input are treated as text, never as operators.
///
/// A one-character word matches only as a whole word: as a prefix it would match most of the
/// vocabulary (there is no one-character prefix index) and make the first keystroke of every
/// search the slowest.
pub fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> = words(input).map(term).collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The words of a query: split at white space, control characters and ASCII punctuation (`_`
/// stays inside words, as the tokenizer keeps it).
fn words(input: &str) -> impl Iterator<Item = &str> {
    input
        .split(|c: char| {
            c.is_whitespace() || c.is_control() || (c.is_ascii_punctuation() && c != '_')
        })
        .filter(|w| !w.is_empty())
}

/// The first string after every string that starts with the ASCII `prefix` (its last byte
/// plus one), or `None` when there is no such ASCII string.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    let last = bytes.last_mut()?;
    if !prefix.is_ascii() || *last >= 0x7f {
        return None;
    }
    *last += 1;
    String::from_utf8(bytes).ok()
}

/// One word as a quoted FTS5 term: a prefix, or a whole word for a single character.
fn term(w: &str) -> String {
    let star = if w.chars().count() > 1 { "*" } else { "" };
    format!("\"{}\"{star}", w.replace('"', ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_every_word() {
        assert_eq!(
            fts_query("lock cont").as_deref(),
            Some("\"lock\"* \"cont\"*")
        );
        assert_eq!(fts_query("a lock").as_deref(), Some("\"a\" \"lock\"*"));
        assert_eq!(
            fts_query("ab\"cd OR -ef").as_deref(),
            Some("\"ab\"* \"cd\"* \"OR\"* \"ef\"*")
        );
        assert_eq!(fts_query("  ** "), None);
    }

    #[test]
    fn prefix_ends_bound_exactly_the_words_they_start() {
        assert_eq!(prefix_end("depl").as_deref(), Some("depm"));
        assert_eq!(prefix_end("abc~").as_deref(), Some("abc\u{7f}"));
        assert_eq!(prefix_end("abc\u{7f}"), None);
        assert_eq!(prefix_end("café"), None);
        assert_eq!(prefix_end(""), None);
        assert_eq!(
            words("ab\u{7f}cd\u{1}ef gh").collect::<Vec<_>>(),
            ["ab", "cd", "ef", "gh"]
        );
    }

    #[test]
    fn paths_stay_inside() {
        let root = Path::new("/s");
        assert!(resolve_inside(root, "memory/failures/a.md").is_some());
        assert!(resolve_inside(root, "../etc/passwd").is_none());
        assert!(resolve_inside(root, "/etc/passwd").is_none());
        assert!(resolve_inside(root, "memory/../../x").is_none());
    }
}
