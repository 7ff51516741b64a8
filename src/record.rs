//! The record pipeline: one learning saved in one critical section.
//!
//! ```text
//! lock → choose a unique path → write the file (temp + link, 0600) → insert the row
//!      (BEGIN IMMEDIATE) → commit exactly that file → commit SQLite → unlock
//! ```
//!
//! Every step before the SQLite commit is undone if a later one fails, so a failed save leaves
//! nothing behind. A crash can leave at most: a temporary file (holding the user's text, which
//! `lore doctor` recovers), a file without a commit, or a commit without a row; each of those is
//! repaired by `lore doctor --fix` without losing anything.

use std::fs::{self, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::error::{Error, Result, Step};
use crate::fault;
use crate::gitops;
use crate::index::{Index, LockEventRow};
use crate::learning::Learning;
use crate::lock::{self, LockEvent, LockOptions};
use crate::slug;
use crate::store::Store;
use crate::template;

/// How many `-N` suffixes are tried before giving up on a name.
const MAX_SUFFIX: u32 = 10_000;

/// What a save reports while it runs (the TUI turns these into its status line).
#[derive(Debug, Clone)]
pub enum Progress {
    Lock(LockEvent),
    Writing { path: String },
    Indexing,
    Committing,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recorded {
    pub id: i64,
    pub path: String,
    pub commit: String,
    #[serde(skip)]
    pub waited: Duration,
}

/// Saves `learning` into `store`. On error nothing of it remains and the lock is free.
pub fn record(
    store: &Store,
    index: &mut Index,
    learning: &Learning,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Recorded> {
    let repo = store.repo()?;
    let today = crate::clock::now().date();
    let guard = match lock::acquire(&store.lock_paths(), opts, &mut |e| {
        progress(Progress::Lock(e))
    }) {
        Ok(g) => g,
        Err(e) => {
            let (waited, outcome) = match &e {
                Error::LockTimeout { waited, .. } => (*waited, "timeout"),
                Error::LockCancelled { .. } => (Duration::ZERO, "cancelled"),
                _ => (Duration::ZERO, "error"),
            };
            let _ = index.log_lock_event(&LockEventRow {
                operation: &opts.operation,
                waited,
                held: None,
                outcome,
            });
            return Err(e.at(Step::Lock));
        }
    };
    fault::critical_section("start");
    log::debug!(
        "lock taken for {} after {:?} ({})",
        opts.operation,
        guard.waited,
        guard.strategy
    );
    let mut undo = Undo::default();
    let result = fault::point("after-lock")
        .map_err(|e| e.at(Step::Lock))
        .and_then(|()| critical(store, &repo, index, learning, today, &mut undo, progress))
        .and_then(|r| {
            fault::point("before-unlock")
                .map(|()| r)
                .map_err(|e| e.at(Step::Release))
        });
    match &result {
        Ok(r) => log::info!("recorded #{} {} commit {}", r.id, r.path, r.commit),
        Err(e) => {
            log::warn!("save failed, rolling back: {e}");
            undo.run(&repo, index);
        }
    }
    let _ = index.log_lock_event(&LockEventRow {
        operation: &opts.operation,
        waited: guard.waited,
        held: Some(guard.held_for()),
        outcome: if result.is_ok() { "ok" } else { "error" },
    });
    fault::critical_section("end");
    let waited = guard.waited;
    drop(guard);
    if result.is_ok() {
        crate::housekeeping::pack_if_due(&repo);
    }
    result.map(|r| Recorded { waited, ..r })
}

/// What a save has done so far, so a failure at any later step can take all of it back.
#[derive(Default)]
struct Undo {
    file: Option<PathBuf>,
    commit: Option<gitops::Committed>,
    staged: Option<String>,
    row: Option<i64>,
}

impl Undo {
    /// Takes back everything recorded here, newest first. Each part is attempted even if an
    /// earlier one fails: what cannot be undone is what `lore doctor` reports.
    fn run(&mut self, repo: &git2::Repository, index: &mut Index) {
        if let Some(id) = self.row.take() {
            let _ = index.delete_row(id);
        }
        if let Some(rel) = self.staged.take() {
            let _ = gitops::unstage_path(repo, &rel);
        }
        if let Some(c) = self.commit.take() {
            let _ = gitops::undo_commit(repo, &c);
        }
        if let Some(f) = self.file.take() {
            let _ = fs::remove_file(f);
        }
    }
}

fn critical(
    store: &Store,
    repo: &git2::Repository,
    index: &mut Index,
    learning: &Learning,
    today: jiff::civil::Date,
    undo: &mut Undo,
    progress: &mut dyn FnMut(Progress),
) -> Result<Recorded> {
    let branch = gitops::head_branch(repo).map_err(|e| e.at(Step::Commit))?;
    gitops::wait_for_git_locks(repo, &branch, Duration::from_secs(2))
        .map_err(|e| e.at(Step::Commit))?;
    let date = today.strftime("%Y%m%d").to_string();
    let (rel_dir, dir) = store
        .learning_dir(learning.kind, &date)
        .map_err(|e| e.at(Step::WriteFile))?;
    let content = template::render(learning, &today.strftime("%Y-%m-%d").to_string());

    let head_tree = gitops::head_tree(repo).map_err(|e| e.at(Step::ChoosePath))?;
    let taken = |rel: &str, abs: &Path| -> Result<bool> {
        Ok(fs::symlink_metadata(abs).is_ok()
            || gitops::in_head(head_tree.as_ref(), rel)
            || index.path_in_use(rel)?)
    };
    let (rel, abs) = write_unique(&rel_dir, &dir, learning, &date, &content, taken)?;
    drop(head_tree);
    undo.file = Some(abs);
    progress(Progress::Writing { path: rel.clone() });
    fault::point("after-write").map_err(|e| e.at(Step::WriteFile))?;

    progress(Progress::Indexing);
    // The transaction rolls back by itself if it is dropped uncommitted.
    let tx = index.begin().map_err(|e| e.at(Step::InsertRow))?;
    let id = Index::insert(&tx, learning, &rel, &content)
        .and_then(|id| fault::point("after-insert").map(|()| id))
        .map_err(|e| e.at(Step::InsertRow))?;

    progress(Progress::Committing);
    // Stage the file *before* the commit moves the branch. Another git client commits from
    // git's index: had the branch moved first, a `git commit` in between would build its tree
    // from an index without this file and delete it from HEAD. Staged first, any such commit
    // carries the file, and ours is rebuilt on top of it.
    let blob = git2::Oid::hash_object(git2::ObjectType::Blob, content.as_bytes())?;
    let abs = store.root().join(&rel);
    gitops::stage_path_patiently(repo, &rel, blob, &abs, Duration::from_secs(5))
        .map_err(|e| e.at(Step::Commit))?;
    undo.staged = Some(rel.clone());
    let message = format!(
        "{}: {}\n\nDomain: {} | Severity: {}",
        learning.kind, learning.title, learning.domain, learning.severity
    );
    let committed = gitops::commit_file(repo, &rel, content.as_bytes(), &message)
        .map_err(|e| e.at(Step::Commit))?;
    let commit = committed.commit.to_string();
    Index::advance_followed(&tx, committed.parent, committed.commit)
        .map_err(|e| e.at(Step::InsertRow))?;
    undo.commit = Some(committed);
    fault::point("after-commit").map_err(|e| e.at(Step::Commit))?;
    tx.commit()
        .map_err(|e| Error::from(e).at(Step::CommitIndex))?;
    undo.row = Some(id);
    Ok(Recorded {
        id,
        path: rel,
        commit,
        waited: Duration::ZERO,
    })
}

/// Writes `content` under a free name (`date_slug.md`, then `-2`, `-3`…) without ever replacing
/// a file: the text goes to a temporary file first, which is then hard-linked to the chosen name
/// (a link fails if the name exists, even if another program created it a moment ago).
fn write_unique(
    rel_dir: &str,
    dir: &Path,
    learning: &Learning,
    date: &str,
    content: &str,
    taken: impl Fn(&str, &Path) -> Result<bool>,
) -> Result<(String, PathBuf)> {
    let tmp = dir.join(format!(
        ".lore-{}-{}.tmp",
        lock::creator_tag(),
        lock::now_ms()
    ));
    write_new(&tmp, content.as_bytes()).map_err(|e| Error::io(&tmp, e).at(Step::WriteFile))?;
    let slug = slug::slug(&learning.title);
    let result = (|| {
        for n in 1..=MAX_SUFFIX {
            let name = slug::candidate(date, &slug, n);
            let rel = format!("{rel_dir}/{name}");
            let abs = dir.join(&name);
            if taken(&rel, &abs).map_err(|e| e.at(Step::ChoosePath))? {
                continue;
            }
            match fs::hard_link(&tmp, &abs) {
                Ok(()) => return Ok((rel, abs)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io(&abs, e).at(Step::WriteFile)),
            }
        }
        Err(Error::invalid(
            "title",
            format!("{MAX_SUFFIX} learnings already use this title today"),
        )
        .at(Step::ChoosePath))
    })();
    let _ = fs::remove_file(&tmp);
    result
}

/// Creates `path` (never following or replacing anything), mode 0600 (the umask may make it
/// stricter) and writes it. A failed write removes the partial file.
///
/// No fsync: like git and SQLite in WAL mode with `synchronous=NORMAL`, a save survives any
/// crash of lore itself; a power cut may lose the last moments (see the README's durability
/// notes). Two fsyncs per save cost more than the whole rest of it on some disks.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let res = f.write_all(bytes);
    if res.is_err() {
        let _ = fs::remove_file(path);
    }
    res
}

/// What [`commit_edit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edited {
    Unchanged,
    Committed { commit: String },
}

/// Commits the edited file of learning `id` (after `e` in the browser opened it in an editor)
/// under the store lock, and refreshes its row (`updated_at`, search text). A file that
/// vanished meanwhile is an error, and nothing is changed.
pub fn commit_edit(
    store: &Store,
    index: &mut Index,
    id: i64,
    opts: &LockOptions,
) -> Result<Edited> {
    let row = index
        .get(id)?
        .ok_or_else(|| Error::NotFound(format!("#{id}")))?;
    let abs = crate::index::resolve_inside(store.root(), &row.filepath).ok_or_else(|| {
        Error::invalid("filepath", format!("{} is outside the store", row.filepath))
    })?;
    let repo = store.repo()?;
    let guard = lock::acquire(&store.lock_paths(), opts, &mut |_| {})?;
    let result = (|| {
        let content = fs::read(&abs).map_err(|e| Error::io(&abs, e))?;
        let blob = git2::Oid::hash_object(git2::ObjectType::Blob, &content)?;
        let in_head = gitops::head_tree(&repo)?
            .and_then(|t| t.get_path(Path::new(&row.filepath)).ok().map(|e| e.id()));
        if in_head == Some(blob) {
            return Ok(Edited::Unchanged);
        }
        let message = format!("{}: {} (edited)", row.kind, row.title);
        let committed = gitops::commit_file(&repo, &row.filepath, &content, &message)?;
        let body = String::from_utf8_lossy(&content);
        if let Err(e) = index.touch(id, &body) {
            let _ = gitops::undo_commit(&repo, &committed);
            return Err(e);
        }
        let _ = gitops::stage_path(&repo, &row.filepath, blob, &abs);
        Ok(Edited::Committed {
            commit: committed.commit.to_string(),
        })
    })();
    let _ = index.log_lock_event(&LockEventRow {
        operation: "edit",
        waited: guard.waited,
        held: Some(guard.held_for()),
        outcome: if result.is_ok() { "ok" } else { "error" },
    });
    drop(guard);
    result
}
