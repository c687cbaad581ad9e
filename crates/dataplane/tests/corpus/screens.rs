// SPDX-License-Identifier: Apache-2.0
//! Rate-based screens and `limit-session`: frames into a screened zone,
//! the drops each check makes, and what it leaves alone.

use super::*;

/// Untrust (screened with `screen`'s body) may reach anything in the DMZ.
fn lab_with(screen: &str) -> Lab {
    let text = format!(
        "
interfaces {{
    ge-0/0/0 {{ unit 0 {{ family inet {{ address 10.0.1.1/24; }} family inet6 {{ address 2001:db8:1::1/64; }} }} }}
    ge-0/0/1 {{ unit 0 {{ family inet {{ address 203.0.113.1/24; }} family inet6 {{ address 2001:db8:ff::1/64; }} }} }}
    ge-0/0/2 {{ unit 0 {{ family inet {{ address 10.0.2.1/24; }} family inet6 {{ address 2001:db8:2::1/64; }} }} }}
}}
security {{
    screen {{ ids-option s {{ {screen} }} }}
    policies {{
        from-zone untrust to-zone dmz {{
            policy any {{ match {{ source-address any; destination-address any; application any; }} then {{ permit; }} }}
        }}
        from-zone dmz to-zone untrust {{
            policy any {{ match {{ source-address any; destination-address any; application any; }} then {{ permit; }} }}
        }}
    }}
    zones {{
        security-zone trust {{ interfaces {{ ge-0/0/0.0; }} }}
        security-zone untrust {{ screen s; interfaces {{ ge-0/0/1.0; }} }}
        security-zone dmz {{ screen s; interfaces {{ ge-0/0/2.0; }} }}
    }}
}}"
    );
    super::lab_with(&text)
}

fn dropped(l: &Lab, r: DropReason) -> u64 {
    l.w.counters().dropped(r)
}

#[test]
fn icmp_flood_drops_above_the_rate_to_one_destination() {
    let mut l = lab_with("icmp { flood { threshold 5; } }");
    for i in 0..5 {
        l.forward(UNTRUST, &ping("198.51.100.7", "10.0.2.10", i), DMZ);
    }
    let over = ping("198.51.100.8", "10.0.2.10", 9);
    assert_eq!(
        l.run(UNTRUST, &over).0,
        Verdict::Drop(DropReason::ScreenIcmpFlood),
        "the 6th ICMP packet to 10.0.2.10 this second, whoever sends it"
    );
    l.forward(UNTRUST, &ping("198.51.100.7", "10.0.2.11", 1), DMZ);
    l.now += SEC;
    l.forward(UNTRUST, &over, DMZ);
    assert_eq!(dropped(&l, DropReason::ScreenIcmpFlood), 1);
    assert_eq!(DropReason::ScreenIcmpFlood.name(), "screen-icmp-flood");
}

#[test]
fn udp_flood_drops_above_the_rate_and_alarm_without_drop_passes() {
    let mut l = lab_with("udp { flood { threshold 3; } }");
    for p in 0..3 {
        l.forward(
            UNTRUST,
            &udp("198.51.100.7", 5000 + p, "10.0.2.10", 53),
            DMZ,
        );
    }
    let over = udp("198.51.100.7", 6000, "10.0.2.10", 53);
    assert_eq!(
        l.run(UNTRUST, &over).0,
        Verdict::Drop(DropReason::ScreenUdpFlood)
    );
    assert_eq!(dropped(&l, DropReason::ScreenUdpFlood), 1);

    let mut l = lab_with("alarm-without-drop; udp { flood { threshold 3; } }");
    for p in 0..5 {
        l.forward(
            UNTRUST,
            &udp("198.51.100.7", 5000 + p, "10.0.2.10", 53),
            DMZ,
        );
    }
    assert_eq!(l.w.counters().screen_alarms, 2);
    assert_eq!(dropped(&l, DropReason::ScreenUdpFlood), 0);
}

