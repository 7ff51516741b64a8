//! Synthetic learnings and stores for the benchmarks and the scale tests: realistic text,
//! stores of any size with a git history, a timed `lore record`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lore::learning::{Draft, Field};
use lore::store::Store;

pub const WORDS: &[&str] = &[
    "deploy",
    "cache",
    "timeout",
    "lock",
    "retry",
    "database",
    "migration",
    "flaky",
    "test",
    "disk",
    "memory",
    "leak",
    "network",
    "partition",
    "index",
    "query",
    "latency",
    "build",
    "artifact",
    "config",
    "secret",
    "rotation",
    "certificate",
    "expiry",
    "queue",
    "backlog",
    "worker",
    "crash",
];

pub fn text(seed: &mut u64, words: usize) -> String {
    let mut out: Vec<String> = Vec::with_capacity(words);
    for _ in 0..words {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        // A third common words, the rest from a long tail, as in real notes.
        if (*seed).is_multiple_of(3) {
            out.push(WORDS[((*seed >> 8) % WORDS.len() as u64) as usize].to_string());
        } else {
            out.push(format!("term{}", (*seed >> 8) % 5_000));
        }
    }
    out.join(" ")
}

/// The learning number `i` of a synthetic store: ~1 KB of markdown, as real ones are.
pub fn draft(i: usize, seed: &mut u64) -> Draft {
    Draft::default()
        .with(Field::Title, format!("{} failure {i}", text(seed, 4)))
        .with(
            Field::Domain,
            ["ci", "infra", "db", "frontend", "security"][i % 5],
        )
        .with(Field::Severity, ((i % 5) + 1).to_string())
        .with(Field::Tags, "gen,bench")
        .with(Field::Summary, text(seed, 14))
        .with(Field::WhatHappened, text(seed, 50))
        .with(Field::RootCause, text(seed, 20))
        .with(Field::Prevention, text(seed, 15))
}

/// Learnings a day in synthetic stores: a million learnings span about nine years.
pub const PER_DAY: usize = 300;

/// Builds a store of `n` learnings with a git history, in the layout lore creates (daily
/// folders of at most `FOLDER_CAP` files, then overflow folders), dated `PER_DAY` a day back
/// from today.
///
/// The history is written by `git fast-import` (one process, objects straight into a pack):
/// one commit per learning up to 100,000, and above that commits of `n / 100,000` learnings
/// each (a million learnings make 100,000 commits of 10). Then `git reset --hard` writes the
/// work tree and git's index, and `lore reindex` builds the SQLite index from HEAD, as it would
/// for any store.
pub fn generate(root: &Path, n: usize, lore_bin: &str) -> Store {
    let store = lore::ops::init::init(root).unwrap();
    let per_commit = n.div_ceil(100_000).max(1);
    let today = lore::clock::now().date();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["fast-import", "--quiet", "--done"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, child.stdin.take().unwrap());
        let mut seed = 0x9e37_79b9_7f4a_7c15u64 ^ n as u64;
        let mut first = true;
        let (mut day, mut in_day) = (today, 0);
        for start in (0..n).step_by(per_commit) {
            let end = (start + per_commit).min(n);
            let days_back = ((n - 1 - start) / PER_DAY) as i64;
            let date = today
                .checked_sub(jiff::Span::new().days(days_back))
                .unwrap();
            let ts = jiff::Timestamp::now().as_second() - days_back * 86_400 - PER_DAY as i64
                + (start % PER_DAY) as i64;
            let mut files = Vec::new();
            let mut titles = Vec::new();
            for i in start..end {
                let l = draft(i, &mut seed).validate().unwrap();
                let body = lore::template::render(&l, &date.strftime("%Y-%m-%d").to_string());
                let name = format!(
                    "{}_{}.md",
                    date.strftime("%Y%m%d"),
                    lore::slug::slug(l.title())
                );
                // lore's own layout: a day's folder takes FOLDER_CAP files, then `DD/2/`…
                if date != day {
                    (day, in_day) = (date, 0);
                }
                let overflow = match in_day / lore::store::FOLDER_CAP {
                    0 => String::new(),
                    k => format!("/{}", k + 1),
                };
                in_day += 1;
                let path = format!(
                    "memory/failures/{}/{}{overflow}/{name}",
                    date.strftime("%Y-%m"),
                    date.strftime("%d")
                );
                titles.push(l.title().to_string());
                files.push((path, body));
            }
            let msg = if titles.len() == 1 {
                format!("failure: {}", titles[0])
            } else {
                format!("failures: {} learnings", titles.len())
            };
            writeln!(w, "commit refs/heads/main").unwrap();
            writeln!(w, "committer Bench <bench@example.com> {ts} +0000").unwrap();
            writeln!(w, "data {}\n{msg}", msg.len()).unwrap();
            if first {
                writeln!(w, "from refs/heads/main^0").unwrap();
                first = false;
            }
            for (path, body) in &files {
                writeln!(w, "M 100644 inline {path}\ndata {}\n{body}", body.len()).unwrap();
            }
            writeln!(w).unwrap();
        }
        writeln!(w, "done").unwrap();
        w.flush().unwrap();
    }
    assert!(child.wait().unwrap().success(), "git fast-import failed");
    let ok = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["reset", "--hard", "-q"])
        .status()
        .unwrap();
    assert!(ok.success());
    let out = Command::new(lore_bin)
        .arg("--store")
        .arg(root)
        .arg("reindex")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    store
}

/// One `lore record` as a whole process (the binary `lore`), timed from spawn to exit.
pub fn lore_record(lore: &str, root: &Path, title: &str) -> Duration {
    let t = Instant::now();
    let out = Command::new(lore)
        .arg("--store")
        .arg(root)
        .args([
            "record",
            "--title",
            title,
            "--domain",
            "bench",
            "--summary",
            "A short summary.",
        ])
        .output()
        .unwrap();
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}
