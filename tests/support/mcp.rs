//! An MCP client as an agent's host runs one: `lore mcp` as a child process, JSON-RPC lines on
//! its standard input and output.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a test waits for one answer before it fails (a hang is a failure, not a wait).
const PATIENCE: Duration = Duration::from_secs(60);

pub struct McpClient {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Value>,
    next_id: u64,
    /// Notifications heard while waiting for answers, in order.
    pub notifications: Vec<Value>,
}

impl McpClient {
    /// Starts `cmd` (a `lore … mcp` command) without initialising.
    pub fn spawn(mut cmd: Command) -> McpClient {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("lore mcp starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    panic!("lore mcp wrote a line that is not JSON ({e}): {line:?}")
                });
                if tx.send(value).is_err() {
                    break;
                }
            }
        });
        McpClient {
            stdin: child.stdin.take(),
            child,
            lines,
            next_id: 1,
            notifications: Vec::new(),
        }
    }

    /// Starts it and goes through the handshake.
    pub fn start(cmd: Command) -> McpClient {
        let mut client = McpClient::spawn(cmd);
        let answer = client.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": { "name": "lore-tests", "version": "1" },
            }),
        );
        assert!(answer.get("result").is_some(), "initialize: {answer}");
        client.notify("notifications/initialized", json!({}));
        client
    }

    pub fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its id, without waiting.
    pub fn send_request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// The answer to request `id` (the whole JSON-RPC message), keeping notifications heard.
    pub fn answer(&mut self, id: u64) -> Value {
        self.answer_within(id, PATIENCE)
            .unwrap_or_else(|| panic!("no answer to request {id} within {PATIENCE:?}"))
    }

    pub fn answer_within(&mut self, id: u64, within: Duration) -> Option<Value> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(m) if m.get("id") == Some(&json!(id)) && m.get("method").is_none() => {
                    return Some(m);
                }
                Ok(m) if m.get("id").is_none() => self.notifications.push(m),
                Ok(m) => panic!("an answer to a request not asked: {m}"),
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => panic!("lore mcp closed its output"),
            }
        }
    }

    /// Waits until a notification matching `f` has been heard.
    pub fn wait_for_notification(&mut self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        if let Some(n) = self.notifications.iter().find(|n| f(n)) {
            return n.clone();
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(m) if m.get("id").is_none() => {
                    self.notifications.push(m.clone());
                    if f(&m) {
                        return m;
                    }
                }
                Ok(m) => panic!("waiting for {what}, an answer came: {m}"),
                Err(_) => panic!("no {what} within {PATIENCE:?}"),
            }
        }
    }

    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.answer(id)
    }

    /// `tools/call`: the result object (`content`, `structuredContent`, `isError`).
    pub fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let answer = self.request(
            "tools/call",
            json!({ "name": tool, "arguments": arguments }),
        );
        answer
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("tools/call {tool}: {answer}"))
    }

    /// A call expected to succeed: its structured content.
    pub fn call_ok(&mut self, tool: &str, arguments: Value) -> Value {
        let result = self.call(tool, arguments);
        assert_eq!(result["isError"], json!(false), "{tool}: {result}");
        result["structuredContent"].clone()
    }

    /// A call expected to fail: its one line.
    pub fn call_err(&mut self, tool: &str, arguments: Value) -> String {
        let result = self.call(tool, arguments);
        assert_eq!(result["isError"], json!(true), "{tool} succeeded: {result}");
        result["content"][0]["text"].as_str().unwrap().to_string()
    }

    /// Closes its input, as a client that is done, and waits for it to exit.
    pub fn finish(mut self) -> std::process::ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "lore mcp did not exit after its input closed"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for McpClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
