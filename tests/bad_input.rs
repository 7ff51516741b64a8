//! Bad input: a one-line error naming the field and the limit, exit status 2, nothing written.

use crate::support::*;
use std::process::Command;

fn rejects(s: &TestStore, args: &[&str], field: &str) -> String {
    let before = s.snapshot();
    let out = s.run(args);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?} should exit 2; stderr: {err}"
    );
    assert!(
        err.contains(field),
        "{args:?}: error should name `{field}`: {err}"
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err}"
    );
    assert_eq!(s.snapshot(), before, "{args:?} wrote something");
    err
}

#[test]
fn limits_and_empty_fields() {
    let s = TestStore::new();
    let long_title = "t".repeat(501);
    let e = rejects(
        &s,
        &["record", "--title", &long_title, "--domain", "d"],
        "title",
    );
    assert!(e.contains("501") && e.contains("500"), "{e}");
    let long_domain = "d".repeat(101);
    let e = rejects(
        &s,
        &["record", "--title", "t", "--domain", &long_domain],
        "domain",
    );
    assert!(e.contains("100"), "{e}");
    let long_summary = "s".repeat(50_001);
    let e = rejects(
        &s,
        &[
            "record",
            "--title",
            "t",
            "--domain",
            "d",
            "--summary",
            &long_summary,
        ],
        "summary",
    );
    assert!(e.contains("50000"), "{e}");
    rejects(&s, &["record", "--title", "   ", "--domain", "d"], "title");
    rejects(
        &s,
        &["record", "--title", "t", "--domain", "\t\n"],
        "domain",
    );
    // Control characters only: empty once stripped.
    rejects(
        &s,
        &["record", "--title", "\u{1b}[31m\u{7}", "--domain", "d"],
        "title",
    );

    // At the limit is fine.
    let title = "t".repeat(500);
    s.ok(&["record", "--title", &title, "--domain", &"d".repeat(100)]);
}

