//! `lore`: failures and the lessons learned from them, in a git work tree.
//!
//! This crate owns everything below the user interface: the [`store`] (a git work tree with
//! markdown files and a SQLite [`index`]), the cross-process [`lock`], and the [`record`]
//! pipeline that saves one learning in one critical section. It never draws to a terminal;
//! the command line and the TUI are thin layers over it.

pub mod clock;
pub mod config;
pub mod doctor;
pub mod draft;
pub mod edit;
pub mod error;
pub mod exchange;
pub mod fault;
pub mod git;
pub mod index;
pub mod init;
pub mod learning;
pub mod leftovers;
pub mod lock;
pub mod parse;
pub mod record;
pub mod reindex;
pub mod sanitize;
pub mod slug;
pub mod store;
pub mod sync;
pub mod template;

pub mod write;

pub use error::{Error, Result};
