//! The browser without a terminal: keys → state (no I/O at all), and rendering to ratatui's
//! `TestBackend`, checked against reviewed snapshots (`src/tui/snapshots/`).

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lore::index::{Anchor, LockEventView, LockStats, Row};
use lore::lock::{Holder, Liveness, Status, Strategy};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{App, Effect, Mode, PAGE, SaveState};
use super::compose::Field;
use super::msg::{Msg, PageAt, Request, SaveMsg};
use super::ui;

fn row(id: i64, title: &str, domain: &str, severity: u8) -> Row {
    Row {
        id,
        kind: "failure".into(),
        title: title.into(),
        summary: Some("summary".into()),
        tags: Some("a,b".into()),
        domain: Some(domain.into()),
        severity: Some(severity),
        filepath: format!("memory/failures/20261127_row-{id}.md"),
        created_at: Some(format!("2026-11-{:02} 10:00:00", 1 + id % 27)),
        updated_at: None,
    }
}

const BODY: &str = "# Disk full on the build host\n\n**Domain**: infra\n**Severity**: 5\n**Tags**: disk\n**Date**: 2026-11-27\n\n## Summary\n\nThe cache was never pruned.\n\n## Prevention\n\n- prune weekly\n- alert at `80%`\n";

fn holder() -> Holder {
    Holder {
        pid: 4242,
        host: "build-1".into(),
        boot_id: None,
        start_time: None,
        command: "lore record --title Deploy".into(),
        since_ms: None,
        operation: "record".into(),
        nonce: "n".into(),
    }
}

fn free() -> Status {
    Status {
        state: "free",
        strategy: None,
        holder: None,
        liveness: None,
        note: None,
        path: "/s/.git/claude-lock".into(),
    }
}

/// An app that has received its first page, as after start-up.
fn loaded(rows: Vec<Row>) -> App {
    let mut app = App::new("/home/ada/.local/share/lore".into(), Vec::new(), true);
    app.effects.clear();
    let n = rows.len() as u64;
    let detail = rows.first().cloned();
    app.on_msg(Msg::Count {
        generation: app.generation,
        total: n,
    });
    app.on_msg(Msg::Page {
        generation: app.generation,
        at: PageAt::Anchor(Anchor::First),
        rows,
    });
    if let Some(r) = detail {
        app.on_msg(Msg::Detail {
            id: r.id,
            row: Some(r),
            body: Some(BODY.into()),
        });
    }
    app.on_msg(Msg::Lock(free()));
    app.effects.clear();
    app
}

fn sample() -> App {
    loaded(vec![
        row(3, "Disk full on the build host", "infra", 5),
        row(2, "Flaky integration test", "testing", 3),
        row(1, "Deploy ran twice", "ci", 4),
    ])
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut drawn = ui::Drawn::default();
    t.draw(|f| drawn = ui::draw(f, app)).unwrap();
    // As the event loop does: the state follows what the frame measured.
    app.on_drawn(&drawn);
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut x = 0;
        while x < w {
            // A wide character fills two cells; the second holds nothing of its own.
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            x += unicode_width::UnicodeWidthStr::width(sym).max(1) as u16;
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn ctrl(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(key(KeyCode::Char(c)));
    }
}

/// The sample list with the form open, a title and a domain typed, the domain focused.
fn form_with(title: &str, domain: &str) -> App {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('n')));
    typed(&mut app, title);
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, domain);
    app
}

fn requests(app: &mut App) -> Vec<Request> {
    app.effects
        .drain(..)
        .filter_map(|e| match e {
            Effect::Request(r) => Some(r),
            _ => None,
        })
        .collect()
}

// ----- state ---------------------------------------------------------------------------

#[test]
fn moving_selects_and_asks_for_the_detail() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('j')));
    assert_eq!(app.list.selected, 1);
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, Request::Detail { id: 2 }))
    );
    app.on_key(key(KeyCode::Down));
    app.on_key(key(KeyCode::Down));
    assert_eq!(app.list.selected, 2, "stops at the last row");
    app.on_key(key(KeyCode::Char('g')));
    assert_eq!(app.list.selected, 0);
    app.on_key(key(KeyCode::Char('G')));
    assert_eq!(app.list.selected, 2);
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.focus, super::app::Focus::Detail);
    app.on_key(key(KeyCode::Char('j')));
    assert_eq!(app.detail_scroll, 1);
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.focus, super::app::Focus::List);
}

