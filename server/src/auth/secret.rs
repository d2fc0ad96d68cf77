//! High-entropy secrets (session cookies, personal tokens) and their stored digests. A secret of
//! 256 random bits needs no slow hash: SHA-256 of it is as good as unguessable.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random secret: `prefix` followed by 64 hex characters (256 bits).
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The digest stored in place of a secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_their_digest_is_stable() {
        let a = generate("sspt_");
        let b = generate("sspt_");
        assert_ne!(a, b);
        assert!(a.starts_with("sspt_") && a.len() == 5 + 64);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert_eq!(digest(&a).len(), 64);
    }
}
