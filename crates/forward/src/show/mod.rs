// SPDX-License-Identifier: Apache-2.0
//! Junos text layouts of the live tables: `show security flow session`
//! (and `summary`, `extensive`), `show security policies hit-count`, and
//! the NAT views ([`nat`]). Pure functions, so the layouts are tested
//! without a dataplane.

pub mod nat;

use std::fmt::Write;

use xpf_dataplane::{Counters, PolicyRef};

use xpf_dataplane::{SessionView, Wing};

/// A protocol's name as Junos prints it.
pub fn proto_name(p: u8) -> String {
    match p {
        1 => "icmp".into(),
        6 => "tcp".into(),
        17 => "udp".into(),
        58 => "icmp6".into(),
        n => n.to_string(),
    }
}

fn wing(out: &mut String, label: &str, w: &Wing, proto: u8, ifname: &dyn Fn(u32) -> String) {
    let _ = writeln!(
        out,
        "  {label}: {}/{} --> {}/{};{}, Conn Tag: 0x0, If: {}, Pkts: {}, Bytes: {}, ",
        w.src.0,
        w.src.1,
        w.dst.0,
        w.dst.1,
        proto_name(proto),
        ifname(w.ifindex),
        w.packets,
        w.bytes
    );
}

/// `show security flow session`; `ifname` names a kernel ifindex.
pub fn sessions(list: &[SessionView], ifname: &dyn Fn(u32) -> String) -> String {
    let mut out = String::new();
    for s in list {
        let index = s.policy_id.map_or(0, |i| i + 1);
        let _ = writeln!(
            out,
            "Session ID: {}, Policy name: {}/{}, Timeout: {}, Valid",
            s.id, s.policy, index, s.remaining_s
        );
        wing(&mut out, "In", &s.inbound, s.proto, ifname);
        wing(&mut out, "Out", &s.outbound, s.proto, ifname);
        out.push('\n');
    }
    let _ = writeln!(out, "Total sessions: {}", list.len());
    out
}

/// `show security flow session extensive`: the fields xpf keeps of each
/// session, in Junos' order.
pub fn extensive(list: &[SessionView], ifname: &dyn Fn(u32) -> String) -> String {
    let mut out = String::new();
    for s in list {
        let index = s.policy_id.map_or(0, |i| i + 1);
        let _ = writeln!(out, "Session ID: {}, Status: Normal", s.id);
        let _ = writeln!(out, "Policy name: {}/{}", s.policy, index);
        let _ = writeln!(out, "From zone: {}, To zone: {}", s.zones.0, s.zones.1);
        let _ = writeln!(
            out,
            "Source NAT rule: {}, Destination NAT rule: {}, Application: {}",
            s.source_nat_rule.as_deref().unwrap_or("Null"),
            s.destination_nat_rule.as_deref().unwrap_or("Null"),
            s.application
        );
        let _ = writeln!(
            out,
            "Maximum timeout: {}, Current timeout: {}",
            s.timeout_s, s.remaining_s
        );
        let _ = writeln!(out, "Session State: Valid");
        let _ = writeln!(out, "Duration: {}", s.age_s);
        for (label, w) in [("In", &s.inbound), ("Out", &s.outbound)] {
            let _ = writeln!(
                out,
                "   {label}: {}/{} --> {}/{};{},",
                w.src.0,
                w.src.1,
                w.dst.0,
                w.dst.1,
                proto_name(s.proto)
            );
            let _ = writeln!(out, " Conn Tag: 0x0, Interface: {},", ifname(w.ifindex));
            let _ = writeln!(out, "    Pkts: {}, Bytes: {}", w.packets, w.bytes);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Total sessions: {}", list.len());
    out
}

/// `show security flow session summary`.
pub fn summary(list: &[SessionView], maximum: usize) -> String {
    let n = list.len();
    format!(
        "Unicast-sessions: {n}\nMulticast-sessions: 0\nServices-offload-sessions: 0\n\
         Failed-sessions: 0\nSessions-in-use: {n}\n  Valid sessions: {n}\n  Pending sessions: 0\n\
         \x20 Invalidated sessions: 0\n  Sessions in other states: 0\nMaximum-sessions: {maximum}\n"
    )
}

/// `show security policies hit-count`: `policies` of the running
/// snapshot, `counters` summed over the workers.
pub fn hit_count(policies: &[PolicyRef], counters: &Counters) -> String {
    let mut out = String::from(
        "Logical system: root-logical-system\n Index   From zone        To zone           Name           Policy count\n",
    );
    for (i, p) in policies.iter().enumerate() {
        let zone = |z: &str| {
            if z == "global" {
                "junos-global".to_string()
            } else {
                z.to_string()
            }
        };
        let hits = counters.policy_hits.get(i).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            " {:<7} {:<16} {:<17} {:<14} {}",
            i + 1,
            zone(&p.from_zone),
            zone(&p.to_zone),
            p.name,
            hits
        );
    }
    let _ = writeln!(out, "\nNumber of policy: {}", policies.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_layout() {
        let s = SessionView {
            id: 7,
            worker: 0,
            policy: "p1".into(),
            policy_id: Some(3),
            timeout_s: 1800,
            remaining_s: 1800,
            proto: 6,
            application: "junos-http".into(),
            zones: ("trust".into(), "untrust".into()),
            inbound: Wing {
                src: ("10.0.1.2".parse().unwrap(), 40000),
                dst: ("10.0.2.2".parse().unwrap(), 80),
                ifindex: 2,
                packets: 3,
                bytes: 180,
            },
            outbound: Wing {
                src: ("10.0.2.2".parse().unwrap(), 80),
                dst: ("10.0.2.1".parse().unwrap(), 40000),
                ifindex: 3,
                packets: 2,
                bytes: 120,
            },
            age_s: 6,
            source_nat_rule: Some("masquerade".into()),
            destination_nat_rule: None,
        };
        let name = |i: u32| format!("ge-0/0/{}.0", i - 2);
        let long = extensive(std::slice::from_ref(&s), &name);
        assert_eq!(
            long,
            "Session ID: 7, Status: Normal\n\
             Policy name: p1/4\n\
             From zone: trust, To zone: untrust\n\
             Source NAT rule: masquerade, Destination NAT rule: Null, Application: junos-http\n\
             Maximum timeout: 1800, Current timeout: 1800\n\
             Session State: Valid\n\
             Duration: 6\n   \
             In: 10.0.1.2/40000 --> 10.0.2.2/80;tcp,\n \
             Conn Tag: 0x0, Interface: ge-0/0/0.0,\n    \
             Pkts: 3, Bytes: 180\n   \
             Out: 10.0.2.2/80 --> 10.0.2.1/40000;tcp,\n \
             Conn Tag: 0x0, Interface: ge-0/0/1.0,\n    \
             Pkts: 2, Bytes: 120\n\
             \n\
             Total sessions: 1\n"
        );
        let text = sessions(&[s], &name);
        assert!(text.starts_with("Session ID: 7, Policy name: p1/4, Timeout: 1800, Valid\n"));
        assert!(text.contains(
            "  In: 10.0.1.2/40000 --> 10.0.2.2/80;tcp, Conn Tag: 0x0, If: ge-0/0/0.0, Pkts: 3, Bytes: 180, \n"
        ));
        assert!(text
            .contains("  Out: 10.0.2.2/80 --> 10.0.2.1/40000;tcp, Conn Tag: 0x0, If: ge-0/0/1.0"));
        assert!(text.ends_with("Total sessions: 1\n"));
        assert!(summary(&[], 10).starts_with("Unicast-sessions: 0\n"));
    }
}
