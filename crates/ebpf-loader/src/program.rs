// SPDX-License-Identifier: Apache-2.0
//! Load, fill, swap, attach, pin and read: the one module that touches the
//! loaded object (STYLE.md item 14).
//!
//! Pins (issue 6, hitless restart), under [`Options::pin_dir`]:
//!
//! - `dataplane-v<STATE_ABI>/`: the state that outlives xpfd, the session
//!   table, the `limit-session` counts its sessions hold, the counters
//!   and the session-event ring buffer (events made
//!   while no xpfd runs wait there for the next), and the program. A new load opens these maps
//!   when they fit (same version, type and sizes) and otherwise says why
//!   in the log and starts with fresh ones. Config maps are never pinned:
//!   each load fills its own before it is attached anywhere.
//! - `dataplane-links/xdp_<ifindex>_<mode>`: one XDP link per interface.
//!   The pin keeps the program attached, forwarding with its maps, when
//!   xpfd exits or is killed; the next load's [`EbpfDataplane::attach`]
//!   swaps its own program into that link in one `BPF_LINK_UPDATE`, so the
//!   interface is never without a program.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aya::maps::lpm_trie::{Key, LpmTrie};
use aya::maps::{
    Array, DevMapHash, HashMap, Map, MapData, PerCpuArray, PerCpuValues, ProgramArray, RingBuf,
};
use aya::programs::links::{FdLink, PinnedLink};
use aya::programs::xdp::{XdpLink, XdpLinkId};
use aya::programs::{ProgramError, ProgramFd, Xdp, XdpMode};
use aya::{include_bytes_aligned, Ebpf, EbpfLoader};
use xpf_dataplane::{FlowKey, NatRef, NatRuleHits, Snapshot, TcpState, Xlate};

use crate::abi::{
    self, Active, Conf, Flow, IfKey, Iface, Limit, LimitKey, Local6Key, LocalKey, LpmData,
    LpmData6, Name, NameKey, PairKey, Rule, RuleKey, SessionEntry,
};
use crate::compile::{compile, Contents};
use crate::entries::{dnat_rule, flow_key, xlate};
use crate::error::{map_err, Error};
use crate::events::EbpfEvent;
use crate::layout::*;
use crate::pins::{
    create_dir, drop_unfit_pins, ensure_bpffs, link_pin, links_dir, pinned_link, pinned_links,
    state_dir, unpin, unpin_link,
};
use crate::sys;

pub(crate) static OBJECT: &[u8] =
    include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xpf_xdp_dataplane.o"));

/// Verifications tried when a signal interrupts one (EAGAIN).
const LOAD_TRIES: u32 = 5;
/// Close events of sessions the loader removed, waiting for
/// [`EbpfDataplane::events`]; beyond this many they are lost (counted).
const PENDING_EVENTS: usize = 16_384;
/// Events taken from the ring in one [`EbpfDataplane::events`] call.
const RING_BATCH: usize = 65_536;

/// How the dataplane holds an attachment.
enum Held {
    /// Pinned under the links dir: stays attached when this process ends.
    Pinned { link: FdLink, path: PathBuf },
    /// The program's own (no pin dir): detached when it is dropped.
    Owned(XdpLinkId),
}

/// What the program did with a frame in a test run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// XDP_PASS: the kernel's.
    Pass,
    /// XDP_DROP with a drop reason number.
    Drop(u32),
    /// XDP_REDIRECT to an ifindex.
    Redirect(u32),
    /// XDP_TX: a reply out of the ingress.
    Tx,
    /// Anything else (XDP_ABORTED): a bug.
    Other(u32),
}

/// A test run's result: outcome and the frame as the program left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRun {
    /// What happened.
    pub outcome: Outcome,
    /// The frame afterwards.
    pub frame: Vec<u8>,
}

/// A `limit-session` count: the sessions counted against one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitCount {
    /// Counted as their destination (else as their source).
    pub destination: bool,
    /// The address.
    pub addr: std::net::IpAddr,
    /// Sessions counted against it.
    pub sessions: u32,
}

/// One session as the eBPF dataplane holds it, in the pipeline's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EbpfSession {
    /// Forward key.
    pub fwd: FlowKey,
    /// Reverse key.
    pub rev: FlowKey,
    /// Rewrites, forward and reverse.
    pub xlate: [Xlate; 2],
    /// Egress ifindex, forward and reverse.
    pub egress: [u32; 2],
    /// The permitting policy's id (`None`: default-policy permit-all).
    pub policy_id: Option<u32>,
    /// Packets per direction.
    pub packets: [u64; 2],
    /// Bytes per direction.
    pub bytes: [u64; 2],
    /// Snapshot generation that created it.
    pub generation: u64,
    /// Ingress ifindex, forward and reverse.
    pub ingress: [u32; 2],
    /// The source (or static) NAT rule that translated its source, as an
    /// index of [`Snapshot::nat_rules`].
    pub snat_rule: Option<u32>,
    /// The destination (or static) NAT rule that translated its
    /// destination, as an index of [`Snapshot::nat_rules`].
    pub dnat_rule: Option<u32>,
    /// Whether each direction's next-hop MAC is known (false: its packets
    /// are dropped as `no-neighbour` until the kernel resolves it).
    pub resolved: [bool; 2],
    /// Since it was created.
    pub age: Duration,
    /// Until it expires if idle.
    pub idle_left: Duration,
    /// Its idle timeout once established.
    pub timeout: Duration,
    /// Where its TCP tracker is (`None`: not TCP).
    pub tcp: Option<TcpState>,
}

/// The tracker state `XPF_DP_TRACK_*` as the pipeline names it.
fn tcp_state(t: &abi::Tcp) -> Option<TcpState> {
    Some(match t.state {
        1 => TcpState::SynSent,
        2 => TcpState::SynReceived,
        3 => TcpState::Established,
        4 => TcpState::Closing,
        5 => TcpState::TimeWait,
        6 => TcpState::Closed,
        _ => return None,
    })
}

