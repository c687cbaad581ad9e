// SPDX-License-Identifier: Apache-2.0
//! The compiled, immutable, versioned form of a committed configuration:
//! everything the pipeline consults per packet, in lookup-ready shape.
//!
//! A commit compiles a new [`Snapshot`] and swaps it in whole; workers read
//! it through `&Snapshot` and never see a half-applied configuration.

mod classify;
pub mod export;
pub(crate) mod host_inbound;
pub(crate) mod nat;
pub use nat::{NatKind, NatRef, INTERFACE_NAT_PORTS};
pub(crate) mod policy;
pub(crate) mod screen;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use xpf_model::{DefaultPolicy, Model};

use crate::addr;
use crate::interfaces::InterfaceTable;
use host_inbound::HostInboundSet;
use nat::NatTables;
use policy::{CompiledPolicy, PolicyKey, PolicySet};
use screen::ScreenProfile;

/// Why a model could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// A policy or NAT rule names an address no book defines.
    #[error("{context}: address '{name}' is not defined")]
    UndefinedAddress {
        /// Which policy or rule.
        context: String,
        /// The name.
        name: String,
    },
    /// A policy names an unknown application.
    #[error("policy {policy}: application '{name}' is not defined")]
    UndefinedApplication {
        /// The policy.
        policy: String,
        /// The name.
        name: String,
    },
    /// A NAT rule cannot be compiled.
    #[error("nat rule {rule}: {message}")]
    Nat {
        /// The rule.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// More zones than the dataplane's 16-bit zone ids hold.
    #[error("{0} zones: at most 65535 are supported")]
    TooManyZones(usize),
}

/// Session timeouts, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Half-open TCP (`tcp-initial-timeout`, 20 s by default).
    pub tcp_initial: u64,
    /// Established TCP (1800 s).
    pub tcp_established: u64,
    /// TCP after both FINs or a RST (`time-wait-state`, 2 s by default).
    pub tcp_closing: u64,
    /// UDP (60 s).
    pub udp: u64,
    /// ICMP and ICMPv6 (4 s).
    pub icmp: u64,
    /// Other protocols (60 s).
    pub other: u64,
}

const SEC: u64 = 1_000_000_000;

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            tcp_initial: 20 * SEC,
            tcp_established: 1800 * SEC,
            tcp_closing: 2 * SEC,
            udp: 60 * SEC,
            icmp: 4 * SEC,
            other: 60 * SEC,
        }
    }
}

/// TCP checks from `security flow tcp-session`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TcpChecks {
    pub syn_check: bool,
    /// Drop a first UDP packet to port 53 that is a DNS response, unless
    /// `allow-dns-reply`.
    pub dns_reply_check: bool,
    pub sequence_check: bool,
    pub rst_invalidate: bool,
}

/// One policy in the flat list counters are indexed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PolicyRef {
    /// `from-zone`, or `global`.
    pub from_zone: Arc<str>,
    /// `to-zone`, or `global`.
    pub to_zone: Arc<str>,
    /// Policy name.
    pub name: Arc<str>,
    /// `then count`: the operator asked for this policy's statistics.
    pub count: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ZoneInfo {
    pub name: Arc<str>,
    pub screen: Option<ScreenProfile>,
}

#[derive(Debug, Clone)]
pub(crate) struct IfInfo {
    pub name: Arc<str>,
    pub zone: Option<u16>,
    pub host: HostInboundSet,
    /// `(v6, address, prefix length)` of each address.
    pub addrs: Vec<(bool, u128, u8)>,
}

impl IfInfo {
    pub(crate) fn first_addr(&self, v6: bool) -> Option<u128> {
        self.addrs.iter().find(|a| a.0 == v6).map(|a| a.1)
    }
}

/// Sessions the table holds unless configured otherwise.
pub const DEFAULT_SESSION_CAPACITY: usize = 262_144;

static GENERATION: AtomicU64 = AtomicU64::new(1);

/// The compiled configuration. See the module docs.
#[derive(Debug, Clone)]
pub struct Snapshot {
    generation: u64,
    pub(crate) ifaces: Vec<Option<IfInfo>>,
    pub(crate) zones: Vec<ZoneInfo>,
    /// `(v6, address)` of every interface address, sorted.
    local: Vec<(bool, u128)>,
    pairs: HashMap<(u16, u16), PolicySet>,
    global: PolicySet,
    pub(crate) default_permit: bool,
    policy_refs: Vec<PolicyRef>,
    pub(crate) nat: NatTables,
    pub(crate) timeouts: Timeouts,
    pub(crate) mss: Option<u16>,
    pub(crate) tcp: TcpChecks,
    session_capacity: usize,
    warnings: Vec<String>,
}

