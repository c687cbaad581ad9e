// SPDX-License-Identifier: Apache-2.0
//! The release manifest and its signed envelope.
//!
//! `manifest.signed` is one JSON document holding the manifest's exact
//! text and its minisign signature: published with one rename, so a
//! reader sees both or neither.

use serde::{Deserialize, Serialize};

use crate::error::UpdateError;
use crate::version::Version;

/// The name of the signed manifest in a channel's directory.
pub const SIGNED_MANIFEST: &str = "manifest.signed";

/// What an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// The root file system (erofs), written to the inactive root slot.
    Root,
    /// Its dm-verity hash tree, written to the inactive verity slot.
    RootVerity,
    /// The unified kernel image, installed on the ESP with boot tries.
    Uki,
}

/// One file of a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// What it is.
    pub kind: ArtifactKind,
    /// Its file name in the release directory (zstd-compressed).
    pub file: String,
    /// Bytes once decompressed.
    pub size: u64,
    /// sha256 of the decompressed bytes, hex.
    pub sha256: String,
    /// Bytes as published (compressed).
    pub compressed_size: u64,
    /// sha256 of the compressed file, hex: checked before anything is written.
    pub compressed_sha256: String,
    /// For partitions: the GPT partition UUID the UKI's `roothash=` expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_uuid: Option<String>,
    /// For partitions: the GPT partition label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A release: what it is, whom it may update, and its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `xpf`: a manifest for another image is refused.
    pub image_id: String,
    /// This release's version.
    pub version: String,
    /// The channel it was published to.
    pub channel: String,
    /// The oldest version that may update to this one.
    pub min_version: String,
    /// Where, relative to the channel directory, the artifacts are.
    pub directory: String,
    /// The files.
    pub artifacts: Vec<Artifact>,
}

impl Manifest {
    /// The artifact of a kind.
    pub fn artifact(&self, kind: ArtifactKind) -> Result<&Artifact, UpdateError> {
        self.artifacts
            .iter()
            .find(|a| a.kind == kind)
            .ok_or_else(|| UpdateError::Manifest(format!("no {kind:?} artifact")))
    }

    /// Whether a machine running `current` may install this release.
    pub fn allows(&self, current: &Version, allow_downgrade: bool) -> Result<(), UpdateError> {
        if self.image_id != "xpf" {
            return Err(UpdateError::Refused(format!(
                "the release is for image {:?}, not xpf",
                self.image_id
            )));
        }
        let new: Version = self.version.parse().map_err(UpdateError::Manifest)?;
        let min: Version = self.min_version.parse().map_err(UpdateError::Manifest)?;
        if current < &min {
            return Err(UpdateError::Refused(format!(
                "{} updates only from {} or later; this is {current}",
                self.version, self.min_version
            )));
        }
        if &new == current {
            return Err(UpdateError::Refused(format!(
                "{new} is the version running already"
            )));
        }
        if &new < current && !allow_downgrade {
            return Err(UpdateError::Refused(format!(
                "{new} is older than the running {current}: a downgrade"
            )));
        }
        Ok(())
    }
}

/// The manifest's text with its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedManifest {
    /// The manifest's exact JSON text: what was signed.
    pub manifest: String,
    /// The minisign signature of `manifest`, as minisign writes it.
    pub signature: String,
}

impl SignedManifest {
    /// Parses the envelope.
    pub fn parse(text: &str) -> Result<Self, UpdateError> {
        serde_json::from_str(text).map_err(|e| UpdateError::Manifest(e.to_string()))
    }

    /// Checks the signature with `public_key` (minisign's public key file
    /// text or its base64 line), then parses the manifest.
    pub fn verify(&self, public_key: &str) -> Result<Manifest, UpdateError> {
        let line = public_key
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .unwrap_or_default();
        let pk = minisign_verify::PublicKey::from_base64(line)
            .map_err(|e| UpdateError::Signature(format!("release key: {e}")))?;
        let sig = minisign_verify::Signature::decode(&self.signature)
            .map_err(|e| UpdateError::Signature(format!("signature: {e}")))?;
        pk.verify(self.manifest.as_bytes(), &sig, false)
            .map_err(|e| UpdateError::Signature(e.to_string()))?;
        serde_json::from_str(&self.manifest).map_err(|e| UpdateError::Manifest(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            image_id: "xpf".into(),
            version: "2026.12.1".into(),
            channel: "stable".into(),
            min_version: "2026.11.0".into(),
            directory: "2026.12.1".into(),
            artifacts: Vec::new(),
        }
    }

    fn sign(text: &str, kp: &minisign::KeyPair) -> String {
        minisign::sign(
            None,
            &kp.sk,
            std::io::Cursor::new(text.as_bytes()),
            None,
            None,
        )
        .map(|s| s.to_string())
        .unwrap_or_default()
    }

    fn public(kp: &minisign::KeyPair) -> String {
        kp.pk.to_box().map(|b| b.into_string()).unwrap_or_default()
    }

    #[test]
    fn only_the_release_key_and_the_exact_text_verify() {
        let (Ok(ours), Ok(theirs)) = (
            minisign::KeyPair::generate_unencrypted_keypair(),
            minisign::KeyPair::generate_unencrypted_keypair(),
        ) else {
            panic!("keygen");
        };
        let text = serde_json::to_string(&manifest()).unwrap_or_default();
        let signed = SignedManifest {
            manifest: text.clone(),
            signature: sign(&text, &ours),
        };
        assert_eq!(signed.verify(&public(&ours)).ok(), Some(manifest()));
        let e = signed.verify(&public(&theirs)).err();
        assert!(matches!(e, Some(UpdateError::Signature(_))), "{e:?}");
        let mut tampered = signed.clone();
        tampered.manifest = tampered.manifest.replace("2026.11.0", "2000.1.0");
        let e = tampered.verify(&public(&ours)).err();
        assert!(matches!(e, Some(UpdateError::Signature(_))), "{e:?}");
    }

    #[test]
    fn downgrades_and_too_old_machines_are_refused() {
        let m = manifest();
        let v = |s: &str| s.parse::<Version>().unwrap_or_else(|e| panic!("{e}"));
        assert!(m.allows(&v("2026.11.5"), false).is_ok());
        assert!(
            m.allows(&v("2026.10.1"), false).is_err(),
            "below min_version"
        );
        assert!(m.allows(&v("2026.12.1"), false).is_err(), "same version");
        assert!(m.allows(&v("2027.1.1"), false).is_err(), "downgrade");
        assert!(m.allows(&v("2027.1.1"), true).is_ok());
    }
}
