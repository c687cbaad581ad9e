// SPDX-License-Identifier: Apache-2.0
//! Stage 2, screen: the ingress zone's `ids-option` checks. The header
//! checks are stateless; `ip spoofing` asks the FIB for the route back
//! ([`spoof`]); the rate-based ones keep bounded per-worker state: the
//! SYN-flood rate per zone, packet rates per destination and SYN rates per
//! source and destination ([`flood`]), and probe windows per source
//! ([`scan`]).

mod flood;
mod scan;
mod spoof;

pub(crate) use spoof::spoofed;

use super::parse::{Frag, Packet};
use crate::bounded::Table;
use crate::parse::ipv4::{OPT_RECORD_ROUTE, OPT_SECURITY, OPT_TIMESTAMP};
use crate::parse::tcp::{ACK, FIN, RST, SYN, URG};
use crate::snapshot::screen::ScreenProfile;
use crate::verdict::DropReason;
use flood::{Flood, FloodKey, Rate, FLOOD_ENTRIES};
use scan::{Probe, ScanKey, Window, SCAN_ENTRIES};

/// Per-zone screen state of one worker.
#[derive(Debug, Clone)]
pub(crate) struct ScreenState {
    /// `(second, SYNs seen in it)` per zone.
    syn: Vec<(u64, u32)>,
    /// ICMP, UDP and SYN packets per address this second.
    floods: Table<FloodKey, Rate>,
    /// Hosts each source probed in its window (the sweeps).
    sweeps: Table<ScanKey, Window<u128>>,
    /// Ports each source probed on one destination (the port scans).
    scans: Table<ScanKey, Window<u16>>,
    /// Attacks counted but passed (`alarm-without-drop`).
    pub alarms: u64,
}

impl Default for ScreenState {
    /// Tables start at one set each: a worker whose zones screen no rates
    /// pays nothing for them ([`ScreenState::prepare`] sizes them).
    fn default() -> ScreenState {
        ScreenState {
            syn: Vec::new(),
            floods: Table::with_capacity(0),
            sweeps: Table::with_capacity(0),
            scans: Table::with_capacity(0),
            alarms: 0,
        }
    }
}

impl ScreenState {
    /// Sizes the state for a snapshot's zones and profiles (allocates
    /// once, on the first snapshot that needs a table).
    pub(crate) fn prepare<'a>(
        &mut self,
        zones: usize,
        profiles: impl Iterator<Item = &'a ScreenProfile>,
    ) {
        self.syn.resize(zones, (0, 0));
        let (mut floods, mut scans) = (false, false);
        for p in profiles {
            floods |= p.has_floods();
            scans |= p.has_scans();
        }
        if floods && self.floods.capacity() < FLOOD_ENTRIES {
            self.floods = Table::with_capacity(FLOOD_ENTRIES);
        }
        if scans && self.sweeps.capacity() < SCAN_ENTRIES {
            self.sweeps = Table::with_capacity(SCAN_ENTRIES);
            self.scans = Table::with_capacity(SCAN_ENTRIES);
        }
    }

    /// Entries the bounded tables gave up for newer keys.
    pub(crate) fn evictions(&self) -> u64 {
        self.floods.evictions + self.sweeps.evictions + self.scans.evictions
    }
}

/// What a screen found in a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    /// An attack: dropped, or counted as an alarm with
    /// `alarm-without-drop`.
    Drop(DropReason),
    /// Counted as an alarm and passed whatever the profile says
    /// (`syn-flood alarm-threshold`).
    Alarm,
}

