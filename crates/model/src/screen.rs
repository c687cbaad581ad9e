// SPDX-License-Identifier: Apache-2.0
//! `security screen ids-option`: per-zone attack detection profiles.
//!
//! A flood or scan check written without `threshold` gets Junos' default
//! threshold, so a present check always has a number.

use xpf_config::Statement;

use crate::check::{Checks, Path};
use crate::read::{child, flag, kids, number_of};
use crate::Model;

/// One `ids-option` profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Screen {
    /// Profile name (what zones name in `screen`).
    pub name: String,
    /// `alarm-without-drop`: report attacks but pass the packets.
    pub alarm_without_drop: bool,
    /// `icmp` checks.
    pub icmp: IcmpScreen,
    /// `ip` checks.
    pub ip: IpScreen,
    /// `tcp` checks.
    pub tcp: TcpScreen,
    /// `udp` checks.
    pub udp: UdpScreen,
    /// `limit-session`.
    pub limit_session: LimitSession,
}

/// `icmp` screen checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IcmpScreen {
    /// `ping-death`: oversized ICMP packets.
    pub ping_death: bool,
    /// `fragment`: fragmented ICMP.
    pub fragment: bool,
    /// `large`: ICMP packets above 1024 bytes.
    pub large: bool,
    /// `flood threshold`: ICMP packets per second to one destination.
    pub flood: Option<u32>,
    /// `ip-sweep threshold`: the window (microseconds) in which one source
    /// may send echo requests to at most 10 distinct hosts.
    pub ip_sweep: Option<u32>,
}

/// `ip` screen checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpScreen {
    /// `source-route-option`.
    pub source_route_option: bool,
    /// `loose-source-route-option`.
    pub loose_source_route_option: bool,
    /// `strict-source-route-option`.
    pub strict_source_route_option: bool,
    /// `tear-drop`: overlapping fragments.
    pub tear_drop: bool,
    /// `spoofing`: source not reachable through the ingress interface.
    pub spoofing: bool,
    /// `unknown-protocol`: protocol numbers above 137.
    pub unknown_protocol: bool,
    /// `bad-option`: malformed IP options.
    pub bad_option: bool,
    /// `record-route-option`.
    pub record_route_option: bool,
    /// `timestamp-option`.
    pub timestamp_option: bool,
    /// `security-option`.
    pub security_option: bool,
    /// `stream-option`.
    pub stream_option: bool,
    /// `block-frag`: every fragment.
    pub block_frag: bool,
}

/// `tcp` screen checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TcpScreen {
    /// `land`: source equals destination.
    pub land: bool,
    /// `syn-fin`: SYN and FIN together.
    pub syn_fin: bool,
    /// `tcp-no-flag`: no flags at all.
    pub tcp_no_flag: bool,
    /// `fin-no-ack`: FIN without ACK.
    pub fin_no_ack: bool,
    /// `winnuke`: URG to port 139.
    pub winnuke: bool,
    /// `syn-frag`: fragmented SYN.
    pub syn_frag: bool,
    /// `port-scan threshold`: the window (microseconds) in which one source
    /// may probe at most 10 distinct ports of one destination.
    pub port_scan: Option<u32>,
    /// `tcp-sweep threshold`: the window (microseconds) in which one source
    /// may send SYNs to at most 10 distinct hosts.
    pub tcp_sweep: Option<u32>,
    /// `syn-flood`.
    pub syn_flood: Option<SynFlood>,
}

/// `tcp syn-flood` thresholds (Junos defaults filled in).
#[derive(Debug, Clone, PartialEq)]
pub struct SynFlood {
    /// `alarm-threshold`: half-open connections per second before an alarm.
    pub alarm_threshold: u32,
    /// `attack-threshold`: SYNs per second before proxying.
    pub attack_threshold: u32,
    /// `source-threshold`: SYNs per second from one source.
    pub source_threshold: u32,
    /// `destination-threshold`: SYNs per second to one destination.
    pub destination_threshold: u32,
    /// `timeout`: seconds a half-open connection stays queued.
    pub timeout: u32,
}

