//! git's hooks, run for the commits lore makes as `git commit` and `git merge` run them:
//! `pre-commit` (`pre-merge-commit` for a merge) and `commit-msg` before the commit, which
//! they may refuse (and `commit-msg` may rewrite its message), `post-commit` (`post-merge`)
//! after. libgit2 runs none.
//!
//! A hook judges what lore commits, not whatever else the user has staged: it runs with
//! `GIT_INDEX_FILE` naming a temporary index that holds exactly the commit's tree, as
//! `git commit --only` does. Hooks are found where git looks (`core.hooksPath`, relative to the
//! work tree, else `hooks/` in the common git dir), run from the top of the work tree, and
//! must be executable, as git requires.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Repo;
use crate::error::{Error, Result};

/// The hook `name`'s file, if the repository has an executable one.
pub fn find(repo: &Repo, name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let root = repo.workdir().unwrap_or(repo.git_dir());
    let dir = match repo.config_string("core.hooksPath") {
        Some(p) => {
            let p = super::expand_home(&p);
            if p.is_absolute() { p } else { root.join(p) }
        }
        None => repo.common_dir().join("hooks"),
    };
    let file = dir.join(name);
    let meta = std::fs::metadata(&file).ok()?;
    (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then_some(file)
}

/// Runs hook `name` (which [`find`] found) with `args`, from the top of the work tree, with
/// `index` as its `GIT_INDEX_FILE` when given. Its output is kept to be shown if it fails.
fn run(repo: &Repo, file: &Path, name: &str, args: &[&str], index: Option<&Path>) -> Result<()> {
    let root = repo.workdir().unwrap_or(repo.git_dir());
    let mut cmd = Command::new(file);
    cmd.args(args)
        .current_dir(root)
        .stdin(Stdio::null())
        .env("GIT_EDITOR", ":");
    if let Some(index) = index {
        cmd.env("GIT_INDEX_FILE", index);
    }
    let out = cmd.output().map_err(|e| Error::io(file, e))?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Err(Error::HookFailed {
        hook: name.to_string(),
        status: out
            .status
            .code()
            .map(|c| format!("exit status {c}"))
            .unwrap_or_else(|| "killed by a signal".into()),
        output: output.trim().to_string(),
    })
}

/// Runs `pre-commit` (or, for a merge, `pre-merge-commit`) and `commit-msg` for a commit of
/// `tree` with `message`, telling `on_hook` each hook's name as it starts. Returns the message
/// to commit: `commit-msg` may have rewritten it. An error when a hook refuses.
pub fn before_commit(
    repo: &Repo,
    tree: &git2::Tree<'_>,
    message: &str,
    merge: bool,
    on_hook: &mut dyn FnMut(&str),
) -> Result<String> {
    let pre = if merge {
        "pre-merge-commit"
    } else {
        "pre-commit"
    };
    let pre_file = find(repo, pre);
    let msg_file = find(repo, "commit-msg");
    if pre_file.is_none() && msg_file.is_none() {
        return Ok(message.to_string());
    }
    let index = TreeIndex::of(repo, tree)?;
    if let Some(file) = pre_file {
        on_hook(pre);
        run(repo, &file, pre, &[], Some(index.path()))?;
    }
    let Some(file) = msg_file else {
        return Ok(message.to_string());
    };
    on_hook("commit-msg");
    let edit = repo.git_dir().join("COMMIT_EDITMSG");
    std::fs::write(&edit, format!("{message}\n")).map_err(|e| Error::io(&edit, e))?;
    run(
        repo,
        &file,
        "commit-msg",
        &[&edit.to_string_lossy()],
        Some(index.path()),
    )?;
    let rewritten = std::fs::read_to_string(&edit).map_err(|e| Error::io(&edit, e))?;
    let cleaned = cleanup(&rewritten);
    if cleaned.is_empty() {
        return Err(Error::HookFailed {
            hook: "commit-msg".into(),
            status: "an empty message".into(),
            output: "the hook left the commit message empty".into(),
        });
    }
    Ok(cleaned)
}

/// Runs `post-commit` (after a merge or fast-forward, `post-merge` with its argument `0`, not
/// a squash), as git does after the branch moved; what it says and whether it fails change
/// nothing, as in git.
pub fn after_commit(repo: &Repo, merge: bool, on_hook: &mut dyn FnMut(&str)) {
    let (name, args): (&str, &[&str]) = if merge {
        ("post-merge", &["0"])
    } else {
        ("post-commit", &[])
    };
    if let Some(file) = find(repo, name) {
        on_hook(name);
        if let Err(e) = run(repo, &file, name, args, None) {
            log::warn!("{e}");
        }
    }
}

/// git's `whitespace` cleanup of a message given on the command line: trailing whitespace off
/// each line, runs of blank lines made one, none at the start or the end.
fn cleanup(message: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in message.lines().map(str::trim_end) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// A temporary git index holding exactly one tree, for the hooks to look at; removed when
/// dropped.
struct TreeIndex(PathBuf);

impl TreeIndex {
    fn of(repo: &Repo, tree: &git2::Tree<'_>) -> Result<TreeIndex> {
        let path = repo
            .git_dir()
            .join(format!("index.lore-hook-{}", crate::lock::creator_tag()));
        let _ = std::fs::remove_file(&path);
        let mut index = git2::Index::open(&path)?;
        index.read_tree(tree)?;
        index.write()?;
        Ok(TreeIndex(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TreeIndex {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::cleanup;

    #[test]
    fn cleanup_is_gits_whitespace_mode() {
        assert_eq!(
            cleanup("\n\nfailure: x  \n\n\n\nbody\t\n\n"),
            "failure: x\n\nbody"
        );
        assert_eq!(cleanup("# kept\n"), "# kept");
        assert_eq!(cleanup(" \n\t\n"), "");
    }
}
