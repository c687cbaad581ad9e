// SPDX-License-Identifier: Apache-2.0
//! The forwarding topology: client namespace `c` — firewall `f` running
//! xpfd — server `s`, joined by veth pairs, with the firewall configured
//! by [`CONFIG`] on either dataplane. xpfd pins its BPF objects on a
//! bpffs the topology mounts for itself, so it can be stopped and started
//! again and find what the first one pinned (hitless restart, issue 6).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::{binary, can_run, sh, skip};

/// REST (metrics, sessions) as the lab user over the firewall's loopback.
pub const REST: &str = "127.0.0.1:8443";
/// The lab user REST logs in as.
pub const REST_USER: &str = "lab:labpass";

/// Which dataplane a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataplane {
    /// The default: `system dataplane-type userspace`.
    Afxdp,
    /// `system dataplane-type ebpf`.
    Ebpf,
}

impl Dataplane {
    /// What `show system dataplane` calls it.
    pub fn engine(self) -> &'static str {
        match self {
            Dataplane::Afxdp => "afxdp",
            Dataplane::Ebpf => "ebpf",
        }
    }

    /// The lab configuration for it.
    pub fn config(self) -> String {
        match self {
            Dataplane::Afxdp => CONFIG.to_string(),
            Dataplane::Ebpf => {
                CONFIG.replacen("system {\n", "system {\n    dataplane-type ebpf;\n", 1)
            }
        }
    }
}

