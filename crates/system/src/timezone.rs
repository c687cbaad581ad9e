// SPDX-License-Identifier: Apache-2.0
//! `time-zone`: `/etc/localtime` links to the zone's tzdata file, and
//! `/etc/timezone` names it, as Debian keeps them.

use std::path::{Component, Path};

use crate::files::{self, Saved};
use crate::SystemError;

const ZONEINFO: &str = "usr/share/zoneinfo";

/// Whether the box has data for `zone` (a plain relative name: no `..`).
pub fn check(root: &Path, zone: &str) -> Result<(), SystemError> {
    let plain = !zone.is_empty()
        && Path::new(zone)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if plain && root.join(ZONEINFO).join(zone).is_file() {
        Ok(())
    } else {
        Err(SystemError::UnknownTimeZone(zone.to_string()))
    }
}

/// Links and names `zone`; what it replaced.
pub fn apply(root: &Path, zone: &str) -> Result<Vec<Saved>, SystemError> {
    check(root, zone)?;
    let target = Path::new("..").join(ZONEINFO).join(zone);
    let link = files::replace_link(&root.join("etc/localtime"), &target)?;
    let name = files::replace(&root.join("etc/timezone"), &format!("{zone}\n"))?;
    Ok(vec![link, name])
}
