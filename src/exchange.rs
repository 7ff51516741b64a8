//! Moving in and out: `lore adopt` (stop tracking an old store's index in git), `lore import`
//! (markdown learnings from another store or folder, in one commit) and `lore export`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::{self, Oid};
use crate::index::{Anchor, Filter, Index, Row, WordList, read_body};
use crate::lock::LockOptions;
use crate::parse;
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

#[derive(Debug, Clone, Default, Serialize)]
pub struct Imported {
    pub imported: Vec<(String, String)>,
    pub duplicates: Vec<String>,
    pub flagged: Vec<(String, Vec<String>)>,
    pub commit: Option<String>,
    /// Said beside success (see [`write::Written::warnings`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn markdown_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::io(path, e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        entries.sort();
        for e in entries {
            markdown_files(&e, out)?;
        }
    } else if meta.is_file() && path.extension().is_some_and(|e| e == "md") {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// A file to import, read up to the largest learning lore accepts: a device or a runaway file
/// is refused instead of filling memory.
fn read_capped(file: &Path) -> Result<Vec<u8>> {
    use crate::learning::limits;
    std::fs::File::open(file)
        .and_then(|f| limits::read_within(f, limits::BODY))
        .map_err(|e| Error::io(file, e))?
        .ok_or_else(|| {
            Error::invalid(
                "import",
                format!(
                    "{} is larger than a learning can be ({} characters)",
                    file.display(),
                    limits::BODY
                ),
            )
        })
}

/// How many `-N` suffixes an imported learning's name may take.
const MAX_SUFFIX: u32 = 10_000;

/// Imports markdown learnings (files, or folders searched for `*.md`) in one commit, skipping
/// files whose exact text the store already holds.
pub fn import(
    store: &Store,
    sources: &[PathBuf],
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Imported> {
    let mut files = Vec::new();
    for s in sources {
        markdown_files(s, &mut files)?;
    }
    // Read before the lock is taken: the files are outside the store.
    let read: Vec<(PathBuf, Vec<u8>)> = files
        .into_iter()
        .map(|f| read_capped(&f).map(|b| (f, b)))
        .collect::<Result<_>>()?;
    let mut index = write::open_index(store, "import")?;
    let today = crate::clock::now().date().strftime("%Y%m%d").to_string();
    let written = write::write(store, &mut index, opts, progress, |tx| {
        let mut report = Imported::default();
        let mut known: HashSet<Oid> = git::history::head_markdown_ids(tx.repo())?
            .into_iter()
            .map(|(_, blob)| blob)
            .collect();
        let head_tree = git::head_tree(tx.repo())?;
        for (file, bytes) in &read {
            let oid = git::hash_blob(bytes);
            if !known.insert(oid) {
                report.duplicates.push(file.display().to_string());
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            let parsed = parse::parse(&text, &file.to_string_lossy());
            if !parsed.problems.is_empty() {
                report
                    .flagged
                    .push((file.display().to_string(), parsed.problems.clone()));
            }
            let kind = parsed.kind.unwrap_or(crate::learning::Kind::Failure);
            let date = parsed
                .date
                .as_ref()
                .map(|d| d.replace('-', ""))
                .unwrap_or_else(|| today.clone());
            let (rel_dir, _) = tx.store().learning_dir(kind, &date)?;
            let slug = crate::slug::slug(&parsed.title);
            let rel = tx
                .create_unique(
                    &rel_dir,
                    bytes,
                    MAX_SUFFIX,
                    &|n| crate::slug::candidate(&date, &slug, n),
                    &|tx, rel| {
                        Ok(git::in_head(head_tree.as_ref(), rel) || tx.index().path_in_use(rel)?)
                    },
                )?
                .ok_or_else(|| {
                    Error::invalid(
                        "import",
                        format!(
                            "{}: {MAX_SUFFIX} learnings of that day already have its title",
                            file.display()
                        ),
                    )
                })?;
            Index::insert_parsed(
                tx.rows()?,
                None,
                &rel,
                &parsed,
                &parsed.created_at(),
                &text,
                WordList::Now,
            )?;
            report
                .imported
                .push((file.display().to_string(), rel.clone()));
        }
        if !report.imported.is_empty() {
            tx.commit(format!(
                "lore import: {} learning(s)",
                report.imported.len()
            ));
        }
        Ok(report)
    })?;
    let mut report = written.value;
    report.commit = written.commit.map(|c| c.commit.to_string());
    report.warnings = written.warnings;
    Ok(report)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Markdown,
    Csv,
}

/// Writes every learning matching `filter` (newest first), a page at a time. Text is written
/// as stored; `escape` makes it safe for a terminal (what the CLI does).
pub fn export(
    index: &Index,
    filter: &Filter,
    format: Format,
    out: &mut dyn Write,
    escape: &dyn Fn(&str) -> String,
) -> Result<usize> {
    let io = |e: std::io::Error| Error::io("standard output", e);
    let mut anchor = Anchor::First;
    let mut n = 0;
    if format == Format::Json {
        out.write_all(b"[").map_err(io)?;
    }
    if format == Format::Csv {
        writeln!(
            out,
            "id,type,title,summary,tags,domain,severity,filepath,created_at,updated_at"
        )
        .map_err(io)?;
    }
    loop {
        let page = index.page(filter, &anchor, 500)?;
        let Some(last) = page.last() else { break };
        anchor = Anchor::After(last.key());
        for row in &page {
            let body = read_body(index.root(), &row.filepath);
            match format {
                Format::Json => {
                    #[derive(Serialize)]
                    struct Out<'a> {
                        #[serde(flatten)]
                        row: &'a Row,
                        body: Option<String>,
                    }
                    if n > 0 {
                        out.write_all(b",").map_err(io)?;
                    }
                    let json = serde_json::to_string(&Out { row, body }).expect("serialisable");
                    out.write_all(escape(&json).as_bytes()).map_err(io)?;
                }
                Format::Markdown => {
                    if n > 0 {
                        out.write_all(b"\n---\n\n").map_err(io)?;
                    }
                    writeln!(out, "<!-- lore #{} {} -->", row.id, escape(&row.filepath))
                        .map_err(io)?;
                    out.write_all(escape(body.as_deref().unwrap_or("(file missing)\n")).as_bytes())
                        .map_err(io)?;
                }
                Format::Csv => {
                    let cell = |v: &str| {
                        // A spreadsheet runs a cell that starts like a formula (`=HYPERLINK(…)`
                        // in a title from a pulled remote): a leading quote keeps it text.
                        let guard = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                            "'"
                        } else {
                            ""
                        };
                        format!("\"{guard}{}\"", escape(v).replace('"', "\"\""))
                    };
                    let opt = |v: &Option<String>| cell(v.as_deref().unwrap_or(""));
                    writeln!(
                        out,
                        "{},{},{},{},{},{},{},{},{},{}",
                        row.id,
                        cell(&row.kind),
                        cell(&row.title),
                        opt(&row.summary),
                        opt(&row.tags),
                        opt(&row.domain),
                        row.severity.map(|s| s.to_string()).unwrap_or_default(),
                        cell(&row.filepath),
                        opt(&row.created_at),
                        opt(&row.updated_at)
                    )
                    .map_err(io)?;
                }
            }
            n += 1;
        }
    }
    if format == Format::Json {
        out.write_all(b"]\n").map_err(io)?;
    }
    Ok(n)
}
