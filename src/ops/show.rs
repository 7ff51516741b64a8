//! Finding one learning by what a user or an agent calls it: `#12`, `12`, or its file's path as
//! the shell gives it (absolute, `./memory/…`) or as the store names it (`memory/…`).

use std::path::Path;

use crate::error::{Error, Result};
use crate::index::{Index, Row};
use crate::sanitize::display_line;
use crate::store::Store;

/// The learning found.
#[derive(Debug, Clone)]
pub struct Found {
    pub row: Row,
    /// Set where the path given is one the learning had before a rename (a path printed
    /// earlier, or kept by a script).
    pub moved: Option<Moved>,
}

/// A path given that the learning has left.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: String,
    /// The learning at that path now, if one is.
    pub now_there: Option<i64>,
}

impl Moved {
    /// One line for a note beside the answer.
    pub fn describe(&self, to: &str) -> String {
        let mut line = format!("{} moved to {}", display_line(&self.from), display_line(to));
        if let Some(other) = self.now_there {
            line.push_str(&format!(
                "; the learning now at {} is #{other}",
                display_line(&self.from)
            ));
        }
        line
    }
}

/// The learning `target` names, or [`Error::NotFound`].
pub fn find(store: &Store, index: &Index, target: &str) -> Result<Found> {
    let target = target.trim();
    if target.is_empty() {
        return Err(Error::invalid("target", "give a learning's id or path"));
    }
    // `#12`, as lists print ids, is id 12.
    if let Ok(id) = target.strip_prefix('#').unwrap_or(target).parse::<i64>() {
        return match index.get(id)? {
            Some(row) => Ok(Found { row, moved: None }),
            None => Err(Error::NotFound(display_line(target))),
        };
    }
    let given = Path::new(target);
    let on_disk = given.canonicalize().ok();
    let rel = on_disk
        .as_deref()
        .and_then(|p| p.strip_prefix(store.root()).ok())
        .or_else(|| given.strip_prefix(store.root()).ok())
        .unwrap_or_else(|| given.strip_prefix(".").unwrap_or(given));
    let rel = rel.to_string_lossy();
    if let Some(row) = index.moved_from(&rel)? {
        let now_there = index.get_by_path(&rel)?.map(|r| r.id);
        return Ok(Found {
            row,
            moved: Some(Moved {
                from: rel.into_owned(),
                now_there,
            }),
        });
    }
    match index.get_by_path(&rel)? {
        Some(row) => Ok(Found { row, moved: None }),
        None => Err(Error::NotFound(display_line(target))),
    }
}
