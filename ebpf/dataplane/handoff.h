// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: who owns a flow when AF_XDP and this program share the box
 * (issue 6, per-interface fallback). Where AF_XDP could not start on an
 * interface, this program runs there, and the AF_XDP shim on the others
 * tail-calls it with their transit frames first. A flow is the
 * pipeline's when it enters and leaves through AF_XDP interfaces; every
 * flow that touches a fallback interface is this program's, both ways,
 * since no AF_XDP socket can send or receive there. So a frame from an
 * AF_XDP interface that no session here takes, and whose route leaves
 * through an AF_XDP interface (or nowhere: the box, no route), goes back
 * to the shim's hand-back entry and on to the worker; so does an ICMP error or a
 * later fragment no session here takes (xpf_no_session). xpf_dp_afxdp is empty when
 * this program serves the box alone: nothing changes then.
 */
#ifndef XPF_DP_HANDOFF_H
#define XPF_DP_HANDOFF_H

#include <bpf/bpf_helpers.h>
#include "dataplane/fib.h"

/* The interfaces AF_XDP serves (ifindex → 1), written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} xpf_dp_afxdp SEC(".maps");

/* Slot 0: the AF_XDP shim's hand-back entry, while the two share the box. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xpf_dp_handback SEC(".maps");

/* xpf_run's answer for a frame that is the pipeline's. */
#define XPF_HANDBACK (-3)

static __always_inline int xpf_dp_afxdp_serves(__u32 ifindex)
{
	return bpf_map_lookup_elem(&xpf_dp_afxdp, &ifindex) != 0;
}

/* A new flow's route, from an AF_XDP interface: the pipeline's unless it leaves here. */
static __always_inline int xpf_dp_pipeline_route(int found, struct xpf_route *r)
{
	return found == XPF_ROUTE_NONE || xpf_dp_afxdp_serves(r->ifindex);
}

/* Whether the pipeline owns a new IPv4 flow to `dst` (after DNAT). */
static __always_inline int xpf_dp_pipeline_owns4(struct xdp_md *ctx, __u32 ingress, __u32 src, __u32 dst,
						 __u8 proto)
{
	struct xpf_route r = {};

	return xpf_dp_afxdp_serves(ingress) &&
	       xpf_dp_pipeline_route(xpf_fib(ctx, ingress, src, dst, proto, &r), &r);
}

/* xpf_dp_pipeline_owns4 for IPv6; addresses as on the wire. */
static __always_inline int xpf_dp_pipeline_owns6(struct xdp_md *ctx, __u32 ingress, __u32 *src, __u32 *dst,
						 __u8 proto)
{
	struct xpf_route r = {};

	return xpf_dp_afxdp_serves(ingress) &&
	       xpf_dp_pipeline_route(xpf_fib6(ctx, ingress, src, dst, proto, &r), &r);
}

/*
 * Tail-calls the shim's hand-back entry; returns only when none is set.
 * The entry itself says "handed back": no mark in the frame, so no
 * bpf_xdp_adjust_meta, which some kernels refuse XDP programs.
 */
static __always_inline void xpf_dp_hand_back(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &xpf_dp_handback, 0);
}

#endif
