//! Writes a large Ethernet pcap for the passive-discovery benchmark (`bench/pcap-vs-tshark`).
//!
//! Flow shapes are real where we have them and synthetic where we do not: each repetition replays
//! the HL7 captures of `../shared/data/pcap-medical` (Ethernet, rewritten to new IP and MAC
//! addresses), replays the DICOM association payloads of the loopback captures as a new TCP
//! connection between two hosts, and adds ARP, DHCP, an HTTP page from a device web server and a TLS
//! session (ClientHello with SNI, certificate, application data) to an outside address. Addresses
//! rotate over `HOSTS` internal hosts (and 250 outside servers) so the file holds more than 5,000
//! devices. Usage: gen_pcap OUT.pcap [SIZE_MB=1024]
use mdsec_discovery::synth::{self, Host};
use mdsec_discovery::{read_capture, LinkType, Mac};
use std::io::{BufWriter, Write};
use std::net::Ipv4Addr;

/// Internal hosts the repetitions rotate over.
const HOSTS: u32 = 6_000;

fn host(i: u32) -> Host {
    let i = i % HOSTS;
    Host {
        mac: Mac([0x00, 0x1b, 0x21, (i >> 16) as u8, (i >> 8) as u8, i as u8]),
        ip: Ipv4Addr::new(10, 20 + (i / 250) as u8, (i % 250) as u8 + 1, 10),
    }
}

