//! The browser's background threads, in the manner of gitui's `asyncgit`: the UI thread sends
//! [`Request`]s and receives [`Msg`]s over channels and never waits on SQLite, git or the lock.
//!
//! One reader thread owns the index connection and answers requests in order; each save runs
//! in a thread of its own, reporting progress as it goes.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use lore::draft::{DraftId, Drafts};
use lore::index::{Anchor, Filter, Index, LockStats, Row, read_body};
use lore::learning::{Draft, Learning};
use lore::lock::error::LockError;
use lore::lock::{self, Holder, LockEvent, LockOptions};
use lore::ops::record::{self, Progress};
use lore::store::Store;
use lore::{Error, Result};

/// What the list shows: everything (newest first), or search results (best first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Browse(Filter),
    Search(String, Filter),
}

impl Default for Source {
    fn default() -> Self {
        Source::Browse(Filter::default())
    }
}

/// Where a page of rows comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageAt {
    Anchor(Anchor),
    /// Position in search results.
    Offset(u64),
}

#[derive(Debug)]
pub enum Request {
    Page {
        generation: u64,
        source: Source,
        at: PageAt,
        limit: usize,
    },
    Count {
        generation: u64,
        source: Source,
    },
    Detail {
        id: i64,
    },
    LockStatus,
    LockStats,
    Domains,
    /// Writes a form's draft.
    SaveDraft(DraftId, Box<Draft>),
    /// Deletes a draft: its learning was saved, or the user confirmed.
    DiscardDraft(DraftId),
    /// Has anyone else changed the store (a save from another process, a commit made with
    /// git)? Answered with [`Msg::Changed`] only when they have.
    Refresh,
}

#[derive(Debug, Clone)]
pub enum SaveMsg {
    Waiting {
        holder: Option<Holder>,
        waited: Duration,
        timeout: Duration,
    },
    Writing,
    Committing,
    Done {
        id: i64,
        commit: String,
        /// Said beside success (the index catches up on the next read).
        warnings: Vec<String>,
    },
    Failed {
        message: String,
    },
    TimedOut {
        holder: Option<Holder>,
        waited: Duration,
    },
    Cancelled,
}

#[derive(Debug)]
pub enum Msg {
    Page {
        generation: u64,
        at: PageAt,
        rows: Vec<Row>,
    },
    Count {
        generation: u64,
        total: u64,
    },
    Detail {
        id: i64,
        row: Option<Row>,
        body: Option<String>,
    },
    Lock(lock::Status),
    LockStats(LockStats),
    Domains(Vec<(String, u64)>),
    Save(SaveMsg),
    /// A terminal event, from the input thread.
    Input(crossterm::event::Event),
    InputFailed(std::io::Error),
    /// A line of news for the status bar (sync progress and results).
    Notice(String),
    /// A sync brought something: reload what is shown.
    Synced,
    /// A sync ended (well or not): what to say.
    SyncEnded(String),
    /// Another process changed the store since the last look.
    Changed,
    /// The outcome of `e` (edit in an external editor).
    Edited {
        id: i64,
        message: String,
    },
    Error(String),
}

/// The reader thread: requests go in through `requests`; [`Reader::finish`] waits for those
/// already sent (draft writes among them) to be done.
pub struct Reader {
    pub requests: Sender<Request>,
    /// Told when the reader has answered its last request.
    done: Receiver<()>,
}

impl Reader {
    /// Closes the request channel and waits, up to `limit`, until every request sent so far
    /// has been answered, so that a draft written or deleted just before leaving is on disk.
    /// False if the reader was still busy (a long first look at HEAD) when the time ran out.
    pub fn finish(self, limit: Duration) -> bool {
        drop(self.requests);
        self.done.recv_timeout(limit).is_ok()
    }
}

