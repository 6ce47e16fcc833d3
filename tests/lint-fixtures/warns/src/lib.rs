//! Formatted, but with one clippy warning (`clippy::needless_return`).

pub fn double(x: u32) -> u32 {
    return x * 2;
}
