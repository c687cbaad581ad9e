// SPDX-License-Identifier: Apache-2.0
//! `xpf-bench afxdp-forward IN OUT DST_MAC SRC_MAC`: the limit of AF_XDP
//! on this machine, as mode (d) is XDP's. xpf's own AF_XDP machinery (the
//! shim, one worker per queue, the same rings and batch) runs with the
//! static L2 forwarder in place of the pipeline: everything from IN goes
//! out of OUT with new MACs and a TTL decrement. What xpf AF_XDP (c) costs
//! above this is the pipeline's; what this costs is the kernel's copy-mode
//! RX and TX on veth, which no AF_XDP dataplane avoids there.

use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::Context;
use xpf_afxdp::{Config, Dataplane, InterfaceConfig, L2Forwarder, L2Route};

use crate::gen::parse_mac;
use crate::xdp::ifindex;

pub fn forward(args: &[String]) -> anyhow::Result<()> {
    let [inp, out, dmac, smac] = args else {
        anyhow::bail!("usage: afxdp-forward IN OUT DST_MAC SRC_MAC");
    };
    let any: IpAddr = "0.0.0.0".parse().context("address")?;
    let routes = vec![L2Route {
        prefix: any,
        prefix_len: 0,
        egress_ifindex: ifindex(out)?,
        src_mac: parse_mac(smac)?,
        dst_mac: parse_mac(dmac)?,
    }];
    // `ip netns exec` gives the helper a sysfs of its own, without bpffs.
    let pin_dir = PathBuf::from(format!("/sys/fs/bpf/xpf-bench-{}", std::process::id()));
    xpf_ebpf_loader::ensure_bpffs(&pin_dir)?;
    let config = Config {
        interfaces: vec![InterfaceConfig::new(inp), InterfaceConfig::new(out)],
        pin_dir,
        unpin_on_drop: true,
        ..Config::default()
    };
    let _dp = Dataplane::start(config, move |_| L2Forwarder::new(routes.clone()))
        .context("starting AF_XDP with the L2 forwarder")?;
    println!("attached");
    loop {
        std::thread::park();
    }
}
