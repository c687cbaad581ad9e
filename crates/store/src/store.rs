// SPDX-License-Identifier: Apache-2.0
//! The redb-backed implementation of [`Store`].
//!
//! Layout of the database file (schema version 1):
//!
//! | table             | key                | value                                      |
//! |-------------------|--------------------|--------------------------------------------|
//! | `meta`            | `"schema_version"` | `u64`                                      |
//! | `revisions`       | seq `u64`          | `(time, user, client, comment, text)`      |
//! | `candidate`       | `"text"`           | candidate text; absent = no changes        |
//! | `pending_confirm` | `"pending"`        | `(seq, deadline)`; absent = none pending   |
//!
//! Every mutation runs in a single redb write transaction with the default (immediate)
//! durability, so after a crash the file shows either all or none of it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, WriteTransaction,
};

use crate::error::{Ctx, StoreError};
use crate::{CommitInfo, PendingConfirm, Revision, MAX_ROLLBACK};

/// The on-disk layout this build reads and writes.
const SCHEMA_VERSION: u64 = 1;
/// How many revisions are kept: rollback 0 through rollback [`MAX_ROLLBACK`].
const KEEP: u64 = MAX_ROLLBACK as u64 + 1;

/// A stored revision: `(time, user, client, comment, text)`.
type RevisionRecord = (
    u64,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
);

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const SCHEMA_KEY: &str = "schema_version";
const REVISIONS: TableDefinition<u64, RevisionRecord> = TableDefinition::new("revisions");
const CANDIDATE: TableDefinition<&str, &str> = TableDefinition::new("candidate");
const CANDIDATE_KEY: &str = "text";
const PENDING: TableDefinition<&str, (u64, u64)> = TableDefinition::new("pending_confirm");
const PENDING_KEY: &str = "pending";

/// Who is recorded for the revision written by an automatic rollback.
const AUTO_ROLLBACK_USER: &str = "root";
/// Which client is recorded for the revision written by an automatic rollback.
const AUTO_ROLLBACK_CLIENT: &str = "xpfd";
/// The comment recorded for the revision written by an automatic rollback.
const AUTO_ROLLBACK_COMMENT: &str = "automatic rollback: commit confirmed was not confirmed";

