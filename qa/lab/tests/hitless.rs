// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! Hitless restart of the eBPF dataplane (issue 6): a TCP stream through
//! the firewall keeps flowing while xpfd is killed (SIGKILL, or SIGTERM as
//! `systemctl restart` sends) and started again, without a reset; while
//! xpfd is down the program still enforces policy (no fail-open); and the
//! restarted xpfd lists the stream's session, taken over from the pins.
//! Under AF_XDP (issue 4), a commit that adds a data interface restarts
//! AF_XDP on the new set, and a stream keeps flowing through it with the
//! session it had.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use xpf_lab::{lab_ready, started, wait_for_path, Dataplane, Topology};

const PORT: u16 = 5001;
/// One message each way per tick.
const TICK: Duration = Duration::from_millis(20);
const MSG: usize = 32;

#[test]
fn a_tcp_stream_survives_xpfd_being_killed() {
    restart_keeps_the_stream("a_tcp_stream_survives_xpfd_being_killed", "KILL");
}

#[test]
fn a_tcp_stream_survives_xpfd_being_stopped() {
    restart_keeps_the_stream("a_tcp_stream_survives_xpfd_being_stopped", "TERM");
}

/// A deliberate switch is no restart: going to AF_XDP (`delete system
/// dataplane-type`) takes the eBPF program and its pinned links away, so
/// nothing is left for a later xpfd to take over.
#[test]
fn switching_to_afxdp_detaches_the_ebpf_dataplane() {
    const TEST: &str = "switching_to_afxdp_detaches_the_ebpf_dataplane";
    if !lab_ready(TEST) {
        return;
    }
    let Some(mut t) = started(TEST, Dataplane::Ebpf) else {
        return;
    };
    let links = t.dir.join("bpffs/xpf/dataplane-links");
    let pinned = || std::fs::read_dir(&links).map_or(0, |d| d.count());
    assert_eq!(pinned(), 2, "one pinned link per data interface");
    let out = t.cli("configure; delete system dataplane-type; commit");
    assert!(out.contains("commit complete"), "{out}\n{}", t.log());
    let status = t.cli("show system dataplane");
    assert!(
        status.contains("Forwarding: AF_XDP"),
        "{status}\n{}",
        t.log()
    );
    assert_eq!(pinned(), 0, "the eBPF dataplane's links are gone");
    wait_for_path(&t, "10.91.2.2", Duration::from_secs(10));

    t.stop_xpfd("KILL");
    t.restart_xpfd();
    let status = t.cli("show system dataplane");
    assert!(
        status.contains("Forwarding: AF_XDP"),
        "{status}\n{}",
        t.log()
    );
    assert_eq!(pinned(), 0);
}

/// A client in `c` sends a numbered message every tick to an echo server
/// in `s`, through the firewall, and records when each echo came back.
struct Stream {
    local_port: u16,
    stop: Arc<AtomicBool>,
    echoes: Arc<Mutex<Vec<Instant>>>,
    client: JoinHandle<Result<u64, String>>,
    server: JoinHandle<()>,
}

impl Stream {
    fn open(t: &Topology) -> Stream {
        let listener = t.in_ns("s", || {
            TcpListener::bind(("0.0.0.0", PORT)).expect("listen")
        });
        let server = std::thread::spawn(move || {
            let (mut c, _) = listener.accept().expect("accept");
            let mut buf = [0u8; MSG];
            // Until the client closes (or the stream breaks: the client sees it).
            while c.read_exact(&mut buf).is_ok() && c.write_all(&buf).is_ok() {}
        });
        let to: SocketAddr = format!("10.91.2.2:{PORT}").parse().unwrap();
        let conn = t.in_ns("c", || {
            TcpStream::connect_timeout(&to, Duration::from_secs(5)).expect("connect through xpf")
        });
        let local_port = conn.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let echoes = Arc::new(Mutex::new(Vec::new()));
        let client = {
            let (stop, echoes) = (stop.clone(), echoes.clone());
            std::thread::spawn(move || pump(conn, &stop, &echoes))
        };
        Stream {
            local_port,
            stop,
            echoes,
            client,
            server,
        }
    }