/// `udp` screen checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UdpScreen {
    /// `flood threshold`: UDP packets per second to one destination.
    pub flood: Option<u32>,
    /// `udp-sweep threshold`: the window (microseconds) in which one source
    /// may send to at most 10 distinct hosts.
    pub udp_sweep: Option<u32>,
    /// `port-scan threshold`: the window (microseconds) in which one source
    /// may send to at most 10 distinct ports of one destination.
    pub port_scan: Option<u32>,
}

/// `limit-session`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LimitSession {
    /// `source-ip-based`: sessions per source address.
    pub source_ip_based: Option<u32>,
    /// `destination-ip-based`: sessions per destination address.
    pub destination_ip_based: Option<u32>,
}

impl Model {
    /// The screen (`ids-option`) profile with this name.
    pub fn screen(&self, name: &str) -> Option<&Screen> {
        self.screens.iter().find(|s| s.name == name)
    }
}

/// Reads `security screen` (`st`).
pub(crate) fn build(st: &Statement, ck: &mut Checks) -> Vec<Screen> {
    let path = Path::of(&["security", "screen"]);
    kids(st, "ids-option")
        .filter_map(|s| Some((s.words.get(1)?.text.clone(), s)))
        .map(|(name, s)| profile(name, s, &path.join(s), ck))
        .collect()
}

/// Present check with a threshold: its `threshold`, or Junos' default.
fn threshold(ck: &mut Checks, path: &Path, st: &Statement, kw: &str, default: u32) -> Option<u32> {
    let c = child(st, kw)?;
    Some(number_of(ck, &path.join(st).join(c), c, "threshold").unwrap_or(default))
}

