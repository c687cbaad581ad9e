// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: session events for the RT_FLOW log (crates/dataplane/src/log.rs).
 * The pipeline's workers queue a record when a logging policy makes,
 * closes or denies a session; here the record is a struct xpf_dp_event in
 * a ring buffer the loader drains. A full ring never stalls a packet: the
 * event is counted (XPF_DP_CNT_EVENTS_LOST) and lost, as the pipeline's
 * full log queue loses records.
 *
 * Events are written straight into the ring's reservation: the first
 * packet's path has no stack to spare for a copy.
 */
#ifndef XPF_DP_EVENTS_H
#define XPF_DP_EVENTS_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"
#include "dataplane/counters.h"
#include "dataplane/session.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, XPF_DP_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_dp_events SEC(".maps");

/* Why an expired session closed, as the pipeline's expiry_reason says it. */
static __always_inline __u8 xpf_dp_close_reason(struct xpf_dp_session *fwd)
{
	if (fwd->twin.proto != 6)
		return XPF_DP_CLOSE_IDLE;
	if (fwd->tcp.state == XPF_DP_TRACK_TIME_WAIT)
		return XPF_DP_CLOSE_TCP_FIN;
	if (fwd->tcp.state == XPF_DP_TRACK_CLOSED)
		return XPF_DP_CLOSE_TCP_RST;
	return XPF_DP_CLOSE_IDLE;
}

static __always_inline struct xpf_dp_event *xpf_dp_event_reserve(void)
{
	struct xpf_dp_event *e = bpf_ringbuf_reserve(&xpf_dp_events, sizeof(*e), 0);

	if (!e)
		xpf_dp_count(XPF_DP_CNT_EVENTS_LOST);
	return e;
}

/*
 * An INIT or CLOSE event (closed for `why`, an XPF_DP_CLOSE_*) of the
 * session whose forward entry is `fwd` under key `key`; `rev` (may be 0)
 * gives the reverse direction's counters.
 */
static __always_inline void xpf_dp_event_session(__u8 kind, __u8 why, struct xpf_dp_flow *key,
						 struct xpf_dp_session *fwd, struct xpf_dp_session *rev, __u64 now)
{
	struct xpf_dp_event *e = xpf_dp_event_reserve();

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->reason = why;
	e->xflags = fwd->xflags;
	e->policy_id = fwd->policy_id;
	e->snat_rule = fwd->snat_rule;
	e->dnat_rule = fwd->dnat_rule;
	e->ingress_ifindex = fwd->ingress_ifindex;
	e->egress_ifindex = fwd->egress_ifindex;
	e->xsrc = fwd->xsrc;
	e->xdst = fwd->xdst;
	e->xsport = fwd->xsport;
	e->xdport = fwd->xdport;
	e->generation = (__u32)fwd->generation;
	e->created = fwd->created;
	e->at = now;
	e->packets[0] = fwd->packets;
	e->bytes[0] = fwd->bytes;
	if (rev) {
		e->packets[1] = rev->packets;
		e->bytes[1] = rev->bytes;
	}
	__builtin_memcpy(&e->flow, key, sizeof(e->flow));
	__builtin_memcpy(&e->twin, &fwd->twin, sizeof(e->twin));
	bpf_ringbuf_submit(e, 0);
}

/* A DENY event: a logging policy refused the first packet `p`. */
static __always_inline void xpf_dp_event_deny(struct xpf_pkt *p, __u32 policy_id, __u32 ingress, __u32 egress)
{
	struct xpf_dp_event *e = xpf_dp_event_reserve();

	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	e->kind = XPF_DP_EV_DENY;
	e->policy_id = policy_id;
	e->snat_rule = XPF_DP_NONE32;
	e->dnat_rule = XPF_DP_NONE32;
	e->ingress_ifindex = ingress;
	e->egress_ifindex = egress;
	e->at = bpf_ktime_get_ns();
	xpf_flow_of(p, &e->flow);
	bpf_ringbuf_submit(e, 0);
}

#endif
