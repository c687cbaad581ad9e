// SPDX-License-Identifier: Apache-2.0
//! The forwarding benchmark's generators and how one is chosen. Both send
//! the same 64-byte UDP frames (60 B without FCS) out of the generator's
//! veth, `FLOWS` destination ports from [`BASE_PORT`]:
//! - live frames: `bpf/bench_xdp.c`'s `bench_gen` run by
//!   `BPF_PROG_TEST_RUN` with `BPF_F_TEST_XDP_LIVE_FRAMES` (`xdp.rs`), the
//!   kernel's batch XDP transmit path;
//! - AF_PACKET: a `PACKET_TX_RING` with `PACKET_QDISC_BYPASS`
//!   (`txring.rs`), for kernels that refuse live frames (6.18.44-fc-v1300
//!   answers EPERM). Each frame is a linear skb (`PACKET_VNET_HDR`
//!   asks for the whole frame in the linear part), still charged to the
//!   generator's socket. Sent straight
//!   into the generator's veth, the firewall's CPU would pay for that: the
//!   socket's destructor and the skb's free on every packet, and in the
//!   XDP modes a copy of every skb into an XDP buffer. So by default the
//!   frames go into a second veth pair in the generator namespace whose
//!   far end redirects them at XDP into the generator's veth: the
//!   generator's CPU pays for the copy, and the firewall receives XDP
//!   frames, as from live frames.
//!
//! The harness probes live frames with one test run and falls back to
//! AF_PACKET on any refusal, and to AF_PACKET without the relay if the
//! relay does not attach; `XPF_BENCH_GEN=live|packet|packet-direct`
//! forces one.

use std::net::Ipv4Addr;

use anyhow::Context;

use crate::txring::{Status, TxRing, VNET_HDR_LEN};

/// Frame length on the wire without FCS: 64-byte frames.
pub const FRAME_LEN: usize = 60;
/// First UDP destination port; flows use `BASE_PORT..BASE_PORT + flows`.
pub const BASE_PORT: u16 = 10000;
/// Offset of the UDP destination port in the frame.
const DPORT_AT: usize = 36;

/// Which generator sends the benchmark's traffic.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Generator {
    /// `BPF_PROG_TEST_RUN` with `BPF_F_TEST_XDP_LIVE_FRAMES`.
    Live,
    /// AF_PACKET TX ring with `PACKET_QDISC_BYPASS`, through the XDP
    /// redirect relay.
    Packet,
    /// The same, straight into the generator's veth.
    PacketDirect,
}

