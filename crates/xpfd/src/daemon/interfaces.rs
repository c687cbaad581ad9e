// SPDX-License-Identifier: Apache-2.0
//! The interfaces of xpfd's namespace, kept as the active configuration says.
//!
//! The model becomes a list of desired links: Junos names map to Linux
//! names by the rule of `xpf_netlink::linux_name` (`ge-0/0/1` is
//! `ge-0-0-1`, `lo0` is Linux's `lo`); with `vlan-tagging` each unit is a
//! VLAN sub-interface `ge-0-0-1.<unit>`, without it unit 0 is the device.
//! Every apply snapshots first and restores the snapshot if it fails; the
//! snapshot is kept so that a later step of the same commit that fails can
//! [`Interfaces::undo`] it.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::Mutex;
use xpf_model::Model;
use xpf_netlink::{
    junos_name, linux_name, unit_linux_name, Desired, DesiredLink, DesiredRoute, IfAddr,
    ObservedKind, Owner, RouteState, RouteTarget, Snapshot,
};

use super::supervisor::Supervisor;

/// Owns the interfaces of the namespace.
pub struct Interfaces {
    owner: Owner,
    down_unmanaged: bool,
    /// What the last successful apply installed (re-applied on changes).
    desired: Mutex<Option<Desired>>,
    /// How the last successful apply found things: the kernel's state and
    /// the desired state before it.
    before: Mutex<Option<(Snapshot, Option<Desired>)>>,
    /// The static routes installed now, and those before the last apply.
    routes: Mutex<Vec<DesiredRoute>>,
    old_routes: Mutex<Vec<DesiredRoute>>,
}

/// The static routes a model asks for: per route, `discard`/`reject`, the
/// first `next-hop`, or the `qualified-next-hop` of best preference.
pub fn desired_routes(model: &Model) -> Vec<DesiredRoute> {
    let mut out = Vec::new();
    for r in &model.routing.static_routes {
        let target = match (&r.blackhole, r.next_hops.first()) {
            (Some(xpf_model::Blackhole::Discard), _) => RouteTarget::Blackhole,
            (Some(xpf_model::Blackhole::Reject), _) => RouteTarget::Unreachable,
            (None, Some(gw)) => RouteTarget::Via(*gw),
            (None, None) => match r
                .qualified_next_hops
                .iter()
                .filter_map(|q| match q.gateway {
                    xpf_model::Gateway::Address(a) => Some((q.preference.unwrap_or(5), a)),
                    // Commit refuses interface next hops until tunnels land.
                    xpf_model::Gateway::Interface(_) => None,
                })
                .min_by_key(|(preference, _)| *preference)
            {
                Some((_, a)) => RouteTarget::Via(a),
                None => continue,
            },
        };
        let Ok(prefix) = IfAddr::new(r.prefix.addr, r.prefix.len) else {
            continue;
        };
        out.push(DesiredRoute {
            prefix,
            target,
            metric: r.metric.unwrap_or(0),
        });
    }
    out
}

