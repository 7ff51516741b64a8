//! git's index file (`.git/index`), edited in its bytes for the few entries a save changes.
//!
//! A save adds one entry. libgit2 loads the whole index into memory, re-hashes it with
//! collision-detecting SHA-1, and writes it back through temporary files, a cost that grows
//! with the store (BENCHMARKS.md has the figures). Here the file is walked once, the
//! new entry spliced in, the cache of tree hashes invalidated along its path (as git does),
//! and the result hashed once: one read, one write.
//!
//! Formats: index versions 2, 3 and 4 (path compression), SHA-1 repositories, whole or split.
//! Optional extensions that would go stale (untracked cache, fsmonitor token, offset tables)
//! are dropped; git rebuilds them when it needs them. A sparse index (`sdir`) is refused with
//! [`IndexError::Unsupported`] rather than rewritten wrongly.
//!
//! **Split index** (git's `core.splitIndex`): a large *shared* index, `sharedindex.<hash>`,
//! written rarely, and a small `index` holding what changed since, linked to it by the `link`
//! extension. Even spliced, a whole index costs a save time in proportion to the store (about
//! 150 bytes a learning); split, a save rewrites only the small part. In the small
//! part, entries that *replace* shared ones come first with empty names, then added entries in
//! path order; an added entry with the path of a shared one takes its place when git merges
//! the two, which is all a save needs. Removing a path may have to touch the shared part, so
//! [`apply`] answers [`IndexError::NeedsShared`] and the caller merges the two first
//! ([`unsplit`]), which is rare (rollbacks, sync deletions).

use sha1::{Digest, Sha1};

/// Stat data and identity of one staged file, as git records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: Vec<u8>,
    pub oid: [u8; 20],
    pub ctime: (u32, u32),
    pub mtime: (u32, u32),
    pub dev: u32,
    pub ino: u32,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u32,
}

impl Entry {
    /// The entry for file `abs`, staged at `rel` as blob `oid`, with the file's stat data so
    /// `git status` sees it clean without reading it again (`meta` from `lstat`: for a
    /// symbolic link, the link's own).
    pub fn for_file(rel: &str, oid: [u8; 20], meta: &std::fs::Metadata) -> Entry {
        use std::os::unix::fs::MetadataExt;
        Entry {
            path: rel.as_bytes().to_vec(),
            oid,
            ctime: (meta.ctime() as u32, meta.ctime_nsec() as u32),
            mtime: (meta.mtime() as u32, meta.mtime_nsec() as u32),
            dev: meta.dev() as u32,
            ino: meta.ino() as u32,
            // git's modes: a symbolic link (its blob is the target), or a regular file.
            mode: if meta.file_type().is_symlink() {
                0o120000
            } else {
                0o100644
            },
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.size() as u32,
        }
    }

    fn fixed_part(&self, out: &mut Vec<u8>) {
        for v in [
            self.ctime.0,
            self.ctime.1,
            self.mtime.0,
            self.mtime.1,
            self.dev,
            self.ino,
            self.mode,
            self.uid,
            self.gid,
            self.size,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&self.oid);
        let flags = self.path.len().min(0xfff) as u16;
        out.extend_from_slice(&flags.to_be_bytes());
    }
}

/// One change to the index.
#[derive(Debug, Clone)]
pub enum Change {
    /// Adds the entry, replacing any entry (and any conflict stages) at its path.
    Upsert(Entry),
    /// Removes every entry at the path.
    Remove(Vec<u8>),
}

