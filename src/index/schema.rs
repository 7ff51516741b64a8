//! The index's schema: `learnings` as lore makes it (the installer's vintage), lore's own
//! tables, and opening an index of any vintage, adding only what lore needs.

use super::*;

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
CREATE TABLE IF NOT EXISTS lore_moves (old_path TEXT PRIMARY KEY, id INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS lore_settled (id INTEGER PRIMARY KEY, filepath TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS lore_learnings_filepath ON learnings(filepath);
DROP INDEX IF EXISTS lore_learnings_newest;
CREATE INDEX IF NOT EXISTS lore_learnings_order ON learnings(ifnull(created_at, '') DESC, id DESC);
CREATE INDEX IF NOT EXISTS lore_learnings_severity ON learnings(coalesce(CAST(severity AS INTEGER), 0) DESC, ifnull(created_at, '') DESC, id DESC);
CREATE INDEX IF NOT EXISTS lore_learnings_domain ON learnings(CAST(ifnull(domain, '') AS TEXT), ifnull(created_at, '') DESC, id DESC);
CREATE VIRTUAL TABLE IF NOT EXISTS lore_fts USING fts5(
    title, summary, tags, domain, body,
    content='', contentless_delete=1,
    tokenize='unicode61 remove_diacritics 2', prefix='2 3'
);
CREATE VIRTUAL TABLE IF NOT EXISTS lore_fts_vocab USING fts5vocab(lore_fts, 'row');
";

impl Index {
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
        // checkpointed every 256 pages: the first connection of each process reads the whole
        // WAL to rebuild its index, so a larger one slows every start, while a smaller one
        // checkpoints more often, and each checkpoint's two fsyncs cost a save dearly on a
        // journaled file system (BENCHMARKS.md, "Measurements behind the code").
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
        tx.execute_batch(crate::index::terms::SCHEMA).map_err(bad)?;
        if !had_terms {
            // An index from before the word list: list the words it already holds (once).
            crate::index::terms::fill_from_index(&tx)?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO lore_meta (key, value) VALUES ('schema_version', ?)",
            [SCHEMA_VERSION.to_string()],
        )
        .map_err(bad)?;
        tx.commit().map_err(bad)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column the fields table names is one of the `learnings` table lore creates.
    #[test]
    fn the_fields_table_names_columns_of_learnings() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(CREATE_LEARNINGS).unwrap();
        let columns: Vec<String> = conn
            .prepare("SELECT name FROM pragma_table_info('learnings')")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let named: Vec<&str> = crate::learning::FIELDS
            .iter()
            .filter_map(|s| s.column)
            .collect();
        assert!(!named.is_empty());
        for c in named {
            assert!(
                columns.iter().any(|k| k == c),
                "no column {c} in {columns:?}"
            );
        }
    }
}
