//! Who holds the lock, and whether that can be *proven* dead.
//!
//! A holder record is one JSON line written (temporary file + rename, so readers never see half
//! of it) after the lock is taken: next to the flock file as `claude-lock.owner`, or inside the
//! lock directory as `owner`. It is never written into `claude-lock` itself, which
//! `record-failure.sh` truncates whenever it opens it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// The kernel's boot id: a holder recorded under another boot is dead on this host.
    #[serde(default)]
    pub boot_id: Option<String>,
    /// Process start time in clock ticks since boot (`/proc/<pid>/stat` field 22): tells a
    /// reused pid from the original process.
    #[serde(default)]
    pub start_time: Option<u64>,
    pub command: String,
    /// When the lock was taken, in milliseconds since the Unix epoch; `None` when the holder was
    /// found through the kernel's lock table rather than a holder record.
    #[serde(default)]
    pub since_ms: Option<u64>,
    /// `record`, `hold`, `sync`…; empty for holders that are not lore.
    #[serde(default)]
    pub operation: String,
    /// Unique per acquisition, so a breaker can tell one holder record from the next.
    #[serde(default)]
    pub nonce: String,
}

/// What lore can prove about a holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Liveness {
    Alive,
    /// On this host and provably gone: pid absent, a zombie, pid reused, or another boot.
    Dead,
    /// Another host, or not enough information: never broken automatically.
    Unknown,
}

impl Holder {
    /// A record describing this process, about to hold the lock for `operation`.
    pub fn current(operation: &str) -> Holder {
        let me = this_process();
        Holder {
            pid: me.pid,
            host: me.host.clone(),
            boot_id: me.boot_id.clone(),
            start_time: me.start_time,
            command: me.command.clone(),
            since_ms: Some(now_ms()),
            operation: operation.to_string(),
            nonce: nonce(),
        }
    }

    /// A holder known only by pid (from `/proc/locks`), described from `/proc`.
    pub fn from_pid(pid: u32) -> Holder {
        Holder {
            pid,
            host: hostname(),
            boot_id: boot_id(),
            start_time: process_start_time(pid),
            command: process_command(pid).unwrap_or_else(|| "?".into()),
            since_ms: None,
            operation: String::new(),
            nonce: String::new(),
        }
    }

    pub fn liveness(&self) -> Liveness {
        if self.host != hostname() {
            return Liveness::Unknown;
        }
        if let (Some(theirs), Some(ours)) = (&self.boot_id, boot_id())
            && *theirs != ours
        {
            return Liveness::Dead;
        }
        liveness_here(self.pid, self.start_time)
    }

    /// How long the lock has been held, when known.
    pub fn held_for(&self) -> Option<std::time::Duration> {
        self.since_ms
            .map(|since| std::time::Duration::from_millis(now_ms().saturating_sub(since)))
    }

    /// `pid 4242 (lore record) on host h since 12:03:04`, sanitised for a terminal.
    pub fn describe(&self) -> String {
        let cmd = crate::sanitize::display_line(&shorten(&self.command, 60));
        let host = crate::sanitize::display_line(&self.host);
        let mut s = format!("pid {} ({cmd}) on host {host}", self.pid);
        if let Some(since) = self.since_ms {
            s.push_str(&format!(" since {}", local_clock(since)));
        }
        s
    }

    pub(crate) fn to_line(&self) -> String {
        serde_json::to_string(self).expect("holder serialises")
    }

    pub fn parse(text: &str) -> Option<Holder> {
        serde_json::from_str(text.trim()).ok()
    }
}

pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// `HH:MM:SS` in local time for today, a full date otherwise.
pub fn local_clock(ms: u64) -> String {
    let Some(zoned) = crate::clock::from_millis(ms) else {
        return "?".into();
    };
    if zoned.date() == crate::clock::now().date() {
        zoned.strftime("%H:%M:%S").to_string()
    } else {
        zoned.strftime("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// What never changes for this process, read from `/proc` once (each read costs tens of µs).
struct ThisProcess {
    pid: u32,
    host: String,
    boot_id: Option<String>,
    start_time: Option<u64>,
    command: String,
}

fn this_process() -> &'static ThisProcess {
    static ME: std::sync::OnceLock<ThisProcess> = std::sync::OnceLock::new();
    ME.get_or_init(|| {
        let pid = std::process::id();
        ThisProcess {
            pid,
            host: hostname(),
            boot_id: boot_id(),
            start_time: process_start_time(pid),
            command: process_command(pid).unwrap_or_else(|| "lore".into()),
        }
    })
}

/// Size of an in-place holder record: the JSON line padded with spaces, so rewriting it is one
/// `pwrite` and a reader never sees the tail of an older, longer record.
pub(crate) const RECORD_SIZE: usize = 4096;

/// The holder record as a fixed-size block; an empty holder (`None`) is all blanks.
pub(crate) fn record_block(holder: Option<&Holder>) -> Vec<u8> {
    let mut line = match holder {
        Some(h) => {
            let mut h = h.clone();
            // Keep the record within its block whatever the command line.
            if h.command.len() > RECORD_SIZE / 2 {
                h.command = shorten(&h.command, RECORD_SIZE / 8);
            }
            h.to_line().into_bytes()
        }
        None => Vec::new(),
    };
    line.resize(RECORD_SIZE - 1, b' ');
    line.push(b'\n');
    line
}

/// Reads a holder record; `Ok(None)` when there is none (or it is blank), `Err(text)` when it
/// is malformed.
pub(crate) fn read_record(path: &Path) -> Result<Option<Holder>, String> {
    match fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(None),
        Ok(text) => Holder::parse(&text).map(Some).ok_or(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Writes a holder record atomically (temporary file in the same folder, then rename).
pub(crate) fn write_record(path: &Path, holder: &Holder) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("owner"),
        creator_tag(),
        holder.nonce
    ));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    let res = f
        .write_all(holder.to_line().as_bytes())
        .and_then(|_| fs::rename(&tmp, path));
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

fn boot_id() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
}

fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now_ms());
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// Whether process `pid`, started at `start_time` (when known) on this host in this boot, still
/// runs: `Dead` when the pid is gone, a zombie, or now belongs to a process started at another
/// time.
pub fn liveness_here(pid: u32, start_time: Option<u64>) -> Liveness {
    match process_state(pid) {
        ProcState::Gone | ProcState::Zombie => Liveness::Dead,
        ProcState::Running { start_time: now } => match (start_time, now) {
            (Some(recorded), Some(now)) if recorded != now => Liveness::Dead,
            _ => Liveness::Alive,
        },
        ProcState::Unknown => Liveness::Unknown,
    }
}

