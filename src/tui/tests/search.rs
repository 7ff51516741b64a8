//! The search line as a line editor, and the words it looks for marked where they match.

use ratatui::style::Color;

use super::*;

/// The cells of the screen drawn with the match mark (colour on): their text, row by row.
fn marked_cells(app: &mut App, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        ui::draw(f, app);
    })
    .unwrap();
    let buf = t.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .filter(|&x| buf[(x, y)].bg == Color::Yellow)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// A search for `query` whose answer (the sample's first row and its detail) has arrived.
fn searched(query: &str) -> App {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('/')));
    typed(&mut app, query);
    let first = row(3, "Disk full on the build host", "infra", 5);
    app.on_msg(Msg::Page {
        generation: app.generation,
        at: PageAt::Offset(0),
        rows: vec![first.clone()],
    });
    app.on_msg(Msg::Detail {
        id: 3,
        row: Some(first),
        body: Some(BODY.into()),
    });
    app
}

#[test]
fn the_search_line_takes_readline_keys_and_shows_where_the_cursor_is() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('/')));
    typed(&mut app, "disk full");
    let generation = app.generation;
    app.on_key(ctrl('w'));
    assert_eq!(app.query.text(), "disk ");
    assert!(app.generation > generation, "the search runs again");
    app.on_key(ctrl('a'));
    typed(&mut app, "big ");
    assert_eq!(app.query.text(), "big disk ");
    let screen = render(&mut app, 100, 20);
    let line = screen.lines().next().unwrap();
    assert!(line.contains("/ big disk"), "{line}");
    assert!(
        !line.contains('█'),
        "the cursor is on a character, not at the end: {line}"
    );
    // Moving the cursor does not search again; deleting does.
    let generation = app.generation;
    app.on_key(key(KeyCode::End));
    app.on_key(key(KeyCode::Left));
    assert_eq!(app.generation, generation);
    app.on_key(ctrl('u'));
    assert_eq!(app.query.text(), " ");
    app.on_key(ctrl('y'));
    assert_eq!(app.query.text(), "big disk ");
    assert!(app.generation > generation);
    app.on_key(key(KeyCode::End));
    let line = render(&mut app, 100, 20)
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(
        line.contains("/ big disk █"),
        "at the end the cursor is a block: {line}"
    );
}

#[test]
fn the_words_searched_for_are_marked_in_the_list_and_the_learning() {
    let mut app = searched("dis prun");
    let cells = marked_cells(&mut app, 140, 30);
    // The list's title, the detail's heading, and the body's summary.
    assert!(cells.iter().any(|r| r.starts_with("Dis")), "{cells:?}");
    assert!(cells.iter().any(|r| r.contains("prun")), "{cells:?}");
    assert!(
        !cells.iter().any(|r| r.contains("full")),
        "only the words searched for: {cells:?}"
    );
    // Without colour the marks are there, bold and underlined, not reversed.
    app.color = false;
    let mut t = Terminal::new(TestBackend::new(140, 30)).unwrap();
    t.draw(|f| {
        ui::draw(f, &app);
    })
    .unwrap();
    let buf = t.backend().buffer();
    let underlined = (0..30)
        .flat_map(|y| (0..140).map(move |x| (x, y)))
        .filter(|&p| {
            buf[p]
                .modifier
                .contains(ratatui::style::Modifier::UNDERLINED)
        })
        .count();
    assert!(underlined >= "Disprun".len(), "{underlined}");
    // Out of the search, nothing is marked.
    app.color = true;
    app.on_key(key(KeyCode::Esc));
    assert!(marked_cells(&mut app, 140, 30).is_empty());
}

#[test]
fn where_f_types_an_f_the_empty_result_does_not_say_f_changes_the_filter() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('/')));
    typed(&mut app, "zzz");
    app.on_msg(Msg::Page {
        generation: app.generation,
        at: PageAt::Offset(0),
        rows: Vec::new(),
    });
    let screen = render(&mut app, 100, 20);
    assert!(
        screen.contains("Enter, then f, changes the filter"),
        "{screen}"
    );
    app.on_key(key(KeyCode::Enter));
    let screen = render(&mut app, 100, 20);
    assert!(screen.contains("search; f changes the filter"), "{screen}");
}

#[test]
fn a_search_wider_than_its_line_shows_its_typing_end_and_the_limit_is_said() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('/')));
    let long: String = (0..40).map(|i| format!("w{i} ")).collect();
    typed(&mut app, &long);
    let line = render(&mut app, 60, 20).lines().next().unwrap().to_string();
    assert!(line.contains('…') && line.contains("w39 █"), "{line}");
    // Typing at the limit says why nothing more goes in.
    typed(&mut app, &"x".repeat(crate::tui::app::QUERY_LIMIT));
    assert_eq!(
        app.query.text().chars().count(),
        crate::tui::app::QUERY_LIMIT
    );
    assert!(
        app.notice
            .as_ref()
            .unwrap()
            .0
            .contains("takes 200 characters")
    );
}

#[test]
fn in_the_selected_row_a_match_is_marked_in_its_letters() {
    let app = searched("dis");
    let mut t = Terminal::new(TestBackend::new(140, 30)).unwrap();
    t.draw(|f| {
        ui::draw(f, &app);
    })
    .unwrap();
    let buf = t.backend().buffer();
    let row = (0..30)
        .find(|&y| (0..140).any(|x| buf[(x, y)].symbol() == "▶"))
        .unwrap();
    let d = (0..70)
        .find(|&x| buf[(x, row)].symbol() == "D" && buf[(x + 1, row)].symbol() == "i")
        .unwrap();
    assert_eq!(
        buf[(d, row)].fg,
        Color::Yellow,
        "a match is visible on the highlight"
    );
    assert!(
        buf[(d, row)]
            .modifier
            .contains(ratatui::style::Modifier::UNDERLINED)
    );
}
