// SPDX-License-Identifier: Apache-2.0
//! `update-server`: makes release keys, publishes signed releases from an
//! image build, and serves channels over HTTPS.
//!
//! ```text
//! update-server keygen --dir image/keys
//! update-server publish --key image/keys/release.key --channel stable --dir /srv/xpf build/
//! update-server serve --dir /srv/xpf --listen [::]:8443
//! ```
//!
//! Appliances then run `request system software add https://server:8443/stable`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod publish;
mod serve;

#[derive(Parser)]
#[command(
    name = "update-server",
    version,
    about = "xpf releases: keys, signed publishing, HTTPS channels"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Makes a minisign key pair: DIR/release.key (secret: keep it offline) and DIR/release.pub.
    Keygen {
        /// Where to write the pair.
        #[arg(long)]
        dir: PathBuf,
        /// Replace an existing pair.
        #[arg(long)]
        force: bool,
    },
    /// Publishes the image build in BUILD (build/, as `just image` leaves it) to a channel.
    Publish {
        /// The minisign secret key.
        #[arg(long)]
        key: PathBuf,
        /// The channel (a directory under --dir).
        #[arg(long, default_value = "stable")]
        channel: String,
        /// The oldest version that may update to this one (default: any).
        #[arg(long, default_value = "0")]
        min_version: String,
        /// The release tree served by `serve`.
        #[arg(long)]
        dir: PathBuf,
        /// The build directory.
        build: PathBuf,
    },
    /// Serves the release tree over HTTPS (range requests, so downloads resume).
    Serve {
        /// The release tree.
        #[arg(long)]
        dir: PathBuf,
        /// Address and port.
        #[arg(long, default_value = "[::]:8443")]
        listen: SocketAddr,
        /// PEM certificate (a self-signed one is made when absent).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Keygen { dir, force } => publish::keygen(&dir, force),
        Command::Publish {
            key,
            channel,
            min_version,
            dir,
            build,
        } => {
            let release = publish::publish(&key, &channel, &min_version, &dir, &build)?;
            println!("{release}");
            Ok(())
        }
        Command::Serve {
            dir,
            listen,
            tls_cert,
            tls_key,
        } => tokio::runtime::Runtime::new()
            .context("starting the runtime")?
            .block_on(serve::serve(dir, listen, tls_cert, tls_key)),
    }
}
