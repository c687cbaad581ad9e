// SPDX-License-Identifier: Apache-2.0
//! Link-layer addresses: each data interface's own MAC (the source of what
//! it sends) and the kernel's neighbour cache (`ip neigh`), mirrored by the
//! daemon. xpf keeps no ARP/ND state of its own: the kernel resolves, xpf
//! reads.

use std::collections::HashMap;
use std::net::IpAddr;

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub struct L2Table {
    macs: HashMap<u32, [u8; 6]>,
    neighbours: HashMap<(u32, IpAddr), [u8; 6]>,
}

impl L2Table {
    /// An empty table.
    pub fn new() -> L2Table {
        L2Table::default()
    }

    /// Sets an interface's own MAC.
    pub fn set_mac(&mut self, ifindex: u32, mac: [u8; 6]) {
        self.macs.insert(ifindex, mac);
    }

    /// Adds a resolved neighbour.
    pub fn add_neighbour(&mut self, ifindex: u32, addr: IpAddr, mac: [u8; 6]) {
        self.neighbours.insert((ifindex, addr), mac);
    }

    /// An interface's own MAC.
    pub fn mac(&self, ifindex: u32) -> Option<[u8; 6]> {
        self.macs.get(&ifindex).copied()
    }

    /// A neighbour's MAC on an interface.
    pub fn neighbour(&self, ifindex: u32, addr: IpAddr) -> Option<[u8; 6]> {
        self.neighbours.get(&(ifindex, addr)).copied()
    }

    /// How many neighbours are resolved.
    pub fn neighbours(&self) -> usize {
        self.neighbours.len()
    }
}
