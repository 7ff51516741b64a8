//! `lore adopt`: one commit that stops tracking an old store's index in git.

use crate::error::Result;
use crate::git;
use crate::lock::LockOptions;
use crate::store::{GITIGNORE, INDEX_DB, Store};
use crate::write::{self, Progress};

/// Whether HEAD tracks the index file (what old `record-failure.sh` stores do).
pub fn tracks_index(store: &Store) -> Result<Vec<String>> {
    let repo = store.repo()?;
    let Some(tree) = git::head_tree(&repo)? else {
        return Ok(Vec::new());
    };
    Ok([
        INDEX_DB.to_string(),
        format!("{INDEX_DB}-wal"),
        format!("{INDEX_DB}-shm"),
    ]
    .into_iter()
    .filter(|p| tree.holds(p))
    .collect())
}

/// The script's name, as its users have it.
const SCRIPT: &str = "record-failure.sh";

/// How many of the newest commits are looked at for the script's.
const RECENT_COMMITS: usize = 500;

/// Signs that `record-failure.sh` still records into this store, each a sentence for the user.
/// Adopting breaks such a script: its `git add memory/index.db` is refused once the path is
/// ignored, and its error trap then deletes the learning it has just written.
#[derive(Debug, Clone, Default)]
pub struct ScriptInUse {
    pub signs: Vec<String>,
}

impl ScriptInUse {
    pub fn is_in_use(&self) -> bool {
        !self.signs.is_empty()
    }
}

/// Looks for the script beside lore: its file (committed, or in the usual places in the work
/// tree), its commits (which change the index with every record), and its use of the lock file
/// (it opens `.git/claude-lock` for writing, which lore never does; lore leaves a holder record
/// beside it whenever it locks).
pub fn script_in_use(store: &Store) -> Result<ScriptInUse> {
    let repo = store.repo()?;
    let mut signs = Vec::new();
    let mut files = git::history::head_files_named(&repo, SCRIPT)?;
    for dir in [
        "",
        "scripts/",
        "bin/",
        "tools/",
        ".claude/",
        ".claude/scripts/",
        "hooks/",
    ] {
        let rel = format!("{dir}{SCRIPT}");
        if store.root().join(&rel).is_file() && !files.contains(&rel) {
            files.push(rel);
        }
    }
    if !files.is_empty() {
        signs.push(format!("the script is here: {}", files.join(", ")));
    }
    // The script commits `failure: <title>` with the index and the learning's file.
    let (commits, newest) =
        git::history::commits_changing(&repo, INDEX_DB, "failure: ", RECENT_COMMITS)?;
    if let (true, Some(at)) = (commits > 0, newest) {
        let day = jiff::Timestamp::from_second(at)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default();
        signs.push(format!(
            "{commits} of the newest {RECENT_COMMITS} commits are the script's (`failure: …`, changing {INDEX_DB}; the newest on {day}); lore never commits the index"
        ));
    }
    let paths = store.lock_paths();
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let Some(lock) = modified(&paths.file) {
        let by_lore = modified(&paths.owner);
        let elsewhere = match by_lore {
            None => true,
            Some(owner) => lock
                .duration_since(owner)
                .is_ok_and(|d| d > std::time::Duration::from_secs(1)),
        };
        if elsewhere {
            let when = jiff::Timestamp::try_from(lock)
                .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            signs.push(format!(
                "another program opened the lock file {} for writing since lore last locked (at {when} UTC), as the script does",
                paths.file.display()
            ));
        }
    }
    Ok(ScriptInUse { signs })
}

/// What [`adopt`] did: its commit, if it made one, and what it must say beside success.
#[derive(Debug, Clone, Default)]
pub struct Adopted {
    pub commit: Option<String>,
    pub warnings: Vec<String>,
}

/// One commit that stops tracking the index (the file stays on disk) and ignores it; no
/// commit when there was nothing to adopt.
pub fn adopt(
    store: &Store,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Adopted> {
    if tracks_index(store)?.is_empty() {
        return Ok(Adopted::default());
    }
    let mut index = write::open_index(store, "adopt")?;
    let written = write::write(store, &mut index, opts, progress, |tx| {
        // Looked at again under the lock: another process may have adopted meanwhile.
        let tracked = tracks_index(tx.store())?;
        if tracked.is_empty() {
            return Ok(());
        }
        let gitignore = tx.store().root().join(".gitignore");
        let mut text = std::fs::read_to_string(&gitignore).unwrap_or_default();
        if !text.lines().any(|l| l.trim() == INDEX_DB) {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(GITIGNORE);
        }
        tx.replace(".gitignore", text.as_bytes())?;
        for p in &tracked {
            tx.untrack(p);
        }
        tx.commit(
            "lore adopt: stop tracking memory/index.db\n\nThe index is rebuilt from the markdown; many writers changing one binary file in git is what lost records.",
        );
        Ok(())
    })?;
    Ok(Adopted {
        commit: written.commit.map(|c| c.commit.to_string()),
        warnings: written.warnings,
    })
}
