// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: the limit-session screen (crates/dataplane/src/session/limit.rs,
 * screen::admit_session). A new session through a zone whose screen
 * limits sessions is refused when its source (then its destination)
 * already has the limit; admitted, its forward entry is marked
 * (XPF_DP_F_LIMIT_*) and takes a count of each limited address, given
 * back when that entry is removed, however: expiry, RST, policy delete,
 * the sweep (xpf_close in xpf_xdp_dataplane.c), or the loader's clear.
 * Counts are per address over the whole box, where the pipeline's are per
 * worker: with one worker, the same.
 *
 * The session table is an LRU hash: an entry it evicts to make room is
 * removed without a close, and its counts would leak. The sweep reconciles
 * once a second (xpf_dp_limit_seen, xpf_dp_limit_fix): it counts the
 * marked forward entries it walks per address and lowers every count
 * above that to it, but only for addresses that took no count since the
 * walk began, whose sessions all existed before it. Drift from evictions
 * thus lasts until the first sweep in which the address opened no
 * session. Counts are only ever lowered there: never raised, so the
 * reconciliation cannot refuse what the pipeline would admit.
 *
 * Between CPUs, counts change by atomic adds; an entry is removed at zero,
 * and a count taken by another CPU in the instant between that zero and
 * the removal is lost (one session uncounted for its lifetime). The
 * loader gives back what it removes from userspace, not atomically with
 * the program: a race there drifts the same way, a count too high being
 * lowered by the sweep.
 */
#ifndef XPF_DP_LIMIT_H
#define XPF_DP_LIMIT_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"
#include "dataplane/counters.h"
#include "dataplane/drop_reasons.h"
#include "dataplane/parse.h"
#include "dataplane/screen.h"
#include "dataplane/session.h"

/*
 * One count per limited address of a live session: never more entries
 * than the session table has (the loader sizes both alike). Not
 * preallocated: a box that limits nothing pays no memory for them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_SESSIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xpf_dp_limit_key);
	__type(value, struct xpf_dp_limit);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_dp_limits SEC(".maps");

/* The sweep's own tally of marked sessions per address (only it runs it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_SESSIONS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xpf_dp_limit_key);
	__type(value, __u32);
} xpf_dp_limit_tally SEC(".maps");

/* The key of flow `f`'s source (`dst` 0) or destination (`dst` 1). */
static __always_inline void xpf_dp_limit_key_of(struct xpf_dp_flow *f, __u8 dst, struct xpf_dp_limit_key *lk)
{
	__builtin_memset(lk, 0, sizeof(*lk));
	lk->dst = dst;
	lk->v6 = f->v6;
	if (f->v6)
		__builtin_memcpy(lk->addr, dst ? f->dst6 : f->src6, 16);
	else
		lk->addr[0] = dst ? f->dst : f->src;
}

static __always_inline __u32 xpf_dp_limit_count(struct xpf_dp_limit_key *lk)
{
	struct xpf_dp_limit *v = bpf_map_lookup_elem(&xpf_dp_limits, lk);

	return v ? v->count : 0;
}

/*
 * Whether zone `bz & 0xffff`'s screen (config buffer `bz >> 16`) admits a
 * new session of flow `f`: a drop reason, or 0 with the marks the session
 * is to carry in `*marks`. `alarm-without-drop` counts a hit and admits,
 * marked. A global function: its keys stay off the first packet's stack.
 */
__attribute__((noinline)) int xpf_dp_limit_admit(struct xpf_dp_flow *f, __u32 bz, __u8 *marks)
{
	__u32 zone = bz & 0xffff;
	__u32 idx = ((bz >> 16) & 1) * XPF_DP_SCREEN_ZONES + zone;
	struct xpf_dp_limit_key lk;
	struct xpf_dp_screen *s;
	__u32 hit = 0;

	if (!f || !marks || zone >= XPF_DP_SCREEN_ZONES)
		return 0;
	*marks = 0;
	s = bpf_map_lookup_elem(&xpf_dp_screens, &idx);
	if (!s || !s->on)
		return 0;
	if (s->limit_src != XPF_DP_NONE32) {
		xpf_dp_limit_key_of(f, 0, &lk);
		if (xpf_dp_limit_count(&lk) >= s->limit_src)
			hit = XPF_DROP_SCREEN_LIMIT_SESSION_SOURCE;
		*marks |= XPF_DP_F_LIMIT_SRC;
	}
	if (s->limit_dst != XPF_DP_NONE32) {
		xpf_dp_limit_key_of(f, 1, &lk);
		if (!hit && xpf_dp_limit_count(&lk) >= s->limit_dst)
			hit = XPF_DROP_SCREEN_LIMIT_SESSION_DESTINATION;
		*marks |= XPF_DP_F_LIMIT_DST;
	}
	if (hit && s->alarm_only) {
		xpf_dp_count(XPF_DP_CNT_SCREEN_ALARMS);
		return 0;
	}
	return hit;
}

static __always_inline void xpf_dp_limit_take1(struct xpf_dp_limit_key *lk, __u64 now)
{
	struct xpf_dp_limit *v = bpf_map_lookup_elem(&xpf_dp_limits, lk);

	if (!v) {
		struct xpf_dp_limit fresh = {};

		/* A full map leaves the session uncounted, as a lost race does. */
		bpf_map_update_elem(&xpf_dp_limits, lk, &fresh, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&xpf_dp_limits, lk);
		if (!v)
			return;
	}
	/* Stamped before the count rises: the sweep reads them the other way round. */
	v->changed = now;
	__sync_fetch_and_add(&v->count, 1);
}

