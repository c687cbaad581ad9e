// SPDX-License-Identifier: Apache-2.0
//! The seam between the AF_XDP machinery and the packet pipeline.

/// One received frame, owned by the worker while the processor runs.
///
/// The bytes live in the UMEM: the processor rewrites them in place, and may
/// shrink or grow the frame up to [`Frame::capacity`] (an ICMP error or a
/// TCP RST built in place of the packet, for instance).
#[derive(Debug)]
pub struct Frame<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> Frame<'a> {
    /// A frame of `len` bytes at the start of `buf`; `buf` is all the room
    /// the frame may grow into. `len` is clamped to `buf.len()`.
    pub fn new(buf: &'a mut [u8], len: usize) -> Frame<'a> {
        let len = len.min(buf.len());
        Frame { buf, len }
    }

    /// The frame's bytes, starting at the Ethernet header.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The frame's bytes, for rewriting in place.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..self.len]
    }

    /// The frame's length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the frame has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most bytes this frame can hold.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Sets the frame's length; false (and no change) if beyond capacity.
    /// Grown bytes keep whatever the buffer held: write them.
    pub fn set_len(&mut self, len: usize) -> bool {
        if len > self.buf.len() {
            return false;
        }
        self.len = len;
        true
    }
}

/// What to do with a frame after processing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Transmit on the interface with this ifindex.
    Forward {
        /// The egress interface.
        egress_ifindex: u32,
    },
    /// Free the frame (the processor counts why).
    Drop,
    /// Transmit back out of the ingress interface (RST, ICMP errors, ARP).
    Reply,
}

/// A packet processor: the pipeline, or `L2Forwarder` (feature `l2fwd`) in tests.
///
/// Each worker owns its own processor, so `process` takes `&mut self`
/// without locks; state shared between workers is the processor's business.
pub trait Processor: Send {
    /// Decides the fate of one frame received on `ingress_ifindex`,
    /// rewriting it in place as needed. `now_ns` is a monotonic clock read
    /// once per batch.
    fn process(&mut self, ingress_ifindex: u32, frame: &mut Frame<'_>, now_ns: u64) -> Action;

    /// Called once per worker loop, busy or idle (at least every few
    /// milliseconds): the place for per-batch work such as picking up a new
    /// configuration, answering the daemon or expiring state.
    fn poll(&mut self, _now_ns: u64) {}
}

impl<P: Processor + ?Sized> Processor for Box<P> {
    fn process(&mut self, ingress_ifindex: u32, frame: &mut Frame<'_>, now_ns: u64) -> Action {
        (**self).process(ingress_ifindex, frame, now_ns)
    }

    fn poll(&mut self, now_ns: u64) {
        (**self).poll(now_ns)
    }
}
