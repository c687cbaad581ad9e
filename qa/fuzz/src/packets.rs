// SPDX-License-Identifier: Apache-2.0
//! Frames for seeds, and checksums recomputed from scratch for the
//! pipeline's oracles. Built here, not shared with the dataplane's test
//! helpers: those are test-only and unwrap.

use std::net::IpAddr;

/// TCP flags.
pub const FIN: u8 = 0x01;
/// SYN.
pub const SYN: u8 = 0x02;
/// RST.
pub const RST: u8 = 0x04;
/// ACK.
pub const ACK: u8 = 0x10;

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];

fn sum(data: &[u8], mut acc: u32) -> u32 {
    for c in data.chunks(2) {
        let w = match c {
            [a, b] => u16::from_be_bytes([*a, *b]),
            [a] => u16::from(*a) << 8,
            _ => 0,
        };
        acc = acc.wrapping_add(u32::from(w));
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

fn pseudo(src: &[u8], dst: &[u8], proto: u8, len: usize) -> u32 {
    let acc = sum(src, u32::from(proto).wrapping_add(len as u32));
    sum(dst, acc)
}

/// A TCP header (no options unless given) with `payload` after it.
pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, options: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 20];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    h[4..8].copy_from_slice(&seq.to_be_bytes());
    h[8..12].copy_from_slice(&ack.to_be_bytes());
    h[12] = (((20 + options.len()) / 4) << 4) as u8;
    h[13] = flags;
    h[14..16].copy_from_slice(&64000u16.to_be_bytes());
    h.extend_from_slice(options);
    h
}

/// A UDP header and payload.
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 8];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    h[4..6].copy_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// An ICMP or ICMPv6 message laid out as a query (type, code, checksum,
/// identifier, sequence 1) followed by `body`.
pub fn icmp(ty: u8, code: u8, id: u16, body: &[u8]) -> Vec<u8> {
    let mut h = vec![ty, code, 0, 0];
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&1u16.to_be_bytes());
    h.extend_from_slice(body);
    h
}

/// An ICMP error quoting `quoted` (an IP packet, no Ethernet header).
pub fn icmp_error(ty: u8, code: u8, quoted: &[u8]) -> Vec<u8> {
    let mut h = vec![ty, code, 0, 0, 0, 0, 0, 0];
    h.extend_from_slice(quoted);
    h
}

/// An IP packet (no Ethernet header) with correct checksums. `frag` is
/// (offset in bytes, more fragments); IPv6 puts a fragment header in.
pub fn ip(src: &str, dst: &str, proto: u8, l4: &[u8], frag: Option<(u16, bool)>) -> Vec<u8> {
    let (Ok(src), Ok(dst)) = (src.parse::<IpAddr>(), dst.parse::<IpAddr>()) else {
        return Vec::new();
    };
    let (s, d) = (octets(src), octets(dst));
    let v6 = src.is_ipv6();
    let mut l4 = l4.to_vec();
    let at = match proto {
        6 => Some(16),
        17 => Some(6),
        1 if !v6 => Some(2),
        58 => Some(2),
        _ => None,
    };
    if let Some(at) = at.filter(|at| at + 2 <= l4.len()) {
        let start = if proto == 1 {
            0
        } else {
            pseudo(&s, &d, proto, l4.len())
        };
        let mut c = fold(sum(&l4, start));
        if proto == 17 && c == 0 {
            c = 0xffff;
        }
        l4[at..at + 2].copy_from_slice(&c.to_be_bytes());
    }
    if v6 {
        let mut ext = Vec::new();
        let mut next = proto;
        if let Some((off, more)) = frag {
            ext.push(proto);
            ext.push(0);
            ext.extend_from_slice(&((off & 0xfff8) | u16::from(more)).to_be_bytes());
            ext.extend_from_slice(&0x1234_5678u32.to_be_bytes());
            next = 44;
        }
        let mut h = vec![0x60, 0, 0, 0];
        h.extend_from_slice(&((ext.len() + l4.len()) as u16).to_be_bytes());
        h.push(next);
        h.push(64);
        h.extend_from_slice(&s);
        h.extend_from_slice(&d);
        h.extend(ext);
        h.extend(l4);
        h
    } else {
        let mut h = vec![0x45, 0];
        h.extend_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
        h.extend_from_slice(&0x1234u16.to_be_bytes());
        let fo = frag.map_or(0, |(off, more)| (off / 8) | if more { 0x2000 } else { 0 });
        h.extend_from_slice(&fo.to_be_bytes());
        h.push(64);
        h.push(proto);
        h.extend_from_slice(&[0, 0]);
        h.extend_from_slice(&s);
        h.extend_from_slice(&d);
        let c = fold(sum(&h, 0));
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h.extend(l4);
        h
    }
}

