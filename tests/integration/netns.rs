//! Discovery on the namespace test network (`tests/netns/setup.sh`): 10.99.0.0/24 exists only inside
//! network namespaces these tests create and remove. The scanner runs inside its own namespace
//! (`ip netns exec`). What reaches each device is counted by tcpdump inside that device's namespace,
//! independently of the scanner. Needs CAP_NET_ADMIN: without it the tests fail, saying so.

use super::mdsec_bin;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const SCANNER: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 1);
const WINDOW_US: u64 = 1_000_000;

fn setup_sh() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netns/setup.sh")
}

#[derive(Debug, Clone)]
struct Device {
    ns: String,
    ip: Ipv4Addr,
    kind: String,
    open: Vec<u16>,
    expect: String,
}

/// A test network; removed on drop (and by setup.sh's own trap if creating it fails).
struct TestNet {
    prefix: String,
    state: tempfile::TempDir,
    devices: Vec<Device>,
}

impl TestNet {
    fn up(profile: &str) -> TestNet {
        static N: AtomicUsize = AtomicUsize::new(0);
        let prefix = format!(
            "mdsec-t-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let state = tempfile::Builder::new()
            .prefix("mdsec-netns-")
            .tempdir()
            .unwrap();
        let out = Command::new(setup_sh())
            .args(["up", &prefix, profile])
            .arg(state.path())
            .output()
            .expect("run tests/netns/setup.sh");
        let mut net = TestNet {
            prefix,
            state,
            devices: Vec::new(),
        };
        if out.status.code() == Some(3) {
            panic!(
                "this test needs CAP_NET_ADMIN to create network namespaces (run the tests as root): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            out.status.success(),
            "setting up the test network failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifest = std::fs::read_to_string(net.state.path().join("devices.tsv")).unwrap();
        let devices = manifest
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                Device {
                    ns: f[0].into(),
                    ip: f[1].parse().unwrap(),
                    kind: f[2].into(),
                    open: if f[3] == "-" {
                        vec![]
                    } else {
                        f[3].split(',').map(|p| p.parse().unwrap()).collect()
                    },
                    expect: f[4].into(),
                }
            })
            .collect();
        net.devices = devices;
        net
    }

    fn ns(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    fn exec(&self, ns: &str, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns, program]);
        c
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        let _ = Command::new(setup_sh())
            .args(["down", &self.prefix])
            .status();
    }
}

/// tcpdump in a namespace, writing every frame it sees to a file.
struct Counter {
    child: Child,
    file: PathBuf,
}

