// SPDX-License-Identifier: Apache-2.0
//! The forwarding benchmark (`../shared/BENCHMARK.md`): gen — fw — sink over
//! veth pairs in three namespaces, 64-byte UDP from an XDP live-frames
//! generator, or an AF_PACKET TX ring relayed at XDP where the kernel
//! refuses live frames (`gen.rs`; the output names the one that ran), an
//! `XDP_DROP` sink counted by the veth's `rx_queue_0_xdp_packets`. The
//! firewall's forwarding work (threaded NAPI kthreads of its two veths,
//! plus xpfd's threads) is pinned to CPU1; the generator, its relay, the
//! sink and this harness run on CPU0.
//!
//! Modes, interleaved run by run: (a) Linux forwarding, (b) Linux
//! forwarding + nftables (conntrack, masquerade), (c) xpfd with the AF_XDP
//! dataplane, policy permit + interface source NAT, (d) bare XDP redirect
//! between the firewall's veths (the limit), (e) xpfd with the eBPF
//! dataplane, same policy and NAT. Figures only: nothing passes or fails.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::gen::Generator;

const GEN: &str = "xb-gen";
const FW: &str = "xb-fw";
const SINK: &str = "xb-sink";
const G0: &str = "xbg0";
const S0: &str = "xbs0";
// The AF_PACKET generator's relay pair, both ends in the generator namespace.
const X0: &str = "xbx0";
const X1: &str = "xbx1";
// xpfd names Linux interfaces after Junos ones: ge-0/0/0 is ge-0-0-0.
const F0: &str = "ge-0-0-0";
const F1: &str = "ge-0-0-1";
const G0_MAC: &str = "02:00:00:00:01:02";
const F0_MAC: &str = "02:00:00:00:01:01";
const F1_MAC: &str = "02:00:00:00:02:01";
const S0_MAC: &str = "02:00:00:00:02:02";
const WARMUP: Duration = Duration::from_secs(2);
const WINDOW: Duration = Duration::from_secs(8);
const DUT_CPU: &str = "1";
const HOST_CPU: &str = "0";

const XPF_CONFIG: &str = "system { host-name bench; }
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 10.0.2.1/24; } } }
}
security {
    nat { source { rule-set out { from zone trust; to zone untrust;
        rule all { match { source-address 0.0.0.0/0; } then { source-nat { interface; } } } } } }
    policies { from-zone trust to-zone untrust { policy out {
        match { source-address any; destination-address any; application any; } then { permit; } } } }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
    }
}
";

/// The same policy for the kernel: stateful, trust → untrust permitted,
/// everything else in the forward path dropped, masquerade to the untrust
/// interface address.
const NFT_RULES: &str = "table inet xbench {
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        ct state invalid drop
        iifname \"ge-0-0-0\" oifname \"ge-0-0-1\" accept
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname \"ge-0-0-1\" masquerade
    }
}
";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Linux,
    Nftables,
    Xpf,
    XdpRedirect,
    XpfEbpf,
    XdpRouter,
    AfxdpForward,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Linux => "linux-forwarding",
            Mode::Nftables => "linux-nftables-snat",
            Mode::Xpf => "xpf-afxdp-snat",
            Mode::XdpRedirect => "xdp-redirect",
            Mode::XpfEbpf => "xpf-ebpf-snat",
            Mode::XdpRouter => "xdp-router",
            Mode::AfxdpForward => "afxdp-forward",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Mode::Linux => "(a) Linux forwarding",
            Mode::Nftables => "(b) Linux + nftables (ct, masquerade)",
            Mode::Xpf => "(c) xpf AF_XDP (policy, SNAT)",
            Mode::XdpRedirect => "(d) XDP redirect (limit)",
            Mode::XpfEbpf => "(e) xpf eBPF (policy, SNAT)",
            Mode::XdpRouter => "(f) XDP router (fib lookup)",
            Mode::AfxdpForward => "(g) AF_XDP forward, no state (limit)",
        }
    }
}