/// Why the interfaces could not be made to match a configuration.
#[derive(Debug, thiserror::Error)]
pub enum InterfacesError {
    /// A Junos name with no Linux name.
    #[error(transparent)]
    Name(#[from] xpf_netlink::NameError),
    /// An address the kernel cannot hold.
    #[error("[edit interfaces {interface} unit {unit}] {source}")]
    Address {
        /// The Junos interface.
        interface: String,
        /// The unit.
        unit: u32,
        /// Why.
        #[source]
        source: xpf_netlink::IfAddrError,
    },
    /// A VLAN unit without its tag.
    #[error("[edit interfaces {interface} unit {unit}] vlan-id is required with vlan-tagging")]
    NoVlanId {
        /// The Junos interface.
        interface: String,
        /// The unit.
        unit: u32,
    },
    /// Reading the kernel's interfaces.
    #[error("reading the interfaces: {0}")]
    Read(#[from] xpf_netlink::NetlinkError),
    /// The kernel refused a change (the error names the interface).
    #[error("interfaces: {0}")]
    Apply(#[from] xpf_netlink::ApplyError),
    /// The kernel refused a static route.
    #[error("[edit routing-options static] {0}")]
    Routes(xpf_netlink::NetlinkError),
}

/// Linux's loopback is `lo`; Junos calls it `lo0`.
fn to_linux(junos: &str) -> Result<String, xpf_netlink::NameError> {
    if junos == "lo0" {
        return Ok("lo".into());
    }
    linux_name(junos)
}

fn to_junos(linux: &str) -> String {
    if linux == "lo" {
        return "lo0".into();
    }
    junos_name(linux)
}

/// The links a model asks for.
pub fn desired(model: &Model, down_unmanaged: bool) -> Result<Desired, InterfacesError> {
    let mut links = Vec::new();
    for ifd in &model.interfaces {
        // Redundant Ethernet and fabric links come with the chassis cluster.
        if ifd.name.starts_with("reth") || ifd.name.starts_with("fab") {
            tracing::info!(interface = %ifd.name, "not applied yet: chassis cluster interfaces arrive with the cluster");
            continue;
        }
        let linux = to_linux(&ifd.name)?;
        let mut phys = DesiredLink::physical(&linux).with_up(!ifd.disable);
        phys.mtu = ifd.mtu;
        phys.alias = ifd.description.clone();
        for unit in &ifd.units {
            let addrs: Vec<IfAddr> = unit
                .inet
                .iter()
                .chain(unit.inet6.iter())
                .flat_map(|f| f.addresses.iter())
                .map(|a| {
                    IfAddr::new(a.prefix.addr, a.prefix.len).map_err(|source| {
                        InterfacesError::Address {
                            interface: ifd.name.clone(),
                            unit: unit.number,
                            source,
                        }
                    })
                })
                .collect::<Result<_, _>>()?;
            if !ifd.vlan_tagging && unit.number == 0 {
                phys.addresses.extend(addrs);
                continue;
            }
            let name = unit_linux_name(&ifd.name, unit.number, ifd.vlan_tagging)?;
            let id = unit.vlan_id.ok_or_else(|| InterfacesError::NoVlanId {
                interface: ifd.name.clone(),
                unit: unit.number,
            })?;
            let mut vlan =
                DesiredLink::vlan(&name, &linux, id).with_up(!ifd.disable && !unit.disable);
            vlan.mtu = unit.mtu;
            vlan.alias = unit.description.clone();
            vlan.addresses = addrs;
            links.push(vlan);
        }
        links.insert(0, phys);
    }
    // The loopback is always up with its loopback addresses (plus any lo0 ones).
    let lo = match links.iter().position(|l| l.name == "lo") {
        Some(i) => links.remove(i),
        None => DesiredLink::physical("lo"),
    };
    let mut lo = lo.with_up(true);
    let loopback = [
        IfAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), 8),
        IfAddr::new(std::net::Ipv6Addr::LOCALHOST.into(), 128),
    ];
    for a in loopback.into_iter().flatten() {
        if !lo.addresses.contains(&a) {
            lo.addresses.push(a);
        }
    }
    links.insert(0, lo);
    Ok(Desired {
        links,
        down_unmanaged,
    })
}

/// The out-of-band management port: addressed by the configuration, never
/// forwarded through, never in a zone.
pub const MANAGEMENT: &str = "fxp0";

impl Interfaces {
    /// Takes the namespace's interfaces.
    pub async fn new(down_unmanaged: bool) -> anyhow::Result<Interfaces> {
        Ok(Interfaces {
            owner: Owner::new()?,
            down_unmanaged,
            desired: Mutex::new(None),
            before: Mutex::new(None),
            routes: Mutex::new(Vec::new()),
            old_routes: Mutex::new(Vec::new()),
        })
    }

