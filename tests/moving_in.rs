//! Moving in: a store the `record-failure.sh` script made, opened by lore for the first time,
//! shows everything it holds.

use std::collections::BTreeMap;

use crate::support::schema::conforms;
use crate::support::script_store::script_store;
use crate::support::*;

fn listed(s: &TestStore) -> BTreeMap<String, i64> {
    let out = s.ok(&["list", "--limit", "100000", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let mut by_path = BTreeMap::new();
    for r in rows {
        let path = r["filepath"].as_str().unwrap().to_string();
        let id = r["id"].as_i64().unwrap();
        assert!(
            by_path.insert(path.clone(), id).is_none(),
            "{path} listed twice"
        );
    }
    by_path
}

#[test]
fn the_first_open_of_a_script_store_indexes_every_committed_learning_and_says_so() {
    let f = script_store(265, 38);
    let s = &f.store;
    let ids_before: BTreeMap<String, i64> = {
        let db = s.db();
        let mut st = db.prepare("SELECT filepath, id FROM learnings").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(ids_before.len(), 38 + 1, "the fixture's rows");

    // The first look: every committed learning gets a row, with word on stderr when it takes
    // a while (here: at once).
    let out = s
        .cmd()
        .args(["list", "--limit", "5"])
        .env("LORE_TEST_PROGRESS_AFTER_MS", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let missing = f.learnings - f.rows;
    assert!(
        err.contains(&format!(
            "indexing the store's committed learnings for the first time: 0 of {missing}"
        )) && err.contains(&format!("indexed {missing} committed learnings")),
        "{err}"
    );

    // Everything is listed, once; the rows the script had keep their ids.
    let rows = listed(s);
    for i in 0..f.learnings {
        let path = format!(
            "memory/failures/2025{:02}{:02}_migrated-failure-{i}.md",
            1 + i % 12,
            1 + i % 28
        );
        assert!(rows.contains_key(&path), "{path} is not listed");
    }
    for (path, id) in &ids_before {
        assert_eq!(rows.get(path), Some(id), "{path} changed its id");
    }
    // New rows come after the counter the other tool left ahead.
    let newest = rows.values().max().unwrap();
    assert!(
        *newest > 38 + 1 + 50,
        "ids were handed out under the counter: {newest}"
    );

    // And searchable: a word only in a file the old index had no row for.
    let found = s.ok(&["search", "quokka200", "--json"]);
    assert!(found.contains("migrated-failure-200.md"), "{found}");

    // Doctor no longer finds committed learnings missing from the index; later looks are
    // quiet.
    let doctor = s.run(&["doctor"]);
    assert!(
        !stdout(&doctor).contains("committed but not in the index"),
        "{}",
        stdout(&doctor)
    );
    let again = s
        .cmd()
        .args(["list"])
        .env("LORE_TEST_PROGRESS_AFTER_MS", "0")
        .output()
        .unwrap();
    assert!(!stderr(&again).contains("indexing"), "{}", stderr(&again));

    // The tracked index's journal files are kept out of `git status` (and `git add -A`).
    let status = s.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(
        !status.contains("index.db-wal") && !status.contains("index.db-shm"),
        "{status}"
    );

    // `#1`, as lists print it, names row 1.
    let shown = s.ok(&["show", "#1"]);
    assert!(shown.contains("Migrated failure 0 quokka0"), "{shown}");

    // The template is no learning; a file without a Date line is dated by the commit that
    // added it (number 209 is in the last batch, which has no row in the old index).
    assert!(!rows.keys().any(|p| p.ends_with("TEMPLATE.md")), "{rows:?}");
    let created: String = s
        .db()
        .query_row(
            "SELECT created_at FROM learnings WHERE filepath LIKE '%migrated-failure-209.md'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        created.starts_with(&crate::support::script_store::commit_date(2)[..10]),
        "{created}"
    );

    // Other tools' rows are untouched.
    let db = s.db();
    let kept: i64 = db
        .query_row(
            "SELECT count(*) FROM heuristics WHERE learning_id = 99999",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 1);
}

#[test]
fn init_on_a_store_says_it_already_is_one() {
    let s = TestStore::new();
    let out = std::process::Command::new(LORE)
        .arg("init")
        .arg(s.root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("is already a lore store"),
        "{}",
        stdout(&out)
    );
    let fresh = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(LORE)
        .arg("init")
        .arg(fresh.path().join("new"))
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("initialised a lore store"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_empty_lore_store_variable_is_no_store_given() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(LORE)
        .args(["list"])
        .env("LORE_STORE", "")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "LORE_STORE= is not a --store without its value: {}",
        stderr(&out)
    );
    assert!(
        home.path().join("data/lore/.git").exists(),
        "the default store"
    );
}

#[test]
fn importing_a_file_that_is_not_markdown_says_why_and_imports_nothing() {
    let s = TestStore::new();
    let before = s.snapshot();
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "# A note\n\nnot markdown by name\n").unwrap();
    let template = dir.path().join("TEMPLATE.md");
    std::fs::write(&template, "# [Short Title]\n").unwrap();
    for named in [&notes, &template] {
        let out = s.run(&["import", named.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(&*named.to_string_lossy()), "{err}");
        assert!(err.contains("Nothing imported"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert_eq!(s.snapshot(), before, "nothing written");
    }
    // In a folder they are passed over; the markdown beside them is imported.
    std::fs::write(
        dir.path().join("real.md"),
        "# Real one\n\n**Date:** 2026-01-02\n\n## What Happened\nit broke\n",
    )
    .unwrap();
    let out = s.ok(&["import", "--json", dir.path().to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["imported"].as_array().unwrap().len(), 1, "{out}");
}

#[test]
fn a_bare_repository_is_named_as_one_and_init_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("team.git");
    git(dir.path(), &["init", "-q", "--bare", "team.git"]);
    let listing = || {
        let mut v: Vec<String> = std::fs::read_dir(&bare)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let before = listing();
    for args in [
        &["--store", bare.to_str().unwrap(), "list"][..],
        &["init", bare.to_str().unwrap()],
    ] {
        let out = std::process::Command::new(LORE)
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("is a bare git repository") && err.contains("git clone"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("lore init"),
            "{args:?}: must not suggest init: {err}"
        );
        assert_eq!(listing(), before, "{args:?} wrote into the bare repository");
    }
}

#[test]
fn doctor_on_a_migrated_store_can_come_back_clean_and_dates_undated_files_by_their_commit() {
    let f = script_store(60, 20);
    let s = &f.store;
    s.ok(&["list"]);
    let elsewhere: i64 = s
        .db()
        .query_row(
            "SELECT id FROM learnings WHERE filepath = 'notes/elsewhere.md'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let first = s.run(&["doctor"]);
    assert_eq!(first.status.code(), Some(1), "{}", stdout(&first));
    let report = stdout(&first);
    assert!(
        report.contains(&format!("#{elsewhere} notes/elsewhere.md"))
            && report.contains("lore doctor --settle"),
        "{report}"
    );
    assert!(
        !report.contains("TEMPLATE"),
        "a template is no learning: {report}"
    );

    // Settled once: kept, and no longer a problem.
    let rows_before = s.row_count();
    let settled = s.run(&["doctor", "--settle"]);
    assert_eq!(settled.status.code(), Some(0), "{}", stdout(&settled));
    assert!(
        stdout(&settled).contains(&format!("settled #{elsewhere} notes/elsewhere.md")),
        "{}",
        stdout(&settled)
    );
    let later = s.run(&["doctor", "--json"]);
    assert_eq!(later.status.code(), Some(0), "{}", stdout(&later));
    let v: serde_json::Value = serde_json::from_str(&stdout(&later)).unwrap();
    conforms("doctor", &v);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    assert!(
        v["info"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "settled-row" && i["id"] == elsewhere),
        "{v}"
    );
    assert_eq!(s.row_count(), rows_before, "nothing deleted");

    // An undated file indexed again by `reindex` or by `doctor --fix` is dated by the commit
    // that added it (numbers 29 and 39 are undated, in the second batch).
    let created = |n: usize| -> String {
        s.db()
            .query_row(
                &format!(
                    "SELECT created_at FROM learnings WHERE filepath LIKE '%migrated-failure-{n}.md'"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let day = &crate::support::script_store::commit_date(1)[..10];
    let forget = |n: usize| {
        s.db()
            .execute(
                &format!("DELETE FROM learnings WHERE filepath LIKE '%migrated-failure-{n}.md'"),
                [],
            )
            .unwrap();
    };
    forget(29);
    s.ok(&["reindex"]);
    assert!(created(29).starts_with(day), "reindex: {}", created(29));
    forget(39);
    let fixed = s.run(&["doctor", "--fix"]);
    assert!(fixed.status.success(), "{}", stdout(&fixed));
    assert!(
        created(39).starts_with(day),
        "doctor --fix: {}",
        created(39)
    );
}

/// The stand-in's learning is whole: its file on disk and in HEAD, its row in the index, and
/// nothing of it left staged.
fn whole(s: &TestStore, rel: &str) {
    assert!(s.root().join(rel).is_file(), "{rel} on disk");
    assert!(s.files_in_head().iter().any(|f| f == rel), "{rel} in HEAD");
    let rows: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM learnings WHERE filepath = ?1",
            [rel],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 1, "{rel}'s row");
    let status = s.git(&["status", "--porcelain"]);
    assert!(!status.contains(rel), "{status}");
}

#[test]
fn adopt_explains_what_it_would_break_where_the_script_is_in_use_and_the_script_keeps_working() {
    use crate::support::script_store::{Script, stand_in_record};
    let f = script_store(30, 10);
    let s = &f.store;
    s.ok(&["list"]);
    // The script beside lore, before any adoption.
    let first = stand_in_record(s.root(), Script::AsShipped, "Before adopting").unwrap();
    whole(s, &first);
    let commits = s.commit_count();

    // Asked to adopt without a word from the user about the script: it explains and refuses.
    let out = s.run(&["adopt", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stdout(&out);
    for sign in [
        "record-failure.sh looks in use",
        "commits are the script's",
        "opened the lock file",
        "its `git add memory/index.db` is refused",
        "delete its `git add memory/index.db` line",
        "Or do nothing",
    ] {
        assert!(said.contains(sign), "{sign:?} in:\n{said}");
    }
    assert!(
        stderr(&out).contains("--script-updated"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.commit_count(), commits, "nothing changed");
    assert!(s.git(&["ls-files"]).contains("memory/index.db"));
    // Declined, the script goes on working.
    let second = stand_in_record(s.root(), Script::AsShipped, "After declining").unwrap();
    whole(s, &second);

    // The script updated as adopt says, and adoption confirmed: the updated script's record
    // is whole, and the index is no longer committed by anyone.
    let out = s.run(&["adopt", "--yes", "--script-updated"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("adopted"), "{}", stdout(&out));
    let third = stand_in_record(s.root(), Script::Updated, "After adopting").unwrap();
    whole(s, &third);
    assert!(!s.git(&["ls-files"]).contains("memory/index.db"));
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    // lore sees all three.
    let listed = s.ok(&["list", "--limit", "1000"]);
    for t in ["Before adopting", "After declining", "After adopting"] {
        assert!(listed.contains(t), "{t} listed:\n{listed}");
    }
}

#[test]
fn a_script_made_learning_moved_by_hand_keeps_its_id_and_its_old_path_finds_it() {
    let f = script_store(30, 10);
    let s = &f.store;
    let before = listed(s);
    let old = "memory/failures/20250202_migrated-failure-1.md";
    let id = before[old];
    let new = "memory/failures/20250202_migrated-failure-1-moved.md";
    s.git(&["mv", old, new]);
    git_commit(s.root(), &["-m", "tidy a name"]);
    let after = listed(s);
    assert_eq!(after.get(new), Some(&id), "the row followed the file");
    assert!(!after.contains_key(old));
    assert_eq!(after.len(), before.len());
    let shown = s.run(&["show", old]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(
        stdout(&shown).contains(&format!("#{id} Migrated failure 1 quokka1"))
            && stdout(&shown).contains(new),
        "{}",
        stdout(&shown)
    );
    assert!(stderr(&shown).contains("moved to"), "{}", stderr(&shown));
}