/// The first check the packet fails, if any.
fn check(p: &ScreenProfile, pkt: &Packet) -> Option<DropReason> {
    if p.source_route && pkt.source_route {
        return Some(DropReason::ScreenSourceRoute);
    }
    let options = p.ip_options & pkt.ip_options;
    if options != 0 {
        return Some(if options & OPT_RECORD_ROUTE != 0 {
            DropReason::ScreenRecordRoute
        } else if options & OPT_TIMESTAMP != 0 {
            DropReason::ScreenTimestamp
        } else if options & OPT_SECURITY != 0 {
            DropReason::ScreenSecurityOption
        } else {
            DropReason::ScreenStreamOption
        });
    }
    // Junos: numbers above 137 were unassigned when the screen was made.
    if p.unknown_protocol && pkt.proto > 137 {
        return Some(DropReason::ScreenUnknownProtocol);
    }
    if p.block_frag && pkt.frag != Frag::None {
        return Some(DropReason::ScreenBlockFrag);
    }
    if p.tear_drop && pkt.frag != Frag::None && pkt.frag_offset != 0 && pkt.end <= pkt.l4 {
        // A later fragment without payload overlaps nothing useful: the
        // shape tear-drop tools send. Overlap tracking needs reassembly
        // state this stage does not keep.
        return Some(DropReason::ScreenTearDrop);
    }
    let icmp = matches!(pkt.proto, 1 | 58);
    if p.icmp_fragment && icmp && pkt.frag != Frag::None {
        return Some(DropReason::ScreenIcmpFragment);
    }
    if p.icmp_large && icmp && pkt.end - pkt.l3 > 1024 {
        return Some(DropReason::ScreenIcmpLarge);
    }
    if p.ping_death && icmp && pkt.frag != Frag::None {
        // The reassembled datagram would exceed 65535 bytes.
        let ip_payload = pkt.end - pkt.l4;
        if pkt.frag_offset + ip_payload + (pkt.l4 - pkt.l3) > 65535 {
            return Some(DropReason::ScreenPingDeath);
        }
    }
    let t = pkt.tcp?;
    let f = t.flags;
    // Only a first fragment carries the TCP header.
    if p.syn_frag && f & SYN != 0 && pkt.frag == Frag::First {
        return Some(DropReason::ScreenSynFrag);
    }
    if p.land && f & SYN != 0 && pkt.src == pkt.dst {
        return Some(DropReason::ScreenLand);
    }
    if p.syn_fin && f & (SYN | FIN) == SYN | FIN {
        return Some(DropReason::ScreenSynFin);
    }
    if p.tcp_no_flag && f & (SYN | FIN | RST | ACK | URG | 0x08) == 0 {
        return Some(DropReason::ScreenTcpNoFlag);
    }
    if p.fin_no_ack && f & (FIN | ACK) == FIN {
        return Some(DropReason::ScreenFinNoAck);
    }
    if p.winnuke && f & URG != 0 && pkt.dport == 139 {
        return Some(DropReason::ScreenWinnuke);
    }
    None
}

