//! The command line's own surface: version, help, completions, manual page.

use std::process::Command;

use crate::support::*;

fn run(args: &[&str]) -> std::process::Output {
    Command::new(LORE)
        .args(args)
        .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
        // Help is wrapped to the terminal's width: fix it, so the reference is the same everywhere.
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

#[test]
fn version_names_lore_its_version_and_commit() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    let v = stdout(&out);
    assert!(
        v.starts_with(&format!("lore {} (", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    let commit = v.trim().rsplit('(').next().unwrap().trim_end_matches(')');
    assert!(
        commit == "unknown commit"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
}

#[test]
fn help_shows_examples_and_every_command() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let h = stdout(&out);
    assert!(
        h.contains("Examples:") && h.contains("lore record --title"),
        "{h}"
    );
    for cmd in [
        "record",
        "list",
        "show",
        "search",
        "lock",
        "doctor",
        "reindex",
        "sync",
        "adopt",
        "import",
        "export",
        "config",
        "init",
        "completions",
        "man",
    ] {
        assert!(h.contains(&format!("  {cmd} ")), "--help lacks {cmd}");
    }
}

#[test]
fn completions_and_the_manual_page_generate() {
    for (shell, marker) in [
        ("bash", "_lore()"),
        ("zsh", "#compdef lore"),
        ("fish", "complete -c lore"),
    ] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.contains(marker) && text.contains("record"),
            "{shell} completion: {}",
            &text[..text.len().min(300)]
        );
    }
    let out = run(&["man"]);
    assert!(out.status.success());
    let man = stdout(&out);
    assert!(
        man.starts_with(".ie") || man.contains(".TH lore"),
        "{}",
        &man[..man.len().min(200)]
    );
    assert!(
        man.contains("record") && man.contains("lock\\-timeout"),
        "the manual covers the commands and options"
    );
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));

    // A page a command, for packagers; the top page names the others.
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = run(&["man", "--dir", pages.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("manual pages"), "{}", stdout(&out));
    for page in [
        "lore.1",
        "lore-record.1",
        "lore-mcp.1",
        "lore-lock-status.1",
        "lore-config-show.1",
    ] {
        let text =
            std::fs::read_to_string(pages.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is not a manual page");
    }
    let top = std::fs::read_to_string(pages.join("lore.1")).unwrap();
    for sub in ["record", "search", "mcp", "lock", "config"] {
        assert!(
            top.contains(&format!("lore\\-{sub}(1)")),
            "lore.1 does not refer to lore-{sub}(1)"
        );
    }
    let record = std::fs::read_to_string(pages.join("lore-record.1")).unwrap();
    assert!(record.contains("title"), "lore-record.1 lacks its options");
}

#[test]
fn init_demo_makes_a_store_to_play_with() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    let out = run(&["init", "--demo", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = Command::new(LORE)
        .arg("--store")
        .arg(&root)
        .args(["list", "--json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 8);
    assert!(
        Command::new(LORE)
            .arg("--store")
            .arg(&root)
            .arg("doctor")
            .status()
            .unwrap()
            .success()
    );
    let out = Command::new(LORE)
        .arg("--store")
        .arg(&root)
        .args(["search", "certificate expiry", "--json"])
        .output()
        .unwrap();
    let hits: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hits[0]["domain"], "security");
}

/// No option in `help` stands alone without a line saying what it does (on its own line, or on
/// the next, more indented, as clap lays out long help).
fn every_option_is_explained(args: &[&str], help: &str) {
    let lines: Vec<&str> = help.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        // Options start at column 2 (`-v, --verbose`) or 6 (`--store`); deeper is wrapped help.
        if !t.starts_with('-') || line.len() - t.len() > 6 {
            continue;
        }
        // `  -v, --verbose...  Log to …`: the option, two spaces, its help.
        let explained_here = t
            .split_once("  ")
            .is_some_and(|(_, h)| !h.trim().is_empty());
        let indent = line.len() - t.len();
        let explained_below = lines.get(i + 1).is_some_and(|next| {
            let n = next.trim_start();
            !n.is_empty() && !n.starts_with('-') && next.len() - n.len() > indent
        });
        assert!(
            explained_here || explained_below,
            "lore {}: `{}` has no help text",
            args.join(" "),
            t.trim()
        );
    }
}

/// The CLI reference (docs/CLI.md) is the `--help` of every command, so it cannot drift.
/// After changing the command line: `LORE_BLESS=1 cargo test --test integration cli::` rewrites it.
#[test]
fn the_cli_reference_matches_the_help() {
    let mut doc = String::from(
        "# lore command-line reference\n\nGenerated from `lore --help` and the help of every command; a test keeps it in step\n(`LORE_BLESS=1 cargo test --test integration cli::` rewrites it).\n",
    );
    let mut commands: Vec<Vec<&str>> = vec![vec![]];
    for c in [
        "record",
        "list",
        "show",
        "search",
        "doctor",
        "reindex",
        "sync",
        "adopt",
        "import",
        "export",
        "init",
        "mcp",
        "completions",
        "man",
    ] {
        commands.push(vec![c]);
    }
    for c in [
        ["lock", "status"],
        ["lock", "hold"],
        ["lock", "break"],
        ["config", "path"],
        ["config", "show"],
    ] {
        commands.push(c.to_vec());
    }
    for c in &commands {
        let mut args = c.clone();
        args.push("--help");
        let out = run(&args);
        assert!(out.status.success(), "{args:?}");
        every_option_is_explained(&args, &stdout(&out));
        doc.push_str(&format!(
            "\n## lore {}\n\n```text\n{}```\n",
            c.join(" "),
            stdout(&out)
        ));
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/CLI.md");
    if std::env::var_os("LORE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == doc,
        "docs/CLI.md is out of date: run `LORE_BLESS=1 cargo test --test integration cli::`"
    );
}

#[test]
fn verbose_logs_to_a_file_and_never_to_the_terminal() {
    let s = TestStore::new();
    let state = tempfile::tempdir().unwrap();
    let out = s
        .cmd()
        .args(["-vv", "record", "--title", "logged", "--domain", "d"])
        .env("XDG_STATE_HOME", state.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).is_empty(),
        "log lines on the terminal: {}",
        stderr(&out)
    );
    let log = std::fs::read_to_string(state.path().join("lore/lore.log")).unwrap();
    assert!(log.contains("INFO") && log.contains("recorded #1"), "{log}");
    assert!(log.contains("DEBUG") && log.contains("acquired"), "{log}");
    // Quiet by default; RUST_LOG turns it on too.
    let quiet = tempfile::tempdir().unwrap();
    s.cmd()
        .args(["list"])
        .env("XDG_STATE_HOME", quiet.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    assert!(!quiet.path().join("lore/lore.log").exists());
    s.cmd()
        .args(["list"])
        .env("XDG_STATE_HOME", quiet.path())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(
        std::fs::read_to_string(quiet.path().join("lore/lore.log"))
            .unwrap()
            .contains("started")
    );

    // RUST_LOG's module directives: the lock's debug lines, nothing else.
    let only_lock = tempfile::tempdir().unwrap();
    let out = s
        .cmd()
        .args(["record", "--title", "lock only", "--domain", "d"])
        .env("XDG_STATE_HOME", only_lock.path())
        .env("RUST_LOG", "warn,lore::lock=debug")
        .output()
        .unwrap();
    assert!(
        out.status.success() && stderr(&out).is_empty(),
        "{}",
        stderr(&out)
    );
    let log = std::fs::read_to_string(only_lock.path().join("lore/lore.log")).unwrap();
    assert!(
        log.contains("lore::lock") && log.contains("acquired"),
        "{log}"
    );
    assert!(
        !log.contains("started") && !log.contains("recorded #"),
        "{log}"
    );
    // A spec it cannot read is one warning line, and the command still runs.
    let out = s
        .cmd()
        .args(["list"])
        .env("XDG_STATE_HOME", only_lock.path())
        .env("RUST_LOG", "lore=loud")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stderr(&out).starts_with("lore: warning: RUST_LOG:") && stderr(&out).lines().count() == 1,
        "{}",
        stderr(&out)
    );

    // A log past its cap is moved aside, not grown forever.
    let big = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(big.path().join("lore")).unwrap();
    let old = vec![b'x'; 9 * 1024 * 1024];
    std::fs::write(big.path().join("lore/lore.log"), &old).unwrap();
    s.cmd()
        .args(["-v", "list"])
        .env("XDG_STATE_HOME", big.path())
        .output()
        .unwrap();
    let kept = std::fs::read(big.path().join("lore/lore.log.1")).unwrap();
    assert_eq!(kept.len(), old.len(), "the old log is kept once");
    let new = std::fs::read_to_string(big.path().join("lore/lore.log")).unwrap();
    assert!(new.contains("started") && new.len() < 10_000, "{new}");
}

#[test]
fn output_to_a_reader_that_went_away_ends_quietly() {
    let s = TestStore::new();
    // More than a pipe holds (64 KiB), so the writes outlast the reader.
    let summary = "a long summary ".repeat(2_500);
    for i in 0..4 {
        s.ok(&[
            "record",
            "--title",
            &format!("Long {i}"),
            "--domain",
            "d",
            "--summary",
            &summary,
        ]);
    }
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["search", "summary"],
        &["show", "1"],
        &["export", "--format", "csv"],
        &["completions", "bash"],
        &["man"],
    ] {
        let mut child = s
            .cmd()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The reader reads nothing and goes away (`lore list | head -0`).
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?} printed: {err}");
    }
}

