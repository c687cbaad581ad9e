// SPDX-License-Identifier: Apache-2.0
//! The configuration database as a Junos user meets it: a candidate that
//! `load`, `set` and `delete` change, `commit check`, `commit [confirmed]`,
//! `rollback N` and `show | compare`, over the durable [`Store`].
//!
//! A commit is one transaction: check the candidate, hand the checked model
//! to the caller's `apply` (interfaces, dataplane, services), and only when
//! that succeeds write the new revision. A refused commit changes nothing.

use std::path::Path;
use std::time::Duration;

use xpf_config::{
    apply_command, compare, effective, load_text, no_effect, parse_config, print_curly,
    unsupported, Command, Config, Diagnostic, Errors, LoadMode,
};
use xpf_model::Model;

use crate::{CommitInfo, Revision, Store, StoreError};

/// Why a configuration operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The input or the candidate is wrong; every problem is listed.
    #[error("{0}")]
    Config(#[from] Errors),
    /// A stored revision no longer parses (a schema change removed a statement).
    #[error("stored configuration {what} does not load: {errors}")]
    Stored {
        /// Which revision.
        what: String,
        /// What the parser said.
        errors: Errors,
    },
    /// Applying the configuration to the system failed; nothing was committed.
    #[error("commit failed while applying: {0}")]
    Apply(String),
}

/// The candidate and active configurations over a [`Store`].
#[derive(Debug)]
pub struct ConfigDb {
    store: Store,
    active: Config,
    candidate: Config,
    node: Option<String>,
}

impl ConfigDb {
    /// Opens (or creates) the database. `node` names this cluster node for
    /// `${node}` groups.
    pub fn open(path: &Path, node: Option<&str>) -> Result<ConfigDb, DbError> {
        let store = Store::open(path)?;
        let active = match store.active()? {
            Some(rev) => parse_stored(&rev.text, &format!("rollback 0 (commit {})", rev.seq))?,
            None => Config::default(),
        };
        let candidate = match store.candidate()? {
            Some(text) => parse_stored(&text, "candidate")?,
            None => active.clone(),
        };
        Ok(ConfigDb {
            store,
            active,
            candidate,
            node: node.map(str::to_string),
        })
    }

    /// On first start only (nothing committed yet), commits `text` as the
    /// initial configuration. Returns whether it did.
    pub fn seed(
        &mut self,
        text: &str,
        info: &CommitInfo,
        now: u64,
        apply: impl FnOnce(&Model) -> Result<(), String>,
    ) -> Result<bool, DbError> {
        if self.store.active()?.is_some() {
            return Ok(false);
        }
        self.candidate = parse_config(text)?;
        self.commit(info, now, None, apply)?;
        Ok(true)
    }

    /// The committed configuration (`rollback 0`).
    pub fn active(&self) -> &Config {
        &self.active
    }

    /// The configuration being edited.
    pub fn candidate(&self) -> &Config {
        &self.candidate
    }

    /// Whether the candidate differs from the active configuration.
    pub fn has_changes(&self) -> bool {
        !self.candidate.same_as(&self.active)
    }

    /// `load merge|override|replace|set` into the candidate; returns warnings.
    pub fn load(&mut self, mode: LoadMode, text: &str) -> Result<Vec<Diagnostic>, DbError> {
        let mut next = self.candidate.clone();
        let warnings = load_text(&mut next, text, mode)?;
        self.set_candidate(next)?;
        Ok(warnings)
    }

    /// One `set`/`delete`/`activate`/... command on the candidate; returns a
    /// warning when it changed nothing.
    pub fn command(&mut self, cmd: &Command) -> Result<Option<Diagnostic>, DbError> {
        let mut next = self.candidate.clone();
        let warning = apply_command(&mut next, cmd)?;
        self.set_candidate(next)?;
        Ok(warning)
    }

    fn set_candidate(&mut self, next: Config) -> Result<(), DbError> {
        if next.same_as(&self.active) {
            self.store.discard_candidate()?;
        } else {
            self.store.set_candidate(&print_curly(&next))?;
        }
        self.candidate = next;
        Ok(())
    }

    /// `commit check` of the candidate: every problem, or the checked model.
    pub fn check(&self) -> Result<Model, Errors> {
        check_config(&self.candidate, self.node.as_deref())
    }

