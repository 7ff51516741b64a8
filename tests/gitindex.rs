//! lore edits git's index itself (one splice, one write): git must accept every index it
//! leaves, in every index version, with git's caches in place.

mod common;

use common::*;

#[test]
fn git_accepts_the_index_lore_writes_in_every_version() {
    for version in ["2", "3", "4"] {
        let s = TestStore::new();
        s.record("First", "d");
        s.git(&["update-index", "--index-version", version]);
        // git's caches: a cache tree (from write-tree) and the untracked cache.
        s.git(&["config", "core.untrackedCache", "true"]);
        std::fs::write(s.root().join("notes.txt"), "mine\n").unwrap();
        if version == "3" {
            // git demotes version 3 to 2 unless an entry needs extended flags, as an
            // intent-to-add entry does: lore must carry such entries over intact.
            s.git(&["add", "-N", "notes.txt"]);
        }
        s.git(&["write-tree"]);
        let status = s.git(&["status", "--porcelain"]);
        assert!(status.contains("notes.txt"), "{status}");

        for i in 0..3 {
            s.record(&format!("Saved over version {version} #{i}"), "d");
        }
        assert_eq!(
            s.git(&["update-index", "--show-index-version"]).trim(),
            version,
            "the index keeps its version"
        );
        // Clean but for the untracked file, and the index matches HEAD exactly.
        assert_eq!(s.git(&["status", "--porcelain"]), status, "v{version}");
        let committed = s.git(&["ls-tree", "-r", "--name-only", "HEAD"]);
        if version == "3" {
            assert_eq!(s.git(&["ls-files"]), format!("{committed}notes.txt\n"));
        } else {
            assert_eq!(
                s.git(&["write-tree"]),
                s.git(&["rev-parse", "HEAD^{tree}"]),
                "v{version}: the index's tree is HEAD's"
            );
            assert_eq!(s.git(&["ls-files"]), committed, "v{version}");
        }
        // git can still change it afterwards, and lore can change what git wrote.
        s.git(&["add", "notes.txt"]);
        s.record("After git add", "d");
        assert_eq!(
            s.git(&["status", "--porcelain"]),
            "A  notes.txt\n",
            "v{version}"
        );
        s.git(&["fsck", "--no-dangling"]);
    }
}

#[test]
fn an_index_lore_cannot_edit_is_refused_and_nothing_is_written() {
    let s = TestStore::new();
    s.record("Before", "d");
    s.git(&["update-index", "--split-index"]);
    let before = s.snapshot();
    let out = s.run(&["record", "--title", "Split", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("split index") && err.contains("--no-split-index"),
        "{err}"
    );
    assert_eq!(s.snapshot(), before);
    // Following the advice makes saves work again.
    s.git(&["update-index", "--no-split-index"]);
    s.record("After", "d");
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
}
