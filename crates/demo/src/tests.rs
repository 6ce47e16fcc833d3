use super::*;
use mdsec_domain::manufacturer::{ManufacturerAliases, ModelAliases};
use mdsec_domain::normalize::{normalize_date, normalize_mac};
use std::collections::HashSet;
use std::net::Ipv4Addr;

#[test]
fn deterministic() {
    let a = demo_hospital();
    let b = demo_hospital();
    assert_eq!(a, b);
    // And the serialised form too (maps iterate in a fixed order).
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}

#[test]
fn size_and_speed() {
    let start = std::time::Instant::now();
    let h = demo_hospital();
    let elapsed = start.elapsed();
    assert!(
        (1_900..=2_100).contains(&h.devices.len()),
        "{} devices",
        h.devices.len()
    );
    assert_eq!(h.beds, 400);
    assert!(h.name.contains("架空") && h.name.contains("fictitious"));
    // The budget is 50 ms in release; unoptimised test builds on a shared machine get slack.
    assert!(elapsed.as_millis() < 1_000, "took {elapsed:?}");
}

#[test]
fn every_manufacturer_resolves() {
    let aliases = ManufacturerAliases::builtin();
    let h = demo_hospital();
    let mut ja = 0;
    for d in &h.devices {
        let m = d.manufacturer.as_deref().expect("every device has a maker");
        let canonical = aliases
            .canonical(m)
            .unwrap_or_else(|| panic!("{m:?} is not in the alias table"));
        if aliases
            .ja_name(canonical)
            .is_some_and(|j| m.contains(j) || j == m)
        {
            ja += 1;
        }
    }
    // Mostly written the Japanese way.
    assert!(ja * 10 > h.devices.len() * 7, "{ja} of {}", h.devices.len());
    for u in &h.users {
        if let Some(m) = &u.manufacturer {
            assert_eq!(aliases.canonical(m), Some(m.as_str()));
        }
    }
}

#[test]
fn remote_endpoints_are_documentation_addresses() {
    let h = demo_hospital();
    let mut yes = 0;
    for d in &h.devices {
        let endpoint = d.custom.get("remote_endpoint");
        match d.remote_line {
            RemoteLine::Yes => {
                yes += 1;
                assert!(d.remote_method.is_some());
                let ip: Ipv4Addr = endpoint.expect("endpoint recorded").parse().unwrap();
                let o = ip.octets();
                assert!(
                    DOCUMENTATION_NETWORKS.contains(&[o[0], o[1], o[2]])
                        && o[3] != 0
                        && o[3] != 255,
                    "{ip} is outside RFC 5737"
                );
            }
            _ => assert!(endpoint.is_none() && d.remote_method.is_none()),
        }
    }
    assert!(yes >= 40, "only {yes} remote lines");
}

#[test]
fn identifiers_are_unique_and_well_formed() {
    let h = demo_hospital();
    let mut numbers = HashSet::new();
    let mut ips = HashSet::new();
    let mut macs = HashSet::new();
    for d in &h.devices {
        let n = d.management_number.as_deref().unwrap();
        assert!(numbers.insert(n), "duplicate {n}");
        let (prefix, rest) = n.split_at(3);
        assert!(prefix == "ME-" || prefix == "IT-", "{n}");
        let (year, seq) = rest.split_once('-').unwrap();
        assert!(year.len() == 4 && seq.len() == 5 && seq.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(Some(year), d.install_date.as_deref().map(|s| &s[..4]));
        if let Some(ip) = &d.ip {
            assert!(ips.insert(ip.clone()), "duplicate {ip}");
            let a: Ipv4Addr = ip.parse().unwrap();
            assert!(a.is_private(), "{a}");
            assert!(d.network_segment.is_some() && d.mac.is_some());
        }
        if let Some(mac) = &d.mac {
            assert!(macs.insert(mac.clone()), "duplicate {mac}");
            assert_eq!(normalize_mac(mac).as_deref(), Some(mac.as_str()));
            let first = u8::from_str_radix(&mac[..2], 16).unwrap();
            assert_eq!(
                first & 0x03,
                0x02,
                "{mac} is not locally administered unicast"
            );
        }
        for date in [&d.install_date, &d.eol_date, &d.eos_date]
            .into_iter()
            .flatten()
        {
            assert_eq!(normalize_date(date).as_deref(), Some(date.as_str()));
        }
        if let Some(udi) = &d.udi_di {
            assert_eq!(udi.len(), 14);
            assert!(udi.starts_with("02"));
            let sum: u32 = udi
                .bytes()
                .rev()
                .enumerate()
                .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 1 { 3 } else { 1 })
                .sum();
            assert_eq!(sum % 10, 0, "bad GTIN check digit {udi}");
        }
        assert_eq!(d.clone().tidy(), *d, "blank text field in {n}");
    }
    assert!(ips.len() > 800, "{} networked", ips.len());
}

