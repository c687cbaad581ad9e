// SPDX-License-Identifier: Apache-2.0
//! The statement tree xpf understands: names, nesting, value types and help.
//!
//! It is written in `schema/junos.schema`, in Junos curly syntax itself (see
//! that file's header), read once with this crate's own parser. One tree
//! drives `set`-form splitting, validation, CLI completion and `?` help.
//! Each statement says what `commit` does with it ([`Support`]): most are
//! implemented; `@opaque` marks real Junos statements xpf does not
//! implement (their subtrees load and print, and `commit` refuses them by
//! name); `@pending` the same for statements whose tree is described
//! (values checked, completion works) but whose effect a later step
//! builds; `@inert` statements with no effect on a VM or appliance by
//! nature (licences, FPC slots), which commit accepts with a warning.

mod complete;
pub mod inventory;
mod value;

pub use complete::Candidate;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use value::{
    is_interface, is_wildcard, parse_prefix, port_number, port_range, wildcard_matches, ValueType,
    NAMED_PORTS,
};

use crate::ast::{NodeId, Statement};
use crate::parse::{parse, Item};

/// One word of a statement pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A literal keyword.
    Keyword(String),
    /// A value of a type.
    Value(ValueType),
}

/// What `commit` does with a statement: nothing is accepted in silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// It does what Junos says it does.
    Implemented,
    /// Refused by name (`@opaque`, `@pending`): xpf cannot do it yet.
    Refused,
    /// Accepted with a warning: it has no effect on xpf by nature
    /// (`@inert`: licensing, FPC/PIC slots, console ports).
    NoEffect,
}

/// One statement kind.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its words, e.g. `unit <int:0-16385>`.
    pub pattern: Vec<Token>,
    /// One-line help.
    pub help: String,
    /// Has children (and may still be written as a bare leaf).
    pub block: bool,
    /// Leaf-list: values collect into `[ ]`.
    pub list: bool,
    /// A valued leaf that repeats, one statement per value.
    pub multi: bool,
    /// Entries keep user order (policies, rules).
    pub ordered: bool,
    /// Its subtree is not described: anything loads below it (`@opaque`,
    /// `@inert`).
    pub opaque: bool,
    /// What `commit` does with it.
    pub support: Support,
    /// Printed on one line when its children are plain leaves
    /// (`address a1 10.0.0.1/32;`, `term t1 protocol tcp destination-port 80;`).
    pub flat: bool,
    /// Child nodes, in display order.
    pub children: Vec<NodeId>,
    /// Position among its siblings (display order).
    pub order: u32,
}

impl Node {
    /// The leading keyword, if the pattern starts with one.
    pub fn keyword(&self) -> Option<&str> {
        match self.pattern.first() {
            Some(Token::Keyword(k)) => Some(k),
            _ => None,
        }
    }

    /// Whether a statement of this node is identified by its values
    /// (`unit 0`, `address 10.0.0.1/24`) rather than by its keyword alone.
    pub fn keyed(&self) -> bool {
        (self.block || self.multi)
            && !self.list
            && self.pattern.iter().any(|t| matches!(t, Token::Value(_)))
    }

    /// Number of leading pattern words that are keywords and key values, i.e.
    /// how many words of a statement identify it.
    pub fn key_len(&self, words: usize) -> usize {
        if self.keyed() {
            words
        } else {
            self.pattern
                .iter()
                .take_while(|t| matches!(t, Token::Keyword(_)))
                .count()
                .max(1)
        }
    }

