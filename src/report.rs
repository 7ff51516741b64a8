//! The small shapes that several operations' reports share, named so that their JSON says what
//! each value is (`{"from": …, "to": …}` rather than a pair a consumer must know the order of).
//! They are part of the JSON contract (docs/JSON.md).

use serde::Serialize;

/// A file that went from one path to another: imported from a file into the store, kept under
/// a second name, or moved by an integration with its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FromTo {
    pub from: String,
    pub to: String,
}

impl FromTo {
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> FromTo {
        FromTo {
            from: from.into(),
            to: to.into(),
        }
    }
}

/// A learning indexed with what could be read of it, and what could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flagged {
    pub path: String,
    pub problems: Vec<String>,
}
