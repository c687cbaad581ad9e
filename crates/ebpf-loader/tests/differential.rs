// SPDX-License-Identifier: Apache-2.0
//! The differential test of issue 6: frame sequences built with the packet
//! corpus's builders (`crates/dataplane/tests/common`) run through the Rust
//! pipeline and through the XDP program (BPF_PROG_TEST_RUN) with the same
//! Snapshot; verdicts, rewritten bytes and the resulting sessions must be
//! identical. A mismatch fails and prints both sides.
//!
//! Routes: the XDP program asks the kernel (`bpf_fib_lookup`), so the test
//! builds the same topology twice, as a `StaticFib` for the pipeline and as
//! real routes and permanent neighbours in a private network namespace
//! (veth pairs, forwarding on) for the program. Ethernet addresses
//! are the one place the engines differ by design: the pipeline leaves
//! them to its driver, the program writes the neighbour's; the test checks
//! the program's against the neighbour table it set up.
//!
//! Needs root and BPF; says "skipped: <why>" and passes otherwise.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns too

#[path = "../../dataplane/tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Command;

use common::*;
use xpf_dataplane::{
    process, DropReason, FlowKey, InterfaceTable, Snapshot, StaticFib, TcpState, Verdict, Worker,
    Xlate,
};
use xpf_ebpf_loader::{EbpfDataplane, EbpfSession, Options, Outcome};

const SEC: u64 = 1_000_000_000;

