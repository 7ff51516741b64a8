//! Rebuilding lore's part of `memory/index.db` from the markdown in HEAD, the source of truth
//! (for `lore reindex`).
//!
//! When the old index can be read, the rebuild starts from a page-by-page copy of it (SQLite's
//! backup), so what lore does not own survives exactly as it was: other tools' tables and every
//! row in them (rows that break their foreign keys included), views, triggers, indexes,
//! AUTOINCREMENT counters, and the `learnings` rows no markdown file in HEAD backs. In the copy,
//! with every trigger set aside so that none fires, each row backed by a file in HEAD is
//! rewritten from that file in place (same id, other tools' extra columns untouched), files
//! without a row get ids after every id ever handed out, and the search index is built anew.
//! The finished copy is checked (other tools' schema as before, no counter gone back) and only
//! then written over the live index, in one SQLite transaction: readers never see half an
//! index, readers that have it open see the new one, and a failure anywhere leaves the old
//! one as it was.
//!
//! When the old index cannot be read at all, a new one is built from HEAD and the unreadable
//! file is kept beside it as `index.db.corrupt-<time>` for whoever wants to recover from it.

use std::collections::HashMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use serde::Serialize;

use super::{Index, WordList, read_body};
use crate::error::IndexFailure;
use crate::error::{Error, Result};
use crate::lock;
use crate::parse::{self, Parsed};
use crate::report::Flagged;
use crate::store::Store;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Markdown files indexed from HEAD.
    pub files: usize,
    /// Rows kept from the old index because no markdown file in HEAD backs them.
    pub kept_rows: usize,
    /// Other tools' tables, carried over with every row.
    pub kept_tables: Vec<String>,
    /// Whether the old index could be read at all.
    pub old_index_read: bool,
    /// Rows that named the same file as an earlier row (an old index's duplicates): dropped,
    /// the earliest row of each file kept.
    pub duplicate_rows: usize,
    /// Where the unreadable old index was kept, when it could not be read.
    pub corrupt_kept: Option<PathBuf>,
    /// Files that were indexed with what could be read: (path, problems).
    pub flagged: Vec<Flagged>,
    /// Said beside success (see [`write::Written::warnings`]).
    pub warnings: Vec<String>,
}

/// What was found at the index's path.
enum Old {
    Absent,
    Readable(Connection),
    /// Not a database, or a damaged one: why.
    Unreadable(String),
}

/// Errors that say the file itself is not a sound database (as opposed to busy, or denied).
fn damaged(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

fn open_old(path: &Path) -> Result<Old> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Old::Absent),
        Err(e) => return Err(Error::io(path, e)),
        Ok(_) => super::refuse_links(path)?,
    }
    let bad = |source| super::unusable(path, source);
    let conn = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) if damaged(&e) => return Ok(Old::Unreadable(e.to_string())),
        Err(e) => return Err(bad(e)),
    };
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(bad)?;
    match conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)) {
        Ok(ok) if ok == "ok" => Ok(Old::Readable(conn)),
        Ok(problem) => Ok(Old::Unreadable(problem)),
        Err(e) if damaged(&e) => Ok(Old::Unreadable(e.to_string())),
        Err(e) => Err(bad(e)),
    }
}

/// Objects lore owns and rebuilds; everything else in the file is someone else's.
fn owned_by_lore(name: &str) -> bool {
    name.starts_with("lore_") || name.starts_with("sqlite_") || name == "lock_events"
}

/// A rebuilt index in its work file, waiting to be put in place; its work files go whatever
/// happens.
pub struct Rebuilt {
    work: PathBuf,
    index_path: PathBuf,
    target: Target,
}

enum Target {
    /// Written over the old index, which could be read (one SQLite transaction).
    Over(Connection),
    /// Renamed into the empty place.
    Fresh,
    /// The unreadable old index moved aside to this path first.
    Aside(PathBuf),
}

