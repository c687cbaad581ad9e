// SPDX-License-Identifier: Apache-2.0
//! Asking the kernel to resolve a neighbour: an empty UDP datagram to the
//! discard port of the next hop makes the kernel's own ARP/ND run (the
//! datagram waits in the neighbour's queue until resolved). xpf sends no
//! ARP or ND itself. Asks are rate-limited per address, so an unresolved
//! next hop costs one syscall per second, not one per packet.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, SocketAddrV6, UdpSocket};

/// The discard service: nobody answers.
const DISCARD: u16 = 9;
/// Time between asks for the same address.
const RETRY_NS: u64 = 1_000_000_000;
/// Addresses remembered before the memory is reset.
const MAX_PENDING: usize = 4096;

/// One worker's resolver.
#[derive(Debug, Default)]
pub struct Resolver {
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
    asked: HashMap<IpAddr, u64>,
}

impl Resolver {
    /// Sockets for both families (a family the host lacks is skipped).
    pub fn new() -> Resolver {
        let open = |a: &str| {
            UdpSocket::bind(a)
                .ok()
                .filter(|s| s.set_nonblocking(true).is_ok())
        };
        Resolver {
            v4: open("0.0.0.0:0"),
            v6: open("[::]:0"),
            asked: HashMap::new(),
        }
    }

    /// For a dataplane that knows a flow's destination but not its next
    /// hop (the eBPF program): datagrams go to the destination with a TTL
    /// of 1, so the kernel resolves the next hop on the way and the
    /// datagram goes no further (the hop limit, for IPv6).
    pub fn toward_destinations() -> Resolver {
        use nix::sys::socket::{setsockopt, sockopt::Ipv6Ttl};
        Resolver {
            v4: UdpSocket::bind("0.0.0.0:0")
                .ok()
                .filter(|s| s.set_nonblocking(true).is_ok() && s.set_ttl(1).is_ok()),
            v6: UdpSocket::bind("[::]:0")
                .ok()
                .filter(|s| s.set_nonblocking(true).is_ok() && setsockopt(s, Ipv6Ttl, &1).is_ok()),
            asked: HashMap::new(),
        }
    }

    /// Asks the kernel to resolve `addr` on `ifindex`, unless asked lately;
    /// true if a request went out.
    pub fn ask(&mut self, addr: IpAddr, ifindex: u32, now: u64) -> bool {
        if let Some(&at) = self.asked.get(&addr) {
            if now.saturating_sub(at) < RETRY_NS {
                return false;
            }
        }
        if self.asked.len() >= MAX_PENDING {
            self.asked.clear();
        }
        self.asked.insert(addr, now);
        let (sock, to) = match addr {
            IpAddr::V4(a) => (&self.v4, SocketAddr::from((a, DISCARD))),
            IpAddr::V6(a) => {
                // Link-local next hops need their interface.
                let scope = if a.segments()[0] & 0xffc0 == 0xfe80 {
                    ifindex
                } else {
                    0
                };
                (
                    &self.v6,
                    SocketAddr::V6(SocketAddrV6::new(a, DISCARD, 0, scope)),
                )
            }
        };
        sock.as_ref().is_some_and(|s| s.send_to(&[], to).is_ok())
    }
}
