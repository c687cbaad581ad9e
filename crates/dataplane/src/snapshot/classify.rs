// SPDX-License-Identifier: Apache-2.0
//! A first-match packet classifier over three dimensions (source address,
//! destination address, protocol+port), by bit-vector intersection.
//!
//! Each dimension is cut into elementary intervals at every rule boundary;
//! each interval holds the bit set of rules covering it (identical sets are
//! stored once). A lookup is one binary search per dimension and an AND of
//! three bit sets, scanned from the lowest bit: the first set bit is the
//! first rule in configuration order that can match. Cost grows with
//! log(boundaries) + rules/64 words, never with a scan of the rules, which
//! is what keeps a miss against 10,000 policies in the hundreds of ns.
//! Bits are a pre-filter: the caller verifies what the dimensions do not
//! express (source ports, zone lists of global policies).

use std::collections::HashMap;

/// An inclusive range of keys in one dimension.
pub(crate) type KeyRange = (u128, u128);

/// What one rule covers, per dimension (`[v4, v6]` for the addresses).
#[derive(Debug, Clone, Default)]
pub(crate) struct RuleSpec {
    pub src: [Vec<KeyRange>; 2],
    pub dst: [Vec<KeyRange>; 2],
    pub svc: Vec<KeyRange>,
}

#[derive(Debug, Clone, Default)]
struct Dim {
    /// Interval starts, ascending; the first is 0.
    bounds: Vec<u128>,
    /// Bit-set id of each interval.
    set_of: Vec<u32>,
}

impl Dim {
    fn set_at(&self, key: u128) -> u32 {
        let i = self.bounds.partition_point(|b| *b <= key);
        self.set_of.get(i.wrapping_sub(1)).copied().unwrap_or(0)
    }
}

/// The compiled classifier.
#[derive(Debug, Clone, Default)]
pub(crate) struct Classifier {
    words: usize,
    arena: Vec<u64>,
    src: [Dim; 2],
    dst: [Dim; 2],
    svc: Dim,
}

struct Interner {
    words: usize,
    arena: Vec<u64>,
    ids: HashMap<Vec<u64>, u32>,
}

impl Interner {
    fn intern(&mut self, set: &[u64]) -> u32 {
        if let Some(id) = self.ids.get(set) {
            return *id;
        }
        let id = (self.arena.len() / self.words.max(1)) as u32;
        self.arena.extend_from_slice(set);
        self.ids.insert(set.to_vec(), id);
        id
    }
}

fn build_dim(rules: &[&[KeyRange]], interner: &mut Interner) -> Dim {
    let mut bounds = vec![0u128];
    for r in rules {
        for &(lo, hi) in r.iter() {
            bounds.push(lo);
            if let Some(next) = hi.checked_add(1) {
                bounds.push(next);
            }
        }
    }
    bounds.sort_unstable();
    bounds.dedup();
    // Sweep: a rule enters at its range's first interval and leaves after
    // its last; `cover` counts overlapping ranges of one rule.
    let mut events: Vec<(usize, usize, i32)> = Vec::new();
    for (rule, r) in rules.iter().enumerate() {
        for &(lo, hi) in r.iter() {
            let start = bounds.partition_point(|b| *b < lo);
            events.push((start, rule, 1));
            if let Some(next) = hi.checked_add(1) {
                events.push((bounds.partition_point(|b| *b < next), rule, -1));
            }
        }
    }
    events.sort_unstable();
    let mut cover = vec![0i32; rules.len()];
    let mut cur = vec![0u64; interner.words];
    let mut set_of = Vec::with_capacity(bounds.len());
    let mut e = 0;
    let mut last: Option<u32> = None;
    for i in 0..bounds.len() {
        let mut changed = false;
        while let Some(&(at, rule, delta)) = events.get(e) {
            if at != i {
                break;
            }
            let before = cover[rule] > 0;
            cover[rule] += delta;
            if before != (cover[rule] > 0) {
                cur[rule / 64] ^= 1 << (rule % 64);
                changed = true;
            }
            e += 1;
        }
        let id = match last {
            Some(id) if !changed => id,
            _ => interner.intern(&cur),
        };
        last = Some(id);
        set_of.push(id);
    }
    Dim { bounds, set_of }
}