#[test]
fn ip_sweep_drops_the_eleventh_host_and_the_sweeper_for_the_second() {
    let mut l = lab_with("icmp { ip-sweep { threshold 5000; } }");
    let start = l.now;
    for h in 0..10 {
        let p = ping("198.51.100.7", &format!("10.0.2.{}", 10 + h), 1);
        l.forward(UNTRUST, &p, DMZ);
        l.now += 100_000; // 100 µs apart: ten hosts in 1 ms
    }
    // Pinging a host again is no sweep.
    l.forward(UNTRUST, &ping("198.51.100.7", "10.0.2.10", 2), DMZ);
    let eleventh = ping("198.51.100.7", "10.0.2.99", 1);
    assert_eq!(
        l.run(UNTRUST, &eleventh).0,
        Verdict::Drop(DropReason::ScreenIpSweep)
    );
    // For the rest of the second, all its ICMP is dropped; others pass.
    l.now = start + SEC / 2;
    assert_eq!(
        l.run(UNTRUST, &ping("198.51.100.7", "10.0.2.10", 3)).0,
        Verdict::Drop(DropReason::ScreenIpSweep)
    );
    l.forward(UNTRUST, &ping("198.51.100.8", "10.0.2.99", 1), DMZ);
    l.now = start + SEC;
    l.forward(UNTRUST, &ping("198.51.100.7", "10.0.2.10", 4), DMZ);
    assert_eq!(dropped(&l, DropReason::ScreenIpSweep), 2);
}

#[test]
fn ip_sweep_spread_wider_than_the_window_passes() {
    let mut l = lab_with("icmp { ip-sweep { threshold 5000; } }");
    for h in 0..30 {
        let p = ping("198.51.100.7", &format!("10.0.2.{}", 10 + h), 1);
        l.forward(UNTRUST, &p, DMZ);
        l.now += 1_000_000; // 1 ms apart: five hosts per 5 ms window
    }
}

#[test]
fn port_scan_drops_the_eleventh_port_and_spares_replies() {
    let mut l = lab_with("tcp { port-scan { threshold 5000; } }");
    for port in 0..10 {
        let syn = tcp("198.51.100.7", 40000, "10.0.2.10", 1000 + port, SYN, 1, 0);
        l.forward(UNTRUST, &syn, DMZ);
    }
    let eleventh = tcp("198.51.100.7", 40000, "10.0.2.10", 2000, SYN, 1, 0);
    assert_eq!(
        l.run(UNTRUST, &eleventh).0,
        Verdict::Drop(DropReason::ScreenPortScan)
    );
    // Another destination of the same source is another count.
    let other = tcp("198.51.100.7", 40000, "10.0.2.11", 2000, SYN, 1, 0);
    l.forward(UNTRUST, &other, DMZ);
    assert_eq!(dropped(&l, DropReason::ScreenPortScan), 1);

    // A DMZ server answering many ports of one client is no scan: its
    // SYN-ACKs carry ACK.
    let mut l = lab_with("tcp { port-scan { threshold 5000; } }");
    for port in 0..20 {
        let syn = tcp("10.0.2.10", 40000 + port, "198.51.100.7", 443, SYN, 1, 0);
        l.forward(DMZ, &syn, UNTRUST);
        let synack = tcp(
            "198.51.100.7",
            443,
            "10.0.2.10",
            40000 + port,
            SYN | ACK,
            9,
            2,
        );
        l.forward(UNTRUST, &synack, DMZ);
    }
}

#[test]
fn tcp_sweep_drops_the_syn_to_an_eleventh_host() {
    let mut l = lab_with("tcp { tcp-sweep { threshold 5000; } }");
    for h in 0..10 {
        let syn = tcp(
            "198.51.100.7",
            40000 + h,
            &format!("10.0.2.{}", 10 + h),
            22,
            SYN,
            1,
            0,
        );
        l.forward(UNTRUST, &syn, DMZ);
    }
    let eleventh = tcp("198.51.100.7", 41000, "10.0.2.99", 22, SYN, 1, 0);
    assert_eq!(
        l.run(UNTRUST, &eleventh).0,
        Verdict::Drop(DropReason::ScreenTcpSweep)
    );
    // Another source has its own window; ICMP and UDP are not TCP sweeps.
    l.forward(
        UNTRUST,
        &tcp("198.51.100.8", 40000, "10.0.2.99", 22, SYN, 1, 0),
        DMZ,
    );
    l.forward(UNTRUST, &ping("198.51.100.9", "10.0.2.99", 1), DMZ);
    assert_eq!(dropped(&l, DropReason::ScreenTcpSweep), 1);
    assert_eq!(DropReason::ScreenTcpSweep.name(), "screen-tcp-sweep");
}

