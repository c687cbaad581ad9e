// SPDX-License-Identifier: Apache-2.0
//! Stage: session lookup. A packet that belongs to a session is tracked
//! (TCP state, counters, idle timer) and gets the session's rewrite and
//! route; after a snapshot swap the session's policy is re-validated once.

use super::fragment::Owner;
use super::parse::Packet;
use crate::fib::Route;
use crate::session::tcp::{Segment, TcpState};
use crate::session::{FlowKey, Session, Xlate};
use crate::snapshot::Snapshot;
use crate::verdict::DropReason;
use crate::worker::Worker;
use xpf_model::PolicyAction;

/// What the session table says about a packet.
pub(crate) enum Lookup {
    /// No (live) session: evaluate as a first packet.
    Miss,
    /// Part of a session: rewrite with this and send along this route.
    Hit(Xlate, Route, Owner),
    /// Part of a session, but refused (e.g. an out-of-window RST).
    Drop(DropReason),
}

/// The session key of a packet.
pub(crate) fn key(pkt: &Packet) -> FlowKey {
    FlowKey {
        src: pkt.src,
        dst: pkt.dst,
        sport: pkt.sport,
        dport: pkt.dport,
        proto: pkt.proto,
        v6: pkt.v6,
        instance: 0,
    }
}

/// The TCP segment of a packet, for the tracker.
pub(crate) fn segment(pkt: &Packet) -> Option<Segment> {
    let t = pkt.tcp?;
    Some(Segment {
        flags: t.flags,
        seq: t.seq,
        ack: t.ack,
        window: t.window,
        payload: t.payload,
        scale: t.scale,
    })
}

/// The idle timeout a session has now.
pub(crate) fn timeout(snap: &Snapshot, s: &Session) -> u64 {
    match s.tcp.map(|t| t.state()) {
        Some(TcpState::SynSent | TcpState::SynReceived) => snap.timeouts.tcp_initial,
        Some(TcpState::TimeWait | TcpState::Closed) => snap.timeouts.tcp_closing,
        _ => s.timeout,
    }
}

/// The policy still permitting a session under a new snapshot.
fn revalidate(snap: &Snapshot, s: &Session) -> Option<Option<u32>> {
    let from = snap.zone_id(&s.from_zone)?;
    let to = snap.zone_id(&s.to_zone)?;
    if s.policy_id.is_none() {
        // Admitted by `default-policy permit-all`.
        return snap.default_permit.then_some(None);
    }
    let p = snap.policy_by_name(from, to, &s.policy)?;
    (p.action == PolicyAction::Permit).then_some(Some(p.id))
}

/// Looks the packet up and, on a hit, updates its session.
pub(crate) fn run(snap: &Snapshot, w: &mut Worker, pkt: &Packet, len: usize, now: u64) -> Lookup {
    let Some((slot, dir)) = w.sessions.find(&key(pkt)) else {
        w.sessions.counters.misses += 1;
        return Lookup::Miss;
    };
    let Some(s) = w.sessions.get_mut(slot) else {
        return Lookup::Miss;
    };
    if s.expires <= now {
        let reason = crate::worker::expiry_reason(s);
        w.close(snap, slot, reason, now);
        w.sessions.counters.misses += 1;
        return Lookup::Miss;
    }
    if s.generation != snap.generation() {
        match revalidate(snap, s) {
            Some(id) => {
                s.generation = snap.generation();
                s.policy_id = id;
            }
            None => {
                w.close(snap, slot, "policy delete", now);
                w.sessions.counters.misses += 1;
                return Lookup::Miss;
            }
        }
    }
    let d = dir as usize;
    if let (Some(tracker), Some(seg)) = (s.tcp.as_mut(), segment(pkt)) {
        if let Err(r) = tracker.update(d, &seg, snap.tcp.sequence_check) {
            return Lookup::Drop(r);
        }
    }
    s.packets[d] += 1;
    s.bytes[d] += len as u64;
    s.expires = now.saturating_add(timeout(snap, s));
    let owner = Owner {
        slot,
        session: s.id,
        dir: d,
    };
    let hit = Lookup::Hit(s.xlate[d], s.route[d], owner);
    let reset = s.tcp.is_some_and(|t| t.state() == TcpState::Closed);
    w.sessions.counters.hits += 1;
    if reset && snap.tcp.rst_invalidate {
        w.close(snap, slot, "TCP RST", now);
    }
    hit
}
