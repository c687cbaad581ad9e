// SPDX-License-Identifier: Apache-2.0
//! The XDP shim (`ebpf/xpf_xdp_shim.c`): load, attach, and its maps.
//!
//! One place does load, fill maps and attach (STYLE.md item 14). Maps are
//! pinned by name under the configured directory, so a restarted xpfd finds
//! the same local-address set; the attachments are bpf_links owned by the
//! loaded object, so dropping [`Shim`] detaches the program everywhere.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use aya::maps::{HashMap, LpmTrie, MapData, PerCpuArray, ProgramArray, XskMap};
use aya::programs::{ProgramFd, Xdp, XdpMode};
use aya::{include_bytes_aligned, Ebpf, EbpfLoader};

use crate::abi::{self, cnt, HostKeyData, LocalAddrData, XpfIface};
use crate::error::Error;

/// The object built by build.rs from `ebpf/xpf_xdp_shim.c`.
static SHIM_OBJECT: &[u8] = include_bytes_aligned!(concat!(env!("OUT_DIR"), "/xpf_xdp_shim.o"));

const PROGRAM: &str = "xpf_xdp_shim";
/// The entry the eBPF dataplane tail-calls with the pipeline's flows
/// (`ebpf/include/xpf_handoff_abi.h`).
const HANDBACK_PROGRAM: &str = "xpf_xdp_shim_handback";
const MAP_XSKS: &str = "xpf_xsks";
const MAP_IFACES: &str = "xpf_ifaces";
const MAP_LOCAL: &str = "xpf_local_addrs";
const MAP_COUNTERS: &str = "xpf_shim_counters";
const MAP_HOST: &str = "xpf_host_rules";
const MAP_HANDOFF: &str = "xpf_handoff";

/// Which packets for the box's own addresses each interface hands to the
/// kernel: the firewall's host-inbound-traffic, compiled by the caller
/// (xpfd, from its snapshot); the shim drops the rest and counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostAdmission {
    /// Interfaces (ifindexes) that hand the kernel everything.
    pub any: Vec<u32>,
    /// Trie entries over (ifindex, protocol, port or ICMP type), each
    /// `(prefix length, key, HOST_PORT | HOST_EITHER bits)`.
    pub rules: Vec<(u32, [u8; 8], u32)>,
}

/// How to attach the XDP program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum XdpAttach {
    /// Native (driver) mode, falling back to generic with a logged reason.
    #[default]
    Auto,
    /// Native mode only.
    Native,
    /// Generic (SKB) mode only: slower, works on any device.
    Generic,
}

/// The mode an interface's XDP program ended up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XdpAttachedMode {
    /// In the driver.
    Native,
    /// In the generic network stack hook.
    Generic,
}

/// The shim's verdict counters, summed over CPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShimCounters {
    /// Passed: not IPv4/IPv6 (ARP and the like).
    pub pass_non_ip: u64,
    /// Passed: addressed to the box.
    pub pass_host: u64,
    /// Passed: headers truncated (the kernel drops them).
    pub pass_malformed: u64,
    /// Passed: arrived on an interface xpf does not manage.
    pub pass_unmanaged: u64,
    /// Redirected to an AF_XDP socket.
    pub redirect: u64,
    /// Transit, but no socket on that queue: passed to the kernel.
    pub no_socket: u64,
    /// Passed: broadcast/multicast frames and IPv6 link-local destinations
    /// (neighbour discovery, DHCP, VRRP), which are never transit.
    pub pass_link_scope: u64,
    /// Dropped: for the box, but its interface's host-inbound-traffic
    /// does not accept it.
    pub host_denied: u64,
}

/// The loaded shim and its attachments.
pub struct Shim {
    ebpf: Ebpf,
    pin_dir: PathBuf,
    unpin_on_drop: bool,
}

impl std::fmt::Debug for Shim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shim")
            .field("pin_dir", &self.pin_dir)
            .finish_non_exhaustive()
    }
}