    /// Makes the interfaces match `model`; on error they are as before.
    pub async fn apply(&self, model: &Model) -> Result<(), InterfacesError> {
        let want = desired(model, self.down_unmanaged)?;
        let before = self.owner.snapshot().await?;
        match self.owner.apply(&want).await {
            Ok(report) => {
                tracing::debug!("interfaces: {report}");
                if let Err(e) = self.apply_routes(&desired_routes(model)).await {
                    if let Err(r) = self.owner.restore(&before).await {
                        tracing::error!("restoring interfaces after a failed apply: {r}");
                    }
                    let old_routes = self.routes.lock().await.clone();
                    let _ = self.apply_routes(&old_routes).await;
                    return Err(InterfacesError::Routes(e));
                }
                let old = self.desired.lock().await.replace(want);
                *self.before.lock().await = Some((before, old));
                Ok(())
            }
            Err(e) => {
                if let Err(r) = self.owner.restore(&before).await {
                    tracing::error!("restoring interfaces after a failed apply: {r}");
                }
                *self.before.lock().await = None;
                Err(e.into())
            }
        }
    }

    /// Installs the static routes; records them for `reapply` and `undo`.
    async fn apply_routes(&self, want: &[DesiredRoute]) -> Result<(), xpf_netlink::NetlinkError> {
        let report = self.owner.apply_routes(want).await?;
        for p in &report.unreachable {
            tracing::warn!(route = %p, "static route not installed: its next hop is not on a connected network");
        }
        let mut routes = self.routes.lock().await;
        let old = std::mem::replace(&mut *routes, want.to_vec());
        *self.old_routes.lock().await = old;
        Ok(())
    }

    /// The kernel's interfaces as the dataplane compiler needs them: each
    /// Junos unit name with its ifindex and addresses.
    pub async fn table(&self) -> xpf_dataplane::InterfaceTable {
        let mut table = xpf_dataplane::InterfaceTable::new();
        let Ok(snap) = self.owner.snapshot().await else {
            return table;
        };
        for l in &snap.links {
            let junos = to_junos(&l.name);
            let unit = if junos.contains('.') {
                junos
            } else {
                format!("{junos}.0")
            };
            let prefixes = l
                .addresses
                .iter()
                .filter_map(|a| xpf_model::prefix::Prefix::parse(&a.to_string()))
                .collect();
            table.insert(l.index, &unit, prefixes);
        }
        table
    }

    /// The kernel's main routing table, each route with the Junos name of
    /// its egress unit (`ge-0/0/1.0`).
    pub async fn route_table(&self) -> Vec<(RouteState, Option<String>)> {
        let names = self.unit_names().await;
        let routes = self.owner.routes().await.unwrap_or_default();
        routes
            .into_iter()
            .map(|r| {
                let name = r.oif.and_then(|i| names.get(&i).cloned());
                (r, name)
            })
            .collect()
    }

    /// Puts the interfaces back as the last successful apply found them
    /// (a later step of the commit failed). Once; later calls do nothing.
    pub async fn undo(&self) {
        let Some((snapshot, old)) = self.before.lock().await.take() else {
            return;
        };
        *self.desired.lock().await = old;
        if let Err(e) = self.owner.restore(&snapshot).await {
            tracing::error!("restoring interfaces: {e}");
        }
        let old_routes = self.old_routes.lock().await.clone();
        if let Err(e) = self.apply_routes(&old_routes).await {
            tracing::error!("restoring routes: {e}");
        }
    }

    /// Re-applies the last installed state (after a change behind our back).
    async fn reapply(&self) {
        let Some(want) = self.desired.lock().await.clone() else {
            return;
        };
        match self.owner.apply(&want).await {
            Ok(report) if !report.is_unchanged() => {
                tracing::warn!("interfaces changed outside xpfd; restored: {report}")
            }
            Ok(_) => {}
            Err(e) => tracing::error!("restoring interfaces: {e}"),
        }
    }

