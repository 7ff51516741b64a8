//! Where learning files go: daily folders in stores lore creates, the script's flat folder in
//! the script's stores, and both shapes read everywhere.

use crate::support::*;

fn today() -> String {
    jiff::ZonedDateTime::now().strftime("%Y%m%d").to_string()
}

#[test]
fn a_new_store_writes_daily_folders_and_keeps_the_choice_in_git() {
    let s = TestStore::new();
    // The layout travels with the repository, so every clone writes the same shape.
    let settings = s.git(&["show", "HEAD:memory/lore.toml"]);
    assert!(settings.contains("layout = \"daily\""), "{settings}");

    let out = s.ok(&[
        "record",
        "--title",
        "Sharded save",
        "--domain",
        "d",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let path = v["filepath"].as_str().unwrap().to_string();
    let t = today();
    assert_eq!(
        path,
        format!(
            "memory/failures/{}-{}/{}/{t}_sharded-save.md",
            &t[..4],
            &t[4..6],
            &t[6..]
        )
    );
    // The commit holds exactly that file; the work tree is clean.
    assert_eq!(
        s.git(&["show", "--name-only", "--format=", "HEAD"]).trim(),
        path
    );
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    // Everything that reads files finds it.
    assert!(s.ok(&["show", &path]).contains("Sharded save"));
    assert!(s.ok(&["search", "sharded"]).contains("Sharded save"));
    let doctor = s.run(&["doctor"]);
    assert_eq!(doctor.status.code(), Some(0), "{}", stdout(&doctor));
    let before = s.ok(&["list", "--json"]);
    s.ok(&["reindex"]);
    assert_eq!(s.ok(&["list", "--json"]), before);
}

#[test]
fn a_flat_file_added_by_the_script_to_a_daily_store_is_read_like_any_other() {
    let s = TestStore::new();
    s.record("Lore's own", "d");
    // What record-failure.sh does: a flat file, `git add`, `git commit`.
    let flat = format!("memory/failures/{}_from-the-script.md", today());
    std::fs::write(
        s.root().join(&flat),
        "# From the script\n\n**Domain**: sh\n**Severity**: 3\n**Tags**: \n**Date**: 2026-01-02\n\n## Summary\nWritten by record-failure.sh\n",
    )
    .unwrap();
    s.git(&["add", &flat]);
    git_commit(s.root(), &["-m", "failure: From the script"]);
    // The next read takes it in (the index follows HEAD): no repair needed, the three views
    // agree.
    let list = s.ok(&["list"]);
    assert!(
        list.contains("From the script") && list.contains("Lore's own"),
        "{list}"
    );
    let out = s.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // A fresh index built from git finds both shapes.
    std::fs::remove_file(s.root().join("memory/index.db")).unwrap();
    let list = s.ok(&["list", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2, "{list}");
}

#[test]
fn a_store_made_in_a_repository_with_history_stays_flat() {
    let s = TestStore::empty();
    git(s.root(), &["init", "-q", "-b", "main"]);
    std::fs::write(s.root().join("README"), "hi\n").unwrap();
    git(s.root(), &["add", "README"]);
    git_commit(s.root(), &["-m", "start"]);
    s.ok(&["init", s.root().to_str().unwrap()]);
    assert!(!s.root().join("memory/lore.toml").exists());
    let out = s.ok(&["record", "--title", "Flat here", "--domain", "d", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["filepath"],
        format!("memory/failures/{}_flat-here.md", today())
    );
}

#[test]
fn a_full_day_overflows_into_numbered_folders() {
    let s = TestStore::new();
    let t = today();
    let day = s
        .root()
        .join(daily(&format!("{t}_x.md")))
        .parent()
        .unwrap()
        .to_path_buf();
    std::fs::create_dir_all(&day).unwrap();
    // A day's folder takes FOLDER_CAP files (planted, not saved, to keep the test quick).
    for i in 0..lore::store::FOLDER_CAP {
        std::fs::write(day.join(format!("{t}_planted-{i}.md")), "# planted\n").unwrap();
    }
    let out = s.ok(&["record", "--title", "Overflow", "--domain", "d", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let path = v["filepath"].as_str().unwrap().to_string();
    let expected = daily(&format!("{t}_overflow.md"))
        .replace(&format!("/{t}_overflow.md"), &format!("/2/{t}_overflow.md"));
    assert_eq!(path, expected);
    // Read like any other learning, by every command and by a rebuilt index.
    assert!(s.ok(&["show", &path]).contains("Overflow"));
    std::fs::remove_file(s.root().join("memory/index.db")).unwrap();
    assert!(s.ok(&["list"]).contains("Overflow"));
    // Saves go on filling folder 2.
    let out = s.ok(&[
        "record",
        "--title",
        "Overflow again",
        "--domain",
        "d",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["filepath"]
            .as_str()
            .unwrap()
            .contains(&format!("/2/{t}_overflow-again.md"))
    );
    // A full overflow folder opens the next one; a folder filled past the cap (an earlier lore
    // took 500 a folder) is just full.
    for i in 0..500 {
        std::fs::write(day.join(format!("2/{t}_planted-{i}.md")), "# planted\n").unwrap();
    }
    let out = s.ok(&["record", "--title", "Third", "--domain", "d", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        v["filepath"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/3/{t}_third.md")),
        "{v}"
    );
    assert!(s.ok(&["list"]).contains("Third"));
}
