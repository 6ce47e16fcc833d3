//! Print the discovery report of capture files as JSON: `cargo run -p mdsec-discovery --example discover -- FILE...`
fn main() {
    let mut a = mdsec_discovery::Analyzer::new(Default::default());
    for f in std::env::args().skip(1) {
        let file = std::fs::File::open(&f).expect("open");
        let mut r = mdsec_discovery::read_capture(&f, file).expect("capture");
        while let Some(p) = r.next_packet().expect("packet") {
            a.push_packet(p.link_type, p.ts_micros, p.data);
        }
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&a.finish()).expect("json")
    );
}
