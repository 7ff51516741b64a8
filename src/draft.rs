//! The compose form's draft, kept on disk while the user types so that nothing typed is ever
//! lost: not to a crash, a kill, a lock timeout or a failed save. It lives in the store's git
//! directory (`<git-dir>/lore/draft.json`): per store, never tracked, private (0600).

use std::fs::{self, DirBuilder, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::learning::Draft;
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct DraftFile {
    path: PathBuf,
}

impl DraftFile {
    pub fn for_store(store: &Store) -> DraftFile {
        DraftFile {
            path: store.git_dir().join("lore").join("draft.json"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the draft atomically (temporary file, then rename).
    pub fn save(&self, draft: &Draft) -> Result<()> {
        let dir = self.path.parent().expect("draft path has a parent");
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::io(dir, e))?;
        let tmp = dir.join(format!("draft.{}.tmp", std::process::id()));
        let json = serde_json::to_vec_pretty(draft).expect("a draft serialises");
        let written = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&json))
            .and_then(|()| fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(&self.path, e));
        }
        Ok(())
    }

    /// The saved draft, if there is one worth restoring. An unreadable file is kept aside
    /// (renamed `.bad`) rather than deleted, and reported as none.
    pub fn load(&self) -> Option<Draft> {
        let bytes = fs::read(&self.path).ok()?;
        match serde_json::from_slice::<Draft>(&bytes) {
            Ok(d) if d != Draft::default() => Some(d),
            Ok(_) => None,
            Err(_) => {
                let _ = fs::rename(&self.path, self.path.with_extension("json.bad"));
                None
            }
        }
    }

    /// Deletes the draft: only after a successful save, or when the user discards it.
    pub fn clear(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }
}