/// The rate-based check the packet fails, if any. Every check counts the
/// packet, even when an earlier one has already flagged it, so the rates
/// stay true. The SYN alarm is the last resort: a packet some check drops
/// is that drop, not an alarm as well.
fn rates(
    p: &ScreenProfile,
    state: &mut ScreenState,
    zone: u16,
    pkt: &Packet,
    now: u64,
) -> Option<Hit> {
    let mut hit = None;
    let mut alarm = false;
    let mut flag = |r: DropReason| {
        hit.get_or_insert(r);
    };
    let syn = pkt.tcp.is_some_and(|t| t.flags & (SYN | ACK) == SYN);
    if let (Some(limit), true) = (p.syn_flood, syn) {
        if let Some(slot) = state.syn.get_mut(usize::from(zone)) {
            let second = now / 1_000_000_000;
            if slot.0 != second {
                *slot = (second, 0);
            }
            slot.1 += 1;
            if slot.1 > limit {
                flag(DropReason::ScreenSynFlood);
            }
        }
    }
    if syn {
        if let Some(limit) = p.syn_source {
            let key = FloodKey {
                zone,
                flood: Flood::SynSource,
                v6: pkt.v6,
                addr: pkt.src,
            };
            if flood::over(&mut state.floods, key, now, limit) {
                flag(DropReason::ScreenSynFloodSource);
            }
        }
        // One count per destination serves its threshold and the alarm.
        if p.syn_destination.is_some() || p.syn_alarm.is_some() {
            let key = FloodKey {
                zone,
                flood: Flood::SynDestination,
                v6: pkt.v6,
                addr: pkt.dst,
            };
            let n = flood::count(&mut state.floods, key, now);
            if p.syn_destination.is_some_and(|l| n > l) {
                flag(DropReason::ScreenSynFloodDestination);
            }
            alarm = p.syn_alarm.is_some_and(|l| n > l);
        }
    }
    let flood = match pkt.proto {
        1 | 58 => p
            .icmp_flood
            .map(|l| (Flood::Icmp, l, DropReason::ScreenIcmpFlood)),
        17 => p
            .udp_flood
            .map(|l| (Flood::Udp, l, DropReason::ScreenUdpFlood)),
        _ => None,
    };
    if let Some((kind, limit, reason)) = flood {
        let key = FloodKey {
            zone,
            flood: kind,
            v6: pkt.v6,
            addr: pkt.dst,
        };
        if flood::over(&mut state.floods, key, now, limit) {
            flag(reason);
        }
    }
    // Segments without ACK or RST open (or probe) a port: SYN, FIN, NULL
    // and Xmas scans. Answers and established traffic carry ACK, so a busy
    // server's replies never look like a scan. Every UDP datagram is a
    // probe, as on Junos.
    let tcp_probe = pkt.tcp.is_some_and(|t| t.flags & (ACK | RST) == 0);
    let sweep = match pkt.proto {
        // Echo requests probe a host; any ICMP of a sweeper is dropped.
        1 | 58 => p.ip_sweep.map(|len| {
            let echo = pkt.icmp.is_some_and(|i| matches!(i.ty, 8 | 128) && i.echo);
            (Probe::IcmpSweep, len, echo, DropReason::ScreenIpSweep)
        }),
        6 => p
            .tcp_sweep
            .map(|len| (Probe::TcpSweep, len, tcp_probe, DropReason::ScreenTcpSweep)),
        17 => p
            .udp_sweep
            .map(|len| (Probe::UdpSweep, len, true, DropReason::ScreenUdpSweep)),
        _ => None,
    };
    if let Some((probe, len, is_probe, reason)) = sweep {
        let key = ScanKey {
            probe,
            zone,
            v6: pkt.v6,
            src: pkt.src,
            dst: 0,
        };
        let attack = if is_probe {
            scan::probe(&mut state.sweeps, key, pkt.dst, now, len)
        } else {
            scan::blocked(&mut state.sweeps, &key, now)
        };
        if attack {
            flag(reason);
        }
    }
    let port_scan = match pkt.proto {
        6 => p
            .port_scan
            .map(|len| (Probe::TcpScan, len, tcp_probe, DropReason::ScreenPortScan)),
        17 => p
            .udp_port_scan
            .map(|len| (Probe::UdpScan, len, true, DropReason::ScreenUdpPortScan)),
        _ => None,
    };
    if let Some((probe, len, is_probe, reason)) = port_scan {
        let key = ScanKey {
            probe,
            zone,
            v6: pkt.v6,
            src: pkt.src,
            dst: pkt.dst,
        };
        let attack = if is_probe {
            scan::probe(&mut state.scans, key, pkt.dport, now, len)
        } else {
            scan::blocked(&mut state.scans, &key, now)
        };
        if attack {
            flag(reason);
        }
    }
    hit.map(Hit::Drop).or(alarm.then_some(Hit::Alarm))
}

/// Runs the zone's screen; `Err` drops the packet. `spoofed` is the
/// reverse-path check ([`spoofed`]), asked only of a profile with
/// `ip spoofing` and a packet that passed the header checks: it costs a
/// route lookup. A spoofed packet is not counted in the rates.
pub(crate) fn run(
    profile: &ScreenProfile,
    state: &mut ScreenState,
    zone: u16,
    pkt: &Packet,
    now: u64,
    spoofed: impl FnOnce() -> bool,
) -> Result<(), DropReason> {
    let hit = check(profile, pkt)
        .or_else(|| (profile.spoofing && spoofed()).then_some(DropReason::ScreenIpSpoofing))
        .map(Hit::Drop)
        .or_else(|| rates(profile, state, zone, pkt, now));
    match hit {
        Some(Hit::Alarm) => {
            state.alarms += 1;
            Ok(())
        }
        Some(Hit::Drop(_)) if profile.alarm_only => {
            state.alarms += 1;
            Ok(())
        }
        Some(Hit::Drop(r)) => Err(r),
        None => Ok(()),
    }
}

/// `limit-session`: whether a new session from `src` to `dst` may be
/// made, given how many each address already has. `Err` refuses it;
/// `alarm-without-drop` counts and admits.
pub(crate) fn admit_session(
    profile: &ScreenProfile,
    state: &mut ScreenState,
    (src_sessions, dst_sessions): (u32, u32),
) -> Result<(), DropReason> {
    let hit = if profile.limit_source.is_some_and(|l| src_sessions >= l) {
        Some(DropReason::ScreenLimitSessionSource)
    } else if profile.limit_destination.is_some_and(|l| dst_sessions >= l) {
        Some(DropReason::ScreenLimitSessionDestination)
    } else {
        None
    };
    match hit {
        Some(_) if profile.alarm_only => {
            state.alarms += 1;
            Ok(())
        }
        Some(r) => Err(r),
        None => Ok(()),
    }
}
