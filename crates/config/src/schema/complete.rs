// SPDX-License-Identifier: Apache-2.0
//! What may follow a configuration path: the data behind TAB completion and
//! `?` help in configuration mode.

use super::{Schema, Token, APPLY_GROUPS, APPLY_GROUPS_EXCEPT, ROOT};
use crate::ast::NodeId;

/// One possible next word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// A keyword, or a value placeholder such as `<interface-name>`.
    pub word: String,
    /// One-line help.
    pub help: String,
    /// A keyword (typed as shown) rather than a value to supply.
    pub keyword: bool,
    /// Leads to more statements (Junos marks these `>` in `?` output).
    pub container: bool,
}

impl Schema {
    /// The words that may follow `words` (a path as typed after `set` or
    /// `edit`), or `None` when the path itself is not valid. Inside an
    /// opaque statement nothing is known, so the list is empty.
    pub fn completions(&self, words: &[&str]) -> Option<Vec<Candidate>> {
        let mut node = ROOT;
        let mut i = 0;
        while i < words.len() {
            if self.node(node).opaque {
                return Some(Vec::new());
            }
            let rest = &words[i..];
            match self.match_child(node, rest) {
                // A complete leaf: what follows is a sibling, as in Junos'
                // flat lines (`match source-address any destination-address any`).
                // A list keyword with its value still to come.
                Some(m)
                    if !self.node(m.node).block && m.consumed < self.node(m.node).pattern.len() =>
                {
                    if i + m.consumed == words.len() {
                        return Some(vec![self.candidate(m.node, m.consumed)]);
                    }
                    i += m.consumed;
                }
                Some(m) if !self.node(m.node).block => i += m.consumed,
                Some(m) => {
                    node = m.node;
                    i += m.consumed;
                }
                None => return self.partial(node, rest),
            }
        }
        if self.node(node).opaque {
            return Some(Vec::new());
        }
        Some(self.children_of(node))
    }

    /// Words that end inside a pattern (`from-zone trust` awaits `to-zone`).
    fn partial(&self, parent: NodeId, rest: &[&str]) -> Option<Vec<Candidate>> {
        let mut out = Vec::new();
        for &c in self.children(parent) {
            let n = self.node(c);
            if rest.len() >= n.pattern.len() {
                continue;
            }
            let fits = n.pattern.iter().zip(rest).all(|(t, w)| match t {
                Token::Keyword(k) => k == w,
                Token::Value(_) => true,
            });
            if fits && n.keyword() == rest.first().copied() {
                out.push(self.candidate(c, rest.len()));
            }
        }
        (!out.is_empty()).then_some(out)
    }

    fn children_of(&self, node: NodeId) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = [APPLY_GROUPS, APPLY_GROUPS_EXCEPT]
            .into_iter()
            .chain(self.children(node).iter().copied())
            .map(|c| self.candidate(c, 0))
            .collect();
        out.dedup_by(|a, b| a.word == b.word);
        out
    }

    /// The candidate for pattern position `at` of node `id`.
    fn candidate(&self, id: NodeId, at: usize) -> Candidate {
        let n = self.node(id);
        let (word, keyword) = match n.pattern.get(at) {
            Some(Token::Keyword(k)) => (k.clone(), true),
            Some(Token::Value(v)) => (v.describe(), false),
            None => (n.pattern_text(), false),
        };
        let last = at + 1 >= n.pattern.len();
        Candidate {
            word,
            help: n.help.clone(),
            keyword,
            container: !last || n.block,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(c: &[Candidate]) -> Vec<&str> {
        c.iter().map(|c| c.word.as_str()).collect()
    }

    #[test]
    fn top_level_and_nested_completions() {
        let s = Schema::junos();
        let top = s.completions(&[]).expect("valid");
        assert!(words(&top).contains(&"system") && words(&top).contains(&"security"));
        let sys = s.completions(&["system"]).expect("valid");
        let host = sys
            .iter()
            .find(|c| c.word == "host-name")
            .expect("host-name");
        assert!(host.keyword && !host.help.is_empty());
        let unit = s
            .completions(&["interfaces", "ge-0/0/0", "unit"])
            .expect("awaits the number");
        assert_eq!(unit.len(), 1);
        assert!(
            !unit[0].keyword && unit[0].word.contains("0..16385"),
            "{unit:?}"
        );
    }

    #[test]
    fn a_pair_statement_asks_for_its_second_keyword() {
        let s = Schema::junos();
        let c = s
            .completions(&["security", "policies", "from-zone", "trust"])
            .expect("valid");
        assert_eq!(words(&c), ["to-zone"]);
    }

    #[test]
    fn invalid_paths_are_none_and_opaque_ones_empty() {
        let s = Schema::junos();
        assert!(s.completions(&["system", "bogus"]).is_none());
        assert_eq!(s.completions(&["snmp", "community"]), Some(Vec::new()));
        assert_eq!(s.completions(&["snmp"]), Some(Vec::new()));
    }
}
