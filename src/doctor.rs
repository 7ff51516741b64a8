//! `lore doctor`: compare the three views of a store — markdown files on disk, files in HEAD,
//! rows in the index — and look for what a crash or another tool can leave behind: stale lock
//! directories, lore's temporary files, git's lock files. `--fix` repairs without losing
//! anything; what it cannot repair safely it only reports.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::gitops;
use crate::index::Index;
use crate::learning::Kind;
use crate::leftovers;
use crate::lock::{self, LockOptions};
use crate::parse;
use crate::reindex::head_markdown;
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Finding {
    /// A learning file on disk that no commit holds.
    Uncommitted { path: String },
    /// A committed learning whose file on disk differs from HEAD.
    Modified { path: String },
    /// A committed learning whose file is gone from disk.
    MissingOnDisk { path: String },
    /// A committed learning missing from git's own index (`git status` shows it deleted and
    /// untracked): a save interrupted between its commit and staging.
    Unstaged { path: String },
    /// A committed learning with no row in the index.
    Unindexed { path: String },
    /// A row whose file is neither on disk nor in HEAD.
    RowWithoutFile { id: i64, path: String },
    /// A lock directory whose holder is provably dead.
    StaleLock { holder: String },
    /// A temporary file of an interrupted save, holding the user's text.
    LeftoverTemp { path: String },
    /// A git lock file (a git command running, or one that crashed).
    GitLock { path: String },
    /// A git lock file provably left by a lore process that died holding it.
    StaleGitLock { name: String, path: String },
    /// A lore process died holding the store lock; the findings beside this one say what its
    /// interrupted work left.
    Interrupted { holder: String },
    /// A short-lived file of lore's whose creator provably died before removing it.
    Leftover { path: String, what: String },
}

impl Finding {
    /// Whether an interrupted save can leave this (the others come from people or other tools).
    fn may_follow_a_crash(&self) -> bool {
        matches!(
            self,
            Finding::Uncommitted { .. }
                | Finding::Unindexed { .. }
                | Finding::Unstaged { .. }
                | Finding::StaleLock { .. }
                | Finding::LeftoverTemp { .. }
                | Finding::StaleGitLock { .. }
                | Finding::Leftover { .. }
        )
    }

    /// One line: what is wrong, and what `--fix` does about it.
    pub fn describe(&self) -> String {
        match self {
            Finding::Uncommitted { path } => format!("{path}: on disk but never committed — --fix commits it"),
            Finding::Modified { path } => format!(
                "{path}: differs from the committed version — left alone (commit it with git, or edit it with `e` in the browser)"
            ),
            Finding::MissingOnDisk { path } => format!("{path}: committed but missing on disk — --fix restores it from HEAD"),
            Finding::Unindexed { path } => format!("{path}: committed but not in the index — --fix indexes it"),
            Finding::Unstaged { path } => {
                format!("{path}: committed but missing from git's index (`git status` lists it) — --fix stages it")
            }
            Finding::RowWithoutFile { id, path } => format!(
                "#{id} {path}: the index has a row whose file is nowhere — reported and kept (--fix never drops rows)"
            ),
            Finding::StaleLock { holder } => format!("stale lock directory left by {holder} — --fix removes it"),
            Finding::LeftoverTemp { path } => {
                format!("{path}: text of an interrupted save — --fix recovers it as a learning (or removes it if it duplicates one)")
            }
            Finding::Interrupted { holder } => format!(
                "{holder} died holding the store lock — the lines above say what it left; this note goes once all agree"
            ),
            Finding::StaleGitLock { path, .. } => {
                format!("{path}: left by a lore process that died holding it — --fix removes it")
            }
            Finding::Leftover { path, what } => {
                format!("{path}: {what}, left by a lore process that died — --fix removes it")
            }
            Finding::GitLock { path } => format!(
                "{path}: a git lock file — if no git command is running, remove it by hand (lore never deletes it)"
            ),
        }
        .replace(|c: char| c.is_control(), "")
    }
}

