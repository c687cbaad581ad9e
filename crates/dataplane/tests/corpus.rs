// SPDX-License-Identifier: Apache-2.0
//! The packet corpus: hand-built frames through the pipeline, with the
//! verdict and the rewritten bytes each must produce. Every rewritten
//! packet's checksums are recomputed from scratch.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns too

mod common;
#[path = "corpus/fragments.rs"]
mod fragments;
#[path = "corpus/icmp.rs"]
mod icmp;
#[path = "corpus/screens.rs"]
mod screens;

use std::net::IpAddr;

use common::*;
use xpf_dataplane::{
    process, DropReason, InterfaceTable, NatKind, Snapshot, StaticFib, Verdict, Worker,
};

const TRUST: u32 = 2;
const UNTRUST: u32 = 3;
const DMZ: u32 = 4;
const SEC: u64 = 1_000_000_000;

const CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } family inet6 { address 2001:db8:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } family inet6 { address 2001:db8:ff::1/64; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } family inet6 { address 2001:db8:2::1/64; } } }
}
security {
    screen {
        ids-option edge {
            icmp { ping-death; }
            tcp { land; syn-fin; tcp-no-flag; }
        }
    }
    address-book {
        global {
            address web-server 10.0.2.10/32;
            address static-host 10.0.2.20/32;
            address web6 2001:db8:2::10/128;
        }
    }
    flow { tcp-mss { all-tcp mss 1200; } }
    nat {
        source {
            pool out-pool { address { 198.51.100.10/32 to 198.51.100.11/32; } port range 20000 to 20009; }
            rule-set trust-out {
                from zone trust;
                to zone untrust;
                rule via-pool { match { source-address 10.0.1.128/25; } then { source-nat pool out-pool; } }
                rule no-nat { match { source-address 10.0.1.64/26; } then { source-nat off; } }
                rule masquerade { match { source-address [ 0.0.0.0/0 ::/0 ]; } then { source-nat interface; } }
            }
        }
        destination {
            pool web-pool { address 10.0.2.10/32 port 8080; }
            rule-set inbound {
                from zone untrust;
                rule publish-web { match { destination-address 203.0.113.100/32; destination-port 80; } then { destination-nat pool web-pool; } }
            }
        }
        static {
            rule-set one-to-one {
                from zone untrust;
                rule s1 { match { destination-address 203.0.113.200/32; } then { static-nat prefix 10.0.2.20/32; } }
            }
        }
    }
    policies {
        from-zone trust to-zone untrust {
            policy web { match { source-address any; destination-address any; application [ junos-http junos-https ]; } then { permit; log { session-init session-close; } count; } }
            policy pings { match { source-address any; destination-address any; application [ junos-ping junos-pingv6 ]; } then { permit; } }
            policy no-dns { match { source-address any; destination-address any; application junos-dns-udp; } then { deny; } }
            policy no-telnet { match { source-address any; destination-address any; application junos-telnet; } then { reject; } }
            policy no-udp { match { source-address any; destination-address any; application any; } then { reject; } }
        }
        from-zone untrust to-zone dmz {
            policy published { match { source-address any; destination-address [ web-server web6 ]; application any; } then { permit; } }
            policy static-in { match { source-address any; destination-address static-host; application any; } then { permit; } }
        }
        from-zone dmz to-zone untrust {
            policy dmz-out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
    }
    zones {
        security-zone trust {
            host-inbound-traffic { system-services { ssh; ping; } }
            interfaces { ge-0/0/0.0; }
        }
        security-zone untrust {
            screen edge;
            interfaces { ge-0/0/1.0; }
        }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

fn interfaces() -> InterfaceTable {
    InterfaceTable::new()
        .with(TRUST, "ge-0/0/0.0", &["10.0.1.1/24", "2001:db8:1::1/64"])
        .with(
            UNTRUST,
            "ge-0/0/1.0",
            &["203.0.113.1/24", "2001:db8:ff::1/64"],
        )
        .with(DMZ, "ge-0/0/2.0", &["10.0.2.1/24", "2001:db8:2::1/64"])
}

fn snapshot(text: &str) -> Snapshot {
    let cfg = xpf_config::parse_config(text).expect("config loads");
    let model = xpf_model::build(&xpf_config::effective(&cfg, None)).expect("model builds");
    Snapshot::compile(&model, &interfaces()).expect("snapshot compiles")
}

struct Lab {
    snap: Snapshot,
    fib: StaticFib,
    w: Worker,
    now: u64,
}

fn lab() -> Lab {
    lab_with(CONF)
}

/// A lab over another configuration of the same interfaces.
fn lab_with(conf: &str) -> Lab {
    let snap = snapshot(conf);
    let fib = StaticFib::connected(&interfaces())
        .route("0.0.0.0/0", UNTRUST, Some("203.0.113.254"))
        .route("::/0", UNTRUST, Some("2001:db8:ff::fe"));
    let w = Worker::with_capacity(&snap, 64);
    Lab {
        snap,
        fib,
        w,
        now: SEC,
    }
}

impl Lab {
    /// Runs a frame; returns the verdict and the buffer's leading bytes
    /// (the whole frame, or the reply).
    fn run(&mut self, ingress: u32, pkt: &Ip) -> (Verdict, Vec<u8>) {
        let f = pkt.frame();
        let mut buf = vec![0u8; 2048];
        buf[..f.len()].copy_from_slice(&f);
        let v = process(
            &self.snap,
            &mut self.w,
            &self.fib,
            ingress,
            &mut buf,
            f.len(),
            self.now,
        );
        let n = match v {
            Verdict::Reply(n) => n,
            _ => f.len(),
        };
        buf.truncate(n);
        (v, buf)
    }

    fn forward(&mut self, ingress: u32, pkt: &Ip, egress: u32) -> Vec<u8> {
        let (v, out) = self.run(ingress, pkt);
        match v {
            Verdict::Forward { egress_ifindex, .. } => assert_eq!(egress_ifindex, egress),
            other => panic!("expected Forward via {egress}, got {other:?}"),
        }
        view(&out).assert_checksums();
        out
    }
}

fn a(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn permitted_flow_passes_both_ways_and_return_traffic_needs_the_session() {
    let mut l = lab();
    // 10.0.1.50 is in no pool range: interface NAT.
    let syn = tcp("10.0.1.50", 40000, "198.51.100.80", 80, SYN, 1000, 0);
    let out = l.forward(TRUST, &syn, UNTRUST);
    let v = view(&out);
    assert_eq!(v.src(), a("203.0.113.1"), "interface source NAT");
    assert_eq!(v.dst(), a("198.51.100.80"));
    assert_eq!(v.ttl(), 63);
    assert_eq!(v.dport(), 80);
    let nat_port = v.sport();
    assert!(nat_port >= 1024);

    let synack = tcp(
        "198.51.100.80",
        80,
        "203.0.113.1",
        nat_port,
        SYN | ACK,
        5000,
        1001,
    );
    let back = l.forward(UNTRUST, &synack, TRUST);
    let v = view(&back);
    assert_eq!((v.dst(), v.dport()), (a("10.0.1.50"), 40000), "reverse NAT");
    assert_eq!(v.src(), a("198.51.100.80"));

    let ack = tcp("10.0.1.50", 40000, "198.51.100.80", 80, ACK, 1001, 5001);
    l.forward(TRUST, &ack, UNTRUST);

    // The same answer without the session (another port) is not let in.
    let stray = tcp(
        "198.51.100.80",
        80,
        "203.0.113.1",
        nat_port.wrapping_add(1),
        SYN | ACK,
        1,
        1,
    );
    let (v, _) = l.run(UNTRUST, &stray);
    assert_eq!(
        v,
        Verdict::ToKernel,
        "an ACK to the box's own address is the kernel's"
    );
    let stray = tcp("198.51.100.80", 80, "10.0.1.50", 40000, ACK, 1, 1);
    assert_eq!(
        l.run(UNTRUST, &stray).0,
        Verdict::Drop(DropReason::TcpNotSyn)
    );
    let udp_in = udp("198.51.100.80", 53, "10.0.1.50", 5353);
    assert_eq!(
        l.run(UNTRUST, &udp_in).0,
        Verdict::Drop(DropReason::DefaultDeny)
    );

    let c = l.w.counters();
    assert_eq!(c.sessions.created, 1);
    assert!(c.sessions.hits >= 2);
    let web = l
        .snap
        .policies()
        .iter()
        .position(|p| &*p.name == "web")
        .unwrap();
    assert_eq!(c.policy_hits[web], 1);
    assert_eq!(c.interface(TRUST).rx_packets, 2);
    assert_eq!(c.interface(UNTRUST).tx_packets, 2);

    // Log records: a create in RT_FLOW form.
    let line = xpf_dataplane::rt_flow_line(&l.w.logs.drain().next().unwrap());
    assert!(line.starts_with(&format!(
        "RT_FLOW_SESSION_CREATE: session created 10.0.1.50/40000->198.51.100.80/80 0x0 junos-http 203.0.113.1/{nat_port}->198.51.100.80/80 0x0 source rule masquerade N/A N/A 6 web trust untrust "
    )), "{line}");
}

#[test]
fn deny_drops_silently() {
    let mut l = lab();
    let q = udp("10.0.1.50", 5000, "198.51.100.53", 53);
    assert_eq!(l.run(TRUST, &q).0, Verdict::Drop(DropReason::PolicyDeny));
    assert_eq!(l.w.counters().dropped(DropReason::PolicyDeny), 1);
    assert_eq!(l.w.sessions.len(), 0);
}

#[test]
fn reject_answers_tcp_with_a_rst() {
    let mut l = lab();
    let syn = tcp("10.0.1.50", 40001, "198.51.100.23", 23, SYN, 7777, 0);
    let (v, out) = l.run(TRUST, &syn);
    assert_eq!(v, Verdict::Reply(54));
    let r = view(&out);
    r.assert_checksums();
    assert_eq!(r.macs(), (MAC_A, MAC_B), "back to the sender");
    assert_eq!((r.src(), r.dst()), (a("198.51.100.23"), a("10.0.1.50")));
    assert_eq!((r.sport(), r.dport()), (23, 40001));
    assert_eq!(r.tcp_flags(), RST | ACK);
    assert_eq!((r.seq(), r.ack()), (0, 7778));
    assert_eq!(r.ttl(), 64);
}

#[test]
fn reject_answers_udp_with_icmp_unreachable() {
    let mut l = lab();
    let q = udp("10.0.1.50", 5000, "198.51.100.9", 9999);
    let original = q.frame();
    let (v, out) = l.run(TRUST, &q);
    let Verdict::Reply(n) = v else {
        panic!("{v:?}")
    };
    let r = view(&out);
    r.assert_checksums();
    assert_eq!(r.icmp_type(), (3, 13), "administratively prohibited");
    assert_eq!((r.src(), r.dst()), (a("198.51.100.9"), a("10.0.1.50")));
    assert_eq!(
        &out[14 + 28..n],
        &original[14..],
        "quotes the original packet"
    );
}

#[test]
fn source_nat_pool_allocates_ports_in_range() {
    let mut l = lab();
    let mut seen = Vec::new();
    for (i, host) in ["10.0.1.200", "10.0.1.201"].iter().enumerate() {
        let syn = tcp(host, 40000, "198.51.100.80", 443, SYN, 1, 0);
        let out = l.forward(TRUST, &syn, UNTRUST);
        let v = view(&out);
        let src = v.src();
        assert!(
            src == a("198.51.100.10") || src == a("198.51.100.11"),
            "{src} #{i}"
        );
        assert!((20000..=20009).contains(&v.sport()));
        seen.push((src, v.sport()));
    }
    assert_ne!(seen[0], seen[1], "two flows never share a translation");
}

#[test]
fn source_nat_off_keeps_the_source() {
    let mut l = lab();
    let syn = tcp("10.0.1.70", 40000, "198.51.100.80", 80, SYN, 1, 0);
    let out = l.forward(TRUST, &syn, UNTRUST);
    assert_eq!(
        (view(&out).src(), view(&out).sport()),
        (a("10.0.1.70"), 40000)
    );
}

#[test]
fn destination_nat_rewrites_address_and_port() {
    let mut l = lab();
    let syn = tcp("198.51.100.7", 50000, "203.0.113.100", 80, SYN, 1, 0);
    let out = l.forward(UNTRUST, &syn, DMZ);
    let v = view(&out);
    assert_eq!((v.dst(), v.dport()), (a("10.0.2.10"), 8080));
    assert_eq!((v.src(), v.sport()), (a("198.51.100.7"), 50000));
    let answer = tcp("10.0.2.10", 8080, "198.51.100.7", 50000, SYN | ACK, 9, 2);
    let back = l.forward(DMZ, &answer, UNTRUST);
    let v = view(&back);
    assert_eq!((v.src(), v.sport()), (a("203.0.113.100"), 80));
}

#[test]
fn static_nat_both_directions() {
    let mut l = lab();
    let inbound = udp("198.51.100.7", 1234, "203.0.113.200", 5060);
    let out = l.forward(UNTRUST, &inbound, DMZ);
    assert_eq!(view(&out).dst(), a("10.0.2.20"));
    // A new flow from the inside host leaves as its public address.
    let outbound = udp("10.0.2.20", 6000, "198.51.100.99", 53);
    let out = l.forward(DMZ, &outbound, UNTRUST);
    assert_eq!(
        (view(&out).src(), view(&out).sport()),
        (a("203.0.113.200"), 6000)
    );
}

/// `show security nat ... rule` counts: each rule its own translations,
/// kept across a commit that leaves the rule as it was.
#[test]
fn nat_rule_hits_are_counted_per_rule() {
    let mut l = lab();
    let hits = |l: &Lab, kind: NatKind, name: &str| {
        let i = l
            .snap
            .nat_rules()
            .iter()
            .position(|r| r.kind == kind && &*r.name == name)
            .unwrap_or_else(|| panic!("{name} compiled"));
        l.w.counters().nat_rules[i]
    };
    l.forward(
        UNTRUST,
        &tcp("198.51.100.7", 50000, "203.0.113.100", 80, SYN, 1, 0),
        DMZ,
    );
    l.forward(
        UNTRUST,
        &udp("198.51.100.7", 1234, "203.0.113.200", 5060),
        DMZ,
    );
    l.forward(DMZ, &udp("10.0.2.20", 6000, "198.51.100.99", 53), UNTRUST);
    for port in [40000, 40001] {
        l.forward(
            TRUST,
            &tcp("10.0.1.50", port, "198.51.100.80", 80, SYN, 1, 0),
            UNTRUST,
        );
    }
    assert_eq!(hits(&l, NatKind::Destination, "publish-web").successful, 1);
    assert_eq!(hits(&l, NatKind::Static, "s1").successful, 2, "both ways");
    assert_eq!(hits(&l, NatKind::Source, "masquerade").successful, 2);
    assert_eq!(hits(&l, NatKind::Source, "via-pool").total(), 0);
    // `source-nat off` translates nothing, so it counts nothing.
    l.forward(
        TRUST,
        &tcp("10.0.1.70", 40000, "198.51.100.80", 80, SYN, 1, 0),
        UNTRUST,
    );
    assert_eq!(hits(&l, NatKind::Source, "no-nat").total(), 0);

    l.snap = snapshot(&CONF.replace("policy pings {", "policy pings2 {"));
    l.forward(
        TRUST,
        &tcp("10.0.1.50", 40002, "198.51.100.80", 80, SYN, 1, 0),
        UNTRUST,
    );
    assert_eq!(
        hits(&l, NatKind::Source, "masquerade").successful,
        3,
        "counters follow their rule into a new snapshot"
    );
}

#[test]
fn ttl_expiry_answers_time_exceeded() {
    let mut l = lab();
    let syn = tcp("10.0.1.50", 40000, "198.51.100.80", 80, SYN, 1, 0).ttl(1);
    let (v, out) = l.run(TRUST, &syn);
    assert!(matches!(v, Verdict::Reply(_)), "{v:?}");
    let r = view(&out);
    r.assert_checksums();
    assert_eq!(r.icmp_type(), (11, 0));
    assert_eq!((r.src(), r.dst()), (a("10.0.1.1"), a("10.0.1.50")));
    assert_eq!(l.w.sessions.len(), 0, "no session for an expired packet");
}

#[test]
fn mss_is_clamped_on_syn() {
    let mut l = lab();
    let opts = [2, 4, 0x05, 0xb4, 1, 1, 1, 0];
    let syn = ip(
        "10.0.1.50",
        "198.51.100.80",
        6,
        tcp_header(40000, 80, 1, 0, SYN, &opts),
    );
    let out = l.forward(TRUST, &syn, UNTRUST);
    let v = view(&out);
    assert_eq!(
        &v.payload()[20..24],
        &[2, 4, 0x04, 0xb0],
        "1460 clamped to 1200"
    );
}

/// `xpf-fuzz pipeline`: the MSS option after a 3-byte option with no NOP
/// (at an odd offset) was clamped with an update that assumed it 16-bit
/// aligned, so the forwarded SYN carried a wrong TCP checksum and the
/// server dropped it. The frame is the fuzzer's.
#[test]
fn fuzz_pipeline_mss_at_an_odd_offset_keeps_the_tcp_checksum() {
    let frame: [u8; 62] = [
        0x02, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x08, 0x00, 0x45,
        0x00, 0x00, 0x30, 0x12, 0x34, 0x00, 0x00, 0x40, 0x06, 0x51, 0xde, 0x0a, 0x00, 0xe2, 0x32,
        0xc6, 0x33, 0x64, 0x50, 0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00,
        0x00, 0x70, 0x02, 0xfa, 0x00, 0x1c, 0xa0, 0x00, 0x00, 0xb4, 0x03, 0x03, 0x02, 0x04, 0x05,
        0x07, 0x00,
    ];
    view(&frame).assert_checksums();
    let mut l = lab();
    let mut buf = vec![0u8; 2048];
    buf[..frame.len()].copy_from_slice(&frame);
    let v = process(
        &l.snap,
        &mut l.w,
        &l.fib,
        TRUST,
        &mut buf,
        frame.len(),
        l.now,
    );
    assert!(
        matches!(
            v,
            Verdict::Forward {
                egress_ifindex: UNTRUST,
                ..
            }
        ),
        "{v:?}"
    );
    let out = view(&buf[..frame.len()]);
    out.assert_checksums();
    assert_eq!(
        &out.payload()[23..27],
        &[2, 4, 0x04, 0xb0],
        "1287 clamped to 1200"
    );
    // And the same option a byte later than usual in a SYN built here.
    let opts = [3, 3, 7, 2, 4, 0x05, 0xb4, 0];
    let syn = ip(
        "10.0.1.50",
        "198.51.100.80",
        6,
        tcp_header(40001, 443, 1, 0, SYN, &opts),
    );
    let out = l.forward(TRUST, &syn, UNTRUST);
    assert_eq!(&view(&out).payload()[23..27], &[2, 4, 0x04, 0xb0]);
}

#[test]
fn host_inbound_allowed_and_denied() {
    let mut l = lab();
    let ssh = tcp("10.0.1.50", 40000, "10.0.1.1", 22, SYN, 1, 0);
    assert_eq!(l.run(TRUST, &ssh).0, Verdict::ToKernel);
    let telnet = tcp("10.0.1.50", 40000, "10.0.1.1", 23, SYN, 1, 0);
    assert_eq!(
        l.run(TRUST, &telnet).0,
        Verdict::Drop(DropReason::HostInboundDenied)
    );
    let ping = ping("203.0.113.9", "203.0.113.1", 7);
    assert_eq!(
        l.run(UNTRUST, &ping).0,
        Verdict::Drop(DropReason::HostInboundDenied)
    );
    let ping6 = common::ping("2001:db8:1::50", "2001:db8:1::1", 7);
    assert_eq!(l.run(TRUST, &ping6).0, Verdict::ToKernel);
    let ssh6 = tcp("2001:db8:ff::9", 40000, "2001:db8:ff::1", 22, SYN, 1, 0);
    assert_eq!(
        l.run(UNTRUST, &ssh6).0,
        Verdict::Drop(DropReason::HostInboundDenied)
    );
    assert_eq!(l.w.counters().dropped(DropReason::HostInboundDenied), 3);
}

#[test]
fn arp_and_non_ip_go_to_the_kernel() {
    let mut l = lab();
    let mut f = vec![0xffu8; 6];
    f.extend_from_slice(&MAC_A);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&MAC_A);
    f.extend_from_slice(&[10, 0, 1, 50, 0, 0, 0, 0, 0, 0, 10, 0, 1, 1]);
    let mut buf = f.clone();
    let v = process(&l.snap, &mut l.w, &l.fib, TRUST, &mut buf, f.len(), l.now);
    assert_eq!(v, Verdict::ToKernel);
    assert_eq!(buf, f, "untouched");
    let mut lldp = f.clone();
    lldp[12..14].copy_from_slice(&[0x88, 0xcc]);
    let n = lldp.len();
    assert_eq!(
        process(&l.snap, &mut l.w, &l.fib, TRUST, &mut lldp, n, l.now),
        Verdict::ToKernel
    );
}

#[test]
fn malformed_frames_are_dropped_and_counted() {
    let mut l = lab();
    let good = tcp("10.0.1.50", 40000, "198.51.100.80", 80, SYN, 1, 0).frame();
    for cut in [10, 20, 33, 40, 50] {
        let mut buf = good[..cut].to_vec();
        let v = process(&l.snap, &mut l.w, &l.fib, TRUST, &mut buf, cut, l.now);
        assert_eq!(v, Verdict::Drop(DropReason::Malformed), "cut at {cut}");
    }
    let mut bad = good.clone();
    bad[14 + 10] ^= 0xff; // IPv4 header checksum
    let n = bad.len();
    assert_eq!(
        process(&l.snap, &mut l.w, &l.fib, TRUST, &mut bad, n, l.now),
        Verdict::Drop(DropReason::Malformed)
    );
    assert_eq!(l.w.counters().dropped(DropReason::Malformed), 6);
}

fn establish(l: &mut Lab) -> u16 {
    let out = l.forward(
        TRUST,
        &tcp("10.0.1.50", 40000, "198.51.100.80", 80, SYN, 1000, 0),
        UNTRUST,
    );
    let port = view(&out).sport();
    l.forward(
        UNTRUST,
        &tcp(
            "198.51.100.80",
            80,
            "203.0.113.1",
            port,
            SYN | ACK,
            5000,
            1001,
        ),
        TRUST,
    );
    l.forward(
        TRUST,
        &tcp("10.0.1.50", 40000, "198.51.100.80", 80, ACK, 1001, 5001),
        UNTRUST,
    );
    port
}

#[test]
fn stray_rst_does_not_kill_an_established_session() {
    let mut l = lab();
    let port = establish(&mut l);
    let blind = tcp(
        "198.51.100.80",
        80,
        "203.0.113.1",
        port,
        RST,
        5001 + 1_000_000,
        0,
    );
    assert_eq!(
        l.run(UNTRUST, &blind).0,
        Verdict::Drop(DropReason::TcpOutOfWindow)
    );
    // Data still flows.
    let data = tcp(
        "198.51.100.80",
        80,
        "203.0.113.1",
        port,
        ACK | PSH,
        5001,
        1001,
    );
    l.forward(UNTRUST, &data, TRUST);
    // An in-window RST is honoured.
    let rst = tcp("10.0.1.50", 40000, "198.51.100.80", 80, RST, 1001, 0);
    l.forward(TRUST, &rst, UNTRUST);
    assert_eq!(
        l.w.sessions.iter().next().unwrap().tcp.unwrap().state(),
        xpf_dataplane::TcpState::Closed
    );
}

#[test]
fn icmp_error_is_matched_to_its_session() {
    let mut l = lab();
    let port = establish(&mut l);
    // A router past the firewall says the server is unreachable; it quotes
    // the translated packet.
    let quoted = tcp("203.0.113.1", port, "198.51.100.80", 80, ACK, 1001, 5001).frame();
    let mut err = vec![3, 1, 0, 0, 0, 0, 0, 0];
    err.extend_from_slice(&quoted[14..14 + 28]);
    let e = ip("192.0.2.1", "203.0.113.1", 1, err);
    let out = l.forward(UNTRUST, &e, TRUST);
    let v = view(&out);
    assert_eq!(v.dst(), a("10.0.1.50"), "outer destination translated back");
    let inner = &v.payload()[8..];
    assert_eq!(&inner[12..16], &[10, 0, 1, 50], "quoted source restored");
    assert_eq!(
        u16::from_be_bytes([inner[20], inner[21]]),
        40000,
        "quoted port restored"
    );
    // An error about no session is dropped.
    let mut err = vec![3, 1, 0, 0, 0, 0, 0, 0];
    let other = tcp("10.0.2.99", 1, "198.51.100.80", 80, ACK, 1, 1).frame();
    err.extend_from_slice(&other[14..14 + 28]);
    let e = ip("192.0.2.1", "10.0.2.99", 1, err);
    assert_eq!(
        l.run(UNTRUST, &e).0,
        Verdict::Drop(DropReason::IcmpErrorNoSession)
    );
}

#[test]
fn policy_change_affects_new_flows_only() {
    let mut l = lab();
    let port = establish(&mut l);
    // The new configuration narrows policy `web` to HTTPS: the running
    // HTTP session keeps its policy (by name), new HTTP flows do not.
    let changed = CONF.replace(
        "application [ junos-http junos-https ]",
        "application junos-https",
    );
    l.snap = snapshot(&changed);
    let data = tcp("198.51.100.80", 80, "203.0.113.1", port, ACK, 5001, 1001);
    l.forward(UNTRUST, &data, TRUST);
    let new_flow = tcp("10.0.1.51", 40000, "198.51.100.80", 80, SYN, 1, 0);
    assert!(
        matches!(l.run(TRUST, &new_flow).0, Verdict::Reply(_)),
        "now rejected by no-udp"
    );

    // Removing the policy ends its sessions at their next packet.
    let removed = CONF.replace("policy web {", "policy web-renamed {");
    l.snap = snapshot(&removed);
    let data = tcp("10.0.1.50", 40000, "198.51.100.80", 80, ACK, 1001, 5001);
    assert_eq!(l.run(TRUST, &data).0, Verdict::Drop(DropReason::TcpNotSyn));
    assert_eq!(l.w.sessions.len(), 0);
}

#[test]
fn session_table_full_is_a_counted_drop() {
    let snap = snapshot(CONF);
    let fib =
        StaticFib::connected(&interfaces()).route("0.0.0.0/0", UNTRUST, Some("203.0.113.254"));
    let mut w = Worker::with_capacity(&snap, 2);
    let mut verdicts = Vec::new();
    for p in 0..3u16 {
        let f = tcp("10.0.1.50", 40000 + p, "198.51.100.80", 80, SYN, 1, 0).frame();
        let mut buf = f.clone();
        verdicts.push(process(&snap, &mut w, &fib, TRUST, &mut buf, f.len(), SEC));
    }
    assert!(matches!(verdicts[1], Verdict::Forward { .. }));
    assert_eq!(verdicts[2], Verdict::Drop(DropReason::SessionTableFull));
    assert_eq!(w.counters().dropped(DropReason::SessionTableFull), 1);
    // Once the half-open sessions age out, there is room again.
    let f = tcp("10.0.1.50", 41000, "198.51.100.80", 80, SYN, 1, 0).frame();
    let mut buf = f.clone();
    let later = SEC + 21 * SEC;
    assert!(matches!(
        process(&snap, &mut w, &fib, TRUST, &mut buf, f.len(), later),
        Verdict::Forward { .. }
    ));
}

#[test]
fn screens_drop_land_syn_fin_and_ping_of_death() {
    let mut l = lab();
    let land = tcp("198.51.100.7", 80, "198.51.100.7", 80, SYN, 1, 0);
    assert_eq!(
        l.run(UNTRUST, &land).0,
        Verdict::Drop(DropReason::ScreenLand)
    );
    let synfin = tcp("198.51.100.7", 1, "203.0.113.100", 80, SYN | FIN, 1, 0);
    assert_eq!(
        l.run(UNTRUST, &synfin).0,
        Verdict::Drop(DropReason::ScreenSynFin)
    );
    let noflag = tcp("198.51.100.7", 1, "203.0.113.100", 80, 0, 1, 0);
    assert_eq!(
        l.run(UNTRUST, &noflag).0,
        Verdict::Drop(DropReason::ScreenTcpNoFlag)
    );
    let mut pod = ip("198.51.100.7", "203.0.113.200", 1, vec![0u8; 1000]);
    pod.frag = Some((65528, false));
    assert_eq!(
        l.run(UNTRUST, &pod).0,
        Verdict::Drop(DropReason::ScreenPingDeath)
    );
    // Trust has no screen: a SYN-FIN there is judged by policy.
    let synfin = tcp("10.0.1.50", 1, "198.51.100.7", 80, SYN | FIN, 1, 0);
    assert_ne!(
        l.run(TRUST, &synfin).0,
        Verdict::Drop(DropReason::ScreenSynFin)
    );
}

#[test]
fn ping_through_interface_nat_both_ways() {
    let mut l = lab();
    let out = l.forward(TRUST, &ping("10.0.1.50", "198.51.100.80", 0x4242), UNTRUST);
    let v = view(&out);
    assert_eq!(v.src(), a("203.0.113.1"));
    let id = v.icmp_id();
    let back = l.forward(UNTRUST, &pong("198.51.100.80", "203.0.113.1", id), TRUST);
    let v = view(&back);
    assert_eq!((v.dst(), v.icmp_id()), (a("10.0.1.50"), 0x4242));
}

// IPv6 at parity.

#[test]
fn ipv6_permit_with_interface_nat_both_ways() {
    let mut l = lab();
    let syn = tcp(
        "2001:db8:1::50",
        40000,
        "2001:db8:99::80",
        443,
        SYN,
        1000,
        0,
    );
    let out = l.forward(TRUST, &syn, UNTRUST);
    let v = view(&out);
    assert_eq!(v.src(), a("2001:db8:ff::1"));
    assert_eq!(v.ttl(), 63);
    let port = v.sport();
    let synack = tcp(
        "2001:db8:99::80",
        443,
        "2001:db8:ff::1",
        port,
        SYN | ACK,
        5000,
        1001,
    );
    let back = l.forward(UNTRUST, &synack, TRUST);
    assert_eq!(
        (view(&back).dst(), view(&back).dport()),
        (a("2001:db8:1::50"), 40000)
    );
}

#[test]
fn ipv6_ping_and_reject() {
    let mut l = lab();
    let out = l.forward(
        TRUST,
        &ping("2001:db8:1::50", "2001:db8:99::80", 9),
        UNTRUST,
    );
    let id = view(&out).icmp_id();
    let back = l.forward(
        UNTRUST,
        &pong("2001:db8:99::80", "2001:db8:ff::1", id),
        TRUST,
    );
    assert_eq!(view(&back).icmp_id(), 9);

    let syn = tcp("2001:db8:1::50", 40001, "2001:db8:99::23", 23, SYN, 5, 0);
    let (v, out) = l.run(TRUST, &syn);
    assert_eq!(v, Verdict::Reply(74));
    let r = view(&out);
    r.assert_checksums();
    assert_eq!((r.tcp_flags(), r.ack()), (RST | ACK, 6));

    let q = udp("2001:db8:1::50", 5000, "2001:db8:99::9", 9999);
    let (v, out) = l.run(TRUST, &q);
    assert!(matches!(v, Verdict::Reply(_)));
    let r = view(&out);
    r.assert_checksums();
    assert_eq!(r.icmp_type(), (1, 1));
}

#[test]
fn ipv6_hop_limit_expiry_and_deny() {
    let mut l = lab();
    let syn = tcp("2001:db8:1::50", 40000, "2001:db8:99::80", 80, SYN, 1, 0).ttl(1);
    let (v, out) = l.run(TRUST, &syn);
    assert!(matches!(v, Verdict::Reply(_)));
    let r = view(&out);
    r.assert_checksums();
    assert_eq!(r.icmp_type(), (3, 0));
    assert_eq!(r.src(), a("2001:db8:1::1"));
    let q = udp("2001:db8:1::50", 5000, "2001:db8:99::53", 53);
    assert_eq!(l.run(TRUST, &q).0, Verdict::Drop(DropReason::PolicyDeny));
}

#[test]
fn ipv6_destination_without_nat_to_dmz() {
    let mut l = lab();
    let syn = tcp("2001:db8:99::7", 50000, "2001:db8:2::10", 80, SYN, 1, 0);
    let out = l.forward(UNTRUST, &syn, DMZ);
    assert_eq!(view(&out).dst(), a("2001:db8:2::10"));
}

#[test]
fn non_first_fragments_are_dropped() {
    let mut l = lab();
    let mut frag = ip("10.0.1.50", "198.51.100.80", 17, vec![0u8; 64]);
    frag.frag = Some((1480, false));
    assert_eq!(
        l.run(TRUST, &frag).0,
        Verdict::Drop(DropReason::NonFirstFragment)
    );
}
