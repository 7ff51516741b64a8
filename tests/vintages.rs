//! Existing stores of every vintage (see the store-format reference) open, list, search and
//! record, and lore leaves what other tools rely on exactly as it was.

use std::path::Path;

use crate::support::*;

const OTHER_TABLES: &str = "
CREATE TABLE heuristics (id INTEGER PRIMARY KEY, rule TEXT);
CREATE TABLE experiments (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE cycles (id INTEGER PRIMARY KEY);
CREATE TABLE ceo_reviews (id INTEGER PRIMARY KEY);
CREATE TABLE building_queries (id INTEGER PRIMARY KEY);
INSERT INTO heuristics (rule) VALUES ('After 2 failed edits, switch approach');
";

const VINTAGE_A: &str = "
CREATE TABLE learnings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  filepath TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  tags TEXT,
  domain TEXT,
  severity INTEGER DEFAULT 1,
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX idx_learnings_type ON learnings(type);
CREATE INDEX idx_learnings_domain ON learnings(domain);
CREATE INDEX idx_learnings_tags ON learnings(tags);
";

const VINTAGE_B: &str = "
CREATE TABLE learnings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL CHECK(type IN ('failure','success','heuristic','experiment','observation')),
  filepath TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  tags TEXT,
  domain TEXT,
  severity INTEGER DEFAULT 3 CHECK(severity >= 1 AND severity <= 5),
  created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX idx_learnings_type ON learnings(type);
CREATE INDEX idx_learnings_domain ON learnings(domain);
";

const VINTAGE_C: &str = "
CREATE TABLE learnings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  filepath TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  tags TEXT,
  domain TEXT,
  severity TEXT,
  created_at TIMESTAMP);
ALTER TABLE learnings ADD COLUMN updated_at TIMESTAMP;
CREATE INDEX idx_learnings_created ON learnings(created_at DESC);
CREATE INDEX idx_learnings_domain_created ON learnings(domain, created_at DESC);
CREATE TRIGGER learnings_validate_insert BEFORE INSERT ON learnings
BEGIN
  SELECT RAISE(ABORT, 'invalid type') WHERE NEW.type NOT IN ('failure','success','heuristic','experiment','observation');
  SELECT RAISE(ABORT, 'invalid severity') WHERE CAST(NEW.severity AS INTEGER) NOT BETWEEN 1 AND 5;
END;
CREATE TRIGGER learnings_validate_update BEFORE UPDATE ON learnings
BEGIN
  SELECT RAISE(ABORT, 'invalid type') WHERE NEW.type NOT IN ('failure','success','heuristic','experiment','observation');
  SELECT RAISE(ABORT, 'invalid severity') WHERE CAST(NEW.severity AS INTEGER) NOT BETWEEN 1 AND 5;
END;
";

/// The files of [`ROWS`] that the samples hold.
const OLD_PATHS: [&str; 3] = [
    "memory/failures/20251201_fixed-git-lock-contention-in-record-scripts.md",
    "memory/failures/2025-12-01-file-edit-race-condition.md",
    "memory/successes/20241130_vram-rag-architecture-review.md",
];

/// Rows as the script and other tools left them, quirks included.
const ROWS: &str = "
INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at) VALUES
 ('failure', 'memory/failures/20251201_fixed-git-lock-contention-in-record-scripts.md', 'Fixed git lock contention in record scripts', 'Changed git lock timeout from 30s to 5s.', 'git,concurrency,fix,success', 'fix', '1', '2025-12-01 10:00:00'),
 ('failure', 'memory/failures/2025-12-01-file-edit-race-condition.md', 'Failure: Repeated Edit Tool Failures Due to External File Modification', NULL, 'edit-tool', 'debugging, process', '3', '2025-12-01 11:00:00'),
 ('success', 'memory/successes/20241130_vram-rag-architecture-review.md', 'VRAM+RAG Architecture Review', 'Coordinated review', 'vram,rag', 'infrastructure', '5', '2024-11-30 09:00:00'),
 ('success', '.coordination/AGENT_LOG.md', 'Agent log', 'outside memory/', NULL, 'process', '2', '2024-11-29 09:00:00'),
 ('failure', 'memory/failures/20240101_gone.md', 'A file that no longer exists', 'missing', NULL, 'old', '4', '2024-01-01 09:00:00');
