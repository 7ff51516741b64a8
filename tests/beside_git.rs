//! Living beside git as its users have it set up: SHA-256 repositories, linked worktrees,
//! `core.autocrlf`, symbolic links.

use std::path::Path;

use crate::support::*;

/// A bare remote the store syncs with (`origin`, synced once), and a teammate's plain
/// `git clone` of it, who commits and pushes with git alone.
struct Teammate {
    _dirs: [tempfile::TempDir; 2],
    remote: std::path::PathBuf,
    clone: std::path::PathBuf,
}

impl Teammate {
    fn of(s: &TestStore) -> Teammate {
        let (remote_dir, mate_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let remote = remote_dir.path().to_path_buf();
        git(&remote, &["init", "-q", "--bare", "-b", "main"]);
        s.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        s.ok(&["sync"]);
        git(
            mate_dir.path(),
            &["clone", "-q", remote.to_str().unwrap(), "c"],
        );
        Teammate {
            clone: mate_dir.path().join("c"),
            remote,
            _dirs: [remote_dir, mate_dir],
        }
    }

    /// Commits everything the teammate changed, and pushes it.
    fn push(&self, message: &str) {
        git(&self.clone, &["add", "-A"]);
        git_commit(&self.clone, &["-m", message]);
        git(&self.clone, &["push", "-q", "origin", "HEAD:main"]);
    }
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
    let before = tree_listing(&repo, |_| false);
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
        assert_eq!(
            tree_listing(&repo, |_| false),
            before,
            "{args:?} wrote something"
        );
    }
}

