//! A store: a git work tree holding `memory/failures/*.md` (flat, as record-failure.sh writes,
//! or in daily folders in stores lore creates) and the index `memory/index.db`.

use std::fs::{self, DirBuilder};
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::lock::{LockPaths, OpenLockFiles};

pub const INDEX_DB: &str = "memory/index.db";

/// Lines lore keeps in a new store's `.gitignore`: the index is derived data, and a binary file
/// that many writers change must never be committed (that is what broke the script).
pub const GITIGNORE: &str = concat!(
    lore_ignores!(),
    "# record-failure.sh's logs
logs/
"
);

/// What lore itself needs ignored; also what it adds to `.git/info/exclude` in a repository
/// that is someone else's (where a `logs/` folder may well be theirs to commit).
macro_rules! lore_ignores {
    () => {
        "# lore: the index is rebuilt from the markdown; never commit it
memory/index.db
memory/index.db-wal
memory/index.db-shm
memory/index.db-journal
# an unreadable index that `lore reindex` replaced, kept for recovery
memory/index.db.corrupt-*
# lore's temporary files while a save is in flight
memory/**/.lore-*.tmp
"
    };
}
use lore_ignores;

/// Where `lore reindex` keeps an index it could not read (see [`GITIGNORE`]).
pub const CORRUPT_INDEX_PATTERN: &str = "memory/index.db.corrupt-*";

/// The store's settings file, tracked in git so every clone agrees on them.
pub const SETTINGS: &str = "memory/lore.toml";

/// What a new store's settings file says.
pub const SETTINGS_TEXT: &str = "\
# lore store settings, tracked in git so that every clone agrees on them.
#
# layout: where lore writes new learnings.
#   \"daily\" = memory/<type>/YYYY-MM/DD/YYYYMMDD_slug.md (past 64 files in a day, in DD/2/,
#             DD/3/, ...): a save rewrites a few small git trees however large the store
#             grows (a flat folder of a million files makes every commit rewrite one huge tree).
#   \"flat\"  = memory/<type>/YYYYMMDD_slug.md, as record-failure.sh writes (the default for a
#             store without this file).
# lore reads both shapes in any store, so files the script adds to a daily store are found.
layout = \"daily\"
";

/// Where a store puts new learning files. Both shapes are read in every store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `memory/<type>/YYYYMMDD_slug.md`: record-failure.sh's layout, kept in its stores.
    Flat,
    /// `memory/<type>/YYYY-MM/DD/YYYYMMDD_slug.md`: stores lore creates.
    Daily,
}

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    git_dir: PathBuf,
    /// The git dir all worktrees share (the same as `git_dir` but in a linked worktree): where
    /// the store lock and the ignore patterns git reads for every worktree live.
    common_dir: PathBuf,
    layout: Layout,
    /// The lock's descriptors, kept open between this handle's saves.
    lock_files: Arc<OpenLockFiles>,
    /// The repository handle [`Store::open`] opened, for the first [`Store::repo`].
    spare: Arc<SpareRepo>,
}

/// A repository handle kept for one later use: opening one reads git's three configuration
/// files and the repository's layout again, a few percent of a whole save (BENCHMARKS.md,
/// round 6), and a one-shot `lore record` would otherwise open the repository twice, once to
/// check the store and once to write.
#[derive(Default)]
struct SpareRepo(std::sync::Mutex<Option<crate::git::Repo>>);

impl std::fmt::Debug for SpareRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpareRepo")
    }
}

/// Reads the layout from the settings file; a store without one is flat.
fn read_layout(root: &Path) -> Layout {
    let Ok(text) = fs::read_to_string(root.join(SETTINGS)) else {
        return Layout::Flat;
    };
    match toml::from_str::<toml::Table>(&text)
        .ok()
        .and_then(|t| t.get("layout").and_then(|v| v.as_str().map(str::to_owned)))
        .as_deref()
    {
        Some("daily") => Layout::Daily,
        Some("flat") | None => Layout::Flat,
        Some(other) => {
            log::warn!("{SETTINGS}: unknown layout {other:?}; writing flat files");
            Layout::Flat
        }
    }
}

/// Whether `rel` (relative to the work tree) names a learning file in either layout:
/// `memory/<type>/NAME.md`, `memory/<type>/YYYY-MM/DD/NAME.md` or, past a day's first
/// [`FOLDER_CAP`] files, `memory/<type>/YYYY-MM/DD/N/NAME.md`.
pub fn is_learning_path(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let name_ok = |n: &str| {
        n.ends_with(".md") && !n.starts_with('.') && !crate::learning::is_template_file(n)
    };
    let kind_ok = |d: &str| crate::learning::Kind::ALL.iter().any(|k| k.dir() == d);
    match parts.as_slice() {
        ["memory", kind, name] => kind_ok(kind) && name_ok(name),
        ["memory", kind, month, day, name] => {
            kind_ok(kind) && is_month_dir(month) && is_day_dir(day) && name_ok(name)
        }
        ["memory", kind, month, day, more, name] => {
            kind_ok(kind)
                && is_month_dir(month)
                && is_day_dir(day)
                && overflow_number(more).is_some()
                && name_ok(name)
        }
        _ => false,
    }
}

