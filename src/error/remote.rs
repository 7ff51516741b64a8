//! Reaching a remote for `lore sync` (exit status 4): git's own reason, and what to do next.
//! Names and git's words are sanitised by whoever makes the error.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "lore sync needs the `git` command to reach remotes, and it could not run ({source}); install git, then retry. Recording keeps working offline"
    )]
    NoGit { source: std::io::Error },

    #[error(
        "this store has no remote `{remote}`; add one with `git -C {} remote add {remote} URL` (a bare repository everyone can reach), then run `lore sync` again",
        root.display()
    )]
    Unknown { remote: String, root: PathBuf },

    #[error(
        "could not fetch from `{remote}`: {reason}. Nothing changed locally; recording keeps working offline"
    )]
    Fetch { remote: String, reason: String },

    #[error(
        "could not push to `{remote}`: {reason}. Your learnings are committed locally; run `lore sync` again"
    )]
    Push { remote: String, reason: String },

    #[error("could not list the branches of `{remote}`: {reason}")]
    ListBranches { remote: String, reason: String },

    #[error(
        "`{remote}` has no branch `{branch}`, and its branches ({heads}) hold no lore store; pushing would add an unrelated branch. Check the remote, or push this store's branch yourself with `git push {remote} {branch}`"
    )]
    NoStoreBranch {
        remote: String,
        branch: String,
        heads: String,
    },

    #[error(
        "`{remote}` has no branch `{branch}` but holds a store on {stores}; choose one with `git branch --set-upstream-to={remote}/<branch>` and run `lore sync` again"
    )]
    SeveralStoreBranches {
        remote: String,
        branch: String,
        stores: String,
    },
}
