// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: the first packet of a flow, IPv4 (xpf_first) and IPv6
 * (xpf_first6): static and destination NAT, host-inbound, route, policy,
 * limit-session, source NAT, session create. Included by
 * xpf_xdp_dataplane.c after the sending helpers it uses (xpf_forward,
 * xpf_forward6, xpf_drop, ...), which stay there with the hit path.
 *
 * The two families are still two functions. They share the order of the
 * steps and the helpers that take the family as data (xpf_limit_admit,
 * the policy, session and event helpers), but their NAT stages differ in
 * shape (snat.h/dnat.h against nat6.h: a 32-bit address in a register
 * against a 128-bit one in the per-CPU work area). One body parameterised
 * by family would carry both NAT paths' states through its branches; it
 * has not been tried yet, and should be only with the differential test
 * and the verifier's instruction counts before and after.
 */
#ifndef XPF_DP_FIRST_H
#define XPF_DP_FIRST_H


/*
 * limit-session (dataplane/limit.h), after the policy and before source
 * NAT as in the pipeline: a drop reason, or 0 with the new session's
 * marks in `*marks`. The packet's own key (its forward key) is built in
 * the per-CPU work area for the check.
 */
static __always_inline int xpf_limit_admit(struct xpf_pkt *p, __u32 buf, __u32 zone, __u8 *marks)
{
	struct xpf_work *w = xpf_work();

	if (!w)
		return XPF_DROP_NO_CONFIG;
	__builtin_memset(&w->kf, 0, sizeof(w->kf));
	xpf_flow_of(p, &w->kf);
	return xpf_dp_limit_admit(&w->kf, buf << 16 | zone, marks);
}

/*
 * A UDP datagram to port 53 whose DNS header has the QR (response) bit:
 * as Junos (and the pipeline's dns_response_to_53), a first packet like
 * that is not a query and makes no session, unless allow-dns-reply.
 */
static __always_inline int xpf_dns_response_to_53(struct xdp_md *ctx, struct xpf_pkt *p)
{
	__u32 flags = p->l4 + 8 + 2; /* UDP header, DNS id, then flags */
	__u8 b = 0;

	if (p->proto != 17 || p->dport != 53 || flags >= p->end)
		return 0;
	if (bpf_xdp_load_bytes(ctx, flags & 0xffff, &b, 1))
		return 0;
	return b & 0x80;
}

/* The first packet of a flow: NAT, host, route, policy, NAT, session. */
static __always_inline int xpf_first(struct xdp_md *ctx, struct xpf_out *o, __u32 buf, struct xpf_dp_conf *conf,
				     struct xpf_dp_iface *iface, __u32 ingress, struct xpf_pkt *p, __u32 len)
{
	struct xpf_dnat_result dn = {};
	__u64 at = (__u64)buf << 48 | (__u64)iface->zone << 32 | (__u32)conf->n_static << 8 | conf->n_dnat;

	xpf_dp_dnat_run(p, at, ingress, &dn);
	__u32 dst = dn.addr;
	__u16 dport = dn.port;

	if (xpf_dp_pipeline_owns4(ctx, ingress, p->src, dst, p->proto))
		return XPF_HANDBACK;

	/* A translated destination is transit, even to one of the box's addresses. */
	if (!dn.done) {
		int h = xpf_dp_host_run(buf, ingress, iface, p);

		if (h == XPF_HOST_KERNEL)
			return XDP_PASS;
		if (h == XPF_HOST_DENIED)
			return xpf_drop(o, XPF_DROP_HOST_INBOUND_DENIED);
	}
	if (p->proto == 6 && conf->syn_check &&
	    (p->tcp_flags & (XPF_TCP_SYN | XPF_TCP_ACK | XPF_TCP_RST)) != XPF_TCP_SYN)
		return xpf_drop(o, XPF_DROP_TCP_NOT_SYN);
	if (conf->dns_reply_check && xpf_dns_response_to_53(ctx, p))
		return xpf_drop(o, XPF_DROP_DNS_REPLY_NO_SESSION);

	struct xpf_route fwd = {};
	int rs = xpf_fib(ctx, ingress, p->src, dst, p->proto, &fwd);

	if (rs == XPF_ROUTE_NONE)
		return xpf_drop(o, XPF_DROP_NO_ROUTE);
	struct xpf_dp_iface *out = xpf_dp_iface(buf, fwd.ifindex);

