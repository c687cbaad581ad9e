// SPDX-License-Identifier: Apache-2.0
//! The benchmark's XDP side, run as subcommands of `xpf-bench` inside a
//! namespace (`ip netns exec`): the generator (`bpf/bench_xdp.c`'s
//! `bench_gen` driven by `BPF_PROG_TEST_RUN` with live frames) and the
//! attachments (sink `XDP_DROP`, mode (d)'s bare redirect), which hold
//! their link until the process is killed.
// The bpf(2) test-run call, if_nametoindex and sysconf have no safe wrapper here.
#![allow(unsafe_code)]

use std::os::fd::{AsFd, AsRawFd};

use anyhow::Context;
use aya::programs::{Xdp, XdpMode};
use aya::{include_bytes_aligned, Ebpf, EbpfLoader};

use crate::gen::{parse_mac, Args, BASE_PORT, FRAME_LEN};

static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/bench_xdp.o"));

pub(crate) fn ifindex(name: &str) -> anyhow::Result<u32> {
    let c = std::ffi::CString::new(name)?;
    // SAFETY: a valid NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    anyhow::ensure!(i != 0, "no interface {name}");
    Ok(i)
}

fn load(ebpf: &mut Ebpf, prog: &str) -> anyhow::Result<()> {
    let p: &mut Xdp = ebpf
        .program_mut(prog)
        .with_context(|| format!("program {prog}"))?
        .try_into()?;
    p.load()?;
    Ok(())
}

/// `BPF_PROG_TEST_RUN`'s part of `union bpf_attr`.
#[repr(C)]
#[derive(Default)]
struct TestRunAttr {
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

const BPF_PROG_TEST_RUN: libc::c_long = 10;
const BPF_F_TEST_XDP_LIVE_FRAMES: u32 = 1 << 1;

/// Loads `bench_gen` for `args`' frames: the program, its fd, the
/// first frame and the `xdp_md` context naming DEV as the ingress.
fn load_gen(a: &Args) -> anyhow::Result<(Ebpf, [u8; FRAME_LEN], [u32; 6])> {
    let mut ebpf = EbpfLoader::new()
        .override_global("TEMPLATE", &a.header, true)
        .override_global("FLOWS", &a.flows, true)
        .override_global("BASE_PORT", &BASE_PORT, true)
        .load(OBJECT)?;
    load(&mut ebpf, "bench_gen")?;
    let mut frame = [0u8; FRAME_LEN];
    frame[..42].copy_from_slice(&a.header);
    // struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
    let ctx: [u32; 6] = [0, FRAME_LEN as u32, 0, ifindex(&a.dev)?, 0, 0];
    Ok((ebpf, frame, ctx))
}

/// One `BPF_PROG_TEST_RUN` of `bench_gen` with live frames: `repeat`
/// frames out of the ctx's interface.
fn live_run(
    ebpf: &Ebpf,
    frame: &[u8; FRAME_LEN],
    ctx: &[u32; 6],
    repeat: u32,
) -> std::io::Result<()> {
    let p: &Xdp = ebpf
        .program("bench_gen")
        .ok_or_else(|| std::io::Error::other("no bench_gen"))?
        .try_into()
        .map_err(std::io::Error::other)?;
    let fd = p.fd().map_err(std::io::Error::other)?.as_fd().as_raw_fd();
    let mut attr = TestRunAttr {
        prog_fd: fd as u32,
        data_size_in: FRAME_LEN as u32,
        data_in: frame.as_ptr() as u64,
        repeat,
        ctx_size_in: std::mem::size_of_val(ctx) as u32,
        ctx_in: ctx.as_ptr() as u64,
        flags: BPF_F_TEST_XDP_LIVE_FRAMES,
        batch_size: 64,
        ..Default::default()
    };
    // SAFETY: attr and the buffers it points to outlive the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            BPF_PROG_TEST_RUN,
            &mut attr as *mut TestRunAttr,
            std::mem::size_of::<TestRunAttr>(),
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// `xpf-bench xdp-gen DEV SRC_MAC DST_MAC SRC_IP DST_IP FLOWS`: transmits
/// 64-byte UDP frames out of DEV as fast as the kernel takes them, until killed.
pub fn gen(args: &[String]) -> anyhow::Result<()> {
    let a = Args::parse(args, "xdp-gen")?;
    let (ebpf, frame, ctx) = load_gen(&a)?;
    loop {
        if let Err(e) = live_run(&ebpf, &frame, &ctx, 1 << 20) {
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(e).context("BPF_PROG_TEST_RUN (live frames)");
            }
        }
    }
}

/// `xpf-bench xdp-gen-probe DEV SRC_MAC DST_MAC SRC_IP DST_IP FLOWS`: one
/// live-frames test run sending one frame. Prints `ok`, or `refused: ` and
/// the kernel's answer (program load or test run) on one line.
pub fn probe(args: &[String]) -> anyhow::Result<()> {
    let a = Args::parse(args, "xdp-gen-probe")?;
    let r = load_gen(&a)
        .context("loading bench_gen")
        .and_then(|(ebpf, frame, ctx)| {
            live_run(&ebpf, &frame, &ctx, 1).context("BPF_PROG_TEST_RUN (live frames)")
        });
    match r {
        Ok(()) => println!("ok"),
        Err(e) => println!("refused: {e:#}"),
    }
    Ok(())
}

/// `xpf-bench xdp-attach drop|router DEV` or `xpf-bench xdp-attach
/// redirect DEV TO_DEV DST_MAC SRC_MAC`: attaches and holds until killed.
pub fn attach(args: &[String]) -> anyhow::Result<()> {
    let (prog, dev) = match args {
        [p, d, ..] => (p.as_str(), d.as_str()),
        _ => anyhow::bail!("usage: xdp-attach drop|router|redirect DEV [TO_DEV DST_MAC SRC_MAC]"),
    };
    let mut loader = EbpfLoader::new();
    let to_index;
    let mut macs = [0u8; 12];
    let name = match (prog, &args[2..]) {
        ("drop", []) => "bench_drop",
        ("router", []) => "bench_router",
        ("redirect", [to, dmac, smac]) => {
            to_index = ifindex(to)?;
            macs[..6].copy_from_slice(&parse_mac(dmac)?);
            macs[6..].copy_from_slice(&parse_mac(smac)?);
            loader.override_global("REDIRECT_IFINDEX", &to_index, true);
            loader.override_global("REDIRECT_MACS", &macs, true);
            "bench_redirect"
        }
        _ => anyhow::bail!("usage: xdp-attach drop|router|redirect DEV [TO_DEV DST_MAC SRC_MAC]"),
    };
    let mut ebpf = loader.load(OBJECT)?;
    load(&mut ebpf, name)?;
    let p: &mut Xdp = ebpf.program_mut(name).context("program")?.try_into()?;
    p.attach(dev, XdpMode::Driver)
        .with_context(|| format!("attach {name} to {dev}"))?;
    println!("attached");
    loop {
        std::thread::park();
    }
}

/// Clock ticks per second of /proc/<pid>/stat's utime and stime.
pub fn clk_tck() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as f64 }
}