#[test]
fn udp_sweep_and_udp_port_scan_count_every_datagram() {
    let mut l = lab_with("udp { udp-sweep { threshold 5000; } }");
    for h in 0..10 {
        let d = udp("198.51.100.7", 5000, &format!("10.0.2.{}", 10 + h), 161);
        l.forward(UNTRUST, &d, DMZ);
    }
    // Sending again to a host already probed is free.
    l.forward(UNTRUST, &udp("198.51.100.7", 5001, "10.0.2.10", 161), DMZ);
    let eleventh = udp("198.51.100.7", 5000, "10.0.2.99", 161);
    assert_eq!(
        l.run(UNTRUST, &eleventh).0,
        Verdict::Drop(DropReason::ScreenUdpSweep)
    );
    // The sweeper's UDP to a host it already probed is blocked too.
    assert_eq!(
        l.run(UNTRUST, &udp("198.51.100.7", 5002, "10.0.2.10", 161))
            .0,
        Verdict::Drop(DropReason::ScreenUdpSweep)
    );

    let mut l = lab_with("udp { port-scan { threshold 5000; } }");
    for port in 0..10 {
        let d = udp("198.51.100.7", 5000, "10.0.2.10", 1000 + port);
        l.forward(UNTRUST, &d, DMZ);
    }
    let eleventh = udp("198.51.100.7", 5000, "10.0.2.10", 2000);
    assert_eq!(
        l.run(UNTRUST, &eleventh).0,
        Verdict::Drop(DropReason::ScreenUdpPortScan)
    );
    // Ports spread wider than the window pass.
    let mut l = lab_with("udp { port-scan { threshold 5000; } }");
    for port in 0..30 {
        l.forward(
            UNTRUST,
            &udp("198.51.100.7", 5000, "10.0.2.10", 1000 + port),
            DMZ,
        );
        l.now += 1_000_000;
    }
    assert_eq!(dropped(&l, DropReason::ScreenUdpPortScan), 0);
}

#[test]
fn limit_session_caps_sessions_per_source_and_frees_them_on_close() {
    let mut l = lab_with("limit-session { source-ip-based 2; }");
    for p in 0..2 {
        l.forward(
            UNTRUST,
            &udp("198.51.100.7", 5000 + p, "10.0.2.10", 53),
            DMZ,
        );
    }
    let third = udp("198.51.100.7", 5002, "10.0.2.11", 53);
    assert_eq!(
        l.run(UNTRUST, &third).0,
        Verdict::Drop(DropReason::ScreenLimitSessionSource)
    );
    // Packets of the sessions it has still flow; other sources are free.
    l.forward(UNTRUST, &udp("198.51.100.7", 5000, "10.0.2.10", 53), DMZ);
    l.forward(UNTRUST, &udp("198.51.100.8", 5000, "10.0.2.10", 53), DMZ);
    // Clearing one session gives its count back.
    let (snap, now) = (l.snap.clone(), l.now);
    assert_eq!(
        l.w.clear(&snap, now, |s| s.fwd.sport == 5000
            && s.fwd.src == 0xc633_6407),
        1
    );
    l.forward(UNTRUST, &third, DMZ);
    // So does expiry (UDP: 60 s idle).
    l.now += 61 * SEC;
    l.w.sweep(&snap, l.now);
    let later = [5003, 5004].map(|p| udp("198.51.100.7", p, "10.0.2.12", 53));
    for p in &later {
        l.forward(UNTRUST, p, DMZ);
    }
    assert_eq!(dropped(&l, DropReason::ScreenLimitSessionSource), 1);
}