#[test]
fn addresses_sit_in_their_department_segment() {
    let h = demo_hospital();
    let by_name: HashMap<&str, &Department> = h
        .departments
        .iter()
        .map(|d| (d.name_ja.as_str(), d))
        .collect();
    for d in h.devices.iter().filter(|d| d.ip.is_some()) {
        let dept = by_name[d.department.as_deref().unwrap()];
        let ip: Ipv4Addr = d.ip.as_deref().unwrap().parse().unwrap();
        let [_, second, third, _] = ip.octets();
        let seg = if d.device_type.as_deref() == Some("電子カルテ端末")
            || d.device_type.as_deref() == Some("電子カルテサーバ")
        {
            &dept.ehr_segment
        } else {
            &dept.segment
        };
        let net: Ipv4Addr = seg.trim_end_matches("/24").parse().unwrap();
        let [_, s, t, _] = net.octets();
        assert!(
            t == third && (second == s || second == s + 1),
            "{ip} not in {seg}"
        );
    }
}

#[test]
fn departments_and_users() {
    let h = demo_hospital();
    let codes: HashSet<_> = h.departments.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes.len(), h.departments.len());
    let segs: HashSet<_> = h.departments.iter().map(|d| &d.segment).collect();
    assert_eq!(segs.len(), h.departments.len());
    for name in [
        "放射線科",
        "集中治療室",
        "3階東病棟",
        "臨床検査科",
        "透析センター",
        "内視鏡センター",
        "手術部",
        "救急外来",
        "薬剤部",
        "医療情報部",
        "臨床工学部",
    ] {
        assert!(h.departments.iter().any(|d| d.name_ja == name), "{name}");
    }
    for u in &h.users {
        assert!(ROLES.contains(&u.role.as_str()), "{}", u.role);
        if let Some(d) = &u.department {
            assert!(codes.contains(d.as_str()), "{d}");
        }
        assert_eq!(u.role == "manufacturer", u.manufacturer.is_some());
    }
    for role in ROLES {
        assert!(h.users.iter().any(|u| u.role == *role), "no {role} user");
    }
    assert!(h
        .users
        .iter()
        .any(|u| u.role == "department_user" && u.department.as_deref() == Some("RAD")));
    // Every device is in a known department.
    let names: HashSet<_> = h.departments.iter().map(|d| d.name_ja.as_str()).collect();
    assert!(h
        .devices
        .iter()
        .all(|d| names.contains(d.department.as_deref().unwrap_or(""))));
}

#[test]
fn lifecycle_relative_to_reference_date() {
    let h = demo_hospital();
    let past = h
        .devices
        .iter()
        .filter(|d| d.is_past_eos(REFERENCE_DATE))
        .count();
    let n = h.devices.len();
    assert!(
        past * 20 > n && past * 2 < n,
        "{past} of {n} past end of support"
    );
    let active = h
        .devices
        .iter()
        .filter(|d| d.status == DeviceStatus::Active)
        .count();
    let disposed = h
        .devices
        .iter()
        .filter(|d| d.status == DeviceStatus::Disposed)
        .count();
    let inactive = h
        .devices
        .iter()
        .filter(|d| d.status == DeviceStatus::Inactive)
        .count();
    assert!(active * 10 > n * 8 && disposed > 0 && inactive > 0);
    // Disposal only after end of support.
    assert!(h
        .devices
        .iter()
        .filter(|d| d.status == DeviceStatus::Disposed)
        .all(|d| d.is_past_eos(REFERENCE_DATE)));
    let legacy_os = h
        .devices
        .iter()
        .filter(|d| d.os.as_deref().is_some_and(|o| o.contains("Windows 7")))
        .count();
    assert!(legacy_os > 0);
}

#[test]
fn relabelled_and_advisory_devices_are_present() {
    let h = demo_hospital();
    let aliases = ManufacturerAliases::builtin();
    let count = |maker: &str, model: &str| {
        h.devices
            .iter()
            .filter(|d| {
                d.manufacturer.as_deref().and_then(|m| aliases.canonical(m)) == Some(maker)
                    && d.model.as_deref() == Some(model)
            })
            .count()
    };
    assert_eq!(count("Contec", "CMS8000"), 4);
    assert_eq!(count("Epsimed", "MN-120"), 2);
    let models = ModelAliases::builtin();
    for d in h
        .devices
        .iter()
        .filter(|d| d.model.as_deref() == Some("MN-120"))
    {
        assert_eq!(
            models.resolve(d.manufacturer.as_deref().unwrap(), "MN-120"),
            Some(("Contec", "CMS8000"))
        );
    }
}

