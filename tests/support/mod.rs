//! What the integration tests and the benchmarks share: temporary stores, running the real
//! `lore` binary, reading back git and SQLite state; synthetic stores; figures.
#![allow(dead_code)]

pub mod figures;
pub mod mcp;
pub mod pty;
pub mod schema;
pub mod script_store;
pub mod synthetic;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const LORE: &str = env!("CARGO_BIN_EXE_lore");

pub struct TestStore {
    pub dir: tempfile::TempDir,
}

impl TestStore {
    /// A fresh store made by `lore init`.
    pub fn new() -> TestStore {
        TestStore::new_in(&std::env::temp_dir())
    }

    /// A fresh store made by `lore init`, in a new folder under `base` (a small file system,
    /// say).
    pub fn new_in(base: &Path) -> TestStore {
        let dir = tempfile::tempdir_in(base).unwrap();
        let out = Command::new(LORE)
            .arg("init")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "init failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        TestStore { dir }
    }

    /// An empty directory (for tests that build a store by hand).
    pub fn empty() -> TestStore {
        TestStore {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(LORE);
        c.arg("--store").arg(self.root());
        c.env_remove("LORE_STORE");
        // Never the developer's own configuration.
        c.env("LORE_CONFIG", "/nonexistent/lore/config.toml");
        for v in [
            "FAILURE_TITLE",
            "FAILURE_DOMAIN",
            "FAILURE_SEVERITY",
            "FAILURE_TAGS",
            "FAILURE_SUMMARY",
        ] {
            c.env_remove(v);
        }
        c.stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "lore {args:?} failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn record(&self, title: &str, domain: &str) -> String {
        self.ok(&["record", "--title", title, "--domain", domain])
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(self.root(), args)
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.root().join("memory/index.db")).unwrap()
    }

    /// Where the learning titled `title` is, as its row says.
    pub fn path_of(&self, title: &str) -> String {
        self.db()
            .query_row(
                "SELECT filepath FROM learnings WHERE title = ?",
                [title],
                |r| r.get(0),
            )
            .unwrap()
    }

    pub fn row_count(&self) -> i64 {
        self.db()
            .query_row("SELECT count(*) FROM learnings", [], |r| r.get(0))
            .unwrap()
    }

    pub fn commit_count(&self) -> usize {
        self.git(&["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .unwrap()
    }

    /// Files under `memory/<sub>` on disk, in daily folders or not: paths relative to
    /// `memory/<sub>/` (`2026-11/28/x.md`, or `x.md` in a flat store), sorted.
    pub fn files_on_disk(&self, sub: &str) -> Vec<String> {
        fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let name = format!("{prefix}{}", e.file_name().to_string_lossy());
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    walk(&e.path(), &format!("{name}/"), out);
                } else {
                    out.push(name);
                }
            }
        }
        let mut v = Vec::new();
        walk(&self.root().join("memory").join(sub), "", &mut v);
        v.sort();
        v
    }

    /// Learning files on disk (`memory/failures/…/*.md`, not lore's temporary files), as paths
    /// relative to the work tree, sorted.
    pub fn learnings_on_disk(&self) -> Vec<String> {
        self.files_on_disk("failures")
            .into_iter()
            .filter(|f| !f.rsplit('/').next().unwrap_or("").starts_with('.'))
            .map(|f| format!("memory/failures/{f}"))
            .collect()
    }

    /// Markdown files under memory/ in HEAD (sorted).
    pub fn files_in_head(&self) -> Vec<String> {
        let out = self.git(&["ls-tree", "-r", "--name-only", "HEAD", "memory/"]);
        let mut v: Vec<String> = out
            .lines()
            .filter(|l| l.ends_with(".md"))
            .map(str::to_string)
            .collect();
        v.sort();
        v
    }

    /// (head, rows, files on disk under memory/failures) — for "nothing was written" checks.
    pub fn snapshot(&self) -> (String, i64, Vec<String>) {
        (
            self.git(&["rev-parse", "HEAD"]),
            self.row_count(),
            self.files_on_disk("failures"),
        )
    }

    pub fn lock_file(&self) -> PathBuf {
        self.root().join(".git/claude-lock")
    }
}

