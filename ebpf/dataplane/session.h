// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: session lookup (crates/dataplane/src/stage/conntrack.rs). Sessions
 * live in an LRU hash under both keys; the forward entry holds the timer
 * and TCP state: the tracker (dataplane/tcp_track.h) and a coarse state
 * (SYN seen, answered, FIN/RST) for readers of the entry.
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

/* A new session's coarse TCP state: from a SYN, or mid-stream. */
static __always_inline __u8 xpf_dp_tcp_first(struct xpf_pkt *p)
{
	if (p->proto != 6)
		return XPF_DP_TCP_NONE;
	return (p->tcp_flags & XPF_TCP_SYN) ? XPF_DP_TCP_SYN_SENT : XPF_DP_TCP_ESTABLISHED;
}

/* `rst-invalidate-session`: an accepted RST ends the session at once. */
static __always_inline int xpf_dp_reset_ends(struct xpf_dp_conf *c, struct xpf_dp_session *fwd)
{
	return c->rst_invalidate && fwd->twin.proto == 6 && fwd->tcp.state == XPF_DP_TRACK_CLOSED;
}

/* Removes a session by the key of one entry (`k`, holding `s`). */
static __always_inline void xpf_dp_close(struct xpf_dp_flow *k, struct xpf_dp_session *s)
{
	bpf_map_delete_elem(&xpf_dp_sessions, &s->twin);
	bpf_map_delete_elem(&xpf_dp_sessions, k);
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