";

fn copy_samples(dst: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples/memory");
    for sub in ["failures", "successes"] {
        std::fs::create_dir_all(dst.join("memory").join(sub)).unwrap();
        for e in std::fs::read_dir(src.join(sub)).unwrap().flatten() {
            std::fs::copy(e.path(), dst.join("memory").join(sub).join(e.file_name())).unwrap();
        }
    }
}

/// An old store: samples, an index of the given vintage, everything committed — the index too,
/// as the script used to do.
fn old_store(schema: &str) -> TestStore {
    let s = TestStore::empty();
    let root = s.root();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "Old Script"]);
    git(root, &["config", "user.email", "old@example.com"]);
    copy_samples(root);
    let db = rusqlite::Connection::open(root.join("memory/index.db")).unwrap();
    db.execute_batch(schema).unwrap();
    db.execute_batch(OTHER_TABLES).unwrap();
    db.execute_batch(ROWS).unwrap();
    drop(db);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "old store"]);
    s
}

fn schema_objects(s: &TestStore) -> Vec<(String, String)> {
    let db = s.db();
    let mut stmt = db
        .prepare("SELECT name, coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'lore%' AND name NOT LIKE 'lock_events%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn old_rows(s: &TestStore) -> Vec<(i64, String, String, Option<String>)> {
    let db = s.db();
    let mut stmt = db.prepare("SELECT id, type, title, CAST(severity AS TEXT) FROM learnings WHERE id <= 5 ORDER BY id").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn check_vintage(name: &str, schema: &str) {
    let s = old_store(schema);
    let objects_before = schema_objects(&s);
    let rows_before = old_rows(&s);

    // list: every old row, and every committed learning the old index had no row for (the
    // first open indexes them), severities as integers.
    let committed = s.git(&["ls-files", "memory/*.md", "memory/**/*.md"]);
    let unrowed = committed.lines().filter(|p| !OLD_PATHS.contains(p)).count();
    assert!(
        unrowed > 0,
        "the samples hold files the old index has no row for"
    );
    let rows: serde_json::Value =
        serde_json::from_str(&s.ok(&["list", "--limit", "100", "--json"])).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 5 + unrowed, "{name}: {rows:?}");
    let edit_race = rows
        .iter()
        .find(|r| r["filepath"] == "memory/failures/2025-12-01-file-edit-race-condition.md")
        .expect("the old row");
    assert_eq!(
        edit_race["title"],
        "Failure: Repeated Edit Tool Failures Due to External File Modification"
    );
    assert_eq!(
        edit_race["id"].as_i64(),
        Some(2),
        "{name}: the old row kept its id"
    );
    assert!(
        rows.iter().all(|r| r["severity"].is_i64()),
        "{name}: {rows:?}"
    );
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for k in [
        "id",
        "type",
        "title",
        "summary",
        "tags",
        "domain",
        "severity",
        "filepath",
        "created_at",
        "updated_at",
    ] {
        assert!(keys.contains(&k), "{name}: missing key {k}");
    }

    // search reaches the markdown bodies of rows lore never wrote.
    let hits: serde_json::Value =
        serde_json::from_str(&s.ok(&["search", "atomic rename", "--json"])).unwrap();
    assert_eq!(
        hits[0]["filepath"], "memory/failures/2025-12-01-file-edit-race-condition.md",
        "{name}: {hits}"
    );
    let out = s.ok(&["show", "4"]);
    assert!(out.contains("Agent log"), "{name}");
    let out = s.ok(&["show", "5"]);
    assert!(out.contains("is missing"), "{name}: {out}");

    // record works and satisfies the vintage's CHECKs and triggers.
    let out = s.ok(&[
        "record",
        "--title",
        "New on old",
        "--domain",
        "compat",
        "--severity",
        "critical",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The script's store keeps the script's flat layout.
    let today = jiff::ZonedDateTime::now().strftime("%Y%m%d").to_string();
    assert_eq!(
        v["filepath"],
        format!("memory/failures/{today}_new-on-old.md"),
        "{name}"
    );
    let sev: String = s
        .db()
        .query_row(
            "SELECT CAST(severity AS TEXT) FROM learnings WHERE id = ?",
            [v["id"].as_i64().unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sev, "5", "{name}");

    // The index is tracked in this store: lore neither commits nor stages it.
    assert_eq!(
        s.git(&["show", "--name-only", "--format=", "HEAD"]).trim(),
        v["filepath"].as_str().unwrap(),
        "{name}"
    );
    assert_eq!(
        s.git(&["diff", "--cached", "--name-only"]).trim(),
        "",
        "{name}: something staged"
    );

    // Nothing of the old schema or rows was dropped or rewritten; other tables are intact.
    assert_eq!(schema_objects(&s), objects_before, "{name}: schema changed");
    assert_eq!(old_rows(&s), rows_before, "{name}: old rows changed");
    let rule: String = s
        .db()
        .query_row("SELECT rule FROM heuristics", [], |r| r.get(0))
        .unwrap();
    assert!(rule.starts_with("After 2"));

    // Another tool keeps writing the table (as the script does) and lore keeps up.
    s.db()
        .execute(
            "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity) VALUES ('failure', 'memory/failures/x.md', 'Inserted by the script', 'zebra', '', 'sh', 3)",
            [],
        )
        .unwrap();
    let hits: serde_json::Value =
        serde_json::from_str(&s.ok(&["search", "zebra", "--json"])).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1, "{name}: {hits}");
    assert_eq!(s.row_count(), 7 + unrowed as i64);
}

#[test]
fn vintage_a_documented_schema() {
    check_vintage("A", VINTAGE_A);
}

#[test]
fn vintage_b_installer_template_with_checks() {
    check_vintage("B", VINTAGE_B);
}

#[test]
fn vintage_c_text_severity_and_triggers() {
    check_vintage("C", VINTAGE_C);
}

#[test]
fn a_plain_git_repository_without_an_index_becomes_a_store() {
    let s = TestStore::empty();
    git(s.root(), &["init", "-q", "-b", "trunk"]);
    // No commits yet, no memory/: lore creates what it needs and makes the first commit.
    s.record("first ever", "d");
    assert_eq!(s.commit_count(), 1);
    assert_eq!(
        s.git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(),
        "trunk"
    );
}

#[test]
fn a_repository_lore_did_not_create_keeps_the_index_out_of_git() {
    // Someone's project, with history and a logs/ folder of its own.
    let s = TestStore::empty();
    git(s.root(), &["init", "-q"]);
    std::fs::create_dir(s.root().join("logs")).unwrap();
    std::fs::write(s.root().join("logs/build.log"), "theirs\n").unwrap();
    std::fs::write(s.root().join("README"), "a project\n").unwrap();
    git(s.root(), &["add", "-A"]);
    git_commit(s.root(), &["-m", "project"]);
    s.ok(&["init", s.root().to_str().unwrap()]);
    s.record("Kept out of git", "d");
    assert!(s.root().join("memory/index.db").exists());
    // Nothing of the index shows up or would be swept in by `git add -A`; their files would.
    assert_eq!(
        s.git(&["status", "--porcelain", "--untracked-files=all"])
            .trim(),
        ""
    );
    std::fs::write(s.root().join("logs/new.log"), "theirs too\n").unwrap();
    git(s.root(), &["add", "-A"]);
    let staged = s.git(&["diff", "--cached", "--name-only"]);
    assert_eq!(staged.trim(), "logs/new.log");
    // Through this clone's own exclude file: no tracked file was changed for it.
    assert!(!s.root().join(".gitignore").exists());
}

#[test]
fn a_directory_that_is_not_a_store_is_a_clear_error() {
    let s = TestStore::empty();
    let out = s.run(&["list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("lore init"), "{}", stderr(&out));
    let out = std::process::Command::new(LORE)
        .args(["--store", "/no/such/dir", "list"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("no such directory"),
        "{}",
        stderr(&out)
    );
}
