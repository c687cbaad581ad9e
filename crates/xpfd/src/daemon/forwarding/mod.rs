// SPDX-License-Identifier: Apache-2.0
//! The forwarding engine xpfd runs (issue 6), chosen on each commit:
//!
//! - `system dataplane-type userspace` (the default): the AF_XDP dataplane
//!   with the pipeline (`afxdp`). Where it cannot start on an interface,
//!   xpfd falls back, loudly, to the eBPF dataplane there, and the two
//!   engines share the box (`userspace`); where it can start nowhere, or
//!   a worker dies (its queue is dark on every interface), the eBPF
//!   dataplane takes the whole box. `show system dataplane` says which
//!   runs where, and why.
//! - `system dataplane-type ebpf`: the eBPF dataplane (`ebpf`), attached
//!   to every data interface that is up.
//!
//! Either starts on the first commit with a data interface up; later
//! commits give it their snapshot, and a change of `dataplane-type` stops
//! one and starts the other. Where no dataplane runs on a data interface,
//! the kernel's forwarding is off there (`kernel_forwarding`): transit
//! traffic is dropped, never routed unchecked. `xpfd run --dataplane none`
//! leaves forwarding, and the kernel's switches, alone (and so whatever an
//! earlier xpfd left pinned).
//!
//! Restart (issue 6): when xpfd exits, by SIGTERM or killed, the eBPF
//! dataplane stays attached through its pinned links, forwarding on its
//! pinned session table with the configuration it had, and the kernel's
//! forwarding switches stay as they are. The next xpfd's first commit loads
//! the new program with the pinned sessions (`xpf-ebpf-loader` starts fresh
//! ones, and says so, when their layout changed), fills its configuration,
//! and swaps it into each link in place. A deliberate stop (a change of
//! `dataplane-type`, no data interface left) fails closed and detaches; so
//! does starting AF_XDP over what an earlier xpfd left pinned, since the
//! hook is the eBPF program's until then. AF_XDP itself stops with xpfd.

mod afxdp;
mod ebpf;
mod ebpf_views;
mod kernel_forwarding;
mod neighbours;
mod userspace;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use xpf_afxdp::InterfaceInfo;
use xpf_dataplane::engine::Engine;
use xpf_dataplane::{Counters, InterfaceTable, Record, Snapshot};
use xpf_dataplane::{SessionFilter, SessionView};
use xpf_ebpf_loader::kernel::{KernelSupport, Need};
use xpf_forward::{Control, KernelRoute, L2Table, Tables};
use xpf_model::system::DataplaneType;
use xpf_model::Model;

pub use ebpf::{Attachment, StartError};
pub use userspace::LeftOut;

/// What this kernel lets the engines do, probed once (at start, from
/// [`Forwarding::new`]): an engine the kernel refuses is not started, and
/// `show system dataplane` says what was refused.
pub fn kernel() -> &'static KernelSupport {
    static KERNEL: OnceLock<KernelSupport> = OnceLock::new();
    KERNEL.get_or_init(|| {
        let k = KernelSupport::probe();
        for line in k.refused_lines() {
            tracing::warn!("BPF feature unavailable: {line}");
        }
        k
    })
}

/// `xpfd run --dataplane`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DataplaneMode {
    /// xpf forwards: AF_XDP workers running the pipeline, or the eBPF
    /// dataplane (`system dataplane-type`).
    Afxdp,
    /// No userspace forwarding.
    None,
}

/// Why nothing runs while no data interface is up.
const NONE_UP: &str = "not started: no configured physical interface is up";

/// A data interface: a configured physical interface that is up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataInterface {
    /// Its Linux name.
    pub name: String,
    /// Its kernel ifindex.
    pub ifindex: u32,
}

enum State {
    /// Nothing forwards; why.
    Stopped(String),
    Afxdp(userspace::Userspace),
    Ebpf(ebpf::Running),
}

