// SPDX-License-Identifier: Apache-2.0
//! What this kernel lets the engines do (issue 15). Kernels differ:
//! distribution and hardened builds refuse helpers others allow (this
//! project's CI kernel refuses `bpf_xdp_adjust_meta` in XDP programs). So
//! xpfd probes, once at start, every helper and map type the two XDP
//! objects use, by loading a tiny program or creating a tiny map (aya's
//! libbpf-style probes), and starts only what the kernel allows, saying
//! why in `show system dataplane`.
//!
//! The tables below list what each object uses; a unit test reads the C
//! sources and fails when a helper they call is missing here.
//!
//! Tests force a feature off with `XPF_BPF_DENY` (a comma-separated list
//! of the names below, e.g. `bpf_redirect_map,xskmap`): the probe then
//! reports it refused, as a kernel without it would.

use aya::maps::MapType;
use aya::programs::ProgramType;
use aya::sys::{is_helper_supported, is_map_supported, BpfHelper};

/// The variable that forces features off (see the module docs).
pub const DENY_ENV: &str = "XPF_BPF_DENY";

/// Something the engines need from the kernel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Feature {
    /// A helper called from an XDP program.
    Helper(&'static str, BpfHelper),
    /// A map type.
    Map(&'static str, MapType),
}

impl Feature {
    /// Its name: the helper's C name, or the map type's.
    pub fn name(&self) -> &'static str {
        match self {
            Feature::Helper(n, _) | Feature::Map(n, _) => n,
        }
    }
}

use Feature::{Helper, Map};

/// The AF_XDP shim (`ebpf/xpf_xdp_shim.c`), on its own.
const AFXDP: &[Feature] = &[
    Helper("bpf_map_lookup_elem", BpfHelper::BPF_FUNC_map_lookup_elem),
    Helper("bpf_redirect_map", BpfHelper::BPF_FUNC_redirect_map),
    Map("hash", MapType::Hash),
    Map("lpm_trie", MapType::LpmTrie),
    Map("percpu_array", MapType::PerCpuArray),
    Map("xskmap", MapType::XskMap),
];

/// The eBPF dataplane (`ebpf/xpf_xdp_dataplane.c`).
const EBPF: &[Feature] = &[
    Helper("bpf_map_lookup_elem", BpfHelper::BPF_FUNC_map_lookup_elem),
    Helper("bpf_map_update_elem", BpfHelper::BPF_FUNC_map_update_elem),
    Helper("bpf_map_delete_elem", BpfHelper::BPF_FUNC_map_delete_elem),
    Helper("bpf_redirect_map", BpfHelper::BPF_FUNC_redirect_map),
    Helper("bpf_fib_lookup", BpfHelper::BPF_FUNC_fib_lookup),
    Helper("bpf_ktime_get_ns", BpfHelper::BPF_FUNC_ktime_get_ns),
    Helper(
        "bpf_ktime_get_coarse_ns",
        BpfHelper::BPF_FUNC_ktime_get_coarse_ns,
    ),
    Helper("bpf_loop", BpfHelper::BPF_FUNC_loop),
    Helper(
        "bpf_for_each_map_elem",
        BpfHelper::BPF_FUNC_for_each_map_elem,
    ),
    Helper("bpf_ringbuf_reserve", BpfHelper::BPF_FUNC_ringbuf_reserve),
    Helper("bpf_ringbuf_submit", BpfHelper::BPF_FUNC_ringbuf_submit),
    Helper("bpf_xdp_adjust_head", BpfHelper::BPF_FUNC_xdp_adjust_head),
    Helper("bpf_xdp_adjust_tail", BpfHelper::BPF_FUNC_xdp_adjust_tail),
    Helper("bpf_xdp_get_buff_len", BpfHelper::BPF_FUNC_xdp_get_buff_len),
    Helper("bpf_xdp_load_bytes", BpfHelper::BPF_FUNC_xdp_load_bytes),
    Helper("bpf_xdp_store_bytes", BpfHelper::BPF_FUNC_xdp_store_bytes),
    Map("array", MapType::Array),
    Map("hash", MapType::Hash),
    Map("lpm_trie", MapType::LpmTrie),
    Map("lru_hash", MapType::LruHash),
    Map("lru_percpu_hash", MapType::LruPerCpuHash),
    Map("percpu_array", MapType::PerCpuArray),
    Map("devmap_hash", MapType::DevMapHash),
    Map("ringbuf", MapType::RingBuf),
];

