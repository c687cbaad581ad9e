// SPDX-License-Identifier: Apache-2.0
//! One worker: a thread that owns queue `q` of every data interface (a
//! "port" each), one UMEM shared by those ports, and a processor.
//!
//! Frame accounting. Every UMEM frame is, between loop iterations, in
//! exactly one of three places:
//! - `free`: the worker's free list;
//! - a port's fill ring or the kernel's RX path (`Port::in_fill`: pushed
//!   to the fill ring, not yet read back from that port's RX ring);
//! - a port's TX ring or the kernel's TX path (`Port::in_tx`: pushed to the
//!   TX ring, not yet read back from that port's completion ring).
//!
//! Within an iteration a received frame is held by the worker until it is
//! either queued for TX or pushed back on the free list; nothing else can
//! happen to it, so `free + Σin_fill + Σin_tx == total` holds after every
//! iteration. The worker publishes the difference as `frames.leaked` (and
//! debug builds assert it is zero).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use xdpilone::xdp::XdpDesc;
use xdpilone::{CompletionQueue, FillQueue, RingRx, RingTx, User};

use crate::processor::{Action, Frame, Processor};
use crate::sys::{self, Area, UmemHandle};

/// How long an idle worker sleeps in poll(2) before checking the stop flag.
const IDLE_POLL_MS: i32 = 5;
/// sendto(2) calls per port and iteration, bounding the time TX can take
/// from RX when the kernel does not keep up (a full peer, say).
const MAX_WAKES: u32 = 16;
/// How long `stop` waits for in-flight TX frames to complete.
const DRAIN: Duration = Duration::from_millis(200);

/// One AF_XDP socket: queue `q` of one interface.
pub(crate) struct Port {
    pub ifindex: u32,
    pub fd: i32,
    pub rx: RingRx,
    pub tx: RingTx,
    pub fill: FillQueue,
    pub comp: CompletionQueue,
    /// Kept so the socket's rings stay configured; dropped with the port.
    pub _user: User,
    /// Frames pushed to the fill ring and not yet received.
    pub in_fill: u32,
    /// Frames pushed to the TX ring and not yet completed.
    pub in_tx: u32,
    /// Frames chosen for TX on this port in the current batch.
    pending: Vec<XdpDesc>,
}

impl Port {
    pub(crate) fn new(
        ifindex: u32,
        fd: i32,
        user: User,
        rx: RingRx,
        tx: RingTx,
        fill: FillQueue,
        comp: CompletionQueue,
    ) -> Port {
        Port {
            ifindex,
            fd,
            rx,
            tx,
            fill,
            comp,
            _user: user,
            in_fill: 0,
            in_tx: 0,
            pending: Vec::new(),
        }
    }
}

/// Counters a worker publishes while it runs (relaxed stores, read by
/// [`crate::Dataplane::stats`]).
#[derive(Debug, Default)]
pub(crate) struct SharedStats {
    rx: AtomicU64,
    tx: AtomicU64,
    dropped: AtomicU64,
    tx_ring_full: AtomicU64,
    no_egress: AtomicU64,
    bad_desc: AtomicU64,
    fill_starved: AtomicU64,
    total: AtomicU64,
    free: AtomicU64,
    in_fill: AtomicU64,
    in_tx: AtomicU64,
    leaked: AtomicU64,
}

/// Where a worker's UMEM frames are; see the module docs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameAccount {
    /// Frames in the UMEM.
    pub total: u64,
    /// On the worker's free list.
    pub free: u64,
    /// In fill rings (or the kernel's RX path).
    pub in_fill: u64,
    /// In TX rings (or the kernel's TX path), awaiting completion.
    pub in_tx: u64,
    /// `total - free - in_fill - in_tx`: frames lost track of. Always 0
    /// unless there is a bug.
    pub leaked: u64,
}