fn outside(i: u32) -> Host {
    Host {
        mac: Mac([0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
        ip: Ipv4Addr::new(198, 51, 100, (i % 250) as u8 + 1),
    }
}

/// Ethernet frames of the HL7 captures, with the address of the side that spoke first (every
/// other IPv4 frame comes from the other side).
struct Replay {
    frames: Vec<(i64, Vec<u8>)>,
    a: Ipv4Addr,
}

fn rewrite(frame: &[u8], from: &Replay, to_a: Host, to_b: Host) -> Vec<u8> {
    let mut f = frame.to_vec();
    if f.len() < 34 || f[12..14] != [8, 0] {
        return f;
    }
    let src = Ipv4Addr::new(f[26], f[27], f[28], f[29]);
    let (s, d) = if src == from.a {
        (to_a, to_b)
    } else {
        (to_b, to_a)
    };
    f[0..6].copy_from_slice(&d.mac.0);
    f[6..12].copy_from_slice(&s.mac.0);
    f[26..30].copy_from_slice(&s.ip.octets());
    f[30..34].copy_from_slice(&d.ip.octets());
    f
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out_path = args.get(1).ok_or("usage: gen_pcap OUT.pcap [SIZE_MB]")?;
    let size_mb: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(1024);
    let target = size_mb * 1024 * 1024;
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/data/pcap-medical"
    );
    let mut replays = Vec::new();
    let mut dicom_payloads: Vec<Vec<u8>> = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    names.sort();
    for p in names
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
    {
        let name = p.display().to_string();
        let mut r = read_capture(&name, std::fs::File::open(p)?)?;
        let mut frames = Vec::new();
        let mut t0 = None;
        while let Some(pk) = r.next_packet()? {
            let t = *t0.get_or_insert(pk.ts_micros);
            match pk.link_type {
                LinkType::Ethernet => frames.push((pk.ts_micros - t, pk.data.to_vec())),
                LinkType::Null => {
                    // Loopback DICOM: keep the TCP payload (IPv4 + TCP headers skipped).
                    let ip = &pk.data[4..];
                    let ihl = usize::from(ip[0] & 15) * 4;
                    let tcp = &ip[ihl..];
                    let off = usize::from(tcp[12] >> 4) * 4;
                    dicom_payloads.push(tcp[off..].to_vec());
                }
                _ => {}
            }
        }
        if let Some((_, f)) = frames.first() {
            let a = Ipv4Addr::new(f[26], f[27], f[28], f[29]);
            replays.push(Replay { frames, a });
        }
    }
    // One DICOM association stream: the payloads of the loopback captures in order.
    let dicom: Vec<u8> = dicom_payloads.concat();
    let page = {
        let mut body = String::from("<html><head><title>Infusion Gateway</title></head><body>");
        while body.len() < 24_000 {
            body.push_str("<div class=\"row\">status ok; channel A idle; channel B idle</div>\n");
        }
        body.push_str("</body></html>");
        format!(
            "HTTP/1.1 200 OK\r\nServer: GoAhead-Webs/2.5\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let cert = synth::certificate("remote.vendor.example", "Example Vendor");
    let flight = synth::tls_server_flight(&cert);
    let app_data: Vec<u8> = {
        let mut v = Vec::new();
        for _ in 0..6 {
            v.extend([23, 3, 3, 0x3f, 0xf0]);
            v.extend(std::iter::repeat_n(0x5a, 0x3ff0));
        }
        v
    };

    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out_path)?);
    let header = synth::pcap_header(1);
    w.write_all(&header)?;
    let mut written = header.len() as u64;
    let mut t: i64 = 1_700_000_000_000_000;
    let mut rep: u32 = 0;
    let mut rec = Vec::with_capacity(70_000);
    let mut emit = |frames: &[(i64, Vec<u8>)],
                    w: &mut BufWriter<std::fs::File>,
                    written: &mut u64|
     -> std::io::Result<()> {
        for (ts, f) in frames {
            rec.clear();
            synth::pcap_record(&mut rec, *ts, f);
            w.write_all(&rec)?;
            *written += rec.len() as u64;
        }
        Ok(())
    };
    while written < target {
        let a = host(rep.wrapping_mul(7));
        let b = host(rep.wrapping_mul(7) + 1);
        let c = host(rep.wrapping_mul(7) + 2);
        let pacs = host(rep % 40 + 5_900);
        let mut frames: Vec<(i64, Vec<u8>)> = Vec::new();
        frames.push((t, synth::arp_request(a, b.ip)));
        let dhcp = synth::dhcp_request(
            c.mac,
            &[
                (12, format!("dev-{rep}").as_bytes()),
                (60, b"udhcp 1.30.1"),
                (55, &[1, 3, 6, 12, 15, 28, 42]),
            ],
        );
        let bcast = Host {
            mac: Mac([0xff; 6]),
            ip: Ipv4Addr::BROADCAST,
        };
        let zero = Host {
            mac: c.mac,
            ip: Ipv4Addr::UNSPECIFIED,
        };
        frames.push((t + 10, synth::udp_frame(zero, bcast, 68, 67, &dhcp)));
        for r in &replays {
            let (x, y) = (host(rep.wrapping_mul(7) + 3), host(rep.wrapping_mul(7) + 4));
            for (dt, f) in &r.frames {
                frames.push((t + 100 + dt / 1000, rewrite(f, r, x, y)));
            }
        }
        let port = 40_000 + (rep % 20_000) as u16;
        frames.extend(synth::tcp_conversation(
            a,
            pacs,
            port,
            104,
            &[(true, &dicom)],
            1448,
            t + 2_000,
            20,
        ));
        frames.extend(synth::tcp_conversation(
            b,
            c,
            port,
            80,
            &[
                (
                    true,
                    b"GET / HTTP/1.1\r\nHost: 10.0.0.1\r\nUser-Agent: curl/7.88\r\n\r\n",
                ),
                (false, &page),
            ],
            1448,
            t + 4_000,
            20,
        ));
        let ext = outside(rep);
        frames.extend(synth::tcp_conversation(
            c,
            ext,
            port,
            443,
            &[
                (true, &synth::tls_client_hello("remote.vendor.example")),
                (false, &flight),
                (true, &app_data),
                (false, &app_data),
            ],
            1448,
            t + 6_000,
            20,
        ));
        frames.sort_by_key(|f| f.0);
        emit(&frames, &mut w, &mut written)?;
        t += 10_000;
        rep += 1;
    }
    w.flush()?;
    eprintln!(
        "{out_path}: {} MB, {rep} repetitions, {} internal hosts",
        written >> 20,
        (rep.saturating_mul(7)).min(HOSTS) + 40
    );
    Ok(())
}
