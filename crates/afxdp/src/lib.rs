// SPDX-License-Identifier: Apache-2.0
//! xpf's primary dataplane: an XDP shim in front of AF_XDP workers.
//!
//! Data flow (ARCHITECTURE.md, "Packet path"):
//!
//! ```text
//! NIC queue q ─▶ XDP shim (ebpf/xpf_xdp_shim.c)
//!                 ├─ ARP, non-IP, to one of the box's addresses ─▶ XDP_PASS (kernel)
//!                 └─ transit ─▶ xpf_xsks[slot(iface) + q] ─▶ worker q
//! worker q: RX ring ─▶ Processor::process ─▶ Forward / Reply ─▶ TX ring of the
//!           egress interface's queue-q socket (same UMEM: no copy) ─▶ completion ─▶ free list
//! ```
//!
//! Main types: [`Dataplane`] (start, stats, stop), [`Config`], the
//! [`Processor`] seam the pipeline plugs into with its [`Action`]s, the
//! [`Shim`] and its maps, and `L2Forwarder` (feature `l2fwd`), a static
//! router for tests and the benchmark.
//!
//! Threading: worker `q` owns queue `q` of every interface, and one UMEM
//! shared by those sockets (`XDP_SHARED_UMEM` across devices). A frame
//! received on one interface is sent on another by moving its descriptor,
//! with no copy and no lock: each worker has its own TX queue on every
//! interface, as in DPDK's run-to-completion model. The cost: all
//! interfaces of a worker must be in the same mode (all copy or all
//! zero-copy).
//!
//! ```no_run
//! use xpf_afxdp::{Config, Dataplane, InterfaceConfig, L2Forwarder};
//!
//! let config = Config {
//!     interfaces: vec![InterfaceConfig::new("ge-0-0-0"), InterfaceConfig::new("ge-0-0-1")],
//!     local_addrs: vec![("192.0.2.1".parse()?, 32)],
//!     ..Config::default()
//! };
//! let dp = Dataplane::start(config, |_queue| L2Forwarder::new(vec![]))?;
//! println!("{:?}", dp.stats());
//! for (fwd, stats) in dp.stop() {
//!     println!("{:?} {:?}", fwd.stats(), stats.frames);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod abi;
mod dataplane;
mod error;
#[cfg(feature = "l2fwd")]
mod l2fwd;
mod processor;
mod shim;
mod sys;
mod worker;

pub use abi::{HOST_EITHER, HOST_PORT, NAT_PORTS};
/// A loaded BPF program: the shim's, and the eBPF dataplane's it hands
/// transit to (see [`Shim::set_handoff`]).
pub use aya::programs::ProgramFd;
pub use dataplane::{Config, Dataplane, InterfaceConfig, InterfaceInfo};
pub use error::Error;
#[cfg(feature = "l2fwd")]
pub use l2fwd::{L2Forwarder, L2Route, L2Stats};
pub use processor::{Action, Frame, Processor};
pub use shim::{HostAdmission, Shim, ShimCounters, XdpAttach, XdpAttachedMode};
pub use worker::{FrameAccount, WorkerStats};