impl Rebuilt {
    pub fn install(mut self, store: &Store) -> Result<()> {
        match std::mem::replace(&mut self.target, Target::Fresh) {
            Target::Over(mut old) => {
                let rebuilt =
                    Connection::open_with_flags(&self.work, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                copy_whole(&rebuilt, &mut old)?;
            }
            Target::Fresh => install(&self.work, &self.index_path)?,
            Target::Aside(aside) => {
                set_aside(store, &self.index_path, &aside)?;
                install(&self.work, &self.index_path)?;
            }
        }
        // Once more through lore's open, so a new file gets its settings (WAL) at once.
        Index::open(store).map(drop)
    }
}

impl Drop for Rebuilt {
    fn drop(&mut self) {
        remove_db_files(&self.work);
    }
}

/// The rebuild's work file, in the git directory (out of the work tree and of `git status`),
/// named with this process's tag so that one left by a kill is known for what it is.
fn work_path(store: &Store) -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let dir = store.git_dir().join("lore");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| Error::io(&dir, e))?;
    Ok(dir.join(format!("reindex-{}.db", lock::creator_tag())))
}

/// A database file and the journal files SQLite keeps beside it.
fn db_files(path: &Path) -> [PathBuf; 4] {
    let with = |suffix: &str| PathBuf::from(format!("{}{suffix}", path.display()));
    [
        path.to_path_buf(),
        with("-wal"),
        with("-shm"),
        with("-journal"),
    ]
}

fn remove_db_files(path: &Path) {
    for f in db_files(path) {
        let _ = fs::remove_file(f);
    }
}

/// Creates an empty private file (the index holds titles and summaries; SQLite would make it
/// 0644).
fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| Error::io(path, e))
}

/// Builds the new index in its work file, with the old one untouched.
pub fn rebuild(store: &Store) -> Result<(Report, Rebuilt)> {
    let repo = store.repo()?;
    // Read before the files: should HEAD move meanwhile, the next read takes in the change.
    let head = crate::git::head_commit(&repo)?;
    let files = crate::git::history::head_markdown_ids(&repo)?;
    let index_path = store.index_path();
    let work = work_path(store)?;
    remove_db_files(&work);
    let mut report = Report::default();
    let mut rebuilt = Rebuilt {
        work: work.clone(),
        index_path: index_path.clone(),
        target: Target::Fresh,
    };
    match open_old(&index_path)? {
        Old::Readable(mut old) => {
            report.old_index_read = true;
            rebuild_copy(store, &repo, &mut old, &work, (&files, head), &mut report)?;
            rebuilt.target = Target::Over(old);
        }
        Old::Absent => build_fresh(store, &repo, &work, (&files, head), &mut report)?,
        Old::Unreadable(why) => {
            log::warn!("the old index cannot be read ({why}); building a new one");
            build_fresh(store, &repo, &work, (&files, head), &mut report)?;
            let aside = aside_path(&index_path)?;
            report.corrupt_kept = Some(aside.clone());
            rebuilt.target = Target::Aside(aside);
        }
    }
    Ok((report, rebuilt))
}

/// Copies database `from` whole into the (new, empty) file `to`, or over the database `to` is
/// connected to, in one step: one read transaction on the source, one write on the target.
fn copy_whole(from: &Connection, to: &mut Connection) -> Result<()> {
    match Backup::new(from, to)?.step(-1)? {
        StepResult::Done => Ok(()),
        _ => Err(Error::Index(IndexFailure::BusyWhileCopied)),
    }
}

/// The schema of everything lore does not own: (type, name, table, SQL), sorted.
type Schema = Vec<(String, String, String, Option<String>)>;

fn foreign_schema(conn: &Connection) -> Result<Schema> {
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name, tbl_name",
    )?;
    let all = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<Schema>>()?;
    // `learnings` itself is lore's to extend (a missing `updated_at` column is added).
    Ok(all
        .into_iter()
        .filter(|(kind, name, table, _)| {
            let learnings = kind == "table" && name == "learnings";
            !(owned_by_lore(name) || owned_by_lore(table) || learnings)
        })
        .collect())
}

