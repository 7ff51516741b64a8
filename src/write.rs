//! The one write path: every change to a store — record, edit, import, adopt, doctor's repairs,
//! sync's integration, reindex — is a client of [`write`], which alone
//!
//! 1. takes the store lock, reporting the wait through the progress callback, and logs the
//!    acquisition in `lock_events` whatever its outcome (a timeout or a cancel with the time
//!    really waited);
//! 2. runs the operation's body, which changes files only through [`Tx`] (so each change is in
//!    the undo log) and rows only inside the write's one SQLite transaction;
//! 3. stages every changed file in git's index *before* the branch moves: a `git commit` by
//!    another client in between then carries the files instead of dropping them from HEAD;
//! 4. commits exactly those files on top of HEAD with a compare-and-swap of the branch (or
//!    moves it to a commit the body made, for sync);
//! 5. commits the SQLite transaction, last;
//! 6. releases the lock, and packs loose objects when due.
//!
//! A failure before the branch moves undoes everything: files created are removed, files
//! replaced or deleted come back from the copy kept beside them, git's index goes back to the
//! file it was (a rename, so even a full disk allows it), the SQLite transaction rolls back.
//! The error then says "Nothing was written", and only then; an undo that could not finish
//! says what it left and that `lore doctor --fix` mends it. Once the branch has moved the
//! change is made: should the SQLite commit fail after that (a full disk), the write still
//! succeeds, with a warning that the index catches up on the next read (it follows HEAD).
//! A crash anywhere leaves only what `lore doctor --fix` mends: a write that changes more than
//! one new file keeps a journal (`<git-dir>/lore/journal-<tag>.json`) of every change it makes,
//! written before the change; if its process dies before the write lands, `doctor --fix` takes
//! the changes back from it ([`recover`]), so the write is absent rather than half done. (A
//! record, one new file, needs none: a crash leaves that file uncommitted, and doctor commits
//! it: the record is whole.)

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, Step};
use crate::fault;
use crate::git::{self, Committed, Oid, Repo, StagedUndo, Tree};
use crate::index::{Conn, Index, LockEventRow};
use crate::lock::{self, LockEvent, LockOptions};
use crate::store::Store;

/// How long staging waits for another git command that holds git's `index.lock`.
const INDEX_LOCK_PATIENCE: Duration = Duration::from_secs(5);
/// How long a write waits, before it starts, for git's lock files to go away.
const GIT_LOCK_PATIENCE: Duration = Duration::from_secs(2);

/// What a write reports while it runs (the CLI prints waiting; the browser shows all of it).
#[derive(Debug, Clone)]
pub enum Progress {
    Lock(LockEvent),
    Writing { path: String },
    Indexing,
    Committing,
}

/// A write that happened: what the body returned, the commit made (if any), how long the lock
/// was waited for, and what the user must be told beside success.
#[derive(Debug)]
pub struct Written<T> {
    pub value: T,
    pub commit: Option<Committed>,
    pub waited: Duration,
    pub warnings: Vec<String>,
}

/// How the branch moves at the end of a write.
enum Plan {
    /// It does not (a repair of the work tree or git's index, a reindex).
    Stay,
    /// A commit of the staged files on top of HEAD.
    OnHead { message: String },
    /// To a commit the body made (sync's fast-forward or merge), if it is still at `expected`.
    MoveTo {
        commit: Oid,
        expected: Option<Oid>,
        reflog: String,
    },
    /// Something the body prepared is put in place (a rebuilt index).
    Install(PutInPlace),
}

/// What puts a change the body prepared in place (see [`Tx::install`]).
pub type PutInPlace = Box<dyn FnOnce(&Store) -> Result<()>>;

/// Where a write landed.
enum Landing {
    /// Nowhere yet: it can all be undone.
    Stayed,
    Committed(Committed),
    /// The body's prepared change is in place.
    Installed,
}

/// A file whose change can be taken back.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum FileUndo {
    /// Created: removed on undo.
    Created(PathBuf),
    /// Replaced or deleted: its earlier version, kept at `copy`, goes back on undo.
    Kept { path: PathBuf, copy: PathBuf },
}

