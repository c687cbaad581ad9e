// SPDX-License-Identifier: Apache-2.0
//! `chassis cluster`: the two-node high-availability pair, its redundancy
//! groups and the redundant Ethernet (`reth`) interfaces they own.

use xpf_config::Statement;

use crate::check::{undefined, Checks, Path};
use crate::interfaces::{reth_index, Interface};
use crate::read::{child, flag, holder, kids, number, number_of, value};

/// `chassis cluster`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cluster {
    /// `reth-count`: how many reth interfaces may exist (`reth0` up to
    /// `reth<count-1>`).
    pub reth_count: u32,
    /// `heartbeat-interval` in milliseconds.
    pub heartbeat_interval: Option<u32>,
    /// `heartbeat-threshold`: missed heartbeats before failover.
    pub heartbeat_threshold: Option<u32>,
    /// `redundancy-group` entries.
    pub redundancy_groups: Vec<RedundancyGroup>,
}

/// One `redundancy-group`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RedundancyGroup {
    /// Group number (0 is the control plane).
    pub id: u32,
    /// `node N priority P` pairs: `(node, priority)`.
    pub node_priorities: Vec<(u32, u32)>,
    /// `preempt`.
    pub preempt: bool,
    /// `interface-monitor` entries.
    pub interface_monitors: Vec<InterfaceMonitor>,
}

/// One monitored interface of a redundancy group.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceMonitor {
    /// Interface name.
    pub interface: String,
    /// `weight` subtracted from the group's health when it goes down.
    pub weight: u32,
}

impl Cluster {
    /// The redundancy group with this number.
    pub fn redundancy_group(&self, id: u32) -> Option<&RedundancyGroup> {
        self.redundancy_groups.iter().find(|g| g.id == id)
    }
}

