//! The web pages in a real browser (headless Chromium through chromedriver) against the real
//! router on 127.0.0.1 over a fresh SQLite store: what only a browser proves — cookies and
//! sessions, clicking through, the editor's live lint, escaping of feed-supplied strings in
//! the DOM, and the refusal of a POST from another origin. Skipped with a printed reason when
//! the browser is missing, unless `IARSS_BROWSER_TESTS=required`.

use crate::kit;
use iarss::store::FeedKind;
use kit::api::{NEWS, q};
use kit::browser::{Browser, OtherOrigin, PASSWORD, escape, run};
use kit::publishing::{Article, article, ingest, ingest_live, url};

/// The `news` page.
async fn news(b: &Browser) -> iarss::store::Page {
    b.api.store.page(NEWS).await.unwrap().unwrap()
}

/// Imports `a` into `news` (live), which must succeed.
async fn import(b: &Browser, a: &Article) {
    let answer = b.api.import(NEWS, &a.html(), true).await;
    assert!(
        (200..300).contains(&answer.status),
        "import: {} {}",
        answer.status,
        answer.text()
    );
}

/// The article at `canonical` as the API shows it to the operator (`None` when absent).
async fn stored(b: &Browser, canonical: &str) -> Option<serde_json::Value> {
    let answer = b
        .api
        .get(
            &format!("/api/v1/articles?url={}", q(canonical)),
            &b.api.operator,
        )
        .await;
    match answer.status {
        200 => Some(answer.json()),
        404 => None,
        s => panic!("GET article: {s} {}", answer.text()),
    }
}

/// From the dashboard to the article `title` of `news`: the page link, then the title.
async fn click_to_article(b: &Browser, title: &str) {
    b.click_link(NEWS).await;
    b.click_link(title).await;
    assert!(b.path().await.starts_with("/articles?url="));
    assert_eq!(b.text("h1").await, title);
}

#[test]
fn login_page_and_redirect() {
    run("login_page_and_redirect", |b| async move {
        // A page asked for without a session leads to the login form, which remembers it.
        b.open("/pages/news").await;
        let at = b.current_url().await;
        assert_eq!(at.path(), "/login", "{at}");
        assert!(
            at.query_pairs()
                .any(|(k, v)| k == "next" && v == "/pages/news"),
            "no next=/pages/news in {at}"
        );
        b.css("input[name=email]").await;
        assert_eq!(b.label_of("input[name=email]").await, "Email");
        assert_eq!(b.label_of("input[name=password]").await, "Password");
        assert_eq!(
            b.css("input[name=password]")
                .await
                .attr("type")
                .await
                .unwrap()
                .as_deref(),
            Some("password")
        );
        b.button("Sign in").await;
        b.shot("login").await;
        b.client
            .set_window_size(390, 844)
            .await
            .expect("phone size");
        b.shot("login-phone").await;
        b.client.set_window_size(1280, 900).await.expect("size");
        // The session cookie is HttpOnly: no script reads it.
        b.fill("input[name=email]", "pub@example.com").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click_button("Sign in").await;
        assert_eq!(b.path().await, "/pages/news");
        assert_eq!(b.text("h1").await, "news");
        b.click_link("Pages").await;
        assert_eq!(b.path().await, "/");
        assert_eq!(b.text("h1").await, "Pages");
        let cookies = b.js("return document.cookie;", vec![]).await;
        assert_eq!(cookies, "", "a cookie readable by scripts");
        b.shot("dashboard").await;
        // Signing out ends the session: the dashboard asks for a login again.
        b.click_button("Sign out").await;
        assert_eq!(b.current_url().await.path(), "/login");
        b.open("/").await;
        assert_eq!(b.current_url().await.path(), "/login");
        b
    });
}

#[test]
fn wrong_password_then_login() {
    run("wrong_password_then_login", |b| async move {
        b.open("/login").await;
        b.fill("input[name=email]", "pub@example.com").await;
        b.fill("input[name=password]", "wrong horse battery").await;
        b.click_button("Sign in").await;
        b.see("Wrong email or password.").await;
        assert_eq!(b.current_url().await.path(), "/login");
        b.shot("wrong-password").await;
        // An unknown email gets the same answer.
        b.fill("input[name=email]", "nobody@example.com").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click_button("Sign in").await;
        b.see("Wrong email or password.").await;
        b.fill("input[name=email]", "pub@example.com").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click_button("Sign in").await;
        assert_eq!(b.path().await, "/");
        assert_eq!(b.text("h1").await, "Pages");
        b.not_see("Wrong email or password.").await;
        b.shot("signed-in").await;
        b
    });
}

#[test]
fn lockout_after_five_failures() {
    run("lockout_after_five_failures", |b| async move {
        b.open("/login").await;
        for attempt in 1..=5 {
            b.fill("input[name=email]", "pub@example.com").await;
            b.fill("input[name=password]", &format!("guess {attempt}"))
                .await;
            b.click_button("Sign in").await;
            b.see("Wrong email or password.").await;
        }
        // Now even the right password is refused.
        b.fill("input[name=email]", "pub@example.com").await;
        b.fill("input[name=password]", PASSWORD).await;
        b.click_button("Sign in").await;
        b.see("Too many login attempts from this address").await;
        assert_eq!(b.status().await, 429);
        assert_eq!(b.current_url().await.path(), "/login");
        b.shot("locked-out").await;
        b
    });
}