impl State {
    /// The engines running, AF_XDP first (with the eBPF fallback beside it
    /// where it shares the box).
    fn engines(&self) -> Vec<&dyn Engine> {
        match self {
            State::Afxdp(u) => {
                let mut all: Vec<&dyn Engine> = vec![&u.afxdp];
                all.extend(u.ebpf.as_deref().map(|e| e as &dyn Engine));
                all
            }
            State::Ebpf(r) => vec![r],
            State::Stopped(_) => Vec::new(),
        }
    }

    /// [`State::engines`], to change them.
    fn engines_mut(&mut self) -> Vec<&mut dyn Engine> {
        match self {
            State::Afxdp(u) => {
                let mut all: Vec<&mut dyn Engine> = vec![&mut u.afxdp];
                all.extend(u.ebpf.as_deref_mut().map(|e| e as &mut dyn Engine));
                all
            }
            State::Ebpf(r) => vec![r],
            State::Stopped(_) => Vec::new(),
        }
    }

    /// The eBPF dataplane, on the whole box or as the fallback on some
    /// interfaces.
    fn ebpf_mut(&mut self) -> Option<&mut ebpf::Running> {
        match self {
            State::Ebpf(r) => Some(r),
            State::Afxdp(u) => u.ebpf.as_deref_mut(),
            State::Stopped(_) => None,
        }
    }
}

/// What `show system dataplane` reports.
pub enum Status {
    /// AF_XDP forwards on these interfaces, the eBPF dataplane on those
    /// it left out.
    Afxdp {
        /// Where AF_XDP runs.
        interfaces: Vec<InterfaceInfo>,
        /// Packets dropped waiting for a neighbour.
        missing: u64,
        /// Where AF_XDP could not start, and what runs there instead.
        left_out: Vec<LeftOut>,
    },
    /// The eBPF dataplane runs; `fallback` says why it, not AF_XDP.
    Ebpf {
        /// Each data interface, attached or why not.
        interfaces: Vec<Attachment>,
        /// `None` when configured; else why AF_XDP did not start.
        fallback: Option<String>,
        /// The generation of the snapshot it runs.
        generation: u64,
    },
    /// Nothing forwards; why.
    Stopped(String),
}

/// See the module docs.
pub struct Forwarding {
    engine: DataplaneMode,
    /// Where the dataplanes pin (bpffs).
    pin_dir: PathBuf,
    state: Mutex<State>,
    /// The AF_XDP workers' session tables and counters.
    control: Arc<Control>,
}

