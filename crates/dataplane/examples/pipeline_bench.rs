// SPDX-License-Identifier: Apache-2.0
//! Micro-benchmark of the pipeline: ns per packet for (a) a session hit and
//! (b) a first packet against 10,000 policies, matching the last one (the
//! classifier's worst case): once denied (lookup only) and once permitted
//! (lookup, interface source NAT and session creation).
//!
//! `cargo run --release -p xpf-dataplane --example pipeline_bench`
//!
//! Timings are of this process on this machine; `qa/bench` owns the
//! comparisons. Each iteration copies a fresh 64-byte frame into the buffer
//! (the pipeline rewrites in place), which is included in the figures
//! (about 1 ns). Each figure is the median of [`ROUNDS`] timed rounds of
//! the thread's on-CPU time, so other work on the machine inflates it less.
//! `pipeline_bench hit` runs the session hit alone, for profiling.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use xpf_dataplane::{process, InterfaceTable, Snapshot, StaticFib, Verdict, Worker};

const POLICIES: usize = 10_000;

/// Counts allocations, to show the packet path makes none.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: defers to the system allocator unchanged; only counts calls.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

fn config(action: &str) -> String {
    let mut book = String::new();
    let mut pols = String::new();
    for i in 0..POLICIES {
        let (hi, lo) = (i >> 8, i & 255);
        book.push_str(&format!(
            "address s{i} 10.{hi}.{lo}.0/24; address d{i} 172.16.{hi}.{lo}/32;\n"
        ));
        pols.push_str(&format!(
            "policy p{i} {{ match {{ source-address s{i}; destination-address d{i}; application junos-http; }} then {{ {action}; }} }}\n"
        ));
    }
    format!(
        "interfaces {{
    ge-0/0/0 {{ unit 0 {{ family inet {{ address 10.255.0.1/16; }} }} }}
    ge-0/0/1 {{ unit 0 {{ family inet {{ address 203.0.113.1/24; }} }} }}
}}
security {{
    address-book {{ global {{ {book} }} }}
    nat {{ source {{ rule-set out {{ from zone trust; to zone untrust;
        rule all {{ match {{ source-address 0.0.0.0/0; }} then {{ source-nat interface; }} }} }} }} }}
    zones {{
        security-zone trust {{ interfaces {{ ge-0/0/0.0; }} }}
        security-zone untrust {{ interfaces {{ ge-0/0/1.0; }} }}
    }}
    policies {{ from-zone trust to-zone untrust {{ {pols} }} }}
}}"
    )
}

/// A 64-byte frame; an array, so copying it into the buffer each
/// iteration is a few inline moves and not a `memcpy` call.
fn frame(src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, proto: u8) -> [u8; 64] {
    let mut f = vec![0u8; 14 + 20 + 20];
    f[12] = 0x08;
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&40u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = proto;
    ip[12..16].copy_from_slice(&src);
    ip[16..20].copy_from_slice(&dst);
    let c = xpf_dataplane::checksum::finish(xpf_dataplane::checksum::sum(ip, 0));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let l4 = &mut f[34..];
    l4[0..2].copy_from_slice(&sport.to_be_bytes());
    l4[2..4].copy_from_slice(&dport.to_be_bytes());
    if proto == 6 {
        l4[12] = 5 << 4;
        l4[13] = 0x02; // SYN
    } else {
        l4[4..6].copy_from_slice(&20u16.to_be_bytes());
    }
    f.resize(64, 0);
    f.try_into().expect("64 bytes")
}

fn snapshot(action: &str, ifs: &InterfaceTable) -> Snapshot {
    let text = config(action);
    let t = Instant::now();
    let cfg = xpf_config::parse_config(&text).expect("config");
    let model = xpf_model::build(&xpf_config::effective(&cfg, None)).expect("model");
    let parsed = t.elapsed();
    let t = Instant::now();
    let snap = Snapshot::compile(&model, ifs).expect("compile");
    println!(
        "{POLICIES} policies ({action}): config+model {:.2?}, Snapshot::compile {:.2?}, classifier {} KiB",
        parsed,
        t.elapsed(),
        snap.policy_memory() / 1024
    );
    snap
}

/// Rounds of each timed loop; the median is reported, so a round stolen
/// by other work on the machine does not move the figure.
const ROUNDS: usize = 5;

/// Nanoseconds this thread has run on a CPU (Linux schedstat), so time
/// the scheduler gave to other work on the machine is not counted; wall
/// time where that is not available. It advances at scheduler ticks
/// (4 ms here), so rounds must be long against that.
fn on_cpu_ns(start: Instant) -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| start.elapsed().as_nanos() as u64)
}

/// Times `rounds` runs of `body` (each `n` packets) and returns the median
/// on-CPU ns per packet and the allocations made while timing (reading
/// the clock allocates, outside the counted span).
fn timed(rounds: usize, n: u64, mut body: impl FnMut()) -> (f64, u64) {
    let mut ns = Vec::with_capacity(rounds);
    let epoch = Instant::now();
    let mut allocated = 0;
    for _ in 0..rounds {
        let t0 = on_cpu_ns(epoch);
        let a0 = allocs();
        body();
        allocated += allocs() - a0;
        let t1 = on_cpu_ns(epoch);
        ns.push(t1.saturating_sub(t0) as f64 / n as f64);
    }
    ns.sort_by(f64::total_cmp);
    (ns[ns.len() / 2], allocated)
}

