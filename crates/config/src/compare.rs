// SPDX-License-Identifier: Apache-2.0
//! `show | compare`: the differences between two configurations in the
//! Junos layout.
//!
//! Each hierarchy level with changes gets an `[edit ...]` banner; lines start
//! with `+` (added), `-` (removed), `!` (activation changed) or a space
//! (context: the entry an added ordered entry follows). Junos indents a
//! changed statement by one column per schema level of the banner path
//! (`family inet` is two levels) plus two, or plus one for a plain
//! single-valued leaf; inside an added or removed block, four per level.

use std::collections::HashMap;

use crate::ast::{Config, Statement};
use crate::edit::identity;
use crate::print::head;
use crate::schema::{Schema, Token, ValueType};

/// The changes that turn `old` into `new`, as `show | compare` prints them.
pub fn compare(old: &Config, new: &Config) -> String {
    let mut d = Differ {
        schema: Schema::junos(),
        out: String::new(),
        banner: None,
    };
    d.level(&old.statements, &new.statements, &mut Vec::new(), 0);
    d.out
}

struct Differ<'s> {
    schema: &'s Schema,
    out: String,
    banner: Option<Vec<String>>,
}

impl Differ<'_> {
    fn level(&mut self, old: &[Statement], new: &[Statement], path: &mut Vec<String>, h: usize) {
        let old_index: HashMap<String, usize> = old
            .iter()
            .enumerate()
            .map(|(i, s)| (identity(self.schema, s), i))
            .collect();
        // Old statements that some new statement keeps (possibly moved).
        let mut kept = vec![false; old.len()];
        for n in new {
            if let Some(&i) = old_index.get(&identity(self.schema, n)) {
                kept[i] = true;
            }
        }
        let mut matched = vec![false; old.len()];
        let mut flushed = 0usize;
        let mut prev_added = false;
        for (j, n) in new.iter().enumerate() {
            let Some(&i) = old_index.get(&identity(self.schema, n)) else {
                if !prev_added && self.ordered(n) {
                    if let Some(before) = new[..j].iter().rev().find(|p| p.node == n.node) {
                        self.context(path, h, before);
                    }
                }
                self.whole('+', path, h, n);
                prev_added = true;
                continue;
            };
            prev_added = false;
            while flushed < i {
                if !matched[flushed] && !kept[flushed] {
                    self.whole('-', path, h, &old[flushed]);
                }
                flushed += 1;
            }
            matched[i] = true;
            self.changed(&old[i], n, path, h);
        }
        for (i, o) in old.iter().enumerate().skip(flushed) {
            if !matched[i] && !kept[i] {
                self.whole('-', path, h, o);
            }
        }
    }

    fn changed(&mut self, o: &Statement, n: &Statement, path: &mut Vec<String>, h: usize) {
        if o.same_as(n) {
            return;
        }
        if o.inactive != n.inactive {
            let tail = if n.children.as_ref().is_some_and(|k| !k.is_empty()) {
                " { ... }"
            } else {
                ";"
            };
            let line = format!("{}{tail}", head(n));
            self.line('!', path, h, n, &line);
        }
        let o_block = o.children.is_some() || self.is_block(o);
        let n_block = n.children.is_some() || self.is_block(n);
        if o_block && n_block && o.list.is_none() {
            if o.words != n.words {
                self.whole('-', path, h, o);
                self.whole('+', path, h, n);
                return;
            }
            path.push(n.text());
            self.level(o.kids(), n.kids(), path, h + self.depth(n));
            path.pop();
        } else if o.words != n.words || o.list != n.list {
            self.whole('-', path, h, o);
            self.whole('+', path, h, n);
        }
    }

    fn is_block(&self, st: &Statement) -> bool {
        st.node.is_some_and(|id| self.schema.node(id).block)
    }

    fn ordered(&self, st: &Statement) -> bool {
        st.node.is_some_and(|id| self.schema.node(id).ordered)
    }

    /// Schema levels a statement stands for: `family inet` is two (a
    /// keyword followed by a keyword or an enum value opens a level), while
    /// `from-zone a to-zone b` and `unit 0` are one.
    fn depth(&self, st: &Statement) -> usize {
        let Some(id) = st.node else { return 1 };
        let pattern = &self.schema.node(id).pattern;
        1 + pattern
            .windows(2)
            .filter(|w| {
                matches!(
                    (&w[0], &w[1]),
                    (
                        Token::Keyword(_),
                        Token::Keyword(_) | Token::Value(ValueType::Enum(_))
                    )
                )
            })
            .count()
    }

    /// Spaces after the marker for a statement at banner depth `h`.
    fn indent(&self, st: &Statement, h: usize) -> usize {
        let keyed = st.node.is_some_and(|id| self.schema.node(id).keyed());
        let plain_leaf = st.children.is_none() && !keyed;
        if plain_leaf {
            h + 1
        } else {
            h + 2
        }
    }

    fn banner(&mut self, path: &[String]) {
        if self.banner.as_deref() == Some(path) {
            return;
        }
        if !(path.is_empty() && self.banner.is_none()) {
            if path.is_empty() {
                self.out.push_str("[edit]\n");
            } else {
                self.out.push_str(&format!("[edit {}]\n", path.join(" ")));
            }
        }
        self.banner = Some(path.to_vec());
    }

    fn line(&mut self, mark: char, path: &[String], h: usize, st: &Statement, text: &str) {
        self.banner(path);
        let pad = " ".repeat(self.indent(st, h));
        self.out.push_str(&format!("{mark}{pad}{text}\n"));
    }

    fn context(&mut self, path: &[String], h: usize, st: &Statement) {
        let tail = if st.children.as_ref().is_some_and(|k| !k.is_empty()) {
            " { ... }"
        } else {
            ";"
        };
        let text = format!("{}{tail}", head(st));
        self.line(' ', path, h, st, &text);
    }

    /// A statement added or removed with its whole subtree.
    fn whole(&mut self, mark: char, path: &[String], h: usize, st: &Statement) {
        self.banner(path);
        let base = self.indent(st, h);
        let mut body = String::new();
        crate::print::print_statement(st, 0, &mut body);
        for l in body.lines() {
            self.out.push(mark);
            self.out.push_str(&" ".repeat(base));
            self.out.push_str(l);
            self.out.push('\n');
        }
    }
}
