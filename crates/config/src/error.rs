// SPDX-License-Identifier: Apache-2.0
//! Diagnostics in the Junos layout: where, which statement, what is wrong.

use std::fmt;

use crate::ast::Span;

/// What kind of problem a diagnostic reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Severity {
    /// Malformed text or a statement the grammar does not know.
    Syntax,
    /// A real Junos statement xpf does not implement yet.
    Unsupported,
    /// A well-formed statement that fails `commit check`.
    Check,
    /// Worth telling, changes nothing (`statement not found` on delete).
    Warning,
}

/// One problem, located by file, line, column and statement path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Which kind.
    pub severity: Severity,
    /// Source name (file path, `terminal`, ...), when known.
    pub source: Option<String>,
    /// Position in the source, when known.
    pub span: Option<Span>,
    /// The hierarchy above the statement, as `[edit ...]` shows it.
    pub path: Vec<String>,
    /// The statement, as `'...'` shows it.
    pub statement: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A syntax error at a position.
    pub fn syntax(span: crate::ast::Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Syntax,
            source: None,
            span: Some(span),
            path: Vec::new(),
            statement: None,
            message: message.into(),
        }
    }

    /// A diagnostic of `severity` about `statement` under `path`.
    pub fn at(
        severity: Severity,
        span: Option<Span>,
        path: &[String],
        statement: impl Into<String>,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            source: None,
            span,
            path: path.to_vec(),
            statement: Some(statement.into()),
            message: message.into(),
        }
    }

    /// The same diagnostic naming its source.
    pub fn in_source(mut self, source: &str) -> Diagnostic {
        if self.source.is_none() {
            self.source = Some(source.to_string());
        }
        self
    }

    /// `[edit a b c]`.
    pub fn edit_header(&self) -> String {
        if self.path.is_empty() {
            "[edit]".to_string()
        } else {
            format!("[edit {}]", self.path.join(" "))
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.span) {
            (Some(src), Some(sp)) => write!(f, "{src}:{}:{}: ", sp.line, sp.col)?,
            (None, Some(sp)) => write!(f, "{}:{}: ", sp.line, sp.col)?,
            (Some(src), None) => write!(f, "{src}: ")?,
            (None, None) => {}
        }
        let kind = match self.severity {
            Severity::Syntax => "syntax error",
            Severity::Unsupported => "not supported",
            Severity::Check => "error",
            Severity::Warning => "warning",
        };
        writeln!(f, "{kind}")?;
        writeln!(f, "{}", self.edit_header())?;
        if let Some(stmt) = &self.statement {
            writeln!(f, "  '{stmt}'")?;
            write!(f, "    {}", self.message)
        } else {
            write!(f, "  {}", self.message)
        }
    }
}

/// Every diagnostic of one operation; the operation changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Errors(pub Vec<Diagnostic>);

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl From<Diagnostic> for Errors {
    fn from(d: Diagnostic) -> Errors {
        Errors(vec![d])
    }
}

impl Errors {
    /// In source order (line, then column), as a user reads a file;
    /// diagnostics with no position last, in the order found.
    pub fn sorted(mut self) -> Errors {
        self.0
            .sort_by_key(|d| d.span.map_or((u32::MAX, u32::MAX), |s| (s.line, s.col)));
        self
    }

    /// Names the source in every diagnostic that lacks one.
    pub fn in_source(self, source: &str) -> Errors {
        Errors(self.0.into_iter().map(|d| d.in_source(source)).collect())
    }
}
