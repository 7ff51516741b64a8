//! Drafts: kept on leaving a form, offered again, restored, deleted only when asked.

use super::*;

#[test]
fn esc_on_a_changed_form_keeps_it_as_a_draft_or_discards_it_only_on_d() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('n')));
    typed(&mut app, "half-typed");
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::ConfirmClose);
    // Keys typed out of habit change nothing: not y (the old "discard"), not n.
    for c in ['y', 'n', 'x'] {
        app.on_key(key(KeyCode::Char(c)));
        assert_eq!(app.mode, Mode::ConfirmClose, "{c}");
    }
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Compose, "Esc goes back to the form");
    // Enter keeps it as a draft and closes: the list is back, the draft offered by n.
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.mode, Mode::Browse);
    assert!(app.compose.is_none());
    let saved = requests(&mut app);
    assert!(
        saved
            .iter()
            .any(|r| matches!(r, Request::SaveDraft(_, d) if d.get(Field::Title) == "half-typed")),
        "{saved:?}"
    );
    assert!(!saved.iter().any(|r| matches!(r, Request::DiscardDraft(_))));
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Drafts);
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(
        app.compose.as_ref().unwrap().draft().get(Field::Title),
        "half-typed"
    );
    // d discards it: the one key that does.
    typed(&mut app, " more");
    app.on_key(key(KeyCode::Esc));
    app.on_key(key(KeyCode::Char('d')));
    assert!(app.compose.is_none());
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, Request::DiscardDraft(_)))
    );
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Compose, "no draft is left to offer");
}

fn kept(title: &str) -> lore::draft::Kept {
    lore::draft::Kept {
        id: lore::draft::DraftId::new(),
        draft: lore::learning::Draft::default()
            .with(Field::Title, title)
            .with(Field::Domain, "d"),
        written: Some(std::time::SystemTime::now()),
    }
}

#[test]
fn a_kept_draft_is_offered_and_n_twice_restores_it() {
    let old = kept("kept");
    let old_id = old.id.clone();
    let mut app = App::new("/s".into(), vec![old], true);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .0
            .contains("press n to restore it")
    );
    app.effects.clear();
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Drafts);
    let screen = render(&mut app, 100, 30);
    assert!(
        screen.contains("kept drafts") && screen.contains("kept") && screen.contains("d delete"),
        "{screen}"
    );
    // The habitual second n restores: it never deletes.
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Compose);
    let form = app.compose.as_ref().unwrap();
    assert_eq!(form.draft().get(Field::Title), "kept");
    let new_id = form.id.clone();
    assert_ne!(new_id, old_id, "restored under a name of this browser's");
    // Written under the new name before the old file goes.
    let asked = requests(&mut app);
    let write = asked
        .iter()
        .position(|r| matches!(r, Request::SaveDraft(id, _) if *id == new_id));
    let remove = asked
        .iter()
        .position(|r| matches!(r, Request::DiscardDraft(id) if *id == old_id));
    assert!(write.unwrap() < remove.unwrap(), "{asked:?}");
    assert!(app.notice.is_none(), "{:?}", app.notice);
    // Closed with Esc and no edit: still kept, still offered, not overwritten by a new form.
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Browse);
    assert!(
        !requests(&mut app)
            .iter()
            .any(|r| matches!(r, Request::DiscardDraft(_)))
    );
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Drafts);
    assert_eq!(app.kept_drafts[0].id, new_id);
    // c starts a new learning beside it; typing there writes another draft, not this one.
    app.on_key(key(KeyCode::Char('c')));
    assert_eq!(app.compose.as_ref().unwrap().draft().get(Field::Title), "");
    assert_ne!(app.compose.as_ref().unwrap().id, new_id);
    assert_eq!(app.kept_drafts.len(), 1);
}

#[test]
fn deleting_a_kept_draft_asks_first() {
    let mut app = App::new("/s".into(), vec![kept("first"), kept("second")], true);
    assert!(app.notice.as_ref().unwrap().0.contains("2 drafts"));
    app.effects.clear();
    app.on_key(key(KeyCode::Char('n')));
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Char('d')));
    assert_eq!(app.mode, Mode::ConfirmDeleteDraft);
    let screen = render(&mut app, 120, 30);
    assert!(screen.contains("Delete the draft \"second\"?"), "{screen}");
    // Anything but y keeps it.
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Drafts);
    assert_eq!(app.kept_drafts.len(), 2);
    app.on_key(key(KeyCode::Char('d')));
    app.on_key(key(KeyCode::Char('y')));
    assert_eq!(app.kept_drafts.len(), 1);
    assert_eq!(app.kept_drafts[0].draft.get(Field::Title), "first");
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, Request::DiscardDraft(_)))
    );
}
