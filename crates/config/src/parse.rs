// SPDX-License-Identifier: Apache-2.0
//! Parser for curly, `set` and mixed Junos text into [`Item`]s.
//!
//! Parsing is grammar-wide: any well-formed text parses. Which statements
//! exist, and how `set` words split into hierarchy levels, is the schema's
//! business (see [`crate::edit`]).

use crate::ast::{Span, Statement, Word};
use crate::error::{Diagnostic, Errors};
use crate::lexer::{tokenize, Tok, Token};

/// The verb of a set-form line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// `set`
    Set,
    /// `delete`
    Delete,
    /// `deactivate`
    Deactivate,
    /// `activate`
    Activate,
    /// `protect`
    Protect,
    /// `unprotect`
    Unprotect,
    /// `annotate <statement> "comment"`
    Annotate,
    /// `insert <statement> before|after <sibling>`
    Insert,
}

impl Verb {
    /// Every verb (the CLI's command list is checked against it).
    pub const ALL: [Verb; 8] = [
        Verb::Set,
        Verb::Delete,
        Verb::Deactivate,
        Verb::Activate,
        Verb::Protect,
        Verb::Unprotect,
        Verb::Annotate,
        Verb::Insert,
    ];

    fn from_word(w: &str) -> Option<Verb> {
        Some(match w {
            "set" => Verb::Set,
            "delete" => Verb::Delete,
            "deactivate" => Verb::Deactivate,
            "activate" => Verb::Activate,
            "protect" => Verb::Protect,
            "unprotect" => Verb::Unprotect,
            "annotate" => Verb::Annotate,
            "insert" => Verb::Insert,
            _ => return None,
        })
    }

    /// The word that starts the line.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Set => "set",
            Verb::Delete => "delete",
            Verb::Deactivate => "deactivate",
            Verb::Activate => "activate",
            Verb::Protect => "protect",
            Verb::Unprotect => "unprotect",
            Verb::Annotate => "annotate",
            Verb::Insert => "insert",
        }
    }
}

/// One set-form line: `set interfaces ge-0/0/0 mtu 1500`.
#[derive(Debug, Clone)]
pub struct Command {
    /// The verb.
    pub verb: Verb,
    /// The words after the verb.
    pub words: Vec<Word>,
    /// A trailing `[ a b ]` list, if written.
    pub list: Option<Vec<Word>>,
    /// Where the line starts.
    pub span: Span,
    /// What `annotate` and `insert` take after the statement path.
    pub tail: Option<Tail>,
}

/// The part of an `annotate` or `insert` line after the statement path.
#[derive(Debug, Clone)]
pub enum Tail {
    /// The annotation (empty removes it).
    Comment(String),
    /// Where to move the statement: before or after a sibling.
    Place {
        /// `before` (else `after`).
        before: bool,
        /// The sibling's words (`policy p1`).
        reference: Vec<Word>,
    },
}

/// One top-level item of configuration text.
#[derive(Debug, Clone)]
pub enum Item {
    /// A curly-form statement (with its subtree).
    Statement(Statement),
    /// A set-form line.
    Command(Command),
}

/// How many `{` blocks may nest inside one another.
///
/// Real Junos hierarchies are under 20 levels deep (xpf's schema nests 9,
/// `groups NAME` adds 2); the limit leaves room for opaque statements while
/// keeping every recursive walk of the tree (parse, resolve, merge, print,
/// compare, groups, drop) far from the stack's end: without it a 12 kB
/// file of 3,000 nested blocks overflowed the daemon's stack.
pub const MAX_DEPTH: usize = 64;

/// The message of a too-deep diagnostic.
pub(crate) fn too_deep() -> String {
    format!("nesting too deep: more than {MAX_DEPTH} levels of blocks")
}

/// Parses curly, set or mixed text.
pub fn parse(text: &str) -> Result<Vec<Item>, Errors> {
    let tokens = tokenize(text)?;
    Parser {
        tokens,
        pos: 0,
        depth: 0,
    }
    .items()
}