/// The durable configuration store: committed history, candidate and pending confirmation.
///
/// All methods take `&self`; the store is `Send + Sync` and may be shared between threads.
/// Mutations are serialised by redb's single writer, and each one is a read-modify-write
/// inside one write transaction, so concurrent callers cannot interleave halfway.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `path`, creating the database file if it does not exist.
    ///
    /// The parent directory must exist. Opening a file that redb was writing when its process
    /// died is fine: redb recovers the last committed state. Only one `Store` (in any process)
    /// may have a given file open at a time; a second open fails with [`StoreError::Open`].
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source: redb::Error| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let db = Database::create(path).map_err(|e| open_err(e.into()))?;
        let txn = db.begin_write().map_err(|e| open_err(e.into()))?;
        {
            // The version is checked before any other table is opened: a future layout may
            // give them types this build would misread.
            let mut meta = txn.open_table(META).map_err(|e| open_err(e.into()))?;
            let found = meta
                .get(SCHEMA_KEY)
                .map_err(|e| open_err(e.into()))?
                .map(|g| g.value());
            match found {
                Some(SCHEMA_VERSION) => {}
                Some(found) => {
                    return Err(StoreError::UnsupportedSchema {
                        found,
                        supported: SCHEMA_VERSION,
                    })
                }
                None => {
                    meta.insert(SCHEMA_KEY, SCHEMA_VERSION)
                        .map_err(|e| open_err(e.into()))?;
                }
            }
            // Create the remaining tables so that readers can rely on them existing.
            txn.open_table(REVISIONS).map_err(|e| open_err(e.into()))?;
            txn.open_table(CANDIDATE).map_err(|e| open_err(e.into()))?;
            txn.open_table(PENDING).map_err(|e| open_err(e.into()))?;
        }
        txn.commit().map_err(|e| open_err(e.into()))?;
        Ok(Store {
            db,
            path: path.to_path_buf(),
        })
    }

    /// The active configuration (`rollback 0`), or `None` before the first commit.
    pub fn active(&self) -> Result<Option<Revision>, StoreError> {
        const OP: &str = "read active configuration";
        let txn = self.read(OP)?;
        let revs = txn.open_table(REVISIONS).ctx(OP)?;
        let last = revs.last().ctx(OP)?;
        Ok(last.map(|(k, v)| to_revision(k.value(), v.value())))
    }

    /// The configuration `n` commits ago: `rollback 0` is the active one.
    ///
    /// Fails with [`StoreError::RollbackOutOfRange`] if `n` exceeds [`MAX_ROLLBACK`], and with
    /// [`StoreError::NoSuchRollback`] if fewer than `n + 1` revisions exist yet.
    pub fn rollback(&self, n: u32) -> Result<Revision, StoreError> {
        const OP: &str = "read rollback";
        if n > MAX_ROLLBACK {
            return Err(StoreError::RollbackOutOfRange(n));
        }
        let txn = self.read(OP)?;
        let revs = txn.open_table(REVISIONS).ctx(OP)?;
        // `n <= MAX_ROLLBACK` was checked above, so it fits in usize on every platform.
        let found = match revs.iter().ctx(OP)?.rev().nth(n as usize) {
            Some(entry) => {
                let (k, v) = entry.ctx(OP)?;
                Some(to_revision(k.value(), v.value()))
            }
            None => None,
        };
        match found {
            Some(revision) => Ok(revision),
            None => Err(StoreError::NoSuchRollback {
                n,
                available: u32::try_from(revs.len().ctx(OP)?).unwrap_or(u32::MAX),
            }),
        }
    }

    /// All stored revisions, newest (`rollback 0`) first, at most `MAX_ROLLBACK + 1` of them,
    /// each with its full text.
    pub fn history(&self) -> Result<Vec<Revision>, StoreError> {
        const OP: &str = "read history";
        let txn = self.read(OP)?;
        let revs = txn.open_table(REVISIONS).ctx(OP)?;
        revs.iter()
            .ctx(OP)?
            .rev()
            .take(KEEP as usize)
            .map(|entry| {
                let (k, v) = entry.ctx(OP)?;
                Ok(to_revision(k.value(), v.value()))
            })
            .collect()
    }

    /// The persisted candidate text, or `None` when there are no uncommitted changes.
    pub fn candidate(&self) -> Result<Option<String>, StoreError> {
        const OP: &str = "read candidate";
        let txn = self.read(OP)?;
        let cand = txn.open_table(CANDIDATE).ctx(OP)?;
        let text = cand.get(CANDIDATE_KEY).ctx(OP)?;
        Ok(text.map(|g| g.value().to_owned()))
    }

    /// Durably replaces the candidate with `text`.
    pub fn set_candidate(&self, text: &str) -> Result<(), StoreError> {
        const OP: &str = "set candidate";
        let txn = self.db.begin_write().ctx(OP)?;
        {
            let mut cand = txn.open_table(CANDIDATE).ctx(OP)?;
            cand.insert(CANDIDATE_KEY, text).ctx(OP)?;
        }
        txn.commit().ctx(OP)
    }

    /// Throws the candidate away, so that [`Store::candidate`] returns `None`.
    pub fn discard_candidate(&self) -> Result<(), StoreError> {
        const OP: &str = "discard candidate";
        let txn = self.db.begin_write().ctx(OP)?;
        clear_candidate(&txn, OP)?;
        txn.commit().ctx(OP)
    }

    /// Commits `text` as the new active configuration.
    ///
    /// In one atomic write transaction this appends a revision stamped with `now` (unix
    /// seconds) and `info`, drops revisions beyond `rollback 49`, clears the candidate, and
    /// either records a pending confirmation due at `now + confirmed_for` (sub-second parts
    /// round up) or, for a plain commit, clears any pending one: a later commit confirms.
    ///
    /// A `commit confirmed` issued while another is pending replaces it: the new deadline
    /// applies, and an expiry rolls back to the revision before the newest one.
    ///
    /// Returns the sequence number of the new revision. Sequence numbers start at 1 and never
    /// repeat within one database.
    pub fn commit(
        &self,
        text: &str,
        info: &CommitInfo,
        now: u64,
        confirmed_for: Option<Duration>,
    ) -> Result<u64, StoreError> {
        const OP: &str = "commit";
        let txn = self.db.begin_write().ctx(OP)?;
        let seq = append(
            &txn,
            (
                now,
                info.user.as_str(),
                info.client.as_str(),
                info.comment.as_deref(),
                text,
            ),
            OP,
        )?;
        clear_candidate(&txn, OP)?;
        {
            let mut pending = txn.open_table(PENDING).ctx(OP)?;
            match confirmed_for {
                Some(window) => {
                    let deadline = now.saturating_add(ceil_secs(window));
                    pending.insert(PENDING_KEY, (seq, deadline)).ctx(OP)?;
                }
                None => {
                    pending.remove(PENDING_KEY).ctx(OP)?;
                }
            }
        }
        txn.commit().ctx(OP)?;
        Ok(seq)
    }

    /// Confirms a pending `commit confirmed`, so it will not be rolled back.
    ///
    /// Returns whether a confirmation was pending.
    pub fn confirm(&self) -> Result<bool, StoreError> {
        const OP: &str = "confirm commit";
        let txn = self.db.begin_write().ctx(OP)?;
        let was_pending = {
            let mut pending = txn.open_table(PENDING).ctx(OP)?;
            let removed = pending.remove(PENDING_KEY).ctx(OP)?;
            removed.is_some()
        };
        if was_pending {
            txn.commit().ctx(OP)?;
        } else {
            txn.abort().ctx(OP)?;
        }
        Ok(was_pending)
    }

    /// The pending `commit confirmed`, if any.
    pub fn pending_confirm(&self) -> Result<Option<PendingConfirm>, StoreError> {
        const OP: &str = "read pending confirmation";
        let txn = self.read(OP)?;
        let pending = txn.open_table(PENDING).ctx(OP)?;
        let value = pending.get(PENDING_KEY).ctx(OP)?;
        Ok(value.map(|g| {
            let (seq, deadline) = g.value();
            PendingConfirm { seq, deadline }
        }))
    }

    /// Performs the automatic rollback of an unconfirmed `commit confirmed` once it is due.
    ///
    /// If a confirmation is pending and `now >= deadline`, one write transaction appends a new
    /// revision whose text is that of the revision preceding the pending one (the empty text if
    /// the pending commit was the very first), recorded as user `root`, client `xpfd`, comment
    /// `automatic rollback: commit confirmed was not confirmed`; it also clears the pending
    /// confirmation and the candidate (edits made on top of the rejected configuration must not
    /// silently bring it back). Returns the new revision's sequence number, or `None` if nothing
    /// was pending or the deadline has not passed.
    ///
    /// Because the deadline is persisted, calling this after a restart still rolls back.
    pub fn expire_confirm(&self, now: u64) -> Result<Option<u64>, StoreError> {
        const OP: &str = "expire commit confirmed";
        let txn = self.db.begin_write().ctx(OP)?;
        let due = {
            let pending = txn.open_table(PENDING).ctx(OP)?;
            let value = pending.get(PENDING_KEY).ctx(OP)?;
            value
                .map(|g| g.value())
                .filter(|&(_, deadline)| now >= deadline)
        };
        let Some((pending_seq, _)) = due else {
            txn.abort().ctx(OP)?;
            return Ok(None);
        };
        let text = {
            let revs = txn.open_table(REVISIONS).ctx(OP)?;
            let newest = revs.last().ctx(OP)?.map(|(k, _)| k.value());
            // Every commit either sets the pending confirmation to its own revision or clears
            // it, so a pending revision is always the newest one.
            if newest != Some(pending_seq) {
                return Err(StoreError::Inconsistent(format!(
                    "pending confirmation refers to revision {pending_seq}, newest is {newest:?}"
                )));
            }
            let previous = revs.range(..pending_seq).ctx(OP)?.next_back();
            match previous {
                Some(entry) => entry.ctx(OP)?.1.value().4.to_owned(),
                None => String::new(),
            }
        };
        let seq = append(
            &txn,
            (
                now,
                AUTO_ROLLBACK_USER,
                AUTO_ROLLBACK_CLIENT,
                Some(AUTO_ROLLBACK_COMMENT),
                &text,
            ),
            OP,
        )?;
        clear_candidate(&txn, OP)?;
        {
            let mut pending = txn.open_table(PENDING).ctx(OP)?;
            pending.remove(PENDING_KEY).ctx(OP)?;
        }
        txn.commit().ctx(OP)?;
        Ok(Some(seq))
    }

    fn read(&self, op: &'static str) -> Result<ReadTransaction, StoreError> {
        self.db.begin_read().ctx(op)
    }
}

