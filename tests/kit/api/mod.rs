//! The API under test: the real router on a real listener on 127.0.0.1, over a fresh store
//! (SQLite file or PostgreSQL database), with two pages, an operator, a publisher of each
//! page and their tokens; and a small HTTP client over reqwest.

#![allow(dead_code)]

pub mod contract;
pub mod load;

use std::sync::Arc;
use std::time::Duration;

use iarss::access::{Access, AccessSettings, Caller, Role, SecureCookies};
use iarss::fetch::{FetchConfig, Fetcher};
use iarss::http::{AppState, router};
use iarss::model::Domain;
use iarss::schedule::Heartbeat;
use iarss::service::Service;
use iarss::store::{NewPage, Store};
use serde_json::Value;

/// The pages every server starts with.
pub const NEWS: &str = "news";
/// Its domain.
pub const NEWS_DOMAIN: &str = "example.com";
/// The other page.
pub const SPORT: &str = "sport";
/// Its domain.
pub const SPORT_DOMAIN: &str = "sport.example.org";

/// What a test server may be started with.
#[derive(Default)]
pub struct ApiOptions {
    /// Fetch settings (the body cap, the SSRF guard).
    pub fetch: FetchConfig,
    /// How imports, edits and dry runs check (the zone, the parse budget).
    pub run: iarss::ingest::RunOptions,
    /// `web.trusted_proxies`.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// E-mail is on (`[notify.smtp]` configured): `/account` offers its settings.
    pub email: bool,
}

/// A running API.
pub struct Api {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The store behind it.
    pub store: Store,
    /// Accounts.
    pub access: Access,
    /// Token of the operator.
    pub operator: String,
    /// Token of the publisher of `news`.
    pub publisher: String,
    /// Token of the publisher of `sport` only.
    pub outsider: String,
    /// A revoked token (of the publisher of `news`).
    pub revoked: String,
    client: reqwest::Client,
    /// The served OpenAPI document every answer is held to.
    pub contract: contract::Contract,
    server: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
}

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers (lower-case names).
    pub headers: reqwest::header::HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The error code of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Settings with a low login lockout, for tests.
pub fn settings() -> AccessSettings {
    AccessSettings {
        session_ttl: Duration::from_secs(12 * 3600),
        login_max_failures: 5,
        login_lockout: Duration::from_secs(15 * 60),
        secure_cookies: SecureCookies::Auto,
        ..AccessSettings::default()
    }
}

impl Api {
    /// Starts the API over the database at `db` with the pages and users above.
    pub async fn start(db: &str) -> Api {
        Api::start_with(db, FetchConfig::default()).await
    }

    /// [`Api::start`] with fetch settings (the body cap, the SSRF guard).
    pub async fn start_with(db: &str, fetch: FetchConfig) -> Api {
        Api::start_configured(
            db,
            ApiOptions {
                fetch,
                ..ApiOptions::default()
            },
        )
        .await
    }