#[test]
fn dashboard_counts() {
    run("dashboard_counts", |b| async move {
        let page = news(&b).await;
        let (a, w) = (url("counts/a"), url("counts/w"));
        ingest_live(&b.api.store, &page, &[article(&a), article(&w).warning()]).await;
        // The feed's next version of `a` is broken: refused, and counted as having errors.
        ingest_live(
            &b.api.store,
            &page,
            &[article(&a).broken(), article(&w).warning()],
        )
        .await;
        let draft = article(&url("counts/draft")).html();
        assert_eq!(b.api.import(NEWS, &draft, false).await.status, 201);
        b.login("op@example.com").await;
        assert_eq!(b.text("h1").await, "Pages");
        let count = |page: &'static str, which: &'static str| {
            let b = &b;
            async move {
                let row = b
                    .link(page)
                    .await
                    .find(fantoccini::Locator::XPath("./ancestor::tr"))
                    .await
                    .expect("the page's row");
                row.find(fantoccini::Locator::Css(&format!("[data-count={which}]")))
                    .await
                    .unwrap_or_else(|_| panic!("no {which} count for {page}"))
                    .text()
                    .await
                    .unwrap()
                    .trim()
                    .to_string()
            }
        };
        assert_eq!(count("news", "live").await, "2");
        assert_eq!(count("news", "draft").await, "1");
        assert_eq!(count("news", "errors").await, "1");
        assert_eq!(count("news", "warnings").await, "1");
        for which in ["live", "draft", "errors", "warnings"] {
            assert_eq!(count("sport", which).await, "0", "sport {which}");
        }
        b.shot("dashboard").await;
        b.client
            .set_window_size(390, 844)
            .await
            .expect("phone size");
        b.shot("dashboard-phone").await;
        b
    });
}

#[test]
fn failing_feeds_only() {
    run("failing_feeds_only", |b| async move {
        sqlx::query(
            "UPDATE feeds SET consecutive_failures = 3, last_error = 'HTTP 500 from the feed' \
             WHERE page_id = 'sport'",
        )
        .execute(b.api.store.pool())
        .await
        .expect("make sport's feed fail");
        b.login("op@example.com").await;
        b.link("news").await;
        b.click_link("Only feeds with errors").await;
        assert_eq!(b.path().await, "/?failing=1");
        b.see("HTTP 500 from the feed").await;
        b.see("in backoff").await;
        b.link("sport").await;
        b.not_see("example.com/ia.rss").await;
        b.shot("failing").await;
        b.client
            .set_window_size(390, 844)
            .await
            .expect("phone size");
        b.shot("failing-phone").await;
        b.click_link("Show all pages").await;
        b.link("news").await;
        b
    });
}

#[test]
fn dashboard_to_page_to_article() {
    run("dashboard_to_page_to_article", |b| async move {
        let page = news(&b).await;
        let a = url("click/a");
        let mut item = article(&a);
        item.title = "Lighthouse keeper retires".into();
        ingest_live(&b.api.store, &page, &[item]).await;
        b.login("pub@example.com").await;
        b.click_link(NEWS).await;
        assert_eq!(b.current_url().await.path(), "/pages/news");
        for tab in ["Production", "Development", "Feed"] {
            b.link(tab).await;
        }
        b.shot("page").await;
        b.click_link("Lighthouse keeper retires").await;
        let at = b.current_url().await;
        assert_eq!(at.path(), "/articles");
        assert!(at.query_pairs().any(|(k, v)| k == "url" && v == a), "{at}");
        assert_eq!(b.text("h1").await, "Lighthouse keeper retires");
        // The preview runs no script and is of no origin.
        let frame = b.css("iframe[sandbox]").await;
        let sandbox = frame.attr("sandbox").await.unwrap().unwrap_or_default();
        assert!(
            !sandbox.contains("allow-scripts") && !sandbox.contains("allow-same-origin"),
            "sandbox={sandbox:?}"
        );
        b.link("Edit").await;
        b.shot("article").await;
        b
    });
}