/// Counters summed over CPUs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EbpfCounters {
    /// Drops by reason number (index).
    pub drops: Vec<u64>,
    /// Redirected.
    pub forwarded: u64,
    /// Passed to the kernel.
    pub to_kernel: u64,
    /// Replies sent (XDP_TX).
    pub replies: u64,
    /// Sessions created.
    pub sessions_created: u64,
    /// Session hits.
    pub session_hits: u64,
    /// Session misses.
    pub session_misses: u64,
    /// Sessions created with a destination (or inbound static) translation.
    pub nat_destination: u64,
    /// Sessions created with a source (or outbound static) translation.
    pub nat_source: u64,
    /// Screen hits let through by `alarm-without-drop`.
    pub screen_alarms: u64,
    /// Hits per policy id of the live snapshot.
    pub policy_hits: Vec<u64>,
    /// Translation hits per NAT rule of the live snapshot
    /// ([`Snapshot::nat_rules`] order).
    pub nat_rules: Vec<NatRuleHits>,
    /// Session events lost: the ring buffer was full, or closes the
    /// loader made waited too long to be taken.
    pub events_lost: u64,
}

/// The loaded eBPF fallback dataplane.
pub struct EbpfDataplane {
    ebpf: Ebpf,
    active: Active,
    policies: usize,
    /// The live snapshot's NAT rules, to carry their hits over a commit.
    nat_rules: Vec<NatRef>,
    /// Where the program is attached: ifindex → its link and mode.
    links: BTreeMap<u32, (Held, AttachMode)>,
    pin_dir: Option<PathBuf>,
    /// The high half of every generation the program sees: this load's,
    /// so a session pinned by an earlier xpfd, whose snapshot
    /// generations restarted from 1, is never taken for a current one.
    epoch: u64,
    /// The program's session events (boxed: it is large, and callers keep
    /// the dataplane in enums).
    ring: Box<RingBuf<MapData>>,
    /// Closes the loader made (sweep, clear), for [`EbpfDataplane::events`].
    pending: Vec<EbpfEvent>,
    /// Closes lost because `pending` was full.
    pending_lost: u64,
}

impl std::fmt::Debug for EbpfDataplane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EbpfDataplane")
            .field("active", &self.active)
            .field("attached", &self.attached())
            .finish_non_exhaustive()
    }
}

fn key(prefix_len: u32, data: LpmData) -> Key<LpmData> {
    Key::new(prefix_len, data)
}

/// The `limit-session` key of flow `f`'s source or destination.
fn limit_key(f: &Flow, dst: bool) -> LimitKey {
    let mut k = LimitKey {
        dst: u8::from(dst),
        v6: f.v6,
        ..LimitKey::default()
    };
    if f.v6 != 0 {
        let a = if dst { f.dst6 } else { f.src6 };
        for (i, w) in a.chunks_exact(4).enumerate() {
            k.addr[i] = u32::from_ne_bytes([w[0], w[1], w[2], w[3]]);
        }
    } else {
        k.addr[0] = if dst { f.dst } else { f.src };
    }
    k
}

/// The address of a `limit-session` key.
fn limit_addr(k: &LimitKey) -> std::net::IpAddr {
    if k.v6 != 0 {
        let mut b = [0u8; 16];
        for (i, w) in k.addr.iter().enumerate() {
            b[4 * i..4 * i + 4].copy_from_slice(&w.to_ne_bytes());
        }
        std::net::IpAddr::from(b)
    } else {
        std::net::IpAddr::from(k.addr[0].to_be_bytes())
    }
}

fn flow(k: &FlowKey) -> Flow {
    let mut f = Flow {
        sport: k.sport,
        dport: k.dport,
        proto: k.proto,
        ..Flow::default()
    };
    if k.v6 {
        f.v6 = 1;
        f.src6 = k.src.to_be_bytes();
        f.dst6 = k.dst.to_be_bytes();
    } else {
        f.src = k.src as u32;
        f.dst = k.dst as u32;
    }
    f
}

/// The snapshot's part of a generation the program sees.
const GENERATION_MASK: u64 = u32::MAX as u64;

/// This load's epoch: the wall clock in ~1 ms steps, above the mask.
fn load_epoch() -> u64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() >> 20);
    (((ms as u64) & GENERATION_MASK).max(1)) << 32
}