#[test]
fn limit_session_caps_sessions_per_destination() {
    let mut l = lab_with("limit-session { destination-ip-based 2; }");
    l.forward(UNTRUST, &udp("198.51.100.7", 1, "10.0.2.10", 53), DMZ);
    l.forward(UNTRUST, &udp("198.51.100.8", 1, "10.0.2.10", 53), DMZ);
    assert_eq!(
        l.run(UNTRUST, &udp("198.51.100.9", 1, "10.0.2.10", 53)).0,
        Verdict::Drop(DropReason::ScreenLimitSessionDestination)
    );
    l.forward(UNTRUST, &udp("198.51.100.9", 1, "10.0.2.11", 53), DMZ);
}

/// Junos limits an address's sessions box-wide: two workers (two queues
/// of a NIC) sharing the counts refuse the third session whichever of
/// them it reaches, and a close on one frees room on the other.
#[test]
fn limit_session_counts_are_box_wide_across_workers() {
    let mut l = lab_with("limit-session { source-ip-based 2; }");
    let shared = xpf_dataplane::SessionLimits::default();
    l.w.share_session_limits(&shared);
    let mut other = Worker::with_capacity(&l.snap, 1024);
    other.share_session_limits(&shared);

    l.forward(UNTRUST, &udp("198.51.100.7", 5000, "10.0.2.10", 53), DMZ);
    std::mem::swap(&mut l.w, &mut other);
    l.forward(UNTRUST, &udp("198.51.100.7", 5001, "10.0.2.10", 53), DMZ);
    let third = udp("198.51.100.7", 5002, "10.0.2.11", 53);
    assert_eq!(
        l.run(UNTRUST, &third).0,
        Verdict::Drop(DropReason::ScreenLimitSessionSource),
        "on the worker that holds one"
    );
    std::mem::swap(&mut l.w, &mut other);
    assert_eq!(
        l.run(UNTRUST, &third).0,
        Verdict::Drop(DropReason::ScreenLimitSessionSource),
        "on the worker that holds the other"
    );
    // A close on one worker frees room on the other.
    let (snap, now) = (l.snap.clone(), l.now);
    assert_eq!(l.w.clear(&snap, now, |s| s.fwd.sport == 5000), 1);
    std::mem::swap(&mut l.w, &mut other);
    l.forward(UNTRUST, &third, DMZ);
}

#[test]
fn spoofing_drops_sources_whose_route_back_leaves_elsewhere() {
    let mut l = lab_with("ip { spoofing; }");
    let web = "10.0.2.10";
    // Behind the default route, and on the untrust subnet itself: clean.
    l.forward(UNTRUST, &tcp("198.51.100.7", 1000, web, 80, SYN, 1, 0), DMZ);
    l.forward(UNTRUST, &tcp("203.0.113.9", 1001, web, 80, SYN, 1, 0), DMZ);
    // The DMZ's own subnet from the DMZ: clean; from untrust: spoofed, as
    // are the trust subnet, the box's addresses and a subnet broadcast.
    l.forward(
        DMZ,
        &tcp("10.0.2.20", 1002, "198.51.100.7", 80, SYN, 1, 0),
        UNTRUST,
    );
    for src in [
        "10.0.2.20",
        "10.0.1.50",
        "203.0.113.1",
        "10.0.1.255",
        "127.0.0.1",
    ] {
        assert_eq!(
            l.run(UNTRUST, &tcp(src, 1003, web, 80, SYN, 1, 0)).0,
            Verdict::Drop(DropReason::ScreenIpSpoofing),
            "{src}"
        );
    }
    // The internet coming in through the DMZ is spoofed: its route back
    // is the default route, through untrust.
    assert_eq!(
        l.run(DMZ, &tcp("198.51.100.7", 1004, "10.0.2.30", 22, SYN, 1, 0))
            .0,
        Verdict::Drop(DropReason::ScreenIpSpoofing)
    );
    // IPv6 alike; link-local and unspecified sources pass the screen.
    assert_eq!(
        l.run(UNTRUST, &udp("2001:db8:1::50", 5000, "2001:db8:2::10", 53))
            .0,
        Verdict::Drop(DropReason::ScreenIpSpoofing)
    );
    l.forward(
        UNTRUST,
        &udp("2001:db8:77::1", 5000, "2001:db8:2::10", 53),
        DMZ,
    );
    for src in ["fe80::1", "::"] {
        let v = l.run(UNTRUST, &udp(src, 5001, "2001:db8:2::10", 53)).0;
        assert_ne!(v, Verdict::Drop(DropReason::ScreenIpSpoofing), "{src}");
    }
    // No route back at all: spoofed.
    l.fib = StaticFib::connected(&interfaces());
    assert_eq!(
        l.run(UNTRUST, &tcp("198.51.100.7", 1005, web, 80, SYN, 1, 0))
            .0,
        Verdict::Drop(DropReason::ScreenIpSpoofing)
    );
    assert_eq!(dropped(&l, DropReason::ScreenIpSpoofing), 8);
    assert_eq!(DropReason::ScreenIpSpoofing.name(), "screen-ip-spoofing");
}