/// `git commit -q ARGS` in `dir` as a test identity (another git client's commit).
pub fn git_commit(dir: &Path, args: &[&str]) -> String {
    let mut all = vec![
        "-c",
        "user.name=Another client",
        "-c",
        "user.email=client@example.com",
        "commit",
        "-q",
    ];
    all.extend_from_slice(args);
    git(dir, &all)
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Starts `lore lock hold --for <secs>s` and waits until it reports holding the lock.
pub fn hold(store: &TestStore, secs: u32, extra: &[&str]) -> Child {
    let mut child = store
        .cmd()
        .args(extra)
        .args(["lock", "hold", "--for", &format!("{secs}s")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
    assert!(line.starts_with("holding"), "unexpected: {line:?}");
    child
}

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where lore puts a learning named `name` (`YYYYMMDD_slug.md`) in a store it created: the
/// daily folder of the date the name starts with.
pub fn daily(name: &str) -> String {
    format!(
        "memory/failures/{}-{}/{}/{name}",
        &name[..4],
        &name[4..6],
        &name[6..8]
    )
}

/// Everything in an SQLite file that lore does not own, as text: each object's schema, each
/// table's rows with their rowids (in rowid order; WITHOUT ROWID tables sorted), every
/// AUTOINCREMENT counter but `learnings`'. Two equal dumps mean nothing of it changed.
pub fn foreign_dump(db: &rusqlite::Connection) -> Vec<String> {
    let lore = |n: &str| n.starts_with("lore_") || n.starts_with("sqlite_") || n == "lock_events";
    let objects: Vec<(String, String, String, Option<String>)> = {
        let mut stmt = db
            .prepare("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let mut out = Vec::new();
    for (kind, name, table, sql) in objects {
        if lore(&name) || lore(&table) || name == "learnings" {
            continue;
        }
        out.push(format!(
            "{kind} {name} on {table}: {}",
            sql.unwrap_or_default()
        ));
        if kind != "table" {
            continue;
        }
        let quoted = name.replace('"', "\"\"");
        let with_rowid = db.prepare(&format!("SELECT rowid, * FROM \"{quoted}\" ORDER BY rowid"));
        let (mut stmt, sorted) = match with_rowid {
            Ok(s) => (s, false),
            Err(_) => (
                db.prepare(&format!("SELECT * FROM \"{quoted}\"")).unwrap(),
                true,
            ),
        };
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                    .collect();
                Ok(format!("  {name}: {}", cells.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        if sorted {
            rows.sort();
        }
        out.extend(rows);
    }
    if let Ok(mut stmt) = db.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name") {
        out.extend(
            stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
                .unwrap()
                .map(Result::unwrap)
                .filter(|(name, _)| name != "learnings")
                .map(|(name, seq)| format!("sequence {name} = {seq}")),
        );
    }
    out
}

/// `learnings`' AUTOINCREMENT counter: the highest id ever handed out.
pub fn learnings_counter(db: &rusqlite::Connection) -> i64 {
    db.query_row(
        "SELECT ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'learnings'), 0)",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// The critical sections a `LORE_TEST_CS_LOG` file records, as (nanoseconds, +1 for a start
/// or -1 for an end, who), in time order, ends first at the same nanosecond.
pub fn critical_sections(log: &Path) -> Vec<(u128, i32, String)> {
    let text = std::fs::read_to_string(log).unwrap();
    let mut events: Vec<(u128, i32, String)> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let delta = if f[1] == "start" { 1 } else { -1 };
            (f[2].parse().unwrap(), delta, f[0].to_string())
        })
        .collect();
    events.sort_by_key(|e| (e.0, e.1));
    events
}

/// Where two critical sections of `events` ([`critical_sections`]) first overlap: when, and
/// who began the second.
pub fn first_overlap(events: &[(u128, i32, String)]) -> Option<(u128, String)> {
    let mut active = 0;
    events.iter().find_map(|(ns, delta, who)| {
        active += delta;
        (!(0..=1).contains(&active)).then(|| (*ns, who.clone()))
    })
}

/// Every entry under `root` (folders too) but those `skip` names, as `relative/path size`
/// (`lstat`'s size: a link's own), sorted: what a command that must write nothing leaves.
pub fn tree_listing(root: &Path, skip: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if skip(&rel) {
                continue;
            }
            let meta = std::fs::symlink_metadata(&p).unwrap();
            out.push(format!("{rel} {}", meta.len()));
            if meta.is_dir() {
                dirs.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Writes an executable script (a hook, a stand-in editor) at `path`.
pub fn write_executable(path: &Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, script).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A store another tool made, with the script's oldest `learnings` table: no CHECKs and a
/// text severity, so rows can hold words and blanks where lore's own table holds numbers.
/// Committed, with the index ignored, and no learning yet.
pub fn oldest_schema_store() -> TestStore {
    let s = TestStore::empty();
    let root = s.root();
    git(root, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(root.join("memory/failures")).unwrap();
    std::fs::write(root.join(".gitignore"), "memory/index.db\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "a store another tool made"]);
    rusqlite::Connection::open(root.join("memory/index.db"))
        .unwrap()
        .execute_batch(
            "CREATE TABLE learnings (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL,
               filepath TEXT NOT NULL, title TEXT NOT NULL, summary TEXT, tags TEXT, domain TEXT,
               severity TEXT, created_at TIMESTAMP, updated_at TIMESTAMP);",
        )
        .unwrap();
    s
}
