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
use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result, Step};
use crate::fault;
use crate::git::{self, Committed, Oid, Repo, StagedUndo, Tree};
use crate::index::{Index, LockEventRow};
use crate::lock::{self, LockEvent, LockOptions};
use crate::store::Store;

mod files;
mod journal;
mod recover;
mod tx;

use files::put_copy_back;
use journal::FileUndo;
pub use recover::{Interrupted, VERDICT_PREFIX, interrupted, recover, verdict_of};
pub use tx::Tx;

/// How long staging waits for another git command that holds git's `index.lock`.
const INDEX_LOCK_PATIENCE: Duration = Duration::from_secs(5);
/// How long a write waits, before it starts, for git's lock files to go away.
const GIT_LOCK_PATIENCE: Duration = Duration::from_secs(2);

/// What a write reports while it runs (the CLI prints waiting; the browser shows all of it).
#[derive(Debug, Clone)]
pub enum Progress {
    Lock(LockEvent),
    Writing {
        path: String,
    },
    Indexing,
    Committing,
    /// One of git's hooks runs (its name); inside the critical section, so waiters wait on it.
    Hook(String),
}

/// A write that happened: what the body returned, the commit made (if any), how long the lock
/// was waited for, and what the user must be told beside success.
#[derive(Debug)]
pub struct Written<T> {
    pub value: T,
    pub commit: Option<Committed>,
    pub waited: Duration,
    pub warnings: Vec<String>,
    /// Whether the rows the write began were committed (a landed commit whose rows failed is
    /// still a success, with a warning, and its rows come from HEAD on the next read).
    pub indexed: bool,
}

/// How the branch moves at the end of a write.
enum Plan {
    /// It does not (a repair of the work tree or git's index, a reindex).
    Stay,
    /// A commit of the staged files on top of HEAD.
    OnHead { message: String },
    /// Commits one after another on top of HEAD, the branch moved once to the last: each
    /// `(end, message)` holds the files staged after the one before, up to `end` (how many
    /// were staged when its [`Tx::commit_so_far`] was called), and has its message.
    Chain { commits: Vec<(usize, String)> },
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

/// What the user is told an operation could not do: `could not <verb>: …`.
fn verb(operation: &str) -> &'static str {
    match operation {
        "edit" => "commit the edit",
        "import" => "import",
        "adopt" => "adopt",
        "doctor" => "repair",
        "sync" => "sync",
        "reindex" => "reindex",
        "rm" => "remove the learning",
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
    write_with(
        store,
        Some(IndexSlot::Open(index)),
        opts,
        progress,
        body,
        |_, _, _| {},
    )
}

/// The index a write uses: open already, or opened once the lock is held, by a writer whose
/// wait may end without needing it (a `lore record` whose queued record the holder saved).
pub enum IndexSlot<'a> {
    Open(&'a mut Index),
    OnceLocked(&'a mut Option<Index>),
}

impl IndexSlot<'_> {
    /// The same slot, borrowed again.
    pub fn reborrow(&mut self) -> IndexSlot<'_> {
        match self {
            IndexSlot::Open(i) => IndexSlot::Open(i),
            IndexSlot::OnceLocked(o) => IndexSlot::OnceLocked(o),
        }
    }

    /// The index, opened now if it was not yet.
    pub fn get(&mut self, store: &Store, operation: &str) -> Result<&mut Index> {
        match self {
            IndexSlot::Open(i) => Ok(i),
            IndexSlot::OnceLocked(o) => match o {
                Some(i) => Ok(i),
                None => Ok(o.insert(open_index(store, operation)?)),
            },
        }
    }

    fn opened(&mut self) -> Option<&mut Index> {
        match self {
            IndexSlot::Open(i) => Some(i),
            IndexSlot::OnceLocked(o) => o.as_mut(),
        }
    }
}

/// [`write`], with `before_release` run once the write is over (landed or undone) while the
/// lock is still held, given its result, the index and how long the lock has been held: the
/// holder that saved queued records answers their writers there, before any of them can take
/// the lock and look (see [`crate::ops::queue`]).
pub fn write_then<T>(
    store: &Store,
    index: IndexSlot<'_>,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
    body: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    before_release: impl FnOnce(&Result<Written<T>>, &Index, Duration),
) -> Result<Written<T>> {
    write_with(store, Some(index), opts, progress, body, before_release)
}

