//! `lore reindex`: rebuild `memory/index.db` from the markdown in HEAD, the source of truth.
//!
//! The new index is built in a separate file and renamed over the old one, so a reader never
//! sees half an index and a failed rebuild changes nothing. Where the old index can still be
//! read, what lore does not own survives: other tools' tables and their rows, `learnings` rows
//! that point at no markdown file in HEAD (other tools' types, files outside `memory/`), the
//! table's own schema with its CHECKs and triggers, the lock history, and the ids of learnings
//! (so `#42` still means the same entry).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::index::{Index, WordList, read_body};
use crate::lock::{self, LockOptions};
use crate::parse::{self, Parsed};
use crate::store::Store;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Markdown files indexed from HEAD.
    pub files: usize,
    /// Rows kept from the old index because no markdown file in HEAD backs them.
    pub kept_rows: usize,
    /// Other tools' tables copied over.
    pub kept_tables: Vec<String>,
    /// Whether the old index could be read at all.
    pub old_index_read: bool,
    /// Files that were indexed with what could be read: (path, problems).
    pub flagged: Vec<(String, Vec<String>)>,
    /// Anything that could not be carried over.
    pub warnings: Vec<String>,
}

/// The markdown files under `memory/` in HEAD: (path, blob id), in tree order. Contents are
/// read one at a time by whoever needs them: a million files would not fit in memory at once.
pub fn head_markdown_ids(repo: &git2::Repository) -> Result<Vec<(String, git2::Oid)>> {
    let mut out = Vec::new();
    let Some(tree) = crate::gitops::head_tree(repo)? else {
        return Ok(out);
    };
    let Ok(memory) = tree.get_path(Path::new("memory")) else {
        return Ok(out);
    };
    let memory = repo.find_tree(memory.id())?;
    memory.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let name = entry.name().unwrap_or("");
        if entry.kind() == Some(git2::ObjectType::Blob) && name.ends_with(".md") {
            out.push((format!("memory/{dir}{name}"), entry.id()));
        }
        git2::TreeWalkResult::Ok
    })?;
    Ok(out)
}

/// The markdown files under `memory/` in HEAD: (path, content).
pub fn head_markdown(repo: &git2::Repository) -> Result<Vec<(String, Vec<u8>)>> {
    head_markdown_ids(repo)?
        .into_iter()
        .map(|(path, id)| Ok((path, repo.find_blob(id)?.content().to_vec())))
        .collect()
}

/// The old index, if it can be read, with its WAL folded in.
fn open_old(path: &Path) -> Option<Connection> {
    if !path.exists() {
        return None;
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).ok()?;
    conn.busy_timeout(std::time::Duration::from_secs(30)).ok()?;
    let ok: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .ok()?;
    if ok != "ok" {
        return None;
    }
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .ok()?;
    Some(conn)
}

fn owned_by_lore(name: &str) -> bool {
    name.starts_with("lore_") || name.starts_with("sqlite_") || name == "lock_events"
}

pub fn reindex(store: &Store, opts: &LockOptions) -> Result<Report> {
    let guard = lock::acquire(&store.lock_paths(), opts, &mut |_| {})?;
    let result = rebuild(store);
    drop(guard);
    result
}

