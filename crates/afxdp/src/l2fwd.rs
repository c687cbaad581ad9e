// SPDX-License-Identifier: Apache-2.0
//! A minimal router used to prove the machinery before the pipeline lands:
//! longest-prefix match on the destination IP over a static table, MAC
//! rewrite from a static neighbour entry, TTL/hop-limit decrement.

use std::net::IpAddr;

use crate::processor::{Action, Frame, Processor};

const ETH_HLEN: usize = 14;
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;

/// One static route with its resolved next hop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L2Route {
    /// Destination prefix.
    pub prefix: IpAddr,
    /// Prefix length in bits.
    pub prefix_len: u8,
    /// The interface to send on.
    pub egress_ifindex: u32,
    /// Source MAC: the egress interface's own.
    pub src_mac: [u8; 6],
    /// Destination MAC: the next hop's.
    pub dst_mac: [u8; 6],
}

/// Counters of an [`L2Forwarder`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct L2Stats {
    /// Frames forwarded.
    pub forwarded: u64,
    /// Dropped: not IPv4/IPv6, or truncated.
    pub not_ip: u64,
    /// Dropped: no route.
    pub no_route: u64,
    /// Dropped: TTL or hop limit would reach zero (no ICMP is sent).
    pub ttl_expired: u64,
}

/// Forwards by destination IP over a static table; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct L2Forwarder {
    routes: Vec<L2Route>,
    stats: L2Stats,
}

