//! `lore sync` between two clones and a bare remote: concurrent writers, syncs in both orders
//! and at the same time, collisions kept, and an unreachable remote.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::schema::conforms;
use crate::support::*;

struct Team {
    _dir: tempfile::TempDir,
    remote: PathBuf,
    a: PathBuf,
    b: PathBuf,
}

fn lore(store: &Path, args: &[&str]) -> Output {
    Command::new(LORE)
        .arg("--store")
        .arg(store)
        .args(args)
        .output()
        .unwrap()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let out = lore(store, args);
    assert!(
        out.status.success(),
        "lore {args:?} in {}: {}",
        store.display(),
        stderr(&out)
    );
    stdout(&out)
}

/// A bare remote, store A made by `lore init` and pushed, and B a plain `git clone` of it.
fn team() -> Team {
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert!(
        Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(&remote)
            .status()
            .unwrap()
            .success()
    );
    ok(Path::new("/"), &["init", a.to_str().unwrap()]);
    git(&a, &["remote", "add", "origin", remote.to_str().unwrap()]);
    ok(&a, &["sync"]);
    assert!(
        Command::new("git")
            .args(["clone", "-q"])
            .arg(&remote)
            .arg(&b)
            .status()
            .unwrap()
            .success()
    );
    Team {
        _dir: dir,
        remote,
        a,
        b,
    }
}

fn rows(store: &Path) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(store.join("memory/index.db")).unwrap();
    let mut st = db
        .prepare("SELECT filepath, title FROM learnings ORDER BY filepath")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Files under memory/failures (daily folders included), relative to it.
fn files(dir: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &format!("{name}/"), out);
            } else {
                out.insert(name);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&dir.join("memory/failures"), "", &mut out);
    out
}

/// Markdown files under memory/ in HEAD.
fn head_files(repo: &Path) -> BTreeSet<String> {
    git(repo, &["ls-tree", "-r", "--name-only", "HEAD", "memory/"])
        .lines()
        .filter(|l| l.ends_with(".md"))
        .map(str::to_string)
        .collect()
}

#[test]
fn two_clones_with_concurrent_writers_end_up_identical() {
    let t = team();
    // A fresh clone is a store: its index is built on first use.
    assert!(ok(&t.b, &["list"]).contains("No learnings yet"));
    const WRITERS: usize = 5;
    const EACH: usize = 10;
    std::thread::scope(|scope| {
        for (name, store) in [("a", &t.a), ("b", &t.b)] {
            for w in 0..WRITERS {
                scope.spawn(move || {
                    for i in 0..EACH {
                        ok(
                            store,
                            &[
                                "record",
                                "--title",
                                &format!("{name} writer {w} record {i}"),
                                "--domain",
                                name,
                            ],
                        );
                    }
                });
            }
            // Syncs while the writers write.
            scope.spawn(move || {
                for _ in 0..4 {
                    ok(store, &["sync"]);
                }
            });
        }
    });
    // Both orders, then both at once.
    ok(&t.a, &["sync"]);
    ok(&t.b, &["sync"]);
    ok(&t.a, &["sync"]);
    std::thread::scope(|scope| {
        scope.spawn(|| ok(&t.a, &["sync"]));
        scope.spawn(|| ok(&t.b, &["sync"]));
    });
    ok(&t.a, &["sync"]);
    ok(&t.b, &["sync"]);

    let n = 2 * WRITERS * EACH;
    let remote_files: BTreeSet<String> = git(
        &t.remote,
        &["ls-tree", "-r", "--name-only", "main", "memory/"],
    )
    .lines()
    .filter(|l| l.ends_with(".md"))
    .map(str::to_string)
    .collect();
    assert_eq!(remote_files.len(), n, "remote holds every learning");
    assert_eq!(head_files(&t.a), remote_files);
    assert_eq!(head_files(&t.b), remote_files);
    assert_eq!(files(&t.a), files(&t.b));
    for store in [&t.a, &t.b] {
        let r = rows(store);
        assert_eq!(r.len(), n, "{}: every row", store.display());
        let paths: BTreeSet<String> = r.iter().map(|x| x.0.clone()).collect();
        assert_eq!(paths, remote_files, "{}: rows match files", store.display());
        let titles: BTreeSet<&String> = r.iter().map(|x| &x.1).collect();
        assert_eq!(titles.len(), n, "{}: no duplicates", store.display());
        assert_eq!(
            git(store, &["status", "--porcelain"]).trim(),
            "",
            "{}",
            store.display()
        );
    }
    // No commit lost: every record's commit is in the remote's history.
    let log = git(&t.remote, &["log", "--format=%s", "main"]);
    assert_eq!(
        log.lines().filter(|l| l.starts_with("failure: ")).count(),
        n
    );
    assert!(
        Command::new("git")
            .arg("-C")
            .arg(&t.remote)
            .args(["fsck", "--strict"])
            .status()
            .unwrap()
            .success()
    );
}