impl EbpfDataplane {
    /// Loads and verifies the program and creates its maps, opening the
    /// pinned session table and counters when they fit this build (see the
    /// module docs). Until [`EbpfDataplane::apply`] gives it a snapshot it
    /// drops every IP packet (fails closed).
    pub fn load(opts: &Options) -> Result<EbpfDataplane, Error> {
        let mut loader = EbpfLoader::new();
        loader.map_max_entries(M_SESSIONS, opts.session_entries.max(2));
        // A session holds at most two counts and two entries.
        loader.map_max_entries(M_LIMITS, opts.session_entries.max(2));
        loader.map_max_entries(M_LIMIT_TALLY, opts.session_entries.max(2));
        if let Some(dir) = &opts.pin_dir {
            ensure_bpffs(dir)?;
            drop_unfit_pins(dir, opts)?;
            create_dir(&state_dir(dir))?;
            create_dir(&links_dir(dir))?;
            loader.default_map_pin_directory(state_dir(dir));
        }
        let mut ebpf = loader.load(OBJECT)?;
        let prog = xdp(&mut ebpf)?;
        let mut tries = 0;
        // Verification takes a while: signals wait until it is done.
        let blocked = sys::SignalsBlocked::new().map_err(|source| Error::Io {
            what: "blocking signals while verifying".into(),
            source,
        })?;
        loop {
            match prog.load() {
                Ok(()) => break,
                // The verifier gives up with EAGAIN when a signal reaches
                // the loading thread; blocked above, one still might be
                // forced through: nothing is wrong with the program, so
                // verify it again.
                Err(ProgramError::LoadError { io_error, .. })
                    if io_error.kind() == std::io::ErrorKind::WouldBlock && tries < LOAD_TRIES =>
                {
                    tries += 1;
                }
                Err(source) => {
                    return Err(Error::Program {
                        what: "load (verifier)".into(),
                        source,
                    })
                }
            }
        }
        if let Some(dir) = &opts.pin_dir {
            let path = state_dir(dir).join(PROGRAM);
            // A pin from an earlier run is replaced: the maps, not the
            // program, carry the state.
            let _ = std::fs::remove_file(&path);
            prog.pin(&path).map_err(|e| Error::Io {
                what: format!("pinning {}", path.display()),
                source: std::io::Error::other(e.to_string()),
            })?;
        }
        program(&mut ebpf, SWEEP)?
            .load()
            .map_err(|source| Error::Program {
                what: "load (verifier) of the sweep".into(),
                source,
            })?;
        drop(blocked);
        let active =
            Array::<_, Active>::try_from(ebpf.map(M_ACTIVE).ok_or(Error::Missing(M_ACTIVE))?)
                .map_err(map_err(M_ACTIVE))?
                .get(&0, 0)
                .map_err(map_err(M_ACTIVE))?;
        let ring = ebpf.take_map(M_EVENTS).ok_or(Error::Missing(M_EVENTS))?;
        let ring = RingBuf::try_from(ring).map_err(map_err(M_EVENTS))?;
        Ok(EbpfDataplane {
            ebpf,
            active,
            policies: 0,
            nat_rules: Vec::new(),
            links: BTreeMap::new(),
            pin_dir: opts.pin_dir.clone(),
            epoch: load_epoch(),
            ring: Box::new(ring),
            pending: Vec::new(),
            pending_lost: 0,
        })
    }

    /// The live snapshot's generation (0: none yet).
    pub fn generation(&self) -> u64 {
        self.active.generation & GENERATION_MASK
    }

    /// Compiles `snap` into the idle config buffer and makes it live with
    /// one write: packets see the old snapshot or the new one, never a mix.
    pub fn apply(&mut self, snap: &Snapshot) -> Result<(), Error> {
        let export = snap.export();
        let next = if self.active.generation == 0 {
            0
        } else {
            1 - (self.active.buf & 1)
        };
        let mut c = compile(&export, next)?;
        let generation = self.epoch | (export.generation & GENERATION_MASK);
        c.conf.generation = generation;
        let hits = self.nat_hits()?;
        self.clear_buffer(next)?;
        self.fill(&c)?;
        self.carry_nat_hits(next, &hits, snap.nat_rules())?;
        let active = Active {
            buf: next,
            pad: 0,
            generation,
        };
        let mut a =
            Array::<_, Active>::try_from(self.map_mut(M_ACTIVE)?).map_err(map_err(M_ACTIVE))?;
        a.set(0, active, 0).map_err(map_err(M_ACTIVE))?;
        self.active = active;
        self.policies = snap.policies().len();
        self.nat_rules = snap.nat_rules().to_vec();
        Ok(())
    }

    /// The live snapshot's NAT rule hits, summed over CPUs.
    fn nat_hits(&self) -> Result<Vec<NatRuleHits>, Error> {
        let m =
            PerCpuArray::<_, u64>::try_from(self.map(M_NAT_HITS)?).map_err(map_err(M_NAT_HITS))?;
        let base = (self.active.buf & 1) * abi::NAT_IDS;
        let sum = |i: u32| -> Result<u64, Error> {
            Ok(m.get(&i, 0).map_err(map_err(M_NAT_HITS))?.iter().sum())
        };
        let n = self.nat_rules.len().min(abi::NAT_IDS as usize) as u32;
        (0..n)
            .map(|id| {
                Ok(NatRuleHits {
                    successful: sum((base + id) * 2)?,
                    failed: sum((base + id) * 2 + 1)?,
                })
            })
            .collect()
    }

    /// Gives each NAT rule of the next snapshot that the live one has too
    /// its counts so far (as the pipeline's workers do), in buffer `buf`,
    /// and zeroes the rest of it.
    fn carry_nat_hits(
        &mut self,
        buf: u32,
        hits: &[NatRuleHits],
        next: &[NatRef],
    ) -> Result<(), Error> {
        let cpus = nr_cpus()?;
        let old = self.nat_rules.clone();
        let mut m = PerCpuArray::<_, u64>::try_from(self.map_mut(M_NAT_HITS)?)
            .map_err(map_err(M_NAT_HITS))?;
        for id in 0..abi::NAT_IDS {
            let carried = next
                .get(id as usize)
                .and_then(|r| old.iter().position(|o| o == r))
                .and_then(|i| hits.get(i).copied())
                .unwrap_or_default();
            for (slot, n) in [(0, carried.successful), (1, carried.failed)] {
                // One CPU's slot holds the carried total; the sum is read.
                let mut v = vec![0u64; cpus];
                v[0] = n;
                let v = PerCpuValues::try_from(v).map_err(|source| Error::Io {
                    what: "per-CPU values".into(),
                    source,
                })?;
                m.set((buf * abi::NAT_IDS + id) * 2 + slot, v, 0)
                    .map_err(map_err(M_NAT_HITS))?;
            }
        }
        Ok(())
    }

    fn map_mut(&mut self, name: &'static str) -> Result<&mut Map, Error> {
        self.ebpf.map_mut(name).ok_or(Error::Missing(name))
    }

    fn map(&self, name: &'static str) -> Result<&Map, Error> {
        self.ebpf.map(name).ok_or(Error::Missing(name))
    }

