// SPDX-License-Identifier: Apache-2.0
//! IP prefixes and address ranges, the values address books, interfaces,
//! NAT and routes are made of.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An IPv4 or IPv6 prefix as written (`10.0.0.1/24` keeps its host bits:
/// interface addresses need them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    /// The address as written.
    pub addr: IpAddr,
    /// The prefix length.
    pub len: u8,
}

impl Prefix {
    /// Reads `addr/len`; a bare address is a host prefix (`/32`, `/128`).
    pub fn parse(text: &str) -> Option<Prefix> {
        if let Some((addr, len)) = xpf_config::schema::parse_prefix(text) {
            return Some(Prefix { addr, len });
        }
        let addr: IpAddr = text.parse().ok()?;
        Some(Prefix::host(addr))
    }

    /// The host prefix of one address.
    pub fn host(addr: IpAddr) -> Prefix {
        Prefix {
            addr,
            len: if addr.is_ipv4() { 32 } else { 128 },
        }
    }

    /// Whether it is an IPv4 prefix.
    pub fn is_ipv4(&self) -> bool {
        self.addr.is_ipv4()
    }

    /// The addresses it covers, as an inclusive range.
    pub fn range(&self) -> AddressRange {
        let (bits, max) = to_bits(self.addr);
        let host_bits = u32::from(max.saturating_sub(self.len));
        let mask = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let low = bits & !mask;
        let high = low | mask;
        AddressRange {
            low: from_bits(low, self.addr.is_ipv4()),
            high: from_bits(high, self.addr.is_ipv4()),
        }
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        self.range().low
    }

    /// Whether `addr` is inside the prefix.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.range().contains(addr)
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressRange {
    /// First address.
    pub low: IpAddr,
    /// Last address.
    pub high: IpAddr,
}

impl AddressRange {
    /// A range from `low` to `high`; `None` if the families differ or
    /// `low` is above `high`.
    pub fn new(low: IpAddr, high: IpAddr) -> Option<AddressRange> {
        let r = AddressRange { low, high };
        (low.is_ipv4() == high.is_ipv4() && to_bits(low).0 <= to_bits(high).0).then_some(r)
    }

    /// Whether `addr` is inside the range.
    pub fn contains(&self, addr: IpAddr) -> bool {
        addr.is_ipv4() == self.low.is_ipv4()
            && to_bits(self.low).0 <= to_bits(addr).0
            && to_bits(addr).0 <= to_bits(self.high).0
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(&self, other: &AddressRange) -> bool {
        self.low.is_ipv4() == other.low.is_ipv4()
            && to_bits(self.low).0 <= to_bits(other.high).0
            && to_bits(other.low).0 <= to_bits(self.high).0
    }
}

impl fmt::Display for AddressRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            write!(f, "{}", self.low)
        } else {
            write!(f, "{} to {}", self.low, self.high)
        }
    }
}

/// The address as a number and its family's width in bits.
fn to_bits(addr: IpAddr) -> (u128, u8) {
    match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    }
}

fn from_bits(bits: u128, v4: bool) -> IpAddr {
    if v4 {
        // Only ever called with values derived from a 32-bit address.
        IpAddr::V4(Ipv4Addr::from(u32::try_from(bits).unwrap_or(u32::MAX)))
    } else {
        IpAddr::V6(Ipv6Addr::from(bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Prefix {
        Prefix::parse(t).unwrap_or_else(|| panic!("bad prefix {t}"))
    }

    fn ip(t: &str) -> IpAddr {
        t.parse().unwrap_or_else(|_| panic!("bad address {t}"))
    }

    #[test]
    fn prefixes_cover_their_range() {
        let r = p("10.1.2.3/24").range();
        assert_eq!((r.low, r.high), (ip("10.1.2.0"), ip("10.1.2.255")));
        assert_eq!(p("0.0.0.0/0").range().high, ip("255.255.255.255"));
        assert_eq!(
            p("::/0").range().high,
            ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        );
        assert_eq!(p("192.0.2.7").len, 32);
        assert!(p("2001:db8::/32").contains(ip("2001:db8::1")));
        assert!(!p("2001:db8::/32").contains(ip("10.0.0.1")));
        assert_eq!(p("10.1.2.3/24").to_string(), "10.1.2.3/24");
        assert_eq!(p("10.1.2.3/24").network(), ip("10.1.2.0"));
    }

    #[test]
    fn ranges_overlap_within_a_family() {
        let a = AddressRange::new(ip("10.0.0.1"), ip("10.0.0.9")).expect("ordered");
        let b = p("10.0.0.8/30").range();
        assert!(a.overlaps(&b));
        assert!(!a.overlaps(&p("10.0.0.16/30").range()));
        assert!(AddressRange::new(ip("10.0.0.9"), ip("10.0.0.1")).is_none());
        assert!(AddressRange::new(ip("10.0.0.1"), ip("::1")).is_none());
        assert_eq!(a.to_string(), "10.0.0.1 to 10.0.0.9");
    }
}
