// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! Configuration mode through `cli -c`: policy order with `insert`,
//! `annotate`, `show` at a level, `configure exclusive`, and commit errors.

use xpf_lab::{can_run, Lab};

const SEED: &str = "interfaces { ge-0/0/0 { unit 0 { family inet { address 10.5.0.1/24; } } } ge-0/0/1 { unit 0 { family inet { address 10.5.1.1/24; } } } }
security {
    zones { security-zone trust { interfaces { ge-0/0/0.0; } } security-zone untrust { interfaces { ge-0/0/1.0; } } }
    policies { from-zone trust to-zone untrust { policy allow-out { match { source-address any; destination-address any; application any; } then { permit; } } } }
}
";

#[test]
fn policy_order_annotations_and_levels() {
    if !can_run("policy_order_annotations_and_levels") {
        return;
    }
    let lab = Lab::start(Some(SEED));
    let (ok, out) = lab.cli(
        "configure; \
         set security policies from-zone trust to-zone untrust policy block-telnet match source-address any destination-address any application junos-telnet; \
         set security policies from-zone trust to-zone untrust policy block-telnet then reject; \
         insert security policies from-zone trust to-zone untrust policy block-telnet before policy allow-out; \
         edit security policies from-zone trust to-zone untrust; \
         annotate policy block-telnet \"no telnet, ever\"; \
         show; \
         top; commit",
    );
    assert!(ok, "{out}");
    // `show` at a level shows what the level holds, in the new order.
    let shown = &out[out
        .find("root@lab# show")
        .or_else(|| out.find("# show"))
        .expect("show ran")..];
    let block = shown
        .find("policy block-telnet {")
        .expect("block-telnet shown");
    let allow = shown.find("policy allow-out {").expect("allow-out shown");
    assert!(block < allow, "{shown}");
    assert!(shown.contains("/* no telnet, ever */"), "{shown}");
    assert!(
        !shown.contains("from-zone trust to-zone untrust {"),
        "show at a level prints its contents:\n{shown}"
    );
    let (_, policies) = lab.cli("show security policies");
    assert!(
        policies.find("block-telnet").expect("listed")
            < policies.find("allow-out").expect("listed"),
        "{policies}"
    );
    assert!(policies.contains("Action: reject"), "{policies}");
    let (ok, json) = lab.cli("show configuration security policies | display json");
    assert!(
        ok && json.contains("\"configuration\"") && json.contains("\"block-telnet\""),
        "{json}"
    );
    let (_, detail) = lab.cli("show interfaces ge-0/0/0");
    assert!(
        detail.contains("Physical interface: ge-0/0/0, Enabled"),
        "{detail}"
    );
    assert!(detail.contains("Logical interface ge-0/0/0.0"), "{detail}");
    assert!(detail.contains("Security: Zone: trust"), "{detail}");
    assert!(detail.contains("Local: 10.5.0.1/24"), "{detail}");
    // A rollback past the 50 kept names the number asked for, as Junos does.
    let (ok, out) = lab.cli("configure; rollback 77");
    assert!(!ok, "{out}");
    assert!(
        out.contains("Value 77 is not within range (0..49)"),
        "{out}"
    );
}

#[test]
fn exclusive_configuration_locks_others_out() {
    if !can_run("exclusive_configuration_locks_others_out") {
        return;
    }
    let lab = Lab::start(None);
    // Another user's CLI holds `configure exclusive`.
    let mut holder = std::process::Command::new(xpf_lab::binary("cli"))
        .env("XPF_SOCKET", lab.socket())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("cli");
    use std::io::{BufRead, Write};
    writeln!(holder.stdin.as_mut().expect("stdin"), "configure exclusive").expect("types");
    let mut out = std::io::BufReader::new(holder.stdout.take().expect("stdout"));
    let mut line = String::new();
    while out.read_line(&mut line).expect("reads") > 0
        && !line.contains("Entering configuration mode")
    {}
    let (ok, out) = lab.cli("configure");
    assert!(
        !ok && out.contains("configuration database locked by: root (exclusive)"),
        "{out}"
    );
    let _ = holder.kill();
    let _ = holder.wait();
}

/// A console login can beat xpfd after a boot: the CLI waits for it to come
/// up rather than throwing the user back to the login prompt, and gives up
/// with a clear error when it never does.
#[test]
fn the_cli_waits_for_xpfd_to_start() {
    if !can_run("the_cli_waits_for_xpfd_to_start") {
        return;
    }
    let lab = Lab::start(None);
    let away = lab.socket().with_extension("away");
    std::fs::rename(lab.socket(), &away).unwrap();
    let cli = |wait: &str| {
        std::process::Command::new(xpf_lab::binary("cli"))
            .env("XPF_SOCKET", lab.socket())
            .args(["--wait", wait, "-c", "show version"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let gave_up = cli("1").wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&gave_up.stderr);
    assert!(!gave_up.status.success(), "{said}");
    assert!(said.contains("cannot reach xpfd at"), "{said}");

    let waiting = cli("60");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::fs::rename(&away, lab.socket()).unwrap();
    let out = waiting.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}{shown}");
    assert!(said.contains("waiting up to 60 s"), "{said}");
    assert!(shown.contains("Hostname:"), "{shown}");
}
