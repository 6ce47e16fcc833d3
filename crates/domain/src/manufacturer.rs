//! Manufacturer alias table (owned by the demo/alias work).