/// [`write`] for `lore reindex`, which rebuilds the index file itself and so has none open:
/// its body has no [`Tx::rows`], and the lock is logged in the index it leaves.
pub fn write_rebuilding_index<T>(
    store: &Store,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
    body: impl FnOnce(&mut Tx<'_>) -> Result<T>,
) -> Result<Written<T>> {
    write_with(store, None, opts, progress, body, |_, _, _| {})
}

fn write_with<T>(
    store: &Store,
    mut slot: Option<IndexSlot<'_>>,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
    body: impl FnOnce(&mut Tx<'_>) -> Result<T>,
    before_release: impl FnOnce(&Result<Written<T>>, &Index, Duration),
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
        // Answered by the holder, which logged this writer's wait with the save.
        Err(e @ lock::LockError::Answered { .. }) => return Err(Error::from(e)),
        // A writer that queued its record logs a wait it gave up on itself, once it knows
        // whether a holder had taken the record (then the holder logs it).
        Err(e @ (lock::LockError::Timeout { .. } | lock::LockError::Cancelled { .. }))
            if opts.ends_wait.is_some() =>
        {
            return Err(Error::from(e).at(Step::Lock).doing(verb(&opts.operation)));
        }
        Err(e) => {
            let e = Error::from(e);
            let (waited, outcome) = e.lock_outcome();
            log(
                slot.as_mut().and_then(IndexSlot::opened),
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
    // Opened now where it was left for the lock (released, should that fail).
    let mut index = match slot.as_mut().map(|s| s.get(store, &opts.operation)) {
        None => None,
        Some(Ok(i)) => Some(i),
        Some(Err(e)) => return Err(e),
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
        (&opts.operation, opts.verify),
        index.as_deref_mut(),
        progress,
        body,
    );
    let outcome = match &result {
        Ok(_) => "ok",
        Err(_) => "error",
    };
    let held = guard.held_for();
    if let Some(index) = index.as_deref() {
        before_release(&result, index, held);
    }
    log(
        index,
        LockEventRow {
            operation: &opts.operation,
            waited: guard.waited,
            held: Some(held),
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
    (operation, verify): (&str, bool),
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
        verify,
    };
    let mut staged_undo: Option<StagedUndo> = None;
    // A panic in the body (a bug) is undone like an error before it goes on unwinding, so that
    // it leaves nothing behind; after the landing it is a crash, for the journal to mend.
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
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
    }));
    let value = match made {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return Err(undo(tx, staged_undo, e)),
        Err(panic) => {
            let e = undo(tx, staged_undo, Error::Bug);
            log::error!("a write panicked and was undone: {e}");
            std::panic::resume_unwind(panic);
        }
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
    if staged_undo.as_ref().is_some_and(|s| s.split_first) {
        warnings.push(git::SPLIT_NOTICE.to_string());
    }
    let after = match (fault::point("after-commit"), landed) {
        (Err(e), false) => return Err(undo(tx, staged_undo, e.at(Step::Commit))),
        (after, _) => after.map_err(|e| e.at(Step::Commit)),
    };
    let had_rows = tx.rows_begun;
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
        tx.end_rows(true).map_err(|e| e.at(Step::CommitIndex))
    })();
    // Rows committed are a change made, even where nothing else lands (doctor's repairs of
    // the index alone, `doctor --settle`): what fails after them cannot say "Nothing was
    // written".
    let rows_written = had_rows && rows.is_ok();
    let indexed = rows.is_ok();
    let rows = rows.and_then(|()| fault::point("before-unlock").map_err(|e| e.at(Step::Release)));
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
        (Err(e), None) if landed || rows_written => {
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
        indexed,
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
            let end = tx.staged.len();
            commit_steps(tx, &[(end, message)])
        }
        Plan::Chain { commits } => commit_steps(tx, &commits),
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
            let progress = &mut tx.progress;
            git::hooks::after_commit(tx.repo, true, &mut |h| {
                progress(Progress::Hook(h.to_string()))
            });
            Ok(Landing::Committed(Committed {
                commit,
                parent: expected,
                branch,
                no_op: false,
                steps: vec![commit],
            }))
        }
    }
}

/// Commits what `tx` staged, a commit for each `(end, message)`: the files staged up to `end`
/// since the one before (the last takes whatever was staged after it too, so that nothing
/// staged is left out of every commit); then runs the hooks that follow a commit, once a
/// commit made (all of them once the branch is at the last, where git runs each with HEAD at
/// its own commit).
fn commit_steps(tx: &mut Tx<'_>, commits: &[(usize, String)]) -> Result<Landing> {
    let mut start = 0;
    let all = tx.staged.len();
    let steps: Vec<git::CommitStep<'_>> = commits
        .iter()
        .enumerate()
        .map(|(i, (end, message))| {
            let end = if i + 1 == commits.len() { all } else { *end };
            let staged = &tx.staged[start..end];
            start = end;
            git::CommitStep {
                puts: staged
                    .iter()
                    .filter_map(|(p, b)| b.map(|b| (p.as_str(), b)))
                    .collect(),
                removed: staged
                    .iter()
                    .filter(|(_, b)| b.is_none())
                    .map(|(p, _)| p.as_str())
                    .collect(),
                message,
            }
        })
        .collect();
    let progress = &mut tx.progress;
    let committed = git::commit_chain(
        tx.repo,
        &steps,
        &mut git::Making {
            verify: tx.verify,
            on_hook: &mut |h| progress(Progress::Hook(h.to_string())),
        },
    )?;
    for _ in &committed.steps {
        git::hooks::after_commit(tx.repo, false, &mut |h| {
            progress(Progress::Hook(h.to_string()))
        });
    }
    Ok(Landing::Committed(committed))
}

/// Takes back everything `tx` did, newest first, and returns the error to report: `cause`,
/// saying that nothing was written, or what was left if part of the undo failed.
fn undo(mut tx: Tx<'_>, staged: Option<StagedUndo>, cause: Error) -> Error {
    log::warn!("write failed, undoing it: {cause}");
    let mut left: Vec<String> = Vec::new();
    let _ = tx.end_rows(false);
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
    // git's index after the files, so that entries rebuilt from them (where another client
    // changed the index meanwhile) describe the files as they are put back.
    if let Some(s) = staged
        && let Err(e) = s.undo(tx.repo, tx.store.root())
    {
        left.push(format!("git's index still lists the change ({e})"));
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
