// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: the TCP state tracker (crates/dataplane/src/session/tcp.rs),
 * kept in a session's forward entry. It follows the handshake and teardown
 * and, with the sequence check on (the default), refuses resets outside
 * the receiver's window, so a blind or stray RST cannot end an established
 * connection (RFC 5961's concern); SYNs that do not belong are invalid.
 * A refused segment leaves the tracker as it was and is dropped.
 */
#ifndef XPF_DP_TCP_TRACK_H
#define XPF_DP_TCP_TRACK_H

#include "xpf_dp_abi.h"
#include "dataplane/parse.h"
#include "dataplane/drop_reasons.h"

/* Signed distance a - b in sequence space. */
static __always_inline __s64 xpf_seq_diff(__u32 a, __u32 b)
{
	return (__s32)(a - b);
}

/* What direction `dir` has sent, after segment `p` (tcp.rs `record`). */
static __always_inline void xpf_tcp_record(struct xpf_dp_tcp *t, __u8 dir, struct xpf_pkt *p)
{
	struct xpf_dp_tcp_side *side = &t->side[dir & 1];
	__u8 f = p->tcp_flags;
	__u32 end = p->seq + p->payload + !!(f & XPF_TCP_SYN) + !!(f & XPF_TCP_FIN);

	if (!(side->flags & XPF_DP_SIDE_SEEN) || xpf_seq_diff(end, side->end) > 0)
		side->end = end;
	if (f & XPF_TCP_SYN) {
		side->scale = p->wscale;
		side->flags = (side->flags & ~XPF_DP_SIDE_SCALE) | (p->has_wscale ? XPF_DP_SIDE_SCALE : 0);
	}
	if ((f & XPF_TCP_ACK) && (!(side->flags & XPF_DP_SIDE_ACKED) || xpf_seq_diff(p->ack, side->ack) > 0)) {
		side->ack = p->ack;
		side->flags |= XPF_DP_SIDE_ACKED;
	}
	int both = (t->side[0].flags & XPF_DP_SIDE_SCALE) && (t->side[1].flags & XPF_DP_SIDE_SCALE);
	__u32 shift = both && !(f & XPF_TCP_SYN) ? side->scale & 15 : 0;
	__u32 win = (__u32)p->window << shift;

	if (win > side->win)
		side->win = win;
	side->flags |= XPF_DP_SIDE_SEEN;
}

/* A new session's tracker, opened by `p` from the initiator. */
static __always_inline void xpf_tcp_open(struct xpf_dp_tcp *t, struct xpf_pkt *p)
{
	__builtin_memset(t, 0, sizeof(*t));
	/* Without a SYN (no-syn-check) it picks the stream up mid-way. */
	t->state = (p->tcp_flags & XPF_TCP_SYN) ? XPF_DP_TRACK_SYN_SENT : XPF_DP_TRACK_ESTABLISHED;
	xpf_tcp_record(t, 0, p);
}

/* Whether a RST travelling in `dir` is one the receiver would accept. */
static __always_inline int xpf_tcp_rst_ok(struct xpf_dp_tcp *t, __u8 dir, struct xpf_pkt *p)
{
	struct xpf_dp_tcp_side *recv = &t->side[(dir ^ 1) & 1];

	if (recv->flags & XPF_DP_SIDE_ACKED) {
		__s64 d = xpf_seq_diff(p->seq, recv->ack);

		return d >= 0 && d <= (__s64)(recv->win ? recv->win : 1);
	}
	if (t->state == XPF_DP_TRACK_SYN_SENT && dir == 1)
		/* The answer to our SYN: it must acknowledge it. */
		return (p->tcp_flags & XPF_TCP_ACK) && p->ack == t->side[0].end;
	return xpf_seq_diff(p->seq, recv->end) == 0 || !(recv->flags & XPF_DP_SIDE_SEEN);
}

/* Applies segment `p` travelling in `dir`: 0, or the drop reason. */
static __always_inline int xpf_tcp_track(struct xpf_dp_tcp *t, __u8 dir, struct xpf_pkt *p, int sequence_check)
{
	__u8 f = p->tcp_flags;

	dir &= 1;
	if (f & XPF_TCP_RST) {
		if (sequence_check && !xpf_tcp_rst_ok(t, dir, p))
			return XPF_DROP_TCP_OUT_OF_WINDOW;
		xpf_tcp_record(t, dir, p);
		t->state = XPF_DP_TRACK_CLOSED;
		return 0;
	}
	if (f & XPF_TCP_SYN) {
		if (t->state == XPF_DP_TRACK_SYN_SENT && dir == 0) {
		} else if ((t->state == XPF_DP_TRACK_SYN_SENT || t->state == XPF_DP_TRACK_SYN_RECEIVED) && dir == 1) {
			t->state = XPF_DP_TRACK_SYN_RECEIVED;
		} else if (!(t->state == XPF_DP_TRACK_SYN_RECEIVED && dir == 0)) {
			return XPF_DROP_TCP_INVALID;
		}
		xpf_tcp_record(t, dir, p);
		return 0;
	}
	/* Only a SYN-ACK or RST may answer a SYN. */
	if (t->state == XPF_DP_TRACK_SYN_SENT && dir == 1)
		return XPF_DROP_TCP_INVALID;
	xpf_tcp_record(t, dir, p);
	if (t->state == XPF_DP_TRACK_SYN_RECEIVED && dir == 0 && (f & XPF_TCP_ACK))
		t->state = XPF_DP_TRACK_ESTABLISHED;
	if (f & XPF_TCP_FIN) {
		t->side[dir].flags |= XPF_DP_SIDE_FIN;
		t->state = (t->side[dir ^ 1].flags & XPF_DP_SIDE_FIN) ? XPF_DP_TRACK_TIME_WAIT : XPF_DP_TRACK_CLOSING;
	}
	return 0;
}

#endif
