//! The browser as a user meets it: the real binary in a pseudo-terminal, its screen read back
//! through a terminal emulator (vt100).

use std::time::Duration;

use crate::support::pty::{Tui, flat};
use crate::support::*;

const CTRL_S: &str = "\u{13}";
const CTRL_C: &str = "\u{3}";

/// What a terminal sends for a paste when bracketed paste is on.
fn bracketed(text: &str) -> String {
    format!("\u{1b}[200~{text}\u{1b}[201~")
}

/// The drafts on disk (`<git-dir>/lore/drafts/*.json`), their text.
fn drafts(s: &TestStore) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(s.root().join(".git/lore/drafts")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}
const ESC: &str = "\u{1b}";

fn seeded() -> TestStore {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "Disk full on the build host",
        "--domain",
        "infra",
        "--severity",
        "5",
        "--summary",
        "The cache was never pruned",
    ]);
    s.ok(&[
        "record",
        "--title",
        "Flaky integration test",
        "--domain",
        "testing",
        "--summary",
        "Timing-dependent assertion",
    ]);
    s.ok(&[
        "record",
        "--title",
        "Deploy ran twice",
        "--domain",
        "ci",
        "--severity",
        "high",
    ]);
    s
}

/// The screen's words with every run of white space (line ends included) made one space, so
/// that a message the status line wraps at a different word (temporary paths vary in length)
/// still matches.

#[test]
fn browse_search_compose_and_save() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("learnings, newest first");
    let screen = t.wait_for("Deploy ran twice");
    assert!(screen.contains("Disk full on the build host"), "{screen}");
    // The detail pane shows the selected (newest) learning.
    t.wait_for("Domain: ci");
    assert!(t.screen().contains("lock: free"));

    // Search as you type, prefix matching from the first letter: `n` starts "never" and the
    // "No summary provided" of the learning without one, nothing in the flaky test's.
    t.keys("/");
    t.keys("n");
    t.wait_for("1/2");
    let screen = t.wait_for("Disk full");
    assert!(!screen.contains("Nothing matches"), "{screen}");
    assert!(!screen.contains("Flaky"), "{screen}");
    t.keys("\x7f");
    t.keys("prun");
    let screen = t.wait_for("search results, best first");
    t.wait_for("1/1");
    assert!(screen.contains("Disk full") || t.screen().contains("Disk full"));
    assert!(!t.screen().contains("Deploy ran twice"), "{}", t.screen());
    t.keys(ESC);
    t.wait_for("learnings, newest first");

    // Compose and save.
    t.keys("n");
    t.wait_for("new learning");
    t.keys("Cache stampede after deploy");
    t.keys("\t");
    t.keys("infra");
    t.keys("\t");
    t.keys("4");
    t.keys(CTRL_S);
    t.wait_for("saved #4");
    // The new entry is selected in the list and shown in the detail pane.
    let screen = t.wait_for("▶ ");
    assert!(screen.contains("Cache stampede after deploy"), "{screen}");
    assert_eq!(s.row_count(), 4);
    assert!(
        s.git(&["log", "-1", "--format=%s"])
            .contains("failure: Cache stampede after deploy")
    );
    t.keys("q");
    assert!(t.wait_exit().success());
    t.assert_restored();
}

#[test]
fn a_save_waits_for_another_holder_and_shows_it() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("learnings, newest first");
    let mut holder = hold(&s, 3, &[]);
    // The form says at once that the lock is held.
    t.wait_for(&format!("held by pid {}", holder.id()));
    t.keys("n");
    t.keys("Waited for the lock");
    t.keys("\tlocks");
    t.keys(CTRL_S);
    let screen = flat(&t.wait_for("for the lock, held by pid"));
    assert!(screen.contains(&format!("pid {}", holder.id())), "{screen}");
    assert!(screen.contains("Esc cancels"), "{screen}");
    // The UI keeps drawing while it waits: the waited time moves on.
    assert_eq!(s.row_count(), 3);
    t.wait_for("saved #4");
    assert!(holder.wait().unwrap().success());
    assert_eq!(s.row_count(), 4);
    t.keys("q");
    assert!(t.wait_exit().success());
}