/// Starts the reader threads; they end when the request channel closes.
///
/// Totals and the domain list are scans (~60 ms at a million rows), so they go to a second
/// thread with its own connection: on one thread they held up the detail of the row the user
/// had just moved to (scrolling p99 44 ms at a million rows, against 2 ms otherwise).
pub fn spawn_reader(store: Store, tx: Sender<Msg>) -> Result<Reader> {
    let mut index = Index::open(&store)?;
    let mut counter = Index::open(&store)?;
    let (req_tx, req_rx) = mpsc::channel::<Request>();
    let (count_tx, count_rx) = mpsc::channel::<Request>();
    let failed = |source| Error::Thread {
        what: "a reader thread",
        source,
    };
    let (count_store, count_msgs) = (store.clone(), tx.clone());
    std::thread::Builder::new()
        .name("lore-counter".into())
        .spawn(move || serve(&count_store, &mut counter, &count_rx, &count_msgs, None))
        .map_err(failed)?;
    let (done_tx, done) = mpsc::channel();
    std::thread::Builder::new()
        .name("lore-reader".into())
        .spawn(move || {
            // Commits made outside lore since the index last looked (a `git pull`, an edit
            // committed by hand): taken in before the first page is read.
            if let Err(e) = index.follow_head(&store) {
                log::warn!("could not bring the index up to date with HEAD: {e}");
            }
            serve(&store, &mut index, &req_rx, &tx, Some(count_tx));
            let _ = done_tx.send(());
        })
        .map_err(failed)?;
    Ok(Reader {
        requests: req_tx,
        done,
    })
}

