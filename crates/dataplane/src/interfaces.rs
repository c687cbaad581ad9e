// SPDX-License-Identifier: Apache-2.0
//! The kernel's view of the interfaces the configuration names: ifindex ↔
//! Junos unit name, and the addresses on each. The daemon fills it from
//! netlink; tests build it by hand.

use std::net::IpAddr;

use xpf_model::Prefix;

/// One logical interface.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceEntry {
    /// Kernel ifindex.
    pub ifindex: u32,
    /// Junos unit name, `ge-0/0/0.0`.
    pub name: String,
    /// Its addresses with their subnet lengths.
    pub addresses: Vec<Prefix>,
}

/// ifindex ↔ unit name, with addresses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InterfaceTable {
    entries: Vec<InterfaceEntry>,
}

impl InterfaceTable {
    /// An empty table.
    pub fn new() -> InterfaceTable {
        InterfaceTable::default()
    }

    /// Adds (or replaces) an interface; `name` without a unit means unit 0.
    pub fn insert(&mut self, ifindex: u32, name: &str, addresses: Vec<Prefix>) {
        let name = xpf_model::interfaces::normalize_unit(name);
        self.entries
            .retain(|e| e.ifindex != ifindex && e.name != name);
        self.entries.push(InterfaceEntry {
            ifindex,
            name,
            addresses,
        });
    }

    /// Builder form of [`InterfaceTable::insert`] taking address text
    /// (`10.0.0.1/24`); unreadable addresses are skipped.
    pub fn with(mut self, ifindex: u32, name: &str, addresses: &[&str]) -> InterfaceTable {
        let prefixes = addresses.iter().filter_map(|a| Prefix::parse(a)).collect();
        self.insert(ifindex, name, prefixes);
        self
    }

    /// Every entry.
    pub fn entries(&self) -> &[InterfaceEntry] {
        &self.entries
    }

    /// The entry of a kernel ifindex.
    pub fn by_ifindex(&self, ifindex: u32) -> Option<&InterfaceEntry> {
        self.entries.iter().find(|e| e.ifindex == ifindex)
    }

    /// The entry of a unit name.
    pub fn by_name(&self, name: &str) -> Option<&InterfaceEntry> {
        let name = xpf_model::interfaces::normalize_unit(name);
        self.entries.iter().find(|e| e.name == name)
    }

    /// The first address of a family on an interface.
    pub fn first_address(&self, ifindex: u32, v6: bool) -> Option<IpAddr> {
        self.by_ifindex(ifindex)?
            .addresses
            .iter()
            .find(|p| p.addr.is_ipv6() == v6)
            .map(|p| p.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let t = InterfaceTable::new()
            .with(3, "ge-0/0/0", &["10.0.0.1/24", "2001:db8::1/64"])
            .with(4, "ge-0/0/1.0", &[]);
        assert_eq!(t.by_ifindex(3).map(|e| e.name.as_str()), Some("ge-0/0/0.0"));
        assert_eq!(t.by_name("ge-0/0/1").map(|e| e.ifindex), Some(4));
        assert_eq!(t.first_address(3, true), "2001:db8::1".parse().ok());
        assert_eq!(t.first_address(4, false), None);
    }
}