/// Parses one set-form line typed at a prompt (the verb included).
pub fn parse_command(line: &str) -> Result<Command, Errors> {
    let mut items = parse(line)?;
    match (items.pop(), items.is_empty()) {
        (Some(Item::Command(c)), true) => Ok(c),
        _ => Err(
            Diagnostic::syntax(Span { line: 1, col: 1 }, "expected one set-form command").into(),
        ),
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// How many blocks enclose the current position.
    depth: usize,
}

const TAGS: [&str; 5] = ["inactive:", "protect:", "replace:", "delete:", "active:"];

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn eof_span(&self) -> Span {
        self.tokens
            .last()
            .map(|t| t.span)
            .unwrap_or(Span { line: 1, col: 1 })
    }

    fn items(mut self) -> Result<Vec<Item>, Errors> {
        let mut items = Vec::new();
        loop {
            let annotation = self.skip_trivia();
            let Some(tok) = self.peek().cloned() else {
                return Ok(items);
            };
            match &tok.tok {
                Tok::Word {
                    text,
                    quoted: false,
                } if Verb::from_word(text).is_some() => {
                    let verb = Verb::from_word(text).unwrap_or(Verb::Set);
                    self.pos += 1;
                    items.push(Item::Command(self.command(verb, tok.span)?));
                }
                Tok::Word { .. } => {
                    let mut st = self.statement()?;
                    st.annotation = annotation;
                    items.push(Item::Statement(st));
                }
                Tok::Close => {
                    return Err(Diagnostic::syntax(
                        tok.span,
                        "unexpected '}': no block is open here (one '}' too many above?)",
                    )
                    .into())
                }
                other => {
                    return Err(Diagnostic::syntax(
                        tok.span,
                        format!("expected a statement, found {}", other.describe()),
                    )
                    .into())
                }
            }
        }
    }

    /// Skips newlines and comments; returns the last `/* */` that stands on
    /// its own line(s) right before the next statement (its annotation).
    fn skip_trivia(&mut self) -> Option<String> {
        let mut annotation = None;
        let mut trailing = self.pos > 0
            && matches!(
                self.tokens.get(self.pos - 1).map(|t| &t.tok),
                Some(Tok::Semi | Tok::Open | Tok::Close)
            );
        while let Some(t) = self.peek() {
            match &t.tok {
                Tok::Newline => {
                    trailing = false;
                    self.pos += 1;
                }
                Tok::LineComment => self.pos += 1,
                Tok::BlockComment(c) => {
                    annotation = if trailing { None } else { Some(c.clone()) };
                    self.pos += 1;
                }
                _ => break,
            }
        }
        annotation
    }

    fn command(&mut self, verb: Verb, span: Span) -> Result<Command, Errors> {
        let mut cmd = Command {
            verb,
            words: Vec::new(),
            list: None,
            span,
            tail: None,
        };
        while let Some(t) = self.peek().cloned() {
            self.pos += 1;
            match t.tok {
                Tok::Newline => break,
                Tok::Word { text, quoted } => {
                    if cmd.list.is_some() {
                        return Err(Diagnostic::syntax(t.span, "words after ']'").into());
                    }
                    cmd.words.push(Word {
                        text,
                        quoted,
                        span: t.span,
                    });
                }
                Tok::ListOpen => cmd.list = Some(self.list_values(t.span)?),
                Tok::LineComment | Tok::BlockComment(_) => {}
                Tok::Semi => {}
                Tok::Open | Tok::Close | Tok::ListClose => {
                    return Err(Diagnostic::syntax(
                        t.span,
                        format!(
                            "unexpected '{}' in a {} command",
                            tok_text(&t.tok),
                            verb.as_str()
                        ),
                    )
                    .into())
                }
            }
        }
        if cmd.words.is_empty() {
            return Err(Diagnostic::syntax(
                span,
                format!("'{}' needs a statement path", verb.as_str()),
            )
            .into());
        }
        match verb {
            Verb::Annotate => {
                let comment = cmd
                    .words
                    .pop()
                    .filter(|_| !cmd.words.is_empty())
                    .ok_or_else(|| {
                        Diagnostic::syntax(span, "annotate needs a statement and a \"comment\"")
                    })?;
                cmd.tail = Some(Tail::Comment(comment.text));
            }
            Verb::Insert => {
                let at = cmd
                    .words
                    .iter()
                    .rposition(|w| !w.quoted && (w.text == "before" || w.text == "after"))
                    .filter(|&i| i > 0 && i + 1 < cmd.words.len())
                    .ok_or_else(|| {
                        Diagnostic::syntax(
                            span,
                            "insert needs <statement> before|after <statement>",
                        )
                    })?;
                let reference = cmd.words.split_off(at + 1);
                let before = cmd.words.pop().is_some_and(|w| w.text == "before");
                cmd.tail = Some(Tail::Place { before, reference });
            }
            _ => {}
        }
        Ok(cmd)
    }

    fn list_values(&mut self, open: Span) -> Result<Vec<Word>, Errors> {
        let mut values = Vec::new();
        while let Some(t) = self.peek().cloned() {
            self.pos += 1;
            match t.tok {
                Tok::ListClose => return Ok(values),
                Tok::Word { text, quoted } => values.push(Word {
                    text,
                    quoted,
                    span: t.span,
                }),
                Tok::Newline | Tok::LineComment | Tok::BlockComment(_) => {}
                other => {
                    return Err(Diagnostic::syntax(
                        t.span,
                        format!("unexpected '{}' inside [ ]", tok_text(&other)),
                    )
                    .into())
                }
            }
        }
        Err(Diagnostic::syntax(open, "missing ']'").into())
    }

    /// One curly statement: `[tags] words ( ; | [ list ] ; | { children } )`.
    fn statement(&mut self) -> Result<Statement, Errors> {
        let mut st = Statement::default();
        let mut first = true;
        loop {
            let Some(t) = self.peek().cloned() else {
                return Err(Diagnostic::syntax(
                    st.words
                        .first()
                        .map(|w| w.span)
                        .unwrap_or_else(|| self.eof_span()),
                    "missing ';' or '{' at end of statement",
                )
                .into());
            };
            self.pos += 1;
            match t.tok {
                Tok::Word { text, quoted } => {
                    if first {
                        st.span = t.span;
                    }
                    if st.words.is_empty() && !quoted && TAGS.contains(&text.as_str()) {
                        match text.as_str() {
                            "inactive:" => st.inactive = true,
                            "protect:" => st.protect = true,
                            "replace:" => st.replace = true,
                            "delete:" => st.delete = true,
                            _ => {}
                        }
                    } else {
                        st.words.push(Word {
                            text,
                            quoted,
                            span: t.span,
                        });
                    }
                    first = false;
                }
                Tok::Newline | Tok::LineComment | Tok::BlockComment(_) => {}
                Tok::Semi if !st.words.is_empty() => return Ok(st),
                Tok::ListOpen if !st.words.is_empty() => {
                    st.list = Some(self.list_values(t.span)?);
                    self.expect_semi(t.span)?;
                    return Ok(st);
                }
                Tok::Open if !st.words.is_empty() => {
                    if self.depth >= MAX_DEPTH {
                        return Err(Diagnostic::syntax(t.span, too_deep()).into());
                    }
                    self.depth += 1;
                    let children = self.block(t.span);
                    self.depth -= 1;
                    st.children = Some(children?);
                    return Ok(st);
                }
                other => {
                    return Err(Diagnostic::syntax(
                        t.span,
                        format!("unexpected '{}'", tok_text(&other)),
                    )
                    .into())
                }
            }
        }
    }

    fn expect_semi(&mut self, at: Span) -> Result<(), Errors> {
        while let Some(t) = self.peek() {
            match t.tok {
                Tok::Newline | Tok::LineComment | Tok::BlockComment(_) => self.pos += 1,
                Tok::Semi => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Diagnostic::syntax(t.span, "missing ';' after ']'").into()),
            }
        }
        Err(Diagnostic::syntax(at, "missing ';' after ']'").into())
    }

    fn block(&mut self, open: Span) -> Result<Vec<Statement>, Errors> {
        let mut children = Vec::new();
        loop {
            let annotation = self.skip_trivia();
            let Some(t) = self.peek().cloned() else {
                return Err(Diagnostic::syntax(open, "missing '}' for this '{'").into());
            };
            match t.tok {
                Tok::Close => {
                    self.pos += 1;
                    return Ok(children);
                }
                Tok::Word { .. } => {
                    let mut st = self.statement()?;
                    st.annotation = annotation;
                    children.push(st);
                }
                other => {
                    return Err(Diagnostic::syntax(
                        t.span,
                        format!("unexpected '{}'", tok_text(&other)),
                    )
                    .into())
                }
            }
        }
    }
}

