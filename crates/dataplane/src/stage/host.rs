// SPDX-License-Identifier: Apache-2.0
//! Stage: traffic for the box itself. Packets addressed to one of the
//! box's addresses (or broadcast/multicast) go to the kernel only when the
//! interface's host-inbound-traffic accepts them; nothing else reaches it.

use super::parse::Packet;
use crate::parse::tcp::ACK;
use crate::snapshot::{IfInfo, Snapshot};
use crate::verdict::{DropReason, Verdict};

/// `Some(verdict)` when the packet is for the box, `None` for transit.
/// `dst` is the destination after destination NAT.
pub(crate) fn run(snap: &Snapshot, iface: &IfInfo, pkt: &Packet, dst: u128) -> Option<Verdict> {
    let local = snap.is_local(pkt.v6, dst);
    if !local && !snap.is_broadcast_or_multicast(iface, pkt.v6, dst) {
        return None;
    }
    if let Some(i) = pkt.icmp {
        // Neighbour discovery and MLD are part of running IPv6, as on
        // Junos where they need no host-inbound statement; errors and echo
        // replies answer the box's own traffic.
        if i.neighbor_discovery || i.error || (i.echo && matches!(i.ty, 0 | 129)) {
            return Some(Verdict::ToKernel);
        }
    }
    if let Some(t) = pkt.tcp {
        // Segments of connections the box opened (it is not a new
        // connection to a host service): the kernel's own stack decides,
        // and answers strays with a RST.
        if t.flags & ACK != 0 && local {
            return Some(Verdict::ToKernel);
        }
    }
    let port = if pkt.icmp.is_some() {
        pkt.port >> 8
    } else {
        pkt.dport
    };
    Some(if iface.host.allows(pkt.proto, pkt.sport, port) {
        Verdict::ToKernel
    } else {
        Verdict::Drop(DropReason::HostInboundDenied)
    })
}
