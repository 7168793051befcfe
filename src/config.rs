//! The daemon's configuration: a TOML file, then `IARSS_<SECTION>_<KEY>` environment
//! variables, then flags, each overriding the one before. Unknown keys are errors, in the
//! file and in the environment alike.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The TOML is invalid or has unknown keys.
    #[error("{0}")]
    Invalid(String),
}

/// A configuration file is at most this large.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The largest body cap: a body is held in memory whole.
const MAX_BODY_BYTES: u64 = 1024 * 1024 * 1024;

/// The longest a writer may wait for a page's lock.
const MAX_WRITE_WAIT: Duration = Duration::from_secs(600);

/// The longest span any setting may have.
const MAX_SPAN: Duration = Duration::from_secs(366 * 24 * 3600);

/// A duration written `30s`, `3m`, `1h`, `1h 30m`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span(pub Duration);

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&humantime::format_duration(self.0).to_string())
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        humantime::parse_duration(&s).map(Span).map_err(|e| {
            serde::de::Error::custom(format!("`{s}` is not a duration like 30s, 3m, 1h: {e}"))
        })
    }
}

/// `[schedule]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// How often each feed is fetched.
    pub interval: Span,
    /// Cap of the backoff after consecutive failures.
    pub max_backoff: Span,
    /// Fetches in flight at once; 0 sizes it from the due rate and the measured run
    /// time, up to `max_concurrency`.
    pub concurrency: usize,
    /// The most fetches in flight at once a sized `concurrency` may reach.
    pub max_concurrency: usize,
    /// Fetches in flight at once to one host, to start with.
    pub per_host: usize,
    /// The most fetches in flight at once to one host that carries many feeds and answers
    /// them well.
    pub per_host_max: usize,
    /// How long a claim holds a feed (longer than download + parse budget + commit).
    pub lease: Span,
    /// How often the scheduler looks for due feeds.
    pub tick: Span,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            interval: Span(Duration::from_secs(180)),
            max_backoff: Span(Duration::from_secs(3600)),
            concurrency: 0,
            max_concurrency: 1024,
            per_host: 4,
            per_host_max: 32,
            lease: Span(Duration::from_secs(120)),
            tick: Span(Duration::from_secs(1)),
        }
    }
}

/// `[validate]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidateConfig {
    /// Zone for datetimes without an offset.
    pub default_timezone: String,
}

impl Default for ValidateConfig {
    fn default() -> Self {
        ValidateConfig {
            default_timezone: crate::model::DEFAULT_ZONE_NAME.into(),
        }
    }
}

/// `[fetch]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSection {
    /// Whole download.
    pub timeout: Span,
    /// Longest pause between two body chunks.
    pub read_idle_timeout: Span,
    /// Load + parse.
    pub parse_budget: Span,
    /// Cap on decompressed body bytes.
    pub max_body_bytes: u64,
    /// `User-Agent`.
    pub user_agent: String,
    /// Allow feeds on loopback and private addresses (the SSRF guard refuses them).
    pub allow_private_networks: bool,
    /// Allow `file://` feed URLs (demos, tests).
    pub allow_file_urls: bool,
    /// An HTTP proxy for every fetch (empty: none). Proxies from the environment are not
    /// used; behind this one, every redirect hop's host is still checked by the guard.
    pub proxy: String,
}

impl Default for FetchSection {
    fn default() -> Self {
        FetchSection {
            timeout: Span(Duration::from_secs(30)),
            read_idle_timeout: Span(Duration::from_secs(10)),
            parse_budget: Span(Duration::from_secs(10)),
            max_body_bytes: 16 * 1024 * 1024,
            user_agent: format!("iarss/{}", env!("CARGO_PKG_VERSION")),
            allow_private_networks: false,
            allow_file_urls: false,
            proxy: String::new(),
        }
    }
}

/// `[store]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// How long a warning is kept after it was last seen, and a revision a person wrote
    /// (an import, an edit, a restore) whatever `keep_revisions` says (`0s`: forever).
    pub retention: Span,
    /// How many of each article's newest revisions are kept (`0`: all). The current one,
    /// the newest published one and a person's within `retention` are kept besides.
    pub keep_revisions: u32,
    /// How long a writer of a page (a feed run, an import, an edit) waits for the page's
    /// writer lock before it gives up: the API answers 503 `busy`, a run is tried again at
    /// its next due time.
    pub write_wait: Span,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            retention: Span(Duration::from_secs(30 * 24 * 3600)),
            keep_revisions: 50,
            write_wait: Span(crate::store::StoreOptions::default().write_wait),
        }
    }
}

