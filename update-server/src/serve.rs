// SPDX-License-Identifier: Apache-2.0
//! The HTTPS channel server: static files with range requests, every
//! request logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio_rustls::rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio_rustls::{rustls, TlsAcceptor};
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

fn tls_config(
    cert: Option<&Path>,
    key: Option<&Path>,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let (cert_pem, key_pem) = match (cert, key) {
        (Some(c), Some(k)) => (
            std::fs::read_to_string(c).with_context(|| format!("reading {}", c.display()))?,
            std::fs::read_to_string(k).with_context(|| format!("reading {}", k.display()))?,
        ),
        _ => {
            let names = vec!["localhost".to_string(), "xpf-update-server".to_string()];
            let ck =
                rcgen::generate_simple_self_signed(names).context("self-signed certificate")?;
            tracing::info!("no --tls-cert: serving with a self-signed certificate");
            (ck.cert.pem(), ck.signing_key.serialize_pem())
        }
    };
    let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("reading the certificate")?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).context("reading the key")?;
    let mut cfg = rustls::ServerConfig::builder_with_provider(
        rustls::crypto::ring::default_provider().into(),
    )
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .context("the key does not fit the certificate")?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Serves `dir` on `listen` until killed.
pub async fn serve(
    dir: PathBuf,
    listen: SocketAddr,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
) -> anyhow::Result<()> {
    anyhow::ensure!(dir.is_dir(), "{} is not a directory", dir.display());
    let acceptor = TlsAcceptor::from(tls_config(cert.as_deref(), key.as_deref())?);
    let app = axum::Router::new()
        .fallback_service(ServeDir::new(&dir))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        );
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(%listen, dir = %dir.display(), "serving releases over HTTPS");
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("accept: {e}");
                continue;
            }
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(s) => s,
                Err(e) => return tracing::debug!(%peer, "TLS handshake: {e}"),
            };
            tracing::info!(%peer, "connection");
            if let Err(e) = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
                .await
            {
                tracing::debug!(%peer, "connection: {e}");
            }
        });
    }
}
