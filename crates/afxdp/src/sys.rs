// SPDX-License-Identifier: Apache-2.0
//! The crate's only `unsafe`: the UMEM mapping, xdpilone's unsafe
//! constructor, frame access by offset, and two syscalls xdpilone does not
//! wrap (`XDP_OPTIONS`, `poll`). Everything else talks to these safe wrappers,
//! so the invariants are argued once, here.
// The workspace denies unsafe code; this module is where the crate's
// FFI is confined (STYLE.md item 9), so it alone may use it.
#![allow(unsafe_code)]

use std::io;
use std::ptr::NonNull;

/// An anonymous, page-aligned, private mapping that backs one UMEM.
pub(crate) struct Area {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value; which thread
// touches which frame is governed by the frame accounting in `worker.rs`
// (each frame has exactly one owner: a ring or the worker).
unsafe impl Send for Area {}

impl Area {
    /// Maps `len` bytes, populated up front so the first packets do not
    /// fault pages in.
    pub(crate) fn new(len: usize) -> io::Result<Area> {
        // SAFETY: an anonymous private mapping with no address hint has no
        // preconditions; the result is checked against MAP_FAILED.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave NULL"))?;
        Ok(Area { ptr, len })
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Registers this area as a UMEM with the kernel.
    ///
    /// The returned `Umem` must be dropped before the area: `worker.rs` keeps
    /// both in one struct with the UMEM declared first.
    pub(crate) fn register(
        &self,
        config: xdpilone::UmemConfig,
    ) -> Result<UmemHandle, xdpilone::Errno> {
        let slice = NonNull::slice_from_raw_parts(self.ptr, self.len);
        // SAFETY: the area is page aligned (mmap), valid for `len` bytes and
        // outlives the Umem (see above); its length fits in i64.
        unsafe { xdpilone::Umem::new(config, slice) }.map(UmemHandle)
    }

    /// The bytes `[offset, offset + len)` of the area.
    ///
    /// The caller must own the frame containing them (it came off an RX ring
    /// or the free list and has not been handed back to the kernel); the
    /// frame accounting in `worker.rs` guarantees that. Returns None when the
    /// range lies outside the area, e.g. a bogus descriptor.
    pub(crate) fn bytes_mut(&mut self, offset: u64, len: usize) -> Option<&mut [u8]> {
        let start = usize::try_from(offset).ok()?;
        let end = start.checked_add(len)?;
        if end > self.len {
            return None;
        }
        // SAFETY: [start, end) is inside the mapping (checked above); the
        // kernel does not write a frame while userspace owns it, and `&mut
        // self` keeps a second slice of the area from existing at once.
        Some(unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(start), len) })
    }
}

/// xdpilone's `Umem`, which holds a raw pointer to the area and so is not
/// `Send` by itself.
pub(crate) struct UmemHandle(xdpilone::Umem);

// SAFETY: the Umem only keeps the area's address to compute frame
// addresses and registers it once; it never dereferences it, and the area
// itself is Send (above). The worker moves both to its thread together.
unsafe impl Send for UmemHandle {}

impl std::ops::Deref for UmemHandle {
    type Target = xdpilone::Umem;
    fn deref(&self) -> &xdpilone::Umem {
        &self.0
    }
}

impl Drop for Area {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly what mmap returned; no slice into the
        // area outlives `&mut self` borrows, and the UMEM that the kernel
        // used is gone (dropped first, see `register`).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

/// Whether a bound AF_XDP socket runs in zero-copy mode (`XDP_OPTIONS`).
pub(crate) fn is_zero_copy(fd: i32) -> io::Result<bool> {
    const SOL_XDP: libc::c_int = 283;
    const XDP_OPTIONS: libc::c_int = 8;
    const XDP_OPTIONS_ZEROCOPY: u32 = 1;
    let mut opts: u32 = 0;
    let mut len = std::mem::size_of::<u32>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `opts`, a live u32.
    let r = unsafe {
        libc::getsockopt(
            fd,
            SOL_XDP,
            XDP_OPTIONS,
            (&mut opts as *mut u32).cast(),
            &mut len,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(opts & XDP_OPTIONS_ZEROCOPY != 0)
}

/// Waits until one of `fds` has received frames, or `timeout_ms` passes.
/// An idle worker sleeps here instead of spinning a core away.
pub(crate) fn poll_readable(fds: &mut [libc::pollfd], timeout_ms: i32) {
    for p in fds.iter_mut() {
        p.events = libc::POLLIN;
        p.revents = 0;
    }
    // SAFETY: fds is a valid, exclusively borrowed array of pollfd of the
    // given length. EINTR and other errors just end the wait early.
    unsafe {
        libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms);
    }
}

// SAFETY: XpfIface is repr(C), two u32 with no padding: every bit pattern
// is a valid value, which is what aya::Pod requires.
unsafe impl aya::Pod for crate::abi::XpfIface {}

/// The number of RX queues of `name` in the calling thread's network
/// namespace, from `ETHTOOL_GCHANNELS` (sysfs would show the namespace
/// /sys was mounted in, not the caller's). Drivers report queues as
/// combined or RX-only channels (veth reports both, of the same queues),
/// so the larger count is the number of RX queue ids. None when the driver
/// does not report channels.
pub(crate) fn rx_queues(name: &str) -> io::Result<Option<u32>> {
    const ETHTOOL_GCHANNELS: u32 = 0x3c;
    #[repr(C)]
    #[derive(Default)]
    struct EthtoolChannels {
        cmd: u32,
        max_rx: u32,
        max_tx: u32,
        max_other: u32,
        max_combined: u32,
        rx_count: u32,
        tx_count: u32,
        other_count: u32,
        combined_count: u32,
    }
    let bytes = name.as_bytes();
    if bytes.len() >= libc::IFNAMSIZ {
        return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
    }
    let mut ch = EthtoolChannels {
        cmd: ETHTOOL_GCHANNELS,
        ..EthtoolChannels::default()
    };
    // SAFETY: ifreq is plain old data; all-zero is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (d, s) in ifr.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    ifr.ifr_ifru.ifru_data = (&mut ch as *mut EthtoolChannels).cast();
    // SAFETY: plain socket(2); the fd is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: SIOCETHTOOL reads the NUL-terminated name in ifr and writes
    // an ethtool_channels through ifru_data, which points at `ch`, alive and
    // of the kernel's layout (9 u32).
    let r = unsafe { libc::ioctl(fd, libc::SIOCETHTOOL, &mut ifr as *mut libc::ifreq) };
    let err = io::Error::last_os_error();
    // SAFETY: fd is ours and used no more.
    unsafe {
        libc::close(fd);
    }
    if r != 0 {
        return match err.raw_os_error() {
            Some(libc::EOPNOTSUPP) => Ok(None),
            _ => Err(err),
        };
    }
    Ok(Some(ch.rx_count.max(ch.combined_count)))
}
