// SPDX-License-Identifier: Apache-2.0
//! The screen checks the pipeline implements, compiled from an
//! `ids-option` profile.

/// One zone's screen profile, reduced to the supported checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScreenProfile {
    pub land: bool,
    pub syn_fin: bool,
    pub tcp_no_flag: bool,
    pub fin_no_ack: bool,
    pub winnuke: bool,
    pub ping_death: bool,
    pub tear_drop: bool,
    pub source_route: bool,
    /// SYNs per second accepted into the zone before dropping.
    pub syn_flood: Option<u32>,
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
            source_route: s.ip.source_route_option
                || s.ip.loose_source_route_option
                || s.ip.strict_source_route_option,
            syn_flood: s.tcp.syn_flood.as_ref().map(|f| f.attack_threshold),
            alarm_only: s.alarm_without_drop,
        }
    }
}