#[test]
fn paging_fetches_by_key_and_keeps_a_bounded_window() {
    let first: Vec<Row> = (0..PAGE as i64)
        .map(|i| row(1_000_000 - i, "r", "d", 3))
        .collect();
    let mut app = loaded(first);
    app.list.total = 1_000_000;
    app.list.height = 30;
    app.on_key(key(KeyCode::PageDown));
    app.on_key(key(KeyCode::PageDown));
    let reqs = requests(&mut app);
    let after = reqs.iter().find_map(|r| match r {
        Request::Page {
            at: PageAt::Anchor(Anchor::After(k)),
            ..
        } => Some(k.id),
        _ => None,
    });
    assert_eq!(
        after,
        Some(1_000_000 - PAGE as i64 + 1),
        "asks for the rows after the last loaded one"
    );
    // Feed pages until the window must drop rows at the front.
    for p in 1..6 {
        let rows: Vec<Row> = (0..PAGE as i64)
            .map(|i| row(1_000_000 - p * PAGE as i64 - i, "r", "d", 3))
            .collect();
        app.on_msg(Msg::Page {
            generation: app.generation,
            at: PageAt::Anchor(Anchor::After(rows[0].key())),
            rows,
        });
        app.list.selected = app.list.rows.len() - 1;
    }
    assert!(
        app.list.rows.len() <= super::app::WINDOW,
        "window is bounded: {}",
        app.list.rows.len()
    );
    assert_eq!(
        app.list.position(),
        app.list.first_pos + app.list.selected as u64
    );
    assert!(app.list.first_pos > 0 && !app.list.at_start);
    // G jumps to the oldest rows without walking there.
    app.effects.clear();
    app.on_key(key(KeyCode::Char('G')));
    assert!(requests(&mut app).iter().any(|r| matches!(
        r,
        Request::Page {
            at: PageAt::Anchor(Anchor::Last),
            ..
        }
    )));
}

#[test]
fn page_down_held_past_the_loaded_rows_is_carried_out_when_they_arrive() {
    let rows = |from: i64| -> Vec<Row> {
        (from..from + PAGE as i64)
            .map(|i| row(1_000 - i, "r", "d", 3))
            .collect()
    };
    let mut app = loaded(rows(0));
    app.list.total = 3 * PAGE as u64;
    app.list.height = 30;
    // Twelve pages down at once, faster than the worker answers.
    for _ in 0..12 {
        app.on_key(key(KeyCode::PageDown));
    }
    // The worker answers each request for the rows after the last loaded one.
    for _ in 0..6 {
        let next = requests(&mut app).into_iter().find_map(|r| match r {
            Request::Page {
                at: PageAt::Anchor(Anchor::After(k)),
                ..
            } => Some(k.id),
            _ => None,
        });
        let Some(after) = next else { break };
        let from = 1_000 - after + 1;
        let page: Vec<Row> = rows(from)
            .into_iter()
            .filter(|r| r.id > 1_000 - 3 * PAGE as i64)
            .collect();
        app.on_msg(Msg::Page {
            generation: app.generation,
            at: PageAt::Anchor(Anchor::After(lore::index::Row::key(&row(
                after, "r", "d", 3,
            )))),
            rows: page,
        });
    }
    // 12 × 30 rows is past the end: the last row, not wherever the first page ended.
    assert_eq!(app.list.position(), 3 * PAGE as u64 - 1);
}

