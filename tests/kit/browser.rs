//! The browser under test: Debian's `chromedriver` driving headless `chromium` against the
//! real router on 127.0.0.1 (see `api_support`), through fantoccini. Every wait is bounded.
//!
//! The binaries are found on `PATH` (or in `IARSS_CHROMEDRIVER` / `IARSS_CHROMIUM`). When one
//! is missing, a test prints `skipped <test>: <why>` and passes, unless
//! `IARSS_BROWSER_TESTS=required`, which fails it.

#![allow(dead_code)]

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use super::api::{self as api_support, Api};

/// How long any one wait lasts at most.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long one whole scenario lasts at most.
pub const SCENARIO: Duration = Duration::from_secs(240);
/// The password of every user of [`Api::start`].
pub const PASSWORD: &str = "correct horse battery";

/// The two programs.
#[derive(Clone, Debug)]
pub struct Binaries {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
}

fn required() -> bool {
    std::env::var("IARSS_BROWSER_TESTS").is_ok_and(|v| v == "required")
}

fn find_program(env: &str, names: &[&str]) -> Result<PathBuf, String> {
    if let Some(value) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{env}={} is not a file", path.display()))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]);
    for dir in dirs {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(format!(
        "no `{}` on PATH (set {env}, or install Debian's chromium and chromium-driver)",
        names[0]
    ))
}

/// The binaries, or `None` after printing why the test is skipped (a panic instead when
/// `IARSS_BROWSER_TESTS=required`).
pub fn binaries(test: &str) -> Option<Binaries> {
    let found = find_program("IARSS_CHROMEDRIVER", &["chromedriver"]).and_then(|chromedriver| {
        find_program("IARSS_CHROMIUM", &["chromium", "chromium-browser"]).map(|chromium| Binaries {
            chromedriver,
            chromium,
        })
    });
    match found {
        Ok(b) => Some(b),
        Err(why) if required() => panic!("{test}: {why} (IARSS_BROWSER_TESTS=required)"),
        Err(why) => {
            println!("skipped {test}: {why}");
            None
        }
    }
}

/// The target directory (the parent of `CARGO_TARGET_TMPDIR`).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf()
}

/// Where screenshots go: `target/browser-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A free port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running chromedriver in its own process group, ended (with the browsers it started)
/// when dropped, with its scratch directory.
struct Driver {
    child: Child,
    port: u16,
    scratch: PathBuf,
}

impl Driver {
    fn start(bin: &Binaries, test: &str) -> Driver {
        use std::os::unix::process::CommandExt;
        let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{test}"));
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).expect("browser scratch dir");
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = std::fs::File::create(scratch.join("chromedriver.log")).expect("log");
            let child = Command::new(&bin.chromedriver)
                .arg(format!("--port={port}"))
                .arg(format!(
                    "--log-path={}",
                    scratch.join("chromedriver-verbose.log").display()
                ))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("start {}: {e}", bin.chromedriver.display()));
            let mut driver = Driver {
                child,
                port,
                scratch: scratch.clone(),
            };
            let deadline = Instant::now() + WAIT;
            loop {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return driver;
                }
                if let Ok(Some(status)) = driver.child.try_wait() {
                    last = format!("chromedriver exited with {status}");
                    break;
                }
                if Instant::now() > deadline {
                    last = format!("chromedriver did not listen on {port} within {WAIT:?}");
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            drop(driver);
        }
        panic!(
            "{last}; its log: {}",
            std::fs::read_to_string(scratch.join("chromedriver.log")).unwrap_or_default()
        );
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the chromium it started.
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .arg(format!("-{}", self.child.id()))
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(self.scratch.join("profile"));
    }
}

/// A browser session against a running app.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    /// The app.
    pub api: Api,
    test: &'static str,
    driver: Driver,
}