/// Networks (CIDRs, or single addresses) of the proxies in front of the service, whose
/// `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

impl Serialize for TrustedProxies {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|n| n.to_string()))
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let written = Vec::<String>::deserialize(d)?;
        written
            .iter()
            .map(|w| {
                let w = w.trim();
                w.parse::<ipnet::IpNet>()
                    .or_else(|_| w.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        serde::de::Error::custom(format!(
                            "`{w}` is not a network like 10.0.0.0/8 or an address"
                        ))
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with `STARTTLS` (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption (a relay on the same host or network).
    None,
}

/// `[notify.smtp]`: where e-mails are sent from. No `host`: no e-mail.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSection {
    /// The SMTP server (empty: e-mail is off and its settings are hidden).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub security: SmtpSecurity,
    /// Login (empty: none).
    pub user: String,
    /// Password; never printed.
    pub password: String,
    /// The `From` address.
    pub from: String,
}

impl Default for SmtpSection {
    fn default() -> Self {
        SmtpSection {
            host: String::new(),
            port: 587,
            security: SmtpSecurity::Starttls,
            user: String::new(),
            password: String::new(),
            from: String::new(),
        }
    }
}

/// `[notify]`: events told to webhooks and by e-mail, and their delivery queue.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifySection {
    /// Failed runs in a row after which `feed.failing` is sent.
    pub after_failures: u32,
    /// How long one delivery attempt may take (connect, send, answer).
    pub timeout: Span,
    /// The wait after the first failed attempt; each next one waits twice as long.
    pub retry_base: Span,
    /// The longest wait between two attempts.
    pub retry_max: Span,
    /// How long a failing delivery is tried before it is given up.
    pub retry_for: Span,
    /// Deliveries in flight at once, per daemon.
    pub concurrency: usize,
    /// How often the queue is looked at.
    pub tick: Span,
    /// How often a digest is sent.
    pub digest_every: Span,
    /// The address the web pages are served at, for links in e-mails (empty: none).
    pub base_url: String,
    /// `[notify.smtp]`.
    pub smtp: SmtpSection,
}

impl Default for NotifySection {
    fn default() -> Self {
        NotifySection {
            after_failures: crate::store::DEFAULT_AFTER_FAILURES as u32,
            timeout: Span(Duration::from_secs(10)),
            retry_base: Span(Duration::from_secs(30)),
            retry_max: Span(Duration::from_secs(3600)),
            retry_for: Span(Duration::from_secs(24 * 3600)),
            concurrency: 8,
            tick: Span(Duration::from_secs(1)),
            digest_every: Span(Duration::from_secs(24 * 3600)),
            base_url: String::new(),
            smtp: SmtpSection::default(),
        }
    }
}

/// `[web]`: the web pages and the HTTP API, their sessions and logins.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSection {
    /// Serve the web pages and the HTTP API on `listen`.
    pub enabled: bool,
    /// A web session unused for this long has expired.
    pub session_ttl: Span,
    /// `Secure` on the session cookie: `"auto"` (when the request came over https), `true`
    /// or `false`.
    pub secure_cookies: crate::access::SecureCookies,
    /// Failed logins for one account or from one address, within `login_lockout`, after
    /// which logins are refused.
    pub login_max_failures: u32,
    /// The window in which failed logins count (so the longest a lockout lasts).
    pub login_lockout: Span,
    /// A web session ends this long after its login, however much it is used.
    pub session_max_age: Span,
    /// Proxies whose `X-Forwarded-For` names the client (empty: the peer is the client).
    pub trusted_proxies: TrustedProxies,
    /// Connections open at once; `0` derives it from the open-file limit.
    pub max_connections: u64,
    /// A request's headers must arrive within this long.
    pub header_timeout: Span,
    /// A request's body must arrive within this long of its headers.
    pub body_timeout: Span,
    /// A keep-alive connection with no request for this long is closed.
    pub idle_timeout: Span,
}

