// SPDX-License-Identifier: Apache-2.0
//! `xpfd run`: the supervisor daemon.
//!
//! Start-up: open the configuration database (seeding it from `--config` on
//! the very first start), finish any `commit confirmed` whose time ran out
//! while xpfd was down, apply the active configuration, then serve the
//! management API on the Unix socket and tell systemd we are ready.

mod caller;
mod clock;
mod grpc;
mod interfaces;
mod logbuf;
mod notify;
mod sessions;
mod show;
mod supervisor;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

pub use logbuf::LogBuffer;
use supervisor::Supervisor;

/// How `xpfd run` was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where the configuration database lives.
    pub state_dir: PathBuf,
    /// Seeds the database on first start only.
    pub config: Option<PathBuf>,
    /// The management API's Unix socket.
    pub socket: PathBuf,
    /// Cluster node name for `${node}` groups.
    pub node: Option<String>,
    /// Bring down interfaces the configuration does not name.
    pub down_unmanaged: bool,
}

/// Runs until SIGTERM or SIGINT.
pub async fn run(opts: Options, logs: LogBuffer) -> anyhow::Result<()> {
    std::fs::create_dir_all(&opts.state_dir)
        .with_context(|| format!("creating {}", opts.state_dir.display()))?;
    let seed = match &opts.config {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => None,
    };
    let sup = Arc::new(Supervisor::open(&opts, logs).await?);
    sup.start(seed.as_deref()).await?;

    let listener = bind(&opts.socket)?;
    let server = tokio::spawn(grpc::serve(sup.clone(), listener));
    tokio::spawn(confirm_timer(sup.clone()));
    tokio::spawn(interfaces::keep_applied(sup.clone()));
    notify::ready();
    tokio::spawn(notify::watchdog());
    tracing::info!(socket = %opts.socket.display(), "xpfd ready");

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        r = server => { r.context("management API task")??; }
    }
    notify::stopping();
    tracing::info!("xpfd stopping");
    let _ = std::fs::remove_file(&opts.socket);
    Ok(())
}

fn bind(path: &std::path::Path) -> anyhow::Result<tokio::net::UnixListener> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // A socket left by a previous run: only remove it if nobody answers.
    if path.exists() && std::os::unix::net::UnixStream::connect(path).is_err() {
        std::fs::remove_file(path).with_context(|| format!("removing stale {}", path.display()))?;
    }
    let listener = tokio::net::UnixListener::bind(path)
        .with_context(|| format!("binding {}", path.display()))?;
    // Root and the `xpf` group; the API itself checks each caller's class.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
    Ok(listener)
}

/// Rolls back an unconfirmed `commit confirmed` when its time is up.
async fn confirm_timer(sup: Arc<Supervisor>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        if let Err(e) = sup.expire_confirm().await {
            tracing::error!("automatic rollback failed: {e:#}");
        }
    }
}
