// SPDX-License-Identifier: Apache-2.0
//! ICMP other than echo (issue 15): each kind is a flow of its own, so a
//! permitted ping admits no other type, either way, and only a query's
//! own reply answers it.

use super::*;

/// No NAT. Trust may ping out (echo only, as `junos-icmp-ping` is); the
/// DMZ may send any ICMP out (`junos-icmp-all`, `junos-icmp6-all`);
/// nothing may come in but answers.
const ICMP_CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } family inet6 { address 2001:db8:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } family inet6 { address 2001:db8:ff::1/64; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } family inet6 { address 2001:db8:2::1/64; } } }
}
security {
    policies {
        from-zone trust to-zone untrust {
            policy ping-only { match { source-address any; destination-address any; application [ junos-icmp-ping junos-icmp6-echo-request ]; } then { permit; } }
        }
        from-zone dmz to-zone untrust {
            policy icmp-all { match { source-address any; destination-address any; application [ junos-icmp-all junos-icmp6-all ]; } then { permit; } }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

/// A timestamp request (13) or reply (14): identifier, sequence, three
/// timestamps.
fn timestamp(src: &str, dst: &str, ty: u8, id: u16) -> Ip {
    icmp_msg(src, dst, ty, 0, id, &[0; 12])
}

fn denied(l: &mut Lab, ingress: u32, pkt: &Ip) {
    let (v, _) = l.run(ingress, pkt);
    assert_eq!(v, Verdict::Drop(DropReason::DefaultDeny), "{}", pkt.proto);
}

#[test]
fn a_permitted_ping_admits_no_other_icmp_type_either_way() {
    let mut l = lab_with(ICMP_CONF);
    let (inside, outside) = ("10.0.1.50", "198.51.100.80");
    // Before: the keys of echo id 0 and of every non-echo type were one.
    l.forward(TRUST, &ping(inside, outside, 0), UNTRUST);
    l.forward(UNTRUST, &pong(outside, inside, 0), TRUST);
    // A timestamp request with the same (zero) identifier, from either
    // side: not ping, and no session of its own.
    denied(&mut l, TRUST, &timestamp(inside, outside, 13, 0));
    denied(&mut l, UNTRUST, &timestamp(outside, inside, 13, 0));
    // Unprompted from outside: an echo reply to no ping, router
    // advertisement and solicitation, an address mask reply, an
    // unassigned type.
    denied(&mut l, UNTRUST, &pong(outside, inside, 1));
    for (ty, code) in [(9, 0), (10, 0), (18, 0), (42, 0), (255, 255)] {
        denied(
            &mut l,
            UNTRUST,
            &icmp_msg(outside, inside, ty, code, 0, &[0; 4]),
        );
    }
    // IPv6: an echo-request-only policy admits no node information
    // query (139) after a ping with identifier 0, either way.
    let (inside6, outside6) = ("2001:db8:1::50", "2001:db8:99::80");
    l.forward(TRUST, &ping(inside6, outside6, 0), UNTRUST);
    l.forward(UNTRUST, &pong(outside6, inside6, 0), TRUST);
    denied(
        &mut l,
        TRUST,
        &icmp_msg(inside6, outside6, 139, 0, 0, &[0; 8]),
    );
    denied(
        &mut l,
        UNTRUST,
        &icmp_msg(outside6, inside6, 139, 0, 0, &[0; 8]),
    );
    denied(&mut l, UNTRUST, &pong(outside6, inside6, 1));
    assert_eq!(l.w.sessions.len(), 2, "the two pings' sessions only");
}

#[test]
fn a_permitted_query_is_answered_by_its_own_reply_only() {
    let mut l = lab_with(ICMP_CONF);
    let (dmz, outside) = ("10.0.2.30", "198.51.100.80");
    l.forward(DMZ, &timestamp(dmz, outside, 13, 7), UNTRUST);
    l.forward(UNTRUST, &timestamp(outside, dmz, 14, 7), DMZ);
    // An error about the request follows its session: the quote is keyed
    // as the request was.
    let sent = timestamp(dmz, outside, 13, 7);
    let unreachable = ip(
        "203.0.113.254",
        dmz,
        1,
        [&[3, 1, 0, 0, 0, 0, 0, 0][..], &sent.frame()[14..]].concat(),
    );
    l.forward(UNTRUST, &unreachable, DMZ);
    // Not the reply: a request the other way, another query's reply, an
    // echo, another identifier.
    denied(&mut l, UNTRUST, &timestamp(outside, dmz, 13, 7));
    denied(&mut l, UNTRUST, &icmp_msg(outside, dmz, 18, 0, 7, &[0; 4]));
    denied(&mut l, UNTRUST, &icmp_msg(outside, dmz, 16, 0, 7, &[]));
    denied(&mut l, UNTRUST, &pong(outside, dmz, 7));
    denied(&mut l, UNTRUST, &pong(outside, dmz, 8));
    denied(&mut l, UNTRUST, &timestamp(outside, dmz, 14, 8));
    // A one-way type (router advertisement) is a flow per type and code:
    // permitted out again, never answered.
    l.forward(DMZ, &icmp_msg(dmz, outside, 9, 0, 0, &[0; 8]), UNTRUST);
    l.forward(DMZ, &icmp_msg(dmz, outside, 9, 0, 0, &[0; 8]), UNTRUST);
    denied(&mut l, UNTRUST, &icmp_msg(outside, dmz, 9, 0, 0, &[0; 8]));
    denied(&mut l, UNTRUST, &icmp_msg(outside, dmz, 10, 0, 0, &[0; 4]));
    assert_eq!(
        l.w.sessions.len(),
        2,
        "the timestamp's and the advertisement's"
    );
}