    /// The candidate's statements that commit accepts with no effect on
    /// xpf, as warnings.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        warnings_of(&self.candidate, self.node.as_deref())
    }

    /// `commit [confirmed N]`: check, apply through `apply`, then record.
    /// Also confirms a pending `commit confirmed`. Returns the commit number.
    pub fn commit(
        &mut self,
        info: &CommitInfo,
        now: u64,
        confirmed: Option<Duration>,
        apply: impl FnOnce(&Model) -> Result<(), String>,
    ) -> Result<u64, DbError> {
        let model = self.check()?;
        apply(&model).map_err(DbError::Apply)?;
        self.record_commit(info, now, confirmed)
    }

    /// Records the candidate as the new active configuration, after the
    /// caller checked it ([`ConfigDb::check`]) and applied the model (the
    /// two halves of [`ConfigDb::commit`] for callers whose apply is async).
    pub fn record_commit(
        &mut self,
        info: &CommitInfo,
        now: u64,
        confirmed: Option<Duration>,
    ) -> Result<u64, DbError> {
        let seq = self
            .store
            .commit(&print_curly(&self.candidate), info, now, confirmed)?;
        self.active = self.candidate.clone();
        Ok(seq)
    }

    /// `commit check` also confirms a pending `commit confirmed`, as on Junos.
    pub fn confirm(&mut self) -> Result<bool, DbError> {
        Ok(self.store.confirm()?)
    }

    /// The pending `commit confirmed`, if any.
    pub fn pending_confirm(&self) -> Result<Option<crate::PendingConfirm>, DbError> {
        Ok(self.store.pending_confirm()?)
    }

    /// Rolls back an unconfirmed `commit confirmed` whose time is up (also
    /// right after a restart). `apply` installs the restored configuration.
    pub fn expire_confirm(
        &mut self,
        now: u64,
        apply: impl FnOnce(&Model) -> Result<(), String>,
    ) -> Result<Option<u64>, DbError> {
        let Some((restored, model)) = self.due_rollback(now)? else {
            return Ok(None);
        };
        apply(&model).map_err(DbError::Apply)?;
        self.record_rollback(now, restored)
    }

    /// If a `commit confirmed` is due at `now`: the configuration it returns
    /// to (the revision before it) and that configuration's model.
    pub fn due_rollback(&self, now: u64) -> Result<Option<(Config, Model)>, DbError> {
        let Some(pending) = self.store.pending_confirm()? else {
            return Ok(None);
        };
        if now < pending.deadline {
            return Ok(None);
        }
        let restored = match self.store.rollback(1) {
            Ok(rev) => parse_stored(&rev.text, "rollback 1")?,
            Err(StoreError::NoSuchRollback { .. }) => Config::default(),
            Err(e) => return Err(e.into()),
        };
        let model = check_config(&restored, self.node.as_deref())?;
        Ok(Some((restored, model)))
    }

    /// Records the automatic rollback of [`ConfigDb::due_rollback`] once the
    /// caller applied it.
    pub fn record_rollback(&mut self, now: u64, restored: Config) -> Result<Option<u64>, DbError> {
        let seq = self.store.expire_confirm(now)?;
        self.active = restored.clone();
        self.candidate = restored;
        Ok(seq)
    }

    /// `rollback N`: loads revision N into the candidate (0 discards changes).
    pub fn rollback(&mut self, n: u32) -> Result<(), DbError> {
        let rev = self.store.rollback(n)?;
        let cfg = parse_stored(&rev.text, &format!("rollback {n}"))?;
        self.set_candidate(cfg)
    }

    /// `show | compare [rollback N]`: candidate against active or revision N.
    pub fn compare(&self, rollback: Option<u32>) -> Result<String, DbError> {
        let base = match rollback {
            None => self.active.clone(),
            Some(n) => {
                let rev = self.store.rollback(n)?;
                parse_stored(&rev.text, &format!("rollback {n}"))?
            }
        };
        Ok(compare(&base, &self.candidate))
    }

    /// Commit history, newest first (`show system commit`).
    pub fn history(&self) -> Result<Vec<Revision>, DbError> {
        Ok(self.store.history()?)
    }
}

/// `commit check` of any configuration: unsupported statements and the
/// model's checks, all of them.
pub fn check_config(cfg: &Config, node: Option<&str>) -> Result<Model, Errors> {
    let eff = effective(cfg, node);
    let mut problems = unsupported(&eff);
    problems.extend(crate::pending::refused(&eff));
    match xpf_model::build(&eff) {
        Ok(model) if problems.is_empty() => return Ok(model),
        Ok(_) => {}
        Err(e) => problems.extend(e.0),
    }
    Err(Errors(problems).sorted())
}

/// The statements of any configuration that commit accepts with no effect
/// on xpf (`@inert` in the schema), as warnings.
pub fn warnings_of(cfg: &Config, node: Option<&str>) -> Vec<Diagnostic> {
    no_effect(&effective(cfg, node))
}

fn parse_stored(text: &str, what: &str) -> Result<Config, DbError> {
    parse_config(text).map_err(|errors| DbError::Stored {
        what: what.to_string(),
        errors,
    })
}