/// A snapshot of one worker's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WorkerStats {
    /// The worker, which is also the queue it serves on every interface.
    pub queue: u32,
    /// Frames received from RX rings.
    pub rx: u64,
    /// Frames placed on TX rings.
    pub tx: u64,
    /// Frames the processor dropped.
    pub dropped: u64,
    /// Frames dropped because the egress TX ring was full.
    pub tx_ring_full: u64,
    /// Frames dropped because the egress interface has no port on this
    /// worker (unknown ifindex, or it has fewer queues).
    pub no_egress: u64,
    /// Descriptors from the kernel that point outside the UMEM (never
    /// expected; such frames are counted as leaked).
    pub bad_desc: u64,
    /// Times a fill ring ran low while the free list was empty: the kernel
    /// may drop arriving frames for want of buffers.
    pub fill_starved: u64,
    /// Where the frames are.
    pub frames: FrameAccount,
}

impl SharedStats {
    pub(crate) fn snapshot(&self, queue: u32) -> WorkerStats {
        let r = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WorkerStats {
            queue,
            rx: r(&self.rx),
            tx: r(&self.tx),
            dropped: r(&self.dropped),
            tx_ring_full: r(&self.tx_ring_full),
            no_egress: r(&self.no_egress),
            bad_desc: r(&self.bad_desc),
            fill_starved: r(&self.fill_starved),
            frames: FrameAccount {
                total: r(&self.total),
                free: r(&self.free),
                in_fill: r(&self.in_fill),
                in_tx: r(&self.in_tx),
                leaked: r(&self.leaked),
            },
        }
    }
}

/// Local counters, published once per iteration.
#[derive(Default)]
struct Counts {
    rx: u64,
    tx: u64,
    dropped: u64,
    tx_ring_full: u64,
    no_egress: u64,
    bad_desc: u64,
    fill_starved: u64,
}

/// A worker's frame and ring sizes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sizes {
    /// UMEM chunk size, a power of two.
    pub frame_size: u32,
    /// Frames to keep in each fill ring.
    pub fill_target: u32,
    /// Frames per RX batch.
    pub batch: u32,
}

/// A worker's state. Field order is drop order: the sockets go before the
/// UMEM registration, which goes before the memory it registered.
pub(crate) struct Worker<P> {
    pub queue: u32,
    ports: Vec<Port>,
    _umem: UmemHandle,
    area: Area,
    frame_size: u64,
    fill_target: u32,
    batch: u32,
    free: Vec<u64>,
    total: u32,
    processor: P,
    stats: Arc<SharedStats>,
    counts: Counts,
    epoch: Instant,
}

impl<P: Processor> Worker<P> {
    pub(crate) fn new(
        queue: u32,
        ports: Vec<Port>,
        umem: UmemHandle,
        area: Area,
        sizes: Sizes,
        processor: P,
        epoch: Instant,
    ) -> Worker<P> {
        let Sizes {
            frame_size,
            fill_target,
            batch,
        } = sizes;
        let total = u32::try_from(area.len() as u64 / u64::from(frame_size)).unwrap_or(u32::MAX);
        // Every frame starts on the free list; the first iteration fills.
        let free = (0..u64::from(total))
            .map(|i| i * u64::from(frame_size))
            .collect();
        let stats = Arc::new(SharedStats::default());
        stats.total.store(u64::from(total), Ordering::Relaxed);
        Worker {
            queue,
            ports,
            _umem: umem,
            area,
            frame_size: u64::from(frame_size),
            fill_target,
            batch,
            free,
            total,
            processor,
            stats,
            counts: Counts::default(),
            epoch,
        }
    }

    pub(crate) fn stats(&self) -> Arc<SharedStats> {
        self.stats.clone()
    }