#[test]
fn a_timed_out_save_keeps_the_draft_across_a_restart() {
    let s = seeded();
    let before = s.snapshot();
    let mut holder = hold(&s, 30, &[]);
    let mut t = Tui::start(&s, &["--lock-timeout", "2"], &[]);
    t.wait_for("learnings, newest first");
    t.keys("n");
    t.keys("Never saved");
    t.keys("\tdrafts");
    t.keys(CTRL_S);
    let screen = flat(&t.wait_for("timed out after 2"));
    assert!(screen.contains(&format!("pid {}", holder.id())), "{screen}");
    assert!(
        screen.contains("lore lock status") && screen.contains("draft is kept"),
        "{screen}"
    );
    // The form is still there, with what was typed.
    assert!(screen.contains("Never saved"), "{screen}");
    assert_eq!(s.snapshot(), before, "nothing may be written");
    // Leave (Ctrl-C asks, as the form holds typed text), then come back: the draft is
    // offered and restored.
    t.keys(CTRL_C);
    t.wait_for("Quit lore? What you typed is kept as a draft");
    t.keys("y");
    assert!(t.wait_exit().success());
    t.assert_restored();
    holder.kill().unwrap();
    holder.wait().unwrap();

    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("draft from an earlier session");
    t.keys("n");
    t.wait_for("kept drafts");
    t.keys("\r");
    let screen = t.wait_for("new learning");
    assert!(
        screen.contains("Never saved") && screen.contains("drafts"),
        "{screen}"
    );
    t.keys(CTRL_S);
    t.wait_for("saved #4");
    assert_eq!(s.row_count(), 4);
    // Saved: the draft is gone.
    wait_until("the draft to go", Duration::from_secs(5), || {
        drafts(&s).is_empty()
    });
    t.keys("q");
    t.wait_exit();
}

