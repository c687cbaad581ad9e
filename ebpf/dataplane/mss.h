// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: MSS clamp (`security flow tcp-mss all-tcp mss N`;
 * crates/dataplane/src/stage/rewrite.rs clamp_mss): a forwarded segment
 * with SYN set (SYN-ACKs too) whose MSS option is above N gets N, with the
 * pipeline's incremental checksum update, after the NAT and TTL rewrites
 * as there. The parser found the option (`mss_off`) with the pipeline's
 * option rules.
 */
#ifndef XPF_DP_MSS_H
#define XPF_DP_MSS_H

#include "dataplane/parse.h"
#include "dataplane/rewrite.h"

/* `l4` is the TCP header; `mss` 0: no clamp configured. */
static __always_inline void xpf_dp_mss_clamp(__u8 *l4, void *data_end, struct xpf_pkt *p, __u16 mss)
{
	if (!mss || !p->tcp || !(p->tcp_flags & XPF_TCP_SYN) || !p->mss_off || p->mss <= mss)
		return;
	__u8 *v = l4 + (p->mss_off & 63);

	if ((void *)(l4 + 18) > data_end || (void *)(v + 2) > data_end)
		return;
	xpf_put16(v, mss);
	/* At an odd offset the value straddles two checksum words and adds to
	 * the sum byte-swapped (clamp_mss in rewrite.rs says more). */
	if (p->mss_off & 1)
		xpf_put16(l4 + 16, xpf_csum16(xpf_get16(l4 + 16), __builtin_bswap16(p->mss), __builtin_bswap16(mss)));
	else
		xpf_put16(l4 + 16, xpf_csum16(xpf_get16(l4 + 16), p->mss, mss));
}

#endif