impl Forwarding {
    /// Nothing runs until the first commit.
    pub fn new(engine: DataplaneMode, pin_dir: PathBuf) -> Forwarding {
        let why = match engine {
            DataplaneMode::Afxdp => "not started: no configuration committed yet",
            DataplaneMode::None => {
                "none: xpfd runs with --dataplane none; interfaces are plain Linux interfaces"
            }
        };
        if engine == DataplaneMode::Afxdp {
            kernel();
        }
        Forwarding {
            engine,
            pin_dir,
            state: Mutex::new(State::Stopped(why.into())),
            control: Arc::new(Control::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A commit compiled `snapshot`: swap it in, or start (or switch) the
    /// dataplane `model` asks for on the data interfaces (`names`: Linux
    /// names of the configured physical interfaces that are up). An error
    /// refuses the commit; the running dataplane is then as it was.
    pub fn commit(
        &self,
        model: &Model,
        snapshot: Arc<Snapshot>,
        table: &InterfaceTable,
        names: Vec<String>,
    ) -> Result<(), ebpf::StartError> {
        if self.engine == DataplaneMode::None {
            return Ok(());
        }
        if let Err(e) = kernel_forwarding::ipv6_off() {
            tracing::error!("cannot stop the kernel forwarding IPv6: {e}");
        }
        if let Err(e) = kernel_forwarding::ignore_router_advertisements(&names) {
            tracing::error!("cannot stop the kernel taking router advertisements: {e}");
        }
        let ifaces = data_interfaces(&names);
        let want = model.system.dataplane_type;
        let mut state = self.lock();
        match (&mut *state, want) {
            (State::Afxdp(u), DataplaneType::Userspace) if u.runs_on(&ifaces) => {
                u.publish(snapshot, table);
                return Ok(());
            }
            // A data interface came or went: AF_XDP starts again on the
            // new set, its sessions kept.
            (State::Afxdp(_), DataplaneType::Userspace) if !ifaces.is_empty() => {
                if let State::Afxdp(u) =
                    std::mem::replace(&mut *state, State::Stopped("restarting".into()))
                {
                    *state = self.start_userspace(snapshot, table, &names, &ifaces, Some(u));
                }
                return Ok(());
            }
            // A fallback stays one until the mode changes or xpfd restarts:
            // retrying AF_XDP on every commit would blink the box each time.
            (State::Ebpf(r), DataplaneType::Ebpf)
            | (
                State::Ebpf(
                    r @ ebpf::Running {
                        fallback: Some(_), ..
                    },
                ),
                DataplaneType::Userspace,
            ) => {
                match r.apply(&snapshot) {
                    Ok(()) => {
                        r.attach_to(&ifaces);
                        return Ok(());
                    }
                    Err(e @ ebpf::StartError::Refused(_)) if r.fallback.is_none() => return Err(e),
                    Err(e) => {
                        // The fallback cannot enforce what the operator
                        // configured for AF_XDP: stop it, fail closed.
                        let why = format!(
                            "none: {}; the eBPF fallback stopped: {e}; transit traffic is dropped",
                            r.fallback.as_deref().unwrap_or("")
                        );
                        tracing::error!("{why}");
                        if let State::Ebpf(r) = std::mem::replace(&mut *state, State::Stopped(why))
                        {
                            r.stop();
                        }
                        kernel_forwarding::close_all(&names);
                        return Ok(());
                    }
                }
            }
            _ => {}
        }
        if ifaces.is_empty() {
            self.stop_locked(&mut state);
            ebpf::release_leftovers(&self.pin_dir);
            *state = State::Stopped(NONE_UP.into());
            return Ok(());
        }
        // Ready before the old one stops: a refused snapshot leaves the
        // running dataplane alone.
        let prepared = match want {
            DataplaneType::Ebpf => match ebpf::Running::prepare(&snapshot, None, &self.pin_dir) {
                Err(e @ ebpf::StartError::Refused(_)) => return Err(e),
                other => Some(other),
            },
            DataplaneType::Userspace => None,
        };
        self.stop_locked(&mut state);
        *state = match prepared {
            Some(Ok(mut r)) => {
                r.attach_to(&ifaces);
                tracing::info!(interfaces = ?names, "eBPF forwarding started (system dataplane-type ebpf)");
                State::Ebpf(r)
            }
            Some(Err(e)) => {
                let why = format!("none: {e}; transit traffic is dropped");
                tracing::error!("{why}");
                kernel_forwarding::close_all(&names);
                // What an earlier xpfd left would enforce a configuration
                // this one no longer runs.
                ebpf::release_leftovers(&self.pin_dir);
                State::Stopped(why)
            }
            None => self.start_userspace(snapshot, table, &names, &ifaces, None),
        };
        Ok(())
    }

    /// AF_XDP (with the eBPF dataplane on the interfaces it cannot start
    /// on), or the eBPF dataplane when AF_XDP can start nowhere, or nothing
    /// (failing closed) when neither can. `running`: the AF_XDP engine
    /// that runs now, on other interfaces; its sessions carry over.
    fn start_userspace(
        &self,
        snapshot: Arc<Snapshot>,
        table: &InterfaceTable,
        names: &[String],
        ifaces: &[DataInterface],
        running: Option<userspace::Userspace>,
    ) -> State {
        // AF_XDP forwards itself; the kernel must not, on any of them.
        kernel_forwarding::close_all(names);
        // The XDP hook is the eBPF program's while an earlier xpfd's link
        // holds it (forwarding closed just above).
        if running.is_none() {
            ebpf::release_leftovers(&self.pin_dir);
        }
        let started = match kernel().refuses(Need::Afxdp) {
            Some(why) => Err(why),
            None => userspace::Userspace::start(
                snapshot.clone(),
                table,
                ifaces,
                &self.control,
                &self.pin_dir,
                running,
            )
            .map_err(|e| e.to_string()),
        };
        let afxdp_error = match started {
            Ok(u) => {
                tracing::info!(interfaces = ?names, "AF_XDP forwarding started");
                return State::Afxdp(u);
            }
            Err(e) => format!("AF_XDP did not start: {e}"),
        };
        tracing::error!("{afxdp_error}; falling back to the eBPF dataplane");
        match ebpf::Running::prepare(&snapshot, Some(afxdp_error.clone()), &self.pin_dir) {
            Ok(mut r) => {
                r.attach_to(ifaces);
                tracing::warn!(interfaces = ?names, "eBPF forwarding started as the fallback: {afxdp_error}");
                State::Ebpf(r)
            }
            Err(e) => {
                let why = format!(
                    "none: {afxdp_error}; the eBPF fallback did not start either: {e}; transit traffic is dropped"
                );
                tracing::error!("{why}");
                State::Stopped(why)
            }
        }
    }

    fn stop_locked(&self, state: &mut State) {
        match std::mem::replace(state, State::Stopped("stopped".into())) {
            State::Afxdp(u) => u.stop(),
            State::Ebpf(r) => r.stop(),
            State::Stopped(why) => *state = State::Stopped(why),
        }
    }

    /// The tables the AF_XDP workers read, while they run.
    pub fn tables(&self) -> Option<Arc<Tables>> {
        match &*self.lock() {
            State::Afxdp(u) => Some(u.afxdp.tables.clone()),
            _ => None,
        }
    }

    /// Publishes what the kernel's tables hold now (AF_XDP reads its own
    /// copy; the eBPF program asks the kernel directly).
    pub fn refresh(&self, routes: &[KernelRoute], l2: L2Table) {
        if let Some(t) = self.tables() {
            t.fib.publish(Arc::new(xpf_forward::KernelFib::new(routes)));
            t.l2.publish(Arc::new(l2));
        }
    }

    /// The session log records the running dataplane made since the last
    /// call, and how many it lost; `snap` names those of the eBPF
    /// dataplane (without it they wait for the next call).
    pub fn take_flow_log(&self, snap: Option<&Snapshot>) -> (Vec<Record>, u64) {
        match &mut *self.lock() {
            State::Afxdp(u) => {
                let (mut records, mut lost) = u.afxdp.tables.take_flow_log();
                if let (Some(e), Some(snap)) = (&mut u.ebpf, snap) {
                    let (more, more_lost) = e.take_flow_log(snap);
                    records.extend(more);
                    lost += more_lost;
                }
                (records, lost)
            }
            State::Ebpf(r) => match snap {
                Some(snap) => r.take_flow_log(snap),
                None => (Vec::new(), 0),
            },
            State::Stopped(_) => (Vec::new(), 0),
        }
    }

    /// When an AF_XDP worker has died (a panic), the queue it served is
    /// dark on every interface: falls back to the eBPF dataplane for the
    /// whole box, as when AF_XDP cannot start, and says why; or fails
    /// closed when that cannot start either.
    pub fn check_workers(&self) {
        let mut state = self.lock();
        let State::Afxdp(u) = &*state else { return };
        let Some(dead) = u.afxdp.dead() else { return };
        let snapshot = u.afxdp.snapshot();
        let ifaces = u.interfaces();
        tracing::error!("{dead}; falling back to the eBPF dataplane");
        // The kernel's forwarding stays off: AF_XDP switched it off.
        self.stop_locked(&mut state);
        *state = match ebpf::Running::prepare(&snapshot, Some(dead.clone()), &self.pin_dir) {
            Ok(mut r) => {
                r.attach_to(&ifaces);
                tracing::warn!("eBPF forwarding started as the fallback: {dead}");
                State::Ebpf(r)
            }
            Err(e) => {
                let why = format!(
                    "none: {dead}; the eBPF fallback did not start: {e}; transit traffic is dropped"
                );
                tracing::error!("{why}");
                State::Stopped(why)
            }
        };
    }

    /// Removes the eBPF dataplane's idle sessions (AF_XDP's workers sweep
    /// their own).
    pub fn sweep(&self) {
        if let Some(r) = self.lock().ebpf_mut() {
            r.sweep();
        }
    }

    /// Has the kernel resolve next hops the eBPF dataplane lacks.
    pub fn resolve_neighbours(&self) {
        if let Some(r) = self.lock().ebpf_mut() {
            r.resolve_neighbours();
        }
    }

    /// Which dataplane forwards where, or why none does.
    pub fn status(&self) -> Status {
        match &*self.lock() {
            State::Afxdp(u) => {
                let (interfaces, missing) = u.afxdp.describe();
                Status::Afxdp {
                    interfaces,
                    missing,
                    left_out: u.left_out(),
                }
            }
            State::Ebpf(r) => Status::Ebpf {
                interfaces: r.attachments.clone(),
                fallback: r.fallback.clone(),
                generation: r.generation(),
            },
            State::Stopped(why) => Status::Stopped(why.clone()),
        }
    }

    /// Why nothing forwards, or `Ok` while a dataplane runs.
    pub fn running(&self) -> Result<(), String> {
        match &*self.lock() {
            State::Stopped(why) => Err(why.clone()),
            _ => Ok(()),
        }
    }

    /// Whether the running dataplane is on exactly the data interfaces
    /// `names` (Linux names; ifindexes as the kernel has them now). Where
    /// none runs it is, unless it waits for one to come up: a failed
    /// start is retried by a commit, not by link events.
    pub fn runs_on(&self, names: &[String]) -> bool {
        if self.engine == DataplaneMode::None {
            return true;
        }
        let want = data_interfaces(names);
        match &*self.lock() {
            State::Afxdp(u) => u.runs_on(&want),
            State::Ebpf(r) => same_interfaces(
                r.attachments.iter().map(|a| a.iface.clone()).collect(),
                want,
            ),
            State::Stopped(why) => why != NONE_UP || want.is_empty(),
        }
    }

    /// Whether a dataplane runs.
    pub fn is_running(&self) -> bool {
        self.running().is_ok()
    }

    /// The sessions matching `filter`, by id, from every engine running;
    /// `snap` names policies, zones and NAT rules.
    pub fn sessions(&self, filter: &SessionFilter, snap: Option<&Snapshot>) -> Vec<SessionView> {
        match snap {
            Some(snap) => xpf_dataplane::engine::sessions_of(self.lock().engines(), filter, snap),
            None => Vec::new(),
        }
    }

    /// Removes the sessions matching `filter` in every engine; how many went.
    pub fn clear(&self, filter: &SessionFilter, snap: Option<&Snapshot>) -> usize {
        let Some(snap) = snap else { return 0 };
        let mut state = self.lock();
        state
            .engines_mut()
            .into_iter()
            .map(|e| e.clear(filter, snap))
            .sum()
    }

    /// The running engines' counters, summed.
    pub fn counters(&self) -> Counters {
        xpf_dataplane::engine::counters_of(self.lock().engines())
    }

    /// xpfd exits: the eBPF dataplane keeps forwarding for the next xpfd
    /// to take over; AF_XDP, which lives in this process, stops (failing
    /// closed where it ran).
    pub fn shutdown(&self) {
        let mut state = self.lock();
        match std::mem::replace(&mut *state, State::Stopped("xpfd stopped".into())) {
            State::Ebpf(r) => r.leave(),
            State::Afxdp(u) => u.leave(),
            State::Stopped(_) => {}
        }
    }
}

/// Whether two lists hold the same interfaces, in any order.
fn same_interfaces(mut a: Vec<DataInterface>, mut b: Vec<DataInterface>) -> bool {
    a.sort_by(|x, y| x.name.cmp(&y.name));
    b.sort_by(|x, y| x.name.cmp(&y.name));
    a == b
}

/// Kernel ifindexes of the data interfaces; one that vanished in between
/// is left out (the next commit sees it again if it comes back).
fn data_interfaces(names: &[String]) -> Vec<DataInterface> {
    names
        .iter()
        .filter_map(|n| {
            let ifindex = nix::net::if_::if_nametoindex(n.as_str()).ok()?;
            Some(DataInterface {
                name: n.clone(),
                ifindex,
            })
        })
        .collect()
}