/// An Ethernet frame around an IP packet (`vlan`: one 802.1Q tag).
pub fn eth(packet: &[u8], vlan: Option<u16>) -> Vec<u8> {
    let mut f = Vec::with_capacity(packet.len() + 18);
    f.extend_from_slice(&MAC_B);
    f.extend_from_slice(&MAC_A);
    if let Some(v) = vlan {
        f.extend_from_slice(&[0x81, 0x00]);
        f.extend_from_slice(&v.to_be_bytes());
    }
    let v6 = packet.first().is_some_and(|b| b >> 4 == 6);
    f.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
    f.extend_from_slice(packet);
    f
}

/// An ARP request frame.
pub fn arp(sender: [u8; 4], target: [u8; 4]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&MAC_A);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&MAC_A);
    f.extend_from_slice(&sender);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&target);
    f
}

/// The checksums of a frame, each recomputed from scratch: `None` where a
/// checksum does not apply or cannot be computed from this frame alone (a
/// fragment's transport checksum covers the whole datagram; an IPv4 UDP
/// checksum of 0 means none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checksums {
    /// The IPv4 header checksum is right.
    pub ip: Option<bool>,
    /// The transport (TCP, UDP, ICMP, ICMPv6) checksum is right.
    pub l4: Option<bool>,
}

/// Recomputes the checksums of the IP packet in `frame`. `None` when the
/// frame is not a well-formed IP packet this reader understands.
pub fn checksums(frame: &[u8]) -> Option<Checksums> {
    let l3 = match frame.get(12..14)? {
        [0x81, 0x00] => 18,
        _ => 14,
    };
    let ethertype = frame.get(l3 - 2..l3)?;
    let ipb = frame.get(l3..)?;
    match ethertype {
        [0x08, 0x00] => {
            let hl = usize::from(ipb.first()? & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*ipb.get(2)?, *ipb.get(3)?]));
            if ipb.first()? >> 4 != 4 || hl < 20 || total < hl || total > ipb.len() {
                return None;
            }
            let header = &ipb[..hl];
            let ip_ok = fold(sum(header, 0)) == 0;
            let fragment = u16::from_be_bytes([ipb[6], ipb[7]]) & 0x3fff != 0;
            let proto = ipb[9];
            let l4 = &ipb[hl..total];
            let l4_ok = if fragment {
                None
            } else {
                transport(&ipb[12..16], &ipb[16..20], proto, l4, false)
            };
            Some(Checksums {
                ip: Some(ip_ok),
                l4: l4_ok,
            })
        }
        [0x86, 0xdd] => {
            if ipb.len() < 40 || ipb[0] >> 4 != 6 {
                return None;
            }
            let end = 40 + usize::from(u16::from_be_bytes([ipb[4], ipb[5]]));
            let ipb = ipb.get(..end)?;
            let (mut next, mut off) = (ipb[6], 40);
            loop {
                match next {
                    0 | 43 | 60 => {
                        let len = (usize::from(*ipb.get(off + 1)?) + 1) * 8;
                        next = *ipb.get(off)?;
                        off += len;
                    }
                    44 => {
                        // A fragment: its transport checksum spans the datagram.
                        let fo = u16::from_be_bytes([*ipb.get(off + 2)?, *ipb.get(off + 3)?]);
                        if fo & 0xfff9 != 0 {
                            return Some(Checksums { ip: None, l4: None });
                        }
                        next = *ipb.get(off)?;
                        off += 8;
                    }
                    _ => break,
                }
            }
            let l4 = ipb.get(off..)?;
            Some(Checksums {
                ip: None,
                l4: transport(&ipb[8..24], &ipb[24..40], next, l4, true),
            })
        }
        _ => None,
    }
}