/// What a write has changed so far, on disk before each change, so that the change can be
/// taken back after the writer died (see [`recover`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Journal {
    operation: String,
    /// The commit HEAD was at when the write began.
    #[serde(default)]
    head: Option<String>,
    files: Vec<FileUndo>,
    staged: Option<StagedUndo>,
    /// How the write would land, once it is about to: the commit's changes (path, blob or
    /// `None` for a removal), or the commit the branch moves to.
    landing: Option<Landed>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum Landed {
    Commit(Vec<(String, Option<String>)>),
    Move(String),
}

/// The body's handle on the store during a write.
pub struct Tx<'w> {
    store: &'w Store,
    repo: &'w Repo,
    /// `None` for a reindex, which writes the index file itself.
    index: Option<&'w mut Index>,
    progress: &'w mut dyn FnMut(Progress),
    rows_begun: bool,
    files: Vec<FileUndo>,
    /// What git's index (and the commit's tree) gets: each path's blob, or `None` to remove it.
    staged: Vec<(String, Option<Oid>)>,
    plan: Plan,
    /// Where the journal is kept, once one is (see [`Tx::single_new_file`]).
    journal: Option<PathBuf>,
    journal_off: bool,
    operation: String,
    /// The commit HEAD was at when the write began.
    started: Option<Oid>,
}

