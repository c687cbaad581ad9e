// SPDX-License-Identifier: Apache-2.0
//! Stage: ICMP errors. An error is matched to the session of the packet
//! it quotes; the quoted packet travelled the other way, so the error is
//! rewritten as that session's traffic in its own direction: outer
//! addresses translated, the quote restored to what its sender sent, and
//! checksums recomputed (errors are rare and small: a full sum is simpler
//! and safer than tracking every incremental change through the quote).

use super::parse::{self, Packet};
use crate::checksum::{finish, get16, pseudo, put16, sum, update16, update_addr};
use crate::session::{Dir, FlowKey};
use crate::snapshot::Snapshot;
use crate::verdict::{DropReason, Verdict};
use crate::worker::Worker;

fn write_addr(frame: &mut [u8], off: usize, v6: bool, a: u128) {
    let n = if v6 { 16 } else { 4 };
    if let Some(b) = frame.get_mut(off..off + n) {
        b.copy_from_slice(&a.to_be_bytes()[16 - n..]);
    }
}

/// Handles an ICMP error; the caller has checked `pkt.icmp.error`.
pub(crate) fn run(snap: &Snapshot, w: &mut Worker, frame: &mut [u8], pkt: &Packet) -> Verdict {
    let inner = match parse::inner(frame, pkt) {
        Ok(i) => i,
        Err(r) => return Verdict::Drop(r),
    };
    let key = FlowKey {
        src: inner.dst,
        dst: inner.src,
        sport: inner.dport,
        dport: inner.sport,
        proto: inner.proto,
        v6: pkt.v6,
        instance: 0,
    };
    let Some((slot, dir)) = w.sessions.find(&key) else {
        return if snap.is_local(pkt.v6, pkt.dst) {
            Verdict::ToKernel
        } else {
            Verdict::Drop(DropReason::IcmpErrorNoSession)
        };
    };
    let Some(s) = w.sessions.get(slot) else {
        return Verdict::Drop(DropReason::IcmpErrorNoSession);
    };
    if pkt.ttl <= 1 {
        return Verdict::Drop(DropReason::TtlExpired);
    }
    let (f, r) = (s.fwd, s.rev);
    let route = s.route[dir as usize];
    // (quote as its sender knew it, outer dst from→to, outer src from→to)
    let (quote, dst_map, src_map) = match dir {
        Dir::Reverse => (f, (r.dst, f.src), (r.src, f.dst)),
        Dir::Forward => (r, (f.dst, r.src), (f.src, r.dst)),
    };
    let v6 = pkt.v6;
    let (sa, da) = if v6 { (8, 24) } else { (12, 16) };

    // The quote: addresses, ports (or echo id), and its checksums.
    let (old_src, old_dst) = (inner.src, inner.dst);
    write_addr(frame, inner.l3 + sa, v6, quote.src);
    write_addr(frame, inner.l3 + da, v6, quote.dst);
    if !v6 {
        let hl = inner.l4 - inner.l3;
        put16(frame, inner.l3 + 10, 0);
        if let Some(h) = frame.get(inner.l3..inner.l3 + hl) {
            let c = finish(sum(h, 0));
            put16(frame, inner.l3 + 10, c);
        }
    }
    let ports = |frame: &mut [u8], off: usize, old: u16, new: u16, csum: Option<usize>| {
        if old != new {
            put16(frame, off, new);
            if let Some(c) = csum.filter(|c| c + 2 <= pkt.end) {
                let v = update16(get16(frame, c), old, new);
                put16(frame, c, v);
            }
        }
    };
    let l4 = inner.l4;
    let csum = match inner.proto {
        6 => Some(l4 + 16),
        17 if get16(frame, l4 + 6) != 0 || v6 => Some(l4 + 6),
        1 | 58 => Some(l4 + 2),
        _ => None,
    };
    if let Some(c) = csum.filter(|c| c + 2 <= pkt.end && inner.proto != 1) {
        let mut v = get16(frame, c);
        v = update_addr(v, old_src, quote.src, v6);
        v = update_addr(v, old_dst, quote.dst, v6);
        put16(frame, c, v);
    }
    if inner.echo {
        ports(frame, l4 + 4, inner.sport, quote.sport, csum);
    } else if matches!(inner.proto, 6 | 17 | 132) {
        ports(frame, l4, inner.sport, quote.sport, csum);
        ports(frame, l4 + 2, inner.dport, quote.dport, csum);
    }

    // The outer header, then its checksums from scratch.
    let mut out_src = pkt.src;
    let mut out_dst = pkt.dst;
    if out_dst == dst_map.0 {
        out_dst = dst_map.1;
    }
    if out_src == src_map.0 {
        out_src = src_map.1;
    }
    write_addr(frame, pkt.l3 + sa, v6, out_src);
    write_addr(frame, pkt.l3 + da, v6, out_dst);
    if v6 {
        if let Some(b) = frame.get_mut(pkt.l3 + 7) {
            *b -= 1;
        }
    } else {
        if let Some(b) = frame.get_mut(pkt.l3 + 8) {
            *b -= 1;
        }
        put16(frame, pkt.l3 + 10, 0);
        let c = finish(sum(&frame[pkt.l3..pkt.l4], 0));
        put16(frame, pkt.l3 + 10, c);
    }
    put16(frame, pkt.l4 + 2, 0);
    let start = if v6 {
        pseudo(true, out_src, out_dst, 58, (pkt.end - pkt.l4) as u32)
    } else {
        0
    };
    let c = finish(sum(&frame[pkt.l4..pkt.end], start));
    put16(frame, pkt.l4 + 2, c);
    Verdict::Forward {
        egress_ifindex: route.ifindex,
        next_hop: route.next_hop,
    }
}