impl Default for WebSection {
    fn default() -> Self {
        let access = crate::access::AccessSettings::default();
        WebSection {
            enabled: true,
            session_ttl: Span(access.session_ttl),
            secure_cookies: access.secure_cookies,
            login_max_failures: access.login_max_failures,
            login_lockout: Span(access.login_lockout),
            session_max_age: Span(access.session_max_age),
            trusted_proxies: TrustedProxies::default(),
            max_connections: 0,
            header_timeout: Span(Duration::from_secs(10)),
            body_timeout: Span(Duration::from_secs(30)),
            idle_timeout: Span(Duration::from_secs(60)),
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// HTTP address for health, metrics and the operator pages.
    pub listen: SocketAddr,
    /// JSON logs instead of text.
    pub json_logs: bool,
    /// `[schedule]`.
    pub schedule: ScheduleConfig,
    /// `[validate]`.
    pub validate: ValidateConfig,
    /// `[fetch]`.
    pub fetch: FetchSection,
    /// `[store]`.
    pub store: StoreSection,
    /// `[web]`.
    pub web: WebSection,
    /// `[notify]`.
    pub notify: NotifySection,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: crate::store::DEFAULT_DATABASE_URL.into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            json_logs: false,
            schedule: ScheduleConfig::default(),
            validate: ValidateConfig::default(),
            fetch: FetchSection::default(),
            store: StoreSection::default(),
            web: WebSection::default(),
            notify: NotifySection::default(),
        }
    }
}

