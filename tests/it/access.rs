//! Accounts and access (the publishing spec, "Accounts and access"): users, API tokens, web
//! sessions, the login throttle and the audit log, through the library as the HTTP layer
//! calls it and through the `users`, `tokens` and `audit` commands, on SQLite and on
//! PostgreSQL (`scripts/with-postgres.sh` provides the server).

use crate::kit;
use std::process::Output;
use std::time::Duration;

use iarss::access::{
    Access, AccessError, AccessSettings, Caller, LoginOutcome, Role, Scope, SessionInfo,
};
use iarss::model::Domain;
use iarss::store::{NewPage, Store};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// A fresh SQLite database in its own scratch directory.
fn sqlite_db(test: &str) -> String {
    let dir = kit::scratch(&format!("access-sqlite-{test}"));
    format!("sqlite://{}", dir.join("iarss.db").display())
}

/// Runs an async scenario to its end.
fn block_on<F: Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f);
}

/// One test per backend for each `async fn scenario(db: &str)`.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $scenario() {
                    let db = super::sqlite_db(stringify!($scenario));
                    super::block_on(super::$scenario(&db));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $scenario() {
                    let db = crate::kit::PgDb::create(stringify!($scenario));
                    super::block_on(super::$scenario(db.url()));
                }
            )*
        }
    };
}

on_both_backends!(
    scenario_passwords_are_argon2id_and_emails_case_insensitive,
    scenario_tokens_are_shown_once_and_stored_hashed,
    scenario_tokens_of_a_removed_user_stop_working,
    scenario_publishers_reach_their_pages_only,
    scenario_sessions_expire_when_idle_and_end_at_logout,
    scenario_each_login_makes_a_new_session,
    scenario_logins_are_limited_per_account_and_address,
    scenario_logins_are_limited_per_address,
    scenario_concurrent_guesses_cannot_pass_the_limit,
    scenario_many_addresses_slow_an_account_but_never_lock_it,
    scenario_cli_manages_users_tokens_and_audit,
    scenario_the_last_operator_stays_and_no_one_removes_themselves,
    scenario_sessions_end_at_their_maximum_age,
);

/// No one removes themselves, and the last operator is never removed, even by two
/// removals at once.
async fn scenario_the_last_operator_stays_and_no_one_removes_themselves(db: &str) {
    let access = access_with_pages(db).await;
    for email in ["op1@example.com", "op2@example.com"] {
        access
            .add_user(&Caller::cli(), email, PASSWORD, Role::Operator, &[])
            .await
            .unwrap();
    }
    let (_, op1) = logged_in(&access, "op1@example.com", ADDRESS).await;
    let own = access.remove_user(&op1.caller, "op1@example.com").await;
    assert!(
        matches!(&own, Err(AccessError::Invalid(m)) if m.contains("yourself")),
        "{own:?}"
    );
    // Two removals at once of the only two operators: one goes through.
    let cli = Caller::cli();
    let (a, b) = tokio::join!(
        access.remove_user(&cli, "op1@example.com"),
        access.remove_user(&cli, "op2@example.com"),
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    let refused = if a.is_err() { a } else { b };
    assert!(
        matches!(&refused, Err(AccessError::Invalid(m)) if m.contains("last operator")),
        "{refused:?}"
    );
    let operators = access
        .users()
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.role == Role::Operator)
        .count();
    assert_eq!(operators, 1);
    access.store().close().await;
}

