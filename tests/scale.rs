//! Scale: 64 writer processes × 25 records, with readers listing in a loop and a holder that
//! keeps taking and releasing the lock. Every record lands exactly once in the files, HEAD and
//! the index; the lock-wait distribution is printed (figures, not a timed assertion).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::support::figures::ms;
use crate::support::*;

#[test]
fn sixty_four_writers_with_readers_and_a_busy_holder() {
    const WRITERS: usize = 64;
    const EACH: usize = 25;
    let s = TestStore::new();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // Readers.
        for _ in 0..2 {
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    let out = s.run(&["list", "--limit", "20", "--json"]);
                    assert!(out.status.success(), "reader: {}", stderr(&out));
                }
            });
        }
        // A holder that takes the lock for 20 ms, again and again.
        scope.spawn(|| {
            while !done.load(Ordering::Relaxed) {
                let out = s.run(&["lock", "hold", "--for", "20ms"]);
                assert!(out.status.success(), "holder: {}", stderr(&out));
            }
        });
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let s = &s;
                scope.spawn(move || {
                    for i in 0..EACH {
                        // Sixty-four writers queue for one lock: on two cores, with the rest of
                        // the suite running beside, the last in a queue has waited over the
                        // default 30 s (CI, 2026-12-02). What is tested is that nothing is lost.
                        let out = s.run(&[
                            "--lock-timeout",
                            "180s",
                            "record",
                            "--title",
                            &format!("scale {w} {i}"),
                            "--domain",
                            "scale",
                        ]);
                        assert!(out.status.success(), "writer {w}/{i}: {}", stderr(&out));
                    }
                })
            })
            .collect();
        // The readers and the holder stop even when a writer failed: the failure is then
        // reported instead of the test hanging on them.
        let results: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        done.store(true, Ordering::Relaxed);
        for r in results {
            if let Err(e) = r {
                std::panic::resume_unwind(e);
            }
        }
    });
    let n = WRITERS * EACH;
    let head: BTreeSet<String> = s.files_in_head().into_iter().collect();
    let disk: BTreeSet<String> = s.learnings_on_disk().into_iter().collect();
    let rows: Vec<(String, String)> = {
        let db = s.db();
        let mut st = db.prepare("SELECT title, filepath FROM learnings").unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(rows.len(), n);
    let titles: BTreeSet<&String> = rows.iter().map(|r| &r.0).collect();
    assert_eq!(titles.len(), n, "a record appears twice");
    let paths: BTreeSet<String> = rows.iter().map(|r| r.1.clone()).collect();
    assert_eq!(head.len(), n);
    assert_eq!(head, disk);
    assert_eq!(head, paths);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    let waits: Vec<i64> = {
        let db = s.db();
        let mut st = db
            .prepare("SELECT waited_ms FROM lock_events WHERE operation = 'record'")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let waits: Vec<std::time::Duration> = waits
        .into_iter()
        .map(|w: i64| std::time::Duration::from_millis(w.max(0) as u64))
        .collect();
    let (p50, p99, max) = crate::support::figures::spread(waits);
    let timeouts: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM lock_events WHERE outcome = 'timeout'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    eprintln!(
        "scale: {n} records by {WRITERS} writers; lock wait p50 {}, p99 {}, max {}; {timeouts} timeouts",
        ms(p50),
        ms(p99),
        ms(max)
    );
    assert_eq!(timeouts, 0);
}