#[test]
fn a_change_made_elsewhere_reloads_near_the_top_and_keeps_the_selection() {
    let mut app = sample();
    app.on_key(key(KeyCode::Down));
    let selected = app.list.selected_row().unwrap().id;
    app.effects.clear();
    app.on_msg(Msg::Changed);
    let reqs = requests(&mut app);
    assert!(
        reqs.iter().any(|r| matches!(r, Request::Page { .. })),
        "{reqs:?}"
    );
    // Another process saved #4: it arrives on top, the selection stays on the same learning.
    let mut rows = vec![row(4, "Saved elsewhere", "ci", 2)];
    rows.extend(sample().list.rows);
    app.on_msg(Msg::Page {
        generation: app.generation,
        at: PageAt::Anchor(Anchor::First),
        rows,
    });
    assert_eq!(app.list.selected_row().unwrap().id, selected);
    assert!(render(&mut app, 120, 24).contains("Saved elsewhere"));
    // Deep in a long list the rows stay put; only the count is asked for again.
    app.list.first_pos = 5_000;
    app.effects.clear();
    app.on_msg(Msg::Changed);
    let reqs = requests(&mut app);
    assert!(
        !reqs.iter().any(|r| matches!(r, Request::Page { .. }))
            && reqs.iter().any(|r| matches!(r, Request::Count { .. })),
        "{reqs:?}"
    );
}

#[test]
fn typing_a_search_reloads_and_esc_clears_it() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('/')));
    assert_eq!(app.mode, Mode::Search);
    typed(&mut app, "disk");
    assert_eq!(app.query, "disk");
    let gen_before = app.generation;
    let reqs = requests(&mut app);
    assert!(reqs.iter().any(|r| matches!(
        r,
        Request::Page {
            at: PageAt::Offset(0),
            ..
        }
    )));
    // An answer for an older query is ignored.
    app.on_msg(Msg::Page {
        generation: gen_before - 1,
        at: PageAt::Offset(0),
        rows: vec![row(9, "stale", "x", 1)],
    });
    assert!(app.list.rows.is_empty());
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Browse);
    assert!(app.query.is_empty());
}

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
    assert_eq!(app.query, "disk quick q");
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
    assert!(app.draft_dirty.is_some(), "the draft is written soon after");
    // Escape sequences in a paste are stripped, as everywhere on input.
    app.on_key(key(KeyCode::BackTab));
    app.on_paste("\u{1b}]0;title\u{7}x\u{1b}[2Jy");
    assert_eq!(app.compose.as_ref().unwrap().draft().get(Field::Type), "xy");
}

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
fn filters_come_from_the_picker() {
    let mut app = sample();
    app.on_msg(Msg::Domains(vec![("infra".into(), 2)]));
    app.on_key(key(KeyCode::Char('f')));
    assert_eq!(app.mode, Mode::Filter);
    let n = app.filter_entries().len();
    for _ in 0..n {
        app.on_key(key(KeyCode::Down));
    }
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.filter.domain.as_deref(), Some("infra"));
    assert_eq!(app.mode, Mode::Browse);
}

#[test]
fn the_mouse_wheel_scrolls_and_a_click_selects() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let rows: Vec<Row> = (0..20).map(|i| row(100 - i, "r", "d", 3)).collect();
    let mut app = loaded(rows);
    let mouse = |kind, row| MouseEvent {
        kind,
        column: 5,
        row,
        modifiers: KeyModifiers::NONE,
    };
    app.on_mouse(mouse(MouseEventKind::ScrollDown, 5), 3, 20);
    assert_eq!(app.list.selected, 3);
    app.on_mouse(mouse(MouseEventKind::ScrollUp, 5), 3, 20);
    assert_eq!(app.list.selected, 0);
    // Row 3 is the first list row on screen; a click on row 10 selects the eighth.
    app.on_mouse(mouse(MouseEventKind::Down(MouseButton::Left), 10), 3, 20);
    assert_eq!(app.list.selected, 7);
    assert_eq!(app.list.selected_row().unwrap().id, 93);
    // Clicks outside the list change nothing.
    app.on_mouse(mouse(MouseEventKind::Down(MouseButton::Left), 30), 3, 20);
    assert_eq!(app.list.selected, 7);
}

#[test]
fn capital_s_syncs_and_a_finished_sync_reloads() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('S')));
    assert!(app.effects.iter().any(|e| matches!(e, Effect::Sync)));
    app.effects.clear();
    app.on_msg(Msg::Notice("sync: fetching…".into()));
    assert_eq!(app.notice.as_ref().unwrap().0, "sync: fetching…");
    let generation = app.generation;
    app.on_msg(Msg::Synced);
    assert!(app.generation > generation, "the list reloads");
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
    app.keys = super::keymap::Keymap::from_config(&config);
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

