// SPDX-License-Identifier: Apache-2.0
//! The forwarding path: the xpf pipeline ([`xpf_dataplane::process`]) as
//! an AF_XDP [`xpf_afxdp::Processor`].
//!
//! Why a crate of its own: `xpf-dataplane` is pure (no sockets, no
//! kernel), `xpf-afxdp` knows nothing of firewalls; this is the glue, and
//! the only place that knows both.
//!
//! Data flow:
//!
//! ```text
//! xpfd commit ─▶ Tables::snapshot.publish(Arc<Snapshot>)
//! xpfd netlink refresh ─▶ Tables::fib / Tables::l2 .publish(...)
//! worker q: Forwarder::poll (once per loop) ─ generation changed? ─▶ take the new Arcs
//!           Forwarder::process ─▶ pipeline ─▶ Verdict ─▶ MAC rewrite ─▶ Action
//! xpfd show/clear ─▶ Control::ask ─▶ each worker's channel, answered in poll
//! ```
//!
//! Main types: [`Tables`] and [`Published`] (what the daemon publishes, read
//! per batch with an atomic generation check, never a lock per packet),
//! [`KernelFib`], [`L2Table`] (interface MACs and the kernel's neighbour
//! cache), [`Forwarder`] (the processor), [`Control`] (the daemon's way to
//! the workers' sessions), [`show`] (Junos text layouts).

mod control;
mod fib;
mod forwarder;
mod l2;
mod published;
mod resolve;
pub mod show;

pub use control::{Control, Request};
pub use fib::{KernelFib, KernelRoute};
pub use forwarder::{ForwardStats, Forwarder, PANIC_QUEUE_ENV};
pub use l2::L2Table;
pub use published::{Published, Reader};
pub use resolve::Resolver;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use xpf_dataplane::{LogQueue, Record, SessionLimits, Snapshot};

/// Everything the daemon publishes to the workers.
#[derive(Debug)]
pub struct Tables {
    /// The compiled configuration.
    pub snapshot: Published<Snapshot>,
    /// Routes mirrored from the kernel.
    pub fib: Published<KernelFib>,
    /// Interface MACs and neighbours mirrored from the kernel.
    pub l2: Published<L2Table>,
    /// Set by a worker that asked the kernel to resolve a neighbour: the
    /// daemon should dump the neighbour table again soon.
    pub neighbours_wanted: AtomicBool,
    /// Session log records the workers handed over, for the daemon's
    /// syslog; bounded, so a daemon that falls behind loses records
    /// (counted), never packets.
    pub flow_log: Mutex<LogQueue>,
    /// `limit-session` counts per address, box-wide: every worker's.
    pub session_limits: SessionLimits,
}

impl Tables {
    /// Tables starting from a snapshot, with an empty FIB and L2 table.
    pub fn new(snapshot: Arc<Snapshot>) -> Arc<Tables> {
        Arc::new(Tables {
            snapshot: Published::new(snapshot),
            fib: Published::new(Arc::new(KernelFib::default())),
            l2: Published::new(Arc::new(L2Table::default())),
            neighbours_wanted: AtomicBool::new(false),
            flow_log: Mutex::new(LogQueue::with_capacity(FLOW_LOG_QUEUE)),
            session_limits: SessionLimits::default(),
        })
    }

    /// Takes the session log records waiting, and how many were lost
    /// since the last call because nobody took them in time.
    pub fn take_flow_log(&self) -> (Vec<Record>, u64) {
        match self.flow_log.lock() {
            Ok(mut q) => {
                let lost = std::mem::take(&mut q.dropped);
                (q.drain().collect(), lost)
            }
            Err(_) => (Vec::new(), 0),
        }
    }
}

/// Session log records waiting for the daemon, all workers together.
pub const FLOW_LOG_QUEUE: usize = 16_384;
