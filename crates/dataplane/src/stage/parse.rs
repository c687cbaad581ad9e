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
    /// Session key ports (ICMP echo: the identifier twice).
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

fn icmp(p: &mut Packet, ty: u8, code: u8, id: u16, error: bool, echo: bool, nd: bool) {
    if echo {
        p.sport = id;
        p.dport = id;
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
            let id = crate::parse::be16(q, 4);
            (id, id, matches!(q[0], 0 | 8 | 128 | 129))
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
