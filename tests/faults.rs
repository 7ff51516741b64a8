//! Injected faults at every step of the record pipeline (the `fault-injection` feature, on in
//! tests): an error leaves nothing of the record behind and frees the lock; a crash (SIGKILL at
//! that step) never blocks the next save.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use common::*;
use lore::fault::POINTS;

fn leftovers(s: &TestStore) -> Vec<String> {
    s.files_on_disk("failures")
        .into_iter()
        .filter(|f| f.starts_with('.'))
        .collect()
}

#[test]
fn an_error_at_any_step_leaves_nothing_and_frees_the_lock() {
    for strategy in ["flock", "mkdir"] {
        for point in POINTS {
            let s = TestStore::new();
            s.record("Before the fault", "d");
            let before = s.snapshot();
            let status_before = s.git(&["status", "--porcelain"]);
            let out = s
                .cmd()
                .args([
                    "--lock-strategy",
                    strategy,
                    "record",
                    "--title",
                    "Doomed",
                    "--domain",
                    "d",
                ])
                .env("LORE_FAULT", format!("{point}:error"))
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{point}: {err}");
            assert!(
                err.contains("could not save:") && err.contains("injected fault at"),
                "{point}: {err}"
            );
            assert!(err.contains("failed"), "{point}: the step is named: {err}");
            assert_eq!(
                s.snapshot(),
                before,
                "{strategy}/{point}: something of the record remains"
            );
            assert_eq!(s.git(&["status", "--porcelain"]), status_before, "{point}");
            assert!(leftovers(&s).is_empty(), "{point}: {:?}", leftovers(&s));
            let st: serde_json::Value =
                serde_json::from_str(&s.ok(&["lock", "status", "--json"])).unwrap();
            assert_eq!(st["state"], "free", "{strategy}/{point}");
            let hits: serde_json::Value =
                serde_json::from_str(&s.ok(&["search", "Doomed", "--json"])).unwrap();
            assert_eq!(
                hits.as_array().unwrap().len(),
                0,
                "{point}: still searchable"
            );
            // And the store works normally afterwards.
            s.record("After the fault", "d");
            assert_eq!(s.row_count(), before.1 + 1);
        }
    }
}

#[test]
fn a_crash_at_any_step_never_blocks_the_next_save_and_doctor_makes_it_whole() {
    for strategy in ["flock", "mkdir"] {
        for point in POINTS {
            let s = TestStore::new();
            s.record("Before", "d");
            let out = s
                .cmd()
                .args([
                    "--lock-strategy",
                    strategy,
                    "record",
                    "--title",
                    "Crashing",
                    "--domain",
                    "d",
                ])
                .env("LORE_FAULT", format!("{point}:crash"))
                .output()
                .unwrap();
            assert_eq!(
                out.status.signal(),
                Some(9),
                "{point}: should have been killed"
            );
            // The next save works at once, and says a save was interrupted.
            let start = Instant::now();
            let out = s.run(&[
                "--lock-strategy",
                strategy,
                "--lock-timeout",
                "5",
                "record",
                "--title",
                "Next",
                "--domain",
                "d",
            ]);
            assert!(out.status.success(), "{strategy}/{point}: {}", stderr(&out));
            assert!(
                start.elapsed() < Duration::from_secs(3),
                "{strategy}/{point}: waited {:?}",
                start.elapsed()
            );
            assert!(
                stderr(&out).contains("died holding the store lock"),
                "{strategy}/{point}: no hint: {}",
                stderr(&out)
            );
            // The crashed record never shares a file with the next one.
            let distinct: i64 = s
                .db()
                .query_row("SELECT count(DISTINCT filepath) FROM learnings", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(distinct, s.row_count(), "{point}");

            // doctor --fix makes files, HEAD and index agree, with the crashed record whole or absent.
            let out = s.run(&["doctor", "--fix"]);
            assert!(
                out.status.success(),
                "{strategy}/{point}: {}{}",
                stdout(&out),
                stderr(&out)
            );
            let disk: Vec<String> = s.learnings_on_disk();
            let head = s.files_in_head();
            assert_eq!(disk, head, "{strategy}/{point}: disk and HEAD differ");
            let rows: Vec<String> = {
                let db = s.db();
                let mut st = db
                    .prepare("SELECT filepath FROM learnings ORDER BY filepath")
                    .unwrap();
                st.query_map([], |r| r.get::<_, String>(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            };
            assert_eq!(rows, head, "{strategy}/{point}: index and HEAD differ");
            let crashed = head.iter().filter(|p| p.contains("_crashing")).count();
            assert!(crashed <= 1, "{point}");
            if crashed == 1 {
                let md = std::fs::read_to_string(
                    s.root()
                        .join(head.iter().find(|p| p.contains("_crashing")).unwrap()),
                )
                .unwrap();
                assert!(
                    md.starts_with("# Crashing\n") && md.ends_with("- **Similar Failures**:\n"),
                    "{point}: partial file"
                );
            }
            assert_eq!(
                s.git(&["status", "--porcelain"]).trim(),
                "",
                "{strategy}/{point}"
            );
            // All agree now: no more hints.
            let out = s.run(&["list"]);
            assert!(
                !stderr(&out).contains("lore doctor"),
                "{strategy}/{point}: {}",
                stderr(&out)
            );
            s.ok(&["doctor"]);
        }
    }
}
