// SPDX-License-Identifier: Apache-2.0
//! Keys and releases.
//!
//! A release directory is written under a temporary name and renamed into
//! place; then the signed manifest (manifest and signature in one file) is
//! written the same way. A reader sees the old release or the new one,
//! never a manifest without its signature or its files.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use xpf_update::manifest::SIGNED_MANIFEST;
use xpf_update::stream::sha256_of;
use xpf_update::{Artifact, ArtifactKind, Manifest, SignedManifest};

/// Writes `dir/release.key` and `dir/release.pub`.
pub fn keygen(dir: &Path, force: bool) -> anyhow::Result<()> {
    let (sk_path, pk_path) = (dir.join("release.key"), dir.join("release.pub"));
    if !force && (sk_path.exists() || pk_path.exists()) {
        bail!(
            "{} already has a key pair (--force replaces it)",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let kp = minisign::KeyPair::generate_unencrypted_keypair().context("generating the key")?;
    let sk = kp.sk.to_box(Some("xpf release signing key"))?.into_string();
    let pk = kp.pk.to_box()?.into_string();
    write_private(&sk_path, &sk)?;
    std::fs::write(&pk_path, pk).with_context(|| format!("writing {}", pk_path.display()))?;
    println!("secret key: {} (keep it offline)", sk_path.display());
    println!("public key: {} (built into the image)", pk_path.display());
    Ok(())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Reads an unencrypted key box. minisign's own reader insists on a
/// checksum its unencrypted key generator leaves empty, so the key's bytes
/// are read directly (the box's second line).
fn secret_key(text: &str) -> anyhow::Result<minisign::SecretKey> {
    use base64::Engine as _;
    let line = text.lines().nth(1).context("no key line")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(line.trim())
        .context("the key line is not base64")?;
    Ok(minisign::SecretKey::from_bytes(&bytes)?)
}

/// The files of one image build: `build/VERSION` and `build/image/`.
struct Build {
    version: String,
    root: PathBuf,
    verity: PathBuf,
    uki: PathBuf,
}

fn find_build(build: &Path) -> anyhow::Result<Build> {
    let version = std::fs::read_to_string(build.join("VERSION"))
        .with_context(|| format!("{}: no VERSION (run `just image` first)", build.display()))?
        .trim()
        .to_string();
    let dir = build.join("image");
    let prefix = format!("xpf_{version}.");
    let mut root = None;
    let mut verity = None;
    for e in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = e?.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&prefix) else {
            continue;
        };
        if rest.starts_with("root-x86-64-verity.") && rest.ends_with(".raw") {
            verity = Some(dir.join(&name));
        } else if rest.starts_with("root-x86-64.") && rest.ends_with(".raw") {
            root = Some(dir.join(&name));
        }
    }
    let uki = dir.join(format!("xpf_{version}.efi"));
    Ok(Build {
        root: root.with_context(|| format!("{}: no split root for {version}", dir.display()))?,
        verity: verity
            .with_context(|| format!("{}: no split verity for {version}", dir.display()))?,
        uki: if uki.exists() {
            uki
        } else {
            bail!("{}: no UKI", uki.display())
        },
        version,
    })
}

/// `xpf_V.root-x86-64.<uuid>.raw` → the UUID repart gave the partition.
fn uuid_in_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let stem = name.strip_suffix(".raw")?;
    let hex: String = stem.rsplit('.').next()?.replace('-', "");
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

fn compress(from: &Path, to: &Path) -> anyhow::Result<()> {
    let input = std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let output = std::fs::File::create(to).with_context(|| format!("writing {}", to.display()))?;
    zstd::stream::copy_encode(input, output, 9)
        .with_context(|| format!("compressing {}", from.display()))?;
    Ok(())
}

fn artifact(
    kind: ArtifactKind,
    from: &Path,
    out_dir: &Path,
    file: &str,
    label: Option<String>,
) -> anyhow::Result<Artifact> {
    let out = out_dir.join(file);
    compress(from, &out)?;
    let (sha256, size) = sha256_of(file, std::fs::File::open(from)?)?;
    let (compressed_sha256, compressed_size) = sha256_of(file, std::fs::File::open(&out)?)?;
    let partition_uuid = match kind {
        ArtifactKind::Uki => None,
        _ => Some(uuid_in_name(from).with_context(|| {
            format!(
                "{}: no partition UUID in the name (SplitName=%t.%U)",
                from.display()
            )
        })?),
    };
    Ok(Artifact {
        kind,
        file: file.to_string(),
        size,
        sha256,
        compressed_size,
        compressed_sha256,
        partition_uuid,
        label,
    })
}

/// Publishes `build` to `dir/channel`; returns a one-line summary.
pub fn publish(
    key: &Path,
    channel: &str,
    min_version: &str,
    dir: &Path,
    build: &Path,
) -> anyhow::Result<String> {
    let b = find_build(build)?;
    let sk_text =
        std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
    let sk = secret_key(&sk_text)
        .with_context(|| format!("{}: not an unencrypted minisign secret key", key.display()))?;
    let channel_dir = dir.join(channel);
    std::fs::create_dir_all(&channel_dir)?;
    let tmp = channel_dir.join(format!(".{}.tmp", b.version));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let label = format!("xpf_{}", b.version);
    let artifacts = vec![
        artifact(
            ArtifactKind::Root,
            &b.root,
            &tmp,
            "root.raw.zst",
            Some(label.clone()),
        )?,
        artifact(
            ArtifactKind::RootVerity,
            &b.verity,
            &tmp,
            "root-verity.raw.zst",
            Some(format!("{label}_verity")),
        )?,
        artifact(ArtifactKind::Uki, &b.uki, &tmp, "uki.efi.zst", None)?,
    ];
    let release_dir = channel_dir.join(&b.version);
    let _ = std::fs::remove_dir_all(&release_dir);
    std::fs::rename(&tmp, &release_dir)?;
    let manifest = Manifest {
        image_id: "xpf".into(),
        version: b.version.clone(),
        channel: channel.into(),
        min_version: min_version.into(),
        directory: b.version.clone(),
        artifacts,
    };
    let text = serde_json::to_string_pretty(&manifest)?;
    let sig = minisign::sign(
        None,
        &sk,
        std::io::Cursor::new(text.as_bytes()),
        Some(&format!("xpf {} {channel}", b.version)),
        Some("signature from the xpf release key"),
    )
    .context("signing the manifest")?;
    let signed = SignedManifest {
        manifest: text,
        signature: sig.to_string(),
    };
    let tmp_manifest = channel_dir.join(format!(".{SIGNED_MANIFEST}.tmp"));
    std::fs::write(&tmp_manifest, serde_json::to_string_pretty(&signed)?)?;
    std::fs::rename(&tmp_manifest, channel_dir.join(SIGNED_MANIFEST))?;
    let bytes: u64 = manifest.artifacts.iter().map(|a| a.compressed_size).sum();
    Ok(format!(
        "published xpf {} to {} ({} MB to download)",
        b.version,
        channel_dir.display(),
        bytes / 1_000_000
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_uuid_comes_from_repart_s_file_name() {
        let p = Path::new("build/image/xpf_1.2.root-x86-64.4ab02438688ca624142098b6b1efc02b.raw");
        assert_eq!(
            uuid_in_name(p).as_deref(),
            Some("4ab02438-688c-a624-1420-98b6b1efc02b")
        );
        assert_eq!(uuid_in_name(Path::new("xpf_1.2.root.raw")), None);
    }
}
