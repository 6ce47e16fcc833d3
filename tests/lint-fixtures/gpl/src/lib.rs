//! Formatted and clippy-clean; only its licence is not on the allow-list.

pub fn answer() -> u32 {
    42
}
