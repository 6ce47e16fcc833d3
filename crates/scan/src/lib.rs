//! Gentle active discovery and live capture.
//!
//! Pure parts — [`scope`] (what may be touched), [`ports`] (port lists and which read-only probe each
//! well-known port gets), [`rate`] (the per-host and overall packet limiter with its proof, and the
//! back-off schedule) and [`probe`] (what the probes send and how answers are read) — do no I/O.
//! The I/O edges are [`net`] (ICMP echo, TCP connect and the probes, every packet behind a scope check
//! and a rate-limiter grant) and [`capture`] (an `AF_PACKET` socket that only receives).

pub mod capture;
pub mod net;
pub mod ports;
pub mod probe;
pub mod rate;
pub mod scope;

pub use capture::{CaptureError, Frame, LiveCapture};
pub use net::{scan, HostReport, PortState, ScanConfig, ScanError, ScanReport};
pub use ports::{parse_ports, service_for_port, ProbeKind, DEFAULT_PORTS};
pub use rate::{Backoff, BackoffPolicy, Grant, RateLimiter, RateLimits, Wait};
pub use scope::{parse_net_list, Ipv4Net, Scope, ScopeError};
