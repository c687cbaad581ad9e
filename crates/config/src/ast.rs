// SPDX-License-Identifier: Apache-2.0
//! The lossless configuration tree: statements as the user wrote them.

/// A position in source text (1-based).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Line number.
    pub line: u32,
    /// Column number, in characters.
    pub col: u32,
}

/// One word of a statement.
#[derive(Debug, Clone, Default)]
pub struct Word {
    /// The text, unquoted.
    pub text: String,
    /// Whether it was written in quotes (kept so printing round-trips).
    pub quoted: bool,
    /// Where it was written.
    pub span: Span,
}

impl Word {
    /// A word with no source position.
    pub fn new(text: impl Into<String>) -> Word {
        Word {
            text: text.into(),
            quoted: false,
            span: Span::default(),
        }
    }
}

impl PartialEq for Word {
    fn eq(&self, other: &Word) -> bool {
        self.text == other.text
    }
}
impl Eq for Word {}

/// The schema node a statement matched, if any.
pub type NodeId = u32;

/// One configuration statement: a leaf (`host-name fw1;`), a leaf-list
/// (`source-address [ a b ];`) or a block (`unit 0 { ... }`).
#[derive(Debug, Clone, Default)]
pub struct Statement {
    /// Keywords and values, e.g. `["unit", "0"]`.
    pub words: Vec<Word>,
    /// Values of a leaf-list; `Some` only for list statements.
    pub list: Option<Vec<Word>>,
    /// Children of a block; `None` for a leaf.
    pub children: Option<Vec<Statement>>,
    /// `inactive:`: kept, printed, but not part of the effective config.
    pub inactive: bool,
    /// `protect:`: may not be changed until unprotected.
    pub protect: bool,
    /// `replace:` (load replace only): replaces the existing statement.
    pub replace: bool,
    /// `delete:` (load only): removes the existing statement.
    pub delete: bool,
    /// `/* annotation */` shown above the statement.
    pub annotation: Option<String>,
    /// Where the statement starts.
    pub span: Span,
    /// The schema node it matched (`None`: opaque or not yet resolved).
    pub node: Option<NodeId>,
}

impl Statement {
    /// A statement of the given words with no source position.
    pub fn new<S: Into<String>>(words: impl IntoIterator<Item = S>) -> Statement {
        Statement {
            words: words.into_iter().map(Word::new).collect(),
            ..Statement::default()
        }
    }

    /// The words joined by spaces, quoted as printed.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for (i, w) in self.words.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            crate::lexer::write_word(&mut s, &w.text, w.quoted);
        }
        s
    }

    /// The first word (the keyword, or the name for keyless entries).
    pub fn keyword(&self) -> &str {
        self.words.first().map(|w| w.text.as_str()).unwrap_or("")
    }

    /// The word after `key` (`value_of("unit")` of `unit 0` is `0`).
    pub fn value_after(&self, key: &str) -> Option<&str> {
        let i = self.words.iter().position(|w| w.text == key)?;
        self.words.get(i + 1).map(|w| w.text.as_str())
    }

    /// Children, or an empty slice for a leaf.
    pub fn kids(&self) -> &[Statement] {
        self.children.as_deref().unwrap_or(&[])
    }

    /// Same words, list, flags and children, ignoring positions.
    ///
    /// A leaf and a block with no children are the same statement: both
    /// print as `name;` and mean the same. (`set system services ssh`
    /// makes `ssh` a block with none, `ssh;` in curly text a leaf, so
    /// without this a candidate built by `set` differed from the same
    /// configuration loaded as text, with nothing to show in `compare`.)
    pub fn same_as(&self, other: &Statement) -> bool {
        let (a, b) = (self.kids(), other.kids());
        self.words == other.words
            && self.list == other.list
            && self.inactive == other.inactive
            && self.protect == other.protect
            && self.annotation == other.annotation
            && a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| x.same_as(y))
    }
}

/// A whole configuration: the top-level statements.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Top-level statements in display order.
    pub statements: Vec<Statement>,
}

impl Config {
    /// Whether two configurations hold the same statements.
    pub fn same_as(&self, other: &Config) -> bool {
        self.statements.len() == other.statements.len()
            && self
                .statements
                .iter()
                .zip(&other.statements)
                .all(|(a, b)| a.same_as(b))
    }

    /// Finds the statement at a path of statement texts (`["system", "host-name"]`
    /// matches by keyword; `["interfaces", "ge-0/0/0", "unit 0"]` by full text).
    pub fn find(&self, path: &[&str]) -> Option<&Statement> {
        let mut level: &[Statement] = &self.statements;
        let mut found = None;
        for step in path {
            let s = level
                .iter()
                .find(|s| s.text() == *step || s.keyword() == *step)?;
            level = s.kids();
            found = Some(s);
        }
        found
    }
}
