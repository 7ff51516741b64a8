//! A store: a git work tree holding `memory/failures/*.md` and the index `memory/index.db`.

use std::fs::{self, DirBuilder};
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use git2::Repository;

use crate::error::{Error, Result};
use crate::lock::LockPaths;

pub const INDEX_DB: &str = "memory/index.db";

/// Lines lore keeps in a new store's `.gitignore`: the index is derived data, and a binary file
/// that many writers change must never be committed (that is what broke the script).
pub const GITIGNORE: &str = "\
# lore: the index is rebuilt from the markdown; never commit it
memory/index.db
memory/index.db-wal
memory/index.db-shm
memory/index.db-journal
# lore's temporary files while a save is in flight
memory/**/.lore-*.tmp
# record-failure.sh's logs
logs/
";

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    git_dir: PathBuf,
}

impl Store {
    /// Opens the store whose work tree is exactly `root` (no search upwards, so a store inside
    /// another repository is never confused with it).
    pub fn open(root: &Path) -> Result<Store> {
        let not_a_store = |reason: String| Error::NotAStore {
            path: root.to_path_buf(),
            reason,
        };
        match fs::metadata(root) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(not_a_store("not a directory".into())),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(not_a_store("no such directory".into()));
            }
            Err(e) => return Err(Error::io(root, e)),
        }
        let repo =
            crate::gitops::open(root).map_err(|_| not_a_store("not a git work tree".into()))?;
        let Some(workdir) = repo.workdir() else {
            return Err(not_a_store("a bare repository has no work tree".into()));
        };
        Ok(Store {
            root: canonical(workdir),
            git_dir: canonical(repo.path()),
        })
    }

    /// Creates a store in `root` (or completes one): git repository, `memory/failures/`, the
    /// index schema, a `.gitignore` for the index, and a first commit in a new repository.
    pub fn init(root: &Path) -> Result<Store> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(root)
            .map_err(|e| Error::io(root, e))?;
        let repo = match crate::gitops::open(root) {
            Ok(r) => r,
            Err(_) => {
                let mut opts = git2::RepositoryInitOptions::new();
                opts.initial_head("main");
                Repository::init_opts(root, &opts)?
            }
        };
        let store = Store::open(root)?;
        store.ensure_dirs()?;
        crate::index::Index::open(&store)?;
        if crate::gitops::branch_tip(&repo, &crate::gitops::head_branch(&repo)?)?.is_none() {
            let gitignore = store.root.join(".gitignore");
            let mut text = fs::read_to_string(&gitignore).unwrap_or_default();
            if !text.contains("memory/index.db") {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(GITIGNORE);
                fs::write(&gitignore, &text).map_err(|e| Error::io(&gitignore, e))?;
            }
            crate::gitops::commit_file(&repo, ".gitignore", text.as_bytes(), "lore: new store")?;
            let blob = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())?;
            crate::gitops::stage_path(&repo, ".gitignore", blob, &gitignore)?;
        }
        Ok(store)
    }

    /// The platform data directory (`~/.local/share/lore` on Linux).
    pub fn default_root() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "lore").map(|d| d.data_dir().to_path_buf())
    }

    /// Opens the default store, creating it on first use.
    pub fn open_default() -> Result<Store> {
        let root = Store::default_root().ok_or_else(|| Error::NotAStore {
            path: PathBuf::from("~"),
            reason: "no home directory to put the default store in; pass --store DIR".into(),
        })?;
        match Store::open(&root) {
            Ok(s) if s.index_path().exists() => Ok(s),
            _ => Store::init(&root),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    pub fn index_path(&self) -> PathBuf {
        self.root.join(INDEX_DB)
    }

    pub fn lock_paths(&self) -> LockPaths {
        LockPaths::new(&self.git_dir)
    }

    pub fn repo(&self) -> Result<Repository> {
        crate::gitops::open(&self.root)
    }

    /// Creates `memory/` and `memory/<sub>/` as needed (mode 0700), refusing symbolic links:
    /// a link there could make lore write outside the store.
    pub fn ensure_dir(&self, sub: &str) -> Result<PathBuf> {
        let memory = self.root.join("memory");
        let dir = memory.join(sub);
        for d in [&memory, &dir] {
            match fs::symlink_metadata(d) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(Error::Symlink { path: d.clone() });
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(Error::io(
                        d,
                        std::io::Error::new(
                            ErrorKind::AlreadyExists,
                            "exists and is not a directory",
                        ),
                    ));
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    match DirBuilder::new().mode(0o700).create(d) {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(Error::io(d, e)),
                    }
                }
                Err(e) => return Err(Error::io(d, e)),
            }
        }
        Ok(dir)
    }

    fn ensure_dirs(&self) -> Result<()> {
        self.ensure_dir("failures").map(|_| ())
    }
}

fn canonical(p: &Path) -> PathBuf {
    fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
