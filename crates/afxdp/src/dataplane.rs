// SPDX-License-Identifier: Apache-2.0
//! Starting and stopping the whole thing: shim, sockets, workers.

use std::ffi::CString;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use xdpilone::{IfInfo, Socket, SocketConfig, UmemConfig};

use crate::abi;
use crate::error::{errno, Error};
use crate::processor::Processor;
use crate::shim::HostAdmission;
use crate::shim::{ShimCounters, XdpAttach, XdpAttachedMode};
use crate::sys::{self, Area};
use crate::worker::{Port, SharedStats, Sizes, Worker, WorkerStats};
use crate::Shim;

/// One data interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceConfig {
    /// Its name in the current network namespace.
    pub name: String,
    /// Send traffic for the box's own addresses to the workers too, instead
    /// of straight to the kernel.
    pub redirect_host: bool,
}

impl InterfaceConfig {
    /// An interface whose host-bound traffic goes to the kernel.
    pub fn new(name: impl Into<String>) -> InterfaceConfig {
        InterfaceConfig {
            name: name.into(),
            redirect_host: false,
        }
    }
}

/// What [`Dataplane::start`] sets up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The data interfaces.
    pub interfaces: Vec<InterfaceConfig>,
    /// The box's own addresses (address, prefix length), host-bound.
    pub local_addrs: Vec<(IpAddr, u8)>,
    /// What the kernel gets of the traffic for those addresses; `None`:
    /// everything.
    pub host: Option<HostAdmission>,
    /// Where the shim's maps are pinned; must be on a bpffs.
    pub pin_dir: PathBuf,
    /// Remove the pins when the dataplane stops (tests; xpfd keeps them).
    pub unpin_on_drop: bool,
    /// How to attach XDP.
    pub xdp_attach: XdpAttach,
    /// UMEM frame size: a power of two, 2048 or 4096.
    pub frame_size: u32,
    /// Entries in each fill, completion, RX and TX ring (a power of two).
    pub ring_size: u32,
    /// Frames per worker UMEM; 0 means "2 × ring_size per interface".
    pub frames_per_worker: u32,
    /// Frames per RX batch.
    pub batch: u32,
    /// Queues to serve per interface; None reads the interface's RX queue
    /// count from sysfs.
    pub queues: Option<u32>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            interfaces: Vec::new(),
            local_addrs: Vec::new(),
            host: None,
            pin_dir: PathBuf::from("/sys/fs/bpf/xpf"),
            unpin_on_drop: false,
            xdp_attach: XdpAttach::Auto,
            frame_size: 4096,
            ring_size: 1024,
            frames_per_worker: 0,
            batch: 64,
            queues: None,
        }
    }
}

/// How one interface ended up being served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Its name.
    pub name: String,
    /// Its ifindex.
    pub ifindex: u32,
    /// Queues served (one socket each, one per worker).
    pub queues: u32,
    /// Where the XDP program runs.
    pub xdp_mode: XdpAttachedMode,
    /// Whether its sockets run zero-copy (false: copy mode).
    pub zero_copy: bool,
}

struct WorkerHandle<P> {
    queue: u32,
    stats: Arc<SharedStats>,
    thread: Option<JoinHandle<P>>,
}

/// The running AF_XDP dataplane. Dropping it stops the workers and detaches
/// the XDP program; [`Dataplane::stop`] does the same and hands back the
/// processors.
pub struct Dataplane<P: Processor + 'static> {
    workers: Vec<WorkerHandle<P>>,
    stop: Arc<AtomicBool>,
    interfaces: Vec<InterfaceInfo>,
    // Dropped after the workers are joined (see Drop), which closes the
    // sockets before the program is detached.
    shim: Shim,
}

impl<P: Processor + 'static> std::fmt::Debug for Dataplane<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataplane")
            .field("interfaces", &self.interfaces)
            .field("workers", &self.workers.len())
            .finish_non_exhaustive()
    }
}

fn rx_queue_count(name: &str) -> Result<u32, Error> {
    let n = sys::rx_queues(name).map_err(|source| Error::Interface {
        name: name.into(),
        source,
    })?;
    Ok(n.unwrap_or(1).max(1))
}

/// The ifindex of `name` in the calling thread's network namespace.
fn ifindex(name: &str) -> Result<u32, Error> {
    let cname =
        CString::new(name).map_err(|_| Error::Config(format!("bad interface name {name:?}")))?;
    let mut info = IfInfo::invalid();
    info.from_name(&cname).map_err(|e| Error::Interface {
        name: name.into(),
        source: errno(e),
    })?;
    Ok(info.ifindex())
}

