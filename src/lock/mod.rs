//! The store lock: one cross-process lock per store, shared with `record-failure.sh`.
//!
//! The lock file is `<git-dir>/claude-lock`. With the `flock` strategy (the default) lore takes
//! an exclusive `flock` on it, polling `try_lock` with a growing, jittered back-off up to the
//! deadline; the kernel frees the lock the moment its holder dies, so it can never go stale.
//! The `mkdir` strategy uses the directory `claude-lock.dir`, the script's fallback where no
//! `flock` exists; it is chosen by `--lock-strategy mkdir`, or automatically (with a notice)
//! when the file system reports that `flock` is unsupported. Either strategy also honours the
//! other one's lock when it can see it, so lore excludes the script whichever way the script
//! locks.
//!
//! Waiting is observable: [`acquire`] reports [`LockEvent`]s to a callback and never prints.

mod dir;
pub mod error;
pub mod holder;
mod status;

pub use status::{BreakOutcome, Status, break_lock, stale_dir_holder, status};

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

pub use error::LockError;
pub use holder::{
    Holder, Liveness, creator_tag, host_hash, hostname, liveness_here, local_clock, now_ms,
    own_start_time,
};

use self::error::Result;

pub const LOCK_FILE: &str = "claude-lock";
pub const OWNER_FILE: &str = "claude-lock.owner";
pub const LOCK_DIR: &str = "claude-lock.dir";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    #[default]
    Flock,
    Mkdir,
}

impl std::str::FromStr for Strategy {
    type Err = LockError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "flock" => Ok(Strategy::Flock),
            "mkdir" => Ok(Strategy::Mkdir),
            _ => Err(LockError::NoSuchStrategy(s.to_string())),
        }
    }
}

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Strategy::Flock => "flock",
            Strategy::Mkdir => "mkdir",
        })
    }
}

#[derive(Debug, Clone)]
pub struct LockOptions {
    pub timeout: Duration,
    pub strategy: Strategy,
    /// What this holder does (`record`, `hold`…), shown to waiters and logged in `lock_events`.
    pub operation: String,
    /// Set from another thread (the TUI's Esc, the CLI's Ctrl-C) to give up waiting.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Whether git's hooks that may refuse a commit (`pre-commit`, `pre-merge-commit`,
    /// `commit-msg`) judge the write's commit; `--no-verify` turns them off. They run while
    /// the lock is held.
    pub verify: bool,
    /// A file whose appearance ends the wait: the answer to a record this writer queued for
    /// the holder to save (see `crate::ops::queue`). Looked for every [`ANSWER_POLL`].
    pub ends_wait: Option<PathBuf>,
}

/// How often a waiter with [`LockOptions::ends_wait`] looks for its answer.
pub const ANSWER_POLL: Duration = Duration::from_millis(2);

impl Default for LockOptions {
    fn default() -> Self {
        LockOptions {
            timeout: DEFAULT_TIMEOUT,
            strategy: Strategy::Flock,
            operation: "record".into(),
            cancel: None,
            verify: true,
            ends_wait: None,
        }
    }
}

/// Progress while taking the lock.
#[derive(Debug, Clone)]
pub enum LockEvent {
    /// Someone else holds it. Sent when waiting starts and then about every 100 ms.
    Contended {
        holder: Option<Holder>,
        waited: Duration,
        timeout: Duration,
    },
    /// `flock` is not supported here; lore switched to the lock directory.
    FellBack {
        reason: String,
    },
    /// A lock directory whose holder was proven dead was removed.
    BrokeStale {
        holder: Holder,
    },
    Acquired {
        waited: Duration,
    },
}

/// Where the holder record of a held lock lives.
#[derive(Debug)]
enum OwnerRecord {
    /// `claude-lock.owner`, rewritten in place (one `pwrite`) and blanked on release.
    InPlace(File),
    /// `claude-lock.dir/owner`, removed on release together with the directory.
    InDir(PathBuf),
}

/// How many acquisitions of a store lock this process is in, waiting or holding.
static IN_USE: AtomicUsize = AtomicUsize::new(0);