fn tok_text(t: &Tok) -> &str {
    match t {
        Tok::Word { text, .. } => text,
        Tok::Open => "{",
        Tok::Close => "}",
        Tok::Semi => ";",
        Tok::ListOpen => "[",
        Tok::ListClose => "]",
        Tok::Newline => "end of line",
        Tok::BlockComment(_) => "/*",
        Tok::LineComment => "#",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmts(text: &str) -> Vec<Statement> {
        parse(text)
            .expect("parses")
            .into_iter()
            .map(|i| match i {
                Item::Statement(s) => s,
                Item::Command(c) => panic!("unexpected command {c:?}"),
            })
            .collect()
    }

    #[test]
    fn curly_with_tags_lists_and_annotations() {
        let s = stmts(
            "system {\n    /* the name */\n    host-name fw1;\n}\ninterfaces {\n    inactive: ge-0/0/0 { unit 0; }\n}\nx { y [ a b ]; }",
        );
        assert_eq!(s.len(), 3);
        let host = &s[0].kids()[0];
        assert_eq!(host.text(), "host-name fw1");
        assert_eq!(host.annotation.as_deref(), Some("the name"));
        assert!(s[1].kids()[0].inactive);
        let list = s[2].kids()[0].list.as_ref().expect("list");
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn set_lines_and_mixed_input() {
        let items = parse("set system host-name a # c\nsystem { domain-name b; }\ndelete system host-name\nset x y [ p q ]\n").expect("parses");
        assert_eq!(items.len(), 4);
        assert!(matches!(&items[2], Item::Command(c) if c.verb == Verb::Delete));
        assert!(matches!(&items[3], Item::Command(c) if c.list.as_ref().map(Vec::len) == Some(2)));
    }

    #[test]
    fn trailing_comments_are_not_annotations() {
        let s = stmts("interfaces {  /* a */\n  lo0 { description \"/*\";  /* b */\n  }\n}");
        let lo0 = &s[0].kids()[0];
        assert_eq!(lo0.annotation, None);
        assert_eq!(lo0.kids()[0].text(), "description \"/*\"");
    }

    #[test]
    fn misbraced_text_is_rejected_with_a_position() {
        let e = parse("        }\n    }\npolicy-options {").expect_err("rejects");
        assert_eq!(e.0[0].span, Some(Span { line: 1, col: 9 }));
        let e = parse("a {\n b;\n").expect_err("rejects");
        assert!(e.0[0].message.contains("missing '}'"));
    }
}
