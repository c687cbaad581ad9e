// SPDX-License-Identifier: Apache-2.0
//! Session entries and events as the pipeline's types: the flow key and
//! the rewrite an entry stores, read the same way by the session views
//! (`program`) and the event ring (`events`).

use xpf_dataplane::{FlowKey, Xlate};

use crate::abi::{self, Flow, SessionEntry};

pub(crate) fn flow_key(f: &Flow) -> FlowKey {
    let v6 = f.v6 != 0;
    let (src, dst) = if v6 {
        (u128::from_be_bytes(f.src6), u128::from_be_bytes(f.dst6))
    } else {
        (u128::from(f.src), u128::from(f.dst))
    };
    FlowKey {
        src,
        dst,
        sport: f.sport,
        dport: f.dport,
        proto: f.proto,
        v6,
        instance: 0,
    }
}

/// An entry's rewrite. An IPv6 entry's addresses are its twin's: the
/// translated source is the twin's destination, the translated
/// destination its source.
pub(crate) fn xlate(e: &SessionEntry) -> Xlate {
    xlate_with(e.xflags, &e.twin, (e.xsrc, e.xsport), (e.xdst, e.xdport))
}

/// [`xlate_of`] for an entry or event whose reverse key is `twin`: an IPv6
/// one's addresses are the twin's.
pub(crate) fn xlate_with(xflags: u8, twin: &Flow, src: (u32, u16), dst: (u32, u16)) -> Xlate {
    if twin.v6 == 0 {
        return xlate_of(xflags, src, dst);
    }
    let t = flow_key(twin);
    Xlate {
        src: (xflags & abi::X_SRC != 0).then_some((t.dst, src.1)),
        dst: (xflags & abi::X_DST != 0).then_some((t.src, dst.1)),
    }
}

/// A rewrite as the program stores it: `xflags` says which of the source
/// and destination (address, port) apply.
pub(crate) fn xlate_of(xflags: u8, src: (u32, u16), dst: (u32, u16)) -> Xlate {
    Xlate {
        src: (xflags & abi::X_SRC != 0).then_some((u128::from(src.0), src.1)),
        dst: (xflags & abi::X_DST != 0).then_some((u128::from(dst.0), dst.1)),
    }
}

/// The destination (or static) NAT rule of an entry: only a translation
/// names one (entries pinned by a program without destination NAT hold 0
/// there, padding).
pub(crate) fn dnat_rule(xflags: u8, id: u32) -> Option<u32> {
    (xflags & abi::X_DST != 0 && id != abi::NONE32).then_some(id)
}