impl<'w> Tx<'w> {
    pub fn store(&self) -> &'w Store {
        self.store
    }

    pub fn repo(&self) -> &'w Repo {
        self.repo
    }

    /// The index, for reading (its writes go through [`Tx::rows`]).
    pub fn index(&self) -> &Index {
        self.index
            .as_deref()
            .expect("a write with rows has an index")
    }

    /// The index's connection, inside this write's transaction (begun at the first call).
    pub fn rows(&mut self) -> Result<&Conn> {
        let index = self
            .index
            .as_deref_mut()
            .expect("a write with rows has an index");
        if !self.rows_begun {
            index.begin_write().map_err(|e| e.at(Step::InsertRow))?;
            self.rows_begun = true;
        }
        Ok(index.connection())
    }

    /// Ends the rows' transaction: committed, or rolled back (`keep` false).
    fn end_rows(&mut self, keep: bool) -> Result<()> {
        if !std::mem::take(&mut self.rows_begun) {
            return Ok(());
        }
        let index = self.index.as_deref_mut().expect("rows begun");
        if keep {
            index.commit_write()
        } else {
            index.rollback_write();
            Ok(())
        }
    }

    pub fn progress(&mut self, p: Progress) {
        (self.progress)(p)
    }

    /// Says that this write makes one new file and nothing else, so it keeps no journal: a
    /// crash leaves that file uncommitted, which `doctor --fix` commits (the write is whole).
    pub fn single_new_file(&mut self) {
        self.journal_off = true;
    }

    /// Writes the journal as things stand, with `next` (the change about to be made), before
    /// that change is made.
    fn note(&mut self, next: Option<&FileUndo>) -> Result<()> {
        self.note_all(next, None, None)
    }

    fn note_all(
        &mut self,
        next: Option<&FileUndo>,
        staged: Option<&StagedUndo>,
        landing: Option<Landed>,
    ) -> Result<()> {
        if self.journal_off {
            return Ok(());
        }
        let path = match &self.journal {
            Some(p) => p.clone(),
            None => {
                let p = journal_path(self.store);
                self.journal = Some(p.clone());
                p
            }
        };
        let mut files = self.files.clone();
        files.extend(next.cloned());
        let journal = Journal {
            operation: self.operation.clone(),
            head: self.started.map(|h| h.to_string()),
            files,
            staged: staged.cloned(),
            landing,
        };
        save_journal(&path, &journal).map_err(|e| e.at(Step::WriteFile))
    }

    /// Records, before the write lands, how it would: so that a writer that died just after
    /// can be told to have landed.
    fn note_landing(&mut self, staged: Option<&StagedUndo>) -> Result<()> {
        if self.journal.is_none() {
            return Ok(());
        }
        let landing = match &self.plan {
            Plan::OnHead { .. } => Some(Landed::Commit(
                self.staged
                    .iter()
                    .map(|(p, b)| (p.clone(), b.map(|b| b.to_string())))
                    .collect(),
            )),
            Plan::MoveTo { commit, .. } => Some(Landed::Move(commit.to_string())),
            Plan::Stay | Plan::Install(_) => None,
        };
        self.note_all(None, staged, landing)
    }

    fn abs(&self, rel: &str) -> Result<PathBuf> {
        crate::index::resolve_inside(self.store.root(), rel)
            .ok_or_else(|| Error::invalid("path", format!("{rel} is outside the store")))
    }

    /// Writes `bytes` under the first free name that `name(1)`, `name(2)`, … gives in folder
    /// `dir` (relative to the work tree; it must exist), never replacing anything: the text
    /// goes to a temporary file that is hard-linked to each candidate in turn (a link fails if
    /// the name exists, even if another program made it a moment ago). `taken` skips names
    /// known to be in use elsewhere (HEAD, the index). Returns the path chosen, or `None` when
    /// all `max` names are taken. The file is staged for the commit.
    pub fn create_unique(
        &mut self,
        dir: &str,
        bytes: &[u8],
        max: u32,
        name: &dyn Fn(u32) -> String,
        taken: &dyn Fn(&Tx<'_>, &str) -> Result<bool>,
    ) -> Result<Option<String>> {
        let abs_dir = self.abs(dir)?;
        let tmp = abs_dir.join(format!(
            ".lore-{}-{}.tmp",
            lock::creator_tag(),
            lock::now_ms()
        ));
        write_new(&tmp, bytes).map_err(|e| Error::io(&tmp, e).at(Step::WriteFile))?;
        let chosen = (|| {
            for n in 1..=max {
                let rel = format!("{dir}/{}", name(n));
                let abs = abs_dir.join(name(n));
                if fs::symlink_metadata(&abs).is_ok() || taken(self, &rel)? {
                    continue;
                }
                // In the journal before it exists: a crash just after is taken back.
                self.note(Some(&FileUndo::Created(abs.clone())))?;
                match fs::hard_link(&tmp, &abs) {
                    Ok(()) => return Ok(Some((rel, abs))),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(Error::io(&abs, e).at(Step::WriteFile)),
                }
            }
            Ok(None)
        })();
        let _ = fs::remove_file(&tmp);
        let Some((rel, abs)) = chosen.map_err(|e| e.at(Step::ChoosePath))? else {
            return Ok(None);
        };
        self.files.push(FileUndo::Created(abs));
        let blob = self.blob(bytes)?;
        self.staged.push((rel.clone(), Some(blob)));
        self.progress(Progress::Writing { path: rel.clone() });
        fault::point("after-write").map_err(|e| e.at(Step::WriteFile))?;
        Ok(Some(rel))
    }

    /// Writes `bytes` at `rel`, replacing what is there (whose earlier version is kept beside
    /// it until the write ends), and stages it.
    pub fn replace(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.put_back(rel, bytes)?;
        let blob = self.blob(bytes)?;
        self.staged.push((rel.to_string(), Some(blob)));
        Ok(())
    }

    /// [`Tx::replace`] without staging: for a file put back as git's index already lists it.
    pub fn put_back(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let abs = self.abs(rel)?;
        if let Some(dir) = abs.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e).at(Step::WriteFile))?;
        }
        let exists = fs::symlink_metadata(&abs).is_ok();
        self.note(Some(&if exists {
            FileUndo::Kept {
                path: abs.clone(),
                copy: crate::leftovers::undo_copy_path(&abs),
            }
        } else {
            FileUndo::Created(abs.clone())
        }))?;
        let kept = self.keep_aside(&abs, false)?;
        // In the undo log before the file changes: a failed write is taken back too.
        self.files.push(match kept {
            Some(copy) => FileUndo::Kept {
                path: abs.clone(),
                copy,
            },
            None => FileUndo::Created(abs.clone()),
        });
        let tmp = crate::leftovers::write_temp_name(&abs);
        let _ = fs::remove_file(&tmp);
        let written = write_new(&tmp, bytes).and_then(|()| fs::rename(&tmp, &abs));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(&abs, e).at(Step::WriteFile));
        }
        fault::point("after-write").map_err(|e| e.at(Step::WriteFile))?;
        Ok(())
    }

    /// Removes `rel` from the work tree (kept aside until the write ends) and from git.
    pub fn delete(&mut self, rel: &str) -> Result<()> {
        let abs = self.abs(rel)?;
        self.note(Some(&FileUndo::Kept {
            path: abs.clone(),
            copy: crate::leftovers::undo_copy_path(&abs),
        }))?;
        if let Some(copy) = self.keep_aside(&abs, true)? {
            self.files.push(FileUndo::Kept { path: abs, copy });
        }
        self.staged.push((rel.to_string(), None));
        Ok(())
    }

    /// Takes the file at `rel` into git as it is on disk (an edit, a file never committed);
    /// returns its blob.
    pub fn track(&mut self, rel: &str) -> Result<Oid> {
        let abs = self.abs(rel)?;
        let bytes = fs::read(&abs).map_err(|e| Error::io(&abs, e))?;
        let blob = self.blob(&bytes)?;
        self.staged.push((rel.to_string(), Some(blob)));
        Ok(blob)
    }

    /// Stages `rel` as `blob` (which the repository holds) without touching the file: git's
    /// index made to say what HEAD says.
    pub fn stage(&mut self, rel: &str, blob: Oid) {
        self.staged.push((rel.to_string(), Some(blob)));
    }

    /// Takes `rel` out of git (the commit's tree and git's index), leaving the file on disk.
    pub fn untrack(&mut self, rel: &str) {
        self.staged.push((rel.to_string(), None));
    }

    /// Ends the write with one commit of everything staged, on top of HEAD.
    pub fn commit(&mut self, message: impl Into<String>) {
        self.plan = Plan::OnHead {
            message: message.into(),
        };
    }

    /// Ends the write by running `put_in_place`, which makes a change the body prepared (a
    /// rebuilt index) the store's: the write lands there, as it would at a commit.
    pub fn install(&mut self, put_in_place: PutInPlace) {
        self.plan = Plan::Install(put_in_place);
    }

    /// Ends the write by moving the branch to `commit` (made by the body), if it is still at
    /// `expected`; what is staged is the work tree's side of that move.
    pub fn move_to_commit(&mut self, commit: Oid, expected: Option<Oid>, reflog: String) {
        self.plan = Plan::MoveTo {
            commit,
            expected,
            reflog,
        };
    }

    fn blob(&self, bytes: &[u8]) -> Result<Oid> {
        self.repo
            .write_blob(bytes)
            .map_err(|e| e.at(Step::WriteFile))
    }

    /// Moves `abs` aside to a copy beside it (`.lore-undo-<tag>-<name>`), so that it can come
    /// back by a rename. With `remove`, the file is gone from its place afterwards; without,
    /// it is still there (hard-linked), to be replaced by a rename.
    fn keep_aside(&self, abs: &Path, remove: bool) -> Result<Option<PathBuf>> {
        match fs::symlink_metadata(abs) {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(abs, e).at(Step::WriteFile)),
            Ok(m) if !m.is_file() => {
                return Err(Error::io(
                    abs,
                    std::io::Error::other("not a regular file; lore never writes through it"),
                )
                .at(Step::WriteFile));
            }
            Ok(_) => {}
        }
        let copy = crate::leftovers::undo_copy_path(abs);
        let _ = fs::remove_file(&copy);
        let kept = if remove {
            fs::rename(abs, &copy)
        } else {
            fs::hard_link(abs, &copy)
        };
        kept.map_err(|e| Error::io(&copy, e).at(Step::WriteFile))?;
        Ok(Some(copy))
    }
}

