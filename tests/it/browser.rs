//! The web pages in a real browser (headless Chromium through chromedriver) against the real
//! router on 127.0.0.1 over a fresh SQLite store: what only a browser proves — cookies and
//! sessions, clicking through, the editor's live lint, escaping of feed-supplied strings in
//! the DOM, and the refusal of a POST from another origin. Skipped with a printed reason when
//! the browser is missing, unless `IARSS_BROWSER_TESTS=required`.

use crate::kit;
use kit::api::{NEWS, q};
use kit::browser::{Browser, OtherOrigin, PASSWORD, escape, run};
use kit::publishing::{Article, article, ingest_live, url};

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
        let page = news(&b).await;
        let (good, bad) = (url("feed/good"), url("feed/bad"));
        ingest_live(
            &b.api.store,
            &page,
            &[article(&good), article(&bad).broken()],
        )
        .await;
        b.login("pub@example.com").await;
        b.click_link(NEWS).await;
        b.click_link("Feed").await;
        let heading = b
            .find(fantoccini::Locator::XPath(
                "//h2[normalize-space(.)='Rejected items']",
            ))
            .await;
        assert!(heading.is_displayed().await.unwrap());
        b.see(&bad).await;
        b.see("missing-op-published").await;
        b.shot("feed-tab").await;
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
        import(
            &b,
            &article(&a)
                .modified("2024-03-13T09:00:00Z")
                .body("corrected by hand"),
        )
        .await;
        // The feed still has an older version: refused and kept as pending.
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
        assert!(text.contains("2024-03-13"), "{text}");
        b.shot("ignored-update").await;
        let apply = panel
            .find(fantoccini::Locator::XPath(
                ".//button[normalize-space(.)='Apply']",
            ))
            .await
            .expect("Apply");
        b.press(&apply, "Apply").await;
        assert!(b.all("section#ignored-update").await.is_empty());
        let stored = stored(&b, &a).await.expect("the article");
        assert!(stored["html"].as_str().unwrap().contains("from the feed"));
        assert_eq!(stored["ignored_update"], false);
        b.shot("applied").await;
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
                "//button[normalize-space(.)='Restore']",
            ))
            .await
            .unwrap();
        assert!(!restores.is_empty(), "no Restore button");
        b.shot("revisions").await;
        // The oldest revision is the last listed (newest first).
        let oldest = restores.last().unwrap();
        b.press(oldest, "Restore").await;
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
        b.not_see("Fetched less than 10 s ago").await;
        b.shot("first").await;
        b.click_button("Fetch now").await;
        b.see("Fetched less than 10 s ago").await;
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
