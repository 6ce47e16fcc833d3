//! The analyzer on real and synthetic captures: the shared medical captures (every DICOM AE title
//! and HL7 sender found by an independent byte search must be listed), capture formats, and the
//! patient-data canary.

use mdsec_discovery::synth::{self, Host};
use mdsec_discovery::{analyze_capture, AnalyzerConfig, DiscoveryReport, Mac};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn shared() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/pcap-medical"
    ))
}

fn medical_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(shared())
        .expect("../shared/data/pcap-medical")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 9,
        "expected the shared medical captures, found {}",
        v.len()
    );
    v
}

fn trim(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_matches(|c| c == ' ' || c == '\0')
        .to_string()
}

/// AE titles by a plain byte search for A-ASSOCIATE-RQ/AC headers (type, 0, length(4), version 1,
/// reserved, 16-byte called and calling titles of printable characters) — independent of the parser.
fn ae_titles_by_byte_search(bytes: &[u8]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for i in 0..bytes.len().saturating_sub(42) {
        let w = &bytes[i..];
        if (w[0] == 1 || w[0] == 2) && w[1] == 0 && w[6..10] == [0, 1, 0, 0] {
            let titles = &w[10..42];
            if titles.iter().all(|&c| (0x20..0x7f).contains(&c)) {
                out.insert(trim(&titles[..16]));
                out.insert(trim(&titles[16..]));
            }
        }
    }
    out.remove("");
    out
}

/// MSH-3 of every HL7 message by a byte search for "MSH" + separator.
fn hl7_senders_by_byte_search(bytes: &[u8]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for i in 0..bytes.len().saturating_sub(8) {
        if &bytes[i..i + 3] == b"MSH" && bytes[i + 3] == b'|' {
            let seg = &bytes[i..];
            let end = seg.iter().position(|&c| c == b'\r').unwrap_or(seg.len());
            let fields: Vec<&[u8]> = seg[..end].split(|&c| c == b'|').collect();
            if let Some(f) = fields.get(2) {
                out.insert(String::from_utf8_lossy(f).to_string());
            }
        }
    }
    out.remove("");
    out
}

fn values(r: &DiscoveryReport, key: &str) -> BTreeSet<String> {
    r.devices
        .iter()
        .flat_map(|d| d.identifiers.get(key).cloned().unwrap_or_default())
        .collect()
}

fn analyze_all(files: &[PathBuf]) -> DiscoveryReport {
    let mut a = mdsec_discovery::Analyzer::new(AnalyzerConfig::default());
    for f in files {
        let name = f.display().to_string();
        let mut r = mdsec_discovery::read_capture(&name, std::fs::File::open(f).unwrap()).unwrap();
        a.start_capture(&name);
        while let Some(p) = r.next_packet().unwrap() {
            a.push_packet(p.link_type, p.ts_micros, p.data);
        }
    }
    a.finish()
}

#[test]
fn every_ae_title_and_hl7_sender_in_the_shared_captures_is_listed() {
    let files = medical_captures();
    let mut want_ae = BTreeSet::new();
    let mut want_hl7 = BTreeSet::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        want_ae.extend(ae_titles_by_byte_search(&bytes));
        want_hl7.extend(hl7_senders_by_byte_search(&bytes));
        // Each capture alone, too.
        let r = analyze_capture(
            &f.display().to_string(),
            &bytes[..],
            AnalyzerConfig::default(),
        )
        .unwrap();
        let ae = values(&r, "dicom_ae_title");
        let hl7 = values(&r, "hl7_sending_application");
        for t in ae_titles_by_byte_search(&bytes) {
            assert!(
                ae.contains(&t),
                "{}: AE title {t} missing from {ae:?}",
                f.display()
            );
        }
        for s in hl7_senders_by_byte_search(&bytes) {
            assert!(
                hl7.contains(&s),
                "{}: HL7 sender {s} missing from {hl7:?}",
                f.display()
            );
        }
    }
    assert!(
        want_ae.len() >= 4,
        "byte search found too few AE titles: {want_ae:?}"
    );
    assert!(
        want_hl7.len() >= 4,
        "byte search found too few HL7 senders: {want_hl7:?}"
    );
    let r = analyze_all(&files);
    assert!(want_ae.is_subset(&values(&r, "dicom_ae_title")));
    assert!(want_hl7.is_subset(&values(&r, "hl7_sending_application")));
    // Evidence names the capture and a packet inside it.
    let dicom_dev = r
        .devices
        .iter()
        .find(|d| d.identifiers.contains_key("dicom_ae_title"))
        .unwrap();
    assert!(dicom_dev.evidence.iter().any(|e| e.protocol == "dicom"
        && e.capture.as_deref().is_some_and(|c| c.ends_with(".pcap"))
        && e.packet >= 1));
    // The DICOM captures are BSD loopback: no MAC. The HL7 captures are Ethernet: MACs.
    assert_eq!(dicom_dev.ip.unwrap().to_string(), "127.0.0.1");
    assert!(dicom_dev.mac.is_none());
    let hl7_dev = r
        .devices
        .iter()
        .find(|d| d.identifiers.contains_key("hl7_sending_application"))
        .unwrap();
    assert!(hl7_dev.mac.is_some());
    assert!(hl7_dev.protocols.contains(&"hl7".to_string()));
    // PRT-16 and OBX-18 in the UDI captures.
    assert!(values(&r, "udi").contains("Hospira Plum A+"));
    assert!(values(&r, "hl7_equipment_id").contains("Hospira Plum A+"));
    // The ADT captures carry patient names; none reaches the report.
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("MOUSE") && !json.contains("MICKEY") && !json.contains("Lake Buena"));
}

