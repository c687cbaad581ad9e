// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * XDP programs of the forwarding benchmark (qa/bench/src/forwarding.rs).
 *
 * bench_gen:      the generator. Run with BPF_PROG_TEST_RUN and
 *                 BPF_F_TEST_XDP_LIVE_FRAMES on the generator's veth: every
 *                 run writes a fresh Ethernet/IPv4/UDP header (the kernel
 *                 recycles pages that came back rewritten by the forwarder),
 *                 picks one of FLOWS destination ports and transmits (XDP_TX).
 * bench_drop:     the sink; the veth counts rx_queue_0_xdp_packets.
 * bench_redirect: mode (d), the limit: rewrite the MACs and redirect to
 *                 REDIRECT_IFINDEX, no lookup.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define HDR_LEN 42 /* Ethernet 14 + IPv4 20 + UDP 8 */

volatile const __u8 TEMPLATE[HDR_LEN] = {};
volatile const __u32 FLOWS = 1;
volatile const __u16 BASE_PORT = 10000;
volatile const __u32 REDIRECT_IFINDEX = 0;
volatile const __u8 REDIRECT_MACS[12] = {}; /* destination, then source */

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + HDR_LEN > end)
		return XDP_ABORTED;
#pragma unroll
	for (int i = 0; i < HDR_LEN; i++)
		data[i] = TEMPLATE[i];
	__u32 flows = FLOWS;
	__u16 port = BASE_PORT;
	if (flows > 1)
		port += bpf_get_prandom_u32() % flows;
	/* UDP destination port, network order; the UDP checksum is 0 (none). */
	data[36] = port >> 8;
	data[37] = port & 0xff;
	return XDP_TX;
}

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int bench_redirect(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + 14 > end)
		return XDP_DROP;
#pragma unroll
	for (int i = 0; i < 12; i++)
		data[i] = REDIRECT_MACS[i];
	return bpf_redirect(REDIRECT_IFINDEX, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
