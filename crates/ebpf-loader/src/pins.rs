// SPDX-License-Identifier: Apache-2.0
//! What the eBPF dataplane leaves on the bpffs for the next xpfd (issue 6,
//! hitless restart): where the state and the XDP links are pinned, which
//! pins a build can take over, and how they are removed. The layout is in
//! [`crate::program`]'s module docs.

use std::path::{Path, PathBuf};

use aya::maps::{MapInfo, MapType};

use crate::abi::{self, Flow, Limit, LimitKey, SessionEntry};
use crate::error::Error;
use crate::layout::{AttachMode, Options, M_COUNTERS, M_EVENTS, M_LIMITS, M_SESSIONS, PROGRAM};
use crate::sys;

/// Where the XDP links are pinned, under the pin directory.
const LINKS_DIR: &str = "dataplane-links";
/// The state directory's name, before its version.
const STATE_PREFIX: &str = "dataplane-v";

/// Makes sure `dir` exists on a bpffs, mounting one at /sys/fs/bpf first
/// when the system has none there (a minimal system may not mount it).
/// Both dataplanes pin under it, so xpfd calls this for either.
pub fn ensure_bpffs(dir: &Path) -> Result<(), Error> {
    let bpffs = Path::new("/sys/fs/bpf");
    if dir.starts_with(bpffs) && !sys::is_bpffs(bpffs) {
        std::fs::create_dir_all(bpffs).map_err(|source| Error::Io {
            what: format!("creating {}", bpffs.display()),
            source,
        })?;
        sys::mount_bpffs(bpffs).map_err(|source| Error::Io {
            what: "mounting bpffs on /sys/fs/bpf".into(),
            source,
        })?;
        tracing::info!("mounted the BPF filesystem on {}", bpffs.display());
    }
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        what: format!("creating {}", dir.display()),
        source,
    })
}

fn io_err(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { what, source }
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))
}

/// Removes a pin; one already gone is fine.
pub(crate) fn unpin(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(io_err(format!("removing {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

pub(crate) fn state_dir(pin_dir: &Path) -> PathBuf {
    pin_dir.join(format!("{STATE_PREFIX}{}", abi::STATE_ABI))
}

/// Where the XDP links live.
pub(crate) fn links_dir(pin_dir: &Path) -> PathBuf {
    pin_dir.join(LINKS_DIR)
}

pub(crate) fn link_pin(pin_dir: &Path, ifindex: u32, mode: AttachMode) -> PathBuf {
    pin_dir
        .join(LINKS_DIR)
        .join(format!("xdp_{ifindex}_{}", mode.pin_tag()))
}

/// The link pinned for `ifindex`, if any.
pub(crate) fn pinned_link(pin_dir: &Path, ifindex: u32) -> Option<(PathBuf, AttachMode)> {
    [AttachMode::Native, AttachMode::Generic]
        .into_iter()
        .map(|m| (link_pin(pin_dir, ifindex, m), m))
        .find(|(p, _)| p.exists())
}

/// The interfaces (ifindexes) with an XDP link pinned under `pin_dir`: where
/// an earlier xpfd left the program forwarding.
pub fn pinned_links(pin_dir: &Path) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir(pin_dir.join(LINKS_DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<u32> = dir
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix("xdp_")?.split('_').next()?.parse().ok()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Removes the link pinned for `ifindex` under `pin_dir`, which takes the
/// program off that interface unless a running dataplane holds the link.
pub fn unpin_link(pin_dir: &Path, ifindex: u32) -> Result<(), Error> {
    for mode in [AttachMode::Native, AttachMode::Generic] {
        unpin(&link_pin(pin_dir, ifindex, mode))?;
    }
    Ok(())
}

/// What a pinned map must be for this build to take it over.
struct Fit {
    name: &'static str,
    map_type: MapType,
    key: usize,
    value: usize,
    max_entries: u32,
}

/// Removes pinned state this build cannot take over, saying why: pins of
/// another state version, pins from before versioned pins, and maps whose
/// type or sizes differ. The program still attached keeps its maps (the
/// kernel frees them with it); the new load creates fresh ones.
pub(crate) fn drop_unfit_pins(pin_dir: &Path, opts: &Options) -> Result<(), Error> {
    let ours = state_dir(pin_dir);
    let entries =
        std::fs::read_dir(pin_dir).map_err(io_err(format!("reading {}", pin_dir.display())))?;
    for e in entries.filter_map(Result::ok) {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(STATE_PREFIX) && path != ours {
            tracing::warn!(
                pins = %path.display(),
                "pinned eBPF dataplane state is of another layout than this build's (version {}): starting with a fresh session table",
                abi::STATE_ABI
            );
            std::fs::remove_dir_all(&path)
                .map_err(io_err(format!("removing {}", path.display())))?;
        } else if name.starts_with("xpf_dp_") || name == PROGRAM {
            // Unversioned pins of builds before hitless restart.
            unpin(&path)?;
        }
    }
    let fits = [
        Fit {
            name: M_SESSIONS,
            map_type: MapType::LruHash,
            key: std::mem::size_of::<Flow>(),
            value: std::mem::size_of::<SessionEntry>(),
            max_entries: opts.session_entries.max(2),
        },
        Fit {
            name: M_LIMITS,
            map_type: MapType::Hash,
            key: std::mem::size_of::<LimitKey>(),
            value: std::mem::size_of::<Limit>(),
            max_entries: opts.session_entries.max(2),
        },
        Fit {
            name: M_COUNTERS,
            map_type: MapType::PerCpuArray,
            key: std::mem::size_of::<u32>(),
            value: std::mem::size_of::<u64>(),
            max_entries: abi::CNT_MAX,
        },
        Fit {
            name: M_EVENTS,
            map_type: MapType::RingBuf,
            key: 0,
            value: 0,
            max_entries: abi::EVENTS_BYTES,
        },
    ];
    for f in fits {
        let path = ours.join(f.name);
        if !path.exists() {
            continue;
        }
        let why = match MapInfo::from_pin(&path) {
            Ok(i) => {
                let found = (
                    i.map_type().ok(),
                    i.key_size() as usize,
                    i.value_size() as usize,
                    i.max_entries(),
                );
                if found == (Some(f.map_type), f.key, f.value, f.max_entries) {
                    continue;
                }
                format!(
                    "it is {:?} with {}-byte keys, {}-byte values and {} entries; this build wants {:?}, {}, {} and {}",
                    found.0, found.1, found.2, found.3, f.map_type, f.key, f.value, f.max_entries
                )
            }
            Err(e) => format!("cannot read it: {e}"),
        };
        tracing::warn!(map = f.name, pin = %path.display(), "not taking over the pinned map, starting a fresh one: {why}");
        unpin(&path)?;
    }
    Ok(())
}