fn host(i: u8) -> Host {
    Host {
        mac: Mac([0x00, 0x1b, 0x21, 0, 0, i]),
        ip: std::net::Ipv4Addr::new(10, 1, 0, i),
    }
}

const CANARY: &str = "CANARY^TARO";

fn canary_capture() -> Vec<u8> {
    let modality = host(10);
    let pacs = host(20);
    let pump = host(30);
    let emr = host(40);
    let mut frames = Vec::new();
    let ds = synth::dicom_store_dataset("ACME Imaging", "Scanner 9000", CANARY, "CANARY-ID-42");
    let rq = synth::dicom_associate(
        1,
        "CT_SCANNER_1",
        "PACS_MAIN",
        "1.2.276.0.7230010.3.0.3.6.7",
        "OFFIS_DCMTK_367",
    );
    let ac = synth::dicom_associate(
        2,
        "CT_SCANNER_1",
        "PACS_MAIN",
        "1.2.40.0.13.1.3",
        "dcm4che-5.31",
    );
    let store = synth::dicom_c_store(&ds, 200);
    frames.extend(synth::tcp_conversation(
        modality,
        pacs,
        40001,
        104,
        &[(true, &rq), (false, &ac), (true, &store)],
        536,
        1_700_000_000_000_000,
        1000,
    ));
    let msg = format!(
        "MSH|^~\\&|PUMP^0012A3FFFE456789^EUI-64|ICU|EMR|HOSP|20240101||ORU^R01^ORU_R01|1|P|2.6\rPID|1||CANARY-ID-42^^^HOSP^MR||{CANARY}||19700101|F|||1-2-3 Canary Street\rOBX|1|NM|0^MDC_ATTR_VOL^MDC||5|ml|||||R|||20240101||||PUMP01^ACME\rNTE|1||{CANARY} note\r"
    );
    frames.extend(synth::tcp_conversation(
        pump,
        emr,
        40002,
        2575,
        &[(true, &synth::mllp(&msg))],
        100,
        1_700_000_001_000_000,
        1000,
    ));
    synth::pcap_file(&frames)
}