fn main() {
    // `pipeline_bench hit` runs the session hit alone (for profiling).
    let hit_only = std::env::args().nth(1).as_deref() == Some("hit");
    let ifs = InterfaceTable::new()
        .with(2, "ge-0/0/0.0", &["10.255.0.1/16"])
        .with(3, "ge-0/0/1.0", &["203.0.113.1/24"]);
    let fib = StaticFib::connected(&ifs).route("0.0.0.0/0", 3, Some("203.0.113.254"));
    let mut buf = [0u8; 2048];

    // (a) session hit: UDP with interface source NAT.
    let permit = snapshot("permit", &ifs);
    let mut w = Worker::with_capacity(&permit, 1024);
    let udp = frame([10, 39, 15, 5], 40000, [172, 16, 39, 15], 80, 17);
    let udp_http = {
        // junos-http is TCP: let the UDP flow in through a permissive copy.
        let text = config("permit").replace("application junos-http", "application any");
        let cfg = xpf_config::parse_config(&text).expect("config");
        let model = xpf_model::build(&xpf_config::effective(&cfg, None)).expect("model");
        Snapshot::compile(&model, &ifs).expect("compile")
    };
    buf[..64].copy_from_slice(&udp);
    let first = process(&udp_http, &mut w, &fib, 2, &mut buf, 64, 1);
    assert!(matches!(first, Verdict::Forward { .. }), "{first:?}");
    // schedstat advances at scheduler ticks (4 ms here): rounds of
    // ~0.3 s keep that under 2%.
    let n = 5_000_000;
    let (hit, hit_allocs) = timed(ROUNDS, n, || {
        for _ in 0..n {
            buf[..64].copy_from_slice(&udp);
            black_box(process(&udp_http, &mut w, &fib, 2, &mut buf, 64, 2));
        }
    });
    assert_eq!(w.counters().sessions.hits, n * ROUNDS as u64);

    // The same in batches, as a driver runs it: the frames of a batch
    // are filled before its clock starts (the NIC wrote them long before
    // the worker reads them), so neither the copy nor the reload of
    // just-copied bytes is timed. Median of the batches: one the
    // scheduler interrupted does not move it.
    const BATCH: usize = 64;
    let mut frames = vec![[0u8; 2048]; BATCH];
    let mut batch_ns = Vec::with_capacity(n as usize / BATCH);
    let a0 = allocs();
    for _ in 0..n as usize / BATCH {
        for f in &mut frames {
            f[..64].copy_from_slice(&udp);
        }
        let t = Instant::now();
        for f in &mut frames {
            black_box(process(&udp_http, &mut w, &fib, 2, f, 64, 2));
        }
        batch_ns.push(t.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    let batch_allocs = allocs() - a0;
    batch_ns.sort_by(f64::total_cmp);
    let batched = batch_ns[batch_ns.len() / 2];
    println!("(a) session hit, UDP + source NAT, batches of {BATCH}: {batched:>7.1} ns/packet (goal <= 50), {batch_allocs} allocations");
    println!(
        "(a) the same, one buffer, copy + process:  {hit:>7.1} ns/packet, {hit_allocs} allocations"
    );
    if hit_only {
        return;
    }

    // (b1) miss, denied by the last policy: parse, lookup, policy.
    let deny = snapshot("deny", &ifs);
    let mut w = Worker::with_capacity(&deny, 1024);
    let f = frame([10, 39, 15, 5], 40000, [172, 16, 39, 15], 80, 6);
    let n = 2_000_000;
    let (miss_deny, deny_allocs) = timed(ROUNDS, n, || {
        for _ in 0..n {
            buf[..64].copy_from_slice(&f);
            black_box(process(&deny, &mut w, &fib, 2, &mut buf, 64, 1));
        }
    });
    println!("(b) miss vs {POLICIES} policies, deny:         {miss_deny:>7.1} ns/packet (goal <= 500), {deny_allocs} allocations");

    // (b2) miss, permitted by the last policy: + source NAT + session.
    // Interface NAT has the 4,536 ports of 61000-65535 toward one server
    // port (xpf_dataplane::INTERFACE_NAT_PORTS): stay well below, as
    // linear probing slows down near full. Each round starts from an
    // empty table, so every packet creates a session: emptied, not made
    // anew, as a running box's table is. A fresh table's first touch of
    // each page of its index is a page fault (~1.5 us in this VM), which
    // the first round shows and the median leaves out.
    let mut w = Worker::with_capacity(&permit, 262_144);
    let n = 2_000u32;
    let frames: Vec<[u8; 64]> = (0..n)
        .map(|i| {
            frame(
                [10, 39, 15, (i >> 16) as u8 + 1],
                (i & 0xffff) as u16,
                [172, 16, 39, 15],
                80,
                6,
            )
        })
        .collect();
    let mut rounds = Vec::new();
    let mut permit_allocs = 0;
    let mut first_round = 0.0;
    for round in 0..ROUNDS {
        w.clear(&permit, 0, |_| true);
        // Wall time: a round of 2,000 packets is a few ms, under the
        // on-CPU clock's tick (see `on_cpu_ns`).
        let a0 = allocs();
        let t = Instant::now();
        for f in &frames {
            buf[..64].copy_from_slice(f);
            let v = process(&permit, &mut w, &fib, 2, &mut buf, 64, 1);
            debug_assert!(matches!(v, Verdict::Forward { .. }));
            black_box(v);
        }
        let ns = t.elapsed().as_nanos() as f64 / f64::from(n);
        permit_allocs += allocs() - a0;
        rounds.push(ns);
        if round == 0 {
            first_round = ns;
        }
        assert_eq!(w.sessions.len(), n as usize, "every flow got a session");
    }
    rounds.sort_by(f64::total_cmp);
    let miss_permit = rounds[ROUNDS / 2];
    println!("(b) miss vs {POLICIES} policies, permit+NAT+new session: {miss_permit:>7.1} ns/packet, {permit_allocs} allocations");
    println!("    the same into a table never touched before:  {first_round:>7.1} ns/packet");
}
