// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: session lookup (crates/dataplane/src/stage/conntrack.rs). Sessions
 * live in an LRU hash under both keys; the forward entry holds the timer
 * and TCP state. TCP is tracked coarsely (SYN seen, answered, FIN/RST) for
 * timeouts only: sequence and window checks are the pipeline's alone.
 */
#ifndef XPF_DP_SESSION_H
#define XPF_DP_SESSION_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"
#include "dataplane/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, XPF_DP_SESSIONS);
	__type(key, struct xpf_dp_flow);
	__type(value, struct xpf_dp_session);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_dp_sessions SEC(".maps");

/* tcp_state: low 2 bits the state, then flags. */
#define XPF_TCP_STATE(s) ((s) & 3)
#define XPF_TCP_SYNACK_SEEN 0x10
#define XPF_TCP_FIN_FWD 0x20
#define XPF_TCP_FIN_REV 0x40

static __always_inline void xpf_flow_of(struct xpf_pkt *p, struct xpf_dp_flow *k)
{
	if (p->v6) {
		k->v6 = 1;
		__builtin_memcpy(k->src6, p->src6, 16);
		__builtin_memcpy(k->dst6, p->dst6, 16);
	} else {
		k->src = p->src;
		k->dst = p->dst;
	}
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
}

static __always_inline __u64 xpf_dp_timeout(struct xpf_dp_conf *c, struct xpf_dp_session *s)
{
	switch (XPF_TCP_STATE(s->tcp_state)) {
	case XPF_DP_TCP_SYN_SENT:
		return c->tcp_initial;
	case XPF_DP_TCP_CLOSING:
		return c->tcp_closing;
	default:
		return s->timeout;
	}
}

/* Advances the forward entry's TCP state for a segment in direction `dir`. */
static __always_inline void xpf_dp_tcp(struct xpf_dp_session *fwd, __u8 dir, __u8 flags)
{
	__u8 st = fwd->tcp_state;

	if (flags & XPF_TCP_RST) {
		fwd->tcp_state = (st & ~3) | XPF_DP_TCP_CLOSING;
		return;
	}
	if (dir == 1 && (flags & (XPF_TCP_SYN | XPF_TCP_ACK)) == (XPF_TCP_SYN | XPF_TCP_ACK))
		st |= XPF_TCP_SYNACK_SEEN;
	if (dir == 0 && XPF_TCP_STATE(st) == XPF_DP_TCP_SYN_SENT && (st & XPF_TCP_SYNACK_SEEN) &&
	    (flags & (XPF_TCP_SYN | XPF_TCP_ACK)) == XPF_TCP_ACK)
		st = (st & ~3) | XPF_DP_TCP_ESTABLISHED;
	if (flags & XPF_TCP_FIN)
		st |= dir ? XPF_TCP_FIN_REV : XPF_TCP_FIN_FWD;
	if ((st & (XPF_TCP_FIN_FWD | XPF_TCP_FIN_REV)) == (XPF_TCP_FIN_FWD | XPF_TCP_FIN_REV))
		st = (st & ~3) | XPF_DP_TCP_CLOSING;
	fwd->tcp_state = st;
}

#endif