/// Whether this process is waiting for or holding a store lock. A signal handler may ask (it
/// is one atomic load): lore's command line lets an interrupt end the process at once unless it
/// is here, where a wait must give up cleanly and a save must finish or roll back.
pub fn in_use() -> bool {
    IN_USE.load(Ordering::SeqCst) > 0
}

/// Counts one acquisition in [`in_use`] for as long as it lives (a wait, then the guard).
#[derive(Debug)]
struct InUse;

impl InUse {
    fn start() -> InUse {
        IN_USE.fetch_add(1, Ordering::SeqCst);
        InUse
    }
}

impl Drop for InUse {
    fn drop(&mut self) {
        IN_USE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The lock, held until dropped. Dropping clears the holder record, then unlocks.
#[derive(Debug)]
pub struct LockGuard {
    /// Dropped with the fields, after `Drop::drop` has released the lock: the process counts
    /// as in the lock until it is released.
    in_use: Option<InUse>,
    file: Option<File>,
    dir: Option<PathBuf>,
    owner: Option<OwnerRecord>,
    /// Where the descriptors go back on release, when they came from a store handle's cache.
    keep: Option<Arc<OpenLockFiles>>,
    pub strategy: Strategy,
    pub waited: Duration,
    pub acquired_at: Instant,
    pub holder: Holder,
}

impl LockGuard {
    pub fn held_for(&self) -> Duration {
        self.acquired_at.elapsed()
    }

    /// Releases now (also done on drop), reporting a failure to remove the lock directory.
    pub fn release(mut self) -> Result<()> {
        self.release_inner()
    }

    fn release_inner(&mut self) -> Result<()> {
        let mut owner_file = None;
        match self.owner.take() {
            // A record that could not be blanked is not kept: the next holder reopens it.
            Some(OwnerRecord::InPlace(f))
                if f.write_all_at(&holder::record_block(None), 0).is_ok() =>
            {
                owner_file = Some(f);
            }
            Some(OwnerRecord::InPlace(_)) => {}
            Some(OwnerRecord::InDir(p)) => {
                let _ = fs::remove_file(p);
            }
            None => {}
        }
        let res = match self.dir.take() {
            Some(dir) => fs::remove_dir(&dir).map_err(|e| LockError::io(dir, e)),
            None => Ok(()),
        };
        let file = self.file.take();
        if let (Some(keep), Some(file), Some(owner)) = (self.keep.take(), file, owner_file) {
            // Kept open for the next acquisition, so unlocked explicitly; a descriptor that
            // cannot be unlocked is closed instead, which releases the flock too.
            if file.unlock().is_ok() {
                keep.put(file, owner);
            }
        }
        // Otherwise closing the descriptor (dropped above) released the flock.
        res
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.release_inner();
    }
}

/// The paths of one store's lock.
#[derive(Debug, Clone)]
pub struct LockPaths {
    pub file: PathBuf,
    pub owner: PathBuf,
    pub dir: PathBuf,
    /// Written when a holder is found to have died holding the lock (its work may be half
    /// done); `lore doctor` removes it once the store is consistent.
    pub interrupted: PathBuf,
    /// Names the holder in `interrupted` once the start-up note about it has been said in
    /// full, so later commands point at `lore doctor` in a few words instead of repeating it.
    pub told: PathBuf,
    /// The lock file and holder record kept open between acquisitions, when these paths
    /// belong to a long-lived store handle (see [`LockPaths::keeping_files_open`]).
    open: Option<Arc<OpenLockFiles>>,
}

/// The flock file and the holder record, left open by a released lock for the next
/// acquisition through the same store handle: re-taking the lock is then a `flock` and a
/// `pwrite` instead of two opens with their link checks (about half the cost uncontended).
///
/// Only one acquisition at a time can use them: a second `flock` through the same open file
/// would succeed while the first still holds it, so a concurrent acquisition in this process
/// opens descriptors of its own. Descriptors are kept only after a clean release: after a
/// timeout, a helper thread may still be blocked in `flock` on them, and what it gets must be
/// released by closing them.
#[derive(Debug, Default)]
pub struct OpenLockFiles(Mutex<Option<(File, File)>>);

impl OpenLockFiles {
    /// The kept descriptors, unless another acquisition has them or the files they name were
    /// removed or replaced since (a lock on an unlinked file would exclude nobody).
    fn take(&self) -> Option<(File, File)> {
        use std::os::unix::fs::MetadataExt;
        let (file, owner) = self.0.lock().ok()?.take()?;
        let linked = |f: &File| f.metadata().is_ok_and(|m| m.nlink() == 1);
        (linked(&file) && linked(&owner)).then_some((file, owner))
    }

    fn put(&self, file: File, owner: File) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((file, owner));
        }
    }
}

