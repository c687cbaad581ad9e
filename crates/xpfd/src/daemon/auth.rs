// SPDX-License-Identifier: Apache-2.0
//! Password logins for the TCP listeners (gRPC over TLS and REST).
//!
//! Over TCP nothing vouches for the caller the way SO_PEERCRED does on the
//! Unix socket, so each request carries HTTP Basic credentials
//! (`authorization: Basic base64(user:password)`). They are checked against
//! the committed configuration, as Junos does for its own logins:
//! `system login user NAME authentication encrypted-password`, and for
//! `root`, `system root-authentication encrypted-password`.
//!
//! Accepted hashes: SHA-512-crypt (`$6$`, what Junos writes) and
//! SHA-256-crypt (`$5$`). MD5-crypt (`$1$`) is refused with a message
//! saying so: no maintained Rust crate verifies it, and it is too weak to
//! be worth carrying our own. A user without a hash cannot log in over TCP:
//! there are no password-less logins.
//!
//! Callers learn only "invalid user name or password" for unknown users,
//! wrong passwords and users without a password (the reason goes to the
//! log), and unknown users cost as much time as known ones, so the API does
//! not tell which user names exist.

use std::sync::OnceLock;

use base64::Engine as _;
use sha_crypt::{PasswordHasher as _, PasswordVerifier as _, ShaCrypt};
use tokio::sync::RwLock;
use xpf_model::Model;

use super::caller::Caller;

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all.
    #[error(
        "authentication required: send HTTP Basic credentials \
         (authorization: Basic base64(user:password))"
    )]
    Missing,
    /// Credentials that are not `Basic base64(user:password)`.
    #[error("malformed authorization: {0}")]
    Malformed(&'static str),
    /// Unknown user, wrong password or no password configured.
    #[error("invalid user name or password")]
    Invalid,
    /// The user's configured hash is one xpf does not verify.
    #[error(
        "user {user}: the configured encrypted-password is {scheme}, which xpf does not \
         accept; configure a SHA-512-crypt ($6$) hash"
    )]
    Unsupported {
        /// The user.
        user: String,
        /// What the hash is.
        scheme: &'static str,
    },
    /// Nothing is committed, so no user is known.
    #[error("no active configuration: password logins are unavailable until one is committed")]
    NoConfiguration,
}

/// A user name and password from an `authorization` header.
pub struct Credentials {
    user: String,
    password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Reads `Basic base64(user:password)` (RFC 7617).
    pub fn from_header(value: &str) -> Result<Credentials, AuthError> {
        let (scheme, encoded) = value.trim().split_once(' ').ok_or(AuthError::Malformed(
            "expected `Basic base64(user:password)`",
        ))?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(AuthError::Malformed("only the Basic scheme is accepted"));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| AuthError::Malformed("the credentials are not base64"))?;
        let text = String::from_utf8(raw)
            .map_err(|_| AuthError::Malformed("the credentials are not UTF-8"))?;
        let (user, password) = text
            .split_once(':')
            .ok_or(AuthError::Malformed("expected user:password"))?;
        if user.is_empty() {
            return Err(AuthError::Malformed("the user name is empty"));
        }
        Ok(Credentials {
            user: user.to_string(),
            password: password.to_string(),
        })
    }
}

/// What the configuration says about one user.
struct Account {
    class: String,
    hash: Option<String>,
}

fn account(model: &Model, user: &str) -> Option<Account> {
    if user == "root" {
        return Some(Account {
            class: "super-user".into(),
            hash: model.system.root_authentication.encrypted_password.clone(),
        });
    }
    model
        .system
        .login
        .users
        .iter()
        .find(|u| u.name == user)
        .map(|u| Account {
            class: u.class.clone(),
            hash: u.authentication.encrypted_password.clone(),
        })
}

/// Checks `creds` against the active configuration.
pub async fn authenticate(
    active: &RwLock<Option<Model>>,
    creds: Credentials,
) -> Result<Caller, AuthError> {
    let account = {
        let model = active.read().await;
        let model = model.as_ref().ok_or(AuthError::NoConfiguration)?;
        account(model, &creds.user)
    };
    let user = creds.user.clone();
    // Hashing takes milliseconds of CPU: keep it off the async workers.
    let verdict = tokio::task::spawn_blocking(move || {
        let hash = account.as_ref().and_then(|a| a.hash.as_deref());
        match hash {
            Some(h) => verify(h, &creds.password),
            None => {
                // Same cost as a real check, so timing does not tell.
                let _ = verify(dummy_hash(), &creds.password);
                Ok(false)
            }
        }
        .map(|ok| (ok, account))
    })
    .await
    .map_err(|_| AuthError::Invalid)?;
    match verdict {
        Ok((true, Some(a))) => Ok(Caller::new(user, a.class)),
        Ok((_, None)) => {
            super::events::login_refused(&user, "password login", "no such user");
            Err(AuthError::Invalid)
        }
        Ok((_, Some(a))) if a.hash.is_none() => {
            super::events::login_refused(
                &user,
                "password login",
                "the user has no encrypted-password (no password-less logins)",
            );
            Err(AuthError::Invalid)
        }
        Ok(_) => {
            super::events::login_refused(&user, "password login", "wrong password");
            Err(AuthError::Invalid)
        }
        Err(scheme) => {
            super::events::login_refused(&user, "password login", "unsupported password hash");
            Err(AuthError::Unsupported { user, scheme })
        }
    }
}

