//! The lock's own errors: what taking, holding or breaking the store lock can run into.

use std::path::PathBuf;
use std::time::Duration;

use super::holder::Holder;
use crate::clock::fmt_duration;

pub type Result<T, E = LockError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "timed out after {} waiting for the store lock {}{}; run `lore lock status` to see who holds it",
        fmt_duration(*waited),
        path.display(),
        holder.as_deref().map(|h| format!(" held by {}", h.describe())).unwrap_or_default()
    )]
    Timeout {
        path: PathBuf,
        waited: Duration,
        holder: Option<Box<Holder>>,
    },

    #[error("gave up waiting for the store lock {} after {}", path.display(), fmt_duration(*waited))]
    Cancelled { path: PathBuf, waited: Duration },

    /// Not a failure: the record this writer queued was saved by the lock's holder, whose
    /// answer ended the wait (see `LockOptions::ends_wait`).
    #[error("the lock holder saved the queued record after {}", fmt_duration(*waited))]
    Answered { waited: Duration },

    #[error("refusing to use {}: it is a symbolic link (lore never follows links inside a store)", path.display())]
    Symlink { path: PathBuf },

    #[error(
        "refusing to {purpose} {}: it has {links} hard links (lore never writes through a link); remove it and lore recreates it",
        path.display()
    )]
    HardLinked {
        purpose: &'static str,
        path: PathBuf,
        links: u64,
    },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("lock-strategy: `{0}` is not a strategy; use flock or mkdir")]
    NoSuchStrategy(String),

    #[error(
        "the lock is held by {holder}; a flock frees itself when its holder exits, so stop that process if it is stuck (`kill {pid}`)"
    )]
    FlockHeld { holder: String, pid: String },

    #[error("refusing to break a live lock: held by {holder}")]
    Alive { holder: String },

    #[error(
        "cannot prove the holder of {} is dead ({why}); if you are sure, run `lore lock break --force`",
        dir.display()
    )]
    Unproven { dir: PathBuf, why: String },
}

impl LockError {
    /// For `lock_events`: how long a failed acquisition waited, and how it ended.
    pub fn outcome(&self) -> (Duration, &'static str) {
        match self {
            LockError::Timeout { waited, .. } => (*waited, "timeout"),
            LockError::Cancelled { waited, .. } => (*waited, "cancelled"),
            _ => (Duration::ZERO, "error"),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> LockError {
        LockError::Io {
            path: path.into(),
            source,
        }
    }
}
