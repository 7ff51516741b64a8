//! Living beside git as its users have it set up: SHA-256 repositories, linked worktrees,
//! `core.autocrlf`, symbolic links.

use std::path::Path;

use crate::support::*;

/// Every file and folder under `root`, with sizes: what a refused command must leave alone.
fn listing(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            out.push(format!("{} {}", p.display(), meta.len()));
            if meta.is_dir() {
                dirs.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_sha256_repository_is_refused_with_one_clear_message_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("sha256");
    git(
        dir.path(),
        &["init", "-q", "--object-format=sha256", "sha256"],
    );
    let markdown = dir.path().join("one.md");
    std::fs::write(&markdown, "# One\n\n**Domain**: d\n").unwrap();
    let before = listing(&repo);
    let store = repo.to_str().unwrap();
    let commands: [&[&str]; 14] = [
        &["list"],
        &["search", "x"],
        &["show", "1"],
        &["record", "--title", "t", "--domain", "d"],
        &["doctor"],
        &["doctor", "--fix"],
        &["reindex"],
        &["sync"],
        &["adopt", "--yes"],
        &["import", markdown.to_str().unwrap()],
        &["export"],
        &["lock", "status"],
        &["init", store],
        &[],
    ];
    for args in commands {
        let mut c = std::process::Command::new(LORE);
        if args.first() != Some(&"init") {
            c.args(["--store", store]);
        }
        let out = c
            .args(args)
            .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(
            err.contains("is a SHA-256 git repository") && err.contains("SHA-1 repositories only"),
            "{args:?}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err}");
        assert!(!err.contains("lore init"), "{args:?}: suggests init: {err}");
        assert_eq!(listing(&repo), before, "{args:?} wrote something");
    }
}
