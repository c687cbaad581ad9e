// SPDX-License-Identifier: Apache-2.0
//! gen — fw — sink over veth pairs, the shim and AF_XDP workers in `fw`
//! running the L2Forwarder. Needs root; skips (and says so) without it.

use std::fs::File;
use std::net::UdpSocket;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use xpf_afxdp::{Config, Dataplane, InterfaceConfig, L2Forwarder, L2Route, XdpAttachedMode};

/// Runs a command, panicking with its stderr on failure.
fn sh(args: &[&str]) -> String {
    let out = xpf_lab::sh(args);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace, deleted on drop (with its veths).
struct Netns(String);

impl Netns {
    fn new(name: String) -> Netns {
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        sh(&["ip", "netns", "add", &name]);
        sh(&["ip", "-n", &name, "link", "set", "lo", "up"]);
        Netns(name)
    }

    fn ip(&self, args: &[&str]) -> String {
        let mut v = vec!["ip", "-n", self.0.as_str()];
        v.extend_from_slice(args);
        sh(&v)
    }

    fn exec(&self, args: &[&str]) -> std::process::Output {
        Command::new("ip")
            .args(["netns", "exec", &self.0])
            .args(args)
            .output()
            .expect("ip netns exec")
    }

    fn mac(&self, dev: &str) -> [u8; 6] {
        // "g0@if2  UP  aa:bb:cc:dd:ee:ff <...>"
        let out = self.ip(&["-br", "link", "show", "dev", dev]);
        let field = out.split_whitespace().nth(2).expect("mac field");
        let mut mac = [0u8; 6];
        for (m, h) in mac.iter_mut().zip(field.split(':')) {
            *m = u8::from_str_radix(h, 16).expect("hex");
        }
        mac
    }

    fn ifindex(&self, dev: &str) -> u32 {
        // "5: f0@if4: <...>"
        let out = self.ip(&["-o", "link", "show", "dev", dev]);
        out.split(':')
            .next()
            .expect("index")
            .trim()
            .parse()
            .expect("ifindex")
    }

    /// Runs `f` on a thread that has entered this namespace.
    fn spawn<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let path = format!("/var/run/netns/{}", self.0);
        std::thread::spawn(move || {
            let fd = File::open(&path).expect("netns file");
            nix::sched::setns(&fd, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            f()
        })
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// A private bpffs for the shim's pins, unmounted on drop: the machine's
/// /sys/fs/bpf may not be mounted, and tests must not leave pins behind.
struct Bpffs(std::path::PathBuf);

impl Bpffs {
    fn new(tag: &str) -> Bpffs {
        let dir = std::env::temp_dir().join(format!("xpf-afxdp-bpffs-{tag}"));
        let _ = std::fs::create_dir_all(&dir);
        sh(&[
            "mount",
            "-t",
            "bpf",
            "bpf",
            dir.to_str().expect("utf-8 path"),
        ]);
        Bpffs(dir)
    }
}

impl Drop for Bpffs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
        let _ = std::fs::remove_dir(&self.0);
    }
}

struct Lab {
    gen: Netns,
    fw: Netns,
    sink: Netns,
}

fn lab(tag: &str) -> Lab {
    let gen = Netns::new(format!("xpf-afxdp-{tag}-gen"));
    let fw = Netns::new(format!("xpf-afxdp-{tag}-fw"));
    let sink = Netns::new(format!("xpf-afxdp-{tag}-sink"));
    sh(&[
        "ip", "link", "add", "g0", "netns", &gen.0, "type", "veth", "peer", "name", "f0", "netns",
        &fw.0,
    ]);
    sh(&[
        "ip", "link", "add", "f1", "netns", &fw.0, "type", "veth", "peer", "name", "s0", "netns",
        &sink.0,
    ]);
    gen.ip(&["addr", "add", "10.0.1.2/24", "dev", "g0"]);
    fw.ip(&["addr", "add", "10.0.1.1/24", "dev", "f0"]);
    fw.ip(&["addr", "add", "10.0.2.1/24", "dev", "f1"]);
    sink.ip(&["addr", "add", "10.0.2.2/24", "dev", "s0"]);
    for (ns, dev) in [(&gen, "g0"), (&fw, "f0"), (&fw, "f1"), (&sink, "s0")] {
        ns.ip(&["link", "set", dev, "up"]);
    }
    // veth offloads the TX checksum: the kernel hands the peer a partial
    // L4 checksum plus metadata, which XDP and AF_XDP do not carry. A real
    // NIC completes the checksum on the wire; here the senders must.
    for (ns, dev) in [(&gen, "g0"), (&sink, "s0")] {
        let out = ns.exec(&["ethtool", "-K", dev, "tx", "off"]);
        assert!(
            out.status.success(),
            "ethtool: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    gen.ip(&["route", "add", "default", "via", "10.0.1.1"]);
    sink.ip(&["route", "add", "default", "via", "10.0.2.1"]);
    // The kernel must not forward: transit traffic gets through only if the
    // AF_XDP workers move it.
    let out = fw.exec(&["sysctl", "-qw", "net.ipv4.ip_forward=0"]);
    assert!(
        out.status.success(),
        "sysctl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Lab { gen, fw, sink }
}

fn ping(ns: &Netns, dst: &str) -> bool {
    ns.exec(&["ping", "-c", "3", "-i", "0.2", "-W", "2", dst])
        .status
        .success()
}

#[test]
fn forwards_between_veths_and_keeps_host_traffic_in_the_kernel() {
    const TEST: &str = "forwards_between_veths_and_keeps_host_traffic_in_the_kernel";
    if !xpf_lab::can_run(TEST) {
        return;
    }
    if Command::new("ethtool").arg("--version").output().is_err() {
        xpf_lab::skip(TEST, "ethtool is not installed (qa/setup.sh installs it)");
        return;
    }
    let tag = format!("{}", std::process::id());
    let lab = lab(&tag);
    let bpffs = Bpffs::new(&tag);

    let routes = vec![
        L2Route {
            prefix: "10.0.2.0".parse().expect("ip"),
            prefix_len: 24,
            egress_ifindex: lab.fw.ifindex("f1"),
            src_mac: lab.fw.mac("f1"),
            dst_mac: lab.sink.mac("s0"),
        },
        L2Route {
            prefix: "10.0.1.0".parse().expect("ip"),
            prefix_len: 24,
            egress_ifindex: lab.fw.ifindex("f0"),
            src_mac: lab.fw.mac("f0"),
            dst_mac: lab.gen.mac("g0"),
        },
    ];
    let config = Config {
        interfaces: vec![InterfaceConfig::new("f0"), InterfaceConfig::new("f1")],
        local_addrs: vec![
            ("10.0.1.1".parse().expect("ip"), 32),
            ("10.0.2.1".parse().expect("ip"), 32),
        ],
        pin_dir: bpffs.0.join("xpf"),
        unpin_on_drop: true,
        ..Config::default()
    };

    // The dataplane lives on a thread inside fw from start to stop, so its
    // sockets, ifindexes and netlink all resolve there.
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let fw = lab.fw.spawn(move || {
        let dp = Dataplane::start(config, move |_| L2Forwarder::new(routes.clone()))
            .expect("dataplane starts");
        ready_tx.send(dp.interfaces().to_vec()).expect("ready");
        let _ = stop_rx.recv();
        let shim = dp.shim_counters().expect("shim counters");
        let stats = dp.stop();
        (shim, stats)
    });
    let ifaces = ready_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("dataplane started");
    eprintln!("interfaces: {ifaces:?}");
    assert!(
        ifaces.iter().all(|i| i.xdp_mode == XdpAttachedMode::Native),
        "veth takes native XDP"
    );

    // Transit, both ways (echo out, reply back), through the workers.
    assert!(ping(&lab.gen, "10.0.2.2"), "gen pings sink through fw");
    // Host-bound: fw's own address is answered by its kernel.
    assert!(ping(&lab.gen, "10.0.1.1"), "gen pings fw");

    // A UDP burst: the sink counts what arrives.
    const N: u64 = 10_000;
    // Datagrams in flight at most: well under what the sink socket's
    // default receive buffer holds (~270 small datagrams).
    const WINDOW: u64 = 128;
    let received = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (bound_tx, bound_rx) = mpsc::channel();
    let sink = {
        let received = received.clone();
        let done = done.clone();
        lab.sink.spawn(move || {
            let s = UdpSocket::bind("10.0.2.2:9000").expect("bind sink");
            s.set_read_timeout(Some(Duration::from_millis(50)))
                .expect("timeout");
            bound_tx.send(()).expect("bound");
            let mut buf = [0u8; 2048];
            while !done.load(Ordering::Relaxed) {
                if s.recv(&mut buf).is_ok() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    bound_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("sink bound");
    let sender = {
        let received = received.clone();
        lab.gen.spawn(move || {
            let s = UdpSocket::bind("10.0.1.2:0").expect("bind gen");
            let payload = [0x5au8; 22]; // 64-byte frames on the wire
            let start = Instant::now();
            let mut sent = 0u64;
            let mut stalled = Instant::now();
            while sent < N {
                // Keep at most a window in flight: the test checks the
                // machinery loses nothing, not how deep the sockets are.
                if sent - received.load(Ordering::Relaxed) >= WINDOW {
                    if stalled.elapsed() > Duration::from_secs(2) {
                        break;
                    }
                    std::thread::yield_now();
                    continue;
                }
                stalled = Instant::now();
                if s.send_to(&payload, "10.0.2.2:9000").is_ok() {
                    sent += 1;
                }
            }
            (sent, start)
        })
    };
    let (sent, start) = sender.join().expect("sender");
    let deadline = Instant::now() + Duration::from_secs(3);
    while received.load(Ordering::Relaxed) < sent && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    sink.join().expect("sink");
    let got = received.load(Ordering::Relaxed);
    eprintln!(
        "UDP: sent {sent}, received {got} in {:.3} s: {:.0} packets/s (windowed, for orientation)",
        elapsed.as_secs_f64(),
        got as f64 / elapsed.as_secs_f64()
    );

    stop_tx.send(()).expect("stop");
    let (shim, stats) = fw.join().expect("fw thread");
    eprintln!("shim: {shim:?}");
    for (fwd, s) in &stats {
        eprintln!("worker: {s:?}\nforwarder: {:?}", fwd.stats());
    }
    assert_eq!(sent, N, "the sender stalled: frames were lost on the way");
    assert_eq!(got, N, "every datagram reaches the sink");
    assert!(
        shim.redirect >= N,
        "transit went through the sockets: {shim:?}"
    );
    assert!(
        shim.pass_host >= 3,
        "pings to fw went to its kernel: {shim:?}"
    );
    assert!(shim.pass_non_ip >= 1, "ARP went to the kernel: {shim:?}");
    assert!(!stats.is_empty(), "workers ran");
    for (_, s) in &stats {
        assert_eq!(s.frames.leaked, 0, "UMEM frames leaked: {s:?}");
        assert_eq!(s.frames.in_tx, 0, "TX drained at stop: {s:?}");
        assert_eq!(s.frames.free + s.frames.in_fill, s.frames.total, "{s:?}");
    }
}
