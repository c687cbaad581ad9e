// SPDX-License-Identifier: Apache-2.0
//! The pipeline: one frame in, one [`Verdict`] out. Read top to bottom,
//! this file is the packet path:
//!
//! 1. parse the headers ([`stage::parse`]);
//! 2. screen the ingress zone's checks ([`stage::screen`]); a later
//!    fragment goes where its first fragment went ([`stage::fragment`]);
//! 3. ICMP errors go to the session of the packet they quote
//!    ([`stage::icmp_error`]);
//! 4. session lookup ([`stage::conntrack`]): a hit is rewritten and sent;
//! 5. on a miss: destination NAT ([`stage::nat`]), traffic for the box
//!    ([`stage::host`]), route and egress zone ([`Fib`]), first-match policy,
//!    source NAT, session creation;
//! 6. rewrite and forward ([`stage::rewrite`]), or write a reply
//!    ([`stage::reply`]).

use std::sync::Arc;

use xpf_model::PolicyAction;

use crate::fib::{Fib, Route};
use crate::log::RecordKind;
use crate::parse::tcp::{ACK, RST, SYN};
use crate::session::{FlowKey, InsertError, LimitMark, Session, TcpTracker, Xlate};
use crate::snapshot::policy::PolicyKey;
use crate::snapshot::{IfInfo, PolicyHit, Snapshot};
use crate::stage::conntrack::{self, Lookup};
use crate::stage::fragment::{self, Owner};
use crate::stage::parse::{Frag, Frame, Packet};
use crate::stage::reply::IcmpError;
use crate::stage::{self, host, icmp_error, nat, reply, rewrite, screen};
use crate::verdict::{DropReason, Verdict};
use crate::worker::{record, Worker};

/// Runs one frame through the pipeline.
///
/// `frame` is the whole buffer (its length is the room for a reply);
/// `len` is how many bytes of it the frame fills. The frame is rewritten in
/// place. `now` is a monotonic time in nanoseconds.
pub fn process<F: Fib + ?Sized>(
    snap: &Snapshot,
    w: &mut Worker,
    fib: &F,
    ingress_ifindex: u32,
    frame: &mut [u8],
    len: usize,
    now: u64,
) -> Verdict {
    w.adopt(snap);
    let len = len.min(frame.len());
    w.counters.rx(ingress_ifindex, len);
    let v = decide(snap, w, fib, ingress_ifindex, frame, len, now);
    match v {
        Verdict::Forward { egress_ifindex, .. } => {
            w.counters.forwarded += 1;
            w.counters.tx(egress_ifindex, len);
        }
        Verdict::ToKernel => w.counters.to_kernel += 1,
        Verdict::Drop(r) => w.counters.drop(r),
        Verdict::Reply(n) => {
            w.counters.replies += 1;
            w.counters.tx(ingress_ifindex, n);
        }
    }
    v
}

fn decide<F: Fib + ?Sized>(
    snap: &Snapshot,
    w: &mut Worker,
    fib: &F,
    ingress: u32,
    frame: &mut [u8],
    len: usize,
    now: u64,
) -> Verdict {
    let pkt = match stage::parse::run(&frame[..len]) {
        Ok(Frame::Ip(p)) => p,
        Ok(Frame::Arp | Frame::NonIp) => return Verdict::ToKernel,
        Err(r) => return Verdict::Drop(r),
    };
    let Some(iface) = snap.iface(ingress) else {
        return Verdict::Drop(DropReason::NoZone);
    };
    let Some(zone) = iface.zone else {
        return Verdict::Drop(DropReason::NoZone);
    };
    if let Some(profile) = snap
        .zones
        .get(usize::from(zone))
        .and_then(|z| z.screen.as_ref())
    {
        let spoofed = || screen::spoofed(snap, fib, ingress, &pkt);
        if let Err(r) = screen::run(profile, &mut w.screens, zone, &pkt, now, spoofed) {
            return Verdict::Drop(r);
        }
    }
    if pkt.frag == Frag::Later {
        // No ports to find a session by: go where the first fragment went.
        return fragment::follow(w, frame, &pkt, len, now);
    }
    if pkt.icmp.is_some_and(|i| i.error) {
        return icmp_error::run(snap, w, frame, &pkt);
    }
    match conntrack::run(snap, w, &pkt, len, now) {
        Lookup::Hit(x, route, owner) => {
            if pkt.ttl <= 1 {
                return time_exceeded(frame, iface, &pkt);
            }
            if pkt.frag == Frag::First {
                fragment::remember(&mut w.fragments, &pkt, &x, route, owner, now);
            }
            return forward(snap, frame, &pkt, &x, route);
        }
        Lookup::Drop(r) => return Verdict::Drop(r),
        Lookup::Miss => {}
    }
    first_packet(snap, w, fib, ingress, iface, zone, frame, &pkt, len, now)
}

