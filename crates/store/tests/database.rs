// SPDX-License-Identifier: Apache-2.0
//! The configuration database as a Junos user meets it.

use std::time::Duration;

use xpf_config::{parse_command, print_set, LoadMode};
use xpf_store::{CommitInfo, ConfigDb, DbError};

const BASE: &str = "system { host-name fw1; }\ninterfaces { ge-0/0/0 { unit 0 { family inet { address 10.0.0.1/24; } } } }\nsecurity { zones { security-zone trust { interfaces { ge-0/0/0.0; } } } }\n";

fn info(comment: Option<&str>) -> CommitInfo {
    CommitInfo {
        user: "admin".into(),
        client: "cli".into(),
        comment: comment.map(str::to_string),
    }
}

fn ok(_: &xpf_model::Model) -> Result<(), String> {
    Ok(())
}

fn open(dir: &tempfile::TempDir) -> ConfigDb {
    ConfigDb::open(&dir.path().join("config.redb"), None).expect("opens")
}

fn seeded(dir: &tempfile::TempDir) -> ConfigDb {
    let mut db = open(dir);
    assert!(db.seed(BASE, &info(None), 100, ok).expect("seeds"));
    db
}

fn set(db: &mut ConfigDb, line: &str) {
    let cmd = parse_command(line).expect("parses");
    db.command(&cmd).unwrap_or_else(|e| panic!("{line}: {e}"));
}

#[test]
fn seed_happens_on_first_start_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    assert!(!db
        .seed("system { host-name other; }", &info(None), 200, ok)
        .expect("no-op"));
    assert!(print_set(db.active()).contains("host-name fw1"));
}

#[test]
fn edit_compare_commit_and_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name fw2");
    assert!(db.has_changes());
    assert_eq!(
        db.compare(None).expect("compares"),
        "[edit system]\n-  host-name fw1;\n+  host-name fw2;\n"
    );
    let seq = db
        .commit(&info(Some("rename")), 200, None, ok)
        .expect("commits");
    assert!(!db.has_changes());
    let history = db.history().expect("history");
    assert_eq!(history[0].seq, seq);
    assert_eq!(history[0].comment.as_deref(), Some("rename"));
    assert_eq!(history.len(), 2);
    // rollback 1 brings the old name back into the candidate only.
    db.rollback(1).expect("rolls back");
    assert!(print_set(db.candidate()).contains("host-name fw1"));
    assert!(print_set(db.active()).contains("host-name fw2"));
    assert_eq!(db.compare(Some(1)).expect("compares"), "");
}

#[test]
fn a_refused_commit_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(
        &mut db,
        "set security zones security-zone trust interfaces ge-0/0/9.0",
    );
    let before = db.history().expect("history").len();
    match db.commit(&info(None), 200, None, ok) {
        Err(DbError::Config(e)) => assert!(e.to_string().contains("ge-0/0/9.0"), "{e}"),
        other => panic!("expected a check failure, got {other:?}"),
    }
    assert_eq!(db.history().expect("history").len(), before);
    assert!(!print_set(db.active()).contains("ge-0/0/9.0"));
    // The candidate keeps the user's work.
    assert!(print_set(db.candidate()).contains("ge-0/0/9.0"));
}

#[test]
fn an_apply_failure_commits_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name fw3");
    let err = db
        .commit(&info(None), 200, None, |_| {
            Err("netlink: interface busy".into())
        })
        .expect_err("apply fails");
    assert!(matches!(err, DbError::Apply(_)));
    assert!(print_set(db.active()).contains("host-name fw1"));
    drop(db);
    let db = open(&dir);
    assert!(print_set(db.active()).contains("host-name fw1"));
    assert!(
        print_set(db.candidate()).contains("host-name fw3"),
        "candidate persists across restart"
    );
}

#[test]
fn commit_confirmed_rolls_back_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name risky");
    db.commit(&info(None), 1000, Some(Duration::from_secs(60)), ok)
        .expect("commits");
    assert!(db.pending_confirm().expect("reads").is_some());
    drop(db); // xpfd restarts inside the window
    let mut db = open(&dir);
    assert_eq!(db.expire_confirm(1030, ok).expect("not yet"), None);
    assert!(db.expire_confirm(1061, ok).expect("expires").is_some());
    assert!(print_set(db.active()).contains("host-name fw1"));
    assert!(!db.has_changes());
    let newest = &db.history().expect("history")[0];
    assert!(newest
        .comment
        .as_deref()
        .is_some_and(|c| c.contains("commit confirmed")));
}

#[test]
fn a_plain_commit_confirms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name keep");
    db.commit(&info(None), 1000, Some(Duration::from_secs(60)), ok)
        .expect("commits");
    db.commit(&info(None), 1010, None, ok).expect("confirms");
    assert_eq!(db.expire_confirm(5000, ok).expect("nothing pending"), None);
    assert!(print_set(db.active()).contains("host-name keep"));
}

/// `load merge` (CLI, gRPC and REST all come here) of 3,000 nested blocks
/// overflowed the daemon's stack; now it is refused like any syntax error.
#[test]
fn a_deeply_nested_load_is_refused_and_keeps_the_candidate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    let text = format!(
        "snmp {{\n{}leaf;\n{}",
        "x {\n".repeat(2_999),
        "}\n".repeat(3_000)
    );
    for mode in [LoadMode::Merge, LoadMode::Override, LoadMode::Replace] {
        match db.load(mode, &text) {
            Err(DbError::Config(e)) => {
                assert!(e.to_string().contains("nesting too deep"), "{e}");
                assert!(e.0[0].span.is_some(), "{e}");
            }
            other => panic!("{mode:?}: {other:?}"),
        }
    }
    assert!(!db.has_changes());
}

#[test]
fn load_modes_and_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    let warnings = db
        .load(
            LoadMode::Set,
            "delete system domain-name\nset system domain-name lab.example\n",
        )
        .expect("loads");
    assert_eq!(warnings.len(), 1);
    assert!(print_set(db.candidate()).contains("domain-name lab.example"));
    assert!(db.load(LoadMode::Merge, "system { bogus; }").is_err());
    assert!(
        print_set(db.candidate()).contains("domain-name lab.example"),
        "a refused load keeps the candidate"
    );
    db.load(LoadMode::Override, "system { host-name only; }")
        .expect("overrides");
    assert_eq!(print_set(db.candidate()), "set system host-name only\n");
    db.rollback(0).expect("discards");
    assert!(!db.has_changes());
}