impl Config {
    /// Reads the file (if any), then applies `IARSS_…` variables from `env`.
    pub fn load(
        file: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut table: toml::Table = match file {
            Some(path) => {
                // Bounded (docs/decisions.md, decision 25): `--config /dev/zero` errs, not hangs.
                let bytes =
                    crate::fetch::read_file_capped(std::path::Path::new(path), MAX_CONFIG_BYTES)
                        .map_err(|e| ConfigError::Read {
                            path: path.to_string(),
                            reason: match e {
                                crate::fetch::FetchError::TooLarge(_) => {
                                    "larger than 1 MiB: not a configuration file".to_string()
                                }
                                other => other.to_string(),
                            },
                        })?;
                let text = String::from_utf8(bytes).map_err(|e| ConfigError::Read {
                    path: path.to_string(),
                    reason: format!("not UTF-8 text: {e}"),
                })?;
                text.parse()
                    .map_err(|e| ConfigError::Invalid(format!("{path}: {e}")))?
            }
            None => toml::Table::new(),
        };
        let defaults = toml::Table::try_from(Config::default())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let env: BTreeMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("IARSS_"))
            .collect();
        for (name, value) in env {
            let Some(path) = env_key(&defaults, &name) else {
                // Variables for other commands are not configuration of the daemon.
                if [
                    "IARSS_LOG",
                    "IARSS_TEST_DATABASE_URL",
                    "IARSS_STORE_RETENTION_DAYS",
                ]
                .contains(&name.as_str())
                {
                    continue;
                }
                return Err(ConfigError::Invalid(format!(
                    "unknown configuration variable {name}"
                )));
            };
            let typed = typed_value(&defaults, &path, &value)
                .map_err(|e| ConfigError::Invalid(format!("{name}: {e}")))?;
            insert_at(&mut table, &path, typed);
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Invalid(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.schedule.interval.0 < Duration::from_secs(1) {
            return Err(ConfigError::Invalid(
                "schedule.interval must be at least 1s".into(),
            ));
        }
        // Every span ends up added to a millisecond timestamp: keep it far from overflow.
        for (key, span) in [
            ("schedule.interval", self.schedule.interval),
            ("schedule.max_backoff", self.schedule.max_backoff),
            ("schedule.lease", self.schedule.lease),
            ("schedule.tick", self.schedule.tick),
            ("fetch.timeout", self.fetch.timeout),
            ("fetch.read_idle_timeout", self.fetch.read_idle_timeout),
            ("fetch.parse_budget", self.fetch.parse_budget),
            ("store.retention", self.store.retention),
            ("store.write_wait", self.store.write_wait),
            ("web.session_ttl", self.web.session_ttl),
            ("web.login_lockout", self.web.login_lockout),
            ("web.session_max_age", self.web.session_max_age),
            ("web.header_timeout", self.web.header_timeout),
            ("web.body_timeout", self.web.body_timeout),
            ("web.idle_timeout", self.web.idle_timeout),
            ("notify.timeout", self.notify.timeout),
            ("notify.retry_base", self.notify.retry_base),
            ("notify.retry_max", self.notify.retry_max),
            ("notify.retry_for", self.notify.retry_for),
            ("notify.tick", self.notify.tick),
            ("notify.digest_every", self.notify.digest_every),
        ] {
            if span.0 > MAX_SPAN {
                return Err(ConfigError::Invalid(format!(
                    "{key} = \"{}\" is longer than a year",
                    humantime::format_duration(span.0)
                )));
            }
        }
        // A zero here would spin the loop, time out every fetch, or refuse every body.
        for (key, span) in [
            ("schedule.tick", self.schedule.tick),
            ("fetch.timeout", self.fetch.timeout),
            ("fetch.read_idle_timeout", self.fetch.read_idle_timeout),
            ("fetch.parse_budget", self.fetch.parse_budget),
            ("web.session_ttl", self.web.session_ttl),
            ("web.login_lockout", self.web.login_lockout),
            ("web.session_max_age", self.web.session_max_age),
            ("store.write_wait", self.store.write_wait),
            ("web.header_timeout", self.web.header_timeout),
            ("web.body_timeout", self.web.body_timeout),
            ("web.idle_timeout", self.web.idle_timeout),
            ("notify.timeout", self.notify.timeout),
            ("notify.retry_base", self.notify.retry_base),
            ("notify.retry_max", self.notify.retry_max),
            ("notify.tick", self.notify.tick),
            ("notify.digest_every", self.notify.digest_every),
        ] {
            if span.0.is_zero() {
                return Err(ConfigError::Invalid(format!(
                    "{key} must be longer than 0s"
                )));
            }
        }
        if self.fetch.max_body_bytes == 0 || self.fetch.max_body_bytes > MAX_BODY_BYTES {
            return Err(ConfigError::Invalid(format!(
                "fetch.max_body_bytes must be between 1 and {MAX_BODY_BYTES} (1 GiB): a body \
                 is held in memory whole"
            )));
        }
        // Below the cadence a "backoff" would fetch a failing feed more often than a
        // healthy one.
        if self.schedule.max_backoff.0 < self.schedule.interval.0 {
            return Err(ConfigError::Invalid(format!(
                "schedule.max_backoff = \"{}\" must be at least schedule.interval (\"{}\")",
                humantime::format_duration(self.schedule.max_backoff.0),
                humantime::format_duration(self.schedule.interval.0)
            )));
        }
        if self.store.write_wait.0 > MAX_WRITE_WAIT {
            return Err(ConfigError::Invalid(format!(
                "store.write_wait must be at most {} (a writer holds a connection meanwhile)",
                humantime::format_duration(MAX_WRITE_WAIT)
            )));
        }
        if self.web.session_max_age.0 < self.web.session_ttl.0 {
            return Err(ConfigError::Invalid(
                "web.session_max_age must be at least web.session_ttl".into(),
            ));
        }
        if self.web.login_max_failures == 0 {
            return Err(ConfigError::Invalid(
                "web.login_max_failures must be at least 1".into(),
            ));
        }
        if self.schedule.max_concurrency == 0 || self.schedule.per_host == 0 {
            return Err(ConfigError::Invalid(
                "schedule.max_concurrency and per_host must be positive".into(),
            ));
        }
        if self.schedule.lease.0 <= self.fetch.timeout.0 + self.fetch.parse_budget.0 {
            return Err(ConfigError::Invalid(
                "schedule.lease must be longer than fetch.timeout + fetch.parse_budget".into(),
            ));
        }
        if self.notify.after_failures == 0 {
            return Err(ConfigError::Invalid(
                "notify.after_failures must be at least 1".into(),
            ));
        }
        if self.notify.concurrency == 0 {
            return Err(ConfigError::Invalid(
                "notify.concurrency must be positive".into(),
            ));
        }
        let smtp = &self.notify.smtp;
        if !smtp.host.is_empty() && !smtp.from.contains('@') {
            return Err(ConfigError::Invalid(
                "notify.smtp.from must be an e-mail address when notify.smtp.host is set".into(),
            ));
        }
        let base = &self.notify.base_url;
        if !(base.is_empty() || base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ConfigError::Invalid(
                "notify.base_url must be an http(s) URL".into(),
            ));
        }
        self.validate
            .default_timezone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| {
                ConfigError::Invalid(format!(
                    "`{}` is not an IANA time zone",
                    self.validate.default_timezone
                ))
            })?;
        Ok(())
    }

    /// The fetcher's settings.
    pub fn fetch_config(&self) -> crate::fetch::FetchConfig {
        let f = &self.fetch;
        crate::fetch::FetchConfig {
            timeout: f.timeout.0,
            read_idle_timeout: f.read_idle_timeout.0,
            max_body_bytes: f.max_body_bytes,
            user_agent: f.user_agent.clone(),
            max_redirects: 5,
            allow_private_networks: f.allow_private_networks,
            proxy: (!f.proxy.is_empty()).then(|| f.proxy.clone()),
        }
    }

    /// How the daemon runs a feed, with its one shared `fetcher`.
    pub fn run_options(
        &self,
        fetch: crate::fetch::FetchConfig,
        fetcher: crate::fetch::Fetcher,
    ) -> crate::ingest::RunOptions {
        let retention = self.store.retention.0;
        crate::ingest::RunOptions {
            fetch,
            fetcher: Some(fetcher),
            parse_budget: self.fetch.parse_budget.0,
            // Checked by `check` when loaded.
            zone: self
                .validate
                .default_timezone
                .parse()
                .unwrap_or(crate::model::DEFAULT_ZONE),
            conditional: true,
            retention: (!retention.is_zero()).then_some(retention),
            threads: 1,
            stored_validators: None,
            reschedule: None,
            downloaded: None,
        }
    }

    /// The scheduler's settings.
    pub fn schedule_options(&self) -> crate::schedule::ScheduleOptions {
        let s = &self.schedule;
        // The longest a run takes once started: its download and its parse (commits are short).
        let run_bound = self.fetch.timeout.0 + self.fetch.parse_budget.0;
        crate::schedule::ScheduleOptions {
            interval: s.interval.0,
            max_backoff: s.max_backoff.0,
            concurrency: s.concurrency,
            max_concurrency: s.max_concurrency,
            per_host: s.per_host,
            per_host_max: s.per_host_max.max(s.per_host),
            lease: s.lease.0,
            tick: s.tick.0,
            shutdown_grace: run_bound,
            allow_file_urls: self.fetch.allow_file_urls,
            run_bound,
        }
    }

    /// How sessions and logins behave (`[web]`).
    pub fn access_settings(&self) -> crate::access::AccessSettings {
        let w = &self.web;
        crate::access::AccessSettings {
            session_ttl: w.session_ttl.0,
            login_max_failures: w.login_max_failures,
            login_lockout: w.login_lockout.0,
            secure_cookies: w.secure_cookies,
            session_max_age: w.session_max_age.0,
        }
    }

    /// What the HTTP server tolerates of its clients, with the connection cap derived
    /// from the open-file limit `open_files` beside the files this process otherwise keeps
    /// (`store_connections`, the fetches).
    pub fn server_limits(
        &self,
        open_files: Option<u64>,
        store_connections: usize,
    ) -> crate::http::listener::ServerLimits {
        use crate::http::listener as c;
        let reserved = c::reserved_files(store_connections, self.schedule_options().cap());
        c::ServerLimits {
            header_timeout: self.web.header_timeout.0,
            body_timeout: self.web.body_timeout.0,
            idle_timeout: self.web.idle_timeout.0,
            max_connections: c::max_connections(self.web.max_connections, open_files, reserved),
            ..c::ServerLimits::default()
        }
    }

    /// How the store is opened (`[store]`).
    pub fn store_options(&self) -> crate::store::StoreOptions {
        let retention = self.store.retention.0;
        crate::store::StoreOptions {
            write_wait: self.store.write_wait.0,
            revisions: crate::store::RevisionCap {
                keep: (self.store.keep_revisions > 0)
                    .then_some(i64::from(self.store.keep_revisions)),
                person_window_ms: (!retention.is_zero()).then_some(retention.as_millis() as i64),
            },
            after_failures: i64::from(self.notify.after_failures),
        }
    }

    /// How the delivery worker runs (`[notify]`), beside the fetcher's guard.
    pub fn notify_options(&self) -> crate::notify::NotifyOptions {
        let n = &self.notify;
        let smtp = &n.smtp;
        crate::notify::NotifyOptions {
            timeout: n.timeout.0,
            retry_base: n.retry_base.0,
            retry_max: n.retry_max.0,
            retry_for: n.retry_for.0,
            concurrency: n.concurrency,
            tick: n.tick.0,
            digest_every: n.digest_every.0,
            allow_private_networks: self.fetch.allow_private_networks,
            user_agent: self.fetch.user_agent.clone(),
            base_url: n.base_url.trim_end_matches('/').to_string(),
            smtp: (!smtp.host.is_empty()).then(|| crate::notify::SmtpOptions {
                host: smtp.host.clone(),
                port: smtp.port,
                security: match smtp.security {
                    SmtpSecurity::Starttls => crate::notify::SmtpTls::Starttls,
                    SmtpSecurity::Tls => crate::notify::SmtpTls::Tls,
                    SmtpSecurity::None => crate::notify::SmtpTls::None,
                },
                user: smtp.user.clone(),
                password: smtp.password.clone(),
                from: smtp.from.clone(),
            }),
        }
    }

    /// The effective configuration as TOML, secrets masked.
    pub fn to_toml_masked(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = crate::model::mask_url(&self.database_url);
        shown.fetch.proxy = crate::model::mask_url(&self.fetch.proxy);
        if !shown.notify.smtp.password.is_empty() {
            shown.notify.smtp.password = "***".into();
        }
        toml::to_string(&shown).unwrap_or_default()
    }
}