    /// Empties buffer `buf` of every config map (it is idle: no packet
    /// reads it once the previous swap's in-flight packets are done, which
    /// takes microseconds; commits are seconds apart).
    fn clear_buffer(&mut self, buf: u32) -> Result<(), Error> {
        fn clear_hash<K: aya::Pod + Ord, V: aya::Pod>(
            m: &mut Map,
            name: &'static str,
            of_buf: impl Fn(&K) -> bool,
        ) -> Result<(), Error> {
            let mut h = HashMap::<_, K, V>::try_from(m).map_err(map_err(name))?;
            let keys: BTreeSet<K> = h
                .keys()
                .filter_map(Result::ok)
                .filter(|k| of_buf(k))
                .collect();
            for k in keys {
                h.remove(&k).map_err(map_err(name))?;
            }
            Ok(())
        }
        fn clear_lpm<K: aya::Pod + AsRef<[u8]>, V: aya::Pod>(
            m: &mut Map,
            name: &'static str,
            of_buf: impl Fn(u32) -> bool,
        ) -> Result<(), Error> {
            let mut t = LpmTrie::<_, K, V>::try_from(m).map_err(map_err(name))?;
            let keys: Vec<(u32, K)> = t
                .keys()
                .filter_map(Result::ok)
                .map(|k| (k.prefix_len(), k.data()))
                .filter(|(_, d)| {
                    let d = d.as_ref();
                    of_buf(u32::from_be_bytes([d[0], d[1], d[2], d[3]]))
                })
                .collect();
            for (len, data) in keys {
                t.remove(&Key::new(len, data)).map_err(map_err(name))?;
            }
            Ok(())
        }
        clear_hash::<IfKey, Iface>(self.map_mut(M_IFACES)?, M_IFACES, |k| k.buf == buf)?;
        clear_hash::<LocalKey, u32>(self.map_mut(M_LOCAL)?, M_LOCAL, |k| k.buf == buf)?;
        clear_hash::<Local6Key, u32>(self.map_mut(M_LOCAL6)?, M_LOCAL6, |k| k.buf == buf)?;
        clear_hash::<PairKey, u32>(self.map_mut(M_PAIRS)?, M_PAIRS, |k| k.buf == buf)?;
        clear_hash::<RuleKey, Rule>(self.map_mut(M_RULES)?, M_RULES, |k| {
            k.set / abi::SET_STRIDE == buf
        })?;
        clear_hash::<NameKey, Name>(self.map_mut(M_NAMES)?, M_NAMES, |k| k.buf == buf)?;
        for m in [M_SRC4, M_DST4, M_SVC] {
            clear_lpm::<LpmData, u64>(self.map_mut(m)?, m, |set| set / abi::SET_STRIDE == buf)?;
        }
        for m in [M_SRC6, M_DST6] {
            clear_lpm::<LpmData6, u64>(self.map_mut(m)?, m, |set| set / abi::SET_STRIDE == buf)?;
        }
        clear_lpm::<LpmData, u32>(self.map_mut(M_HOST)?, M_HOST, |set| set >> 24 == buf)?;
        let cpus = nr_cpus()?;
        let mut hits =
            PerCpuArray::<_, u64>::try_from(self.map_mut(M_HITS)?).map_err(map_err(M_HITS))?;
        for i in 0..abi::MAX_POLICIES {
            let zeros = PerCpuValues::try_from(vec![0u64; cpus]).map_err(|source| Error::Io {
                what: "per-CPU values".into(),
                source,
            })?;
            hits.set(buf * abi::MAX_POLICIES + i, zeros, 0)
                .map_err(map_err(M_HITS))?;
        }
        Ok(())
    }

    fn fill(&mut self, c: &Contents) -> Result<(), Error> {
        let mut m = Array::<_, Conf>::try_from(self.map_mut(M_CONF)?).map_err(map_err(M_CONF))?;
        m.set(c.buf, c.conf, 0).map_err(map_err(M_CONF))?;
        self.fill_hash(M_IFACES, &c.ifaces)?;
        self.fill_hash(M_LOCAL, c.local.iter().map(|k| (*k, 1u32)))?;
        self.fill_hash(M_LOCAL6, c.local6.iter().map(|k| (*k, 1u32)))?;
        self.fill_hash(M_PAIRS, &c.pairs)?;
        self.fill_hash(M_RULES, &c.rules)?;
        self.fill_hash(M_NAMES, &c.names)?;
        for (name, entries) in [(M_SRC4, &c.src4), (M_DST4, &c.dst4), (M_SVC, &c.svc)] {
            self.fill_lpm(
                name,
                entries.iter().map(|(len, data, v)| (key(*len, *data), *v)),
            )?;
        }
        for (name, entries) in [(M_SRC6, &c.src6), (M_DST6, &c.dst6)] {
            self.fill_lpm(
                name,
                entries
                    .iter()
                    .map(|(len, data, v)| (Key::new(*len, *data), *v)),
            )?;
        }
        self.fill_lpm(
            M_HOST,
            c.host.iter().map(|(len, data, v)| (key(*len, *data), *v)),
        )?;
        // Every slot of the buffer is written: unused ones become rules
        // the program never reaches (it stops at n_static/n_dnat). The
        // IPv6 sides of the NAT rules and pools go slot for slot.
        self.fill_slots(M_SNAT, c.buf, abi::SNAT_RULES, &c.snat)?;
        self.fill_slots(M_POOLS, c.buf, abi::POOLS, &c.pools)?;
        self.fill_slots(M_STATICS, c.buf, abi::STATIC_RULES, &c.statics)?;
        self.fill_slots(M_DNAT, c.buf, abi::DNAT_RULES, &c.dnat)?;
        self.fill_slots(M_SNAT6, c.buf, abi::SNAT_RULES, &c.snat6)?;
        self.fill_slots(M_POOLS6, c.buf, abi::POOLS, &c.pools6)?;
        self.fill_slots(M_STATICS6, c.buf, abi::STATIC_RULES, &c.statics6)?;
        self.fill_slots(M_DNAT6, c.buf, abi::DNAT_RULES, &c.dnat6)?;
        // Every zone slot of the buffer: zones without a screen read `on` 0.
        let mut m = Array::<_, abi::Screen>::try_from(self.map_mut(M_SCREENS)?)
            .map_err(map_err(M_SCREENS))?;
        for zone in 0..abi::SCREEN_ZONES {
            let v = c
                .screens
                .iter()
                .find(|s| s.0 == zone)
                .map_or_else(abi::Screen::default, |s| s.1);
            m.set(c.buf * abi::SCREEN_ZONES + zone, v, 0)
                .map_err(map_err(M_SCREENS))?;
        }
        let mut d = DevMapHash::<_>::try_from(self.map_mut(M_TX)?).map_err(map_err(M_TX))?;
        for &ifindex in &c.devmap {
            d.insert(ifindex, ifindex, None, 0).map_err(|e| Error::Io {
                what: format!("devmap entry for ifindex {ifindex}"),
                source: std::io::Error::other(e.to_string()),
            })?;
        }
        Ok(())
    }