impl Shim {
    /// Loads the program and opens (or creates) its maps pinned in
    /// `pin_dir`, which must be on a bpffs. Interfaces left in `xpf_ifaces`
    /// by an earlier run are forgotten: until [`Shim::set_iface`] names them
    /// again they pass everything to the kernel.
    pub fn load(pin_dir: &Path, unpin_on_drop: bool) -> Result<Shim, Error> {
        std::fs::create_dir_all(pin_dir)
            .map_err(|e| Error::Config(format!("pin directory {}: {e}", pin_dir.display())))?;
        let mut ebpf = EbpfLoader::new()
            .default_map_pin_directory(pin_dir)
            .load(SHIM_OBJECT)?;
        for name in [PROGRAM, HANDBACK_PROGRAM] {
            let prog: &mut Xdp = ebpf
                .program_mut(name)
                .ok_or_else(|| {
                    Error::Config(format!("program {name} missing from the shim object"))
                })?
                .try_into()
                .map_err(|source| Error::Program {
                    iface: "-".into(),
                    source,
                })?;
            prog.load().map_err(|source| Error::Program {
                iface: "-".into(),
                source,
            })?;
        }
        let mut shim = Shim {
            ebpf,
            pin_dir: pin_dir.to_owned(),
            unpin_on_drop,
        };
        let mut ifaces = shim.ifaces()?;
        let stale: Vec<u32> = ifaces.keys().filter_map(Result::ok).collect();
        for k in stale {
            ifaces.remove(&k).map_err(|source| Error::Map {
                map: MAP_IFACES,
                source,
            })?;
        }
        Ok(shim)
    }

    fn ifaces(&mut self) -> Result<HashMap<&mut MapData, u32, XpfIface>, Error> {
        let map = self
            .ebpf
            .map_mut(MAP_IFACES)
            .ok_or(Error::MissingMap(MAP_IFACES))?;
        HashMap::try_from(map).map_err(|source| Error::Map {
            map: MAP_IFACES,
            source,
        })
    }

    /// Attaches the program to `ifindex` (`name` is for messages).
    pub fn attach(
        &mut self,
        name: &str,
        ifindex: u32,
        how: XdpAttach,
    ) -> Result<XdpAttachedMode, Error> {
        let prog: &mut Xdp = self
            .ebpf
            .program_mut(PROGRAM)
            .ok_or(Error::MissingMap(PROGRAM))?
            .try_into()
            .map_err(|source| Error::Program {
                iface: name.into(),
                source,
            })?;
        let err = |source| Error::Program {
            iface: name.into(),
            source,
        };
        match how {
            XdpAttach::Native => prog
                .attach_to_if_index(ifindex, XdpMode::Driver)
                .map(|_| XdpAttachedMode::Native)
                .map_err(err),
            XdpAttach::Generic => prog
                .attach_to_if_index(ifindex, XdpMode::Skb)
                .map(|_| XdpAttachedMode::Generic)
                .map_err(err),
            XdpAttach::Auto => match prog.attach_to_if_index(ifindex, XdpMode::Driver) {
                Ok(_) => Ok(XdpAttachedMode::Native),
                Err(e) => {
                    tracing::warn!(iface = name, reason = %e, "native XDP unavailable, attaching in generic (SKB) mode");
                    prog.attach_to_if_index(ifindex, XdpMode::Skb)
                        .map(|_| XdpAttachedMode::Generic)
                        .map_err(err)
                }
            },
        }
    }

