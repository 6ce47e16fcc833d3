//! Pure domain types and rules of mdsec.
//!
//! Owns: the device ledger record ([`DeviceFields`]) and its enumerations, text normalisation shared by
//! every input path (forms, imports, discovery), and the manufacturer alias table.
//! Invariant: no I/O, no async, no database types. Everything here is deterministic and cheap to test.

pub mod device;
pub mod manufacturer;
pub mod normalize;

pub use device::*;