/// Runs `scenario` for `test`: the app on a fresh SQLite store, a browser on it. Skipped
/// (see [`binaries`]) without the browser.
pub fn run<F, Fut>(test: &'static str, scenario: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = Browser>,
{
    run_with(test, api_support::ApiOptions::default(), scenario);
}

/// [`run`] with the app started with `options`.
pub fn run_with<F, Fut>(test: &'static str, options: api_support::ApiOptions, scenario: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = Browser>,
{
    let Some(bin) = binaries(test) else {
        return;
    };
    api_support::block_on(async move {
        let db = api_support::sqlite_db(&format!("browser-{test}"));
        let api = Api::start_configured(&db, options).await;
        let browser = Browser::launch(&bin, test, api).await;
        let browser = tokio::time::timeout(SCENARIO, scenario(browser))
            .await
            .unwrap_or_else(|_| panic!("{test}: did not finish within {SCENARIO:?}"));
        browser.finish().await;
    });
}

impl Browser {
    async fn launch(bin: &Binaries, test: &'static str, api: Api) -> Browser {
        let driver = Driver::start(bin, test);
        let profile = driver.scratch.join("profile");
        std::fs::create_dir_all(&profile).expect("profile dir");
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--disable-breakpad".into(),
            // Nothing but 127.0.0.1 resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1".into(),
            format!("--user-data-dir={}", profile.display()),
            "--window-size=1280,900".into(),
        ];
        let mut caps = Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": bin.chromium.display().to_string(), "args": args}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let url = format!("http://127.0.0.1:{}", driver.port);
        let client = tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&url),
        )
        .await
        .unwrap_or_else(|_| panic!("{test}: no browser session within 60 s"))
        .unwrap_or_else(|e| {
            panic!(
                "{test}: no browser session: {e}; chromedriver's log: {}",
                std::fs::read_to_string(driver.scratch.join("chromedriver.log"))
                    .unwrap_or_default()
            )
        });
        client
            .update_timeouts(TimeoutConfiguration::new(
                Some(WAIT),
                Some(WAIT),
                Some(Duration::ZERO),
            ))
            .await
            .expect("timeouts");
        Browser {
            client,
            api,
            test,
            driver,
        }
    }

    async fn finish(self) {
        let Browser {
            client,
            api,
            driver,
            ..
        } = self;
        let _ = tokio::time::timeout(WAIT, client.close()).await;
        drop(driver);
        api.stop().await;
    }

    /// The app's URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api.base)
    }

    /// Opens `path` of the app by typing its URL.
    pub async fn open(&self, path: &str) {
        let url = self.url(path);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.wait_loaded().await;
    }

    /// Opens any URL.
    pub async fn open_url(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.wait_loaded().await;
    }

    /// The current path and query.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// The current URL.
    pub async fn current_url(&self) -> url::Url {
        self.client.current_url().await.expect("current url")
    }

    /// Runs a script in the page.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script {script:?}: {e}"))
    }

    /// The axe-core violations of the current document with axe's default rules, each as
    /// "rule-id (impact): the first target"; `None` (after a printed note) when axe-core is
    /// not at hand: `IARSS_AXE` names `axe.min.js` (scripts/test.sh installs axe-core from
    /// the npm registry into a temporary directory). With `IARSS_BROWSER_TESTS=required`,
    /// its absence fails the test.
    pub async fn axe(&self) -> Option<Vec<String>> {
        let source = match std::env::var_os("IARSS_AXE").filter(|v| !v.is_empty()) {
            Some(path) => std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("IARSS_AXE={}: {e}", PathBuf::from(&path).display())),
            None if required() => panic!(
                "{}: IARSS_AXE names no axe.min.js (IARSS_BROWSER_TESTS=required)",
                self.test
            ),
            None => {
                println!("{}: no accessibility check (IARSS_AXE not set)", self.test);
                return None;
            }
        };
        // Loaded as the page's own code would be, then run once the document settles.
        self.client
            .execute(&format!("{source}\n;return true;"), vec![])
            .await
            .unwrap_or_else(|e| panic!("{}: loading axe-core: {e}", self.test));
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 axe.run(document).then(r => done(r.violations.map(v => \
                   v.id + ' (' + v.impact + '): ' + (v.nodes[0] ? v.nodes[0].target.join(' ') : '') \
                   + ' ' + v.nodes.length + ' node(s)'))).catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("{}: running axe-core: {e}", self.test));
        let list = found
            .as_array()
            .unwrap_or_else(|| panic!("{}: axe-core answered {found}", self.test));
        Some(
            list.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
        )
    }

    /// The HTTP status of the current document's navigation.
    pub async fn status(&self) -> u64 {
        self.js(
            "const n = performance.getEntriesByType('navigation')[0]; \
             return n ? n.responseStatus : 0;",
            vec![],
        )
        .await
        .as_u64()
        .unwrap_or(0)
    }

    /// Waits until `check` holds, polling; panics with `what` after [`WAIT`].
    pub async fn wait_until<C, CF>(&self, what: &str, mut check: C)
    where
        C: FnMut() -> CF,
        CF: Future<Output = bool>,
    {
        let deadline = Instant::now() + WAIT;
        loop {
            if check().await {
                return;
            }
            if Instant::now() > deadline {
                let _ = self.shot("timeout").await;
                panic!(
                    "{}: waited {WAIT:?} for {what}; at {}; page text:\n{}",
                    self.test,
                    self.path().await,
                    self.body_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_loaded(&self) {
        self.wait_until("the document to load", || async {
            self.client
                .execute("return document.readyState;", vec![])
                .await
                .is_ok_and(|v| v == "complete")
        })
        .await;
    }

    /// Does `action`, which must lead to a new document, and waits for it to load.
    pub async fn navigating<A, AF>(&self, what: &str, action: A)
    where
        A: FnOnce() -> AF,
        AF: Future<Output = ()>,
    {
        self.js("window.__iarssOldDocument = true;", vec![]).await;
        action().await;
        self.wait_until(&format!("a new document after {what}"), || async {
            self.client
                .execute(
                    "return !window.__iarssOldDocument && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .is_ok_and(|v| v == true)
        })
        .await;
    }

    /// Waits for an element.
    pub async fn find(&self, locator: Locator<'_>) -> Element {
        match self.client.wait().at_most(WAIT).for_element(locator).await {
            Ok(e) => e,
            Err(e) => {
                let _ = self.shot("missing").await;
                panic!(
                    "{}: no {locator:?} ({e}) at {}; page text:\n{}",
                    self.test,
                    self.path().await,
                    self.body_text().await
                )
            }
        }
    }

    /// Waits for an element matching `css`.
    pub async fn css(&self, css: &str) -> Element {
        self.find(Locator::Css(css)).await
    }

    /// The elements matching `css` now (no wait).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    /// The text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.css(css).await.text().await.expect("text")
    }

    /// The visible text of the page (empty when there is none).
    pub async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's text contains `needle`.
    pub async fn see(&self, needle: &str) {
        self.wait_until(&format!("the text {needle:?}"), || async {
            self.body_text().await.contains(needle)
        })
        .await;
    }

    /// Asserts the page's text does not contain `needle`.
    pub async fn not_see(&self, needle: &str) {
        let text = self.body_text().await;
        assert!(
            !text.contains(needle),
            "{}: {needle:?} is on the page at {}:\n{text}",
            self.test,
            self.path().await
        );
    }

    /// A link whose text is `text` (whitespace trimmed).
    pub async fn link(&self, text: &str) -> Element {
        let xpath = format!("//a[normalize-space(.)={}]", xpath_literal(text));
        self.find(Locator::XPath(&xpath)).await
    }

    /// A button (or submit input) whose label is `text`.
    pub async fn button(&self, text: &str) -> Element {
        let lit = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.)={lit}] | //input[(@type='submit' or @type='button') and @value={lit}]"
        );
        self.find(Locator::XPath(&xpath)).await
    }

    /// Follows the link, or presses the button, labelled `text` (a "button" may be a link
    /// to a confirmation page).
    pub async fn click(&self, text: &str) {
        let lit = xpath_literal(text);
        let xpath = format!(
            "//button[normalize-space(.)={lit}] | //input[@type='submit' and @value={lit}] | //a[normalize-space(.)={lit}]"
        );
        let control = self.find(Locator::XPath(&xpath)).await;
        self.navigating(&format!("{text:?}"), || async {
            control.click().await.expect("click");
        })
        .await;
    }

    /// Follows the link `text`.
    pub async fn click_link(&self, text: &str) {
        let link = self.link(text).await;
        self.navigating(&format!("link {text:?}"), || async {
            link.click().await.expect("click link");
        })
        .await;
    }

    /// Presses the button `text`, which submits a form.
    pub async fn click_button(&self, text: &str) {
        let button = self.button(text).await;
        self.press(&button, text).await;
    }

    /// Presses `button`, which submits a form.
    pub async fn press(&self, button: &Element, what: &str) {
        self.navigating(&format!("button {what:?}"), || async {
            button.click().await.expect("click button");
        })
        .await;
    }

    /// Types `value` into the field matching `css` (emptied first).
    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.css(css).await;
        field.clear().await.expect("clear field");
        field.send_keys(value).await.expect("type");
    }

    /// The label text of the field with id `id`, or of the label wrapping `css`.
    pub async fn label_of(&self, css: &str) -> String {
        self.js(
            "const f = document.querySelector(arguments[0]); \
             if (!f) return null; \
             const l = (f.labels && f.labels[0]) || f.closest('label'); \
             return l ? l.textContent.trim() : null;",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Saves a screenshot as `target/browser-screenshots/<test>-<step>.png`.
    pub async fn shot(&self, step: &str) -> PathBuf {
        let path = screenshot_dir().join(format!("{}-{step}.png", self.test));
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(&path, png);
        }
        path
    }

    /// Signs in as `email` from the login form: the first page typed, then clicks.
    pub async fn login(&self, email: &str) {
        self.open("/login").await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", PASSWORD).await;
        self.click_button("Sign in").await;
        assert_eq!(
            self.path().await,
            "/",
            "{}: after signing in as {email}: {}",
            self.test,
            self.body_text().await
        );
    }

    /// Every `<script>` of the page that is not the app's own `/static/editor.js`, and every
    /// element with an `onerror` attribute, as HTML.
    pub async fn injected(&self) -> Vec<String> {
        let mut out = Vec::new();
        for script in self.all("script").await {
            let src = script.attr("src").await.ok().flatten().unwrap_or_default();
            let own = url::Url::parse(&self.api.base)
                .ok()
                .and_then(|base| base.join(&src).ok())
                .is_some_and(|u| {
                    u.as_str().starts_with(&self.api.base) && u.path() == "/static/editor.js"
                });
            if src.is_empty() || !own {
                out.push(script.html(false).await.unwrap_or_default());
            }
        }
        for el in self.all("[onerror]").await {
            out.push(el.html(false).await.unwrap_or_default());
        }
        out
    }
}

