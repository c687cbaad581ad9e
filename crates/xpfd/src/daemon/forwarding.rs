// SPDX-License-Identifier: Apache-2.0
//! The forwarding engine xpfd runs: the AF_XDP dataplane with the pipeline
//! (`xpf-forward`) when `system dataplane-type userspace` and `xpfd run
//! --dataplane afxdp`, or none. Started on the first commit that compiles a
//! snapshot, given each later snapshot, stopped with xpfd. When it cannot
//! start (no root, no AF_XDP) the reason is logged and shown by `show
//! system dataplane`; the box then forwards nothing in userspace.

use std::sync::{Arc, Mutex};

use xpf_afxdp::{Config, Dataplane, InterfaceConfig, InterfaceInfo};
use xpf_dataplane::{InterfaceTable, Snapshot};
use xpf_forward::{Control, ForwardStats, Forwarder, KernelRoute, L2Table, Tables};
use xpf_model::Model;

/// `xpfd run --dataplane`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// The AF_XDP dataplane.
    Afxdp,
    /// No userspace forwarding: plain Linux interfaces.
    None,
}

struct Running {
    dp: Dataplane<Forwarder>,
    tables: Arc<Tables>,
    stats: Vec<Arc<ForwardStats>>,
}

/// See the module docs.
pub struct Forwarding {
    engine: Engine,
    running: Mutex<Option<Running>>,
    why_not: Mutex<String>,
    /// The workers' session tables and counters.
    pub control: Arc<Control>,
}

