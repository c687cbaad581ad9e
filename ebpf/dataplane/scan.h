// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Screen, the sweeps and port scans (crates/dataplane/src/stage/screen/
 * scan.rs): a window of the configured length opens at a source's first
 * probe; up to XPF_DP_SCAN_PROBES distinct targets (hosts for a sweep,
 * ports of one destination for a scan) pass in it, the next distinct one
 * is the attack, and from then on everything the screen covers from that
 * source is dropped until the window ends, and at least to the end of the
 * second. Repeating a target costs nothing.
 *
 * Windows are per CPU (the pipeline's per worker) in one LRU table: the
 * least recently seen window is forgotten first where the pipeline
 * forgets the one ending soonest; both can only let a scanner through.
 */
#ifndef XPF_DP_SCAN_H
#define XPF_DP_SCAN_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"
#include "dataplane/drop_reasons.h"
#include "dataplane/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, XPF_DP_SCAN_ENTRIES);
	__type(key, struct xpf_dp_scan_key);
	__type(value, struct xpf_dp_scan_window);
} xpf_dp_scans SEC(".maps");

/* A window that is not there yet starts at `now` (Window::new). */
static __always_inline void xpf_dp_scan_open(struct xpf_dp_scan_window *w, __u64 now, __u64 len)
{
	__builtin_memset(w, 0, sizeof(*w));
	w->start = now;
	w->len = len;
}

/* Records a probe of `t` in `w`; true when it is (part of) an attack. */
static __always_inline int xpf_dp_scan_probe(struct xpf_dp_scan_window *w, __u32 *t, __u64 now)
{
	if (now < w->blocked_until)
		return 1;
	if (now >= w->start && now - w->start >= w->len)
		xpf_dp_scan_open(w, now, w->len);
	for (int i = 0; i < XPF_DP_SCAN_PROBES; i++) {
		__u32 *s = w->target[i];

		if ((__u32)i >= w->seen)
			break;
		if (s[0] == t[0] && s[1] == t[1] && s[2] == t[2] && s[3] == t[3])
			return 0;
	}
	__u32 seen = w->seen;

	if (seen < XPF_DP_SCAN_PROBES) {
		__builtin_memcpy(w->target[seen], t, 16);
		w->seen = seen + 1;
		return 0;
	}
	__u64 rest_of_second = (now / 1000000000ull + 1) * 1000000000ull;
	__u64 ends = w->start + w->len;

	w->blocked_until = rest_of_second > ends ? rest_of_second : ends;
	return 1;
}

/* One screen's verdict on the packet: a probe counts, anything else
 * only finds out whether its source is blocked. */
static __always_inline int xpf_dp_scan_one(struct xpf_dp_scan_key *k, __u32 *target, int is_probe, __u64 len,
					   __u64 now)
{
	struct xpf_dp_scan_window *w = bpf_map_lookup_elem(&xpf_dp_scans, k);

	if (!is_probe)
		return w && now < w->blocked_until;
	if (!w) {
		struct xpf_dp_scan_window fresh;

		xpf_dp_scan_open(&fresh, now, len);
		bpf_map_update_elem(&xpf_dp_scans, k, &fresh, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&xpf_dp_scans, k);
		if (!w)
			return 0;
	}
	return xpf_dp_scan_probe(w, target, now);
}

/*
 * The sweep and port-scan screens of profile `s` for zone `zone`: the
 * first one the packet is an attack for (a drop reason), or 0; every
 * screen that applies counts it. A global function, verified on its own.
 */
__attribute__((noinline)) int xpf_dp_scan(struct xpf_pkt *p, struct xpf_dp_screen *s, __u32 zone, __u64 now)
{
	struct xpf_dp_scan_key k = {};
	__u32 target[4] = {};
	__u32 hit = 0, reason = 0, len_us = 0;
	int probe = 0, tcp_probe;

	if (!p || !s)
		return 0;
	/* Segments without ACK or RST open or probe a port (SYN, FIN, NULL,
	 * Xmas scans); every UDP datagram is a probe. */
	tcp_probe = p->tcp && !(p->tcp_flags & (XPF_TCP_ACK | XPF_TCP_RST));
	k.zone = zone;
	k.v6 = p->v6;
	if (p->v6) {
		__builtin_memcpy(k.src, p->src6, 16);
		__builtin_memcpy(target, p->dst6, 16);
	} else {
		k.src[0] = p->src;
		target[0] = p->dst;
	}
	/* Sweeps: hosts probed by a source; an echo request probes one. */
	if (p->proto == 1 || p->proto == 58) {
		k.probe = XPF_DP_SCAN_IP_SWEEP;
		len_us = s->scan_us[XPF_DP_SCAN_IP_SWEEP];
		probe = p->icmp && p->echo && (p->icmp_type == 8 || p->icmp_type == 128);
		reason = XPF_DROP_SCREEN_IP_SWEEP;
	} else if (p->proto == 6) {
		k.probe = XPF_DP_SCAN_TCP_SWEEP;
		len_us = s->scan_us[XPF_DP_SCAN_TCP_SWEEP];
		probe = tcp_probe;
		reason = XPF_DROP_SCREEN_TCP_SWEEP;
	} else if (p->proto == 17) {
		k.probe = XPF_DP_SCAN_UDP_SWEEP;
		len_us = s->scan_us[XPF_DP_SCAN_UDP_SWEEP];
		probe = 1;
		reason = XPF_DROP_SCREEN_UDP_SWEEP;
	}
	if (len_us && xpf_dp_scan_one(&k, target, probe, (__u64)len_us * 1000, now))
		hit = reason;
	/* Port scans: ports of one destination probed by a source. */
	len_us = 0;
	if (p->proto == 6) {
		k.probe = XPF_DP_SCAN_TCP_PORTS;
		len_us = s->scan_us[XPF_DP_SCAN_TCP_PORTS];
		probe = tcp_probe;
		reason = XPF_DROP_SCREEN_PORT_SCAN;
	} else if (p->proto == 17) {
		k.probe = XPF_DP_SCAN_UDP_PORTS;
		len_us = s->scan_us[XPF_DP_SCAN_UDP_PORTS];
		probe = 1;
		reason = XPF_DROP_SCREEN_UDP_PORT_SCAN;
	}
	if (len_us) {
		__builtin_memcpy(k.dst, target, 16);
		__builtin_memset(target, 0, 16);
		target[0] = p->dport;
		if (xpf_dp_scan_one(&k, target, probe, (__u64)len_us * 1000, now) && !hit)
			hit = reason;
	}
	return hit;
}

#endif
