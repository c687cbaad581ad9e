// SPDX-License-Identifier: Apache-2.0
//! The supervisor's state and its one transaction: the commit.
//!
//! A commit checks the candidate, applies it (interfaces, then accounts,
//! then sshd; the dataplane as it lands) and only then records it. If
//! applying fails, what was applied is put back as the active configuration
//! has it and nothing is recorded: the active configuration, the system and
//! the store stay as they were.

use std::time::{Duration, SystemTime};

use anyhow::Context;
use tokio::sync::{Mutex, RwLock};
use xpf_config::{parse_command, Diagnostic, Errors, LoadMode};
use xpf_model::Model;
use xpf_store::{CommitInfo, ConfigDb, DbError};

use super::accounts::Accounts;
use super::interfaces::Interfaces;
use super::sessions::Sessions;
use super::sshd::Sshd;
use super::{clock, LogBuffer, Options};

/// Everything xpfd owns.
pub struct Supervisor {
    /// The configuration database (candidate, active, history).
    pub db: Mutex<ConfigDb>,
    /// Configuration-mode sessions.
    pub sessions: std::sync::Mutex<Sessions>,
    /// The model of the active configuration.
    pub active: RwLock<Option<Model>>,
    /// The interfaces of this namespace.
    pub interfaces: Interfaces,
    /// The Linux accounts of the configured users.
    pub accounts: Accounts,
    /// OpenSSH's server.
    pub sshd: Sshd,
    /// Host name, resolver and time zone.
    pub system: xpf_system::System,
    /// The dataplane snapshot compiled from the active configuration (the
    /// forwarding engines take it when they run).
    pub snapshot: RwLock<Option<std::sync::Arc<xpf_dataplane::Snapshot>>>,
    /// The forwarding engine (AF_XDP or eBPF).
    pub forwarding: super::forwarding::Forwarding,
    /// Recent log lines.
    pub logs: LogBuffer,
    /// Where the database and the update agent's files live.
    pub state_dir: std::path::PathBuf,
    /// Where `system syslog file` files go.
    pub log_dir: std::path::PathBuf,
    /// When xpfd started.
    pub started: SystemTime,
    /// A first configuration (`--config`, a bootstrap file) that was
    /// refused at start, and why: `show system commit` says so.
    pub refused_seed: std::sync::Mutex<Option<String>>,
}

