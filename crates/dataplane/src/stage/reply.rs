// SPDX-License-Identifier: Apache-2.0
//! Stage: answers the pipeline writes into the frame buffer in place of
//! the packet: a TCP RST or ICMP/ICMPv6 unreachable for `reject`, and
//! ICMP/ICMPv6 time-exceeded when the TTL runs out. The Ethernet header is
//! kept with its addresses swapped (and its VLAN tag), so the driver sends
//! the reply straight back out of the ingress.

use super::parse::Packet;
use crate::checksum::{finish, pseudo, put16, sum};
use crate::parse::tcp::{ACK, FIN, RST, SYN};

/// Which ICMP error to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IcmpError {
    /// Destination unreachable, administratively prohibited.
    Prohibited,
    /// Time exceeded in transit.
    TimeExceeded,
}

/// Largest reply (RFC 1812 for IPv4, the IPv6 minimum MTU for IPv6).
const MAX_V4: usize = 576;
const MAX_V6: usize = 1280;
const TTL: u8 = 64;

fn swap_macs(frame: &mut [u8]) {
    let mut dst = [0u8; 6];
    dst.copy_from_slice(&frame[0..6]);
    frame.copy_within(6..12, 0);
    frame[6..12].copy_from_slice(&dst);
}

/// Writes an IP header at `l3` for a reply of `payload` bytes.
fn ip_header(
    frame: &mut [u8],
    l3: usize,
    v6: bool,
    src: u128,
    dst: u128,
    proto: u8,
    payload: usize,
) {
    if v6 {
        let h = &mut frame[l3..l3 + 40];
        h.fill(0);
        h[0] = 0x60;
        h[4..6].copy_from_slice(&(payload as u16).to_be_bytes());
        h[6] = proto;
        h[7] = TTL;
        h[8..24].copy_from_slice(&src.to_be_bytes());
        h[24..40].copy_from_slice(&dst.to_be_bytes());
    } else {
        let h = &mut frame[l3..l3 + 20];
        h.fill(0);
        h[0] = 0x45;
        h[2..4].copy_from_slice(&((payload + 20) as u16).to_be_bytes());
        h[6] = 0x40; // DF
        h[8] = TTL;
        h[9] = proto;
        h[12..16].copy_from_slice(&(src as u32).to_be_bytes());
        h[16..20].copy_from_slice(&(dst as u32).to_be_bytes());
        let c = finish(sum(h, 0));
        h[10..12].copy_from_slice(&c.to_be_bytes());
    }
}

/// A RST answering the TCP segment `pkt` (RFC 793 reset generation).
pub(crate) fn tcp_rst(frame: &mut [u8], pkt: &Packet) -> Option<usize> {
    let t = pkt.tcp?;
    let iph = if pkt.v6 { 40 } else { 20 };
    let len = pkt.l3 + iph + 20;
    if frame.len() < len || pkt.l4 + 4 > frame.len() {
        return None;
    }
    let (sport, dport) = (pkt.sport, pkt.dport);
    let (seq, ack, flags) = if t.flags & ACK != 0 {
        (t.ack, 0, RST)
    } else {
        let consumed = t.payload + u32::from(t.flags & SYN != 0) + u32::from(t.flags & FIN != 0);
        (0, t.seq.wrapping_add(consumed), RST | ACK)
    };
    swap_macs(frame);
    ip_header(frame, pkt.l3, pkt.v6, pkt.dst, pkt.src, 6, 20);
    let l4 = pkt.l3 + iph;
    let h = &mut frame[l4..l4 + 20];
    h.fill(0);
    h[0..2].copy_from_slice(&dport.to_be_bytes());
    h[2..4].copy_from_slice(&sport.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[8..12].copy_from_slice(&ack.to_be_bytes());
    h[12] = 5 << 4;
    h[13] = flags;
    let c = finish(sum(h, pseudo(pkt.v6, pkt.dst, pkt.src, 6, 20)));
    put16(frame, l4 + 16, c);
    Some(len)
}

/// An ICMP error about `pkt`, from `src`, quoting as much of the packet as
/// the reply size allows.
pub(crate) fn icmp_error(
    frame: &mut [u8],
    pkt: &Packet,
    kind: IcmpError,
    src: u128,
) -> Option<usize> {
    let (iph, max, proto) = if pkt.v6 {
        (40, MAX_V6, 58)
    } else {
        (20, MAX_V4, 1)
    };
    let original = pkt.end - pkt.l3;
    let quote = original.min(max - iph - 8);
    let l4 = pkt.l3 + iph;
    let len = l4 + 8 + quote;
    if frame.len() < len {
        return None;
    }
    frame.copy_within(pkt.l3..pkt.l3 + quote, l4 + 8);
    swap_macs(frame);
    ip_header(frame, pkt.l3, pkt.v6, src, pkt.src, proto, 8 + quote);
    let (ty, code) = match (kind, pkt.v6) {
        (IcmpError::Prohibited, false) => (3, 13),
        (IcmpError::Prohibited, true) => (1, 1),
        (IcmpError::TimeExceeded, false) => (11, 0),
        (IcmpError::TimeExceeded, true) => (3, 0),
    };
    let h = &mut frame[l4..l4 + 8];
    h.fill(0);
    h[0] = ty;
    h[1] = code;
    let start = if pkt.v6 {
        pseudo(true, src, pkt.src, 58, (8 + quote) as u32)
    } else {
        0
    };
    let c = finish(sum(&frame[l4..len], start));
    put16(frame, l4 + 2, c);
    Some(len)
}
