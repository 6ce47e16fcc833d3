//! Version schemes, vers ranges and the vendor-firmware comparator.