#[test]
fn patient_data_never_reaches_the_report() {
    let bytes = canary_capture();
    // The canary is in the capture...
    assert!(bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()));
    let r = analyze_capture("canary.pcap", &bytes[..], AnalyzerConfig::default()).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    // ...the dissectors ran (equipment tags and HL7 sender are reported)...
    assert!(
        values(&r, "dicom_manufacturer").contains("ACME Imaging"),
        "{json}"
    );
    assert!(values(&r, "dicom_model").contains("Scanner 9000"));
    assert!(values(&r, "dicom_ae_title").contains("CT_SCANNER_1"));
    assert!(values(&r, "dicom_implementation_class_uid").contains("1.2.40.0.13.1.3"));
    assert!(values(&r, "hl7_sending_application").contains("PUMP^0012A3FFFE456789^EUI-64"));
    assert!(values(&r, "eui64").contains("0012A3FFFE456789"));
    assert!(values(&r, "hl7_equipment_id").contains("PUMP01^ACME"));
    // ...and no patient datum is in it.
    for canary in ["CANARY", "Canary", "19700101"] {
        assert!(!json.contains(canary), "{canary} leaked into the report");
    }
    // Fingerprints: toolkit roots on both ends, CT from the modality tag.
    let modality = r
        .devices
        .iter()
        .find(|d| d.ip.unwrap().to_string() == "10.1.0.10")
        .unwrap();
    assert_eq!(modality.software.as_ref().unwrap().value, "DCMTK (OFFIS)");
    assert_eq!(modality.device_type.as_ref().unwrap().value, "CT scanner");
    assert_eq!(
        modality.manufacturer.as_ref().unwrap().value,
        "ACME Imaging"
    );
    let pacs = r
        .devices
        .iter()
        .find(|d| d.ip.unwrap().to_string() == "10.1.0.20")
        .unwrap();
    assert_eq!(pacs.software.as_ref().unwrap().value, "dcm4che");
    assert_eq!(
        pacs.services.iter().map(|s| s.port).collect::<Vec<_>>(),
        vec![104]
    );
}