#[test]
fn rejected_item_on_feed_tab() {
    run("rejected_item_on_feed_tab", |b| async move {
        // The production feed rejects an item; the development feed ran last.
        let page = news(&b).await;
        let (good, bad) = (url("feed/good"), url("feed/bad"));
        let mut broken = article(&bad).broken();
        broken.title = "Storm closes the bridge".into();
        ingest_live(&b.api.store, &page, &[article(&good), broken]).await;
        ingest(
            &b.api.store,
            &page,
            FeedKind::Development,
            &[article(&url("feed/draft"))],
        )
        .await;
        b.login("pub@example.com").await;
        // The dashboard counts it; two clicks lead to its title and error.
        assert_eq!(b.text("[data-count=rejected]").await, "1");
        b.click_link(NEWS).await;
        b.click_link("Feed").await;
        let title = b
            .find(fantoccini::Locator::XPath(
                "//section[@id='feed-production']//h4[normalize-space(.)='Storm closes the bridge']",
            ))
            .await;
        assert!(title.is_displayed().await.unwrap());
        b.see("missing-op-published").await;
        b.see(&bad).await;
        b.shot("feed-tab").await;
        for (w, h) in [(390, 844), (1280, 900)] {
            b.client.set_window_size(w, h).await.expect("size");
            let overflow = b
                .js(
                    "return document.documentElement.scrollWidth > window.innerWidth;",
                    vec![],
                )
                .await;
            assert_eq!(
                overflow,
                serde_json::Value::Bool(false),
                "sideways scroll at {w}px"
            );
            if w == 390 {
                b.shot("feed-tab-phone").await;
            }
        }
        // Its run has a page.
        b.click_link("Run 1").await;
        assert!(b.path().await.starts_with("/pages/news/runs/"));
        b.see("Storm closes the bridge").await;
        b
    });
}

#[test]
fn diagnostic_excerpt_and_rule_page() {
    run("diagnostic_excerpt_and_rule_page", |b| async move {
        let page = news(&b).await;
        let a = url("diag/a");
        let mut item = article(&a).warning();
        item.title = "Empty paragraph inside".into();
        ingest_live(&b.api.store, &page, &[item]).await;
        b.login("pub@example.com").await;
        click_to_article(&b, "Empty paragraph inside").await;
        let rule = b.link("empty-element").await;
        assert_eq!(
            rule.attr("href").await.unwrap().as_deref(),
            Some("/rules/empty-element")
        );
        let excerpt = b.css("pre.excerpt").await;
        let marked = excerpt
            .find(fantoccini::Locator::Css("mark"))
            .await
            .expect("the spot marked in the excerpt");
        assert!(excerpt.text().await.unwrap().contains("<p></p>"));
        let _ = marked;
        b.shot("article").await;
        b.click_link("empty-element").await;
        assert_eq!(b.current_url().await.path(), "/rules/empty-element");
        assert!(b.text("h1").await.contains("empty-element"));
        b.shot("rule").await;
        b
    });
}

#[test]
fn ignored_update_applied() {
    run("ignored_update_applied", |b| async move {
        let page = news(&b).await;
        let a = url("ignored/a");
        ingest_live(
            &b.api.store,
            &page,
            &[article(&a).modified("2024-03-10T09:00:00Z")],
        )
        .await;
        // Two days later by its op-modified: outside the 24 h window, kept as pending.
        ingest_live(
            &b.api.store,
            &page,
            &[article(&a)
                .modified("2024-03-12T09:00:00Z")
                .body("from the feed")],
        )
        .await;
        b.login("pub@example.com").await;
        b.click_link(NEWS).await;
        b.see("ignored update").await;
        b.shot("page").await;
        b.click_link("Harbour reopens after storm").await;
        let panel = b.css("section#ignored-update").await;
        let text = panel.text().await.unwrap();
        assert!(text.contains("2024-03-12"), "{text}");
        assert!(text.contains("2024-03-10"), "{text}");
        assert!(text.contains("after the stored version's"), "{text}");
        b.shot("ignored-update").await;
        // Apply asks first and says what happens; nothing changes before.
        b.click_link("Apply…").await;
        b.see("What happens next").await;
        b.see("becomes revision 2").await;
        assert_eq!(stored(&b, &a).await.unwrap()["ignored_update"], true);
        b.shot("confirm").await;
        b.click_button("Apply the feed's version").await;
        assert!(b.all("section#ignored-update").await.is_empty());
        let stored = stored(&b, &a).await.expect("the article");
        assert!(stored["html"].as_str().unwrap().contains("from the feed"));
        assert_eq!(stored["ignored_update"], false);
        b.shot("applied").await;
        b
    });
}

#[test]
fn manual_fix_not_offered_for_revert() {
    run("manual_fix_not_offered_for_revert", |b| async move {
        let page = news(&b).await;
        let a = url("ignored/manual");
        ingest_live(
            &b.api.store,
            &page,
            &[article(&a).modified("2024-03-10T09:00:00Z")],
        )
        .await;
        // A fix by hand, then a feed run that still carries the old text.
        import(
            &b,
            &article(&a)
                .modified("2024-03-13T09:00:00Z")
                .body("corrected by hand"),
        )
        .await;
        ingest_live(
            &b.api.store,
            &page,
            &[article(&a)
                .modified("2024-03-12T09:00:00Z")
                .body("from the feed")],
        )
        .await;
        b.login("pub@example.com").await;
        click_to_article(&b, "Harbour reopens after storm").await;
        let panel = b.css("section#ignored-update").await;
        let text = panel.text().await.unwrap();
        assert!(
            text.contains(
                "The feed still carries the text from before your edit; change it in your CMS."
            ),
            "{text}"
        );
        // No Apply: replacing the fix is a secondary link, which asks first.
        assert!(!text.contains("Apply"), "{text}");
        assert!(
            b.client
                .find_all(fantoccini::Locator::XPath(
                    "//section[@id='ignored-update']//button"
                ))
                .await
                .unwrap()
                .is_empty()
        );
        b.shot("feed-carries-old-text").await;
        b.click_link("Replace your version with the feed's…").await;
        b.see("undoes that version").await;
        b.click_link("Cancel").await;
        let kept = stored(&b, &a).await.unwrap();
        assert!(kept["html"].as_str().unwrap().contains("corrected by hand"));
        b
    });
}

