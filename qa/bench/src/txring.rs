// SPDX-License-Identifier: Apache-2.0
//! An AF_PACKET socket with a `PACKET_TX_RING` (TPACKET_V2),
//! `PACKET_QDISC_BYPASS` and `PACKET_VNET_HDR`, bound to one interface: the benchmark's
//! generator on kernels that refuse `BPF_F_TEST_XDP_LIVE_FRAMES`. The
//! socket, the shared ring mapping and the frame status handshake are the
//! only `unsafe` of the AF_PACKET generator; `gen.rs` drives them through
//! the safe [`TxRing`] API.
// The workspace denies unsafe code; socket(2), setsockopt(2), mmap(2) and
// the ring the kernel shares with us have no safe wrapper here, so this
// module alone may use it.
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// Length of the `struct virtio_net_hdr` that starts each slot's data
/// (`PACKET_VNET_HDR`).
pub const VNET_HDR_LEN: usize = 10;
/// Where a TPACKET_V2 TX frame's data starts without `PACKET_TX_HAS_OFF`:
/// the kernel's `tp_hdrlen - sizeof(struct sockaddr_ll)`.
const DATA_OFFSET: usize = libc::TPACKET2_HDRLEN - std::mem::size_of::<libc::sockaddr_ll>();
/// Ring geometry: 128-byte frames (header and a 64-byte frame fit), 32 to
/// a 4 KiB block.
const FRAME_SIZE: usize = 128;
const BLOCK_SIZE: usize = 4096;

/// What one frame slot's `tp_status` says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    /// Ours to fill.
    Available,
    /// Queued for, or being sent by, the kernel.
    Pending,
    /// The kernel refused the frame (`TP_STATUS_WRONG_FORMAT`).
    WrongFormat,
}

/// The TX ring. Frames are claimed by index, filled, and handed to the
/// kernel with [`TxRing::queue`]; [`TxRing::flush`] makes it send them.
pub struct TxRing {
    fd: OwnedFd,
    map: NonNull<u8>,
    frames: usize,
}

fn check(r: libc::c_int, what: &str) -> io::Result<()> {
    if r < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
    }
    Ok(())
}