fn profile(name: String, st: &Statement, path: &Path, ck: &mut Checks) -> Screen {
    let mut s = Screen {
        name,
        alarm_without_drop: flag(st, "alarm-without-drop"),
        ..Screen::default()
    };
    if let Some(icmp) = child(st, "icmp") {
        s.icmp = IcmpScreen {
            ping_death: flag(icmp, "ping-death"),
            fragment: flag(icmp, "fragment"),
            large: flag(icmp, "large"),
            flood: threshold(ck, path, icmp, "flood", 1000),
            ip_sweep: threshold(ck, path, icmp, "ip-sweep", 5000),
        };
    }
    if let Some(ip) = child(st, "ip") {
        s.ip = IpScreen {
            source_route_option: flag(ip, "source-route-option"),
            loose_source_route_option: flag(ip, "loose-source-route-option"),
            strict_source_route_option: flag(ip, "strict-source-route-option"),
            tear_drop: flag(ip, "tear-drop"),
            spoofing: flag(ip, "spoofing"),
            unknown_protocol: flag(ip, "unknown-protocol"),
            bad_option: flag(ip, "bad-option"),
            record_route_option: flag(ip, "record-route-option"),
            timestamp_option: flag(ip, "timestamp-option"),
            security_option: flag(ip, "security-option"),
            stream_option: flag(ip, "stream-option"),
            block_frag: flag(ip, "block-frag"),
        };
    }
    if let Some(tcp) = child(st, "tcp") {
        let p = path.join(tcp);
        s.tcp = TcpScreen {
            land: flag(tcp, "land"),
            syn_fin: flag(tcp, "syn-fin"),
            tcp_no_flag: flag(tcp, "tcp-no-flag"),
            fin_no_ack: flag(tcp, "fin-no-ack"),
            winnuke: flag(tcp, "winnuke"),
            syn_frag: flag(tcp, "syn-frag"),
            port_scan: threshold(ck, path, tcp, "port-scan", 5000),
            tcp_sweep: threshold(ck, path, tcp, "tcp-sweep", 5000),
            syn_flood: child(tcp, "syn-flood").map(|sf| {
                let sp = p.join(sf);
                let mut n = |kw: &str, default: u32| number_of(ck, &sp, sf, kw).unwrap_or(default);
                SynFlood {
                    alarm_threshold: n("alarm-threshold", 512),
                    attack_threshold: n("attack-threshold", 200),
                    source_threshold: n("source-threshold", 4000),
                    destination_threshold: n("destination-threshold", 4000),
                    timeout: n("timeout", 20),
                }
            }),
        };
    }
    if let Some(udp) = child(st, "udp") {
        s.udp = UdpScreen {
            flood: threshold(ck, path, udp, "flood", 1000),
            udp_sweep: threshold(ck, path, udp, "udp-sweep", 5000),
            port_scan: threshold(ck, path, udp, "port-scan", 5000),
        };
    }
    if let Some(ls) = child(st, "limit-session") {
        let p = path.join(ls);
        s.limit_session = LimitSession {
            source_ip_based: number_of(ck, &p, ls, "source-ip-based"),
            destination_ip_based: number_of(ck, &p, ls, "destination-ip-based"),
        };
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    #[test]
    fn screen_profiles_are_typed() {
        let m = build_text(
            r#"security {
                screen {
                    ids-option untrust-screen {
                        icmp { ping-death; flood { threshold 500; } ip-sweep; }
                        ip { source-route-option; tear-drop; }
                        tcp {
                            land; syn-fin; tcp-no-flag; fin-no-ack; winnuke;
                            port-scan { threshold 3000; }
                            syn-flood { alarm-threshold 1024; attack-threshold 300; timeout 10; }
                        }
                        udp { flood { threshold 2000; } }
                        limit-session { source-ip-based 100; destination-ip-based 200; }
                    }
                }
            }"#,
        );
        let s = m.screen("untrust-screen").expect("screen");
        assert!(s.icmp.ping_death);
        assert_eq!(s.icmp.flood, Some(500));
        assert_eq!(s.icmp.ip_sweep, Some(5000));
        assert!(s.ip.source_route_option && s.ip.tear_drop && !s.ip.spoofing);
        assert!(
            s.tcp.land && s.tcp.syn_fin && s.tcp.tcp_no_flag && s.tcp.fin_no_ack && s.tcp.winnuke
        );
        assert_eq!(s.tcp.port_scan, Some(3000));
        assert_eq!(
            s.tcp.syn_flood,
            Some(SynFlood {
                alarm_threshold: 1024,
                attack_threshold: 300,
                source_threshold: 4000,
                destination_threshold: 4000,
                timeout: 10
            })
        );
        assert_eq!(s.udp.flood, Some(2000));
        assert_eq!(s.limit_session.source_ip_based, Some(100));
        assert_eq!(s.limit_session.destination_ip_based, Some(200));
    }

    #[test]
    fn rate_and_scan_defaults_are_junos() {
        let m = build_text(
            r#"security {
                screen {
                    ids-option d {
                        icmp { flood; ip-sweep; }
                        ip { block-frag; }
                        tcp { port-scan; }
                        udp { flood; }
                    }
                }
            }"#,
        );
        let s = m.screen("d").expect("screen");
        assert_eq!((s.icmp.flood, s.icmp.ip_sweep), (Some(1000), Some(5000)));
        assert_eq!((s.tcp.port_scan, s.udp.flood), (Some(5000), Some(1000)));
        assert!(s.ip.block_frag);
        assert_eq!(s.limit_session, LimitSession::default());
    }

    #[test]
    fn a_zone_screen_must_exist() {
        let e = errors_of(
            "interfaces { ge-0/0/0 { unit 0; } }\nsecurity {\n zones {\n  security-zone untrust {\n   screen no-such-screen;\n   interfaces { ge-0/0/0.0; }\n  }\n }\n}\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].path, ["security", "zones", "security-zone untrust"]);
        assert_eq!(e[0].statement.as_deref(), Some("screen no-such-screen"));
        assert_eq!(e[0].message, "screen 'no-such-screen' is not defined");
        assert_eq!(e[0].span.map(|s| s.line), Some(5));
    }
}