/// A 278-line article whose `op-published` sits on line 35.
fn long_article(canonical: &str) -> (String, usize) {
    let mut a = article(canonical);
    a.extra = (1..=238)
        .map(|i| format!("<p>Paragraph {i} of a long report.</p>\n"))
        .collect();
    let head_lines: String = (1..=23)
        .map(|i| format!("<meta property=\"og:tag{i}\" content=\"t{i}\">\n"))
        .collect();
    let html = a.html().replacen(
        "<meta charset=\"utf-8\">\n",
        &format!("<meta charset=\"utf-8\">\n{head_lines}"),
        1,
    );
    let line = html
        .lines()
        .position(|l| l.contains("op-published"))
        .expect("op-published")
        + 1;
    (html, line)
}

#[test]
fn editor_keeps_diagnostics_in_view() {
    run("editor_keeps_diagnostics_in_view", |b| async move {
        let a = url("editor/long");
        let (html, line) = long_article(&a);
        assert_eq!(html.lines().count(), 278);
        assert_eq!(line, 35);
        let answer = b.api.import(NEWS, &html, true).await;
        assert!((200..300).contains(&answer.status), "{}", answer.text());
        b.login("pub@example.com").await;
        for (w, h) in [(1280, 900), (390, 844)] {
            b.client.set_window_size(w, h).await.expect("size");
            b.open(&format!("/articles/edit?url={}", q(&a))).await;
            b.css("textarea#editor").await;
            // Line numbers, also on a phone.
            assert!(
                b.css("#gutter").await.is_displayed().await.unwrap(),
                "{w}px"
            );
            // The editor keeps its height: it does not grow with the article.
            let height = b
                .js(
                    "return document.getElementById('editor').getBoundingClientRect().height;",
                    vec![],
                )
                .await
                .as_f64()
                .unwrap();
            assert!(height < f64::from(h), "editor {height}px high at {w}px");
            // Typing an error on line 35.
            let started = std::time::Instant::now();
            b.js(
                "const e = document.getElementById('editor'); \
                 e.value = e.value.replace('datetime=\"2024-03-10T08:00:00Z\"', 'datetime=\"soon\"'); \
                 const at = e.value.indexOf('datetime=\"soon\"'); \
                 e.focus(); e.setSelectionRange(at, at); \
                 e.dispatchEvent(new Event('input'));",
                vec![],
            )
            .await;
            b.wait_until("a marked error within the viewport", || async {
                b.js(
                    "const li = document.querySelector('#live-diagnostics li.error'); \
                     if (!li) return false; \
                     const r = li.getBoundingClientRect(); \
                     const mark = document.querySelector('#gutter span.mark-error'); \
                     return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0 \
                       && mark !== null && mark.textContent.trim() === '35';",
                    vec![],
                )
                .await
                    == serde_json::Value::Bool(true)
            })
            .await;
            assert!(
                started.elapsed() < std::time::Duration::from_secs(2),
                "{:?} at {w}px",
                started.elapsed()
            );
            let shown = b.text("#live-diagnostics li.error").await;
            assert!(shown.contains("invalid-op-published"), "{shown}");
            assert!(b.text("#lint-status").await.starts_with("1 error"));
            // Its line:column puts the cursor there.
            let jump = b.css("#live-diagnostics li.error button.jump").await;
            let at = jump.text().await.unwrap();
            assert!(at.starts_with("35:"), "{at}");
            jump.click().await.unwrap();
            let cursor = b
                .js(
                    "const e = document.getElementById('editor'); \
                     return e.value.slice(0, e.selectionStart).split('\\n').length;",
                    vec![],
                )
                .await;
            assert_eq!(cursor, serde_json::json!(35), "{w}px");
            b.shot(if w == 1280 {
                "mid-typing"
            } else {
                "mid-typing-phone"
            })
            .await;
        }
        b.client.set_window_size(1280, 900).await.expect("size");
        b
    });
}