impl LockPaths {
    pub fn new(git_dir: &Path) -> LockPaths {
        LockPaths {
            file: git_dir.join(LOCK_FILE),
            owner: git_dir.join(OWNER_FILE),
            dir: git_dir.join(LOCK_DIR),
            interrupted: git_dir.join("lore-interrupted"),
            told: git_dir.join("lore-interrupted-told"),
            open: None,
        }
    }

    /// These paths with the lock's descriptors kept open between acquisitions in `open`
    /// (shared by every copy of a store handle).
    pub fn keeping_files_open(mut self, open: Arc<OpenLockFiles>) -> LockPaths {
        self.open = Some(open);
        self
    }

    /// The holder that died holding the lock, if one did since `lore doctor` last ran.
    pub fn interrupted(&self) -> Option<Holder> {
        holder::read_record(&self.interrupted).ok().flatten()
    }

    /// Remembers that `h` died holding the lock (cheap: this happens only after a crash).
    /// A holder that only held the lock (`lore lock hold`) left nothing half done.
    pub(crate) fn note_interrupted(&self, h: &Holder) {
        if h.operation != "hold" {
            let _ = holder::write_record(&self.interrupted, h);
        }
    }

    pub fn clear_interrupted(&self) {
        let _ = fs::remove_file(&self.interrupted);
        let _ = fs::remove_file(&self.told);
    }

    /// Whether the start-up note about `h` having died holding the lock was said already;
    /// the first call for a holder says no and remembers it (and that it died: the record
    /// it was found by is rewritten by the next holder).
    pub fn told_of(&self, h: &Holder) -> bool {
        let said = h.describe();
        if fs::read_to_string(&self.told).is_ok_and(|t| t == said) {
            return true;
        }
        if self.interrupted().is_none() {
            self.note_interrupted(h);
        }
        let _ = fs::write(&self.told, said);
        false
    }
}

enum Attempt {
    Got(LockGuard),
    /// The lock directory is held (by `holder`, when its record could be read).
    Busy(Option<Holder>),
    /// The flock is held by another open file; its holder is looked up only when reported.
    BusyFlock,
    Unsupported(String),
}

/// How often waiting is reported, and how often a cancel flag is checked.
const TICK: Duration = Duration::from_millis(100);

