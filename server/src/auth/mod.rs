//! Accounts and how people prove who they are: passwords (argon2id), browser sessions, personal
//! read tokens, and the throttle on failed sign-ins. Secrets are shown once and stored only as
//! digests; nothing here logs a secret.

pub mod accounts;
pub mod password;
pub mod secret;
pub mod sessions;
pub mod throttle;
pub mod tokens;
