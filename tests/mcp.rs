//! `lore mcp` driven as an agent's host drives it: the real binary as a child process, JSON-RPC
//! over its standard input and output, against a real store.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::mcp::McpClient;
use crate::support::*;

fn mcp(store: &TestStore, extra: &[&str]) -> Command {
    let mut cmd = store.cmd();
    cmd.args(extra).arg("mcp");
    cmd
}

fn client(store: &TestStore) -> McpClient {
    McpClient::start(mcp(store, &[]))
}

#[test]
fn an_agent_initialises_lists_the_tools_and_records_searches_shows_and_lists() {
    let s = TestStore::new();
    let mut c = client(&s);
    let tools = c.request("tools/list", json!({}));
    let tools = tools["result"]["tools"].as_array().unwrap().clone();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["record", "search", "show", "list", "lock_status"]);
    for t in &tools {
        assert!(
            t["description"].as_str().unwrap().len() > 60,
            "{} has no real description",
            t["name"]
        );
        assert_eq!(t["inputSchema"]["type"], "object");
        assert_eq!(t["inputSchema"]["additionalProperties"], false);
    }
    let record = &tools[0]["inputSchema"];
    for property in [
        "title",
        "domain",
        "severity",
        "tags",
        "type",
        "summary",
        "what_happened",
        "root_cause",
        "impact",
        "prevention",
        "body",
    ] {
        assert!(
            record["properties"].get(property).is_some(),
            "record lacks {property}: {record}"
        );
    }
    assert_eq!(record["properties"]["title"]["maxLength"], 500);

    let recorded = c.call_ok(
        "record",
        json!({
            "title": "Deploy hung on a stale lock",
            "domain": "deploy",
            "severity": 4,
            "tags": ["lock", "ci"],
            "summary": "Check the holder before breaking a lock.\nIt may be alive.",
            "what_happened": "The deploy waited ten minutes.",
            "root_cause": "A crashed job left its lock directory.",
            "prevention": "lore lock status first.",
        }),
    );
    let id = recorded["id"].as_i64().unwrap();
    let path = recorded["filepath"].as_str().unwrap().to_string();
    assert!(s.files_in_head().contains(&path), "{path} not committed");
    assert_eq!(
        s.git(&["log", "-1", "--format=%s%n%b"]).trim(),
        "failure: Deploy hung on a stale lock\nDomain: deploy | Severity: 4"
    );
    assert_eq!(s.git(&["rev-parse", "HEAD"]).trim(), recorded["commit"]);
    let text = std::fs::read_to_string(s.root().join(&path)).unwrap();
    assert!(text.contains("**Tags**: lock,ci"), "{text}");
    assert!(
        text.contains("## What Happened\n\nThe deploy waited ten minutes."),
        "{text}"
    );

    // Found at once, by a prefix, and the same row `lore show --json` prints.
    let found = c.call_ok("search", json!({ "query": "stal dep" }));
    let learnings = found["learnings"].as_array().unwrap();
    assert_eq!(learnings.len(), 1, "{found}");
    assert_eq!(learnings[0]["id"], id);
    let shown = c.call_ok("show", json!({ "target": id }));
    assert!(shown["body"].as_str().unwrap().contains("crashed job"));
    let by_path = c.call_ok("show", json!({ "target": path }));
    assert_eq!(by_path, shown);
    let cli: Value = serde_json::from_str(&s.ok(&["show", &id.to_string(), "--json"])).unwrap();
    assert_eq!(cli, shown, "MCP and the CLI print one learning differently");
    let listed = c.call_ok("list", json!({ "domain": "DEPLOY", "limit": 5 }));
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["learnings"][0], learnings[0]);
    let none = c.call_ok("list", json!({ "type": "success" }));
    assert_eq!(none["learnings"], json!([]));

    // A learning committed by another writer meanwhile is seen by the next call.
    s.record("Written beside the agent", "cli");
    let found = c.call_ok("search", json!({ "query": "beside" }));
    assert_eq!(found["learnings"].as_array().unwrap().len(), 1, "{found}");

    let status = c.call_ok("lock_status", json!({}));
    assert_eq!(status["state"], "free", "{status}");
    assert!(c.finish().success());
}

