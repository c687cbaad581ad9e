// SPDX-License-Identifier: Apache-2.0
//! Stage 2, screen: the ingress zone's `ids-option` checks, stateless
//! except for the SYN-flood rate (a per-zone, per-second counter).

use super::parse::{Frag, Packet};
use crate::parse::tcp::{ACK, FIN, RST, SYN, URG};
use crate::snapshot::screen::ScreenProfile;
use crate::verdict::DropReason;

/// Per-zone screen state of one worker.
#[derive(Debug, Clone, Default)]
pub(crate) struct ScreenState {
    /// `(second, SYNs seen in it)` per zone.
    syn: Vec<(u64, u32)>,
    /// Attacks counted but passed (`alarm-without-drop`).
    pub alarms: u64,
}

impl ScreenState {
    pub(crate) fn resize(&mut self, zones: usize) {
        self.syn.resize(zones, (0, 0));
    }
}

/// The first check the packet fails, if any.
fn check(p: &ScreenProfile, pkt: &Packet) -> Option<DropReason> {
    if p.source_route && pkt.source_route {
        return Some(DropReason::ScreenSourceRoute);
    }
    if p.tear_drop && pkt.frag != Frag::None && pkt.frag_offset != 0 && pkt.end <= pkt.l4 {
        // A later fragment without payload overlaps nothing useful: the
        // shape tear-drop tools send. Overlap tracking needs reassembly
        // state this stage does not keep.
        return Some(DropReason::ScreenTearDrop);
    }
    if p.ping_death && matches!(pkt.proto, 1 | 58) && pkt.frag != Frag::None {
        // The reassembled datagram would exceed 65535 bytes.
        let ip_payload = pkt.end - pkt.l4;
        if pkt.frag_offset + ip_payload + (pkt.l4 - pkt.l3) > 65535 {
            return Some(DropReason::ScreenPingDeath);
        }
    }
    let t = pkt.tcp?;
    let f = t.flags;
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

/// Runs the zone's screen; `Err` drops the packet.
pub(crate) fn run(
    profile: &ScreenProfile,
    state: &mut ScreenState,
    zone: u16,
    pkt: &Packet,
    now: u64,
) -> Result<(), DropReason> {
    let mut hit = check(profile, pkt);
    if hit.is_none() {
        if let (Some(limit), Some(t)) = (profile.syn_flood, pkt.tcp) {
            if t.flags & (SYN | ACK) == SYN {
                if let Some(slot) = state.syn.get_mut(usize::from(zone)) {
                    let second = now / 1_000_000_000;
                    if slot.0 != second {
                        *slot = (second, 0);
                    }
                    slot.1 += 1;
                    if slot.1 > limit {
                        hit = Some(DropReason::ScreenSynFlood);
                    }
                }
            }
        }
    }
    match hit {
        Some(_) if profile.alarm_only => {
            state.alarms += 1;
            Ok(())
        }
        Some(r) => Err(r),
        None => Ok(()),
    }
}
