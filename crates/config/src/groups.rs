// SPDX-License-Identifier: Apache-2.0
//! The effective configuration: `groups` applied, inactive statements gone.
//!
//! Junos rules: statements written in the configuration win over inherited
//! ones; groups named at a deeper level win over those inherited from above;
//! among the groups of one `apply-groups`, the first listed wins. Wildcard
//! names (`<*>`, `<ge-*>`) only add to statements that exist. `${node}`
//! expands to the cluster node name (`node0`, `node1`).

use std::collections::HashMap;

use crate::ast::{Config, Statement};
use crate::edit::{display_rank, identity};
use crate::schema::{wildcard_matches, Schema, APPLY_GROUPS, APPLY_GROUPS_EXCEPT, GROUPS};

/// The configuration as the system runs it. `node` is this cluster node's
/// name (`Some("node0")`), `None` on a standalone box.
pub fn effective(cfg: &Config, node: Option<&str>) -> Config {
    let schema = Schema::junos();
    let groups: HashMap<&str, &Statement> = cfg
        .statements
        .iter()
        .filter(|s| s.node == Some(GROUPS) && !s.inactive)
        .flat_map(|s| s.kids())
        .filter(|g| !g.inactive)
        .map(|g| (g.keyword(), g))
        .collect();
    let mut root: Vec<Statement> = cfg
        .statements
        .iter()
        .filter(|s| s.node != Some(GROUPS))
        .filter_map(strip_inactive)
        .collect();
    let ctx = Expand {
        schema,
        groups,
        node,
    };
    ctx.level(&mut root, &[], Vec::new());
    Config { statements: root }
}

fn strip_inactive(st: &Statement) -> Option<Statement> {
    if st.inactive {
        return None;
    }
    Some(Statement {
        words: st.words.clone(),
        list: st.list.clone(),
        children: st
            .children
            .as_ref()
            .map(|kids| kids.iter().filter_map(strip_inactive).collect()),
        inactive: false,
        protect: st.protect,
        replace: false,
        delete: false,
        annotation: None,
        span: st.span,
        node: st.node,
    })
}

struct Expand<'a> {
    schema: &'a Schema,
    groups: HashMap<&'a str, &'a Statement>,
    node: Option<&'a str>,
}

/// Group content that applies at one level: (group name, its statements there).
type Sources<'a> = Vec<(&'a str, &'a [Statement])>;

impl<'a> Expand<'a> {
    fn names(&self, stmts: &[Statement], which: crate::ast::NodeId) -> Vec<String> {
        stmts
            .iter()
            .filter(|s| s.node == Some(which))
            .flat_map(|s| s.list.iter().flatten())
            .filter_map(|w| match (w.text.contains("${node}"), self.node) {
                (false, _) => Some(w.text.clone()),
                (true, Some(n)) => Some(w.text.replace("${node}", n)),
                (true, None) => None,
            })
            .collect()
    }

    /// The statements of group `name` at the path of `ancestors`.
    fn group_at(&self, name: &str, ancestors: &[&Statement]) -> Vec<&'a [Statement]> {
        let Some(g) = self.groups.get(name) else {
            return Vec::new();
        };
        let mut levels: Vec<&'a [Statement]> = vec![g.kids()];
        for a in ancestors {
            levels = levels
                .iter()
                .flat_map(|lvl| lvl.iter())
                .filter(|s| !s.inactive && self.matches(s, a))
                .map(|s| s.kids())
                .collect();
        }
        levels
    }

    fn matches(&self, source: &Statement, target: &Statement) -> bool {
        source.node == target.node
            && source.words.len() == target.words.len()
            && source
                .words
                .iter()
                .zip(&target.words)
                .all(|(s, t)| wildcard_matches(&s.text, &t.text))
    }

    fn level(&self, target: &mut Vec<Statement>, ancestors: &[&Statement], inherited: Sources<'a>) {
        let own = self.names(target, APPLY_GROUPS);
        let except = self.names(target, APPLY_GROUPS_EXCEPT);
        target.retain(|s| s.node != Some(APPLY_GROUPS) && s.node != Some(APPLY_GROUPS_EXCEPT));
        let mut sources: Sources<'a> = Vec::new();
        for name in &own {
            if let Some((key, _)) = self.groups.get_key_value(name.as_str()) {
                for lvl in self.group_at(name, ancestors) {
                    sources.push((key, lvl));
                }
            }
        }
        sources.extend(
            inherited
                .into_iter()
                .filter(|(g, _)| !except.iter().any(|e| e == g)),
        );

        let mut child_sources: Vec<Sources<'a>> = vec![Vec::new(); target.len()];
        if !sources.is_empty() {
            let mut index: HashMap<String, usize> = target
                .iter()
                .enumerate()
                .map(|(i, s)| (identity(self.schema, s), i))
                .collect();
            // Concrete statements first, so wildcards also reach what they add.
            for wild in [false, true] {
                for (g, stmts) in &sources {
                    for s in stmts.iter().filter(|s| !s.inactive) {
                        let is_wild = s.words.iter().any(|w| crate::schema::is_wildcard(&w.text));
                        if is_wild != wild || s.node == Some(APPLY_GROUPS) {
                            continue;
                        }
                        if wild {
                            for (i, t) in target.iter().enumerate() {
                                if self.matches(s, t) {
                                    child_sources[i].push((g, s.kids()));
                                }
                            }
                            continue;
                        }
                        let key = identity(self.schema, s);
                        match index.get(&key) {
                            Some(&i) => child_sources[i].push((g, s.kids())),
                            None => {
                                let shell = Statement {
                                    words: s.words.clone(),
                                    list: s.list.clone(),
                                    children: s.children.as_ref().map(|_| Vec::new()),
                                    span: s.span,
                                    node: s.node,
                                    ..Statement::default()
                                };
                                index.insert(key, target.len());
                                target.push(shell);
                                child_sources.push(vec![(g, s.kids())]);
                            }
                        }
                    }
                }
            }
        }
        for (i, srcs) in child_sources.into_iter().enumerate() {
            let st = &mut target[i];
            let Some(mut kids) = st.children.take() else {
                continue;
            };
            let head = Statement {
                words: st.words.clone(),
                node: st.node,
                ..Statement::default()
            };
            let mut path: Vec<&Statement> = ancestors.to_vec();
            path.push(&head);
            self.level(&mut kids, &path, srcs);
            target[i].children = Some(kids);
        }
        if !target.is_sorted_by_key(|k| display_rank(self.schema, k)) {
            target.sort_by_key(|k| display_rank(self.schema, k));
        }
    }
}
