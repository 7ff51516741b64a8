//! The record queue: writers waiting for the store lock hand their record to its holder,
//! which saves up to [`CAP`] of them in its own write, each still one commit holding exactly
//! its file (BENCHMARKS.md, round 6, has the figures that made this worth it).
//!
//! Everything is a file in `<git-dir>/lore/queue/`, named by its creator's tag (see
//! [`crate::leftovers`]), so that no state lives only in a process that can die:
//!
//! ```text
//! waiter:  ask-<w>.json                    its record, written once the lock is found busy
//! holder:  ask-<w>  → claimed-<w>          claimed by a rename: the waiter can no longer withdraw
//!          batch-<h>-<n>.json              each claimed record's path and blob, before landing
//!          answer-<w>.json, claimed-<w> ✗  each writer's own result, before the lock is released
//!          claimed-<w> → alone-<w>         put back instead, when the write was undone: its
//!                                          own writer saves it (it may be why it failed)
//! anyone:  verdict-<h>.json                whether a dead holder's write had landed
//! ```
//!
//! A waiter that gets the lock itself looks at its own files first: an answer is its result;
//! a request still waiting is withdrawn and saved by this write (with others' queued ones);
//! a claim without an answer means the holder died (it answers or puts back before it
//! releases): the dead write's journal is taken back or finished, and the batch file tells
//! whether the record landed — if it did, that commit is the answer, if not, the waiter saves
//! it now. Whoever judges the dead write first (a writer, or `doctor --fix`) notes the verdict
//! (in the batch file, and `verdict-<h>.json`), so that the others do not judge by a file
//! someone saved since at the same path, byte for byte the same. A request whose writer died
//! before any holder claimed it is dropped unsaved, as a killed `lore record` that never got
//! the lock saves nothing.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::git::Oid;
use crate::learning::{Draft, Learning};
use crate::leftovers::{self, Creator};
use crate::lock::{self, Liveness};
use crate::store::Store;

/// The most records one write saves: the holder's own and up to `CAP - 1` queued ones. More
/// make a convoy: the writers served all come back at once, to a lock held twice as long.
pub const CAP: usize = 8;

/// How long a writer waits for a holder that left its record unanswered to be proven dead.
const DEATH_PATIENCE: Duration = Duration::from_secs(2);

const ASK: &str = "ask-";
const CLAIMED: &str = "claimed-";
const ANSWER: &str = "answer-";
/// Put back by a holder whose write failed: no holder claims it again (it may be why the
/// write failed, a hook refusing its commit, say); its own writer saves it.
const ALONE: &str = "alone-";
const BATCH: &str = "batch-";
const SUFFIX: &str = ".json";

/// A store's queue directory.
#[derive(Debug, Clone)]
pub struct Queue {
    dir: PathBuf,
}

/// A queued record, as its writer wrote it.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    /// The work tree it is for: two work trees can share one git dir.
    root: PathBuf,
    draft: Draft,
    /// Whether git's hooks judge its commit: only a holder that runs them the same way takes it.
    verify: bool,
    /// When its writer began to wait, in ms since the epoch (for its `lock_events` row).
    asked_ms: u64,
}

/// What the holder tells a writer whose record it saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// The record's row as the holder inserted it, so that the writer need not open the index.
    #[serde(default)]
    pub row: Option<crate::index::Row>,
    pub path: String,
    pub commit: String,
    pub warnings: Vec<String>,
}

/// What a holder about to land a batch writes down, for a writer to find if the holder dies.
#[derive(Debug, Serialize, Deserialize)]
struct Batch {
    /// Whether the write landed, once someone judged it: the first writer to find the holder
    /// dead, or the holder itself when its write was undone.
    #[serde(default)]
    landed: Option<bool>,
    records: Vec<Planned>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Planned {
    tag: String,
    path: String,
    blob: String,
}

/// Where a holder that did not answer meant to put a writer's record, from its batch file.
#[derive(Debug, Clone)]
pub struct Landing {
    pub path: String,
    pub blob: Oid,
    /// Whether its write landed, if that was judged already.
    pub landed: Option<bool>,
    /// The holder's tag.
    holder: String,
    batch: PathBuf,
}

impl Landing {
    /// Waits (at most [`DEATH_PATIENCE`]) until the holder can be proven dead, if its write's
    /// journal is still there: a holder that released the lock with its journal kept died,
    /// but for a moment after the kernel freed its lock it may still look alive, and a journal
    /// is taken back only once its writer is proven gone.
    pub fn await_holder_gone(&self, git_dir: &Path) {
        let journal = git_dir
            .join("lore")
            .join(format!("journal-{}.json", self.holder));
        let Some(holder) = Creator::at_start_of(&self.holder) else {
            return;
        };
        let until = std::time::Instant::now() + DEATH_PATIENCE;
        while journal.exists()
            && holder.liveness() != Liveness::Dead
            && std::time::Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Whether `journal` is the holder's.
    pub fn is_holders(&self, journal: &Path) -> bool {
        journal
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n == format!("journal-{}.json", self.holder))
    }

