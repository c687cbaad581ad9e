// SPDX-License-Identifier: Apache-2.0
//! Next hops for the eBPF dataplane. `bpf_fib_lookup` reads the kernel's
//! neighbour table but cannot fill it, so a session whose next hop is
//! unknown has its packets dropped (`no-neighbour`) until the kernel
//! resolves it. xpfd makes the kernel do so: a UDP datagram with TTL 1 to
//! the session's destination (the discard port) makes the kernel route it
//! and resolve the next hop on the way; the TTL keeps it from going
//! further. Asks are rate-limited per address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use xpf_ebpf_loader::EbpfSession;

/// The discard service: nobody answers.
const DISCARD: u16 = 9;
/// Time between asks for the same address.
const RETRY: Duration = Duration::from_secs(1);
/// Addresses remembered before the memory is reset.
const MAX_PENDING: usize = 4096;

/// Remembers what was asked, and when.
#[derive(Debug, Default)]
pub struct Resolver {
    socket: Option<UdpSocket>,
    asked: HashMap<IpAddr, Instant>,
}

impl Resolver {
    /// Asks for the next hop of every direction of `sessions` that lacks
    /// one; how many asks went out.
    pub fn ask_for(&mut self, sessions: &[EbpfSession]) -> usize {
        let mut asked = 0;
        for s in sessions {
            for dir in 0..2 {
                if s.resolved[dir] {
                    continue;
                }
                // Where that direction's packets go after translation: the
                // other direction's source before it.
                let other = if dir == 0 { &s.rev } else { &s.fwd };
                let to = IpAddr::from((other.src as u32).to_be_bytes());
                asked += usize::from(self.ask(to));
            }
        }
        asked
    }

    fn ask(&mut self, addr: IpAddr) -> bool {
        let now = Instant::now();
        if self
            .asked
            .get(&addr)
            .is_some_and(|at| now.duration_since(*at) < RETRY)
        {
            return false;
        }
        if self.asked.len() >= MAX_PENDING {
            self.asked.clear();
        }
        self.asked.insert(addr, now);
        if self.socket.is_none() {
            self.socket = UdpSocket::bind("0.0.0.0:0")
                .ok()
                .filter(|s| s.set_nonblocking(true).is_ok() && s.set_ttl(1).is_ok());
        }
        let Some(sock) = &self.socket else {
            return false;
        };
        // An error (no route) is the kernel's answer: nothing to resolve.
        sock.send_to(&[], SocketAddr::from((addr, DISCARD))).is_ok()
    }
}
