//! Moving in and out: `lore adopt` (stop tracking an old store's index in git), `lore import`
//! (markdown learnings from another store or folder, in one commit) and `lore export`.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use git2::Oid;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::gitops;
use crate::index::{Anchor, Filter, Index, Row, WordList, read_body};
use crate::lock::{self, LockOptions};
use crate::parse;
use crate::store::{GITIGNORE, INDEX_DB, Store};

/// Whether HEAD tracks the index file (what old `record-failure.sh` stores do).
pub fn tracks_index(store: &Store) -> Result<Vec<String>> {
    let repo = store.repo()?;
    let Some(tree) = gitops::head_tree(&repo)? else {
        return Ok(Vec::new());
    };
    Ok([
        INDEX_DB.to_string(),
        format!("{INDEX_DB}-wal"),
        format!("{INDEX_DB}-shm"),
    ]
    .into_iter()
    .filter(|p| tree.get_path(Path::new(p)).is_ok())
    .collect())
}

/// One commit that stops tracking the index (the file stays on disk) and ignores it.
pub fn adopt(store: &Store, opts: &LockOptions) -> Result<Option<String>> {
    let tracked = tracks_index(store)?;
    if tracked.is_empty() {
        return Ok(None);
    }
    let guard = lock::acquire(&store.lock_paths(), opts, &mut |_| {})?;
    let repo = store.repo()?;
    let gitignore = store.root().join(".gitignore");
    let mut text = std::fs::read_to_string(&gitignore).unwrap_or_default();
    if !text.lines().any(|l| l.trim() == INDEX_DB) {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(GITIGNORE);
    }
    let removed: Vec<&str> = tracked.iter().map(String::as_str).collect();
    let committed = gitops::commit_changes(
        &repo,
        &[(".gitignore", text.as_bytes())],
        &removed,
        "lore adopt: stop tracking memory/index.db\n\nThe index is rebuilt from the markdown; many writers changing one binary file in git is what lost records.",
    )?;
    std::fs::write(&gitignore, &text).map_err(|e| Error::io(&gitignore, e))?;
    let blob = Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())?;
    let mut paths: Vec<(String, Option<Oid>)> = tracked.iter().map(|p| (p.clone(), None)).collect();
    paths.push((".gitignore".into(), Some(blob)));
    gitops::stage_tree_paths(&repo, store.root(), &paths)?;
    drop(guard);
    Ok(Some(committed.commit.to_string()))
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Imported {
    pub imported: Vec<(String, String)>,
    pub duplicates: Vec<String>,
    pub flagged: Vec<(String, Vec<String>)>,
    pub commit: Option<String>,
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

/// Imports markdown learnings (files, or folders searched for `*.md`) in one commit, skipping
/// files whose exact text the store already holds.
pub fn import(store: &Store, sources: &[PathBuf], opts: &LockOptions) -> Result<Imported> {
    let mut files = Vec::new();
    for s in sources {
        markdown_files(s, &mut files)?;
    }
    let guard = lock::acquire(&store.lock_paths(), opts, &mut |_| {})?;
    let repo = store.repo()?;
    let mut known: HashSet<Oid> = crate::reindex::head_markdown(&repo)?
        .iter()
        .map(|(_, b)| Oid::hash_object(git2::ObjectType::Blob, b))
        .collect::<std::result::Result<_, _>>()?;
    let head_tree = gitops::head_tree(&repo)?;
    let mut index = Index::open(store)?;
    let mut report = Imported::default();
    let mut written: Vec<(String, Vec<u8>, parse::Parsed)> = Vec::new();
    let today = crate::clock::now().date().strftime("%Y%m%d").to_string();
    let result = (|| -> Result<()> {
        for file in &files {
            let bytes = read_capped(file)?;
            let oid = Oid::hash_object(git2::ObjectType::Blob, &bytes)?;
            if !known.insert(oid) {
                report.duplicates.push(file.display().to_string());
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
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
            let (rel_dir, dir) = store.learning_dir(kind, &date)?;
            let slug = crate::slug::slug(&parsed.title);
            let (rel, abs) = (1..)
                .map(|n| {
                    let name = crate::slug::candidate(&date, &slug, n);
                    (format!("{rel_dir}/{name}"), dir.join(&name))
                })
                .find(|(rel, abs)| {
                    std::fs::symlink_metadata(abs).is_err()
                        && !gitops::in_head(head_tree.as_ref(), rel)
                        && !index.path_in_use(rel).unwrap_or(true)
                        && !written.iter().any(|w| &w.0 == rel)
                })
                .expect("a free name");
            {
                use std::os::unix::fs::OpenOptionsExt;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&abs)
                    .map_err(|e| Error::io(&abs, e))?;
                f.write_all(&bytes).map_err(|e| Error::io(&abs, e))?;
            }
            report
                .imported
                .push((file.display().to_string(), rel.clone()));
            written.push((rel, bytes, parsed));
        }
        if written.is_empty() {
            return Ok(());
        }
        let contents: Vec<(&str, &[u8])> = written
            .iter()
            .map(|(p, b, _)| (p.as_str(), b.as_slice()))
            .collect();
        let tx = index.begin()?;
        for (rel, bytes, parsed) in &written {
            let created = parsed.created_at();
            Index::insert_parsed(
                &tx,
                None,
                rel,
                parsed,
                &created,
                &String::from_utf8_lossy(bytes),
                WordList::Now,
            )?;
        }
        let committed = gitops::commit_files(
            &repo,
            &contents,
            &format!("lore import: {} learning(s)", written.len()),
        )?;
        if let Err(e) = tx.commit() {
            let _ = gitops::undo_commit(&repo, &committed);
            return Err(e.into());
        }
        let paths: Vec<(String, Option<Oid>)> = written
            .iter()
            .map(|(p, b, _)| {
                Ok((
                    p.clone(),
                    Some(Oid::hash_object(git2::ObjectType::Blob, b)?),
                ))
            })
            .collect::<Result<_>>()?;
        gitops::stage_tree_paths(&repo, store.root(), &paths)?;
        report.commit = Some(committed.commit.to_string());
        Ok(())
    })();
    if result.is_err() {
        for (rel, _, _) in &written {
            let _ = std::fs::remove_file(store.root().join(rel));
        }
    }
    drop(guard);
    result.map(|()| report)
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
