//! lore edits git's index itself (one splice, one write): git must accept every index it
//! leaves, in every index version, with git's caches in place.

use crate::support::*;

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

fn shared_indexes(s: &TestStore) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(s.root().join(".git"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sharedindex."))
        .collect();
    v.sort();
    v
}

/// The index is split: its small part links to a shared index (git's `link` extension).
fn is_split(s: &TestStore) -> bool {
    let bytes = std::fs::read(s.root().join(".git/index")).unwrap();
    bytes.windows(4).any(|w| w == b"link")
}

/// git agrees that the index holds exactly HEAD plus `extra` (git's `ls-files` order).
fn index_is_head_plus(s: &TestStore, extra: &[&str]) {
    let mut want: Vec<String> = s
        .git(&["ls-tree", "-r", "--name-only", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect();
    want.extend(extra.iter().map(|e| e.to_string()));
    want.sort();
    let mut got: Vec<String> = s.git(&["ls-files"]).lines().map(str::to_string).collect();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn a_split_index_stays_split_small_and_readable_by_git() {
    let s = TestStore::new();
    s.record("Before splitting", "d");
    // core.splitIndex = true: lore splits at its next save, as git would at its next write.
    s.git(&["config", "core.splitIndex", "true"]);
    s.record("Splits the index", "d");
    assert!(is_split(&s), "lore split the index");
    assert!(!shared_indexes(&s).is_empty());
    for i in 0..5 {
        s.record(&format!("Into the small part {i}"), "d");
    }
    assert!(is_split(&s));
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert_eq!(s.git(&["write-tree"]), s.git(&["rev-parse", "HEAD^{tree}"]));
    index_is_head_plus(&s, &[]);

    // git's own writes in between: a new file staged, a committed file changed and staged
    // (which git stores as a replacement of a shared entry), then more saves.
    std::fs::write(s.root().join("new.txt"), "new\n").unwrap();
    s.git(&["add", "new.txt"]);
    git_commit(s.root(), &["-m", "new"]);
    std::fs::write(s.root().join("new.txt"), "changed\n").unwrap();
    s.git(&["add", "new.txt"]);
    s.record("After git wrote the index", "d");
    assert_eq!(s.git(&["status", "--porcelain"]), "M  new.txt\n");
    index_is_head_plus(&s, &[]);

    // A save that fails after staging takes its entry back out (a removal, which may touch
    // the shared part): the index is merged, changed and split again.
    let before = s.snapshot();
    let out = s
        .cmd()
        .env("LORE_FAULT", "before-ref:error")
        .args(["record", "--title", "Rolled back", "--domain", "d"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(s.snapshot(), before);
    assert_eq!(s.git(&["status", "--porcelain"]), "M  new.txt\n");
    assert!(is_split(&s));
    let doctor = s.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stdout(&doctor));
    s.git(&["fsck", "--no-dangling"]);
}

#[test]
fn the_small_part_is_folded_into_a_new_shared_index_as_it_grows() {
    let s = TestStore::new();
    s.git(&["config", "core.splitIndex", "true"]);
    // git's rule: fold when the small part passes this share of the shared one; 0 = always.
    s.git(&["config", "splitIndex.maxPercentChange", "0"]);
    s.record("First", "d");
    let first = shared_indexes(&s);
    s.record("Second", "d");
    let second = shared_indexes(&s);
    assert!(
        second.len() > first.len(),
        "a new shared index: {first:?} then {second:?}"
    );
    assert!(is_split(&s));
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    index_is_head_plus(&s, &[]);

    // Superseded shared indexes are deleted (here at once, as git's `now` says), keeping the
    // current one and the one before it: folding often must not pile up copies of the index.
    s.git(&["config", "splitIndex.sharedIndexExpire", "now"]);
    for i in 0..4 {
        s.record(&format!("Folded again {i}"), "d");
    }
    let left = shared_indexes(&s);
    assert!(left.len() <= 2, "{left:?}");
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    index_is_head_plus(&s, &[]);
    s.git(&["fsck", "--no-dangling"]);
}

#[test]
fn core_split_index_false_makes_the_index_whole_again() {
    let s = TestStore::new();
    s.record("Before", "d");
    s.git(&["update-index", "--split-index"]);
    assert!(is_split(&s));
    s.git(&["config", "core.splitIndex", "false"]);
    s.record("After", "d");
    assert!(!is_split(&s));
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    index_is_head_plus(&s, &[]);
}

#[test]
fn the_first_split_says_so_once_and_doctor_reports_a_split_index() {
    let s = TestStore::new();
    s.record("Before", "d");
    // Over 10,000 entries in git's index, added by git (which writes it whole).
    let vendor = s.root().join("vendor");
    std::fs::create_dir(&vendor).unwrap();
    for i in 0..10_050 {
        std::fs::write(vendor.join(format!("f{i}")), "x").unwrap();
    }
    s.git(&["add", "vendor"]);
    git_commit(s.root(), &["-q", "-m", "vendor"]);
    assert!(!is_split(&s));
    let notice = |out: &std::process::Output| stderr(out).contains("lore split it");
    let first = s.run(&["record", "--title", "Splits", "--domain", "d"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(is_split(&s));
    let said = stderr(&first);
    assert!(
        notice(&first) && said.contains("libgit2") && said.contains("core.splitIndex false"),
        "what it breaks and how to turn it off: {said}"
    );
    let second = s.run(&["record", "--title", "Stays split", "--domain", "d"]);
    assert!(!notice(&second), "once: {}", stderr(&second));
    let doctor = s.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(0), "information, not a problem");
    assert!(
        stdout(&doctor).contains("info: git's index is split"),
        "{}",
        stdout(&doctor)
    );
    // Turned off: whole again at the next save, without a word, and doctor is quiet.
    s.git(&["config", "core.splitIndex", "false"]);
    let whole = s.run(&["record", "--title", "Whole again", "--domain", "d"]);
    assert!(!notice(&whole));
    assert!(!is_split(&s));
    assert!(!stdout(&s.run(&["doctor"])).contains("split"));
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
}
