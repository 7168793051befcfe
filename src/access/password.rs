//! Passwords: argon2id (the crate's defaults, OWASP's recommended parameters) in PHC
//! string format, hashed and verified off the async threads, a few at a time.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use super::AccessError;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest password accepted, in bytes: argon2 reads any length, this keeps a request
/// from making it read megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Each hash takes ~19 MiB and tens of milliseconds of one core: at most one per core at
/// once, so a burst of logins queues instead of exhausting memory.
fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

/// The hash checked when a login names no known user, so that an unknown address and a
/// wrong password take the same time. Made with the same parameters as every real hash.
static DUMMY_HASH: OnceLock<String> = OnceLock::new();

fn dummy_hash() -> &'static str {
    DUMMY_HASH.get_or_init(|| hash_now(&super::secret::random_string(24)).unwrap_or_default())
}

/// Computes the dummy hash in the background, so the first login does not pay for it.
pub(crate) fn prepare() {
    if DUMMY_HASH.get().is_none() {
        std::thread::spawn(|| {
            dummy_hash();
        });
    }
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    Ok(Argon2::default()
        .hash_password(password.as_bytes())?
        .to_string())
}

/// Checks a new password's length: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_BYTES`] bytes.
pub fn check_password(password: &str) -> Result<(), AccessError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccessError::Invalid(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters long"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccessError::Invalid(format!(
            "the password must be at most {MAX_PASSWORD_BYTES} bytes long"
        )));
    }
    Ok(())
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub async fn hash_password(password: &str) -> Result<String, AccessError> {
    let _permit = permits().acquire().await;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|_| AccessError::Invalid("hashing the password failed".into()))?
        // The argon2 error never contains the password.
        .map_err(|e| AccessError::Invalid(format!("hashing the password failed: {e}")))
}

/// Whether `password` matches the PHC string `hash`; with no hash (an unknown user) the
/// dummy hash is checked, and the answer is `false`.
pub async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    let _permit = permits().acquire().await;
    let password = password.to_string();
    let known = hash.is_some();
    let hash = hash.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let hash = hash.as_deref().unwrap_or_else(|| dummy_hash());
        // Longer passwords are refused at creation; checking one costs time for nothing.
        let checked = password.len() <= MAX_PASSWORD_BYTES
            && Argon2::default()
                .verify_password(password.as_bytes(), hash)
                .is_ok();
        known && checked
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(verify_password("correct horse", Some(&hash)).await);
        assert!(!verify_password("correct hors", Some(&hash)).await);
        assert!(!verify_password("correct horse", None).await);
        assert_ne!(
            hash,
            hash_password("correct horse").await.unwrap(),
            "salted"
        );
    }

    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_ones() {
        let dummy = dummy_hash();
        let real = hash_now("anything at all").unwrap();
        let params = |h: &str| h.rsplitn(3, '$').nth(2).map(str::to_string);
        assert_eq!(params(dummy), params(&real));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password("ééééééé").is_err(), "characters, not bytes");
        assert!(check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
    }
}
