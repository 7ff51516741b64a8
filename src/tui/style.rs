//! What the screens' views share: colours (none when colour is off), the focused border, a box
//! in the middle of the screen, and text cut to a width with an ellipsis.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

use super::app::App;

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