#[test]
fn linked_worktrees_record_edit_sync_and_doctor_and_share_one_store_lock() {
    let main = TestStore::new();
    main.record("In the main work tree", "d");
    let second = TestStore::empty();
    git(
        main.root(),
        &[
            "worktree",
            "add",
            "-q",
            second.root().to_str().unwrap(),
            "-b",
            "second",
        ],
    );
    // Records, in the linked worktree, on its own branch.
    let out = second.run(&[
        "record",
        "--title",
        "In the linked worktree",
        "--domain",
        "d",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        second.git(&["log", "-1", "--format=%s", "second"]).trim(),
        "failure: In the linked worktree"
    );
    assert_eq!(second.git(&["status", "--porcelain"]).trim(), "");
    assert!(
        !main.git(&["log", "--format=%s", "main"]).contains("linked"),
        "the main branch is not touched"
    );

    // One store lock for both: held from the main work tree, seen and waited for from the
    // linked one.
    let mut holder = hold(&main, 30, &[]);
    let status: serde_json::Value =
        serde_json::from_str(&second.ok(&["lock", "status", "--json"])).unwrap();
    assert_eq!(status["state"], "held", "{status}");
    assert_eq!(status["holder"]["pid"], holder.id(), "{status}");
    let out = second.run(&[
        "--lock-timeout",
        "1",
        "record",
        "--title",
        "Waits",
        "--domain",
        "d",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("pid {}", holder.id())),
        "names the holder: {}",
        stderr(&out)
    );
    holder.kill().unwrap();
    holder.wait().unwrap();

    // Both writing at once: every save lands, never two at the same time.
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("cs.log");
    std::thread::scope(|scope| {
        for (w, s) in [(0, &main), (1, &second)] {
            let log = &log;
            scope.spawn(move || {
                for i in 0..6 {
                    let out = s
                        .cmd()
                        .args([
                            "record",
                            "--title",
                            &format!("At once {w} {i}"),
                            "--domain",
                            "d",
                        ])
                        .env("LORE_TEST_CS_LOG", log)
                        .output()
                        .unwrap();
                    assert!(out.status.success(), "{}", stderr(&out));
                }
            });
        }
    });
    assert_eq!(
        first_overlap(&critical_sections(&log)),
        None,
        "two saves held the store at once (when, who)"
    );
    for (w, s, branch) in [(0, &main, "main"), (1, &second, "second")] {
        let subjects = s.git(&["log", "--format=%s", branch]);
        assert_eq!(
            subjects.matches(&format!("At once {w} ")).count(),
            6,
            "{branch}: {subjects}"
        );
        assert_eq!(s.git(&["status", "--porcelain"]).trim(), "", "{branch}");
    }

    // Edit (as the browser's `e` commits it), doctor and sync, from the linked worktree.
    let id: i64 = second
        .db()
        .query_row(
            "SELECT id FROM learnings WHERE title = 'In the linked worktree'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let file = second.root().join(second.path_of("In the linked worktree"));
    std::fs::write(
        &file,
        std::fs::read_to_string(&file).unwrap() + "\nEdited.\n",
    )
    .unwrap();
    let out = second.run(&["__commit-edit", &id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        second
            .git(&["log", "-1", "--format=%s"])
            .contains("(edited)")
    );
    let doctor = second.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stdout(&doctor));
    let remote = tempfile::tempdir().unwrap();
    git(remote.path(), &["init", "-q", "--bare"]);
    main.git(&["remote", "add", "origin", remote.path().to_str().unwrap()]);
    let out = second.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        git(remote.path(), &["rev-parse", "refs/heads/second"]),
        second.git(&["rev-parse", "HEAD"])
    );
}

#[test]
fn symbolic_links_in_head_or_from_a_remote_are_never_learnings_and_git_stays_consistent() {
    // A store, a bare remote, and a teammate's plain git clone that commits a link where a
    // learning would be (pointing outside the store, and at another learning).
    let s = TestStore::new();
    s.record("A real learning", "d");
    let mate = Teammate::of(&s);
    let c = &mate.clone;
    let dir = c.join("memory/failures");
    std::os::unix::fs::symlink("/etc/passwd", dir.join("20261202_outside.md")).unwrap();
    let real = s.path_of("A real learning");
    let real_name = Path::new(&real)
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    std::os::unix::fs::symlink(
        Path::new("2026-12/02").join(&real_name),
        dir.join("20261202_alias.md"),
    )
    .unwrap();
    mate.push("links");

    let out = s.ok(&["sync"]);
    assert_eq!(
        out.matches("not a learning: ").count(),
        2,
        "each link reported once: {out}"
    );
    // Checked out as git does: links on disk, git's index agreeing, nothing to commit.
    for name in ["20261202_outside.md", "20261202_alias.md"] {
        let p = s.root().join("memory/failures").join(name);
        assert!(
            std::fs::symlink_metadata(&p)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{name} is a link"
        );
    }
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "", "git status");
    assert_eq!(
        s.git(&["ls-files", "-s", "memory/failures/20261202_outside.md"])
            .split_whitespace()
            .next(),
        Some("120000")
    );
    // Never indexed, never listed or shown; the learning it points at is unchanged.
    let rows: Vec<String> = {
        let db = s.db();
        let mut st = db.prepare("SELECT filepath FROM learnings").unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(rows, vec![real.clone()], "only the regular file has a row");
    let shown = s.run(&["show", "memory/failures/20261202_outside.md"]);
    assert!(!shown.status.success());
    // doctor says what they are, as information.
    let doctor = s.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stdout(&doctor));
    assert_eq!(
        stdout(&doctor)
            .matches("a symbolic link, not a learning")
            .count(),
        2,
        "{}",
        stdout(&doctor)
    );
    // A fresh clone's first open and a reindex index the regular file only.
    let fresh = TestStore::empty();
    git(
        fresh.root(),
        &[
            "clone",
            "-q",
            mate.remote.to_str().unwrap(),
            fresh.root().to_str().unwrap(),
        ],
    );
    let listed = fresh.ok(&["list", "--json"]);
    let v: Vec<serde_json::Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(v.len(), 1, "{listed}");
    fresh.ok(&["reindex"]);
    assert_eq!(fresh.row_count(), 1);
    // A link that becomes a regular file later arrives as a learning.
    std::fs::remove_file(dir.join("20261202_outside.md")).unwrap();
    std::fs::write(
        dir.join("20261202_outside.md"),
        "# Now a real file\n\n**Domain**: d\n**Date**: 2026-12-02\n",
    )
    .unwrap();
    mate.push("a file now");
    s.ok(&["sync"]);
    let p = s.root().join("memory/failures/20261202_outside.md");
    assert!(std::fs::symlink_metadata(&p).unwrap().is_file());
    assert!(s.ok(&["list"]).contains("Now a real file"));
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert!(
        std::fs::read_to_string("/etc/passwd")
            .unwrap()
            .contains("root"),
        "untouched"
    );
}

/// Checks every learning out again the way git does under the store's settings (CRLF with
/// `core.autocrlf=true`).
fn check_out_again(s: &TestStore) {
    for f in s.files_in_head() {
        if f.ends_with(".md") {
            std::fs::remove_file(s.root().join(&f)).unwrap();
        }
    }
    s.git(&["checkout", "--", "."]);
}

