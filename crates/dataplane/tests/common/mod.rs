// SPDX-License-Identifier: Apache-2.0
//! Frame builders and from-scratch checks for the packet corpus. Test-only:
//! never part of the shipped crate.
// Helpers of tests may unwrap: a panic is the failure report (clippy.toml
// allows it in #[test] functions, not in the helpers they call).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::IpAddr;

pub const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0xaa];
pub const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0xbb];

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;
pub const URG: u8 = 0x20;

fn sum(data: &[u8], mut acc: u32) -> u32 {
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from(c[0]) << 8
        };
        acc += u32::from(w);
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

fn bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

fn pseudo(src: IpAddr, dst: IpAddr, proto: u8, len: usize) -> u32 {
    let mut p = bytes(src);
    p.extend(bytes(dst));
    sum(&p, u32::from(proto) + len as u32)
}

/// An IP packet under construction.
#[derive(Clone)]
pub struct Ip {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub ttl: u8,
    pub l4: Vec<u8>,
    pub options: Vec<u8>,
    /// (offset in bytes, more fragments)
    pub frag: Option<(usize, bool)>,
    /// IPv6 extension headers ahead of the fragment header, in order: the
    /// type and the bytes after the next-header byte ([`opts6`],
    /// [`routing6`]).
    pub ext: Vec<(u8, Vec<u8>)>,
    pub vlan: Option<u16>,
    /// Leave the L4 checksum as built (for ICMP errors quoting truncated
    /// packets, the checksum is computed over what is there).
    pub raw_l4: bool,
}

pub fn ip(src: &str, dst: &str, proto: u8, l4: Vec<u8>) -> Ip {
    Ip {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        proto,
        ttl: 64,
        l4,
        options: Vec::new(),
        frag: None,
        ext: Vec::new(),
        vlan: None,
        raw_l4: false,
    }
}

pub fn tcp_header(
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    options: &[u8],
) -> Vec<u8> {
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

pub fn udp_header(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0u8; 8];
    h[0..2].copy_from_slice(&sport.to_be_bytes());
    h[2..4].copy_from_slice(&dport.to_be_bytes());
    h[4..6].copy_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    h.extend_from_slice(payload);
    h
}

pub fn echo(v6: bool, request: bool, id: u16, seq: u16) -> Vec<u8> {
    let ty = match (v6, request) {
        (false, true) => 8,
        (false, false) => 0,
        (true, true) => 128,
        (true, false) => 129,
    };
    let mut h = vec![ty, 0, 0, 0];
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(b"xpf-ping");
    h
}

/// An IPv6 hop-by-hop (0) or destination options (60) header of
/// `units + 1` eight-byte units, its options one PadN.
pub fn opts6(ty: u8, units: u8) -> (u8, Vec<u8>) {
    let total = (usize::from(units) + 1) * 8;
    let mut b = vec![units, 1, (total - 4) as u8];
    b.resize(total - 1, 0);
    (ty, b)
}

/// An IPv6 routing header (type 4, one unit) with `left` segments left.
pub fn routing6(left: u8) -> (u8, Vec<u8>) {
    (43, vec![0, 4, left, 0, 0, 0, 0])
}

impl Ip {
    pub fn ttl(mut self, ttl: u8) -> Ip {
        self.ttl = ttl;
        self
    }

    /// Adds an IPv6 extension header after those already there.
    pub fn ext6(mut self, h: (u8, Vec<u8>)) -> Ip {
        self.ext.push(h);
        self
    }

