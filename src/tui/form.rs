//! The compose form: a box per row of the fields table (`lore::learning::fields`), inline
//! validation with the CLI's limits, completion of the domain (from the store's) and of the
//! type.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lore::draft::DraftId;
use lore::learning::Draft;
pub use lore::learning::Field;
use ratatui_textarea::TextArea;

use super::editing::{apply_to_area, edit_of};

#[derive(Debug, PartialEq, Eq)]
pub enum FormAction {
    None,
    Save,
    /// Esc: leave the form (the caller asks first if it changed).
    Close,
}

pub struct Compose {
    pub fields: Vec<TextArea<'static>>,
    pub focus: usize,
    /// Per field, the validation message shown under it.
    pub errors: Vec<Option<String>>,
    pub changed: bool,
    /// Messages are shown once the user has typed or tried to save, so a fresh form is not a
    /// wall of red.
    pub show_errors: bool,
    /// The rest of a known domain that starts with what was typed (accept with →).
    pub completion: Option<String>,
    domains: Vec<String>,
    /// The name its draft is written under.
    pub id: DraftId,
    /// Whether its draft is on disk already (a restored draft, before any change).
    pub on_disk: bool,
}

fn area(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else {
        text.split('\n').map(str::to_string).collect()
    };
    let mut t = TextArea::new(lines);
    t.set_cursor_line_style(ratatui::style::Style::default());
    t.move_cursor(ratatui_textarea::CursorMove::Bottom);
    t.move_cursor(ratatui_textarea::CursorMove::End);
    t
}

impl Compose {
    pub fn new(draft: &Draft, domains: Vec<String>, id: DraftId, on_disk: bool) -> Compose {
        let mut c = Compose {
            fields: Field::in_form()
                .iter()
                .copied()
                .map(|f| area(draft.get(f)))
                .collect(),
            focus: 0,
            errors: vec![None; Field::COUNT],
            changed: false,
            show_errors: draft != &Draft::default(),
            completion: None,
            domains,
            id,
            on_disk,
        };
        c.validate();
        c.show_cursor();
        c
    }

    /// Only the focused field shows its cursor (a text area draws its own).
    fn show_cursor(&mut self) {
        for (i, t) in self.fields.iter_mut().enumerate() {
            t.set_cursor_style(if i == self.focus {
                ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED)
            } else {
                ratatui::style::Style::default()
            });
        }
    }

    pub fn field(&self) -> Field {
        lore::learning::FIELDS[self.focus].field
    }

    fn text(&self, f: Field) -> String {
        self.fields[f as usize].lines().join("\n")
    }

    pub fn draft(&self) -> Draft {
        Field::in_form()
            .iter()
            .copied()
            .fold(Draft::default(), |d, f| d.with(f, self.text(f)))
    }

    /// Recomputes the inline messages; true when the draft can be saved.
    pub fn validate(&mut self) -> bool {
        let problems = self.draft().problems();
        for (i, f) in Field::in_form().iter().copied().enumerate() {
            self.errors[i] = problems.iter().find_map(|e| match e {
                lore::Error::Invalid { field, message } if *field == f.name() => {
                    Some(message.clone())
                }
                _ => None,
            });
        }
        problems.is_empty()
    }

    pub fn set_domains(&mut self, domains: Vec<String>) {
        self.domains = domains;
        self.update_completion();
    }

    /// Known domains complete the domain, and the five kinds the type.
    fn update_completion(&mut self) {
        let field = self.field();
        let typed = match field {
            Field::Domain | Field::Type => self.text(field),
            _ => String::new(),
        };
        self.completion = match field {
            _ if typed.is_empty() => None,
            Field::Domain => self.domains.iter().find_map(|d| completion_of(d, &typed)),
            _ => lore::learning::Kind::ALL
                .iter()
                .find_map(|k| completion_of(k.as_str(), &typed)),
        };
    }

    pub fn on_key(&mut self, key: KeyEvent) -> FormAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('s') if ctrl => return FormAction::Save,
            KeyCode::Esc => return FormAction::Close,
            KeyCode::Tab => self.focus = (self.focus + 1) % self.fields.len(),
            KeyCode::BackTab => {
                self.focus = (self.focus + self.fields.len() - 1) % self.fields.len()
            }
            KeyCode::Enter if !self.field().multiline() => {
                self.focus = (self.focus + 1) % self.fields.len();
            }
            KeyCode::Right if self.completion.is_some() && self.at_line_end() => {
                let rest = self.completion.take().unwrap_or_default();
                self.fields[self.focus].insert_str(rest);
                self.changed = true;
                self.validate();
            }
            _ => {
                let multiline = self.field().multiline();
                let changed = edit_of(key).is_some_and(|edit| {
                    apply_to_area(&mut self.fields[self.focus], edit, multiline)
                });
                if changed {
                    self.changed = true;
                    self.show_errors = true;
                    self.validate();
                }
            }
        }
        self.update_completion();
        self.show_cursor();
        FormAction::None
    }

    /// Inserts pasted `text` at the cursor of the focused field: on one line in a one-line
    /// field, with its lines in a multi-line one; escapes and control characters stripped as
    /// everywhere on input. True when something was inserted.
    pub fn paste(&mut self, text: &str) -> bool {
        let text = if self.field().multiline() {
            lore::sanitize::clean_block(text)
        } else {
            one_line(text)
        };
        if text.is_empty() {
            return false;
        }
        self.fields[self.focus].insert_str(&text);
        self.changed = true;
        self.show_errors = true;
        self.validate();
        self.update_completion();
        true
    }

    fn at_line_end(&self) -> bool {
        let t = &self.fields[self.focus];
        let ratatui_textarea::DataCursor(row, col) = t.cursor();
        t.lines().get(row).is_some_and(|l| col >= l.chars().count())
    }
}

/// What a paste becomes on one line: escapes and control characters stripped, line ends at
/// its end dropped, other newlines and tabs made spaces.
pub fn one_line(text: &str) -> String {
    lore::sanitize::clean_block(text)
        .trim_end_matches(['\n', '\r'])
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .collect()
}

/// What completes `typed` to `domain`, when `domain` starts with it ignoring case: the rest of
/// `domain`, cut at a character boundary of `domain` itself (lowercasing can change a string's
/// length: `İ` becomes two characters, the Kelvin sign `K` a one-byte `k`).
fn completion_of(domain: &str, typed: &str) -> Option<String> {
    let mut rest = domain.char_indices();
    for t in typed.chars() {
        let (_, d) = rest.next()?;
        if !d.to_lowercase().eq(t.to_lowercase()) {
            return None;
        }
    }
    let at = rest.next().map(|(i, _)| i)?;
    Some(domain[at..].to_string())
}

#[cfg(test)]
mod completion_tests {
    use super::completion_of;

    #[test]
    fn completes_ignoring_case_and_never_cuts_a_character() {
        assert_eq!(completion_of("Infra", "inf").as_deref(), Some("ra"));
        assert_eq!(completion_of("infra", "infra"), None);
        assert_eq!(completion_of("db", "x"), None);
        // Lowercasing changes the length of these: the cut follows the domain's characters.
        assert_eq!(completion_of("İstanbul-dc", "i"), None);
        assert_eq!(
            completion_of("İstanbul-dc", "İ").as_deref(),
            Some("stanbul-dc")
        );
        assert_eq!(
            completion_of("\u{212A}elvin", "k").as_deref(),
            Some("elvin")
        );
        assert_eq!(completion_of("日本語", "日").as_deref(), Some("本語"));
    }
}
