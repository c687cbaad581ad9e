// SPDX-License-Identifier: Apache-2.0
//! Routes: the static routes of the configuration in the kernel's main
//! table, and the table as it is, for `show route`.
//!
//! xpf's routes carry their own protocol number ([`XPF_ROUTE_PROTOCOL`],
//! `ip route` shows `proto 200`), so xpf only ever changes routes it
//! installed; connected and local routes stay the kernel's. Of several
//! configured next hops the first is installed, as Junos forwards on one
//! next hop unless load balancing is configured.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use futures::TryStreamExt;
use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteType, RouteVia,
};
use rtnetlink::{Handle, RouteMessageBuilder};

use crate::desired::IfAddr;
use crate::error::{NetlinkError, Op};
use crate::Owner;

/// The kernel route protocol number of xpf's routes.
pub const XPF_ROUTE_PROTOCOL: u8 = 200;

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// To a gateway.
    Via(IpAddr),
    /// `discard`: dropped silently.
    Blackhole,
    /// `reject`: dropped with an ICMP unreachable.
    Unreachable,
}

/// A route the configuration asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRoute {
    /// Destination prefix.
    pub prefix: IfAddr,
    /// Where it goes.
    pub target: RouteTarget,
    /// Kernel priority (Junos `metric`).
    pub metric: u32,
}

/// What kind of route the kernel holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Forwarded (directly or via a gateway).
    Unicast,
    /// Dropped.
    Blackhole,
    /// Rejected.
    Unreachable,
    /// Anything else (local, broadcast, multicast...).
    Other,
}

/// A route of the kernel's main table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteState {
    /// Destination prefix.
    pub prefix: IfAddr,
    /// Its kind.
    pub kind: RouteKind,
    /// The route protocol number (2 kernel, 4 static, 200 xpf).
    pub protocol: u8,
    /// The gateway, if any.
    pub gateway: Option<IpAddr>,
    /// The egress interface index, if any.
    pub oif: Option<u32>,
    /// Kernel priority.
    pub metric: u32,
}

impl RouteState {
    /// Whether xpf installed it.
    pub fn is_xpf(&self) -> bool {
        self.protocol == XPF_ROUTE_PROTOCOL
    }

    fn matches(&self, want: &DesiredRoute) -> bool {
        self.prefix == want.prefix
            && self.metric == want.metric
            && match &want.target {
                RouteTarget::Via(gw) => {
                    self.kind == RouteKind::Unicast && self.gateway == Some(*gw)
                }
                RouteTarget::Blackhole => self.kind == RouteKind::Blackhole,
                RouteTarget::Unreachable => self.kind == RouteKind::Unreachable,
            }
    }
}

fn protocol_number(p: RouteProtocol) -> u8 {
    u8::from(p)
}

fn address(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(v4) => Some(IpAddr::V4(*v4)),
        RouteAddress::Inet6(v6) => Some(IpAddr::V6(*v6)),
        _ => None,
    }
}

fn parse(msg: &RouteMessage) -> Option<RouteState> {
    let h = &msg.header;
    let mut table = u32::from(h.table);
    let (mut dst, mut gateway, mut oif, mut metric) = (None, None, None, 0);
    for a in &msg.attributes {
        match a {
            RouteAttribute::Destination(d) => dst = address(d),
            RouteAttribute::Gateway(g) => gateway = address(g),
            RouteAttribute::Via(RouteVia::Inet(v4)) => gateway = Some(IpAddr::V4(*v4)),
            RouteAttribute::Via(RouteVia::Inet6(v6)) => gateway = Some(IpAddr::V6(*v6)),
            RouteAttribute::Oif(i) => oif = Some(*i),
            RouteAttribute::Priority(p) => metric = *p,
            RouteAttribute::Table(t) => table = *t,
            _ => {}
        }
    }
    if table != u32::from(RouteHeader::RT_TABLE_MAIN) {
        return None;
    }
    let v6 = matches!(
        h.address_family,
        rtnetlink::packet_route::AddressFamily::Inet6
    );
    let dst = dst.unwrap_or(if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    });
    let kind = match h.kind {
        RouteType::Unicast => RouteKind::Unicast,
        RouteType::BlackHole => RouteKind::Blackhole,
        RouteType::Unreachable | RouteType::Prohibit => RouteKind::Unreachable,
        _ => RouteKind::Other,
    };
    Some(RouteState {
        prefix: IfAddr::new(dst, h.destination_prefix_length).ok()?,
        kind,
        protocol: protocol_number(h.protocol),
        gateway,
        oif,
        metric,
    })
}