    /// Inserts every `(key, value)` into the hash map `name`.
    fn fill_hash<K: aya::Pod, V: aya::Pod>(
        &mut self,
        name: &'static str,
        entries: impl IntoIterator<Item = impl std::borrow::Borrow<(K, V)>>,
    ) -> Result<(), Error> {
        let mut m = HashMap::<_, K, V>::try_from(self.map_mut(name)?).map_err(map_err(name))?;
        for e in entries {
            let (k, v) = e.borrow();
            m.insert(k, v, 0).map_err(map_err(name))?;
        }
        Ok(())
    }

    /// Inserts every `(prefix key, value)` into the LPM trie `name`.
    fn fill_lpm<K: aya::Pod, V: aya::Pod>(
        &mut self,
        name: &'static str,
        entries: impl IntoIterator<Item = (Key<K>, V)>,
    ) -> Result<(), Error> {
        let mut t = LpmTrie::<_, K, V>::try_from(self.map_mut(name)?).map_err(map_err(name))?;
        for (k, v) in entries {
            t.insert(&k, v, 0).map_err(map_err(name))?;
        }
        Ok(())
    }

    /// Writes the `slots` of config buffer `buf` in the array `name`:
    /// `rules[i]` in slot i, the default (a rule never reached) past them.
    fn fill_slots<V: aya::Pod + Default>(
        &mut self,
        name: &'static str,
        buf: u32,
        slots: u32,
        rules: &[V],
    ) -> Result<(), Error> {
        let mut m = Array::<_, V>::try_from(self.map_mut(name)?).map_err(map_err(name))?;
        for i in 0..slots {
            let v = rules.get(i as usize).copied().unwrap_or_default();
            m.set(buf * slots + i, v, 0).map_err(map_err(name))?;
        }
        Ok(())
    }

    /// The XDP program, for the AF_XDP shim to hand transit frames to when
    /// the two dataplanes share the box.
    pub fn program_fd(&mut self) -> Result<ProgramFd, Error> {
        let fd = xdp(&mut self.ebpf)?.fd().map_err(|source| Error::Program {
            what: format!("{PROGRAM} fd"),
            source,
        })?;
        fd.try_clone().map_err(|source| Error::Io {
            what: format!("{PROGRAM} fd"),
            source,
        })
    }

    /// Shares the box with AF_XDP (the per-interface fallback,
    /// `ebpf/dataplane/handoff.h`): `afxdp` lists the interfaces AF_XDP
    /// serves, and `shim` is its hand-back entry, which takes back the flows
    /// that enter and leave through them. An empty list and `None`: this
    /// program serves the box alone.
    pub fn share_with_afxdp(
        &mut self,
        afxdp: &[u32],
        shim: Option<&ProgramFd>,
    ) -> Result<(), Error> {
        let mut m =
            HashMap::<_, u32, u32>::try_from(self.map_mut(M_AFXDP)?).map_err(map_err(M_AFXDP))?;
        let old: Vec<u32> = m.keys().filter_map(Result::ok).collect();
        for k in old.iter().filter(|k| !afxdp.contains(k)) {
            m.remove(k).map_err(map_err(M_AFXDP))?;
        }
        for &k in afxdp {
            m.insert(k, 1, 0).map_err(map_err(M_AFXDP))?;
        }
        let mut slots =
            ProgramArray::try_from(self.map_mut(M_HANDBACK)?).map_err(map_err(M_HANDBACK))?;
        match shim {
            Some(fd) => slots.set(0, fd, 0),
            None => slots.clear_index(&0).or_else(empty_already),
        }
        .map_err(map_err(M_HANDBACK))
    }

    /// Attaches the program to an interface: native XDP, or generic when
    /// the driver has none (logged). Attaching where it already is does
    /// nothing. With a pin dir the link is pinned, so the program stays
    /// attached when this process ends; a link an earlier process pinned
    /// for `ifindex` is taken over instead, its program replaced by this one
    /// atomically ([`Error::Adopt`] when that fails: the pin is left alone,
    /// see [`EbpfDataplane::discard_pinned_link`]). Without a pin dir,
    /// dropping the dataplane detaches it.
    pub fn attach(&mut self, ifindex: u32) -> Result<AttachMode, Error> {
        if let Some((_, mode)) = self.links.get(&ifindex) {
            return Ok(*mode);
        }
        if let Some((path, mode)) = self
            .pin_dir
            .as_deref()
            .and_then(|d| pinned_link(d, ifindex))
        {
            let link = self.adopt(&path).map_err(|source| Error::Adopt {
                path: path.clone(),
                source,
            })?;
            tracing::info!(
                ifindex,
                ?mode,
                "took over the pinned XDP link: the new program replaced the old one in place"
            );
            self.links
                .insert(ifindex, (Held::Pinned { link, path }, mode));
            return Ok(mode);
        }
        let prog = xdp(&mut self.ebpf)?;
        let (id, mode) = match prog.attach_to_if_index(ifindex, XdpMode::Driver) {
            Ok(link) => (link, AttachMode::Native),
            Err(e) => {
                tracing::warn!(ifindex, reason = %e, "native XDP unavailable, attaching the eBPF dataplane in generic mode");
                let link = prog
                    .attach_to_if_index(ifindex, XdpMode::Skb)
                    .map_err(|source| Error::Program {
                        what: format!("attach to ifindex {ifindex}"),
                        source,
                    })?;
                (link, AttachMode::Generic)
            }
        };
        let held = match &self.pin_dir {
            None => Held::Owned(id),
            Some(dir) => {
                let path = link_pin(dir, ifindex, mode);
                let pinned = prog
                    .take_link(id)
                    .map_err(|source| Error::Program {
                        what: format!("taking the link on ifindex {ifindex}"),
                        source,
                    })
                    .and_then(|l| {
                        // A netlink attachment (kernels before 5.9) has no
                        // link to pin; xpf needs 6.12.
                        FdLink::try_from(l).map_err(|e| Error::Io {
                            what: format!("XDP on ifindex {ifindex} is not a BPF link"),
                            source: std::io::Error::other(e.to_string()),
                        })
                    })?
                    .pin(&path)
                    .map_err(|e| Error::Io {
                        what: format!("pinning {}", path.display()),
                        source: std::io::Error::other(e.to_string()),
                    })?;
                Held::Pinned {
                    link: pinned.into(),
                    path,
                }
            }
        };
        self.links.insert(ifindex, (held, mode));
        Ok(mode)
    }

