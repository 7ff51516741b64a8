//! lore's short-lived files inside a store, named so that their creator can always be told.
//!
//! lore creates a few files for a moment only: the pre-lock file behind each git lock it takes,
//! a shared git index on its way into place, a holder record being written, a draft being
//! written, a reindex's work file, a file that sync is writing. A process killed (SIGKILL, a
//! power cut) between creating one and removing it leaves it behind. Each such name carries
//! its creator's *tag* — pid, the process's start time and a hash of the host name — so that
//! `lore doctor` can prove the creator gone (same host; that pid no longer runs, or runs with
//! another start time) before `--fix` removes the file. A file whose creator may still run, or
//! ran on another host, is never touched. Names written by lore before the tag existed carry a
//! bare pid and are judged by it on this host.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::lock::{self, Liveness};

/// This process's tag: `p<pid>s<start time>h<host hash>` (see [`lock::creator_tag`]).
pub fn tag() -> &'static str {
    lock::creator_tag()
}

/// Who made a file, as far as its name tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Creator {
    pub pid: u32,
    /// Clock ticks since boot; `None` in names from before tags, or where `/proc` is missing.
    pub start_time: Option<u64>,
    /// The host's hash; `None` in names from before tags.
    host: Option<u64>,
}

impl Creator {
    /// The creator named at the start of `s`: a tag, or a bare pid (older names).
    pub fn at_start_of(s: &str) -> Option<Creator> {
        Creator::parse_tag(s).or_else(|| {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            Some(Creator {
                pid: digits.parse().ok().filter(|&p| p > 0)?,
                start_time: None,
                host: None,
            })
        })
    }

    fn parse_tag(s: &str) -> Option<Creator> {
        let rest = s.strip_prefix('p')?;
        let (pid, rest) = split_digits(rest)?;
        let rest = rest.strip_prefix('s')?;
        let (start, rest) = split_digits(rest)?;
        let host = rest.strip_prefix('h')?.get(..16)?;
        Some(Creator {
            pid: pid.parse().ok()?,
            start_time: Some(start.parse().ok()?).filter(|&t| t > 0),
            host: Some(u64::from_str_radix(host, 16).ok()?),
        })
    }

    /// `Dead` only on proof: this host, and the pid gone or reused.
    pub fn liveness(&self) -> Liveness {
        if self
            .host
            .is_some_and(|h| h != lock::host_hash(&lock::hostname()))
        {
            return Liveness::Unknown;
        }
        lock::liveness_here(self.pid, self.start_time)
    }
}

fn split_digits(s: &str) -> Option<(&str, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| s.split_at(n))
}

/// Where a kind of leftover lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `<git-dir>/`
    GitDir,
    /// `<git-dir>/lore/`
    LoreDir,
    /// `<git-dir>/lore/drafts/`
    Drafts,
    /// `<git-dir>/claude-lock.dir/`
    LockDir,
    /// `memory/` itself (an older reindex's work file).
    Memory,
    /// The work tree's top folder (a write of `.gitignore`).
    Root,
}

/// One kind of short-lived file: where, its name before the creator's tag, what it is.
struct Kind {
    place: Place,
    prefix: &'static str,
    what: &'static str,
}

/// Every short-lived file lore makes inside a store. (The temporary file of a save, which
/// holds the user's text, is not here: `lore doctor` recovers it as a learning.)
const KINDS: &[Kind] = &[
    Kind {
        place: Place::GitDir,
        prefix: "lore-prelock-",
        what: "the pre-lock file of a git lock",
    },
    Kind {
        place: Place::GitDir,
        prefix: "sharedindex.lore-",
        what: "a shared git index being written",
    },
    Kind {
        place: Place::GitDir,
        prefix: "lore-sign-",
        what: "a commit being signed with ssh-keygen",
    },
    Kind {
        place: Place::GitDir,
        prefix: "index.lore-hook-",
        what: "git's index as a commit's hooks see it",
    },
    Kind {
        place: Place::GitDir,
        prefix: "index.lore-undo-",
        what: "git's index as it was before a change, kept to undo it",
    },
    Kind {
        place: Place::GitDir,
        prefix: ".lore-interrupted.",
        what: "a note about an interrupted save, being written",
    },
    Kind {
        place: Place::GitDir,
        prefix: "claude-lock.breaking.",
        what: "the holder record of a stale lock directory, moved aside to break it",
    },
    Kind {
        place: Place::GitDir,
        prefix: "claude-lock.dir.broken.",
        what: "a lock directory being removed",
    },
    Kind {
        place: Place::LockDir,
        prefix: ".owner.",
        what: "the holder record of a lock directory, being written",
    },
    Kind {
        place: Place::LoreDir,
        prefix: "reindex-",
        what: "the work file of a reindex",
    },
    Kind {
        place: Place::LoreDir,
        prefix: "journal.tmp-",
        what: "a write's journal being written",
    },
    Kind {
        place: Place::LoreDir,
        prefix: "draft.",
        what: "a draft being written",
    },
    Kind {
        place: Place::Drafts,
        prefix: ".write-",
        what: "a draft being written",
    },
    Kind {
        place: Place::Memory,
        prefix: "index.db.rebuild-",
        what: "the work file of a reindex",
    },
    Kind {
        place: Place::Root,
        prefix: ".lore-undo-",
        what: UNDO_COPY,
    },
    Kind {
        place: Place::Root,
        prefix: ".lore-write-",
        what: "a file a write was putting in place",
    },
];

