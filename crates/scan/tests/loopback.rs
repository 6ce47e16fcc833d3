//! The scanner against services on 127.0.0.1 (loopback only): open, closed and silent ports, the
//! read-only probes, and the limiter's own accounting.

use mdsec_scan::{parse_net_list, scan, PortState, ProbeKind, RateLimits, ScanConfig, Scope};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// A listener on 127.0.0.1 that answers every connection with `reply(request_bytes)`.
fn serve(greeting: &'static [u8], reply: fn(&[u8]) -> Vec<u8>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming() {
            let Ok(mut c) = c else { continue };
            std::thread::spawn(move || {
                let _ = c.write_all(greeting);
                c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                let mut buf = [0u8; 4096];
                while let Ok(n) = c.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let r = reply(&buf[..n]);
                    if r.is_empty() {
                        continue;
                    }
                    if c.write_all(&r).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

fn dicom_reply(rq: &[u8]) -> Vec<u8> {
    match rq.first() {
        Some(1) => {
            let mut body = vec![0, 1, 0, 0];
            body.extend_from_slice(&rq[10..42]);
            body.extend_from_slice(&[0; 32]);
            let mut ui = vec![0x52, 0, 0, 9];
            ui.extend_from_slice(b"1.2.3.4.5");
            ui.extend_from_slice(&[0x55, 0, 0, 7]);
            ui.extend_from_slice(b"TESTSCP");
            body.extend_from_slice(&[0x21, 0, 0, 8, 1, 0, 0, 0, 0x40, 0, 0, 0]);
            body.extend_from_slice(&[0x50, 0, 0, ui.len() as u8]);
            body.extend_from_slice(&ui);
            let mut pdu = vec![2, 0];
            pdu.extend_from_slice(&(body.len() as u32).to_be_bytes());
            pdu.extend_from_slice(&body);
            pdu
        }
        Some(5) => vec![6, 0, 0, 0, 0, 4, 0, 0, 0, 0],
        _ => vec![],
    }
}

#[test]
fn finds_open_ports_and_reads_what_they_say() {
    let ssh = serve(b"SSH-2.0-InfusionOS_1.2\r\n", |_| vec![]);
    let http = serve(b"", |_| {
        b"HTTP/1.0 200 OK\r\nServer: PumpWeb/3.1\r\n\r\n".to_vec()
    });
    let dicom = serve(b"", dicom_reply);
    let silent = serve(b"", |_| vec![]);
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let scope = Scope::new(parse_net_list("targets", "127.0.0.1").unwrap(), vec![]).unwrap();
    let mut cfg = ScanConfig::new(scope, vec![ssh, http, dicom, silent, closed]);
    cfg.limits = RateLimits::new(50, 200).unwrap();
    cfg.services.insert(ssh, ("ssh", ProbeKind::ServerBanner));
    cfg.services.insert(http, ("http", ProbeKind::HttpHead));
    cfg.services
        .insert(dicom, ("dicom", ProbeKind::DicomAssociate));
    cfg.read_timeout = Duration::from_millis(500);
    let started = Instant::now();
    let r = scan(&cfg, &AtomicBool::new(false)).unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(r.devices.len(), 1, "{r:#?}");
    let h = &r.devices[0];
    assert_eq!(h.ip, Ipv4Addr::LOCALHOST);
    let mut open = vec![ssh, http, dicom, silent];
    open.sort();
    assert_eq!(h.open_ports, open);
    let state = |p| h.ports.iter().find(|x| x.port == p).unwrap().state;
    assert_eq!(state(closed), PortState::Closed);
    assert!(h.alive_by.contains(&"icmp"), "{:?}", h.alive_by);
    assert_eq!(
        r.over_budget_packets, 0,
        "every step stayed within what it declared"
    );
    let id = |k: &str| h.identifiers.get(k).cloned().unwrap_or_default();
    assert_eq!(id("ssh_banner"), vec!["SSH-2.0-InfusionOS_1.2"]);
    assert_eq!(id("http_server"), vec!["PumpWeb/3.1"]);
    assert_eq!(id("dicom_implementation_class_uid"), vec!["1.2.3.4.5"]);
    assert_eq!(id("dicom_implementation_version_name"), vec!["TESTSCP"]);
    assert_eq!(id("dicom_association"), vec!["accepted (Verification)"]);
    assert_eq!(h.packets_sent, r.packets_sent);
    eprintln!("packets sent: {}", r.packets_sent);
}