fn message(r: &DesiredRoute) -> RouteMessage {
    let proto = RouteProtocol::Other(XPF_ROUTE_PROTOCOL);
    let kind = match r.target {
        RouteTarget::Via(_) => RouteType::Unicast,
        RouteTarget::Blackhole => RouteType::BlackHole,
        RouteTarget::Unreachable => RouteType::Unreachable,
    };
    match (r.prefix.addr, &r.target) {
        (IpAddr::V4(a), target) => {
            let mut b = RouteMessageBuilder::<Ipv4Addr>::new()
                .destination_prefix(a, r.prefix.prefix_len)
                .protocol(proto)
                .priority(r.metric)
                .kind(kind);
            if let RouteTarget::Via(IpAddr::V4(gw)) = target {
                b = b.gateway(*gw);
            }
            b.build()
        }
        (IpAddr::V6(a), target) => {
            let mut b = RouteMessageBuilder::<Ipv6Addr>::new()
                .destination_prefix(a, r.prefix.prefix_len)
                .protocol(proto)
                .priority(r.metric)
                .kind(kind);
            if let RouteTarget::Via(IpAddr::V6(gw)) = target {
                b = b.gateway(*gw);
            }
            b.build()
        }
    }
}

async fn dump(h: &Handle) -> Result<Vec<RouteState>, NetlinkError> {
    let mut out = Vec::new();
    for query in [
        RouteMessageBuilder::<Ipv4Addr>::new().build(),
        RouteMessageBuilder::<Ipv6Addr>::new().build(),
    ] {
        let msgs: Vec<RouteMessage> = h
            .route()
            .get(query)
            .execute()
            .try_collect()
            .await
            .map_err(|e| NetlinkError::kernel(Op::DumpRoutes, "the main table", e))?;
        out.extend(msgs.iter().filter_map(parse));
    }
    Ok(out)
}

/// What [`Owner::apply_routes`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteReport {
    /// Routes added.
    pub added: Vec<IfAddr>,
    /// Routes removed.
    pub removed: Vec<IfAddr>,
    /// Routes not installed because their next hop is not reachable (on
    /// Junos such a route stays configured but inactive).
    pub unreachable: Vec<IfAddr>,
}

impl Owner {
    /// The kernel's main routing table, both families.
    pub async fn routes(&self) -> Result<Vec<RouteState>, NetlinkError> {
        let _dumping = self.dumping().await;
        dump(self.handle()).await
    }

    /// Makes xpf's routes in the main table exactly `want`; routes of any
    /// other origin are left alone.
    pub async fn apply_routes(&self, want: &[DesiredRoute]) -> Result<RouteReport, NetlinkError> {
        let h = self.handle();
        let have: Vec<RouteState> = self
            .routes()
            .await?
            .into_iter()
            .filter(RouteState::is_xpf)
            .collect();
        let mut report = RouteReport::default();
        for old in have.iter().filter(|r| !want.iter().any(|w| r.matches(w))) {
            let w = DesiredRoute {
                prefix: old.prefix,
                target: match old.kind {
                    RouteKind::Blackhole => RouteTarget::Blackhole,
                    RouteKind::Unreachable => RouteTarget::Unreachable,
                    _ => RouteTarget::Via(old.gateway.unwrap_or(old.prefix.addr)),
                },
                metric: old.metric,
            };
            h.route()
                .del(message(&w))
                .execute()
                .await
                .map_err(|e| NetlinkError::kernel(Op::DeleteRoute, old.prefix.to_string(), e))?;
            report.removed.push(old.prefix);
        }
        for w in want.iter().filter(|w| !have.iter().any(|r| r.matches(w))) {
            match h.route().add(message(w)).replace().execute().await {
                Ok(()) => report.added.push(w.prefix),
                Err(e) => {
                    let err = NetlinkError::kernel(Op::AddRoute, w.prefix.to_string(), e);
                    // ENETUNREACH: the gateway is not on a connected network.
                    if err.errno() == Some(101) {
                        report.unreachable.push(w.prefix);
                    } else {
                        return Err(err);
                    }
                }
            }
        }
        Ok(report)
    }
}
