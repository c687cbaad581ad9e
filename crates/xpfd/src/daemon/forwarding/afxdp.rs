// SPDX-License-Identifier: Apache-2.0
//! The AF_XDP dataplane with the pipeline (`xpf-forward`): started on the
//! data interfaces, given each later snapshot, stopped with xpfd.

use std::collections::HashMap;
use std::sync::Arc;

use xpf_afxdp::{Config, Dataplane, HostAdmission, InterfaceConfig, InterfaceInfo};
use xpf_dataplane::engine::{Engine, EngineKind, Refused};
use xpf_dataplane::{Counters, DropReason, InterfaceTable, SessionFilter, SessionView, Snapshot};
use xpf_forward::{Control, ForwardStats, Forwarder, Tables};

use super::kernel_forwarding::SysctlError;

/// The box's own addresses, as host routes.
fn local_addrs(table: &InterfaceTable) -> Vec<(std::net::IpAddr, u8)> {
    table
        .entries()
        .iter()
        .flat_map(|e| {
            e.addresses
                .iter()
                .map(|p| (p.addr, if p.addr.is_ipv6() { 128 } else { 32 }))
        })
        .collect()
}

/// host-inbound-traffic for the shim, compiled as the eBPF dataplane
/// compiles it (one layout, one meaning: the pipeline's).
fn host_admission(snapshot: &Snapshot) -> HostAdmission {
    let (any, rules) = xpf_ebpf_loader::host_admission(&snapshot.export());
    HostAdmission { any, rules }
}

/// The running AF_XDP engine.
pub struct Running {
    dp: Dataplane<Forwarder>,
    /// What the workers read: snapshot, FIB, neighbours.
    pub tables: Arc<Tables>,
    stats: Vec<Arc<ForwardStats>>,
    /// The way to the workers' session tables.
    control: Arc<Control>,
}

/// An interface AF_XDP could not start on: its Linux name, and why.
pub type NotStarted = (String, String);

impl Running {
    /// Starts workers on as many of `names` (Linux names) as it can, with
    /// `snapshot`: an interface whose own step fails (a socket that will
    /// not bind, an XDP attach refused) is left out, with why, and the
    /// rest start without it. Fails only when no interface can run it.
    ///
    /// `previous`, the engine running now on another set of interfaces (a
    /// commit added or removed one), is stopped first, and each queue's
    /// forwarder moves to the new worker of that queue: its sessions carry
    /// over, so established flows go on (without a SYN) once the new
    /// sockets are bound; the tables (FIB, neighbours) are kept too.
    pub fn start(
        snapshot: Arc<Snapshot>,
        table: &InterfaceTable,
        names: &[String],
        control: &Arc<Control>,
        pin_dir: &std::path::Path,
        previous: Option<Running>,
    ) -> Result<(Running, Vec<NotStarted>), xpf_afxdp::Error> {
        let (tables, mut kept) = match previous {
            Some(Running { dp, tables, .. }) => {
                let kept = dp.stop().into_iter().map(|(f, _)| (f.queue(), f)).collect();
                tables.snapshot.publish(snapshot);
                (tables, kept)
            }
            None => (Tables::new(snapshot), HashMap::new()),
        };
        let mut serve = names.to_vec();
        let mut left_out = Vec::new();
        loop {
            let e = match Running::start_on(&tables, &mut kept, table, &serve, control, pin_dir) {
                Ok(r) => return Ok((r, left_out)),
                Err(e) => e,
            };
            match e.interface().map(str::to_owned) {
                Some(name) if serve.len() > 1 && serve.contains(&name) => {
                    tracing::error!(interface = %name, "AF_XDP cannot run here: {e}");
                    serve.retain(|n| *n != name);
                    left_out.push((name, e.to_string()));
                }
                _ => return Err(e),
            }
        }
    }

    fn start_on(
        tables: &Arc<Tables>,
        kept: &mut HashMap<u32, Forwarder>,
        table: &InterfaceTable,
        names: &[String],
        control: &Arc<Control>,
        pin_dir: &std::path::Path,
    ) -> Result<Running, xpf_afxdp::Error> {
        let snapshot = tables.snapshot.load();
        let config = Config {
            interfaces: names.iter().map(InterfaceConfig::new).collect(),
            local_addrs: local_addrs(table),
            host: Some(host_admission(&snapshot)),
            pin_dir: pin_dir.to_owned(),
            ..Config::default()
        };
        if let Err(e) = keep_ephemeral_ports_below_nat() {
            tracing::warn!(
                "{e}: replies to the box's own connections may be taken for NAT traffic"
            );
        }
        xpf_ebpf_loader::ensure_bpffs(&config.pin_dir)
            .map_err(|e| xpf_afxdp::Error::Config(e.to_string()))?;
        let mut stats = Vec::new();
        // The dataplane asks for processors only once it cannot fail, so
        // a kept forwarder is never lost to a failed attempt.
        let dp = Dataplane::start(config, |q| {
            let f = kept.remove(&q).unwrap_or_else(|| {
                let s = Arc::new(ForwardStats::default());
                Forwarder::new(q, tables.clone(), control.register(), s)
            });
            stats.push(f.stats());
            f
        })?;
        Ok(Running {
            dp,
            tables: tables.clone(),
            stats,
            control: control.clone(),
        })
    }