/// A session ends `session_max_age` after its login however much it is used.
async fn scenario_sessions_end_at_their_maximum_age(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let short = Access::new(
        access.store().clone(),
        AccessSettings {
            session_max_age: Duration::from_millis(600),
            ..AccessSettings::default()
        },
    );
    let (cookie, _) = logged_in(&short, "ed@example.com", ADDRESS).await;
    // Used all the time: the idle limit never ends it, the age does.
    for _ in 0..3 {
        assert!(short.session(&cookie, None).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(short.session(&cookie, None).await.unwrap().is_none());
    access.store().close().await;
}

const PASSWORD: &str = "correct horse battery";
const ADDRESS: &str = "192.0.2.10";

/// The store at `db` with pages `news` and `sport`, and access over it.
async fn access_with_pages(db: &str) -> Access {
    let store = Store::open(db).await.expect("open the store");
    for (id, domain) in [("news", "news.example.com"), ("sport", "sport.example.com")] {
        store
            .add_page(&NewPage {
                id: id.into(),
                name: id.into(),
                domain: Domain::parse(domain).expect("domain"),
                feed_url: Some(format!("https://{domain}/feed.xml")),
                dev_feed_url: None,
                enabled: true,
            })
            .await
            .expect("add page");
    }
    Access::new(store, AccessSettings::default())
}

async fn add_publisher(access: &Access, email: &str, pages: &[&str]) {
    let pages: Vec<String> = pages.iter().map(ToString::to_string).collect();
    access
        .add_user(&Caller::cli(), email, PASSWORD, Role::Publisher, &pages)
        .await
        .expect("add user");
}

async fn login(access: &Access, email: &str, password: &str, address: &str) -> LoginOutcome {
    access
        .login(email, password, address)
        .await
        .expect("login answers")
}

/// The session a successful login made: its cookie value and what it finds.
async fn logged_in(access: &Access, email: &str, address: &str) -> (String, SessionInfo) {
    match login(access, email, PASSWORD, address).await {
        LoginOutcome::Success { session, caller } => {
            assert_eq!(caller.address.as_deref(), Some(address));
            let info = access
                .session(&session.cookie_value, Some(address))
                .await
                .expect("session")
                .expect("the new session is valid");
            assert_eq!(info.form_token, session.form_token);
            assert_eq!(info.caller.email, caller.email);
            (session.cookie_value, info)
        }
        other => panic!("login of {email} failed: {other:?}"),
    }
}

/// Every audit row, oldest first, as (actor, action, object, page).
async fn audit(access: &Access) -> Vec<(String, String, Option<String>, Option<String>)> {
    let mut rows: Vec<_> = access
        .audit_log(None, 1000)
        .await
        .expect("audit log")
        .into_iter()
        .map(|e| (e.actor, e.action, e.object, e.page_id))
        .collect();
    rows.reverse();
    rows
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Passwords are stored as argon2id PHC strings that verify; e-mail addresses are trimmed,
/// lower-cased and compared case-insensitively; short passwords and malformed addresses are
/// refused; wrong passwords and unknown addresses get the same answer.
async fn scenario_passwords_are_argon2id_and_emails_case_insensitive(db: &str) {
    let access = access_with_pages(db).await;
    let cli = Caller::cli();
    let user = access
        .add_user(
            &cli,
            "  Ed@Example.COM ",
            PASSWORD,
            Role::Publisher,
            &["news".into()],
        )
        .await
        .expect("add user");
    assert_eq!(user.email, "ed@example.com");
    assert_eq!(user.role, Role::Publisher);
    assert_eq!(user.pages, vec!["news".to_string()]);
    let row = sqlx::query("SELECT email, password_hash FROM users")
        .fetch_one(access.store().pool())
        .await
        .expect("read users");
    let hash: String = row.try_get("password_hash").expect("hash");
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    assert_eq!(row.try_get::<String, _>("email").unwrap(), "ed@example.com");

    assert!(matches!(
        access
            .add_user(&cli, "ED@example.com", PASSWORD, Role::Operator, &[])
            .await,
        Err(AccessError::UserExists(e)) if e == "ed@example.com"
    ));
    assert!(matches!(
        access.add_user(&cli, "jo@example.com", "short", Role::Operator, &[]).await,
        Err(AccessError::Invalid(m)) if m.contains("at least 8") && !m.contains("short")
    ));
    assert!(matches!(
        access
            .add_user(&cli, "not an address", PASSWORD, Role::Operator, &[])
            .await,
        Err(AccessError::Invalid(_))
    ));
    assert!(matches!(
        access
            .add_user(&cli, "jo@example.com", PASSWORD, Role::Publisher, &["nope".into()])
            .await,
        Err(AccessError::NoSuchPage(p)) if p == "nope"
    ));
    let publisher = Caller {
        role: Role::Publisher,
        ..Caller::cli()
    };
    assert!(matches!(
        access
            .add_user(&publisher, "jo@example.com", PASSWORD, Role::Operator, &[])
            .await,
        Err(AccessError::Invalid(_))
    ));
    assert!(access.user("jo@example.com").await.unwrap().is_none());
    assert_eq!(
        access.user("ED@EXAMPLE.COM").await.unwrap().map(|u| u.id),
        Some(user.id)
    );

    let (_, info) = logged_in(&access, " ED@example.Com", ADDRESS).await;
    assert_eq!(info.caller.email, "ed@example.com");
    assert_eq!(info.caller.user_id, Some(user.id));
    assert_eq!(
        login(&access, "ed@example.com", "correct horse battery!", ADDRESS).await,
        LoginOutcome::Invalid
    );
    assert_eq!(
        login(&access, "nobody@example.com", PASSWORD, ADDRESS).await,
        LoginOutcome::Invalid
    );

    let json = serde_json::to_value(access.users().await.unwrap()).unwrap();
    assert_eq!(json[0]["email"], "ed@example.com");
    assert_eq!(json[0]["role"], "publisher");
    assert_eq!(json[0]["pages"], serde_json::json!(["news"]));
    assert!(json[0]["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(json[0].get("password_hash").is_none());

    let rows = audit(&access).await;
    let actions: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        actions,
        ["user_created", "login", "login_failed", "login_failed"]
    );
    assert_eq!(rows[0].0, "cli");
    assert_eq!(rows[0].2.as_deref(), Some("ed@example.com"));
    assert_eq!(rows[2].0, "ed@example.com");
    assert_eq!(rows[3].0, "nobody@example.com");
    let entries = access.audit_log(None, 10).await.unwrap();
    assert!(
        entries
            .iter()
            .filter(|e| e.action.starts_with("login"))
            .all(|e| e.address.as_deref() == Some(ADDRESS))
    );
    // Keyset paging, newest first.
    let older = access.audit_log(Some(entries[1].id), 10).await.unwrap();
    assert_eq!(older.len(), 2);
    assert!(older[0].id < entries[1].id);
    access.store().close().await;
}

/// A token is `iarss_…`, returned once, stored only as its SHA-256, authenticates as its
/// user until it is revoked, and is never listed with its value.
async fn scenario_tokens_are_shown_once_and_stored_hashed(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let (info, token) = access
        .create_token(&Caller::cli(), "Ed@Example.com", Some("ci"))
        .await
        .expect("create token");
    assert!(
        token.starts_with("iarss_") && token.len() >= 6 + 22,
        "{token}"
    );
    assert_eq!(info.user_email, "ed@example.com");
    assert_eq!(info.name.as_deref(), Some("ci"));
    assert!(info.last_used_at.is_none() && info.revoked_at.is_none());

    let rows = sqlx::query("SELECT * FROM api_tokens")
        .fetch_all(access.store().pool())
        .await
        .expect("read tokens");
    assert_eq!(rows.len(), 1);
    let stored: String = rows[0].try_get("token_hash").unwrap();
    assert_eq!(stored, sha256_hex(&token));
    let name: String = rows[0].try_get("name").unwrap();
    assert!(!name.contains(&token[6..]) && !stored.contains(&token[6..]));

    let caller = access
        .authenticate_token(&token, Some(ADDRESS))
        .await
        .unwrap()
        .expect("the token authenticates");
    assert_eq!(caller.email, "ed@example.com");
    assert_eq!(caller.role, Role::Publisher);
    assert_eq!(caller.scope, Scope::Pages(vec!["news".into()]));
    assert_eq!(caller.address.as_deref(), Some(ADDRESS));
    assert!(!format!("{caller:?}").contains(&token[6..]));
    for wrong in [
        format!("{token}x"),
        token.replacen("iarss_", "iarsz_", 1),
        token[..token.len() - 1].to_string(),
        String::new(),
    ] {
        assert!(
            access
                .authenticate_token(&wrong, None)
                .await
                .unwrap()
                .is_none(),
            "{wrong}"
        );
    }
    let listed = access.tokens(Some("ED@example.com")).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "use is recorded");
    let json = serde_json::to_string(&access.tokens(None).await.unwrap()).unwrap();
    assert!(
        !json.contains(&token[6..]) && !json.contains(&stored),
        "{json}"
    );
    assert!(
        access
            .tokens(Some("jo@example.com"))
            .await
            .unwrap()
            .is_empty()
    );

    // A publisher revokes only its own tokens; others' are "not found".
    let (_, other) = access
        .create_token(&Caller::cli(), "ed@example.com", None)
        .await
        .unwrap();
    let stranger = Caller {
        user_id: Some(9999),
        email: "x@example.com".into(),
        role: Role::Publisher,
        scope: Scope::Pages(vec![]),
        address: None,
    };
    assert!(matches!(
        access.revoke_token(&stranger, info.id).await,
        Err(AccessError::NoSuchToken(id)) if id == info.id
    ));
    access
        .revoke_token(&caller, info.id)
        .await
        .expect("own token");
    assert!(
        access
            .authenticate_token(&token, None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        access
            .authenticate_token(&other, None)
            .await
            .unwrap()
            .is_some()
    );
    access
        .revoke_token(&Caller::cli(), info.id)
        .await
        .expect("again: no change");
    assert!(matches!(
        access.revoke_token(&Caller::cli(), 424242).await,
        Err(AccessError::NoSuchToken(424242))
    ));
    let revoked = access.tokens(None).await.unwrap();
    assert!(revoked[0].revoked_at.is_some() && revoked[1].revoked_at.is_none());

    let rows = audit(&access).await;
    let actions: Vec<(&str, &str)> = rows.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(
        actions,
        [
            ("cli", "user_created"),
            ("cli", "token_created"),
            ("cli", "token_created"),
            ("ed@example.com", "token_revoked"),
        ]
    );
    assert_eq!(rows[1].2, Some(format!("token {}", info.id)));
    let entries = access.audit_log(None, 10).await.unwrap();
    assert!(entries.iter().all(|e| {
        let text = format!("{e:?}");
        !text.contains(&token[6..]) && !text.contains(&other[6..])
    }));
    access.store().close().await;
}

/// Removing a user removes its tokens and sessions: they authenticate nothing.
async fn scenario_tokens_of_a_removed_user_stop_working(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let (_, token) = access
        .create_token(&Caller::cli(), "ed@example.com", None)
        .await
        .unwrap();
    let (cookie, _) = logged_in(&access, "ed@example.com", ADDRESS).await;
    assert!(
        access
            .authenticate_token(&token, None)
            .await
            .unwrap()
            .is_some()
    );
    access
        .remove_user(&Caller::cli(), "ED@example.com")
        .await
        .expect("remove");
    assert!(
        access
            .authenticate_token(&token, None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(access.session(&cookie, None).await.unwrap().is_none());
    assert!(access.tokens(None).await.unwrap().is_empty());
    assert!(matches!(
        access.remove_user(&Caller::cli(), "ed@example.com").await,
        Err(AccessError::NoSuchUser(_))
    ));
    // The address can be used again, and the old token still does not work.
    add_publisher(&access, "ed@example.com", &["news"]).await;
    assert!(
        access
            .authenticate_token(&token, None)
            .await
            .unwrap()
            .is_none()
    );
    let actions: Vec<String> = audit(&access).await.into_iter().map(|r| r.1).collect();
    assert_eq!(
        actions,
        [
            "user_created",
            "token_created",
            "login",
            "user_removed",
            "user_created"
        ]
    );
    access.store().close().await;
}

/// A publisher's scope is its memberships, read at each request; operators reach every
/// page; membership changes are audited with their page.
async fn scenario_publishers_reach_their_pages_only(db: &str) {
    let access = access_with_pages(db).await;
    let cli = Caller::cli();
    add_publisher(&access, "ed@example.com", &["news"]).await;
    access
        .add_user(&cli, "ops@example.com", PASSWORD, Role::Operator, &[])
        .await
        .unwrap();
    assert!(matches!(
        access
            .add_user(
                &cli,
                "op2@example.com",
                PASSWORD,
                Role::Operator,
                &["news".into()]
            )
            .await,
        Err(AccessError::Invalid(_))
    ));
    let (cookie, info) = logged_in(&access, "ed@example.com", ADDRESS).await;
    assert!(info.caller.scope.allows("news") && !info.caller.scope.allows("sport"));
    assert!(!info.caller.is_operator());

    access
        .add_user_page(&cli, "ed@example.com", "sport")
        .await
        .unwrap();
    access
        .add_user_page(&cli, "ed@example.com", "sport")
        .await
        .unwrap();
    let info = access.session(&cookie, None).await.unwrap().unwrap();
    assert_eq!(
        info.caller.scope.page_ids(),
        Some(&["news".to_string(), "sport".to_string()][..])
    );
    access
        .remove_user_page(&cli, "ed@example.com", "news")
        .await
        .unwrap();
    assert!(matches!(
        access
            .remove_user_page(&cli, "ed@example.com", "news")
            .await,
        Err(AccessError::Invalid(_))
    ));
    assert!(matches!(
        access.add_user_page(&cli, "ed@example.com", "weather").await,
        Err(AccessError::NoSuchPage(p)) if p == "weather"
    ));
    assert!(matches!(
        access
            .add_user_page(&cli, "nobody@example.com", "news")
            .await,
        Err(AccessError::NoSuchUser(_))
    ));
    assert!(matches!(
        access.add_user_page(&cli, "ops@example.com", "news").await,
        Err(AccessError::Invalid(_))
    ));
    let info = access.session(&cookie, None).await.unwrap().unwrap();
    assert_eq!(info.caller.scope, Scope::Pages(vec!["sport".into()]));

    // A publisher makes tokens for itself only.
    assert!(matches!(
        access
            .create_token(&info.caller, "ops@example.com", None)
            .await,
        Err(AccessError::NoSuchUser(_))
    ));
    let (_, own) = access
        .create_token(&info.caller, "ed@example.com", Some("mine"))
        .await
        .expect("own token");
    let by_token = access
        .authenticate_token(&own, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_token.scope, Scope::Pages(vec!["sport".into()]));

    let (_, ops) = logged_in(&access, "ops@example.com", ADDRESS).await;
    assert!(ops.caller.is_operator() && ops.caller.scope == Scope::All);

    let memberships: Vec<(String, Option<String>)> = audit(&access)
        .await
        .into_iter()
        .filter(|r| r.1.starts_with("user_page"))
        .map(|r| (r.1, r.3))
        .collect();
    assert_eq!(
        memberships,
        [
            ("user_page_added".to_string(), Some("sport".to_string())),
            ("user_page_removed".to_string(), Some("news".to_string())),
        ]
    );
    let users = access.users().await.unwrap();
    assert_eq!(
        users.iter().map(|u| u.email.as_str()).collect::<Vec<_>>(),
        ["ed@example.com", "ops@example.com"]
    );
    assert!(users[1].pages.is_empty());
    access.store().close().await;
}

/// A session unused for `session_ttl` has expired (and is deleted); logging out deletes
/// it; a cookie whose secret is wrong finds nothing; the store keeps only the secret's hash.
async fn scenario_sessions_expire_when_idle_and_end_at_logout(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let (cookie, info) = logged_in(&access, "ed@example.com", ADDRESS).await;
    let (id, secret) = cookie.split_once('.').expect("id.secret");
    assert_eq!(info.id, id);
    let row = sqlx::query("SELECT id, secret_hash FROM sessions")
        .fetch_one(access.store().pool())
        .await
        .unwrap();
    assert_eq!(
        row.try_get::<String, _>("secret_hash").unwrap(),
        sha256_hex(secret)
    );
    assert!(!format!("{info:?}").contains(secret) && !format!("{info:?}").contains(id));
    let forged = format!("{id}.{}", "A".repeat(secret.len()));
    assert!(access.session(&forged, None).await.unwrap().is_none());
    assert!(access.session("garbage", None).await.unwrap().is_none());
    access.logout(&forged).await.unwrap();
    assert!(
        access.session(&cookie, None).await.unwrap().is_some(),
        "a wrong secret logs nothing out"
    );

    // Idle for just under the lifetime: still valid, and the use is recorded.
    let ttl = access.settings().session_ttl.as_millis() as i64;
    let now = iarss::model::now_ms();
    set_last_seen(&access, id, now - ttl + 60_000).await;
    assert!(access.session(&cookie, None).await.unwrap().is_some());
    let seen = last_seen(&access, id).await.expect("still there");
    assert!(seen >= now, "touched: {seen} < {now}");
    // Idle for longer than the lifetime: expired, and gone.
    set_last_seen(&access, id, now - ttl - 1).await;
    assert!(access.session(&cookie, None).await.unwrap().is_none());
    assert!(
        last_seen(&access, id).await.is_none(),
        "an expired session is deleted"
    );

    let (cookie, _) = logged_in(&access, "ed@example.com", ADDRESS).await;
    access.logout(&cookie).await.unwrap();
    assert!(access.session(&cookie, None).await.unwrap().is_none());
    access.logout(&cookie).await.unwrap();

    // A short lifetime from the settings applies as well.
    let short = Access::new(
        access.store().clone(),
        AccessSettings {
            session_ttl: Duration::from_millis(300),
            ..AccessSettings::default()
        },
    );
    let (cookie, _) = logged_in(&short, "ed@example.com", ADDRESS).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(short.session(&cookie, None).await.unwrap().is_none());
    access.store().close().await;
}

async fn set_last_seen(access: &Access, id: &str, at: i64) {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(access.store().pool())
        .await
        .unwrap();
}

async fn last_seen(access: &Access, id: &str) -> Option<i64> {
    sqlx::query("SELECT last_seen_at FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(access.store().pool())
        .await
        .unwrap()
        .map(|r| r.try_get("last_seen_at").unwrap())
}

/// Every login makes a new session with its own id, secret and form token.
async fn scenario_each_login_makes_a_new_session(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let (first, a) = logged_in(&access, "ed@example.com", ADDRESS).await;
    let (second, b) = logged_in(&access, "ed@example.com", ADDRESS).await;
    assert_ne!(first, second);
    assert_ne!(a.id, b.id);
    assert_ne!(a.form_token, b.form_token);
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM sessions")
        .fetch_one(access.store().pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(count, 2);
    access.logout(&first).await.unwrap();
    assert!(access.session(&first, None).await.unwrap().is_none());
    assert!(access.session(&second, None).await.unwrap().is_some());
    access.store().close().await;
}

fn throttled(outcome: &LoginOutcome, lockout: Duration) -> bool {
    match outcome {
        LoginOutcome::Throttled { retry_after } => {
            assert!(
                *retry_after <= lockout && *retry_after > lockout - Duration::from_secs(60),
                "{retry_after:?}"
            );
            true
        }
        _ => false,
    }
}

/// Five failed logins for one account from one address (typed in any case) within the
/// window: the sixth from there answers Throttled even with the right password; the owner
/// signs in from another address as usual (no one can lock an account), other accounts
/// are not affected, every failure is audited.
async fn scenario_logins_are_limited_per_account_and_address(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    add_publisher(&access, "jo@example.com", &["news"]).await;
    let lockout = access.settings().login_lockout;
    for i in 0..5 {
        let email = if i % 2 == 0 {
            "ED@example.com"
        } else {
            "ed@example.com"
        };
        assert_eq!(
            login(&access, email, "wrong password", "198.51.100.1").await,
            LoginOutcome::Invalid,
            "failure {i}"
        );
    }
    let sixth = login(&access, "ed@example.com", PASSWORD, "198.51.100.1").await;
    assert!(throttled(&sixth, lockout), "{sixth:?}");
    // Another account from that address, and the owner from elsewhere, sign in.
    logged_in(&access, "jo@example.com", "198.51.100.1").await;
    logged_in(&access, "ed@example.com", ADDRESS).await;
    let attacker_again = login(&access, "ed@example.com", "wrong password", "198.51.100.1").await;
    assert!(
        matches!(attacker_again, LoginOutcome::Invalid),
        "the owner's login forgot the account's failures: {attacker_again:?}"
    );

    let rows = audit(&access).await;
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 == "login_failed")
        .map(|r| r.0.as_str())
        .collect();
    assert_eq!(failed, ["ed@example.com"; 6]);

    // Once the window has passed, the pair may try again.
    for _ in 0..5 {
        login(&access, "ed@example.com", "wrong password", "198.51.100.2").await;
    }
    assert!(matches!(
        login(&access, "ed@example.com", PASSWORD, "198.51.100.2").await,
        LoginOutcome::Throttled { .. }
    ));
    sqlx::query("UPDATE login_limits SET window_start = window_start - $1")
        .bind(lockout.as_millis() as i64)
        .execute(access.store().pool())
        .await
        .unwrap();
    logged_in(&access, "ed@example.com", "198.51.100.2").await;

    // An unknown account is limited the same way.
    for _ in 0..5 {
        assert_eq!(
            login(&access, "ghost@example.com", PASSWORD, "198.51.100.50").await,
            LoginOutcome::Invalid
        );
    }
    let ghost = login(&access, "ghost@example.com", PASSWORD, "198.51.100.50").await;
    assert!(throttled(&ghost, lockout), "{ghost:?}");
    access.store().close().await;
}

/// Twenty attempts from one address over any accounts within the window: the next login
/// from there answers Throttled even with the right password; other addresses sign in.
async fn scenario_logins_are_limited_per_address(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let settings = AccessSettings {
        login_max_failures: 3,
        login_lockout: Duration::from_secs(600),
        ..AccessSettings::default()
    };
    // 4 × 3 attempts from one address over all accounts.
    let strict = Access::new(access.store().clone(), settings.clone());
    for i in 0..12 {
        assert_eq!(
            login(
                &strict,
                &format!("guess{i}@example.com"),
                "whatever1",
                ADDRESS
            )
            .await,
            LoginOutcome::Invalid
        );
    }
    let right = login(&strict, "ed@example.com", PASSWORD, ADDRESS).await;
    assert!(throttled(&right, settings.login_lockout), "{right:?}");
    logged_in(&strict, "ed@example.com", "203.0.113.5").await;
    let from_address = access
        .audit_log(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "login_failed" && e.address.as_deref() == Some(ADDRESS))
        .count();
    assert_eq!(from_address, 12);
    access.store().close().await;
}

/// Guesses made at once are counted before their passwords are checked: 40 concurrent
/// guesses for one account from one address get five password checks (the right password
/// among the later ones is refused too), and the rest are refused without a check.
async fn scenario_concurrent_guesses_cannot_pass_the_limit(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..40 {
        let access = access.clone();
        guesses.spawn(async move {
            let password = if i == 39 { PASSWORD } else { "wrong password" };
            login(&access, "ed@example.com", password, "198.51.100.9").await
        });
    }
    let (mut checked, mut refused, mut signed_in) = (0, 0, 0);
    while let Some(outcome) = guesses.join_next().await {
        match outcome.unwrap() {
            LoginOutcome::Invalid => checked += 1,
            LoginOutcome::Throttled { .. } => refused += 1,
            LoginOutcome::Success { .. } => signed_in += 1,
        }
    }
    assert!(
        checked + signed_in <= 5,
        "{checked} checked, {signed_in} signed in"
    );
    assert_eq!(checked + signed_in + refused, 40);
    let audited = audit(&access)
        .await
        .iter()
        .filter(|r| r.1 == "login_failed")
        .count();
    assert_eq!(audited, checked);
    access.store().close().await;
}

/// An account guessed at from many addresses is slowed, never locked: past 50 attempts
/// within the window each check waits a second, and its owner still signs in.
async fn scenario_many_addresses_slow_an_account_but_never_lock_it(db: &str) {
    let access = access_with_pages(db).await;
    add_publisher(&access, "ed@example.com", &["news"]).await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..60 {
        let access = access.clone();
        guesses.spawn(async move {
            let address = format!("198.51.{}.{}", i / 250, i % 250);
            login(&access, "ed@example.com", "wrong password", &address).await
        });
    }
    while let Some(outcome) = guesses.join_next().await {
        assert_eq!(
            outcome.unwrap(),
            LoginOutcome::Invalid,
            "checked, not refused"
        );
    }
    let started = std::time::Instant::now();
    logged_in(&access, "ed@example.com", ADDRESS).await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the check of a guessed-at account is slowed"
    );
    // The owner's login forgot the account's failures: the next login is not slowed.
    let started = std::time::Instant::now();
    logged_in(&access, "ed@example.com", ADDRESS).await;
    assert!(started.elapsed() < Duration::from_secs(1));
    access.store().close().await;
}

// ----------------------------------------------------------------------------------------
// The command line
// ----------------------------------------------------------------------------------------

/// `iarss --db DB ARGS` with no `IARSS_…` variable inherited, standard input as given.
fn cli(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = kit::iarss();
    for (k, _) in std::env::vars() {
        if k.starts_with("IARSS_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--db").arg(db).args(args);
    match stdin {
        Some(input) => {
            use std::io::Write;
            let mut child = cmd
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn iarss");
            let mut pipe = child.stdin.take().expect("stdin");
            let _ = pipe.write_all(input.as_bytes());
            drop(pipe);
            child.wait_with_output().expect("wait")
        }
        None => cmd
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run iarss"),
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Runs `iarss ARGS`, which must exit with `code`; never shows the password.
fn expect(db: &str, args: &[&str], stdin: Option<&str>, code: i32) -> Output {
    let out = cli(db, args, stdin);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(
        out.status.code(),
        Some(code),
        "iarss {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "iarss {args:?} shows the password\nstdout: {stdout}\nstderr: {stderr}"
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out.stdout)))
}

/// `users`, `tokens` and `audit` end to end through the binary: add with
/// `--password-stdin`, list as JSON, create a token (printed once), list and revoke it; the
/// audit log lists each change; bad input exits 2, missing objects exit 1 naming them; the
/// password never appears in any output.
async fn scenario_cli_manages_users_tokens_and_audit(db: &str) {
    // The commands run one after the other and each is short: waiting for them on this
    // thread holds nothing else up.
    let password_line = format!("{PASSWORD}\n");
    {
        let stdin = Some(password_line.as_str());
        expect(
            db,
            &[
                "pages",
                "add",
                "--id",
                "news",
                "--domain",
                "news.example.com",
                "--feed",
                "https://news.example.com/f.xml",
            ],
            None,
            0,
        );
        let out = expect(
            db,
            &[
                "users",
                "add",
                "Ed@Example.com",
                "--page",
                "news",
                "--password-stdin",
            ],
            stdin,
            0,
        );
        assert!(
            text(&out.stdout).contains("ed@example.com"),
            "{}",
            text(&out.stdout)
        );
        expect(
            db,
            &[
                "users",
                "add",
                "ops@example.com",
                "--operator",
                "--password-stdin",
            ],
            stdin,
            0,
        );

        // Refusals: no terminal and no --password-stdin; a short password; a missing page;
        // a taken address; neither --operator nor --page.
        let out = expect(
            db,
            &["users", "add", "jo@example.com", "--operator"],
            None,
            2,
        );
        assert!(
            text(&out.stderr).contains("--password-stdin"),
            "{}",
            text(&out.stderr)
        );
        let out = expect(
            db,
            &[
                "users",
                "add",
                "jo@example.com",
                "--operator",
                "--password-stdin",
            ],
            Some("short\n"),
            2,
        );
        assert!(text(&out.stderr).contains("at least 8"));
        let out = expect(
            db,
            &[
                "users",
                "add",
                "jo@example.com",
                "--page",
                "news",
                "weather",
                "--password-stdin",
            ],
            stdin,
            1,
        );
        assert!(
            text(&out.stderr).contains("weather"),
            "{}",
            text(&out.stderr)
        );
        let out = expect(
            db,
            &[
                "users",
                "add",
                "ED@example.com",
                "--operator",
                "--password-stdin",
            ],
            stdin,
            1,
        );
        assert!(text(&out.stderr).contains("already exists"));
        expect(
            db,
            &["users", "add", "jo@example.com", "--password-stdin"],
            stdin,
            2,
        );

        let users = json(&expect(db, &["users", "list", "--format", "json"], None, 0));
        assert_eq!(users.as_array().unwrap().len(), 2, "{users:#}");
        assert_eq!(users[0]["email"], "ed@example.com");
        assert_eq!(users[0]["role"], "publisher");
        assert_eq!(users[0]["pages"], serde_json::json!(["news"]));
        assert_eq!(users[1]["role"], "operator");
        let listed = text(&expect(db, &["users", "list"], None, 0).stdout);
        assert!(
            listed.contains("ed@example.com") && listed.contains("news"),
            "{listed}"
        );

        // A new password from standard input; the old one no longer logs in.
        let out = expect(
            db,
            &["users", "passwd", "ED@example.com", "--password-stdin"],
            Some("a brand new secret\n"),
            0,
        );
        assert!(
            text(&out.stdout).contains("ed@example.com"),
            "{}",
            text(&out.stdout)
        );
        expect(
            db,
            &["users", "passwd", "nobody@example.com", "--password-stdin"],
            stdin,
            1,
        );
        expect(
            db,
            &["users", "passwd", "ed@example.com", "--password-stdin"],
            Some("short\n"),
            2,
        );
        // A token in text: alone on stdout.
        let out = expect(
            db,
            &[
                "tokens",
                "create",
                "--user",
                "ed@example.com",
                "--name",
                "ci",
            ],
            None,
            0,
        );
        let stdout = text(&out.stdout);
        let token = stdout.trim_end_matches('\n');
        assert!(
            token.starts_with("iarss_") && !token.contains(char::is_whitespace),
            "{stdout:?}"
        );
        assert_eq!(stdout.lines().count(), 1);
        // And in JSON.
        let created = json(&expect(
            db,
            &[
                "tokens",
                "create",
                "--user",
                "ED@example.com",
                "--format",
                "json",
            ],
            None,
            0,
        ));
        let second = created["token"].as_str().unwrap().to_string();
        assert!(second.starts_with("iarss_") && second != token);
        assert_eq!(created["user_email"], "ed@example.com");
        assert!(created["id"].is_i64() && created["name"].is_null());

        let tokens = json(&expect(
            db,
            &["tokens", "list", "--format", "json"],
            None,
            0,
        ));
        let tokens = tokens.as_array().unwrap();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0]["name"], "ci");
        let listing = serde_json::to_string(tokens).unwrap();
        assert!(!listing.contains(&token[6..]) && !listing.contains(&second[6..]));
        let first_id = tokens[0]["id"].as_i64().unwrap().to_string();
        let table =
            text(&expect(db, &["tokens", "list", "--user", "ed@example.com"], None, 0).stdout);
        assert!(table.contains("ci") && table.contains("active"), "{table}");
        assert!(!table.contains(&token[6..]));
        let out = expect(
            db,
            &["tokens", "list", "--user", "nobody@example.com"],
            None,
            1,
        );
        assert!(text(&out.stderr).contains("nobody@example.com"));

        // Both tokens authenticate, until one is revoked.
        let store = Store::open(db).await.expect("open the store");
        let access = Access::new(store.clone(), AccessSettings::default());
        let authenticated = |value: String| {
            let access = access.clone();
            async move {
                access
                    .authenticate_token(&value, None)
                    .await
                    .unwrap()
                    .is_some()
            }
        };
        assert!(authenticated(token.to_string()).await);
        assert!(authenticated(second.clone()).await);
        let out = expect(db, &["tokens", "revoke", &first_id], None, 0);
        assert!(text(&out.stdout).contains("revoked"));
        assert!(!authenticated(token.to_string()).await);
        assert!(authenticated(second.clone()).await);
        store.close().await;
        expect(db, &["tokens", "revoke", "99999"], None, 1);
        let tokens = json(&expect(
            db,
            &["tokens", "list", "--format", "json"],
            None,
            0,
        ));
        assert!(
            tokens[0]["revoked_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );

        expect(
            db,
            &["users", "pages", "ed@example.com", "--remove", "news"],
            None,
            0,
        );
        expect(
            db,
            &["users", "pages", "ed@example.com", "--add", "weather"],
            None,
            1,
        );
        expect(db, &["users", "pages", "ed@example.com"], None, 2);
        // The last operator stays; with a second one, either may go.
        let out = expect(db, &["users", "remove", "ops@example.com"], None, 2);
        assert!(
            text(&out.stderr).contains("last operator"),
            "{}",
            text(&out.stderr)
        );
        expect(
            db,
            &[
                "users",
                "add",
                "second@example.com",
                "--operator",
                "--password-stdin",
            ],
            stdin,
            0,
        );
        expect(db, &["users", "remove", "ops@example.com"], None, 0);
        expect(db, &["users", "remove", "ops@example.com"], None, 1);

        let entries = json(&expect(db, &["audit", "--format", "json"], None, 0));
        let entries = entries.as_array().unwrap();
        let actions: Vec<&str> = entries
            .iter()
            .rev()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "user_created",
                "user_created",
                "password_set",
                "token_created",
                "token_created",
                "token_revoked",
                "user_page_removed",
                "user_created",
                "user_removed",
            ]
        );
        assert!(
            entries
                .iter()
                .all(|e| e["actor"] == "cli" && e["address"].is_null())
        );
        assert!(entries[0]["at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(entries[2]["page_id"], "news");
        let limited = json(&expect(
            db,
            &["audit", "--limit", "2", "--format", "json"],
            None,
            0,
        ));
        assert_eq!(limited.as_array().unwrap().len(), 2);
        let before = entries[5]["id"].as_i64().unwrap().to_string();
        let older = json(&expect(
            db,
            &["audit", "--before", &before, "--format", "json"],
            None,
            0,
        ));
        assert_eq!(older.as_array().unwrap().len(), 3);
        let table = text(&expect(db, &["audit"], None, 0).stdout);
        assert!(
            table.contains("token_revoked") && table.contains("user_removed"),
            "{table}"
        );
        let all = serde_json::to_string(&entries).unwrap();
        assert!(
            !all.contains(PASSWORD) && !all.contains(&token[6..]) && !all.contains(&second[6..])
        );
        // The password `users passwd` set logs in; the one before does not.
        {
            let store = Store::open(db).await.expect("open the store");
            let access = Access::new(store.clone(), AccessSettings::default());
            let login = |password: &'static str| {
                let access = access.clone();
                async move {
                    matches!(
                        access
                            .login("ed@example.com", password, "127.0.0.1")
                            .await
                            .unwrap(),
                        LoginOutcome::Success { .. }
                    )
                }
            };
            assert!(login("a brand new secret").await);
            assert!(!login(PASSWORD).await);
            store.close().await;
        }
    }
}