#[test]
fn an_empty_store_says_how_to_start_and_sigterm_restores_the_terminal() {
    let s = TestStore::new();
    let mut t = Tui::start(&s, &[], &[]);
    let screen = t.wait_for("No learnings yet");
    assert!(
        screen.contains("Press n to record your first failure"),
        "{screen}"
    );
    let pid = rustix::process::Pid::from_raw(t.child.process_id().unwrap() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    t.wait_exit();
    t.assert_restored();
}

#[test]
fn hostile_titles_never_reach_the_terminal_raw() {
    let s = TestStore::new();
    // Written by another tool straight into the index and a file: lore must not trust it.
    let evil = "Evil \u{1b}]0;pwned\u{7} \u{1b}[2J title";
    std::fs::write(
        s.root().join("memory/failures/evil.md"),
        format!("# {evil}\n\nbody \u{1b}[31mred\n"),
    )
    .unwrap();
    s.db()
        .execute(
            "INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('failure', 'memory/failures/evil.md', ?, 's', 'x', 3)",
            [evil],
        )
        .unwrap();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("learnings, newest first");
    t.wait_for("Evil \\e]0;pwned\\x07 \\e[2J title");
    t.keys("q");
    t.wait_exit();
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(
        !raw.contains("\u{1b}]0;pwned") && !raw.contains("pwned\u{7}"),
        "an OSC sequence reached the terminal"
    );
    assert!(
        !raw.contains("\u{1b}[2J title"),
        "a CSI sequence reached the terminal"
    );
}

#[test]
fn e_edits_in_the_users_editor_and_commits_the_change() {
    let s = seeded();
    let tools = tempfile::tempdir().unwrap();
    let dir = tools.path().join("my tools");
    std::fs::create_dir(&dir).unwrap();
    let editor = dir.join("fake editor.sh");
    // Adds a line right under the title, where the detail pane shows it: its text is the
    // editor's first argument, given quoted in the editor command.
    write_executable(&editor, "#!/bin/sh\nsed -i \"1a $1\" \"$2\"\n");
    let commits = s.commit_count();
    // Chosen as git chooses: GIT_EDITOR before git's core.editor and VISUAL; run as git runs
    // it, so a path with spaces and a quoted argument work.
    s.git(&["config", "core.editor", "false"]);
    let command = format!("'{}' 'Added in the editor.'", editor.display());
    let mut t = Tui::start(
        &s,
        &[],
        &[("GIT_EDITOR", command.as_str()), ("VISUAL", "false")],
    );
    t.wait_for("Deploy ran twice");
    t.keys("e");
    t.wait_for("committed the edit of #3");
    assert_eq!(s.commit_count(), commits + 1);
    assert_eq!(
        s.git(&["log", "-1", "--format=%s"]).trim(),
        "failure: Deploy ran twice (edited)"
    );
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    let updated: Option<String> = s
        .db()
        .query_row("SELECT updated_at FROM learnings WHERE id = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(updated.is_some());
    // The detail pane shows the new text, and search finds it.
    t.wait_for("Added in the editor.");
    let hits: serde_json::Value =
        serde_json::from_str(&s.ok(&["search", "editor", "--json"])).unwrap();
    assert_eq!(hits[0]["id"], 3);

    // A file that vanished meanwhile fails cleanly.
    let path: String = s
        .db()
        .query_row("SELECT filepath FROM learnings WHERE id = 3", [], |r| {
            r.get(0)
        })
        .unwrap();
    std::fs::remove_file(s.root().join(&path)).unwrap();
    t.keys("e");
    t.wait_for("is missing; nothing to edit");
    assert_eq!(s.commit_count(), commits + 1);
    t.keys("q");
    assert!(t.wait_exit().success());
}

#[test]
fn a_killed_browser_loses_nothing_typed() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    t.keys("n");
    t.keys("Typed before the crash");
    t.keys("\tkill-test");
    // The draft is written a moment after typing stops.
    std::thread::sleep(Duration::from_millis(900));
    t.child.kill().unwrap(); // SIGKILL: no clean-up runs
    t.wait_exit();
    let draft = drafts(&s).join("\n");
    assert!(draft.contains("Typed before the crash"), "{draft}");

    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("draft from an earlier session");
    t.keys("n");
    t.keys("\r");
    let screen = t.wait_for("new learning");
    assert!(
        screen.contains("Typed before the crash") && screen.contains("kill-test"),
        "{screen}"
    );
    t.keys("\u{3}");
    t.wait_exit();
}

#[test]
fn a_closed_terminal_keeps_what_was_just_typed() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    t.keys("n");
    t.wait_for("new learning");
    t.keys("Typed as the window closed");
    t.wait_for("Typed as the window closed");
    // At once, before the draft's delayed write: a closed window or a dropped SSH session.
    let pid = rustix::process::Pid::from_raw(t.child.process_id().unwrap() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).unwrap();
    t.wait_exit();
    let draft = drafts(&s).join("\n");
    assert!(draft.contains("Typed as the window closed"), "{draft}");
}

#[test]
fn what_other_processes_and_git_commit_shows_up_in_an_open_browser() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    // Another process records: the new learning appears without a key being pressed.
    s.record("Recorded from another shell", "ops");
    t.wait_for("Recorded from another shell");
    // A learning edited by hand and committed with git: its new title appears too.
    let file = s.root().join(s.path_of("Deploy ran twice"));
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("# Deploy ran twice", "# Deploy ran three times"),
    )
    .unwrap();
    git_commit(s.root(), &["-am", "edited by hand"]);
    t.wait_for("Deploy ran three times");
    t.keys("q");
    t.wait_exit();
}

/// An empty bare repository (branch `main`) to sync with, in its own temporary folder.
fn bare_remote() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    let made = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(&remote)
        .status()
        .unwrap();
    assert!(made.success());
    (dir, remote)
}