    /// Pattern written back, for help and errors.
    pub fn pattern_text(&self) -> String {
        self.pattern
            .iter()
            .map(|t| match t {
                Token::Keyword(k) => k.clone(),
                Token::Value(v) => v.describe(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The root node.
pub const ROOT: NodeId = 0;
/// `groups { ... }`, the container of named groups.
pub const GROUPS: NodeId = 1;
/// `<name> { ... }` under `groups`: one group, holding top-level statements.
pub const GROUP: NodeId = 4;
/// `apply-groups [ ... ]`, valid at any level.
pub const APPLY_GROUPS: NodeId = 2;
/// `apply-groups-except [ ... ]`, valid at any level.
pub const APPLY_GROUPS_EXCEPT: NodeId = 3;

/// The whole statement tree.
#[derive(Debug)]
pub struct Schema {
    nodes: Vec<Node>,
    /// Per parent: keyword -> children starting with that keyword.
    by_keyword: Vec<HashMap<String, Vec<NodeId>>>,
    /// Children whose pattern starts with a value, per parent.
    by_value: HashMap<NodeId, Vec<NodeId>>,
}

/// What a run of words matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// The node.
    pub node: NodeId,
    /// How many words its pattern consumed.
    pub consumed: usize,
}

static SCHEMA: OnceLock<Schema> = OnceLock::new();

impl Schema {
    /// xpf's schema, read once from the embedded `junos.schema`.
    pub fn junos() -> &'static Schema {
        SCHEMA.get_or_init(|| {
            // The embedded file is part of the build and covered by tests, so a
            // failure here is a programming error, not user input.
            #[allow(clippy::expect_used)]
            Schema::from_text(include_str!("../../schema/junos.schema"))
                .expect("embedded junos.schema is valid")
        })
    }

    /// Builds a schema from DSL text.
    pub fn from_text(text: &str) -> Result<Schema, String> {
        let items = parse(text).map_err(|e| e.to_string())?;
        let mut schema = Schema {
            by_keyword: Vec::new(),
            by_value: HashMap::new(),
            nodes: vec![
                Node::synthetic(vec![], "", true),
                Node::synthetic(
                    vec![Token::Keyword("groups".into())],
                    "Configuration groups",
                    true,
                ),
                Node {
                    list: true,
                    ..Node::synthetic(
                        vec![
                            Token::Keyword("apply-groups".into()),
                            Token::Value(ValueType::Ref("group".into())),
                        ],
                        "Groups from which to inherit configuration data",
                        false,
                    )
                },
                Node {
                    list: true,
                    ..Node::synthetic(
                        vec![
                            Token::Keyword("apply-groups-except".into()),
                            Token::Value(ValueType::Ref("group".into())),
                        ],
                        "Don't inherit configuration data from these groups",
                        false,
                    )
                },
                Node::synthetic(vec![Token::Value(ValueType::String)], "Group name", true),
            ],
        };
        schema.nodes[GROUPS as usize].children.push(GROUP);
        schema.nodes[ROOT as usize].children.push(GROUPS);
        for item in items {
            match item {
                Item::Statement(st) => schema.add(ROOT, &st)?,
                Item::Command(c) => {
                    return Err(format!("line {}: set-form line in schema", c.span.line))
                }
            }
        }
        // A group holds top-level statements, plus `when` (conditional groups).
        let when = Node {
            opaque: true,
            support: Support::Refused,
            ..Node::synthetic(
                vec![Token::Keyword("when".into())],
                "Conditions under which the group applies",
                true,
            )
        };
        let when_id = schema.nodes.len() as NodeId;
        schema.nodes.push(when);
        let root_kids: Vec<NodeId> = schema.nodes[ROOT as usize]
            .children
            .iter()
            .copied()
            .filter(|&c| c != GROUPS)
            .collect();
        let group = &mut schema.nodes[GROUP as usize];
        group.children.push(when_id);
        group.children.extend(root_kids);
        schema.index();
        Ok(schema)
    }

    fn add(&mut self, parent: NodeId, st: &Statement) -> Result<(), String> {
        let at = format!("schema line {}", st.span.line);
        let mut node = Node::synthetic(vec![], "", st.children.is_some());
        for w in &st.words {
            if w.quoted {
                node.help = w.text.clone();
            } else if let Some(flag) = w.text.strip_prefix('@') {
                match flag {
                    "list" => node.list = true,
                    "multi" => node.multi = true,
                    "ordered" => node.ordered = true,
                    "opaque" => {
                        node.opaque = true;
                        node.support = Support::Refused;
                    }
                    "inert" => {
                        node.opaque = true;
                        node.support = Support::NoEffect;
                    }
                    "pending" => node.support = Support::Refused,
                    "flat" => node.flat = true,
                    _ => return Err(format!("{at}: unknown flag @{flag}")),
                }
            } else if let Some(t) = ValueType::from_placeholder(&w.text) {
                node.pattern
                    .push(Token::Value(t.map_err(|e| format!("{at}: {e}"))?));
            } else {
                node.pattern.push(Token::Keyword(w.text.clone()));
            }
        }
        if node.pattern.is_empty() {
            return Err(format!("{at}: statement without words"));
        }
        // An opaque statement may hold anything below it.
        node.block |= node.opaque;
        if node.list && !matches!(node.pattern.last(), Some(Token::Value(_))) {
            return Err(format!("{at}: @list needs a value placeholder last"));
        }
        let id = self.nodes.len() as NodeId;
        node.order = self.nodes[parent as usize].children.len() as u32;
        self.nodes.push(node);
        self.nodes[parent as usize].children.push(id);
        for child in st.kids() {
            self.add(id, child)?;
        }
        Ok(())
    }

    fn index(&mut self) {
        self.by_keyword = vec![HashMap::new(); self.nodes.len()];
        for parent in 0..self.nodes.len() as NodeId {
            let kids = self.nodes[parent as usize].children.clone();
            for c in [APPLY_GROUPS, APPLY_GROUPS_EXCEPT].into_iter().chain(kids) {
                match self.nodes[c as usize].keyword().map(str::to_string) {
                    Some(k) => self.by_keyword[parent as usize]
                        .entry(k)
                        .or_default()
                        .push(c),
                    None => self.by_value.entry(parent).or_default().push(c),
                }
            }
        }
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// The children of a node, in display order.
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.node(id).children
    }

    /// Finds the child of `parent` whose pattern matches the start of
    /// `words`. Keywords win over value positions; a value position takes any
    /// word (its type is checked separately, for a precise message).
    pub fn match_child(&self, parent: NodeId, words: &[&str]) -> Option<Match> {
        let first = *words.first()?;
        let by_keyword = self
            .by_keyword
            .get(parent as usize)
            .and_then(|m| m.get(first))
            .into_iter()
            .flatten()
            .filter_map(|&c| self.consume(c, words))
            .max_by_key(|m| m.consumed);
        by_keyword.or_else(|| {
            self.by_value
                .get(&parent)
                .into_iter()
                .flatten()
                .find_map(|&c| self.consume(c, words))
        })
    }

    /// How many words of `words` node `id`'s pattern consumes, if it matches.
    /// A list node may stop before its value (`source-address [ a b ]`).
    fn consume(&self, id: NodeId, words: &[&str]) -> Option<Match> {
        let n = self.node(id);
        let mut i = 0;
        for t in &n.pattern {
            match (t, words.get(i)) {
                (Token::Keyword(k), Some(w)) if k == w => i += 1,
                (Token::Value(_), Some(_)) => i += 1,
                (Token::Value(_), None) if n.list && i > 0 => break,
                _ => return None,
            }
        }
        Some(Match {
            node: id,
            consumed: i,
        })
    }

    /// The keyword names that may follow at `parent` (for completion).
    pub fn child_keywords(&self, parent: NodeId) -> Vec<(&str, &Node)> {
        self.children(parent)
            .iter()
            .map(|&c| self.node(c))
            .filter_map(|n| n.keyword().map(|k| (k, n)))
            .collect()
    }
}

impl Node {
    fn synthetic(pattern: Vec<Token>, help: &str, block: bool) -> Node {
        Node {
            pattern,
            help: help.to_string(),
            block,
            list: false,
            multi: false,
            ordered: false,
            opaque: false,
            support: Support::Implemented,
            flat: false,
            children: Vec::new(),
            order: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
        system "System parameters" {
            host-name <string> "Hostname";
            name-server <ip> "DNS server" { routing-instance <string> "VRF"; }
            services "Services" { ssh "SSH" { root-login <enum:allow|deny> "Root"; } }
            license @opaque "License";
            ports @inert "Console ports";
            ntp @pending "NTP" { server <ip> "Server"; }
        }
        interfaces "Interfaces" {
            interface-range <name> @opaque "Ranges";
            <interface> "Interface" {
                unit <int:0-16385> "Unit" {
                    family <enum:inet|inet6> "Family" { address <ip-prefix> "Address" { primary "Primary"; } }
                }
            }
        }
        match "Match" { source-address <ref:address> @list "Source"; }
    "#;

    #[test]
    fn dsl_builds_a_tree() {
        let s = Schema::from_text(MINI).expect("valid");
        let sys = s.match_child(ROOT, &["system"]).expect("system");
        let host = s
            .match_child(sys.node, &["host-name", "fw"])
            .expect("host-name");
        assert_eq!(host.consumed, 2);
        assert!(!s.node(host.node).keyed());
        let ns = s
            .match_child(sys.node, &["name-server", "1.1.1.1"])
            .expect("ns");
        assert!(s.node(ns.node).keyed());
        assert!(
            s.node(s.match_child(sys.node, &["license"]).expect("license").node)
                .opaque
        );
        assert!(s.match_child(sys.node, &["bogus"]).is_none());
        let kind = |w: &[&str]| {
            s.node(s.match_child(sys.node, w).expect("known").node)
                .clone()
        };
        assert_eq!(kind(&["license"]).support, Support::Refused);
        assert_eq!(kind(&["host-name", "fw"]).support, Support::Implemented);
        let ports = kind(&["ports"]);
        assert!(ports.opaque && ports.block && ports.support == Support::NoEffect);
        let ntp = kind(&["ntp"]);
        assert!(!ntp.opaque && ntp.support == Support::Refused && !ntp.children.is_empty());
    }

    #[test]
    fn keywords_win_over_values() {
        let s = Schema::from_text(MINI).expect("valid");
        let ifs = s
            .match_child(ROOT, &["interfaces"])
            .expect("interfaces")
            .node;
        let range = s
            .match_child(ifs, &["interface-range", "r1"])
            .expect("range");
        assert!(s.node(range.node).opaque);
        let ge = s.match_child(ifs, &["ge-0/0/0", "unit", "0"]).expect("ge");
        assert_eq!(ge.consumed, 1);
        let unit = s
            .match_child(ge.node, &["unit", "0", "family", "inet"])
            .expect("unit");
        assert_eq!(unit.consumed, 2);
    }

    #[test]
    fn lists_and_apply_groups_match_anywhere() {
        let s = Schema::from_text(MINI).expect("valid");
        let m = s.match_child(ROOT, &["match"]).expect("match").node;
        let sa = s
            .match_child(m, &["source-address"])
            .expect("bare list keyword");
        assert_eq!(sa.consumed, 1);
        assert_eq!(
            s.match_child(m, &["apply-groups", "g"]).map(|x| x.node),
            Some(APPLY_GROUPS)
        );
        let g = s.match_child(ROOT, &["groups", "g1"]).expect("groups").node;
        let g1 = s.match_child(g, &["g1"]).expect("group").node;
        assert!(s.match_child(g1, &["system"]).is_some());
    }

    #[test]
    fn bad_dsl_is_reported() {
        assert!(Schema::from_text("a <int:x> \"h\";").is_err());
        assert!(Schema::from_text("a @bogus \"h\";").is_err());
    }
}