    /// Echoes received between `from` and `to`.
    fn echoes_between(&self, from: Instant, to: Instant) -> usize {
        let e = self.echoes.lock().unwrap();
        e.iter().filter(|&&at| at >= from && at <= to).count()
    }

    /// The longest time between two echoes.
    fn longest_pause(&self) -> Duration {
        let e = self.echoes.lock().unwrap();
        e.windows(2).map(|w| w[1] - w[0]).max().unwrap_or_default()
    }

    fn ok_so_far(&self) -> bool {
        !self.client.is_finished()
    }

    /// Stops it; how many messages went both ways, or how it broke.
    fn close(self) -> Result<u64, String> {
        self.stop.store(true, Ordering::Relaxed);
        let r = self.client.join().expect("client thread");
        let _ = self.server.join();
        r
    }
}

/// The client loop: any error (a reset, a stall past the read timeout, an
/// echo that is not what was sent) ends it with that error.
fn pump(
    mut conn: TcpStream,
    stop: &AtomicBool,
    echoes: &Mutex<Vec<Instant>>,
) -> Result<u64, String> {
    conn.set_nodelay(true).map_err(|e| e.to_string())?;
    // Longer than any restart: a stall shows as missing echoes, not here.
    conn.set_read_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    let mut seq: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let mut msg = [0u8; MSG];
        msg[..8].copy_from_slice(&seq.to_be_bytes());
        conn.write_all(&msg)
            .map_err(|e| format!("send {seq}: {e}"))?;
        let mut back = [0u8; MSG];
        conn.read_exact(&mut back)
            .map_err(|e| format!("echo {seq}: {e}"))?;
        if back != msg {
            return Err(format!("echo {seq} came back changed"));
        }
        echoes.lock().unwrap().push(Instant::now());
        seq += 1;
        std::thread::sleep(TICK);
    }
    conn.shutdown(std::net::Shutdown::Both)
        .map_err(|e| e.to_string())?;
    Ok(seq)
}

/// Whether an XDP program is attached to the firewall's `dev`.
fn xdp_attached(t: &Topology, dev: &str) -> bool {
    let out = xpf_lab::sh(&["ip", "-n", &t.ns("f"), "-d", "link", "show", dev]);
    String::from_utf8_lossy(&out.stdout).contains("prog/xdp")
}