/// The two sharing the box (per-interface fallback): each tail-calls the
/// other through a program array.
const HANDOFF: &[Feature] = &[
    Helper("bpf_tail_call", BpfHelper::BPF_FUNC_tail_call),
    Map("prog_array", MapType::ProgramArray),
];

/// Probed and reported, used by neither: the hand-back once wrote a mark
/// with it, and a kernel that refuses it must still run both engines.
const REPORTED: &[Feature] = &[Helper(
    "bpf_xdp_adjust_meta",
    BpfHelper::BPF_FUNC_xdp_adjust_meta,
)];

/// What needs a set of features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The AF_XDP dataplane's shim.
    Afxdp,
    /// The eBPF dataplane.
    Ebpf,
    /// The two engines sharing the box.
    Handoff,
}

impl Need {
    fn features(self) -> &'static [Feature] {
        match self {
            Need::Afxdp => AFXDP,
            Need::Ebpf => EBPF,
            Need::Handoff => HANDOFF,
        }
    }
}

/// One probe's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// What was probed.
    pub feature: Feature,
    /// Whether the kernel allows it (false when forced off).
    pub allowed: bool,
    /// Forced off by [`DENY_ENV`].
    pub denied: bool,
    /// A probe that could not answer (taken as refused): why.
    pub error: Option<String>,
}

/// Every probe, in table order, each feature once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KernelSupport {
    /// The answers.
    pub probes: Vec<Probe>,
}

impl KernelSupport {
    /// Probes this kernel, honouring [`DENY_ENV`].
    pub fn probe() -> KernelSupport {
        let deny = std::env::var(DENY_ENV).unwrap_or_default();
        let deny: Vec<&str> = deny
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        KernelSupport::probe_with(|f| {
            let answer = match f {
                Helper(_, h) => is_helper_supported(ProgramType::Xdp, h).map_err(|e| e.to_string()),
                Map(_, m) => is_map_supported(m).map_err(|e| e.to_string()),
            };
            (answer, deny.contains(&f.name()))
        })
    }

    /// Every feature through `ask`, which answers (allowed, denied).
    fn probe_with(mut ask: impl FnMut(Feature) -> (Result<bool, String>, bool)) -> KernelSupport {
        let mut probes: Vec<Probe> = Vec::new();
        for &feature in AFXDP.iter().chain(EBPF).chain(HANDOFF).chain(REPORTED) {
            if probes.iter().any(|p| p.feature == feature) {
                continue;
            }
            let (answer, denied) = ask(feature);
            let (allowed, error) = match answer {
                Ok(a) => (a && !denied, None),
                Err(e) => (false, Some(e)),
            };
            probes.push(Probe {
                feature,
                allowed,
                denied,
                error,
            });
        }
        KernelSupport { probes }
    }

