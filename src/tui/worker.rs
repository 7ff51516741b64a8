//! The browser's readers, in the manner of gitui's `asyncgit`: the UI thread sends
//! [`Request`]s and receives [`Msg`]s over channels and never waits on SQLite, git or the lock.
//!
//! One reader thread owns the index connection and answers requests in order (a second one
//! counts); writes run as jobs of their own (see `jobs`).

use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use lore::draft::Drafts;
use lore::index::{Anchor, Index, read_body};
use lore::lock;
use lore::store::Store;
use lore::{Error, Result};

use super::msg::{Msg, PageAt, Request, Source};

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
/// Totals and the domain list are scans of the whole table, so they go to a second thread with
/// its own connection: on one thread they held up the detail of the row the user had just
/// moved to (BENCHMARKS.md, "Measurements behind the code").
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
            // The first look at a store whose index does not follow HEAD yet indexes every
            // committed learning: the status line says how far it is.
            let started = std::time::Instant::now();
            let mut said = None::<std::time::Instant>;
            let mut progress = |p: lore::index::Indexing| {
                let now = std::time::Instant::now();
                let due = match said {
                    None => now - started >= lore::index::progress_after(),
                    Some(at) => now - at >= std::time::Duration::from_millis(250),
                };
                let text = if p.done == p.total {
                    said.is_some().then(|| {
                        format!("indexed the store's {} committed learnings", p.total)
                    })
                } else {
                    due.then(|| {
                        said = Some(now);
                        format!(
                            "indexing the store's committed learnings for the first time: {} of {}…",
                            p.done, p.total
                        )
                    })
                };
                if let Some(text) = text {
                    let _ = tx.send(Msg::Notice(text));
                }
            };
            if let Err(e) = index.follow_head_with(&store, &mut progress) {
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
                (Source::Browse(f, sort), PageAt::Anchor(a)) => index.page(f, *sort, a, limit)?,
                (Source::Search(q, f), PageAt::Offset(o)) => {
                    index.search_page(q, f, *o as usize, limit)?
                }
                (Source::Search(q, f), PageAt::Anchor(_)) => index.search_page(q, f, 0, limit)?,
                (Source::Browse(f, sort), PageAt::Offset(_)) => {
                    index.page(f, *sort, &Anchor::First, limit)?
                }
            };
            Msg::Page {
                generation,
                at,
                rows,
            }
        }
        Request::Count { generation, source } => {
            let total = match &source {
                Source::Browse(f, _) => index.count(f)?,
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
