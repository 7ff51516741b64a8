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
        stdout(&out).contains("lock_timeout = \"500ms\"")
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
    assert_eq!(json["lock_timeout"], "500ms");
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

#[test]
fn config_show_prints_every_key_in_effect_and_init_writes_the_template() {
    let s = TestStore::new();
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("lore/config.toml");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = s.cmd();
        cmd.env("LORE_CONFIG", &path)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env_remove("NO_COLOR")
            .env_remove("GIT_EDITOR")
            .env_remove("VISUAL")
            .env_remove("EDITOR")
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // No file: the defaults, every one of them.
    let out = run(&["config", "show", "--json"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["store"], s.root().to_str().unwrap(), "--store wins");
    assert_eq!(v["lock_timeout"], "30s");
    assert_eq!(v["lock_strategy"], "flock");
    assert_eq!(v["editor"], "vi");
    assert_eq!(v["sync"]["remote"], "origin");
    assert_eq!(v["sync"]["auto_interval"], "0s");
    assert_eq!(v["ui"]["color"], true);
    assert_eq!(v["hooks"]["verify"], true);
    assert_eq!(v["keys"]["search"], "/");
    assert_eq!(v["keys"].as_object().unwrap().len(), 10);
    assert_eq!(v["keys"]["copy"], "y");
    let text = stdout(&run(&["config", "show"], &[]));
    assert!(
        text.contains("lock_timeout = \"30s\"")
            && text.contains("# not set: lore's commits use git's"),
        "{text}"
    );
    // Flags, the environment and the store's git configuration, as the commands see them.
    s.git(&["config", "core.editor", "nano -w"]);
    let out = run(
        &[
            "--lock-timeout",
            "1m30s",
            "--lock-strategy",
            "mkdir",
            "--no-verify",
            "config",
            "show",
            "--json",
        ],
        &[("NO_COLOR", "1")],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["lock_timeout"], "90s");
    assert_eq!(v["lock_strategy"], "mkdir");
    assert_eq!(v["editor"], "nano -w");
    assert_eq!(v["ui"]["color"], false);
    assert_eq!(v["hooks"]["verify_in_mcp"], false);
    // Showing the default store's settings never creates it.
    let out = std::process::Command::new(LORE)
        .env_remove("LORE_STORE")
        .env("LORE_CONFIG", &path)
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .args(["config", "show", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["store"], home.path().join("data/lore").to_str().unwrap());
    assert!(!home.path().join("data/lore").exists());

    // init: the documented template, once.
    let out = run(&["config", "init"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let template = include_str!("../assets/config.toml");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), template);
    assert!(
        run(&["list"], &[]).status.success(),
        "the template is read back"
    );
    std::fs::write(&path, "lock_timeout = \"5s\"\n").unwrap();
    let out = run(&["config", "init"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("already exists") && stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "lock_timeout = \"5s\"\n"
    );
    assert!(run(&["config", "init", "--force"], &[]).status.success());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), template);
}
