// SPDX-License-Identifier: Apache-2.0
//! The Forwarder without AF_XDP: frames from the dataplane's corpus
//! builders through `Processor::process`, checking the Ethernet rewrite,
//! neighbour misses, snapshot swaps and the session control channel.
#![allow(clippy::unwrap_used)]

#[path = "../../dataplane/tests/common/mod.rs"]
mod common;

use std::sync::Arc;

use common::*;
use xpf_afxdp::{Action, Frame, Processor};
use xpf_dataplane::{InterfaceTable, SessionFilter, Snapshot};
use xpf_forward::{Control, ForwardStats, Forwarder, KernelFib, KernelRoute, L2Table, Tables};

const TRUST: u32 = 2;
const UNTRUST: u32 = 3;
const FW_OUT: [u8; 6] = [0x02, 0, 0, 0, 0x01, 0x03];
const SERVER: [u8; 6] = [0x02, 0, 0, 0, 0x02, 0x02];

fn snapshot(permit: bool) -> Arc<Snapshot> {
    let action = if permit { "permit" } else { "deny" };
    let text = format!(
        "interfaces {{
            ge-0/0/0 {{ unit 0 {{ family inet {{ address 10.0.1.1/24; }} }} }}
            ge-0/0/1 {{ unit 0 {{ family inet {{ address 10.0.2.1/24; }} }} }}
        }}
        security {{
            zones {{
                security-zone trust {{ interfaces {{ ge-0/0/0.0; }} }}
                security-zone untrust {{ interfaces {{ ge-0/0/1.0; }} }}
            }}
            policies {{
                from-zone trust to-zone untrust {{
                    policy out {{ match {{ source-address any; destination-address any; application any; }} then {{ {action}; }} }}
                }}
            }}
        }}"
    );
    let cfg = xpf_config::parse_config(&text).unwrap();
    let model = xpf_model::build(&xpf_config::effective(&cfg, None)).unwrap();
    let ifs = InterfaceTable::new()
        .with(TRUST, "ge-0/0/0.0", &["10.0.1.1/24"])
        .with(UNTRUST, "ge-0/0/1.0", &["10.0.2.1/24"]);
    Arc::new(Snapshot::compile(&model, &ifs).unwrap())
}

fn setup() -> (Arc<Tables>, Control, Forwarder) {
    let tables = Tables::new(snapshot(true));
    let net = |s: &str| s.parse().unwrap();
    tables.fib.publish(Arc::new(KernelFib::new(&[
        KernelRoute {
            prefix: net("10.0.1.0"),
            len: 24,
            ifindex: TRUST,
            gateway: None,
        },
        KernelRoute {
            prefix: net("10.0.2.0"),
            len: 24,
            ifindex: UNTRUST,
            gateway: None,
        },
    ])));
    let control = Control::new();
    let fwd = Forwarder::new(
        0,
        tables.clone(),
        control.register(),
        Arc::new(ForwardStats::default()),
    );
    (tables, control, fwd)
}

fn run(fwd: &mut Forwarder, ingress: u32, frame: &[u8]) -> (Action, Vec<u8>) {
    let mut buf = vec![0u8; 2048];
    buf[..frame.len()].copy_from_slice(frame);
    let mut f = Frame::new(&mut buf, frame.len());
    let a = fwd.process(ingress, &mut f, 1_000);
    let out = f.bytes().to_vec();
    (a, out)
}

#[test]
fn forwards_with_the_neighbours_mac_once_the_kernel_knows_it() {
    let (tables, control, mut fwd) = setup();
    let ping = ping("10.0.1.2", "10.0.2.2", 7).frame();
    fwd.poll(0);
    let (a, _) = run(&mut fwd, TRUST, &ping);
    assert_eq!(
        a,
        Action::Drop,
        "no MACs yet: dropped while the kernel resolves"
    );

    let mut l2 = L2Table::new();
    l2.set_mac(UNTRUST, FW_OUT);
    l2.add_neighbour(UNTRUST, "10.0.2.2".parse().unwrap(), SERVER);
    tables.l2.publish(Arc::new(l2));
    fwd.poll(0);
    let (a, out) = run(&mut fwd, TRUST, &ping);
    assert_eq!(
        a,
        Action::Forward {
            egress_ifindex: UNTRUST
        }
    );
    assert_eq!(&out[..6], &SERVER);
    assert_eq!(&out[6..12], &FW_OUT);

    // The session is visible and clearable through the control channel,
    // which the worker answers from poll.
    let t = std::thread::spawn(move || {
        let list = control.sessions(&SessionFilter::default());
        let cleared = control.clear(&SessionFilter::default());
        (list, cleared)
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !t.is_finished() && std::time::Instant::now() < deadline {
        fwd.poll(2_000);
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let (list, cleared) = t.join().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].inbound.src.0.to_string(), "10.0.1.2");
    assert_eq!(cleared, 1);
    assert_eq!(fwd.worker().sessions.len(), 0);
}

#[test]
fn a_new_snapshot_applies_to_new_flows_after_poll() {
    let (tables, _control, mut fwd) = setup();
    let mut l2 = L2Table::new();
    l2.set_mac(UNTRUST, FW_OUT);
    l2.add_neighbour(UNTRUST, "10.0.2.2".parse().unwrap(), SERVER);
    tables.l2.publish(Arc::new(l2));
    fwd.poll(0);
    let (a, _) = run(&mut fwd, TRUST, &ping("10.0.1.2", "10.0.2.2", 1).frame());
    assert!(matches!(a, Action::Forward { .. }));
    tables.snapshot.publish(snapshot(false));
    fwd.poll(0);
    let (a, _) = run(&mut fwd, TRUST, &ping("10.0.1.2", "10.0.2.2", 2).frame());
    assert_eq!(a, Action::Drop, "a new flow meets the deny policy");
}