#[test]
fn editor_live_lint_then_save() {
    run("editor_live_lint_then_save", |b| async move {
        let page = news(&b).await;
        let a = url("editor/a");
        ingest_live(&b.api.store, &page, &[article(&a)]).await;
        b.login("pub@example.com").await;
        click_to_article(&b, "Harbour reopens after storm").await;
        b.click_link("Edit").await;
        assert_eq!(b.current_url().await.path(), "/articles/edit");
        let editor = b.css("textarea#editor").await;
        assert!(editor.prop("value").await.unwrap().unwrap().contains(&a));
        // A figure inside a paragraph: a warning, listed while typing, nothing saved.
        let figure = article(&a)
            .body("Seen from the breakwater:\n<figure><img src=\"https://example.com/h.jpg\"></figure>\n")
            .html();
        b.fill("textarea#editor", &figure).await;
        b.wait_until("figure-in-paragraph in the live diagnostics", || async {
            b.text("ul#live-diagnostics")
                .await
                .contains("figure-in-paragraph")
        })
        .await;
        b.shot("live-warning").await;
        let revisions = stored(&b, &a).await.unwrap()["revision"].clone();
        assert_eq!(revisions, 1, "typing saved something");
        // An error (no op-published): Save is disabled while it stands.
        let broken = article(&a).broken().html();
        b.fill("textarea#editor", &broken).await;
        b.wait_until("missing-op-published in the live diagnostics", || async {
            b.text("ul#live-diagnostics")
                .await
                .contains("missing-op-published")
        })
        .await;
        let save = b.button("Save").await;
        b.wait_until("Save disabled", || async {
            !save.is_enabled().await.unwrap_or(true)
        })
        .await;
        b.shot("save-disabled").await;
        // The server refuses it too.
        b.js(
            "for (const b of document.querySelectorAll('button, input[type=submit]')) \
             b.disabled = false;",
            vec![],
        )
        .await;
        b.press(&save, "Save").await;
        assert_eq!(b.status().await, 422);
        b.see("missing-op-published").await;
        b.shot("refused").await;
        assert_eq!(stored(&b, &a).await.unwrap()["revision"], 1);
        // Fixed: saved, a new revision with its diff.
        let fixed = article(&a).body("The harbour reopened on Saturday.").html();
        b.fill("textarea#editor", &fixed).await;
        let save = b.button("Save").await;
        b.wait_until("Save enabled", || async {
            save.is_enabled().await.unwrap_or(false)
        })
        .await;
        b.press(&save, "Save").await;
        assert_eq!(b.current_url().await.path(), "/articles");
        assert_eq!(stored(&b, &a).await.unwrap()["revision"], 2);
        let current = b
            .find(fantoccini::Locator::XPath(
                "//table[contains(@class,'revisions')]//tr[th[contains(normalize-space(.), '2 (current)')]]",
            ))
            .await;
        assert!(current.text().await.unwrap().contains("manual"));
        b.shot("saved").await;
        b.click_link("Diff with current").await;
        b.see("The harbour reopened on Friday morning.").await;
        b.see("The harbour reopened on Saturday.").await;
        let removed_and_added = b.all("pre.diff span").await.len();
        assert!(removed_and_added >= 2);
        b.shot("diff").await;
        b
    });
}

#[test]
fn restore_an_older_revision() {
    run("restore_an_older_revision", |b| async move {
        let page = news(&b).await;
        let a = url("restore/a");
        ingest_live(&b.api.store, &page, &[article(&a).body("first words")]).await;
        import(&b, &article(&a).body("second words")).await;
        b.login("pub@example.com").await;
        click_to_article(&b, "Harbour reopens after storm").await;
        let restores = b
            .client
            .find_all(fantoccini::Locator::XPath(
                "//a[normalize-space(.)='Restore…']",
            ))
            .await
            .unwrap();
        assert!(!restores.is_empty(), "no Restore link");
        b.shot("revisions").await;
        // The oldest revision is the last listed (newest first); it asks first.
        let oldest = restores.last().unwrap().clone();
        b.navigating("Restore…", || async {
            oldest.click().await.expect("click Restore…");
        })
        .await;
        b.see("Restore revision 1?").await;
        b.see("becomes revision 3").await;
        assert_eq!(stored(&b, &a).await.unwrap()["revision"], 2);
        b.click_button("Restore revision 1").await;
        let now = stored(&b, &a).await.unwrap();
        assert_eq!(now["revision"], 3);
        assert!(now["html"].as_str().unwrap().contains("first words"));
        b.see("restore").await;
        b.shot("restored").await;
        b
    });
}

#[test]
fn delete_with_confirmation() {
    run("delete_with_confirmation", |b| async move {
        let page = news(&b).await;
        let a = url("delete/a");
        ingest_live(&b.api.store, &page, &[article(&a)]).await;
        b.login("pub@example.com").await;
        click_to_article(&b, "Harbour reopens after storm").await;
        b.click("Delete").await;
        // Asked first; nothing gone yet.
        b.button("Delete for good").await;
        assert!(stored(&b, &a).await.is_some());
        b.shot("confirm").await;
        b.click_button("Delete for good").await;
        assert!(stored(&b, &a).await.is_none());
        b.not_see("Harbour reopens after storm").await;
        b.shot("deleted").await;
        b
    });
}

#[test]
fn fetch_now_twice() {
    run("fetch_now_twice", |b| async move {
        b.login("pub@example.com").await;
        b.click_link(NEWS).await;
        b.click_link("Feed").await;
        b.click_button("Fetch now").await;
        b.not_see("A fetch of this page was asked for less than 10 s ago")
            .await;
        b.shot("first").await;
        b.click_button("Fetch now").await;
        b.see("A fetch of this page was asked for less than 10 s ago")
            .await;
        b.shot("second").await;
        b
    });
}