/// Reads `chassis cluster` (`st`).
pub(crate) fn build(st: &Statement, ck: &mut Checks) -> Cluster {
    let path = Path::of(&["chassis", "cluster"]);
    let redundancy_groups = kids(st, "redundancy-group")
        .filter_map(|g| {
            let id = number(ck, &path, g, g.words.get(1)?)?;
            let p = path.join(g);
            let node_priorities = kids(g, "node")
                .filter_map(|n| {
                    let node = number(ck, &p, n, n.words.get(1)?)?;
                    let prio = number_of(ck, &p, n, "priority")?;
                    Some((node, prio))
                })
                .collect();
            let interface_monitors = child(g, "interface-monitor")
                .map(|im| {
                    let mp = p.join(im);
                    im.kids()
                        .iter()
                        .map(|m| InterfaceMonitor {
                            interface: m.keyword().to_string(),
                            weight: number_of(ck, &mp, m, "weight").unwrap_or(255),
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(RedundancyGroup {
                id,
                node_priorities,
                preempt: flag(g, "preempt"),
                interface_monitors,
            })
        })
        .collect();
    Cluster {
        reth_count: number_of(ck, &path, st, "reth-count").unwrap_or(0),
        heartbeat_interval: number_of(ck, &path, st, "heartbeat-interval"),
        heartbeat_threshold: number_of(ck, &path, st, "heartbeat-threshold"),
        redundancy_groups,
    }
}

/// Checks reth numbering and parents against the cluster, and that
/// monitored interfaces exist.
pub(crate) fn check(
    interfaces_st: Option<&Statement>,
    cluster_st: Option<&Statement>,
    interfaces: &[Interface],
    cluster: Option<&Cluster>,
    ck: &mut Checks,
) {
    let reth_count = cluster.map_or(0, |c| c.reth_count);
    let exists = |name: &str| interfaces.iter().any(|i| i.name == name);
    if let Some(ifs) = interfaces_st {
        let path = Path::of(&["interfaces"]);
        for i in ifs.kids() {
            if let Some(n) = reth_index(i.keyword()) {
                if n >= reth_count {
                    ck.error(
                        &path,
                        i,
                        format!(
                            "reth index {n} is not below chassis cluster reth-count {reth_count}"
                        ),
                    );
                }
            }
            let p = path.join(i);
            for o in ["gigether-options", "ether-options"]
                .iter()
                .filter_map(|kw| child(i, kw))
            {
                if let Some(w) = value(o, "redundant-parent") {
                    if !exists(&w.text) {
                        let h = holder(o, "redundant-parent");
                        ck.error_word(&p.join(o), h, w, undefined("interface", &w.text));
                    }
                }
            }
            if let Some(o) = child(i, "redundant-ether-options") {
                if let Some(w) = value(o, "redundancy-group") {
                    let known = cluster.is_some_and(|c| {
                        w.text
                            .parse()
                            .is_ok_and(|id| c.redundancy_group(id).is_some())
                    });
                    if !known {
                        let h = holder(o, "redundancy-group");
                        ck.error_word(&p.join(o), h, w, undefined("redundancy-group", &w.text));
                    }
                }
            }
        }
    }
    if let Some(cst) = cluster_st {
        let path = Path::of(&["chassis", "cluster"]);
        for g in kids(cst, "redundancy-group") {
            let Some(im) = child(g, "interface-monitor") else {
                continue;
            };
            let p = path.join(g).join(im);
            for m in im.kids() {
                if let Some(w) = m.words.first() {
                    if !exists(&w.text) {
                        ck.error_word(&p, m, w, undefined("interface", &w.text));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{build_text, errors_of, line_of};

    const CLUSTER: &str = r#"
chassis {
    cluster {
        reth-count 2;
        heartbeat-interval 1000;
        heartbeat-threshold 3;
        redundancy-group 0 { node 0 priority 200; node 1 priority 100; }
        redundancy-group 1 {
            node 0 priority 200;
            node 1 priority 100;
            preempt;
            interface-monitor { ge-0/0/1 weight 255; ge-7/0/1 weight 128; }
        }
    }
}
interfaces {
    ge-0/0/1 { gigether-options { redundant-parent reth0; } }
    ge-7/0/1 { gigether-options { redundant-parent reth0; } }
    reth0 { redundant-ether-options { redundancy-group 1; } unit 0 { family inet { address 192.0.2.1/24; } } }
    fab0 { fabric-options { member-interfaces { ge-0/0/2; } } }
}
"#;

    #[test]
    fn a_cluster_is_typed() {
        let m = build_text(CLUSTER);
        let c = m.cluster.as_ref().expect("cluster");
        assert_eq!(c.reth_count, 2);
        assert_eq!(c.heartbeat_interval, Some(1000));
        assert_eq!(c.heartbeat_threshold, Some(3));
        let g1 = c.redundancy_group(1).expect("rg1");
        assert_eq!(g1.node_priorities, [(0, 200), (1, 100)]);
        assert!(g1.preempt);
        assert_eq!(g1.interface_monitors[1].interface, "ge-7/0/1");
        assert_eq!(g1.interface_monitors[1].weight, 128);
        let reth = m.interface("reth0").expect("reth0");
        assert_eq!(reth.redundancy_group, Some(1));
        assert_eq!(reth.reth_index(), Some(0));
        let ge = m.interface("ge-0/0/1").expect("ge-0/0/1");
        assert_eq!(ge.redundant_parent.as_deref(), Some("reth0"));
        assert_eq!(
            m.interface("fab0").map(|f| f.fabric_members.clone()),
            Some(vec!["ge-0/0/2".into()])
        );
    }

    #[test]
    fn reths_must_fit_reth_count_and_exist() {
        let text = format!(
            "{CLUSTER}\ninterfaces {{\n    reth2 {{\n        redundant-ether-options {{ redundancy-group 4; }}\n    }}\n    ge-0/0/3 {{ gigether-options {{ redundant-parent reth7; }} }}\n}}\n"
        );
        let e = errors_of(&text);
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert!(
            msgs.contains(&"reth index 2 is not below chassis cluster reth-count 2"),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&"interface 'reth7' is not defined"),
            "{msgs:?}"
        );
        assert!(
            msgs.contains(&"redundancy-group '4' is not defined"),
            "{msgs:?}"
        );
        let reth = e
            .iter()
            .find(|d| d.message.starts_with("reth index"))
            .expect("reth error");
        assert_eq!(reth.path, ["interfaces"]);
        assert_eq!(reth.statement.as_deref(), Some("reth2"));
        assert_eq!(reth.span.map(|s| s.line), Some(line_of(&text, "reth2 {")));
        let parent = e
            .iter()
            .find(|d| d.message.contains("reth7"))
            .expect("parent error");
        assert_eq!(parent.path, ["interfaces", "ge-0/0/3", "gigether-options"]);
        assert_eq!(parent.statement.as_deref(), Some("redundant-parent reth7"));
    }

    #[test]
    fn a_monitored_interface_must_exist() {
        let text = CLUSTER.replace("ge-7/0/1 weight 128;", "ge-5/0/5 weight 128;");
        let e = errors_of(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            e[0].path,
            [
                "chassis",
                "cluster",
                "redundancy-group 1",
                "interface-monitor"
            ]
        );
        assert_eq!(e[0].message, "interface 'ge-5/0/5' is not defined");
    }
}
