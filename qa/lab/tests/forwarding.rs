// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! Traffic through xpf: client — xpfd — server, once with each dataplane
//! (AF_XDP + the pipeline, and the eBPF dataplane: `system dataplane-type
//! ebpf`), the same flows and the same expectations except where the eBPF
//! program does less (IPv6, NAT rule hit counters). The kernel's own
//! forwarding is off in the firewall namespace (for IPv4 the eBPF
//! dataplane turns it on per interface, which its `bpf_fib_lookup` needs,
//! while it decides every frame itself), so whatever crosses was forwarded
//! by xpf.

use std::process::Command;
use std::time::Duration;

use xpf_lab::{has, lab_ready, skip, started, wait_for_path, Dataplane};

#[test]
fn traffic_crosses_xpf_only_as_policy_allows() {
    policy_nat_and_sessions(
        "traffic_crosses_xpf_only_as_policy_allows",
        Dataplane::Afxdp,
    );
}

#[test]
fn traffic_crosses_the_ebpf_dataplane_only_as_policy_allows() {
    policy_nat_and_sessions(
        "traffic_crosses_the_ebpf_dataplane_only_as_policy_allows",
        Dataplane::Ebpf,
    );
}

/// Permit, deny, return traffic, sessions and their filters, hit counts,
/// a new policy in front, and interface source NAT, on `dp`.
fn policy_nat_and_sessions(test: &str, dp: Dataplane) {
    if !lab_ready(test) {
        return;
    }
    let Some(t) = started(test, dp) else { return };

    // The first packet to a new next hop waits for the kernel to resolve
    // it (AF_XDP also takes routes and neighbours from the kernel once a
    // second): wait for the path to come up, then hold it to account.
    wait_for_path(&t, "10.91.2.2", Duration::from_secs(10));
    // A firewall takes no routes or addresses from router advertisements.
    for knob in [
        "ge-0-0-0.accept_ra",
        "ge-0-0-1.accept_ra",
        "ge-0-0-1.autoconf",
    ] {
        let out = Command::new("ip")
            .args(["netns", "exec", &t.ns("f"), "sysctl", "-n"])
            .arg(format!("net.ipv6.conf.{knob}"))
            .output()
            .expect("sysctl");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0", "{knob}");
    }
    match dp {
        Dataplane::Afxdp => {
            wait_for_path(&t, "2001:db8:91:2::2", Duration::from_secs(15));
            assert!(
                t.ping("c", "2001:db8:91:2::2", 5) >= 3,
                "IPv6 ping through xpf\n{}",
                t.log()
            );
        }
        // The eBPF program drops IPv6 (not implemented there): dropped,
        // never forwarded unchecked.
        Dataplane::Ebpf => assert_eq!(
            t.ping("c", "2001:db8:91:2::2", 2),
            0,
            "IPv6 must not cross the eBPF dataplane"
        ),
    }
    // Permitted: ICMP and TCP from trust to untrust.
    assert!(
        t.ping("c", "10.91.2.2", 5) >= 3,
        "IPv4 ping through xpf\n{}",
        t.log()
    );
    assert!(
        t.tcp("c", "s", "10.91.2.2", 7001),
        "TCP from trust to untrust\n{}",
        t.log()
    );

    // Listed while they live (ICMP sessions idle out after 4 s, closed
    // TCP ones after 2 s).
    let sessions = t.cli("show security flow session");
    assert!(sessions.contains("Policy name: out/"), "{sessions}");
    assert!(sessions.contains("10.91.1.2/"), "{sessions}");

    // Denied: nothing permits untrust to trust, and return traffic of the
    // permitted flows only passes through their sessions.
    assert!(
        !t.tcp("s", "c", "10.91.1.2", 7002),
        "untrust -> trust must be dropped"
    );
    assert_eq!(
        t.ping("s", "10.91.1.2", 2),
        0,
        "untrust -> trust ping must be dropped"
    );

    let hits = t.cli("show security policies hit-count");
    assert!(
        hits.contains("trust            untrust           out"),
        "{hits}"
    );

    // Session filters: two UDP flows, told apart by destination port.
    t.udp("c", "10.91.2.2", 7005);
    t.udp("c", "10.91.2.2", 7006);
    let only = t.cli("show security flow session destination-port 7005");
    assert!(only.contains("10.91.2.2/7005;udp"), "{only}");
    assert!(
        !only.contains("/7006;"),
        "the filter lets 7006 through:\n{only}"
    );
    assert!(only.ends_with("Total sessions: 1\n"), "{only}");
    let udp = t.cli("show security flow session protocol udp source-prefix 10.91.1.0/24 summary");
    assert!(udp.contains("Valid sessions: 2\n"), "{udp}");
    let cleared = t.cli("clear security flow session destination-port 7005");
    assert!(cleared.contains("1 sessions cleared"), "{cleared}");
    let gone = t.cli("show security flow session destination-port 7005");
    assert!(gone.ends_with("Total sessions: 0\n"), "{gone}");
    let kept = t.cli("show security flow session destination-port 7006");
    assert!(
        kept.contains("10.91.2.2/7006;udp"),
        "clear took too much:\n{kept}"
    );

    // The same table through REST, and the counters through /metrics.
    if has("curl") {
        let body = t.rest("/v1/sessions?destination_port=7006");
        let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        let list = v["sessions"].as_array().expect("sessions");
        assert_eq!(list.len(), 1, "{body}");
        assert_eq!(list[0]["inbound"]["destination"], "10.91.2.2", "{body}");
        assert_eq!(list[0]["inbound"]["destination_port"], 7006, "{body}");
        assert_eq!(list[0]["protocol"], "udp", "{body}");
        let metrics = t.rest("/metrics");
        assert!(metrics.contains("\nxpf_sessions_active "), "{metrics}");
        let hits = metrics
            .lines()
            .find(|l| {
                l.starts_with("xpf_policy_hits_total{")
                    && l.contains("policy=\"out\"")
                    && l.contains("from_zone=\"trust\"")
            })
            .unwrap_or_else(|| panic!("no hit counter of policy out:\n{metrics}"));
        let n: f64 = hits.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(n > 0.0, "{hits}");
    } else {
        skip(
            test,
            "curl is not installed: REST sessions and /metrics unchecked",
        );
    }

    // A policy committed in front affects new flows.
    let out = t.cli(
        "configure; set security policies from-zone trust to-zone untrust policy no-ping match source-address any destination-address any application junos-icmp-all; \
         set security policies from-zone trust to-zone untrust policy no-ping then deny; \
         insert security policies from-zone trust to-zone untrust policy no-ping before policy out; commit",
    );
    assert!(out.contains("commit complete"), "{out}");
    assert_eq!(
        t.ping("c", "10.91.2.2", 3),
        0,
        "a new ping flow meets the new deny policy"
    );
    assert!(
        t.tcp("c", "s", "10.91.2.2", 7003),
        "TCP is still permitted by policy out"
    );

    // Interface source NAT: the server sees the firewall's untrust address
    // and a port from the NAT range; replies find their way back through
    // the shim, which hands replies on those ports to the workers.
    let out = t.cli(
        "configure; delete security policies from-zone trust to-zone untrust policy no-ping; \
         set security nat source rule-set out from zone trust; set security nat source rule-set out to zone untrust; \
         set security nat source rule-set out rule all match source-address 0.0.0.0/0; \
         set security nat source rule-set out rule all then source-nat interface; commit",
    );
    assert!(out.contains("commit complete"), "{out}");
    let peer = t.tcp_peer("c", "s", "10.91.2.2", 7004);
    let (addr, port) = peer
        .split_once(':')
        .unwrap_or_else(|| panic!("no connection seen: {peer:?}\n{}", t.log()));
    assert_eq!(addr, "10.91.2.1", "source NAT to the interface address");
    let port: u16 = port.parse().expect("a port");
    assert!(
        (61000..=65535).contains(&port),
        "NAT port {port} outside the interface NAT range"
    );
    assert!(
        t.ping("c", "10.91.2.2", 4) >= 3,
        "ping through interface NAT\n{}",
        t.log()
    );
    // Both flows were translated by rule `all` of rule-set `out`.
    let rules = t.cli("show security nat source rule all");
    assert!(
        rules.contains("source NAT rule: all") && rules.contains("Rule-set: out"),
        "{rules}"
    );
    // The eBPF program keeps no per-rule NAT counters (yet).
    if dp == Dataplane::Afxdp {
        let hits: u64 = rules
            .lines()
            .find_map(|l| l.trim().strip_prefix("Translation hits"))
            .and_then(|v| v.trim_start_matches([' ', ':']).trim().parse().ok())
            .unwrap_or_else(|| panic!("no translation hits:\n{rules}"));
        assert!(hits >= 2, "{rules}");
    }
    let summary = t.cli("show security nat source summary");
    assert!(summary.contains("Total rules: 1"), "{summary}");
}