/// The firewall's configuration: trust (client) to untrust (server)
/// permitted, nothing the other way.
pub const CONFIG: &str = "system {
    host-name fwd;
    login { user lab { class read-only; authentication { encrypted-password \"$6$xpflab0123$aTdAHT7tKsT5s00u1ad5XddoUSymXdpT2xejdin/rHy7xId1GOy5sW3fPYHxU2BL5vDWq12lgLv462HCaeDb/0\"; } } }
}
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.91.1.1/24; } family inet6 { address 2001:db8:91:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 10.91.2.1/24; } family inet6 { address 2001:db8:91:2::1/64; } } }
}
security {
    policies { from-zone trust to-zone untrust { policy out { match { source-address any; destination-address any; application any; } then { permit; } } } }
    zones {
        security-zone trust { host-inbound-traffic { system-services { ping; } } interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
    }
}
";

/// client, fw and server namespaces; xpfd in fw; removed on drop.
pub struct Topology {
    tag: String,
    /// Its directory: xpfd's state, socket and log, the bpffs.
    pub dir: std::path::PathBuf,
    xpfd: Option<Child>,
    /// Environment for xpfd, beyond the test's own.
    env: Vec<(String, String)>,
}

impl Topology {
    /// The namespace `c` (client), `f` (firewall) or `s` (server).
    pub fn ns(&self, which: &str) -> String {
        format!("{}-{which}", self.tag)
    }

    /// Creates the namespaces and starts xpfd on `dp`.
    pub fn start(dp: Dataplane) -> Topology {
        Topology::start_with(dp, &[])
    }

    /// [`Topology::start`], with xpfd given `env` (fault injection).
    pub fn start_with(dp: Dataplane, env: &[(&str, &str)]) -> Topology {
        let mut t = Topology::build(dp, env, Dmz::None);
        t.spawn_xpfd();
        t
    }

    /// The topology with a third namespace, `d`, behind `ge-0/0/2` in zone
    /// dmz (10.91.3.0/24, 2001:db8:91:3::/64), which trust may reach;
    /// xpfd is not started yet ([`Topology::restart_xpfd`] starts it), so
    /// the caller can prepare the firewall namespace first.
    pub fn with_dmz(dp: Dataplane) -> Topology {
        Topology::with_dmz_env(dp, &[])
    }

    /// [`Topology::with_dmz`], with xpfd given `env`.
    pub fn with_dmz_env(dp: Dataplane, env: &[(&str, &str)]) -> Topology {
        Topology::build(dp, env, Dmz::Configured)
    }

    /// As [`Topology::with_dmz`], but the seeded configuration leaves
    /// ge-0/0/2 out: a commit adds it.
    pub fn with_dmz_unconfigured(dp: Dataplane) -> Topology {
        Topology::build(dp, &[], Dmz::Unconfigured)
    }

    fn build(dp: Dataplane, env: &[(&str, &str)], dmz: Dmz) -> Topology {
        // One namespace set per test: tests of one binary run in parallel.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tag = format!("xpffw{}{}{n}", std::process::id(), &dp.engine()[..1]);
        let dir = std::env::temp_dir().join(&tag);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("topology dir");
        let t = Topology {
            tag,
            dir,
            xpfd: None,
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        let (c, f, s, d) = (t.ns("c"), t.ns("f"), t.ns("s"), t.ns("d"));
        for ns in [&c, &f, &s] {
            sh(&["ip", "netns", "add", ns]);
        }
        let mut hosts = vec![
            (
                &c,
                "10.91.1.2/24",
                "10.91.1.1",
                "2001:db8:91:1::2/64",
                "2001:db8:91:1::1",
            ),
            (
                &s,
                "10.91.2.2/24",
                "10.91.2.1",
                "2001:db8:91:2::2/64",
                "2001:db8:91:2::1",
            ),
        ];
        if dmz != Dmz::None {
            sh(&["ip", "netns", "add", &d]);
            sh(&[
                "ip", "-n", &f, "link", "add", "ge-0-0-2", "type", "veth", "peer", "name", "eth0",
                "netns", &d,
            ]);
            hosts.push((
                &d,
                "10.91.3.2/24",
                "10.91.3.1",
                "2001:db8:91:3::2/64",
                "2001:db8:91:3::1",
            ));
        }
        sh(&[
            "ip", "-n", &f, "link", "add", "ge-0-0-0", "type", "veth", "peer", "name", "eth0",
            "netns", &c,
        ]);
        sh(&[
            "ip", "-n", &f, "link", "add", "ge-0-0-1", "type", "veth", "peer", "name", "eth0",
            "netns", &s,
        ]);
        for (ns, v4, gw4, v6, gw6) in hosts {
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
            host_side(ns, v4, gw4, v6, gw6);
        }
        sh(&["ip", "-n", &f, "link", "set", "lo", "up"]);
        // Only xpf may forward in the firewall namespace.
        for knob in ["net.ipv4.ip_forward=0", "net.ipv6.conf.all.forwarding=0"] {
            sh(&["ip", "netns", "exec", &f, "sysctl", "-qw", knob]);
        }
        let config = if dmz == Dmz::Configured {
            with_dmz(&dp.config())
        } else {
            dp.config()
        };
        std::fs::write(t.dir.join("seed.conf"), config).expect("seed");
        // A bpffs of the topology's own, which every xpfd it starts sees
        // (`ip netns exec` gives each a fresh /sys, so one mounted by xpfd
        // there would die with it) and no other test does.
        let bpffs = t.bpffs();
        std::fs::create_dir_all(&bpffs).expect("bpffs mount point");
        sh(&["mount", "-t", "bpf", "bpf", &bpffs.to_string_lossy()]);
        t
    }

    fn bpffs(&self) -> std::path::PathBuf {
        self.dir.join("bpffs")
    }

    /// Starts xpfd in the firewall namespace (its log appended to
    /// `xpfd.log`) and waits until it answers on its socket.
    fn spawn_xpfd(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("xpfd.log"))
            .expect("xpfd log");
        self.xpfd = Some(
            Command::new("ip")
                .args(["netns", "exec", &self.ns("f")])
                .arg(binary("xpfd"))
                .args([
                    "run",
                    "--dataplane",
                    "afxdp",
                    "--grpc-listen",
                    "none",
                    "--rest-listen",
                    REST,
                ])
                .arg("--bpf-pin-dir")
                .arg(self.bpffs().join("xpf"))
                .arg("--state-dir")
                .arg(self.dir.join("state"))
                .arg("--socket")
                .arg(self.dir.join("xpfd.sock"))
                .arg("--config")
                .arg(self.dir.join("seed.conf"))
                .arg("--log-dir")
                .arg(self.dir.join("log"))
                .envs(self.env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("xpfd starts"),
        );
        let t0 = Instant::now();
        // A killed xpfd leaves its socket file: wait for an answer.
        while std::os::unix::net::UnixStream::connect(self.dir.join("xpfd.sock")).is_err() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "xpfd did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The line of `show system dataplane` for the Junos interface `dev`
    /// (`"ge-0/0/1 "`: the trailing space keeps ge-0/0/1 from matching
    /// ge-0/0/10), with the output and xpfd's log when there is none.
    pub fn dataplane_line(&self, status: &str, dev: &str) -> String {
        status
            .lines()
            .find(|l| l.trim_start().starts_with(dev))
            .unwrap_or_else(|| panic!("no line for {dev}:\n{status}\n{}", self.log()))
            .to_string()
    }

    /// Sends `signal` (`KILL`, `TERM`) to xpfd and waits for it to end.
    pub fn stop_xpfd(&mut self, signal: &str) {
        let mut x = self.xpfd.take().expect("xpfd runs");
        sh(&["kill", &format!("-{signal}"), &x.id().to_string()]);
        let _ = x.wait();
    }

    /// Takes the dmz link away and plugs a new one in its place, as a NIC
    /// reset or a re-plugged NIC comes back: same name, new ifindex, down
    /// and unaddressed on the firewall's side.
    pub fn replug_dmz(&self) {
        let (f, d) = (self.ns("f"), self.ns("d"));
        sh(&["ip", "-n", &f, "link", "del", "ge-0-0-2"]);
        sh(&[
            "ip", "-n", &f, "link", "add", "ge-0-0-2", "type", "veth", "peer", "name", "eth0",
            "netns", &d,
        ]);
        host_side(
            &d,
            "10.91.3.2/24",
            "10.91.3.1",
            "2001:db8:91:3::2/64",
            "2001:db8:91:3::1",
        );
    }

    /// Starts xpfd again after [`Topology::stop_xpfd`] (or first, after
    /// [`Topology::with_dmz`]).
    pub fn restart_xpfd(&mut self) {
        assert!(self.xpfd.is_none(), "xpfd still runs");
        self.spawn_xpfd();
    }

    /// Binds a bare AF_XDP socket to queue 0 of `dev` in namespace `which`
    /// and holds it (no XDP program) until the holder is dropped: AF_XDP
    /// cannot bind that queue again (EBUSY) while it lives.
    pub fn hold_queue(&self, which: &str, dev: &str) -> QueueHolder {
        let code = format!(
            "import ctypes,mmap,os,socket,struct,sys,time\n\
             AF_XDP,SOL_XDP=44,283\n\
             s=socket.socket(AF_XDP,socket.SOCK_RAW,0)\n\
             n=64*4096\n\
             area=mmap.mmap(-1,n)\n\
             addr=ctypes.addressof(ctypes.c_char.from_buffer(area))\n\
             s.setsockopt(SOL_XDP,4,struct.pack('QQII',addr,n,4096,0))\n\
             for opt in (5,6,2):\n  s.setsockopt(SOL_XDP,opt,struct.pack('I',64))\n\
             libc=ctypes.CDLL(None,use_errno=True)\n\
             sa=struct.pack('HHIII',AF_XDP,0,socket.if_nametoindex('{dev}'),0,0)\n\
             if libc.bind(s.fileno(),sa,len(sa)):\n  sys.exit('bind: '+os.strerror(ctypes.get_errno()))\n\
             print('held',flush=True)\n\
             time.sleep(3600)"
        );
        let mut child = Command::new("ip")
            .args(["netns", "exec", &self.ns(which), "python3", "-c", &code])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3");
        let mut line = String::new();
        let stdout = child.stdout.as_mut().expect("stdout");
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
        if line.trim() != "held" {
            let _ = child.kill();
            let out = child.wait_with_output().expect("holder");
            panic!(
                "holding {dev} queue 0: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        QueueHolder(child)
    }

    /// Runs `f` with the calling thread in namespace `which` (`c`, `s`):
    /// sockets it makes belong there for good.
    pub fn in_ns<T: Send>(&self, which: &str, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.ns(which));
        // A thread of its own: setns moves only the calling thread.
        std::thread::scope(|s| {
            s.spawn(|| {
                let ns = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
                nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET)
                    .unwrap_or_else(|e| panic!("setns {path}: {e}"));
                f()
            })
            .join()
            .expect("namespace thread")
        })
    }

    /// xpfd's log so far (every start of it).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("xpfd.log")).unwrap_or_default()
    }

    /// `cli -c script` against xpfd: its standard output.
    pub fn cli(&self, script: &str) -> String {
        let out = Command::new(binary("cli"))
            .env("XPF_SOCKET", self.dir.join("xpfd.sock"))
            .args(["-c", script])
            .output()
            .expect("cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `ping` from one namespace; how many replies came back.
    pub fn ping(&self, from: &str, to: &str, count: u32) -> u32 {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns(from),
                "ping",
                "-c",
                &count.to_string(),
                "-i",
                "0.2",
                "-W",
                "1",
                to,
            ])
            .output()
            .expect("ping");
        let text = String::from_utf8_lossy(&out.stdout);
        text.split(',')
            .find_map(|p| {
                p.trim()
                    .strip_suffix(" received")
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(0)
    }

    /// Runs a one-shot TCP server in `to` (it prints the peer's
    /// `address:port` and answers the first message in upper case) and a
    /// client in `from` that sends "hello". Returns (client output, server output).
    pub fn tcp_exchange(&self, from: &str, to: &str, addr: &str, port: u16) -> (String, String) {
        let server = Command::new("ip")
            .args(["netns", "exec", &self.ns(to), "python3", "-c"])
            .arg(format!(
                "import socket;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',{port}));s.listen(1);s.settimeout(4);c,a=s.accept();print('%s:%d'%a,flush=True);c.sendall(c.recv(100).upper())"
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        std::thread::sleep(Duration::from_millis(300));
        let client = Command::new("ip")
            .args(["netns", "exec", &self.ns(from), "python3", "-c"])
            .arg(format!(
                "import socket;c=socket.create_connection(('{addr}',{port}),timeout=2);c.sendall(b'hello');print(c.recv(100).decode())"
            ))
            .output()
            .expect("python3");
        let mut server = server;
        if client.status.success() {
            let out = server.wait_with_output().expect("server");
            return (
                String::from_utf8_lossy(&client.stdout).into_owned(),
                String::from_utf8_lossy(&out.stdout).trim().to_string(),
            );
        }
        let _ = server.kill();
        let _ = server.wait();
        (
            String::from_utf8_lossy(&client.stdout).into_owned(),
            String::new(),
        )
    }

    /// Runs python3 code in a namespace.
    pub fn py(&self, ns: &str, code: &str) -> std::process::Output {
        Command::new("ip")
            .args(["netns", "exec", &self.ns(ns), "python3", "-c", code])
            .output()
            .expect("python3")
    }

    /// Starts python3 code in a namespace, its output piped.
    pub fn py_spawn(&self, ns: &str, code: &str) -> Child {
        self.spawn_py(ns, code, Stdio::piped())
    }

    /// Starts python3 code in a namespace, stdout piped, and gives it a
    /// moment to bind what it serves.
    fn spawn_py(&self, ns: &str, code: &str, stderr: Stdio) -> Child {
        let child = Command::new("ip")
            .args(["netns", "exec", &self.ns(ns), "python3", "-c", code])
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("python3");
        std::thread::sleep(Duration::from_millis(400));
        child
    }

    /// An echo server in `ns` on `port` (TCP, or UDP), both address
    /// families, for `secs` seconds: each TCP peer's address is printed and
    /// every message answered in upper case.
    pub fn serve(&self, ns: &str, port: u16, udp: bool, secs: u32) -> Child {
        let code = if udp {
            format!(
                "import socket,time\ns=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0);s.bind(('::',{port}));s.settimeout(0.5)\nend=time.time()+{secs}\nwhile time.time()<end:\n  try:\n    d,a=s.recvfrom(100);s.sendto(d.upper(),a)\n  except socket.timeout:\n    pass"
            )
        } else {
            format!(
                "import socket,time\ns=socket.socket(socket.AF_INET6);s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0);s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('::',{port}));s.listen(8);s.settimeout(0.5)\nend=time.time()+{secs}\nwhile time.time()<end:\n  try:\n    c,a=s.accept()\n  except socket.timeout:\n    continue\n  print(a[0].replace('::ffff:',''),flush=True);c.settimeout(5)\n  try:\n    while True:\n      d=c.recv(100)\n      if not d: break\n      c.sendall(d.upper())\n  except OSError:\n    pass\n  c.close()"
            )
        };
        self.spawn_py(ns, &code, Stdio::null())
    }

    /// A one-connection TCP server in `ns` on `port` (IPv4) that prints the
    /// MSS it sends with (from the peer's SYN) and answers in upper case.
    pub fn serve_mss(&self, ns: &str, port: u16) -> Child {
        let code = format!(
            "import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',{port}));s.listen(1);s.settimeout(8)\nc,a=s.accept()\nprint(c.getsockopt(socket.IPPROTO_TCP,socket.TCP_MAXSEG),flush=True)\nc.sendall(c.recv(100).upper());c.close()"
        );
        self.spawn_py(ns, &code, Stdio::null())
    }

    /// Connects from `from` to `addr:port` and says "hello": the answer,
    /// `refused` (a RST), `timeout` (dropped) or the error.
    pub fn connect(&self, from: &str, addr: &str, port: u16) -> String {
        let out = self.py(
            from,
            &format!(
                "import socket\ntry:\n  c=socket.create_connection(('{addr}',{port}),timeout=5);c.sendall(b'hello');print(c.recv(100).decode())\nexcept ConnectionRefusedError:\n  print('refused')\nexcept socket.timeout:\n  print('timeout')\nexcept OSError as e:\n  print('error',e)"
            ),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Sends a UDP "hello" from `from` to `addr:port`: the answer,
    /// `unreachable` (an ICMP error came back) or `timeout`.
    pub fn udp_probe(&self, from: &str, addr: &str, port: u16) -> String {
        let fam = if addr.contains(':') {
            "AF_INET6"
        } else {
            "AF_INET"
        };
        let out = self.py(
            from,
            &format!(
                "import socket\ns=socket.socket(socket.{fam},socket.SOCK_DGRAM);s.settimeout(2);s.connect(('{addr}',{port}))\ntry:\n  s.send(b'hello');print(s.recv(100).decode())\nexcept (ConnectionRefusedError,OSError) as e:\n  print('timeout' if isinstance(e,socket.timeout) else 'unreachable')"
            ),
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The peers a [`Topology::serve`] server saw, once it is done.
    pub fn peers(server: Child) -> Vec<String> {
        let out = server.wait_with_output().expect("server");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// A syslog collector on the server, UDP `port`: prints what it
    /// receives for 6 s, or until two session records came (system
    /// events that arrive with them are printed, not counted).
    pub fn syslog_collector(&self, port: u16) -> Child {
        let c = Command::new("ip")
            .args(["netns", "exec", &self.ns("s"), "python3", "-c"])
            .arg(format!(
                "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(('0.0.0.0',{port}));s.settimeout(1)\nend=time.time()+6;n=0\nwhile time.time()<end and n<2:\n  try:\n    m=s.recv(4096);print(m.decode(),flush=True);n+=b'RT_FLOW' in m\n  except socket.timeout:\n    pass"
            ))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        std::thread::sleep(Duration::from_millis(300));
        c
    }

    /// Sends one UDP datagram from `from` to `addr:port` (nothing answers:
    /// the first packet makes the session).
    pub fn udp(&self, from: &str, addr: &str, port: u16) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.ns(from), "python3", "-c"])
            .arg(format!(
                "import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.sendto(b'x',('{addr}',{port}))"
            ))
            .output()
            .expect("python3");
        assert!(out.status.success(), "sending UDP: {out:?}");
    }

    /// `GET path` on xpfd's REST API from the firewall namespace; the body.
    pub fn rest(&self, path: &str) -> String {
        let out = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.ns("f"),
                "curl",
                "-sSk",
                "--max-time",
                "5",
                "-u",
            ])
            .arg(REST_USER)
            .arg(format!("https://{REST}{path}"))
            .output()
            .expect("curl");
        assert!(
            out.status.success(),
            "curl {path}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Whether a TCP exchange from `from` to `to` works.
    pub fn tcp(&self, from: &str, to: &str, addr: &str, port: u16) -> bool {
        self.tcp_exchange(from, to, addr, port).0.contains("HELLO")
    }

    /// The `address:port` the server in `to` sees the connection come from.
    pub fn tcp_peer(&self, from: &str, to: &str, addr: &str, port: u16) -> String {
        self.tcp_exchange(from, to, addr, port).1
    }
}

/// A process holding an AF_XDP queue ([`Topology::hold_queue`]); killed
/// when dropped.
pub struct QueueHolder(Child);

impl Drop for QueueHolder {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if let Some(mut x) = self.xpfd.take() {
            let _ = x.kill();
            let _ = x.wait();
        }
        // Unpinning everything with the bpffs: whatever a test left attached
        // goes (the namespaces, next, take the interfaces anyway).
        let _ = Command::new("umount").arg("-l").arg(self.bpffs()).output();
        for which in ["c", "f", "s", "d"] {
            let _ = Command::new("ip")
                .args(["netns", "del", &self.ns(which)])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A host's end of its link (`eth0` in `ns`): up, addressed, routed.
fn host_side(ns: &str, v4: &str, gw4: &str, v6: &str, gw6: &str) {
    sh(&["ip", "-n", ns, "link", "set", "eth0", "up"]);
    sh(&["ip", "-n", ns, "addr", "add", v4, "dev", "eth0"]);
    sh(&["ip", "-n", ns, "addr", "add", v6, "dev", "eth0", "nodad"]);
    sh(&["ip", "-n", ns, "route", "add", "default", "via", gw4]);
    sh(&["ip", "-n", ns, "-6", "route", "add", "default", "via", gw6]);
    // veth hands over partially computed checksums otherwise, which XDP
    // passes on as they are (real NICs do not).
    sh(&[
        "ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tx", "off",
    ]);
    // A veth takes XDP redirects (the eBPF dataplane's way out) only when
    // its peer runs NAPI, which GRO turns on; real NICs need nothing of
    // the kind.
    sh(&[
        "ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "gro", "on",
    ]);
}

/// Whether a topology has the dmz link, and in the seeded configuration.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dmz {
    None,
    Unconfigured,
    Configured,
}

/// `config` with ge-0/0/2 in zone dmz, which trust may reach.
fn with_dmz(config: &str) -> String {
    config
        .replacen(
            "interfaces {\n",
            "interfaces {\n    ge-0/0/2 { unit 0 { family inet { address 10.91.3.1/24; } family inet6 { address 2001:db8:91:3::1/64; } } }\n",
            1,
        )
        .replacen(
            "    policies { ",
            "    policies { from-zone trust to-zone dmz { policy in { match { source-address any; destination-address any; application any; } then { permit; } } } ",
            1,
        )
        .replacen(
            "    zones {\n",
            "    zones {\n        security-zone dmz { interfaces { ge-0/0/2.0; } }\n",
            1,
        )
}

/// Whether the lab and its tools are here; says why not.
pub fn lab_ready(test: &str) -> bool {
    if !can_run(test) {
        return false;
    }
    for tool in ["python3", "ethtool", "ping"] {
        if !has(tool) {
            skip(test, &format!("{tool} is not installed"));
            return false;
        }
    }
    true
}

/// Starts the topology on `dp`; `None` (after saying why) when that
/// dataplane cannot run on this machine.
pub fn started(test: &str, dp: Dataplane) -> Option<Topology> {
    let t = Topology::start(dp);
    let status = t.cli("show system dataplane");
    match dp {
        Dataplane::Afxdp => {
            if status.contains("AF_XDP did not start") {
                panic!("the AF_XDP dataplane did not start:\n{status}\n{}", t.log());
            }
        }
        Dataplane::Ebpf => {
            if status.contains("the eBPF dataplane cannot run here") {
                let why = status.lines().find(|l| l.starts_with("Forwarding:"));
                skip(test, why.unwrap_or("the eBPF dataplane cannot run here"));
                return None;
            }
            assert!(
                status.contains("(system dataplane-type ebpf)"),
                "{status}\n{}",
                t.log()
            );
        }
    }
    for dev in ["ge-0/0/0 ", "ge-0/0/1 "] {
        let line = status
            .lines()
            .find(|l| l.trim_start().starts_with(dev))
            .unwrap_or_else(|| panic!("no line for {dev}:\n{status}"));
        assert!(line.contains(dp.engine()), "{line}\n{status}");
    }
    Some(t)
}

/// Waits until a ping from the client reaches `to` (routes, neighbours).
pub fn wait_for_path(t: &Topology, to: &str, within: Duration) {
    let t0 = Instant::now();
    while t.ping("c", to, 1) == 0 {
        assert!(
            t0.elapsed() < within,
            "no path to {to} through xpf\n{}",
            t.log()
        );
    }
}

/// Whether `tool` is on the PATH.
pub fn has(tool: &str) -> bool {
    Command::new("which")
        .arg(tool)
        .output()
        .is_ok_and(|o| o.status.success())
}