/// The result of a policy lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) enum PolicyHit<'a> {
    Policy(&'a CompiledPolicy),
    Default { permit: bool },
}

impl Snapshot {
    /// Compiles a model against the kernel's interfaces. Interfaces named
    /// by zones but missing from `interfaces` are skipped with a warning
    /// (the daemon creates them before traffic can arrive on them).
    pub fn compile(model: &Model, interfaces: &InterfaceTable) -> Result<Snapshot, CompileError> {
        if model.zones.len() > usize::from(u16::MAX) {
            return Err(CompileError::TooManyZones(model.zones.len()));
        }
        let mut warnings = Vec::new();
        let zone_index: HashMap<&str, u16> = model
            .zones
            .iter()
            .enumerate()
            .map(|(i, z)| (z.name.as_str(), i as u16))
            .collect();
        let zone_id = |n: &str| zone_index.get(n).copied();
        let zones = model
            .zones
            .iter()
            .map(|z| ZoneInfo {
                name: z.name.as_str().into(),
                screen: z
                    .screen
                    .as_deref()
                    .and_then(|s| model.screen(s))
                    .map(ScreenProfile::compile),
            })
            .collect();

        let max_ifindex = interfaces
            .entries()
            .iter()
            .map(|e| e.ifindex)
            .max()
            .unwrap_or(0);
        let mut ifaces = vec![None; max_ifindex as usize + 1];
        let mut local = Vec::new();
        for e in interfaces.entries() {
            let zone = model.zone_of_interface(&e.name);
            let host = zone.map(|z| {
                let hi = z.host_inbound_for(&e.name);
                for item in hi.system_services.iter().chain(&hi.protocols) {
                    if !host_inbound::known_service(&item.name) {
                        warnings.push(format!(
                            "{}: host-inbound {} is not supported and accepts nothing",
                            e.name, item.name
                        ));
                    }
                }
                HostInboundSet::compile(&hi)
            });
            let addrs: Vec<(bool, u128, u8)> = e
                .addresses
                .iter()
                .map(|p| {
                    let (v6, a) = addr::split(p.addr);
                    (v6, a, p.len)
                })
                .collect();
            local.extend(addrs.iter().map(|a| (a.0, a.1)));
            ifaces[e.ifindex as usize] = Some(IfInfo {
                name: e.name.as_str().into(),
                zone: zone.and_then(|z| zone_id(&z.name)),
                host: host.unwrap_or_default(),
                addrs,
            });
        }
        for z in &model.zones {
            for i in &z.interfaces {
                if interfaces.by_name(&i.name).is_none() {
                    warnings.push(format!("{}: not in the kernel's interface table", i.name));
                }
            }
        }
        local.sort_unstable();
        local.dedup();

        let mut pc = policy::Compiler {
            model,
            zone_id: &zone_id,
            next_id: 0,
            warnings: &mut warnings,
        };
        let mut pairs = HashMap::new();
        let mut policy_refs = Vec::new();
        for zp in &model.policies.zone_pairs {
            let (Some(f), Some(t)) = (zone_id(&zp.from_zone), zone_id(&zp.to_zone)) else {
                // junos-host: traffic to the box is governed by host-inbound.
                pc.warnings.push(format!(
                    "policies from-zone {} to-zone {}: junos-host policies are not enforced",
                    zp.from_zone, zp.to_zone
                ));
                continue;
            };
            let set = pc.set(&zp.policies, Some(&zp.from_zone), Some(&zp.to_zone))?;
            policy_refs.extend(set.rules.iter().map(|r| PolicyRef {
                from_zone: zp.from_zone.as_str().into(),
                to_zone: zp.to_zone.as_str().into(),
                name: r.name.clone(),
                count: r.count,
            }));
            pairs.insert((f, t), set);
        }
        let global = pc.set(&model.policies.global, None, None)?;
        policy_refs.extend(global.rules.iter().map(|r| PolicyRef {
            from_zone: "global".into(),
            to_zone: "global".into(),
            name: r.name.clone(),
            count: r.count,
        }));

        let ifindex = |n: &str| interfaces.by_name(n).map(|e| e.ifindex);
        let nat = nat::compile(&nat::Resolve {
            model,
            zone_id: &zone_id,
            ifindex: &ifindex,
        })?;

        let flow = &model.flow;
        let mut timeouts = Timeouts::default();
        if let Some(s) = flow.tcp_session.tcp_initial_timeout {
            timeouts.tcp_initial = u64::from(s) * SEC;
        }
        if let Some(s) = flow.tcp_session.time_wait_timeout {
            timeouts.tcp_closing = u64::from(s) * SEC;
        }
        Ok(Snapshot {
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
            ifaces,
            zones,
            local,
            pairs,
            global,
            default_permit: model.policies.default_policy == DefaultPolicy::PermitAll,
            policy_refs,
            nat,
            timeouts,
            mss: flow.tcp_mss.all_tcp,
            tcp: TcpChecks {
                syn_check: !flow.tcp_session.no_syn_check,
                dns_reply_check: !flow.allow_dns_reply,
                sequence_check: !flow.tcp_session.no_sequence_check,
                rst_invalidate: flow.tcp_session.rst_invalidate_session,
            },
            session_capacity: DEFAULT_SESSION_CAPACITY,
            warnings,
        })
    }