    /// What `need` uses that this kernel refuses, by name.
    pub fn missing(&self, need: Need) -> Vec<&'static str> {
        need.features()
            .iter()
            .filter(|f| !self.probes.iter().any(|p| p.feature == **f && p.allowed))
            .map(Feature::name)
            .collect()
    }

    /// Why `need` cannot run here, or `None` when it can.
    pub fn refuses(&self, need: Need) -> Option<String> {
        let missing = self.missing(need);
        (!missing.is_empty()).then(|| format!("this kernel refuses {}", missing.join(", ")))
    }

    /// One line a feature the kernel refuses, for `show system dataplane`.
    pub fn refused_lines(&self) -> Vec<String> {
        self.probes
            .iter()
            .filter(|p| !p.allowed)
            .map(|p| {
                let why = match (&p.error, p.denied) {
                    (Some(e), _) => format!("probe failed: {e}"),
                    (None, true) => format!("forced off by {DENY_ENV}"),
                    (None, false) => "refused by the kernel".to_string(),
                };
                let used = [Need::Afxdp, Need::Ebpf, Need::Handoff]
                    .into_iter()
                    .filter(|n| n.features().contains(&p.feature))
                    .map(|n| match n {
                        Need::Afxdp => "AF_XDP",
                        Need::Ebpf => "eBPF",
                        Need::Handoff => "the per-interface fallback",
                    })
                    .collect::<Vec<_>>();
                let effect = if used.is_empty() {
                    "not used".to_string()
                } else {
                    format!("{} cannot run", used.join(" and "))
                };
                format!("{} ({why}; {effect})", p.feature.name())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(refused: &[&str], denied: &[&str]) -> KernelSupport {
        KernelSupport::probe_with(|f| {
            (Ok(!refused.contains(&f.name())), denied.contains(&f.name()))
        })
    }

    #[test]
    fn a_refused_helper_stops_only_the_engines_that_call_it() {
        let k = with(&["bpf_xdp_adjust_meta"], &[]);
        assert_eq!(k.refuses(Need::Afxdp), None);
        assert_eq!(k.refuses(Need::Ebpf), None);
        assert_eq!(k.refuses(Need::Handoff), None);
        assert_eq!(
            k.refused_lines(),
            ["bpf_xdp_adjust_meta (refused by the kernel; not used)"]
        );

        let k = with(&["bpf_fib_lookup"], &["prog_array"]);
        assert_eq!(k.refuses(Need::Afxdp), None);
        assert_eq!(
            k.refuses(Need::Ebpf).as_deref(),
            Some("this kernel refuses bpf_fib_lookup")
        );
        assert_eq!(
            k.refuses(Need::Handoff).as_deref(),
            Some("this kernel refuses prog_array")
        );
        assert_eq!(
            k.refused_lines()[1],
            "prog_array (forced off by XPF_BPF_DENY; the per-interface fallback cannot run)"
        );
    }

    #[test]
    fn a_probe_that_fails_counts_as_refused() {
        let k = KernelSupport::probe_with(|f| match f.name() {
            "xskmap" => (Err("EPERM".into()), false),
            _ => (Ok(true), false),
        });
        assert_eq!(k.missing(Need::Afxdp), ["xskmap"]);
        assert!(k.refused_lines()[0].contains("probe failed: EPERM"));
    }

    /// This kernel, as probed: it runs both engines (this project's CI
    /// kernel refuses bpf_xdp_adjust_meta, which neither needs).
    #[test]
    fn this_kernel_is_probed_without_error() {
        let test = "this_kernel_is_probed_without_error";
        if !xpf_lab::can_run(test) {
            return;
        }
        let k = KernelSupport::probe();
        assert!(k.probes.iter().all(|p| p.error.is_none()), "{k:?}");
        eprintln!("refused here: {:?}", k.refused_lines());
    }

    /// Every helper the C sources call is probed for the object that
    /// calls it: a new helper in the C must land in these tables.
    #[test]
    fn the_tables_cover_every_helper_the_objects_call() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ebpf");
        let read = |paths: &[&str]| -> String {
            let mut all = String::new();
            for p in paths {
                let path = format!("{dir}/{p}");
                let meta = std::fs::metadata(&path).expect(&path);
                if meta.is_dir() {
                    for e in std::fs::read_dir(&path).expect(&path).flatten() {
                        all += &std::fs::read_to_string(e.path()).unwrap_or_default();
                    }
                } else {
                    all += &std::fs::read_to_string(&path).expect(&path);
                }
            }
            all
        };
        let shim = read(&["xpf_xdp_shim.c", "lib"]);
        let dataplane = read(&["xpf_xdp_dataplane.c", "dataplane"]);
        // Byte-order macros, not helpers.
        let not_helpers = ["bpf_htons", "bpf_ntohs", "bpf_htonl", "bpf_ntohl"];
        let calls = |src: &str| -> Vec<String> {
            let re = regex_lite(src);
            re.into_iter()
                .filter(|c| {
                    !not_helpers.contains(&c.as_str())
                        && !c.starts_with("bpf_cpu_to")
                        && !c.starts_with("bpf_be")
                })
                .collect()
        };
        let listed = |tables: &[&[Feature]], name: &str| {
            tables.iter().any(|t| t.iter().any(|f| f.name() == name))
        };
        for c in calls(&shim) {
            assert!(
                listed(&[AFXDP, HANDOFF], &c),
                "the shim calls {c}, which is not probed"
            );
        }
        for c in calls(&dataplane) {
            assert!(
                listed(&[EBPF, HANDOFF], &c),
                "the dataplane calls {c}, which is not probed"
            );
        }
    }

    /// The `bpf_name(` calls in C text, each once.
    fn regex_lite(src: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, _) in src.match_indices("bpf_") {
            if i > 0 {
                let prev = src.as_bytes()[i - 1];
                if prev.is_ascii_alphanumeric() || prev == b'_' {
                    continue;
                }
            }
            let rest = &src[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if rest[end..].starts_with('(') {
                let name = rest[..end].to_string();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }
}
