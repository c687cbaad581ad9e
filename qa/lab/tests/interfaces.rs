// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! xpfd owns the interfaces of its namespace: commits appear in the kernel,
//! a refused commit changes nothing, and changes made behind xpfd's back
//! are put back.

use xpf_lab::{can_run, kernel_has_vlans, Lab};

#[test]
fn commits_reach_the_kernel_and_errors_change_nothing() {
    if !can_run("commits_reach_the_kernel") {
        return;
    }
    let lab = Lab::start(Some("system { host-name lab; }\n"));
    let (ok, out) = lab.cli(
        "configure; set interfaces ge-0/0/0 mtu 1400; set interfaces ge-0/0/0 unit 0 family inet address 10.9.0.1/24; \
         set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8:9::1/64; set interfaces ge-0/0/1 description uplink; \
         set interfaces ge-0/0/1 unit 0 family inet address 10.9.1.1/24; commit",
    );
    assert!(ok && out.contains("commit complete"), "{out}");
    let ge0 = lab.link("ge-0-0-0").expect("ge-0-0-0");
    assert_eq!(ge0["mtu"], 1400);
    assert!(
        lab.addresses("ge-0-0-0")
            .contains(&"10.9.0.1/24".to_string()),
        "{:?}",
        lab.addresses("ge-0-0-0")
    );
    assert!(lab
        .addresses("ge-0-0-0")
        .contains(&"2001:db8:9::1/64".to_string()));
    assert_eq!(lab.link("ge-0-0-1").expect("ge-0-0-1")["ifalias"], "uplink");
    // Interfaces the configuration does not name are brought down; lo is up.
    assert!(lab.link("p0").expect("p0")["flags"]
        .as_array()
        .is_some_and(|f| !f.iter().any(|x| x == "UP")));
    assert!(lab.link("lo").expect("lo")["flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|x| x == "UP")));

    // A second commit removes what the configuration no longer has.
    let (ok, out) = lab.cli("configure; delete interfaces ge-0/0/1 unit 0; delete interfaces ge-0/0/1 description; commit");
    assert!(ok, "{out}");
    assert!(
        lab.addresses("ge-0-0-1")
            .iter()
            .all(|a| !a.starts_with("10.9.1.1")),
        "{:?}",
        lab.addresses("ge-0-0-1")
    );
    assert!(lab
        .link("ge-0-0-1")
        .expect("ge-0-0-1")
        .get("ifalias")
        .is_none_or(|a| a == ""));

    // A configuration with an error is refused; the kernel keeps the old state.
    let before = lab.addresses("ge-0-0-0");
    let (ok, out) = lab.cli(
        "configure; set interfaces ge-0/0/0 unit 0 family inet address 10.9.9.1/24; \
         set security zones security-zone trust interfaces ge-0/0/7.0; commit",
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("interface 'ge-0/0/7.0' is not defined"),
        "{out}"
    );
    assert!(
        out.contains("[edit security zones security-zone trust interfaces]"),
        "{out}"
    );
    assert!(
        out.contains("error: configuration check-out failed"),
        "{out}"
    );
    assert_eq!(lab.addresses("ge-0-0-0"), before);
    let (_, shown) = lab.cli("show configuration interfaces ge-0/0/0");
    assert!(!shown.contains("10.9.9.1"), "{shown}");
}

#[test]
fn changes_behind_xpfds_back_are_restored() {
    if !can_run("changes_behind_xpfds_back_are_restored") {
        return;
    }
    let lab = Lab::start(Some(
        "interfaces { ge-0/0/0 { mtu 1400; unit 0 { family inet { address 10.8.0.1/24; } } } }\n",
    ));
    lab.wait(5, "the seed config", || {
        lab.addresses("ge-0-0-0")
            .contains(&"10.8.0.1/24".to_string())
    });
    lab.ip(&["addr", "del", "10.8.0.1/24", "dev", "ge-0-0-0"]);
    lab.ip(&["addr", "add", "10.7.7.7/24", "dev", "ge-0-0-0"]);
    lab.ip(&["link", "set", "ge-0-0-0", "mtu", "1300"]);
    lab.wait(5, "xpfd to restore ge-0-0-0", || {
        let a = lab.addresses("ge-0-0-0");
        a.contains(&"10.8.0.1/24".to_string())
            && !a.contains(&"10.7.7.7/24".to_string())
            && lab.link("ge-0-0-0").is_some_and(|l| l["mtu"] == 1400)
    });
    assert!(
        lab.log().contains("interfaces changed outside xpfd"),
        "{}",
        lab.log()
    );
}

#[test]
fn vlan_units_become_sub_interfaces() {
    if !can_run("vlan_units_become_sub_interfaces") {
        return;
    }
    if !kernel_has_vlans() {
        xpf_lab::skip(
            "vlan_units_become_sub_interfaces",
            "this kernel has no 802.1Q VLAN support (CONFIG_VLAN_8021Q)",
        );
        return;
    }
    let lab = Lab::start(None);
    let (ok, out) = lab.cli(
        "configure; set interfaces ge-0/0/1 vlan-tagging; set interfaces ge-0/0/1 unit 10 vlan-id 10; \
         set interfaces ge-0/0/1 unit 10 family inet address 10.10.0.1/24; commit",
    );
    assert!(ok, "{out}");
    let vlan = lab.link("ge-0-0-1.10").expect("VLAN sub-interface");
    assert_eq!(vlan["linkinfo"]["info_data"]["id"], 10);
    assert!(lab
        .addresses("ge-0-0-1.10")
        .contains(&"10.10.0.1/24".to_string()));
    let (ok, _) = lab.cli("configure; delete interfaces ge-0/0/1 unit 10; commit");
    assert!(ok);
    assert!(lab.link("ge-0-0-1.10").is_none());
}

#[test]
fn static_routes_follow_the_configuration() {
    if !can_run("static_routes_follow_the_configuration") {
        return;
    }
    let lab = Lab::start(Some(
        "interfaces { ge-0/0/1 { unit 0 { family inet { address 10.4.0.1/24; } family inet6 { address 2001:db8:4::1/64; } } } }\n",
    ));
    let routes =
        || String::from_utf8_lossy(&lab.ip(&["route", "show", "proto", "200"]).stdout).into_owned();
    let routes6 = || {
        String::from_utf8_lossy(&lab.ip(&["-6", "route", "show", "proto", "200"]).stdout)
            .into_owned()
    };
    let (ok, out) = lab.cli(
        "configure; set routing-options static route 192.0.2.0/24 next-hop 10.4.0.254; \
         set routing-options static route 198.51.100.0/24 discard; \
         set routing-options static route 203.0.113.0/24 next-hop 172.31.9.9; \
         set routing-options rib inet6.0 static route 2001:db8:99::/48 next-hop 2001:db8:4::fe; commit",
    );
    assert!(
        ok,
        "a route whose next hop is unreachable stays configured, as on Junos:\n{out}"
    );
    assert!(
        routes().contains("192.0.2.0/24 via 10.4.0.254 dev ge-0-0-1"),
        "{}",
        routes()
    );
    assert!(
        routes().contains("blackhole 198.51.100.0/24"),
        "{}",
        routes()
    );
    assert!(!routes().contains("203.0.113.0/24"));
    assert!(
        routes6().contains("2001:db8:99::/48 via 2001:db8:4::fe dev ge-0-0-1"),
        "{}",
        routes6()
    );
    let (_, shown) = lab.cli("show route");
    assert!(shown.contains("192.0.2.0/24       *[Static/5]"), "{shown}");
    assert!(shown.contains(">  to 10.4.0.254 via ge-0/0/1.0"), "{shown}");
    assert!(shown.contains("10.4.0.0/24        *[Direct/0]"), "{shown}");

    // Routes of any other origin are never touched; removed ones go.
    lab.ip(&["route", "add", "10.77.0.0/16", "via", "10.4.0.254"]);
    let (ok, out) = lab.cli("configure; delete routing-options static route 192.0.2.0/24; commit");
    assert!(ok, "{out}");
    assert!(!routes().contains("192.0.2.0/24"), "{}", routes());
    let all = String::from_utf8_lossy(&lab.ip(&["route"]).stdout).into_owned();
    assert!(all.contains("10.77.0.0/16"), "{all}");
}
