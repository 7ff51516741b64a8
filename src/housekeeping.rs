//! Keeps the repository fast as saves pile up.
//!
//! Every save writes its objects (a blob, the trees on its path, a commit) as one small pack
//! (see `gitops`), and other git clients write loose objects. Both pile up: a store written
//! only by lore would never be packed (git packs only when a git command that calls
//! `git gc --auto` runs), and a directory of millions of small files, or hundreds of packs,
//! makes every object lookup, `git status` and clone slower. So after a save, with the lock
//! already released, lore
//! - rolls the small packs up past [`ROLL_UP_AT`] with a geometric repack in the background;
//! - looks at one of the 256 object folders, as `git gc --auto` does, and when it holds more
//!   than its share of `gc.auto` (6,700 by default; 0 turns this off) starts `git gc --auto` in
//!   the background. git decides the rest and detaches, so the save that noticed does not wait.
//!
//! git's packing is safe beside writers, lore included.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Packs in `objects/pack` past which lore rolls its small ones up (each save writes one; git's
/// own `gc.autoPackLimit`, 50, would make the next `git gc --auto` repack everything).
pub const ROLL_UP_AT: usize = 24;

/// A roll-up marker older than this belongs to a roll-up that died: it is replaced.
const ROLL_UP_STALE: Duration = Duration::from_secs(600);

/// Marks a roll-up in progress (created exclusively, removed when the roll-up ends), so that
/// only one runs however many saves notice the packs at once.
const ROLL_UP_MARKER: &str = "lore-repack";

/// Starts `git repack --geometric=2 -d` in the background when small packs have piled up, and
/// returns whether it did. The geometric repack merges the small packs into one and leaves large
/// ones alone, so its cost follows the saves since the last one, not the repository's size.
/// Never fails a save.
pub fn roll_up_if_due(repo: &git2::Repository) -> bool {
    let git_dir = repo.path();
    let packs = std::fs::read_dir(git_dir.join("objects/pack"))
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".pack"))
                .count()
        })
        .unwrap_or(0);
    if packs < ROLL_UP_AT || git_dir.join("gc.pid").exists() {
        return false;
    }
    let Some(workdir) = repo.workdir() else {
        return false;
    };
    let marker = git_dir.join(ROLL_UP_MARKER);
    let claim = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
    };
    if claim().is_err() {
        let stale = std::fs::metadata(&marker)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > ROLL_UP_STALE);
        if !stale || std::fs::remove_file(&marker).is_err() || claim().is_err() {
            return false;
        }
    }
    // The shell removes the marker when git is done, whatever lore does meanwhile.
    let started = in_background(
        Command::new("sh")
            .args([
                "-c",
                "git -C \"$1\" repack -d -q --geometric=2; rm -f \"$2\"",
                "lore-roll-up",
            ])
            .arg(workdir)
            .arg(&marker),
        &format!("a roll-up of {packs} packs (`git repack --geometric=2 -d`)"),
    );
    if !started {
        let _ = std::fs::remove_file(&marker);
    }
    started
}

/// Starts `command` with no terminal and does not wait for it (a thread reaps it if this process
/// lives long enough; otherwise it outlives lore). Returns whether it started.
fn in_background(command: &mut Command, what: &str) -> bool {
    let spawned = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    match spawned {
        Ok(mut child) => {
            log::info!("started {what}");
            std::thread::spawn(move || child.wait());
            true
        }
        Err(e) => {
            log::debug!("could not start {what}: {e}");
            false
        }
    }
}

/// git's default `gc.auto`.
const GC_AUTO_DEFAULT: i64 = 6_700;

/// Starts `git gc --auto` in the background if loose objects have piled up. Returns whether it
/// started one. Never fails a save: a missing `git` or any error is only logged.
pub fn pack_if_due(repo: &git2::Repository) -> bool {
    let limit = repo
        .config()
        .and_then(|c| c.get_i64("gc.auto"))
        .unwrap_or(GC_AUTO_DEFAULT);
    if limit <= 0 {
        return false;
    }
    let git_dir = repo.path();
    if !too_many_loose(git_dir, limit) || git_dir.join("gc.pid").exists() {
        return false;
    }
    let Some(workdir) = repo.workdir() else {
        return false;
    };
    // git detaches at once.
    in_background(
        Command::new("git")
            .arg("-C")
            .arg(workdir)
            .args(["gc", "--auto", "--quiet"]),
        "`git gc --auto` (loose objects piled up)",
    )
}

/// git's own estimate: more than `limit / 256` (rounded up) loose objects in `objects/17`.
fn too_many_loose(git_dir: &Path, limit: i64) -> bool {
    let threshold = (limit as usize).div_ceil(256);
    let Ok(entries) = std::fs::read_dir(git_dir.join("objects/17")) else {
        return false;
    };
    entries
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            n.len() == 38 && n.to_string_lossy().bytes().all(|b| b.is_ascii_hexdigit())
        })
        .nth(threshold)
        .is_some()
}