    /// Notes in the batch file whether the holder's write landed, for the batch's other
    /// writers (best effort: without it they judge by HEAD).
    pub fn judged(&self, landed: bool) {
        judge(&self.batch, landed);
    }
}

fn judge(batch: &Path, landed: bool) {
    let Some(mut b) = fs::read(batch)
        .ok()
        .and_then(|b| serde_json::from_slice::<Batch>(&b).ok())
    else {
        return;
    };
    b.landed = Some(landed);
    if let (Ok(bytes), Some(dir)) = (serde_json::to_vec(&b), batch.parent()) {
        let _ = (Queue {
            dir: dir.to_path_buf(),
        })
        .put(batch, &bytes);
    }
}

impl Queue {
    pub fn of(store: &Store) -> Queue {
        Queue {
            dir: store.git_dir().join("lore").join("queue"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, state: &str, tag: &str) -> PathBuf {
        self.dir.join(format!("{state}{tag}{SUFFIX}"))
    }

    /// This process's place in the queue (nothing is written until [`Ask::send`]).
    pub fn ask(&self) -> Ask<'_> {
        Ask {
            queue: self,
            tag: leftovers::tag().to_string(),
        }
    }

    /// Writes `bytes` to `dest` whole or not at all: a temporary file renamed over it.
    fn put(&self, dest: &Path, bytes: &[u8]) -> io::Result<()> {
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned());
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}",
            leftovers::tag(),
            name.unwrap_or_default()
        ));
        // Owner-only, as the learning's own file: a queued record is the user's text.
        let written = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(bytes))
            .and_then(|()| fs::rename(&tmp, dest));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }

    /// Claims up to `n` queued records for a holder whose commits run git's hooks as `verify`
    /// says, oldest first; each claimed one is this holder's to answer or to put back. A
    /// request whose writer died is removed unsaved; one that does not read as a valid record
    /// (another version of lore) is left for its writer to save itself.
    pub fn claim(&self, root: &Path, verify: bool, n: usize) -> Vec<Claim> {
        if n == 0 {
            return Vec::new();
        }
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut waiting: Vec<(u64, String, Request)> = Vec::new();
        let mut verdicts = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            let Some(tag) = name.strip_prefix(ASK).and_then(|n| n.strip_suffix(SUFFIX)) else {
                // Verdicts last: one is kept while its batch file is, which this may remove.
                if name.starts_with(crate::write::VERDICT_PREFIX) {
                    verdicts.push((name.to_string(), e.path()));
                } else {
                    self.tidy(name, &e.path());
                }
                continue;
            };
            let Some(creator) = Creator::at_start_of(tag) else {
                continue;
            };
            if creator.liveness() == Liveness::Dead {
                let _ = fs::remove_file(e.path());
                continue;
            }
            let Some(request) = fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Request>(&b).ok())
            else {
                continue;
            };
            if request.verify == verify && request.root == root {
                waiting.push((request.asked_ms, tag.to_string(), request));
            }
        }
        for (name, path) in verdicts {
            self.tidy(&name, &path);
        }
        waiting.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut claims = Vec::new();
        for (_, tag, request) in waiting {
            if claims.len() == n {
                break;
            }
            let Ok(learning) = request.draft.validate() else {
                continue;
            };
            let claimed = self.file(CLAIMED, &tag);
            // The writer may have withdrawn it meanwhile (it got the lock, or gave up).
            if fs::rename(self.file(ASK, &tag), &claimed).is_err() {
                continue;
            }
            claims.push(Claim {
                pid: Creator::at_start_of(&tag).map(|c| c.pid).unwrap_or(0),
                tag,
                learning,
                asked_ms: request.asked_ms,
                claimed,
                queue: self.clone(),
            });
        }
        if !claims.is_empty() {
            log::debug!("claimed {} queued records", claims.len());
        }
        claims
    }

    /// Removes the queue's file `name` if the process it was for is gone and nobody can need
    /// it: an answer or a claim whose writer died, a file half written by a dead process, or
    /// the batch file of a dead holder once no record it names is still claimed. Called under
    /// the lock, so a claim without an answer is never a live holder's work in progress.
    fn tidy(&self, name: &str, path: &Path) {
        let dead =
            |tag: &str| Creator::at_start_of(tag).is_some_and(|c| c.liveness() == Liveness::Dead);
        let gone = if let Some(tag) = name
            .strip_prefix(ANSWER)
            .or_else(|| name.strip_prefix(CLAIMED))
            .or_else(|| name.strip_prefix(ALONE))
        {
            dead(tag)
        } else if let Some(tag) = name.strip_prefix(".tmp-") {
            dead(tag)
        } else if let Some(tag) = name
            .strip_prefix(crate::write::VERDICT_PREFIX)
            .and_then(|n| n.strip_suffix(SUFFIX))
        {
            // Kept while its holder's batch file is.
            dead(tag) && !self.has_batch_of(tag)
        } else if let Some(tag) = name.strip_prefix(BATCH) {
            dead(tag)
                && fs::read(path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Batch>(&b).ok())
                    .is_none_or(|b| {
                        !b.records
                            .iter()
                            .any(|l| self.file(CLAIMED, &l.tag).exists())
                    })
        } else {
            false
        };
        if gone {
            log::debug!("removing {name} from the record queue: its process is gone");
            let _ = fs::remove_file(path);
        }
    }

    fn has_batch_of(&self, tag: &str) -> bool {
        let prefix = format!("{BATCH}{tag}-");
        fs::read_dir(&self.dir).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        })
    }

    /// Writes down where each claimed record goes (`(claim, path, blob)`), before the batch
    /// lands: a writer whose holder died reads it to learn whether its record landed.
    pub fn note_batch(&self, landings: &[(&Claim, &str, Oid)]) -> io::Result<PathBuf> {
        let batch = Batch {
            landed: None,
            records: landings
                .iter()
                .map(|(c, path, blob)| Planned {
                    tag: c.tag.clone(),
                    path: path.to_string(),
                    blob: blob.to_string(),
                })
                .collect(),
        };
        // A name a write: a long-lived holder's earlier batch may still be needed.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dest = self.file(BATCH, &format!("{}-{n}", leftovers::tag()));
        let bytes = serde_json::to_vec(&batch).map_err(io::Error::other)?;
        self.put(&dest, &bytes)?;
        Ok(dest)
    }

    /// Where a holder that did not answer meant to put `tag`'s record, from its batch file;
    /// a dead holder's batch file goes once no record it names is still claimed.
    fn landing_of(&self, tag: &str) -> Option<Landing> {
        let entries = fs::read_dir(&self.dir).ok()?;
        let mut found = None;
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(rest) = name
                .to_str()
                .and_then(|n| n.strip_prefix(BATCH)?.strip_suffix(SUFFIX))
            else {
                continue;
            };
            let holder = rest.rsplit_once('-').map_or(rest, |(h, _)| h).to_string();
            let Some(batch) = fs::read(e.path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Batch>(&b).ok())
            else {
                continue;
            };
            if let Some(l) = batch.records.iter().find(|l| l.tag == tag)
                && let Ok(blob) = Oid::from_str(&l.blob)
            {
                found = Some(Landing {
                    path: l.path.clone(),
                    blob,
                    landed: batch
                        .landed
                        .or_else(|| crate::write::verdict_of(&self.dir, &holder)),
                    holder: holder.clone(),
                    batch: e.path(),
                });
            }
            let holder_dead =
                Creator::at_start_of(&holder).is_some_and(|c| c.liveness() == Liveness::Dead);
            let still_claimed = batch
                .records
                .iter()
                .any(|l| l.tag != tag && self.file(CLAIMED, &l.tag).exists());
            if holder_dead && !still_claimed {
                let _ = fs::remove_file(e.path());
            }
        }
        found
    }
}