    /// What the kernel has now, grouped as Junos shows it.
    pub async fn state(&self) -> Vec<LinkView> {
        let Ok(snap) = self.owner.snapshot().await else {
            return Vec::new();
        };
        let mut views: Vec<LinkView> = Vec::new();
        for l in &snap.links {
            let addrs = |fam6: bool| -> Vec<String> {
                l.addresses
                    .iter()
                    .filter(|a| a.addr.is_ipv6() == fam6 && !a.is_ipv6_link_local())
                    .map(|a| a.to_string())
                    .collect()
            };
            let unit = |name: String| UnitView {
                name,
                inet: addrs(false),
                inet6: addrs(true),
            };
            match &l.kind {
                ObservedKind::Vlan {
                    parent: Some(parent),
                    ..
                } => {
                    let junos = to_junos(&l.name);
                    let parent_junos = to_junos(parent);
                    if let Some(v) = views.iter_mut().find(|v| v.junos_name == parent_junos) {
                        v.units.push(unit(junos));
                    }
                }
                _ => {
                    let junos = to_junos(&l.name);
                    let has_addrs = !l.addresses.iter().all(|a| a.is_ipv6_link_local());
                    let units = if has_addrs {
                        vec![unit(format!("{junos}.0"))]
                    } else {
                        Vec::new()
                    };
                    views.push(LinkView {
                        junos_name: junos,
                        linux_name: l.name.clone(),
                        index: l.index,
                        mtu: l.mtu,
                        description: l.alias.clone(),
                        admin_up: l.up,
                        link_up: l.up,
                        units,
                    });
                }
            }
        }
        views
    }
}

/// One interface as `show interfaces` shows it.
#[derive(Debug, Clone, Default)]
pub struct LinkView {
    /// Junos name.
    pub junos_name: String,
    /// Linux name.
    pub linux_name: String,
    /// Kernel interface index.
    pub index: u32,
    /// MTU.
    pub mtu: u32,
    /// The description (link alias).
    pub description: Option<String>,
    /// Administratively up.
    pub admin_up: bool,
    /// Operationally up (the admin state, until carrier is read).
    pub link_up: bool,
    /// Its logical units.
    pub units: Vec<UnitView>,
}

/// One logical unit.
#[derive(Debug, Clone, Default)]
pub struct UnitView {
    /// `ge-0/0/0.0`.
    pub name: String,
    /// IPv4 prefixes.
    pub inet: Vec<String>,
    /// IPv6 prefixes.
    pub inet6: Vec<String>,
}

/// Puts interfaces back when something else changes them: kernel changes
/// are collected for a moment, then the installed state is re-applied, and
/// the dataplane follows data interfaces that came back as new links.
///
/// `changes` must be subscribed before the first apply, so that nothing
/// changed between that apply and this task starting goes unnoticed.
pub async fn keep_applied(sup: Arc<Supervisor>, mut changes: xpf_netlink::Watcher) {
    let mut failed = None;
    while changes.next().await.is_some() {
        // Debounce: our own applies and bursts of kernel events.
        tokio::time::sleep(Duration::from_millis(200)).await;
        while let Ok(Some(_)) =
            tokio::time::timeout(Duration::from_millis(50), changes.next()).await
        {}
        sup.interfaces.reapply().await;
        sup.follow_data_interfaces(&mut failed).await;
    }
}

impl Interfaces {
    /// The Linux names of the configured physical interfaces that are up
    /// (not `lo`, not VLAN units): where the AF_XDP dataplane attaches.
    pub async fn data_interfaces(&self, model: &Model) -> Vec<String> {
        let Ok(snap) = self.owner.snapshot().await else {
            return Vec::new();
        };
        let configured: Vec<String> = model
            .interfaces
            .iter()
            .filter_map(|i| xpf_netlink::linux_name(&i.name).ok())
            .collect();
        snap.links
            .iter()
            .filter(|l| l.up && l.name != "lo" && !l.name.contains('.'))
            // fxp0 is out-of-band management, as on an SRX: host traffic only.
            .filter(|l| l.name != MANAGEMENT)
            .filter(|l| configured.contains(&l.name))
            .map(|l| l.name.clone())
            .collect()
    }

