// SPDX-License-Identifier: Apache-2.0
//! `host-name`: the kernel's host name (what `hostname`, syslog and the
//! prompt of other tools show).

use crate::SystemError;

/// Sets the kernel host name; the one it replaced.
pub fn set(name: &str) -> Result<String, SystemError> {
    let old = nix::unistd::gethostname()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    nix::unistd::sethostname(name).map_err(|why| SystemError::HostName {
        name: name.to_string(),
        why,
    })?;
    Ok(old)
}