	if (!out || out->zone == XPF_DP_NO_ZONE)
		return xpf_drop(o, XPF_DROP_NO_ROUTE);

	__u16 port = p->icmp ? p->port : dport;
	struct xpf_dp_rule *rule = xpf_dp_policy(buf, conf, iface->zone, out->zone, p, dst, port);
	__u32 policy_id = XPF_DP_NONE32;
	__u32 timeout_s = 0;
	__u64 name_key = 0;
	__u8 log = 0;

	if (!rule) {
		if (!conf->default_permit)
			return xpf_drop(o, XPF_DROP_DEFAULT_DENY);
	} else {
		xpf_dp_policy_hit(buf, rule->policy_id);
		if (rule->action != XPF_DP_PERMIT && rule->log)
			xpf_dp_event_deny(p, rule->policy_id, ingress, fwd.ifindex);
		if (rule->action == XPF_DP_DENY)
			return xpf_drop(o, XPF_DROP_POLICY_DENY);
		if (rule->action != XPF_DP_PERMIT)
			return xpf_reject(ctx, o, p, ingress);
		policy_id = rule->policy_id;
		timeout_s = rule->timeout_s;
		name_key = rule->name_key;
		log = rule->log;
	}
	__u8 log_close = (log & XPF_DP_LOG_CLOSE) ? XPF_DP_F_LOG_CLOSE : 0;
	if (p->ttl <= 1)
		return xpf_time_exceeded(ctx, o, iface, p, ingress);
	__u8 marks = 0;
	int limited = xpf_limit_admit(p, buf, iface->zone, &marks);

	if (limited)
		return xpf_drop(o, limited);

	struct xpf_snat_result nat = {};
	int err = xpf_dp_snat_run(buf, conf, p, dst, dport, iface->zone, out->zone, fwd.ifindex, &nat);

	if (err) {
		xpf_dp_nat_hit(buf, nat.rule, 1);
		if (dn.done)
			xpf_dp_nat_hit(buf, dn.rule, 1);
		return xpf_drop(o, err);
	}
	__u32 nsrc = nat.done ? nat.addr : p->src;
	__u16 nsport = nat.done ? nat.port : p->sport;

	/* Answers go back the way the flow came in when no better route exists. */
	struct xpf_route back = {};
	int rb = xpf_fib(ctx, fwd.ifindex, dst, p->src, p->proto, &back);

	if (rb == XPF_ROUTE_NONE) {
		if (xpf_back_the_way_in(ctx, ingress, &back))
			return xpf_drop(o, XPF_DROP_MALFORMED);
		rb = XPF_ROUTE_OK;
	}

	__u64 now = xpf_dp_now();
	__u64 timeout = xpf_session_timeout(conf, p->proto, timeout_s);

	struct xpf_work *w = xpf_work();

	if (!w)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	struct xpf_dp_flow *kf = &w->kf, *kr = &w->kr;

	__builtin_memset(kf, 0, sizeof(*kf));
	__builtin_memset(kr, 0, sizeof(*kr));
	xpf_flow_of(p, kf);
	kr->src = dst;
	kr->dst = nsrc;
	kr->sport = p->echo ? nsport : dport;
	kr->dport = nsport;
	kr->proto = p->proto;

	__u32 zero = 0;
	struct xpf_dp_session *ns = bpf_map_lookup_elem(&xpf_dp_new_session, &zero);

	if (!ns)
		return xpf_drop(o, XPF_DROP_SESSION_TABLE_FULL);
	__builtin_memset(ns, 0, sizeof(*ns));

	ns->created = now;
	ns->timeout = timeout;
	ns->generation = conf->generation;
	ns->policy_id = policy_id;
	ns->snat_rule = nat.done ? nat.rule : XPF_DP_NONE32;
	ns->from_key = iface->zone_key;
	ns->to_key = out->zone_key;
	ns->name_key = name_key;
	ns->dnat_rule = dn.done ? dn.rule : XPF_DP_NONE32;
	if (p->proto == 6)
		xpf_tcp_open(&ns->tcp, p);

