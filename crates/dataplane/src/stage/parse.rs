// SPDX-License-Identifier: Apache-2.0
//! Stage 1, parse: reads the frame's headers into a [`Packet`] summary
//! (addresses, ports, flags and the offsets later stages patch).

use crate::parse::arp::Arp;
use crate::parse::ethernet::{Ethernet, ETH_ARP, ETH_IPV4, ETH_IPV6};
use crate::parse::icmp::Icmp;
use crate::parse::icmpv6::Icmpv6;
use crate::parse::ipv4::Ipv4;
use crate::parse::ipv6::Ipv6;
use crate::parse::tcp::Tcp;
use crate::parse::udp::Udp;
use crate::verdict::DropReason;

/// Fragment position of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frag {
    None,
    First,
    Later,
}

/// TCP facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpInfo {
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub scale: Option<u8>,
    /// Absolute offset of the MSS value, and the value.
    pub mss: Option<(usize, u16)>,
    pub payload: u32,
}

/// ICMP / ICMPv6 facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IcmpInfo {
    pub ty: u8,
    pub code: u8,
    pub error: bool,
    pub echo: bool,
    pub neighbor_discovery: bool,
}

/// What the pipeline knows about an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Packet {
    /// Offset of the IP header.
    pub l3: usize,
    pub v6: bool,
    pub src: u128,
    pub dst: u128,
    pub proto: u8,
    pub ttl: u8,
    /// Offset of the upper-layer header.
    pub l4: usize,
    /// End of the IP packet (Ethernet padding excluded).
    pub end: usize,
    pub frag: Frag,
    /// Fragment offset in bytes and payload length (screens).
    pub frag_offset: usize,
    /// Fragment identification (IPv4 id, IPv6 fragment header id); 0 for
    /// packets that are not fragments.
    pub frag_id: u32,
    pub source_route: bool,
    /// IPv4 options the screens name (`ipv4::OPT_*` bits); 0 for IPv6.
    pub ip_options: u8,
    /// Session key ports (ICMP: [`icmp_key`]; echo: the identifier twice).
    pub sport: u16,
    pub dport: u16,
    /// Policy port: destination port, or ICMP `type << 8 | code`.
    pub port: u16,
    pub tcp: Option<TcpInfo>,
    pub icmp: Option<IcmpInfo>,
}

/// A parsed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// ARP: the kernel's.
    Arp,
    /// Neither IP nor ARP: the kernel's.
    NonIp,
    /// IPv4 or IPv6.
    Ip(Packet),
}

fn malformed<T>(_: T) -> DropReason {
    DropReason::Malformed
}

