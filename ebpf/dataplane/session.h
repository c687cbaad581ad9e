// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: session lookup (crates/dataplane/src/stage/conntrack.rs). Sessions
 * live in an LRU hash under both keys; the forward entry holds the timer
 * and TCP state (the tracker, dataplane/tcp_track.h).
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

/* The idle timeout a session has now: its TCP tracker's state decides. */
static __always_inline __u64 xpf_dp_timeout(struct xpf_dp_conf *c, struct xpf_dp_session *s)
{
	if (s->twin.proto != 6)
		return s->timeout;
	switch (s->tcp.state) {
	case XPF_DP_TRACK_SYN_SENT:
	case XPF_DP_TRACK_SYN_RECEIVED:
		return c->tcp_initial;
	case XPF_DP_TRACK_TIME_WAIT:
	case XPF_DP_TRACK_CLOSED:
		return c->tcp_closing;
	default:
		return s->timeout;
	}
}

/* `rst-invalidate-session`: an accepted RST ends the session at once. */
static __always_inline int xpf_dp_reset_ends(struct xpf_dp_conf *c, struct xpf_dp_session *fwd)
{
	return c->rst_invalidate && fwd->twin.proto == 6 && fwd->tcp.state == XPF_DP_TRACK_CLOSED;
}

#endif