#[test]
fn with_core_autocrlf_a_crlf_checkout_is_no_change_and_edits_commit_what_git_would() {
    let s = TestStore::new();
    s.record("Line endings", "d");
    s.record("Another one", "d");
    s.git(&["config", "core.autocrlf", "true"]);
    check_out_again(&s);
    let rel = s.path_of("Line endings");
    let abs = s.root().join(&rel);
    assert!(
        std::fs::read(&abs)
            .unwrap()
            .windows(2)
            .any(|w| w == b"\r\n"),
        "CRLF on disk"
    );
    let doctor = s.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stdout(&doctor));
    assert!(!stdout(&doctor).contains("differs"), "{}", stdout(&doctor));

    // A real edit is still one, and committed as git would: LF in the blob, status clean.
    let mut text = std::fs::read_to_string(&abs).unwrap();
    text.push_str("Edited on a CRLF checkout.\r\n");
    std::fs::write(&abs, &text).unwrap();
    assert!(stdout(&s.run(&["doctor"])).contains("differs from the committed version"));
    let id: i64 = s
        .db()
        .query_row(
            "SELECT id FROM learnings WHERE title = 'Line endings'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let out = s.run(&["__commit-edit", &id.to_string()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let blob = s.git(&["show", &format!("HEAD:{rel}")]);
    assert!(
        blob.contains("Edited on a CRLF checkout.") && !blob.contains('\r'),
        "{blob:?}"
    );
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert_eq!(s.run(&["doctor"]).status.code(), Some(0));

    // A sync that brings a change of a CRLF-checked-out file takes it as untouched.
    let mate = Teammate::of(&s);
    let c = &mate.clone;
    let other = s.path_of("Another one");
    let theirs = c.join(&other);
    std::fs::write(
        &theirs,
        std::fs::read_to_string(&theirs).unwrap() + "From the teammate.\n",
    )
    .unwrap();
    mate.push("teammate edit");
    let out = s.ok(&["sync"]);
    assert!(!out.contains("conflict"), "{out}");
    assert!(
        std::fs::read_to_string(s.root().join(&other))
            .unwrap()
            .contains("From the teammate.")
    );
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
}

/// Writes an executable hook `name` into the store's hooks folder.
fn hook(s: &TestStore, name: &str, script: &str) {
    write_executable(
        &s.root().join(".git/hooks").join(name),
        &format!("#!/bin/sh\n{script}\n"),
    );
}

/// Every command that commits, each with a store set up for it: a learning to record or
/// import, an edit on disk for `__commit-edit` (the browser's `e`), a learning written but not
/// committed for `doctor --fix`, a tracked index for `adopt`.
fn committing_commands(scratch: &Path) -> Vec<(Vec<String>, TestStore)> {
    let own = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let import = scratch.join("import");
    std::fs::create_dir_all(&import).unwrap();
    std::fs::write(
        import.join("one.md"),
        "# Imported\n\n**Domain**: d\n**Date**: 2026-12-01\n",
    )
    .unwrap();
    let fresh = || {
        let s = TestStore::new();
        s.record("First one", "d");
        s
    };
    let edited = fresh();
    let first = edited.root().join(edited.path_of("First one"));
    std::fs::write(
        &first,
        std::fs::read_to_string(&first).unwrap() + "\nEdited.\n",
    )
    .unwrap();
    let crashed = fresh();
    let first = crashed.root().join(crashed.path_of("First one"));
    std::fs::write(
        first.with_file_name("20261202_left-by-a-crash.md"),
        "# Left by a crash\n\n**Domain**: d\n**Date**: 2026-12-02\n",
    )
    .unwrap();
    let tracked = fresh();
    tracked.git(&["add", "-f", "memory/index.db"]);
    git_commit(tracked.root(), &["-m", "the index, tracked"]);
    vec![
        (
            own(&["record", "--title", "Recorded", "--domain", "d"]),
            fresh(),
        ),
        (own(&["import", import.to_str().unwrap()]), fresh()),
        (own(&["__commit-edit", "1"]), edited),
        (own(&["doctor", "--fix"]), crashed),
        (own(&["adopt", "--yes"]), tracked),
    ]
}

