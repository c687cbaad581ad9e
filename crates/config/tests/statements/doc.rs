// SPDX-License-Identifier: Apache-2.0
//! `docs/statements.md`, made from the schema inventory and the audit.

use std::fmt::Write as _;

use xpf_config::schema::inventory::{Entry, Kind, FOLDS};

use crate::data::Audit;

/// Where the page is, from the crate.
pub const FILE: &str = "../../docs/statements.md";

const INTRO: &str = "\
<!-- Generated from crates/config/schema/junos.schema and crates/config/schema/statements.txt:
     XPF_BLESS=1 cargo test -p xpf-config --test statements -->
# Statements

Every Junos statement xpf knows is in its schema
(`crates/config/schema/junos.schema`), and nothing is accepted in silence:
a statement works end to end, or `commit` refuses it by name, or — for
statements with no effect on an appliance by nature — commits with a
warning naming it. The schema marks which:

- no mark: implemented. Each one is listed below with what it does and a
  test that shows it (`crate::test` for a unit test, `file: test` for a
  test file). Descriptions and similar text count as working when `show`
  prints them.
- `@pending`: refused by `commit` until the step that builds it lands; its
  subtree is described (values checked, TAB and `?` work).
- `@opaque`: refused by `commit`; its subtree is not described. Not listed
  here: grep the schema.
- `@inert`: committed with a warning; its subtree is not described.

A path is the statement's words from the top, placeholders as the schema
writes them (`<enum>` stands for a list of keywords). `groups` and
`apply-groups` are not listed: groups are expanded before anything reads a
statement.

This page is generated from the schema and
`crates/config/schema/statements.txt` by the `statements` test of
`xpf-config`, which fails when an implemented statement is not in that file,
when the file names a statement the schema does not implement, or when this
page is stale. After changing either, regenerate it:

    XPF_BLESS=1 cargo test -p xpf-config --test statements
";

/// The whole page.
pub fn render(entries: &[Entry], audit: &Audit) -> String {
    let mut out = String::from(INTRO);
    let _ = writeln!(out, "\nRepeated siblings are listed once per parent:\n");
    for f in FOLDS {
        let _ = writeln!(
            out,
            "- `{}` under `… {}`: {}.",
            f.label, f.parent_suffix, f.help
        );
    }
    let mut top = "";
    for e in entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Implemented | Kind::Folded))
    {
        let first = e.path.split(' ').next().unwrap_or_default();
        if first != top {
            top = first;
            let _ = writeln!(out, "\n## `{top}`\n");
            let _ = writeln!(out, "| Statement | Effect | Shown by |");
            let _ = writeln!(out, "|---|---|---|");
        }
        let (effect, test) = audit
            .line(&e.path)
            .map_or(("(not audited)", "(none)"), |l| {
                (l.effect.as_str(), l.test.as_str())
            });
        let _ = writeln!(out, "| `{}` | {} | {} |", e.path, effect, code(test));
    }
    marked(
        &mut out,
        entries,
        Kind::Pending,
        "Refused until its step lands (`@pending`)",
    );
    marked(
        &mut out,
        entries,
        Kind::Inert,
        "No effect by nature (`@inert`)",
    );
    out
}

/// Test names in code spans, `file: test` keeping its file plain.
fn code(test: &str) -> String {
    test.split(';')
        .map(str::trim)
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn marked(out: &mut String, entries: &[Entry], kind: Kind, title: &str) {
    let _ = writeln!(out, "\n## {title}\n");
    for e in entries.iter().filter(|e| e.kind == kind) {
        let _ = writeln!(out, "- `{}`: {}", e.path, e.help);
    }
}