/// Appends a revision after the newest one and prunes the oldest beyond [`KEEP`].
fn append(
    txn: &WriteTransaction,
    record: (u64, &str, &str, Option<&str>, &str),
    op: &'static str,
) -> Result<u64, StoreError> {
    let mut revs = txn.open_table(REVISIONS).ctx(op)?;
    let newest = revs.last().ctx(op)?.map(|(k, _)| k.value());
    let seq = match newest {
        None => 1,
        Some(newest) => newest.checked_add(1).ok_or_else(|| {
            StoreError::Inconsistent("revision sequence number space exhausted".into())
        })?,
    };
    revs.insert(seq, record).ctx(op)?;
    while revs.len().ctx(op)? > KEEP {
        revs.pop_first().ctx(op)?;
    }
    Ok(seq)
}

fn clear_candidate(txn: &WriteTransaction, op: &'static str) -> Result<(), StoreError> {
    let mut cand = txn.open_table(CANDIDATE).ctx(op)?;
    cand.remove(CANDIDATE_KEY).ctx(op)?;
    Ok(())
}

/// Whole seconds in `d`, rounding any fraction up so a window is never shortened.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0))
}

fn to_revision(
    seq: u64,
    (time, user, client, comment, text): (u64, &str, &str, Option<&str>, &str),
) -> Revision {
    Revision {
        seq,
        time,
        user: user.to_owned(),
        client: client.to_owned(),
        comment: comment.map(str::to_owned),
        text: text.to_owned(),
    }
}
