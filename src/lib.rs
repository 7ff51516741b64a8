//! `lore`: failures and the lessons learned from them, in a git work tree.
//!
//! This crate owns everything below the user interface: the [`store`] (a git work tree with
//! markdown files, reached through [`git`], and a SQLite [`index`]), the cross-process
//! [`lock`], the [`write`] seam through which every change to a store goes in one critical
//! section, and the [`ops`] (record, sync, import…) that are its clients. It never draws to a
//! terminal; the command line and the browser are thin layers over it.

pub mod clock;
pub mod config;
pub mod draft;
pub mod editor;
pub mod error;
pub mod fault;
pub mod git;
pub mod index;
pub mod json;
pub mod learning;
pub mod leftovers;
pub mod lock;
pub mod ops;
pub mod parse;
pub mod report;
pub mod sanitize;
pub mod slug;
pub mod store;
pub mod template;
pub mod write;

pub use error::{Error, Result};