/// Parses a frame.
///
/// Inlined into `process` (which is generic, so compiled in the caller's
/// crate): returned through memory, the `Packet` was written field by
/// field and read back in wide loads that cannot be store-forwarded
/// (measured: ~8 ns of a ~70 ns session hit, most at that one reload).
#[inline]
pub(crate) fn run(frame: &[u8]) -> Result<Frame, DropReason> {
    let eth = Ethernet::from_bytes(frame).map_err(malformed)?;
    let l3 = eth.header_len;
    let rest = &frame[l3..];
    let mut p = match eth.ethertype {
        ETH_ARP => {
            Arp::from_bytes(rest).map_err(malformed)?;
            return Ok(Frame::Arp);
        }
        ETH_IPV4 => {
            let ip = Ipv4::from_bytes(rest).map_err(malformed)?;
            Packet {
                l3,
                v6: false,
                src: u128::from(ip.src),
                dst: u128::from(ip.dst),
                proto: ip.protocol,
                ttl: ip.ttl,
                l4: l3 + ip.header_len,
                end: l3 + ip.total_len,
                frag: match (ip.fragment_offset, ip.more_fragments) {
                    (0, false) => Frag::None,
                    (0, true) => Frag::First,
                    _ => Frag::Later,
                },
                frag_offset: ip.fragment_offset,
                frag_id: if ip.is_fragment() {
                    u32::from(ip.id)
                } else {
                    0
                },
                source_route: ip.options.loose_source_route || ip.options.strict_source_route,
                ip_options: ip.options.screened_bits(),
                sport: 0,
                dport: 0,
                port: 0,
                tcp: None,
                icmp: None,
            }
        }
        ETH_IPV6 => {
            let ip = Ipv6::from_bytes(rest).map_err(malformed)?;
            Packet {
                l3,
                v6: true,
                src: ip.src,
                dst: ip.dst,
                proto: ip.protocol,
                ttl: ip.hop_limit,
                l4: l3 + ip.upper_offset,
                end: l3 + 40 + ip.payload_len,
                frag: match ip.fragment {
                    None => Frag::None,
                    Some(f) if f.offset == 0 => Frag::First,
                    Some(_) => Frag::Later,
                },
                frag_offset: ip.fragment.map_or(0, |f| f.offset),
                frag_id: ip.fragment.map_or(0, |f| f.id),
                source_route: ip.source_route,
                ip_options: 0,
                sport: 0,
                dport: 0,
                port: 0,
                tcp: None,
                icmp: None,
            }
        }
        _ => return Ok(Frame::NonIp),
    };
    if p.frag == Frag::Later {
        return Ok(Frame::Ip(p));
    }
    let l4 = frame.get(p.l4..p.end).ok_or(DropReason::Malformed)?;
    match p.proto {
        6 => {
            let t = Tcp::from_bytes(l4).map_err(malformed)?;
            p.sport = t.sport;
            p.dport = t.dport;
            p.port = t.dport;
            p.tcp = Some(TcpInfo {
                flags: t.flags,
                seq: t.seq,
                ack: t.ack,
                window: t.window,
                scale: t.window_scale,
                mss: t.mss.map(|(off, v)| (p.l4 + off, v)),
                payload: (l4.len().saturating_sub(t.header_len)) as u32,
            });
        }
        17 => {
            // A first fragment's UDP length covers the whole datagram.
            let u = if p.frag == Frag::First {
                crate::parse::need(l4, 8, "udp").map_err(malformed)?;
                Udp {
                    sport: u16::from_be_bytes([l4[0], l4[1]]),
                    dport: u16::from_be_bytes([l4[2], l4[3]]),
                    len: l4.len(),
                    checksum: 0,
                }
            } else {
                Udp::from_bytes(l4).map_err(malformed)?
            };
            p.sport = u.sport;
            p.dport = u.dport;
            p.port = u.dport;
        }
        1 if !p.v6 => {
            let i = Icmp::from_bytes(l4).map_err(malformed)?;
            icmp(&mut p, i.ty, i.code, i.id, i.is_error(), i.is_echo(), false);
        }
        58 if p.v6 => {
            let i = Icmpv6::from_bytes(l4).map_err(malformed)?;
            icmp(
                &mut p,
                i.ty,
                i.code,
                i.id,
                i.is_error(),
                i.is_echo(),
                i.is_neighbor_discovery() || matches!(i.ty, 130..=132 | 143),
            );
        }
        _ => {}
    }
    Ok(Frame::Ip(p))
}

/// What an ICMP message that is neither echo nor a query is keyed by,
/// above its `type << 8 | code` (see [`icmp_key`]).
pub(crate) const ICMP_OTHER: u16 = 0x4000;

/// The session key "ports" (source, destination) of an ICMP or ICMPv6
/// message that is not an error (errors follow the session they quote).
///
/// The destination minus the source (mod 2^16) names the kind, and a
/// reversed key negates it, so no kind's packet can land on another
/// kind's session, either way:
/// - echo request and reply (ICMP 8/0, ICMPv6 128/129): the identifier
///   twice (difference 0), so the reply is the request's key reversed;
/// - the other ICMP queries, timestamp (13/14), information (15/16) and
///   address mask (17/18): a request `(id, id + k)`, its reply
///   `(id + k, id)`, k = 1, 2, 3: only that query's reply answers it;
/// - anything else (router advertisement and solicitation, unassigned
///   types, ...): `(tc, tc + ICMP_OTHER)` with `tc = type << 8 | code`, a
///   flow of its own per type and code whose reverse (difference
///   0xc000) is no packet's key: nothing is admitted as its answer.
///
/// Junos's `junos-icmp-ping` matches echo only; before this, every
/// non-echo type was keyed as an echo with identifier 0, so after one
/// permitted ping with id 0 a ping-only policy passed any ICMP type, both
/// ways. Mirrored by `xpf_icmp_key` in `ebpf/dataplane/parse.h`.
pub(crate) fn icmp_key(v6: bool, ty: u8, code: u8, id: u16) -> (u16, u16) {
    let echo = if v6 {
        matches!(ty, 128 | 129)
    } else {
        matches!(ty, 0 | 8)
    };
    if echo {
        return (id, id);
    }
    if !v6 && (13..=18).contains(&ty) {
        let k = u16::from((ty - 11) / 2);
        return if ty % 2 == 1 {
            (id, id.wrapping_add(k))
        } else {
            (id.wrapping_add(k), id)
        };
    }
    let tc = u16::from(ty) << 8 | u16::from(code);
    (tc, tc.wrapping_add(ICMP_OTHER))
}

fn icmp(p: &mut Packet, ty: u8, code: u8, id: u16, error: bool, echo: bool, nd: bool) {
    if !error {
        (p.sport, p.dport) = icmp_key(p.v6, ty, code, id);
    }
    p.port = u16::from(ty) << 8 | u16::from(code);
    p.icmp = Some(IcmpInfo {
        ty,
        code,
        error,
        echo,
        neighbor_discovery: nd,
    });
}

