//! The browser without a terminal: keys → state (no I/O at all), and rendering to ratatui's
//! `TestBackend`, checked against reviewed snapshots (`snapshots/` here).

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lore::index::{Anchor, LockEventView, LockStats, Row};
use lore::lock::{Holder, Liveness, Status, Strategy};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::form::Field;
use super::msg::{Msg, PageAt, Request, SaveMsg};
use super::ui;
use crate::tui::app::{App, Effect, Mode, PAGE, SaveState};

mod compose;
mod drafts;
mod list;
mod quitting;
mod search;
mod small;
mod view;

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
        lead: None,
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
    // The sample's rows are of 2026: the year the snapshots were reviewed in.
    app.this_year = "2026".into();
    app.tz = jiff::tz::TimeZone::UTC;
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
    let mut drawn = crate::tui::app::Drawn::default();
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
    // The chart spans the box, with its scale and its time axis; the box spans the screen.
    let top = screen.lines().find(|l| l.contains("384 ms│")).unwrap();
    assert_eq!(unicode_width::UnicodeWidthStr::width(top), 120, "{screen}");
    assert!(screen.contains("0│") && screen.contains("← oldest") && screen.contains("newest →"));
    assert!(
        screen
            .lines()
            .next()
            .unwrap()
            .starts_with("┌ lock inspector"),
        "{screen}"
    );
    // Acquisitions by when they were asked for, in the browser's time zone.
    assert!(
        screen.contains("asked at") && screen.contains("11-26 12:00:01"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn snapshot_help() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('?')));
    // Wide enough for two columns: every key at once.
    let screen = render(&mut app, 160, 40);
    for (k, _) in app.keys.help() {
        assert!(screen.contains(&k), "help lacks {k}");
    }
    insta::assert_snapshot!(screen);
}

/// At 80×24 the help scrolls, says how far down it is, and reaches its last row.
#[test]
fn the_help_scrolls_on_a_small_screen_to_its_last_row() {
    let mut app = sample();
    app.on_key(key(KeyCode::Char('?')));
    let top = render(&mut app, 80, 24);
    assert!(top.contains("j/k scroll (1–22 of"), "{top}");
    assert!(
        top.contains("Moving about") && !top.contains("never taken as keys"),
        "{top}"
    );
    app.on_key(key(KeyCode::End));
    let end = render(&mut app, 80, 24);
    assert!(end.contains("never taken as keys"), "{end}");
    assert!(!end.contains("Moving about"), "{end}");
    assert_eq!(app.mode, Mode::Help, "scrolling keys do not close it");
    app.on_key(key(KeyCode::Esc));
    assert_eq!(app.mode, Mode::Browse);
}

#[test]
fn snapshot_empty_store() {
    let mut app = loaded(vec![]);
    insta::assert_snapshot!(render(&mut app, 100, 20));
}
