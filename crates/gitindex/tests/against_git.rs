//! The index this crate writes, held against git's own: the same entries staged by
//! `git update-index` in one repository and spliced in by this crate in another give the same
//! `git ls-files -s` and the same `git write-tree`, in index versions 2, 3 and 4, whole and
//! split; and random sequences of changes keep the entries git would have (a property test).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use gitindex::{Change, Entry, apply, split, staged, unsplit};
use proptest::prelude::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    dir
}

/// Writes `content` as a blob; its id.
fn blob(dir: &Path, content: &str) -> [u8; 20] {
    use std::io::Write;
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["hash-object", "-w", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    let hex = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    hex_id(hex.trim())
}

fn hex_id(hex: &str) -> [u8; 20] {
    let mut id = [0u8; 20];
    for (i, b) in id.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    id
}

fn hex(id: &[u8; 20]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn entry(path: &str, oid: [u8; 20]) -> Entry {
    Entry {
        path: path.as_bytes().to_vec(),
        oid,
        ctime: (0, 0),
        mtime: (0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        size: 0,
    }
}

/// The same paths staged by git itself (index `version`) and by this crate, from an index git
/// made; both repositories then answer alike.
fn same_as_git(paths: &BTreeMap<String, String>, removed: &[String], version: u32, split_it: bool) {
    let ours = repo();
    let theirs = repo();
    for dir in [ours.path(), theirs.path()] {
        // An index of git's own, in the version asked for, to start from.
        git(
            dir,
            &["update-index", "--index-version", &version.to_string()],
        );
    }
    let (mut changes, mut removals) = (Vec::new(), Vec::new());
    for (path, content) in paths {
        let id = blob(ours.path(), content);
        blob(theirs.path(), content);
        git(
            theirs.path(),
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("100644,{},{path}", hex(&id)),
            ],
        );
        changes.push(Change::Upsert(entry(path, id)));
    }
    for path in removed {
        git(theirs.path(), &["update-index", "--force-remove", path]);
        removals.push(Change::Remove(path.as_bytes().to_vec()));
    }
    let index = ours.path().join(".git/index");
    let start = std::fs::read(&index).ok();
    // Added, then removed, in two edits (as git did them).
    let added = apply(start.as_deref(), &changes).unwrap().bytes;
    let mut bytes = apply(Some(&added), &removals).unwrap().bytes;
    if split_it {
        // Split, and put back together: what git reads is the same.
        let parts = split(&bytes).unwrap();
        bytes = unsplit(&parts.small, &parts.shared).unwrap();
    }
    std::fs::write(&index, &bytes).unwrap();
    assert_eq!(
        git(ours.path(), &["ls-files", "-s"]),
        git(theirs.path(), &["ls-files", "-s"]),
        "{paths:?} minus {removed:?}, version {version}"
    );
    assert_eq!(
        git(ours.path(), &["write-tree"]),
        git(theirs.path(), &["write-tree"])
    );
    let listed: Vec<String> = staged(&bytes)
        .unwrap()
        .into_iter()
        .map(|(p, _)| String::from_utf8(p).unwrap())
        .collect();
    let mut expected: Vec<String> = paths
        .keys()
        .filter(|p| !removed.contains(p))
        .cloned()
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn git_reads_what_is_spliced_in_every_version_whole_and_split() {
    let paths: BTreeMap<String, String> = [
        ("memory/failures/2026-12/01/20261201_a.md", "a"),
        ("memory/failures/2026-12/01/20261201_b.md", "b"),
        ("memory/failures/20241130_flat.md", "flat"),
        ("memory/successes/x.md", "x"),
        ("memory/lore.toml", "layout"),
        (".gitignore", "ignored"),
        ("memory/failures/2026-12/01/2/20261201_c.md", "c"),
    ]
    .into_iter()
    .map(|(p, c)| (p.to_string(), c.to_string()))
    .collect();
    for version in [2, 3, 4] {
        for split_it in [false, true] {
            same_as_git(&paths, &[], version, split_it);
            same_as_git(
                &paths,
                &["memory/successes/x.md".to_string()],
                version,
                split_it,
            );
        }
    }
}

fn path_part() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "b", "memory", "failures", "2026-12", "01", "x.md", "a-b.md", "z",
    ])
    .prop_map(str::to_string)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any set of paths (nested or not, sharing prefixes as learnings do), some removed again,
    /// in any index version: git lists and writes exactly what git itself would.
    #[test]
    fn random_changes_match_git(
        paths in prop::collection::btree_map(
            prop::collection::vec(path_part(), 1..4).prop_map(|v| v.join("/")),
            "[a-z]{1,8}",
            1..12,
        ),
        remove_every in 2usize..5,
        version in 2u32..5,
    ) {
        // A path cannot also be a folder of another.
        let paths: BTreeMap<String, String> = paths
            .iter()
            .filter(|(p, _)| !paths.keys().any(|q| q.starts_with(&format!("{p}/"))))
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect();
        let removed: Vec<String> = paths.keys().step_by(remove_every).cloned().collect();
        same_as_git(&paths, &removed, version, false);
    }
}
