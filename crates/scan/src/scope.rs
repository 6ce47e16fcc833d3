//! Scope: which addresses a scan may touch. A target list (CIDRs) and a do-not-scan list; every
//! packet the scanner sends is checked against it first ([`Scope::check`]).

use serde::Serialize;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

/// Largest number of host addresses a scope may expand to (a /16). A bigger scan is refused: at the
/// default rates it would run for days, which is never what an operator meant.
pub const MAX_TARGET_HOSTS: u64 = 65_536;
/// Longest target or do-not-scan list accepted on the command line or in a config, in bytes.
pub const MAX_LIST_LEN: usize = 64 * 1024;
/// Most entries in a target or do-not-scan list.
pub const MAX_LIST_ENTRIES: usize = 4096;

/// Why an address or a list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("{list} entry {index} ({entry:?}): {reason}")]
    BadEntry {
        list: &'static str,
        index: usize,
        entry: String,
        reason: &'static str,
    },
    #[error("{list}: {reason}")]
    BadList { list: &'static str, reason: String },
    #[error("{0} is outside the scan targets")]
    OutOfScope(IpAddr),
    #[error("{0} is on the do-not-scan list")]
    DoNotScan(IpAddr),
    #[error("{0} is not a unicast host address ({1})")]
    NotUnicast(IpAddr, &'static str),
}

/// An IPv4 network in CIDR notation; a bare address is a /32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ipv4Net {
    base: u32,
    prefix: u8,
}

impl Ipv4Net {
    /// The network containing `addr` with `prefix` bits (host bits are cleared).
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Option<Ipv4Net> {
        if prefix > 32 {
            return None;
        }
        Some(Ipv4Net {
            base: u32::from(addr) & mask(prefix),
            prefix,
        })
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base)
    }

    /// The last address of the network (its broadcast address when the prefix is /30 or shorter).
    pub fn last(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.base | !mask(self.prefix))
    }

    /// Number of addresses in the network.
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix) == self.base
    }

    /// True for the network and broadcast addresses of a /30 or shorter prefix: a packet to them is
    /// not a packet to one host.
    pub fn is_network_or_broadcast(&self, ip: Ipv4Addr) -> bool {
        self.prefix <= 30 && self.contains(ip) && (ip == self.network() || ip == self.last())
    }

    /// Host addresses: every address but the network and broadcast ones (for /31 and /32 every one).
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let (first, last) = if self.prefix <= 30 {
            (self.base + 1, (self.base | !mask(self.prefix)) - 1)
        } else {
            (self.base, self.base | !mask(self.prefix))
        };
        (first..=last).map(Ipv4Addr::from)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix)
    }
}

impl Serialize for Ipv4Net {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl FromStr for Ipv4Net {
    type Err = &'static str;

    /// `a.b.c.d/nn` or `a.b.c.d`. Host bits must be zero (`10.0.0.5/24` is refused: it is usually a
    /// typing mistake and would silently widen the scope).
    fn from_str(s: &str) -> Result<Ipv4Net, &'static str> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err("prefix length must be a number from 0 to 32");
                }
                let p: u8 = p
                    .parse()
                    .map_err(|_| "prefix length must be a number from 0 to 32")?;
                (a, p)
            }
            None => (s, 32),
        };
        if prefix > 32 {
            return Err("prefix length must be a number from 0 to 32");
        }
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| "not an IPv4 address (IPv6 scanning is not supported)")?;
        let net = Ipv4Net::new(addr, prefix).ok_or("prefix length must be 0 to 32")?;
        if net.network() != addr {
            return Err("host bits are set; write the network address (e.g. 10.0.0.0/24)");
        }
        Ok(net)
    }
}

/// Parse a comma- (or whitespace-) separated list of CIDRs. `list` names it in errors.
pub fn parse_net_list(list: &'static str, s: &str) -> Result<Vec<Ipv4Net>, ScopeError> {
    if s.len() > MAX_LIST_LEN {
        return Err(ScopeError::BadList {
            list,
            reason: format!("longer than {MAX_LIST_LEN} bytes"),
        });
    }
    let mut out = Vec::new();
    for (index, entry) in s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        if index >= MAX_LIST_ENTRIES {
            return Err(ScopeError::BadList {
                list,
                reason: format!("more than {MAX_LIST_ENTRIES} entries"),
            });
        }
        let net = entry.parse().map_err(|reason| ScopeError::BadEntry {
            list,
            index: index + 1,
            entry: entry.chars().take(64).collect(),
            reason,
        })?;
        out.push(net);
    }
    Ok(out)
}

/// What a scan may touch.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    targets: Vec<Ipv4Net>,
    do_not_scan: Vec<Ipv4Net>,
}

