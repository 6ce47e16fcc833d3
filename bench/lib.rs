//! Shared helpers for benchmarks (generators of realistic inputs).
