//! A store as the `record-failure.sh` script's users have one: a flat `memory/failures/` of
//! committed files written by its template, and the script's own `memory/index.db`, tracked in
//! git, holding rows for only some of them — with what other tools added over time: triggers,
//! CHECKs, tables whose foreign keys some rows break, an AUTOINCREMENT counter ahead, rows for
//! files outside `memory/failures/`, a template file, and files without a Date line.

use super::{TestStore, git};

/// The script's schema (vintage C: text severity, validating triggers) and other tools' tables.
const SCHEMA: &str = "
CREATE TABLE learnings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL CHECK(type IN ('failure','success','heuristic','experiment','observation')),
  filepath TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  tags TEXT,
  domain TEXT,
  severity TEXT,
  created_at TIMESTAMP,
  updated_at TIMESTAMP);
CREATE INDEX idx_learnings_domain ON learnings(domain);
CREATE TRIGGER learnings_validate_insert BEFORE INSERT ON learnings
BEGIN
  SELECT RAISE(ABORT, 'invalid severity') WHERE CAST(NEW.severity AS INTEGER) NOT BETWEEN 1 AND 5;
END;
CREATE TABLE heuristics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rule TEXT NOT NULL CHECK(length(rule) > 0),
  learning_id INTEGER REFERENCES learnings(id));
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
CREATE TRIGGER learnings_audit AFTER INSERT ON learnings
BEGIN
  INSERT INTO audit (what) VALUES ('learning ' || NEW.id);
END;
";

/// When the fixture's batch `chunk` was committed (an undated file is dated by it).
pub fn commit_date(chunk: usize) -> String {
    format!("2025-03-0{}T12:00:00", chunk + 1)
}

fn commit_on(root: &std::path::Path, message: &str, date: &str) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["commit", "-q", "-m", message])
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the fixture holds, for the tests to check against.
pub struct ScriptStore {
    pub store: TestStore,
    /// Every committed learning under `memory/failures/` (the template file not counted).
    pub learnings: usize,
    /// How many of them the script's index has a row for.
    pub rows: usize,
}

/// The script's template, filled in: `dated` decides whether it has a Date line.
fn learning(i: usize, dated: bool) -> String {
    let date = if dated {
        format!("**Date**: 2025-{:02}-{:02}\n", 1 + i % 12, 1 + i % 28)
    } else {
        String::new()
    };
    format!(
        "# Migrated failure {i} quokka{i}\n\n**Domain**: domain{}\n**Severity**: {}\n**Tags**: old,script\n{date}\n## Summary\n\nWhat the script recorded as number {i}.\n\n## What Happened\n\n[Describe the failure in detail]\n\n## Root Cause\n\n[What was the underlying issue?]\n\n## Impact\n\n[What were the consequences?]\n\n## Prevention\n\n[What heuristic or practice would prevent this?]\n",
        i % 7,
        1 + i % 5
    )
}

/// A script-style store of `n` committed learnings (every tenth undated) in three commits,
/// whose tracked index has rows for the first `rows` of them.
pub fn script_store(n: usize, rows: usize) -> ScriptStore {
    let s = TestStore::empty();
    let root = s.root();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "Old Script"]);
    git(root, &["config", "user.email", "old@example.com"]);
    let failures = root.join("memory/failures");
    std::fs::create_dir_all(&failures).unwrap();
    std::fs::write(
        failures.join("TEMPLATE.md"),
        "# [Short Title]\n\n**Domain**: [domain]\n**Severity**: [1-5]\n",
    )
    .unwrap();
    let name = |i: usize| {
        format!(
            "2025{:02}{:02}_migrated-failure-{i}.md",
            1 + i % 12,
            1 + i % 28
        )
    };
    let db = rusqlite::Connection::open(root.join("memory/index.db")).unwrap();
    db.execute_batch(SCHEMA).unwrap();
    for (chunk, range) in [(0, 0..n / 3), (1, n / 3..2 * n / 3), (2, 2 * n / 3..n)] {
        for i in range {
            std::fs::write(failures.join(name(i)), learning(i, i % 10 != 9)).unwrap();
            if i < rows {
                db.execute(
                    "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at)
                     VALUES ('failure', ?1, ?2, ?3, 'old,script', ?4, ?5, '2025-06-01 10:00:00')",
                    rusqlite::params![
                        format!("memory/failures/{}", name(i)),
                        format!("Migrated failure {i} quokka{i}"),
                        format!("What the script recorded as number {i}."),
                        format!("domain{}", i % 7),
                        (1 + i % 5).to_string(),
                    ],
                )
                .unwrap();
            }
        }
        git(root, &["add", "-A"]);
        commit_on(
            root,
            &format!("failure: batch {chunk}"),
            &commit_date(chunk),
        );
    }
    // Rows the script made for files elsewhere, a heuristic whose learning is gone, and a
    // counter ahead of the rows.
    db.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO learnings (type, filepath, title, severity) VALUES ('heuristic', 'notes/elsewhere.md', 'Kept outside memory', '2');
         INSERT INTO heuristics (rule, learning_id) VALUES ('After 2 failed edits, switch approach', 99999);
         UPDATE sqlite_sequence SET seq = seq + 50 WHERE name = 'learnings';",
    )
    .unwrap();
    drop(db);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "index: rows of other tools"]);
    ScriptStore {
        store: s,
        learnings: n,
        rows,
    }
}

/// Which `record-failure.sh` a [`stand_in_record`] plays: as it ships, or as `lore adopt`
/// says to update it (without its `git add memory/index.db`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Script {
    AsShipped,
    Updated,
}

/// Records one failure the way the script does, with real git and real SQLite: the file and
/// the row first, then, holding `flock` on `.git/claude-lock` (opened for writing, which
/// truncates it), `git add` of the file and of the index and `git commit` (a failed commit
/// counts as success); any other failure runs its error trap, which deletes the file and the
/// row. Returns the file's path, or the failing step's message.
pub fn stand_in_record(
    root: &std::path::Path,
    script: Script,
    title: &str,
) -> Result<String, String> {
    let slug: String = title
        .to_lowercase()
        .replace(' ', "-")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let rel = format!("memory/failures/20261202_{slug}.md");
    std::fs::write(
        root.join(&rel),
        format!(
            "# {title}\n\n**Domain**: standin\n**Severity**: 3\n**Tags**: \n**Date**: 2026-12-02\n\n## Summary\n\nWritten by the stand-in.\n"
        ),
    )
    .unwrap();
    let db = rusqlite::Connection::open(root.join("memory/index.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute(
        "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity) VALUES ('failure', ?1, ?2, 'Written by the stand-in.', '', 'standin', '3')",
        [&rel, title],
    )
    .unwrap();
    let trap = |why: String| -> Result<String, String> {
        let _ = std::fs::remove_file(root.join(&rel));
        db.execute("DELETE FROM learnings WHERE filepath = ?1", [&rel])
            .unwrap();
        Err(why)
    };
    let lock = std::fs::File::create(root.join(".git/claude-lock")).unwrap();
    lock.lock().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .unwrap()
    };
    let mut adds = vec![rel.as_str()];
    if script == Script::AsShipped {
        adds.push("memory/index.db");
    }
    for path in adds {
        let out = run(&["add", path]);
        if !out.status.success() {
            drop(lock);
            return trap(format!(
                "git add {path}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let _ = run(&[
        "commit",
        "-q",
        "-m",
        &format!("failure: {title}"),
        "-m",
        "Domain: standin | Severity: 3",
    ]);
    drop(lock);
    Ok(rel)
}