#[test]
fn capital_s_syncs_with_the_remote_and_shows_what_arrived() {
    let s = seeded();
    let (_dir, remote) = bare_remote();
    s.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    t.keys("S");
    t.wait_for("synced with origin/main");
    assert_eq!(
        git(&remote, &["rev-parse", "main"]),
        s.git(&["rev-parse", "HEAD"])
    );
    t.keys("q");
    assert!(t.wait_exit().success());
}

#[test]
fn the_configured_auto_sync_interval_syncs_by_itself() {
    let s = seeded();
    let (dir, remote) = bare_remote();
    s.git(&["remote", "add", "team", remote.to_str().unwrap()]);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[sync]\nremote = \"team\"\nauto_interval = \"1s\"\n[ui]\ncolor = false\n",
    )
    .unwrap();
    let mut t = Tui::start(&s, &[], &[("LORE_CONFIG", config.to_str().unwrap())]);
    t.wait_for("Deploy ran twice");
    // Nobody presses anything: within a few seconds the store is on the remote.
    t.wait_for("synced with team/main");
    assert_eq!(
        git(&remote, &["rev-parse", "main"]),
        s.git(&["rev-parse", "HEAD"])
    );
    t.keys("q");
    assert!(t.wait_exit().success());
}

#[test]
fn bracketed_paste_is_turned_on_and_off_and_a_paste_is_text_in_the_search_line() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(raw.contains("\u{1b}[?2004h"), "bracketed paste not enabled");
    // A paste in the list is not keys: its q does not quit, its n opens no form.
    t.keys(&bracketed("q\nnS"));
    t.keys("/");
    // A newline and a q in the search line: text, on one line.
    t.keys(&bracketed("disk\nquick q\n"));
    t.wait_for("disk quick q");
    assert!(
        t.child.try_wait().unwrap().is_none(),
        "lore quit on a pasted q"
    );
    assert!(!t.screen().contains("new learning"));
    t.keys(ESC);
    t.keys(ESC);
    t.keys("q");
    assert!(t.wait_exit().success());
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(
        raw.contains("\u{1b}[?2004l"),
        "bracketed paste not disabled"
    );
}

#[test]
fn a_paste_goes_whole_into_the_field_in_focus_and_is_saved_as_pasted() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    t.keys("n");
    t.wait_for("new learning");
    // One-line field: newlines and tabs become spaces.
    t.keys(&bracketed("Pasted\ttitle\nover lines\n"));
    t.wait_for("Pasted title over lines");
    t.keys("\t");
    t.keys("paste");
    // To the summary, a multi-line field: 300 lines with tabs (25 KB), kept as they are.
    for _ in 0..4 {
        t.keys("\t");
    }
    let block: String = (0..300)
        .map(|i| format!("row {i:03}\tcell\tcell with a longer tail of text to fill it\n"))
        .collect();
    assert!(block.len() > 15_000);
    t.keys(&bracketed(&format!("{block}THE END")));
    // All of it arrives at once, not a keystroke at a time.
    t.wait_for("THE END");
    t.keys(CTRL_S);
    t.wait_for("saved #4");
    let path = s.path_of("Pasted title over lines");
    let text = std::fs::read_to_string(s.root().join(&path)).unwrap();
    assert!(text.contains("**Domain**: paste"), "{text}");
    assert!(
        text.contains("row 000\tcell")
            && text.contains("row 299\tcell")
            && text.contains("THE END"),
        "{}",
        &text[..text.len().min(600)]
    );
    t.keys("q");
    assert!(t.wait_exit().success());
}