/// A file being written, beside the file it replaces (`.lore-write-<tag>.tmp`; sync called
/// them `.lore-sync-…`).
const WRITE_PREFIXES: [&str; 2] = [".lore-write-", ".lore-sync-"];
/// The earlier version of a file that a write replaced or deleted, kept beside it until the
/// write ends: `.lore-undo-<tag>-<name>`.
const UNDO_PREFIX: &str = ".lore-undo-";

/// A short-lived file of lore's found in a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leftover {
    pub path: PathBuf,
    /// What it is, in a few words.
    pub what: &'static str,
    #[serde(skip)]
    pub creator: Creator,
}

fn place_dir(git_dir: &Path, root: &Path, place: Place) -> PathBuf {
    match place {
        Place::GitDir => git_dir.to_path_buf(),
        Place::LoreDir => git_dir.join("lore"),
        Place::Drafts => git_dir.join("lore").join("drafts"),
        Place::LockDir => git_dir.join(lock::LOCK_DIR),
        Place::Memory => root.join("memory"),
        Place::Root => root.to_path_buf(),
    }
}

/// The short-lived file `name` in `place`, if it is one, with its creator.
fn classify(place: Place, name: &str) -> Option<(&'static str, Creator)> {
    KINDS
        .iter()
        .filter(|k| k.place == place)
        .find_map(|k| Some((k.what, Creator::at_start_of(name.strip_prefix(k.prefix)?)?)))
}

/// What an earlier version kept by a write is called.
pub const UNDO_COPY: &str = "the earlier version of a file, kept while a write replaced it";

/// A short-lived file of a write found in the work tree (under `memory/`, or at its root): a
/// file being written (`.lore-write-<tag>.tmp`; `NAME.lore-sync-<pid>.tmp` from before tags)
/// or an earlier version kept aside ([`undo_copy_path`]).
pub fn classify_in_memory(name: &str) -> Option<(&'static str, Creator)> {
    if let Some(rest) = name.strip_prefix(UNDO_PREFIX) {
        return Some((UNDO_COPY, Creator::at_start_of(rest)?));
    }
    let what = "a file a write was putting in place";
    for prefix in WRITE_PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            return Some((what, Creator::at_start_of(rest)?));
        }
    }
    let at = name.find(".lore-sync-")?;
    let rest = name[at + ".lore-sync-".len()..].strip_suffix(".tmp")?;
    Some((what, Creator::at_start_of(rest)?))
}

/// Where a write keeps the earlier version of `path` (beside it, so that it comes back by a
/// rename): `.lore-undo-<tag>-<name>`.
pub fn undo_copy_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{UNDO_PREFIX}{}-{name}", tag()))
}

/// The file an earlier version kept by a write belongs to (see [`undo_copy_path`]).
pub fn undo_copy_of(copy: &Path) -> Option<PathBuf> {
    let name = copy.file_name()?.to_str()?.strip_prefix(UNDO_PREFIX)?;
    // After the tag (`p<pid>s<start>h<16 hex>`) comes `-` and the name.
    let h = name.find('h')?;
    let original = name.get(h + 1 + 16..)?.strip_prefix('-')?;
    (!original.is_empty()).then(|| copy.with_file_name(original))
}

/// The name `Tx::replace` writes a file under before renaming it into place.
pub fn write_temp_name(path: &Path) -> PathBuf {
    path.with_file_name(format!("{}{}.tmp", WRITE_PREFIXES[0], tag()))
}

