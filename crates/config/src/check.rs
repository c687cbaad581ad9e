// SPDX-License-Identifier: Apache-2.0
//! What xpf supports: the schema half of `commit check`.
//!
//! Syntax and value types were checked when the text loaded; what remains
//! for the schema is naming every real Junos statement that xpf accepts but
//! does not implement (`@opaque`, `@pending`: refused), and every one that
//! has no effect on xpf by nature (`@inert`: a warning).

use crate::ast::{Config, Statement};
use crate::error::{Diagnostic, Severity};
use crate::schema::{Schema, Support};

/// The message of a refused statement.
pub const NOT_SUPPORTED: &str = "statement not supported by xpf";

/// The message of a statement accepted with no effect.
pub const NO_EFFECT: &str = "statement has no effect on xpf";

/// Every statement xpf does not support, outermost only, as
/// `[edit snmp]` / `statement not supported by xpf`: `commit` refuses them.
pub fn unsupported(cfg: &Config) -> Vec<Diagnostic> {
    marked(cfg, Support::Refused)
}

/// Every statement with no effect on xpf, outermost only, as
/// `[edit system license]` / `statement has no effect on xpf`: `commit`
/// accepts them and says so.
pub fn no_effect(cfg: &Config) -> Vec<Diagnostic> {
    marked(cfg, Support::NoEffect)
}

fn marked(cfg: &Config, kind: Support) -> Vec<Diagnostic> {
    let schema = Schema::junos();
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(schema, &cfg.statements, kind, &mut path, &mut out);
    out
}

fn walk(
    schema: &Schema,
    stmts: &[Statement],
    kind: Support,
    path: &mut Vec<String>,
    out: &mut Vec<Diagnostic>,
) {
    for st in stmts {
        path.push(st.text());
        let support = st
            .node
            .map_or(Support::Implemented, |id| schema.node(id).support);
        match support {
            Support::Implemented => walk(schema, st.kids(), kind, path, out),
            s if s != kind => {}
            Support::Refused => {
                out.push(diagnostic(st, path, Severity::Unsupported, NOT_SUPPORTED))
            }
            Support::NoEffect => out.push(diagnostic(st, path, Severity::Warning, NO_EFFECT)),
        }
        path.pop();
    }
}

fn diagnostic(st: &Statement, path: &[String], severity: Severity, message: &str) -> Diagnostic {
    Diagnostic {
        severity,
        source: None,
        span: Some(st.span),
        path: path.to_vec(),
        statement: None,
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_and_inert_statements_are_named_with_their_path() {
        let cfg = crate::parse_config(
            "set snmp location lab\nset system host-name fw\nset system license autoupdate url x\n\
             set system ntp server 192.0.2.1\nset chassis fpc 0 pic 0 tunnel-services\n",
        )
        .expect("loads");
        let headers =
            |ds: Vec<Diagnostic>| -> Vec<String> { ds.iter().map(|d| d.edit_header()).collect() };
        assert_eq!(
            headers(unsupported(&cfg)),
            ["[edit system ntp]", "[edit snmp]"]
        );
        assert!(unsupported(&cfg)[1]
            .to_string()
            .contains("not supported\n[edit snmp]\n  statement not supported by xpf"));
        assert_eq!(
            headers(no_effect(&cfg)),
            ["[edit system license]", "[edit chassis fpc]"]
        );
        assert!(no_effect(&cfg)[0]
            .to_string()
            .contains(": warning\n[edit system license]\n  statement has no effect on xpf"));
    }
}
