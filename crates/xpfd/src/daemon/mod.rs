// SPDX-License-Identifier: Apache-2.0
//! `xpfd run`: the supervisor daemon.
//!
//! Start-up: open the configuration database (seeding it from `--config` on
//! the very first start), finish any `commit confirmed` whose time ran out
//! while xpfd was down, apply the active configuration, then serve the
//! management API on the Unix socket (and, with TLS and password logins,
//! gRPC and REST on TCP) and tell systemd we are ready.
//!
//! Forwarding (`forwarding`): with `--dataplane afxdp` (the default) the
//! first commit starts the dataplane `system dataplane-type` names (AF_XDP
//! running the packet pipeline, falling back to the eBPF dataplane when it
//! cannot start; or the eBPF dataplane) on the data interfaces, and every
//! later commit swaps in its new snapshot. On exit (SIGTERM, or killed) the
//! eBPF dataplane stays attached with its pinned sessions and the next xpfd
//! takes it over (hitless restart); AF_XDP stops with xpfd, failing closed.
//!
//! With `--manage-accounts` the configured users become Linux accounts
//! whose shell is the CLI (`accounts`); with `--manage-sshd`, `system
//! services ssh` drives OpenSSH's server (`sshd`).

mod accounts;
mod auth;
mod auto_update;
mod caller;
mod clock;
mod dataplane_status;
mod forwarding;
mod grpc;
mod interfaces;
mod live;
mod logbuf;
mod metrics;
mod notify;
mod rest;
mod sessions;
mod show;
mod software;
mod sshd;
mod supervisor;
mod syslog;
mod tls;

use std::net::SocketAddr;
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
    /// Zero-touch bootstrap files: the first that exists seeds the database
    /// on first start; unlike `config`, a bad one is logged, not fatal.
    pub bootstrap: Vec<PathBuf>,
    /// The management API's Unix socket.
    pub socket: PathBuf,
    /// Cluster node name for `${node}` groups.
    pub node: Option<String>,
    /// Bring down interfaces the configuration does not name.
    pub down_unmanaged: bool,
    /// gRPC over TCP with TLS; `None`: off.
    pub grpc_listen: Option<SocketAddr>,
    /// REST over HTTPS; `None`: off.
    pub rest_listen: Option<SocketAddr>,
    /// The TLS certificate chain (PEM) for both; generated when absent.
    pub tls_cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// Make the Linux accounts match `system login` and `root-authentication`.
    pub manage_accounts: bool,
    /// The login shell of managed accounts: the CLI.
    pub cli_path: PathBuf,
    /// Render `system services ssh` into `sshd_config` and tell sshd.
    pub manage_sshd: bool,
    /// The sshd configuration file xpfd writes.
    pub sshd_config: PathBuf,
    /// The userspace forwarding engine to run.
    pub dataplane: forwarding::Engine,
    /// Where `system syslog file` files go.
    pub log_dir: PathBuf,
    /// Where the dataplanes pin (bpffs).
    pub bpf_pin_dir: PathBuf,
}

pub use forwarding::Engine;

