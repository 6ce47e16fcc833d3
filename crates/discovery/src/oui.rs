//! The IEEE MAC address registries (MA-L, MA-M, MA-S and the older IAB), generated into
//! `data/oui.tsv` by `scripts/gen-oui` from Debian's `ieee-data` package. The most specific
//! assignment wins: a 36-bit MA-S/IAB block, then a 28-bit MA-M block, then the 24-bit MA-L.

use crate::net::Mac;
use std::sync::OnceLock;

/// The generated table (first line: source and date).
pub const OUI_TABLE: &str = include_str!("../data/oui.tsv");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vendor {
    pub organization: &'static str,
    /// `MA-L`, `MA-M`, `MA-S` or `IAB`.
    pub registry: &'static str,
}

struct Table {
    /// (prefix bits, prefix value) sorted by value within each length.
    l: Vec<(u64, Vendor)>,
    m: Vec<(u64, Vendor)>,
    s: Vec<(u64, Vendor)>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut t = Table {
            l: Vec::new(),
            m: Vec::new(),
            s: Vec::new(),
        };
        for line in OUI_TABLE.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.splitn(3, '\t');
            let (Some(p), Some(reg), Some(org)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let Ok(v) = u64::from_str_radix(p, 16) else {
                continue;
            };
            let vendor = Vendor {
                organization: org,
                registry: reg,
            };
            match p.len() {
                6 => t.l.push((v, vendor)),
                7 => t.m.push((v, vendor)),
                9 => t.s.push((v, vendor)),
                _ => {}
            }
        }
        for v in [&mut t.l, &mut t.m, &mut t.s] {
            v.sort_by_key(|e| e.0);
        }
        t
    })
}

/// The registered organisation for a MAC address, `None` when unassigned or locally administered.
pub fn lookup(mac: Mac) -> Option<Vendor> {
    if mac.is_locally_administered() {
        return None;
    }
    let m = mac.0;
    let v48 = m.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
    let t = table();
    let find = |list: &[(u64, Vendor)], bits: u32| {
        let key = v48 >> (48 - bits);
        list.binary_search_by_key(&key, |e| e.0)
            .ok()
            .map(|i| list[i].1)
    };
    find(&t.s, 36)
        .or_else(|| find(&t.m, 28))
        .or_else(|| find(&t.l, 24))
}

/// Number of assignments in the table (MA-L, MA-M, MA-S + IAB).
pub fn table_sizes() -> (usize, usize, usize) {
    let t = table();
    (t.l.len(), t.m.len(), t.s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor_line(prefix: &str) -> (String, String) {
        let line = OUI_TABLE
            .lines()
            .find(|l| l.starts_with(&format!("{prefix}\t")))
            .expect("prefix in table");
        let parts: Vec<&str> = line.split('\t').collect();
        (parts[1].to_string(), parts[2].to_string())
    }

    #[test]
    fn table_has_all_three_registries_and_a_source_line() {
        let (l, m, s) = table_sizes();
        assert!(l > 20_000 && m > 1_000 && s > 1_000, "{l} {m} {s}");
        assert!(OUI_TABLE.starts_with("# IEEE MAC address registries"));
        assert!(OUI_TABLE.lines().next().unwrap().contains("ieee-data"));
    }

    #[test]
    fn most_specific_assignment_wins() {
        // Take real entries of each length from the table and look up an address inside each.
        for (len, registry) in [(6, "MA-L"), (7, "MA-M"), (9, "MA-S")] {
            let line = OUI_TABLE
                .lines()
                .filter(|l| !l.starts_with('#'))
                .find(|l| l.split('\t').next().unwrap().len() == len && l.contains(registry))
                .unwrap();
            let prefix = line.split('\t').next().unwrap();
            let mut hex = prefix.to_string();
            while hex.len() < 12 {
                hex.push('1');
            }
            let mac: Mac = hex.parse().unwrap();
            if mac.is_locally_administered() {
                continue;
            }
            let v = lookup(mac).unwrap();
            let (reg, org) = vendor_line(prefix);
            assert_eq!((v.registry, v.organization), (reg.as_str(), org.as_str()));
        }
        // An MA-M block's parent MA-L is the IEEE Registration Authority; the block owner must win.
        let ma_m = OUI_TABLE.lines().find(|l| l.contains("\tMA-M\t")).unwrap();
        let p = ma_m.split('\t').next().unwrap();
        let mac: Mac = format!("{p}00000").parse().unwrap();
        assert_eq!(lookup(mac).unwrap().registry, "MA-M");
    }

    #[test]
    fn locally_administered_has_no_vendor() {
        assert!(lookup("02:00:00:00:00:01".parse().unwrap()).is_none());
    }
}