/// Creates `path` (never following or replacing anything), mode 0600 (the umask may make it
/// stricter), and writes it; a failed write removes the partial file.
///
/// No fsync: like git and SQLite in WAL mode with `synchronous=NORMAL`, a write survives any
/// crash of lore itself; a power cut may lose the last moments (see the README's durability
/// notes). Two fsyncs per save cost more than the whole rest of it on some disks.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
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

/// What the user is told an operation could not do: `could not <verb>: …`.
fn verb(operation: &str) -> &'static str {
    match operation {
        "edit" => "commit the edit",
        "import" => "import",
        "adopt" => "adopt",
        "doctor" => "repair",
        "sync" => "sync",
        "reindex" => "reindex",
        "init" => "create the store",
        _ => "save",
    }
}

/// Opens the index for a write of `operation`: an error here (a full disk, say) is said as
/// the write's own, "could not …: opening the index failed: …. Nothing was written".
pub fn open_index(store: &Store, operation: &str) -> Result<Index> {
    Index::open(store).map_err(|e| e.at(Step::Open).doing(verb(operation)))
}

/// [`open_index`]'s wording for another error met before a write of `operation` began.
pub fn before(operation: &str, step: Step, e: Error) -> Error {
    e.at(step).doing(verb(operation))
}

/// Runs `body` as one change to `store`, under the store lock; see the module's comment.
pub fn write<T>(
    store: &Store,
    index: &mut Index,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
    body: impl FnOnce(&mut Tx<'_>) -> Result<T>,
) -> Result<Written<T>> {
    write_with(store, Some(index), opts, progress, body)
}

/// [`write`] for `lore reindex`, which rebuilds the index file itself and so has none open:
/// its body has no [`Tx::rows`], and the lock is logged in the index it leaves.
pub fn write_rebuilding_index<T>(
    store: &Store,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
    body: impl FnOnce(&mut Tx<'_>) -> Result<T>,
) -> Result<Written<T>> {
    write_with(store, None, opts, progress, body)
}

fn write_with<T>(
    store: &Store,
    mut index: Option<&mut Index>,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
    body: impl FnOnce(&mut Tx<'_>) -> Result<T>,
) -> Result<Written<T>> {
    let repo = store.repo()?;
    let log = |index: Option<&mut Index>, row: LockEventRow<'_>| match index {
        Some(index) => {
            let _ = index.log_lock_event(&row);
        }
        None => {
            if let Ok(index) = Index::open(store) {
                let _ = index.log_lock_event(&row);
            }
        }
    };
    let guard = match lock::acquire(&store.lock_paths(), opts, &mut |e| {
        progress(Progress::Lock(e))
    }) {
        Ok(g) => g,
        Err(e) => {
            let e = Error::from(e);
            let (waited, outcome) = e.lock_outcome();
            log(
                index,
                LockEventRow {
                    operation: &opts.operation,
                    waited,
                    held: None,
                    outcome,
                },
            );
            return Err(e.at(Step::Lock).doing(verb(&opts.operation)));
        }
    };
    fault::critical_section("start");
    log::debug!(
        "lock taken for {} after {:?} ({})",
        opts.operation,
        guard.waited,
        guard.strategy
    );
    let result = critical(
        store,
        &repo,
        &opts.operation,
        index.as_deref_mut(),
        progress,
        body,
    );
    let outcome = match &result {
        Ok(_) => "ok",
        Err(_) => "error",
    };
    log(
        index,
        LockEventRow {
            operation: &opts.operation,
            waited: guard.waited,
            held: Some(guard.held_for()),
            outcome,
        },
    );
    fault::critical_section("end");
    let waited = guard.waited;
    drop(guard);
    let mut written = result.map_err(|e| e.doing(verb(&opts.operation)))?;
    written.waited = waited;
    if written.commit.as_ref().is_some_and(|c| !c.no_op) {
        git::housekeeping::pack_if_due(&repo);
    }
    Ok(written)
}

/// Everything between taking the lock and releasing it.
fn critical<T>(
    store: &Store,
    repo: &Repo,
    operation: &str,
    index: Option<&mut Index>,
    progress: &mut dyn FnMut(Progress),
    body: impl FnOnce(&mut Tx<'_>) -> Result<T>,
) -> Result<Written<T>> {
    let mut tx = Tx {
        store,
        repo,
        index,
        progress,
        rows_begun: false,
        files: Vec::new(),
        staged: Vec::new(),
        plan: Plan::Stay,
        journal: None,
        journal_off: false,
        operation: operation.to_string(),
        started: git::head_commit(repo).ok().flatten(),
    };
    let mut staged_undo: Option<StagedUndo> = None;
    let made = (|| {
        fault::point("after-lock").map_err(|e| e.at(Step::Lock))?;
        let value = body(&mut tx).map_err(|e| e.at(Step::Change))?;
        if tx.rows_begun {
            fault::point("after-insert").map_err(|e| e.at(Step::InsertRow))?;
        }
        let moves = !matches!(tx.plan, Plan::Stay);
        if !tx.staged.is_empty() || moves {
            let branch = git::head_branch(repo).map_err(|e| e.at(Step::Commit))?;
            git::wait_for_git_locks(repo, &branch, GIT_LOCK_PATIENCE)
                .map_err(|e| e.at(Step::Commit))?;
        }
        if !tx.staged.is_empty() {
            tx.progress(Progress::Committing);
            let staged = git::stage(repo, store.root(), &tx.staged, INDEX_LOCK_PATIENCE)
                .map_err(|e| e.at(Step::Stage))?;
            staged_undo = Some(staged);
            // The index's backup is in the journal before anything else happens.
            tx.note_landing(staged_undo.as_ref())?;
            fault::point("after-stage").map_err(|e| e.at(Step::Stage))?;
        } else {
            tx.note_landing(None)?;
        }
        Ok(value)
    })();
    let value = match made {
        Ok(v) => v,
        Err(e) => return Err(undo(tx, staged_undo, e)),
    };
    // The write lands here; before, everything can be undone; after, the change is made.
    let landing = match land(&mut tx) {
        Ok(l) => l,
        Err(e) => return Err(undo(tx, staged_undo, e.at(Step::Commit))),
    };
    let landed = !matches!(landing, Landing::Stayed);
    // Landed (or nothing to land): the journal has done its work.
    if let Some(j) = tx.journal.take() {
        let _ = fs::remove_file(j);
    }
    let committed = match landing {
        Landing::Committed(c) => Some(c),
        _ => None,
    };
    let mut warnings = Vec::new();
    let after = match (fault::point("after-commit"), landed) {
        (Err(e), false) => return Err(undo(tx, staged_undo, e.at(Step::Commit))),
        (after, _) => after.map_err(|e| e.at(Step::Commit)),
    };
    let rows = (|| {
        after?;
        if let Some(c) = committed
            .as_ref()
            .filter(|c| !c.no_op && tx.index.is_some())
        {
            let conn = tx.rows()?;
            Index::advance_followed(conn, c.parent, c.commit)
                .map_err(|e| e.at(Step::CommitIndex))?;
        }
        tx.end_rows(true).map_err(|e| e.at(Step::CommitIndex))?;
        fault::point("before-unlock").map_err(|e| e.at(Step::Release))
    })();
    match (rows, &committed) {
        (Ok(()), _) => {}
        (Err(e), Some(c)) => {
            // The commit landed: the change is made, whatever happens to the rows.
            let _ = tx.end_rows(false);
            warnings.push(format!(
                "the change is committed ({}), but the index could not be brought up to date ({}); it catches up on the next read",
                short(&c.commit),
                e.cause()
            ));
        }
        (Err(e), None) if landed => {
            let _ = tx.end_rows(false);
            warnings.push(format!(
                "the change is made, but what followed it failed ({})",
                e.cause()
            ));
        }
        (Err(e), None) => return Err(undo(tx, staged_undo, e)),
    }
    if let Some(s) = staged_undo {
        s.keep();
    }
    for f in tx.files.drain(..) {
        if let FileUndo::Kept { copy, .. } = f {
            let _ = fs::remove_file(copy);
        }
    }
    Ok(Written {
        value,
        commit: committed,
        waited: Duration::ZERO,
        warnings,
    })
}

fn short(oid: &Oid) -> String {
    oid.to_string()[..12].to_string()
}

/// Lands the write as the plan says: moves the branch, or puts the body's change in place.
fn land(tx: &mut Tx<'_>) -> Result<Landing> {
    match std::mem::replace(&mut tx.plan, Plan::Stay) {
        Plan::Stay => Ok(Landing::Stayed),
        Plan::Install(put_in_place) => {
            fault::point("before-ref")?;
            put_in_place(tx.store)?;
            Ok(Landing::Installed)
        }
        Plan::OnHead { message } => {
            let puts: Vec<(&str, Oid)> = tx
                .staged
                .iter()
                .filter_map(|(p, b)| b.map(|b| (p.as_str(), b)))
                .collect();
            let removed: Vec<&str> = tx
                .staged
                .iter()
                .filter(|(_, b)| b.is_none())
                .map(|(p, _)| p.as_str())
                .collect();
            git::commit_blobs(tx.repo, &puts, &removed, &message).map(Landing::Committed)
        }
        Plan::MoveTo {
            commit,
            expected,
            reflog,
        } => {
            fault::point("after-objects")?;
            fault::point("before-ref")?;
            let branch = git::head_branch(tx.repo)?;
            if !git::move_branch_to(tx.repo, &branch, commit, expected, &reflog)? {
                return Err(Error::BranchMoved);
            }
            Ok(Landing::Committed(Committed {
                commit,
                parent: expected,
                branch,
                no_op: false,
            }))
        }
    }
}

/// Takes back everything `tx` did, newest first, and returns the error to report: `cause`,
/// saying that nothing was written, or what was left if part of the undo failed.
fn undo(mut tx: Tx<'_>, staged: Option<StagedUndo>, cause: Error) -> Error {
    log::warn!("write failed, undoing it: {cause}");
    let mut left: Vec<String> = Vec::new();
    let _ = tx.end_rows(false);
    if let Some(s) = staged
        && let Err(e) = s.undo(tx.repo, tx.store.root())
    {
        left.push(format!("git's index still lists the change ({e})"));
    }
    let since = Since::new(tx.repo, tx.started);
    for f in tx.files.drain(..).rev() {
        let (path, undone) = match &f {
            // Another git client committed it meanwhile (it was staged first): it stays.
            FileUndo::Created(p) if since.committed(tx.store.root(), p) => (p, Ok(())),
            FileUndo::Kept { path, copy } if since.committed(tx.store.root(), path) => {
                (path, fs::remove_file(copy))
            }
            FileUndo::Created(p) => (p, fs::remove_file(p)),
            FileUndo::Kept { path, copy } => (path, put_copy_back(copy, path)),
        };
        if let Err(e) = undone
            && e.kind() != ErrorKind::NotFound
        {
            left.push(format!("{} could not be put back ({e})", path.display()));
        }
    }
    // Taken back: the journal goes. Should part of it have failed, the journal stays, and
    // `doctor --fix` finishes the undo once this process has ended.
    if left.is_empty()
        && let Some(j) = tx.journal.take()
    {
        let _ = fs::remove_file(j);
    }
    cause.leaving((!left.is_empty()).then(|| left.join("; ")))
}

/// HEAD as it is now, and as it was when a write began.
struct Since<'r> {
    now: Option<Tree<'r>>,
    then: Option<Tree<'r>>,
    moved: bool,
}

impl<'r> Since<'r> {
    fn new(repo: &'r Repo, started: Option<Oid>) -> Since<'r> {
        let now_id = git::head_commit(repo).ok().flatten();
        let tree = |id: Option<Oid>| id.and_then(|i| repo.tree_of(i).ok());
        Since {
            now: tree(now_id),
            then: tree(started),
            moved: now_id != started,
        }
    }

    /// Whether a commit made since the write began (by another git client, from git's index,
    /// where the write staged it before the branch moved) holds the file at `abs` exactly as
    /// it is on disk: it is no longer this write's to take back.
    fn committed(&self, root: &Path, abs: &Path) -> bool {
        let (true, Ok(rel), Ok(bytes)) = (self.moved, abs.strip_prefix(root), fs::read(abs)) else {
            return false;
        };
        let ours = git::hash_blob(&bytes);
        let rel = rel.to_string_lossy();
        let blob = |t: &Option<Tree<'_>>| t.as_ref()?.blob_at(&rel);
        blob(&self.now) == Some(ours) && blob(&self.then) != Some(ours)
    }
}

/// Puts the earlier version kept at `copy` back at `path`. Where the change never happened
/// (the copy is still a hard link of the file itself), the copy only goes: a rename between
/// two links of one file does nothing.
fn put_copy_back(copy: &Path, path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let same = match (fs::metadata(copy), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    };
    if same {
        fs::remove_file(copy)
    } else {
        fs::rename(copy, path)
    }
}

const JOURNAL_PREFIX: &str = "journal-";

fn journal_path(store: &Store) -> PathBuf {
    store
        .git_dir()
        .join("lore")
        .join(format!("{JOURNAL_PREFIX}{}.json", lock::creator_tag()))
}

fn save_journal(path: &Path, journal: &Journal) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(dir, e))?;
    }
    let tmp = path.with_file_name(format!("journal.tmp-{}", lock::creator_tag()));
    let bytes = serde_json::to_vec(journal).expect("a journal serialises");
    let _ = fs::remove_file(&tmp);
    write_new(&tmp, &bytes)
        .and_then(|()| fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::io(path, e)
        })
}