#[test]
fn a_draft_survives_a_kill_n_n_and_an_esc_and_is_offered_until_saved() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    t.keys("n");
    t.keys("Worth keeping");
    wait_until("the draft on disk", Duration::from_secs(5), || {
        drafts(&s).iter().any(|d| d.contains("Worth keeping"))
    });
    t.child.kill().unwrap();
    t.wait_exit();

    // n, n: the habit restores it; it never deletes it.
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("press n to restore it");
    t.keys("n");
    t.keys("n");
    let screen = t.wait_for("new learning");
    assert!(screen.contains("Worth keeping"), "{screen}");
    // Esc without an edit, then n and a keystroke: the draft is still there, and offered.
    t.keys(ESC);
    t.wait_for("learnings, newest first");
    t.keys("n");
    t.wait_for("kept drafts");
    assert!(t.screen().contains("Worth keeping"));
    t.keys("c");
    t.wait_for("new learning");
    t.keys("Second one");
    std::thread::sleep(Duration::from_millis(900));
    let on_disk = drafts(&s);
    assert!(
        on_disk.iter().any(|d| d.contains("Worth keeping")),
        "the kept draft was overwritten: {on_disk:?}"
    );
    // Esc on the changed form: keep it, and both are offered.
    t.keys(ESC);
    t.wait_for("keep it as a draft");
    t.keys("\r");
    t.keys("n");
    t.wait_for("kept drafts");
    assert!(t.screen().contains("Worth keeping") && t.screen().contains("Second one"));
    t.keys(ESC);
    t.keys("q");
    assert!(t.wait_exit().success());
    assert_eq!(drafts(&s).len(), 2);
}

#[test]
fn q_and_ctrl_c_during_a_waiting_save_ask_and_say_what_happened() {
    let s = seeded();
    let before = s.snapshot();
    let mut holder = hold(&s, 30, &[]);
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("learnings, newest first");
    t.keys("n");
    t.keys("Waiting to be saved");
    t.keys("\tlocks");
    t.keys(CTRL_S);
    t.wait_for("for the lock, held by pid");
    // q asks; Esc stays.
    t.keys("q");
    t.wait_for("A save is in progress");
    t.keys(ESC);
    t.wait_for("for the lock, held by pid");
    assert!(t.child.try_wait().unwrap().is_none());
    // Ctrl-C asks too; c cancels the wait and quits, and says so.
    t.keys(CTRL_C);
    t.wait_for("A save is in progress");
    t.keys("c");
    assert!(t.wait_exit().success());
    t.assert_restored();
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(raw.contains("save cancelled"), "not said: {raw:?}");
    assert_eq!(s.snapshot(), before, "nothing written");
    assert!(drafts(&s).iter().any(|d| d.contains("Waiting to be saved")));

    // w: quit once it is saved, which it is when the lock comes free.
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("press n to restore it");
    t.keys("n");
    t.keys("n");
    t.wait_for("Waiting to be saved");
    t.keys(CTRL_S);
    t.wait_for("for the lock, held by pid");
    t.keys("q");
    t.wait_for("A save is in progress");
    t.keys("w");
    t.wait_for("quitting once it has finished");
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(t.wait_exit().success());
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(raw.contains("lore: saved #4"), "not said: {raw:?}");
    assert_eq!(s.row_count(), 4);
    assert!(drafts(&s).is_empty(), "saved: its draft is gone");
}

#[test]
fn the_first_open_of_a_script_store_says_in_the_status_line_that_it_indexes_it() {
    let f = crate::support::script_store::script_store(265, 38);
    let mut t = Tui::start(&f.store, &[], &[("LORE_TEST_PROGRESS_AFTER_MS", "0")]);
    let missing = f.learnings - f.rows;
    let screen = t.wait_for(&format!(
        "indexed the store's {missing} committed learnings"
    ));
    // The list holds them all: the script's rows, the new ones, its row for a file elsewhere.
    t.wait_for(&format!("/{}", f.learnings + 1));
    assert!(screen.contains("Migrated failure"), "{screen}");
    t.keys("q");
    t.wait_exit();
    t.assert_restored();
}

