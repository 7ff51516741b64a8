//! `lore record`: one learning saved as one write (see [`crate::write`]).
//!
//! ```text
//! lock → choose a free name and write the file (temp + link, 0600) → insert the row
//!      → stage the file → commit exactly that file → commit SQLite → unlock
//! ```
//!
//! A save that holds the lock also saves what writers waiting for it queued, each its own
//! commit in the same write, and answers them before it unlocks; a `lore record` that finds
//! the lock busy queues its own (see [`crate::ops::queue`]).

use std::cell::{Cell, RefCell};
use std::time::Duration;

use crate::error::{Error, Result, Step};
use crate::git;
use crate::index::{Index, LockEventRow, Row};
use crate::json;
use crate::learning::{Draft, Learning};
use crate::lock::{LockEvent, LockOptions};
use crate::ops::queue::{self, Ask, Claim, Queue, Standing};
use crate::slug;
use crate::store::Store;
use crate::template;
use crate::write::{self, IndexSlot};

pub use crate::write::Progress;

/// How many `-N` suffixes are tried before giving up on a name.
const MAX_SUFFIX: u32 = 10_000;

#[derive(Debug, Clone)]
pub struct Recorded {
    /// The learning's row, as it was inserted.
    pub row: Row,
    pub commit: String,
    pub waited: Duration,
    /// Said beside success: the commit landed, but the index could not be updated (it catches
    /// up on the next read).
    pub warnings: Vec<String>,
}

impl Recorded {
    pub fn id(&self) -> i64 {
        self.row.id
    }

    pub fn path(&self) -> &str {
        &self.row.filepath
    }

    /// As `record --json` and the MCP `record` tool print it.
    pub fn json(&self) -> json::Recorded<'_> {
        json::Recorded {
            learning: json::Learning::of(&self.row),
            commit: Some(&self.commit),
            warnings: &self.warnings,
        }
    }
}