/// `IARSS_SCHEDULE_INTERVAL` → `schedule.interval`; `IARSS_LISTEN` → `listen`;
/// `IARSS_NOTIFY_SMTP_HOST` → `notify.smtp.host`: the path of a key of the defaults.
fn env_key(defaults: &toml::Table, name: &str) -> Option<Vec<String>> {
    let rest = name.strip_prefix("IARSS_")?.to_ascii_lowercase();
    key_path(defaults, &rest)
}

/// Sets the key at `path` in `table`, making the sections on the way.
fn insert_at(table: &mut toml::Table, path: &[String], value: toml::Value) {
    match path {
        [] => {}
        [key] => {
            table.insert(key.clone(), value);
        }
        [section, rest @ ..] => {
            let entry = table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(t) = entry {
                insert_at(t, rest, value);
            }
        }
    }
}

/// The path of the key `rest` names in `table`, sections joined to keys by `_`.
fn key_path(table: &toml::Table, rest: &str) -> Option<Vec<String>> {
    if table.get(rest).is_some_and(|v| !v.is_table()) {
        return Some(vec![rest.to_string()]);
    }
    for (section, value) in table {
        if let toml::Value::Table(t) = value
            && let Some(key) = rest.strip_prefix(&format!("{section}_"))
            && let Some(mut path) = key_path(t, key)
        {
            path.insert(0, section.clone());
            return Some(path);
        }
    }
    None
}