    /// This snapshot's generation: larger for later compiles in a process.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Sessions a table built for this snapshot holds.
    pub fn session_capacity(&self) -> usize {
        self.session_capacity
    }

    /// Sets the session capacity (builder style).
    pub fn with_session_capacity(mut self, capacity: usize) -> Snapshot {
        self.session_capacity = capacity.max(1);
        self
    }

    /// Policies in counter order: zone pairs in configuration order, then
    /// global. `Counters::policy_hits[i]` counts `policies()[i]`.
    pub fn policies(&self) -> &[PolicyRef] {
        &self.policy_refs
    }

    /// NAT rules in counter order. `Counters::nat_rules[i]` counts
    /// `nat_rules()[i]`.
    pub fn nat_rules(&self) -> &[NatRef] {
        &self.nat.refs
    }

    /// Things compiled with reduced meaning (unsupported values).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The session timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The zone of a kernel ifindex.
    pub fn zone_of(&self, ifindex: u32) -> Option<&str> {
        let z = self.iface(ifindex)?.zone?;
        self.zones.get(usize::from(z)).map(|z| &*z.name)
    }

    /// The unit name (`ge-0/0/0.0`) of a kernel ifindex, as session logs
    /// name the ingress.
    pub fn iface_name(&self, ifindex: u32) -> Option<Arc<str>> {
        self.iface(ifindex).map(|i| i.name.clone())
    }

    /// The application a session that policy `id` permitted runs, as the
    /// pipeline records it: the name of the policy's application term
    /// the flow matches (`port`: destination port, or the ICMP type/code
    /// word), `None` when the policy matches any application.
    pub fn application(&self, id: u32, proto: u8, sport: u16, port: u16) -> Arc<str> {
        self.pairs
            .values()
            .chain(std::iter::once(&self.global))
            .flat_map(|s| s.rules.iter())
            .find(|r| r.id == id)
            .and_then(|r| r.term(proto, sport, port))
            .map_or_else(|| Arc::from("None"), |t| t.app.clone())
    }

    /// Bytes held by the policy classifiers.
    pub fn policy_memory(&self) -> usize {
        self.global.memory() + self.pairs.values().map(PolicySet::memory).sum::<usize>()
    }

    pub(crate) fn iface(&self, ifindex: u32) -> Option<&IfInfo> {
        self.ifaces.get(ifindex as usize)?.as_ref()
    }

    pub(crate) fn zone_id(&self, name: &str) -> Option<u16> {
        self.zones
            .iter()
            .position(|z| &*z.name == name)
            .map(|i| i as u16)
    }

    pub(crate) fn zone_name(&self, zone: u16) -> Arc<str> {
        self.zones
            .get(usize::from(zone))
            .map_or_else(|| Arc::from("N/A"), |z| z.name.clone())
    }

    /// Whether an address is one of the box's own.
    pub(crate) fn is_local(&self, v6: bool, a: u128) -> bool {
        self.local.binary_search(&(v6, a)).is_ok()
    }

    /// Whether an IPv4 address is the broadcast address of any interface's
    /// subnet (the kernel's local table holds one for each below /31).
    pub(crate) fn is_subnet_broadcast(&self, a: u128) -> bool {
        self.ifaces.iter().flatten().any(|i| {
            i.addrs.iter().any(|&(v6, net, len)| {
                !v6 && len < 31 && a == addr::mask(net, len, false) | addr::host_mask(len, false)
            })
        })
    }

    /// Whether an address is a broadcast (limited or of a connected IPv4
    /// subnet) or multicast: for the host, never forwarded.
    pub(crate) fn is_broadcast_or_multicast(&self, ingress: &IfInfo, v6: bool, a: u128) -> bool {
        if v6 {
            return a >> 120 == 0xff;
        }
        a == 0xffff_ffff
            || (a >> 28) == 0xe
            || ingress.addrs.iter().any(|&(f, net, len)| {
                !f && len < 31 && a == addr::mask(net, len, false) | addr::host_mask(len, false)
            })
    }

