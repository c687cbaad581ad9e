// SPDX-License-Identifier: Apache-2.0
//! `system dataplane-type userspace`: AF_XDP on every data interface it
//! can start on, and the eBPF dataplane on the others (issue 6, the
//! per-interface fallback).
//!
//! AF_XDP can fail on one interface and not the others: a socket that
//! will not bind (a queue another program holds, a driver without
//! AF_XDP), an XDP attach the driver refuses. That interface then runs the
//! eBPF program, and the two engines split the flows: a flow that enters
//! and leaves through AF_XDP interfaces is the pipeline's; a flow that
//! touches a fallback interface is the program's, both ways, since no
//! AF_XDP socket can carry it there. The AF_XDP shim hands each transit
//! frame to the program first, which keeps its own flows and hands the
//! others back (`ebpf/dataplane/handoff.h`). Both engines judge by one
//! snapshot, and the show commands read both.
//!
//! A worker that dies still hands the whole box to eBPF (`Forwarding::
//! check_workers`): its queue is dark on every interface.
//!
//! A commit that adds or removes a data interface restarts AF_XDP on the
//! new set ([`Userspace::start`] with the engines running now): each worker's sessions carry over, so
//! established flows pause for the restart and go on.

use std::path::Path;
use std::sync::Arc;

use xpf_dataplane::{InterfaceTable, Snapshot};
use xpf_forward::Control;

use super::ebpf::{self, Attachment};
use super::{afxdp, kernel_forwarding, DataInterface};

/// An interface AF_XDP could not start on.
#[derive(Debug, Clone)]
pub struct LeftOut {
    /// The interface, and how the eBPF program runs there or why not.
    pub attachment: Attachment,
    /// Why AF_XDP did not start there.
    pub why: String,
}

/// AF_XDP, and the eBPF dataplane where AF_XDP could not start.
pub struct Userspace {
    /// The AF_XDP engine.
    pub afxdp: afxdp::Running,
    /// The interfaces AF_XDP serves.
    served: Vec<DataInterface>,
    /// The interfaces it could not start on, and why.
    left_out: Vec<(DataInterface, String)>,
    /// The eBPF dataplane on those, while it runs.
    pub ebpf: Option<Box<ebpf::Running>>,
    /// Why it does not run there (transit there is dropped).
    ebpf_error: Option<String>,
}

impl Userspace {
    /// AF_XDP on as many of `ifaces` as it can start on, the eBPF
    /// dataplane on the rest; why not, when AF_XDP can start nowhere.
    ///
    /// `previous`, the engines running now on another set of interfaces (a
    /// commit added or removed one): AF_XDP stops and starts again with its
    /// sessions carried over; the eBPF fallback starts anew where needed
    /// (its own sessions do not carry over).
    pub fn start(
        snapshot: Arc<Snapshot>,
        table: &InterfaceTable,
        ifaces: &[DataInterface],
        control: &Arc<Control>,
        pin_dir: &Path,
        previous: Option<Userspace>,
    ) -> Result<Userspace, xpf_afxdp::Error> {
        let previous = previous.map(|mut u| {
            u.stop_fallback();
            u.afxdp
        });
        let names: Vec<String> = ifaces.iter().map(|i| i.name.clone()).collect();
        let (afxdp, not_started) =
            afxdp::Running::start(snapshot.clone(), table, &names, control, pin_dir, previous)?;
        Ok(Userspace::assemble(
            afxdp,
            &not_started,
            ifaces,
            &snapshot,
            pin_dir,
        ))
    }

    /// Whether it runs on exactly `ifaces` (either engine, or neither).
    pub fn runs_on(&self, ifaces: &[DataInterface]) -> bool {
        super::same_interfaces(self.interfaces(), ifaces.to_vec())
    }

    /// AF_XDP as started, and the eBPF fallback on what it left out.
    fn assemble(
        afxdp: afxdp::Running,
        not_started: &[afxdp::NotStarted],
        ifaces: &[DataInterface],
        snapshot: &Arc<Snapshot>,
        pin_dir: &Path,
    ) -> Userspace {
        let (mut served, mut left_out) = (Vec::new(), Vec::new());
        for i in ifaces {
            match not_started.iter().find(|(n, _)| *n == i.name) {
                Some((_, why)) => left_out.push((i.clone(), why.clone())),
                None => served.push(i.clone()),
            }
        }
        let mut u = Userspace {
            afxdp,
            served,
            left_out,
            ebpf: None,
            ebpf_error: None,
        };
        if !u.left_out.is_empty() {
            u.start_fallback(snapshot, pin_dir);
        }
        u
    }

