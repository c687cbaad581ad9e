// SPDX-License-Identifier: Apache-2.0
//! Security policies compiled per zone pair (and the global list) into a
//! [`Classifier`], with the per-policy facts a session needs.

use std::sync::Arc;

use xpf_model::{
    AddressScope, Application, InactivityTimeout, Model, Policy, PolicyAction, Protocol,
};

use super::classify::{Classifier, KeyRange, RuleSpec};
use super::CompileError;
use crate::snapshot::nat::value_range;

/// The protocol+port key of the service dimension: `proto << 16 | port`,
/// where an ICMP "port" is `type << 8 | code`.
pub(crate) fn svc_key(proto: u8, port: u16) -> u128 {
    u128::from(proto) << 16 | u128::from(port)
}

const ALL_SVC: KeyRange = (0, 0xff_ffff);

/// One application term, as a session needs it.
#[derive(Debug, Clone)]
pub(crate) struct AppTerm {
    pub app: Arc<str>,
    pub proto: Option<u8>,
    sport: (u16, u16),
    dport: (u16, u16),
    icmp: Option<(u8, Option<u8>)>,
    pub timeout_s: Option<u32>,
}

impl AppTerm {
    fn compile(a: &Application) -> Vec<AppTerm> {
        let name: Arc<str> = a.name.as_str().into();
        a.terms
            .iter()
            .map(|t| AppTerm {
                app: name.clone(),
                proto: t.protocol.map(Protocol::number),
                sport: t.source_port.map_or((0, u16::MAX), |p| (p.low, p.high)),
                dport: t
                    .destination_port
                    .map_or((0, u16::MAX), |p| (p.low, p.high)),
                icmp: t.icmp_type.map(|ty| (ty, t.icmp_code)),
                timeout_s: t.inactivity_timeout.map(|i| match i {
                    InactivityTimeout::Seconds(s) => s,
                    InactivityTimeout::Never => u32::MAX,
                }),
            })
            .collect()
    }

    fn range(&self) -> KeyRange {
        let Some(p) = self.proto else {
            return ALL_SVC;
        };
        match (p, self.icmp) {
            (1 | 58, Some((ty, code))) => {
                let base = u16::from(ty) << 8;
                let (lo, hi) = code.map_or((0, 255), |c| (u16::from(c), u16::from(c)));
                (svc_key(p, base | lo), svc_key(p, base | hi))
            }
            (6 | 17 | 132, _) => (svc_key(p, self.dport.0), svc_key(p, self.dport.1)),
            _ => (svc_key(p, 0), svc_key(p, u16::MAX)),
        }
    }

    /// Whether a packet fits the term (`port` is the destination port or
    /// the ICMP type/code word).
    pub(crate) fn matches(&self, proto: u8, sport: u16, port: u16) -> bool {
        let (lo, hi) = self.range();
        let k = svc_key(proto, port);
        lo <= k
            && k <= hi
            && (!matches!(proto, 6 | 17 | 132) || (self.sport.0 <= sport && sport <= self.sport.1))
    }
}

/// One compiled policy.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    /// Index into the snapshot's flat policy list (counters key on it).
    pub id: u32,
    pub name: Arc<str>,
    pub action: PolicyAction,
    pub count: bool,
    pub log_init: bool,
    pub log_close: bool,
    /// Application terms; empty means `any`.
    pub terms: Vec<AppTerm>,
    /// Whether some term restricts source ports (the classifier does not).
    pub check_sport: bool,
    /// Global policies: `from-zone` / `to-zone` ids (empty: any).
    pub from_zones: Vec<u16>,
    pub to_zones: Vec<u16>,
}

impl CompiledPolicy {
    /// The term a packet matched (None for `any`).
    pub(crate) fn term(&self, proto: u8, sport: u16, port: u16) -> Option<&AppTerm> {
        self.terms.iter().find(|t| t.matches(proto, sport, port))
    }

    fn accepts(&self, from: u16, to: u16, proto: u8, sport: u16, port: u16) -> bool {
        (self.from_zones.is_empty() || self.from_zones.contains(&from))
            && (self.to_zones.is_empty() || self.to_zones.contains(&to))
            && (!self.check_sport || self.term(proto, sport, port).is_some())
    }
}

/// The policies of one context, in order, with their classifier.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicySet {
    pub rules: Vec<CompiledPolicy>,
    /// What each rule covers, per dimension (exported for other engines).
    pub specs: Vec<RuleSpec>,
    classifier: Classifier,
}

/// What the classifier is asked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PolicyKey {
    pub from: u16,
    pub to: u16,
    pub v6: bool,
    pub src: u128,
    pub dst: u128,
    pub proto: u8,
    pub sport: u16,
    /// Destination port, or ICMP `type << 8 | code`.
    pub port: u16,
}

impl PolicySet {
    pub(crate) fn first(&self, k: &PolicyKey) -> Option<&CompiledPolicy> {
        let i = self
            .classifier
            .first(k.v6, k.src, k.dst, svc_key(k.proto, k.port), |i| {
                self.rules
                    .get(i)
                    .is_some_and(|r| r.accepts(k.from, k.to, k.proto, k.sport, k.port))
            })?;
        self.rules.get(i)
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<&CompiledPolicy> {
        self.rules.iter().find(|r| &*r.name == name)
    }

    pub(crate) fn memory(&self) -> usize {
        self.classifier.memory()
    }
}

pub(crate) struct Compiler<'a> {
    pub model: &'a Model,
    pub zone_id: &'a dyn Fn(&str) -> Option<u16>,
    /// Next flat policy id.
    pub next_id: u32,
    pub warnings: &'a mut Vec<String>,
}

