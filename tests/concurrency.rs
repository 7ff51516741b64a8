//! Many writers on one store at once: every record lands exactly once, history stays linear,
//! and no two critical sections — lore's or the script's — ever overlap.

use std::collections::BTreeSet;
use std::process::Command;

use crate::support::*;

#[test]
fn sixteen_processes_times_twenty_five_records() {
    const WRITERS: usize = 16;
    const EACH: usize = 25;
    let s = TestStore::new();
    let base_commits = s.commit_count();
    let told = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let s = &s;
            let told = &told;
            scope.spawn(move || {
                for i in 0..EACH {
                    // Same title for pairs of writers: the names must still be unique.
                    let title = format!("Concurrent failure {} {i}", w / 2);
                    let out = s.run(&[
                        "record",
                        "--title",
                        &title,
                        "--domain",
                        "load",
                        "--summary",
                        &format!("w{w} i{i}"),
                    ]);
                    assert!(
                        out.status.success(),
                        "writer {w} record {i}: {}",
                        stderr(&out)
                    );
                    // Nobody crashed: no writer may be told that one did.
                    assert!(
                        !stderr(&out).contains("died holding"),
                        "writer {w} record {i}: {}",
                        stderr(&out)
                    );
                    told.lock().unwrap().push(crate::queue::printed(&out));
                }
            });
        }
    });
    let n = WRITERS * EACH;
    assert_eq!(s.row_count() as usize, n);
    let on_disk = s.files_on_disk("failures");
    assert_eq!(on_disk.len(), n, "files on disk");
    let in_head = s.files_in_head();
    assert_eq!(in_head.len(), n, "files in HEAD");
    let head_names: BTreeSet<String> = in_head
        .iter()
        .map(|p| p.trim_start_matches("memory/failures/").to_string())
        .collect();
    assert_eq!(head_names, on_disk.iter().cloned().collect::<BTreeSet<_>>());
    let rows: BTreeSet<String> = {
        let db = s.db();
        let mut stmt = db.prepare("SELECT filepath FROM learnings").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        rows,
        in_head.iter().cloned().collect::<BTreeSet<_>>(),
        "index rows = files in HEAD"
    );
    // Every summary made it, once.
    let summaries: BTreeSet<String> = (0..WRITERS)
        .flat_map(|w| (0..EACH).map(move |i| format!("w{w} i{i}")))
        .collect();
    let stored: BTreeSet<String> = {
        let db = s.db();
        let mut stmt = db.prepare("SELECT summary FROM learnings").unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(stored, summaries);
    // A linear history of one commit per record.
    assert_eq!(s.commit_count(), base_commits + n);
    assert_eq!(
        s.git(&["rev-list", "--merges", "--count", "HEAD"]).trim(),
        "0"
    );
    let out = Command::new("git")
        .arg("-C")
        .arg(s.root())
        .args(["fsck", "--strict"])
        .output()
        .unwrap();
    assert!(out.status.success(), "git fsck: {}", stderr(&out));
    let check: String = s
        .db()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert!(!s.root().join(".git/claude-lock.dir").exists());
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    // Every writer was logged once: as the holder that saved it (`ok`), or as served by the
    // holder that saved its queued record (`served`, with its own pid).
    let events: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM lock_events WHERE operation = 'record' AND outcome IN ('ok', 'served')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(events as usize, n);
    let pids: i64 = s
        .db()
        .query_row(
            "SELECT count(DISTINCT pid) FROM lock_events WHERE operation = 'record'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pids as usize, n, "one row a writer process");
    // Each writer was told its own file and the commit that holds exactly it.
    let by_commit = crate::queue::files_by_commit(&s);
    let told = told.into_inner().unwrap();
    assert_eq!(told.len(), n);
    for (path, commit) in &told {
        let (_, files) = by_commit
            .iter()
            .find(|(id, _)| id.starts_with(commit.as_str()))
            .unwrap_or_else(|| panic!("{commit} not in HEAD's history"));
        assert_eq!(files, &vec![path.clone()], "{commit}");
    }
    let distinct: BTreeSet<&String> = told.iter().map(|(p, _)| p).collect();
    assert_eq!(distinct.len(), n);
}

/// A bash stand-in for record-failure.sh's locking: `flock -w` on the same `claude-lock`,
/// logging when its critical section starts and ends.
const STAND_IN: &str = r#"
lock="$1"; log="$2"; n="$3"
for i in $(seq "$n"); do
  (
    exec 200>"$lock"
    flock -w 30 200 || exit 1
    echo "sh start $(date +%s%N)" >> "$log"
    sleep 0.005
    echo "sh end $(date +%s%N)" >> "$log"
  ) || exit 1
done
"#;

#[test]
fn lore_and_the_scripts_flock_never_overlap() {
    for strategy in ["flock", "mkdir"] {
        let s = TestStore::new();
        let log = s.root().join("cs.log");
        let mut scripts: Vec<_> = (0..2)
            .map(|_| {
                Command::new("bash")
                    .arg("-c")
                    .arg(STAND_IN)
                    .arg("bash")
                    .arg(s.lock_file())
                    .arg(&log)
                    .arg("30")
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::scope(|scope| {
            for w in 0..3 {
                let (s, log) = (&s, &log);
                scope.spawn(move || {
                    for i in 0..10 {
                        let out = s
                            .cmd()
                            .args([
                                "--lock-strategy",
                                strategy,
                                "record",
                                "--title",
                                &format!("r {w} {i}"),
                                "--domain",
                                "d",
                            ])
                            .env("LORE_TEST_CS_LOG", log)
                            .output()
                            .unwrap();
                        assert!(out.status.success(), "{}", stderr(&out));
                    }
                });
            }
        });
        for sc in &mut scripts {
            assert!(sc.wait().unwrap().success());
        }
        let events = critical_sections(&log);
        assert_eq!(
            events.iter().filter(|e| e.2 == "sh").count(),
            2 * 30 * 2,
            "{strategy}: the stand-in ran"
        );
        // A critical section per lore process at most: a writer whose queued record the
        // holder saved has none of its own.
        let lore = events.iter().filter(|e| e.2 != "sh").count();
        assert!(
            lore > 0 && lore <= 3 * 10 * 2 && lore % 2 == 0,
            "{strategy}: lore logged {lore} (fault-injection feature on?)"
        );
        assert_eq!(
            first_overlap(&events),
            None,
            "{strategy}: two writers at once (when, who)"
        );
        assert_eq!(s.row_count(), 30);
    }
}