impl Classifier {
    /// Compiles rules (in priority order).
    pub(crate) fn build(rules: &[RuleSpec]) -> Classifier {
        let words = rules.len().div_ceil(64);
        let mut interner = Interner {
            words,
            arena: Vec::new(),
            ids: HashMap::new(),
        };
        // Set 0 is the empty set, what keys outside every range map to.
        interner.intern(&vec![0u64; words]);
        let pick = |f: &dyn Fn(&RuleSpec) -> &[KeyRange]| -> Vec<&[KeyRange]> {
            rules.iter().map(f).collect::<Vec<_>>()
        };
        let src4 = build_dim(&pick(&|r| &r.src[0]), &mut interner);
        let src6 = build_dim(&pick(&|r| &r.src[1]), &mut interner);
        let dst4 = build_dim(&pick(&|r| &r.dst[0]), &mut interner);
        let dst6 = build_dim(&pick(&|r| &r.dst[1]), &mut interner);
        let svc = build_dim(&pick(&|r| &r.svc), &mut interner);
        Classifier {
            words,
            arena: interner.arena,
            src: [src4, src6],
            dst: [dst4, dst6],
            svc,
        }
    }

    fn set(&self, id: u32) -> &[u64] {
        let start = id as usize * self.words;
        self.arena.get(start..start + self.words).unwrap_or(&[])
    }

    /// The first rule covering all three keys that `accept` also accepts.
    pub(crate) fn first(
        &self,
        v6: bool,
        src: u128,
        dst: u128,
        svc: u128,
        mut accept: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        if self.words == 0 {
            return None;
        }
        let f = usize::from(v6);
        let a = self.set(self.src[f].set_at(src));
        let b = self.set(self.dst[f].set_at(dst));
        let c = self.set(self.svc.set_at(svc));
        for (w, ((x, y), z)) in a.iter().zip(b).zip(c).enumerate() {
            let mut m = x & y & z;
            while m != 0 {
                let rule = w * 64 + m.trailing_zeros() as usize;
                if accept(rule) {
                    return Some(rule);
                }
                m &= m - 1;
            }
        }
        None
    }

    /// Bytes held by the bit sets (for `show` and sizing).
    pub(crate) fn memory(&self) -> usize {
        self.arena.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL4: KeyRange = (0, 0xffff_ffff);

    fn rule(src: KeyRange, dst: KeyRange, svc: KeyRange) -> RuleSpec {
        RuleSpec {
            src: [vec![src], vec![]],
            dst: [vec![dst], vec![]],
            svc: vec![svc],
        }
    }

    #[test]
    fn first_match_in_order() {
        let rules = vec![
            rule((10, 20), ALL4, (0, u128::MAX)),
            rule(ALL4, (5, 5), (6 << 16 | 80, 6 << 16 | 80)),
            rule(ALL4, ALL4, (0, u128::MAX)),
        ];
        let c = Classifier::build(&rules);
        assert_eq!(c.first(false, 15, 5, 6 << 16 | 80, |_| true), Some(0));
        assert_eq!(c.first(false, 30, 5, 6 << 16 | 80, |_| true), Some(1));
        assert_eq!(c.first(false, 30, 5, 6 << 16 | 81, |_| true), Some(2));
        assert_eq!(c.first(false, 30, 5, 6 << 16 | 80, |r| r != 1), Some(2));
        assert_eq!(c.first(true, 30, 5, 0, |_| true), None, "no v6 ranges");
    }

    #[test]
    fn many_rules_cross_word_boundaries() {
        let rules: Vec<RuleSpec> = (0..200u128)
            .map(|i| rule((i * 10, i * 10 + 9), ALL4, (0, u128::MAX)))
            .collect();
        let c = Classifier::build(&rules);
        for i in 0..200u128 {
            assert_eq!(c.first(false, i * 10 + 3, 0, 0, |_| true), Some(i as usize));
        }
        assert_eq!(c.first(false, 5000, 0, 0, |_| true), None);
        assert!(c.memory() > 0);
    }
}
