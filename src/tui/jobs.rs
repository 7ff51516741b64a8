//! The browser's writes, each a job in a thread of its own started the one way, [`start`]:
//! the same pipelines as `lore record`, `lore sync` and `lore edit`, reporting progress and
//! their outcome as [`Msg`]s. A job that cannot start says so as its own outcome, so the
//! browser never waits for one that never ran.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Sender;

use lore::Error;
use lore::learning::Learning;
use lore::lock::error::LockError;
use lore::lock::{LockEvent, LockOptions};
use lore::ops::record::{self, Progress};
use lore::store::Store;

use super::msg::{Msg, SaveMsg};

/// A write the browser runs in the background.
pub enum Job {
    /// Save the form's learning; `cancel` gives up a wait for the lock.
    Save {
        learning: Box<Learning>,
        cancel: Arc<AtomicBool>,
    },
    /// Sync with `remote`.
    Sync { remote: String },
    /// Commit what the user's editor changed in learning `id`'s file.
    CommitEdit { id: i64 },
}

impl Job {
    fn name(&self) -> &'static str {
        match self {
            Job::Save { .. } => "save",
            Job::Sync { .. } => "sync",
            Job::CommitEdit { .. } => "edit",
        }
    }

    /// The message that ends this job when it failed with `message`.
    fn failed(&self, message: String) -> Msg {
        match self {
            Job::Save { .. } => Msg::Save(SaveMsg::Failed { message }),
            Job::Sync { .. } => Msg::SyncEnded(format!("sync failed: {message}")),
            Job::CommitEdit { id } => Msg::Edited {
                id: *id,
                message: format!("edit not committed: {message}"),
            },
        }
    }
}

/// Starts `job` on `store` with the lock options `opts` in a thread named after it; what it
/// does and how it ends arrives on `tx`.
pub fn start(job: Job, store: Store, mut opts: LockOptions, tx: Sender<Msg>) {
    let name = job.name();
    opts.operation = match job {
        Job::Save { .. } => "record".into(),
        _ => name.into(),
    };
    // What to say if the thread cannot start, decided before the job moves into it.
    let failed = job.failed("could not start a thread".into());
    let report = tx.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("lore-{name}"))
        .spawn(move || match job {
            Job::Save { learning, cancel } => {
                opts.cancel = Some(cancel);
                save(&store, &learning, &opts, &tx)
            }
            Job::Sync { remote } => sync(&store, &remote, &opts, &tx),
            Job::CommitEdit { id } => commit_edit(&store, id, &opts, &tx),
        });
    if let Err(e) = spawned {
        log::warn!("could not start the {name} job: {e}");
        let _ = report.send(failed);
    }
}

fn save(store: &Store, learning: &Learning, opts: &LockOptions, tx: &Sender<Msg>) {
    let send = |m: SaveMsg| {
        let _ = tx.send(Msg::Save(m));
    };
    let result = lore::write::open_index(store, "record").and_then(|mut index| {
        record::record(store, &mut index, learning, opts, &mut |p| match p {
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
            Progress::Hook(hook) => send(SaveMsg::Hook(hook)),
            _ => {}
        })
    });
    match result {
        // The draft goes when the form learns of this (see `App::on_save`).
        Ok(r) => send(SaveMsg::Done {
            id: r.id(),
            commit: r.commit,
            warnings: r.warnings,
        }),
        Err(Error::Lock(LockError::Timeout { holder, waited, .. })) => send(SaveMsg::TimedOut {
            holder: holder.map(|h| *h),
            waited,
        }),
        Err(Error::Lock(LockError::Cancelled { .. })) => send(SaveMsg::Cancelled),
        Err(e) => send(SaveMsg::Failed {
            message: e.to_string(),
        }),
    }
}

/// The status line's words for a background write (`sync`, `edit`) waiting for the lock, at
/// most once a second.
pub fn waiting_notice(what: &str, p: &Progress) -> Option<String> {
    if let Progress::Hook(hook) = p {
        return Some(format!("{what}: running git's {hook} hook…"));
    }
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

fn sync(store: &Store, remote: &str, opts: &LockOptions, tx: &Sender<Msg>) {
    let result = lore::ops::sync::sync(store, remote, opts, &mut |p| {
        let what = match p {
            lore::ops::sync::Progress::Lock(e) => {
                if let Some(text) = waiting_notice("sync", &Progress::Lock(e)) {
                    let _ = tx.send(Msg::Notice(text));
                }
                return;
            }
            lore::ops::sync::Progress::Fetching => "fetching",
            lore::ops::sync::Progress::Integrating => "integrating",
            lore::ops::sync::Progress::Pushing => "pushing",
            lore::ops::sync::Progress::Indexing => "indexing",
            lore::ops::sync::Progress::Hook(hook) => {
                let _ = tx.send(Msg::Notice(format!("sync: running git's {hook} hook…")));
                return;
            }
        };
        let _ = tx.send(Msg::Notice(format!("sync: {what}…")));
    });
    let msg = match result {
        Ok(r) => {
            let changed = !(r.arrived.is_empty() && r.moved.is_empty() && r.kept_both.is_empty());
            let _ = tx.send(Msg::Synced { changed });
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
            for n in &r.not_learnings {
                text.push_str(&format!("; not a learning: {n}"));
            }
            for lore::report::FromTo { from, to } in &r.moved {
                text.push_str(&format!("; moved {from} to {to} (same id)"));
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
}

fn commit_edit(store: &Store, id: i64, opts: &LockOptions, tx: &Sender<Msg>) {
    let mut progress = |p| {
        if let Some(text) = waiting_notice("edit", &p) {
            let _ = tx.send(Msg::Notice(text));
        }
    };
    let message = match lore::write::open_index(store, "edit").and_then(|mut index| {
        lore::ops::edit::commit_edit(store, &mut index, id, opts, &mut progress)
    }) {
        Ok(lore::ops::edit::Edited::Unchanged) => format!("#{id} unchanged; nothing to commit"),
        Ok(lore::ops::edit::Edited::Committed { commit, warnings }) => {
            let mut said = format!("committed the edit of #{id} ({})", &commit[..7]);
            for w in warnings {
                said.push_str(&format!("; {w}"));
            }
            said
        }
        Err(e) => format!("edit not committed: {e}"),
    };
    let _ = tx.send(Msg::Edited { id, message });
}
