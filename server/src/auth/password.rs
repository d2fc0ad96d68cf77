//! Password hashing with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes), and a
//! verification that takes the same time whether or not the account exists.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::AppError;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 12;

pub fn hash(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|err| AppError::Internal(anyhow::anyhow!("password hashing failed: {err}")))
}

/// A hash of a password nobody knows, verified against when the email is unknown so that a
/// wrong email costs the same time as a wrong password.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| hash(&super::secret::generate("decoy-")).unwrap_or_default());

/// Checks `password` against `stored`; with `None` (no such account) it does the same work
/// against a decoy and answers `false`.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let target = stored.unwrap_or(DECOY_HASH.as_str());
    let matches = PasswordHash::new(target)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    matches && stored.is_some()
}

/// Warms the decoy so the first sign-in is not slower than later ones.
pub fn warm_up() {
    LazyLock::force(&DECOY_HASH);
}

/// A generated password: 20 characters from an unambiguous alphabet (about 110 bits).
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// Rejects passwords too short to resist guessing.
pub fn check_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!("a password needs at least {MIN_LENGTH} characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_own_password_and_uses_argon2id() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)));
        assert!(!verify("correct horse batterY", Some(&stored)));
    }

    #[test]
    fn an_unknown_account_never_verifies() {
        assert!(!verify("anything at all", None));
    }

    #[test]
    fn generated_passwords_are_strong_enough() {
        let p = generate();
        assert!(check_strength(&p).is_ok());
        assert_ne!(p, generate());
        assert!(check_strength("short").is_err());
    }
}