#[test]
fn git_hooks_judge_every_commit_lore_makes_and_no_verify_skips_them() {
    let scratch = tempfile::tempdir().unwrap();
    for (args, s) in committing_commands(scratch.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // A hook that refuses, naming what it was asked to judge: exactly what lore commits,
        // not the file the user has staged. Nothing is written; the message names the hook
        // and shows its output.
        std::fs::write(s.root().join("unrelated.txt"), "staged by the user\n").unwrap();
        s.git(&["add", "unrelated.txt"]);
        hook(
            &s,
            "pre-commit",
            "echo \"judged: $(git diff --cached --name-only | tr '\\n' ' ')\" >&2; exit 1",
        );
        let head = s.git(&["rev-parse", "HEAD"]);
        let out = s.run(&args);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?}: {err}");
        assert!(
            err.contains("the pre-commit hook refused the commit (exit status 1): judged: ")
                && err.contains("Nothing was written"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("unrelated.txt"),
            "{args:?}: the hook saw the user's staging: {err}"
        );
        let judged = err.split("judged: ").nth(1).unwrap_or("");
        assert!(
            judged.contains("memory/") || judged.contains(".gitignore"),
            "{args:?}: the hook saw lore's change: {err}"
        );
        assert_eq!(s.git(&["rev-parse", "HEAD"]), head, "{args:?}");
        assert!(
            s.git(&["status", "--porcelain"])
                .contains("A  unrelated.txt")
        );

        // --no-verify skips it (and commit-msg); post-commit still runs.
        hook(&s, "commit-msg", "exit 1");
        hook(
            &s,
            "post-commit",
            "git log -1 --format=%s > .git/post-commit-saw",
        );
        let mut skipping = args.clone();
        skipping.insert(0, "--no-verify");
        let out = s.run(&skipping);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let subject = s.git(&["log", "-1", "--format=%s"]);
        assert_ne!(s.git(&["rev-parse", "HEAD"]), head, "{args:?}");
        assert_eq!(
            std::fs::read_to_string(s.root().join(".git/post-commit-saw")).unwrap(),
            subject,
            "{args:?}: post-commit ran after the commit"
        );
        assert!(
            s.git(&["status", "--porcelain"])
                .contains("A  unrelated.txt"),
            "the user's staging kept"
        );
    }
}

