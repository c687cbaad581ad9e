// SPDX-License-Identifier: Apache-2.0
//! What the object holds and where it lives: the program and map names
//! (as `ebpf/xpf_xdp_dataplane.c` and its headers define them), the pin
//! directory, how to load, and how XDP got attached. `program` loads and
//! fills; `pins` keeps what outlives the process; both read these names.

use std::path::PathBuf;

/// The XDP program's name in the object.
pub const PROGRAM: &str = "xpf_xdp_dataplane";
/// The session sweep, run on demand (`EbpfDataplane::sweep`).
pub(crate) const SWEEP: &str = "xpf_xdp_sweep";
/// Where xpfd pins the fallback dataplane.
pub const PIN_DIR: &str = "/sys/fs/bpf/xpf";

pub(crate) const M_ACTIVE: &str = "xpf_dp_active";
pub(crate) const M_CONF: &str = "xpf_dp_conf";
pub(crate) const M_IFACES: &str = "xpf_dp_ifaces";
pub(crate) const M_LOCAL: &str = "xpf_dp_local";
pub(crate) const M_LOCAL6: &str = "xpf_dp_local6";
pub(crate) const M_PAIRS: &str = "xpf_dp_pairs";
pub(crate) const M_SRC4: &str = "xpf_dp_src4";
pub(crate) const M_DST4: &str = "xpf_dp_dst4";
pub(crate) const M_SRC6: &str = "xpf_dp_src6";
pub(crate) const M_DST6: &str = "xpf_dp_dst6";
pub(crate) const M_SVC: &str = "xpf_dp_svc";
pub(crate) const M_HOST: &str = "xpf_dp_host";
pub(crate) const M_RULES: &str = "xpf_dp_rules";
pub(crate) const M_NAMES: &str = "xpf_dp_names";
pub(crate) const M_SNAT: &str = "xpf_dp_snat";
pub(crate) const M_POOLS: &str = "xpf_dp_pools";
pub(crate) const M_STATICS: &str = "xpf_dp_statics";
pub(crate) const M_DNAT: &str = "xpf_dp_dnat";
pub(crate) const M_SNAT6: &str = "xpf_dp_snat6";
pub(crate) const M_POOLS6: &str = "xpf_dp_pools6";
pub(crate) const M_STATICS6: &str = "xpf_dp_statics6";
pub(crate) const M_DNAT6: &str = "xpf_dp_dnat6";
pub(crate) const M_TX: &str = "xpf_dp_tx";
pub(crate) const M_SESSIONS: &str = "xpf_dp_sessions";
/// `limit-session` counts: pinned with the sessions that hold them.
pub(crate) const M_LIMITS: &str = "xpf_dp_limits";
/// The sweep's tally for reconciling them.
pub(crate) const M_LIMIT_TALLY: &str = "xpf_dp_limit_tally";
pub(crate) const M_COUNTERS: &str = "xpf_dp_counters";
pub(crate) const M_HITS: &str = "xpf_dp_policy_hits";
pub(crate) const M_NAT_HITS: &str = "xpf_dp_nat_hits";
pub(crate) const M_LAST: &str = "xpf_dp_last";
pub(crate) const M_EVENTS: &str = "xpf_dp_events";
pub(crate) const M_SCREENS: &str = "xpf_dp_screens";
/// The interfaces AF_XDP serves, when the two dataplanes share the box.
pub(crate) const M_AFXDP: &str = "xpf_dp_afxdp";
/// The AF_XDP shim's hand-back entry, which takes the pipeline's flows back.
pub(crate) const M_HANDBACK: &str = "xpf_dp_handback";

/// How to load the dataplane.
#[derive(Debug, Clone)]
pub struct Options {
    /// Pin maps and the program here (bpffs; mounted at /sys/fs/bpf when
    /// absent). `None`: no pins (tests).
    pub pin_dir: Option<PathBuf>,
    /// Session table size (entries; each session takes two).
    pub session_entries: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            pin_dir: Some(PathBuf::from(PIN_DIR)),
            session_entries: 2 * xpf_dataplane::DEFAULT_SESSION_CAPACITY as u32,
        }
    }
}

/// How XDP got attached to an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachMode {
    /// In the driver.
    Native,
    /// Generic (SKB) mode: the driver has no native XDP.
    Generic,
}

impl AttachMode {
    /// The link pin's name carries the mode: a link's kernel info does not
    /// say it, and a taken-over link keeps the mode it was made with.
    pub(crate) fn pin_tag(self) -> &'static str {
        match self {
            AttachMode::Native => "native",
            AttachMode::Generic => "generic",
        }
    }
}
