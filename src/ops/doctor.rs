//! `lore doctor`: compare the three views of a store — markdown files on disk, files in HEAD,
//! rows in the index — and look for what a crash or another tool can leave behind: stale lock
//! directories, lore's temporary files, git's lock files. `--fix` repairs without losing
//! anything; what it cannot repair safely it only reports.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, GitError, Result, Step};
use crate::git;
use crate::git::history::{head_markdown, head_markdown_ids};
use crate::index::Index;
use crate::learning::Kind;
use crate::leftovers;
use crate::lock::{self, LockOptions};
use crate::parse;
use crate::store::Store;
use crate::write::{self, Progress};

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
    /// Information: a row without a file that the user settled (`--settle`): kept, not a
    /// problem.
    SettledRow { id: i64, path: String },
    /// Information: git's index is split, which tools built on libgit2 cannot read.
    SplitIndex,
    /// Information: a symbolic link where a learning could be (in HEAD or on disk): only
    /// regular files are learnings, so it is left alone and never indexed.
    NotALearning { path: String },
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
    /// A write (import, sync…) whose process died before it was done: its journal says what
    /// it changed, so `--fix` takes it back (or, if it had landed, tidies after it).
    InterruptedWrite { operation: String, journal: String },
    /// git's index holds a learning's change that no commit has, while the file on disk is
    /// as HEAD has it: a write interrupted between staging and committing (`git status` shows
    /// it staged; the user's next `git commit` would commit it).
    StagedNotCommitted { path: String },
}