/// The corpus configuration (crates/dataplane/tests/corpus.rs) without
/// its screen and tcp-mss (`screened_conf` adds them, for `screens`) and
/// the NAT that `NAT_CONF` tests on its own, plus a policy by address.
const CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } } }
}
security {
    address-book {
        global {
            address web-server 10.0.2.10/32;
            address lan-high 10.0.1.128/25;
        }
    }
    nat {
        source {
            pool out-pool { address { 198.51.100.10/32 to 198.51.100.11/32; } port range 20000 to 20009; }
            rule-set trust-out {
                from zone trust;
                to zone untrust;
                rule via-pool { match { source-address 10.0.1.128/25; } then { source-nat pool out-pool; } }
                rule no-nat { match { source-address 10.0.1.64/26; } then { source-nat off; } }
                rule masquerade { match { source-address [ 0.0.0.0/0 ::/0 ]; } then { source-nat interface; } }
            }
        }
    }
    policies {
        from-zone trust to-zone untrust {
            policy web { match { source-address any; destination-address any; application [ junos-http junos-https ]; } then { permit; log { session-init session-close; } count; } }
            policy pings { match { source-address any; destination-address any; application [ junos-ping junos-pingv6 ]; } then { permit; } }
            policy no-dns { match { source-address any; destination-address any; application junos-dns-udp; } then { deny; } }
            policy ntp { match { source-address any; destination-address any; application junos-ntp; } then { permit; } }
            policy no-telnet { match { source-address any; destination-address any; application junos-telnet; } then { reject; } }
            policy no-tftp { match { source-address any; destination-address any; application junos-tftp; } then { reject; } }
        }
        from-zone trust to-zone dmz {
            policy ssh-from-high { match { source-address lan-high; destination-address web-server; application junos-ssh; } then { permit; } }
        }
        from-zone untrust to-zone dmz {
            policy published { match { source-address any; destination-address web-server; application any; } then { permit; } }
        }
        from-zone dmz to-zone untrust {
            policy dmz-out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
    }
    zones {
        security-zone trust {
            host-inbound-traffic { system-services { ssh; ping; } }
            interfaces { ge-0/0/0.0; }
        }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

/// Static and destination NAT over the same interfaces and zones: what
/// the policy sees is the translated destination (port 8080, the DMZ
/// addresses), and static NAT maps 192.0.2.0/24 onto the DMZ's /24 both
/// ways.
const NAT_CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } } }
}
applications {
    application web-8080 { protocol tcp; destination-port 8080; }
}
security {
    address-book {
        global {
            address web-server 10.0.2.10/32;
            address ssh-server 10.0.2.11/32;
            address dmz-net 10.0.2.0/24;
            address public-net 192.0.2.0/24;
        }
    }
    nat {
        source {
            rule-set trust-out {
                from zone trust;
                to zone untrust;
                rule masquerade { match { source-address 0.0.0.0/0; } then { source-nat interface; } }
            }
        }
        destination {
            pool web-pool { address 10.0.2.10/32 port 8080; }
            pool ssh-pool { address 10.0.2.11/32; }
            pool dns-pool { address 198.51.100.53/32 port 5353; }
            rule-set from-lan {
                from interface ge-0/0/0.0;
                rule lan-web { match { destination-address 203.0.113.100/32; destination-port 80; } then { destination-nat pool web-pool; } }
                rule lan-dns { match { destination-address 203.0.113.53/32; destination-port 53; protocol udp; } then { destination-nat pool dns-pool; } }
            }
            rule-set from-internet {
                from zone untrust;
                rule web { match { destination-address 203.0.113.100/32; destination-port 80; } then { destination-nat pool web-pool; } }
                rule not-for-66 { match { source-address 198.51.100.66/32; destination-address 203.0.113.101/32; } then { destination-nat off; } }
                rule ssh { match { destination-address 203.0.113.101/32; protocol tcp; } then { destination-nat pool ssh-pool; } }
            }
        }
        static {
            rule-set one-to-one {
                from zone untrust;
                rule servers { match { destination-address-name public-net; } then { static-nat prefix-name dmz-net; } }
            }
        }
    }
    policies {
        from-zone untrust to-zone dmz {
            policy web { match { source-address any; destination-address web-server; application web-8080; } then { permit; } }
            policy ssh { match { source-address any; destination-address ssh-server; application junos-ssh; } then { permit; } }
            policy servers { match { source-address any; destination-address dmz-net; application [ junos-http junos-ping ]; } then { permit; } }
        }
        from-zone trust to-zone dmz {
            policy lan-web { match { source-address any; destination-address web-server; application web-8080; } then { permit; } }
        }
        from-zone trust to-zone untrust {
            policy out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
        from-zone dmz to-zone untrust {
            policy dmz-out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

/// (kernel name, Junos name, address)
const LINKS: &[(&str, &str, &str)] = &[
    ("ge0", "ge-0/0/0.0", "10.0.1.1/24"),
    ("ge1", "ge-0/0/1.0", "203.0.113.1/24"),
    ("ge2", "ge-0/0/2.0", "10.0.2.1/24"),
];
/// (kernel name, IPv6 address): the same interfaces' IPv6 side.
const LINKS6: &[(&str, &str)] = &[
    ("ge0", "2001:db8:1::1/64"),
    ("ge1", "2001:db8:ff::1/64"),
    ("ge2", "2001:db8:2::1/64"),
];
const GATEWAY: &str = "203.0.113.254";
/// Hosts on connected networks the scenarios talk to (neighbours).
const HOSTS: &[&str] = &[
    "10.0.1.50",
    "10.0.1.70",
    "10.0.1.200",
    "10.0.1.201",
    "10.0.2.10",
    "10.0.2.11",
    "10.0.2.20",
    "10.0.2.30",
    "10.0.2.45",
    "203.0.113.101",
    GATEWAY,
];

fn sh(args: &[&str]) {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// IPv6 neighbours: (address, device).
const HOSTS6: &[(&str, &str)] = &[
    ("2001:db8:1::50", "ge0"),
    ("2001:db8:1::41", "ge0"),
    ("2001:db8:1::a0", "ge0"),
    ("2001:db8:2::10", "ge2"),
    ("2001:db8:2::11", "ge2"),
    ("2001:db8:2::20", "ge2"),
    ("2001:db8:2::30", "ge2"),
    (GATEWAY6, "ge1"),
];
const GATEWAY6: &str = "2001:db8:ff::fe";

fn mac_of(host: &str) -> [u8; 6] {
    let o = match host.parse::<IpAddr>().unwrap() {
        IpAddr::V4(a) => a.octets(),
        IpAddr::V6(a) => {
            let b = a.octets();
            [b[12], b[13], b[14], b[15]]
        }
    };
    [0x02, 0x42, o[0], o[1], o[2], o[3]]
}

fn mac_text(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn ifindex(name: &str) -> u32 {
    let out = Command::new("ip")
        .args(["-o", "link", "show", "dev", name])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.split(':').next().unwrap().trim().parse().unwrap()
}

/// The kernel side: a private netns with the topology, and a bpffs for pins.
struct Net {
    ifindex: HashMap<&'static str, u32>,
    bpffs: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Drop for Net {
    fn drop(&mut self) {
        let _ = nix::mount::umount2(&self.bpffs, nix::mount::MntFlags::MNT_DETACH);
    }
}

fn why_not() -> Option<String> {
    // SAFETY-free checks: effective uid via /proc, bpf via the syscall's
    // presence in a loaded program later.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or("1");
    if uid != "0" {
        return Some("not root (needs CAP_SYS_ADMIN/CAP_BPF and CAP_NET_ADMIN)".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("no `ip` command (iproute2)".into());
    }
    None
}

fn setup() -> Result<Net, String> {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
        .map_err(|e| format!("unshare(CLONE_NEWNET): {e}"))?;
    sh(&["ip", "link", "set", "lo", "up"]);
    let mut ifindex_of = HashMap::new();
    for (dev, _, addr) in LINKS {
        let peer = format!("{dev}p");
        sh(&[
            "ip", "link", "add", dev, "type", "veth", "peer", "name", &peer,
        ]);
        sh(&["ip", "addr", "add", addr, "dev", dev]);
        if let Some((_, a6)) = LINKS6.iter().find(|l| l.0 == *dev) {
            sh(&["ip", "addr", "add", a6, "dev", dev, "nodad"]);
        }
        sh(&["ip", "link", "set", dev, "up"]);
        sh(&["ip", "link", "set", &peer, "up"]);
        ifindex_of.insert(*dev, ifindex(dev));
    }
    sh(&[
        "ip", "route", "add", "default", "via", GATEWAY, "dev", "ge1",
    ]);
    for h in HOSTS {
        let dev = if h.starts_with("10.0.1.") {
            "ge0"
        } else if h.starts_with("10.0.2.") {
            "ge2"
        } else {
            "ge1"
        };
        sh(&[
            "ip",
            "neigh",
            "replace",
            h,
            "lladdr",
            &mac_text(mac_of(h)),
            "dev",
            dev,
            "nud",
            "permanent",
        ]);
    }
    sh(&[
        "ip", "-6", "route", "add", "default", "via", GATEWAY6, "dev", "ge1",
    ]);
    for (h, dev) in HOSTS6 {
        sh(&[
            "ip",
            "-6",
            "neigh",
            "replace",
            h,
            "lladdr",
            &mac_text(mac_of(h)),
            "dev",
            dev,
            "nud",
            "permanent",
        ]);
    }
    // bpf_fib_lookup answers only for interfaces that forward.
    std::fs::write("/proc/sys/net/ipv4/conf/all/forwarding", "1")
        .map_err(|e| format!("forwarding: {e}"))?;
    std::fs::write("/proc/sys/net/ipv6/conf/all/forwarding", "1")
        .map_err(|e| format!("IPv6 forwarding: {e}"))?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let bpffs = tmp.path().join("bpf");
    std::fs::create_dir(&bpffs).map_err(|e| e.to_string())?;
    nix::mount::mount(
        Some("bpf"),
        &bpffs,
        Some("bpf"),
        nix::mount::MsFlags::empty(),
        None::<&str>,
    )
    .map_err(|e| format!("mounting bpffs: {e}"))?;
    Ok(Net {
        ifindex: ifindex_of,
        bpffs,
        _tmp: tmp,
    })
}

/// Both engines with the same snapshot.
struct Pair {
    snap: Snapshot,
    /// Snapshots before `snap`, to name events of sessions made under them.
    older: Vec<Snapshot>,
    fib: StaticFib,
    w: Worker,
    ebpf: EbpfDataplane,
    macs: HashMap<IpAddr, [u8; 6]>,
    now: u64,
    trust: u32,
    untrust: u32,
    dmz: u32,
}

fn interfaces(net: &Net) -> InterfaceTable {
    LINKS
        .iter()
        .fold(InterfaceTable::new(), |t, (dev, name, addr)| {
            let v6 = LINKS6.iter().find(|l| l.0 == *dev).map_or("", |l| l.1);
            t.with(net.ifindex[dev], name, &[addr, v6])
        })
}

fn snapshot(net: &Net, text: &str) -> Snapshot {
    let cfg = xpf_config::parse_config(text).expect("config loads");
    let model = xpf_model::build(&xpf_config::effective(&cfg, None)).expect("model builds");
    Snapshot::compile(&model, &interfaces(net)).expect("snapshot compiles")
}

fn pair(net: &Net, pins: &str) -> Pair {
    pair_with(net, pins, CONF)
}

fn pair_with(net: &Net, pins: &str, conf: &str) -> Pair {
    let ifs = interfaces(net);
    let snap = snapshot(net, conf);
    let untrust = net.ifindex["ge1"];
    let fib = StaticFib::connected(&ifs)
        .route("0.0.0.0/0", untrust, Some(GATEWAY))
        .route("::/0", untrust, Some(GATEWAY6));
    let w = Worker::with_capacity(&snap, 1024);
    let mut ebpf = EbpfDataplane::load(&Options {
        pin_dir: Some(net.bpffs.join(pins)),
        session_entries: 4096,
    })
    .unwrap_or_else(|e| panic!("loading the eBPF dataplane: {e:?}"));
    ebpf.apply(&snap)
        .unwrap_or_else(|e| panic!("applying the snapshot: {e}"));
    let macs = HOSTS
        .iter()
        .copied()
        .chain(HOSTS6.iter().map(|h| h.0))
        .map(|h| (h.parse().unwrap(), mac_of(h)))
        .collect();
    Pair {
        snap,
        older: Vec::new(),
        fib,
        w,
        ebpf,
        macs,
        now: SEC,
        trust: net.ifindex["ge0"],
        untrust,
        dmz: net.ifindex["ge2"],
    }
}

/// What both engines did with one frame.
#[derive(Debug)]
struct Both {
    verdict: Verdict,
    reference: Vec<u8>,
    outcome: Outcome,
    ebpf: Vec<u8>,
}

impl Pair {
    /// Runs one frame through both and fails on any difference.
    fn run(&mut self, ingress: u32, pkt: &Ip) -> Both {
        let f = pkt.frame();
        let mut buf = vec![0u8; 2048];
        buf[..f.len()].copy_from_slice(&f);
        let verdict = process(
            &self.snap,
            &mut self.w,
            &self.fib,
            ingress,
            &mut buf,
            f.len(),
            self.now,
        );
        let n = match verdict {
            Verdict::Reply(n) => n,
            _ => f.len(),
        };
        buf.truncate(n);
        let run = self.ebpf.test_run(ingress, &f).unwrap();
        let both = Both {
            verdict,
            reference: buf,
            outcome: run.outcome,
            ebpf: run.frame,
        };
        if let Err(why) = self.same(&both) {
            panic!(
                "the engines disagree ({why}) on a frame from ifindex {ingress}:\n  frame:     {}\n  pipeline:  {:?}\n             {}\n  eBPF:      {:?}\n             {}",
                hex(&f),
                both.verdict,
                hex(&both.reference),
                both.outcome,
                hex(&both.ebpf)
            );
        }
        self.now += SEC / 1000;
        both
    }

    fn same(&self, b: &Both) -> Result<(), String> {
        match (b.verdict, &b.outcome) {
            (
                Verdict::Forward {
                    egress_ifindex,
                    next_hop,
                },
                Outcome::Redirect(e),
            ) => {
                if egress_ifindex != *e {
                    return Err("egress".into());
                }
                if b.reference.len() != b.ebpf.len() || b.reference[12..] != b.ebpf[12..] {
                    return Err("rewritten bytes".into());
                }
                let want = self
                    .macs
                    .get(&next_hop)
                    .ok_or(format!("no neighbour set up for {next_hop}"))?;
                if b.ebpf[..6] != want[..] {
                    return Err(format!("destination MAC is not {next_hop}'s"));
                }
                Ok(())
            }
            (Verdict::ToKernel, Outcome::Pass) | (Verdict::Reply(_), Outcome::Tx) => {
                if b.reference == b.ebpf {
                    Ok(())
                } else {
                    Err("bytes".into())
                }
            }
            (Verdict::Drop(r), Outcome::Drop(n)) if r as u32 == *n => Ok(()),
            _ => Err("verdict".into()),
        }
    }

    /// Forwards through both; returns the rewritten frame.
    fn forward(&mut self, ingress: u32, pkt: &Ip, egress: u32) -> Vec<u8> {
        let b = self.run(ingress, pkt);
        assert_eq!(b.outcome, Outcome::Redirect(egress), "{b:?}");
        view(&b.ebpf).assert_checksums();
        b.ebpf
    }

    /// The sessions of both engines must be the same set.
    fn same_sessions(&self) {
        type Row = (
            FlowKey,
            FlowKey,
            [Xlate; 2],
            [u32; 2],
            Option<u32>,
            [u64; 2],
            [Option<String>; 2],
            Option<TcpState>,
        );
        let mut reference: Vec<Row> = self
            .w
            .sessions
            .iter()
            .map(|s| {
                (
                    s.fwd,
                    s.rev,
                    s.xlate,
                    [s.route[0].ifindex, s.route[1].ifindex],
                    s.policy_id,
                    s.packets,
                    [&s.snat_rule, &s.dnat_rule].map(|r| r.as_deref().map(str::to_string)),
                    s.tcp.map(|t| t.state()),
                )
            })
            .collect();
        let rule = |id: Option<u32>| {
            id.and_then(|i| self.snap.nat_rules().get(i as usize))
                .map(|r| r.name.to_string())
        };
        let mut ebpf: Vec<Row> = self
            .ebpf
            .sessions()
            .unwrap()
            .into_iter()
            .map(|s: EbpfSession| {
                (
                    s.fwd,
                    s.rev,
                    s.xlate,
                    s.egress,
                    s.policy_id,
                    s.packets,
                    [rule(s.snat_rule), rule(s.dnat_rule)],
                    s.tcp,
                )
            })
            .collect();
        let order = |r: &Row| (r.0.src, r.0.dst, r.0.sport, r.0.dport, r.0.proto);
        reference.sort_by_key(order);
        ebpf.sort_by_key(order);
        assert!(
            reference == ebpf,
            "the engines hold different sessions:\n  pipeline: {reference:#?}\n  eBPF:     {ebpf:#?}"
        );
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn a(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn scenarios(net: &Net) {
    let mut p = pair(net, "permit");
    let (trust, untrust, dmz) = (p.trust, p.untrust, p.dmz);

    // Permit + session create, interface NAT with port rewrite.
    let syn = tcp("10.0.1.50", 40000, "198.51.100.80", 80, SYN, 1000, 0);
    let out = p.forward(trust, &syn, untrust);
    let v = view(&out);
    assert_eq!((v.src(), v.ttl()), (a("203.0.113.1"), 63));
    let nat_port = v.sport();
    assert!(nat_port >= 61000, "interface NAT ports: {nat_port}");
    let tcp_port = nat_port;
    // Reply via the reverse session.
    let synack = tcp(
        "198.51.100.80",
        80,
        "203.0.113.1",
        nat_port,
        SYN | ACK,
        5000,
        1001,
    );
    let back = p.forward(untrust, &synack, trust);
    assert_eq!(
        (view(&back).dst(), view(&back).dport()),
        (a("10.0.1.50"), 40000)
    );
    p.forward(
        trust,
        &tcp("10.0.1.50", 40000, "198.51.100.80", 80, ACK, 1001, 5001),
        untrust,
    );
    p.forward(
        untrust,
        &tcp(
            "198.51.100.80",
            80,
            "203.0.113.1",
            nat_port,
            ACK | PSH,
            5001,
            1001,
        ),
        trust,
    );
    // No session: an ACK to the box is the kernel's, a stray ACK to the
    // LAN is not a SYN, UDP from outside hits the default deny.
    p.run(
        untrust,
        &tcp(
            "198.51.100.80",
            80,
            "203.0.113.1",
            nat_port.wrapping_add(1),
            SYN | ACK,
            1,
            1,
        ),
    );
    p.run(
        untrust,
        &tcp("198.51.100.80", 80, "10.0.1.50", 40000, ACK, 1, 1),
    );
    p.run(untrust, &udp("198.51.100.80", 53, "10.0.1.50", 5353));

    // Deny by policy; default deny.
    p.run(trust, &udp("10.0.1.50", 5000, "198.51.100.53", 53));
    p.run(trust, &udp("10.0.1.50", 5000, "198.51.100.53", 9999));
    // Reject: a RST for TCP, ICMP prohibited for UDP; a stray ACK to a
    // rejected service never reaches the policy (not a SYN).
    p.run(
        trust,
        &tcp("10.0.1.50", 40003, "198.51.100.80", 23, SYN, 77, 0),
    );
    p.run(
        trust,
        &tcp("10.0.1.50", 40003, "198.51.100.80", 23, ACK | PSH, 78, 99),
    );
    p.run(trust, &udp("10.0.1.50", 40004, "198.51.100.80", 69));
    // A SYN as Linux sends it, with options (MSS, SACK, timestamps,
    // window scale): the RST is shorter than the packet it answers.
    let linux_syn = ip(
        "10.0.1.50",
        "198.51.100.80",
        6,
        tcp_header(
            40005,
            23,
            1000,
            0,
            SYN,
            &[
                2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
            ],
        ),
    );
    p.run(trust, &linux_syn);
    // By application: https permitted, 8443 not.
    p.forward(
        trust,
        &tcp("10.0.1.50", 40001, "198.51.100.80", 443, SYN, 1, 0),
        untrust,
    );
    p.run(
        trust,
        &tcp("10.0.1.50", 40002, "198.51.100.80", 8443, SYN, 1, 0),
    );
    // By address: ssh to the web server from 10.0.1.128/25 only.
    p.forward(
        trust,
        &tcp("10.0.1.200", 50000, "10.0.2.10", 22, SYN, 1, 0),
        dmz,
    );
    p.run(trust, &tcp("10.0.1.50", 50000, "10.0.2.10", 22, SYN, 1, 0));
    p.run(trust, &tcp("10.0.1.200", 50001, "10.0.2.10", 23, SYN, 1, 0));
    // UDP (ntp) with interface NAT and its checksum, both ways.
    let out = p.forward(trust, &udp("10.0.1.50", 123, "198.51.100.7", 123), untrust);
    let nat_port = view(&out).sport();
    p.forward(
        untrust,
        &udp("198.51.100.7", 123, "203.0.113.1", nat_port),
        trust,
    );
    // ICMP echo through interface NAT both ways (the id is the port).
    let out = p.forward(trust, &ping("10.0.1.50", "198.51.100.80", 7), untrust);
    let id = view(&out).icmp_id();
    p.forward(untrust, &pong("198.51.100.80", "203.0.113.1", id), trust);
    icmp_errors(&mut p, tcp_port, nat_port, id);
    // No NAT for 10.0.1.64/26; inbound to the DMZ and out of it.
    p.forward(
        trust,
        &tcp("10.0.1.70", 40000, "198.51.100.80", 80, SYN, 1, 0),
        untrust,
    );
    p.forward(untrust, &udp("198.51.100.9", 5000, "10.0.2.10", 8080), dmz);
    p.forward(dmz, &udp("10.0.2.10", 8080, "198.51.100.9", 5000), untrust);
    p.same_sessions();

    // Pool NAT: one host keeps one address; ports probe through the
    // pool's ten until it is exhausted.
    for sport in 30000..30012 {
        p.run(
            trust,
            &tcp("10.0.1.200", sport, "198.51.100.80", 80, SYN, 1, 0),
        );
    }
    p.same_sessions();

    // TTL: expiry on a first packet and on a session hit answers with a
    // time exceeded; TTL 2 still forwards.
    p.run(
        trust,
        &tcp("10.0.1.50", 41000, "198.51.100.80", 80, SYN, 1, 0).ttl(1),
    );
    p.forward(
        trust,
        &tcp("10.0.1.50", 41001, "198.51.100.80", 80, SYN, 1, 0).ttl(2),
        untrust,
    );
    p.run(
        trust,
        &tcp("10.0.1.50", 40000, "198.51.100.80", 80, ACK, 1001, 5001).ttl(1),
    );

    // Traffic for the box: host-inbound by interface.
    p.run(trust, &ping("10.0.1.50", "10.0.1.1", 9));
    p.run(trust, &tcp("10.0.1.50", 40000, "10.0.1.1", 22, SYN, 1, 0));
    p.run(trust, &tcp("10.0.1.50", 40000, "10.0.1.1", 23, SYN, 1, 0));
    p.run(untrust, &ping("198.51.100.80", "203.0.113.1", 9));
    p.run(trust, &udp("10.0.1.50", 68, "10.0.1.255", 67));

    // Malformed and non-IP.
    let mut arp = vec![0u8; 60];
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    arp[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    let f = &arp;
    let mut buf = vec![0u8; 2048];
    buf[..f.len()].copy_from_slice(f);
    let v = process(&p.snap, &mut p.w, &p.fib, trust, &mut buf, f.len(), p.now);
    let e = p.ebpf.test_run(trust, f).unwrap();
    assert_eq!((v, e.outcome), (Verdict::ToKernel, Outcome::Pass), "ARP");
    let mut short = tcp("10.0.1.50", 40000, "198.51.100.80", 80, SYN, 1, 0).frame();
    short.truncate(40);
    let mut buf = vec![0u8; 2048];
    buf[..short.len()].copy_from_slice(&short);
    let v = process(
        &p.snap,
        &mut p.w,
        &p.fib,
        trust,
        &mut buf,
        short.len(),
        p.now,
    );
    let e = p.ebpf.test_run(trust, &short).unwrap();
    match (v, e.outcome) {
        (Verdict::Drop(r), Outcome::Drop(n)) if r as u32 == n => {}
        other => panic!("truncated frame: {other:?}"),
    }
    // A later fragment of no forwarded datagram: both engines drop it.
    let mut later = udp("10.0.1.50", 1, "198.51.100.7", 2);
    later.frag = Some((8, false));
    p.run(trust, &later);
    // A fragmented datagram through interface NAT: the first fragment
    // makes the session, the later one follows it, addresses translated;
    // the answer, fragmented too, comes back the same way. The transport
    // checksum (in the first fragment) fits the reassembled whole.
    let big = ip(
        "10.0.1.50",
        "198.51.100.7",
        17,
        udp_header(124, 123, &[7u8; 400]),
    );
    let (first, later) = fragments(&big, 208);
    let out1 = p.forward(trust, &first, untrust);
    let out2 = p.forward(trust, &later, untrust);
    assert_eq!(
        view(&out2).src(),
        a("203.0.113.1"),
        "the later fragment, translated"
    );
    assert_reassembled_checksum(&out1, &out2);
    let port = view(&out1).sport();
    let answer = ip(
        "198.51.100.7",
        "203.0.113.1",
        17,
        udp_header(123, port, &[9u8; 400]),
    );
    let (first, later) = fragments(&answer, 208);
    let back1 = p.forward(untrust, &first, trust);
    let back2 = p.forward(untrust, &later, trust);
    assert_eq!(view(&back2).dst(), a("10.0.1.50"));
    assert_reassembled_checksum(&back1, &back2);
    // TTL 1 on a later fragment: dropped, with no ICMP error.
    p.run(untrust, &later.clone().ttl(1));

    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    assert_eq!(c.policy_hits, r.policy_hits, "policy hit counters");
    assert_eq!(c.sessions_created, r.sessions.created, "sessions created");
    assert_eq!(c.nat_rules, r.nat_rules, "NAT rule hit counters");
    assert!(
        c.nat_rules.iter().any(|h| h.failed > 0),
        "the pool ran out: {:?}",
        c.nat_rules
    );
    eprintln!("eBPF counters after the corpus: {c:?}");
    eprintln!("pipeline sessions: {}", p.w.sessions.len());
}

/// An ICMP error of type `ty`, code `code`, quoting `quoted` (an IP
/// packet, cut to `keep` bytes).
fn icmp4(src: &str, dst: &str, ty: u8, code: u8, quoted: &Ip, keep: usize) -> Ip {
    let mut l4 = vec![ty, code, 0, 0, 0, 0, 0x05, 0xdc];
    let q = quoted.frame();
    l4.extend_from_slice(&q[14..(14 + keep).min(q.len())]);
    ip(src, dst, 1, l4)
}

/// IPv4 ICMP errors follow the session of the packet they quote, both
/// ways, translated (interface NAT: `tcp_port`, `udp_port`, echo `id`).
fn icmp_errors(p: &mut Pair, tcp_port: u16, udp_port: u16, id: u16) {
    let (trust, untrust) = (p.trust, p.untrust);
    let sent = tcp(
        "203.0.113.1",
        tcp_port,
        "198.51.100.80",
        80,
        ACK,
        1001,
        5001,
    );
    // Fragmentation needed from a router on the path: to the LAN host,
    // its own packet in the quote.
    let out = p.forward(
        untrust,
        &icmp4(GATEWAY, "203.0.113.1", 3, 4, &sent, 28),
        trust,
    );
    let v = view(&out);
    assert_eq!((v.src(), v.dst()), (a(GATEWAY), a("10.0.1.50")));
    let quote = &v.payload()[8..];
    assert_eq!(&quote[12..16], &[10, 0, 1, 50], "quoted source restored");
    assert_eq!(u16::from_be_bytes([quote[20], quote[21]]), 40000);
    v.assert_checksums();
    // The whole quoted TCP header: its checksum follows the translation.
    p.forward(
        untrust,
        &icmp4("198.51.100.80", "203.0.113.1", 3, 3, &sent, 40),
        trust,
    );
    // UDP with its checksum; the echo's identifier.
    let sent = udp("203.0.113.1", udp_port, "198.51.100.7", 123);
    p.forward(
        untrust,
        &icmp4("198.51.100.7", "203.0.113.1", 3, 3, &sent, 36),
        trust,
    );
    let sent = ping("203.0.113.1", "198.51.100.80", id);
    p.forward(
        untrust,
        &icmp4(GATEWAY, "203.0.113.1", 11, 0, &sent, 36),
        trust,
    );
    // The LAN host's own error about an answer leaves as the box's.
    let got = udp("198.51.100.7", 123, "10.0.1.50", 123);
    let out = p.forward(
        trust,
        &icmp4("10.0.1.50", "198.51.100.7", 3, 3, &got, 36),
        untrust,
    );
    assert_eq!(view(&out).src(), a("203.0.113.1"));
    // TTL 1 is dropped; a quote too short for its ports is malformed.
    p.run(
        untrust,
        &icmp4(GATEWAY, "203.0.113.1", 3, 4, &sent, 28).ttl(1),
    );
    p.run(untrust, &icmp4(GATEWAY, "203.0.113.1", 3, 4, &sent, 24));
    // No session: the box's when addressed to it, else dropped.
    let stray = udp("203.0.113.1", 7, "198.51.100.7", 7);
    p.run(untrust, &icmp4(GATEWAY, "203.0.113.1", 3, 3, &stray, 28));
    let stray = udp("10.0.1.99", 7, "198.51.100.7", 7);
    p.run(untrust, &icmp4(GATEWAY, "10.0.1.99", 3, 3, &stray, 28));
}

/// No NAT. Trust may ping out (echo only, as `junos-icmp-ping` is); the
/// DMZ may send any ICMP out; nothing may come in but answers.
const ICMP_CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } } }
}
security {
    policies {
        from-zone trust to-zone untrust {
            policy ping-only { match { source-address any; destination-address any; application [ junos-icmp-ping junos-icmp6-echo-request ]; } then { permit; } }
        }
        from-zone dmz to-zone untrust {
            policy icmp-all { match { source-address any; destination-address any; application [ junos-icmp-all junos-icmp6-all ]; } then { permit; } }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

/// ICMP other than echo (issue 15): both engines key each kind apart, so
/// a permitted ping (identifier 0) admits no other type either way, an
/// unprompted message from outside finds no session, and a query is
/// answered by its own reply only.
fn icmp_kinds(net: &Net) {
    let mut p = pair_with(net, "icmp-kinds", &with_inet6(ICMP_CONF));
    let (trust, untrust, dmz) = (p.trust, p.untrust, p.dmz);
    let deny = Verdict::Drop(DropReason::DefaultDeny);
    let timestamp = |src: &str, dst: &str, ty: u8, id: u16| icmp_msg(src, dst, ty, 0, id, &[0; 12]);
    let (inside, outside) = ("10.0.1.50", "198.51.100.80");

    p.forward(trust, &ping(inside, outside, 0), untrust);
    p.forward(untrust, &pong(outside, inside, 0), trust);
    // Timestamp requests with the ping's (zero) identifier, both ways.
    assert_eq!(
        p.run(trust, &timestamp(inside, outside, 13, 0)).verdict,
        deny
    );
    assert_eq!(
        p.run(untrust, &timestamp(outside, inside, 13, 0)).verdict,
        deny
    );
    // Unprompted from outside: an echo reply to no ping, a timestamp
    // reply, router advertisement and solicitation, an unassigned type.
    assert_eq!(p.run(untrust, &pong(outside, inside, 1)).verdict, deny);
    for (ty, code) in [(14, 0), (9, 0), (10, 0), (42, 0), (255, 255)] {
        let m = icmp_msg(outside, inside, ty, code, 0, &[0; 12]);
        assert_eq!(p.run(untrust, &m).verdict, deny, "type {ty}");
    }

    // IPv6: an echo-request policy admits no node information query.
    let (inside6, outside6) = ("2001:db8:1::50", "2001:db8:99::80");
    p.forward(trust, &ping(inside6, outside6, 0), untrust);
    p.forward(untrust, &pong(outside6, inside6, 0), trust);
    for (from, src, dst) in [(trust, inside6, outside6), (untrust, outside6, inside6)] {
        let m = icmp_msg(src, dst, 139, 0, 0, &[0; 8]);
        assert_eq!(p.run(from, &m).verdict, deny);
    }
    assert_eq!(p.run(untrust, &pong(outside6, inside6, 1)).verdict, deny);

    // junos-icmp-all: a timestamp query and its reply, an error about the
    // query (its quote keyed as the query was), and nothing else back.
    let host = "10.0.2.30";
    p.forward(dmz, &timestamp(host, outside, 13, 7), untrust);
    p.forward(untrust, &timestamp(outside, host, 14, 7), dmz);
    let sent = timestamp(host, outside, 13, 7);
    p.forward(untrust, &icmp4(GATEWAY, host, 3, 1, &sent, 28), dmz);
    for m in [
        timestamp(outside, host, 13, 7),
        timestamp(outside, host, 14, 8),
        icmp_msg(outside, host, 18, 0, 7, &[0; 4]),
        pong(outside, host, 7),
        pong(outside, host, 8),
    ] {
        assert_eq!(p.run(untrust, &m).verdict, deny);
    }
    // The same for ICMPv6, where only echo is a query: an error about a
    // node information query follows the query's own flow.
    let host6 = "2001:db8:2::30";
    let query = icmp_msg(host6, outside6, 139, 0, 0, &[0; 8]);
    p.forward(dmz, &query, untrust);
    let unreachable = icmp6(GATEWAY6, host6, 1, &query.frame()[14..]);
    p.forward(untrust, &unreachable, dmz);
    let back = icmp_msg(outside6, host6, 140, 0, 0, &[0; 8]);
    assert_eq!(p.run(untrust, &back).verdict, deny);
    // A one-way type is a flow of its own, never answered.
    let advert = icmp_msg(host, outside, 9, 0, 0, &[0; 8]);
    p.forward(dmz, &advert, untrust);
    p.forward(dmz, &advert, untrust);
    let back = icmp_msg(outside, host, 9, 0, 0, &[0; 8]);
    assert_eq!(p.run(untrust, &back).verdict, deny);
    p.same_sessions();
    assert_eq!(
        p.w.sessions.len(),
        5,
        "two pings, two queries, an advertisement"
    );
}

/// Static and destination NAT (issue 6): the same translations, the
/// same sessions, replies un-NATted the same way, and packets no rule
/// matches left alone.
fn nat(net: &Net) {
    let mut p = pair_with(net, "nat", NAT_CONF);
    let (trust, untrust, dmz) = (p.trust, p.untrust, p.dmz);

    // Destination NAT to address and port: the policy permits 8080 only,
    // so it must see the translated port.
    let out = p.forward(
        untrust,
        &tcp("198.51.100.9", 40000, "203.0.113.100", 80, SYN, 1000, 0),
        dmz,
    );
    let v = view(&out);
    assert_eq!((v.src(), v.sport()), (a("198.51.100.9"), 40000));
    assert_eq!((v.dst(), v.dport()), (a("10.0.2.10"), 8080));
    // The reply is un-NATted: it leaves from the published address.
    let back = p.forward(
        dmz,
        &tcp(
            "10.0.2.10",
            8080,
            "198.51.100.9",
            40000,
            SYN | ACK,
            5000,
            1001,
        ),
        untrust,
    );
    let v = view(&back);
    assert_eq!((v.src(), v.sport()), (a("203.0.113.100"), 80));
    assert_eq!((v.dst(), v.dport()), (a("198.51.100.9"), 40000));
    p.forward(
        untrust,
        &tcp("198.51.100.9", 40000, "203.0.113.100", 80, ACK, 1001, 5001),
        dmz,
    );
    // An error about the server's answer reaches the server, quoting its
    // own address and port.
    let answer = tcp("203.0.113.100", 80, "198.51.100.9", 40000, ACK, 5001, 1001);
    let out = p.forward(
        untrust,
        &icmp4("198.51.100.9", "203.0.113.100", 3, 3, &answer, 28),
        dmz,
    );
    let v = view(&out);
    let quote = &v.payload()[8..];
    assert_eq!(&quote[12..16], &[10, 0, 2, 10]);
    assert_eq!(u16::from_be_bytes([quote[20], quote[21]]), 8080);
    // Destination NAT to an address only: the port stays; both ways.
    let out = p.forward(
        untrust,
        &tcp("198.51.100.9", 40001, "203.0.113.101", 22, SYN, 1, 0),
        dmz,
    );
    assert_eq!((view(&out).dst(), view(&out).dport()), (a("10.0.2.11"), 22));
    let back = p.forward(
        dmz,
        &tcp("10.0.2.11", 22, "198.51.100.9", 40001, SYN | ACK, 9, 2),
        untrust,
    );
    assert_eq!(view(&back).src(), a("203.0.113.101"));
    // `destination-nat off` stops the rule-set: untranslated, the packet
    // turns back into untrust, where no policy lets it.
    p.run(
        untrust,
        &tcp("198.51.100.66", 40002, "203.0.113.101", 22, SYN, 1, 0),
    );
    // Not matching: another port, another protocol (ssh is tcp only), an
    // ICMP echo (its id stands in for the port: 7 is not 80). Untranslated,
    // all denied.
    p.run(
        untrust,
        &tcp("198.51.100.9", 40003, "203.0.113.100", 443, SYN, 1, 0),
    );
    p.run(untrust, &udp("198.51.100.9", 40004, "203.0.113.101", 22));
    p.run(untrust, &ping("198.51.100.9", "203.0.113.100", 7));
    // UDP to the web rule is translated, then the policy (tcp 8080) denies.
    p.run(untrust, &udp("198.51.100.9", 40005, "203.0.113.100", 80));
    // Not matching and permitted: the DMZ server by its own address is
    // forwarded untouched but for the TTL.
    let out = p.forward(
        untrust,
        &tcp("198.51.100.9", 40006, "10.0.2.10", 8080, SYN, 1, 0),
        dmz,
    );
    assert_eq!(
        (view(&out).dst(), view(&out).dport()),
        (a("10.0.2.10"), 8080)
    );
    // A rule-set `from interface`: the LAN reaches the server by its
    // public address; untrust's rule-set does not apply to it.
    let out = p.forward(
        trust,
        &tcp("10.0.1.50", 40007, "203.0.113.100", 80, SYN, 1, 0),
        dmz,
    );
    assert_eq!(
        (view(&out).dst(), view(&out).dport()),
        (a("10.0.2.10"), 8080)
    );
    p.forward(
        dmz,
        &tcp("10.0.2.10", 8080, "10.0.1.50", 40007, SYN | ACK, 1, 2),
        trust,
    );
    let out = p.forward(
        trust,
        &tcp("10.0.1.50", 40008, "203.0.113.101", 22, SYN, 1, 0),
        untrust,
    );
    assert_eq!(
        (view(&out).dst(), view(&out).dport()),
        (a("203.0.113.101"), 22)
    );
    // Both translations in one session: the LAN's resolver address is
    // sent to an outside server (destination NAT, from the interface),
    // from the box's address (interface source NAT); the answer undoes both.
    let out = p.forward(trust, &udp("10.0.1.50", 3333, "203.0.113.53", 53), untrust);
    let v = view(&out);
    assert_eq!((v.dst(), v.dport()), (a("198.51.100.53"), 5353));
    assert_eq!(v.src(), a("203.0.113.1"));
    let nat_port = v.sport();
    let back = p.forward(
        untrust,
        &udp("198.51.100.53", 5353, "203.0.113.1", nat_port),
        trust,
    );
    let v = view(&back);
    assert_eq!((v.src(), v.sport()), (a("203.0.113.53"), 53));
    assert_eq!((v.dst(), v.dport()), (a("10.0.1.50"), 3333));
    // TTL expiry on a translated first packet.
    p.run(
        untrust,
        &tcp("198.51.100.9", 40009, "203.0.113.100", 80, SYN, 1, 0).ttl(1),
    );

    // Static NAT inbound: 192.0.2.0/24 maps host by host onto 10.0.2.0/24,
    // ports kept; the reply leaves from the public address.
    for (host, public) in [("10.0.2.20", "192.0.2.20"), ("10.0.2.45", "192.0.2.45")] {
        let out = p.forward(
            untrust,
            &tcp("198.51.100.9", 41000, public, 80, SYN, 1, 0),
            dmz,
        );
        assert_eq!((view(&out).dst(), view(&out).dport()), (a(host), 80));
        let back = p.forward(
            dmz,
            &tcp(host, 80, "198.51.100.9", 41000, SYN | ACK, 1, 2),
            untrust,
        );
        assert_eq!((view(&back).src(), view(&back).sport()), (a(public), 80));
    }
    // An echo through static NAT keeps its id both ways.
    let out = p.forward(untrust, &ping("198.51.100.9", "192.0.2.20", 33), dmz);
    assert_eq!(
        (view(&out).dst(), view(&out).icmp_id()),
        (a("10.0.2.20"), 33)
    );
    p.forward(dmz, &pong("10.0.2.20", "198.51.100.9", 33), untrust);
    // Static NAT outbound: a DMZ host opens a flow from its public address.
    let out = p.forward(dmz, &udp("10.0.2.30", 6000, "198.51.100.9", 53), untrust);
    assert_eq!(
        (view(&out).src(), view(&out).sport()),
        (a("192.0.2.30"), 6000)
    );
    let back = p.forward(untrust, &udp("198.51.100.9", 53, "192.0.2.30", 6000), dmz);
    assert_eq!(
        (view(&back).dst(), view(&back).dport()),
        (a("10.0.2.30"), 6000)
    );
    // Outside the prefix: not translated (and no policy from untrust back
    // to untrust). Inbound translation is untrust's only: the LAN's flow
    // to a public address is routed out, source-NATted by interface.
    p.run(
        untrust,
        &tcp("198.51.100.9", 41001, "192.0.3.20", 80, SYN, 1, 0),
    );
    let out = p.forward(
        trust,
        &tcp("10.0.1.50", 41002, "192.0.2.20", 80, SYN, 1, 0),
        untrust,
    );
    assert_eq!(
        (view(&out).src(), view(&out).dst()),
        (a("203.0.113.1"), a("192.0.2.20"))
    );

    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    assert_eq!(c.policy_hits, r.policy_hits, "policy hit counters");
    assert_eq!(c.sessions_created, r.sessions.created, "sessions created");
    assert_eq!(
        (c.nat_destination, c.nat_source),
        (r.nat.destination, r.nat.source),
        "NAT counters"
    );
    assert_eq!(c.nat_rules, r.nat_rules, "NAT rule hit counters");
    let hits = |name: &str| {
        let i = p.snap.nat_rules().iter().position(|r| &*r.name == name);
        c.nat_rules[i.unwrap()].successful
    };
    assert_eq!((hits("web"), hits("lan-web"), hits("ssh")), (1, 1, 1));
    assert_eq!((hits("lan-dns"), hits("masquerade")), (1, 3));
    assert_eq!((hits("not-for-66"), hits("servers")), (0, 4));
}

/// Configuration swaps: each apply fills the idle buffer and flips the
/// generation; new flows are judged by the new snapshot in both engines,
/// sessions of policies that remain keep flowing.
fn swaps(net: &Net) {
    let mut p = pair(net, "swap");
    let (trust, untrust) = (p.trust, p.untrust);
    let out = p.forward(trust, &udp("10.0.1.50", 123, "198.51.100.7", 123), untrust);
    let nat_port = view(&out).sport();
    // Appended last, so the ids of the policies before it do not move.
    let extra = "\nsecurity { policies { from-zone untrust to-zone trust { policy in-9999 { match { source-address any; destination-address any; application in-9999; } then { permit; } } } } }\napplications { application in-9999 { protocol udp; destination-port 9999; } }\n";
    for round in 0..4u16 {
        let text = if round % 2 == 1 {
            format!("{CONF}{extra}")
        } else {
            CONF.to_string()
        };
        let snap = snapshot(net, &text);
        p.ebpf.apply(&snap).unwrap();
        assert_eq!(
            p.ebpf.generation(),
            snap.generation(),
            "the new generation is live"
        );
        p.snap = snap;
        let inbound = udp("198.51.100.9", 5000 + round, "10.0.1.50", 9999);
        let b = p.run(untrust, &inbound);
        let permitted = matches!(b.outcome, Outcome::Redirect(_));
        assert_eq!(permitted, round % 2 == 1, "round {round}: {b:?}");
        p.forward(
            untrust,
            &udp("198.51.100.7", 123, "203.0.113.1", nat_port),
            trust,
        );
        // A commit keeps the counts of the NAT rules it keeps.
        let c = p.ebpf.counters().unwrap();
        p.w.adopt(&p.snap);
        assert_eq!(c.nat_rules, p.w.counters().nat_rules, "round {round}");
        assert_eq!(c.nat_rules.iter().map(|h| h.successful).sum::<u64>(), 1);
    }
    p.same_sessions();

    // Sessions outlive a commit by their policy's name, checked at their
    // next packet. A policy inserted first moves `ntp` to another id: the
    // session keeps flowing, counted under the new id.
    let reply = udp("198.51.100.7", 123, "203.0.113.1", nat_port);
    let inserted = CONF.replace(
        "            policy web {",
        "            policy first { match { source-address any; destination-address any; application junos-ssh; } then { permit; } }\n            policy web {",
    );
    let renamed = inserted.replace("policy ntp {", "policy ntp-renamed {");
    let before = p.w.sessions.len();
    for (text, flows) in [(inserted, true), (renamed, false)] {
        let snap = snapshot(net, &text);
        p.ebpf.apply(&snap).unwrap();
        p.snap = snap;
        if flows {
            p.forward(untrust, &reply, trust);
        } else {
            // Its policy gone, the session ends: the reply is judged as a
            // new flow from untrust, which no policy permits.
            let b = p.run(untrust, &reply);
            assert!(matches!(b.outcome, Outcome::Drop(_)), "{b:?}");
        }
        p.same_sessions();
    }
    assert_eq!(p.w.sessions.len(), before - 1, "the ntp session is gone");
}

/// Hitless restart (issue 6): what one load pins outlives it. The next
/// load takes over the session table and swaps itself into the pinned
/// link in place; a load whose session table has another layout starts a
/// fresh one (and still takes the link over); state of another version is
/// removed; a link whose interface is gone cannot be taken over and is
/// discarded; detach ends the attachment.
fn restarts(net: &Net) {
    let dir = net.bpffs.join("restart");
    let opts = |session_entries| Options {
        pin_dir: Some(dir.clone()),
        session_entries,
    };
    let (trust, untrust) = (net.ifindex["ge0"], net.ifindex["ge1"]);
    let snap = snapshot(net, CONF);
    let out = udp("10.0.1.50", 123, "198.51.100.7", 123).frame();
    let other_version = dir.join("dataplane-v0");
    std::fs::create_dir_all(&other_version).unwrap();

    let mut first = EbpfDataplane::load(&opts(4096)).unwrap();
    assert!(!other_version.exists(), "state of another version removed");
    first.apply(&snap).unwrap();
    let mode = first.attach(trust).unwrap();
    let run = first.test_run(trust, &out).unwrap();
    assert_eq!(run.outcome, Outcome::Redirect(untrust));
    assert_eq!(first.sessions().unwrap().len(), 1);
    drop(first);
    assert_eq!(
        xpf_ebpf_loader::pinned_links(&dir),
        [trust],
        "the link outlives its loader"
    );

    let mut second = EbpfDataplane::load(&opts(4096)).unwrap();
    assert_eq!(second.sessions().unwrap().len(), 1, "sessions taken over");
    assert_eq!(second.pinned_elsewhere(), [trust]);
    second.apply(&snap).unwrap();
    assert_eq!(second.attach(trust).unwrap(), mode, "taken over in place");
    assert!(second.pinned_elsewhere().is_empty());
    drop(second);

    let mut third = EbpfDataplane::load(&opts(8192)).unwrap();
    assert!(
        third.sessions().unwrap().is_empty(),
        "a table of another size is not taken over"
    );
    third.apply(&snap).unwrap();
    assert_eq!(third.attach(trust).unwrap(), mode);
    let dmz = net.ifindex["ge2"];
    third.attach(dmz).unwrap();
    drop(third);

    sh(&["ip", "link", "del", "ge2"]);
    // No snapshot: one naming ge2 cannot be filled in now (its devmap
    // entry), and attaching needs none.
    let mut fourth = EbpfDataplane::load(&opts(4096)).unwrap();
    fourth.attach(trust).unwrap();
    assert_eq!(fourth.pinned_elsewhere(), [dmz]);
    let err = fourth.attach(dmz).unwrap_err();
    assert!(
        matches!(err, xpf_ebpf_loader::Error::Adopt { .. }),
        "a link whose device is gone: {err}"
    );
    fourth.discard_pinned_link(dmz).unwrap();
    assert!(fourth.pinned_elsewhere().is_empty());
    fourth.detach(trust).unwrap();
    assert!(xpf_ebpf_loader::pinned_links(&dir).is_empty());
}

/// `CONF` with an IPv6 address on every interface.
fn conf6() -> String {
    with_inet6(CONF)
}

/// `conf` with the IPv6 side of its three interfaces.
fn with_inet6(conf: &str) -> String {
    let mut c = conf.to_string();
    for (v4, v6) in [
        ("10.0.1.1/24", "2001:db8:1::1/64"),
        ("203.0.113.1/24", "2001:db8:ff::1/64"),
        ("10.0.2.1/24", "2001:db8:2::1/64"),
    ] {
        c = c.replacen(
            &format!("family inet {{ address {v4}; }}"),
            &format!("family inet {{ address {v4}; }} family inet6 {{ address {v6}; }}"),
            1,
        );
    }
    c
}

/// An ICMPv6 message of type `ty` with `body` after the 4-byte header
/// and 4 bytes of zeros.
fn icmp6(src: &str, dst: &str, ty: u8, body: &[u8]) -> Ip {
    let mut l4 = vec![ty, 0, 0, 0, 0, 0, 0, 0];
    l4.extend_from_slice(body);
    ip(src, dst, 58, l4)
}

/// IPv6 for the box and on the link: what the program passes to the
/// kernel, and what it drops, must be what the pipeline does.
fn host6(net: &Net) {
    let mut p = pair_with(net, "host6", &conf6());
    let (trust, untrust) = (p.trust, p.untrust);
    let target = |a: &str| a.parse::<std::net::Ipv6Addr>().unwrap().octets().to_vec();

    // Neighbour and router discovery need no host-inbound statement.
    let ns = icmp6("fe80::50", "ff02::1:ff00:1", 135, &target("2001:db8:ff::1"));
    assert_eq!(p.run(untrust, &ns.ttl(255)).outcome, Outcome::Pass);
    p.run(untrust, &icmp6("fe80::50", "ff02::2", 133, &[]).ttl(255));
    p.run(
        untrust,
        &icmp6(
            "2001:db8:ff::50",
            "2001:db8:ff::1",
            136,
            &target("2001:db8:ff::50"),
        )
        .ttl(255),
    );
    p.run(trust, &icmp6("fe80::50", "ff02::1", 134, &[0; 8]).ttl(255));
    // MLD: a report to its group behind a hop-by-hop header (router alert).
    let mld = icmp6("fe80::50", "ff02::16", 143, &[0; 20]);
    // Echo: ping is allowed on trust, not on untrust; replies to the box's
    // own pings are the kernel's everywhere.
    assert_eq!(
        p.run(trust, &ping("2001:db8:1::50", "2001:db8:1::1", 9))
            .outcome,
        Outcome::Pass
    );
    assert_eq!(
        p.run(untrust, &ping("2001:db8:ff::50", "2001:db8:ff::1", 9))
            .outcome,
        Outcome::Drop(3)
    );
    p.run(trust, &ping("2001:db8:1::50", "2001:db8:2::1", 9));
    p.run(untrust, &pong("2001:db8:ff::50", "2001:db8:ff::1", 9));
    // Services: ssh on trust; telnet nowhere; segments of the box's own
    // connections (ACK) always; DHCPv6 to its multicast group not allowed.
    p.run(
        trust,
        &tcp("2001:db8:1::50", 40000, "2001:db8:1::1", 22, SYN, 1, 0),
    );
    p.run(
        trust,
        &tcp("2001:db8:1::50", 40000, "2001:db8:1::1", 23, SYN, 1, 0),
    );
    p.run(
        untrust,
        &tcp(
            "2001:db8:ff::50",
            80,
            "2001:db8:ff::1",
            40000,
            SYN | ACK,
            1,
            1,
        ),
    );
    p.run(
        untrust,
        &tcp("2001:db8:ff::50", 40000, "2001:db8:ff::1", 22, SYN, 1, 0),
    );
    p.run(trust, &udp("fe80::50", 546, "ff02::1:2", 547));
    // ICMPv6 errors to the box are the kernel's.
    let quoted = udp("2001:db8:1::1", 5000, "2001:db8:ff::50", 53).frame()[14..].to_vec();
    p.run(
        untrust,
        &icmp6("2001:db8:ff::50", "2001:db8:1::1", 1, &quoted),
    );
    // Malformed: a payload length past the frame.
    let mut bad = ping("2001:db8:1::50", "2001:db8:1::1", 9).frame();
    bad[18..20].copy_from_slice(&200u16.to_be_bytes());
    let mut buf = vec![0u8; 2048];
    buf[..bad.len()].copy_from_slice(&bad);
    let v = process(&p.snap, &mut p.w, &p.fib, trust, &mut buf, bad.len(), p.now);
    let e = p.ebpf.test_run(trust, &bad).unwrap();
    assert_eq!(
        (v, e.outcome),
        (
            Verdict::Drop(xpf_dataplane::DropReason::Malformed),
            Outcome::Drop(1)
        )
    );

    // The program's own, where the pipeline never sees the frame (the
    // AF_XDP shim passes it first): link-local unicast is the kernel's.
    let ll = icmp6("fe80::50", "fe80::1", 135, &target("fe80::1"))
        .ttl(255)
        .frame();
    assert_eq!(
        p.ebpf.test_run(untrust, &ll).unwrap().outcome,
        Outcome::Pass
    );
    // MLD behind its hop-by-hop header goes to the kernel too.
    let mut f = mld.frame();
    let hbh = [58u8, 0, 5, 2, 0, 0, 1, 0];
    f[20] = 0; // next header: hop-by-hop
    let plen = u16::from_be_bytes([f[18], f[19]]) + 8;
    f[18..20].copy_from_slice(&plen.to_be_bytes());
    f.splice(54..54, hbh);
    assert_eq!(p.ebpf.test_run(untrust, &f).unwrap().outcome, Outcome::Pass);
    // An error quoting transit traffic no session knows.
    let quoted = udp("2001:db8:1::60", 5000, "2001:db8:ff::50", 53).frame()[14..].to_vec();
    p.run(
        untrust,
        &icmp6("2001:db8:ff::50", "2001:db8:1::60", 1, &quoted),
    );
    // `masquerade` matches ::/0 too: trust to untrust leaves from the
    // egress interface's IPv6 address.
    let out = p.forward(
        trust,
        &tcp("2001:db8:1::50", 40000, "2001:db8:ee::50", 80, SYN, 1, 0),
        untrust,
    );
    assert_eq!(view(&out).src(), a("2001:db8:ff::1"));
    p.same_sessions();
}

/// IPv6 transit without NAT (the source rule is IPv4's only).
const V6_CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } family inet6 { address 2001:db8:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } family inet6 { address 2001:db8:ff::1/64; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } family inet6 { address 2001:db8:2::1/64; } } }
}
security {
    address-book {
        global {
            address web6 2001:db8:2::10/128;
            address lan6-high 2001:db8:1::80/121;
        }
    }
    nat {
        source {
            rule-set trust-out {
                from zone trust;
                to zone untrust;
                rule masquerade { match { source-address 0.0.0.0/0; } then { source-nat interface; } }
            }
        }
    }
    policies {
        from-zone trust to-zone untrust {
            policy web { match { source-address any; destination-address any; application [ junos-http junos-https ]; } then { permit; count; } }
            policy pings { match { source-address any; destination-address any; application junos-pingv6; } then { permit; } }
            policy no-dns { match { source-address any; destination-address any; application junos-dns-udp; } then { deny; } }
            policy ntp { match { source-address any; destination-address any; application junos-ntp; } then { permit; } }
            policy no-telnet { match { source-address any; destination-address any; application junos-telnet; } then { reject; } }
            policy no-tftp { match { source-address any; destination-address any; application junos-tftp; } then { reject; } }
        }
        from-zone trust to-zone dmz {
            policy ssh-from-high { match { source-address lan6-high; destination-address web6; application junos-ssh; } then { permit; } }
        }
        from-zone untrust to-zone dmz {
            policy published { match { source-address any; destination-address web6; application any; } then { permit; } }
        }
    }
    zones {
        security-zone trust {
            host-inbound-traffic { system-services { ssh; ping; } }
            interfaces { ge-0/0/0.0; }
        }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

/// IPv6 transit: policy, sessions both ways, and what is refused.
fn transit6(net: &Net) {
    let mut p = pair_with(net, "transit6", V6_CONF);
    let (trust, untrust, dmz) = (p.trust, p.untrust, p.dmz);

    // A TCP connection through the default route, both ways by session.
    let out = p.forward(
        trust,
        &tcp("2001:db8:1::50", 40000, "2001:db8:ee::80", 80, SYN, 1000, 0),
        untrust,
    );
    assert_eq!(
        (view(&out).src(), view(&out).ttl()),
        (a("2001:db8:1::50"), 63)
    );
    p.forward(
        untrust,
        &tcp(
            "2001:db8:ee::80",
            80,
            "2001:db8:1::50",
            40000,
            SYN | ACK,
            5000,
            1001,
        ),
        trust,
    );
    p.forward(
        trust,
        &tcp(
            "2001:db8:1::50",
            40000,
            "2001:db8:ee::80",
            80,
            ACK,
            1001,
            5001,
        ),
        untrust,
    );
    p.forward(
        untrust,
        &tcp(
            "2001:db8:ee::80",
            80,
            "2001:db8:1::50",
            40000,
            ACK | PSH,
            5001,
            1001,
        ),
        trust,
    );
    // No session: a stray ACK is not a SYN; UDP from outside is denied.
    p.run(
        untrust,
        &tcp("2001:db8:ee::80", 80, "2001:db8:1::50", 40001, ACK, 1, 1),
    );
    p.run(untrust, &udp("2001:db8:ee::80", 53, "2001:db8:1::50", 5353));
    // Deny by policy; default deny; by application.
    p.run(trust, &udp("2001:db8:1::50", 5000, "2001:db8:ee::53", 53));
    p.run(trust, &udp("2001:db8:1::50", 5000, "2001:db8:ee::53", 9999));
    p.run(
        trust,
        &tcp("2001:db8:1::50", 40002, "2001:db8:ee::80", 8443, SYN, 1, 0),
    );
    p.forward(
        trust,
        &tcp("2001:db8:1::50", 40003, "2001:db8:ee::80", 443, SYN, 1, 0),
        untrust,
    );
    // By address: ssh to web6 only from lan6-high.
    p.forward(
        trust,
        &tcp("2001:db8:1::a0", 50000, "2001:db8:2::10", 22, SYN, 1, 0),
        dmz,
    );
    p.run(
        trust,
        &tcp("2001:db8:1::50", 50000, "2001:db8:2::10", 22, SYN, 1, 0),
    );
    // UDP and ICMPv6 echo, both ways.
    p.forward(
        trust,
        &udp("2001:db8:1::50", 123, "2001:db8:ee::7", 123),
        untrust,
    );
    p.forward(
        untrust,
        &udp("2001:db8:ee::7", 123, "2001:db8:1::50", 123),
        trust,
    );
    p.forward(
        trust,
        &ping("2001:db8:1::50", "2001:db8:ee::80", 7),
        untrust,
    );
    p.forward(
        untrust,
        &pong("2001:db8:ee::80", "2001:db8:1::50", 7),
        trust,
    );
    // Into the DMZ by policy; out of it only as the session's return
    // traffic (no dmz-to-untrust policy).
    p.forward(
        untrust,
        &udp("2001:db8:ee::9", 5000, "2001:db8:2::10", 8080),
        dmz,
    );
    p.forward(
        dmz,
        &udp("2001:db8:2::10", 8080, "2001:db8:ee::9", 5000),
        untrust,
    );
    p.run(dmz, &udp("2001:db8:2::10", 8081, "2001:db8:ee::9", 5000));
    // Hop limit 2 still forwards.
    p.forward(
        trust,
        &tcp("2001:db8:1::50", 41001, "2001:db8:ee::80", 80, SYN, 1, 0).ttl(2),
        untrust,
    );
    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    assert_eq!(c.policy_hits, r.policy_hits, "policy hit counters");
    assert_eq!(c.sessions_created, r.sessions.created, "sessions created");

    // ICMPv6 errors about a session's packets go its way: Packet Too Big
    // from a router on the path back to the sender, an unreachable from
    // inside toward the outside; with hop limit 1 they are dropped.
    let quoted = tcp(
        "2001:db8:1::50",
        40000,
        "2001:db8:ee::80",
        80,
        ACK,
        1001,
        5001,
    )
    .frame()[14..]
        .to_vec();
    let ptb = icmp6(GATEWAY6, "2001:db8:1::50", 2, &quoted);
    p.forward(untrust, &ptb, trust);
    p.run(untrust, &ptb.clone().ttl(1));
    let quoted = udp("2001:db8:ee::7", 123, "2001:db8:1::50", 123).frame()[14..].to_vec();
    p.forward(
        trust,
        &icmp6("2001:db8:1::50", "2001:db8:ee::7", 1, &quoted),
        untrust,
    );
    let quoted = ping("2001:db8:1::50", "2001:db8:ee::80", 7).frame()[14..].to_vec();
    p.forward(
        untrust,
        &icmp6(GATEWAY6, "2001:db8:1::50", 3, &quoted),
        trust,
    );
    // A quote too short for its ports is malformed.
    p.run(
        untrust,
        &icmp6(GATEWAY6, "2001:db8:1::50", 2, &quoted[..44]),
    );

    // Hop limit expiry, on a first packet and on a session hit: an ICMPv6
    // time exceeded from the ingress interface's address.
    let b = p.run(
        trust,
        &tcp("2001:db8:1::50", 41000, "2001:db8:ee::80", 80, SYN, 1, 0).ttl(1),
    );
    assert_eq!(b.outcome, Outcome::Tx);
    view(&b.ebpf).assert_checksums();
    p.run(
        trust,
        &tcp(
            "2001:db8:1::50",
            40000,
            "2001:db8:ee::80",
            80,
            ACK,
            1001,
            5001,
        )
        .ttl(1),
    );
    // Reject: a RST for TCP, ICMPv6 prohibited for UDP (quoting at most
    // 1280 bytes in all); a stray ACK never reaches the policy.
    let b = p.run(
        trust,
        &tcp("2001:db8:1::50", 40004, "2001:db8:ee::80", 23, SYN, 77, 0),
    );
    assert_eq!(b.outcome, Outcome::Tx);
    view(&b.ebpf).assert_checksums();
    p.run(
        trust,
        &tcp(
            "2001:db8:1::50",
            40004,
            "2001:db8:ee::80",
            23,
            ACK | PSH,
            78,
            99,
        ),
    );
    let b = p.run(trust, &udp("2001:db8:1::50", 40005, "2001:db8:ee::80", 69));
    assert_eq!(b.outcome, Outcome::Tx);
    view(&b.ebpf).assert_checksums();
    let big = ip(
        "2001:db8:1::50",
        "2001:db8:ee::80",
        17,
        udp_header(40006, 69, &[0x5a; 1401]),
    );
    let b = p.run(trust, &big);
    assert_eq!(b.ebpf.len(), 14 + 1280);
    p.same_sessions();
}

/// IPv6 NAT of every kind over the same interfaces and zones.
const NAT6_CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } family inet6 { address 2001:db8:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } family inet6 { address 2001:db8:ff::1/64; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } family inet6 { address 2001:db8:2::1/64; } } }
}
applications {
    application web-8080 { protocol tcp; destination-port 8080; }
}
security {
    address-book {
        global {
            address web6 2001:db8:2::10/128;
            address ssh6 2001:db8:2::11/128;
            address dmz6 2001:db8:2::/64;
        }
    }
    nat {
        source {
            pool p6 { address { 2001:db8:99::10/128 to 2001:db8:99::13/128; } port range 20000 to 20009; }
            rule-set trust-out {
                from zone trust;
                to zone untrust;
                rule v4 { match { source-address 0.0.0.0/0; } then { source-nat interface; } }
                rule no-nat { match { source-address 2001:db8:1::40/126; } then { source-nat off; } }
                rule via-pool { match { source-address 2001:db8:1::80/121; } then { source-nat pool p6; } }
                rule masquerade6 { match { source-address ::/0; } then { source-nat interface; } }
            }
        }
        destination {
            pool web6-pool { address 2001:db8:2::10/128 port 8080; }
            pool ssh6-pool { address 2001:db8:2::11/128; }
            rule-set from-internet {
                from zone untrust;
                rule web { match { destination-address 2001:db8:ff::100/128; destination-port 80; } then { destination-nat pool web6-pool; } }
                rule not-for-66 { match { source-address 2001:db8:ee::66/128; destination-address 2001:db8:ff::101/128; } then { destination-nat off; } }
                rule ssh { match { destination-address 2001:db8:ff::101/128; protocol tcp; } then { destination-nat pool ssh6-pool; } }
            }
        }
        static {
            rule-set one-to-one {
                from zone untrust;
                rule servers { match { destination-address 2001:db8:5::/64; } then { static-nat prefix 2001:db8:2::/64; } }
            }
        }
    }
    policies {
        from-zone untrust to-zone dmz {
            policy web { match { source-address any; destination-address web6; application web-8080; } then { permit; } }
            policy ssh { match { source-address any; destination-address ssh6; application junos-ssh; } then { permit; } }
            policy servers { match { source-address any; destination-address dmz6; application [ junos-http junos-pingv6 ]; } then { permit; } }
        }
        from-zone trust to-zone untrust {
            policy out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
        from-zone dmz to-zone untrust {
            policy dmz-out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

/// IPv6 NAT: interface and pool source NAT (ports allocated alike),
/// `off`, destination NAT to address and port, static NAT both ways,
/// replies and ICMPv6 errors through the sessions.
fn nat6(net: &Net) {
    let mut p = pair_with(net, "nat6", NAT6_CONF);
    let (trust, untrust, dmz) = (p.trust, p.untrust, p.dmz);

    // Interface source NAT: the egress address and a port of 61000-65535.
    let out = p.forward(
        trust,
        &tcp("2001:db8:1::50", 40000, "2001:db8:ee::80", 80, SYN, 1000, 0),
        untrust,
    );
    let v = view(&out);
    assert_eq!(v.src(), a("2001:db8:ff::1"));
    let nat_port = v.sport();
    assert!(nat_port >= 61000, "{nat_port}");
    let back = p.forward(
        untrust,
        &tcp(
            "2001:db8:ee::80",
            80,
            "2001:db8:ff::1",
            nat_port,
            SYN | ACK,
            5000,
            1001,
        ),
        trust,
    );
    let v = view(&back);
    assert_eq!((v.dst(), v.dport()), (a("2001:db8:1::50"), 40000));
    p.forward(
        trust,
        &tcp(
            "2001:db8:1::50",
            40000,
            "2001:db8:ee::80",
            80,
            ACK,
            1001,
            5001,
        ),
        untrust,
    );
    // UDP, and an echo whose id stands in for the port, both ways.
    let out = p.forward(
        trust,
        &udp("2001:db8:1::50", 5000, "2001:db8:ee::7", 123),
        untrust,
    );
    let udp_port = view(&out).sport();
    p.forward(
        untrust,
        &udp("2001:db8:ee::7", 123, "2001:db8:ff::1", udp_port),
        trust,
    );
    let out = p.forward(
        trust,
        &ping("2001:db8:1::50", "2001:db8:ee::80", 7),
        untrust,
    );
    let id = view(&out).icmp_id();
    let back = p.forward(
        untrust,
        &pong("2001:db8:ee::80", "2001:db8:ff::1", id),
        trust,
    );
    assert_eq!(view(&back).icmp_id(), 7);
    // The server's port unreachable about the UDP flow reaches the client,
    // quoting what the client sent.
    let quoted = udp("2001:db8:ff::1", udp_port, "2001:db8:ee::7", 123).frame()[14..].to_vec();
    let err = p.forward(
        untrust,
        &icmp6("2001:db8:ee::7", "2001:db8:ff::1", 1, &quoted),
        trust,
    );
    let v = view(&err);
    assert_eq!(v.dst(), a("2001:db8:1::50"));
    let quote = &v.payload()[8..];
    assert_eq!(&quote[8..24], &a16("2001:db8:1::50"));
    assert_eq!(u16::from_be_bytes([quote[40], quote[41]]), 5000);
    // Packet Too Big from a router about the TCP flow, and about the echo.
    let quoted = tcp(
        "2001:db8:ff::1",
        nat_port,
        "2001:db8:ee::80",
        80,
        ACK,
        1001,
        5001,
    )
    .frame()[14..]
        .to_vec();
    p.forward(
        untrust,
        &icmp6(GATEWAY6, "2001:db8:ff::1", 2, &quoted),
        trust,
    );
    let quoted = ping("2001:db8:ff::1", "2001:db8:ee::80", id).frame()[14..].to_vec();
    p.forward(
        untrust,
        &icmp6(GATEWAY6, "2001:db8:ff::1", 3, &quoted),
        trust,
    );

    // A datagram in fragments: the later one follows the first through
    // source NAT, its addresses translated; the whole checksums right.
    let big = ip(
        "2001:db8:1::50",
        "2001:db8:ee::7",
        17,
        udp_header(5002, 123, &[7u8; 400]),
    );
    let (first, later) = fragments(&big, 208);
    let f1 = p.forward(trust, &first, untrust);
    let f2 = p.forward(trust, &later, untrust);
    assert_eq!(view(&f2).src(), a("2001:db8:ff::1"));
    assert_reassembled_checksum(&f1, &f2);

    // Pool source NAT: an address of the pool by the source, ports from
    // 20000-20009 until they run out for this destination.
    let mut ports = Vec::new();
    for sport in 0..11u16 {
        let b = p.run(
            trust,
            &udp("2001:db8:1::a0", 7000 + sport, "2001:db8:ee::53", 5353),
        );
        if sport < 10 {
            assert_eq!(b.outcome, Outcome::Redirect(untrust), "{b:?}");
            let v = view(&b.ebpf);
            assert!(
                (a("2001:db8:99::10")..=a("2001:db8:99::13")).contains(&v.src()),
                "{}",
                v.src()
            );
            ports.push(v.sport());
        } else {
            assert_eq!(b.outcome, Outcome::Drop(DropReason::NatExhausted as u32));
        }
    }
    ports.sort_unstable();
    assert_eq!(ports, (20000..20010).collect::<Vec<_>>());
    let out = p.forward(
        trust,
        &tcp("2001:db8:1::a0", 40100, "2001:db8:ee::80", 443, SYN, 1, 0),
        untrust,
    );
    let v = view(&out);
    let (pool_src, pool_port) = (v.src(), v.sport());
    let back = p.forward(
        untrust,
        &tcp(
            "2001:db8:ee::80",
            443,
            &pool_src.to_string(),
            pool_port,
            SYN | ACK,
            9,
            2,
        ),
        trust,
    );
    assert_eq!(
        (view(&back).dst(), view(&back).dport()),
        (a("2001:db8:1::a0"), 40100)
    );
    // `source-nat off`: untranslated.
    let out = p.forward(
        trust,
        &udp("2001:db8:1::41", 5001, "2001:db8:ee::7", 123),
        untrust,
    );
    assert_eq!(
        (view(&out).src(), view(&out).sport()),
        (a("2001:db8:1::41"), 5001)
    );

    // Destination NAT to address and port: the policy (8080) sees both.
    let out = p.forward(
        untrust,
        &tcp(
            "2001:db8:ee::9",
            40000,
            "2001:db8:ff::100",
            80,
            SYN,
            1000,
            0,
        ),
        dmz,
    );
    let v = view(&out);
    assert_eq!((v.dst(), v.dport()), (a("2001:db8:2::10"), 8080));
    let back = p.forward(
        dmz,
        &tcp(
            "2001:db8:2::10",
            8080,
            "2001:db8:ee::9",
            40000,
            SYN | ACK,
            5000,
            1001,
        ),
        untrust,
    );
    let v = view(&back);
    assert_eq!((v.src(), v.sport()), (a("2001:db8:ff::100"), 80));
    // An error about the server's answer reaches the server, quoting its
    // own address and port.
    let answer = tcp(
        "2001:db8:ff::100",
        80,
        "2001:db8:ee::9",
        40000,
        ACK,
        5001,
        1001,
    );
    let err = p.forward(
        untrust,
        &icmp6(GATEWAY6, "2001:db8:ff::100", 2, &answer.frame()[14..]),
        dmz,
    );
    let v = view(&err);
    let quote = &v.payload()[8..];
    assert_eq!(&quote[8..24], &a16("2001:db8:2::10"));
    assert_eq!(u16::from_be_bytes([quote[40], quote[41]]), 8080);
    // To an address only: the port stays.
    let out = p.forward(
        untrust,
        &tcp("2001:db8:ee::9", 40001, "2001:db8:ff::101", 22, SYN, 1, 0),
        dmz,
    );
    assert_eq!(
        (view(&out).dst(), view(&out).dport()),
        (a("2001:db8:2::11"), 22)
    );
    p.forward(
        dmz,
        &tcp(
            "2001:db8:2::11",
            22,
            "2001:db8:ee::9",
            40001,
            SYN | ACK,
            9,
            2,
        ),
        untrust,
    );
    // `off` stops the rule-set; another port, protocol or an echo does not
    // match: untranslated, all denied or routed back out.
    p.run(
        untrust,
        &tcp("2001:db8:ee::66", 40002, "2001:db8:ff::101", 22, SYN, 1, 0),
    );
    p.run(
        untrust,
        &tcp("2001:db8:ee::9", 40003, "2001:db8:ff::100", 443, SYN, 1, 0),
    );
    p.run(
        untrust,
        &udp("2001:db8:ee::9", 40004, "2001:db8:ff::101", 22),
    );
    p.run(untrust, &ping("2001:db8:ee::9", "2001:db8:ff::100", 7));
    // Hop limit expiry on a translated first packet.
    p.run(
        untrust,
        &tcp("2001:db8:ee::9", 40009, "2001:db8:ff::100", 80, SYN, 1, 0).ttl(1),
    );

    // Static NAT inbound, host by host, ports kept, and the reply.
    let out = p.forward(
        untrust,
        &tcp("2001:db8:ee::9", 41000, "2001:db8:5::20", 80, SYN, 1, 0),
        dmz,
    );
    assert_eq!(
        (view(&out).dst(), view(&out).dport()),
        (a("2001:db8:2::20"), 80)
    );
    let back = p.forward(
        dmz,
        &tcp(
            "2001:db8:2::20",
            80,
            "2001:db8:ee::9",
            41000,
            SYN | ACK,
            1,
            2,
        ),
        untrust,
    );
    assert_eq!(
        (view(&back).src(), view(&back).sport()),
        (a("2001:db8:5::20"), 80)
    );
    // An echo through static NAT keeps its id both ways.
    let out = p.forward(untrust, &ping("2001:db8:ee::9", "2001:db8:5::20", 33), dmz);
    assert_eq!(
        (view(&out).dst(), view(&out).icmp_id()),
        (a("2001:db8:2::20"), 33)
    );
    p.forward(dmz, &pong("2001:db8:2::20", "2001:db8:ee::9", 33), untrust);
    // Static NAT outbound: a DMZ host's flow leaves from its public address.
    let out = p.forward(
        dmz,
        &udp("2001:db8:2::30", 6000, "2001:db8:ee::9", 53),
        untrust,
    );
    assert_eq!(
        (view(&out).src(), view(&out).sport()),
        (a("2001:db8:5::30"), 6000)
    );
    let back = p.forward(
        untrust,
        &udp("2001:db8:ee::9", 53, "2001:db8:5::30", 6000),
        dmz,
    );
    assert_eq!(
        (view(&back).dst(), view(&back).dport()),
        (a("2001:db8:2::30"), 6000)
    );

    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    assert_eq!(c.policy_hits, r.policy_hits, "policy hit counters");
    assert_eq!(c.sessions_created, r.sessions.created, "sessions created");
    assert_eq!(
        (c.nat_destination, c.nat_source),
        (r.nat.destination, r.nat.source),
        "NAT counters"
    );
    assert_eq!(c.nat_rules, r.nat_rules, "NAT rule hit counters");
}

/// An IPv6 address's bytes.
fn a16(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

/// IPv6 extension headers, walked by both engines to the upper layer:
/// flows behind them are judged and forwarded (bytes and all) as any,
/// fragments as the pipeline sees them, malformed chains dropped alike.
fn ext6(net: &Net) {
    let mut p = pair_with(net, "ext6", V6_CONF);
    let (trust, untrust) = (p.trust, p.untrust);
    let dest = || opts6(60, 0);

    // A TCP handshake whose SYN carries a destination options header.
    p.forward(
        trust,
        &tcp("2001:db8:1::50", 42000, "2001:db8:ee::80", 80, SYN, 1000, 0).ext6(dest()),
        untrust,
    );
    p.forward(
        untrust,
        &tcp(
            "2001:db8:ee::80",
            80,
            "2001:db8:1::50",
            42000,
            SYN | ACK,
            5000,
            1001,
        )
        .ext6(opts6(60, 2)),
        trust,
    );
    p.forward(
        trust,
        &tcp(
            "2001:db8:1::50",
            42000,
            "2001:db8:ee::80",
            80,
            ACK,
            1001,
            5001,
        ),
        untrust,
    );
    // Behind hop-by-hop and a routing header with no segments left.
    p.forward(
        trust,
        &tcp("2001:db8:1::50", 42001, "2001:db8:ee::80", 443, SYN, 1, 0)
            .ext6(opts6(0, 0))
            .ext6(routing6(0)),
        untrust,
    );
    // Policy still applies behind them: telnet is rejected with a RST.
    let b = p.run(
        trust,
        &tcp("2001:db8:1::50", 42002, "2001:db8:ee::80", 23, SYN, 1, 0).ext6(dest()),
    );
    assert_eq!(b.outcome, Outcome::Tx);
    // The ICMPv6 errors quote the packet with its extension headers:
    // prohibited for rejected UDP, time exceeded for an expiring hop limit.
    let b = p.run(
        trust,
        &udp("2001:db8:1::50", 42005, "2001:db8:ee::80", 69).ext6(opts6(0, 1)),
    );
    assert_eq!(b.outcome, Outcome::Tx);
    view(&b.ebpf).assert_checksums();
    let b = p.run(
        trust,
        &tcp("2001:db8:1::50", 42006, "2001:db8:ee::80", 80, SYN, 1, 0)
            .ext6(dest())
            .ttl(1),
    );
    assert_eq!(b.outcome, Outcome::Tx);
    view(&b.ebpf).assert_checksums();
    // UDP both ways, behind destination options, then hop-by-hop and
    // routing; a source route (segments left) is no screen here.
    p.forward(
        trust,
        &udp("2001:db8:1::50", 123, "2001:db8:ee::7", 123).ext6(dest()),
        untrust,
    );
    p.forward(
        untrust,
        &udp("2001:db8:ee::7", 123, "2001:db8:1::50", 123)
            .ext6(opts6(0, 1))
            .ext6(routing6(0)),
        trust,
    );
    p.forward(
        trust,
        &udp("2001:db8:1::50", 124, "2001:db8:ee::7", 123).ext6(routing6(1)),
        untrust,
    );
    p.run(
        trust,
        &udp("2001:db8:1::50", 5000, "2001:db8:ee::53", 53).ext6(dest()),
    );
    // ICMPv6 echo behind an extension header, both ways.
    p.forward(
        trust,
        &ping("2001:db8:1::50", "2001:db8:ee::80", 11).ext6(dest()),
        untrust,
    );
    p.forward(
        untrust,
        &pong("2001:db8:ee::80", "2001:db8:1::50", 11).ext6(opts6(0, 0)),
        trust,
    );
    // An ICMPv6 error behind one, quoting the TCP session's packet.
    let quoted = tcp(
        "2001:db8:1::50",
        42000,
        "2001:db8:ee::80",
        80,
        ACK,
        1001,
        5001,
    )
    .frame()[14..]
        .to_vec();
    p.forward(
        untrust,
        &icmp6(GATEWAY6, "2001:db8:1::50", 2, &quoted).ext6(dest()),
        trust,
    );
    // Seven headers are the most either engine walks.
    let mut seven = udp("2001:db8:1::50", 125, "2001:db8:ee::7", 123);
    seven.ext = vec![dest(); 7];
    p.forward(trust, &seven, untrust);

    // A first fragment: ports read past the fragment header (and another
    // header in front of it), a session made, forwarded the same.
    let mut first = udp("2001:db8:1::50", 126, "2001:db8:ee::7", 123).ext6(dest());
    first.frag = Some((0, true));
    p.forward(trust, &first, untrust);
    let mut first = tcp("2001:db8:1::50", 42003, "2001:db8:ee::80", 80, SYN, 1, 0);
    first.frag = Some((0, true));
    p.forward(trust, &first, untrust);
    // A fragmented datagram: the later fragment follows its first.
    let big = ip(
        "2001:db8:1::52",
        "2001:db8:ee::7",
        17,
        udp_header(130, 123, &[7u8; 400]),
    );
    let (first, later) = fragments(&big, 208);
    p.forward(trust, &first, untrust);
    p.forward(trust, &later.clone().ext6(dest()), untrust);
    // Hop limit 1 on a later fragment: dropped, with no ICMPv6 error.
    p.run(trust, &later.ttl(1));
    // A later fragment of no forwarded datagram: both engines drop it.
    let mut later = udp("2001:db8:1::51", 126, "2001:db8:ee::7", 123);
    later.frag = Some((8, false));
    assert_eq!(p.run(trust, &later).outcome, Outcome::Drop(51));
    let mut later = later.ext6(dest());
    later.frag = Some((1480, true));
    assert_eq!(p.run(trust, &later).outcome, Outcome::Drop(51));

    // Malformed chains: eight headers ("extension chain too long"), a
    // header longer than the packet, a truncated one, a second fragment
    // header.
    let mut eight = udp("2001:db8:1::50", 127, "2001:db8:ee::7", 123);
    eight.ext = vec![dest(); 8];
    assert_eq!(p.run(trust, &eight).outcome, Outcome::Drop(1));
    let mut long = udp("2001:db8:1::50", 128, "2001:db8:ee::7", 123)
        .ext6(dest())
        .frame();
    long[55] = 3; // 32 bytes of header in a 21-byte payload
    run_frame(&mut p, trust, &long);
    let mut short = udp("2001:db8:1::50", 128, "2001:db8:ee::7", 123)
        .ext6(opts6(60, 1))
        .frame();
    short[18..20].copy_from_slice(&12u16.to_be_bytes());
    short.truncate(54 + 12);
    run_frame(&mut p, trust, &short);
    let mut twice =
        udp("2001:db8:1::50", 129, "2001:db8:ee::7", 123).ext6((44, vec![0, 0, 1, 0, 0, 0, 9]));
    twice.frag = Some((0, true));
    assert_eq!(p.run(trust, &twice).outcome, Outcome::Drop(1));
    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    assert_eq!(c.policy_hits, r.policy_hits, "policy hit counters");
    assert_eq!(c.sessions_created, r.sessions.created, "sessions created");

    // MLD behind its hop-by-hop header (router alert) is the kernel's, as
    // for the pipeline.
    let mut p = pair_with(net, "ext6-host", &conf6());
    let mld = icmp6("fe80::50", "ff02::16", 143, &[0; 20])
        .ttl(1)
        .ext6((0, vec![0, 5, 2, 0, 0, 1, 0]));
    assert_eq!(p.run(p.untrust, &mld).outcome, Outcome::Pass);
    // An MLD query to the all-nodes group, hop-by-hop then destination
    // options.
    let query = icmp6("fe80::51", "ff02::1", 130, &[0; 16])
        .ttl(1)
        .ext6(opts6(0, 0))
        .ext6(dest());
    assert_eq!(p.run(p.trust, &query).outcome, Outcome::Pass);
    // Echo to the box behind one: ping allowed on trust only.
    assert_eq!(
        p.run(
            p.trust,
            &ping("2001:db8:1::50", "2001:db8:1::1", 12).ext6(dest())
        )
        .outcome,
        Outcome::Pass
    );
    assert_eq!(
        p.run(
            p.untrust,
            &ping("2001:db8:ff::50", "2001:db8:ff::1", 12).ext6(dest())
        )
        .outcome,
        Outcome::Drop(3)
    );
}

/// Runs a raw frame (one no builder makes) through both engines: they
/// must agree, and here both drop it as malformed.
fn run_frame(p: &mut Pair, ingress: u32, f: &[u8]) {
    let mut buf = vec![0u8; 2048];
    buf[..f.len()].copy_from_slice(f);
    let v = process(&p.snap, &mut p.w, &p.fib, ingress, &mut buf, f.len(), p.now);
    let e = p.ebpf.test_run(ingress, f).unwrap();
    match (v, e.outcome) {
        (Verdict::Drop(DropReason::Malformed), Outcome::Drop(n))
            if n == DropReason::Malformed as u32 => {}
        other => panic!("frame {}: {other:?}", hex(f)),
    }
}

/// The TCP tracker: handshake order, SYNs that do not belong, resets in
/// and out of the receiver's window (scaled), malformed SYN options, and
/// `rst-invalidate-session`.
fn tcp_tracking(net: &Net) {
    let mut p = pair(net, "tcp");
    let (trust, untrust) = (p.trust, p.untrust);
    // MSS 1460, window scale 7 (and 20 is capped at 14).
    let syn = |sport: u16, scale: u8| {
        ip(
            "10.0.1.50",
            "198.51.100.80",
            6,
            tcp_header(sport, 80, 1000, 0, SYN, &[2, 4, 5, 180, 1, 3, 3, scale]),
        )
    };
    let out = p.forward(trust, &syn(42000, 7), untrust);
    let port = view(&out).sport();
    let from_server = |flags: u8, seq: u32, opts: &[u8]| {
        ip(
            "198.51.100.80",
            "203.0.113.1",
            6,
            tcp_header(80, port, seq, 1001, flags, opts),
        )
    };
    // Only a SYN-ACK or RST may answer a SYN.
    p.run(untrust, &from_server(ACK, 5000, &[]));
    p.forward(
        untrust,
        &from_server(SYN | ACK, 5000, &[1, 3, 3, 20]),
        trust,
    );
    p.forward(
        trust,
        &tcp("10.0.1.50", 42000, "198.51.100.80", 80, ACK, 1001, 5001),
        untrust,
    );
    p.same_sessions();
    // A SYN in an established session is invalid.
    p.run(trust, &syn(42000, 7));
    // Resets: far outside the scaled window refused, inside it accepted.
    p.run(
        trust,
        &tcp(
            "10.0.1.50",
            42000,
            "198.51.100.80",
            80,
            RST,
            1001 + (64000 << 14) + 10,
            0,
        ),
    );
    p.run(
        trust,
        &tcp(
            "10.0.1.50",
            42000,
            "198.51.100.80",
            80,
            RST | ACK,
            1001 + 64000 * 100,
            5001,
        ),
    );
    p.same_sessions();
    // A SYN whose option runs past its header is malformed.
    p.run(
        trust,
        &ip(
            "10.0.1.50",
            "198.51.100.80",
            6,
            tcp_header(42001, 80, 1, 0, SYN, &[2, 4, 5, 180, 8, 10, 0, 0]),
        ),
    );

    // With rst-invalidate-session an accepted RST ends the session at once.
    let conf =
        format!("{CONF}\nsecurity {{ flow {{ tcp-session {{ rst-invalidate-session; }} }} }}\n");
    let snap = snapshot(net, &conf);
    p.ebpf.apply(&snap).unwrap();
    p.snap = snap;
    let out = p.forward(trust, &syn(42002, 0), untrust);
    let port = view(&out).sport();
    p.forward(
        untrust,
        &tcp(
            "198.51.100.80",
            80,
            "203.0.113.1",
            port,
            SYN | ACK,
            7000,
            1001,
        ),
        trust,
    );
    let before = p.w.sessions.len();
    p.forward(
        trust,
        &tcp(
            "10.0.1.50",
            42002,
            "198.51.100.80",
            80,
            RST | ACK,
            1001,
            7001,
        ),
        untrust,
    );
    assert_eq!(p.w.sessions.len(), before - 1, "reset ends the session");
    p.same_sessions();
}

/// The corpus configuration plus a UDP application that idles out in a
/// second, under a policy logging both ends of its sessions.
fn events_conf() -> String {
    CONF.replacen(
        "security {",
        "applications { application quick { protocol udp; destination-port 5000; inactivity-timeout 1; } }\nsecurity {",
        1,
    )
    .replacen(
        "            policy pings {",
        "            policy quick { match { source-address any; destination-address any; application quick; } then { permit; log { session-init session-close; } } }\n            policy pings {",
        1,
    )
    .replacen(
        "application [ junos-ping junos-pingv6 ]; } then { permit; }",
        "application [ junos-ping junos-pingv6 ]; } then { permit; log { session-init; } }",
        1,
    )
    .replacen(
        "application junos-tftp; } then { reject; }",
        "application junos-tftp; } then { reject; log { session-init; } }",
        1,
    )
}

impl Pair {
    /// The records both engines logged since the last call, the
    /// pipeline's and the program's (named from the same snapshot), with
    /// what differs by design zeroed: session ids (the pipeline counts
    /// them, the program derives them from the key) and elapsed times
    /// (the pipeline runs on the test's clock, the program on the
    /// kernel's).
    fn logged(&mut self) -> (Vec<xpf_dataplane::Record>, Vec<xpf_dataplane::Record>) {
        let blank = |mut r: xpf_dataplane::Record| {
            r.session_id = 0;
            r.elapsed_s = 0;
            r
        };
        let reference: Vec<_> = self.w.logs.drain().map(blank).collect();
        let ebpf: Vec<_> = self
            .ebpf
            .events()
            .iter()
            .map(|e| {
                let named = self.older.iter().find(|s| e.named_by(s));
                blank(e.record(named.unwrap_or(&self.snap)))
            })
            .collect();
        (reference, ebpf)
    }

    fn same_logs(&mut self) -> Vec<xpf_dataplane::Record> {
        let (reference, ebpf) = self.logged();
        assert_eq!(reference, ebpf, "the engines logged differently");
        ebpf
    }
}

fn events(net: &Net) {
    use xpf_dataplane::RecordKind;
    let mut p = pair_with(net, "events", &events_conf());
    let (trust, untrust) = (p.trust, p.untrust);

    // A logging policy (web: session-init and session-close, interface
    // source NAT): one create record, with the translation and the rule.
    let syn = tcp("10.0.1.50", 40001, "198.51.100.80", 80, SYN, 1000, 0);
    let out = p.forward(trust, &syn, untrust);
    let nat_port = view(&out).sport();
    let logs = p.same_logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    let r = &logs[0];
    assert_eq!(r.kind, RecordKind::Create);
    assert_eq!(
        (r.src, r.dst),
        ((a("10.0.1.50"), 40001), (a("198.51.100.80"), 80))
    );
    assert_eq!(r.nat_src, (a("203.0.113.1"), nat_port));
    assert_eq!(r.nat_dst, (a("198.51.100.80"), 80));
    assert_eq!(
        (&*r.policy, &*r.from_zone, &*r.to_zone, &*r.service),
        ("web", "trust", "untrust", "junos-http")
    );
    assert_eq!(r.src_nat_rule.as_deref(), Some("masquerade"));
    assert_eq!((r.dst_nat_rule.as_deref(), r.protocol), (None, 6));
    assert_eq!(&*r.interface, "ge-0/0/0.0");
    let line = xpf_dataplane::rt_flow_line(r);
    assert!(
        line.starts_with("RT_FLOW_SESSION_CREATE: session created 10.0.1.50/40001->198.51.100.80/80 0x0 junos-http 203.0.113.1/"),
        "{line}"
    );

    // A policy without logging (ntp) and a denying one without logging
    // (no-dns): nothing.
    p.forward(
        trust,
        &udp("10.0.1.50", 40002, "198.51.100.80", 123),
        untrust,
    );
    p.run(trust, &udp("10.0.1.50", 40003, "198.51.100.80", 53));
    assert_eq!(p.same_logs(), Vec::new());

    // A logging rejecting policy (no-tftp): a deny record, whose reply
    // both send; a logging ping: its application named as the pipeline
    // names it.
    p.run(trust, &udp("10.0.1.50", 40005, "198.51.100.80", 69));
    let logs = p.same_logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(
        (logs[0].kind.clone(), &*logs[0].policy),
        (RecordKind::Deny, "no-tftp")
    );
    p.run(trust, &ping("10.0.1.50", "198.51.100.80", 7));
    let logs = p.same_logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(
        (&*logs[0].policy, &*logs[0].service),
        ("pings", "junos-ping")
    );

    // `clear` of a logging session: a close record with its counters.
    p.forward(
        untrust,
        &tcp(
            "198.51.100.80",
            80,
            "203.0.113.1",
            nat_port,
            SYN | ACK,
            5000,
            1001,
        ),
        trust,
    );
    let key = p
        .ebpf
        .sessions()
        .unwrap()
        .into_iter()
        .find(|s| s.fwd.sport == 40001)
        .expect("the web session")
        .fwd;
    assert!(p.ebpf.remove_session(&key).unwrap());
    p.w.clear(&p.snap.clone(), p.now, |s| s.fwd == key);
    let logs = p.same_logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(logs[0].kind, RecordKind::Close("clear"));
    assert_eq!((logs[0].from_client, logs[0].from_server.0), ((1, 54), 1));

    // The program closes an idle session when its next packet comes:
    // close (idle Timeout), then the new session's create.
    let quick = udp("10.0.1.50", 40004, "198.51.100.80", 5000);
    p.forward(trust, &quick, untrust);
    let logs = p.same_logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(
        (logs[0].kind.clone(), &*logs[0].policy),
        (RecordKind::Create, "quick")
    );
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    p.now += 1_100 * SEC / 1000;
    p.forward(trust, &quick, untrust);
    let logs = p.same_logs();
    assert_eq!(
        logs.iter().map(|r| r.kind.clone()).collect::<Vec<_>>(),
        [RecordKind::Close("idle Timeout"), RecordKind::Create],
        "{logs:#?}"
    );
    assert_eq!(logs[0].from_client.0, 1);

    // The loader's sweep closes what no packet comes back for.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    p.now += 1_100 * SEC / 1000;
    assert!(p.ebpf.sweep().unwrap() >= 1);
    p.w.sweep(&p.snap.clone(), p.now);
    let logs = p.same_logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(logs[0].kind, RecordKind::Close("idle Timeout"));

    // A commit renames the logging policy: the session's next packet
    // closes it as `policy delete`, named as it was made (the id it holds
    // now names the renamed policy), then is judged as new (not a SYN).
    p.forward(
        trust,
        &tcp("10.0.1.50", 40006, "198.51.100.80", 80, SYN, 1000, 0),
        untrust,
    );
    assert_eq!(p.same_logs().len(), 1);
    let snap = snapshot(
        net,
        &events_conf().replace("policy web {", "policy web-renamed {"),
    );
    p.ebpf.apply(&snap).unwrap();
    p.older.push(std::mem::replace(&mut p.snap, snap));
    p.run(
        trust,
        &tcp("10.0.1.50", 40006, "198.51.100.80", 80, ACK, 1001, 5001),
    );
    let logs = p.same_logs();
    assert_eq!(
        (logs[0].kind.clone(), &*logs[0].policy),
        (RecordKind::Close("policy delete"), "web"),
        "{logs:#?}"
    );
    assert_eq!(p.ebpf.counters().unwrap().events_lost, 0);

    // IPv6 through interface source NAT (`masquerade` matches ::/0): the
    // record carries the IPv6 translation.
    let mut p = pair_with(net, "events6", &with_inet6(&events_conf()));
    let (trust, untrust) = (p.trust, p.untrust);
    let syn = tcp("2001:db8:1::50", 40001, "2001:db8:ee::80", 80, SYN, 1000, 0);
    let out = p.forward(trust, &syn, untrust);
    let nat_port = view(&out).sport();
    let logs = p.same_logs();
    assert_eq!(logs.len(), 1, "{logs:#?}");
    assert_eq!(logs[0].nat_src, (a("2001:db8:ff::1"), nat_port));
    assert_eq!(logs[0].src_nat_rule.as_deref(), Some("masquerade"));
}

/// `CONF` with a screen on the untrust zone (`profile`, the body of its
/// `ids-option`) and `security flow tcp-mss`: what a stock vSRX has.
fn screened_conf(profile: &str) -> String {
    screened(CONF, profile)
}

/// `base` with the untrust screen `profile` and tcp-mss.
fn screened(base: &str, profile: &str) -> String {
    base.replacen(
        "security {",
        &format!(
            "security {{\n    screen {{ ids-option untrust-screen {{ {profile} }} }}\n    flow {{ tcp-mss {{ all-tcp mss 1350; }} }}"
        ),
        1,
    )
    .replacen(
        "security-zone untrust { interfaces",
        "security-zone untrust { screen untrust-screen; interfaces",
        1,
    )
}

/// Rates count per CPU in the program (per worker in the pipeline): the
/// test stays on one CPU so every frame lands in the same counters.
fn stay_on_one_cpu() {
    let mut set = nix::sched::CpuSet::new();
    let cpu = nix::sched::sched_getcpu().unwrap_or(0);
    set.set(cpu).unwrap();
    nix::sched::sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).unwrap();
}

/// Starts a new second for both engines: the pipeline's clock moves to
/// the next whole second, and the test waits for the kernel's monotonic
/// clock (bpf_ktime_get_ns) to start one, leaving almost all of it for
/// the frames of one rate check.
fn fresh_second(p: &mut Pair) {
    p.now = (p.now / SEC + 1) * SEC;
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).unwrap();
    let into = t.tv_nsec() as u64;
    std::thread::sleep(std::time::Duration::from_nanos(SEC - into + SEC / 1000));
}

/// A SYN (or SYN-ACK) carrying an MSS option.
fn syn_mss(src: &str, sport: u16, dst: &str, dport: u16, flags: u8, mss: u16) -> Ip {
    let m = mss.to_be_bytes();
    // MSS, a NOP and a window scale, as stacks send them.
    let opts = [2, 4, m[0], m[1], 1, 3, 3, 7];
    ip(src, dst, 6, tcp_header(sport, dport, 1000, 0, flags, &opts))
}

/// The MSS option's value in a forwarded frame (no IP options).
fn mss_of(f: &[u8]) -> u16 {
    let v = view(f);
    u16::from_be_bytes([f[v.l4 + 22], f[v.l4 + 23]])
}

/// Screens and the MSS clamp (a stock vSRX untrust zone): each attack
/// frame dropped for the same reason by both engines, clean frames
/// forwarded with the same bytes, the floods cut at the same packet, and
/// SYNs' MSS lowered to the same bytes.
fn screens(net: &Net) {
    stay_on_one_cpu();
    let conf = screened_conf(
        "icmp { ping-death; flood { threshold 4; } }
         ip { source-route-option; tear-drop; }
         udp { flood { threshold 3; } }
         tcp { land; syn-fin; tcp-no-flag; fin-no-ack; winnuke; syn-flood { attack-threshold 5; } }",
    );
    let mut p = pair_with(net, "screens", &conf);
    let (untrust, dmz) = (p.untrust, p.dmz);
    let web = "10.0.2.10";
    let drop = |p: &mut Pair, pkt: &Ip, reason: u32| {
        let b = p.run(untrust, pkt);
        assert_eq!(b.outcome, Outcome::Drop(reason), "{b:?}");
    };

    // The header checks, each with its own reason (verdict.rs numbers).
    drop(
        &mut p,
        &tcp("198.51.100.7", 80, "198.51.100.7", 80, SYN, 1, 0),
        10,
    );
    drop(
        &mut p,
        &tcp("198.51.100.7", 1, web, 80, SYN | FIN, 1, 0),
        11,
    );
    drop(&mut p, &tcp("198.51.100.7", 1, web, 80, 0, 1, 0), 12);
    drop(&mut p, &tcp("198.51.100.7", 1, web, 80, FIN, 1, 0), 13);
    drop(
        &mut p,
        &tcp("198.51.100.7", 1, web, 139, URG | ACK, 1, 0),
        14,
    );
    let mut pod = ip("198.51.100.7", web, 1, vec![0u8; 1000]);
    pod.frag = Some((65528, false));
    drop(&mut p, &pod, 15);
    // A later fragment with no payload: tear-drop, before the program
    // drops later fragments of its own accord.
    let mut tear = ip("198.51.100.7", web, 17, Vec::new());
    tear.frag = Some((1480, false));
    drop(&mut p, &tear, 16);
    // A loose source route (LSRR, 7 bytes, then end of list).
    let mut lsrr = udp("198.51.100.7", 5000, web, 53);
    lsrr.options = vec![131, 7, 4, 10, 0, 2, 10, 0];
    drop(&mut p, &lsrr, 17);
    // A malformed option list is malformed for both.
    let mut bad = udp("198.51.100.7", 5000, web, 53);
    bad.options = vec![131, 9, 4, 10, 0, 2, 10, 0];
    drop(&mut p, &bad, 1);
    // Flags that are fine pass the screen: a later fragment with payload
    // is the program's non-first-fragment drop, as before.
    let (_, later) = fragments(&udp("198.51.100.7", 5000, web, 53), 8);
    let mut later = later;
    later.frag = Some((8, false));
    let b = p.run(untrust, &later);
    assert!(matches!(b.outcome, Outcome::Drop(51)), "{b:?}");

    // The MSS clamp: a SYN above the clamp gets 1350, the same bytes;
    // the SYN-ACK back too; a SYN below it is left alone.
    let out = p.forward(
        untrust,
        &syn_mss("198.51.100.7", 40000, web, 80, SYN, 1460),
        dmz,
    );
    assert_eq!(mss_of(&out), 1350);
    let back = p.forward(
        dmz,
        &syn_mss(web, 80, "198.51.100.7", 40000, SYN | ACK, 1460),
        untrust,
    );
    assert_eq!(mss_of(&back), 1350);
    let out = p.forward(
        untrust,
        &syn_mss("198.51.100.7", 40001, web, 80, SYN, 1200),
        dmz,
    );
    assert_eq!(mss_of(&out), 1200);
    // The option at an odd offset (after a window scale, no NOP): both
    // engines clamp it with the checksum right (found by xpf-fuzz).
    let m = 1460u16.to_be_bytes();
    let odd = ip(
        "198.51.100.7",
        web,
        6,
        tcp_header(40002, 80, 1000, 0, SYN, &[3, 3, 7, 2, 4, m[0], m[1], 0]),
    );
    let out = p.forward(untrust, &odd, dmz);
    assert_eq!(
        u16::from_be_bytes([out[view(&out).l4 + 25], out[view(&out).l4 + 26]]),
        1350
    );
    view(&out).assert_checksums();
    p.same_sessions();

    // SYN flood: five SYNs into the zone this second, the sixth dropped;
    // SYN-ACKs are not counted.
    fresh_second(&mut p);
    for port in 0..5 {
        p.forward(
            untrust,
            &tcp("198.51.100.8", 41000 + port, web, 80, SYN, 1, 0),
            dmz,
        );
    }
    drop(&mut p, &tcp("198.51.100.9", 42000, web, 80, SYN, 1, 0), 18);
    // ICMP flood: four pings to one destination, the fifth dropped.
    fresh_second(&mut p);
    for id in 0..4 {
        p.forward(untrust, &ping("198.51.100.7", web, 0x100 + id), dmz);
    }
    drop(&mut p, &ping("198.51.100.8", web, 0x200), 5);
    // UDP flood: three datagrams, the fourth dropped; the next second
    // starts over.
    fresh_second(&mut p);
    for port in 0..3 {
        p.forward(untrust, &udp("198.51.100.7", 5100 + port, web, 53), dmz);
    }
    drop(&mut p, &udp("198.51.100.7", 5200, web, 53), 6);
    fresh_second(&mut p);
    p.forward(untrust, &udp("198.51.100.7", 5200, web, 53), dmz);
    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    for reason in [1, 5, 6, 10, 11, 12, 13, 14, 15, 16, 17, 18] {
        assert_eq!(c.drops[reason], 1, "drops of reason {reason}");
    }
    assert_eq!((c.screen_alarms, r.screen_alarms), (0, 0));

    // alarm-without-drop: the attack is counted and goes on to policy.
    let conf = screened_conf("alarm-without-drop; tcp { syn-fin; } udp { flood { threshold 1; } }");
    let mut p = pair_with(net, "screen-alarms", &conf);
    p.forward(
        untrust,
        &tcp("198.51.100.7", 1, web, 80, SYN | FIN, 1, 0),
        dmz,
    );
    fresh_second(&mut p);
    for port in 0..3 {
        p.forward(untrust, &udp("198.51.100.7", 5300 + port, web, 53), dmz);
    }
    let c = p.ebpf.counters().unwrap();
    assert_eq!((c.screen_alarms, p.w.counters().screen_alarms), (3, 3));

    // block-frag: any fragment, first ones included.
    let conf = screened_conf("ip { block-frag; }");
    let mut p = pair_with(net, "screen-frag", &conf);
    let (first, _) = fragments(&udp("198.51.100.7", 5000, web, 53), 8);
    drop(&mut p, &first, 19);
    p.forward(untrust, &udp("198.51.100.7", 5000, web, 53), dmz);

    // Sweeps and port scans: ten distinct targets from one source pass
    // (to policy), the eleventh is the attack, and then the source is
    // blocked for what the screen covers, repeats included.
    let conf = screened_conf(
        "icmp { ip-sweep { threshold 1000000; } }
         tcp { tcp-sweep { threshold 1000000; } port-scan { threshold 1000000; } }
         udp { udp-sweep { threshold 1000000; } port-scan { threshold 1000000; } }",
    );
    let mut p = pair_with(net, "screen-scans", &conf);
    fresh_second(&mut p);
    let host = |i: u16| format!("10.0.2.{}", 100 + i);
    let last = |p: &mut Pair, pkt: &Ip| p.run(untrust, pkt).outcome;
    p.forward(untrust, &ping("198.51.100.20", web, 1), dmz);
    for i in 1..10 {
        p.run(untrust, &ping("198.51.100.20", &host(i), 1));
    }
    assert_eq!(
        last(&mut p, &ping("198.51.100.20", &host(10), 1)),
        Outcome::Drop(7)
    );
    assert_eq!(
        last(&mut p, &ping("198.51.100.20", web, 1)),
        Outcome::Drop(7)
    );
    // The TCP sweep: SYNs to eleven hosts; an ACK of the sweeper is
    // blocked too.
    p.forward(
        untrust,
        &tcp("198.51.100.21", 1000, web, 80, SYN, 1, 0),
        dmz,
    );
    for i in 1..10 {
        p.run(
            untrust,
            &tcp("198.51.100.21", 1000, &host(i), 80, SYN, 1, 0),
        );
    }
    let syn = tcp("198.51.100.21", 1000, &host(10), 80, SYN, 1, 0);
    assert_eq!(last(&mut p, &syn), Outcome::Drop(46));
    let ack = tcp("198.51.100.21", 1000, web, 80, ACK, 2, 1);
    assert_eq!(last(&mut p, &ack), Outcome::Drop(46));
    // The TCP port scan: eleven ports of the web server.
    for port in 0..10 {
        p.forward(
            untrust,
            &tcp("198.51.100.22", 2000, web, 1 + port, SYN, 1, 0),
            dmz,
        );
    }
    p.forward(untrust, &tcp("198.51.100.22", 2000, web, 1, SYN, 1, 0), dmz);
    let syn = tcp("198.51.100.22", 2000, web, 11, SYN, 1, 0);
    assert_eq!(last(&mut p, &syn), Outcome::Drop(8));
    // UDP: a sweep of hosts, and a scan of one host's ports.
    p.forward(untrust, &udp("198.51.100.23", 3000, web, 53), dmz);
    for i in 1..10 {
        p.run(untrust, &udp("198.51.100.23", 3000, &host(i), 53));
    }
    assert_eq!(
        last(&mut p, &udp("198.51.100.23", 3000, &host(10), 53)),
        Outcome::Drop(47)
    );
    for port in 0..10 {
        p.forward(untrust, &udp("198.51.100.24", 3000, web, 100 + port), dmz);
    }
    assert_eq!(
        last(&mut p, &udp("198.51.100.24", 3000, web, 110)),
        Outcome::Drop(48)
    );
    p.same_sessions();

    // IPv6: the same checks on the fixed header and a fragment header
    // right behind it, and the clamp on IPv6 SYNs.
    let conf = screened(
        V6_CONF,
        "icmp { ping-death; } ip { tear-drop; } tcp { land; syn-fin; }",
    );
    let mut p = pair_with(net, "screens6", &conf);
    let web6 = "2001:db8:2::10";
    drop(&mut p, &tcp(web6, 80, web6, 80, SYN, 1, 0), 10);
    drop(
        &mut p,
        &tcp("2001:db8:ee::7", 1, web6, 80, SYN | FIN, 1, 0),
        11,
    );
    let mut pod = ip("2001:db8:ee::7", web6, 58, vec![0u8; 1000]);
    pod.frag = Some((65528, false));
    drop(&mut p, &pod, 15);
    let mut tear = ip("2001:db8:ee::7", web6, 17, Vec::new());
    tear.frag = Some((1480, false));
    drop(&mut p, &tear, 16);
    let out = p.forward(
        untrust,
        &syn_mss("2001:db8:ee::7", 40000, web6, 80, SYN, 1460),
        dmz,
    );
    assert_eq!(mss_of(&out), 1350);
    let out = p.forward(
        untrust,
        &syn_mss("2001:db8:ee::7", 40001, web6, 80, SYN, 536),
        dmz,
    );
    assert_eq!(mss_of(&out), 536);
    // The header checks see past extension headers: a routing header
    // with segments left behind hop-by-hop is a source route, an empty
    // later fragment behind destination options a tear-drop, and with
    // block-frag a first fragment behind them is refused.
    let conf = screened(V6_CONF, "ip { source-route-option; tear-drop; }");
    let mut q = pair_with(net, "screens6-ext", &conf);
    let routed = udp("2001:db8:ee::7", 5000, web6, 53)
        .ext6(opts6(0, 0))
        .ext6(routing6(1));
    drop(&mut q, &routed, 17);
    let mut tear = ip("2001:db8:ee::7", web6, 17, Vec::new()).ext6(opts6(60, 0));
    tear.frag = Some((1480, false));
    drop(&mut q, &tear, 16);
    q.forward(
        untrust,
        &udp("2001:db8:ee::7", 5000, web6, 53)
            .ext6(opts6(0, 0))
            .ext6(routing6(0)),
        dmz,
    );
    let conf = screened(V6_CONF, "ip { block-frag; }");
    let mut q = pair_with(net, "screens6-frag", &conf);
    let mut first = udp("2001:db8:ee::7", 5001, web6, 53).ext6(opts6(60, 0));
    first.frag = Some((0, true));
    drop(&mut q, &first, 19);
    // The clamp finds the option past extension headers.
    let out = p.forward(
        untrust,
        &syn_mss("2001:db8:ee::7", 40002, web6, 80, SYN, 1460)
            .ext6(opts6(0, 0))
            .ext6(opts6(60, 1)),
        dmz,
    );
    assert_eq!(mss_of(&out), 1350);
    p.same_sessions();
}

/// `pkt` with IPv4 options `o` (a multiple of 4 bytes).
fn with_options(mut pkt: Ip, o: &[u8]) -> Ip {
    pkt.options = o.to_vec();
    pkt
}

/// A TCP segment; a SYN offers an MSS of 1460 and a window scale.
fn segment(src: &str, sport: u16, dst: &str, dport: u16, flags: u8, seq: u32, ack: u32) -> Ip {
    let opts = [2, 4, 5, 180, 1, 3, 3, 7];
    let opts: &[u8] = if flags & SYN != 0 { &opts } else { &[] };
    ip(src, dst, 6, tcp_header(sport, dport, seq, ack, flags, opts))
}

/// IPv4 options: kept, stepped over to the transport header
/// (l3 + IHL * 4) for NAT, the MSS clamp, replies and ICMP errors, with the
/// same bytes as the pipeline; a source route is still screened.
fn ipv4_options(net: &Net) {
    let conf = screened_conf("ip { source-route-option; }");
    let mut p = pair_with(net, "options", &conf);
    let (trust, untrust) = (p.trust, p.untrust);
    // Record route with one empty slot, then end of list; NOPs; a
    // timestamp option with room for two stamps. None is screened.
    let rr = [7, 7, 4, 0, 0, 0, 0, 0];
    let nops = [1, 1, 1, 1];
    let ts = [68, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0];

    // TCP through interface NAT both ways, the SYNs' MSS clamped behind
    // the options, which are kept as they came.
    let syn = segment("10.0.1.50", 40100, "198.51.100.80", 80, SYN, 1000, 0);
    let out = p.forward(trust, &with_options(syn, &rr), untrust);
    let v = view(&out);
    assert_eq!((v.src(), v.l4 - v.l3), (a("203.0.113.1"), 28));
    assert_eq!(&out[v.l3 + 20..v.l4], &rr[..], "options kept");
    assert_eq!(mss_of(&out), 1350);
    let port = v.sport();
    let synack = segment(
        "198.51.100.80",
        80,
        "203.0.113.1",
        port,
        SYN | ACK,
        5000,
        1001,
    );
    let back = p.forward(untrust, &with_options(synack, &nops), trust);
    let v = view(&back);
    assert_eq!(
        (v.dst(), v.dport(), mss_of(&back)),
        (a("10.0.1.50"), 40100, 1350)
    );
    let ack = segment("10.0.1.50", 40100, "198.51.100.80", 80, ACK, 1001, 5001);
    p.forward(trust, &with_options(ack, &ts), untrust);
    let data = segment(
        "198.51.100.80",
        80,
        "203.0.113.1",
        port,
        ACK | PSH,
        5001,
        1001,
    );
    p.forward(untrust, &with_options(data, &rr), trust);

    // UDP and ICMP echo, there and back.
    let out = p.forward(
        trust,
        &with_options(udp("10.0.1.50", 5123, "198.51.100.7", 123), &ts),
        untrust,
    );
    let uport = view(&out).sport();
    p.forward(
        untrust,
        &with_options(udp("198.51.100.7", 123, "203.0.113.1", uport), &nops),
        trust,
    );
    let out = p.forward(
        trust,
        &with_options(ping("10.0.1.50", "198.51.100.80", 0x4242), &rr),
        untrust,
    );
    let id = view(&out).icmp_id();
    p.forward(
        untrust,
        &with_options(pong("198.51.100.80", "203.0.113.1", id), &rr),
        trust,
    );

    // Fragments with options: the later one follows the first's session.
    let whole = with_options(udp("10.0.1.50", 5124, "198.51.100.7", 123), &nops);
    let (first, later) = fragments(&whole, 8);
    p.forward(trust, &first, untrust);
    p.forward(trust, &later, untrust);

    // Answers the box writes quote the packet, options included: a RST,
    // ICMP administratively prohibited, time exceeded.
    let telnet = segment("10.0.1.50", 40101, "198.51.100.80", 23, SYN, 77, 0);
    let b = p.run(trust, &with_options(telnet, &rr));
    assert_eq!(b.outcome, Outcome::Tx, "{b:?}");
    let b = p.run(
        trust,
        &with_options(udp("10.0.1.50", 40102, "198.51.100.80", 69), &ts),
    );
    assert_eq!(b.outcome, Outcome::Tx, "{b:?}");
    let b = p.run(
        trust,
        &with_options(udp("10.0.1.50", 5125, "198.51.100.7", 123).ttl(1), &rr),
    );
    assert_eq!(b.outcome, Outcome::Tx, "{b:?}");

    // ICMP errors with options of their own, quoting a packet with
    // options: the quote restored, both header checksums right.
    let sent = with_options(
        tcp("203.0.113.1", port, "198.51.100.80", 80, ACK, 1001, 5001),
        &rr,
    );
    let err = with_options(icmp4(GATEWAY, "203.0.113.1", 3, 4, &sent, 36), &nops);
    let out = p.forward(untrust, &err, trust);
    let v = view(&out);
    let quote = &v.payload()[8..];
    assert_eq!(&quote[12..16], &[10, 0, 1, 50], "quoted source restored");
    assert_eq!(u16::from_be_bytes([quote[28], quote[29]]), 40100);
    // The whole quoted TCP header, its checksum followed.
    let err = icmp4("198.51.100.80", "203.0.113.1", 3, 3, &sent, 48);
    p.forward(untrust, &err, trust);

    // Source routes are screened, on TCP too, NOPs or not.
    let ssrr = [137, 7, 4, 10, 0, 2, 10, 0];
    let lsrr = [1, 131, 7, 4, 10, 0, 2, 10];
    for o in [ssrr, lsrr] {
        let syn = segment("198.51.100.7", 40200, "10.0.2.10", 80, SYN, 1, 0);
        let b = p.run(untrust, &with_options(syn, &o));
        assert_eq!(b.outcome, Outcome::Drop(17), "{b:?}");
    }
    p.same_sessions();
}

/// The program's `limit-session` count of `addr` (0: none held).
fn limit_count(p: &Pair, destination: bool, addr: &str) -> u32 {
    p.ebpf
        .limit_counts()
        .unwrap()
        .iter()
        .find(|c| c.destination == destination && c.addr == a(addr))
        .map_or(0, |c| c.sessions)
}

/// `limit-session`: the session past a source's (then a destination's)
/// limit is refused with the pipeline's reason; a close of any kind (RST,
/// clear, idle timeout through the sweep) gives its count back, and the
/// next session is admitted again.
fn limit_session(net: &Net) {
    let conf = format!(
        "{}\nsecurity {{ flow {{ tcp-session {{ rst-invalidate-session; }} }} }}\n",
        screened_conf("limit-session { source-ip-based 2; destination-ip-based 3; }")
    )
    .replacen(
        "security {",
        "applications { application quick { protocol udp; destination-port 5000; inactivity-timeout 1; } }\nsecurity {",
        1,
    )
    .replacen(
        "            policy published {",
        "            policy quick { match { source-address any; destination-address any; application quick; } then { permit; } }\n            policy published {",
        1,
    );
    let mut p = pair_with(net, "limits", &conf);
    let (untrust, dmz) = (p.untrust, p.dmz);
    let web = "10.0.2.10";
    let drop = |p: &mut Pair, pkt: &Ip, reason: u32| {
        let b = p.run(untrust, pkt);
        assert_eq!(b.outcome, Outcome::Drop(reason), "{b:?}");
    };

    // Two sessions from one source; its third is refused (44), a session
    // that already exists is not.
    p.forward(
        untrust,
        &tcp("198.51.100.7", 40000, web, 80, SYN, 1000, 0),
        dmz,
    );
    p.forward(untrust, &udp("198.51.100.7", 6001, web, 53), dmz);
    drop(&mut p, &udp("198.51.100.7", 6002, web, 53), 44);
    p.forward(untrust, &udp("198.51.100.7", 6001, web, 53), dmz);
    assert_eq!(limit_count(&p, false, "198.51.100.7"), 2);
    // A third session to the server from elsewhere; the fourth is the
    // destination's (45).
    p.forward(untrust, &ping("198.51.100.8", web, 0x77), dmz);
    drop(&mut p, &ping("198.51.100.9", web, 0x78), 45);
    assert_eq!(limit_count(&p, true, web), 3);
    // Replies make no session, and are never limited.
    p.forward(dmz, &pong(web, "198.51.100.8", 0x77), untrust);
    p.same_sessions();

    // A RST ends the TCP session (rst-invalidate-session): its counts go
    // back, and the source may open another.
    p.forward(
        dmz,
        &tcp(web, 80, "198.51.100.7", 40000, SYN | ACK, 7000, 1001),
        untrust,
    );
    p.forward(
        untrust,
        &tcp("198.51.100.7", 40000, web, 80, RST, 1001, 0),
        dmz,
    );
    assert_eq!(limit_count(&p, false, "198.51.100.7"), 1);
    p.forward(untrust, &udp("198.51.100.7", 6002, web, 53), dmz);
    drop(&mut p, &udp("198.51.100.7", 6003, web, 53), 44);
    p.same_sessions();

    // `clear security flow session` of one session: the same.
    let key = p
        .ebpf
        .sessions()
        .unwrap()
        .into_iter()
        .find(|s| s.fwd.sport == 6001)
        .expect("the first UDP session")
        .fwd;
    assert!(p.ebpf.remove_session(&key).unwrap());
    p.w.clear(&p.snap.clone(), p.now, |s| s.fwd == key);
    assert_eq!(limit_count(&p, false, "198.51.100.7"), 1);
    p.forward(untrust, &udp("198.51.100.7", 6003, web, 53), dmz);
    drop(&mut p, &udp("198.51.100.7", 6004, web, 53), 44);
    p.same_sessions();

    // The sweep's reconciliation leaves right counts alone.
    let before = p.ebpf.limit_counts().unwrap();
    assert_eq!(p.ebpf.sweep().unwrap(), 0);
    assert_eq!(p.ebpf.limit_counts().unwrap(), before);

    // An idle timeout closed by the sweep gives its counts back.
    p.forward(untrust, &udp("198.51.100.8", 6010, "10.0.2.20", 5000), dmz);
    assert_eq!(limit_count(&p, false, "198.51.100.8"), 2);
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    p.now += 1_100 * SEC / 1000;
    assert_eq!(p.ebpf.sweep().unwrap(), 1);
    p.w.sweep(&p.snap.clone(), p.now);
    assert_eq!(limit_count(&p, true, "10.0.2.20"), 0);
    assert_eq!(limit_count(&p, false, "198.51.100.8"), 1);
    p.same_sessions();

    // A commit that takes the policy away: the session's next packet
    // closes it (policy delete), its counts go back, and the packet is
    // judged as new (denied).
    let snap = snapshot(
        net,
        &conf.replace(
            "policy published { match { source-address any; destination-address web-server; application any; }",
            "policy ssh-only { match { source-address any; destination-address web-server; application junos-ssh; }",
        ),
    );
    p.ebpf.apply(&snap).unwrap();
    p.older.push(std::mem::replace(&mut p.snap, snap));
    let b = p.run(untrust, &ping("198.51.100.8", web, 0x77));
    assert_eq!(b.outcome, Outcome::Drop(22), "{b:?}");
    assert_eq!(limit_count(&p, false, "198.51.100.8"), 0);
    assert_eq!(limit_count(&p, true, web), 2);
    p.same_sessions();

    // Clearing every session gives every count back.
    p.ebpf.clear_sessions().unwrap();
    p.w.clear(&p.snap.clone(), p.now, |_| true);
    assert_eq!(p.ebpf.limit_counts().unwrap(), []);
    p.forward(untrust, &udp("198.51.100.7", 6011, "10.0.2.20", 5000), dmz);
    p.forward(untrust, &udp("198.51.100.9", 6011, "10.0.2.20", 5000), dmz);
    p.same_sessions();
}

/// `limit-session` on IPv6 addresses: the same counts, keyed by family.
fn limit_session6(net: &Net) {
    let conf = screened(V6_CONF, "limit-session { source-ip-based 2; }");
    let mut p = pair_with(net, "limits6", &conf);
    let (untrust, dmz) = (p.untrust, p.dmz);
    let web6 = "2001:db8:2::10";
    p.forward(untrust, &udp("2001:db8:ee::7", 6001, web6, 53), dmz);
    p.forward(untrust, &ping("2001:db8:ee::7", web6, 0x66), dmz);
    let b = p.run(untrust, &udp("2001:db8:ee::7", 6002, web6, 53));
    assert_eq!(b.outcome, Outcome::Drop(44), "{b:?}");
    // Another source has counts of its own.
    p.forward(untrust, &udp("2001:db8:ee::8", 6001, web6, 53), dmz);
    assert_eq!(limit_count(&p, false, "2001:db8:ee::7"), 2);
    p.same_sessions();
}

/// Sessions the LRU table evicts leave no close behind: their counts are
/// reconciled by the sweep, down to the sessions the table still holds.
fn limit_session_evictions(net: &Net) {
    let conf = screened_conf("limit-session { source-ip-based 1000; }");
    let snap = snapshot(net, &conf);
    let mut ebpf = EbpfDataplane::load(&Options {
        pin_dir: Some(net.bpffs.join("limits-lru")),
        session_entries: 64,
    })
    .unwrap();
    ebpf.apply(&snap).unwrap();
    let untrust = net.ifindex["ge1"];
    for port in 0..200 {
        let f = udp("198.51.100.7", 7000 + port, "10.0.2.10", 53).frame();
        ebpf.test_run(untrust, &f).unwrap();
    }
    let count = |e: &EbpfDataplane| {
        e.limit_counts()
            .unwrap()
            .iter()
            .find(|c| !c.destination)
            .map_or(0, |c| c.sessions)
    };
    assert_eq!(count(&ebpf), 200, "every session took a count");
    ebpf.sweep().unwrap();
    let live = ebpf.sessions().unwrap().len() as u32;
    let after = count(&ebpf);
    // Forward entries whose reverse went are still counted, as they hold
    // their session until it closes.
    assert!(
        (live..=64).contains(&after),
        "reconciled to the table: {after} counted, {live} whole sessions"
    );
}

/// The per-interface fallback (dataplane/handoff.h): AF_XDP serves trust
/// and dmz, the program untrust. Flows that touch untrust are the
/// program's; the others go back to the AF_XDP shim, which is not loaded
/// here, so a frame handed back reads as dropped for `handback-failed`.
fn handoff(net: &Net) {
    const HANDED_BACK: u32 = 60;
    let (trust, untrust, dmz) = (net.ifindex["ge0"], net.ifindex["ge1"], net.ifindex["ge2"]);
    let snap = snapshot(net, CONF);
    let mut ebpf = EbpfDataplane::load(&Options {
        pin_dir: Some(net.bpffs.join("handoff")),
        session_entries: 4096,
    })
    .unwrap();
    ebpf.apply(&snap).unwrap();
    ebpf.share_with_afxdp(&[trust, dmz], None).unwrap();
    let mut send = |ingress, pkt: Ip| ebpf.test_run(ingress, &pkt.frame()).unwrap().outcome;

    // AF_XDP in, fallback out: the program's flow, made here.
    let ntp = send(trust, udp("10.0.1.50", 123, "198.51.100.7", 123));
    assert_eq!(ntp, Outcome::Redirect(untrust), "trust to untrust");
    // Fallback in, AF_XDP out: the program's too.
    let web = send(
        untrust,
        tcp("198.51.100.9", 40001, "10.0.2.10", 80, SYN, 1, 0),
    );
    assert_eq!(web, Outcome::Redirect(dmz), "untrust to dmz");
    // AF_XDP both ways: the pipeline's, new or not, and no session here.
    let ssh = tcp("10.0.1.200", 40000, "10.0.2.10", 22, SYN, 1, 0);
    assert_eq!(send(trust, ssh.clone()), Outcome::Drop(HANDED_BACK), "new");
    let ack = tcp("10.0.2.10", 22, "10.0.1.200", 40000, SYN | ACK, 9, 2);
    assert_eq!(send(dmz, ack), Outcome::Drop(HANDED_BACK), "mid-flow");
    let quoted = tcp("10.0.1.200", 40000, "10.0.2.10", 22, ACK, 2, 10);
    let unreachable = icmp4("10.0.2.10", "10.0.1.200", 3, 3, &quoted, 28);
    assert_eq!(
        send(dmz, unreachable),
        Outcome::Drop(HANDED_BACK),
        "ICMP error"
    );
    let (_, later) = fragments(&udp("10.0.2.10", 53, "10.0.1.200", 5353), 8);
    assert_eq!(
        send(dmz, later),
        Outcome::Drop(HANDED_BACK),
        "later fragment"
    );
    // For the box (a reply to the pipeline's interface NAT): the pipeline's.
    let nat_reply = udp("10.0.2.10", 53, "10.0.1.1", 61_234);
    assert_eq!(
        send(dmz, nat_reply),
        Outcome::Drop(HANDED_BACK),
        "to the box"
    );
    // Replies of the program's flows it takes itself, whatever the ingress.
    let back = tcp("10.0.2.10", 80, "198.51.100.9", 40001, SYN | ACK, 7, 2);
    assert_eq!(
        send(dmz, back),
        Outcome::Redirect(untrust),
        "reply on AF_XDP"
    );
    assert_eq!(ebpf.sessions().unwrap().len(), 2);

    // Alone again: every flow is the program's.
    ebpf.share_with_afxdp(&[], None).unwrap();
    let outcome = ebpf.test_run(trust, &ssh.frame()).unwrap().outcome;
    assert_eq!(outcome, Outcome::Redirect(dmz));
}

/// The IPv4 option, unknown-protocol, ICMP and SYN-fragment screens: each
/// attack frame dropped for the same reason by both engines, the clean
/// variants forwarded.
fn more_screens(net: &Net) {
    stay_on_one_cpu();
    let conf = screened_conf(
        "icmp { fragment; large; }
         ip { record-route-option; timestamp-option; security-option; stream-option; unknown-protocol; }
         tcp { syn-frag; }",
    );
    let mut p = pair_with(net, "more-screens", &conf);
    let (untrust, dmz) = (p.untrust, p.dmz);
    let web = "10.0.2.10";
    let drop = |p: &mut Pair, pkt: &Ip, reason: u32| {
        let b = p.run(untrust, pkt);
        assert_eq!(b.outcome, Outcome::Drop(reason), "{reason}: {b:?}");
    };
    // The options, each 4-byte aligned: record route (a slot, then end of
    // list), timestamp, security (11 bytes, then end), stream identifier.
    for (opts, reason) in [
        (vec![7, 7, 4, 0, 0, 0, 0, 0], 23),
        (vec![68, 4, 5, 0], 24),
        (vec![130, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 25),
        (vec![136, 4, 0, 1], 26),
    ] {
        let mut u = udp("198.51.100.7", 5000, web, 53);
        u.options = opts;
        drop(&mut p, &u, reason);
    }
    drop(&mut p, &ip("198.51.100.7", web, 200, vec![0u8; 8]), 27);
    let mut big = ping("198.51.100.7", web, 0x300);
    big.l4.extend(vec![0u8; 1000]);
    drop(&mut p, &big, 28);
    let (first, _) = fragments(&ping("198.51.100.7", web, 0x301), 8);
    drop(&mut p, &first, 29);
    let mut syn = tcp_header(40000, 80, 1, 0, SYN, &[]);
    syn.extend(vec![0u8; 16]);
    let (first, _) = fragments(&ip("198.51.100.7", web, 6, syn), 24);
    drop(&mut p, &first, 9);

    // What the screens do not cover passes: a ping of 1000 bytes in all,
    // a datagram with only a no-operation option, protocol 137, a SYN.
    let mut ok = ping("198.51.100.7", web, 0x302);
    ok.l4.extend(vec![0u8; 1000 - 20 - ok.l4.len()]);
    p.forward(untrust, &ok, dmz);
    let mut nop = udp("198.51.100.7", 5001, web, 53);
    nop.options = vec![1, 1, 1, 0];
    p.forward(untrust, &nop, dmz);
    p.forward(
        untrust,
        &tcp("198.51.100.7", 40001, web, 80, SYN, 1, 0),
        dmz,
    );
    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    for reason in [9, 23, 24, 25, 26, 27, 28, 29] {
        assert_eq!(c.drops[reason], 1, "eBPF drops of reason {reason}");
        assert_eq!(r.drops[reason], 1, "pipeline drops of reason {reason}");
    }
}

/// `ip spoofing` and syn-flood's source, destination and alarm thresholds:
/// the same spoofed sources dropped by both engines (the kernel's FIB for
/// the program, the mirrored one for the pipeline), clean ones passed, and
/// the per-source and per-destination SYN rates cut at the same packet.
fn spoofing_and_syn_thresholds(net: &Net) {
    stay_on_one_cpu();
    let mut p = pair_with(net, "spoofing", &screened_conf("ip { spoofing; }"));
    let (untrust, dmz) = (p.untrust, p.dmz);
    let web = "10.0.2.10";
    let drop = |p: &mut Pair, pkt: &Ip, reason: u32| {
        let b = p.run(untrust, pkt);
        assert_eq!(b.outcome, Outcome::Drop(reason), "{} {b:?}", pkt.src);
    };
    // Clean: the internet behind the default route, and a host of the
    // untrust subnet itself; both come in where the route back leaves.
    p.forward(
        untrust,
        &tcp("198.51.100.7", 40000, web, 80, SYN, 1, 0),
        dmz,
    );
    p.forward(
        untrust,
        &tcp("203.0.113.101", 40001, web, 80, SYN, 1, 0),
        dmz,
    );
    // Spoofed: the trust and DMZ subnets (their routes leave elsewhere),
    // the box's own addresses, the untrust subnet's broadcast, loopback
    // and multicast.
    let spoofed = [
        "10.0.1.50",
        "10.0.2.20",
        "10.0.1.1",
        "203.0.113.1",
        "203.0.113.255",
        "127.0.0.1",
        "224.0.0.5",
    ];
    for (i, src) in spoofed.iter().enumerate() {
        drop(&mut p, &tcp(src, 41000 + i as u16, web, 80, SYN, 1, 0), 33);
    }
    // IPv6: a trust source, the box's own address and multicast are
    // spoofed; the internet and link-local sources are not.
    for (i, src) in ["2001:db8:1::50", "2001:db8:ff::1", "ff02::1"]
        .iter()
        .enumerate()
    {
        drop(&mut p, &udp(src, 5000 + i as u16, "2001:db8:2::10", 53), 33);
    }
    // (The link-local source talks to the box: the kernel forwards no
    // link-local source, which the pipeline does not know.)
    for (src, dst) in [
        ("2001:db8:77::1", "2001:db8:2::10"),
        ("fe80::1", "2001:db8:ff::1"),
    ] {
        let b = p.run(untrust, &udp(src, 5100, dst, 53));
        assert_ne!(b.outcome, Outcome::Drop(33), "{src}: {b:?}");
    }
    // The unspecified source claims no address: not spoofing.
    let b = p.run(untrust, &udp("0.0.0.0", 68, web, 53));
    assert_ne!(b.outcome, Outcome::Drop(33), "{b:?}");
    p.same_sessions();
    // No route back at all: spoofed (the default route gone from both).
    sh(&["ip", "route", "del", "default"]);
    p.fib = StaticFib::connected(&interfaces(net)).route("::/0", untrust, Some(GATEWAY6));
    drop(&mut p, &tcp("198.51.100.7", 40002, web, 80, SYN, 1, 0), 33);
    p.forward(
        untrust,
        &tcp("203.0.113.101", 40003, web, 80, SYN, 1, 0),
        dmz,
    );
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    assert_eq!((c.drops[33], r.drops[33]), (11, 11));
    sh(&[
        "ip", "route", "add", "default", "via", GATEWAY, "dev", "ge1",
    ]);

    // SYNs per source and per destination: three from one source pass,
    // its fourth (to another host) is dropped; four to one destination
    // pass, the fifth (from a new source) is dropped; SYN-ACKs and the
    // next second start nothing.
    let conf = screened_conf(
        "tcp { syn-flood { attack-threshold 1000; source-threshold 3; destination-threshold 4; } }",
    );
    let mut p = pair_with(net, "syn-thresholds", &conf);
    fresh_second(&mut p);
    for port in 0..3 {
        p.forward(
            untrust,
            &tcp("198.51.100.30", 43000 + port, web, 80, SYN, 1, 0),
            dmz,
        );
    }
    drop(
        &mut p,
        &tcp("198.51.100.30", 43003, "10.0.2.11", 80, SYN, 1, 0),
        34,
    );
    fresh_second(&mut p);
    for src in 40..44 {
        let src = format!("198.51.100.{src}");
        p.forward(untrust, &tcp(&src, 44000, web, 80, SYN, 1, 0), dmz);
    }
    // The answer to a counted SYN is no SYN of its own.
    p.forward(
        dmz,
        &tcp(web, 80, "198.51.100.40", 44000, SYN | ACK, 1, 2),
        untrust,
    );
    drop(&mut p, &tcp("198.51.100.44", 44000, web, 80, SYN, 1, 0), 35);
    fresh_second(&mut p);
    p.forward(
        untrust,
        &tcp("198.51.100.44", 44000, web, 80, SYN, 1, 0),
        dmz,
    );
    p.same_sessions();
    let c = p.ebpf.counters().unwrap();
    let r = p.w.counters();
    for reason in [34, 35] {
        assert_eq!((c.drops[reason], r.drops[reason]), (1, 1), "{reason}");
    }
    assert_eq!((c.screen_alarms, r.screen_alarms), (0, 0));

    // The alarm threshold: SYNs to one destination above it are counted
    // and pass (the other thresholds are Junos' defaults, far above).
    let conf = screened_conf("tcp { syn-flood { alarm-threshold 2; } }");
    let mut p = pair_with(net, "syn-alarm", &conf);
    fresh_second(&mut p);
    for src in 50..54 {
        let src = format!("198.51.100.{src}");
        p.forward(untrust, &tcp(&src, 45000, web, 80, SYN, 1, 0), dmz);
    }
    let c = p.ebpf.counters().unwrap();
    assert_eq!((c.screen_alarms, p.w.counters().screen_alarms), (2, 2));
}

/// `allow-dns-reply`: a first UDP packet to port 53 that is a DNS response
/// (QR set) makes no session on either engine, unless the flow allows it;
/// a query always passes.
fn dns_replies(net: &Net) {
    let web = "10.0.2.10";
    let dns = |flags: u16, sport: u16| {
        let mut d = vec![0x12, 0x34];
        d.extend(flags.to_be_bytes());
        d.extend([0, 1, 0, 0, 0, 0, 0, 0]);
        ip("198.51.100.7", web, 17, udp_header(sport, 53, &d))
    };
    let mut p = pair_with(net, "dns-replies", CONF);
    let (untrust, dmz) = (p.untrust, p.dmz);
    p.forward(untrust, &dns(0x0100, 33000), dmz);
    let b = p.run(untrust, &dns(0x8180, 33001));
    assert_eq!(b.outcome, Outcome::Drop(39), "{b:?}");
    p.same_sessions();
    let allowed = CONF.replacen("security {", "security {\n    flow { allow-dns-reply; }", 1);
    let mut p = pair_with(net, "dns-replies-allowed", &allowed);
    p.forward(untrust, &dns(0x8180, 33002), dmz);
    p.same_sessions();
}

/// Runs `f` where the program can load; says "skipped" through the
/// shared helper (so `just test` lists it) where it cannot.
fn run(f: fn(&Net)) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("differential");
    if let Some(why) = why_not() {
        xpf_lab::skip(test, &why);
        return;
    }
    match setup() {
        Ok(net) => f(&net),
        Err(why) => xpf_lab::skip(test, &why),
    }
}

#[test]
fn pipeline_and_xdp_program_agree_on_the_corpus() {
    run(scenarios);
}

#[test]
fn pipeline_and_xdp_program_agree_on_static_and_destination_nat() {
    run(nat);
}

#[test]
fn pipeline_and_xdp_program_agree_on_ipv6_for_the_box() {
    run(host6);
}

#[test]
fn pipeline_and_xdp_program_agree_on_ipv6_transit() {
    run(transit6);
}

#[test]
fn pipeline_and_xdp_program_agree_on_ipv6_nat() {
    run(nat6);
}

#[test]
fn pipeline_and_xdp_program_agree_on_ipv6_extension_headers() {
    run(ext6);
}

#[test]
fn pipeline_and_xdp_program_agree_on_tcp_tracking() {
    run(tcp_tracking);
}

#[test]
fn pipeline_and_xdp_program_agree_on_screens_and_mss_clamp() {
    run(screens);
}

#[test]
fn pipeline_and_xdp_program_agree_on_more_screens() {
    run(more_screens);
}

#[test]
fn pipeline_and_xdp_program_agree_on_spoofing_and_syn_thresholds() {
    run(spoofing_and_syn_thresholds);
}

#[test]
fn pipeline_and_xdp_program_agree_on_dns_replies() {
    run(dns_replies);
}

#[test]
fn pipeline_and_xdp_program_agree_on_ipv4_options() {
    run(ipv4_options);
}

#[test]
fn pipeline_and_xdp_program_agree_on_limit_session() {
    run(limit_session);
}

#[test]
fn pipeline_and_xdp_program_agree_on_limit_session_for_ipv6() {
    run(limit_session6);
}

#[test]
fn limit_session_counts_survive_lru_evictions() {
    run(limit_session_evictions);
}

#[test]
fn a_new_snapshot_is_swapped_in_whole() {
    run(swaps);
}

#[test]
fn pinned_sessions_and_links_outlive_the_loader() {
    run(restarts);
}

#[test]
fn logging_policies_give_the_same_session_records() {
    run(events);
}

#[test]
fn flows_touching_a_fallback_interface_stay_with_the_program() {
    run(handoff);
}

#[test]
fn pipeline_and_xdp_program_agree_on_icmp_kinds() {
    run(icmp_kinds);
}