#[test]
fn other_publisher_gets_not_found() {
    run("other_publisher_gets_not_found", |b| async move {
        let page = news(&b).await;
        let a = url("private/a");
        ingest_live(&b.api.store, &page, &[article(&a)]).await;
        b.login("other@example.org").await;
        b.not_see("news").await;
        b.link("sport").await;
        for path in [
            "/pages/news".to_string(),
            format!("/articles?url={}", q(&a)),
            format!("/articles/edit?url={}", q(&a)),
        ] {
            b.open(&path).await;
            assert_eq!(b.text("h1").await, "Not found", "{path}");
            assert_eq!(b.status().await, 404, "{path}");
            b.not_see("Harbour reopens after storm").await;
        }
        b.shot("not-found").await;
        // An address that does not exist looks the same.
        b.open(&format!("/articles?url={}", q(&url("private/none"))))
            .await;
        assert_eq!(b.text("h1").await, "Not found");
        b
    });
}

#[test]
fn feed_payloads_shown_as_text() {
    run("feed_payloads_shown_as_text", |b| async move {
        let page = news(&b).await;
        let (a, r) = (url("xss/a"), url("xss/r"));
        // A title that is markup as text (escaped in the feed and in the article), and raw
        // markup in the body: stored (a script or an img outside a figure only warns), so
        // its source is quoted in the diagnostics' excerpts.
        let payload = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
        let mut stored_item = article(&a).body(
            "Read on.</p>\n<script>window.__pwned=3</script>\n\
             <img src=\"x\" onerror=\"window.__pwned=4\">\n<p>The end.",
        );
        stored_item.title = escape(payload);
        let rejected = article(&r)
            .body("<img src=\"x\" onerror=\"window.__pwned=5\">")
            .broken();
        ingest_live(&b.api.store, &page, &[stored_item, rejected]).await;
        b.login("pub@example.com").await;
        let check = |step: &'static str| {
            let b = &b;
            async move {
                let injected = b.injected().await;
                assert!(injected.is_empty(), "{step}: injected {injected:?}");
                let pwned = b.js("return window.__pwned === undefined;", vec![]).await;
                assert_eq!(pwned, true, "{step}: a payload ran");
                b.shot(step).await;
            }
        };
        check("dashboard").await;
        b.click_link(NEWS).await;
        b.see(payload).await;
        check("page").await;
        b.click_link("Feed").await;
        b.see(&r).await;
        check("feed").await;
        b.click_link("Production").await;
        b.click_link(payload).await;
        assert_eq!(b.text("h1").await, payload);
        b.see("<script>window.__pwned=3</script>").await;
        b.see("onerror=\"window.__pwned=4\"").await;
        check("article").await;
        b.click_link("Edit").await;
        let editor = b.css("textarea#editor").await;
        let value = editor.prop("value").await.unwrap().unwrap_or_default();
        assert!(
            value.contains("<script>window.__pwned=3</script>"),
            "{value}"
        );
        check("editor").await;
        b
    });
}

#[test]
fn post_from_another_origin_is_refused() {
    run("post_from_another_origin_is_refused", |b| async move {
        let page = news(&b).await;
        let a = url("forgery/a");
        ingest_live(&b.api.store, &page, &[article(&a)]).await;
        b.login("pub@example.com").await;
        click_to_article(&b, "Harbour reopens after storm").await;
        b.click("Delete").await;
        // The confirmation's form, copied whole (even its form token) onto another origin:
        // only the origin tells them apart.
        let form = b
            .js(
                "const button = [...document.querySelectorAll('button, input[type=submit]')]\
                 .find(e => (e.textContent || e.value).trim() === 'Delete for good'); \
                 const form = button.form; \
                 return {action: form.action, method: form.method, \
                 fields: [...new FormData(form, button).entries()]};",
                vec![],
            )
            .await;
        let action = form["action"].as_str().expect("action").to_string();
        assert!(action.starts_with(&b.api.base), "{action}");
        let fields = form["fields"].as_array().unwrap();
        assert!(
            fields.iter().any(|f| f[0] == "form_token"),
            "no form_token in {fields:?}"
        );
        let inputs: String = fields
            .iter()
            .map(|f| {
                format!(
                    "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                    escape(f[0].as_str().unwrap()),
                    escape(f[1].as_str().unwrap_or_default())
                )
            })
            .collect();
        let evil = OtherOrigin::serve(format!(
            "<!doctype html><title>win a prize</title>\
             <form id=f method=post action=\"{}\">{inputs}</form>\
             <script>document.getElementById('f').submit();</script>",
            escape(&action)
        ));
        b.open_url(&format!("{}/", evil.base)).await;
        b.wait_until("the app's answer", || async {
            b.current_url().await.as_str().starts_with(&b.api.base)
        })
        .await;
        b.wait_until("the answer to load", || async { b.status().await != 0 })
            .await;
        assert_eq!(b.status().await, 403);
        b.shot("refused").await;
        drop(evil);
        assert!(
            stored(&b, &a).await.is_some(),
            "deleted from another origin"
        );
        // The same form from the app itself works.
        b.open(&format!("/articles?url={}", q(&a))).await;
        b.click("Delete").await;
        b.click_button("Delete for good").await;
        assert!(stored(&b, &a).await.is_none());
        b
    });
}

