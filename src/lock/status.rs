//! The lock seen from outside, without taking it: who holds it (`lore lock status`, the
//! inspector), and breaking a lock directory whose holder is provably gone (`lore lock break`).

use std::fs::File;
use std::path::{Path, PathBuf};

use super::error::{LockError, Result};
use super::holder::{self, Holder, Liveness};
use super::{LockPaths, Strategy, dir, flock_holder};

/// The lock's state as `lore lock status` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// `free`, `held`, or `stale` (a lock directory whose holder is provably dead).
    pub state: &'static str,
    pub strategy: Option<Strategy>,
    #[serde(serialize_with = "public_holder")]
    pub holder: Option<Holder>,
    pub liveness: Option<Liveness>,
    /// Set when the lock directory exists without a readable holder record.
    pub note: Option<String>,
    pub path: PathBuf,
}

/// A holder as the JSON contract shows it: who, doing what, since when. The record's other
/// fields (boot id, start time, nonce) are how lore proves a holder dead, not facts for a
/// reader, and stay out of the contract.
fn public_holder<S: serde::Serializer>(
    h: &Option<Holder>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Public<'a> {
        pid: u32,
        host: &'a str,
        command: &'a str,
        /// Empty for a holder that is not lore.
        operation: &'a str,
        /// `None` where the kernel's lock table named the holder without a record.
        since: Option<String>,
    }
    serde::Serialize::serialize(
        &h.as_ref().map(|h| Public {
            pid: h.pid,
            host: &h.host,
            command: &h.command,
            operation: &h.operation,
            since: h.since_ms.and_then(crate::clock::rfc3339_millis),
        }),
        s,
    )
}

/// The holder of a lock directory that is provably stale (its holder on this host is dead),
/// without looking at the flock: cheap enough for every start-up.
pub fn stale_dir_holder(paths: &LockPaths) -> Option<Holder> {
    match dir::inspect(&paths.dir) {
        dir::DirState::Stale(h) => Some(h),
        _ => None,
    }
}

/// Looks at the lock without taking it (on Linux, through `/proc/locks`; elsewhere a
/// non-blocking try that is released at once).
pub fn status(paths: &LockPaths) -> Status {
    let mut st = Status {
        state: "free",
        strategy: None,
        holder: None,
        liveness: None,
        note: None,
        path: paths.file.clone(),
    };
    match dir::inspect(&paths.dir) {
        dir::DirState::Held(h) => {
            st.state = "held";
            st.strategy = Some(Strategy::Mkdir);
            st.path = paths.dir.clone();
            st.liveness = h.as_ref().map(Holder::liveness);
            if h.is_none() {
                st.note = Some(dir::unknown_note(&paths.dir));
            }
            st.holder = h;
            return st;
        }
        dir::DirState::Stale(h) => {
            st.state = "stale";
            st.strategy = Some(Strategy::Mkdir);
            st.path = paths.dir.clone();
            st.liveness = Some(Liveness::Dead);
            st.holder = Some(h);
            return st;
        }
        dir::DirState::Absent => {}
    }
    if flock_is_held(paths) {
        st.state = "held";
        st.strategy = Some(Strategy::Flock);
        st.holder = flock_holder(paths);
        st.liveness = st.holder.as_ref().map(Holder::liveness);
    }
    st
}

fn flock_is_held(paths: &LockPaths) -> bool {
    if holder::flock_holder_pid(&paths.file).is_some() {
        return true;
    }
    if Path::new("/proc/locks").exists() {
        return false;
    }
    let Ok(f) = File::open(&paths.file) else {
        return false;
    };
    match f.try_lock() {
        Ok(()) => {
            let _ = f.unlock();
            false
        }
        Err(_) => true,
    }
}

/// What `lore lock break` may do.
#[derive(Debug)]
pub enum BreakOutcome {
    Broken(Option<Holder>),
    NothingToBreak,
}

/// Breaks a lock directory whose holder is provably dead; with `force`, also one whose holder
/// cannot be told (no record, another host). A live holder is always refused, and a flock is
/// never "broken": the kernel frees it when its holder exits.
pub fn break_lock(paths: &LockPaths, force: bool) -> Result<BreakOutcome> {
    let st = status(paths);
    match (st.state, st.strategy) {
        ("free", _) => Ok(BreakOutcome::NothingToBreak),
        ("stale", _) => {
            let h = st.holder.expect("stale always has a holder");
            dir::break_stale(paths, &h)?;
            Ok(BreakOutcome::Broken(Some(h)))
        }
        (_, Some(Strategy::Flock)) => Err(LockError::FlockHeld {
            holder: st
                .holder
                .as_ref()
                .map(Holder::describe)
                .unwrap_or_else(|| "an unknown process".into()),
            pid: st
                .holder
                .as_ref()
                .map(|h| h.pid.to_string())
                .unwrap_or_else(|| "<pid>".into()),
        }),
        _ => match st.liveness {
            Some(Liveness::Alive) => Err(LockError::Alive {
                holder: st.holder.as_ref().map(Holder::describe).unwrap_or_default(),
            }),
            _ if force => {
                dir::force_break(paths)?;
                Ok(BreakOutcome::Broken(st.holder))
            }
            _ => Err(LockError::Unproven {
                dir: paths.dir.clone(),
                why: st
                    .holder
                    .as_ref()
                    .map(|h| format!("held by {}", h.describe()))
                    .or(st.note)
                    .unwrap_or_default(),
            }),
        },
    }
}