/// Rewrites the IPv4 header checksum and the transport checksum of the
/// frame's IP packet to be right, where the frame holds enough of them
/// (so mutated frames get past the parser's header checksum check).
pub fn fix_checksums(frame: &mut [u8]) {
    let l3 = match frame.get(12..14) {
        Some([0x81, 0x00]) => 18,
        _ => 14,
    };
    let Some(ethertype) = frame.get(l3 - 2..l3) else {
        return;
    };
    let v6 = match ethertype {
        [0x08, 0x00] => false,
        [0x86, 0xdd] => true,
        _ => return,
    };
    let Some(p) = frame.get_mut(l3..) else {
        return;
    };
    let (proto, l4, end) = if v6 {
        if p.len() < 40 {
            return;
        }
        let end = (40 + usize::from(u16::from_be_bytes([p[4], p[5]]))).min(p.len());
        // Only a transport directly after the fixed header.
        (p[6], 40, end)
    } else {
        let hl = usize::from(p.first().copied().unwrap_or(0) & 0x0f) * 4;
        if hl < 20 || p.len() < hl {
            return;
        }
        p[10] = 0;
        p[11] = 0;
        let c = fold(sum(&p[..hl], 0));
        p[10..12].copy_from_slice(&c.to_be_bytes());
        if u16::from_be_bytes([p[6], p[7]]) & 0x3fff != 0 {
            return;
        }
        let end = usize::from(u16::from_be_bytes([p[2], p[3]])).min(p.len());
        (p[9], hl, end)
    };
    if end <= l4 {
        return;
    }
    let at = match proto {
        6 => 16,
        17 => 6,
        1 if !v6 => 2,
        58 if v6 => 2,
        _ => return,
    };
    if l4 + at + 2 > end {
        return;
    }
    let (src, dst): (Vec<u8>, Vec<u8>) = if v6 {
        (p[8..24].to_vec(), p[24..40].to_vec())
    } else {
        (p[12..16].to_vec(), p[16..20].to_vec())
    };
    let seg = &mut p[l4..end];
    seg[at] = 0;
    seg[at + 1] = 0;
    let start = if proto == 1 {
        0
    } else {
        pseudo(&src, &dst, proto, seg.len())
    };
    let mut c = fold(sum(seg, start));
    if proto == 17 && c == 0 {
        c = 0xffff;
    }
    seg[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

fn transport(src: &[u8], dst: &[u8], proto: u8, l4: &[u8], v6: bool) -> Option<bool> {
    match proto {
        6 if l4.len() >= 20 => Some(fold(sum(l4, pseudo(src, dst, 6, l4.len()))) == 0),
        17 if l4.len() >= 8 => {
            if !v6 && l4[6..8] == [0, 0] {
                return None;
            }
            Some(fold(sum(l4, pseudo(src, dst, 17, l4.len()))) == 0)
        }
        1 if !v6 && l4.len() >= 8 => Some(fold(sum(l4, 0)) == 0),
        58 if v6 && l4.len() >= 8 => Some(fold(sum(l4, pseudo(src, dst, 58, l4.len()))) == 0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_frames_check_out() {
        for (src, dst) in [
            ("10.0.1.50", "198.51.100.80"),
            ("2001:db8:1::50", "2001:db8:ff::80"),
        ] {
            let v6 = src.contains(':');
            for (proto, l4) in [
                (6, tcp(40000, 80, 1, 0, SYN, &[2, 4, 5, 0xb4])),
                (17, udp(5353, 53, b"q")),
                (
                    if v6 { 58 } else { 1 },
                    icmp(if v6 { 128 } else { 8 }, 0, 7, b"ping"),
                ),
            ] {
                let f = eth(&ip(src, dst, proto, &l4, None), None);
                assert_eq!(
                    checksums(&f),
                    Some(Checksums {
                        ip: (!v6).then_some(true),
                        l4: Some(true)
                    }),
                    "{src} proto {proto}"
                );
            }
        }
    }
}
