// SPDX-License-Identifier: Apache-2.0
//! Changing a configuration: `load merge|override|replace|set`, and the
//! `set`, `delete`, `activate`, `deactivate`, `protect`, `unprotect` commands.
//!
//! Every operation works on a copy and swaps it in only when the whole input
//! applied cleanly: a refused load leaves the configuration as it was.
//! Edits run on [`Tree`], an indexed form of the statements, so that a
//! 50,000-line `set` file loads in linear time.

use std::collections::HashMap;

use crate::ast::{Config, NodeId, Span, Statement, Word};
use crate::error::{Diagnostic, Errors, Severity};
use crate::parse::{parse, too_deep, Command, Item, Tail, Verb, MAX_DEPTH};
use crate::schema::{Match, Node, Schema, Token, APPLY_GROUPS, APPLY_GROUPS_EXCEPT, GROUPS, ROOT};

/// How `load` combines the text with the existing configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadMode {
    /// Add to and change the configuration.
    Merge,
    /// Replace the whole configuration.
    Override,
    /// Merge, but statements tagged `replace:` replace what they name.
    Replace,
    /// The text is set-form commands, applied in order.
    Set,
}

/// Loads `text` into `cfg`; on any error `cfg` is unchanged and every error
/// is returned. On success, returns the warnings (`statement not found`).
pub fn load_text(cfg: &mut Config, text: &str, mode: LoadMode) -> Result<Vec<Diagnostic>, Errors> {
    let items = parse(text)?;
    let schema = Schema::junos();
    let mut tree = if mode == LoadMode::Override {
        Tree::root()
    } else {
        Tree::from_config(schema, cfg)
    };
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for item in items {
        match item {
            Item::Statement(st) if mode == LoadMode::Set => errors.push(Diagnostic::syntax(
                st.span,
                "load set expects set-form commands, found a curly statement",
            )),
            Item::Statement(st) => {
                let resolved = resolve_all(
                    schema,
                    vec![st],
                    Ctx::Node(ROOT),
                    &mut Vec::new(),
                    &mut errors,
                );
                if errors.is_empty() {
                    for st in resolved {
                        tree.merge(schema, st, mode == LoadMode::Replace);
                    }
                }
            }
            Item::Command(cmd) => match tree.command(schema, &cmd) {
                Ok(w) => warnings.extend(w),
                Err(e) => errors.push(e),
            },
        }
    }
    if !errors.is_empty() {
        return Err(Errors(errors).sorted());
    }
    *cfg = tree.into_config(schema);
    Ok(warnings)
}

/// Loads what it can of `text`, leaving out each statement or command
/// that has an error, and returns every error with it. For `xpfd check`:
/// one pass then finds the syntax errors and what `commit check` says
/// about the rest. Text that does not parse at all (unbalanced braces)
/// gives an empty configuration.
pub fn parse_config_lenient(text: &str) -> (Config, Errors) {
    let items = match parse(text) {
        Ok(items) => items,
        Err(e) => return (Config::default(), e),
    };
    let schema = Schema::junos();
    let mut tree = Tree::root();
    let mut errors = Vec::new();
    for item in items {
        match item {
            Item::Statement(st) => {
                let resolved = resolve_all(
                    schema,
                    vec![st],
                    Ctx::Node(ROOT),
                    &mut Vec::new(),
                    &mut errors,
                );
                for mut st in resolved {
                    if prune_unknown(schema, &mut st) {
                        tree.merge(schema, st, false);
                    }
                }
            }
            Item::Command(cmd) => {
                if let Err(e) = tree.command(schema, &cmd) {
                    errors.push(e);
                }
            }
        }
    }
    (tree.into_config(schema), Errors(errors).sorted())
}

/// Drops the statements below `st` the schema did not match (their error
/// is already reported); false when `st` itself is one.
fn prune_unknown(schema: &Schema, st: &mut Statement) -> bool {
    let Some(id) = st.node else {
        return false;
    };
    if schema.node(id).opaque {
        return true;
    }
    if let Some(kids) = st.children.as_mut() {
        kids.retain_mut(|k| prune_unknown(schema, k));
    }
    true
}