    /// Runs until `stop` is set, then drains TX and returns the processor.
    pub(crate) fn run(mut self, stop: &AtomicBool) -> P {
        let mut descs: Vec<XdpDesc> = Vec::with_capacity(self.batch as usize);
        let mut pollfds: Vec<libc::pollfd> = self
            .ports
            .iter()
            .map(|p| libc::pollfd {
                fd: p.fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        self.refill();
        while !stop.load(Ordering::Relaxed) {
            let now = self.epoch.elapsed().as_nanos() as u64;
            self.processor.poll(now);
            let mut work = self.complete();
            for p in 0..self.ports.len() {
                work += self.receive(p, &mut descs, now);
            }
            work += self.transmit();
            self.refill();
            self.publish();
            // Idle, it sleeps at once rather than spin: a worker shares its
            // CPU with the NAPI thread that fills its RX ring, and spinning
            // above NAPI's priority only starves it. The kernel wakes the
            // worker once per NAPI batch, so this costs a poll(2) per batch
            // (`just bench-forwarding`, (c): 0.56-0.66 Mpps with 256 spins
            // first, 0.83-0.89 without).
            if work == 0 {
                self.kick_tx();
                sys::poll_readable(&mut pollfds, IDLE_POLL_MS);
            }
        }
        // Let frames already on TX rings go out and come back, so the
        // accounting ends with nothing in flight.
        let deadline = Instant::now() + DRAIN;
        while self.ports.iter().any(|p| p.in_tx > 0) && Instant::now() < deadline {
            self.kick_tx();
            if self.complete() == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        self.publish();
        self.processor
    }

    /// Reaps completion rings onto the free list.
    fn complete(&mut self) -> u64 {
        let mut n = 0;
        let mask = !(self.frame_size - 1);
        for port in &mut self.ports {
            let mut c = port.comp.complete(port.in_tx);
            while let Some(addr) = c.read() {
                self.free.push(addr & mask);
                port.in_tx -= 1;
                n += 1;
            }
            c.release();
        }
        n
    }

    /// Receives one batch on port `p` and runs the processor over it, at
    /// `now` (the loop reads the clock once a round).
    fn receive(&mut self, p: usize, descs: &mut Vec<XdpDesc>, now: u64) -> u64 {
        descs.clear();
        {
            let port = &mut self.ports[p];
            let mut r = port.rx.receive(self.batch);
            while let Some(d) = r.read() {
                descs.push(d);
            }
            r.release();
            port.in_fill = port.in_fill.saturating_sub(descs.len() as u32);
        }
        if descs.is_empty() {
            return 0;
        }
        let ingress = self.ports[p].ifindex;
        let mask = !(self.frame_size - 1);
        self.counts.rx += descs.len() as u64;
        for d in descs.iter() {
            let base = d.addr & mask;
            // Room from the packet's start to the end of its frame.
            let room = (base + self.frame_size).saturating_sub(d.addr) as usize;
            let Some(buf) = self.area.bytes_mut(d.addr, room) else {
                // Not ours to free: a kernel bug or a corrupted ring.
                self.counts.bad_desc += 1;
                continue;
            };
            let mut frame = Frame::new(buf, d.len as usize);
            let action = self.processor.process(ingress, &mut frame, now);
            let len = frame.len() as u32;
            let out = XdpDesc {
                addr: d.addr,
                len,
                options: 0,
            };
            let egress = match action {
                Action::Drop => {
                    self.counts.dropped += 1;
                    self.free.push(base);
                    continue;
                }
                Action::Reply => Some(p),
                Action::Forward { egress_ifindex } => {
                    self.ports.iter().position(|q| q.ifindex == egress_ifindex)
                }
            };
            match egress {
                Some(e) => self.ports[e].pending.push(out),
                None => {
                    self.counts.no_egress += 1;
                    self.free.push(base);
                }
            }
        }
        descs.len() as u64
    }

    /// Moves each port's pending frames onto its TX ring; what does not fit
    /// is dropped (freed) rather than held, so RX never waits on TX.
    fn transmit(&mut self) -> u64 {
        let mask = !(self.frame_size - 1);
        let mut sent = 0;
        for port in &mut self.ports {
            if port.pending.is_empty() {
                continue;
            }
            // xdpilone reserves from its cached view of the kernel's consumer
            // head and refreshes it only when that view shows no room at all,
            // so a short reservation is retried once the cache is exhausted.
            let mut n = 0u32;
            while (n as usize) < port.pending.len() {
                let mut w = port.tx.transmit((port.pending.len() - n as usize) as u32);
                let k = w.insert(port.pending[n as usize..].iter().copied());
                w.commit();
                if k == 0 {
                    break;
                }
                n += k;
            }
            port.in_tx += n;
            sent += u64::from(n);
            for d in &port.pending[n as usize..] {
                self.free.push(d.addr & mask);
                self.counts.tx_ring_full += 1;
            }
            port.pending.clear();
        }
        self.counts.tx += sent;
        self.kick_tx();
        sent
    }

    /// Tells the kernel about TX frames it has not taken yet. In copy mode
    /// the kernel sends only inside sendto(2), and at most 32 frames per
    /// call (TX_BATCH_SIZE), so one wake per batch would let the ring fill.
    fn kick_tx(&mut self) {
        for port in &self.ports {
            let mut tries = 0;
            while port.tx.pending() > 0 && port.tx.needs_wakeup() && tries < MAX_WAKES {
                port.tx.wake();
                tries += 1;
            }
        }
    }

    /// Tops each fill ring up to `fill_target` from the free list.
    fn refill(&mut self) {
        for port in &mut self.ports {
            let want = self.fill_target.saturating_sub(port.in_fill);
            if want == 0 {
                continue;
            }
            let k = (want as usize).min(self.free.len());
            if k == 0 {
                if want >= self.batch {
                    self.counts.fill_starved += 1;
                }
                continue;
            }
            let start = self.free.len() - k;
            // Retried like TX (see `transmit`). A slice iterator: an item the
            // ring has no room for stays on the free list, never lost.
            let mut n = 0u32;
            while (n as usize) < k {
                let mut w = port.fill.fill((k - n as usize) as u32);
                let got = w.insert(self.free[start + n as usize..].iter().copied());
                w.commit();
                if got == 0 {
                    break;
                }
                n += got;
            }
            self.free.drain(start..start + n as usize);
            port.in_fill += n;
            if n > 0 && port.fill.needs_wakeup() {
                port.fill.wake();
            }
        }
    }

    /// Publishes counters and the frame accounting.
    fn publish(&mut self) {
        let s = &self.stats;
        let c = &self.counts;
        s.rx.store(c.rx, Ordering::Relaxed);
        s.tx.store(c.tx, Ordering::Relaxed);
        s.dropped.store(c.dropped, Ordering::Relaxed);
        s.tx_ring_full.store(c.tx_ring_full, Ordering::Relaxed);
        s.no_egress.store(c.no_egress, Ordering::Relaxed);
        s.bad_desc.store(c.bad_desc, Ordering::Relaxed);
        s.fill_starved.store(c.fill_starved, Ordering::Relaxed);
        let in_fill: u64 = self.ports.iter().map(|p| u64::from(p.in_fill)).sum();
        let in_tx: u64 = self.ports.iter().map(|p| u64::from(p.in_tx)).sum();
        let free = self.free.len() as u64;
        let leaked = u64::from(self.total).saturating_sub(free + in_fill + in_tx);
        debug_assert!(
            free + in_fill + in_tx + c.bad_desc == u64::from(self.total),
            "UMEM accounting: free {free} + in_fill {in_fill} + in_tx {in_tx} != {}",
            self.total
        );
        s.free.store(free, Ordering::Relaxed);
        s.in_fill.store(in_fill, Ordering::Relaxed);
        s.in_tx.store(in_tx, Ordering::Relaxed);
        s.leaked.store(leaked, Ordering::Relaxed);
    }
}
