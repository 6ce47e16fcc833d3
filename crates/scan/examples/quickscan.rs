use mdsec_scan::*;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let scope = Scope::new(
        parse_net_list("t", &a[1]).unwrap(),
        parse_net_list("d", a.get(3).map(|s| s.as_str()).unwrap_or("")).unwrap(),
    )
    .unwrap();
    let mut cfg = ScanConfig::new(scope, parse_ports(&a[2]).unwrap());
    if let Ok(r) = std::env::var("RATE") {
        cfg.limits = RateLimits::new(r.parse().unwrap(), 50).unwrap();
    }
    if std::env::var("NOPROBE").is_ok() {
        cfg.banners = false;
        cfg.assume_alive = true;
        cfg.ping_attempts = 0;
    }
    let r = scan(&cfg, &std::sync::atomic::AtomicBool::new(false)).unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());
}
