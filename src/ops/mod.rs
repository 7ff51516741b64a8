//! The operations on a store, one a file. Every one that changes the store is a client of the
//! write seam ([`crate::write`]): it says what to change; the seam takes the lock, stages,
//! commits and undoes.

pub mod adopt;
pub mod doctor;
pub mod edit;
pub mod export;
pub mod import;
pub mod init;
pub mod join;
pub mod record;
pub mod reindex;
pub mod remove;
pub mod show;
pub mod sync;