fn is_month_dir(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7 && b[4] == b'-' && b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit)
}

fn is_day_dir(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Files a day's folder (and each of its overflow folders) takes before the next one opens.
/// A folder is one git tree, rewritten by every save into it: capped, a save's cost stays the
/// same however many learnings one day brings. A save into an overflow folder rewrites two
/// capped trees (the day's, which also lists the overflow folders, and the overflow
/// folder's), so the cap is small (tree sizes in BENCHMARKS.md, "Measurements behind the
/// code"). It was 500; folders an earlier lore filled that far are simply full and stay as
/// they are.
pub const FOLDER_CAP: usize = 64;

/// An overflow folder's number: `2`, `3`, … (the day's folder itself is the first).
fn overflow_number(s: &str) -> Option<u32> {
    (!s.starts_with('0') && s.len() <= 6)
        .then(|| s.parse().ok())
        .flatten()
        .filter(|&n| n >= 2)
}

/// How many learning files `dir` holds, and the highest overflow folder in it.
fn folder_census(dir: &Path) -> (usize, Option<u32>) {
    let (mut files, mut last) = (0, None);
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".md") && !name.starts_with('.') {
            files += 1;
        } else if let Some(n) = overflow_number(&name) {
            last = last.max(Some(n));
        }
    }
    (files, last)
}

/// The shard folders (`YYYY-MM`, `DD`) for a file date `YYYYMMDD`; `None` for anything else.
fn shard(date: &str) -> Option<(String, String)> {
    (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())).then(|| {
        (
            format!("{}-{}", &date[..4], &date[4..6]),
            date[6..].to_string(),
        )
    })
}

