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
/// pass for a whole one). Widths are measured by grapheme, as ratatui lays cells out: an emoji
/// joined by ZWJ or a letter with its accents is one unit, never split and never counted as
/// the sum of its parts, so the cells after it stay where the layout put them.
pub(crate) fn fit(text: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    use unicode_width::UnicodeWidthStr;
    let total: usize = text.graphemes(true).map(UnicodeWidthStr::width).sum();
    if total <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in text.graphemes(true) {
        let w = g.width();
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push_str(g);
    }
    out.push('…');
    out
}

/// `text` cut from its start to `width` cells ("…/share/lore"), by grapheme: where the end
/// says most (a path, the typing end of a long search).
pub(crate) fn keep_end(text: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    use unicode_width::UnicodeWidthStr;
    if text.width() <= width {
        return text.to_string();
    }
    let mut kept: Vec<&str> = Vec::new();
    let mut used = 1;
    for g in text.graphemes(true).rev() {
        let w = g.width();
        if used + w > width {
            break;
        }
        used += w;
        kept.push(g);
    }
    std::iter::once("…").chain(kept.into_iter().rev()).collect()
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn text_is_cut_by_grapheme_to_the_cells_ratatui_gives_it() {
        // A ZWJ family is one grapheme, two cells wide, kept whole or left out whole.
        let family = "👩\u{200d}👩\u{200d}👧";
        assert_eq!(fit(&format!("{family}ab"), 4), format!("{family}ab"));
        assert_eq!(fit(&format!("ab{family}cd"), 4), "ab…");
        assert_eq!(fit("e\u{301}e\u{301}e\u{301}", 2), "e\u{301}…");
        assert_eq!(fit("日本語のテキスト", 7), "日本語…");
        // Persian with a ZWNJ: nothing cut inside a letter.
        let fa = "می\u{200c}خواهم";
        assert_eq!(fit(fa, 10), fa);
    }
}
