// SPDX-License-Identifier: Apache-2.0
//! The proof against a real kernel. Each test makes its own network namespace
//! (`xpfnl-<pid>-<n>`), runs its body on a thread that has entered it (so the `Owner`'s
//! netlink sockets live there), checks the result with `ip -d -j addr`, and removes the
//! namespace at the end even when the test fails (a Drop guard). No traffic is sent.
//!
//! Needs root and `ip` (iproute2); without them each test prints `skipped: <why>` on stderr
//! and returns. On a kernel without 802.1Q support (CONFIG_VLAN_8021Q) the VLAN parts are
//! skipped the same loud way and the rest still runs.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use nix::sched::{setns, CloneFlags};
use serde_json::Value;
use xpf_netlink::{
    watch, Action, ApplyError, Change, Desired, DesiredLink, IfAddr, Owner, Snapshot,
    XPF_LINK_GROUP,
};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Says why a test (or part of one) did not run, through the shared skip
/// helper, so `just test` lists it.
fn skipped(why: std::fmt::Arguments) {
    xpf_lab::skip("netlink", &why.to_string());
}

/// A namespace by name, with `ip -n NAME …` helpers.
#[derive(Clone)]
struct Ns {
    name: String,
    /// The kernel can make 802.1Q links; the VLAN parts of the tests run only then.
    vlans: bool,
}

/// Owns the namespace: deletes it when dropped, also while unwinding from a failure.
struct NetnsGuard(Ns);

impl Drop for NetnsGuard {
    fn drop(&mut self) {
        match Command::new("ip")
            .args(["netns", "del", &self.0.name])
            .output()
        {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "warning: ip netns del {}: {}",
                self.0.name,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("warning: ip netns del {}: {e}", self.0.name),
        }
    }
}