    pub fn frame(&self) -> Vec<u8> {
        let v6 = self.src.is_ipv6();
        let mut f = Vec::new();
        f.extend_from_slice(&MAC_B);
        f.extend_from_slice(&MAC_A);
        if let Some(v) = self.vlan {
            f.extend_from_slice(&[0x81, 0x00]);
            f.extend_from_slice(&v.to_be_bytes());
        }
        f.extend_from_slice(if v6 { &[0x86, 0xdd] } else { &[0x08, 0x00] });
        let mut l4 = self.l4.clone();
        if !self.raw_l4 {
            let c = match self.proto {
                6 => Some(16),
                17 => Some(6),
                1 if !v6 => Some(2),
                58 => Some(2),
                _ => None,
            };
            if let Some(c) = c.filter(|c| c + 2 <= l4.len()) {
                l4[c] = 0;
                l4[c + 1] = 0;
                let start = if self.proto == 1 {
                    0
                } else {
                    pseudo(self.src, self.dst, self.proto, l4.len())
                };
                let mut v = fold(sum(&l4, start));
                if self.proto == 17 && v == 0 {
                    v = 0xffff;
                }
                l4[c..c + 2].copy_from_slice(&v.to_be_bytes());
            }
        }
        if v6 {
            let mut hdrs = self.ext.clone();
            if let Some((off, more)) = self.frag {
                let mut b = vec![0];
                b.extend_from_slice(&((off as u16) | u16::from(more)).to_be_bytes());
                b.extend_from_slice(&7u32.to_be_bytes());
                hdrs.push((44, b));
            }
            // Built from the last: each header names the one after it.
            let mut ext = Vec::new();
            let mut next = self.proto;
            for (ty, body) in hdrs.iter().rev() {
                let mut h = vec![next];
                h.extend_from_slice(body);
                h.extend(ext);
                ext = h;
                next = *ty;
            }
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&((ext.len() + l4.len()) as u16).to_be_bytes());
            h.push(next);
            h.push(self.ttl);
            h.extend(bytes(self.src));
            h.extend(bytes(self.dst));
            f.extend(h);
            f.extend(ext);
        } else {
            let hl = 20 + self.options.len();
            let mut h = vec![(0x40 | (hl / 4)) as u8, 0];
            h.extend_from_slice(&((hl + l4.len()) as u16).to_be_bytes());
            h.extend_from_slice(&0x1234u16.to_be_bytes());
            let frag = self.frag.map_or(0, |(off, more)| {
                (off / 8) as u16 | if more { 0x2000 } else { 0 }
            });
            h.extend_from_slice(&frag.to_be_bytes());
            h.push(self.ttl);
            h.push(self.proto);
            h.extend_from_slice(&[0, 0]);
            h.extend(bytes(self.src));
            h.extend(bytes(self.dst));
            h.extend_from_slice(&self.options);
            let c = fold(sum(&h, 0));
            h[10..12].copy_from_slice(&c.to_be_bytes());
            f.extend(h);
        }
        f.extend(l4);
        f
    }
}

pub fn tcp(src: &str, sport: u16, dst: &str, dport: u16, flags: u8, seq: u32, ack: u32) -> Ip {
    ip(src, dst, 6, tcp_header(sport, dport, seq, ack, flags, &[]))
}

pub fn udp(src: &str, sport: u16, dst: &str, dport: u16) -> Ip {
    ip(src, dst, 17, udp_header(sport, dport, b"hello"))
}

pub fn ping(src: &str, dst: &str, id: u16) -> Ip {
    let v6 = src.contains(':');
    ip(src, dst, if v6 { 58 } else { 1 }, echo(v6, true, id, 1))
}

pub fn pong(src: &str, dst: &str, id: u16) -> Ip {
    let v6 = src.contains(':');
    ip(src, dst, if v6 { 58 } else { 1 }, echo(v6, false, id, 1))
}

/// An ICMP (IPv4 addresses) or ICMPv6 message of any type, laid out as a
/// query: type, code, checksum, identifier, sequence number 1, `body`.
pub fn icmp_msg(src: &str, dst: &str, ty: u8, code: u8, id: u16, body: &[u8]) -> Ip {
    let v6 = src.contains(':');
    let mut h = vec![ty, code, 0, 0];
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&1u16.to_be_bytes());
    h.extend_from_slice(body);
    ip(src, dst, if v6 { 58 } else { 1 }, h)
}

/// A parsed view of a frame the pipeline produced.
pub struct View<'a> {
    pub f: &'a [u8],
    pub l3: usize,
    pub v6: bool,
    pub l4: usize,
    pub end: usize,
    /// The upper-layer protocol (IPv6: past the extension headers).
    pub upper: u8,
    /// A fragment (offset or more-fragments set): its transport checksum
    /// covers the whole datagram.
    pub fragment: bool,
}

pub fn view(f: &[u8]) -> View<'_> {
    let l3 = if f[12..14] == [0x81, 0x00] { 18 } else { 14 };
    let v6 = f[l3] >> 4 == 6;
    let mut fragment = false;
    let (l4, end, upper) = if v6 {
        let (mut next, mut l4) = (f[l3 + 6], l3 + 40);
        while matches!(next, 0 | 43 | 44 | 60) {
            let len = if next == 44 {
                fragment |= u16::from_be_bytes([f[l4 + 2], f[l4 + 3]]) & 0xfff9 != 0;
                8
            } else {
                (usize::from(f[l4 + 1]) + 1) * 8
            };
            next = f[l4];
            l4 += len;
        }
        (
            l4,
            l3 + 40 + usize::from(u16::from_be_bytes([f[l3 + 4], f[l3 + 5]])),
            next,
        )
    } else {
        fragment = u16::from_be_bytes([f[l3 + 6], f[l3 + 7]]) & 0x3fff != 0;
        (
            l3 + usize::from(f[l3] & 15) * 4,
            l3 + usize::from(u16::from_be_bytes([f[l3 + 2], f[l3 + 3]])),
            f[l3 + 9],
        )
    };
    View {
        f,
        l3,
        v6,
        l4,
        end,
        upper,
        fragment,
    }
}

