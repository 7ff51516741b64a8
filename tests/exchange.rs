//! Moving in and out: adopting an old store, importing markdown, exporting.

use std::path::Path;

use crate::support::schema::conforms;
use crate::support::*;

#[test]
fn adopt_stops_tracking_the_index_in_one_commit() {
    let s = TestStore::empty();
    let root = s.root();
    git(root, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(root.join("memory/failures")).unwrap();
    std::fs::write(
        root.join("memory/failures/20250101_old.md"),
        "# Old\n\n**Domain**: legacy\n",
    )
    .unwrap();
    // The old script committed its SQLite index.
    let db = rusqlite::Connection::open(root.join("memory/index.db")).unwrap();
    db.execute_batch("CREATE TABLE learnings (id INTEGER PRIMARY KEY AUTOINCREMENT, type TEXT NOT NULL, filepath TEXT NOT NULL, title TEXT NOT NULL, summary TEXT, tags TEXT, domain TEXT, severity INTEGER DEFAULT 1, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, updated_at DATETIME DEFAULT CURRENT_TIMESTAMP);
        INSERT INTO learnings (type, filepath, title, domain) VALUES ('failure', 'memory/failures/20250101_old.md', 'Old', 'legacy');").unwrap();
    drop(db);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "old store"]);
    // Never imposed: without --yes and without a terminal it asks for --yes.
    let out = s.run(&["adopt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(git(root, &["ls-files"]).contains("memory/index.db"));
    let commits = s.commit_count();
    let out = s.ok(&["adopt", "--yes"]);
    assert!(out.contains("adopted"), "{out}");
    assert_eq!(s.commit_count(), commits + 1);
    assert!(
        !git(root, &["ls-files"]).contains("memory/index.db"),
        "still tracked"
    );
    assert!(
        root.join("memory/index.db").exists(),
        "the file stays on disk"
    );
    assert!(
        std::fs::read_to_string(root.join(".gitignore"))
            .unwrap()
            .contains("memory/index.db")
    );
    assert_eq!(git(root, &["status", "--porcelain"]).trim(), "");
    assert!(s.ok(&["list"]).contains("Old"));
    assert!(s.ok(&["adopt", "--yes"]).contains("nothing to adopt"));
}

#[test]
fn import_brings_learnings_in_one_commit_and_skips_exact_duplicates() {
    let s = TestStore::new();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples/memory");
    let commits = s.commit_count();
    let out = s.ok(&["import", samples.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["imported"].as_array().unwrap().len(), 9, "{report}");
    conforms("import", &report);
    assert_eq!(s.commit_count(), commits + 1);
    assert_eq!(s.row_count(), 9);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    // The success sample went to memory/successes/.
    assert!(
        s.files_in_head()
            .iter()
            .any(|p| p.starts_with("memory/successes/"))
    );
    // Again: all duplicates, nothing committed.
    let out = s.ok(&["import", samples.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["imported"].as_array().unwrap().len(), 0);
    assert_eq!(report["duplicates"].as_array().unwrap().len(), 9);
    assert_eq!(s.commit_count(), commits + 1);
    s.ok(&["doctor"]);
}

#[test]
fn export_writes_every_learning_in_each_format() {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "Comma, \"quote\"",
        "--domain",
        "ci",
        "--summary",
        "first",
    ]);
    s.ok(&["record", "--title", "Second", "--domain", "db"]);
    s.ok(&[
        "record",
        "--title",
        "=HYPERLINK(\"http://x.example\",\"click\")",
        "--domain",
        "@sum",
    ]);
    let json: serde_json::Value = serde_json::from_str(&s.ok(&["export"])).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // JSON keeps the text exactly.
    assert_eq!(
        rows[0]["title"],
        "=HYPERLINK(\"http://x.example\",\"click\")"
    );
    assert!(
        rows[2]["body"]
            .as_str()
            .unwrap()
            .starts_with("# Comma, \"quote\"")
    );
    let csv = s.ok(&["export", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,type,title,summary,tags,domain,severity,filepath,created_at,updated_at"
    );
    assert_eq!(lines.len(), 4);
    assert!(csv.contains("\"Comma, \"\"quote\"\"\""), "{csv}");
    // A spreadsheet would run a cell that starts like a formula: it stays text.
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://x.example\"\",\"\"click\"\")\"")
            && csv.contains("\"'@sum\""),
        "{csv}"
    );
    let md = s.ok(&["export", "--format", "markdown", "--domain", "db"]);
    assert!(md.contains("# Second") && !md.contains("# Comma"), "{md}");
}
