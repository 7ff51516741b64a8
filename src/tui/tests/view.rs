//! What is drawn: columns that give way on narrow screens, cut text, the form on a small terminal, the detail's scrolling, hostile text.

use super::*;

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
    let panes: Vec<&str> = screen.lines().filter(|l| l.starts_with('│')).collect();
    assert!(screen.contains("Disk full on the build host"), "{screen}");
    assert!(!panes.iter().any(|l| l.contains('…')), "{screen}");
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

/// The detail pane renders CommonMark: the cases issue 18 listed, as a reader sees them.
#[test]
fn snapshot_markdown_in_the_detail_pane() {
    let body = "# Markdown rendering check\n\n**Domain**: docs\n**Severity**: 3\n\n## Summary\n\n\
                Globs like `memory/*.md`, 2 * 3 * 4, and \\*escaped\\*.\n\n## What Happened\n\n\
                1. fetched\n2. compiled **twice**\n\n```sh\nmake   test\n\tcargo build --release\n```\n\n\
                | step | took |\n| --- | ---: |\n| fetch | 2 s |\n| compile | 120 s |\n\n\
                See [the runbook](https://example.com/runbook).\n\n## Root Cause\n\n[What was the underlying issue?]\n";
    let r = row(3, "Markdown rendering check", "docs", 3);
    let mut app = loaded(vec![r.clone()]);
    app.on_msg(Msg::Detail {
        id: 3,
        row: Some(r),
        body: Some(body.into()),
    });
    let screen = render(&mut app, 120, 40);
    for shown in [
        "Globs like memory/*.md, 2 * 3 * 4, and *escaped*.",
        "1. fetched",
        "  make   test",
        "      cargo build --release",
        "compile │ 120 s",
        "See the runbook (https://example.com/runbook).",
    ] {
        assert!(screen.contains(shown), "{shown:?} in\n{screen}");
    }
    assert!(!screen.contains("```"), "{screen}");
    insta::assert_snapshot!(screen);
}