fn rebuild(store: &Store) -> Result<Report> {
    let repo = store.repo()?;
    // Read before the files: should HEAD move meanwhile, the next read takes in the change.
    let head = crate::gitops::head_commit(&repo)?;
    let files = head_markdown_ids(&repo)?;
    let index_path = store.index_path();
    let tmp = index_path.with_extension(format!("db.rebuild-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    let mut report = Report::default();
    let old = open_old(&index_path);
    report.old_index_read = old.is_some();
    let result = build(
        store,
        &repo,
        &tmp,
        old.as_ref(),
        (&files, head),
        &mut report,
    );
    drop(old);
    for suffix in ["-wal", "-shm", "-journal"] {
        let _ = fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // The old WAL was checkpointed; it must not be replayed into the new file.
    for suffix in ["-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", index_path.display()));
    }
    fs::rename(&tmp, &index_path).map_err(|e| Error::io(&index_path, e))?;
    // Reopen once so the new file gets lore's settings (WAL) before anyone else uses it.
    Index::open(store)?;
    Ok(report)
}

fn build(
    store: &Store,
    repo: &git2::Repository,
    tmp: &Path,
    old: Option<&Connection>,
    (files, head): (&[(String, git2::Oid)], Option<git2::Oid>),
    report: &mut Report,
) -> Result<()> {
    let mut known: HashMap<String, (i64, Option<String>)> = HashMap::new();
    {
        let conn = Connection::open(tmp)?;
        conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
        if let Some(old) = old {
            carry_over(&conn, old, files, &mut known, report)?;
        }
    }
    let mut index = Index::open_at(tmp.to_path_buf(), store.root())?;
    let root = store.root().to_path_buf();
    let conn = index.connection_mut();
    let tx = conn.transaction()?;
    // Search text for the rows kept from the old index.
    let kept: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, filepath FROM learnings")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, path) in &kept {
        let body = read_body(&root, path).unwrap_or_default();
        Index::index_row_text(&tx, *id, &body, WordList::AtTheEnd)?;
    }
    let mut sorted: Vec<&(String, git2::Oid)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, id) in sorted {
        let blob = repo.find_blob(*id)?;
        let text = String::from_utf8_lossy(blob.content());
        let parsed: Parsed = parse::parse(&text, path);
        let (id, created) = match known.get(path) {
            Some((id, created)) => (Some(*id), created.clone()),
            None => (None, None),
        };
        let created = created.unwrap_or_else(|| parsed.created_at());
        if !parsed.problems.is_empty() {
            report.flagged.push((path.clone(), parsed.problems.clone()));
        }
        Index::insert_parsed(&tx, id, path, &parsed, &created, &text, WordList::AtTheEnd)?;
        report.files += 1;
    }
    // Listed once from the search index: cheaper than tokenizing every file a second time.
    crate::terms::fill_from_index(&tx)?;
    Index::mark_indexed(&tx)?;
    if let Some(head) = head {
        Index::set_followed(&tx, head)?;
    }
    tx.commit()?;
    // Everything into the one file that is renamed into place: no WAL left beside it.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    conn.pragma_update(None, "journal_mode", "delete")?;
    Ok(())
}

/// Copies from the old index what lore does not rebuild: schema, other tables, kept rows.
fn carry_over(
    conn: &Connection,
    old: &Connection,
    files: &[(String, git2::Oid)],
    known: &mut HashMap<String, (i64, Option<String>)>,
    report: &mut Report,
) -> Result<()> {
    let objects: Vec<(String, String, String, Option<String>)> = {
        let mut stmt =
            old.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let old_path: String = old.query_row("PRAGMA database_list", [], |r| r.get(2))?;
    conn.execute("ATTACH DATABASE ? AS old", [&old_path])?;
    let in_head: std::collections::HashSet<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    // Tables first, with their data; indexes and triggers after, so copying is not slowed or
    // stopped by them.
    for (kind, name, _, sql) in objects.iter().filter(|o| o.0 == "table") {
        let Some(sql) = sql else { continue };
        if owned_by_lore(name) && name != "lock_events" {
            continue;
        }
        if let Err(e) = conn.execute_batch(sql) {
            report
                .warnings
                .push(format!("{kind} {name} could not be recreated: {e}"));
            continue;
        }
        let quoted = name.replace('"', "\"\"");
        let copied = if name == "learnings" {
            // Rows backed by a file in HEAD are rebuilt from it; the others are kept.
            let rows: Vec<(i64, String, Option<String>)> = {
                let mut stmt = old.prepare("SELECT id, filepath, created_at FROM learnings")?;
                stmt.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                        r.get(2).ok().flatten(),
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?
            };
            let mut kept = Vec::new();
            for (id, path, created) in rows {
                if in_head.contains(path.as_str()) {
                    known.entry(path).or_insert((id, created));
                } else {
                    kept.push(id);
                }
            }
            let mut n = 0;
            for id in &kept {
                n += conn.execute(
                    "INSERT INTO main.learnings SELECT * FROM old.learnings WHERE id = ?",
                    [id],
                )?;
            }
            report.kept_rows = n;
            Ok(n)
        } else {
            conn.execute(
                &format!("INSERT INTO main.\"{quoted}\" SELECT * FROM old.\"{quoted}\""),
                [],
            )
        };
        match copied {
            Ok(_) if name != "learnings" && name != "lock_events" => {
                report.kept_tables.push(name.clone())
            }
            Ok(_) => {}
            Err(e) => report
                .warnings
                .push(format!("rows of {name} could not be copied: {e}")),
        }
    }
    for (kind, name, table, sql) in objects
        .iter()
        .filter(|o| o.0 == "index" || o.0 == "trigger")
    {
        let Some(sql) = sql else { continue };
        if owned_by_lore(name) || owned_by_lore(table) && table != "lock_events" {
            continue;
        }
        if let Err(e) = conn.execute_batch(sql) {
            report
                .warnings
                .push(format!("{kind} {name} could not be recreated: {e}"));
        }
    }
    conn.execute_batch("DETACH DATABASE old")?;
    Ok(())
}