fn run_cmd(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .with_context(|| format!("running {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ns(ns: &str, args: &[&str]) -> anyhow::Result<String> {
    let mut v = vec!["ip", "netns", "exec", ns];
    v.extend_from_slice(args);
    run_cmd(&v)
}

/// Runs `xpf-bench <args>` in a namespace on the host CPU.
fn spawn_self(netns: &str, args: &[&str]) -> anyhow::Result<Child> {
    let exe = std::env::current_exe()?;
    Ok(Command::new("ip")
        .args(["netns", "exec", netns, "taskset", "-c", HOST_CPU])
        .arg(exe)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?)
}

/// Waits for an attach helper to say it is attached.
fn attached(child: &mut Child) -> anyhow::Result<()> {
    use std::io::BufRead;
    let out = child.stdout.take().context("helper stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line)?;
    if line.trim() != "attached" {
        let _ = child.kill();
        bail!("XDP attach helper failed");
    }
    Ok(())
}

fn stop(child: &mut Option<Child>) {
    if let Some(mut c) = child.take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// The three namespaces; deleted on drop.
struct Topology {
    sink: Option<Child>,
    relay: Option<Child>,
}

impl Topology {
    fn build() -> anyhow::Result<Topology> {
        for n in [GEN, FW, SINK] {
            let _ = Command::new("ip").args(["netns", "del", n]).output();
        }
        for n in [GEN, FW, SINK] {
            run_cmd(&["ip", "netns", "add", n])?;
            run_cmd(&["ip", "-n", n, "link", "set", "lo", "up"])?;
        }
        run_cmd(&[
            "ip", "-n", FW, "link", "add", F0, "address", F0_MAC, "type", "veth", "peer", "name",
            G0, "address", G0_MAC, "netns", GEN,
        ])?;
        run_cmd(&[
            "ip", "-n", FW, "link", "add", F1, "address", F1_MAC, "type", "veth", "peer", "name",
            S0, "address", S0_MAC, "netns", SINK,
        ])?;
        for (n, dev, addr) in [
            (GEN, G0, "10.0.1.2/24"),
            (FW, F0, "10.0.1.1/24"),
            (FW, F1, "10.0.2.1/24"),
            (SINK, S0, "10.0.2.2/24"),
        ] {
            run_cmd(&["ip", "-n", n, "addr", "add", addr, "dev", dev])?;
            ns(n, &["ethtool", "-K", dev, "tx", "off"])?;
            run_cmd(&["ip", "-n", n, "link", "set", dev, "up"])?;
        }
        for (n, dev) in [(GEN, G0), (FW, F0), (FW, F1), (SINK, S0)] {
            // GRO gives veth a NAPI context, needed to receive XDP frames;
            // switched on once both ends are up, so that the peer
            // advertises ndo_xdp_xmit (the generator's XDP_TX needs it).
            ns(n, &["ethtool", "-K", dev, "gro", "off"])?;
            ns(n, &["ethtool", "-K", dev, "gro", "on"])?;
            // Threaded NAPI lets us pin the forwarding work.
            ns(
                n,
                &[
                    "sh",
                    "-c",
                    &format!("echo 1 > /sys/class/net/{dev}/threaded"),
                ],
            )?;
        }
        run_cmd(&[
            "ip", "-n", GEN, "route", "add", "default", "via", "10.0.1.1",
        ])?;
        run_cmd(&[
            "ip", "-n", SINK, "route", "add", "default", "via", "10.0.2.1",
        ])?;
        for (ip, mac, dev) in [("10.0.1.2", G0_MAC, F0), ("10.0.2.2", S0_MAC, F1)] {
            run_cmd(&[
                "ip",
                "-n",
                FW,
                "neigh",
                "replace",
                ip,
                "lladdr",
                mac,
                "dev",
                dev,
                "nud",
                "permanent",
            ])?;
        }
        let mut t = Topology {
            sink: None,
            relay: None,
        };
        let mut sink = spawn_self(SINK, &["xdp-attach", "drop", S0])?;
        attached(&mut sink)?;
        t.sink = Some(sink);
        Ok(t)
    }

    /// X0 — X1 in the generator namespace, X1 redirecting at XDP to G0:
    /// what the AF_PACKET generator sends into X0 reaches the firewall as
    /// XDP frames, as the live-frames generator's do.
    fn add_relay(&mut self) -> anyhow::Result<()> {
        run_cmd(&[
            "ip", "-n", GEN, "link", "add", X0, "type", "veth", "peer", "name", X1,
        ])?;
        for dev in [X0, X1] {
            ns(GEN, &["ethtool", "-K", dev, "tx", "off"])?;
            run_cmd(&["ip", "-n", GEN, "link", "set", dev, "up"])?;
        }
        for dev in [X0, X1, G0] {
            ns(GEN, &["ethtool", "-K", dev, "gro", "off"])?;
            ns(GEN, &["ethtool", "-K", dev, "gro", "on"])?;
            ns(
                GEN,
                &[
                    "sh",
                    "-c",
                    &format!("echo 1 > /sys/class/net/{dev}/threaded"),
                ],
            )?;
        }
        let mut h = spawn_self(GEN, &["xdp-attach", "redirect", X1, G0, F0_MAC, G0_MAC])?;
        attached(&mut h)?;
        self.relay = Some(h);
        Ok(())
    }

    fn forwarding(&self, on: bool) -> anyhow::Result<()> {
        let v = if on { "1" } else { "0" };
        ns(FW, &["sysctl", "-qw", &format!("net.ipv4.ip_forward={v}")])?;
        Ok(())
    }
}

impl Topology {
    /// iperf3 TCP from the generator to the sink through the firewall, in
    /// Gbit/s. The sink's XDP drop comes off for it (TCP needs the sink's
    /// stack) and goes back on after.
    fn tcp_gbps(&mut self) -> anyhow::Result<f64> {
        stop(&mut self.sink);
        let result = iperf3();
        let mut sink = spawn_self(SINK, &["xdp-attach", "drop", S0])?;
        attached(&mut sink)?;
        self.sink = Some(sink);
        result
    }
}

/// One iperf3 run, both ends on the host CPU (TCP is bound by them, as
/// `../shared/BENCHMARK.md` notes): the receiver's rate in Gbit/s.
fn iperf3() -> anyhow::Result<f64> {
    let mut server = Command::new("ip")
        .args(["netns", "exec", SINK, "taskset", "-c", HOST_CPU])
        .args(["iperf3", "-s", "-1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting iperf3 -s")?;
    std::thread::sleep(Duration::from_millis(300));
    let report = ns(
        GEN,
        &[
            "taskset", "-c", HOST_CPU, "iperf3", "-c", "10.0.2.2", "-t", "5", "-O", "1", "-J",
        ],
    );
    let _ = server.kill();
    let _ = server.wait();
    let v: serde_json::Value = serde_json::from_str(&report?).context("iperf3's JSON")?;
    v["end"]["sum_received"]["bits_per_second"]
        .as_f64()
        .map(|b| b / 1e9)
        .context("no throughput in iperf3's report")
}

impl Drop for Topology {
    fn drop(&mut self) {
        stop(&mut self.sink);
        stop(&mut self.relay);
        for n in [GEN, FW, SINK] {
            let _ = Command::new("ip").args(["netns", "del", n]).output();
        }
    }
}

/// Threads whose command name starts with one of `prefixes` (NAPI kthreads).
fn threads_named(prefixes: &[String]) -> Vec<u32> {
    let mut v = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return v;
    };
    for e in dir.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if prefixes.iter().any(|p| comm.starts_with(p.as_str())) {
            v.push(pid);
        }
    }
    v
}

fn napi(devs: &[&str]) -> Vec<u32> {
    let prefixes: Vec<String> = devs.iter().map(|d| format!("napi/{d}-")).collect();
    threads_named(&prefixes)
}

/// All threads of a process.
fn tasks(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

fn pin(tids: &[u32], cpu: &str, fifo: bool) {
    for t in tids {
        let t = t.to_string();
        let _ = Command::new("taskset").args(["-pc", cpu, &t]).output();
        if fifo {
            let _ = Command::new("chrt").args(["-f", "-p", "50", &t]).output();
        }
    }
}

/// utime + stime of the threads, in clock ticks.
fn cpu_ticks(tids: &[u32]) -> u64 {
    tids.iter()
        .filter_map(|t| {
            // The task path: /proc/<pid>/stat of a process sums all its threads.
            let s = std::fs::read_to_string(format!("/proc/{t}/task/{t}/stat")).ok()?;
            // Fields after the parenthesised command name; utime and stime
            // are fields 14 and 15, i.e. 12 and 13 after it.
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}

fn sink_packets() -> anyhow::Result<u64> {
    let out = ns(SINK, &["ethtool", "-S", S0])?;
    out.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("rx_queue_0_xdp_packets:")
                .and_then(|v| v.trim().parse().ok())
        })
        .context("no rx_queue_0_xdp_packets in ethtool -S")
}

/// The generator's arguments after its subcommand.
fn gen_args(dev: &str, flows: u32) -> Vec<String> {
    [dev, G0_MAC, F0_MAC, "10.0.1.2", "10.0.2.2"]
        .iter()
        .map(|s| s.to_string())
        .chain([flows.to_string()])
        .collect()
}

/// The generator to use, and why: `XPF_BENCH_GEN` if set, else live
/// frames if one live-frames test run from the generator namespace works,
/// else AF_PACKET (through the relay, which the caller sets up).
fn choose_generator(forced: Option<Generator>) -> anyhow::Result<(Generator, String)> {
    if let Some(g) = forced {
        return Ok((g, format!("XPF_BENCH_GEN={}", g.name())));
    }
    let out = Command::new("ip")
        .args(["netns", "exec", GEN, "taskset", "-c", HOST_CPU])
        .arg(std::env::current_exe()?)
        .arg("xdp-gen-probe")
        .args(gen_args(G0, 1))
        .output()
        .context("running the live-frames probe")?;
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && said == "ok" {
        return Ok((Generator::Live, "the live-frames probe ran".into()));
    }
    let why = match said.strip_prefix("refused: ") {
        Some(why) => why.to_string(),
        None => format!(
            "the probe failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("")
        ),
    };
    Ok((Generator::Packet, format!("live frames refused: {why}")))
}

fn xpfd_binary() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("XPF_XPFD") {
        return Ok(p.into());
    }
    let mut candidates = Vec::new();
    if let Ok(t) = std::env::var("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(t).join("release/xpfd"));
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            candidates.push(dir.join("xpfd"));
        }
    }
    candidates.push("target/release/xpfd".into());
    candidates
        .into_iter()
        .find(|p| p.exists())
        .context("no release xpfd binary: cargo build --release -p xpfd (or set XPF_XPFD)")
}

/// What a mode leaves running; torn down on drop.
struct Running {
    mode: Mode,
    helper: Option<Child>,
    xpfd: Option<Child>,
    dir: Option<tempfile::TempDir>,
}

impl Running {
    fn start(t: &Topology, mode: Mode) -> anyhow::Result<Running> {
        let mut r = Running {
            mode,
            helper: None,
            xpfd: None,
            dir: None,
        };
        let _ = ns(FW, &["nft", "delete", "table", "inet", "xbench"]);
        match mode {
            Mode::Linux => t.forwarding(true)?,
            Mode::Nftables => {
                t.forwarding(true)?;
                let dir = tempfile::tempdir()?;
                let f = dir.path().join("rules.nft");
                std::fs::write(&f, NFT_RULES)?;
                ns(FW, &["nft", "-f", &f.to_string_lossy()])?;
                let _ = ns(FW, &["conntrack", "-F"]);
            }
            Mode::XdpRedirect => {
                t.forwarding(false)?;
                let mut h = spawn_self(FW, &["xdp-attach", "redirect", F0, F1, S0_MAC, F1_MAC])?;
                attached(&mut h)?;
                r.helper = Some(h);
            }
            Mode::XdpRouter => {
                // bpf_fib_lookup answers only where the kernel would forward.
                t.forwarding(true)?;
                let mut h = spawn_self(FW, &["xdp-attach", "router", F0])?;
                attached(&mut h)?;
                r.helper = Some(h);
            }
            Mode::AfxdpForward => {
                t.forwarding(false)?;
                let mut h = spawn_self(FW, &["afxdp-forward", F0, F1, S0_MAC, F1_MAC])?;
                attached(&mut h)?;
                // Its AF_XDP worker is pinned and measured as xpfd's are.
                r.xpfd = Some(h);
            }
            Mode::Xpf | Mode::XpfEbpf => {
                t.forwarding(false)?;
                let dir = tempfile::tempdir()?;
                let config = if mode == Mode::XpfEbpf {
                    // Same policy and SNAT, the in-kernel dataplane.
                    XPF_CONFIG.replacen(
                        "system { host-name bench; }",
                        "system { host-name bench; dataplane-type ebpf; }",
                        1,
                    )
                } else {
                    XPF_CONFIG.to_string()
                };
                std::fs::write(dir.path().join("seed.conf"), config)?;
                let log = std::fs::File::create(dir.path().join("xpfd.log"))?;
                let child = Command::new("ip")
                    .args(["netns", "exec", FW, "taskset", "-c", DUT_CPU])
                    .arg(xpfd_binary()?)
                    .args([
                        "run",
                        "--dataplane",
                        "afxdp",
                        "--grpc-listen",
                        "none",
                        "--rest-listen",
                        "none",
                    ])
                    .arg("--state-dir")
                    .arg(dir.path().join("state"))
                    .arg("--socket")
                    .arg(dir.path().join("xpfd.sock"))
                    .arg("--config")
                    .arg(dir.path().join("seed.conf"))
                    .stdout(Stdio::null())
                    .stderr(log)
                    .spawn()?;
                r.xpfd = Some(child);
                let sock = dir.path().join("xpfd.sock");
                r.dir = Some(dir);
                let t0 = Instant::now();
                while !sock.exists() {
                    if t0.elapsed() > Duration::from_secs(15) {
                        bail!("xpfd did not start:\n{}", r.xpfd_log());
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
        Ok(r)
    }

    /// Pins the firewall's work to the DUT CPU and the rest to the host
    /// CPU. Again before every measurement: attaching XDP (xpfd, mode d)
    /// can replace a veth's NAPI kthread.
    fn pin(&self) {
        pin(&napi(&[F0, F1]), DUT_CPU, true);
        // The sink drops at XDP and costs little, but starved by the
        // generator it would drop frames the firewall has already forwarded.
        pin(&napi(&[G0, S0, X0, X1]), HOST_CPU, true);
        if let Some(x) = &self.xpfd {
            let all = tasks(x.id());
            pin(&all, DUT_CPU, false);
            // The AF_XDP workers above the NAPI kthreads that feed them:
            // at the same priority a flooded NAPI thread never yields and
            // the worker's ring overflows. A worker spins briefly, then
            // sleeps in poll(2), which lets NAPI run.
            for t in all {
                let comm = std::fs::read_to_string(format!("/proc/{t}/comm")).unwrap_or_default();
                if comm.starts_with("xpf-afxdp-q") {
                    let _ = Command::new("chrt")
                        .args(["-f", "-p", "60", &t.to_string()])
                        .output();
                }
            }
        }
    }

    fn xpfd_log(&self) -> String {
        self.dir
            .as_ref()
            .and_then(|d| std::fs::read_to_string(d.path().join("xpfd.log")).ok())
            .unwrap_or_default()
    }

    /// The firewall's forwarding threads: NAPI of its veths, plus xpfd's.
    fn dut_threads(&self) -> Vec<u32> {
        let mut v = napi(&[F0, F1]);
        if let Some(x) = &self.xpfd {
            // `ip netns exec` execs xpfd in place, so the child is xpfd.
            v.extend(tasks(x.id()));
        }
        v
    }

    /// One measurement: sink pps and DUT ns/packet.
    fn measure(&mut self, flows: u32, gen: Generator) -> anyhow::Result<(f64, f64)> {
        let mut args = vec![gen.subcommand().to_string()];
        let dev = if gen == Generator::Packet { X0 } else { G0 };
        args.extend(gen_args(dev, flows));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut g = Some(spawn_self(GEN, &args)?);
        // xpfd mirrors routes and neighbours once a second: wait for the
        // path before the warm-up counts.
        let t0 = Instant::now();
        let first = sink_packets()?;
        while sink_packets()? < first + 1000 {
            if let Some(status) = g.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("the {} generator exited ({status})", gen.name());
            }
            if t0.elapsed() > Duration::from_secs(20) {
                stop(&mut g);
                bail!(
                    "{}: no traffic reaches the sink\n{}",
                    self.mode.name(),
                    self.xpfd_log()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.pin();
        std::thread::sleep(WARMUP);
        let tids = self.dut_threads();
        let (p0, c0, i0) = (sink_packets()?, cpu_ticks(&tids), Instant::now());
        std::thread::sleep(WINDOW);
        let (p1, c1, i1) = (sink_packets()?, cpu_ticks(&tids), Instant::now());
        stop(&mut g);
        let pkts = p1.saturating_sub(p0) as f64;
        let secs = (i1 - i0).as_secs_f64();
        let hz = crate::xdp::clk_tck();
        let cpu_ns = (c1.saturating_sub(c0)) as f64 / hz * 1e9;
        let ns_pp = if pkts > 0.0 { cpu_ns / pkts } else { f64::NAN };
        std::thread::sleep(Duration::from_millis(300));
        Ok((pkts / secs, ns_pp))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        stop(&mut self.helper);
        stop(&mut self.xpfd);
        let _ = ns(FW, &["nft", "delete", "table", "inet", "xbench"]);
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

/// Runs the benchmark, prints the table and writes `target/bench/forwarding.json`.
pub fn run() -> anyhow::Result<()> {
    let runs: usize = std::env::var("XPF_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let modes: Vec<Mode> = match std::env::var("XPF_BENCH_MODES") {
        Ok(v) => v
            .split(',')
            .filter_map(|m| match m.trim() {
                "a" => Some(Mode::Linux),
                "b" => Some(Mode::Nftables),
                "c" => Some(Mode::Xpf),
                "d" => Some(Mode::XdpRedirect),
                "e" => Some(Mode::XpfEbpf),
                "f" => Some(Mode::XdpRouter),
                "g" => Some(Mode::AfxdpForward),
                _ => None,
            })
            .collect(),
        Err(_) => vec![
            Mode::Linux,
            Mode::Nftables,
            Mode::Xpf,
            Mode::XdpRedirect,
            Mode::XpfEbpf,
            Mode::XdpRouter,
            Mode::AfxdpForward,
        ],
    };
    for tool in ["nft", "ethtool", "taskset", "chrt"] {
        if Command::new("which")
            .arg(tool)
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
        {
            bail!("{tool} is not installed (qa/setup.sh installs it)");
        }
    }
    let flow_counts = [1000u32, 1];
    let tcp = Command::new("which")
        .arg("iperf3")
        .output()
        .is_ok_and(|o| o.status.success());
    if !tcp {
        eprintln!("skipped: TCP figures: iperf3 is not installed (qa/setup.sh installs it)");
    }
    let forced = Generator::forced()?;
    let mut topo = Topology::build()?;
    let (mut gen, mut why) = choose_generator(forced)?;
    if gen == Generator::Packet {
        if let Err(e) = topo.add_relay() {
            gen = Generator::PacketDirect;
            why = format!("{why}; the relay did not attach: {e:#}");
        }
    }
    eprintln!("generator: {} ({why})", gen.label());
    // tcp_samples[mode] = Gbit/s per run
    let mut tcp_samples: Vec<(Mode, Vec<f64>)> = modes.iter().map(|m| (*m, Vec::new())).collect();
    // samples[(mode, flows)] = (pps, ns)
    let mut samples: Vec<(Mode, u32, Vec<f64>, Vec<f64>)> = Vec::new();
    for m in &modes {
        for f in flow_counts {
            samples.push((*m, f, Vec::new(), Vec::new()));
        }
    }
    for run in 0..runs {
        for &m in &modes {
            let mut r = match Running::start(&topo, m) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("run {run}: {}: {e:#}", m.name());
                    continue;
                }
            };
            for f in flow_counts {
                match r.measure(f, gen) {
                    Ok((pps, nsp)) => {
                        eprintln!(
                            "run {run}: {:<22} {f:>5} flows: {:>6.3} Mpps {:>7.0} ns/pkt  [{} generator]",
                            m.name(),
                            pps / 1e6,
                            nsp,
                            gen.name()
                        );
                        if let Some(s) = samples.iter_mut().find(|s| s.0 == m && s.1 == f) {
                            s.2.push(pps);
                            s.3.push(nsp);
                        }
                    }
                    Err(e) => eprintln!("run {run}: {}: {e:#}", m.name()),
                }
            }
            // (d) and (g) forward one way only: nothing brings TCP's ACKs back.
            if tcp && m != Mode::XdpRedirect && m != Mode::AfxdpForward {
                match topo.tcp_gbps() {
                    Ok(g) => {
                        eprintln!("run {run}: {:<22}   TCP: {g:>6.2} Gbit/s", m.name());
                        if let Some(s) = tcp_samples.iter_mut().find(|s| s.0 == m) {
                            s.1.push(g);
                        }
                    }
                    Err(e) => eprintln!("run {run}: {} TCP: {e:#}", m.name()),
                }
            }
            drop(r);
        }
    }
    drop(topo);
    let tcp_rows: Vec<(Mode, f64)> = tcp_samples
        .iter_mut()
        .map(|(m, g)| (*m, median(g)))
        .filter(|r| r.1.is_finite())
        .collect();
    let mut rows: Vec<(Mode, u32, f64, f64)> = samples
        .iter_mut()
        .map(|(m, f, p, n)| (*m, *f, median(p), median(n)))
        .collect();
    rows.retain(|r| r.2.is_finite());
    let base = |f: u32| {
        rows.iter()
            .find(|r| r.0 == Mode::Nftables && r.1 == f)
            .map(|r| r.2)
    };
    println!(
        "forwarding benchmark: 64-byte UDP, gen — fw — sink veths, DUT on CPU{DUT_CPU}, median of {runs} interleaved runs ({}s after {}s warm-up)",
        WINDOW.as_secs(),
        WARMUP.as_secs()
    );
    println!("generator: {} ({why})", gen.label());
    println!(
        "{:<40} {:>6} {:>10} {:>10} {:>10}",
        "mode", "flows", "sink Mpps", "ns/pkt", "× (b)"
    );
    let mut entries: Vec<String> = Vec::new();
    for (m, f, pps, nsp) in &rows {
        let ratio = base(*f).map(|b| pps / b);
        println!(
            "{:<40} {f:>6} {:>10.3} {:>10.0} {:>10}",
            m.label(),
            pps / 1e6,
            nsp,
            ratio
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "-".into())
        );
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x:.1}")
            } else {
                "null".into()
            }
        };
        entries.push(format!(
            "  {{\"mode\":\"{}\",\"generator\":\"{}\",\"flows\":{f},\"pps\":{},\"ns_per_packet\":{},\"ratio_to_nftables\":{}}}",
            m.name(),
            gen.name(),
            num(*pps),
            num(*nsp),
            ratio.map(|r| format!("{r:.3}")).unwrap_or_else(|| "null".into()),
        ));
    }
    if !tcp_rows.is_empty() {
        println!("iperf3 TCP, gen → sink through fw (both ends on CPU{HOST_CPU}):");
        println!("{:<40} {:>10} {:>10}", "mode", "Gbit/s", "× (b)");
    }
    let tcp_base = tcp_rows.iter().find(|r| r.0 == Mode::Nftables).map(|r| r.1);
    for (m, g) in &tcp_rows {
        let ratio = tcp_base.map(|b| g / b);
        println!(
            "{:<40} {g:>10.2} {:>10}",
            m.label(),
            ratio
                .map(|r| format!("{r:.2}"))
                .unwrap_or_else(|| "-".into())
        );
        entries.push(format!(
            "  {{\"mode\":\"{}\",\"test\":\"iperf3-tcp\",\"gbps\":{g:.3},\"ratio_to_nftables\":{}}}",
            m.name(),
            ratio.map(|r| format!("{r:.3}")).unwrap_or_else(|| "null".into()),
        ));
    }
    let json = format!("[\n{}\n]\n", entries.join(",\n"));
    std::fs::create_dir_all("target/bench")?;
    std::fs::write("target/bench/forwarding.json", json)?;
    let of = |m: Mode, f: u32| rows.iter().find(|r| r.0 == m && r.1 == f).map(|r| r.2);
    for f in flow_counts {
        if let (Some(e), Some(d)) = (of(Mode::XpfEbpf, f), of(Mode::XdpRedirect, f)) {
            println!("(e) is {:.0}% of (d) with {f} flows", 100.0 * e / d);
        }
        if let (Some(e), Some(r)) = (of(Mode::XpfEbpf, f), of(Mode::XdpRouter, f)) {
            println!(
                "(e) is {:.0}% of (f), a bare XDP router, with {f} flows",
                100.0 * e / r
            );
        }
        if let (Some(c), Some(g)) = (of(Mode::Xpf, f), of(Mode::AfxdpForward, f)) {
            println!(
                "(c) is {:.0}% of (g), AF_XDP with no state, with {f} flows",
                100.0 * c / g
            );
        }
    }
    println!("goal: (c) ≥ 3× (b) in pps and ≤ 700 ns/packet; (e) ≥ 5× (b), ≤ 400 ns/packet and ≥ 85% of a bare XDP router (figures only, nothing fails)");
    Ok(())
}
