//! Builders of synthetic packets and capture files: for tests, fuzz seeds and the benchmark
//! generator. Everything here writes into memory; nothing is sent anywhere.

use crate::net::Mac;
use std::net::Ipv4Addr;

/// A classic pcap file header (little endian, microseconds) for `linktype`.
pub fn pcap_header(linktype: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend(0xa1b2_c3d4u32.to_le_bytes());
    h.extend(2u16.to_le_bytes());
    h.extend(4u16.to_le_bytes());
    h.extend(0i32.to_le_bytes());
    h.extend(0u32.to_le_bytes());
    h.extend(262_144u32.to_le_bytes());
    h.extend(linktype.to_le_bytes());
    h
}

/// Append one pcap record.
pub fn pcap_record(out: &mut Vec<u8>, ts_micros: i64, frame: &[u8]) {
    let secs = ts_micros.div_euclid(1_000_000) as u32;
    let us = ts_micros.rem_euclid(1_000_000) as u32;
    out.extend(secs.to_le_bytes());
    out.extend(us.to_le_bytes());
    out.extend((frame.len() as u32).to_le_bytes());
    out.extend((frame.len() as u32).to_le_bytes());
    out.extend_from_slice(frame);
}

/// A whole pcap file of Ethernet frames.
pub fn pcap_file(frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut out = pcap_header(1);
    for (ts, f) in frames {
        pcap_record(&mut out, *ts, f);
    }
    out
}