/// One writer's place in the queue.
#[derive(Debug)]
pub struct Ask<'q> {
    queue: &'q Queue,
    tag: String,
}

/// Where a queued record stands, as its writer finds it holding the lock.
#[derive(Debug)]
pub enum Standing {
    /// Saved by a holder, which answered.
    Answered(Box<Answer>),
    /// Never claimed (or put back), now withdrawn: this writer saves it.
    Withdrawn,
    /// Claimed by a holder that released the lock without answering (it died): the batch file
    /// says where it was to go, if it got that far.
    Orphaned(Option<Landing>),
}

impl Ask<'_> {
    /// The file whose appearance means this writer's record was saved.
    pub fn answer_path(&self) -> PathBuf {
        self.queue.file(ANSWER, &self.tag)
    }

    /// Queues `draft` for the lock's holder to save.
    pub fn send(&self, root: &Path, draft: &Draft, verify: bool) -> io::Result<()> {
        if !self.queue.dir.is_dir() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.queue.dir)?;
        }
        let request = Request {
            root: root.to_path_buf(),
            draft: draft.clone(),
            verify,
            asked_ms: lock::now_ms(),
        };
        let bytes = serde_json::to_vec(&request).map_err(io::Error::other)?;
        self.queue.put(&self.queue.file(ASK, &self.tag), &bytes)
    }

    /// The answer, if there is one, taken out of the queue.
    pub fn take_answer(&self) -> Option<Answer> {
        let path = self.answer_path();
        let answer = serde_json::from_slice::<Answer>(&fs::read(&path).ok()?).ok()?;
        let _ = fs::remove_file(&path);
        let _ = fs::remove_file(self.queue.file(CLAIMED, &self.tag));
        Some(answer)
    }

    /// Where the record stands, looked at by its writer holding the lock (so no holder is
    /// between claiming and answering it).
    pub fn standing(&self) -> Standing {
        if let Some(a) = self.take_answer() {
            return Standing::Answered(Box::new(a));
        }
        if self.take_back() {
            return Standing::Withdrawn;
        }
        let claimed = self.queue.file(CLAIMED, &self.tag);
        if !claimed.exists() {
            // Neither asked, claimed nor answered: it was never sent.
            return Standing::Withdrawn;
        }
        let landing = self.queue.landing_of(&self.tag);
        let _ = fs::remove_file(claimed);
        Standing::Orphaned(landing)
    }

    /// Takes the request back when this writer gives up waiting; `false` when a holder has
    /// claimed it already (it is being saved: the writer waits for the answer instead).
    pub fn withdraw(&self) -> bool {
        if self.take_back() {
            return true;
        }
        // A holder has it, or answered (the answer is written before the claim goes), or put
        // it back between these looks.
        if self.queue.file(CLAIMED, &self.tag).exists() || self.answer_path().exists() {
            return false;
        }
        self.take_back() || !self.answer_path().exists()
    }

    /// Removes the request if no holder has it: waiting, or put back for this writer.
    fn take_back(&self) -> bool {
        [ASK, ALONE]
            .iter()
            .any(|state| fs::remove_file(self.queue.file(state, &self.tag)).is_ok())
    }
}

/// A queued record this holder claimed: it saves it, then answers its writer, or puts it back.
#[derive(Debug)]
pub struct Claim {
    tag: String,
    /// The writer's pid, for its `lock_events` row.
    pub pid: u32,
    pub learning: Learning,
    asked_ms: u64,
    claimed: PathBuf,
    queue: Queue,
}

impl Claim {
    /// How long its writer has waited, up to now.
    pub fn waited(&self) -> Duration {
        Duration::from_millis(lock::now_ms().saturating_sub(self.asked_ms))
    }

    /// Tells the writer its record is saved, where, and in which commit.
    pub fn answer(&self, answer: &Answer) -> io::Result<()> {
        let bytes = serde_json::to_vec(answer).map_err(io::Error::other)?;
        self.queue
            .put(&self.queue.file(ANSWER, &self.tag), &bytes)?;
        let _ = fs::remove_file(&self.claimed);
        Ok(())
    }

    /// Gives the record back unsaved, for its own writer to save (see [`ALONE`]).
    pub fn put_back(&self, batch: Option<&Path>) -> io::Result<()> {
        if let Some(b) = batch {
            judge(b, false);
        }
        fs::rename(&self.claimed, self.queue.file(ALONE, &self.tag))
    }
}