// ----- rendering -----------------------------------------------------------------------

#[test]
fn snapshot_list_and_detail() {
    let mut app = sample();
    insta::assert_snapshot!(render(&mut app, 120, 24));
}

#[test]
fn snapshot_at_80_by_24_without_colour_and_with_wide_characters() {
    let mut app = loaded(vec![
        row(3, "测试失败 CJK title", "unicode", 5),
        row(2, "Emoji 🔥 in the title", "unicode", 3),
        row(1, "Plain ASCII title", "ascii", 1),
    ]);
    app.color = false;
    let screen = render(&mut app, 80, 24);
    // Columns stay aligned: the TITLE column starts at the same screen column on every row.
    let col = |needle: &str| {
        let line = screen.lines().find(|l| l.contains(needle)).unwrap();
        unicode_width::UnicodeWidthStr::width(&line[..line.find(needle).unwrap()])
    };
    assert_eq!(col("测试失败"), col("Plain ASCII"));
    assert_eq!(col("Emoji"), col("Plain ASCII"));
    insta::assert_snapshot!(screen);
}

#[test]
fn a_narrow_list_drops_type_and_domain_before_squeezing_the_date() {
    let mut app = sample();
    // 40 columns: the list takes the whole width, too little for six columns.
    let screen = render(&mut app, 40, 14);
    let header = screen.lines().find(|l| l.contains("TITLE")).unwrap();
    assert!(header.contains("DATE"), "{screen}");
    assert!(
        !header.contains("TYPE") && !header.contains("DOMAIN"),
        "{screen}"
    );
    // Whole dates and the start of each title.
    let line = screen.lines().find(|l| l.contains("Disk full")).unwrap();
    assert!(line.contains("11-04"), "{screen}");
    // With a little more room every column is back.
    let screen = render(&mut app, 100, 14);
    let header = screen.lines().find(|l| l.contains("TITLE")).unwrap();
    assert!(
        header.contains("TYPE") && header.contains("DOMAIN"),
        "{screen}"
    );
}

#[test]
fn cut_titles_and_domains_end_in_an_ellipsis_at_the_column_edge() {
    let long = "Cache stampede after the deploy emptied every regional replica at once";
    let wide = "测试失败测试失败测试失败测试失败测试失败测试失败测试失败测试失败";
    let mut app = loaded(vec![
        row(2, long, "infrastructure-operations", 5),
        row(1, wide, "ci", 3),
    ]);
    for w in [40u16, 60, 80, 120] {
        let screen = render(&mut app, w, 14);
        for (start, title) in [("Cache", long), ("测试", wide)] {
            // The list's row (not the detail pane's border, which shows the title too).
            let line = screen
                .lines()
                .find(|l| l.contains(start) && !l.contains('┌'))
                .unwrap_or_else(|| panic!("{w} columns: no {start}\n{screen}"));
            let from = line.find(start).unwrap();
            let shown = line[from..].split('…').next().unwrap();
            assert!(
                line[from..].contains('…') && title.starts_with(shown),
                "{w} columns: {line:?}\n{screen}"
            );
            // The ellipsis is the last thing before the list's right border.
            let after = line[from..].split_once('…').unwrap().1;
            assert!(after.trim_start().starts_with('│'), "{w}: {line:?}");
        }
        if w >= 48 {
            // The domain column: 10 cells in a list narrower than 70 columns, else 14.
            assert!(
                screen.contains("infrastru… ") || screen.contains("infrastructur… "),
                "{w} columns:\n{screen}"
            );
        }
    }
    // The detail pane's title too.
    let screen = render(&mut app, 60, 14);
    assert!(
        screen.contains("┌ Cache stampede after the deploy emptied every regional … ┐"),
        "{screen}"
    );
    // What fits is left whole.
    let screen = render(&mut sample(), 120, 14);
    assert!(screen.contains("Disk full on the build host") && !screen.contains('…'));
}

