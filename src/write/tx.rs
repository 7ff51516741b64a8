//! The body's handle on the store during a write: every file change it makes goes through
//! here, into the undo log (and the journal, when there is one).

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::files::write_new;
use super::journal::{FileUndo, Journal, Landed, journal_path, save_journal};
use super::{Plan, Progress, PutInPlace};
use crate::error::{Error, Result, Step};
use crate::fault;
use crate::git::{Oid, Repo, StagedUndo};
use crate::index::{Conn, Index};
use crate::lock;
use crate::store::Store;

/// The body's handle on the store during a write.
pub struct Tx<'w> {
    pub(super) store: &'w Store,
    pub(super) repo: &'w Repo,
    /// `None` for a reindex, which writes the index file itself.
    pub(super) index: Option<&'w mut Index>,
    pub(super) progress: &'w mut dyn FnMut(Progress),
    pub(super) rows_begun: bool,
    pub(super) files: Vec<FileUndo>,
    /// What git's index (and the commit's tree) gets: each path's blob, or `None` to remove it.
    pub(super) staged: Vec<(String, Option<Oid>)>,
    pub(super) plan: Plan,
    /// Where the journal is kept, once one is (see [`Tx::single_new_file`]).
    pub(super) journal: Option<PathBuf>,
    pub(super) journal_off: bool,
    pub(super) operation: String,
    /// The commit HEAD was at when the write began.
    pub(super) started: Option<Oid>,
    /// Whether git's hooks judge the commit (see [`crate::lock::LockOptions::verify`]).
    pub(super) verify: bool,
}