	/* The reverse direction: back to the original source, from the original destination. */
	ns->twin = *kf;
	ns->dir = 1;
	ns->egress_ifindex = back.ifindex;
	ns->ingress_ifindex = fwd.ifindex;
	ns->mac_flags = (rb == XPF_ROUTE_OK ? XPF_DP_MAC_OK : 0) | log_close;
	__builtin_memcpy(ns->smac, back.smac, 6);
	__builtin_memcpy(ns->dmac, back.dmac, 6);
	if (dn.done) {
		ns->xflags |= XPF_DP_X_SRC;
		ns->xsrc = p->dst;
		ns->xsport = p->echo ? nsport : p->dport;
	}
	if (nat.done) {
		ns->xflags |= XPF_DP_X_DST;
		ns->xdst = p->src;
		ns->xdport = p->sport;
	}
	if (bpf_map_update_elem(&xpf_dp_sessions, kr, ns, BPF_NOEXIST))
		return xpf_nat_failed(o, buf, &dn, &nat);

	ns->twin = *kr;
	ns->dir = 0;
	ns->packets = 1;
	ns->bytes = len;
	ns->egress_ifindex = fwd.ifindex;
	ns->mac_flags = (rs == XPF_ROUTE_OK ? XPF_DP_MAC_OK : 0) | log_close | marks;
	ns->ingress_ifindex = ingress;
	__builtin_memcpy(ns->smac, fwd.smac, 6);
	__builtin_memcpy(ns->dmac, fwd.dmac, 6);
	ns->xflags = 0;
	ns->xsrc = 0;
	ns->xsport = 0;
	ns->xdst = 0;
	ns->xdport = 0;
	if (nat.done) {
		ns->xflags |= XPF_DP_X_SRC;
		ns->xsrc = nat.addr;
		ns->xsport = nat.port;
	}
	if (dn.done) {
		ns->xflags |= XPF_DP_X_DST;
		ns->xdst = dn.addr;
		ns->xdport = dn.port;
	}
	ns->expires = now + xpf_dp_timeout(conf, ns);
	if (bpf_map_update_elem(&xpf_dp_sessions, kf, ns, BPF_NOEXIST)) {
		bpf_map_delete_elem(&xpf_dp_sessions, kr);
		return xpf_nat_failed(o, buf, &dn, &nat);
	}
	if (marks)
		xpf_dp_limit_take(kf, marks);
	xpf_dp_count(XPF_DP_CNT_CREATED);
	if (dn.done) {
		xpf_dp_count(XPF_DP_CNT_DNAT);
		xpf_dp_nat_hit(buf, dn.rule, 0);
	}
	if (nat.done) {
		xpf_dp_count(XPF_DP_CNT_SNAT);
		xpf_dp_nat_hit(buf, nat.rule, 0);
	}
	/* Forward from the stored copy: the same code path as every later hit. */
	struct xpf_dp_session *st = bpf_map_lookup_elem(&xpf_dp_sessions, kf);

	if (!st)
		return xpf_drop(o, XPF_DROP_SESSION_TABLE_FULL);
	if (log & XPF_DP_LOG_INIT)
		xpf_dp_event_session(XPF_DP_EV_INIT, 0, kf, st, 0, now);
	xpf_dp_frag_remember(p, kf, now);
	return xpf_forward(ctx, o, p, st, conf->mss);
}

/*
 * The first packet of an IPv6 flow, as xpf_first: static and destination
 * NAT, host, route, policy, source NAT (dataplane/nat6.h), session.
 */
static __always_inline int xpf_first6(struct xdp_md *ctx, struct xpf_out *o, __u32 buf, struct xpf_dp_conf *conf,
				      struct xpf_dp_iface *iface, __u32 ingress, struct xpf_pkt *p, __u32 len)
{
	__u32 zero = 0;
	struct xpf_nat6_work *nw = bpf_map_lookup_elem(&xpf_dp_nat6_work, &zero);

	if (!nw)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	struct xpf_nat6_result *dn = &nw->dn, *nat = &nw->sn;
	__u64 at = (__u64)buf << 48 | (__u64)iface->zone << 32 | (__u32)conf->n_static6 << 8 | conf->n_dnat;

	xpf_dp_dnat6_run(p, at, ingress, dn);
	__u16 dport = dn->port;

	if (xpf_dp_pipeline_owns6(ctx, ingress, p->src6, (__u32 *)dn->addr, p->proto))
		return XPF_HANDBACK;

