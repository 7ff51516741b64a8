//! The form: validation, saving through the worker, pastes, types, completion.

use super::*;

#[test]
fn compose_validates_saves_through_the_worker_and_selects_the_new_entry() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Compose);
    // Saving an empty form is refused inline.
    app.on_key(ctrl('s'));
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Save(_))));
    assert!(app.compose.as_ref().unwrap().errors[0].is_some());
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .0
            .starts_with("cannot save yet")
    );
    typed(&mut app, "Cache stampede");
    // Typing answers it: the status line stops saying the title is empty.
    assert!(app.notice.is_none(), "{:?}", app.notice);
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "infra");
    app.on_key(ctrl('s'));
    let effects: Vec<Effect> = app.effects.drain(..).collect();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Request(Request::SaveDraft(..)))),
        "draft first"
    );
    let learning = effects.iter().find_map(|e| match e {
        Effect::Save(l) => Some(l.clone()),
        _ => None,
    });
    assert_eq!(learning.unwrap().title(), "Cache stampede");
    assert_eq!(app.save, SaveState::Starting);
    // The user keeps browsing while the save runs.
    assert_eq!(app.mode, Mode::Browse);
    app.on_key(key(KeyCode::Char('j')));
    assert_eq!(app.list.selected, 1);
    // Progress from the worker.
    app.on_msg(Msg::Save(SaveMsg::Waiting {
        holder: Some(holder()),
        waited: Duration::from_secs(3),
        timeout: Duration::from_secs(30),
    }));
    assert!(app.saving());
    // Esc while waiting cancels the wait, keeping the form, which comes back.
    app.on_key(key(KeyCode::Esc));
    assert!(app.effects.iter().any(|e| matches!(e, Effect::CancelSave)));
    app.on_msg(Msg::Save(SaveMsg::Cancelled));
    assert_eq!(app.mode, Mode::Compose);
    assert_eq!(
        app.compose.as_ref().unwrap().draft().get(Field::Title),
        "Cache stampede"
    );
    // Saving again, this time it lands.
    app.on_key(ctrl('s'));
    assert_eq!(app.save, SaveState::Starting);
    app.on_msg(Msg::Save(SaveMsg::Done {
        id: 4,
        commit: "0123456789abcdef".into(),
        warnings: Vec::new(),
    }));
    assert!(app.compose.is_none());
    assert_eq!(app.mode, Mode::Browse);
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .0
            .contains("saved #4 (commit 0123456)")
    );
    // The list reloads and selects the new entry when it arrives.
    let rows = vec![row(4, "Cache stampede", "infra", 3), row(3, "x", "y", 1)];
    app.on_msg(Msg::Page {
        generation: app.generation,
        at: PageAt::Anchor(Anchor::First),
        rows,
    });
    assert_eq!(app.list.selected_row().unwrap().id, 4);
}

#[test]
fn a_paste_is_text_at_the_cursor_never_keys() {
    let mut app = sample();
    // In the browser a paste does nothing (a q in it would have quit).
    app.on_paste("q\nn\nS");
    assert!(!app.quit);
    assert_eq!(app.mode, Mode::Browse);
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Sync)));
    // In the search line: on one line, whatever it holds.
    app.on_key(key(KeyCode::Char('/')));
    app.on_paste("disk\nquick\tq\n");
    assert_eq!(app.query.text(), "disk quick q");
    assert_eq!(app.mode, Mode::Search);
    assert!(!app.quit);
    app.on_key(key(KeyCode::Esc));
    // In the form: a one-line field gets one line, a multi-line field every line, each at
    // the cursor of the field in focus, and no other field changes.
    app.on_key(key(KeyCode::Char('n')));
    typed(&mut app, "Before ");
    app.on_paste("pasted\ttitle\nwith lines\n");
    typed(&mut app, " after");
    for _ in 0..5 {
        app.on_key(key(KeyCode::Tab));
    }
    assert_eq!(app.compose.as_ref().unwrap().field(), Field::Summary);
    let block: String = (0..300).map(|i| format!("line {i}\tcol\n")).collect();
    app.on_paste(&block);
    let d = app.compose.as_ref().unwrap().draft();
    assert_eq!(d.get(Field::Title), "Before pasted title with lines after");
    assert_eq!(d.get(Field::Domain), "");
    assert_eq!(d.get(Field::Tags), "");
    assert_eq!(d.get(Field::Summary).lines().count(), 300);
    assert!(
        d.get(Field::Summary)
            .starts_with("line 0\tcol\nline 1\tcol"),
        "{:?}",
        &d.get(Field::Summary)[..30]
    );
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, Request::SaveDraft(..))),
        "a paste is written to the draft at once"
    );
    // Escape sequences in a paste are stripped, as everywhere on input.
    app.on_key(key(KeyCode::BackTab));
    app.on_paste("\u{1b}]0;title\u{7}x\u{1b}[2Jy");
    assert_eq!(app.compose.as_ref().unwrap().draft().get(Field::Type), "xy");
}