    /// Makes `addrs` (address, prefix length) the box's own addresses:
    /// traffic to them goes to the kernel unless the interface redirects
    /// host-bound traffic. Entries not in `addrs` are removed.
    pub fn set_local_addrs(&mut self, addrs: &[(IpAddr, u8)]) -> Result<(), Error> {
        let map = self
            .ebpf
            .map_mut(MAP_LOCAL)
            .ok_or(Error::MissingMap(MAP_LOCAL))?;
        let mut trie: LpmTrie<&mut MapData, LocalAddrData, u8> =
            LpmTrie::try_from(map).map_err(|source| Error::Map {
                map: MAP_LOCAL,
                source,
            })?;
        let want: BTreeSet<(u32, LocalAddrData)> = addrs
            .iter()
            .map(|&(a, l)| {
                let k = abi::local_addr_key(a, l);
                (k.prefix_len(), k.data())
            })
            .collect();
        let have: Vec<_> = trie.keys().filter_map(Result::ok).collect();
        for k in have {
            if !want.contains(&(k.prefix_len(), k.data())) {
                trie.remove(&k).map_err(|source| Error::Map {
                    map: MAP_LOCAL,
                    source,
                })?;
            }
        }
        for &(plen, data) in &want {
            let key = aya::maps::lpm_trie::Key::new(plen, data);
            trie.insert(&key, 1, 0).map_err(|source| Error::Map {
                map: MAP_LOCAL,
                source,
            })?;
        }
        Ok(())
    }

    /// Declares `ifindex` managed, with its sockets at XSKMAP slot `slot`.
    pub(crate) fn set_iface(
        &mut self,
        ifindex: u32,
        slot: u32,
        redirect_host: bool,
        host_any: bool,
    ) -> Result<(), Error> {
        let flag = |on: bool, f: u32| if on { f } else { 0 };
        let v = XpfIface {
            xsk_base: slot * abi::MAX_QUEUES,
            flags: flag(redirect_host, abi::IFACE_REDIRECT_HOST)
                | flag(host_any, abi::IFACE_HOST_ANY),
        };
        self.ifaces()?
            .insert(ifindex, v, 0)
            .map_err(|source| Error::Map {
                map: MAP_IFACES,
                source,
            })
    }

    /// Makes `host` what the kernel gets of the traffic for the box:
    /// the rules first, then each managed interface's accept-everything
    /// flag. Rules not in `host` are removed.
    pub fn set_host_admission(&mut self, host: &HostAdmission) -> Result<(), Error> {
        let map = self
            .ebpf
            .map_mut(MAP_HOST)
            .ok_or(Error::MissingMap(MAP_HOST))?;
        let mut trie: LpmTrie<&mut MapData, HostKeyData, u32> =
            LpmTrie::try_from(map).map_err(|source| Error::Map {
                map: MAP_HOST,
                source,
            })?;
        let want: std::collections::BTreeMap<(u32, HostKeyData), u32> = host
            .rules
            .iter()
            .map(|&(len, key, v)| ((len, key), v))
            .collect();
        let have: Vec<_> = trie.keys().filter_map(Result::ok).collect();
        for k in have {
            if !want.contains_key(&(k.prefix_len(), k.data())) {
                trie.remove(&k).map_err(|source| Error::Map {
                    map: MAP_HOST,
                    source,
                })?;
            }
        }
        for (&(len, data), &v) in &want {
            let key = aya::maps::lpm_trie::Key::new(len, data);
            trie.insert(&key, v, 0).map_err(|source| Error::Map {
                map: MAP_HOST,
                source,
            })?;
        }
        let mut ifaces = self.ifaces()?;
        let managed: Vec<(u32, XpfIface)> = ifaces.iter().filter_map(Result::ok).collect();
        for (ifindex, mut v) in managed {
            v.flags &= !abi::IFACE_HOST_ANY;
            if host.any.contains(&ifindex) {
                v.flags |= abi::IFACE_HOST_ANY;
            }
            ifaces.insert(ifindex, v, 0).map_err(|source| Error::Map {
                map: MAP_IFACES,
                source,
            })?;
        }
        Ok(())
    }

    /// Stops handing `ifindex`'s traffic to sockets (it all goes to the kernel).
    pub(crate) fn clear_iface(&mut self, ifindex: u32) -> Result<(), Error> {
        match self.ifaces()?.remove(&ifindex) {
            Ok(()) | Err(aya::maps::MapError::KeyNotFound) => Ok(()),
            Err(source) => Err(Error::Map {
                map: MAP_IFACES,
                source,
            }),
        }
    }

