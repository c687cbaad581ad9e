// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Between the AF_XDP shim and the eBPF dataplane when they share a box
 * (per-interface fallback, dataplane/handoff.h): the shim tail-calls the
 * dataplane (its program array xpf_handoff) with every transit frame of an
 * AF_XDP interface, and the dataplane tail-calls the shim's second entry,
 * xpf_xdp_shim_handback (its program array xpf_dp_handback), with the
 * flows that are the pipeline's. Which entry runs is the whole message:
 * nothing is written into the frame's metadata, so the hand-back works on
 * kernels that refuse bpf_xdp_adjust_meta.
 */
#ifndef XPF_HANDOFF_ABI_H
#define XPF_HANDOFF_ABI_H

/* The shim's two entry points, as the loaders name them. */
#define XPF_SHIM_ENTRY "xpf_xdp_shim"
#define XPF_SHIM_HANDBACK_ENTRY "xpf_xdp_shim_handback"

#endif