#[test]
fn the_form_shows_every_one_line_field_and_the_focused_one_on_a_small_terminal() {
    let mut app = form_with("Short title", "infra");
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "high");
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "cache,disk");
    // Focus on "Root cause", further down, with text in it.
    for _ in 0..3 {
        app.on_key(key(KeyCode::Tab));
    }
    typed(&mut app, "Nobody pruned it");
    for (w, h) in [(80, 24), (100, 30), (60, 20)] {
        let screen = render(&mut app, w, h);
        // Where the cursor is, always; every one-line field's text from 24 rows up.
        let texts: &[&str] = if h >= 24 {
            &[
                "Short title",
                "infra",
                "high",
                "cache,disk",
                "Nobody pruned it",
            ]
        } else {
            &["Nobody pruned it"]
        };
        for text in texts {
            assert!(screen.contains(text), "{w}x{h}: {text} hidden\n{screen}");
        }
        // And every field's name, to move to it.
        for label in [
            "Title",
            "Domain",
            "Severity",
            "Tags",
            "Summary",
            "Prevention",
        ] {
            assert!(screen.contains(label), "{w}x{h}: {label} hidden\n{screen}");
        }
    }
}

#[test]
fn the_detail_pane_scrolls_to_its_end_and_no_further() {
    let mut app = sample();
    let row = app.list.selected_row().unwrap().clone();
    let body: String = (1..=80).map(|i| format!("Body line {i}\n\n")).collect();
    app.on_msg(Msg::Detail {
        id: row.id,
        row: Some(row),
        body: Some(body),
    });
    app.on_key(key(KeyCode::Enter));
    let screen = render(&mut app, 100, 24);
    assert!(screen.contains("Body line 1") && !screen.contains("Body line 80"));
    // G: the end, with the last line at the bottom.
    app.on_key(key(KeyCode::Char('G')));
    let screen = render(&mut app, 100, 24);
    assert!(screen.contains("Body line 80"), "{screen}");
    // Past the end nothing moves; one step back shows the line before the last at once.
    for _ in 0..30 {
        app.on_key(key(KeyCode::Char('j')));
    }
    let at_end = render(&mut app, 100, 24);
    assert!(at_end.contains("Body line 80"), "{at_end}");
    app.on_key(key(KeyCode::Char('k')));
    app.on_key(key(KeyCode::Char('k')));
    let screen = render(&mut app, 100, 24);
    assert!(
        !screen.contains("Body line 80") && screen.contains("Body line 79"),
        "{screen}"
    );
    // Space pages down, g goes back to the top.
    app.on_key(key(KeyCode::Char('g')));
    let top = render(&mut app, 100, 24);
    app.on_key(key(KeyCode::Char(' ')));
    assert_ne!(render(&mut app, 100, 24), top);
}