    /// Each link's Junos unit name by ifindex (`ge-0/0/0.0`).
    async fn unit_names(&self) -> std::collections::HashMap<u32, String> {
        match self.owner.snapshot().await {
            Ok(snap) => snap
                .links
                .iter()
                .map(|l| {
                    let junos = to_junos(&l.name);
                    let unit = if junos.contains('.') {
                        junos
                    } else {
                        format!("{junos}.0")
                    };
                    (l.index, unit)
                })
                .collect(),
            Err(_) => Default::default(),
        }
    }

    /// The kernel's resolved neighbours with the Junos unit each is on,
    /// for `show arp` and `show ipv6 neighbors`.
    pub async fn neighbour_table(&self) -> Vec<(xpf_netlink::Neighbour, String)> {
        let names = self.unit_names().await;
        let mut out: Vec<_> = self
            .owner
            .neighbours()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|n| {
                let unit = names
                    .get(&n.ifindex)
                    .cloned()
                    .unwrap_or_else(|| format!("ifindex {}", n.ifindex));
                (n, unit)
            })
            .collect();
        out.sort_by(|a, b| (a.0.addr, &a.1).cmp(&(b.0.addr, &b.1)));
        out
    }

    /// The kernel's routes, neighbours and link MACs, for the workers.
    pub async fn kernel_tables(
        &self,
    ) -> Option<(Vec<xpf_forward::KernelRoute>, xpf_forward::L2Table)> {
        let routes = self.owner.routes().await.ok()?;
        let neighbours = self.owner.neighbours().await.ok()?;
        let macs = self.owner.link_macs().await.ok()?;
        let mut l2 = xpf_forward::L2Table::new();
        for (i, mac) in macs {
            l2.set_mac(i, mac);
        }
        for n in neighbours {
            l2.add_neighbour(n.ifindex, n.addr, n.mac);
        }
        let fib = routes
            .iter()
            .filter(|r| r.kind == xpf_netlink::RouteKind::Unicast)
            .filter_map(|r| {
                Some(xpf_forward::KernelRoute {
                    prefix: r.prefix.addr,
                    len: r.prefix.prefix_len,
                    ifindex: r.oif?,
                    gateway: r.gateway,
                })
            })
            .collect();
        Some((fib, l2))
    }
}

/// Keeps the workers' FIB and neighbour table in step with the kernel's:
/// every second, and within 50 ms when a worker asked for a neighbour.
pub async fn mirror_kernel_tables(sup: Arc<Supervisor>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(50));
    let mut since = 0u32;
    loop {
        tick.tick().await;
        let Some(tables) = sup.forwarding.tables() else {
            continue;
        };
        since += 1;
        let wanted = tables
            .neighbours_wanted
            .swap(false, std::sync::atomic::Ordering::Relaxed);
        if !wanted && since < 20 {
            continue;
        }
        since = 0;
        if let Some((routes, l2)) = sup.interfaces.kernel_tables().await {
            sup.forwarding.refresh(&routes, l2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        let cfg = xpf_config::parse_config(text).expect("loads");
        xpf_model::build(&xpf_config::effective(&cfg, None)).expect("checks")
    }

    /// The apply step's errors name the statement they come from.
    #[test]
    fn errors_name_their_statement() {
        let m = model("interfaces { ge-0/0/1 { vlan-tagging; unit 5 { family inet { address 10.1.5.1/24; } } } }");
        match desired(&m, true) {
            Err(e @ InterfacesError::NoVlanId { .. }) => assert_eq!(
                e.to_string(),
                "[edit interfaces ge-0/0/1 unit 5] vlan-id is required with vlan-tagging"
            ),
            other => panic!("{other:?}"),
        }
        let ok =
            model("interfaces { ge-0/0/1 { unit 0 { family inet { address 10.1.5.1/24; } } } }");
        let want = desired(&ok, true).expect("a plain unit applies");
        assert!(want.links.iter().any(|l| l.name == "ge-0-0-1"));
        assert!(want
            .links
            .iter()
            .any(|l| l.name == "lo" && l.addresses.len() == 2));
    }
}
