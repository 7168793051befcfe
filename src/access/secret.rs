//! Random secrets, their SHA-256, and comparing them in constant time.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `n` random bytes from the operating system, as base64url without padding.
pub(crate) fn random_string(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // Without the operating system's generator no secret can be made safely: stop.
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// One random byte (for decisions taken now and then, such as purging old rows).
pub(crate) fn random_byte() -> u8 {
    let mut byte = [0u8; 1];
    getrandom::fill(&mut byte).expect("the operating system's random number generator failed");
    byte[0]
}

/// The SHA-256 of `s`, in lower-case hex: how tokens and session secrets are stored.
pub(crate) fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `a == b` in time that depends only on the lengths.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Whether `s` is 1 to `max` characters of the base64url alphabet (what every secret made
/// here is), so that junk never reaches a query.
pub(crate) fn is_base64url(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_base64url() {
        let a = random_string(32);
        assert_eq!(a.len(), 43);
        assert!(is_base64url(&a, 43));
        assert_ne!(a, random_string(32));
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
