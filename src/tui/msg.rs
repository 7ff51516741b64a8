//! What the browser's threads say to each other: [`Request`]s from the UI thread to the
//! readers, and [`Msg`]s back from the readers, the jobs and the input thread.

use std::time::Duration;

use lore::draft::DraftId;
use lore::index::{Anchor, Filter, LockStats, Row, Sort};
use lore::learning::Draft;
use lore::lock::{self, Holder};

/// What the list shows: everything (in the order chosen), or search results (best first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Browse(Filter, Sort),
    Search(String, Filter),
}

impl Default for Source {
    fn default() -> Self {
        Source::Browse(Filter::default(), Sort::Newest)
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
    /// One of git's hooks runs (its name).
    Hook(String),
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
    /// A sync finished its integration.
    Synced {
        /// Whether anything arrived or moved: otherwise the list stays as it is.
        changed: bool,
    },
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
