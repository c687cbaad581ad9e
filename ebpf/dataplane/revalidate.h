// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: revalidation after a commit (crates/dataplane/src/stage/
 * conntrack.rs, `revalidate`). A session made under an older snapshot
 * keeps flowing only while its zones exist and a permitting policy of the
 * same name does (its zone pair's, else a global one), or, made by
 * `default-policy permit-all`, while that stays the default. Names, not
 * ids: ids move when policies are inserted. Checked at a session's next
 * packet, so a commit costs nothing per session.
 */
#ifndef XPF_DP_REVALIDATE_H
#define XPF_DP_REVALIDATE_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_BUFS * (XPF_DP_MAX_POLICIES + 1024));
	__type(key, struct xpf_dp_name_key);
	__type(value, struct xpf_dp_name);
} xpf_dp_names SEC(".maps");

static __always_inline struct xpf_dp_name *xpf_dp_name(__u32 buf, __u64 from, __u64 to, __u64 name)
{
	struct xpf_dp_name_key k = { .buf = buf, .from = from, .to = to, .name = name };

	return bpf_map_lookup_elem(&xpf_dp_names, &k);
}

/* 1: the session (its forward entry `s`) stays, under the live policy id. */
static __always_inline int xpf_dp_revalidate(__u32 buf, struct xpf_dp_conf *conf, struct xpf_dp_session *s)
{
	struct xpf_dp_name *n;

	if (s->generation == conf->generation)
		return 1;
	if (!xpf_dp_name(buf, s->from_key, 0, 0) || !xpf_dp_name(buf, s->to_key, 0, 0))
		return 0;
	if (s->policy_id == XPF_DP_NONE32) {
		if (!conf->default_permit)
			return 0;
	} else {
		n = xpf_dp_name(buf, s->from_key, s->to_key, s->name_key);
		if (!n)
			n = xpf_dp_name(buf, 0, 0, s->name_key);
		if (!n || n->action != XPF_DP_PERMIT)
			return 0;
		s->policy_id = n->policy_id;
	}
	s->generation = conf->generation;
	return 1;
}

#endif
