//! The compose form's drafts, kept on disk while the user types so that nothing typed is ever
//! lost: not to a crash, a kill, a lock timeout, a failed save, nor a second browser open on
//! the same store.
//!
//! Each form writes its own file, `<git-dir>/lore/drafts/<tag>-<n>.json` (per store, never
//! tracked, private), where the tag names the process that owns it (see
//! [`crate::leftovers`]). A draft is *kept* — offered to restore — when no running lore is
//! editing it: its process died, or closed the form keeping it. A draft being edited in
//! another running browser is never offered here, so two browsers never write one file.
//! Restoring copies a kept draft under a new name of this process's before the old file goes,
//! so a draft is never in no file at all. A draft goes only when its learning is saved or when
//! the user deletes it and confirms. The single `draft.json` of earlier versions is offered
//! like the others.

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::learning::Draft;
use crate::leftovers::Creator;
use crate::lock::{self, Liveness};
use crate::store::Store;

/// Where a store's drafts are.
#[derive(Debug, Clone)]
pub struct Drafts {
    dir: PathBuf,
    /// The one draft file of earlier versions.
    legacy: PathBuf,
}

/// A draft's name: its file's stem.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DraftId(String);

/// The stem the single draft file of earlier versions is known by.
const LEGACY: &str = "draft";

impl DraftId {
    /// A new name of this process's.
    pub fn new() -> DraftId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        DraftId(format!(
            "{}-{}-{}",
            lock::creator_tag(),
            lock::now_ms(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }

    /// The process that owns it, from its name.
    fn owner(&self) -> Option<Creator> {
        Creator::at_start_of(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for DraftId {
    fn default() -> Self {
        DraftId::new()
    }
}

/// A draft no running lore is editing, as found on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub id: DraftId,
    pub draft: Draft,
    /// When it was last written.
    pub written: Option<SystemTime>,
}

impl Drafts {
    pub fn for_store(store: &Store) -> Drafts {
        Drafts::in_git_dir(store.git_dir())
    }

    pub fn in_git_dir(git_dir: &Path) -> Drafts {
        let lore = git_dir.join("lore");
        Drafts {
            dir: lore.join("drafts"),
            legacy: lore.join("draft.json"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &DraftId) -> PathBuf {
        if id.0 == LEGACY {
            self.legacy.clone()
        } else {
            self.dir.join(format!("{}.json", id.0))
        }
    }

    /// Writes draft `id` atomically (a temporary file named with this process's tag, then a
    /// rename over the old version).
    pub fn save(&self, id: &DraftId, draft: &Draft) -> Result<()> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
            .map_err(|e| Error::io(&self.dir, e))?;
        let path = self.path(id);
        let tmp = self.dir.join(format!(".write-{}", DraftId::new().0));
        let json = serde_json::to_vec_pretty(draft).expect("a draft serialises");
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&json))
            .and_then(|()| fs::rename(&tmp, &path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(&path, e));
        }
        Ok(())
    }

    /// Deletes draft `id`: only once its learning is saved, or when the user confirmed.
    pub fn discard(&self, id: &DraftId) -> Result<()> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// The drafts worth offering, newest first: every draft with something in it that no
    /// running lore is editing, except those in `in_use` (this process's open form). An
    /// unreadable file is kept aside (renamed `.bad`) rather than deleted, and not offered.
    pub fn kept(&self, in_use: &[DraftId]) -> Vec<Kept> {
        let mut found: Vec<(DraftId, PathBuf)> = Vec::new();
        if let Ok(entries) = fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                let name = e.file_name();
                let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                    continue;
                };
                if stem.starts_with('.') {
                    continue;
                }
                let id = DraftId(stem.to_string());
                // Another browser's open form is not ours to offer.
                let elsewhere = id.owner().is_some_and(|c| {
                    c.pid != std::process::id() && c.liveness() == Liveness::Alive
                });
                if !elsewhere {
                    found.push((id, e.path()));
                }
            }
        }
        if self.legacy.is_file() {
            found.push((DraftId(LEGACY.into()), self.legacy.clone()));
        }
        let mut out: Vec<Kept> = found
            .into_iter()
            .filter(|(id, _)| !in_use.contains(id))
            .filter_map(|(id, path)| {
                let bytes = fs::read(&path).ok()?;
                match serde_json::from_slice::<Draft>(&bytes) {
                    Ok(d) if d != Draft::default() => Some(Kept {
                        id,
                        draft: d,
                        written: fs::metadata(&path).and_then(|m| m.modified()).ok(),
                    }),
                    Ok(_) => None,
                    Err(_) => {
                        let _ = fs::rename(&path, path.with_extension("json.bad"));
                        None
                    }
                }
            })
            .collect();
        out.sort_by_key(|k| std::cmp::Reverse(k.written));
        out
    }
}
