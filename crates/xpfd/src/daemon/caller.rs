// SPDX-License-Identifier: Apache-2.0
//! Who is calling, and what their login class lets them do.
//!
//! On the Unix socket the kernel tells us the caller's uid (SO_PEERCRED):
//! uid 0 is `root` (super-user); anyone else must be a user configured under
//! `system login`, with that user's class. Unknown users are refused.

use tonic::transport::server::UdsConnectInfo;
use tonic::{Request, Status};

use xpf_model::Model;

/// What a login class allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// `read-only`: show commands.
    View,
    /// `operator`: also clear and request commands.
    Operate,
    /// `super-user`: also configuration.
    Configure,
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Login name.
    pub user: String,
    /// Login class name.
    pub class: String,
    /// What the class allows.
    pub permission: Permission,
}

impl Caller {
    /// Refuses the call unless the class allows `needed`.
    pub fn require(&self, needed: Permission) -> Result<(), Status> {
        if self.permission >= needed {
            Ok(())
        } else {
            Err(Status::permission_denied(format!(
                "user {} (class {}) is not allowed to do this",
                self.user, self.class
            )))
        }
    }
}

/// Identifies the caller of a request on the Unix socket.
pub fn identify<T>(req: &Request<T>, model: Option<&Model>) -> Result<Caller, Status> {
    let uid = req
        .extensions()
        .get::<UdsConnectInfo>()
        .and_then(|i| i.peer_cred)
        .map(|c| c.uid())
        .ok_or_else(|| {
            Status::unauthenticated("no peer credentials: connect over the Unix socket")
        })?;
    if uid == 0 {
        return Ok(Caller {
            user: "root".into(),
            class: "super-user".into(),
            permission: Permission::Configure,
        });
    }
    let name = user_name(uid)
        .ok_or_else(|| Status::unauthenticated(format!("uid {uid} has no user name")))?;
    let class = model
        .and_then(|m| m.system.login.users.iter().find(|u| u.name == name))
        .map(|u| u.class.clone())
        .ok_or_else(|| {
            Status::permission_denied(format!(
                "user {name} is not configured under [edit system login]"
            ))
        })?;
    let permission = match class.as_str() {
        "super-user" => Permission::Configure,
        "operator" => Permission::Operate,
        _ => Permission::View,
    };
    Ok(Caller {
        user: name,
        class,
        permission,
    })
}

/// The name of a uid, from /etc/passwd.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let id: u32 = f.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}
