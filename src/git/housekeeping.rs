//! Keeps the repository fast as saves pile up.
//!
//! Every save writes a handful of loose objects (a blob, the trees on its path, a commit). git
//! packs them when there are too many (`git gc --auto`), but only when a git command that
//! calls it runs; a store written only by lore would collect them for ever, and a directory of
//! millions of small files makes every object lookup, `git status` and clone slower. So after a
//! save, with the lock already released, lore looks at one of the 256 object folders, as
//! `git gc --auto` does, and when it holds more than its share of `gc.auto` (6,700 by default;
//! 0 turns this off) starts `git gc --auto` in the background. git decides the rest: it packs
//! the loose objects into a new pack, consolidates packs past `gc.autoPackLimit`, and detaches,
//! so the save that noticed does not wait. git's packing is safe beside writers, lore included.

use std::path::Path;
use std::process::{Command, Stdio};

/// git's default `gc.auto`.
const GC_AUTO_DEFAULT: i64 = 6_700;

/// Starts `git gc --auto` in the background if loose objects have piled up. Returns whether it
/// started one. Never fails a save: a missing `git` or any error is only logged.
pub fn pack_if_due(repo: &super::Repo) -> bool {
    let limit = repo.config_i64("gc.auto").unwrap_or(GC_AUTO_DEFAULT);
    if limit <= 0 {
        return false;
    }
    let git_dir = repo.git_dir();
    if !too_many_loose(git_dir, limit) || git_dir.join("gc.pid").exists() {
        return false;
    }
    let Some(workdir) = repo.workdir() else {
        return false;
    };
    match Command::new("git")
        .arg("-C")
        .arg(workdir)
        .args(["gc", "--auto", "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(mut child) => {
            log::info!("loose objects piled up: started `git gc --auto`");
            // git detaches at once; reap it without making the save wait.
            std::thread::spawn(move || child.wait());
            true
        }
        Err(e) => {
            log::debug!("could not start `git gc --auto`: {e}");
            false
        }
    }
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