	/* A translated destination is transit, even to one of the box's addresses. */
	if (!dn->done) {
		int h = xpf_dp_host_run6(buf, ingress, iface, p);

		if (h == XPF_HOST_KERNEL)
			return XDP_PASS;
		if (h == XPF_HOST_DENIED)
			return xpf_drop(o, XPF_DROP_HOST_INBOUND_DENIED);
	}
	if (p->proto == 6 && conf->syn_check &&
	    (p->tcp_flags & (XPF_TCP_SYN | XPF_TCP_ACK | XPF_TCP_RST)) != XPF_TCP_SYN)
		return xpf_drop(o, XPF_DROP_TCP_NOT_SYN);
	if (conf->dns_reply_check && xpf_dns_response_to_53(ctx, p))
		return xpf_drop(o, XPF_DROP_DNS_REPLY_NO_SESSION);

	struct xpf_route fwd = {};
	int rs = xpf_fib6(ctx, ingress, p->src6, (__u32 *)dn->addr, p->proto, &fwd);

	if (rs == XPF_ROUTE_NONE)
		return xpf_drop(o, XPF_DROP_NO_ROUTE);
	struct xpf_dp_iface *out = xpf_dp_iface(buf, fwd.ifindex);

	if (!out || out->zone == XPF_DP_NO_ZONE)
		return xpf_drop(o, XPF_DROP_NO_ROUTE);

	struct xpf_dp_rule *rule =
		xpf_dp_policy6(buf, conf, iface->zone, out->zone, p, (__u32 *)dn->addr, p->icmp ? p->port : dport);
	__u32 policy_id = XPF_DP_NONE32;
	__u32 timeout_s = 0;
	__u64 name_key = 0;
	__u8 log = 0;

	if (!rule) {
		if (!conf->default_permit)
			return xpf_drop(o, XPF_DROP_DEFAULT_DENY);
	} else {
		xpf_dp_policy_hit(buf, rule->policy_id);
		if (rule->action != XPF_DP_PERMIT && rule->log)
			xpf_dp_event_deny(p, rule->policy_id, ingress, fwd.ifindex);
		if (rule->action == XPF_DP_DENY)
			return xpf_drop(o, XPF_DROP_POLICY_DENY);
		if (rule->action != XPF_DP_PERMIT)
			return xpf_reject6(ctx, o, p, ingress);
		policy_id = rule->policy_id;
		timeout_s = rule->timeout_s;
		name_key = rule->name_key;
		log = rule->log;
	}
	__u8 log_close = (log & XPF_DP_LOG_CLOSE) ? XPF_DP_F_LOG_CLOSE : 0;
	if (p->ttl <= 1)
		return xpf_time_exceeded6(ctx, o, iface, p, ingress);
	__u8 marks = 0;
	int limited = xpf_limit_admit(p, buf, iface->zone, &marks);

	if (limited)
		return xpf_drop(o, limited);

	__u64 bz = (__u64)buf << 32 | (__u32)iface->zone << 16 | out->zone;
	int err = xpf_dp_snat6_run(p, dn, bz, fwd.ifindex, nat);

	if (err) {
		xpf_dp_nat_hit(buf, nat->rule, 1);
		if (dn->done)
			xpf_dp_nat_hit(buf, dn->rule, 1);
		return xpf_drop(o, err);
	}
	__u16 nsport = nat->done ? nat->port : p->sport;

	/* Answers go back the way the flow came in when no better route exists. */
	struct xpf_route back = {};
	int rb = xpf_fib6(ctx, fwd.ifindex, (__u32 *)dn->addr, p->src6, p->proto, &back);

	if (rb == XPF_ROUTE_NONE) {
		if (xpf_back_the_way_in(ctx, ingress, &back))
			return xpf_drop(o, XPF_DROP_MALFORMED);
		rb = XPF_ROUTE_OK;
	}

	__u64 now = xpf_dp_now();
	__u64 timeout = xpf_session_timeout(conf, p->proto, timeout_s);

	struct xpf_work *w = xpf_work();

	if (!w)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	struct xpf_dp_flow *kf = &w->kf, *kr = &w->kr;

