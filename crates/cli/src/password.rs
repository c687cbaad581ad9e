// SPDX-License-Identifier: Apache-2.0
//! `plain-text-password`: asked for twice, checked against Junos' default
//! rules, and stored only as a SHA-512 crypt hash, as Junos does. The
//! plain text never leaves the CLI.

use sha_crypt::{PasswordHasher as _, ShaCrypt};

use crate::error::CliError;
use crate::shell::Io;

/// Junos' default `system login password minimum-length`.
const MIN_LENGTH: usize = 6;

/// Asks for a new password twice; the hash to store, or why not.
pub fn ask(io: &mut dyn Io) -> Result<String, CliError> {
    let first = io
        .read_secret("New password:")
        .ok_or_else(|| CliError::plain("error: no password given"))?;
    let second = io
        .read_secret("Retype new password:")
        .ok_or_else(|| CliError::plain("error: no password given"))?;
    if first != second {
        return Err(CliError::plain("error: Passwords do not match"));
    }
    check(&first)?;
    hash(&first)
}

/// Junos' default rules: at least six characters, and more than one kind
/// of character (lower and upper case, digits, punctuation).
pub fn check(password: &str) -> Result<(), CliError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(CliError::plain(format!(
            "error: minimum password length is {MIN_LENGTH}"
        )));
    }
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_alphanumeric() && !c.is_whitespace()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return Err(CliError::plain(
            "error: require change of case, digits or punctuation",
        ));
    }
    Ok(())
}

/// The SHA-512 crypt (`$6$`) hash of `password`, with a random salt.
pub fn hash(password: &str) -> Result<String, CliError> {
    ShaCrypt::SHA512
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| CliError::plain(format!("error: cannot hash the password: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha_crypt::PasswordVerifier as _;

    #[test]
    fn the_rules_are_junos_defaults() {
        assert!(check("ab1").is_err());
        assert!(check("abcdefgh").is_err());
        assert!(check("abcdef1").is_ok());
        assert!(check("Abcdefg").is_ok());
        assert!(check("abc-def").is_ok());
    }

    #[test]
    fn hashes_are_salted_sha512_crypt_that_verify() {
        let a = hash("Secret-1").expect("hashes");
        let b = hash("Secret-1").expect("hashes");
        assert!(a.starts_with("$6$") && a != b, "{a} {b}");
        let parsed = sha_crypt::PasswordHashRef::new(&a).expect("mcf");
        assert!(ShaCrypt::default()
            .verify_password(b"Secret-1", parsed)
            .is_ok());
    }
}