impl Counter {
    /// `direction`: `Some("in")` counts only frames arriving on the interface.
    fn start(net: &TestNet, ns: &str, iface: &str, direction: Option<&str>, name: &str) -> Counter {
        let file = net.state.path().join(format!("{name}.pcap"));
        let mut cmd = net.exec(ns, "tcpdump");
        cmd.args(["-i", iface, "-n", "-U", "-s", "128", "-w"])
            .arg(&file);
        if let Some(d) = direction {
            cmd.args(["-Q", d]);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump");
        // tcpdump says "listening on" once the capture is open.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("listening on") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("tcpdump in {ns} did not start"));
        Counter { child, file }
    }

    fn stop(mut self) -> Vec<Frame> {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        read_pcap(&self.file)
    }
}

#[derive(Debug, Clone)]
struct Frame {
    ts_us: u64,
    data: Vec<u8>,
}

impl Frame {
    fn ethertype(&self) -> u16 {
        u16::from_be_bytes([self.data[12], self.data[13]])
    }
    /// (source, destination) of an IPv4 frame.
    fn ipv4(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        if self.ethertype() != 0x0800 || self.data.len() < 34 {
            return None;
        }
        let a = |o: usize| {
            Ipv4Addr::new(
                self.data[o],
                self.data[o + 1],
                self.data[o + 2],
                self.data[o + 3],
            )
        };
        Some((a(26), a(30)))
    }
    /// (sender, target) protocol addresses of an ARP request.
    fn arp_request(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        if self.ethertype() != 0x0806 || self.data.len() < 42 || self.data[21] != 1 {
            return None;
        }
        let a = |o: usize| {
            Ipv4Addr::new(
                self.data[o],
                self.data[o + 1],
                self.data[o + 2],
                self.data[o + 3],
            )
        };
        Some((a(28), a(38)))
    }
}

/// A little-endian microsecond pcap file as tcpdump writes it.
fn read_pcap(path: &Path) -> Vec<Frame> {
    let b = std::fs::read(path).unwrap_or_default();
    assert!(b.len() >= 24, "{} is not a pcap file", path.display());
    assert_eq!(&b[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "unexpected pcap magic");
    let mut frames = Vec::new();
    let mut at = 24;
    while at + 16 <= b.len() {
        let u = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let (sec, usec, incl) = (u(at), u(at + 4), u(at + 8) as usize);
        let Some(data) = b.get(at + 16..at + 16 + incl) else {
            break;
        };
        if data.len() >= 14 {
            frames.push(Frame {
                ts_us: u64::from(sec) * 1_000_000 + u64::from(usec),
                data: data.to_vec(),
            });
        }
        at += 16 + incl;
    }
    frames
}

/// Most timestamps in any half-open 1-second window (counted here, not by the scanner's code).
fn max_per_window(mut t: Vec<u64>) -> usize {
    t.sort_unstable();
    let mut best = 0;
    for i in 0..t.len() {
        let n = t[i..].iter().take_while(|x| **x < t[i] + WINDOW_US).count();
        best = best.max(n);
    }
    best
}

/// Run a command, killing it after `limit`.
fn run_bounded(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let id = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
    }
}

#[test]
fn netns_active_scan_finds_every_device_within_the_rate_and_never_touches_do_not_scan() {
    let net = TestNet::up("full");
    let ports = [21u16, 22, 23, 80, 104, 2575, 11112];
    let dns = net
        .devices
        .iter()
        .find(|d| d.expect == "dns")
        .expect("a do-not-scan device")
        .clone();
    assert!(net.devices.len() >= 20, "at least 20 simulated devices");
    let counters: Vec<(Device, Counter)> = net
        .devices
        .iter()
        .map(|d| {
            let name = d.ns.rsplit('-').next().unwrap().to_string();
            (
                d.clone(),
                Counter::start(&net, &d.ns, "eth0", Some("in"), &name),
            )
        })
        .collect();
    let started = Instant::now();
    let mut cmd = net.exec(&net.ns("s"), mdsec_bin());
    cmd.args([
        "discover",
        "scan",
        "--targets",
        "10.99.0.0/26",
        "--ports",
        &ports.map(|p| p.to_string()).join(","),
        "--do-not-scan",
        &dns.ip.to_string(),
        "--json",
    ]);
    let out = run_bounded(cmd, Duration::from_secs(150));
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let found: BTreeMap<Ipv4Addr, &serde_json::Value> = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["ip"].as_str().unwrap().parse().unwrap(), d))
        .collect();
    eprintln!("scan took {took:?}; {} devices answered", found.len());

    // What each device's own tcpdump saw.
    let mut total_to_devices = 0;
    for (d, counter) in counters {
        let frames = counter.stop();
        let to_it: Vec<u64> = frames
            .iter()
            .filter(|f| f.ipv4() == Some((SCANNER, d.ip)))
            .map(|f| f.ts_us)
            .collect();
        let arp_for_it = frames
            .iter()
            .filter(|f| {
                f.arp_request()
                    .is_some_and(|(s, t)| s == SCANNER && t == d.ip)
            })
            .count();
        let worst = max_per_window(to_it.clone());
        let claimed = found.get(&d.ip).and_then(|h| h["packets_sent"].as_u64());
        eprintln!(
            "{:<12} {:<15} {:<11} IP packets {:>3} (scanner says {:?}), most in 1 s {}, ARP requests {}",
            d.ns.rsplit('-').next().unwrap(),
            d.ip,
            d.kind,
            to_it.len(),
            claimed,
            worst,
            arp_for_it
        );
        total_to_devices += to_it.len();
        if d.expect == "dns" {
            assert_eq!(to_it.len(), 0, "a do-not-scan host received IP packets");
            assert_eq!(arp_for_it, 0, "the scanner resolved a do-not-scan host");
            assert!(!found.contains_key(&d.ip));
            continue;
        }
        if d.expect == "dark" {
            // It answers not even ARP, so no IP packet can reach it; the scanner did try.
            assert_eq!(to_it.len(), 0);
            assert!(
                arp_for_it > 0,
                "{}: the scanner never tried to reach it",
                d.ns
            );
            assert!(!found.contains_key(&d.ip), "{} answers nothing", d.ns);
            continue;
        }
        assert!(
            !to_it.is_empty(),
            "{}: its counter saw nothing; the counter or the scan is broken",
            d.ns
        );
        assert!(
            worst <= 3,
            "{} received {worst} packets in one 1-second window (per-host rate 3)",
            d.ns
        );
        if let Some(claimed) = claimed {
            assert!(
                to_it.len() as u64 <= claimed,
                "{}: {} packets on the wire but the scanner accounted only {claimed}",
                d.ns,
                to_it.len()
            );
        }
        match d.expect.as_str() {
            "alive" => {
                let h = found
                    .get(&d.ip)
                    .unwrap_or_else(|| panic!("{} ({}, {}) was not found", d.ns, d.ip, d.kind));
                let open: Vec<u16> = h["open_ports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_u64().unwrap() as u16)
                    .collect();
                let want: Vec<u16> = d
                    .open
                    .iter()
                    .copied()
                    .filter(|p| ports.contains(p))
                    .collect();
                assert_eq!(open, want, "{} open ports", d.ns);
            }
            other => panic!("unknown expectation {other}"),
        }
    }
    assert!(total_to_devices > 0);
    // Nothing else answered: every device found is one of ours.
    for ip in found.keys() {
        assert!(
            net.devices.iter().any(|d| d.ip == *ip),
            "unexpected host {ip}"
        );
    }

    // The read-only probes identified what they could.
    let ident = |ip: &str, key: &str| -> Vec<String> {
        found[&ip.parse::<Ipv4Addr>().unwrap()]["identifiers"][key]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let uid = ident("10.99.0.11", "dicom_implementation_class_uid");
    assert!(
        uid.iter().any(|u| u.starts_with("1.2.276.0.7230010.3")),
        "dcmtk's implementation class UID root: {uid:?}"
    );
    assert_eq!(
        ident("10.99.0.17", "http_server"),
        vec!["InfusionPumpWeb/2.1"]
    );
    assert_eq!(
        ident("10.99.0.20", "ssh_banner"),
        vec!["SSH-2.0-OpenSSH_7.4 VentilatorOS"]
    );
    assert_eq!(ident("10.99.0.22", "telnet_banner"), vec!["VxWorks login:"]);
    assert_eq!(
        ident("10.99.0.23", "ftp_banner"),
        vec!["220 Analyzer FTP server ready"]
    );
    assert!(ident("10.99.0.24", "dicom_association")
        .iter()
        .any(|a| a.starts_with("accepted")));
    // Hosts that answer no IP were still found by their ARP answer.
    let alive_by = |ip: &str| found[&ip.parse::<Ipv4Addr>().unwrap()]["alive_by"].to_string();
    assert_eq!(alive_by("10.99.0.29"), r#"["arp"]"#);
    assert!(!alive_by("10.99.0.28").contains("icmp"));
}

#[test]
fn netns_passive_listen_sends_nothing_and_finds_the_devices() {
    let net = TestNet::up("listen");
    // With --apply the devices go into an (empty) ledger's observations and each is an unknown
    // device: the device safety officer is e-mailed through a real SMTP server, which runs in the
    // monitor namespace because that is where mdsec runs (its own loopback).
    let dir = crate::data_dir();
    let out = crate::mdsec(
        dir.path(),
        &[
            "user",
            "add",
            "dso",
            "--role",
            "device_safety",
            "--email",
            "dso@hospital.test",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let smtp = crate::smtp_sink::SmtpSink::start_in(Some(&net.ns("mon")));
    // Frames leaving the monitor namespace arrive at its bridge port: there must be none.
    let from_monitor = Counter::start(&net, &net.ns("br"), "pmon", Some("in"), "from-monitor");
    let mut listen = net.exec(&net.ns("mon"), mdsec_bin());
    listen
        .args([
            "discover",
            "listen",
            "--interface",
            "eth0",
            "--duration",
            "8",
            "--json",
            "--apply",
        ])
        .arg("--data-dir")
        .arg(dir.path())
        .env("MDSEC_SMTP_URL", smtp.url())
        .env("MDSEC_MAIL_FROM", "mdsec@hospital.test")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = listen.spawn().expect("start mdsec discover listen");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("listening on") {
                let _ = tx.send(None);
            }
            lines.push(line);
        }
        let _ = tx.send(Some(lines.join("\n")));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(None) => {}
        other => panic!("listen did not start: {other:?}"),
    }
    // Traffic between the other namespaces: a DICOM echo and an HL7 message.
    let echo = run_bounded(
        {
            let mut c = net.exec(&net.ns("s"), "echoscu");
            c.args([
                "-aet",
                "WORKSTATION_1",
                "-aec",
                "CT_SCANNER_1",
                "10.99.0.11",
                "104",
            ]);
            c
        },
        Duration::from_secs(20),
    );
    assert!(
        echo.status.success(),
        "echoscu: {}",
        String::from_utf8_lossy(&echo.stderr)
    );
    let hl7 = run_bounded(
        {
            let mut c = net.exec(&net.ns("s"), "python3");
            c.args([
                "-c",
                "import socket; s=socket.create_connection(('10.99.0.14',2575),5); \
                 s.sendall(b'\\x0bMSH|^~\\\\&|INFUSION_PUMP|ICU_WARD|EMR|HOSP|20260101120000||ORU^R01|MSG0001|P|2.6\\r\
OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97|%|||||F|||||||PUMP-0042\\r\\x1c\\x0d'); \
                 print(s.recv(4096))",
            ]);
            c
        },
        Duration::from_secs(20),
    );
    assert!(
        hl7.status.success(),
        "hl7 sender: {}",
        String::from_utf8_lossy(&hl7.stderr)
    );
    assert!(
        String::from_utf8_lossy(&hl7.stdout).contains("MSA|AA"),
        "the HL7 listener acknowledged"
    );
    let out = child.wait_with_output().unwrap();
    let log = rx
        .recv_timeout(Duration::from_secs(5))
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(out.status.success(), "listen failed: {log}");
    let sent = from_monitor.stop();
    assert_eq!(
        sent.len(),
        0,
        "the listening namespace sent {} frames",
        sent.len()
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let device = |ip: &str| {
        report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["ip"] == ip)
            .unwrap_or_else(|| panic!("{ip} not found: {report:#}"))
            .clone()
    };
    let values = |d: &serde_json::Value, key: &str| d["identifiers"][key].to_string();
    let scp = device("10.99.0.11");
    assert!(
        values(&scp, "dicom_ae_title").contains("CT_SCANNER_1"),
        "{scp:#}"
    );
    assert!(
        values(&scp, "dicom_implementation_class_uid").contains("1.2.276.0.7230010.3"),
        "{scp:#}"
    );
    let client = device("10.99.0.1");
    assert!(
        values(&client, "hl7_sending_application").contains("INFUSION_PUMP"),
        "{client:#}"
    );
    assert!(
        values(&client, "dicom_ae_title").contains("WORKSTATION_1"),
        "{client:#}"
    );
    device("10.99.0.14");
    // The unknown-device alerts reached the SMTP server, one per device, to the officer.
    let mails = smtp.wait_for(3);
    assert!(
        mails.iter().all(|m| m.to == "dso@hospital.test"),
        "{mails:#?}"
    );
    for ip in ["10.99.0.11", "10.99.0.14"] {
        assert_eq!(
            mails.iter().filter(|m| m.subject.contains(ip)).count(),
            1,
            "{ip}: {mails:#?}"
        );
    }
    eprintln!("listen: {log}");
}
