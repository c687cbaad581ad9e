// SPDX-License-Identifier: Apache-2.0
//! Durable, crash-safe storage of xpf's Junos configuration: the committed history, the
//! candidate, and any pending `commit confirmed`.
//!
//! The store deals in configuration *text* that the caller has already validated; it never
//! parses Junos. It keeps the Junos numbering: `rollback 0` is the active configuration,
//! `rollback 1` the one before, up to `rollback 49` ([`MAX_ROLLBACK`]); older revisions are
//! dropped as new ones are committed.
//!
//! `commit confirmed N` is modelled by a persisted deadline: [`Store::commit`] with
//! `confirmed_for` records it, a later commit or [`Store::confirm`] clears it, and
//! [`Store::expire_confirm`] performs the automatic rollback once the deadline has passed —
//! also after the daemon restarted inside the window. The store never reads the clock: callers
//! pass `now` in unix seconds, so tests can use a fake clock.
//!
//! Types:
//! - [`Store`]: the open database (a [redb] file); every mutation is one atomic transaction.
//! - [`CommitInfo`]: who committed, from which client, with which comment.
//! - [`Revision`]: one committed configuration with its metadata and sequence number.
//! - [`PendingConfirm`]: the revision awaiting confirmation and its deadline.
//! - [`StoreError`]: everything that can fail.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use xpf_store::{CommitInfo, Store};
//!
//! let dir = tempfile::tempdir()?;
//! let store = Store::open(&dir.path().join("config.redb"))?;
//! let info = CommitInfo { user: "admin".into(), client: "cli".into(), comment: None };
//!
//! // Edit, then commit: the candidate is cleared.
//! store.set_candidate("system { host-name fw1; }\n")?;
//! let first = store.commit("system { host-name fw1; }\n", &info, 1_700_000_000, None)?;
//! assert_eq!(store.candidate()?, None);
//! assert_eq!(store.rollback(0)?.seq, first);
//!
//! // `commit confirmed 5` that nobody confirms is rolled back after the deadline.
//! let five_minutes = Some(Duration::from_secs(300));
//! store.commit("system { host-name fw2; }\n", &info, 1_700_000_100, five_minutes)?;
//! assert_eq!(store.expire_confirm(1_700_000_200)?, None); // still inside the window
//! assert!(store.expire_confirm(1_700_000_400)?.is_some());
//! assert_eq!(
//!     store.active()?.map(|r| r.text).as_deref(),
//!     Some("system { host-name fw1; }\n")
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod database;
mod error;
mod pending;
mod store;

pub use database::{check_config, warnings_of, ConfigDb, DbError};
pub use error::StoreError;
pub use store::Store;

/// The highest rollback number kept: `rollback 0` through `rollback 49`, 50 revisions.
pub const MAX_ROLLBACK: u32 = 49;

/// Metadata the caller supplies with a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The user who committed.
    pub user: String,
    /// The client the commit came through, e.g. `"cli"`, `"grpc"` or `"xpfd"`.
    pub client: String,
    /// The `commit comment "..."` text, if one was given.
    pub comment: Option<String>,
}

/// One committed configuration with its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Sequence number: starts at 1, increases by one per commit, never reused.
    pub seq: u64,
    /// When it was committed, in unix seconds (the `now` the caller passed).
    pub time: u64,
    /// The user who committed.
    pub user: String,
    /// The client the commit came through.
    pub client: String,
    /// The commit comment, if any.
    pub comment: Option<String>,
    /// The full configuration text.
    pub text: String,
}