/// `s` as an XPath string literal.
pub fn xpath_literal(s: &str) -> String {
    if !s.contains('\'') {
        format!("'{s}'")
    } else if !s.contains('"') {
        format!("\"{s}\"")
    } else {
        let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

/// A page on a second origin (another 127.0.0.1 port) served by a thread: `/` answers
/// `html`, anything else 404. Stops when dropped, or after a minute by itself.
pub struct OtherOrigin {
    pub base: String,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl OtherOrigin {
    pub fn serve(html: String) -> OtherOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr: SocketAddr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !flag.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        // One thread per connection: a browser's idle preconnection must
                        // not hold up the next request.
                        let html = html.clone();
                        std::thread::spawn(move || {
                            let _ = stream.set_nonblocking(false);
                            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                            let mut buf = [0u8; 4096];
                            let n = stream.read(&mut buf).unwrap_or(0);
                            let head = String::from_utf8_lossy(&buf[..n]);
                            let (status, body) = if head.starts_with("GET / ") {
                                ("200 OK", html.as_str())
                            } else {
                                ("404 Not Found", "not here")
                            };
                            let _ = write!(
                                stream,
                                "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\n\
                                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            );
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        OtherOrigin {
            base: format!("http://{addr}"),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for OtherOrigin {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `s` escaped for HTML text and attribute values.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