impl View<'_> {
    fn be16(&self, off: usize) -> u16 {
        u16::from_be_bytes([self.f[off], self.f[off + 1]])
    }
    pub fn src(&self) -> IpAddr {
        if self.v6 {
            IpAddr::from(<[u8; 16]>::try_from(&self.f[self.l3 + 8..self.l3 + 24]).unwrap())
        } else {
            IpAddr::from(<[u8; 4]>::try_from(&self.f[self.l3 + 12..self.l3 + 16]).unwrap())
        }
    }
    pub fn dst(&self) -> IpAddr {
        if self.v6 {
            IpAddr::from(<[u8; 16]>::try_from(&self.f[self.l3 + 24..self.l3 + 40]).unwrap())
        } else {
            IpAddr::from(<[u8; 4]>::try_from(&self.f[self.l3 + 16..self.l3 + 20]).unwrap())
        }
    }
    pub fn proto(&self) -> u8 {
        if self.v6 {
            self.f[self.l3 + 6]
        } else {
            self.f[self.l3 + 9]
        }
    }
    pub fn ttl(&self) -> u8 {
        if self.v6 {
            self.f[self.l3 + 7]
        } else {
            self.f[self.l3 + 8]
        }
    }
    pub fn sport(&self) -> u16 {
        self.be16(self.l4)
    }
    pub fn dport(&self) -> u16 {
        self.be16(self.l4 + 2)
    }
    pub fn tcp_flags(&self) -> u8 {
        self.f[self.l4 + 13]
    }
    pub fn seq(&self) -> u32 {
        u32::from_be_bytes(self.f[self.l4 + 4..self.l4 + 8].try_into().unwrap())
    }
    pub fn ack(&self) -> u32 {
        u32::from_be_bytes(self.f[self.l4 + 8..self.l4 + 12].try_into().unwrap())
    }
    pub fn icmp_type(&self) -> (u8, u8) {
        (self.f[self.l4], self.f[self.l4 + 1])
    }
    pub fn icmp_id(&self) -> u16 {
        self.be16(self.l4 + 4)
    }
    pub fn payload(&self) -> &[u8] {
        &self.f[self.l4..self.end]
    }
    pub fn macs(&self) -> ([u8; 6], [u8; 6]) {
        (
            self.f[0..6].try_into().unwrap(),
            self.f[6..12].try_into().unwrap(),
        )
    }

    /// Recomputes every checksum of the packet from scratch and asserts
    /// each is right.
    pub fn assert_checksums(&self) {
        if !self.v6 {
            assert_eq!(
                fold(sum(&self.f[self.l3..self.l4], 0)),
                0,
                "IPv4 header checksum"
            );
        }
        // A fragment's transport checksum covers the whole datagram
        // (`assert_reassembled_checksum`).
        if self.fragment {
            return;
        }
        let l4 = &self.f[self.l4..self.end];
        let proto = self.upper;
        match proto {
            6 | 58 => assert_eq!(
                fold(sum(l4, pseudo(self.src(), self.dst(), proto, l4.len()))),
                0,
                "upper-layer checksum (proto {proto})"
            ),
            17 if self.v6 || self.be16(self.l4 + 6) != 0 => assert_eq!(
                fold(sum(l4, pseudo(self.src(), self.dst(), 17, l4.len()))),
                0,
                "UDP checksum"
            ),
            1 => assert_eq!(fold(sum(l4, 0)), 0, "ICMP checksum"),
            _ => {}
        }
    }
}

/// Splits a datagram in two fragments at `at` bytes of its transport
/// payload (a multiple of 8): the first carries the transport header,
/// both carry the whole datagram's checksum as built.
pub fn fragments(p: &Ip, at: usize) -> (Ip, Ip) {
    let whole = p.frame();
    let l4 = view(&whole).payload().to_vec();
    let mut first = p.clone();
    first.l4 = l4[..at].to_vec();
    first.raw_l4 = true;
    first.frag = Some((0, true));
    let mut later = p.clone();
    later.l4 = l4[at..].to_vec();
    later.raw_l4 = true;
    later.frag = Some((at, false));
    (first, later)
}

/// Reassembles two forwarded fragments and checks the transport checksum
/// of the whole against the addresses they now carry.
pub fn assert_reassembled_checksum(first: &[u8], later: &[u8]) {
    let (a, b) = (view(first), view(later));
    assert_eq!((a.src(), a.dst()), (b.src(), b.dst()), "same addresses");
    let proto = if a.v6 { a.f[a.l3 + 40] } else { a.proto() };
    let mut l4 = a.payload().to_vec();
    l4.extend_from_slice(b.payload());
    let start = if proto == 1 {
        0
    } else {
        pseudo(a.src(), a.dst(), proto, l4.len())
    };
    assert_eq!(fold(sum(&l4, start)), 0, "reassembled checksum");
}

/// Checks the IPv4 header checksum of a frame (fragments: the transport
/// checksum covers the whole datagram, see
/// [`assert_reassembled_checksum`]).
pub fn assert_ip_header_checksum(f: &[u8]) {
    let v = view(f);
    if !v.v6 {
        assert_eq!(fold(sum(&f[v.l3..v.l4], 0)), 0, "IPv4 header checksum");
    }
}