#[test]
fn the_form_cannot_change_while_its_text_is_being_saved() {
    let mut app = form_with("Being saved", "infra");
    app.on_key(ctrl('s'));
    app.on_key(key(KeyCode::Char('n')));
    assert_eq!(app.mode, Mode::Compose);
    typed(&mut app, "lost?");
    app.on_paste("lost too?");
    assert_eq!(
        app.compose.as_ref().unwrap().draft().get(Field::Domain),
        "infra"
    );
    assert!(app.notice.as_ref().unwrap().0.starts_with("saving"));
}

#[test]
fn the_form_records_any_of_the_five_types() {
    let mut app = form_with("Retry budget held", "infra");
    // Title, Domain, Severity, Tags, then Type.
    for _ in 0..3 {
        app.on_key(key(KeyCode::Tab));
    }
    let form = app.compose.as_ref().unwrap();
    assert_eq!(form.field(), Field::Type);
    // A type that is not one of the five is refused inline, naming them.
    typed(&mut app, "win");
    let form = app.compose.as_ref().unwrap();
    let error = form.errors[Field::Type as usize]
        .clone()
        .unwrap_or_default();
    assert!(error.contains("success"), "{error:?}");
    app.on_key(ctrl('s'));
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Save(_))));
    for _ in 0..3 {
        app.on_key(key(KeyCode::Backspace));
    }
    // The five complete like domains do.
    typed(&mut app, "su");
    assert_eq!(
        app.compose.as_ref().unwrap().completion.as_deref(),
        Some("ccess")
    );
    let screen = render(&mut app, 100, 40);
    assert!(screen.contains("→ success"), "{screen}");
    app.on_key(key(KeyCode::Right));
    app.on_key(ctrl('s'));
    let learning = app.effects.iter().find_map(|e| match e {
        Effect::Save(l) => Some(l.clone()),
        _ => None,
    });
    assert_eq!(learning.unwrap().kind, lore::learning::Kind::Success);
}

#[test]
fn domain_completes_from_existing_domains() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('n')));
    // Opening the form asks for the domains present; they arrive while the user types.
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, Request::Domains))
    );
    app.on_msg(Msg::Domains(vec![
        ("infrastructure".into(), 3),
        ("testing".into(), 1),
    ]));
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "inf");
    assert_eq!(
        app.compose.as_ref().unwrap().completion.as_deref(),
        Some("rastructure")
    );
    app.on_key(key(KeyCode::Right));
    assert_eq!(
        app.compose.as_ref().unwrap().draft().get(Field::Domain),
        "infrastructure"
    );
}

