//! What went wrong in git: libgit2's error kept whole, git's index file, and the few states a
//! write refuses to build on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// libgit2's error (made only by `git`, the one module that names it): its message, and
    /// the error itself as the source.
    #[error("{message}")]
    Lib {
        message: String,
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },

    /// git's index file could not be read or edited.
    #[error("{source} ({})", path.display())]
    IndexFile {
        path: PathBuf,
        source: gitindex::IndexError,
    },

    #[error("lore supports SHA-1 repositories only")]
    NotSha1,

    /// A repository made with `git init --object-format=sha256`.
    #[error(
        "{} is a SHA-256 git repository; lore reads and writes SHA-1 repositories only (its git index editor is SHA-1). Keep the store in a SHA-1 repository (git's default, `git init --object-format=sha1`)", path.display()
    )]
    Sha256 { path: PathBuf },

    #[error(
        "the branch kept moving while committing ({attempts} attempts); another program is committing in a tight loop"
    )]
    BranchKeptMoving { attempts: usize },

    #[error("{path} is not in HEAD")]
    NotInHead { path: String },

    #[error("FETCH_HEAD does not name a commit: {text}")]
    BadFetchHead { text: String },
}
