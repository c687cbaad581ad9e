// SPDX-License-Identifier: Apache-2.0
//! Printers: Junos curly layout and `display set`.

use crate::ast::{Config, Statement, Word};
use crate::lexer::write_word;

/// The configuration in Junos curly layout (4-space indent, `;` leaves, `[ ]` lists).
pub fn print_curly(cfg: &Config) -> String {
    let mut out = String::new();
    print_statements(&cfg.statements, 0, &mut out);
    out
}

/// Statements in curly layout at an indent depth (4 spaces per level).
pub fn print_statements(stmts: &[Statement], depth: usize, out: &mut String) {
    for st in stmts {
        print_statement(st, depth, out);
    }
}

/// One statement and its subtree in curly layout.
pub fn print_statement(st: &Statement, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    if let Some(a) = &st.annotation {
        out.push_str(&pad);
        out.push_str("/* ");
        out.push_str(a);
        out.push_str(" */\n");
    }
    out.push_str(&pad);
    out.push_str(&head(st));
    if let Some(rest) = flat_tail(st) {
        out.push_str(&rest);
        out.push_str(";\n");
        return;
    }
    match &st.children {
        Some(kids) if !kids.is_empty() => {
            out.push_str(" {\n");
            print_statements(kids, depth + 1, out);
            out.push_str(&pad);
            out.push_str("}\n");
        }
        _ => out.push_str(";\n"),
    }
}

/// For a `@flat` statement whose children are plain leaves, the children
/// written after its words on one line, as Junos prints them.
fn flat_tail(st: &Statement) -> Option<String> {
    let id = st.node?;
    let kids = st.children.as_ref().filter(|k| !k.is_empty())?;
    if !crate::schema::Schema::junos().node(id).flat {
        return None;
    }
    let plain = |k: &Statement| {
        k.children.is_none()
            && !k.inactive
            && !k.protect
            && k.annotation.is_none()
            && k.keyword() != "description"
    };
    if !kids.iter().all(plain) {
        return None;
    }
    Some(kids.iter().map(|k| format!(" {}", head(k))).collect())
}

/// The statement's line without its terminator: tags, words and list.
pub fn head(st: &Statement) -> String {
    let mut s = String::new();
    if st.inactive {
        s.push_str("inactive: ");
    }
    if st.protect {
        s.push_str("protect: ");
    }
    s.push_str(&st.text());
    if let Some(list) = &st.list {
        list_text(st, list, &mut s);
    }
    s
}

/// A leaf-list's values after its words: bare when there is one, as Junos
/// prints it, else in brackets. In an opaque subtree (no schema node) only
/// the brackets tell a list from one more word, so there they always stay.
fn list_text(st: &Statement, list: &[Word], s: &mut String) {
    match list {
        [one] if st.node.is_some() => {
            s.push(' ');
            write_word(s, &one.text, one.quoted);
        }
        many => {
            s.push_str(" [");
            for v in many {
                s.push(' ');
                write_word(s, &v.text, v.quoted);
            }
            s.push_str(" ]");
        }
    }
}

/// The configuration as `display set` lines, in hierarchy order.
pub fn print_set(cfg: &Config) -> String {
    let mut out = String::new();
    for st in &cfg.statements {
        set_lines(st, "", &mut out);
    }
    out
}

/// `display set` lines of one statement under a path prefix (`"interfaces "`).
pub fn set_lines(st: &Statement, prefix: &str, out: &mut String) {
    let line = format!("{prefix}{}", st.text());
    match (&st.list, &st.children) {
        // Opaque: one line, brackets kept, which reads back as this list (a
        // line per value would read back as that many statements).
        (Some(list), _) if st.node.is_none() => {
            let mut values = String::new();
            list_text(st, list, &mut values);
            out.push_str(&format!("set {line}{values}\n"));
        }
        (Some(list), _) => {
            for v in list {
                let mut value = String::new();
                write_word(&mut value, &v.text, v.quoted);
                out.push_str(&format!("set {line} {value}\n"));
            }
        }
        (None, Some(kids)) if !kids.is_empty() => {
            let inner = format!("{line} ");
            for k in kids {
                set_lines(k, &inner, out);
            }
        }
        _ => out.push_str(&format!("set {line}\n")),
    }
    if st.inactive {
        out.push_str(&format!("deactivate {line}\n"));
    }
    if st.protect {
        out.push_str(&format!("protect {line}\n"));
    }
}
