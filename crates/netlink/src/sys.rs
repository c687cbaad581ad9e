// SPDX-License-Identifier: Apache-2.0
//! The one place that talks netlink: every request xpf sends, and the parsing of what the
//! kernel sends back into this crate's plain types. Each call maps a failure to a
//! [`NetlinkError`] naming the operation and the interface.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures::TryStreamExt;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoVlan, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use rtnetlink::{AddressMessageBuilder, Handle, LinkUnspec, LinkVlan};

use tokio::sync::Mutex;

use crate::desired::IfAddr;
use crate::error::{both_names, NetlinkError, Op};
use crate::state::{LinkState, ObservedKind, Snapshot};

/// errno: the address is not there (already gone).
pub(crate) const EADDRNOTAVAIL: i32 = 99;

/// Dumps links and addresses into a [`Snapshot`].
///
/// `dumps` serialises dumps on the one socket: the kernel answers a second
/// dump started while one runs with EBUSY.
pub(crate) async fn snapshot(h: &Handle, dumps: &Mutex<()>) -> Result<Snapshot, NetlinkError> {
    let _dumping = dumps.lock().await;
    let msgs: Vec<LinkMessage> = h
        .link()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(|e| NetlinkError::kernel(Op::DumpLinks, "in this namespace", e))?;
    let mut links: Vec<LinkState> = msgs.iter().filter_map(parse_link).collect();
    links.sort_by_key(|l| l.index);

    let addrs: Vec<AddressMessage> = h
        .address()
        .get()
        .execute()
        .try_collect()
        .await
        .map_err(|e| NetlinkError::kernel(Op::DumpAddresses, "in this namespace", e))?;
    for (index, addr) in addrs.iter().filter_map(parse_address) {
        if let Some(l) = links.iter_mut().find(|l| l.index == index) {
            l.addresses.push(addr);
        }
    }
    let names: Vec<(u32, String)> = links.iter().map(|l| (l.index, l.name.clone())).collect();
    for l in &mut links {
        l.addresses.sort();
        l.addresses.dedup();
        if let ObservedKind::Vlan {
            parent_index,
            parent,
            ..
        } = &mut l.kind
        {
            *parent = names
                .iter()
                .find(|(i, _)| i == parent_index)
                .map(|(_, n)| n.clone());
        }
    }
    Ok(Snapshot { links })
}