/// The embedded packet of an ICMP error: addresses, protocol and ports,
/// with the offsets to patch. Quoted headers are truncated, so lengths are
/// not checked against the quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Inner {
    pub l3: usize,
    pub l4: usize,
    pub src: u128,
    pub dst: u128,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
    pub echo: bool,
}

/// Reads the packet quoted by the ICMP error `p`.
pub(crate) fn inner(frame: &[u8], p: &Packet) -> Result<Inner, DropReason> {
    let l3 = p.l4 + 8;
    let b = frame.get(l3..p.end).ok_or(DropReason::Malformed)?;
    let (src, dst, proto, l4) = if p.v6 {
        crate::parse::need(b, 40, "inner ipv6").map_err(malformed)?;
        (
            crate::parse::be128(b, 8),
            crate::parse::be128(b, 24),
            b[6],
            l3 + 40,
        )
    } else {
        crate::parse::need(b, 20, "inner ipv4").map_err(malformed)?;
        let hl = usize::from(b[0] & 0x0f) * 4;
        if b[0] >> 4 != 4 || hl < 20 {
            return Err(DropReason::Malformed);
        }
        (
            u128::from(crate::parse::be32(b, 12)),
            u128::from(crate::parse::be32(b, 16)),
            b[9],
            l3 + hl,
        )
    };
    let q = frame.get(l4..p.end).ok_or(DropReason::Malformed)?;
    crate::parse::need(q, 8, "quoted transport").map_err(malformed)?;
    let (sport, dport, echo) = match proto {
        6 | 17 | 132 => (crate::parse::be16(q, 0), crate::parse::be16(q, 2), false),
        1 | 58 => {
            let (sport, dport) = icmp_key(p.v6, q[0], q[1], crate::parse::be16(q, 4));
            (sport, dport, matches!(q[0], 0 | 8 | 128 | 129))
        }
        _ => (0, 0, false),
    };
    Ok(Inner {
        l3,
        l4,
        src,
        dst,
        proto,
        sport,
        dport,
        echo,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// What a message belongs to: its key may meet another's, either way,
    /// only within one.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Conversation {
        Echo(u16),
        /// Query pair (its request type), identifier.
        Query(u8, u16),
        /// Type, code.
        Other(u8, u8),
    }

    fn conversation(v6: bool, ty: u8, code: u8, id: u16) -> Conversation {
        match (v6, ty) {
            (false, 0 | 8) | (true, 128 | 129) => Conversation::Echo(id),
            (false, 13..=18) => Conversation::Query(ty - (1 - ty % 2), id),
            _ => Conversation::Other(ty, code),
        }
    }

    #[test]
    fn icmp_kinds_never_share_a_key_either_way() {
        // Identifiers at every edge the key arithmetic has.
        let ids = [
            0, 1, 2, 3, 4, 0x3ffd, 0x3fff, 0x4000, 0x4003, 0x7fff, 0x8000, 0xbfff, 0xc000, 0xc003,
            0xfffc, 0xfffd, 0xfffe, 0xffff,
        ];
        let mut all = Vec::new();
        for v6 in [false, true] {
            for ty in 0..=255u8 {
                let error = if v6 {
                    ty < 128
                } else {
                    matches!(ty, 3 | 4 | 5 | 11 | 12)
                };
                if error {
                    continue;
                }
                for code in [0, 1, 0x40, 0xc0, 255] {
                    for id in ids {
                        let c = conversation(v6, ty, code, id);
                        all.push((v6, icmp_key(v6, ty, code, id), c));
                    }
                }
            }
        }
        let mut by_key: HashMap<(bool, (u16, u16)), Conversation> = HashMap::new();
        for &(v6, k, c) in &all {
            let had = *by_key.entry((v6, k)).or_insert(c);
            assert_eq!(had, c, "{k:?} is both's key");
        }
        for &(v6, (s, d), c) in &all {
            if let Some(&other) = by_key.get(&(v6, (d, s))) {
                assert_eq!(other, c, "{:?} answers {c:?}", (d, s));
            }
        }
    }

    #[test]
    fn queries_are_answered_by_their_replies_and_echo_keeps_its_id() {
        let rev = |(s, d): (u16, u16)| (d, s);
        assert_eq!(icmp_key(false, 8, 0, 0x1234), (0x1234, 0x1234));
        assert_eq!(icmp_key(true, 129, 0, 7), (7, 7));
        for (req, reply) in [(13, 14), (15, 16), (17, 18)] {
            for id in [0, 0xffff] {
                assert_eq!(
                    rev(icmp_key(false, req, 0, id)),
                    icmp_key(false, reply, 0, id)
                );
            }
        }
        // The same types carry no query meaning in ICMPv6.
        assert_ne!(rev(icmp_key(true, 13, 0, 1)), icmp_key(true, 14, 0, 1));
    }
}
