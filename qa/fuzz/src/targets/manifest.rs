// SPDX-License-Identifier: Apache-2.0
//! `manifest`: the signed-manifest reader, on arbitrary bytes and on
//! mutated valid manifests.
//!
//! The first byte picks what the rest is:
//! - `0`: a whole `manifest.signed` file, verified with the fuzz key
//!   (seeds are valid files, so mutations reach every step);
//! - `1`: a manifest text the fuzz key signs here: its signature must
//!   verify, so whatever comes back is the manifest reader's verdict on
//!   the text, never a signature error;
//! - `2`: a signature for a fixed manifest: it must not verify unless it
//!   is the real signature (an untrusted comment may differ);
//! - `3`: a public key for a valid file: refused unless it is the fuzz
//!   key.
//!
//! A manifest that verifies is then asked what an update asks of it:
//! whether a running version may install it, and its artifacts.

use std::sync::OnceLock;

use xpf_update::{ArtifactKind, Manifest, SignedManifest, Version};

/// The fuzz key pair: signs fuzz inputs only, never a release.
const SECRET_KEY: &str = "untrusted comment: xpf fuzz key: signs fuzz inputs only
RWRTY0Iy/cuFaBtGdSWYoTWHs7c18n1fjTqmWc5sLu9CFcrZFdEAABAAAAAAAAAAAAIAAAAArQU2RAGUqbLKG23u77tPN78Rss5HrcYLHaSVc3zQQtNGyP0KyylVhhEF3vRHrhOHBneSd/BgcOMuMLwgTRcOfY7xivO+P1iFAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
";
/// Its public half.
pub const PUBLIC_KEY: &str = "untrusted comment: minisign public key: B2A99401443605AD
RWStBTZEAZSpshEF3vRHrhOHBneSd/BgcOMuMLwgTRcOfY7xivO+P1iF
";

const MANIFEST: &str = r#"{"image_id":"xpf","version":"2026.12.1","channel":"stable","min_version":"2026.11.0","directory":"2026.12.1","artifacts":[{"kind":"root","file":"root.raw.zst","size":1073741824,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","compressed_size":300000000,"compressed_sha256":"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752","partition_uuid":"8c2d5f4e-1a3b-4c5d-9e6f-7a8b9c0d1e2f","label":"xpf_2026.12.1"},{"kind":"root-verity","file":"verity.raw.zst","size":8388608,"sha256":"fd61a03af4f77d870fc21e05e7e80678095c92d808cfb3b5c279ee04c74aca13","compressed_size":8000000,"compressed_sha256":"a4e624d686e03ed2767c0abd85c14426b0b1157d2ce81d27bb4fe4f6f01d688a"},{"kind":"uki","file":"xpf.efi.zst","size":60000000,"sha256":"4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce","compressed_size":40000000,"compressed_sha256":"4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"}]}"#;

fn secret() -> Option<&'static minisign::SecretKey> {
    static SK: OnceLock<Option<minisign::SecretKey>> = OnceLock::new();
    // As update-server reads its key: minisign's unencrypted keys carry an
    // empty checksum that `into_secret_key` refuses, so the box's second
    // line is decoded directly.
    SK.get_or_init(|| {
        use base64::Engine as _;
        let line = SECRET_KEY.lines().nth(1)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(line.trim())
            .ok()?;
        minisign::SecretKey::from_bytes(&bytes).ok()
    })
    .as_ref()
}

/// `text`'s minisign signature by the fuzz key.
pub fn sign(text: &str) -> Option<String> {
    let sig = minisign::sign(
        None,
        secret()?,
        std::io::Cursor::new(text.as_bytes()),
        Some("fuzz"),
        None,
    )
    .ok()?;
    Some(sig.into_string())
}

/// A signed-manifest file for `text`, as `update-server publish` writes it.
pub fn envelope(text: &str) -> Option<String> {
    serde_json::to_string(&SignedManifest {
        manifest: text.to_string(),
        signature: sign(text)?,
    })
    .ok()
}

fn real() -> Option<&'static SignedManifest> {
    static REAL: OnceLock<Option<SignedManifest>> = OnceLock::new();
    REAL.get_or_init(|| {
        Some(SignedManifest {
            manifest: MANIFEST.to_string(),
            signature: sign(MANIFEST)?,
        })
    })
    .as_ref()
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&how, rest)) = data.split_first() else {
        return;
    };
    let Some(real) = real() else {
        panic!("the fuzz key does not load");
    };
    let text = String::from_utf8_lossy(rest);
    match how % 4 {
        0 => {
            if let Ok(m) = SignedManifest::parse(&text).and_then(|s| s.verify(PUBLIC_KEY)) {
                ask(&m);
            }
        }
        1 => {
            let Some(sig) = sign(&text) else {
                return;
            };
            let signed = SignedManifest {
                manifest: text.to_string(),
                signature: sig,
            };
            match signed.verify(PUBLIC_KEY) {
                Ok(m) => ask(&m),
                Err(xpf_update::UpdateError::Signature(e)) => {
                    panic!("a text the key signed does not verify: {e}\n{text:?}")
                }
                Err(_) => {}
            }
        }
        2 => {
            let forged = SignedManifest {
                manifest: real.manifest.clone(),
                signature: text.to_string(),
            };
            if let Ok(m) = forged.verify(PUBLIC_KEY) {
                assert_eq!(Some(&m), parsed(), "a signature verified another manifest");
            }
        }
        _ => {
            if let Ok(m) = real.verify(&text) {
                let fuzz_key = PUBLIC_KEY.lines().nth(1).unwrap_or_default();
                assert!(
                    text.contains(fuzz_key),
                    "verified with another key: {text:?}"
                );
                ask(&m);
            }
        }
    }
}

fn parsed() -> Option<&'static Manifest> {
    static M: OnceLock<Option<Manifest>> = OnceLock::new();
    M.get_or_init(|| serde_json::from_str(MANIFEST).ok())
        .as_ref()
}

/// What an update asks of a verified manifest.
fn ask(m: &Manifest) {
    for running in ["2026.11.5", "0", "2026.12.1", "18446744073709551615.1"] {
        if let Ok(v) = running.parse::<Version>() {
            let _ = m.allows(&v, false);
            let _ = m.allows(&v, true);
        }
    }
    for kind in [
        ArtifactKind::Root,
        ArtifactKind::RootVerity,
        ArtifactKind::Uki,
    ] {
        let _ = m.artifact(kind);
    }
    let _ = m.version.parse::<Version>().map(|v| v.to_string());
}

/// Seeds: the valid file, its manifest text, its signature, the key.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let with = |how: u8, s: &str| [&[how][..], s.as_bytes()].concat();
    if let Some(env) = envelope(MANIFEST) {
        out.push(with(0, &env));
    }
    out.push(with(1, MANIFEST));
    out.push(with(1, r#"{"image_id":"xpf","version":"1.2","channel":"c","min_version":"0","directory":".","artifacts":[]}"#));
    if let Some(r) = real() {
        out.push(with(2, &r.signature));
    }
    out.push(with(3, PUBLIC_KEY));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first seed is a valid file: mutations of it reach every step.
    #[test]
    fn the_seed_file_verifies_with_the_fuzz_key() {
        let env = envelope(MANIFEST).expect("signs");
        let m = SignedManifest::parse(&env).and_then(|s| s.verify(PUBLIC_KEY));
        assert_eq!(m.ok().as_ref(), parsed());
        assert!(parsed().is_some());
    }
}
