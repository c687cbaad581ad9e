// SPDX-License-Identifier: Apache-2.0
//! Kernel notifications of link and address changes ([`watch`]), so the daemon can
//! re-apply its desired state when something else changes an interface behind its back.
//!
//! A second netlink socket subscribes to the multicast groups `RTNLGRP_LINK`,
//! `RTNLGRP_IPV4_IFADDR` and `RTNLGRP_IPV6_IFADDR`. Every notification becomes one
//! [`Change`]: xpf's own changes are reported too, and nothing is debounced (both are the
//! daemon's job).
//!
//! Subscribe before the first [`crate::Owner::apply`]: a change made between an apply and
//! the subscription would otherwise go unseen. When the stream yields [`Change::Overrun`]
//! or ends, notifications were lost: re-apply (and resubscribe if it ended).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::channel::mpsc::UnboundedReceiver;
use futures::Stream;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::sys::SocketAddr;
use rtnetlink::MulticastGroup;
use tokio::task::JoinHandle;

use crate::desired::IfAddr;
use crate::error::{NetlinkError, Op};
use crate::sys;

/// One change the kernel announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A link appeared, changed (MTU, flags, alias, carrier …) or, with `removed`, went.
    Link {
        /// Interface index.
        index: u32,
        /// Linux name, when the message carried it (it normally does).
        name: Option<String>,
        /// The link was deleted.
        removed: bool,
    },
    /// An address was added or, with `removed`, deleted.
    Address {
        /// Index of the link it is on.
        index: u32,
        /// The address, when the message carried one.
        addr: Option<IfAddr>,
        /// The address was removed.
        removed: bool,
    },
    /// The socket's buffer overflowed and notifications were lost: assume anything changed.
    Overrun,
}

impl Change {
    /// The interface index the change is about (`None` for [`Change::Overrun`]).
    pub fn index(&self) -> Option<u32> {
        match self {
            Change::Link { index, .. } | Change::Address { index, .. } => Some(*index),
            Change::Overrun => None,
        }
    }
}

type Unsolicited = UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>;

/// A stream of [`Change`]s; ends only if the netlink socket fails (then resubscribe and
/// re-apply). Dropping it closes the socket.
#[derive(Debug)]
pub struct Watcher {
    messages: Unsolicited,
    connection: JoinHandle<()>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

/// Subscribes to link and address changes in the calling thread's network namespace; the
/// socket's task runs on the current tokio runtime.
pub fn watch() -> Result<Watcher, NetlinkError> {
    let rt = tokio::runtime::Handle::try_current()
        .map_err(|_| NetlinkError::NoRuntime { op: Op::Subscribe })?;
    let groups = [
        MulticastGroup::Link,
        MulticastGroup::Ipv4Ifaddr,
        MulticastGroup::Ipv6Ifaddr,
    ];
    let (conn, _handle, messages) =
        rtnetlink::new_multicast_connection(&groups).map_err(|source| NetlinkError::Socket {
            op: Op::Subscribe,
            source,
        })?;
    let connection = rt.spawn(conn);
    Ok(Watcher {
        messages,
        connection,
    })
}

impl Stream for Watcher {
    type Item = Change;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Change>> {
        loop {
            match Pin::new(&mut self.messages).poll_next(cx) {
                Poll::Ready(Some((msg, _))) => {
                    if let Some(change) = to_change(msg) {
                        return Poll::Ready(Some(change));
                    }
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

fn to_change(msg: NetlinkMessage<RouteNetlinkMessage>) -> Option<Change> {
    let link = |(index, name), removed| Change::Link {
        index,
        name,
        removed,
    };
    let address = |(index, addr), removed| Change::Address {
        index,
        addr,
        removed,
    };
    match &msg.payload {
        NetlinkPayload::InnerMessage(m) => match m {
            RouteNetlinkMessage::NewLink(l) => Some(link(sys::link_name(l), false)),
            RouteNetlinkMessage::DelLink(l) => Some(link(sys::link_name(l), true)),
            RouteNetlinkMessage::NewAddress(a) => Some(address(sys::address_of(a), false)),
            RouteNetlinkMessage::DelAddress(a) => Some(address(sys::address_of(a), true)),
            _ => None,
        },
        NetlinkPayload::Overrun(_) => Some(Change::Overrun),
        _ => None,
    }
}
