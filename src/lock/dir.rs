//! The `mkdir` lock: `<git-dir>/claude-lock.dir`, the script's fallback.
//!
//! Taking it is `mkdir`, which is atomic everywhere. The holder record lives inside it as
//! `owner`. Breaking a stale one must be safe when several processes try at once, so a breaker
//! first *renames the holder record out* of the directory: only one rename of that file can
//! succeed, and the winner then checks the record it took is the very one it judged dead
//! (same nonce) before removing the directory. A loser, or a winner that took a newer record,
//! puts it back and breaks nothing. A live lock is never touched, and a directory without a
//! readable record (the script writes none) is never broken automatically.

use std::fs::{self, DirBuilder, File};
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::error::{LockError, Result};
use super::holder::{self, Holder, Liveness};
use super::{Attempt, LockEvent, LockGuard, LockOptions, LockPaths, OwnerRecord, Strategy};

pub(super) enum DirState {
    Absent,
    /// Held; `None` when the holder record is missing or unreadable.
    Held(Option<Holder>),
    /// The holder is on this host and provably dead.
    Stale(Holder),
}

fn owner_path(dir: &Path) -> PathBuf {
    dir.join("owner")
}

pub(super) fn inspect(dir: &Path) -> DirState {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => DirState::Absent,
        _ => match holder::read_record(&owner_path(dir)) {
            Ok(Some(h)) if h.liveness() == Liveness::Dead => DirState::Stale(h),
            Ok(Some(h)) => DirState::Held(Some(h)),
            Ok(None) | Err(_) => DirState::Held(None),
        },
    }
}

pub(super) fn unknown_note(dir: &Path) -> String {
    let age = fs::symlink_metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .map(|d| {
            format!(
                ", created {} ago",
                crate::clock::fmt_duration(Duration::from_secs(d.as_secs()))
            )
        })
        .unwrap_or_default();
    let malformed = holder::read_record(&owner_path(dir)).is_err();
    if malformed {
        format!("{} has a malformed holder record{age}", dir.display())
    } else {
        format!(
            "{} has no holder record{age}; record-failure.sh writes none",
            dir.display()
        )
    }
}

pub(super) fn try_mkdir(
    paths: &LockPaths,
    file: Option<&File>,
    opts: &LockOptions,
    on_event: &mut dyn FnMut(LockEvent),
) -> Result<Attempt> {
    match DirBuilder::new().mode(0o700).create(&paths.dir) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            return Ok(match inspect(&paths.dir) {
                DirState::Stale(h) => {
                    if break_stale(paths, &h)? {
                        on_event(LockEvent::BrokeStale { holder: h.clone() });
                    }
                    Attempt::Busy(Some(h))
                }
                DirState::Held(h) => Attempt::Busy(h),
                DirState::Absent => Attempt::Busy(None),
            });
        }
        Err(e) => return Err(LockError::io(&paths.dir, e)),
    }
    // Someone may lock the file with flock (the script, where flock(1) exists): honour it.
    let mut locked_file = None;
    if let Some(f) = file {
        match f.try_lock() {
            Ok(()) => locked_file = f.try_clone().ok(),
            Err(fs::TryLockError::WouldBlock) => {
                let _ = fs::remove_dir(&paths.dir);
                return Ok(Attempt::Busy(super::flock_holder(paths)));
            }
            Err(fs::TryLockError::Error(_)) => {}
        }
    }
    let holder = Holder::current(&opts.operation);
    let owner = owner_path(&paths.dir);
    if let Err(e) = holder::write_record(&owner, &holder) {
        let _ = fs::remove_dir(&paths.dir);
        return Err(LockError::io(owner, e));
    }
    Ok(Attempt::Got(LockGuard {
        in_use: None,
        file: locked_file,
        dir: Some(paths.dir.clone()),
        owner: Some(OwnerRecord::InDir(owner)),
        keep: None,
        strategy: Strategy::Mkdir,
        waited: Duration::ZERO,
        acquired_at: Instant::now(),
        holder,
    }))
}

/// Breaks the lock directory if its holder record is still `judged` (proven dead). Returns
/// whether this process broke it; `false` when another process did, or the lock moved on.
pub(super) fn break_stale(paths: &LockPaths, judged: &Holder) -> Result<bool> {
    let owner = owner_path(&paths.dir);
    let git_dir = paths.dir.parent().unwrap_or(Path::new("."));
    let aside = git_dir.join(format!(
        "claude-lock.breaking.{}.{}",
        holder::creator_tag(),
        holder::now_ms()
    ));
    match fs::rename(&owner, &aside) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(LockError::io(owner, e)),
    }
    let taken = holder::read_record(&aside).ok().flatten();
    let same = taken
        .as_ref()
        .is_some_and(|t| t.nonce == judged.nonce && t.liveness() == Liveness::Dead);
    if !same {
        if fs::rename(&aside, &owner).is_err() {
            let _ = fs::remove_file(&aside);
        }
        return Ok(false);
    }
    empty_and_remove(&paths.dir)?;
    let _ = fs::remove_file(&aside);
    paths.note_interrupted(judged);
    Ok(true)
}

/// Removes the lock directory whatever its holder record says (`lore lock break --force`).
pub(super) fn force_break(paths: &LockPaths) -> Result<()> {
    let git_dir = paths.dir.parent().unwrap_or(Path::new("."));
    let aside = git_dir.join(format!(
        "claude-lock.dir.broken.{}.{}",
        holder::creator_tag(),
        holder::now_ms()
    ));
    match fs::rename(&paths.dir, &aside) {
        Ok(()) => empty_and_remove(&aside),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(LockError::io(&paths.dir, e)),
    }
}

/// The lock directory holds only holder records; remove them, then the directory.
fn empty_and_remove(dir: &Path) -> Result<()> {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    match fs::remove_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(LockError::io(dir, e)),
    }
}