/// An environment value typed like the default it replaces.
fn typed_value(
    defaults: &toml::Table,
    path: &[String],
    value: &str,
) -> Result<toml::Value, String> {
    let mut default = None;
    let mut at = Some(defaults);
    for key in path {
        default = at.and_then(|t| t.get(key));
        at = default.and_then(|v| v.as_table());
    }
    Ok(match default {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            value
                .trim()
                .parse()
                .map_err(|_| format!("`{value}` is not a whole number"))?,
        ),
        Some(toml::Value::Boolean(_)) => match value.trim() {
            "true" | "1" | "yes" => toml::Value::Boolean(true),
            "false" | "0" | "no" => toml::Value::Boolean(false),
            _ => return Err(format!("`{value}` is not true or false")),
        },
        // A list, written with commas: `10.0.0.0/8, 192.168.0.1`.
        Some(toml::Value::Array(_)) => toml::Value::Array(
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| toml::Value::String(v.to_string()))
                .collect(),
        ),
        _ => toml::Value::String(value.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_and_types() {
        let c = Config::load(
            None,
            env(&[
                ("IARSS_SCHEDULE_INTERVAL", "10s"),
                ("IARSS_FETCH_MAX_BODY_BYTES", "1024"),
                ("IARSS_FETCH_ALLOW_PRIVATE_NETWORKS", "true"),
                ("IARSS_DATABASE_URL", "sqlite://x.db"),
            ]),
        )
        .unwrap();
        assert_eq!(c.schedule.interval.0, Duration::from_secs(10));
        assert_eq!(c.fetch.max_body_bytes, 1024);
        assert!(c.fetch.allow_private_networks);
        assert_eq!(c.database_url, "sqlite://x.db");
    }

    #[test]
    fn the_web_section_reads_from_the_file_and_the_environment() {
        let c = Config::load(None, Vec::new()).unwrap();
        let defaults = c.access_settings();
        assert!(c.web.enabled);
        assert_eq!(defaults, crate::access::AccessSettings::default());
        assert_eq!(defaults.session_ttl, Duration::from_secs(12 * 3600));
        assert_eq!(defaults.login_lockout, Duration::from_secs(15 * 60));
        assert_eq!(defaults.login_max_failures, 5);
        let text = c.to_toml_masked();
        assert!(
            text.contains("[web]") && text.contains("secure_cookies = \"auto\""),
            "{text}"
        );

        let c = Config::load(
            None,
            env(&[
                ("IARSS_WEB_ENABLED", "false"),
                ("IARSS_WEB_SESSION_TTL", "30m"),
                ("IARSS_WEB_SECURE_COOKIES", "true"),
                ("IARSS_WEB_LOGIN_MAX_FAILURES", "3"),
                ("IARSS_WEB_LOGIN_LOCKOUT", "1h"),
            ]),
        )
        .unwrap();
        let s = c.access_settings();
        assert!(!c.web.enabled);
        assert_eq!(s.session_ttl, Duration::from_secs(1800));
        assert_eq!(s.secure_cookies, crate::access::SecureCookies::Always);
        assert_eq!(s.login_max_failures, 3);
        assert_eq!(s.login_lockout, Duration::from_secs(3600));
        assert!(c.to_toml_masked().contains("secure_cookies = true"));

        let dir = std::env::temp_dir().join(format!("iarss-web-config-{}", std::process::id()));
        std::fs::write(
            &dir,
            "[web]\nsecure_cookies = false\nsession_ttl = \"1h\"\n",
        )
        .unwrap();
        let c = Config::load(dir.to_str(), Vec::new()).unwrap();
        assert_eq!(
            c.access_settings().secure_cookies,
            crate::access::SecureCookies::Never
        );
        std::fs::write(&dir, "[web]\nsecure_cookies = \"sometimes\"\n").unwrap();
        let err = Config::load(dir.to_str(), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("sometimes"), "{err}");
        std::fs::write(&dir, "[web]\nsession_tll = \"1h\"\n").unwrap();
        assert!(
            Config::load(dir.to_str(), Vec::new()).is_err(),
            "unknown key"
        );
        let _ = std::fs::remove_file(dir);
    }

    #[test]
    fn settings_that_cannot_work_are_refused_with_their_key() {
        for (var, value, key) in [
            ("IARSS_SCHEDULE_TICK", "0s", "schedule.tick"),
            ("IARSS_FETCH_TIMEOUT", "0s", "fetch.timeout"),
            ("IARSS_FETCH_MAX_BODY_BYTES", "0", "fetch.max_body_bytes"),
            ("IARSS_WEB_SESSION_TTL", "0s", "web.session_ttl"),
            ("IARSS_WEB_LOGIN_LOCKOUT", "0s", "web.login_lockout"),
            (
                "IARSS_WEB_LOGIN_MAX_FAILURES",
                "0",
                "web.login_max_failures",
            ),
            (
                "IARSS_SCHEDULE_INTERVAL",
                "200000000000s",
                "schedule.interval",
            ),
            (
                "IARSS_SCHEDULE_MAX_BACKOFF",
                "5000y",
                "schedule.max_backoff",
            ),
            ("IARSS_SCHEDULE_MAX_BACKOFF", "1ms", "schedule.max_backoff"),
            (
                "IARSS_FETCH_MAX_BODY_BYTES",
                "100000000000000",
                "fetch.max_body_bytes",
            ),
            ("IARSS_STORE_WRITE_WAIT", "0s", "store.write_wait"),
            ("IARSS_STORE_WRITE_WAIT", "2h", "store.write_wait"),
            ("IARSS_WEB_HEADER_TIMEOUT", "0s", "web.header_timeout"),
            ("IARSS_WEB_SESSION_MAX_AGE", "1m", "web.session_max_age"),
            ("IARSS_WEB_TRUSTED_PROXIES", "10.0.0.0/8, proxy", "proxy"),
        ] {
            let err = Config::load(None, env(&[(var, value)]))
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{var}={value}: {err}");
        }
    }

    #[test]
    fn the_server_settings_read_from_the_environment() {
        let c = Config::load(
            None,
            env(&[
                ("IARSS_WEB_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7"),
                ("IARSS_STORE_WRITE_WAIT", "3s"),
                ("IARSS_WEB_MAX_CONNECTIONS", "100"),
            ]),
        )
        .unwrap();
        let proxies: Vec<String> = c
            .web
            .trusted_proxies
            .0
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(proxies, ["10.0.0.0/8", "192.0.2.7/32"]);
        assert_eq!(c.store_options().write_wait, Duration::from_secs(3));
        let limits = c.server_limits(Some(10_000), 8);
        assert_eq!(limits.max_connections, 100);
        assert_eq!(limits.header_timeout, Duration::from_secs(10));
        assert!(
            c.to_toml_masked()
                .contains("trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7/32\"]")
        );
        let derived = Config::load(None, Vec::new()).unwrap();
        // The fetches' reserve is two files for each of the most runs in flight: with a
        // sized concurrency, `max_concurrency` (1,024).
        assert_eq!(
            derived.server_limits(Some(65_536), 8).max_connections,
            65_536 - 8 - 2 * 1024 - 64
        );
        let fixed = Config::load(
            None,
            vec![("IARSS_SCHEDULE_CONCURRENCY".into(), "64".into())],
        )
        .unwrap();
        assert_eq!(
            fixed.server_limits(Some(1024), 8).max_connections,
            1024 - 8 - 128 - 64
        );
    }

    #[test]
    fn a_configuration_file_is_read_under_a_cap() {
        if std::path::Path::new("/dev/zero").exists() {
            let err = Config::load(Some("/dev/zero"), Vec::new())
                .unwrap_err()
                .to_string();
            assert!(err.contains("1 MiB"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(Config::load(None, env(&[("IARSS_SCHEDULE_INTERVALL", "10s")])).is_err());
        let dir = std::env::temp_dir().join(format!("iarss-config-{}", std::process::id()));
        std::fs::write(&dir, "[schedule]\nintervall = \"3m\"\n").unwrap();
        let err = Config::load(dir.to_str(), Vec::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("intervall"), "{err}");
        std::fs::write(&dir, "[fetch]\ntimeout = \"soon\"\n").unwrap();
        assert!(Config::load(dir.to_str(), Vec::new()).is_err());
        let _ = std::fs::remove_file(dir);
    }

    #[test]
    fn the_notify_section_reads_nested_keys_and_masks_the_smtp_password() {
        let c = Config::load(None, Vec::new()).unwrap();
        assert_eq!(c.store_options().after_failures, 3);
        assert!(c.notify_options().smtp.is_none(), "no host: no e-mail");
        let c = Config::load(
            None,
            env(&[
                ("IARSS_NOTIFY_AFTER_FAILURES", "5"),
                ("IARSS_NOTIFY_TIMEOUT", "2s"),
                ("IARSS_NOTIFY_SMTP_HOST", "mail.example.org"),
                ("IARSS_NOTIFY_SMTP_PORT", "465"),
                ("IARSS_NOTIFY_SMTP_SECURITY", "tls"),
                ("IARSS_NOTIFY_SMTP_PASSWORD", "hunter2hunter2"),
                ("IARSS_NOTIFY_SMTP_FROM", "iarss@example.org"),
            ]),
        )
        .unwrap();
        assert_eq!(c.store_options().after_failures, 5);
        let n = c.notify_options();
        assert_eq!(n.timeout, Duration::from_secs(2));
        let smtp = n.smtp.expect("e-mail on");
        assert_eq!((smtp.host.as_str(), smtp.port), ("mail.example.org", 465));
        assert_eq!(smtp.security, crate::notify::SmtpTls::Tls);
        let text = c.to_toml_masked();
        assert!(
            text.contains("[notify.smtp]") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(!format!("{smtp:?}").contains("hunter2"));
        for (var, value, key) in [
            ("IARSS_NOTIFY_AFTER_FAILURES", "0", "notify.after_failures"),
            ("IARSS_NOTIFY_TIMEOUT", "0s", "notify.timeout"),
            (
                "IARSS_NOTIFY_SMTP_HOST",
                "mail.example.org",
                "notify.smtp.from",
            ),
        ] {
            let err = Config::load(None, env(&[(var, value)]))
                .map(|_| ())
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{var}={value}: {err}");
        }
        assert!(Config::load(None, env(&[("IARSS_NOTIFY_SMTP_HOTS", "x")])).is_err());
    }

    #[test]
    fn printed_config_masks_the_password() {
        let c = Config::load(
            None,
            env(&[("IARSS_DATABASE_URL", "postgres://u:secret@db/iarss")]),
        )
        .unwrap();
        let text = c.to_toml_masked();
        assert!(!text.contains("secret") && text.contains("***"), "{text}");
    }
}