impl Forwarding {
    /// Nothing runs until the first commit.
    pub fn new(engine: Engine) -> Forwarding {
        let why = match engine {
            Engine::Afxdp => "not started: no configuration committed yet",
            Engine::None => "none: xpfd runs with --dataplane none",
        };
        Forwarding {
            engine,
            running: Mutex::new(None),
            why_not: Mutex::new(why.into()),
            control: Arc::new(Control::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Running>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A commit compiled `snapshot`: swap it in, or start on the data
    /// interfaces (`names`: Linux names of the configured physical
    /// interfaces that are up).
    pub fn commit(
        &self,
        model: &Model,
        snapshot: Arc<Snapshot>,
        table: &InterfaceTable,
        names: Vec<String>,
    ) {
        let mut running = self.lock();
        if let Some(r) = running.as_ref() {
            r.tables.snapshot.publish(snapshot);
            return;
        }
        if self.engine != Engine::Afxdp {
            return;
        }
        if model.system.dataplane_type != xpf_model::system::DataplaneType::Userspace {
            *self.why_not.lock().unwrap_or_else(|e| e.into_inner()) =
                "none: system dataplane-type is not userspace".into();
            return;
        }
        if names.is_empty() {
            *self.why_not.lock().unwrap_or_else(|e| e.into_inner()) =
                "not started: no configured physical interface is up".into();
            return;
        }
        let local_addrs = table
            .entries()
            .iter()
            .flat_map(|e| {
                e.addresses
                    .iter()
                    .map(|p| (p.addr, if p.addr.is_ipv6() { 128 } else { 32 }))
            })
            .collect();
        let config = Config {
            interfaces: names.iter().map(InterfaceConfig::new).collect(),
            local_addrs,
            ..Config::default()
        };
        if let Err(e) = keep_ephemeral_ports_below_nat() {
            tracing::warn!(
                "{e}: replies to the box's own connections may be taken for NAT traffic"
            );
        }
        if let Err(e) = ensure_bpffs(&config.pin_dir) {
            *self.why_not.lock().unwrap_or_else(|e| e.into_inner()) =
                format!("AF_XDP did not start: {e}");
            tracing::error!("AF_XDP did not start: {e}");
            return;
        }
        let tables = Tables::new(snapshot);
        let mut stats = Vec::new();
        let control = self.control.clone();
        let t = tables.clone();
        let started = Dataplane::start(config, |q| {
            let s = Arc::new(ForwardStats::default());
            stats.push(s.clone());
            Forwarder::new(q, t.clone(), control.register(), s)
        });
        match started {
            Ok(dp) => {
                tracing::info!(interfaces = ?names, "AF_XDP forwarding started");
                *running = Some(Running { dp, tables, stats });
            }
            Err(e) => {
                tracing::error!(
                    "AF_XDP forwarding did not start, nothing is forwarded in userspace: {e}"
                );
                *self.why_not.lock().unwrap_or_else(|e| e.into_inner()) =
                    format!("none: AF_XDP did not start: {e}");
            }
        }
    }

    /// The tables the workers read, while running.
    pub fn tables(&self) -> Option<Arc<Tables>> {
        self.lock().as_ref().map(|r| r.tables.clone())
    }

    /// Publishes what the kernel's tables hold now.
    pub fn refresh(&self, routes: &[KernelRoute], l2: L2Table) {
        if let Some(t) = self.tables() {
            t.fib.publish(Arc::new(xpf_forward::KernelFib::new(routes)));
            t.l2.publish(Arc::new(l2));
        }
    }

    /// How each interface is served, or why nothing is.
    pub fn describe(&self) -> Result<(Vec<InterfaceInfo>, u64), String> {
        match self.lock().as_ref() {
            Some(r) => {
                let missing = r
                    .stats
                    .iter()
                    .map(|s| {
                        s.neighbour_missing
                            .load(std::sync::atomic::Ordering::Relaxed)
                    })
                    .sum();
                Ok((r.dp.interfaces().to_vec(), missing))
            }
            None => Err(self
                .why_not
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()),
        }
    }

    /// Whether workers run.
    pub fn is_running(&self) -> bool {
        self.lock().is_some()
    }

    /// Stops the workers and detaches XDP.
    pub fn stop(&self) {
        if let Some(r) = self.lock().take() {
            drop(r.dp.stop());
        }
    }
}

/// Mounts the BPF filesystem where the pins go when nothing is mounted
/// there (a minimal system may not mount /sys/fs/bpf), and makes the pin
/// directory.
fn ensure_bpffs(pin_dir: &std::path::Path) -> Result<(), String> {
    const BPF_FS_MAGIC: i64 = 0xcafe_4a11;
    let root = std::path::Path::new("/sys/fs/bpf");
    if pin_dir.starts_with(root) {
        let mounted = nix::sys::statfs::statfs(root)
            .map(|s| s.filesystem_type().0 == BPF_FS_MAGIC)
            .unwrap_or(false);
        if !mounted {
            std::fs::create_dir_all(root)
                .map_err(|e| format!("creating {}: {e}", root.display()))?;
            nix::mount::mount(
                Some("bpf"),
                root,
                Some("bpf"),
                nix::mount::MsFlags::empty(),
                None::<&str>,
            )
            .map_err(|e| format!("mounting bpffs on {}: {e}", root.display()))?;
            tracing::info!("mounted the BPF filesystem on {}", root.display());
        }
    }
    std::fs::create_dir_all(pin_dir).map_err(|e| format!("creating {}: {e}", pin_dir.display()))
}

/// Interface source NAT translates to ports `xpf_afxdp::NAT_PORTS`, and the
/// XDP shim sends replies on those ports to the workers; the kernel's own
/// connections must therefore take their ephemeral ports below that range
/// (Linux's default, 32768-60999, already does).
fn keep_ephemeral_ports_below_nat() -> Result<(), String> {
    const PATH: &str = "/proc/sys/net/ipv4/ip_local_port_range";
    let text = std::fs::read_to_string(PATH).map_err(|e| format!("reading {PATH}: {e}"))?;
    let mut it = text
        .split_whitespace()
        .filter_map(|v| v.parse::<u16>().ok());
    let (lo, hi) = (it.next().unwrap_or(32768), it.next().unwrap_or(60999));
    let limit = xpf_afxdp::NAT_PORTS.0 - 1;
    if hi <= limit {
        return Ok(());
    }
    let lo = lo.min(limit - 1024);
    std::fs::write(PATH, format!("{lo} {limit}")).map_err(|e| format!("writing {PATH}: {e}"))?;
    tracing::info!("ephemeral ports set to {lo}-{limit}, below interface NAT's ports");
    Ok(())
}
