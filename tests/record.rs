//! `lore record`: the file it writes, the row, the commit, and what it leaves alone.

use std::os::unix::fs::PermissionsExt;

use crate::support::*;

#[test]
fn writes_the_scripts_template_a_row_and_one_commit() {
    let s = TestStore::new();
    let before = s.commit_count();
    let out = s.ok(&[
        "record",
        "--title",
        "Deploy ran twice",
        "--domain",
        "ci",
        "--severity",
        "high",
        "--tags",
        "deploy, retry",
        "--summary",
        "The retry fired early\nsecond line",
        "--root-cause",
        "No idempotency key",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let path = v["filepath"].as_str().unwrap();
    let today = jiff::ZonedDateTime::now().strftime("%Y%m%d").to_string();
    assert_eq!(path, daily(&format!("{today}_deploy-ran-twice.md")));

    let md = std::fs::read_to_string(s.root().join(path)).unwrap();
    let lines: Vec<&str> = md.lines().collect();
    assert_eq!(lines[0], "# Deploy ran twice");
    assert_eq!(lines[2], "**Domain**: ci");
    assert_eq!(lines[3], "**Severity**: 4");
    assert_eq!(lines[4], "**Tags**: deploy,retry");
    assert!(lines[5].starts_with("**Date**: "));
    for section in [
        "## Summary",
        "## What Happened",
        "## Root Cause",
        "## Impact",
        "## Prevention",
        "## Related",
    ] {
        assert!(md.contains(&format!("\n{section}\n")), "missing {section}");
    }
    assert!(md.contains("The retry fired early\nsecond line"));
    assert!(md.contains("No idempotency key"));
    assert!(md.contains("[What were the consequences?]"));

    // One commit holding exactly that file, with the script's message.
    assert_eq!(s.commit_count(), before + 1);
    assert_eq!(
        s.git(&["rev-parse", "HEAD"]).trim(),
        v["commit"].as_str().unwrap()
    );
    assert_eq!(
        s.git(&["show", "--name-only", "--format=", "HEAD"]).trim(),
        path
    );
    assert_eq!(
        s.git(&["log", "-1", "--format=%B"]).trim(),
        "failure: Deploy ran twice\n\nDomain: ci | Severity: 4"
    );
    // git status is clean: the index entry was updated, nothing is left untracked.
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");

    // The row: the script's columns, first line of the summary only.
    let (id, kind, fp, title, summary, tags, domain, sev): (
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
    ) = s
        .db()
        .query_row(
            "SELECT id, type, filepath, title, summary, tags, domain, severity FROM learnings",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(id, v["id"].as_i64().unwrap());
    assert_eq!(
        (
            kind.as_str(),
            fp.as_str(),
            title.as_str(),
            summary.as_str(),
            tags.as_str(),
            domain.as_str(),
            sev
        ),
        (
            "failure",
            path,
            "Deploy ran twice",
            "The retry fired early",
            "deploy,retry",
            "ci",
            4
        )
    );
}

#[test]
fn files_and_folders_are_private() {
    let s = TestStore::new();
    let out = s.ok(&["record", "--title", "perm", "--domain", "d", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mode = std::fs::metadata(s.root().join(v["filepath"].as_str().unwrap()))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(s.root().join("memory/failures"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        dir_mode & 0o077,
        0,
        "memory/failures is {:o}",
        dir_mode & 0o777
    );
}

#[test]
fn same_title_same_day_never_overwrites() {
    let s = TestStore::new();
    for summary in ["first text", "second text", "third text"] {
        s.ok(&[
            "record",
            "--title",
            "Same title",
            "--domain",
            "d",
            "--summary",
            summary,
        ]);
    }
    let files = s.files_on_disk("failures");
    assert_eq!(files.len(), 3, "{files:?}");
    let today = jiff::ZonedDateTime::now().strftime("%Y%m%d").to_string();
    for (name, text) in [
        ("same-title", "first"),
        ("same-title-2", "second"),
        ("same-title-3", "third"),
    ] {
        let md =
            std::fs::read_to_string(s.root().join(daily(&format!("{today}_{name}.md")))).unwrap();
        assert!(md.contains(&format!("{text} text")), "{name} holds {md}");
    }
    let distinct: i64 = s
        .db()
        .query_row("SELECT count(DISTINCT filepath) FROM learnings", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(distinct, 3);
}

#[test]
fn a_title_without_ascii_gets_a_hash_slug() {
    let s = TestStore::new();
    let out = s.ok(&[
        "record",
        "--title",
        "测试失败",
        "--domain",
        "unicode",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let path = v["filepath"].as_str().unwrap();
    let name = path.rsplit('/').next().unwrap();
    assert!(!name.ends_with("_.md"), "{name}");
    assert!(name.contains("_t-"), "{name}");
    let md = std::fs::read_to_string(s.root().join(path)).unwrap();
    assert!(md.starts_with("# 测试失败\n"));
}

#[test]
fn a_staged_unrelated_file_stays_staged_and_out_of_the_commit() {
    let s = TestStore::new();
    std::fs::write(s.root().join("notes.txt"), "work in progress").unwrap();
    s.git(&["add", "notes.txt"]);
    s.record("Unrelated", "d");
    let committed = s.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(!committed.contains("notes.txt"), "{committed}");
    assert_eq!(
        s.git(&["diff", "--cached", "--name-only"]).trim(),
        "notes.txt"
    );
}

#[test]
fn environment_variables_fill_absent_flags() {
    let s = TestStore::new();
    let out = s
        .cmd()
        .args(["record", "--json"])
        .env("FAILURE_TITLE", "From env")
        .env("FAILURE_DOMAIN", "hooks")
        .env("FAILURE_SEVERITY", "critical")
        .env("FAILURE_TAGS", "a,b")
        .env("FAILURE_SUMMARY", "set by a hook")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let row: (String, String, i64, String) = s
        .db()
        .query_row(
            "SELECT title, domain, severity, summary FROM learnings",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        ("From env".into(), "hooks".into(), 5, "set by a hook".into())
    );
    // A flag wins over the variable.
    let out = s
        .cmd()
        .args(["record", "--title", "Flag title", "--json"])
        .env("FAILURE_TITLE", "ignored")
        .env("FAILURE_DOMAIN", "hooks")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(s.git(&["log", "-1", "--format=%s"]).contains("Flag title"));
}

#[test]
fn summary_and_body_from_stdin_and_file() {
    let s = TestStore::new();
    let mut child = s
        .cmd()
        .args([
            "record",
            "--title",
            "Piped",
            "--domain",
            "d",
            "--summary",
            "-",
            "--json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"line one\nline two\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let md = std::fs::read_to_string(s.root().join(v["filepath"].as_str().unwrap())).unwrap();
    assert!(md.contains("## Summary\n\nline one\nline two\n"));

    let body = s.root().join("body.md");
    std::fs::write(
        &body,
        "## What Happened\n\nIt broke.\n\n## Prevention\n\nTest it.",
    )
    .unwrap();
    let out = s.ok(&[
        "record",
        "--title",
        "Bodied",
        "--domain",
        "d",
        "--body-file",
        body.to_str().unwrap(),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let md = std::fs::read_to_string(s.root().join(v["filepath"].as_str().unwrap())).unwrap();
    assert!(md.contains("## What Happened\n\nIt broke."));
    assert!(!md.contains("[Describe the failure in detail]"));
    assert!(md.ends_with("- **Similar Failures**:\n"));
}

#[test]
fn other_types_go_to_their_folder_and_message() {
    let s = TestStore::new();
    let out = s.ok(&[
        "record",
        "--type",
        "success",
        "--title",
        "It worked",
        "--domain",
        "d",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["filepath"]
            .as_str()
            .unwrap()
            .starts_with("memory/successes/")
    );
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "success: It worked"
    );
}

#[test]
fn default_store_is_created_on_first_use() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(LORE)
            .args(args)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env_remove("LORE_STORE")
            .output()
            .unwrap()
    };
    let out = run(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No learnings yet"),
        "{}",
        stdout(&out)
    );
    let root = home.path().join("data/lore");
    assert!(root.join("memory/index.db").exists());
    assert!(root.join(".git").exists());
    let out = run(&["record", "--title", "first", "--domain", "d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&run(&["list"])).contains("first"));
    // The index is ignored by git in a store lore creates.
    assert_eq!(git(&root, &["status", "--porcelain"]).trim(), "");
}

#[test]
fn global_options_work_after_the_subcommand() {
    let s = TestStore::new();
    let out = std::process::Command::new(LORE)
        .args([
            "record",
            "--title",
            "late flags",
            "--domain",
            "d",
            "--store",
        ])
        .arg(s.root())
        .args(["--lock-timeout", "2.5", "--lock-strategy", "mkdir"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.row_count(), 1);
    let out = std::process::Command::new(LORE)
        .args(["list", "--json"])
        .env("LORE_STORE", s.root())
        .output()
        .unwrap();
    assert!(stdout(&out).contains("late flags"));
}

#[test]
fn a_fallback_identity_is_used_when_git_has_none() {
    let s = TestStore::new();
    let home = tempfile::tempdir().unwrap();
    let out = s
        .cmd()
        .args([
            "record",
            "--title",
            "nobody configured git",
            "--domain",
            "d",
        ])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("USER", "ada")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let author = s.git(&["log", "-1", "--format=%an <%ae>"]);
    assert!(author.starts_with("ada <ada@"), "{author}");
}

#[test]
fn the_failing_command_is_kept_in_its_own_section_and_found_by_search() {
    let s = TestStore::new();
    let out = s.ok(&[
        "record",
        "--title",
        "Tests failed on the release branch",
        "--domain",
        "ci",
        "--command",
        "cargo test --workspace -- `date` ```",
        "--exit-code",
        "101",
        "--cwd",
        "/home/ada/my project",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let md = std::fs::read_to_string(s.root().join(v["filepath"].as_str().unwrap())).unwrap();
    assert!(
        md.contains(
            "## Failing Command\n\n````sh\ncargo test --workspace -- `date` ```\n````\n\n- **Exit code**: 101\n- **Directory**: /home/ada/my project\n\n## Related"
        ),
        "{md}"
    );
    // In the markdown, so in the index and in `show`.
    assert!(s.ok(&["search", "workspace"]).contains("Tests failed"));
    assert!(s.ok(&["show", "1"]).contains("- **Exit code**: 101"));
    // As the script's other fields, from the environment; and only what is given.
    let out = s
        .cmd()
        .env("FAILURE_COMMAND", "make deploy")
        .env("FAILURE_EXIT_CODE", "2")
        .args([
            "record",
            "--title",
            "Deploy failed",
            "--domain",
            "ops",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let md = std::fs::read_to_string(s.root().join(v["filepath"].as_str().unwrap())).unwrap();
    assert!(
        md.contains("```sh\nmake deploy\n```\n\n- **Exit code**: 2\n\n## Related"),
        "{md}"
    );
    assert!(!md.contains("Directory"), "{md}");
    // Without them, the file is the script's, as before.
    s.record("Plain", "d");
    let md = std::fs::read_to_string(s.root().join(s.path_of("Plain"))).unwrap();
    assert!(!md.contains("Failing Command"), "{md}");

    let before = s.snapshot();
    for bad in ["256", "-1", "x", "1.5"] {
        let out = s.run(&[
            "record",
            "--title",
            "t",
            "--domain",
            "d",
            "--exit-code",
            bad,
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&out).contains("exit-code:") && stderr(&out).contains("0 to 255"),
            "{}",
            stderr(&out)
        );
    }
    let long = "x".repeat(4_001);
    let out = s.run(&[
        "record",
        "--title",
        "t",
        "--domain",
        "d",
        "--command",
        &long,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("command:"), "{}", stderr(&out));
    assert_eq!(s.snapshot(), before, "a refused record wrote something");
}

/// The README's `lf` function, in a real interactive bash: the command that just failed, its
/// status and directory go into a learning.
#[test]
fn the_readmes_shell_function_records_the_command_that_just_failed() {
    let s = TestStore::new();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("lf() {").expect("the README has lf");
    let end = start + readme[start..].find("\n}\n").unwrap() + 3;
    let function = &readme[start..end];
    let work = tempfile::tempdir().unwrap();
    let script = format!(
        "{function}\ncd '{}'\nls /no-such-dir-here\nlf 'ls needs a real directory'\nexit\n",
        work.path().display()
    );
    let bin = std::path::Path::new(LORE).parent().unwrap();
    let mut child = std::process::Command::new("bash")
        .args(["--norc", "--noprofile", "-i"])
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("LORE_STORE", s.root())
        .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
        .env("HISTFILE", work.path().join("history"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = s.ok(&["show", "1"]);
    assert!(
        shown.contains("# ls needs a real directory")
            && shown.contains("```sh\nls /no-such-dir-here\n```")
            && shown.contains("- **Exit code**: 2")
            && shown.contains(&format!("- **Directory**: {}", work.path().display())),
        "{shown}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn zero_width_characters_never_hide_in_a_field() {
    let s = TestStore::new();
    let out = s.ok(&[
        "record",
        "--title",
        "Admin\u{200b}Test\u{2060} login\u{2028}broke",
        "--domain",
        "\u{feff}auth",
        "--tags",
        "a\u{200b}b",
        "--summary",
        "First\u{2029}second",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["title"], "AdminTest login broke");
    assert_eq!(v["domain"], "auth");
    assert_eq!(v["tags"], serde_json::json!(["ab"]));
    assert_eq!(v["summary"], "First second");
    let md = std::fs::read_to_string(s.root().join(v["filepath"].as_str().unwrap())).unwrap();
    assert!(md.starts_with("# AdminTest login broke\n"), "{md}");
    for c in ['\u{200b}', '\u{2060}', '\u{feff}', '\u{2028}', '\u{2029}'] {
        assert!(!md.contains(c), "{c:?} in the file");
    }
    assert!(
        s.ok(&["search", "AdminTest"])
            .contains("AdminTest login broke")
    );
}

/// The learnings a batch test saves: the third shares the first's title (a second name).
fn batch() -> Vec<lore::learning::Learning> {
    use lore::learning::{Draft, Field};
    [
        "Cache went stale",
        "Queue backed up",
        "Cache went stale",
        "Disk filled",
    ]
    .iter()
    .enumerate()
    .map(|(i, title)| {
        Draft::default()
            .with(Field::Title, *title)
            .with(Field::Domain, "ops")
            .with(Field::Summary, format!("batch record {i}"))
            .validate()
            .unwrap()
    })
    .collect()
}

#[test]
fn records_saved_in_one_write_are_each_one_commit_holding_exactly_its_file() {
    let s = TestStore::new();
    s.record("Before the batch", "ops");
    let head = s.git(&["rev-parse", "HEAD"]).trim().to_string();
    let store = lore::store::Store::open(s.root()).unwrap();
    let mut index = lore::index::Index::open(&store).unwrap();
    let saved = lore::ops::record::record_each(
        &store,
        &mut index,
        &batch(),
        &lore::lock::LockOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(saved.len(), 4);
    // Four new commits, oldest first, each on the one before, each with one file: its own.
    let log = s.git(&["rev-list", "--reverse", &format!("{head}..HEAD")]);
    let commits: Vec<&str> = log.lines().collect();
    assert_eq!(commits.len(), 4, "{log}");
    for (i, (commit, rec)) in commits.iter().zip(&saved).enumerate() {
        assert_eq!(rec.commit, *commit, "record {i} names its own commit");
        let files = s.git(&["show", "--name-only", "--format=", commit]);
        assert_eq!(
            files.trim(),
            rec.path(),
            "commit {i} holds exactly its file"
        );
        let subject = s.git(&["log", "-1", "--format=%s", commit]);
        assert_eq!(subject.trim(), format!("failure: {}", rec.row.title));
    }
    assert_ne!(
        saved[0].path(),
        saved[2].path(),
        "the same title gets a second name"
    );
    // Every file is committed, indexed, and git sees a clean work tree and a sound store.
    assert_eq!(s.row_count(), 5);
    assert_eq!(s.files_in_head(), s.learnings_on_disk());
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    s.git(&["fsck", "--no-progress"]);
    // The reflog tells each commit, as git's own would.
    let reflog = s.git(&["reflog", "--format=%H %gs", "-5"]);
    let lines: Vec<&str> = reflog.lines().collect();
    assert_eq!(lines.len(), 5, "{reflog}");
    for (line, commit) in lines.iter().zip(commits.iter().rev()) {
        assert!(
            line.starts_with(&format!("{commit} commit: failure: ")),
            "{reflog}"
        );
    }
    let doctor = s.ok(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&doctor).unwrap();
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{doctor}");
}

#[test]
fn a_batch_whose_third_commit_a_hook_refuses_writes_nothing_at_all() {
    let s = TestStore::new();
    s.record("Before the batch", "ops");
    // Refuses the second commit of "Cache went stale", the batch's third.
    let seen = s.root().join(".git/seen");
    write_executable(
        &s.root().join(".git/hooks/commit-msg"),
        &format!(
            "#!/bin/sh\n! grep -q 'Cache went stale' \"$1\" || [ ! -e '{0}' ] || exit 1\ntouch '{0}'\n",
            seen.display()
        ),
    );
    let before = s.snapshot();
    let index_before = std::fs::read(s.root().join(".git/index")).unwrap();
    let store = lore::store::Store::open(s.root()).unwrap();
    let mut index = lore::index::Index::open(&store).unwrap();
    let err = lore::ops::record::record_each(
        &store,
        &mut index,
        &batch(),
        &lore::lock::LockOptions::default(),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("Nothing was written"), "{err}");
    assert_eq!(s.snapshot(), before, "HEAD, rows and files as they were");
    assert_eq!(
        std::fs::read(s.root().join(".git/index")).unwrap(),
        index_before,
        "git's index as it was"
    );
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert!(
        !s.root().join(".git/lore").exists()
            || std::fs::read_dir(s.root().join(".git/lore"))
                .unwrap()
                .all(|e| !e
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("journal")),
        "no journal left behind"
    );
}
