//! Drawing: one function from the app's state to a frame, laying out the screens (each draws
//! itself, in `screens/`) and the helpers they share. No I/O here, and no change to the state.

use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout};

use super::app::{App, Drawn, Mode};
use super::screens::compose::draw_form_over;
use super::screens::confirm::draw_confirm;
use super::screens::copy::draw_copy;
use super::screens::drafts::{draft_title, draw_drafts};
use super::screens::filter::draw_filter;
use super::screens::help::draw_help;
use super::screens::inspector::draw_inspector;
use super::screens::list::{draw_main, draw_search};
use super::screens::status::{draw_save, draw_status, save_height, status_height};

pub fn draw(f: &mut Frame, app: &App) -> Drawn {
    let area = f.area();
    let save_height = save_height(app, area.width);
    let status_height = status_height(app, area.width);
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(save_height),
            Constraint::Length(status_height),
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
            draw_form_over(f, app, area, save_height + status_height);
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
                draw_form_over(f, app, area, save_height + status_height);
            }
            draw_confirm(f, area, &app.quit_question());
        }
        Mode::Filter => draw_filter(f, app, area),
        Mode::Copy => draw_copy(f, app, area),
        Mode::Browse | Mode::Search => {}
    }
    drawn
}
