//! One error type for the library, with the exit status each kind maps to.
//!
//! The command line prints `Error`'s `Display` as its single line on stderr, so every message
//! says what went wrong *and* what the user can do about it.

use std::path::PathBuf;
use std::time::Duration;

use crate::lock::error::LockError;

mod git;
mod index;
mod remote;

pub use git::GitError;
pub use index::IndexFailure;
pub use remote::RemoteError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit statuses, documented in the README.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILURE: i32 = 1;
    pub const BAD_INPUT: i32 = 2;
    pub const LOCK_TIMEOUT: i32 = 3;
    /// `lore sync`: the remote could not be reached, refused, or git is missing.
    pub const REMOTE: i32 = 4;
    pub const INTERRUPTED: i32 = 130;
}

/// A step of a write (see [`crate::write`]); named in errors so the user knows how far it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Opening the index, before the lock.
    Open,
    /// Looking at the store for what to do, before the lock.
    Inspect,
    Lock,
    /// The operation's own work under the lock, where it names no finer step.
    Change,
    ChoosePath,
    WriteFile,
    InsertRow,
    Stage,
    Commit,
    CommitIndex,
    Release,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Open => "opening the index",
            Step::Inspect => "looking at the store",
            Step::Lock => "taking the store lock",
            Step::Change => "making the change",
            Step::ChoosePath => "choosing a file name",
            Step::WriteFile => "writing the markdown file",
            Step::InsertRow => "writing the index rows",
            Step::Stage => "staging in git's index",
            Step::Commit => "committing to git",
            Step::CommitIndex => "committing the index",
            Step::Release => "releasing the lock",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad user input: names the field and the limit. Nothing was written.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },

    /// The store lock: a timeout, a cancelled wait, a lock file that is a link…
    #[error(transparent)]
    Lock(#[from] LockError),

    #[error("{} is not a lore store ({reason}); create one with `lore init {}`", path.display(), path.display())]
    NotAStore { path: PathBuf, reason: String },

    #[error("{} is a bare git repository: a store needs a work tree. Clone it (`git clone {} DIR`) and use the clone, or keep it as a remote that `lore sync` shares learnings through", path.display(), path.display())]
    BareRepository { path: PathBuf },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("refusing to use {}: it is a symbolic link (lore never follows links inside a store)", path.display())]
    Symlink { path: PathBuf },

    #[error(
        "the index {} cannot be read ({source}); rebuild it from the markdown with `lore reindex`",
        path.display()
    )]
    BadIndex { path: PathBuf, source: DbError },

    #[error("index: {0}")]
    Sqlite(#[from] DbError),

    #[error("index: {0}")]
    Index(#[from] IndexFailure),

    #[error("git: {0}")]
    Git(#[from] GitError),

    #[error(
        "{} exists: another git command is running or crashed. Wait for it to finish; if no git process is running, remove the file and retry",
        path.display()
    )]
    GitLocked { path: PathBuf },

    #[error("HEAD is detached in {}; check out a branch (`git switch {}`) and retry", path.display(), branch.as_deref().unwrap_or("<branch>"))]
    DetachedHead {
        path: PathBuf,
        /// The branch to go back to, when one can be told: the one at HEAD's commit, else the
        /// only one there is.
        branch: Option<String>,
    },

    /// `commit.gpgsign` is set and the commit could not be signed: nothing is committed.
    #[error("commit signing: {reason}")]
    Signing { reason: String },

    /// A git hook refused the commit (`pre-commit`, `commit-msg`…); its output says why.
    #[error("the {hook} hook refused the commit ({status}){}; skip the hooks with --no-verify if that is intended", if output.is_empty() { String::new() } else { format!(": {output}") })]
    HookFailed {
        hook: String,
        status: String,
        output: String,
    },

    #[error("the branch moved meanwhile (another git command committed); run it again")]
    BranchMoved,

    /// A queued record that the lock's holder took and has not answered for (see
    /// `crate::ops::queue`): it may still be saved, so this is not "Nothing was written".
    #[error(
        "the record was handed to the store lock's holder, which has not answered ({why}); it may still be saved (`lore list` shows it once it is); `lore lock status` shows the holder"
    )]
    Handed { why: String },

    #[error(transparent)]
    Remote(#[from] RemoteError),

    #[error("no learning {0}; see `lore list`")]
    NotFound(String),

    /// The user answered no to a confirmation; nothing was done.
    #[error("{0}: not done")]
    Declined(&'static str),

    /// `lore doctor` found problems (each already printed).
    #[error("{count} problem(s) found{}", match fixable {
        None => String::new(),
        Some(n) if n == count => "; `lore doctor --fix` repairs them".to_string(),
        Some(n) => format!("; `lore doctor --fix` repairs {n} of them"),
    })]
    ProblemsFound {
        count: usize,
        /// How many `--fix` would repair, when it was not given and would repair any.
        fixable: Option<usize>,
    },

    /// `TERM=dumb`: no full-screen browser there.
    #[error(
        "this terminal (TERM=dumb) cannot show the full-screen browser; use `lore list`, `lore search WORDS` and `lore show ID`"
    )]
    DumbTerminal,

    /// The terminal could not be set up, drawn on or read.
    #[error("{doing} failed: {source}")]
    Terminal {
        doing: &'static str,
        source: std::io::Error,
    },

    /// A helper thread could not be started.
    #[error("could not start {what}: {source}")]
    Thread {
        what: &'static str,
        source: std::io::Error,
    },

    #[error("could not {verb}: {step} failed: {source}. {}", match left {
        None => "Nothing was written".to_string(),
        Some(l) => format!("Not all of it could be taken back: {l}; `lore doctor --fix` mends that"),
    })]
    Step {
        step: Step,
        source: Box<Error>,
        /// What could not be done: `save`, `import`, `sync`…
        verb: &'static str,
        /// What a failed undo left behind; `None` when nothing was written.
        left: Option<String>,
    },

    /// lore panicked in the middle of a write (a bug); the write was undone.
    #[error("lore stopped on a bug")]
    Bug,

    #[cfg(feature = "fault-injection")]
    #[error("injected fault at {0}")]
    Injected(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid { .. } => exit::BAD_INPUT,
            Error::Lock(LockError::Timeout { .. }) | Error::Handed { .. } => exit::LOCK_TIMEOUT,
            Error::Remote(_) => exit::REMOTE,
            Error::Lock(LockError::Cancelled { .. }) => exit::INTERRUPTED,
            Error::Step { source, .. } => source.exit_code(),
            _ => exit::FAILURE,
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn at(self, step: Step) -> Self {
        match self {
            // Already attributed, or a lock outcome that speaks for itself.
            e @ (Error::Step { .. }
            | Error::Lock(LockError::Timeout { .. } | LockError::Cancelled { .. })) => e,
            e => Error::Step {
                step,
                source: Box::new(e),
                verb: "save",
                left: None,
            },
        }
    }

    /// What went wrong underneath the step it happened in.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Step { source, .. } => source.cause(),
            e => e,
        }
    }

    /// Whether this is (or wraps) [`Error::BranchMoved`].
    pub fn branch_moved(&self) -> bool {
        match self {
            Error::BranchMoved => true,
            Error::Step { source, .. } => source.branch_moved(),
            _ => false,
        }
    }

    /// Whether waiting for the lock ended without it because the holder saved this writer's
    /// queued record ([`crate::lock::LockError::Answered`]).
    pub fn answered(&self) -> bool {
        matches!(
            self.cause(),
            Error::Lock(crate::lock::LockError::Answered { .. })
        )
    }

    /// Whether waiting for the lock was given up: it timed out, or the user cancelled it.
    pub fn gave_up_waiting(&self) -> bool {
        matches!(
            self.cause(),
            Error::Lock(
                crate::lock::LockError::Timeout { .. } | crate::lock::LockError::Cancelled { .. }
            )
        )
    }

    /// For `lock_events`: how long a failed acquisition waited, and how it ended.
    pub fn lock_outcome(&self) -> (Duration, &'static str) {
        match self {
            Error::Lock(e) => e.outcome(),
            _ => (Duration::ZERO, "error"),
        }
    }

    /// Names what a step error could not do (`could not import: …`).
    pub fn doing(self, what: &'static str) -> Self {
        match self {
            Error::Step {
                step, source, left, ..
            } => Error::Step {
                step,
                source,
                verb: what,
                left,
            },
            e => e,
        }
    }

    /// Records what a failed undo left behind, so the message does not say nothing was written.
    pub fn leaving(self, what: Option<String>) -> Self {
        match (self, what) {
            (
                Error::Step {
                    step,
                    source,
                    verb,
                    left: None,
                },
                Some(l),
            ) => Error::Step {
                step,
                source,
                verb,
                left: Some(l),
            },
            (e, _) => e,
        }
    }
}

pub use crate::clock::fmt_duration;

/// SQLite's own error, kept whole as the source of [`Error::Sqlite`] and [`Error::BadIndex`].
/// Made only by the index (the one module that names SQLite), which also reads its code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(pub Box<dyn std::error::Error + Send + Sync + 'static>);
