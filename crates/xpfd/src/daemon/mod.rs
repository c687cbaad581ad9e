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
mod events;
mod file_error;
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

/// How `xpfd run` was started: its flags, parsed by clap from these
/// fields (their doc comments are the `--help` text).
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// Where the configuration database lives.
    #[arg(long, default_value = "/var/lib/xpf")]
    pub state_dir: PathBuf,
    /// Configuration to commit on the very first start (ignored afterwards);
    /// one that does not load, check or apply is logged, shown by
    /// `show system commit`, and skipped: xpfd starts without it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Zero-touch bootstrap: on the very first start, the first of these
    /// files that exists is committed; one that does not load or check is
    /// logged and skipped, and xpfd starts with an empty configuration.
    #[arg(long, value_name = "PATH")]
    pub bootstrap: Vec<PathBuf>,
    /// The management API's Unix socket.
    #[arg(long, default_value = xpf_api::DEFAULT_SOCKET)]
    pub socket: PathBuf,
    /// Cluster node name for `${node}` groups (node0, node1).
    #[arg(long)]
    pub node: Option<String>,
    /// Leave interfaces the configuration does not name as they are.
    #[arg(long)]
    pub keep_unmanaged: bool,
    /// gRPC over TCP with TLS and password logins: ADDRESS:PORT, or `none`.
    #[arg(long, default_value = "[::]:50051", value_name = "ADDR|none")]
    pub grpc_listen: Listen,
    /// REST over HTTPS with password logins: ADDRESS:PORT, or `none`.
    #[arg(long, default_value = "[::]:8080", value_name = "ADDR|none")]
    pub rest_listen: Listen,
    /// TLS certificate chain (PEM) for gRPC and REST [default: self-signed,
    /// generated once under STATE_DIR/tls/].
    #[arg(long, requires = "tls_key", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, requires = "tls_cert", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Make the Linux accounts match `system login` and
    /// `root-authentication` (the appliance does; off so a developer's
    /// machine keeps its accounts).
    #[arg(long)]
    pub manage_accounts: bool,
    /// The login shell of the accounts xpfd manages.
    #[arg(long, default_value = "/usr/bin/cli", value_name = "PATH")]
    pub cli_path: PathBuf,
    /// Configure and reload sshd from `system services ssh`.
    #[arg(long)]
    pub manage_sshd: bool,
    /// The sshd configuration file xpfd writes (sshd_config must Include it).
    #[arg(
        long,
        default_value = "/etc/ssh/sshd_config.d/xpf.conf",
        value_name = "PATH"
    )]
    pub sshd_config: PathBuf,
    /// Set the host name, resolver and time zone from `system` (the
    /// appliance does; off so a developer's machine keeps its own).
    #[arg(long)]
    pub manage_system: bool,
    /// Where those files live (`/`; a directory in tests). The kernel host
    /// name is set only when it is `/`.
    #[arg(long, default_value = "/", value_name = "DIR", hide = true)]
    pub system_root: PathBuf,
    /// The forwarding engine: `afxdp` forwards as `system
    /// dataplane-type` says, the pipeline on AF_XDP sockets of the data
    /// interfaces (falling back loudly to the eBPF dataplane when it
    /// cannot start) or the eBPF dataplane (needs root); `none` never
    /// forwards and leaves the kernel's forwarding alone.
    #[arg(long, value_enum, default_value = "afxdp")]
    pub dataplane: DataplaneMode,
    /// Where `system syslog file` files are written (`show log FILE`).
    #[arg(long, default_value = "/var/log", value_name = "DIR")]
    pub log_dir: PathBuf,
    /// Where the dataplanes pin their BPF maps, programs and links (on
    /// a bpffs). The eBPF dataplane's pins outlive xpfd, so a restarted
    /// xpfd takes over its sessions and attachments (hitless restart).
    #[arg(long, default_value = xpf_ebpf_loader::PIN_DIR, value_name = "DIR")]
    pub bpf_pin_dir: PathBuf,
}

impl Options {
    /// Whether interfaces the configuration does not name are brought down.
    pub fn down_unmanaged(&self) -> bool {
        !self.keep_unmanaged
    }
}

/// A TCP listen address, or `none`.
#[derive(Clone, Copy, Debug)]
pub struct Listen(pub Option<SocketAddr>);

impl std::str::FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "none" {
            return Ok(Listen(None));
        }
        s.parse().map(|a| Listen(Some(a))).map_err(|_| {
            format!("`{s}` is not ADDRESS:PORT (e.g. 0.0.0.0:8080, [::]:8080) or `none`")
        })
    }
}

pub use forwarding::DataplaneMode;

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
    if opts.grpc_listen.0.is_some() || opts.rest_listen.0.is_some() {
        let id = tls::load_or_generate(
            &opts.state_dir,
            opts.tls_cert.as_deref(),
            opts.tls_key.as_deref(),
        )?;
        tracing::info!(cert = %id.cert_path.display(), sha256 = %id.fingerprint, "TLS certificate");
        if let Some(addr) = opts.grpc_listen.0 {
            let (l, at) = bind_tcp(addr).await?;
            tracing::info!(%at, "gRPC listening (TLS, password logins)");
            let tls = grpc::Listener::Tls(l, tls::grpc_config(&id));
            servers.spawn(named("gRPC over TCP", grpc::serve(sup.clone(), tls)));
        }
        if let Some(addr) = opts.rest_listen.0 {
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
