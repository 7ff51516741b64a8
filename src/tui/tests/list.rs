//! The list: moving, paging through a bounded window, changes made elsewhere, search, filters, the mouse.

use super::*;

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
    assert_eq!(app.focus, crate::tui::app::Focus::Detail);
    app.on_key(key(KeyCode::Char('j')));
    assert_eq!(app.detail_scroll, 1);
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.focus, crate::tui::app::Focus::List);
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
        app.list.rows.len() <= crate::tui::app::WINDOW,
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
    assert_eq!(app.query.text(), "disk");
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
fn filters_come_from_the_picker_and_combine() {
    let mut app = sample();
    app.on_msg(Msg::Domains(vec![
        ("infra".into(), 2),
        ("ci".into(), 1),
        ("docs".into(), 4),
    ]));
    app.on_key(key(KeyCode::Char('f')));
    assert_eq!(app.mode, Mode::Filter);
    // Typing narrows the rows (here to one domain); Enter applies it and closes.
    typed(&mut app, "infr");
    let rows: Vec<String> = app.filter_entries().into_iter().map(|(l, _)| l).collect();
    assert_eq!(rows, ["domain: infra (2)"]);
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.filter.domain.as_deref(), Some("infra"));
    assert_eq!(app.mode, Mode::Browse);
    // Reopened, it is on the active row (once the domains, asked for again, arrive); Tab adds
    // a severity and stays open.
    app.domains.clear();
    app.on_key(key(KeyCode::Char('f')));
    assert_eq!(app.filter_cursor, 0, "the domains are not there yet");
    app.on_msg(Msg::Domains(vec![
        ("infra".into(), 2),
        ("ci".into(), 1),
        ("docs".into(), 4),
    ]));
    let entries = app.filter_entries();
    assert_eq!(entries[app.filter_cursor].0, "domain: infra (2)");
    typed(&mut app, "severity: 5");
    let generation = app.generation;
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.mode, Mode::Filter);
    assert!(app.generation > generation, "the list follows at once");
    assert_eq!(
        (app.filter.domain.as_deref(), app.filter.severity),
        (Some("infra"), Some(5)),
        "filters combine"
    );
    let screen = render(&mut app, 100, 30);
    assert!(screen.contains("✓ severity: 5"), "{screen}");
    // An active row taken again is taken off; the rest stays.
    app.on_key(key(KeyCode::Tab));
    assert_eq!(app.filter.severity, None);
    assert_eq!(app.filter.domain.as_deref(), Some("infra"));
    // The letters of the picker's line are text: q and f type, they do not close it.
    app.on_key(ctrl('u'));
    typed(&mut app, "type: f");
    assert_eq!(app.mode, Mode::Filter);
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.filter.kind.as_deref(), Some("failure"));
    let screen = render(&mut app, 120, 30);
    assert!(
        screen.contains("filter: type=failure domain=infra"),
        "{screen}"
    );
    // "no filter" clears them all.
    app.on_key(key(KeyCode::Char('f')));
    typed(&mut app, "no filter");
    app.on_key(key(KeyCode::Enter));
    assert_eq!(app.filter, lore::index::Filter::default());
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
fn edit_with_nothing_selected_says_what_to_do() {
    let mut app = loaded(Vec::new());
    app.on_key(key(KeyCode::Char('e')));
    assert!(!app.effects.iter().any(|e| matches!(e, Effect::Edit { .. })));
    let notice = &app.notice.as_ref().unwrap().0;
    assert!(notice.contains("press n"), "{notice}");
}

#[test]
fn o_turns_the_lists_order_round_and_the_title_says_which() {
    let mut app = sample();
    assert!(render(&mut app, 120, 20).contains("learnings, newest first"));
    app.effects.clear();
    app.on_key(key(KeyCode::Char('o')));
    assert_eq!(app.sort, lore::index::Sort::Severity);
    assert!(
        requests(&mut app).iter().any(|r| matches!(
            r,
            Request::Page {
                source: crate::tui::msg::Source::Browse(_, lore::index::Sort::Severity),
                ..
            }
        )),
        "the page is read in the new order"
    );
    assert!(render(&mut app, 120, 20).contains("most severe first, then newest"));
    app.on_key(key(KeyCode::Char('o')));
    assert!(render(&mut app, 120, 20).contains("learnings, by domain, then newest"));
    app.on_key(key(KeyCode::Char('o')));
    assert_eq!(app.sort, lore::index::Sort::Newest);
    // Search results keep their own order and the user is told how to sort instead.
    app.on_key(key(KeyCode::Char('/')));
    typed(&mut app, "disk");
    app.on_key(key(KeyCode::Enter));
    app.on_key(key(KeyCode::Char('o')));
    assert_eq!(app.sort, lore::index::Sort::Newest);
    assert!(app.notice.as_ref().unwrap().0.contains("best match first"));
}

/// A learning asked to be selected (the one selected when others arrived) that is not in the
/// first page read is given up: it must not pull the selection to itself later, when a page
/// deeper down holds it, skipping every row between.
#[test]
fn a_selection_asked_for_is_given_up_when_the_first_page_lacks_it() {
    let mut app = sample();
    app.select_id = Some(7);
    app.reload();
    let page = |from: i64| -> Vec<Row> {
        (0..PAGE as i64)
            .map(|i| row(from - i, "r", "d", 3))
            .collect()
    };
    app.on_msg(Msg::Page {
        generation: app.generation,
        at: PageAt::Anchor(Anchor::First),
        rows: page(1000),
    });
    assert_eq!(app.list.selected, 0);
    assert_eq!(app.select_id, None);
    // The next page holds #7: the selection stays where the user moved it.
    app.move_by(95);
    let before = app.list.selected_row().map(|r| r.id);
    app.on_msg(Msg::Page {
        generation: app.generation,
        at: PageAt::Anchor(Anchor::After(app.list.rows.last().unwrap().key())),
        rows: (0..PAGE as i64)
            .map(|i| row(100 - i, "r", "d", 3))
            .collect(),
    });
    assert_eq!(app.list.selected_row().map(|r| r.id), before);
}
