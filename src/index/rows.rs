//! Writing rows: a learning saved, a file read back from git inserted or rewritten, a row's
//! search text.

use super::*;
use rusqlite::params;

impl Index {
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
        fts_insert(conn, id, &SearchText::of_row(&row, body), WordList::Now)
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
        let text = SearchText {
            title: &title,
            summary: summary.as_deref(),
            tags: tags.as_deref(),
            domain: domain.as_deref(),
            body,
        };
        fts_insert(tx, id, &text, words)
    }

    /// Deletes learning `id`'s row and its search text. The table's AUTOINCREMENT (every
    /// vintage of the script's schema has it) keeps the id from being handed out again.
    pub fn remove_in(conn: &Connection, id: i64) -> Result<()> {
        conn.execute("DELETE FROM lore_fts WHERE rowid = ?", [id])?;
        conn.execute("DELETE FROM learnings WHERE id = ?", [id])?;
        Ok(())
    }

    /// Inserts the row for a learning saved at `filepath` with markdown `body`, and gives it
    /// back as a reader would see it.
    pub fn insert(tx: &Connection, l: &Learning, filepath: &str, body: &str) -> Result<Row> {
        let now = now_timestamp();
        let tags = l.tags_joined();
        tx.execute(
            "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![l.kind.as_str(), filepath, l.title(), l.summary_line(), tags, l.domain(), l.severity.get(), now],
        )?;
        let id = tx.last_insert_rowid();
        let text = SearchText {
            title: l.title(),
            summary: Some(l.summary_line()),
            tags: Some(&tags),
            domain: Some(l.domain()),
            body,
        };
        fts_insert(tx, id, &text, WordList::Now)?;
        set_meta(tx, "fts_last_id", &id.to_string())?;
        Ok(Row {
            id,
            kind: l.kind.as_str().to_string(),
            title: l.title().to_string(),
            summary: Some(l.summary_line().to_string()),
            tags: Some(tags),
            domain: Some(l.domain().to_string()),
            severity: Some(l.severity.get()),
            filepath: filepath.to_string(),
            created_at: Some(now.clone()),
            updated_at: Some(now),
            lead: None,
        })
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

    /// Inserts a row for each of `files` (path, blob) that has none yet, inside the caller's
    /// transaction; returns their paths.
    pub fn import_missing(
        conn: &Connection,
        repo: &crate::git::Repo,
        files: &[(String, crate::git::Oid)],
    ) -> Result<Vec<String>> {
        let mut added = Vec::new();
        let mut undated = Vec::new();
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
            let row =
                Index::insert_parsed(conn, None, path, &parsed, &created, &text, WordList::Now)?;
            if parsed.date.is_none() {
                undated.push((row, path.clone()));
            }
            added.push(path.clone());
        }
        Index::date_by_commit(conn, repo, &undated)?;
        Index::mark_indexed(conn)?;
        Ok(added)
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
        let text = SearchText {
            title: &p.title,
            summary: self.summary.as_deref(),
            tags: Some(&self.tags),
            domain: p.domain.as_deref(),
            body,
        };
        fts_insert(tx, id, &text, words)
    }
}

pub(super) fn set_meta(tx: &Connection, key: &str, value: &str) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO lore_meta (key, value) VALUES (?, ?)",
        [key, value],
    )?;
    Ok(())
}

/// What full-text search holds of a learning: its columns' text and its markdown.
pub(super) struct SearchText<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub tags: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub body: &'a str,
}

impl<'a> SearchText<'a> {
    pub fn of_row(row: &'a Row, body: &'a str) -> SearchText<'a> {
        SearchText {
            title: &row.title,
            summary: row.summary.as_deref(),
            tags: row.tags.as_deref(),
            domain: row.domain.as_deref(),
            body,
        }
    }
}

/// Puts learning `id`'s text into the search index (and its words into the word list, now
/// or, for a rebuild, at the end).
pub(super) fn fts_insert(
    tx: &Connection,
    id: i64,
    text: &SearchText<'_>,
    words: WordList,
) -> Result<()> {
    let SearchText {
        title,
        summary,
        tags,
        domain,
        body,
    } = *text;
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
    crate::index::terms::add(tx, &texts)
}