/// Saves `learning` into `store`, and with it up to [`queue::CAP`]` - 1` records that writers
/// waiting for the lock queued (each its own commit; each writer is answered before the lock
/// is released). On error nothing of it remains and the lock is free.
pub fn record(
    store: &Store,
    index: &mut Index,
    learning: &Learning,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Recorded> {
    save(
        store,
        IndexSlot::Open(index),
        learning,
        None,
        true,
        opts,
        progress,
    )
}

/// [`record`] for a process that exists to save one record (`lore record`): should the lock
/// be busy, `draft` is queued for its holder to save, and the wait ends with the holder's
/// answer, or with the lock, whichever comes first (see [`queue`]).
pub fn record_or_queue(
    store: &Store,
    index: &mut Option<Index>,
    learning: &Learning,
    draft: &Draft,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Recorded> {
    let queue = Queue::of(store);
    let ask = queue.ask();
    let queued = Queued {
        ask: &ask,
        draft,
        sent: Cell::new(false),
        logged: Cell::new(false),
    };
    let first = save(
        store,
        IndexSlot::OnceLocked(index),
        learning,
        Some(&queued),
        true,
        opts,
        progress,
    );
    let Err(e) = first else {
        return first;
    };
    if !queued.sent.get() || ask.withdraw() {
        // Nobody has it: what failed is the whole story.
        log_given_up(store, index, opts, &queued, &e);
        return Err(e);
    }
    // Claimed already: the holder is saving it. Its answer, or its death, ends this.
    log::info!("the queued record is being saved by the lock holder; waiting for it");
    let patient = LockOptions {
        timeout: CLAIMED_PATIENCE,
        cancel: None,
        ..opts.clone()
    };
    let second = save(
        store,
        IndexSlot::OnceLocked(index),
        learning,
        Some(&queued),
        true,
        &patient,
        progress,
    );
    let Err(e) = second else {
        return second;
    };
    if ask.withdraw() {
        log_given_up(store, index, &patient, &queued, &e);
        return Err(e);
    }
    // Still claimed: whatever this writer says, the record may yet be saved.
    Err(Error::Handed {
        why: if e.gave_up_waiting() {
            format!("after {}", crate::clock::fmt_duration(CLAIMED_PATIENCE))
        } else {
            e.to_string()
        },
    })
}

/// Logs a wait that a writer which queued its record gave up on (the write path leaves that
/// to it: had a holder taken the record, the holder would log it), unless a retry of its own
/// record logged its own outcome already.
fn log_given_up(
    store: &Store,
    index: &mut Option<Index>,
    opts: &LockOptions,
    queued: &Queued<'_>,
    e: &Error,
) {
    if !e.gave_up_waiting() || queued.logged.get() {
        return;
    }
    let (waited, outcome) = e.lock_outcome();
    if let Ok(index) = IndexSlot::OnceLocked(index).get(store, &opts.operation) {
        let _ = index.log_lock_event(&LockEventRow {
            operation: &opts.operation,
            waited,
            held: None,
            outcome,
        });
    }
}

/// How long a writer whose queued record a holder claimed waits for it past its own timeout:
/// the holder answers, or dies and frees the lock, long before (a hook that hangs for this
/// long hangs the store's every writer).
const CLAIMED_PATIENCE: Duration = Duration::from_secs(600);

/// A record this writer may queue: its place, its draft, and whether it was sent.
struct Queued<'a> {
    ask: &'a Ask<'a>,
    draft: &'a Draft,
    sent: Cell<bool>,
    /// Whether a write of this record logged its own outcome in `lock_events` (the retry
    /// alone after a failed batch).
    logged: Cell<bool>,
}

/// What one write of [`save`] did.
enum Outcome {
    /// Saved these rows: this writer's, then each claimed record's, in commit order.
    Wrote(Vec<Row>),
    /// A holder that died had landed this writer's queued record here.
    Found { path: String, blob: git::Oid },
    /// The holder answered while this writer was getting the lock.
    Answered(Box<queue::Answer>),
}

fn save(
    store: &Store,
    mut index: IndexSlot<'_>,
    learning: &Learning,
    queued: Option<&Queued<'_>>,
    serve: bool,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Recorded> {
    let started = std::time::Instant::now();
    let queue = Queue::of(store);
    let prepared = Prepared::new(learning);
    let claims: RefCell<Vec<Claim>> = RefCell::new(Vec::new());
    let batch: RefCell<Option<std::path::PathBuf>> = RefCell::new(None);
    let mut opts = opts.clone();
    if let Some(q) = queued {
        opts.ends_wait = Some(q.ask.answer_path());
    }
    let verify = opts.verify;
    let mut queueing = |p: Progress| {
        if let (Some(q), Progress::Lock(LockEvent::Contended { .. })) = (queued, &p)
            && !q.sent.get()
        {
            match q.ask.send(store.root(), q.draft, verify) {
                Ok(()) => q.sent.set(true),
                // Not queued: this writer waits for the lock and saves it itself.
                Err(e) => log::debug!("could not queue the record: {e}"),
            }
        }
        progress(p)
    };
    let written = write::write_then(
        store,
        index.reborrow(),
        &opts,
        &mut queueing,
        |tx| {
            if let Some(q) = queued.filter(|q| q.sent.get()) {
                match q.ask.standing() {
                    Standing::Answered(a) => return Ok(Outcome::Answered(a)),
                    Standing::Withdrawn => {}
                    Standing::Orphaned(landing) => {
                        if let Some(found) = orphaned(store, tx, landing)? {
                            return Ok(found);
                        }
                    }
                }
            }
            if serve {
                *claims.borrow_mut() = queue.claim(store.root(), verify, queue::CAP - 1);
            }
            let claims = claims.borrow();
            crate::fault::point("after-claim")?;
            if claims.is_empty() {
                tx.single_new_file();
                let row = prepared.put(tx)?;
                tx.commit(prepared.message.clone());
                return Ok(Outcome::Wrote(vec![row]));
            }
            let mut rows = Vec::with_capacity(claims.len() + 1);
            rows.push(prepared.put(tx)?);
            tx.commit_so_far(prepared.message.clone());
            let mut landings = Vec::with_capacity(claims.len());
            for c in claims.iter() {
                let p = Prepared::new(&c.learning);
                let row = p.put(tx)?;
                tx.commit_so_far(p.message.clone());
                landings.push((
                    c,
                    row.filepath.clone(),
                    git::hash_blob(p.content.as_bytes()),
                ));
                rows.push(row);
            }
            let landings: Vec<_> = landings
                .iter()
                .map(|(c, p, b)| (*c, p.as_str(), *b))
                .collect();
            *batch.borrow_mut() = Some(
                queue
                    .note_batch(&landings)
                    .map_err(|e| Error::io(queue.dir(), e).at(Step::WriteFile))?,
            );
            Ok(Outcome::Wrote(rows))
        },
        |result, index, _held| answer_claims(store, &claims.borrow(), &batch, result, index),
    );
    let served = claims.borrow().len();
    let written = match written {
        Ok(w) => w,
        // The queued records may be why it failed: this writer's own record is tried alone.
        Err(e) if served > 0 => {
            log::warn!("a save with {served} queued records failed ({e}); saving this one alone");
            let alone = LockOptions {
                ends_wait: None,
                ..opts.clone()
            };
            if let Some(q) = queued {
                q.logged.set(true);
            }
            return save(store, index, learning, None, false, &alone, progress);
        }
        Err(e) if e.answered() => {
            let a = queued.and_then(|q| q.ask.take_answer()).ok_or(e)?;
            return answered(store, index, a, started.elapsed());
        }
        Err(e) => return Err(e),
    };
    let steps = written
        .commit
        .as_ref()
        .map(|c| c.steps.clone())
        .unwrap_or_default();
    let row = match written.value {
        Outcome::Wrote(mut rows) => rows.swap_remove(0),
        Outcome::Answered(a) => return answered(store, index, *a, started.elapsed()),
        Outcome::Found { path, blob } => {
            let repo = store.repo()?;
            let commit = git::head_commit(&repo)?
                .and_then(|h| repo.commit_adding(h, &path, blob, SEARCHED_BACK))
                .map(|c| c.to_string())
                .unwrap_or_default();
            let a = queue::Answer {
                row: None,
                path,
                commit,
                warnings: Vec::new(),
            };
            return answered(store, index, a, started.elapsed());
        }
    };
    let commit = match written.commit.as_ref() {
        Some(c) if steps.len() == served + 1 => c.steps[0].to_string(),
        // Another git client committed some of the files meanwhile (they were staged first):
        // the commit that holds this one is looked for.
        Some(c) => commit_holding(store, c.commit, &row.filepath),
        None => String::new(),
    };
    log::info!("recorded #{} {} commit {commit}", row.id, row.filepath);
    if served > 0 {
        log::info!("saved {served} queued records with it");
    }
    Ok(Recorded {
        row,
        commit,
        waited: written.waited,
        warnings: written.warnings,
    })
}

/// Before the lock is released: each writer whose record was saved gets its answer and its
/// `lock_events` row; when the write was undone, their records go back to the queue.
fn answer_claims(
    store: &Store,
    claims: &[Claim],
    batch: &RefCell<Option<std::path::PathBuf>>,
    result: &Result<write::Written<Outcome>>,
    index: &Index,
) {
    let mut all_told = true;
    match result {
        Ok(written) => {
            let Outcome::Wrote(rows) = &written.value else {
                return;
            };
            let steps = written
                .commit
                .as_ref()
                .map(|c| c.steps.as_slice())
                .unwrap_or(&[]);
            let Some(tip) = written.commit.as_ref().map(|c| c.commit) else {
                return;
            };
            for (i, c) in claims.iter().enumerate() {
                let answer = queue::Answer {
                    // Only a row that is in the index: one rolled back names an id that the
                    // index gives another learning when it catches up.
                    row: written.indexed.then(|| rows[i + 1].clone()),
                    path: rows[i + 1].filepath.clone(),
                    commit: match steps.len() == rows.len() {
                        true => steps[i + 1].to_string(),
                        // Another git client committed some of the files meanwhile.
                        false => commit_holding(store, tip, &rows[i + 1].filepath),
                    },
                    warnings: written.warnings.clone(),
                };
                if let Err(e) = c.answer(&answer) {
                    log::warn!(
                        "could not answer a queued record's writer ({e}); it finds its record in HEAD"
                    );
                    // Not served, as far as it knows: it takes the lock, and is logged then.
                    all_told = false;
                    continue;
                }
                let _ = index.log_lock_event_of(
                    c.pid,
                    &LockEventRow {
                        operation: "record",
                        waited: c.waited(),
                        held: None,
                        outcome: "served",
                    },
                );
                let _ = crate::fault::point("after-answer");
            }
        }
        Err(_) => {
            for c in claims {
                if let Err(e) = c.put_back(batch.borrow().as_deref()) {
                    log::warn!("could not put a queued record back ({e}); its writer saves it");
                }
            }
        }
    }
    // Kept only for a writer that was not told: it reads where its record went.
    if let Some(b) = batch.borrow_mut().take().filter(|_| all_told) {
        let _ = std::fs::remove_file(b);
    }
}

/// How long a writer taking back a dead holder's write waits for git's lock files to go.
const GIT_LOCK_PATIENCE: Duration = Duration::from_secs(2);

/// How far back the commit that holds a record is looked for, when it is not known.
const SEARCHED_BACK: usize = 1_000;

/// The commit that put `rel`'s file, as it is at `tip`, there (its id, or empty if not found).
fn commit_holding(store: &Store, tip: git::Oid, rel: &str) -> String {
    let Ok(repo) = store.repo() else {
        return String::new();
    };
    repo.tree_of(tip)
        .ok()
        .and_then(|t| t.blob_at(rel))
        .and_then(|blob| repo.commit_adding(tip, rel, blob, SEARCHED_BACK))
        .map(|c| c.to_string())
        .unwrap_or_default()
}

/// Inside a write: a queued record whose holder released the lock without answering. That
/// holder's write is judged (the verdict noted for the batch's other writers) and finished or
/// taken back from its journal, as is every dead write found then; if it had landed this
/// writer's record, that is the outcome.
fn orphaned(
    store: &Store,
    tx: &mut write::Tx<'_>,
    landing: Option<queue::Landing>,
) -> Result<Option<Outcome>> {
    if let Some(l) = &landing {
        l.await_holder_gone(store.git_dir());
    }
    let mut landed = landing.as_ref().and_then(|l| l.landed);
    // The dead write may have died holding git's index lock: taken back as stale first (a
    // lock taken over it would leave it unprovable).
    let branch = git::head_branch(tx.repo()).map_err(|e| e.at(Step::Commit))?;
    git::wait_for_git_locks(tx.repo(), &branch, GIT_LOCK_PATIENCE)
        .map_err(|e| e.at(Step::Commit))?;
    for dead in write::interrupted(store) {
        if let Some(l) = landing.as_ref().filter(|l| l.is_holders(&dead.journal))
            && landed.is_none()
        {
            let verdict = dead.had_landed(tx.repo())?;
            l.judged(verdict);
            landed = Some(verdict);
        }
        let said = write::recover(tx, &dead)?;
        log::warn!("{said}");
    }
    let Some(l) = landing.filter(|_| landed != Some(false)) else {
        return Ok(None);
    };
    let head = git::head_tree(tx.repo()).map_err(|e| e.at(Step::ChoosePath))?;
    let there = head.and_then(|t| t.blob_at(&l.path)) == Some(l.blob);
    Ok(there.then_some(Outcome::Found {
        path: l.path,
        blob: l.blob,
    }))
}

/// A record another process saved for this writer, as this writer reports it.
fn answered(
    store: &Store,
    mut index: IndexSlot<'_>,
    mut a: queue::Answer,
    waited: Duration,
) -> Result<Recorded> {
    let row = match a.row.take() {
        // As the holder inserted it: this writer need not open the index at all.
        Some(row) => row,
        None => {
            let index = index.get(store, "record")?;
            match index.get_by_path(&a.path)? {
                Some(row) => row,
                None => {
                    // Its rows were not committed (the holder died, or its index write failed).
                    index.follow_head(store)?;
                    index.get_by_path(&a.path)?.ok_or(Error::Bug)?
                }
            }
        }
    };
    log::info!(
        "recorded #{} {} commit {} (saved by the lock holder)",
        row.id,
        row.filepath,
        a.commit
    );
    Ok(Recorded {
        row,
        commit: a.commit,
        waited,
        warnings: a.warnings,
    })
}

/// Saves `learnings` into `store` in one write, each its own commit holding exactly its file
/// (what a holder of the lock that also commits other writers' queued records does; see
/// BENCHMARKS.md, round 6): one lock, one SQLite transaction, one change of git's index, one
/// move of the branch, to the last commit. All are saved or, on error, none.
pub fn record_each(
    store: &Store,
    index: &mut Index,
    learnings: &[Learning],
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<Recorded>> {
    let prepared: Vec<Prepared> = learnings.iter().map(Prepared::new).collect();
    let written = write::write(store, index, opts, progress, |tx| {
        let mut rows = Vec::with_capacity(prepared.len());
        for p in &prepared {
            rows.push(p.put(tx)?);
            tx.commit_so_far(p.message.clone());
        }
        Ok(rows)
    })?;
    let tip = written.commit.as_ref().map(|c| c.commit.to_string());
    let steps = written.commit.map(|c| c.steps).unwrap_or_default();
    // Where another client committed some of these files meanwhile (they were staged first),
    // which commit holds which is not known here; the branch's tip holds them all.
    let each = steps.len() == written.value.len();
    log::info!(
        "recorded {} learnings in {} commits",
        written.value.len(),
        steps.len()
    );
    Ok(written
        .value
        .into_iter()
        .enumerate()
        .map(|(i, row)| Recorded {
            row,
            commit: if each {
                steps[i].to_string()
            } else {
                tip.clone().unwrap_or_default()
            },
            waited: written.waited,
            warnings: written.warnings.clone(),
        })
        .collect())
}

/// A learning's file, row and commit message, made before the lock is taken.
struct Prepared<'l> {
    learning: &'l Learning,
    date: String,
    content: String,
    message: String,
    slug: String,
}

impl<'l> Prepared<'l> {
    fn new(learning: &'l Learning) -> Prepared<'l> {
        let today = crate::clock::now().date();
        Prepared {
            learning,
            date: today.strftime("%Y%m%d").to_string(),
            content: template::render(learning, &today.strftime("%Y-%m-%d").to_string()),
            message: format!(
                "{}: {}\n\nDomain: {} | Severity: {}",
                learning.kind,
                learning.title(),
                learning.domain(),
                learning.severity
            ),
            slug: slug::slug(learning.title()),
        }
    }

    /// Inside the write: the file under a free name, staged, and its row.
    fn put(&self, tx: &mut write::Tx<'_>) -> Result<Row> {
        let (rel_dir, _) = tx
            .store()
            .learning_dir(self.learning.kind, &self.date)
            .map_err(|e| e.at(Step::WriteFile))?;
        let head_tree = git::head_tree(tx.repo()).map_err(|e| e.at(Step::ChoosePath))?;
        let rel = tx
            .create_unique(
                &rel_dir,
                self.content.as_bytes(),
                MAX_SUFFIX,
                &|n| slug::candidate(&self.date, &self.slug, n),
                &|tx, rel| {
                    Ok(git::in_head(head_tree.as_ref(), rel) || tx.index().path_in_use(rel)?)
                },
            )?
            .ok_or_else(|| {
                Error::invalid(
                    "title",
                    format!("{MAX_SUFFIX} learnings already use this title today"),
                )
                .at(Step::ChoosePath)
            })?;
        tx.progress(Progress::Indexing);
        Index::insert(tx.rows()?, self.learning, &rel, &self.content)
            .map_err(|e| e.at(Step::InsertRow))
    }
}
