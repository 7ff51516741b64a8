//! Drawing: one function from the app's state to a frame, laying out the screens (each draws
//! itself, in `screens/`) and the helpers they share. No I/O here, and no change to the state.

use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

use super::app::{App, Mode, SaveState};
use super::screens::compose::draw_form_over;
use super::screens::confirm::draw_confirm;
use super::screens::drafts::{draft_title, draw_drafts};
use super::screens::filter::draw_filter;
use super::screens::help::draw_help;
use super::screens::inspector::draw_inspector;
use super::screens::list::{draw_main, draw_search};
use super::screens::status::{draw_save, draw_status};

/// What a frame measured, for the state to follow (see `App::on_drawn`): the view reads the
/// state and never writes it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// Screen rows of the list body (first, end), for mouse clicks.
    pub list_top: u16,
    pub list_bottom: u16,
    /// Rows of the list on screen, for paging.
    pub list_height: usize,
    /// The topmost row shown (index in the loaded rows), as the table scrolled to keep the
    /// selection in view.
    pub list_scroll: usize,
    /// The furthest the detail can scroll: its last line at the bottom.
    pub detail_last: u16,
}

pub(crate) fn fg(app: &App, c: Color) -> Style {
    if app.color {
        Style::default().fg(c)
    } else {
        Style::default()
    }
}

pub(crate) fn severity_style(app: &App, sev: Option<u8>) -> Style {
    let c = match sev {
        Some(5) => Color::Red,
        Some(4) => Color::LightRed,
        Some(3) => Color::Yellow,
        Some(2) => Color::Blue,
        _ => Color::DarkGray,
    };
    let s = fg(app, c);
    if sev == Some(5) {
        s.add_modifier(Modifier::BOLD)
    } else {
        s
    }
}

pub fn draw(f: &mut Frame, app: &App) -> Drawn {
    let area = f.area();
    let save_height = match app.save {
        SaveState::Failed(_) => 2,
        SaveState::Idle => 0,
        _ => 1,
    };
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(save_height),
            Constraint::Length(1),
        ])
        .split(area);
    draw_search(f, app, rows[0]);
    let drawn = draw_main(f, app, rows[1]);
    if save_height > 0 {
        draw_save(f, app, rows[2]);
    }
    draw_status(f, app, rows[3]);
    match app.mode {
        Mode::Help => draw_help(f, app, area),
        Mode::Inspector => draw_inspector(f, app, area),
        Mode::Compose | Mode::ConfirmClose => {
            draw_form_over(f, app, area, save_height);
            if app.mode == Mode::ConfirmClose {
                draw_confirm(
                    f,
                    area,
                    "Close the form? [Enter] keep it as a draft and close · [d] discard it (deletes the draft) · [Esc] back to the form",
                );
            }
        }
        Mode::Drafts => draw_drafts(f, app, area),
        Mode::ConfirmDeleteDraft => {
            draw_drafts(f, app, area);
            let title = app
                .chosen_draft()
                .map(|k| draft_title(&k.draft))
                .unwrap_or_default();
            draw_confirm(
                f,
                area,
                &format!(
                    "Delete the draft \"{}\"? It cannot be brought back. [y] delete · any other key keeps it",
                    display_line(&title)
                ),
            );
        }
        Mode::ConfirmQuit => {
            if app.return_mode == Mode::Compose {
                draw_form_over(f, app, area, save_height);
            }
            draw_confirm(f, area, &app.quit_question());
        }
        Mode::Filter => draw_filter(f, app, area),
        Mode::Browse | Mode::Search => {}
    }
    drawn
}

pub(crate) fn border_style(app: &App, focused: bool) -> Style {
    if focused {
        fg(app, app.accent)
    } else {
        fg(app, Color::DarkGray)
    }
}

pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `text` cut to `width` terminal cells, ending in "…" when it was cut (so a cut title does not
/// pass for a whole one).
pub(crate) fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if unicode_width::UnicodeWidthStr::width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}
