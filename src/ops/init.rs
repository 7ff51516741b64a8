//! `lore init`: a new store, or an existing repository completed into one; and the default
//! store, made on first use.

use std::fs::{self, DirBuilder};
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::git;
use crate::index::Index;
use crate::lock::LockOptions;
use crate::store::{GITIGNORE, SETTINGS, SETTINGS_TEXT, Store};
use crate::write;

/// Creates a store in `root` (or completes one): git repository, `memory/failures/`, the
/// index, a `.gitignore` for the index and, in a new repository, the daily layout's settings
/// and a first commit of both.
pub fn init(root: &Path) -> Result<Store> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(root)
        .map_err(|e| Error::io(root, e))?;
    let repo = git::open_or_init(root)?;
    if repo.workdir().is_none() {
        // Nothing is written into it: a `memory/` folder inside a bare repository is junk.
        return Err(Error::BareRepository {
            path: root.to_path_buf(),
        });
    }
    let fresh = git::branch_tip(&repo, &git::head_branch(&repo)?)?.is_none();
    let settings = root.join(SETTINGS);
    if fresh && !settings.exists() {
        // Only a new repository gets the daily layout: one that already has history may be
        // record-failure.sh's, whose files stay where the script puts them.
        DirBuilder::new()
            .mode(0o700)
            .create(root.join("memory"))
            .or_else(|e| match e.kind() {
                ErrorKind::AlreadyExists => Ok(()),
                _ => Err(e),
            })
            .map_err(|e| Error::io(root.join("memory"), e))?;
        fs::write(&settings, SETTINGS_TEXT).map_err(|e| Error::io(&settings, e))?;
    }
    let store = Store::open(root)?;
    store.ensure_dirs()?;
    // A new repository's .gitignore keeps the index out of git (written before the index is
    // made, which otherwise keeps it out through .git/info/exclude).
    let gitignore = store.root().join(".gitignore");
    let mut text = fs::read_to_string(&gitignore).unwrap_or_default();
    if fresh && !text.contains("memory/index.db") {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(GITIGNORE);
        fs::write(&gitignore, &text).map_err(|e| Error::io(&gitignore, e))?;
    }
    let mut index = Index::open(&store)?;
    if fresh {
        // Nobody else can know of the store yet; the first commit is a write like any other.
        let opts = LockOptions {
            operation: "init".into(),
            ..LockOptions::default()
        };
        write::write(&store, &mut index, &opts, &mut |_| {}, |tx| {
            tx.track(".gitignore")?;
            if settings.exists() {
                tx.track(SETTINGS)?;
            }
            tx.commit("lore: new store");
            Ok(())
        })?;
    }
    // The rows follow HEAD from here on: a learning edited and committed by hand later is
    // taken in by the next read.
    index.follow_head(&store)?;
    Ok(store)
}

/// Opens the default store, creating it on first use.
pub fn open_default() -> Result<Store> {
    let root = Store::default_root().ok_or_else(|| Error::NotAStore {
        path: PathBuf::from("~"),
        reason: "no home directory to put the default store in; pass --store DIR".into(),
    })?;
    match Store::open(&root) {
        Ok(s) if s.index_path().exists() => Ok(s),
        _ => init(&root),
    }
}
