//! The deterministic, fictitious demo hospital.
//!
//! Owns [`demo_hospital`]: a 400-bed hospital with about 2,000 ledger rows, its departments, network
//! segments and demo users, used by the web UI demo mode, screenshots, benchmarks and tests.
//! Invariants: the same value on every call (fixed seed, fixed [`REFERENCE_DATE`], no clock, no I/O);
//! everything identifying is invented — names, serials, private addresses, locally administered MACs,
//! and remote-maintenance endpoints only from the RFC 5737 documentation ranges. Product names are
//! real so that public advisories match some devices.

mod catalog;

use catalog::{Net, Tpl, DEPARTMENTS, EVERY_WARD, TEMPLATES};
use mdsec_domain::{DeviceFields, DeviceStatus, RemoteLine};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// "Today" for the demo: end-of-support dates are past or future relative to this, never the clock.
pub const REFERENCE_DATE: &str = "2026-04-01";
/// Seed of the generator; changing it changes every serial, date and address.
pub const SEED: u64 = 0x6d64_7365_6364_656d;
pub const HOSPITAL_NAME: &str =
    "（架空）みなと中央総合病院 / Minato Central General Hospital (fictitious)";
pub const BEDS: u32 = 400;
/// Role codes of the demo users (the web crate's RBAC roles).
pub const ROLES: &[&str] = &[
    "admin",
    "isso",
    "device_safety",
    "department_user",
    "executive",
    "auditor",
    "manufacturer",
];
/// The RFC 5737 documentation networks; every remote-maintenance endpoint is inside one of them.
pub const DOCUMENTATION_NETWORKS: &[[u8; 3]] = &[[192, 0, 2], [198, 51, 100], [203, 0, 113]];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// Medical-device segment, e.g. `10.20.10.0/24`.
    pub segment: String,
    /// VLAN of the medical-device segment.
    pub vlan: u16,
    /// Electronic-medical-record segment of the same department, e.g. `10.30.10.0/24`.
    pub ehr_segment: String,
    pub ehr_vlan: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoUser {
    pub username: String,
    /// One of [`ROLES`].
    pub role: String,
    /// Department code, for users who belong to one.
    pub department: Option<String>,
    pub display_name: String,
    /// Canonical manufacturer name, for manufacturer users.
    pub manufacturer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoHospital {
    pub name: String,
    pub beds: u32,
    /// ISO date the demo's "today" is fixed to ([`REFERENCE_DATE`]).
    pub reference_date: String,
    pub departments: Vec<Department>,
    pub devices: Vec<DeviceFields>,
    pub users: Vec<DemoUser>,
}

impl DemoHospital {
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }
}

/// splitmix64: tiny, fast, and good enough to scatter demo data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform-enough in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u8) -> bool {
        self.below(100) < u64::from(percent)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> Option<&'a str> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len() as u64) as usize).copied()
        }
    }
}

/// FNV-1a, to derive stable per-maker values (OUI, remote endpoint) from a name.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

const REMOTE_METHODS: &[&str] = &[
    "拠点間VPN (IPsec)",
    "LTEルータ",
    "クラウド中継 (HTTPS 443/tcp)",
    "SSL-VPN + リモートデスクトップ",
];

fn departments() -> Vec<Department> {
    DEPARTMENTS
        .iter()
        .map(|&(code, ja, en, octet)| Department {
            code: code.into(),
            name_ja: ja.into(),
            name_en: en.into(),
            segment: format!("10.20.{octet}.0/24"),
            vlan: 100 + u16::from(octet),
            ehr_segment: format!("10.30.{octet}.0/24"),
            ehr_vlan: 300 + u16::from(octet),
        })
        .collect()
}

fn users() -> Vec<DemoUser> {
    let u = |username: &str, role: &str, dept: Option<&str>, name: &str, maker: Option<&str>| {
        DemoUser {
            username: username.into(),
            role: role.into(),
            department: dept.map(Into::into),
            display_name: name.into(),
            manufacturer: maker.map(Into::into),
        }
    };
    vec![
        u(
            "admin",
            "admin",
            Some("MIS"),
            "医療情報部 システム管理者",
            None,
        ),
        u(
            "sato.isso",
            "isso",
            Some("MIS"),
            "佐藤 健一（情報セキュリティ責任者）",
            None,
        ),
        u(
            "tanaka.me",
            "device_safety",
            Some("CE"),
            "田中 由美（医療機器安全管理責任者）",
            None,
        ),
        u(
            "suzuki.rad",
            "department_user",
            Some("RAD"),
            "鈴木 大輔（放射線科 診療放射線技師）",
            None,
        ),
        u(
            "ito.w3e",
            "department_user",
            Some("W3E"),
            "伊藤 真理（3階東病棟 看護師長）",
            None,
        ),
        u(
            "kato.director",
            "executive",
            None,
            "加藤 誠（病院長）",
            None,
        ),
        u(
            "kobayashi.audit",
            "auditor",
            None,
            "小林 恵（内部監査室）",
            None,
        ),
        u(
            "philips.service",
            "manufacturer",
            None,
            "フィリップス サービス担当（架空）",
            Some("Philips"),
        ),
        u(
            "nk.service",
            "manufacturer",
            None,
            "日本光電 サービス担当（架空）",
            Some("Nihon Kohden"),
        ),
    ]
}

