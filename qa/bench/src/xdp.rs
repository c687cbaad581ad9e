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

static OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/bench_xdp.o"));

/// Frame length on the wire without FCS: 64-byte frames.
pub const FRAME_LEN: usize = 60;
/// First UDP destination port; flows use `BASE_PORT..BASE_PORT + flows`.
pub const BASE_PORT: u16 = 10000;

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

pub(crate) fn parse_mac(s: &str) -> anyhow::Result<[u8; 6]> {
    let mut mac = [0u8; 6];
    let parts: Vec<&str> = s.split(':').collect();
    anyhow::ensure!(parts.len() == 6, "bad MAC {s}");
    for (m, h) in mac.iter_mut().zip(parts) {
        *m = u8::from_str_radix(h, 16)?;
    }
    Ok(mac)
}

/// Ethernet + IPv4 + UDP header of the generated frames.
fn template(src_mac: [u8; 6], dst_mac: [u8; 6], src: [u8; 4], dst: [u8; 4]) -> [u8; 42] {
    let mut h = [0u8; 42];
    h[0..6].copy_from_slice(&dst_mac);
    h[6..12].copy_from_slice(&src_mac);
    h[12..14].copy_from_slice(&0x0800u16.to_be_bytes());
    let ip = &mut h[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((FRAME_LEN - 14) as u16).to_be_bytes());
    ip[8] = 64; // TTL
    ip[9] = 17; // UDP
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let mut sum: u32 = ip
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    ip[10..12].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    let udp = &mut h[34..42];
    udp[0..2].copy_from_slice(&4000u16.to_be_bytes());
    udp[2..4].copy_from_slice(&BASE_PORT.to_be_bytes());
    udp[4..6].copy_from_slice(&((FRAME_LEN - 34) as u16).to_be_bytes());
    h
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

/// `xpf-bench xdp-gen DEV SRC_MAC DST_MAC SRC_IP DST_IP FLOWS`: transmits
/// 64-byte UDP frames out of DEV as fast as the kernel takes them, until killed.
pub fn gen(args: &[String]) -> anyhow::Result<()> {
    let [dev, smac, dmac, sip, dip, flows] = args else {
        anyhow::bail!("usage: xdp-gen DEV SRC_MAC DST_MAC SRC_IP DST_IP FLOWS");
    };
    let sip: std::net::Ipv4Addr = sip.parse()?;
    let dip: std::net::Ipv4Addr = dip.parse()?;
    let flows: u32 = flows.parse()?;
    let tmpl = template(
        parse_mac(smac)?,
        parse_mac(dmac)?,
        sip.octets(),
        dip.octets(),
    );
    let mut ebpf = EbpfLoader::new()
        .override_global("TEMPLATE", &tmpl, true)
        .override_global("FLOWS", &flows, true)
        .override_global("BASE_PORT", &BASE_PORT, true)
        .load(OBJECT)?;
    load(&mut ebpf, "bench_gen")?;
    let p: &Xdp = ebpf.program("bench_gen").context("bench_gen")?.try_into()?;
    let fd = p.fd()?.as_fd().as_raw_fd();
    let mut frame = [0u8; FRAME_LEN];
    frame[..42].copy_from_slice(&tmpl);
    // struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex
    let ctx: [u32; 6] = [0, FRAME_LEN as u32, 0, ifindex(dev)?, 0, 0];
    loop {
        let mut attr = TestRunAttr {
            prog_fd: fd as u32,
            data_size_in: FRAME_LEN as u32,
            data_in: frame.as_ptr() as u64,
            repeat: 1 << 20,
            ctx_size_in: std::mem::size_of_val(&ctx) as u32,
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
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(e).context("BPF_PROG_TEST_RUN (live frames)");
            }
        }
    }
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
