//! Small screens (issue 18, point 5): what must stay in view, and what must say it is not.

use super::*;
use crate::tui::screens::compose::form_heights;

#[test]
fn at_80_by_24_the_status_line_ends_with_help_and_quit() {
    for (w, h) in [(80, 24), (60, 20), (100, 30)] {
        let mut app = sample();
        let screen = render(&mut app, w, h);
        let status = screen.lines().last().unwrap();
        assert!(status.ends_with("? help · q quit"), "{w}x{h}: {status:?}");
        assert!(status.contains("1/3 · lock: free"), "{w}x{h}: {status:?}");
    }
    // With room, every key and the store's path, its end kept where it is cut.
    let mut app = sample();
    let wide = render(&mut app, 160, 30);
    let status = wide.lines().last().unwrap();
    assert!(
        status.contains("/home/ada/.local/share/lore · "),
        "{status}"
    );
    assert!(
        status.contains("S sync · y copy · o sort · L lock · ? help"),
        "{status}"
    );
    let narrow = render(&mut app, 100, 30);
    assert!(narrow.lines().last().unwrap().contains("…"), "{narrow}");
    assert!(narrow.lines().last().unwrap().contains("share/lore · "));
}

#[test]
fn a_long_message_wraps_instead_of_being_cut() {
    let mut app = sample();
    let advice = "could not push to `origin`: the remote has work this store does not have; \
                  `lore sync` again integrates it first, or `git -C /home/ada/.local/share/lore pull` by hand";
    app.notify(advice);
    let screen = render(&mut app, 80, 24);
    let flat: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("integrates it first, or `git -C"), "{screen}");
    assert!(
        flat.contains("pull` by hand"),
        "the end of it too: {screen}"
    );
    // The list above still has its rows.
    assert!(screen.contains("Deploy ran twice"), "{screen}");
}

#[test]
fn a_save_waiting_on_a_long_command_shows_the_whole_command() {
    let mut app = sample();
    let mut h = holder();
    h.command = "lore record --title 'A deploy that took the whole night' --domain /srv/deploy/releases/2026-12-03/current".into();
    app.on_msg(Msg::Save(SaveMsg::Waiting {
        holder: Some(h),
        waited: Duration::from_secs(3),
        timeout: Duration::from_secs(30),
    }));
    let screen = render(&mut app, 100, 30);
    let flat: String = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("2026-12-03/current)"), "{screen}");
}

#[test]
fn the_form_uses_every_row_and_names_the_fields_it_has_no_room_for() {
    // 120×35: the form's 32 rows all go to fields; the summary gets two lines of text.
    for focus in 0..Field::in_form().len() {
        let heights = form_heights(32, focus);
        assert_eq!(
            heights.iter().sum::<u16>(),
            32,
            "focus {focus}: {heights:?}"
        );
        let summary = Field::in_form()
            .iter()
            .position(|f| *f == Field::Summary)
            .unwrap();
        assert!(heights[summary] >= 4, "focus {focus}: {heights:?}");
    }
    // 40×12: not every field has a row, and the form says which are missing.
    let mut app = form_with("Short title", "infra");
    let screen = render(&mut app, 40, 12);
    assert!(
        screen.contains("more fields — Tab reaches them"),
        "{screen}"
    );
    let screen = render(&mut app, 100, 12);
    assert!(
        screen.contains("not shown: Root cause, Impact, Prevention — Tab reaches them"),
        "{screen}"
    );
    let screen = render(&mut app, 100, 40);
    assert!(!screen.contains("not shown"), "{screen}");
}

#[test]
fn short_dates_keep_the_year_of_an_older_learning() {
    let mut older = row(1, "Deploy ran twice", "ci", 4);
    older.created_at = Some("2024-06-30 10:00:00".into());
    let mut app = loaded(vec![
        row(3, "Disk full on the build host", "infra", 5),
        older,
    ]);
    let screen = render(&mut app, 120, 20);
    let line = |title: &str| {
        screen
            .lines()
            .find(|l| l.starts_with('│') && l.contains(title))
            .unwrap()
            .to_string()
    };
    assert!(line("Disk full").contains(" 11-04 "), "{screen}");
    assert!(line("Deploy ran").contains(" 2024-06 "), "{screen}");
}