/// `sqlite_sequence`: each AUTOINCREMENT table's highest id ever handed out.
fn sequences(conn: &Connection) -> Result<HashMap<String, i64>> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'sqlite_sequence'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(HashMap::new());
    }
    let mut stmt = conn.prepare("SELECT name, seq FROM sqlite_sequence")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn rebuild_copy(
    store: &Store,
    repo: &crate::git::Repo,
    old: &mut Connection,
    work: &Path,
    head_files: (&[(String, crate::git::Oid)], Option<crate::git::Oid>),
    report: &mut Report,
) -> Result<()> {
    create_private(work)?;
    copy_whole(old, &mut Connection::open(work)?)?;
    crate::fault::point("reindex-copied")?;
    let schema_before = foreign_schema(old)?;
    let sequences_before = sequences(old)?;
    report.kept_tables = schema_before
        .iter()
        .filter(|(kind, ..)| kind == "table")
        .map(|(_, name, ..)| name.clone())
        .collect();
    let triggers = {
        let conn = Connection::open(work)?;
        let triggers = set_aside_triggers(&conn)?;
        // lore's derived tables go; `Index::open_at` makes them again, empty.
        conn.execute_batch(
            "DROP TABLE IF EXISTS lore_fts_vocab;
             DROP TABLE IF EXISTS lore_fts;
             DROP TABLE IF EXISTS lore_terms;",
        )?;
        let has_meta: bool = conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'lore_meta'",
            [],
            |r| r.get(0),
        )?;
        if has_meta {
            conn.execute(
                "DELETE FROM lore_meta WHERE key IN ('schema_version', 'fts_last_id', 'head')",
                [],
            )?;
        }
        triggers
    };
    let mut index = Index::open_at(work.to_path_buf(), store.root())?;
    {
        let conn = index.connection_mut();
        // Other tools' rows may break their foreign keys; nothing here may trip over them.
        conn.pragma_update(None, "foreign_keys", false)?;
        let tx = conn.transaction()?;
        fill_rows(&tx, store.root(), repo, head_files, report)?;
        for sql in &triggers {
            tx.execute_batch(sql)?;
        }
        tx.commit()?;
        finish(conn)?;
    }
    drop(index);
    let rebuilt = Connection::open_with_flags(work, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let schema_after = foreign_schema(&rebuilt)?;
    if schema_after != schema_before {
        return Err(Error::Index(IndexFailure::ForeignSchemaChanged));
    }
    let sequences_after = sequences(&rebuilt)?;
    for (name, before) in &sequences_before {
        let after = sequences_after.get(name).copied().unwrap_or(0);
        let kept = if name == "learnings" {
            after >= *before
        } else {
            after == *before
        };
        if !kept {
            return Err(Error::Index(IndexFailure::CounterMoved {
                table: name.clone(),
                before: *before,
                after,
            }));
        }
    }
    Ok(())
}

/// Drops every trigger (so that rewriting `learnings` fires none) and returns their SQL, in
/// the order they were made, to be made again afterwards exactly as they were.
fn set_aside_triggers(conn: &Connection) -> Result<Vec<String>> {
    let triggers: Vec<(String, String)> = {
        let mut stmt = conn.prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL ORDER BY rowid",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (name, _) in &triggers {
        conn.execute_batch(&format!("DROP TRIGGER \"{}\"", name.replace('"', "\"\"")))?;
    }
    Ok(triggers.into_iter().map(|(_, sql)| sql).collect())
}

