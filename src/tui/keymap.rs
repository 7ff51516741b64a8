//! Which key does what: the configurable actions (`lore::config::Action`, keys from `[keys]`)
//! and the fixed keys for moving about, with the help screen generated from both, so the
//! help always shows the keys the browser really answers to (a test checks that every action
//! is in it).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lore::config::{Action, Config};

use super::editing;

/// The key of every action, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keymap {
    keys: [char; Action::ALL.len()],
}

impl Keymap {
    pub fn from_config(config: &Config) -> Keymap {
        Keymap {
            keys: Action::ALL.map(|a| config.key(a)),
        }
    }

    pub fn key(&self, action: Action) -> char {
        self.keys[Action::ALL.iter().position(|a| *a == action).unwrap_or(0)]
    }

    /// The action `key` stands for (a plain character; Ctrl and Alt combinations are not
    /// actions).
    pub fn action(&self, key: KeyEvent) -> Option<Action> {
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        let KeyCode::Char(c) = key.code else {
            return None;
        };
        Action::ALL
            .into_iter()
            .zip(self.keys)
            .find_map(|(a, k)| (k == c).then_some(a))
    }

    /// Whether `key` is `action`'s key.
    pub fn is(&self, key: KeyEvent, action: Action) -> bool {
        self.action(key) == Some(action)
    }

    /// The help screen's rows, in [`HELP`]'s order, each action with its configured key.
    pub fn help(&self) -> Vec<(String, &'static str)> {
        HELP.iter()
            .flat_map(|row| match *row {
                Help::Keys(keys, what) => vec![(keys.to_string(), what)],
                Help::Action(Action::Quit) => vec![(
                    format!("{}  Ctrl-C", self.key(Action::Quit)),
                    describe(Action::Quit),
                )],
                Help::Action(a) => vec![(self.key(a).to_string(), describe(a))],
                Help::Heading(title) => vec![(String::new(), title)],
                Help::Editing => editing::HELP
                    .iter()
                    .map(|(keys, what)| (keys.to_string(), *what))
                    .collect(),
            })
            .collect()
    }
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap::from_config(&Config::default())
    }
}

/// What an action does, as the help says it.
fn describe(action: Action) -> &'static str {
    match action {
        Action::Search => "search as you type (words match as prefixes); Esc clears",
        Action::Copy => "copy the selected learning's path, title or body to the clipboard",
        Action::Sort => "sort the list: newest first, most severe first, or by domain",
        Action::Filter => "filter by type, severity and domain (combined; type to narrow)",
        Action::New => "new learning (offers the drafts kept, to restore one)",
        Action::Edit => "edit the selected learning in your (git's) editor",
        Action::Lock => "lock inspector",
        Action::Sync => "sync with the remote `origin` (fetch, merge, push)",
        Action::Help => "this help",
        Action::Quit => "quit (asks while a save or a sync runs)",
    }
}

/// A row of the help: fixed keys, or an action (shown with its key).
enum Help {
    Keys(&'static str, &'static str),
    Action(Action),
    /// The keys that edit text, the same in the search line and the form ([`editing::HELP`]).
    Editing,
    /// The start of a group of rows: shown with no key, as a heading.
    Heading(&'static str),
}

/// The help, in reading order: moving about, the actions, the form's keys, then typing.
const HELP: &[Help] = &[
    Help::Heading("Moving about"),
    Help::Keys("↑ ↓ / j k", "move in the list (or scroll the detail)"),
    Help::Keys("PgUp PgDn / Space", "page"),
    Help::Keys("g / G  Home / End", "first / last"),
    Help::Keys("Enter Tab → l", "focus the detail pane; Esc or ← back"),
    Help::Heading("Actions"),
    Help::Action(Action::Search),
    Help::Action(Action::Filter),
    Help::Action(Action::Sort),
    Help::Action(Action::New),
    Help::Action(Action::Edit),
    Help::Action(Action::Copy),
    Help::Action(Action::Lock),
    Help::Action(Action::Sync),
    Help::Keys("Esc", "cancel a save that waits for the lock"),
    Help::Action(Action::Help),
    Help::Action(Action::Quit),
    Help::Keys(
        "Mouse",
        "wheel scrolls, click selects; Shift-drag selects text",
    ),
    Help::Heading("The form"),
    Help::Keys("Tab Shift-Tab", "next / previous field"),
    Help::Keys("Ctrl-S", "save (from any field)"),
    Help::Keys("→", "accept the domain or type completion"),
    Help::Keys("Esc", "close: keep it as a draft, or discard it"),
    Help::Heading("Typing, in the search line and the form"),
    Help::Editing,
    Help::Keys(
        "Paste",
        "inserted as text at the cursor, never taken as keys",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_a_key_and_a_line_of_help() {
        let map = Keymap::default();
        let help = map.help();
        for action in Action::ALL {
            let key = map.key(action);
            assert_eq!(map.action(KeyEvent::from(KeyCode::Char(key))), Some(action));
            assert!(
                help.iter()
                    .any(|(k, v)| k.starts_with(key) && *v == describe(action)),
                "{action:?} is not in the help"
            );
        }
        let ctrl = KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL);
        assert_eq!(map.action(ctrl), None);
    }
}