/// Where in a department a device stands.
fn location(dept: &str, dept_ja: &str, tpl: &Tpl, rng: &mut Rng) -> String {
    let n = |rng: &mut Rng, k: u64| rng.below(k) + 1;
    if let Some(ward) = dept.strip_prefix('W') {
        let floor = ward.get(..1).unwrap_or("3");
        let spare = tpl.kind.contains("ポンプ") && rng.chance(15);
        return if !tpl.room.is_empty() {
            format!("{dept_ja} {}", tpl.room)
        } else if spare {
            format!("{dept_ja} 器材庫")
        } else if tpl.prefix == "IT" || rng.chance(10) {
            format!("{dept_ja} ナースステーション")
        } else {
            format!("{dept_ja} {floor}{:02}号室", n(rng, 20))
        };
    }
    if !tpl.room.is_empty() {
        return format!("{dept_ja} {}", tpl.room);
    }
    match dept {
        "ICU" => format!("ICU ベッド{}", n(rng, 12)),
        "HCU" => format!("HCU ベッド{}", n(rng, 16)),
        "ER" => format!("救急外来 初療室{}", n(rng, 4)),
        "OR" => format!("第{}手術室", n(rng, 10)),
        "RAD" => "放射線科 検査室".into(),
        "LAB" => "検体検査室".into(),
        "PHYS" => format!("生理検査室{}", n(rng, 4)),
        "DIA" => format!("透析室 {}番ベッド", n(rng, 30)),
        "END" => format!("内視鏡室{}", n(rng, 5)),
        "CATH" => "心カテ室1".into(),
        "PHA" => "調剤室".into(),
        "MIS" => "医療情報部 事務室".into(),
        "CE" => "ME機器管理室".into(),
        "OPD" => format!("外来診察室{}", n(rng, 40)),
        _ => dept_ja.into(),
    }
}

/// A GTIN-14 in the restricted-circulation range (prefix 02): well-formed, never a real product.
fn fake_gtin(rng: &mut Rng) -> String {
    let mut digits = format!("02{:011}", rng.below(100_000_000_000));
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    digits.push(char::from(b'0' + ((10 - sum % 10) % 10) as u8));
    digits
}

fn add_years(date: (u16, u8, u8), years: u16) -> String {
    let (y, m, d) = date;
    format!("{:04}-{m:02}-{d:02}", y + years)
}