#[test]
fn snapshot_form_with_validation_errors() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('n')));
    typed(&mut app, &"x".repeat(501));
    app.on_key(key(KeyCode::Tab));
    app.on_key(key(KeyCode::Tab));
    typed(&mut app, "9");
    let screen = render(&mut app, 100, 40);
    assert!(
        screen.contains("is 501 characters long; the limit is 500"),
        "{screen}"
    );
    assert!(screen.contains("`9` is not a severity"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn snapshot_waiting_for_the_lock() {
    let mut app = sample();
    app.on_msg(Msg::Lock(Status {
        state: "held",
        strategy: Some(Strategy::Flock),
        holder: Some(holder()),
        liveness: Some(Liveness::Alive),
        note: None,
        path: "/s/.git/claude-lock".into(),
    }));
    app.on_msg(Msg::Save(SaveMsg::Waiting {
        holder: Some(holder()),
        waited: Duration::from_secs(12),
        timeout: Duration::from_secs(30),
    }));
    let screen = render(&mut app, 120, 24);
    assert!(
        screen.contains("waited 12 s of 30 s for the lock, held by pid 4242"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn snapshot_timed_out() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('n')));
    typed(&mut app, "t");
    app.on_msg(Msg::Save(SaveMsg::TimedOut {
        holder: Some(holder()),
        waited: Duration::from_secs(30),
    }));
    let screen = render(&mut app, 120, 40);
    let flat = screen.replace('\n', " ");
    assert!(
        flat.contains("timed out after 30 s waiting for the lock held by pid 4242"),
        "{screen}"
    );
    assert!(
        flat.contains("`lore lock status`") && flat.contains("draft is kept"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn snapshot_lock_inspector() {
    let mut app = sample();
    app.on_msg(Msg::Lock(Status {
        state: "held",
        strategy: Some(Strategy::Flock),
        holder: Some(holder()),
        liveness: Some(Liveness::Alive),
        note: None,
        path: "/s/.git/claude-lock".into(),
    }));
    app.on_key(key(KeyCode::Char('L')));
    let ev = |i: i64, waited: i64, held: Option<i64>, outcome: &str| LockEventView {
        at: format!("2026-11-2{} 12:00:{:02}", i % 3 + 5, i % 60),
        pid: 1000 + i,
        host: "build-1".into(),
        operation: "record".into(),
        waited_ms: waited,
        held_ms: held,
        outcome: outcome.into(),
    };
    app.on_msg(Msg::LockStats(LockStats {
        recent: (0..40)
            .map(|i| ev(i, (i * 37) % 400, Some(5 + i % 7), "ok"))
            .collect(),
        timeouts_per_day: vec![("2026-11-27".into(), 3), ("2026-11-26".into(), 1)],
        longest_holds: vec![ev(1, 0, Some(2300), "ok"), ev(2, 10, Some(800), "ok")],
    }));
    // On a narrow terminal the columns cut the ends of lines, never digits of a duration (an
    // 8000 ms hold read "800").
    let narrow = render(&mut app, 80, 30);
    assert!(
        narrow.contains("2.3 s") && narrow.contains("800 ms"),
        "{narrow}"
    );
    let screen = render(&mut app, 120, 35);
    assert!(
        screen.contains("lock inspector") && screen.contains("timeouts per day"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn snapshot_help() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('?')));
    let screen = render(&mut app, 100, 30);
    for (k, _) in app.keys.help() {
        assert!(screen.contains(&k), "help lacks {k}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn hostile_text_from_the_store_never_reaches_the_terminal() {
    let evil = [
        "osc \u{1b}]0;pwned\u{7} title",
        "clipboard \u{1b}]52;c;ZXZpbA==\u{7}",
        "clear \u{1b}[2J\u{1b}[H",
        "bell \u{7} cr \r nul \u{0}",
        "c1 \u{9b}31m \u{9d}0;x\u{9c}",
        "bidi \u{202e}desrever\u{202c} \u{2066}iso\u{2069}",
        "zero\u{200b}width 测试 🔥 שלום",
    ];
    let rows: Vec<Row> = evil
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut r = row(10 - i as i64, t, t, 3);
            r.tags = Some((*t).into());
            r
        })
        .collect();
    let mut app = loaded(rows);
    let body = evil.join("\n# ");
    app.on_msg(Msg::Detail {
        id: 10,
        row: app.list.rows.first().cloned(),
        body: Some(format!("# {body}\n```\n{body}\n```")),
    });
    app.on_msg(Msg::Lock(Status {
        state: "held",
        strategy: Some(Strategy::Flock),
        holder: Some(Holder {
            command: evil[0].into(),
            host: evil[5].into(),
            ..holder()
        }),
        liveness: Some(Liveness::Alive),
        note: None,
        path: "/s".into(),
    }));
    for mode in [None, Some('L'), Some('f')] {
        if let Some(k) = mode {
            app.on_key(key(KeyCode::Char(k)));
        }
        let screen = render(&mut app, 120, 40);
        assert!(
            lore::sanitize::is_clean(&screen),
            "a control character was drawn: {screen}"
        );
        if mode.is_none() {
            // Escaped visibly, not silently dropped (ratatui alone would drop the ESC and
            // draw the rest of the sequence as if it were text).
            assert!(screen.contains("osc \\e]0;pwned\\x07"), "{screen}");
        }
        app.on_key(key(KeyCode::Esc));
    }
}

#[test]
fn edit_with_nothing_selected_says_what_to_do() {
    let mut app = loaded(Vec::new());
    app.on_key(key(KeyCode::Char('e')));
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Edit { .. })));
    let notice = &app.notice.as_ref().unwrap().0;
    assert!(notice.contains("press n"), "{notice}");
}

#[test]
fn snapshot_empty_store() {
    let mut app = loaded(vec![]);
    insta::assert_snapshot!(render(&mut app, 100, 20));
}
