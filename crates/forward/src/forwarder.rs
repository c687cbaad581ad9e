// SPDX-License-Identifier: Apache-2.0
//! [`Forwarder`]: one AF_XDP worker's pipeline. Per packet: run
//! [`xpf_dataplane::process`], then turn the [`Verdict`] into an [`Action`]
//! (Ethernet rewrite from the L2 table for `Forward`). Per loop
//! ([`Processor::poll`]): pick up new tables, answer the daemon, expire
//! idle sessions.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use xpf_afxdp::{Action, Frame, Processor};
use xpf_dataplane::{process, Snapshot, Verdict, Worker};

use crate::control::Request;
use crate::fib::KernelFib;
use crate::l2::L2Table;
use crate::published::Reader;
use crate::resolve::Resolver;
use crate::Tables;
use xpf_dataplane::SessionView;

/// Sweep idle sessions at most this often.
const SWEEP_NS: u64 = 100_000_000;

/// Counters of what happened after the pipeline: one per worker, written
/// by it once per loop, read by the daemon.
#[derive(Debug, Default)]
pub struct ForwardStats {
    /// Forward verdicts dropped because the next hop is not resolved yet
    /// (the kernel was asked to resolve it).
    pub neighbour_missing: AtomicU64,
    /// Forward verdicts dropped because the egress interface has no MAC.
    pub no_egress_mac: AtomicU64,
    /// `ToKernel` verdicts: the shim passes what the kernel should get, so
    /// such a frame cannot be reinjected and is dropped.
    pub to_kernel_dropped: AtomicU64,
}

/// See the module docs.
pub struct Forwarder {
    queue: u32,
    tables: Arc<Tables>,
    snapshot: Reader<Snapshot>,
    fib: Reader<KernelFib>,
    l2: Reader<L2Table>,
    worker: Worker,
    resolver: Resolver,
    requests: Receiver<Request>,
    stats: Arc<ForwardStats>,
    last_sweep: u64,
    // Batched locally, published in poll: no shared cache line per packet.
    neighbour_missing: u64,
    no_egress_mac: u64,
    to_kernel: u64,
    /// Fault injection for tests ([`PANIC_QUEUE_ENV`]): panic at the first
    /// packet, as a pipeline bug would.
    doomed: bool,
}

/// Names a queue whose worker panics at its first packet (tests of what
/// xpfd does when an AF_XDP worker dies); unset in service.
pub const PANIC_QUEUE_ENV: &str = "XPF_FAULT_PANIC_QUEUE";

impl std::fmt::Debug for Forwarder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forwarder")
            .field("queue", &self.queue)
            .field("sessions", &self.worker.sessions.len())
            .finish_non_exhaustive()
    }
}

impl Forwarder {
    /// A worker's processor over the daemon's tables.
    pub fn new(
        queue: u32,
        tables: Arc<Tables>,
        requests: Receiver<Request>,
        stats: Arc<ForwardStats>,
    ) -> Forwarder {
        let snapshot = tables.snapshot.reader();
        let mut worker = Worker::new(snapshot.get());
        worker.share_session_limits(&tables.session_limits);
        Forwarder {
            queue,
            fib: tables.fib.reader(),
            l2: tables.l2.reader(),
            snapshot,
            tables,
            worker,
            resolver: Resolver::new(),
            requests,
            stats,
            last_sweep: 0,
            neighbour_missing: 0,
            no_egress_mac: 0,
            to_kernel: 0,
            doomed: std::env::var(PANIC_QUEUE_ENV).is_ok_and(|q| q == queue.to_string()),
        }
    }

    /// The queue it serves on every interface.
    pub fn queue(&self) -> u32 {
        self.queue
    }

    /// Its counters, as the daemon reads them.
    pub fn stats(&self) -> Arc<ForwardStats> {
        self.stats.clone()
    }

