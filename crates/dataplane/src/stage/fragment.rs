// SPDX-License-Identifier: Apache-2.0
//! Stage: fragments follow their first fragment, without reassembly.
//!
//! Only the first fragment carries the ports a session is found by, so it
//! is judged like any packet. When it is forwarded, its datagram's
//! identity (addresses, protocol, IP id) is remembered with what was done
//! to it: the egress and the address translation. Later fragments of the
//! same datagram get the same, minus the ports they do not carry (the
//! transport checksum, which covers the whole datagram, was fixed in the
//! first fragment). A later fragment that comes before its first, or
//! after the mapping is gone, is dropped as before: without the first
//! fragment nothing says which session, if any, it belongs to.
//!
//! The mappings live in a bounded per-worker table; a mapping lasts
//! [`FRAGMENT_TIMEOUT`] from its first fragment and only while its
//! session lives, so closing a session also stops its fragments.

use super::parse::Packet;
use super::rewrite;
use crate::bounded::Table;
use crate::fib::Route;
use crate::session::Xlate;
use crate::verdict::{DropReason, Verdict};
use crate::worker::Worker;

/// How long the later fragments of a datagram may trail its first: the
/// Junos default of the fragment reassembly timeout.
pub(crate) const FRAGMENT_TIMEOUT: u64 = 2_000_000_000;

/// Datagrams in flight remembered per worker.
pub(crate) const FRAGMENT_ENTRIES: usize = 1024;

/// The identity of a datagram (RFC 791: its fragments share all four).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragmentKey {
    v6: bool,
    src: u128,
    dst: u128,
    proto: u8,
    id: u32,
}

impl FragmentKey {
    fn of(pkt: &Packet) -> FragmentKey {
        FragmentKey {
            v6: pkt.v6,
            src: pkt.src,
            dst: pkt.dst,
            proto: pkt.proto,
            id: pkt.frag_id,
        }
    }
}

/// What the first fragment got.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Follow {
    /// New source and destination addresses (ports stay in the first).
    src: Option<u128>,
    dst: Option<u128>,
    route: Route,
    /// The session: slot, id (a reused slot has another) and direction.
    slot: u32,
    session: u64,
    dir: usize,
    expires: u64,
}

/// A worker's fragment mappings.
#[derive(Debug, Clone)]
pub(crate) struct Fragments {
    table: Table<FragmentKey, Follow>,
}

impl Default for Fragments {
    fn default() -> Fragments {
        Fragments {
            table: Table::with_capacity(FRAGMENT_ENTRIES),
        }
    }
}

impl Fragments {
    /// Entries given up for newer datagrams.
    pub(crate) fn evictions(&self) -> u64 {
        self.table.evictions
    }
}

/// Which session and direction a forwarded first fragment belongs to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owner {
    pub slot: u32,
    pub session: u64,
    pub dir: usize,
}

/// Remembers a forwarded first fragment's treatment for its datagram.
pub(crate) fn remember(
    f: &mut Fragments,
    pkt: &Packet,
    x: &Xlate,
    route: Route,
    owner: Owner,
    now: u64,
) {
    let follow = Follow {
        src: x.src.map(|(a, _)| a),
        dst: x.dst.map(|(a, _)| a),
        route,
        slot: owner.slot,
        session: owner.session,
        dir: owner.dir,
        expires: now.saturating_add(FRAGMENT_TIMEOUT),
    };
    // A retransmitted first fragment refreshes the mapping.
    *f.table
        .entry(FragmentKey::of(pkt), || follow, |e| e.expires) = follow;
}

/// Sends a later fragment the way its first fragment went.
pub(crate) fn follow(
    w: &mut Worker,
    frame: &mut [u8],
    pkt: &Packet,
    len: usize,
    now: u64,
) -> Verdict {
    let Some(f) = w.fragments.table.get_mut(&FragmentKey::of(pkt)).copied() else {
        return Verdict::Drop(DropReason::NonFirstFragment);
    };
    if f.expires <= now {
        return Verdict::Drop(DropReason::NonFirstFragment);
    }
    let Some(s) = w
        .sessions
        .get_mut(f.slot)
        .filter(|s| s.id == f.session && s.expires > now)
    else {
        return Verdict::Drop(DropReason::NonFirstFragment);
    };
    if pkt.ttl <= 1 {
        // RFC 1122 3.2.2: no ICMP error about a non-first fragment.
        return Verdict::Drop(DropReason::TtlExpired);
    }
    if let Some(d) = s.packets.get_mut(f.dir) {
        *d += 1;
    }
    if let Some(b) = s.bytes.get_mut(f.dir) {
        *b += len as u64;
    }
    rewrite::translate_addresses(frame, pkt, f.src, f.dst);
    rewrite::decrement_ttl(frame, pkt);
    Verdict::Forward {
        egress_ifindex: f.route.ifindex,
        next_hop: f.route.next_hop,
    }
}