	__builtin_memset(kf, 0, sizeof(*kf));
	__builtin_memset(kr, 0, sizeof(*kr));
	xpf_flow_of(p, kf);
	kr->v6 = 1;
	__builtin_memcpy(kr->src6, dn->addr, 16);
	if (nat->done)
		__builtin_memcpy(kr->dst6, nat->addr, 16);
	else
		__builtin_memcpy(kr->dst6, p->src6, 16);
	kr->sport = p->echo ? nsport : dport;
	kr->dport = nsport;
	kr->proto = p->proto;

	struct xpf_dp_session *ns = bpf_map_lookup_elem(&xpf_dp_new_session, &zero);

	if (!ns)
		return xpf_drop(o, XPF_DROP_SESSION_TABLE_FULL);
	__builtin_memset(ns, 0, sizeof(*ns));
	ns->created = now;
	ns->timeout = timeout;
	ns->generation = conf->generation;
	ns->policy_id = policy_id;
	ns->snat_rule = nat->done ? nat->rule : XPF_DP_NONE32;
	ns->from_key = iface->zone_key;
	ns->to_key = out->zone_key;
	ns->name_key = name_key;
	ns->dnat_rule = dn->done ? dn->rule : XPF_DP_NONE32;
	if (p->proto == 6)
		xpf_tcp_open(&ns->tcp, p);

	/* The reverse direction; its rewrite addresses are its twin's (nat6.h). */
	ns->twin = *kf;
	ns->dir = 1;
	ns->egress_ifindex = back.ifindex;
	ns->ingress_ifindex = fwd.ifindex;
	ns->mac_flags = (rb == XPF_ROUTE_OK ? XPF_DP_MAC_OK : 0) | log_close;
	__builtin_memcpy(ns->smac, back.smac, 6);
	__builtin_memcpy(ns->dmac, back.dmac, 6);
	if (dn->done) {
		ns->xflags |= XPF_DP_X_SRC;
		ns->xsport = p->echo ? nsport : p->dport;
	}
	if (nat->done) {
		ns->xflags |= XPF_DP_X_DST;
		ns->xdport = p->sport;
	}
	if (bpf_map_update_elem(&xpf_dp_sessions, kr, ns, BPF_NOEXIST))
		return xpf_nat6_failed(o, buf, dn, nat);

	ns->twin = *kr;
	ns->dir = 0;
	ns->packets = 1;
	ns->bytes = len;
	ns->egress_ifindex = fwd.ifindex;
	ns->ingress_ifindex = ingress;
	ns->mac_flags = (rs == XPF_ROUTE_OK ? XPF_DP_MAC_OK : 0) | log_close | marks;
	__builtin_memcpy(ns->smac, fwd.smac, 6);
	__builtin_memcpy(ns->dmac, fwd.dmac, 6);
	ns->xflags = 0;
	ns->xsport = 0;
	ns->xdport = 0;
	if (nat->done) {
		ns->xflags |= XPF_DP_X_SRC;
		ns->xsport = nat->port;
	}
	if (dn->done) {
		ns->xflags |= XPF_DP_X_DST;
		ns->xdport = dn->port;
	}
	ns->expires = now + xpf_dp_timeout(conf, ns);
	if (bpf_map_update_elem(&xpf_dp_sessions, kf, ns, BPF_NOEXIST)) {
		bpf_map_delete_elem(&xpf_dp_sessions, kr);
		return xpf_nat6_failed(o, buf, dn, nat);
	}
	if (marks)
		xpf_dp_limit_take(kf, marks);
	xpf_dp_count(XPF_DP_CNT_CREATED);
	if (dn->done) {
		xpf_dp_count(XPF_DP_CNT_DNAT);
		xpf_dp_nat_hit(buf, dn->rule, 0);
	}
	if (nat->done) {
		xpf_dp_count(XPF_DP_CNT_SNAT);
		xpf_dp_nat_hit(buf, nat->rule, 0);
	}
	struct xpf_dp_session *st = bpf_map_lookup_elem(&xpf_dp_sessions, kf);

	if (!st)
		return xpf_drop(o, XPF_DROP_SESSION_TABLE_FULL);
	if (log & XPF_DP_LOG_INIT)
		xpf_dp_event_session(XPF_DP_EV_INIT, 0, kf, st, 0, now);
	xpf_dp_frag_remember(p, kf, now);
	return xpf_forward6(ctx, o, p, st, conf->mss);
}

#endif
