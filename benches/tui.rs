//! Browser benchmark: prints figures, never fails on time. `cargo bench --bench tui`
//! (set `LORE_BENCH_SIZES=1000,100000` to choose sizes; default 1000,10000,100000,1000000;
//! `LORE_BENCH_KEEP=DIR` keeps a copy of the generated store).
//!
//! Stores are generated straight into SQLite (rows, search index and realistic markdown
//! bodies of ~600 bytes), with markdown files written for the newest 200 rows only: the
//! browser reads files only for the entry on screen. Building the git history of a large
//! store is the performance issue's generator; the browser never reads git.
//!
//! Figures, per size: start to first full frame (the real binary in a pseudo-terminal, until
//! the first row and its detail are on screen), scrolling (each `j` until the next row's
//! detail is on screen), peak RSS (VmHWM) after browsing and searching, and per-keystroke
//! search latency (the page and the count the browser asks for on every key), plus list paging
//! (keyset) and jumping to the oldest row.

use std::io::{Read, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "../tests/support/mod.rs"]
mod support;

use lore::index::{Anchor, Filter, Index, Sort};
use lore::store::Store;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use support::figures::ms;
use support::synthetic::text;

const LORE: &str = env!("CARGO_BIN_EXE_lore");

fn generate(n: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let store = lore::ops::init::init(tmp.path()).unwrap();
    drop(Index::open(&store).unwrap());
    let mut db = rusqlite::Connection::open(store.index_path()).unwrap();
    db.pragma_update(None, "synchronous", "off").unwrap();
    let tx = db.transaction().unwrap();
    {
        let mut row = tx
            .prepare(
                "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at, updated_at)
                 VALUES ('failure', ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .unwrap();
        let mut fts = tx
            .prepare("INSERT INTO lore_fts (rowid, title, summary, tags, domain, body) VALUES (?, ?, ?, ?, ?, ?)")
            .unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let base = jiff::Timestamp::from_second(1_600_000_000).unwrap();
        for i in 0..n {
            let title = format!("{} {} {}", text(&mut seed, 4), "failure", i);
            let summary = text(&mut seed, 12);
            let body = format!(
                "# {title}\n\n**Domain**: ops\n**Severity**: 3\n\n## Summary\n\n{summary}\n\n## What Happened\n\n{}\n\n## Prevention\n\n{}\n",
                text(&mut seed, 50),
                text(&mut seed, 20)
            );
            let created = (base + jiff::SignedDuration::from_secs(i as i64 * 60))
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string();
            let path = format!("memory/failures/gen_{i}.md");
            let domain = ["ci", "infra", "db", "frontend", "security"][i % 5];
            row.execute(rusqlite::params![
                path,
                title,
                summary,
                "gen,bench",
                domain,
                (i % 5 + 1) as i64,
                created,
                created
            ])
            .unwrap();
            let id = tx.last_insert_rowid();
            fts.execute(rusqlite::params![
                id,
                title,
                summary,
                "gen,bench",
                domain,
                body
            ])
            .unwrap();
            if i + 200 >= n {
                std::fs::write(tmp.path().join(&path), &body).unwrap();
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO lore_meta (key, value) VALUES ('fts_last_id', ?)",
            [n.to_string()],
        )
        .unwrap();
    }
    tx.commit().unwrap();
    // The word list behind prefix search, filled as opening an index from before it does
    // (rows saved by lore add their words as they are indexed).
    let t = Instant::now();
    lore::index::terms::fill_from_index(&db).unwrap();
    println!(
        "word list filled from the search index in {:.1} s ({n} rows; once, when an older index is opened)",
        t.elapsed().as_secs_f64()
    );
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
        .unwrap();
    tmp
}

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
}

impl Screen {
    fn contains(&self, s: &str) -> bool {
        self.parser.lock().unwrap().screen().contents().contains(s)
    }
}

/// Start to first frame, peak RSS, and per-keystroke scrolling latency: for each `j`, the time
/// until the next row's detail (its summary) is on screen.
fn first_frame_and_rss(
    root: &std::path::Path,
    newest_title: &str,
    summaries: &[String],
) -> (Duration, u64, Vec<Duration>) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 40,
            cols: 140,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(LORE);
    cmd.arg("--store");
    cmd.arg(root);
    cmd.env("TERM", "xterm-256color");
    let start = Instant::now();
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(40, 140, 0)));
    let p = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p.lock().unwrap().process(&buf[..n]);
        }
    });
    let screen = Screen { parser };
    let want: String = newest_title.chars().take(30).collect();
    while !(screen.contains(&want) && screen.contains("Domain: ops")) {
        assert!(start.elapsed() < Duration::from_secs(60), "no first frame");
        std::thread::sleep(Duration::from_micros(200));
    }
    let first = start.elapsed();
    // Scrolling: one `j` at a time, each timed until the newly selected row's detail shows.
    let mut scroll = Vec::new();
    for summary in summaries.iter().skip(1) {
        let want: String = summary.chars().take(40).collect();
        let t = Instant::now();
        writer.write_all(b"j").unwrap();
        writer.flush().unwrap();
        while !screen.contains(&want) {
            assert!(t.elapsed() < Duration::from_secs(10), "no frame after j");
            std::thread::sleep(Duration::from_micros(100));
        }
        scroll.push(t.elapsed());
    }
    writer.write_all(b"g").unwrap();
    writer.flush().unwrap();
    // Browse and search a little, then read the peak resident set.
    for keys in ["jjjj", "G", "g", "/", "deploy cache", "\u{1b}"] {
        writer.write_all(keys.as_bytes()).unwrap();
        writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let pid = child.process_id().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let _ = child.wait();
    (first, hwm, scroll)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("LORE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000, 1_000_000]);
    println!(
        "lore browser benchmark — {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for n in sizes {
        let t = Instant::now();
        let dir = generate(n);
        if let Some(keep) = std::env::var_os("LORE_BENCH_KEEP") {
            // For looking further by hand: a copy of the generated store survives the run.
            let _ = Command::new("cp")
                .arg("-a")
                .arg(dir.path())
                .arg(&keep)
                .status();
        }
        let size = std::fs::metadata(dir.path().join("memory/index.db"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "\n== {n} learnings (generated in {:.1} s, index {} MB)",
            t.elapsed().as_secs_f64(),
            size >> 20
        );
        let store = Store::open(dir.path()).unwrap();
        let mut index = Index::open(&store).unwrap();
        let first_rows = index
            .page(&Filter::default(), Sort::Newest, &Anchor::First, 61)
            .unwrap();
        let newest = first_rows[0].title.clone();
        let summaries: Vec<String> = first_rows
            .iter()
            .map(|r| r.summary.clone().unwrap_or_default())
            .collect();
        let mut scroll = Vec::new();

        let mut frames = Vec::new();
        let mut rss = 0;
        for _ in 0..3 {
            let (f, r, sc) = first_frame_and_rss(dir.path(), &newest, &summaries);
            scroll.extend(sc);
            frames.push(f);
            rss = rss.max(r);
        }
        frames.sort();
        println!(
            "{:<40} median {} (of 3), min {}",
            "start to first full frame",
            ms(frames[1]),
            ms(frames[0])
        );
        println!(
            "{:<40} {:.1} MB",
            "peak RSS (VmHWM) after browse + search",
            rss as f64 / 1024.0
        );
        scroll.sort();
        println!(
            "{:<40} median {}, p99 {}, max {} ({} keys)",
            "scrolling: key `j` to the next detail",
            ms(scroll[scroll.len() / 2]),
            ms(scroll[(scroll.len() - 1) * 99 / 100]),
            ms(*scroll.last().unwrap()),
            scroll.len()
        );

        // Per keystroke: the page of results and the count, as the browser asks for them.
        let query = "deploy cache";
        let mut worst = Duration::ZERO;
        let mut all = Vec::new();
        let mut line = String::new();
        for end in 1..=query.len() {
            let q = &query[..end];
            let t = Instant::now();
            let total = index.search_count(q, &Filter::default()).unwrap();
            let counted = t.elapsed();
            let rows = index.search_page(q, &Filter::default(), 0, 100).unwrap();
            let d = t.elapsed();
            worst = worst.max(d);
            all.push(d);
            line.push_str(&format!(
                " {q:?}={:.1}ms(count {:.1}, {}/{total})",
                d.as_secs_f64() * 1e3,
                counted.as_secs_f64() * 1e3,
                rows.len()
            ));
        }
        all.sort();
        println!(
            "{:<40} median {}, worst {}\n   {}",
            "search per keystroke (count + page)",
            ms(all[all.len() / 2]),
            ms(worst),
            line.trim()
        );

        // One letter, the first keystroke of every search: each of a–z, as the browser asks.
        let mut one = Vec::new();
        for c in 'a'..='z' {
            let q = c.to_string();
            let t = Instant::now();
            let total = index.search_count(&q, &Filter::default()).unwrap();
            let rows = index.search_page(&q, &Filter::default(), 0, 100).unwrap();
            one.push((t.elapsed(), c, rows.len(), total));
        }
        one.sort();
        let (worst, c, shown, total) = one[one.len() - 1];
        println!(
            "{:<40} median {}, worst {} (`{c}`: {shown} shown of {total})",
            "search, one letter (a–z)",
            ms(one[one.len() / 2].0),
            ms(worst),
        );

        // Keyset paging and jumps.
        let filter = Filter::default();
        let t = Instant::now();
        let mut page = index
            .page(&filter, Sort::Newest, &Anchor::First, 100)
            .unwrap();
        for _ in 0..50 {
            let Some(key) = page.last().map(|r| r.key()) else {
                break;
            };
            page = index
                .page(&filter, Sort::Newest, &Anchor::After(key), 100)
                .unwrap();
        }
        println!(
            "{:<40} {} per page (50 pages down)",
            "list paging (keyset)",
            ms(t.elapsed() / 51)
        );
        let t = Instant::now();
        let last = index
            .page(&filter, Sort::Newest, &Anchor::Last, 100)
            .unwrap();
        let jump = t.elapsed();
        let t = Instant::now();
        let count = index.count(&filter).unwrap();
        println!(
            "{:<40} {} (oldest: {}), count {} in {}",
            "jump to the end (G)",
            ms(jump),
            last.last().unwrap().id,
            count,
            ms(t.elapsed())
        );
        drop(index);
        let _ = Command::new("true").status();
    }
}