use crate::store::is_learning_path;

/// What lies in the learning folders: learning files (`memory/<type folder>/*.md`, flat or in
/// daily folders), the temporary files of saves whose creator died (each holds a user's text),
/// and other short-lived files of dead lore processes.
#[derive(Default)]
struct OnDisk {
    files: BTreeSet<String>,
    temps: Vec<String>,
    leftovers: Vec<(String, &'static str)>,
}

fn on_disk(root: &Path) -> OnDisk {
    let mut found = OnDisk::default();
    let mut dirs: Vec<String> = Kind::ALL
        .iter()
        .map(|k| format!("memory/{}", k.dir()))
        .collect();
    while let Some(rel_dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(root.join(&rel_dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let rel = format!("{rel_dir}/{name}");
            let Ok(kind) = e.file_type() else { continue };
            if kind.is_dir() && !name.starts_with('.') && rel.split('/').count() < 6 {
                // At most three levels of shard folders (YYYY-MM/DD/N).
                dirs.push(rel);
            } else if !kind.is_file() {
                continue;
            } else if let Some((what, creator)) = leftovers::classify_in_memory(&name) {
                if creator.liveness() == lock::Liveness::Dead {
                    found.leftovers.push((rel, what));
                }
            } else if name.starts_with(".lore-") && name.ends_with(".tmp") {
                // A save in flight right now is not a leftover.
                let running = leftovers::save_temp_creator(&name)
                    .is_some_and(|c| c.liveness() == lock::Liveness::Alive);
                if !running {
                    found.temps.push(rel);
                }
            } else if is_learning_path(&rel) {
                found.files.insert(rel);
            }
        }
    }
    found.temps.sort();
    found.leftovers.sort();
    found
}

pub fn check(store: &Store) -> Result<Vec<Finding>> {
    let repo = store.repo()?;
    let mut index = Index::open(store)?;
    // Commits lore did not make (a learning edited or removed by hand and committed) are taken
    // in first, as every read does: the index follows HEAD, it is not a finding.
    index.follow_head(store)?;
    let root = store.root();
    let head: BTreeMap<String, Vec<u8>> = head_markdown(&repo)?.into_iter().collect();
    let OnDisk {
        files: disk,
        temps,
        leftovers: in_memory,
    } = on_disk(root);
    let rows: BTreeMap<String, i64> = {
        let mut stmt = index
            .connection()
            .prepare("SELECT filepath, id FROM learnings")?;
        stmt.query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get(1)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::new();
    for path in &disk {
        match head.get(path) {
            None => out.push(Finding::Uncommitted { path: path.clone() }),
            Some(committed) => {
                if fs::read(root.join(path)).is_ok_and(|now| now != *committed) {
                    out.push(Finding::Modified { path: path.clone() });
                }
            }
        }
    }
    let staged = gitops::staged_paths(&repo)?;
    for path in head.keys() {
        if !staged.contains(path) {
            out.push(Finding::Unstaged { path: path.clone() });
        }
        if is_learning_path(path) && !root.join(path).exists() {
            out.push(Finding::MissingOnDisk { path: path.clone() });
        }
        if !rows.contains_key(path) {
            out.push(Finding::Unindexed { path: path.clone() });
        }
    }
    for (path, id) in &rows {
        let on_disk = crate::index::resolve_inside(root, path).is_some_and(|p| p.exists());
        if !on_disk && !head.contains_key(path) {
            out.push(Finding::RowWithoutFile {
                id: *id,
                path: path.clone(),
            });
        }
    }
    let st = lock::status(&store.lock_paths());
    if st.state == "stale" {
        out.push(Finding::StaleLock {
            holder: st.holder.as_ref().map(|h| h.describe()).unwrap_or_default(),
        });
    }
    out.extend(temps.into_iter().map(|path| Finding::LeftoverTemp { path }));
    out.extend(
        leftovers::find_dead(store.git_dir(), root)
            .into_iter()
            .map(|l| Finding::Leftover {
                path: l.path.display().to_string(),
                what: l.what.to_string(),
            })
            .chain(in_memory.into_iter().map(|(rel, what)| Finding::Leftover {
                path: root.join(rel).display().to_string(),
                what: what.to_string(),
            })),
    );
    let branch = gitops::head_branch(&repo).unwrap_or_else(|_| "HEAD".into());
    for name in ["index", "HEAD", branch.as_str()] {
        let p = repo.path().join(format!("{name}.lock"));
        if gitops::stale_git_lock(repo.path(), name) {
            out.push(Finding::StaleGitLock {
                name: name.to_string(),
                path: p.display().to_string(),
            });
        } else if p.exists() {
            out.push(Finding::GitLock {
                path: p.display().to_string(),
            });
        }
    }
    let paths = store.lock_paths();
    if let Some(h) = paths.interrupted() {
        if !out.iter().any(Finding::may_follow_a_crash) {
            // Whatever the dead process was doing left nothing behind.
            paths.clear_interrupted();
        } else {
            out.push(Finding::Interrupted {
                holder: h.describe(),
            });
        }
    }
    Ok(out)
}

/// The start-up check: a few reads, no scan. Says when a lore process died holding the lock
/// (its save may be half done) and `lore doctor` should look.
pub fn quick_check(store: &Store) -> Option<String> {
    let paths = store.lock_paths();
    let dead = paths.interrupted().or_else(|| {
        // Died holding the flock, and nobody has taken the lock since. A holder that finishes
        // normally blanks its record before it exits, so a dead holder whose record is still
        // there *after* the liveness check died holding the lock; one read before it could be
        // a holder that released and exited in between (seen with four writers at once).
        let read = || crate::lock::Holder::parse(&fs::read_to_string(&paths.owner).ok()?);
        let h = read()?;
        (h.liveness() == crate::lock::Liveness::Dead && read().is_some_and(|again| again == h))
            .then_some(h)
    });
    // A flock is never stale (the kernel frees it), so only a lock directory needs a look;
    // reading the kernel's lock table here cost up to 18 ms on a cold start.
    let dead = dead.or_else(|| lock::stale_dir_holder(&paths));
    dead.filter(|h| h.operation != "hold").map(|h| {
        format!(
            "{} died holding the store lock; its save may be half done: run `lore doctor` (and `lore doctor --fix`)",
            h.describe()
        )
    })
}

/// Repairs what can be repaired without loss, under the store lock. Returns what was done.
pub fn fix(store: &Store, findings: &[Finding], opts: &LockOptions) -> Result<Vec<String>> {
    let mut done = Vec::new();
    if findings
        .iter()
        .any(|f| matches!(f, Finding::StaleLock { .. }))
        && let lock::BreakOutcome::Broken(_) = lock::break_lock(&store.lock_paths(), false)?
    {
        done.push("removed the stale lock directory".to_string());
    }
    let guard = lock::acquire(&store.lock_paths(), opts, &mut |_| {})?;
    let root = store.root().to_path_buf();
    let repo = store.repo()?;
    for f in findings {
        if let Finding::StaleGitLock { name, path } = f
            && gitops::break_stale_git_lock(repo.path(), name)
        {
            done.push(format!(
                "removed {path}, left by a lore process that died holding it"
            ));
        }
    }
    // Short-lived files of dead lore processes: judged again now, under the lock.
    for f in findings {
        if let Finding::Leftover { path, what } = f {
            let path = Path::new(path);
            let Some(l) = leftovers::judge(path, store.git_dir(), &root) else {
                continue;
            };
            debug_assert_eq!(l.what, what);
            match leftovers::remove(&l, store.git_dir()) {
                Ok(said) => done.push(said),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
    }
    let mut to_commit: Vec<String> = Vec::new();

    // Interrupted saves: their text becomes a learning, unless it already is one.
    for f in findings {
        if let Finding::LeftoverTemp { path } = f {
            let abs = root.join(path);
            let Ok(bytes) = fs::read(&abs) else { continue };
            let dir = abs
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| root.clone());
            let duplicate = fs::read_dir(&dir).into_iter().flatten().flatten().any(|e| {
                e.path() != abs
                    && !e.file_name().to_string_lossy().starts_with('.')
                    && fs::read(e.path()).is_ok_and(|b| b == bytes)
            });
            if duplicate {
                fs::remove_file(&abs).map_err(|e| Error::io(&abs, e))?;
                done.push(format!("removed {path}: the same text is already saved"));
                continue;
            }
            let text = String::from_utf8_lossy(&bytes);
            let parsed = parse::parse(&text, path);
            let date = parsed
                .date
                .clone()
                .unwrap_or_else(|| crate::clock::now().date().to_string())
                .replace('-', "");
            let slug = crate::slug::slug(&parsed.title);
            let target = (1..)
                .map(|n| dir.join(crate::slug::candidate(&date, &slug, n)))
                .find(|p| !p.exists())
                .expect("a free name");
            fs::hard_link(&abs, &target).map_err(|e| Error::io(&target, e))?;
            fs::remove_file(&abs).map_err(|e| Error::io(&abs, e))?;
            let rel = target
                .strip_prefix(&root)
                .unwrap_or(&target)
                .to_string_lossy()
                .into_owned();
            done.push(format!("recovered {path} as {rel}"));
            to_commit.push(rel);
        }
    }
    for f in findings {
        match f {
            Finding::Uncommitted { path } => to_commit.push(path.clone()),
            Finding::MissingOnDisk { path } => {
                let tree = gitops::head_tree(&repo)?.ok_or_else(|| Error::Git("no HEAD".into()))?;
                let entry = tree.get_path(Path::new(path))?;
                let blob = repo.find_blob(entry.id())?;
                let abs: PathBuf = root.join(path);
                if !abs.exists() {
                    fs::write(&abs, blob.content()).map_err(|e| Error::io(&abs, e))?;
                    done.push(format!("restored {path} from HEAD"));
                }
            }
            _ => {}
        }
    }
    if !to_commit.is_empty() {
        let contents: Vec<(String, Vec<u8>)> = to_commit
            .iter()
            .map(|p| {
                fs::read(root.join(p))
                    .map(|b| (p.clone(), b))
                    .map_err(|e| Error::io(root.join(p), e))
            })
            .collect::<Result<_>>()?;
        let files: Vec<(&str, &[u8])> = contents
            .iter()
            .map(|(p, b)| (p.as_str(), b.as_slice()))
            .collect();
        let message = format!(
            "lore doctor: commit {} learning(s) left uncommitted",
            files.len()
        );
        gitops::commit_files(&repo, &files, &message)?;
        for (p, b) in &contents {
            let blob = git2::Oid::hash_object(git2::ObjectType::Blob, b)?;
            let _ = gitops::stage_path(&repo, p, blob, &root.join(p));
        }
        done.push(format!("committed {}", to_commit.join(", ")));
    }
    // Committed files missing from git's index are staged as committed.
    let tree = gitops::head_tree(&repo)?;
    for f in findings {
        if let (Finding::Unstaged { path }, Some(tree)) = (f, &tree)
            && let Ok(entry) = tree.get_path(Path::new(path))
            && root.join(path).exists()
        {
            gitops::stage_path(&repo, path, entry.id(), &root.join(path))?;
            done.push(format!("staged {path}"));
        }
    }
    // Every committed learning gets a row.
    let mut index = Index::open(store)?;
    for path in index.import_head(store)? {
        done.push(format!("indexed {path}"));
    }
    drop(guard);
    Ok(done)
}
