//! Accounts and access: users and their pages, API tokens, web sessions, the login
//! throttle and the audit log (docs/configuration.md `[web]`; the contract is the
//! publishing spec's "Accounts and access").
//!
//! Secrets never leave this module in clear except once, to the one who gets them: a new
//! token's value, a new session's cookie value. Passwords are kept only as argon2id hashes,
//! tokens and session secrets only as SHA-256 hashes; none of them is logged, put in an
//! error, or shown by `Debug`.

mod account;
mod caller;
mod password;
mod secret;
mod session;
pub mod throttle;
mod token;
mod users;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError, TokenRecord, UserRecord};

pub use crate::store::AuditEntry;
pub use account::SessionSummary;
pub use caller::{Caller, Role, Scope};
pub use password::{MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS, check_password};
pub use token::TOKEN_PREFIX;
pub use users::{check_email, normalize_email};

/// What can go wrong managing users and tokens.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No user has this e-mail address (or the caller may not see it).
    #[error("no user `{0}`")]
    NoSuchUser(String),
    /// A user already has this e-mail address.
    #[error("user `{0}` already exists")]
    UserExists(String),
    /// No token has this id (or the caller may not see it).
    #[error("no token {0}")]
    NoSuchToken(i64),
    /// No page has this id.
    #[error("no page `{0}`")]
    NoSuchPage(String),
    /// A value that cannot be used: a malformed e-mail address, a password too short, an
    /// action the caller may not take.
    #[error("{0}")]
    Invalid(String),
}

/// Whether session cookies carry `Secure`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecureCookies {
    /// When the request came over https (directly or, as a proxy says, to the proxy).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never (plain http on a trusted network).
    Never,
}

impl SecureCookies {
    /// Whether a cookie set in answer to a request that came over https (or not) is
    /// `Secure`.
    pub fn secure(self, https: bool) -> bool {
        match self {
            SecureCookies::Auto => https,
            SecureCookies::Always => true,
            SecureCookies::Never => false,
        }
    }
}

impl FromStr for SecureCookies {
    type Err = String;

    fn from_str(s: &str) -> Result<SecureCookies, String> {
        match s.trim() {
            "auto" => Ok(SecureCookies::Auto),
            "true" => Ok(SecureCookies::Always),
            "false" => Ok(SecureCookies::Never),
            other => Err(format!("`{other}` is not \"auto\", true or false")),
        }
    }
}

/// Written `"auto"`, `true` or `false` (the strings `"true"` and `"false"` too, as
/// environment variables give them).
impl Serialize for SecureCookies {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            SecureCookies::Auto => s.serialize_str("auto"),
            SecureCookies::Always => s.serialize_bool(true),
            SecureCookies::Never => s.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for SecureCookies {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SecureCookies;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"auto\", true or false")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<SecureCookies, E> {
                Ok(if v {
                    SecureCookies::Always
                } else {
                    SecureCookies::Never
                })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SecureCookies, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// How sessions and logins behave (`[web]` of the configuration).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessSettings {
    /// A session unused for this long has expired.
    pub session_ttl: Duration,
    /// Login attempts for one account from one address within `login_lockout` after which
    /// that address is refused for that account (see [`throttle`] for the other limits).
    pub login_max_failures: u32,
    /// The window in which login attempts count, and so the longest a refusal lasts.
    pub login_lockout: Duration,
    /// Whether session cookies carry `Secure`.
    pub secure_cookies: SecureCookies,
    /// A session ends this long after its login, however much it is used.
    pub session_max_age: Duration,
}

impl Default for AccessSettings {
    fn default() -> Self {
        AccessSettings {
            session_ttl: Duration::from_secs(12 * 3600),
            login_max_failures: 5,
            login_lockout: Duration::from_secs(15 * 60),
            secure_cookies: SecureCookies::Auto,
            session_max_age: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// A user, as lists and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Its id.
    pub id: i64,
    /// Its login, lower-cased.
    pub email: String,
    /// Its role.
    pub role: Role,
    /// The pages it is a member of (none for an operator, who reaches every page).
    pub pages: Vec<String>,
    /// When it was created (ms; RFC 3339 in JSON).
    #[serde(serialize_with = "crate::store::ser::time")]
    pub created_at: i64,
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> User {
        User {
            id: u.id,
            email: u.email,
            // The column's CHECK allows only the two; anything else gets the least rights.
            role: u.role.parse().unwrap_or(Role::Publisher),
            pages: u.pages,
            created_at: u.created_at,
        }
    }
}

/// An API token as lists and the API show it: never its value or its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// Its id.
    pub id: i64,
    /// Its user's e-mail address.
    pub user_email: String,
    /// The name given at creation.
    pub name: Option<String>,
    /// When it was created (ms; RFC 3339 in JSON).
    #[serde(serialize_with = "crate::store::ser::time")]
    pub created_at: i64,
    /// When it last authenticated a request (to the minute).
    #[serde(serialize_with = "crate::store::ser::opt_time")]
    pub last_used_at: Option<i64>,
    /// When it was revoked.
    #[serde(serialize_with = "crate::store::ser::opt_time")]
    pub revoked_at: Option<i64>,
}

impl From<TokenRecord> for TokenInfo {
    fn from(t: TokenRecord) -> TokenInfo {
        TokenInfo {
            id: t.id,
            user_email: t.user_email,
            name: (!t.name.is_empty()).then_some(t.name),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A session just created at login: what goes in the cookie, and the form token.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The cookie's value, `<id>.<secret>`.
    pub cookie_value: String,
    /// The token every state-changing form of the session must carry.
    pub form_token: String,
}

impl fmt::Debug for NewSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewSession")
            .field("cookie_value", &"<redacted>")
            .field("form_token", &"<redacted>")
            .finish()
    }
}

/// A valid session, found from its cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// Its user.
    pub caller: Caller,
    /// The token every state-changing form of the session must carry.
    pub form_token: String,
    /// The session's id (the public half of the cookie).
    pub id: String,
}

impl fmt::Debug for SessionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionInfo")
            .field("caller", &self.caller)
            .field("form_token", &"<redacted>")
            .field("id", &"<redacted>")
            .finish()
    }
}

