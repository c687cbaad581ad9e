// SPDX-License-Identifier: Apache-2.0
//! Fragments without reassembly: a later fragment goes where its first
//! fragment went, with the same address translation, or is dropped.

use super::*;

/// A UDP datagram big enough to need two fragments.
fn big_udp(src: &str, sport: u16, dst: &str, dport: u16) -> Ip {
    ip(src, dst, 17, udp_header(sport, dport, &[0x5a; 200]))
}

/// trust → untrust TCP 80 is permitted with interface source NAT.
fn web(src: &str, dst: &str) -> Ip {
    ip(src, dst, 6, {
        let mut h = tcp_header(40000, 80, 1, 0, SYN, &[]);
        h.extend_from_slice(&[0x42; 300]);
        h
    })
}

/// Runs a fragment that must be forwarded out of `egress`.
fn pass(l: &mut Lab, ingress: u32, pkt: &Ip, egress: u32) -> Vec<u8> {
    let (v, out) = l.run(ingress, pkt);
    match v {
        Verdict::Forward { egress_ifindex, .. } => assert_eq!(egress_ifindex, egress),
        other => panic!("expected Forward via {egress}, got {other:?}"),
    }
    assert_ip_header_checksum(&out);
    out
}

#[test]
fn later_fragments_follow_the_first_with_its_nat() {
    let mut l = lab();
    let (first, later) = fragments(&web("10.0.1.50", "198.51.100.80"), 104);
    let out1 = pass(&mut l, TRUST, &first, UNTRUST);
    let out2 = pass(&mut l, TRUST, &later, UNTRUST);
    let (va, vb) = (view(&out1), view(&out2));
    assert_eq!(vb.src(), a("203.0.113.1"), "same source NAT");
    assert_eq!((vb.ttl(), vb.dst()), (63, a("198.51.100.80")));
    assert_eq!(vb.payload(), &[0x42; 216][..], "payload untouched");
    assert_eq!(va.dport(), 80);
    assert_reassembled_checksum(&out1, &out2);
    assert_eq!(l.w.counters().dropped(DropReason::NonFirstFragment), 0);
}

#[test]
fn ipv6_later_fragments_follow_the_first_with_its_nat() {
    let mut l = lab();
    let (first, later) = fragments(&web("2001:db8:1::50", "2001:db8:99::80"), 104);
    let out1 = pass(&mut l, TRUST, &first, UNTRUST);
    let out2 = pass(&mut l, TRUST, &later, UNTRUST);
    assert_eq!(view(&out2).src(), a("2001:db8:ff::1"));
    assert_eq!(view(&out2).ttl(), 63);
    assert_reassembled_checksum(&out1, &out2);
}

#[test]
fn fragments_of_answers_follow_the_reverse_translation() {
    let mut l = lab();
    // A published server (static NAT 203.0.113.200 ↔ 10.0.2.20) sends a
    // fragmented answer.
    let q = udp("198.51.100.7", 5000, "203.0.113.200", 80);
    l.forward(UNTRUST, &q, DMZ);
    let answer = big_udp("10.0.2.20", 80, "198.51.100.7", 5000);
    let (first, later) = fragments(&answer, 104);
    let out1 = pass(&mut l, DMZ, &first, UNTRUST);
    let out2 = pass(&mut l, DMZ, &later, UNTRUST);
    assert_eq!(view(&out2).src(), a("203.0.113.200"));
    assert_reassembled_checksum(&out1, &out2);
}

#[test]
fn later_fragments_without_their_first_are_dropped() {
    let mut l = lab();
    let (first, later) = fragments(&web("10.0.1.50", "198.51.100.80"), 104);
    // Before its first fragment: nothing to follow.
    assert_eq!(
        l.run(TRUST, &later).0,
        Verdict::Drop(DropReason::NonFirstFragment)
    );
    pass(&mut l, TRUST, &first, UNTRUST);
    // Another datagram (here: another destination) is not this one.
    let (_, stranger) = fragments(&web("10.0.1.50", "198.51.100.81"), 104);
    assert_eq!(
        l.run(TRUST, &stranger).0,
        Verdict::Drop(DropReason::NonFirstFragment)
    );
    pass(&mut l, TRUST, &later, UNTRUST);
    // After the reassembly timeout the mapping is gone.
    l.now += 3 * SEC;
    assert_eq!(
        l.run(TRUST, &later).0,
        Verdict::Drop(DropReason::NonFirstFragment)
    );
}

#[test]
fn fragments_of_a_denied_datagram_stay_dropped() {
    let mut l = lab();
    let dns = ip(
        "10.0.1.50",
        "198.51.100.80",
        17,
        udp_header(5000, 53, &[0; 200]),
    );
    let (first, later) = fragments(&dns, 104);
    assert_eq!(
        l.run(TRUST, &first).0,
        Verdict::Drop(DropReason::PolicyDeny)
    );
    assert_eq!(
        l.run(TRUST, &later).0,
        Verdict::Drop(DropReason::NonFirstFragment)
    );
}

#[test]
fn fragments_stop_when_their_session_ends() {
    let mut l = lab();
    let (first, later) = fragments(&web("10.0.1.50", "198.51.100.80"), 104);
    pass(&mut l, TRUST, &first, UNTRUST);
    let (snap, now) = (l.snap.clone(), l.now);
    assert_eq!(l.w.clear(&snap, now, |_| true), 1);
    assert_eq!(
        l.run(TRUST, &later).0,
        Verdict::Drop(DropReason::NonFirstFragment)
    );
}

#[test]
fn block_frag_drops_every_fragment() {
    let mut l = lab();
    let text = CONF.replace(
        "icmp { ping-death; }",
        "icmp { ping-death; } ip { block-frag; }",
    );
    l.snap = snapshot(&text);
    let (first, later) = fragments(&big_udp("198.51.100.7", 5000, "203.0.113.200", 80), 104);
    assert_eq!(
        l.run(UNTRUST, &first).0,
        Verdict::Drop(DropReason::ScreenBlockFrag)
    );
    assert_eq!(
        l.run(UNTRUST, &later).0,
        Verdict::Drop(DropReason::ScreenBlockFrag)
    );
    l.forward(
        UNTRUST,
        &udp("198.51.100.7", 5000, "203.0.113.200", 80),
        DMZ,
    );
}