/// Why a commit's apply step failed, by step. Each step's error names its
/// statement (`[edit interfaces ge-0/0/1 unit 0]`, `[edit system login
/// user alice]`) where the step knows it.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Interfaces, addresses and static routes.
    #[error(transparent)]
    Interfaces(#[from] super::interfaces::InterfacesError),
    /// The dataplane compiler refused the model.
    #[error("dataplane: {0}")]
    Compile(#[from] xpf_dataplane::CompileError),
    /// `system login` and `root-authentication` as Linux accounts.
    #[error("accounts: {0}")]
    Accounts(#[from] super::accounts::AccountsError),
    /// `system services ssh` as OpenSSH's configuration.
    #[error("sshd: {0}")]
    Sshd(#[from] super::sshd::SshdError),
    /// The forwarding engine refused the snapshot.
    #[error("dataplane: {0}")]
    Forwarding(#[from] super::forwarding::StartError),
    /// Host name, resolver or time zone.
    #[error(transparent)]
    System(#[from] xpf_system::SystemError),
}

/// What a configuration operation reports back.
pub struct Outcome {
    /// Whether it succeeded.
    pub ok: bool,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
    /// A line for the user ("commit complete").
    pub text: String,
    /// The commit number, for commits.
    pub commit: u64,
}

impl Outcome {
    fn ok(text: impl Into<String>) -> Outcome {
        Outcome {
            ok: true,
            diagnostics: Vec::new(),
            text: text.into(),
            commit: 0,
        }
    }

    fn failed(diagnostics: Vec<Diagnostic>, text: impl Into<String>) -> Outcome {
        Outcome {
            ok: false,
            diagnostics,
            text: text.into(),
            commit: 0,
        }
    }

    fn from_db_error(e: DbError, text: &str) -> Outcome {
        match e {
            DbError::Config(Errors(d)) => Outcome::failed(d, text),
            other => Outcome::failed(Vec::new(), format!("error: {other}\n{text}")),
        }
    }
}

impl Supervisor {
    /// Opens the database and takes the interfaces.
    pub async fn open(opts: &Options, logs: LogBuffer) -> anyhow::Result<Supervisor> {
        let db = ConfigDb::open(&opts.state_dir.join("config.redb"), opts.node.as_deref())
            .context("opening the configuration database")?;
        Ok(Supervisor {
            db: Mutex::new(db),
            sessions: std::sync::Mutex::new(Sessions::default()),
            active: RwLock::new(None),
            interfaces: Interfaces::new(opts.down_unmanaged()).await?,
            accounts: Accounts::new(opts.manage_accounts, opts.cli_path.clone()),
            sshd: Sshd::new(opts.manage_sshd.then(|| opts.sshd_config.clone())),
            system: xpf_system::System::new(
                opts.manage_system.then(|| opts.system_root.clone()),
                opts.system_root == std::path::Path::new("/"),
            ),
            snapshot: RwLock::new(None),
            forwarding: super::forwarding::Forwarding::new(
                opts.dataplane,
                opts.bpf_pin_dir.clone(),
            ),
            logs,
            state_dir: opts.state_dir.clone(),
            log_dir: opts.log_dir.clone(),
            started: SystemTime::now(),
            refused_seed: std::sync::Mutex::new(None),
        })
    }

    /// Seeds (first start only), finishes an overdue `commit confirmed`,
    /// and applies the active configuration.
    pub async fn start(&self, seed: Option<&str>) -> anyhow::Result<()> {
        let mut db = self.db.lock().await;
        let mut seeded = false;
        if let Some(text) = seed {
            let fresh = db.history().map(|h| h.is_empty()).unwrap_or(false);
            if fresh {
                db.load(LoadMode::Override, text)
                    .map_err(|e| anyhow::anyhow!("--config does not load:\n{e}"))?;
                let model = db
                    .check()
                    .map_err(|e| anyhow::anyhow!("--config fails commit check:\n{e}"))?;
                self.apply(&model, None)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                let info = CommitInfo {
                    user: "root".into(),
                    client: "xpfd".into(),
                    comment: Some("initial configuration".into()),
                };
                db.record_commit(&info, clock::now(), None)?;
                *self.active.write().await = Some(model);
                tracing::info!("seeded the configuration database");
                seeded = true;
            }
        }
        drop(db);
        if seeded {
            // Just applied; a fresh database has no commit confirmed pending.
            return Ok(());
        }
        self.expire_confirm().await?;
        let db = self.db.lock().await;
        match xpf_store::check_config(db.active(), None) {
            Ok(model) => {
                if let Err(e) = self.apply(&model, None).await {
                    tracing::error!("applying the active configuration: {e}");
                }
                *self.active.write().await = Some(model);
            }
            Err(e) => tracing::error!("the active configuration fails commit check:\n{e}"),
        }
        Ok(())
    }

    /// [`Supervisor::start`] with a first configuration from `source`
    /// (`--config FILE`, a bootstrap file). One that does not load, check
    /// or apply is refused loudly (the log, `show system commit`) and xpfd
    /// starts without it: a bad file must not leave the box unmanageable.
    pub async fn start_seeded(&self, seed: &str, source: &str) -> anyhow::Result<()> {
        match self.start(Some(seed)).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let why = format!("{source} refused: {e:#}");
                tracing::error!("{why}; starting without it");
                *self.refused_seed.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                self.start(None).await
            }
        }
    }

    /// One set-form line in configuration mode.
    pub async fn edit(&self, line: &str) -> Outcome {
        let cmd = match parse_command(line) {
            Ok(c) => c,
            Err(Errors(d)) => return Outcome::failed(d, ""),
        };
        let mut db = self.db.lock().await;
        match db.command(&cmd) {
            Ok(None) => Outcome::ok(""),
            Ok(Some(warning)) => Outcome {
                ok: true,
                diagnostics: vec![warning],
                text: String::new(),
                commit: 0,
            },
            Err(e) => Outcome::from_db_error(e, ""),
        }
    }

    /// `load merge|override|replace|set`.
    pub async fn load(&self, mode: LoadMode, text: &str, source: &str) -> Outcome {
        let mut db = self.db.lock().await;
        match db.load(mode, text) {
            Ok(warnings) => Outcome {
                ok: true,
                diagnostics: warnings,
                text: "load complete".into(),
                commit: 0,
            },
            Err(DbError::Config(e)) => Outcome::failed(e.in_source(source).0, "error: load failed"),
            Err(e) => Outcome::from_db_error(e, "error: load failed"),
        }
    }

    /// `commit`, `commit check`, `commit confirmed N`, `commit comment`.
    pub async fn commit(
        &self,
        user: &str,
        check_only: bool,
        confirmed_minutes: Option<u32>,
        comment: &str,
    ) -> Outcome {
        let mut db = self.db.lock().await;
        let model = match db.check() {
            Ok(m) => m,
            Err(Errors(d)) => return Outcome::failed(d, "error: configuration check-out failed"),
        };
        // Statements with no effect on xpf commit, and say so each time.
        let warnings = db.warnings();
        if check_only {
            // As on Junos, `commit check` also confirms a pending `commit confirmed`.
            let _ = db.confirm();
            return Outcome {
                diagnostics: warnings,
                ..Outcome::ok("configuration check succeeds")
            };
        }
        let operation = if confirmed_minutes.is_some() {
            "commit confirmed"
        } else {
            "commit"
        };
        super::events::commit_requested(user, operation, comment);
        let applied = {
            let previous = self.active.read().await;
            self.apply(&model, previous.as_ref()).await
        };
        if let Err(e) = applied {
            return Outcome::failed(
                Vec::new(),
                format!("error: {e}\nerror: configuration check-out failed"),
            );
        }
        let info = CommitInfo {
            user: user.to_string(),
            client: "cli".into(),
            comment: (!comment.is_empty()).then(|| comment.to_string()),
        };
        let confirmed = confirmed_minutes.map(|m| Duration::from_secs(u64::from(m) * 60));
        match db.record_commit(&info, clock::now(), confirmed) {
            Ok(seq) => {
                *self.active.write().await = Some(model);
                tracing::info!(user, commit = seq, "commit complete");
                super::events::commit_completed();
                let text = match confirmed_minutes {
                    Some(m) => format!(
                        "commit confirmed will be automatically rolled back in {m} minutes unless confirmed\ncommit complete"
                    ),
                    None => "commit complete".to_string(),
                };
                Outcome {
                    commit: seq,
                    diagnostics: warnings,
                    ..Outcome::ok(text)
                }
            }
            Err(e) => {
                // The system already runs the new configuration: put it back.
                self.put_back(self.active.read().await.as_ref()).await;
                Outcome::from_db_error(e, "error: commit failed")
            }
        }
    }

    /// Makes the system run `model`: interfaces, then accounts, then sshd.
    /// If a step fails, everything is put back as it was with `previous`
    /// (what the system ran before), so nothing is left half-applied.
    async fn apply(&self, model: &Model, previous: Option<&Model>) -> Result<(), ApplyError> {
        let result = self.apply_steps(model).await;
        if result.is_err() {
            self.put_back(previous).await;
        }
        result
    }

    async fn apply_steps(&self, model: &Model) -> Result<(), ApplyError> {
        let system = xpf_system::Settings::of(model);
        // What can be refused is refused before anything changes.
        self.system.prepare(&system)?;
        self.interfaces.apply(model).await?;
        // The dataplane's snapshot is compiled against the interfaces as the
        // kernel now has them (VLAN units get their ifindex in the step above).
        let table = self.interfaces.table().await;
        let snapshot = xpf_dataplane::Snapshot::compile(model, &table)?;
        self.accounts.apply(model).await?;
        self.sshd.apply(model).await?;
        self.system.apply(&system)?;
        let snapshot = std::sync::Arc::new(snapshot);
        let names = self.interfaces.data_interfaces(model).await;
        // The dataplane may refuse the snapshot (the eBPF program cannot
        // express every configuration): then nothing changes.
        self.forwarding
            .commit(model, snapshot.clone(), &table, names)?;
        *self.snapshot.write().await = Some(snapshot);
        Ok(())
    }

    /// Data interfaces changed with no commit (a NIC reset or re-plugged
    /// comes back under a new ifindex): the active configuration is applied
    /// again, so the snapshot knows the interfaces by their new ifindexes
    /// and the dataplane runs on them, its sessions kept.
    ///
    /// `failed` is the set of interfaces this last failed for (a configured
    /// interface still missing, say): not tried again until the set
    /// changes, so a failure's own link events do not loop.
    pub async fn follow_data_interfaces(&self, failed: &mut Option<Vec<String>>) {
        // Not in the middle of a commit.
        let _db = self.db.lock().await;
        let Some(model) = self.active.read().await.clone() else {
            return;
        };
        let names = self.interfaces.data_interfaces(&model).await;
        if self.forwarding.runs_on(&names) || failed.as_ref() == Some(&names) {
            return;
        }
        tracing::warn!(interfaces = ?names, "the data interfaces changed outside a commit: applying the active configuration to them");
        *failed = match self.apply(&model, Some(&model)).await {
            Ok(()) => None,
            Err(e) => {
                tracing::error!("applying the active configuration to the changed interfaces: {e}");
                Some(names)
            }
        };
    }

    /// Undoes the last apply: the interfaces from their snapshot, accounts
    /// and sshd as `previous` has them.
    async fn put_back(&self, previous: Option<&Model>) {
        self.interfaces.undo().await;
        self.system.undo();
        let Some(old) = previous else { return };
        if let Err(e) = self.accounts.apply(old).await {
            tracing::error!("putting back the previous accounts: {e}");
        }
        if let Err(e) = self.sshd.apply(old).await {
            tracing::error!("putting back the previous sshd configuration: {e}");
        }
    }

    /// The automatic rollback of an unconfirmed `commit confirmed`.
    pub async fn expire_confirm(&self) -> anyhow::Result<()> {
        let mut db = self.db.lock().await;
        let now = clock::now();
        let Some((restored, model)) = db.due_rollback(now)? else {
            return Ok(());
        };
        {
            let previous = self.active.read().await;
            self.apply(&model, previous.as_ref())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        db.record_rollback(now, restored)?;
        *self.active.write().await = Some(model);
        tracing::warn!(
            "commit confirmed was not confirmed: rolled back to the previous configuration"
        );
        Ok(())
    }
}
