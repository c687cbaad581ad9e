// SPDX-License-Identifier: Apache-2.0
//! The kernel's neighbour cache (`ip neigh`) and the links' MAC addresses,
//! read for the AF_XDP dataplane, which rewrites Ethernet headers from
//! them: the kernel resolves neighbours, xpf only reads the result.

use std::net::IpAddr;

use futures::TryStreamExt;
use rtnetlink::packet_route::link::LinkAttribute;
use rtnetlink::packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};

use crate::error::{NetlinkError, Op};
use crate::Owner;

/// One resolved neighbour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbour {
    /// Interface.
    pub ifindex: u32,
    /// Its IP address.
    pub addr: IpAddr,
    /// Its MAC address.
    pub mac: [u8; 6],
    /// The cache state as `show arp`/`show ipv6 neighbors` name it
    /// (`reachable`, `stale`, `delay`, `probe`, `permanent`, `noarp`).
    pub state: &'static str,
    /// It said it is a router (IPv6 neighbour advertisements).
    pub router: bool,
}

fn parse(msg: &NeighbourMessage) -> Option<Neighbour> {
    // Entries being resolved or given up on carry no usable address.
    if matches!(
        msg.header.state,
        NeighbourState::Incomplete | NeighbourState::Failed | NeighbourState::None
    ) {
        return None;
    }
    let mut addr = None;
    let mut mac = None;
    for a in &msg.attributes {
        match a {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(v)) => addr = Some((*v).into()),
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(v)) => addr = Some((*v).into()),
            NeighbourAttribute::LinkLayerAddress(m) => mac = <[u8; 6]>::try_from(&m[..]).ok(),
            _ => {}
        }
    }
    let state = match msg.header.state {
        NeighbourState::Reachable => "reachable",
        NeighbourState::Stale => "stale",
        NeighbourState::Delay => "delay",
        NeighbourState::Probe => "probe",
        NeighbourState::Permanent => "permanent",
        NeighbourState::Noarp => "noarp",
        _ => "unknown",
    };
    Some(Neighbour {
        ifindex: msg.header.ifindex,
        addr: addr?,
        mac: mac?,
        state,
        router: msg
            .header
            .flags
            .contains(rtnetlink::packet_route::neighbour::NeighbourFlags::Router),
    })
}

impl Owner {
    /// The resolved (usable) entries of the kernel's neighbour cache.
    pub async fn neighbours(&self) -> Result<Vec<Neighbour>, NetlinkError> {
        let _dumping = self.dumping().await;
        let msgs: Vec<NeighbourMessage> = self
            .handle()
            .neighbours()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| NetlinkError::kernel(Op::DumpNeighbours, "the neighbour cache", e))?;
        Ok(msgs.iter().filter_map(parse).collect())
    }

    /// Every link's Ethernet address, by ifindex.
    pub async fn link_macs(&self) -> Result<Vec<(u32, [u8; 6])>, NetlinkError> {
        let _dumping = self.dumping().await;
        let msgs: Vec<_> = self
            .handle()
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| NetlinkError::kernel(Op::DumpLinks, "all links", e))?;
        Ok(msgs
            .iter()
            .filter_map(|m| {
                m.attributes.iter().find_map(|a| match a {
                    LinkAttribute::Address(b) => <[u8; 6]>::try_from(&b[..])
                        .ok()
                        .map(|mac| (m.header.index, mac)),
                    _ => None,
                })
            })
            .collect())
    }
}