fn setsockopt<T>(fd: &OwnedFd, opt: libc::c_int, val: &T, what: &str) -> io::Result<()> {
    // SAFETY: `val` is a live, initialised T and the length passed is its size.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            opt,
            (val as *const T).cast::<c_void>(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    check(r, what)
}

impl TxRing {
    /// Opens the socket on `ifindex` with a ring of at least `frames` slots
    /// (rounded up to whole blocks). The socket is bound with protocol 0,
    /// so it receives nothing.
    pub fn open(ifindex: u32, frames: usize) -> io::Result<TxRing> {
        let per_block = BLOCK_SIZE / FRAME_SIZE;
        let blocks = frames.div_ceil(per_block).max(1);
        let frames = blocks * per_block;
        // SAFETY: socket(2) with constant arguments; the result is checked.
        let raw = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW | libc::SOCK_CLOEXEC, 0) };
        check(raw, "socket(AF_PACKET)")?;
        // SAFETY: `raw` is a fresh descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let version = libc::tpacket_versions::TPACKET_V2 as libc::c_int;
        setsockopt(&fd, libc::PACKET_VERSION, &version, "PACKET_VERSION")?;
        let one: libc::c_int = 1;
        setsockopt(&fd, libc::PACKET_QDISC_BYPASS, &one, "PACKET_QDISC_BYPASS")?;
        // Each slot's data starts with a struct virtio_net_hdr (see
        // `VNET_HDR_LEN`): its hdr_len makes the kernel copy that much of
        // the frame into the skb's linear part. Without it the payload
        // goes in page fragments, which the veth copies again into fresh
        // pages when the skb changes namespace.
        setsockopt(&fd, libc::PACKET_VNET_HDR, &one, "PACKET_VNET_HDR")?;
        let req = libc::tpacket_req {
            tp_block_size: BLOCK_SIZE as libc::c_uint,
            tp_block_nr: blocks as libc::c_uint,
            tp_frame_size: FRAME_SIZE as libc::c_uint,
            tp_frame_nr: frames as libc::c_uint,
        };
        setsockopt(&fd, libc::PACKET_TX_RING, &req, "PACKET_TX_RING")?;
        let len = blocks * BLOCK_SIZE;
        // SAFETY: a shared mapping of the ring the kernel just made for this
        // socket, exactly its size; the result is checked against MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_POPULATE,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::other(format!(
                "mmap of the TX ring: {}",
                io::Error::last_os_error()
            )));
        }
        let map = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
        // From here on Drop unmaps.
        let ring = TxRing { fd, map, frames };
        // SAFETY: an all-zero sockaddr_ll is a valid value; the fields that
        // matter are set below.
        let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sll.sll_family = libc::AF_PACKET as u16;
        sll.sll_ifindex = ifindex as libc::c_int;
        sll.sll_protocol = 0;
        // SAFETY: `sll` is a valid sockaddr_ll and the length is its size.
        let r = unsafe {
            libc::bind(
                ring.fd.as_raw_fd(),
                (&sll as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        check(r, "bind")?;
        Ok(ring)
    }

    /// Number of frame slots.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Largest frame a slot holds.
    pub fn max_len(&self) -> usize {
        FRAME_SIZE - DATA_OFFSET
    }

    fn header(&self, i: usize) -> *mut libc::tpacket2_hdr {
        assert!(i < self.frames, "frame {i} of {}", self.frames);
        // SAFETY: i < frames, so the slot lies inside the mapping (frames
        // never straddle blocks: BLOCK_SIZE is a multiple of FRAME_SIZE).
        unsafe { self.map.as_ptr().add(i * FRAME_SIZE).cast() }
    }

    fn status_word(&self, i: usize) -> &AtomicU32 {
        // SAFETY: tp_status is the first field, 4-byte aligned (slots are
        // 128-byte aligned in a page-aligned mapping) and lives as long as
        // `self`. The kernel writes it concurrently, so it is only ever
        // accessed atomically from this side.
        unsafe { AtomicU32::from_ptr(std::ptr::addr_of_mut!((*self.header(i)).tp_status)) }
    }

    /// Slot `i`'s status. Acquire: once it reads available, the kernel is
    /// done with the slot's other bytes.
    pub fn status(&self, i: usize) -> Status {
        match self.status_word(i).load(Ordering::Acquire) {
            libc::TP_STATUS_AVAILABLE => Status::Available,
            s if s & libc::TP_STATUS_WRONG_FORMAT != 0 => Status::WrongFormat,
            // Available with a timestamp flag is still available.
            s if s & (libc::TP_STATUS_SEND_REQUEST | libc::TP_STATUS_SENDING) == 0 => {
                Status::Available
            }
            _ => Status::Pending,
        }
    }

    /// Gives a refused slot back to us.
    pub fn reclaim(&mut self, i: usize) {
        if self.status(i) == Status::WrongFormat {
            self.status_word(i)
                .store(libc::TP_STATUS_AVAILABLE, Ordering::Release);
        }
    }

    /// Slot `i`'s data bytes, if the slot is ours (available).
    pub fn data(&mut self, i: usize) -> Option<&mut [u8]> {
        if self.status(i) != Status::Available {
            return None;
        }
        // SAFETY: the slot is available, so the kernel does not read or
        // write its data until we set TP_STATUS_SEND_REQUEST in `queue`,
        // which needs `&mut self` and so ends this borrow first. The range
        // lies inside slot i.
        Some(unsafe {
            std::slice::from_raw_parts_mut(
                self.map.as_ptr().add(i * FRAME_SIZE + DATA_OFFSET),
                self.max_len(),
            )
        })
    }

    /// Hands slot `i`, its first `len` data bytes filled, to the kernel.
    /// Returns false (and queues nothing) if the slot is not ours.
    pub fn queue(&mut self, i: usize, len: usize) -> bool {
        assert!(len <= self.max_len(), "frame of {len} bytes");
        if self.status(i) != Status::Available {
            return false;
        }
        let h = self.header(i);
        // SAFETY: the slot is ours (available), so nothing else touches
        // tp_len; the Release store below publishes it and the data.
        unsafe { std::ptr::addr_of_mut!((*h).tp_len).write_volatile(len as u32) };
        self.status_word(i)
            .store(libc::TP_STATUS_SEND_REQUEST, Ordering::Release);
        true
    }

    /// Makes the kernel send every queued slot. Blocking: it returns once
    /// the kernel has taken them (each slot turns available again when its
    /// skb is released, which on a veth to another namespace is at once).
    pub fn flush(&self) -> io::Result<()> {
        // SAFETY: a zero-length send on a TX-ring socket reads no buffer.
        let r = unsafe { libc::send(self.fd.as_raw_fd(), std::ptr::null(), 0, 0) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for TxRing {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `open` made; no borrow of it
        // outlives `self`. The socket closes after, with OwnedFd's drop.
        unsafe {
            libc::munmap(
                self.map.as_ptr().cast(),
                self.frames / (BLOCK_SIZE / FRAME_SIZE) * BLOCK_SIZE,
            );
        }
    }
}
