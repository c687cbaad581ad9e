// SPDX-License-Identifier: Apache-2.0
//! Who is calling, and what their login class lets them do.
//!
//! On the Unix socket the kernel tells us the caller's uid (SO_PEERCRED):
//! uid 0 is `root` (super-user); anyone else must be a user configured under
//! `system login`, with that user's class. Unknown users are refused.
//!
//! On TCP (gRPC over TLS, REST) nothing vouches for the caller, so every
//! request carries a user name and password, checked by [`super::auth`]
//! against the committed configuration; the class comes from the same
//! place as on the socket.

use tokio::sync::RwLock;
use tonic::transport::server::UdsConnectInfo;
use tonic::{Request, Status};

use xpf_model::Model;

use super::auth::{self, Credentials};

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

impl Permission {
    /// What a login class allows. Classes other than the built-in three
    /// (configured ones, `unauthorized`) only view until class permissions
    /// are implemented.
    pub fn of_class(class: &str) -> Permission {
        match class {
            "super-user" | "superuser" => Permission::Configure,
            "operator" => Permission::Operate,
            _ => Permission::View,
        }
    }
}

impl Caller {
    /// A caller of `class`.
    pub fn new(user: impl Into<String>, class: impl Into<String>) -> Caller {
        let class = class.into();
        Caller {
            user: user.into(),
            permission: Permission::of_class(&class),
            class,
        }
    }

    /// `Err(why)` unless the class allows `needed`.
    pub fn check(&self, needed: Permission) -> Result<(), String> {
        if self.permission >= needed {
            Ok(())
        } else {
            Err(format!(
                "user {} (class {}) is not allowed to do this",
                self.user, self.class
            ))
        }
    }

    /// Refuses the call unless the class allows `needed`.
    pub fn require(&self, needed: Permission) -> Result<(), Status> {
        self.check(needed).map_err(Status::permission_denied)
    }
}

/// Identifies the caller of a gRPC request: by uid on the Unix socket, by
/// the `authorization` metadata (HTTP Basic) on TCP.
pub async fn identify<T>(
    req: &Request<T>,
    active: &RwLock<Option<Model>>,
) -> Result<Caller, Status> {
    if let Some(info) = req.extensions().get::<UdsConnectInfo>() {
        let uid = info.peer_cred.map(|c| c.uid()).ok_or_else(|| {
            Status::unauthenticated("no peer credentials on the Unix socket connection")
        })?;
        return by_uid(uid, active.read().await.as_ref());
    }
    let creds = req
        .metadata()
        .get("authorization")
        .ok_or(auth::AuthError::Missing)
        .and_then(|v| {
            v.to_str()
                .map_err(|_| auth::AuthError::Malformed("the value is not ASCII"))
        })
        .and_then(Credentials::from_header)
        .map_err(|e| Status::unauthenticated(e.to_string()))?;
    auth::authenticate(active, creds)
        .await
        .map_err(|e| Status::unauthenticated(e.to_string()))
}

/// The caller on the Unix socket, known by uid.
fn by_uid(uid: u32, model: Option<&Model>) -> Result<Caller, Status> {
    if uid == 0 {
        return Ok(Caller::new("root", "super-user"));
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
    Ok(Caller::new(name, class))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn superuser_is_super_user() {
        assert_eq!(Permission::of_class("superuser"), Permission::Configure);
        assert_eq!(Permission::of_class("super-user"), Permission::Configure);
        assert_eq!(Permission::of_class("operator"), Permission::Operate);
    }
}
