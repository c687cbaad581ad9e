// SPDX-License-Identifier: Apache-2.0
//! Route lookup. The pipeline asks a [`Fib`] where a destination goes; the
//! daemon implements it over the kernel's tables (mirrored from netlink),
//! tests and benchmarks use [`StaticFib`].

use std::net::IpAddr;

use crate::interfaces::InterfaceTable;

/// Where a destination is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// Egress kernel ifindex.
    pub ifindex: u32,
    /// Next hop (the destination itself for a connected route).
    pub next_hop: IpAddr,
}

/// A forwarding table.
pub trait Fib {
    /// The route to `dst` (`v6` tells the family of the `u128` address;
    /// IPv4 addresses are in the low 32 bits).
    fn lookup(&self, dst: u128, v6: bool) -> Option<Route>;
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    v6: bool,
    network: u128,
    len: u8,
    ifindex: u32,
    gateway: Option<u128>,
}

/// A longest-prefix-match table in a vector, longest prefixes first; enough
/// for tests and small route sets.
#[derive(Debug, Clone, Default)]
pub struct StaticFib {
    entries: Vec<Entry>,
}

impl StaticFib {
    /// An empty table.
    pub fn new() -> StaticFib {
        StaticFib::default()
    }

    /// A table with the connected routes of every interface address.
    pub fn connected(interfaces: &InterfaceTable) -> StaticFib {
        let mut fib = StaticFib::new();
        for e in interfaces.entries() {
            for p in &e.addresses {
                fib.add(p.addr, p.len, e.ifindex, None);
            }
        }
        fib
    }

    /// Adds `prefix/len` via `ifindex`, through `gateway` (None: connected).
    pub fn add(&mut self, prefix: IpAddr, len: u8, ifindex: u32, gateway: Option<IpAddr>) {
        let (v6, addr) = crate::addr::split(prefix);
        let entry = Entry {
            v6,
            network: crate::addr::mask(addr, len, v6),
            len,
            ifindex,
            gateway: gateway.map(|g| crate::addr::split(g).1),
        };
        let at = self.entries.partition_point(|e| e.len >= len);
        self.entries.insert(at, entry);
    }

    /// Builder form of [`StaticFib::add`] from text (`0.0.0.0/0`); bad
    /// text is ignored.
    pub fn route(mut self, prefix: &str, ifindex: u32, gateway: Option<&str>) -> StaticFib {
        if let Some(p) = xpf_model::Prefix::parse(prefix) {
            let gw = gateway.and_then(|g| g.parse().ok());
            self.add(p.addr, p.len, ifindex, gw);
        }
        self
    }
}

impl Fib for StaticFib {
    fn lookup(&self, dst: u128, v6: bool) -> Option<Route> {
        let e = self
            .entries
            .iter()
            .find(|e| e.v6 == v6 && crate::addr::mask(dst, e.len, v6) == e.network)?;
        Some(Route {
            ifindex: e.ifindex,
            next_hop: crate::addr::join(e.gateway.unwrap_or(dst), v6),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let fib = StaticFib::new()
            .route("0.0.0.0/0", 1, Some("192.0.2.254"))
            .route("10.0.0.0/8", 2, None)
            .route("10.1.0.0/16", 3, Some("10.0.0.9"))
            .route("::/0", 4, Some("2001:db8::1"));
        let r = fib.lookup(0x0a01_0203, false).unwrap();
        assert_eq!((r.ifindex, r.next_hop), (3, "10.0.0.9".parse().unwrap()));
        let r = fib.lookup(0x0a02_0203, false).unwrap();
        assert_eq!((r.ifindex, r.next_hop), (2, "10.2.2.3".parse().unwrap()));
        assert_eq!(fib.lookup(0x0808_0808, false).map(|r| r.ifindex), Some(1));
        assert_eq!(fib.lookup(1, true).map(|r| r.ifindex), Some(4));
    }
}
