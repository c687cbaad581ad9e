// SPDX-License-Identifier: Apache-2.0
//! The FIB the workers use: the kernel's main table (connected and static
//! routes), mirrored by the daemon over netlink and rebuilt whole on each
//! refresh. Lookups are longest-prefix over [`StaticFib`]; a trie is the
//! next step once FRR brings full tables.

use std::net::IpAddr;

use xpf_dataplane::{Fib, Route, StaticFib};

/// One unicast route of the kernel's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelRoute {
    /// Destination prefix.
    pub prefix: IpAddr,
    /// Prefix length.
    pub len: u8,
    /// Output interface.
    pub ifindex: u32,
    /// Gateway (`None`: connected).
    pub gateway: Option<IpAddr>,
}

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub struct KernelFib {
    table: StaticFib,
    routes: usize,
}

impl KernelFib {
    /// A FIB of these routes.
    pub fn new(routes: &[KernelRoute]) -> KernelFib {
        let mut table = StaticFib::new();
        for r in routes {
            table.add(r.prefix, r.len, r.ifindex, r.gateway);
        }
        KernelFib {
            table,
            routes: routes.len(),
        }
    }

    /// How many routes it holds.
    pub fn len(&self) -> usize {
        self.routes
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.routes == 0
    }
}

impl Fib for KernelFib {
    fn lookup(&self, dst: u128, v6: bool) -> Option<Route> {
        self.table.lookup(dst, v6)
    }
}
