//! `lore edit`: fields changed in place by flags, in one commit; bad values refused before
//! anything is written.

use crate::support::pty::Tui;
use crate::support::*;

fn row(s: &TestStore, id: i64) -> serde_json::Value {
    serde_json::from_str(&s.ok(&["show", &id.to_string(), "--json"])).unwrap()
}

#[test]
fn flags_change_fields_in_place_in_one_commit_and_keep_the_rest_of_the_file() {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "Old title",
        "--domain",
        "ci",
        "--root-cause",
        "Unknown yet",
    ]);
    // The user's own section, committed by hand.
    let path = s.path_of("Old title");
    let file = s.root().join(&path);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n## My notes\n\nKeep these.\n");
    std::fs::write(&file, &text).unwrap();
    s.git(&["commit", "-qam", "notes by hand"]);
    let commits = s.commit_count();
    let out = s.ok(&[
        "edit",
        "1",
        "--title",
        "New title",
        "--tags",
        "lock, ci",
        "--severity",
        "high",
        "--root-cause",
        "A stale lock\nleft by a crash",
    ]);
    assert!(out.starts_with("edited #1"), "{out}");
    assert_eq!(s.commit_count(), commits + 1);
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "failure: New title (edited)"
    );
    assert_eq!(
        s.git(&["show", "--name-only", "--format=", "HEAD"]).trim(),
        path,
        "the commit holds exactly the file"
    );
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.starts_with("# New title\n"), "{after}");
    assert!(
        after.contains("**Severity**: 4\n**Tags**: lock,ci\n"),
        "{after}"
    );
    assert!(
        after.contains("## Root Cause\n\nA stale lock\nleft by a crash\n"),
        "{after}"
    );
    assert!(after.ends_with("## My notes\n\nKeep these.\n"), "{after}");
    assert!(!after.contains("Unknown yet"));
    let r = row(&s, 1);
    assert_eq!(r["title"], "New title");
    assert_eq!(r["severity"], 4);
    assert_eq!(r["tags"], serde_json::json!(["lock", "ci"]));
    assert_eq!(r["body"], serde_json::json!(after));
    assert!(s.ok(&["search", "stale crash"]).contains("New title"));
    assert!(s.ok(&["search", "Unknown"]).contains("no learning matches"));
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert!(s.run(&["doctor"]).status.success());
    // The same again changes nothing and commits nothing.
    let out = s.ok(&["edit", "1", "--title", "New title"]);
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(s.commit_count(), commits + 1);
    // --json: the learning as it is now, with the commit.
    let v: serde_json::Value =
        serde_json::from_str(&s.ok(&["edit", &path, "--domain", "deploy", "--json"])).unwrap();
    assert_eq!(v["domain"], "deploy");
    assert_eq!(s.git(&["rev-parse", "HEAD"]).trim(), v["commit"]);
}

#[test]
fn bad_values_and_no_flags_without_a_terminal_are_refused_and_write_nothing() {
    let s = TestStore::new();
    s.record("Untouched", "d");
    let before = s.snapshot();
    let long = "x".repeat(501);
    for (args, field) in [
        (vec!["edit", "1", "--title", "  "], "title:"),
        (vec!["edit", "1", "--title", long.as_str()], "title:"),
        (vec!["edit", "1", "--severity", "9"], "severity:"),
        (vec!["edit", "1"], "edit:"),
        (vec!["edit", "1", "--type", "success"], "--type"),
    ] {
        let out = s.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(field), "{args:?}: {}", stderr(&out));
        assert_eq!(s.snapshot(), before, "{args:?} wrote something");
    }
    let out = s.run(&["edit", "7", "--title", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(s.snapshot(), before);
}

#[test]
fn lore_edit_on_a_terminal_opens_the_same_editor_as_e_and_commits_once() {
    let s = TestStore::new();
    s.record("Edited from the command line", "d");
    let tools = tempfile::tempdir().unwrap();
    let editor = tools.path().join("an editor.sh");
    write_executable(&editor, "#!/bin/sh\nsed -i \"1a $1\" \"$2\"\n");
    let commits = s.commit_count();
    s.git(&["config", "core.editor", "false"]);
    // lore's own `editor` key first, then GIT_EDITOR…: here GIT_EDITOR, quoted, with a space.
    let command = format!("'{}' 'Added by lore edit.'", editor.display());
    let mut t = Tui::start(
        &s,
        &["edit", "1"],
        &[("GIT_EDITOR", command.as_str()), ("VISUAL", "false")],
    );
    assert!(t.wait_exit().success(), "{}", t.screen());
    t.wait_for("edited #1");
    assert_eq!(s.commit_count(), commits + 1);
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "failure: Edited from the command line (edited)"
    );
    let body = s.ok(&["show", "1"]);
    assert!(body.contains("Added by lore edit."), "{body}");
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    // An editor that fails commits nothing.
    let mut t = Tui::start(&s, &["edit", "1"], &[("GIT_EDITOR", "false")]);
    assert!(!t.wait_exit().success());
    t.wait_for("nothing was committed");
    assert_eq!(s.commit_count(), commits + 1);
}