#[test]
fn bad_arguments_are_tool_errors_naming_the_field_and_write_nothing() {
    let s = TestStore::new();
    let mut c = client(&s);
    let before = s.snapshot();
    let long = "x".repeat(501);
    let cases: Vec<(Value, &str)> = vec![
        (json!({ "domain": "d" }), "title"),
        (json!({ "title": " ", "domain": "d" }), "title: "),
        (json!({ "title": long, "domain": "d" }), "title: "),
        (
            json!({ "title": "t", "domain": "d", "severity": 9 }),
            "severity: ",
        ),
        (
            json!({ "title": "t", "domain": "d", "type": "disaster" }),
            "type: ",
        ),
        (
            json!({ "title": "t", "domain": "d", "titel": "x" }),
            "titel: no such argument",
        ),
        (
            json!({ "title": 12, "domain": "d" }),
            "title: must be a string",
        ),
        (
            json!({ "title": "t", "domain": "d", "tags": [1] }),
            "tags: must be a string",
        ),
        (
            json!({ "title": "t", "domain": "d", "body": "# b", "impact": "i" }),
            "impact: not together with body",
        ),
    ];
    for (args, expected) in cases {
        let message = c.call_err("record", args.clone());
        assert!(
            message.contains(expected) && !message.contains('\n'),
            "{args}: {message:?} should be one line naming {expected:?}"
        );
    }
    assert!(c.call_err("search", json!({})).starts_with("query:"));
    assert!(
        c.call_err("list", json!({ "limit": 0 }))
            .starts_with("limit:")
    );
    assert!(
        c.call_err("list", json!({ "since": "soon" }))
            .starts_with("since:")
    );
    assert!(c.call_err("show", json!({ "target": 999 })).contains("999"));
    // A tool that does not exist is a protocol error, as MCP says.
    let answer = c.request("tools/call", json!({ "name": "rm", "arguments": {} }));
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the tools are record"),
        "{answer}"
    );
    assert_eq!(s.snapshot(), before, "a refused call wrote something");
    // And the server is still there.
    c.call_ok("record", json!({ "title": "Fine", "domain": "d" }));
}