/// This process's tag, `p<pid>s<start time>h<host hash>`, put into the name of every
/// short-lived file lore creates so that a file left by a killed process can be proven
/// abandoned (see `crate::leftovers`).
pub fn creator_tag() -> &'static str {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| {
        let me = this_process();
        format!(
            "p{}s{}h{:016x}",
            me.pid,
            me.start_time.unwrap_or(0),
            host_hash(&me.host)
        )
    })
}

/// FNV-1a of a host name: stable across runs and builds (std's hasher is seeded per process).
pub fn host_hash(host: &str) -> u64 {
    host.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// This process's start time (clock ticks since boot), read once.
pub fn own_start_time() -> Option<u64> {
    this_process().start_time
}

enum ProcState {
    Gone,
    Zombie,
    Running { start_time: Option<u64> },
    Unknown,
}

fn process_state(pid: u32) -> ProcState {
    let Some(p) = rustix::process::Pid::from_raw(pid as i32) else {
        return ProcState::Unknown;
    };
    match rustix::process::test_kill_process(p) {
        Ok(()) | Err(rustix::io::Errno::PERM) => {}
        Err(rustix::io::Errno::SRCH) => return ProcState::Gone,
        Err(_) => return ProcState::Unknown,
    }
    match stat_fields(pid) {
        Some((state, start)) if state == 'Z' || state == 'X' => {
            let _ = start;
            ProcState::Zombie
        }
        Some((_, start)) => ProcState::Running {
            start_time: Some(start),
        },
        None if Path::new("/proc/self/stat").exists() => ProcState::Gone,
        None => ProcState::Running { start_time: None },
    }
}

/// State letter and start time from `/proc/<pid>/stat`. The command name may hold spaces and
/// parentheses, so fields are counted from the last `)`.
fn stat_fields(pid: u32) -> Option<(char, u64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    // After the state come fields 4..; the start time is field 22, i.e. 19 further on.
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

pub fn process_start_time(pid: u32) -> Option<u64> {
    stat_fields(pid).map(|(_, start)| start)
}

fn process_command(pid: u32) -> Option<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let parts: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    if parts.is_empty() {
        return None;
    }
    let mut parts = parts.into_iter();
    let exe = parts.next().unwrap_or_default();
    let exe = Path::new(&exe)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(exe);
    Some(
        std::iter::once(exe)
            .chain(parts)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The pid holding a `flock` on `path`, from the kernel's table (`/proc/locks`, Linux only).
///
/// For a lock taken by `flock(1)` on an inherited descriptor, as `record-failure.sh` does, the
/// table names the `flock` process even after it exits; the real holder is then the process
/// that still has the file open, found through `/proc/<pid>/fd`.
pub fn flock_holder_pid(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).ok()?;
    let dev = meta.dev();
    let key = format!(
        "{:02x}:{:02x}:{}",
        rustix::fs::major(dev),
        rustix::fs::minor(dev),
        meta.ino()
    );
    let table = fs::read_to_string("/proc/locks").ok()?;
    let pid = table.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        // `1: FLOCK  ADVISORY  WRITE 1234 fd:01:567 0 EOF`; waiters carry an extra `->`.
        if f.get(1) == Some(&"->") || f.get(1) != Some(&"FLOCK") {
            return None;
        }
        (f.get(5) == Some(&key.as_str())).then(|| f.get(4)?.parse::<u32>().ok())?
    })?;
    if matches!(process_state(pid), ProcState::Running { .. }) {
        return Some(pid);
    }
    open_by(path, meta.ino(), dev).or(Some(pid))
}

/// A live process other than this one with `path` open (the descriptor a flock lives on).
fn open_by(path: &Path, ino: u64, dev: u64) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let me = std::process::id();
    for entry in fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(target) = fs::read_link(fd.path())
                && (target == path
                    || fs::metadata(fd.path()).is_ok_and(|m| m.ino() == ino && m.dev() == dev))
            {
                return Some(pid);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_dead() {
        let me = Holder::current("test");
        assert_eq!(me.liveness(), Liveness::Alive);
        let reused = Holder {
            start_time: me.start_time.map(|t| t + 1),
            ..me.clone()
        };
        assert_eq!(reused.liveness(), Liveness::Dead);
        let elsewhere = Holder {
            host: format!("{}-other", me.host),
            ..me.clone()
        };
        assert_eq!(elsewhere.liveness(), Liveness::Unknown);
        let rebooted = Holder {
            boot_id: Some("not-this-boot".into()),
            ..me
        };
        assert_eq!(rebooted.liveness(), Liveness::Dead);
    }

    #[test]
    fn record_round_trips() {
        let me = Holder::current("record");
        assert_eq!(Holder::parse(&me.to_line()), Some(me));
        assert_eq!(Holder::parse("garbage"), None);
    }
}