impl Store {
    /// Opens the store whose work tree is exactly `root` (no search upwards, so a store inside
    /// another repository is never confused with it).
    pub fn open(root: &Path) -> Result<Store> {
        let not_a_store = |reason: String| Error::NotAStore {
            path: root.to_path_buf(),
            reason,
        };
        match fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(not_a_store("not a directory".into())),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(not_a_store("no such directory".into()));
            }
            Err(e) => return Err(Error::io(root, e)),
        }
        let repo = crate::git::open(root).map_err(|e| match e {
            Error::Git(crate::error::GitError::Sha256 { .. }) => e,
            _ => not_a_store("not a git work tree".into()),
        })?;
        let Some(workdir) = repo.workdir() else {
            return Err(Error::BareRepository {
                path: root.to_path_buf(),
            });
        };
        let root = canonical(workdir);
        Ok(Store {
            layout: read_layout(&root),
            git_dir: canonical(repo.git_dir()),
            common_dir: canonical(repo.common_dir()),
            root,
            lock_files: Arc::default(),
            spare: Arc::new(SpareRepo(std::sync::Mutex::new(Some(repo)))),
        })
    }

    /// Keeps the index files out of git in a repository that neither ignores nor tracks them
    /// (lore opened on a repository it did not create, or on a clone of one): a `git add -A`
    /// there would otherwise commit the binary index, the script's old defect. The patterns go
    /// to `.git/info/exclude`, this clone's own ignore file, so no tracked file changes. An
    /// index that is tracked is left to `lore adopt`.
    pub fn keep_index_out_of_git(&self) -> Result<()> {
        let repo = self.repo()?;
        if repo.ignores(INDEX_DB)? || repo.stages(INDEX_DB)? {
            return Ok(());
        }
        let exclude = self.exclude(lore_ignores!())?;
        log::info!("{INDEX_DB} was not ignored: added to {}", exclude.display());
        Ok(())
    }

    /// Keeps the index's `-wal` and `-shm` out of git where git does not ignore them already
    /// (a store that tracks the index itself ignores neither).
    pub fn keep_index_journal_out_of_git(&self) -> Result<()> {
        for suffix in ["-wal", "-shm"] {
            self.keep_out_of_git(&format!("{INDEX_DB}{suffix}"))?;
        }
        Ok(())
    }

    /// Appends `lines` to `.git/info/exclude`; returns its path.
    fn exclude(&self, lines: &str) -> Result<PathBuf> {
        let info = self.common_dir.join("info");
        fs::create_dir_all(&info).map_err(|e| Error::io(&info, e))?;
        let exclude = info.join("exclude");
        let mut text = fs::read_to_string(&exclude).unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(lines);
        fs::write(&exclude, text).map_err(|e| Error::io(&exclude, e))?;
        Ok(exclude)
    }

    /// Adds `pattern` to this clone's `.git/info/exclude` unless git already ignores what it
    /// names (checked on a name it matches), so that a file lore keeps in the work tree never
    /// shows in `git status` or goes into a `git add -A`.
    pub fn keep_out_of_git(&self, pattern: &str) -> Result<()> {
        let repo = self.repo()?;
        let example = pattern.replace('*', "x");
        if repo.ignores(&example)? {
            return Ok(());
        }
        self.exclude(&format!("{pattern}\n")).map(drop)
    }

    /// The platform data directory (`~/.local/share/lore` on Linux).
    pub fn default_root() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "lore").map(|d| d.data_dir().to_path_buf())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// See [`Store::git_dir`]; the common dir of a linked worktree's repository.
    pub fn common_dir(&self) -> &Path {
        &self.common_dir
    }

    pub fn index_path(&self) -> PathBuf {
        self.root.join(INDEX_DB)
    }

    pub fn lock_paths(&self) -> LockPaths {
        LockPaths::new(&self.common_dir).keeping_files_open(Arc::clone(&self.lock_files))
    }

    /// The store's git repository. The first call (by any clone of this handle) gets the one
    /// [`Store::open`] opened; later ones open it afresh. A handle reads refs, objects and
    /// configuration from disk as it uses them, so one opened a moment before is as current as
    /// a new one.
    pub fn repo(&self) -> Result<crate::git::Repo> {
        let spare = self.spare.0.lock().ok().and_then(|mut s| s.take());
        match spare {
            Some(repo) => Ok(repo),
            None => crate::git::open(&self.root),
        }
    }

    /// Where this store writes new learnings.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The folder for a new learning of `kind` dated `date` (`YYYYMMDD`), created as needed:
    /// (path relative to the work tree, absolute path).
    pub fn learning_dir(
        &self,
        kind: crate::learning::Kind,
        date: &str,
    ) -> Result<(String, PathBuf)> {
        let mut parts = vec![kind.dir().to_string()];
        if self.layout == Layout::Daily
            && let Some((month, day)) = shard(date)
        {
            parts.push(month);
            parts.push(day);
            // A full day's folder overflows into `DD/2/`, then `DD/3/`… (decided under the
            // store lock, from the files on disk).
            let day_dir = self.root.join("memory").join(parts.join("/"));
            let (files, last) = folder_census(&day_dir);
            if files >= FOLDER_CAP || last.is_some() {
                let mut n = last.unwrap_or(2);
                if folder_census(&day_dir.join(n.to_string())).0 >= FOLDER_CAP {
                    n += 1;
                }
                parts.push(n.to_string());
            }
        }
        let abs = self.ensure_dirs_under_memory(&parts)?;
        Ok((format!("memory/{}", parts.join("/")), abs))
    }

    /// Creates `memory/` and `memory/<sub>/` as needed (mode 0700), refusing symbolic links:
    /// a link there could make lore write outside the store.
    pub fn ensure_dir(&self, sub: &str) -> Result<PathBuf> {
        self.ensure_dirs_under_memory(&[sub.to_string()])
    }

    /// [`Store::ensure_dir`] for a path of several folders under `memory/`.
    fn ensure_dirs_under_memory(&self, parts: &[String]) -> Result<PathBuf> {
        let mut dirs = vec![self.root.join("memory")];
        for p in parts {
            let next = dirs.last().expect("memory").join(p);
            dirs.push(next);
        }
        for d in &dirs {
            match fs::symlink_metadata(d) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Error::Symlink { path: d.clone() });
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(Error::io(
                        d,
                        std::io::Error::new(
                            ErrorKind::AlreadyExists,
                            "exists and is not a directory",
                        ),
                    ));
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    match DirBuilder::new().mode(0o700).create(d) {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(Error::io(d, e)),
                    }
                }
                Err(e) => return Err(Error::io(d, e)),
            }
        }
        Ok(dirs.pop().expect("memory"))
    }

    pub(crate) fn ensure_dirs(&self) -> Result<()> {
        self.ensure_dir("failures").map(|_| ())
    }
}

fn canonical(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::is_learning_path;

    #[test]
    fn the_settings_file_states_the_folder_cap_in_force() {
        let said = format!("past {} files in a day", super::FOLDER_CAP);
        assert!(
            super::SETTINGS_TEXT.contains(&said),
            "{}",
            super::SETTINGS_TEXT
        );
    }

    #[test]
    fn learning_paths_in_every_shape() {
        for ok in [
            "memory/failures/20261128_x.md",
            "memory/failures/2026-11/28/20261128_x.md",
            "memory/successes/2026-11/28/2/20261128_x.md",
            "memory/failures/2026-11/28/17/20261128_x.md",
        ] {
            assert!(is_learning_path(ok), "{ok}");
        }
        for bad in [
            "memory/index.db",
            "memory/lore.toml",
            "memory/failures/.lore-1-2.tmp",
            "memory/failures/2026-11/28/1/x.md",
            "memory/failures/2026-11/28/02/x.md",
            "memory/failures/2026-11/x.md",
            "memory/failures/26-11/28/x.md",
            "memory/other/20261128_x.md",
            "elsewhere/failures/20261128_x.md",
        ] {
            assert!(!is_learning_path(bad), "{bad}");
        }
    }
}