#[test]
fn the_draft_reaches_disk_at_once_at_a_line_end_a_field_change_and_a_paste() {
    let saved = |app: &mut App| {
        requests(app)
            .into_iter()
            .filter_map(|r| match r {
                Request::SaveDraft(_, d) => Some(*d),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let mut app = sample();
    app.on_key(key(KeyCode::Char('n')));
    let _ = requests(&mut app);
    typed(&mut app, "Typed");
    assert!(saved(&mut app).is_empty(), "within the debounce: not yet");
    // Moving to another field writes it.
    app.on_key(key(KeyCode::Tab));
    let d = saved(&mut app);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].get(Field::Title), "Typed");
    // So does the end of a line in a field of many lines.
    while app.compose.as_ref().unwrap().field() != Field::Summary {
        app.on_key(key(KeyCode::Tab));
    }
    let _ = requests(&mut app);
    typed(&mut app, "first line");
    assert!(saved(&mut app).is_empty());
    app.on_key(key(KeyCode::Enter));
    let d = saved(&mut app);
    assert_eq!(d.len(), 1);
    assert!(d[0].get(Field::Summary).starts_with("first line"));
    // And a paste.
    app.on_paste("pasted words");
    let d = saved(&mut app);
    assert_eq!(d.len(), 1);
    assert!(d[0].get(Field::Summary).contains("pasted words"));
}

/// The form's fields take the search line's editing keys with the same meanings: `Ctrl-U`
/// deletes to the start of the line (ratatui-textarea's own table makes it undo), `Ctrl-Z`
/// undoes, and `Ctrl-C` never copies (it asks before quitting over typed text).
#[test]
fn the_forms_editing_keys_mean_what_they_mean_in_the_search_line() {
    let mut app = form_with("Cache stampede after deploy", "infra");
    let field = |app: &App, f: Field| app.compose.as_ref().unwrap().draft().get(f).to_string();
    app.on_key(ctrl('u'));
    assert_eq!(field(&app, Field::Domain), "");
    app.on_key(ctrl('y'));
    assert_eq!(field(&app, Field::Domain), "infra");
    app.on_key(ctrl('w'));
    assert_eq!(field(&app, Field::Domain), "");
    app.on_key(ctrl('z'));
    assert_eq!(field(&app, Field::Domain), "infra", "Ctrl-Z undoes");
    app.on_key(key(KeyCode::BackTab));
    app.on_key(ctrl('a'));
    typed(&mut app, "Big ");
    app.on_key(ctrl('e'));
    app.on_key(ctrl('w'));
    assert_eq!(field(&app, Field::Title), "Big Cache stampede after ");
    app.on_key(ctrl('c'));
    assert_ne!(app.mode, Mode::Compose, "Ctrl-C asks, it does not copy");
    assert!(!app.quit, "typed text is not dropped without asking");
}

/// `y` offers the path, the title and the body, and copies the one chosen, cleaned of
/// anything a terminal would interpret.
#[test]
fn y_copies_the_path_the_title_or_the_body() {
    let mut app = sample();
    let copied = |app: &mut App| -> Option<(&'static str, String)> {
        app.effects.iter().find_map(|e| match e {
            Effect::Copy { what, text } => Some((*what, text.clone())),
            _ => None,
        })
    };
    app.on_key(key(KeyCode::Char('y')));
    assert_eq!(app.mode, Mode::Copy);
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("copy to the clipboard"), "{screen}");
    app.on_key(key(KeyCode::Char('t')));
    assert_eq!(app.mode, Mode::Browse);
    assert_eq!(
        copied(&mut app),
        Some(("the title", "Disk full on the build host".to_string()))
    );
    app.effects.clear();
    app.on_key(key(KeyCode::Char('y')));
    app.on_key(key(KeyCode::Char('p')));
    assert_eq!(
        copied(&mut app).unwrap().1,
        "/home/ada/.local/share/lore/memory/failures/20261127_row-3.md"
    );
    app.effects.clear();
    app.on_key(key(KeyCode::Char('y')));
    app.on_key(key(KeyCode::Char('b')));
    assert_eq!(copied(&mut app).unwrap().1, BODY);
    // Any other key closes the menu without copying.
    app.effects.clear();
    app.on_key(key(KeyCode::Char('y')));
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Browse);
    assert!(copied(&mut app).is_none());
    // A hostile title goes out without its escape sequence.
    let mut hostile = loaded(vec![row(7, "ok\u{1b}]52;c;ZXZpbA==\u{7} title", "x", 1)]);
    hostile.on_key(key(KeyCode::Char('y')));
    hostile.on_key(key(KeyCode::Char('t')));
    assert_eq!(copied(&mut hostile).unwrap().1, "ok title");
}
