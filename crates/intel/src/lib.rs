//! Vulnerability intelligence for one hospital: feed files become advisories in the store, the
//! fleet's device models go through the pure matcher (`mdsec-matcher`), and findings (with VEX
//! applied), per-device priorities and notices come back into the store.
//!
//! Owns: which feed kinds are imported and how they map to records ([`feed`]), the order of a
//! run (parse everything → one import transaction → incremental re-match → priorities), how a
//! ledger device maps to its model key, and VEX application ([`vex`]).
//! Must not depend on: a concrete backend, web, the CLI. Parsing and scoring are pure; the only
//! I/O is through the `Store` trait.

#![allow(clippy::result_large_err)]

pub mod attach;
pub mod engine;
pub mod export;
pub mod feed;
pub mod notices;
pub mod priority;
pub mod vex;

pub use engine::{
    import_feeds, refresh_priorities, rematch, FeedRun, IntelError, Rematch, RematchReport,
};
pub use feed::{read_feed, FeedContent, FeedError};