impl Scope {
    /// A scope of `targets` minus `do_not_scan`. Refuses an empty target list and one that expands to
    /// more than [`MAX_TARGET_HOSTS`] addresses.
    pub fn new(targets: Vec<Ipv4Net>, do_not_scan: Vec<Ipv4Net>) -> Result<Scope, ScopeError> {
        if targets.is_empty() {
            return Err(ScopeError::BadList {
                list: "targets",
                reason: "no target given".into(),
            });
        }
        let total: u64 = targets.iter().map(|n| n.size()).sum();
        if total > MAX_TARGET_HOSTS {
            return Err(ScopeError::BadList {
                list: "targets",
                reason: format!(
                    "{total} addresses, over the limit of {MAX_TARGET_HOSTS}; scan smaller ranges"
                ),
            });
        }
        Ok(Scope {
            targets,
            do_not_scan,
        })
    }

    pub fn targets(&self) -> &[Ipv4Net] {
        &self.targets
    }

    pub fn do_not_scan(&self) -> &[Ipv4Net] {
        &self.do_not_scan
    }

    /// May a packet be sent to `ip`? Only to a unicast IPv4 address inside a target network, not its
    /// network or broadcast address, and not on the do-not-scan list.
    pub fn check(&self, ip: IpAddr) -> Result<Ipv4Addr, ScopeError> {
        let v4 = match ip {
            IpAddr::V4(v4) => v4,
            IpAddr::V6(_) => return Err(ScopeError::OutOfScope(ip)),
        };
        if v4.is_unspecified() {
            return Err(ScopeError::NotUnicast(ip, "unspecified"));
        }
        if v4.is_broadcast() {
            return Err(ScopeError::NotUnicast(ip, "broadcast"));
        }
        if v4.is_multicast() || u32::from(v4) >= 0xF000_0000 {
            return Err(ScopeError::NotUnicast(ip, "multicast or reserved"));
        }
        if self.do_not_scan.iter().any(|n| n.contains(v4)) {
            return Err(ScopeError::DoNotScan(ip));
        }
        if !self.targets.iter().any(|n| n.contains(v4)) {
            return Err(ScopeError::OutOfScope(ip));
        }
        if self.targets.iter().any(|n| n.is_network_or_broadcast(v4)) {
            return Err(ScopeError::NotUnicast(
                ip,
                "network or broadcast address of a target",
            ));
        }
        Ok(v4)
    }

    /// Every host address the scan will probe, ascending, each passing [`Scope::check`].
    pub fn hosts(&self) -> Vec<Ipv4Addr> {
        let mut v: Vec<Ipv4Addr> = self
            .targets
            .iter()
            .flat_map(|n| n.hosts())
            .filter(|ip| self.check(IpAddr::V4(*ip)).is_ok())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(t: &str, d: &str) -> Scope {
        Scope::new(
            parse_net_list("targets", t).unwrap(),
            parse_net_list("do-not-scan", d).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn parses_cidrs_and_bare_addresses() {
        let v = parse_net_list("targets", "10.99.0.0/24, 10.99.1.7 ,192.0.2.0/30").unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[1].prefix(), 32);
        assert_eq!(v[0].to_string(), "10.99.0.0/24");
        assert_eq!(v[2].hosts().count(), 2);
    }

    #[test]
    fn rejects_bad_entries_with_their_position() {
        for bad in [
            "10.0.0.5/24",
            "10.0.0.0/33",
            "10.0.0/8",
            "::1",
            "10.0.0.0/",
            "x",
        ] {
            let e = parse_net_list("targets", &format!("10.0.0.0/24,{bad}")).unwrap_err();
            assert!(
                matches!(e, ScopeError::BadEntry { index: 2, .. }),
                "{bad}: {e}"
            );
        }
        assert!(Scope::new(vec![], vec![]).is_err());
        assert!(Scope::new(parse_net_list("t", "10.0.0.0/8").unwrap(), vec![]).is_err());
    }

    #[test]
    fn check_refuses_everything_outside_and_the_do_not_scan_list() {
        let s = scope("10.99.0.0/24", "10.99.0.7,10.99.0.64/30");
        let ok = |a: &str| s.check(a.parse().unwrap()).is_ok();
        assert!(ok("10.99.0.1"));
        assert!(ok("10.99.0.254"));
        assert!(!ok("10.99.0.0"), "network address");
        assert!(!ok("10.99.0.255"), "broadcast address");
        assert!(!ok("10.99.0.7"));
        assert!(!ok("10.99.0.65"));
        assert!(!ok("10.99.1.1"));
        assert!(!ok("127.0.0.1"));
        assert!(!ok("255.255.255.255"));
        assert!(!ok("224.0.0.1"));
        assert!(!ok("::1"));
        let hosts = s.hosts();
        assert_eq!(hosts.len(), 254 - 1 - 4);
        assert!(!hosts.contains(&"10.99.0.7".parse().unwrap()));
    }

    #[test]
    fn single_hosts_and_slash_31() {
        let s = scope("10.99.0.5,10.99.0.8/31", "");
        assert_eq!(
            s.hosts(),
            ["10.99.0.5", "10.99.0.8", "10.99.0.9"]
                .map(|a| a.parse::<Ipv4Addr>().unwrap())
                .to_vec()
        );
    }
}
