//! Core benchmark: prints figures, never fails on time. Run with `cargo bench --bench core`.
//!
//! - uncontended lock acquire + release (in-process);
//! - `lore record` latency p50/p99 over 200 sequential records on a 1,000-entry store,
//!   in-process (library call) and as a whole process (the real binary);
//! - 16 writer processes × 25 records: throughput and lock-wait p50/p99/max (from `lock_events`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../tests/support/mod.rs"]
mod support;

use lore::index::Index;
use lore::learning::{Draft, Field};
use lore::lock::{self, LockOptions};
use lore::ops::record;
use lore::store::Store;
use support::figures::percentile;
use support::synthetic::lore_record;

const LORE: &str = env!("CARGO_BIN_EXE_lore");

fn summary(name: &str, mut v: Vec<Duration>, unit: &str) {
    v.sort();
    let f = |d: Duration| match unit {
        "us" => format!("{:.2} µs", d.as_secs_f64() * 1e6),
        _ => format!("{:.2} ms", d.as_secs_f64() * 1e3),
    };
    println!(
        "{name:<44} n={:<6} p50={:<12} p99={:<12} max={}",
        v.len(),
        f(percentile(&v, 0.5)),
        f(percentile(&v, 0.99)),
        f(*v.last().unwrap())
    );
}

fn draft(i: usize) -> Draft {
    Draft::default()
        .with(
            Field::Title,
            format!("Benchmark failure number {i} in the deploy pipeline"),
        )
        .with(Field::Domain, ["ci", "infra", "db", "frontend"][i % 4])
        .with(Field::Severity, ((i % 5) + 1).to_string())
        .with(Field::Tags, "bench,load")
        .with(
            Field::Summary,
            "A realistic summary of a few sentences. The job retried while the previous one \
             still held the lock, and both wrote the same artefact."
                .repeat(3),
        )
        .with(
            Field::WhatHappened,
            "Steps, logs and observations. ".repeat(20),
        )
        .with(
            Field::RootCause,
            "The underlying cause, explained. ".repeat(10),
        )
}

fn quiet_opts() -> LockOptions {
    LockOptions::default()
}

fn fill(store: &Store, n: usize) {
    let mut index = Index::open(store).unwrap();
    for i in 0..n {
        let l = draft(i).validate().unwrap();
        record::record(store, &mut index, &l, &quiet_opts(), &mut |_| {}).unwrap();
    }
}

fn lock_bench(root: &Path) {
    let store = Store::open(root).unwrap();
    let opts = quiet_opts();
    // A store handle keeps the lock's descriptors open between acquisitions (the TUI, a sync, a
    // resident writer); a one-shot `lore record` opens them once, as the "fresh" line does.
    let kept = store.lock_paths();
    let fresh = lock::LockPaths::new(store.git_dir());
    for (name, strategy, paths) in [
        ("flock, kept descriptors", lock::Strategy::Flock, &kept),
        ("flock, fresh descriptors", lock::Strategy::Flock, &fresh),
        ("mkdir", lock::Strategy::Mkdir, &fresh),
    ] {
        let opts = LockOptions {
            strategy,
            ..opts.clone()
        };
        let mut times = Vec::with_capacity(5000);
        for _ in 0..5000 {
            let t = Instant::now();
            let g = lock::acquire(paths, &opts, &mut |_| {}).unwrap();
            drop(g);
            times.push(t.elapsed());
        }
        summary(
            &format!("lock acquire+release ({name}, uncontended)"),
            times,
            "us",
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is accepted and ignored.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = lore::ops::init::init(&root).unwrap();
    println!(
        "lore core benchmark — {} cores, SQLite {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        rusqlite::version()
    );

    lock_bench(&root);

    let t = Instant::now();
    fill(&store, 1000);
    println!(
        "{:<44} {:.1} s (1,000 in-process records)",
        "build the 1,000-entry store",
        t.elapsed().as_secs_f64()
    );

    let mut index = Index::open(&store).unwrap();
    let mut inproc = Vec::new();
    for i in 0..200 {
        let l = draft(10_000 + i).validate().unwrap();
        let t = Instant::now();
        record::record(&store, &mut index, &l, &quiet_opts(), &mut |_| {}).unwrap();
        inproc.push(t.elapsed());
    }
    summary("record, in-process (1,200 entries)", inproc, "ms");

    let mut whole = Vec::new();
    for i in 0..200 {
        whole.push(lore_record(
            LORE,
            &root,
            &format!("Whole process record {i}"),
        ));
    }
    summary("record, whole process (1,400 entries)", whole, "ms");

    // 16 writer processes at once, 25 records each.
    let since: i64 = index
        .connection()
        .query_row("SELECT coalesce(max(id), 0) FROM lock_events", [], |r| {
            r.get(0)
        })
        .unwrap();
    let t = Instant::now();
    let children: Vec<_> = (0..16)
        .map(|w| {
            Command::new("bash")
                .arg("-c")
                .arg(r#"for i in $(seq 25); do "$1" --store "$2" record --title "writer $3 record $i" --domain contention >/dev/null || exit 1; done"#)
                .arg("bash")
                .arg(LORE)
                .arg(&root)
                .arg(w.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let elapsed = t.elapsed();
    println!(
        "{:<44} {:.0} records/s (400 records in {:.2} s)",
        "16 writers × 25 records, throughput",
        400.0 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    let mut stmt = index
        .connection()
        .prepare("SELECT waited_ms FROM lock_events WHERE id > ? AND operation = 'record'")
        .unwrap();
    let waits: Vec<Duration> = stmt
        .query_map([since], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|w| Duration::from_millis(w.unwrap() as u64))
        .collect();
    summary("16 writers, lock wait (ms resolution)", waits, "ms");
}
