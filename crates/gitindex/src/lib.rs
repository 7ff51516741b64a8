//! git's index file (`.git/index`), edited in its bytes for the few entries a save changes.
//!
//! A save adds one entry. libgit2 loads the whole index into memory, re-hashes it with
//! collision-detecting SHA-1, and writes it back through temporary files; at 1,000 learnings
//! that was a third of a save, and it grows with the store. Here the file is walked once, the
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
//! extension. Even spliced, a whole index costs a save time in proportion to the store (150
//! bytes a learning: 15 MB at 100,000); split, a save rewrites only the small part. In the small
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
    /// `git status` sees it clean without reading it again.
    pub fn for_file(rel: &str, oid: [u8; 20], meta: &std::fs::Metadata) -> Entry {
        use std::os::unix::fs::MetadataExt;
        Entry {
            path: rel.as_bytes().to_vec(),
            oid,
            ctime: (meta.ctime() as u32, meta.ctime_nsec() as u32),
            mtime: (meta.mtime() as u32, meta.mtime_nsec() as u32),
            dev: meta.dev() as u32,
            ino: meta.ino() as u32,
            mode: 0o100644,
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
    let mut changes: Vec<&Change> = changes.iter().collect();
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

/// A whole index split in two.
pub struct Split {
    /// The shared index: the whole index's entries, no extensions.
    pub shared: Vec<u8>,
    /// Its hash, which names its file (`sharedindex.<hash>`).
    pub base: [u8; 20],
    /// The small index linking to it: no entries yet, the whole index's extensions.
    pub small: Vec<u8>,
}

/// Splits a whole index into a shared index and a small one that links to it.
pub fn split(whole: &[u8]) -> Result<Split, IndexError> {
    let (end, count) = entries_end(whole)?;
    let mut shared = Vec::with_capacity(end + HASH);
    shared.extend_from_slice(&whole[..end]);
    shared[8..12].copy_from_slice(&count.to_be_bytes());
    let base: [u8; 20] = Sha1::digest(&shared).into();
    shared.extend_from_slice(&base);

    let mut small = Vec::with_capacity(whole.len() - end + 128);
    small.extend_from_slice(&whole[..HEADER]);
    small[8..12].copy_from_slice(&0u32.to_be_bytes());
    let mut pos = end;
    let body_end = whole.len() - HASH;
    while pos < body_end {
        let size = be32(whole, pos + 4)? as usize;
        let next = pos + 8 + size;
        if next > body_end {
            return Err(IndexError::Corrupt("truncated extension"));
        }
        if matches!(&whole[pos..pos + 4], b"TREE" | b"REUC") {
            small.extend_from_slice(&whole[pos..next]);
        }
        pos = next;
    }
    let link = link_extension(&base);
    small.extend_from_slice(b"link");
    small.extend_from_slice(&(link.len() as u32).to_be_bytes());
    small.extend_from_slice(&link);
    let digest = Sha1::digest(&small);
    small.extend_from_slice(&digest);
    Ok(Split {
        shared,
        base,
        small,
    })
}

/// The `link` extension's data: the shared index's hash and two empty EWAH bitmaps (nothing
/// deleted, nothing replaced), as git writes them.
fn link_extension(base: &[u8; 20]) -> Vec<u8> {
    let mut d = base.to_vec();
    for _ in 0..2 {
        // bit count 0, one word (a marker word of zero), marker at word 0.
        d.extend_from_slice(&0u32.to_be_bytes());
        d.extend_from_slice(&1u32.to_be_bytes());
        d.extend_from_slice(&0u64.to_be_bytes());
        d.extend_from_slice(&0u32.to_be_bytes());
    }
    d
}

/// The number of entries in a shared index, from its header.
pub fn entry_count(header: &[u8]) -> Result<u32, IndexError> {
    if header.len() < HEADER || &header[..4] != b"DIRC" {
        return Err(IndexError::Corrupt("no index signature"));
    }
    be32(header, 8)
}

/// The positions of the set bits of a serialized EWAH bitmap at `data[*pos..]`; moves `pos`
/// past it. (git's compressed bitmap: marker words, each a run of identical words followed by
/// a count of literal words.)
fn ewah_bits(data: &[u8], pos: &mut usize) -> Result<Vec<usize>, IndexError> {
    let bad = IndexError::Corrupt("bad bitmap in link extension");
    let words = be32(data, *pos + 4).map_err(|_| bad.clone())? as usize;
    let start = *pos + 8;
    let end = words
        .checked_mul(8)
        .and_then(|b| b.checked_add(start))
        .filter(|&e| e + 4 <= data.len())
        .ok_or(bad.clone())?;
    let word = |i: usize| {
        u64::from_be_bytes(
            data[start + 8 * i..start + 8 * i + 8]
                .try_into()
                .expect("eight bytes"),
        )
    };
    let mut bits = Vec::new();
    let (mut i, mut at) = (0usize, 0usize);
    while i < words {
        let marker = word(i);
        let run = ((marker >> 1) & 0xffff_ffff) as usize;
        let literals = (marker >> 33) as usize;
        if marker & 1 == 1 {
            bits.extend(at..at + run * 64);
        }
        at += run * 64;
        if i + literals >= words {
            return Err(bad);
        }
        for k in 1..=literals {
            let w = word(i + k);
            bits.extend((0..64).filter(|b| w >> b & 1 == 1).map(|b| at + b));
            at += 64;
        }
        i += 1 + literals;
    }
    *pos = end + 4;
    Ok(bits)
}

/// Merges a split index with its shared part into one whole index, as git reads them: shared
/// entries, replaced and deleted as the bitmaps say, then the added entries, each taking the
/// place of a shared entry with its path and stage. Keeps the small part's extensions.
pub fn unsplit(small: &[u8], shared: &[u8]) -> Result<Vec<u8>, IndexError> {
    let version = be32(small, 4)?;
    // The small part: its link extension, and its other extensions to carry over.
    let (end, _) = entries_end(small)?;
    let body_end = small.len() - HASH;
    let (mut deleted, mut replaced) = (Vec::new(), Vec::new());
    let mut extensions = Vec::new();
    let mut pos = end;
    while pos < body_end {
        let size = be32(small, pos + 4)? as usize;
        let next = pos + 8 + size;
        let data = small
            .get(pos + 8..next)
            .ok_or(IndexError::Corrupt("truncated extension"))?;
        match &small[pos..pos + 4] {
            b"link" if data.len() > HASH => {
                let mut at = HASH;
                deleted = ewah_bits(data, &mut at)?;
                replaced = ewah_bits(data, &mut at)?;
            }
            b"TREE" | b"REUC" => extensions.extend_from_slice(&small[pos..next]),
            _ => {}
        }
        pos = next;
    }
    // Owned entries: (fixed part, path).
    let mut base: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut walk = Walk::new(shared)?;
    while let Some(e) = walk.next_entry()? {
        base.push((e.raw[..e.fixed].to_vec(), e.path.to_vec()));
    }
    let mut walk = Walk::new(small)?;
    let mut own: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    while let Some(e) = walk.next_entry()? {
        own.push((e.raw[..e.fixed].to_vec(), e.path.to_vec()));
    }
    if replaced.len() > own.len() {
        return Err(IndexError::Corrupt("more replacements than entries"));
    }
    for (k, &p) in replaced.iter().enumerate() {
        let slot = base
            .get_mut(p)
            .ok_or(IndexError::Corrupt("replacement past the shared index"))?;
        slot.0 = own[k].0.clone();
    }
    let mut keep = vec![true; base.len()];
    for &p in &deleted {
        *keep
            .get_mut(p)
            .ok_or(IndexError::Corrupt("deletion past the shared index"))? = false;
    }
    let stage = |fixed: &[u8]| (u16::from_be_bytes([fixed[60], fixed[61]]) >> 12) & 3;
    let mut merged: Vec<(Vec<u8>, Vec<u8>)> = base
        .into_iter()
        .zip(keep)
        .filter_map(|(e, k)| k.then_some(e))
        .collect();
    let mut added: Vec<(Vec<u8>, Vec<u8>)> = own.split_off(replaced.len());
    added.sort_by(|a, b| (&a.1, stage(&a.0)).cmp(&(&b.1, stage(&b.0))));
    // Merge two sorted lists; an added entry wins over a shared one with its path and stage.
    let mut out_entries = Vec::with_capacity(merged.len() + added.len());
    let mut added = added.into_iter().peekable();
    for e in merged.drain(..) {
        while let Some(a) = added.peek()
            && (&a.1, stage(&a.0)) < (&e.1, stage(&e.0))
        {
            out_entries.push(added.next().expect("peeked"));
        }
        if let Some(a) = added.peek()
            && (&a.1, stage(&a.0)) == (&e.1, stage(&e.0))
        {
            out_entries.push(added.next().expect("peeked"));
            continue;
        }
        out_entries.push(e);
    }
    out_entries.extend(added);

    let mut out = Vec::with_capacity(shared.len() + small.len());
    out.extend_from_slice(&small[..HEADER]);
    out[8..12].copy_from_slice(&(out_entries.len() as u32).to_be_bytes());
    let mut last = Vec::new();
    for (mut fixed, path) in out_entries {
        // The flags carry the name's length (a replacement's was empty).
        let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
        let flags = (flags & !0xfff) | path.len().min(0xfff) as u16;
        fixed[60..62].copy_from_slice(&flags.to_be_bytes());
        let len = fixed.len();
        out.extend_from_slice(&fixed);
        emit_name(&path, len, version, &mut out, &mut last);
    }
    out.extend_from_slice(&extensions);
    let digest = Sha1::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
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
/// followed by its tree's hash when `entries` is not -1. A million learnings in day and
/// overflow folders make ~17,000 of them (0.5 MB), so the walk only reads their headers and
/// copies the runs between the few it rewrites: no tree is built in memory, and a damaged
/// extension cannot nest deeper than the walk's own stack.
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
mod tests {
    use super::*;

    fn entry(path: &str, n: u8) -> Entry {
        Entry {
            path: path.as_bytes().to_vec(),
            oid: [n; 20],
            ctime: (1, 2),
            mtime: (3, 4),
            dev: 5,
            ino: 6,
            mode: 0o100644,
            uid: 7,
            gid: 8,
            size: 9,
        }
    }

    fn with_version(v: u32) -> Vec<u8> {
        let mut b = empty_index();
        b[4..8].copy_from_slice(&v.to_be_bytes());
        let n = b.len() - HASH;
        let d = Sha1::digest(&b[..n]);
        b[n..].copy_from_slice(&d);
        b
    }

    #[test]
    fn entries_stay_sorted_and_replace_in_every_version() {
        for v in [2, 3, 4] {
            let mut idx = with_version(v);
            for (p, n) in [("b/x.md", 1), ("a.md", 2), ("b/a.md", 3), ("c", 4)] {
                idx = apply(Some(&idx), &[Change::Upsert(entry(p, n))])
                    .unwrap()
                    .bytes;
            }
            idx = apply(Some(&idx), &[Change::Upsert(entry("b/a.md", 9))])
                .unwrap()
                .bytes;
            idx = apply(Some(&idx), &[Change::Remove(b"c".to_vec())])
                .unwrap()
                .bytes;
            let got: Vec<String> = paths(&idx)
                .unwrap()
                .into_iter()
                .map(|p| String::from_utf8(p).unwrap())
                .collect();
            assert_eq!(got, ["a.md", "b/a.md", "b/x.md"], "version {v}");
            assert_eq!(be32(&idx, 4).unwrap(), v);
        }
    }

    #[test]
    fn a_damaged_index_is_refused() {
        let mut idx = apply(None, &[Change::Upsert(entry("a", 1))]).unwrap().bytes;
        let n = idx.len();
        idx[n - 30] ^= 1;
        assert_eq!(
            apply(Some(&idx), &[]).unwrap_err(),
            IndexError::Corrupt("checksum mismatch")
        );
        // A large one (checked on a second thread): a flipped bit anywhere is refused, also
        // where the splice itself would have gone through, or failed with another error.
        let changes: Vec<Change> = (0..2_500)
            .map(|i| Change::Upsert(entry(&format!("memory/failures/{i:05}.md"), 1)))
            .collect();
        let big = apply(None, &changes).unwrap().bytes;
        assert!(big.len() >= CHECK_BESIDE, "{}", big.len());
        let new = [Change::Upsert(entry("z", 2))];
        assert!(apply(Some(&big), &new).is_ok());
        for at in [9, 500, big.len() / 2, big.len() - 21] {
            let mut bad = big.clone();
            bad[at] ^= 0x40;
            assert_eq!(
                apply(Some(&bad), &new).unwrap_err(),
                IndexError::Corrupt("checksum mismatch"),
                "bit flipped at {at}"
            );
        }
    }

    fn names(idx: &[u8]) -> Vec<String> {
        paths(idx)
            .unwrap()
            .into_iter()
            .map(|p| String::from_utf8(p).unwrap())
            .collect()
    }

    #[test]
    fn a_split_index_takes_additions_in_its_small_part_and_merges_back() {
        for v in [2, 4] {
            let mut whole = with_version(v);
            for (p, n) in [("a", 1), ("b", 2), ("c", 3)] {
                whole = apply(Some(&whole), &[Change::Upsert(entry(p, n))])
                    .unwrap()
                    .bytes;
            }
            let Split {
                shared,
                base,
                small,
            } = split(&whole).unwrap();
            assert_eq!(&shared[shared.len() - 20..], &base);
            assert!(names(&small).is_empty());
            assert_eq!(names(&unsplit(&small, &shared).unwrap()), ["a", "b", "c"]);

            let changed = apply(
                Some(&small),
                &[Change::Upsert(entry("d", 4)), Change::Upsert(entry("b", 9))],
            )
            .unwrap();
            assert_eq!(changed.shared, Some(base));
            assert_eq!(changed.entries, 2, "only the small part grows");
            let merged = unsplit(&changed.bytes, &shared).unwrap();
            assert_eq!(names(&merged), ["a", "b", "c", "d"]);
            // The added "b" took the shared one's place.
            let mut walk = Walk::new(&merged).unwrap();
            walk.next_entry().unwrap();
            let b = walk.next_entry().unwrap().unwrap();
            assert_eq!(&b.raw[40..60], &[9u8; 20]);
            // Removing may touch the shared part: the caller must merge first.
            assert_eq!(
                apply(Some(&changed.bytes), &[Change::Remove(b"a".to_vec())]).unwrap_err(),
                IndexError::NeedsShared(base)
            );
        }
    }

    #[test]
    fn ewah_bitmaps_decode_runs_and_literals() {
        // One marker (a run of one all-ones word, two literal words), then the literals.
        let mut d = Vec::new();
        d.extend_from_slice(&200u32.to_be_bytes());
        d.extend_from_slice(&3u32.to_be_bytes());
        d.extend_from_slice(&((2u64 << 33) | (1 << 1) | 1).to_be_bytes());
        d.extend_from_slice(&(1u64 << 3).to_be_bytes());
        d.extend_from_slice(&(1u64 << 63).to_be_bytes());
        d.extend_from_slice(&0u32.to_be_bytes());
        let mut pos = 0;
        let bits = ewah_bits(&d, &mut pos).unwrap();
        assert_eq!(pos, d.len());
        let mut want: Vec<usize> = (0..64).collect();
        want.extend([67, 191]);
        assert_eq!(bits, want);
    }

    /// One cache-tree directory as git writes it; `oid: None` is an invalid one.
    fn dir(name: &str, entries: i64, subtrees: usize, oid: Option<u8>) -> Vec<u8> {
        let mut d = format!("{name}\0{entries} {subtrees}\n").into_bytes();
        d.extend(oid.map(|o| [o; HASH]).into_iter().flatten());
        d
    }

    #[test]
    fn only_the_directories_above_a_touched_path_lose_their_cached_tree() {
        // root { memory { failures { 2026-11 { 27, 28 } }, notes }, src }
        let tree = |touched_dirs: &[&str]| {
            let hash = |n: &str, o| (!touched_dirs.contains(&n)).then_some(o);
            let e = |n: &str, k| if touched_dirs.contains(&n) { -1 } else { k };
            [
                dir("", e("", 9), 2, hash("", 1)),
                dir("memory", e("memory", 7), 2, hash("memory", 2)),
                dir("failures", e("failures", 5), 1, hash("failures", 3)),
                dir("2026-11", e("2026-11", 5), 2, hash("2026-11", 4)),
                dir("27", 3, 0, Some(5)),
                dir("28", e("28", 2), 0, hash("28", 6)),
                dir("notes", 2, 0, Some(7)),
                dir("src", 2, 0, Some(8)),
            ]
            .concat()
        };
        let untouched = tree(&[]);
        let path: &[u8] = b"memory/failures/2026-11/28/x.md";
        assert_eq!(
            invalidate_tree(&untouched, &[path]).unwrap(),
            tree(&["", "memory", "failures", "2026-11", "28"])
        );
        // A new folder: its parents are invalid, its siblings keep their hashes.
        let new_day: &[u8] = b"memory/failures/2026-11/29/y.md";
        assert_eq!(
            invalidate_tree(&untouched, &[new_day]).unwrap(),
            tree(&["", "memory", "failures", "2026-11"])
        );
        // A file at the top, and a name that only starts like a folder's.
        let top: &[u8] = b"srcfile";
        assert_eq!(invalidate_tree(&untouched, &[top]).unwrap(), tree(&[""]));
        assert_eq!(invalidate_tree(&untouched, &[]).unwrap(), untouched);
        // Damage is refused, however deep it claims to nest.
        let deep: Vec<u8> = (0..100_000).flat_map(|_| dir("d", -1, 1, None)).collect();
        assert!(invalidate_tree(&deep, &[path]).is_err());
        assert!(invalidate_tree(&untouched[..untouched.len() - 5], &[path]).is_err());
    }

    #[test]
    fn varints_round_trip() {
        for v in [0usize, 1, 127, 128, 255, 16_383, 16_384, 1 << 30] {
            let mut b = Vec::new();
            put_varint(v, &mut b);
            assert_eq!(varint(&b, 0).unwrap(), (v, b.len()), "{v}");
        }
    }
}