/// Answers requests in order; with `slow`, hands the scans to that thread instead.
fn serve(
    store: &Store,
    index: &mut Index,
    rx: &Receiver<Request>,
    tx: &Sender<Msg>,
    slow: Option<Sender<Request>>,
) {
    let drafts = Drafts::for_store(store);
    // Taken before the first page is read, so a change made meanwhile is a change.
    let mut seen: Option<i64> = index.data_version().ok();
    while let Ok(req) = rx.recv() {
        let req = match (&slow, req) {
            (Some(counter), r @ (Request::Count { .. } | Request::Domains)) => {
                let _ = counter.send(r);
                continue;
            }
            (_, Request::Refresh) => {
                match changed_elsewhere(store, index, &mut seen) {
                    Ok(true) if tx.send(Msg::Changed).is_err() => return,
                    Err(e) => log::debug!("could not look for changes: {e}"),
                    _ => {}
                }
                continue;
            }
            (_, r) => r,
        };
        let msg = match answer(store, index, &drafts, req) {
            Ok(Some(m)) => m,
            Ok(None) => continue,
            Err(e) => Msg::Error(e.to_string()),
        };
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// Whether the index changed since the last look: rows written by another connection
/// (SQLite's `data_version`), or commits made outside lore that the index has just taken in.
fn changed_elsewhere(store: &Store, index: &mut Index, seen: &mut Option<i64>) -> Result<bool> {
    let followed = index.follow_head(store)?.changed();
    let version = index.data_version()?;
    let moved = seen.is_some_and(|v| v != version);
    *seen = Some(version);
    Ok(followed || moved)
}

fn answer(store: &Store, index: &mut Index, drafts: &Drafts, req: Request) -> Result<Option<Msg>> {
    Ok(Some(match req {
        Request::Page {
            generation,
            source,
            at,
            limit,
        } => {
            let rows = match (&source, &at) {
                (Source::Browse(f), PageAt::Anchor(a)) => index.page(f, a, limit)?,
                (Source::Search(q, f), PageAt::Offset(o)) => {
                    index.search_page(q, f, *o as usize, limit)?
                }
                (Source::Search(q, f), PageAt::Anchor(_)) => index.search_page(q, f, 0, limit)?,
                (Source::Browse(f), PageAt::Offset(_)) => index.page(f, &Anchor::First, limit)?,
            };
            Msg::Page {
                generation,
                at,
                rows,
            }
        }
        Request::Count { generation, source } => {
            let total = match &source {
                Source::Browse(f) => index.count(f)?,
                Source::Search(q, f) => {
                    index.catch_up()?;
                    index.search_count(q, f)?
                }
            };
            Msg::Count { generation, total }
        }
        Request::Detail { id } => {
            let row = index.get(id)?;
            let body = row
                .as_ref()
                .and_then(|r| read_body(store.root(), &r.filepath));
            Msg::Detail { id, row, body }
        }
        Request::LockStatus => Msg::Lock(lock::status(&store.lock_paths())),
        Request::LockStats => Msg::LockStats(index.lock_stats()?),
        Request::Domains => Msg::Domains(index.domains()?),
        Request::SaveDraft(id, d) => {
            drafts.save(&id, &d)?;
            return Ok(None);
        }
        Request::DiscardDraft(id) => {
            drafts.discard(&id)?;
            return Ok(None);
        }
        // Answered by `serve`, which keeps what it saw last.
        Request::Refresh => return Ok(None),
    }))
}

/// Runs one save in its own thread: the same pipeline as `lore record`.
pub fn spawn_save(
    store: Store,
    learning: Learning,
    mut opts: LockOptions,
    cancel: Arc<AtomicBool>,
    tx: Sender<Msg>,
) {
    opts.cancel = Some(cancel);
    let _ = std::thread::Builder::new()
        .name("lore-save".into())
        .spawn(move || {
            let send = |m: SaveMsg| {
                let _ = tx.send(Msg::Save(m));
            };
            let result = lore::write::open_index(&store, "record").and_then(|mut index| {
                record::record(&store, &mut index, &learning, &opts, &mut |p| match p {
                    Progress::Lock(LockEvent::Contended {
                        holder,
                        waited,
                        timeout,
                    }) => send(SaveMsg::Waiting {
                        holder,
                        waited,
                        timeout,
                    }),
                    Progress::Writing { .. } | Progress::Indexing => send(SaveMsg::Writing),
                    Progress::Committing => send(SaveMsg::Committing),
                    _ => {}
                })
            });
            match result {
                Ok(r) => {
                    // The draft goes when the form learns of this (see `App::on_save`).
                    send(SaveMsg::Done {
                        id: r.id,
                        commit: r.commit,
                        warnings: r.warnings,
                    })
                }
                Err(Error::Lock(LockError::Timeout { holder, waited, .. })) => {
                    send(SaveMsg::TimedOut {
                        holder: holder.map(|h| *h),
                        waited,
                    })
                }
                Err(Error::Lock(LockError::Cancelled { .. })) => send(SaveMsg::Cancelled),
                Err(e) => send(SaveMsg::Failed {
                    message: e.to_string(),
                }),
            }
        });
}

/// The status line's words for a background write (`sync`, `edit`) waiting for the lock, at
/// most once a second.
pub fn waiting_notice(what: &str, p: &Progress) -> Option<String> {
    let Progress::Lock(LockEvent::Contended {
        holder,
        waited,
        timeout,
    }) = p
    else {
        return None;
    };
    if waited.as_millis() % 1000 >= 100 {
        return None;
    }
    let who = holder
        .as_ref()
        .map(|h| format!("held by {}", h.describe()))
        .unwrap_or_else(|| "held by another process".into());
    Some(format!(
        "{what}: waiting for the store lock, {who} — {} of {}",
        lore::error::fmt_duration(*waited),
        lore::error::fmt_duration(*timeout)
    ))
}

/// Runs `lore sync` with `remote` in its own thread, reporting as it goes.
pub fn spawn_sync(store: Store, mut opts: LockOptions, remote: String, tx: Sender<Msg>) {
    opts.operation = "sync".into();
    let _ = std::thread::Builder::new()
        .name("lore-sync".into())
        .spawn(move || {
            let progress_tx = tx.clone();
            let result = lore::ops::sync::sync(&store, &remote, &opts, &mut |p| {
                let what = match p {
                    lore::ops::sync::Progress::Lock(e) => {
                        if let Some(text) = waiting_notice("sync", &Progress::Lock(e)) {
                            let _ = progress_tx.send(Msg::Notice(text));
                        }
                        return;
                    }
                    lore::ops::sync::Progress::Fetching => "fetching",
                    lore::ops::sync::Progress::Integrating => "integrating",
                    lore::ops::sync::Progress::Pushing => "pushing",
                    lore::ops::sync::Progress::Indexing => "indexing",
                };
                let _ = progress_tx.send(Msg::Notice(format!("sync: {what}…")));
            });
            let msg = match result {
                Ok(r) => {
                    let _ = tx.send(Msg::Synced);
                    let mut text = format!(
                        "synced with {}/{}: {}, {} arrived, {}",
                        r.remote,
                        r.branch,
                        r.integration,
                        r.arrived.len(),
                        if r.pushed {
                            "pushed"
                        } else {
                            "nothing to push"
                        }
                    );
                    for w in &r.warnings {
                        text.push_str(&format!("; {w}"));
                    }
                    if !r.kept_both.is_empty() || !r.conflicts.is_empty() {
                        text.push_str(&format!(
                            "; {} collision(s) kept both versions (see `lore sync` output)",
                            r.kept_both.len() + r.conflicts.len()
                        ));
                    }
                    text
                }
                Err(e) => format!("sync failed: {e}"),
            };
            let _ = tx.send(Msg::SyncEnded(msg));
        });
}
