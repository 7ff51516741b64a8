//! The browser's screens, one file each: the state changes its keys make (methods of
//! [`App`](super::app::App)) and a view that draws it without changing it.

pub mod compose;
pub mod confirm;
pub mod copy;
pub mod detail;
pub mod drafts;
pub mod filter;
pub mod help;
pub mod inspector;
pub mod list;
pub mod status;
