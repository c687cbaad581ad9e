// SPDX-License-Identifier: Apache-2.0
//! `xpfd`: flag parsing, then the library (`xpfd::daemon::run`,
//! `xpfd::offline`).

use xpfd::{daemon, offline};

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
    Run(daemon::Options),
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
        Command::Run(opts) => run_daemon(opts),
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