#[test]
fn a_save_shows_the_git_hook_it_runs_and_a_refusal_keeps_the_form() {
    let s = seeded();
    // Slow, then refuses a title with a secret in it.
    write_executable(
        &s.root().join(".git/hooks/pre-commit"),
        "#!/bin/sh\nsleep 1.5\nif git diff --cached | grep -q AKIA; then echo 'secret in the commit' >&2; exit 1; fi\n",
    );
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("learnings, newest first");
    t.keys("n");
    t.wait_for("new learning");
    t.keys("Key AKIA1234 leaked");
    t.keys("\tsecurity");
    t.keys(CTRL_S);
    t.wait_for("running git's pre-commit hook");
    let screen = flat(&t.wait_for("the pre-commit hook refused"));
    assert!(screen.contains("secret in the commit"), "{screen}");
    assert_eq!(s.row_count(), 3, "nothing written");
    // The form and its text are still there.
    assert!(t.screen().contains("Key AKIA1234 leaked"), "{}", t.screen());
    t.child.kill().unwrap();
}

#[test]
fn term_dumb_is_refused_with_one_line_pointing_at_lore_list() {
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[("TERM", "dumb")]);
    let screen = t.wait_for("TERM=dumb");
    assert!(flat(&screen).contains("use `lore list`"), "{screen}");
    assert!(!t.wait_exit().success());
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(
        !raw.contains("\u{1b}[?1049h"),
        "no alternate screen: {raw:?}"
    );
}

#[test]
fn the_browser_shows_a_learnings_failing_command() {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "Tests failed in CI",
        "--domain",
        "ci",
        "--command",
        "cargo nextest run --workspace",
        "--exit-code",
        "100",
        "--cwd",
        "/srv/build",
    ]);
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Tests failed in CI");
    // Into the detail pane, and to its end.
    t.keys("\t");
    t.keys("G");
    t.wait_for("Failing Command");
    t.wait_for("cargo nextest run --workspace");
    t.wait_for("Exit code");
    t.keys("q");
    assert!(t.wait_exit().success());
}

#[test]
fn y_puts_the_selected_title_on_the_clipboard_through_osc_52() {
    use base64::Engine;
    let s = seeded();
    let mut t = Tui::start(&s, &[], &[]);
    t.wait_for("Deploy ran twice");
    t.wait_for("Domain: ci");
    t.keys("y");
    t.wait_for("copy to the clipboard");
    t.keys("t");
    t.wait_for("copied the title");
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode("Deploy ran twice");
    assert!(
        raw.contains(&format!("\u{1b}]52;c;{encoded}")),
        "no OSC 52 with the title in what the browser wrote"
    );
    t.keys("q");
    assert!(t.wait_exit().success());
}

/// A hostile file that arrives through git looks the same in the list as in its file: its
/// escape sequences and zero-width characters written out, never stripped into something that
/// looks harmless (`AdminTest`).
#[test]
fn a_hostile_entry_looks_hostile_in_the_list_too() {
    let s = TestStore::new();
    std::fs::write(
        s.root().join("memory/failures/arrived.md"),
        "# Admin\u{1b}]0;pwned\u{7}Test\u{200b}Account\n\n**Domain**: ops\n",
    )
    .unwrap();
    s.git(&["add", "memory/failures/arrived.md"]);
    git_commit(s.root(), &["-m", "from elsewhere"]);
    let mut t = Tui::start(&s, &[], &[]);
    let shown = "Admin\\e]0;pwned\\x07Test\\u{200b}Account";
    let screen = t.wait_for(shown);
    let list_row = screen
        .lines()
        .find(|l| l.starts_with("│▶"))
        .unwrap_or_default();
    assert!(list_row.contains("Admin\\e]0;pwned"), "{screen}");
    assert!(
        screen.matches("Admin\\e]0;pwned\\x07Test").count() >= 3,
        "list, detail title and heading alike: {screen}"
    );
    t.keys("q");
    assert!(t.wait_exit().success());
    let raw = String::from_utf8_lossy(&t.raw.lock().unwrap()).into_owned();
    assert!(
        !raw.contains("\u{1b}]0;pwned"),
        "an OSC sequence reached the terminal"
    );
    assert!(
        !raw.contains('\u{200b}'),
        "a zero-width space reached the terminal"
    );
}
