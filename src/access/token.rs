//! API tokens: `iarss_` and 32 random bytes in base64url, stored only as a SHA-256 hash,
//! shown once, acting with their user's rights (`Authorization: Bearer TOKEN`).

use super::{Access, AccessError, Caller, TokenInfo, secret};
use crate::model::now_ms;
use crate::store::{AuditRecord, StoreError};

/// Every token starts with this, so that a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "iarss_";

/// Random bytes in a token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// How often at most a token's `last_used_at` is written.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// The longest token name accepted, in characters.
const MAX_NAME_CHARS: usize = 100;

/// The length of a token: the prefix and 32 bytes in base64url without padding.
const TOKEN_LEN: usize = TOKEN_PREFIX.len() + (TOKEN_BYTES * 4).div_ceil(3);

impl Access {
    /// The caller a bearer token acts as: `None` for an unknown, revoked or expired token.
    /// Records when the token was used (at most about once a minute, so that reads stay
    /// cheap).
    pub async fn authenticate_token(
        &self,
        bearer: &str,
        address: Option<&str>,
    ) -> Result<Option<Caller>, StoreError> {
        let bearer = bearer.trim();
        let Some(random) = bearer.strip_prefix(TOKEN_PREFIX) else {
            return Ok(None);
        };
        if bearer.len() != TOKEN_LEN || !secret::is_base64url(random, TOKEN_LEN) {
            return Ok(None);
        }
        let hash = secret::sha256_hex(bearer);
        let Some(found) = self.store.token_by_hash(&hash).await? else {
            return Ok(None);
        };
        let now = now_ms();
        let token = &found.token;
        if !secret::same(&found.token_hash, &hash)
            || token.revoked_at.is_some()
            || token.expires_at.is_some_and(|at| at <= now)
        {
            return Ok(None);
        }
        if token
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_INTERVAL_MS)
        {
            self.store.touch_token(token.id, now).await?;
        }
        let caller = self
            .caller_for(
                token.user_id,
                token.user_email.clone(),
                &found.role,
                address,
            )
            .await?;
        Ok(Some(caller))
    }

    /// Creates a token for the user with this e-mail address: its description, and its value,
    /// which is shown this once and never stored. Operators create tokens for anyone, others
    /// only for themselves. Audited as `token_created`.
    pub async fn create_token(
        &self,
        by: &Caller,
        email: &str,
        name: Option<&str>,
    ) -> Result<(TokenInfo, String), AccessError> {
        let user = self.existing_user(email).await?;
        if !by.is_operator() && by.user_id != Some(user.id) {
            // Someone else's account is not even acknowledged.
            return Err(AccessError::NoSuchUser(user.email));
        }
        let name = name.map(str::trim).unwrap_or_default();
        if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(AccessError::Invalid(format!(
                "a token name is at most {MAX_NAME_CHARS} characters, without control characters"
            )));
        }
        let value = format!("{TOKEN_PREFIX}{}", secret::random_string(TOKEN_BYTES));
        let detail = if name.is_empty() {
            format!("for {}", user.email)
        } else {
            format!("for {}, named {name}", user.email)
        };
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "token_created",
            object: None,
            page_id: None,
            address: by.address.as_deref(),
            detail: Some(&detail),
        };
        let id = self
            .store
            .insert_token(user.id, name, &secret::sha256_hex(&value), &audit)
            .await?;
        let info = self
            .store
            .token(id)
            .await?
            .ok_or(AccessError::NoSuchToken(id))?;
        Ok((TokenInfo::from(info), value))
    }

    /// Tokens ordered by id, revoked ones included: every user's, or those of the user with
    /// this e-mail address.
    pub async fn tokens(&self, email: Option<&str>) -> Result<Vec<TokenInfo>, StoreError> {
        let email = email.map(super::normalize_email);
        Ok(self
            .store
            .tokens(email.as_deref())
            .await?
            .into_iter()
            .map(TokenInfo::from)
            .collect())
    }

    /// Revokes a token: it authenticates nothing from now on (revoking it again changes
    /// nothing). Operators revoke any token, others only their own. Audited as
    /// `token_revoked`.
    pub async fn revoke_token(&self, by: &Caller, id: i64) -> Result<(), AccessError> {
        let token = self
            .store
            .token(id)
            .await?
            .ok_or(AccessError::NoSuchToken(id))?;
        if !by.is_operator() && by.user_id != Some(token.user_id) {
            return Err(AccessError::NoSuchToken(id));
        }
        let object = format!("token {id}");
        let detail = format!("of {}", token.user_email);
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "token_revoked",
            object: Some(&object),
            page_id: None,
            address: by.address.as_deref(),
            detail: Some(&detail),
        };
        self.store.revoke_token(id, &audit).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_prefix_and_256_random_bits() {
        let value = format!("{TOKEN_PREFIX}{}", secret::random_string(TOKEN_BYTES));
        assert_eq!(value.len(), TOKEN_LEN);
        assert_eq!(TOKEN_LEN, 6 + 43);
    }
}