#[test]
fn a_save_waiting_for_the_lock_reports_progress_names_the_holder_and_gives_up_when_cancelled() {
    let s = TestStore::new();
    let mut holder = hold(&s, 60, &[]);
    let mut c = McpClient::start(mcp(&s, &["--lock-timeout", "1.5s"]));
    let before = s.snapshot();
    let id = c.send_request(
        "tools/call",
        json!({
            "name": "record",
            "arguments": { "title": "Waits", "domain": "lock" },
            "_meta": { "progressToken": "save-1" },
        }),
    );
    let answer = c.answer(id);
    let message = answer["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(answer["result"]["isError"], true);
    assert!(
        message.contains(&format!("pid {}", holder.id())) && message.contains("lock hold"),
        "the timeout should name the holder: {message}"
    );
    let progress: Vec<&Value> = c
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .collect();
    assert!(!progress.is_empty(), "no progress while waiting");
    assert!(
        progress
            .iter()
            .all(|n| n["params"]["progressToken"] == "save-1")
    );
    let said = progress[0]["params"]["message"].as_str().unwrap();
    assert!(
        said.starts_with("waiting for the store lock, held by")
            && said.contains(&format!("pid {}", holder.id())),
        "{said}"
    );
    // Progress grows, as MCP asks.
    let steps: Vec<f64> = progress
        .iter()
        .map(|n| n["params"]["progress"].as_f64().unwrap())
        .collect();
    assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
    assert_eq!(s.snapshot(), before);

    // Cancelled while waiting (a long timeout this time): it gives up, and writes nothing
    // even once the lock is free.
    let mut c = McpClient::start(mcp(&s, &["--lock-timeout", "60s"]));
    let id = c.send_request(
        "tools/call",
        json!({
            "name": "record",
            "arguments": { "title": "Cancelled", "domain": "lock" },
            "_meta": { "progressToken": 7 },
        }),
    );
    c.wait_for_notification("progress", |n| n["method"] == "notifications/progress");
    c.notify(
        "notifications/cancelled",
        json!({ "requestId": id, "reason": "the user pressed Esc" }),
    );
    wait_until(
        "the cancelled save's lock wait to end",
        Duration::from_secs(20),
        || {
            let log: i64 = s
                .db()
                .query_row(
                    "SELECT count(*) FROM lock_events WHERE outcome = 'cancelled'",
                    [],
                    |r| r.get(0),
                )
                .unwrap_or(0);
            log > 0
        },
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
    let _ = c.answer_within(id, Duration::from_millis(300));
    assert_eq!(s.snapshot(), before, "a cancelled save was written");
    // The server goes on serving.
    c.call_ok("record", json!({ "title": "After", "domain": "lock" }));
    assert_eq!(s.row_count(), 1);
}

#[test]
fn several_agents_and_the_cli_recording_at_once_lose_nothing() {
    const AGENTS: usize = 4;
    const EACH: usize = 5;
    let s = TestStore::new();
    let root = s.root().to_path_buf();
    let mut workers = Vec::new();
    for agent in 0..AGENTS {
        let cmd = mcp(&s, &[]);
        workers.push(std::thread::spawn(move || {
            let mut c = McpClient::start(cmd);
            (0..EACH)
                .map(|n| {
                    let title = format!("agent {agent} note {n}");
                    let r = c.call_ok("record", json!({ "title": title, "domain": "agents" }));
                    r["filepath"].as_str().unwrap().to_string()
                })
                .collect::<Vec<_>>()
        }));
    }
    for writer in 0..2 {
        let root = root.clone();
        workers.push(std::thread::spawn(move || {
            (0..EACH)
                .map(|n| {
                    let out = Command::new(LORE)
                        .args(["--store", root.to_str().unwrap(), "record", "--json"])
                        .args([
                            "--title",
                            &format!("cli {writer} note {n}"),
                            "--domain",
                            "cli",
                        ])
                        .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
                        .output()
                        .unwrap();
                    assert!(out.status.success(), "{}", stderr(&out));
                    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                    v["filepath"].as_str().unwrap().to_string()
                })
                .collect::<Vec<_>>()
        }));
    }
    let mut paths: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    paths.sort();
    paths.dedup();
    let total = (AGENTS + 2) * EACH;
    assert_eq!(paths.len(), total, "two saves answered with one path");
    let in_head = s.files_in_head();
    for p in &paths {
        assert!(
            in_head.contains(p),
            "{p} was acknowledged but is not committed"
        );
        assert!(
            s.root().join(p).is_file(),
            "{p} was acknowledged but is not on disk"
        );
    }
    assert_eq!(s.row_count(), total as i64);
    assert_eq!(s.git(&["status", "--porcelain"]), "");
    s.ok(&["doctor"]);
}

#[test]
fn hooks_judge_an_agents_saves_unless_verify_in_mcp_is_off() {
    let s = TestStore::new();
    write_executable(
        &s.root().join(".git/hooks/pre-commit"),
        "#!/bin/sh\necho 'no secrets allowed' >&2\nexit 1\n",
    );
    let before = s.snapshot();
    let mut c = client(&s);
    let message = c.call_err("record", json!({ "title": "Judged", "domain": "hooks" }));
    assert!(
        message.contains("pre-commit hook refused") && message.contains("no secrets allowed"),
        "{message}"
    );
    drop(c);
    assert_eq!(s.snapshot(), before);

    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[hooks]\nverify_in_mcp = false\n").unwrap();
    let mut cmd = mcp(&s, &[]);
    cmd.env("LORE_CONFIG", config.path());
    let mut c = McpClient::start(cmd);
    c.call_ok(
        "record",
        json!({ "title": "Not judged", "domain": "hooks" }),
    );
    assert_eq!(s.row_count(), 1);
    // The CLI's saves are still judged.
    let out = s
        .cmd()
        .env("LORE_CONFIG", config.path())
        .args(["record", "--title", "CLI", "--domain", "hooks"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("pre-commit hook refused"));
}
