#![no_main]
//! vers ranges, scheme comparators, native ranges and the firmware comparator on arbitrary input.
//! Must never panic.
use libfuzzer_sys::fuzz_target;
use mdsec_versions::{compare, firmware, native, vers::VersRange, Scheme};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let mut lines = s.splitn(3, '\n');
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("1.0");
    for scheme in Scheme::ALL {
        let _ = compare(scheme, first, second);
    }
    if let Ok(r) = VersRange::parse(first) {
        let _ = r.contains(second);
        let _ = r.simplified();
        let _ = VersRange::parse(&r.to_string());
    }
    let _ = VersRange::parse_canonical(first);
    for scheme in ["npm", "conan", "pypi", "nuget", "gem", "nginx", "openssl"] {
        let _ = native::from_native(scheme, first);
    }
    let _ = firmware::compare(first, second);
    let _ = firmware::in_range(second, &firmware::parse_range(first));
});