/// Reads text into a fresh configuration (curly, set or mixed).
pub fn parse_config(text: &str) -> Result<Config, Errors> {
    let mut cfg = Config::default();
    load_text(&mut cfg, text, LoadMode::Merge)?;
    Ok(cfg)
}

/// Applies one set-form command; on error `cfg` is unchanged. Returns a
/// warning when the command changed nothing (`statement not found`).
pub fn apply_command(cfg: &mut Config, cmd: &Command) -> Result<Option<Diagnostic>, Errors> {
    let schema = Schema::junos();
    let mut tree = Tree::from_config(schema, cfg);
    let warning = tree.command(schema, cmd)?;
    if warning.is_none() {
        *cfg = tree.into_config(schema);
    }
    Ok(warning)
}

#[derive(Clone, Copy)]
enum Ctx {
    Node(NodeId),
    Opaque,
}

fn resolve_all(
    schema: &Schema,
    stmts: Vec<Statement>,
    ctx: Ctx,
    path: &mut Vec<String>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<Statement> {
    let mut out = Vec::with_capacity(stmts.len());
    let mut queue: std::collections::VecDeque<Statement> = stmts.into();
    while let Some(mut st) = queue.pop_front() {
        let mut extra = Vec::new();
        resolve(schema, &mut st, ctx, path, errors, &mut extra);
        out.push(st);
        for e in extra.into_iter().rev() {
            queue.push_front(e);
        }
    }
    out
}

/// `kw { v1; v2 to v3; }` as the statements `kw v1` and `kw v2 to v3`,
/// when each entry is one the schema knows under `parent`.
fn ungroup(schema: &Schema, parent: NodeId, st: &Statement) -> Option<Vec<Statement>> {
    let kids = st.children.as_ref().filter(|k| !k.is_empty())?;
    let kw = st.words.first()?;
    let known = kids.iter().all(|k| {
        let words: Vec<&str> = std::iter::once(kw.text.as_str())
            .chain(k.words.iter().map(|w| w.text.as_str()))
            .collect();
        schema.match_child(parent, &words).is_some()
    });
    known.then(|| {
        kids.iter()
            .map(|k| Statement {
                words: std::iter::once(kw.clone())
                    .chain(k.words.iter().cloned())
                    .collect(),
                inactive: k.inactive || st.inactive,
                ..k.clone()
            })
            .collect()
    })
}

/// Matches a curly statement (and its subtree) against the schema: sets
/// `node`, folds list values into `list`, checks value types. Sibling
/// statements split off a flat one-line form go to `extra`.
fn resolve(
    schema: &Schema,
    st: &mut Statement,
    ctx: Ctx,
    path: &mut Vec<String>,
    errors: &mut Vec<Diagnostic>,
    extra: &mut Vec<Statement>,
) {
    let parent = match ctx {
        Ctx::Opaque => {
            st.node = None;
            if let Some(list) = st.list.as_mut() {
                let mut seen: Vec<Word> = Vec::with_capacity(list.len());
                list.retain(|v| {
                    let new = !seen.contains(v);
                    if new {
                        seen.push(v.clone());
                    }
                    new
                });
            }
            if st.children.is_some() && path.len() >= MAX_DEPTH {
                errors.push(deep_statement(st, path));
                return;
            }
            path.push(st.text());
            if let Some(kids) = st.children.take() {
                st.children = Some(resolve_all(schema, kids, Ctx::Opaque, path, errors));
            }
            path.pop();
            return;
        }
        Ctx::Node(p) => p,
    };
    let words: Vec<&str> = st.words.iter().map(|w| w.text.as_str()).collect();
    let m = schema.match_child(parent, &words);
    // A collapsed statement (`groups foo { ... }`) spans several levels, as a
    // set line does: split it into a chain of blocks.
    if let Some(m) = m.filter(|m| {
        m.consumed < words.len() && schema.node(m.node).block && !schema.node(m.node).list
    }) {
        let rest = Statement {
            words: st.words.split_off(m.consumed),
            span: st.words.get(m.consumed).map(|w| w.span).unwrap_or(st.span),
            list: st.list.take(),
            children: st.children.take(),
            ..st.clone()
        };
        st.children = Some(vec![rest]);
        (st.inactive, st.protect, st.replace, st.delete) = (false, false, false, false);
        st.annotation = None;
        return resolve(schema, st, ctx, path, errors, extra);
    }
    // Junos prints flat objects on one line (`term t1 protocol tcp
    // destination-port 80;`): a complete leaf followed by more words that
    // form a sibling statement.
    if let Some(m) = m.filter(|m| m.consumed < words.len() && !schema.node(m.node).block) {
        if schema.match_child(parent, &words[m.consumed..]).is_some() && st.children.is_none() {
            let rest = Statement {
                words: st.words.split_off(m.consumed),
                span: st.words.get(m.consumed).map(|w| w.span).unwrap_or(st.span),
                list: st.list.take(),
                ..Statement::default()
            };
            resolve(schema, st, ctx, path, errors, extra);
            extra.push(rest);
            return;
        }
    }
    // Junos prints some keyed statements grouped under their keyword
    // (`destination-port { 80; 8080 to 8081; }`): each entry is the
    // statement `destination-port 80`, and so on.
    if m.is_none() && words.len() == 1 && st.list.is_none() {
        if let Some(entries) = ungroup(schema, parent, st) {
            let mut entries = entries.into_iter();
            if let Some(first) = entries.next() {
                *st = first;
                extra.extend(entries);
                return resolve(schema, st, ctx, path, errors, extra);
            }
        }
    }
    let m = m.filter(|m| m.consumed == words.len());
    let Some(Match { node: id, .. }) = m else {
        errors.push(unknown_statement(schema, parent, &st.words, st.span, path));
        return;
    };
    let node = schema.node(id);
    st.node = Some(id);
    if node.list {
        let key = node.key_len(words.len());
        let mut values: Vec<Word> = Vec::new();
        for v in st
            .words
            .drain(key..)
            .chain(st.list.take().unwrap_or_default())
        {
            // A value named twice is one value, as `set` treats it.
            if !values.contains(&v) {
                values.push(v);
            }
        }
        if values.is_empty() {
            errors.push(Diagnostic::at(
                Severity::Syntax,
                Some(st.span),
                path,
                st.text(),
                format!("syntax error, expecting {}", node.pattern_text()),
            ));
            return;
        }
        st.list = Some(values);
    } else if st.list.is_some() && !node.opaque {
        errors.push(Diagnostic::at(
            Severity::Syntax,
            Some(st.span),
            path,
            st.text(),
            "this statement takes a single value, not a [ ] list",
        ));
    }
    if let Err(e) = check_values(schema, id, &st.words, st.list.as_deref()) {
        errors.push(Diagnostic::at(
            Severity::Syntax,
            Some(e.0),
            path,
            st.text(),
            e.1,
        ));
    }
    if st.children.is_some() && !node.block {
        errors.push(Diagnostic::at(
            Severity::Syntax,
            Some(st.span),
            path,
            st.text(),
            "this statement takes no block: end it with ';'",
        ));
        return;
    }
    let child_ctx = if node.opaque {
        Ctx::Opaque
    } else {
        Ctx::Node(id)
    };
    // The parser bounds `{` nesting; a collapsed statement split into a
    // chain of blocks above can still go deeper.
    if st.children.is_some() && path.len() >= MAX_DEPTH {
        errors.push(deep_statement(st, path));
        return;
    }
    path.push(st.text());
    if let Some(kids) = st.children.take() {
        st.children = Some(resolve_all(schema, kids, child_ctx, path, errors));
    }
    path.pop();
}

/// A block that would put its children more than [`MAX_DEPTH`] levels down.
fn deep_statement(st: &Statement, path: &[String]) -> Diagnostic {
    Diagnostic::at(Severity::Syntax, Some(st.span), path, st.text(), too_deep())
}

fn unknown_statement(
    schema: &Schema,
    parent: NodeId,
    words: &[Word],
    span: Span,
    path: &[String],
) -> Diagnostic {
    let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    let first = text.first().copied().unwrap_or("");
    let forms: Vec<&Node> = schema
        .child_keywords(parent)
        .into_iter()
        .filter(|(k, _)| *k == first)
        .map(|(_, n)| n)
        .collect();
    let message = if forms.is_empty() {
        format!("syntax error: '{first}' is not a statement here")
    } else {
        // Say which forms the keyword has, so the user sees what is
        // missing or too much.
        let short = forms.iter().all(|n| text.len() < n.pattern.len());
        let expecting: Vec<String> = forms.iter().map(|n| n.pattern_text()).collect();
        format!(
            "syntax error: '{}' {}, expecting {}",
            text.join(" "),
            if short {
                "is incomplete"
            } else {
                "has extra words"
            },
            expecting.join(" or ")
        )
    };
    Diagnostic::at(Severity::Syntax, Some(span), path, text.join(" "), message)
}

/// Checks the value words of a statement against its pattern.
fn check_values(
    schema: &Schema,
    id: NodeId,
    words: &[Word],
    list: Option<&[Word]>,
) -> Result<(), (Span, String)> {
    let node = schema.node(id);
    for (t, w) in node.pattern.iter().zip(words) {
        if let Token::Value(v) = t {
            v.check(&w.text).map_err(|e| (w.span, e))?;
        }
    }
    if let (Some(values), Some(Token::Value(v))) = (list, node.pattern.last()) {
        for w in values {
            v.check(&w.text).map_err(|e| (w.span, e))?;
        }
    }
    Ok(())
}

/// The identity of a statement among its siblings: what `set` replaces and
/// `delete` removes (`host-name`, `unit 0`, `address 10.0.0.1/24`).
pub(crate) fn identity(schema: &Schema, st: &Statement) -> String {
    let take = match st.node {
        Some(id) => schema.node(id).key_len(st.words.len()),
        None => st.words.len(),
    };
    let words = &st.words[..take.min(st.words.len())];
    let mut key = String::with_capacity(4 + words.iter().map(|w| w.text.len() + 1).sum::<usize>());
    // The node id as one private-use character: cheap and unambiguous.
    key.push(match st.node {
        Some(id) => char::from_u32(0xF0000 + id).unwrap_or('\u{FFFD}'),
        None => '~',
    });
    for w in words {
        key.push('\u{1}');
        key.push_str(&w.text);
    }
    key
}

/// Display position of a statement among its siblings.
pub(crate) fn display_rank(schema: &Schema, st: &Statement) -> u32 {
    match st.node {
        Some(GROUPS) => 1,
        Some(APPLY_GROUPS) | Some(APPLY_GROUPS_EXCEPT) => 2,
        Some(id) if schema.node(id).keyword() == Some("version") => 0,
        Some(id) => 10 + schema.node(id).order,
        None => u32::MAX,
    }
}

/// The indexed, editable form of a configuration.
struct Tree {
    st: Statement,
    /// Its identity among its siblings.
    key: String,
    kids: Vec<Option<Tree>>,
    /// Identity -> position, built once a block has many children.
    index: Option<HashMap<String, usize>>,
}

/// Below this many children a linear scan beats hashing.
const INDEX_FROM: usize = 12;

impl Tree {
    fn root() -> Tree {
        Tree {
            st: Statement {
                children: Some(Vec::new()),
                ..Statement::default()
            },
            key: String::new(),
            kids: Vec::new(),
            index: None,
        }
    }

    fn from_config(schema: &Schema, cfg: &Config) -> Tree {
        let mut root = Tree::root();
        for st in &cfg.statements {
            root.push(schema, Tree::from_statement(schema, st.clone()));
        }
        root
    }

    fn from_statement(schema: &Schema, mut st: Statement) -> Tree {
        let children = st.children.as_mut().map(std::mem::take);
        let mut t = Tree {
            key: identity(schema, &st),
            st,
            kids: Vec::new(),
            index: None,
        };
        for c in children.into_iter().flatten() {
            let child = Tree::from_statement(schema, c);
            let repeated = t.find(&identity(schema, &child.st)).is_some();
            if child.st.delete || child.st.replace || !repeated {
                // Tags act on the target at merge time, not while reading.
                t.push(schema, child);
            } else {
                t.merge_tree(schema, child, false);
            }
        }
        t
    }

    fn push(&mut self, _schema: &Schema, t: Tree) {
        let at = self.kids.len();
        if let Some(index) = self.index.as_mut() {
            index.insert(t.key.clone(), at);
        } else if at + 1 >= INDEX_FROM {
            let mut index: HashMap<String, usize> = HashMap::with_capacity(at * 2);
            for (i, k) in self.kids.iter().enumerate() {
                if let Some(k) = k {
                    index.insert(k.key.clone(), i);
                }
            }
            index.insert(t.key.clone(), at);
            self.index = Some(index);
        }
        self.kids.push(Some(t));
    }

    fn find(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied().filter(|&i| self.kids[i].is_some()),
            None => self
                .kids
                .iter()
                .position(|k| k.as_ref().is_some_and(|k| k.key == key)),
        }
    }

    /// In an opaque subtree set lines load flat (`bgp group a type
    /// external;` is one statement): the schema cannot tell its levels. A
    /// later command naming a level inside such statements (`deactivate
    /// protocols bgp group a`, as `display set` writes it) splits the ones
    /// it prefixes under that level, so the command finds it. Found by
    /// `xpf-fuzz config`: the command was "statement not found", and a
    /// deactivated level came back active from its own set form.
    ///
    /// Nothing changes when a statement already matches a prefix of
    /// `rest`, or when the split would nest deeper than `room` levels.
    fn split_flat(&mut self, schema: &Schema, rest: &[Word], room: usize) {
        let starts = |w: &[Word], with: &[Word]| {
            w.len() >= with.len() && w.iter().zip(with).all(|(a, b)| a == b)
        };
        if self
            .kids
            .iter()
            .flatten()
            .any(|k| starts(rest, &k.st.words))
        {
            return;
        }
        let under: Vec<usize> = self
            .kids
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                k.as_ref()
                    .is_some_and(|k| k.st.words.len() > rest.len() && starts(&k.st.words, rest))
            })
            .map(|(i, _)| i)
            .collect();
        let Some(&first) = under.first() else {
            return;
        };
        if under
            .iter()
            .filter_map(|&i| self.kids[i].as_ref())
            .any(|k| k.height() >= room)
        {
            return;
        }
        let span = self.kids[first]
            .as_ref()
            .map(|k| k.st.span)
            .unwrap_or_default();
        let mut block = Tree::from_statement(
            schema,
            Statement {
                words: rest.to_vec(),
                children: Some(Vec::new()),
                span,
                ..Statement::default()
            },
        );
        for &i in &under {
            if let Some(mut k) = self.kids[i].take() {
                k.st.words.drain(..rest.len());
                k.key = identity(schema, &k.st);
                block.push(schema, k);
            }
        }
        self.kids[first] = Some(block);
        self.kids.retain(Option::is_some);
        self.reindex();
    }

    /// Levels from this statement down to its deepest leaf.
    fn height(&self) -> usize {
        1 + self
            .kids
            .iter()
            .flatten()
            .map(Tree::height)
            .max()
            .unwrap_or(0)
    }

    fn remove(&mut self, i: usize) {
        if let Some(t) = self.kids[i].take() {
            if let Some(index) = self.index.as_mut() {
                index.remove(&t.key);
            }
        }
    }

    /// Merges a resolved curly statement.
    fn merge(&mut self, schema: &Schema, st: Statement, replace_mode: bool) {
        let t = Tree::from_statement(schema, st);
        self.merge_tree(schema, t, replace_mode);
    }

    fn merge_tree(&mut self, schema: &Schema, mut inc: Tree, replace_mode: bool) {
        let key = identity(schema, &inc.st);
        let existing = self.find(&key);
        if inc.st.delete {
            if let Some(i) = existing {
                self.remove(i);
            }
            return;
        }
        let replace = replace_mode && inc.st.replace;
        inc.st.replace = false;
        let Some(i) = existing else {
            inc.strip_deletes();
            self.push(schema, inc);
            return;
        };
        let Some(cur) = self.kids[i].as_mut() else {
            return;
        };
        if replace {
            *cur = inc;
            return;
        }
        cur.st.inactive |= inc.st.inactive;
        cur.st.protect |= inc.st.protect;
        if inc.st.annotation.is_some() {
            cur.st.annotation = inc.st.annotation.take();
        }
        if let (Some(have), Some(add)) = (cur.st.list.as_mut(), inc.st.list.take()) {
            for v in add {
                if !have.contains(&v) {
                    have.push(v);
                }
            }
        } else if inc.st.children.is_none() && cur.st.children.is_none() {
            cur.st.words = inc.st.words;
        } else {
            if cur.st.children.is_none() {
                cur.st.children = Some(Vec::new());
            }
            for k in inc.kids.into_iter().flatten() {
                cur.merge_tree(schema, k, replace_mode);
            }
        }
    }

    fn strip_deletes(&mut self) {
        for slot in &mut self.kids {
            if slot.as_ref().is_some_and(|k| k.st.delete) {
                *slot = None;
            } else if let Some(k) = slot {
                k.strip_deletes();
            }
        }
    }

    /// Applies one set-form command. A path that does not exist is a
    /// warning for every verb but `set` (as on Junos), and changes nothing.
    fn command(
        &mut self,
        schema: &Schema,
        cmd: &Command,
    ) -> Result<Option<Diagnostic>, Diagnostic> {
        match self.command_inner(schema, cmd) {
            Err(d) if d.severity == Severity::Warning => Ok(Some(d)),
            Err(d) => Err(d),
            Ok(()) => Ok(None),
        }
    }

    fn command_inner(&mut self, schema: &Schema, cmd: &Command) -> Result<(), Diagnostic> {
        match self.walk(schema, cmd)? {
            Flow::Done => Ok(()),
            Flow::Split { parent, leaf_end } => {
                let first = Command {
                    words: cmd.words[..leaf_end].to_vec(),
                    list: None,
                    ..cmd.clone()
                };
                let mut words = cmd.words[..parent].to_vec();
                words.extend_from_slice(&cmd.words[leaf_end..]);
                let second = Command {
                    words,
                    ..cmd.clone()
                };
                self.command_inner(schema, &first)?;
                self.command_inner(schema, &second)
            }
        }
    }

    fn walk(&mut self, schema: &Schema, cmd: &Command) -> Result<Flow, Diagnostic> {
        let creating = cmd.verb == Verb::Set;
        let mut cur: &mut Tree = self;
        let mut ctx = Ctx::Node(ROOT);
        let mut path: Vec<String> = Vec::new();
        let words = &cmd.words;
        let mut i = 0;
        while i < words.len() {
            let rest: Vec<&str> = words[i..].iter().map(|w| w.text.as_str()).collect();
            let (node, consumed) = match ctx {
                Ctx::Opaque => {
                    if !creating {
                        let room = MAX_DEPTH.saturating_sub(path.len() + 1);
                        cur.split_flat(schema, &words[i..], room);
                    }
                    (None, opaque_step(cur, &words[i..], creating))
                }
                Ctx::Node(p) => {
                    let m = match_for(schema, p, &rest, creating).ok_or_else(|| {
                        let mut d = unknown_statement(schema, p, &words[i..], words[i].span, &path);
                        d.statement = Some(rest.join(" "));
                        d
                    })?;
                    (Some(m.node), m.consumed)
                }
            };
            let last = i + consumed == words.len();
            let n = node.map(|id| schema.node(id));
            let is_leaf = match (n, ctx) {
                (Some(n), _) => !n.block,
                (None, _) => last && cur_kid_is_leaf(cur, &words[i..i + consumed]),
            };
            if is_leaf && !last {
                if let Ctx::Node(p) = ctx {
                    let after: Vec<&str> = rest[consumed..].to_vec();
                    if n.is_some() && schema.match_child(p, &after).is_some() {
                        return Ok(Flow::Split {
                            parent: i,
                            leaf_end: i + consumed,
                        });
                    }
                }
                let extra = &words[i + consumed];
                return Err(Diagnostic::at(
                    Severity::Syntax,
                    Some(extra.span),
                    &path,
                    rest.join(" "),
                    format!("syntax error: unexpected '{}'", extra.text),
                ));
            }
            let mut st = Statement {
                words: words[i..i + consumed].to_vec(),
                node,
                span: words[i].span,
                ..Statement::default()
            };
            if let Some(n) = n {
                if n.list {
                    let key = n.key_len(st.words.len());
                    let mut values: Vec<Word> = st.words.drain(key..).collect();
                    values.extend(cmd.list.clone().unwrap_or_default());
                    if values.is_empty() && creating {
                        return Err(Diagnostic::at(
                            Severity::Syntax,
                            Some(words[i].span),
                            &path,
                            rest.join(" "),
                            format!("syntax error, expecting {}", n.pattern_text()),
                        ));
                    }
                    st.list = Some(values);
                } else if last && cmd.list.is_some() && !n.opaque {
                    return Err(Diagnostic::at(
                        Severity::Syntax,
                        Some(cmd.span),
                        &path,
                        st.text(),
                        "this statement takes a single value, not a [ ] list",
                    ));
                } else if last && cmd.list.is_some() {
                    // An opaque leaf keeps whatever list it was given.
                    st.list = cmd.list.clone();
                }
                if creating || !st.words.is_empty() {
                    if let Err((span, msg)) =
                        check_values(schema, node.unwrap_or(ROOT), &st.words, st.list.as_deref())
                    {
                        return Err(Diagnostic::at(
                            Severity::Syntax,
                            Some(span),
                            &path,
                            rest.join(" "),
                            msg,
                        ));
                    }
                }
            } else if last && cmd.list.is_some() {
                st.list = cmd.list.clone();
            }
            if !is_leaf {
                st.children = Some(Vec::new());
            }
            let key = identity(schema, &st);
            let found = cur.find(&key);
            if last {
                return cur
                    .finish(schema, cmd, st, found, &path, ctx)
                    .map(|()| Flow::Done);
            }
            let idx = match found {
                Some(idx) => idx,
                None if creating => {
                    cur.push(schema, Tree::from_statement(schema, st.clone()));
                    cur.kids.len() - 1
                }
                None => return Err(not_found(&path, &st)),
            };
            // Each step of a set line is a level, as each `{` is in curly
            // text: keep both forms under one bound, so that every tree
            // prints back as text that loads.
            if path.len() >= MAX_DEPTH {
                return Err(Diagnostic::at(
                    Severity::Syntax,
                    Some(words[i].span),
                    &path,
                    rest.join(" "),
                    too_deep(),
                ));
            }
            path.push(st.text());
            let Some(next) = cur.kids[idx].as_mut() else {
                return Err(not_found(&path, &st));
            };
            if next.st.children.is_none() {
                next.st.children = Some(Vec::new());
            }
            ctx = match (ctx, n) {
                (Ctx::Node(_), Some(n)) if !n.opaque => Ctx::Node(node.unwrap_or(ROOT)),
                _ => Ctx::Opaque,
            };
            cur = next;
            i += consumed;
        }
        Ok(Flow::Done)
    }

    /// Applies the verb to the statement the command's path ends at.
    fn finish(
        &mut self,
        schema: &Schema,
        cmd: &Command,
        st: Statement,
        found: Option<usize>,
        path: &[String],
        ctx: Ctx,
    ) -> Result<(), Diagnostic> {
        let verb = cmd.verb;
        let Some(i) = found else {
            if verb == Verb::Set {
                self.push(schema, Tree::from_statement(schema, st));
                return Ok(());
            }
            return Err(not_found(path, &st));
        };
        let Some(cur) = self.kids[i].as_mut() else {
            return Err(not_found(path, &st));
        };
        if cur.st.protect
            && matches!(
                verb,
                Verb::Set | Verb::Delete | Verb::Deactivate | Verb::Activate
            )
        {
            return Err(Diagnostic::at(
                Severity::Check,
                Some(st.span),
                path,
                cur.st.text(),
                "statement is protected: unprotect it first",
            ));
        }
        match verb {
            Verb::Set => {
                if let (Some(have), Some(add)) = (cur.st.list.as_mut(), st.list) {
                    for v in add {
                        if !have.contains(&v) {
                            have.push(v);
                        }
                    }
                } else if st.children.is_none() {
                    cur.st.words = st.words;
                }
            }
            Verb::Delete => {
                let values = st.list.unwrap_or_default();
                match cur.st.list.as_mut() {
                    Some(have) if !values.is_empty() => {
                        let before = have.len();
                        have.retain(|v| !values.contains(v));
                        if have.len() == before {
                            return Err(not_found(path, &cur.st));
                        }
                        if have.is_empty() {
                            self.remove(i);
                        }
                    }
                    _ => self.remove(i),
                }
            }
            Verb::Deactivate => cur.st.inactive = true,
            Verb::Activate => cur.st.inactive = false,
            Verb::Protect => cur.st.protect = true,
            Verb::Unprotect => cur.st.protect = false,
            Verb::Annotate => {
                if let Some(Tail::Comment(c)) = &cmd.tail {
                    cur.st.annotation = (!c.is_empty()).then(|| c.clone());
                }
            }
            Verb::Insert => {
                let Some(Tail::Place { before, reference }) = &cmd.tail else {
                    return Ok(());
                };
                let before = *before;
                let mut sibling = Statement {
                    words: reference.clone(),
                    span: reference.first().map(|w| w.span).unwrap_or(st.span),
                    ..Statement::default()
                };
                if let Ctx::Node(p) = ctx {
                    let words: Vec<&str> = reference.iter().map(|w| w.text.as_str()).collect();
                    sibling.node = schema
                        .match_child(p, &words)
                        .filter(|m| m.consumed == words.len())
                        .map(|m| m.node);
                }
                let Some(j) = self.find(&identity(schema, &sibling)) else {
                    // Unlike a no-op delete, a missing reference is an error.
                    return Err(Diagnostic {
                        severity: Severity::Check,
                        ..not_found(path, &sibling)
                    });
                };
                self.reorder(i, j, before);
            }
        }
        Ok(())
    }

    /// Moves child `i` before or after child `j`.
    fn reorder(&mut self, i: usize, j: usize, before: bool) {
        if i == j {
            return;
        }
        let moving = self.kids[i].take();
        let mut at = if before { j } else { j + 1 };
        if i < at {
            at -= 1;
        }
        self.kids.remove(i);
        self.kids.insert(at, moving);
        self.reindex();
    }

    fn reindex(&mut self) {
        self.index = (self.kids.len() >= INDEX_FROM).then(|| {
            self.kids
                .iter()
                .enumerate()
                .filter_map(|(i, k)| k.as_ref().map(|k| (k.key.clone(), i)))
                .collect()
        });
    }

    fn into_statement(self, schema: &Schema) -> Statement {
        let mut st = self.st;
        if st.children.is_some() {
            let mut kids: Vec<Statement> = self
                .kids
                .into_iter()
                .flatten()
                .map(|k| k.into_statement(schema))
                .collect();
            if !kids.is_sorted_by_key(|k| display_rank(schema, k)) {
                kids.sort_by_key(|k| display_rank(schema, k));
            }
            st.children = Some(kids);
        }
        st
    }

    fn into_config(self, schema: &Schema) -> Config {
        Config {
            statements: self.into_statement(schema).children.unwrap_or_default(),
        }
    }
}

