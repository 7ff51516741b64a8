//! git's split index: a whole index cut into a shared part and a small one that links to it,
//! and the two merged back into one, as git reads them.

use sha1::{Digest, Sha1};

use super::*;

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

/// The positions of the set bits of a serialized EWAH bitmap at `data[*pos..]`; moves `pos`
/// past it. (git's compressed bitmap: marker words, each a run of identical words followed by
/// a count of literal words.)
pub(crate) fn ewah_bits(data: &[u8], pos: &mut usize) -> Result<Vec<usize>, IndexError> {
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
