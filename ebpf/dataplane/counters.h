// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Per-CPU counters: drop reasons and verdicts, policy hits, NAT rule hits,
 * last outcome.
 */
#ifndef XPF_DP_COUNTERS_H
#define XPF_DP_COUNTERS_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XPF_DP_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_dp_counters SEC(".maps");

/* Indexed buf * XPF_DP_MAX_POLICIES + policy id: hits stay per snapshot. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_MAX_POLICIES);
	__type(key, __u32);
	__type(value, __u64);
} xpf_dp_policy_hits SEC(".maps");

/*
 * Indexed (buf * XPF_DP_NAT_IDS + rule id) * 2 + failed: translations of
 * each NAT rule that made a session, and those that could not (no port,
 * session key taken), as the pipeline's NatRuleHits. The loader carries a
 * rule's counts into the next buffer when a commit keeps the rule.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_NAT_IDS * 2);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_dp_nat_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_dp_last);
} xpf_dp_last SEC(".maps");

static __always_inline void xpf_dp_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&xpf_dp_counters, &idx);

	/* Per-CPU slot: only this CPU writes it. */
	if (v)
		*v += 1;
}

static __always_inline void xpf_dp_policy_hit(__u32 buf, __u32 id)
{
	__u32 idx;
	__u64 *v;

	if (id >= XPF_DP_MAX_POLICIES)
		return;
	idx = buf * XPF_DP_MAX_POLICIES + id;
	v = bpf_map_lookup_elem(&xpf_dp_policy_hits, &idx);
	if (v)
		*v += 1;
}

/* `id` XPF_DP_NONE32 (no rule) counts nothing. */
static __always_inline void xpf_dp_nat_hit(__u32 buf, __u32 id, int failed)
{
	__u32 idx;
	__u64 *v;

	if (id >= XPF_DP_NAT_IDS)
		return;
	idx = ((buf & 1) * XPF_DP_NAT_IDS + id) * 2 + !!failed;
	v = bpf_map_lookup_elem(&xpf_dp_nat_hits, &idx);
	if (v)
		*v += 1;
}

#endif