#[test]
fn show_takes_a_path_however_the_shell_gives_it() {
    let s = TestStore::new();
    let rel = stdout(&s.run(&[
        "record",
        "--title",
        "Found by path",
        "--domain",
        "d",
        "--json",
    ]));
    let rel: serde_json::Value = serde_json::from_str(&rel).unwrap();
    let rel = rel["filepath"].as_str().unwrap().to_string();
    let abs = s.root().join(&rel);
    let from = |dir: &std::path::Path, target: &str| {
        let out = s
            .cmd()
            .current_dir(dir)
            .args(["show", target])
            .output()
            .unwrap();
        assert!(
            stdout(&out).contains("Found by path"),
            "show {target} from {}: {}",
            dir.display(),
            stderr(&out)
        );
    };
    from(s.root(), &rel);
    from(s.root(), &format!("./{rel}"));
    from(s.root(), abs.to_str().unwrap());
    let memory = s.root().join("memory");
    from(&memory, &format!("../{rel}"));
    from(&memory, &rel);
}

#[test]
fn a_bug_is_a_short_plain_report_and_the_write_it_interrupted_is_undone() {
    let s = TestStore::new();
    s.record("Before the bug", "d");
    let before = s.snapshot();
    for env in [("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")] {
        let out = s
            .cmd()
            .env("LORE_FAULT", "after-insert:panic")
            .env("RUST_BACKTRACE", "0")
            .env(env.0, env.1)
            .args(["record", "--title", "Hits the bug", "--domain", "d"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(101), "{err}");
        assert!(
            err.starts_with("lore: internal error: injected panic at after-insert\n"),
            "{err}"
        );
        assert!(err.contains("This is a bug in lore"), "{err}");
        assert!(err.contains("RUST_BACKTRACE=1"), "{err}");
        assert!(!err.contains('\x1b'), "colour in the report: {err:?}");
        assert!(err.lines().count() <= 6, "not short: {err}");
        assert_eq!(
            s.snapshot(),
            before,
            "the interrupted record left something"
        );
    }
    let out = s
        .cmd()
        .env("LORE_FAULT", "after-insert:panic")
        .env("RUST_BACKTRACE", "1")
        .args(["record", "--title", "Hits the bug", "--domain", "d"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("lore::write::critical"),
        "RUST_BACKTRACE=1 names the frames: {}",
        stderr(&out)
    );
    assert_eq!(s.snapshot(), before);
    assert!(
        s.run(&["doctor"]).status.success(),
        "nothing for doctor to mend"
    );
}