static __always_inline void xpf_dp_limit_give1(struct xpf_dp_limit_key *lk)
{
	struct xpf_dp_limit *v = bpf_map_lookup_elem(&xpf_dp_limits, lk);

	if (!v)
		return;
	/* No fetching atomics below BPF v3: add, then look. */
	if (*(volatile __u32 *)&v->count)
		__sync_fetch_and_add(&v->count, -1);
	if (*(volatile __u32 *)&v->count == 0)
		bpf_map_delete_elem(&xpf_dp_limits, lk);
}

/*
 * A session of flow `f` was made with `marks`: it takes its counts,
 * stamped by the precise clock (bpf_ktime_get_ns), as the sweep's walk
 * start is: the coarse session clock (clock.h) could not tell a take in
 * the walk's own tick from one before it.
 */
__attribute__((noinline)) int xpf_dp_limit_take(struct xpf_dp_flow *f, __u32 marks)
{
	struct xpf_dp_limit_key lk;
	__u64 now = bpf_ktime_get_ns();

	if (!f)
		return 0;
	if (marks & XPF_DP_F_LIMIT_SRC) {
		xpf_dp_limit_key_of(f, 0, &lk);
		xpf_dp_limit_take1(&lk, now);
	}
	if (marks & XPF_DP_F_LIMIT_DST) {
		xpf_dp_limit_key_of(f, 1, &lk);
		xpf_dp_limit_take1(&lk, now);
	}
	return 0;
}

/*
 * Removes the forward entry under `fk`, whose marks are `marks` (read by
 * the caller before), and gives back its counts when this call removed it:
 * of two CPUs closing one session, only one does. 1 when removed here.
 */
__attribute__((noinline)) int xpf_dp_remove_forward(struct xpf_dp_flow *fk, __u32 marks)
{
	struct xpf_dp_limit_key lk;
	struct xpf_dp_flow k;

	if (!fk)
		return 0;
	/* `fk` may be in an entry about to go: the key is kept here first. */
	__builtin_memcpy(&k, fk, sizeof(k));
	if (bpf_map_delete_elem(&xpf_dp_sessions, &k))
		return 0;
	if (marks & XPF_DP_F_LIMIT_SRC) {
		xpf_dp_limit_key_of(&k, 0, &lk);
		xpf_dp_limit_give1(&lk);
	}
	if (marks & XPF_DP_F_LIMIT_DST) {
		xpf_dp_limit_key_of(&k, 1, &lk);
		xpf_dp_limit_give1(&lk);
	}
	return 1;
}

/* The sweep's walk: a live marked forward entry under `fk`, tallied. */
static __always_inline void xpf_dp_limit_seen(struct xpf_dp_flow *fk, __u8 marks, __u32 *overflow)
{
	struct xpf_dp_limit_key lk;

#pragma unroll
	for (int d = 0; d < 2; d++) {
		if (!(marks & (d ? XPF_DP_F_LIMIT_DST : XPF_DP_F_LIMIT_SRC)))
			continue;
		xpf_dp_limit_key_of(fk, d, &lk);
		__u32 *n = bpf_map_lookup_elem(&xpf_dp_limit_tally, &lk);

		if (n) {
			*n += 1;
		} else {
			__u32 one = 1;

			if (bpf_map_update_elem(&xpf_dp_limit_tally, &lk, &one, BPF_NOEXIST))
				*overflow = 1;
		}
	}
}

struct xpf_limit_fix {
	__u64 start; /* when the sweep's walk began */
	__u32 overflow; /* the tally missed a session: correct nothing */
	__u32 fixed;
};

/*
 * After the walk, one count: lowered to the tally when above it and
 * quiet since the walk began; removed at zero. The tally is emptied.
 */
static long xpf_dp_limit_fix(void *map, struct xpf_dp_limit_key *key, struct xpf_dp_limit *v,
			     struct xpf_limit_fix *w)
{
	struct xpf_dp_limit_key lk;
	__u32 seen = 0;

	__builtin_memcpy(&lk, key, sizeof(lk));
	__u32 *n = bpf_map_lookup_elem(&xpf_dp_limit_tally, &lk);

	if (n) {
		seen = *n;
		bpf_map_delete_elem(&xpf_dp_limit_tally, &lk);
	}
	/* The count first, then the stamp: a take between them shows as changed. */
	__u32 count = *(volatile __u32 *)&v->count;

	asm volatile("" ::: "memory");
	if (w->overflow || *(volatile __u64 *)&v->changed >= w->start)
		return 0;
	if (count > seen) {
		__sync_fetch_and_add(&v->count, seen - count);
		w->fixed += count - seen;
	}
	if (!seen)
		bpf_map_delete_elem(&xpf_dp_limits, &lk);
	return 0;
}

/* What is left of the tally (addresses with no count) is only emptied. */
static long xpf_dp_limit_untally(void *map, struct xpf_dp_limit_key *key, __u32 *n, void *unused)
{
	struct xpf_dp_limit_key lk;

	__builtin_memcpy(&lk, key, sizeof(lk));
	bpf_map_delete_elem(&xpf_dp_limit_tally, &lk);
	return 0;
}

#endif