/// The answer to a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    /// The password is right: a new session.
    Success {
        /// The session to set in the cookie.
        session: NewSession,
        /// Who logged in.
        caller: Caller,
    },
    /// A wrong e-mail address or a wrong password (the same answer for both).
    Invalid,
    /// Too many failed logins for the account or from the address: try again later.
    Throttled {
        /// When the oldest failure that counts leaves the window (whole seconds, at least 1).
        retry_after: Duration,
    },
}

/// Accounts and access over the store.
#[derive(Clone, Debug)]
pub struct Access {
    store: Store,
    settings: AccessSettings,
}

impl Access {
    /// Access on `store` with `settings`.
    pub fn new(store: Store, settings: AccessSettings) -> Access {
        password::prepare();
        Access { store, settings }
    }

    /// The settings.
    pub fn settings(&self) -> &AccessSettings {
        &self.settings
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Writes an audit row for an action of `caller`: who (its actor), what (`action`, a
    /// snake_case verb such as `article_edited`), on which object, on which page, when
    /// (now), from where (its address), and any `detail` (never a secret).
    pub async fn record(
        &self,
        caller: &Caller,
        action: &str,
        object: Option<&str>,
        page_id: Option<&str>,
        detail: Option<&str>,
    ) -> Result<(), StoreError> {
        self.store
            .insert_audit(&crate::store::AuditRecord {
                at: crate::model::now_ms(),
                actor: caller.actor(),
                action,
                object,
                page_id,
                address: caller.address.as_deref(),
                detail,
            })
            .await
    }

    /// Up to `limit` audit rows with ids below `before_id` (from the newest when `None`),
    /// newest first.
    pub async fn audit_log(
        &self,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.store.audit_entries(before_id, limit).await
    }

    /// The caller a user acts as: an operator reaches every page, a publisher its pages.
    async fn caller_for(
        &self,
        user_id: i64,
        email: String,
        role: &str,
        address: Option<&str>,
    ) -> Result<Caller, StoreError> {
        let role = role.parse().unwrap_or(Role::Publisher);
        let scope = match role {
            Role::Operator => Scope::All,
            Role::Publisher => Scope::Pages(self.store.user_pages(user_id).await?),
        };
        Ok(Caller {
            user_id: Some(user_id),
            email,
            role,
            scope,
            address: address.map(str::to_string),
        })
    }
}

/// How often at most a token's `last_used_at` or a session's `last_seen_at` is written: a
/// minute, or less for sessions that expire within a few minutes.
fn touch_interval_ms(ttl: Duration) -> i64 {
    ms(ttl / 4).clamp(1, 60_000)
}

/// A duration in milliseconds, saturating.
fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let s = NewSession {
            cookie_value: "abc.very-secret".into(),
            form_token: "form-secret".into(),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("form-secret"));
        let info = SessionInfo {
            caller: Caller::cli(),
            form_token: "form-secret".into(),
            id: "session-id".into(),
        };
        let shown = format!("{info:?}");
        assert!(!shown.contains("form-secret") && !shown.contains("session-id"));
    }

    #[test]
    fn secure_cookies_read_auto_true_and_false() {
        for (text, want) in [
            ("v = \"auto\"", SecureCookies::Auto),
            ("v = true", SecureCookies::Always),
            ("v = false", SecureCookies::Never),
            ("v = \"true\"", SecureCookies::Always),
        ] {
            #[derive(Deserialize)]
            struct T {
                v: SecureCookies,
            }
            let t: T = toml::from_str(text).unwrap();
            assert_eq!(t.v, want, "{text}");
        }
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct T {
            v: SecureCookies,
        }
        assert!(toml::from_str::<T>("v = \"sometimes\"").is_err());
    }

    #[test]
    fn sessions_are_touched_at_most_once_a_minute() {
        assert_eq!(touch_interval_ms(Duration::from_secs(12 * 3600)), 60_000);
        assert_eq!(touch_interval_ms(Duration::from_secs(60)), 15_000);
    }
}
