// SPDX-License-Identifier: Apache-2.0
//! `xpfd`: the xpf supervisor.
//!
//! - `xpfd run`: the daemon (configuration database, interfaces, the
//!   management API on a Unix socket, gRPC and REST over TLS); see `daemon`.
//! - `xpfd check` / `xpfd convert`: the offline configuration tools.

mod daemon;
mod offline;

// Configuration work allocates many small strings; mimalloc halves its cost.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(name = "xpfd", version, about = "xpf firewall supervisor")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at start: its size does not matter
enum Command {
    /// Run the supervisor daemon.
    Run {
        /// Where the configuration database lives.
        #[arg(long, default_value = "/var/lib/xpf")]
        state_dir: PathBuf,
        /// Configuration to commit on the very first start (ignored afterwards);
        /// one that does not load, check or apply is logged, shown by
        /// `show system commit`, and skipped: xpfd starts without it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Zero-touch bootstrap: on the very first start, the first of these
        /// files that exists is committed; one that does not load or check is
        /// logged and skipped, and xpfd starts with an empty configuration.
        #[arg(long, value_name = "PATH")]
        bootstrap: Vec<PathBuf>,
        /// The management API's Unix socket.
        #[arg(long, default_value = xpf_api::DEFAULT_SOCKET)]
        socket: PathBuf,
        /// Cluster node name for `${node}` groups (node0, node1).
        #[arg(long)]
        node: Option<String>,
        /// Leave interfaces the configuration does not name as they are.
        #[arg(long)]
        keep_unmanaged: bool,
        /// gRPC over TCP with TLS and password logins: ADDRESS:PORT, or `none`.
        #[arg(long, default_value = "[::]:50051", value_name = "ADDR|none")]
        grpc_listen: Listen,
        /// REST over HTTPS with password logins: ADDRESS:PORT, or `none`.
        #[arg(long, default_value = "[::]:8080", value_name = "ADDR|none")]
        rest_listen: Listen,
        /// TLS certificate chain (PEM) for gRPC and REST [default: self-signed,
        /// generated once under STATE_DIR/tls/].
        #[arg(long, requires = "tls_key", value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert", value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// Make the Linux accounts match `system login` and
        /// `root-authentication` (the appliance does; off so a developer's
        /// machine keeps its accounts).
        #[arg(long)]
        manage_accounts: bool,
        /// The login shell of the accounts xpfd manages.
        #[arg(long, default_value = "/usr/bin/cli", value_name = "PATH")]
        cli_path: PathBuf,
        /// Configure and reload sshd from `system services ssh`.
        #[arg(long)]
        manage_sshd: bool,
        /// The sshd configuration file xpfd writes (sshd_config must Include it).
        #[arg(
            long,
            default_value = "/etc/ssh/sshd_config.d/xpf.conf",
            value_name = "PATH"
        )]
        sshd_config: PathBuf,
        /// The forwarding engine: `afxdp` forwards as `system
        /// dataplane-type` says, the pipeline on AF_XDP sockets of the data
        /// interfaces (falling back loudly to the eBPF dataplane when it
        /// cannot start) or the eBPF dataplane (needs root); `none` never
        /// forwards and leaves the kernel's forwarding alone.
        #[arg(long, value_enum, default_value = "afxdp")]
        dataplane: DataplaneArg,
        /// Where `system syslog file` files are written (`show log FILE`).
        #[arg(long, default_value = "/var/log", value_name = "DIR")]
        log_dir: PathBuf,
        /// Where the dataplanes pin their BPF maps, programs and links (on
        /// a bpffs). The eBPF dataplane's pins outlive xpfd, so a restarted
        /// xpfd takes over its sessions and attachments (hitless restart).
        #[arg(long, default_value = xpf_ebpf_loader::PIN_DIR, value_name = "DIR")]
        bpf_pin_dir: PathBuf,
    },
    /// Parse and commit-check configuration files (curly, set or mixed).
    ///
    /// Prints nothing and exits 0 when every file passes; otherwise prints
    /// every error with file:line:column and statement path, and exits 1.
    Check {
        /// List every statement xpf does not support yet instead (a migration report).
        #[arg(long)]
        unsupported: bool,
        /// Cluster node name for `${node}` groups (node0, node1).
        #[arg(long)]
        node: Option<String>,
        /// Files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a configuration file in another form.
    Convert {
        /// Output form.
        #[arg(long, value_enum)]
        to: Form,
        /// The file to convert.
        file: PathBuf,
    },
}

/// A TCP listen address, or `none`.
#[derive(Clone, Copy, Debug)]
struct Listen(Option<std::net::SocketAddr>);

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

#[derive(Clone, Copy, ValueEnum)]
enum DataplaneArg {
    /// xpf forwards: AF_XDP workers running the pipeline, or the eBPF
    /// dataplane (`system dataplane-type`).
    Afxdp,
    /// No userspace forwarding.
    None,
}

#[derive(Clone, Copy, ValueEnum)]
enum Form {
    /// `display set` lines.
    Set,
    /// Junos curly layout.
    Curly,
}

fn run_daemon(opts: daemon::Options) -> anyhow::Result<bool> {
    let logs = daemon::LogBuffer::default();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("XPF_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_ansi(false)
        .with_writer(logs.clone())
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(daemon::run(opts, logs))?;
    Ok(true)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run {
            state_dir,
            config,
            bootstrap,
            socket,
            node,
            keep_unmanaged,
            grpc_listen,
            rest_listen,
            tls_cert,
            tls_key,
            manage_accounts,
            cli_path,
            manage_sshd,
            sshd_config,
            dataplane,
            log_dir,
            bpf_pin_dir,
        } => run_daemon(daemon::Options {
            log_dir,
            state_dir,
            config,
            bootstrap,
            socket,
            node,
            down_unmanaged: !keep_unmanaged,
            grpc_listen: grpc_listen.0,
            rest_listen: rest_listen.0,
            tls_cert,
            tls_key,
            manage_accounts,
            cli_path,
            manage_sshd,
            sshd_config,
            dataplane: match dataplane {
                DataplaneArg::Afxdp => daemon::Engine::Afxdp,
                DataplaneArg::None => daemon::Engine::None,
            },
            bpf_pin_dir,
        }),
        Command::Check {
            unsupported: true,
            files,
            ..
        } => offline::report_unsupported(&files),
        Command::Check { files, node, .. } => offline::check(&files, node.as_deref()),
        Command::Convert { to, file } => offline::convert(&file, matches!(to, Form::Set)),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