impl Generator {
    /// Short name: the `XPF_BENCH_GEN` value and the JSON's `generator`.
    pub fn name(self) -> &'static str {
        match self {
            Generator::Live => "live",
            Generator::Packet => "packet",
            Generator::PacketDirect => "packet-direct",
        }
    }

    /// What the output's header says.
    pub fn label(self) -> &'static str {
        match self {
            Generator::Live => "XDP live frames (BPF_PROG_TEST_RUN)",
            Generator::Packet => {
                "AF_PACKET TX ring (TPACKET_V2, qdisc bypass) through an XDP redirect relay"
            }
            Generator::PacketDirect => {
                "AF_PACKET TX ring (TPACKET_V2, qdisc bypass) straight into the generator's veth"
            }
        }
    }

    /// The `xpf-bench` subcommand that runs it in the generator namespace.
    pub fn subcommand(self) -> &'static str {
        match self {
            Generator::Live => "xdp-gen",
            Generator::Packet | Generator::PacketDirect => "packet-gen",
        }
    }

    /// `XPF_BENCH_GEN`'s value, if set.
    pub fn forced() -> anyhow::Result<Option<Generator>> {
        match std::env::var("XPF_BENCH_GEN") {
            Err(_) => Ok(None),
            Ok(v) => match v.trim() {
                "" => Ok(None),
                "live" => Ok(Some(Generator::Live)),
                "packet" => Ok(Some(Generator::Packet)),
                "packet-direct" => Ok(Some(Generator::PacketDirect)),
                other => {
                    anyhow::bail!("XPF_BENCH_GEN={other}: expected live, packet or packet-direct")
                }
            },
        }
    }
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
pub(crate) fn template(src_mac: [u8; 6], dst_mac: [u8; 6], src: [u8; 4], dst: [u8; 4]) -> [u8; 42] {
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

/// The generators' common arguments: `DEV SRC_MAC DST_MAC SRC_IP DST_IP FLOWS`.
pub(crate) struct Args {
    pub dev: String,
    pub header: [u8; 42],
    pub flows: u32,
}

impl Args {
    pub fn parse(args: &[String], usage: &str) -> anyhow::Result<Args> {
        let [dev, smac, dmac, sip, dip, flows] = args else {
            anyhow::bail!("usage: {usage} DEV SRC_MAC DST_MAC SRC_IP DST_IP FLOWS");
        };
        let sip: Ipv4Addr = sip.parse()?;
        let dip: Ipv4Addr = dip.parse()?;
        let flows: u32 = flows.parse()?;
        anyhow::ensure!(
            (1..=u32::from(u16::MAX - BASE_PORT)).contains(&flows),
            "FLOWS {flows} out of range"
        );
        Ok(Args {
            dev: dev.clone(),
            header: template(
                parse_mac(smac)?,
                parse_mac(dmac)?,
                sip.octets(),
                dip.octets(),
            ),
            flows,
        })
    }
}

/// Frame slots in the TX ring.
const RING_FRAMES: usize = 1024;
/// Frames one `send` flushes at most, as the live-frames generator's
/// batch. The kernel (PREEMPT_NONE here) does not preempt a `send` that
/// walks the whole ring, and for that long the sink's NAPI thread on the
/// same CPU cannot run: the firewall's veth then drops most of what it
/// forwarded into the sink's full ring.
const BATCH: usize = 64;

/// `xpf-bench packet-gen DEV SRC_MAC DST_MAC SRC_IP DST_IP FLOWS`: the
/// AF_PACKET generator. Fills up to [`BATCH`] free slots of the TX ring
/// (template written once per slot, then only the destination port),
/// flushes them with one `send`, and again, until killed. A full veth
/// ring makes the kernel drop or refuse frames: that is expected at full
/// rate and never fatal.
pub fn packet(args: &[String]) -> anyhow::Result<()> {
    let a = Args::parse(args, "packet-gen")?;
    let ifindex = crate::xdp::ifindex(&a.dev)?;
    let off = VNET_HDR_LEN;
    let mut ring = TxRing::open(ifindex, RING_FRAMES).context("AF_PACKET TX ring")?;
    anyhow::ensure!(ring.max_len() >= off + FRAME_LEN, "ring slots too small");
    let n = ring.frames();
    for i in 0..n {
        let d = ring.data(i).context("fresh ring slot not available")?;
        d[..off + FRAME_LEN].fill(0);
        // struct virtio_net_hdr, little-endian: no checksum offload, no
        // GSO, hdr_len the whole frame, so the skb is linear.
        d[2..4].copy_from_slice(&(FRAME_LEN as u16).to_le_bytes());
        d[off..off + 42].copy_from_slice(&a.header);
    }
    // xorshift32: a cheap spread over the ports, as bench_gen's
    // bpf_get_prandom_u32 gives.
    let mut rng: u32 = 0x9e37_79b9;
    let mut next = 0usize;
    let mut refused = 0u64;
    loop {
        let mut queued = 0;
        while queued < BATCH {
            match ring.status(next) {
                Status::Pending => break,
                Status::WrongFormat => {
                    refused += 1;
                    anyhow::ensure!(
                        refused < 1_000_000,
                        "the kernel refuses the frames (TP_STATUS_WRONG_FORMAT)"
                    );
                    ring.reclaim(next);
                }
                Status::Available => {}
            }
            let port = if a.flows > 1 {
                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                BASE_PORT + (rng % a.flows) as u16
            } else {
                BASE_PORT
            };
            if let Some(d) = ring.data(next) {
                d[off + DPORT_AT..off + DPORT_AT + 2].copy_from_slice(&port.to_be_bytes());
            }
            if ring.queue(next, off + FRAME_LEN) {
                queued += 1;
            }
            next = (next + 1) % n;
        }
        match ring.flush() {
            Ok(()) => {}
            // A full peer ring or a signal: what was not sent stays
            // queued and goes with the next flush.
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ENOBUFS | libc::EAGAIN | libc::EINTR | libc::ENOMEM)
                ) => {}
            Err(e) => return Err(e).context("send on the TX ring"),
        }
        if queued == 0 {
            // Everything still pending: let the kernel catch up.
            std::thread::yield_now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(flows: &str) -> Vec<String> {
        [
            "g0",
            "02:00:00:00:01:02",
            "02:00:00:00:01:01",
            "10.0.1.2",
            "10.0.2.2",
            flows,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    #[test]
    fn the_frame_is_udp_to_the_base_port_with_a_valid_ip_checksum() {
        let a = Args::parse(&args("1000"), "t").expect("valid arguments");
        let h = a.header;
        assert_eq!(&h[0..6], &[2, 0, 0, 0, 1, 1], "destination MAC first");
        assert_eq!(u16::from_be_bytes([h[12], h[13]]), 0x0800);
        let ip = &h[14..34];
        let mut sum: u32 = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        assert_eq!(sum, 0xffff, "header checksum verifies");
        assert_eq!(
            usize::from(u16::from_be_bytes([ip[2], ip[3]])) + 14,
            FRAME_LEN
        );
        assert_eq!(
            u16::from_be_bytes([h[DPORT_AT], h[DPORT_AT + 1]]),
            BASE_PORT
        );
        assert_eq!(a.flows, 1000);
    }

    #[test]
    fn flows_must_fit_the_port_range() {
        assert!(Args::parse(&args("0"), "t").is_err());
        assert!(Args::parse(&args("60000"), "t").is_err());
        assert!(Args::parse(&args("1"), "t").is_ok());
    }
}
