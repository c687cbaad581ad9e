// SPDX-License-Identifier: Apache-2.0
//! Signed A/B updates for the xpf appliance.
//!
//! A release is one signed manifest ([`manifest`]) and the artifacts it
//! names: the zstd-compressed root (erofs) and verity partitions and the
//! unified kernel image. The manifest and its minisign signature travel in
//! one file, so a reader never sees one without the other.
//!
//! # Data flow
//!
//! ```text
//! source (https URL or directory) ──Source::manifest().verify()──▶ Manifest
//!     │ Slots::stage(): each artifact downloaded (resumed) to /var, checked
//!     │ Slots::install(): streamed zstd decode → sha256 → inactive slot
//!     ▼
//! Slots::install(): delete the inactive slot's old UKI → write root and
//! verity → set their GPT UUIDs and labels → write the new UKI with boot
//! tries (the commit point). Any failure before the last step leaves the
//! booted slot, its UKI and /var untouched.
//! ```
//!
//! After the reboot the health check blesses the new version, or its tries
//! run out and systemd-boot boots the previous one ([`slots`]).

pub mod disk;
pub mod error;
pub mod manifest;
pub mod progress;
pub mod slots;
pub mod source;
pub mod stream;
pub mod version;

pub use error::UpdateError;
pub use manifest::{Artifact, ArtifactKind, Manifest, SignedManifest};
pub use progress::{quiet, Progress};
pub use slots::{booted_slot, Slot, SlotInfo, Slots};
pub use source::Source;
pub use version::Version;
