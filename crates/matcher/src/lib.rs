//! Vulnerability matching: which advisories apply to which device models, with evidence.
//!
//! Owns: the format-neutral [`MatchableAdvisory`] and its converters from CSAF, OSV and NVD
//! ([`convert`]); the incremental [`Index`] (a new advisory re-matches only the models it can
//! touch, a new model matches only itself); [`Finding`]s with evidence and a confidence tier; and
//! the explained "act now" score ([`priority`]). Invariant: pure (no I/O, no clock); a version
//! that cannot be placed is [`FindingStatus::Undetermined`], never "not affected".

pub mod convert;
mod eval;
pub mod index;
pub mod model;
pub mod priority;

pub use eval::MAX_SORTED_EVENTS;
pub use index::{package_key, Index, MAX_COMPONENTS_PER_MODEL, MIN_MODEL_KEY_CHARS};
pub use model::*;
