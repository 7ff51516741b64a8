//! Test-only hooks, compiled in only with the `fault-injection` feature (which `cargo test`
//! turns on through a dev-dependency; release builds never have it).
//!
//! - `LORE_FAULT=<point>:<error|crash|panic>[,…]` makes a write fail at a named point, kill
//!   itself there with SIGKILL, as a crash would, or panic there, as a bug would.
//! - `<point>:pause` stops there until a file named after the point exists in the directory
//!   `LORE_FAULT_RESUME` names (at most a minute), so that a test can line other processes up
//!   behind a holder of the lock, one step at a time.
//! - `LORE_TEST_POINTS_LOG=<file>` appends the name of every point passed, one a line, so that
//!   a test learns which points an operation goes through.
//! - `LORE_TEST_CS_LOG=<file>` appends `<pid> start <ns>` and `<pid> end <ns>` lines (wall-clock
//!   nanoseconds) when the critical section begins and ends, so tests can prove no two writers
//!   ever overlapped.

use crate::error::Result;

/// The named points of a write (see [`crate::write`]), in order: after the lock is taken, after
/// each file is written, after the rows are written, after git's index is staged, after the
/// commit's objects are written, before the branch moves (or the write otherwise lands),
/// after it moved, before the lock is released. Three more stand for the short-lived files
/// other steps make: `git-prelock` (a git lock's pre-lock file exists), `reindex-copied`
/// (a reindex's work file holds the copy of the index) and `undo-index-locked` (git's index
/// lock is held to take a staged change back).
pub const POINTS: [&str; 8] = [
    "after-lock",
    "after-write",
    "after-insert",
    "after-stage",
    "after-objects",
    "before-ref",
    "after-commit",
    "before-unlock",
];

/// The points of a write that saves queued records too (see `crate::ops::queue`): after it
/// claimed them, and after each writer was answered.
pub const QUEUE_POINTS: [&str; 2] = ["after-claim", "after-answer"];

#[cfg(feature = "fault-injection")]
pub fn point(name: &str) -> Result<()> {
    if let Some(log) = std::env::var_os("LORE_TEST_POINTS_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(f, "{name}");
        }
    }
    let Ok(spec) = std::env::var("LORE_FAULT") else {
        return Ok(());
    };
    for item in spec.split(',') {
        match item.split_once(':') {
            Some((p, "error")) if p == name => {
                return Err(crate::error::Error::Injected(name.to_string()));
            }
            Some((p, "panic")) if p == name => panic!("injected panic at {name}"),
            Some((p, "pause")) if p == name => {
                let resume = std::env::var_os("LORE_FAULT_RESUME").unwrap_or_default();
                let resume = std::path::Path::new(&resume).join(name);
                let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
                while !resume.exists() && std::time::Instant::now() < until {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
            Some((p, "crash")) if p == name => {
                let _ = rustix::process::kill_process(
                    rustix::process::getpid(),
                    rustix::process::Signal::KILL,
                );
                std::process::abort();
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn point(_name: &str) -> Result<()> {
    Ok(())
}

#[cfg(feature = "fault-injection")]
pub fn critical_section(event: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("LORE_TEST_CS_LOG") else {
        return;
    };
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{} {event} {ns}", std::process::id());
    }
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn critical_section(_event: &str) {}
