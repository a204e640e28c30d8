//! `[service] smtp_allowed_peers`: the MTAs that may connect to `serve`'s SMTP listener, as IP
//! addresses or CIDR networks (`192.0.2.25`, `10.1.0.0/16`, `2001:db8::/32`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address or a network of addresses allowed to deliver mail to the SMTP listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerNet {
    addr: IpAddr,
    prefix: u8,
}

impl PeerNet {
    /// One address.
    pub fn host(addr: IpAddr) -> PeerNet {
        let prefix = if addr.is_ipv4() { 32 } else { 128 };
        PeerNet { addr, prefix }.canonical()
    }

    /// The loopback addresses (`127.0.0.1`, `::1`): the default, an MTA on the same machine.
    pub fn loopback() -> Vec<PeerNet> {
        vec![
            PeerNet::host(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            PeerNet::host(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ]
    }

    /// Is `ip` inside? An IPv4 peer seen through a dual-stack socket (`::ffff:a.b.c.d`) is
    /// compared as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                mask(u32::from(net).into(), self.prefix, 32)
                    == mask(u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                mask(u128::from(net), self.prefix, 128) == mask(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }

    /// `::ffff:a.b.c.d/n` (n ≥ 96) as `a.b.c.d/(n-96)`, so it matches IPv4 peers.
    fn canonical(self) -> PeerNet {
        match self.addr {
            IpAddr::V6(v6) if self.prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => PeerNet {
                    addr: IpAddr::V4(v4),
                    prefix: self.prefix - 96,
                },
                None => self,
            },
            _ => self,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The first `prefix` bits of `bits` (an address `width` bits wide).
fn mask(bits: u128, prefix: u8, width: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let keep = u128::MAX << (128 - u32::from(prefix));
    (bits << (128 - u32::from(width))) & keep
}

/// Why a `smtp_allowed_peers` entry was refused (the text names the fix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerNetError(pub String);

impl fmt::Display for PeerNetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PeerNetError {}

impl FromStr for PeerNet {
    type Err = PeerNetError;

    fn from_str(s: &str) -> Result<PeerNet, PeerNetError> {
        let s = s.trim();
        let (ip, prefix) = match s.split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = ip.parse().map_err(|_| {
            PeerNetError(format!(
                "'{s}' is not an IP address or a CIDR network (host names are not resolved)"
            ))
        })?;
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= width && !p.starts_with('+') => n,
                _ => {
                    return Err(PeerNetError(format!(
                        "'{s}': the prefix length must be a number from 0 to {width}"
                    )));
                }
            },
        };
        let bits = match addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        };
        if mask(bits, prefix, width) != mask(bits, width, width) {
            return Err(PeerNetError(format!(
                "'{s}' has bits set after its /{prefix} prefix"
            )));
        }
        Ok(PeerNet { addr, prefix }.canonical())
    }
}

impl fmt::Display for PeerNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == width {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks_contain_what_they_should() {
        let host: PeerNet = "192.0.2.25".parse().unwrap();
        assert!(host.contains(ip("192.0.2.25")));
        assert!(host.contains(ip("::ffff:192.0.2.25")));
        assert!(!host.contains(ip("192.0.2.26")));
        let net: PeerNet = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.255.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(!net.contains(ip("::1")));
        let v6: PeerNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::7")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let mapped: PeerNet = "::ffff:192.0.2.0/120".parse().unwrap();
        assert_eq!(mapped.to_string(), "192.0.2.0/24");
        assert!(mapped.contains(ip("192.0.2.9")));
        let all: PeerNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.1")));
        assert!(
            PeerNet::loopback()
                .iter()
                .any(|n| n.contains(ip("127.0.0.1")))
        );
        assert!(PeerNet::loopback().iter().any(|n| n.contains(ip("::1"))));
        assert!(
            !PeerNet::loopback()
                .iter()
                .any(|n| n.contains(ip("127.0.0.2")))
        );
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        for (entry, says) in [
            ("mx.example.fr", "not an IP address"),
            ("192.0.2.300", "not an IP address"),
            ("10.0.0.0/33", "from 0 to 32"),
            ("2001:db8::/129", "from 0 to 128"),
            ("10.0.0.0/x", "from 0 to 32"),
            ("10.0.0.0/+8", "from 0 to 32"),
            ("10.0.0.1/8", "bits set after its /8 prefix"),
            ("", "not an IP address"),
        ] {
            let err = entry.parse::<PeerNet>().unwrap_err().to_string();
            assert!(err.contains(says), "{entry}: {err}");
        }
    }
}
