// SPDX-License-Identifier: Apache-2.0
//! What xpf supports: the schema half of `commit check`.
//!
//! Syntax and value types were checked when the text loaded; what remains
//! for the schema is naming every real Junos statement that xpf accepts but
//! does not implement yet (`@opaque` in the schema).

use crate::ast::{Config, Statement};
use crate::error::{Diagnostic, Severity};
use crate::schema::Schema;

/// Every statement xpf does not support yet, outermost only, as
/// `[edit snmp]` / `statement not supported by xpf`.
pub fn unsupported(cfg: &Config) -> Vec<Diagnostic> {
    let schema = Schema::junos();
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(schema, &cfg.statements, &mut path, &mut out);
    out
}

fn walk(schema: &Schema, stmts: &[Statement], path: &mut Vec<String>, out: &mut Vec<Diagnostic>) {
    for st in stmts {
        path.push(st.text());
        match st.node {
            Some(id) if schema.node(id).opaque => out.push(Diagnostic {
                severity: Severity::Unsupported,
                source: None,
                span: Some(st.span),
                path: path.clone(),
                statement: None,
                message: "statement not supported by xpf".into(),
            }),
            _ => walk(schema, st.kids(), path, out),
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opaque_statements_are_named_with_their_path() {
        let cfg = crate::parse_config(
            "set snmp location lab\nset system host-name fw\nset system license autoupdate url x\n",
        )
        .expect("loads");
        let found: Vec<String> = unsupported(&cfg).iter().map(|d| d.edit_header()).collect();
        assert_eq!(found, ["[edit system license]", "[edit snmp]"]);
        assert!(unsupported(&cfg)[1]
            .to_string()
            .contains("statement not supported by xpf"));
    }
}