#[test]
fn the_same_title_on_the_same_day_on_both_machines_keeps_both() {
    let t = team();
    ok(
        &t.a,
        &[
            "record",
            "--title",
            "Same title",
            "--domain",
            "a",
            "--summary",
            "written on a",
        ],
    );
    ok(
        &t.b,
        &[
            "record",
            "--title",
            "Same title",
            "--domain",
            "b",
            "--summary",
            "written on b",
        ],
    );
    ok(&t.a, &["sync"]);
    let report: serde_json::Value = serde_json::from_str(&ok(&t.b, &["sync", "--json"])).unwrap();
    conforms("sync", &report);
    assert_eq!(report["integration"], "merge", "{report:#}");
    let kept = &report["kept_both"][0];
    assert_ne!(kept["from"], kept["to"], "{report:#}");
    assert!(
        t.b.join(kept["to"].as_str().unwrap()).is_file(),
        "{report:#}"
    );
    ok(&t.a, &["sync"]);
    for store in [&t.a, &t.b] {
        let texts: Vec<String> = files(store)
            .iter()
            .filter(|f| f.contains("same-title"))
            .map(|f| std::fs::read_to_string(store.join("memory/failures").join(f)).unwrap())
            .collect();
        assert_eq!(texts.len(), 2, "{}", store.display());
        assert!(
            texts.iter().any(|t| t.contains("written on a"))
                && texts.iter().any(|t| t.contains("written on b"))
        );
        assert_eq!(rows(store).len(), 2);
    }
}

#[test]
fn an_id_and_a_path_that_record_printed_go_on_naming_the_same_learning_after_a_sync() {
    let t = team();
    let record = |store: &Path, summary: &str| -> serde_json::Value {
        let out = ok(
            store,
            &[
                "record",
                "--json",
                "--title",
                "Same title",
                "--domain",
                "d",
                "--summary",
                summary,
            ],
        );
        serde_json::from_str(&out).unwrap()
    };
    record(&t.a, "written on a");
    let mine = record(&t.b, "written on b");
    let (id, path) = (
        mine["id"].as_i64().unwrap(),
        mine["filepath"].as_str().unwrap(),
    );
    // B pushes first; A merges, keeping its own under the plain name and B's suffixed; B then
    // fast-forwards, and its learning arrives at the suffixed path.
    ok(&t.b, &["sync"]);
    assert!(ok(&t.a, &["sync"]).contains("kept both"));
    let out = ok(&t.b, &["sync"]);
    assert!(
        out.contains(&format!("moved: {path} is now")),
        "sync says it moved B's learning: {out}"
    );
    let shown = ok(&t.b, &["show", &id.to_string()]);
    assert!(
        shown.contains("written on b"),
        "the id B's record printed: {shown}"
    );
    let by_path = lore(&t.b, &["show", path]);
    assert!(by_path.status.success(), "{}", stderr(&by_path));
    assert!(
        stdout(&by_path).contains("written on b"),
        "{}",
        stdout(&by_path)
    );
    assert!(
        stderr(&by_path).contains("moved to") && stderr(&by_path).contains("the learning now at"),
        "{}",
        stderr(&by_path)
    );
    // A's learning got an id of its own; both are listed and searchable on B.
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&ok(&t.b, &["search", "--json", "written"])).unwrap();
    let ids: BTreeSet<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id));
    let on_a = rows.iter().find(|r| r["id"].as_i64() != Some(id)).unwrap();
    assert_eq!(
        on_a["filepath"].as_str(),
        Some(path),
        "A's is at the plain name"
    );
    // The same for a rename committed by hand (`git mv`): the row follows it.
    let moved = path.replace(".md", "-renamed.md");
    git(&t.b, &["mv", path, &moved]);
    git_commit(&t.b, &["-m", "rename by hand"]);
    let shown = ok(&t.b, &["show", &format!("#{}", on_a["id"])]);
    assert!(
        shown.contains(&moved) && shown.contains("written on a"),
        "{shown}"
    );
}