    /// First-match policy lookup: the zone pair's policies, then global,
    /// then the default policy.
    pub(crate) fn policy(&self, k: &PolicyKey) -> PolicyHit<'_> {
        if let Some(p) = self.pairs.get(&(k.from, k.to)).and_then(|s| s.first(k)) {
            return PolicyHit::Policy(p);
        }
        match self.global.first(k) {
            Some(p) => PolicyHit::Policy(p),
            None => PolicyHit::Default {
                permit: self.default_permit,
            },
        }
    }

    /// A permitting policy with this name in the zone pair or global list
    /// (re-validation of sessions after a swap).
    pub(crate) fn policy_by_name(&self, from: u16, to: u16, name: &str) -> Option<&CompiledPolicy> {
        self.pairs
            .get(&(from, to))
            .and_then(|s| s.by_name(name))
            .or_else(|| self.global.by_name(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn model(text: &str) -> Model {
        let cfg = xpf_config::parse_config(text).expect("config loads");
        xpf_model::build(&xpf_config::effective(&cfg, None)).expect("model builds")
    }

    const CONF: &str = "
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } family inet6 { address 2001:db8:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } } }
}
security {
    address-book { global { address web 10.0.2.0/24; address lan 10.0.1.0/24; } }
    zones {
        security-zone trust {
            host-inbound-traffic { system-services { ssh; ping; } }
            interfaces { ge-0/0/0.0; }
        }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
    }
    policies {
        from-zone trust to-zone untrust {
            policy web { match { source-address lan; destination-address any; application junos-http; } then { permit; count; } }
            policy deny-rest { match { source-address any; destination-address any; application any; } then { deny; } }
        }
        global {
            policy g1 { match { source-address any; destination-address web; application any; } then { reject; } }
        }
    }
}";

    fn table() -> InterfaceTable {
        InterfaceTable::new()
            .with(2, "ge-0/0/0.0", &["10.0.1.1/24", "2001:db8:1::1/64"])
            .with(3, "ge-0/0/1.0", &["203.0.113.1/24"])
    }

    fn key(from: u16, to: u16, src: u128, dst: u128, proto: u8, port: u16) -> PolicyKey {
        PolicyKey {
            from,
            to,
            v6: false,
            src,
            dst,
            proto,
            sport: 40000,
            port,
        }
    }

    #[test]
    fn compiles_zones_policies_and_host_inbound() {
        let s = Snapshot::compile(&model(CONF), &table()).unwrap();
        assert_eq!(s.zone_of(2), Some("trust"));
        assert_eq!(s.zone_of(3), Some("untrust"));
        assert_eq!(s.zone_of(9), None);
        assert!(s.is_local(false, 0x0a00_0101));
        assert!(!s.is_local(false, 0x0a00_0102));
        let trust = s.iface(2).unwrap();
        assert!(trust.host.allows(6, 50000, 22) && !trust.host.allows(6, 50000, 23));
        assert!(!s.iface(3).unwrap().host.allows(1, 0, 8));

        let hit = |k: &PolicyKey| match s.policy(k) {
            PolicyHit::Policy(p) => p.name.to_string(),
            PolicyHit::Default { permit } => format!("default {permit}"),
        };
        assert_eq!(hit(&key(0, 1, 0x0a00_0105, 0x0808_0808, 6, 80)), "web");
        assert_eq!(
            hit(&key(0, 1, 0x0a00_0105, 0x0808_0808, 6, 81)),
            "deny-rest"
        );
        assert_eq!(hit(&key(1, 0, 1, 0x0a00_0205, 17, 53)), "g1");
        assert_eq!(hit(&key(1, 0, 1, 0x0a00_0305, 17, 53)), "default false");
        let names: Vec<&str> = s.policies().iter().map(|p| &*p.name).collect();
        assert_eq!(names, ["web", "deny-rest", "g1"]);
        assert!(s.generation() > 0);
        let again = Snapshot::compile(&model(CONF), &table()).unwrap();
        assert!(again.generation() > s.generation());
    }

    #[test]
    fn undefined_interfaces_are_warnings() {
        let t = InterfaceTable::new().with(2, "ge-0/0/0.0", &["10.0.1.1/24"]);
        let s = Snapshot::compile(&model(CONF), &t).unwrap();
        assert!(s.warnings().iter().any(|w| w.contains("ge-0/0/1.0")));
    }
}
