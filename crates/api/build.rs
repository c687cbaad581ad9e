// SPDX-License-Identifier: Apache-2.0
//! Generates the gRPC code from `proto/xpf.proto` with protoc (Debian's
//! `protobuf-compiler`, installed by `qa/setup.sh`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/xpf.proto");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("xpf_descriptor.bin"))
        .compile_protos(&["proto/xpf.proto"], &["proto"])?;
    Ok(())
}
