//! Users and their pages: created from the command line (the web has no sign-up), and
//! later from operators' pages. Only operators manage users.

use super::{Access, AccessError, Caller, Role, User, password};
use crate::model::now_ms;
use crate::store::{AuditRecord, StoreError, UserRecord};

/// The longest e-mail address accepted (RFC 5321's path limit).
const MAX_EMAIL_BYTES: usize = 254;

/// An e-mail address as stored and compared: trimmed and lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The normalized address, if it looks like one: `local@domain`, no spaces or control
/// characters, at most 254 bytes. (Whether mail reaches it is not iarss's business.)
pub fn check_email(email: &str) -> Result<String, AccessError> {
    let email = normalize_email(email);
    let shaped = email.len() <= MAX_EMAIL_BYTES
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ','))
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        });
    if shaped {
        Ok(email)
    } else {
        Err(AccessError::Invalid(format!(
            "`{email}` is not an e-mail address"
        )))
    }
}

pub(super) fn operators_only(by: &Caller) -> Result<(), AccessError> {
    if by.is_operator() {
        Ok(())
    } else {
        Err(AccessError::Invalid("only operators manage users".into()))
    }
}

impl Access {
    /// Creates a user with `password` (at least 8 characters; stored only as an argon2id
    /// hash). A publisher is a member of `pages` (each must exist); an operator reaches every
    /// page and takes none. Operators only; audited as `user_created`.
    pub async fn add_user(
        &self,
        by: &Caller,
        email: &str,
        password: &str,
        role: Role,
        pages: &[String],
    ) -> Result<User, AccessError> {
        operators_only(by)?;
        let email = check_email(email)?;
        password::check_password(password)?;
        if role == Role::Operator && !pages.is_empty() {
            return Err(AccessError::Invalid(
                "an operator reaches every page: give it no pages".into(),
            ));
        }
        let mut pages = pages.to_vec();
        pages.sort();
        pages.dedup();
        for page in &pages {
            self.existing_page(page).await?;
        }
        if self.store.user_by_email(&email).await?.is_some() {
            return Err(AccessError::UserExists(email));
        }
        let hash = password::hash_password(password).await?;
        let detail = match role {
            Role::Operator => "operator".to_string(),
            Role::Publisher if pages.is_empty() => "publisher of no page yet".to_string(),
            Role::Publisher => format!("publisher of {}", pages.join(", ")),
        };
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "user_created",
            object: Some(&email),
            page_id: None,
            address: by.address.as_deref(),
            detail: Some(&detail),
        };
        let inserted = self
            .store
            .insert_user(&email, &hash, role.as_str(), &pages, &audit)
            .await?;
        if inserted.is_none() {
            return Err(AccessError::UserExists(email));
        }
        self.existing_user(&email).await.map(User::from)
    }

    /// Every user, ordered by e-mail address, with their pages.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        Ok(self
            .store
            .users()
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    /// The user with this e-mail address (compared case-insensitively).
    pub async fn user(&self, email: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .store
            .user_by_email(&normalize_email(email))
            .await?
            .map(User::from))
    }

    /// Removes a user with its memberships, tokens and sessions. Operators only; audited as
    /// `user_removed`. No one removes themselves, and the last operator stays.
    pub async fn remove_user(&self, by: &Caller, email: &str) -> Result<(), AccessError> {
        operators_only(by)?;
        let user = self.existing_user(email).await?;
        if by.user_id == Some(user.id) {
            return Err(AccessError::Invalid(
                "you cannot remove yourself; another operator can".into(),
            ));
        }
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "user_removed",
            object: Some(&user.email),
            page_id: None,
            address: by.address.as_deref(),
            detail: Some(&user.role),
        };
        match self.store.delete_user(user.id, &audit).await? {
            Some(true) => Ok(()),
            Some(false) => Err(AccessError::Invalid(format!(
                "`{}` is the last operator; make another operator first",
                user.email
            ))),
            None => Err(AccessError::NoSuchUser(user.email)),
        }
    }

    /// Makes a publisher a member of a page (nothing happens when it already is).
    /// Operators only; audited as `user_page_added`.
    pub async fn add_user_page(
        &self,
        by: &Caller,
        email: &str,
        page_id: &str,
    ) -> Result<(), AccessError> {
        operators_only(by)?;
        let user = self.existing_user(email).await?;
        self.existing_page(page_id).await?;
        if user.role == Role::Operator.as_str() {
            return Err(AccessError::Invalid(format!(
                "`{}` is an operator and reaches every page already",
                user.email
            )));
        }
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "user_page_added",
            object: Some(&user.email),
            page_id: Some(page_id),
            address: by.address.as_deref(),
            detail: None,
        };
        self.store
            .insert_user_page(user.id, page_id, &audit)
            .await?;
        Ok(())
    }

    /// Ends a publisher's membership of a page. Operators only; audited as
    /// `user_page_removed`.
    pub async fn remove_user_page(
        &self,
        by: &Caller,
        email: &str,
        page_id: &str,
    ) -> Result<(), AccessError> {
        operators_only(by)?;
        let user = self.existing_user(email).await?;
        self.existing_page(page_id).await?;
        let audit = AuditRecord {
            at: now_ms(),
            actor: by.actor(),
            action: "user_page_removed",
            object: Some(&user.email),
            page_id: Some(page_id),
            address: by.address.as_deref(),
            detail: None,
        };
        if !self
            .store
            .delete_user_page(user.id, page_id, &audit)
            .await?
        {
            return Err(AccessError::Invalid(format!(
                "`{}` is not a member of page `{page_id}`",
                user.email
            )));
        }
        Ok(())
    }

    /// The user with this e-mail address, or [`AccessError::NoSuchUser`].
    pub(super) async fn existing_user(&self, email: &str) -> Result<UserRecord, AccessError> {
        let email = normalize_email(email);
        self.store
            .user_by_email(&email)
            .await?
            .ok_or(AccessError::NoSuchUser(email))
    }

    async fn existing_page(&self, page_id: &str) -> Result<(), AccessError> {
        match self.store.page(page_id).await? {
            Some(_) => Ok(()),
            None => Err(AccessError::NoSuchPage(page_id.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_lower_cased_and_checked() {
        assert_eq!(check_email("  Ed@Example.COM ").unwrap(), "ed@example.com");
        for bad in ["", "ed", "@example.com", "ed@", "ed@a@b", "e d@example.com"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }
}