fn restart_keeps_the_stream(test: &str, signal: &str) {
    if !lab_ready(test) {
        return;
    }
    let Some(mut t) = started(test, Dataplane::Ebpf) else {
        return;
    };
    wait_for_path(&t, "10.91.2.2", Duration::from_secs(10));
    let stream = Stream::open(&t);
    std::thread::sleep(Duration::from_secs(1));
    let session = format!("10.91.1.2/{} --> 10.91.2.2/{PORT};tcp", stream.local_port);
    let before = t.cli(&format!(
        "show security flow session destination-port {PORT}"
    ));
    assert!(before.contains(&session), "{before}\n{}", t.log());

    t.stop_xpfd(signal);
    let down = Instant::now();
    for dev in ["ge-0-0-0", "ge-0-0-1"] {
        assert!(
            xdp_attached(&t, dev),
            "xpfd (SIG{signal}) took the program off {dev}\n{}",
            t.log()
        );
    }
    // Still the firewall while nobody runs it: policy permits nothing from
    // untrust to trust, and the kernel must not route it either. This
    // also keeps xpfd down for a while (the client gives up after 2 s).
    assert!(
        !t.tcp("s", "c", "10.91.1.2", 5002),
        "a connection policy denies got through while xpfd was down (SIG{signal})"
    );
    let restarting = Instant::now();
    assert!(
        stream.echoes_between(down, restarting) > 10,
        "the stream stalled while xpfd was down (SIG{signal})\n{}",
        t.log()
    );

    t.restart_xpfd();
    let up = Instant::now();
    assert!(
        stream.echoes_between(restarting, up) > 0,
        "the stream stalled while xpfd started\n{}",
        t.log()
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        stream.echoes_between(up, Instant::now()) > 10,
        "the stream stalled after the restart\n{}",
        t.log()
    );
    assert!(stream.ok_so_far(), "the stream broke: {:?}", stream.close());
    let log = t.log();
    assert!(
        log.contains("took over the pinned XDP link"),
        "the new program did not replace the old in place\n{log}"
    );
    let after = t.cli(&format!(
        "show security flow session destination-port {PORT}"
    ));
    assert!(
        after.contains(&session),
        "the restarted xpfd lost the session:\n{after}\n{log}"
    );
    let dataplane = t.cli("show system dataplane");
    assert!(
        dataplane.contains("(system dataplane-type ebpf)"),
        "{dataplane}"
    );

    // The new program forwards new flows and still enforces policy.
    assert!(t.tcp("c", "s", "10.91.2.2", 5003), "{}", t.log());
    assert!(!t.tcp("s", "c", "10.91.1.2", 5004));

    let sent = stream.close().unwrap_or_else(|e| {
        panic!(
            "the stream broke across the restart (SIG{signal}): {e}\n{}",
            t.log()
        )
    });
    assert!(sent > 100, "only {sent} messages went through");
}

/// A commit that adds a data interface under AF_XDP: the interface
/// forwards at once, with no xpfd restart, and a TCP stream that was
/// flowing goes on through AF_XDP's restart on the new set, with the same
/// session (SYN checks drop a mid-flow segment that has none).
#[test]
fn a_committed_interface_joins_afxdp_and_the_stream_goes_on() {
    let test = "a_committed_interface_joins_afxdp_and_the_stream_goes_on";
    if !lab_ready(test) {
        return;
    }
    let mut t = Topology::with_dmz_unconfigured(Dataplane::Afxdp);
    t.restart_xpfd();
    wait_for_path(&t, "10.91.2.2", Duration::from_secs(15));
    let status = t.cli("show system dataplane");
    assert!(
        status.contains("Forwarding: AF_XDP") && !status.contains("ge-0/0/2"),
        "{status}\n{}",
        t.log()
    );
    let watched = Watched::open(&t);

    let out = t.cli(
        "configure; set interfaces ge-0/0/2 unit 0 family inet address 10.91.3.1/24; \
         set security zones security-zone dmz interfaces ge-0/0/2.0; \
         set security policies from-zone trust to-zone dmz policy in match source-address any destination-address any application any; \
         set security policies from-zone trust to-zone dmz policy in then permit; commit",
    );
    assert!(out.contains("commit complete"), "{out}\n{}", t.log());
    let committed = Instant::now();
    let status = t.cli("show system dataplane");
    assert!(
        serves(&status, "ge-0/0/2", "afxdp"),
        "the new interface is not AF_XDP's:\n{status}\n{}",
        t.log()
    );
    wait_for_path(&t, "10.91.3.2", Duration::from_secs(15));
    assert!(
        t.tcp("c", "d", "10.91.3.2", 5005),
        "trust to the new dmz\n{}",
        t.log()
    );
    assert!(!t.tcp("s", "c", "10.91.1.2", 5006), "untrust to trust");
    watched.goes_on(&t, committed, test, "the commit");
}

/// A data interface that comes back as a new link with no commit (a NIC
/// reset, a re-plugged NIC: same name, new ifindex): xpfd puts its
/// configuration back on it and the dataplane follows, with no commit,
/// while a stream through the other interfaces keeps its session.
#[test]
fn a_replugged_interface_is_followed_without_a_commit() {
    replugged(
        "a_replugged_interface_is_followed_without_a_commit",
        Dataplane::Afxdp,
    );
}

