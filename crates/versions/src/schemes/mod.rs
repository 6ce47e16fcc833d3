//! One module per ordering family. Each exposes `compare(a, b)`; all are pure and never panic.

pub mod alpine;
pub mod debian;
pub mod gentoo;
pub mod maven;
pub mod other;
pub mod pep440;
pub mod rpm;
pub mod semver;
pub mod util;