/// A write whose process died before its journal was done with, found by that journal.
#[derive(Debug, Clone)]
pub struct Interrupted {
    pub journal: PathBuf,
    /// The operation it was (`import`, `sync`…).
    pub operation: String,
    /// The files it had changed or was about to change.
    pub files: Vec<PathBuf>,
    data: Journal,
}

/// The journals of writes whose processes provably died before they were done.
pub fn interrupted(store: &Store) -> Vec<Interrupted> {
    let dir = store.git_dir().join("lore");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name
            .strip_prefix(JOURNAL_PREFIX)
            .and_then(|r| r.strip_suffix(".json"))
        else {
            continue;
        };
        let dead = crate::leftovers::Creator::at_start_of(rest)
            .is_some_and(|c| c.liveness() == lock::Liveness::Dead);
        let data = fs::read(e.path())
            .ok()
            .and_then(|b| serde_json::from_slice::<Journal>(&b).ok());
        let (true, Some(data)) = (dead, data) else {
            continue;
        };
        out.push(Interrupted {
            journal: e.path(),
            operation: data.operation.clone(),
            files: data
                .files
                .iter()
                .map(|f| match f {
                    FileUndo::Created(p) | FileUndo::Kept { path: p, .. } => p.clone(),
                })
                .collect(),
            data,
        });
    }
    out.sort_by(|a, b| a.journal.cmp(&b.journal));
    out
}

