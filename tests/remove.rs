//! `lore rm`: a learning out of the work tree, HEAD and the index in one commit, and back with
//! `git revert`.

use crate::support::pty::Tui;
use crate::support::*;

#[test]
fn rm_without_a_terminal_needs_yes_and_writes_nothing_without_it() {
    let s = TestStore::new();
    s.record("Still here", "d");
    let before = s.snapshot();
    let out = s.run(&["rm", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(s.snapshot(), before);
    let out = s.run(&["rm", "99", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no learning"), "{}", stderr(&out));
    assert_eq!(s.snapshot(), before);
}

#[test]
fn rm_removes_file_and_row_in_one_commit_and_revert_brings_it_back_as_a_new_id() {
    let s = TestStore::new();
    s.record("Keep me", "d");
    s.ok(&[
        "record",
        "--title",
        "Remove me",
        "--domain",
        "ops",
        "--tags",
        "a,b",
    ]);
    s.record("Keep me too", "d");
    let path = s.path_of("Remove me");
    let commits = s.commit_count();
    let out = s.ok(&["rm", "2", "--yes", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["id"], 2);
    assert_eq!(v["filepath"], path.as_str());
    assert_eq!(v["tags"], serde_json::json!(["a", "b"]));
    assert_eq!(s.git(&["rev-parse", "HEAD"]).trim(), v["commit"]);
    assert_eq!(s.commit_count(), commits + 1);
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "failure: Remove me (removed)"
    );
    assert_eq!(
        s.git(&["show", "--name-status", "--format=", "HEAD"])
            .trim(),
        format!("D\t{path}"),
        "the commit holds exactly the removal"
    );
    assert!(!s.root().join(&path).exists());
    assert!(!s.files_in_head().contains(&path));
    assert_eq!(s.row_count(), 2);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert!(s.run(&["doctor"]).status.success(), "{}", s.ok(&["doctor"]));
    assert_eq!(s.run(&["show", "2"]).status.code(), Some(1));
    assert!(
        s.ok(&["search", "Remove"]).contains("no learning matches"),
        "still found by search"
    );
    // By path too; the id is never handed out again.
    let other = s.path_of("Keep me too");
    assert!(s.ok(&["rm", &other, "--yes"]).contains("removed #3"));
    let next = s.ok(&["record", "--title", "After", "--domain", "d", "--json"]);
    let next: serde_json::Value = serde_json::from_str(&next).unwrap();
    assert_eq!(next["id"], 4, "an id was reused");
    // It stays in git's history: reverting the commit brings it back.
    let commit = v["commit"].as_str().unwrap();
    s.git(&["revert", "--no-edit", commit]);
    assert!(s.root().join(&path).exists());
    let list = s.ok(&["list"]);
    assert!(list.contains("Remove me"), "{list}");
    let back: serde_json::Value = serde_json::from_str(&s.ok(&["show", &path, "--json"])).unwrap();
    assert_eq!(back["id"], 5, "back as a new id");
    assert!(s.run(&["doctor"]).status.success());
}

#[test]
fn another_tools_row_for_a_file_outside_memory_is_neither_removed_nor_edited() {
    let s = TestStore::new();
    std::fs::create_dir_all(s.root().join(".coordination")).unwrap();
    std::fs::write(s.root().join(".coordination/AGENT_LOG.md"), "# Agent log\n").unwrap();
    s.git(&["add", ".coordination/AGENT_LOG.md"]);
    s.git(&["commit", "-qm", "an agent's log"]);
    s.db()
        .execute(
            "INSERT INTO learnings (type, filepath, title, domain, severity) VALUES ('success', '.coordination/AGENT_LOG.md', 'Agent log', 'process', 2)",
            [],
        )
        .unwrap();
    let before = s.snapshot();
    for args in [
        &["rm", "1", "--yes"][..],
        &["edit", "1", "--title", "Mine now"][..],
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("another tool's row"),
            "{}",
            stderr(&out)
        );
        assert_eq!(s.snapshot(), before);
    }
    assert!(s.root().join(".coordination/AGENT_LOG.md").exists());
    assert_eq!(s.row_count(), 1);
}

#[test]
fn rm_of_a_learning_whose_file_is_already_gone_takes_it_out_of_head() {
    let s = TestStore::new();
    s.record("Deleted by hand", "d");
    let path = s.path_of("Deleted by hand");
    std::fs::remove_file(s.root().join(&path)).unwrap();
    s.ok(&["rm", "1", "--yes"]);
    assert!(!s.files_in_head().contains(&path));
    assert_eq!(s.row_count(), 0);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
}

#[test]
fn rm_asks_on_a_terminal_and_only_yes_removes() {
    let s = TestStore::new();
    s.record("Kept after no", "d");
    let before = s.snapshot();
    let mut t = Tui::start(&s, &["rm", "1"], &[]);
    t.wait_for("Remove #1 Kept after no");
    t.wait_for("[y/N]");
    t.keys("n\r");
    assert!(!t.wait_exit().success(), "a no is not a success");
    assert_eq!(s.snapshot(), before, "a no changed the store");
    let mut t = Tui::start(&s, &["rm", "1"], &[]);
    t.wait_for("[y/N]");
    t.keys("y\r");
    assert!(t.wait_exit().success());
    t.wait_for("removed #1");
    assert_eq!(s.row_count(), 0);
    assert!(s.files_in_head().is_empty(), "{:?}", s.files_in_head());
}