/// How a set-form walk ended.
enum Flow {
    Done,
    /// A flat line: the leaf ends at `leaf_end`, and the words after it are
    /// a sibling under the statement that ends at `parent`.
    Split {
        parent: usize,
        leaf_end: usize,
    },
}

/// For `set`, the pattern must be complete; other verbs may stop at the
/// keyword (`delete system host-name`).
fn match_for(schema: &Schema, parent: NodeId, words: &[&str], creating: bool) -> Option<Match> {
    if let Some(m) = schema.match_child(parent, words) {
        return Some(m);
    }
    if creating {
        return None;
    }
    schema
        .children(parent)
        .iter()
        .copied()
        .filter(|&c| schema.node(c).keyword() == words.first().copied())
        .map(|c| Match {
            node: c,
            consumed: 1,
        })
        .next()
}

/// Inside an opaque subtree the schema cannot split words into levels:
/// follow the longest existing statement whose words prefix the rest, else
/// take everything as one leaf (lossless, and prints back the same line).
fn opaque_step(cur: &Tree, rest: &[Word], creating: bool) -> usize {
    let best = cur
        .kids
        .iter()
        .flatten()
        .filter(|k| k.st.children.is_some() || !creating)
        .map(|k| &k.st.words)
        .filter(|w| w.len() <= rest.len() && w.iter().zip(rest).all(|(a, b)| a == b))
        .map(Vec::len)
        .max();
    match best {
        Some(n) if n < rest.len() || !creating => n,
        _ => rest.len(),
    }
}

fn cur_kid_is_leaf(cur: &Tree, words: &[Word]) -> bool {
    cur.kids
        .iter()
        .flatten()
        .find(|k| k.st.words == words)
        .is_none_or(|k| k.st.children.is_none())
}

fn not_found(path: &[String], st: &Statement) -> Diagnostic {
    Diagnostic::at(
        Severity::Warning,
        Some(st.span),
        path,
        st.text(),
        "statement not found",
    )
}
