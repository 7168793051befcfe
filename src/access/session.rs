//! Logins and web sessions. A session's cookie is `<id>.<secret>`, both random; the store
//! keeps the id and a SHA-256 of the secret, so a copy of the database opens no session.
//! Every login makes a new session (rotation); one unused for `session_ttl`, or older than
//! `session_max_age`, has expired.

use super::{
    Access, LoginOutcome, NewSession, SessionInfo, ms, password, secret, throttle,
    touch_interval_ms,
};
use crate::model::now_ms;
use crate::store::{AuditRecord, SessionRecord, StoreError};

/// Random bytes of a session id (public half of the cookie; the store's key).
const ID_BYTES: usize = 16;
/// Random bytes of a session secret and of a form token.
const SECRET_BYTES: usize = 32;
/// The longest account name kept for a failed login, in bytes.
const MAX_ACCOUNT_BYTES: usize = 254;
/// One failed login in this many also deletes the failures that no longer count.
const PURGE_ONE_IN: u8 = 16;

/// `<id>.<secret>` split, if it has the shape of a cookie made here.
fn parse_cookie(value: &str) -> Option<(&str, &str)> {
    let (id, secret) = value.trim().split_once('.')?;
    (secret::is_base64url(id, 64) && secret::is_base64url(secret, 128)).then_some((id, secret))
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn truncated(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

impl Access {
    /// A login with an e-mail address (compared case-insensitively) and a password from
    /// `address`. A wrong address and a wrong password get the same [`LoginOutcome::Invalid`]
    /// after the same work; each failure is audited as `login_failed`. Every attempt is
    /// counted before its password is checked (see [`throttle`]): too many for the account
    /// from this address, or from this address, answer [`LoginOutcome::Throttled`] without
    /// a check, even with the right password; an account guessed at from many addresses is
    /// checked slowly. A success makes a new session (audited as `login`).
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> Result<LoginOutcome, StoreError> {
        let account = truncated(super::normalize_email(email), MAX_ACCOUNT_BYTES);
        let lockout = ms(self.settings.login_lockout);
        match throttle::count(&self.store, &self.settings, &account, address, now_ms()).await? {
            throttle::Verdict::Refuse(retry_after) => {
                return Ok(LoginOutcome::Throttled { retry_after });
            }
            throttle::Verdict::Check(wait) if !wait.is_zero() => tokio::time::sleep(wait).await,
            throttle::Verdict::Check(_) => {}
        }
        let credentials = self.store.credentials(&account).await?;
        let verified = password::verify_password(
            password,
            credentials.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await;
        let now = now_ms();
        let Some(credentials) = credentials.filter(|_| verified) else {
            let audit = AuditRecord {
                at: now,
                actor: &account,
                action: "login_failed",
                object: None,
                page_id: None,
                address: Some(address),
                detail: None,
            };
            self.store.record_login_failure(&audit).await?;
            if secret::random_byte() < u8::MAX / PURGE_ONE_IN {
                self.store
                    .delete_old_login_limits(now.saturating_sub(lockout))
                    .await?;
            }
            return Ok(LoginOutcome::Invalid);
        };
        let id = secret::random_string(ID_BYTES);
        let session_secret = secret::random_string(SECRET_BYTES);
        let form_token = secret::random_string(SECRET_BYTES);
        let record = SessionRecord {
            id: id.clone(),
            secret_hash: secret::sha256_hex(&session_secret),
            user_id: credentials.user_id,
            form_token: form_token.clone(),
            created_at: now,
            last_seen_at: now,
            address: Some(address.to_string()),
        };
        let audit = AuditRecord {
            at: now,
            actor: &account,
            action: "login",
            object: None,
            page_id: None,
            address: Some(address),
            detail: None,
        };
        self.store.insert_session(&record, &audit).await?;
        // The account's earlier mistakes no longer count against it; its address's still do.
        self.store.forget_login_failures(&account, address).await?;
        self.store
            .delete_expired_sessions(
                now.saturating_sub(ms(self.settings.session_ttl)),
                now.saturating_sub(ms(self.settings.session_max_age)),
            )
            .await?;
        let caller = self
            .caller_for(
                credentials.user_id,
                account,
                &credentials.role,
                Some(address),
            )
            .await?;
        Ok(LoginOutcome::Success {
            session: NewSession {
                cookie_value: format!("{id}.{session_secret}"),
                form_token,
            },
            caller,
        })
    }

    /// The session of a cookie value: `None` when it is unknown, logged out or expired (an
    /// expired one is deleted). Records its use (at most about once a minute), which keeps
    /// it from expiring.
    pub async fn session(
        &self,
        cookie_value: &str,
        address: Option<&str>,
    ) -> Result<Option<SessionInfo>, StoreError> {
        let Some((id, session_secret)) = parse_cookie(cookie_value) else {
            return Ok(None);
        };
        let Some(found) = self.store.session_by_id(id).await? else {
            return Ok(None);
        };
        if !secret::same(
            &found.session.secret_hash,
            &secret::sha256_hex(session_secret),
        ) {
            return Ok(None);
        }
        let now = now_ms();
        let ttl = ms(self.settings.session_ttl);
        let idle = now.saturating_sub(found.session.last_seen_at);
        let age = now.saturating_sub(found.session.created_at);
        if idle >= ttl || age >= ms(self.settings.session_max_age) {
            self.store.delete_session(id).await?;
            return Ok(None);
        }
        if idle >= touch_interval_ms(self.settings.session_ttl) {
            self.store.touch_session(id, now).await?;
        }
        let caller = self
            .caller_for(found.session.user_id, found.email, &found.role, address)
            .await?;
        Ok(Some(SessionInfo {
            caller,
            form_token: found.session.form_token,
            id: found.session.id,
        }))
    }

    /// Ends the session of a cookie value (nothing happens for an unknown one).
    pub async fn logout(&self, cookie_value: &str) -> Result<(), StoreError> {
        let Some((id, session_secret)) = parse_cookie(cookie_value) else {
            return Ok(());
        };
        if let Some(found) = self.store.session_by_id(id).await?
            && secret::same(
                &found.session.secret_hash,
                &secret::sha256_hex(session_secret),
            )
        {
            self.store.delete_session(id).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cookies_of_the_right_shape_are_looked_up() {
        assert_eq!(parse_cookie("abc.def"), Some(("abc", "def")));
        for bad in ["", "abc", ".def", "abc.", "a'b.c", "abc.d e", "a.b.c"] {
            assert_eq!(parse_cookie(bad), None, "{bad}");
        }
        assert_eq!(truncated("ééé".into(), 3), "é");
    }
}