    /// The eBPF dataplane on the interfaces left out, joined to the shim.
    fn start_fallback(&mut self, snapshot: &Arc<Snapshot>, pin_dir: &Path) {
        let names: Vec<&str> = self.left_out.iter().map(|(i, _)| i.name.as_str()).collect();
        let why = format!("AF_XDP did not start on {}", names.join(", "));
        // The two engines pass frames to each other by tail calls.
        if let Some(refused) = super::kernel().refuses(xpf_ebpf_loader::kernel::Need::Handoff) {
            self.fallback_failed(format!("it cannot share the box with AF_XDP: {refused}"));
            return;
        }
        let mut e = match ebpf::Running::prepare(snapshot, Some(why.clone()), pin_dir) {
            Ok(e) => e,
            Err(err) => {
                self.fallback_failed(err.to_string());
                return;
            }
        };
        let served: Vec<u32> = self.served.iter().map(|i| i.ifindex).collect();
        let joined = (|| -> Result<(), JoinError> {
            let shim = self.afxdp.shim_program()?;
            e.share_with_afxdp(&served, Some(&shim))?;
            let prog = e.program()?;
            Ok(self.afxdp.hand_off(Some(&prog))?)
        })();
        if let Err(err) = joined {
            let _ = self.afxdp.hand_off(None);
            e.stop();
            self.fallback_failed(format!("joining it to AF_XDP: {err}"));
            return;
        }
        // The program's route lookups for frames from AF_XDP interfaces
        // need the kernel's forwarding on there. The kernel still forwards
        // nothing: the shim hands it only traffic for the box.
        for i in &self.served {
            let on = kernel_forwarding::set_ipv4(&i.name, true)
                .and_then(|()| kernel_forwarding::set_ipv6(&i.name, true));
            if let Err(err) = on {
                tracing::error!(interface = %i.name, "flows to the eBPF fallback's interfaces cannot be routed from here: {err}");
            }
        }
        let left: Vec<DataInterface> = self.left_out.iter().map(|(i, _)| i.clone()).collect();
        e.attach_to(&left);
        tracing::warn!(interfaces = ?names, "eBPF forwarding started as the fallback there: {why}");
        self.ebpf = Some(Box::new(e));
    }

    fn fallback_failed(&mut self, why: String) {
        tracing::error!("the eBPF fallback did not start: {why}; transit traffic on the interfaces AF_XDP left out is dropped");
        let left: Vec<&String> = self.left_out.iter().map(|(i, _)| &i.name).collect();
        kernel_forwarding::close_all(left);
        self.ebpf_error = Some(why);
    }

    /// Makes `snapshot` live on both engines. A snapshot the eBPF program
    /// cannot run stops the fallback (its interfaces fail closed): it must
    /// not forward by a configuration other than the one committed.
    pub fn publish(&mut self, snapshot: Arc<Snapshot>, table: &InterfaceTable) {
        if let Some(e) = &mut self.ebpf {
            if let Err(err) = e.apply(&snapshot) {
                self.stop_fallback();
                self.fallback_failed(err.to_string());
            }
        }
        self.afxdp.publish(snapshot, table);
    }

    /// Takes the eBPF program off the interfaces left out, failing closed
    /// there, and off the shim's path.
    fn stop_fallback(&mut self) {
        let Some(e) = self.ebpf.take() else { return };
        if let Err(err) = self.afxdp.hand_off(None) {
            tracing::error!("AF_XDP shim: the eBPF fallback not taken off its path: {err}");
        }
        kernel_forwarding::close_all(self.served.iter().map(|i| &i.name));
        e.stop();
    }

    /// Every data interface, served by either engine or neither.
    pub fn interfaces(&self) -> Vec<DataInterface> {
        self.served
            .iter()
            .chain(self.left_out.iter().map(|(i, _)| i))
            .cloned()
            .collect()
    }

    /// The interfaces AF_XDP left out, and how each is served instead.
    pub fn left_out(&self) -> Vec<LeftOut> {
        self.left_out
            .iter()
            .map(|(iface, why)| {
                let result = match (&self.ebpf, &self.ebpf_error) {
                    (Some(e), _) => e
                        .attachments
                        .iter()
                        .find(|a| a.iface == *iface)
                        .map_or_else(|| Err("not attached".to_string()), |a| a.result.clone()),
                    (None, Some(err)) => Err(err.clone()),
                    (None, None) => Err("not started".to_string()),
                };
                LeftOut {
                    attachment: Attachment {
                        iface: iface.clone(),
                        result,
                    },
                    why: why.clone(),
                }
            })
            .collect()
    }

    /// A deliberate stop: both engines, failing closed.
    pub fn stop(mut self) {
        self.stop_fallback();
        self.afxdp.stop();
    }

    /// xpfd exits: AF_XDP stops with it; the eBPF program stays on the
    /// interfaces AF_XDP left out, forwarding the flows between them, for
    /// the next xpfd to take over.
    pub fn leave(mut self) {
        if let Some(mut e) = self.ebpf.take() {
            let _ = self.afxdp.hand_off(None);
            kernel_forwarding::close_all(self.served.iter().map(|i| &i.name));
            if let Err(err) = e.share_with_afxdp(&[], None) {
                tracing::warn!("eBPF fallback: {err}");
            }
            e.leave();
        }
        self.afxdp.stop();
    }
}

/// Why the eBPF fallback could not be joined to the AF_XDP shim.
#[derive(Debug, thiserror::Error)]
enum JoinError {
    #[error(transparent)]
    Afxdp(#[from] xpf_afxdp::Error),
    #[error(transparent)]
    Ebpf(#[from] xpf_ebpf_loader::Error),
}
