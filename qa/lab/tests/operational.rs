// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! Operational commands that read the box itself, run as a user at the
//! firewall would (the CLI in the firewall's namespace): `ping` and
//! `traceroute` with Junos' options and layout, `show arp`, `show ipv6
//! neighbors`, `show chassis hardware`, and Junos' error for an unknown
//! interface (issue 16).

use std::process::Command;
use std::time::Duration;

use xpf_lab::{binary, lab_ready, started, wait_for_path, Dataplane, Topology};

/// `cli -c script` inside the firewall's namespace, where its tools run.
fn cli_at_the_box(t: &Topology, script: &str) -> String {
    let out = Command::new("ip")
        .args(["netns", "exec", &t.ns("f")])
        .arg(binary("cli"))
        .args(["-c", script])
        .env("XPF_SOCKET", t.dir.join("xpfd.sock"))
        .output()
        .expect("cli runs");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

#[test]
fn ping_neighbours_hardware_and_unknown_interfaces_read_as_on_junos() {
    let test = "ping_neighbours_hardware_and_unknown_interfaces_read_as_on_junos";
    if !lab_ready(test) {
        return;
    }
    let Some(t) = started(test, Dataplane::Afxdp) else {
        return;
    };
    wait_for_path(&t, "10.91.2.2", Duration::from_secs(20));

    let out = cli_at_the_box(&t, "ping 10.91.1.2 count 2");
    for line in [
        "PING 10.91.1.2 (10.91.1.2): 56 data bytes",
        "icmp_seq=0 ttl=64",
        "--- 10.91.1.2 ping statistics ---",
        "2 packets transmitted, 2 packets received, 0% packet loss",
        "round-trip min/avg/max/stddev = ",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}\n{}", t.log());
    }
    let out = cli_at_the_box(&t, "ping 10.91.1.2 count 3 rapid");
    assert!(out.contains("\n!!!\n"), "{out}");
    let out = cli_at_the_box(&t, "ping 2001:db8:91:1::2 count 1 inet6");
    assert!(out.contains("1 packets received"), "{out}");

    let arp = cli_at_the_box(&t, "show arp no-resolve");
    assert!(
        arp.starts_with("MAC Address       Address         Interface"),
        "{arp}"
    );
    let row = arp
        .lines()
        .find(|l| l.contains("10.91.1.2 "))
        .unwrap_or_else(|| panic!("no 10.91.1.2 in\n{arp}"));
    assert!(row.contains("ge-0/0/0.0") && row.contains("none"), "{row}");
    assert!(arp.contains("Total entries: "), "{arp}");
    let nd = cli_at_the_box(&t, "show ipv6 neighbors");
    let row = nd
        .lines()
        .find(|l| l.starts_with("2001:db8:91:1::2 "))
        .unwrap_or_else(|| panic!("no 2001:db8:91:1::2 in\n{nd}"));
    assert!(row.contains("ge-0/0/0.0"), "{row}");

    let hw = cli_at_the_box(&t, "show chassis hardware");
    for line in [
        "Hardware inventory:",
        "Chassis",
        "Routing Engine",
        "FPC 0",
        "  PIC 0",
    ] {
        assert!(hw.contains(line), "no {line:?} in\n{hw}");
    }
    let missing = cli_at_the_box(&t, "show interfaces ge-0/0/9");
    assert!(
        missing.contains("error: device ge-0/0/9 not found"),
        "{missing}"
    );
    let missing = cli_at_the_box(&t, "show interfaces ge-0/0/0.7 terse");
    assert!(
        missing.contains("error: device ge-0/0/0.7 not found"),
        "{missing}"
    );
    let known = cli_at_the_box(&t, "show interfaces ge-0/0/0 terse");
    assert!(known.contains("ge-0/0/0.0"), "{known}");
}