impl Finding {
    /// Whether this is information rather than a problem: it never fails `lore doctor`.
    pub fn is_info(&self) -> bool {
        matches!(
            self,
            Finding::SettledRow { .. } | Finding::SplitIndex | Finding::NotALearning { .. }
        )
    }

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
                | Finding::StagedNotCommitted { .. }
                | Finding::InterruptedWrite { .. }
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
                "#{id} {path}: the index has a row whose file is nowhere — kept (--fix never drops rows); `lore doctor --settle` stops reporting it"
            ),
            Finding::SettledRow { id, path } => {
                format!("#{id} {path}: a row without a file, settled — kept, not checked")
            }
            Finding::SplitIndex => git::SPLIT_INFO.to_string(),
            Finding::NotALearning { path } => format!(
                "{path}: a symbolic link, not a learning (only regular files are) — never indexed, never written through"
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
            Finding::InterruptedWrite { operation, journal } => format!(
                "{journal}: an interrupted {operation} — --fix takes back what it changed (or tidies after it, if it had landed)"
            ),
            Finding::StagedNotCommitted { path } => format!(
                "{path}: git's index holds a change of it that no commit has (an interrupted write) — --fix stages it as HEAD has it"
            ),
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
    /// Symbolic links with a learning's name.
    links: BTreeSet<String>,
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
            } else if kind.is_symlink() && is_learning_path(&rel) {
                found.links.insert(rel);
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
        files: mut disk,
        mut links,
        temps,
        leftovers: mut in_memory,
    } = on_disk(root);
    // What an interrupted write changed is its journal's to take back, not another finding.
    let dead_writes = write::interrupted(store);
    disk.retain(|p| !dead_writes.iter().any(|w| w.files.contains(&root.join(p))));
    in_memory.retain(|(p, _)| !dead_writes.iter().any(|w| w.keeps(&root.join(p))));
    let rows: BTreeMap<String, i64> = index.paths_and_ids()?.into_iter().collect();
    let mut out = Vec::new();
    for path in &disk {
        match head.get(path) {
            None => out.push(Finding::Uncommitted { path: path.clone() }),
            Some(committed) => {
                // As git sees it: after its end-of-line conversion (`core.autocrlf`).
                if fs::read(root.join(path)).is_ok_and(|now| {
                    now != *committed
                        && *git::filters::cleaned(&repo, path, &now, Some(committed)) != **committed
                }) {
                    out.push(Finding::Modified { path: path.clone() });
                }
            }
        }
    }
    let staged = git::staged_blobs(&repo)?;
    let head_ids: BTreeMap<String, git::Oid> = head_markdown_ids(&repo)?.into_iter().collect();
    links.extend(git::history::head_markdown_links(&repo)?);
    for (path, blob) in &staged {
        if !is_learning_path(path) || head_ids.get(path) == Some(blob) || links.contains(path) {
            continue;
        }
        let disk = fs::read(root.join(path)).ok();
        let as_head = match (&disk, head.get(path)) {
            (None, None) => true,
            (Some(d), Some(h)) => d == h,
            _ => false,
        };
        if as_head {
            out.push(Finding::StagedNotCommitted { path: path.clone() });
        }
    }
    for path in head.keys() {
        if !staged.contains_key(path) {
            out.push(Finding::Unstaged { path: path.clone() });
        }
        if is_learning_path(path) && !root.join(path).exists() {
            out.push(Finding::MissingOnDisk { path: path.clone() });
        }
        if !rows.contains_key(path) {
            out.push(Finding::Unindexed { path: path.clone() });
        }
    }
    let settled = index.settled()?;
    for (path, id) in &rows {
        let on_disk = crate::index::resolve_inside(root, path).is_some_and(|p| p.exists());
        if !on_disk && !head.contains_key(path) {
            let (id, path) = (*id, path.clone());
            out.push(if settled.contains(&(id, path.clone())) {
                Finding::SettledRow { id, path }
            } else {
                Finding::RowWithoutFile { id, path }
            });
        }
    }
    if git::index_is_split(&repo) {
        out.push(Finding::SplitIndex);
    }
    out.extend(links.into_iter().map(|path| Finding::NotALearning { path }));
    let st = lock::status(&store.lock_paths());
    if st.state == "stale" {
        out.push(Finding::StaleLock {
            holder: st.holder.as_ref().map(|h| h.describe()).unwrap_or_default(),
        });
    }
    out.extend(temps.into_iter().map(|path| Finding::LeftoverTemp { path }));
    out.extend(dead_writes.iter().map(|w| Finding::InterruptedWrite {
        operation: w.operation.clone(),
        journal: w.journal.display().to_string(),
    }));
    out.extend(
        leftovers::find_dead(store.git_dir(), root)
            .into_iter()
            .filter(|l| !dead_writes.iter().any(|w| w.keeps(&l.path)))
            .map(|l| Finding::Leftover {
                path: l.path.display().to_string(),
                what: l.what.to_string(),
            })
            .chain(in_memory.into_iter().map(|(rel, what)| Finding::Leftover {
                path: root.join(rel).display().to_string(),
                what: what.to_string(),
            })),
    );
    let branch = git::head_branch(&repo).unwrap_or_else(|_| "HEAD".into());
    for name in ["index", "HEAD", branch.as_str()] {
        let p = repo.dir_of(name).join(format!("{name}.lock"));
        if git::stale_git_lock(repo.dir_of(name), name) {
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
    // reading the kernel's lock table here was slow on a cold start (BENCHMARKS.md, "Measurements behind the code").
    let dead = dead.or_else(|| lock::stale_dir_holder(&paths));
    let dead = dead.filter(|h| h.operation != "hold")?;
    Some(if paths.told_of(&dead) {
        "a save was interrupted and `lore doctor` has not looked since: run it".to_string()
    } else {
        format!(
            "{} died holding the store lock; its save may be half done: run `lore doctor` (and `lore doctor --fix`)",
            dead.describe()
        )
    })
}

/// What [`settle`] did: the rows settled (id, path), and what must be said beside success.
#[derive(Debug, Default)]
pub struct Settled {
    pub rows: Vec<(i64, String)>,
    pub warnings: Vec<String>,
}

/// Settles every row without a file among `findings`, as one write: `lore doctor` keeps them
/// and no longer reports them (a migrated store's rows for files kept elsewhere, or gone,
/// that the user wants to keep as history). Returns the rows settled, and what must be said
/// beside success (see [`write::Written::warnings`]).
pub fn settle(
    store: &Store,
    findings: &[Finding],
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Settled> {
    let rows: Vec<(i64, String)> = findings
        .iter()
        .filter_map(|f| match f {
            Finding::RowWithoutFile { id, path } => Some((*id, path.clone())),
            _ => None,
        })
        .collect();
    if rows.is_empty() {
        return Ok(Settled::default());
    }
    let mut index = write::open_index(store, "doctor")?;
    let written = write::write(store, &mut index, opts, progress, |tx| {
        let conn = tx.rows()?;
        for (id, path) in &rows {
            Index::settle(conn, *id, path)?;
        }
        Ok(())
    })?;
    Ok(Settled {
        rows,
        warnings: written.warnings,
    })
}

/// Marks what [`fix`] did that is a warning (said beside success) rather than a repair.
pub const WARNING: &str = "warning: ";

/// How many `-N` suffixes a recovered learning's name may take.
const MAX_SUFFIX: u32 = 10_000;

/// Repairs what can be repaired without loss, as one write (see [`crate::write`]): every
/// repair is made, or none. Returns what was done.
pub fn fix(
    store: &Store,
    findings: &[Finding],
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<String>> {
    let mut done = Vec::new();
    // A stale lock directory is broken, on proof, by taking the lock (as any write does).
    let broke = std::cell::Cell::new(false);
    let mut progress = |p: Progress| {
        if let Progress::Lock(lock::LockEvent::BrokeStale { .. }) = &p {
            broke.set(true);
        }
        progress(p)
    };
    let progress = &mut progress;
    let mut index = write::open_index(store, "doctor")?;
    let root = store.root().to_path_buf();
    let mut findings = findings.to_vec();
    if findings
        .iter()
        .any(|f| matches!(f, Finding::InterruptedWrite { .. }))
    {
        // Interrupted writes are taken back first, as a write of their own; what is left to
        // repair is then looked at again.
        let recovered = write::write(store, &mut index, opts, progress, |tx| {
            write::interrupted(tx.store())
                .iter()
                .map(|w| write::recover(tx, w))
                .collect::<Result<Vec<_>>>()
        })?;
        done.extend(recovered.value);
        drop(index);
        findings = check(store).map_err(|e| write::before("doctor", Step::Inspect, e))?;
        index = write::open_index(store, "doctor")?;
    }
    let findings = &findings;
    let written = write::write(store, &mut index, opts, progress, |tx| {
        repair(tx, findings, &root)
    })?;
    let (said, temps_done) = written.value;
    if broke.get() {
        done.insert(0, "removed the stale lock directory".to_string());
    }
    done.extend(said);
    // The temporary files whose text is now a learning (or already was one) go only now that
    // the write that saved them has landed.
    for temp in temps_done {
        match fs::remove_file(&temp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&temp, e)),
        }
    }
    done.extend(
        written
            .warnings
            .into_iter()
            .map(|w| format!("{WARNING}{w}")),
    );
    Ok(done)
}

/// The body of `doctor --fix`: (what it did, temporary files to remove once it has landed).
fn repair(
    tx: &mut write::Tx<'_>,
    findings: &[Finding],
    root: &Path,
) -> Result<(Vec<String>, Vec<PathBuf>)> {
    let repo = tx.repo();
    let git_dir = repo.git_dir();
    let mut done = Vec::new();
    let mut temps = Vec::new();
    for f in findings {
        if let Finding::StaleGitLock { name, path } = f
            && git::break_stale_git_lock(repo.dir_of(name), name)
        {
            done.push(format!(
                "removed {path}, left by a lore process that died holding it"
            ));
        }
    }
    // Short-lived files of dead lore processes, judged again now, under the lock.
    let head = git::head_tree(repo)?;
    for f in findings {
        let Finding::Leftover { path, .. } = f else {
            continue;
        };
        let path = Path::new(path);
        let Some(l) = leftovers::judge(path, git_dir, root) else {
            continue;
        };
        if l.what == leftovers::UNDO_COPY
            && let Some(said) = mend_from_copy(tx, &l, head.as_ref(), root)?
        {
            done.push(said);
            continue;
        }
        match leftovers::remove(&l, git_dir) {
            Ok(said) => done.push(said),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    let staged = git::staged_blobs(repo)?;
    let mut committed: Vec<String> = Vec::new();
    // Interrupted saves: their text becomes a learning, unless it already is one.
    for f in findings {
        let Finding::LeftoverTemp { path } = f else {
            continue;
        };
        let abs = root.join(path);
        let Ok(bytes) = fs::read(&abs) else { continue };
        let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        let duplicate = fs::read_dir(&dir).into_iter().flatten().flatten().any(|e| {
            e.path() != abs
                && !e.file_name().to_string_lossy().starts_with('.')
                && fs::read(e.path()).is_ok_and(|b| b == bytes)
        });
        temps.push(abs.clone());
        if duplicate {
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
        let rel_dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("memory");
        let rel = tx
            .create_unique(
                rel_dir,
                &bytes,
                MAX_SUFFIX,
                &|n| crate::slug::candidate(&date, &slug, n),
                &|tx, rel| Ok(git::in_head(head.as_ref(), rel) || tx.index().path_in_use(rel)?),
            )?
            .ok_or_else(|| Error::invalid("title", "no free name for a recovered learning"))?;
        done.push(format!("recovered {path} as {rel}"));
        committed.push(rel);
    }
    for f in findings {
        match f {
            Finding::Uncommitted { path } => {
                tx.track(path)?;
                committed.push(path.clone());
            }
            Finding::MissingOnDisk { path } if !root.join(path).exists() => {
                let blob = head_blob(head.as_ref(), path)?;
                let content = repo.blob(blob)?;
                // Where git's index lists it as committed, only the file comes back.
                if staged.get(path) == Some(&blob) {
                    tx.put_back(path, &content)?;
                } else {
                    tx.replace(path, &content)?;
                }
                done.push(format!("restored {path} from HEAD"));
            }
            // Committed files missing from git's index, or staged with a change no commit
            // has: staged as committed.
            Finding::Unstaged { path } if root.join(path).exists() => {
                tx.stage(path, head_blob(head.as_ref(), path)?);
                done.push(format!("staged {path}"));
            }
            Finding::StagedNotCommitted { path } => {
                match head.as_ref().and_then(|t| t.blob_at(path)) {
                    Some(id) => tx.stage(path, id),
                    None => tx.untrack(path),
                }
                done.push(format!("staged {path} as HEAD has it"));
            }
            _ => {}
        }
    }
    // Every committed learning gets a row, and so does every one committed now.
    let mut want: Vec<(String, git::Oid)> = head_markdown_ids(repo)?;
    for rel in &committed {
        let bytes = fs::read(root.join(rel)).map_err(|e| Error::io(root.join(rel), e))?;
        want.push((rel.clone(), repo.write_blob(&bytes)?));
    }
    for path in Index::import_missing(tx.rows()?, repo, &want)? {
        done.push(format!("indexed {path}"));
    }
    if !committed.is_empty() {
        tx.commit(format!(
            "lore doctor: commit {} learning(s) left uncommitted",
            committed.len()
        ));
        done.push(format!("committed {}", committed.join(", ")));
    }
    Ok((done, temps))
}

fn head_blob(head: Option<&git::Tree<'_>>, path: &str) -> Result<git::Oid> {
    head.and_then(|t| t.blob_at(path)).ok_or_else(|| {
        Error::Git(GitError::NotInHead {
            path: path.to_string(),
        })
    })
}

/// An earlier version a write kept aside when its creator died mid-write: if HEAD still holds
/// exactly that version (the write never committed) and the file on disk is something else,
/// it goes back in place; otherwise (the write committed) it is only removed.
fn mend_from_copy(
    tx: &mut write::Tx<'_>,
    l: &leftovers::Leftover,
    head: Option<&git::Tree<'_>>,
    root: &Path,
) -> Result<Option<String>> {
    let Some(original) = leftovers::undo_copy_of(&l.path) else {
        return Ok(None);
    };
    let Ok(rel) = original.strip_prefix(root) else {
        return Ok(None);
    };
    let rel = rel.to_string_lossy().into_owned();
    let copy = fs::read(&l.path).map_err(|e| Error::io(&l.path, e))?;
    let copy_id = git::hash_blob(&copy);
    let in_head = head.and_then(|t| t.blob_at(&rel));
    let now = fs::read(&original).ok();
    if in_head != Some(copy_id) || now.as_deref() == Some(copy.as_slice()) {
        return Ok(None);
    }
    tx.replace(&rel, &copy)?;
    fs::remove_file(&l.path).map_err(|e| Error::io(&l.path, e))?;
    Ok(Some(format!(
        "put {rel} back as HEAD has it (an interrupted write had replaced it)"
    )))
}