#[test]
fn ebpf_a_replugged_interface_is_followed_without_a_commit() {
    replugged(
        "ebpf_a_replugged_interface_is_followed_without_a_commit",
        Dataplane::Ebpf,
    );
}

fn replugged(test: &str, dp: Dataplane) {
    if !lab_ready(test) {
        return;
    }
    let mut t = Topology::with_dmz(dp);
    t.restart_xpfd();
    wait_for_path(&t, "10.91.2.2", Duration::from_secs(15));
    wait_for_path(&t, "10.91.3.2", Duration::from_secs(15));
    let watched = Watched::open(&t);

    t.replug_dmz();
    wait_for_path(&t, "10.91.3.2", Duration::from_secs(20));
    assert!(
        t.tcp("c", "d", "10.91.3.2", 5007),
        "trust to the re-plugged dmz\n{}",
        t.log()
    );
    let status = t.cli("show system dataplane");
    assert!(
        serves(&status, "ge-0/0/2", dp.engine()),
        "{status}\n{}",
        t.log()
    );
    assert!(!t.tcp("s", "c", "10.91.1.2", 5008), "untrust to trust");
    watched.goes_on(&t, Instant::now(), test, "the re-plug");
}

/// A [`Stream`] and the ID of its session, to show both live through a
/// change to the firewall.
struct Watched {
    stream: Stream,
    flow: String,
    show: String,
    id: Option<u64>,
}

impl Watched {
    fn open(t: &Topology) -> Watched {
        let stream = Stream::open(t);
        std::thread::sleep(Duration::from_secs(1));
        let flow = format!("10.91.1.2/{} --> 10.91.2.2/{PORT};tcp", stream.local_port);
        let show = format!("show security flow session destination-port {PORT}");
        let id = session_id(&t.cli(&show), &flow);
        assert!(id.is_some(), "{}\n{}", t.cli(&show), t.log());
        Watched {
            stream,
            flow,
            show,
            id,
        }
    }

    /// Checks that the stream flows in the 2 s after `since`, with the
    /// session it had before `what`, then closes it.
    fn goes_on(self, t: &Topology, since: Instant, test: &str, what: &str) {
        let Watched {
            stream,
            flow,
            show,
            id,
        } = self;
        std::thread::sleep(Duration::from_secs(2));
        assert!(
            stream.echoes_between(since, Instant::now()) > 10,
            "the stream stalled after {what}\n{}",
            t.log()
        );
        assert!(stream.ok_so_far(), "the stream broke: {:?}", stream.close());
        let after = t.cli(&show);
        assert_eq!(
            session_id(&after, &flow),
            id,
            "the session did not carry over {what}:\n{after}\n{}",
            t.log()
        );
        // A figure for the README, not a goal: how long the change paused it.
        eprintln!(
            "{test}: the stream paused at most {:?} across {what}",
            stream.longest_pause()
        );
        let sent = stream
            .close()
            .unwrap_or_else(|e| panic!("the stream broke across {what}: {e}\n{}", t.log()));
        assert!(sent > 100, "only {sent} messages went through");
    }
}

/// Whether `show system dataplane` says `engine` forwards on `iface`.
fn serves(status: &str, iface: &str, engine: &str) -> bool {
    status
        .lines()
        .any(|l| l.trim_start().starts_with(&format!("{iface} ")) && l.contains(engine))
}

/// The ID of the session whose forward flow is `flow` in `show security
/// flow session` output.
fn session_id(out: &str, flow: &str) -> Option<u64> {
    let mut id = None;
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("Session ID: ") {
            id = rest.split(',').next().and_then(|n| n.trim().parse().ok());
        } else if line.trim_start().starts_with("In: ") && line.contains(flow) {
            return id;
        }
    }
    None
}