impl<P: Processor + 'static> Dataplane<P> {
    /// Loads the shim, binds a socket per (interface, queue), attaches XDP
    /// and starts one worker per queue index, each with a processor from
    /// `make_processor(queue)`, called only once every socket is bound and
    /// every interface attached.
    ///
    /// Runs in the caller's network namespace: interface names, sockets and
    /// attachments all resolve there.
    pub fn start(
        config: Config,
        mut make_processor: impl FnMut(u32) -> P,
    ) -> Result<Dataplane<P>, Error> {
        if config.interfaces.is_empty() {
            return Err(Error::Config("no interfaces".into()));
        }
        if config.interfaces.len() > abi::MAX_IFACES as usize {
            return Err(Error::Config(format!(
                "at most {} interfaces",
                abi::MAX_IFACES
            )));
        }
        if !matches!(config.frame_size, 2048 | 4096) {
            return Err(Error::Config(format!(
                "frame_size {} is not 2048 or 4096",
                config.frame_size
            )));
        }
        if !config.ring_size.is_power_of_two() || config.batch == 0 {
            return Err(Error::Config(
                "ring_size must be a power of two and batch non-zero".into(),
            ));
        }

        let mut shim = Shim::load(&config.pin_dir, config.unpin_on_drop)?;
        shim.set_local_addrs(&config.local_addrs)?;
        if let Some(host) = &config.host {
            shim.set_host_admission(host)?;
        }

        struct Iface {
            name: String,
            ifindex: u32,
            queues: u32,
            redirect_host: bool,
            zero_copy: bool,
        }
        let mut ifaces = Vec::new();
        for ic in &config.interfaces {
            let queues = match config.queues {
                Some(q) => q,
                None => rx_queue_count(&ic.name)?,
            }
            .min(abi::MAX_QUEUES);
            ifaces.push(Iface {
                name: ic.name.clone(),
                ifindex: ifindex(&ic.name)?,
                queues,
                redirect_host: ic.redirect_host,
                zero_copy: true,
            });
        }

        let n_workers = ifaces.iter().map(|i| i.queues).max().unwrap_or(1);
        let epoch = Instant::now();
        // Each queue's sockets and UMEM; its processor joins them only once
        // nothing else can fail, so a failed start gives none away (a
        // restart hands over processors that carry live sessions).
        let mut unborn = Vec::new();
        for q in 0..n_workers {
            let members: Vec<usize> = (0..ifaces.len())
                .filter(|&i| ifaces[i].queues > q)
                .collect();
            let frames = if config.frames_per_worker > 0 {
                config.frames_per_worker
            } else {
                2 * config.ring_size * members.len() as u32
            };
            let bytes = frames as usize * config.frame_size as usize;
            let area = Area::new(bytes).map_err(|source| Error::Umem { bytes, source })?;
            let umem_cfg = UmemConfig {
                fill_size: config.ring_size,
                complete_size: config.ring_size,
                frame_size: config.frame_size,
                headroom: 0,
                flags: 0,
            };
            let first = &ifaces[members[0]];
            let umem = area.register(umem_cfg).map_err(|e| Error::Socket {
                iface: first.name.clone(),
                queue: q,
                step: "umem",
                source: errno(e),
            })?;
            let mut ports = Vec::new();
            for (k, &i) in members.iter().enumerate() {
                let iface = &mut ifaces[i];
                let sock_err = |step: &'static str| {
                    let name = iface.name.clone();
                    move |e: xdpilone::Errno| Error::Socket {
                        iface: name,
                        queue: q,
                        step,
                        source: errno(e),
                    }
                };
                let cname = CString::new(iface.name.clone())
                    .map_err(|_| Error::Config(format!("bad interface name {:?}", iface.name)))?;
                let mut info = IfInfo::invalid();
                info.from_name(&cname).map_err(sock_err("ifinfo"))?;
                info.set_queue(q);
                // The first port lives on the UMEM's own socket; the others
                // share the UMEM (XDP_SHARED_UMEM) with their own fill and
                // completion rings, as the kernel requires across devices.
                let sock = if k == 0 {
                    Socket::with_shared(&info, &umem).map_err(sock_err("socket"))?
                } else {
                    Socket::new(&info).map_err(sock_err("socket"))?
                };
                let dq = umem.fq_cq(&sock).map_err(sock_err("fq_cq"))?;
                let ring = std::num::NonZeroU32::new(config.ring_size);
                let user = umem
                    .rx_tx(
                        &sock,
                        &SocketConfig {
                            rx_size: ring,
                            tx_size: ring,
                            // No copy/zero-copy flag: the kernel picks
                            // zero-copy when the driver supports it. Sockets
                            // sharing the UMEM may pass no flags at all
                            // (EINVAL): they inherit need-wakeup and the
                            // copy mode from the UMEM's first socket.
                            bind_flags: if k == 0 {
                                SocketConfig::XDP_BIND_NEED_WAKEUP
                            } else {
                                0
                            },
                        },
                    )
                    .map_err(sock_err("rx_tx"))?;
                let rx = user.map_rx().map_err(sock_err("map_rx"))?;
                let tx = user.map_tx().map_err(sock_err("map_tx"))?;
                umem.bind(&user).map_err(sock_err("bind"))?;
                let fd = user.as_raw_fd();
                let zc = sys::is_zero_copy(fd).unwrap_or(false);
                iface.zero_copy &= zc;
                shim.set_xsk(i as u32, q, fd)?;
                let (fill, comp) = dq.into_parts();
                ports.push(Port::new(iface.ifindex, fd, user, rx, tx, fill, comp));
            }
            unborn.push((q, ports, umem, area));
        }

        let mut infos = Vec::new();
        for (slot, iface) in ifaces.iter().enumerate() {
            let host_any = config
                .host
                .as_ref()
                .is_none_or(|h| h.any.contains(&iface.ifindex));
            shim.set_iface(iface.ifindex, slot as u32, iface.redirect_host, host_any)?;
            let mode = match shim.attach(&iface.name, iface.ifindex, config.xdp_attach) {
                Ok(m) => m,
                Err(e) => {
                    let _ = shim.clear_iface(iface.ifindex);
                    return Err(e);
                }
            };
            tracing::info!(
                iface = %iface.name,
                queues = iface.queues,
                xdp = ?mode,
                zero_copy = iface.zero_copy,
                "AF_XDP dataplane attached"
            );
            infos.push(InterfaceInfo {
                name: iface.name.clone(),
                ifindex: iface.ifindex,
                queues: iface.queues,
                xdp_mode: mode,
                zero_copy: iface.zero_copy,
            });
        }

        let sizes = Sizes {
            frame_size: config.frame_size,
            fill_target: config.ring_size,
            batch: config.batch,
        };
        let workers: Vec<Worker<P>> = unborn
            .into_iter()
            .map(|(q, ports, umem, area)| {
                Worker::new(q, ports, umem, area, sizes, make_processor(q), epoch)
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let mut dp = Dataplane {
            workers: Vec::new(),
            stop: stop.clone(),
            interfaces: infos,
            shim,
        };
        for w in workers {
            let queue = w.queue;
            let stats = w.stats();
            let stop = stop.clone();
            let thread = std::thread::Builder::new()
                .name(format!("xpf-afxdp-q{queue}"))
                .spawn(move || w.run(&stop))
                .map_err(|source| Error::Spawn {
                    worker: queue as usize,
                    source,
                })?;
            dp.workers.push(WorkerHandle {
                queue,
                stats,
                thread: Some(thread),
            });
        }
        Ok(dp)
    }

    /// How each interface is served.
    pub fn interfaces(&self) -> &[InterfaceInfo] {
        &self.interfaces
    }

    /// Per-worker counters and frame accounting.
    pub fn stats(&self) -> Vec<WorkerStats> {
        self.workers
            .iter()
            .map(|w| w.stats.snapshot(w.queue))
            .collect()
    }

    /// The shim's verdict counters.
    pub fn shim_counters(&self) -> Result<ShimCounters, Error> {
        self.shim.counters()
    }

    /// The shim.
    pub fn shim(&self) -> &Shim {
        &self.shim
    }

    /// The shim, to change the local-address set while running.
    pub fn shim_mut(&mut self) -> &mut Shim {
        &mut self.shim
    }

    /// Queues whose worker has died (a panic) while the dataplane runs:
    /// nothing serves them until it stops.
    pub fn dead_workers(&self) -> Vec<u32> {
        if self.stop.load(Ordering::Relaxed) {
            return Vec::new();
        }
        self.workers
            .iter()
            .filter(|w| w.thread.as_ref().is_some_and(|t| t.is_finished()))
            .map(|w| w.queue)
            .collect()
    }

    /// Stops the workers (draining in-flight TX), detaches XDP, and returns
    /// each worker's processor with its final counters. A worker that
    /// panicked is left out and logged.
    pub fn stop(mut self) -> Vec<(P, WorkerStats)> {
        self.halt()
    }

    fn halt(&mut self) -> Vec<(P, WorkerStats)> {
        self.stop.store(true, Ordering::Relaxed);
        let mut out = Vec::new();
        for w in &mut self.workers {
            let Some(t) = w.thread.take() else { continue };
            match t.join() {
                Ok(p) => out.push((p, w.stats.snapshot(w.queue))),
                Err(_) => tracing::error!(queue = w.queue, "AF_XDP worker panicked"),
            }
        }
        // Stop redirecting before the program goes, so nothing is sent to
        // the now closed sockets in between (they would fall back anyway).
        for i in &self.interfaces {
            let _ = self.shim.clear_iface(i.ifindex);
        }
        out
    }
}

impl<P: Processor + 'static> Drop for Dataplane<P> {
    fn drop(&mut self) {
        self.halt();
    }
}
