//! The configuration file: where it is, what it changes, and clear errors for bad ones.

use std::time::{Duration, Instant};

use crate::support::*;

fn with_config(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn an_invalid_file_names_the_key_and_the_line_and_nothing_runs() {
    let s = TestStore::new();
    for (text, expect) in [
        ("editor = \"vi\"\ncolour = true\n", "line 2"),
        ("lock_timeout = \"soon\"\n", "lock_timeout"),
        ("[sync]\nauto_interval = \"often\"\n", "auto_interval"),
        ("store = [\n", "line 1"),
    ] {
        let (_d, path) = with_config(text);
        let before = s.snapshot();
        let out = s
            .cmd()
            .env("LORE_CONFIG", &path)
            .args(["record", "--title", "t", "--domain", "d"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(expect) && err.contains(path.to_str().unwrap()),
            "{text}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert_eq!(s.snapshot(), before);
    }
}

#[test]
fn values_apply_and_flags_win() {
    let s = TestStore::new();
    let (_d, path) = with_config(&format!(
        "store = \"{}\"\nlock_timeout = \"0.5\"\n[author]\nname = \"Configured Author\"\n",
        s.root().display()
    ));
    // The store comes from the file.
    let out = std::process::Command::new(LORE)
        .env("LORE_CONFIG", &path)
        .env_remove("LORE_STORE")
        .args(["record", "--title", "via config", "--domain", "d"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.row_count(), 1);
    // The lock timeout comes from the file, and a flag overrides it.
    let mut holder = hold(&s, 30, &[]);
    let start = Instant::now();
    let out = s
        .cmd()
        .env("LORE_CONFIG", &path)
        .args(["record", "--title", "t", "--domain", "d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the configured 0.5 s was not used"
    );
    let start = Instant::now();
    let out = s
        .cmd()
        .env("LORE_CONFIG", &path)
        .args([
            "--lock-timeout",
            "1.5",
            "record",
            "--title",
            "t",
            "--domain",
            "d",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        start.elapsed() >= Duration::from_millis(1400),
        "the flag did not win"
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
    // `config path` and `config show`.
    let out = s
        .cmd()
        .env("LORE_CONFIG", &path)
        .args(["config", "path"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).trim(), path.to_str().unwrap());
    let out = s
        .cmd()
        .env("LORE_CONFIG", &path)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("lock_timeout = \"0.5\"")
            && stdout(&out).contains("Configured Author"),
        "{}",
        stdout(&out)
    );
    // The same as JSON, for scripts.
    let out = s
        .cmd()
        .env("LORE_CONFIG", &path)
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["lock_timeout"], "0.5");
    assert_eq!(json["author"]["name"], "Configured Author");
    // A configuration file that cannot be read is named as such.
    let out = s
        .cmd()
        .env("LORE_CONFIG", s.root())
        .args(["list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("config: cannot read the configuration file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_configured_author_signs_commits_when_git_has_no_identity() {
    let s = TestStore::new();
    let (_d, path) =
        with_config("[author]\nname = \"Configured Author\"\nemail = \"ca@example.org\"\n");
    let home = tempfile::tempdir().unwrap();
    let out = s
        .cmd()
        .env("LORE_CONFIG", &path)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["record", "--title", "signed", "--domain", "d"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        s.git(&["log", "-1", "--format=%an <%ae>"]).trim(),
        "Configured Author <ca@example.org>"
    );
}