#[test]
fn phone_width_pages_fit() {
    run("phone_width_pages_fit", |b| async move {
        let page = news(&b).await;
        let a = url("phone/a");
        let mut broken = article(&url("phone/broken")).broken();
        broken.title = "A rejected item with a rather long title for a phone".into();
        ingest_live(&b.api.store, &page, &[article(&a).warning(), broken]).await;
        b.login("pub@example.com").await;
        b.client
            .set_window_size(390, 844)
            .await
            .expect("phone size");
        for path in [
            "/".to_string(),
            "/pages/news".to_string(),
            "/pages/news?tab=feed".to_string(),
            format!("/articles?url={}", q(&a)),
            format!("/articles/edit?url={}", q(&a)),
            "/check".to_string(),
            "/account".to_string(),
            "/rules".to_string(),
            "/rules/empty-element".to_string(),
        ] {
            b.open(&path).await;
            let fits = b
                .js(
                    "const w = window.innerWidth; \
                     if (document.documentElement.scrollWidth > w) return 'the page scrolls sideways'; \
                     for (const c of document.querySelectorAll('table.stack td, table.stack th')) { \
                       const r = c.getBoundingClientRect(); \
                       if (r.width > 0 && r.right > w + 1) return 'a cell ends at ' + r.right + ': ' + c.textContent.slice(0, 40); \
                     } \
                     return 'ok';",
                    vec![],
                )
                .await;
            assert_eq!(fits, serde_json::json!("ok"), "{path} at 390px");
        }
        b.open("/pages/news?tab=feed").await;
        b.shot("feed-tab-phone").await;
        b.client.set_window_size(1280, 900).await.expect("size");
        // The favicon is served.
        let icon = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .get(format!("{}/favicon.ico", b.api.base))
            .send()
            .await
            .expect("favicon");
        assert_eq!(icon.status().as_u16(), 200);
        b
    });
}

#[test]
fn check_a_pasted_article() {
    run("check_a_pasted_article", |b| async move {
        b.login("pub@example.com").await;
        b.click_link("Check").await;
        assert_eq!(b.path().await, "/check");
        b.fill(
            "textarea#html-source",
            &article(&url("check/pasted")).broken().html(),
        )
        .await;
        b.click_button("Check the HTML").await;
        let verdict = b.text("#verdict").await;
        assert!(verdict.starts_with("Rejected: 1 error"), "{verdict}");
        b.see("missing-op-published").await;
        b.shot("check").await;
        b
    });
}

#[test]
fn article_verdict_names_the_refused_version() {
    run(
        "article_verdict_names_the_refused_version",
        |b| async move {
            let page = news(&b).await;
            let a = url("verdict/a");
            ingest_live(&b.api.store, &page, &[article(&a)]).await;
            // The feed's newer version lacks op-published: rejected, never stored.
            ingest_live(
                &b.api.store,
                &page,
                &[article(&a).modified("2024-03-10T09:00:00Z").broken()],
            )
            .await;
            b.login("pub@example.com").await;
            click_to_article(&b, "Harbour reopens after storm").await;
            let verdict = b.text("#verdict").await;
            assert!(
                verdict.starts_with("Live. The production feed's newest version")
                    && verdict.contains("was rejected: missing-op-published")
                    && verdict.contains("readers see the version of"),
                "{verdict}"
            );
            let refused = b.css("section.rejected-version").await;
            let text = refused.text().await.unwrap();
            assert!(text.contains("missing-op-published"), "{text}");
            assert!(text.contains("readers see the older stored text"), "{text}");
            b.see("1 error, 0 warnings").await;
            b.shot("verdict").await;
            b
        },
    );
}

/// axe-core's default rules on every page, at 1280 and 390 px: no violation.
#[test]
fn axe_finds_no_violation() {
    run("axe_finds_no_violation", |b| async move {
        let page = news(&b).await;
        let a = url("axe/a");
        let mut broken = article(&url("axe/broken")).broken();
        broken.title = "A rejected item".into();
        ingest_live(&b.api.store, &page, &[article(&a).warning(), broken]).await;
        import(&b, &article(&a).body("Edited by hand.")).await;
        let mut pages: Vec<(&str, String)> = vec![("anyone", "/login".to_string())];
        let publisher = [
            "/".to_string(),
            "/pages/news".to_string(),
            "/pages/news?tab=development".to_string(),
            "/pages/news?tab=feed".to_string(),
            "/pages/news?tab=settings".to_string(),
            "/pages/news/runs/1".to_string(),
            format!("/articles?url={}", q(&a)),
            format!("/articles/edit?url={}", q(&a)),
            format!("/articles/diff?url={}&from=1&to=2", q(&a)),
            format!("/articles/delete?url={}", q(&a)),
            format!("/articles/restore?url={}&revision=1", q(&a)),
            "/check?page=news&feed=production&item=1".to_string(),
            "/check".to_string(),
            "/account".to_string(),
            "/rules".to_string(),
            "/rules/empty-element".to_string(),
        ];
        pages.extend(publisher.into_iter().map(|p| ("pub@example.com", p)));
        pages.extend(
            [
                "/pages/news?tab=settings",
                "/audit",
                "/admin/users",
                "/admin/users/remove?email=pub%40example.com",
            ]
            .map(|p| ("op@example.com", p.to_string())),
        );
        // The check itself sees a violation: an image without a text alternative.
        b.open("/login").await;
        b.js(
            "const i = document.createElement('img'); \
             i.src = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'; \
             document.querySelector('main').appendChild(i);",
            vec![],
        )
        .await;
        let Some(seen) = b.axe().await else {
            return b;
        };
        assert!(seen.iter().any(|v| v.starts_with("image-alt")), "{seen:?}");
        let mut signed_in = "anyone";
        let mut found = Vec::new();
        for (who, path) in &pages {
            if *who != signed_in {
                if signed_in != "anyone" {
                    b.open("/").await;
                    b.click_button("Sign out").await;
                }
                b.login(who).await;
                signed_in = who;
            }
            for (w, h) in [(1280, 900), (390, 844)] {
                b.client.set_window_size(w, h).await.expect("size");
                b.open(path).await;
                let Some(violations) = b.axe().await else {
                    return b;
                };
                found.extend(
                    violations
                        .into_iter()
                        .map(|v| format!("{path} at {w}px: {v}")),
                );
            }
        }
        b.client.set_window_size(1280, 900).await.expect("size");
        assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
        b
    });
}