#[test]
fn invalid_values_are_errors_not_silent_defaults() {
    let s = TestStore::new();
    for sev in ["0", "6", "urgent", "3.5", "-1"] {
        rejects(
            &s,
            &["record", "--title", "t", "--domain", "d", "--severity", sev],
            "severity",
        );
    }
    rejects(
        &s,
        &["record", "--title", "t", "--domain", "d", "--type", "bug"],
        "type",
    );
    // Unknown flags and missing required ones are usage errors (clap), also exit 2.
    let before = s.snapshot();
    let out = s.run(&["record", "--title", "t", "--domain", "d", "--colour", "red"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--colour"));
    let out = s.run(&["record", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--title"));
    // A limit of no rows is a mistake, not 50 (list) or 1 (search); so is showing nothing.
    for (args, named) in [
        (&["list", "--limit", "0"][..], "--limit"),
        (&["search", "x", "--limit", "0"], "--limit"),
        (&["show", " "], "target"),
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(named), "{}", stderr(&out));
    }
    assert_eq!(s.snapshot(), before);
}

#[test]
fn bad_global_options() {
    let s = TestStore::new();
    for t in ["abc", "-1", "1e9"] {
        let out = s.run(&["--lock-timeout", t, "list"]);
        assert_eq!(out.status.code(), Some(2), "--lock-timeout {t}");
        assert!(stderr(&out).contains("lock-timeout"), "{}", stderr(&out));
    }
    let out = s.run(&["list", "--lock-strategy", "fcntl"]);
    assert_eq!(out.status.code(), Some(2));
    let out = s.run(&["list", "--since", "someday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("since"));
}

#[test]
fn invalid_utf8_and_oversized_files() {
    use std::os::unix::ffi::OsStrExt;
    let s = TestStore::new();
    let before = s.snapshot();
    let out = s
        .cmd()
        .args(["record", "--domain", "d", "--title"])
        .arg(std::ffi::OsStr::from_bytes(b"bad \xff title"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let bad = s.root().join("bad.md");
    std::fs::write(&bad, b"\xff\xfe not utf-8").unwrap();
    rejects(
        &s,
        &[
            "record",
            "--title",
            "t",
            "--domain",
            "d",
            "--body-file",
            bad.to_str().unwrap(),
        ],
        "body-file",
    );
    let big = s.root().join("big.md");
    std::fs::write(&big, "x".repeat(5_000_000)).unwrap();
    rejects(
        &s,
        &[
            "record",
            "--title",
            "t",
            "--domain",
            "d",
            "--body-file",
            big.to_str().unwrap(),
        ],
        "body-file",
    );
    rejects(
        &s,
        &[
            "record",
            "--title",
            "t",
            "--domain",
            "d",
            "--body-file",
            "/no/such/file",
        ],
        "body-file",
    );
    assert_eq!(s.snapshot().1, before.1);
}

#[test]
fn endless_input_is_refused_at_the_limit_not_read_to_the_end() {
    let s = TestStore::new();
    let before = s.snapshot();
    // Under a 2 GB address-space limit, so that reading without a bound fails here (as "out of
    // memory", without the limit named) instead of taking the machine's memory.
    let refused = |args: &str| -> String {
        let lore = s.cmd().get_program().to_owned();
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "ulimit -v 2000000; exec \"$0\" --store \"$1\" record --title t --domain d {args}"
            ))
            .arg(lore)
            .arg(s.root())
            .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args}: {err}");
        err
    };
    for (args, names) in [
        ("--summary - </dev/zero", ["summary", "50000"]),
        ("--body-file /dev/zero", ["body-file", "1000000"]),
        ("--body-file - </dev/zero", ["body-file", "1000000"]),
        ("--body-file /", ["body-file", "directory"]),
    ] {
        let err = refused(args);
        assert!(names.iter().all(|n| err.contains(n)), "{args}: {err}");
    }
    assert_eq!(s.snapshot(), before);
}

#[test]
fn control_characters_are_stripped_before_saving() {
    let s = TestStore::new();
    let out = s.ok(&[
        "record",
        "--title",
        "\u{1b}[31mRED\u{1b}[0m\u{7} title\n## Summary",
        "--domain",
        "a\u{202e}b",
        "--summary",
        "ok\u{1b}]52;c;ZXZpbA==\u{7} text\r\nnext",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let md = std::fs::read_to_string(s.root().join(v["filepath"].as_str().unwrap())).unwrap();
    assert!(
        md.starts_with("# RED title ## Summary\n\n**Domain**: ab\n"),
        "{md}"
    );
    assert!(md.contains("ok text\nnext"), "{md}");
    assert!(!md.chars().any(|c| c.is_control() && c != '\n'), "{md:?}");
    // Exactly one Summary heading: a title cannot inject sections.
    assert_eq!(md.matches("\n## Summary\n").count(), 1);
}

#[test]
fn hostile_titles_stay_inside_the_store() {
    let s = TestStore::new();
    for title in [
        "../../etc/passwd",
        "/abs/path",
        "C:\\x",
        "'; DROP TABLE learnings; --",
        "$(whoami) `id`",
    ] {
        let out = s.ok(&["record", "--title", title, "--domain", "d", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let path = v["filepath"].as_str().unwrap();
        let name = path.rsplit('/').next().unwrap();
        assert_eq!(path, daily(name), "{path}");
        assert!(!path.contains(".."), "{path}");
    }
    assert_eq!(s.row_count(), 5);
}

#[test]
fn symbolic_links_inside_the_store_are_refused() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    // memory/failures pointing elsewhere.
    let s = TestStore::new();
    let failures = s.root().join("memory/failures");
    std::fs::remove_dir(&failures).unwrap();
    symlink(outside.path(), &failures).unwrap();
    let out = s.run(&["record", "--title", "t", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "wrote through the link"
    );

    // The lock file as a link.
    let s = TestStore::new();
    let target = outside.path().join("victim");
    std::fs::write(&target, "keep me").unwrap();
    let _ = std::fs::remove_file(s.lock_file());
    symlink(&target, s.lock_file()).unwrap();
    let out = s.run(&["record", "--title", "t", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    assert_eq!(s.row_count(), 0);
}
