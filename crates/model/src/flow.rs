// SPDX-License-Identifier: Apache-2.0
//! `security flow`: session handling knobs — TCP MSS clamping, aggressive
//! session ageing, and TCP state checks.

use xpf_config::Statement;

use crate::check::{Checks, Path};
use crate::read::{child, flag, number_of, value};

/// `security flow`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Flow {
    /// `tcp-mss`.
    pub tcp_mss: TcpMss,
    /// `aging`.
    pub aging: Aging,
    /// `tcp-session`.
    pub tcp_session: TcpSession,
    /// `allow-dns-reply`: a first UDP packet to port 53 may be a DNS
    /// response (Junos drops those by default).
    pub allow_dns_reply: bool,
}

/// `tcp-mss`: clamp the MSS option of TCP SYNs (`None`: not clamped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TcpMss {
    /// `all-tcp mss`.
    pub all_tcp: Option<u16>,
    /// `ipsec-vpn mss` (1320 when enabled without a value).
    pub ipsec_vpn: Option<u16>,
    /// `gre-in mss` (1360 when enabled without a value).
    pub gre_in: Option<u16>,
    /// `gre-out mss` (1360 when enabled without a value).
    pub gre_out: Option<u16>,
}

/// `aging`: age sessions faster when the session table fills.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aging {
    /// `early-ageout`: seconds a session lives once ageing is aggressive.
    pub early_ageout: Option<u32>,
    /// `high-watermark`: table fill percentage that starts aggressive ageing.
    pub high_watermark: Option<u32>,
    /// `low-watermark`: table fill percentage that stops it.
    pub low_watermark: Option<u32>,
}

/// `tcp-session`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TcpSession {
    /// `no-syn-check`: create sessions from non-SYN packets.
    pub no_syn_check: bool,
    /// `no-syn-check-in-tunnel`.
    pub no_syn_check_in_tunnel: bool,
    /// `no-sequence-check`.
    pub no_sequence_check: bool,
    /// `strict-syn-check`.
    pub strict_syn_check: bool,
    /// `rst-invalidate-session`: close a session on RST at once.
    pub rst_invalidate_session: bool,
    /// `rst-sequence-check`.
    pub rst_sequence_check: bool,
    /// `fin-invalidate-session`: close a session on FIN at once.
    pub fin_invalidate_session: bool,
    /// `tcp-initial-timeout`: seconds a half-open session lives.
    pub tcp_initial_timeout: Option<u32>,
    /// `time-wait-state session-timeout`: seconds in TIME_WAIT.
    pub time_wait_timeout: Option<u32>,
}

/// Reads `security flow` (`st`).
pub(crate) fn build(st: &Statement, ck: &mut Checks) -> Flow {
    let path = Path::of(&["security", "flow"]);
    let mut flow = Flow {
        allow_dns_reply: flag(st, "allow-dns-reply"),
        ..Flow::default()
    };
    if let Some(mss) = child(st, "tcp-mss") {
        let mp = path.join(mss);
        let read = |ck: &mut Checks, kw: &str, default: Option<u16>| -> Option<u16> {
            let c = child(mss, kw)?;
            let v = number_of(ck, &mp.join(c), c, "mss").or(default);
            if v.is_none() && value(c, "mss").is_none() {
                ck.missing(&mp, c, "mss");
            }
            v
        };
        flow.tcp_mss = TcpMss {
            all_tcp: read(ck, "all-tcp", None),
            ipsec_vpn: read(ck, "ipsec-vpn", Some(1320)),
            gre_in: read(ck, "gre-in", Some(1360)),
            gre_out: read(ck, "gre-out", Some(1360)),
        };
    }
    if let Some(a) = child(st, "aging") {
        let ap = path.join(a);
        flow.aging = Aging {
            early_ageout: number_of(ck, &ap, a, "early-ageout"),
            high_watermark: number_of(ck, &ap, a, "high-watermark"),
            low_watermark: number_of(ck, &ap, a, "low-watermark"),
        };
        if let (Some(hi), Some(lo)) = (flow.aging.high_watermark, flow.aging.low_watermark) {
            if lo >= hi {
                let h = child(a, "low-watermark").unwrap_or(a);
                ck.error(
                    &ap,
                    h,
                    format!("low-watermark {lo} must be below high-watermark {hi}"),
                );
            }
        }
    }
    if let Some(t) = child(st, "tcp-session") {
        let tp = path.join(t);
        flow.tcp_session = TcpSession {
            no_syn_check: flag(t, "no-syn-check"),
            no_syn_check_in_tunnel: flag(t, "no-syn-check-in-tunnel"),
            no_sequence_check: flag(t, "no-sequence-check"),
            strict_syn_check: flag(t, "strict-syn-check"),
            rst_invalidate_session: flag(t, "rst-invalidate-session"),
            rst_sequence_check: flag(t, "rst-sequence-check"),
            fin_invalidate_session: flag(t, "fin-invalidate-session"),
            tcp_initial_timeout: number_of(ck, &tp, t, "tcp-initial-timeout"),
            time_wait_timeout: child(t, "time-wait-state")
                .and_then(|w| number_of(ck, &tp.join(w), w, "session-timeout")),
        };
    }
    flow
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    #[test]
    fn flow_knobs_are_typed() {
        let m = build_text(
            "security { flow {
                tcp-mss { all-tcp { mss 1350; } ipsec-vpn; gre-out { mss 1400; } }
                aging { early-ageout 20; high-watermark 90; low-watermark 70; }
                tcp-session { no-syn-check; rst-invalidate-session; tcp-initial-timeout 30; time-wait-state { session-timeout 60; } }
            } }",
        );
        let f = &m.flow;
        assert_eq!(
            f.tcp_mss,
            TcpMss {
                all_tcp: Some(1350),
                ipsec_vpn: Some(1320),
                gre_in: None,
                gre_out: Some(1400)
            }
        );
        assert_eq!(f.aging.early_ageout, Some(20));
        assert_eq!(f.aging.high_watermark, Some(90));
        assert_eq!(f.aging.low_watermark, Some(70));
        assert!(f.tcp_session.no_syn_check && f.tcp_session.rst_invalidate_session);
        assert!(!f.tcp_session.strict_syn_check);
        assert_eq!(f.tcp_session.tcp_initial_timeout, Some(30));
        assert_eq!(f.tcp_session.time_wait_timeout, Some(60));
    }

    #[test]
    fn low_watermark_must_be_below_high() {
        let e = errors_of("security {\n flow {\n  aging {\n   high-watermark 60;\n   low-watermark 80;\n  }\n }\n}\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].path, ["security", "flow", "aging"]);
        assert_eq!(e[0].statement.as_deref(), Some("low-watermark 80"));
        assert_eq!(
            e[0].message,
            "low-watermark 80 must be below high-watermark 60"
        );
        assert_eq!(e[0].span.map(|s| s.line), Some(5));
    }

    #[test]
    fn all_tcp_needs_an_mss() {
        let e = errors_of("security { flow { tcp-mss { all-tcp; } } }");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].statement.as_deref(), Some("all-tcp"));
        assert_eq!(e[0].message, "Missing mandatory statement: 'mss'");
    }
}