/// Rewrites a packet of a session and sends it along the session's route.
fn forward(snap: &Snapshot, frame: &mut [u8], pkt: &Packet, x: &Xlate, route: Route) -> Verdict {
    rewrite::translate(frame, pkt, x);
    rewrite::decrement_ttl(frame, pkt);
    if let (Some(mss), Some(t)) = (snap.mss, pkt.tcp) {
        if t.flags & SYN != 0 {
            rewrite::clamp_mss(frame, pkt, mss);
        }
    }
    Verdict::Forward {
        egress_ifindex: route.ifindex,
        next_hop: route.next_hop,
    }
}

fn time_exceeded(frame: &mut [u8], iface: &IfInfo, pkt: &Packet) -> Verdict {
    let Some(src) = iface.first_addr(pkt.v6) else {
        return Verdict::Drop(DropReason::TtlExpired);
    };
    match reply::icmp_error(frame, pkt, IcmpError::TimeExceeded, src) {
        Some(n) => Verdict::Reply(n),
        None => Verdict::Drop(DropReason::TtlExpired),
    }
}

fn reject(frame: &mut [u8], pkt: &Packet) -> Verdict {
    let n = if pkt.tcp.is_some() {
        reply::tcp_rst(frame, pkt)
    } else {
        reply::icmp_error(frame, pkt, IcmpError::Prohibited, pkt.dst)
    };
    n.map_or(Verdict::Drop(DropReason::PolicyReject), Verdict::Reply)
}

/// The default idle timeout of a protocol.
fn protocol_timeout(snap: &Snapshot, proto: u8) -> u64 {
    let t = &snap.timeouts;
    match proto {
        6 => t.tcp_established,
        17 => t.udp,
        1 | 58 => t.icmp,
        _ => t.other,
    }
}

/// A UDP datagram to port 53 whose DNS header has the QR (response) bit:
/// as Junos, a first packet like that is not a query and makes no session.
fn dns_response_to_53(frame: &[u8], pkt: &Packet) -> bool {
    // UDP header, then the DNS id (2 bytes) and flags (QR is the top bit).
    let flags = pkt.l4 + 8 + 2;
    pkt.proto == 17
        && pkt.dport == 53
        && flags < pkt.end
        && frame.get(flags).is_some_and(|f| f & 0x80 != 0)
}