/// Parses one link message (VLAN parent names are resolved by the caller); `None`, with a
/// warning, when it lacks a name.
fn parse_link(msg: &LinkMessage) -> Option<LinkState> {
    let mut name = None;
    let mut mtu = 0;
    let (mut min_mtu, mut max_mtu) = (None, None);
    let mut alias = None;
    let mut group = 0;
    let mut link = None;
    let mut info_kind = None;
    let mut vlan_id = None;
    for attr in &msg.attributes {
        match attr {
            LinkAttribute::IfName(n) => name = Some(n.clone()),
            LinkAttribute::Mtu(m) => mtu = *m,
            LinkAttribute::MinMtu(m) => min_mtu = Some(*m),
            LinkAttribute::MaxMtu(m) => max_mtu = Some(*m),
            LinkAttribute::IfAlias(a) if !a.is_empty() => alias = Some(a.clone()),
            LinkAttribute::Group(g) => group = *g,
            LinkAttribute::Link(i) => link = Some(*i),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    match info {
                        LinkInfo::Kind(k) => info_kind = Some(k.clone()),
                        LinkInfo::Data(InfoData::Vlan(vs)) => {
                            for v in vs {
                                if let InfoVlan::Id(id) = v {
                                    vlan_id = Some(*id);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let Some(name) = name else {
        tracing::warn!(
            index = msg.header.index,
            "link without a name in the kernel's dump; ignored"
        );
        return None;
    };
    let kind = match (&info_kind, vlan_id, link) {
        (Some(InfoKind::Vlan), Some(id), Some(parent_index)) => ObservedKind::Vlan {
            parent_index,
            parent: None,
            id,
        },
        _ => ObservedKind::Other {
            info_kind: info_kind.map(|k| k.to_string()),
        },
    };
    Some(LinkState {
        index: msg.header.index,
        name,
        kind,
        mtu,
        min_mtu,
        max_mtu,
        up: msg.header.flags.contains(LinkFlags::Up),
        alias,
        group,
        addresses: Vec::new(),
    })
}

/// Parses one address message into (link index, address); `None` when it carries none.
pub(crate) fn parse_address(msg: &AddressMessage) -> Option<(u32, IfAddr)> {
    let mut local = None;
    let mut address = None;
    for attr in &msg.attributes {
        match attr {
            AddressAttribute::Local(a) => local = Some(*a),
            AddressAttribute::Address(a) => address = Some(*a),
            _ => {}
        }
    }
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point
    // links and equal to IFA_LOCAL otherwise. IPv6 usually sends only IFA_ADDRESS.
    let addr = local.or(address)?;
    let ifaddr = IfAddr {
        addr,
        prefix_len: msg.header.prefix_len,
    };
    ifaddr.is_valid().then_some((msg.header.index, ifaddr))
}

/// The link index and address of an address message, for change notifications.
pub(crate) fn address_of(msg: &AddressMessage) -> (u32, Option<IfAddr>) {
    (msg.header.index, parse_address(msg).map(|(_, a)| a))
}

/// Parses a link message into (index, name) for change notifications.
pub(crate) fn link_name(msg: &LinkMessage) -> (u32, Option<String>) {
    let name = msg.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.clone()),
        _ => None,
    });
    (msg.header.index, name)
}

/// `ip link add link PARENT name NAME group GROUP type vlan id ID`, left down.
pub(crate) async fn create_vlan(
    h: &Handle,
    name: &str,
    parent_index: u32,
    id: u16,
    group: u32,
) -> Result<(), NetlinkError> {
    let msg = LinkVlan::new(name, parent_index, id)
        .append_extra_attribute(LinkAttribute::Group(group))
        .build();
    h.link()
        .add(msg)
        .execute()
        .await
        .map_err(|e| NetlinkError::kernel(Op::CreateVlan, both_names(name), e))
}

/// `ip link del NAME`.
pub(crate) async fn delete_link(h: &Handle, index: u32, name: &str) -> Result<(), NetlinkError> {
    h.link()
        .del(index)
        .execute()
        .await
        .map_err(|e| NetlinkError::kernel(Op::DeleteLink, both_names(name), e))
}

async fn set_link(h: &Handle, op: Op, name: &str, msg: LinkMessage) -> Result<(), NetlinkError> {
    h.link()
        .set(msg)
        .execute()
        .await
        .map_err(|e| NetlinkError::kernel(op, both_names(name), e))
}

/// `ip link set NAME mtu MTU`.
pub(crate) async fn set_mtu(
    h: &Handle,
    index: u32,
    name: &str,
    mtu: u32,
) -> Result<(), NetlinkError> {
    set_link(
        h,
        Op::SetMtu,
        name,
        LinkUnspec::new_with_index(index).mtu(mtu).build(),
    )
    .await
}

/// `ip link set NAME alias ALIAS`; `None` clears it (an empty alias is no alias).
pub(crate) async fn set_alias(
    h: &Handle,
    index: u32,
    name: &str,
    alias: Option<&str>,
) -> Result<(), NetlinkError> {
    let msg = LinkUnspec::new_with_index(index)
        .alias(alias.unwrap_or(""))
        .build();
    set_link(h, Op::SetAlias, name, msg).await
}

/// `ip link set NAME group GROUP`.
pub(crate) async fn set_group(
    h: &Handle,
    index: u32,
    name: &str,
    group: u32,
) -> Result<(), NetlinkError> {
    let msg = LinkUnspec::new_with_index(index)
        .append_extra_attribute(LinkAttribute::Group(group))
        .build();
    set_link(h, Op::SetGroup, name, msg).await
}

/// `ip link set NAME up|down`.
pub(crate) async fn set_up(
    h: &Handle,
    index: u32,
    name: &str,
    up: bool,
) -> Result<(), NetlinkError> {
    let b = LinkUnspec::new_with_index(index);
    let (op, msg) = if up {
        (Op::SetUp, b.up().build())
    } else {
        (Op::SetDown, b.down().build())
    };
    set_link(h, op, name, msg).await
}

fn address_message(index: u32, addr: IfAddr) -> AddressMessage {
    match addr.addr {
        IpAddr::V4(a) => AddressMessageBuilder::<Ipv4Addr>::new()
            .index(index)
            .address(a, addr.prefix_len)
            .build(),
        IpAddr::V6(a) => AddressMessageBuilder::<Ipv6Addr>::new()
            .index(index)
            .address(a, addr.prefix_len)
            .build(),
    }
}

/// `ip addr add ADDR/LEN dev NAME`.
pub(crate) async fn add_address(
    h: &Handle,
    index: u32,
    name: &str,
    addr: IfAddr,
) -> Result<(), NetlinkError> {
    h.address()
        .add(index, addr.addr, addr.prefix_len)
        .execute()
        .await
        .map_err(|e| {
            NetlinkError::kernel(Op::AddAddress, format!("{addr} on {}", both_names(name)), e)
        })
}

/// `ip addr del ADDR/LEN dev NAME`.
pub(crate) async fn remove_address(
    h: &Handle,
    index: u32,
    name: &str,
    addr: IfAddr,
) -> Result<(), NetlinkError> {
    h.address()
        .del(address_message(index, addr))
        .execute()
        .await
        .map_err(|e| {
            NetlinkError::kernel(
                Op::RemoveAddress,
                format!("{addr} on {}", both_names(name)),
                e,
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::state::XPF_LINK_GROUP;

    #[test]
    fn parses_the_vlan_message_xpf_sends() {
        let mut msg = LinkVlan::new("ge-0-0-1.10", 7, 10)
            .append_extra_attribute(LinkAttribute::Group(XPF_LINK_GROUP))
            .mtu(1400)
            .alias("dmz")
            .up()
            .build();
        msg.header.index = 9;
        let l = parse_link(&msg).unwrap();
        assert_eq!(l.name, "ge-0-0-1.10");
        assert_eq!(
            l.kind,
            ObservedKind::Vlan {
                parent_index: 7,
                parent: None,
                id: 10
            }
        );
        assert_eq!(
            (l.index, l.mtu, l.up, l.group),
            (9, 1400, true, XPF_LINK_GROUP)
        );
        assert_eq!(l.alias.as_deref(), Some("dmz"));
        assert!(
            parse_link(&LinkMessage::default()).is_none(),
            "a link without a name is skipped"
        );
    }

    #[test]
    fn parses_addresses_local_first() {
        let msg = address_message(3, "10.0.0.1/24".parse().unwrap());
        assert_eq!(
            parse_address(&msg),
            Some((3, "10.0.0.1/24".parse().unwrap()))
        );
        let msg = address_message(4, "2001:db8::1/64".parse().unwrap());
        assert_eq!(
            parse_address(&msg),
            Some((4, "2001:db8::1/64".parse().unwrap()))
        );
        assert_eq!(parse_address(&AddressMessage::default()), None);
    }
}