#[test]
fn commit_msg_may_rewrite_the_message_and_hooks_paths_and_config_are_honoured() {
    let s = TestStore::new();
    let hooks = s.root().join("my-hooks");
    std::fs::create_dir(&hooks).unwrap();
    s.git(&["config", "core.hooksPath", "my-hooks"]);
    write_executable(
        &hooks.join("commit-msg"),
        "#!/bin/sh\nprintf '%s\\n\\nTicket: LORE-1\\n' \"$(cat \"$1\")\" > \"$1\"\n",
    );
    s.record("Rewritten", "d");
    let message = s.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("failure: Rewritten") && message.contains("Ticket: LORE-1"),
        "{message}"
    );
    // A hook that is not executable is not run, as in git.
    let refuse = hooks.join("pre-commit");
    std::fs::write(&refuse, "#!/bin/sh\nexit 1\n").unwrap();
    s.record("Not executable, not run", "d");
    // The configuration turns them off for every command.
    write_executable(&refuse, "#!/bin/sh\nexit 1\n");
    assert!(
        !s.run(&["record", "--title", "Refused", "--domain", "d"])
            .status
            .success()
    );
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "[hooks]\nverify = false\n").unwrap();
    let out = s
        .cmd()
        .env("LORE_CONFIG", config.path())
        .args(["record", "--title", "Hooks off", "--domain", "d"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_sync_merge_runs_the_merge_hooks_and_post_merge() {
    let s = TestStore::new();
    s.record("Here", "d");
    let mate = Teammate::of(&s);
    let c = &mate.clone;
    std::fs::write(
        c.join("memory/failures/20261202_theirs.md"),
        "# Theirs\n\n**Domain**: d\n",
    )
    .unwrap();
    mate.push("theirs");
    s.record("Ours meanwhile", "d");
    hook(&s, "pre-merge-commit", "echo 'no merges today' >&2; exit 1");
    hook(&s, "post-merge", "echo ran > .git/post-merge-ran");
    let head = s.git(&["rev-parse", "HEAD"]);
    let out = s.run(&["sync"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("the pre-merge-commit hook refused the commit")
            && stderr(&out).contains("no merges today"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.git(&["rev-parse", "HEAD"]), head);
    assert!(!s.root().join(".git/post-merge-ran").exists());
    hook(&s, "pre-merge-commit", "exit 0");
    hook(&s, "commit-msg", "echo 'Reviewed-by: hook' >> \"$1\"");
    let out = s.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        s.git(&["log", "-1", "--format=%B"])
            .contains("Reviewed-by: hook")
    );
    assert!(
        s.root().join(".git/post-merge-ran").exists(),
        "post-merge ran"
    );
}

#[test]
fn commits_are_signed_as_git_would_or_refused_never_unsigned_in_silence() {
    let s = TestStore::new();
    s.record("Before signing", "d");
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id");
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "lore-test", "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let allowed = keys.path().join("allowed");
    std::fs::write(&allowed, format!("signer@example.org {public}")).unwrap();
    for (k, v) in [
        ("user.email", "signer@example.org"),
        ("user.name", "Signer"),
        ("gpg.format", "ssh"),
        ("user.signingkey", key.to_str().unwrap()),
        ("gpg.ssh.allowedSignersFile", allowed.to_str().unwrap()),
        ("commit.gpgsign", "true"),
    ] {
        s.git(&["config", k, v]);
    }
    // Every command that commits signs: record, edit, import, sync's merge.
    s.record("Signed by ssh", "d");
    let check = |what: &str| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(s.root())
            .args(["verify-commit", "HEAD"])
            .output()
            .unwrap();
        assert!(
            out.status.success()
                && String::from_utf8_lossy(&out.stderr).contains("Good \"git\" signature"),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    check("record");
    let file = s.root().join(s.path_of("Signed by ssh"));
    std::fs::write(
        &file,
        std::fs::read_to_string(&file).unwrap() + "\nEdited.\n",
    )
    .unwrap();
    let id: i64 = s
        .db()
        .query_row(
            "SELECT id FROM learnings WHERE title = 'Signed by ssh'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(s.run(&["__commit-edit", &id.to_string()]).status.success());
    check("edit");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("x.md"),
        "# Imported signed\n\n**Domain**: d\n",
    )
    .unwrap();
    s.ok(&["import", dir.path().to_str().unwrap()]);
    check("import");
    // Sync's merge commit too.
    let mate = Teammate::of(&s);
    let c = &mate.clone;
    std::fs::write(
        c.join("memory/failures/20261202_theirs.md"),
        "# Theirs

**Domain**: d
",
    )
    .unwrap();
    mate.push("theirs");
    s.record("Ours meanwhile", "d");
    let out = s.ok(&["sync"]);
    assert!(out.contains("merge"), "{out}");
    assert_eq!(
        s.git(&["rev-list", "--count", "--merges", "-1", "HEAD"])
            .trim(),
        "1"
    );
    check("sync's merge");

    // A signing program that fails: an error, nothing written.
    s.git(&["config", "gpg.format", "openpgp"]);
    s.git(&["config", "gpg.program", "false"]);
    let before = s.snapshot();
    let out = s.run(&["record", "--title", "Cannot be signed", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("commit signing: `false` could not sign the commit")
            && stderr(&out).contains("Nothing was written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.snapshot(), before);
    // A format lore cannot sign with is refused the same way.
    s.git(&["config", "gpg.format", "x509"]);
    let out = s.run(&["record", "--title", "x509", "--domain", "d"]);
    assert!(
        stderr(&out).contains("gpg.format is `x509`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.snapshot(), before);
}

#[test]
fn a_branch_locked_by_git_for_a_moment_is_waited_for_without_running_the_hooks_again() {
    let s = TestStore::new();
    s.record("first", "d");
    // The pre-commit hook counts its runs; on its first it takes the branch's lock file as a
    // git command would, and lets it go 300 ms later.
    let git_dir = s.root().join(".git");
    hook(
        &s,
        "pre-commit",
        &format!(
            "echo run >> '{0}/hook-runs'\nif [ ! -e '{0}/locked-once' ]; then\n  touch '{0}/locked-once' '{0}/refs/heads/main.lock'\n  (sleep 0.3; rm -f '{0}/refs/heads/main.lock') >/dev/null 2>&1 &\nfi",
            git_dir.display()
        ),
    );
    let before = s.commit_count();
    s.record("waits for the branch", "d");
    assert_eq!(s.commit_count(), before + 1);
    let runs = std::fs::read_to_string(git_dir.join("hook-runs")).unwrap();
    assert_eq!(
        runs.lines().count(),
        1,
        "the hook ran {} times",
        runs.lines().count()
    );
    assert!(
        s.files_in_head()
            .contains(&s.path_of("waits for the branch"))
    );
}
