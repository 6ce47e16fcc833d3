//! The deterministic, fictitious demo hospital.
