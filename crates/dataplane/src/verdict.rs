// SPDX-License-Identifier: Apache-2.0
//! What the pipeline decides for a packet, and why it drops one.

use std::net::IpAddr;

/// The pipeline's decision for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send the (rewritten) frame out of `egress_ifindex`; the driver
    /// resolves `next_hop`'s link-layer address through the kernel.
    Forward {
        /// Kernel ifindex to transmit on.
        egress_ifindex: u32,
        /// The neighbour to send to (the destination itself when connected).
        next_hop: IpAddr,
    },
    /// Hand the frame to the kernel unchanged (host-inbound, ARP, non-IP).
    ToKernel,
    /// Drop the frame; the reason has been counted.
    Drop(DropReason),
    /// The buffer now holds a reply of this many bytes (TCP RST, ICMP
    /// unreachable or time-exceeded) to send back out of the ingress.
    Reply(usize),
}

macro_rules! drop_reasons {
    ($($(#[$doc:meta])* $name:ident = $num:literal, $text:literal;)*) => {
        /// Why a packet was dropped. The numbers are stable: counters,
        /// metrics and the eBPF fallback name drops by them; retire a
        /// number rather than reuse it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u16)]
        #[non_exhaustive]
        pub enum DropReason {
            $($(#[$doc])* $name = $num,)*
        }

        impl DropReason {
            /// Every reason, in number order.
            pub const ALL: &'static [DropReason] = &[$(DropReason::$name,)*];

            /// A short kebab-case name for counters and metrics.
            pub fn name(self) -> &'static str {
                match self {
                    $(DropReason::$name => $text,)*
                }
            }
        }
    };
}

drop_reasons! {
    /// A header is truncated or inconsistent.
    Malformed = 1, "malformed";
    /// The ingress interface is in no zone.
    NoZone = 2, "no-zone";
    /// Addressed to the box, and the zone/interface does not accept it.
    HostInboundDenied = 3, "host-inbound-denied";
    /// No route to the destination, or the route leads to no zone.
    NoRoute = 4, "no-route";
    // The screen decade (10-19) was nearly full; the rate-based screens
    // take 5-8 rather than push past 55, where eBPF-only reasons start.
    /// Screen `icmp flood`: above the packets per second to one destination.
    ScreenIcmpFlood = 5, "screen-icmp-flood";
    /// Screen `udp flood`: above the packets per second to one destination.
    ScreenUdpFlood = 6, "screen-udp-flood";
    /// Screen `icmp ip-sweep`: a source pinged too many hosts in the window.
    ScreenIpSweep = 7, "screen-ip-sweep";
    /// Screen `tcp port-scan`: a source probed too many ports in the window.
    ScreenPortScan = 8, "screen-port-scan";
    /// Screen `tcp syn-frag`: a first fragment carrying a SYN.
    ScreenSynFrag = 9, "screen-syn-frag";
    /// Screen `tcp land`.
    ScreenLand = 10, "screen-land";
    /// Screen `tcp syn-fin`.
    ScreenSynFin = 11, "screen-syn-fin";
    /// Screen `tcp tcp-no-flag`.
    ScreenTcpNoFlag = 12, "screen-tcp-no-flag";
    /// Screen `tcp fin-no-ack`.
    ScreenFinNoAck = 13, "screen-fin-no-ack";
    /// Screen `tcp winnuke`.
    ScreenWinnuke = 14, "screen-winnuke";
    /// Screen `icmp ping-death`.
    ScreenPingDeath = 15, "screen-ping-death";
    /// Screen `ip tear-drop`.
    ScreenTearDrop = 16, "screen-tear-drop";
    /// Screen `ip source-route-option` (and loose/strict).
    ScreenSourceRoute = 17, "screen-source-route";
    /// Screen `tcp syn-flood`: above the attack threshold.
    ScreenSynFlood = 18, "screen-syn-flood";
    /// Screen `ip block-frag`: any fragment.
    ScreenBlockFrag = 19, "screen-block-frag";
    /// A policy denied the session.
    PolicyDeny = 20, "policy-deny";
    /// A policy rejected the session and no reply fitted the buffer.
    PolicyReject = 21, "policy-reject";
    /// No policy matched and the default policy is deny-all.
    DefaultDeny = 22, "default-deny";
    /// Screen `ip record-route-option`.
    ScreenRecordRoute = 23, "screen-record-route";
    /// Screen `ip timestamp-option`.
    ScreenTimestamp = 24, "screen-timestamp";
    /// Screen `ip security-option`.
    ScreenSecurityOption = 25, "screen-security-option";
    /// Screen `ip stream-option`.
    ScreenStreamOption = 26, "screen-stream-option";
    /// Screen `ip unknown-protocol`: a protocol number above 137.
    ScreenUnknownProtocol = 27, "screen-unknown-protocol";
    /// Screen `icmp large`: an ICMP packet above 1024 bytes.
    ScreenIcmpLarge = 28, "screen-icmp-large";
    /// Screen `icmp fragment`: a fragmented ICMP packet.
    ScreenIcmpFragment = 29, "screen-icmp-fragment";
    /// A TCP packet other than a SYN without a session.
    TcpNotSyn = 30, "tcp-not-syn";
    /// A TCP packet (or RST) outside the receiver's window.
    TcpOutOfWindow = 31, "tcp-out-of-window";
    /// A TCP flag combination no state accepts.
    TcpInvalid = 32, "tcp-invalid";
    /// Screen `ip spoofing`: the source is not reachable back through the
    /// ingress interface (or has no route, or is no host's address).
    ScreenIpSpoofing = 33, "screen-ip-spoofing";
    /// Screen `tcp syn-flood source-threshold`: above the SYNs per second
    /// from one source.
    ScreenSynFloodSource = 34, "screen-syn-flood-source";
    /// Screen `tcp syn-flood destination-threshold`: above the SYNs per
    /// second to one destination.
    ScreenSynFloodDestination = 35, "screen-syn-flood-destination";
    /// A first UDP packet to port 53 that is a DNS response
    /// (`allow-dns-reply` lets it through).
    DnsReplyNoSession = 39, "dns-reply-no-session";
    /// The session table is full and nothing could be evicted.
    SessionTableFull = 40, "session-table-full";
    /// Source NAT found no free address/port.
    NatExhausted = 41, "nat-exhausted";
    /// Interface source NAT on an egress without an address of the family.
    NatNoAddress = 42, "nat-no-address";
    /// The new session's forward or reverse key belongs to another session.
    SessionKeyTaken = 43, "session-key-taken";
    /// Screen `limit-session source-ip-based`: the source has its sessions.
    ScreenLimitSessionSource = 44, "screen-limit-session-source";
    /// Screen `limit-session destination-ip-based`: the destination has its
    /// sessions.
    ScreenLimitSessionDestination = 45, "screen-limit-session-destination";
    /// Screen `tcp tcp-sweep`: a source sent SYNs to too many hosts in the
    /// window.
    ScreenTcpSweep = 46, "screen-tcp-sweep";
    /// Screen `udp udp-sweep`: a source sent to too many hosts in the window.
    ScreenUdpSweep = 47, "screen-udp-sweep";
    /// Screen `udp port-scan`: a source sent to too many ports of one
    /// destination in the window.
    ScreenUdpPortScan = 48, "screen-udp-port-scan";
    /// An ICMP error whose embedded packet belongs to no session.
    IcmpErrorNoSession = 50, "icmp-error-no-session";
    /// A non-first fragment: no ports to find a session by.
    NonFirstFragment = 51, "non-first-fragment";
    /// TTL or hop limit expired and no time-exceeded fitted the buffer.
    TtlExpired = 52, "ttl-expired";
    /// An ICMP error that would need an ICMP error in reply.
    IcmpErrorForError = 53, "icmp-error-for-error";
}

impl DropReason {
    /// Size of an array indexed by reason number (numbers stay below it).
    pub const SLOTS: usize = 64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_and_unique() {
        let nums: Vec<u16> = DropReason::ALL.iter().map(|r| *r as u16).collect();
        let mut sorted = nums.clone();
        sorted.dedup();
        assert_eq!(nums, sorted, "ALL is in number order without repeats");
        assert_eq!(DropReason::Malformed as u16, 1);
        assert_eq!(DropReason::SessionTableFull as u16, 40);
        assert_eq!(DropReason::PolicyDeny.name(), "policy-deny");
        assert!(DropReason::ALL
            .iter()
            .all(|r| (*r as usize) < DropReason::SLOTS));
    }
}