#[test]
fn pcapng_big_endian_two_interfaces_and_raw_ip() {
    // Section in big-endian order; interface 0 Ethernet (µs), interface 1 raw IP (ns resolution).
    let be32 = |v: u32| v.to_be_bytes();
    let mut f = Vec::new();
    let block = |f: &mut Vec<u8>, ty: u32, body: &[u8]| {
        let mut body = body.to_vec();
        while !body.len().is_multiple_of(4) {
            body.push(0);
        }
        let total = (body.len() + 12) as u32;
        f.extend(be32(ty));
        f.extend(be32(total));
        f.extend(&body);
        f.extend(be32(total));
    };
    let mut shb = Vec::new();
    shb.extend(be32(0x1A2B3C4D));
    shb.extend([0, 1, 0, 0]);
    shb.extend([0xff; 8]);
    block(&mut f, 0x0A0D0D0A, &shb);
    block(&mut f, 1, &[0, 1, 0, 0, 0, 0, 0xff, 0xff]);
    // if_tsresol = 9 (ns)
    block(
        &mut f,
        1,
        &[
            0, 101, 0, 0, 0, 0, 0xff, 0xff, 0, 9, 0, 1, 9, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    let a = host(1);
    let b = host(2);
    let arp = synth::arp_request(a, b.ip);
    let ts_us: u64 = 1_600_000_000_000_000;
    let epb = |iface: u32, ts: u64, data: &[u8]| {
        let mut body = Vec::new();
        body.extend(be32(iface));
        body.extend(be32((ts >> 32) as u32));
        body.extend(be32(ts as u32));
        body.extend(be32(data.len() as u32));
        body.extend(be32(data.len() as u32));
        body.extend(data);
        body
    };
    block(&mut f, 6, &epb(0, ts_us, &arp));
    let raw = synth::ipv4(
        b.ip,
        std::net::Ipv4Addr::new(203, 0, 113, 9),
        6,
        &synth::tcp(40000, 443, 1, 0, synth::SYN, &[]),
    );
    block(&mut f, 6, &epb(1, (ts_us + 5) * 1000, &raw));
    block(&mut f, 5, &[0; 16]); // interface statistics: skipped
    let mut reader = mdsec_discovery::read_capture("be.pcapng", &f[..]).unwrap();
    let p1 = reader.next_packet().unwrap().unwrap().to_owned();
    assert_eq!(
        (p1.number, p1.ts_micros, p1.link_type),
        (1, ts_us as i64, mdsec_discovery::LinkType::Ethernet)
    );
    let p2 = reader.next_packet().unwrap().unwrap().to_owned();
    assert_eq!(
        (p2.number, p2.ts_micros, p2.link_type),
        (2, ts_us as i64 + 5, mdsec_discovery::LinkType::Raw)
    );
    assert!(reader.next_packet().unwrap().is_none());

    let r = analyze_capture("be.pcapng", &f[..], AnalyzerConfig::default()).unwrap();
    let dev_a = r
        .devices
        .iter()
        .find(|d| d.ip == Some(a.ip.into()))
        .unwrap();
    assert_eq!(dev_a.mac, Some(a.mac));
    assert!(dev_a.protocols.contains(&"arp".to_string()));
    // 10.1.0.2 was seen only on the raw interface: no MAC.
    let dev_b = r
        .devices
        .iter()
        .find(|d| d.ip == Some(b.ip.into()))
        .unwrap();
    assert_eq!(dev_b.mac, None);
    // It connected outside: recorded as an external flow and alerted.
    let flow = r.flows.iter().find(|f| f.port == 443).unwrap();
    assert!(flow.external && !flow.registered);
    assert!(r
        .alerts
        .iter()
        .any(|a| a.kind == mdsec_discovery::AlertKind::ExternalConnection
            && a.device == std::net::IpAddr::from(b.ip)));
}

#[test]
fn registered_endpoint_suppresses_the_external_alert() {
    let inside = host(5);
    let vendor = Host {
        mac: Mac([0x00, 0x1b, 0x21, 9, 9, 9]),
        ip: std::net::Ipv4Addr::new(198, 51, 100, 7),
    };
    let other = Host {
        mac: vendor.mac,
        ip: std::net::Ipv4Addr::new(192, 0, 2, 1),
    };
    let mut frames = synth::tcp_conversation(
        inside,
        vendor,
        40000,
        443,
        &[(true, &synth::tls_client_hello("remote.vendor.example"))],
        1400,
        1_000_000,
        10,
    );
    frames.extend(synth::tcp_conversation(
        inside,
        other,
        40001,
        443,
        &[(true, &synth::tls_client_hello("files.elsewhere.example"))],
        1400,
        2_000_000,
        10,
    ));
    let bytes = synth::pcap_file(&frames);
    let cfg = AnalyzerConfig {
        registered_endpoints: vec!["remote.vendor.example".parse().unwrap()],
        ..Default::default()
    };
    let r = analyze_capture("x.pcap", &bytes[..], cfg).unwrap();
    let ext: Vec<_> = r
        .alerts
        .iter()
        .filter(|a| a.kind == mdsec_discovery::AlertKind::ExternalConnection)
        .collect();
    assert_eq!(ext.len(), 1, "{:?}", r.alerts);
    assert_eq!(ext[0].peer, Some(other.ip.into()));
    let f = r
        .flows
        .iter()
        .find(|f| f.server == std::net::IpAddr::from(vendor.ip))
        .unwrap();
    assert!(f.registered && f.external);
    assert_eq!(f.server_name.as_deref(), Some("remote.vendor.example"));
    // By network, too.
    let cfg = AnalyzerConfig {
        registered_endpoints: vec![
            "198.51.100.0/24".parse().unwrap(),
            "192.0.2.1".parse().unwrap(),
        ],
        ..Default::default()
    };
    let r = analyze_capture("x.pcap", &bytes[..], cfg).unwrap();
    assert!(!r
        .alerts
        .iter()
        .any(|a| a.kind == mdsec_discovery::AlertKind::ExternalConnection));
}

#[test]
fn cleartext_hl7_to_outside_smbv1_and_telnet_alert() {
    let inside = host(7);
    let outside = Host {
        mac: Mac([0x00, 0x1b, 0x21, 8, 8, 8]),
        ip: std::net::Ipv4Addr::new(203, 0, 113, 50),
    };
    let nas = host(8);
    let mut frames = synth::tcp_conversation(
        inside,
        outside,
        40000,
        2575,
        &[(
            true,
            &synth::mllp("MSH|^~\\&|LAB|HOSP|X|Y|2024||ORU^R01|1|P|2.5\r"),
        )],
        1400,
        1_000_000,
        10,
    );
    let mut smb1 = b"\xffSMB\x72".to_vec();
    smb1.extend([0, 0, 0, 0, 0x98]);
    smb1.resize(40, 0);
    let mut nb = vec![0, 0, 0, smb1.len() as u8];
    nb.extend(smb1);
    frames.extend(synth::tcp_conversation(
        inside,
        nas,
        40001,
        445,
        &[(false, &nb)],
        1400,
        2_000_000,
        10,
    ));
    frames.extend(synth::tcp_conversation(
        inside,
        nas,
        40002,
        23,
        &[(false, b"\r\nlogin: ")],
        1400,
        3_000_000,
        10,
    ));
    let r = analyze_capture(
        "x.pcap",
        &synth::pcap_file(&frames)[..],
        AnalyzerConfig::default(),
    )
    .unwrap();
    use mdsec_discovery::AlertKind::*;
    let kinds: BTreeSet<_> = r
        .alerts
        .iter()
        .map(|a| (a.kind, a.device.to_string()))
        .collect();
    assert!(
        kinds.contains(&(CleartextPatientDataExternal, "10.1.0.7".into())),
        "{kinds:?}"
    );
    assert!(kinds.contains(&(ExternalConnection, "10.1.0.7".into())));
    assert!(kinds.contains(&(Smbv1, "10.1.0.8".into())));
    assert!(kinds.contains(&(Telnet, "10.1.0.8".into())));
    let nas_dev = r
        .devices
        .iter()
        .find(|d| d.ip == Some(nas.ip.into()))
        .unwrap();
    assert!(nas_dev.identifiers["telnet_banner"].contains(&"login:".to_string()));
}

#[test]
fn invalid_captures_name_file_and_place() {
    let e = analyze_capture(
        "junk.bin",
        &b"hello world, not a capture"[..],
        AnalyzerConfig::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("junk.bin: byte 0:") && e.contains("not a pcap"),
        "{e}"
    );
    let mut f = synth::pcap_file(&[(0, synth::arp_request(host(1), host(2).ip))]);
    f.extend([0; 16]);
    f.truncate(f.len() - 3);
    let e = analyze_capture("cut.pcap", &f[..], AnalyzerConfig::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("cut.pcap: packet 2, byte 82:"), "{e}");
    // A record claiming a huge length is refused before anything is allocated.
    let mut f = synth::pcap_header(1);
    f.extend([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
    let e = analyze_capture("huge.pcap", &f[..], AnalyzerConfig::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("packet 1, byte 32") && e.contains("over the limit"),
        "{e}"
    );
    // Nanosecond big-endian pcap reads.
    let mut f = vec![
        0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 1,
    ];
    let frame = synth::arp_request(host(1), host(2).ip);
    f.extend(10u32.to_be_bytes());
    f.extend(5_000u32.to_be_bytes());
    f.extend((frame.len() as u32).to_be_bytes());
    f.extend((frame.len() as u32).to_be_bytes());
    f.extend(&frame);
    let mut r = mdsec_discovery::read_capture("ns.pcap", &f[..]).unwrap();
    assert_eq!(r.next_packet().unwrap().unwrap().ts_micros, 10_000_005);
}

#[test]
fn reassembly_out_of_order_and_limits() {
    // Server certificate split into tiny segments delivered in reverse pairs.
    let client = host(1);
    let server = host(2);
    let flight = synth::tls_server_flight(&synth::certificate("infusion-gw.local", "ACME Medical"));
    let mut frames =
        synth::tcp_conversation(client, server, 40000, 443, &[(false, &flight)], 40, 0, 10);
    // Swap each pair of data segments (handshake = 3 frames, FINs = last 2).
    let n = frames.len();
    let mut i = 3;
    while i + 1 < n - 2 {
        frames.swap(i, i + 1);
        i += 2;
    }
    let r = analyze_capture(
        "ooo.pcap",
        &synth::pcap_file(&frames)[..],
        AnalyzerConfig::default(),
    )
    .unwrap();
    assert!(
        values(&r, "tls_certificate_subject").contains("CN=infusion-gw.local, O=ACME Medical"),
        "{:?}",
        r.devices
    );
    // A per-direction cap smaller than the flight: nothing beyond it is read, no panic.
    let mut cfg = AnalyzerConfig::default();
    cfg.limits.stream_bytes_per_direction = 60;
    let r = analyze_capture("ooo.pcap", &synth::pcap_file(&frames)[..], cfg).unwrap();
    assert!(values(&r, "tls_certificate_subject").is_empty());
    // Device cap.
    let mut cfg = AnalyzerConfig::default();
    cfg.limits.max_devices = 1;
    let r = analyze_capture("ooo.pcap", &synth::pcap_file(&frames)[..], cfg).unwrap();
    assert_eq!(r.devices.len(), 1);
    assert!(r
        .summary
        .limits_reached
        .contains(&"max_devices".to_string()));
}