/// The first packet of a flow: NAT, host, route, policy, session.
#[allow(clippy::too_many_arguments)]
fn first_packet<F: Fib + ?Sized>(
    snap: &Snapshot,
    w: &mut Worker,
    fib: &F,
    ingress: u32,
    iface: &IfInfo,
    zone: u16,
    frame: &mut [u8],
    pkt: &Packet,
    len: usize,
    now: u64,
) -> Verdict {
    let dnat = nat::destination(snap, pkt, zone, ingress);
    let (dst, dport) = dnat
        .as_ref()
        .map_or((pkt.dst, pkt.dport), |t| (t.addr, t.port));
    if dnat.is_none() {
        if let Some(v) = host::run(snap, iface, pkt, dst) {
            return v;
        }
    }
    if let Some(t) = pkt.tcp {
        if snap.tcp.syn_check && t.flags & (SYN | ACK | RST) != SYN {
            return Verdict::Drop(DropReason::TcpNotSyn);
        }
    }
    if snap.tcp.dns_reply_check && dns_response_to_53(frame, pkt) {
        return Verdict::Drop(DropReason::DnsReplyNoSession);
    }
    let Some(route) = fib.lookup(dst, pkt.v6) else {
        return Verdict::Drop(DropReason::NoRoute);
    };
    let Some(to_zone) = snap.iface(route.ifindex).and_then(|i| i.zone) else {
        return Verdict::Drop(DropReason::NoRoute);
    };

    let key = PolicyKey {
        from: zone,
        to: to_zone,
        v6: pkt.v6,
        src: pkt.src,
        dst,
        proto: pkt.proto,
        sport: pkt.sport,
        port: if pkt.icmp.is_some() { pkt.port } else { dport },
    };
    let (policy, policy_id, application, timeout_s, log_init, log_close) = match snap.policy(&key) {
        PolicyHit::Default { permit: false } => return Verdict::Drop(DropReason::DefaultDeny),
        PolicyHit::Default { permit: true } => {
            (Arc::from("default-permit"), None, None, None, false, false)
        }
        PolicyHit::Policy(p) => {
            if let Some(h) = w.counters.policy_hits.get_mut(p.id as usize) {
                *h += 1;
            }
            let term = p.term(pkt.proto, pkt.sport, key.port);
            if p.action != PolicyAction::Permit {
                if p.log_init || p.log_close {
                    let mut r = deny_record(snap, iface, pkt, zone, to_zone, p.name.clone());
                    r.service = term.map_or_else(|| Arc::from("None"), |t| t.app.clone());
                    w.logs.push(r);
                }
                return if p.action == PolicyAction::Reject {
                    reject(frame, pkt)
                } else {
                    Verdict::Drop(DropReason::PolicyDeny)
                };
            }
            (
                p.name.clone(),
                Some(p.id),
                term.map(|t| t.app.clone()),
                term.and_then(|t| t.timeout_s),
                p.log_init,
                p.log_close,
            )
        }
    };
    if pkt.ttl <= 1 {
        return time_exceeded(frame, iface, pkt);
    }
    let profile = snap
        .zones
        .get(usize::from(zone))
        .and_then(|z| z.screen.as_ref());
    let limits = match profile {
        Some(p) if p.has_session_limits() => {
            let counts = w.sessions.limit_counts(pkt.v6, pkt.src, pkt.dst);
            if let Err(r) = screen::admit_session(p, &mut w.screens, counts) {
                return Verdict::Drop(r);
            }
            LimitMark {
                source: p.limit_source.is_some(),
                destination: p.limit_destination.is_some(),
            }
        }
        _ => LimitMark::default(),
    };
    let snat = match nat::source(
        snap,
        &w.sessions,
        pkt,
        dst,
        dport,
        (zone, ingress),
        (to_zone, route.ifindex),
    ) {
        Ok(t) => t,
        Err((r, rule)) => {
            w.counters.nat_hit(rule, false);
            if let Some(d) = &dnat {
                w.counters.nat_hit(d.id, false);
            }
            return Verdict::Drop(r);
        }
    };
    let (src, sport) = snat
        .as_ref()
        .map_or((pkt.src, pkt.sport), |t| (t.addr, t.port));
    let echo = pkt.icmp.is_some_and(|i| i.echo);
    let fwd = conntrack::key(pkt);
    let rev = FlowKey {
        src: dst,
        dst: src,
        sport: if echo { sport } else { dport },
        dport: sport,
        ..fwd
    };
    let xlate = [
        Xlate {
            src: snat.as_ref().map(|t| (t.addr, t.port)),
            dst: dnat.as_ref().map(|t| (t.addr, t.port)),
        },
        Xlate {
            src: dnat
                .as_ref()
                .map(|_| (pkt.dst, if echo { sport } else { pkt.dport })),
            dst: snat.as_ref().map(|_| (pkt.src, pkt.sport)),
        },
    ];
    // Answers go back the way the flow came in when no better route exists.
    let back = fib.lookup(pkt.src, pkt.v6).unwrap_or(Route {
        ifindex: ingress,
        next_hop: crate::addr::join(pkt.src, pkt.v6),
    });
    let timeout = match timeout_s {
        Some(u32::MAX) => u64::MAX / 2,
        Some(s) => u64::from(s) * 1_000_000_000,
        None => protocol_timeout(snap, pkt.proto),
    };
    let mut session = Session {
        id: 0,
        fwd,
        rev,
        xlate,
        route: [route, back],
        ingress_ifindex: ingress,
        tcp: conntrack::segment(pkt).map(|s| TcpTracker::new(&s)),
        packets: [1, 0],
        bytes: [len as u64, 0],
        created: now,
        expires: 0,
        timeout,
        policy,
        policy_id,
        generation: snap.generation(),
        from_zone: snap.zone_name(zone),
        to_zone: snap.zone_name(to_zone),
        application: application.unwrap_or_else(|| Arc::from("None")),
        snat_rule: snat.as_ref().map(|t| t.rule.clone()),
        dnat_rule: dnat.as_ref().map(|t| t.rule.clone()),
        log_close,
        limits,
    };
    session.expires = now.saturating_add(conntrack::timeout(snap, &session));
    let log = log_init.then(|| record(snap, &session, RecordKind::Create, now));
    if w.sessions.len() == w.sessions.capacity() {
        // Make room from idle sessions before refusing a new one.
        w.sweep(snap, now);
    }
    let inserted = w.sessions.insert(session);
    for t in dnat.iter().chain(snat.iter()) {
        w.counters.nat_hit(t.id, inserted.is_ok());
    }
    match inserted {
        Ok(slot) => {
            let id = w.sessions.get(slot).map_or(0, |s| s.id);
            if let Some(mut r) = log {
                r.session_id = id;
                w.logs.push(r);
            }
            if pkt.frag == Frag::First {
                let owner = Owner {
                    slot,
                    session: id,
                    dir: 0,
                };
                fragment::remember(&mut w.fragments, pkt, &xlate[0], route, owner, now);
            }
        }
        Err(InsertError::Full) => return Verdict::Drop(DropReason::SessionTableFull),
        Err(InsertError::KeyTaken) => return Verdict::Drop(DropReason::SessionKeyTaken),
    }
    if dnat.is_some() {
        w.counters.nat.destination += 1;
    }
    if snat.is_some() {
        w.counters.nat.source += 1;
    }
    forward(snap, frame, pkt, &xlate[0], route)
}

fn deny_record(
    snap: &Snapshot,
    iface: &IfInfo,
    pkt: &Packet,
    from: u16,
    to: u16,
    policy: Arc<str>,
) -> crate::log::Record {
    let ip = |a: u128| crate::addr::join(a, pkt.v6);
    crate::log::Record {
        kind: RecordKind::Deny,
        src: (ip(pkt.src), pkt.sport),
        dst: (ip(pkt.dst), pkt.dport),
        nat_src: (ip(pkt.src), pkt.sport),
        nat_dst: (ip(pkt.dst), pkt.dport),
        service: Arc::from("None"),
        src_nat_rule: None,
        dst_nat_rule: None,
        protocol: pkt.proto,
        policy,
        from_zone: snap.zone_name(from),
        to_zone: snap.zone_name(to),
        session_id: 0,
        interface: iface.name.clone(),
        from_client: (0, 0),
        from_server: (0, 0),
        elapsed_s: 0,
    }
}