fn complement(ranges: &[KeyRange], max: u128) -> Vec<KeyRange> {
    let mut sorted = ranges.to_vec();
    sorted.sort_unstable();
    let mut out = Vec::new();
    let mut next = 0u128;
    let mut done = false;
    for (lo, hi) in sorted {
        if lo > next {
            out.push((next, lo - 1));
        }
        if hi >= max {
            done = true;
            break;
        }
        next = next.max(hi + 1);
    }
    if !done {
        out.push((next, max));
    }
    out
}

impl Compiler<'_> {
    fn addresses(
        &mut self,
        scope: AddressScope<'_>,
        names: &[String],
        excluded: bool,
        policy: &str,
    ) -> Result<[Vec<KeyRange>; 2], CompileError> {
        let mut fam: [Vec<KeyRange>; 2] = [Vec::new(), Vec::new()];
        for n in names {
            let values = self.model.expand_address(scope, n).ok_or_else(|| {
                CompileError::UndefinedAddress {
                    context: format!("policy {policy}"),
                    name: n.clone(),
                }
            })?;
            for v in &values {
                match value_range(v) {
                    Some((v6, lo, hi)) => fam[usize::from(v6)].push((lo, hi)),
                    None => self.warnings.push(format!(
                        "policy {policy}: address {n} has a DNS name or wildcard value, which matches nothing yet"
                    )),
                }
            }
        }
        if excluded {
            fam = [
                complement(&fam[0], u128::from(u32::MAX)),
                complement(&fam[1], u128::MAX),
            ];
        }
        Ok(fam)
    }

    fn policy(
        &mut self,
        p: &Policy,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<(CompiledPolicy, RuleSpec), CompileError> {
        let (src_scope, dst_scope) = match (from, to) {
            (Some(f), Some(t)) => (AddressScope::Zone(f), AddressScope::Zone(t)),
            _ => (AddressScope::Global, AddressScope::Global),
        };
        let m = &p.matching;
        let src = self.addresses(
            src_scope,
            &m.source_addresses,
            m.source_address_excluded,
            &p.name,
        )?;
        let dst = self.addresses(
            dst_scope,
            &m.destination_addresses,
            m.destination_address_excluded,
            &p.name,
        )?;
        let mut terms = Vec::new();
        let mut svc = Vec::new();
        if m.applications.iter().any(|a| a == "any") {
            svc.push(ALL_SVC);
        } else {
            for name in &m.applications {
                let apps = self.model.expand_application(name).ok_or_else(|| {
                    CompileError::UndefinedApplication {
                        policy: p.name.clone(),
                        name: name.clone(),
                    }
                })?;
                for a in apps {
                    for t in AppTerm::compile(a) {
                        svc.push(t.range());
                        terms.push(t);
                    }
                }
            }
        }
        let zones = |names: &[String]| -> Vec<u16> {
            names.iter().filter_map(|n| (self.zone_id)(n)).collect()
        };
        let id = self.next_id;
        self.next_id += 1;
        let compiled = CompiledPolicy {
            id,
            name: p.name.as_str().into(),
            action: p.then.action,
            count: p.then.count,
            log_init: p.then.log_session_init,
            log_close: p.then.log_session_close,
            check_sport: terms.iter().any(|t| t.sport != (0, u16::MAX)),
            terms,
            from_zones: zones(&m.from_zones),
            to_zones: zones(&m.to_zones),
        };
        Ok((compiled, RuleSpec { src, dst, svc }))
    }

    /// Compiles one context's policies.
    pub(crate) fn set(
        &mut self,
        policies: &[Policy],
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<PolicySet, CompileError> {
        let mut rules = Vec::with_capacity(policies.len());
        let mut specs = Vec::with_capacity(policies.len());
        for p in policies {
            let (c, s) = self.policy(p, from, to)?;
            rules.push(c);
            specs.push(s);
        }
        Ok(PolicySet {
            rules,
            classifier: Classifier::build(&specs),
            specs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complement_ranges() {
        assert_eq!(complement(&[(10, 20)], 100), vec![(0, 9), (21, 100)]);
        assert_eq!(complement(&[(0, 100)], 100), vec![]);
        assert_eq!(complement(&[], 100), vec![(0, 100)]);
        assert_eq!(complement(&[(5, 10), (8, 12)], 12), vec![(0, 4)]);
    }

    #[test]
    fn icmp_terms_key_on_type_and_code() {
        let t = AppTerm {
            app: "ping".into(),
            proto: Some(1),
            sport: (0, u16::MAX),
            dport: (0, u16::MAX),
            icmp: Some((8, None)),
            timeout_s: None,
        };
        assert!(t.matches(1, 0, 8 << 8));
        assert!(!t.matches(1, 0, 0));
        assert!(!t.matches(6, 0, 8 << 8));
    }
}