    /// Swaps this program into the link pinned at `path`.
    fn adopt(&mut self, path: &Path) -> Result<FdLink, Box<dyn std::error::Error + Send + Sync>> {
        let old: FdLink = PinnedLink::from_pin(path)?.into();
        let prog = xdp(&mut self.ebpf)?;
        // BPF_LINK_UPDATE: the interface runs the old program, then this
        // one; an interface whose device is gone fails here (ENOLINK).
        let id = prog.attach_to_link(XdpLink::try_from(old)?)?;
        Ok(FdLink::try_from(prog.take_link(id)?)?)
    }

    /// Removes the link an earlier process pinned for `ifindex` (one this
    /// dataplane holds is left: see [`EbpfDataplane::detach`]), taking that
    /// program off the interface: the caller fails closed there first.
    pub fn discard_pinned_link(&mut self, ifindex: u32) -> Result<(), Error> {
        match (&self.pin_dir, self.links.contains_key(&ifindex)) {
            (Some(dir), false) => unpin_link(dir, ifindex),
            _ => Ok(()),
        }
    }

    /// Interfaces where an earlier process left the program attached and
    /// this dataplane has not taken over.
    pub fn pinned_elsewhere(&self) -> Vec<u32> {
        let Some(dir) = &self.pin_dir else {
            return Vec::new();
        };
        pinned_links(dir)
            .into_iter()
            .filter(|i| !self.links.contains_key(i))
            .collect()
    }

    /// Detaches the program from an interface (nothing if not attached),
    /// removing its link's pin.
    pub fn detach(&mut self, ifindex: u32) -> Result<(), Error> {
        let Some((held, _)) = self.links.remove(&ifindex) else {
            return Ok(());
        };
        match held {
            // The pin and this fd are the link's only references.
            Held::Pinned { link, path } => {
                unpin(&path)?;
                drop(link);
                Ok(())
            }
            Held::Owned(id) => xdp(&mut self.ebpf)?
                .detach(id)
                .map_err(|source| Error::Program {
                    what: format!("detach from ifindex {ifindex}"),
                    source,
                }),
        }
    }

    /// Where the program is attached, and how.
    pub fn attached(&self) -> Vec<(u32, AttachMode)> {
        self.links.iter().map(|(i, (_, m))| (*i, *m)).collect()
    }

    /// Runs program `name` once over `frame` (BPF_PROG_TEST_RUN): its
    /// action, the frame as it left it, and every CPU's last-run record
    /// (cleared first: the run lands on one CPU, and a stale record on
    /// another could otherwise pass for its outcome).
    fn run_once(
        &mut self,
        name: &'static str,
        ingress_ifindex: u32,
        frame: &[u8],
    ) -> Result<(u32, Vec<u8>, PerCpuValues<abi::Last>), Error> {
        self.clear_last()?;
        let prog = program(&mut self.ebpf, name)?;
        let fd = prog.fd().map_err(|source| Error::Program {
            what: format!("{name} fd"),
            source,
        })?;
        let (action, out) =
            sys::xdp_test_run(fd.as_fd(), frame, ingress_ifindex).map_err(|source| Error::Io {
                what: format!("BPF_PROG_TEST_RUN of {name}"),
                source,
            })?;
        let last = PerCpuArray::<_, abi::Last>::try_from(self.map(M_LAST)?)
            .map_err(map_err(M_LAST))?
            .get(&0, 0)
            .map_err(map_err(M_LAST))?;
        Ok((action, out, last))
    }

    /// Clears every CPU's last-run record.
    fn clear_last(&mut self) -> Result<(), Error> {
        let blank =
            PerCpuValues::try_from(vec![abi::Last::default(); nr_cpus()?]).map_err(|source| {
                Error::Io {
                    what: "per-CPU values".into(),
                    source,
                }
            })?;
        PerCpuArray::<_, abi::Last>::try_from(self.map_mut(M_LAST)?)
            .map_err(map_err(M_LAST))?
            .set(0, blank, 0)
            .map_err(map_err(M_LAST))
    }

    /// Runs the program once over `frame` received on `ingress_ifindex`
    /// (BPF_PROG_TEST_RUN): sessions and counters change as for a real
    /// packet; nothing is transmitted.
    pub fn test_run(&mut self, ingress_ifindex: u32, frame: &[u8]) -> Result<TestRun, Error> {
        let (action, out, last) = self.run_once(PROGRAM, ingress_ifindex, frame)?;
        // The run happened on one CPU: the one slot written, whose action
        // matches (a reply is redirected to its ingress and recorded as
        // XDP_TX).
        let l = last
            .iter()
            .find(|l| l.action == action || (action == 4 && l.action == 3))
            .copied()
            .unwrap_or_default();
        let outcome = match action {
            1 => Outcome::Drop(l.reason),
            2 => Outcome::Pass,
            3 => Outcome::Tx,
            4 if l.action == 3 => Outcome::Tx,
            4 => Outcome::Redirect(l.ifindex),
            a => Outcome::Other(a),
        };
        Ok(TestRun {
            outcome,
            frame: out,
        })
    }