/// The products the demo claims to take from the CISA medical advisories really are named there,
/// under a vendor that the alias table maps to the same maker as the demo's ledger spelling.
#[test]
fn advisory_products_match_shared_cisa_data() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/csaf/cisa-icsma"
    );
    let aliases = ManufacturerAliases::builtin();
    let mut products: Vec<(String, String)> = Vec::new(); // (canonical vendor, lower-case product)
    for entry in std::fs::read_dir(dir).expect("shared CISA ICSMA data missing") {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let mut stack = vec![(&doc["product_tree"]["branches"], None::<String>)];
        while let Some((v, vendor)) = stack.pop() {
            for b in v.as_array().into_iter().flatten() {
                let name = b["name"].as_str().unwrap_or("");
                let vendor = if b["category"] == "vendor" {
                    aliases.canonical(name).map(String::from)
                } else {
                    vendor.clone()
                };
                if b["category"] == "product_name" {
                    if let Some(v) = &vendor {
                        products.push((v.clone(), name.to_lowercase()));
                    }
                }
                stack.push((&b["branches"], vendor));
            }
        }
    }
    assert!(products.len() > 300, "{} products", products.len());
    // (canonical maker, demo model, text that the advisory product name contains)
    let claims = [
        ("Contec", "CMS8000", "cms8000"),
        ("Philips", "IntelliVue MX40", "intellivue mx40"),
        (
            "Philips",
            "IntelliVue MX450",
            "intellivue patient monitors mx",
        ),
        ("Philips", "PIC iX", "patient information center ix"),
        ("Philips", "Ingenia 1.5T", "mri 1.5t"),
        ("Philips", "EPIQ 7", "epiq"),
        (
            "Philips",
            "IntelliSpace Cardiovascular",
            "intellispace cardiovascular",
        ),
        ("Philips", "DoseWise Portal", "dosewise portal"),
        ("Philips", "Holter 2010 Plus", "holter 2010 plus"),
        ("Philips", "IntelliBridge EC40", "intellibridge ec40"),
        ("Philips", "PageWriter TC70", "pagewriter"),
        (
            "BD",
            "Alaris PC Unit Model 8015",
            "alaris pc unit model 8015",
        ),
        ("BD", "Alaris Systems Manager", "alaris systems manager"),
        ("BD", "Pyxis MedStation ES", "pyxis medstation es"),
        ("BD", "FACSLyric", "facslyric"),
        ("Baxter", "Sigma Spectrum 35700BAX2", "sigma spectrum"),
        ("Baxter", "Spectrum IQ 35700BAX3", "spectrum iq"),
        ("Baxter", "PrisMax", "prismax"),
        ("Baxter", "PrismaFlex", "prismaflex"),
        ("Baxter", "ExactaMix EM2400", "exactamix em2400"),
        ("ICU Medical", "Medfusion 4000", "medfusion 4000"),
        ("B. Braun", "SpaceStation with SpaceCom 2", "spacecom"),
        ("B. Braun", "Infusomat Space", "battery pack sp with wi"),
        ("Fresenius Kabi", "Agilia VP MC WiFi", "agilia connect"),
        ("GE HealthCare", "CARESCAPE B650", "b650"),
        (
            "GE HealthCare",
            "CARESCAPE Central Station",
            "carescape central station",
        ),
        ("GE HealthCare", "Revolution EVO", "revolution evo"),
        ("GE HealthCare", "Innova IGS 530", "innova igs 5x0"),
        ("GE HealthCare", "LOGIQ E10", "logiq"),
        ("GE HealthCare", "Vivid E95", "vivid"),
        ("GE HealthCare", "Aespire 7900", "aespire"),
        ("GE HealthCare", "Aisys CS2", "aisys"),
        ("GE HealthCare", "AW VolumeShare 7", "aw"),
        (
            "Siemens Healthineers",
            "Symbia T16",
            "spect/ct systems windows 7",
        ),
        ("Medtronic", "Valleylab FT10", "valleylab ft10"),
        ("Medtronic", "CareLink 2090", "carelink 2090"),
        (
            "Boston Scientific",
            "ZOOM LATITUDE PRM 3120",
            "zoom latitude",
        ),
        (
            "Hillrom",
            "Connex Vital Signs Monitor 6000",
            "connex vital signs monitor",
        ),
        ("Hillrom", "Spot Vital Signs 4400", "spot vital signs 4400"),
        ("Hillrom", "ELI 280", "eli 280"),
        ("Hamilton Medical", "HAMILTON-T1", "t1 ventilator"),
        ("Dräger", "Infinity Delta", "infinity delta"),
        (
            "Roche Diagnostics",
            "Accu-Chek Inform II",
            "point of care handheld",
        ),
        ("Natus", "Xltek NeuroWorks", "xltek neuroworks"),
        ("FUJIFILM", "FCR Capsula X (CR-IR 357)", "fcr capsula x"),
        ("Carestream", "Vue RIS", "ris client builds"),
        ("Stryker", "InTouch ICU Bed 2131", "intouch icu bed"),
        (
            "Capsule Technologies",
            "SmartLinx Neuron 2",
            "smartlinx neuron 2",
        ),
    ];
    let h = demo_hospital();
    for (maker, model, product) in claims {
        assert!(
            products
                .iter()
                .any(|(v, p)| v == maker && p.contains(product)),
            "no advisory product of {maker} contains {product:?}"
        );
        assert!(
            h.devices.iter().any(|d| d.model.as_deref() == Some(model)
                && d.manufacturer.as_deref().and_then(|m| aliases.canonical(m)) == Some(maker)),
            "demo has no {maker} {model}"
        );
    }
}
