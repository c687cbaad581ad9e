// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: fragments follow their first fragment, without reassembly
 * (crates/dataplane/src/stage/fragment.rs). Only the first fragment
 * carries the ports a session is found by; when it is forwarded, its
 * datagram's identity (addresses, protocol, IP id) is remembered with the
 * session it went by. Later fragments of that datagram go the same way,
 * addresses translated as the first's were (its transport checksum, which
 * covers the whole datagram, was fixed in the first), for 2 s and only
 * while the session lives. A later fragment with no forwarded first is
 * dropped, as the pipeline drops it.
 */
#ifndef XPF_DP_FRAGMENT_H
#define XPF_DP_FRAGMENT_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"
#include "dataplane/parse.h"

/* The pipeline's FRAGMENT_TIMEOUT: the Junos reassembly timeout. */
#define XPF_FRAGMENT_TIMEOUT 2000000000ull

/* IPv4 addresses in the first word, IPv6 ones as on the wire. */
struct xpf_dp_frag_key {
	__u32 src[4];
	__u32 dst[4];
	__u32 id;
	__u8 proto;
	__u8 v6;
	__u8 pad[2];
};

struct xpf_dp_frag {
	struct xpf_dp_flow key; /* the session entry the first fragment hit */
	__u64 expires;
};

/* Datagrams in flight, as the pipeline's FRAGMENT_ENTRIES per worker. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct xpf_dp_frag_key);
	__type(value, struct xpf_dp_frag);
} xpf_dp_frags SEC(".maps");

/* The key and value being written: per CPU, off the 512-byte stack. */
struct xpf_frag_scratch {
	struct xpf_dp_frag_key key;
	struct xpf_dp_frag val;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_frag_scratch);
} xpf_dp_frag_scratch SEC(".maps");

static __always_inline void xpf_frag_key(struct xpf_pkt *p, struct xpf_dp_frag_key *fk)
{
	__builtin_memset(fk, 0, sizeof(*fk));
	if (p->v6) {
		__builtin_memcpy(fk->src, p->src6, 16);
		__builtin_memcpy(fk->dst, p->dst6, 16);
		fk->v6 = 1;
	} else {
		fk->src[0] = p->src;
		fk->dst[0] = p->dst;
	}
	fk->id = p->frag_id;
	fk->proto = p->proto;
}

/* A forwarded first fragment: its later fragments follow session entry `k`. */
static __always_inline void xpf_dp_frag_remember(struct xpf_pkt *p, struct xpf_dp_flow *k, __u64 now)
{
	__u32 zero = 0;
	struct xpf_frag_scratch *f;

	if (p->frag != XPF_FRAG_FIRST)
		return;
	f = bpf_map_lookup_elem(&xpf_dp_frag_scratch, &zero);
	if (!f)
		return;
	xpf_frag_key(p, &f->key);
	__builtin_memcpy(&f->val.key, k, sizeof(f->val.key));
	f->val.expires = now + XPF_FRAGMENT_TIMEOUT;
	bpf_map_update_elem(&xpf_dp_frags, &f->key, &f->val, BPF_ANY);
}

/*
 * The session entry a later fragment follows, or 0: none remembered,
 * expired, or the session gone (its forward entry holds the timer).
 */
static __always_inline struct xpf_dp_session *xpf_dp_frag_follow(struct xpf_pkt *p, __u64 now)
{
	struct xpf_dp_frag_key fk;

	xpf_frag_key(p, &fk);
	struct xpf_dp_frag *f = bpf_map_lookup_elem(&xpf_dp_frags, &fk);

	if (!f || f->expires <= now)
		return 0;
	struct xpf_dp_session *s = bpf_map_lookup_elem(&xpf_dp_sessions, &f->key);

	if (!s)
		return 0;
	struct xpf_dp_session *fwd = s->dir ? bpf_map_lookup_elem(&xpf_dp_sessions, &s->twin) : s;

	if (!fwd || fwd->expires <= now)
		return 0;
	return s;
}

#endif