/// An Ethernet II frame.
pub fn ethernet(src: Mac, dst: Mac, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + payload.len());
    f.extend(dst.0);
    f.extend(src.0);
    f.extend(ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// An IPv4 packet (header checksum left 0; analyzers here do not check it).
pub fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(20 + payload.len());
    p.extend([0x45, 0]);
    p.extend(((20 + payload.len()) as u16).to_be_bytes());
    p.extend([0, 0, 0x40, 0, 64, proto, 0, 0]);
    p.extend(src.octets());
    p.extend(dst.octets());
    p.extend_from_slice(payload);
    p
}

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// A TCP segment (checksum 0).
pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(ack.to_be_bytes());
    t.extend([0x50, flags]);
    t.extend(65535u16.to_be_bytes());
    t.extend([0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// A UDP datagram (checksum 0).
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::with_capacity(8 + payload.len());
    u.extend(sport.to_be_bytes());
    u.extend(dport.to_be_bytes());
    u.extend(((8 + payload.len()) as u16).to_be_bytes());
    u.extend([0, 0]);
    u.extend_from_slice(payload);
    u
}

/// One host on the synthetic network.
#[derive(Debug, Clone, Copy)]
pub struct Host {
    pub mac: Mac,
    pub ip: Ipv4Addr,
}

/// Ethernet/IPv4/UDP frame from `a` to `b`.
pub fn udp_frame(a: Host, b: Host, sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    ethernet(
        a.mac,
        b.mac,
        0x0800,
        &ipv4(a.ip, b.ip, 17, &udp(sport, dport, payload)),
    )
}

/// A complete TCP connection as Ethernet frames: handshake, the client's and server's messages in
/// turn (each split into segments of at most `mss` bytes), and a FIN exchange. Timestamps advance
/// by `step` microseconds per frame from `t0`.
#[allow(clippy::too_many_arguments)]
pub fn tcp_conversation(
    client: Host,
    server: Host,
    sport: u16,
    dport: u16,
    exchanges: &[(bool, &[u8])],
    mss: usize,
    t0: i64,
    step: i64,
) -> Vec<(i64, Vec<u8>)> {
    let mut frames = Vec::new();
    let mut t = t0;
    let mut cseq: u32 = 1000;
    let mut sseq: u32 = 5000;
    let mut push = |from_client: bool, flags: u8, data: &[u8], cseq: &mut u32, sseq: &mut u32| {
        let (a, b, sp, dp, seq, ack) = if from_client {
            (client, server, sport, dport, *cseq, *sseq)
        } else {
            (server, client, dport, sport, *sseq, *cseq)
        };
        let seg = tcp(sp, dp, seq, ack, flags, data);
        frames.push((
            t,
            ethernet(a.mac, b.mac, 0x0800, &ipv4(a.ip, b.ip, 6, &seg)),
        ));
        t += step;
        let adv = data.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        if from_client {
            *cseq = cseq.wrapping_add(adv);
        } else {
            *sseq = sseq.wrapping_add(adv);
        }
    };
    push(true, SYN, &[], &mut cseq, &mut sseq);
    push(false, SYN | ACK, &[], &mut cseq, &mut sseq);
    push(true, ACK, &[], &mut cseq, &mut sseq);
    for (from_client, data) in exchanges {
        for chunk in data.chunks(mss.max(1)) {
            push(*from_client, PSH | ACK, chunk, &mut cseq, &mut sseq);
        }
    }
    push(true, FIN | ACK, &[], &mut cseq, &mut sseq);
    push(false, FIN | ACK, &[], &mut cseq, &mut sseq);
    frames
}

/// An ARP request from `a` asking for `target`.
pub fn arp_request(a: Host, target: Ipv4Addr) -> Vec<u8> {
    let mut p = vec![0, 1, 8, 0, 6, 4, 0, 1];
    p.extend(a.mac.0);
    p.extend(a.ip.octets());
    p.extend([0; 6]);
    p.extend(target.octets());
    ethernet(a.mac, Mac([0xff; 6]), 0x0806, &p)
}

/// A DHCP REQUEST payload (BOOTP + options) from `mac`.
pub fn dhcp_request(mac: Mac, opts: &[(u8, &[u8])]) -> Vec<u8> {
    let mut p = vec![0u8; 240];
    p[0] = 1;
    p[1] = 1;
    p[2] = 6;
    p[28..34].copy_from_slice(&mac.0);
    p[236..240].copy_from_slice(&[99, 130, 83, 99]);
    p.extend([53, 1, 3]);
    for (c, v) in opts {
        p.push(*c);
        p.push(v.len() as u8);
        p.extend_from_slice(v);
    }
    p.push(255);
    p
}

fn pad16(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.resize(16, b' ');
    v
}

/// A DICOM A-ASSOCIATE-RQ (ty 1) or -AC (ty 2) PDU with one user-information item.
pub fn dicom_associate(ty: u8, calling: &str, called: &str, uid: &str, version: &str) -> Vec<u8> {
    let mut body = vec![0, 1, 0, 0];
    body.extend(pad16(called));
    body.extend(pad16(calling));
    body.extend([0u8; 32]);
    body.extend([0x10, 0, 0, 21]);
    body.extend(b"1.2.840.10008.3.1.1.1");
    let mut ui = Vec::new();
    ui.extend([0x51, 0, 0, 4, 0, 0, 0x40, 0]);
    ui.extend([0x52, 0, 0, uid.len() as u8]);
    ui.extend(uid.as_bytes());
    ui.extend([0x55, 0, 0, version.len() as u8]);
    ui.extend(version.as_bytes());
    body.extend([0x50, 0, 0, ui.len() as u8]);
    body.extend(ui);
    let mut pdu = vec![ty, 0];
    pdu.extend((body.len() as u32).to_be_bytes());
    pdu.extend(body);
    pdu
}

const LONG_VRS: [&[u8; 2]; 11] = [
    b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV",
];

/// One explicit-VR little-endian data element.
pub fn dicom_element(tag: u32, vr: &[u8; 2], v: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(((tag >> 16) as u16).to_le_bytes());
    out.extend((tag as u16).to_le_bytes());
    out.extend(vr);
    if LONG_VRS.contains(&vr) {
        out.extend([0, 0]);
        out.extend((v.len() as u32).to_le_bytes());
    } else {
        out.extend((v.len() as u16).to_le_bytes());
    }
    out.extend(v);
    out
}

/// An explicit-VR C-STORE dataset: equipment tags, a nested undefined-length sequence, and the
/// given patient name and id (which a dissector must never report).
pub fn dicom_store_dataset(
    manufacturer: &str,
    model: &str,
    patient_name: &str,
    patient_id: &str,
) -> Vec<u8> {
    let mut ds = Vec::new();
    ds.extend(dicom_element(
        0x0008_0016,
        b"UI",
        b"1.2.840.10008.5.1.4.1.1.2\0",
    ));
    ds.extend(dicom_element(0x0008_0060, b"CS", b"CT"));
    ds.extend(dicom_element(0x0008_0070, b"LO", manufacturer.as_bytes()));
    ds.extend(dicom_element(0x0008_0090, b"PN", patient_name.as_bytes()));
    ds.extend(dicom_element(0x0008_1010, b"SH", b"CT01"));
    // (0008,1032) Procedure Code Sequence, undefined length, one undefined-length item
    ds.extend([0x08, 0x00, 0x32, 0x10]);
    ds.extend(b"SQ");
    ds.extend([0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
    ds.extend([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]);
    ds.extend(dicom_element(0x0008_0100, b"SH", patient_id.as_bytes()));
    ds.extend([0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0]);
    ds.extend([0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
    ds.extend(dicom_element(0x0008_1090, b"LO", model.as_bytes()));
    ds.extend(dicom_element(0x0010_0010, b"PN", patient_name.as_bytes()));
    ds.extend(dicom_element(0x0010_0020, b"LO", patient_id.as_bytes()));
    ds.extend(dicom_element(0x0010_0030, b"DA", b"19700101"));
    ds.extend(dicom_element(0x0018_1000, b"LO", b"SN12345"));
    ds.extend(dicom_element(0x0018_1020, b"LO", b"VA40\\SP1"));
    ds.extend(dicom_element(0x0020_000D, b"UI", b"1.2.3"));
    ds.extend(dicom_element(0x7FE0_0010, b"OB", patient_name.as_bytes()));
    ds
}

/// P-DATA-TF PDUs carrying a C-STORE-RQ command set and `dataset` in fragments of `frag` bytes.
pub fn dicom_c_store(dataset: &[u8], frag: usize) -> Vec<u8> {
    let mut cmd = Vec::new();
    for (e, v) in [(0x0100u16, vec![1u8, 0]), (0x0800, vec![0, 0])] {
        cmd.extend(0u16.to_le_bytes());
        cmd.extend(e.to_le_bytes());
        cmd.extend((v.len() as u32).to_le_bytes());
        cmd.extend(v);
    }
    let mut out = Vec::new();
    let pdv = |data: &[u8], mch: u8, out: &mut Vec<u8>| {
        let mut body = Vec::new();
        body.extend(((data.len() + 2) as u32).to_be_bytes());
        body.push(1);
        body.push(mch);
        body.extend(data);
        out.extend([4, 0]);
        out.extend((body.len() as u32).to_be_bytes());
        out.extend(body);
    };
    pdv(&cmd, 3, &mut out);
    let chunks: Vec<&[u8]> = dataset.chunks(frag.max(1)).collect();
    for (i, c) in chunks.iter().enumerate() {
        pdv(c, if i + 1 == chunks.len() { 2 } else { 0 }, &mut out);
    }
    out
}

/// An HL7 v2 message in MLLP framing.
pub fn mllp(msg: &str) -> Vec<u8> {
    let mut v = vec![0x0b];
    v.extend(msg.as_bytes());
    v.extend([0x1c, b'\r']);
    v
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    if content.len() < 128 {
        v.push(content.len() as u8);
    } else {
        v.push(0x82);
        v.extend((content.len() as u16).to_be_bytes());
    }
    v.extend(content);
    v
}

fn rdn(oid_last: u8, value: &str) -> Vec<u8> {
    let mut atv = der(6, &[0x55, 4, oid_last]);
    atv.extend(der(0x0C, value.as_bytes()));
    der(0x31, &der(0x30, &atv))
}

/// A minimal X.509 certificate (not signed) with subject CN/O and issuer CN "Vendor Device CA".
pub fn certificate(cn: &str, org: &str) -> Vec<u8> {
    let mut subject = rdn(3, cn);
    subject.extend(rdn(10, org));
    let issuer = rdn(3, "Vendor Device CA");
    let mut tbs = der(0xA0, &der(2, &[2]));
    tbs.extend(der(2, &[1, 2, 3]));
    tbs.extend(der(
        0x30,
        &der(6, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]),
    ));
    tbs.extend(der(0x30, &issuer));
    tbs.extend(der(0x30, &[0x17, 1, b'0', 0x17, 1, b'0']));
    tbs.extend(der(0x30, &subject));
    tbs.extend(der(0x30, &[]));
    let mut cert = der(0x30, &tbs);
    cert.extend(der(0x30, &der(6, &[0x2a])));
    cert.extend(der(3, &[0, 1]));
    der(0x30, &cert)
}

/// A TLS 1.2 ServerHello + Certificate flight in two records.
pub fn tls_server_flight(cert: &[u8]) -> Vec<u8> {
    let mut hello = vec![2, 0, 0, 38, 3, 3];
    hello.extend([0u8; 32]);
    hello.extend([0, 0x13, 0x01, 0]);
    let l = cert.len();
    let mut certs = vec![];
    certs.extend([((l + 3) >> 16) as u8, ((l + 3) >> 8) as u8, (l + 3) as u8]);
    certs.extend([(l >> 16) as u8, (l >> 8) as u8, l as u8]);
    certs.extend(cert);
    let mut hs = hello;
    hs.push(11);
    hs.extend([
        (certs.len() >> 16) as u8,
        (certs.len() >> 8) as u8,
        certs.len() as u8,
    ]);
    hs.extend(certs);
    let mut out = Vec::new();
    let cut = hs.len().min(50);
    for part in [&hs[..cut], &hs[cut..]] {
        out.extend([22, 3, 3]);
        out.extend((part.len() as u16).to_be_bytes());
        out.extend(part);
    }
    out
}

/// A TLS ClientHello record with an SNI extension.
pub fn tls_client_hello(sni: &str) -> Vec<u8> {
    let mut body = vec![3, 3];
    body.extend([0u8; 32]);
    body.extend([0, 0, 2, 0x13, 0x01, 1, 0]);
    let mut ext = vec![0, 0];
    let n = sni.len();
    let mut sn = ((n + 3) as u16).to_be_bytes().to_vec();
    sn.push(0);
    sn.extend((n as u16).to_be_bytes());
    sn.extend(sni.as_bytes());
    ext.extend((sn.len() as u16).to_be_bytes());
    ext.extend(sn);
    body.extend((ext.len() as u16).to_be_bytes());
    body.extend(ext);
    let mut hs = vec![1, 0, (body.len() >> 8) as u8, body.len() as u8];
    hs.extend(body);
    let mut rec = vec![22, 3, 1];
    rec.extend((hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}
