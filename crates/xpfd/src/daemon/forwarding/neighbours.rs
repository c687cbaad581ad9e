// SPDX-License-Identifier: Apache-2.0
//! Next hops for the eBPF dataplane. `bpf_fib_lookup` reads the kernel's
//! neighbour table but cannot fill it, so a session whose next hop is
//! unknown has its packets dropped (`no-neighbour`) until the kernel
//! resolves it. xpfd makes the kernel do so: a UDP datagram with TTL 1 to
//! the session's destination (the discard port) makes the kernel route it
//! and resolve the next hop on the way; the TTL keeps it from going
//! further. Asks are rate-limited per address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use xpf_ebpf_loader::EbpfSession;
use xpf_forward::Resolver;

/// The eBPF sessions' unresolved next hops, asked for through the
/// kernel (rate-limited per address by [`Resolver`]).
pub struct NextHops {
    resolver: Resolver,
    started: Instant,
}

impl Default for NextHops {
    fn default() -> Self {
        NextHops {
            resolver: Resolver::toward_destinations(),
            started: Instant::now(),
        }
    }
}

impl NextHops {
    /// Asks for the next hop of every direction of `sessions` that lacks
    /// one; how many asks went out.
    pub fn ask_for(&mut self, sessions: &[EbpfSession]) -> usize {
        let now = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let mut asked = 0;
        for s in sessions {
            for dir in 0..2 {
                if s.resolved[dir] {
                    continue;
                }
                // Where that direction's packets go after translation: the
                // other direction's source before it.
                let other = if dir == 0 { &s.rev } else { &s.fwd };
                let to = if other.v6 {
                    IpAddr::V6(Ipv6Addr::from(other.src))
                } else {
                    IpAddr::V4(Ipv4Addr::from(other.src as u32))
                };
                asked += usize::from(self.resolver.ask(to, 0, now));
            }
        }
        asked
    }
}