/// `show system dataplane` says the eBPF dataplane forwards, `show
/// security flow session` lists a ping's session from the program's map,
/// and a configuration the program cannot enforce is refused, not half
/// enforced.
#[test]
fn ebpf_dataplane_shows_itself_and_the_session_of_a_ping() {
    const TEST: &str = "ebpf_dataplane_shows_itself_and_the_session_of_a_ping";
    if !lab_ready(TEST) {
        return;
    }
    let Some(t) = started(TEST, Dataplane::Ebpf) else {
        return;
    };
    let status = t.cli("show system dataplane");
    assert!(
        status.contains("Forwarding: eBPF (XDP program xpf_xdp_dataplane"),
        "{status}"
    );
    wait_for_path(&t, "10.91.2.2", Duration::from_secs(10));
    assert!(t.ping("c", "10.91.2.2", 3) >= 2, "{}", t.log());
    let sessions = t.cli("show security flow session protocol icmp");
    assert!(
        sessions.contains("Policy name: out/1, Timeout: "),
        "{sessions}"
    );
    assert!(sessions.contains("  In: 10.91.1.2/"), "{sessions}");
    assert!(sessions.contains("--> 10.91.2.2/"), "{sessions}");
    assert!(
        sessions.contains(";icmp, Conn Tag: 0x0, If: ge-0/0/0.0"),
        "{sessions}"
    );
    let extensive = t.cli("show security flow session protocol icmp extensive");
    assert!(
        extensive.contains("From zone: trust, To zone: untrust"),
        "{extensive}"
    );

    // Screens are the pipeline's alone: refused on this dataplane.
    let out = t.cli(
        "configure; set security screen ids-option untrust-screen tcp land; \
         set security zones security-zone untrust screen untrust-screen; commit",
    );
    assert!(
        out.contains("the eBPF dataplane cannot run this configuration"),
        "{out}"
    );
    assert!(!out.contains("commit complete"), "{out}");
    assert!(
        t.ping("c", "10.91.2.2", 2) >= 1,
        "the refused commit left forwarding alone\n{}",
        t.log()
    );
}