    /// The live sessions, each once, forward entry and reverse entry
    /// joined. Expired ones (the program removes them only when their next
    /// packet comes) are left out.
    pub fn sessions(&self) -> Result<Vec<EbpfSession>, Error> {
        let m = HashMap::<_, Flow, SessionEntry>::try_from(self.map(M_SESSIONS)?)
            .map_err(map_err(M_SESSIONS))?;
        let all: std::collections::HashMap<Flow, SessionEntry> =
            m.iter().filter_map(Result::ok).collect();
        let now = sys::monotonic_ns().map_err(|source| Error::Io {
            what: "reading CLOCK_MONOTONIC".into(),
            source,
        })?;
        let ns = Duration::from_nanos;
        let mut out: Vec<EbpfSession> = all
            .iter()
            .filter(|(_, e)| e.dir == 0 && e.expires > now)
            .filter_map(|(k, f)| {
                let r = all.get(&f.twin)?;
                Some(EbpfSession {
                    fwd: flow_key(k),
                    rev: flow_key(&f.twin),
                    xlate: [xlate(f), xlate(r)],
                    egress: [f.egress_ifindex, r.egress_ifindex],
                    policy_id: (f.policy_id != abi::NONE32).then_some(f.policy_id),
                    packets: [f.packets, r.packets],
                    bytes: [f.bytes, r.bytes],
                    generation: f.generation & GENERATION_MASK,
                    ingress: [f.ingress_ifindex, r.ingress_ifindex],
                    snat_rule: (f.snat_rule != abi::NONE32).then_some(f.snat_rule),
                    dnat_rule: dnat_rule(f.xflags, f.dnat_rule),
                    resolved: [f, r].map(|e| e.mac_flags & abi::MAC_OK != 0),
                    age: ns(now.saturating_sub(f.created)),
                    idle_left: ns(f.expires.saturating_sub(now)),
                    timeout: ns(f.timeout),
                    tcp: tcp_state(&f.tcp),
                })
            })
            .collect();
        out.sort_by_key(|s| (s.fwd.src, s.fwd.dst, s.fwd.sport, s.fwd.dport, s.fwd.proto));
        Ok(out)
    }

    /// Removes every session; how many there were. Those whose policy
    /// logs session-close leave a `clear` close for [`EbpfDataplane::events`].
    pub fn clear_sessions(&mut self) -> Result<usize, Error> {
        let now = now_ns()?;
        let mut m = HashMap::<_, Flow, SessionEntry>::try_from(self.map_mut(M_SESSIONS)?)
            .map_err(map_err(M_SESSIONS))?;
        let all: std::collections::HashMap<Flow, SessionEntry> =
            m.iter().filter_map(Result::ok).collect();
        for k in all.keys() {
            let _ = m.remove(k);
        }
        // No session left holds a count (one made meanwhile is reconciled
        // by the sweep, see dataplane/limit.h).
        let mut l = HashMap::<_, LimitKey, Limit>::try_from(self.map_mut(M_LIMITS)?)
            .map_err(map_err(M_LIMITS))?;
        let keys: Vec<LimitKey> = l.keys().filter_map(Result::ok).collect();
        for k in keys {
            let _ = l.remove(&k);
        }
        let closed: Vec<EbpfEvent> = all
            .iter()
            .filter(|(_, f)| f.dir == 0 && f.mac_flags & abi::F_LOG_CLOSE != 0)
            .map(|(k, f)| EbpfEvent::closed(k, f, all.get(&f.twin), "clear", now))
            .collect();
        for e in closed {
            self.pend(e);
        }
        Ok(all.len() / 2)
    }

    /// Keeps a close the loader made for [`EbpfDataplane::events`].
    fn pend(&mut self, e: EbpfEvent) {
        if self.pending.len() < PENDING_EVENTS {
            self.pending.push(e);
        } else {
            self.pending_lost += 1;
        }
    }

    /// Removes the sessions whose idle timer ran out (the program removes
    /// one only when its next packet comes), as the pipeline's sweep does,
    /// leaving a close for [`EbpfDataplane::events`] where the policy logs
    /// session-close; how many went.
    pub fn sweep(&mut self) -> Result<usize, Error> {
        // The program walks the table itself; the frame is only the run's.
        let (_, _, last) = self.run_once(SWEEP, 0, &[0u8; 64])?;
        Ok(last.iter().map(|l| l.reason as usize).sum())
    }

    /// The session events since the last call, oldest first: the closes
    /// the loader made, then what the program's ring buffer holds (a
    /// bounded batch; call again when it comes back full).
    pub fn events(&mut self) -> Vec<EbpfEvent> {
        let mut out = std::mem::take(&mut self.pending);
        while out.len() < RING_BATCH {
            let Some(item) = self.ring.next() else { break };
            if let Some(e) = EbpfEvent::from_ring(&item) {
                out.push(e);
            }
        }
        out
    }

    /// Removes the session whose forward key is `fwd` (both of its
    /// entries); false when there was none.
    pub fn remove_session(&mut self, fwd: &FlowKey) -> Result<bool, Error> {
        let mut m = HashMap::<_, Flow, SessionEntry>::try_from(self.map_mut(M_SESSIONS)?)
            .map_err(map_err(M_SESSIONS))?;
        let k = flow(fwd);
        let Ok(e) = m.get(&k, 0) else {
            return Ok(false);
        };
        let r = m.get(&e.twin, 0).ok();
        // Either entry may already be gone (LRU eviction, a packet that
        // found it expired): removing the other is what matters.
        let twin_gone = m.remove(&e.twin).is_ok();
        let gone = m.remove(&k).is_ok();
        // The forward entry's counts go back when it is removed here.
        let forward = match (e.dir, r.as_ref()) {
            (0, _) if gone => Some((k, e.mac_flags)),
            (_, Some(f)) if e.dir != 0 && twin_gone => Some((e.twin, f.mac_flags)),
            _ => None,
        };
        if let Some((fk, flags)) = forward {
            self.give_back(&fk, flags)?;
        }
        if e.dir == 0 && e.mac_flags & abi::F_LOG_CLOSE != 0 {
            let closed = EbpfEvent::closed(&k, &e, r.as_ref(), "clear", now_ns()?);
            self.pend(closed);
        }
        Ok(true)
    }