/// A `commit confirmed` that has not been confirmed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingConfirm {
    /// The sequence number of the revision awaiting confirmation.
    pub seq: u64,
    /// When it is rolled back unless confirmed, in unix seconds.
    pub deadline: u64,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;
    use tempfile::TempDir;

    const T0: u64 = 1_700_000_000;
    const AUTO_COMMENT: &str = "automatic rollback: commit confirmed was not confirmed";

    fn fresh() -> (TempDir, PathBuf, Store) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.redb");
        let store = Store::open(&path).unwrap();
        (dir, path, store)
    }

    fn info(user: &str) -> CommitInfo {
        CommitInfo {
            user: user.into(),
            client: "cli".into(),
            comment: None,
        }
    }

    fn config(i: u64) -> String {
        format!("system {{\n    host-name fw{i};\n}}\n")
    }

    #[test]
    fn store_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Store>();
    }

    #[test]
    fn empty_store_has_nothing() {
        let (_dir, _path, store) = fresh();
        assert_eq!(store.active().unwrap(), None);
        assert_eq!(store.history().unwrap(), vec![]);
        assert_eq!(store.candidate().unwrap(), None);
        assert_eq!(store.pending_confirm().unwrap(), None);
        assert!(!store.confirm().unwrap());
        assert_eq!(store.expire_confirm(u64::MAX).unwrap(), None);
        assert!(matches!(
            store.rollback(0),
            Err(StoreError::NoSuchRollback { n: 0, available: 0 })
        ));
    }

    #[test]
    fn first_commit() {
        let (_dir, _path, store) = fresh();
        let ci = CommitInfo {
            user: "admin".into(),
            client: "grpc".into(),
            comment: Some("initial".into()),
        };
        let seq = store.commit(&config(1), &ci, T0, None).unwrap();
        assert_eq!(seq, 1);
        let expected = Revision {
            seq: 1,
            time: T0,
            user: "admin".into(),
            client: "grpc".into(),
            comment: Some("initial".into()),
            text: config(1),
        };
        assert_eq!(store.active().unwrap(), Some(expected.clone()));
        assert_eq!(store.rollback(0).unwrap(), expected);
        assert_eq!(store.history().unwrap(), vec![expected]);
        assert_eq!(store.pending_confirm().unwrap(), None);
        assert!(matches!(
            store.rollback(1),
            Err(StoreError::NoSuchRollback { n: 1, available: 1 })
        ));
    }

    #[test]
    fn rollback_numbering_keeps_fifty() {
        let (_dir, _path, store) = fresh();
        for i in 1..=55 {
            assert_eq!(
                store.commit(&config(i), &info("u"), T0 + i, None).unwrap(),
                i
            );
        }
        let history = store.history().unwrap();
        assert_eq!(history.len(), 50);
        let seqs: Vec<u64> = history.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, (6..=55).rev().collect::<Vec<_>>());

        let r0 = store.rollback(0).unwrap();
        assert_eq!(r0.seq, 55);
        assert_eq!(r0.text, config(55));
        assert_eq!(Some(r0), store.active().unwrap());
        assert_eq!(store.rollback(1).unwrap().text, config(54));
        let r49 = store.rollback(MAX_ROLLBACK).unwrap();
        assert_eq!(r49.seq, 6);
        assert_eq!(r49.text, config(6));
        assert_eq!(r49.time, T0 + 6);
        for (n, rev) in history.iter().enumerate() {
            assert_eq!(&store.rollback(n as u32).unwrap(), rev);
        }
        assert!(matches!(
            store.rollback(50),
            Err(StoreError::RollbackOutOfRange(50))
        ));
    }

    #[test]
    fn sequence_numbers_survive_pruning_and_reopen() {
        let (_dir, path, store) = fresh();
        for i in 1..=52 {
            store.commit(&config(i), &info("u"), T0, None).unwrap();
        }
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.commit(&config(53), &info("u"), T0, None).unwrap(), 53);
        assert_eq!(store.history().unwrap().len(), 50);
    }

    #[test]
    fn candidate_persists_across_reopen() {
        let (_dir, path, store) = fresh();
        store.set_candidate("interfaces { ge-0/0/0; }\n").unwrap();
        store.set_candidate(&config(7)).unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.candidate().unwrap(), Some(config(7)));
        store.discard_candidate().unwrap();
        assert_eq!(store.candidate().unwrap(), None);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.candidate().unwrap(), None);
    }

    #[test]
    fn history_persists_across_reopen() {
        let (_dir, path, store) = fresh();
        store.commit(&config(1), &info("a"), T0, None).unwrap();
        store.commit(&config(2), &info("b"), T0 + 1, None).unwrap();
        let before = store.history().unwrap();
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.history().unwrap(), before);
    }

    #[test]
    fn commit_clears_candidate() {
        let (_dir, path, store) = fresh();
        store.set_candidate(&config(1)).unwrap();
        store.commit(&config(1), &info("u"), T0, None).unwrap();
        assert_eq!(store.candidate().unwrap(), None);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.candidate().unwrap(), None);
    }

    #[test]
    fn confirmed_commit_expires_with_fake_clock() {
        let (_dir, _path, store) = fresh();
        store.commit(&config(1), &info("a"), T0, None).unwrap();
        let seq = store
            .commit(
                &config(2),
                &info("a"),
                T0 + 10,
                Some(Duration::from_secs(600)),
            )
            .unwrap();
        let pending = PendingConfirm {
            seq,
            deadline: T0 + 610,
        };
        assert_eq!(store.pending_confirm().unwrap(), Some(pending));

        // Before the deadline nothing happens.
        assert_eq!(store.expire_confirm(T0 + 10).unwrap(), None);
        assert_eq!(store.expire_confirm(T0 + 609).unwrap(), None);
        assert_eq!(store.active().unwrap().unwrap().text, config(2));
        assert_eq!(store.history().unwrap().len(), 2);
        assert_eq!(store.pending_confirm().unwrap(), Some(pending));

        // At the deadline it rolls back to the pre-confirm text.
        let back = store.expire_confirm(T0 + 610).unwrap().unwrap();
        assert_eq!(back, seq + 1);
        let active = store.active().unwrap().unwrap();
        assert_eq!(active.seq, back);
        assert_eq!(active.text, config(1));
        assert_eq!(active.time, T0 + 610);
        assert_eq!(active.user, "root");
        assert_eq!(active.client, "xpfd");
        assert_eq!(active.comment.as_deref(), Some(AUTO_COMMENT));
        let history = store.history().unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[1].text, config(2));
        assert_eq!(store.pending_confirm().unwrap(), None);

        // Only once.
        assert_eq!(store.expire_confirm(T0 + 10_000).unwrap(), None);
        assert_eq!(store.history().unwrap().len(), 3);
    }

    #[test]
    fn expire_clears_candidate_built_on_rejected_config() {
        let (_dir, _path, store) = fresh();
        store.commit(&config(1), &info("a"), T0, None).unwrap();
        store
            .commit(&config(2), &info("a"), T0, Some(Duration::from_secs(60)))
            .unwrap();
        store.set_candidate(&config(3)).unwrap();
        assert!(store.expire_confirm(T0 + 60).unwrap().is_some());
        assert_eq!(store.candidate().unwrap(), None);
    }

    #[test]
    fn confirmation_window_rounds_up() {
        let (_dir, _path, store) = fresh();
        let seq = store
            .commit(
                &config(1),
                &info("a"),
                T0,
                Some(Duration::from_millis(1500)),
            )
            .unwrap();
        assert_eq!(
            store.pending_confirm().unwrap(),
            Some(PendingConfirm {
                seq,
                deadline: T0 + 2
            })
        );
    }

    #[test]
    fn confirm_clears_pending() {
        let (_dir, path, store) = fresh();
        store.commit(&config(1), &info("a"), T0, None).unwrap();
        store
            .commit(&config(2), &info("a"), T0, Some(Duration::from_secs(60)))
            .unwrap();
        assert!(store.confirm().unwrap());
        assert_eq!(store.pending_confirm().unwrap(), None);
        assert!(!store.confirm().unwrap());
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.pending_confirm().unwrap(), None);
        assert_eq!(store.expire_confirm(T0 + 3600).unwrap(), None);
        assert_eq!(store.active().unwrap().unwrap().text, config(2));
    }

    #[test]
    fn later_commit_confirms() {
        let (_dir, _path, store) = fresh();
        store.commit(&config(1), &info("a"), T0, None).unwrap();
        store
            .commit(&config(2), &info("a"), T0, Some(Duration::from_secs(60)))
            .unwrap();
        store.commit(&config(3), &info("a"), T0 + 5, None).unwrap();
        assert_eq!(store.pending_confirm().unwrap(), None);
        assert_eq!(store.expire_confirm(T0 + 3600).unwrap(), None);
        assert_eq!(store.active().unwrap().unwrap().text, config(3));
    }

    #[test]
    fn second_commit_confirmed_replaces_pending() {
        let (_dir, _path, store) = fresh();
        store.commit(&config(1), &info("a"), T0, None).unwrap();
        store
            .commit(&config(2), &info("a"), T0, Some(Duration::from_secs(60)))
            .unwrap();
        let seq = store
            .commit(
                &config(3),
                &info("a"),
                T0 + 30,
                Some(Duration::from_secs(60)),
            )
            .unwrap();
        assert_eq!(
            store.pending_confirm().unwrap(),
            Some(PendingConfirm {
                seq,
                deadline: T0 + 90
            })
        );
        assert_eq!(store.expire_confirm(T0 + 60).unwrap(), None);
        assert!(store.expire_confirm(T0 + 90).unwrap().is_some());
        assert_eq!(store.active().unwrap().unwrap().text, config(2));
    }

    #[test]
    fn unconfirmed_first_commit_rolls_back_to_empty() {
        let (_dir, _path, store) = fresh();
        store
            .commit(&config(1), &info("a"), T0, Some(Duration::from_secs(60)))
            .unwrap();
        assert_eq!(store.expire_confirm(T0 + 60).unwrap(), Some(2));
        assert_eq!(store.active().unwrap().unwrap().text, "");
    }

    #[test]
    fn restart_inside_confirm_window_still_rolls_back() {
        let (_dir, path, store) = fresh();
        store.commit(&config(1), &info("a"), T0, None).unwrap();
        let seq = store
            .commit(
                &config(2),
                &info("a"),
                T0 + 1,
                Some(Duration::from_secs(300)),
            )
            .unwrap();
        drop(store);

        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.pending_confirm().unwrap(),
            Some(PendingConfirm {
                seq,
                deadline: T0 + 301
            })
        );
        assert_eq!(store.expire_confirm(T0 + 100).unwrap(), None);
        let back = store.expire_confirm(T0 + 400).unwrap();
        assert_eq!(back, Some(seq + 1));
        let active = store.active().unwrap().unwrap();
        assert_eq!(active.text, config(1));
        assert_eq!(active.comment.as_deref(), Some(AUTO_COMMENT));
        assert_eq!(store.pending_confirm().unwrap(), None);
        drop(store);

        // The rollback itself is durable too.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.active().unwrap().unwrap().text, config(1));
        assert_eq!(store.pending_confirm().unwrap(), None);
    }

    #[test]
    fn second_open_of_same_file_fails_cleanly() {
        let (_dir, path, _store) = fresh();
        match Store::open(&path) {
            Err(StoreError::Open { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected Open error, got {other:?}"),
        }
    }

    #[test]
    fn open_rejects_garbage_and_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        let garbage = dir.path().join("garbage.redb");
        std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
        assert!(matches!(
            Store::open(&garbage),
            Err(StoreError::Open { .. })
        ));
        let missing = dir.path().join("no/such/dir/store.redb");
        assert!(matches!(
            Store::open(&missing),
            Err(StoreError::Open { .. })
        ));
    }

    #[test]
    fn open_rejects_unknown_schema_version() {
        let (_dir, path, store) = fresh();
        drop(store);
        {
            let db = redb::Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let meta: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("meta");
                let mut meta = txn.open_table(meta).unwrap();
                meta.insert("schema_version", 2).unwrap();
            }
            txn.commit().unwrap();
        }
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::UnsupportedSchema {
                found: 2,
                supported: 1
            })
        ));
    }

    #[test]
    fn errors_render_with_context() {
        assert_eq!(
            StoreError::NoSuchRollback { n: 3, available: 2 }.to_string(),
            "rollback 3 does not exist: 2 revision(s) stored"
        );
        assert_eq!(
            StoreError::RollbackOutOfRange(50).to_string(),
            "rollback 50 is out of range 0..=49"
        );
    }
}
