// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The session clock: CLOCK_MONOTONIC, as the loader reads it, at the
 * kernel tick's resolution. Session timers count seconds, and the precise
 * clock reads the TSC, which costs about 20 ns a packet under a hypervisor;
 * the coarse one reads a variable. Screens that measure microseconds
 * (port and address sweeps) keep bpf_ktime_get_ns.
 */
#ifndef XPF_DP_CLOCK_H
#define XPF_DP_CLOCK_H

#include <bpf/bpf_helpers.h>

static __always_inline __u64 xpf_dp_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

#endif