/// Whether `password` matches `hash`; `Err(what the hash is)` for hashes
/// xpf does not verify.
pub fn verify(hash: &str, password: &str) -> Result<bool, &'static str> {
    if hash.starts_with("$6$") || hash.starts_with("$5$") {
        return match ShaCrypt::default().verify_password(password.as_bytes(), hash) {
            Ok(()) => Ok(true),
            Err(sha_crypt::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(_) => Err("a malformed SHA-crypt hash"),
        };
    }
    if hash.starts_with("$1$") {
        return Err("an MD5-crypt ($1$) hash");
    }
    Err("not a crypt hash xpf knows ($6$ or $5$)")
}

/// A hash to check against when the user does not exist.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        ShaCrypt::default()
            .hash_password_with_salt(b"xpf", b"no such user")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Known answers from the SHA-crypt specification (as glibc computes them).
    const SHA512: &str = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
    const SHA256: &str = "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5";

    #[test]
    fn sha_crypt_hashes_verify() {
        assert_eq!(verify(SHA512, "Hello world!"), Ok(true));
        assert_eq!(verify(SHA512, "hello world!"), Ok(false));
        assert_eq!(verify(SHA256, "Hello world!"), Ok(true));
        assert_eq!(verify(SHA256, ""), Ok(false));
    }

    #[test]
    fn md5_crypt_and_junk_are_refused() {
        assert!(verify("$1$abc$def", "x").unwrap_err().contains("MD5"));
        assert!(verify("secret", "secret").is_err());
        assert!(verify("$6$abc", "x").is_err());
        assert!(verify("", "").is_err());
    }

    #[test]
    fn basic_credentials_parse() {
        // "alice:pa:ss" — the password may contain colons.
        let c = Credentials::from_header("Basic YWxpY2U6cGE6c3M=").unwrap();
        assert_eq!((c.user.as_str(), c.password.as_str()), ("alice", "pa:ss"));
        assert!(Credentials::from_header("basic YWxpY2U6cGE6c3M=").is_ok());
        assert!(!format!("{c:?}").contains("pa:ss"));
        for bad in [
            "Bearer abc",
            "Basic",
            "Basic !!!",
            "Basic YWxpY2U=",
            "Basic OnBhc3M=",
        ] {
            assert!(Credentials::from_header(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn logins_follow_the_configuration() {
        let text = format!(
            "system {{ root-authentication {{ encrypted-password \"{SHA512}\"; }} login {{ \
             user alice {{ class read-only; authentication {{ encrypted-password \"{SHA256}\"; }} }} \
             user bob {{ class super-user; }} \
             user carol {{ class super-user; authentication {{ encrypted-password \"$1$abc$def\"; }} }} }} }}"
        );
        let cfg = xpf_config::parse_config(&text).expect("parses");
        let model = xpf_store::check_config(&cfg, None).expect("checks");
        let active = RwLock::new(Some(model));
        let login = |u: &str, p: &str| {
            Credentials::from_header(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            ))
            .unwrap()
        };
        let root = authenticate(&active, login("root", "Hello world!"))
            .await
            .unwrap();
        assert_eq!(
            (root.user.as_str(), root.class.as_str()),
            ("root", "super-user")
        );
        let alice = authenticate(&active, login("alice", "Hello world!"))
            .await
            .unwrap();
        assert_eq!(alice.class, "read-only");
        for (u, p) in [
            ("alice", "nope"),
            ("bob", ""),
            ("bob", "x"),
            ("mallory", "x"),
        ] {
            assert!(matches!(
                authenticate(&active, login(u, p)).await,
                Err(AuthError::Invalid)
            ));
        }
        let e = authenticate(&active, login("carol", "x"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("MD5-crypt"), "{e}");
        let empty = RwLock::new(None);
        assert!(matches!(
            authenticate(&empty, login("root", "x")).await,
            Err(AuthError::NoConfiguration)
        ));
    }
}
