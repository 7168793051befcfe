//! Self-service: one's own password (the current one required; every other session of the
//! user ends) and one's own sessions (sign out the others); an operator or the command line
//! sets anyone's password (`iarss users passwd`), which ends all of that user's sessions.

use super::users::operators_only;
use super::{Access, AccessError, Caller, password};
use crate::model::now_ms;
use crate::store::AuditRecord;

/// One of a user's sessions, as they see it (never its id or secrets).
#[derive(Clone, Debug)]
pub struct SessionSummary {
    /// Whether it is the session asking.
    pub current: bool,
    /// When it signed in (ms).
    pub created_at: i64,
    /// When it was last used (ms, to the minute).
    pub last_seen_at: i64,
    /// The address it signed in from.
    pub address: Option<String>,
}

impl Access {
    /// Changes the caller's own password: `current` must be right and `new` acceptable.
    /// Every session of the caller but `keep_session` (the one asking) ends. Audited as
    /// `password_changed`.
    pub async fn change_own_password(
        &self,
        by: &Caller,
        current: &str,
        new: &str,
        keep_session: &str,
    ) -> Result<(), AccessError> {
        let Some(user_id) = by.user_id else {
            return Err(AccessError::Invalid(
                "the command line sets passwords with `iarss users passwd`".into(),
            ));
        };
        let credentials = self.store.credentials(&by.email).await?;
        let verified = password::verify_password(
            current,
            credentials.as_ref().map(|c| c.password_hash.as_str()),
        )
        .await;
        if !verified || credentials.is_none_or(|c| c.user_id != user_id) {
            return Err(AccessError::Invalid(
                "the current password is not right".into(),
            ));
        }
        password::check_password(new)?;
        let hash = password::hash_password(new).await?;
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "password_changed",
            object: Some(&by.email),
            page_id: None,
            address: by.address.as_deref(),
            detail: Some("by the user; their other sessions ended"),
        };
        if self
            .store
            .set_password_hash(user_id, &hash, Some(keep_session), &audit)
            .await?
        {
            Ok(())
        } else {
            Err(AccessError::NoSuchUser(by.email.clone()))
        }
    }

    /// Sets a user's password (operators and the command line): every session of the user
    /// ends. Audited as `password_set`.
    pub async fn set_password(
        &self,
        by: &Caller,
        email: &str,
        new: &str,
    ) -> Result<(), AccessError> {
        operators_only(by)?;
        let user = self.existing_user(email).await?;
        password::check_password(new)?;
        let hash = password::hash_password(new).await?;
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "password_set",
            object: Some(&user.email),
            page_id: None,
            address: by.address.as_deref(),
            detail: Some("their sessions ended"),
        };
        if self
            .store
            .set_password_hash(user.id, &hash, None, &audit)
            .await?
        {
            Ok(())
        } else {
            Err(AccessError::NoSuchUser(user.email))
        }
    }

    /// The caller's own sessions, the one asking (`current_session`) marked.
    pub async fn own_sessions(
        &self,
        by: &Caller,
        current_session: &str,
    ) -> Result<Vec<SessionSummary>, AccessError> {
        let Some(user_id) = by.user_id else {
            return Ok(Vec::new());
        };
        Ok(self
            .store
            .user_sessions(user_id)
            .await?
            .into_iter()
            .map(|s| SessionSummary {
                current: s.id == current_session,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                address: s.address,
            })
            .collect())
    }

    /// Ends the caller's sessions but `keep_session`; returns how many ended. Audited as
    /// `sessions_ended`.
    pub async fn end_other_sessions(
        &self,
        by: &Caller,
        keep_session: &str,
    ) -> Result<u64, AccessError> {
        let Some(user_id) = by.user_id else {
            return Ok(0);
        };
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "sessions_ended",
            object: Some(&by.email),
            page_id: None,
            address: by.address.as_deref(),
            detail: Some("the user's other sessions"),
        };
        Ok(self
            .store
            .delete_other_sessions(user_id, Some(keep_session), &audit)
            .await?)
    }
}