#[test]
fn an_unreachable_remote_is_a_clear_error_and_changes_nothing() {
    let t = team();
    ok(&t.a, &["record", "--title", "offline", "--domain", "d"]);
    let head = git(&t.a, &["rev-parse", "HEAD"]);
    git(
        &t.a,
        &["remote", "set-url", "origin", "/nonexistent/remote.git"],
    );
    let out = lore(&t.a, &["sync"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("could not fetch from `origin`") && err.contains("Nothing changed locally"),
        "{err}"
    );
    // Asked for JSON, a script gets a document on failure too: the message and the status.
    let out = lore(&t.a, &["sync", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON on stdout");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("could not fetch from `origin`"),
        "{v}"
    );
    assert_eq!(v["exit_code"], 4);
    assert_eq!(git(&t.a, &["rev-parse", "HEAD"]), head);
    // Recording keeps working offline.
    ok(
        &t.a,
        &["record", "--title", "still offline", "--domain", "d"],
    );
    let out = lore(&t.a, &["sync", "--remote", "nosuchremote"]);
    assert_eq!(out.status.code(), Some(4));
    // A remote that was never added is named as such, with the command that adds one.
    let err = stderr(&out);
    assert!(
        err.contains("no remote `nosuchremote`") && err.contains("remote add nosuchremote"),
        "{err}"
    );
}

#[test]
fn a_malformed_file_from_the_remote_is_indexed_and_flagged() {
    let t = team();
    // Another machine pushes a hand-written file lore would never write.
    let other = t._dir.path().join("other");
    assert!(
        Command::new("git")
            .args(["clone", "-q"])
            .arg(&t.remote)
            .arg(&other)
            .status()
            .unwrap()
            .success()
    );
    std::fs::create_dir_all(other.join("memory/failures")).unwrap();
    std::fs::write(
        other.join("memory/failures/bad.md"),
        "no title here\n**Severity**: 99\n\u{1b}]0;x\u{7}\n",
    )
    .unwrap();
    git(&other, &["add", "memory/failures/bad.md"]);
    git_commit(&other, &["-m", "hand-written"]);
    git(&other, &["push", "-q", "origin", "main"]);
    let out = lore(&t.a, &["sync", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["arrived"],
        serde_json::json!(["memory/failures/bad.md"])
    );
    assert_eq!(
        report["flagged"][0]["path"], "memory/failures/bad.md",
        "{report}"
    );
    conforms("sync", &report);
    assert_eq!(rows(&t.a).len(), 1);
    let shown = ok(&t.a, &["show", "memory/failures/bad.md"]);
    assert!(!shown.contains('\u{1b}'), "{shown}");
}

#[test]
fn the_same_file_edited_on_both_sides_keeps_both_versions_and_says_so() {
    let t = team();
    ok(&t.a, &["record", "--title", "Shared", "--domain", "d"]);
    ok(&t.a, &["sync"]);
    ok(&t.b, &["sync"]);
    let name = files(&t.b).into_iter().next().unwrap();
    let rel = format!("memory/failures/{name}");
    for (store, text) in [(&t.a, "edited on a"), (&t.b, "edited on b")] {
        let path = store.join(&rel);
        let mut md = std::fs::read_to_string(&path).unwrap();
        md.push_str(&format!("\n{text}\n"));
        std::fs::write(&path, md).unwrap();
        git_commit(store, &["-am", text]);
    }
    ok(&t.a, &["sync"]);
    let out = lore(&t.b, &["sync", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["conflicts"].as_array().unwrap().len(), 1, "{report}");
    ok(&t.a, &["sync"]);
    for store in [&t.a, &t.b] {
        let texts: String = files(store)
            .iter()
            .map(|f| std::fs::read_to_string(store.join("memory/failures").join(f)).unwrap())
            .collect();
        assert!(
            texts.contains("edited on a") && texts.contains("edited on b"),
            "{}: a version was dropped",
            store.display()
        );
    }
}

#[test]
fn without_git_sync_says_so_and_recording_still_works() {
    let t = team();
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(LORE)
        .arg("--store")
        .arg(&t.a)
        .arg("sync")
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs the `git` command"),
        "{}",
        stderr(&out)
    );
    let out = Command::new(LORE)
        .arg("--store")
        .arg(&t.a)
        .args(["record", "--title", "offline", "--domain", "d"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_remote_that_holds_the_store_under_another_branch_name_is_joined() {
    // A bare remote made with `master` as its HEAD, for a store on `main`: a clone of it is
    // empty (its HEAD names a branch that does not exist) and starts on `master`.
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    git(
        dir.path(),
        &["init", "-q", "--bare", "-b", "master", "remote.git"],
    );
    ok(Path::new("/"), &["init", a.to_str().unwrap()]);
    git(&a, &["remote", "add", "origin", remote.to_str().unwrap()]);
    ok(&a, &["record", "--title", "From A", "--domain", "d"]);
    ok(&a, &["sync"]);
    git(dir.path(), &["clone", "-q", remote.to_str().unwrap(), "b"]);
    // B's first look joins the store instead of starting a history of its own on `master`.
    let out = lore(&b, &["record", "--title", "From B", "--domain", "d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("switched to `main`, tracking origin/main"),
        "{}",
        stderr(&out)
    );
    assert_eq!(git(&b, &["symbolic-ref", "HEAD"]).trim(), "refs/heads/main");
    assert_eq!(
        git(&b, &["rev-list", "--count", "HEAD"]).trim(),
        "3",
        "A's two commits and B's"
    );
    assert!(
        files(&b).iter().any(|f| f.contains('/')),
        "B records in the store's daily layout: {:?}",
        files(&b)
    );
    let out = ok(&b, &["sync"]);
    assert!(out.contains("main"), "{out}");
    // One branch on the remote, holding both; B now tracks it, and both stores agree.
    let heads = git(
        &remote,
        &["for-each-ref", "--format=%(refname)", "refs/heads"],
    );
    assert_eq!(heads.trim(), "refs/heads/main");
    assert_eq!(
        git(&b, &["config", "branch.main.merge"]).trim(),
        "refs/heads/main"
    );
    ok(&a, &["sync"]);
    // A local branch of another name: the merge names the branch it merged, the remote's.
    git(&b, &["branch", "-m", "notes"]);
    git(&b, &["branch", "-u", "origin/main"]);
    ok(&a, &["record", "--title", "A again", "--domain", "d"]);
    ok(&b, &["record", "--title", "B again", "--domain", "d"]);
    ok(&a, &["sync"]);
    ok(&b, &["sync"]);
    let merges = git(&b, &["log", "--merges", "--format=%s"]);
    assert!(
        !merges.is_empty() && merges.lines().all(|m| m == "lore sync: merge origin/main"),
        "{merges}"
    );
    ok(&a, &["sync"]);
    let titles = |s: &Path| -> BTreeSet<String> { rows(s).into_iter().map(|(_, t)| t).collect() };
    let both: BTreeSet<String> = ["From A", "From B"].map(String::from).into();
    assert!(titles(&a).is_superset(&both), "{:?}", titles(&a));
    assert!(titles(&b).is_superset(&both), "{:?}", titles(&b));
    assert_eq!(head_files(&a), head_files(&b));
    // A remote whose branches hold no store is never given an unrelated one.
    git(
        dir.path(),
        &["init", "-q", "--bare", "-b", "trunk", "code.git"],
    );
    let code = dir.path().join("code.git");
    let work = dir.path().join("work");
    git(dir.path(), &["clone", "-q", code.to_str().unwrap(), "work"]);
    std::fs::write(work.join("main.rs"), "fn main() {}\n").unwrap();
    git(&work, &["add", "main.rs"]);
    git_commit(&work, &["-m", "code"]);
    git(&work, &["push", "-q", "origin", "HEAD:trunk"]);
    ok(Path::new("/"), &["init", c.to_str().unwrap()]);
    git(&c, &["remote", "add", "origin", code.to_str().unwrap()]);
    let out = lore(&c, &["sync"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("no lore store"), "{}", stderr(&out));
    let heads = git(
        &code,
        &["for-each-ref", "--format=%(refname)", "refs/heads"],
    );
    assert_eq!(heads.trim(), "refs/heads/trunk");
}

#[test]
fn learnings_that_arrive_keep_the_time_they_were_recorded() {
    let t = team();
    ok(
        &t.a,
        &["record", "--title", "Earlier on A", "--domain", "d"],
    );
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    ok(&t.b, &["record", "--title", "Later on B", "--domain", "d"]);
    ok(&t.b, &["sync"]);
    ok(&t.a, &["sync"]);
    // Newest first on A too: B's learning was recorded after A's, not at midnight.
    let rows: serde_json::Value = serde_json::from_str(&ok(&t.a, &["list", "--json"])).unwrap();
    let titles: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles[..2], ["Later on B", "Earlier on A"], "{rows}");
    let arrived = rows[0]["created_at"].as_str().unwrap();
    assert!(!arrived.ends_with("T00:00:00+00:00"), "{arrived}");
}
