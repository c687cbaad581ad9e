// SPDX-License-Identifier: Apache-2.0
//! `ip spoofing`: a strict reverse-path check. A packet is spoofed when
//! the route back to its source does not leave through the interface it
//! came in on, as on Junos.
//!
//! The eBPF program asks the kernel (`bpf_fib_lookup` with the addresses
//! swapped), whose local table answers "not forwarded" for the box's own
//! addresses, its connected subnets' broadcasts and loopback; the pipeline
//! mirrors only the main table, so it names those itself. Both engines
//! classify the rest the same way:
//!
//! - no route back at all: spoofed (Junos drops them too);
//! - a source in a connected subnet passes only on that subnet's
//!   interface (its connected route), and the box's own addresses and the
//!   subnets' broadcasts are spoofed wherever they come in;
//! - multicast, limited broadcast and loopback sources are never a
//!   sender's: spoofed;
//! - the unspecified source (DHCP discovers, IPv6 duplicate address
//!   detection) claims no address, and IPv6 link-local sources are
//!   reachable back through every interface: they pass.

use super::super::parse::Packet;
use crate::fib::Fib;
use crate::snapshot::Snapshot;

/// What a source address is before any route is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Needs no route: passes.
    Exempt,
    /// Never a sender's address: spoofed.
    Bogus,
    /// Judged by its route back.
    Routed,
}

fn classify(v6: bool, a: u128) -> Source {
    if v6 {
        if a == 0 || a >> 118 == 0x3fa {
            // :: and fe80::/10.
            Source::Exempt
        } else if a >> 120 == 0xff || a == 1 {
            // ff00::/8 and ::1.
            Source::Bogus
        } else {
            Source::Routed
        }
    } else if a == 0 {
        Source::Exempt
    } else if a >> 28 == 0xe || a == 0xffff_ffff || a >> 24 == 127 {
        Source::Bogus
    } else {
        Source::Routed
    }
}

/// Whether `pkt`, received on `ingress`, fails the reverse-path check.
pub(crate) fn spoofed<F: Fib + ?Sized>(
    snap: &Snapshot,
    fib: &F,
    ingress: u32,
    pkt: &Packet,
) -> bool {
    let (v6, src) = (pkt.v6, pkt.src);
    match classify(v6, src) {
        Source::Exempt => false,
        Source::Bogus => true,
        Source::Routed => {
            snap.is_local(v6, src)
                || (!v6 && snap.is_subnet_broadcast(src))
                || fib.lookup(src, v6).is_none_or(|r| r.ifindex != ingress)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified_before_any_route() {
        assert_eq!(classify(false, 0), Source::Exempt);
        assert_eq!(classify(false, 0xe000_0005), Source::Bogus);
        assert_eq!(classify(false, 0xffff_ffff), Source::Bogus);
        assert_eq!(classify(false, 0x7f00_0001), Source::Bogus);
        assert_eq!(classify(false, 0x0a00_0105), Source::Routed);
        assert_eq!(classify(true, 0), Source::Exempt);
        assert_eq!(classify(true, 0xfe80 << 112 | 1), Source::Exempt);
        assert_eq!(classify(true, 0xfebf << 112 | 1), Source::Exempt);
        assert_eq!(classify(true, 0xfec0 << 112 | 1), Source::Routed);
        assert_eq!(classify(true, 0xff02 << 112 | 1), Source::Bogus);
        assert_eq!(classify(true, 1), Source::Bogus);
        assert_eq!(classify(true, 0x2001_0db8 << 96 | 1), Source::Routed);
    }
}
