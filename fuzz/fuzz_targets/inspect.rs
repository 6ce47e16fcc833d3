#![no_main]
use libfuzzer_sys::fuzz_target;

// The first byte picks a file name so the extension tie-breakers (.md, .yaml) are reached too.
fuzz_target!(|data: &[u8]| {
    let (name, body) = match data.split_first() {
        Some((b, rest)) => (["f.json", "f.md", "f.yaml", "f.csv"][usize::from(*b) % 4], rest),
        None => ("f", data),
    };
    for strict in [false, true] {
        if let Ok(i) = mdsec_inspect::inspect(name, body, strict) {
            let _ = i.to_json();
            let _ = i.human_summary();
        }
    }
});