/// `system host-name`, `domain-name`, `domain-search`, `name-server` and
/// `time-zone` reach the box's files (under a test root: the kernel host
/// name is set only when the root is `/`), and an unknown time zone fails
/// the commit and changes nothing (issue 16).
#[test]
fn the_box_takes_its_host_name_resolver_and_time_zone() {
    let test = "the_box_takes_its_host_name_resolver_and_time_zone";
    if !xpf_lab::can_run(test) {
        return;
    }
    let root = tempfile::tempdir().expect("root");
    std::fs::create_dir_all(root.path().join("usr/share")).expect("usr/share");
    std::os::unix::fs::symlink(
        "/usr/share/zoneinfo",
        root.path().join("usr/share/zoneinfo"),
    )
    .expect("zoneinfo");
    let lab = xpf_lab::Lab::start_with(xpf_lab::Setup {
        seed: Some("system { host-name basics; }\n"),
        args: vec![
            "--manage-system".into(),
            "--system-root".into(),
            root.path().as_os_str().to_owned(),
        ],
        ..xpf_lab::Setup::default()
    });
    let read = |p: &str| std::fs::read_to_string(root.path().join(p)).unwrap_or_default();
    assert_eq!(read("etc/hostname"), "basics\n", "{}", lab.log());
    let (ok, out) = lab.cli(
        "configure; set system host-name fw7; set system domain-name example.net; \
         set system domain-search [ a.example b.example ]; set system name-server 192.0.2.53; \
         set system name-server 2001:db8::53; set system time-zone Europe/Berlin; commit",
    );
    assert!(
        ok && out.contains("commit complete"),
        "{out}\n{}",
        lab.log()
    );
    assert_eq!(read("etc/hostname"), "fw7\n");
    let resolv = read("etc/resolv.conf");
    for line in [
        "domain example.net\n",
        "search example.net a.example b.example\n",
        "nameserver 192.0.2.53\nnameserver 2001:db8::53\n",
    ] {
        assert!(resolv.contains(line), "no {line:?} in\n{resolv}");
    }
    assert_eq!(read("etc/timezone"), "Europe/Berlin\n");
    let link = std::fs::read_link(root.path().join("etc/localtime")).expect("localtime");
    assert!(
        link.ends_with("zoneinfo/Europe/Berlin"),
        "{}",
        link.display()
    );

    let (ok, out) =
        lab.cli("configure; set system time-zone Mars/Olympus; set system host-name fw8; commit");
    assert!(!ok, "{out}");
    assert!(
        out.contains("[edit system time-zone] unknown time zone 'Mars/Olympus'"),
        "{out}"
    );
    assert_eq!(
        read("etc/hostname"),
        "fw7\n",
        "a refused commit changes nothing"
    );
    assert_eq!(read("etc/timezone"), "Europe/Berlin\n");
}

/// `system syslog` carries system events with Junos' tags (issue 16):
/// commits, configuration-mode logins and refused password logins reach
/// the files and hosts whose facility, severity and `match` take them.
#[test]
fn system_events_reach_syslog_files_and_hosts() {
    let test = "system_events_reach_syslog_files_and_hosts";
    if !xpf_lab::can_run(test) {
        return;
    }
    let lab = xpf_lab::Lab::start(Some(
        "system {
    host-name events;
    syslog {
        file messages { authorization info; }
        file commits { any any; match UI_COMMIT; }
        host 127.0.0.1 { authorization notice; port 5514; }
    }
}
",
    ));
    let listener = Command::new("ip")
        .args(["netns", "exec", &lab.ns, "python3", "-c"])
        .arg(
            "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('127.0.0.1',5514));s.settimeout(0.5)\nend=time.time()+8\nwhile time.time()<end:\n  try:\n    print(s.recv(4096).decode(),flush=True)\n  except socket.timeout:\n    pass",
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    std::thread::sleep(Duration::from_millis(300));
    let (ok, out) = lab.cli("configure; set applications application ev-app protocol tcp destination-port 9; commit comment \"from the test\"");
    assert!(ok, "{out}\n{}", lab.log());
    // A refused password login over REST, when curl is here.
    let curl = xpf_lab::has("curl");
    if curl {
        let _ = Command::new("ip")
            .args(["netns", "exec", &lab.ns, "curl", "-sk", "--max-time", "3"])
            .args(["-u", "mallory:guess", "https://127.0.0.1:8080/v1/config"])
            .output();
    }
    let t = std::time::Instant::now();
    let messages = loop {
        let (_, m) = lab.cli("show log messages");
        if m.contains("UI_COMMIT_COMPLETED") && (!curl || m.contains("UI_AUTH_EVENT")) {
            break m;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no events:\n{m}\n{}",
            lab.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for line in [
        " events mgd[",
        "UI_DBASE_LOGIN_EVENT: User 'root' entering configuration mode",
        "UI_COMMIT: User 'root' requested 'commit' operation (comment: from the test)",
        "UI_COMMIT_COMPLETED: commit complete",
    ] {
        assert!(messages.contains(line), "no {line:?} in\n{messages}");
    }
    if curl {
        assert!(
            messages.contains("UI_AUTH_EVENT: Authentication failed for user 'mallory'"),
            "{messages}"
        );
    }
    let (_, commits) = lab.cli("show log commits");
    assert!(commits.contains("UI_COMMIT:"), "{commits}");
    assert!(
        !commits.contains("UI_DBASE_LOGIN_EVENT"),
        "match keeps only UI_COMMIT: {commits}"
    );
    let got = listener.wait_with_output().expect("listener");
    let got = String::from_utf8_lossy(&got.stdout);
    // authorization (4) × 8 + notice (5).
    assert!(
        got.contains("<37>") && got.contains("UI_COMMIT_COMPLETED: commit complete"),
        "{got}"
    );
}
