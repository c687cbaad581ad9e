// SPDX-License-Identifier: Apache-2.0
//! Stage: rewrite the frame in place for forwarding: NAT addresses and
//! ports, TTL / hop-limit decrement, TCP MSS clamp, each with an
//! incremental checksum update (RFC 1624).

use super::parse::Packet;
use crate::checksum::{get16, put16, update16, update_addr};
use crate::session::Xlate;

/// Offset of the upper-layer checksum that covers addresses and ports, if
/// the protocol has one (ICMPv4's does not cover addresses).
fn l4_csum(pkt: &Packet) -> Option<usize> {
    match pkt.proto {
        6 => Some(pkt.l4 + 16),
        17 => Some(pkt.l4 + 6),
        58 => Some(pkt.l4 + 2),
        _ => None,
    }
}

/// Updates the upper-layer checksum at `off` for a 16-bit change, keeping
/// UDP's "no checksum" (0) and its never-0 rule.
fn patch_l4(frame: &mut [u8], pkt: &Packet, off: usize, f: impl Fn(u16) -> u16) {
    let old = get16(frame, off);
    if pkt.proto == 17 && !pkt.v6 && old == 0 {
        return;
    }
    let mut new = f(old);
    if pkt.proto == 17 && new == 0 {
        new = 0xffff;
    }
    put16(frame, off, new);
}

fn set_addr(frame: &mut [u8], pkt: &Packet, source: bool, new: u128) {
    let off = match (pkt.v6, source) {
        (false, true) => pkt.l3 + 12,
        (false, false) => pkt.l3 + 16,
        (true, true) => pkt.l3 + 8,
        (true, false) => pkt.l3 + 24,
    };
    let old = if source { pkt.src } else { pkt.dst };
    if old == new {
        return;
    }
    // Two fixed-size copies rather than one of `len` bytes, which was a
    // memcpy call on every translated packet.
    if pkt.v6 {
        if let Some(b) = frame.get_mut(off..off + 16) {
            b.copy_from_slice(&new.to_be_bytes());
        }
    } else if let Some(b) = frame.get_mut(off..off + 4) {
        // An IPv4 address sits in the low 32 bits.
        b.copy_from_slice(&(new as u32).to_be_bytes());
    }
    if !pkt.v6 {
        let c = update_addr(get16(frame, pkt.l3 + 10), old, new, false);
        put16(frame, pkt.l3 + 10, c);
    }
    if pkt.frag == super::parse::Frag::Later {
        return;
    }
    if let Some(c) = l4_csum(pkt) {
        patch_l4(frame, pkt, c, |v| update_addr(v, old, new, pkt.v6));
    }
}

fn set_port(frame: &mut [u8], pkt: &Packet, source: bool, new: u16) {
    if pkt.frag == super::parse::Frag::Later {
        // No transport header here: the ports were in the first fragment.
        return;
    }
    let (off, csum) = match pkt.proto {
        6 | 17 => (pkt.l4 + if source { 0 } else { 2 }, l4_csum(pkt)),
        1 | 58 if pkt.icmp.is_some_and(|i| i.echo) => (pkt.l4 + 4, Some(pkt.l4 + 2)),
        _ => return,
    };
    let old = get16(frame, off);
    if old == new {
        return;
    }
    put16(frame, off, new);
    if let Some(c) = csum {
        patch_l4(frame, pkt, c, |v| update16(v, old, new));
    }
}

/// Applies one direction's translation. An echo session's id sits in one
/// field: whichever side's port differs from it is the one to write.
pub(crate) fn translate(frame: &mut [u8], pkt: &Packet, x: &Xlate) {
    let echo = pkt.icmp.is_some_and(|i| i.echo);
    if let Some((a, p)) = x.src {
        set_addr(frame, pkt, true, a);
        if !echo || p != pkt.sport {
            set_port(frame, pkt, true, p);
        }
    }
    if let Some((a, p)) = x.dst {
        set_addr(frame, pkt, false, a);
        if !echo || p != pkt.dport {
            set_port(frame, pkt, false, p);
        }
    }
}

/// Rewrites addresses only: a later fragment's share of its datagram's
/// translation.
pub(crate) fn translate_addresses(
    frame: &mut [u8],
    pkt: &Packet,
    src: Option<u128>,
    dst: Option<u128>,
) {
    if let Some(a) = src {
        set_addr(frame, pkt, true, a);
    }
    if let Some(a) = dst {
        set_addr(frame, pkt, false, a);
    }
}

/// Decrements the TTL / hop limit (the caller has checked it is above 1).
pub(crate) fn decrement_ttl(frame: &mut [u8], pkt: &Packet) {
    if pkt.v6 {
        if let Some(b) = frame.get_mut(pkt.l3 + 7) {
            *b = b.saturating_sub(1);
        }
        return;
    }
    let word = get16(frame, pkt.l3 + 8);
    let new = word.wrapping_sub(0x0100);
    put16(frame, pkt.l3 + 8, new);
    let c = update16(get16(frame, pkt.l3 + 10), word, new);
    put16(frame, pkt.l3 + 10, c);
}

/// Lowers the MSS option of a SYN to `mss` when it is larger.
///
/// Options need no alignment: after an odd-length one (window scale, 3
/// bytes, with no NOP before it) the value straddles two of the checksum's
/// 16-bit words, and adds to the sum byte-swapped. Found by `xpf-fuzz
/// pipeline`: the update assumed alignment, so such a SYN left with a
/// wrong TCP checksum.
pub(crate) fn clamp_mss(frame: &mut [u8], pkt: &Packet, mss: u16) -> bool {
    let Some((off, value)) = pkt.tcp.and_then(|t| t.mss) else {
        return false;
    };
    if value <= mss {
        return false;
    }
    put16(frame, off, mss);
    let (old, new) = if (off - pkt.l4) % 2 == 1 {
        (value.swap_bytes(), mss.swap_bytes())
    } else {
        (value, mss)
    };
    let c = update16(get16(frame, pkt.l4 + 16), old, new);
    put16(frame, pkt.l4 + 16, c);
    true
}
