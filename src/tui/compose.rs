//! The compose form: ten fields, inline validation with the CLI's limits, completion of the
//! domain (from the store's) and of the type.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lore::draft::DraftId;
use lore::learning::Draft;
use ratatui_textarea::TextArea;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Title,
    Domain,
    Severity,
    Tags,
    Type,
    Summary,
    WhatHappened,
    RootCause,
    Impact,
    Prevention,
}

impl Field {
    pub const ALL: [Field; 10] = [
        Field::Title,
        Field::Domain,
        Field::Severity,
        Field::Tags,
        Field::Type,
        Field::Summary,
        Field::WhatHappened,
        Field::RootCause,
        Field::Impact,
        Field::Prevention,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::Title => "Title",
            Field::Domain => "Domain",
            Field::Severity => "Severity (1–5)",
            Field::Tags => "Tags (comma-separated)",
            Field::Type => "Type (failure, success, heuristic, experiment or observation)",
            Field::Summary => "Summary",
            Field::WhatHappened => "What happened",
            Field::RootCause => "Root cause",
            Field::Impact => "Impact",
            Field::Prevention => "Prevention",
        }
    }

    /// The name validation errors use (`title: …`).
    fn error_key(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Domain => "domain",
            Field::Severity => "severity",
            Field::Tags => "tags",
            Field::Type => "type",
            Field::Summary => "summary",
            Field::WhatHappened => "what-happened",
            Field::RootCause => "root-cause",
            Field::Impact => "impact",
            Field::Prevention => "prevention",
        }
    }

    pub fn multiline(self) -> bool {
        matches!(
            self,
            Field::Summary
                | Field::WhatHappened
                | Field::RootCause
                | Field::Impact
                | Field::Prevention
        )
    }
}

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
        let texts = [
            draft.title.as_str(),
            draft.domain.as_str(),
            draft.severity.as_deref().unwrap_or(""),
            draft.tags.as_str(),
            draft.kind.as_deref().unwrap_or(""),
            draft.summary.as_str(),
            draft.what_happened.as_str(),
            draft.root_cause.as_str(),
            draft.impact.as_str(),
            draft.prevention.as_str(),
        ];
        let mut c = Compose {
            fields: texts.iter().map(|t| area(t)).collect(),
            focus: 0,
            errors: vec![None; Field::ALL.len()],
            changed: false,
            show_errors: draft != &Draft::default(),
            completion: None,
            domains,
            id,
            on_disk,
        };
        c.validate();
        c
    }

    pub fn field(&self) -> Field {
        Field::ALL[self.focus]
    }

    fn text(&self, f: Field) -> String {
        self.fields[f as usize].lines().join("\n")
    }

    pub fn draft(&self) -> Draft {
        let severity = self.text(Field::Severity);
        let kind = self.text(Field::Type);
        Draft {
            kind: (!kind.trim().is_empty()).then_some(kind),
            title: self.text(Field::Title),
            domain: self.text(Field::Domain),
            severity: (!severity.trim().is_empty()).then_some(severity),
            tags: self.text(Field::Tags),
            summary: self.text(Field::Summary),
            what_happened: self.text(Field::WhatHappened),
            root_cause: self.text(Field::RootCause),
            impact: self.text(Field::Impact),
            prevention: self.text(Field::Prevention),
            body: None,
        }
    }

    /// Recomputes the inline messages; true when the draft can be saved.
    pub fn validate(&mut self) -> bool {
        let problems = self.draft().problems();
        for (i, f) in Field::ALL.iter().enumerate() {
            self.errors[i] = problems.iter().find_map(|e| match e {
                lore::Error::Invalid { field, message } if *field == f.error_key() => {
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
                if self.fields[self.focus].input(key) {
                    self.changed = true;
                    self.show_errors = true;
                    self.validate();
                }
            }
        }
        self.update_completion();
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