/// Build the demo hospital. Deterministic: two calls return equal values.
pub fn demo_hospital() -> DemoHospital {
    let mut rng = Rng(SEED);
    let departments = departments();
    let wards: Vec<&str> = DEPARTMENTS
        .iter()
        .map(|d| d.0)
        .filter(|c| c.starts_with('W'))
        .collect();
    let dept_of = |code: &str| DEPARTMENTS.iter().find(|d| d.0 == code);

    let mut devices = Vec::with_capacity(2_100);
    let mut serial_numbers: HashMap<(&str, u16), u32> = HashMap::new();
    let mut next_host: HashMap<(u8, u8), u16> = HashMap::new();
    let mut nic: u32 = 0;

    for tpl in TEMPLATES {
        let mut unit = 0usize;
        let placements = tpl.place.iter().flat_map(|&(code, count)| {
            let codes: Vec<&str> = if code == EVERY_WARD {
                wards.clone()
            } else {
                vec![code]
            };
            codes.into_iter().map(move |c| (c, count))
        });
        for (code, count) in placements {
            let Some(&(_, dept_ja, _, octet)) = dept_of(code) else {
                continue;
            };
            for _ in 0..count {
                let raw_maker = if rng.chance(85) {
                    tpl.makers.first().copied()
                } else {
                    rng.pick(tpl.makers)
                };
                let maker_hash = fnv(tpl.makers.first().copied().unwrap_or(""));
                let year = tpl.years.0 + rng.below(u64::from(tpl.years.1 - tpl.years.0) + 1) as u16;
                let month = 1 + rng.below(12) as u8;
                let day = 1 + rng.below(28) as u8;
                let install = (year, month, day);
                let seq = serial_numbers.entry((tpl.prefix, year)).or_insert(0);
                *seq += 1;
                let management_number = format!("{}-{year}-{:05}", tpl.prefix, *seq);

                let serial_prefix: String = tpl
                    .model
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(3)
                    .collect::<String>()
                    .to_ascii_uppercase();
                let serial = format!(
                    "{}{:02}{:06}",
                    if serial_prefix.is_empty() {
                        "SN"
                    } else {
                        &serial_prefix
                    },
                    year % 100,
                    rng.below(1_000_000)
                );

                let connected = match tpl.net {
                    Net::None => false,
                    Net::Medical(p) => rng.chance(p),
                    Net::Ehr => true,
                };
                let (mut ip, mut mac, mut segment) = (None, None, None);
                if connected {
                    let net = if tpl.net == Net::Ehr { 30 } else { 20 };
                    let host = next_host.entry((net, octet)).or_insert(11);
                    // A /24 holds 243 hosts from .11; further hosts spill into 10.(net+1).x.
                    let (second, h) = if *host <= 253 {
                        (net, *host)
                    } else {
                        (net + 1, *host - 243)
                    };
                    *host += 1;
                    ip = Some(format!("10.{second}.{octet}.{h}"));
                    let vlan = if net == 30 { 300 } else { 100 } + u16::from(octet);
                    let label = if net == 30 {
                        "電子カルテ"
                    } else {
                        "医療機器"
                    };
                    segment = Some(format!("VLAN{vlan} {label}-{code} (10.{net}.{octet}.0/24)"));
                    nic += 1;
                    let oui = [
                        (maker_hash as u8 & 0xFC) | 0x02, // locally administered, unicast
                        (maker_hash >> 8) as u8,
                        (maker_hash >> 16) as u8,
                    ];
                    mac = Some(format!(
                        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                        oui[0],
                        oui[1],
                        oui[2],
                        (nic >> 16) as u8,
                        (nic >> 8) as u8,
                        nic as u8
                    ));
                }

                let mut custom = BTreeMap::new();
                let (remote_line, remote_method) = if connected && rng.chance(tpl.remote) {
                    let range = DOCUMENTATION_NETWORKS
                        .get(((maker_hash >> 24) % 3) as usize)
                        .copied()
                        .unwrap_or([192, 0, 2]);
                    let host = 1 + (maker_hash >> 32) % 254;
                    custom.insert(
                        "remote_endpoint".to_string(),
                        format!("{}.{}.{}.{host}", range[0], range[1], range[2]),
                    );
                    let method = REMOTE_METHODS
                        .get(((maker_hash >> 40) % REMOTE_METHODS.len() as u64) as usize)
                        .copied();
                    (RemoteLine::Yes, method.map(String::from))
                } else if connected && rng.chance(3) {
                    (RemoteLine::Unknown, None)
                } else {
                    (RemoteLine::No, None)
                };
                if connected {
                    let model_tag: String = tpl
                        .model
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(10)
                        .collect::<String>()
                        .to_ascii_lowercase();
                    custom.insert(
                        "hostname".to_string(),
                        format!("{}-{model_tag}-{nic:04}", code.to_ascii_lowercase()),
                    );
                }

                let eos_date = add_years(install, tpl.life);
                let eol_date = rng
                    .chance(85)
                    .then(|| add_years(install, tpl.life.saturating_sub(3).max(1)));
                let past_eos = eos_date.as_str() <= REFERENCE_DATE;
                let status = if past_eos && rng.chance(12) {
                    DeviceStatus::Disposed
                } else if (past_eos && rng.chance(10))
                    || (code == "CE" && rng.chance(30))
                    || rng.chance(1)
                {
                    DeviceStatus::Inactive
                } else {
                    DeviceStatus::Active
                };
                let mut notes: Vec<&str> = Vec::new();
                if !tpl.note.is_empty() {
                    notes.push(tpl.note);
                }
                if past_eos && status == DeviceStatus::Active && rng.chance(40) {
                    notes.push("メーカー保守終了。更新予算申請中");
                }
                if code == "CE" && status == DeviceStatus::Inactive {
                    notes.push("予備機");
                }

                let owner = dept_of(tpl.owner).map(|d| d.1.to_string());
                let device = DeviceFields {
                    management_number: Some(management_number),
                    name: tpl.name.into(),
                    device_type: Some(tpl.kind.into()),
                    manufacturer: raw_maker.map(Into::into),
                    model: Some(tpl.model.into()),
                    serial: Some(serial),
                    software_version: tpl
                        .versions
                        .get(unit % tpl.versions.len().max(1))
                        .map(|v| v.to_string()),
                    department: Some(dept_ja.into()),
                    location: Some(location(code, dept_ja, tpl, &mut rng)),
                    ip,
                    mac,
                    os: rng.pick(tpl.os).map(Into::into),
                    protocols: (!tpl.protocols.is_empty()).then(|| tpl.protocols.into()),
                    purpose: (!tpl.purpose.is_empty()).then(|| tpl.purpose.into()),
                    remote_line,
                    remote_method,
                    maintenance_contract: (!tpl.contract.is_empty()).then(|| tpl.contract.into()),
                    owner,
                    install_date: Some(add_years(install, 0)),
                    eol_date,
                    eos_date: Some(eos_date),
                    udi_di: (tpl.udi && rng.chance(70)).then(|| fake_gtin(&mut rng)),
                    network_segment: segment,
                    device_class: tpl.class,
                    status,
                    criticality: Some(tpl.crit),
                    notes: (!notes.is_empty()).then(|| notes.join("。")),
                    custom,
                };
                devices.push(device);
                unit += 1;
            }
        }
    }

    DemoHospital {
        name: HOSPITAL_NAME.into(),
        beds: BEDS,
        reference_date: REFERENCE_DATE.into(),
        departments,
        devices,
        users: users(),
    }
}

#[cfg(test)]
mod tests;
