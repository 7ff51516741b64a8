//! The keys that edit text, with one meaning each wherever text is typed: the search line and
//! every field of the form read keys through [`edit_of`], so `Ctrl-U` (say) deletes to the
//! start of the line in both, as in readline, and the help lists the keys once, from
//! [`HELP`].
//!
//! ratatui-textarea's own key table is not used: it gives `Ctrl-U` to undo and `Ctrl-C` to
//! copy, where the search line (and a shell) give them other meanings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};
use unicode_segmentation::UnicodeSegmentation;

/// One edit a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    Left,
    Right,
    WordLeft,
    WordRight,
    Home,
    End,
    Up,
    Down,
    Newline,
    Backspace,
    Delete,
    DeleteWordBefore,
    DeleteToStart,
    DeleteToEnd,
    /// Puts back what the last of `Ctrl-W`, `Ctrl-U` and `Ctrl-K` deleted.
    Yank,
    Undo,
    Redo,
}

/// The edit `key` asks for, if it is an editing key.
pub fn edit_of(key: KeyEvent) -> Option<Edit> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let alt = key.modifiers.contains(KeyModifiers::ALT);
    Some(match key.code {
        KeyCode::Char(c) if !ctrl && !alt => Edit::Insert(c),
        // AltGr arrives as Ctrl+Alt on some terminals: `@` or `€` typed so is text.
        KeyCode::Char(c) if ctrl && alt && !c.is_ascii_alphabetic() => Edit::Insert(c),
        KeyCode::Char('a') if ctrl => Edit::Home,
        KeyCode::Char('e') if ctrl => Edit::End,
        KeyCode::Char('b') if ctrl => Edit::Left,
        KeyCode::Char('f') if ctrl => Edit::Right,
        KeyCode::Char('b') if alt => Edit::WordLeft,
        KeyCode::Char('f') if alt => Edit::WordRight,
        KeyCode::Char('h') if ctrl => Edit::Backspace,
        KeyCode::Char('d') if ctrl => Edit::Delete,
        KeyCode::Char('w') if ctrl => Edit::DeleteWordBefore,
        KeyCode::Char('u') if ctrl => Edit::DeleteToStart,
        KeyCode::Char('k') if ctrl => Edit::DeleteToEnd,
        KeyCode::Char('y') if ctrl => Edit::Yank,
        KeyCode::Char('z') if ctrl => Edit::Undo,
        KeyCode::Char('r') if ctrl => Edit::Redo,
        KeyCode::Left if ctrl || alt => Edit::WordLeft,
        KeyCode::Right if ctrl || alt => Edit::WordRight,
        KeyCode::Left => Edit::Left,
        KeyCode::Right => Edit::Right,
        KeyCode::Home => Edit::Home,
        KeyCode::End => Edit::End,
        KeyCode::Up => Edit::Up,
        KeyCode::Down => Edit::Down,
        KeyCode::Enter => Edit::Newline,
        KeyCode::Backspace if alt => Edit::DeleteWordBefore,
        KeyCode::Backspace => Edit::Backspace,
        KeyCode::Delete => Edit::Delete,
        _ => return None,
    })
}

/// The editing keys as the help lists them.
pub const HELP: &[(&str, &str)] = &[
    ("← → / Ctrl-B Ctrl-F", "a character left / right"),
    ("Ctrl-← → / Alt-B F", "a word left / right"),
    ("Home End / Ctrl-A E", "to the start / end of the line"),
    (
        "Backspace / Ctrl-H",
        "delete the character before the cursor",
    ),
    ("Delete / Ctrl-D", "delete the character under the cursor"),
    ("Ctrl-W Alt-Backspace", "delete the word before the cursor"),
    ("Ctrl-U / Ctrl-K", "delete to the start / end of the line"),
    ("Ctrl-Y", "put back what Ctrl-W, Ctrl-U or Ctrl-K deleted"),
    ("Ctrl-Z / Ctrl-R", "undo / redo (in the form)"),
];