#[test]
fn spoofing_counts_as_an_alarm_without_drop() {
    let mut l = lab_with("alarm-without-drop; ip { spoofing; }");
    l.forward(
        UNTRUST,
        &tcp("10.0.1.50", 1000, "10.0.2.10", 80, SYN, 1, 0),
        DMZ,
    );
    assert_eq!(l.w.counters().screen_alarms, 1);
}

#[test]
fn syn_flood_thresholds_per_source_and_destination() {
    let mut l = lab_with(
        "tcp { syn-flood { attack-threshold 100; source-threshold 2; destination-threshold 3; } }",
    );
    let syn = |src: &str, sport: u16, dst: &str| tcp(src, sport, dst, 80, SYN, 1, 0);
    l.forward(UNTRUST, &syn("198.51.100.7", 1, "10.0.2.10"), DMZ);
    l.forward(UNTRUST, &syn("198.51.100.7", 2, "10.0.2.11"), DMZ);
    assert_eq!(
        l.run(UNTRUST, &syn("198.51.100.7", 3, "10.0.2.12")).0,
        Verdict::Drop(DropReason::ScreenSynFloodSource),
        "the third SYN from one source this second"
    );
    l.forward(UNTRUST, &syn("198.51.100.8", 1, "10.0.2.10"), DMZ);
    l.forward(UNTRUST, &syn("198.51.100.9", 1, "10.0.2.10"), DMZ);
    // Not a SYN: not counted.
    l.forward(
        DMZ,
        &tcp("10.0.2.10", 80, "198.51.100.9", 1, SYN | ACK, 1, 2),
        UNTRUST,
    );
    assert_eq!(
        l.run(UNTRUST, &syn("198.51.100.10", 1, "10.0.2.10")).0,
        Verdict::Drop(DropReason::ScreenSynFloodDestination),
        "the fourth SYN to one destination this second"
    );
    l.now += SEC;
    l.forward(UNTRUST, &syn("198.51.100.10", 1, "10.0.2.10"), DMZ);
    l.forward(UNTRUST, &syn("198.51.100.7", 4, "10.0.2.12"), DMZ);
    assert_eq!(dropped(&l, DropReason::ScreenSynFloodSource), 1);
    assert_eq!(dropped(&l, DropReason::ScreenSynFloodDestination), 1);
    assert_eq!(l.w.counters().screen_alarms, 0);
}

#[test]
fn syn_flood_alarm_threshold_counts_and_passes() {
    let mut l = lab_with("tcp { syn-flood { alarm-threshold 2; destination-threshold 4; } }");
    for src in 1..=4 {
        let src = format!("198.51.100.{src}");
        l.forward(UNTRUST, &tcp(&src, 1, "10.0.2.10", 80, SYN, 1, 0), DMZ);
    }
    assert_eq!(l.w.counters().screen_alarms, 2, "the third and fourth");
    // A SYN the destination threshold drops is that drop, not an alarm.
    let v = l
        .run(UNTRUST, &tcp("198.51.100.5", 1, "10.0.2.10", 80, SYN, 1, 0))
        .0;
    assert_eq!(v, Verdict::Drop(DropReason::ScreenSynFloodDestination));
    assert_eq!(l.w.counters().screen_alarms, 2);
}