impl<'w> Tx<'w> {
    pub fn store(&self) -> &'w Store {
        self.store
    }

    pub fn repo(&self) -> &'w Repo {
        self.repo
    }

    /// The index, for reading (its writes go through [`Tx::rows`]).
    pub fn index(&self) -> &Index {
        self.index
            .as_deref()
            .expect("a write with rows has an index")
    }

    /// The index's connection, inside this write's transaction (begun at the first call).
    pub fn rows(&mut self) -> Result<&Conn> {
        let index = self
            .index
            .as_deref_mut()
            .expect("a write with rows has an index");
        if !self.rows_begun {
            index.begin_write().map_err(|e| e.at(Step::InsertRow))?;
            self.rows_begun = true;
        }
        Ok(index.connection())
    }

    /// Ends the rows' transaction: committed, or rolled back (`keep` false).
    pub(super) fn end_rows(&mut self, keep: bool) -> Result<()> {
        if !std::mem::take(&mut self.rows_begun) {
            return Ok(());
        }
        let index = self.index.as_deref_mut().expect("rows begun");
        if keep {
            index.commit_write()
        } else {
            index.rollback_write();
            Ok(())
        }
    }

    pub fn progress(&mut self, p: Progress) {
        (self.progress)(p)
    }

    /// How a commit made by the body (sync's merge) is made: with the write's hooks, each
    /// told as progress.
    pub fn verify(&self) -> bool {
        self.verify
    }

    /// Says that this write makes one new file and nothing else, so it keeps no journal: a
    /// crash leaves that file uncommitted, which `doctor --fix` commits (the write is whole).
    pub fn single_new_file(&mut self) {
        self.journal_off = true;
    }

    /// Writes the journal as things stand, with `next` (the change about to be made), before
    /// that change is made.
    pub(super) fn note(&mut self, next: Option<&FileUndo>) -> Result<()> {
        self.note_all(next, None, None)
    }

    pub(super) fn note_all(
        &mut self,
        next: Option<&FileUndo>,
        staged: Option<&StagedUndo>,
        landing: Option<Landed>,
    ) -> Result<()> {
        if self.journal_off {
            return Ok(());
        }
        let path = match &self.journal {
            Some(p) => p.clone(),
            None => {
                let p = journal_path(self.store);
                self.journal = Some(p.clone());
                p
            }
        };
        let mut files = self.files.clone();
        files.extend(next.cloned());
        let journal = Journal {
            operation: self.operation.clone(),
            head: self.started.map(|h| h.to_string()),
            files,
            staged: staged.cloned(),
            landing,
        };
        save_journal(&path, &journal).map_err(|e| e.at(Step::WriteFile))
    }

    /// Records, before the write lands, how it would: so that a writer that died just after
    /// can be told to have landed.
    pub(super) fn note_landing(&mut self, staged: Option<&StagedUndo>) -> Result<()> {
        if self.journal.is_none() {
            return Ok(());
        }
        let landing = match &self.plan {
            Plan::OnHead { .. } | Plan::Chain { .. } => Some(Landed::Commit(
                self.staged
                    .iter()
                    .map(|(p, b)| (p.clone(), b.map(|b| b.to_string())))
                    .collect(),
            )),
            Plan::MoveTo { commit, .. } => Some(Landed::Move(commit.to_string())),
            Plan::Stay | Plan::Install(_) => None,
        };
        self.note_all(None, staged, landing)
    }

    pub(super) fn abs(&self, rel: &str) -> Result<PathBuf> {
        crate::index::resolve_inside(self.store.root(), rel)
            .ok_or_else(|| Error::invalid("path", format!("{rel} is outside the store")))
    }

    /// Writes `bytes` under the first free name that `name(1)`, `name(2)`, … gives in folder
    /// `dir` (relative to the work tree; it must exist), never replacing anything: the text
    /// goes to a temporary file that is hard-linked to each candidate in turn (a link fails if
    /// the name exists, even if another program made it a moment ago). `taken` skips names
    /// known to be in use elsewhere (HEAD, the index). Returns the path chosen, or `None` when
    /// all `max` names are taken. The file is staged for the commit.
    pub fn create_unique(
        &mut self,
        dir: &str,
        bytes: &[u8],
        max: u32,
        name: &dyn Fn(u32) -> String,
        taken: &dyn Fn(&Tx<'_>, &str) -> Result<bool>,
    ) -> Result<Option<String>> {
        let abs_dir = self.abs(dir)?;
        let tmp = abs_dir.join(format!(
            ".lore-{}-{}.tmp",
            lock::creator_tag(),
            lock::now_ms()
        ));
        write_new(&tmp, bytes).map_err(|e| Error::io(&tmp, e).at(Step::WriteFile))?;
        let chosen = (|| {
            for n in 1..=max {
                let rel = format!("{dir}/{}", name(n));
                let abs = abs_dir.join(name(n));
                if fs::symlink_metadata(&abs).is_ok() || taken(self, &rel)? {
                    continue;
                }
                // In the journal before it exists: a crash just after is taken back.
                self.note(Some(&FileUndo::Created(abs.clone())))?;
                match fs::hard_link(&tmp, &abs) {
                    Ok(()) => return Ok(Some((rel, abs))),
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(Error::io(&abs, e).at(Step::WriteFile)),
                }
            }
            Ok(None)
        })();
        let _ = fs::remove_file(&tmp);
        let Some((rel, abs)) = chosen.map_err(|e| e.at(Step::ChoosePath))? else {
            return Ok(None);
        };
        self.files.push(FileUndo::Created(abs));
        let blob = self.blob(bytes)?;
        self.staged.push((rel.clone(), Some(blob)));
        self.progress(Progress::Writing { path: rel.clone() });
        fault::point("after-write").map_err(|e| e.at(Step::WriteFile))?;
        Ok(Some(rel))
    }

    /// Writes `bytes` at `rel`, replacing what is there (whose earlier version is kept beside
    /// it until the write ends), and stages it.
    pub fn replace(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.put_back(rel, bytes)?;
        let blob = self.blob(bytes)?;
        self.staged.push((rel.to_string(), Some(blob)));
        Ok(())
    }

    /// [`Tx::replace`] without staging: for a file put back as git's index already lists it.
    pub fn put_back(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let abs = self.abs(rel)?;
        if let Some(dir) = abs.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e).at(Step::WriteFile))?;
        }
        let exists = fs::symlink_metadata(&abs).is_ok();
        self.note(Some(&if exists {
            FileUndo::Kept {
                path: abs.clone(),
                copy: crate::leftovers::undo_copy_path(&abs),
            }
        } else {
            FileUndo::Created(abs.clone())
        }))?;
        let kept = self.keep_aside(&abs, false)?;
        // In the undo log before the file changes: a failed write is taken back too.
        self.files.push(match kept {
            Some(copy) => FileUndo::Kept {
                path: abs.clone(),
                copy,
            },
            None => FileUndo::Created(abs.clone()),
        });
        let tmp = crate::leftovers::write_temp_name(&abs);
        let _ = fs::remove_file(&tmp);
        let written = write_new(&tmp, bytes).and_then(|()| fs::rename(&tmp, &abs));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(Error::io(&abs, e).at(Step::WriteFile));
        }
        fault::point("after-write").map_err(|e| e.at(Step::WriteFile))?;
        Ok(())
    }

    /// Removes `rel` from the work tree (kept aside until the write ends) and from git.
    pub fn delete(&mut self, rel: &str) -> Result<()> {
        let abs = self.abs(rel)?;
        self.note(Some(&FileUndo::Kept {
            path: abs.clone(),
            copy: crate::leftovers::undo_copy_path(&abs),
        }))?;
        if let Some(copy) = self.keep_aside(&abs, true)? {
            self.files.push(FileUndo::Kept { path: abs, copy });
        }
        self.staged.push((rel.to_string(), None));
        Ok(())
    }

    /// Moves whatever is at `rel` — a file or a symbolic link, never what a link points at —
    /// out of the work tree until the write ends, without staging anything: the caller puts
    /// something else there, or stages the removal.
    pub fn clear(&mut self, rel: &str) -> Result<()> {
        let abs = self.abs(rel)?;
        self.note(Some(&FileUndo::Kept {
            path: abs.clone(),
            copy: crate::leftovers::undo_copy_path(&abs),
        }))?;
        if let Some(copy) = self.keep_aside_as(&abs, true, true)? {
            self.files.push(FileUndo::Kept { path: abs, copy });
        }
        Ok(())
    }

    /// Makes `rel` a symbolic link to `target` and stages it as `blob`: what git checks out
    /// for a link entry (sync's, for a link that arrived in the remote's commit). The place
    /// must be free ([`Tx::clear`]). A link is never a learning and never written through.
    pub fn link(&mut self, rel: &str, target: &[u8], blob: Oid) -> Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let abs = self.abs(rel)?;
        if let Some(dir) = abs.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io(dir, e).at(Step::WriteFile))?;
        }
        self.note(Some(&FileUndo::Created(abs.clone())))?;
        self.files.push(FileUndo::Created(abs.clone()));
        std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(target), &abs)
            .map_err(|e| Error::io(&abs, e).at(Step::WriteFile))?;
        fault::point("after-write").map_err(|e| e.at(Step::WriteFile))?;
        self.staged.push((rel.to_string(), Some(blob)));
        Ok(())
    }

    /// Takes the file at `rel` into git as it is on disk (an edit, a file never committed);
    /// returns its blob.
    pub fn track(&mut self, rel: &str) -> Result<Oid> {
        let abs = self.abs(rel)?;
        let bytes = fs::read(&abs).map_err(|e| Error::io(&abs, e))?;
        // Committed as git would commit it: after its end-of-line conversion.
        let committed = if crate::git::filters::has_crlf(&bytes) {
            crate::git::head_tree(self.repo)?
                .and_then(|t| t.blob_at(rel))
                .map(|b| self.repo.blob(b))
                .transpose()?
        } else {
            None
        };
        let bytes = crate::git::filters::cleaned(self.repo, rel, &bytes, committed.as_deref());
        let blob = self.blob(&bytes)?;
        self.staged.push((rel.to_string(), Some(blob)));
        Ok(blob)
    }

    /// Stages `rel` as `blob` (which the repository holds) without touching the file: git's
    /// index made to say what HEAD says.
    pub fn stage(&mut self, rel: &str, blob: Oid) {
        self.staged.push((rel.to_string(), Some(blob)));
    }

    /// Takes `rel` out of git (the commit's tree and git's index), leaving the file on disk.
    pub fn untrack(&mut self, rel: &str) {
        self.staged.push((rel.to_string(), None));
    }

    /// Ends the write with one commit of everything staged, on top of HEAD.
    pub fn commit(&mut self, message: impl Into<String>) {
        debug_assert!(
            !matches!(self.plan, Plan::Chain { .. }),
            "a write is one commit or a chain, not both"
        );
        self.plan = Plan::OnHead {
            message: message.into(),
        };
    }

    /// Makes the files staged since the last call one commit with `message`, the next in a
    /// chain of commits that land together: the branch moves once, to the last, so that
    /// either all of them are on it or none (see [`crate::git::commit_chain`]). Each file is
    /// in at most one commit of a chain: a crashed write's recovery judges whether it landed
    /// by HEAD holding every file as staged.
    pub fn commit_so_far(&mut self, message: impl Into<String>) {
        let end = self.staged.len();
        debug_assert!(
            matches!(self.plan, Plan::Stay | Plan::Chain { .. }),
            "a write is one commit or a chain, not both"
        );
        match &mut self.plan {
            Plan::Chain { commits } => commits.push((end, message.into())),
            _ => {
                self.plan = Plan::Chain {
                    commits: vec![(end, message.into())],
                }
            }
        }
    }

    /// Ends the write by running `put_in_place`, which makes a change the body prepared (a
    /// rebuilt index) the store's: the write lands there, as it would at a commit.
    pub fn install(&mut self, put_in_place: PutInPlace) {
        self.plan = Plan::Install(put_in_place);
    }

    /// Ends the write by moving the branch to `commit` (made by the body), if it is still at
    /// `expected`; what is staged is the work tree's side of that move.
    pub fn move_to_commit(&mut self, commit: Oid, expected: Option<Oid>, reflog: String) {
        self.plan = Plan::MoveTo {
            commit,
            expected,
            reflog,
        };
    }

    pub(super) fn blob(&self, bytes: &[u8]) -> Result<Oid> {
        self.repo
            .write_blob(bytes)
            .map_err(|e| e.at(Step::WriteFile))
    }

    /// Moves `abs` aside to a copy beside it (`.lore-undo-<tag>-<name>`), so that it can come
    /// back by a rename. With `remove`, the file is gone from its place afterwards; without,
    /// it is still there (hard-linked), to be replaced by a rename.
    pub(super) fn keep_aside(&self, abs: &Path, remove: bool) -> Result<Option<PathBuf>> {
        self.keep_aside_as(abs, remove, false)
    }

    /// [`Tx::keep_aside`]; with `links`, a symbolic link is moved aside too (the link itself:
    /// a rename never writes through it).
    fn keep_aside_as(&self, abs: &Path, remove: bool, links: bool) -> Result<Option<PathBuf>> {
        match fs::symlink_metadata(abs) {
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(abs, e).at(Step::WriteFile)),
            Ok(m) if m.file_type().is_symlink() && links => {}
            Ok(m) if !m.is_file() => {
                return Err(Error::io(
                    abs,
                    std::io::Error::other("not a regular file; lore never writes through it"),
                )
                .at(Step::WriteFile));
            }
            Ok(_) => {}
        }
        let copy = crate::leftovers::undo_copy_path(abs);
        let _ = fs::remove_file(&copy);
        let kept = if remove {
            fs::rename(abs, &copy)
        } else {
            fs::hard_link(abs, &copy)
        };
        kept.map_err(|e| Error::io(&copy, e).at(Step::WriteFile))?;
        Ok(Some(copy))
    }
}