    /// Hands every transit frame to the eBPF dataplane's `program` first
    /// (the per-interface fallback), or no longer (`None`).
    pub fn hand_off(
        &mut self,
        program: Option<&xpf_afxdp::ProgramFd>,
    ) -> Result<(), xpf_afxdp::Error> {
        self.dp.shim_mut().set_handoff(program)
    }

    /// The shim's hand-back entry, which takes the pipeline's flows back.
    pub fn shim_program(&self) -> Result<xpf_afxdp::ProgramFd, xpf_afxdp::Error> {
        self.dp.shim().handback_fd()
    }

    /// Swaps in a new snapshot, and tells the shim the box's addresses and
    /// host-inbound-traffic as it has them.
    pub fn publish(&mut self, snapshot: Arc<Snapshot>, table: &InterfaceTable) {
        let shim = self.dp.shim_mut();
        if let Err(e) = shim.set_local_addrs(&local_addrs(table)) {
            tracing::error!("AF_XDP shim: the box's addresses not updated: {e}");
        }
        if let Err(e) = shim.set_host_admission(&host_admission(&snapshot)) {
            tracing::error!("AF_XDP shim: host-inbound-traffic not updated: {e}");
        }
        self.tables.snapshot.publish(snapshot);
    }

    /// The interfaces served and the packets dropped waiting for a
    /// neighbour.
    pub fn describe(&self) -> (Vec<InterfaceInfo>, u64) {
        let missing = self
            .stats
            .iter()
            .map(|s| {
                s.neighbour_missing
                    .load(std::sync::atomic::Ordering::Relaxed)
            })
            .sum();
        (self.dp.interfaces().to_vec(), missing)
    }

    /// Adds what the shim dropped before any worker saw it: traffic for
    /// the box that its interface's host-inbound-traffic refuses.
    pub fn add_shim_drops(&self, c: &mut Counters) {
        match self.dp.shim_counters() {
            Ok(s) => c.drops[DropReason::HostInboundDenied as usize] += s.host_denied,
            Err(e) => tracing::warn!("reading the AF_XDP shim's counters: {e}"),
        }
    }

    /// Why it no longer forwards everything, when a worker has died.
    pub fn dead(&self) -> Option<String> {
        let queues = self.dp.dead_workers();
        (!queues.is_empty()).then(|| format!("the AF_XDP worker of queue {queues:?} died"))
    }

    /// The snapshot the workers run.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.tables.snapshot.load()
    }

    /// Stops the workers and detaches XDP.
    pub fn stop(self) {
        drop(self.dp.stop());
    }
}

/// Interface source NAT translates to ports `xpf_afxdp::NAT_PORTS`, and the
/// XDP shim sends replies on those ports to the workers; the kernel's own
/// connections must therefore take their ephemeral ports below that range
/// (Linux's default, 32768-60999, already does). The eBPF dataplane uses
/// the same range.
pub fn keep_ephemeral_ports_below_nat() -> Result<(), SysctlError> {
    const PATH: &str = "/proc/sys/net/ipv4/ip_local_port_range";
    let text = std::fs::read_to_string(PATH).map_err(SysctlError::io("reading", PATH))?;
    let mut it = text
        .split_whitespace()
        .filter_map(|v| v.parse::<u16>().ok());
    let (lo, hi) = (it.next().unwrap_or(32768), it.next().unwrap_or(60999));
    let limit = xpf_afxdp::NAT_PORTS.0 - 1;
    if hi <= limit {
        return Ok(());
    }
    let lo = lo.min(limit - 1024);
    std::fs::write(PATH, format!("{lo} {limit}")).map_err(SysctlError::io("writing", PATH))?;
    tracing::info!("ephemeral ports set to {lo}-{limit}, below interface NAT's ports");
    Ok(())
}

impl Engine for Running {
    fn kind(&self) -> EngineKind {
        EngineKind::Afxdp
    }

    fn apply(
        &mut self,
        snapshot: &Arc<Snapshot>,
        interfaces: &InterfaceTable,
    ) -> Result<(), Refused> {
        self.publish(snapshot.clone(), interfaces);
        Ok(())
    }

    fn sessions(&self, filter: &SessionFilter, _snap: &Snapshot) -> Vec<SessionView> {
        self.control.sessions(filter)
    }

    fn clear(&mut self, filter: &SessionFilter, _snap: &Snapshot) -> usize {
        self.control.clear(filter)
    }

    fn counters(&self) -> Counters {
        let mut c = self.control.counters();
        self.add_shim_drops(&mut c);
        c
    }
}
