//! Leaving, syncing and the configured keys: nothing running is cut short unasked.

use super::*;

#[test]
fn leaving_while_a_save_runs_asks_and_says_what_became_of_it() {
    // q: wait for the save, then quit once it has landed.
    let mut app = form_with("Saved on the way out", "infra");
    app.on_key(ctrl('s'));
    assert!(app.saving());
    app.on_key(key(KeyCode::Char('q')));
    assert_eq!(app.mode, Mode::ConfirmQuit);
    assert!(!app.quit);
    let screen = render(&mut app, 80, 24);
    assert!(
        screen.contains("[w]") && screen.contains("[c]") && screen.contains("[Esc]"),
        "{screen}"
    );
    app.on_key(key(KeyCode::Char('w')));
    assert!(!app.quit, "not before the save has ended");
    app.on_msg(Msg::Save(SaveMsg::Done {
        id: 9,
        commit: "0123456789".into(),
        warnings: Vec::new(),
    }));
    assert!(app.quit);
    assert_eq!(app.farewell.as_deref(), Some("saved #9 (commit 0123456)"));

    // Waiting, but the save fails: lore stays open with the form and says why.
    let mut app = form_with("Fails", "infra");
    app.on_key(ctrl('s'));
    app.on_key(key(KeyCode::Char('q')));
    app.on_key(key(KeyCode::Char('w')));
    app.on_msg(Msg::Save(SaveMsg::Failed {
        message: "disk full".into(),
    }));
    assert!(!app.quit);
    assert_eq!(app.mode, Mode::Compose);

    // Ctrl-C, then c: cancel the wait and quit once it has stopped; the draft is kept.
    let mut app = form_with("Cancelled", "infra");
    app.on_key(ctrl('s'));
    app.effects.clear();
    app.on_key(ctrl('c'));
    assert_eq!(app.mode, Mode::ConfirmQuit);
    app.on_key(key(KeyCode::Char('c')));
    assert!(app.effects.iter().any(|e| matches!(e, Effect::CancelSave)));
    assert!(!app.quit);
    app.on_msg(Msg::Save(SaveMsg::Cancelled));
    assert!(app.quit);
    assert!(app.farewell.as_deref().unwrap().contains("draft is kept"));
    assert!(
        !app.effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::DiscardDraft(_))))
    );

    // Ctrl-C twice: the same, without a choice.
    let mut app = form_with("Twice", "infra");
    app.on_key(ctrl('s'));
    app.effects.clear();
    app.on_key(ctrl('c'));
    app.on_key(ctrl('c'));
    assert!(app.effects.iter().any(|e| matches!(e, Effect::CancelSave)));
    app.on_msg(Msg::Save(SaveMsg::Cancelled));
    assert!(app.quit);

    // Esc stays.
    let mut app = form_with("Stay", "infra");
    app.on_key(ctrl('s'));
    app.on_key(key(KeyCode::Char('q')));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Browse);
    assert!(!app.quit && app.quit_plan.is_none());
}

#[test]
fn ctrl_c_in_a_form_being_typed_in_asks_first() {
    let mut app = form_with("Half", "typed");
    app.on_key(ctrl('c'));
    assert_eq!(app.mode, Mode::ConfirmQuit);
    assert!(!app.quit);
    app.on_key(key(KeyCode::Char('x')));
    assert_eq!(app.mode, Mode::ConfirmQuit, "only y or Esc answer");
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Compose);
    assert_eq!(
        app.compose.as_ref().unwrap().draft().get(Field::Title),
        "Half"
    );
    app.on_key(ctrl('c'));
    app.on_key(key(KeyCode::Char('y')));
    assert!(app.quit);
}

#[test]
fn capital_s_syncs_and_a_finished_sync_reloads() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('S')));
    assert!(app.effects.iter().any(|e| matches!(e, Effect::Sync)));
    app.effects.clear();
    app.on_msg(Msg::Notice("sync: fetching…".into()));
    assert_eq!(app.notice.as_ref().unwrap().0, "sync: fetching…");
    // Nothing arrived: the list and the selection stay as they are.
    app.on_key(key(KeyCode::Down));
    let (generation, selected) = (app.generation, app.list.selected_row().map(|r| r.id));
    app.effects.clear();
    app.on_msg(Msg::Synced { changed: false });
    assert_eq!(app.generation, generation, "no reload");
    assert_eq!(app.list.selected_row().map(|r| r.id), selected);
    // Something arrived: read again, and the selection asked back onto the same learning.
    app.on_msg(Msg::Synced { changed: true });
    assert!(app.generation > generation, "the list reloads");
    assert_eq!(app.select_id, selected);
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, Request::Page { .. }))
    );
}

#[test]
fn configured_keys_replace_the_defaults_everywhere() {
    let config =
        lore::config::Config::parse("[keys]\nsearch = \"s\"\nquit = \"x\"\nhelp = \"H\"\n")
            .unwrap();
    let mut app = sample();
    app.keys = crate::tui::keymap::Keymap::from_config(&config);
    app.on_key(key(KeyCode::Char('q')));
    assert!(!app.quit, "q is no longer quit");
    app.on_key(key(KeyCode::Char('s')));
    assert_eq!(app.mode, Mode::Search);
    app.on_key(key(KeyCode::Esc));
    let screen = render(&mut app, 120, 24);
    assert!(
        screen.contains("press s to search") && screen.contains("s search · n new"),
        "{screen}"
    );
    app.on_key(key(KeyCode::Char('H')));
    assert_eq!(app.mode, Mode::Help);
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("x  Ctrl-C  quit"), "{screen}");
    app.on_key(key(KeyCode::Char('x')));
    assert_eq!(app.mode, Mode::Browse);
    app.on_key(key(KeyCode::Char('x')));
    assert!(app.quit);
}

#[test]
fn a_sync_runs_one_at_a_time_and_quitting_waits_for_it() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('S')));
    app.effects.clear();
    app.on_key(key(KeyCode::Char('S')));
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Sync)));
    app.on_key(key(KeyCode::Char('q')));
    assert_eq!(app.mode, Mode::ConfirmQuit);
    app.on_key(key(KeyCode::Char('w')));
    assert!(!app.quit);
    app.on_msg(Msg::SyncEnded("synced with origin/main".into()));
    assert!(app.quit);
    assert_eq!(app.farewell.as_deref(), Some("synced with origin/main"));
}

#[test]
fn quit_and_ctrl_c() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('q')));
    assert!(app.quit);
    let mut app = sample();
    app.on_key(ctrl('c'));
    assert!(app.quit);
}