/// A member adds a webhook on the page's Settings tab (its secret shown once), sees its
/// deliveries with their answers, and deletes it. Without SMTP, `/account` offers no
/// e-mail settings.
#[test]
fn webhook_added_and_its_deliveries_seen() {
    run("webhook_added_and_its_deliveries_seen", |b| async move {
        use crate::notify::{Receiver, ok, start_worker};
        let receiver = Receiver::start(ok);
        let page = news(&b).await;
        let a = url("hooked/a");
        ingest_live(&b.api.store, &page, &[article(&a)]).await;
        b.login("pub@example.com").await;
        b.click_link(NEWS).await;
        b.click_link("Settings").await;
        b.see("No webhook yet.").await;
        b.fill("#webhook-url", &receiver.url()).await;
        b.click_button("Add the webhook").await;
        b.see("The new webhook's secret").await;
        let secret = b.text("#new-secret").await;
        assert_eq!(secret.len(), 48, "{secret}");
        b.shot("added").await;
        // An event, delivered by a worker.
        b.api.store.delete_article(NEWS, &a).await.unwrap();
        let stop = start_worker(&b.api.store);
        b.wait_until("the delivery", || {
            let n = receiver.received().len();
            async move { n > 0 }
        })
        .await;
        b.open("/pages/news?tab=settings").await;
        b.not_see(&secret).await;
        b.click_link("Deliveries").await;
        b.wait_until("the delivered row", || async {
            b.open("/pages/news?tab=settings&webhook=1").await;
            b.body_text().await.contains("delivered")
        })
        .await;
        b.see("article.deleted").await;
        b.see("answer 0").await;
        b.shot("deliveries").await;
        for (w, h) in [(1280, 900), (390, 844)] {
            b.client.set_window_size(w, h).await.expect("size");
            if let Some(violations) = b.axe().await {
                assert!(violations.is_empty(), "at {w}px: {violations:?}");
            }
        }
        b.client.set_window_size(1280, 900).await.expect("size");
        b.click_button("Delete").await;
        b.see("The webhook was deleted.").await;
        b.see("No webhook yet.").await;
        let _ = stop.send(true);
        // No SMTP: no e-mail settings.
        b.open("/account").await;
        b.not_see("Daily digest").await;
        b
    });
}

/// With SMTP configured, a user chooses per page how events reach them by e-mail.
#[test]
fn email_settings_per_page() {
    let options = kit::api::ApiOptions {
        email: true,
        ..Default::default()
    };
    kit::browser::run_with("email_settings_per_page", options, |b| async move {
        b.login("pub@example.com").await;
        b.open("/account").await;
        b.see("E-mail").await;
        assert_eq!(b.label_of("#email-1").await, NEWS);
        b.js(
            "document.querySelector('#email-1').value = 'digest';",
            vec![],
        )
        .await;
        b.click_button("Save").await;
        b.see("E-mail setting saved.").await;
        let chosen = b
            .js("return document.querySelector('#email-1').value;", vec![])
            .await;
        assert_eq!(chosen, serde_json::json!("digest"));
        let user = b.api.access.user("pub@example.com").await.unwrap().unwrap();
        let prefs = b.api.store.email_prefs(user.id).await.unwrap();
        assert_eq!(prefs.len(), 1);
        assert_eq!(prefs[0].page_id, NEWS);
        assert_eq!(prefs[0].mode, iarss::store::EmailMode::Digest);
        b.shot("email").await;
        for (w, h) in [(1280, 900), (390, 844)] {
            b.client.set_window_size(w, h).await.expect("size");
            if let Some(violations) = b.axe().await {
                assert!(violations.is_empty(), "at {w}px: {violations:?}");
            }
        }
        b.client.set_window_size(1280, 900).await.expect("size");
        b
    });
}
