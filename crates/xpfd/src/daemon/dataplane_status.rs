// SPDX-License-Identifier: Apache-2.0
//! `show system dataplane`: the compiled snapshot, and per data interface
//! which dataplane forwards there and why (or why none does).

use std::fmt::Write as _;

use xpf_dataplane::Snapshot;
use xpf_ebpf_loader::AttachMode;

use super::forwarding::Status;

/// Renders the view.
pub fn render(snap: Option<&Snapshot>, status: &Status) -> String {
    let mut out = String::new();
    match snap {
        Some(snap) => {
            let _ = writeln!(
                out,
                "Compiled snapshot: generation {}, {} policies",
                snap.generation(),
                snap.policies().len()
            );
            for w in snap.warnings() {
                let _ = writeln!(out, "  warning: {w}");
            }
        }
        None => out.push_str("Compiled snapshot: none (no configuration applied yet)\n"),
    }
    match status {
        Status::Afxdp {
            interfaces,
            missing,
            left_out,
        } => {
            out.push_str("Forwarding: AF_XDP (userspace pipeline)\n");
            if !left_out.is_empty() {
                let _ = writeln!(
                    out,
                    "Fallback: eBPF (XDP program {}) where AF_XDP did not start",
                    xpf_ebpf_loader::PROGRAM
                );
            }
            header(&mut out, "Copy", "Queues");
            for i in interfaces {
                row(
                    &mut out,
                    &i.name,
                    "afxdp",
                    &format!("{:?}", i.xdp_mode).to_lowercase(),
                    &format!(
                        "{:<10} {}",
                        if i.zero_copy { "zero-copy" } else { "copy" },
                        i.queues
                    ),
                );
            }
            for l in left_out {
                let name = &l.attachment.iface.name;
                match &l.attachment.result {
                    Ok(mode) => row(
                        &mut out,
                        name,
                        "ebpf",
                        mode_name(*mode),
                        &format!("(fallback: {})", l.why),
                    ),
                    Err(e) => row(
                        &mut out,
                        name,
                        "none",
                        "-",
                        &format!(
                            "({}; the eBPF fallback did not start there: {e}; transit traffic is dropped)",
                            l.why
                        ),
                    ),
                }
            }
            let _ = writeln!(
                out,
                "  Packets waiting for neighbour resolution (dropped): {missing}"
            );
        }
        Status::Ebpf {
            interfaces,
            fallback,
            generation,
        } => {
            let why = match fallback {
                Some(f) => format!("(fallback: {f})"),
                None => "(system dataplane-type ebpf)".to_string(),
            };
            let _ = writeln!(
                out,
                "Forwarding: eBPF (XDP program {}, snapshot generation {generation}) {why}",
                xpf_ebpf_loader::PROGRAM
            );
            header(&mut out, "Why", "");
            for a in interfaces {
                match &a.result {
                    Ok(mode) => row(&mut out, &a.iface.name, "ebpf", mode_name(*mode), &why),
                    Err(e) => row(
                        &mut out,
                        &a.iface.name,
                        "none",
                        "-",
                        &format!("(eBPF did not attach: {e}; transit traffic is dropped)"),
                    ),
                }
            }
        }
        Status::Stopped(why) => {
            let _ = writeln!(out, "Forwarding: {why}");
        }
    }
    kernel_lines(&mut out, &super::forwarding::kernel().refused_lines());
    out
}

/// What the kernel refuses of the BPF features the engines use.
fn kernel_lines(out: &mut String, refused: &[String]) {
    if refused.is_empty() {
        out.push_str("Kernel BPF features: every feature the engines use is allowed\n");
        return;
    }
    out.push_str("Kernel BPF features refused:\n");
    for r in refused {
        let _ = writeln!(out, "  {r}");
    }
}

fn mode_name(mode: AttachMode) -> &'static str {
    match mode {
        AttachMode::Native => "native",
        AttachMode::Generic => "generic",
    }
}

fn header(out: &mut String, last: &str, more: &str) {
    let line = format!(
        "  {:<12} {:<8} {:<8} {last:<10} {more}",
        "Interface", "Engine", "XDP"
    );
    let _ = writeln!(out, "{}", line.trim_end());
}

fn row(out: &mut String, linux: &str, engine: &str, xdp: &str, rest: &str) {
    let name = xpf_netlink::junos_name(linux);
    let line = format!("  {name:<12} {engine:<8} {xdp:<8} {rest}");
    let _ = writeln!(out, "{}", line.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::forwarding::{Attachment, DataInterface, LeftOut};

    #[test]
    fn fallback_is_said_per_interface() {
        let iface = |name: &str, ifindex| DataInterface {
            name: name.into(),
            ifindex,
        };
        let status = Status::Ebpf {
            interfaces: vec![
                Attachment {
                    iface: iface("ge-0-0-0", 2),
                    result: Ok(AttachMode::Native),
                },
                Attachment {
                    iface: iface("ge-0-0-1", 3),
                    result: Err("EBUSY".into()),
                },
            ],
            fallback: Some("AF_XDP did not start: no XSK".into()),
            generation: 4,
        };
        let text = render(None, &status);
        assert!(
            text.contains(
                "  ge-0/0/0     ebpf     native   (fallback: AF_XDP did not start: no XSK)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("  ge-0/0/1     none     -        (eBPF did not attach: EBUSY; transit traffic is dropped)\n"),
            "{text}"
        );
        assert!(text.contains("snapshot generation 4"), "{text}");
    }

    #[test]
    fn afxdp_says_where_it_left_an_interface_to_ebpf() {
        let iface = |name: &str, ifindex| DataInterface {
            name: name.into(),
            ifindex,
        };
        let status = Status::Afxdp {
            interfaces: vec![xpf_afxdp::InterfaceInfo {
                name: "ge-0-0-0".into(),
                ifindex: 2,
                queues: 1,
                xdp_mode: xpf_afxdp::XdpAttachedMode::Native,
                zero_copy: false,
            }],
            missing: 0,
            left_out: vec![
                LeftOut {
                    attachment: Attachment {
                        iface: iface("ge-0-0-1", 3),
                        result: Ok(AttachMode::Native),
                    },
                    why: "AF_XDP bind on ge-0-0-1 queue 0: busy".into(),
                },
                LeftOut {
                    attachment: Attachment {
                        iface: iface("ge-0-0-2", 4),
                        result: Err("no BPF".into()),
                    },
                    why: "AF_XDP bind on ge-0-0-2 queue 0: busy".into(),
                },
            ],
        };
        let text = render(None, &status);
        for line in [
            "Fallback: eBPF (XDP program xpf_xdp_dataplane) where AF_XDP did not start\n",
            "  ge-0/0/0     afxdp    native   copy       1\n",
            "  ge-0/0/1     ebpf     native   (fallback: AF_XDP bind on ge-0-0-1 queue 0: busy)\n",
            "  ge-0/0/2     none     -        (AF_XDP bind on ge-0-0-2 queue 0: busy; the eBPF fallback did not start there: no BPF; transit traffic is dropped)\n",
        ] {
            assert!(text.contains(line), "{line}in\n{text}");
        }
    }
}
