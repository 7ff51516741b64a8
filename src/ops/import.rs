//! `lore import`: markdown learnings from another store or folder, in one commit.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::git::{self, Oid};
use crate::index::{Index, WordList};
use crate::lock::LockOptions;
use crate::parse;
use crate::report::{Flagged, FromTo};
use crate::store::Store;
use crate::write::{self, Progress};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Imported {
    /// Each file imported: where it was read, and the learning it became in the store.
    pub imported: Vec<FromTo>,
    pub duplicates: Vec<String>,
    pub flagged: Vec<Flagged>,
    pub commit: Option<String>,
    /// Said beside success (see [`write::Written::warnings`]).
    pub warnings: Vec<String>,
}

/// The markdown files under `path`. A file named on the command line must be a learning: one
/// that is not markdown, or is a template, is an error that says so (it would otherwise be
/// `0 imported` without a reason). Inside a folder such files are passed over, as are hidden
/// entries.
fn markdown_files(path: &Path, named: bool, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::io(path, e))?;
    let is_markdown = path.extension().is_some_and(|e| e == "md");
    let is_template = crate::learning::is_template_file(&path.to_string_lossy());
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
            markdown_files(&e, false, out)?;
        }
    } else if meta.is_file() && is_markdown && !is_template {
        out.push(path.to_path_buf());
    } else if named {
        let why = if !meta.is_file() {
            "is neither a file nor a folder"
        } else if is_template {
            "is a template (TEMPLATE.md or *.template.md), not a learning"
        } else {
            "is not a markdown file (.md)"
        };
        return Err(Error::invalid(
            "import",
            format!(
                "{} {why}; give .md files or folders holding them. Nothing imported",
                path.display()
            ),
        ));
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
        markdown_files(s, true, &mut files)?;
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
                report.flagged.push(Flagged {
                    path: file.display().to_string(),
                    problems: parsed.problems.clone(),
                });
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
                .push(FromTo::new(file.display().to_string(), rel.clone()));
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