impl Ns {
    fn try_ip(&self, args: &str) -> Result<String, String> {
        let out = Command::new("ip")
            .args(["-n", &self.name])
            .args(args.split_whitespace())
            .output()
            .map_err(|e| format!("cannot run ip: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "ip -n {} {args}: {}",
                self.name,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    fn ip(&self, args: &str) -> String {
        self.try_ip(args).unwrap_or_else(|e| panic!("{e}"))
    }

    fn sysctl(&self, key: &str, value: &str) {
        let path = format!("/proc/sys/{}", key.replace('.', "/"));
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.name,
                "sh",
                "-c",
                &format!("echo {value} > {path}"),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "sysctl {key}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Every link with its addresses, as `ip -d -j addr show` prints them.
    fn links(&self) -> Vec<Value> {
        match serde_json::from_str(&self.ip("-d -j addr show")) {
            Ok(Value::Array(links)) => links,
            other => panic!("unexpected ip -j output: {other:?}"),
        }
    }

    fn find(&self, name: &str) -> Option<Value> {
        self.links().into_iter().find(|l| l["ifname"] == name)
    }

    fn link(&self, name: &str) -> Value {
        self.find(name)
            .unwrap_or_else(|| panic!("{name} is not in namespace {}", self.name))
    }

    /// Whether the kernel can make 802.1Q links, tried on a veth pair of its own.
    fn probe_vlans(&self) -> Result<(), String> {
        self.try_ip("link add xpfprobe0 type veth peer name xpfprobe1")?;
        let vlan = self.try_ip("link add link xpfprobe0 name xpfprobe0.1 type vlan id 1");
        self.try_ip("link del xpfprobe0")?;
        vlan.map(|_| ())
    }
}

fn addrs(link: &Value) -> Vec<String> {
    let mut out: Vec<String> = link["addr_info"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| !(a["family"] == "inet6" && a["scope"] == "link"))
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap_or("?"), a["prefixlen"]))
        .collect();
    out.sort();
    out
}

fn is_up(link: &Value) -> bool {
    link["flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x == "UP"))
}

fn a(s: &str) -> IfAddr {
    s.parse().unwrap()
}

/// Whether a test has VLAN parts (run only where the kernel can make 802.1Q links).
#[derive(PartialEq)]
enum Vlans {
    Used,
    Unused,
}

/// Runs `body` on a thread inside a fresh namespace prepared with `setup` (`ip -n` args).
fn in_netns<F, Fut>(test: &str, setup: &[&str], vlans: Vlans, body: F)
where
    F: FnOnce(Ns) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    if !nix::unistd::Uid::effective().is_root() {
        skipped(format_args!(
            "{test}: needs root to create network namespaces"
        ));
        return;
    }
    let mut ns = Ns {
        name: format!(
            "xpfnl-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ),
        vlans: false,
    };
    match Command::new("ip").args(["netns", "add", &ns.name]).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            skipped(format_args!(
                "{test}: ip netns add failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
            return;
        }
        Err(e) => {
            skipped(format_args!("{test}: cannot run ip (iproute2): {e}"));
            return;
        }
    }
    let guard = NetnsGuard(ns.clone());
    // Probed (and reported) here: what the body's thread writes is captured by the harness.
    if vlans == Vlans::Used {
        match ns.probe_vlans() {
            Ok(()) => ns.vlans = true,
            Err(e) => skipped(format_args!(
                "VLAN parts of {test}: this kernel cannot make 802.1Q links ({e})"
            )),
        }
    }
    for cmd in setup {
        ns.ip(cmd);
    }
    let thread = std::thread::spawn(move || {
        let file = File::open(format!("/run/netns/{}", ns.name)).unwrap();
        setns(&file, CloneFlags::CLONE_NEWNET).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(body(ns));
    });
    let result = thread.join();
    drop(guard);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

const TWO_VETHS: &[&str] = &[
    "link set lo up",
    "link add ge-0-0-0 type veth peer name peer0",
    "link add ge-0-0-1 type veth peer name peer1",
];

/// ge-0-0-0: MTU 1400, alias "uplink", v4+v6; ge-0-0-1: v4+v6; ge-0-0-1.10: VLAN 10.
fn full_desired(with_vlan: bool) -> Desired {
    let mut links = vec![
        DesiredLink::physical("ge-0-0-0")
            .with_mtu(1400)
            .with_alias("uplink")
            .with_address(a("10.0.0.1/24"))
            .with_address(a("2001:db8::1/64")),
        DesiredLink::physical("ge-0-0-1")
            .with_address(a("10.1.0.1/24"))
            .with_address(a("2001:db8:1::1/64")),
    ];
    if with_vlan {
        links
            .push(DesiredLink::vlan("ge-0-0-1.10", "ge-0-0-1", 10).with_address(a("10.10.0.1/24")));
    }
    Desired {
        links,
        down_unmanaged: false,
    }
}

/// A snapshot without IPv6 link-local addresses (the kernel makes and drops those itself).
fn without_link_local(mut s: Snapshot) -> Snapshot {
    for l in &mut s.links {
        l.addresses.retain(|a| !a.is_ipv6_link_local());
    }
    s
}

#[test]
fn apply_sets_addresses_mtu_alias_vlan_and_up() {
    in_netns(
        "apply_sets_addresses_mtu_alias_vlan_and_up",
        TWO_VETHS,
        Vlans::Used,
        |ns| async move {
            let vlans = ns.vlans;
            let owner = Owner::new().unwrap();
            let report = owner.apply(&full_desired(vlans)).await.unwrap();
            assert!(!report.is_unchanged());

            let g0 = ns.link("ge-0-0-0");
            assert_eq!(g0["mtu"], 1400);
            assert_eq!(g0["ifalias"], "uplink");
            assert!(is_up(&g0));
            assert_eq!(addrs(&g0), ["10.0.0.1/24", "2001:db8::1/64"]);
            let g1 = ns.link("ge-0-0-1");
            assert!(is_up(&g1));
            assert_eq!(g1["mtu"], 1500);
            assert!(g1.get("ifalias").is_none(), "{g1}");
            assert_eq!(addrs(&g1), ["10.1.0.1/24", "2001:db8:1::1/64"]);
            if vlans {
                let v = ns.link("ge-0-0-1.10");
                assert_eq!(v["link"], "ge-0-0-1");
                assert_eq!(v["linkinfo"]["info_kind"], "vlan");
                assert_eq!(v["linkinfo"]["info_data"]["id"], 10);
                assert_eq!(
                    v["group"].to_string().trim_matches('"'),
                    XPF_LINK_GROUP.to_string()
                );
                assert!(is_up(&v));
                assert_eq!(addrs(&v), ["10.10.0.1/24"]);
                assert!(report.actions.contains(&Action::CreateVlan {
                    name: "ge-0-0-1.10".into(),
                    parent: "ge-0-0-1".into(),
                    id: 10
                }));
            }
            // The peers were not named and down_unmanaged is off: untouched.
            assert!(!is_up(&ns.link("peer0")));
            assert!(is_up(&ns.link("lo")));
        },
    );
}

#[test]
fn second_apply_removes_what_was_dropped_and_repeating_changes_nothing() {
    in_netns(
        "second_apply_removes_what_was_dropped",
        TWO_VETHS,
        Vlans::Used,
        |ns| async move {
            let vlans = ns.vlans;
            let owner = Owner::new().unwrap();
            owner.apply(&full_desired(vlans)).await.unwrap();

            let mut smaller = full_desired(false);
            smaller.links[0]
                .addresses
                .retain(|x| *x != a("2001:db8::1/64"));
            let report = owner.apply(&smaller).await.unwrap();
            assert!(report.actions.contains(&Action::RemoveAddress {
                name: "ge-0-0-0".into(),
                addr: a("2001:db8::1/64")
            }));
            assert_eq!(addrs(&ns.link("ge-0-0-0")), ["10.0.0.1/24"]);
            if vlans {
                assert!(report.actions.contains(&Action::DeleteVlan {
                    name: "ge-0-0-1.10".into()
                }));
                assert!(
                    ns.find("ge-0-0-1.10").is_none(),
                    "the dropped VLAN is still there"
                );
            }
            assert_eq!(ns.link("ge-0-0-0")["mtu"], 1400);

            let again = owner.apply(&smaller).await.unwrap();
            assert!(
                again.is_unchanged(),
                "second identical apply changed: {again}"
            );
            assert_eq!(again.to_string(), "no changes");
            let full_again = owner.apply(&full_desired(vlans)).await.unwrap();
            assert!(!full_again.is_unchanged());
            let full_twice = owner.apply(&full_desired(vlans)).await.unwrap();
            assert!(
                full_twice.is_unchanged(),
                "second identical apply changed: {full_twice}"
            );
        },
    );
}

#[test]
fn down_unmanaged_downs_unnamed_links_but_not_lo() {
    let setup = [
        TWO_VETHS,
        &[
            "link add ge-0-0-2 type veth peer name peer2",
            "link set ge-0-0-2 up",
        ],
    ]
    .concat();
    in_netns(
        "down_unmanaged_downs_unnamed_links_but_not_lo",
        &setup,
        Vlans::Unused,
        |ns| async move {
            assert!(is_up(&ns.link("ge-0-0-2")));
            let owner = Owner::new().unwrap();
            let mut desired = full_desired(false);
            desired.down_unmanaged = true;
            let report = owner.apply(&desired).await.unwrap();
            assert!(
                report.actions.contains(&Action::SetDown {
                    name: "ge-0-0-2".into()
                }),
                "{report}"
            );
            assert!(!is_up(&ns.link("ge-0-0-2")));
            assert!(is_up(&ns.link("lo")), "lo must never be brought down");
            assert!(is_up(&ns.link("ge-0-0-0")));
            assert!(is_up(&ns.link("ge-0-0-1")));
            assert!(owner.apply(&desired).await.unwrap().is_unchanged());
        },
    );
}

#[test]
fn missing_physical_interface_is_an_error_and_nothing_changes() {
    in_netns(
        "missing_physical_interface_is_an_error",
        TWO_VETHS,
        Vlans::Unused,
        |ns| async move {
            let owner = Owner::new().unwrap();
            let before = owner.snapshot().await.unwrap();
            let mut desired = full_desired(false);
            desired.down_unmanaged = true;
            desired
                .links
                .push(DesiredLink::physical("ge-0-0-5").with_address(a("10.5.0.1/24")));
            let err = owner.apply(&desired).await.unwrap_err();
            assert!(
                matches!(&err, ApplyError::Missing { name } if name == "ge-0-0-5"),
                "{err:?}"
            );
            assert_eq!(
                err.to_string(),
                "interface ge-0/0/5 (ge-0-0-5) does not exist"
            );
            assert_eq!(
                owner.snapshot().await.unwrap(),
                before,
                "a refused apply changed something"
            );
            assert_eq!(ns.link("ge-0-0-0")["mtu"], 1500);
        },
    );
}

#[test]
fn restore_returns_to_the_snapshot_after_a_failed_apply() {
    let setup = [
        TWO_VETHS,
        &[
            "addr add 10.0.0.1/24 dev ge-0-0-0",
            "link set ge-0-0-0 up",
            "addr add 10.1.0.1/24 dev ge-0-0-1",
            "link set ge-0-0-1 up",
        ],
    ]
    .concat();
    in_netns(
        "restore_returns_to_the_snapshot",
        &setup,
        Vlans::Used,
        |ns| async move {
            let vlans = ns.vlans;
            // Adding an IPv6 address to ge-0-0-1 will be refused by the kernel, after the
            // MTU, alias and the IPv4 addresses of ge-0-0-0 have been changed.
            ns.sysctl("net.ipv6.conf.ge-0-0-1.disable_ipv6", "1");
            let owner = Owner::new().unwrap();
            let before = owner.snapshot().await.unwrap();
            let mut desired = Desired {
                links: vec![
                    DesiredLink::physical("ge-0-0-0")
                        .with_mtu(1400)
                        .with_alias("uplink")
                        .with_address(a("10.0.0.2/24")),
                    DesiredLink::physical("ge-0-0-1")
                        .with_address(a("10.1.0.1/24"))
                        .with_address(a("2001:db8:1::1/64")),
                ],
                down_unmanaged: false,
            };
            if vlans {
                desired.links.push(
                    DesiredLink::vlan("ge-0-0-0.7", "ge-0-0-0", 7).with_address(a("10.7.0.1/24")),
                );
            }
            let err = owner.apply(&desired).await.unwrap_err();
            let ApplyError::Failed { done, source } = &err else {
                panic!("expected a mid-way failure, got {err:?}")
            };
            assert!(
                done.contains(&Action::SetMtu {
                    name: "ge-0-0-0".into(),
                    from: 1500,
                    to: 1400
                }),
                "{done:?}"
            );
            assert!(
                err.to_string()
                    .contains("add address 2001:db8:1::1/64 on ge-0/0/1 (ge-0-0-1)"),
                "{err}"
            );
            assert!(
                matches!(**source, ApplyError::Netlink(ref e) if e.errno().is_some()),
                "{source:?}"
            );
            assert_eq!(
                ns.link("ge-0-0-0")["mtu"],
                1400,
                "the partial change did happen"
            );

            let report = owner.restore(&before).await.unwrap();
            assert!(!report.is_unchanged());
            let g0 = ns.link("ge-0-0-0");
            assert_eq!(g0["mtu"], 1500);
            assert!(g0.get("ifalias").is_none(), "{g0}");
            assert_eq!(addrs(&g0), ["10.0.0.1/24"]);
            assert!(ns.find("ge-0-0-0.7").is_none());
            let after = owner.snapshot().await.unwrap();
            assert_eq!(without_link_local(after), without_link_local(before));
            assert!(owner
                .restore(&owner.snapshot().await.unwrap())
                .await
                .unwrap()
                .is_unchanged());
        },
    );
}

#[test]
fn watch_sees_a_change_behind_our_back_and_reapply_repairs_it() {
    in_netns(
        "watch_sees_a_change_behind_our_back",
        TWO_VETHS,
        Vlans::Unused,
        |ns| async move {
            let owner = Owner::new().unwrap();
            let desired = full_desired(false);
            owner.apply(&desired).await.unwrap();
            let index = owner
                .snapshot()
                .await
                .unwrap()
                .link("ge-0-0-0")
                .unwrap()
                .index;
            let mut changes = watch().unwrap();

            ns.ip("addr del 10.0.0.1/24 dev ge-0-0-0");
            let wanted = Change::Address {
                index,
                addr: Some(a("10.0.0.1/24")),
                removed: true,
            };
            let seen = tokio::time::timeout(Duration::from_secs(5), async {
                while let Some(c) = changes.next().await {
                    if c == wanted {
                        return true;
                    }
                }
                false
            })
            .await;
            assert_eq!(seen, Ok(true), "no notification of the address removal");

            ns.ip("link set ge-0-0-0 mtu 1300");
            let seen = tokio::time::timeout(Duration::from_secs(5), async {
                while let Some(c) = changes.next().await {
                    if matches!(&c, Change::Link { index: i, removed: false, .. } if *i == index) {
                        return true;
                    }
                }
                false
            })
            .await;
            assert_eq!(seen, Ok(true), "no notification of the MTU change");

            let report = owner.apply(&desired).await.unwrap();
            assert!(report.actions.contains(&Action::AddAddress {
                name: "ge-0-0-0".into(),
                addr: a("10.0.0.1/24")
            }));
            assert!(report.actions.contains(&Action::SetMtu {
                name: "ge-0-0-0".into(),
                from: 1300,
                to: 1400
            }));
            let g0 = ns.link("ge-0-0-0");
            assert_eq!(addrs(&g0), ["10.0.0.1/24", "2001:db8::1/64"]);
            assert_eq!(g0["mtu"], 1400);
        },
    );
}

#[test]
fn foreign_vlans_are_never_deleted_and_a_matching_one_is_adopted() {
    let setup = [TWO_VETHS, &["link set ge-0-0-0 up"]].concat();
    in_netns(
        "foreign_vlans_are_never_deleted",
        &setup,
        Vlans::Used,
        |ns| async move {
            if !ns.vlans {
                return;
            }
            ns.ip("link add link ge-0-0-0 name ge-0-0-0.20 type vlan id 20");
            let owner = Owner::new().unwrap();
            let base = DesiredLink::physical("ge-0-0-0");
            let d = |links: Vec<DesiredLink>| Desired {
                links,
                down_unmanaged: false,
            };

            owner.apply(&d(vec![base.clone()])).await.unwrap();
            assert!(
                ns.find("ge-0-0-0.20").is_some(),
                "xpf deleted a VLAN it did not create"
            );

            let wrong_id = d(vec![
                base.clone(),
                DesiredLink::vlan("ge-0-0-0.20", "ge-0-0-0", 21),
            ]);
            let err = owner.apply(&wrong_id).await.unwrap_err();
            assert!(matches!(err, ApplyError::Conflict { .. }), "{err:?}");

            let same = d(vec![
                base.clone(),
                DesiredLink::vlan("ge-0-0-0.20", "ge-0-0-0", 20),
            ]);
            let report = owner.apply(&same).await.unwrap();
            assert!(
                report
                    .actions
                    .iter()
                    .any(|x| matches!(x, Action::SetGroup { to, .. } if *to == XPF_LINK_GROUP)),
                "{report}"
            );
            let report = owner.apply(&d(vec![base])).await.unwrap();
            assert!(
                report.actions.contains(&Action::DeleteVlan {
                    name: "ge-0-0-0.20".into()
                }),
                "{report}"
            );
            assert!(ns.find("ge-0-0-0.20").is_none());
        },
    );
}

#[test]
fn a_disabled_link_keeps_its_ipv6_address_and_reapply_is_a_no_op() {
    // The kernel drops a link's IPv6 addresses when it goes down, so addresses must be
    // applied after the admin state for a `disable`d interface to come out right.
    let setup = [TWO_VETHS, &["link set ge-0-0-0 up"]].concat();
    in_netns(
        "a_disabled_link_keeps_its_ipv6_address",
        &setup,
        Vlans::Unused,
        |ns| async move {
            let owner = Owner::new().unwrap();
            let desired = Desired {
                links: vec![DesiredLink::physical("ge-0-0-0")
                    .with_up(false)
                    .with_address(a("10.0.0.1/24"))
                    .with_address(a("2001:db8::1/64"))],
                down_unmanaged: false,
            };
            let report = owner.apply(&desired).await.unwrap();
            assert!(report.actions.contains(&Action::SetDown {
                name: "ge-0-0-0".into()
            }));
            let g0 = ns.link("ge-0-0-0");
            assert!(!is_up(&g0));
            assert_eq!(addrs(&g0), ["10.0.0.1/24", "2001:db8::1/64"]);
            let again = owner.apply(&desired).await.unwrap();
            assert!(again.is_unchanged(), "{again}");
        },
    );
}
/// The daemon shares one `Owner` between commits, the watcher, `show` and the
/// forwarding tables; their dumps must not collide on the socket (EBUSY).
#[test]
fn concurrent_readers_and_an_apply_share_one_owner() {
    in_netns(
        "concurrent_readers_and_an_apply_share_one_owner",
        TWO_VETHS,
        Vlans::Unused,
        |_ns| async move {
            let owner = Owner::new().unwrap();
            let desired = full_desired(false);
            let readers = (0..16).map(|i| {
                let owner = &owner;
                async move {
                    match i % 4 {
                        0 => owner.snapshot().await.map(|_| ()),
                        1 => owner.routes().await.map(|_| ()),
                        2 => owner.neighbours().await.map(|_| ()),
                        _ => owner.link_macs().await.map(|_| ()),
                    }
                }
            });
            let (applied, read) =
                futures::future::join(owner.apply(&desired), futures::future::join_all(readers))
                    .await;
            applied.unwrap();
            for r in read {
                r.unwrap();
            }
        },
    );
}