/// A one-line text being edited with a cursor: the search line. The cursor moves and deletes
/// by grapheme cluster (what a reader sees as one character: `é` written as `e` and an accent,
/// an emoji joined by ZWJ), never leaving half of one behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEdit {
    text: String,
    /// A byte offset on a grapheme boundary, `0..=text.len()`.
    cursor: usize,
    /// What the last deletion of a word or of a line's part took.
    yanked: String,
    /// At most this many characters (a search longer than this is not a search).
    limit: usize,
}

impl LineEdit {
    pub fn new(limit: usize) -> LineEdit {
        LineEdit {
            limit,
            ..LineEdit::default()
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text before the cursor (for drawing the cursor after it).
    pub fn before_cursor(&self) -> &str {
        &self.text[..self.cursor]
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// Inserts `s` at the cursor, as many whole graphemes of it as the limit leaves room for.
    /// Returns how many characters went in.
    pub fn insert_str(&mut self, s: &str) -> usize {
        let mut room = self.limit.saturating_sub(self.text.chars().count());
        let mut taken = String::new();
        for g in s.graphemes(true) {
            let n = g.chars().count();
            if n > room {
                break;
            }
            room -= n;
            taken.push_str(g);
        }
        self.text.insert_str(self.cursor, &taken);
        self.cursor += taken.len();
        taken.chars().count()
    }

    fn prev(&self, at: usize) -> usize {
        self.text[..at]
            .grapheme_indices(true)
            .next_back()
            .map_or(0, |(i, _)| i)
    }

    fn next(&self, at: usize) -> usize {
        self.text[at..]
            .graphemes(true)
            .next()
            .map_or(at, |g| at + g.len())
    }

    /// Deletes bytes `from..to`, keeping them for `Ctrl-Y` when `keep`.
    fn delete(&mut self, from: usize, to: usize, keep: bool) -> bool {
        if from >= to {
            return false;
        }
        let gone: String = self.text.drain(from..to).collect();
        if keep {
            self.yanked = gone;
        }
        self.cursor = from;
        true
    }

    /// Where the word before the cursor starts (the blanks just before it included).
    fn word_start(&self) -> usize {
        let word = |g: &str| g.chars().next().is_some_and(char::is_alphanumeric);
        let mut i = self.cursor;
        while i > 0 && !word(&self.text[self.prev(i)..i]) {
            i = self.prev(i);
        }
        while i > 0 && word(&self.text[self.prev(i)..i]) {
            i = self.prev(i);
        }
        i
    }

    /// Where the word after the cursor ends.
    fn word_end(&self) -> usize {
        let word = |g: &str| g.chars().next().is_some_and(char::is_alphanumeric);
        let len = self.text.len();
        let mut i = self.cursor;
        while i < len && !word(&self.text[i..self.next(i)]) {
            i = self.next(i);
        }
        while i < len && word(&self.text[i..self.next(i)]) {
            i = self.next(i);
        }
        i
    }

    /// Applies `edit`. True when the text changed (the cursor alone moving is not a change).
    pub fn apply(&mut self, edit: Edit) -> bool {
        let (at, len) = (self.cursor, self.text.len());
        match edit {
            Edit::Insert(c) => return self.insert_str(c.encode_utf8(&mut [0; 4])) > 0,
            Edit::Left => self.cursor = self.prev(at),
            Edit::Right => self.cursor = self.next(at),
            Edit::WordLeft => self.cursor = self.word_start(),
            Edit::WordRight => self.cursor = self.word_end(),
            Edit::Home => self.cursor = 0,
            Edit::End => self.cursor = len,
            Edit::Backspace => return self.delete(self.prev(at), at, false),
            Edit::Delete => return self.delete(at, self.next(at), false),
            Edit::DeleteWordBefore => return self.delete(self.word_start(), at, true),
            Edit::DeleteToStart => return self.delete(0, at, true),
            Edit::DeleteToEnd => return self.delete(at, len, true),
            Edit::Yank => {
                let back = self.yanked.clone();
                return self.insert_str(&back) > 0;
            }
            Edit::Up | Edit::Down | Edit::Newline | Edit::Undo | Edit::Redo => {}
        }
        false
    }
}

/// How many characters the grapheme before (`back`) or after the cursor of `area` has: what
/// one press of ← → Backspace or Delete moves over, as in the search line (an accented letter
/// or an emoji joined by ZWJ is one). 1 at a line's edge, where the move crosses the line break.
fn grapheme_chars(area: &TextArea<'_>, back: bool) -> usize {
    let ratatui_textarea::DataCursor(row, col) = area.cursor();
    let Some(line) = area.lines().get(row) else {
        return 1;
    };
    let at = line.char_indices().nth(col).map_or(line.len(), |(i, _)| i);
    let g = if back {
        line[..at].graphemes(true).next_back()
    } else {
        line[at..].graphemes(true).next()
    };
    g.map_or(1, |g| g.chars().count())
}

/// Applies `edit` to a field of the form. `multiline` fields take `Enter`, `↑` and `↓`; the
/// others leave them to the form. True when the text changed.
pub fn apply_to_area(area: &mut TextArea<'_>, edit: Edit, multiline: bool) -> bool {
    let moved = |area: &mut TextArea<'_>, m: CursorMove| {
        area.move_cursor(m);
        false
    };
    let ratatui_textarea::DataCursor(row, col) = area.cursor();
    let line_chars = area.lines().get(row).map_or(0, |l| l.chars().count());
    match edit {
        Edit::Left | Edit::Right | Edit::Backspace | Edit::Delete => {
            let back = matches!(edit, Edit::Left | Edit::Backspace);
            let mut changed = false;
            for _ in 0..grapheme_chars(area, back) {
                changed |= match edit {
                    Edit::Left => moved(area, CursorMove::Back),
                    Edit::Right => moved(area, CursorMove::Forward),
                    Edit::Backspace => area.delete_char(),
                    _ => area.delete_next_char(),
                };
            }
            return changed;
        }
        // "To the start / end of the line" stops there: at the line's edge the keys do
        // nothing, as in the search line, rather than join two lines.
        Edit::DeleteToStart if col == 0 => return false,
        Edit::DeleteToEnd if col >= line_chars => return false,
        _ => {}
    }
    match edit {
        Edit::Insert(c) => {
            area.insert_char(c);
            true
        }
        Edit::Left | Edit::Right => false,
        Edit::WordLeft => moved(area, CursorMove::WordBack),
        Edit::WordRight => moved(area, CursorMove::WordForward),
        Edit::Home => moved(area, CursorMove::Head),
        Edit::End => moved(area, CursorMove::End),
        Edit::Up if multiline => moved(area, CursorMove::Up),
        Edit::Down if multiline => moved(area, CursorMove::Down),
        Edit::Newline if multiline => {
            area.insert_newline();
            true
        }
        Edit::Up | Edit::Down | Edit::Newline => false,
        Edit::Backspace | Edit::Delete => false,
        Edit::DeleteWordBefore => area.delete_word(),
        Edit::DeleteToStart => area.delete_line_by_head(),
        Edit::DeleteToEnd => area.delete_line_by_end(),
        Edit::Yank => area.paste(),
        Edit::Undo => area.undo(),
        Edit::Redo => area.redo(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn typed(line: &mut LineEdit, s: &str) {
        for c in s.chars() {
            line.apply(Edit::Insert(c));
        }
    }

    #[test]
    fn the_search_line_edits_as_readline_does() {
        let mut line = LineEdit::new(200);
        typed(&mut line, "lock contention");
        line.apply(edit_of(ctrl('w')).unwrap());
        assert_eq!(line.text(), "lock ");
        line.apply(edit_of(ctrl('y')).unwrap());
        assert_eq!(line.text(), "lock contention");
        line.apply(edit_of(ctrl('a')).unwrap());
        typed(&mut line, "db ");
        assert_eq!(
            (line.text(), line.before_cursor()),
            ("db lock contention", "db ")
        );
        line.apply(Edit::WordRight);
        line.apply(edit_of(ctrl('k')).unwrap());
        assert_eq!(line.text(), "db lock");
        line.apply(edit_of(ctrl('u')).unwrap());
        assert_eq!((line.text(), line.before_cursor()), ("", ""));
        line.apply(Edit::Yank);
        assert_eq!(line.text(), "db lock");
        line.apply(Edit::Left);
        line.apply(Edit::Backspace);
        line.apply(Edit::Delete);
        assert_eq!(line.text(), "db lo");
        assert!(!line.apply(Edit::End), "moving is not a change");
    }

    #[test]
    fn a_character_made_of_several_is_moved_over_and_deleted_whole() {
        let mut line = LineEdit::new(200);
        typed(&mut line, "a👩\u{200d}💻e\u{301}b");
        line.apply(Edit::Left);
        line.apply(Edit::Backspace);
        assert_eq!(line.text(), "a👩\u{200d}💻b", "é went whole");
        line.apply(Edit::Left);
        assert_eq!(line.before_cursor(), "a");
        line.apply(Edit::Delete);
        assert_eq!(line.text(), "ab", "the ZWJ sequence went whole");
        // The limit never cuts a character in two.
        let mut short = LineEdit::new(4);
        typed(&mut short, "日本語");
        assert_eq!(
            short.insert_str("👩\u{200d}💻"),
            0,
            "3 characters, room for 1"
        );
        assert_eq!(short.insert_str("のx"), 1);
        assert_eq!(short.text(), "日本語の");
    }

    #[test]
    fn every_key_has_one_meaning() {
        assert_eq!(edit_of(ctrl('u')), Some(Edit::DeleteToStart));
        assert_eq!(edit_of(ctrl('z')), Some(Edit::Undo));
        assert_eq!(edit_of(ctrl('c')), None, "Ctrl-C quits, it never copies");
        assert_eq!(edit_of(ctrl('s')), None, "Ctrl-S saves");
        let altgr = KeyEvent::new(
            KeyCode::Char('@'),
            KeyModifiers::CONTROL | KeyModifiers::ALT,
        );
        assert_eq!(edit_of(altgr), Some(Edit::Insert('@')), "AltGr types");
        let mut area = TextArea::from(["first line"]);
        area.move_cursor(CursorMove::End);
        assert!(apply_to_area(&mut area, Edit::DeleteToStart, true));
        assert_eq!(area.lines(), [""]);
        assert!(apply_to_area(&mut area, Edit::Undo, true));
        assert_eq!(area.lines(), ["first line"]);
        assert!(!apply_to_area(&mut area, Edit::Newline, false));
        assert_eq!(area.lines(), ["first line"]);
    }

    #[test]
    fn the_form_moves_and_deletes_whole_characters_and_never_joins_lines_on_ctrl_u() {
        let mut area = TextArea::from(["line1", "line2"]);
        area.move_cursor(CursorMove::Down);
        area.move_cursor(CursorMove::Head);
        assert!(!apply_to_area(&mut area, Edit::DeleteToStart, true));
        assert_eq!(area.lines(), ["line1", "line2"]);
        area.move_cursor(CursorMove::Up);
        area.move_cursor(CursorMove::End);
        assert!(!apply_to_area(&mut area, Edit::DeleteToEnd, true));
        assert_eq!(area.lines(), ["line1", "line2"]);
        // An accented letter and a ZWJ emoji go whole.
        let mut area = TextArea::from(["e\u{301} w👩\u{200d}💻"]);
        area.move_cursor(CursorMove::End);
        assert!(apply_to_area(&mut area, Edit::Backspace, false));
        assert_eq!(area.lines(), ["e\u{301} w"]);
        apply_to_area(&mut area, Edit::Left, false);
        apply_to_area(&mut area, Edit::Left, false);
        assert!(apply_to_area(&mut area, Edit::Backspace, false));
        assert_eq!(area.lines(), [" w"]);
        assert!(apply_to_area(&mut area, Edit::Delete, false));
        assert_eq!(area.lines(), ["w"]);
    }
}