    /// Gives back the `limit-session` counts a removed forward entry
    /// (key `fk`, `mac_flags` `flags`) held. Not atomic with the program's
    /// own changes: a drift the sweep reconciles (dataplane/limit.h).
    fn give_back(&mut self, fk: &Flow, flags: u8) -> Result<(), Error> {
        let mut l = HashMap::<_, LimitKey, Limit>::try_from(self.map_mut(M_LIMITS)?)
            .map_err(map_err(M_LIMITS))?;
        for (bit, dst) in [(abi::F_LIMIT_SRC, false), (abi::F_LIMIT_DST, true)] {
            if flags & bit == 0 {
                continue;
            }
            let k = limit_key(fk, dst);
            match l.get(&k, 0) {
                Ok(v) if v.count > 1 => {
                    let v = Limit {
                        count: v.count - 1,
                        ..v
                    };
                    l.insert(k, v, 0).map_err(map_err(M_LIMITS))?;
                }
                Ok(_) => {
                    let _ = l.remove(&k);
                }
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// The `limit-session` counts: per address, the sessions it holds
    /// (`destination` false: as their source).
    pub fn limit_counts(&self) -> Result<Vec<LimitCount>, Error> {
        let l = HashMap::<_, LimitKey, Limit>::try_from(self.map(M_LIMITS)?)
            .map_err(map_err(M_LIMITS))?;
        let mut out: Vec<LimitCount> = l
            .iter()
            .filter_map(Result::ok)
            .map(|(k, v)| LimitCount {
                destination: k.dst != 0,
                addr: limit_addr(&k),
                sessions: v.count,
            })
            .collect();
        out.sort_by_key(|c| (c.destination, c.addr));
        Ok(out)
    }

    /// Session events lost so far (ring buffer full, or closes the loader
    /// made not taken in time): [`EbpfCounters::events_lost`] alone.
    pub fn events_lost(&self) -> Result<u64, Error> {
        let c =
            PerCpuArray::<_, u64>::try_from(self.map(M_COUNTERS)?).map_err(map_err(M_COUNTERS))?;
        let ring: u64 = c
            .get(&abi::CNT_EVENTS_LOST, 0)
            .map_err(map_err(M_COUNTERS))?
            .iter()
            .sum();
        Ok(ring + self.pending_lost)
    }

    /// The counters, summed over CPUs.
    pub fn counters(&self) -> Result<EbpfCounters, Error> {
        let c =
            PerCpuArray::<_, u64>::try_from(self.map(M_COUNTERS)?).map_err(map_err(M_COUNTERS))?;
        let mut slots = Vec::with_capacity(abi::CNT_MAX as usize);
        for i in 0..abi::CNT_MAX {
            slots.push(
                c.get(&i, 0)
                    .map_err(map_err(M_COUNTERS))?
                    .iter()
                    .sum::<u64>(),
            );
        }
        let h = PerCpuArray::<_, u64>::try_from(self.map(M_HITS)?).map_err(map_err(M_HITS))?;
        let base = (self.active.buf & 1) * abi::MAX_POLICIES;
        let mut policy_hits = Vec::with_capacity(self.policies);
        for i in 0..self.policies as u32 {
            policy_hits.push(
                h.get(&(base + i), 0)
                    .map_err(map_err(M_HITS))?
                    .iter()
                    .sum::<u64>(),
            );
        }
        let at = |i: u32| slots[i as usize];
        Ok(EbpfCounters {
            drops: slots[..64].to_vec(),
            forwarded: at(abi::CNT_FORWARDED),
            to_kernel: at(abi::CNT_TO_KERNEL),
            replies: at(abi::CNT_REPLIES),
            sessions_created: at(abi::CNT_CREATED),
            session_hits: at(abi::CNT_HITS),
            session_misses: at(abi::CNT_MISSES),
            nat_destination: at(abi::CNT_DNAT),
            nat_source: at(abi::CNT_SNAT),
            screen_alarms: at(abi::CNT_SCREEN_ALARMS),
            policy_hits,
            nat_rules: self.nat_hits()?,
            events_lost: at(abi::CNT_EVENTS_LOST) + self.pending_lost,
        })
    }
}

fn now_ns() -> Result<u64, Error> {
    sys::monotonic_ns().map_err(|source| Error::Io {
        what: "reading CLOCK_MONOTONIC".into(),
        source,
    })
}

fn nr_cpus() -> Result<usize, Error> {
    aya::util::nr_cpus().map_err(|(what, source)| Error::Io {
        what: what.into(),
        source,
    })
}

fn xdp(ebpf: &mut Ebpf) -> Result<&mut Xdp, Error> {
    program(ebpf, PROGRAM)
}

/// The object's XDP program `name`.
fn program<'a>(ebpf: &'a mut Ebpf, name: &'static str) -> Result<&'a mut Xdp, Error> {
    ebpf.program_mut(name)
        .ok_or(Error::Missing(name))?
        .try_into()
        .map_err(|source| Error::Program {
            what: "program type".into(),
            source,
        })
}

/// Clearing a program array slot that holds nothing (ENOENT) is done.
fn empty_already(e: aya::maps::MapError) -> Result<(), aya::maps::MapError> {
    match &e {
        aya::maps::MapError::SyscallError(s)
            if s.io_error.kind() == std::io::ErrorKind::NotFound =>
        {
            Ok(())
        }
        _ => Err(e),
    }
}