impl L2Forwarder {
    /// A forwarder with these routes (longest prefix wins).
    pub fn new(routes: Vec<L2Route>) -> L2Forwarder {
        L2Forwarder {
            routes,
            stats: L2Stats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> L2Stats {
        self.stats
    }

    fn lookup(&self, dst: IpAddr) -> Option<&L2Route> {
        self.routes
            .iter()
            .filter(|r| prefix_contains(r.prefix, r.prefix_len, dst))
            .max_by_key(|r| r.prefix_len)
    }
}

fn prefix_contains(prefix: IpAddr, len: u8, addr: IpAddr) -> bool {
    match (prefix, addr) {
        (IpAddr::V4(p), IpAddr::V4(a)) => {
            let len = u32::from(len.min(32));
            let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
            u32::from(p) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(p), IpAddr::V6(a)) => {
            let len = u32::from(len.min(128));
            let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
            u128::from(p) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// Decrements the IPv4 TTL and patches the header checksum incrementally
/// (RFC 1624, eqn. 3). `ip` starts at the IPv4 header, at least 20 bytes.
fn ipv4_decrement_ttl(ip: &mut [u8]) {
    let old = u16::from_be_bytes([ip[8], ip[9]]);
    ip[8] -= 1;
    let new = u16::from_be_bytes([ip[8], ip[9]]);
    let hc = u16::from_be_bytes([ip[10], ip[11]]);
    let mut sum = u32::from(!hc) + u32::from(!old) + u32::from(new);
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    // sum <= 0xffff after folding, so the cast keeps every bit.
    let hc = !(sum as u16);
    ip[10..12].copy_from_slice(&hc.to_be_bytes());
}

impl Processor for L2Forwarder {
    fn process(&mut self, _ingress_ifindex: u32, frame: &mut Frame<'_>, _now_ns: u64) -> Action {
        let buf = frame.bytes_mut();
        let Some(ethertype) = buf.get(12..14).map(|b| u16::from_be_bytes([b[0], b[1]])) else {
            self.stats.not_ip += 1;
            return Action::Drop;
        };
        let (dst, ttl_at) = match ethertype {
            ETH_P_IP if buf.len() >= ETH_HLEN + 20 && buf[ETH_HLEN] >> 4 == 4 => {
                let d: [u8; 4] = [buf[30], buf[31], buf[32], buf[33]];
                (IpAddr::from(d), ETH_HLEN + 8)
            }
            ETH_P_IPV6 if buf.len() >= ETH_HLEN + 40 => {
                let mut d = [0u8; 16];
                d.copy_from_slice(&buf[ETH_HLEN + 24..ETH_HLEN + 40]);
                (IpAddr::from(d), ETH_HLEN + 7)
            }
            _ => {
                self.stats.not_ip += 1;
                return Action::Drop;
            }
        };
        if buf[ttl_at] <= 1 {
            self.stats.ttl_expired += 1;
            return Action::Drop;
        }
        let Some(route) = self.lookup(dst) else {
            self.stats.no_route += 1;
            return Action::Drop;
        };
        let (egress, src_mac, dst_mac) = (route.egress_ifindex, route.src_mac, route.dst_mac);
        if ethertype == ETH_P_IP {
            ipv4_decrement_ttl(&mut buf[ETH_HLEN..]);
        } else {
            buf[ttl_at] -= 1;
        }
        buf[0..6].copy_from_slice(&dst_mac);
        buf[6..12].copy_from_slice(&src_mac);
        self.stats.forwarded += 1;
        Action::Forward {
            egress_ifindex: egress,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_checksum(h: &[u8]) -> u16 {
        let mut sum: u32 = h
            .chunks(2)
            .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    fn udp4(dst: [u8; 4], ttl: u8) -> Vec<u8> {
        let mut f = vec![0u8; 14 + 20 + 8];
        f[12..14].copy_from_slice(&ETH_P_IP.to_be_bytes());
        let ip = &mut f[14..34];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&28u16.to_be_bytes());
        ip[8] = ttl;
        ip[9] = 17;
        ip[12..16].copy_from_slice(&[10, 0, 1, 2]);
        ip[16..20].copy_from_slice(&dst);
        let c = ipv4_checksum(ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        f
    }

    fn fwd() -> L2Forwarder {
        L2Forwarder::new(vec![
            L2Route {
                prefix: "10.0.2.0".parse().expect("ip"),
                prefix_len: 24,
                egress_ifindex: 7,
                src_mac: [2, 0, 0, 0, 0, 1],
                dst_mac: [2, 0, 0, 0, 0, 2],
            },
            L2Route {
                prefix: "10.0.0.0".parse().expect("ip"),
                prefix_len: 8,
                egress_ifindex: 9,
                src_mac: [2, 0, 0, 0, 0, 3],
                dst_mac: [2, 0, 0, 0, 0, 4],
            },
        ])
    }

    #[test]
    fn forwards_rewrites_and_keeps_checksum_valid() {
        let mut f = fwd();
        for ttl in [2u8, 64, 255] {
            let mut buf = udp4([10, 0, 2, 2], ttl);
            let len = buf.len();
            let mut frame = Frame::new(&mut buf, len);
            assert_eq!(
                f.process(1, &mut frame, 0),
                Action::Forward { egress_ifindex: 7 }
            );
            assert_eq!(buf[..6], [2, 0, 0, 0, 0, 2]);
            assert_eq!(buf[6..12], [2, 0, 0, 0, 0, 1]);
            assert_eq!(buf[14 + 8], ttl - 1);
            assert_eq!(ipv4_checksum(&buf[14..34]), 0, "ttl {ttl}");
        }
    }

    #[test]
    fn longest_prefix_wins_and_misses_drop() {
        let mut f = fwd();
        let mut buf = udp4([10, 9, 9, 9], 64);
        let len = buf.len();
        assert_eq!(
            f.process(1, &mut Frame::new(&mut buf, len), 0),
            Action::Forward { egress_ifindex: 9 }
        );
        let mut buf = udp4([192, 0, 2, 1], 64);
        assert_eq!(
            f.process(1, &mut Frame::new(&mut buf, len), 0),
            Action::Drop
        );
        assert_eq!(f.stats().no_route, 1);
    }

    #[test]
    fn expiring_ttl_and_short_frames_drop() {
        let mut f = fwd();
        let mut buf = udp4([10, 0, 2, 2], 1);
        let len = buf.len();
        assert_eq!(
            f.process(1, &mut Frame::new(&mut buf, len), 0),
            Action::Drop
        );
        let mut short = [0u8; 20];
        short[12] = 0x08;
        assert_eq!(
            f.process(1, &mut Frame::new(&mut short, 20), 0),
            Action::Drop
        );
        assert_eq!(f.stats().ttl_expired, 1);
        assert_eq!(f.stats().not_ip, 1);
    }

    #[test]
    fn ipv6_decrements_hop_limit() {
        let mut f = L2Forwarder::new(vec![L2Route {
            prefix: "2001:db8:2::".parse().expect("ip"),
            prefix_len: 64,
            egress_ifindex: 3,
            src_mac: [2; 6],
            dst_mac: [4; 6],
        }]);
        let mut buf = vec![0u8; 14 + 40];
        buf[12..14].copy_from_slice(&ETH_P_IPV6.to_be_bytes());
        buf[14] = 0x60;
        buf[14 + 7] = 64;
        let dst: std::net::Ipv6Addr = "2001:db8:2::2".parse().expect("ip");
        buf[14 + 24..14 + 40].copy_from_slice(&dst.octets());
        let len = buf.len();
        assert_eq!(
            f.process(1, &mut Frame::new(&mut buf, len), 0),
            Action::Forward { egress_ifindex: 3 }
        );
        assert_eq!(buf[14 + 7], 63);
    }
}
