//! The editor on indexes built here, byte by byte (the differential test against git itself
//! is in `tests/against_git.rs`).

use super::*;
use crate::split::ewah_bits;

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
fn of_two_changes_to_one_path_the_last_wins() {
    let idx = apply(None, &[Change::Upsert(entry("a.md", 1))])
        .unwrap()
        .bytes;
    let both = [
        Change::Remove(b"a.md".to_vec()),
        Change::Upsert(entry("a.md", 2)),
    ];
    let kept = apply(Some(&idx), &both).unwrap().bytes;
    let staged = staged(&kept).unwrap();
    assert_eq!(staged.len(), 1);
    assert_eq!(staged[0].1, [2; 20]);
    let gone = apply(
        Some(&kept),
        &[
            Change::Upsert(entry("a.md", 3)),
            Change::Remove(b"a.md".to_vec()),
        ],
    )
    .unwrap()
    .bytes;
    assert!(paths(&gone).unwrap().is_empty());
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
