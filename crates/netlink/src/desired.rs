// SPDX-License-Identifier: Apache-2.0
//! The desired state of the namespace's interfaces, as plain data the daemon fills from its
//! typed configuration. Every name here is a Linux name (see [`crate::names`]).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use thiserror::Error;

/// An interface address: the address itself and its prefix length (`10.0.0.1/24`). Host
/// bits are kept: this is what `ip addr add` takes, not a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfAddr {
    /// The address.
    pub addr: IpAddr,
    /// The prefix length: at most 32 for IPv4, 128 for IPv6.
    pub prefix_len: u8,
}

/// A malformed [`IfAddr`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid interface address {text:?}: {why}")]
pub struct IfAddrError {
    text: String,
    why: &'static str,
}

impl IfAddr {
    /// An address with its prefix length; fails when the length is too long for the family.
    pub fn new(addr: IpAddr, prefix_len: u8) -> Result<Self, IfAddrError> {
        if prefix_len > Self::max_len(addr) {
            return Err(IfAddrError {
                text: format!("{addr}/{prefix_len}"),
                why: "prefix length too long for the address family",
            });
        }
        Ok(Self { addr, prefix_len })
    }

    /// Whether [`Self::prefix_len`] fits the address family.
    pub fn is_valid(&self) -> bool {
        self.prefix_len <= Self::max_len(self.addr)
    }

    /// IPv6 link-local (`fe80::/10`): the kernel makes these itself, xpf leaves them alone.
    pub fn is_ipv6_link_local(&self) -> bool {
        match self.addr {
            IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
            IpAddr::V4(_) => false,
        }
    }

    fn max_len(addr: IpAddr) -> u8 {
        if addr.is_ipv4() {
            32
        } else {
            128
        }
    }
}

impl fmt::Display for IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl FromStr for IfAddr {
    type Err = IfAddrError;

    /// `ADDR/LEN`, e.g. `10.0.0.1/24` or `2001:db8::1/64`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| IfAddrError {
            text: s.to_string(),
            why,
        };
        let (addr, len) = s.split_once('/').ok_or_else(|| err("expected ADDR/LEN"))?;
        let addr: IpAddr = addr.parse().map_err(|_| err("not an IP address"))?;
        let len: u8 = len
            .parse()
            .map_err(|_| err("prefix length is not a number"))?;
        Self::new(addr, len)
    }
}

/// What kind of link a [`DesiredLink`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    /// A device xpf does not create (a NIC, a veth, a bond made elsewhere). It must exist;
    /// xpf only configures it.
    Physical,
    /// An 802.1Q sub-interface xpf creates on `parent` (a Linux name) with VLAN `id`
    /// (1..=4094): `ip link add link PARENT name NAME type vlan id ID`.
    Vlan {
        /// The Linux name of the parent device.
        parent: String,
        /// The VLAN id (not the Junos unit number).
        id: u16,
    },
}

/// One interface as the configuration wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredLink {
    /// The Linux name (see [`crate::linux_name`]).
    pub name: String,
    /// Physical (exists already) or a VLAN xpf creates.
    pub kind: LinkKind,
    /// The MTU; `None` leaves whatever the device has.
    pub mtu: Option<u32>,
    /// Administratively up (`true`) or down (Junos `disable`).
    pub up: bool,
    /// The Junos `description`, kept as the link's alias (IFLA_IFALIAS); `None` clears it.
    pub alias: Option<String>,
    /// Exactly the addresses the link should carry (IPv6 link-local ones excepted: the
    /// kernel manages those and xpf never removes them).
    pub addresses: Vec<IfAddr>,
}

impl DesiredLink {
    /// A physical link, up, with no MTU, alias or address: fill the rest with the builders
    /// or the public fields.
    pub fn physical(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: LinkKind::Physical,
            mtu: None,
            up: true,
            alias: None,
            addresses: Vec::new(),
        }
    }

    /// A VLAN sub-interface of `parent` with VLAN `id`, up, otherwise empty.
    pub fn vlan(name: impl Into<String>, parent: impl Into<String>, id: u16) -> Self {
        Self {
            kind: LinkKind::Vlan {
                parent: parent.into(),
                id,
            },
            ..Self::physical(name)
        }
    }

    /// Sets the MTU.
    pub fn with_mtu(mut self, mtu: u32) -> Self {
        self.mtu = Some(mtu);
        self
    }

    /// Sets the alias (Junos description).
    pub fn with_alias(mut self, alias: impl Into<String>) -> Self {
        self.alias = Some(alias.into());
        self
    }

    /// Adds an address.
    pub fn with_address(mut self, addr: IfAddr) -> Self {
        self.addresses.push(addr);
        self
    }

    /// Sets the administrative state.
    pub fn with_up(mut self, up: bool) -> Self {
        self.up = up;
        self
    }
}

/// The whole desired state of the namespace's interfaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Desired {
    /// The links the configuration names.
    pub links: Vec<DesiredLink>,
    /// Bring down every link the configuration does not name (never `lo`, never the parent
    /// of a desired VLAN).
    pub down_unmanaged: bool,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ifaddr_parse_and_print() {
        let a: IfAddr = "10.0.0.1/24".parse().unwrap();
        assert_eq!(a.to_string(), "10.0.0.1/24");
        let b: IfAddr = "2001:db8::1/64".parse().unwrap();
        assert_eq!(b.prefix_len, 64);
        assert!("10.0.0.1/33".parse::<IfAddr>().is_err());
        assert!("10.0.0.1".parse::<IfAddr>().is_err());
        assert!("fe80::1/64".parse::<IfAddr>().unwrap().is_ipv6_link_local());
        assert!("febf::1/64".parse::<IfAddr>().unwrap().is_ipv6_link_local());
        assert!(!"fec0::1/64".parse::<IfAddr>().unwrap().is_ipv6_link_local());
        assert!(!a.is_ipv6_link_local());
    }
}