/// Brings `learnings` and the search index in line with HEAD: rows backed by a file are
/// rewritten from it in place, files without a row get one, the others keep theirs.
fn fill_rows(
    tx: &rusqlite::Transaction<'_>,
    root: &Path,
    repo: &crate::git::Repo,
    (files, head): (&[(String, crate::git::Oid)], Option<crate::git::Oid>),
    report: &mut Report,
) -> Result<()> {
    let in_head: std::collections::HashSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, ifnull(filepath, '') FROM learnings ORDER BY id")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut known: HashMap<String, i64> = HashMap::new();
    for (id, path) in rows {
        if !in_head.contains(path.as_str()) {
            // Not backed by a file in HEAD: someone else's row, kept as it is.
            let body = read_body(root, &path).unwrap_or_default();
            Index::index_row_text(tx, id, &body, WordList::AtTheEnd)?;
            report.kept_rows += 1;
        } else if let std::collections::hash_map::Entry::Vacant(first) = known.entry(path) {
            first.insert(id);
        } else {
            tx.execute("DELETE FROM learnings WHERE id = ?", [id])?;
            report.duplicate_rows += 1;
        }
    }
    // Every known id is in place before a new one is handed out, so none can collide.
    let mut sorted: Vec<&(String, crate::git::Oid)> = files.iter().collect();
    // Rows of files without a Date line, dated by the commit that added the file.
    let mut undated = Vec::new();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, blob) in sorted {
        let blob = repo.blob(*blob)?;
        let text = String::from_utf8_lossy(&blob);
        let parsed: Parsed = parse::parse(&text, path);
        if !parsed.problems.is_empty() {
            report.flagged.push(Flagged {
                path: path.clone(),
                problems: parsed.problems.clone(),
            });
        }
        match known.get(path) {
            Some(&id) => Index::rewrite_parsed(tx, id, &parsed, &text, WordList::AtTheEnd)?,
            None => {
                let row = Index::insert_parsed(
                    tx,
                    None,
                    path,
                    &parsed,
                    &parsed.created_at(),
                    &text,
                    WordList::AtTheEnd,
                )?;
                if parsed.date.is_none() {
                    undated.push((row, path.clone()));
                }
            }
        }
        report.files += 1;
    }
    Index::date_by_commit(tx, repo, &undated)?;
    // Listed once from the search index: cheaper than tokenizing every file a second time.
    super::terms::fill_from_index(tx)?;
    Index::mark_indexed(tx)?;
    if let Some(head) = head {
        Index::set_followed(tx, head)?;
    }
    Ok(())
}

/// Folds the work file's WAL into it, so that it is one self-contained file.
fn finish(conn: &Connection) -> Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    conn.pragma_update(None, "journal_mode", "delete")?;
    Ok(())
}

/// A new index holding every learning in HEAD, in `work`.
fn build_fresh(
    store: &Store,
    repo: &crate::git::Repo,
    work: &Path,
    head_files: (&[(String, crate::git::Oid)], Option<crate::git::Oid>),
    report: &mut Report,
) -> Result<()> {
    create_private(work)?;
    let mut index = Index::open_at(work.to_path_buf(), store.root())?;
    let conn = index.connection_mut();
    let tx = conn.transaction()?;
    fill_rows(&tx, store.root(), repo, head_files, report)?;
    tx.commit()?;
    finish(conn)
}

/// Where an unreadable index is kept: `index.db.corrupt-<time>`, free with its journals.
fn aside_path(index_path: &Path) -> Result<PathBuf> {
    let stamp = crate::clock::now().strftime("%Y%m%d-%H%M%S").to_string();
    let name = |n: u32| {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        PathBuf::from(format!("{}.corrupt-{stamp}{suffix}", index_path.display()))
    };
    (1..1000)
        .map(name)
        .find(|p| db_files(p).iter().all(|f| fs::symlink_metadata(f).is_err()))
        .ok_or(Error::Index(IndexFailure::TooManyCorruptCopies))
}

/// Moves the unreadable index (and its journal files) to `aside`, kept out of git.
fn set_aside(store: &Store, index_path: &Path, aside: &Path) -> Result<()> {
    for (from, to) in db_files(index_path).iter().zip(db_files(aside)) {
        match fs::rename(from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound && from != index_path => {}
            Err(e) => return Err(Error::io(from, e)),
        }
    }
    if let Err(e) = store.keep_out_of_git(crate::store::CORRUPT_INDEX_PATTERN) {
        log::warn!("could not keep {} out of git: {e}", aside.display());
    }
    Ok(())
}

/// Puts the finished work file in place as the index, never over a file someone made there
/// meanwhile; across file systems, by copying it.
fn install(work: &Path, index_path: &Path) -> Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, work, CWD, index_path, RenameFlags::NOREPLACE) {
        Ok(()) => return Ok(()),
        Err(rustix::io::Errno::EXIST) => {
            return Err(Error::Index(IndexFailure::CreatedMeanwhile {
                path: index_path.to_path_buf(),
            }));
        }
        // Not supported by this file system: the index's place was checked empty above, and
        // the store lock keeps other lore processes out.
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
            if fs::rename(work, index_path).is_ok() {
                return Ok(());
            }
        }
        Err(rustix::io::Errno::XDEV) => {}
        Err(e) => return Err(Error::io(index_path, e.into())),
    }
    create_private(index_path)?;
    let from = Connection::open_with_flags(work, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    copy_whole(&from, &mut Connection::open(index_path)?)
}
