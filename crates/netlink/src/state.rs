// SPDX-License-Identifier: Apache-2.0
//! What the kernel holds: [`Snapshot`] of every link and its addresses.

use crate::desired::IfAddr;

/// xpf's mark on the VLAN links it creates: their device group (IFLA_GROUP, shown by
/// `ip -d link` as `group 7893094`; the number is "xpf" in ASCII, `0x787066`).
///
/// A VLAN link is *xpf-created* exactly when its group is this number. xpf only ever deletes
/// VLAN links with this mark, so VLANs made by hand or by other software are never removed.
/// The mark lives in the kernel, so it survives a restart of the daemon. A desired VLAN
/// that already exists with the right parent and id but without the mark is adopted: xpf
/// sets the mark (reported as [`crate::Action::SetGroup`]) and owns it from then on.
pub const XPF_LINK_GROUP: u32 = 0x0078_7066;

/// The kind of an existing link, as far as xpf cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObservedKind {
    /// An 802.1Q VLAN link.
    Vlan {
        /// Index of the parent link.
        parent_index: u32,
        /// Name of the parent link; `None` when it is not in this namespace's dump.
        parent: Option<String>,
        /// VLAN id.
        id: u16,
    },
    /// Anything else; `info_kind` is the driver kind (`veth`, `dummy`, `bridge`, …) when
    /// the kernel reports one (real NICs and `lo` have none).
    Other {
        /// IFLA_INFO_KIND.
        info_kind: Option<String>,
    },
}

/// One link as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkState {
    /// Interface index.
    pub index: u32,
    /// Linux name.
    pub name: String,
    /// VLAN (with parent and id) or other.
    pub kind: ObservedKind,
    /// Current MTU.
    pub mtu: u32,
    /// Smallest MTU the device takes, when the kernel says.
    pub min_mtu: Option<u32>,
    /// Largest MTU the device takes, when the kernel says.
    pub max_mtu: Option<u32>,
    /// Administratively up (IFF_UP).
    pub up: bool,
    /// Alias (IFLA_IFALIAS); `None` when unset or empty.
    pub alias: Option<String>,
    /// Device group (IFLA_GROUP); see [`XPF_LINK_GROUP`].
    pub group: u32,
    /// Addresses, sorted, IPv6 link-local ones included.
    pub addresses: Vec<IfAddr>,
}

impl LinkState {
    /// A VLAN link carrying xpf's mark ([`XPF_LINK_GROUP`]).
    pub fn is_xpf_vlan(&self) -> bool {
        matches!(self.kind, ObservedKind::Vlan { .. }) && self.group == XPF_LINK_GROUP
    }

    /// The VLAN parent name and id, when this is a VLAN whose parent is known.
    pub fn vlan(&self) -> Option<(&str, u16)> {
        match &self.kind {
            ObservedKind::Vlan {
                parent: Some(p),
                id,
                ..
            } => Some((p.as_str(), *id)),
            _ => None,
        }
    }

    /// A short description for messages: `a veth`, `VLAN 20 on eth0`, `a device`.
    pub fn describe(&self) -> String {
        match &self.kind {
            ObservedKind::Vlan {
                parent,
                parent_index,
                id,
            } => match parent {
                Some(p) => format!("VLAN {id} on {p}"),
                None => format!("VLAN {id} on ifindex {parent_index}"),
            },
            ObservedKind::Other { info_kind: Some(k) } => format!("a {k} link"),
            ObservedKind::Other { info_kind: None } => "a device".to_string(),
        }
    }
}

/// Every link of the namespace with its addresses, sorted by index. Taken by
/// [`crate::Owner::snapshot`]; [`crate::Owner::restore`] returns to one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The links, sorted by index.
    pub links: Vec<LinkState>,
}

impl Snapshot {
    /// The link with this Linux name.
    pub fn link(&self, name: &str) -> Option<&LinkState> {
        self.links.iter().find(|l| l.name == name)
    }

    /// The link with this index.
    pub fn by_index(&self, index: u32) -> Option<&LinkState> {
        self.links.iter().find(|l| l.index == index)
    }
}
