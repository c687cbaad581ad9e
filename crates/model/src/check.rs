// SPDX-License-Identifier: Apache-2.0
//! Collecting `commit check` errors: where (`[edit ...]` path and span),
//! which statement, and the Junos-worded message.
//!
//! Every module reports into one [`Checks`] so that a build returns every
//! error of the configuration at once, in configuration order.

use std::collections::HashSet;

use xpf_config::{Diagnostic, Errors, Severity, Span, Statement, Word};

/// The ancestors of a statement, as `[edit ...]` shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Path(Vec<String>);

impl Path {
    /// A path from literal statement texts (`["security", "zones"]`).
    pub(crate) fn of(steps: &[&str]) -> Path {
        Path(steps.iter().map(|s| s.to_string()).collect())
    }

    /// This path extended by `st` (the path of `st`'s children).
    pub(crate) fn join(&self, st: &Statement) -> Path {
        let mut v = self.0.clone();
        v.push(st.text());
        Path(v)
    }

    /// The statement texts.
    pub(crate) fn steps(&self) -> &[String] {
        &self.0
    }
}

/// The message for a reference to something that does not exist.
pub(crate) fn undefined(kind: &str, name: &str) -> String {
    format!("{kind} '{name}' is not defined")
}

/// The message for a statement Junos requires.
pub(crate) fn missing_message(what: &str) -> String {
    format!("Missing mandatory statement: '{what}'")
}

/// The text Junos shows for one value of a statement: `source-address a`
/// for the value `a` of `source-address [ a b ]`.
pub(crate) fn value_text(st: &Statement, value: &Word) -> String {
    let text = st.text();
    if st.words.iter().any(|w| std::ptr::eq(w, value)) {
        text
    } else {
        format!("{text} {}", value.text)
    }
}

/// Every error found so far.
#[derive(Debug, Default)]
pub(crate) struct Checks {
    diags: Vec<Diagnostic>,
}

impl Checks {
    /// An error about a whole statement.
    pub(crate) fn error(&mut self, path: &Path, st: &Statement, message: impl Into<String>) {
        self.push(path, Some(st.span), st.text(), message);
    }

    /// An error about one word (a value) of a statement.
    pub(crate) fn error_word(
        &mut self,
        path: &Path,
        st: &Statement,
        word: &Word,
        message: impl Into<String>,
    ) {
        self.push(path, Some(word.span), value_text(st, word), message);
    }

    /// `Missing mandatory statement: 'what'` about `st` (whose parent path is `path`).
    pub(crate) fn missing(&mut self, path: &Path, st: &Statement, what: &str) {
        self.error(path, st, missing_message(what));
    }

    /// An error with everything spelled out.
    pub(crate) fn push(
        &mut self,
        path: &Path,
        span: Option<Span>,
        statement: String,
        message: impl Into<String>,
    ) {
        self.diags.push(Diagnostic::at(
            Severity::Check,
            span,
            path.steps(),
            statement,
            message,
        ));
    }

    /// Whether nothing was reported.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.diags.is_empty()
    }

    /// `value` when nothing was reported, else every error.
    pub(crate) fn finish<T>(self, value: T) -> Result<T, Errors> {
        if self.diags.is_empty() {
            Ok(value)
        } else {
            Err(Errors(self.diags))
        }
    }
}

/// Follows `edges` from `start`; returns the chain `start -> ... -> start`
/// when `start` can reach itself.
pub(crate) fn find_cycle<'a, F>(start: &'a str, edges: F) -> Option<Vec<String>>
where
    F: Fn(&str) -> Vec<&'a str>,
{
    // Depth-first search keeping the current chain; `done` holds names fully
    // explored without reaching `start`.
    let mut chain: Vec<(&'a str, Vec<&'a str>)> = vec![(start, edges(start))];
    let mut done: HashSet<&str> = HashSet::new();
    while let Some((_, pending)) = chain.last_mut() {
        match pending.pop() {
            Some(next) if next == start => {
                let mut names: Vec<String> = chain.iter().map(|(n, _)| n.to_string()).collect();
                names.push(start.to_string());
                return Some(names);
            }
            Some(next) => {
                if !done.contains(next) && !chain.iter().any(|(n, _)| *n == next) {
                    let out = edges(next);
                    chain.push((next, out));
                }
            }
            None => {
                if let Some((name, _)) = chain.pop() {
                    done.insert(name);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found_with_their_chain() {
        let edges = |n: &str| -> Vec<&'static str> {
            match n {
                "a" => vec!["b"],
                "b" => vec!["c", "d"],
                "c" => vec!["a"],
                _ => vec![],
            }
        };
        assert_eq!(
            find_cycle("a", edges),
            Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
        );
        assert_eq!(find_cycle("d", edges), None);
    }

    #[test]
    fn diagnostics_carry_path_statement_and_message() {
        let mut ck = Checks::default();
        let st = Statement::new(["policy", "p1"]);
        ck.missing(&Path::of(&["security", "policies"]), &st, "match");
        assert!(!ck.is_empty());
        let e = ck.finish(()).expect_err("one error");
        assert_eq!(e.0[0].path, ["security", "policies"]);
        assert_eq!(e.0[0].statement.as_deref(), Some("policy p1"));
        assert_eq!(e.0[0].message, "Missing mandatory statement: 'match'");
    }

    #[test]
    fn list_values_are_shown_with_their_keyword() {
        let mut st = Statement::new(["source-address"]);
        st.list = Some(vec![Word::new("a"), Word::new("b")]);
        let b = st.list.as_ref().map(|l| l[1].clone()).unwrap_or_default();
        assert_eq!(value_text(&st, &b), "source-address b");
        let leaf = Statement::new(["screen", "s1"]);
        assert_eq!(value_text(&leaf, &leaf.words[1]), "screen s1");
    }
}
