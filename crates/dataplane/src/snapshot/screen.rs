// SPDX-License-Identifier: Apache-2.0
//! The screen checks the pipeline implements, compiled from an
//! `ids-option` profile.

use crate::parse::ipv4::{OPT_RECORD_ROUTE, OPT_SECURITY, OPT_STREAM, OPT_TIMESTAMP};

/// Nanoseconds in a microsecond (Junos gives scan windows in µs).
const US: u64 = 1_000;

/// One zone's screen profile, reduced to the supported checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScreenProfile {
    /// `tcp land`: SYNs whose source is their destination.
    pub land: bool,
    /// `tcp syn-fin`.
    pub syn_fin: bool,
    /// `tcp tcp-no-flag`.
    pub tcp_no_flag: bool,
    /// `tcp fin-no-ack`.
    pub fin_no_ack: bool,
    /// `tcp winnuke`.
    pub winnuke: bool,
    /// `icmp ping-death`.
    pub ping_death: bool,
    /// `ip tear-drop`.
    pub tear_drop: bool,
    /// `ip block-frag`.
    pub block_frag: bool,
    /// `ip source-route-option` (or loose/strict).
    pub source_route: bool,
    /// `ip record-route-option`, `timestamp-option`, `security-option`,
    /// `stream-option`: the IPv4 options dropped (`ipv4::OPT_*` bits).
    pub ip_options: u8,
    /// `ip unknown-protocol`: protocol numbers above 137.
    pub unknown_protocol: bool,
    /// `icmp large`: ICMP packets whose IP length is above 1024 bytes.
    pub icmp_large: bool,
    /// `icmp fragment`: fragmented ICMP.
    pub icmp_fragment: bool,
    /// `tcp syn-frag`: a first fragment carrying a SYN.
    pub syn_frag: bool,
    /// `ip spoofing`: sources not reachable back through the ingress.
    pub spoofing: bool,
    /// SYNs per second accepted into the zone before dropping
    /// (`syn-flood attack-threshold`).
    pub syn_flood: Option<u32>,
    /// SYNs per second from one source before dropping
    /// (`syn-flood source-threshold`).
    pub syn_source: Option<u32>,
    /// SYNs per second to one destination before dropping
    /// (`syn-flood destination-threshold`).
    pub syn_destination: Option<u32>,
    /// SYNs per second to one destination above which each is counted as
    /// an alarm and passed (`syn-flood alarm-threshold`).
    pub syn_alarm: Option<u32>,
    /// ICMP packets per second to one destination before dropping.
    pub icmp_flood: Option<u32>,
    /// UDP packets per second to one destination before dropping.
    pub udp_flood: Option<u32>,
    /// Window (ns) in which one source may ping 10 distinct hosts.
    pub ip_sweep: Option<u64>,
    /// Window (ns) in which one source may probe 10 distinct ports of one
    /// destination.
    pub port_scan: Option<u64>,
    /// Window (ns) in which one source may send SYNs to 10 distinct hosts.
    pub tcp_sweep: Option<u64>,
    /// Window (ns) in which one source may send UDP to 10 distinct hosts.
    pub udp_sweep: Option<u64>,
    /// Window (ns) in which one source may send UDP to 10 distinct ports
    /// of one destination.
    pub udp_port_scan: Option<u64>,
    /// Concurrent sessions one source address may have through the zone.
    pub limit_source: Option<u32>,
    /// Concurrent sessions one destination address may have through it.
    pub limit_destination: Option<u32>,
    /// Count attacks but let the packets through.
    pub alarm_only: bool,
}

impl ScreenProfile {
    pub(crate) fn compile(s: &xpf_model::Screen) -> ScreenProfile {
        ScreenProfile {
            land: s.tcp.land,
            syn_fin: s.tcp.syn_fin,
            tcp_no_flag: s.tcp.tcp_no_flag,
            fin_no_ack: s.tcp.fin_no_ack,
            winnuke: s.tcp.winnuke,
            ping_death: s.icmp.ping_death,
            tear_drop: s.ip.tear_drop,
            block_frag: s.ip.block_frag,
            source_route: s.ip.source_route_option
                || s.ip.loose_source_route_option
                || s.ip.strict_source_route_option,
            ip_options: [
                (s.ip.record_route_option, OPT_RECORD_ROUTE),
                (s.ip.timestamp_option, OPT_TIMESTAMP),
                (s.ip.security_option, OPT_SECURITY),
                (s.ip.stream_option, OPT_STREAM),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .fold(0, |m, (_, bit)| m | bit),
            unknown_protocol: s.ip.unknown_protocol,
            icmp_large: s.icmp.large,
            icmp_fragment: s.icmp.fragment,
            syn_frag: s.tcp.syn_frag,
            spoofing: s.ip.spoofing,
            // The model has filled Junos' defaults: a `syn-flood` present
            // turns on all four thresholds.
            syn_flood: s.tcp.syn_flood.as_ref().map(|f| f.attack_threshold),
            syn_source: s.tcp.syn_flood.as_ref().map(|f| f.source_threshold),
            syn_destination: s.tcp.syn_flood.as_ref().map(|f| f.destination_threshold),
            syn_alarm: s.tcp.syn_flood.as_ref().map(|f| f.alarm_threshold),
            icmp_flood: s.icmp.flood,
            udp_flood: s.udp.flood,
            ip_sweep: s.icmp.ip_sweep.map(|t| u64::from(t) * US),
            port_scan: s.tcp.port_scan.map(|t| u64::from(t) * US),
            tcp_sweep: s.tcp.tcp_sweep.map(|t| u64::from(t) * US),
            udp_sweep: s.udp.udp_sweep.map(|t| u64::from(t) * US),
            udp_port_scan: s.udp.port_scan.map(|t| u64::from(t) * US),
            limit_source: s.limit_session.source_ip_based,
            limit_destination: s.limit_session.destination_ip_based,
            alarm_only: s.alarm_without_drop,
        }
    }

    /// Whether the profile needs per-address packet rates.
    pub(crate) fn has_floods(&self) -> bool {
        self.icmp_flood.is_some()
            || self.udp_flood.is_some()
            || self.syn_source.is_some()
            || self.syn_destination.is_some()
            || self.syn_alarm.is_some()
    }

    /// Whether the profile needs per-source probe windows.
    pub(crate) fn has_scans(&self) -> bool {
        self.ip_sweep.is_some()
            || self.port_scan.is_some()
            || self.tcp_sweep.is_some()
            || self.udp_sweep.is_some()
            || self.udp_port_scan.is_some()
    }

    /// Whether the profile limits sessions per address.
    pub(crate) fn has_session_limits(&self) -> bool {
        self.limit_source.is_some() || self.limit_destination.is_some()
    }
}