    /// [`Api::start`] with every setting of [`ApiOptions`].
    pub async fn start_configured(db: &str, options: ApiOptions) -> Api {
        let ApiOptions {
            fetch,
            run,
            trusted_proxies,
            email,
        } = options;
        let store = Store::open(db).await.expect("open the store");
        for (id, domain) in [(NEWS, NEWS_DOMAIN), (SPORT, SPORT_DOMAIN)] {
            store
                .add_page(&NewPage {
                    id: id.into(),
                    name: id.into(),
                    domain: Domain::parse(domain).unwrap(),
                    feed_url: Some(format!("https://{domain}/ia.rss")),
                    dev_feed_url: None,
                    enabled: true,
                })
                .await
                .expect("add a page");
        }
        let access = Access::new(store.clone(), settings());
        let cli = Caller::cli();
        let password = "correct horse battery";
        access
            .add_user(&cli, "op@example.com", password, Role::Operator, &[])
            .await
            .expect("operator");
        access
            .add_user(
                &cli,
                "pub@example.com",
                password,
                Role::Publisher,
                &[NEWS.into()],
            )
            .await
            .expect("publisher");
        access
            .add_user(
                &cli,
                "other@example.org",
                password,
                Role::Publisher,
                &[SPORT.into()],
            )
            .await
            .expect("outsider");
        let token = |email: &'static str| {
            let access = access.clone();
            async move {
                access
                    .create_token(&cli_caller(), email, Some("test"))
                    .await
                    .expect("token")
            }
        };
        let (_, operator) = token("op@example.com").await;
        let (_, publisher) = token("pub@example.com").await;
        let (_, outsider) = token("other@example.org").await;
        let (revoked_info, revoked) = token("pub@example.com").await;
        access
            .revoke_token(&cli, revoked_info.id)
            .await
            .expect("revoke");
        let fetcher = Fetcher::new(fetch.clone()).expect("fetcher");
        let service = Service::new(store.clone(), access.clone(), fetch, fetcher)
            .with_run_options(&run)
            .with_email(email);
        let heartbeat = Arc::new(Heartbeat::default());
        heartbeat.beat();
        let app = router(AppState {
            store: store.clone(),
            metrics: None,
            heartbeat,
            stale_after_ms: i64::MAX,
            service,
            web_enabled: true,
            trusted_proxies: Arc::new(trusted_proxies),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        // The server the daemon runs, with its limits.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let server = tokio::spawn(iarss::http::listener::serve(
            listener,
            app,
            iarss::http::listener::ServerLimits::default(),
            stopped,
        ));
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client");
        let base = format!("http://{addr}");
        let doc: Value = client
            .get(format!("{base}/api/v1/openapi.json"))
            .send()
            .await
            .expect("the OpenAPI document")
            .bytes()
            .await
            .map(|b| serde_json::from_slice(&b).expect("the OpenAPI document is JSON"))
            .expect("the OpenAPI document");
        Api {
            contract: contract::Contract::new(doc),
            base,
            store,
            access,
            operator,
            publisher,
            outsider,
            revoked,
            client,
            server,
            stop,
        }
    }

    /// Sends a request: `token` as bearer (none when `None`), `body` with `content_type`.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        self.try_send(method, path, token, content_type, body)
            .await
            .unwrap_or_else(|| panic!("{method} {path}: the API did not answer"))
    }

    /// [`Api::send`], `None` when the connection ended without an answer.
    pub async fn try_send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Option<Answer> {
        let method_name = method;
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(c) = content_type {
            request = request.header("content-type", c);
        }
        let response = request.body(body).send().await.ok()?;
        let answer = Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.ok()?.to_vec(),
        };
        let content_type = answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        if let Err(drift) =
            self.contract
                .check(method_name, path, answer.status, content_type, &answer.body)
        {
            panic!("the answer drifted from the OpenAPI document: {drift}");
        }
        Some(answer)
    }

    /// GET as `token`.
    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send("GET", path, Some(token), None, Vec::new()).await
    }

    /// A JSON request as `token`.
    pub async fn json(&self, method: &str, path: &str, token: &str, body: &Value) -> Answer {
        self.send(
            method,
            path,
            Some(token),
            Some("application/json"),
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    /// Imports `html` into `page` as the operator and returns the answer.
    pub async fn import(&self, page: &str, html: &str, published: bool) -> Answer {
        self.json(
            "POST",
            &format!("/api/v1/pages/{page}/articles"),
            &self.operator.clone(),
            &serde_json::json!({"html_source": html, "published": published}),
        )
        .await
    }

    /// Stops the server.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.server).await;
        self.store.close().await;
    }
}

fn cli_caller() -> Caller {
    Caller::cli()
}

/// `s` percent-encoded for a query string.
pub fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Runs `f` on a fresh multi-thread runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// A fresh SQLite URL in the test's scratch directory (the bench's data directory when
/// built into a bench).
pub fn sqlite_db(test: &str) -> String {
    let root = option_env!("CARGO_TARGET_TMPDIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
        });
    let dir = root.join(format!("api-sqlite-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    format!("sqlite://{}", dir.join("iarss.db").display())
}
