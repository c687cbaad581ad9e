// SPDX-License-Identifier: Apache-2.0
//! The management API of xpfd: the protobuf messages and gRPC service of
//! `proto/xpf.proto`, and a client that connects over the Unix socket.
//!
//! xpfd serves [`management_server::Management`]; the CLI and automation use
//! [`connect_unix`] and [`management_client::ManagementClient`].
#![allow(missing_docs)] // generated code

mod pb {
    tonic::include_proto!("xpf.v1");
}

pub use pb::*;

pub mod ops;

/// The encoded file descriptor set, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("xpf_descriptor");

/// Where xpfd listens on the appliance.
pub const DEFAULT_SOCKET: &str = "/run/xpf/xpfd.sock";

/// A client over xpfd's Unix socket.
pub async fn connect_unix(
    path: impl Into<std::path::PathBuf>,
) -> Result<management_client::ManagementClient<tonic::transport::Channel>, tonic::transport::Error>
{
    let path: std::path::PathBuf = path.into();
    // The URI is required by the API but unused: every connection goes to the socket.
    let channel = tonic::transport::Endpoint::from_static("http://xpfd")
        .connect_with_connector(tower::service_fn(move |_| {
            let path = path.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await?;
    Ok(management_client::ManagementClient::new(channel))
}