impl Interrupted {
    /// The short-lived files this write kept to undo itself (copies, the index's backup):
    /// [`recover`] deals with them, nothing else should.
    pub fn keeps(&self, path: &Path) -> bool {
        self.data.files.iter().any(|f| match f {
            FileUndo::Kept { copy, .. } => copy == path,
            FileUndo::Created(_) => false,
        }) || self
            .data
            .staged
            .as_ref()
            .is_some_and(|s| s.backup_path() == Some(path))
    }
}

/// Finishes what a dead writer could not, from its journal: if its write had landed, only what
/// it kept to undo itself goes; if not, every change it made is taken back, git's index
/// included (a file it created is removed only while it still holds what the writer wrote).
/// Runs inside another write, under the store lock. Says what it did.
pub fn recover(tx: &mut Tx<'_>, dead: &Interrupted) -> Result<String> {
    let repo = tx.repo();
    let root = tx.store().root();
    let j = &dead.data;
    let landed = match &j.landing {
        Some(Landed::Move(commit)) => {
            let target = Oid::from_str(commit)?;
            git::head_commit(repo)?.is_some_and(|h| h == target || repo.descends(h, target))
        }
        Some(Landed::Commit(changes)) => {
            let tree = git::head_tree(repo)?;
            changes.iter().all(|(path, blob)| {
                let in_head = tree
                    .as_ref()
                    .and_then(|t| t.blob_at(path))
                    .map(|id| id.to_string());
                in_head == *blob
            })
        }
        None => false,
    };
    let written: std::collections::HashMap<&str, Option<&str>> = match &j.landing {
        Some(Landed::Commit(changes)) => changes
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_deref()))
            .collect(),
        _ => Default::default(),
    };
    let said = if landed {
        for f in &j.files {
            if let FileUndo::Kept { copy, .. } = f {
                let _ = fs::remove_file(copy);
            }
        }
        if let Some(s) = j.staged.clone() {
            s.keep();
        }
        format!(
            "an interrupted {} had landed; removed what it kept to undo itself",
            j.operation
        )
    } else {
        if let Some(s) = j.staged.clone() {
            s.undo(repo, root)?;
        }
        let started = j.head.as_deref().and_then(|h| Oid::from_str(h).ok());
        let since = Since::new(repo, started);
        for f in j.files.iter().rev() {
            match f {
                FileUndo::Created(p) if since.committed(root, p) => {}
                FileUndo::Kept { path, copy } if since.committed(root, path) => {
                    let _ = fs::remove_file(copy);
                }
                FileUndo::Created(p) => {
                    let Ok(bytes) = fs::read(p) else { continue };
                    // What the writer put there goes; anything else someone wrote since stays.
                    let rel = p.strip_prefix(root).unwrap_or(p).to_string_lossy();
                    let ours = match written.get(rel.as_ref()) {
                        Some(Some(blob)) => git::hash_blob(&bytes).to_string() == *blob,
                        // Not yet staged when the writer died: the file is as it wrote it,
                        // unless it was changed since, which only a user would do.
                        _ => true,
                    };
                    if ours {
                        fs::remove_file(p).map_err(|e| Error::io(p, e))?;
                    }
                }
                FileUndo::Kept { path, copy } => match put_copy_back(copy, path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(copy, e)),
                },
            }
        }
        format!(
            "took back an interrupted {} that had not landed ({} file(s))",
            j.operation,
            j.files.len()
        )
    };
    fs::remove_file(&dead.journal).map_err(|e| Error::io(&dead.journal, e))?;
    Ok(said)
}
