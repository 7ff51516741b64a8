//! `lore mcp` as an agent's host sees it: `cargo bench --bench mcp`. Prints figures; never
//! fails on time. Sizes: `LORE_BENCH_SIZES` (default `1000,10000`).
//!
//! For each size, on a generated store: start to ready (the `initialize` answer) over 20
//! starts; then, in one session, the round trip of 100 `record` calls and of 200 `search` calls
//! (a word from the generated titles, as a prefix), as the client measures them.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::figures::{ms, spread};
use support::mcp::McpClient;
use support::synthetic::generate;

const LORE: &str = env!("CARGO_BIN_EXE_lore");

fn server(root: &std::path::Path) -> Command {
    let mut cmd = Command::new(LORE);
    cmd.arg("--store")
        .arg(root)
        .arg("mcp")
        .env("LORE_CONFIG", "/nonexistent/lore/config.toml");
    cmd
}

fn line(what: &str, v: Vec<Duration>) {
    let (p50, p99, max) = spread(v);
    println!(
        "    {what:<28} p50 {:>10}  p99 {:>10}  max {:>10}",
        ms(p50),
        ms(p99),
        ms(max)
    );
}

fn main() {
    let sizes: Vec<usize> = std::env::var("LORE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000]);
    println!("lore mcp over stdio, measured by the client (whole process, JSON-RPC lines)");
    for n in sizes {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("store");
        generate(&root, n, LORE);
        // The first open indexes the generated learnings; not what is measured here.
        let warm = Command::new(LORE)
            .arg("--store")
            .arg(&root)
            .args(["list", "--limit", "1"])
            .output()
            .unwrap();
        assert!(warm.status.success());
        println!("  {n} learnings");

        let ready: Vec<Duration> = (0..20)
            .map(|_| {
                let t = Instant::now();
                let client = McpClient::start(server(&root));
                let took = t.elapsed();
                drop(client);
                took
            })
            .collect();
        line("start to ready", ready);

        let mut c = McpClient::start(server(&root));
        let records: Vec<Duration> = (0..100)
            .map(|i| {
                let t = Instant::now();
                c.call_ok(
                    "record",
                    json!({ "title": format!("bench note {i}"), "domain": "bench", "summary": "measured" }),
                );
                t.elapsed()
            })
            .collect();
        line("record round trip", records);
        let searches: Vec<Duration> = (0..200)
            .map(|i| {
                let t = Instant::now();
                let query = ["lock", "deplo", "cache", "timeo"][i % 4];
                let found = c.call_ok("search", json!({ "query": query }));
                assert!(found["learnings"].is_array());
                t.elapsed()
            })
            .collect();
        line("search round trip", searches);
        assert!(c.finish().success());
    }
}