/// Takes the store lock, waiting up to `opts.timeout`.
///
/// A contended flock is waited for by a helper thread blocked in `flock(LOCK_EX)`: the kernel
/// wakes it the moment the lock is free, in the order waiters queued, instead of each waiter
/// polling on its own schedule. If this call gives up (timeout, cancel), the helper's
/// descriptor is the last one open on that lock file description, so whatever it gets is
/// released as soon as it returns.
pub fn acquire(
    paths: &LockPaths,
    opts: &LockOptions,
    on_event: &mut dyn FnMut(LockEvent),
) -> Result<LockGuard> {
    let start = Instant::now();
    let in_use = InUse::start();
    let kept = match opts.strategy {
        Strategy::Flock => paths.open.as_ref().and_then(|o| o.take()),
        Strategy::Mkdir => None,
    };
    let (mut file, mut owner) = match kept {
        Some((file, owner)) => (Some(file), Some(owner)),
        None => {
            // Kept descriptors were checked when opened; after_flock re-checks the directory.
            refuse_symlink(&paths.file)?;
            refuse_symlink(&paths.dir)?;
            (None, None)
        }
    };
    let deadline = start + opts.timeout;
    let mut strategy = opts.strategy;
    let mut waiter: Option<mpsc::Receiver<io::Result<()>>> = None;
    let mut from_waiter: Option<io::Result<()>> = None;
    let mut backoff = Backoff::new();
    let mut last_report: Option<Instant> = None;
    let mut holder_seen: Option<Holder> = None;
    loop {
        let attempt = match strategy {
            Strategy::Flock => {
                if file.is_none() {
                    file = Some(open_lock_file(&paths.file)?);
                }
                let f = file.as_ref().expect("opened above");
                match from_waiter.take() {
                    Some(Ok(())) => after_flock(paths, f, &mut owner, opts, on_event)?,
                    Some(Err(e)) => flock_failed(paths, e)?,
                    None if waiter.is_some() => Attempt::BusyFlock,
                    None => match f.try_lock() {
                        Ok(()) => after_flock(paths, f, &mut owner, opts, on_event)?,
                        Err(fs::TryLockError::WouldBlock) => Attempt::BusyFlock,
                        Err(fs::TryLockError::Error(e)) => flock_failed(paths, e)?,
                    },
                }
            }
            Strategy::Mkdir => {
                if file.is_none() {
                    // Honour a script that locks with flock, where flock works at all.
                    file = open_lock_file(&paths.file).ok();
                }
                dir::try_mkdir(paths, file.as_ref(), opts, on_event)?
            }
        };
        let flock_busy = matches!(attempt, Attempt::BusyFlock);
        match attempt {
            // Answered while the lock was coming: the holder saved it, the lock is not needed.
            Attempt::Got(guard) if opts.ends_wait.as_ref().is_some_and(|p| p.exists()) => {
                drop(guard);
                return Err(LockError::Answered {
                    waited: start.elapsed(),
                });
            }
            Attempt::Got(mut guard) => {
                guard.in_use = Some(in_use);
                if guard.strategy == Strategy::Flock {
                    // Any helper thread has delivered its result: the descriptors are ours alone.
                    guard.file = file.take();
                    guard.keep = paths.open.clone();
                }
                guard.waited = start.elapsed();
                log::debug!(
                    "acquired {} ({}) after {:?}",
                    paths.file.display(),
                    guard.strategy,
                    guard.waited
                );
                on_event(LockEvent::Acquired {
                    waited: guard.waited,
                });
                return Ok(guard);
            }
            Attempt::Unsupported(reason) => {
                on_event(LockEvent::FellBack { reason });
                strategy = Strategy::Mkdir;
                file = None;
                waiter = None;
                continue;
            }
            Attempt::Busy(holder) => holder_seen = holder,
            Attempt::BusyFlock => {}
        }
        let now = Instant::now();
        let report_due = last_report.is_none_or(|t| now - t >= TICK);
        if flock_busy && (report_due || now >= deadline) {
            holder_seen = flock_holder(paths);
        }
        // Before the deadline: an answer that came in the last moment is not a timeout.
        if opts.ends_wait.as_ref().is_some_and(|p| p.exists()) {
            return Err(LockError::Answered {
                waited: start.elapsed(),
            });
        }
        if now >= deadline {
            log::warn!(
                "timed out after {:?} waiting for {}",
                start.elapsed(),
                paths.file.display()
            );
            return Err(LockError::Timeout {
                // The lock that was held: the directory, where that is what was waited on.
                path: match strategy {
                    Strategy::Mkdir => paths.dir.clone(),
                    Strategy::Flock => paths.file.clone(),
                },
                waited: start.elapsed(),
                holder: holder_seen.map(Box::new),
            });
        }
        if cancelled(&opts.cancel) {
            return Err(LockError::Cancelled {
                path: paths.file.clone(),
                waited: start.elapsed(),
            });
        }
        if report_due {
            last_report = Some(now);
            on_event(LockEvent::Contended {
                holder: holder_seen.clone(),
                waited: start.elapsed(),
                timeout: opts.timeout,
            });
        }
        let step = (deadline - now).min(match opts.ends_wait {
            Some(_) => ANSWER_POLL,
            None => TICK,
        });
        if flock_busy && waiter.is_none() {
            waiter = Some(spawn_waiter(
                file.as_ref().expect("flock strategy has a file"),
                paths,
            )?);
        }
        match &waiter {
            Some(rx) => match rx.recv_timeout(step) {
                Ok(r) => {
                    from_waiter = Some(r);
                    waiter = None;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => waiter = None,
            },
            None => std::thread::sleep(backoff.next().min(step)),
        }
    }
}

/// A thread blocked in `flock(LOCK_EX)` on a duplicate of `file`'s descriptor (the same open
/// file description, so the lock it gets is ours).
fn spawn_waiter(file: &File, paths: &LockPaths) -> Result<mpsc::Receiver<io::Result<()>>> {
    let dup = file
        .try_clone()
        .map_err(|e| LockError::io(&paths.file, e))?;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("lore-lock-wait".into())
        .spawn(move || {
            let _ = tx.send(dup.lock());
        })
        .map_err(|e| LockError::io(&paths.file, e))?;
    Ok(rx)
}

fn flock_failed(paths: &LockPaths, e: io::Error) -> Result<Attempt> {
    if flock_unsupported(&e) {
        Ok(Attempt::Unsupported(format!(
            "flock is not supported on {} ({e}); using the lock directory {} instead",
            paths.file.display(),
            paths.dir.display()
        )))
    } else {
        Err(LockError::io(&paths.file, e))
    }
}

/// The flock is ours: honour a lock directory (the script's fallback), then record the holder.
fn after_flock(
    paths: &LockPaths,
    file: &File,
    kept_owner: &mut Option<File>,
    opts: &LockOptions,
    on_event: &mut dyn FnMut(LockEvent),
) -> Result<Attempt> {
    let dir = fs::symlink_metadata(&paths.dir);
    if dir.as_ref().is_ok_and(|m| m.file_type().is_symlink()) {
        let _ = file.unlock();
        return Err(LockError::Symlink {
            path: paths.dir.clone(),
        });
    }
    if dir.is_ok() {
        match dir::inspect(&paths.dir) {
            dir::DirState::Stale(h) => {
                if dir::break_stale(paths, &h)? {
                    on_event(LockEvent::BrokeStale { holder: h });
                }
            }
            dir::DirState::Held(h) => {
                let _ = file.unlock();
                return Ok(Attempt::Busy(h));
            }
            dir::DirState::Absent => {}
        }
        if fs::symlink_metadata(&paths.dir).is_ok() {
            let _ = file.unlock();
            return Ok(Attempt::Busy(None));
        }
    }
    let holder = Holder::current(&opts.operation);
    let owner = match kept_owner.take() {
        Some(owner) => Ok(owner),
        None => open_owner_file(&paths.owner),
    };
    let written = owner.and_then(|owner| {
        // A record still there means its holder died holding the lock (a release blanks it).
        // One byte tells: a blank record starts with a space, a holder's with `{`.
        let mut first = [0u8; 1];
        if owner.read_at(&mut first, 0).is_ok_and(|n| n == 1) && first[0] == b'{' {
            let mut previous = vec![0u8; holder::RECORD_SIZE];
            if let Ok(n) = owner.read_at(&mut previous, 0)
                && let Some(dead) = std::str::from_utf8(&previous[..n])
                    .ok()
                    .and_then(Holder::parse)
            {
                paths.note_interrupted(&dead);
            }
        }
        owner
            .write_all_at(&holder::record_block(Some(&holder)), 0)
            .map_err(|e| LockError::io(&paths.owner, e))?;
        Ok(owner)
    });
    let owner = match written {
        Ok(o) => o,
        Err(e) => {
            let _ = file.unlock();
            return Err(e);
        }
    };
    Ok(Attempt::Got(LockGuard {
        in_use: None,
        // The caller moves its descriptor in.
        file: None,
        dir: None,
        owner: Some(OwnerRecord::InPlace(owner)),
        keep: None,
        strategy: Strategy::Flock,
        waited: Duration::ZERO,
        acquired_at: Instant::now(),
        holder,
    }))
}

/// The flock's holder: the holder record, checked against the kernel's lock table when there is
/// one, so a leftover record of a dead process is never shown as the holder.
fn flock_holder(paths: &LockPaths) -> Option<Holder> {
    let recorded = holder::read_record(&paths.owner).ok().flatten();
    match (holder::flock_holder_pid(&paths.file), recorded) {
        (Some(pid), Some(h)) if h.pid == pid => Some(h),
        (Some(pid), _) => Some(Holder::from_pid(pid)),
        (None, recorded) => recorded,
    }
}

/// The in-place holder record: read and written, never through a link of any kind (a hard
/// link would make lore write into whatever file it points at).
fn open_owner_file(path: &Path) -> Result<File> {
    open_private(path, true, "write the holder record")
}

/// The flock file: a hard link would lock (and let the script truncate) some other file.
fn open_lock_file(path: &Path) -> Result<File> {
    open_private(path, false, "use the lock file")
}

/// Opens (creating, 0600) a file of the lock, refusing a symbolic link or a hard link.
fn open_private(path: &Path, read: bool, purpose: &'static str) -> Result<File> {
    use std::os::unix::fs::MetadataExt;
    let f = OpenOptions::new()
        .read(read)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                LockError::Symlink {
                    path: path.to_path_buf(),
                }
            } else {
                LockError::io(path, e)
            }
        })?;
    let meta = f.metadata().map_err(|e| LockError::io(path, e))?;
    if meta.nlink() != 1 || !meta.is_file() {
        return Err(LockError::HardLinked {
            purpose,
            path: path.to_path_buf(),
            links: meta.nlink(),
        });
    }
    Ok(f)
}

