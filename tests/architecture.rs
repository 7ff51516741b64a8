//! Where the store's critical operations may appear in the code, by module: naming git2 or
//! rusqlite,
//! taking the store lock, editing git's index, moving a branch, opening SQLite's write
//! transaction of a change.
//! Only the write seam (`write`) does them, over the modules that implement them; besides it,
//! only `lore lock hold` takes the lock (a demonstration that changes nothing). A new caller
//! anywhere else fails this test, so every change keeps going through one critical section.
//! The table names modules by path, so that moving them means changing one line here.

use std::path::Path;

/// (what, the marks of it in the source, the modules where it may appear).
const RULES: &[(&str, &[&str], &[&str])] = &[
    ("naming git2", &["git2"], &["src/git/"]),
    ("naming rusqlite", &["rusqlite"], &["src/index/"]),
    (
        "taking the store lock",
        &["lock::acquire("],
        &["src/write.rs", "src/lock/", "src/cli/lock.rs"],
    ),
    (
        "editing git's index",
        &["git::stage(", "edit_index", "StagedUndo"],
        &["src/write.rs", "src/git/"],
    ),
    (
        "moving a branch",
        &["commit_blobs", "move_branch_to", "move_branch("],
        &["src/write.rs", "src/git/"],
    ),
    (
        "a change's SQLite transaction",
        &["begin_write(", "commit_write(", "rollback_write("],
        &["src/write.rs", "src/index/"],
    ),
];

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn only_the_write_seam_locks_stages_commits_and_opens_a_change() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20, "the sources were not found");
    let mut wrong = Vec::new();
    for (what, marks, allowed) in RULES {
        let mut seen = false;
        for (rel, text) in &files {
            let ok = allowed.iter().any(|a| rel.starts_with(a));
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if marks.iter().any(|m| code.contains(m)) {
                    seen = true;
                    if !ok {
                        wrong.push(format!("{rel}:{}: {what}: {}", n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(seen, "no mark of {what} found: the rule is out of date");
    }
    assert!(
        wrong.is_empty(),
        "outside the write seam:\n{}",
        wrong.join("\n")
    );
}
