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
        Status::Afxdp(ifaces, missing) => {
            out.push_str("Forwarding: AF_XDP (userspace pipeline)\n");
            header(&mut out, "Copy", "Queues");
            for i in ifaces {
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
                    Ok(mode) => {
                        let mode = match mode {
                            AttachMode::Native => "native",
                            AttachMode::Generic => "generic",
                        };
                        row(&mut out, &a.iface.name, "ebpf", mode, &why);
                    }
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
    out
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
    use crate::daemon::forwarding::{Attachment, DataInterface};

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
}
