//! `lore reindex` and `lore doctor`: rebuilding the index from git, and finding and repairing
//! what crashes and other tools leave behind.

use crate::support::schema::conforms;
use crate::support::*;
use std::time::Duration;

fn rows(s: &TestStore) -> Vec<(i64, String, String, String, i64)> {
    let db = s.db();
    let mut stmt = db
        .prepare("SELECT id, type, filepath, title, CAST(severity AS INTEGER) FROM learnings ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn a_garbage_index_is_a_clear_error_and_reindex_rebuilds_it_with_the_same_ids() {
    let s = TestStore::new();
    for t in ["first", "second", "third"] {
        s.record(t, "d");
    }
    let before = rows(&s);
    for f in ["index.db-wal", "index.db-shm"] {
        let _ = std::fs::remove_file(s.root().join("memory").join(f));
    }
    std::fs::write(s.root().join("memory/index.db"), "this is not a database").unwrap();
    let out = s.run(&["list"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("lore reindex") && !err.contains("panicked"),
        "{err}"
    );
    let out = s.ok(&["reindex"]);
    assert!(out.contains("reindexed 3 file(s)"), "{out}");
    let after = rows(&s);
    assert_eq!(
        after.iter().map(|r| (&r.2, &r.3)).collect::<Vec<_>>(),
        before.iter().map(|r| (&r.2, &r.3)).collect::<Vec<_>>()
    );
    // Reindexing a readable index keeps every id, and twice gives identical rows.
    s.ok(&["reindex"]);
    let again = rows(&s);
    s.ok(&["reindex"]);
    assert_eq!(rows(&s), again);
    assert_eq!(again, after);
    let hits: serde_json::Value =
        serde_json::from_str(&s.ok(&["search", "second", "--json"])).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
}

#[test]
fn reindex_keeps_what_lore_does_not_own() {
    let s = TestStore::new();
    s.record("indexed", "d");
    let db = s.db();
    db.execute_batch(
        "CREATE TABLE heuristics (id INTEGER PRIMARY KEY, rule TEXT);
         INSERT INTO heuristics (rule) VALUES ('check twice');
         CREATE TRIGGER learnings_validate_insert BEFORE INSERT ON learnings BEGIN
           SELECT RAISE(ABORT, 'invalid type') WHERE NEW.type NOT IN ('failure','success','heuristic','experiment','observation');
         END;
         INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('success', '.coordination/AGENT_LOG.md', 'agent log', 's', 'process', 2);",
    )
    .unwrap();
    drop(db);
    let before = rows(&s);
    let out = s.ok(&["reindex", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["kept_rows"], 1, "{report}");
    assert_eq!(report["kept_tables"], serde_json::json!(["heuristics"]));
    conforms("reindex", &report);
    assert_eq!(rows(&s), before);
    let db = s.db();
    let rule: String = db
        .query_row("SELECT rule FROM heuristics", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rule, "check twice");
    let trigger: i64 = db
        .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'learnings_validate_insert'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(trigger, 1);
    let events: i64 = db
        .query_row("SELECT count(*) FROM lock_events", [], |r| r.get(0))
        .unwrap();
    assert!(events >= 1, "the lock history is kept");
}

#[test]
fn every_sample_indexes_to_its_fields() {
    let s = TestStore::new();
    let samples =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples/memory");
    for sub in ["failures", "successes"] {
        std::fs::create_dir_all(s.root().join("memory").join(sub)).unwrap();
        for e in std::fs::read_dir(samples.join(sub)).unwrap().flatten() {
            std::fs::copy(
                e.path(),
                s.root().join("memory").join(sub).join(e.file_name()),
            )
            .unwrap();
        }
    }
    s.git(&["add", "memory"]);
    s.git(&["commit", "-q", "-m", "samples"]);
    s.ok(&["reindex"]);
    let db = s.db();
    let get = |path: &str| -> (String, String, Option<String>, i64, String) {
        db.query_row(
            "SELECT type, title, domain, CAST(severity AS INTEGER), created_at FROM learnings WHERE filepath = ?",
            [format!("memory/{path}")],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
    };
    let (kind, title, domain, sev, created) =
        get("failures/2025-12-01-file-edit-race-condition.md");
    assert_eq!(
        (kind.as_str(), title.as_str(), domain.as_deref(), sev),
        (
            "failure",
            "Repeated Edit Tool Failures Due to External File Modification",
            Some("debugging, process"),
            3
        )
    );
    assert_eq!(created, "2025-12-01 00:00:00");
    let (kind, title, domain, sev, _) = get("successes/20241130_vram-rag-architecture-review.md");
    assert_eq!(
        (kind.as_str(), title.as_str(), domain.as_deref(), sev),
        (
            "success",
            "VRAM+RAG Architecture Review (Coordinated Agents)",
            Some("infrastructure"),
            5
        )
    );
    let (_, title, _, _, _) = get("failures/20251201_31mred0m.md");
    // An old script wrote these raw: the index keeps them escaped, as every screen shows them.
    assert_eq!(title, "\\e[31mRED\\e[0m", "escape sequences kept visible");
    let (_, title, _, _, _) = get("failures/20251201_testbell.md");
    assert_eq!(title, "Test\\x07BELL");
    let (_, title, domain, sev, created) = get("failures/20251201_edgecase3-multiline-summary.md");
    assert_eq!(
        (title.as_str(), domain.as_deref(), sev, created.as_str()),
        (
            "EdgeCase3: multiline summary",
            Some("testing"),
            2,
            "2025-12-01 00:00:00"
        )
    );
    let summary: String = db
        .query_row(
            "SELECT summary FROM learnings WHERE filepath LIKE '%edgecase3%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(summary, "Line 1 of summary");
    let n: i64 = db
        .query_row("SELECT count(*) FROM learnings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 9);
}

#[test]
fn doctor_finds_and_repairs_what_crashes_leave() {
    let s = TestStore::new();
    s.record("kept", "d");
    let out = s.ok(&["doctor"]);
    assert!(out.contains("ok:"), "{out}");

    // A crash after the file was written (never committed) and one after the commit (no row).
    for point in ["after-write", "after-commit"] {
        let out = s
            .cmd()
            .args([
                "record",
                "--title",
                &format!("crash {point}"),
                "--domain",
                "d",
            ])
            .env("LORE_FAULT", format!("{point}:crash"))
            .output()
            .unwrap();
        assert!(!out.status.success());
    }
    // An interrupted save's temporary file, and a row whose file is gone.
    std::fs::write(
        s.root().join("memory/failures/.lore-99-1.tmp"),
        "# Recovered text\n\n**Domain**: d\n**Date**: 2026-01-02\n",
    )
    .unwrap();
    s.db()
        .execute("INSERT INTO learnings (type, filepath, title, domain, severity) VALUES ('failure', 'memory/failures/gone.md', 'gone', 'd', 3)", [])
        .unwrap();
    let out = s.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("crash-after-write.md: on disk but never committed"),
        "{text}"
    );
    // A commit without its row is taken in by any read (the index follows HEAD), doctor's
    // included: nothing to report.
    assert!(!text.contains("crash-after-commit.md"), "{text}");
    assert_eq!(
        s.db()
            .query_row(
                "SELECT count(*) FROM learnings WHERE title = 'crash after-commit'",
                [],
                |r| r.get::<_, i64>(0)
            )
            .unwrap(),
        1
    );
    assert!(
        text.contains(".lore-99-1.tmp: text of an interrupted save"),
        "{text}"
    );
    assert!(
        text.contains("memory/failures/gone.md: the index has a row whose file is nowhere"),
        "{text}"
    );
    // What --fix repairs is counted: the row without a file is reported, never dropped.
    let n = text.lines().count();
    assert!(
        stderr(&out).contains(&format!(
            "{n} problem(s) found; `lore doctor --fix` repairs {} of them",
            n - 1
        )),
        "{}",
        stderr(&out)
    );

    let out = s.run(&["doctor", "--fix"]);
    let text = stdout(&out);
    assert!(text.contains("fixed: recovered memory/failures/.lore-99-1.tmp as memory/failures/20260102_recovered-text.md"), "{text}");
    // Only the row without a file remains, reported and kept: exit 1.
    assert_eq!(out.status.code(), Some(1), "{text}");
    let remaining: Vec<&str> = text.lines().filter(|l| !l.starts_with("fixed:")).collect();
    assert_eq!(remaining.len(), 1, "{text}");
    assert!(remaining[0].contains("gone.md"));
    assert_eq!(
        s.files_in_head().len(),
        4,
        "kept, two crashed saves, the recovered text"
    );
    let titles: Vec<String> = rows(&s).into_iter().map(|r| r.3).collect();
    for t in [
        "kept",
        "crash after-write",
        "crash after-commit",
        "Recovered text",
        "gone",
    ] {
        assert!(titles.iter().any(|x| x == t), "{t} missing from {titles:?}");
    }
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
}

#[test]
fn doctor_restores_missing_files_breaks_stale_locks_and_leaves_git_locks() {
    let s = TestStore::new();
    s.record("will vanish", "d");
    let path = s.files_on_disk("failures")[0].clone();
    std::fs::remove_file(s.root().join("memory/failures").join(&path)).unwrap();
    let mut holder = hold(&s, 60, &["--lock-strategy", "mkdir"]);
    holder.kill().unwrap();
    holder.wait().unwrap();
    std::fs::write(s.root().join(".git/index.lock"), "").unwrap();
    let out = s.run(&["doctor"]);
    let text = stdout(&out);
    assert!(text.contains("committed but missing on disk"), "{text}");
    assert!(text.contains("stale lock directory"), "{text}");
    assert!(text.contains("index.lock: a git lock file"), "{text}");
    let out = s.run(&["doctor", "--fix"]);
    let text = stdout(&out);
    assert!(text.contains("fixed: restored"), "{text}");
    assert!(
        text.contains("fixed: removed the stale lock directory"),
        "{text}"
    );
    assert!(s.root().join("memory/failures").join(&path).exists());
    assert!(
        s.root().join(".git/index.lock").exists(),
        "git's lock file is never deleted"
    );
    assert_eq!(out.status.code(), Some(1));
    std::fs::remove_file(s.root().join(".git/index.lock")).unwrap();
    s.ok(&["doctor"]);
}

#[test]
fn loose_objects_are_packed_in_the_background_as_saves_pile_up() {
    let s = TestStore::new();
    // A low threshold (git's rule: more than ceil(256 / 256) = 1 loose object in objects/17),
    // so a few dozen saves are enough.
    s.git(&["config", "gc.auto", "256"]);
    let packs = || {
        std::fs::read_dir(s.root().join(".git/objects/pack"))
            .map(|rd| {
                rd.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".pack"))
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(packs(), 0);
    let mut saved = 0;
    while packs() == 0 && saved < 300 {
        s.record(&format!("Piling up {saved}"), "d");
        saved += 1;
        // git gc detaches; give it a moment when it has started.
        if s.root().join(".git/gc.pid").exists() {
            wait_until("git gc to finish", Duration::from_secs(60), || {
                !s.root().join(".git/gc.pid").exists()
            });
        }
    }
    assert!(packs() > 0, "no pack after {saved} saves");
    wait_until("git gc to finish", Duration::from_secs(60), || {
        !s.root().join(".git/gc.pid").exists()
    });
    let counts = s.git(&["count-objects", "-v"]);
    let field = |name: &str| -> usize {
        counts
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert!(field("in-pack:") > 0, "{counts}");
    assert!(
        field("count:") < saved * 7,
        "loose objects were not packed away: {counts}"
    );
    // Nothing lost, nothing damaged, and saves go on.
    s.record("After packing", "d");
    assert_eq!(s.files_in_head().len(), saved + 1);
    assert_eq!(s.row_count() as usize, saved + 1);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    s.git(&["fsck", "--strict"]);
}

#[test]
fn the_index_follows_commits_lore_did_not_make() {
    let s = TestStore::new();
    for t in ["Alpha learning", "Beta learning", "Gamma learning"] {
        s.record(t, "d");
    }
    let id_of = |title: &str| -> i64 {
        s.db()
            .query_row("SELECT id FROM learnings WHERE title = ?", [title], |r| {
                r.get(0)
            })
            .unwrap()
    };
    let alpha = id_of("Alpha learning");
    // Edited by hand and committed with git: the next read shows the new text, same id.
    let a = s.root().join(s.path_of("Alpha learning"));
    let text = std::fs::read_to_string(&a).unwrap();
    std::fs::write(
        &a,
        text.replace("# Alpha learning", "# Alpha, rewritten by hand")
            .replace("**Severity**: 3", "**Severity**: 5"),
    )
    .unwrap();
    git_commit(s.root(), &["-am", "edit alpha"]);
    let found = s.ok(&["search", "rewritten", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&found).unwrap();
    assert_eq!(rows[0]["id"], alpha, "{found}");
    assert_eq!(rows[0]["title"], "Alpha, rewritten by hand");
    assert_eq!(rows[0]["severity"], 5);
    // Removed with git: its row goes too (the text stays in history); doctor agrees.
    let beta = s.path_of("Beta learning");
    s.git(&["rm", "-q", &beta]);
    git_commit(s.root(), &["-m", "remove beta"]);
    assert!(!s.ok(&["list"]).contains("Beta learning"));
    let out = s.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // Added by another tool: listed.
    let added = "memory/failures/20260102_by-hand.md".to_string();
    std::fs::write(
        s.root().join(&added),
        "# Added by hand\n\n**Domain**: d\n**Severity**: 2\n**Tags**: \n**Date**: 2026-01-02\n\n## Summary\nx\n",
    )
    .unwrap();
    s.git(&["add", &added]);
    git_commit(s.root(), &["-m", "add by hand"]);
    assert!(s.ok(&["list"]).contains("Added by hand"));
    assert_eq!(s.row_count(), 3);

    // Reads beside saves never drop a save's row (a read that saw HEAD before a save's commit
    // must not take the save for a deletion).
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let root = s.root().to_path_buf();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let out = std::process::Command::new(LORE)
                        .arg("--store")
                        .arg(&root)
                        .args(["record", "--title", &format!("w{w} r{i}"), "--domain", "c"])
                        .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
                        .output()
                        .unwrap();
                    assert!(out.status.success(), "{}", stderr(&out));
                }
            })
        })
        .collect();
    let mut reads = 0;
    while writers.iter().any(|w| !w.is_finished()) {
        s.ok(&["list", "--limit", "1"]);
        reads += 1;
    }
    for w in writers {
        w.join().unwrap();
    }
    assert!(reads > 0);
    s.ok(&["list"]);
    assert_eq!(s.row_count(), 43);
    assert_eq!(s.files_in_head().len(), 43);
}

/// Another tool's part of `memory/index.db`, as real databases have it: foreign keys that rows
/// break (a parent deleted while the keys were off), AUTOINCREMENT tables whose counters ran
/// ahead of their rows, CHECKs, a view over `learnings`, triggers (one on `learnings` that
/// writes an audit row each time it fires), an index, a WITHOUT ROWID table.
const OTHER_TOOLS: &str = "
    PRAGMA foreign_keys = OFF;
    CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE child (
        id INTEGER PRIMARY KEY,
        parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
        note TEXT CHECK (length(note) > 0)
    );
    CREATE INDEX child_parent ON child(parent_id);
    INSERT INTO parent VALUES (1, 'kept'), (2, 'deleted');
    INSERT INTO child VALUES (10, 1, 'fine'), (11, 2, 'orphan'), (12, 2, 'orphan too');
    DELETE FROM parent WHERE id = 2;
    CREATE TABLE heuristics (id INTEGER PRIMARY KEY AUTOINCREMENT, rule TEXT NOT NULL CHECK (rule != ''));
    INSERT INTO heuristics (rule) VALUES ('check twice'), ('measure first'), ('gone');
    DELETE FROM heuristics WHERE rule = 'gone';
    CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT, at TEXT);
    CREATE TRIGGER learnings_audit AFTER INSERT ON learnings BEGIN
        INSERT INTO audit (what, at) VALUES ('insert ' || NEW.title, 'now');
    END;
    CREATE TRIGGER learnings_audit_update AFTER UPDATE ON learnings BEGIN
        INSERT INTO audit (what, at) VALUES ('update ' || NEW.title, 'now');
    END;
    CREATE TRIGGER heuristics_guard BEFORE DELETE ON heuristics BEGIN
        SELECT RAISE(ABORT, 'heuristics are never deleted');
    END;
    CREATE VIEW recent_failures AS SELECT id, title FROM learnings WHERE type = 'failure';
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
    INSERT INTO settings VALUES ('theme', 'dark'), ('agent', 'claude');
";

#[test]
fn reindex_keeps_every_table_row_view_trigger_and_counter_it_does_not_own() {
    let s = TestStore::new();
    s.record("first", "d");
    s.record("second", "d");
    let db = s.db();
    db.execute_batch(OTHER_TOOLS).unwrap();
    // Another tool's row for a file outside memory/, and a row that ran learnings' counter
    // ahead before it was deleted.
    db.execute_batch(
        "INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('success', '.coordination/AGENT_LOG.md', 'agent log', 's', 'process', 2);
         INSERT INTO learnings (type, filepath, title, domain, severity) VALUES ('failure', 'memory/failures/gone.md', 'gone', 'd', 3);
         DELETE FROM learnings WHERE title = 'gone';",
    )
    .unwrap();
    let orphans: i64 = db
        .query_row(
            "SELECT count(*) FROM pragma_foreign_key_check('child')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 2, "the fixture breaks its foreign keys");
    let dump = foreign_dump(&db);
    let counter = learnings_counter(&db);
    let learnings = rows(&s);
    drop(db);

    let out = s.ok(&["reindex", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["files"], 2, "{report}");
    assert_eq!(report["kept_rows"], 1, "{report}");
    assert_eq!(
        report["kept_tables"],
        serde_json::json!(["audit", "child", "heuristics", "parent", "settings"])
    );
    let db = s.db();
    assert_eq!(foreign_dump(&db), dump, "another tool's data changed");
    assert_eq!(learnings_counter(&db), counter, "learnings' counter moved");
    assert_eq!(rows(&s), learnings, "ids and rows are kept");
    drop(db);
    // The counter holds: the next learning takes an id never handed out before.
    let out = s.ok(&["record", "--title", "third", "--domain", "d", "--json"]);
    let recorded: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(recorded["id"], counter + 1, "{recorded}");
    // The other tool's trigger still works for the writes after the rebuild.
    let audited: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM audit WHERE what = 'insert third'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
    assert_eq!(
        s.ok(&["search", "second", "--json"])
            .matches("\"id\"")
            .count(),
        1
    );
}

#[test]
fn a_reindex_that_cannot_rebuild_fails_and_leaves_the_old_index_as_it_was() {
    let s = TestStore::new();
    s.record("alpha", "d");
    s.record("beta", "d");
    let db = s.db();
    db.execute_batch(OTHER_TOOLS).unwrap();
    // Another tool insists that titles are unique; then beta's file is retitled by hand and
    // committed with git, behind the index's back.
    db.execute_batch("CREATE UNIQUE INDEX other_unique_title ON learnings(title)")
        .unwrap();
    drop(db);
    let file = s.root().join(s.path_of("beta"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("# beta", "# alpha")).unwrap();
    git_commit(s.root(), &["-am", "retitled by hand"]);
    let db = s.db();
    let dump = foreign_dump(&db);
    drop(db);
    let learnings = rows(&s);
    let out = s.run(&["reindex"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("UNIQUE") && err.lines().count() == 1, "{err}");
    assert_eq!(foreign_dump(&s.db()), dump);
    assert_eq!(rows(&s), learnings);
    let leftovers: Vec<_> = std::fs::read_dir(s.root().join(".git/lore"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "work files left: {leftovers:?}");
}

#[test]
fn reindex_keeps_an_unreadable_index_beside_the_new_one_and_says_so() {
    let s = TestStore::new();
    s.record("first", "d");
    s.record("second", "d");
    for f in ["index.db-wal", "index.db-shm"] {
        let _ = std::fs::remove_file(s.root().join("memory").join(f));
    }
    let garbage = b"SQLite format 3\0 but not really a database at all".repeat(100);
    std::fs::write(s.root().join("memory/index.db"), &garbage).unwrap();
    let out = s.ok(&["reindex"]);
    assert!(out.contains("could not be read: it is kept as"), "{out}");
    let kept: Vec<_> = std::fs::read_dir(s.root().join("memory"))
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("index.db.corrupt-")
        })
        .map(|e| e.path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        out.contains(kept[0].file_name().unwrap().to_str().unwrap()),
        "{out}"
    );
    assert_eq!(std::fs::read(&kept[0]).unwrap(), garbage, "kept as it was");
    assert_eq!(s.row_count(), 2);
    // Kept out of git, and out of the way of a second rebuild.
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    s.ok(&["reindex"]);
    assert_eq!(s.row_count(), 2);
}

#[test]
fn reindex_places_known_ids_before_handing_out_new_ones() {
    let s = TestStore::new();
    s.record("zzz", "d");
    s.record("aaa", "d");
    s.db()
        .execute("DELETE FROM learnings WHERE title = 'aaa'", [])
        .unwrap();
    s.ok(&["reindex"]);
    let ids: Vec<(i64, String)> = rows(&s).into_iter().map(|r| (r.0, r.3)).collect();
    // zzz keeps its id; aaa gets one that was never handed out (2 was, to the deleted row).
    assert_eq!(ids, [(1, "zzz".to_string()), (3, "aaa".to_string())]);
}