impl Change {
    fn path(&self) -> &[u8] {
        match self {
            Change::Upsert(e) => &e.path,
            Change::Remove(p) => p,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum IndexError {
    #[error("git's index is damaged: {0}")]
    Corrupt(&'static str),
    #[error("git's index uses {0}, which lore does not edit")]
    Unsupported(String),
    /// The change needs the shared part of a split index (named by this hash) merged in.
    #[error("this change needs git's shared index")]
    NeedsShared([u8; 20]),
}

/// An edited index file.
#[derive(Debug)]
pub struct Applied {
    pub bytes: Vec<u8>,
    /// Entries in this file (for a split index, only those of the small part).
    pub entries: u32,
    /// For a split index, the hash naming its shared part.
    pub shared: Option<[u8; 20]>,
}

mod split;

pub use split::{Split, split, unsplit};

const HEADER: usize = 12;
const HASH: usize = 20;
/// ctime, mtime (2 × 8), dev, ino, mode, uid, gid, size (6 × 4), oid (20), flags (2).
const FIXED: usize = 62;
const EXTENDED_FLAG: u16 = 0x4000;

fn be32(b: &[u8], at: usize) -> Result<u32, IndexError> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(IndexError::Corrupt("truncated"))
}

/// Applies `changes` to the index file `bytes` (`None`: no index yet) and returns the new file.
pub fn apply(bytes: Option<&[u8]>, changes: &[Change]) -> Result<Applied, IndexError> {
    let empty = empty_index();
    let bytes = bytes.unwrap_or(&empty);
    if bytes.len() < HEADER + HASH || &bytes[..4] != b"DIRC" {
        return Err(IndexError::Corrupt("no index signature"));
    }
    let version = be32(bytes, 4)?;
    if !(2..=4).contains(&version) {
        return Err(IndexError::Unsupported(format!("index version {version}")));
    }
    // The checksum is checked beside the splice on a large index (two hashes of it, one in
    // and one out, are most of the edit's time); a bad one wins over whatever the splice says.
    // (A thread that cannot be started, as under a tight `ulimit -u`, means checking inline.)
    let (intact, applied) = std::thread::scope(|s| {
        let check = (bytes.len() >= CHECK_BESIDE)
            .then(|| {
                std::thread::Builder::new()
                    .spawn_scoped(s, || checksum_ok(bytes))
                    .ok()
            })
            .flatten();
        let applied = splice(bytes, version, changes);
        let intact = match check {
            Some(check) => check.join().unwrap_or(false),
            None => checksum_ok(bytes),
        };
        (intact, applied)
    });
    if !intact {
        return Err(IndexError::Corrupt("checksum mismatch"));
    }
    applied
}

/// Index files from this size on have their checksum verified on a second thread.
const CHECK_BESIDE: usize = 128 << 10;

/// Whether the file's trailing checksum is its SHA-1 (`index.skipHash` writes zeros, which
/// pass).
fn checksum_ok(bytes: &[u8]) -> bool {
    let body_end = bytes.len() - HASH;
    let stored = &bytes[body_end..];
    stored.iter().all(|&b| b == 0) || Sha1::digest(&bytes[..body_end]).as_slice() == stored
}

/// [`apply`]'s edit of a file whose header is known good.
fn splice(bytes: &[u8], version: u32, changes: &[Change]) -> Result<Applied, IndexError> {
    let body_end = bytes.len() - HASH;
    // Where a path is changed more than once, the last change wins (as if applied in turn):
    // reversed, then sorted stably, the last comes first of its path and is the one kept.
    let mut changes: Vec<&Change> = changes.iter().rev().collect();
    changes.sort_by(|a, b| a.path().cmp(b.path()));
    changes.dedup_by(|later, earlier| later.path() == earlier.path());
    let mut next = 0;

    let mut out = Vec::with_capacity(bytes.len() + 256 * changes.len());
    out.extend_from_slice(&bytes[..HEADER]);
    let mut written = 0u32;
    let mut last_path: Vec<u8> = Vec::new();
    let mut shared = None;
    let mut walk = Walk::new(bytes)?;
    while let Some(e) = walk.next_entry()? {
        // Changes sorting before this entry go in first. (A split index's replacing entries
        // have empty names: they stay first, untouched.)
        while let Some(c) = changes.get(next)
            && c.path() < e.path
        {
            emit_change(c, version, &mut out, &mut last_path, &mut written);
            next += 1;
        }
        if let Some(c) = changes.get(next)
            && c.path() == e.path
        {
            // Every stage of this path is replaced; the change goes in once, after them.
            continue;
        }
        if version == 4 {
            out.extend_from_slice(&e.raw[..e.fixed]);
            emit_name(e.path, e.fixed, version, &mut out, &mut last_path);
        } else {
            out.extend_from_slice(e.raw);
        }
        written += 1;
    }
    let mut pos = walk.pos;
    // Changes that matched entries were held back until past them.
    for c in &changes[next..] {
        emit_change(c, version, &mut out, &mut last_path, &mut written);
    }
    out[8..12].copy_from_slice(&written.to_be_bytes());

    // Extensions.
    let mut touched: Vec<&[u8]> = changes.iter().map(|c| c.path()).collect();
    touched.dedup();
    while pos < body_end {
        let sig = bytes
            .get(pos..pos + 4)
            .ok_or(IndexError::Corrupt("truncated extension"))?;
        let size = be32(bytes, pos + 4)? as usize;
        let data = bytes
            .get(pos + 8..pos + 8 + size)
            .ok_or(IndexError::Corrupt("truncated extension"))?;
        pos += 8 + size;
        match sig {
            b"TREE" => {
                let tree = invalidate_tree(data, &touched)?;
                out.extend_from_slice(b"TREE");
                out.extend_from_slice(&(tree.len() as u32).to_be_bytes());
                out.extend_from_slice(&tree);
            }
            b"REUC" => {
                out.extend_from_slice(&bytes[pos - 8 - size..pos]);
            }
            b"link" => {
                let base: [u8; 20] = data
                    .get(..HASH)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(IndexError::Corrupt("short link extension"))?;
                if changes.iter().any(|c| matches!(c, Change::Remove(_))) {
                    return Err(IndexError::NeedsShared(base));
                }
                // Unchanged: the small part only gained added entries.
                out.extend_from_slice(&bytes[pos - 8 - size..pos]);
                shared = Some(base);
            }
            s if s[0].is_ascii_uppercase() => {} // optional and now stale: dropped
            s => {
                return Err(IndexError::Unsupported(format!(
                    "the '{}' extension ({})",
                    String::from_utf8_lossy(s),
                    match s {
                        b"sdir" => "sparse index: `git sparse-checkout disable` makes it whole",
                        _ => "unknown",
                    }
                )));
            }
        }
    }
    let digest = Sha1::digest(&out);
    out.extend_from_slice(&digest);
    Ok(Applied {
        bytes: out,
        entries: written,
        shared,
    })
}

/// Where the extensions of an index file start, and its entry count.
fn entries_end(bytes: &[u8]) -> Result<(usize, u32), IndexError> {
    let mut walk = Walk::new(bytes)?;
    let mut n = 0;
    while walk.next_entry()?.is_some() {
        n += 1;
    }
    Ok((walk.pos, n))
}

/// The number of entries in a shared index, from its header.
pub fn entry_count(header: &[u8]) -> Result<u32, IndexError> {
    if header.len() < HEADER || &header[..4] != b"DIRC" {
        return Err(IndexError::Corrupt("no index signature"));
    }
    be32(header, 8)
}

/// The paths staged in an index file, stage 0 only, in index order.
pub fn paths(bytes: &[u8]) -> Result<Vec<Vec<u8>>, IndexError> {
    let mut walk = Walk::new(bytes)?;
    let mut out = Vec::new();
    while let Some(e) = walk.next_entry()? {
        if (e.flags >> 12) & 3 == 0 {
            out.push(e.path.to_vec());
        }
    }
    Ok(out)
}

/// A path staged in an index file, and its object id.
pub type Staged = (Vec<u8>, [u8; 20]);

/// The paths staged in an index file, stage 0 only, in index order, each with its blob.
pub fn staged(bytes: &[u8]) -> Result<Vec<Staged>, IndexError> {
    let mut walk = Walk::new(bytes)?;
    let mut out = Vec::new();
    while let Some(e) = walk.next_entry()? {
        if (e.flags >> 12) & 3 == 0 {
            // ctime, mtime, dev, ino, mode, uid, gid, size: 40 bytes, then the object id.
            let oid: [u8; 20] = e.raw[40..60].try_into().expect("a fixed part holds the id");
            out.push((e.path.to_vec(), oid));
        }
    }
    Ok(out)
}

/// One entry as stored: its bytes, the length of its fixed part, its flags and full path.
struct RawEntry<'a> {
    raw: &'a [u8],
    fixed: usize,
    flags: u16,
    path: &'a [u8],
}

/// Walks the entries of an index file in order, decoding v4's compressed paths.
struct Walk<'a> {
    bytes: &'a [u8],
    version: u32,
    left: usize,
    pos: usize,
    body_end: usize,
    path: Vec<u8>,
}

impl<'a> Walk<'a> {
    fn new(bytes: &'a [u8]) -> Result<Walk<'a>, IndexError> {
        if bytes.len() < HEADER + HASH || &bytes[..4] != b"DIRC" {
            return Err(IndexError::Corrupt("no index signature"));
        }
        Ok(Walk {
            bytes,
            version: be32(bytes, 4)?,
            left: be32(bytes, 8)? as usize,
            pos: HEADER,
            body_end: bytes.len() - HASH,
            path: Vec::new(),
        })
    }

    fn next_entry(&mut self) -> Result<Option<RawEntry<'_>>, IndexError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let (bytes, start) = (self.bytes, self.pos);
        let flags = u16::from_be_bytes([
            *bytes
                .get(start + 60)
                .ok_or(IndexError::Corrupt("truncated entry"))?,
            *bytes
                .get(start + 61)
                .ok_or(IndexError::Corrupt("truncated entry"))?,
        ]);
        let fixed = if flags & EXTENDED_FLAG != 0 && self.version >= 3 {
            FIXED + 2
        } else {
            FIXED
        };
        let name_at = start + fixed;
        let end = if self.version == 4 {
            let (strip, used) = varint(bytes, name_at)?;
            let nul = find_nul(bytes, name_at + used, self.body_end)?;
            let keep = self
                .path
                .len()
                .checked_sub(strip)
                .ok_or(IndexError::Corrupt("bad path prefix"))?;
            self.path.truncate(keep);
            self.path.extend_from_slice(&bytes[name_at + used..nul]);
            nul + 1
        } else {
            let len = (flags & 0xfff) as usize;
            let nul = if len < 0xfff {
                name_at + len
            } else {
                find_nul(bytes, name_at, self.body_end)?
            };
            self.path.clear();
            self.path.extend_from_slice(
                bytes
                    .get(name_at..nul)
                    .ok_or(IndexError::Corrupt("truncated entry"))?,
            );
            start + ((fixed + (nul - name_at) + 8) & !7)
        };
        if end > self.body_end {
            return Err(IndexError::Corrupt("entry past the end"));
        }
        self.pos = end;
        Ok(Some(RawEntry {
            raw: &bytes[start..end],
            fixed,
            flags,
            path: &self.path,
        }))
    }
}

fn empty_index() -> Vec<u8> {
    let mut b = Vec::with_capacity(HEADER + HASH);
    b.extend_from_slice(b"DIRC");
    b.extend_from_slice(&2u32.to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes());
    let digest = Sha1::digest(&b);
    b.extend_from_slice(&digest);
    b
}

fn find_nul(bytes: &[u8], from: usize, end: usize) -> Result<usize, IndexError> {
    bytes
        .get(from..end)
        .and_then(|s| s.iter().position(|&b| b == 0))
        .map(|i| from + i)
        .ok_or(IndexError::Corrupt("unterminated path"))
}

/// git's offset varint (index v4): big-endian base-128 where each continuation adds one.
fn varint(bytes: &[u8], at: usize) -> Result<(usize, usize), IndexError> {
    let mut i = at;
    let mut c = *bytes.get(i).ok_or(IndexError::Corrupt("truncated"))?;
    i += 1;
    let mut value = (c & 127) as usize;
    while c & 128 != 0 {
        c = *bytes.get(i).ok_or(IndexError::Corrupt("truncated"))?;
        i += 1;
        value = value
            .checked_add(1)
            .and_then(|v| v.checked_mul(128))
            .ok_or(IndexError::Corrupt("bad varint"))?
            + (c & 127) as usize;
    }
    Ok((value, i - at))
}

fn put_varint(mut value: usize, out: &mut Vec<u8>) {
    let mut buf = [0u8; 16];
    let mut pos = buf.len() - 1;
    buf[pos] = (value & 127) as u8;
    value >>= 7;
    while value != 0 {
        value -= 1;
        pos -= 1;
        buf[pos] = 128 | (value & 127) as u8;
        value >>= 7;
    }
    out.extend_from_slice(&buf[pos..]);
}

/// Writes the name part of an entry: padded in v2/v3, prefix-compressed against the previous
/// entry's path in v4.
fn emit_name(path: &[u8], fixed: usize, version: u32, out: &mut Vec<u8>, last: &mut Vec<u8>) {
    if version == 4 {
        let common = last.iter().zip(path).take_while(|(a, b)| a == b).count();
        put_varint(last.len() - common, out);
        out.extend_from_slice(&path[common..]);
        out.push(0);
        last.clear();
        last.extend_from_slice(path);
    } else {
        out.extend_from_slice(path);
        let padded = (fixed + path.len() + 8) & !7;
        out.resize(out.len() + padded - fixed - path.len(), 0);
    }
}

fn emit_change(c: &Change, version: u32, out: &mut Vec<u8>, last: &mut Vec<u8>, n: &mut u32) {
    if let Change::Upsert(e) = c {
        e.fixed_part(out);
        emit_name(&e.path, FIXED, version, out, last);
        *n += 1;
    }
}

/// Marks every cached tree on the way to each touched path as invalid (git's
/// `cache_tree_invalidate_path`), leaving the rest of the cache for git to reuse.
///
/// The extension lists directories depth first, each as `name NUL entries SP subtrees LF`
/// followed by its tree's hash when `entries` is not -1. A large store in day and overflow
/// folders makes many thousands of them (lore's BENCHMARKS.md), so the walk only reads their
/// headers and copies the runs between the few it rewrites: no tree is built in memory, and a
/// damaged extension cannot nest deeper than the walk's own stack.
fn invalidate_tree(data: &[u8], touched: &[&[u8]]) -> Result<Vec<u8>, IndexError> {
    let bad = || IndexError::Corrupt("bad cache tree");
    let mut out = Vec::with_capacity(data.len() + 8);
    if data.is_empty() {
        return Ok(out);
    }
    // The directories being read that have subtrees still to come: how many, and the touched
    // paths that run through the directory (which path, and where the rest of it starts).
    let mut open: Vec<(usize, Vec<(usize, usize)>)> = Vec::new();
    let (mut pos, mut copied) = (0, 0);
    loop {
        let start = pos;
        let nul = find_nul(data, pos, data.len()).map_err(|_| bad())?;
        let name = &data[pos..nul];
        pos = nul + 1;
        let entries = number_until(data, &mut pos, b' ').ok_or_else(bad)?;
        let subtrees = number_until(data, &mut pos, b'\n')
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(bad)?;
        if entries >= 0 {
            pos += HASH;
            if pos > data.len() {
                return Err(bad());
            }
        }
        let through: Vec<(usize, usize)> = match open.last_mut() {
            // The root: every touched path runs through it.
            None => (0..touched.len()).map(|i| (i, 0)).collect(),
            // Off every touched path (nearly all of them): nothing to look at.
            Some((left, parent)) if parent.is_empty() => {
                *left -= 1;
                Vec::new()
            }
            Some((left, parent)) => {
                *left -= 1;
                parent
                    .iter()
                    .filter_map(|&(i, at)| {
                        let rest = &touched[i][at..];
                        (rest.len() > name.len()
                            && rest.starts_with(name)
                            && rest[name.len()] == b'/')
                            .then_some((i, at + name.len() + 1))
                    })
                    .collect()
            }
        };
        if !through.is_empty() {
            out.extend_from_slice(&data[copied..start]);
            out.extend_from_slice(name);
            out.extend_from_slice(format!("\0-1 {subtrees}\n").as_bytes());
            copied = pos;
        }
        if subtrees > 0 {
            open.push((subtrees, through));
        }
        while open.last().is_some_and(|(left, _)| *left == 0) {
            open.pop();
        }
        if open.is_empty() {
            out.extend_from_slice(&data[copied..pos]);
            return Ok(out);
        }
    }
}

/// A decimal number (`-1` or digits) at `pos` ending with `end`; moves `pos` past the
/// terminator. Hand-rolled: a large cache tree has thousands of these to skip.
fn number_until(data: &[u8], pos: &mut usize, end: u8) -> Option<i64> {
    let rest = data.get(*pos..)?;
    let len = rest.iter().position(|&b| b == end)?;
    let (negative, digits) = match &rest[..len] {
        [b'-', d @ ..] => (true, d),
        d => (false, d),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0i64, |n, &d| n * 10 + i64::from(d - b'0'));
    *pos += len + 1;
    Some(if negative { -n } else { n })
}

#[cfg(test)]
mod tests;