    /// The pipeline worker (sessions, counters).
    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    fn answer(&mut self, now: u64) {
        while let Ok(req) = self.requests.try_recv() {
            let snap = self.snapshot.get().clone();
            match req {
                Request::Sessions(filter, reply) => {
                    let v: Vec<SessionView> = self
                        .worker
                        .sessions
                        .iter()
                        .filter(|s| filter.matches(s))
                        .map(|s| SessionView::new(s, self.queue, now))
                        .collect();
                    let _ = reply.send(v);
                }
                Request::Clear(filter, reply) => {
                    let n = self.worker.clear(&snap, now, |s| filter.matches(s));
                    let _ = reply.send(n);
                }
                Request::Counters(reply) => {
                    let _ = reply.send(self.worker.counters());
                }
            }
        }
    }

    /// Moves this worker's session log records to the daemon's queue: one
    /// lock per loop that has any, none on the packet path.
    fn hand_over_logs(&mut self) {
        let lost = std::mem::take(&mut self.worker.logs.dropped);
        if self.worker.logs.is_empty() && lost == 0 {
            return;
        }
        if let Ok(mut q) = self.tables.flow_log.lock() {
            q.dropped += lost;
            for r in self.worker.logs.drain() {
                q.push(r);
            }
        }
    }

    /// Writes the Ethernet header for `next_hop` out of `egress`; false if
    /// the frame must wait for the neighbour (it is dropped and counted).
    fn rewrite_l2(&mut self, buf: &mut [u8], egress: u32, next_hop: IpAddr, now: u64) -> bool {
        let l2 = self.l2.get();
        let Some(src) = l2.mac(egress) else {
            self.no_egress_mac += 1;
            return false;
        };
        let Some(dst) = l2.neighbour(egress, next_hop) else {
            self.neighbour_missing += 1;
            if self.resolver.ask(next_hop, egress, now) {
                self.tables.neighbours_wanted.store(true, Ordering::Relaxed);
            }
            return false;
        };
        let Some(eth) = buf.get_mut(..12) else {
            return false;
        };
        eth[..6].copy_from_slice(&dst);
        eth[6..12].copy_from_slice(&src);
        true
    }
}

impl Processor for Forwarder {
    fn process(&mut self, ingress_ifindex: u32, frame: &mut Frame<'_>, now_ns: u64) -> Action {
        assert!(
            !self.doomed,
            "{PANIC_QUEUE_ENV}: the worker of queue {} dies as asked",
            self.queue
        );
        let len = frame.len();
        // The pipeline writes replies in place and may grow the frame up to
        // the buffer's room: hand it all, with the frame's length.
        let cap = frame.capacity();
        frame.set_len(cap);
        let verdict = process(
            self.snapshot.get(),
            &mut self.worker,
            self.fib.get().as_ref(),
            ingress_ifindex,
            frame.bytes_mut(),
            len,
            now_ns,
        );
        match verdict {
            Verdict::Forward {
                egress_ifindex,
                next_hop,
            } => {
                frame.set_len(len);
                if self.rewrite_l2(frame.bytes_mut(), egress_ifindex, next_hop, now_ns) {
                    Action::Forward { egress_ifindex }
                } else {
                    Action::Drop
                }
            }
            Verdict::Reply(n) => {
                if frame.set_len(n) {
                    Action::Reply
                } else {
                    Action::Drop
                }
            }
            Verdict::ToKernel => {
                self.to_kernel += 1;
                Action::Drop
            }
            Verdict::Drop(_) => Action::Drop,
        }
    }

    fn poll(&mut self, now_ns: u64) {
        if self.snapshot.refresh(&self.tables.snapshot) {
            // Counters answered below follow the new snapshot's rule lists.
            let snap = self.snapshot.get().clone();
            self.worker.adopt(&snap);
        }
        self.fib.refresh(&self.tables.fib);
        self.l2.refresh(&self.tables.l2);
        self.answer(now_ns);
        self.hand_over_logs();
        if now_ns.saturating_sub(self.last_sweep) >= SWEEP_NS {
            let snap = self.snapshot.get().clone();
            self.worker.sweep(&snap, now_ns);
            self.last_sweep = now_ns;
        }
        let s = &self.stats;
        s.neighbour_missing
            .store(self.neighbour_missing, Ordering::Relaxed);
        s.no_egress_mac.store(self.no_egress_mac, Ordering::Relaxed);
        s.to_kernel_dropped.store(self.to_kernel, Ordering::Relaxed);
    }
}
