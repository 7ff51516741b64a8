//! The README's shell examples run as written (so they cannot rot): every ```sh block except
//! the set-up (cargo), benchmark and sync ones (those need cargo or a network remote).

use std::path::Path;
use std::process::Command;

const LORE: &str = env!("CARGO_BIN_EXE_lore");

#[test]
fn every_shell_example_in_the_readme_runs() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(LORE, bin.join("lore")).unwrap();
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let store = tmp.path().join("store");
    assert!(
        Command::new(LORE)
            .arg("init")
            .arg(&store)
            .status()
            .unwrap()
            .success()
    );
    let mut ran = 0;
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```sh\n") {
        let body_start = start + 6;
        let end = rest[body_start..]
            .find("```")
            .map(|e| body_start + e)
            .unwrap();
        let block = &rest[body_start..end];
        rest = &rest[end + 3..];
        if block.contains("cargo ") || block.contains("sync") || block.contains("example.org") {
            continue;
        }
        let script = block.replace("/tmp/", &format!("{}/", tmp.path().display()));
        let out = Command::new("bash")
            .arg("-euo")
            .arg("pipefail")
            .arg("-c")
            .arg(&script)
            .current_dir(tmp.path())
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("LORE_STORE", &store)
            .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README example failed:\n{block}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 2, "only {ran} README blocks ran");
}
