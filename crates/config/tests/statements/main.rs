// SPDX-License-Identifier: Apache-2.0
//! The statement audit: every implemented statement of the schema says what
//! it does and which test shows it (`schema/statements.txt`), and
//! `docs/statements.md` is generated from the two.
//!
//! Regenerate the page with
//! `XPF_BLESS=1 cargo test -p xpf-config --test statements`.

mod data;
mod doc;

use std::collections::BTreeSet;
use std::path::PathBuf;

use xpf_config::schema::inventory::{inventory, Entry, Kind};
use xpf_config::Schema;

fn crate_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    let path = crate_file(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn audit() -> data::Audit {
    data::Audit::parse(&read(data::FILE)).unwrap_or_else(|e| panic!("{}: {e}", data::FILE))
}

/// The paths that owe a line: implemented statements and folds.
fn owed(entries: &[Entry]) -> BTreeSet<&str> {
    entries
        .iter()
        .filter(|e| matches!(e.kind, Kind::Implemented | Kind::Folded))
        .map(|e| e.path.as_str())
        .collect()
}

#[test]
fn every_implemented_statement_is_listed() {
    let entries = inventory(Schema::junos());
    let audit = audit();
    let missing: Vec<&str> = owed(&entries)
        .into_iter()
        .filter(|p| audit.line(p).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "{} implemented statements are neither marked (@pending, @inert) in junos.schema \
         nor listed in {} with their effect and test:\n{}",
        missing.len(),
        data::FILE,
        missing.join("\n")
    );
}

#[test]
fn every_listed_statement_is_implemented_in_the_schema() {
    let entries = inventory(Schema::junos());
    let owed = owed(&entries);
    let audit = audit();
    let stray: Vec<&str> = audit
        .lines
        .iter()
        .map(|l| l.path.as_str())
        .filter(|p| !owed.contains(p))
        .collect();
    assert!(
        stray.is_empty(),
        "{} lists statements the schema does not have as implemented:\n{}",
        data::FILE,
        stray.join("\n")
    );
}

#[test]
fn the_statements_page_is_generated() {
    let page = doc::render(&inventory(Schema::junos()), &audit());
    let path = crate_file(doc::FILE);
    if std::env::var_os("XPF_BLESS").is_some() {
        std::fs::write(&path, &page).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == page,
        "{} is not what the schema and {} make; regenerate it with\n  \
         XPF_BLESS=1 cargo test -p xpf-config --test statements",
        doc::FILE,
        data::FILE
    );
}
