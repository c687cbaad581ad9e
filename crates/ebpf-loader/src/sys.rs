// SPDX-License-Identifier: Apache-2.0
//! The crate's only `unsafe`: `Pod` for the map layouts, the
//! `BPF_PROG_TEST_RUN` command aya 0.14 does not wrap for XDP, and
//! mounting bpffs. Everything else goes through these safe functions.
// The workspace denies unsafe code; FFI is confined here (STYLE.md item 9).
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::path::Path;

use crate::abi;

macro_rules! pod {
    ($($t:ty),*) => {$(
        // SAFETY: #[repr(C)] of integer fields and arrays with explicit
        // padding fields: every bit pattern is valid and there are no
        // implicit padding bytes (sizes are checked against the C header).
        unsafe impl aya::Pod for $t {}
    )*};
}
pod!(
    abi::Active,
    abi::Screen,
    abi::LimitKey,
    abi::Limit,
    abi::Conf,
    abi::IfKey,
    abi::Iface,
    abi::LocalKey,
    abi::Local6Key,
    abi::PairKey,
    abi::RuleKey,
    abi::Rule,
    abi::NameKey,
    abi::Name,
    abi::Snat,
    abi::NatMatch,
    abi::NatCtx,
    abi::Static,
    abi::Dnat,
    abi::Nat6Match,
    abi::Dnat6,
    abi::Static6,
    abi::Pool6,
    abi::Pool,
    abi::Flow,
    abi::SessionEntry,
    abi::Tcp,
    abi::TcpSide,
    abi::Last
);

const BPF_PROG_TEST_RUN: libc::c_long = 10;

/// `struct xdp_md` as BPF_PROG_TEST_RUN takes it for the context.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct XdpMd {
    data: u32,
    data_end: u32,
    data_meta: u32,
    ingress_ifindex: u32,
    rx_queue_index: u32,
    egress_ifindex: u32,
}

/// The `test` member of `union bpf_attr`.
#[repr(C)]
#[derive(Debug, Default)]
struct TestAttr {
    prog_fd: u32,
    retval: u32,
    data_size_in: u32,
    data_size_out: u32,
    data_in: u64,
    data_out: u64,
    repeat: u32,
    duration: u32,
    ctx_size_in: u32,
    ctx_size_out: u32,
    ctx_in: u64,
    ctx_out: u64,
    flags: u32,
    cpu: u32,
    batch_size: u32,
    pad: u32,
}

/// Runs an XDP program once over `frame` as if received on
/// `ingress_ifindex`; returns the XDP action and the frame as the program
/// left it (it may have grown or shrunk).
pub(crate) fn xdp_test_run(
    prog: BorrowedFd<'_>,
    frame: &[u8],
    ingress_ifindex: u32,
) -> io::Result<(u32, Vec<u8>)> {
    let mut out = vec![0u8; 4096];
    let ctx = XdpMd {
        data_end: frame.len() as u32,
        ingress_ifindex,
        ..XdpMd::default()
    };
    let mut attr = TestAttr {
        prog_fd: prog.as_raw_fd() as u32,
        data_size_in: frame.len() as u32,
        data_size_out: out.len() as u32,
        data_in: frame.as_ptr() as u64,
        data_out: out.as_mut_ptr() as u64,
        repeat: 1,
        ctx_size_in: std::mem::size_of::<XdpMd>() as u32,
        ctx_in: &ctx as *const XdpMd as u64,
        ..TestAttr::default()
    };
    // SAFETY: attr is a valid, fully initialised bpf_attr prefix of the
    // size passed; the pointers in it reference `frame`, `out` and `ctx`,
    // which outlive the call, with the sizes given.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_TEST_RUN,
            &mut attr as *mut TestAttr,
            std::mem::size_of::<TestAttr>() as u32,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    out.truncate(attr.data_size_out as usize);
    Ok((attr.retval, out))
}

const BPF_FS_MAGIC: i64 = 0xcafe4a11;

/// Whether `dir` is on a bpffs.
pub(crate) fn is_bpffs(dir: &Path) -> bool {
    let Ok(c) = CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    let mut st: libc::statfs = unsafe_zeroed_statfs();
    // SAFETY: `c` is a NUL-terminated path and `st` a valid statfs buffer.
    let rc = unsafe { libc::statfs(c.as_ptr(), &mut st) };
    // f_type is i64 on x86_64 and narrower elsewhere.
    #[allow(clippy::unnecessary_cast)]
    let ty = st.f_type as i64;
    rc == 0 && ty == BPF_FS_MAGIC
}

fn unsafe_zeroed_statfs() -> libc::statfs {
    // SAFETY: statfs is plain integers; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

/// CLOCK_MONOTONIC in nanoseconds: the clock of `bpf_ktime_get_ns`, which
/// stamps the sessions.
pub(crate) fn monotonic_ns() -> io::Result<u64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

/// Mounts a bpffs on `dir`.
pub(crate) fn mount_bpffs(dir: &Path) -> io::Result<()> {
    let target = CString::new(dir.as_os_str().as_encoded_bytes()).map_err(io::Error::other)?;
    let fstype = c"bpf";
    // SAFETY: all strings are NUL-terminated and live across the call;
    // no data argument.
    let rc = unsafe {
        libc::mount(
            fstype.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Blocks every signal for the calling thread until dropped. The verifier
/// abandons a long verification with EAGAIN when a signal is pending for
/// the loading thread; blocked, a signal waits (or goes to another thread).
pub(crate) struct SignalsBlocked(libc::sigset_t);

impl SignalsBlocked {
    pub(crate) fn new() -> io::Result<SignalsBlocked> {
        // SAFETY: sigset_t is plain data; sigfillset initialises it, and
        // pthread_sigmask writes the previous mask into `old`.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut old);
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            Ok(SignalsBlocked(old))
        }
    }
}

impl Drop for SignalsBlocked {
    fn drop(&mut self) {
        // SAFETY: restores the mask saved by `new` on this thread.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut());
        }
    }
}