/// lore's short-lived files in the store's git directory and `memory/` (not below it: the
/// caller walks the learning folders and asks [`classify_in_memory`]), whatever their
/// creator's state.
pub fn find(git_dir: &Path, root: &Path) -> Vec<Leftover> {
    let mut out = Vec::new();
    for place in [
        Place::GitDir,
        Place::LoreDir,
        Place::Drafts,
        Place::LockDir,
        Place::Memory,
        Place::Root,
    ] {
        let dir = place_dir(git_dir, root, place);
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some((what, creator)) = classify(place, name) {
                out.push(Leftover {
                    path: e.path(),
                    what,
                    creator,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// `path` as a short-lived file of lore's, if it is one (found by [`find`] or, under
/// `memory/`, by its name alone).
pub fn judge(path: &Path, git_dir: &Path, root: &Path) -> Option<Leftover> {
    let name = path.file_name()?.to_str()?;
    let parent = path.parent()?;
    let found = [
        Place::GitDir,
        Place::LoreDir,
        Place::Drafts,
        Place::LockDir,
        Place::Memory,
        Place::Root,
    ]
    .into_iter()
    .find(|&p| place_dir(git_dir, root, p) == parent)
    .and_then(|p| classify(p, name))
    .or_else(|| {
        path.starts_with(root.join("memory"))
            .then(|| classify_in_memory(name))
            .flatten()
    });
    found.map(|(what, creator)| Leftover {
        path: path.to_path_buf(),
        what,
        creator,
    })
}

/// The creator of a save's temporary file (`.lore-<tag>-<ms>.tmp`, or `.lore-<pid>-<ms>.tmp`
/// from before tags), which holds the user's text and is recovered rather than removed.
pub fn save_temp_creator(name: &str) -> Option<Creator> {
    let rest = name.strip_prefix(".lore-")?.strip_suffix(".tmp")?;
    if rest.starts_with("sync-") {
        return None;
    }
    Creator::at_start_of(rest)
}

/// The leftovers whose creators are provably dead.
pub fn find_dead(git_dir: &Path, root: &Path) -> Vec<Leftover> {
    find(git_dir, root)
        .into_iter()
        .filter(|l| l.creator.liveness() == Liveness::Dead)
        .collect()
}

/// Removes a leftover once its creator is (still) provably dead; says what was done.
///
/// Two kinds are mended rather than only removed: the holder record a breaker moved aside
/// goes back into a lock directory that lost it (so the lock can again be judged and broken
/// on proof), and a lock directory whose half-written holder record was the only thing in it
/// is removed with it (its creator died before it held the lock).
pub fn remove(l: &Leftover, git_dir: &Path) -> std::io::Result<String> {
    if l.creator.liveness() != Liveness::Dead {
        return Ok(format!(
            "kept {}: its creator may be running again",
            l.path.display()
        ));
    }
    let name = l
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lock_dir = git_dir.join(lock::LOCK_DIR);
    if name.starts_with("claude-lock.breaking.") {
        let owner = lock_dir.join("owner");
        if lock_dir.is_dir() && !owner.exists() {
            fs::rename(&l.path, &owner)?;
            return Ok(format!(
                "put {} back as the holder record of {}",
                l.path.display(),
                lock_dir.display()
            ));
        }
    }
    let meta = fs::symlink_metadata(&l.path)?;
    if meta.is_dir() {
        for e in fs::read_dir(&l.path)?.flatten() {
            if e.file_type().is_ok_and(|t| !t.is_dir()) {
                fs::remove_file(e.path())?;
            }
        }
        fs::remove_dir(&l.path)?;
    } else {
        fs::remove_file(&l.path)?;
    }
    if l.path.parent() == Some(lock_dir.as_path()) && !lock_dir.join("owner").exists() {
        // The directory is removed only if nothing else is in it.
        if fs::remove_dir(&lock_dir).is_ok() {
            return Ok(format!(
                "removed {} and the lock directory it was made for (its creator died before holding it)",
                l.path.display()
            ));
        }
    }
    Ok(format!("removed {}", l.path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_names_this_process_and_reads_back() {
        let me = Creator::at_start_of(tag()).expect("own tag parses");
        assert_eq!(me.pid, std::process::id());
        assert_eq!(me.liveness(), Liveness::Alive);
        let reused = Creator {
            start_time: me.start_time.map(|t| t + 1),
            ..me.clone()
        };
        assert_eq!(reused.liveness(), Liveness::Dead);
        let elsewhere = Creator {
            host: me.host.map(|h| h ^ 1),
            ..me.clone()
        };
        assert_eq!(elsewhere.liveness(), Liveness::Unknown);
    }

    #[test]
    fn names_are_classified_with_their_creators() {
        let (what, c) = classify(Place::GitDir, &format!("lore-prelock-{}", tag())).unwrap();
        assert_eq!(what, "the pre-lock file of a git lock");
        assert_eq!(c.pid, std::process::id());
        // A name from before tags: a bare pid.
        let (_, c) = classify(Place::GitDir, "lore-prelock-4242").unwrap();
        assert_eq!((c.pid, c.start_time, c.host), (4242, None, None));
        let (_, c) = classify(Place::LoreDir, "reindex-p12s34h00000000000000ff.db-wal").unwrap();
        assert_eq!((c.pid, c.start_time), (12, Some(34)));
        assert!(classify(Place::GitDir, "claude-lock.owner").is_none());
        assert!(classify(Place::GitDir, "lore-prelock-").is_none());
        assert!(classify(Place::GitDir, "lore-lock-index").is_none());
        assert!(classify(Place::LoreDir, "draft.json").is_none());
        let (_, c) = classify_in_memory("20261201_x.lore-sync-77.tmp").unwrap();
        assert_eq!(c.pid, 77);
        for path in [
            write_temp_name(Path::new("memory/failures/x.md")),
            undo_copy_path(Path::new("memory/failures/x.md")),
        ] {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert_eq!(classify_in_memory(name).unwrap().1.pid, std::process::id());
        }
        let copy = undo_copy_path(Path::new("memory/failures/20261201_a-b.md"));
        assert_eq!(
            undo_copy_of(&copy).unwrap(),
            Path::new("memory/failures/20261201_a-b.md")
        );
        assert!(classify_in_memory("20261201_x.md").is_none());
    }
}