    /// Puts a socket in the XSKMAP for (slot, queue).
    pub(crate) fn set_xsk(&mut self, slot: u32, queue: u32, fd: i32) -> Result<(), Error> {
        let map = self
            .ebpf
            .map_mut(MAP_XSKS)
            .ok_or(Error::MissingMap(MAP_XSKS))?;
        let mut xsks = XskMap::try_from(map).map_err(|source| Error::Map {
            map: MAP_XSKS,
            source,
        })?;
        // A raw fd is what aya's XskMap takes; it only reads the number.
        xsks.set(slot * abi::MAX_QUEUES + queue, fd, 0)
            .map_err(|source| Error::Map {
                map: MAP_XSKS,
                source,
            })
    }

    /// The shim's hand-back entry, for the eBPF dataplane to hand the
    /// pipeline's frames back to when the two share the box.
    pub fn handback_fd(&self) -> Result<ProgramFd, Error> {
        let prog: &Xdp = self
            .ebpf
            .program(HANDBACK_PROGRAM)
            .ok_or_else(|| Error::Config(format!("program {HANDBACK_PROGRAM} missing")))?
            .try_into()
            .map_err(|source| Error::Program {
                iface: "-".into(),
                source,
            })?;
        let fd = prog.fd().map_err(|source| Error::Program {
            iface: "-".into(),
            source,
        })?;
        fd.try_clone()
            .map_err(|e| Error::Config(format!("{HANDBACK_PROGRAM} fd: {e}")))
    }

    /// Sends every transit frame to `dataplane` (the eBPF dataplane's
    /// program) before the workers, while AF_XDP serves only some of the
    /// interfaces; `None` sends them straight to the workers again.
    pub fn set_handoff(&mut self, dataplane: Option<&ProgramFd>) -> Result<(), Error> {
        let map = self
            .ebpf
            .map_mut(MAP_HANDOFF)
            .ok_or(Error::MissingMap(MAP_HANDOFF))?;
        let mut slots = ProgramArray::try_from(map).map_err(|source| Error::Map {
            map: MAP_HANDOFF,
            source,
        })?;
        let done = match dataplane {
            Some(fd) => slots.set(0, fd, 0),
            None => slots.clear_index(&0),
        };
        done.map_err(|source| Error::Map {
            map: MAP_HANDOFF,
            source,
        })
    }

    /// The shim's verdict counters.
    pub fn counters(&self) -> Result<ShimCounters, Error> {
        let map = self
            .ebpf
            .map(MAP_COUNTERS)
            .ok_or(Error::MissingMap(MAP_COUNTERS))?;
        let arr: PerCpuArray<&MapData, u64> =
            PerCpuArray::try_from(map).map_err(|source| Error::Map {
                map: MAP_COUNTERS,
                source,
            })?;
        let get = |i: u32| -> Result<u64, Error> {
            let v = arr.get(&i, 0).map_err(|source| Error::Map {
                map: MAP_COUNTERS,
                source,
            })?;
            Ok(v.iter().sum())
        };
        Ok(ShimCounters {
            pass_non_ip: get(cnt::PASS_NON_IP)?,
            pass_host: get(cnt::PASS_HOST)?,
            pass_malformed: get(cnt::PASS_MALFORMED)?,
            pass_unmanaged: get(cnt::PASS_UNMANAGED)?,
            redirect: get(cnt::REDIRECT)?,
            no_socket: get(cnt::NO_SOCKET)?,
            pass_link_scope: get(cnt::PASS_LINK_SCOPE)?,
            host_denied: get(cnt::HOST_DENIED)?,
        })
    }
}

impl Drop for Shim {
    fn drop(&mut self) {
        // The links detach when `ebpf` drops; pins outlive the process by
        // design, unless this shim was asked to clean them up (tests).
        if self.unpin_on_drop {
            for m in [MAP_XSKS, MAP_IFACES, MAP_LOCAL, MAP_COUNTERS] {
                let _ = std::fs::remove_file(self.pin_dir.join(m));
            }
        }
    }
}