fn refuse_symlink(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(LockError::Symlink {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

fn flock_unsupported(e: &io::Error) -> bool {
    use rustix::io::Errno;
    let code = e.raw_os_error();
    [Errno::NOLCK, Errno::NOTSUP, Errno::OPNOTSUPP]
        .iter()
        .any(|errno| code == Some(errno.raw_os_error()))
        || e.kind() == io::ErrorKind::Unsupported
}

/// Exponential back-off from 1 ms to 50 ms with jitter, so waiters do not poll in lock-step.
struct Backoff {
    next: Duration,
    seed: u64,
}

impl Backoff {
    fn new() -> Backoff {
        let seed = u64::from(std::process::id()) ^ now_ms().rotate_left(17) | 1;
        Backoff {
            next: Duration::from_millis(1),
            seed,
        }
    }

    fn next(&mut self) -> Duration {
        // xorshift64: cheap jitter without a dependency.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let base = self.next;
        self.next = (self.next * 3 / 2).min(Duration::from_millis(50));
        let jitter = base.as_micros() as u64 / 2;
        base / 2 + Duration::from_micros(self.seed % (jitter.max(1) * 2))
    }
}

/// Whether a wait was given up on: for callers that poll a cancel flag themselves.
pub fn cancelled(flag: &Option<Arc<AtomicBool>>) -> bool {
    flag.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_flock_errors_are_recognised() {
        use rustix::io::Errno;
        for errno in [Errno::NOLCK, Errno::NOTSUP, Errno::OPNOTSUPP] {
            assert!(flock_unsupported(&io::Error::from_raw_os_error(
                errno.raw_os_error()
            )));
        }
        assert!(!flock_unsupported(&io::Error::from_raw_os_error(
            Errno::ACCESS.raw_os_error()
        )));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let mut b = Backoff::new();
        let first = b.next();
        let later: Vec<Duration> = (0..50).map(|_| b.next()).collect();
        assert!(first <= Duration::from_millis(2));
        assert!(later.iter().all(|d| *d <= Duration::from_millis(75)));
        assert!(later.last().unwrap() >= &Duration::from_millis(20));
    }
}