/// The first bootstrap file that exists, with its text.
fn bootstrap(paths: &[PathBuf]) -> Option<(PathBuf, String)> {
    paths.iter().find_map(|p| match std::fs::read_to_string(p) {
        Ok(text) => Some((p.clone(), text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            tracing::error!(file = %p.display(), "bootstrap configuration unreadable: {e}");
            None
        }
    })
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
    // Watch the kernel before the first apply: a change made between that
    // apply and the watch would otherwise never be repaired.
    let changes = xpf_netlink::watch().context("watching interfaces")?;
    match (&seed, &opts.config, bootstrap(&opts.bootstrap)) {
        (Some(text), Some(path), _) => {
            sup.start_seeded(text, &format!("--config {}", path.display()))
                .await?
        }
        (None, _, Some((path, text))) => {
            sup.start_seeded(
                &text,
                &format!("bootstrap configuration {}", path.display()),
            )
            .await?
        }
        _ => sup.start(None).await?,
    }

    let mut servers = tokio::task::JoinSet::new();
    let listener = bind(&opts.socket)?;
    servers.spawn(named(
        "management API on the Unix socket",
        grpc::serve(sup.clone(), grpc::Listener::Unix(listener)),
    ));
    if opts.grpc_listen.is_some() || opts.rest_listen.is_some() {
        let id = tls::load_or_generate(
            &opts.state_dir,
            opts.tls_cert.as_deref(),
            opts.tls_key.as_deref(),
        )?;
        tracing::info!(cert = %id.cert_path.display(), sha256 = %id.fingerprint, "TLS certificate");
        if let Some(addr) = opts.grpc_listen {
            let (l, at) = bind_tcp(addr).await?;
            tracing::info!(%at, "gRPC listening (TLS, password logins)");
            let tls = grpc::Listener::Tls(l, tls::grpc_config(&id));
            servers.spawn(named("gRPC over TCP", grpc::serve(sup.clone(), tls)));
        }
        if let Some(addr) = opts.rest_listen {
            let (l, at) = bind_tcp(addr).await?;
            tracing::info!(%at, "REST listening (HTTPS, password logins)");
            let cfg = tls::server_config(&id)?;
            servers.spawn(named("REST API", rest::serve(sup.clone(), l, cfg)));
        }
    }
    tokio::spawn(confirm_timer(sup.clone()));
    tokio::spawn(interfaces::keep_applied(sup.clone(), changes));
    tokio::spawn(interfaces::mirror_kernel_tables(sup.clone()));
    tokio::spawn(resolve_ebpf_neighbours(sup.clone()));
    tokio::spawn(watch_forwarding(sup.clone()));
    tokio::spawn(auto_update::keep_checking(sup.clone()));
    tokio::spawn(syslog::deliver_session_logs(sup.clone()));
    notify::ready();
    tokio::spawn(notify::watchdog());
    tracing::info!(socket = %opts.socket.display(), "xpfd ready");

    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
        Some(r) = servers.join_next() => { r.context("API server task")??; }
    }
    notify::stopping();
    // The eBPF dataplane keeps forwarding for the next xpfd (issue 6).
    sup.forwarding.shutdown();
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
    match nix::unistd::Group::from_name(accounts::GROUP) {
        Ok(Some(group)) => std::os::unix::fs::chown(path, None, Some(group.gid.as_raw()))
            .with_context(|| format!("giving {} to group {}", path.display(), group.name))?,
        _ => tracing::info!(
            "no group {}: only root may use {}",
            accounts::GROUP,
            path.display()
        ),
    }
    Ok(listener)
}

/// Labels a server's error with what it was.
async fn named(
    what: &'static str,
    server: impl std::future::Future<Output = anyhow::Result<()>>,
) -> anyhow::Result<()> {
    server.await.with_context(|| format!("{what} stopped"))
}

/// Linux's errno for "address family not supported" (IPv6 disabled).
const EAFNOSUPPORT: i32 = 97;

/// Binds a TCP listener. `[::]` falls back to `0.0.0.0` on a host without
/// IPv6, so the defaults work everywhere.
async fn bind_tcp(addr: SocketAddr) -> anyhow::Result<(tokio::net::TcpListener, SocketAddr)> {
    let l = match tokio::net::TcpListener::bind(addr).await {
        Err(e)
            if addr.ip().is_unspecified()
                && addr.is_ipv6()
                && e.raw_os_error() == Some(EAFNOSUPPORT) =>
        {
            let v4 = SocketAddr::from(([0, 0, 0, 0], addr.port()));
            tracing::warn!("no IPv6 here ({e}): listening on {v4} instead of {addr}");
            tokio::net::TcpListener::bind(v4).await
        }
        other => other,
    }
    .with_context(|| format!("listening on {addr}"))?;
    let at = l.local_addr()?;
    Ok((l, at))
}

/// The eBPF dataplane drops packets whose next hop the kernel has not
/// resolved: look for such drops often, so a new flow's first packets are
/// the only ones lost.
async fn resolve_ebpf_neighbours(sup: Arc<Supervisor>) {
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        sup.forwarding.resolve_neighbours();
    }
}

/// Once a second: an AF_XDP worker that died hands the box to the eBPF
/// fallback; the eBPF program removes an idle session only when its next
/// packet comes, so the rest are swept, closing (and logging) on time.
async fn watch_forwarding(sup: Arc<Supervisor>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let sup = sup.clone();
        // System calls under the forwarding lock: off the async workers.
        let _ = tokio::task::spawn_blocking(move || {
            sup.forwarding.check_workers();
            sup.forwarding.sweep();
        })
        .await;
    }
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
