// SPDX-License-Identifier: Apache-2.0
//! `frame`: the frame parser on arbitrary bytes.
//!
//! Runs the pipeline's parse stage (through the dataplane's `fuzzing`
//! entry, which also checks that every offset it hands on lies inside the
//! frame) and each public header parser, checking the lengths each
//! reports against the bytes it was given.

use xpf_dataplane::fuzzing::parse_frame;
use xpf_dataplane::parse::{arp, ethernet, icmp, icmpv6, ipv4, ipv6, tcp, udp};

use crate::packets;

/// Runs one input: as it is, and with its checksums made right (mutated
/// bytes rarely keep a right IPv4 header checksum, and without one the
/// parser stops at the IP header).
pub fn run(data: &[u8]) {
    parse(data);
    let mut fixed = data.to_vec();
    packets::fix_checksums(&mut fixed);
    if fixed != data {
        parse(&fixed);
    }
}

fn parse(data: &[u8]) {
    let _ = parse_frame(data);
    headers(data);
    // The same bytes as the IP packet of an untagged frame.
    if let Some(l3) = data.get(14..) {
        headers(l3);
    }
}

/// Every header parser over `b`, each result checked against `b`.
fn headers(b: &[u8]) {
    if let Ok(e) = ethernet::Ethernet::from_bytes(b) {
        assert!(e.header_len <= b.len(), "{e:?}");
    }
    let _ = arp::Arp::from_bytes(b);
    if let Ok(ip) = ipv4::Ipv4::from_bytes(b) {
        assert!(
            (20..=60).contains(&ip.header_len)
                && ip.header_len <= ip.total_len
                && ip.total_len <= b.len(),
            "{ip:?} in {} bytes",
            b.len()
        );
    }
    if let Ok(ip) = ipv6::Ipv6::from_bytes(b) {
        assert!(
            ip.upper_offset >= 40 && 40 + ip.payload_len <= b.len(),
            "{ip:?} in {} bytes",
            b.len()
        );
        if ip.fragment.is_none_or(|f| f.offset == 0) {
            assert!(ip.upper_offset <= 40 + ip.payload_len, "{ip:?}");
        }
    }
    if let Ok(t) = tcp::Tcp::from_bytes(b) {
        assert!(
            (20..=60).contains(&t.header_len) && t.header_len <= b.len(),
            "{t:?} in {} bytes",
            b.len()
        );
        if let Some((off, _)) = t.mss {
            assert!(off >= 20 && off + 2 <= t.header_len, "{t:?}");
        }
    }
    if let Ok(u) = udp::Udp::from_bytes(b) {
        assert!(u.len >= 8 && u.len <= b.len(), "{u:?} in {} bytes", b.len());
    }
    let _ = icmp::Icmp::from_bytes(b);
    let _ = icmpv6::Icmpv6::from_bytes(b);
}

/// Seed frames: one of each kind the parser tells apart.
pub fn seeds() -> Vec<Vec<u8>> {
    use packets::*;
    let quoted = ip(
        "203.0.113.1",
        "198.51.100.80",
        17,
        &udp(20000, 53, b"q"),
        None,
    );
    let quoted6 = ip(
        "2001:db8:ff::1",
        "2001:db8:ff::80",
        6,
        &tcp(1, 2, 3, 0, SYN, &[]),
        None,
    );
    vec![
        eth(
            &ip(
                "10.0.1.50",
                "198.51.100.80",
                6,
                &tcp(40000, 80, 1000, 0, SYN, &[2, 4, 5, 0xb4, 3, 3, 7, 0]),
                None,
            ),
            None,
        ),
        eth(
            &ip(
                "10.0.1.50",
                "198.51.100.80",
                17,
                &udp(5353, 53, b"hello"),
                None,
            ),
            Some(10),
        ),
        eth(
            &ip(
                "10.0.1.50",
                "198.51.100.80",
                1,
                &icmp(8, 0, 7, b"xpf-ping"),
                None,
            ),
            None,
        ),
        eth(
            &ip(
                "198.51.100.80",
                "203.0.113.1",
                1,
                &icmp_error(3, 3, &quoted),
                None,
            ),
            None,
        ),
        eth(
            &ip(
                "10.0.1.50",
                "198.51.100.80",
                17,
                &udp(1, 2, &[0; 24]),
                Some((0, true)),
            ),
            None,
        ),
        eth(
            &ip(
                "10.0.1.50",
                "198.51.100.80",
                17,
                &[0; 16],
                Some((24, false)),
            ),
            None,
        ),
        eth(
            &ip(
                "2001:db8:1::50",
                "2001:db8:ff::80",
                6,
                &tcp(40000, 443, 1, 0, SYN, &[]),
                None,
            ),
            None,
        ),
        eth(
            &ip(
                "2001:db8:1::50",
                "2001:db8:ff::80",
                58,
                &icmp(128, 0, 9, b"ping6"),
                None,
            ),
            None,
        ),
        eth(
            &ip(
                "2001:db8:ff::80",
                "2001:db8:ff::1",
                58,
                &icmp_error(1, 4, &quoted6),
                None,
            ),
            None,
        ),
        eth(
            &ip(
                "2001:db8:1::50",
                "2001:db8:ff::80",
                17,
                &udp(1, 2, &[0; 24]),
                Some((0, true)),
            ),
            None,
        ),
        arp([10, 0, 1, 50], [10, 0, 1, 1]),
    ]
}
